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
pub mod prompts;

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
    /// The compatibility APIs' deliveries (`[compat.*]`), when any is configured.
    compat: Option<Arc<crate::compat::events::Hooks>>,
    /// The fleet's outbox (`[fleet]`), when configured.
    fleet: Option<Arc<crate::fleet::Subjects>>,
    /// Wakes the webhook deliverer once a transaction with events committed.
    wake: Arc<Notify>,
    metrics: Arc<Metrics>,
}

impl Events {
    pub fn new(webhooks: &[Webhook], wake: Arc<Notify>, metrics: Arc<Metrics>) -> Events {
        Events {
            webhooks: webhooks.into(),
            compat: None,
            fleet: None,
            wake,
            metrics,
        }
    }

    /// Also queues the compatibility APIs' deliveries for each event.
    pub fn with_compat(mut self, hooks: Option<crate::compat::events::Hooks>) -> Events {
        self.compat = hooks.map(Arc::new);
        self
    }

    /// Also queues each event for the fleet's hub.
    pub fn with_fleet(mut self, subjects: Option<crate::fleet::Subjects>) -> Events {
        self.fleet = subjects.map(Arc::new);
        self
    }

    /// Whether any endpoint is configured: without one there is nothing to write.
    pub fn any(&self) -> bool {
        !self.webhooks.is_empty() || self.compat.is_some() || self.fleet.is_some()
    }

    /// Queues the compatibility APIs' deliveries for the recipient `recipient_id` that a
    /// status report or the expiry sweep settled, inside `tx`. (smsgate's own events are per
    /// message; theirs are per recipient.)
    pub fn settled_tx(
        &self,
        tx: &Tx<'_>,
        recipient_id: i64,
        now: Timestamp,
    ) -> Result<(), crate::store::Error> {
        if let Some(hooks) = &self.compat {
            tx.enqueue_events(&hooks.settled_rows(tx, recipient_id, now)?, now)?;
        }
        Ok(())
    }

    /// Queues `kind` with `data` for every endpoint subscribed to it, inside `tx`.
    pub fn publish_tx(
        &self,
        tx: &Tx<'_>,
        kind: &str,
        data: Value,
        now: Timestamp,
    ) -> Result<(), crate::store::Error> {
        if let Some(hooks) = &self.compat {
            tx.enqueue_events(&hooks.outbound_rows(tx, kind, &data, now)?, now)?;
        }
        if let Some(fleet) = &self.fleet {
            fleet.event_tx(tx, kind, &data, now)?;
        }
        self.webhooks_tx(tx, kind, data, now)
    }

    /// Queues `kind` for the configured webhooks only, in `tx`: an event of smsgate's own that
    /// neither the compatibility APIs nor the fleet carry (`prompt.*`).
    pub fn webhooks_tx(
        &self,
        tx: &Tx<'_>,
        kind: &str,
        data: Value,
        now: Timestamp,
    ) -> Result<(), crate::store::Error> {
        if !self.webhooks.is_empty() {
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
