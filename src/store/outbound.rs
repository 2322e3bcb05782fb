//! Outbound messages: enqueue, claim, send results, expiry, cancel, listing.
//!
//! Every [`Tx`] method here runs inside a transaction the caller owns (the writer's batch, or a
//! read transaction); each [`Store`] method runs one of them in a transaction of its own.

use std::collections::BTreeSet;

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::ids::new_id;
use super::rollup::update_rollup;
use super::types::{
    DispatchJob, Enqueued, FailureClass, MessageFilter, MessageRecord, NewMessage, NewPart, Page,
    PartRecord, PartState, RecipientRecord, State,
};
use super::types::{INTERRUPTED, Interrupted};
use super::{Error, Store, Tx, ms, opt_ts, ts};

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

impl Store {
    /// Accepts a message (or returns the one its idempotency key already names). Resolves after
    /// the commit: the `202` may be sent then.
    pub async fn enqueue(&self, msg: NewMessage, now: Timestamp) -> Result<MessageRecord, Error> {
        self.write(move |tx| tx.enqueue(&msg, now)).await
    }

    /// Atomically moves up to `limit` due recipients to `sending` (priority, then age) and
    /// returns them. With `modem`, only messages pinned to it or to none.
    pub async fn claim_due(
        &self,
        now: Timestamp,
        limit: usize,
        modem: Option<String>,
    ) -> Result<Vec<DispatchJob>, Error> {
        self.write(move |tx| tx.claim_due(now, limit, modem.as_deref()))
            .await
    }

    /// Stores the segmented PDUs of a recipient being sent (parts already stored are kept) and
    /// returns all its parts.
    pub async fn add_parts(
        &self,
        recipient_id: i64,
        parts: Vec<NewPart>,
    ) -> Result<Vec<PartRecord>, Error> {
        self.write(move |tx| tx.add_parts(recipient_id, &parts))
            .await
    }

    /// Records `+CMGS: <mr>` for a part; returns the recipient's state (`sent` once every part is).
    pub async fn record_part_sent(
        &self,
        part_id: i64,
        mr: u8,
        modem: &str,
        now: Timestamp,
    ) -> Result<State, Error> {
        let modem = modem.to_owned();
        self.write(move |tx| tx.record_part_sent(part_id, mr, &modem, now))
            .await
    }

