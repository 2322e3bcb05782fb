//! The durable store: rusqlite over bundled SQLite in WAL mode, the single source of truth.
//!
//! - **Durability**: `synchronous=FULL`; every write is acknowledged (its future resolves) only
//!   after the COMMIT that holds it returned.
//! - **Group commit**: one writer thread owns the write connection. It drains every queued write
//!   job into one transaction, commits once and then replies to all of them, so concurrent
//!   requests share an fsync. Each job runs in its own savepoint: a failing job rolls back alone.
//!   [`Store::commits`] counts the commits.
//! - **Reads** use a small pool of separate connections (WAL lets them run beside the writer).
//! - **Migrations** live in `src/store/migrations/NNNN_*.sql`, applied in one transaction and
//!   tracked with `PRAGMA user_version`; a database newer than the code refuses to open.
//! - **Time is injected**: every operation takes `now`; only [`Store::open`] reads the clock.
//! - **Restart**: at open, recipients left in `sending` become `unknown` (never resent blindly).
//!
//! The store knows nothing of SMS encodings: callers pass PDUs as hex plus the decoded fields.
//! Times are stored as integer milliseconds since the Unix epoch.
//!
//! **Where an operation lives**: each domain file (`outbound.rs`, `inbound.rs`, `consent.rs`,
//! ...) holds its SQL as methods of [`Tx`], and next to them the [`Store`] methods that run
//! each one in a transaction of its own (the writer's for a write, a pooled read connection's
//! for a read). This file only opens the database and runs those transactions.

mod campaigns;
mod compat;
mod consent;
// contacts and templates (the contacts API)
mod contacts;
mod templates;

mod conversations;
mod error;
mod events;
mod fleet;
mod history;
mod ids;
mod inbound;
mod inbox;
mod migrate;
mod outbound;
mod prompts;
mod reports;
mod retention;
mod rollup;
mod rules;
mod search;
mod stats;
mod support_reports;
mod threads;
mod types;
mod users;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use jiff::Timestamp;
use rusqlite::Connection;

pub use campaigns::{Campaign, NewCampaign, Skipped};
pub use compat::{CompatWebhook, KannelDlr, RecipientFacts};
pub use consent::ConsentChange;
pub use fleet::{FleetOut, FleetSendState, FleetStatus};
pub use prompts::{
    NewPromptSent, PromptFigures, PromptSent, PromptTally, tally as tally_prompts,
    totals as prompt_totals,
};
// contacts and templates (the contacts API)
pub use consent::ConsentState;
pub use contacts::{Contact, ContactFilter, ImportCounts, NewContact};
pub use templates::Template;

pub use conversations::{Conversation, ConversationState, ConversationUpdate};
pub use error::Error;
pub use migrate::SCHEMA_VERSION;
pub use retention::Pruned;
pub use rollup::rollup;
pub use rules::{NewRule, StoredRule};
// Conversations as the desk reads them, and the daily reports.
pub use inbox::InboxDetail;
pub use search::SEARCH_LIMIT;
pub use support_reports::{
    DayReport, DurationStats, MAX_REPORT_DAYS, OutboundCounts, failure_cause,
};
pub use threads::{ConversationFilter, ConversationOrder, MessageDirection, ThreadItem};
pub use types::{
    AuditEntry, DispatchJob, Enqueued, FailureClass, INTERRUPTED, InboundFilter, InboundMessage,
    InboundOutcome, Interrupted, MatchedPart, MessageFilter, MessageRecord, NewEvent,
    NewInboundPart, NewMessage, NewPart, NewStatusReport, Origin, Page, PartRecord, PartState,
    RecipientRecord, ReportMatch, ReportOutcome, State, WebhookEvent,
};
pub use users::{Role, Session, User};

use writer::{Job, TypedJob};

/// How long a connection waits for a lock before `SQLITE_BUSY`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Prepared statements kept per connection (the store uses about 50 distinct ones).
const STATEMENT_CACHE: usize = 64;
/// Idle read connections kept.
const READ_POOL: usize = 4;

/// Milliseconds since the epoch.
pub(crate) fn ms(t: Timestamp) -> i64 {
    t.as_millisecond()
}

/// A stored millisecond count back to a timestamp.
pub(crate) fn ts(v: i64) -> rusqlite::Result<Timestamp> {
    Timestamp::from_millisecond(v).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Integer, Box::new(e))
    })
}

