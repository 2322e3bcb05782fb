//! The supervisor: opens the store, starts every long-lived task (one actor
//! per modem, the ingester, the inbound processor, the dispatcher, the webhook
//! deliverer, the HTTP API, the retention sweep), and on shutdown cancels them
//! and waits for each to reach a safe point (a send in flight completes).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, mpsc};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::Config;
use crate::gateway::dispatch::{self, Dispatcher, Pacing};
use crate::gateway::ingest::Ingester;
use crate::gateway::process::Processor;
use crate::gateway::{Clock, Events, SystemClock};
use crate::http::{self, AppState};
use crate::metrics::Metrics;
use crate::modem::actor::{self, ModemConfig};
use crate::modem::port::FlowControl;
use crate::modem::{InitConfig, ModemHandle};
use crate::rules::{Live, RuleSpec};
use crate::sim::{SimConfig, SimHandle, Simulator};
use crate::store::Store;
use crate::webhook::Deliverer;

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot open the database {path}: {source}")]
    Store {
        path: PathBuf,
        #[source]
        source: crate::store::Error,
    },
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot start the simulated modems: {0}")]
    Simulator(std::io::Error),
    #[error("rules: {0}")]
    Rules(#[from] crate::rules::RuleError),
    #[error("cannot create the desk's first user: {0}")]
    FirstUser(String),
}

/// What `smsgate serve` runs.
pub struct Options {
    pub config: Config,
    /// Built-in simulated modems to start (`--simulate N`); they are added
    /// to the configured ones.
    pub simulate: usize,
}

/// A running service, for tests and for `main`.
pub struct Running {
    pub addr: SocketAddr,
    /// Where the SMS Gateway for Android compatible API listens, when configured.
    pub smsgate_addr: Option<SocketAddr>,
    /// Where `[compat.kannel]` listens, when configured.
    pub kannel_addr: Option<SocketAddr>,
    pub store: Store,
    pub modems: Vec<ModemHandle>,
    pub sims: Vec<SimHandle>,
    cancel: CancellationToken,
    tracker: TaskTracker,
}

impl Running {
    /// Cancels every task and waits (bounded) until they stopped.
    pub async fn shutdown(self) {
        self.cancel.cancel();
        self.tracker.close();
        if tokio::time::timeout(Duration::from_secs(90), self.tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!("some tasks did not stop in time");
        }
        let _ = self.store.close().await;
        for s in self.sims {
            s.shutdown().await;
        }
    }

    pub fn cancel_token(&self) -> CancellationToken {
        self.cancel.clone()
    }
}

