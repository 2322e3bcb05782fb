//! Contacts: a number with a name, custom fields and the groups it belongs to.
//!
//! A contact is keyed by its number (as messages carry it, e.g. `+819012345678`). Writing a
//! contact replaces its name, fields and groups as a whole: that is what a PUT and a CSV line
//! mean. Groups are rows of `contact_groups` (deleted with their contact by the foreign key);
//! a group exists while it has a member.
//!
//! The callers validate (the HTTP layer names the offending field); the store only refuses what
//! it cannot hold.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::types::Page;
use super::{Error, Store, Tx, ms, ts};

/// A stored contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    /// Row id.
    pub id: i64,
    /// The number, unique.
    pub number: String,
    /// Empty when none was given.
    pub name: String,
    /// Custom fields (a template's `{field}` placeholders), sorted by key.
    pub fields: BTreeMap<String, String>,
    /// The groups it belongs to, sorted.
    pub groups: Vec<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A contact to write (create, or replace the one with the same number).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewContact {
    pub number: String,
    pub name: String,
    pub fields: BTreeMap<String, String>,
    /// Duplicates are dropped.
    pub groups: Vec<String>,
}

/// Which contacts [`Store::list_contacts`](super::Store::list_contacts) returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactFilter {
    /// Only members of this group.
    pub group: Option<String>,
    /// Only contacts whose name or number starts with this (names compared ignoring ASCII case;
    /// `8190` also finds `+8190...`).
    pub search: Option<String>,
}

/// What [`Store::import_contacts`](super::Store::import_contacts) did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportCounts {
    /// Numbers that had no contact.
    pub created: usize,
    /// Contacts replaced.
    pub updated: usize,
}

/// The columns [`row`] reads. The groups come along as a JSON array from a correlated
/// subquery, so a listing of any size is one statement (no query per contact).
const COLS: &str = "c.id, c.number, c.name, c.fields, c.created_at, c.updated_at, \
     (SELECT json_group_array(g.grp) FROM contact_groups g WHERE g.contact_id = c.id)";

fn row(r: &Row<'_>) -> rusqlite::Result<Contact> {
    let fields: String = r.get(3)?;
    let groups: String = r.get(6)?;
    let mut groups: Vec<String> = serde_json::from_str(&groups).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(6, rusqlite::types::Type::Text, Box::new(e))
    })?;
    // json_group_array's order is unspecified; sorted here rather than with an ORDER BY in the
    // subquery.
    groups.sort();
    Ok(Contact {
        id: r.get(0)?,
        number: r.get(1)?,
        name: r.get(2)?,
        fields: serde_json::from_str(&fields).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(3, rusqlite::types::Type::Text, Box::new(e))
        })?,
        groups,
        created_at: ts(r.get(4)?)?,
        updated_at: ts(r.get(5)?)?,
    })
}

impl Store {
    /// The contact with `number`, if any.
    pub async fn get_contact(&self, number: &str) -> Result<Option<Contact>, Error> {
        let number = number.to_owned();
        self.read(move |tx| tx.get_contact(&number)).await
    }

    /// Creates or replaces (name, fields and groups as a whole) the contact with
    /// `contact.number`; returns it and whether it was created.
    pub async fn upsert_contact(
        &self,
        contact: NewContact,
        now: Timestamp,
    ) -> Result<(Contact, bool), Error> {
        self.write(move |tx| tx.upsert_contact(&contact, now)).await
    }

    /// Deletes the contact with `number` and its group memberships; returns whether it existed.
    pub async fn delete_contact(&self, number: &str) -> Result<bool, Error> {
        let number = number.to_owned();
        self.write(move |tx| tx.delete_contact(&number)).await
    }

    /// Contacts in number order; pass the returned `next_cursor` to get the next page.
    pub async fn list_contacts(
        &self,
        filter: ContactFilter,
        cursor: Option<String>,
        limit: usize,
    ) -> Result<Page<Contact>, Error> {
        self.read(move |tx| tx.list_contacts(&filter, cursor.as_deref(), limit))
            .await
    }

    /// The groups of the contact with `number`, sorted; empty when it is no contact.
    pub async fn groups_of(&self, number: &str) -> Result<Vec<String>, Error> {
        let number = number.to_owned();
        self.read(move |tx| tx.groups_of(&number)).await
    }

    /// Every member of `group`, in number order, read in one statement.
    pub async fn group_members(&self, group: &str) -> Result<Vec<Contact>, Error> {
        let group = group.to_owned();
        self.read(move |tx| tx.group_members(&group)).await
    }