/// [`ts`] for a nullable column.
pub(crate) fn opt_ts(v: Option<i64>) -> rusqlite::Result<Option<Timestamp>> {
    v.map(ts).transpose()
}

/// Opens a connection with the store's pragmas.
fn connect(path: &Path) -> Result<Connection, Error> {
    let conn = Connection::open(path)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "foreign_keys", true)?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    Ok(conn)
}

struct Inner {
    path: PathBuf,
    jobs: Mutex<Option<mpsc::Sender<Box<dyn Job>>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
    readers: Mutex<Vec<Connection>>,
    /// Counts commits; the desk's live updates wait on it ([`Store::subscribe_commits`]).
    commits: Arc<tokio::sync::watch::Sender<u64>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Dropping the sender lets the writer finish the queued jobs and exit on its own.
        if let Ok(mut jobs) = self.jobs.lock() {
            jobs.take();
        }
    }
}

/// The writer's transaction, handed to the closure given to [`Store::atomically`]: several store
/// operations in one transaction, for steps that must not half happen (a state change and its
/// webhook event, an API action and its audit line).
///
/// Each method behaves like the `Store` method of the same name. When the closure returns an
/// error, everything it did is rolled back.
pub struct Tx<'a> {
    // Inside the store a read transaction is wrapped the same way, so that a read and a write
    // share one implementation; read connections are `query_only`, so a write there fails.
    pub(crate) conn: &'a Connection,
}

