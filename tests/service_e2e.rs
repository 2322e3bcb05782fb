//! The whole service end to end: `app::start` with a TOML config, real HTTP over
//! loopback with a hyper client, a real SQLite file, and pty simulators spawned here so faults
//! can be injected. Every test asserts what a user relies on: the API's view of a message and
//! what the simulated modem actually put on the air (its `sent` list).
//!
//! No assertion is about how long something took; polling has a generous deadline only so a
//! broken build fails instead of hanging. Where a fault must land inside a stretch of time
//! (a hang, a send with the network, the wait before a retry), that stretch is made far longer
//! than what has to happen inside it, and the simulator's state, not a sleep, tells the test
//! when it has begun: no outcome depends on how fast the machine is.

// A test unwraps its own fixtures; the lints guard the service's code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::HeaderMap;
use hyper::{Method, StatusCode};
use hyper_util::rt::TokioIo;
use jiff::Timestamp;
use serde_json::{Value, json};

use smsgate::app::{self, Options, Running};
use smsgate::config::Config;
use smsgate::sim::{Fault, Request, SimConfig, SimHandle, Simulator};

mod common;
use common::loopback::Api;
use common::{reassemble, temp_dir};

const PATIENCE: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_millis(100);
/// A hang or unplug that outlasts any test: the modem is certainly still gone when the test
/// looks, however slow the machine (the simulator is shut down at the end of the test anyway).
const FOREVER_SECS: f64 = 3600.0;

/// How to set up one service.
struct Setup {
    name: &'static str,
    modems: usize,
    /// `poll_interval_secs` of every modem (1 makes a hang noticed quickly).
    poll_secs: u64,
    /// The simulators' delay from `+CMGS` to the automatic status report.
    report_delay: Duration,
    /// `queue.max_attempts`.
    attempts: u32,
    /// `queue.backoff_initial_secs`; `backoff_max_secs` is twice that.
    backoff_secs: u64,
    /// More TOML appended to the config (e.g. `[[webhooks]]`).
    extra: String,
}

impl Setup {
    fn new(name: &'static str) -> Setup {
        Setup {
            name,
            modems: 1,
            poll_secs: 30,
            report_delay: Duration::from_millis(100),
            attempts: 3,
            backoff_secs: 1,
            extra: String::new(),
        }
    }
}

/// A running service with its simulators and an HTTP client.
struct Service {
    running: Option<Running>,
    /// The config, for a restart.
    config: String,
    sims: Vec<SimHandle>,
    dir: PathBuf,
    api: Api,
}

impl Service {
    async fn start(setup: Setup) -> Service {
        let dir = temp_dir(setup.name);
        let mut sims = Vec::new();
        let mut text = format!(
            "[http]\nlisten = \"127.0.0.1:0\"\n\n[storage]\npath = {:?}\n\n\
             [queue]\nbackoff_initial_secs = {}\nbackoff_max_secs = {}\nmax_attempts = {}\n\n",
            dir.join("smsgate.db").display().to_string(),
            setup.backoff_secs,
            setup.backoff_secs * 2,
            setup.attempts
        );
        for i in 0..setup.modems {
            let mut sc = SimConfig::new(dir.join(format!("modem{i}")));
            sc.report_delay = setup.report_delay;
            let sim = Simulator::spawn(sc).await.unwrap();
            text.push_str(&format!(
                "[[modems]]\nname = \"m{i}\"\ndevice = {:?}\npoll_interval_secs = {}\n\n",
                sim.link().display().to_string(),
                setup.poll_secs
            ));
            sims.push(sim);
        }
        text.push_str(&setup.extra);
        let (running, base) = Self::boot(&text, &dir).await;
        let s = Service {
            running: Some(running),
            config: text,
            sims,
            dir,
            api: Api::new(base),
        };
        s.wait_modems(|st| st == "ready").await;
        s
    }

    /// `app::start` with the config text; the running service and its base URL.
    async fn boot(text: &str, dir: &std::path::Path) -> (Running, String) {
        let config = Config::parse(text, &dir.join("smsgate.toml")).unwrap();
        let running = app::start(Options {
            config,
            simulate: 0,
        })
        .await
        .unwrap();
        assert!(running.addr.ip().is_loopback(), "{}", running.addr);
        assert_ne!(
            running.addr.port(),
            0,
            "app::start must report the port it bound"
        );
        let base = format!("http://{}", running.addr);
        (running, base)
    }

    /// A graceful stop (`Running::shutdown`, what SIGTERM does); [`Service::start_again`] then
    /// starts it on the same database and simulators.
    async fn graceful_stop(&mut self) {
        if let Some(r) = self.running.take() {
            r.shutdown().await;
        }
    }

    async fn start_again(&mut self) {
        let (running, base) = Self::boot(&self.config, &self.dir).await;
        self.running = Some(running);
        self.api = Api::new(base);
        self.wait_modems(|st| st == "ready").await;
    }

    /// Any request; the body parsed as JSON (`Null` when empty or not JSON).
    async fn raw(
        &self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> (StatusCode, Value) {
        self.api.raw(method, path, content_type, body).await
    }

    /// A JSON request (GET and DELETE without a body).
    async fn json(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        self.api.json(method, path, body).await
    }

    /// POSTs a message; asserts the 202 and returns the message object.
    async fn send(&self, body: Value) -> Value {
        let (status, v) = self
            .json(Method::POST, "/api/v1/messages", Some(body.clone()))
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body} -> {v}");
        assert_eq!(v["state"], "queued", "{v}");
        v
    }

    async fn get(&self, id: &str) -> Value {
        let (status, v) = self
            .json(Method::GET, &format!("/api/v1/messages/{id}"), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{v}");
        v
    }

    /// Polls the message until its state is `want`; fails early when it settles elsewhere.
    async fn wait_state(&self, id: &str, want: &str) -> Value {
        let finals = ["delivered", "failed", "expired", "cancelled", "unknown"];
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let m = self.get(id).await;
            let st = m["state"].as_str().unwrap_or_default();
            if st == want {
                return m;
            }
            assert!(
                !finals.contains(&st),
                "{id} settled as {st}, wanted {want}: {m:#}"
            );
            assert!(
                tokio::time::Instant::now() < deadline,
                "{id} never reached {want} (db {}): {m:#}",
                self.dir.display()
            );
            tokio::time::sleep(POLL).await;
        }
    }