/// Starts everything and returns once the HTTP API listens.
pub async fn start(opts: Options) -> Result<Running, Error> {
    let cfg = Arc::new(opts.config);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let metrics = Arc::new(Metrics::new());
    let dispatch_wake = Arc::new(Notify::new());
    let webhook_wake = Arc::new(Notify::new());
    // The running modems in order, the configured ones then the simulated (`sim1`, ...): the
    // compatibility APIs number SIMs so.
    let modem_names: Vec<String> = cfg
        .modems
        .iter()
        .map(|m| m.name.get_ref().clone())
        .chain((1..=opts.simulate).map(|i| format!("sim{i}")))
        .collect();
    let hooks = crate::compat::events::Hooks::new(&cfg, modem_names);
    let fleet = cfg.fleet.as_ref().map(crate::fleet::Subjects::new);
    let events = Events::new(&cfg.webhooks, webhook_wake.clone(), metrics.clone())
        .with_compat(hooks.clone())
        .with_fleet(fleet.clone());
    // A recipient interrupted while sending becomes `unknown` at open; its `message.failed`
    // event is queued in that transaction.
    let interrupted = |tx: &crate::store::Tx<'_>, r: &crate::store::Interrupted| {
        let data = serde_json::json!({
            "id": r.message_id, "to": r.number, "state": "unknown",
            "error": crate::store::INTERRUPTED,
        });
        events.publish_tx(tx, "message.failed", data, clock.now())
    };
    let store =
        Store::open_with(&cfg.storage.path, clock.now(), &interrupted).map_err(|source| {
            Error::Store {
                path: cfg.storage.path.clone(),
                source,
            }
        })?;
    let rules = live_rules(&cfg, &store).await?;
    if opts.simulate > 0 {
        first_admin(&store, &cfg).await?;
    }
    let cancel = CancellationToken::new();
    let tracker = TaskTracker::new();

    let mut modem_cfgs: Vec<(ModemConfig, Pacing)> = cfg
        .modems
        .iter()
        .map(|m| {
            let mut mc = ModemConfig::new(m.name.get_ref(), m.device.get_ref());
            mc.baud = m.baud;
            mc.flow = if m.rtscts {
                FlowControl::Hardware
            } else {
                FlowControl::None
            };
            mc.init = InitConfig {
                pin: m.pin.clone(),
                smsc: m.smsc.clone(),
                model: m.model.clone(),
            };
            mc.poll_interval = Duration::from_secs(m.poll_interval_secs.max(1));
            (
                mc,
                Pacing {
                    rate_per_minute: m.rate_per_minute,
                },
            )
        })
        .collect();

    let mut sims = Vec::new();
    if opts.simulate > 0 {
        let dir = std::env::temp_dir().join(format!("smsgate-sim-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(Error::Simulator)?;
        for i in 1..=opts.simulate {
            let sim = Simulator::spawn(SimConfig::new(dir.join(format!("sim{i}"))))
                .await
                .map_err(Error::Simulator)?;
            tracing::info!(link = %sim.link().display(), control = %sim.control_path().display(), "simulated modem sim{i}");
            let mc = ModemConfig::new(&format!("sim{i}"), &sim.link().display().to_string());
            modem_cfgs.push((mc, Pacing { rate_per_minute: 0 }));
            sims.push(sim);
        }
    }

    let (ev_tx, ev_rx) = mpsc::channel(256);
    let mut modems = Vec::new();
    let mut paced = Vec::new();
    for (mc, pacing) in modem_cfgs {
        let (h, task) = actor::spawn(mc, ev_tx.clone(), None, cancel.clone());
        tracker.spawn(async move {
            let _ = task.await;
        });
        paced.push((h.clone(), pacing));
        modems.push(h);
    }
    drop(ev_tx);

    if cfg.support.region().is_some() {
        tracker.spawn_blocking(crate::phone::load_numbering_plans);
    }
    let (received_tx, received_rx) = mpsc::channel(256);
    tracker.spawn(
        Ingester::new(store.clone(), clock.clone(), events.clone(), received_tx)
            .with_region(cfg.support.region())
            .run(ev_rx, cancel.clone()),
    );
    tracker.spawn(
        Processor::new(store.clone(), cfg.clone(), rules.clone())
            .with_compat(hooks.clone())
            .with_fleet(fleet.clone())
            .run(
                clock.clone(),
                events.clone(),
                dispatch_wake.clone(),
                received_rx,
                cancel.clone(),
            ),
    );

    let settings = dispatch::Settings {
        backoff_initial: Duration::from_secs(cfg.queue.backoff_initial_secs),
        backoff_max: Duration::from_secs(cfg.queue.backoff_max_secs),
        max_parts: *cfg.queue.max_parts.get_ref() as usize,
    };
    let release_wake = Arc::new(Notify::new());
    let dispatcher = Dispatcher::new(
        store.clone(),
        clock.clone(),
        settings,
        dispatch_wake.clone(),
        events,
    )
    .with_release(release_wake.clone());
    tracker.spawn(dispatcher.run(paced, cancel.clone()));

    let compat_delivery = crate::webhook::CompatDelivery {
        app_signing_key: cfg
            .compat
            .smsgate
            .as_ref()
            .and_then(|s| s.signing_key.as_ref())
            .map(|k| k.as_bytes().to_vec()),
        replies: Some(crate::webhook::Replies {
            dispatch: dispatch_wake.clone(),
            queue: crate::gateway::process::service_replies(cfg.queue.clone(), rules.clone()),
        }),
    };
    tracker.spawn(
        Deliverer::new(store.clone(), &cfg.webhooks)
            .with_compat(compat_delivery)
            .run(cancel.clone(), webhook_wake.clone()),
    );

    if cfg.storage.retention_days > 0 {
        tracker.spawn(retention(
            store.clone(),
            clock.clone(),
            cfg.storage.retention_days,
            cancel.clone(),
        ));
    }

    let addr = *cfg.http.listen.get_ref();
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| Error::Listen { addr, source })?;
    let addr = listener.local_addr().unwrap_or(addr);
    let state = AppState {
        store: store.clone(),
        config: cfg.clone(),
        modems: Arc::new(modems.clone()),
        dispatch: dispatch_wake,
        release: release_wake,
        metrics,
        rules,
        desk: Arc::new(crate::desk::Desk {
            shutdown: cancel.child_token(),
            secure_cookies: cfg.http.tls().is_some(),
            ..crate::desk::Desk::default()
        }),
    };
    #[cfg(feature = "fleet")]
    if let Some(f) = &cfg.fleet {
        tracker.spawn(crate::fleet::bridge::run(
            state.clone(),
            f.clone(),
            cancel.clone(),
        ));
    }
    let smsgate_addr = match &cfg.compat.smsgate {
        Some(c) => {
            let app = crate::compat::smsgate::router(state.clone());
            let what = "SMS Gateway for Android API";
            if let (Some(secs), Some(hooks)) = (c.ping_seconds.filter(|s| *s > 0), hooks.clone()) {
                tracker.spawn(app_ping(
                    state.clone(),
                    hooks,
                    Duration::from_secs(secs),
                    webhook_wake.clone(),
                    cancel.clone(),
                ));
            }
            Some(serve_compat(*c.listen.get_ref(), app, what, &tracker, &cancel).await?)
        }
        None => None,
    };
    let kannel_addr = match &cfg.compat.kannel {
        Some(k) => {
            let app = crate::compat::kannel::router(state.clone(), k.path.get_ref());
            Some(
                serve_compat(
                    *k.listen.get_ref(),
                    app,
                    "Kannel sendsms",
                    &tracker,
                    &cancel,
                )
                .await?,
            )
        }
        None => None,
    };
    let c = cancel.clone();
    tracker.spawn(async move {
        if let Err(e) = http::serve(listener, state, c).await {
            tracing::error!(error = %e, "HTTP server stopped");
        }
    });

    Ok(Running {
        addr,
        smsgate_addr,
        kannel_addr,
        store,
        modems,
        sims,
        cancel,
        tracker,
    })
}

