//! What the compatibility APIs deliver when a message changes state or arrives: SMS Gateway
//! for Android's webhooks (registered through its `/webhooks`) and Kannel's `dlr-url` and
//! `sms-service` calls. They are rows of the webhook outbox, queued in the transaction of the
//! change they report like smsgate's own events, and delivered and retried by the same
//! [`crate::webhook::Deliverer`]; their `kind` says how (see [`KIND_APP`], [`KIND_KANNEL_DLR`],
//! [`KIND_KANNEL_SERVICE`]).

use jiff::Timestamp;
use serde_json::{Value, json};

use super::kannel_escapes::{Escapes, expand};
use crate::config::Config;
use crate::store::{self, InboundMessage, NewEvent, RecipientFacts, Tx};
pub use crate::webhook::calls::{KIND_APP, KIND_KANNEL_DLR, KIND_KANNEL_SERVICE, ServiceCall};

/// The app's events smsgate produces (`mms:*`, `sms:batch:*` and `app:started` it never does).
pub const APP_EVENTS: &[&str] = &[
    "sms:received",
    "sms:data-received",
    "sms:sent",
    "sms:delivered",
    "sms:failed",
    "system:ping",
];

/// Kannel's DLR values (`dlr-mask` bits and `%d`).
pub mod dlr {
    /// Delivered to the phone.
    pub const DELIVERED: u8 = 1;
    /// Not delivered (the report said so).
    pub const UNDELIVERED: u8 = 2;
    /// Accepted by the SMSC ("sent").
    pub const SMSC_ACCEPTED: u8 = 8;
    /// Refused before or at the SMSC.
    pub const SMSC_REJECTED: u8 = 16;
}

/// What the compatibility layer needs from the config to queue its deliveries; `None` from
/// [`Hooks::new`] when no `[compat.*]` section is configured.
#[derive(Debug, Clone)]
pub struct Hooks {
    /// `[compat.smsgate] device_id`, when that API is served.
    app_device: Option<String>,
    /// Modem names in config order: SIM number N is the N-th.
    modems: Vec<String>,
    /// `[compat.kannel]`: whether `dlr-url`s are kept, and the `sms-service`.
    kannel: bool,
    service: Option<Service>,
}

#[derive(Debug, Clone)]
struct Service {
    url: String,
    post: bool,
    reply: bool,
}

impl Hooks {
    /// `modems` are the running modems' names in order (the configured ones, then any
    /// simulated): SIM number N is the N-th.
    pub fn new(cfg: &Config, modems: Vec<String>) -> Option<Hooks> {
        let app_device = cfg.compat.smsgate.as_ref().map(|s| s.device_id.clone());
        let kannel = cfg.compat.kannel.as_ref();
        if app_device.is_none() && kannel.is_none() {
            return None;
        }
        let service = kannel.and_then(|k| {
            let (url, post) = match (&k.get_url, &k.post_url) {
                (Some(u), _) => (u.get_ref().clone(), false),
                (None, Some(u)) => (u.get_ref().clone(), true),
                (None, None) => return None,
            };
            Some(Service {
                url,
                post,
                reply: k.reply,
            })
        });
        Some(Hooks {
            app_device,
            modems,
            kannel: kannel.is_some(),
            service,
        })
    }

    fn sim_number(&self, modem: Option<&str>) -> Option<usize> {
        let modem = modem?;
        self.modems.iter().position(|m| m == modem).map(|i| i + 1)
    }

    /// The app's webhook rows for `event` with `payload`, one per registered webhook.
    pub fn app_rows(
        &self,
        tx: &Tx<'_>,
        event: &str,
        payload: Value,
        now: Timestamp,
    ) -> Result<Vec<NewEvent>, store::Error> {
        let Some(device) = &self.app_device else {
            return Ok(Vec::new());
        };
        let hooks = tx.compat_webhooks(Some(event))?;
        Ok(hooks
            .into_iter()
            .map(|h| {
                let body = json!({
                    "id": crate::webhook::new_event_id(now),
                    "webhookId": h.id,
                    "event": event,
                    "deviceId": h.device_id.as_deref().unwrap_or(device),
                    "payload": payload,
                });
                NewEvent {
                    endpoint: h.url,
                    kind: format!("{KIND_APP}{event}"),
                    payload: body.to_string(),
                }
            })
            .collect())
    }

