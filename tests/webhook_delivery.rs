//! Webhook delivery over real HTTP on loopback to receivers run by the test, with a real SQLite
//! store file. Time is injected through `Deliverer::deliver_due(now)`, so retries need no
//! waiting. The tests of `Deliverer::run` and of the exchange timeout use the real clock; they
//! wait for what they assert on (a request, a row's state, the in-flight count), never for a
//! stretch of time, and no outcome depends on how fast the machine is.

// A test unwraps its own fixtures; the lints guard the service's code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::VecDeque;
use std::convert::Infallible;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{t, temp_db};
use hmac::{Hmac, KeyInit, Mac};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{HeaderMap, Request, Response};
use hyper_util::rt::TokioIo;
use jiff::Timestamp;
use serde_json::{Value, json};
use sha2::Sha256;
use smsgate::config::{Config, Webhook};
use smsgate::store::Store;
use smsgate::webhook::{self, Deliverer, Options, Outcome, Retry};
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// Only to keep a broken test from hanging; nothing is asserted about how long things take.
const GENEROUS: Duration = Duration::from_secs(60);

/// `[[webhooks]]` entries parsed from TOML, as the service gets them.
fn hooks(toml: &str) -> Vec<Webhook> {
    Config::parse(toml, Path::new("test.toml"))
        .unwrap()
        .webhooks
}

fn hook(url: &str, events: &[&str], secret: Option<&str>) -> String {
    let events: Vec<String> = events.iter().map(|e| format!("{e:?}")).collect();
    let secret = secret.map_or(String::new(), |s| format!("secret = {s:?}\n"));
    format!(
        "[[webhooks]]\nurl = {url:?}\nevents = [{}]\n{secret}",
        events.join(", ")
    )
}

/// A request as the receiver saw it.
#[derive(Debug, Clone)]
struct Received {
    method: String,
    path: String,
    headers: HeaderMap,
    body: Bytes,
}

impl Received {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("no {name} header"))
            .to_str()
            .unwrap()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// An HTTP server on 127.0.0.1 that records every request and answers with the queued statuses
/// (200 once they run out).
#[derive(Clone)]
struct Receiver {
    base: String,
    requests: Arc<Mutex<Vec<Received>>>,
    got: Arc<Notify>,
}

impl Receiver {
    async fn start(statuses: &[u16]) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let got = Arc::new(Notify::new());
        let statuses = Arc::new(Mutex::new(
            statuses.iter().copied().collect::<VecDeque<_>>(),
        ));
        let (reqs, notify) = (Arc::clone(&requests), Arc::clone(&got));
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let (reqs, notify, statuses) = (
                    Arc::clone(&reqs),
                    Arc::clone(&notify),
                    Arc::clone(&statuses),
                );
                let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                    let (reqs, notify, statuses) = (
                        Arc::clone(&reqs),
                        Arc::clone(&notify),
                        Arc::clone(&statuses),
                    );
                    async move {
                        let path = req
                            .uri()
                            .path_and_query()
                            .map_or("/".to_owned(), |p| p.to_string());
                        let headers = req.headers().clone();
                        let method = req.method().to_string();
                        let body = req.into_body().collect().await.unwrap().to_bytes();
                        reqs.lock().unwrap().push(Received {
                            method,
                            path,
                            headers,
                            body,
                        });
                        notify.notify_one();
                        let status = statuses.lock().unwrap().pop_front().unwrap_or(200);
                        let answer = if status == 200 { "ok" } else { "boom" };
                        Ok::<_, Infallible>(
                            Response::builder()
                                .status(status)
                                .body(Full::new(Bytes::from(answer)))
                                .unwrap(),
                        )
                    }
                });
                tokio::spawn(async move {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Receiver {
            base,
            requests,
            got,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn requests(&self) -> Vec<Received> {
        self.requests.lock().unwrap().clone()
    }

    /// Waits (generously) until `n` requests arrived.
    async fn wait_for(&self, n: usize) -> Vec<Received> {
        tokio::time::timeout(GENEROUS, async {
            loop {
                let notified = self.got.notified();
                let reqs = self.requests();
                if reqs.len() >= n {
                    return reqs;
                }
                notified.await;
            }
        })
        .await
        .expect("the receiver never got the requests")
    }
}

/// A receiver that accepts connections, reads what comes and never answers. Records when the
/// client gave up (or was dropped) and closed a connection.
struct Hang {
    url: String,
    got_bytes: Arc<Notify>,
    closed_at: Arc<Mutex<Option<Instant>>>,
    closed: Arc<Notify>,
}

impl Hang {
    async fn start() -> Hang {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hang", listener.local_addr().unwrap());
        let got_bytes = Arc::new(Notify::new());
        let closed_at = Arc::new(Mutex::new(None));
        let closed = Arc::new(Notify::new());
        let (g, ca, c) = (
            Arc::clone(&got_bytes),
            Arc::clone(&closed_at),
            Arc::clone(&closed),
        );
        tokio::spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    return;
                };
                let (g, ca, c) = (Arc::clone(&g), Arc::clone(&ca), Arc::clone(&c));
                tokio::spawn(async move {
                    let mut buf = [0u8; 4096];
                    loop {
                        match stream.read(&mut buf).await {
                            Ok(0) | Err(_) => {
                                *ca.lock().unwrap() = Some(Instant::now());
                                c.notify_one();
                                return;
                            }
                            Ok(_) => g.notify_one(),
                        }
                    }
                });
            }
        });
        Hang {
            url,
            got_bytes,
            closed_at,
            closed,
        }
    }
}

