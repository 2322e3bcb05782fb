//! The records the store takes and hands back. (Records holding timestamps are not `Serialize`:
//! the HTTP layer maps them to its own response types.)

use std::fmt;
use std::time::Duration;

use jiff::Timestamp;
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use serde::{Deserialize, Serialize};

/// The state of an outbound recipient, and (rolled up) of a message.
///
/// `queued -> sending -> sent -> delivered`, or `failed`, `expired`, `cancelled`, and `unknown` when
/// the PDU was written but no answer came (never resent blindly).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Waiting for its `send_at` / `next_attempt_at` and a modem.
    Queued,
    /// Claimed by the dispatcher; a modem is writing it.
    Sending,
    /// Every part was accepted by the network (`+CMGS`).
    Sent,
    /// Every part was reported delivered.
    Delivered,
    /// A permanent error, retries exhausted, or a failed status report.
    Failed,
    /// Its TTL ran out before it was sent.
    Expired,
    /// Cancelled while queued.
    Cancelled,
    /// A PDU was written but no answer came (or the service restarted meanwhile).
    Unknown,
}

impl State {
    /// Every state, in lifecycle order.
    pub const ALL: [State; 8] = [
        State::Queued,
        State::Sending,
        State::Sent,
        State::Delivered,
        State::Failed,
        State::Expired,
        State::Cancelled,
        State::Unknown,
    ];

    /// The lowercase name used in the database and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Queued => "queued",
            State::Sending => "sending",
            State::Sent => "sent",
            State::Delivered => "delivered",
            State::Failed => "failed",
            State::Expired => "expired",
            State::Cancelled => "cancelled",
            State::Unknown => "unknown",
        }
    }

    /// The state named `s`, if any.
    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// No further transition happens on its own (`unknown` waits for an operator, so it counts).
    pub fn is_final(self) -> bool {
        matches!(
            self,
            State::Delivered | State::Failed | State::Expired | State::Cancelled | State::Unknown
        )
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl ToSql for State {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.as_str()))
    }
}

impl FromSql for State {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let s = value.as_str()?;
        State::parse(s).ok_or_else(|| FromSqlError::Other(format!("unknown state {s:?}").into()))
    }
}

/// The state of one outbound part (one PDU).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PartState {
    /// Not yet accepted by the network.
    Pending,
    /// Accepted (`+CMGS: <mr>`), no final report yet.
    Sent,
    /// Reported delivered.
    Delivered,
    /// Reported failed.
    Failed,
}

impl PartState {
    /// The lowercase name used in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            PartState::Pending => "pending",
            PartState::Sent => "sent",
            PartState::Delivered => "delivered",
            PartState::Failed => "failed",
        }
    }

    /// The part state named `s`, if any.
    pub fn parse(s: &str) -> Option<PartState> {
        [
            PartState::Pending,
            PartState::Sent,
            PartState::Delivered,
            PartState::Failed,
        ]
        .into_iter()
        .find(|st| st.as_str() == s)
    }
}

impl ToSql for PartState {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.as_str()))
    }
}

impl FromSql for PartState {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let s = value.as_str()?;
        PartState::parse(s)
            .ok_or_else(|| FromSqlError::Other(format!("unknown part state {s:?}").into()))
    }
}

/// Where an outbound message came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// `POST /api/v1/messages`: an application or a person.
    Api,
    /// A staff reply in a conversation.
    Reply,
    /// A rule's reply, an acknowledgement or an opt-out confirmation.
    Auto,
    /// Part of a bulk campaign.
    Bulk,
}

impl Origin {
    /// The lowercase name used in the database and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Api => "api",
            Origin::Reply => "reply",
            Origin::Auto => "auto",
            Origin::Bulk => "bulk",
        }
    }

    /// The inverse of [`as_str`](Self::as_str).
    pub fn parse(s: &str) -> Option<Origin> {
        [Origin::Api, Origin::Reply, Origin::Auto, Origin::Bulk]
            .into_iter()
            .find(|o| o.as_str() == s)
    }

    /// The priority a message of this origin is queued with unless the caller chose one:
    /// support replies and acknowledgements ahead of ordinary sends, campaigns behind them, so a
    /// bulk send never starves the support line (the dispatcher claims by priority, then age).
    pub fn default_priority(self) -> i32 {
        match self {
            Origin::Reply | Origin::Auto => 10,
            Origin::Api => 0,
            Origin::Bulk => -10,
        }
    }

    /// A person's message: it answers a customer (first-response time).
    pub fn is_human(self) -> bool {
        matches!(self, Origin::Api | Origin::Reply)
    }
}

