//! Message templates managed through the API. A stored template overrides the config file's
//! default of the same name; rendering (placeholders, part count) is not the store's business.

use jiff::Timestamp;
use rusqlite::{OptionalExtension, Row, params};

use super::{Error, Store, Tx, ms, ts};

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

impl Store {
    /// The stored template `name`, if any.
    pub async fn get_template(&self, name: &str) -> Result<Option<Template>, Error> {
        let name = name.to_owned();
        self.read(move |tx| tx.get_template(&name)).await
    }

    /// Creates or replaces the template `name`; returns it and whether it was created.
    pub async fn upsert_template(
        &self,
        name: &str,
        body: &str,
        updated_by: Option<&str>,
        now: Timestamp,
    ) -> Result<(Template, bool), Error> {
        let (name, body) = (name.to_owned(), body.to_owned());
        let by = updated_by.map(str::to_owned);
        self.write(move |tx| tx.upsert_template(&name, &body, by.as_deref(), now))
            .await
    }

    /// Deletes the template `name`; returns whether it existed.
    pub async fn delete_template(&self, name: &str) -> Result<bool, Error> {
        let name = name.to_owned();
        self.write(move |tx| tx.delete_template(&name)).await
    }

    /// Every stored template, by name.
    pub async fn list_templates(&self) -> Result<Vec<Template>, Error> {
        self.read(|tx| tx.list_templates()).await
    }
}

impl Tx<'_> {
    /// The template `name`, if stored.
    ///
    /// See [`Store::get_template`](super::Store::get_template).
    pub fn get_template(&self, name: &str) -> Result<Option<Template>, Error> {
        Ok(self
            .conn
            .prepare_cached(&format!("SELECT {COLS} FROM templates WHERE name = ?1"))?
            .query_row([name], row)
            .optional()?)
    }

    /// Creates or replaces the template `name`; returns it and whether it was created.
    ///
    /// See [`Store::upsert_template`](super::Store::upsert_template).
    pub fn upsert_template(
        &self,
        name: &str,
        body: &str,
        updated_by: Option<&str>,
        now: Timestamp,
    ) -> Result<(Template, bool), Error> {
        if name.is_empty() {
            return Err(Error::Invalid("a template needs a name".into()));
        }
        let created = self.get_template(name)?.is_none();
        self.conn.prepare_cached(
            "INSERT INTO templates (name, body, updated_at, updated_by) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT(name) DO UPDATE SET body = ?2, updated_at = ?3, updated_by = ?4",
        )?
        .execute(params![name, body, ms(now), updated_by])?;
        let t = self
            .get_template(name)?
            .ok_or_else(|| Error::NotFound(format!("template {name}")))?;
        Ok((t, created))
    }

    /// Deletes the template `name`; returns whether it existed.
    ///
    /// See [`Store::delete_template`](super::Store::delete_template).
    pub fn delete_template(&self, name: &str) -> Result<bool, Error> {
        let n = self
            .conn
            .prepare_cached("DELETE FROM templates WHERE name = ?1")?
            .execute([name])?;
        Ok(n > 0)
    }

    /// Every stored template, by name.
    ///
    /// See [`Store::list_templates`](super::Store::list_templates).
    pub fn list_templates(&self) -> Result<Vec<Template>, Error> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("SELECT {COLS} FROM templates ORDER BY name"))?;
        Ok(stmt
            .query_map([], row)?
            .collect::<rusqlite::Result<Vec<_>>>()?)
    }
}
