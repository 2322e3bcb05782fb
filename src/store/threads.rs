//! Conversations as a support desk reads them: the filtered, keyset-paginated list,
//! one thread's messages in both directions in time order, and marking a thread read.
//!
//! Reading never writes: [`Store::mark_conversation_read`] is its own operation
//! (`POST .../read`), so a `GET` can run on a read connection and two people looking at a thread
//! do not change it.

use jiff::Timestamp;
use rusqlite::{Row, params};

use super::conversations::{self, COLS, Conversation, ConversationState, FROM};
use super::types::{Origin, Page, State};
use super::{Error, Store, Tx, ms, ts};

/// Largest page of conversations or thread items one call returns.
pub const MAX_PAGE: usize = 1000;

/// The order of [`Store::list_conversations`](super::Store::list_conversations).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ConversationOrder {
    /// Last activity first (`updated_at`, then creation order, descending): the desk's inbox.
    #[default]
    Activity,
    /// Newest conversation first (creation order, descending): stable while messages arrive.
    Created,
}

/// Which conversations a listing returns; every filter given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConversationFilter {
    pub state: Option<ConversationState>,
    pub assignee: Option<String>,
    /// Conversations carrying this tag.
    pub tag: Option<String>,
    /// Only conversations with unread inbound messages.
    pub unread_only: bool,
    /// Numbers starting with this (e.g. `+8190`).
    pub number_prefix: Option<String>,
    /// Only conversations whose `updated_at` is at or after this.
    pub updated_since: Option<Timestamp>,
    pub order: ConversationOrder,
    /// Only conversations nobody is assigned to (the desk's Unassigned tab).
    pub unassigned: bool,
}

/// Which way a thread item went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageDirection {
    /// From the customer (`inbound_messages`).
    In,
    /// To the customer (one recipient of an `outbound_messages` row).
    Out,
}

impl MessageDirection {
    /// `in` or `out`, as the API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageDirection::In => "in",
            MessageDirection::Out => "out",
        }
    }
}

/// One message of a conversation's thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadItem {
    pub direction: MessageDirection,
    /// `in_...` or `msg_...`.
    pub id: String,
    pub text: String,
    /// Inbound: when it was assembled; outbound: when it was accepted.
    pub at: Timestamp,
    /// Outbound: this recipient's state.
    pub state: Option<State>,
    /// Outbound: where it came from.
    pub origin: Option<Origin>,
    /// Outbound: the token that queued it.
    pub created_by: Option<String>,
    /// Inbound: the rule that fired for it, if any.
    pub rule: Option<String>,
    /// Outbound: the modem of the last attempt (inbound: the modem it came in on).
    pub modem: Option<String>,
    /// Outbound: why it failed (the last attempt's error).
    pub error: Option<String>,
}

/// The keyset position after an item: `<updated_at ms>.<seq>`. Both parts are kept so that a
/// conversation moving to the top while a client pages cannot make the cursor point elsewhere.
fn cursor_of(updated_at: i64, seq: i64) -> String {
    format!("{updated_at}.{seq}")
}

fn parse_cursor(c: &str) -> Result<(i64, i64), Error> {
    c.split_once('.')
        .and_then(|(u, s)| Some((u.parse().ok()?, s.parse().ok()?)))
        .ok_or_else(|| Error::Invalid(format!("unknown cursor {c:?}")))
}

impl Store {
    /// One page of conversations matching `filter`; pass the returned `next_cursor` to get the
    /// next page.
    pub async fn list_conversations(
        &self,
        filter: ConversationFilter,
        cursor: Option<String>,
        limit: usize,
    ) -> Result<Page<Conversation>, Error> {
        self.read(move |tx| tx.list_conversations(&filter, cursor.as_deref(), limit))
            .await
    }

    /// Conversation `id` and its newest `limit` messages in both directions, oldest first, read
    /// in one transaction.
    pub async fn conversation_thread(
        &self,
        id: &str,
        limit: usize,
    ) -> Result<(Conversation, Vec<ThreadItem>), Error> {
        let id = id.to_owned();
        self.read(move |tx| tx.conversation_thread(&id, limit))
            .await
    }

    /// Marks conversation `id` read (its unread count becomes 0).
    pub async fn mark_conversation_read(&self, id: &str) -> Result<Conversation, Error> {
        let id = id.to_owned();
        self.write(move |tx| tx.mark_conversation_read(&id)).await
    }
}

