//! The gateway end to end below HTTP: a real SQLite file, modem actors on
//! pseudo-terminals against the simulator, the dispatcher and the ingester.

// A test unwraps its own fixtures; the lints guard the service's code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use smsgate::config::Config;
use smsgate::gateway::dispatch::{Dispatcher, Pacing, Settings};
use smsgate::gateway::ingest::Ingester;
use smsgate::gateway::{Clock, Events, SystemClock};
use smsgate::metrics::Metrics;
use smsgate::modem::actor::{self, ModemConfig, ModemHandle, ModemState};
use smsgate::sim::{Fault, Request, SimConfig, SimHandle, Simulator};
use smsgate::store::{InboundMessage, NewMessage, State, Store};
use tokio::sync::{Notify, mpsc};
use tokio_util::sync::CancellationToken;

const PATIENCE: Duration = Duration::from_secs(60);
/// Caps every AT command's timeout so a hung modem costs seconds rather than a minute. It is
/// the default command timeout (`at::command::DEFAULT_TIMEOUT`): only the long ones (`+CMGS`
/// after the PDU, SIM and radio commands) are shortened, and no command gets less time than it
/// has in production, so a slow machine is not mistaken for a hung modem.
const COMMAND_TIMEOUT_CAP: Duration = smsgate::at::command::DEFAULT_TIMEOUT;

struct Gateway {
    dir: PathBuf,
    store: Store,
    sims: Vec<SimHandle>,
    modems: Vec<ModemHandle>,
    wake: Arc<Notify>,
    received: mpsc::Receiver<InboundMessage>,
    cancel: CancellationToken,
}

/// Every event type, to one endpoint nobody listens on: the events stay in the outbox, where
/// the tests read them.
const ALL_EVENTS: &str = r#"
[[webhooks]]
url = "http://127.0.0.1:9/hook"
events = ["message.received", "message.sent", "message.delivered", "message.failed", "modem.state"]
"#;

impl Gateway {
    async fn start(n: usize) -> Gateway {
        Gateway::start_with(n, |_| {}).await
    }

    async fn start_with(n: usize, sim_cfg: impl Fn(&mut SimConfig)) -> Gateway {
        let dir = common::temp_dir("gateway");
        let store = Store::open(dir.join("smsgate.db")).unwrap();
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let cancel = CancellationToken::new();
        let (ev_tx, ev_rx) = mpsc::channel(64);
        let mut sims = Vec::new();
        let mut modems = Vec::new();
        for i in 0..n {
            let mut sc = SimConfig::new(dir.join(format!("modem{i}")));
            sim_cfg(&mut sc);
            let sim = Simulator::spawn(sc).await.unwrap();
            let mut mc = ModemConfig::new(&format!("m{i}"), &sim.link().display().to_string());
            mc.command_timeout_cap = Some(COMMAND_TIMEOUT_CAP);
            mc.backoff_max = Duration::from_secs(1);
            let (h, _) = actor::spawn(mc, ev_tx.clone(), None, cancel.clone());
            sims.push(sim);
            modems.push(h);
        }
        for m in &modems {
            wait_ready(m).await;
        }
        // The compatibility APIs on too: their rows appear only for a message with a dlr-url
        // or for a registered app webhook.
        let cfg = Config::parse(
            &format!("{ALL_EVENTS}\n[compat.kannel]\nlisten = \"127.0.0.1:0\"\n"),
            std::path::Path::new("gateway.toml"),
        )
        .unwrap();
        let names = (0..n).map(|i| format!("m{i}")).collect();
        let events = Events::new(
            &cfg.webhooks,
            Arc::new(Notify::new()),
            Arc::new(Metrics::new()),
        )
        .with_compat(smsgate::compat::events::Hooks::new(&cfg, names));
        let (r_tx, received) = mpsc::channel(64);
        tokio::spawn(
            Ingester::new(store.clone(), clock.clone(), events.clone(), r_tx)
                .run(ev_rx, cancel.clone()),
        );
        let wake = Arc::new(Notify::new());
        let settings = Settings {
            backoff_initial: Duration::from_millis(200),
            backoff_max: Duration::from_secs(1),
            ..Settings::default()
        };
        let d = Dispatcher::new(store.clone(), clock, settings, wake.clone(), events);
        let paced = modems
            .iter()
            .map(|m| (m.clone(), Pacing { rate_per_minute: 0 }))
            .collect();
        let handles = modems.clone();
        tokio::spawn(d.run(paced, cancel.clone()));
        Gateway {
            dir,
            store,
            sims,
            modems: handles,
            wake,
            received,
            cancel,
        }
    }

