//! The contacts, consent and templates API over a real SQLite file, through
//! `router(state).oneshot(..)`: the CSV import as a table of named files, the export read back
//! through the import, CRUD with its 404 and 422 cases, consent history, templates, the audit
//! log and the OpenAPI document.

// A test unwraps its own fixtures; the lints guard the service's code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::{Value, json};

use common::http::{app_state, json_request, raw, request};
use smsgate::http::{AppState, router};

const TOKEN: &str = "crm-0123456789abcdef";

/// One token; a JSON body limit far below the size of the larger imports.
const CONFIG: &str = r#"
[http]
max_body_bytes = 2048
[[http.tokens]]
name = "crm"
token = "crm-0123456789abcdef"
"#;

struct Env {
    app: Router,
    state: AppState,
}

fn env(name: &str) -> Env {
    let state = app_state(CONFIG, name);
    Env {
        app: router(state.clone()),
        state,
    }
}

/// A request with the token and, when given, a body of `content_type`.
fn req(method: Method, uri: &str, body: Option<(&str, Vec<u8>)>) -> Request<Body> {
    request(TOKEN, method, uri, body)
}

fn json_req(method: Method, uri: &str, body: Value) -> Request<Body> {
    json_request(TOKEN, method, uri, Some(body))
}

fn csv_req(uri: &str, body: impl Into<Vec<u8>>) -> Request<Body> {
    req(Method::POST, uri, Some(("text/csv", body.into())))
}

/// Sends `r`; returns the status and the body as JSON (`null` when empty).
async fn call(app: &Router, r: Request<Body>) -> (StatusCode, Value) {
    let (status, _, bytes) = raw(app, r).await;
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    (status, body)
}

async fn get(app: &Router, uri: &str) -> (StatusCode, Value) {
    call(app, req(Method::GET, uri, None)).await
}

/// Every contact, without its times.
async fn contacts(app: &Router) -> Value {
    let (status, page) = get(app, "/api/v1/contacts?limit=500").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let items = page["items"].as_array().unwrap().iter().map(|c| {
        json!({"number": c["number"], "name": c["name"], "fields": c["fields"],
               "groups": c["groups"]})
    });
    Value::Array(items.collect())
}

fn c(number: &str, name: &str, fields: Value, groups: &[&str]) -> Value {
    json!({"number": number, "name": name, "fields": fields, "groups": groups})
}

