//! `/api/v1/conversations`: the support desk's threads. List with
//! filters, one thread with its messages, a staff reply through the send queue at support
//! priority, state / assignee / notes / tags, and marking read.
//!
//! Every change is audited with the caller's token in the transaction of its effect. A `GET`
//! never writes: reading a thread leaves its unread count alone until `POST .../read`.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Extension, Router};
use jiff::Timestamp;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::auth::Caller;
use super::error::{ApiError, ErrorBody};
use super::extract::{Json, Path, Query, page_limit};
use super::messages::{plan, unique_now, view};
use super::types::{MessageView, content_from, time};
use crate::gateway::process::{Content, render_for};
use crate::phone;
use crate::store::{
    self, Conversation, ConversationFilter, ConversationOrder, ConversationState,
    ConversationUpdate, NewMessage, Origin, ThreadItem,
};

/// Default page size of the listing and default number of messages of a thread.
pub const DEFAULT_LIMIT: usize = 50;
/// Largest page size and most messages of a thread per request.
pub const MAX_LIMIT: usize = 500;
/// Longest assignee name.
pub const MAX_ASSIGNEE: usize = 128;
/// Longest tag.
pub const MAX_TAG: usize = 64;
/// Most tags one request adds or removes.
pub const MAX_TAGS: usize = 50;
/// Longest notes, in characters.
pub const MAX_NOTES: usize = 10_000;

/// The routes of this module (the caller adds authentication).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/conversations", get(list))
        .route("/api/v1/conversations/{id}", get(get_one).patch(update))
        .route("/api/v1/conversations/{id}/reply", post(reply))
        .route("/api/v1/conversations/{id}/read", post(read))
}

/// A conversation.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConversationView {
    /// Public id, `conv_...`.
    #[schema(example = "conv_0192f3a4b5c6d7e8f9a0b1c2d3e4")]
    pub id: String,
    /// The customer's number.
    pub number: String,
    /// `open` (the customer wrote last), `waiting` (answered), `needs_human`, `closed`.
    pub state: String,
    pub assignee: Option<String>,
    pub tags: Vec<String>,
    pub notes: String,
    /// Inbound messages since a person last answered or the thread was marked read.
    pub unread: u32,
    /// When the current episode began (first message after the last close).
    pub opened_at: String,
    /// The first person's answer in the current episode.
    pub first_response_at: Option<String>,
    /// `first_response_at - opened_at`, in seconds.
    pub first_response_secs: Option<f64>,
    /// When the current episode was closed.
    pub resolved_at: Option<String>,
    /// `resolved_at - opened_at`, in seconds.
    pub resolution_secs: Option<f64>,
    pub last_inbound_at: Option<String>,
    pub last_outbound_at: Option<String>,
    pub created_at: String,
    /// Last activity: a message either way or a change; the listing's default order.
    pub updated_at: String,
}

/// Seconds from `from` to `to`.
fn secs(from: Timestamp, to: Timestamp) -> f64 {
    (to.as_millisecond() - from.as_millisecond()) as f64 / 1000.0
}

impl From<&Conversation> for ConversationView {
    fn from(c: &Conversation) -> Self {
        ConversationView {
            id: c.id.clone(),
            number: c.number.clone(),
            state: c.state.as_str().to_owned(),
            assignee: c.assignee.clone(),
            tags: c.tags.clone(),
            notes: c.notes.clone(),
            unread: c.unread,
            opened_at: time(c.opened_at),
            first_response_at: c.first_response_at.map(time),
            first_response_secs: c.first_response_at.map(|t| secs(c.opened_at, t)),
            resolved_at: c.resolved_at.map(time),
            resolution_secs: c.resolved_at.map(|t| secs(c.opened_at, t)),
            last_inbound_at: c.last_inbound_at.map(time),
            last_outbound_at: c.last_outbound_at.map(time),
            created_at: time(c.created_at),
            updated_at: time(c.updated_at),
        }
    }
}

/// One message of a thread.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ThreadMessageView {
    /// `in` (from the customer) or `out`.
    pub direction: String,
    /// `in_...` or `msg_...` (look it up under `/api/v1/messages/{id}`).
    pub id: String,
    pub text: String,
    /// Inbound: received (assembled); outbound: accepted into the queue.
    pub at: String,
    /// Outbound: this recipient's state.
    pub state: Option<String>,
    /// Outbound: `api`, `reply`, `auto` or `bulk`.
    pub origin: Option<String>,
    /// Outbound: the token that queued it.
    pub created_by: Option<String>,
    /// Inbound: the rule that fired for it.
    pub rule: Option<String>,
}