impl ToSql for Origin {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.as_str()))
    }
}

impl FromSql for Origin {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let s = value.as_str()?;
        Origin::parse(s).ok_or_else(|| FromSqlError::Other(format!("unknown origin {s:?}").into()))
    }
}

/// A message to enqueue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    /// Client-supplied idempotency key: the same key with the same request returns the existing
    /// message; with a different request it is a [`Error::Conflict`](super::Error::Conflict).
    pub idempotency_key: Option<String>,
    /// Recipient numbers, as the caller normalised them; at least one.
    pub recipients: Vec<String>,
    /// The text.
    pub body: String,
    /// Higher is more urgent.
    pub priority: i32,
    /// Not before this time; `None`: now.
    pub send_at: Option<Timestamp>,
    /// Expires this long after `send_at` (or after acceptance when `send_at` is `None`).
    pub ttl: Option<Duration>,
    /// Attempts before a temporary error becomes `failed`; at least 1.
    pub max_attempts: u32,
    /// Send only through this modem.
    pub modem: Option<String>,
    /// The API token that created it (not part of the idempotency comparison).
    pub created_by: Option<String>,
    /// Ask the network for status reports (TP-SRR).
    pub status_report: bool,
    /// Where it came from (reports count only a person's messages as responses).
    pub origin: Origin,
    /// Sent even to an opted-out number when the config allows it (receipts, alerts).
    pub transactional: bool,
    /// The bulk campaign it belongs to.
    pub campaign: Option<String>,
    /// Sent as UCS-2 even when GSM 7-bit would do (Kannel's `coding=2`).
    pub ucs2: bool,
}

impl NewMessage {
    /// A message with default priority 0, no delay, no TTL and 5 attempts.
    pub fn new(recipients: Vec<String>, body: impl Into<String>) -> Self {
        NewMessage {
            idempotency_key: None,
            recipients,
            body: body.into(),
            priority: 0,
            send_at: None,
            ttl: None,
            max_attempts: 5,
            modem: None,
            created_by: None,
            status_report: true,
            origin: Origin::Api,
            transactional: false,
            campaign: None,
            ucs2: false,
        }
    }

    /// The canonical form compared on an idempotent retry: everything the client chose.
    pub(crate) fn fingerprint(&self) -> String {
        let mut f = serde_json::json!({
            "recipients": self.recipients,
            "body": self.body,
            "priority": self.priority,
            "send_at": self.send_at.map(|t| t.as_millisecond()),
            "ttl_ms": self.ttl.map(|d| d.as_millis().to_string()),
            "max_attempts": self.max_attempts,
            "modem": self.modem,
            "status_report": self.status_report,
            "transactional": self.transactional,
        });
        // Only when set, so that the fingerprints stored before it existed still match.
        if self.ucs2 {
            f["ucs2"] = serde_json::Value::Bool(true);
        }
        f.to_string()
    }
}

/// A stored outbound message with its recipients and their parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRecord {
    /// Public id, `msg_...`.
    pub id: String,
    /// The client's idempotency key, if it gave one.
    pub idempotency_key: Option<String>,
    /// The text.
    pub body: String,
    /// Higher is more urgent.
    pub priority: i32,
    /// Not before this time.
    pub send_at: Timestamp,
    /// Expires at this time.
    pub expires_at: Option<Timestamp>,
    /// Attempts before a temporary error becomes `failed`.
    pub max_attempts: u32,
    /// Pinned modem.
    pub modem: Option<String>,
    /// The API token that created it.
    pub created_by: Option<String>,
    /// Rolled up from the recipients (see [`rollup`](fn@super::rollup)).
    pub state: State,
    /// Where it came from.
    pub origin: Origin,
    /// Allowed to an opted-out number.
    pub transactional: bool,
    /// The bulk campaign it belongs to.
    pub campaign: Option<String>,
    /// Accepted at.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
    /// In the order given.
    pub recipients: Vec<RecipientRecord>,
}

/// What [`Tx::enqueue_or_get`](super::Tx::enqueue_or_get) did with a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Enqueued {
    /// This call created it.
    New(MessageRecord),
    /// Its idempotency key already named this message, created earlier from the same request.
    Existing(MessageRecord),
}

impl Enqueued {
    /// The message, created now or earlier.
    pub fn record(&self) -> &MessageRecord {
        match self {
            Enqueued::New(m) | Enqueued::Existing(m) => m,
        }
    }