    async fn enqueue(&self, to: &[&str], text: &str) -> String {
        let mut m = NewMessage::new(to.iter().map(|s| s.to_string()).collect(), text);
        m.max_attempts = 3;
        let rec = self.store.enqueue(m, jiff::Timestamp::now()).await.unwrap();
        self.wake.notify_waiters();
        rec.id
    }

    async fn wait_message(&self, id: &str, want: State) {
        tokio::time::timeout(PATIENCE, async {
            loop {
                let m = self.store.get_message(id).await.unwrap();
                if m.state == want {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await
        .unwrap_or_else(|_| panic!("{id} never reached {want:?}; db {}", self.dir.display()));
    }

    async fn sim(&self, i: usize, req: Request) -> Value {
        let v = self.sims[i].request(req).await;
        assert_eq!(v["ok"], json!(true), "{v}");
        v
    }

    /// Registration of modem 0 in the simulated network, without a URC to say so.
    async fn network(&self, registered: bool) {
        self.sim(
            0,
            Request::Network {
                registered,
                stat: None,
                rssi: None,
            },
        )
        .await;
    }

    async fn sent_texts(&self, i: usize) -> Vec<String> {
        self.sim(i, Request::State).await["sent"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["text"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    async fn next_received(&mut self) -> InboundMessage {
        tokio::time::timeout(PATIENCE, self.received.recv())
            .await
            .expect("no message received")
            .expect("the ingester stopped")
    }

    /// The queued webhook events of type `kind`, as `data` objects.
    async fn events(&self, kind: &str) -> Vec<Value> {
        self.store
            .due_events(jiff::Timestamp::MAX, 10_000)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.kind == kind)
            .map(|e| serde_json::from_str::<Value>(&e.payload).unwrap()["data"].clone())
            .collect()
    }

    async fn stop(self) {
        self.cancel.cancel();
        for s in self.sims {
            s.shutdown().await;
        }
    }
}

async fn wait_ready(m: &ModemHandle) {
    let mut h = m.clone();
    tokio::time::timeout(PATIENCE, async {
        while h.status().state != ModemState::Ready {
            let _ = tokio::time::timeout(Duration::from_millis(200), h.changed()).await;
        }
    })
    .await
    .expect("modem not ready");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_message_is_sent_and_its_report_rolls_up_to_delivered() {
    let g = Gateway::start(1).await;
    let text = "ご予約ありがとうございます。明日10時にお待ちしております。".repeat(3);
    let id = g.enqueue(&["+819011112222", "+819033334444"], &text).await;
    g.wait_message(&id, State::Delivered).await;
    let m = g.store.get_message(&id).await.unwrap();
    for r in &m.recipients {
        assert_eq!(r.state, State::Delivered, "{r:?}");
        assert_eq!(r.parts.len(), 2);
        assert!(r.parts.iter().all(|p| p.mr.is_some()));
    }
    // Each recipient got the whole text exactly once.
    let sent = g.sent_texts(0).await;
    assert_eq!(sent.len(), 4, "two parts for each of two recipients");
    // Committed with the states they report: one message.sent per recipient, one
    // message.delivered for the message once both are delivered.
    let mut to: Vec<Value> = g
        .events("message.sent")
        .await
        .into_iter()
        .inspect(|d| assert_eq!(d["id"], json!(id)))
        .map(|d| d["to"].clone())
        .collect();
    to.sort_by_key(|v| v.to_string());
    assert_eq!(to, vec![json!("+819011112222"), json!("+819033334444")]);
    assert_eq!(
        g.events("message.delivered").await,
        vec![json!({"id": id, "state": "delivered"})]
    );
    assert!(
        g.events("modem.state")
            .await
            .iter()
            .any(|d| d["name"] == "m0" && d["state"] == "ready"),
        "the modem's start is an event"
    );
    g.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inbound_single_and_multipart_are_stored_then_deleted_from_the_modem() {
    let mut g = Gateway::start(1).await;
    let long = "お問い合わせ番号4711について、担当からご連絡します😀".repeat(4);
    g.sim(
        0,
        Request::Deliver {
            from: "+818011112222".into(),
            text: long.clone(),
            encoding: None,
            class: None,
        },
    )
    .await;
    let m = g.next_received().await;
    assert_eq!(m.sender, "+818011112222");
    assert_eq!(m.text, long);
    assert!(m.complete);
    assert_eq!(m.parts, m.total);
    g.sim(
        0,
        Request::Deliver {
            from: "Shop".into(),
            text: "STOP".into(),
            encoding: None,
            class: None,
        },
    )
    .await;
    assert_eq!(g.next_received().await.text, "STOP");
    tokio::time::timeout(PATIENCE, async {
        while g.sim(0, Request::State).await["used"] != json!(0) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("parts left on the modem");
    g.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_temporary_error_is_retried_and_a_permanent_one_is_not() {
    let g = Gateway::start(1).await;
    g.sim(0, Request::Fault(Fault::CmsError { code: 38, count: 1 }))
        .await;
    let retried = g.enqueue(&["+819011110000"], "retry me").await;
    g.wait_message(&retried, State::Delivered).await;
    assert_eq!(g.sent_texts(0).await, vec!["retry me"]);
    let rec = g.store.get_message(&retried).await.unwrap();
    assert_eq!(rec.recipients[0].attempts, 2);

    g.sim(0, Request::Fault(Fault::CmsError { code: 21, count: 1 }))
        .await;
    let rejected = g.enqueue(&["+819011110001"], "rejected").await;
    g.wait_message(&rejected, State::Failed).await;
    let rec = g.store.get_message(&rejected).await.unwrap();
    assert_eq!(
        rec.recipients[0].attempts, 1,
        "no retry after a permanent error"
    );
    assert!(
        rec.recipients[0]
            .error
            .as_deref()
            .unwrap_or_default()
            .contains("21")
    );
    let failed = g.events("message.failed").await;
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0]["id"], json!(rejected));
    assert_eq!(failed[0]["state"], "failed");
    g.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_one_modem_hangs_the_other_sends() {
    let g = Gateway::start(2).await;
    // Longer than the test: m0 is certainly still hung when the test looks at what it sent.
    g.sim(0, Request::Fault(Fault::Hang { seconds: 3600.0 }))
        .await;
    let ids = [
        g.enqueue(&["+819000000001"], "one").await,
        g.enqueue(&["+819000000002"], "two").await,
        g.enqueue(&["+819000000003"], "three").await,
    ];
    for id in &ids {
        g.wait_message(id, State::Delivered).await;
    }
    let mut via_second = g.sent_texts(1).await;
    via_second.sort();
    assert_eq!(via_second, vec!["one", "three", "two"]);
    assert!(g.sent_texts(0).await.is_empty());
    g.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unanswered_send_is_unknown_and_never_resent() {
    let g = Gateway::start(1).await;
    g.sim(
        0,
        Request::Fault(Fault::SilentSend {
            seconds: 5.0,
            delivered: true,
        }),
    )
    .await;
    let id = g.enqueue(&["+819055556666"], "did it go?").await;
    g.wait_message(&id, State::Unknown).await;
    // Later sends work; the unknown one stays where it is.
    let later = g.enqueue(&["+819055556667"], "later").await;
    g.wait_message(&later, State::Delivered).await;
    let sent = g.sent_texts(0).await;
    assert_eq!(
        sent.iter().filter(|t| *t == "did it go?").count(),
        1,
        "{sent:?}"
    );
    assert_eq!(
        g.store.get_message(&id).await.unwrap().state,
        State::Unknown
    );
    g.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_status_reports_a_message_stays_sent() {
    let g = Gateway::start(1).await;
    let mut m = NewMessage::new(vec!["+819077778888".into()], "no report please");
    m.status_report = false;
    let id = g.store.enqueue(m, jiff::Timestamp::now()).await.unwrap().id;
    g.wake.notify_waiters();
    g.wait_message(&id, State::Sent).await;
    let st = g.sim(0, Request::State).await;
    assert_eq!(st["sent"][0]["status_report_requested"], json!(false));
    g.stop().await;
}

/// A USB modem that re-enumerates mid-queue: its tty is gone for 3 s after 5 of 15 sends, and
/// after it is back the module answers "SIM busy" for a while. Every message still goes out,
/// once; the one in flight at the unplug may be `unknown`, never resent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_modem_unplugged_mid_queue_sends_the_rest_once_it_is_back() {
    let g = Gateway::start_with(1, |sc| {
        sc.profile = &smsgate::sim::profile::QUECTEL;
        sc.send_delay = Duration::from_millis(100);
        sc.sms_init = Duration::from_millis(1500);
    })
    .await;
    let mut ids = Vec::new();
    for n in 0..15 {
        ids.push(
            g.enqueue(&[&format!("+8190555500{n:02}")], &format!("text {n}"))
                .await,
        );
    }
    tokio::time::timeout(PATIENCE, async {
        while g.sent_texts(0).await.len() < 5 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("5 sends");
    g.sim(0, Request::Unplug { seconds: 3.0 }).await;
    let mut unknown = 0;
    for id in &ids {
        let state = tokio::time::timeout(PATIENCE, async {
            loop {
                let m = g.store.get_message(id).await.unwrap();
                if matches!(m.state, State::Delivered | State::Unknown) {
                    return m.state;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await
        .unwrap_or_else(|_| panic!("{id} never settled; db {}", g.dir.display()));
        unknown += usize::from(state == State::Unknown);
    }
    assert!(unknown <= 1, "{unknown} unknown");
    let mut sent = g.sent_texts(0).await;
    let all = sent.len();
    sent.sort();
    sent.dedup();
    assert_eq!(sent.len(), all, "a text went out twice");
    assert!(all >= 14, "{all} sent");
    g.stop().await;
}

/// A send refused for want of network (`+CMS ERROR: 331`) marks the modem unregistered at once:
/// the dispatcher stops handing it work instead of spending every queued message on refusals,
/// and the message waits, its attempt not counted, until the network is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_refused_for_no_network_stops_the_queue_until_the_network_returns() {
    let g = Gateway::start(1).await;
    let mut modem = g.modems[0].clone();
    // The network goes without the modem saying so (no +CREG URC): only a send finds out.
    g.network(false).await;
    let mut ids = Vec::new();
    for n in 0..5 {
        ids.push(
            g.enqueue(&[&format!("+8190666600{n:02}")], &format!("later {n}"))
                .await,
        );
    }
    tokio::time::timeout(PATIENCE, async {
        while modem.status().health.registered {
            let _ = modem.changed().await;
        }
    })
    .await
    .expect("the modem was never marked unregistered");
    let st = g.sim(0, Request::State).await;
    assert_eq!(
        st["counters"]["send_errors"],
        json!(1),
        "one refusal, then the queue waits"
    );
    g.network(true).await;
    for id in &ids {
        g.wait_message(id, State::Delivered).await;
        let m = g.store.get_message(id).await.unwrap();
        assert!(m.recipients[0].attempts <= 1, "{:?}", m.recipients[0]);
    }
    g.stop().await;
}

/// A message whose time to live passes while no modem can send it expires, and its
/// `message.failed` event (state `expired`) is queued in the same transaction.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_that_expires_unsent_is_reported_as_expired() {
    let g = Gateway::start(1).await;
    g.network(false).await;
    let mut m = NewMessage::new(vec!["+819077770000".into()], "too late");
    m.ttl = Some(Duration::from_secs(1));
    // Sent through Kannel's sendsms with a dlr-url asking for every report.
    let dlr = smsgate::store::KannelDlr {
        url: "http://127.0.0.1:9/dlr?type=%d&to=%p&why=%A".into(),
        mask: 31,
        sender: None,
        coding: 0,
        charset: None,
    };
    let id = g
        .store
        .atomically(move |tx| {
            let rec = tx.enqueue(&m, jiff::Timestamp::now())?;
            tx.set_kannel_dlr(&rec.id, &dlr)?;
            Ok(rec.id)
        })
        .await
        .unwrap();
    g.wake.notify_waiters();
    g.wait_message(&id, State::Expired).await;
    let failed = g.events("message.failed").await;
    assert_eq!(
        failed,
        vec![json!({"id": id, "state": "expired", "error": "ttl expired"})]
    );
    // Kannel's "rejected by the SMSC" (16), once, in the same transaction.
    let conn = rusqlite::Connection::open(g.dir.join("smsgate.db")).unwrap();
    let dlrs: Vec<String> = conn
        .prepare("SELECT endpoint FROM webhook_events WHERE kind = 'kannel:dlr'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        dlrs,
        ["http://127.0.0.1:9/dlr?type=16&to=%2B819077770000&why=ttl+expired"]
    );
    assert!(g.sent_texts(0).await.is_empty());
    g.stop().await;
}

/// With a default region the ingester stores a national-format sender (type of number unknown,
/// as many networks deliver domestic senders) in E.164, the form contacts, conversations and
/// consent are kept in; a sender name is kept as it is. Fed straight from a PDU, no modem.
#[tokio::test]
async fn a_national_format_sender_is_stored_in_e164() {
    let dir = common::temp_dir("gateway-national-sender");
    let store = Store::open(dir.join("smsgate.db")).unwrap();
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let events = Events::new(&[], Arc::new(Notify::new()), Arc::new(Metrics::new()));
    let (r_tx, mut received) = mpsc::channel(4);
    let (ev_tx, ev_rx) = mpsc::channel(4);
    let cancel = CancellationToken::new();
    let region = Config::parse(
        "[support]\ncountry = \"JP\"\n",
        std::path::Path::new("jp.toml"),
    )
    .unwrap()
    .support
    .region();
    tokio::spawn(
        Ingester::new(store.clone(), clock, events, r_tx)
            .with_region(region)
            .run(ev_rx, cancel.clone()),
    );
    // SMS-DELIVER "hi", no SMSC: from 09012345678 (TOA 0x81: unknown, ISDN), then from the
    // alphanumeric "AMAZON" (TOA 0xD0).
    for (pdu, want) in [
        (
            "00040B819010325476F800006220602143006302E834",
            "+819012345678",
        ),
        ("00040BD0C16650FB740200006220602143006302E834", "AMAZON"),
    ] {
        let tpdu = smsgate::sms::pdumode::decode_hex(pdu, true)
            .map(|(_, t)| t)
            .map_err(|e| e.to_string());
        let (ack, acked) = tokio::sync::oneshot::channel();
        let part = smsgate::modem::ReceivedPart {
            modem: "m0".into(),
            pdu: pdu.to_owned(),
            tpdu,
        };
        ev_tx
            .send(smsgate::modem::ModemEvent::Received { part, ack })
            .await
            .unwrap();
        tokio::time::timeout(PATIENCE, acked)
            .await
            .unwrap()
            .unwrap();
        let m = tokio::time::timeout(PATIENCE, received.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(m.text, "hi");
        assert_eq!(m.sender, want);
        assert_eq!(store.get_inbound(&m.id).await.unwrap().sender, want);
    }
    cancel.cancel();
}
