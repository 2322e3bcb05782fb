//! SMS Gateway for Android's local server ("SMSGate", capcom6/android-sms-gateway), so a client
//! configured with `http://HOST:PORT`, a user name and a password works unchanged against
//! smsgate: its official clients, the Home Assistant integration, scripts.
//!
//! Served on its own listener (`[compat.smsgate] listen`), routes at the root as on the phone.
//! The shapes follow the app's `WebService.kt` and `MessagesRoutes.kt` and what its Python
//! client (`android-sms-gateway` 4.3.3) sends and parses:
//!
//! | route | what |
//! |---|---|
//! | `GET /` | `{"status": "ok", ...}`; needs the login (a client checks its credentials so) |
//! | `GET /health` | no login |
//! | `POST /message`, `/messages` | send; `202` with the message's state object |
//! | `GET /message(s)/{id}` | by smsgate's id or the client's `id`; `404` with an empty body |
//! | `GET /message(s)` | `state`, `limit` (50), `offset`, `from`, `to`: a JSON array and `X-Total-Count` |
//! | `DELETE /message(s)/{id}` | cancel while pending |
//! | `POST /webhook(s)` | register `{id?, url, event, deviceId?}` (replaces an existing `id`); `201` |
//! | `GET /webhook(s)` | the registered webhooks, a JSON array |
//! | `DELETE /webhook(s)/{id}` | `204`; deliveries not yet made are dropped |
//!
//! Auth: Basic (realm "Access to SMS Gateway") with a `[[http.tokens]]` entry's `name` as the
//! user and its `token` as the password; with no tokens configured (loopback only) anyone passes
//! as `local`. Errors are `{"message": "..."}`.
//!
//! States are the app's: a recipient `queued`/`sending` is `Pending`, `sent` is `Sent`,
//! `delivered` is `Delivered`, `failed`/`expired` is `Failed`, `cancelled` is `Cancelled`, and
//! `unknown` (the modem may or may not have sent it) is `Processed`, never `Sent`. The message
//! rolls up as the app does: any `Pending` makes it `Pending`; all `Delivered`, `Delivered`; all
//! `Failed`, `Failed`; all `Cancelled`, `Cancelled`; any `Processed`, `Processed`; else `Sent`.
//!
//! What differs from the phone: data messages (`dataMessage`) and encrypted ones are refused
//! with `400`; `withDeliveryReport: false` is accepted but smsgate asks for reports anyway;
//! `simNumber` N picks the N-th configured modem.
//!
//! Webhooks ([`crate::compat::events`]) are delivered like smsgate's own: queued in the
//! transaction of the change, persisted, retried with backoff across restarts. Each is a POST
//! of `{"id", "webhookId", "event", "deviceId", "payload"}` with `X-Timestamp` (Unix seconds)
//! and, when `[compat.smsgate] signing_key` is set, `X-Signature`: lowercase hex
//! HMAC-SHA256(key, body + timestamp). Unlike the app, webhook URLs must be `http://` (any
//! host; no TLS client yet), and `sms:delivered` comes once per recipient, not per part.

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::compat::events::APP_EVENTS;
use crate::http::auth::{Caller, LOCAL, find_token};
use crate::http::messages::{enqueue_message, new_message};
use crate::http::types::{Recipients, SendRequest, time};
use crate::http::{ApiError, AppState};
use crate::store::{self, CompatWebhook, Enqueued, MessageRecord, State as Rcpt};

/// The realm the app's Basic auth names.
pub const REALM: &str = "Access to SMS Gateway";
/// Default and largest page of `GET /messages`.
pub const DEFAULT_LIMIT: usize = 50;
pub const MAX_LIMIT: usize = 500;

/// An error as the app answers it: a status and `{"message": "..."}`.
pub struct CompatError(StatusCode, String);

impl IntoResponse for CompatError {
    fn into_response(self) -> Response {
        let mut r = (self.0, axum::Json(json!({ "message": self.1 }))).into_response();
        if self.0 == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(
                    "Basic realm=\"Access to SMS Gateway\", charset=\"UTF-8\"",
                ),
            );
        }
        r
    }
}

impl From<ApiError> for CompatError {
    fn from(e: ApiError) -> CompatError {
        let (status, _, message) = e.parts();
        // The app answers every refusal of a request's content with 400.
        let status = if status == StatusCode::UNPROCESSABLE_ENTITY {
            StatusCode::BAD_REQUEST
        } else {
            status
        };
        CompatError(status, message)
    }
}

