//! Bulk campaigns: many rendered messages queued in one transaction under one id.

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
    /// Its recipients by state.
    pub states: BTreeMap<String, u32>,
}

impl Store {
    /// Queues a bulk campaign: `messages` (one per recipient, rendered) all or nothing.
    pub async fn create_campaign(
        &self,
        campaign: NewCampaign,
        messages: Vec<NewMessage>,
        now: Timestamp,
    ) -> Result<Campaign, Error> {
        self.write(move |tx| tx.create_campaign(&campaign, messages, now))
            .await
    }

    /// Campaign `id` with its progress.
    pub async fn get_campaign(&self, id: &str) -> Result<Campaign, Error> {
        let id = id.to_owned();
        self.read(move |tx| tx.get_campaign(&id)).await
    }
}

impl Tx<'_> {
    /// Queues `messages` (one per recipient, already rendered) as campaign `campaign`, all or nothing.
    ///
    /// See [`Store::create_campaign`](super::Store::create_campaign).
    pub fn create_campaign(
        &self,
        campaign: &NewCampaign,
        messages: Vec<NewMessage>,
        now: Timestamp,
    ) -> Result<Campaign, Error> {
        let id = new_id("bulk_", ms(now));
        let send_at = campaign.send_at.unwrap_or(now);
        let skipped =
            serde_json::to_string(&campaign.skipped).map_err(|e| Error::Invalid(e.to_string()))?;
        self.conn.prepare_cached(
            "INSERT INTO campaigns (id, name, template, grp, send_at, recipients, skipped, created_by, \
             created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?
        .execute(params![
            id,
            campaign.name,
            campaign.template,
            campaign.group,
            ms(send_at),
            messages.len() as i64,
            skipped,
            campaign.created_by,
            ms(now)
        ])?;
        for mut m in messages {
            m.campaign = Some(id.clone());
            self.enqueue_only(&m, now)?;
        }
        self.get_campaign(&id)
    }

    /// Campaign `id` with its recipients' states counted.
    fn get_campaign(&self, id: &str) -> Result<Campaign, Error> {
        let mut c = self.conn
            .prepare_cached(
                "SELECT id, name, template, grp, send_at, recipients, skipped, created_by, created_at \
                 FROM campaigns WHERE id = ?1",
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
