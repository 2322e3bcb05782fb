//! The modem actor: one task per modem owns its port and runs everything on
//! it in order: sends asked for by the gateway, new-message indications,
//! health polls, and the recovery ladder (`docs/modem.md`, "Recovery ladder"):
//!
//! command timeout → `AT` probe → re-init → radio off/on → module reset →
//! board power cycle (a hook) → re-open the port once the device is back,
//! with a backoff on every rung. A modem failure never ends the process: the
//! actor keeps climbing and re-opening until it is cancelled.
//!
//! Received parts are handed over with an acknowledgement channel; a part is
//! deleted from the modem's storage only after the receiver acknowledged it
//! (it is stored). At start and after every re-open the storage is swept.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::at::urc::Urc;
use crate::modem::cms::CmsClass;
use crate::sms::pdumode;
use crate::sms::tpdu::Tpdu;

use super::Error;
use super::port::{self, FlowControl};
use super::session::{Health, Identity, InitConfig, SendError, Session, Setup};

/// How to reach and set up one modem.
#[derive(Debug, Clone)]
pub struct ModemConfig {
    pub name: String,
    pub device: String,
    pub baud: u32,
    pub flow: FlowControl,
    pub init: InitConfig,
    /// Signal and registration poll.
    pub poll_interval: Duration,
    /// Longest wait between recovery attempts.
    pub backoff_max: Duration,
    /// How long a receiver may take to acknowledge a part before it is left
    /// in storage for the next sweep.
    pub ack_timeout: Duration,
    /// Caps every AT command's timeout (see [`crate::at::client::Options`]).
    pub command_timeout_cap: Option<Duration>,
}

impl ModemConfig {
    pub fn new(name: &str, device: &str) -> ModemConfig {
        ModemConfig {
            name: name.to_owned(),
            device: device.to_owned(),
            baud: 115_200,
            flow: FlowControl::None,
            init: InitConfig::default(),
            poll_interval: Duration::from_secs(30),
            backoff_max: Duration::from_secs(60),
            ack_timeout: Duration::from_secs(30),
            command_timeout_cap: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ModemState {
    Starting,
    Ready,
    Recovering,
    /// Needs a person: no PIN configured, PIN rejected, SIM missing.
    Failed,
}

/// What the modem is doing; published on every change.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ModemStatus {
    pub name: String,
    pub device: String,
    pub state: ModemState,
    pub identity: Option<Identity>,
    pub health: Health,
    pub sent: u64,
    pub received: u64,
    pub errors: u64,
    pub last_error: Option<String>,
}

/// A received PDU, as the modem stored or routed it.
#[derive(Debug, Clone)]
pub struct ReceivedPart {
    pub modem: String,
    /// The PDU in hex, SMSC prefix first.
    pub pdu: String,
    /// The decoded TPDU (SMS-DELIVER or SMS-STATUS-REPORT), or why it did
    /// not decode: an undecodable PDU is still handed over, never dropped.
    pub tpdu: Result<Tpdu, String>,
}

/// What the actor tells the gateway.
#[derive(Debug)]
pub enum ModemEvent {
    /// Store the part, then send `()` on `ack`: only then is it deleted
    /// from the modem.
    Received {
        part: ReceivedPart,
        ack: oneshot::Sender<()>,
    },
    Status(ModemStatus),
}

/// Board power control for the last rung of the ladder.
pub trait PowerCycle: Send + Sync {
    fn power_cycle(&self) -> Result<(), String>;
}

enum Request {
    Send {
        tpdu_len: usize,
        pdu_hex: String,
        reply: oneshot::Sender<Result<u8, SendError>>,
    },
    At {
        line: String,
        reply: oneshot::Sender<Result<Vec<String>, String>>,
    },
}

/// Handle to a running modem actor.
#[derive(Clone)]
pub struct ModemHandle {
    name: String,
    tx: mpsc::Sender<Request>,
    status: watch::Receiver<ModemStatus>,
}

impl ModemHandle {
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn status(&self) -> ModemStatus {
        self.status.borrow().clone()
    }

    /// Waits for the next status change.
    pub async fn changed(&mut self) -> Result<ModemStatus, Error> {
        self.status.changed().await.map_err(|_| Error::Stopped)?;
        Ok(self.status())
    }

    /// Sends one part; returns TP-MR. Errors carry their class: only
    /// `Temporary` and `DeviceState` may be retried; `OutcomeUnknown` never
    /// blindly.
    pub async fn send_part(&self, tpdu_len: usize, pdu_hex: String) -> Result<u8, SendError> {
        let (reply, rx) = oneshot::channel();
        let stopped = || SendError {
            class: CmsClass::DeviceState,
            code: None,
            detail: "modem actor stopped".into(),
        };
        self.tx
            .send(Request::Send {
                tpdu_len,
                pdu_hex,
                reply,
            })
            .await
            .map_err(|_| stopped())?;
        rx.await.map_err(|_| stopped())?
    }

    /// A raw AT command through the actor.
    pub async fn at(&self, line: &str) -> Result<Vec<String>, Error> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Request::At {
                line: line.to_owned(),
                reply,
            })
            .await
            .map_err(|_| Error::Stopped)?;
        rx.await
            .map_err(|_| Error::Stopped)?
            .map_err(Error::Refused)
    }
}

