//! The modem simulator: a pseudo-terminal that speaks AT like a real modem,
//! with SMS memories, incoming messages, status reports and fault injection.
//!
//! [`Simulator::spawn`] creates a pty, symlinks its slave at the configured
//! link path, serves the control socket (JSON lines, see [`control`] and
//! `src/sim/README.md`) and returns a [`SimHandle`] that tests use in-process.
//! `smsgate sim` runs the same thing until killed.
//!
//! - [`modem`]: the AT state machine, pure (bytes in, bytes and timers out);
//! - [`profile`]: per-vendor identity and URCs as data;
//! - [`pty`]: the pty and its symlink;
//! - [`control`]: the control protocol and socket.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use smsgate::sim::{SimConfig, Simulator};
//!
//! let sim = Simulator::spawn(SimConfig::new("/tmp/modem")).await?;
//! // Open sim.link() as a serial port and speak AT; meanwhile:
//! let r = sim
//!     .request_json(r#"{"cmd":"deliver","from":"+819012345678","text":"hi"}"#)
//!     .await;
//! assert_eq!(r["ok"], true);
//! let state = sim.request_json(r#"{"cmd":"state"}"#).await;
//! println!("{}", state["sent"]);
//! sim.shutdown().await;
//! # Ok(())
//! # }
//! ```

pub mod control;
pub mod modem;
pub mod profile;
pub mod pty;

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

pub use control::{Fault, Request};
pub use modem::{Effect, Modem, ModemConfig, Timer};
pub use profile::Profile;

use pty::Pty;

/// How to run a simulator.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Where the symlink to the pty goes.
    pub link: PathBuf,
    /// The control socket; `<link>.ctl` when None.
    pub control: Option<PathBuf>,
    pub profile: &'static Profile,
    pub pin: Option<String>,
    /// "SM" slots (the SIM's memory).
    pub capacity: usize,
    /// "ME" slots where the profile has that memory; None: the profile's.
    pub me_capacity: Option<usize>,
    /// "SR" slots where the profile has that memory; None: the profile's.
    pub sr_capacity: Option<usize>,
    /// Network delay per send.
    pub send_delay: Duration,
    /// Delay from `+CMGS` to the status report of a send that asked for one.
    pub report_delay: Duration,
    /// Pace output at this baud rate (baud/10 bytes per second).
    pub baud: Option<u32>,
    /// Echo after power-on.
    pub echo: bool,
    /// See [`ModemConfig::sms_init`].
    pub sms_init: Duration,
}

impl SimConfig {
    /// The generic profile, 30 "SM" slots, echo on, no delays, no pacing.
    pub fn new(link: impl Into<PathBuf>) -> SimConfig {
        SimConfig {
            link: link.into(),
            control: None,
            profile: &profile::GENERIC,
            pin: None,
            capacity: 30,
            me_capacity: None,
            sr_capacity: None,
            send_delay: Duration::ZERO,
            report_delay: Duration::from_millis(100),
            baud: None,
            echo: true,
            sms_init: Duration::ZERO,
        }
    }

    fn control_path(&self) -> PathBuf {
        self.control
            .clone()
            .unwrap_or_else(|| control::default_path(&self.link))
    }
}

/// Starts simulators.
pub struct Simulator;

impl Simulator {
    /// Creates the pty and link and the control socket, and starts the
    /// simulator task on the current tokio runtime.
    pub async fn spawn(config: SimConfig) -> io::Result<SimHandle> {
        let control_path = config.control_path();
        let mut mc = ModemConfig::new(config.profile);
        mc.pin = config.pin.clone();
        mc.capacity = config.capacity;
        mc.me_capacity = config.me_capacity;
        mc.sr_capacity = config.sr_capacity;
        mc.echo = config.echo;
        mc.send_delay = config.send_delay;
        mc.report_delay = config.report_delay;
        mc.sms_init = config.sms_init;
        let (ctl_tx, ctl_rx) = mpsc::channel(16);
        let (in_tx, in_rx) = mpsc::unbounded_channel();
        let mut actor = Actor {
            modem: Modem::new(mc),
            link: config.link.clone(),
            baud: config.baud,
            port: None,
            generation: 0,
            timers: BTreeMap::new(),
            timer_seq: 0,
            replug_at: None,
            in_tx,
        };
        actor.plug()?;
        let fx = actor.modem.start();
        actor.apply(fx);
        let server = control::serve(&control_path, ctl_tx.clone())?;
        let task = tokio::spawn(actor.run(in_rx, ctl_rx));
        Ok(SimHandle {
            link: config.link,
            control: control_path,
            tx: ctl_tx,
            task,
            server,
        })
    }
}

/// A running simulator. Dropping it stops the simulator and removes the
/// link and the control socket.
#[derive(Debug)]
pub struct SimHandle {
    link: PathBuf,
    control: PathBuf,
    tx: mpsc::Sender<control::Envelope>,
    task: JoinHandle<()>,
    server: JoinHandle<()>,
}

impl SimHandle {
    /// The symlink the host opens.
    pub fn link(&self) -> &Path {
        &self.link
    }

