//! Consent: whether a number has opted out, and every change with its time and source.
//!
//! A number with no row has not opted out. Changes are appended to `consent_log`, which
//! retention never prunes: it is the record of what a customer asked for.

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};

use super::rollup::update_rollup;
use super::{Error, ms, ts};

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

/// Whether `number` has opted out.
pub(crate) fn opted_out(conn: &Connection, number: &str) -> Result<bool, Error> {
    let v: Option<bool> = conn
        .prepare_cached("SELECT opted_out FROM consent WHERE number = ?1")?
        .query_row([number], |r| r.get(0))
        .optional()?;
    Ok(v.unwrap_or(false))
}

/// Records `number`'s consent; returns whether it changed (a second STOP changes nothing, so it
/// is confirmed once).
pub(crate) fn set(
    conn: &Connection,
    number: &str,
    opt_out: bool,
    source: &str,
    now: Timestamp,
) -> Result<bool, Error> {
    if opted_out(conn, number)? == opt_out {
        return Ok(false);
    }
    conn.prepare_cached(
        "INSERT INTO consent (number, opted_out, updated_at) VALUES (?1, ?2, ?3) \
         ON CONFLICT(number) DO UPDATE SET opted_out = ?2, updated_at = ?3",
    )?
    .execute(params![number, opt_out, ms(now)])?;
    conn.prepare_cached(
        "INSERT INTO consent_log (number, opted_out, source, at) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![number, opt_out, source, ms(now)])?;
    if opt_out {
        cancel_queued(conn, number, now)?;
    }
    Ok(true)
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

/// A number's consent history, oldest first.
pub(crate) fn history(conn: &Connection, number: &str) -> Result<Vec<ConsentChange>, Error> {
    let mut stmt = conn.prepare_cached(
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

// ---- listing (the contacts API) ----

/// A number's current consent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentState {
    pub number: String,
    pub opted_out: bool,
    /// When it last changed.
    pub updated_at: Timestamp,
}

/// One page, in number order after `cursor` (the previous page's `next_cursor`), of the numbers
/// whose current consent is `opted_out` (`false`: those that opted back in; a number never
/// asked about has no row and is not listed).
pub(crate) fn list(
    conn: &Connection,
    opted_out: bool,
    cursor: Option<&str>,
    limit: usize,
) -> Result<super::types::Page<ConsentState>, Error> {
    let limit = limit.clamp(1, 1000);
    let mut stmt = conn.prepare_cached(
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
    Ok(super::types::Page { items, next_cursor })
}
