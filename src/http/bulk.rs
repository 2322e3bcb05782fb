//! `/api/v1/bulk`: one text or template sent to a contact group or a list of numbers (一斉送信),
//! rendered per recipient, optionally scheduled (予約送信) and spread over time.
//!
//! The handler checks the request; [`campaign`] reads and renders the campaign on a read
//! connection and queues it in chunks, each a short transaction, so other writers go between
//! them; `202` goes out after the chunk that completes it has committed (a stop before that
//! leaves nothing to send: the next start discards the partial campaign). The dispatcher then
//! puts its messages into the send queue, in chunks too; until it is done the campaign's `state`
//! is `releasing`. Its messages are queued at bulk priority,
//! below support replies, so a campaign never starves the support line; `rate_per_minute`
//! additionally spreads the campaign's `send_at` times.

use std::time::Duration;

use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::AppState;
use super::auth::Caller;
use super::error::{ApiError, ErrorBody};
use super::extract::{Json, Path};
use super::messages::parse_time;
use super::types::content_from;
use crate::gateway::campaign::{self, BulkPrompt, NewBulk};
use crate::gateway::process::Content;
use crate::store::{Campaign, Skipped};

/// Most recipients one campaign may have.
pub const MAX_BULK_RECIPIENTS: usize = campaign::MAX_RECIPIENTS;
/// Largest bulk request body (a list of 50,000 numbers is about 1 MB of JSON).
pub const MAX_BULK_BODY: usize = 4 * 1024 * 1024;

/// A bulk send. Give `group`, `to`, or both (their union, each number once); and `text` or
/// `template`. Either may hold `{placeholders}`: `{name}`, `{number}`, `{hours}` and the
/// contact's custom fields.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkRequest {
    /// A contact group.
    pub group: Option<String>,
    /// Numbers.
    #[serde(default)]
    pub to: Vec<String>,
    /// The text, rendered per recipient.
    pub text: Option<String>,
    /// A template's name, rendered per recipient.
    pub template: Option<String>,
    /// A name for people.
    pub name: Option<String>,
    /// Not before this time (RFC 3339).
    pub send_at: Option<String>,
    /// Spread the campaign: at most this many messages per minute from `send_at` on.
    pub rate_per_minute: Option<u32>,
    /// Seconds each message may wait unsent, counted from its own `send_at`.
    pub ttl: Option<u64>,
    /// Sent to opted-out numbers too, where `support.allow_transactional_to_opted_out` is true.
    pub transactional: Option<bool>,
    /// A `[[prompts]]` name instead of `text` or `template`: each message is that prompt's
    /// question and its answer is read and tallied (an appointment reminder to a group).
    pub prompt: Option<String>,
}

/// A campaign.
#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignView {
    /// `bulk_...`.
    pub id: String,
    pub name: String,
    pub template: Option<String>,
    pub group: Option<String>,
    /// The first message's `send_at`.
    pub send_at: String,
    /// Messages queued (one per recipient).
    pub recipients: u32,
    /// `creating` while its messages are being stored (none is sent yet), `releasing` while
    /// they enter the send queue, then `created`; `discarded` when a stop interrupted its
    /// creation (its messages were deleted unsent).
    pub state: String,
    /// Recipients left out, and why (`opted_out`, `invalid_number`, `template`, `too_long`).
    #[schema(value_type = Vec<Object>)]
    pub skipped: Vec<Skipped>,
    /// Its recipients by state.
    #[schema(value_type = Object)]
    pub states: std::collections::BTreeMap<String, u32>,
    pub created_by: Option<String>,
    pub created_at: String,
}

impl From<&Campaign> for CampaignView {
    fn from(c: &Campaign) -> Self {
        CampaignView {
            id: c.id.clone(),
            name: c.name.clone(),
            template: c.template.clone(),
            group: c.group.clone(),
            send_at: c.send_at.to_string(),
            recipients: c.recipients,
            state: c.state.clone(),
            skipped: c.skipped.clone(),
            states: c.states.clone(),
            created_by: c.created_by.clone(),
            created_at: c.created_at.to_string(),
        }
    }
}

/// Queue a bulk send.
#[utoipa::path(
    post, path = "/api/v1/bulk", tag = "bulk",
    request_body = BulkRequest,
    responses(
        (status = 202, description = "Every message committed to the queue", body = CampaignView),
        (status = 401, description = "No or a wrong token", body = ErrorBody),
        (status = 404, description = "No such template", body = ErrorBody),
        (status = 413, description = "Body over 4 MiB", body = ErrorBody),
        (status = 422, description = "No recipient, no text, both text and template, bad time, ...", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    Extension(Caller(caller)): Extension<Caller>,
    Json(req): Json<BulkRequest>,
) -> Result<(StatusCode, axum::Json<CampaignView>), ApiError> {
    // A named prompt is looked up as in force (the API's, then the config file's).
    let spec = match &req.prompt {
        None => None,
        Some(name) => {
            let (config, name) = (state.config.clone(), name.clone());
            state
                .store
                .read(move |tx| crate::gateway::prompts::spec(tx, &config, &name))
                .await?
        }
    };
    let bulk = checked(&state, req, caller.clone(), spec)?;
    let queued = queue(&state, caller, bulk).await?;
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(CampaignView::from(&queued)),
    ))
}