impl Tx<'_> {
    /// One page of conversations matching `f`, in `f.order`, after the position `cursor` names.
    fn list_conversations(
        &self,
        f: &ConversationFilter,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page<Conversation>, Error> {
        // No cursor: a position after everything, so the keyset condition is always a plain range
        // the index can seek to (an `?7 IS NULL OR ...` would make deep pages scan from the top).
        let (after_at, after_seq) = cursor
            .map(parse_cursor)
            .transpose()?
            .unwrap_or((i64::MAX, i64::MAX));
        let limit = limit.clamp(1, MAX_PAGE);
        // One statement per order, each cached; an absent filter is a NULL parameter.
        let filters = "(?1 IS NULL OR c.state = ?1) AND (?2 IS NULL OR c.assignee = ?2) \
             AND (?3 IS NULL OR EXISTS (SELECT 1 FROM json_each(c.tags) t WHERE t.value = ?3)) \
             AND (?4 = 0 OR c.unread > 0) \
             AND (?5 IS NULL OR substr(c.number, 1, length(?5)) = ?5) \
             AND (?6 IS NULL OR c.updated_at >= ?6) AND (?10 = 0 OR c.assignee IS NULL)";
        let sql = match f.order {
            ConversationOrder::Activity => format!(
                "SELECT {COLS}, c.seq FROM {FROM} WHERE {filters} \
                 AND c.updated_at <= ?7 AND (c.updated_at < ?7 OR c.seq < ?8) \
                 ORDER BY c.updated_at DESC, c.seq DESC LIMIT ?9"
            ),
            ConversationOrder::Created => format!(
                "SELECT {COLS}, c.seq FROM {FROM} WHERE {filters} \
                 AND c.seq < ?8 ORDER BY c.seq DESC LIMIT ?9"
            ),
        };
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt
            .query_map(
                params![
                    f.state,
                    f.assignee,
                    f.tag,
                    f.unread_only,
                    f.number_prefix,
                    f.updated_since.map(ms),
                    after_at,
                    after_seq,
                    (limit + 1) as i64,
                    f.unassigned,
                ],
                |r| Ok((conversations::row(r)?, r.get::<_, i64>(14)?)),
            )?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let more = rows.len() > limit;
        let next_cursor = if more {
            rows.get(limit - 1)
                .map(|(c, seq)| cursor_of(ms(c.updated_at), *seq))
        } else {
            None
        };
        let items = rows.into_iter().take(limit).map(|(c, _)| c).collect();
        Ok(Page { items, next_cursor })
    }

    /// Conversation `id` and its newest `limit` messages, both directions merged, oldest first.
    ///
    /// Inbound: the messages whose sender is the conversation's number (by completion time).
    /// Outbound: every recipient row addressed to the number, with its message's text and origin
    /// (by acceptance time), so a bulk or API message to the customer shows in the thread too. At
    /// the same millisecond an inbound message comes before the reply it caused. Both halves use the
    /// per-number indexes (`inbound_messages_sender`, `outbound_recipients_number`).
    fn conversation_thread(
        &self,
        id: &str,
        limit: usize,
    ) -> Result<(Conversation, Vec<ThreadItem>), Error> {
        let conv = self.get_conversation(id)?;
        let limit = limit.clamp(1, MAX_PAGE) as i64;
        let mut stmt = self.conn.prepare_cached(
            "SELECT dir, id, text, at, state, origin, created_by, rule, modem, error FROM ( \
               SELECT 'in' AS dir, i.id, i.text, i.completed_at AS at, NULL AS state, \
                      NULL AS origin, NULL AS created_by, i.rule, i.seq AS ord, i.modem, \
                      NULL AS error \
                 FROM inbound_messages i WHERE i.sender = ?1 \
               UNION ALL \
               SELECT 'out', m.id, m.body, r.created_at, r.state, m.origin, m.created_by, NULL, r.id, \
                      r.modem, r.error \
                 FROM outbound_recipients r JOIN outbound_messages m ON m.id = r.message_id \
                WHERE r.number = ?1) \
             ORDER BY at DESC, dir DESC, ord DESC LIMIT ?2",
        )?;
        let mut items = stmt
            .query_map(params![conv.number, limit], item_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        items.reverse();
        Ok((conv, items))
    }

    /// Marks conversation `id` read (`unread = 0`). Leaves `updated_at` alone: reading is not
    /// activity, so the inbox order does not change under the desk.
    ///
    /// See [`Store::mark_conversation_read`](super::Store::mark_conversation_read).
    pub fn mark_conversation_read(&self, id: &str) -> Result<Conversation, Error> {
        let n = self
            .conn
            .prepare_cached("UPDATE conversations SET unread = 0 WHERE id = ?1")?
            .execute([id])?;
        if n == 0 {
            return Err(Error::NotFound(format!("conversation {id}")));
        }
        self.get_conversation(id)
    }
}

fn item_row(r: &Row<'_>) -> rusqlite::Result<ThreadItem> {
    let inbound = r.get::<_, String>(0)? == "in";
    Ok(ThreadItem {
        direction: if inbound {
            MessageDirection::In
        } else {
            MessageDirection::Out
        },
        id: r.get(1)?,
        text: r.get(2)?,
        at: ts(r.get(3)?)?,
        state: r.get(4)?,
        origin: r.get(5)?,
        created_by: r.get(6)?,
        rule: r.get(7)?,
        modem: r.get(8)?,
        error: r.get(9)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_table() {
        let cases: &[(&str, &str, Option<(i64, i64)>)] = &[
            (
                "round trip",
                "1700000000000.42",
                Some((1_700_000_000_000, 42)),
            ),
            ("negative time", "-5.1", Some((-5, 1))),
            ("no dot", "1700000000000", None),
            ("not a number", "a.b", None),
            ("empty", "", None),
            ("an id", "conv_0192f3a4b5c6", None),
        ];
        for (name, c, want) in cases {
            assert_eq!(parse_cursor(c).ok(), *want, "{name}");
        }
        assert_eq!(cursor_of(7, 3), "7.3");
    }
}
