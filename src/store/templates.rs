//! Message templates managed through the API. A stored template overrides the config file's
//! default of the same name; rendering (placeholders, part count) is not the store's business.

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{Error, ms, ts};

/// A stored template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// Its key, e.g. `opt_out_confirmation`.
    pub name: String,
    /// The text with its `{placeholders}`, as written.
    pub body: String,
    pub updated_at: Timestamp,
    /// The API token that wrote it last.
    pub updated_by: Option<String>,
}

const COLS: &str = "name, body, updated_at, updated_by";

fn row(r: &Row<'_>) -> rusqlite::Result<Template> {
    Ok(Template {
        name: r.get(0)?,
        body: r.get(1)?,
        updated_at: ts(r.get(2)?)?,
        updated_by: r.get(3)?,
    })
}

/// The template `name`, if stored.
pub(crate) fn get(conn: &Connection, name: &str) -> Result<Option<Template>, Error> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLS} FROM templates WHERE name = ?1"))?
        .query_row([name], row)
        .optional()?)
}

/// Creates or replaces the template `name`; returns it and whether it was created.
pub(crate) fn upsert(
    conn: &Connection,
    name: &str,
    body: &str,
    updated_by: Option<&str>,
    now: Timestamp,
) -> Result<(Template, bool), Error> {
    if name.is_empty() {
        return Err(Error::Invalid("a template needs a name".into()));
    }
    let created = get(conn, name)?.is_none();
    conn.prepare_cached(
        "INSERT INTO templates (name, body, updated_at, updated_by) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT(name) DO UPDATE SET body = ?2, updated_at = ?3, updated_by = ?4",
    )?
    .execute(params![name, body, ms(now), updated_by])?;
    let t = get(conn, name)?.ok_or_else(|| Error::NotFound(format!("template {name}")))?;
    Ok((t, created))
}

/// Deletes the template `name`; returns whether it existed.
pub(crate) fn delete(conn: &Connection, name: &str) -> Result<bool, Error> {
    let n = conn
        .prepare_cached("DELETE FROM templates WHERE name = ?1")?
        .execute([name])?;
    Ok(n > 0)
}

/// Every stored template, by name.
pub(crate) fn list(conn: &Connection) -> Result<Vec<Template>, Error> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {COLS} FROM templates ORDER BY name"))?;
    Ok(stmt
        .query_map([], row)?
        .collect::<rusqlite::Result<Vec<_>>>()?)
}