/// A campaign and its progress.
/// Checks a bulk request as `POST /api/v1/bulk` does and turns it into a campaign to prepare
/// (a `send_at` in the past means now); the desk's bulk form goes through it too.
pub(crate) fn checked(
    state: &AppState,
    req: BulkRequest,
    caller: String,
    prompt: Option<crate::rules::prompt::PromptSpec>,
) -> Result<NewBulk, ApiError> {
    let (content, prompt) = match req.prompt {
        None => (content_from(req.text, req.template)?, None),
        Some(name) => {
            if req.text.is_some() || req.template.is_some() {
                return Err(ApiError::invalid(
                    "invalid_body",
                    "give \"prompt\" without \"text\" or \"template\": its question is the text",
                ));
            }
            let spec = prompt.filter(|p| p.name == name).ok_or_else(|| {
                ApiError::invalid("unknown_prompt", format!("no prompt is named {name:?}"))
            })?;
            let prompt = BulkPrompt {
                name,
                kind: spec.kind.as_str().to_owned(),
                window_secs: spec.window_secs,
            };
            (Content::Text(spec.text.clone()), Some(prompt))
        }
    };
    if req.group.is_none() && req.to.is_empty() {
        return Err(ApiError::invalid(
            "no_recipients",
            "give \"group\", \"to\" or both",
        ));
    }
    if req.to.len() > MAX_BULK_RECIPIENTS {
        return Err(ApiError::invalid(
            "too_many_recipients",
            format!("at most {MAX_BULK_RECIPIENTS} recipients per campaign"),
        ));
    }
    if req.rate_per_minute == Some(0) {
        return Err(ApiError::invalid(
            "invalid_rate",
            "\"rate_per_minute\" must be at least 1",
        ));
    }
    let ttl = req.ttl.unwrap_or(state.config.queue.default_ttl);
    if ttl == 0 {
        return Err(ApiError::invalid(
            "invalid_ttl",
            "\"ttl\" must be at least 1 second",
        ));
    }
    let now = Timestamp::now();
    let start = req
        .send_at
        .as_deref()
        .map(|s| parse_time("send_at", s))
        .transpose()?
        .unwrap_or(now)
        .max(now);
    Ok(NewBulk {
        name: req.name.unwrap_or_default(),
        group: req.group,
        to: req.to,
        content,
        start,
        rate_per_minute: req.rate_per_minute,
        ttl: Duration::from_secs(ttl),
        // Without the config's consent the flag is ignored: opted-out recipients are skipped.
        transactional: req.transactional.unwrap_or(false)
            && state.config.support.allow_transactional_to_opted_out,
        max_parts: *state.config.queue.max_parts.get_ref() as usize,
        max_attempts: *state.config.queue.max_attempts.get_ref(),
        created_by: caller,
        region: state.region(),
        prompt,
    })
}

/// Prepares and queues a checked campaign, audited as `caller` (`bulk.create`) in the
/// transaction that completes it, and wakes the dispatcher's releaser.
pub(crate) async fn queue(
    state: &AppState,
    caller: String,
    bulk: NewBulk,
) -> Result<Campaign, ApiError> {
    let now = Timestamp::now();
    let prepared = campaign::prepare(&state.store, &state.rules, bulk).await?;
    let queued = prepared.queue(&state.store, caller, now).await?;
    state.release.notify_one();
    Ok(queued)
}

/// What queueing a checked campaign would do now, without queueing it: the first `sample`
/// recipients' texts, the parts, who is skipped and why, and when the last message goes.
pub(crate) async fn preview(
    state: &AppState,
    bulk: NewBulk,
    sample: usize,
) -> Result<campaign::Preview, ApiError> {
    let prepared = campaign::prepare(&state.store, &state.rules, bulk).await?;
    Ok(state
        .store
        .read(move |tx| prepared.preview(tx, sample))
        .await?)
}

#[utoipa::path(
    get, path = "/api/v1/bulk/{id}", tag = "bulk",
    params(("id" = String, Path, description = "bulk_...")),
    responses(
        (status = 200, description = "The campaign with its recipients by state", body = CampaignView),
        (status = 401, description = "No or a wrong token", body = ErrorBody),
        (status = 404, description = "No such campaign", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_one(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<axum::Json<CampaignView>, ApiError> {
    let c = state.store.get_campaign(&id).await?;
    Ok(axum::Json(CampaignView::from(&c)))
}
