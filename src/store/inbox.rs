//! What the desk's inbox shows besides the conversations themselves: contact names, the last
//! message of each, the unread total, and the fingerprints its live updates compare.

use std::collections::HashMap;

use rusqlite::params;

use super::{Error, Store, Tx};

/// A conversation's contact name (empty: none) and its last message's text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InboxDetail {
    pub name: String,
    pub last_text: String,
}

impl Store {
    /// [`InboxDetail`] for each of `numbers`.
    pub async fn inbox_details(
        &self,
        numbers: Vec<String>,
    ) -> Result<HashMap<String, InboxDetail>, Error> {
        self.read(move |tx| tx.inbox_details(&numbers)).await
    }

    /// Unread inbound messages over all conversations: the number in the desk's title.
    pub async fn unread_total(&self) -> Result<u64, Error> {
        self.read(|tx| tx.unread_total()).await
    }

    /// Changes whenever the inbox would look different: a conversation's activity, state,
    /// assignee or unread count.
    pub async fn inbox_fingerprint(&self) -> Result<(i64, i64, i64), Error> {
        self.read(|tx| {
            Ok(tx
                .conn
                .prepare_cached(
                    "SELECT COALESCE(MAX(updated_at), 0), COALESCE(SUM(unread), 0), \
                     COALESCE(SUM(length(COALESCE(assignee, '')) + length(state) + length(tags)), 0) \
                     FROM conversations",
                )?
                .query_row([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?)
        })
        .await
    }

    /// Changes whenever conversation `id`'s thread would look different: a message in or out,
    /// or an outbound message's state.
    pub async fn thread_fingerprint(&self, id: &str) -> Result<(i64, i64), Error> {
        let id = id.to_owned();
        self.read(move |tx| {
            Ok(tx
                .conn
                .prepare_cached(
                    "SELECT c.updated_at, COALESCE((SELECT MAX(r.updated_at) \
                       FROM outbound_recipients r WHERE r.number = c.number), 0) \
                     FROM conversations c WHERE c.id = ?1",
                )?
                .query_row([&id], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap_or((0, 0)))
        })
        .await
    }
}

impl Store {
    /// Conversation `id`'s episodes (each from a customer's first message after a close to the
    /// next close), newest first: `(opened_at, resolved_at)`.
    pub async fn episodes(
        &self,
        id: &str,
        limit: usize,
    ) -> Result<Vec<(jiff::Timestamp, Option<jiff::Timestamp>)>, Error> {
        let id = id.to_owned();
        self.read(move |tx| {
            let mut stmt = tx.conn.prepare_cached(
                "SELECT opened_at, resolved_at FROM episodes WHERE conversation = ?1 \
                 ORDER BY opened_at DESC, id DESC LIMIT ?2",
            )?;
            let rows = stmt
                .query_map(params![id, limit as i64], |r| {
                    Ok((super::ts(r.get(0)?)?, super::opt_ts(r.get(1)?)?))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
        .await
    }
}

impl Tx<'_> {
    fn inbox_details(&self, numbers: &[String]) -> Result<HashMap<String, InboxDetail>, Error> {
        let json =
            serde_json::to_string(numbers).map_err(|e| Error::Invalid(format!("numbers: {e}")))?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT n.value, \
               COALESCE((SELECT name FROM contacts WHERE number = n.value), ''), \
               COALESCE((SELECT text FROM ( \
                   SELECT text, completed_at AS at FROM inbound_messages WHERE sender = n.value \
                   UNION ALL \
                   SELECT m.body, r.created_at FROM outbound_recipients r \
                     JOIN outbound_messages m ON m.id = r.message_id WHERE r.number = n.value) \
                 ORDER BY at DESC LIMIT 1), '') \
             FROM json_each(?1) n",
        )?;
        let rows = stmt
            .query_map(params![json], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    InboxDetail {
                        name: r.get(1)?,
                        last_text: r.get(2)?,
                    },
                ))
            })?
            .collect::<rusqlite::Result<HashMap<_, _>>>()?;
        Ok(rows)
    }

    fn unread_total(&self) -> Result<u64, Error> {
        let n: i64 = self
            .conn
            .prepare_cached("SELECT COALESCE(SUM(unread), 0) FROM conversations")?
            .query_row([], |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}
