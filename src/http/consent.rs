//! `/api/v1/consent`: whether a number opted out, its history, and a change made by a person
//! (recorded with source `api:<token name>`; an SMS `STOP` records `sms:<inbound id>`).

use axum::Extension;
use axum::extract::State;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::auth::Caller;
use super::contacts::path_number;
use super::error::{ApiError, ErrorBody};
use super::extract::page_limit;
use super::extract::{Json, Path, Query};
use super::messages::{DEFAULT_LIMIT, MAX_LIMIT};
use super::types::time;
use crate::store::{ConsentChange, ConsentState};

/// One consent change.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConsentChangeView {
    /// `true`: opted out.
    pub opted_out: bool,
    /// What changed it: `sms:<inbound id>`, `api:<token name>`, ...
    #[schema(example = "api:crm")]
    pub source: String,
    pub at: String,
}

/// A number's consent.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConsentView {
    #[schema(example = "+819012345678")]
    pub number: String,
    /// `false` for a number never heard of.
    pub opted_out: bool,
    /// Every change, oldest first.
    pub history: Vec<ConsentChangeView>,
}

/// `PUT /api/v1/consent/{number}`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentBody {
    /// `true`: send this number nothing but allowed transactional messages.
    pub opted_out: bool,
}

/// Query of `GET /api/v1/consent`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ConsentQuery {
    /// `true` (default): the numbers opted out; `false`: those that opted back in.
    pub opted_out: Option<bool>,
    /// Page size, 1..=500 (default 50).
    pub limit: Option<usize>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A number's current consent, in a listing.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConsentItem {
    pub number: String,
    pub opted_out: bool,
    /// When it last changed.
    pub updated_at: String,
}

/// `GET /api/v1/consent`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConsentList {
    /// In number order.
    pub items: Vec<ConsentItem>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    pub next_cursor: Option<String>,
}

fn view(number: String, history: &[ConsentChange]) -> ConsentView {
    ConsentView {
        number,
        opted_out: history.last().is_some_and(|c| c.opted_out),
        history: history
            .iter()
            .map(|c| ConsentChangeView {
                opted_out: c.opted_out,
                source: c.source.clone(),
                at: time(c.at),
            })
            .collect(),
    }
}

/// A number's consent and its history.
#[utoipa::path(
    get, path = "/api/v1/consent/{number}", tag = "consent",
    params(("number" = String, Path, description = "URL-encoded, e.g. %2B819012345678")),
    responses(
        (status = 200, description = "Current consent and every change", body = ConsentView),
        (status = 401, description = "No or a wrong token", body = ErrorBody),
        (status = 422, description = "Not a number", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_one(
    State(state): State<AppState>,
    Path(number): Path<String>,
) -> Result<axum::Json<ConsentView>, ApiError> {
    let number = path_number(&state, &number)?;
    let history = state.store.consent_history(&number).await?;
    Ok(axum::Json(view(number, &history)))
}

/// Record a number's consent, as a person decided it.
#[utoipa::path(
    put, path = "/api/v1/consent/{number}", tag = "consent",
    params(("number" = String, Path, description = "URL-encoded, e.g. %2B819012345678")),
    request_body = ConsentBody,
    responses(
        (status = 200, description = "Recorded (a change only when it differs)", body = ConsentView),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No or a wrong token", body = ErrorBody),
        (status = 422, description = "Not a number, or a bad body", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn put(
    State(state): State<AppState>,
    Extension(Caller(caller)): Extension<Caller>,
    Path(number): Path<String>,
    Json(body): Json<ConsentBody>,
) -> Result<axum::Json<ConsentView>, ApiError> {
    let number = path_number(&state, &number)?;
    let now = Timestamp::now();
    let target = number.clone();
    let history = state
        .store
        .atomically(move |tx| {
            tx.set_consent(&target, body.opted_out, &format!("api:{caller}"), now)?;
            let action = if body.opted_out {
                "consent.opt_out"
            } else {
                "consent.opt_in"
            };
            tx.audit(&caller, action, Some(&target), now)?;
            tx.consent_history(&target)
        })
        .await?;
    Ok(axum::Json(view(number, &history)))
}

/// Numbers by current consent.
#[utoipa::path(
    get, path = "/api/v1/consent", tag = "consent",
    params(ConsentQuery),
    responses(
        (status = 200, description = "One page", body = ConsentList),
        (status = 400, description = "Unknown or malformed query parameter", body = ErrorBody),
        (status = 401, description = "No or a wrong token", body = ErrorBody),
        (status = 422, description = "Bad limit", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    Query(q): Query<ConsentQuery>,
) -> Result<axum::Json<ConsentList>, ApiError> {
    let limit = page_limit(q.limit, DEFAULT_LIMIT, MAX_LIMIT)?;
    let page = state
        .store
        .list_consent(q.opted_out.unwrap_or(true), q.cursor, limit)
        .await?;
    Ok(axum::Json(ConsentList {
        items: page
            .items
            .iter()
            .map(|c: &ConsentState| ConsentItem {
                number: c.number.clone(),
                opted_out: c.opted_out,
                updated_at: time(c.updated_at),
            })
            .collect(),
        next_cursor: page.next_cursor,
    }))
}
