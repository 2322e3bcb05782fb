//! The HTTP API over a real SQLite file: every endpoint through `router(state).oneshot(..)`, a
//! table of bad inputs, auth, idempotency, cancel, pagination, inbound listing, health, metrics
//! and the OpenAPI document; then one test over real loopback HTTP with a hyper client and the
//! `smsgate send` / `smsgate status` binary.

// A test unwraps its own fixtures; the lints guard the service's code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use jiff::Timestamp;
use serde_json::{Value, json};
use tower::ServiceExt;

use common::http::{call, json_request, state_with};
use common::temp_db;
use smsgate::config::Config;
use smsgate::http::{AppState, router};
use smsgate::modem::{Health, Identity, ModemState, ModemStatus};
use smsgate::store::{NewInboundPart, Store};

const TOKEN: &str = "crm-0123456789abcdef";
const OPS_TOKEN: &str = "ops-fedcba9876543210";

/// Two tokens, small limits so the "too large" rows are cheap, one configured modem.
const CONFIG: &str = r#"
[http]
max_body_bytes = 2048
[[http.tokens]]
name = "crm"
token = "crm-0123456789abcdef"
[[http.tokens]]
name = "ops"
token = "ops-fedcba9876543210"
[queue]
max_parts = 3
[[modems]]
name = "sim0"
device = "/dev/null"
"#;

fn modem(name: &str, state: ModemState) -> ModemStatus {
    ModemStatus {
        name: name.into(),
        device: format!("/dev/tty-{name}"),
        state,
        identity: Some(Identity {
            manufacturer: "Quectel".into(),
            model: "EC25".into(),
            revision: "EC25EFAR06A06M4G".into(),
            imei: "867962040000001".into(),
            imsi: None,
            iccid: None,
        }),
        health: Health {
            rssi: Some(20),
            signal_dbm: Some(-73),
            registered: true,
            operator: Some("NTT DOCOMO".into()),
        },
        sent: 3,
        received: 2,
        errors: 1,
        last_error: None,
    }
}

struct Env {
    app: Router,
    state: AppState,
}

fn env_with(name: &str, config: &str, modems: Vec<ModemStatus>) -> Env {
    let store = Store::open(temp_db(name)).unwrap();
    let state = state_with(config, store, Vec::new(), modems);
    Env {
        app: router(state.clone()),
        state,
    }
}

fn env(name: &str) -> Env {
    env_with(name, CONFIG, vec![modem("sim0", ModemState::Ready)])
}

/// A request with the crm token and, when given, a JSON body.
fn req(method: Method, uri: &str, body: Option<Value>) -> Request<Body> {
    json_request(TOKEN, method, uri, body)
}

async fn post(app: &Router, body: Value) -> (StatusCode, Value) {
    call(app, req(Method::POST, "/api/v1/messages", Some(body))).await
}

async fn get(app: &Router, uri: &str) -> (StatusCode, Value) {
    call(app, req(Method::GET, uri, None)).await
}

fn assert_error(body: &Value, code: &str, what: &str) {
    assert_eq!(body["error"]["code"], code, "{what}: {body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{what}: {body}"
    );
}

