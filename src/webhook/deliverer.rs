//! The delivery task: reads due outbox rows, POSTs them, records each result.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hyper::body::Bytes;
use jiff::Timestamp;
use serde_json::Value;
use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::calls::{KIND_APP, KIND_KANNEL_DLR, KIND_KANNEL_SERVICE, ServiceCall};
use super::{
    Error, HEADER_DELIVERY, HEADER_EVENT, HEADER_SIGNATURE, HEADER_TIMESTAMP, Retry, client, sign,
};
use crate::config::Webhook;
use crate::store::{Store, Tx, WebhookEvent};
use hyper::Method;

/// How the [`Deliverer`] works; [`Options::default`] suits production.
#[derive(Debug, Clone)]
pub struct Options {
    /// The retry schedule.
    pub retry: Retry,
    /// Longest wait for a whole exchange (connect, send, answer) before it counts as failed.
    pub timeout: Duration,
    /// Deliveries in flight at once.
    pub concurrency: usize,
    /// Rows one [`Deliverer::deliver_due`] step takes at most.
    pub batch: usize,
    /// Longest sleep of [`Deliverer::run`] between looks at the outbox when nothing wakes it.
    pub idle_poll: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            retry: Retry::default(),
            timeout: Duration::from_secs(10),
            concurrency: 4,
            batch: 32,
            idle_poll: Duration::from_secs(60),
        }
    }
}

/// What became of one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The endpoint answered 2xx; the row is `delivered`.
    Delivered,
    /// The attempt failed; the row is due again at `at`.
    Retry {
        /// When the next attempt is due.
        at: Timestamp,
        /// Why this one failed.
        error: String,
    },
    /// The attempt failed and no attempt is left (or none could ever succeed); the row is
    /// `failed` with `error` recorded.
    GaveUp {
        /// Why the last attempt failed.
        error: String,
    },
}

/// One attempt at one outbox row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The outbox row.
    pub row: i64,
    /// The event id (`X-Smsgate-Delivery`).
    pub event_id: String,
    /// The endpoint URL.
    pub endpoint: String,
    /// The event type.
    pub kind: String,
    /// The result.
    pub outcome: Outcome,
}

/// How the [`Deliverer`] makes the compatibility APIs' deliveries
/// ([`crate::compat::events`]).
#[derive(Debug, Clone, Default)]
pub struct CompatDelivery {
    /// SMS Gateway for Android's signing key (`X-Signature`); unsigned without one.
    pub app_signing_key: Option<Vec<u8>>,
    /// Where a Kannel service's answer goes as a reply; without it answers are not sent.
    pub replies: Option<Replies>,
}

/// Queues a Kannel service's answer `text` to `to` as a reply inside the transaction that
/// records the call; whether it was queued (the gateway decides: opt-out, guard, parts).
pub type QueueReply =
    Arc<dyn Fn(&Tx<'_>, &str, &str, Timestamp) -> Result<bool, crate::store::Error> + Send + Sync>;

/// What queueing a Kannel service's answer as a reply takes.
#[derive(Clone)]
pub struct Replies {
    /// Woken once a reply is queued.
    pub dispatch: Arc<Notify>,
    /// Queues the reply (`gateway::process::service_replies`).
    pub queue: QueueReply,
}

impl std::fmt::Debug for Replies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Replies").finish_non_exhaustive()
    }
}

struct Shared {
    store: Store,
    compat: CompatDelivery,
    /// URL -> secret (the first configured entry for a URL wins).
    endpoints: HashMap<String, Option<Vec<u8>>>,
    options: Options,
    /// Rows being attempted: never claimed twice at once.
    in_flight: Mutex<HashSet<i64>>,
    /// Counts released claims. A claim is released only after its result is
    /// committed, so a read of due rows during which none was released
    /// cannot hold a row that was just delivered.
    released: std::sync::atomic::AtomicU64,
    permits: Semaphore,
}

/// A claimed row; dropping it (whatever happened to the attempt) releases the row.
struct Claim {
    shared: Arc<Shared>,
    row: i64,
}