/// Starts the actor. It runs until `cancel` fires; an in-flight command
/// completes first.
pub fn spawn(
    cfg: ModemConfig,
    events: mpsc::Sender<ModemEvent>,
    power: Option<Arc<dyn PowerCycle>>,
    cancel: CancellationToken,
) -> (ModemHandle, JoinHandle<()>) {
    let (tx, rx) = mpsc::channel(16);
    let status = ModemStatus {
        name: cfg.name.clone(),
        device: cfg.device.clone(),
        state: ModemState::Starting,
        identity: None,
        health: Health::default(),
        sent: 0,
        received: 0,
        errors: 0,
        last_error: None,
    };
    let (status_tx, status_rx) = watch::channel(status);
    let handle = ModemHandle {
        name: cfg.name.clone(),
        tx,
        status: status_rx,
    };
    let actor = Actor {
        cfg,
        events,
        power,
        cancel,
        requests: rx,
        status: status_tx,
        backoff: Backoff::new(),
        held_urcs: std::collections::VecDeque::new(),
        next_poll: tokio::time::Instant::now(),
    };
    (handle, tokio::spawn(actor.run()))
}

struct Backoff {
    next: Duration,
}

impl Backoff {
    fn new() -> Backoff {
        Backoff {
            next: Duration::from_millis(500),
        }
    }
    fn reset(&mut self) {
        *self = Backoff::new();
    }
    /// The wait before the next attempt: doubling, capped, with jitter so
    /// several modems do not retry in lockstep.
    fn step(&mut self, max: Duration) -> Duration {
        let d = self.next.min(max);
        self.next = (self.next * 2).min(max);
        d + Duration::from_millis(250).mul_f64(crate::random::fraction())
    }
}

struct Actor {
    cfg: ModemConfig,
    events: mpsc::Sender<ModemEvent>,
    power: Option<Arc<dyn PowerCycle>>,
    cancel: CancellationToken,
    requests: mpsc::Receiver<Request>,
    status: watch::Sender<ModemStatus>,
    backoff: Backoff,
    /// URCs taken off the channel during an init, handled next.
    held_urcs: std::collections::VecDeque<Urc>,
    /// When the next health poll is due.
    next_poll: tokio::time::Instant,
}

/// Why a connected session ended.
enum Ended {
    Cancelled,
    /// The port closed (EOF, EIO, ENODEV): re-open it.
    Lost,
    /// The modem stopped answering and the ladder inside the session did
    /// not bring it back.
    Unresponsive,
}

