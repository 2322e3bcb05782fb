//! Consent: whether a number has opted out, and every change with its time and source.
//!
//! A number with no row has not opted out. Changes are appended to `consent_log`, which
//! retention never prunes: it is the record of what a customer asked for.

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};

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
    Ok(true)
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