    /// The message, created now or earlier.
    pub fn into_record(self) -> MessageRecord {
        match self {
            Enqueued::New(m) | Enqueued::Existing(m) => m,
        }
    }
}

/// One recipient of an outbound message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipientRecord {
    /// Row id.
    pub id: i64,
    /// Position in the request, from 0.
    pub index: u32,
    /// The number.
    pub number: String,
    /// Where it is.
    pub state: State,
    /// Attempts started so far.
    pub attempts: u32,
    /// Not before this time (when queued).
    pub next_attempt_at: Timestamp,
    /// Modem of the last attempt.
    pub modem: Option<String>,
    /// Last error.
    pub error: Option<String>,
    /// When every part was accepted.
    pub sent_at: Option<Timestamp>,
    /// When every part was reported delivered.
    pub delivered_at: Option<Timestamp>,
    /// The PDUs, once the dispatcher segmented the text.
    pub parts: Vec<PartRecord>,
}

/// One outbound PDU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartRecord {
    /// Row id.
    pub id: i64,
    /// The recipient it belongs to.
    pub recipient_id: i64,
    /// 1-based.
    pub seq: u8,
    /// Parts of the recipient's message.
    pub total: u8,
    /// The PDU as the modem takes it.
    pub pdu_hex: String,
    /// Where it is.
    pub state: PartState,
    /// TP-MR from `+CMGS`.
    pub mr: Option<u8>,
    /// Modem that sent it.
    pub modem: Option<String>,
    /// Accepted at.
    pub sent_at: Option<Timestamp>,
    /// Final report received at.
    pub report_at: Option<Timestamp>,
    /// TP-ST of the matched report.
    pub status: Option<u8>,
}

/// A part to attach to a recipient (the caller segments and encodes; the store keeps the hex).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPart {
    /// 1-based.
    pub seq: u8,
    /// Parts in all.
    pub total: u8,
    /// The PDU as the modem takes it.
    pub pdu_hex: String,
}

/// A recipient claimed for sending by [`Store::claim_due`](super::Store::claim_due).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DispatchJob {
    /// The message.
    pub message_id: String,
    /// The recipient row, for the `record_*` calls.
    pub recipient_id: i64,
    /// The number.
    pub number: String,
    /// The text.
    pub body: String,
    /// Higher is more urgent.
    pub priority: i32,
    /// This attempt, from 1.
    pub attempt: u32,
    /// Attempts allowed.
    pub max_attempts: u32,
    /// Pinned modem.
    pub modem: Option<String>,
    /// Expires at this time.
    pub expires_at: Option<Timestamp>,
    /// Ask for status reports (TP-SRR).
    pub status_report: bool,
    /// UCS-2 even when GSM 7-bit would do.
    pub ucs2: bool,
    /// Parts stored by an earlier attempt; the `pending` ones are to be sent again as they are,
    /// the `sent` ones must not be. Empty on the first attempt: segment and call
    /// [`Store::add_parts`](super::Store::add_parts).
    pub parts: Vec<PartRecord>,
}

/// How a send attempt failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailureClass {
    /// Will never succeed: the recipient becomes `failed`.
    Permanent,
    /// May succeed later: requeued at `next_attempt_at` while attempts remain.
    Temporary,
    /// The PDU may have gone out: the recipient becomes `unknown` and is not resent.
    Unknown,
    /// The modem, not the message, was at fault (it hung, was unplugged, is
    /// recovering) and nothing was sent: back to the queue at
    /// `next_attempt_at` without counting the attempt, for any ready modem.
    Device,
}

/// Which messages [`Store::list_messages`](super::Store::list_messages) returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageFilter {
    /// Only messages in this rolled-up state.
    pub state: Option<State>,
    /// Only messages created by this token.
    pub created_by: Option<String>,
    /// Only messages with a recipient of this number (as stored).
    pub to: Option<String>,
    /// Only messages created at or after this time.
    pub since: Option<Timestamp>,
}

/// Which messages [`Store::list_inbound`](super::Store::list_inbound) returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InboundFilter {
    /// Only messages from this sender (as stored).
    pub from: Option<String>,
    /// Only messages completed at or after this time.
    pub since: Option<Timestamp>,
}