impl Drop for Claim {
    fn drop(&mut self) {
        if let Ok(mut set) = self.shared.in_flight.lock() {
            set.remove(&self.row);
        }
        self.shared
            .released
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// The webhook delivery task. Cheap to clone (clones share the in-flight set and the limit).
#[derive(Clone)]
pub struct Deliverer {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Deliverer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deliverer")
            .field("endpoints", &self.shared.endpoints.len())
            .field("options", &self.shared.options)
            .finish_non_exhaustive()
    }
}

impl Deliverer {
    /// A deliverer for the configured endpoints with the default [`Options`].
    pub fn new(store: Store, webhooks: &[Webhook]) -> Deliverer {
        Deliverer::with_options(store, webhooks, Options::default())
    }

    /// A deliverer with explicit options.
    pub fn with_options(store: Store, webhooks: &[Webhook], options: Options) -> Deliverer {
        let mut endpoints = HashMap::new();
        for w in webhooks {
            if w.url.get_ref().starts_with("https://") {
                tracing::warn!(url = %w.url.get_ref(), "https webhooks are not supported yet: deliveries to it will fail and be retried");
            }
            endpoints
                .entry(w.url.get_ref().clone())
                .or_insert_with(|| w.secret.as_ref().map(|s| s.as_bytes().to_vec()));
        }
        let permits = Semaphore::new(options.concurrency.max(1));
        Deliverer {
            shared: Arc::new(Shared {
                store,
                compat: CompatDelivery::default(),
                endpoints,
                options,
                in_flight: Mutex::new(HashSet::new()),
                released: std::sync::atomic::AtomicU64::new(0),
                permits,
            }),
        }
    }

    /// Makes the compatibility APIs' deliveries with `compat` (call before cloning).
    pub fn with_compat(mut self, compat: CompatDelivery) -> Deliverer {
        if let Some(shared) = Arc::get_mut(&mut self.shared) {
            shared.compat = compat;
        }
        self
    }

    /// Rows being attempted right now.
    pub fn in_flight(&self) -> usize {
        self.shared.in_flight.lock().map_or(0, |s| s.len())
    }

    /// Claims up to `max` due rows not already in flight.
    async fn claim(&self, now: Timestamp, max: usize) -> Result<Vec<(WebhookEvent, Claim)>, Error> {
        if max == 0 {
            return Ok(Vec::new());
        }
        let before = self
            .shared
            .released
            .load(std::sync::atomic::Ordering::SeqCst);
        let busy = self.in_flight();
        let due = self.shared.store.due_events(now, max + busy).await?;
        let mut set = self
            .shared
            .in_flight
            .lock()
            .map_err(|_| Error::Task("in-flight set poisoned".into()))?;
        if self
            .shared
            .released
            .load(std::sync::atomic::Ordering::SeqCst)
            != before
        {
            // An attempt finished while the rows were read: the read may
            // still show it pending. Claim nothing now; the next round reads
            // again.
            return Ok(Vec::new());
        }
        let mut claimed = Vec::new();
        for ev in due {
            if claimed.len() == max {
                break;
            }
            if set.insert(ev.id) {
                let claim = Claim {
                    shared: Arc::clone(&self.shared),
                    row: ev.id,
                };
                claimed.push((ev, claim));
            }
        }
        Ok(claimed)
    }

    /// When the earliest pending row not in flight is due, if there is one.
    async fn next_due(&self) -> Result<Option<Timestamp>, Error> {
        let busy = self.in_flight();
        let rows = self
            .shared
            .store
            .due_events(Timestamp::MAX, busy + 1)
            .await?;
        let set = self
            .shared
            .in_flight
            .lock()
            .map_err(|_| Error::Task("in-flight set poisoned".into()))?;
        Ok(rows
            .into_iter()
            .find(|r| !set.contains(&r.id))
            .map(|r| r.next_attempt_at))
    }