    /// Rows for one of smsgate's outbound events (`message.sent`, `message.delivered`,
    /// `message.failed`) with its `data`, read in `tx`: the app's `sms:sent`, `sms:delivered`,
    /// `sms:failed` and a Kannel DLR when the message has a `dlr-url` whose mask asks for it.
    /// A recipient whose outcome is unknown is reported by neither (the app would call it
    /// `Processed`; Kannel has no such DLR).
    pub fn outbound_rows(
        &self,
        tx: &Tx<'_>,
        kind: &str,
        data: &Value,
        now: Timestamp,
    ) -> Result<Vec<NewEvent>, store::Error> {
        let (Some(id), Some(to)) = (
            data.get("id").and_then(Value::as_str),
            data.get("to").and_then(Value::as_str),
        ) else {
            return Ok(Vec::new());
        };
        // The dispatcher's transactions run this for every sent part: the message's facts are
        // read only when someone listens.
        let app_event = match kind {
            "message.sent" => "sms:sent",
            "message.delivered" => "sms:delivered",
            _ => "sms:failed",
        };
        let app_listens =
            self.app_device.is_some() && !tx.compat_webhooks(Some(app_event))?.is_empty();
        let dlr_listens = self.kannel && tx.kannel_dlr(id)?.is_some();
        if !app_listens && !dlr_listens {
            return Ok(Vec::new());
        }
        match tx.recipient_facts(id, to)? {
            Some(f) => self.recipient_rows(tx, kind, &f, now),
            None => Ok(Vec::new()),
        }
    }

    /// Rows for recipient `recipient_id` that a status report or the expiry sweep settled
    /// (delivered, failed or expired).
    pub fn settled_rows(
        &self,
        tx: &Tx<'_>,
        recipient_id: i64,
        now: Timestamp,
    ) -> Result<Vec<NewEvent>, store::Error> {
        let Some(f) = tx.recipient_facts_by_id(recipient_id)? else {
            return Ok(Vec::new());
        };
        let kind = match f.state.as_str() {
            "delivered" => "message.delivered",
            "failed" | "expired" => "message.failed",
            _ => return Ok(Vec::new()),
        };
        self.recipient_rows(tx, kind, &f, now)
    }

    fn recipient_rows(
        &self,
        tx: &Tx<'_>,
        kind: &str,
        f: &RecipientFacts,
        now: Timestamp,
    ) -> Result<Vec<NewEvent>, store::Error> {
        let at = now.to_string();
        let sim = self.sim_number(f.modem.as_deref());
        let (event, dlr_value, payload) = match (kind, f.state.as_str()) {
            ("message.sent", _) => (
                "sms:sent",
                dlr::SMSC_ACCEPTED,
                json!({"messageId": f.client_id, "phoneNumber": f.number, "simNumber": sim,
                       "partsCount": f.parts, "sentAt": at}),
            ),
            ("message.delivered", _) => (
                "sms:delivered",
                dlr::DELIVERED,
                json!({"messageId": f.client_id, "phoneNumber": f.number, "simNumber": sim,
                       "deliveredAt": at}),
            ),
            ("message.failed", "failed" | "expired") => (
                "sms:failed",
                // Submitted and then reported undelivered, or never accepted at all.
                if f.mr.is_some() {
                    dlr::UNDELIVERED
                } else {
                    dlr::SMSC_REJECTED
                },
                json!({"messageId": f.client_id, "phoneNumber": f.number, "simNumber": sim,
                       "failedAt": at, "reason": f.error.clone().unwrap_or_else(|| f.state.clone())}),
            ),
            _ => return Ok(Vec::new()),
        };
        let mut rows = self.app_rows(tx, event, payload, now)?;
        if self.kannel
            && let Some(d) = tx.kannel_dlr(&f.message_id)?
            && d.mask & dlr_value != 0
        {
            let text = match dlr_value {
                dlr::DELIVERED => "Delivered".to_owned(),
                dlr::SMSC_ACCEPTED => "Sent".to_owned(),
                _ => f.error.clone().unwrap_or_else(|| "Failed".to_owned()),
            };
            // As in Kannel, a DLR's message data (%A, %b, %a, ...) is the report's text.
            let e = Escapes {
                from: f.number.clone(),
                to: d.sender.clone().unwrap_or_default(),
                text,
                time: Some(now),
                smsc: f.modem.clone().unwrap_or_default(),
                id: f.message_id.clone(),
                foreign_id: f.mr.map(|m| m.to_string()).unwrap_or_default(),
                dlr: Some(dlr_value),
                dlr_url: d.url.clone(),
                coding: d.coding,
                charset: d.charset.clone().unwrap_or_default(),
                ..Escapes::default()
            };
            match expand(&d.url, &e) {
                Some(url) => rows.push(NewEvent {
                    endpoint: url,
                    kind: KIND_KANNEL_DLR.into(),
                    payload: json!({"message": f.message_id, "to": f.number, "dlr": dlr_value})
                        .to_string(),
                }),
                None => {
                    tracing::warn!(message = %f.message_id, "dlr-url too long once expanded; not called")
                }
            }
        }
        Ok(rows)
    }

