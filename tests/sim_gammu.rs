//! An established tool talks to the simulator: the gammu command line
//! (Debian package `gammu`) identifies the modem and sends through it.
//! Skipped, with a note, when the `gammu` binary is not installed.

// A test unwraps its own fixtures; the lints guard the service's code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use smsgate::sim::{SimConfig, Simulator};
use tokio::process::Command;

/// Only to keep a broken run from hanging forever.
const PATIENCE: Duration = Duration::from_secs(120);

fn gammu_installed() -> bool {
    match std::process::Command::new("gammu")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
    {
        Ok(_) => true,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(e) => panic!("cannot run gammu: {e}"),
    }
}

async fn gammu(rc: &Path, args: &[&str]) -> (bool, String) {
    let child = Command::new("gammu")
        .arg("-c")
        .arg(rc)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn gammu");
    let out = tokio::time::timeout(PATIENCE, child.wait_with_output())
        .await
        .expect("gammu finishes")
        .expect("gammu output");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gammu_identifies_and_sends() {
    if !gammu_installed() {
        // CI installs gammu (.ci/run); there a missing binary is a failure.
        assert!(
            std::env::var_os("CI").is_none(),
            "gammu is not installed but CI is set: .ci/run should have installed it"
        );
        eprintln!(
            "note: skipping gammu_identifies_and_sends: `gammu` is not installed (apt-get install gammu)"
        );
        return;
    }
    for profile in smsgate::sim::profile::ALL {
        identify_and_send(profile).await;
    }
}

async fn identify_and_send(profile: &'static smsgate::sim::profile::Profile) {
    let name = profile.name;
    let dir = std::env::temp_dir().join(format!("smsgate-sim-gammu-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let link = dir.join("modem");
    let mut cfg = SimConfig::new(&link);
    cfg.profile = profile;
    let sim = Simulator::spawn(cfg).await.expect("spawn");
    let rc = dir.join("gammurc");
    let log = dir.join("gammu.log");
    std::fs::write(
        &rc,
        format!(
            "[gammu]\ndevice = {}\nconnection = at115200\nlogformat = textall\nlogfile = {}\n",
            link.display(),
            log.display()
        ),
    )
    .expect("write gammurc");

    let (ok, out) = gammu(&rc, &["identify"]).await;
    assert!(ok, "{name}: gammu identify failed:\n{out}");
    assert!(out.contains(profile.model), "{name}: model missing:\n{out}");
    assert!(out.contains(profile.imei), "{name}: IMEI missing:\n{out}");
    assert!(out.contains(profile.imsi), "{name}: IMSI missing:\n{out}");

    let (ok, out) = gammu(&rc, &["sendsms", "TEXT", "+819012345678", "-text", "hello"]).await;
    assert!(ok, "{name}: gammu sendsms failed:\n{out}");

    let state = sim.request_json(r#"{"cmd":"state"}"#).await;
    let sent = state["sent"].as_array().expect("sent list");
    assert_eq!(sent.len(), 1, "{name}: {state}");
    assert_eq!(sent[0]["to"], "+819012345678");
    assert_eq!(sent[0]["text"], "hello");
    sim.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}
