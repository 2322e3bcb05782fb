//! The API-managed rules: an ordered list replaced as a whole. The store keeps each rule's spec
//! as opaque JSON; `crate::rules` gives it meaning.

use jiff::Timestamp;
use rusqlite::params;

use super::{Error, Store, Tx, ms, ts};

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

impl Store {
    /// The API-managed rules, in evaluation order.
    pub async fn rules(&self) -> Result<Vec<StoredRule>, Error> {
        self.read(|tx| tx.rules()).await
    }

    /// Replaces the API-managed rules with `list` (in that order), recording `by` as the editor.
    pub async fn replace_rules(
        &self,
        list: Vec<NewRule>,
        by: Option<String>,
        now: Timestamp,
    ) -> Result<(), Error> {
        self.write(move |tx| tx.replace_rules(&list, by.as_deref(), now))
            .await
    }
}

impl Tx<'_> {
    /// Every stored rule, in order.
    ///
    /// See [`Store::rules`](super::Store::rules) (sees this transaction's writes).
    pub fn rules(&self) -> Result<Vec<StoredRule>, Error> {
        let mut stmt = self.conn.prepare_cached(
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

    /// Replaces the whole list with `list`, in that order.
    ///
    /// See [`Store::replace_rules`](super::Store::replace_rules).
    pub fn replace_rules(
        &self,
        list: &[NewRule],
        by: Option<&str>,
        now: Timestamp,
    ) -> Result<(), Error> {
        self.conn.prepare_cached("DELETE FROM rules")?.execute([])?;
        let mut insert = self.conn.prepare_cached(
            "INSERT INTO rules (position, name, spec, updated_at, updated_by) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for (i, r) in list.iter().enumerate() {
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
}
