//! Webhooks: signed, retried, persisted outgoing events.
//!
//! # Events
//!
//! An event is a JSON object built by [`event`]:
//!
//! ```json
//! {"id": "evt_018bcfe568000a1b2c3d4e5f60718293", "type": "message.received",
//!  "time": "2023-11-14T22:13:20Z", "data": {"...": "..."}}
//! ```
//!
//! Its `type` is one of [`crate::config::EVENTS`]: `message.received`, `message.sent`,
//! `message.delivered`, `message.failed`, `modem.state`.
//!
//! # Publishing
//!
//! [`publish`] (or [`publish_tx`] inside a [`Store::atomically`] transaction, beside the state
//! change the event reports) builds the event once and queues one outbox row per configured
//! endpoint (URL) subscribed to its type. The row holds the serialized event, so every attempt,
//! including those after a restart, sends the same bytes with the same event id. Publishing only
//! writes rows: it never waits on a receiver, so a slow receiver never slows receiving SMS.
//!
//! # Delivery
//!
//! The [`Deliverer`] is its own task. It reads due rows, POSTs each to its endpoint (several at
//! once, up to a small limit; no ordering per endpoint), and records the result: a `2xx` answer
//! marks the row delivered; any other status, a connection error or a timeout (10 s by default)
//! schedules a retry with exponential backoff and jitter ([`Retry`]: 5 s doubling to 1 h, giving
//! up after about a day of attempts with the last error kept in the row). Delivery is
//! *at least once*: a receiver should deduplicate on `X-Smsgate-Delivery`.
//!
//! # Request and signature
//!
//! ```text
//! POST <url>
//! Content-Type: application/json
//! X-Smsgate-Event: message.received            (the event type)
//! X-Smsgate-Delivery: evt_...                   (the event id, the same on every retry)
//! X-Smsgate-Timestamp: 1700000000               (Unix seconds when this attempt was made)
//! X-Smsgate-Signature: sha256=<64 hex digits>   (only when the endpoint has a secret)
//!
//! <the event JSON>
//! ```
//!
//! The signature is `hex(HMAC-SHA256(secret, "<timestamp>.<body>"))` where `<timestamp>` is the
//! `X-Smsgate-Timestamp` header exactly as sent and `<body>` the raw request body bytes. A
//! receiver recomputes it over the bytes it received (before any JSON parsing), compares in
//! constant time ([`verify`] does both), and should reject timestamps far from its own clock
//! (say more than 5 minutes) to stop replays.
//!
//! Only `http://` URLs are delivered for now; `https://` endpoints fail with
//! [`Error::UnsupportedScheme`] (and are retried) until a TLS connector is added in `client.rs`.

mod backoff;
pub mod calls;
mod client;
mod deliverer;

use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use jiff::Timestamp;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::config::{EVENTS, Webhook};
use crate::store::{NewEvent, Store, Tx};

pub use backoff::Retry;
pub use deliverer::{
    CompatDelivery, Deliverer, Delivery, Options, Outcome, QueueReply, Replies, app_signature,
};

/// Header carrying the event type.
pub const HEADER_EVENT: &str = "x-smsgate-event";
/// Header carrying the event id (the same on every attempt).
pub const HEADER_DELIVERY: &str = "x-smsgate-delivery";
/// Header carrying the Unix time (seconds) of the attempt; part of the signed text.
pub const HEADER_TIMESTAMP: &str = "x-smsgate-timestamp";
/// Header carrying `sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`.
pub const HEADER_SIGNATURE: &str = "x-smsgate-signature";

