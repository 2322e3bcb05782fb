//! The simulated modem's AT state machine, with no I/O.
//!
//! Bytes from the host go in through [`Modem::feed`]; what the modem would
//! print comes out as [`Effect::Write`], and anything that happens later (the
//! network answering a send, a status report, the end of a hang or a reboot)
//! as [`Effect::Schedule`] of a [`Timer`] that the driver hands back to
//! [`Modem::fire`] when it is due. Control operations (incoming messages,
//! faults) are methods; their effects are collected with
//! [`Modem::take_effects`].
//!
//! Framing follows 27.007 with `V1`: information text is
//! `\r\n<line>[\r\n<line>...]\r\n`, the final result `\r\nOK\r\n`, the
//! `AT+CMGS`/`AT+CMGW` prompt `\r\n> `, URCs `\r\n<urc>\r\n`. With echo on,
//! every byte of a command line (and of a PDU after the prompt) is echoed as it
//! arrives, the terminating `\r` included.
//!
//! The SMS memories ("SM", "ME", "SR"), which of them each command uses and
//! the `AT+CPMS` answers are in [`memory`]. The rest is split by concern into
//! private modules, each adding to `impl Modem` what its concern needs, so
//! that this file keeps the state, the constructor and the public API:
//!
//! - `parse`: the AT command-line parser (`AT` and what follows, split into
//!   commands);
//! - `line`: the line discipline: echo, command lines, the `> ` prompt and
//!   the PDU after it, the framing of answers and the holding of URCs;
//! - `commands`: the command table and its general and SIM families;
//!   `sms_commands`: the SMS family;
//! - `network`: registration and signal as the host sees them, their
//!   commands and URCs;
//! - `sending`: the PDU after the prompt, stored (`AT+CMGW`) or sent
//!   (`AT+CMGS`), the send in flight and the send faults;
//! - `incoming`: what the network delivers (messages, status reports),
//!   queued and routed per `AT+CNMI` into URCs or memories;
//! - `faults`: hangs, reboots and what follows them, a full memory;
//! - `errors`: `ERROR`, `+CME ERROR` and `+CMS ERROR` in the form
//!   `AT+CMEE` asks for;
//! - `snapshot`: [`Modem::state`], everything observable as JSON.

mod commands;
mod errors;
mod faults;
mod incoming;
mod line;
pub mod memory;
mod network;
mod parse;
mod sending;
mod sms_commands;
mod snapshot;

use std::collections::VecDeque;
use std::time::Duration;

use super::profile::Profile;
use crate::sms::timestamp::Timestamp;
use incoming::Incoming;
use line::Mode;
use memory::Memories;

/// The simulated modem's fixed settings.
#[derive(Debug, Clone)]
pub struct ModemConfig {
    pub profile: &'static Profile,
    /// A SIM PIN; the SIM then starts locked (`+CPIN: SIM PIN`).
    pub pin: Option<String>,
    /// "SM" slots (the SIM's memory).
    pub capacity: usize,
    /// "ME" slots, for profiles that have that memory; None: the profile's
    /// [`Profile::me_capacity`].
    pub me_capacity: Option<usize>,
    /// "SR" slots, for profiles that have that memory; None: the profile's
    /// [`Profile::sr_capacity`].
    pub sr_capacity: Option<usize>,
    /// Echo after power-on and `ATZ`.
    pub echo: bool,
    /// Network delay between the Ctrl-Z of a send and `+CMGS`.
    pub send_delay: Duration,
    /// Delay between `+CMGS` and the status report of a send with TP-SRR.
    pub report_delay: Duration,
    /// After a reboot or re-plug, how long the SIM's SMS service takes to
    /// start once the SIM is ready: SMS commands meanwhile answer
    /// `+CMS ERROR: 314` (SIM busy), and the profile's SMS-ready URCs
    /// (`+QIND: SMS DONE`, `SMS DONE`) come at its end, as on real modules
    /// that answer `AT` seconds before SMS works. Zero by default.
    pub sms_init: Duration,
    /// The time stamp put in incoming messages and reports.
    pub clock: fn() -> Timestamp,
}

impl ModemConfig {
    /// Defaults for `profile`: no PIN, 30 "SM" slots, the profile's "ME"
    /// and "SR" sizes, echo on, no delays.
    pub fn new(profile: &'static Profile) -> ModemConfig {
        ModemConfig {
            profile,
            pin: None,
            capacity: 30,
            me_capacity: None,
            sr_capacity: None,
            echo: true,
            send_delay: Duration::ZERO,
            report_delay: Duration::from_millis(100),
            sms_init: Duration::ZERO,
            clock: local_now,
        }
    }
}