/// SMS Gateway for Android's `system:ping`: every `every`, an event with `GET /health`'s
/// answer to each webhook registered for it.
async fn app_ping(
    state: AppState,
    hooks: crate::compat::events::Hooks,
    every: Duration,
    wake: Arc<Notify>,
    cancel: CancellationToken,
) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tick.tick() => {}
        }
        let payload = serde_json::json!({
            "health": crate::compat::smsgate::health_body(&state),
        });
        let hooks = hooks.clone();
        let queued = state
            .store
            .atomically(move |tx| {
                let now = jiff::Timestamp::now();
                let rows = hooks.app_rows(tx, "system:ping", payload, now)?;
                tx.enqueue_events(&rows, now)?;
                Ok(rows.len())
            })
            .await;
        match queued {
            Ok(0) => {}
            Ok(_) => wake.notify_one(),
            Err(e) => tracing::warn!(error = %e, "system:ping not queued"),
        }
    }
}

/// Binds a compatibility API's own listener (`[compat.*] listen`) and serves `app` there until
/// `cancel`, after the requests in flight; returns the bound address. Bound before `start`
/// returns, so a port in use stops the start like the API's own.
async fn serve_compat(
    addr: SocketAddr,
    app: axum::Router,
    what: &'static str,
    tracker: &TaskTracker,
    cancel: &CancellationToken,
) -> Result<SocketAddr, Error> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| Error::Listen { addr, source })?;
    let addr = listener.local_addr().unwrap_or(addr);
    tracing::info!(%addr, "{what} listening");
    let c = cancel.clone();
    tracker.spawn(async move {
        let shutdown = async move { c.cancelled().await };
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::error!(error = %e, "{what} server stopped");
        }
    });
    Ok(addr)
}