impl From<&ThreadItem> for ThreadMessageView {
    fn from(i: &ThreadItem) -> Self {
        ThreadMessageView {
            direction: i.direction.as_str().to_owned(),
            id: i.id.clone(),
            text: i.text.clone(),
            at: time(i.at),
            state: i.state.map(|s| s.as_str().to_owned()),
            origin: i.origin.map(|o| o.as_str().to_owned()),
            created_by: i.created_by.clone(),
            rule: i.rule.clone(),
        }
    }
}

/// `GET /api/v1/conversations/{id}`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConversationDetail {
    pub conversation: ConversationView,
    /// The newest `limit` messages both ways, oldest first.
    pub messages: Vec<ThreadMessageView>,
}

/// `GET /api/v1/conversations`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConversationList {
    pub items: Vec<ConversationView>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    pub next_cursor: Option<String>,
}

/// Query of `GET /api/v1/conversations`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ConversationQuery {
    /// `open`, `waiting`, `needs_human` or `closed`.
    pub state: Option<String>,
    /// Assigned to this name.
    pub assignee: Option<String>,
    /// Carrying this tag.
    pub tag: Option<String>,
    /// `true`: only those with unread messages.
    pub unread: Option<bool>,
    /// Numbers starting with this, e.g. `+8190`; with `[support] country` also as people write
    /// it (`090`, `090-1234-5678`).
    pub q: Option<String>,
    /// Only those active at or after this RFC 3339 time.
    pub updated_since: Option<String>,
    /// `activity` (default: last activity first) or `created` (newest conversation first).
    pub order: Option<String>,
    /// Page size, 1..=500 (default 50).
    pub limit: Option<usize>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Query of `GET /api/v1/conversations/{id}`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ThreadQuery {
    /// Newest messages to include, 1..=500 (default 50).
    pub limit: Option<usize>,
}

/// `POST /api/v1/conversations/{id}/reply`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyRequest {
    /// The text; split into as many parts as needed, up to `queue.max_parts`. Give this or
    /// `template`.
    #[schema(example = "Thanks, your order ships tomorrow.")]
    pub text: Option<String>,
    /// A template (定型文) rendered for this customer: `{name}`, `{number}`, `{hours}` and the
    /// contact's fields.
    pub template: Option<String>,
}

/// `PATCH /api/v1/conversations/{id}`: every field optional; at least one.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRequest {
    /// `open`, `waiting`, `needs_human` or `closed`. Closing records the resolution time;
    /// leaving `closed` starts a new episode.
    pub state: Option<String>,
    /// A name, or `null` to unassign.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub assignee: Option<Option<String>>,
    /// Replaces the notes.
    pub notes: Option<String>,
    #[serde(default)]
    pub add_tags: Vec<String>,
    #[serde(default)]
    pub remove_tags: Vec<String>,
}

/// A field that is present, even as `null` (then `Some(None)`); absent stays `None`.
fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

fn bad(field: &str, why: impl std::fmt::Display) -> ApiError {
    ApiError::invalid("invalid_body", format!("{field}: {why}"))
}

fn bad_query(field: &str, why: impl std::fmt::Display) -> ApiError {
    ApiError::invalid("invalid_query", format!("{field}: {why}"))
}

/// A state's name, or why it is none (the caller names the field).
fn parse_state(v: &str) -> Result<ConversationState, String> {
    ConversationState::parse(v)
        .ok_or_else(|| format!("{v:?} is not one of open, waiting, needs_human, closed"))
}

/// A short printable name (assignee, tag).
fn check_name(field: &str, v: &str, max: usize) -> Result<(), ApiError> {
    if v.trim().is_empty() || v.chars().count() > max || v.chars().any(char::is_control) {
        return Err(bad(
            field,
            format!("{v:?} must be 1 to {max} printable characters"),
        ));
    }
    Ok(())
}