    /// One step with an injected clock: attempts every row due at `now` (up to
    /// [`Options::batch`], concurrently up to [`Options::concurrency`]), records the results as
    /// of `now` and returns them ordered by row. Rows already in flight elsewhere are skipped.
    pub async fn deliver_due(&self, now: Timestamp) -> Result<Vec<Delivery>, Error> {
        let claimed = self.claim(now, self.shared.options.batch).await?;
        let mut tasks = JoinSet::new();
        for (ev, claim) in claimed {
            let me = self.clone();
            tasks.spawn(async move { me.attempt(ev, claim, Some(now)).await });
        }
        let mut done = Vec::new();
        let mut first_error = None;
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok(Ok(d)) => done.push(d),
                Ok(Err(e)) => {
                    first_error.get_or_insert(e);
                }
                Err(e) => {
                    first_error.get_or_insert(Error::Task(e.to_string()));
                }
            }
        }
        if let Some(e) = first_error {
            return Err(e);
        }
        done.sort_by_key(|d| d.row);
        Ok(done)
    }

    /// The task: delivers due rows as they come due, at most [`Options::concurrency`] at once,
    /// sleeping until the next row is due, `wake` is notified (use `notify_one` after
    /// publishing, so a wake-up is never lost), or [`Options::idle_poll`] passes. Returns when
    /// `cancel` fires or the store is closed; attempts still in flight are abandoned and their
    /// rows stay pending, to be sent again (delivery is at least once).
    pub async fn run(self, cancel: CancellationToken, wake: Arc<Notify>) {
        let options = self.shared.options.clone();
        let concurrency = options.concurrency.max(1);
        let mut tasks: JoinSet<Result<Delivery, Error>> = JoinSet::new();
        loop {
            while let Some(joined) = tasks.try_join_next() {
                log_joined(joined);
            }
            let now = Timestamp::now();
            let free = concurrency.saturating_sub(tasks.len());
            let mut pause = options.idle_poll;
            let step = async {
                for (ev, claim) in self.claim(now, free).await? {
                    let me = self.clone();
                    tasks.spawn(async move { me.attempt(ev, claim, None).await });
                }
                if tasks.len() < concurrency
                    && let Some(at) = self.next_due().await?
                {
                    let wait = (at.as_millisecond() - now.as_millisecond()).max(0);
                    pause = pause.min(Duration::from_millis(wait as u64));
                }
                Ok::<(), Error>(())
            };
            match step.await {
                Ok(()) => {}
                Err(Error::Store(crate::store::Error::Closed)) => {
                    tracing::info!("the store is closed: webhook delivery stops");
                    break;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "webhook outbox");
                    pause = pause.min(Duration::from_secs(1));
                }
            }
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = wake.notified() => {}
                _ = tokio::time::sleep(pause) => {}
                Some(joined) = tasks.join_next(), if !tasks.is_empty() => log_joined(joined),
            }
        }
        tasks.abort_all();
        while tasks.join_next().await.is_some() {}
    }

    /// Makes one attempt at a claimed row and records its result. `fixed_now` injects the
    /// clock; `None` reads it (at the start for the signature, at the end for the backoff).
    async fn attempt(
        &self,
        ev: WebhookEvent,
        claim: Claim,
        fixed_now: Option<Timestamp>,
    ) -> Result<Delivery, Error> {
        let _permit = self
            .shared
            .permits
            .acquire()
            .await
            .map_err(|e| Error::Task(e.to_string()))?;
        let event_id = serde_json::from_str::<Value>(&ev.payload)
            .ok()
            .and_then(|v| v.get("id").and_then(Value::as_str).map(str::to_owned));
        let started = fixed_now.unwrap_or_else(Timestamp::now);
        let compat = ev.kind.starts_with(KIND_APP)
            || ev.kind == KIND_KANNEL_DLR
            || ev.kind == KIND_KANNEL_SERVICE;
        let result = match &event_id {
            _ if compat => self.send_compat(&ev, started).await,
            Some(id) => self.send(&ev, id, started).await.map(|()| None),
            None => Err(Error::Payload(format!("row {} has no event id", ev.id))),
        };
        let finished = fixed_now.unwrap_or_else(Timestamp::now);
        let store = &self.shared.store;
        let outcome = match result {
            Ok(reply) => {
                match (reply, &self.shared.compat.replies) {
                    (Some((to, text)), Some(replies)) => {
                        if self.queue_reply(ev.id, finished, replies, to, text).await? {
                            replies.dispatch.notify_one();
                        }
                    }
                    _ => store.mark_event_delivered(ev.id, finished).await?,
                }
                // Released as soon as the result is committed, not later.
                drop(claim);
                tracing::debug!(row = ev.id, endpoint = %without_query(&ev.endpoint), kind = %ev.kind, "webhook delivered");
                Outcome::Delivered
            }
            Err(e) => {
                let error = e.to_string();
                // Nothing about these changes on a retry.
                let permanent = matches!(
                    e,
                    Error::EndpointGone(_) | Error::Payload(_) | Error::Url { .. }
                );
                let delay = if permanent {
                    None
                } else {
                    self.shared
                        .options
                        .retry
                        .delay(ev.attempts + 1, crate::random::fraction())
                };
                let at = delay.and_then(|d| finished.checked_add(d).ok());
                store.mark_event_failed(ev.id, &error, at).await?;
                drop(claim);
                match at {
                    Some(at) => {
                        tracing::debug!(row = ev.id, endpoint = %without_query(&ev.endpoint), %error, %at, "webhook failed; will retry");
                        Outcome::Retry { at, error }
                    }
                    None => {
                        tracing::warn!(row = ev.id, endpoint = %without_query(&ev.endpoint), kind = %ev.kind, %error, "webhook given up");
                        Outcome::GaveUp { error }
                    }
                }
            }
        };
        Ok(Delivery {
            row: ev.id,
            event_id: event_id.unwrap_or_default(),
            endpoint: ev.endpoint,
            kind: ev.kind,
            outcome,
        })
    }

    /// Makes a compatibility API's delivery (its kind says which); `Ok` only for a 2xx answer
    /// in time, with the reply to queue when it is a Kannel service's answer.
    async fn send_compat(
        &self,
        ev: &WebhookEvent,
        at: Timestamp,
    ) -> Result<Option<(String, String)>, Error> {
        let compat = &self.shared.compat;
        let mut call = None;
        let (method, headers, body) = if ev.kind.starts_with(KIND_APP) {
            // SMS Gateway for Android signs body + timestamp (its PayloadSigningPlugin).
            let timestamp = at.as_second().to_string();
            let mut headers = vec![
                ("content-type".to_owned(), "application/json".to_owned()),
                ("x-timestamp".to_owned(), timestamp.clone()),
            ];
            if let Some(key) = &compat.app_signing_key {
                headers.push((
                    "x-signature".to_owned(),
                    app_signature(key, &ev.payload, &timestamp),
                ));
            }
            (Method::POST, headers, Bytes::from(ev.payload.clone()))
        } else if ev.kind == KIND_KANNEL_SERVICE {
            let c: ServiceCall = serde_json::from_str(&ev.payload)
                .map_err(|e| Error::Payload(format!("row {}: {e}", ev.id)))?;
            let method = if c.method == "POST" {
                Method::POST
            } else {
                Method::GET
            };
            let mut headers = c.headers.clone();
            if method == Method::POST {
                headers.push((
                    "content-type".to_owned(),
                    "text/plain; charset=utf-8".to_owned(),
                ));
            }
            let body = Bytes::from(c.body.clone());
            call = Some(c);
            (method, headers, body)
        } else if ev.kind == KIND_KANNEL_DLR {
            (Method::GET, Vec::new(), Bytes::new())
        } else {
            return Err(Error::Payload(format!(
                "row {}: unknown kind {}",
                ev.id, ev.kind
            )));
        };
        let headers: Vec<(&str, String)> = headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.clone()))
            .collect();
        let answer = self.exchange(method, &ev.endpoint, &headers, body).await?;
        // A Kannel service's non-empty plain-text answer is the reply, as Kannel takes it.
        let Some(to) = call.and_then(|c| c.reply_to) else {
            return Ok(None);
        };
        let text = answer.body.trim();
        let plain = answer.content_type.as_deref().is_none_or(|t| {
            t.trim_start()
                .to_ascii_lowercase()
                .starts_with("text/plain")
        });
        if text.is_empty() {
            return Ok(None);
        }
        if !plain {
            tracing::info!(row = ev.id, content_type = ?answer.content_type, "sms-service answer is not text/plain; not sent as a reply");
            return Ok(None);
        }
        Ok(Some((to, text.to_owned())))
    }

    /// Records the delivery and, in the same transaction, queues `text` to `to` as a reply
    /// when the gateway takes it; whether a reply was queued.
    async fn queue_reply(
        &self,
        row: i64,
        now: Timestamp,
        replies: &Replies,
        to: String,
        text: String,
    ) -> Result<bool, Error> {
        let queue = Arc::clone(&replies.queue);
        let queued = self
            .shared
            .store
            .atomically(move |tx| {
                tx.mark_event_delivered(row, now)?;
                queue(tx, &to, &text, now)
            })
            .await?;
        Ok(queued)
    }

    /// POSTs the row's payload, signed as of `at`; `Ok` only for a 2xx answer in time.
    async fn send(&self, ev: &WebhookEvent, event_id: &str, at: Timestamp) -> Result<(), Error> {
        let secret = self
            .shared
            .endpoints
            .get(&ev.endpoint)
            .ok_or_else(|| Error::EndpointGone(ev.endpoint.clone()))?;
        let timestamp = at.as_second().to_string();
        let body = Bytes::from(ev.payload.clone());
        let mut headers = vec![
            ("content-type", "application/json".to_owned()),
            (HEADER_EVENT, ev.kind.clone()),
            (HEADER_DELIVERY, event_id.to_owned()),
            (HEADER_TIMESTAMP, timestamp.clone()),
        ];
        if let Some(secret) = secret {
            headers.push((HEADER_SIGNATURE, sign(secret, &timestamp, &body)));
        }
        self.exchange(Method::POST, &ev.endpoint, &headers, body)
            .await
            .map(|_| ())
    }

    /// One request within [`Options::timeout`]; the answer when it is a 2xx.
    async fn exchange(
        &self,
        method: Method,
        url: &str,
        headers: &[(&str, String)],
        body: Bytes,
    ) -> Result<client::Answer, Error> {
        let timeout = self.shared.options.timeout;
        let answer = tokio::time::timeout(timeout, client::request(method, url, headers, body))
            .await
            .map_err(|_| Error::Timeout(timeout))??;
        if (200..300).contains(&answer.status) {
            Ok(answer)
        } else {
            Err(status_error(answer))
        }
    }
}

