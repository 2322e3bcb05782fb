//! The link to the hub: connects, makes sure the streams, consumers and buckets exist with the
//! expected shape, then pulls sends, publishes the outbox and reports health until the link
//! fails (then it connects again) or the service stops.

use std::time::Duration;

use async_nats::jetstream::consumer::{AckPolicy, PullConsumer, pull};
use async_nats::jetstream::kv;
use async_nats::jetstream::stream::{self, RetentionPolicy, StorageType};
use async_nats::jetstream::{self, Context};
use futures_util::StreamExt;
use jiff::Timestamp;
use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::{
    BUCKET_CLAIMS, BUCKET_HEALTH, CONSUMER_ANY, STREAM_EVT, STREAM_IN, STREAM_OUT, SUBJECT_ANY,
    Subjects, claim_key,
};
use crate::config::Fleet;
use crate::http::AppState;
use crate::http::types::SendRequest;
use crate::modem::ModemState;
use crate::store::FleetSendState;

/// What can stop the link (it is then made again).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot connect to the hub: {0}")]
    Connect(String),
    #[error("hub: {0}")]
    Hub(String),
    /// A stream, consumer or bucket exists with another shape: refusing to use it.
    #[error("{0}")]
    Shape(String),
    #[error("store: {0}")]
    Store(#[from] crate::store::Error),
}

fn hub(e: impl std::fmt::Display) -> Error {
    Error::Hub(e.to_string())
}

/// Sends taken per pull at most; and the local backlog per ready modem above which nothing
/// more is pulled ("only as much as it can send soon").
const PULL_PER_MODEM: u64 = 4;
/// How long one pull waits for sends.
const PULL_WAIT: Duration = Duration::from_secs(1);
/// How long a pull may say nothing before the link is taken for broken.
const PULL_STALL: Duration = Duration::from_secs(30);
/// How often health is written.
const HEALTH_EVERY: Duration = Duration::from_secs(10);

/// Runs the link until `cancel`: connects (again after a failure, with a growing pause), then
/// pulls, publishes and reports health.
pub async fn run(state: AppState, cfg: Fleet, cancel: CancellationToken) {
    let subjects = Subjects::new(&cfg);
    let mut pause = Duration::from_millis(250);
    let max_age = Duration::from_secs(cfg.max_age_hours.saturating_mul(3600));
    // What an earlier run left (it may have been killed while connected) is not this run's.
    let _ = state
        .store
        .fleet_link(
            "connecting",
            Some(cfg.url.get_ref().clone()),
            Timestamp::now(),
        )
        .await;
    loop {
        let mut linked = false;
        let attempt = async {
            let client = connect(&cfg).await?;
            let js = jetstream::new(client.clone());
            let hub = ensure(&js, &subjects, &cfg).await?;
            state
                .store
                .fleet_link(
                    "connected",
                    Some(cfg.url.get_ref().clone()),
                    Timestamp::now(),
                )
                .await?;
            tracing::info!(url = %cfg.url.get_ref(), site = %subjects.site, device = %subjects.device, "fleet link up");
            linked = true;
            let link = Link {
                state: state.clone(),
                js,
                hub,
                subjects: subjects.clone(),
            };
            link.resume_claims(max_age).await?;
            tokio::select! {
                r = link.pull() => r,
                r = link.publish() => r,
                r = link.health() => r,
            }
        };
        let result = tokio::select! {
            _ = cancel.cancelled() => return,
            r = attempt => r,
        };
        if linked {
            pause = Duration::from_millis(250);
        }
        if let Err(e) = result {
            tracing::warn!(error = %e, "fleet link down; connecting again");
            let _ = state
                .store
                .fleet_link("down", Some(e.to_string()), Timestamp::now())
                .await;
            if matches!(e, Error::Shape(_)) {
                // Nothing changes by itself: check again now and then, loudly.
                pause = Duration::from_secs(60);
            }
        }
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(pause) => {}
        }
        pause = (pause * 2).min(Duration::from_secs(30));
    }
}