fn open(path: &Path, now: Timestamp) -> Store {
    Store::open_at(path, now).unwrap()
}

/// The rows of the outbox as (state, attempts, last_error), read straight from the file.
fn outbox(path: &Path) -> Vec<(String, u32, Option<String>)> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut stmt = conn
        .prepare("SELECT state, attempts, last_error FROM webhook_events ORDER BY id")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivers_a_signed_event() {
    let rx = Receiver::start(&[]).await;
    let url = rx.url("/hooks/sms?source=smsgate");
    let cfg = hooks(&hook(&url, &["message.received"], Some("s3cret")));
    let db = temp_db("signed");
    let store = open(&db, t(0));

    let data = json!({"id": "inb_1", "from": "+491701234567", "text": "Grüße"});
    let id = webhook::publish(&store, &cfg, "message.received", data.clone(), t(0))
        .await
        .unwrap();
    assert!(id.starts_with("evt_"), "{id}");

    let deliverer = Deliverer::new(store.clone(), &cfg);
    let done = deliverer.deliver_due(t(1)).await.unwrap();
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].outcome, Outcome::Delivered);
    assert_eq!(done[0].event_id, id);
    assert_eq!(done[0].endpoint, url);

    let reqs = rx.requests();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(r.path, "/hooks/sms?source=smsgate");
    assert_eq!(r.header("content-type"), "application/json");
    assert_eq!(r.header("x-smsgate-event"), "message.received");
    assert_eq!(r.header("x-smsgate-delivery"), id);
    assert!(r.header("host").starts_with("127.0.0.1:"));
    let ts = r.header("x-smsgate-timestamp");
    assert_eq!(ts, t(1).as_second().to_string());

    // The body: {"id", "type", "time", "data"}.
    let body = r.json();
    assert_eq!(body["id"], id.as_str());
    assert_eq!(body["type"], "message.received");
    assert_eq!(body["time"], "2023-11-14T22:13:20Z");
    assert_eq!(body["data"], data);
    assert_eq!(body.as_object().unwrap().len(), 4);

    // The signature, checked by the library and recomputed here from its definition.
    let sig = r.header("x-smsgate-signature");
    assert!(webhook::verify(b"s3cret", ts, &r.body, sig));
    assert!(!webhook::verify(b"other", ts, &r.body, sig));
    let mut mac = Hmac::<Sha256>::new_from_slice(b"s3cret").unwrap();
    mac.update(format!("{ts}.").as_bytes());
    mac.update(&r.body);
    let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    assert_eq!(sig, expected);

    // Delivered once: nothing is due any more.
    assert!(deliverer.deliver_due(t(3600)).await.unwrap().is_empty());
    assert_eq!(outbox(&db), vec![("delivered".to_owned(), 1, None)]);
    store.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_without_a_secret_gets_no_signature() {
    let rx = Receiver::start(&[]).await;
    let cfg = hooks(&hook(&rx.url("/"), &["modem.state"], None));
    let db = temp_db("unsigned");
    let store = open(&db, t(0));
    webhook::publish(&store, &cfg, "modem.state", json!({"modem": "m1"}), t(0))
        .await
        .unwrap();
    let done = Deliverer::new(store.clone(), &cfg)
        .deliver_due(t(0))
        .await
        .unwrap();
    assert_eq!(done[0].outcome, Outcome::Delivered);
    let r = &rx.requests()[0];
    assert!(r.headers.get("x-smsgate-signature").is_none());
    assert_eq!(r.header("x-smsgate-event"), "modem.state");
    store.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retried_with_backoff_until_2xx() {
    let rx = Receiver::start(&[500, 500, 200]).await;
    let cfg = hooks(&hook(&rx.url("/h"), &["message.sent"], Some("k")));
    let db = temp_db("retry");
    let store = open(&db, t(0));
    let id = webhook::publish(&store, &cfg, "message.sent", json!({"id": "msg_1"}), t(0))
        .await
        .unwrap();
    let deliverer = Deliverer::new(store.clone(), &cfg);

    // First attempt: 500, retry 4..=5 s later (5 s less up to a fifth of jitter).
    let done = deliverer.deliver_due(t(0)).await.unwrap();
    let Outcome::Retry { at: at1, error } = &done[0].outcome else {
        panic!("{done:?}");
    };
    assert!(
        error.contains("HTTP 500") && error.contains("boom"),
        "{error}"
    );
    assert!(*at1 >= t(4) && *at1 <= t(5), "{at1}");
    // Not due before then.
    assert!(deliverer.deliver_due(t(3)).await.unwrap().is_empty());

    // Second attempt: 500 again, the delay doubles.
    let done = deliverer.deliver_due(*at1).await.unwrap();
    let Outcome::Retry { at: at2, .. } = &done[0].outcome else {
        panic!("{done:?}");
    };
    let gap = at2.as_millisecond() - at1.as_millisecond();
    assert!((8_000..=10_000).contains(&gap), "{gap}");

    // Third: 200.
    let done = deliverer.deliver_due(*at2).await.unwrap();
    assert_eq!(done[0].outcome, Outcome::Delivered);
    assert!(deliverer.deliver_due(t(86_400)).await.unwrap().is_empty());

    // Three requests, all the same event and the same bytes, each freshly signed.
    let reqs = rx.requests();
    assert_eq!(reqs.len(), 3);
    for r in &reqs {
        assert_eq!(r.header("x-smsgate-delivery"), id);
        assert_eq!(r.body, reqs[0].body);
        assert!(webhook::verify(
            b"k",
            r.header("x-smsgate-timestamp"),
            &r.body,
            r.header("x-smsgate-signature")
        ));
    }
    assert_ne!(
        reqs[0].header("x-smsgate-timestamp"),
        reqs[2].header("x-smsgate-timestamp")
    );
    let rows = outbox(&db);
    assert_eq!(rows[0].0, "delivered");
    assert_eq!(rows[0].1, 3);
    store.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivery_survives_a_restart() {
    let rx = Receiver::start(&[503]).await;
    let cfg = hooks(&hook(&rx.url("/h"), &["message.delivered"], Some("k")));
    let db = temp_db("restart");

    // Before the restart: queued, one failed attempt.
    let (id, retry_at) = {
        let store = open(&db, t(0));
        let id = webhook::publish(
            &store,
            &cfg,
            "message.delivered",
            json!({"id": "msg_9", "to": "+4915112345678"}),
            t(0),
        )
        .await
        .unwrap();
        let deliverer = Deliverer::new(store.clone(), &cfg);
        let done = deliverer.deliver_due(t(0)).await.unwrap();
        let Outcome::Retry { at, .. } = done[0].outcome else {
            panic!("{done:?}");
        };
        drop(deliverer);
        store.close().await.unwrap();
        (id, at)
    };

    // After: a new store on the same file, a new deliverer.
    let store = open(&db, t(60));
    let deliverer = Deliverer::new(store.clone(), &cfg);
    let done = deliverer.deliver_due(retry_at).await.unwrap();
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].outcome, Outcome::Delivered);
    assert_eq!(done[0].event_id, id);

    let reqs = rx.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[1].header("x-smsgate-delivery"), id);
    assert_eq!(reqs[1].json()["id"], id.as_str());
    assert_eq!(reqs[0].body, reqs[1].body);
    store.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_receiver_times_out_without_blocking_others() {
    let hang = Hang::start().await;
    let rx = Receiver::start(&[]).await;
    // The hanging endpoint comes first, so its row is the older one.
    let cfg = hooks(&format!(
        "{}{}",
        hook(&hang.url, &["modem.state"], Some("a")),
        hook(&rx.url("/ok"), &["modem.state"], Some("b"))
    ));
    let db = temp_db("hang");
    let store = open(&db, t(0));
    let id = webhook::publish(
        &store,
        &cfg,
        "modem.state",
        json!({"modem": "m1", "state": "ready"}),
        t(0),
    )
    .await
    .unwrap();

    // Not blocked: with a timeout longer than the test, the other endpoint gets its event and
    // its row is marked delivered while the hung exchange is still open. Racing the other
    // delivery against a short timeout instead would depend on the machine's speed.
    let patient = Deliverer::with_options(
        store.clone(),
        &cfg,
        Options {
            timeout: Duration::from_secs(3600),
            ..Options::default()
        },
    );
    let step = tokio::spawn({
        let d = patient.clone();
        async move { d.deliver_due(t(0)).await }
    });
    tokio::time::timeout(GENEROUS, hang.got_bytes.notified())
        .await
        .expect("the hanging receiver got nothing");
    let reqs = rx.wait_for(1).await;
    assert_eq!(reqs[0].header("x-smsgate-delivery"), id);
    tokio::time::timeout(GENEROUS, async {
        while outbox(&db)[1].0 != "delivered" {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the other endpoint's row was never marked delivered");
    assert_eq!(outbox(&db)[0].0, "pending");
    assert!(
        hang.closed_at.lock().unwrap().is_none(),
        "the hung exchange ended"
    );
    assert!(
        !step.is_finished(),
        "deliver_due returned with an exchange hung"
    );
    // Dropping the step abandons the hung attempt: its connection closes, its claim is released
    // and its row stays pending.
    step.abort();
    let _ = step.await;
    tokio::time::timeout(GENEROUS, hang.closed.notified())
        .await
        .expect("the abandoned connection was never closed");
    tokio::time::timeout(GENEROUS, async {
        while patient.in_flight() > 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the abandoned attempt kept its claim");

    // Times out: the hung row again, now with a short timeout. Nothing races it: the receiver
    // never answers, so the exchange can only end by the timeout.
    let options = Options {
        timeout: Duration::from_secs(1),
        ..Options::default()
    };
    let deliverer = Deliverer::with_options(store.clone(), &cfg, options);
    let done = tokio::time::timeout(GENEROUS, deliverer.deliver_due(t(0)))
        .await
        .expect("deliver_due hung");
    let done = done.unwrap();
    assert_eq!(done.len(), 1, "{done:?}");
    assert_eq!(done[0].endpoint, hang.url);
    let Outcome::Retry { error, .. } = &done[0].outcome else {
        panic!("{done:?}");
    };
    assert!(error.contains("timed out"), "{error}");
    // The client gave up and dropped the connection.
    tokio::time::timeout(GENEROUS, hang.closed.notified())
        .await
        .expect("the timed-out connection was never closed");
    assert_eq!(deliverer.in_flight(), 0);

    let rows = outbox(&db);
    assert_eq!(rows[0].0, "pending");
    assert!(rows[0].2.as_deref().unwrap().contains("timed out"));
    assert_eq!(rows[1].0, "delivered");
    assert_eq!(rx.requests().len(), 1, "the delivered event was sent again");
    store.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_subscribed_endpoints_get_an_event() {
    let (a, b, c) = (
        Receiver::start(&[]).await,
        Receiver::start(&[]).await,
        Receiver::start(&[]).await,
    );
    let cfg = hooks(&format!(
        "{}{}{}",
        hook(&a.url("/a"), &["message.received"], None),
        hook(&b.url("/b"), &["message.sent", "message.delivered"], None),
        hook(&c.url("/c"), smsgate::config::EVENTS, None),
    ));
    let db = temp_db("subscriptions");
    let store = open(&db, t(0));
    for kind in smsgate::config::EVENTS {
        webhook::publish(&store, &cfg, kind, json!({"kind": kind}), t(0))
            .await
            .unwrap();
    }
    let err = webhook::publish(&store, &cfg, "message.lost", json!({}), t(0)).await;
    assert!(
        matches!(err, Err(webhook::Error::UnknownEvent(_))),
        "{err:?}"
    );

    let done = Deliverer::new(store.clone(), &cfg)
        .deliver_due(t(0))
        .await
        .unwrap();
    assert_eq!(done.len(), 1 + 2 + smsgate::config::EVENTS.len());
    assert!(done.iter().all(|d| d.outcome == Outcome::Delivered));

    let kinds = |r: &Receiver| {
        let mut k: Vec<String> = r
            .requests()
            .iter()
            .map(|q| q.header("x-smsgate-event").to_owned())
            .collect();
        k.sort();
        k
    };
    assert_eq!(kinds(&a), ["message.received"]);
    assert_eq!(kinds(&b), ["message.delivered", "message.sent"]);
    let mut all: Vec<String> = smsgate::config::EVENTS
        .iter()
        .map(|s| s.to_string())
        .collect();
    all.sort();
    assert_eq!(kinds(&c), all);
    store.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publish_tx_commits_with_the_transaction() {
    let rx = Receiver::start(&[]).await;
    let cfg = hooks(&hook(&rx.url("/"), &["message.failed"], None));
    let db = temp_db("tx");
    let store = open(&db, t(0));

    // A transaction that fails takes its event with it.
    let hooks_in = cfg.clone();
    let failed = store
        .atomically(move |tx| {
            webhook::publish_tx(tx, &hooks_in, "message.failed", json!({"id": "x"}), t(0))?;
            Err::<(), _>(smsgate::store::Error::Invalid("rolled back".into()))
        })
        .await;
    assert!(failed.is_err());
    assert!(outbox(&db).is_empty());

    let hooks_in = cfg.clone();
    let id = store
        .atomically(move |tx| {
            webhook::publish_tx(tx, &hooks_in, "message.failed", json!({"id": "y"}), t(0))
        })
        .await
        .unwrap();
    let done = Deliverer::new(store.clone(), &cfg)
        .deliver_due(t(0))
        .await
        .unwrap();
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].event_id, id);
    assert_eq!(rx.requests()[0].json()["data"]["id"], "y");
    store.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gives_up_after_the_last_attempt_and_records_the_error() {
    let rx = Receiver::start(&[500, 500, 500, 500]).await;
    // A port nobody listens on: bind one, note it, free it.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/dead", l.local_addr().unwrap())
    };
    let cfg = hooks(&format!(
        "{}{}",
        hook(&rx.url("/h"), &["message.failed"], None),
        hook(&dead, &["message.failed"], None)
    ));
    let db = temp_db("give-up");
    let store = open(&db, t(0));
    webhook::publish(&store, &cfg, "message.failed", json!({"id": "m"}), t(0))
        .await
        .unwrap();
    let options = Options {
        retry: Retry {
            max_attempts: 3,
            ..Retry::default()
        },
        ..Options::default()
    };
    let deliverer = Deliverer::with_options(store.clone(), &cfg, options);

    for step in 0..2 {
        let done = deliverer.deliver_due(t(step * 3600)).await.unwrap();
        assert_eq!(done.len(), 2, "{done:?}");
        assert!(
            done.iter()
                .all(|d| matches!(d.outcome, Outcome::Retry { .. })),
            "{done:?}"
        );
    }
    let done = deliverer.deliver_due(t(2 * 3600)).await.unwrap();
    let Outcome::GaveUp { error } = &done[0].outcome else {
        panic!("{done:?}");
    };
    assert!(
        error.contains("HTTP 500") && error.contains("boom"),
        "{error}"
    );
    let Outcome::GaveUp { error } = &done[1].outcome else {
        panic!("{done:?}");
    };
    assert!(error.contains("cannot connect"), "{error}");
    assert!(
        deliverer
            .deliver_due(t(10 * 86_400))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(rx.requests().len(), 3);

    let rows = outbox(&db);
    assert_eq!(rows.len(), 2);
    for (state, attempts, error) in &rows {
        assert_eq!(state, "failed");
        assert_eq!(*attempts, 3);
        assert!(error.is_some());
    }
    assert!(rows[0].2.as_deref().unwrap().contains("HTTP 500"));
    store.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_of_an_endpoint_no_longer_configured_are_given_up() {
    let rx = Receiver::start(&[]).await;
    let before = hooks(&hook(&rx.url("/old"), &["modem.state"], None));
    let db = temp_db("gone");
    let store = open(&db, t(0));
    webhook::publish(&store, &before, "modem.state", json!({}), t(0))
        .await
        .unwrap();
    let after = hooks(&hook(&rx.url("/new"), &["modem.state"], None));
    let done = Deliverer::new(store.clone(), &after)
        .deliver_due(t(0))
        .await
        .unwrap();
    let Outcome::GaveUp { error } = &done[0].outcome else {
        panic!("{done:?}");
    };
    assert!(error.contains("no longer configured"), "{error}");
    assert!(rx.requests().is_empty());
    store.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_task_delivers_when_woken_and_stops_when_cancelled() {
    let rx = Receiver::start(&[]).await;
    let cfg = hooks(&hook(&rx.url("/live"), &["message.received"], Some("k")));
    let db = temp_db("run");
    let store = open(&db, Timestamp::now());
    let cancel = CancellationToken::new();
    let wake = Arc::new(Notify::new());
    let task =
        tokio::spawn(Deliverer::new(store.clone(), &cfg).run(cancel.clone(), Arc::clone(&wake)));

    for n in 1..=3 {
        let id = webhook::publish(
            &store,
            &cfg,
            "message.received",
            json!({"n": n}),
            Timestamp::now(),
        )
        .await
        .unwrap();
        wake.notify_one();
        let reqs = rx.wait_for(n).await;
        assert_eq!(reqs[n - 1].header("x-smsgate-delivery"), id);
    }

    // The receiver answers before the row is marked: wait for the marks to land.
    tokio::time::timeout(GENEROUS, async {
        while outbox(&db).iter().any(|r| r.0 != "delivered") {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("rows never marked delivered");

    cancel.cancel();
    tokio::time::timeout(GENEROUS, task)
        .await
        .expect("run did not stop")
        .unwrap();
    assert_eq!(rx.requests().len(), 3);
    store.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_task_keeps_delivering_while_a_receiver_hangs() {
    let hang = Hang::start().await;
    let rx = Receiver::start(&[]).await;
    let cfg = hooks(&format!(
        "{}{}",
        hook(&hang.url, &["modem.state"], None),
        hook(&rx.url("/ok"), &["message.received"], None)
    ));
    let db = temp_db("run-hang");
    let store = open(&db, Timestamp::now());
    // A timeout far longer than the test: the hung attempt is still in flight at the end.
    let options = Options {
        timeout: Duration::from_secs(3600),
        ..Options::default()
    };
    let deliverer = Deliverer::with_options(store.clone(), &cfg, options);
    let cancel = CancellationToken::new();
    let wake = Arc::new(Notify::new());
    let task = tokio::spawn(deliverer.clone().run(cancel.clone(), Arc::clone(&wake)));

    webhook::publish(&store, &cfg, "modem.state", json!({}), Timestamp::now())
        .await
        .unwrap();
    wake.notify_one();
    tokio::time::timeout(GENEROUS, hang.got_bytes.notified())
        .await
        .expect("the hanging receiver got nothing");

    for n in 1..=3 {
        webhook::publish(
            &store,
            &cfg,
            "message.received",
            json!({"n": n}),
            Timestamp::now(),
        )
        .await
        .unwrap();
        wake.notify_one();
        rx.wait_for(n).await;
    }
    // The receiver answers before the rows are marked: wait for the marks to land.
    tokio::time::timeout(GENEROUS, async {
        while outbox(&db).iter().filter(|r| r.0 == "delivered").count() < 3 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("rows never marked delivered");
    // A row is marked delivered before its attempt drops its in-flight claim, so the count
    // settles a moment after the marks: wait until only the hung attempt could be left. It can
    // only go down from here (nothing else is published), and it cannot reach 0 while the hung
    // attempt runs (its timeout is an hour), so the assertion below still tells the two apart.
    tokio::time::timeout(GENEROUS, async {
        while deliverer.in_flight() > 1 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the delivered attempts never released their claims");
    assert_eq!(deliverer.in_flight(), 1, "the hung attempt is still going");

    // Stopping abandons the hung attempt: its row stays pending for the next start.
    cancel.cancel();
    tokio::time::timeout(GENEROUS, task)
        .await
        .expect("run did not stop")
        .unwrap();
    assert_eq!(deliverer.in_flight(), 0);
    let rows = outbox(&db);
    assert_eq!(rows[0], ("pending".to_owned(), 0, None));
    store.close().await.unwrap();
}

/// The compatibility APIs' deliveries share the outbox: SMS Gateway for Android's webhook
/// (signed as the app signs) and a Kannel DLR (a GET of the expanded URL) are retried from the
/// file after a restart, and sent the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compat_deliveries_survive_a_restart_each_as_its_api_sends_it() {
    let rx = Receiver::start(&[503, 503]).await;
    let db = temp_db("compat_restart");
    let compat = || webhook::CompatDelivery {
        app_signing_key: Some(b"app-key".to_vec()),
        ..Default::default()
    };
    let app_body = r#"{"id":"e1","webhookId":"w1","event":"sms:sent","deviceId":"d","payload":{"messageId":"m1"}}"#;
    let dlr_url = rx.url("/dlr?status=8&to=%2B819012345678");
    let retry_at = {
        let store = open(&db, t(0));
        store
            .enqueue_event(&rx.url("/app"), "smsgate-app:sms:sent", app_body, t(0))
            .await
            .unwrap();
        store
            .enqueue_event(&dlr_url, "kannel:dlr", "{}", t(0))
            .await
            .unwrap();
        let d = Deliverer::new(store.clone(), &[]).with_compat(compat());
        let done = d.deliver_due(t(0)).await.unwrap();
        assert_eq!(done.len(), 2);
        let ats: Vec<Timestamp> = done
            .iter()
            .map(|x| match &x.outcome {
                Outcome::Retry { at, error } => {
                    assert!(error.contains("503"), "{error}");
                    *at
                }
                other => panic!("{other:?}"),
            })
            .collect();
        drop(d);
        store.close().await.unwrap();
        ats.into_iter().max().unwrap()
    };
    let store = open(&db, t(60));
    let d = Deliverer::new(store.clone(), &[]).with_compat(compat());
    let done = d.deliver_due(retry_at).await.unwrap();
    assert!(
        done.iter().all(|x| x.outcome == Outcome::Delivered),
        "{done:?}"
    );
    assert!(outbox(&db).iter().all(|(state, _, _)| state == "delivered"));

    let reqs = rx.requests();
    assert_eq!(reqs.len(), 4);
    for r in reqs.iter().filter(|r| r.path == "/app") {
        assert_eq!(r.method, "POST");
        assert_eq!(r.body, app_body.as_bytes());
        let ts = r.header("x-timestamp");
        let mut mac = Hmac::<Sha256>::new_from_slice(b"app-key").unwrap();
        mac.update(app_body.as_bytes());
        mac.update(ts.as_bytes());
        assert_eq!(
            r.header("x-signature"),
            hex::encode(mac.finalize().into_bytes())
        );
    }
    let dlrs: Vec<&Received> = reqs.iter().filter(|r| r.path.starts_with("/dlr")).collect();
    assert_eq!(dlrs.len(), 2);
    for r in dlrs {
        assert_eq!(r.method, "GET");
        assert_eq!(r.path, "/dlr?status=8&to=%2B819012345678");
        assert!(r.body.is_empty());
    }
    store.close().await.unwrap();
}

/// A Kannel service's answer is queued as the reply in the transaction that records the call,
/// and the dispatcher is woken; not when replies are off, nor to a number that opted out since.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kannel_service_answer_is_queued_as_the_reply() {
    let rx = Receiver::start(&[]).await;
    let db = temp_db("kannel_service");
    let store = open(&db, t(0));
    let dispatch = Arc::new(Notify::new());
    let cfg = Config::parse("", Path::new("test.toml")).unwrap();
    let rules = smsgate::rules::Live::new(&cfg.support, Vec::new(), Vec::new()).unwrap();
    let d = Deliverer::new(store.clone(), &[]).with_compat(webhook::CompatDelivery {
        replies: Some(webhook::Replies {
            dispatch: dispatch.clone(),
            queue: smsgate::gateway::process::service_replies(cfg.queue.clone(), Arc::new(rules)),
        }),
        ..Default::default()
    });
    let call = |reply_to: Option<&str>| {
        json!({"method": "POST", "body": "hello", "headers": [["X-Kannel-From", "+819011112222"]],
               "reply_to": reply_to, "inbound": "in_1"})
        .to_string()
    };
    store
        .set_consent("+819033334444", true, "test", t(0))
        .await
        .unwrap();
    for (path, reply_to) in [
        ("/answer", Some("+819011112222")),
        ("/quiet", None),
        ("/stopped", Some("+819033334444")),
    ] {
        store
            .enqueue_event(&rx.url(path), "kannel:service", &call(reply_to), t(0))
            .await
            .unwrap();
    }
    let woken = dispatch.notified();
    let done = d.deliver_due(t(0)).await.unwrap();
    assert!(
        done.iter().all(|x| x.outcome == Outcome::Delivered),
        "{done:?}"
    );
    tokio::time::timeout(GENEROUS, woken)
        .await
        .expect("the dispatcher is woken");

    let reqs = rx.requests();
    let answered = reqs.iter().find(|r| r.path == "/answer").unwrap();
    assert_eq!(answered.method, "POST");
    assert_eq!(answered.body, "hello".as_bytes());
    assert_eq!(answered.header("x-kannel-from"), "+819011112222");
    assert!(answered.header("content-type").starts_with("text/plain"));

    let page = store
        .list_messages(Default::default(), None, 10)
        .await
        .unwrap();
    let replies: Vec<(String, String)> = page
        .items
        .iter()
        .map(|m| (m.recipients[0].number.clone(), m.body.clone()))
        .collect();
    // The receiver's answer ("ok") to the one number that takes replies.
    assert_eq!(replies, vec![("+819011112222".to_owned(), "ok".to_owned())]);
    store.close().await.unwrap();
}
