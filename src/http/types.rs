//! The API's request and response bodies (the JSON contract; each derives its OpenAPI schema).
//! Times are RFC 3339 strings in UTC.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::gateway::process::Content;
use crate::modem::{ModemState, ModemStatus};
use crate::store::{InboundMessage, MessageRecord, PartRecord, RecipientRecord};

/// A request's `text` and `template` fields as what the message says: exactly one must be given
/// (422 `invalid_body` otherwise).
pub(crate) fn content_from(
    text: Option<String>,
    template: Option<String>,
) -> Result<Content, super::ApiError> {
    match (text, template) {
        (Some(t), None) => Ok(Content::Text(t)),
        (None, Some(n)) => Ok(Content::Template(n)),
        _ => Err(super::ApiError::invalid(
            "invalid_body",
            "give exactly one of \"text\" and \"template\"",
        )),
    }
}

/// One number or several.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum Recipients {
    /// A single recipient.
    One(String),
    /// Several recipients (1 to 1000).
    Many(Vec<String>),
}

/// `POST /api/v1/messages`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendRequest {
    /// `+` and digits for an international number, or digits alone for a national number or
    /// short code; spaces, dashes, parentheses and full-width digits are accepted. With
    /// `[support] country`, a national number (`090-1234-5678`) is stored in E.164.
    #[schema(example = json!("+819012345678"))]
    pub to: Recipients,
    /// The text; split into as many parts as needed, up to `queue.max_parts`.
    #[schema(example = "Your code is 123456")]
    pub text: String,
    /// Client id for idempotency: the same id with the same request returns the same message;
    /// with a different request it is a 409.
    pub id: Option<String>,
    /// Not before this time (RFC 3339).
    #[schema(example = "2026-11-24T09:00:00+09:00")]
    pub send_at: Option<String>,
    /// Seconds until it expires unsent, counted from `send_at` (default `queue.default_ttl`).
    pub ttl: Option<u64>,
    /// Higher is more urgent (default 0).
    pub priority: Option<i32>,
    /// Ask the network for delivery reports (default true). Accepted but not yet stored: the
    /// dispatcher always asks for them.
    pub status_report: Option<bool>,
    /// Send only through this modem.
    pub modem: Option<String>,
    /// A transactional message (a receipt, an alert the customer asked for): sent even to a
    /// number that opted out, when `support.allow_transactional_to_opted_out` is true.
    pub transactional: Option<bool>,
}

/// One outbound PDU of a recipient.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PartView {
    /// 1-based.
    pub seq: u8,
    /// Parts in all.
    pub total: u8,
    /// `pending`, `sent`, `delivered` or `failed`.
    pub state: String,
    /// TP-MR the network gave the part (`+CMGS`).
    pub mr: Option<u8>,
    /// Modem that sent it.
    pub modem: Option<String>,
    /// Accepted by the network at.
    pub sent_at: Option<String>,
    /// Final status report at.
    pub report_at: Option<String>,
    /// TP-ST of the status report.
    pub status: Option<u8>,
}

/// One recipient of an outbound message.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RecipientView {
    /// The number, normalised.
    pub to: String,
    /// `queued`, `sending`, `sent`, `delivered`, `failed`, `expired`, `cancelled` or `unknown`.
    pub state: String,
    /// Attempts started so far.
    pub attempts: u32,
    /// Modem of the last attempt.
    pub modem: Option<String>,
    /// Last error.
    pub error: Option<String>,
    /// Every part accepted by the network at.
    pub sent_at: Option<String>,
    /// Every part reported delivered at.
    pub delivered_at: Option<String>,
    /// The PDUs (empty until the dispatcher segments the text).
    pub parts: Vec<PartView>,
}