async fn connect(cfg: &Fleet) -> Result<async_nats::Client, Error> {
    let mut opts = async_nats::ConnectOptions::new()
        .name(format!("smsgate {}", cfg.device.get_ref()))
        .connection_timeout(Duration::from_secs(5));
    if let (Some(u), Some(p)) = (&cfg.user, &cfg.password) {
        opts = opts.user_and_password(u.clone(), p.clone());
    }
    if let Some(path) = &cfg.credentials {
        opts = opts
            .credentials_file(path)
            .await
            .map_err(|e| Error::Connect(format!("credentials {}: {e}", path.display())))?;
    }
    if let Some(path) = &cfg.nkey_seed_file {
        let seed = std::fs::read_to_string(path)
            .map_err(|e| Error::Connect(format!("nkey seed {}: {e}", path.display())))?;
        opts = opts.nkey(seed.trim().to_owned());
    }
    if let Some(ca) = &cfg.tls_ca {
        opts = opts.require_tls(true).add_root_certificates(ca.clone());
    }
    opts.connect(cfg.url.get_ref().as_str())
        .await
        .map_err(|e| Error::Connect(e.to_string()))
}

/// The consumers and buckets the link works with.
struct Hub {
    any: PullConsumer,
    site: PullConsumer,
    claims: kv::Store,
    health: kv::Store,
}

/// Makes sure every stream, consumer and bucket exists with the shape the fleet relies on;
/// creates what is missing, refuses what differs.
async fn ensure(js: &Context, subjects: &Subjects, cfg: &Fleet) -> Result<Hub, Error> {
    let max_age = Duration::from_secs(cfg.max_age_hours.saturating_mul(3600));
    let out = stream_with(
        js,
        stream::Config {
            name: STREAM_OUT.into(),
            subjects: vec!["sms.out.>".into()],
            retention: RetentionPolicy::WorkQueue,
            storage: StorageType::File,
            max_age,
            ..Default::default()
        },
    )
    .await?;
    for (name, subject) in [("sms.in.>", STREAM_IN), ("sms.evt.>", STREAM_EVT)] {
        stream_with(
            js,
            stream::Config {
                name: subject.into(),
                subjects: vec![name.into()],
                retention: RetentionPolicy::Limits,
                storage: StorageType::File,
                // A row whose PubAck was lost is published again when the link returns,
                // which may be hours later: the hub must still know its id then.
                duplicate_window: Duration::from_secs(24 * 3600),
                ..Default::default()
            },
        )
        .await?;
    }
    let ack_wait = Duration::from_secs(cfg.ack_wait_secs.max(1));
    let any = consumer_with(&out, CONSUMER_ANY, SUBJECT_ANY, ack_wait).await?;
    let site = consumer_with(
        &out,
        &subjects.site_consumer(),
        &subjects.site_out(),
        ack_wait,
    )
    .await?;
    // A claim outlives the send it guards on the hub (and a restart is refused to claim a send
    // older than that: see `resume_claims`).
    let claims = bucket(js, BUCKET_CLAIMS, max_age.saturating_mul(2)).await?;
    let health = bucket(js, BUCKET_HEALTH, Duration::ZERO).await?;
    Ok(Hub {
        any,
        site,
        claims,
        health,
    })
}

async fn stream_with(js: &Context, want: stream::Config) -> Result<stream::Stream, Error> {
    let mut s = js
        .get_or_create_stream(want.clone())
        .await
        .map_err(|e| hub(format!("stream {}: {e}", want.name)))?;
    let have = s
        .info()
        .await
        .map_err(|e| hub(format!("stream {}: {e}", want.name)))?
        .config
        .clone();
    if have.subjects != want.subjects
        || have.retention != want.retention
        || have.storage != want.storage
    {
        return Err(Error::Shape(format!(
            "stream {} exists with another shape (subjects {:?}, retention {:?}, storage {:?}; \
             smsgate needs {:?}, {:?}, {:?}): fix or remove it on the hub",
            want.name,
            have.subjects,
            have.retention,
            have.storage,
            want.subjects,
            want.retention,
            want.storage
        )));
    }
    Ok(s)
}

