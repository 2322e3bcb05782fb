//! `GET /api/v1/audit`: the audit log, newest first: which token sent, changed or deleted what.
//! Handlers write it in the transaction of their effect; [`super::auth`] adds the requests that
//! failed.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::error::{ApiError, ErrorBody};
use super::extract::{Query, page_limit};
use super::types::time;
use crate::store::AuditEntry;

/// Default number of entries.
pub const DEFAULT_LIMIT: usize = 100;
/// Most entries per request.
pub const MAX_LIMIT: usize = 1000;

/// The routes of this module (the caller adds authentication).
pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/audit", get(list))
}

/// Query of `GET /api/v1/audit`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Newest entries to return, 1..=1000 (default 100).
    pub limit: Option<usize>,
}

/// One line of the audit log.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditView {
    pub id: i64,
    pub at: String,
    /// The token's configured name (`local` without tokens).
    pub token: String,
    /// What, e.g. `message.create`, `conversation.reply`, `conversation.update`,
    /// `message.cancel.rejected`.
    pub action: String,
    /// On what, e.g. a message or conversation id.
    pub target: Option<String>,
}

impl From<&AuditEntry> for AuditView {
    fn from(a: &AuditEntry) -> Self {
        AuditView {
            id: a.id,
            at: time(a.at),
            token: a.token.clone(),
            action: a.action.clone(),
            target: a.target.clone(),
        }
    }
}

/// `GET /api/v1/audit`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditList {
    /// Newest first.
    pub items: Vec<AuditView>,
}

/// The newest audit entries.
#[utoipa::path(
    get, path = "/api/v1/audit", tag = "audit",
    params(AuditQuery),
    responses(
        (status = 200, description = "Newest first", body = AuditList),
        (status = 400, description = "Unknown or malformed query parameter", body = ErrorBody),
        (status = 401, description = "No or a wrong token", body = ErrorBody),
        (status = 422, description = "Bad limit", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    Query(q): Query<AuditQuery>,
) -> Result<axum::Json<AuditList>, ApiError> {
    let limit = page_limit(q.limit, DEFAULT_LIMIT, MAX_LIMIT)?;
    let entries = state.store.audit_log(limit).await?;
    Ok(axum::Json(AuditList {
        items: entries.iter().map(AuditView::from).collect(),
    }))
}