    async fn modems(&self) -> Vec<Value> {
        let (status, v) = self.json(Method::GET, "/api/v1/modems", None).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        v.as_array().cloned().unwrap_or_default()
    }

    /// Waits until every modem's state satisfies `ok`.
    async fn wait_modems(&self, ok: impl Fn(&str) -> bool) {
        self.wait_modem_where(|_| true, ok).await
    }

    /// Waits until every modem picked by `which` (by name) has a state satisfying `ok`.
    async fn wait_modem_where(&self, which: impl Fn(&str) -> bool, ok: impl Fn(&str) -> bool) {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let ms = self.modems().await;
            if !ms.is_empty()
                && ms
                    .iter()
                    .filter(|m| which(m["name"].as_str().unwrap_or_default()))
                    .all(|m| ok(m["state"].as_str().unwrap_or_default()))
            {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "modems never got there: {ms:?}"
            );
            tokio::time::sleep(POLL).await;
        }
    }

    async fn sim(&self, i: usize, req: Request) -> Value {
        let v = self.sims[i].request(req).await;
        assert_eq!(v["ok"], json!(true), "{v}");
        v
    }

    /// What simulator `i` sent, reassembled: recipient -> texts, in the order sent. A part
    /// sent twice (same recipient, reference and sequence) shows up as a second text.
    async fn sent(&self, i: usize) -> BTreeMap<String, Vec<String>> {
        reassemble(&self.sim(i, Request::State).await["sent"])
    }

    async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            // A hung modem's recovery commands run to their timeouts first (about 18 s with
            // a 1 s poll); the test does not wait for that.
            let _ = tokio::time::timeout(Duration::from_secs(3), r.shutdown()).await;
        }
        for s in self.sims.drain(..) {
            s.shutdown().await;
        }
        // Kept when a test fails (its panic message names the database).
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Asserts every recipient of `m` is `delivered` with as many parts as the message says, each
/// with an `mr` and the modem that sent it.
fn assert_delivered_with_mrs(m: &Value) {
    assert_eq!(m["state"], "delivered", "{m:#}");
    let parts = m["parts"].as_u64().unwrap();
    for r in m["recipients"].as_array().unwrap() {
        assert_eq!(r["state"], "delivered", "{r:#}");
        let ps = r["parts"].as_array().unwrap();
        assert_eq!(ps.len() as u64, parts, "{r:#}");
        for p in ps {
            assert!(p["mr"].is_u64(), "part without mr: {r:#}");
            assert_eq!(p["state"], "delivered", "{r:#}");
        }
        assert!(r["delivered_at"].is_string(), "{r:#}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_multipart_japanese_and_emoji_texts_are_delivered_whole_once() {
    let s = Service::start(Setup::new("texts")).await;
    // (recipient, text, encoding, parts)
    let cases: &[(&str, String, &str, u64)] = &[
        ("+819000000001", "Your code is 123456".into(), "gsm7", 1),
        (
            "+819000000002",
            "Dear customer, ".repeat(20) + "{braces} [brackets] ~tilde~ €uro",
            "gsm7",
            3,
        ),
        (
            "+819000000003",
            "お問い合わせありがとうございます。担当者より折り返しご連絡いたします。".into(),
            "ucs2",
            1,
        ),
        (
            "+819000000004",
            "ご予約ありがとうございます😀明日10時にお待ちしております🎉".repeat(3),
            "ucs2",
            2,
        ),
        ("+819000000005", "😀".repeat(40), "ucs2", 2),
    ];
    let mut ids = Vec::new();
    for (to, text, encoding, parts) in cases {
        let v = s.send(json!({"to": to, "text": text})).await;
        assert_eq!(v["encoding"], *encoding, "{to}: {v}");
        assert_eq!(v["parts"], *parts, "{to}: {v}");
        ids.push(v["id"].as_str().unwrap().to_owned());
    }
    for id in &ids {
        let m = s.wait_state(id, "delivered").await;
        assert_delivered_with_mrs(&m);
    }
    let sent = s.sent(0).await;
    let want: BTreeMap<String, Vec<String>> = cases
        .iter()
        .map(|(to, text, _, _)| (to.to_string(), vec![text.clone()]))
        .collect();
    assert_eq!(
        sent, want,
        "each recipient got its text whole, exactly once"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_recipients_each_get_the_text_once() {
    let s = Service::start(Setup::new("recipients")).await;
    let text = "Maintenance tonight 22:00-23:00. Reply STOP to opt out. ".repeat(4);
    let to = [
        "+819011110001",
        "+819011110002",
        "+819011110003",
        "0312345678",
    ];
    let v = s.send(json!({"to": to, "text": text})).await;
    let id = v["id"].as_str().unwrap();
    let m = s.wait_state(id, "delivered").await;
    assert_delivered_with_mrs(&m);
    let got: Vec<&str> = m["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["to"].as_str().unwrap())
        .collect();
    assert_eq!(got, to, "recipients in the order given");
    let sent = s.sent(0).await;
    let want: BTreeMap<String, Vec<String>> = to
        .iter()
        .map(|n| (n.to_string(), vec![text.clone()]))
        .collect();
    assert_eq!(sent, want);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scheduled_message_waits_for_send_at_then_goes() {
    let s = Service::start(Setup::new("scheduled")).await;
    // Both messages are accepted and the second cancelled before send_at, and the test looks
    // at least once before it: 30 s leaves room for that on any machine (the service reads the
    // real clock, so the wait cannot be skipped). Whole milliseconds, as the store keeps them.
    let later = Timestamp::now() + jiff::SignedDuration::from_secs(30);
    let send_at = Timestamp::from_millisecond(later.as_millisecond()).unwrap();
    let v = s
        .send(
            json!({"to": "+819022220000", "text": "good morning", "send_at": send_at.to_string()}),
        )
        .await;
    let id = v["id"].as_str().unwrap();
    let stored_at: Timestamp = v["send_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(stored_at, send_at);
    // A second one, cancelled while it waits: never sent.
    let v = s
        .send(json!({"to": "+819022220001", "text": "never mind", "send_at": send_at.to_string(), "ttl": 600}))
        .await;
    let cancelled = v["id"].as_str().unwrap().to_owned();
    let expires_at: Timestamp = v["expires_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        expires_at,
        send_at + jiff::SignedDuration::from_secs(600),
        "the ttl counts from send_at"
    );
    let (status, v) = s
        .json(
            Method::DELETE,
            &format!("/api/v1/messages/{cancelled}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["state"], "cancelled", "{v}");
    // While send_at is in the future the message stays queued and the modem saw nothing.
    let mut checks = 0;
    loop {
        let m = s.get(id).await;
        let sent = s.sent(0).await;
        if Timestamp::now() >= send_at {
            break;
        }
        assert_eq!(m["state"], "queued", "{m:#}");
        assert!(sent.is_empty(), "sent before send_at: {sent:?}");
        checks += 1;
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(checks > 0, "never looked before send_at");
    let m = s.wait_state(id, "delivered").await;
    assert_delivered_with_mrs(&m);
    for p in m["recipients"][0]["parts"].as_array().unwrap() {
        let at: Timestamp = p["sent_at"].as_str().unwrap().parse().unwrap();
        assert!(at >= send_at, "part sent at {at}, before {send_at}");
    }
    assert_eq!(
        s.sent(0).await,
        BTreeMap::from([("+819022220000".to_owned(), vec!["good morning".to_owned()])])
    );
    assert_eq!(s.get(&cancelled).await["state"], "cancelled");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_expires_when_its_ttl_passes_with_the_only_modem_hung() {
    let s = Service::start(Setup {
        poll_secs: 1,
        ..Setup::new("ttl")
    })
    .await;
    s.sim(
        0,
        Request::Fault(Fault::Hang {
            seconds: FOREVER_SECS,
        }),
    )
    .await;
    // The service notices the hang (its poll goes unanswered) and stops using the modem.
    s.wait_modems(|st| st != "ready").await;
    let v = s
        .send(json!({"to": "+819033330000", "text": "too late", "ttl": 1}))
        .await;
    let id = v["id"].as_str().unwrap();
    let send_at: Timestamp = v["send_at"].as_str().unwrap().parse().unwrap();
    let expires_at: Timestamp = v["expires_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        expires_at,
        send_at + jiff::SignedDuration::from_secs(1),
        "{v}"
    );
    let m = s.wait_state(id, "expired").await;
    assert_eq!(m["recipients"][0]["state"], "expired", "{m:#}");
    assert!(s.sent(0).await.is_empty());
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_temporary_error_is_retried_and_a_permanent_one_is_not() {
    let s = Service::start(Setup::new("retry")).await;
    // (cms code, recipient, final state, attempts, times on the air)
    let cases: &[(u16, &str, &str, u64, usize)] = &[
        (38, "+819044440038", "delivered", 2, 1),
        (21, "+819044440021", "failed", 1, 0),
    ];
    for (code, to, want, attempts, on_air) in cases {
        s.sim(
            0,
            Request::Fault(Fault::CmsError {
                code: *code,
                count: 1,
            }),
        )
        .await;
        let text = format!("cms {code}");
        let v = s.send(json!({"to": to, "text": text})).await;
        let m = s.wait_state(v["id"].as_str().unwrap(), want).await;
        let r = &m["recipients"][0];
        assert_eq!(r["attempts"], *attempts, "cms {code}: {r:#}");
        if *want == "failed" {
            let err = r["error"].as_str().unwrap_or_default();
            assert!(err.contains(&code.to_string()), "cms {code}: {r:#}");
        } else {
            assert_delivered_with_mrs(&m);
        }
        let sent = s.sent(0).await;
        let n = sent.get(*to).map_or(0, |t| {
            assert!(t.iter().all(|x| *x == text), "{t:?}");
            t.len()
        });
        assert_eq!(n, *on_air, "cms {code}: {sent:?}");
    }
    s.stop().await;
}

/// A temporary error on the second part of a long message: the retry sends only what is
/// missing, so the customer never gets a part twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_a_failed_second_part_sends_only_the_missing_part() {
    let s = Service::start(Setup {
        // The wait before the retry (7.5 to 10 s with the jitter) is long enough that the
        // polling below certainly sees it.
        backoff_secs: 10,
        ..Setup::new("retry-part")
    })
    .await;
    // The fault is decided when a PDU arrives, so it must be armed after part 1's PDU and
    // before part 2's, which comes only once part 1 is answered. Part 1 spends 10 s "on the
    // network", far longer than the few control requests that arm the fault, and the
    // simulator's state (not a sleep) tells when part 1's PDU is there.
    s.sim(
        0,
        Request::Set {
            delay_ms: Some(10_000),
            report_delay_ms: None,
            sms_init_ms: None,
        },
    )
    .await;
    let st = s.sim(0, Request::State).await;
    let (mr_before, sends_before) = (st["next_mr"].clone(), st["counters"]["sends"].clone());
    let text = "Your appointment on Monday at 10:00 is confirmed. See you then! ".repeat(4);
    let v = s.send(json!({"to": "+819012120000", "text": text})).await;
    assert_eq!(v["parts"], 2);
    let id = v["id"].as_str().unwrap();
    // Part 1's PDU took a message reference.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while s.sim(0, Request::State).await["next_mr"] == mr_before {
        assert!(tokio::time::Instant::now() < deadline, "nothing sent");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    s.sim(0, Request::Fault(Fault::CmsError { code: 38, count: 1 }))
        .await;
    // Part 2 and the retry go without delay.
    s.sim(
        0,
        Request::Set {
            delay_ms: Some(0),
            report_delay_ms: None,
            sms_init_ms: None,
        },
    )
    .await;
    let st = s.sim(0, Request::State).await;
    assert_eq!(
        st["counters"]["sends"], sends_before,
        "part 1 was answered before the fault was armed: {st}"
    );
    assert_eq!(st["cms_fault"]["count"], 1, "{st}");
    // Waiting for the retry: part 1 is out, part 2 is not.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let waiting = loop {
        let m = s.get(id).await;
        let r = &m["recipients"][0];
        if r["state"] == "queued" && r["attempts"] == 1 {
            break m;
        }
        assert!(
            tokio::time::Instant::now() < deadline && r["attempts"].as_u64() < Some(2),
            "never saw the retry wait: {m:#}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let parts = &waiting["recipients"][0]["parts"];
    assert!(
        parts[0]["state"] == "sent" || parts[0]["state"] == "delivered",
        "{waiting:#}"
    );
    assert!(parts[0]["mr"].is_u64(), "{waiting:#}");
    assert_eq!(parts[1]["state"], "pending", "{waiting:#}");
    let m = s.wait_state(id, "delivered").await;
    assert_delivered_with_mrs(&m);
    assert_eq!(m["recipients"][0]["attempts"], 2, "{m:#}");
    assert_eq!(
        m["recipients"][0]["parts"][0]["mr"], parts[0]["mr"],
        "part 1 kept its first send"
    );
    let st = s.sim(0, Request::State).await;
    assert_eq!(
        st["counters"]["send_errors"], 1,
        "the fault hit a send: {st}"
    );
    assert_eq!(
        reassemble(&st["sent"]),
        BTreeMap::from([("+819012120000".to_owned(), vec![text.clone()])]),
        "each part on the air once"
    );
    assert_eq!(st["sent"].as_array().map(Vec::len), Some(2), "{st}");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_one_modem_hangs_or_is_unplugged_every_message_goes_through_the_other() {
    // (name, fault on m0, wait until the service has noticed before sending)
    let cases = [
        (
            "hang",
            Request::Fault(Fault::Hang {
                seconds: FOREVER_SECS,
            }),
            true,
        ),
        (
            "unplug",
            Request::Unplug {
                seconds: FOREVER_SECS,
            },
            false,
        ),
    ];
    for (name, fault, notice_first) in cases {
        let s = Service::start(Setup {
            modems: 2,
            poll_secs: 1,
            ..Setup::new("failover")
        })
        .await;
        s.sim(0, fault).await;
        if notice_first {
            s.wait_modem_where(|n| n == "m0", |st| st != "ready").await;
        }
        let mut ids = Vec::new();
        for i in 0..5 {
            let v = s
                .send(json!({"to": format!("+81905555000{i}"), "text": format!("{name} {i}")}))
                .await;
            ids.push(v["id"].as_str().unwrap().to_owned());
        }
        for id in &ids {
            let m = s.wait_state(id, "delivered").await;
            assert_delivered_with_mrs(&m);
            let r = &m["recipients"][0];
            assert_eq!(r["modem"], "m1", "{name}: {r:#}");
            for p in r["parts"].as_array().unwrap() {
                assert_eq!(p["modem"], "m1", "{name}: {r:#}");
            }
        }
        let want: BTreeMap<String, Vec<String>> = (0..5)
            .map(|i| (format!("+81905555000{i}"), vec![format!("{name} {i}")]))
            .collect();
        assert_eq!(s.sent(1).await, want, "{name}");
        assert!(s.sent(0).await.is_empty(), "{name}");
        s.stop().await;
    }
}

/// The hang starts while the service still thinks the modem is fine, so the hung modem's
/// worker claims a message and writes `AT+CMGS` into the void. Nothing was sent (no prompt, no
/// PDU), so the message must move to the other modem after the prompt wait, not when the hang
/// ends: the hang lasts longer than the test, and the simulator's `hung` flag is checked at the
/// end, not a clock.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_claimed_by_a_modem_that_hangs_fails_over_while_it_is_still_hung() {
    let s = Service::start(Setup {
        modems: 2,
        // Handing a message back from a modem in trouble costs an attempt; leave room.
        attempts: 10,
        ..Setup::new("hang-mid-queue")
    })
    .await;
    // m1 takes a while per send, so m0's worker claims some of the messages.
    s.sim(
        1,
        Request::Set {
            delay_ms: Some(500),
            report_delay_ms: None,
            sms_init_ms: None,
        },
    )
    .await;
    s.sim(
        0,
        Request::Fault(Fault::Hang {
            seconds: FOREVER_SECS,
        }),
    )
    .await;
    let mut ids = Vec::new();
    for i in 0..4 {
        let v = s
            .send(json!({"to": format!("+81907777000{i}"), "text": format!("mid-queue {i}")}))
            .await;
        ids.push(v["id"].as_str().unwrap().to_owned());
    }
    for id in &ids {
        let m = s.wait_state(id, "delivered").await;
        assert_eq!(m["recipients"][0]["modem"], "m1", "{m:#}");
    }
    let st0 = s.sim(0, Request::State).await;
    assert_eq!(
        st0["hung"], true,
        "m0's hang ended before its message moved on"
    );
    assert!(s.sent(0).await.is_empty());
    let want: BTreeMap<String, Vec<String>> = (0..4)
        .map(|i| (format!("+81907777000{i}"), vec![format!("mid-queue {i}")]))
        .collect();
    assert_eq!(s.sent(1).await, want);
    s.stop().await;
}

/// A modem that lost the network answers every send with `+CMS ERROR: 331`. The service knows
/// (the modem's `registered` is false in the API) and another modem is registered: messages
/// must go through that one, not burn their attempts on the unregistered one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_one_modem_loses_the_network_every_message_goes_through_the_other() {
    let s = Service::start(Setup {
        modems: 2,
        poll_secs: 1,
        ..Setup::new("no-network")
    })
    .await;
    s.sim(
        0,
        Request::Network {
            registered: false,
            stat: None,
            rssi: None,
        },
    )
    .await;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let ms = s.modems().await;
        if ms
            .iter()
            .any(|m| m["name"] == "m0" && m["registered"] == false)
        {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{ms:?}");
        tokio::time::sleep(POLL).await;
    }
    let mut ids = Vec::new();
    for i in 0..6 {
        let v = s
            .send(json!({"to": format!("+81906666000{i}"), "text": format!("no network {i}")}))
            .await;
        ids.push(v["id"].as_str().unwrap().to_owned());
    }
    for id in &ids {
        let m = s.wait_state(id, "delivered").await;
        assert_eq!(m["recipients"][0]["modem"], "m1", "{m:#}");
        assert_eq!(
            m["recipients"][0]["attempts"], 1,
            "an attempt went to the unregistered modem: {m:#}"
        );
    }
    assert!(s.sent(0).await.is_empty());
    let want: BTreeMap<String, Vec<String>> = (0..6)
        .map(|i| (format!("+81906666000{i}"), vec![format!("no network {i}")]))
        .collect();
    assert_eq!(s.sent(1).await, want);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inbound_single_and_multipart_are_listed_whole() {
    let s = Service::start(Setup::new("inbound")).await;
    let long = "お問い合わせ番号4711について、担当からご連絡します😀".repeat(4);
    // (from, text, parts)
    let cases: &[(&str, String, u64)] = &[
        ("+818011112222", "Is the shop open on Sunday?".into(), 1),
        ("+818033334444", long, 2),
        (
            "+818055550000",
            "Meeting moved to room {4} [east wing] ~ bring the €20 ticket. ".repeat(4),
            2,
        ),
        ("Shop", "Your coupon: SAVE10".into(), 1),
    ];
    for (from, text, parts) in cases {
        let v = s
            .sim(
                0,
                Request::Deliver {
                    from: from.to_string(),
                    text: text.clone(),
                    encoding: None,
                    class: None,
                },
            )
            .await;
        assert_eq!(v["parts"], *parts, "{v}");
    }
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let items = loop {
        let (status, v) = s
            .json(Method::GET, "/api/v1/messages?direction=in", None)
            .await;
        assert_eq!(status, StatusCode::OK, "{v}");
        let items = v["items"].as_array().cloned().unwrap_or_default();
        if items.len() >= cases.len() {
            break items;
        }
        assert!(tokio::time::Instant::now() < deadline, "{v:#}");
        tokio::time::sleep(POLL).await;
    };
    assert_eq!(items.len(), cases.len(), "{items:#?}");
    for (from, text, parts) in cases {
        let m = items
            .iter()
            .find(|m| m["from"] == *from)
            .unwrap_or_else(|| panic!("nothing from {from}: {items:#?}"));
        assert_eq!(m["direction"], "in");
        assert_eq!(m["text"], *text);
        assert_eq!(m["complete"], true, "{m:#}");
        assert_eq!(m["parts"], *parts, "{m:#}");
        assert_eq!(m["total"], *parts, "{m:#}");
        assert_eq!(m["modem"], "m0");
        // The same message by id.
        let one = s.get(m["id"].as_str().unwrap()).await;
        assert_eq!(one["text"], *text);
    }
    // Stored, so deleted from the SIM.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let st = s.sim(0, Request::State).await;
        if st["used"] == json!(0) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "left on the SIM: {st}"
        );
        tokio::time::sleep(POLL).await;
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_reports_roll_up_delivered_only_when_every_part_is() {
    // No automatic reports: the test sends each one itself.
    let s = Service::start(Setup {
        report_delay: Duration::from_secs(3600),
        ..Setup::new("reports")
    })
    .await;
    let text = "Your parcel 4711 will arrive tomorrow between 9 and 12. ".repeat(4);
    let v = s.send(json!({"to": "+819066660000", "text": text})).await;
    let id = v["id"].as_str().unwrap();
    assert_eq!(v["parts"], 2);
    let m = s.wait_state(id, "sent").await;
    let mrs: Vec<u8> = m["recipients"][0]["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["mr"].as_u64().expect("a sent part has an mr") as u8)
        .collect();
    assert_eq!(mrs.len(), 2, "{m:#}");

    // The first part's report alone: that part is delivered, the message is not.
    s.sim(
        0,
        Request::StatusReport {
            mr: mrs[0],
            status: 0,
            to: None,
        },
    )
    .await;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let m = loop {
        let m = s.get(id).await;
        if m["recipients"][0]["parts"][0]["state"] == "delivered" {
            break m;
        }
        assert!(tokio::time::Instant::now() < deadline, "{m:#}");
        tokio::time::sleep(POLL).await;
    };
    assert_eq!(m["state"], "sent", "one of two parts delivered: {m:#}");
    assert_eq!(m["recipients"][0]["state"], "sent", "{m:#}");
    assert_eq!(m["recipients"][0]["parts"][1]["state"], "sent", "{m:#}");
    assert!(m["delivered_at"].is_null(), "{m:#}");

    // The second part's report completes it.
    s.sim(
        0,
        Request::StatusReport {
            mr: mrs[1],
            status: 0,
            to: None,
        },
    )
    .await;
    let m = s.wait_state(id, "delivered").await;
    assert_delivered_with_mrs(&m);

    // A permanent failure report (TP-ST 65) fails a single-part message.
    let v = s
        .send(json!({"to": "+819066660001", "text": "no such number"}))
        .await;
    let id2 = v["id"].as_str().unwrap();
    let m = s.wait_state(id2, "sent").await;
    let mr = m["recipients"][0]["parts"][0]["mr"].as_u64().unwrap() as u8;
    s.sim(
        0,
        Request::StatusReport {
            mr,
            status: 65,
            to: None,
        },
    )
    .await;
    let m = s.wait_state(id2, "failed").await;
    assert_eq!(m["recipients"][0]["parts"][0]["status"], 65, "{m:#}");

    // Several recipients: delivered only when every recipient is.
    let v = s
        .send(json!({"to": ["+819066660002", "+819066660003"], "text": "both of you"}))
        .await;
    let id3 = v["id"].as_str().unwrap();
    let m = s.wait_state(id3, "sent").await;
    let mr_of = |m: &Value, i: usize| m["recipients"][i]["parts"][0]["mr"].as_u64().unwrap() as u8;
    s.sim(
        0,
        Request::StatusReport {
            mr: mr_of(&m, 0),
            status: 0,
            to: None,
        },
    )
    .await;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let m = loop {
        let m = s.get(id3).await;
        if m["recipients"][0]["state"] == "delivered" {
            break m;
        }
        assert!(tokio::time::Instant::now() < deadline, "{m:#}");
        tokio::time::sleep(POLL).await;
    };
    assert_eq!(m["state"], "sent", "one of two recipients delivered: {m:#}");
    assert_eq!(m["recipients"][1]["state"], "sent", "{m:#}");
    s.sim(
        0,
        Request::StatusReport {
            mr: mr_of(&m, 1),
            status: 0,
            to: None,
        },
    )
    .await;
    let m = s.wait_state(id3, "delivered").await;
    assert_delivered_with_mrs(&m);
    s.stop().await;
}

/// One request a webhook receiver got.
#[derive(Debug, Clone)]
struct Hit {
    headers: HeaderMap,
    body: Bytes,
    answered: u16,
}

/// A webhook receiver on 127.0.0.1:0: records every request; answers 500 to the first
/// `fail_first`, then 200.
struct Receiver {
    url: String,
    hits: Arc<Mutex<Vec<Hit>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    async fn start(fail_first: usize) -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let hits: Arc<Mutex<Vec<Hit>>> = Arc::default();
        let failures = Arc::new(AtomicUsize::new(fail_first));
        let h = hits.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let hits = h.clone();
                let failures = failures.clone();
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
                        let hits = hits.clone();
                        let failures = failures.clone();
                        async move {
                            let headers = req.headers().clone();
                            let body = req.into_body().collect().await.unwrap().to_bytes();
                            let fail = failures
                                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                                    n.checked_sub(1)
                                })
                                .is_ok();
                            let answered = if fail { 500 } else { 200 };
                            hits.lock().unwrap().push(Hit {
                                headers,
                                body,
                                answered,
                            });
                            Ok::<_, Infallible>(
                                hyper::Response::builder()
                                    .status(answered)
                                    .body(Full::new(Bytes::from_static(b"{}")))
                                    .unwrap(),
                            )
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        });
        Receiver { url, hits, task }
    }

    fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }

    /// Waits until `done` holds for the hits so far.
    async fn wait(&self, what: &str, done: impl Fn(&[Hit]) -> bool) -> Vec<Hit> {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let hits = self.hits();
            if done(&hits) {
                return hits;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{what}: {}",
                summary(&hits)
            );
            tokio::time::sleep(POLL).await;
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn header_str<'a>(h: &'a Hit, name: &str) -> &'a str {
    h.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

fn event_of(h: &Hit) -> Value {
    serde_json::from_slice(&h.body).unwrap()
}

fn summary(hits: &[Hit]) -> String {
    hits.iter()
        .map(|h| {
            format!(
                "{} {} -> {}",
                header_str(h, smsgate::webhook::HEADER_EVENT),
                header_str(h, smsgate::webhook::HEADER_DELIVERY),
                h.answered
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Checks the signature headers of `h` against `secret`, and that a wrong secret fails.
fn assert_signed(h: &Hit, secret: &str) {
    use smsgate::webhook::{HEADER_DELIVERY, HEADER_EVENT, HEADER_SIGNATURE, HEADER_TIMESTAMP};
    let ts = header_str(h, HEADER_TIMESTAMP);
    let sig = header_str(h, HEADER_SIGNATURE);
    assert!(!ts.is_empty() && !sig.is_empty(), "{:?}", h.headers);
    assert!(
        smsgate::webhook::verify(secret.as_bytes(), ts, &h.body, sig),
        "bad signature: {:?}",
        h.headers
    );
    assert!(!smsgate::webhook::verify(b"wrong", ts, &h.body, sig));
    let ev = event_of(h);
    assert_eq!(ev["type"], header_str(h, HEADER_EVENT));
    assert_eq!(ev["id"], header_str(h, HEADER_DELIVERY));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_are_signed_and_retried_with_the_same_event_id() {
    let good = Receiver::start(0).await;
    let flaky = Receiver::start(1).await;
    let extra = format!(
        "[[webhooks]]\nurl = {:?}\nevents = [\"message.received\", \"message.delivered\", \"message.failed\"]\nsecret = \"good-secret\"\n\n\
         [[webhooks]]\nurl = {:?}\nevents = [\"message.received\"]\nsecret = \"flaky-secret\"\n",
        good.url, flaky.url
    );
    let s = Service::start(Setup {
        extra,
        ..Setup::new("webhooks")
    })
    .await;
    // Two parts in, one message.received.
    let question = "Where is my order 4711? I ordered it last week. ".repeat(5);
    s.sim(
        0,
        Request::Deliver {
            from: "+818055556666".into(),
            text: question.clone(),
            encoding: None,
            class: None,
        },
    )
    .await;
    // Two recipients, two parts each: four status reports, one logical delivery.
    let reply = "Your order 4711 left our warehouse today and is on its way to you. ".repeat(3);
    let v = s
        .send(json!({"to": ["+818055556666", "+818055557777"], "text": reply}))
        .await;
    assert_eq!(v["parts"], 2, "{v}");
    let out_id = v["id"].as_str().unwrap().to_owned();
    s.wait_state(&out_id, "delivered").await;

    let kind = |h: &Hit| event_of(h)["type"].as_str().unwrap_or_default().to_owned();
    let hits = good
        .wait("message.received and message.delivered", |hs| {
            hs.iter().any(|h| kind(h) == "message.received")
                && hs.iter().any(|h| kind(h) == "message.delivered")
        })
        .await;
    for h in &hits {
        assert_signed(h, "good-secret");
    }
    let received = hits
        .iter()
        .map(event_of)
        .find(|e| e["type"] == "message.received")
        .unwrap();
    assert_eq!(received["data"]["from"], "+818055556666", "{received:#}");
    assert_eq!(received["data"]["text"], question.as_str(), "{received:#}");
    assert_eq!(received["data"]["parts"], 2, "{received:#}");
    assert_eq!(received["data"]["complete"], true, "{received:#}");
    let delivered = hits
        .iter()
        .map(event_of)
        .find(|e| e["type"] == "message.delivered")
        .unwrap();
    assert_eq!(delivered["data"]["id"], out_id, "{delivered:#}");
    let (status, inbound) = s
        .json(Method::GET, "/api/v1/messages?direction=in", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(received["data"]["id"], inbound["items"][0]["id"]);

    // A permanent error: message.failed.
    s.sim(0, Request::Fault(Fault::CmsError { code: 21, count: 1 }))
        .await;
    let v = s
        .send(json!({"to": "+818055558888", "text": "rejected"}))
        .await;
    let failed_id = v["id"].as_str().unwrap().to_owned();
    s.wait_state(&failed_id, "failed").await;

    // One event per message, not one per part or recipient. Events are published as they
    // happen, so once an event published after all of them has arrived (a second inbound
    // message), any extra one would have arrived too.
    s.sim(
        0,
        Request::Deliver {
            from: "+818099990000".into(),
            text: "marker".into(),
            encoding: None,
            class: None,
        },
    )
    .await;
    let hits = good
        .wait("the marker's message.received", |hs| {
            hs.iter().any(|h| event_of(h)["data"]["text"] == "marker")
        })
        .await;
    let delivered: Vec<Value> = hits
        .iter()
        .map(event_of)
        .filter(|e| e["type"] == "message.delivered")
        .collect();
    assert_eq!(delivered.len(), 1, "{}", summary(&hits));
    assert_eq!(delivered[0]["data"]["id"], out_id);
    assert_eq!(delivered[0]["data"]["state"], "delivered");
    let of_type = |t: &str| -> Vec<Value> {
        hits.iter()
            .map(event_of)
            .filter(|e| e["type"] == t)
            .collect()
    };
    assert_eq!(of_type("message.received").len(), 2, "{}", summary(&hits));
    let failed = of_type("message.failed");
    assert_eq!(failed.len(), 1, "{}", summary(&hits));
    assert_eq!(failed[0]["data"]["id"], failed_id.as_str());
    assert_eq!(failed[0]["data"]["to"], "+818055558888");
    assert_eq!(failed[0]["data"]["state"], "failed");
    for h in &hits {
        assert_signed(h, "good-secret");
    }

    // The receiver that answered 500 gets the same event (same id, same body) again.
    let delivery = |h: &Hit| header_str(h, smsgate::webhook::HEADER_DELIVERY).to_owned();
    let first = flaky.wait("a first attempt", |hs| !hs.is_empty()).await[0].clone();
    assert_eq!(first.answered, 500);
    assert_eq!(event_of(&first)["data"]["text"], question.as_str());
    let hits = flaky
        .wait("a retry after the 500", |hs| {
            hs.iter()
                .any(|h| h.answered == 200 && delivery(h) == delivery(&first))
        })
        .await;
    let retry = hits
        .iter()
        .find(|h| h.answered == 200 && delivery(h) == delivery(&first))
        .unwrap();
    assert_eq!(retry.body, first.body, "the same bytes again");
    assert_eq!(
        hits.iter()
            .filter(|h| delivery(h) == delivery(&first))
            .count(),
        2,
        "one failed attempt, one retry: {}",
        summary(&hits)
    );
    for h in &hits {
        assert_signed(h, "flaky-secret");
        assert_eq!(event_of(h)["type"], "message.received");
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_inputs_are_rejected_and_nothing_is_sent() {
    let s = Service::start(Setup::new("bad")).await;
    let ok = |extra: Value| {
        let mut v = json!({"to": "+819012345678", "text": "hi"});
        for (k, x) in extra.as_object().unwrap() {
            v[k] = x.clone();
        }
        v.to_string().into_bytes()
    };
    let json_ct = Some("application/json");
    let too_long = "x".repeat(153 * 10 + 1); // 11 parts; max_parts is 10
    let huge = "x".repeat(70 * 1024); // over max_body_bytes (64 KiB)
    let many: Vec<String> = (0..1001).map(|i| format!("+8190{i:08}")).collect();
    // (name, method, path, content type, body, status, code)
    type Case<'a> = (
        &'a str,
        Method,
        &'a str,
        Option<&'a str>,
        Vec<u8>,
        u16,
        &'a str,
    );
    let post = Method::POST;
    let p = "/api/v1/messages";
    let cases: Vec<Case> = vec![
        (
            "letters in a number",
            post.clone(),
            p,
            json_ct,
            ok(json!({"to": "+81abc"})),
            422,
            "invalid_number",
        ),
        (
            "empty number",
            post.clone(),
            p,
            json_ct,
            ok(json!({"to": ""})),
            422,
            "invalid_number",
        ),
        (
            "one bad among good",
            post.clone(),
            p,
            json_ct,
            ok(json!({"to": ["+819012345678", "12-3x"]})),
            422,
            "invalid_number",
        ),
        (
            "no recipients",
            post.clone(),
            p,
            json_ct,
            ok(json!({"to": []})),
            422,
            "no_recipients",
        ),
        (
            "too many recipients",
            post.clone(),
            p,
            json_ct,
            ok(json!({"to": many})),
            422,
            "too_many_recipients",
        ),
        (
            "empty text",
            post.clone(),
            p,
            json_ct,
            ok(json!({"text": ""})),
            422,
            "empty_text",
        ),
        (
            "too many parts",
            post.clone(),
            p,
            json_ct,
            ok(json!({"text": too_long})),
            422,
            "too_many_parts",
        ),
        (
            "ttl zero",
            post.clone(),
            p,
            json_ct,
            ok(json!({"ttl": 0})),
            422,
            "invalid_ttl",
        ),
        (
            "send_at not a time",
            post.clone(),
            p,
            json_ct,
            ok(json!({"send_at": "tomorrow"})),
            422,
            "invalid_send_at",
        ),
        (
            "send_at without offset",
            post.clone(),
            p,
            json_ct,
            ok(json!({"send_at": "2030-01-01T09:00:00"})),
            422,
            "invalid_send_at",
        ),
        (
            "unknown modem",
            post.clone(),
            p,
            json_ct,
            ok(json!({"modem": "nope"})),
            422,
            "unknown_modem",
        ),
        (
            "empty client id",
            post.clone(),
            p,
            json_ct,
            ok(json!({"id": ""})),
            422,
            "invalid_id",
        ),
        (
            "unknown field",
            post.clone(),
            p,
            json_ct,
            ok(json!({"colour": "red"})),
            422,
            "invalid_body",
        ),
        (
            "missing text",
            post.clone(),
            p,
            json_ct,
            br#"{"to":"+819012345678"}"#.to_vec(),
            422,
            "invalid_body",
        ),
        (
            "number as a JSON number",
            post.clone(),
            p,
            json_ct,
            ok(json!({"to": 819012345678u64})),
            422,
            "invalid_body",
        ),
        (
            "malformed JSON",
            post.clone(),
            p,
            json_ct,
            b"{\"to\": ".to_vec(),
            400,
            "invalid_json",
        ),
        (
            "not JSON at all",
            post.clone(),
            p,
            json_ct,
            b"to=+819012345678&text=hi".to_vec(),
            400,
            "invalid_json",
        ),
        (
            "no content type",
            post.clone(),
            p,
            None,
            ok(json!({})),
            415,
            "unsupported_media_type",
        ),
        (
            "text/plain",
            post.clone(),
            p,
            Some("text/plain"),
            ok(json!({})),
            415,
            "unsupported_media_type",
        ),
        (
            "body too large",
            post.clone(),
            p,
            json_ct,
            ok(json!({"text": huge})),
            413,
            "payload_too_large",
        ),
        (
            "unknown message",
            Method::GET,
            "/api/v1/messages/msg_nope",
            None,
            Vec::new(),
            404,
            "not_found",
        ),
        (
            "bad direction",
            Method::GET,
            "/api/v1/messages?direction=sideways",
            None,
            Vec::new(),
            422,
            "invalid_query",
        ),
        (
            "bad limit",
            Method::GET,
            "/api/v1/messages?limit=many",
            None,
            Vec::new(),
            400,
            "invalid_query",
        ),
        (
            "unknown route",
            Method::GET,
            "/api/v2/messages",
            None,
            Vec::new(),
            404,
            "not_found",
        ),
        (
            "wrong method",
            Method::PUT,
            p,
            json_ct,
            ok(json!({})),
            405,
            "method_not_allowed",
        ),
    ];
    let mut wrong = Vec::new();
    for (name, method, path, ct, body, status, code) in cases {
        let (got, v) = s.raw(method, path, ct, body).await;
        if got.as_u16() != status || v["error"]["code"] != code {
            wrong.push(format!("{name}: got {got} {v}, want {status} {code}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // None of it was queued or sent.
    let (status, v) = s.json(Method::GET, "/api/v1/messages", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["items"], json!([]), "{v:#}");
    assert!(s.sent(0).await.is_empty());
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graceful_restart_mid_queue_finishes_what_is_in_flight_and_resumes() {
    let mut s = Service::start(Setup::new("graceful")).await;
    // Sends take a while, so the stop comes mid-queue.
    s.sim(
        0,
        Request::Set {
            delay_ms: Some(300),
            report_delay_ms: None,
            sms_init_ms: None,
        },
    )
    .await;
    let mut accepted = Vec::new();
    for i in 0..12 {
        let to = format!("+8190999900{i:02}");
        let text = if i % 4 == 0 {
            format!("graceful {i}: ") + &"two parts of text. ".repeat(9)
        } else {
            format!("graceful {i}")
        };
        let v = s.send(json!({"to": to, "text": text})).await;
        accepted.push((v["id"].as_str().unwrap().to_owned(), to, text));
    }
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while s.sim(0, Request::State).await["sent"]
        .as_array()
        .map_or(0, Vec::len)
        < 3
    {
        assert!(tokio::time::Instant::now() < deadline, "nothing sent");
        tokio::time::sleep(POLL).await;
    }
    // From now on each part spends 2 s with the network: the 10 or so parts left would take
    // 20 s, so the stop certainly comes mid-queue however slow the machine. It waits for the
    // message in flight (at most two parts).
    s.sim(
        0,
        Request::Set {
            delay_ms: Some(2000),
            report_delay_ms: None,
            sms_init_ms: None,
        },
    )
    .await;
    s.graceful_stop().await;
    let before = s.sim(0, Request::State).await["sent"]
        .as_array()
        .map_or(0, Vec::len);
    assert!(
        before < 15,
        "the stop came after the queue was done ({before} parts)"
    );
    s.sim(
        0,
        Request::Set {
            delay_ms: Some(300),
            report_delay_ms: None,
            sms_init_ms: None,
        },
    )
    .await;
    s.start_again().await;
    // Nothing was in doubt at a graceful stop: every message is sent once and delivered.
    for (id, _, _) in &accepted {
        let m = s.wait_state(id, "delivered").await;
        assert_delivered_with_mrs(&m);
    }
    let after = s.sim(0, Request::State).await;
    assert!(
        after["sent"].as_array().map_or(0, Vec::len) > before,
        "the queue did not resume after the restart"
    );
    let want: BTreeMap<String, Vec<String>> = accepted
        .iter()
        .map(|(_, to, text)| (to.clone(), vec![text.clone()]))
        .collect();
    assert_eq!(reassemble(&after["sent"]), want);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_post_with_the_same_id_sends_once() {
    let s = Service::start(Setup::new("idempotent")).await;
    let body = json!({"to": "+819088880000", "text": "order confirmed", "id": "order-4711"});
    let first = s.send(body.clone()).await;
    // The client did not see the answer and tries again: the same message, not a new one.
    let (status, again) = s
        .json(Method::POST, "/api/v1/messages", Some(body.clone()))
        .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["id"], first["id"]);
    let id = first["id"].as_str().unwrap();
    let m = s.wait_state(id, "delivered").await;
    assert_delivered_with_mrs(&m);
    // And once more after it was sent.
    let (status, late) = s.json(Method::POST, "/api/v1/messages", Some(body)).await;
    assert_eq!(status, StatusCode::OK, "{late}");
    assert_eq!(late["id"], first["id"]);
    assert_eq!(late["state"], "delivered");
    // The same id for a different request is a conflict.
    let (status, v) = s
        .json(
            Method::POST,
            "/api/v1/messages",
            Some(json!({"to": "+819088880000", "text": "something else", "id": "order-4711"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["error"]["code"], "idempotency_conflict");
    assert_eq!(
        s.sent(0).await,
        BTreeMap::from([(
            "+819088880000".to_owned(),
            vec!["order confirmed".to_owned()]
        )])
    );
    let (_, list) = s.json(Method::GET, "/api/v1/messages", None).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1), "{list:#}");
    s.stop().await;
}
