//! Inbound parts and their reassembly. A part is committed before the modem deletes it from the
//! SIM; parts wait in the store, so reassembly survives a restart.

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::ids::new_id;
use super::types::{
    InboundMessage, InboundOutcome, MessageRecord, NewEvent, NewInboundPart, NewMessage, Page,
};
use super::{Error, ms, opt_ts, ts};
use super::{events, outbound};

const IN_COLS: &str = "id, modem, sender, reference, total, parts, complete, text, smsc_at, \
                       first_received_at, completed_at, processed_at";

fn inbound_row(row: &Row<'_>) -> rusqlite::Result<InboundMessage> {
    Ok(InboundMessage {
        id: row.get(0)?,
        modem: row.get(1)?,
        sender: row.get(2)?,
        reference: row.get(3)?,
        total: row.get(4)?,
        parts: row.get(5)?,
        complete: row.get(6)?,
        text: row.get(7)?,
        smsc_at: opt_ts(row.get(8)?)?,
        first_received_at: ts(row.get(9)?)?,
        completed_at: ts(row.get(10)?)?,
        processed_at: opt_ts(row.get(11)?)?,
    })
}

/// The key of a concatenated message: (modem, sender, reference, total).
struct GroupKey {
    modem: String,
    sender: String,
    reference: u16,
    total: u8,
}

/// Stores a part once; assembles the message when its last part arrives.
pub(crate) fn insert_part(
    conn: &Connection,
    p: &NewInboundPart,
    now: Timestamp,
) -> Result<InboundOutcome, Error> {
    if p.total == 0 || p.seq == 0 || p.seq > p.total {
        return Err(Error::Invalid(format!(
            "inbound part {}/{} is out of range",
            p.seq, p.total
        )));
    }
    let inserted = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO inbound_parts (modem, sender, reference, total, seq, pdu_hex, \
             text, smsc_at, received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?
        .execute(params![
            p.modem,
            p.sender,
            p.reference,
            p.total,
            p.seq,
            p.pdu_hex,
            p.text,
            p.smsc_at.map(ms),
            ms(now),
        ])?;
    if inserted == 0 {
        return Ok(InboundOutcome::Duplicate);
    }
    let have: i64 = conn
        .prepare_cached(
            "SELECT COUNT(DISTINCT seq) FROM inbound_parts WHERE modem = ?1 AND sender = ?2 \
             AND reference = ?3 AND total = ?4 AND message_id IS NULL",
        )?
        .query_row(params![p.modem, p.sender, p.reference, p.total], |r| {
            r.get(0)
        })?;
    if have < i64::from(p.total) {
        return Ok(InboundOutcome::Stored);
    }
    let key = GroupKey {
        modem: p.modem.clone(),
        sender: p.sender.clone(),
        reference: p.reference,
        total: p.total,
    };
    assemble(conn, &key, true, now).map(InboundOutcome::Completed)
}

/// Builds a message from the waiting parts of a group (the first stored part of each sequence).
fn assemble(
    conn: &Connection,
    key: &GroupKey,
    complete: bool,
    now: Timestamp,
) -> Result<InboundMessage, Error> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, seq, text, smsc_at, received_at FROM inbound_parts \
         WHERE modem = ?1 AND sender = ?2 AND reference = ?3 AND total = ?4 \
         AND message_id IS NULL ORDER BY seq, id",
    )?;
    let rows = stmt
        .query_map(
            params![key.modem, key.sender, key.reference, key.total],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, u8>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<i64>>(3)?,
                    r.get::<_, i64>(4)?,
                ))
            },
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut chosen = Vec::new();
    let mut text = String::new();
    let mut last_seq = 0u8;
    let mut smsc_at = None;
    let mut first_received = i64::MAX;
    for (id, seq, part_text, smsc, received) in rows {
        if seq == last_seq {
            continue;
        }
        if chosen.is_empty() {
            smsc_at = smsc;
        }
        last_seq = seq;
        chosen.push(id);
        text.push_str(&part_text);
        first_received = first_received.min(received);
    }
    if chosen.is_empty() {
        return Err(Error::NotFound("no waiting inbound parts".into()));
    }
    let now_ms = ms(now);
    let id = new_id("in_", now_ms);
    conn.prepare_cached(
        "INSERT INTO inbound_messages (id, modem, sender, reference, total, parts, complete, \
         text, smsc_at, first_received_at, completed_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        id,
        key.modem,
        key.sender,
        key.reference,
        key.total,
        chosen.len() as i64,
        complete,
        text,
        smsc_at,
        first_received,
        now_ms,
    ])?;
    let mut upd = conn.prepare_cached("UPDATE inbound_parts SET message_id = ?2 WHERE id = ?1")?;
    for part in chosen {
        upd.execute(params![part, id])?;
    }
    get(conn, &id)
}