/// Validates a PATCH body into the store's update.
fn to_update(req: UpdateRequest) -> Result<ConversationUpdate, ApiError> {
    let state = req
        .state
        .as_deref()
        .map(|s| parse_state(s).map_err(|w| bad("state", w)))
        .transpose()?;
    if let Some(Some(a)) = &req.assignee {
        check_name("assignee", a, MAX_ASSIGNEE)?;
    }
    if let Some(n) = &req.notes
        && n.chars().count() > MAX_NOTES
    {
        return Err(bad("notes", format!("longer than {MAX_NOTES} characters")));
    }
    for (field, tags) in [
        ("add_tags", &req.add_tags),
        ("remove_tags", &req.remove_tags),
    ] {
        if tags.len() > MAX_TAGS {
            return Err(bad(field, format!("more than {MAX_TAGS} tags")));
        }
        for t in tags {
            check_name(field, t, MAX_TAG)?;
        }
    }
    let update = ConversationUpdate {
        state,
        assignee: req.assignee,
        notes: req.notes,
        add_tags: req.add_tags,
        remove_tags: req.remove_tags,
    };
    if update == ConversationUpdate::default() {
        return Err(ApiError::invalid(
            "invalid_body",
            "nothing to change: give state, assignee, notes, add_tags or remove_tags",
        ));
    }
    Ok(update)
}

