//! The network's registration and signal, as the host sees them.
//!
//! The "network" has a registration stat (1 home, 5 roaming, 2 searching,
//! 3 denied, set with the `network` request) and a signal strength. What the
//! modem reports also depends on the radio (`AT+CFUN`) and the SIM: with
//! the radio off or the SIM locked it is not registered (stat 0) whatever
//! the network says, as on hardware, so that a host that forgot the PIN or
//! left the radio off finds out from `AT+CREG?`. Every change of the
//! reported stat is a `+CREG`/`+CGREG`/`+CEREG` URC (27.007 §7.2, §10.1)
//! for the host that asked for one, and registering lets held messages in.
//! Unregistered, sends fail and incoming messages wait.
//!
//! The commands that show or change them (`+CFUN`, `+CREG` and its
//! siblings, `+CSQ`, `+COPS`) are here too, next to the state they read. The
//! Huawei profile also reports its signal unasked: `^RSSI` (and `^BOOT`)
//! every few seconds until `AT^CURC=0`.

use super::commands::{Answer, Outcome, lines, ok};
use super::errors::Fail;
use super::parse::{Cmd, Kind};
use super::{Effect, Modem, Sim, Timer};

impl Modem {
    /// The radio and the network: `+CFUN` (27.007 §8.2), `+CREG`,
    /// `+CGREG`, `+CEREG` (27.007 §7.2, §10.1), `+CSQ` (27.007 §8.5),
    /// `+COPS` (27.007 §7.3).
    pub(super) fn network_command(&mut self, cmd: &Cmd) -> Answer {
        let name = cmd.name.as_str();
        let n = cmd.int(0);
        match (name, &cmd.kind) {
            ("+CFUN", Kind::Read) => lines(vec![format!("+CFUN: {}", self.cfun)]),
            ("+CFUN", Kind::Test) => lines(vec!["+CFUN: (0,1,4),(0,1)".into()]),
            ("+CFUN", Kind::Set) => {
                let fun = n.ok_or(Fail::Cme(50))?;
                let rst = cmd.int(1).unwrap_or(0);
                if !matches!(fun, 0 | 1 | 4) || rst > 1 {
                    return Err(Fail::Cme(50));
                }
                if rst == 1 {
                    return Ok(Some(Outcome::Reboot));
                }
                let before = self.reg_stat();
                self.cfun = fun as u8;
                self.registration_changed(before);
                ok()
            }

            ("+CREG" | "+CGREG" | "+CEREG", _) => self.creg(name, cmd).map(Some),
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
            _ => Ok(None),
        }
    }

    /// `AT+CREG`, `AT+CGREG` and `AT+CEREG` (`name`): `n` 1 and 2 ask for
    /// URCs, 2 with the location.
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

    /// What `n=2` adds to a registered stat: `<lac>,<ci>`, and `<AcT>` for
    /// `+CGREG` and `+CEREG` (`which` 1 and 2). One cell, always the same.
    pub(super) fn location(&self, which: usize) -> String {
        if which == 0 {
            ",\"00A1\",\"00012345\"".into()
        } else {
            format!(",\"00A1\",\"00012345\",{}", self.cfg.profile.act)
        }
    }

    /// The registration stat the modem reports now.
    pub(super) fn reg_stat(&self) -> u8 {
        if self.cfun != 1 || self.sim != Sim::Ready {
            0
        } else {
            self.network_stat
        }
    }

    /// The `<rssi>` of `AT+CSQ`: 99 (unknown) with the radio off or no
    /// network at all.
    pub(super) fn effective_rssi(&self) -> u8 {
        if self.cfun == 1 && self.network_stat != 0 {
            self.rssi
        } else {
            99
        }
    }

    /// After anything that may change [`Modem::reg_stat`] (`before` is its
    /// old value): the URCs the host asked for with `AT+CREG=1|2` and its
    /// packet-domain siblings, and, once registered, the messages the
    /// network was holding.
    pub(super) fn registration_changed(&mut self, before: u8) {
        let stat = self.reg_stat();
        if stat == before {
            return;
        }
        for (which, name) in ["+CREG", "+CGREG", "+CEREG"].into_iter().enumerate() {
            match self.set.creg[which] {
                1 => self.urc(&format!("{name}: {stat}")),
                2 => {
                    let loc = if registered(stat) {
                        self.location(which)
                    } else {
                        String::new()
                    };
                    self.urc(&format!("{name}: {stat}{loc}"));
                }
                _ => {}
            }
        }
        if registered(stat) {
            self.pump();
        }
    }

    /// The periodic URCs are due: printed unless `AT^CURC=0` turned them
    /// off or the modem is quiet, then scheduled again.
    pub(super) fn periodic_urcs(&mut self) {
        if self.set.curc && !self.quiet() {
            let rssi = self.effective_rssi().to_string();
            for u in self.cfg.profile.periodic_urcs {
                self.urc(&u.replace("{rssi}", &rssi));
            }
        }
        self.schedule_periodic();
    }

    /// The next periodic URCs, for profiles that have them.
    pub(super) fn schedule_periodic(&mut self) {
        let p = self.cfg.profile;
        if !p.periodic_urcs.is_empty() {
            self.fx.push(Effect::Schedule(
                p.periodic_every,
                Timer::Periodic { epoch: self.epoch },
            ));
        }
    }
}

/// Registered, home or roaming (27.007 §7.2 `<stat>` 1 and 5, and 6 and 7,
/// their "SMS only" forms): sends go out and messages come in.
pub(super) fn registered(stat: u8) -> bool {
    matches!(stat, 1 | 5 | 6 | 7)
}
