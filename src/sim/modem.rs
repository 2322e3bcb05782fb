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
//! - `network`: registration and signal as the host sees them, with their
//!   URCs;
//! - `incoming`: what the network delivers (messages, status reports),
//!   queued and routed per `AT+CNMI` into URCs or memories;
//! - `sending`: the PDU after the prompt, stored (`AT+CMGW`) or sent
//!   (`AT+CMGS`), the send in flight and the send faults;
//! - `faults`: hangs, reboots and what follows them, a full memory;
//! - `errors`: `ERROR`, `+CME ERROR` and `+CMS ERROR` in the form
//!   `AT+CMEE` asks for;
//! - `snapshot`: [`Modem::state`], everything observable as JSON.

mod errors;
mod faults;
mod incoming;
mod line;
pub mod memory;
mod network;
mod parse;
mod sending;
mod snapshot;

use std::collections::VecDeque;
use std::time::Duration;

use serde_json::Value;

use super::profile::Profile;
use crate::sms::pdumode;
use crate::sms::timestamp::Timestamp;
use errors::Fail;
use incoming::Incoming;
use line::Mode;
use memory::Memories;
use network::registered;
use parse::{Cmd, Kind};

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

/// What one command asks for besides its text.
enum Outcome {
    Lines(Vec<String>),
    Prompt { write: Option<u8>, len: usize },
    Reboot,
}

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

    // ---- commands ----

    fn command(&mut self, cmd: &Cmd) -> Result<Outcome, Fail> {
        let lines = |v: Vec<String>| Ok(Outcome::Lines(v));
        let ok = || Ok(Outcome::Lines(Vec::new()));
        let name = cmd.name.as_str();
        let n = cmd.int(0);
        match (name, &cmd.kind) {
            // Basic commands.
            ("E", Kind::Basic) => match n {
                None | Some(0) => {
                    self.set.echo = false;
                    ok()
                }
                Some(1) => {
                    self.set.echo = true;
                    ok()
                }
                _ => Err(Fail::Plain),
            },
            ("Z" | "&F", Kind::Basic) => {
                self.set = Settings::defaults(self.cfg.echo);
                self.memories.reset_selection();
                ok()
            }
            ("V" | "Q" | "&C" | "&D" | "&K" | "&W" | "H" | "X" | "L" | "M", Kind::Basic) => ok(),
            ("I", Kind::Basic) => {
                let p = self.cfg.profile;
                lines(vec![
                    format!("Manufacturer: {}", p.manufacturer),
                    format!("Model: {}", p.model),
                    format!("Revision: {}", p.revision),
                    format!("IMEI: {}", p.imei),
                    "+GCAP: +CGSM".into(),
                ])
            }
            ("S", Kind::Read) => lines(vec!["000".into()]),
            ("S", Kind::Set) => ok(),

            ("+CMEE", Kind::Set) => match n {
                Some(v @ 0..=2) => {
                    self.set.cmee = v as u8;
                    ok()
                }
                _ => Err(Fail::Cme(50)),
            },
            ("+CMEE", Kind::Read) => lines(vec![format!("+CMEE: {}", self.set.cmee)]),
            ("+CMEE", Kind::Test) => lines(vec!["+CMEE: (0-2)".into()]),

            ("+CPIN", Kind::Read) => lines(vec![format!("+CPIN: {}", self.cpin_state())]),
            ("+CPIN", Kind::Test) => ok(),
            ("+CPIN", Kind::Set) => self.enter_pin(cmd.str(0).unwrap_or_default()),

            ("+CFUN", Kind::Read) => lines(vec![format!("+CFUN: {}", self.cfun)]),
            ("+CFUN", Kind::Test) => lines(vec!["+CFUN: (0,1,4),(0,1)".into()]),
            ("+CFUN", Kind::Set) => {
                let fun = n.ok_or(Fail::Cme(50))?;
                let rst = cmd.int(1).unwrap_or(0);
                if !matches!(fun, 0 | 1 | 4) || rst > 1 {
                    return Err(Fail::Cme(50));
                }
                if rst == 1 {
                    return Ok(Outcome::Reboot);
                }
                let before = self.reg_stat();
                self.cfun = fun as u8;
                self.registration_changed(before);
                ok()
            }

            ("+CGMI" | "+GMI", Kind::Exec) => lines(vec![self.cfg.profile.manufacturer.into()]),
            ("+CGMM" | "+GMM", Kind::Exec) => lines(vec![self.cfg.profile.model.into()]),
            ("+CGMR" | "+GMR", Kind::Exec) => lines(vec![self.cfg.profile.revision.into()]),
            ("+CGSN" | "+GSN", Kind::Exec) => lines(vec![self.cfg.profile.imei.into()]),
            (
                "+CGMI" | "+GMI" | "+CGMM" | "+GMM" | "+CGMR" | "+GMR" | "+CGSN" | "+GSN",
                Kind::Test,
            ) => ok(),
            ("+GCAP", Kind::Exec) => lines(vec!["+GCAP: +CGSM".into()]),
            ("+CIMI", Kind::Exec) => {
                self.need_sim_cme()?;
                lines(vec![self.cfg.profile.imsi.into()])
            }
            ("+CCID" | "+ICCID" | "+QCCID", Kind::Exec | Kind::Read) => {
                self.need_sim_cme()?;
                lines(vec![format!("{}: {}", name, self.cfg.profile.iccid)])
            }

            ("+CREG" | "+CGREG" | "+CEREG", _) => self.creg(name, cmd),
            ("+CSQ", Kind::Exec) => lines(vec![format!("+CSQ: {},99", self.effective_rssi())]),
            ("+CSQ", Kind::Test) => lines(vec!["+CSQ: (0-31,99),(0-7,99)".into()]),
            ("+COPS", Kind::Read) => {
                if registered(self.reg_stat()) {
                    lines(vec![format!(
                        "+COPS: 0,0,\"{}\",{}",
                        self.cfg.profile.operator, self.cfg.profile.act
                    )])
                } else {
                    lines(vec!["+COPS: 0".into()])
                }
            }
            ("+COPS", Kind::Set) => ok(),
            ("+COPS", Kind::Test) => lines(vec![format!(
                "+COPS: (2,\"{}\",\"TestNet\",\"00101\",{}),,(0-4),(0-2)",
                self.cfg.profile.operator, self.cfg.profile.act
            )]),

            ("+CSCS", Kind::Read) => lines(vec![format!("+CSCS: \"{}\"", self.set.cscs)]),
            ("+CSCS", Kind::Test) => lines(vec!["+CSCS: (\"IRA\",\"GSM\",\"UCS2\")".into()]),
            ("+CSCS", Kind::Set) => match cmd.str(0).map(|s| s.to_ascii_uppercase()) {
                Some(s) if matches!(s.as_str(), "IRA" | "GSM" | "UCS2") => {
                    self.set.cscs = s;
                    ok()
                }
                _ => Err(Fail::Cme(4)),
            },

            // SMS commands (27.005).
            ("+CMGF", Kind::Read) => lines(vec!["+CMGF: 0".into()]),
            ("+CMGF", Kind::Test) => lines(vec!["+CMGF: (0)".into()]),
            ("+CMGF", Kind::Set) => match n {
                Some(0) => ok(),
                // Text mode is not simulated.
                _ => Err(Fail::Cms(303)),
            },
            ("+CSMS", Kind::Read) => lines(vec![format!("+CSMS: {},1,1,1", self.set.csms)]),
            ("+CSMS", Kind::Test) => lines(vec!["+CSMS: (0,1)".into()]),
            ("+CSMS", Kind::Set) => match n {
                Some(v @ 0..=1) => {
                    self.set.csms = v as u8;
                    lines(vec!["+CSMS: 1,1,1".into()])
                }
                _ => Err(Fail::Cms(303)),
            },
            ("+CNMI", Kind::Read) => {
                let c = self.set.cnmi;
                lines(vec![format!(
                    "+CNMI: {},{},{},{},{}",
                    c[0], c[1], c[2], c[3], c[4]
                )])
            }
            ("+CNMI", Kind::Test) => lines(vec!["+CNMI: (0-3),(0-3),(0,2),(0-2),(0,1)".into()]),
            ("+CNMI", Kind::Set) => {
                let max = [3, 3, 2, 2, 1];
                let mut c = [0u8; 5];
                for (i, slot) in c.iter_mut().enumerate() {
                    if let Some(arg) = cmd.args.get(i).filter(|a| !a.is_empty()) {
                        match arg.parse::<u8>() {
                            Ok(v) if v <= max[i] && !(i == 2 && v == 1) => *slot = v,
                            _ => return Err(Fail::Cms(303)),
                        }
                    }
                }
                if cmd.args.len() > 5 {
                    return Err(Fail::Cms(303));
                }
                self.set.cnmi = c;
                self.pump();
                ok()
            }
            ("+CNMA", Kind::Exec | Kind::Set) => {
                if self.awaiting_cnma {
                    self.awaiting_cnma = false;
                    self.pump();
                    ok()
                } else {
                    Err(Fail::Cms(340))
                }
            }
            ("+CSCA", Kind::Read) => {
                self.need_sim_cms()?;
                let ty = if self.smsc.starts_with('+') { 145 } else { 129 };
                lines(vec![format!("+CSCA: \"{}\",{}", self.smsc, ty)])
            }
            ("+CSCA", Kind::Set) => {
                self.need_sim_cms()?;
                let s = cmd.str(0).ok_or(Fail::Cms(304))?;
                if s.len() > 20 || !s.chars().all(|c| c.is_ascii_digit() || c == '+') {
                    return Err(Fail::Cms(304));
                }
                self.smsc = s.to_string();
                ok()
            }
            ("+CSCA", Kind::Test) => ok(),
            ("+CSMP", Kind::Read) => lines(vec!["+CSMP: 17,167,0,0".into()]),
            ("+CSMP", Kind::Set) => ok(),
            ("+CMMS", Kind::Read) => lines(vec![format!("+CMMS: {}", self.set.cmms)]),
            ("+CMMS", Kind::Test) => lines(vec!["+CMMS: (0-2)".into()]),
            ("+CMMS", Kind::Set) => match n {
                Some(v @ 0..=2) => {
                    self.set.cmms = v as u8;
                    ok()
                }
                _ => Err(Fail::Cms(303)),
            },
            ("+CPMS", _) => self.cpms(cmd),
            ("+CMGS", Kind::Test) => ok(),
            ("+CMGS", Kind::Set) => {
                self.need_sim_cms()?;
                let len = n.ok_or(Fail::Cms(304))?;
                if !(7..=164).contains(&len) || cmd.args.len() > 1 {
                    return Err(Fail::Cms(304));
                }
                Ok(Outcome::Prompt {
                    write: None,
                    len: len as usize,
                })
            }
            ("+CMGW", Kind::Test) => ok(),
            ("+CMGW", Kind::Set) => {
                self.need_sim_cms()?;
                let len = n.ok_or(Fail::Cms(304))?;
                let stat = cmd.int(1).unwrap_or(2);
                if !(7..=164).contains(&len) || stat > 3 {
                    return Err(Fail::Cms(304));
                }
                Ok(Outcome::Prompt {
                    write: Some(stat as u8),
                    len: len as usize,
                })
            }
            ("+CMGL", Kind::Test) => lines(vec!["+CMGL: (0-4)".into()]),
            ("+CMGL", Kind::Set | Kind::Exec) => {
                self.need_sim_cms()?;
                let stat = match cmd.args.first() {
                    None => 0,
                    Some(a) => a
                        .parse::<u8>()
                        .ok()
                        .filter(|s| *s <= 4)
                        .ok_or(Fail::Cms(302))?,
                };
                let mut out = Vec::new();
                for (i, m) in self.memories.read().messages_mut() {
                    if stat == 4 || m.stat == stat {
                        out.push(format!("+CMGL: {},{},,{}", i, m.stat, m.tpdu_len));
                        out.push(pdumode::to_hex(&m.pdu));
                        if m.stat == 0 {
                            m.stat = 1;
                        }
                    }
                }
                lines(if out.is_empty() {
                    Vec::new()
                } else {
                    vec![out.join("\r\n")]
                })
            }
            ("+CMGR", Kind::Test) => ok(),
            ("+CMGR", Kind::Set) => {
                self.need_sim_cms()?;
                match self.memories.read().slot(n).map_err(Fail::Cms)?.as_mut() {
                    Some(m) => {
                        let l = [
                            format!("+CMGR: {},,{}", m.stat, m.tpdu_len),
                            pdumode::to_hex(&m.pdu),
                        ];
                        if m.stat == 0 {
                            m.stat = 1;
                        }
                        lines(vec![l.join("\r\n")])
                    }
                    None => ok(),
                }
            }
            ("+CMGD", Kind::Test) => {
                let used: Vec<String> = self
                    .memories
                    .read()
                    .messages()
                    .map(|(i, _)| i.to_string())
                    .collect();
                lines(vec![format!("+CMGD: ({}),(0-4)", used.join(","))])
            }
            ("+CMGD", Kind::Set) => {
                self.need_sim_cms()?;
                let flag = u8::try_from(cmd.int(1).unwrap_or(0))
                    .ok()
                    .filter(|f| *f <= 4)
                    .ok_or(Fail::Cms(302))?;
                if flag == 0 {
                    *self.memories.read().slot(n).map_err(Fail::Cms)? = None;
                } else {
                    self.memories.read().delete_by_flag(flag);
                }
                self.memory_full_told = false;
                self.pump();
                ok()
            }

            ("^CURC", _) if !self.cfg.profile.periodic_urcs.is_empty() => match cmd.kind {
                Kind::Set => match n {
                    Some(v @ 0..=1) => {
                        self.set.curc = v == 1;
                        ok()
                    }
                    _ => Err(Fail::Plain),
                },
                Kind::Read => lines(vec![format!("^CURC: {}", u8::from(self.set.curc))]),
                _ => ok(),
            },

            (_, Kind::Set | Kind::Test) if self.cfg.profile.vendor_ok.contains(&name) => ok(),

            _ => {
                self.counters.unknown += 1;
                Err(Fail::Plain)
            }
        }
    }

    fn cpin_state(&self) -> &'static str {
        match self.sim {
            Sim::Ready => "READY",
            Sim::Pin { .. } => "SIM PIN",
            Sim::Puk => "SIM PUK",
        }
    }

    fn enter_pin(&mut self, given: &str) -> Result<Outcome, Fail> {
        match self.sim {
            Sim::Ready => Err(Fail::Cme(3)),
            Sim::Puk => Err(Fail::Cme(12)),
            Sim::Pin { attempts } => {
                if self.cfg.pin.as_deref() == Some(given) {
                    let before = self.reg_stat();
                    self.sim = Sim::Ready;
                    for u in self.cfg.profile.sim_ready_urcs {
                        self.urc(u);
                    }
                    self.start_sms();
                    self.registration_changed(before);
                    self.pump();
                    Ok(Outcome::Lines(Vec::new()))
                } else {
                    self.sim = if attempts <= 1 {
                        Sim::Puk
                    } else {
                        Sim::Pin {
                            attempts: attempts - 1,
                        }
                    };
                    Err(Fail::Cme(16))
                }
            }
        }
    }

    fn need_sim_cme(&self) -> Result<(), Fail> {
        match self.sim {
            Sim::Ready => Ok(()),
            Sim::Pin { .. } => Err(Fail::Cme(11)),
            Sim::Puk => Err(Fail::Cme(12)),
        }
    }

    fn need_sim_cms(&self) -> Result<(), Fail> {
        match self.sim {
            Sim::Ready if self.sms_starting => Err(Fail::Cms(314)),
            Sim::Ready => Ok(()),
            Sim::Pin { .. } => Err(Fail::Cms(311)),
            Sim::Puk => Err(Fail::Cms(316)),
        }
    }

    fn cpms(&mut self, cmd: &Cmd) -> Result<Outcome, Fail> {
        match cmd.kind {
            Kind::Test => Ok(Outcome::Lines(vec![self.memories.cpms_test()])),
            Kind::Read => {
                self.need_sim_cms()?;
                Ok(Outcome::Lines(vec![self.memories.cpms_read()]))
            }
            Kind::Set => {
                self.need_sim_cms()?;
                let answer = self.memories.cpms_set(&cmd.args).map_err(Fail::Cms)?;
                // A new <mem3> may have room for messages the network holds.
                self.memory_full_told = false;
                self.pump();
                Ok(Outcome::Lines(vec![answer]))
            }
            Kind::Exec | Kind::Basic => Err(Fail::Plain),
        }
    }

    fn creg(&mut self, name: &str, cmd: &Cmd) -> Result<Outcome, Fail> {
        let which = match name {
            "+CREG" => 0,
            "+CGREG" => 1,
            _ => 2,
        };
        match cmd.kind {
            Kind::Test => Ok(Outcome::Lines(vec![format!("{name}: (0-2)")])),
            Kind::Set => match cmd.int(0) {
                Some(v @ 0..=2) => {
                    self.set.creg[which] = v as u8;
                    Ok(Outcome::Lines(Vec::new()))
                }
                _ => Err(Fail::Cme(50)),
            },
            Kind::Read => {
                let n = self.set.creg[which];
                let stat = self.reg_stat();
                let mut s = format!("{name}: {n},{stat}");
                if n == 2 && registered(stat) {
                    s.push_str(&self.location(which));
                }
                Ok(Outcome::Lines(vec![s]))
            }
            _ => Err(Fail::Plain),
        }
    }

    // ---- timers ----

    /// A timer scheduled earlier is due.
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

    /// Delivers a text from `from` (a number, or an alphanumeric sender),
    /// split into as many SMS-DELIVER parts as it needs (GSM 7-bit when
    /// possible, UCS-2 otherwise, or always UCS-2 when `ucs2`). Returns the
    /// part count.
    pub fn deliver_text(
        &mut self,
        from: &str,
        text: &str,
        ucs2: bool,
        class: Option<u8>,
    ) -> Result<usize, String> {
        self.incoming_text(from, text, ucs2, class)
    }

    /// Delivers a raw PDU (PDU-mode hex, SMSC prefix first); its type (deliver
    /// or status report) follows its TP-MTI.
    pub fn deliver_pdu(&mut self, hex: &str) -> Result<(), String> {
        self.incoming_pdu(hex)
    }

    /// The network reports on the send with `mr` (TP-ST `status`); `to`
    /// overrides the recipient taken from the sent message.
    pub fn status_report(&mut self, mr: u8, status: u8, to: Option<&str>) -> Result<(), String> {
        self.incoming_report(mr, status, to)
    }

    /// No answers at all for `duration`; input in that time is lost.
    pub fn hang(&mut self, duration: Duration) {
        self.start_hang(duration);
    }

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

    /// A module reset: settings back to defaults, the command in flight lost,
    /// the SIM locked again if it has a PIN; boot URCs after the boot time.
    pub fn reboot(&mut self) {
        self.reset();
    }

    /// Fills every free slot of the memory called `mem` (None: the current
    /// `<mem3>`, where received messages go) with read "filler" messages,
    /// so that new messages are held back, or status reports dropped when
    /// it is "SR", until the host deletes something. "SR" gets status
    /// reports, the other memories SMS-DELIVERs. Returns how many were added.
    pub fn fill_memory(&mut self, mem: Option<&str>) -> Result<usize, String> {
        self.fill(mem)
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

    /// Everything observable, for `{"cmd":"state"}`.
    pub fn state(&self) -> Value {
        self.snapshot()
    }
}

#[cfg(test)]
mod tests;
