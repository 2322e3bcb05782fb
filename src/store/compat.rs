//! What the compatibility APIs need beyond the native one: a message found by the client's own
//! id, and offset pagination (SMS Gateway for Android's `limit`/`offset` with a total count).

use jiff::Timestamp;
use rusqlite::{OptionalExtension, params};

use super::{Error, MessageRecord, Store, ms};

impl Store {
    /// The message whose public id or client idempotency key is `id`.
    pub async fn message_by_id_or_key(&self, id: &str) -> Result<MessageRecord, Error> {
        let id = id.to_owned();
        self.read(move |tx| {
            let found: Option<String> = tx
                .conn
                .prepare_cached(
                    "SELECT id FROM outbound_messages WHERE id = ?1 OR idempotency_key = ?1 \
                     ORDER BY (id = ?1) DESC LIMIT 1",
                )?
                .query_row([&id], |r| r.get(0))
                .optional()?;
            match found {
                Some(msg) => tx.get_message(&msg),
                None => Err(Error::NotFound(format!("message {id}"))),
            }
        })
        .await
    }

    /// Outbound messages created in `[from, to)` (either bound optional), newest first:
    /// `limit` of them after skipping `offset`, and how many match in all.
    pub async fn message_page(
        &self,
        from: Option<Timestamp>,
        to: Option<Timestamp>,
        limit: usize,
        offset: usize,
    ) -> Result<(Vec<MessageRecord>, u64), Error> {
        self.read(move |tx| {
            let (from, to) = (from.map(ms), to.map(ms));
            let total: i64 = tx
                .conn
                .prepare_cached(
                    "SELECT COUNT(*) FROM outbound_messages \
                     WHERE (?1 IS NULL OR created_at >= ?1) AND (?2 IS NULL OR created_at < ?2)",
                )?
                .query_row(params![from, to], |r| r.get(0))?;
            let ids = tx
                .conn
                .prepare_cached(
                    "SELECT id FROM outbound_messages \
                     WHERE (?1 IS NULL OR created_at >= ?1) AND (?2 IS NULL OR created_at < ?2) \
                     ORDER BY seq DESC LIMIT ?3 OFFSET ?4",
                )?
                .query_map(
                    params![
                        from,
                        to,
                        i64::try_from(limit).unwrap_or(i64::MAX),
                        i64::try_from(offset).unwrap_or(i64::MAX)
                    ],
                    |r| r.get::<_, String>(0),
                )?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let messages = ids
                .iter()
                .map(|id| tx.get_message(id))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((messages, u64::try_from(total).unwrap_or(0)))
        })
        .await
    }
}
