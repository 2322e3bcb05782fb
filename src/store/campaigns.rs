//! Bulk campaigns: many rendered messages queued under one id.
//!
//! A campaign of tens of thousands of messages is written in chunks, each a short job of the
//! writer, so other writes (a customer's reply) go between them:
//!
//! 1. [`Tx::begin_campaign`]: its row, `creating`;
//! 2. [`Tx::add_to_campaign`], once per chunk: its messages, stored but outside the send queue
//!    (the queue's insert trigger skips a `creating` campaign), so none is sent yet;
//! 3. [`Tx::finish_campaign`]: its count and skips, `releasing`; from this commit on the
//!    campaign stands;
//! 4. [`Tx::release_campaign`], once per chunk (the dispatcher's releaser, through
//!    [`Tx::release_next`]): its messages enter the queue; `created` after the last.
//!
//! A crash before step 3 leaves a `creating` campaign, which the start discards (no message of
//! it was sent); after it, a `releasing` one, which the start releases ([`Tx::resume_campaigns`]).

use std::collections::BTreeMap;

use jiff::Timestamp;
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::ids::new_id;
use super::types::{NewMessage, State};
use super::{Error, Store, Tx, ms, ts};

/// A recipient left out of a campaign, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    pub number: String,
    /// `opted_out`, `duplicate`, `invalid_number`, `template: ...`.
    pub reason: String,
}

/// What a campaign is, before its messages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewCampaign {
    pub name: String,
    pub template: Option<String>,
    pub group: Option<String>,
    pub send_at: Option<Timestamp>,
    pub created_by: Option<String>,
    pub skipped: Vec<Skipped>,
}

/// A stored campaign with its progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Campaign {
    /// `bulk_...`.
    pub id: String,
    pub name: String,
    pub template: Option<String>,
    pub group: Option<String>,
    pub send_at: Timestamp,
    /// Messages queued (one per recipient).
    pub recipients: u32,
    pub skipped: Vec<Skipped>,
    pub created_by: Option<String>,
    pub created_at: Timestamp,
    /// `creating`, `releasing`, `created` or `discarded` (see the module's doc).
    pub state: String,
    /// Its recipients by state.
    pub states: BTreeMap<String, u32>,
}

impl Store {
    /// Queues a bulk campaign: `messages` (one per recipient, rendered) all or nothing, in one
    /// transaction (a large one is queued in chunks, see the module's doc).
    pub async fn create_campaign(
        &self,
        campaign: NewCampaign,
        messages: Vec<NewMessage>,
        now: Timestamp,
    ) -> Result<Campaign, Error> {
        self.write(move |tx| tx.create_campaign(&campaign, messages, now))
            .await
    }

    /// [`Tx::release_next`] in a transaction of its own. Looked for on a read connection first:
    /// the dispatcher asks every second, and an idle appliance should not commit for nothing.
    pub async fn release_next(&self, now: Timestamp, limit: i64) -> Result<Option<String>, Error> {
        let any = self
            .read(|tx| {
                Ok(tx
                    .conn
                    .prepare_cached("SELECT 1 FROM campaigns WHERE state = 'releasing' LIMIT 1")?
                    .query_row([], |_| Ok(()))
                    .optional()?
                    .is_some())
            })
            .await?;
        if !any {
            return Ok(None);
        }
        self.atomically_alone(move |tx| tx.release_next(now, limit))
            .await
    }

    /// Campaign `id` with its progress.
    pub async fn get_campaign(&self, id: &str) -> Result<Campaign, Error> {
        let id = id.to_owned();
        self.read(move |tx| tx.get_campaign(&id)).await
    }
}

