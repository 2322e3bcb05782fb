//! Conversations, daily reports and the audit log through the HTTP API, with
//! `router(state).oneshot(..)` over a real SQLite file: a staff reply queued at support priority
//! and its effect on the thread, the opt-out refusal, PATCH and its validation, reading versus
//! marking read, the report's JSON and its range checks, and who did what in the audit log.

// A test unwraps its own fixtures; the lints guard the service's code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::Router;
use axum::http::{Method, StatusCode};
use jiff::Timestamp;
use serde_json::{Value, json};

use common::http::{app_state, json_request};
use smsgate::http::router;
use smsgate::store::{InboundOutcome, NewInboundPart, Origin, Store};

const CRM: &str = "crm-0123456789abcdef";
const OPS: &str = "ops-fedcba9876543210";
const CUSTOMER: &str = "+819012345678";

const CONFIG: &str = r#"
[[http.tokens]]
name = "crm"
token = "crm-0123456789abcdef"
[[http.tokens]]
name = "ops"
token = "ops-fedcba9876543210"
[queue]
max_parts = 3
"#;

struct Env {
    app: Router,
    store: Store,
}

fn env(name: &str) -> Env {
    let state = app_state(CONFIG, name);
    Env {
        store: state.store.clone(),
        app: router(state),
    }
}

/// A message from `sender` received at `at`, recorded on its conversation as the inbound
/// pipeline does; returns the conversation id.
async fn inbound(store: &Store, sender: &str, at: Timestamp) -> String {
    let part = NewInboundPart {
        modem: "m0".into(),
        sender: sender.into(),
        reference: 0,
        total: 1,
        seq: 1,
        pdu_hex: format!("{:016X}", at.as_millisecond()),
        text: "where is my order?".into(),
        smsc_at: None,
    };
    let InboundOutcome::Completed(_) = store.insert_inbound_part(part, at).await.unwrap() else {
        panic!("a one-part message completes at once");
    };
    let sender = sender.to_owned();
    store
        .atomically(move |tx| tx.conversation_inbound(&sender, at))
        .await
        .unwrap()
        .0
        .id
}

async fn call(
    app: &Router,
    token: &str,
    method: Method,
    uri: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    common::http::call(app, json_request(token, method, uri, body)).await
}

async fn get(app: &Router, uri: &str) -> (StatusCode, Value) {
    call(app, CRM, Method::GET, uri, None).await
}

