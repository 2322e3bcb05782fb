//! Board profiles: `boards/*.toml`, parsed and validated.
//!
//! The schema is documented key by key in `boards/README.md`. Profiles are
//! external input: every bad value gives an [`Error::Invalid`] naming the
//! key, never a panic.

use std::path::Path;

use serde::Deserialize;

use super::Error;

/// One board: how to reach the modem's AT port and how to power it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoardProfile {
    /// Short name; a built-in profile's name equals its file stem.
    pub name: String,
    /// One line for people.
    pub description: String,
    /// Quirks entry for the modem: `quectel`, `simcom`, `huawei` or `generic`.
    pub model: String,
    /// The module on the board, for people (e.g. "SIM7600E-H").
    #[serde(default)]
    pub module: Option<String>,
    /// Time from power-on until the module answers `AT`, in milliseconds.
    pub boot_ms: u32,
    /// The module's PWRKEY press length that switches a running module off
    /// (`docs/hardware/boards.md#power-timing`). Required with `[power_key]`:
    /// the on-pulse must stay below it and the off-pulse must reach it.
    #[serde(default)]
    pub off_threshold_ms: Option<u32>,
    /// Time from the off action (PWRKEY off-pulse) until the module is off.
    /// Required with `[power_key]`.
    #[serde(default)]
    pub shutdown_ms: Option<u32>,
    /// Dotted keys of this profile whose values no public source confirms
    /// (`docs/hardware/README.md#open-points`).
    #[serde(default)]
    pub unconfirmed: Vec<String>,
    /// Jumper positions the profile assumes, for people.
    #[serde(default)]
    pub jumpers: Option<String>,
    pub serial: Serial,
    /// GPIO character device that holds the lines, e.g. `/dev/gpiochip0`.
    /// Required when any line is given.
    #[serde(default)]
    pub gpiochip: Option<String>,
    #[serde(default)]
    pub power_key: Option<PowerKey>,
    #[serde(default)]
    pub power_enable: Option<PowerEnable>,
    #[serde(default)]
    pub reset: Option<Reset>,
    #[serde(default)]
    pub status: Option<Status>,
    #[serde(default)]
    pub flight_mode: Option<FlightMode>,
}

/// The modem's AT port.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Serial {
    /// A stable name: a udev symlink (see `udev/`) or `/dev/serial0`.
    pub path: String,
    pub baud: u32,
    /// RTS/CTS hardware flow control.
    #[serde(default)]
    pub rtscts: bool,
}

/// PWRKEY: a momentary press, a toggle (`docs/hardware/boards.md#power-timing`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PowerKey {
    /// Line offset on `gpiochip` (BCM number on a Raspberry Pi).
    pub line: u32,
    /// The Pi level that presses the key (HIGH on most HATs: an NPN
    /// transistor pulls the module's PWRKEY low).
    pub active_high: bool,
    /// Press length that switches the module on.
    pub on_pulse_ms: u32,
    /// Press length that switches the module off.
    pub off_pulse_ms: u32,
}

/// A line that switches the module's supply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PowerEnable {
    pub line: u32,
    /// The level that *enables* the supply.
    pub active_high: bool,
    /// How long the supply stays off in a reset or power cycle.
    pub off_ms: u32,
    /// Time after enabling the supply before PWRKEY may be pressed.
    pub settle_ms: u32,
}

/// A RESET input of the module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reset {
    pub line: u32,
    /// The Pi level that asserts reset.
    pub active_high: bool,
    pub pulse_ms: u32,
}

/// The module's STATUS output, read by the Pi.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Status {
    pub line: u32,
    /// The level the Pi reads while the module is on.
    pub on_level_high: bool,
    /// How long STATUS may take to follow a power action.
    pub timeout_ms: u32,
    /// Interval between reads while waiting.
    pub poll_ms: u32,
}

/// A flight-mode (airplane) input of the module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlightMode {
    pub line: u32,
    /// The Pi level that enables flight mode.
    pub active_high: bool,
}

/// The profiles shipped in `boards/`, by name.
pub const BUILTIN: &[(&str, &str)] = &[
    ("generic-usb", include_str!("../../boards/generic-usb.toml")),
    (
        "waveshare-sim7600x",
        include_str!("../../boards/waveshare-sim7600x.toml"),
    ),
    (
        "waveshare-sim800c",
        include_str!("../../boards/waveshare-sim800c.toml"),
    ),
    (
        "waveshare-sim868",
        include_str!("../../boards/waveshare-sim868.toml"),
    ),
    (
        "sixfab-base-hat-ec25",
        include_str!("../../boards/sixfab-base-hat-ec25.toml"),
    ),
    (
        "sixfab-cellular-iot-bg96",
        include_str!("../../boards/sixfab-cellular-iot-bg96.toml"),
    ),
];

/// Names of the built-in profiles.
pub fn builtin_names() -> impl Iterator<Item = &'static str> {
    BUILTIN.iter().map(|(name, _)| *name)
}

/// A built-in profile by name.
pub fn builtin(name: &str) -> Result<BoardProfile, Error> {
    let (_, text) = BUILTIN
        .iter()
        .find(|(n, _)| *n == name)
        .ok_or_else(|| Error::UnknownBoard(name.to_owned()))?;
    BoardProfile::from_str(text)
}

fn invalid(key: &str, reason: impl Into<String>) -> Error {
    Error::Invalid {
        key: key.to_owned(),
        reason: reason.into(),
    }
}