/// Delivers, marked incomplete, every group whose first waiting part arrived at or before
/// `older_than`.
pub(crate) fn flush_stale(
    conn: &Connection,
    older_than: Timestamp,
    now: Timestamp,
) -> Result<Vec<InboundMessage>, Error> {
    let mut stmt = conn.prepare_cached(
        "SELECT modem, sender, reference, total FROM inbound_parts WHERE message_id IS NULL \
         GROUP BY modem, sender, reference, total HAVING MIN(received_at) <= ?1",
    )?;
    let groups = stmt
        .query_map([ms(older_than)], |r| {
            Ok(GroupKey {
                modem: r.get(0)?,
                sender: r.get(1)?,
                reference: r.get(2)?,
                total: r.get(3)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    groups
        .iter()
        .map(|key| assemble(conn, key, false, now))
        .collect()
}

/// One inbound message.
pub(crate) fn get(conn: &Connection, id: &str) -> Result<InboundMessage, Error> {
    conn.prepare_cached(&format!(
        "SELECT {IN_COLS} FROM inbound_messages WHERE id = ?1"
    ))?
    .query_row([id], inbound_row)
    .optional()?
    .ok_or_else(|| Error::NotFound(format!("inbound message {id}")))
}

/// One page of inbound messages, newest first, after the message named by `cursor`.
pub(crate) fn list(
    conn: &Connection,
    cursor: Option<&str>,
    limit: usize,
) -> Result<Page<InboundMessage>, Error> {
    let after: Option<i64> = match cursor {
        None => None,
        Some(c) => Some(
            conn.prepare_cached("SELECT seq FROM inbound_messages WHERE id = ?1")?
                .query_row([c], |r| r.get(0))
                .optional()?
                .ok_or_else(|| Error::Invalid(format!("unknown cursor {c:?}")))?,
        ),
    };
    let limit = limit.clamp(1, 1000);
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {IN_COLS} FROM inbound_messages WHERE (?1 IS NULL OR seq < ?1) \
         ORDER BY seq DESC LIMIT ?2"
    ))?;
    let mut items = stmt
        .query_map(params![after, (limit + 1) as i64], inbound_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let more = items.len() > limit;
    items.truncate(limit);
    let next_cursor = if more {
        items.last().map(|m| m.id.clone())
    } else {
        None
    };
    Ok(Page { items, next_cursor })
}

/// Completed messages whose processing (rules, replies, webhooks) is not recorded yet, oldest
/// first: after a restart the gateway picks them up again.
pub(crate) fn unprocessed(conn: &Connection, limit: usize) -> Result<Vec<InboundMessage>, Error> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {IN_COLS} FROM inbound_messages WHERE processed_at IS NULL ORDER BY seq LIMIT ?1"
    ))?;
    let items = stmt
        .query_map([i64::try_from(limit).unwrap_or(i64::MAX)], inbound_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(items)
}

/// Marks a message processed, queues its replies and its webhook events, all in one transaction.
pub(crate) fn finish(
    conn: &Connection,
    id: &str,
    replies: &[NewMessage],
    events_: &[NewEvent],
    now: Timestamp,
) -> Result<Vec<MessageRecord>, Error> {
    let msg = get(conn, id)?;
    if msg.processed_at.is_some() {
        return Err(Error::Invalid(format!(
            "inbound message {id} was already processed"
        )));
    }
    conn.prepare_cached("UPDATE inbound_messages SET processed_at = ?2 WHERE id = ?1")?
        .execute(params![id, ms(now)])?;
    let mut queued = Vec::with_capacity(replies.len());
    for reply in replies {
        queued.push(outbound::enqueue(conn, reply, now)?);
    }
    for e in events_ {
        events::enqueue(conn, &e.endpoint, &e.kind, &e.payload, now)?;
    }
    Ok(queued)
}
