//! Faults: the ways a real modem lets its host down, for the host's
//! recovery to be tested against, and the reboot they often end in.
//!
//! - A hang ([`Modem::hang`]): no output at all for a while and input lost,
//!   like a module whose firmware has locked up; what it had to say comes
//!   out when it is over.
//! - A reboot ([`Modem::reboot`]: `AT+CFUN=1,1`, the `reboot` request, or a
//!   re-plug after `unplug`, which the simulator task turns into one): the
//!   command in flight is lost, settings go back to power-on, the SIM locks
//!   again if it has a PIN, input is ignored for the profile's boot time,
//!   then come the boot URCs. The memories and the sent messages survive.
//! - A slow SMS start after a reboot
//!   ([`ModemConfig::sms_init`](super::ModemConfig::sms_init)): `AT` works
//!   but SMS commands answer `+CMS ERROR: 314` (SIM busy, 27.005 §3.2.5)
//!   until the profile's SMS-ready URCs, as on modules that answer `AT`
//!   seconds before their SMS service is up.
//! - A full memory ([`Modem::fill_memory`]).
//!
//! The send faults ([`Modem::cms_errors`], [`Modem::silent_send`]) act in
//! `sending`, when the next send happens; garbage ([`Modem::garbage`]) is
//! written at once.

use std::time::Duration;

use super::incoming::parse_sender;
use super::line::Mode;
use super::memory::{Mem, Stored};
use super::{Effect, Modem, Settings, Sim, Timer};

impl Modem {
    /// No answers at all for `duration`; input in that time is lost. Each hang
    /// has its own sequence number, so that the end of an earlier one does not
    /// cut a later one short.
    pub fn hang(&mut self, duration: Duration) {
        self.hang_seq += 1;
        self.hung = true;
        self.fx.push(Effect::Schedule(
            duration,
            Timer::HangEnd { seq: self.hang_seq },
        ));
    }

    /// The hang is over: what was held goes out and held messages come in.
    pub(super) fn hang_over(&mut self) {
        self.hung = false;
        self.flush();
        self.pump();
    }

    /// A module reset: settings back to defaults, the command in flight lost,
    /// the SIM locked again if it has a PIN; boot URCs after the boot time. A
    /// new epoch makes the timers of before the reboot (a send's answer, the
    /// boot in progress) stale.
    pub fn reboot(&mut self) {
        self.counters.reboots += 1;
        self.epoch += 1;
        self.booting = true;
        self.sms_starting = false;
        self.hung = false;
        self.mode = Mode::Command;
        self.line.clear();
        self.typeahead.clear();
        self.held.clear();
        self.held_urcs.clear();
        self.pending_send = None;
        self.awaiting_cnma = false;
        self.set = Settings::defaults(self.cfg.echo);
        self.memories.reset_selection();
        self.cfun = 1;
        if self.cfg.pin.is_some() {
            self.sim = Sim::Pin { attempts: 3 };
        }
        self.fx.push(Effect::Schedule(
            self.cfg.profile.boot_time,
            Timer::BootDone { epoch: self.epoch },
        ));
    }

    /// The boot time is over: the boot URCs, then the SIM's (`+CPIN: SIM
    /// PIN` where the profile announces `+CPIN: READY` but the SIM is
    /// locked), then what was held.
    pub(super) fn boot_done(&mut self) {
        self.booting = false;
        for u in self.cfg.profile.boot_urcs {
            self.urc(u);
        }
        if self.sim == Sim::Ready {
            for u in self.cfg.profile.sim_ready_urcs {
                self.urc(u);
            }
            self.start_sms();
        } else if self.cfg.profile.sim_ready_urcs.contains(&"+CPIN: READY") {
            self.urc("+CPIN: SIM PIN");
        }
        self.flush();
        self.pump();
        self.schedule_periodic();
    }

    /// The SIM is ready: the SMS service starts, at once or after
    /// [`ModemConfig::sms_init`](super::ModemConfig::sms_init) (only after a
    /// reboot: at power-on the simulator is ready at once).
    pub(super) fn start_sms(&mut self) {
        if self.cfg.sms_init.is_zero() || self.counters.reboots == 0 {
            for u in self.cfg.profile.sms_ready_urcs {
                self.urc(u);
            }
            return;
        }
        self.sms_starting = true;
        self.fx.push(Effect::Schedule(
            self.cfg.sms_init,
            Timer::SmsReady { epoch: self.epoch },
        ));
    }

    /// The SMS service is up: the SMS-ready URCs, and held messages come in.
    pub(super) fn sms_ready(&mut self) {
        self.sms_starting = false;
        for u in self.cfg.profile.sms_ready_urcs {
            self.urc(u);
        }
        self.flush();
        self.pump();
    }

    /// Fills every free slot of the memory called `mem` (None: the current
    /// `<mem3>`, where received messages go) with read "filler" messages, so
    /// that new messages are held back, or status reports dropped when it is
    /// "SR", until the host deletes something. "SR" gets status reports, the
    /// other memories SMS-DELIVERs. The fillers are read (stat 1), so that a
    /// host that lists unread messages finds none of them. Returns how many
    /// were added.
    pub fn fill_memory(&mut self, mem: Option<&str>) -> Result<usize, String> {
        let mem = match mem {
            None => self.memories.selection()[2],
            Some(name) => self.memories.find(name).ok_or_else(|| {
                let names: Vec<&str> = self.memories.names().map(Mem::name).collect();
                format!(
                    "no memory {name:?} on profile {} (it has {})",
                    self.cfg.profile.name,
                    names.join(", ")
                )
            })?,
        };
        let mut n = 0;
        while !self.memories.get(mem).is_full() {
            let (pdu, tpdu_len) = if mem == Mem::Sr {
                let ra = parse_sender("+15550009999")?;
                let tpdu = self.report_tpdu(n as u8, 0, ra)?;
                self.with_smsc(tpdu)
            } else {
                let text = format!("filler {}", n + 1);
                self.make_delivers("+15550009999", &text, false, None)?
                    .pop()
                    .ok_or("no filler part")?
            };
            self.memories.get_mut(mem).store(Stored {
                stat: 1,
                pdu,
                tpdu_len,
            });
            n += 1;
        }
        Ok(n)
    }
}
