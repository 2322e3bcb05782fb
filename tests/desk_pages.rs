//! The desk's management pages (contacts, templates, bulk, reports, rules, users, audit)
//! through `router(state).oneshot(..)` over a real SQLite file: each renders for an admin,
//! the admin-only ones refuse an agent, forms round-trip, a post without the CSRF token is
//! refused, and every action lands in the audit log as `desk:<user>`.

// A test unwraps its own fixtures; the lints guard the service's code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use jiff::Timestamp;

use common::http::{app_state, raw};
use smsgate::desk::auth::hash_password;
use smsgate::http::{AppState, router};
use smsgate::store::Role;

const CONFIG: &str = r#"
[[http.tokens]]
name = "crm"
token = "crm-0123456789abcdef"
"#;

struct Env {
    app: Router,
    state: AppState,
}

/// A logged-in user: the session cookie and the CSRF token of their pages.
struct Who {
    cookie: String,
    csrf: String,
}

async fn env(name: &str) -> (Env, Who, Who) {
    let state = app_state(CONFIG, name);
    let admin = hash_password("admin-pass").unwrap();
    let agent = hash_password("agent-pass").unwrap();
    let now = Timestamp::now();
    state
        .store
        .atomically(move |tx| {
            tx.add_user("aiko", Role::Admin, &admin, now)?;
            tx.add_user("ken", Role::Agent, &agent, now)?;
            Ok(())
        })
        .await
        .unwrap();
    let env = Env {
        app: router(state.clone()),
        state,
    };
    let a = login(&env, "aiko", "admin-pass").await;
    let k = login(&env, "ken", "agent-pass").await;
    (env, a, k)
}

async fn login(env: &Env, user: &str, password: &str) -> Who {
    let body = format!("username={user}&password={password}");
    let r = Request::builder()
        .method(Method::POST)
        .uri("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap();
    let resp = tower::ServiceExt::oneshot(env.app.clone(), r)
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "login {user}");
    let cookie = resp
        .headers()
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let mut who = Who {
        cookie,
        csrf: String::new(),
    };
    let (status, page) = get(env, &who, "/audit").await;
    assert_eq!(status, StatusCode::OK);
    let at = page.find("\"X-CSRF-Token\": \"").unwrap() + "\"X-CSRF-Token\": \"".len();
    who.csrf = page[at..].split('"').next().unwrap().to_owned();
    who
}

async fn get(env: &Env, who: &Who, uri: &str) -> (StatusCode, String) {
    let r = Request::builder()
        .uri(uri)
        .header(header::COOKIE, &who.cookie)
        .body(Body::empty())
        .unwrap();
    let (status, _, bytes) = raw(&env.app, r).await;
    (status, String::from_utf8(bytes).unwrap())
}