/// The local time with its offset, as a TP-SCTS.
pub fn local_now() -> Timestamp {
    let now = jiff::ZonedDateTime::now();
    Timestamp {
        year: u16::try_from(now.year()).unwrap_or(2000),
        month: now.month() as u8,
        day: now.day() as u8,
        hour: now.hour() as u8,
        minute: now.minute() as u8,
        second: now.second() as u8,
        tz_quarters: (now.offset().seconds() / 900) as i8,
    }
}

/// Something the driver must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Write these bytes to the host.
    Write(Vec<u8>),
    /// Call [`Modem::fire`] with the timer after the duration.
    Schedule(Duration, Timer),
}

/// A delayed event. Timers from before a reboot are ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Timer {
    /// The network has answered the send in flight.
    SendDone { epoch: u64 },
    /// The network delivers a status report for `mr`.
    StatusReport { mr: u8, status: u8 },
    /// A hang started with this sequence number is over.
    HangEnd { seq: u64 },
    /// The module has finished booting.
    BootDone { epoch: u64 },
    /// The SMS service has started (see [`ModemConfig::sms_init`]).
    SmsReady { epoch: u64 },
    /// Time for the profile's periodic URCs.
    Periodic { epoch: u64 },
}

/// The SIM's lock (27.007 §8.3): a wrong PIN costs one of three attempts,
/// the last one locks it behind its PUK.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sim {
    Ready,
    Pin { attempts: u8 },
    Puk,
}

/// A message the modem has sent (the SMSC accepted it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub mr: u8,
    pub to: String,
    pub text: Option<String>,
    pub srr: bool,
    /// (reference, total, sequence) of a concatenated part.
    pub concat: Option<(u16, u8, u8)>,
    /// PDU-mode hex as the host wrote it.
    pub pdu: String,
}

/// What `state` counts.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Counters {
    commands: u64,
    unknown: u64,
    sends: u64,
    send_errors: u64,
    received: u64,
    reports: u64,
    /// Status reports lost because their memory ("SR") was full.
    dropped_reports: u64,
    dropped_input: u64,
    reboots: u64,
}

/// The host's settings, which `ATZ`, `AT&F` and a reboot put back to
/// power-on.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Settings {
    echo: bool,
    cmee: u8,
    csms: u8,
    cnmi: [u8; 5],
    creg: [u8; 3],
    curc: bool,
    cscs: String,
    cmms: u8,
}

impl Settings {
    fn defaults(echo: bool) -> Settings {
        Settings {
            echo,
            cmee: 0,
            csms: 0,
            cnmi: [0; 5],
            creg: [0; 3],
            curc: true,
            cscs: "IRA".into(),
            cmms: 0,
        }
    }
}

/// The modem: settings, SIM, memories and the network's view.
#[derive(Debug)]
pub struct Modem {
    cfg: ModemConfig,
    set: Settings,
    cfun: u8,
    sim: Sim,
    /// Registration stat when the radio is on and the SIM ready.
    network_stat: u8,
    rssi: u8,
    smsc: String,
    /// "SM", "ME", "SR" as the profile has them, and the `AT+CPMS` selection.
    memories: Memories,
    incoming: VecDeque<Incoming>,
    memory_full_told: bool,
    awaiting_cnma: bool,
    next_mr: u8,
    next_concat_ref: u16,
    cms_fault: Option<(u16, u32)>,
    /// The next send gets no answer: the modem goes silent for this long;
    /// the bool says whether the message reached the network anyway.
    silent_send: Option<(Duration, bool)>,
    pending_send: Option<Result<Sent, u16>>,
    sent: Vec<Sent>,
    counters: Counters,
    mode: Mode,
    line: Vec<u8>,
    line_overflow: bool,
    typeahead: VecDeque<u8>,
    /// Command output held while the modem is quiet.
    held: Vec<u8>,
    /// URCs held while a command is in progress or the modem is quiet.
    held_urcs: Vec<u8>,
    /// A command line is being executed: URCs wait for its final result.
    executing: bool,
    hung: bool,
    hang_seq: u64,
    booting: bool,
    /// The SIM is ready but SMS is not yet (see [`ModemConfig::sms_init`]).
    sms_starting: bool,
    epoch: u64,
    fx: Vec<Effect>,
}