async fn consumer_with(
    s: &stream::Stream,
    name: &str,
    filter: &str,
    ack_wait: Duration,
) -> Result<PullConsumer, Error> {
    let c: PullConsumer = s
        .get_or_create_consumer(
            name,
            pull::Config {
                durable_name: Some(name.to_owned()),
                filter_subject: filter.to_owned(),
                ack_policy: AckPolicy::Explicit,
                ack_wait,
                ..Default::default()
            },
        )
        .await
        .map_err(|e| hub(format!("consumer {name}: {e}")))?;
    let have = &c.cached_info().config;
    if have.filter_subject != filter || have.ack_policy != AckPolicy::Explicit {
        return Err(Error::Shape(format!(
            "consumer {name} exists with another shape (filter {:?}, ack {:?}; smsgate needs \
             {filter:?}, explicit): fix or remove it on the hub",
            have.filter_subject, have.ack_policy
        )));
    }
    Ok(c)
}

/// A pull of one send that waits on the hub up to [`PULL_WAIT`].
async fn next_one(
    c: &PullConsumer,
) -> Result<pull::Batch, async_nats::error::Error<pull::BatchErrorKind>> {
    c.batch()
        .max_messages(1)
        .expires(PULL_WAIT)
        .messages()
        .await
}

/// The key-value bucket `name`, made as the client's `create_key_value` makes it (a stream
/// `KV_<name>`, one value per key) but without its account query, whose answer the client
/// cannot parse from a 2.9 server.
async fn bucket(js: &Context, name: &str, max_age: Duration) -> Result<kv::Store, Error> {
    js.get_or_create_stream(stream::Config {
        name: format!("KV_{name}"),
        subjects: vec![format!("$KV.{name}.>")],
        max_messages_per_subject: 1,
        max_age,
        storage: StorageType::File,
        allow_rollup: true,
        deny_delete: true,
        allow_direct: true,
        discard: stream::DiscardPolicy::New,
        num_replicas: 1,
        ..Default::default()
    })
    .await
    .map_err(|e| hub(format!("bucket {name}: {e}")))?;
    js.get_key_value(name)
        .await
        .map_err(|e| hub(format!("bucket {name}: {e}")))
}

struct Link {
    state: AppState,
    js: Context,
    hub: Hub,
    subjects: Subjects,
}

impl Link {
    /// Sends committed before a restart but not yet claimed are claimed now, and claimed ones
    /// still held are released, before any pull. (Their messages on the hub, unacknowledged,
    /// come again after the ack wait and are then only acknowledged.)
    ///
    /// One taken longer ago than the hub keeps sends is given up: its claim may have expired
    /// after another appliance sent it, so claiming it now could send it twice.
    async fn resume_claims(&self, max_age: Duration) -> Result<(), Error> {
        let now = Timestamp::now();
        for (msg_id, taken) in self.state.store.fleet_claiming().await? {
            let age = now.duration_since(taken).unsigned_abs();
            if age > max_age {
                tracing::warn!(%msg_id, "fleet send taken before a long outage; given up unclaimed");
                self.state
                    .store
                    .fleet_decide(&msg_id, FleetSendState::Superseded, now)
                    .await?;
            } else {
                self.claim(&msg_id).await?;
            }
        }
        self.release(None).await
    }

    async fn release(&self, msg_id: Option<&str>) -> Result<(), Error> {
        if self.state.store.fleet_release(msg_id).await? > 0 {
            self.state.dispatch.notify_one();
        }
        Ok(())
    }