/// An outbound message.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MessageView {
    /// Public id, `msg_...`.
    #[schema(example = "msg_0192f3a4b5c6d7e8f9a0b1c2d3e4")]
    pub id: String,
    /// Always `out`.
    pub direction: String,
    /// The client's idempotency id.
    pub client_id: Option<String>,
    /// Rolled up from the recipients: `delivered` only when every recipient is.
    pub state: String,
    /// The text.
    pub text: String,
    /// `gsm7` or `ucs2`.
    pub encoding: String,
    /// Parts per recipient.
    pub parts: usize,
    /// Higher is more urgent.
    pub priority: i32,
    /// Pinned modem.
    pub modem: Option<String>,
    /// The token name that created it (`local` without tokens).
    pub created_by: Option<String>,
    /// Not before.
    pub send_at: String,
    /// Expires unsent at.
    pub expires_at: Option<String>,
    /// Accepted (committed) at.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
    /// When the last recipient was sent, once all are.
    pub sent_at: Option<String>,
    /// When the last recipient was delivered, once all are.
    pub delivered_at: Option<String>,
    /// In the order given.
    pub recipients: Vec<RecipientView>,
}

/// An inbound message.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InboundView {
    /// Public id, `in_...`.
    pub id: String,
    /// Always `in`.
    pub direction: String,
    /// The sender.
    pub from: String,
    /// The reassembled text.
    pub text: String,
    /// When the last part arrived (the message was assembled).
    pub received_at: String,
    /// When the first part arrived.
    pub first_received_at: String,
    /// Service centre time stamp of the first part.
    pub smsc_at: Option<String>,
    /// The modem it arrived on.
    pub modem: String,
    /// Parts that arrived.
    pub parts: u8,
    /// Parts announced.
    pub total: u8,
    /// `false` when delivered after a timeout with parts missing.
    pub complete: bool,
}

/// An item of a listing.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(untagged)]
pub enum ListItem {
    /// `direction=out`.
    Out(MessageView),
    /// `direction=in`.
    In(InboundView),
}

/// `GET /api/v1/messages`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ListResponse {
    /// Newest first.
    pub items: Vec<ListItem>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    pub next_cursor: Option<String>,
}

/// Query of `GET /api/v1/messages`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// `out` (default) or `in`.
    pub direction: Option<String>,
    /// Outbound only: the rolled-up state.
    pub state: Option<String>,
    /// Outbound only: messages with this recipient.
    pub to: Option<String>,
    /// Inbound only: messages from this sender.
    pub from: Option<String>,
    /// Only messages created (outbound) or received (inbound) at or after this RFC 3339 time.
    pub since: Option<String>,
    /// Page size, 1..=500 (default 50).
    pub limit: Option<usize>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// `GET /api/v1/modems` items.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ModemView {
    /// Configured name.
    pub name: String,
    /// Serial device.
    pub device: String,
    /// `starting`, `ready`, `recovering` or `failed`.
    pub state: String,
    /// Signal strength in dBm, when known.
    pub signal: Option<i16>,
    /// `+CSQ` rssi 0..=31, when known.
    pub rssi: Option<u8>,
    /// Network operator.
    pub operator: Option<String>,
    /// Registered on a network.
    pub registered: bool,
    /// IMEI, once identified.
    pub imei: Option<String>,
    /// Manufacturer, once identified.
    pub manufacturer: Option<String>,
    /// Model, once identified.
    pub model: Option<String>,
    /// Parts sent since start.
    pub sent: u64,
    /// Parts received since start.
    pub received: u64,
    /// Errors since start.
    pub errors: u64,
    /// The last error.
    pub last_error: Option<String>,
}

/// `GET /health`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HealthView {
    /// `ok` or `unavailable`.
    pub status: String,
    /// `ok`, or why the store cannot take writes.
    pub store: String,
    /// Modems in state `ready`.
    pub modems_ready: usize,
    /// Modems known.
    pub modems_total: usize,
    /// Why it is unavailable (empty when ok).
    pub reasons: Vec<String>,
}

/// RFC 3339 in UTC with millisecond precision at most.
pub fn time(t: Timestamp) -> String {
    t.to_string()
}