fn status_error(answer: client::Answer) -> Error {
    let body = answer.body.trim();
    let cut = body
        .char_indices()
        .nth(client::BODY_EXCERPT)
        .map_or(body.len(), |(i, _)| i);
    Error::Status {
        status: answer.status,
        body: body[..cut].to_owned(),
    }
}

/// SMS Gateway for Android's `X-Signature`: lowercase hex HMAC-SHA256 of the body followed by
/// the `X-Timestamp` value, keyed with the signing key.
pub fn app_signature(key: &[u8], body: &str, timestamp: &str) -> String {
    // An empty signature (no MAC) would fail every check rather than panic.
    super::mac_over(key, &[body.as_bytes(), timestamp.as_bytes()]).map_or_else(String::new, |m| {
        hex::encode(hmac::Mac::finalize(m).into_bytes())
    })
}

fn log_joined(joined: Result<Result<Delivery, Error>, tokio::task::JoinError>) {
    match joined {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "webhook delivery not recorded"),
        Err(e) if e.is_cancelled() => {}
        Err(e) => tracing::error!(error = %e, "webhook delivery task failed"),
    }
}

/// A URL as logged: without its query, where a Kannel `dlr-url` or `get-url` may carry a
/// password.
fn without_query(url: &str) -> &str {
    url.split_once('?').map_or(url, |(base, _)| base)
}
