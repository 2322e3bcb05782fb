//! `smsgate modem scan` as a process: a simulator on one pseudo-terminal
//! answers, a pseudo-terminal nobody reads stays silent; the printed
//! snippet names the first and reports the second as not answering.

// A test unwraps its own fixtures; the lints guard the service's code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use smsgate::sim::pty::Pty;
use smsgate::sim::{Profile, SimConfig, Simulator};

/// Runs the binary off the runtime's threads (it takes a probe's timeout
/// per silent port) and returns (success, stdout, stderr).
async fn scan(args: Vec<String>) -> (bool, String, String) {
    let out = tokio::task::spawn_blocking(move || {
        common::smsgate()
            .args(["modem", "scan"])
            .args(args)
            .output()
            .expect("run smsgate")
    })
    .await
    .expect("join");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_the_answering_port_and_reports_the_silent_one() {
    let dir = common::temp_dir("modem-scan");
    let mut cfg = SimConfig::new(dir.join("modem"));
    cfg.profile = Profile::by_name("simcom").expect("simcom profile");
    let sim = Simulator::spawn(cfg).await.expect("simulator");
    // A pty whose master nobody reads: the port opens and never answers.
    let silent_link = dir.join("silent");
    let _silent = Pty::create(&silent_link).expect("silent pty");
    let modem = sim.link().display().to_string();
    let silent = silent_link.display().to_string();

    // The simulator through a pattern (which also matches its control
    // socket, not a tty, so not probed), the silent one through --port.
    // Each command may take 5 s: far more than the simulator needs on a
    // loaded machine; the silent port costs a few of them.
    let (ok, out, err) = scan(vec![
        "--only".into(),
        "--timeout-ms".into(),
        "5000".into(),
        format!("{}/mod*", dir.display()),
        "--port".into(),
        silent.clone(),
    ])
    .await;
    assert!(ok, "{out}{err}");
    assert_eq!(err, "");
    // The output is a config fragment as it stands.
    let doc: toml::Table = toml::from_str(&out).unwrap_or_else(|e| panic!("{e}\n{out}"));
    let modems = doc["modems"].as_array().expect("[[modems]]");
    assert_eq!(modems.len(), 1, "{out}");
    assert_eq!(modems[0]["name"].as_str(), Some("modem1"));
    assert_eq!(modems[0]["device"].as_str(), Some(modem.as_str()));
    assert_eq!(modems[0]["model"].as_str(), Some("simcom"));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "# smsgate modem scan: 2 ports probed, 1 answered."
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with(&format!("# {modem} (-> /dev/pts/"))
                && l.contains("answered AT: SIMCOM")),
        "{out}"
    );
    let silent_line = lines
        .iter()
        .find(|l| l.starts_with(&format!("# {silent} ")))
        .unwrap_or_else(|| panic!("no line for {silent}:\n{out}"));
    assert!(silent_line.contains("not answering"), "{silent_line}");

    // Nothing answering, and a path that does not exist: exit status 1,
    // one line on stderr, the reasons on stdout.
    let missing = dir.join("missing").display().to_string();
    let (ok, out, err) = scan(vec![
        "--only".into(),
        "--timeout-ms".into(),
        "5000".into(),
        silent.clone(),
        missing.clone(),
    ])
    .await;
    assert!(!ok);
    assert_eq!(err, "error: no modem answered\n");
    assert!(
        out.starts_with("# smsgate modem scan: 2 ports probed, none answered.\n"),
        "{out}"
    );
    assert!(!out.contains("[[modems]]"), "{out}");
    assert!(out.contains(&format!("# {silent} (-> /dev/pts/")), "{out}");
    assert!(
        out.contains(&format!(
            "# {missing}: not usable (cannot open {missing}: no such device)"
        )),
        "{out}"
    );
    sim.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}
