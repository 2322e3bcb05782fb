//! The SMS commands of 27.005, in PDU mode only.
//!
//! - Settings: the message format (`+CMGF`, §3.2.3; only 0, as text mode is
//!   not simulated), the message service (`+CSMS`, §3.2.1; with 1 every
//!   `+CMT` and `+CDS` waits for `+CNMA`, §3.4.4), the routing of incoming
//!   messages (`+CNMI`, §3.4.1), the SMSC (`+CSCA`, §3.3.1), the memories
//!   (`+CPMS`, §3.2.2, answered by [`memory`]); `+CSMP` and `+CMMS` are
//!   accepted.
//! - Messages: `+CMGS` (§4.3) and `+CMGW` open the prompt for a PDU;
//!   `+CMGL` (§4.1), `+CMGR` (§4.2) and `+CMGD` (§3.5.4) act on `<mem1>`,
//!   and listing or reading a REC UNREAD message makes it REC READ, as
//!   27.005 specifies.
//!
//! The commands that use the SIM (the SMSC, the memories, sending) need it
//! ready and the SMS service started: `+CMS ERROR` 311, 316 or 314
//! otherwise.
//!
//! [`memory`]: super::memory

use super::Modem;
use super::commands::{Answer, Outcome, lines, ok};
use super::errors::Fail;
use super::parse::{Cmd, Kind};
use crate::sms::pdumode;

impl Modem {
    /// The SMS commands.
    pub(super) fn sms_command(&mut self, cmd: &Cmd) -> Answer {
        let name = cmd.name.as_str();
        let n = cmd.int(0);
        match (name, &cmd.kind) {
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
            ("+CPMS", _) => self.cpms(cmd).map(Some),
            ("+CMGS", Kind::Test) => ok(),
            ("+CMGS", Kind::Set) => {
                self.need_sim_cms()?;
                let len = n.ok_or(Fail::Cms(304))?;
                if !(7..=164).contains(&len) || cmd.args.len() > 1 {
                    return Err(Fail::Cms(304));
                }
                Ok(Some(Outcome::Prompt {
                    write: None,
                    len: len as usize,
                }))
            }
            ("+CMGW", Kind::Test) => ok(),
            ("+CMGW", Kind::Set) => {
                self.need_sim_cms()?;
                let len = n.ok_or(Fail::Cms(304))?;
                let stat = cmd.int(1).unwrap_or(2);
                if !(7..=164).contains(&len) || stat > 3 {
                    return Err(Fail::Cms(304));
                }
                Ok(Some(Outcome::Prompt {
                    write: Some(stat as u8),
                    len: len as usize,
                }))
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
            _ => Ok(None),
        }
    }

    /// `AT+CPMS`: the memories each kind of command uses (27.005 §3.2.2).
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
}