/// A form post; `csrf` adds the session's token as the form field.
async fn post(
    env: &Env,
    who: &Who,
    uri: &str,
    fields: &[(&str, &str)],
    csrf: bool,
) -> (StatusCode, String) {
    let mut pairs: Vec<(&str, &str)> = fields.to_vec();
    if csrf {
        pairs.push(("csrf", &who.csrf));
    }
    let body = serde_urlencoded::to_string(&pairs).unwrap();
    let r = Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header(header::COOKIE, &who.cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap();
    let (status, _, bytes) = raw(&env.app, r).await;
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

/// Each `(uri, text)`: the page answers 200 and shows the text.
async fn pages_show(env: &Env, who: &Who, cases: &[(&str, &str)]) {
    for (uri, want) in cases {
        let (status, page) = get(env, who, uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}: {page}");
        assert!(page.contains(want), "{uri} lacks {want:?}: {page}");
    }
}

async fn audit_has(env: &Env, who: &str, action: &str) -> bool {
    env.state
        .store
        .audit_log(1000)
        .await
        .unwrap()
        .iter()
        .any(|a| a.token == who && a.action == action)
}

#[tokio::test]
async fn every_page_renders_for_an_admin() {
    let (env, admin, _) = env("desk_pages_render").await;
    let cases: &[(&str, &str)] = &[
        ("/contacts", "Import CSV"),
        ("/contacts/%2B819012345678", "New contact"),
        ("/contacts/export.csv", "number,name,groups"),
        ("/templates", "Add or replace a template"),
        ("/audit", "desk.login"),
        ("/users", "ken"),
        ("/rules", "Which rule would fire?"),
        ("/reports", "<svg class=\"chart-svg\""),
        ("/bulk", "Messages per minute"),
    ];
    pages_show(&env, &admin, cases).await;
}

#[tokio::test]
async fn admin_pages_refuse_an_agent() {
    let (env, _, agent) = env("desk_pages_forbidden").await;
    let cases: &[(Method, &str)] = &[
        (Method::GET, "/users"),
        (Method::POST, "/users"),
        (Method::POST, "/users/aiko/password"),
        (Method::POST, "/users/aiko/remove"),
        (Method::POST, "/templates"),
        (Method::POST, "/templates/greeting/delete"),
        (Method::GET, "/rules"),
        (Method::POST, "/rules"),
        (Method::POST, "/rules/test"),
        (Method::GET, "/bulk"),
        (Method::POST, "/bulk"),
        (Method::GET, "/bulk/bulk_x"),
    ];
    for (method, uri) in cases {
        let (status, body) = if *method == Method::GET {
            get(&env, &agent, uri).await
        } else {
            post(
                &env,
                &agent,
                uri,
                &[
                    ("name", "x"),
                    ("role", "admin"),
                    ("password", "p"),
                    ("body", "b"),
                ],
                true,
            )
            .await
        };
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {uri}: {body}");
    }
    // An agent reads the templates and contacts, without the edit form.
    let (status, page) = get(&env, &agent, "/templates").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Only an admin may change templates."));
    assert_eq!(get(&env, &agent, "/contacts").await.0, StatusCode::OK);
}

#[tokio::test]
async fn a_post_without_the_csrf_token_is_refused() {
    let (env, admin, _) = env("desk_pages_csrf").await;
    let (status, _) = post(
        &env,
        &admin,
        "/contacts",
        &[("number", "+819011112222"), ("name", "x")],
        false,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let c = env.state.store.get_contact("+819011112222").await.unwrap();
    assert!(c.is_none(), "nothing was saved");
}

#[tokio::test]
async fn a_contact_edit_round_trips_and_is_audited() {
    let (env, admin, agent) = env("desk_pages_contact").await;
    let (status, body) = post(
        &env,
        &admin,
        "/contacts",
        &[
            ("number", "+81 90-1234-5678"),
            ("name", "田中"),
            ("groups", "vip"),
        ],
        true,
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    // An agent edits it: contacts are every staff member's work.
    let (status, body) = post(
        &env,
        &agent,
        "/contacts/%2B819012345678",
        &[
            ("name", "田中 一郎"),
            ("groups", "vip, 東京"),
            ("fields", "company=ACME\nplan = gold"),
        ],
        true,
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let (status, page) = get(&env, &agent, "/contacts/%2B819012345678").await;
    assert_eq!(status, StatusCode::OK);
    for want in ["田中 一郎", "vip, 東京", "company=ACME", "plan=gold"] {
        assert!(page.contains(want), "{want}: {page}");
    }
    let c = env
        .state
        .store
        .get_contact("+819012345678")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.groups, ["vip", "東京"]);
    // The list finds it by a number prefix and by group; the groups table counts it.
    let (_, page) = get(&env, &agent, "/contacts?q=%2B8190").await;
    assert!(page.contains("田中 一郎"), "{page}");
    let (_, page) = get(&env, &agent, "/contacts?group=vip").await;
    assert!(page.contains("田中 一郎"), "{page}");
    let (_, page) = get(&env, &agent, "/contacts?q=nobody").await;
    assert!(!page.contains("田中 一郎"));
    // Bad input: the form again with the field named, 422, nothing changed.
    let (status, page) = post(
        &env,
        &agent,
        "/contacts/%2B819012345678",
        &[("name", "x"), ("fields", "no equals sign")],
        true,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("fields: line 1: expected key=value"),
        "{page}"
    );
    let (status, page) = post(
        &env,
        &agent,
        "/contacts/%2B819012345678",
        &[("groups", "a;b")],
        true,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("groups:"), "{page}");
    let (status, _) = post(
        &env,
        &agent,
        "/contacts/not-a-number",
        &[("name", "x")],
        true,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // Delete.
    let (status, _) = post(&env, &agent, "/contacts/%2B819012345678/delete", &[], true).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(
        env.state
            .store
            .get_contact("+819012345678")
            .await
            .unwrap()
            .is_none()
    );
    assert!(audit_has(&env, "desk:aiko", "contact.create").await);
    assert!(audit_has(&env, "desk:ken", "contact.update").await);
    assert!(audit_has(&env, "desk:ken", "contact.delete").await);
    let (_, page) = get(&env, &agent, "/audit").await;
    assert!(
        page.contains("desk:ken") && page.contains("contact.delete"),
        "{page}"
    );
}

#[tokio::test]
async fn a_csv_import_reports_its_bad_lines() {
    let (env, admin, _) = env("desk_pages_import").await;
    let csv = "number,name,groups\n+819000000001,A,vip\nnot a number,B,\n+819000000003,C,\n,D,\n";
    let (status, page) = post(&env, &admin, "/contacts/import", &[("csv", csv)], true).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(page.contains("line 3: number:"), "{page}");
    assert!(page.contains("line 5: number:"), "{page}");
    assert!(
        env.state
            .store
            .get_contact("+819000000001")
            .await
            .unwrap()
            .is_none()
    );
    // Skipping the bad lines imports the others and still lists them.
    let (status, page) = post(
        &env,
        &admin,
        "/contacts/import",
        &[("csv", csv), ("skip_invalid", "1")],
        true,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Imported: 2"), "{page}");
    assert!(page.contains("line 3: number:") && page.contains("line 5: number:"));
    assert!(audit_has(&env, "desk:aiko", "contact.import").await);
    let (status, csv) = get(&env, &admin, "/contacts/export.csv?group=vip").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        csv.contains("+819000000001") && !csv.contains("+819000000003"),
        "{csv}"
    );
}

#[tokio::test]
async fn templates_are_edited_by_an_admin() {
    let (env, admin, _) = env("desk_pages_templates").await;
    let (status, body) = post(
        &env,
        &admin,
        "/templates",
        &[("name", "greeting"), ("body", "こんにちは {name} さん")],
        true,
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let (_, page) = get(&env, &admin, "/templates").await;
    assert!(
        page.contains("こんにちは {name} さん") && page.contains("ucs2"),
        "{page}"
    );
    let (_, page) = get(&env, &admin, "/templates?edit=greeting").await;
    assert!(page.contains("value=\"greeting\""), "{page}");
    let (status, page) = post(
        &env,
        &admin,
        "/templates",
        &[("name", "bad name"), ("body", "x")],
        true,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("name:"), "{page}");
    let (status, page) = post(
        &env,
        &admin,
        "/templates",
        &[("name", "t2"), ("body", "{unknown}")],
        true,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("body:"), "{page}");
    let (status, _) = post(&env, &admin, "/templates/greeting/delete", &[], true).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(audit_has(&env, "desk:aiko", "template.create").await);
    assert!(audit_has(&env, "desk:aiko", "template.delete").await);
}

#[tokio::test]
async fn users_are_added_changed_and_removed() {
    let (env, admin, _) = env("desk_pages_users").await;
    let add = [
        ("name", "mika"),
        ("role", "agent"),
        ("password", "mika-pass"),
    ];
    let (status, body) = post(&env, &admin, "/users", &add, true).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let mika = login(&env, "mika", "mika-pass").await;
    // The name is taken; a bad role; an empty password: the page says which.
    for (fields, want) in [
        (add, "already exists"),
        (
            [("name", "x"), ("role", "boss"), ("password", "p")],
            "role:",
        ),
        (
            [("name", "y"), ("role", "agent"), ("password", "")],
            "password:",
        ),
        (
            [("name", "a b"), ("role", "agent"), ("password", "p")],
            "user name",
        ),
    ] {
        let (status, page) = post(&env, &admin, "/users", &fields, true).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{want}");
        assert!(page.contains(want), "{want}: {page}");
    }
    let (status, _) = post(
        &env,
        &admin,
        "/users/mika/password",
        &[("password", "new-pass")],
        true,
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    // The old session ended with the password change.
    assert_eq!(get(&env, &mika, "/audit").await.0, StatusCode::SEE_OTHER);
    login(&env, "mika", "new-pass").await;
    let (status, page) = post(&env, &admin, "/users/aiko/remove", &[], true).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("cannot remove yourself"), "{page}");
    let (status, _) = post(&env, &admin, "/users/mika/remove", &[], true).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(env.state.store.get_user("mika").await.unwrap().is_none());
    for action in ["user.add", "user.passwd", "user.remove"] {
        assert!(audit_has(&env, "desk:aiko", action).await, "{action}");
    }
}

#[tokio::test]
async fn rules_are_replaced_as_json_and_dry_run() {
    let (env, admin, _) = env("desk_pages_rules").await;
    let good = r#"[{"name": "hello", "keywords": ["HELLO"], "actions": ["needs_human"]}]"#;
    let (status, body) = post(&env, &admin, "/rules", &[("json", good)], true).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let (_, page) = get(&env, &admin, "/rules").await;
    assert!(page.contains("hello") && page.contains("HELLO"), "{page}");
    // The API's 422, naming the rule and the field; what was typed stays in the box.
    let broken = r#"{"rules": [{"name": "broken", "regex": "(unclosed", "actions": ["stop"]}]}"#;
    let (status, page) = post(&env, &admin, "/rules", &[("json", broken)], true).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("rule 0 (&#34;broken&#34;): regex:"), "{page}");
    assert!(page.contains("(unclosed"), "{page}");
    let (status, page) = post(&env, &admin, "/rules", &[("json", "[{\"nam\": 1}]")], true).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("JSON:"), "{page}");
    // Which rule would fire.
    let (status, page) = post(
        &env,
        &admin,
        "/rules/test",
        &[("from", "+819012345678"), ("text", "hello there")],
        true,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("hello") && page.contains("needs_human"),
        "{page}"
    );
    assert!(audit_has(&env, "desk:aiko", "rules.replace").await);
    assert!(audit_has(&env, "desk:aiko", "rules.test").await);
}

#[tokio::test]
async fn a_bulk_send_is_previewed_then_queued() {
    let (env, admin, _) = env("desk_pages_bulk").await;
    let csv = "number,name,groups\n+819000000001,Aiko,vip\n+819000000002,Ken,vip\n";
    let (status, _) = post(&env, &admin, "/contacts/import", &[("csv", csv)], true).await;
    assert_eq!(status, StatusCode::OK);
    env.state
        .store
        .set_consent("+819000000002", true, "test", Timestamp::now())
        .await
        .unwrap();
    let fields = |action| {
        vec![
            ("group", "vip"),
            ("numbers", "+81 90-0000-0003\nnot a number"),
            ("text", "Hello {name}"),
            ("rate", "2"),
            ("action", action),
        ]
    };
    let (status, page) = post(&env, &admin, "/bulk", &fields("preview"), true).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    for want in [
        "Hello Aiko",
        "+819000000002: opted_out",
        "not a number: invalid_number",
        // Not a contact, so the template has no {name} for it.
        "+819000000003: template:",
        "<b>1</b> recipients",
        "Skipped 3",
    ] {
        assert!(page.contains(want), "{want}: {page}");
    }
    assert!(
        !audit_has(&env, "desk:aiko", "bulk.create").await,
        "a preview sends nothing"
    );
    // Bad input is a message, not a panic.
    let mut bad = fields("preview");
    bad[3] = ("rate", "fast");
    let (status, page) = post(&env, &admin, "/bulk", &bad, true).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("rate:"), "{page}");
    let (status, page) = post(&env, &admin, "/bulk", &[("action", "send")], true).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    // Send, then the progress page.
    let r = Request::builder()
        .method(Method::POST)
        .uri("/bulk")
        .header(header::COOKIE, &admin.cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from({
            let mut f = fields("send");
            f.push(("csrf", &admin.csrf));
            serde_urlencoded::to_string(&f).unwrap()
        }))
        .unwrap();
    let resp = tower::ServiceExt::oneshot(env.app.clone(), r)
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let to = resp.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(to.starts_with("/bulk/bulk_"), "{to}");
    let (status, page) = get(&env, &admin, &to).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("<b>1</b> recipients") && page.contains("every 5s"),
        "{page}"
    );
    assert!(audit_has(&env, "desk:aiko", "bulk.create").await);
}

#[tokio::test]
async fn the_pages_speak_japanese() {
    let (env, admin, _) = env("desk_pages_ja").await;
    let (status, _) = post(&env, &admin, "/me/lang", &[("lang", "ja")], true).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let cases: &[(&str, &str)] = &[
        ("/contacts", "CSV インポート"),
        ("/templates", "テンプレートを追加・上書き"),
        ("/users", "ユーザーを追加"),
        ("/rules", "どのルールが動作するか試す"),
        ("/reports", "1 日あたりのメッセージ"),
        ("/bulk", "プレビュー"),
        ("/audit", "監査ログ"),
    ];
    pages_show(&env, &admin, cases).await;
}

#[tokio::test]
async fn a_form_over_the_body_limit_says_so() {
    let (env, admin, _) = env("desk_pages_big").await;
    let big = format!("number\n{}", "+819000000001\n".repeat(10_000));
    let (status, page) = post(&env, &admin, "/contacts/import", &[("csv", &big)], true).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{page}");
    assert!(page.contains("max_body_bytes"), "{page}");
}

/// A tab's live stream ends when the service stops, so the HTTP server's graceful shutdown does
/// not wait on tabs left open; before that it tells the page what to refresh.
#[tokio::test]
async fn the_live_stream_ends_when_the_service_stops() {
    use http_body_util::BodyExt;
    let (env, aiko, _) = env("desk_live_stops").await;
    let r = Request::builder()
        .uri("/live")
        .header(header::COOKIE, &aiko.cookie)
        .body(Body::empty())
        .unwrap();
    let resp = tower::ServiceExt::oneshot(env.app.clone(), r)
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let mut body = resp.into_body();
    let first = body.frame().await.unwrap().unwrap().into_data().unwrap();
    assert!(
        String::from_utf8_lossy(&first).contains("event: inbox"),
        "{first:?}"
    );
    env.state.desk.shutdown.cancel();
    // The stream ends; without the cancellation this would wait for the next keep-alive
    // forever (the deadline only turns a hang into a failure).
    let rest = tokio::time::timeout(std::time::Duration::from_secs(60), body.collect())
        .await
        .expect("the stream did not end");
    assert!(rest.is_ok());
}

async fn login_status(env: &Env, user: &str, password: &str) -> (StatusCode, Option<String>) {
    let body = serde_urlencoded::to_string([("username", user), ("password", password)]).unwrap();
    let r = Request::builder()
        .method(Method::POST)
        .uri("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap();
    let resp = tower::ServiceExt::oneshot(env.app.clone(), r)
        .await
        .unwrap();
    let retry = resp
        .headers()
        .get(header::RETRY_AFTER)
        .map(|v| v.to_str().unwrap().to_owned());
    (resp.status(), retry)
}

/// Five wrong passwords for a name pause its logins (even with the right password), other
/// names still log in, and every failure is audited.
#[tokio::test]
async fn failed_logins_are_throttled() {
    let (env, _, _) = env("desk_throttle").await;
    for _ in 0..5 {
        assert_eq!(
            login_status(&env, "aiko", "wrong").await.0,
            StatusCode::UNAUTHORIZED
        );
    }
    let (status, retry) = login_status(&env, "aiko", "admin-pass").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(retry.unwrap().parse::<u64>().unwrap() > 0);
    assert_eq!(
        login_status(&env, "ken", "agent-pass").await.0,
        StatusCode::SEE_OTHER
    );
    assert!(audit_has(&env, "desk:aiko", "desk.login_failed").await);
}

/// A session survives a restart of the service (it is in the database), and logout ends it.
#[tokio::test]
async fn a_session_survives_a_restart_and_logout_ends_it() {
    let (env, aiko, _) = env("desk_restart").await;
    assert_eq!(get(&env, &aiko, "/inbox").await.0, StatusCode::OK);
    let path = env.state.store.path().to_owned();
    env.state.store.close().await.unwrap();
    let store = smsgate::store::Store::open(&path).unwrap();
    let state = common::http::state_with(CONFIG, store, Vec::new(), Vec::new());
    let env = Env {
        app: router(state.clone()),
        state,
    };
    assert_eq!(get(&env, &aiko, "/inbox").await.0, StatusCode::OK);
    let (status, _) = post(&env, &aiko, "/logout", &[], true).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _) = get(&env, &aiko, "/inbox").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "logged out: back to /login");
    assert!(audit_has(&env, "desk:aiko", "desk.logout").await);
}

#[tokio::test]
async fn the_reports_page_shows_the_surveys_and_who_earned_them() {
    let (env, admin, _) = env("desk_pages_prompts").await;
    let now = Timestamp::now();
    env.state
        .store
        .atomically(move |tx| {
            for (number, score) in [("+819011110001", 5), ("+819011110002", 2)] {
                let m = tx.enqueue(
                    &smsgate::store::NewMessage::new(vec![number.into()], "1-5?"),
                    now,
                )?;
                let p = tx
                    .record_prompt(
                        &smsgate::store::NewPromptSent {
                            name: "csat".into(),
                            kind: "csat".into(),
                            number: number.into(),
                            reference: None,
                            message_id: m.id,
                            sent_at: now,
                            window_secs: 3600,
                            conversation: None,
                            assignee: Some("sato".into()),
                        },
                        now,
                    )?
                    .unwrap();
                tx.answer_prompt(&p.id, &score.to_string(), Some(score), None, now)?;
            }
            Ok(())
        })
        .await
        .unwrap();
    let cases: &[(&str, &str)] = &[
        ("/reports", "Surveys and reminders"),
        ("/reports", "CSAT 50% · 3.5"),
        ("/reports", "csat · sato"),
    ];
    pages_show(&env, &admin, cases).await;
}
