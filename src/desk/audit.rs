//! The audit page: the newest entries of the log `GET /api/v1/audit` reads, desk actions
//! (`desk:<user>`) and API tokens alike, with times in the support line's time zone.

use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Html;
use axum::routing::get;
use axum::{Extension, Router};

use super::Chrome;
use super::auth::Staff;
use super::error::DeskError;
use super::pages::show_time;
use crate::http::AppState;

/// Entries shown: enough for a shift's questions; the API pages further back.
pub const SHOWN: usize = 200;

pub fn routes() -> Router<AppState> {
    Router::new().route("/audit", get(page))
}

pub struct AuditRow {
    pub at: String,
    pub who: String,
    pub action: String,
    pub target: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    chrome: Chrome,
    rows: Vec<AuditRow>,
}

/// `GET /audit`.
async fn page(
    State(state): State<AppState>,
    Extension(staff): Extension<Staff>,
    headers: HeaderMap,
) -> Result<Html<String>, DeskError> {
    let chrome = Chrome::new(&state, &staff, &headers, "audit", "/live".to_owned());
    let rows = state
        .store
        .audit_log(SHOWN)
        .await?
        .into_iter()
        .map(|a| AuditRow {
            at: show_time(&state, a.at),
            who: a.token,
            action: a.action,
            target: a.target.unwrap_or_default(),
        })
        .collect();
    Ok(Html(AuditPage { chrome, rows }.render()?))
}