    /// Makes the fleet-wide claim of `msg_id` and records its outcome.
    async fn claim(&self, msg_id: &str) -> Result<FleetSendState, Error> {
        let key = claim_key(msg_id);
        let me = self.subjects.health_key();
        let outcome = match self.hub.claims.create(&key, me.clone().into()).await {
            Ok(_) => FleetSendState::Claimed,
            Err(e) if e.kind() == kv::CreateErrorKind::AlreadyExists => {
                // Our own claim from before a restart is still ours.
                let owner = self.hub.claims.get(&key).await.map_err(hub)?;
                if owner.as_deref() == Some(me.as_bytes()) {
                    FleetSendState::Claimed
                } else {
                    FleetSendState::Superseded
                }
            }
            Err(e) => return Err(hub(format!("claim {msg_id}: {e}"))),
        };
        super::fault("fleet-after-claim");
        self.state
            .store
            .fleet_decide(msg_id, outcome, Timestamp::now())
            .await?;
        if outcome == FleetSendState::Superseded {
            tracing::info!(%msg_id, "fleet send claimed by another appliance; not sent here");
        }
        Ok(outcome)
    }

    /// How many sends to take now: none without a ready modem, else up to a few per ready
    /// modem minus what is still queued here.
    async fn room(&self) -> Result<u64, Error> {
        let ready = self
            .state
            .modems
            .list()
            .iter()
            .filter(|m| m.state == ModemState::Ready && m.health.registered)
            .count() as u64;
        let room = ready * PULL_PER_MODEM;
        let queued = self
            .state
            .store
            .queued_recipients(Timestamp::now(), room)
            .await?;
        Ok(room.saturating_sub(queued))
    }

