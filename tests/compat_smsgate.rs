//! smsgate as SMS Gateway for Android's local server, driven by the app's official Python client
//! (`android-sms-gateway`, pinned in `.ci/run`) unchanged, against `app::start` with a simulated
//! modem on a pseudo-terminal and a real SQLite file; plus the protocol details the client does
//! not exercise, over raw HTTP.
//!
//! The Python client runs from the virtualenv `.ci/run` makes (`target/compat-venv`), or the
//! interpreter `SMSGATE_COMPAT_PYTHON` names; without either the client half is skipped with a
//! note.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use base64::Engine;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use smsgate::app::Running;
use smsgate::sim::{Request, SimHandle};

mod common;
use common::reassemble;
use common::service::start_with_sim;

const PATIENCE: Duration = Duration::from_secs(60);
const USER: &str = "crm";
const TOKEN: &str = "crm-0123456789abcdef";
const TO: &str = "+819012345678";

/// One HTTP/1.1 exchange: status, headers (lower-case names), body.
async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    auth: Option<(&str, &str)>,
    body: Option<Value>,
) -> (u16, Vec<(String, String)>, String) {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some((u, p)) = auth {
        let b = base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"));
        req.push_str(&format!("Authorization: Basic {b}\r\n"));
    }
    if !body.is_empty() {
        req.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    req.push_str("\r\n");
    req.push_str(&body);
    s.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    (status, headers, body.to_owned())
}

fn header<'a>(h: &'a [(String, String)], name: &str) -> Option<&'a str> {
    h.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

struct Service {
    running: Option<Running>,
    sim: SimHandle,
    compat: SocketAddr,
}

impl Service {
    async fn start(name: &str) -> Service {
        Service::start_with(name, "").await
    }

    /// With more keys for `[compat.smsgate]`.
    async fn start_with(name: &str, more: &str) -> Service {
        let extra = format!(
            "[[http.tokens]]\nname = \"{USER}\"\ntoken = \"{TOKEN}\"\n\n\
             [compat.smsgate]\nlisten = \"127.0.0.1:0\"\ndevice_id = \"smsgate-test\"\n{more}"
        );
        let (running, sim, _dir) = start_with_sim(name, &extra).await;
        let compat = running.smsgate_addr.expect("the compat listener");
        let s = Service {
            running: Some(running),
            sim,
            compat,
        };
        // Ready when the health check sees a ready modem.
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let (status, _, body) = http(s.compat, "GET", "/health", None, None).await;
            assert_eq!(status, 200, "{body}");
            if serde_json::from_str::<Value>(&body).unwrap()["status"] == "pass" {
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "no modem got ready");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        s
    }

    async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            r.shutdown().await;
        }
        self.sim.shutdown().await;
    }
}

