//! Conversations: one thread per remote number across inbound and outbound messages.
//!
//! A conversation is created by the first inbound message from a number. Each time it is
//! (re)opened after being closed a new *episode* begins; an episode carries the first-response
//! and resolution times the reports aggregate. Outbound messages never create a conversation (a
//! bulk send to 10,000 numbers is not 10,000 threads); they only update an existing one.

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};

use super::ids::new_id;
use super::types::Origin;
use super::{Error, Store, Tx, ms, opt_ts, ts};

/// Where a conversation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConversationState {
    /// The customer wrote last and nobody answered yet.
    Open,
    /// Answered; waiting for the customer.
    Waiting,
    /// A rule (or a person) asked for a person to take it.
    NeedsHuman,
    /// Done; the next inbound message reopens it.
    Closed,
}

impl ConversationState {
    pub const ALL: [ConversationState; 4] = [
        ConversationState::Open,
        ConversationState::Waiting,
        ConversationState::NeedsHuman,
        ConversationState::Closed,
    ];

    /// The name used in the database and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            ConversationState::Open => "open",
            ConversationState::Waiting => "waiting",
            ConversationState::NeedsHuman => "needs_human",
            ConversationState::Closed => "closed",
        }
    }

    /// The inverse of [`as_str`](Self::as_str).
    pub fn parse(s: &str) -> Option<ConversationState> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl rusqlite::ToSql for ConversationState {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(self.as_str().into())
    }
}

impl rusqlite::types::FromSql for ConversationState {
    fn column_result(v: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        let s = v.as_str()?;
        ConversationState::parse(s).ok_or_else(|| {
            rusqlite::types::FromSqlError::Other(format!("unknown conversation state {s:?}").into())
        })
    }
}

/// A stored conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversation {
    /// Public id, `conv_...`.
    pub id: String,
    /// The remote number.
    pub number: String,
    pub state: ConversationState,
    pub assignee: Option<String>,
    pub tags: Vec<String>,
    pub notes: String,
    /// Inbound messages since a person last answered.
    pub unread: u32,
    /// When the current episode began.
    pub opened_at: Timestamp,
    /// The first person's answer in the current episode.
    pub first_response_at: Option<Timestamp>,
    /// When the current episode was closed.
    pub resolved_at: Option<Timestamp>,
    pub last_inbound_at: Option<Timestamp>,
    pub last_outbound_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A change asked for through the API or by a rule; `None` leaves a field alone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConversationUpdate {
    pub state: Option<ConversationState>,
    /// `Some(None)` clears the assignee.
    pub assignee: Option<Option<String>>,
    pub notes: Option<String>,
    pub add_tags: Vec<String>,
    pub remove_tags: Vec<String>,
}

pub(crate) const COLS: &str = "c.id, c.number, c.state, c.assignee, c.tags, c.notes, c.unread, \
     e.opened_at, e.first_response_at, e.resolved_at, c.last_inbound_at, c.last_outbound_at, \
     c.created_at, c.updated_at";
pub(crate) const FROM: &str = "conversations c JOIN episodes e ON e.id = c.episode";

pub(crate) fn row(r: &Row<'_>) -> rusqlite::Result<Conversation> {
    let tags: String = r.get(4)?;
    Ok(Conversation {
        id: r.get(0)?,
        number: r.get(1)?,
        state: r.get(2)?,
        assignee: r.get(3)?,
        // Written only by this module, always a JSON array of strings.
        tags: serde_json::from_str(&tags).unwrap_or_default(),
        notes: r.get(5)?,
        unread: r.get(6)?,
        opened_at: ts(r.get(7)?)?,
        first_response_at: opt_ts(r.get(8)?)?,
        resolved_at: opt_ts(r.get(9)?)?,
        last_inbound_at: opt_ts(r.get(10)?)?,
        last_outbound_at: opt_ts(r.get(11)?)?,
        created_at: ts(r.get(12)?)?,
        updated_at: ts(r.get(13)?)?,
    })
}

impl Store {
    /// The conversation `id`.
    pub async fn get_conversation(&self, id: &str) -> Result<Conversation, Error> {
        let id = id.to_owned();
        self.read(move |tx| tx.get_conversation(&id)).await
    }

    /// The conversation with `number`, if any.
    pub async fn conversation_with(&self, number: &str) -> Result<Option<Conversation>, Error> {
        let number = number.to_owned();
        self.read(move |tx| tx.conversation_with(&number)).await
    }

    /// Applies an update to conversation `id`.
    pub async fn update_conversation(
        &self,
        id: &str,
        update: ConversationUpdate,
        now: Timestamp,
    ) -> Result<Conversation, Error> {
        let id = id.to_owned();
        self.write(move |tx| tx.update_conversation(&id, &update, now))
            .await
    }
}