    /// Rows for a received message: the app's `sms:received`, and the Kannel `sms-service`
    /// call. `keyword_handled` says smsgate itself answered it (STOP, START, HELP): the
    /// service still hears of it, but its answer is not sent.
    pub fn inbound_rows(
        &self,
        tx: &Tx<'_>,
        m: &InboundMessage,
        keyword_handled: bool,
        now: Timestamp,
    ) -> Result<Vec<NewEvent>, store::Error> {
        let sim = self.sim_number(Some(&m.modem));
        let received = m.completed_at.to_string();
        let mut rows = self.app_rows(
            tx,
            "sms:received",
            json!({"messageId": m.id, "message": m.text, "phoneNumber": m.sender,
                   "sender": m.sender, "simNumber": sim, "receivedAt": received}),
            now,
        )?;
        if let Some(s) = &self.service {
            let opts = crate::sms::segment::Options::default();
            let gsm = crate::sms::count(&m.text, &opts).alphabet == crate::sms::Alphabet::Gsm7;
            let e = Escapes {
                from: m.sender.clone(),
                text: m.text.clone(),
                time: Some(m.smsc_at.unwrap_or(m.completed_at)),
                smsc: m.modem.clone(),
                id: m.id.clone(),
                coding: if gsm { 0 } else { 2 },
                charset: "UTF-8".into(),
                ..Escapes::default()
            };
            let call = ServiceCall {
                method: if s.post { "POST" } else { "GET" }.into(),
                body: if s.post {
                    m.text.clone()
                } else {
                    String::new()
                },
                headers: if s.post {
                    vec![
                        ("X-Kannel-From".into(), header_value(&m.sender)),
                        ("X-Kannel-SMSC".into(), header_value(&m.modem)),
                        (
                            "X-Kannel-Time".into(),
                            e.time
                                .map(|t| t.as_second().to_string())
                                .unwrap_or_default(),
                        ),
                        ("X-Kannel-Coding".into(), e.coding.to_string()),
                    ]
                } else {
                    Vec::new()
                },
                reply_to: (s.reply && !keyword_handled).then(|| m.sender.clone()),
                inbound: m.id.clone(),
            };
            let Some(url) = expand(&s.url, &e) else {
                tracing::warn!(id = %m.id, "get-url/post-url too long once expanded; not called");
                return Ok(rows);
            };
            rows.push(NewEvent {
                endpoint: url,
                kind: KIND_KANNEL_SERVICE.into(),
                payload: serde_json::to_string(&call)
                    .map_err(|e| store::Error::Invalid(e.to_string()))?,
            });
        }
        Ok(rows)
    }
}

/// `value` as an HTTP header can carry it: as it is when it is visible ASCII, else URL-encoded
/// (an alphanumeric sender may hold `é` or `£`).
fn header_value(value: &str) -> String {
    if value.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        value.to_owned()
    } else {
        form_urlencoded::byte_serialize(value.as_bytes()).collect()
    }
}
