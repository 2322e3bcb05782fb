//! Outbound messages: enqueue, claim, send results, expiry, cancel, listing.
//!
//! Every function here runs on a connection inside a transaction the caller owns (the writer's
//! batch, or a read transaction).

use std::collections::BTreeSet;

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::ids::new_id;
use super::rollup::update_rollup;
use super::types::{
    DispatchJob, FailureClass, MessageFilter, MessageRecord, NewMessage, NewPart, Page, PartRecord,
    PartState, RecipientRecord, State,
};
use super::types::{INTERRUPTED, Interrupted};
use super::{Error, Tx, consent, conversations, ms, opt_ts, ts};

const MSG_COLS: &str = "id, idempotency_key, body, priority, send_at, expires_at, max_attempts, \
                        modem, created_by, state, created_at, updated_at, origin, transactional, \
                        campaign";
const RCPT_COLS: &str = "id, idx, number, state, attempts, next_attempt_at, modem, error, \
                         sent_at, delivered_at";
const PART_COLS: &str =
    "id, recipient_id, seq, total, pdu_hex, state, mr, modem, sent_at, report_at, status";

fn message_row(row: &Row<'_>) -> rusqlite::Result<MessageRecord> {
    Ok(MessageRecord {
        id: row.get(0)?,
        idempotency_key: row.get(1)?,
        body: row.get(2)?,
        priority: row.get(3)?,
        send_at: ts(row.get(4)?)?,
        expires_at: opt_ts(row.get(5)?)?,
        max_attempts: row.get(6)?,
        modem: row.get(7)?,
        created_by: row.get(8)?,
        state: row.get(9)?,
        created_at: ts(row.get(10)?)?,
        updated_at: ts(row.get(11)?)?,
        origin: row.get(12)?,
        transactional: row.get(13)?,
        campaign: row.get(14)?,
        recipients: Vec::new(),
    })
}

fn recipient_row(row: &Row<'_>) -> rusqlite::Result<RecipientRecord> {
    Ok(RecipientRecord {
        id: row.get(0)?,
        index: row.get(1)?,
        number: row.get(2)?,
        state: row.get(3)?,
        attempts: row.get(4)?,
        next_attempt_at: ts(row.get(5)?)?,
        modem: row.get(6)?,
        error: row.get(7)?,
        sent_at: opt_ts(row.get(8)?)?,
        delivered_at: opt_ts(row.get(9)?)?,
        parts: Vec::new(),
    })
}

pub(crate) fn part_row(row: &Row<'_>) -> rusqlite::Result<PartRecord> {
    Ok(PartRecord {
        id: row.get(0)?,
        recipient_id: row.get(1)?,
        seq: row.get(2)?,
        total: row.get(3)?,
        pdu_hex: row.get(4)?,
        state: row.get(5)?,
        mr: row.get(6)?,
        modem: row.get(7)?,
        sent_at: opt_ts(row.get(8)?)?,
        report_at: opt_ts(row.get(9)?)?,
        status: row.get(10)?,
    })
}

/// The parts of one recipient, in order.
pub(crate) fn load_parts(conn: &Connection, recipient_id: i64) -> Result<Vec<PartRecord>, Error> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {PART_COLS} FROM outbound_parts WHERE recipient_id = ?1"
    ))?;
    let mut parts = stmt
        .query_map([recipient_id], part_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    // Sorted here: with ORDER BY the cached statement was re-prepared on
    // nearly every use (measured with SQLITE_STMTSTATUS_REPREPARE).
    parts.sort_by_key(|p| p.seq);
    Ok(parts)
}

/// One message with its recipients and parts.
pub(crate) fn load_message(conn: &Connection, id: &str) -> Result<MessageRecord, Error> {
    let mut msg = conn
        .prepare_cached(&format!(
            "SELECT {MSG_COLS} FROM outbound_messages WHERE id = ?1"
        ))?
        .query_row([id], message_row)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("message {id}")))?;
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {RCPT_COLS} FROM outbound_recipients WHERE message_id = ?1"
    ))?;
    let mut recipients = stmt
        .query_map([id], recipient_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    recipients.sort_by_key(|r| r.index);
    for r in &mut recipients {
        r.parts = load_parts(conn, r.id)?;
    }
    msg.recipients = recipients;
    Ok(msg)
}

