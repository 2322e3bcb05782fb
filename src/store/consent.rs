//! Consent: whether a number has opted out, and every change with its time and source.
//!
//! A number with no row has not opted out. Changes are appended to `consent_log`, which
//! retention never prunes: it is the record of what a customer asked for.

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};

use super::rollup::update_rollup;
use super::types::Page;
use super::{Error, Store, Tx, ms, ts};

/// One consent change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentChange {
    pub number: String,
    /// `true`: the number opted out.
    pub opted_out: bool,
    /// What changed it: `sms:<inbound id>`, `api:<token>`, `import:<token>`.
    pub source: String,
    pub at: Timestamp,
}

/// A number's current consent (the contacts API's listing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentState {
    pub number: String,
    pub opted_out: bool,
    /// When it last changed.
    pub updated_at: Timestamp,
}

impl Store {
    /// Whether `number` has opted out.
    pub async fn opted_out(&self, number: &str) -> Result<bool, Error> {
        let number = number.to_owned();
        self.read(move |tx| tx.opted_out(&number)).await
    }

    /// Records `number`'s consent; true when it changed.
    pub async fn set_consent(
        &self,
        number: &str,
        opted_out: bool,
        source: &str,
        now: Timestamp,
    ) -> Result<bool, Error> {
        let (number, source) = (number.to_owned(), source.to_owned());
        self.write(move |tx| tx.set_consent(&number, opted_out, &source, now))
            .await
    }

    /// Every consent change of `number`, oldest first.
    pub async fn consent_history(&self, number: &str) -> Result<Vec<ConsentChange>, Error> {
        let number = number.to_owned();
        self.read(move |tx| tx.consent_history(&number)).await
    }

    /// Numbers whose current consent is `opted_out`, in number order, one page.
    pub async fn list_consent(
        &self,
        opted_out: bool,
        cursor: Option<String>,
        limit: usize,
    ) -> Result<Page<ConsentState>, Error> {
        self.read(move |tx| tx.list_consent(opted_out, cursor.as_deref(), limit))
            .await
    }
}

impl Tx<'_> {
    /// Whether `number` has opted out.
    ///
    /// See [`Store::opted_out`](super::Store::opted_out).
    pub fn opted_out(&self, number: &str) -> Result<bool, Error> {
        let v: Option<bool> = self
            .conn
            .prepare_cached("SELECT opted_out FROM consent WHERE number = ?1")?
            .query_row([number], |r| r.get(0))
            .optional()?;
        Ok(v.unwrap_or(false))
    }

    /// Records `number`'s consent; returns whether it changed (a second STOP changes nothing, so it
    /// is confirmed once).
    ///
    /// See [`Store::set_consent`](super::Store::set_consent).
    pub fn set_consent(
        &self,
        number: &str,
        opted_out: bool,
        source: &str,
        now: Timestamp,
    ) -> Result<bool, Error> {
        if self.opted_out(number)? == opted_out {
            return Ok(false);
        }
        self.conn
            .prepare_cached(
                "INSERT INTO consent (number, opted_out, updated_at) VALUES (?1, ?2, ?3) \
             ON CONFLICT(number) DO UPDATE SET opted_out = ?2, updated_at = ?3",
            )?
            .execute(params![number, opted_out, ms(now)])?;
        self.conn
            .prepare_cached(
                "INSERT INTO consent_log (number, opted_out, source, at) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![number, opted_out, source, ms(now)])?;
        if opted_out {
            cancel_queued(self.conn, number, now)?;
        }
        Ok(true)
    }

    /// A number's consent history, oldest first.
    ///
    /// See [`Store::consent_history`](super::Store::consent_history).
    pub fn consent_history(&self, number: &str) -> Result<Vec<ConsentChange>, Error> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT number, opted_out, source, at FROM consent_log WHERE number = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([number], |r| {
            Ok(ConsentChange {
                number: r.get(0)?,
                opted_out: r.get(1)?,
                source: r.get(2)?,
                at: ts(r.get(3)?)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// One page, in number order after `cursor` (the previous page's `next_cursor`), of the numbers
    /// whose current consent is `opted_out` (`false`: those that opted back in; a number never
    /// asked about has no row and is not listed).
    ///
    /// See [`Store::list_consent`](super::Store::list_consent).
    pub fn list_consent(
        &self,
        opted_out: bool,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page<ConsentState>, Error> {
        let limit = limit.clamp(1, 1000);
        let mut stmt = self.conn.prepare_cached(
            "SELECT number, opted_out, updated_at FROM consent \
             WHERE opted_out = ?1 AND (?2 IS NULL OR number > ?2) ORDER BY number LIMIT ?3",
        )?;
        let mut items = stmt
            .query_map(params![opted_out, cursor, (limit + 1) as i64], |r| {
                Ok(ConsentState {
                    number: r.get(0)?,
                    opted_out: r.get(1)?,
                    updated_at: ts(r.get(2)?)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let more = items.len() > limit;
        items.truncate(limit);
        let next_cursor = if more {
            items.last().map(|c| c.number.clone())
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }
}

/// Cancels what is still queued for `number` and not transactional: a scheduled or paced
/// campaign message, a retry waiting for its backoff, a reply not yet sent. Enqueue refuses an
/// opted-out number, but these were accepted before the STOP.
fn cancel_queued(conn: &Connection, number: &str, now: Timestamp) -> Result<(), Error> {
    let messages = conn
        .prepare_cached(
            "SELECT DISTINCT r.message_id FROM outbound_recipients r \
             JOIN outbound_messages m ON m.id = r.message_id \
             WHERE r.number = ?1 AND r.state = 'queued' AND m.transactional = 0",
        )?
        .query_map([number], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut cancel = conn.prepare_cached(
        "UPDATE outbound_recipients SET state = 'cancelled', updated_at = ?3, \
         error = 'opted_out' WHERE message_id = ?1 AND number = ?2 AND state = 'queued'",
    )?;
    for id in messages {
        cancel.execute(params![id, number, ms(now)])?;
        update_rollup(conn, &id, now)?;
    }
    Ok(())
}