/// Everything that can go wrong in the webhook layer.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The outbox could not be read or written.
    #[error("store: {0}")]
    Store(#[from] crate::store::Error),
    /// An event type that is not in [`crate::config::EVENTS`].
    #[error("unknown event type {0:?}")]
    UnknownEvent(String),
    /// A stored payload that is not an event object.
    #[error("bad payload: {0}")]
    Payload(String),
    /// The endpoint URL cannot be used.
    #[error("bad URL {url:?}: {reason}")]
    Url {
        /// The URL.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A scheme this build cannot deliver to yet (`https`).
    #[error("{0}:// endpoints are not supported yet")]
    UnsupportedScheme(String),
    /// The row's endpoint is no longer in the configuration.
    #[error("endpoint {0:?} is no longer configured")]
    EndpointGone(String),
    /// The TCP connection could not be made.
    #[error("cannot connect to {addr}: {source}")]
    Connect {
        /// `host:port`.
        addr: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The HTTP exchange failed (connection reset, malformed answer, ...).
    #[error("http: {0}")]
    Http(#[from] hyper::Error),
    /// The receiver answered with a status other than 2xx.
    #[error("HTTP {status}: {body}")]
    Status {
        /// The status code.
        status: u16,
        /// The start of the answer's body.
        body: String,
    },
    /// No complete answer within the timeout.
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    /// A delivery task panicked or was cancelled.
    #[error("delivery task: {0}")]
    Task(String),
}

type HmacSha256 = Hmac<Sha256>;

/// A fresh event id: `evt_`, the time in milliseconds (12 hex digits, so ids sort by time) and
/// 64 random bits.
pub(crate) fn new_event_id(now: Timestamp) -> String {
    let ms = now.as_millisecond().max(0) as u64 & 0xffff_ffff_ffff;
    format!("evt_{ms:012x}{:016x}", crate::random::u64())
}

/// Builds the event object `{"id", "type", "time", "data"}` with a new id; `time` is `now` in
/// RFC 3339 (UTC).
pub fn event(kind: &str, data: Value, now: Timestamp) -> Value {
    json!({
        "id": new_event_id(now),
        "type": kind,
        "time": now.to_string(),
        "data": data,
    })
}

/// The outbox rows for `event` (built by [`event`]): one per distinct endpoint URL subscribed
/// to `kind`. Pure.
pub fn rows_for(webhooks: &[Webhook], kind: &str, event: &Value) -> Result<Vec<NewEvent>, Error> {
    if !EVENTS.contains(&kind) {
        return Err(Error::UnknownEvent(kind.to_owned()));
    }
    let payload = event.to_string();
    let mut rows: Vec<NewEvent> = Vec::new();
    for w in webhooks {
        let url = w.url.get_ref();
        let subscribed = w.events.get_ref().iter().any(|e| e == kind);
        if subscribed && !rows.iter().any(|r| &r.endpoint == url) {
            rows.push(NewEvent {
                endpoint: url.clone(),
                kind: kind.to_owned(),
                payload: payload.clone(),
            });
        }
    }
    Ok(rows)
}

/// Queues `kind` with `data` for every subscribed endpoint inside a store transaction (so the
/// event commits with the change it reports). Returns the event id; an event nobody subscribes
/// to queues nothing. Its error is the store's, to compose inside [`Store::atomically`]: an
/// unknown event type is [`crate::store::Error::Invalid`].
pub fn publish_tx(
    tx: &Tx<'_>,
    webhooks: &[Webhook],
    kind: &str,
    data: Value,
    now: Timestamp,
) -> Result<String, crate::store::Error> {
    let ev = event(kind, data, now);
    let rows =
        rows_for(webhooks, kind, &ev).map_err(|e| crate::store::Error::Invalid(e.to_string()))?;
    for row in rows {
        tx.enqueue_event(&row, now)?;
    }
    Ok(event_id(&ev))
}

/// Queues `kind` with `data` for every subscribed endpoint, all rows in one transaction; resolves
/// after the commit. Returns the event id. Wake the [`Deliverer`] afterwards.
pub async fn publish(
    store: &Store,
    webhooks: &[Webhook],
    kind: &str,
    data: Value,
    now: Timestamp,
) -> Result<String, Error> {
    let ev = event(kind, data, now);
    let rows = rows_for(webhooks, kind, &ev)?;
    if !rows.is_empty() {
        store
            .atomically(move |tx| {
                for row in &rows {
                    tx.enqueue_event(row, now)?;
                }
                Ok(())
            })
            .await?;
    }
    Ok(event_id(&ev))
}

fn event_id(ev: &Value) -> String {
    ev["id"].as_str().unwrap_or_default().to_owned()
}

/// The `X-Smsgate-Signature` value: `sha256=` and the hex HMAC-SHA256 of `"<timestamp>.<body>"`
/// keyed with `secret`.
pub fn sign(secret: &[u8], timestamp: &str, body: &[u8]) -> String {
    // HMAC takes a key of any length (longer ones are hashed first, RFC 2104 §2): `mac` is
    // always Some, and an empty signature would fail every check rather than panic.
    mac(secret, timestamp, body).map_or_else(String::new, |m| {
        format!("sha256={}", hex::encode(m.finalize().into_bytes()))
    })
}

/// Whether `header` (an `X-Smsgate-Signature` value) is the signature of `timestamp` and `body`
/// under `secret`. The comparison is constant-time. It does not judge the timestamp's age:
/// receivers should also reject timestamps far from their clock.
///
/// ```
/// use smsgate::webhook::{sign, verify};
///
/// let body = br#"{"id":"evt_1","type":"modem.state","time":"2023-11-14T22:13:20Z","data":{}}"#;
/// let header = sign(b"s3cret", "1700000000", body); // what smsgate sends
/// assert!(verify(b"s3cret", "1700000000", body, &header)); // what a receiver checks
/// assert!(!verify(b"s3cret", "1700000001", body, &header));
/// ```
pub fn verify(secret: &[u8], timestamp: &str, body: &[u8], header: &str) -> bool {
    let Some(hex_code) = header.trim().strip_prefix("sha256=") else {
        return false;
    };
    let Ok(code) = hex::decode(hex_code) else {
        return false;
    };
    mac(secret, timestamp, body).is_some_and(|m| m.verify_slice(&code).is_ok())
}

fn mac(secret: &[u8], timestamp: &str, body: &[u8]) -> Option<HmacSha256> {
    mac_over(secret, &[timestamp.as_bytes(), b".", body])
}

/// HMAC-SHA256 keyed with `key` over `parts` one after the other. `None` never happens in
/// practice: HMAC takes a key of any length (RFC 2104 §2).
pub(crate) fn mac_over(key: &[u8], parts: &[&[u8]]) -> Option<HmacSha256> {
    let mut mac = HmacSha256::new_from_slice(key).ok()?;
    for p in parts {
        mac.update(p);
    }
    Some(mac)
}

#[cfg(test)]
mod tests {
    use super::*;
    use toml::Spanned;

    fn hook(url: &str, events: &[&str]) -> Webhook {
        Webhook {
            url: Spanned::new(0..0, url.to_owned()),
            events: Spanned::new(0..0, events.iter().map(|e| e.to_string()).collect()),
            secret: None,
        }
    }

    #[test]
    fn event_shape() {
        let now = Timestamp::from_second(1_700_000_000).unwrap();
        let ev = event("modem.state", json!({"modem": "m1", "state": "ready"}), now);
        let id = ev["id"].as_str().unwrap();
        assert!(id.starts_with("evt_") && id.len() == 4 + 28, "{id}");
        assert_eq!(ev["type"], "modem.state");
        assert_eq!(ev["time"], "2023-11-14T22:13:20Z");
        assert_eq!(ev["data"]["state"], "ready");
        let other = event("modem.state", json!({}), now);
        assert_ne!(other["id"], ev["id"]);
    }

    #[test]
    fn rows_only_for_subscribers_once_per_url() {
        let hooks = [
            hook("http://a/", &["message.received", "message.sent"]),
            hook("http://b/", &["message.sent"]),
            hook("http://a/", &["message.received"]),
        ];
        let now = Timestamp::UNIX_EPOCH;
        let ev = event("message.received", json!({}), now);
        let rows = rows_for(&hooks, "message.received", &ev).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].endpoint, "http://a/");
        assert_eq!(rows[0].payload, ev.to_string());
        let ev = event("message.sent", json!({}), now);
        assert_eq!(rows_for(&hooks, "message.sent", &ev).unwrap().len(), 2);
        assert!(matches!(
            rows_for(&hooks, "message.lost", &ev),
            Err(Error::UnknownEvent(_))
        ));
    }

    #[test]
    fn sign_and_verify() {
        // RFC 4231 test case 2 ("Jefe"), with the text split as "<timestamp>.<body>".
        let sig = sign(b"Jefe", "what do ya want for nothing?", b"").replace("sha256=", "");
        assert_eq!(sig.len(), 64);
        let whole = {
            let mut m = HmacSha256::new_from_slice(b"Jefe").unwrap();
            m.update(b"what do ya want for nothing?.");
            hex::encode(m.finalize().into_bytes())
        };
        assert_eq!(sig, whole);

        let good = sign(b"k", "1700000000", b"{\"a\":1}");
        assert!(verify(b"k", "1700000000", b"{\"a\":1}", &good));
        assert!(!verify(b"k2", "1700000000", b"{\"a\":1}", &good));
        assert!(!verify(b"k", "1700000001", b"{\"a\":1}", &good));
        assert!(!verify(b"k", "1700000000", b"{\"a\":2}", &good));
        assert!(!verify(b"k", "1700000000", b"{\"a\":1}", &good[7..]));
        assert!(!verify(b"k", "1700000000", b"{\"a\":1}", "sha256=zz"));
        assert!(!verify(b"k", "1700000000", b"{\"a\":1}", "sha256="));
    }
}
