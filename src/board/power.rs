//! [`PowerControl`]: power on, power off, reset and status over
//! embedded-hal 1.0 pins, with every timing taken from the profile.
//!
//! No sleeps other than through `DelayNs`.

use embedded_hal::delay::DelayNs;
use embedded_hal::digital::{InputPin, OutputPin};

use super::Error;
use super::profile::{BoardProfile, FlightMode, PowerEnable, PowerKey, Reset, Status};

/// The lines of one board; each must be present exactly when the profile
/// has the matching section.
#[derive(Debug)]
pub struct Pins<O, I> {
    pub power_key: Option<O>,
    pub power_enable: Option<O>,
    pub reset: Option<O>,
    pub status: Option<I>,
    pub flight_mode: Option<O>,
}

impl<O, I> Default for Pins<O, I> {
    fn default() -> Self {
        Pins {
            power_key: None,
            power_enable: None,
            reset: None,
            status: None,
            flight_mode: None,
        }
    }
}

/// What a power action achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The action ran and STATUS confirms the new state.
    Confirmed,
    /// The action ran; no STATUS line is wired, so the result is not known.
    Unverified,
    /// STATUS showed the module already in the wanted state; no line moved.
    AlreadyThere,
}

/// Power control of one board's modem.
pub struct PowerControl<O, I, D> {
    power_key: Option<(PowerKey, O)>,
    power_enable: Option<(PowerEnable, O)>,
    reset: Option<(Reset, O)>,
    status: Option<(Status, I)>,
    flight_mode: Option<(FlightMode, O)>,
    shutdown_ms: u32,
    boot_ms: u32,
    delay: D,
}

fn pin_err(line: &str, e: impl core::fmt::Debug) -> Error {
    Error::Pin {
        line: line.to_owned(),
        message: format!("{e:?}"),
    }
}

fn pair<C, P>(key: &str, conf: Option<C>, pin: Option<P>) -> Result<Option<(C, P)>, Error> {
    match (conf, pin) {
        (Some(c), Some(p)) => Ok(Some((c, p))),
        (None, None) => Ok(None),
        (Some(_), None) => Err(Error::Invalid {
            key: key.to_owned(),
            reason: "the profile has this line but no pin was given for it".into(),
        }),
        (None, Some(_)) => Err(Error::Invalid {
            key: key.to_owned(),
            reason: "a pin was given but the profile has no such line".into(),
        }),
    }
}

/// Drives `pin` to the active (`assert`) or inactive level.
fn drive<O: OutputPin>(
    pin: &mut O,
    active_high: bool,
    assert: bool,
    key: &str,
) -> Result<(), Error> {
    if active_high == assert {
        pin.set_high().map_err(|e| pin_err(key, e))
    } else {
        pin.set_low().map_err(|e| pin_err(key, e))
    }
}

impl<O: OutputPin, I: InputPin, D: DelayNs> PowerControl<O, I, D> {
    /// Binds `pins` to `profile`'s timings. Errors name the profile key
    /// whose line is missing (or given without a section).
    pub fn new(profile: &BoardProfile, pins: Pins<O, I>, delay: D) -> Result<Self, Error> {
        Ok(PowerControl {
            power_key: pair("power_key", profile.power_key, pins.power_key)?,
            power_enable: pair("power_enable", profile.power_enable, pins.power_enable)?,
            reset: pair("reset", profile.reset, pins.reset)?,
            status: pair("status", profile.status, pins.status)?,
            flight_mode: pair("flight_mode", profile.flight_mode, pins.flight_mode)?,
            shutdown_ms: profile.shutdown_ms.unwrap_or(0),
            boot_ms: profile.boot_ms,
            delay,
        })
    }

    /// Time from power-on until the module answers `AT`: the caller waits
    /// this long (or for the port to reappear) before probing.
    pub fn boot_ms(&self) -> u32 {
        self.boot_ms
    }

    /// Hands the pins and delay back.
    pub fn release(self) -> (Pins<O, I>, D) {
        (
            Pins {
                power_key: self.power_key.map(|(_, p)| p),
                power_enable: self.power_enable.map(|(_, p)| p),
                reset: self.reset.map(|(_, p)| p),
                status: self.status.map(|(_, p)| p),
                flight_mode: self.flight_mode.map(|(_, p)| p),
            },
            self.delay,
        )
    }