    /// Records a failed attempt: `Temporary` requeues at `next_attempt_at` while attempts remain
    /// (else `failed`), `Permanent` fails, `Unknown` parks it as `unknown`. Returns the new state.
    pub async fn record_send_failed(
        &self,
        recipient_id: i64,
        class: FailureClass,
        error: &str,
        next_attempt_at: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<State, Error> {
        let error = error.to_owned();
        self.write(move |tx| {
            tx.record_send_failed(recipient_id, class, &error, next_attempt_at, now)
        })
        .await
    }

    /// An operator's decision on an `unknown` recipient: `resend` queues it again now (its
    /// pending parts go out again), otherwise it becomes `failed`. Returns the new state.
    pub async fn resolve_unknown(
        &self,
        recipient_id: i64,
        resend: bool,
        now: Timestamp,
    ) -> Result<State, Error> {
        self.write(move |tx| tx.resolve_unknown(recipient_id, resend, now))
            .await
    }

    /// Expires queued recipients whose TTL ran out; returns the ids of the messages touched.
    pub async fn expire_due(&self, now: Timestamp) -> Result<Vec<String>, Error> {
        self.write(move |tx| tx.expire_due(now)).await
    }

    /// Cancels the recipients still queued; [`Error::InvalidState`] when none is.
    pub async fn cancel(&self, id: &str, now: Timestamp) -> Result<MessageRecord, Error> {
        let id = id.to_owned();
        self.write(move |tx| tx.cancel(&id, now)).await
    }

    /// One message with its recipients and parts.
    pub async fn get_message(&self, id: &str) -> Result<MessageRecord, Error> {
        let id = id.to_owned();
        self.read(move |tx| tx.get_message(&id)).await
    }

    /// Messages newest first; pass the returned `next_cursor` to get the next page.
    pub async fn list_messages(
        &self,
        filter: MessageFilter,
        cursor: Option<String>,
        limit: usize,
    ) -> Result<Page<MessageRecord>, Error> {
        self.read(move |tx| tx.list_messages(&filter, cursor.as_deref(), limit))
            .await
    }
}

impl Tx<'_> {
    /// One message with its recipients and parts.
    ///
    /// See [`Store::get_message`](super::Store::get_message) (sees this transaction's writes).
    pub fn get_message(&self, id: &str) -> Result<MessageRecord, Error> {
        let mut msg = self
            .conn
            .prepare_cached(&format!(
                "SELECT {MSG_COLS} FROM outbound_messages WHERE id = ?1"
            ))?
            .query_row([id], message_row)
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("message {id}")))?;
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {RCPT_COLS} FROM outbound_recipients WHERE message_id = ?1"
        ))?;
        let mut recipients = stmt
            .query_map([id], recipient_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        recipients.sort_by_key(|r| r.index);
        for r in &mut recipients {
            r.parts = load_parts(self.conn, r.id)?;
        }
        msg.recipients = recipients;
        Ok(msg)
    }

    /// Inserts a message and its recipients, or returns the one its idempotency key names.
    ///
    /// See [`Store::enqueue`](super::Store::enqueue).
    pub fn enqueue(&self, msg: &NewMessage, now: Timestamp) -> Result<MessageRecord, Error> {
        self.enqueue_or_get(msg, now).map(Enqueued::into_record)
    }

    /// [`Tx::enqueue`], saying whether this call created the message or its idempotency key named
    /// one created earlier: only the store knows which, so a caller that answers differently
    /// (the API: `202` or `200`) asks it here instead of guessing.
    pub fn enqueue_or_get(&self, msg: &NewMessage, now: Timestamp) -> Result<Enqueued, Error> {
        let (id, created) = self.enqueue_only(msg, now)?;
        let record = self.get_message(&id)?;
        Ok(if created {
            Enqueued::New(record)
        } else {
            Enqueued::Existing(record)
        })
    }

    /// [`Tx::enqueue`] without reading the message back: its id, and whether this call created
    /// it. (A campaign queues thousands.)
    pub(crate) fn enqueue_only(
        &self,
        msg: &NewMessage,
        now: Timestamp,
    ) -> Result<(String, bool), Error> {
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
            let existing: Option<(String, String)> = self
                .conn
                .prepare_cached(
                    "SELECT id, fingerprint FROM outbound_messages WHERE idempotency_key = ?1",
                )?
                .query_row([key], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            if let Some((id, fp)) = existing {
                if fp == fingerprint {
                    return Ok((id, false));
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
                if self.opted_out(number)? {
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
        self.conn.prepare_cached(
            "INSERT INTO outbound_messages (id, idempotency_key, fingerprint, body, priority, send_at, \
             expires_at, max_attempts, modem, created_by, state, created_at, updated_at, status_report, \
             origin, transactional, campaign, ucs2) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12, ?13, ?14, ?15, ?16, ?17)",
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
            msg.ucs2,
        ])?;
        let mut stmt = self.conn.prepare_cached(
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
            self.conversation_outbound(number, msg.origin, now)?;
        }
        Ok((id, true))
    }

    /// Atomically moves up to `limit` due recipients to `sending`, most urgent first.
    ///
    /// See [`Store::claim_due`](super::Store::claim_due). The cost does not grow with the queue:
    /// recipients whose time came are made ready (at most [`PROMOTE_BATCH`] a claim, most urgent
    /// first), then the first `limit` ready entries of the modem's pin and of the unpinned are
    /// read off `outbound_queue_next` and merged ([`CLAIM_SQL`]).
    pub fn claim_due(
        &self,
        now: Timestamp,
        limit: usize,
        modem: Option<&str>,
    ) -> Result<Vec<DispatchJob>, Error> {
        let now_ms = ms(now);
        self.promote(now_ms)?;
        let pins = match modem {
            Some(m) => vec![String::new(), m.to_owned()],
            None => self.ready_pins()?,
        };
        let limit_sql = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut next = self.conn.prepare_cached(CLAIM_SQL)?;
        let mut picked: Vec<(i64, i64, i64, i64)> = Vec::new();
        for pin in &pins {
            let rows = next.query_map(params![pin, now_ms, limit_sql], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?;
            for row in rows {
                picked.push(row?);
            }
        }
        // (recipient, priority, msg_seq, idx): priority first, then age.
        picked.sort_by_key(|&(_, priority, seq, idx)| (std::cmp::Reverse(priority), seq, idx));
        picked.truncate(limit);
        let mut job_stmt = self.conn.prepare_cached(
            "SELECT r.id, r.message_id, r.number, m.body, m.priority, r.attempts, m.max_attempts, \
                    m.modem, m.expires_at, m.status_report, m.ucs2 \
             FROM outbound_recipients r JOIN outbound_messages m ON m.id = r.message_id \
             WHERE r.id = ?1",
        )?;
        let mut jobs = Vec::with_capacity(picked.len());
        for (recipient_id, ..) in picked {
            jobs.push(job_stmt.query_row([recipient_id], |r| {
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
                    ucs2: r.get(10)?,
                    parts: Vec::new(),
                })
            })?);
        }
        let mut claim = self.conn.prepare_cached(
            "UPDATE outbound_recipients SET state = 'sending', attempts = attempts + 1, \
             updated_at = ?2, error = NULL WHERE id = ?1 AND state = 'queued'",
        )?;
        let mut messages = BTreeSet::new();
        for job in &mut jobs {
            claim.execute(params![job.recipient_id, now_ms])?;
            job.parts = load_parts(self.conn, job.recipient_id)?;
            messages.insert(job.message_id.clone());
        }
        for id in messages {
            update_rollup(self.conn, &id, now)?;
        }
        Ok(jobs)
    }

    /// Makes ready up to [`PROMOTE_BATCH`] waiting recipients whose time came: the highest
    /// priority first (one seek per priority present among the waiting), oldest due first
    /// within it. A scheduled campaign coming due all at once so never hides a reply or a retry
    /// of higher priority that comes due after it.
    fn promote(&self, now_ms: i64) -> Result<(), Error> {
        let mut next_priority = self.conn.prepare_cached(NEXT_PRIORITY_SQL)?;
        let mut promote = self.conn.prepare_cached(PROMOTE_SQL)?;
        let mut budget = PROMOTE_BATCH;
        let mut below = i64::MAX;
        // Priorities are i32: i64::MAX is above every one.
        while budget > 0 {
            let Some(priority) = next_priority
                .query_row([below], |r| r.get::<_, i64>(0))
                .optional()?
            else {
                break;
            };
            let n = promote.execute(params![priority, now_ms, budget])?;
            budget -= i64::try_from(n).unwrap_or(budget);
            below = priority;
        }
        Ok(())
    }

    /// The pins (modem names, `''` for any) that have a ready recipient, each found by one seek.
    fn ready_pins(&self) -> Result<Vec<String>, Error> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT pin FROM outbound_queue WHERE ready = 1 AND pin > ?1 ORDER BY pin LIMIT 1",
        )?;
        let mut pins = Vec::new();
        let mut after = String::new();
        // '' sorts first and `pin > ''` skips it: look for it on its own.
        let any: Option<String> = self
            .conn
            .prepare_cached("SELECT pin FROM outbound_queue WHERE ready = 1 AND pin = '' LIMIT 1")?
            .query_row([], |r| r.get(0))
            .optional()?;
        pins.extend(any);
        while let Some(pin) = stmt
            .query_row([&after], |r| r.get::<_, String>(0))
            .optional()?
        {
            after.clone_from(&pin);
            pins.push(pin);
        }
        Ok(pins)
    }

    /// Attaches the segmented PDUs to a recipient being sent; parts already stored are kept.
    ///
    /// See [`Store::add_parts`](super::Store::add_parts).
    pub fn add_parts(
        &self,
        recipient_id: i64,
        parts: &[NewPart],
    ) -> Result<Vec<PartRecord>, Error> {
        let (state, _) = recipient_state(self.conn, recipient_id)?;
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
        let mut stmt = self.conn.prepare_cached(
            "INSERT OR IGNORE INTO outbound_parts (recipient_id, seq, total, pdu_hex, state) \
             VALUES (?1, ?2, ?3, ?4, 'pending')",
        )?;
        for p in parts {
            stmt.execute(params![recipient_id, p.seq, p.total, p.pdu_hex])?;
        }
        load_parts(self.conn, recipient_id)
    }

    /// Records a part's `+CMGS: <mr>`; the recipient becomes `sent` when no part is pending.
    ///
    /// See [`Store::record_part_sent`](super::Store::record_part_sent).
    pub fn record_part_sent(
        &self,
        part_id: i64,
        mr: u8,
        modem: &str,
        now: Timestamp,
    ) -> Result<State, Error> {
        let (part_state, recipient_id): (PartState, i64) = self
            .conn
            .prepare_cached("SELECT state, recipient_id FROM outbound_parts WHERE id = ?1")?
            .query_row([part_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("part {part_id}")))?;
        let (state, message_id) = recipient_state(self.conn, recipient_id)?;
        if state != State::Sending || part_state != PartState::Pending {
            return Err(Error::InvalidState {
                from: state,
                to: State::Sent,
            });
        }
        let now_ms = ms(now);
        self.conn.prepare_cached(
            "UPDATE outbound_parts SET state = 'sent', mr = ?2, modem = ?3, sent_at = ?4 WHERE id = ?1",
        )?
        .execute(params![part_id, mr, modem, now_ms])?;
        let pending: i64 = self
            .conn
            .prepare_cached(
                "SELECT COUNT(*) FROM outbound_parts WHERE recipient_id = ?1 AND state = 'pending'",
            )?
            .query_row([recipient_id], |r| r.get(0))?;
        let new_state = if pending == 0 {
            State::Sent
        } else {
            State::Sending
        };
        self.conn
            .prepare_cached(
                "UPDATE outbound_recipients SET modem = ?2, updated_at = ?3, state = ?4, \
             sent_at = CASE WHEN ?4 = 'sent' THEN ?3 ELSE sent_at END WHERE id = ?1",
            )?
            .execute(params![recipient_id, modem, now_ms, new_state])?;
        update_rollup(self.conn, &message_id, now)?;
        Ok(new_state)
    }

    /// Records a failed attempt and returns the recipient's new state.
    ///
    /// See [`Store::record_send_failed`](super::Store::record_send_failed).
    pub fn record_send_failed(
        &self,
        recipient_id: i64,
        class: FailureClass,
        error: &str,
        next_attempt_at: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<State, Error> {
        let (state, message_id) = recipient_state(self.conn, recipient_id)?;
        let (attempts, max_attempts): (u32, u32) = self
            .conn
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
        self.conn
            .prepare_cached(
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
        update_rollup(self.conn, &message_id, now)?;
        Ok(new_state)
    }

    /// Moves every queued recipient whose message expired to `expired`; returns the messages touched.
    ///
    /// See [`Store::expire_due`](super::Store::expire_due).
    pub fn expire_due(&self, now: Timestamp) -> Result<Vec<String>, Error> {
        Ok(self.expire_due_recipients(now)?.0)
    }

    /// [`Tx::expire_due`], also returning the recipient rows it expired.
    pub fn expire_due_recipients(&self, now: Timestamp) -> Result<(Vec<String>, Vec<i64>), Error> {
        let now_ms = ms(now);
        let mut stmt = self.conn.prepare_cached(
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
        let mut upd = self.conn.prepare_cached(
            "UPDATE outbound_recipients SET state = 'expired', error = 'ttl expired', \
             updated_at = ?2 WHERE id = ?1",
        )?;
        let mut messages = BTreeSet::new();
        let mut recipients = Vec::with_capacity(rows.len());
        for (rid, mid) in rows {
            upd.execute(params![rid, now_ms])?;
            messages.insert(mid);
            recipients.push(rid);
        }
        for id in &messages {
            update_rollup(self.conn, id, now)?;
        }
        Ok((messages.into_iter().collect(), recipients))
    }

    /// Cancels every recipient still queued; an error when none is.
    ///
    /// See [`Store::cancel`](super::Store::cancel).
    pub fn cancel(&self, id: &str, now: Timestamp) -> Result<MessageRecord, Error> {
        let msg = self.get_message(id)?;
        let changed = self
            .conn
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
        update_rollup(self.conn, id, now)?;
        self.get_message(id)
    }

    /// An operator's decision on an `unknown` recipient: resend it now, or give it up as `failed`.
    ///
    /// See [`Store::resolve_unknown`](super::Store::resolve_unknown).
    pub fn resolve_unknown(
        &self,
        recipient_id: i64,
        resend: bool,
        now: Timestamp,
    ) -> Result<State, Error> {
        let (state, message_id) = recipient_state(self.conn, recipient_id)?;
        let to = if resend { State::Queued } else { State::Failed };
        if state != State::Unknown {
            return Err(Error::InvalidState { from: state, to });
        }
        let now_ms = ms(now);
        if resend {
            // Parts whose fate is unknown go out again; parts the network accepted do not.
            self.conn
                .prepare_cached(
                    "UPDATE outbound_recipients SET state = 'queued', next_attempt_at = ?2, \
                 updated_at = ?2 WHERE id = ?1",
                )?
                .execute(params![recipient_id, now_ms])?;
        } else {
            self.conn
                .prepare_cached(
                    "UPDATE outbound_recipients SET state = 'failed', updated_at = ?2, \
                 error = COALESCE(error || '; ', '') || 'given up after an unknown outcome' \
                 WHERE id = ?1",
                )?
                .execute(params![recipient_id, now_ms])?;
        }
        update_rollup(self.conn, &message_id, now)?;
        Ok(to)
    }

    /// At start: whatever was being sent when the process stopped is `unknown`, never resent blindly.
    pub(crate) fn recover(
        &self,
        now: Timestamp,
        interrupted: &dyn Fn(&Tx<'_>, &Interrupted) -> Result<(), Error>,
    ) -> Result<usize, Error> {
        let mut stmt = self.conn.prepare(
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
        let n = self.conn.execute(
            "UPDATE outbound_recipients SET state = 'unknown', updated_at = ?1, \
             error = ?2 WHERE state = 'sending'",
            params![ms(now), INTERRUPTED],
        )?;
        let mut messages: Vec<&str> = found.iter().map(|r| r.message_id.as_str()).collect();
        messages.sort_unstable();
        messages.dedup();
        for id in messages {
            update_rollup(self.conn, id, now)?;
        }
        for r in &found {
            interrupted(self, r)?;
        }
        Ok(n)
    }

    /// One page of messages, newest first, after the message named by `cursor`: one query
    /// along an index ([`list_sql`]), whatever the filter.
    fn list_messages(
        &self,
        filter: &MessageFilter,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page<MessageRecord>, Error> {
        let limit = limit.clamp(1, 1000);
        let by_number = filter.to.is_some();
        // Keyset positions: message seq, or recipient id when walking a number's recipients
        // (its messages in the same order).
        let before: Option<i64> = match cursor {
            None => None,
            Some(c) => Some(
                self.conn
                    .prepare_cached(if by_number {
                        "SELECT MIN(r.id) FROM outbound_messages m \
                         JOIN outbound_recipients r ON r.message_id = m.id WHERE m.id = ?1"
                    } else {
                        "SELECT seq FROM outbound_messages WHERE id = ?1"
                    })?
                    .query_row([c], |r| r.get::<_, Option<i64>>(0))
                    .optional()?
                    .flatten()
                    .ok_or_else(|| Error::Invalid(format!("unknown cursor {c:?}")))?,
            ),
        };
        let from = match filter.since {
            None => None,
            Some(since) => {
                // The last row created before `since` minus the slack: every row stored before
                // it was created before `since` (SINCE_SLACK_MS), so the walk stops there.
                let last_before: Option<i64> = self
                    .conn
                    .prepare_cached(if by_number {
                        "SELECT id FROM outbound_recipients WHERE created_at < ?1 \
                         ORDER BY created_at DESC, id DESC LIMIT 1"
                    } else {
                        "SELECT seq FROM outbound_messages WHERE created_at < ?1 \
                         ORDER BY created_at DESC, seq DESC LIMIT 1"
                    })?
                    .query_row([ms(since).saturating_sub(SINCE_SLACK_MS)], |r| r.get(0))
                    .optional()?;
                Some((last_before.map_or(0, |k| k + 1), ms(since)))
            }
        };
        let sql = list_sql(filter, before.is_some(), from.is_some());
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut args: Vec<rusqlite::types::Value> = Vec::new();
        if let Some(to) = &filter.to {
            args.push(to.clone().into());
        }
        if let Some(state) = filter.state {
            args.push(state.as_str().to_owned().into());
        }
        if let Some(by) = &filter.created_by {
            args.push(by.clone().into());
        }
        push_keyset(&mut args, before, from, limit);
        let rows = stmt
            .query_map(rusqlite::params_from_iter(args), |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let more = rows.len() > limit;
        let mut ids: Vec<String> = Vec::with_capacity(limit);
        for id in rows.into_iter().take(limit) {
            // A number twice in one message: the message once.
            if ids.last() != Some(&id) {
                ids.push(id);
            }
        }
        let mut items = Vec::with_capacity(ids.len());
        for id in &ids {
            items.push(self.get_message(id)?);
        }
        let next_cursor = if more {
            items.last().map(|m| m.id.clone())
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }
}

/// Appends a listing's trailing parameters (see [`list_sql`]): the cursor's position, the
/// `since` bound and time, and one more row than the page holds (to tell whether more follow).
pub(crate) fn push_keyset(
    args: &mut Vec<rusqlite::types::Value>,
    before: Option<i64>,
    since: Option<(i64, i64)>,
    limit: usize,
) {
    if let Some(b) = before {
        args.push(b.into());
    }
    if let Some((first, at)) = since {
        args.push(first.into());
        args.push(at.into());
    }
    args.push(((limit + 1) as i64).into());
}

/// How far out of order creation times may be among stored rows: a campaign stamps its messages
/// with the time it was asked for and writes them over the seconds after, while other messages
/// commit between its chunks. A `since` walk stops at the last row created before `since` minus
/// this (and filters on the time itself): every row stored before that one was created before
/// `since`, as long as no two rows are further out of order than this.
pub(crate) const SINCE_SLACK_MS: i64 = 5 * 60 * 1000;

/// The listing's statement for the filters present: a parameter per present filter, in the
/// order `to`, `state`, `created_by`, the cursor's position, the first position at or after
/// `since` and `since` itself, then the limit. A missing filter is left out of the text rather
/// than written `?n IS NULL OR ...`, which would keep SQLite from using its index.
///
/// With `to`, the number's recipients are walked newest first on `outbound_recipients_number_id`
/// (recipient ids grow with message seqs); else the messages on their seq, or on
/// `outbound_messages_state` with a state. `since` bounds the walk from below at the first row
/// created at or after it, so the walk stops there.
pub(crate) fn list_sql(filter: &MessageFilter, cursor: bool, since: bool) -> String {
    let mut sql = String::from("SELECT m.id FROM ");
    let mut cond: Vec<&str> = Vec::new();
    let key = if filter.to.is_some() {
        sql.push_str(
            "outbound_recipients r INDEXED BY outbound_recipients_number_id \
             JOIN outbound_messages m ON m.id = r.message_id",
        );
        cond.push("r.number = ?");
        "r.id"
    } else {
        sql.push_str("outbound_messages m");
        "m.seq"
    };
    if filter.state.is_some() {
        cond.push("m.state = ?");
    }
    if filter.created_by.is_some() {
        cond.push("m.created_by = ?");
    }
    let before = format!("{key} < ?");
    if cursor {
        cond.push(&before);
    }
    let after = format!("{key} >= ? AND m.created_at >= ?");
    if since {
        cond.push(&after);
    }
    if !cond.is_empty() {
        sql.push_str(" WHERE ");
        sql.push_str(&cond.join(" AND "));
    }
    sql.push_str(&format!(" ORDER BY {key} DESC LIMIT ?"));
    sql
}

/// The highest priority below `?1` among the recipients waiting for their time.
const NEXT_PRIORITY_SQL: &str = "SELECT priority FROM outbound_queue WHERE ready = 0 \
     AND priority < ?1 ORDER BY priority DESC LIMIT 1";

/// Recipients of one priority waiting for their time made ready once it came, oldest due first.
const PROMOTE_SQL: &str = "UPDATE outbound_queue SET ready = 1 WHERE recipient_id IN \
     (SELECT recipient_id FROM outbound_queue WHERE ready = 0 AND priority = ?1 \
      AND due_at <= ?2 ORDER BY due_at LIMIT ?3)";

/// At most this many recipients made ready by one claim, so the claim after a scheduled
/// campaign's hour stays short; the rest follow on the next claims.
pub(crate) const PROMOTE_BATCH: i64 = 1000;

/// The first ready recipients of one pin, most urgent first: a seek into `outbound_queue_next`
/// and a walk along it. The time and expiry checks only pass over entries the expiry sweep and
/// the clock have not yet caught up with.
pub(crate) const CLAIM_SQL: &str = "SELECT recipient_id, priority, msg_seq, idx \
     FROM outbound_queue WHERE ready = 1 AND pin = ?1 \
       AND due_at <= ?2 AND (expires_at IS NULL OR expires_at > ?2) \
     ORDER BY priority DESC, msg_seq, idx LIMIT ?3";

fn recipient_state(conn: &Connection, recipient_id: i64) -> Result<(State, String), Error> {
    conn.prepare_cached("SELECT state, message_id FROM outbound_recipients WHERE id = ?1")?
        .query_row([recipient_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("recipient {recipient_id}")))
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::{CLAIM_SQL, NEXT_PRIORITY_SQL, PROMOTE_SQL};

    fn plan(sql: &str, params: impl rusqlite::Params) -> Vec<String> {
        let mut conn = Connection::open_in_memory().unwrap();
        super::super::migrate::migrate(&mut conn).unwrap();
        conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .unwrap()
            .query_map(params, |r| r.get::<_, String>(3))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    #[test]
    fn claiming_seeks_the_queue_instead_of_sorting_it() {
        // (name, statement, the index it must search)
        let cases = [
            (
                "next ready recipients of a pin",
                plan(CLAIM_SQL, rusqlite::params!["m1", 0, 1]),
                "outbound_queue_next",
            ),
            (
                "recipients whose time came",
                plan(PROMOTE_SQL, rusqlite::params![0, 0, 1000]),
                "outbound_queue_promote",
            ),
            (
                "the next priority with waiting recipients",
                plan(NEXT_PRIORITY_SQL, rusqlite::params![i64::MAX]),
                "outbound_queue_promote",
            ),
        ];
        for (name, plan, index) in cases {
            assert!(
                plan.iter()
                    .any(|p| p.starts_with("SEARCH") && p.contains(index)),
                "{name}: {plan:?}"
            );
            assert!(
                !plan.iter().any(|p| p.contains("TEMP B-TREE")),
                "{name}: {plan:?}"
            );
            assert!(
                !plan.iter().any(|p| p.starts_with("SCAN")),
                "{name}: {plan:?}"
            );
        }
    }
}

#[cfg(test)]
mod list_tests {
    use rusqlite::Connection;

    use super::super::inbound::inbound_list_sql;
    use super::list_sql;
    use crate::store::{MessageFilter, State};

    fn plan(conn: &Connection, sql: &str) -> Vec<String> {
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let n = stmt.parameter_count();
        stmt.query_map(rusqlite::params_from_iter(vec![0i64; n]), |r| {
            r.get::<_, String>(3)
        })
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
    }

    #[test]
    fn every_listing_filter_walks_an_index_without_sorting() {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::store::migrate::migrate(&mut conn).unwrap();
        for to in [false, true] {
            for state in [false, true] {
                for cursor in [false, true] {
                    for since in [false, true] {
                        let filter = MessageFilter {
                            to: to.then(|| "+819012345678".into()),
                            state: state.then_some(State::Queued),
                            ..MessageFilter::default()
                        };
                        let plan = plan(&conn, &list_sql(&filter, cursor, since));
                        let name = format!("to {to} state {state} cursor {cursor} since {since}");
                        assert!(
                            !plan.iter().any(|p| p.contains("TEMP B-TREE")),
                            "{name}: {plan:?}"
                        );
                        let want = if to {
                            "SEARCH r USING INDEX outbound_recipients_number_id"
                        } else if state {
                            "SEARCH m USING INDEX outbound_messages_state"
                        } else if cursor || since {
                            "SEARCH m USING INTEGER PRIMARY KEY"
                        } else {
                            // The newest first along the table itself, up to the limit.
                            "SCAN m"
                        };
                        assert!(plan.iter().any(|p| p.starts_with(want)), "{name}: {plan:?}");
                        assert!(
                            !plan.iter().any(|p| p.starts_with("SCAN r")),
                            "{name}: {plan:?}"
                        );
                    }
                }
            }
        }
        for from in [false, true] {
            for cursor in [false, true] {
                for since in [false, true] {
                    let plan = plan(&conn, &inbound_list_sql(from, cursor, since));
                    let name = format!("from {from} cursor {cursor} since {since}");
                    assert!(
                        !plan.iter().any(|p| p.contains("TEMP B-TREE")),
                        "{name}: {plan:?}"
                    );
                    if from {
                        assert!(
                            plan.iter()
                                .any(|p| p.contains("inbound_messages_sender_seq")),
                            "{name}: {plan:?}"
                        );
                    }
                }
            }
        }
    }
}