    /// The control socket.
    pub fn control_path(&self) -> &Path {
        &self.control
    }

    /// Sends a control request and returns the response object.
    pub async fn request(&self, req: Request) -> Value {
        control::ask(&self.tx, req).await
    }

    /// Sends a control request given as a JSON line.
    pub async fn request_json(&self, line: &str) -> Value {
        match control::parse(line) {
            Ok(req) => self.request(req).await,
            Err(e) => e,
        }
    }

    /// Stops the simulator and waits until the link is gone.
    pub async fn shutdown(mut self) {
        self.server.abort();
        self.task.abort();
        let _ = (&mut self.task).await;
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        self.server.abort();
        self.task.abort();
        let _ = std::fs::remove_file(&self.control);
    }
}

struct PortTasks {
    pty: Arc<Pty>,
    out: mpsc::UnboundedSender<Vec<u8>>,
    reader: JoinHandle<()>,
    writer: JoinHandle<()>,
}

impl Drop for PortTasks {
    fn drop(&mut self) {
        self.reader.abort();
        self.writer.abort();
    }
}

struct Actor {
    modem: Modem,
    link: PathBuf,
    baud: Option<u32>,
    port: Option<PortTasks>,
    generation: u64,
    timers: BTreeMap<(Instant, u64), Timer>,
    timer_seq: u64,
    replug_at: Option<Instant>,
    in_tx: mpsc::UnboundedSender<(u64, Vec<u8>)>,
}

impl Actor {
    fn plug(&mut self) -> io::Result<()> {
        let pty = Arc::new(Pty::create(&self.link)?);
        self.generation += 1;
        let generation = self.generation;
        let (out_tx, out_rx) = mpsc::unbounded_channel();
        let reader = tokio::spawn(reader(pty.clone(), generation, self.in_tx.clone()));
        let writer = tokio::spawn(writer(pty.clone(), out_rx, self.baud));
        tracing::info!(link = %self.link.display(), slave = %pty.slave_path().display(), "sim: plugged in");
        self.port = Some(PortTasks {
            pty,
            out: out_tx,
            reader,
            writer,
        });
        Ok(())
    }

    fn apply(&mut self, effects: Vec<Effect>) {
        for e in effects {
            match e {
                Effect::Write(bytes) => {
                    tracing::trace!(output = ?String::from_utf8_lossy(&bytes), "sim: ->");
                    if let Some(p) = &self.port {
                        let _ = p.out.send(bytes);
                    }
                }
                Effect::Schedule(after, timer) => {
                    self.timer_seq += 1;
                    self.timers
                        .insert((Instant::now() + after, self.timer_seq), timer);
                }
            }
        }
    }