/// The rules in force at start: the config file's, then those stored through the API. Stored
/// rules that no longer parse or compile (say, a template they reply with was removed from the
/// config) are left out with an error in the log, so the service still starts and
/// `PUT /api/v1/rules` can repair them.
async fn live_rules(cfg: &Config, store: &Store) -> Result<Arc<Live>, Error> {
    let stored = store.rules().await.map_err(|source| Error::Store {
        path: cfg.storage.path.clone(),
        source,
    })?;
    let parsed: Result<Vec<RuleSpec>, _> = stored
        .iter()
        .map(|r| {
            serde_json::from_str::<RuleSpec>(&r.spec).map_err(|e| format!("{:?}: {e}", r.name))
        })
        .collect();
    let unusable = |e: &dyn std::fmt::Display| {
        tracing::error!(error = %e, "the stored API rules are not usable with this config; only the config's rules are in force until PUT /api/v1/rules replaces them");
    };
    let api = parsed.unwrap_or_else(|e| {
        unusable(&e);
        Vec::new()
    });
    match Live::new(&cfg.support, cfg.rules.clone(), api) {
        Ok(live) => Ok(Arc::new(live)),
        Err(e) => {
            unusable(&e);
            Ok(Arc::new(Live::new(
                &cfg.support,
                cfg.rules.clone(),
                Vec::new(),
            )?))
        }
    }
}

/// Deletes finished records older than the retention period, hourly.
async fn retention(store: Store, clock: Arc<dyn Clock>, days: u32, cancel: CancellationToken) {
    let keep = jiff::SignedDuration::from_hours(24 * i64::from(days));
    loop {
        if let Ok(cutoff) = clock.now().checked_sub(keep) {
            match store.prune(cutoff).await {
                Ok(p) if p != Default::default() => tracing::info!(?p, "retention: pruned"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "retention sweep failed"),
            }
        }
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(Duration::from_secs(3600)) => {}
        }
    }
}

/// Runs until SIGINT or SIGTERM, then shuts down gracefully.
pub async fn run(opts: Options) -> Result<(), Error> {
    let running = start(opts).await?;
    tracing::info!(addr = %running.addr, modems = running.modems.len(), "smsgate serving");
    crate::notify::notify("READY=1");
    if let Some(every) = crate::notify::watchdog_interval() {
        let cancel = running.cancel_token();
        running.tracker.spawn(async move {
            loop {
                tokio::select! {
                    _ = cancel.cancelled() => return,
                    _ = tokio::time::sleep(every) => crate::notify::notify("WATCHDOG=1"),
                }
            }
        });
    }
    wait_for_signal().await;
    tracing::info!("stopping: finishing what is in flight");
    crate::notify::notify("STOPPING=1");
    running.shutdown().await;
    Ok(())
}

async fn wait_for_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let Ok(mut term) = signal(SignalKind::terminate()) else {
        let _ = tokio::signal::ctrl_c().await;
        return;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

/// With `serve --simulate` and no desk user yet: creates `admin` with a random password and
/// prints it once, so the quick start can log in. A real installation adds its users with
/// `smsgate user add`.
async fn first_admin(store: &Store, cfg: &Config) -> Result<(), Error> {
    let password =
        crate::desk::auth::new_password().map_err(|e| Error::FirstUser(e.to_string()))?;
    let pw = password.clone();
    let hash = tokio::task::spawn_blocking(move || crate::desk::auth::hash_password(&pw))
        .await
        .map_err(|e| Error::FirstUser(e.to_string()))?
        .map_err(|e| Error::FirstUser(e.to_string()))?;
    let now = jiff::Timestamp::now();
    let created = store
        .atomically(move |tx| {
            if tx.user_count()? > 0 {
                return Ok(false);
            }
            tx.add_user("admin", crate::store::Role::Admin, &hash, now)?;
            tx.audit("serve", "user.add", Some("admin"), now)?;
            Ok(true)
        })
        .await
        .map_err(|e| Error::FirstUser(e.to_string()))?;
    if created {
        println!(
            "desk: http://{}/  user: admin  password: {password}  (shown once; change it with `smsgate user passwd admin`)",
            cfg.http.listen.get_ref()
        );
    }
    Ok(())
}
