//! The HTTP tests' app state, built as `app::start` builds it, and requests sent through
//! `router(state).oneshot(..)`.

use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::Value;
use tokio::sync::Notify;
use tower::ServiceExt;

use smsgate::config::Config;
use smsgate::http::AppState;
use smsgate::metrics::Metrics;
use smsgate::modem::ModemStatus;
use smsgate::rules::{Live, RuleSpec};
use smsgate::store::Store;

/// The state for the config `config_toml` over `store`: the config's rules followed by `api`,
/// the given modems, a fresh dispatcher wake-up and fresh metrics.
pub fn state_with(
    config_toml: &str,
    store: Store,
    api: Vec<RuleSpec>,
    modems: Vec<ModemStatus>,
) -> AppState {
    let config = Config::parse(config_toml, Path::new("test.toml")).unwrap();
    let rules = Arc::new(Live::new(&config.support, config.rules.clone(), api).unwrap());
    AppState {
        store,
        rules,
        config: Arc::new(config),
        modems: Arc::new(modems),
        dispatch: Arc::new(Notify::new()),
        release: Arc::new(Notify::new()),
        metrics: Arc::new(Metrics::new()),
        desk: Arc::new(smsgate::desk::Desk::default()),
    }
}

/// The state for `config_toml` over a fresh database named `db_name`, without API rules or
/// modems.
pub fn app_state(config_toml: &str, db_name: &str) -> AppState {
    let store = Store::open(super::temp_db(db_name)).unwrap();
    state_with(config_toml, store, Vec::new(), Vec::new())
}

/// A request with `token` and, when given, a body of a content type.
pub fn request(
    token: &str,
    method: Method,
    uri: &str,
    body: Option<(&str, Vec<u8>)>,
) -> Request<Body> {
    let b = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"));
    match body {
        Some((ct, bytes)) => b
            .header(header::CONTENT_TYPE, ct)
            .body(Body::from(bytes))
            .unwrap(),
        None => b.body(Body::empty()).unwrap(),
    }
}

/// A request with `token` and, when given, a JSON body.
pub fn json_request(token: &str, method: Method, uri: &str, body: Option<Value>) -> Request<Body> {
    request(
        token,
        method,
        uri,
        body.map(|v| ("application/json", v.to_string().into_bytes())),
    )
}

/// Sends `r`; returns the status, the content type and the raw body.
pub async fn raw(app: &Router, r: Request<Body>) -> (StatusCode, String, Vec<u8>) {
    let resp = app.clone().oneshot(r).await.unwrap();
    let status = resp.status();
    let ct = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let bytes = resp
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, ct, bytes)
}

/// Sends `r`; returns the status and the body (JSON, or a JSON string when it is not JSON).
pub async fn call(app: &Router, r: Request<Body>) -> (StatusCode, Value) {
    let (status, _, bytes) = raw(app, r).await;
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    (status, body)
}