impl Modem {
    pub fn new(cfg: ModemConfig) -> Modem {
        let sim = match cfg.pin {
            Some(_) => Sim::Pin { attempts: 3 },
            None => Sim::Ready,
        };
        Modem {
            set: Settings::defaults(cfg.echo),
            cfun: 1,
            sim,
            network_stat: 1,
            rssi: 20,
            smsc: cfg.profile.smsc.to_string(),
            memories: Memories::new(cfg.profile, cfg.capacity, cfg.me_capacity, cfg.sr_capacity),
            incoming: VecDeque::new(),
            memory_full_told: false,
            awaiting_cnma: false,
            next_mr: 0,
            next_concat_ref: 1,
            cms_fault: None,
            silent_send: None,
            pending_send: None,
            sent: Vec::new(),
            counters: Counters::default(),
            mode: Mode::Command,
            line: Vec::new(),
            line_overflow: false,
            typeahead: VecDeque::new(),
            held: Vec::new(),
            held_urcs: Vec::new(),
            executing: false,
            hung: false,
            hang_seq: 0,
            booting: false,
            sms_starting: false,
            epoch: 0,
            fx: Vec::new(),
            cfg,
        }
    }

    pub fn profile(&self) -> &'static Profile {
        self.cfg.profile
    }

    /// The effects of power-on (the periodic URC timer).
    pub fn start(&mut self) -> Vec<Effect> {
        self.schedule_periodic();
        self.take_effects()
    }

    /// Drains the effects collected so far, merging adjacent writes.
    pub fn take_effects(&mut self) -> Vec<Effect> {
        let mut out: Vec<Effect> = Vec::new();
        for e in self.fx.drain(..) {
            if let (Some(Effect::Write(prev)), Effect::Write(b)) = (out.last_mut(), &e) {
                prev.extend_from_slice(b);
                continue;
            }
            out.push(e);
        }
        out
    }

    /// Bytes from the host.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Effect> {
        if self.quiet() {
            self.counters.dropped_input += bytes.len() as u64;
        } else {
            self.typeahead.extend(bytes);
            self.process_input();
        }
        self.take_effects()
    }

    /// A timer scheduled earlier is due. A timer from before a reboot (an
    /// older epoch) or of an earlier hang is stale and does nothing.
    pub fn fire(&mut self, timer: Timer) -> Vec<Effect> {
        match timer {
            Timer::SendDone { epoch } if epoch == self.epoch => self.send_done(),
            Timer::StatusReport { mr, status } => {
                // The network's report; lost only if no send with that mr exists.
                let _ = self.status_report(mr, status, None);
            }
            Timer::HangEnd { seq } if seq == self.hang_seq && self.hung => self.hang_over(),
            Timer::BootDone { epoch } if epoch == self.epoch && self.booting => self.boot_done(),
            Timer::SmsReady { epoch } if epoch == self.epoch && self.sms_starting => {
                self.sms_ready()
            }
            Timer::Periodic { epoch } if epoch == self.epoch => self.periodic_urcs(),
            _ => {}
        }
        self.take_effects()
    }

    // The control protocol's requests: the network's side, then faults.

    /// The next `count` sends fail with `+CMS ERROR: <code>` (after the network delay).
    pub fn cms_errors(&mut self, code: u16, count: u32) {
        self.cms_fault = (count > 0).then_some((code, count));
    }

    /// The next send is never answered: after its Ctrl-Z the modem is silent
    /// for `duration` (input lost, as in [`Modem::hang`]). With `delivered`
    /// the message did reach the network (it is in [`Modem::sent`] and its
    /// mr is used up), else it did not.
    pub fn silent_send(&mut self, duration: Duration, delivered: bool) {
        self.silent_send = Some((duration, delivered));
    }

    /// Writes `bytes` into the stream as they are.
    pub fn garbage(&mut self, bytes: &[u8]) {
        if !bytes.is_empty() {
            self.fx.push(Effect::Write(bytes.to_vec()));
        }
    }

    /// Network registration: `stat` 1 home, 5 roaming, 0 not searching,
    /// 2 searching, 3 denied; `rssi` 0..=31 or 99.
    pub fn set_network(&mut self, stat: u8, rssi: Option<u8>) {
        let before = self.reg_stat();
        self.network_stat = stat;
        if let Some(r) = rssi {
            self.rssi = r;
        }
        self.registration_changed(before);
    }

    /// Changes the network's delays and the SMS start-up time (see
    /// [`ModemConfig`]) for what comes next.
    pub fn set_delays(
        &mut self,
        send: Option<Duration>,
        report: Option<Duration>,
        sms_init: Option<Duration>,
    ) {
        if let Some(d) = sms_init {
            self.cfg.sms_init = d;
        }
        if let Some(d) = send {
            self.cfg.send_delay = d;
        }
        if let Some(d) = report {
            self.cfg.report_delay = d;
        }
    }

    /// Messages the modem has sent, oldest first.
    pub fn sent(&self) -> &[Sent] {
        &self.sent
    }
}

#[cfg(test)]
mod tests;
