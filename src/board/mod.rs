//! Board power control: switching a HAT's modem on and off over GPIO.
//!
//! A board is described by a profile, `boards/*.toml` ([`BoardProfile`]):
//! the AT port (a stable udev name or `/dev/serial0`), the modem model whose
//! quirks apply, and the GPIO lines wired to the module (PWRKEY, supply
//! enable, RESET, STATUS, flight mode) with their active levels and timings.
//! Where every value of a shipped profile comes from is in
//! `docs/hardware/boards.md` ("Board profile values", with the HAT wiring and
//! module power timings it rests on); values no public source confirms are
//! listed in each profile's `unconfirmed` key.
//!
//! [`PowerControl`] drives the lines over the embedded-hal 1.0 traits
//! (`OutputPin`, `InputPin`, `DelayNs`), so the exact pin sequence is tested
//! with mocks; [`linux`] opens real lines through the GPIO character device
//! and plugs into the modem actor's last recovery rung
//! ([`crate::modem::actor::PowerCycle`]).
//!
//! PWRKEY is a toggle (`docs/hardware/boards.md#power-timing`): the same
//! press that switches the module on switches it off when it is already on.
//! So power-on reads STATUS first where it is wired and never presses the key
//! for a module that is on, and every profile's on-pulse is shorter than its
//! module's off threshold (checked when the profile is loaded), so a spurious
//! on-pulse cannot switch a running module off.

use std::path::PathBuf;

#[cfg(target_os = "linux")]
pub mod linux;
pub mod power;
pub mod profile;

pub use power::{Outcome, Pins, PowerControl, SharedPower};
pub use profile::{
    BUILTIN, BoardProfile, FlightMode, PowerEnable, PowerKey, Reset, Serial, Status, builtin,
    builtin_names,
};

/// Everything that can go wrong with a board profile or its lines.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    InFile {
        path: PathBuf,
        #[source]
        source: Box<Error>,
    },
    /// Syntax errors, unknown keys, values of the wrong type; the message
    /// names the key and line.
    #[error("{0}")]
    Parse(String),
    /// A value that parses but is not acceptable.
    #[error("{key}: {reason}")]
    Invalid { key: String, reason: String },
    #[error("no built-in board profile named {0:?}")]
    UnknownBoard(String),
    /// A GPIO line could not be opened, driven or read.
    #[error("{line}: {message}")]
    Pin { line: String, message: String },
    /// The board has no line for the action.
    #[error("cannot {action}: the board has no {needs}")]
    NotWired {
        action: &'static str,
        needs: &'static str,
    },
    /// STATUS did not follow the action in time.
    #[error("STATUS did not read {} within {timeout_ms} ms", if *.want_on { "on" } else { "off" })]
    StatusTimeout { want_on: bool, timeout_ms: u32 },
}