impl Tx<'_> {
    /// The conversation with `number`, if any.
    ///
    /// See [`Store::conversation_with`](super::Store::conversation_with).
    pub fn conversation_with(&self, number: &str) -> Result<Option<Conversation>, Error> {
        Ok(self
            .conn
            .prepare_cached(&format!("SELECT {COLS} FROM {FROM} WHERE c.number = ?1"))?
            .query_row([number], row)
            .optional()?)
    }

    /// The conversation `id`.
    ///
    /// See [`Store::get_conversation`](super::Store::get_conversation) (sees this transaction's
    /// writes).
    pub fn get_conversation(&self, id: &str) -> Result<Conversation, Error> {
        self.conn
            .prepare_cached(&format!("SELECT {COLS} FROM {FROM} WHERE c.id = ?1"))?
            .query_row([id], row)
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("conversation {id}")))
    }

    /// Records an inbound message from `number` on its conversation (creating it on first
    /// contact); returns the conversation and whether this was the first contact.
    pub fn conversation_inbound(
        &self,
        number: &str,
        now: Timestamp,
    ) -> Result<(Conversation, bool), Error> {
        let now_ms = ms(now);
        let Some(c) = self.conversation_with(number)? else {
            let id = new_id("conv_", now_ms);
            // The episode needs the conversation's id and the conversation its episode: insert the
            // conversation with a placeholder episode, then point it at the real one.
            self.conn.prepare_cached(
                "INSERT INTO conversations (id, number, state, unread, episode, last_inbound_at, \
                 created_at, updated_at) VALUES (?1, ?2, 'open', 1, 0, ?3, ?3, ?3)",
            )?
            .execute(params![id, number, now_ms])?;
            let ep = new_episode(self.conn, &id, now)?;
            self.conn
                .prepare_cached("UPDATE conversations SET episode = ?2 WHERE id = ?1")?
                .execute(params![id, ep])?;
            return Ok((self.get_conversation(&id)?, true));
        };
        let state = match c.state {
            ConversationState::Closed => {
                let ep = new_episode(self.conn, &c.id, now)?;
                self.conn
                    .prepare_cached("UPDATE conversations SET episode = ?2 WHERE id = ?1")?
                    .execute(params![c.id, ep])?;
                ConversationState::Open
            }
            ConversationState::Waiting => ConversationState::Open,
            s => s,
        };
        self.conn
            .prepare_cached(
                "UPDATE conversations SET state = ?2, unread = unread + 1, last_inbound_at = ?3, \
             updated_at = ?3 WHERE id = ?1",
            )?
            .execute(params![c.id, state, now_ms])?;
        Ok((self.get_conversation(&c.id)?, false))
    }

    /// Records an outbound message to `number` on its conversation, if there is one. A person's
    /// message ([`Origin::is_human`]) is the episode's first response if none came yet, clears the
    /// unread count and moves an open or needs-human conversation to `waiting`.
    pub(crate) fn conversation_outbound(
        &self,
        number: &str,
        origin: Origin,
        now: Timestamp,
    ) -> Result<(), Error> {
        let now_ms = ms(now);
        if !origin.is_human() {
            self.conn.prepare_cached(
                "UPDATE conversations SET last_outbound_at = ?2, updated_at = ?2 WHERE number = ?1",
            )?
            .execute(params![number, now_ms])?;
            return Ok(());
        }
        let Some(c) = self.conversation_with(number)? else {
            return Ok(());
        };
        self.conn
            .prepare_cached(
                "UPDATE episodes SET first_response_at = ?2 WHERE id = \
             (SELECT episode FROM conversations WHERE id = ?1) AND first_response_at IS NULL",
            )?
            .execute(params![c.id, now_ms])?;
        let state = match c.state {
            ConversationState::Open | ConversationState::NeedsHuman => ConversationState::Waiting,
            s => s,
        };
        self.conn.prepare_cached(
            "UPDATE conversations SET state = ?2, unread = 0, last_outbound_at = ?3, updated_at = ?3 \
             WHERE id = ?1",
        )?
        .execute(params![c.id, state, now_ms])?;
        Ok(())
    }

    /// Applies `update` to conversation `id`. Closing records the episode's resolution time; reopening
    /// a closed conversation by hand starts a new episode.
    ///
    /// See [`Store::update_conversation`](super::Store::update_conversation).
    pub fn update_conversation(
        &self,
        id: &str,
        update: &ConversationUpdate,
        now: Timestamp,
    ) -> Result<Conversation, Error> {
        let c = self.get_conversation(id)?;
        let now_ms = ms(now);
        if let Some(state) = update.state
            && state != c.state
        {
            if state == ConversationState::Closed {
                self.conn
                    .prepare_cached(
                        "UPDATE episodes SET resolved_at = ?2 WHERE id = \
                     (SELECT episode FROM conversations WHERE id = ?1)",
                    )?
                    .execute(params![id, now_ms])?;
            } else if c.state == ConversationState::Closed {
                let ep = new_episode(self.conn, id, now)?;
                self.conn
                    .prepare_cached("UPDATE conversations SET episode = ?2 WHERE id = ?1")?
                    .execute(params![id, ep])?;
            }
            self.conn
                .prepare_cached("UPDATE conversations SET state = ?2 WHERE id = ?1")?
                .execute(params![id, state])?;
        }
        if let Some(a) = &update.assignee {
            self.conn
                .prepare_cached("UPDATE conversations SET assignee = ?2 WHERE id = ?1")?
                .execute(params![id, a])?;
        }
        if let Some(n) = &update.notes {
            self.conn
                .prepare_cached("UPDATE conversations SET notes = ?2 WHERE id = ?1")?
                .execute(params![id, n])?;
        }
        if !update.add_tags.is_empty() || !update.remove_tags.is_empty() {
            let mut tags = c.tags.clone();
            for t in &update.add_tags {
                if !tags.contains(t) {
                    tags.push(t.clone());
                }
            }
            tags.retain(|t| !update.remove_tags.contains(t));
            let json = serde_json::to_string(&tags).map_err(|e| Error::Invalid(e.to_string()))?;
            self.conn
                .prepare_cached("UPDATE conversations SET tags = ?2 WHERE id = ?1")?
                .execute(params![id, json])?;
        }
        self.conn
            .prepare_cached("UPDATE conversations SET updated_at = ?2 WHERE id = ?1")?
            .execute(params![id, now_ms])?;
        self.get_conversation(id)
    }
}

fn new_episode(conn: &Connection, conv: &str, now: Timestamp) -> Result<i64, Error> {
    conn.prepare_cached("INSERT INTO episodes (conversation, opened_at) VALUES (?1, ?2)")?
        .execute(params![conv, ms(now)])?;
    Ok(conn.last_insert_rowid())
}