#[tokio::test]
async fn send_then_get() {
    let e = env("send");
    let woken = e.state.dispatch.notified();
    tokio::pin!(woken);
    woken.as_mut().enable();

    let (status, body) = post(
        &e.app,
        json!({"to": "+819012345678", "text": "Your code is 123456", "priority": 5}),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let id = body["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("msg_"));
    assert_eq!(body["state"], "queued");
    assert_eq!(body["direction"], "out");
    assert_eq!(body["encoding"], "gsm7");
    assert_eq!(body["parts"], 1);
    assert_eq!(body["priority"], 5);
    assert_eq!(body["created_by"], "crm");
    assert_eq!(body["recipients"][0]["to"], "+819012345678");
    assert_eq!(body["recipients"][0]["state"], "queued");
    assert!(body["created_at"].as_str().unwrap().ends_with('Z'));
    assert!(body["expires_at"].is_string(), "default ttl applies");
    // The dispatcher was woken: the permit is there already, nothing waits.
    assert!(futures_ready(woken.as_mut()), "dispatcher not woken");
    assert_eq!(e.state.metrics.counts().0, 1);

    let (status, got) = get(&e.app, &format!("/api/v1/messages/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got, body, "GET returns what POST did");

    // The audit log names the token.
    let audit = e.state.store.audit_log(10).await.unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].token, "crm");
    assert_eq!(audit[0].action, "message.create");
    assert_eq!(audit[0].target.as_deref(), Some(id.as_str()));
}

/// Whether a pinned `Notified` completes without waiting (polled once with a no-op waker).
fn futures_ready(n: std::pin::Pin<&mut tokio::sync::futures::Notified<'_>>) -> bool {
    use std::future::Future;
    use std::task::{Context, Poll, Waker};
    let mut cx = Context::from_waker(Waker::noop());
    matches!(n.poll(&mut cx), Poll::Ready(()))
}

#[tokio::test]
async fn several_recipients_ucs2_and_parts() {
    let e = env("multi");
    let text = "こんにちは".repeat(20); // 100 UTF-16 units: 2 parts of UCS-2
    let (status, body) = post(
        &e.app,
        json!({"to": ["+819012345678", "0312345678", "+4915112345678"], "text": text,
               "send_at": "2030-01-01T09:00:00+09:00", "ttl": 60, "modem": "sim0",
               "status_report": true}),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["encoding"], "ucs2");
    assert_eq!(body["parts"], 2);
    assert_eq!(body["modem"], "sim0");
    assert_eq!(body["send_at"], "2030-01-01T00:00:00Z");
    assert_eq!(body["expires_at"], "2030-01-01T00:01:00Z");
    let to: Vec<&str> = body["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["to"].as_str().unwrap())
        .collect();
    assert_eq!(to, ["+819012345678", "0312345678", "+4915112345678"]);
}

/// With `[support] country = "JP"` recipients are written as people write them and stored in
/// E.164; a short code stays as it is; a digit too many is `422 invalid_number`; the `to`
/// filter takes the typed forms too.
#[tokio::test]
async fn recipients_as_people_type_them() {
    let config = format!("{CONFIG}\n[support]\ncountry = \"JP\"\n");
    let e = env_with("typed", &config, vec![modem("sim0", ModemState::Ready)]);
    let (status, body) = post(
        &e.app,
        json!({"to": ["090-1234-5678", "(03) 1234-5678", "+1 650 253 0000", "110"],
               "text": "hi"}),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let to: Vec<&str> = body["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["to"].as_str().unwrap())
        .collect();
    assert_eq!(to, ["+819012345678", "+81312345678", "+16502530000", "110"]);

    let (_, page) = get(
        &e.app,
        "/api/v1/messages?to=%EF%BC%90%EF%BC%99%EF%BC%90-1234-5678",
    )
    .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1, "{page}");

    let (status, body) = post(&e.app, json!({"to": "090-1234-56789", "text": "hi"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_error(&body, "invalid_number", "a digit too many");
}

#[tokio::test]
async fn bad_inputs_are_4xx_json() {
    let e = env("bad");
    let long = "x".repeat(153 * 3 + 1); // 4 parts, max_parts is 3
    let huge = "x".repeat(3000); // over max_body_bytes = 2048
    let ok = |extra: Value| {
        let mut v = json!({"to": "+819012345678", "text": "hi"});
        for (k, x) in extra.as_object().unwrap() {
            v[k] = x.clone();
        }
        v
    };
    let post_raw = |ct: Option<&str>, body: String| {
        let mut b = Request::builder()
            .method(Method::POST)
            .uri("/api/v1/messages")
            .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"));
        if let Some(ct) = ct {
            b = b.header(header::CONTENT_TYPE, ct);
        }
        b.body(Body::from(body)).unwrap()
    };
    let post_json = |v: Value| req(Method::POST, "/api/v1/messages", Some(v));
    let get_ = |uri: &str| req(Method::GET, uri, None);
    // (name, request, status, code)
    let cases: Vec<(&str, Request<Body>, StatusCode, &str)> = vec![
        (
            "letters in an international number",
            post_json(ok(json!({"to": "+81abc"}))),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_number",
        ),
        (
            "empty number",
            post_json(ok(json!({"to": ""}))),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_number",
        ),
        (
            "one bad number among good ones",
            post_json(ok(json!({"to": ["+819012345678", "12-3x"]}))),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_number",
        ),
        (
            "no recipients",
            post_json(ok(json!({"to": []}))),
            StatusCode::UNPROCESSABLE_ENTITY,
            "no_recipients",
        ),
        (
            "empty text",
            post_json(ok(json!({"text": ""}))),
            StatusCode::UNPROCESSABLE_ENTITY,
            "empty_text",
        ),
        (
            "text over max_parts",
            post_json(ok(json!({"text": long}))),
            StatusCode::UNPROCESSABLE_ENTITY,
            "too_many_parts",
        ),
        (
            "unknown field",
            post_json(ok(json!({"colour": "red"}))),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "missing text",
            post_json(json!({"to": "+819012345678"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "number as a JSON number",
            post_json(ok(json!({"to": 819012345678u64}))),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "priority as a string",
            post_json(ok(json!({"priority": "high"}))),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "negative ttl",
            post_json(ok(json!({"ttl": -1}))),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "zero ttl",
            post_json(ok(json!({"ttl": 0}))),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_ttl",
        ),
        (
            "send_at without an offset",
            post_json(ok(json!({"send_at": "2030-01-01 09:00"}))),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_send_at",
        ),
        (
            "unknown modem",
            post_json(ok(json!({"modem": "nope"}))),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_modem",
        ),
        (
            "empty client id",
            post_json(ok(json!({"id": ""}))),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_id",
        ),
        (
            "client id too long",
            post_json(ok(json!({"id": "k".repeat(129)}))),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_id",
        ),
        (
            "JSON syntax",
            post_raw(Some("application/json"), "{\"to\": ".into()),
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
        (
            "not an object",
            post_raw(Some("application/json"), "[1, 2]".into()),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "no content type",
            post_raw(None, ok(json!({})).to_string()),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            "form content type",
            post_raw(Some("application/x-www-form-urlencoded"), "to=1".into()),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            "body over max_body_bytes",
            post_json(ok(json!({"text": huge}))),
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
        (
            "unknown message",
            get_("/api/v1/messages/msg_nope"),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            "unknown inbound message",
            get_("/api/v1/messages/in_nope"),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            "cancel an unknown message",
            req(Method::DELETE, "/api/v1/messages/msg_nope", None),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            "unknown route",
            get_("/api/v2/messages"),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            "wrong method",
            req(Method::PUT, "/api/v1/messages", None),
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
        (
            "unknown direction",
            get_("/api/v1/messages?direction=sideways"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_query",
        ),
        (
            "limit zero",
            get_("/api/v1/messages?limit=0"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_query",
        ),
        (
            "limit too large",
            get_("/api/v1/messages?limit=501"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_query",
        ),
        (
            "limit not a number",
            get_("/api/v1/messages?limit=ten"),
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
        (
            "unknown query parameter",
            get_("/api/v1/messages?colour=red"),
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
        (
            "unknown state",
            get_("/api/v1/messages?state=lost"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_query",
        ),
        (
            "since not RFC 3339",
            get_("/api/v1/messages?since=yesterday"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_query",
        ),
        (
            "unknown cursor",
            get_("/api/v1/messages?cursor=msg_nope"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        ),
        (
            "bad to filter",
            get_("/api/v1/messages?to=abc"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_number",
        ),
        (
            "from on outbound",
            get_("/api/v1/messages?from=%2B8190"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_query",
        ),
        (
            "state on inbound",
            get_("/api/v1/messages?direction=in&state=queued"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_query",
        ),
    ];
    for (name, request, want_status, want_code) in cases {
        let (status, body) = call(&e.app, request).await;
        assert_eq!(status, want_status, "{name}: {body}");
        assert_error(&body, want_code, name);
    }
    // None of them queued anything.
    let (_, page) = get(&e.app, "/api/v1/messages").await;
    assert_eq!(page["items"], json!([]));
    // Every rejected POST and DELETE is audited, those rejected before the handler too.
    let audit = e.state.store.audit_log(100).await.unwrap();
    let rejected = audit
        .iter()
        .filter(|a| a.action.ends_with(".rejected") && a.token == "crm")
        .count();
    assert_eq!(rejected, 22, "{audit:?}");
    assert!(
        audit
            .iter()
            .any(|a| a.action == "message.cancel.rejected"
                && a.target.as_deref() == Some("msg_nope"))
    );
}

#[tokio::test]
async fn auth() {
    let e = env("auth");
    let routes = [
        (Method::GET, "/api/v1/messages"),
        (Method::POST, "/api/v1/messages"),
        (Method::GET, "/api/v1/messages/msg_x"),
        (Method::DELETE, "/api/v1/messages/msg_x"),
        (Method::GET, "/api/v1/modems"),
        (Method::GET, "/api/v1/openapi.json"),
        (Method::GET, "/metrics"),
    ];
    let headers: [(&str, Option<String>); 5] = [
        ("missing", None),
        ("wrong token", Some("Bearer crm-0123456789abcdeX".into())),
        ("prefix of a token", Some("Bearer crm-0123456789".into())),
        ("wrong scheme", Some(format!("Basic {TOKEN}"))),
        ("bare token", Some(TOKEN.into())),
    ];
    for (method, uri) in &routes {
        for (name, value) in &headers {
            let mut b = Request::builder().method(method.clone()).uri(*uri);
            if let Some(v) = value {
                b = b.header(header::AUTHORIZATION, v);
            }
            let resp = e
                .app
                .clone()
                .oneshot(b.body(Body::empty()).unwrap())
                .await
                .unwrap();
            assert_eq!(
                resp.status(),
                StatusCode::UNAUTHORIZED,
                "{method} {uri} {name}"
            );
            assert_eq!(resp.headers()[header::WWW_AUTHENTICATE], "Bearer");
            let bytes = resp.into_body().collect().await.unwrap().to_bytes();
            let body: Value = serde_json::from_slice(&bytes).unwrap();
            assert_error(&body, "unauthorized", name);
        }
    }
    // The right tokens pass, each under its own name.
    let (status, _) = get(&e.app, "/api/v1/modems").await;
    assert_eq!(status, StatusCode::OK);
    let r = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/messages")
        .header(header::AUTHORIZATION, format!("bearer {OPS_TOKEN}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"to":"+819012345678","text":"hi"}"#))
        .unwrap();
    let (status, body) = call(&e.app, r).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["created_by"], "ops");
    // /health needs none.
    let r = Request::builder()
        .uri("/health")
        .body(Body::empty())
        .unwrap();
    let (status, _) = call(&e.app, r).await;
    assert_eq!(status, StatusCode::OK);
}

#[test]
fn token_comparison_is_the_constant_time_one() {
    // The middleware goes through `find_token` (subtle's ct_eq over every token); this pins its
    // behaviour from outside the crate.
    let config = Config::parse(CONFIG, Path::new("test.toml")).unwrap();
    let tokens = &config.http.tokens;
    use smsgate::http::auth::find_token;
    assert_eq!(find_token(tokens, TOKEN.as_bytes()), Some("crm"));
    assert_eq!(find_token(tokens, OPS_TOKEN.as_bytes()), Some("ops"));
    assert_eq!(find_token(tokens, b"crm-0123456789abcdeg"), None);
    assert_eq!(find_token(tokens, b""), None);
}

#[tokio::test]
async fn without_tokens_requests_are_local() {
    let e = env_with("local", "", vec![]);
    let r = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/messages")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"to":"+819012345678","text":"hi"}"#))
        .unwrap();
    let (status, body) = call(&e.app, r).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["created_by"], "local");
    let id = body["id"].as_str().unwrap();
    let r = Request::builder()
        .method(Method::DELETE)
        .uri(format!("/api/v1/messages/{id}"))
        .body(Body::empty())
        .unwrap();
    let (status, _) = call(&e.app, r).await;
    assert_eq!(status, StatusCode::OK);
    let audit = e.state.store.audit_log(10).await.unwrap();
    let actions: Vec<(&str, &str)> = audit
        .iter()
        .map(|a| (a.token.as_str(), a.action.as_str()))
        .collect();
    assert_eq!(
        actions,
        [("local", "message.cancel"), ("local", "message.create")]
    );
}

#[tokio::test]
async fn idempotency() {
    let e = env("idem");
    let body = json!({"id": "order-42", "to": "+819012345678", "text": "Shipped"});
    let (s1, first) = post(&e.app, body.clone()).await;
    let (s2, again) = post(&e.app, body).await;
    assert_eq!(s1, StatusCode::ACCEPTED);
    assert_eq!(s2, StatusCode::OK, "a replay returns the existing message");
    assert_eq!(first["id"], again["id"]);
    assert_eq!(first["client_id"], "order-42");
    assert_eq!(
        e.state.metrics.counts().0,
        1,
        "a replay is not a new message"
    );

    let (status, err) = post(
        &e.app,
        json!({"id": "order-42", "to": "+819012345678", "text": "Cancelled"}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_error(&err, "idempotency_conflict", "different body");

    let (_, page) = get(&e.app, "/api/v1/messages").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn cancel_queued_then_not() {
    let e = env("cancel");
    let (_, a) = post(&e.app, json!({"to": "+819012345678", "text": "a"})).await;
    let a = a["id"].as_str().unwrap().to_owned();
    let uri = format!("/api/v1/messages/{a}");
    let (status, body) = call(&e.app, req(Method::DELETE, &uri, None)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "cancelled");
    assert_eq!(body["recipients"][0]["state"], "cancelled");
    let (status, body) = call(&e.app, req(Method::DELETE, &uri, None)).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_error(&body, "invalid_state", "cancel twice");

    // Once the dispatcher claimed it, it is too late.
    let (_, b) = post(&e.app, json!({"to": "+819012345678", "text": "b"})).await;
    let b = b["id"].as_str().unwrap().to_owned();
    let claimed = e
        .state
        .store
        .claim_due(Timestamp::now(), 10, None)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    let uri = format!("/api/v1/messages/{b}");
    let (status, body) = call(&e.app, req(Method::DELETE, &uri, None)).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_error(&body, "invalid_state", "cancel while sending");
    let (_, got) = get(&e.app, &uri).await;
    assert_eq!(got["state"], "sending");

    let audit = e.state.store.audit_log(10).await.unwrap();
    let cancels: Vec<&str> = audit
        .iter()
        .filter(|x| x.action.starts_with("message.cancel"))
        .map(|x| x.action.as_str())
        .collect();
    assert_eq!(
        cancels,
        [
            "message.cancel.rejected",
            "message.cancel.rejected",
            "message.cancel"
        ]
    );
}

#[tokio::test]
async fn pagination_and_filters() {
    let e = env("page");
    let mut ids = Vec::new();
    for i in 0..7 {
        let to = if i % 2 == 0 {
            "+819011110000"
        } else {
            "+819022220000"
        };
        let (s, b) = post(&e.app, json!({"to": to, "text": format!("m{i}")})).await;
        assert_eq!(s, StatusCode::ACCEPTED);
        ids.push(b["id"].as_str().unwrap().to_owned());
    }
    ids.reverse(); // newest first

    let mut seen = Vec::new();
    let mut uri = "/api/v1/messages?limit=3".to_owned();
    loop {
        let (s, page) = get(&e.app, &uri).await;
        assert_eq!(s, StatusCode::OK, "{page}");
        for item in page["items"].as_array().unwrap() {
            seen.push(item["id"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(c) => uri = format!("/api/v1/messages?limit=3&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen, ids);

    // `to` (normalised) with paging.
    let (_, page) = get(&e.app, "/api/v1/messages?to=%2B819011110000&limit=2").await;
    let got: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(got, [ids[0].as_str(), ids[2].as_str()]);
    let c = page["next_cursor"].as_str().unwrap();
    let (_, page) = get(
        &e.app,
        &format!("/api/v1/messages?to=%2B819011110000&limit=2&cursor={c}"),
    )
    .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 2);

    // state
    let uri = format!("/api/v1/messages/{}", ids[0]);
    call(&e.app, req(Method::DELETE, &uri, None)).await;
    let (_, page) = get(&e.app, "/api/v1/messages?state=cancelled").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["items"][0]["id"], ids[0]);
    assert_eq!(page["next_cursor"], Value::Null);

    // since: everything was created before now + 1 h.
    let (_, page) = get(&e.app, "/api/v1/messages?since=2000-01-01T00:00:00Z").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 7);
    let (_, page) = get(&e.app, "/api/v1/messages?since=2999-01-01T00:00:00Z").await;
    assert_eq!(page["items"], json!([]));
}

#[tokio::test]
async fn inbound_listing() {
    let e = env("inbound");
    let now = Timestamp::now();
    let part = |sender: &str, reference: u16, total: u8, seq: u8, text: &str| NewInboundPart {
        modem: "sim0".into(),
        sender: sender.into(),
        reference,
        total,
        seq,
        pdu_hex: format!("00{reference:04X}{seq:02X}{}", text.len()),
        text: text.into(),
        smsc_at: Some(now),
    };
    let store = &e.state.store;
    store
        .insert_inbound_part(part("+819033330000", 0, 1, 1, "STOP"), now)
        .await
        .unwrap();
    store
        .insert_inbound_part(part("+819044440000", 7, 2, 2, "world"), now)
        .await
        .unwrap();
    store
        .insert_inbound_part(part("+819044440000", 7, 2, 1, "hello "), now)
        .await
        .unwrap();
    store
        .insert_inbound_part(part("MyBank", 0, 1, 1, "code 1"), now)
        .await
        .unwrap();

    let (s, page) = get(&e.app, "/api/v1/messages?direction=in").await;
    assert_eq!(s, StatusCode::OK, "{page}");
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    let two = &items[1];
    assert_eq!(two["direction"], "in");
    assert_eq!(two["from"], "+819044440000");
    assert_eq!(two["text"], "hello world");
    assert_eq!(two["modem"], "sim0");
    assert_eq!(two["parts"], 2);
    assert_eq!(two["complete"], true);
    assert!(two["received_at"].is_string());
    assert!(two["id"].as_str().unwrap().starts_with("in_"));

    let (_, page) = get(&e.app, "/api/v1/messages?direction=in&from=MyBank").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["items"][0]["text"], "code 1");
    let (_, page) = get(
        &e.app,
        "/api/v1/messages?direction=in&from=%2B819033330000&limit=1",
    )
    .await;
    assert_eq!(page["items"][0]["text"], "STOP");

    let (_, page) = get(&e.app, "/api/v1/messages?direction=in&limit=2").await;
    let c = page["next_cursor"].as_str().unwrap();
    let (_, rest) = get(&e.app, &format!("/api/v1/messages?direction=in&cursor={c}")).await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert_eq!(rest["next_cursor"], Value::Null);

    let id = two["id"].as_str().unwrap();
    let (s, one) = get(&e.app, &format!("/api/v1/messages/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(&one, two);
}

#[tokio::test]
async fn modems_and_health() {
    let e = env_with(
        "health",
        CONFIG,
        vec![
            modem("sim0", ModemState::Ready),
            modem("sim1", ModemState::Recovering),
        ],
    );
    let (s, list) = get(&e.app, "/api/v1/modems").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list[0]["name"], "sim0");
    assert_eq!(list[0]["device"], "/dev/tty-sim0");
    assert_eq!(list[0]["state"], "ready");
    assert_eq!(list[0]["signal"], -73);
    assert_eq!(list[0]["operator"], "NTT DOCOMO");
    assert_eq!(list[0]["registered"], true);
    assert_eq!(list[0]["imei"], "867962040000001");
    assert_eq!(list[0]["sent"], 3);
    assert_eq!(list[0]["received"], 2);
    assert_eq!(list[0]["errors"], 1);
    assert_eq!(list[1]["state"], "recovering");

    let health = |app: Router| async move {
        let r = Request::builder()
            .uri("/health")
            .body(Body::empty())
            .unwrap();
        call(&app, r).await
    };
    let (s, h) = health(e.app.clone()).await;
    assert_eq!(s, StatusCode::OK, "{h}");
    assert_eq!(h["status"], "ok");
    assert_eq!(h["modems_ready"], 1);

    let down = env_with(
        "health-down",
        CONFIG,
        vec![modem("sim0", ModemState::Failed)],
    );
    let (s, h) = health(down.app.clone()).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(h["status"], "unavailable");
    assert!(h["reasons"][0].as_str().unwrap().contains("ready"), "{h}");

    let none = env_with("health-none", CONFIG, vec![]);
    let (s, h) = health(none.app.clone()).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        h["reasons"][0].as_str().unwrap().contains("no modem"),
        "{h}"
    );

    // A closed store does not take writes.
    e.state.store.close().await.unwrap();
    let (s, h) = health(e.app.clone()).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(h["store"], "unavailable");
}

#[tokio::test]
async fn metrics_text() {
    let e = env("metrics");
    post(
        &e.app,
        json!({"to": ["+819012345678", "+819012345679"], "text": "m"}),
    )
    .await;
    e.state.metrics.inc_sent();
    e.state.metrics.inc_failed();
    e.state.metrics.inc_received();
    e.state.metrics.observe_send_latency(2.5);
    let resp = e
        .app
        .clone()
        .oneshot(req(Method::GET, "/metrics", None))
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let text = String::from_utf8(
        resp.into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
    .unwrap();
    for want in [
        "smsgate_queue_depth 2",
        "smsgate_messages_accepted_total 1",
        "smsgate_parts_sent_total 1",
        "smsgate_send_failed_total 1",
        "smsgate_messages_received_total 1",
        "smsgate_parts_delivered_total 0",
        "smsgate_modem_signal_dbm{modem=\"sim0\"} -73",
        "smsgate_modem_state{modem=\"sim0\",state=\"ready\"} 1",
        "smsgate_send_latency_seconds_bucket",
        "smsgate_send_latency_seconds_count 1",
    ] {
        assert!(text.contains(want), "{want:?} missing from\n{text}");
    }
}

#[tokio::test]
async fn openapi_lists_every_path() {
    let e = env("openapi");
    let (s, doc) = get(&e.app, "/api/v1/openapi.json").await;
    assert_eq!(s, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for (path, methods) in [
        ("/api/v1/messages", &["get", "post"][..]),
        ("/api/v1/messages/{id}", &["get", "delete"]),
        ("/api/v1/modems", &["get"]),
        ("/api/v1/openapi.json", &["get"]),
        ("/health", &["get"]),
        ("/metrics", &["get"]),
    ] {
        for m in methods {
            assert!(paths[path].get(*m).is_some(), "{m} {path} missing");
        }
    }
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for s in [
        "SendRequest",
        "MessageView",
        "InboundView",
        "ListResponse",
        "ModemView",
        "ErrorBody",
    ] {
        assert!(schemas.contains_key(s), "schema {s} missing");
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    // deny_unknown_fields shows as additionalProperties: false.
    assert_eq!(schemas["SendRequest"]["additionalProperties"], false);
}

/// Runs the `smsgate` binary; returns (success, stdout, stderr).
async fn smsgate(args: &[&str]) -> (bool, String, String) {
    let out = tokio::process::Command::from(common::smsgate())
        .args(args)
        .output()
        .await
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loopback_http_and_cli() {
    use http_body_util::Full;
    use hyper::body::Bytes;
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::TokioExecutor;

    let e = env("loopback");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let url = format!("http://{addr}");
    let shutdown = tokio_util::sync::CancellationToken::new();
    let server = tokio::spawn(smsgate::http::serve(
        listener,
        e.state.clone(),
        shutdown.clone(),
    ));

    // A hyper client: POST, then GET it back.
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let post = Request::builder()
        .method(Method::POST)
        .uri(format!("{url}/api/v1/messages"))
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(
            json!({"to": "+819012345678", "text": "over loopback"}).to_string(),
        )))
        .unwrap();
    let resp = client.request(post).await.unwrap();
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    let created: Value =
        serde_json::from_slice(&resp.into_body().collect().await.unwrap().to_bytes()).unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    let get = Request::builder()
        .uri(format!("{url}/api/v1/messages/{id}"))
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .body(Full::new(Bytes::new()))
        .unwrap();
    let resp = client.request(get).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let got: Value =
        serde_json::from_slice(&resp.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert_eq!(got["id"], created["id"]);
    assert_eq!(got["text"], "over loopback");
    drop(client);

    // The CLI with flags.
    let (ok, out, err) = smsgate(&[
        "send",
        "--to",
        "+819012345678",
        "from the CLI",
        "--url",
        &url,
        "--token",
        TOKEN,
    ])
    .await;
    assert!(ok, "send failed: {err}");
    let sent: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(sent["state"], "queued");
    assert_eq!(sent["text"], "from the CLI");
    let cli_id = sent["id"].as_str().unwrap();

    let (ok, out, err) = smsgate(&["status", cli_id, "--url", &url, "--token", TOKEN]).await;
    assert!(ok, "status failed: {err}");
    let status: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(status["id"], cli_id);

    // URL and token from the config file.
    let dir = temp_db("loopback-config");
    let config_path = dir.with_file_name("smsgate.toml");
    std::fs::write(
        &config_path,
        CONFIG.replace("[http]\n", &format!("[http]\nlisten = \"{addr}\"\n")),
    )
    .unwrap();
    let config_arg = config_path.to_str().unwrap();
    let (ok, out, err) = smsgate(&["status", &id, "--config", config_arg]).await;
    assert!(ok, "status --config failed: {err}");
    assert_eq!(
        serde_json::from_str::<Value>(&out).unwrap()["id"],
        id.as_str()
    );
    let (ok, out, err) = smsgate(&["status", "--config", config_arg]).await;
    assert!(ok, "gateway status failed: {err}");
    let overview: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(overview["health"]["status"], "ok");
    assert_eq!(overview["modems"][0]["name"], "sim0");

    // Failures: one line on stderr, non-zero exit.
    let failures: [(&str, Vec<&str>, &str); 4] = [
        (
            "wrong token",
            vec![
                "send",
                "--to",
                "+819012345678",
                "x",
                "--url",
                &url,
                "--token",
                "wrong-token-0000000",
            ],
            "401 unauthorized",
        ),
        (
            "bad number",
            vec!["send", "--to", "+81x", "x", "--url", &url, "--token", TOKEN],
            "422 invalid_number",
        ),
        (
            "unknown id",
            vec!["status", "msg_nope", "--url", &url, "--token", TOKEN],
            "404 not_found",
        ),
        (
            "nothing listening",
            vec!["status", "--url", "http://127.0.0.1:1"],
            "cannot reach",
        ),
    ];
    for (name, args, want) in failures {
        let (ok, out, err) = smsgate(&args).await;
        assert!(!ok, "{name}: succeeded: {out}");
        assert_eq!(err.trim_end().lines().count(), 1, "{name}: {err}");
        assert!(err.contains(want), "{name}: {err}");
    }

    shutdown.cancel();
    server.await.unwrap().unwrap();
}
