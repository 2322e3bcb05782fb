//! GSM semantics over [`crate::at`]: opening a port, init, SIM PIN,
//! storage, sending, reading and deleting, health, and the recovery ladder.
//! One actor per modem owns its port ([`actor`]); the field tools use a
//! [`session::Session`] directly.

pub mod actor;
pub mod cms;
pub mod port;
pub mod quirks;
pub mod scan;
pub mod session;

pub use actor::{ModemConfig, ModemEvent, ModemHandle, ModemState, ModemStatus, ReceivedPart};
pub use cms::CmsClass;
pub use session::{Health, Identity, InitConfig, SendError, Session, Setup};

use crate::at::client;

/// Why a modem operation failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot open {device}: {source}")]
    Open {
        device: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the modem does not answer AT ({0})")]
    NoAnswer(String),
    #[error("the SIM wants a PIN and none is configured")]
    PinRequired,
    #[error("the SIM rejected the PIN ({0}); not retried, to avoid locking the SIM")]
    PinRejected(String),
    #[error("SIM problem: {0}")]
    Sim(String),
    #[error("{command} failed: {source}")]
    Command {
        command: &'static str,
        #[source]
        source: client::Error,
    },
    #[error("the modem cannot {0}")]
    Unsupported(String),
    #[error("bad setting: {0}")]
    Config(String),
    /// A raw command through the actor failed, or the actor turned it away.
    #[error("{0}")]
    Refused(String),
    #[error("the modem actor has stopped")]
    Stopped,
}

impl Error {
    /// Wraps a client error with the command that failed.
    pub(crate) fn at(command: &'static str) -> impl Fn(client::Error) -> Error {
        move |source| Error::Command { command, source }
    }
}
