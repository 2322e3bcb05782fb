//! `kill -9` against the store: a child process (this test binary, re-run with an env var)
//! enqueues messages from several tasks and prints `ACK <id>` after each acknowledgement; the
//! parent SIGKILLs it mid-stream, then reopens the file and checks every acknowledged id is there.
//!
//! This proves "acknowledge after commit" (no ack for a write still in memory). A process kill
//! leaves the OS page cache intact, so it does not exercise fsync (`synchronous=FULL`) itself;
//! that needs a power cut.

// A test unwraps its own fixtures; the lints guard the service's code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::Stdio;

use jiff::Timestamp;
use smsgate::store::{NewMessage, Store};

const CHILD_ENV: &str = "SMSGATE_STORE_KILL_CHILD";
const KILL_AFTER: usize = 300;

fn temp_db(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "smsgate-store-test-{}-{}",
        std::process::id(),
        name
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("smsgate.db")
}

/// The child's body; a no-op unless the parent set the env var.
#[test]
fn child_writer() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return;
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store = Store::open(&path).unwrap();
        let mut tasks = Vec::new();
        for task in 0..8 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0..100_000 {
                    let m = NewMessage::new(vec!["+15550000".into()], format!("{task}/{i}"));
                    let rec = store.enqueue(m, Timestamp::now()).await.unwrap();
                    let mut out = std::io::stdout().lock();
                    writeln!(out, "ACK {}", rec.id).unwrap();
                    out.flush().unwrap();
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
    });
    // Never a graceful close.
    std::process::abort();
}

#[test]
fn kill_9_loses_no_acknowledged_message() {
    let path = temp_db("kill9");
    let exe = std::env::current_exe().unwrap();
    let mut child = common::command(exe)
        .args(["--exact", "child_writer", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut acked = Vec::new();
    let mut killed = false;
    for line in BufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
        if let Some(id) = line.strip_prefix("ACK ") {
            acked.push(id.to_owned());
            if acked.len() == KILL_AFTER {
                child.kill().unwrap(); // SIGKILL
                killed = true;
            }
        }
    }
    let status = child.wait().unwrap();
    assert!(
        killed,
        "the child stopped after {} acks: {status}",
        acked.len()
    );
    assert!(acked.len() >= KILL_AFTER);

    let conn = rusqlite::Connection::open(&path).unwrap();
    let mut stmt = conn.prepare("SELECT id FROM outbound_messages").unwrap();
    let stored: HashSet<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let lost: Vec<_> = acked.iter().filter(|id| !stored.contains(*id)).collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    assert!(stored.len() >= acked.len());
    drop(stmt);
    drop(conn);
    // And the store itself reopens the killed file cleanly.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = Store::open(&path).unwrap();
        store.get_message(&acked[0]).await.unwrap();
    });
}