    async fn pull(&self) -> Result<(), Error> {
        // With nothing waiting, one pull of one send stays open on each consumer; the first
        // to bring a send is served at once, the other stays open for the next round.
        let mut idle: [Option<pull::Batch>; 2] = [None, None];
        loop {
            let room = self.room().await?;
            if room == 0 {
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
            // This site's sends first, then the fleet's.
            let mut taken = 0;
            for consumer in [&self.hub.site, &self.hub.any] {
                let want = room.saturating_sub(taken);
                if want == 0 {
                    break;
                }
                // What is there now, no waiting (with an expiry a 2.9 server would hold this
                // request open, and a send arriving meanwhile would wait for it).
                let batch = consumer
                    .fetch()
                    .max_messages(want as usize)
                    .messages()
                    .await
                    .map_err(hub)?;
                taken += self.take_all(batch).await?;
            }
            if taken > 0 {
                continue;
            }
            for (slot, consumer) in idle.iter_mut().zip([&self.hub.site, &self.hub.any]) {
                if slot.is_none() {
                    *slot = Some(next_one(consumer).await.map_err(hub)?);
                }
            }
            let [site, any] = &mut idle;
            let (Some(site_pull), Some(any_pull)) = (site.as_mut(), any.as_mut()) else {
                continue;
            };
            let (which, item) = tokio::select! {
                m = site_pull.next() => (0, m),
                m = any_pull.next() => (1, m),
            };
            // A pull of one is spent once it brought its send (the client would wait out
            // its expiry), and ended when it expired: either way a new one next round.
            idle[which] = None;
            if let Some(msg) = item {
                self.take(msg.map_err(hub)?).await?;
            }
        }
    }

    /// Takes every send of `batch`; how many. A batch that goes silent (its end lost in a
    /// reconnect) fails the link rather than stall it.
    async fn take_all(&self, mut batch: pull::Batch) -> Result<u64, Error> {
        let mut n = 0;
        loop {
            let next = tokio::time::timeout(PULL_STALL, batch.next())
                .await
                .map_err(|_| hub("a pull went silent"))?;
            let Some(msg) = next else {
                return Ok(n);
            };
            self.take(msg.map_err(hub)?).await?;
            n += 1;
        }
    }

    /// One send: commit it held, claim it, acknowledge it, release it. A send that cannot be
    /// read is terminated with an error in the log (no appliance could send it).
    async fn take(&self, msg: jetstream::Message) -> Result<(), Error> {
        let Some(msg_id) = msg
            .headers
            .as_ref()
            .and_then(|h| h.get(async_nats::header::NATS_MESSAGE_ID))
            .map(|v| v.as_str().to_owned())
            .filter(|v| !v.is_empty())
        else {
            // Its id is what keeps it from being sent twice: none, no send.
            tracing::warn!("fleet send without Nats-Msg-Id refused; terminated");
            msg.ack_with(jetstream::AckKind::Term).await.map_err(hub)?;
            return Ok(());
        };
        let parsed = serde_json::from_slice::<SendRequest>(&msg.payload)
            .map_err(|e| e.to_string())
            .and_then(|mut req| {
                // The stored idempotency key is the fleet's id; a local client's never
                // collides with it.
                req.id = Some(format!("fleet:{msg_id}"));
                crate::http::messages::new_message(&self.state, req, "fleet")
                    .map_err(|e| e.to_string())
            });
        let new = match parsed {
            Ok(m) => m,
            Err(why) => {
                tracing::warn!(%msg_id, error = %why, "fleet send refused; terminated");
                msg.ack_with(jetstream::AckKind::Term).await.map_err(hub)?;
                return Ok(());
            }
        };
        let state = match self
            .state
            .store
            .fleet_take(&msg_id, new, Timestamp::now())
            .await
        {
            Ok((_, state)) => state,
            // The send itself is refused (an opted-out number, an id reused for another
            // send): no appliance could send it.
            Err(
                e @ (crate::store::Error::OptedOut { .. }
                | crate::store::Error::Invalid(_)
                | crate::store::Error::Conflict { .. }),
            ) => {
                tracing::warn!(%msg_id, error = %e, "fleet send refused; terminated");
                msg.ack_with(jetstream::AckKind::Term).await.map_err(hub)?;
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        };
        super::fault("fleet-after-commit");
        if state == FleetSendState::Claiming {
            self.claim(&msg_id).await?;
        }
        // Only now, with the send committed and claimed; and before the modem sends, so the
        // acknowledgement never waits on it.
        msg.double_ack().await.map_err(hub)?;
        super::fault("fleet-after-ack");
        self.release(Some(&msg_id)).await
    }

    /// Publishes the outbox in order, each row once acknowledged by the hub.
    async fn publish(&self) -> Result<(), Error> {
        loop {
            let rows = self.state.store.fleet_pending(64).await?;
            if rows.is_empty() {
                tokio::time::sleep(Duration::from_millis(250)).await;
                continue;
            }
            for row in rows {
                let mut headers = async_nats::HeaderMap::new();
                let id = format!("{}.{}", self.subjects.health_key(), row.id);
                headers.insert(async_nats::header::NATS_MESSAGE_ID, id.as_str());
                let ack = self
                    .js
                    .publish_with_headers(row.subject.clone(), headers, row.payload.clone().into())
                    .await
                    .map_err(hub)?
                    .await
                    .map_err(hub)?;
                self.state
                    .store
                    .fleet_forwarded(row.id, ack.sequence, Timestamp::now())
                    .await?;
            }
        }
    }

    /// Writes this appliance's health every [`HEALTH_EVERY`].
    async fn health(&self) -> Result<(), Error> {
        loop {
            let modems: Vec<_> = self
                .state
                .modems
                .list()
                .iter()
                .map(|m| {
                    json!({
                        "name": m.name, "state": format!("{:?}", m.state).to_lowercase(),
                        "registered": m.health.registered, "signal_dbm": m.health.signal_dbm,
                    })
                })
                .collect();
            let queued = self
                .state
                .store
                .queued_recipients(Timestamp::now(), u64::MAX)
                .await?;
            let body = json!({
                "site": self.subjects.site, "device": self.subjects.device,
                "modems": modems, "queue_depth": queued, "last_seen": Timestamp::now().to_string(),
            });
            self.hub
                .health
                .put(self.subjects.health_key(), body.to_string().into())
                .await
                .map_err(hub)?;
            tokio::time::sleep(HEALTH_EVERY).await;
        }
    }
}
