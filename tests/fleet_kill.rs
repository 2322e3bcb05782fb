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
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use async_nats::jetstream;
use serde_json::{Value, json};

mod common;
use common::reassemble;

const PATIENCE: Duration = Duration::from_secs(90);
const POLL: Duration = Duration::from_millis(100);

fn nats_server() -> Option<PathBuf> {
    ["/usr/sbin/nats-server", "/usr/bin/nats-server"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

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

fn sim_state(link: &Path) -> Option<Value> {
    let out = common::smsgate()
        .args(["sim", "state", "--link"])
        .arg(link)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    serde_json::from_slice(&out.stdout).ok()
}

/// Waits until the process ended by itself (the fault's abort).
async fn died(p: &mut Proc) {
    until("the process aborts at its fault", async || {
        p.0.try_wait().ok().flatten().map(|_| ())
    })
    .await;
}

struct Fleet {
    _hub: Proc,
    url: String,
    root: PathBuf,
}

impl Fleet {
    async fn start(name: &str) -> Option<Fleet> {
        let Some(exe) = nats_server() else {
            eprintln!("skipped: nats-server is not installed (apt-get install nats-server)");
            return None;
        };
        let root = common::temp_dir(name);
        let port = free_port();
        let hub = Proc(
            Command::new(exe)
                .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
                .arg(root.join("jetstream"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        until("nats-server listens", async || {
            tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .ok()
                .map(|_| ())
        })
        .await;
        Some(Fleet {
            _hub: hub,
            url: format!("nats://127.0.0.1:{port}"),
            root,
        })
    }

    async fn publish(&self, subject: &str, id: &str, text: &str) {
        let js = jetstream::new(async_nats::connect(&self.url).await.unwrap());
        let mut headers = async_nats::HeaderMap::new();
        headers.insert(async_nats::header::NATS_MESSAGE_ID, id);
        let body = json!({"to": ["+819012345678"], "text": text});
        js.publish_with_headers(subject.to_owned(), headers, body.to_string().into())
            .await
            .unwrap()
            .await
            .unwrap();
    }

    /// Until no send waits on the hub, acknowledged or not.
    async fn drained(&self) {
        let js = jetstream::new(async_nats::connect(&self.url).await.unwrap());
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
