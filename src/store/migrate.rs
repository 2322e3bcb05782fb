//! Versioned migrations, tracked with `PRAGMA user_version`.

use rusqlite::{Connection, TransactionBehavior};

use super::{Error, Store};

/// The migrations, in order: migration `i` brings the schema to version `i + 1`.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_init.sql"),
    include_str!("migrations/0002_status_report.sql"),
    include_str!("migrations/0003_expiry_index.sql"),
    include_str!("migrations/0004_support.sql"),
    include_str!("migrations/0005_rules.sql"),
    include_str!("migrations/0006_convo.sql"),
    include_str!("migrations/0007_desk.sql"),
    include_str!("migrations/0008_compat.sql"),
    include_str!("migrations/0009_fleet.sql"),
    include_str!("migrations/0010_queue.sql"),
    include_str!("migrations/0011_prompts.sql"),
];

/// The schema version this code writes.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

impl Store {
    /// The schema version of the open database.
    pub async fn schema_version(&self) -> Result<u32, Error> {
        self.read(|tx| version(tx.conn)).await
    }
}

/// The schema version of an open database.
pub(crate) fn version(conn: &Connection) -> Result<u32, Error> {
    let v: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    u32::try_from(v).map_err(|_| Error::Migration(format!("invalid user_version {v}")))
}

/// Applies the missing migrations, all in one transaction; refuses a database newer than the code.
pub(crate) fn migrate(conn: &mut Connection) -> Result<u32, Error> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let current = version(&tx)?;
    if current > SCHEMA_VERSION {
        return Err(Error::Migration(format!(
            "the database is at schema version {current}, newer than this smsgate understands \
             ({SCHEMA_VERSION}); upgrade smsgate or restore a backup"
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let to = i + 1;
        tx.execute_batch(sql)
            .map_err(|e| Error::Migration(format!("migration {to:04} failed: {e}")))?;
        tx.pragma_update(None, "user_version", to as i64)?;
    }
    tx.commit()?;
    Ok(SCHEMA_VERSION)
}
