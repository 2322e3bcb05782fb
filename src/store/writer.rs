//! The writer thread: it owns the one write connection, drains every queued job into one
//! transaction, commits once, and only then replies to each job (group commit).
//!
//! Each job runs inside its own savepoint, so a failing job rolls back alone and the others of its
//! batch still commit. When COMMIT itself fails, every job of the batch gets the error. A job
//! marked `alone` (a chunk of a campaign) gets a transaction of its own: a short job queued
//! beside it then waits for it, but is not held back until it commits too.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::mpsc;

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::Error;
use super::error::copy_sqlite_error;

/// Jobs drained into one transaction at most.
const MAX_BATCH: usize = 512;

/// A transaction that takes this long is logged (at debug level): what every write queued behind
/// it waited.
const SLOW: std::time::Duration = std::time::Duration::from_millis(50);

/// A unit of work for the writer.
pub(crate) trait Job: Send {
    /// Runs inside the batch's transaction (in its own savepoint).
    fn run(&mut self, conn: &Connection);
    /// Replies, after COMMIT returned (`Ok`) or failed (`Err`).
    fn finish(self: Box<Self>, commit: Result<(), &rusqlite::Error>);
    /// Committed in a transaction of its own.
    fn alone(&self) -> bool;
}

/// A closure job with a oneshot reply.
pub(crate) struct TypedJob<T, F> {
    alone: bool,
    f: Option<F>,
    result: Option<Result<T, Error>>,
    reply: oneshot::Sender<Result<T, Error>>,
}

impl<T, F> TypedJob<T, F>
where
    T: Send + 'static,
    F: FnOnce(&Connection) -> Result<T, Error> + Send + 'static,
{
    pub(crate) fn boxed(alone: bool, f: F) -> (Box<dyn Job>, oneshot::Receiver<Result<T, Error>>) {
        let (reply, rx) = oneshot::channel();
        let job = TypedJob {
            alone,
            f: Some(f),
            result: None,
            reply,
        };
        (Box::new(job), rx)
    }
}

impl<T, F> Job for TypedJob<T, F>
where
    T: Send + 'static,
    F: FnOnce(&Connection) -> Result<T, Error> + Send + 'static,
{
    fn run(&mut self, conn: &Connection) {
        let Some(f) = self.f.take() else {
            return;
        };
        if let Err(e) = conn.execute_batch("SAVEPOINT job") {
            self.result = Some(Err(e.into()));
            return;
        }
        let result = match catch_unwind(AssertUnwindSafe(|| f(conn))) {
            Ok(r) => r,
            Err(_) => Err(Error::Invalid("a store job panicked".into())),
        };
        let result = match result {
            Ok(v) => match conn.execute_batch("RELEASE job") {
                Ok(()) => Ok(v),
                Err(e) => {
                    let _ = conn.execute_batch("ROLLBACK TO job; RELEASE job");
                    Err(e.into())
                }
            },
            Err(e) => match conn.execute_batch("ROLLBACK TO job; RELEASE job") {
                Ok(()) => Err(e),
                Err(rb) => Err(rb.into()),
            },
        };
        self.result = Some(result);
    }

    fn finish(self: Box<Self>, commit: Result<(), &rusqlite::Error>) {
        let out = match commit {
            Ok(()) => self.result.unwrap_or(Err(Error::Closed)),
            Err(e) => Err(Error::Sqlite(copy_sqlite_error(e))),
        };
        let _ = self.reply.send(out);
    }

    fn alone(&self) -> bool {
        self.alone
    }
}

/// The writer loop; returns when every sender is gone and the queue is empty.
pub(crate) fn run(
    conn: Connection,
    rx: mpsc::Receiver<Box<dyn Job>>,
    commits: Arc<tokio::sync::watch::Sender<u64>>,
) {
    // A job taken off the channel that must start a batch of its own.
    let mut held: Option<Box<dyn Job>> = None;
    loop {
        let first = match held.take() {
            Some(job) => job,
            None => match rx.recv() {
                Ok(job) => job,
                Err(_) => break,
            },
        };
        let mut batch = vec![first];
        while !batch[0].alone() && batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) if job.alone() => {
                    held = Some(job);
                    break;
                }
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let started = std::time::Instant::now();
        if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
            for job in batch {
                job.finish(Err(&e));
            }
            continue;
        }
        for job in &mut batch {
            if conn.is_autocommit() {
                break;
            }
            job.run(&conn);
        }
        if conn.is_autocommit() {
            // SQLite rolled the whole transaction back (an I/O error, a full disk, ...): nothing
            // of the batch is stored, so no job may report success. (Jobs skipped above are
            // answered the same way.)
            let e = rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ABORT),
                Some("the transaction was rolled back".into()),
            );
            tracing::error!(
                jobs = batch.len(),
                "store transaction rolled back by SQLite"
            );
            for job in batch {
                job.finish(Err(&e));
            }
            continue;
        }
        let ran = started.elapsed();
        let committed = conn.execute_batch("COMMIT");
        let took = started.elapsed();
        if took >= SLOW {
            tracing::debug!(
                jobs = batch.len(),
                run_ms = ran.as_millis() as u64,
                commit_ms = (took - ran).as_millis() as u64,
                "slow write transaction"
            );
        }
        match committed {
            Ok(()) => {
                commits.send_modify(|n| *n += 1);
                for job in batch {
                    job.finish(Ok(()));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, jobs = batch.len(), "store commit failed");
                let _ = conn.execute_batch("ROLLBACK");
                for job in batch {
                    job.finish(Err(&e));
                }
            }
        }
    }
}
