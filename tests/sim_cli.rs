//! `smsgate sim` as a process, controlled with `smsgate sim ctl|deliver|state`.

// A test unwraps its own fixtures; the lints guard the service's code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;

/// Only to keep a broken test from hanging; nothing is asserted about how long things take.
const PATIENCE: Duration = Duration::from_secs(60);

fn ctl(args: &[&str]) -> (bool, Value) {
    let out = common::smsgate().args(args).output().expect("run smsgate");
    let v = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.success(), v)
}

struct Kill(std::process::Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `smsgate sim --link <temp>/modem ARGS`: the directory, link, control socket and the child.
fn spawn_sim(name: &str, args: &[&str]) -> (PathBuf, PathBuf, PathBuf, Kill) {
    let dir = common::temp_dir(name);
    let link = dir.join("modem");
    let control = dir.join("modem.ctl");
    let child = Kill(
        common::smsgate()
            .args(["sim", "--link"])
            .arg(&link)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn smsgate sim"),
    );
    (dir, link, control, child)
}

#[test]
fn sim_subcommand_runs_and_answers_control_requests() {
    let (dir, link, control, child) = spawn_sim(
        "sim-cli",
        &["--profile", "huawei", "--capacity", "5", "--no-echo"],
    );
    let c = control.to_str().expect("utf-8 path");

    let l = link.to_str().expect("utf-8 path");
    let (ok, v) = wait_for_state(l);
    assert!(ok, "{v}");
    assert_eq!(v["profile"], "huawei");
    assert_eq!(v["capacity"], 5);
    assert_eq!(v["settings"]["echo"], false);

    let (ok, v) = ctl(&[
        "sim",
        "deliver",
        "--control",
        c,
        "--from",
        "+15551234567",
        "hi there",
    ]);
    assert!(ok, "{v}");
    assert_eq!(v["parts"], 1);

    let (ok, v) = ctl(&["sim", "ctl", "--control", c, r#"{"cmd":"state"}"#]);
    assert!(ok);
    assert_eq!(v["storage"][0]["text"], "hi there");
    assert_eq!(v["storage"][0]["from"], "+15551234567");

    let (ok, v) = ctl(&["sim", "ctl", "--control", c, r#"{"cmd":"nonsense"}"#]);
    assert!(!ok);
    assert!(v["error"].is_string(), "{v}");

    let out = common::smsgate()
        .args(["sim", "--link"])
        .arg(dir.join("other"))
        .args(["--profile", "nokia"])
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown profile"));
    drop(child);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sim_memory_sizes_from_the_command_line() {
    let (dir, link, control, child) = spawn_sim(
        "sim-cli-mem",
        &[
            "--profile",
            "quectel",
            "--capacity",
            "4",
            "--me-capacity",
            "7",
            "--sr-capacity",
            "3",
        ],
    );
    let _ = wait_for_state(link.to_str().expect("utf-8 path"));
    let c = control.to_str().expect("utf-8 path");

    let (ok, v) = ctl(&["sim", "state", "--control", c]);
    assert!(ok, "{v}");
    let caps: Vec<&Value> = ["SM", "ME", "SR"]
        .iter()
        .map(|m| &v["memories"][m]["capacity"])
        .collect();
    assert_eq!(caps, [4, 7, 3]);
    assert_eq!(v["capacity"], 4);
    assert_eq!(v["settings"]["cpms"], serde_json::json!(["SM", "SM", "SM"]));

    let (ok, v) = ctl(&[
        "sim",
        "ctl",
        "--control",
        c,
        r#"{"cmd":"sim_full","mem":"SR"}"#,
    ]);
    assert!(ok, "{v}");
    assert_eq!(v["filled"], 3);
    let (ok, v) = ctl(&[
        "sim",
        "ctl",
        "--control",
        c,
        r#"{"cmd":"sim_full","mem":"BM"}"#,
    ]);
    assert!(!ok);
    assert!(v["error"].is_string(), "{v}");
    drop(child);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `smsgate sim state --link LINK` once the simulator answers it. The socket file can exist a
/// moment before the simulator listens on it, so the answer, not the file, is waited for.
fn wait_for_state(link: &str) -> (bool, Value) {
    let start = Instant::now();
    loop {
        let (ok, v) = ctl(&["sim", "state", "--link", link]);
        if ok || start.elapsed() >= PATIENCE {
            return (ok, v);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
