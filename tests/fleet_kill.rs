//! The fleet's promise across crashes: appliances are real `smsgate serve` processes (each with
//! a simulator process on a pty and its own SQLite file) on a real `nats-server -js`, and one
//! dies at the worst moments. `SMSGATE_FAULT` aborts the process at a named point of taking a
//! send, exactly as a `kill -9` at that instant would: after the commit (before the claim),
//! after the claim (before the acknowledgement), after the acknowledgement (before the release
//! to the modem). Each send must reach a modem exactly once.
//!
//! Skipped, with a note, without `nats-server`. The consumers' ack wait is 2 s here, so a send
//! left unacknowledged comes back soon; nothing asserts on time, waits have a generous deadline.

#![allow(clippy::unwrap_used, clippy::expect_used)]
#![cfg(feature = "fleet")]

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::Duration;

use async_nats::jetstream;
use serde_json::{Value, json};

mod common;
use common::nats::Hub;
use common::{free_port, reassemble, sim_state};

const PATIENCE: Duration = Duration::from_secs(90);
const POLL: Duration = Duration::from_millis(100);

/// A child process, SIGKILLed and reaped when dropped.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn until<T>(what: &str, mut f: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(POLL).await;
    }
}

/// One appliance: its directory, simulator and config; `serve` starts (or restarts) it.
struct Appliance {
    dir: PathBuf,
    link: PathBuf,
    config: PathBuf,
    _sim: Proc,
}

impl Appliance {
    async fn new(root: &Path, name: &str, hub: &str, site: &str) -> Appliance {
        let dir = root.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let link = dir.join("modem");
        let sim = Proc(
            common::smsgate()
                .args(["sim", "--link"])
                .arg(&link)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        until("the simulator answers", async || sim_state(&link)).await;
        let config = dir.join("smsgate.toml");
        std::fs::write(
            &config,
            format!(
                "[http]\nlisten = \"127.0.0.1:{}\"\n\n[storage]\npath = {:?}\n\n\
                 [[modems]]\nname = \"m0\"\ndevice = {:?}\n\n\
                 [fleet]\nurl = \"{hub}\"\nsite = \"{site}\"\ndevice = \"{name}\"\nack_wait_secs = 2\n",
                free_port(),
                dir.join("smsgate.db").display().to_string(),
                link.display().to_string()
            ),
        )
        .unwrap();
        Appliance {
            dir,
            link,
            config,
            _sim: sim,
        }
    }

    /// Starts `smsgate serve`, with `fault` set as `SMSGATE_FAULT`; waits until its link is up.
    async fn serve(&self, fault: Option<&str>) -> Proc {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("serve.log"))
            .unwrap();
        let mut cmd = common::smsgate();
        cmd.args(["serve", "--config"])
            .arg(&self.config)
            .env("RUST_LOG", "smsgate=info")
            .stdout(Stdio::null())
            .stderr(log);
        if let Some(f) = fault {
            cmd.env("SMSGATE_FAULT", f);
        }
        let p = Proc(cmd.spawn().unwrap());
        let db = self.dir.join("smsgate.db");
        until("the appliance links to the hub", async || {
            let conn = rusqlite::Connection::open(&db).ok()?;
            let state: String = conn
                .query_row("SELECT state FROM fleet_link WHERE id = 1", [], |r| {
                    r.get(0)
                })
                .ok()?;
            (state == "connected").then_some(())
        })
        .await;
        p
    }

    fn sent(&self) -> Vec<String> {
        let st = sim_state(&self.link).expect("the simulator answers");
        reassemble(&st["sent"]).into_values().flatten().collect()
    }

    fn fleet_state(&self, msg_id: &str) -> Option<String> {
        let conn = rusqlite::Connection::open(self.dir.join("smsgate.db")).ok()?;
        conn.query_row(
            "SELECT state FROM fleet_sends WHERE msg_id = ?1",
            [msg_id],
            |r| r.get(0),
        )
        .ok()
    }
}

/// Waits until the process ended by itself (the fault's abort).
async fn died(p: &mut Proc) {
    until("the process aborts at its fault", async || {
        p.0.try_wait().ok().flatten().map(|_| ())
    })
    .await;
}

struct Fleet {
    hub: Hub,
    url: String,
    root: PathBuf,
}

impl Fleet {
    async fn start(name: &str) -> Option<Fleet> {
        let root = common::temp_dir(name);
        let hub = Hub::start(&root).await?;
        Some(Fleet {
            url: hub.url.clone(),
            hub,
            root,
        })
    }

    fn kill_hub(&mut self) {
        self.hub.kill();
    }

    async fn restart_hub(&mut self) {
        self.hub.restart().await;
    }

    async fn js(&self) -> jetstream::Context {
        self.hub.js().await
    }

