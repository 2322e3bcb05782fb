//! `/api/v1/messages`: send, look up, list, cancel.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use jiff::Timestamp;

use super::AppState;
use super::auth::Caller;
use super::error::{ApiError, ErrorBody};
use super::extract::{Json, Path, Query, page_limit};
use super::types::{
    InboundView, ListItem, ListQuery, ListResponse, MessageView, Recipients, SendRequest,
};
use crate::phone;
use crate::rules::template::{CostError, check_cost};
use crate::sms::segment::{self, Options};
use crate::store::{
    Enqueued, InboundFilter, MessageFilter, MessageRecord, NewMessage, State as MsgState,
};

/// Most recipients one request may name.
pub const MAX_RECIPIENTS: usize = 1000;
/// Longest client id.
pub const MAX_CLIENT_ID: usize = 128;
/// Default page size of a listing.
pub const DEFAULT_LIMIT: usize = 50;
/// Largest page size of a listing.
pub const MAX_LIMIT: usize = 500;

/// Now, in whole milliseconds (what the store keeps), and later than every earlier call in this
/// process: what one request writes is stamped (and its ids, which lead with the time, sort)
/// after everything an earlier request wrote, even within one millisecond.
pub(crate) fn unique_now() -> Timestamp {
    static LAST: AtomicI64 = AtomicI64::new(0);
    let real = Timestamp::now().as_millisecond();
    let prev = LAST
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |last| {
            Some(real.max(last + 1))
        })
        .unwrap_or(real);
    let ms = real.max(prev + 1);
    Timestamp::from_millisecond(ms).unwrap_or_else(|_| Timestamp::now())
}

/// A number a message can be sent to, as the API stores it: E.164 where `[support] country` is
/// set (else `+` and digits, or digits alone), or a short code ([`phone::recipient`]).
pub(crate) fn normalise(state: &AppState, number: &str) -> Result<String, ApiError> {
    phone::recipient(number, state.region().as_ref())
        .map_err(|e| ApiError::invalid("invalid_number", e.to_string()))
}

/// The encoding and part count of `text`, or why it cannot be sent.
pub(crate) fn plan(text: &str, max_parts: usize) -> Result<(&'static str, usize), ApiError> {
    check_cost(text, max_parts).map_err(|e| {
        let code = match e {
            CostError::Empty => "empty_text",
            CostError::Unencodable(_) => "invalid_text",
            CostError::TooManyParts { .. } => "too_many_parts",
        };
        ApiError::invalid(code, e.to_string())
    })
}

/// The view of a stored message (its plan recomputed from the text).
pub(crate) fn view(m: &MessageRecord) -> MessageView {
    let (encoding, parts) = segment::plan(&m.body, &Options::default())
        .map_or(("unknown", 0), |p| (p.alphabet.name(), p.parts));
    MessageView::new(m, encoding, parts)
}

pub(crate) fn parse_time(field: &'static str, s: &str) -> Result<Timestamp, ApiError> {
    s.parse::<Timestamp>().map_err(|e| {
        ApiError::invalid(
            if field == "send_at" {
                "invalid_send_at"
            } else {
                "invalid_query"
            },
            format!("{field}: {s:?} is not an RFC 3339 time with an offset ({e})"),
        )
    })
}

