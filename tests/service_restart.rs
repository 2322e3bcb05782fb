//! The kill -9 case: `smsgate serve` as a child process, its modem a `smsgate sim`
//! child process that outlives it. 30 messages are queued, the service is killed with SIGKILL
//! after some were sent, started again on the same database, and runs until every recipient
//! has settled. Then: every accepted message is still there, nothing was lost, and nothing was
//! sent twice: a recipient in flight at the kill is `unknown` and is not resent.

// A test unwraps its own fixtures; the lints guard the service's code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Method, StatusCode, header};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

mod common;
use common::{free_port, reassemble, sim_state};

const PATIENCE: Duration = Duration::from_secs(60);
const MESSAGES: usize = 30;

/// Child processes, killed (SIGKILL) and reaped when dropped, whatever happened.
#[derive(Default)]
struct Children(Vec<(&'static str, Child)>);

impl Children {
    fn spawn(&mut self, name: &'static str, args: &[&str], log: &Path) -> usize {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .unwrap();
        let child = common::smsgate()
            .args(args)
            // Webhook attempts show at debug level; a test waits for one.
            .env("RUST_LOG", "smsgate=info,smsgate::webhook=debug")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        self.0.push((name, child));
        self.0.len() - 1
    }

    /// SIGKILL, then reap.
    fn kill(&mut self, i: usize) {
        let c = &mut self.0[i].1;
        let _ = c.kill();
        let _ = c.wait();
    }
}

impl Drop for Children {
    fn drop(&mut self) {
        for (_, c) in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("smsgate-restart-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn sent_parts(state: &Value) -> usize {
    state["sent"].as_array().map_or(0, Vec::len)
}

/// Polls `f` until it returns Some, or panics with `what` after [`PATIENCE`].
async fn until<T>(what: &str, mut f: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

struct Api {
    base: String,
    client: Client<HttpConnector, Full<Bytes>>,
}

impl Api {
    /// A client for the service on 127.0.0.1:`port`. No pooled connections: the first server
    /// dies under them.
    fn on(port: u16) -> Api {
        Api {
            base: format!("http://127.0.0.1:{port}"),
            client: Client::builder(TokioExecutor::new())
                .pool_max_idle_per_host(0)
                .build_http(),
        }
    }

    /// A JSON request; None when the service cannot be reached.
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Option<(StatusCode, Value)> {
        let mut b = hyper::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        let body = match body {
            Some(v) => {
                b = b.header(header::CONTENT_TYPE, "application/json");
                Bytes::from(v.to_string())
            }
            None => Bytes::new(),
        };
        let resp = self
            .client
            .request(b.body(Full::new(body)).unwrap())
            .await
            .ok()?;
        let status = resp.status();
        let bytes = resp.into_body().collect().await.ok()?.to_bytes();
        Some((
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        ))
    }

    async fn wait_ready(&self) {
        until("the service and its modem are ready", async || {
            let (status, v) = self.call(Method::GET, "/api/v1/modems", None).await?;
            (status == StatusCode::OK
                && v.as_array()
                    .is_some_and(|ms| !ms.is_empty() && ms.iter().all(|m| m["state"] == "ready")))
            .then_some(())
        })
        .await
    }

    async fn get(&self, id: &str) -> Value {
        let (status, v) = self
            .call(Method::GET, &format!("/api/v1/messages/{id}"), None)
            .await
            .expect("the service answers");
        assert_eq!(status, StatusCode::OK, "{id}: {v}");
        v
    }
}

/// Writes `<dir>/smsgate.toml`: the service on 127.0.0.1:`port`, its database in `dir`, one modem
/// on `link`, then `extra` (more sections).
fn write_config(dir: &Path, port: u16, link: &Path, extra: &str) -> PathBuf {
    let config = dir.join("smsgate.toml");
    std::fs::write(
        &config,
        format!(
            "[http]\nlisten = \"127.0.0.1:{port}\"\n\n[storage]\npath = {:?}\n\n\
             [[modems]]\nname = \"m0\"\ndevice = {:?}\n\n{extra}",
            dir.join("smsgate.db").display().to_string(),
            link.display().to_string()
        ),
    )
    .unwrap();
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_queue_loses_nothing_and_sends_nothing_twice() {
    let dir = temp_dir("queue");
    let log = dir.join("processes.log");
    let link = dir.join("modem");
    let mut children = Children::default();
    children.spawn(
        "sim",
        &["sim", "--link", link.to_str().unwrap(), "--delay-ms", "300"],
        &log,
    );
    until("the simulator answers", async || sim_state(&link)).await;

    let port = free_port();
    let config = write_config(
        &dir,
        port,
        &link,
        "[queue]\nbackoff_initial_secs = 1\nbackoff_max_secs = 2\n",
    );
    let serve = ["serve", "--config", config.to_str().unwrap()];
    let api = Api::on(port);

    let first = children.spawn("serve (first run)", &serve, &log);
    api.wait_ready().await;

    // Every fifth message takes two parts, so the kill may also fall between parts.
    let mut accepted: BTreeMap<String, (String, String)> = BTreeMap::new(); // id -> (to, text)
    for i in 0..MESSAGES {
        let to = format!("+8190{i:08}");
        let text = if i % 5 == 0 {
            format!("message {i}: ") + &"a longer text in two parts. ".repeat(7)
        } else {
            format!("message {i}")
        };
        let (status, v) = api
            .call(
                Method::POST,
                "/api/v1/messages",
                Some(json!({"to": to, "text": text})),
            )
            .await
            .expect("the service answers");
        assert_eq!(status, StatusCode::ACCEPTED, "{v}");
        accepted.insert(v["id"].as_str().unwrap().to_owned(), (to, text));
    }

    // Kill it mid-queue: some parts are out, most are not. Once a few are out, each part spends
    // 2 s with the network: the 30 parts left would take a minute, so the kill certainly comes
    // mid-queue however slow the machine (and may well come while a part is with the network).
    let at_kill = until("a few parts sent", async || {
        let st = sim_state(&link)?;
        (sent_parts(&st) >= 6).then_some(st)
    })
    .await;
    sim_ctl(&link, r#"{"cmd":"set","delay_ms":2000}"#);
    children.kill(first);
    let sent_before = sent_parts(&sim_state(&link).expect("the simulator outlives the service"));
    assert!(
        sent_before < MESSAGES,
        "the queue was not mid-way at the kill ({sent_before} parts out; at_kill {})",
        sent_parts(&at_kill)
    );

    // Again, on the same database, at the first run's pace. A part still with the network is
    // answered first (every reference handed out is in `sent`), so the second run does not
    // open the port into the middle of the first run's exchange.
    sim_ctl(&link, r#"{"cmd":"set","delay_ms":300}"#);
    until("the part in flight at the kill answered", async || {
        let st = sim_state(&link)?;
        (st["next_mr"].as_u64() == Some(sent_parts(&st) as u64)).then_some(())
    })
    .await;
    children.spawn("serve (second run)", &serve, &log);
    api.wait_ready().await;
    let settled = until("every recipient settled", async || {
        let mut all = BTreeMap::new();
        for id in accepted.keys() {
            let m = api.get(id).await;
            let r = m["recipients"][0].clone();
            if matches!(r["state"].as_str(), Some("queued" | "sending")) {
                return None;
            }
            all.insert(id.clone(), r);
        }
        Some(all)
    })
    .await;

    let state = sim_state(&link).expect("the simulator still runs");
    let on_air = reassemble(&state["sent"]);
    assert!(
        sent_parts(&state) > sent_before,
        "nothing was sent after the restart (log: {})",
        log.display()
    );
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut problems = Vec::new();
    for (id, (to, text)) in &accepted {
        let r = &settled[id];
        let st = r["state"].as_str().unwrap_or_default().to_owned();
        *counts.entry(st.clone()).or_default() += 1;
        let texts = on_air.get(to).cloned().unwrap_or_default();
        let n = texts.len();
        match st.as_str() {
            "sent" | "delivered" if texts != [text.clone()] => problems.push(format!(
                "{id} {to}: {st}, but on the air {n} times: {texts:?}"
            )),
            // In flight at the kill: at most once, and only parts of its own text (the kill
            // may fall between the parts of a long message).
            "unknown" if n > 1 || texts.iter().any(|t| t.is_empty() || !text.starts_with(t)) => {
                problems.push(format!("{id} {to}: unknown, on the air as {texts:?}"))
            }
            "sent" | "delivered" | "unknown" => {}
            other => problems.push(format!("{id} {to}: settled as {other}: {r}")),
        }
    }
    for to in on_air.keys() {
        if !accepted.values().any(|(t, _)| t == to) {
            problems.push(format!("sent to {to}, which nobody asked for"));
        }
    }
    assert!(
        problems.is_empty(),
        "{}\n(states {counts:?}; log {})",
        problems.join("\n"),
        log.display()
    );
    // Nothing lost: every accepted message went out or is known to be in doubt.
    let covered = ["sent", "delivered", "unknown"]
        .iter()
        .map(|s| counts.get(*s).copied().unwrap_or(0))
        .sum::<usize>();
    assert_eq!(covered, MESSAGES, "{counts:?}");
    // Every message is still listed.
    let (status, v) = api
        .call(Method::GET, "/api/v1/messages?limit=100", None)
        .await
        .expect("the service answers");
    assert_eq!(status, StatusCode::OK);
    let listed: Vec<&str> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["id"].as_str())
        .collect();
    for id in accepted.keys() {
        assert!(listed.contains(&id.as_str()), "{id} is not listed");
    }
    drop(children);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `smsgate sim ctl --link PATH JSON`; panics unless it answers ok.
fn sim_ctl(link: &Path, line: &str) -> Value {
    let out = common::smsgate()
        .args(["sim", "ctl", "--link"])
        .arg(link)
        .arg(line)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    assert!(out.status.success() && v["ok"] == true, "{line} -> {v}");
    v
}

/// The SMS-DELIVER PDUs (PDU-mode hex) of `text` from `from`, one per part in order: made by
/// a scratch simulator nobody reads, which stores them in its SIM.
async fn deliver_pdus(dir: &Path, from: &str, text: &str) -> Vec<String> {
    use smsgate::sim::{Request, SimConfig, Simulator};
    let scratch = Simulator::spawn(SimConfig::new(dir.join("scratch")))
        .await
        .unwrap();
    let v = scratch
        .request(Request::Deliver {
            from: from.into(),
            text: text.into(),
            encoding: None,
            class: None,
        })
        .await;
    assert_eq!(v["ok"], true, "{v}");
    let st = scratch.request(Request::State).await;
    scratch.shutdown().await;
    let mut stored: Vec<(u64, String)> = st["storage"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["index"].as_u64().unwrap(),
                m["pdu"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    stored.sort();
    stored.into_iter().map(|(_, pdu)| pdu).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inbound_message_split_by_a_kill_9_is_whole_after_the_restart() {
    let dir = temp_dir("inbound");
    let log = dir.join("processes.log");
    let link = dir.join("modem");
    let from = "+818012340000";
    let text = "お問い合わせ番号4711について、担当からご連絡します。少々お待ちください😀".repeat(2);
    let pdus = deliver_pdus(&dir, from, &text).await;
    assert_eq!(pdus.len(), 2, "{pdus:?}");

    let mut children = Children::default();
    children.spawn("sim", &["sim", "--link", link.to_str().unwrap()], &log);
    until("the simulator answers", async || sim_state(&link)).await;
    let port = free_port();
    let config = write_config(&dir, port, &link, "");
    let serve = ["serve", "--config", config.to_str().unwrap()];
    let api = Api::on(port);
    let first = children.spawn("serve (first run)", &serve, &log);
    api.wait_ready().await;

    // Part 1 arrives and is stored: the modem deletes a part only after the commit.
    sim_ctl(
        &link,
        &json!({"cmd": "deliver_pdu", "pdu": pdus[0]}).to_string(),
    );
    until("part 1 taken off the SIM", async || {
        let st = sim_state(&link)?;
        (st["counters"]["received"].as_u64() >= Some(1) && st["used"] == 0).then_some(())
    })
    .await;
    let (status, v) = api
        .call(Method::GET, "/api/v1/messages?direction=in", None)
        .await
        .unwrap();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["items"], json!([]), "half a message is not listed: {v}");

    // Killed; part 2 arrives while nobody listens and waits on the SIM.
    children.kill(first);
    sim_ctl(
        &link,
        &json!({"cmd": "deliver_pdu", "pdu": pdus[1]}).to_string(),
    );

    children.spawn("serve (second run)", &serve, &log);
    api.wait_ready().await;
    let items = until("the whole message is listed", async || {
        let (_, v) = api
            .call(Method::GET, "/api/v1/messages?direction=in", None)
            .await?;
        let items = v["items"].as_array()?.clone();
        (!items.is_empty()).then_some(items)
    })
    .await;
    assert_eq!(items.len(), 1, "{items:#?}");
    let m = &items[0];
    assert_eq!(m["from"], from, "{m:#}");
    assert_eq!(m["text"], text.as_str(), "{m:#}");
    assert_eq!(m["complete"], true, "{m:#}");
    assert_eq!(m["parts"], 2, "{m:#}");
    assert_eq!(m["total"], 2, "{m:#}");
    until("part 2 taken off the SIM", async || {
        (sim_state(&link)?["used"] == 0).then_some(())
    })
    .await;
    drop(children);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A webhook receiver on `port` answering 200 and recording (headers, body) of each request.
async fn receiver(
    port: u16,
) -> (
    std::sync::Arc<std::sync::Mutex<Vec<(hyper::HeaderMap, Bytes)>>>,
    tokio::task::JoinHandle<()>,
) {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let hits: std::sync::Arc<std::sync::Mutex<Vec<(hyper::HeaderMap, Bytes)>>> = Default::default();
    let h = hits.clone();
    let task = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let hits = h.clone();
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(
                    move |req: hyper::Request<hyper::body::Incoming>| {
                        let hits = hits.clone();
                        async move {
                            let headers = req.headers().clone();
                            let body = req.into_body().collect().await.unwrap().to_bytes();
                            hits.lock().unwrap().push((headers, body));
                            Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(
                                Bytes::new(),
                            )))
                        }
                    },
                );
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    (hits, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_event_not_yet_delivered_survives_a_kill_9() {
    let dir = temp_dir("webhook");
    let log = dir.join("processes.log");
    let link = dir.join("modem");
    let mut children = Children::default();
    children.spawn("sim", &["sim", "--link", link.to_str().unwrap()], &log);
    until("the simulator answers", async || sim_state(&link)).await;
    let port = free_port();
    let hook_port = free_port();
    let config = write_config(
        &dir,
        port,
        &link,
        &format!(
            "[[webhooks]]\nurl = \"http://127.0.0.1:{hook_port}/hook\"\n\
             events = [\"message.received\"]\nsecret = \"restart-secret\"\n"
        ),
    );
    let serve = ["serve", "--config", config.to_str().unwrap()];
    let api = Api::on(port);
    let first = children.spawn("serve (first run)", &serve, &log);
    api.wait_ready().await;

    // A message arrives while the receiver is down: its event waits in the outbox.
    sim_ctl(
        &link,
        &json!({"cmd": "deliver", "from": "+818077778888", "text": "are you open?"}).to_string(),
    );
    let inbound = until("the message is listed", async || {
        let (_, v) = api
            .call(Method::GET, "/api/v1/messages?direction=in", None)
            .await?;
        v["items"].as_array()?.first().cloned()
    })
    .await;
    until("a failed attempt", async || {
        std::fs::read_to_string(&log)
            .ok()?
            .contains("webhook failed; will retry")
            .then_some(())
    })
    .await;
    children.kill(first);

    // The receiver is back, and so is the service.
    let (hits, task) = receiver(hook_port).await;
    children.spawn("serve (second run)", &serve, &log);
    let got = until("the event after the restart", async || {
        let hits = hits.lock().unwrap().clone();
        (!hits.is_empty()).then_some(hits)
    })
    .await;
    task.abort();
    for (headers, body) in &got {
        let h = |n: &str| {
            headers
                .get(n)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        assert!(
            smsgate::webhook::verify(
                b"restart-secret",
                &h(smsgate::webhook::HEADER_TIMESTAMP),
                body,
                &h(smsgate::webhook::HEADER_SIGNATURE)
            ),
            "{headers:?}"
        );
        let ev: Value = serde_json::from_slice(body).unwrap();
        assert_eq!(ev["type"], "message.received", "{ev}");
        assert_eq!(ev["data"]["id"], inbound["id"], "{ev}");
        assert_eq!(ev["data"]["text"], "are you open?", "{ev}");
        assert_eq!(ev["id"], h(smsgate::webhook::HEADER_DELIVERY));
    }
    drop(children);
    let _ = std::fs::remove_dir_all(&dir);
}

/// 40 messages asking for status reports through a module that keeps reports in its own "SR"
/// memory (Quectel, SIMCom), the service killed with SIGKILL mid-queue and started again: every
/// message ends `delivered` (at most the one or two in flight at the kill are `unknown`), "SR" is
/// left empty, nothing went out twice, and each delivered message had its `message.sent` and
/// `message.delivered` webhook, although the kill fell between states and their events.
async fn kill_9_with_status_reports_loses_no_report_and_no_event(profile: &'static str) {
    const COUNT: usize = 40;
    let dir = temp_dir(&format!("reports-{profile}"));
    let log = dir.join("processes.log");
    let link = dir.join("modem");
    let mut children = Children::default();
    children.spawn(
        "sim",
        &[
            "sim",
            "--profile",
            profile,
            "--link",
            link.to_str().unwrap(),
            "--delay-ms",
            "100",
            "--report-delay-ms",
            "300",
        ],
        &log,
    );
    until("the simulator answers", async || sim_state(&link)).await;
    let port = free_port();
    let hook_port = free_port();
    let (hits, receiver_task) = receiver(hook_port).await;
    let config = write_config(
        &dir,
        port,
        &link,
        &format!(
            "[queue]\nbackoff_initial_secs = 1\nbackoff_max_secs = 2\n\n\
             [[webhooks]]\nurl = \"http://127.0.0.1:{hook_port}/hook\"\n\
             events = [\"message.sent\", \"message.delivered\", \"message.failed\"]\n"
        ),
    );
    let serve = ["serve", "--config", config.to_str().unwrap()];
    let api = Api::on(port);
    let first = children.spawn("serve (first run)", &serve, &log);
    api.wait_ready().await;

    let mut accepted: BTreeMap<String, (String, String)> = BTreeMap::new();
    for i in 0..COUNT {
        let to = format!("+8180{i:08}");
        let text = format!("reminder {i}");
        let (status, v) = api
            .call(
                Method::POST,
                "/api/v1/messages",
                Some(json!({"to": to, "text": text, "status_report": true})),
            )
            .await
            .expect("the service answers");
        assert_eq!(status, StatusCode::ACCEPTED, "{v}");
        accepted.insert(v["id"].as_str().unwrap().to_owned(), (to, text));
    }
    until("some sent and reported", async || {
        let st = sim_state(&link)?;
        (sent_parts(&st) >= 12).then_some(())
    })
    .await;
    children.kill(first);
    let sent_before = sent_parts(&sim_state(&link).expect("the simulator outlives the service"));
    assert!(sent_before < COUNT, "the kill came too late: {sent_before}");

    children.spawn("serve (second run)", &serve, &log);
    let settled = until("every message delivered or in doubt", async || {
        let mut all = BTreeMap::new();
        for id in accepted.keys() {
            let (status, m) = api
                .call(Method::GET, &format!("/api/v1/messages/{id}"), None)
                .await?;
            if status != StatusCode::OK
                || !matches!(m["state"].as_str(), Some("delivered" | "unknown"))
            {
                return None;
            }
            all.insert(
                id.clone(),
                m["state"].as_str().unwrap_or_default().to_owned(),
            );
        }
        Some(all)
    })
    .await;
    let unknown: Vec<&String> = settled
        .iter()
        .filter(|(_, s)| *s == "unknown")
        .map(|(id, _)| id)
        .collect();
    assert!(unknown.len() <= 2, "{unknown:?}");

    // The module's report memory is emptied, and no report was dropped for want of room.
    let state = until("SR emptied", async || {
        let st = sim_state(&link)?;
        (st["memories"]["SR"]["used"] == 0).then_some(st)
    })
    .await;
    assert_eq!(
        state["counters"]["dropped_status_reports"],
        0,
        "{}",
        log.display()
    );
    // None sent twice: each number got its text once (one in doubt at most once).
    let on_air = reassemble(&state["sent"]);
    for (id, (to, text)) in &accepted {
        let texts = on_air.get(to).cloned().unwrap_or_default();
        if settled[id] == "delivered" {
            assert_eq!(texts, vec![text.clone()], "{id} {to}");
        } else {
            assert!(texts.len() <= 1, "{id} {to}: {texts:?}");
        }
    }

    // Every delivered message: a message.sent and a message.delivered event (at least once),
    // and one in doubt its message.failed (state unknown).
    let events = until("the events delivered", async || {
        let mut seen: BTreeMap<(String, String), usize> = BTreeMap::new();
        for (_, body) in hits.lock().unwrap().iter() {
            let ev: Value = serde_json::from_slice(body).ok()?;
            let key = (
                ev["type"].as_str()?.to_owned(),
                ev["data"]["id"].as_str()?.to_owned(),
            );
            *seen.entry(key).or_default() += 1;
        }
        let has = |kind: &str, id: &String| seen.contains_key(&(kind.into(), id.clone()));
        // One in flight at the kill is `unknown`, reported as message.failed.
        let complete = settled.iter().all(|(id, s)| match s.as_str() {
            "delivered" => has("message.sent", id) && has("message.delivered", id),
            _ => has("message.failed", id),
        });
        complete.then_some(seen)
    })
    .await;
    for (kind, id) in events.keys() {
        if kind == "message.failed" {
            assert_eq!(settled[id], "unknown", "{id} reported failed");
        }
    }
    receiver_task.abort();
    drop(children);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_with_status_reports_on_quectel() {
    kill_9_with_status_reports_loses_no_report_and_no_event("quectel").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_with_status_reports_on_simcom() {
    kill_9_with_status_reports_loses_no_report_and_no_event("simcom").await;
}