impl From<store::Error> for CompatError {
    fn from(e: store::Error) -> CompatError {
        CompatError::from(ApiError::from(e))
    }
}

fn bad(message: impl Into<String>) -> CompatError {
    CompatError(StatusCode::BAD_REQUEST, message.into())
}

/// The user and password of a `Basic` authorization header.
fn basic(value: &str) -> Option<(String, String)> {
    let (scheme, rest) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (user, pass) = text.split_once(':')?;
    Some((user.to_owned(), pass.to_owned()))
}

/// Middleware: Basic auth onto smsgate's tokens; puts the [`Caller`] in the extensions.
async fn require_login(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Result<Response, CompatError> {
    let tokens = &state.config.http.tokens;
    let caller = if tokens.is_empty() {
        LOCAL.to_owned()
    } else {
        let unauthorized = || CompatError(StatusCode::UNAUTHORIZED, "Unauthorized".into());
        let (user, pass) = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(basic)
            .ok_or_else(unauthorized)?;
        match find_token(tokens, pass.as_bytes()) {
            Some(name) if name == user => name.to_owned(),
            _ => return Err(unauthorized()),
        }
    };
    req.extensions_mut().insert(Caller(caller));
    Ok(next.run(req).await)
}

/// The app's state of one recipient.
fn recipient_state(s: Rcpt) -> &'static str {
    match s {
        Rcpt::Queued | Rcpt::Sending => "Pending",
        Rcpt::Sent => "Sent",
        Rcpt::Delivered => "Delivered",
        Rcpt::Failed | Rcpt::Expired => "Failed",
        Rcpt::Cancelled => "Cancelled",
        Rcpt::Unknown => "Processed",
    }
}

