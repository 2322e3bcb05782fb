//! Inbound parts and their reassembly. A part is committed before the modem deletes it from the
//! SIM; parts wait in the store, so reassembly survives a restart.

use jiff::Timestamp;
use rusqlite::{OptionalExtension, Row, params};

use super::ids::new_id;
use super::types::{
    InboundFilter, InboundMessage, InboundOutcome, MessageRecord, NewEvent, NewInboundPart,
    NewMessage, Page,
};
use super::{Error, Store, Tx, ms, opt_ts, ts};

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

impl Store {
    /// Commits a received part (once: the same part read twice is a `Duplicate`) and assembles
    /// the message when it was the last. Delete the part from the SIM only after this resolves.
    pub async fn insert_inbound_part(
        &self,
        part: NewInboundPart,
        now: Timestamp,
    ) -> Result<InboundOutcome, Error> {
        self.write(move |tx| tx.insert_inbound_part(&part, now))
            .await
    }

    /// Delivers, marked incomplete, messages whose first waiting part arrived at or before
    /// `older_than`.
    pub async fn flush_stale_inbound(
        &self,
        older_than: Timestamp,
        now: Timestamp,
    ) -> Result<Vec<InboundMessage>, Error> {
        self.write(move |tx| tx.flush_stale_inbound(older_than, now))
            .await
    }

    /// Completed inbound messages not yet marked processed, oldest first (run the rules on them
    /// again after a restart).
    pub async fn unprocessed_inbound(&self, limit: usize) -> Result<Vec<InboundMessage>, Error> {
        self.read(move |tx| tx.unprocessed_inbound(limit)).await
    }

    /// Records that the rules ran on an inbound message, queueing its replies and webhook events
    /// in the same transaction; returns the queued replies.
    pub async fn finish_inbound(
        &self,
        id: &str,
        replies: Vec<NewMessage>,
        events: Vec<NewEvent>,
        now: Timestamp,
    ) -> Result<Vec<MessageRecord>, Error> {
        let id = id.to_owned();
        self.write(move |tx| tx.finish_inbound(&id, &replies, &events, now))
            .await
    }

    /// One inbound message.
    pub async fn get_inbound(&self, id: &str) -> Result<InboundMessage, Error> {
        let id = id.to_owned();
        self.read(move |tx| tx.get_inbound(&id)).await
    }

    /// Inbound messages newest first; pass the returned `next_cursor` to get the next page.
    pub async fn list_inbound(
        &self,
        filter: InboundFilter,
        cursor: Option<String>,
        limit: usize,
    ) -> Result<Page<InboundMessage>, Error> {
        self.read(move |tx| tx.list_inbound(&filter, cursor.as_deref(), limit))
            .await
    }
}