impl Actor {
    async fn run(mut self) {
        // Rung of the ladder that applies when the port is re-opened: after
        // repeated failures the module is power-cycled first.
        let mut failures_in_a_row = 0u32;
        loop {
            let Some(mut session) = self.open().await else {
                return;
            };
            if failures_in_a_row >= 2 {
                self.power_cycle().await;
            }
            match self.connected(&mut session).await {
                Ended::Cancelled => return,
                Ended::Lost => {
                    failures_in_a_row = 0;
                    self.set_state(ModemState::Recovering, Some("port closed".into()));
                }
                Ended::Unresponsive => {
                    failures_in_a_row += 1;
                    self.set_state(ModemState::Recovering, Some("modem unresponsive".into()));
                    // Module reset; USB modems re-enumerate and the port
                    // closes, so the session is dropped either way.
                    let _ = session.reset().await;
                    drop(session);
                    if self.sleep(session_boot_time()).await {
                        return;
                    }
                }
            }
        }
    }

    /// Opens the port, retrying until the device is back: every [`REOPEN_EVERY`] for
    /// [`REOPEN_FAST_FOR`] (a USB modem re-enumerates within seconds, and opening a missing
    /// path costs nothing), then with the backoff.
    async fn open(&mut self) -> Option<Session> {
        let fast_until = tokio::time::Instant::now() + REOPEN_FAST_FOR;
        loop {
            if self.cancel.is_cancelled() {
                return None;
            }
            match port::open(&self.cfg.device, self.cfg.baud, self.cfg.flow).await {
                Ok(p) => {
                    self.backoff.reset();
                    let opts = crate::at::client::Options {
                        timeout_cap: self.cfg.command_timeout_cap,
                        ..Default::default()
                    };
                    return Some(Session::with_options(p, &self.cfg.name, opts));
                }
                Err(e) => {
                    self.set_state(ModemState::Recovering, Some(e.to_string()));
                    let wait = if tokio::time::Instant::now() < fast_until {
                        REOPEN_EVERY
                    } else {
                        self.backoff.step(self.cfg.backoff_max)
                    };
                    if self.sleep(wait).await {
                        return None;
                    }
                }
            }
        }
    }

    /// Waits `d`, turning away requests meanwhile so callers can fail over
    /// to another modem at once. Returns true when cancelled.
    async fn sleep(&mut self, d: Duration) -> bool {
        let until = tokio::time::Instant::now() + d;
        loop {
            tokio::select! {
                _ = self.cancel.cancelled() => return true,
                _ = tokio::time::sleep_until(until) => return false,
                req = self.requests.recv() => match req {
                    Some(r) => self.refuse(r),
                    None => return true,
                },
            }
        }
    }

    fn refuse(&self, req: Request) {
        let why = format!("modem {} is not ready", self.cfg.name);
        match req {
            Request::Send { reply, .. } => {
                let _ = reply.send(Err(SendError {
                    class: CmsClass::DeviceState,
                    code: None,
                    detail: why,
                }));
            }
            Request::At { reply, .. } => {
                let _ = reply.send(Err(why));
            }
        }
    }

    async fn power_cycle(&self) {
        if let Some(p) = self.power.clone() {
            // Pulses take seconds: keep them off the async workers.
            let r = tokio::task::spawn_blocking(move || p.power_cycle()).await;
            if let Ok(Err(e)) | Err(e) = r.map_err(|e| e.to_string()) {
                tracing::warn!(modem = %self.cfg.name, error = %e, "power cycle failed");
            }
        }
    }

    async fn init(&mut self, session: &mut Session) -> Result<Setup, Error> {
        self.set_state(ModemState::Starting, None);
        let setup = session.init(&self.cfg.init).await?;
        // Boot URCs (`RDY`, `SMS DONE`) that arrived before or during this init are about the
        // start it has just set up: acting on them would set the module up a second time.
        // Anything else waits for the main loop, in order.
        while let Ok(u) = session.urcs.try_recv() {
            if !(u.signals_reset() || u.signals_sms_ready()) {
                self.held_urcs.push_back(u);
            }
        }
        tracing::info!(
            modem = %self.cfg.name,
            model = %setup.identity.model,
            quirks = session.quirks.name,
            storage = %setup.storage,
            also_read = %setup.extra_storage.join(","),
            reports = setup.ds,
            "modem ready"
        );
        let health = session.health().await.unwrap_or_default();
        self.status.send_modify(|s| {
            s.identity = Some(setup.identity.clone());
            s.health = health;
            s.state = ModemState::Ready;
            s.last_error = None;
        });
        self.publish().await;
        Ok(setup)
    }