/// `(line, column)` of each reported problem.
fn lines(body: &Value) -> Vec<(u64, Option<String>)> {
    body["errors"]
        .as_array()
        .unwrap_or(&Vec::new())
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap(),
                e["column"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

fn col(line: u64, column: &str) -> (u64, Option<String>) {
    (line, Some(column.to_owned()))
}

#[tokio::test]
async fn csv_import_table() {
    // Line 3 has a bad number, line 5 repeats line 2's number.
    let mixed = "number,name\n\
                 +819011110001,One\n\
                 +81-abc,Bad\n\
                 +819011110004,Four\n\
                 +81 90 1111 0001,Again\n";
    struct Case {
        name: &'static str,
        mode: &'static str,
        file: Vec<u8>,
        status: StatusCode,
        code: Option<&'static str>,
        errors: Vec<(u64, Option<String>)>,
        stored: Value,
    }
    let cases = vec![
        Case {
            name: "valid file",
            mode: "",
            file: b"number,name,groups,company\n\
                    +819011110001,Taro,vip;tokyo,ACME\n\
                    +819011110002,Hanako,,\n"
                .to_vec(),
            status: StatusCode::OK,
            code: None,
            errors: vec![],
            stored: json!([
                c(
                    "+819011110001",
                    "Taro",
                    json!({"company": "ACME"}),
                    &["tokyo", "vip"]
                ),
                c("+819011110002", "Hanako", json!({}), &[]),
            ]),
        },
        Case {
            name: "missing number column",
            mode: "",
            file: b"name,phone\nTaro,+819011110001\n".to_vec(),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: Some("invalid_header"),
            errors: vec![(1, None)],
            stored: json!([]),
        },
        Case {
            name: "bad and duplicate rows, all or nothing",
            mode: "?mode=all_or_nothing",
            file: mixed.into(),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: Some("invalid_rows"),
            errors: vec![col(3, "number"), col(5, "number")],
            stored: json!([]),
        },
        Case {
            name: "bad and duplicate rows, skip invalid",
            mode: "?mode=skip_invalid",
            file: mixed.into(),
            status: StatusCode::OK,
            code: None,
            errors: vec![col(3, "number"), col(5, "number")],
            stored: json!([
                c("+819011110001", "One", json!({}), &[]),
                c("+819011110004", "Four", json!({}), &[]),
            ]),
        },
        Case {
            name: "quoted field with comma, quote and newline",
            mode: "",
            file: "number,name,address\n\
                   +819011110001,\"Doe, \"\"JD\"\" John\",\"1-2-3 Chiyoda\nTokyo\"\n"
                .into(),
            status: StatusCode::OK,
            code: None,
            errors: vec![],
            stored: json!([c(
                "+819011110001",
                "Doe, \"JD\" John",
                json!({"address": "1-2-3 Chiyoda\nTokyo"}),
                &[]
            )]),
        },
        Case {
            name: "japanese names, fields and groups",
            mode: "",
            file: "number,name,groups,会社\n+819011110001,山田 太郎,東京|大阪,株式会社テスト\n"
                .into(),
            status: StatusCode::OK,
            code: None,
            errors: vec![],
            stored: json!([c(
                "+819011110001",
                "山田 太郎",
                json!({"会社": "株式会社テスト"}),
                &["大阪", "東京"]
            )]),
        },
        Case {
            name: "byte order mark at the start",
            mode: "",
            file: "\u{feff}number,name\r\n+819011110001,Taro\r\n".into(),
            status: StatusCode::OK,
            code: None,
            errors: vec![],
            stored: json!([c("+819011110001", "Taro", json!({}), &[])]),
        },
        Case {
            name: "empty file",
            mode: "",
            file: Vec::new(),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: Some("empty_file"),
            errors: vec![(1, None)],
            stored: json!([]),
        },
        Case {
            name: "wrong column count and bad utf-8",
            mode: "?mode=skip_invalid",
            file: b"number,name\n+819011110001,a,b\n+819011110002,\xff\n+819011110003,ok\n"
                .to_vec(),
            status: StatusCode::OK,
            code: None,
            errors: vec![(2, None), col(3, "name")],
            stored: json!([c("+819011110003", "ok", json!({}), &[])]),
        },
        Case {
            name: "field too long",
            mode: "",
            file: format!("number,note\n+819011110001,{}\n", "x".repeat(1001)).into(),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: Some("invalid_rows"),
            errors: vec![col(2, "note")],
            stored: json!([]),
        },
        Case {
            name: "unknown mode",
            mode: "?mode=some",
            file: b"number\n+819011110001\n".to_vec(),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: Some("invalid_query"),
            errors: vec![],
            stored: json!([]),
        },
    ];
    for case in cases {
        let e = env("import");
        let uri = format!("/api/v1/contacts/import{}", case.mode);
        let (status, body) = call(&e.app, csv_req(&uri, case.file)).await;
        assert_eq!(status, case.status, "{}: {body}", case.name);
        assert_eq!(
            body["error"]["code"].as_str(),
            case.code,
            "{}: {body}",
            case.name
        );
        assert_eq!(lines(&body), case.errors, "{}: {body}", case.name);
        assert!(
            body["errors"]
                .as_array()
                .is_none_or(|v| v.iter().all(|e| e["message"].as_str().is_some())),
            "{}: every problem says what is wrong",
            case.name
        );
        let stored = contacts(&e.app).await;
        assert_eq!(stored, case.stored, "{}", case.name);
        if status == StatusCode::OK {
            let n = case.stored.as_array().unwrap().len();
            assert_eq!(body["imported"], n, "{}: {body}", case.name);
            let audit = e.state.store.audit_log(10).await.unwrap();
            assert_eq!(audit[0].action, "contact.import", "{}", case.name);
            assert_eq!(audit[0].token, "crm");
        }
    }
}

#[tokio::test]
async fn import_counts_updates_and_takes_large_bodies_only_as_csv() {
    let e = env("import-limits");
    // Far over http.max_body_bytes (2 KiB): the import route has its own limit.
    let mut file = String::from("number,name\n");
    for i in 0..2_000 {
        file.push_str(&format!("+8190{i:08},Name {i}\n"));
    }
    assert!(file.len() > 40_000);
    let (status, body) = call(&e.app, csv_req("/api/v1/contacts/import", file.clone())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (&body["created"], &body["updated"], &body["imported"]),
        (&json!(2000), &json!(0), &json!(2000))
    );
    let (_, body) = call(&e.app, csv_req("/api/v1/contacts/import", file)).await;
    assert_eq!(
        (&body["created"], &body["updated"]),
        (&json!(0), &json!(2000))
    );

    let too_big = vec![b'1'; smsgate::http::contacts::MAX_IMPORT_BYTES + 1];
    let (status, body) = call(&e.app, csv_req("/api/v1/contacts/import", too_big)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["error"]["code"], "payload_too_large");

    let json = json_req(
        Method::POST,
        "/api/v1/contacts/import",
        json!({"number": "+81"}),
    );
    let (status, body) = call(&e.app, json).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{body}");

    // A JSON body over the JSON limit is still refused elsewhere.
    let long = json!({"name": "n".repeat(3000)});
    let (status, _) = call(&e.app, json_req(Method::PUT, "/api/v1/contacts/+811", long)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn export_reads_back_through_the_import() {
    let e = env("export");
    let people = [
        (
            "+819011110001",
            json!({"name": "Doe, \"JD\" John",
            "fields": {"address": "1 Main St\nSpringfield", "company": "ACME, Inc."},
            "groups": ["vip", "us"]}),
        ),
        (
            "+819011110002",
            json!({"name": "山田 花子", "fields": {"会社": "株式会社テスト"},
            "groups": ["東京"]}),
        ),
        ("0312345678", json!({})),
    ];
    for (number, body) in &people {
        let uri = format!("/api/v1/contacts/{number}");
        let (status, got) = call(&e.app, json_req(Method::PUT, &uri, body.clone())).await;
        assert_eq!(status, StatusCode::CREATED, "{got}");
    }
    let before = contacts(&e.app).await;

    let (status, ct, csv) = raw(&e.app, req(Method::GET, "/api/v1/contacts/export", None)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.starts_with("text/csv"), "{ct}");
    let text = String::from_utf8(csv.clone()).unwrap();
    assert!(
        text.starts_with("number,name,groups,address,company,会社\n"),
        "{text}"
    );
    assert!(text.contains("\"Doe, \"\"JD\"\" John\""), "{text}");

    let e2 = env("export-reimport");
    let (status, body) = call(&e2.app, csv_req("/api/v1/contacts/import", csv)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(contacts(&e2.app).await, before);

    // A group's export, with the byte order mark Excel wants.
    let (_, _, csv) = raw(
        &e.app,
        req(
            Method::GET,
            "/api/v1/contacts/export?group=vip&bom=true",
            None,
        ),
    )
    .await;
    let text = String::from_utf8(csv).unwrap();
    assert!(
        text.starts_with("\u{feff}number,name,groups,address,company\n"),
        "{text}"
    );
    assert_eq!(text.matches("+8190").count(), 1, "{text}");
}

#[tokio::test]
async fn contacts_crud() {
    let e = env("crud");
    let body = json!({"name": "Taro", "fields": {"plan": "gold"}, "groups": ["vip"]});
    let (status, got) = call(
        &e.app,
        json_req(Method::PUT, "/api/v1/contacts/%2B819012345678", body),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{got}");
    assert_eq!(got["number"], "+819012345678");
    assert_eq!(got["groups"], json!(["vip"]));
    assert!(got["created_at"].as_str().unwrap().ends_with('Z'));

    // The same contact through a formatted number; PUT replaces the whole contact.
    let (status, got) = call(
        &e.app,
        json_req(
            Method::PUT,
            "/api/v1/contacts/+81%2090-1234-5678",
            json!({"name": "Taro Y."}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_eq!((&got["fields"], &got["groups"]), (&json!({}), &json!([])));
    let (status, got) = get(&e.app, "/api/v1/contacts/%2B819012345678").await;
    assert_eq!((status, &got["name"]), (StatusCode::OK, &json!("Taro Y.")));

    call(
        &e.app,
        json_req(
            Method::PUT,
            "/api/v1/contacts/+819087654321",
            json!({"groups": ["vip"]}),
        ),
    )
    .await;
    let (_, groups) = get(&e.app, "/api/v1/groups").await;
    assert_eq!(groups, json!({"items": [{"name": "vip", "members": 1}]}));
    let (_, page) = get(&e.app, "/api/v1/contacts?q=taro").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let (_, page) = get(&e.app, "/api/v1/contacts?limit=1").await;
    assert_eq!(page["next_cursor"], "+819012345678");
    let (_, page) = get(&e.app, "/api/v1/contacts?limit=1&cursor=%2B819012345678").await;
    assert_eq!(page["items"][0]["number"], "+819087654321");
    assert_eq!(page["next_cursor"], Value::Null);

    let del = |uri: &str| req(Method::DELETE, uri, None);
    let (status, _) = call(&e.app, del("/api/v1/contacts/%2B819012345678")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    let cases: Vec<(&str, Request<Body>, StatusCode, &str, &str)> = vec![
        (
            "get deleted",
            req(Method::GET, "/api/v1/contacts/%2B819012345678", None),
            StatusCode::NOT_FOUND,
            "not_found",
            "",
        ),
        (
            "delete again",
            del("/api/v1/contacts/%2B819012345678"),
            StatusCode::NOT_FOUND,
            "not_found",
            "",
        ),
        (
            "not a number",
            req(Method::GET, "/api/v1/contacts/taro", None),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_number",
            "",
        ),
        (
            "unknown body field",
            json_req(Method::PUT, "/api/v1/contacts/+811", json!({"nmae": "x"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            "nmae",
        ),
        (
            "name too long",
            json_req(
                Method::PUT,
                "/api/v1/contacts/+811",
                json!({"name": "n".repeat(201)}),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_contact",
            "name",
        ),
        (
            "group separator",
            json_req(
                Method::PUT,
                "/api/v1/contacts/+811",
                json!({"groups": ["a;b"]}),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_contact",
            "groups",
        ),
        (
            "reserved field name",
            json_req(
                Method::PUT,
                "/api/v1/contacts/+811",
                json!({"fields": {"Number": "1"}}),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_contact",
            "Number",
        ),
        (
            "bad limit",
            req(Method::GET, "/api/v1/contacts?limit=0", None),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_query",
            "limit",
        ),
        (
            "unknown query",
            req(Method::GET, "/api/v1/contacts?grp=vip", None),
            StatusCode::BAD_REQUEST,
            "invalid_query",
            "",
        ),
    ];
    for (name, r, want_status, want_code, names) in cases {
        let (status, body) = call(&e.app, r).await;
        assert_eq!(status, want_status, "{name}: {body}");
        assert_eq!(body["error"]["code"], want_code, "{name}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(names), "{name}: {message}");
    }
    let (_, all) = get(&e.app, "/api/v1/contacts").await;
    assert_eq!(
        all["items"].as_array().unwrap().len(),
        1,
        "nothing bad was stored"
    );

    let audit = e.state.store.audit_log(100).await.unwrap();
    let done: Vec<(&str, Option<&str>)> = audit
        .iter()
        .rev()
        .filter(|a| a.action.starts_with("contact."))
        .map(|a| (a.action.as_str(), a.target.as_deref()))
        .collect();
    assert_eq!(
        done,
        [
            ("contact.create", Some("+819012345678")),
            ("contact.update", Some("+819012345678")),
            ("contact.create", Some("+819087654321")),
            ("contact.delete", Some("+819012345678")),
        ]
    );
    // Refused writes are audited too, naming what was asked.
    assert!(audit.iter().any(|a| a.action == "request.rejected"
        && a.target.as_deref() == Some("PUT /api/v1/contacts/+811")));
}

#[tokio::test]
async fn consent_put_then_history() {
    let e = env("consent");
    let uri = "/api/v1/consent/%2B819012345678";
    let (status, got) = get(&e.app, uri).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        got,
        json!({"number": "+819012345678", "opted_out": false, "history": []})
    );

    let (status, got) = call(
        &e.app,
        json_req(Method::PUT, uri, json!({"opted_out": true})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_eq!(got["opted_out"], true);
    // The same again changes nothing.
    call(
        &e.app,
        json_req(Method::PUT, uri, json!({"opted_out": true})),
    )
    .await;
    e.state
        .store
        .set_consent("+819012345678", false, "sms:in_1", jiff::Timestamp::now())
        .await
        .unwrap();

    let (_, got) = get(&e.app, uri).await;
    assert_eq!(got["opted_out"], false);
    let history: Vec<(bool, &str)> = got["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["opted_out"].as_bool().unwrap(),
                h["source"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(history, [(true, "api:crm"), (false, "sms:in_1")]);
    assert!(got["history"][0]["at"].as_str().unwrap().ends_with('Z'));

    call(
        &e.app,
        json_req(
            Method::PUT,
            "/api/v1/consent/+811",
            json!({"opted_out": true}),
        ),
    )
    .await;
    let (_, list) = get(&e.app, "/api/v1/consent?opted_out=true").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list["items"][0]["number"], "+811");
    let (_, list) = get(&e.app, "/api/v1/consent?opted_out=false").await;
    assert_eq!(list["items"][0]["number"], "+819012345678");

    for (name, r, want) in [
        (
            "not a bool",
            json_req(Method::PUT, uri, json!({"opted_out": "yes"})),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "unknown field",
            json_req(Method::PUT, uri, json!({"opted_out": true, "by": "me"})),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "not a number",
            json_req(
                Method::PUT,
                "/api/v1/consent/abc",
                json!({"opted_out": true}),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let (status, body) = call(&e.app, r).await;
        assert_eq!(status, want, "{name}: {body}");
    }

    let audit = e.state.store.audit_log(100).await.unwrap();
    assert!(audit.iter().any(|a| a.action == "consent.opt_out"
        && a.token == "crm"
        && a.target.as_deref() == Some("+819012345678")));
}

#[tokio::test]
async fn templates_crud() {
    let e = env("templates");
    let uri = "/api/v1/templates/ack_en";
    let (status, got) = call(
        &e.app,
        json_req(
            Method::PUT,
            uri,
            json!({"body": "Thanks {name}, back in {hours}."}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{got}");
    assert_eq!(got["updated_by"], "crm");
    let (status, _) = call(
        &e.app,
        json_req(Method::PUT, uri, json!({"body": "Thanks."})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, got) = get(&e.app, uri).await;
    assert_eq!(got["body"], "Thanks.");
    let (_, list) = get(&e.app, "/api/v1/templates").await;
    assert_eq!(list["items"][0]["name"], "ack_en");

    let cases: Vec<(&str, Request<Body>, StatusCode, &str)> = vec![
        (
            "space in name",
            json_req(
                Method::PUT,
                "/api/v1/templates/bad%20name",
                json!({"body": "x"}),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_name",
        ),
        (
            "name too long",
            json_req(
                Method::PUT,
                &format!("/api/v1/templates/{}", "n".repeat(65)),
                json!({"body": "x"}),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_name",
        ),
        (
            "japanese name",
            req(Method::GET, "/api/v1/templates/%E3%81%82", None),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_name",
        ),
        (
            "empty body",
            json_req(Method::PUT, uri, json!({"body": ""})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "body too long",
            json_req(Method::PUT, uri, json!({"body": "a".repeat(1601)})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "unknown field",
            json_req(Method::PUT, uri, json!({"body": "x", "preview": true})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "unknown placeholder",
            json_req(Method::PUT, uri, json!({"body": "Dear {nmae}"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_template",
        ),
        (
            "unclosed placeholder",
            json_req(Method::PUT, uri, json!({"body": "Dear {name"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_template",
        ),
        (
            "missing",
            req(Method::GET, "/api/v1/templates/nope", None),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
    ];
    for (name, r, want_status, want_code) in cases {
        let (status, body) = call(&e.app, r).await;
        assert_eq!(status, want_status, "{name}: {body}");
        assert_eq!(body["error"]["code"], want_code, "{name}: {body}");
    }
    let (_, got) = get(&e.app, uri).await;
    assert_eq!(got["body"], "Thanks.", "nothing bad was stored");

    let (status, _) = call(&e.app, req(Method::DELETE, uri, None)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = call(&e.app, req(Method::DELETE, uri, None)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let audit = e.state.store.audit_log(100).await.unwrap();
    let done: Vec<&str> = audit
        .iter()
        .rev()
        .filter(|a| a.action.starts_with("template.") && a.target.as_deref() == Some("ack_en"))
        .map(|a| a.action.as_str())
        .collect();
    assert_eq!(
        done,
        ["template.create", "template.update", "template.delete"]
    );
}

#[tokio::test]
async fn a_template_shows_its_cost_and_renders_for_a_contact_before_sending() {
    let e = env("template-preview");
    let (status, t) = call(
        &e.app,
        json_req(
            Method::PUT,
            "/api/v1/templates/reminder",
            json!({"body": "{name} 様、{field.date} のご予約をお待ちしています。"}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    assert_eq!(t["preview"]["encoding"], "ucs2");
    assert_eq!(t["preview"]["parts"], 1);
    let (status, _) = call(
        &e.app,
        json_req(
            Method::PUT,
            "/api/v1/contacts/%2B819012345678",
            json!({"name": "山田", "fields": {"date": "12/1 10:00"}}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);

    let preview = |to: &str| {
        json_req(
            Method::POST,
            "/api/v1/templates/reminder/preview",
            json!({ "to": to }),
        )
    };
    let (status, got) = call(&e.app, preview("+819012345678")).await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_eq!(
        got["text"],
        "山田 様、12/1 10:00 のご予約をお待ちしています。"
    );
    assert_eq!(got["preview"]["encoding"], "ucs2");
    assert_eq!(got["preview"]["parts"], 1);
    assert_eq!(got["opted_out"], false);

    // A number without the contact's fields cannot be rendered: no "{name} 様" ever goes out.
    let (status, got) = call(&e.app, preview("+819099999999")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{got}");
    assert_eq!(got["error"]["code"], "invalid_template");

    // The config file's templates are listed and previewed too.
    let (_, list) = get(&e.app, "/api/v1/templates").await;
    let names: Vec<(&str, &str)> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["name"].as_str().unwrap(), t["source"].as_str().unwrap()))
        .collect();
    assert!(names.contains(&("reminder", "api")), "{names:?}");
    assert!(names.contains(&("opt_out_confirm", "config")), "{names:?}");
    let (status, got) = call(
        &e.app,
        json_req(
            Method::POST,
            "/api/v1/templates/opt_out_confirm/preview",
            json!({"to": "+819012345678"}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert!(got["preview"]["parts"].as_u64().unwrap() >= 1);
}

#[tokio::test]
async fn routes_need_the_token_and_are_documented() {
    let e = env("docs");
    let anonymous = Request::builder()
        .uri("/api/v1/contacts")
        .body(Body::empty())
        .unwrap();
    let (status, _) = call(&e.app, anonymous).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let (_, doc) = get(&e.app, "/api/v1/openapi.json").await;
    let paths = doc["paths"].as_object().unwrap();
    for (path, methods) in [
        ("/api/v1/contacts", &["get"][..]),
        ("/api/v1/contacts/{number}", &["get", "put", "delete"]),
        ("/api/v1/contacts/import", &["post"]),
        ("/api/v1/contacts/export", &["get"]),
        ("/api/v1/groups", &["get"]),
        ("/api/v1/consent", &["get"]),
        ("/api/v1/consent/{number}", &["get", "put"]),
        ("/api/v1/templates", &["get"]),
        ("/api/v1/templates/{name}", &["get", "put", "delete"]),
    ] {
        for m in methods {
            assert!(paths[path].get(*m).is_some(), "{m} {path} missing");
        }
    }
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for s in [
        "ContactView",
        "ImportReport",
        "ImportErrorBody",
        "LineError",
        "ConsentView",
    ] {
        assert!(schemas.contains_key(s), "schema {s} missing");
    }
    assert_eq!(schemas["ContactBody"]["additionalProperties"], false);
}

/// With `[support] country = "JP"`, the forms people type one number in address one contact
/// and one consent record, stored in E.164; a number with a digit too many is a 422 naming it.
#[tokio::test]
async fn numbers_as_people_type_them_are_one_contact() {
    let config = format!("{CONFIG}\n[support]\ncountry = \"JP\"\n");
    let state = app_state(&config, "typed-numbers");
    let app = router(state);

    let (status, put) = call(
        &app,
        json_req(
            Method::PUT,
            "/api/v1/contacts/090-1234-5678",
            json!({"name": "Taro"}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{put}");
    assert_eq!(put["number"], "+819012345678");

    // The same contact however the number is written (URL-encoded: spaces, `+`, full width).
    for (name, uri) in [
        (
            "international with spaces",
            "/api/v1/contacts/%2B81%2090%201234%205678",
        ),
        ("national digits", "/api/v1/contacts/09012345678"),
        (
            "full width",
            "/api/v1/contacts/%EF%BC%90%EF%BC%99%EF%BC%90%E2%88%92%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%E2%88%92%EF%BC%95%EF%BC%96%EF%BC%97%EF%BC%98",
        ),
    ] {
        let (status, got) = get(&app, uri).await;
        assert_eq!(status, StatusCode::OK, "{name}: {got}");
        assert_eq!(
            (&got["number"], &got["name"]),
            (&json!("+819012345678"), &json!("Taro")),
            "{name}"
        );
    }
    let (status, put) = call(
        &app,
        json_req(
            Method::PUT,
            "/api/v1/contacts/%2B81%2090%201234%205678",
            json!({"name": "Taro Yamada"}),
        ),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "an update, not a second contact: {put}"
    );

    // A CSV row in national format is the same contact too.
    let (status, body) = call(
        &app,
        csv_req(
            "/api/v1/contacts/import",
            "number,name\n090-1234-5678,山田太郎\n",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!((&body["created"], &body["updated"]), (&json!(0), &json!(1)));
    assert_eq!(
        contacts(&app).await,
        json!([c("+819012345678", "山田太郎", json!({}), &[])])
    );

    // Consent written in one form is read in another.
    let (status, got) = call(
        &app,
        json_req(
            Method::PUT,
            "/api/v1/consent/090-1234-5678",
            json!({"opted_out": true}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{got}");
    let (_, got) = get(&app, "/api/v1/consent/%2B819012345678").await;
    assert_eq!(
        (&got["number"], &got["opted_out"]),
        (&json!("+819012345678"), &json!(true))
    );

    let (status, got) = get(&app, "/api/v1/contacts/090-1234-56789").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{got}");
    assert_eq!(got["error"]["code"], "invalid_number", "{got}");
    assert!(
        got["error"]["message"]
            .as_str()
            .unwrap()
            .contains("\"090-1234-56789\" is not a valid phone number in JP"),
        "{got}"
    );
}