/// The Python interpreter with `android_sms_gateway` installed, if there is one.
fn python() -> Option<PathBuf> {
    let candidate = std::env::var_os("SMSGATE_COMPAT_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/target/compat-venv/bin/python"
            ))
        });
    let ok = std::process::Command::new(&candidate)
        .args(["-c", "import android_sms_gateway"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    ok.then_some(candidate)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_python_client_sends_tracks_lists_and_cancels() {
    let Some(py) = python() else {
        eprintln!(
            "skipped: no Python with android-sms-gateway (run .ci/run, or set SMSGATE_COMPAT_PYTHON)"
        );
        return;
    };
    let s = Service::start("compat_smsgate_client").await;
    // A message for a week from now, for the client to cancel while it is pending.
    let (status, _, body) = http(
        s.compat,
        "POST",
        "/messages",
        Some((USER, TOKEN)),
        Some(json!({
            "id": "sched-1", "phoneNumbers": [TO], "textMessage": {"text": "later"},
            "scheduleAt": jiff::Timestamp::now().checked_add(jiff::SignedDuration::from_hours(168)).unwrap().to_string(),
        })),
    )
    .await;
    assert_eq!(status, 202, "{body}");

    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/compat/smsgate_client.py"
    );
    let out = tokio::process::Command::new(&py)
        .arg(script)
        .env("BASE_URL", format!("http://{}", s.compat))
        .env("LOGIN", USER)
        .env("PASSWORD", TOKEN)
        .env("TO", TO)
        .env("SCHEDULED_ID", "sched-1")
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "the client failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(seen["sent"]["id"], "py-1", "{seen}");
    assert_eq!(seen["sent"]["device"], "smsgate-test");
    assert_eq!(seen["sent"]["recipients"], json!([[TO, "Pending"]]));
    assert_eq!(seen["delivered"], "Delivered");
    let states = seen["states"].as_array().unwrap();
    for s in ["Pending", "Sent", "Delivered"] {
        assert!(states.contains(&json!(s)), "{seen}");
    }
    let listed = seen["listed"].as_array().unwrap();
    assert!(
        listed.contains(&json!("py-1")) && listed.contains(&json!("sched-1")),
        "{seen}"
    );
    assert_eq!(seen["duplicate"], "409", "the same id again: {seen}");
    assert_eq!(seen["cancelled"], "Cancelled");
    assert_ne!(seen["wrong_password"], "accepted");

    // The modem sent the client's message once and never the cancelled one.
    let sent = reassemble(&s.sim.request(Request::State).await["sent"]);
    assert_eq!(
        sent.get(TO).cloned().unwrap_or_default(),
        vec!["予約を承りました from the python client".to_owned()]
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_python_client_registers_webhooks_and_verifies_their_signatures() {
    use tokio::io::AsyncBufReadExt;
    let Some(py) = python() else {
        eprintln!(
            "skipped: no Python with android-sms-gateway (run .ci/run, or set SMSGATE_COMPAT_PYTHON)"
        );
        return;
    };
    const KEY: &str = "webhook-signing-key-42";
    let s = Service::start_with(
        "compat_smsgate_webhooks",
        &format!("signing_key = \"{KEY}\"\n"),
    )
    .await;
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/compat/smsgate_webhooks.py"
    );
    let mut child = tokio::process::Command::new(&py)
        .arg(script)
        .env("BASE_URL", format!("http://{}", s.compat))
        .env("LOGIN", USER)
        .env("PASSWORD", TOKEN)
        .env("TO", TO)
        .env("SIGNING_KEY", KEY)
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(PATIENCE, lines.next_line())
        .await
        .expect("the client registers its webhooks")
        .unwrap();
    assert_eq!(first.as_deref(), Some("ready"));
    // A customer texts in while the webhooks are registered.
    let v = s
        .sim
        .request(Request::Deliver {
            from: "+819087654321".into(),
            text: "届きましたか？".into(),
            encoding: None,
            class: None,
        })
        .await;
    assert_eq!(v["ok"], json!(true), "{v}");
    let last = tokio::time::timeout(PATIENCE * 2, lines.next_line())
        .await
        .expect("the client hears every event")
        .unwrap()
        .unwrap_or_default();
    let status = child.wait().await.unwrap();
    assert!(status.success(), "the client failed; it printed {last}");
    let seen: Value = serde_json::from_str(&last).unwrap();

    assert_eq!(seen["upsert_same_id"], true, "{seen}");
    assert_eq!(
        seen["listed"],
        json!(["sms:delivered", "sms:received", "sms:sent"]),
        "one webhook per event, the upsert replaced one: {seen}"
    );
    assert_eq!(seen["after_delete"], json!([]));
    assert_eq!(seen["all_signed"], true, "X-Signature verifies: {seen}");
    assert_eq!(seen["all_fresh"], true);
    let events = seen["events"].as_array().unwrap();
    let one = |name: &str| {
        let got: Vec<&Value> = events.iter().filter(|e| e["event"] == name).collect();
        assert_eq!(got.len(), 1, "{name} once: {seen}");
        got[0].clone()
    };
    let sent = one("sms:sent");
    assert_eq!(sent["deviceId"], "smsgate-test");
    assert_eq!(sent["payload"]["messageId"], "wh-1");
    assert_eq!(sent["payload"]["phoneNumber"], TO);
    assert_eq!(sent["payload"]["partsCount"], 1);
    assert_eq!(sent["payload"]["simNumber"], 1);
    assert!(sent["webhookId"].is_string() && sent["id"].is_string());
    let delivered = one("sms:delivered");
    assert_eq!(delivered["payload"]["messageId"], "wh-1");
    assert!(delivered["payload"]["deliveredAt"].is_string());
    let received = one("sms:received");
    assert_eq!(received["payload"]["message"], "届きましたか？");
    assert_eq!(received["payload"]["phoneNumber"], "+819087654321");
    assert!(
        received["payload"]["messageId"]
            .as_str()
            .unwrap()
            .starts_with("in_")
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protocol_details_as_the_app_answers_them() {
    let s = Service::start("compat_smsgate_raw").await;
    let a = Some((USER, TOKEN));
    // (name, method, path, auth, body, status, what the body contains)
    let cases: Vec<(
        &str,
        &str,
        &str,
        Option<(&str, &str)>,
        Option<Value>,
        u16,
        &str,
    )> = vec![
        (
            "health needs no login",
            "GET",
            "/health",
            None,
            None,
            200,
            "\"status\":\"pass\"",
        ),
        (
            "root needs the login",
            "GET",
            "/",
            None,
            None,
            401,
            "\"message\"",
        ),
        (
            "root with it",
            "GET",
            "/",
            a,
            None,
            200,
            "\"status\":\"ok\"",
        ),
        (
            "a wrong user",
            "GET",
            "/",
            Some(("other", TOKEN)),
            None,
            401,
            "",
        ),
        (
            "unknown id: empty 404",
            "GET",
            "/messages/nope",
            a,
            None,
            404,
            "",
        ),
        (
            "ttl and validUntil conflict",
            "POST",
            "/message",
            a,
            Some(
                json!({"phoneNumbers": [TO], "textMessage": {"text": "x"}, "ttl": 60, "validUntil": "2030-01-01T00:00:00Z"}),
            ),
            400,
            "ttl and validUntil",
        ),
        (
            "encrypted is refused",
            "POST",
            "/messages",
            a,
            Some(json!({"phoneNumbers": [TO], "textMessage": {"text": "x"}, "isEncrypted": true})),
            400,
            "encrypted",
        ),
        (
            "data messages are refused",
            "POST",
            "/messages",
            a,
            Some(json!({"phoneNumbers": [TO], "dataMessage": {"data": "AAE=", "port": 53739}})),
            400,
            "data messages",
        ),
        (
            "the legacy text field, null fields accepted",
            "POST",
            "/message",
            a,
            Some(
                json!({"phoneNumbers": [TO], "message": "legacy", "id": null, "simNumber": null, "ttl": null}),
            ),
            202,
            "\"Pending\"",
        ),
        (
            "a bad number",
            "POST",
            "/messages",
            a,
            Some(json!({"phoneNumbers": ["12-3x"], "textMessage": {"text": "x"}})),
            400,
            "message",
        ),
        (
            "a webhook with the client's id",
            "POST",
            "/webhooks",
            a,
            Some(json!({"id": "hook-1", "url": "http://127.0.0.1:9/in", "event": "sms:failed"})),
            201,
            "\"id\":\"hook-1\"",
        ),
        (
            "webhooks need the login",
            "GET",
            "/webhooks",
            None,
            None,
            401,
            "",
        ),
        (
            "webhooks listed",
            "GET",
            "/webhook",
            a,
            None,
            200,
            "\"event\":\"sms:failed\"",
        ),
        (
            "an event smsgate never sends",
            "POST",
            "/webhooks",
            a,
            Some(json!({"url": "http://127.0.0.1:9/in", "event": "mms:received"})),
            400,
            "Unsupported event",
        ),
        (
            "an https webhook (no TLS client)",
            "POST",
            "/webhooks",
            a,
            Some(json!({"url": "https://example.com/in", "event": "sms:sent"})),
            400,
            "http://",
        ),
        (
            "a webhook without a url",
            "POST",
            "/webhooks",
            a,
            Some(json!({"event": "sms:sent"})),
            400,
            "url",
        ),
        (
            "a webhook deleted",
            "DELETE",
            "/webhooks/hook-1",
            a,
            None,
            204,
            "",
        ),
        (
            "deleting it again is no error",
            "DELETE",
            "/webhook/hook-1",
            a,
            None,
            204,
            "",
        ),
        ("none left", "GET", "/webhooks", a, None, 200, "[]"),
    ];
    for (name, method, path, auth, body, status, want) in cases {
        let (got, headers, text) = http(s.compat, method, path, auth, body).await;
        assert_eq!(got, status, "{name}: {text}");
        assert!(text.contains(want), "{name}: {text}");
        if got == 401 {
            assert_eq!(
                header(&headers, "www-authenticate"),
                Some("Basic realm=\"Access to SMS Gateway\", charset=\"UTF-8\""),
                "{name}"
            );
        }
        if name.starts_with("unknown id") {
            assert_eq!(text, "", "{name}");
        }
    }
    let (status, headers, body) =
        http(s.compat, "GET", "/messages?limit=1&offset=0", a, None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        serde_json::from_str::<Value>(&body)
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(header(&headers, "x-total-count"), Some("1"));
    s.stop().await;
}

/// `system:ping` every `ping_seconds` to the webhooks registered for it, with the health
/// check's answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn system_ping_reaches_its_webhooks() {
    let s = Service::start_with("compat_smsgate_ping", "ping_seconds = 1\n").await;
    let rx = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/ping", rx.local_addr().unwrap());
    let (status, _, body) = http(
        s.compat,
        "POST",
        "/webhooks",
        Some((USER, TOKEN)),
        Some(json!({"url": url, "event": "system:ping"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let (mut c, _) = tokio::time::timeout(PATIENCE, rx.accept())
        .await
        .expect("a ping comes")
        .unwrap();
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    let body = loop {
        let n = c.read(&mut buf).await.unwrap();
        assert!(n > 0, "the request ended early");
        raw.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&raw).into_owned();
        if let Some((_, body)) = text.split_once("\r\n\r\n")
            && let Ok(v) = serde_json::from_str::<Value>(body)
        {
            break v;
        }
    };
    c.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        .await
        .unwrap();
    assert!(String::from_utf8_lossy(&raw).starts_with("POST /ping "));
    assert_eq!(body["event"], "system:ping", "{body}");
    assert_eq!(body["deviceId"], "smsgate-test");
    assert_eq!(body["payload"]["health"]["status"], "pass", "{body}");
    s.stop().await;
}