/// One page of a keyset-paginated listing, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// Pass this as the cursor for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// A received part, decoded by the caller (the store knows nothing of SMS encodings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInboundPart {
    /// The modem it was read from.
    pub modem: String,
    /// The originating address.
    pub sender: String,
    /// Concatenation reference (0 for a single-part message).
    pub reference: u16,
    /// Parts in all (1 for a single-part message).
    pub total: u8,
    /// 1-based.
    pub seq: u8,
    /// The PDU as read from the modem.
    pub pdu_hex: String,
    /// This part's decoded text.
    pub text: String,
    /// The service centre time stamp.
    pub smsc_at: Option<Timestamp>,
}

/// A reassembled inbound message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundMessage {
    /// Public id, `in_...`.
    pub id: String,
    /// The modem it arrived on.
    pub modem: String,
    /// The originating address.
    pub sender: String,
    /// Concatenation reference.
    pub reference: u16,
    /// Parts announced.
    pub total: u8,
    /// Parts that arrived.
    pub parts: u8,
    /// `false` when delivered after a timeout with parts missing.
    pub complete: bool,
    /// The parts' texts in order.
    pub text: String,
    /// Service centre time stamp of the first part.
    pub smsc_at: Option<Timestamp>,
    /// When its first part was stored.
    pub first_received_at: Timestamp,
    /// When it was assembled.
    pub completed_at: Timestamp,
    /// When [`Store::finish_inbound`](super::Store::finish_inbound) recorded its processing.
    pub processed_at: Option<Timestamp>,
}

/// What [`Store::insert_inbound_part`](super::Store::insert_inbound_part) did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InboundOutcome {
    /// The same part (same modem, sender, reference, total, sequence and PDU) was already stored.
    Duplicate,
    /// Stored; the message waits for more parts.
    Stored,
    /// Stored, and it completed this message.
    Completed(InboundMessage),
}

/// What a status report says, as the caller classified its TP-ST.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReportOutcome {
    /// The short message was delivered.
    Delivered,
    /// The service centre is still trying; nothing changes.
    Pending,
    /// The service centre gave up.
    Failed,
}

impl ReportOutcome {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ReportOutcome::Delivered => "delivered",
            ReportOutcome::Pending => "pending",
            ReportOutcome::Failed => "failed",
        }
    }
}

/// A received status report (`+CDS`), decoded by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewStatusReport {
    /// The modem it arrived on.
    pub modem: String,
    /// TP-MR of the part it reports on.
    pub mr: u8,
    /// TP-RA, normalised like the recipient numbers.
    pub recipient: String,
    /// TP-ST.
    pub status: u8,
    /// What TP-ST means.
    pub outcome: ReportOutcome,
    /// The PDU as read.
    pub pdu_hex: String,
    /// TP-DT.
    pub discharge_at: Option<Timestamp>,
}

/// What a status report was matched to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportMatch {
    /// The stored report.
    pub report_id: i64,
    /// The part it matched, if any.
    pub matched: Option<MatchedPart>,
}

/// A recipient that was `sending` when the service stopped, made `unknown` at open: whether
/// the modem sent it is not known, so it is never resent blindly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interrupted {
    pub message_id: String,
    pub recipient_id: i64,
    pub number: String,
}

/// The error recorded on an [`Interrupted`] recipient.
pub const INTERRUPTED: &str = "interrupted while sending (restart)";

/// The part a report matched and the states after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchedPart {
    /// The message.
    pub message_id: String,
    /// The recipient.
    pub recipient_id: i64,
    /// The part.
    pub part_id: i64,
    /// The part's state now.
    pub part_state: PartState,
    /// The recipient's state now.
    pub recipient_state: State,
    /// The message's rolled-up state now.
    pub message_state: State,
    /// This report moved the recipient from `sent` to its outcome (delivered or failed).
    pub settled: bool,
}

/// A webhook delivery to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    /// Which configured endpoint.
    pub endpoint: String,
    /// Event type, e.g. `message.received`.
    pub kind: String,
    /// JSON payload.
    pub payload: String,
}

/// A webhook delivery waiting in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEvent {
    /// Row id.
    pub id: i64,
    /// Which configured endpoint.
    pub endpoint: String,
    /// Event type, e.g. `message.delivered`.
    pub kind: String,
    /// JSON payload.
    pub payload: String,
    /// Attempts so far.
    pub attempts: u32,
    /// Due at.
    pub next_attempt_at: Timestamp,
    /// Last error.
    pub last_error: Option<String>,
    /// Enqueued at.
    pub created_at: Timestamp,
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Row id.
    pub id: i64,
    /// When.
    pub at: Timestamp,
    /// Which token.
    pub token: String,
    /// What, e.g. `message.create`.
    pub action: String,
    /// On what, e.g. a message id.
    pub target: Option<String>,
}
