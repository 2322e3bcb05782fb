//! The store's one error type.

use super::types::State;

/// Every way a store operation can fail.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// SQLite reported an error (I/O, constraint, corruption, busy, ...).
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// An idempotency key was reused with a different request.
    #[error("idempotency key {key:?} was already used for {existing_id} with a different request")]
    Conflict {
        /// The client-supplied key.
        key: String,
        /// The message the key already names.
        existing_id: String,
    },
    /// No such message, recipient, part or event.
    #[error("not found: {0}")]
    NotFound(String),
    /// The operation is not allowed in the current state (HTTP 409).
    #[error("cannot go from {from} to {to}")]
    InvalidState {
        /// The current state.
        from: State,
        /// The state the operation would have moved to.
        to: State,
    },
    /// The caller passed something the store cannot hold (no recipients, a zero part count, ...).
    #[error("invalid input: {0}")]
    Invalid(String),
    /// A recipient opted out, and the message is not transactional.
    #[error(
        "{number} opted out (STOP); only a message marked transactional may reach it, and only \
         where support.allow_transactional_to_opted_out is true"
    )]
    OptedOut {
        /// The recipient.
        number: String,
    },
    /// The store was closed, or its writer thread is gone.
    #[error("the store is closed")]
    Closed,
    /// The schema could not be brought to the version this code expects.
    #[error("migration: {0}")]
    Migration(String),
}

/// A copy of a SQLite error, for handing one COMMIT failure to every job of the batch.
pub(crate) fn copy_sqlite_error(e: &rusqlite::Error) -> rusqlite::Error {
    match e {
        rusqlite::Error::SqliteFailure(code, msg) => {
            rusqlite::Error::SqliteFailure(*code, msg.clone())
        }
        other => rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ERROR),
            Some(other.to_string()),
        ),
    }
}