#[tokio::test]
async fn a_reply_is_queued_at_support_priority_and_answers_the_customer() {
    let e = env("reply");
    let id = inbound(&e.store, CUSTOMER, Timestamp::now()).await;

    let (status, before) = get(&e.app, &format!("/api/v1/conversations/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{before}");
    assert_eq!(before["conversation"]["state"], "open");
    assert_eq!(before["conversation"]["unread"], 1);
    assert_eq!(before["conversation"]["first_response_secs"], Value::Null);

    let uri = format!("/api/v1/conversations/{id}/reply");
    let (status, msg) = call(
        &e.app,
        CRM,
        Method::POST,
        &uri,
        Some(json!({"text": "It ships tomorrow."})),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{msg}");
    assert_eq!(msg["priority"], Origin::Reply.default_priority());
    assert_eq!(msg["priority"], 10);
    assert_eq!(msg["created_by"], "crm");
    assert_eq!(msg["recipients"][0]["to"], CUSTOMER);
    let msg_id = msg["id"].as_str().unwrap();
    let stored = e.store.get_message(msg_id).await.unwrap();
    assert_eq!(
        (stored.origin, stored.transactional),
        (Origin::Reply, false)
    );

    let (_, after) = get(&e.app, &format!("/api/v1/conversations/{id}")).await;
    let c = &after["conversation"];
    assert_eq!(c["state"], "waiting");
    assert_eq!(c["unread"], 0);
    assert!(c["first_response_at"].is_string(), "{after}");
    assert!(c["first_response_secs"].as_f64().unwrap() >= 0.0, "{after}");
    let dirs: Vec<(&str, &str)> = after["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["direction"].as_str().unwrap(), m["id"].as_str().unwrap()))
        .collect();
    assert_eq!(dirs.len(), 2);
    assert_eq!(dirs[0].0, "in");
    assert_eq!(dirs[1], ("out", msg_id));
    assert_eq!(after["messages"][1]["origin"], "reply");
    assert_eq!(after["messages"][1]["state"], "queued");

    let audit = e.store.audit_log(10).await.unwrap();
    assert_eq!(
        (
            audit[0].token.as_str(),
            audit[0].action.as_str(),
            audit[0].target.as_deref()
        ),
        ("crm", "conversation.reply", Some(msg_id))
    );

    // Bad replies: named cases, each refused before anything is queued.
    let cases: &[(&str, &str, Value, StatusCode, &str)] = &[
        (
            "empty text",
            &uri,
            json!({"text": ""}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "empty_text",
        ),
        (
            "too many parts",
            &uri,
            json!({"text": "x".repeat(161 * 3)}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "too_many_parts",
        ),
        (
            "unknown field",
            &uri,
            json!({"text": "hi", "priority": 99}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "no such conversation",
            "/api/v1/conversations/conv_nope/reply",
            json!({"text": "hi"}),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
    ];
    for (name, uri, body, want, code) in cases {
        let (status, body) = call(&e.app, CRM, Method::POST, uri, Some(body.clone())).await;
        assert_eq!(status, *want, "{name}: {body}");
        assert_eq!(body["error"]["code"], *code, "{name}: {body}");
    }
    let (_, thread) = get(&e.app, &format!("/api/v1/conversations/{id}")).await;
    assert_eq!(thread["messages"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_reply_to_an_opted_out_number_is_refused_and_audited() {
    let e = env("opted-out");
    let id = inbound(&e.store, CUSTOMER, Timestamp::now()).await;
    e.store
        .set_consent(CUSTOMER, true, "sms:in_1", Timestamp::now())
        .await
        .unwrap();
    let (status, body) = call(
        &e.app,
        OPS,
        Method::POST,
        &format!("/api/v1/conversations/{id}/reply"),
        Some(json!({"text": "Are you still there?"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "opted_out");
    let (_, thread) = get(&e.app, &format!("/api/v1/conversations/{id}")).await;
    assert_eq!(
        thread["messages"].as_array().unwrap().len(),
        1,
        "nothing queued"
    );
    assert_eq!(thread["conversation"]["state"], "open");
    let audit = e.store.audit_log(10).await.unwrap();
    assert_eq!(
        (
            audit[0].token.as_str(),
            audit[0].action.as_str(),
            audit[0].target.as_deref()
        ),
        ("ops", "conversation.reply.rejected", Some(id.as_str()))
    );
}

#[tokio::test]
async fn patch_changes_state_assignee_notes_and_tags() {
    let e = env("patch");
    let id = inbound(&e.store, CUSTOMER, Timestamp::now()).await;
    let uri = format!("/api/v1/conversations/{id}");

    let (status, c) = call(
        &e.app,
        OPS,
        Method::PATCH,
        &uri,
        Some(json!({"assignee": "aiko", "notes": "VIP", "add_tags": ["billing", "vip"]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(
        (c["assignee"].as_str(), c["notes"].as_str()),
        (Some("aiko"), Some("VIP"))
    );
    assert_eq!(c["tags"], json!(["billing", "vip"]));

    let (status, c) = call(
        &e.app,
        OPS,
        Method::PATCH,
        &uri,
        Some(json!({"state": "closed", "assignee": null, "remove_tags": ["vip"]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(c["state"], "closed");
    assert_eq!(c["assignee"], Value::Null);
    assert_eq!(c["tags"], json!(["billing"]));
    assert!(c["resolved_at"].is_string(), "{c}");
    assert!(c["resolution_secs"].as_f64().unwrap() >= 0.0, "{c}");

    let cases: &[(&str, &str, Value, StatusCode, &str, &str)] = &[
        (
            "bad state names the field",
            &uri,
            json!({"state": "done"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            "state:",
        ),
        (
            "unknown field",
            &uri,
            json!({"priority": 1}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            "priority",
        ),
        (
            "blank assignee",
            &uri,
            json!({"assignee": ""}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            "assignee:",
        ),
        (
            "nothing to change",
            &uri,
            json!({}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            "nothing to change",
        ),
        (
            "no such conversation",
            "/api/v1/conversations/conv_nope",
            json!({"state": "open"}),
            StatusCode::NOT_FOUND,
            "not_found",
            "conv_nope",
        ),
    ];
    for (name, uri, body, want, code, says) in cases {
        let (status, body) = call(&e.app, OPS, Method::PATCH, uri, Some(body.clone())).await;
        assert_eq!(status, *want, "{name}: {body}");
        assert_eq!(body["error"]["code"], *code, "{name}: {body}");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{name}: {message}");
    }

    let audit = e.store.audit_log(20).await.unwrap();
    let lines: Vec<(&str, &str, Option<&str>)> = audit
        .iter()
        .rev()
        .map(|a| (a.token.as_str(), a.action.as_str(), a.target.as_deref()))
        .collect();
    let rejected = ("ops", "conversation.update.rejected", Some(id.as_str()));
    assert_eq!(
        lines,
        [
            ("ops", "conversation.update", Some(id.as_str())),
            ("ops", "conversation.update", Some(id.as_str())),
            rejected,
            rejected,
            rejected,
            rejected,
            ("ops", "conversation.update.rejected", Some("conv_nope")),
        ]
    );
}

#[tokio::test]
async fn a_conversation_holds_at_most_max_tags() {
    let e = env("patch_tags");
    let id = inbound(&e.store, CUSTOMER, Timestamp::now()).await;
    let uri = format!("/api/v1/conversations/{id}");
    let tags = |prefix: &str| -> Vec<String> { (0..50).map(|i| format!("{prefix}{i}")).collect() };
    let (status, c) = call(
        &e.app,
        OPS,
        Method::PATCH,
        &uri,
        Some(json!({"add_tags": tags("a")})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    // Each request is within its 50, but the conversation would hold 100.
    let (status, c) = call(
        &e.app,
        OPS,
        Method::PATCH,
        &uri,
        Some(json!({"add_tags": tags("b")})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{c}");
    assert!(
        c["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("add_tags"),
        "{c}"
    );
    let (_, c) = get(&e.app, &uri).await;
    assert_eq!(
        c["conversation"]["tags"].as_array().map(Vec::len),
        Some(50),
        "{c}"
    );
    // Replacing some is fine.
    let swap = json!({"add_tags": ["b0"], "remove_tags": ["a0"]});
    let (status, c) = call(&e.app, OPS, Method::PATCH, &uri, Some(swap)).await;
    assert_eq!(status, StatusCode::OK, "{c}");
}

#[tokio::test]
async fn reading_does_not_write_and_marking_read_does() {
    let e = env("read");
    let now = Timestamp::now();
    let ms = |n: i64| now + jiff::SignedDuration::from_millis(n);
    let a = inbound(&e.store, CUSTOMER, ms(0)).await;
    inbound(&e.store, CUSTOMER, ms(1)).await;
    let b = inbound(&e.store, "+818011112222", ms(2)).await;

    for _ in 0..2 {
        let (_, c) = get(&e.app, &format!("/api/v1/conversations/{a}")).await;
        assert_eq!(c["conversation"]["unread"], 2);
    }
    let (status, c) = call(
        &e.app,
        CRM,
        Method::POST,
        &format!("/api/v1/conversations/{a}/read"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(c["unread"], 0);

    let ids = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let (a, b) = (a.as_str(), b.as_str());
    let cases: &[(&str, &str, Vec<&str>)] = &[
        ("all, last activity first", "", vec![b, a]),
        ("unread only", "?unread=true", vec![b]),
        ("number prefix", "?q=%2B8190", vec![a]),
        ("state", "?state=open", vec![b, a]),
        ("state none match", "?state=closed", vec![]),
        ("created order", "?order=created", vec![b, a]),
    ];
    for (name, query, want) in cases {
        let (status, page) = get(&e.app, &format!("/api/v1/conversations{query}")).await;
        assert_eq!(status, StatusCode::OK, "{name}: {page}");
        assert_eq!(ids(&page), *want, "{name}");
    }
    let (_, page) = get(&e.app, "/api/v1/conversations?limit=1").await;
    assert_eq!(ids(&page), [b]);
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();
    let (_, page) = get(
        &e.app,
        &format!("/api/v1/conversations?limit=1&cursor={cursor}"),
    )
    .await;
    assert_eq!(ids(&page), [a]);
    assert_eq!(page["next_cursor"], Value::Null);

    let bad: &[(&str, &str, StatusCode, &str)] = &[
        (
            "bad state",
            "?state=done",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_query",
        ),
        (
            "bad order",
            "?order=oldest",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_query",
        ),
        (
            "bad limit",
            "?limit=0",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_query",
        ),
        (
            "bad cursor",
            "?cursor=x",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        ),
        (
            "bad time",
            "?updated_since=yesterday",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_query",
        ),
        (
            "unknown parameter",
            "?sort=asc",
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
    ];
    for (name, query, want, code) in bad {
        let (status, body) = get(&e.app, &format!("/api/v1/conversations{query}")).await;
        assert_eq!(status, *want, "{name}: {body}");
        assert_eq!(body["error"]["code"], *code, "{name}: {body}");
    }
}

#[tokio::test]
async fn daily_report_as_json_and_its_range_checks() {
    let e = env("report");
    let at = |s: &str| s.parse::<Timestamp>().unwrap();
    // Just before and just after midnight in Tokyo (15:00 UTC), both on the 23rd in UTC.
    inbound(&e.store, CUSTOMER, at("2026-11-23T14:59:59Z")).await;
    inbound(&e.store, "+818011112222", at("2026-11-23T15:00:00Z")).await;
    e.store
        .set_consent(CUSTOMER, true, "sms:in_1", at("2026-11-23T15:10:00Z"))
        .await
        .unwrap();

    let (status, r) = get(
        &e.app,
        "/api/v1/reports/daily?from=2026-11-23&to=2026-11-24&tz=Asia/Tokyo",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(
        (r["tz"].as_str(), r["from"].as_str()),
        (Some("Asia/Tokyo"), Some("2026-11-23"))
    );
    let days = r["days"].as_array().unwrap();
    let seen: Vec<(&str, u64, u64)> = days
        .iter()
        .map(|d| {
            (
                d["date"].as_str().unwrap(),
                d["inbound"].as_u64().unwrap(),
                d["opt_outs"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(seen, [("2026-11-23", 1, 0), ("2026-11-24", 1, 1)]);
    let day = &days[0];
    assert_eq!(day["delivery_rate"], Value::Null, "nothing was sent");
    assert_eq!(day["outbound"]["total"], 0);
    assert_eq!(day["failures_by_cause"], json!({}));
    assert_eq!(
        day["first_response"],
        json!({"count": 0, "mean_secs": null, "median_secs": null, "p90_secs": null})
    );
    for key in [
        "resolution",
        "opt_ins",
        "auto_replies",
        "human_replies",
        "api",
        "bulk",
    ] {
        assert!(!day[key].is_null(), "{key} in {day}");
    }

    // Without tz: UTC, where both messages fall on the 23rd.
    let (status, r) = get(
        &e.app,
        "/api/v1/reports/daily?from=2026-11-23&to=2026-11-23",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["tz"], "UTC");
    assert_eq!(r["days"][0]["inbound"], 2);

    let cases: &[(&str, &str, StatusCode, &str)] = &[
        (
            "reversed",
            "from=2026-11-24&to=2026-11-23",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_range",
        ),
        (
            "367 days",
            "from=2024-01-01&to=2025-01-01",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_range",
        ),
        (
            "not a date",
            "from=2026-11-31&to=2026-12-01",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_query",
        ),
        (
            "missing to",
            "from=2026-11-23",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_query",
        ),
        (
            "unknown zone",
            "from=2026-11-23&to=2026-11-23&tz=Mars/Olympus",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_query",
        ),
        (
            "unknown parameter",
            "from=2026-11-23&to=2026-11-23&zone=UTC",
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
    ];
    for (name, query, want, code) in cases {
        let (status, body) = get(&e.app, &format!("/api/v1/reports/daily?{query}")).await;
        assert_eq!(status, *want, "{name}: {body}");
        assert_eq!(body["error"]["code"], *code, "{name}: {body}");
    }
    // A whole leap year is allowed.
    let (status, r) = get(
        &e.app,
        "/api/v1/reports/daily?from=2024-01-01&to=2024-12-31",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["days"].as_array().unwrap().len(), 366);
}

#[tokio::test]
async fn the_audit_log_lists_who_did_what_newest_first() {
    let e = env("audit");
    let id = inbound(&e.store, CUSTOMER, Timestamp::now()).await;
    let (status, _) = call(
        &e.app,
        CRM,
        Method::POST,
        &format!("/api/v1/conversations/{id}/reply"),
        Some(json!({"text": "hello"})),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (status, _) = call(
        &e.app,
        OPS,
        Method::POST,
        &format!("/api/v1/conversations/{id}/read"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let (status, log) = get(&e.app, "/api/v1/audit?limit=2").await;
    assert_eq!(status, StatusCode::OK, "{log}");
    let items = log["items"].as_array().unwrap();
    let seen: Vec<(&str, &str)> = items
        .iter()
        .map(|a| (a["token"].as_str().unwrap(), a["action"].as_str().unwrap()))
        .collect();
    assert_eq!(
        seen,
        [("ops", "conversation.read"), ("crm", "conversation.reply")]
    );
    assert_eq!(items[0]["target"], id.as_str());
    assert!(items[0]["at"].as_str().unwrap().ends_with('Z'));

    for bad in ["limit=0", "limit=1001"] {
        let (status, body) = get(&e.app, &format!("/api/v1/audit?{bad}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
    }
    // Every new route needs a token.
    for (method, uri) in [
        (Method::GET, "/api/v1/audit"),
        (Method::GET, "/api/v1/conversations"),
        (
            Method::GET,
            "/api/v1/reports/daily?from=2026-11-23&to=2026-11-23",
        ),
        (Method::POST, "/api/v1/conversations/conv_x/read"),
    ] {
        let (status, _) = call(&e.app, "wrong", method.clone(), uri, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {uri}");
    }
}

#[tokio::test]
async fn the_openapi_document_lists_the_new_routes() {
    let e = env("openapi");
    let (status, doc) = get(&e.app, "/api/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    let paths = &doc["paths"];
    for (path, method) in [
        ("/api/v1/conversations", "get"),
        ("/api/v1/conversations/{id}", "get"),
        ("/api/v1/conversations/{id}", "patch"),
        ("/api/v1/conversations/{id}/reply", "post"),
        ("/api/v1/conversations/{id}/read", "post"),
        ("/api/v1/reports/daily", "get"),
        ("/api/v1/audit", "get"),
    ] {
        assert!(paths[path][method].is_object(), "{method} {path}");
    }
    for schema in [
        "ConversationView",
        "ConversationDetail",
        "DailyReport",
        "DayView",
        "AuditList",
    ] {
        assert!(doc["components"]["schemas"][schema].is_object(), "{schema}");
    }
}