/// List conversations.
#[utoipa::path(
    get, path = "/api/v1/conversations", tag = "conversations",
    params(ConversationQuery),
    responses(
        (status = 200, description = "One page", body = ConversationList),
        (status = 400, description = "Unknown or malformed query parameter", body = ErrorBody),
        (status = 401, description = "No or a wrong token", body = ErrorBody),
        (status = 422, description = "Bad filter value or cursor", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    Query(q): Query<ConversationQuery>,
) -> Result<axum::Json<ConversationList>, ApiError> {
    let limit = page_limit(q.limit, DEFAULT_LIMIT, MAX_LIMIT)?;
    let order = match q.order.as_deref() {
        None | Some("activity") => ConversationOrder::Activity,
        Some("created") => ConversationOrder::Created,
        Some(other) => {
            return Err(bad_query(
                "order",
                format!("{other:?} is not activity or created"),
            ));
        }
    };
    let updated_since = q
        .updated_since
        .as_deref()
        .map(|s| {
            s.parse::<Timestamp>()
                .map_err(|e| bad_query("updated_since", format!("{s:?} is not RFC 3339 ({e})")))
        })
        .transpose()?;
    let filter = ConversationFilter {
        state: q
            .state
            .as_deref()
            .map(|s| parse_state(s).map_err(|w| bad_query("state", w)))
            .transpose()?,
        assignee: q.assignee,
        tag: q.tag,
        unread_only: q.unread.unwrap_or(false),
        number_prefix: q.q.map(|p| phone::prefix(&p, state.region().as_ref())),
        updated_since,
        order,
        unassigned: false,
    };
    let page = state
        .store
        .list_conversations(filter, q.cursor, limit)
        .await?;
    Ok(axum::Json(ConversationList {
        items: page.items.iter().map(ConversationView::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// One conversation with its newest messages.
#[utoipa::path(
    get, path = "/api/v1/conversations/{id}", tag = "conversations",
    params(("id" = String, Path, description = "conv_..."), ThreadQuery),
    responses(
        (status = 200, description = "The conversation and its messages, oldest first", body = ConversationDetail),
        (status = 401, description = "No or a wrong token", body = ErrorBody),
        (status = 404, description = "No such conversation", body = ErrorBody),
        (status = 422, description = "Bad limit", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_one(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<ThreadQuery>,
) -> Result<axum::Json<ConversationDetail>, ApiError> {
    let limit = page_limit(q.limit, DEFAULT_LIMIT, MAX_LIMIT)?;
    let (conv, items) = state.store.conversation_thread(&id, limit).await?;
    Ok(axum::Json(ConversationDetail {
        conversation: ConversationView::from(&conv),
        messages: items.iter().map(ThreadMessageView::from).collect(),
    }))
}

/// Reply to the customer: queued at support priority with origin `reply`.
#[utoipa::path(
    post, path = "/api/v1/conversations/{id}/reply", tag = "conversations",
    params(("id" = String, Path, description = "conv_...")),
    request_body = ReplyRequest,
    responses(
        (status = 202, description = "Committed to the queue", body = MessageView),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No or a wrong token", body = ErrorBody),
        (status = 404, description = "No such conversation", body = ErrorBody),
        (status = 422, description = "Empty or too long text, a number that cannot be sent to, or `opted_out`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn reply(
    State(state): State<AppState>,
    Extension(Caller(caller)): Extension<Caller>,
    Path(id): Path<String>,
    Json(req): Json<ReplyRequest>,
) -> Result<(StatusCode, axum::Json<MessageView>), ApiError> {
    let content = content_from(req.text, req.template)?;
    let record = queue_reply(&state, caller, id, content, None)
        .await?
        .ok_or_else(|| ApiError::NotFound("no such conversation".to_owned()))?;
    Ok((StatusCode::ACCEPTED, axum::Json(view(&record))))
}

/// Queues a staff reply in conversation `id` at support priority, audited as `caller`, and
/// wakes the dispatcher; for the API and the desk.
///
/// `hold_after`: when the customer wrote after this time (the desk passes when its composer
/// was opened), nothing is queued and `None` comes back, so nobody answers a message they
/// have not seen. The check runs in the transaction that would queue the reply.
pub(crate) async fn queue_reply(
    state: &AppState,
    caller: String,
    id: String,
    content: Content,
    hold_after: Option<Timestamp>,
) -> Result<Option<store::MessageRecord>, ApiError> {
    let max_parts = *state.config.queue.max_parts.get_ref() as usize;
    if let Content::Text(text) = &content {
        plan(text, max_parts)?;
    }
    // A conversation's number never changes, so it may be read before the transaction; an
    // alphanumeric sender ("MyBank") cannot be answered. The number is the one stored (already
    // normalised when it arrived, or kept as the network sent it), so no region is applied.
    let conv = state.store.get_conversation(&id).await?;
    let number = phone::recipient(&conv.number, None)
        .map_err(|e| ApiError::invalid("invalid_number", e.to_string()))?;
    let live = state.rules.clone();
    let settings = (
        Duration::from_secs(state.config.queue.default_ttl),
        *state.config.queue.max_attempts.get_ref(),
    );
    let now = unique_now();
    // The store refuses an opted-out number in the transaction that queues the reply (a
    // person's reply is never transactional), so a STOP committed just before cannot slip
    // between a check and the send. The message and its audit line commit together; the 202
    // goes out only after the COMMIT.
    let queued = state
        .store
        .atomically(move |tx| {
            if let Some(seen) = hold_after
                && tx
                    .get_conversation(&id)?
                    .last_inbound_at
                    .is_some_and(|at| at > seen)
            {
                return Ok(None);
            }
            let text = match &content {
                Content::Text(t) => t.clone(),
                Content::Template(name) => {
                    let policy = live.policy();
                    let body = content.body(tx, policy)?;
                    let contact = tx.get_contact(&number)?;
                    let text = render_for(policy, &body, contact.as_ref(), &number, true)
                        .map_err(|e| store::Error::Invalid(format!("template {name}: {e}")))?;
                    // A rendered template may come out longer than the queue takes.
                    plan(&text, max_parts).map_err(|e| store::Error::Invalid(e.to_string()))?;
                    text
                }
            };
            let msg = NewMessage {
                priority: Origin::Reply.default_priority(),
                ttl: Some(settings.0),
                max_attempts: settings.1,
                created_by: Some(caller.clone()),
                origin: Origin::Reply,
                ..NewMessage::new(vec![number.clone()], text)
            };
            let record = tx.enqueue(&msg, now)?;
            tx.audit(&caller, "conversation.reply", Some(&record.id), now)?;
            Ok(Some(record))
        })
        .await?;
    if queued.is_some() {
        state.metrics.inc_accepted();
        state.dispatch.notify_one();
    }
    Ok(queued)
}

/// Applies `update` to conversation `id` and audits it as `caller`, in one transaction; for the
/// API and the desk.
pub(crate) async fn apply_update(
    state: &AppState,
    caller: String,
    id: String,
    update: ConversationUpdate,
) -> Result<Conversation, ApiError> {
    let now = unique_now();
    let app = state.clone();
    let conv = state
        .store
        .atomically(move |tx| {
            let was_closed = tx.get_conversation(&id)?.state == ConversationState::Closed;
            // MAX_TAGS bounds one request; this bounds the conversation, which PATCHes would
            // otherwise grow without end.
            if !update.add_tags.is_empty() {
                let mut tags = tx.get_conversation(&id)?.tags;
                for t in &update.add_tags {
                    if !tags.contains(t) {
                        tags.push(t.clone());
                    }
                }
                tags.retain(|t| !update.remove_tags.contains(t));
                if tags.len() > MAX_TAGS {
                    return Err(store::Error::Invalid(format!(
                        "add_tags: the conversation would have {} tags; at most {MAX_TAGS}",
                        tags.len()
                    )));
                }
            }
            let conv = tx.update_conversation(&id, &update, now)?;
            tx.audit(&caller, "conversation.update", Some(&id), now)?;
            if !was_closed && conv.state == ConversationState::Closed {
                super::prompts::survey_on_close(tx, &app, &conv, &caller, now)?;
            }
            Ok(conv)
        })
        .await?;
    // A survey may have been queued.
    state.dispatch.notify_one();
    Ok(conv)
}

/// Marks conversation `id` read, audited as `caller`; for the API and the desk.
pub(crate) async fn mark_read(
    state: &AppState,
    caller: String,
    id: String,
) -> Result<Conversation, ApiError> {
    let now = unique_now();
    Ok(state
        .store
        .atomically(move |tx| {
            let conv = tx.mark_conversation_read(&id)?;
            tx.audit(&caller, "conversation.read", Some(&id), now)?;
            Ok(conv)
        })
        .await?)
}

/// Change the state, assignee, notes or tags.
#[utoipa::path(
    patch, path = "/api/v1/conversations/{id}", tag = "conversations",
    params(("id" = String, Path, description = "conv_...")),
    request_body = UpdateRequest,
    responses(
        (status = 200, description = "The conversation after the change", body = ConversationView),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No or a wrong token", body = ErrorBody),
        (status = 404, description = "No such conversation", body = ErrorBody),
        (status = 422, description = "Unknown field, bad state or value, or nothing to change; the message names the field", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn update(
    State(state): State<AppState>,
    Extension(Caller(caller)): Extension<Caller>,
    Path(id): Path<String>,
    Json(req): Json<UpdateRequest>,
) -> Result<axum::Json<ConversationView>, ApiError> {
    let update = to_update(req)?;
    let conv = apply_update(&state, caller, id, update).await?;
    Ok(axum::Json(ConversationView::from(&conv)))
}

/// Mark the conversation read (its unread count becomes 0; its activity time stays).
#[utoipa::path(
    post, path = "/api/v1/conversations/{id}/read", tag = "conversations",
    params(("id" = String, Path, description = "conv_...")),
    responses(
        (status = 200, description = "The conversation after the change", body = ConversationView),
        (status = 401, description = "No or a wrong token", body = ErrorBody),
        (status = 404, description = "No such conversation", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn read(
    State(state): State<AppState>,
    Extension(Caller(caller)): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<axum::Json<ConversationView>, ApiError> {
    let conv = mark_read(&state, caller, id).await?;
    Ok(axum::Json(ConversationView::from(&conv)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_validation_table() {
        let ok = |r: UpdateRequest| to_update(r).map(|_| ()).map_err(|e| e.to_string());
        let long = "x".repeat(MAX_TAG + 1);
        let cases: Vec<(&str, UpdateRequest, Result<(), &str>)> = vec![
            (
                "state",
                UpdateRequest {
                    state: Some("needs_human".into()),
                    ..Default::default()
                },
                Ok(()),
            ),
            (
                "unassign",
                UpdateRequest {
                    assignee: Some(None),
                    ..Default::default()
                },
                Ok(()),
            ),
            (
                "bad state names the field",
                UpdateRequest {
                    state: Some("done".into()),
                    ..Default::default()
                },
                Err("state: \"done\" is not one of open, waiting, needs_human, closed"),
            ),
            (
                "blank assignee",
                UpdateRequest {
                    assignee: Some(Some(" ".into())),
                    ..Default::default()
                },
                Err("assignee: \" \" must be 1 to 128 printable characters"),
            ),
            (
                "long tag",
                UpdateRequest {
                    add_tags: vec![long],
                    ..Default::default()
                },
                Err("add_tags:"),
            ),
            (
                "nothing",
                UpdateRequest::default(),
                Err("nothing to change"),
            ),
        ];
        for (name, req, want) in cases {
            match (ok(req), want) {
                (Ok(()), Ok(())) => {}
                (Err(got), Err(want)) => assert!(got.starts_with(want), "{name}: {got}"),
                (got, want) => panic!("{name}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn assignee_null_and_absent_differ() {
        let cases: &[(&str, Option<Option<&str>>)] = &[
            (r#"{"notes": "x"}"#, None),
            (r#"{"assignee": null}"#, Some(None)),
            (r#"{"assignee": "aiko"}"#, Some(Some("aiko"))),
        ];
        for (body, want) in cases {
            let r: UpdateRequest = serde_json::from_str(body).unwrap();
            assert_eq!(r.assignee.as_ref().map(|a| a.as_deref()), *want, "{body}");
        }
    }
}