    async fn run(
        mut self,
        mut input: mpsc::UnboundedReceiver<(u64, Vec<u8>)>,
        mut ctl: mpsc::Receiver<control::Envelope>,
    ) {
        loop {
            let next_timer = self.timers.first_key_value().map(|(k, _)| k.0);
            let far = Instant::now() + Duration::from_secs(86_400);
            tokio::select! {
                Some((generation, bytes)) = input.recv() => {
                    if generation == self.generation && self.port.is_some() {
                        tracing::trace!(input = ?String::from_utf8_lossy(&bytes), "sim: <-");
                        let fx = self.modem.feed(&bytes);
                        self.apply(fx);
                    }
                }
                msg = ctl.recv() => {
                    let Some((req, reply)) = msg else { return };
                    let v = self.control(req);
                    let _ = reply.send(v);
                }
                _ = tokio::time::sleep_until(next_timer.unwrap_or(far)), if next_timer.is_some() => {
                    let now = Instant::now();
                    while let Some(entry) = self.timers.first_entry() {
                        if entry.key().0 > now {
                            break;
                        }
                        let timer = entry.remove();
                        let fx = self.modem.fire(timer);
                        self.apply(fx);
                    }
                }
                _ = tokio::time::sleep_until(self.replug_at.unwrap_or(far)), if self.replug_at.is_some() => {
                    match self.plug() {
                        Ok(()) => {
                            self.replug_at = None;
                            self.modem.reboot();
                            let fx = self.modem.take_effects();
                            self.apply(fx);
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "sim: re-creating the pty failed; retrying");
                            self.replug_at = Some(Instant::now() + Duration::from_secs(1));
                        }
                    }
                }
            }
        }
    }

    fn control(&mut self, req: Request) -> Value {
        let result = self.control_inner(req);
        let fx = self.modem.take_effects();
        self.apply(fx);
        match result {
            Ok(mut v) => {
                if let Some(obj) = v.as_object_mut() {
                    obj.insert("ok".into(), true.into());
                }
                v
            }
            Err(e) => json!({ "error": e }),
        }
    }

    fn control_inner(&mut self, req: Request) -> Result<Value, String> {
        let m = &mut self.modem;
        Ok(match req {
            Request::Deliver {
                from,
                text,
                encoding,
                class,
            } => {
                let ucs2 = match encoding.as_deref() {
                    None | Some("auto") | Some("gsm7") => false,
                    Some("ucs2") => true,
                    Some(other) => return Err(format!("unknown encoding {other:?}")),
                };
                let parts = m.deliver_text(&from, &text, ucs2, class)?;
                json!({ "parts": parts })
            }
            Request::DeliverPdu { pdu } => {
                m.deliver_pdu(&pdu)?;
                json!({})
            }
            Request::StatusReport { mr, status, to } => {
                m.status_report(mr, status, to.as_deref())?;
                json!({})
            }
            Request::Fault(Fault::Hang { seconds }) => {
                m.hang(control::seconds(seconds)?);
                json!({})
            }
            Request::Fault(Fault::CmsError { code, count }) => {
                m.cms_errors(code, count);
                json!({})
            }
            Request::Fault(Fault::Garbage { bytes, hex }) => {
                let mut b = bytes.map(String::into_bytes).unwrap_or_default();
                if let Some(h) = hex {
                    b.extend(crate::sms::pdumode::from_hex(&h).map_err(|e| e.to_string())?);
                }
                if b.is_empty() {
                    return Err("garbage needs \"bytes\" or \"hex\"".into());
                }
                let n = b.len();
                m.garbage(&b);
                json!({ "bytes": n })
            }
            Request::Fault(Fault::SilentSend { seconds, delivered }) => {
                m.silent_send(control::seconds(seconds)?, delivered);
                json!({})
            }
            Request::Reboot => {
                m.reboot();
                json!({})
            }
            Request::Unplug { seconds } => {
                let d = control::seconds(seconds)?;
                if self.port.take().is_none() {
                    return Err("already unplugged".into());
                }
                tracing::info!("sim: unplugged for {seconds} s");
                self.replug_at = Some(Instant::now() + d);
                json!({})
            }
            Request::SimFull { mem } => {
                let n = m.fill_memory(mem.as_deref())?;
                json!({ "filled": n })
            }
            Request::Network {
                registered,
                stat,
                rssi,
            } => {
                if rssi.is_some_and(|r| r > 31 && r != 99) {
                    return Err("rssi must be 0..=31 or 99".into());
                }
                let stat = match stat {
                    Some(s) if s <= 11 => s,
                    Some(s) => return Err(format!("stat {s} is not 0..=11")),
                    None if registered => 1,
                    None => 2,
                };
                m.set_network(stat, rssi);
                json!({ "stat": stat })
            }
            Request::Set {
                delay_ms,
                report_delay_ms,
                sms_init_ms,
            } => {
                m.set_delays(
                    delay_ms.map(Duration::from_millis),
                    report_delay_ms.map(Duration::from_millis),
                    sms_init_ms.map(Duration::from_millis),
                );
                json!({})
            }
            Request::State => {
                let mut v = m.state();
                v["link"] = self.link.display().to_string().into();
                v["plugged"] = self.port.is_some().into();
                v["device"] = self
                    .port
                    .as_ref()
                    .map(|p| p.pty.slave_path().display().to_string())
                    .into();
                v
            }
        })
    }
}

async fn reader(pty: Arc<Pty>, generation: u64, tx: mpsc::UnboundedSender<(u64, Vec<u8>)>) {
    let mut buf = vec![0u8; 4096];
    loop {
        match pty.read(&mut buf).await {
            Ok(0) => tokio::time::sleep(Duration::from_millis(50)).await,
            Ok(n) => {
                if tx.send((generation, buf[..n].to_vec())).is_err() {
                    return;
                }
            }
            Err(e) => {
                tracing::debug!(error = %e, "sim: pty read");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

async fn writer(pty: Arc<Pty>, mut rx: mpsc::UnboundedReceiver<Vec<u8>>, baud: Option<u32>) {
    while let Some(buf) = rx.recv().await {
        let r = match baud {
            None => pty.write_all(&buf).await,
            Some(baud) => paced(&pty, &buf, baud).await,
        };
        if let Err(e) = r {
            tracing::debug!(error = %e, "sim: pty write");
        }
    }
}

/// Writes no faster than `baud / 10` bytes per second (8N1: ten bits a byte).
async fn paced(pty: &Pty, buf: &[u8], baud: u32) -> io::Result<()> {
    let bytes_per_sec = u64::from((baud / 10).max(1));
    let chunk = usize::try_from((bytes_per_sec / 50).max(1)).unwrap_or(1);
    for c in buf.chunks(chunk) {
        pty.write_all(c).await?;
        tokio::time::sleep(Duration::from_secs_f64(
            c.len() as f64 / bytes_per_sec as f64,
        ))
        .await;
    }
    Ok(())
}

/// Runs a simulator until SIGINT or SIGTERM (for `smsgate sim`).
pub async fn run_until_signal(config: SimConfig) -> io::Result<()> {
    let handle = Simulator::spawn(config).await?;
    eprintln!(
        "smsgate sim: {} ready, control socket {}",
        handle.link().display(),
        handle.control_path().display()
    );
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    handle.shutdown().await;
    Ok(())
}