    /// Whether the module is on, from STATUS; `None` when STATUS is not wired.
    pub fn is_on(&mut self) -> Result<Option<bool>, Error> {
        match &mut self.status {
            None => Ok(None),
            Some((conf, pin)) => {
                let high = pin.is_high().map_err(|e| pin_err("status.line", e))?;
                Ok(Some(high == conf.on_level_high))
            }
        }
    }

    /// Reads STATUS until it shows `want_on`, every `status.poll_ms`, for at
    /// most `status.timeout_ms`. `Ok(false)` when STATUS is not wired.
    fn wait_status(&mut self, want_on: bool) -> Result<bool, Error> {
        let Some((conf, _)) = self.status else {
            return Ok(false);
        };
        let mut waited = 0u32;
        loop {
            if self.is_on()? == Some(want_on) {
                return Ok(true);
            }
            if waited >= conf.timeout_ms {
                return Err(Error::StatusTimeout {
                    want_on,
                    timeout_ms: conf.timeout_ms,
                });
            }
            self.delay.delay_ms(conf.poll_ms);
            waited = waited.saturating_add(conf.poll_ms);
        }
    }

    /// Presses PWRKEY for `ms`, then releases it.
    fn press_key(&mut self, ms: u32) -> Result<(), Error> {
        if let Some((conf, pin)) = &mut self.power_key {
            drive(pin, conf.active_high, true, "power_key.line")?;
            self.delay.delay_ms(ms);
            drive(pin, conf.active_high, false, "power_key.line")?;
        }
        Ok(())
    }

    fn supply(&mut self, on: bool) -> Result<(), Error> {
        if let Some((conf, pin)) = &mut self.power_enable {
            drive(pin, conf.active_high, on, "power_enable.line")?;
        }
        Ok(())
    }

    /// Switches the module on: supply enabled (then `power_enable.settle_ms`
    /// when a PWRKEY follows), then one PWRKEY on-pulse; with STATUS wired,
    /// waits for it to read on.
    ///
    /// With STATUS wired and reading on, nothing moves: PWRKEY is a toggle
    /// (`docs/hardware/boards.md#power-timing`). Without STATUS the on-pulse
    /// is still safe for a running module because it is shorter than the off
    /// threshold (checked when the profile is loaded).
    pub fn power_on(&mut self) -> Result<Outcome, Error> {
        if self.power_key.is_none() && self.power_enable.is_none() {
            return Err(Error::NotWired {
                action: "power on",
                needs: "power_key or power_enable line",
            });
        }
        if self.is_on()? == Some(true) {
            return Ok(Outcome::AlreadyThere);
        }
        if let Some((conf, _)) = self.power_enable {
            self.supply(true)?;
            if self.power_key.is_some() {
                self.delay.delay_ms(conf.settle_ms);
            }
        }
        if let Some((conf, _)) = self.power_key {
            self.press_key(conf.on_pulse_ms)?;
        }
        Ok(if self.wait_status(true)? {
            Outcome::Confirmed
        } else {
            Outcome::Unverified
        })
    }

    /// Switches the module off: a PWRKEY off-pulse and `shutdown_ms` for a
    /// clean shutdown, then the supply disabled; with STATUS wired, waits
    /// for it to read off. With STATUS reading off, nothing moves.
    ///
    /// Without STATUS or a supply line the off-pulse is pressed blind: a
    /// module that was already off is switched *on* by it (PWRKEY is a
    /// toggle), and the result is [`Outcome::Unverified`]. Prefer the AT
    /// command (`AT+CPOWD=1`, `AT+QPOWD=1`, `AT+CPOF`) while the module
    /// answers (`docs/hardware/boards.md#power-timing`).
    pub fn power_off(&mut self) -> Result<Outcome, Error> {
        if self.power_key.is_none() && self.power_enable.is_none() {
            return Err(Error::NotWired {
                action: "power off",
                needs: "power_key or power_enable line",
            });
        }
        if self.is_on()? == Some(false) {
            return Ok(Outcome::AlreadyThere);
        }
        if let Some((conf, _)) = self.power_key {
            self.press_key(conf.off_pulse_ms)?;
            self.delay.delay_ms(self.shutdown_ms);
        }
        self.supply(false)?;
        Ok(if self.wait_status(false)? {
            Outcome::Confirmed
        } else {
            Outcome::Unverified
        })
    }

