//! A campaign across crashes: `smsgate serve` (a child process, no modem, its own SQLite file)
//! dies in the middle of writing a campaign of 1,200 messages (three chunks), and at the worst
//! point of releasing it into the send queue. `SMSGATE_FAULT` aborts the process there, exactly
//! as a `kill -9` at that instant would. Started again on the same file: a campaign stopped
//! before its last chunk (its client never had a `202`) is discarded with every message it had
//! stored, and one stopped while being released is released whole, each message queued once.

// A test unwraps its own fixtures; the lints guard the service's code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
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
use common::free_port;

const PATIENCE: Duration = Duration::from_secs(90);
const POLL: Duration = Duration::from_millis(100);
const RECIPIENTS: usize = 1200;

/// A child process, SIGKILLed and reaped when dropped.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

struct Service {
    dir: PathBuf,
    base: String,
    client: Client<HttpConnector, Full<Bytes>>,
}

impl Service {
    fn new(name: &str) -> Service {
        let dir = common::temp_dir(name);
        let port = free_port();
        std::fs::write(
            dir.join("smsgate.toml"),
            format!(
                "[http]\nlisten = \"127.0.0.1:{port}\"\n\n[storage]\npath = \"{}\"\n",
                dir.join("smsgate.db").display()
            ),
        )
        .unwrap();
        Service {
            dir,
            base: format!("http://127.0.0.1:{port}"),
            client: Client::builder(TokioExecutor::new()).build_http(),
        }
    }

    /// Starts `serve` (aborting at `fault`, if any) and waits until it answers.
    async fn start(&self, fault: Option<&str>) -> Proc {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("serve.log"))
            .unwrap();
        let mut cmd = common::smsgate();
        cmd.arg("serve")
            .arg("--config")
            .arg(self.dir.join("smsgate.toml"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        if let Some(f) = fault {
            cmd.env("SMSGATE_FAULT", f);
        }
        let proc = Proc(cmd.spawn().unwrap());
        self.until("the service answers", async || {
            self.request(Method::GET, "/health", None).await.ok()
        })
        .await;
        proc
    }

    async fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<(StatusCode, Value), hyper_util::client::legacy::Error> {
        let req = hyper::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(
                body.map(|b| b.to_string()).unwrap_or_default(),
            )))
            .unwrap();
        let resp = self.client.request(req).await?;
        let status = resp.status();
        let bytes = resp
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        Ok((
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        ))
    }

    async fn until<T>(&self, what: &str, mut f: impl AsyncFnMut() -> Option<T>) -> T {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            if let Some(v) = f().await {
                return v;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out: {what}; see {}",
                self.dir.join("serve.log").display()
            );
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits for the process to end (the fault aborted it).
    async fn exited(&self, proc: &mut Proc) {
        self.until("the service aborts at its fault", async || {
            proc.0.try_wait().unwrap()
        })
        .await;
    }

    fn db(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.dir.join("smsgate.db")).unwrap()
    }
}

fn campaign(from: usize) -> Value {
    let to: Vec<String> = (from..from + RECIPIENTS)
        .map(|i| format!("+8190{i:08}"))
        .collect();
    json!({"name": "年末のご案内", "to": to, "text": "年末年始の営業時間のお知らせです。"})
}

/// (state, messages stored, recipients in the send queue) of the `nth` campaign created.
fn campaign_facts(db: &rusqlite::Connection, nth: i64) -> (String, i64, i64) {
    db.query_row(
        "SELECT c.state, \
           (SELECT COUNT(*) FROM outbound_messages m WHERE m.campaign = c.id), \
           (SELECT COUNT(*) FROM outbound_queue q JOIN outbound_recipients r \
              ON r.id = q.recipient_id JOIN outbound_messages m ON m.id = r.message_id \
              WHERE m.campaign = c.id) \
         FROM campaigns c ORDER BY c.created_at LIMIT 1 OFFSET ?1",
        [nth],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_cut_short_is_discarded_and_one_cut_while_released_is_released_whole() {
    let s = Service::new("campaign-kill");

    // Killed after its first chunk: the client hears no 202.
    let mut proc = s.start(Some("campaign-after-chunk")).await;
    let answer = s
        .request(Method::POST, "/api/v1/bulk", Some(campaign(0)))
        .await;
    assert!(
        !matches!(answer, Ok((StatusCode::ACCEPTED, _))),
        "{answer:?}"
    );
    s.exited(&mut proc).await;
    let (state, stored, queued) = campaign_facts(&s.db(), 0);
    assert_eq!(state, "creating");
    assert!(stored > 0 && (stored as usize) < RECIPIENTS, "{stored}");
    assert_eq!(
        queued, 0,
        "a campaign being created is not in the send queue"
    );

    // The start discards it, with every message it had stored.
    let proc = s.start(None).await;
    let (state, stored, queued) = campaign_facts(&s.db(), 0);
    assert_eq!((state.as_str(), stored, queued), ("discarded", 0, 0));
    drop(proc);

    // Killed after the first chunk entered the send queue. The campaign was committed before:
    // its 202 went out, or was on its way when the process died.
    let mut proc = s.start(Some("campaign-after-release")).await;
    let answer = s
        .request(Method::POST, "/api/v1/bulk", Some(campaign(5000)))
        .await;
    if let Ok((status, v)) = &answer {
        assert_eq!(*status, StatusCode::ACCEPTED, "{v}");
        assert_eq!(v["recipients"], RECIPIENTS, "{v}");
    }
    s.exited(&mut proc).await;
    let (state, stored, queued) = campaign_facts(&s.db(), 1);
    assert_eq!(state, "releasing");
    assert_eq!(stored as usize, RECIPIENTS);
    assert!(queued > 0 && (queued as usize) < RECIPIENTS, "{queued}");

    // The start releases the rest: every message queued, once.
    let _proc = s.start(None).await;
    let id: String = s
        .db()
        .query_row(
            "SELECT id FROM campaigns ORDER BY created_at LIMIT 1 OFFSET 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let (status, v) = s
        .request(Method::GET, &format!("/api/v1/bulk/{id}"), None)
        .await
        .unwrap();
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["state"], "created", "{v}");
    assert_eq!(v["states"], json!({"queued": RECIPIENTS}), "{v}");
    let (_, stored, queued) = campaign_facts(&s.db(), 1);
    assert_eq!((stored as usize, queued as usize), (RECIPIENTS, RECIPIENTS));
}