    /// Every contact (`group`: only its members), in number order: the CSV export.
    pub async fn all_contacts(&self, group: Option<String>) -> Result<Vec<Contact>, Error> {
        self.read(move |tx| tx.all_contacts(group.as_deref())).await
    }

    /// Every group with its member count, by name.
    pub async fn list_groups(&self) -> Result<Vec<(String, u64)>, Error> {
        self.read(|tx| tx.list_groups()).await
    }

    /// Writes every row in one transaction (all or nothing, one fsync); a number given twice:
    /// the later row wins.
    pub async fn import_contacts(
        &self,
        rows: Vec<NewContact>,
        now: Timestamp,
    ) -> Result<ImportCounts, Error> {
        self.write(move |tx| tx.import_contacts(&rows, now)).await
    }
}

impl Tx<'_> {
    /// The contact with `number`, if any.
    ///
    /// See [`Store::get_contact`](super::Store::get_contact) (sees this transaction's writes).
    pub fn get_contact(&self, number: &str) -> Result<Option<Contact>, Error> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {COLS} FROM contacts c WHERE c.number = ?1"
            ))?
            .query_row([number], row)
            .optional()?)
    }

    /// Creates or replaces a contact (name, fields and groups as a whole); returns it and whether
    /// it was created.
    ///
    /// See [`Store::upsert_contact`](super::Store::upsert_contact).
    pub fn upsert_contact(
        &self,
        contact: &NewContact,
        now: Timestamp,
    ) -> Result<(Contact, bool), Error> {
        let created = write(self.conn, contact, now)?;
        let stored = self
            .get_contact(&contact.number)?
            .ok_or_else(|| Error::NotFound(format!("contact {}", contact.number)))?;
        Ok((stored, created))
    }

    /// Writes every row in the caller's transaction (so a file imports whole or not at all, with
    /// one fsync). A number given twice: the later row wins.
    ///
    /// See [`Store::import_contacts`](super::Store::import_contacts).
    pub fn import_contacts(
        &self,
        rows: &[NewContact],
        now: Timestamp,
    ) -> Result<ImportCounts, Error> {
        let mut counts = ImportCounts::default();
        for c in rows {
            if write(self.conn, c, now)? {
                counts.created += 1;
            } else {
                counts.updated += 1;
            }
        }
        Ok(counts)
    }

    /// Deletes the contact with `number` (its group memberships go with it); returns whether it
    /// existed.
    ///
    /// See [`Store::delete_contact`](super::Store::delete_contact).
    pub fn delete_contact(&self, number: &str) -> Result<bool, Error> {
        let n = self
            .conn
            .prepare_cached("DELETE FROM contacts WHERE number = ?1")?
            .execute([number])?;
        Ok(n > 0)
    }

    /// One page of contacts in number order, after the number `cursor` (the previous page's
    /// `next_cursor`).
    ///
    /// See [`Store::list_contacts`](super::Store::list_contacts).
    pub fn list_contacts(
        &self,
        filter: &ContactFilter,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page<Contact>, Error> {
        let limit = limit.clamp(1, 1000);
        let pattern = filter.search.as_deref().map(prefix_pattern);
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLS} FROM contacts c \
             WHERE (?1 IS NULL OR c.number > ?1) \
               AND (?2 IS NULL OR EXISTS (SELECT 1 FROM contact_groups g \
                                          WHERE g.grp = ?2 AND g.contact_id = c.id)) \
               AND (?3 IS NULL OR c.name LIKE ?3 ESCAPE '\\' OR c.number LIKE ?3 ESCAPE '\\' \
                    OR c.number LIKE '+' || ?3 ESCAPE '\\') \
             ORDER BY c.number LIMIT ?4"
        ))?;
        let mut items = stmt
            .query_map(
                params![cursor, filter.group, pattern, (limit + 1) as i64],
                row,
            )?
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

    /// The groups of the contact with `number`, sorted (empty when it is no contact). One indexed
    /// lookup: it runs for every inbound message.
    ///
    /// See [`Store::groups_of`](super::Store::groups_of).
    pub fn groups_of(&self, number: &str) -> Result<Vec<String>, Error> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT g.grp FROM contacts c JOIN contact_groups g ON g.contact_id = c.id \
             WHERE c.number = ?1",
        )?;
        let mut groups = stmt
            .query_map([number], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;
        groups.sort();
        Ok(groups)
    }

    /// See [`Store::group_members`](super::Store::group_members).
    pub fn group_members(&self, group: &str) -> Result<Vec<Contact>, Error> {
        self.all_contacts(Some(group))
    }

    /// Every contact (`group`: only its members), in number order, in one statement.
    fn all_contacts(&self, group: Option<&str>) -> Result<Vec<Contact>, Error> {
        let mut stmt = match group {
            None => self
                .conn
                .prepare_cached(&format!("SELECT {COLS} FROM contacts c ORDER BY c.number"))?,
            // From the group's rows (its primary key leads with the group) to their contacts, so a
            // campaign to a small group does not read every contact.
            Some(_) => self.conn.prepare_cached(&group_members_sql())?,
        };
        let rows = match group {
            None => stmt.query_map([], row)?,
            Some(g) => stmt.query_map([g], row)?,
        };
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Every group with its member count, by name.
    ///
    /// See [`Store::list_groups`](super::Store::list_groups).
    pub fn list_groups(&self) -> Result<Vec<(String, u64)>, Error> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT grp, COUNT(*) FROM contact_groups GROUP BY grp ORDER BY grp")?;
        Ok(stmt
            .query_map([], |r| {
                let n: i64 = r.get(1)?;
                Ok((r.get(0)?, u64::try_from(n).unwrap_or(0)))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// How many contacts `group` has, counted without reading them.
    pub fn group_size(&self, group: &str) -> Result<u64, Error> {
        let n: i64 = self
            .conn
            .prepare_cached("SELECT COUNT(*) FROM contact_groups WHERE grp = ?1")?
            .query_row([group], |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

/// Creates or replaces the contact with `c.number`; returns whether it was created.
fn write(conn: &Connection, c: &NewContact, now: Timestamp) -> Result<bool, Error> {
    if c.number.is_empty() {
        return Err(Error::Invalid("a contact needs a number".into()));
    }
    if c.groups.iter().any(String::is_empty) {
        return Err(Error::Invalid("a group name cannot be empty".into()));
    }
    let fields = serde_json::to_string(&c.fields).map_err(|e| Error::Invalid(e.to_string()))?;
    let now_ms = ms(now);
    let existing: Option<i64> = conn
        .prepare_cached("SELECT id FROM contacts WHERE number = ?1")?
        .query_row([&c.number], |r| r.get(0))
        .optional()?;
    let id = match existing {
        Some(id) => {
            conn.prepare_cached(
                "UPDATE contacts SET name = ?2, fields = ?3, updated_at = ?4 WHERE id = ?1",
            )?
            .execute(params![id, c.name, fields, now_ms])?;
            conn.prepare_cached("DELETE FROM contact_groups WHERE contact_id = ?1")?
                .execute([id])?;
            id
        }
        None => {
            conn.prepare_cached(
                "INSERT INTO contacts (number, name, fields, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?4)",
            )?
            .execute(params![c.number, c.name, fields, now_ms])?;
            conn.last_insert_rowid()
        }
    };
    let mut insert =
        conn.prepare_cached("INSERT INTO contact_groups (grp, contact_id) VALUES (?1, ?2)")?;
    for g in c.groups.iter().collect::<BTreeSet<_>>() {
        insert.execute(params![g, id])?;
    }
    Ok(existing.is_none())
}

/// `s` as a LIKE pattern matching the strings that start with it.
fn prefix_pattern(s: &str) -> String {
    let mut p = String::with_capacity(s.len() + 1);
    for ch in s.chars() {
        if matches!(ch, '\\' | '%' | '_') {
            p.push('\\');
        }
        p.push(ch);
    }
    p.push('%');
    p
}

fn group_members_sql() -> String {
    format!(
        "SELECT {COLS} FROM contact_groups m JOIN contacts c ON c.id = m.contact_id \
         WHERE m.grp = ?1 ORDER BY c.number"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_members_seek_the_group_instead_of_scanning_contacts() {
        let mut conn = Connection::open_in_memory().unwrap();
        super::super::migrate::migrate(&mut conn).unwrap();
        let plan: Vec<String> = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {}", group_members_sql()))
            .unwrap()
            .query_map(["vip"], |r| r.get::<_, String>(3))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert!(
            plan.iter().any(|p| p.starts_with("SEARCH m USING")),
            "{plan:?}"
        );
        assert!(!plan.iter().any(|p| p.starts_with("SCAN")), "{plan:?}");
    }

    #[test]
    fn prefix_pattern_escapes_like_wildcards() {
        let cases = [
            ("plain", "Tanaka", "Tanaka%"),
            ("percent", "50%", "50\\%%"),
            ("underscore", "a_b", "a\\_b%"),
            ("backslash", "a\\b", "a\\\\b%"),
            ("japanese", "田中", "田中%"),
        ];
        for (name, input, want) in cases {
            assert_eq!(prefix_pattern(input), want, "{name}");
        }
    }
}
