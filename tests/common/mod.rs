//! Helpers shared by the integration tests (each test crate uses a subset).
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use jiff::Timestamp;

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
