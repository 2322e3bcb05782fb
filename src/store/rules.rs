//! The API-managed rules: an ordered list replaced as a whole. The store keeps each rule's spec
//! as opaque JSON; `crate::rules` gives it meaning.

use jiff::Timestamp;
use rusqlite::{Connection, params};

use super::{Error, ms, ts};

/// A rule to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRule {
    /// Unique.
    pub name: String,
    /// The spec as JSON.
    pub spec: String,
}

/// A stored rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRule {
    /// 1-based position in evaluation order (among the API-managed rules).
    pub position: i64,
    pub name: String,
    /// The spec as JSON.
    pub spec: String,
    /// When the list holding it was last replaced.
    pub updated_at: Timestamp,
    /// Who replaced it (the API token's name).
    pub updated_by: Option<String>,
}

/// Every stored rule, in order.
pub(crate) fn load(conn: &Connection) -> Result<Vec<StoredRule>, Error> {
    let mut stmt = conn.prepare_cached(
        "SELECT position, name, spec, updated_at, updated_by FROM rules ORDER BY position",
    )?;
    let rules = stmt
        .query_map([], |r| {
            Ok(StoredRule {
                position: r.get(0)?,
                name: r.get(1)?,
                spec: r.get(2)?,
                updated_at: ts(r.get(3)?)?,
                updated_by: r.get(4)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rules)
}

/// Replaces the whole list with `rules`, in that order.
pub(crate) fn replace(
    conn: &Connection,
    rules: &[NewRule],
    by: Option<&str>,
    now: Timestamp,
) -> Result<(), Error> {
    conn.prepare_cached("DELETE FROM rules")?.execute([])?;
    let mut insert = conn.prepare_cached(
        "INSERT INTO rules (position, name, spec, updated_at, updated_by) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for (i, r) in rules.iter().enumerate() {
        let position = i64::try_from(i + 1).unwrap_or(i64::MAX);
        insert
            .execute(params![position, r.name, r.spec, ms(now), by])
            .map_err(|e| match e {
                rusqlite::Error::SqliteFailure(f, _)
                    if f.code == rusqlite::ErrorCode::ConstraintViolation =>
                {
                    Error::Invalid(format!("rule name {:?} is used twice", r.name))
                }
                other => Error::Sqlite(other),
            })?;
    }
    Ok(())
}
