//! Real GPIO lines through the Linux GPIO character device
//! (`/dev/gpiochipN`), with linux-embedded-hal's `CdevPin`.
//!
//! Used at run time only; tests drive [`PowerControl`] with mocks.

use linux_embedded_hal::gpio_cdev::{Chip, LineRequestFlags};
use linux_embedded_hal::{CdevPin, Delay};

use super::Error;
use super::power::{Pins, PowerControl, SharedPower};
use super::profile::BoardProfile;

/// Power control over real lines; sleeps with `std::thread::sleep`.
pub type LinuxPowerControl = PowerControl<CdevPin, CdevPin, Delay>;

/// The modem actor's power-cycle hook over real lines.
pub type LinuxPower = SharedPower<CdevPin, CdevPin, Delay>;

/// The consumer label the kernel shows for our lines (`gpioinfo`).
const CONSUMER: &str = "smsgate";

fn line_err(key: &str, chip: &str, line: u32, e: impl std::fmt::Display) -> Error {
    Error::Pin {
        line: key.to_owned(),
        message: format!("{chip} line {line}: {e}"),
    }
}

/// Requests the profile's lines on its `gpiochip` and binds them. Outputs
/// start at their resting level: PWRKEY and RESET released, flight mode
/// off, and the supply *enabled* (the state a HAT has without a Pi).
pub fn open(profile: &BoardProfile) -> Result<LinuxPowerControl, Error> {
    let Some(chip_path) = profile.gpiochip.as_deref() else {
        return Err(Error::NotWired {
            action: "open power control",
            needs: "gpiochip",
        });
    };
    let mut chip = Chip::new(chip_path).map_err(|e| Error::Pin {
        line: "gpiochip".into(),
        message: format!("{chip_path}: {e}"),
    })?;
    let mut output = |key: &str, line: u32, high: bool| -> Result<CdevPin, Error> {
        let handle = chip
            .get_line(line)
            .and_then(|l| l.request(LineRequestFlags::OUTPUT, u8::from(high), CONSUMER))
            .map_err(|e| line_err(key, chip_path, line, e))?;
        CdevPin::new(handle).map_err(|e| line_err(key, chip_path, line, e))
    };
    let mut pins = Pins::default();
    if let Some(k) = profile.power_key {
        pins.power_key = Some(output("power_key.line", k.line, !k.active_high)?);
    }
    if let Some(p) = profile.power_enable {
        pins.power_enable = Some(output("power_enable.line", p.line, p.active_high)?);
    }
    if let Some(r) = profile.reset {
        pins.reset = Some(output("reset.line", r.line, !r.active_high)?);
    }
    if let Some(f) = profile.flight_mode {
        pins.flight_mode = Some(output("flight_mode.line", f.line, !f.active_high)?);
    }
    if let Some(s) = profile.status {
        let handle = chip
            .get_line(s.line)
            .and_then(|l| l.request(LineRequestFlags::INPUT, 0, CONSUMER))
            .map_err(|e| line_err("status.line", chip_path, s.line, e))?;
        pins.status =
            Some(CdevPin::new(handle).map_err(|e| line_err("status.line", chip_path, s.line, e))?);
    }
    PowerControl::new(profile, pins, Delay)
}

/// [`open`], wrapped for the modem actor's last recovery rung.
pub fn open_shared(profile: &BoardProfile) -> Result<LinuxPower, Error> {
    Ok(SharedPower::new(profile.name.clone(), open(profile)?))
}
