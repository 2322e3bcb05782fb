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

mod campaigns;
mod consent;
// contacts and templates (the contacts API)
mod contacts;
mod templates;

mod conversations;
mod error;
mod events;
mod history;
mod ids;
mod inbound;
mod migrate;
mod outbound;
mod reports;
mod retention;
mod rollup;
mod rules;
mod stats;
mod support_reports;
mod threads;
mod tx;
mod types;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use jiff::Timestamp;
use rusqlite::Connection;

pub use campaigns::{Campaign, NewCampaign, Skipped};
pub use consent::ConsentChange;
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
pub use support_reports::{
    DayReport, DurationStats, MAX_REPORT_DAYS, OutboundCounts, failure_cause,
};
pub use threads::{ConversationFilter, ConversationOrder, MessageDirection, ThreadItem};
pub use tx::Tx;
pub use types::{
    AuditEntry, DispatchJob, FailureClass, INTERRUPTED, InboundMessage, InboundOutcome,
    Interrupted, MatchedPart, MessageFilter, MessageRecord, NewEvent, NewInboundPart, NewMessage,
    NewPart, NewStatusReport, Origin, Page, PartRecord, PartState, RecipientRecord, ReportMatch,
    ReportOutcome, State, WebhookEvent,
};

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
    commits: Arc<AtomicU64>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Dropping the sender lets the writer finish the queued jobs and exit on its own.
        if let Ok(mut jobs) = self.jobs.lock() {
            jobs.take();
        }
    }
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
        let path = path.as_ref().to_path_buf();
        let mut conn = connect(&path)?;
        let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Error::Migration(format!(
                "could not switch {} to WAL (journal_mode is {mode})",
                path.display()
            )));
        }
        migrate::migrate(&mut conn)?;
        {
            let tx = conn.transaction()?;
            let n = outbound::recover(&tx, now, interrupted)?;
            tx.commit()?;
            if n > 0 {
                tracing::warn!(
                    recipients = n,
                    "recipients interrupted while sending are now unknown"
                );
            }
        }
        let (tx, rx) = mpsc::channel::<Box<dyn Job>>();
        let commits = Arc::new(AtomicU64::new(0));
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
        self.inner.commits.load(Ordering::SeqCst)
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
        F: FnOnce(&Connection) -> Result<T, Error> + Send + 'static,
    {
        let (job, rx) = TypedJob::boxed(f);
        {
            let jobs = self.inner.jobs.lock().map_err(|_| Error::Closed)?;
            let sender = jobs.as_ref().ok_or(Error::Closed)?;
            sender.send(job).map_err(|_| Error::Closed)?;
        }
        rx.await.map_err(|_| Error::Closed)?
    }

    /// Runs `f` in a read transaction on a pooled connection, off the async threads.
    async fn read<T, F>(&self, f: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, Error> + Send + 'static,
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
                let r = f(&tx);
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
        self.write(move |conn| f(&Tx { conn })).await
    }

    // ---- outbound ----

    /// Accepts a message (or returns the one its idempotency key already names). Resolves after
    /// the commit: the `202` may be sent then.
    pub async fn enqueue(&self, msg: NewMessage, now: Timestamp) -> Result<MessageRecord, Error> {
        self.write(move |c| outbound::enqueue(c, &msg, now)).await
    }

    /// Atomically moves up to `limit` due recipients to `sending` (priority, then age) and
    /// returns them. With `modem`, only messages pinned to it or to none.
    pub async fn claim_due(
        &self,
        now: Timestamp,
        limit: usize,
        modem: Option<String>,
    ) -> Result<Vec<DispatchJob>, Error> {
        self.write(move |c| outbound::claim_due(c, now, limit, modem.as_deref()))
            .await
    }

    /// Stores the segmented PDUs of a recipient being sent (parts already stored are kept) and
    /// returns all its parts.
    pub async fn add_parts(
        &self,
        recipient_id: i64,
        parts: Vec<NewPart>,
    ) -> Result<Vec<PartRecord>, Error> {
        self.write(move |c| outbound::add_parts(c, recipient_id, &parts))
            .await
    }

    /// Records `+CMGS: <mr>` for a part; returns the recipient's state (`sent` once every part is).
    pub async fn record_part_sent(
        &self,
        part_id: i64,
        mr: u8,
        modem: &str,
        now: Timestamp,
    ) -> Result<State, Error> {
        let modem = modem.to_owned();
        self.write(move |c| outbound::record_part_sent(c, part_id, mr, &modem, now))
            .await
    }

    /// Records a failed attempt: `Temporary` requeues at `next_attempt_at` while attempts remain
    /// (else `failed`), `Permanent` fails, `Unknown` parks it as `unknown`. Returns the new state.
    pub async fn record_send_failed(
        &self,
        recipient_id: i64,
        class: FailureClass,
        error: &str,
        next_attempt_at: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<State, Error> {
        let error = error.to_owned();
        self.write(move |c| {
            outbound::record_send_failed(c, recipient_id, class, &error, next_attempt_at, now)
        })
        .await
    }

    /// An operator's decision on an `unknown` recipient: `resend` queues it again now (its
    /// pending parts go out again), otherwise it becomes `failed`. Returns the new state.
    pub async fn resolve_unknown(
        &self,
        recipient_id: i64,
        resend: bool,
        now: Timestamp,
    ) -> Result<State, Error> {
        self.write(move |c| outbound::resolve_unknown(c, recipient_id, resend, now))
            .await
    }

    /// Expires queued recipients whose TTL ran out; returns the ids of the messages touched.
    pub async fn expire_due(&self, now: Timestamp) -> Result<Vec<String>, Error> {
        self.write(move |c| outbound::expire_due(c, now)).await
    }

    /// Cancels the recipients still queued; [`Error::InvalidState`] when none is.
    pub async fn cancel(&self, id: &str, now: Timestamp) -> Result<MessageRecord, Error> {
        let id = id.to_owned();
        self.write(move |c| outbound::cancel(c, &id, now)).await
    }

    /// One message with its recipients and parts.
    pub async fn get_message(&self, id: &str) -> Result<MessageRecord, Error> {
        let id = id.to_owned();
        self.read(move |c| outbound::load_message(c, &id)).await
    }

    /// Messages newest first; pass the returned `next_cursor` to get the next page.
    pub async fn list_messages(
        &self,
        filter: MessageFilter,
        cursor: Option<String>,
        limit: usize,
    ) -> Result<Page<MessageRecord>, Error> {
        self.read(move |c| outbound::list_messages(c, &filter, cursor.as_deref(), limit))
            .await
    }

    // ---- inbound ----

    /// Commits a received part (once: the same part read twice is a `Duplicate`) and assembles
    /// the message when it was the last. Delete the part from the SIM only after this resolves.
    pub async fn insert_inbound_part(
        &self,
        part: NewInboundPart,
        now: Timestamp,
    ) -> Result<InboundOutcome, Error> {
        self.write(move |c| inbound::insert_part(c, &part, now))
            .await
    }

    /// Delivers, marked incomplete, messages whose first waiting part arrived at or before
    /// `older_than`.
    pub async fn flush_stale_inbound(
        &self,
        older_than: Timestamp,
        now: Timestamp,
    ) -> Result<Vec<InboundMessage>, Error> {
        self.write(move |c| inbound::flush_stale(c, older_than, now))
            .await
    }

    /// Completed inbound messages not yet marked processed, oldest first (run the rules on them
    /// again after a restart).
    pub async fn unprocessed_inbound(&self, limit: usize) -> Result<Vec<InboundMessage>, Error> {
        self.read(move |c| inbound::unprocessed(c, limit)).await
    }

    /// Records that the rules ran on an inbound message, queueing its replies and webhook events
    /// in the same transaction; returns the queued replies.
    pub async fn finish_inbound(
        &self,
        id: &str,
        replies: Vec<NewMessage>,
        events: Vec<NewEvent>,
        now: Timestamp,
    ) -> Result<Vec<MessageRecord>, Error> {
        let id = id.to_owned();
        self.write(move |c| inbound::finish(c, &id, &replies, &events, now))
            .await
    }

    /// One inbound message.
    pub async fn get_inbound(&self, id: &str) -> Result<InboundMessage, Error> {
        let id = id.to_owned();
        self.read(move |c| inbound::get(c, &id)).await
    }

    /// Inbound messages newest first.
    pub async fn list_inbound(
        &self,
        cursor: Option<String>,
        limit: usize,
    ) -> Result<Page<InboundMessage>, Error> {
        self.read(move |c| inbound::list(c, cursor.as_deref(), limit))
            .await
    }

    // ---- delivery reports ----

    /// Stores a status report and applies it to the part sent with that (modem, mr, recipient)
    /// most recently within `window` before `now`.
    pub async fn record_status_report(
        &self,
        report: NewStatusReport,
        window: Duration,
        now: Timestamp,
    ) -> Result<ReportMatch, Error> {
        self.write(move |c| reports::record(c, &report, window, now))
            .await
    }

    // ---- webhooks and audit ----

    /// Queues an event for one webhook endpoint; returns its id.
    pub async fn enqueue_event(
        &self,
        endpoint: &str,
        kind: &str,
        payload: &str,
        now: Timestamp,
    ) -> Result<i64, Error> {
        let (endpoint, kind, payload) = (endpoint.to_owned(), kind.to_owned(), payload.to_owned());
        self.write(move |c| events::enqueue(c, &endpoint, &kind, &payload, now))
            .await
    }

    /// Pending webhook deliveries due at `now`, oldest first.
    pub async fn due_events(
        &self,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<WebhookEvent>, Error> {
        self.read(move |c| events::due(c, now, limit)).await
    }

    /// A webhook delivery succeeded.
    pub async fn mark_event_delivered(&self, id: i64, now: Timestamp) -> Result<(), Error> {
        self.write(move |c| events::mark_delivered(c, id, now))
            .await
    }

    /// A webhook delivery failed: retry at `next_attempt_at`, or give up when `None`.
    pub async fn mark_event_failed(
        &self,
        id: i64,
        error: &str,
        next_attempt_at: Option<Timestamp>,
    ) -> Result<(), Error> {
        let error = error.to_owned();
        self.write(move |c| events::mark_failed(c, id, &error, next_attempt_at))
            .await
    }

    /// Records that `token` did `action` on `target`.
    pub async fn audit(
        &self,
        token: &str,
        action: &str,
        target: Option<&str>,
        now: Timestamp,
    ) -> Result<i64, Error> {
        let (token, action) = (token.to_owned(), action.to_owned());
        let target = target.map(str::to_owned);
        self.write(move |c| events::audit(c, &token, &action, target.as_deref(), now))
            .await
    }

    /// The newest `limit` audit entries.
    pub async fn audit_log(&self, limit: usize) -> Result<Vec<AuditEntry>, Error> {
        self.read(move |c| events::audit_log(c, limit)).await
    }

    // ---- support line ----

    /// Whether `number` has opted out.
    pub async fn opted_out(&self, number: &str) -> Result<bool, Error> {
        let number = number.to_owned();
        self.read(move |c| consent::opted_out(c, &number)).await
    }

    /// Records `number`'s consent; true when it changed.
    pub async fn set_consent(
        &self,
        number: &str,
        opted_out: bool,
        source: &str,
        now: Timestamp,
    ) -> Result<bool, Error> {
        let (number, source) = (number.to_owned(), source.to_owned());
        self.write(move |c| consent::set(c, &number, opted_out, &source, now))
            .await
    }

    /// Every consent change of `number`, oldest first.
    pub async fn consent_history(&self, number: &str) -> Result<Vec<ConsentChange>, Error> {
        let number = number.to_owned();
        self.read(move |c| consent::history(c, &number)).await
    }

    /// The conversation `id`.
    pub async fn get_conversation(&self, id: &str) -> Result<Conversation, Error> {
        let id = id.to_owned();
        self.read(move |c| conversations::get(c, &id)).await
    }

    /// The conversation with `number`, if any.
    pub async fn conversation_with(&self, number: &str) -> Result<Option<Conversation>, Error> {
        let number = number.to_owned();
        self.read(move |c| conversations::by_number(c, &number))
            .await
    }

    /// Queues a bulk campaign: `messages` (one per recipient, rendered) all or nothing.
    pub async fn create_campaign(
        &self,
        campaign: NewCampaign,
        messages: Vec<NewMessage>,
        now: Timestamp,
    ) -> Result<Campaign, Error> {
        self.write(move |c| campaigns::create(c, &campaign, messages, now))
            .await
    }

    /// Campaign `id` with its progress.
    pub async fn get_campaign(&self, id: &str) -> Result<Campaign, Error> {
        let id = id.to_owned();
        self.read(move |c| campaigns::get(c, &id)).await
    }

    /// Applies an update to conversation `id`.
    pub async fn update_conversation(
        &self,
        id: &str,
        update: ConversationUpdate,
        now: Timestamp,
    ) -> Result<Conversation, Error> {
        let id = id.to_owned();
        self.write(move |c| conversations::update(c, &id, &update, now))
            .await
    }

    // ---- API-managed rules ----

    /// The API-managed rules, in evaluation order.
    pub async fn rules(&self) -> Result<Vec<StoredRule>, Error> {
        self.read(rules::load).await
    }

    /// Replaces the API-managed rules with `list` (in that order), recording `by` as the editor.
    pub async fn replace_rules(
        &self,
        list: Vec<NewRule>,
        by: Option<String>,
        now: Timestamp,
    ) -> Result<(), Error> {
        self.write(move |c| rules::replace(c, &list, by.as_deref(), now))
            .await
    }

    // ---- contacts, consent listing and templates (the contacts API) ----

    /// The contact with `number`, if any.
    pub async fn get_contact(&self, number: &str) -> Result<Option<Contact>, Error> {
        let number = number.to_owned();
        self.read(move |c| contacts::get(c, &number)).await
    }

    /// Creates or replaces (name, fields and groups as a whole) the contact with
    /// `contact.number`; returns it and whether it was created.
    pub async fn upsert_contact(
        &self,
        contact: NewContact,
        now: Timestamp,
    ) -> Result<(Contact, bool), Error> {
        self.write(move |c| contacts::upsert(c, &contact, now))
            .await
    }

    /// Deletes the contact with `number` and its group memberships; returns whether it existed.
    pub async fn delete_contact(&self, number: &str) -> Result<bool, Error> {
        let number = number.to_owned();
        self.write(move |c| contacts::delete(c, &number)).await
    }

    /// Contacts in number order; pass the returned `next_cursor` to get the next page.
    pub async fn list_contacts(
        &self,
        filter: ContactFilter,
        cursor: Option<String>,
        limit: usize,
    ) -> Result<Page<Contact>, Error> {
        self.read(move |c| contacts::list(c, &filter, cursor.as_deref(), limit))
            .await
    }

    /// The groups of the contact with `number`, sorted; empty when it is no contact.
    pub async fn groups_of(&self, number: &str) -> Result<Vec<String>, Error> {
        let number = number.to_owned();
        self.read(move |c| contacts::groups_of(c, &number)).await
    }

    /// Every member of `group`, in number order, read in one statement.
    pub async fn group_members(&self, group: &str) -> Result<Vec<Contact>, Error> {
        let group = group.to_owned();
        self.read(move |c| contacts::all(c, Some(&group))).await
    }

    /// Every contact (`group`: only its members), in number order: the CSV export.
    pub async fn all_contacts(&self, group: Option<String>) -> Result<Vec<Contact>, Error> {
        self.read(move |c| contacts::all(c, group.as_deref())).await
    }

    /// Every group with its member count, by name.
    pub async fn list_groups(&self) -> Result<Vec<(String, u64)>, Error> {
        self.read(contacts::groups).await
    }

    /// Writes every row in one transaction (all or nothing, one fsync); a number given twice:
    /// the later row wins.
    pub async fn import_contacts(
        &self,
        rows: Vec<NewContact>,
        now: Timestamp,
    ) -> Result<ImportCounts, Error> {
        self.write(move |c| contacts::import(c, &rows, now)).await
    }

    /// Numbers whose current consent is `opted_out`, in number order, one page.
    pub async fn list_consent(
        &self,
        opted_out: bool,
        cursor: Option<String>,
        limit: usize,
    ) -> Result<Page<ConsentState>, Error> {
        self.read(move |c| consent::list(c, opted_out, cursor.as_deref(), limit))
            .await
    }

    /// The stored template `name`, if any.
    pub async fn get_template(&self, name: &str) -> Result<Option<Template>, Error> {
        let name = name.to_owned();
        self.read(move |c| templates::get(c, &name)).await
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
        self.write(move |c| templates::upsert(c, &name, &body, by.as_deref(), now))
            .await
    }

    /// Deletes the template `name`; returns whether it existed.
    pub async fn delete_template(&self, name: &str) -> Result<bool, Error> {
        let name = name.to_owned();
        self.write(move |c| templates::delete(c, &name)).await
    }

    /// Every stored template, by name.
    pub async fn list_templates(&self) -> Result<Vec<Template>, Error> {
        self.read(templates::list).await
    }

    // ---- conversations and reports ----

    /// One page of conversations matching `filter`; pass the returned `next_cursor` to get the
    /// next page.
    pub async fn list_conversations(
        &self,
        filter: ConversationFilter,
        cursor: Option<String>,
        limit: usize,
    ) -> Result<Page<Conversation>, Error> {
        self.read(move |c| threads::list(c, &filter, cursor.as_deref(), limit))
            .await
    }

    /// Conversation `id` and its newest `limit` messages in both directions, oldest first, read
    /// in one transaction.
    pub async fn conversation_thread(
        &self,
        id: &str,
        limit: usize,
    ) -> Result<(Conversation, Vec<ThreadItem>), Error> {
        let id = id.to_owned();
        self.read(move |c| threads::thread(c, &id, limit)).await
    }

    /// Marks conversation `id` read (its unread count becomes 0).
    pub async fn mark_conversation_read(&self, id: &str) -> Result<Conversation, Error> {
        let id = id.to_owned();
        self.write(move |c| threads::mark_read(c, &id)).await
    }

    /// The report of each local day `from..=to` in `tz` (at most [`MAX_REPORT_DAYS`]).
    pub async fn daily_report(
        &self,
        from: jiff::civil::Date,
        to: jiff::civil::Date,
        tz: jiff::tz::TimeZone,
    ) -> Result<Vec<DayReport>, Error> {
        self.read(move |c| support_reports::daily(c, from, to, &tz))
            .await
    }

    /// The schema version of the open database.
    pub async fn schema_version(&self) -> Result<u32, Error> {
        self.read(migrate::version).await
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