    /// Publishes a send as the central app does; whether the hub took it as a duplicate.
    async fn publish(&self, subject: &str, id: &str, text: &str) -> bool {
        let js = self.js().await;
        let mut headers = async_nats::HeaderMap::new();
        headers.insert(async_nats::header::NATS_MESSAGE_ID, id);
        let body = json!({"to": ["+819012345678"], "text": text});
        js.publish_with_headers(subject.to_owned(), headers, body.to_string().into())
            .await
            .unwrap()
            .await
            .unwrap()
            .duplicate
    }

    /// Until no send waits on the hub, acknowledged or not.
    async fn drained(&self) {
        let js = self.js().await;
        until("the hub's work queue drains", async || {
            let mut s = js.get_stream("SMS_OUT").await.ok()?;
            (s.info().await.ok()?.state.messages == 0).then_some(())
        })
        .await;
    }
}

/// Killed after the commit, before the claim: the hub gives the send to the other appliance,
/// which claims and sends it; the first, restarted, finds it claimed elsewhere and drops it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_after_the_commit_the_other_appliance_sends_it_once() {
    let Some(fleet) = Fleet::start("fleet_kill_commit").await else {
        return;
    };
    let a = Appliance::new(&fleet.root, "pi-a", &fleet.url, "osaka").await;
    let b = Appliance::new(&fleet.root, "pi-b", &fleet.url, "kyoto").await;
    let mut a_run = a.serve(Some("fleet-after-commit")).await;
    fleet
        .publish("sms.out.any", "k-commit", "after commit")
        .await;
    died(&mut a_run).await;
    assert_eq!(a.fleet_state("k-commit").as_deref(), Some("claiming"));

    let _b_run = b.serve(None).await;
    until("b sends it", async || {
        b.sent().contains(&"after commit".to_owned()).then_some(())
    })
    .await;
    let _a_again = a.serve(None).await;
    until("a drops it", async || {
        (a.fleet_state("k-commit").as_deref() == Some("superseded")).then_some(())
    })
    .await;
    fleet.drained().await;
    assert_eq!(b.sent(), ["after commit"]);
    assert!(a.sent().is_empty(), "{:?}", a.sent());
}

/// Killed after the claim, before the acknowledgement: the send is this appliance's. Whoever
/// the hub gives it to again, only this one sends it, once, after its restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_after_the_claim_the_claimant_sends_it_once() {
    let Some(fleet) = Fleet::start("fleet_kill_claim").await else {
        return;
    };
    let a = Appliance::new(&fleet.root, "pi-a", &fleet.url, "osaka").await;
    let b = Appliance::new(&fleet.root, "pi-b", &fleet.url, "kyoto").await;
    let mut a_run = a.serve(Some("fleet-after-claim")).await;
    fleet.publish("sms.out.any", "k-claim", "after claim").await;
    died(&mut a_run).await;

    let _b_run = b.serve(None).await;
    let _a_again = a.serve(None).await;
    until("a sends it", async || {
        a.sent().contains(&"after claim".to_owned()).then_some(())
    })
    .await;
    fleet.drained().await;
    assert_eq!(a.sent(), ["after claim"]);
    assert!(b.sent().is_empty(), "{:?}", b.sent());
}

/// Killed after the acknowledgement, before the release to the modem: the restart releases it
/// and the modem sends it once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_after_the_ack_the_restart_sends_it_once() {
    let Some(fleet) = Fleet::start("fleet_kill_ack").await else {
        return;
    };
    let a = Appliance::new(&fleet.root, "pi-a", &fleet.url, "osaka").await;
    let mut a_run = a.serve(Some("fleet-after-ack")).await;
    fleet
        .publish("sms.out.site.osaka", "k-ack", "after ack")
        .await;
    died(&mut a_run).await;
    fleet.drained().await;
    assert!(a.sent().is_empty(), "not sent before the restart");

    let _a_again = a.serve(None).await;
    until("a sends it", async || {
        a.sent().contains(&"after ack".to_owned()).then_some(())
    })
    .await;
    assert_eq!(a.sent(), ["after ack"]);
}

/// Sends the hub acknowledged survive its `kill -9` and restart, and go out once each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hub_killed_and_restarted_loses_nothing_it_acknowledged() {
    let Some(mut fleet) = Fleet::start("fleet_kill_hub").await else {
        return;
    };
    let a = Appliance::new(&fleet.root, "pi-a", &fleet.url, "osaka").await;
    // Appliances create the streams; one run makes them, then the hub holds the sends alone.
    let first = a.serve(None).await;
    drop(first);
    for i in 0..5 {
        assert!(
            !fleet
                .publish(
                    "sms.out.site.osaka",
                    &format!("h-{i}"),
                    &format!("held {i}")
                )
                .await
        );
    }
    fleet.kill_hub();
    fleet.restart_hub().await;
    let _a_run = a.serve(None).await;
    until("all five sent", async || {
        (a.sent().len() >= 5).then_some(())
    })
    .await;
    fleet.drained().await;
    let mut sent = a.sent();
    sent.sort();
    assert_eq!(
        sent,
        (0..5).map(|i| format!("held {i}")).collect::<Vec<_>>()
    );
}