/// A handle to the store; cheap to clone, shared by every task.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.inner.path)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (creating if needed) the database at `path`; see [`Store::open_at`].
    pub fn open(path: impl AsRef<Path>) -> Result<Store, Error> {
        Store::open_at(path, Timestamp::now())
    }

    /// Opens the database, migrates it, turns `sending` recipients into `unknown` (stamped
    /// `now`), and starts the writer thread. Blocking: call it before serving, or from
    /// `spawn_blocking`.
    pub fn open_at(path: impl AsRef<Path>, now: Timestamp) -> Result<Store, Error> {
        Store::open_with(path, now, &|_, _| Ok(()))
    }

    /// [`Store::open_at`], calling `interrupted` for each recipient it turns into `unknown`,
    /// inside that transaction: the service queues the `message.failed` event there.
    pub fn open_with(
        path: impl AsRef<Path>,
        now: Timestamp,
        interrupted: &dyn Fn(&Tx<'_>, &Interrupted) -> Result<(), Error>,
    ) -> Result<Store, Error> {
        Store::open_inner(path.as_ref(), Some((now, interrupted)))
    }

    /// Opens the database for a one-off tool (`smsgate user ...`) that may run beside the
    /// service: migrates it, but leaves `sending` recipients alone, since the running service
    /// may be sending them right now.
    pub fn open_beside_service(path: impl AsRef<Path>) -> Result<Store, Error> {
        Store::open_inner(path.as_ref(), None)
    }

    #[allow(clippy::type_complexity)]
    fn open_inner(
        path: &Path,
        recover: Option<(
            Timestamp,
            &dyn Fn(&Tx<'_>, &Interrupted) -> Result<(), Error>,
        )>,
    ) -> Result<Store, Error> {
        let path = path.to_path_buf();
        let mut conn = connect(&path)?;
        let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Error::Migration(format!(
                "could not switch {} to WAL (journal_mode is {mode})",
                path.display()
            )));
        }
        migrate::migrate(&mut conn)?;
        if let Some((now, interrupted)) = recover {
            let tx = conn.transaction()?;
            let n = Tx { conn: &tx }.recover(now, interrupted)?;
            let (discarded, released) = Tx { conn: &tx }.resume_campaigns(now)?;
            tx.commit()?;
            if discarded + released > 0 {
                tracing::warn!(
                    discarded,
                    released,
                    "campaigns interrupted while being created: discarded before their last \
                     chunk, released after it"
                );
            }
            if n > 0 {
                tracing::warn!(
                    recipients = n,
                    "recipients interrupted while sending are now unknown"
                );
            }
        }
        let (tx, rx) = mpsc::channel::<Box<dyn Job>>();
        let commits = Arc::new(tokio::sync::watch::Sender::new(0));
        let thread_commits = Arc::clone(&commits);
        let thread = std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || writer::run(conn, rx, thread_commits))
            .map_err(|e| Error::Invalid(format!("cannot start the writer thread: {e}")))?;
        Ok(Store {
            inner: Arc::new(Inner {
                path,
                jobs: Mutex::new(Some(tx)),
                thread: Mutex::new(Some(thread)),
                readers: Mutex::new(Vec::new()),
                commits,
            }),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Transactions committed by the writer since open (each may hold many writes).
    pub fn commits(&self) -> u64 {
        *self.inner.commits.borrow()
    }

    /// Changes after every commit, so a reader can wait for the next one instead of polling.
    pub fn subscribe_commits(&self) -> tokio::sync::watch::Receiver<u64> {
        self.inner.commits.subscribe()
    }

    /// Stops taking writes, lets the writer commit what is queued, and waits for it.
    pub async fn close(&self) -> Result<(), Error> {
        let sender = self.inner.jobs.lock().map_err(|_| Error::Closed)?.take();
        drop(sender);
        let thread = self.inner.thread.lock().map_err(|_| Error::Closed)?.take();
        if let Some(thread) = thread {
            tokio::task::spawn_blocking(move || thread.join())
                .await
                .map_err(|_| Error::Closed)?
                .map_err(|_| Error::Closed)?;
        }
        Ok(())
    }

    /// Runs `f` in the writer's next transaction; resolves after its COMMIT.
    async fn write<T, F>(&self, f: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(&Tx<'_>) -> Result<T, Error> + Send + 'static,
    {
        self.submit(false, f).await
    }

    /// Hands `f` to the writer (in a transaction of its own when `alone`) and waits for its reply.
    async fn submit<T, F>(&self, alone: bool, f: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(&Tx<'_>) -> Result<T, Error> + Send + 'static,
    {
        let (job, rx) = TypedJob::boxed(alone, move |conn| f(&Tx { conn }));
        {
            let jobs = self.inner.jobs.lock().map_err(|_| Error::Closed)?;
            let sender = jobs.as_ref().ok_or(Error::Closed)?;
            sender.send(job).map_err(|_| Error::Closed)?;
        }
        rx.await.map_err(|_| Error::Closed)?
    }

    /// Runs `f` in a read transaction on a pooled connection, off the async threads. `f` sees one
    /// state of the database while the writer goes on, and cannot write (the connection is
    /// `query_only`). Open to the crate for reads that belong together and work too long for a
    /// writer job: building a campaign (`gateway::campaign`).
    pub(crate) async fn read<T, F>(&self, f: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(&Tx<'_>) -> Result<T, Error> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || {
            let pooled = inner.readers.lock().map_err(|_| Error::Closed)?.pop();
            let conn = match pooled {
                Some(c) => c,
                None => {
                    let c = connect(&inner.path)?;
                    c.pragma_update(None, "query_only", true)?;
                    c
                }
            };
            let result = {
                let tx = conn.unchecked_transaction()?;
                let r = f(&Tx { conn: &tx });
                tx.finish()?;
                r
            };
            if let Ok(mut pool) = inner.readers.lock()
                && pool.len() < READ_POOL
            {
                pool.push(conn);
            }
            result
        })
        .await
        .map_err(|_| Error::Closed)?
    }

    /// Runs `f` as one unit in the writer's next transaction (group-committed like every write);
    /// resolves after the COMMIT. If `f` fails, all it did is rolled back. `f` runs on the writer
    /// thread: keep it short and never block in it.
    pub async fn atomically<T, F>(&self, f: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(&Tx<'_>) -> Result<T, Error> + Send + 'static,
    {
        self.write(f).await
    }

    /// [`Store::atomically`] for a job that takes longer than most (a chunk of a campaign): it
    /// commits in a transaction of its own, so a short write queued beside it waits for it once
    /// at most, never for its COMMIT as well.
    pub async fn atomically_alone<T, F>(&self, f: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(&Tx<'_>) -> Result<T, Error> + Send + 'static,
    {
        self.submit(true, f).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_names_round_trip() {
        for s in State::ALL {
            assert_eq!(State::parse(s.as_str()), Some(s));
        }
        assert_eq!(State::parse("nope"), None);
    }
}