    /// Off, then on: [`power_off`](Self::power_off), the supply held off for
    /// `power_enable.off_ms` where there is one, then
    /// [`power_on`](Self::power_on). The last rung of the recovery ladder.
    ///
    /// Without STATUS this is an off-pulse followed by an on-pulse: a module
    /// that was on goes off and comes back; one that was off is switched on
    /// by the long press and ignores the short one (it is below the off
    /// threshold). Either way it ends on.
    pub fn power_cycle(&mut self) -> Result<Outcome, Error> {
        self.power_off()?;
        if let Some((conf, _)) = self.power_enable {
            self.delay.delay_ms(conf.off_ms);
        }
        self.power_on()
    }

    /// A hard reset: the RESET line pulsed for `reset.pulse_ms` if there is
    /// one; else the supply cut for `power_enable.off_ms` and the module
    /// switched on again; else a PWRKEY off-pulse, `shutdown_ms`, and the
    /// module switched on again.
    pub fn reset(&mut self) -> Result<Outcome, Error> {
        if let Some((conf, pin)) = &mut self.reset {
            drive(pin, conf.active_high, true, "reset.line")?;
            self.delay.delay_ms(conf.pulse_ms);
            drive(pin, conf.active_high, false, "reset.line")?;
            return Ok(Outcome::Unverified);
        }
        if let Some((conf, _)) = self.power_enable {
            self.supply(false)?;
            self.delay.delay_ms(conf.off_ms);
            return self.power_on();
        }
        if let Some((conf, _)) = self.power_key {
            self.press_key(conf.off_pulse_ms)?;
            self.delay.delay_ms(self.shutdown_ms);
            self.wait_status(false)?;
            return self.power_on();
        }
        Err(Error::NotWired {
            action: "reset",
            needs: "reset, power_enable or power_key line",
        })
    }

    /// Enters or leaves flight mode through the flight-mode line.
    pub fn set_flight_mode(&mut self, on: bool) -> Result<(), Error> {
        match &mut self.flight_mode {
            Some((conf, pin)) => drive(pin, conf.active_high, on, "flight_mode.line"),
            None => Err(Error::NotWired {
                action: "set flight mode",
                needs: "flight_mode line",
            }),
        }
    }
}

/// A [`PowerControl`] shared behind a mutex, for the modem actor's last
/// recovery rung ([`crate::modem::actor::PowerCycle`]).
///
/// `power_cycle` blocks the calling thread for the whole sequence (seconds:
/// pulses, shutdown and supply-off times from the profile), so async
/// callers should run it on a blocking thread.
pub struct SharedPower<O, I, D> {
    name: String,
    control: std::sync::Mutex<PowerControl<O, I, D>>,
}

impl<O, I, D> SharedPower<O, I, D> {
    /// `name` (the board profile's) prefixes error messages.
    pub fn new(name: impl Into<String>, control: PowerControl<O, I, D>) -> Self {
        SharedPower {
            name: name.into(),
            control: std::sync::Mutex::new(control),
        }
    }

    /// The control itself, for power on/off, reset and status.
    pub fn control(&self) -> &std::sync::Mutex<PowerControl<O, I, D>> {
        &self.control
    }
}

impl<O, I, D> crate::modem::actor::PowerCycle for SharedPower<O, I, D>
where
    O: OutputPin + Send,
    I: InputPin + Send,
    D: DelayNs + Send,
{
    fn power_cycle(&self) -> Result<(), String> {
        let mut control = self
            .control
            .lock()
            .map_err(|_| format!("board {}: power control lock poisoned", self.name))?;
        control
            .power_cycle()
            .map(|_| ())
            .map_err(|e| format!("board {}: {e}", self.name))
    }
}
