//! The command table: what each AT command does, by family.
//!
//! The commands of a line reach [`Modem::command`] one at a time, and each
//! family answers for its own commands and passes on the rest: the general
//! ones here (V.250 basics such as `E`, `Z`, `I` and `S`, identity per
//! 27.007 §5.1–5.6, `+CMEE`, `+CSCS`, Huawei's `^CURC`), the SIM's PIN here
//! (27.007 §8.3), the network's in `network` (`+CFUN`, `+CREG` and its
//! packet-domain siblings, `+CSQ`, `+COPS`) and the SMS commands of 27.005
//! in `sms_commands`. What no family knows is accepted with `OK` when it
//! sets or tests one of the profile's vendor commands, which hosts such as
//! gammu send at start-up, and is otherwise unknown: `ERROR`, as a modem
//! answers, and counted.

use super::errors::Fail;
use super::parse::{Cmd, Kind};
use super::{Modem, Settings, Sim};

/// What one command asks for besides its text.
pub(super) enum Outcome {
    /// Information text, if any, then the line goes on.
    Lines(Vec<String>),
    /// The `> ` prompt for a PDU, which ends the line: `AT+CMGS` (`write`
    /// None) or `AT+CMGW` (`write` its `<stat>`), `len` the announced TPDU
    /// length.
    Prompt { write: Option<u8>, len: usize },
    /// `OK`, then a reboot (`AT+CFUN=1,1`).
    Reboot,
}

/// A family's answer to a command: None when the command is not the
/// family's.
pub(super) type Answer = Result<Option<Outcome>, Fail>;

/// Information text.
pub(super) fn lines(v: Vec<String>) -> Answer {
    Ok(Some(Outcome::Lines(v)))
}

/// Nothing but the final result.
pub(super) fn ok() -> Answer {
    Ok(Some(Outcome::Lines(Vec::new())))
}

impl Modem {
    /// One command of a line.
    pub(super) fn command(&mut self, cmd: &Cmd) -> Result<Outcome, Fail> {
        let families: [fn(&mut Modem, &Cmd) -> Answer; 4] = [
            Modem::general_command,
            Modem::sim_command,
            Modem::network_command,
            Modem::sms_command,
        ];
        for family in families {
            if let Some(outcome) = family(self, cmd)? {
                return Ok(outcome);
            }
        }
        if matches!(cmd.kind, Kind::Set | Kind::Test)
            && self.cfg.profile.vendor_ok.contains(&cmd.name.as_str())
        {
            return Ok(Outcome::Lines(Vec::new()));
        }
        self.counters.unknown += 1;
        Err(Fail::Plain)
    }

    /// V.250 basic commands, identity, error and character set settings,
    /// Huawei's periodic URC switch.
    fn general_command(&mut self, cmd: &Cmd) -> Answer {
        let name = cmd.name.as_str();
        let n = cmd.int(0);
        match (name, &cmd.kind) {
            // V.250 basic commands.
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

            ("+CSCS", Kind::Read) => lines(vec![format!("+CSCS: \"{}\"", self.set.cscs)]),
            ("+CSCS", Kind::Test) => lines(vec!["+CSCS: (\"IRA\",\"GSM\",\"UCS2\")".into()]),
            ("+CSCS", Kind::Set) => match cmd.str(0).map(|s| s.to_ascii_uppercase()) {
                Some(s) if matches!(s.as_str(), "IRA" | "GSM" | "UCS2") => {
                    self.set.cscs = s;
                    ok()
                }
                _ => Err(Fail::Cme(4)),
            },

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
            _ => Ok(None),
        }
    }

    /// The SIM's PIN (27.007 §8.3).
    fn sim_command(&mut self, cmd: &Cmd) -> Answer {
        let name = cmd.name.as_str();
        match (name, &cmd.kind) {
            ("+CPIN", Kind::Read) => lines(vec![format!("+CPIN: {}", self.cpin_state())]),
            ("+CPIN", Kind::Test) => ok(),
            ("+CPIN", Kind::Set) => self.enter_pin(cmd.str(0).unwrap_or_default()).map(Some),
            _ => Ok(None),
        }
    }

    /// `+CPIN: <code>` as 27.007 §8.3 spells it.
    pub(super) fn cpin_state(&self) -> &'static str {
        match self.sim {
            Sim::Ready => "READY",
            Sim::Pin { .. } => "SIM PIN",
            Sim::Puk => "SIM PUK",
        }
    }

    /// `AT+CPIN=<pin>`: three wrong PINs lock the SIM behind its PUK, which
    /// is not simulated; the right one makes the SIM ready, with the
    /// profile's URCs, and lets registration and SMS start.
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

    /// The SIM must be ready for this command: a CME error otherwise.
    pub(super) fn need_sim_cme(&self) -> Result<(), Fail> {
        match self.sim {
            Sim::Ready => Ok(()),
            Sim::Pin { .. } => Err(Fail::Cme(11)),
            Sim::Puk => Err(Fail::Cme(12)),
        }
    }

    /// The SIM must be ready, and SMS started, for this SMS command: a CMS
    /// error otherwise (314 "SIM busy" while SMS starts, 27.005 §3.2.5).
    pub(super) fn need_sim_cms(&self) -> Result<(), Fail> {
        match self.sim {
            Sim::Ready if self.sms_starting => Err(Fail::Cms(314)),
            Sim::Ready => Ok(()),
            Sim::Pin { .. } => Err(Fail::Cms(311)),
            Sim::Puk => Err(Fail::Cms(316)),
        }
    }
}