    async fn connected(&mut self, session: &mut Session) -> Ended {
        // Init, climbing the in-session rungs: probe + re-init, then radio
        // off/on + re-init.
        let mut attempt = 0;
        loop {
            match self.init(session).await {
                Ok(_) => break,
                Err(
                    e @ (Error::PinRequired
                    | Error::PinRejected(_)
                    | Error::Sim(_)
                    | Error::Config(_)),
                ) => {
                    // A person must act; keep the port, retry rarely.
                    self.set_state(ModemState::Failed, Some(e.to_string()));
                    self.publish().await;
                    if self.sleep(self.cfg.backoff_max).await {
                        return Ended::Cancelled;
                    }
                }
                Err(e) => {
                    attempt += 1;
                    self.note_error(&e.to_string());
                    if !session.client.is_open() {
                        return Ended::Lost;
                    }
                    if attempt == 2 {
                        let _ = session.radio_cycle().await;
                    }
                    if attempt > 2 {
                        return Ended::Unresponsive;
                    }
                    let wait = self.backoff.step(self.cfg.backoff_max);
                    if self.sleep(wait).await {
                        return Ended::Cancelled;
                    }
                }
            }
        }
        self.backoff.reset();
        self.sweep(session).await;
        self.schedule_poll();
        loop {
            if let Some(u) = self.held_urcs.pop_front() {
                if let Some(end) = self.on_urc(session, u).await {
                    return end;
                }
                continue;
            }
            tokio::select! {
                biased;
                _ = self.cancel.cancelled() => return Ended::Cancelled,
                urc = session.urcs.recv() => match urc {
                    Some(u) => {
                        if let Some(end) = self.on_urc(session, u).await {
                            return end;
                        }
                    }
                    None => return Ended::Lost,
                },
                req = self.requests.recv() => match req {
                    Some(r) => {
                        if let Some(end) = self.on_request(session, r).await {
                            return end;
                        }
                    }
                    None => return Ended::Cancelled,
                },
                _ = tokio::time::sleep_until(self.next_poll) => {
                    let end = self.poll(session).await;
                    self.schedule_poll();
                    if let Some(end) = end {
                        return end;
                    }
                }
            }
        }
    }

    async fn on_request(&mut self, session: &mut Session, req: Request) -> Option<Ended> {
        match req {
            Request::Send {
                tpdu_len,
                pdu_hex,
                reply,
            } => {
                let mut r = session.send_pdu(tpdu_len, &pdu_hex).await;
                match &mut r {
                    Ok(_) => self.status.send_modify(|s| s.sent += 1),
                    Err(e) => {
                        self.note_error(&e.detail);
                        if e.code == Some(NO_NETWORK_SERVICE) {
                            // The network is gone: say so at once, so the dispatcher stops
                            // handing this modem work, and look again soon. The message did
                            // not fail; it waits for a registered modem.
                            e.class = CmsClass::DeviceState;
                            self.lost_network().await;
                        }
                    }
                }
                let device_trouble = matches!(
                    &r,
                    Err(SendError {
                        class: CmsClass::DeviceState | CmsClass::OutcomeUnknown,
                        ..
                    })
                );
                let _ = reply.send(r);
                if device_trouble {
                    return self.check(session).await;
                }
            }
            Request::At { line, reply } => {
                let r = session
                    .client
                    .raw(&line, Duration::from_secs(10))
                    .await
                    .map(|resp| resp.lines)
                    .map_err(|e| e.to_string());
                let _ = reply.send(r);
            }
        }
        None
    }

