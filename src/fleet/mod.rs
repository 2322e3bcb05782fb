//! This appliance as one of a fleet on NATS JetStream (`[fleet]`; docs/fleet.md).
//!
//! | what | where |
//! |---|---|
//! | sends for any appliance | `sms.out.any`, stream `SMS_OUT` (work queue), consumer `fleet` |
//! | sends for one site | `sms.out.site.<site>`, stream `SMS_OUT`, consumer `site-<site>` |
//! | received messages | `sms.in.<site>.<device>`, stream `SMS_IN` |
//! | events | `sms.evt.<site>.<device>.<sent\|delivered\|failed\|received>`, stream `SMS_EVT` |
//! | health | key-value bucket `sms_health`, key `<site>.<device>` |
//! | claims | key-value bucket `sms_claims`, one key per send |
//!
//! A send's body is `POST /api/v1/messages`'s; its `Nats-Msg-Id` is the client's id. The
//! bridge ([`bridge`]) pulls only while a modem is ready and only as much as it can send soon,
//! commits each send held under its id, claims it fleet-wide, acknowledges, and only then
//! releases it to the dispatcher. Received messages and events are written to an outbox in the
//! transaction of what they report ([`Subjects`]) and published in order, each with its row id
//! in `Nats-Msg-Id`, marked forwarded only once the hub acknowledged it.

#[cfg(feature = "fleet")]
pub mod bridge;

use jiff::Timestamp;
use serde_json::{Value, json};

use crate::store::{self, Tx};

/// The stream sends are published to.
pub const STREAM_OUT: &str = "SMS_OUT";
/// The stream of received messages.
pub const STREAM_IN: &str = "SMS_IN";
/// The stream of events.
pub const STREAM_EVT: &str = "SMS_EVT";
/// The durable consumer of `sms.out.any`.
pub const CONSUMER_ANY: &str = "fleet";
/// Sends any appliance may take.
pub const SUBJECT_ANY: &str = "sms.out.any";
/// The key-value bucket of appliance health.
pub const BUCKET_HEALTH: &str = "sms_health";
/// The key-value bucket of fleet-wide claims.
pub const BUCKET_CLAIMS: &str = "sms_claims";

/// This appliance's subjects; also queues what it publishes, inside store transactions.
#[derive(Debug, Clone)]
pub struct Subjects {
    pub site: String,
    pub device: String,
}

impl Subjects {
    pub fn new(cfg: &crate::config::Fleet) -> Subjects {
        Subjects {
            site: cfg.site.get_ref().clone(),
            device: cfg.device.get_ref().clone(),
        }
    }

    /// Sends for this site only.
    pub fn site_out(&self) -> String {
        format!("sms.out.site.{}", self.site)
    }

    /// The durable consumer of this site's sends.
    pub fn site_consumer(&self) -> String {
        format!("site-{}", self.site)
    }

    /// This appliance's key in `sms_health`.
    pub fn health_key(&self) -> String {
        format!("{}.{}", self.site, self.device)
    }

    /// Where this appliance's received messages go.
    pub fn inbound(&self) -> String {
        format!("sms.in.{}.{}", self.site, self.device)
    }

    /// Where its events of `kind` go.
    pub fn event(&self, kind: &str) -> String {
        format!("sms.evt.{}.{}.{kind}", self.site, self.device)
    }

    /// Queues one of smsgate's events (`message.sent`, `message.delivered`, `message.failed`)
    /// for the hub inside `tx`; other kinds are not the fleet's.
    pub fn event_tx(
        &self,
        tx: &Tx<'_>,
        kind: &str,
        data: &Value,
        now: Timestamp,
    ) -> Result<(), store::Error> {
        let short = match kind {
            "message.sent" => "sent",
            "message.delivered" => "delivered",
            "message.failed" => "failed",
            _ => return Ok(()),
        };
        let mut data = data.clone();
        if let Some(id) = data.get("id").and_then(Value::as_str)
            && let Some((msg_id, state)) = tx.fleet_send_of(id)?
        {
            // Only the appliance that owns a fleet send reports on it (another's held copy
            // may expire here), and with the id the central app gave it.
            if state != store::FleetSendState::Claimed {
                return Ok(());
            }
            data["msg_id"] = Value::String(msg_id);
        }
        self.queue(tx, &self.event(short), kind, &data, now)
    }

    /// Queues a received message (`sms.in...`) and its `received` event inside `tx`.
    pub fn inbound_tx(
        &self,
        tx: &Tx<'_>,
        data: &Value,
        now: Timestamp,
    ) -> Result<(), store::Error> {
        self.queue(tx, &self.inbound(), "message.received", data, now)?;
        self.queue(tx, &self.event("received"), "message.received", data, now)
    }

    fn queue(
        &self,
        tx: &Tx<'_>,
        subject: &str,
        kind: &str,
        data: &Value,
        now: Timestamp,
    ) -> Result<(), store::Error> {
        let payload = json!({
            "site": self.site, "device": self.device, "type": kind,
            "time": now.to_string(), "data": data,
        });
        tx.fleet_publish(subject, &payload.to_string(), now)
    }
}

pub use crate::fault::fault;

/// A send's key in `sms_claims`: its `Nats-Msg-Id` in URL-safe base64, since a client's id may
/// hold characters a key may not.
pub fn claim_key(msg_id: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(msg_id.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claim_keys_are_valid_kv_keys() {
        for id in ["order-42", "予約/1 2", "a.b", "", "=+/"] {
            let k = claim_key(id);
            assert!(
                k.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
                "{id}: {k}"
            );
        }
        assert_ne!(claim_key("a"), claim_key("b"));
    }
}