/// Validates a request into what the store takes (the compatibility APIs map theirs onto a
/// [`SendRequest`] and come through here too).
pub(crate) fn new_message(
    state: &AppState,
    req: SendRequest,
    caller: &str,
) -> Result<NewMessage, ApiError> {
    let numbers = match req.to {
        Recipients::One(n) => vec![n],
        Recipients::Many(v) => v,
    };
    if numbers.is_empty() {
        return Err(ApiError::invalid("no_recipients", "\"to\" names no number"));
    }
    if numbers.len() > MAX_RECIPIENTS {
        return Err(ApiError::invalid(
            "too_many_recipients",
            format!(
                "{} recipients; at most {MAX_RECIPIENTS} per request",
                numbers.len()
            ),
        ));
    }
    let recipients = numbers
        .iter()
        .map(|n| normalise(state, n))
        .collect::<Result<Vec<_>, _>>()?;
    let max_parts = *state.config.queue.max_parts.get_ref() as usize;
    plan(&req.text, max_parts)?;
    if let Some(id) = &req.id
        && (id.is_empty() || id.len() > MAX_CLIENT_ID || id.chars().any(char::is_control))
    {
        return Err(ApiError::invalid(
            "invalid_id",
            format!("\"id\" must be 1 to {MAX_CLIENT_ID} printable characters"),
        ));
    }
    let send_at = req
        .send_at
        .as_deref()
        .map(|s| parse_time("send_at", s))
        .transpose()?;
    let ttl = req.ttl.unwrap_or(state.config.queue.default_ttl);
    if ttl == 0 {
        return Err(ApiError::invalid(
            "invalid_ttl",
            "\"ttl\" must be at least 1 second",
        ));
    }
    if let Some(modem) = &req.modem {
        let known = state
            .config
            .modems
            .iter()
            .any(|m| m.name.get_ref() == modem)
            || state.modems.list().iter().any(|m| &m.name == modem);
        if !known {
            return Err(ApiError::invalid(
                "unknown_modem",
                format!("no modem is named {modem:?}"),
            ));
        }
    }
    // Without the config's consent the flag is ignored: an opted-out recipient is refused.
    let transactional =
        req.transactional.unwrap_or(false) && state.config.support.allow_transactional_to_opted_out;
    Ok(NewMessage {
        idempotency_key: req.id,
        recipients,
        body: req.text,
        priority: req.priority.unwrap_or(0),
        send_at,
        ttl: Some(Duration::from_secs(ttl)),
        max_attempts: *state.config.queue.max_attempts.get_ref(),
        modem: req.modem,
        created_by: Some(caller.to_owned()),
        status_report: req.status_report.unwrap_or(true),
        transactional,
        ..NewMessage::new(Vec::new(), String::new())
    })
}

