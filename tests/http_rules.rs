//! `/api/v1/rules` over a real SQLite file through `router(state).oneshot(..)`: the order of
//! config and API rules, replacing them (and what a bad rule is answered with), the dry-run
//! endpoint for opt keywords, business hours and acknowledgements, the audit log, and the API
//! rules surviving a restart.

// A test unwraps its own fixtures; the lints guard the service's code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::{Value, json};

use common::http::{call, json_request, state_with};
use common::temp_db;
use smsgate::http::{AppState, router};
use smsgate::rules::RuleSpec;
use smsgate::store::Store;

const TOKEN: &str = "crm-0123456789abcdef";

/// Business hours Mon–Fri 09:00–18:00 in Tokyo, acknowledgements, one config rule.
const CONFIG: &str = r#"
[[http.tokens]]
name = "crm"
token = "crm-0123456789abcdef"

[support]
timezone = "Asia/Tokyo"
holidays = ["2026-12-31"]
ack_open = "ack_open"
ack_closed = "ack_closed"

[support.hours]
mon = ["09:00-18:00"]
tue = ["09:00-18:00"]
wed = ["09:00-18:00"]
thu = ["09:00-18:00"]
fri = ["09:00-18:00"]

[support.templates]
ack_open = "Thanks, we answer within the hour."
ack_closed = "Thanks. We are open {hours}."
price = "料金はこちら: https://example.com/prices"
order = "We are checking order for {number}."

[[rules]]
name = "price"
keywords = ["料金", "price"]
actions = [{ reply = { template = "price" } }]
"#;

struct Env {
    app: Router,
    state: AppState,
    db: PathBuf,
}

/// The app over the database at `db`, with the API rules stored there (as `app::start` does).
async fn env_at(db: PathBuf) -> Env {
    let store = Store::open(&db).unwrap();
    let api: Vec<RuleSpec> = store
        .rules()
        .await
        .unwrap()
        .iter()
        .map(|r| serde_json::from_str(&r.spec).unwrap())
        .collect();
    let state = state_with(CONFIG, store, api, Vec::new());
    Env {
        app: router(state.clone()),
        state,
        db,
    }
}

async fn env(name: &str) -> Env {
    env_at(temp_db(name)).await
}

fn req(method: Method, uri: &str, body: Option<Value>) -> Request<Body> {
    json_request(TOKEN, method, uri, body)
}

fn api_rules() -> Value {
    json!({"rules": [
        {"name": "order", "regex": "(?i)order\\s*#?\\d+", "actions": [{"reply": {"template": "order"}}, "needs_human"]},
        {"name": "quiet-nights", "window": "closed", "actions": [{"tag": {"tag": "night"}}, "stop"]},
        {"name": "welcome", "first_contact": true, "actions": [{"tag": {"tag": "new"}}]},
    ]})
}