/// Messages received while the hub is down wait in the outbox and are published once each
/// when it returns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn received_while_the_hub_is_down_they_are_published_once_when_it_returns() {
    let Some(mut fleet) = Fleet::start("fleet_hub_down").await else {
        return;
    };
    let a = Appliance::new(&fleet.root, "pi-a", &fleet.url, "osaka").await;
    let _a_run = a.serve(None).await;
    fleet.kill_hub();
    for i in 0..3 {
        let out = common::smsgate()
            .args(["sim", "deliver", "--link"])
            .arg(&a.link)
            .args(["--from", "+819011112222", &format!("while down {i}")])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let db = a.dir.join("smsgate.db");
    until("three waiting in the outbox", async || {
        let conn = rusqlite::Connection::open(&db).ok()?;
        let n: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM fleet_outbox WHERE subject = 'sms.in.osaka.pi-a' \
                 AND forwarded_at IS NULL",
                [],
                |r| r.get(0),
            )
            .ok()?;
        (n == 3).then_some(())
    })
    .await;
    fleet.restart_hub().await;
    until("the outbox drains", async || {
        let conn = rusqlite::Connection::open(&db).ok()?;
        let n: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM fleet_outbox WHERE forwarded_at IS NULL",
                [],
                |r| r.get(0),
            )
            .ok()?;
        (n == 0).then_some(())
    })
    .await;
    let js = fleet.js().await;
    let mut s = js.get_stream("SMS_IN").await.unwrap();
    assert_eq!(s.info().await.unwrap().state.messages, 3, "each once");
}

/// A send published again after the hub's duplicate window (so the hub takes it) is still
/// sent once: the claim and the appliance's own row stop it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_duplicate_after_the_hub_window_is_stopped_by_the_claim() {
    let Some(fleet) = Fleet::start("fleet_dup_window").await else {
        return;
    };
    // The central app made SMS_OUT with a one-second duplicate window (same shape otherwise).
    fleet
        .js()
        .await
        .create_stream(jetstream::stream::Config {
            name: "SMS_OUT".into(),
            subjects: vec!["sms.out.>".into()],
            retention: jetstream::stream::RetentionPolicy::WorkQueue,
            storage: jetstream::stream::StorageType::File,
            duplicate_window: Duration::from_secs(1),
            ..Default::default()
        })
        .await
        .unwrap();
    let a = Appliance::new(&fleet.root, "pi-a", &fleet.url, "osaka").await;
    let b = Appliance::new(&fleet.root, "pi-b", &fleet.url, "kyoto").await;
    let _a_run = a.serve(None).await;
    let _b_run = b.serve(None).await;
    assert!(!fleet.publish("sms.out.any", "dup-1", "only once").await);
    until("sent", async || {
        (a.sent().len() + b.sent().len() == 1).then_some(())
    })
    .await;
    // Again, until the hub no longer knows the id.
    until("the hub's window passes", async || {
        (!fleet.publish("sms.out.any", "dup-1", "only once").await).then_some(())
    })
    .await;
    fleet.drained().await;
    let all: Vec<String> = a.sent().into_iter().chain(b.sent()).collect();
    assert_eq!(all, ["only once"]);
}

/// An appliance whose modem is not on the network pulls nothing; once it is, it sends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_appliance_without_a_ready_modem_pulls_nothing() {
    let Some(fleet) = Fleet::start("fleet_not_ready").await else {
        return;
    };
    let a = Appliance::new(&fleet.root, "pi-a", &fleet.url, "osaka").await;
    sim_ctl(&a.link, r#"{"cmd":"network","registered":false}"#);
    let _a_run = a.serve(None).await;
    assert!(
        !fleet
            .publish("sms.out.site.osaka", "nr-1", "when ready")
            .await
    );
    // The appliance has reported its health (its link runs) with the modem unregistered.
    let js = fleet.js().await;
    let health = js.get_key_value("sms_health").await.unwrap();
    until("health written", async || {
        let v = health.get("osaka.pi-a").await.ok()??;
        let v: Value = serde_json::from_slice(&v).ok()?;
        (v["modems"][0]["registered"] == false).then_some(())
    })
    .await;
    let mut out = js.get_stream("SMS_OUT").await.unwrap();
    let mut consumer: jetstream::consumer::PullConsumer =
        out.get_consumer("site-osaka").await.unwrap();
    let info = consumer.info().await.unwrap();
    assert_eq!((info.num_pending, info.num_ack_pending), (1, 0), "{info:?}");
    assert_eq!(a.fleet_state("nr-1"), None);
    assert_eq!(out.info().await.unwrap().state.messages, 1);

    sim_ctl(&a.link, r#"{"cmd":"network","registered":true}"#);
    until("sent once registered", async || {
        a.sent().contains(&"when ready".to_owned()).then_some(())
    })
    .await;
    assert_eq!(a.sent(), ["when ready"]);
}

fn sim_ctl(link: &Path, line: &str) {
    let out = common::smsgate()
        .args(["sim", "ctl", "--link"])
        .arg(link)
        .arg(line)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{line}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