/// Queue a message.
#[utoipa::path(
    post, path = "/api/v1/messages", tag = "messages",
    request_body = SendRequest,
    responses(
        (status = 202, description = "Committed to the queue", body = MessageView),
        (status = 200, description = "The message this id already created (idempotent replay)", body = MessageView),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No or a wrong token", body = ErrorBody),
        (status = 409, description = "The id was used for a different request", body = ErrorBody),
        (status = 413, description = "Body over http.max_body_bytes", body = ErrorBody),
        (status = 415, description = "Not application/json", body = ErrorBody),
        (status = 422, description = "Invalid number, empty or too long text, unknown field or modem, ...", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    Extension(Caller(caller)): Extension<Caller>,
    Json(req): Json<SendRequest>,
) -> Result<(StatusCode, axum::Json<MessageView>), ApiError> {
    let msg = new_message(&state, req, &caller)?;
    match enqueue_message(&state, caller, msg).await? {
        // A replay of an idempotent request: the message it created earlier.
        Enqueued::Existing(record) => Ok((StatusCode::OK, axum::Json(view(&record)))),
        Enqueued::New(record) => Ok((StatusCode::ACCEPTED, axum::Json(view(&record)))),
    }
}

/// Queues `msg` with its audit line as `caller`, in one transaction; a new message is counted
/// and wakes the dispatcher (a replay of an idempotency key was counted when it was new). The
/// caller answers only after this returned: after the COMMIT.
pub(crate) async fn enqueue_message(
    state: &AppState,
    caller: String,
    msg: NewMessage,
) -> Result<Enqueued, ApiError> {
    enqueue_message_with(state, caller, msg, |_, _| Ok(())).await
}

/// [`enqueue_message`], and `also` in the same transaction for a message queued anew (a
/// compatibility API keeps what it needs with the message so).
pub(crate) async fn enqueue_message_with(
    state: &AppState,
    caller: String,
    msg: NewMessage,
    also: impl FnOnce(
        &crate::store::Tx<'_>,
        &crate::store::MessageRecord,
    ) -> Result<(), crate::store::Error>
    + Send
    + 'static,
) -> Result<Enqueued, ApiError> {
    let now = unique_now();
    let enqueued = state
        .store
        .atomically(move |tx| {
            let enqueued = tx.enqueue_or_get(&msg, now)?;
            if let Enqueued::New(m) = &enqueued {
                also(tx, m)?;
            }
            tx.audit(&caller, "message.create", Some(&enqueued.record().id), now)?;
            Ok(enqueued)
        })
        .await?;
    if let Enqueued::New(_) = &enqueued {
        state.metrics.inc_accepted();
        state.dispatch.notify_one();
    }
    Ok(enqueued)
}

/// One message: outbound (`msg_...`) or inbound (`in_...`).
#[utoipa::path(
    get, path = "/api/v1/messages/{id}", tag = "messages",
    params(("id" = String, Path, description = "msg_... or in_...")),
    responses(
        (status = 200, description = "The message with per-recipient state and parts", body = ListItem),
        (status = 401, description = "No or a wrong token", body = ErrorBody),
        (status = 404, description = "No such message", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_one(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<axum::Json<ListItem>, ApiError> {
    if id.starts_with("in_") {
        let m = state.store.get_inbound(&id).await?;
        return Ok(axum::Json(ListItem::In(InboundView::from(&m))));
    }
    let m = state.store.get_message(&id).await?;
    Ok(axum::Json(ListItem::Out(view(&m))))
}

/// Cancel a message's recipients that are still queued.
#[utoipa::path(
    delete, path = "/api/v1/messages/{id}", tag = "messages",
    params(("id" = String, Path, description = "msg_...")),
    responses(
        (status = 200, description = "Cancelled", body = MessageView),
        (status = 401, description = "No or a wrong token", body = ErrorBody),
        (status = 404, description = "No such message", body = ErrorBody),
        (status = 409, description = "Nothing is queued any more", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn cancel(
    State(state): State<AppState>,
    Extension(Caller(caller)): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<axum::Json<MessageView>, ApiError> {
    let now = Timestamp::now();
    let (who, target) = (caller, id);
    let result = state
        .store
        .atomically(move |tx| {
            let record = tx.cancel(&target, now)?;
            tx.audit(&who, "message.cancel", Some(&target), now)?;
            Ok(record)
        })
        .await;
    Ok(axum::Json(view(&result?)))
}

/// List messages, newest first.
#[utoipa::path(
    get, path = "/api/v1/messages", tag = "messages",
    params(ListQuery),
    responses(
        (status = 200, description = "One page", body = ListResponse),
        (status = 400, description = "Unknown or malformed query parameter", body = ErrorBody),
        (status = 401, description = "No or a wrong token", body = ErrorBody),
        (status = 422, description = "Bad filter value or cursor", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    Query(q): Query<ListQuery>,
) -> Result<axum::Json<ListResponse>, ApiError> {
    let limit = page_limit(q.limit, DEFAULT_LIMIT, MAX_LIMIT)?;
    let since = q
        .since
        .as_deref()
        .map(|s| parse_time("since", s))
        .transpose()?;
    let inbound = match q.direction.as_deref() {
        None | Some("out") => false,
        Some("in") => true,
        Some(other) => {
            return Err(ApiError::invalid(
                "invalid_query",
                format!("direction must be out or in, not {other:?}"),
            ));
        }
    };
    let page = if inbound {
        if q.state.is_some() || q.to.is_some() {
            return Err(ApiError::invalid(
                "invalid_query",
                "state and to filter outbound messages (direction=out)",
            ));
        }
        // A sender may be alphanumeric ("MyBank"): compare numbers normalised, names as given
        // (and what is neither as given: it matches nothing the ingester stored).
        let region = state.region();
        let from = q
            .from
            .map(|f| phone::normalize(&f, region.as_ref()).unwrap_or(f));
        list_inbound(&state, from, since, q.cursor, limit).await?
    } else {
        if q.from.is_some() {
            return Err(ApiError::invalid(
                "invalid_query",
                "from filters inbound messages (direction=in)",
            ));
        }
        let st = q
            .state
            .as_deref()
            .map(|s| {
                MsgState::parse(s).ok_or_else(|| {
                    ApiError::invalid("invalid_query", format!("unknown state {s:?}"))
                })
            })
            .transpose()?;
        let to = q.to.as_deref().map(|n| normalise(&state, n)).transpose()?;
        list_outbound(&state, st, to, since, q.cursor, limit).await?
    };
    Ok(axum::Json(page))
}

/// Outbound messages: one page, every filter applied by the store in one query.
async fn list_outbound(
    state: &AppState,
    st: Option<MsgState>,
    to: Option<String>,
    since: Option<Timestamp>,
    cursor: Option<String>,
    limit: usize,
) -> Result<ListResponse, ApiError> {
    let filter = MessageFilter {
        state: st,
        to,
        since,
        ..MessageFilter::default()
    };
    let page = state.store.list_messages(filter, cursor, limit).await?;
    Ok(ListResponse {
        items: page.items.iter().map(|m| ListItem::Out(view(m))).collect(),
        next_cursor: page.next_cursor,
    })
}

/// Inbound messages: one page, filtered by sender and `since` in the store.
async fn list_inbound(
    state: &AppState,
    from: Option<String>,
    since: Option<Timestamp>,
    cursor: Option<String>,
    limit: usize,
) -> Result<ListResponse, ApiError> {
    let filter = InboundFilter { from, since };
    let page = state.store.list_inbound(filter, cursor, limit).await?;
    Ok(ListResponse {
        items: page
            .items
            .iter()
            .map(|m| ListItem::In(InboundView::from(m)))
            .collect(),
        next_cursor: page.next_cursor,
    })
}