impl Tx<'_> {
    /// Stores a part once; assembles the message when its last part arrives.
    ///
    /// See [`Store::insert_inbound_part`](super::Store::insert_inbound_part).
    pub fn insert_inbound_part(
        &self,
        part: &NewInboundPart,
        now: Timestamp,
    ) -> Result<InboundOutcome, Error> {
        if part.total == 0 || part.seq == 0 || part.seq > part.total {
            return Err(Error::Invalid(format!(
                "inbound part {}/{} is out of range",
                part.seq, part.total
            )));
        }
        let inserted = self.conn
            .prepare_cached(
                "INSERT OR IGNORE INTO inbound_parts (modem, sender, reference, total, seq, pdu_hex, \
                 text, smsc_at, received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                part.modem,
                part.sender,
                part.reference,
                part.total,
                part.seq,
                part.pdu_hex,
                part.text,
                part.smsc_at.map(ms),
                ms(now),
            ])?;
        if inserted == 0 {
            return Ok(InboundOutcome::Duplicate);
        }
        let have: i64 = self
            .conn
            .prepare_cached(
                "SELECT COUNT(DISTINCT seq) FROM inbound_parts WHERE modem = ?1 AND sender = ?2 \
                 AND reference = ?3 AND total = ?4 AND message_id IS NULL",
            )?
            .query_row(
                params![part.modem, part.sender, part.reference, part.total],
                |r| r.get(0),
            )?;
        if have < i64::from(part.total) {
            return Ok(InboundOutcome::Stored);
        }
        let key = GroupKey {
            modem: part.modem.clone(),
            sender: part.sender.clone(),
            reference: part.reference,
            total: part.total,
        };
        self.assemble(&key, true, now)
            .map(InboundOutcome::Completed)
    }

    /// Builds a message from the waiting parts of a group (the first stored part of each sequence).
    fn assemble(
        &self,
        key: &GroupKey,
        complete: bool,
        now: Timestamp,
    ) -> Result<InboundMessage, Error> {
        let mut stmt = self.conn.prepare_cached(
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
        self.conn.prepare_cached(
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
        let mut upd = self
            .conn
            .prepare_cached("UPDATE inbound_parts SET message_id = ?2 WHERE id = ?1")?;
        for part in chosen {
            upd.execute(params![part, id])?;
        }
        self.get_inbound(&id)
    }

    /// Delivers, marked incomplete, every group whose first waiting part arrived at or before
    /// `older_than`.
    ///
    /// See [`Store::flush_stale_inbound`](super::Store::flush_stale_inbound).
    pub fn flush_stale_inbound(
        &self,
        older_than: Timestamp,
        now: Timestamp,
    ) -> Result<Vec<InboundMessage>, Error> {
        let mut stmt = self.conn.prepare_cached(
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
            .map(|key| self.assemble(key, false, now))
            .collect()
    }

    /// One inbound message.
    fn get_inbound(&self, id: &str) -> Result<InboundMessage, Error> {
        self.conn
            .prepare_cached(&format!(
                "SELECT {IN_COLS} FROM inbound_messages WHERE id = ?1"
            ))?
            .query_row([id], inbound_row)
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("inbound message {id}")))
    }

    /// One page of inbound messages, newest first, after the message named by `cursor`: one
    /// query along an index ([`inbound_list_sql`]).
    fn list_inbound(
        &self,
        filter: &InboundFilter,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page<InboundMessage>, Error> {
        let before: Option<i64> = match cursor {
            None => None,
            Some(c) => Some(
                self.conn
                    .prepare_cached("SELECT seq FROM inbound_messages WHERE id = ?1")?
                    .query_row([c], |r| r.get(0))
                    .optional()?
                    .ok_or_else(|| Error::Invalid(format!("unknown cursor {c:?}")))?,
            ),
        };
        let from = match filter.since {
            None => None,
            Some(since) => {
                // As for outbound messages (`outbound::SINCE_SLACK_MS`).
                let last_before: Option<i64> = self
                    .conn
                    .prepare_cached(
                        "SELECT seq FROM inbound_messages WHERE completed_at < ?1 \
                         ORDER BY completed_at DESC, seq DESC LIMIT 1",
                    )?
                    .query_row(
                        [ms(since).saturating_sub(super::outbound::SINCE_SLACK_MS)],
                        |r| r.get(0),
                    )
                    .optional()?;
                Some((last_before.map_or(0, |k: i64| k + 1), ms(since)))
            }
        };
        let limit = limit.clamp(1, 1000);
        let mut stmt = self.conn.prepare_cached(&inbound_list_sql(
            filter.from.is_some(),
            before.is_some(),
            from.is_some(),
        ))?;
        let mut args: Vec<rusqlite::types::Value> = Vec::new();
        if let Some(f) = &filter.from {
            args.push(f.clone().into());
        }
        super::outbound::push_keyset(&mut args, before, from, limit);
        let mut items = stmt
            .query_map(rusqlite::params_from_iter(args), inbound_row)?
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
    fn unprocessed_inbound(&self, limit: usize) -> Result<Vec<InboundMessage>, Error> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {IN_COLS} FROM inbound_messages WHERE processed_at IS NULL ORDER BY seq LIMIT ?1"
        ))?;
        let items = stmt
            .query_map([i64::try_from(limit).unwrap_or(i64::MAX)], inbound_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(items)
    }

    /// Marks a message processed, queues its replies and its webhook events, all in one transaction.
    ///
    /// See [`Store::finish_inbound`](super::Store::finish_inbound).
    pub fn finish_inbound(
        &self,
        id: &str,
        replies: &[NewMessage],
        events: &[NewEvent],
        now: Timestamp,
    ) -> Result<Vec<MessageRecord>, Error> {
        let msg = self.get_inbound(id)?;
        if msg.processed_at.is_some() {
            return Err(Error::Invalid(format!(
                "inbound message {id} was already processed"
            )));
        }
        self.conn
            .prepare_cached("UPDATE inbound_messages SET processed_at = ?2 WHERE id = ?1")?
            .execute(params![id, ms(now)])?;
        let mut queued = Vec::with_capacity(replies.len());
        for reply in replies {
            queued.push(self.enqueue(reply, now)?);
        }
        for e in events {
            self.enqueue_event(e, now)?;
        }
        Ok(queued)
    }
}

/// The inbound listing's statement for the filters present (parameters in the order sender,
/// cursor's seq, first seq at or after `since` and `since`, limit): newest first along the seq,
/// or `inbound_messages_sender_seq` for a sender; `since` bounds the walk from below.
pub(crate) fn inbound_list_sql(from: bool, cursor: bool, since: bool) -> String {
    let mut cond = Vec::new();
    if from {
        cond.push("sender = ?");
    }
    if cursor {
        cond.push("seq < ?");
    }
    if since {
        cond.push("seq >= ? AND completed_at >= ?");
    }
    let filter = if cond.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", cond.join(" AND "))
    };
    format!("SELECT {IN_COLS} FROM inbound_messages{filter} ORDER BY seq DESC LIMIT ?")
}