    async fn on_urc(&mut self, session: &mut Session, urc: Urc) -> Option<Ended> {
        match urc {
            Urc::Cmti { mem, index } | Urc::Cdsi { mem, index } => {
                if let Err(e) = self.take_stored(session, &mem, index).await {
                    self.note_error(&e.to_string());
                    return self.check(session).await;
                }
            }
            Urc::Cmt { pdu, .. } | Urc::Cds { pdu, .. } => {
                // Acknowledged to the network only once stored.
                let stored = self.hand_over(pdu).await;
                if stored {
                    session.ack().await;
                }
            }
            u if u.signals_reset() => {
                tracing::warn!(modem = %self.cfg.name, "modem restarted by itself; re-initialising");
                if self.init(session).await.is_err() {
                    return Some(Ended::Unresponsive);
                }
                self.sweep(session).await;
            }
            // A module that restarted without `RDY` (or whose `RDY` came before the port was
            // open) still says when SMS works: a cheap check that the settings are still there.
            u if u.signals_sms_ready() && !session.indications_on().await => {
                tracing::warn!(modem = %self.cfg.name, "modem settings lost; re-initialising");
                if self.init(session).await.is_err() {
                    return Some(Ended::Unresponsive);
                }
                self.sweep(session).await;
            }
            Urc::Creg(_) | Urc::Cgreg(_) | Urc::Cereg(_) => {
                return self.poll(session).await;
            }
            _ => {}
        }
        None
    }

    /// Hands a PDU to the receiver; true once it acknowledged storing it.
    async fn hand_over(&mut self, pdu: String) -> bool {
        let tpdu = pdumode::decode_hex(pdu.trim(), true)
            .map(|(_, t)| t)
            .map_err(|e| e.to_string());
        let (ack, rx) = oneshot::channel();
        let part = ReceivedPart {
            modem: self.cfg.name.clone(),
            pdu,
            tpdu,
        };
        if self
            .events
            .send(ModemEvent::Received { part, ack })
            .await
            .is_err()
        {
            return false;
        }
        match tokio::time::timeout(self.cfg.ack_timeout, rx).await {
            Ok(Ok(())) => {
                self.status.send_modify(|s| s.received += 1);
                true
            }
            _ => {
                tracing::warn!(modem = %self.cfg.name, "receiver did not confirm a part; left in storage");
                false
            }
        }
    }

    /// Reads the message a `+CMTI`/`+CDSI` announced from the memory it names, hands it over,
    /// and deletes it once committed; then reads from the configured memory again. A repeated
    /// indication finds the slot empty and does nothing.
    async fn take_stored(
        &mut self,
        session: &mut Session,
        mem: &str,
        index: u32,
    ) -> Result<(), Error> {
        if !mem.is_empty() && !session.reads_from(mem) {
            session.select_read(mem).await?;
        }
        let read = session.read(index).await;
        let r = match read {
            Ok(Some(m)) => {
                if self.hand_over(m.pdu).await {
                    // A failed delete leaves a copy that the next sweep hands over again; the
                    // store recognises it.
                    let _ = session.delete(index).await;
                }
                Ok(())
            }
            Ok(None) => Ok(()),
            Err(e) => Err(e),
        };
        let back = session.restore_read().await;
        r.and(back)
    }

    /// Reads every stored message, in the configured memory and in every other memory that
    /// may hold received messages or status reports, and hands over the received ones (also
    /// frees a full memory).
    async fn sweep(&mut self, session: &mut Session) {
        if let Err(e) = session.restore_read().await {
            self.note_error(&e.to_string());
            return;
        }
        self.sweep_selected(session).await;
        self.sweep_extra(session).await;
    }

    /// [`Actor::sweep`] for the memories besides the configured one, each only when it holds
    /// something.
    async fn sweep_extra(&mut self, session: &mut Session) {
        for mem in session.extra_storage().to_vec() {
            match session.select_read(&mem).await {
                Ok(Some(usage)) if usage.used == 0 => {}
                Ok(_) => self.sweep_selected(session).await,
                Err(e) => {
                    tracing::debug!(modem = %self.cfg.name, %mem, error = %e, "memory not readable");
                }
            }
        }
        if let Err(e) = session.restore_read().await {
            self.note_error(&e.to_string());
        }
    }

    /// Lists `<mem1>` as selected now and hands over what was received.
    async fn sweep_selected(&mut self, session: &mut Session) {
        let list = match session.list().await {
            Ok(l) => l,
            Err(e) => {
                self.note_error(&e.to_string());
                return;
            }
        };
        for m in list {
            use crate::at::command::MessageStat;
            // Stored-unsent and stored-sent entries are not received messages.
            if matches!(
                m.stat,
                Some(MessageStat::StoredUnsent | MessageStat::StoredSent)
            ) {
                continue;
            }
            if self.hand_over(m.pdu).await {
                let _ = session.delete(m.index).await;
            }
        }
    }