/// (source, name) of every rule in a listing.
fn names(body: &Value) -> Vec<(String, String)> {
    body["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["source"].as_str().unwrap().to_owned(),
                r["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn put_then_get_keeps_config_first_and_api_order() {
    let e = env("rules-order").await;
    let (status, body) = call(&e.app, req(Method::GET, "/api/v1/rules", None)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(names(&body), vec![("config".into(), "price".into())]);

    let (status, put) = call(&e.app, req(Method::PUT, "/api/v1/rules", Some(api_rules()))).await;
    assert_eq!(status, StatusCode::OK, "{put}");
    let (_, got) = call(&e.app, req(Method::GET, "/api/v1/rules", None)).await;
    assert_eq!(got, put);
    let want: Vec<(String, String)> = [
        ("config", "price"),
        ("api", "order"),
        ("api", "quiet-nights"),
        ("api", "welcome"),
    ]
    .iter()
    .map(|(s, n)| ((*s).into(), (*n).into()))
    .collect();
    assert_eq!(names(&got), want);
    assert_eq!(got["rules"][2]["index"], 2);
    assert_eq!(got["rules"][1]["actions"][1], "needs_human");
    assert_eq!(got["rules"][1]["regex"], "(?i)order\\s*#?\\d+");

    // A second PUT replaces, it does not append.
    let one = json!({"rules": [{"name": "only", "any": true, "actions": ["needs_human"]}]});
    let (status, _) = call(&e.app, req(Method::PUT, "/api/v1/rules", Some(one))).await;
    assert_eq!(status, StatusCode::OK);
    let (_, got) = call(&e.app, req(Method::GET, "/api/v1/rules", None)).await;
    assert_eq!(
        names(&got),
        vec![
            ("config".into(), "price".into()),
            ("api".into(), "only".into())
        ]
    );
}

#[tokio::test]
async fn api_rules_survive_a_restart() {
    let e = env("rules-restart").await;
    let (status, _) = call(&e.app, req(Method::PUT, "/api/v1/rules", Some(api_rules()))).await;
    assert_eq!(status, StatusCode::OK);
    let db = e.db.clone();
    e.state.store.close().await.unwrap();
    let again = env_at(db).await;
    let (_, got) = call(&again.app, req(Method::GET, "/api/v1/rules", None)).await;
    assert_eq!(names(&got).len(), 4);
    assert_eq!(names(&got)[3], ("api".into(), "welcome".into()));
}

#[tokio::test]
async fn bad_rules_are_422_naming_the_rule_and_field_and_change_nothing() {
    let e = env("rules-bad").await;
    let (status, _) = call(&e.app, req(Method::PUT, "/api/v1/rules", Some(api_rules()))).await;
    assert_eq!(status, StatusCode::OK);
    // (name, body, status, code, substrings of the message)
    let cases: Vec<(&str, Value, StatusCode, &str, Vec<&str>)> = vec![
        (
            "bad regex",
            json!({"rules": [
                {"name": "fine", "any": true, "actions": ["stop"]},
                {"name": "broken", "regex": "(unclosed", "actions": ["stop"]},
            ]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_rule",
            vec!["rule 1", "\"broken\"", "regex"],
        ),
        (
            "unknown template",
            json!({"rules": [{"name": "t", "any": true, "actions": [{"reply": {"template": "nope"}}]}]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_rule",
            vec!["\"t\"", "actions", "\"nope\""],
        ),
        (
            "name of a config rule",
            json!({"rules": [{"name": "price", "any": true, "actions": ["stop"]}]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_rule",
            vec!["\"price\"", "name"],
        ),
        (
            "no condition",
            json!({"rules": [{"name": "x", "actions": ["stop"]}]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_rule",
            vec!["\"x\"", "any"],
        ),
        (
            "unknown field",
            json!({"rules": [{"name": "x", "any": true, "actions": ["stop"], "prio": 1}]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            vec!["prio"],
        ),
        (
            "unknown action",
            json!({"rules": [{"name": "x", "any": true, "actions": ["dance"]}]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            vec!["dance"],
        ),
        (
            "webhook that is no [[webhooks]] endpoint",
            json!({"rules": [{"name": "w", "any": true, "actions": [{"webhook": {"url": "http://10.0.0.9/x"}}]}]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_rule",
            vec!["\"w\"", "webhook", "10.0.0.9"],
        ),
    ];
    for (name, body, status, code, wants) in cases {
        let (got, resp) = call(&e.app, req(Method::PUT, "/api/v1/rules", Some(body))).await;
        assert_eq!(got, status, "{name}: {resp}");
        assert_eq!(resp["error"]["code"], code, "{name}: {resp}");
        let msg = resp["error"]["message"].as_str().unwrap();
        for w in wants {
            assert!(msg.contains(w), "{name}: {msg:?} lacks {w:?}");
        }
    }
    let (_, got) = call(&e.app, req(Method::GET, "/api/v1/rules", None)).await;
    assert_eq!(names(&got).len(), 4, "nothing changed");
    assert_eq!(e.state.store.rules().await.unwrap().len(), 3);

    // A template stored through the API may be replied with.
    let (status, _) = call(
        &e.app,
        req(
            Method::PUT,
            "/api/v1/templates/stored_only",
            Some(json!({"body": "From the API"})),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let body = json!({"rules": [{"name": "t", "any": true, "actions": [{"reply": {"template": "stored_only"}}]}]});
    let (status, resp) = call(&e.app, req(Method::PUT, "/api/v1/rules", Some(body))).await;
    assert_eq!(status, StatusCode::OK, "{resp}");
}

#[tokio::test]
async fn test_endpoint_table() {
    let e = env("rules-test").await;
    let (status, _) = call(&e.app, req(Method::PUT, "/api/v1/rules", Some(api_rules()))).await;
    assert_eq!(status, StatusCode::OK);
    // Monday 2026-11-23 in Tokyo: 10:00 open, 20:00 closed; 2026-12-31 is a holiday.
    let open = "2026-11-23T10:00:00+09:00";
    let closed = "2026-11-23T20:00:00+09:00";
    let holiday = "2026-12-31T10:00:00+09:00";
    // (name, request, expected fields)
    let cases: Vec<(&str, Value, Value)> = vec![
        (
            "full-width STOP opts out",
            json!({"text": "ＳＴＯＰ", "from": "+819012345678", "at": open}),
            json!({"opt": "stop", "rule": null, "acknowledgement": null,
                   "reply": {"template": "opt_out_confirm"}}),
        ),
        (
            "配信停止 opts out",
            json!({"text": "配信停止。", "from": "+819012345678", "at": open}),
            json!({"opt": "stop", "rule": null}),
        ),
        (
            "START opts in",
            json!({"text": "start", "from": "+819012345678", "at": open}),
            json!({"opt": "start", "reply": {"template": "opt_in_confirm"}}),
        ),
        (
            "keyword rule from the config",
            json!({"text": "料金 教えて", "from": "+819012345678", "at": open}),
            json!({"opt": null, "rule": "price", "index": 0, "open": true,
                   "reply": {"template": "price", "text": "料金はこちら: https://example.com/prices", "encoding": "ucs2", "parts": 1}}),
        ),
        (
            "regex rule renders the number",
            json!({"text": "where is order #1234", "from": "+819012345678", "at": open}),
            json!({"rule": "order", "index": 1,
                   "actions": [{"reply": {"template": "order"}}, "needs_human"],
                   "reply": {"text": "We are checking order for +819012345678.", "encoding": "gsm7"}}),
        ),
        (
            "no rule while open: open acknowledgement",
            json!({"text": "hello", "from": "+819012345678", "at": open}),
            json!({"rule": null, "open": true, "acknowledgement": "ack_open",
                   "reply": {"template": "ack_open", "text": "Thanks, we answer within the hour."}}),
        ),
        (
            "closed: the stop rule suppresses the acknowledgement",
            json!({"text": "hello", "from": "+819012345678", "at": closed}),
            json!({"rule": "quiet-nights", "open": false, "acknowledgement": null, "reply": null}),
        ),
        (
            "holiday counts as closed",
            json!({"text": "hello", "from": "+819012345678", "at": holiday}),
            json!({"rule": "quiet-nights", "open": false}),
        ),
        (
            "first contact while open: tag rule then acknowledgement",
            json!({"text": "hello", "from": "+819012345678", "at": open, "first_contact": true}),
            json!({"rule": "welcome", "acknowledgement": "ack_open"}),
        ),
        (
            "ongoing conversation: no acknowledgement",
            json!({"text": "hello", "from": "+819012345678", "at": open, "new_conversation": false}),
            json!({"rule": null, "acknowledgement": null, "reply": null}),
        ),
        (
            "short code sender: the guard refuses",
            json!({"text": "hello", "from": "12345", "at": open}),
            json!({"guard": {"sender": "short_code", "refused": "short_code"}}),
        ),
        (
            "number sender: the guard lets it through",
            json!({"text": "hello", "from": "+819012345678", "at": open}),
            json!({"guard": {"sender": "number", "refused": null}}),
        ),
    ];
    for (name, body, want) in cases {
        let (status, got) = call(&e.app, req(Method::POST, "/api/v1/rules/test", Some(body))).await;
        assert_eq!(status, StatusCode::OK, "{name}: {got}");
        assert_subset(name, &want, &got);
    }
}

/// Every field of `want` is in `got` with the same value (objects compared field by field).
fn assert_subset(name: &str, want: &Value, got: &Value) {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => {
            for (k, v) in w {
                let have = g
                    .get(k)
                    .unwrap_or_else(|| panic!("{name}: no {k:?} in {got}"));
                if v.is_object() && have.is_object() {
                    assert_subset(name, v, have);
                } else {
                    assert_eq!(v, have, "{name}: field {k:?} of {got}");
                }
            }
        }
        _ => assert_eq!(want, got, "{name}"),
    }
}

#[tokio::test]
async fn test_endpoint_rejects_bad_input() {
    let e = env("rules-test-bad").await;
    // (name, body, status, code)
    let cases = [
        (
            "bad at",
            json!({"text": "x", "from": "+1555", "at": "tomorrow"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_at",
        ),
        (
            "empty from",
            json!({"text": "x", "from": " "}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_from",
        ),
        (
            "missing text",
            json!({"from": "+1555"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
    ];
    for (name, body, status, code) in cases {
        let (got, resp) = call(&e.app, req(Method::POST, "/api/v1/rules/test", Some(body))).await;
        assert_eq!(got, status, "{name}: {resp}");
        assert_eq!(resp["error"]["code"], code, "{name}: {resp}");
    }
}

#[tokio::test]
async fn replacing_and_testing_are_audited_with_the_token() {
    let e = env("rules-audit").await;
    let (status, _) = call(&e.app, req(Method::PUT, "/api/v1/rules", Some(api_rules()))).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call(
        &e.app,
        req(
            Method::POST,
            "/api/v1/rules/test",
            Some(json!({"text": "hi", "from": "+1555"})),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let audit = e.state.store.audit_log(10).await.unwrap();
    let lines: Vec<(&str, &str, Option<&str>)> = audit
        .iter()
        .map(|a| (a.token.as_str(), a.action.as_str(), a.target.as_deref()))
        .collect();
    assert_eq!(
        lines,
        vec![
            ("crm", "rules.test", None),
            ("crm", "rules.replace", Some("3 rules")),
        ]
    );
    let stored = e.state.store.rules().await.unwrap();
    assert_eq!(stored[0].updated_by.as_deref(), Some("crm"));
    assert_eq!(stored[0].position, 1);

    // A rejected PUT changes nothing and is recorded as rejected, like every refused write.
    let bad = json!({"rules": [{"name": "x", "actions": ["stop"]}]});
    let (status, _) = call(&e.app, req(Method::PUT, "/api/v1/rules", Some(bad))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let audit = e.state.store.audit_log(10).await.unwrap();
    assert_eq!(audit.len(), 3);
    assert_eq!(
        (audit[0].action.as_str(), audit[0].target.as_deref()),
        ("request.rejected", Some("PUT /api/v1/rules"))
    );
    assert_eq!(e.state.store.rules().await.unwrap().len(), 3);
}

#[tokio::test]
async fn rules_need_a_token_and_are_in_the_openapi_document() {
    let e = env("rules-auth").await;
    let r = Request::builder()
        .uri("/api/v1/rules")
        .body(Body::empty())
        .unwrap();
    let (status, _) = call(&e.app, r).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (_, doc) = call(&e.app, req(Method::GET, "/api/v1/openapi.json", None)).await;
    assert!(doc["paths"]["/api/v1/rules"]["put"].is_object(), "{doc}");
    assert!(doc["paths"]["/api/v1/rules/test"]["post"].is_object());
    assert!(doc["components"]["schemas"]["RuleSpec"].is_object());
}