fn opt_time(t: Option<Timestamp>) -> Option<String> {
    t.map(time)
}

/// The modem state's API name.
pub fn modem_state(s: ModemState) -> &'static str {
    match s {
        ModemState::Starting => "starting",
        ModemState::Ready => "ready",
        ModemState::Recovering => "recovering",
        ModemState::Failed => "failed",
    }
}

impl From<&PartRecord> for PartView {
    fn from(p: &PartRecord) -> Self {
        PartView {
            seq: p.seq,
            total: p.total,
            state: p.state.as_str().to_owned(),
            mr: p.mr,
            modem: p.modem.clone(),
            sent_at: opt_time(p.sent_at),
            report_at: opt_time(p.report_at),
            status: p.status,
        }
    }
}

impl From<&RecipientRecord> for RecipientView {
    fn from(r: &RecipientRecord) -> Self {
        RecipientView {
            to: r.number.clone(),
            state: r.state.as_str().to_owned(),
            attempts: r.attempts,
            modem: r.modem.clone(),
            error: r.error.clone(),
            sent_at: opt_time(r.sent_at),
            delivered_at: opt_time(r.delivered_at),
            parts: r.parts.iter().map(PartView::from).collect(),
        }
    }
}

/// The latest of every recipient's time, or `None` while one has none.
fn all_at(
    recipients: &[RecipientRecord],
    f: impl Fn(&RecipientRecord) -> Option<Timestamp>,
) -> Option<Timestamp> {
    recipients
        .iter()
        .map(f)
        .try_fold(None::<Timestamp>, |acc, t| {
            t.map(|t| Some(acc.map_or(t, |a| a.max(t))))
        })
        .flatten()
}

impl MessageView {
    /// The view of a stored message; `encoding` and `parts` come from the segmentation plan.
    pub fn new(m: &MessageRecord, encoding: &str, parts: usize) -> Self {
        MessageView {
            id: m.id.clone(),
            direction: "out".to_owned(),
            client_id: m.idempotency_key.clone(),
            state: m.state.as_str().to_owned(),
            text: m.body.clone(),
            encoding: encoding.to_owned(),
            parts,
            priority: m.priority,
            modem: m.modem.clone(),
            created_by: m.created_by.clone(),
            send_at: time(m.send_at),
            expires_at: opt_time(m.expires_at),
            created_at: time(m.created_at),
            updated_at: time(m.updated_at),
            sent_at: opt_time(all_at(&m.recipients, |r| r.sent_at)),
            delivered_at: opt_time(all_at(&m.recipients, |r| r.delivered_at)),
            recipients: m.recipients.iter().map(RecipientView::from).collect(),
        }
    }
}

impl From<&InboundMessage> for InboundView {
    fn from(m: &InboundMessage) -> Self {
        InboundView {
            id: m.id.clone(),
            direction: "in".to_owned(),
            from: m.sender.clone(),
            text: m.text.clone(),
            received_at: time(m.completed_at),
            first_received_at: time(m.first_received_at),
            smsc_at: opt_time(m.smsc_at),
            modem: m.modem.clone(),
            parts: m.parts,
            total: m.total,
            complete: m.complete,
        }
    }
}

impl From<&ModemStatus> for ModemView {
    fn from(s: &ModemStatus) -> Self {
        let id = s.identity.as_ref();
        ModemView {
            name: s.name.clone(),
            device: s.device.clone(),
            state: modem_state(s.state).to_owned(),
            signal: s.health.signal_dbm,
            rssi: s.health.rssi,
            operator: s.health.operator.clone(),
            registered: s.health.registered,
            imei: id.map(|i| i.imei.clone()),
            manufacturer: id.map(|i| i.manufacturer.clone()),
            model: id.map(|i| i.model.clone()),
            sent: s.sent,
            received: s.received,
            errors: s.errors,
            last_error: s.last_error.clone(),
        }
    }
}