/// The message's state from its recipients', as the app rolls them up.
fn rollup(states: &[&'static str]) -> &'static str {
    let all = |s: &str| !states.is_empty() && states.iter().all(|x| *x == s);
    if states.contains(&"Pending") {
        "Pending"
    } else if all("Delivered") {
        "Delivered"
    } else if all("Failed") {
        "Failed"
    } else if all("Cancelled") {
        "Cancelled"
    } else if states.contains(&"Processed") {
        "Processed"
    } else {
        "Sent"
    }
}

/// The app's message state object.
fn state_object(m: &MessageRecord, device_id: &str) -> Value {
    let states: Vec<&'static str> = m
        .recipients
        .iter()
        .map(|r| recipient_state(r.state))
        .collect();
    let state = rollup(&states);
    let recipients: Vec<Value> = m
        .recipients
        .iter()
        .zip(&states)
        .map(|(r, s)| {
            json!({
                "phoneNumber": r.number,
                "state": s,
                "error": if *s == "Failed" || *s == "Processed" { r.error.clone() } else { None },
            })
        })
        .collect();
    // When the message reached each state it has reached.
    let mut times = serde_json::Map::new();
    times.insert("Pending".into(), json!(time(m.created_at)));
    if let Some(t) = m.recipients.iter().filter_map(|r| r.sent_at).max() {
        times.insert("Sent".into(), json!(time(t)));
    }
    if state == "Delivered"
        && let Some(t) = m.recipients.iter().filter_map(|r| r.delivered_at).max()
    {
        times.insert("Delivered".into(), json!(time(t)));
    }
    if matches!(state, "Failed" | "Cancelled" | "Processed") {
        times.insert(state.into(), json!(time(m.updated_at)));
    }
    json!({
        "id": m.idempotency_key.clone().unwrap_or_else(|| m.id.clone()),
        "deviceId": device_id,
        "state": state,
        "isHashed": false,
        "isEncrypted": false,
        "recipients": recipients,
        "states": times,
        "createdAt": time(m.created_at),
        "textMessage": { "text": m.body },
    })
}

fn device_id(state: &AppState) -> String {
    state
        .config
        .compat
        .smsgate
        .as_ref()
        .map(|c| c.device_id.clone())
        .unwrap_or_else(|| "smsgate".to_owned())
}

/// `POST /messages`, as the app's `PostMessageRequest` reads it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PostMessage {
    id: Option<String>,
    #[serde(default)]
    phone_numbers: Vec<String>,
    text_message: Option<TextMessage>,
    data_message: Option<Value>,
    /// The legacy form: the text as a plain string.
    message: Option<String>,
    sim_number: Option<u32>,
    #[allow(dead_code)]
    with_delivery_report: Option<bool>,
    is_encrypted: Option<bool>,
    priority: Option<i32>,
    ttl: Option<u64>,
    valid_until: Option<String>,
    schedule_at: Option<String>,
    #[allow(dead_code)]
    device_id: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct TextMessage {
    text: String,
}

/// The app's request onto smsgate's: the checks the app makes, then the native ones.
fn to_send_request(state: &AppState, p: PostMessage) -> Result<SendRequest, CompatError> {
    if p.is_encrypted == Some(true) {
        return Err(bad("encrypted messages are not supported"));
    }
    if p.data_message.as_ref().is_some_and(|d| !d.is_null()) {
        return Err(bad("data messages are not supported"));
    }
    let text = match (p.text_message, p.message) {
        (Some(t), None) => t.text,
        (None, Some(m)) => m,
        (Some(_), Some(_)) => return Err(bad("give either textMessage or message, not both")),
        (None, None) => return Err(bad("textMessage is required")),
    };
    if p.phone_numbers.is_empty() {
        return Err(bad("phoneNumbers is empty"));
    }
    if let Some(pr) = p.priority
        && !(-128..=127).contains(&pr)
    {
        return Err(bad("priority must be within -128..127"));
    }
    let ttl = match (p.ttl, p.valid_until.as_deref()) {
        (Some(_), Some(_)) => return Err(bad("fields conflict: ttl and validUntil")),
        (Some(t), None) => Some(t),
        (None, Some(v)) => {
            let until: Timestamp = v
                .parse()
                .map_err(|e| bad(format!("validUntil: {v:?} is not a time ({e})")))?;
            let secs = until.duration_since(Timestamp::now()).as_secs();
            Some(u64::try_from(secs).unwrap_or(0).max(1))
        }
        (None, None) => None,
    };
    let modem = match p.sim_number {
        None => None,
        // The running modems in order: the configured ones, then any simulated.
        Some(n) => Some(
            state
                .modems
                .list()
                .get((n as usize).saturating_sub(1))
                .filter(|_| n >= 1)
                .map(|m| m.name.clone())
                .ok_or_else(|| bad(format!("simNumber {n}: no such SIM")))?,
        ),
    };
    Ok(SendRequest {
        to: Recipients::Many(p.phone_numbers),
        text,
        id: p.id,
        send_at: p.schedule_at,
        ttl,
        // The app's priority >= 100 skips the queue; smsgate's scale is open, so the number
        // passes as it is and 100 outranks every default.
        priority: p.priority,
        status_report: None,
        modem,
        transactional: None,
    })
}

async fn post_message(
    State(state): State<AppState>,
    axum::Extension(Caller(caller)): axum::Extension<Caller>,
    body: axum::body::Bytes,
) -> Result<Response, CompatError> {
    let p: PostMessage =
        serde_json::from_slice(&body).map_err(|e| bad(format!("invalid request: {e}")))?;
    let req = to_send_request(&state, p)?;
    let msg = new_message(&state, req, &caller)?;
    match enqueue_message(&state, caller, msg).await {
        Ok(Enqueued::New(record)) => Ok((
            StatusCode::ACCEPTED,
            axum::Json(state_object(&record, &device_id(&state))),
        )
            .into_response()),
        // The app refuses any reuse of an id, same request or not.
        Ok(Enqueued::Existing(_)) | Err(ApiError::Store(store::Error::Conflict { .. })) => {
            Err(CompatError(
                StatusCode::CONFLICT,
                "Message with the same ID already exists".into(),
            ))
        }
        Err(e) => Err(e.into()),
    }
}

async fn get_message(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, CompatError> {
    match state.store.message_by_id_or_key(&id).await {
        Ok(m) => Ok(axum::Json(state_object(&m, &device_id(&state))).into_response()),
        // The app answers an unknown id with an empty 404.
        Err(store::Error::NotFound(_)) => Ok(StatusCode::NOT_FOUND.into_response()),
        Err(e) => Err(e.into()),
    }
}

async fn delete_message(
    State(state): State<AppState>,
    axum::Extension(Caller(caller)): axum::Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, CompatError> {
    let m = match state.store.message_by_id_or_key(&id).await {
        Ok(m) => m,
        Err(store::Error::NotFound(_)) => return Ok(StatusCode::NOT_FOUND.into_response()),
        Err(e) => return Err(e.into()),
    };
    let now = Timestamp::now();
    let target = m.id.clone();
    state
        .store
        .atomically(move |tx| {
            let r = tx.cancel(&target, now)?;
            tx.audit(&caller, "message.cancel", Some(&target), now)?;
            Ok(r)
        })
        .await
        .map_err(|e| match e {
            store::Error::InvalidState { .. } => {
                CompatError(StatusCode::CONFLICT, "Message is not pending".into())
            }
            other => other.into(),
        })?;
    Ok(StatusCode::OK.into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    state: Option<String>,
    limit: Option<usize>,
    offset: Option<usize>,
    from: Option<String>,
    to: Option<String>,
    #[serde(rename = "deviceId")]
    #[allow(dead_code)]
    device_id: Option<String>,
}

async fn list_messages(
    State(state): State<AppState>,
    Query(q): Query<ListQuery>,
) -> Result<Response, CompatError> {
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    let time = |field: &str, v: Option<&str>| -> Result<Option<Timestamp>, CompatError> {
        v.map(|s| {
            s.parse::<Timestamp>()
                .map_err(|e| bad(format!("{field}: {s:?} is not a time ({e})")))
        })
        .transpose()
    };
    let from = time("from", q.from.as_deref())?;
    let to = time("to", q.to.as_deref())?;
    let device = device_id(&state);
    let (items, total) = match q.state.as_deref() {
        // Filtering by the app's rolled-up state: read a bounded window and filter it.
        Some(want) => {
            let (all, _) = state.store.message_page(from, to, 10_000, 0).await?;
            let matching: Vec<Value> = all
                .iter()
                .map(|m| state_object(m, &device))
                .filter(|v| v["state"] == want)
                .collect();
            let total = matching.len() as u64;
            let page = matching
                .into_iter()
                .skip(q.offset.unwrap_or(0))
                .take(limit)
                .collect::<Vec<_>>();
            (page, total)
        }
        None => {
            let (page, total) = state
                .store
                .message_page(from, to, limit, q.offset.unwrap_or(0))
                .await?;
            (
                page.iter().map(|m| state_object(m, &device)).collect(),
                total,
            )
        }
    };
    let mut r = axum::Json(items).into_response();
    if let Ok(v) = HeaderValue::from_str(&total.to_string()) {
        r.headers_mut().insert("x-total-count", v);
    }
    Ok(r)
}

async fn root(State(state): State<AppState>) -> axum::Json<Value> {
    axum::Json(json!({
        "status": "ok",
        "model": "smsgate",
        "deviceId": device_id(&state),
        "version": env!("CARGO_PKG_VERSION"),
    }))
}

#[derive(Serialize)]
pub struct Health {
    status: &'static str,
    version: &'static str,
    #[serde(rename = "releaseId")]
    release_id: u32,
    checks: Value,
}

async fn health(State(state): State<AppState>) -> Response {
    axum::Json(health_body(&state)).into_response()
}

/// `GET /health`'s answer, also the payload of `system:ping`.
pub fn health_body(state: &AppState) -> Health {
    let ready = state
        .modems
        .list()
        .iter()
        .any(|m| m.state == crate::modem::ModemState::Ready);
    Health {
        status: if ready { "pass" } else { "warn" },
        version: env!("CARGO_PKG_VERSION"),
        release_id: 1,
        checks: json!({
            "modems:ready": {
                "description": "modems ready to send",
                "observedUnit": "modems",
                "observedValue": state.modems.list().iter().filter(|m| m.state == crate::modem::ModemState::Ready).count(),
                "status": if ready { "pass" } else { "warn" },
            }
        }),
    }
}

/// A webhook as the app takes and shows it.
#[derive(Debug, Deserialize, Serialize)]
struct WebhookBody {
    #[serde(default)]
    id: Option<String>,
    url: String,
    event: String,
    #[serde(rename = "deviceId", default)]
    device_id: Option<String>,
}

impl From<CompatWebhook> for WebhookBody {
    fn from(h: CompatWebhook) -> WebhookBody {
        WebhookBody {
            id: Some(h.id),
            url: h.url,
            event: h.event,
            device_id: h.device_id,
        }
    }
}

/// Longest webhook id and URL taken.
const MAX_WEBHOOK_ID: usize = 64;
const MAX_WEBHOOK_URL: usize = 2048;

async fn post_webhook(
    State(state): State<AppState>,
    body: Result<axum::Json<WebhookBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, CompatError> {
    let axum::Json(w) = body.map_err(|e| bad(e.body_text()))?;
    if !APP_EVENTS.contains(&w.event.as_str()) {
        return Err(bad(format!("Unsupported event: {}", w.event)));
    }
    let url: axum::http::Uri = w
        .url
        .parse()
        .map_err(|_| bad(format!("Invalid URL: {}", w.url)))?;
    // Deliveries go out over plain HTTP only (crate::webhook::client).
    if url.scheme_str() != Some("http") || url.host().is_none() || w.url.len() > MAX_WEBHOOK_URL {
        return Err(bad(format!(
            "Invalid URL: {} (smsgate delivers to http:// URLs)",
            w.url
        )));
    }
    if w.device_id
        .as_ref()
        .is_some_and(|d| d.len() > MAX_WEBHOOK_ID)
    {
        return Err(bad("deviceId too long"));
    }
    let id = match w.id.filter(|i| !i.is_empty()) {
        Some(id) if id.len() > MAX_WEBHOOK_ID => return Err(bad("Webhook id too long")),
        Some(id) => id,
        None => format!("{:016x}", crate::random::u64()),
    };
    let hook = CompatWebhook {
        id,
        url: w.url,
        event: w.event,
        device_id: w.device_id,
    };
    state
        .store
        .compat_webhook_upsert(hook.clone(), Timestamp::now())
        .await?;
    Ok((StatusCode::CREATED, axum::Json(WebhookBody::from(hook))).into_response())
}

async fn list_webhooks(State(state): State<AppState>) -> Result<Response, CompatError> {
    let hooks: Vec<WebhookBody> = state
        .store
        .compat_webhooks()
        .await?
        .into_iter()
        .map(WebhookBody::from)
        .collect();
    Ok(axum::Json(hooks).into_response())
}

async fn delete_webhook(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, CompatError> {
    // 204 whether or not it existed, as the app answers.
    state.store.compat_webhook_delete(&id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn not_found() -> Response {
    (StatusCode::NOT_FOUND, Body::empty()).into_response()
}

/// The SMSGate-compatible app.
pub fn router(state: AppState) -> Router {
    let limit = state.config.http.max_body_bytes;
    let authed = Router::new()
        .route("/", get(root))
        .route("/message", get(list_messages).post(post_message))
        .route("/messages", get(list_messages).post(post_message))
        .route("/message/{id}", get(get_message).delete(delete_message))
        .route("/messages/{id}", get(get_message).delete(delete_message))
        .route("/webhook", get(list_webhooks).post(post_webhook))
        .route("/webhooks", get(list_webhooks).post(post_webhook))
        .route("/webhook/{id}", axum::routing::delete(delete_webhook))
        .route("/webhooks/{id}", axum::routing::delete(delete_webhook))
        .route_layer(middleware::from_fn_with_state(state.clone(), require_login));
    Router::new()
        .merge(authed)
        .route("/health", get(health))
        .fallback(not_found)
        .layer(axum::extract::DefaultBodyLimit::max(limit))
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rollup_table() {
        let cases: &[(&str, &[&str], &str)] = &[
            ("any pending", &["Sent", "Pending"], "Pending"),
            ("all delivered", &["Delivered", "Delivered"], "Delivered"),
            ("all failed", &["Failed"], "Failed"),
            ("mixed is sent", &["Delivered", "Failed"], "Sent"),
            (
                "unknown is processed, never sent",
                &["Processed", "Delivered"],
                "Processed",
            ),
            ("all cancelled", &["Cancelled"], "Cancelled"),
        ];
        for (name, states, want) in cases {
            assert_eq!(rollup(states), *want, "{name}");
        }
    }

    #[test]
    fn basic_auth_table() {
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let cases = [
            (
                "ok",
                format!("Basic {}", b64("crm:secret")),
                Some(("crm", "secret")),
            ),
            (
                "scheme case",
                format!("basic {}", b64("a:b:c")),
                Some(("a", "b:c")),
            ),
            ("bearer", "Bearer xyz".to_owned(), None),
            ("not base64", "Basic !!!".to_owned(), None),
            ("no colon", format!("Basic {}", b64("crm")), None),
        ];
        for (name, header, want) in cases {
            let got = basic(&header);
            assert_eq!(
                got.as_ref().map(|(u, p)| (u.as_str(), p.as_str())),
                want,
                "{name}"
            );
        }
    }
}
