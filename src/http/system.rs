//! `/api/v1/modems`, `/health`, `/metrics`, `/api/v1/openapi.json`.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use utoipa::OpenApi;

use super::AppState;
use super::error::ErrorBody;
use super::types::{HealthView, ModemView};
use crate::modem::ModemState;

/// The modems and their health.
#[utoipa::path(
    get, path = "/api/v1/modems", tag = "modems",
    responses(
        (status = 200, description = "Every modem", body = [ModemView]),
        (status = 401, description = "No or a wrong token", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn modems(State(state): State<AppState>) -> axum::Json<Vec<ModemView>> {
    axum::Json(state.modems.list().iter().map(ModemView::from).collect())
}

/// 200 when the store takes writes and a modem is ready, else 503 with the reasons. No auth.
#[utoipa::path(
    get, path = "/health", tag = "system",
    responses(
        (status = 200, description = "Ready to send", body = HealthView),
        (status = 503, description = "Not ready; `reasons` says why", body = HealthView),
    )
)]
pub async fn health(State(state): State<AppState>) -> (StatusCode, axum::Json<HealthView>) {
    let mut reasons = Vec::new();
    // An empty write job: proves the writer thread is alive and commits.
    let store = match state.store.atomically(|_| Ok(())).await {
        Ok(()) => "ok".to_owned(),
        Err(e) => {
            tracing::warn!(error = %e, "health: the store does not take writes");
            reasons.push(format!("the store does not take writes: {e}"));
            "unavailable".to_owned()
        }
    };
    let modems = state.modems.list();
    let ready = modems
        .iter()
        .filter(|m| m.state == ModemState::Ready)
        .count();
    if ready == 0 {
        reasons.push(if modems.is_empty() {
            "no modem is configured".to_owned()
        } else {
            format!("none of the {} modems is ready", modems.len())
        });
    }
    let ok = reasons.is_empty();
    let body = HealthView {
        status: if ok { "ok" } else { "unavailable" }.to_owned(),
        store,
        modems_ready: ready,
        modems_total: modems.len(),
        reasons,
    };
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, axum::Json(body))
}

/// Prometheus metrics (OpenMetrics text).
#[utoipa::path(
    get, path = "/metrics", tag = "system",
    responses(
        (status = 200, description = "Counters, per-modem gauges, queue depth, send latency", body = String, content_type = "application/openmetrics-text"),
        (status = 401, description = "No or a wrong token (when tokens are configured)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn metrics(State(state): State<AppState>) -> Response {
    let depth = match state.store.queue_depth().await {
        Ok(d) => Some(d),
        Err(e) => {
            tracing::warn!(error = %e, "metrics: cannot read the queue depth");
            None
        }
    };
    let text = state.metrics.render(&state.modems.list(), depth);
    ([(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)], text).into_response()
}

/// This document.
#[utoipa::path(
    get, path = "/api/v1/openapi.json", tag = "system",
    responses(
        (status = 200, description = "The OpenAPI document", body = Object),
        (status = 401, description = "No or a wrong token", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn openapi() -> axum::Json<utoipa::openapi::OpenApi> {
    axum::Json(super::ApiDoc::openapi())
}