/// Inserts a message and its recipients, or returns the one its idempotency key names.
pub(crate) fn enqueue(
    conn: &Connection,
    msg: &NewMessage,
    now: Timestamp,
) -> Result<MessageRecord, Error> {
    let id = enqueue_only(conn, msg, now)?;
    load_message(conn, &id)
}

/// [`enqueue`] without reading the message back: its id. (A campaign queues thousands.)
pub(crate) fn enqueue_only(
    conn: &Connection,
    msg: &NewMessage,
    now: Timestamp,
) -> Result<String, Error> {
    if msg.recipients.is_empty() {
        return Err(Error::Invalid(
            "a message needs at least one recipient".into(),
        ));
    }
    if msg.max_attempts == 0 {
        return Err(Error::Invalid("max_attempts must be at least 1".into()));
    }
    let fingerprint = msg.fingerprint();
    if let Some(key) = &msg.idempotency_key {
        let existing: Option<(String, String)> = conn
            .prepare_cached(
                "SELECT id, fingerprint FROM outbound_messages WHERE idempotency_key = ?1",
            )?
            .query_row([key], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        if let Some((id, fp)) = existing {
            if fp == fingerprint {
                return Ok(id);
            }
            return Err(Error::Conflict {
                key: key.clone(),
                existing_id: id,
            });
        }
    }
    if !msg.transactional {
        // Checked here, under every way a message is queued, so no path can text a number that
        // said STOP.
        for number in &msg.recipients {
            if consent::opted_out(conn, number)? {
                return Err(Error::OptedOut {
                    number: number.clone(),
                });
            }
        }
    }
    let now_ms = ms(now);
    let send_at = msg.send_at.map(ms).unwrap_or(now_ms);
    let expires_at = msg.ttl.map(|d| {
        let ttl = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        // Capped at the latest representable time: a larger value (a `ttl` of u64::MAX seconds
        // from the API) could not be read back, and every claim that reached the row failed.
        send_at
            .max(now_ms)
            .saturating_add(ttl)
            .min(Timestamp::MAX.as_second().saturating_mul(1000))
    });
    let id = new_id("msg_", now_ms);
    conn.prepare_cached(
        "INSERT INTO outbound_messages (id, idempotency_key, fingerprint, body, priority, send_at, \
         expires_at, max_attempts, modem, created_by, state, created_at, updated_at, status_report, \
         origin, transactional, campaign) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12, ?13, ?14, ?15, ?16)",
    )?
    .execute(params![
        id,
        msg.idempotency_key,
        fingerprint,
        msg.body,
        msg.priority,
        send_at,
        expires_at,
        msg.max_attempts,
        msg.modem,
        msg.created_by,
        State::Queued,
        now_ms,
        msg.status_report,
        msg.origin,
        msg.transactional,
        msg.campaign,
    ])?;
    let mut stmt = conn.prepare_cached(
        "INSERT INTO outbound_recipients (message_id, idx, number, state, next_attempt_at, \
         created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
    )?;
    for (idx, number) in msg.recipients.iter().enumerate() {
        stmt.execute(params![
            id,
            idx as i64,
            number,
            State::Queued,
            send_at,
            now_ms
        ])?;
        conversations::on_outbound(conn, number, msg.origin, now)?;
    }
    Ok(id)
}

/// Atomically moves up to `limit` due recipients to `sending`, most urgent first.
pub(crate) fn claim_due(
    conn: &Connection,
    now: Timestamp,
    limit: usize,
    modem: Option<&str>,
) -> Result<Vec<DispatchJob>, Error> {
    let now_ms = ms(now);
    let mut stmt = conn.prepare_cached(
        "SELECT r.id, r.message_id, r.number, m.body, m.priority, r.attempts, m.max_attempts, \
                m.modem, m.expires_at, m.status_report \
         FROM outbound_recipients r JOIN outbound_messages m ON m.id = r.message_id \
         WHERE r.state = 'queued' AND r.next_attempt_at <= ?1 AND m.send_at <= ?1 \
           AND (m.expires_at IS NULL OR m.expires_at > ?1) \
           AND (?2 IS NULL OR m.modem IS NULL OR m.modem = ?2) \
         ORDER BY m.priority DESC, m.seq ASC, r.idx ASC LIMIT ?3",
    )?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut jobs = stmt
        .query_map(params![now_ms, modem, limit], |r| {
            Ok(DispatchJob {
                recipient_id: r.get(0)?,
                message_id: r.get(1)?,
                number: r.get(2)?,
                body: r.get(3)?,
                priority: r.get(4)?,
                attempt: r.get::<_, u32>(5)?.saturating_add(1),
                max_attempts: r.get(6)?,
                modem: r.get(7)?,
                expires_at: opt_ts(r.get(8)?)?,
                status_report: r.get(9)?,
                parts: Vec::new(),
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut claim = conn.prepare_cached(
        "UPDATE outbound_recipients SET state = 'sending', attempts = attempts + 1, \
         updated_at = ?2, error = NULL WHERE id = ?1 AND state = 'queued'",
    )?;
    let mut messages = BTreeSet::new();
    for job in &mut jobs {
        claim.execute(params![job.recipient_id, now_ms])?;
        job.parts = load_parts(conn, job.recipient_id)?;
        messages.insert(job.message_id.clone());
    }
    for id in messages {
        update_rollup(conn, &id, now)?;
    }
    Ok(jobs)
}

fn recipient_state(conn: &Connection, recipient_id: i64) -> Result<(State, String), Error> {
    conn.prepare_cached("SELECT state, message_id FROM outbound_recipients WHERE id = ?1")?
        .query_row([recipient_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("recipient {recipient_id}")))
}

/// Attaches the segmented PDUs to a recipient being sent; parts already stored are kept.
pub(crate) fn add_parts(
    conn: &Connection,
    recipient_id: i64,
    parts: &[NewPart],
) -> Result<Vec<PartRecord>, Error> {
    let (state, _) = recipient_state(conn, recipient_id)?;
    if state != State::Sending {
        return Err(Error::InvalidState {
            from: state,
            to: State::Sending,
        });
    }
    let Some(first) = parts.first() else {
        return Err(Error::Invalid("no parts".into()));
    };
    for p in parts {
        if p.total != first.total || p.seq == 0 || p.seq > p.total {
            return Err(Error::Invalid(format!(
                "part {}/{} does not fit a {}-part message",
                p.seq, p.total, first.total
            )));
        }
    }
    let mut stmt = conn.prepare_cached(
        "INSERT OR IGNORE INTO outbound_parts (recipient_id, seq, total, pdu_hex, state) \
         VALUES (?1, ?2, ?3, ?4, 'pending')",
    )?;
    for p in parts {
        stmt.execute(params![recipient_id, p.seq, p.total, p.pdu_hex])?;
    }
    load_parts(conn, recipient_id)
}

/// Records a part's `+CMGS: <mr>`; the recipient becomes `sent` when no part is pending.
pub(crate) fn record_part_sent(
    conn: &Connection,
    part_id: i64,
    mr: u8,
    modem: &str,
    now: Timestamp,
) -> Result<State, Error> {
    let (part_state, recipient_id): (PartState, i64) = conn
        .prepare_cached("SELECT state, recipient_id FROM outbound_parts WHERE id = ?1")?
        .query_row([part_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("part {part_id}")))?;
    let (state, message_id) = recipient_state(conn, recipient_id)?;
    if state != State::Sending || part_state != PartState::Pending {
        return Err(Error::InvalidState {
            from: state,
            to: State::Sent,
        });
    }
    let now_ms = ms(now);
    conn.prepare_cached(
        "UPDATE outbound_parts SET state = 'sent', mr = ?2, modem = ?3, sent_at = ?4 WHERE id = ?1",
    )?
    .execute(params![part_id, mr, modem, now_ms])?;
    let pending: i64 = conn
        .prepare_cached(
            "SELECT COUNT(*) FROM outbound_parts WHERE recipient_id = ?1 AND state = 'pending'",
        )?
        .query_row([recipient_id], |r| r.get(0))?;
    let new_state = if pending == 0 {
        State::Sent
    } else {
        State::Sending
    };
    conn.prepare_cached(
        "UPDATE outbound_recipients SET modem = ?2, updated_at = ?3, state = ?4, \
         sent_at = CASE WHEN ?4 = 'sent' THEN ?3 ELSE sent_at END WHERE id = ?1",
    )?
    .execute(params![recipient_id, modem, now_ms, new_state])?;
    update_rollup(conn, &message_id, now)?;
    Ok(new_state)
}

/// Records a failed attempt and returns the recipient's new state.
pub(crate) fn record_send_failed(
    conn: &Connection,
    recipient_id: i64,
    class: FailureClass,
    error: &str,
    next_attempt_at: Option<Timestamp>,
    now: Timestamp,
) -> Result<State, Error> {
    let (state, message_id) = recipient_state(conn, recipient_id)?;
    let (attempts, max_attempts): (u32, u32) = conn
        .prepare_cached(
            "SELECT r.attempts, m.max_attempts FROM outbound_recipients r \
             JOIN outbound_messages m ON m.id = r.message_id WHERE r.id = ?1",
        )?
        .query_row([recipient_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let new_state = match (class, next_attempt_at) {
        (FailureClass::Device, _) => State::Queued,
        (FailureClass::Temporary, Some(_)) if attempts < max_attempts => State::Queued,
        (FailureClass::Unknown, _) => State::Unknown,
        _ => State::Failed,
    };
    if state != State::Sending {
        return Err(Error::InvalidState {
            from: state,
            to: new_state,
        });
    }
    let now_ms = ms(now);
    let next = next_attempt_at.map(ms).unwrap_or(now_ms);
    let uncounted = i64::from(class == FailureClass::Device);
    conn.prepare_cached(
        "UPDATE outbound_recipients SET state = ?2, error = ?3, updated_at = ?4, \
         next_attempt_at = CASE WHEN ?2 = 'queued' THEN ?5 ELSE next_attempt_at END, \
         attempts = MAX(attempts - ?6, 0) WHERE id = ?1",
    )?
    .execute(params![
        recipient_id,
        new_state,
        error,
        now_ms,
        next,
        uncounted
    ])?;
    update_rollup(conn, &message_id, now)?;
    Ok(new_state)
}

/// Moves every queued recipient whose message expired to `expired`; returns the messages touched.
pub(crate) fn expire_due(conn: &Connection, now: Timestamp) -> Result<Vec<String>, Error> {
    let now_ms = ms(now);
    let mut stmt = conn.prepare_cached(
        // A message with a queued recipient rolls up to `queued` or
        // `sending`, which the partial index on expires_at covers.
        "SELECT r.id, r.message_id FROM outbound_messages m \
         JOIN outbound_recipients r ON r.message_id = m.id \
         WHERE m.state IN ('queued', 'sending') AND m.expires_at <= ?1 AND r.state = 'queued'",
    )?;
    let rows = stmt
        .query_map([now_ms], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut upd = conn.prepare_cached(
        "UPDATE outbound_recipients SET state = 'expired', error = 'ttl expired', \
         updated_at = ?2 WHERE id = ?1",
    )?;
    let mut messages = BTreeSet::new();
    for (rid, mid) in rows {
        upd.execute(params![rid, now_ms])?;
        messages.insert(mid);
    }
    for id in &messages {
        update_rollup(conn, id, now)?;
    }
    Ok(messages.into_iter().collect())
}

/// Cancels every recipient still queued; an error when none is.
pub(crate) fn cancel(conn: &Connection, id: &str, now: Timestamp) -> Result<MessageRecord, Error> {
    let msg = load_message(conn, id)?;
    let changed = conn
        .prepare_cached(
            "UPDATE outbound_recipients SET state = 'cancelled', updated_at = ?2 \
             WHERE message_id = ?1 AND state = 'queued'",
        )?
        .execute(params![id, ms(now)])?;
    if changed == 0 {
        return Err(Error::InvalidState {
            from: msg.state,
            to: State::Cancelled,
        });
    }
    update_rollup(conn, id, now)?;
    load_message(conn, id)
}

/// An operator's decision on an `unknown` recipient: resend it now, or give it up as `failed`.
pub(crate) fn resolve_unknown(
    conn: &Connection,
    recipient_id: i64,
    resend: bool,
    now: Timestamp,
) -> Result<State, Error> {
    let (state, message_id) = recipient_state(conn, recipient_id)?;
    let to = if resend { State::Queued } else { State::Failed };
    if state != State::Unknown {
        return Err(Error::InvalidState { from: state, to });
    }
    let now_ms = ms(now);
    if resend {
        // Parts whose fate is unknown go out again; parts the network accepted do not.
        conn.prepare_cached(
            "UPDATE outbound_recipients SET state = 'queued', next_attempt_at = ?2, \
             updated_at = ?2 WHERE id = ?1",
        )?
        .execute(params![recipient_id, now_ms])?;
    } else {
        conn.prepare_cached(
            "UPDATE outbound_recipients SET state = 'failed', updated_at = ?2, \
             error = COALESCE(error || '; ', '') || 'given up after an unknown outcome' \
             WHERE id = ?1",
        )?
        .execute(params![recipient_id, now_ms])?;
    }
    update_rollup(conn, &message_id, now)?;
    Ok(to)
}

/// At start: whatever was being sent when the process stopped is `unknown`, never resent blindly.
pub(crate) fn recover(
    conn: &Connection,
    now: Timestamp,
    interrupted: &dyn Fn(&Tx<'_>, &Interrupted) -> Result<(), Error>,
) -> Result<usize, Error> {
    let mut stmt = conn.prepare(
        "SELECT message_id, id, number FROM outbound_recipients WHERE state = 'sending'",
    )?;
    let found = stmt
        .query_map([], |r| {
            Ok(Interrupted {
                message_id: r.get(0)?,
                recipient_id: r.get(1)?,
                number: r.get(2)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let n = conn.execute(
        "UPDATE outbound_recipients SET state = 'unknown', updated_at = ?1, \
         error = ?2 WHERE state = 'sending'",
        params![ms(now), INTERRUPTED],
    )?;
    let mut messages: Vec<&str> = found.iter().map(|r| r.message_id.as_str()).collect();
    messages.sort_unstable();
    messages.dedup();
    for id in messages {
        update_rollup(conn, id, now)?;
    }
    let tx = Tx { conn };
    for r in &found {
        interrupted(&tx, r)?;
    }
    Ok(n)
}

/// One page of messages, newest first, after the message named by `cursor`.
pub(crate) fn list_messages(
    conn: &Connection,
    filter: &MessageFilter,
    cursor: Option<&str>,
    limit: usize,
) -> Result<Page<MessageRecord>, Error> {
    let after: Option<i64> = match cursor {
        None => None,
        Some(c) => Some(
            conn.prepare_cached("SELECT seq FROM outbound_messages WHERE id = ?1")?
                .query_row([c], |r| r.get(0))
                .optional()?
                .ok_or_else(|| Error::Invalid(format!("unknown cursor {c:?}")))?,
        ),
    };
    let limit = limit.clamp(1, 1000);
    let mut stmt = conn.prepare_cached(
        "SELECT id FROM outbound_messages WHERE (?1 IS NULL OR state = ?1) \
         AND (?2 IS NULL OR created_by = ?2) AND (?3 IS NULL OR seq < ?3) \
         ORDER BY seq DESC LIMIT ?4",
    )?;
    let ids = stmt
        .query_map(
            params![filter.state, filter.created_by, after, (limit + 1) as i64],
            |r| r.get::<_, String>(0),
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let more = ids.len() > limit;
    let mut items = Vec::with_capacity(limit);
    for id in ids.iter().take(limit) {
        items.push(load_message(conn, id)?);
    }
    let next_cursor = if more {
        items.last().map(|m| m.id.clone())
    } else {
        None
    };
    Ok(Page { items, next_cursor })
}