    async fn poll(&mut self, session: &mut Session) -> Option<Ended> {
        match session.health().await {
            Ok(h) => {
                if self.status.borrow().health != h {
                    self.status.send_modify(|s| s.health = h);
                    self.publish().await;
                }
            }
            Err(e) => {
                self.note_error(&e.to_string());
                return self.check(session).await;
            }
        }
        // A module that restarted without a URC (some print none) has lost
        // its +CNMI setting: set it up again.
        if !session.indications_on().await {
            tracing::warn!(modem = %self.cfg.name, "modem settings lost; re-initialising");
            if self.init(session).await.is_err() {
                return Some(Ended::Unresponsive);
            }
            self.sweep(session).await;
        } else {
            // Stored messages whose indication never came (lost URC, a
            // burst while the storage was full): pick them up.
            if session.stored_count().await > 0 {
                self.sweep_selected(session).await;
            }
            // Nothing reaches the other memories without a network, and while there is none
            // the poll runs every few seconds: they wait for the first poll after it returns.
            if self.status.borrow().health.registered {
                self.sweep_extra(session).await;
            }
        }
        None
    }

    /// The next health poll: the configured interval, or sooner while the modem has no
    /// network, so it is handed work again soon after it registers.
    fn schedule_poll(&mut self) {
        let every = if self.status.borrow().health.registered {
            self.cfg.poll_interval
        } else {
            self.cfg.poll_interval.min(UNREGISTERED_POLL)
        };
        self.next_poll = tokio::time::Instant::now() + every;
    }

    /// A send was refused for want of network: the modem is marked unregistered now rather
    /// than at the next poll, so the dispatcher stops handing it work.
    async fn lost_network(&mut self) {
        if self.status.borrow().health.registered {
            self.status.send_modify(|s| s.health.registered = false);
            self.publish().await;
        }
        self.next_poll = tokio::time::Instant::now() + UNREGISTERED_POLL;
    }

    /// After a failure: is the modem still there? Probe, then re-init.
    async fn check(&mut self, session: &mut Session) -> Option<Ended> {
        if !session.client.is_open() {
            return Some(Ended::Lost);
        }
        if session.resync(3).await.is_ok() {
            return None;
        }
        self.set_state(ModemState::Recovering, Some("no answer to AT".into()));
        if self.init(session).await.is_ok() {
            self.sweep(session).await;
            return None;
        }
        Some(if session.client.is_open() {
            Ended::Unresponsive
        } else {
            Ended::Lost
        })
    }

    fn note_error(&self, e: &str) {
        tracing::warn!(modem = %self.cfg.name, error = %e, "modem error");
        self.status.send_modify(|s| {
            s.errors += 1;
            s.last_error = Some(e.to_owned());
        });
    }

    fn set_state(&self, state: ModemState, error: Option<String>) {
        self.status.send_modify(|s| {
            s.state = state;
            if error.is_some() {
                s.last_error = error;
            }
        });
    }

    /// Reports the status to the gateway. Waits for room rather than drop it: every change
    /// becomes a `modem.state` event.
    async fn publish(&self) {
        let s = self.status.borrow().clone();
        let _ = self.events.send(ModemEvent::Status(s)).await;
    }
}

/// `+CMS ERROR: 331` "no network service" (27.005 §3.2.5).
const NO_NETWORK_SERVICE: u16 = 331;
/// Health poll while the modem has no network.
const UNREGISTERED_POLL: Duration = Duration::from_secs(2);
/// Re-open attempts while the device is away...
const REOPEN_EVERY: Duration = Duration::from_millis(250);
/// ...for this long, then with the backoff.
const REOPEN_FAST_FOR: Duration = Duration::from_secs(60);

/// Wait after a module reset before re-opening (the longest boot among the
/// covered families is about 20 s, `docs/hardware/quirks.md`; re-open retries
/// cover the rest).
fn session_boot_time() -> Duration {
    Duration::from_secs(5)
}
