//! Helpers shared by the integration tests (each test crate uses a subset).
#![allow(dead_code)]

pub mod browser;
pub mod http;
pub mod loopback;
#[cfg(feature = "fleet")]
pub mod nats;
pub mod service;

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use jiff::Timestamp;
use serde_json::Value;

/// The smsgate binary under test, as a command to add arguments to.
pub fn smsgate() -> Command {
    command(env!("CARGO_BIN_EXE_smsgate"))
}

/// A command for one of this build's own executables (the smsgate binary,
/// or a test binary re-running itself). With `SMSGATE_TEST_RUNNER` set
/// (whitespace-separated, e.g. `qemu-aarch64 -L /usr/aarch64-linux-gnu`)
/// the executable runs through that runner: `.ci/run` runs the suite
/// cross-built for aarch64 under qemu-user, where cargo's runner setting
/// covers the test binaries but not the children they spawn, and an
/// aarch64 child cannot be exec'd on an x86 host without binfmt_misc.
/// Host tools (`kill`, `gammu`, `udevadm`) are spawned with
/// `Command::new` as usual.
pub fn command(exe: impl AsRef<OsStr>) -> Command {
    let runner = std::env::var("SMSGATE_TEST_RUNNER").unwrap_or_default();
    let mut words = runner.split_whitespace();
    match words.next() {
        Some(prog) => {
            let mut c = Command::new(prog);
            c.args(words).arg(exe);
            c
        }
        None => Command::new(exe),
    }
}

/// A fresh, empty directory for one test (per process and call).
pub fn temp_dir(name: &str) -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "smsgate-test-{}-{}-{}",
        std::process::id(),
        name,
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create a temp dir");
    dir
}

/// A database path in a fresh directory.
pub fn temp_db(name: &str) -> PathBuf {
    temp_dir(name).join("smsgate.db")
}

/// A fixed clock: `t(s)` is `s` seconds after an arbitrary epoch.
pub fn t(secs: i64) -> Timestamp {
    Timestamp::from_second(1_700_000_000 + secs).expect("a valid time")
}

/// A simulator's `sent` list as recipient -> whole texts, in the order sent. Single parts are
/// texts of their own; concatenated parts are joined by (recipient, reference, total) in
/// sequence order. A part seen again (same recipient, reference and sequence) starts a new
/// text, so a duplicate send shows up as a second entry.
pub fn reassemble(sent: &Value) -> BTreeMap<String, Vec<String>> {
    type Key = (String, u64, u64);
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    // Open concatenations: key -> (index in out[to], parts by sequence).
    let mut open: BTreeMap<Key, (usize, BTreeMap<u64, String>)> = BTreeMap::new();
    for s in sent.as_array().expect("sent is a list") {
        let to = s["to"].as_str().unwrap_or_default().to_owned();
        let text = s["text"].as_str().unwrap_or_default().to_owned();
        let texts = out.entry(to.clone()).or_default();
        match s["concat"].as_object() {
            None => texts.push(text),
            Some(c) => {
                let key = (
                    to,
                    c["reference"].as_u64().unwrap_or_default(),
                    c["total"].as_u64().unwrap_or_default(),
                );
                let seq = c["sequence"].as_u64().unwrap_or_default();
                match open.get_mut(&key) {
                    Some((slot, parts)) if !parts.contains_key(&seq) => {
                        parts.insert(seq, text);
                        texts[*slot] = parts.values().cloned().collect();
                    }
                    _ => {
                        texts.push(text.clone());
                        open.insert(key, (texts.len() - 1, BTreeMap::from([(seq, text)])));
                    }
                }
            }
        }
    }
    out
}

/// A simulator process's state through `smsgate sim state --link PATH`, or None while it does
/// not answer yet.
pub fn sim_state(link: &std::path::Path) -> Option<Value> {
    let out = smsgate()
        .args(["sim", "state", "--link"])
        .arg(link)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    serde_json::from_slice(&out.stdout).ok()
}

/// A loopback port that was free a moment ago (for a config or a child that needs a fixed one).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("a free loopback port")
        .local_addr()
        .expect("its address")
        .port()
}