impl Tx<'_> {
    /// Queues `messages` (one per recipient, already rendered) as campaign `campaign`, all or
    /// nothing, in this one transaction.
    ///
    /// See [`Store::create_campaign`](super::Store::create_campaign).
    pub fn create_campaign(
        &self,
        campaign: &NewCampaign,
        messages: Vec<NewMessage>,
        now: Timestamp,
    ) -> Result<Campaign, Error> {
        let id = self.begin_campaign(campaign, now)?;
        self.add_to_campaign(&id, messages, now)?;
        self.finish_campaign(&id, &campaign.skipped)?;
        while !self.release_campaign(&id, now, i64::MAX)? {}
        self.get_campaign(&id)
    }

    /// Stores a campaign's row as `creating`, with no message yet; its id.
    pub fn begin_campaign(&self, campaign: &NewCampaign, now: Timestamp) -> Result<String, Error> {
        let id = new_id("bulk_", ms(now));
        let send_at = campaign.send_at.unwrap_or(now);
        self.conn.prepare_cached(
            "INSERT INTO campaigns (id, name, template, grp, send_at, recipients, skipped, created_by, \
             created_at, state) VALUES (?1, ?2, ?3, ?4, ?5, 0, '[]', ?6, ?7, 'creating')",
        )?
        .execute(params![
            id,
            campaign.name,
            campaign.template,
            campaign.group,
            ms(send_at),
            campaign.created_by,
            ms(now)
        ])?;
        Ok(id)
    }

    /// Stores `messages` as part of the `creating` campaign `id`, outside the send queue; their
    /// ids, in order.
    pub fn add_to_campaign(
        &self,
        id: &str,
        messages: Vec<NewMessage>,
        now: Timestamp,
    ) -> Result<Vec<String>, Error> {
        self.campaign_in(id, "creating")?;
        let mut ids = Vec::with_capacity(messages.len());
        for mut m in messages {
            m.campaign = Some(id.to_owned());
            ids.push(self.enqueue_only(&m, now)?.0);
        }
        Ok(ids)
    }

    /// Ends the creation of campaign `id`: its count of messages and its skipped recipients are
    /// stored and it becomes `releasing`.
    pub fn finish_campaign(&self, id: &str, skipped: &[Skipped]) -> Result<(), Error> {
        self.campaign_in(id, "creating")?;
        let skipped = serde_json::to_string(skipped).map_err(|e| Error::Invalid(e.to_string()))?;
        self.conn
            .prepare_cached(
                "UPDATE campaigns SET state = 'releasing', skipped = ?2, recipients = \
                 (SELECT COUNT(*) FROM outbound_messages WHERE campaign = ?1) WHERE id = ?1",
            )?
            .execute(params![id, skipped])?;
        Ok(())
    }

    /// Puts up to `limit` more messages of the `releasing` campaign `id` into the send queue, in
    /// order; `true` once all are, and the campaign is `created`.
    pub fn release_campaign(&self, id: &str, now: Timestamp, limit: i64) -> Result<bool, Error> {
        self.campaign_in(id, "releasing")?;
        let from: i64 = self
            .conn
            .prepare_cached("SELECT released_seq FROM campaigns WHERE id = ?1")?
            .query_row([id], |r| r.get(0))?;
        let to: Option<i64> = self
            .conn
            .prepare_cached(
                "SELECT MAX(seq) FROM (SELECT seq FROM outbound_messages \
                 WHERE campaign = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3)",
            )?
            .query_row(params![id, from, limit], |r| r.get(0))?;
        let Some(to) = to else {
            self.conn
                .prepare_cached("UPDATE campaigns SET state = 'created' WHERE id = ?1")?
                .execute([id])?;
            return Ok(true);
        };
        // What the queue's insert trigger does for a message queued on its own.
        self.conn
            .prepare_cached(
                "INSERT OR IGNORE INTO outbound_queue \
                 (recipient_id, pin, priority, msg_seq, idx, due_at, expires_at, ready) \
                 SELECT r.id, COALESCE(m.modem, ''), m.priority, m.seq, r.idx, \
                        MAX(m.send_at, r.next_attempt_at), m.expires_at, \
                        MAX(m.send_at, r.next_attempt_at) <= ?4 \
                 FROM outbound_messages m JOIN outbound_recipients r ON r.message_id = m.id \
                 WHERE m.campaign = ?1 AND m.seq > ?2 AND m.seq <= ?3 AND r.state = 'queued'",
            )?
            .execute(params![id, from, to, ms(now)])?;
        self.conn
            .prepare_cached("UPDATE campaigns SET released_seq = ?2 WHERE id = ?1")?
            .execute(params![id, to])?;
        Ok(false)
    }

    /// Puts up to `limit` more messages of the oldest `releasing` campaign into the send queue;
    /// that campaign's id, or `None` when no campaign is releasing.
    pub fn release_next(&self, now: Timestamp, limit: i64) -> Result<Option<String>, Error> {
        let id: Option<String> = self
            .conn
            .prepare_cached(
                "SELECT id FROM campaigns WHERE state = 'releasing' ORDER BY created_at LIMIT 1",
            )?
            .query_row([], |r| r.get(0))
            .optional()?;
        if let Some(id) = &id {
            self.release_campaign(id, now, limit)?;
        }
        Ok(id)
    }

    /// At start: discards the campaigns a stop interrupted while `creating` (their messages are
    /// deleted; none was sent) and releases the `releasing` ones. Returns (discarded, released).
    pub(crate) fn resume_campaigns(&self, now: Timestamp) -> Result<(usize, usize), Error> {
        let ids = |state: &str| -> Result<Vec<String>, Error> {
            Ok(self
                .conn
                .prepare("SELECT id FROM campaigns WHERE state = ?1")?
                .query_map([state], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<String>>>()?)
        };
        let creating = ids("creating")?;
        for id in &creating {
            self.discard_campaign(id)?;
        }
        let releasing = ids("releasing")?;
        for id in &releasing {
            while !self.release_campaign(id, now, i64::MAX)? {}
        }
        Ok((creating.len(), releasing.len()))
    }

    /// Deletes the messages of the `creating` campaign `id` (none was sent) and marks it
    /// `discarded`.
    pub fn discard_campaign(&self, id: &str) -> Result<(), Error> {
        self.campaign_in(id, "creating")?;
        self.conn
            .prepare_cached(
                "DELETE FROM prompts_sent WHERE message_id IN \
                 (SELECT id FROM outbound_messages WHERE campaign = ?1)",
            )?
            .execute([id])?;
        self.conn
            .prepare_cached("DELETE FROM outbound_messages WHERE campaign = ?1")?
            .execute([id])?;
        self.conn
            .prepare_cached(
                "UPDATE campaigns SET state = 'discarded', recipients = 0 WHERE id = ?1",
            )?
            .execute([id])?;
        Ok(())
    }

    /// Fails unless campaign `id` is in `state`.
    fn campaign_in(&self, id: &str, state: &str) -> Result<(), Error> {
        let found: Option<String> = self
            .conn
            .prepare_cached("SELECT state FROM campaigns WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?;
        match found {
            None => Err(Error::NotFound(format!("campaign {id}"))),
            Some(s) if s == state => Ok(()),
            Some(s) => Err(Error::Invalid(format!("campaign {id} is {s}, not {state}"))),
        }
    }

    /// Campaign `id` with its recipients' states counted.
    pub fn get_campaign(&self, id: &str) -> Result<Campaign, Error> {
        let mut c = self.conn
            .prepare_cached(
                "SELECT id, name, template, grp, send_at, recipients, skipped, created_by, created_at, \
                 state FROM campaigns WHERE id = ?1",
            )?
            .query_row([id], |r| {
                let skipped: String = r.get(6)?;
                Ok(Campaign {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    template: r.get(2)?,
                    group: r.get(3)?,
                    send_at: ts(r.get(4)?)?,
                    recipients: r.get(5)?,
                    // Written only by `create`, always a JSON list.
                    skipped: serde_json::from_str(&skipped).unwrap_or_default(),
                    created_by: r.get(7)?,
                    created_at: ts(r.get(8)?)?,
                    state: r.get(9)?,
                    states: BTreeMap::new(),
                })
            })
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("campaign {id}")))?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT r.state, COUNT(*) FROM outbound_messages m \
             JOIN outbound_recipients r ON r.message_id = m.id \
             WHERE m.campaign = ?1 GROUP BY r.state",
        )?;
        let rows = stmt.query_map([id], |r| Ok((r.get::<_, State>(0)?, r.get::<_, u32>(1)?)))?;
        for row in rows {
            let (state, n) = row?;
            c.states.insert(state.as_str().to_owned(), n);
        }
        Ok(c)
    }
}