impl BoardProfile {
    /// Reads and validates a profile file; errors name the file and key.
    pub fn load(path: &Path) -> Result<BoardProfile, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
            path: path.to_owned(),
            source,
        })?;
        BoardProfile::from_str(&text).map_err(|e| Error::InFile {
            path: path.to_owned(),
            source: Box::new(e),
        })
    }

    /// Parses and validates a profile.
    #[allow(clippy::should_implement_trait)]
    pub fn from_str(text: &str) -> Result<BoardProfile, Error> {
        let table: toml::Table = toml::from_str(text).map_err(|e| Error::Parse(e.to_string()))?;
        let profile: BoardProfile =
            toml::from_str(text).map_err(|e| Error::Parse(e.to_string()))?;
        profile.validate(&table)?;
        Ok(profile)
    }

    /// Whether any power line is wired (otherwise the board has no power
    /// control and the recovery ladder stops at `AT+CFUN=1,1`).
    pub fn has_power_control(&self) -> bool {
        self.power_key.is_some() || self.power_enable.is_some() || self.reset.is_some()
    }

    /// Every line the profile uses, with the key that names it.
    pub fn lines(&self) -> Vec<(&'static str, u32)> {
        let mut out = Vec::new();
        if let Some(p) = &self.power_key {
            out.push(("power_key.line", p.line));
        }
        if let Some(p) = &self.power_enable {
            out.push(("power_enable.line", p.line));
        }
        if let Some(p) = &self.reset {
            out.push(("reset.line", p.line));
        }
        if let Some(p) = &self.status {
            out.push(("status.line", p.line));
        }
        if let Some(p) = &self.flight_mode {
            out.push(("flight_mode.line", p.line));
        }
        out
    }

    fn validate(&self, table: &toml::Table) -> Result<(), Error> {
        if self.name.trim().is_empty() {
            return Err(invalid("name", "is empty"));
        }
        if crate::modem::quirks::by_name(&self.model).is_none() {
            return Err(invalid(
                "model",
                format!(
                    "unknown model {:?} (quectel, simcom, huawei, generic)",
                    self.model
                ),
            ));
        }
        if self.boot_ms == 0 {
            return Err(invalid("boot_ms", "must be above 0"));
        }
        if self.serial.path.trim().is_empty() {
            return Err(invalid("serial.path", "is empty"));
        }
        if self.serial.baud == 0 {
            return Err(invalid("serial.baud", "must be above 0"));
        }
        let lines = self.lines();
        if !lines.is_empty() && self.gpiochip.as_deref().is_none_or(|c| c.trim().is_empty()) {
            return Err(invalid(
                "gpiochip",
                format!("is required because {} is set", lines[0].0),
            ));
        }
        for (i, (key, line)) in lines.iter().enumerate() {
            if let Some((other, _)) = lines[..i].iter().find(|(_, l)| l == line) {
                return Err(invalid(key, format!("line {line} is already {other}")));
            }
        }
        if let Some(key) = &self.power_key {
            let threshold = self
                .off_threshold_ms
                .ok_or_else(|| invalid("off_threshold_ms", "is required with [power_key]"))?;
            if self.shutdown_ms.is_none() {
                return Err(invalid("shutdown_ms", "is required with [power_key]"));
            }
            if key.on_pulse_ms == 0 {
                return Err(invalid("power_key.on_pulse_ms", "must be above 0"));
            }
            if key.on_pulse_ms >= threshold {
                return Err(invalid(
                    "power_key.on_pulse_ms",
                    format!(
                        "{} ms is not below off_threshold_ms ({threshold} ms): \
                         the on-pulse would switch a running module off",
                        key.on_pulse_ms
                    ),
                ));
            }
            if key.off_pulse_ms < threshold {
                return Err(invalid(
                    "power_key.off_pulse_ms",
                    format!(
                        "{} ms is below off_threshold_ms ({threshold} ms): \
                         it would not switch the module off",
                        key.off_pulse_ms
                    ),
                ));
            }
        }
        if let Some(reset) = &self.reset
            && reset.pulse_ms == 0
        {
            return Err(invalid("reset.pulse_ms", "must be above 0"));
        }
        if let Some(status) = &self.status {
            if status.poll_ms == 0 {
                return Err(invalid("status.poll_ms", "must be above 0"));
            }
            if status.poll_ms > status.timeout_ms {
                return Err(invalid(
                    "status.poll_ms",
                    "is longer than status.timeout_ms",
                ));
            }
        }
        for key in &self.unconfirmed {
            if !has_key(table, key) {
                return Err(invalid(
                    "unconfirmed",
                    format!("{key:?} is not a key of this profile"),
                ));
            }
        }
        Ok(())
    }
}

impl std::str::FromStr for BoardProfile {
    type Err = Error;

    fn from_str(text: &str) -> Result<BoardProfile, Error> {
        BoardProfile::from_str(text)
    }
}

/// Whether a dotted key (`power_key.line`) is present in `table`.
fn has_key(table: &toml::Table, dotted: &str) -> bool {
    let mut parts = dotted.split('.');
    let Some(first) = parts.next() else {
        return false;
    };
    let mut value = table.get(first);
    for part in parts {
        value = value.and_then(|v| v.as_table()).and_then(|t| t.get(part));
    }
    value.is_some()
}
