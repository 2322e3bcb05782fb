//! Tasks that move messages between the store and the modems:
//! [`dispatch`] sends what the store holds through ready modems, [`ingest`]
//! stores what the modems receive and matches status reports. Neither knows
//! HTTP or serial details; the store is the truth and memory only a cache.

pub mod dispatch;
pub mod ingest;

use jiff::Timestamp;

/// Where the gateway reads the time (DESIGN.md invariant 4).
pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

/// The system clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}
