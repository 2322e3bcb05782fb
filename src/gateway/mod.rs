//! Tasks that move messages between the store, the modems and the rules:
//! [`dispatch`] sends what the store holds through ready modems, [`ingest`]
//! stores what the modems receive and matches status reports, [`process`]
//! runs the support-line rules on each completed inbound message; and
//! [`campaign`] builds a bulk campaign for the API. None knows HTTP or serial
//! details; the store is the truth and memory only a cache.
//!
//! Every webhook event is queued in the same store transaction as the state
//! change it reports ([`Events::publish_tx`]): a crash either keeps both or
//! neither, and no channel stands between a committed state and its event.

pub mod campaign;
pub mod dispatch;
pub mod ingest;
pub mod process;

use std::sync::Arc;

use jiff::Timestamp;
use serde_json::Value;
use tokio::sync::Notify;

use crate::config::Webhook;
use crate::metrics::Metrics;
use crate::store::Tx;

/// Where the gateway's tasks record what happened: webhook events, queued inside the store
/// transaction that makes the change, and metrics, counted after its COMMIT. Cheap to clone.
#[derive(Clone)]
pub struct Events {
    webhooks: Arc<[Webhook]>,
    /// Wakes the webhook deliverer once a transaction with events committed.
    wake: Arc<Notify>,
    metrics: Arc<Metrics>,
}

impl Events {
    pub fn new(webhooks: &[Webhook], wake: Arc<Notify>, metrics: Arc<Metrics>) -> Events {
        Events {
            webhooks: webhooks.into(),
            wake,
            metrics,
        }
    }

    /// Whether any endpoint is configured: without one there is nothing to write.
    pub fn any(&self) -> bool {
        !self.webhooks.is_empty()
    }

    /// Queues `kind` with `data` for every endpoint subscribed to it, inside `tx`.
    pub fn publish_tx(
        &self,
        tx: &Tx<'_>,
        kind: &str,
        data: Value,
        now: Timestamp,
    ) -> Result<(), crate::store::Error> {
        if self.any() {
            crate::webhook::publish_tx(tx, &self.webhooks, kind, data, now)?;
        }
        Ok(())
    }

    /// After a COMMIT that may have queued events: lets the deliverer look.
    pub fn committed(&self) {
        if self.any() {
            self.wake.notify_one();
        }
    }

    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }
}

/// Where the gateway reads the time (`docs/architecture.md`, "Invariants": 4, time is injected).
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
