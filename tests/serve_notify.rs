//! `smsgate serve` as systemd runs it with `Type=notify`: READY once it
//! serves, WATCHDOG pings, STOPPING on SIGTERM, then a clean exit.

// A test unwraps its own fixtures; the lints guard the service's code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::os::unix::net::UnixDatagram;
use std::process::{Command, Stdio};
use std::time::Duration;

fn next(sock: &UnixDatagram) -> String {
    let mut buf = [0u8; 256];
    let n = sock
        .recv(&mut buf)
        .expect("a notification before the socket timeout");
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

#[test]
fn ready_watchdog_and_stopping_reach_systemd() {
    let dir = common::temp_dir("notify");
    let sock_path = dir.join("notify.sock");
    let sock = UnixDatagram::bind(&sock_path).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let cfg = dir.join("smsgate.toml");
    std::fs::write(
        &cfg,
        format!(
            "[http]\nlisten = \"127.0.0.1:0\"\n[storage]\npath = \"{}\"\n",
            dir.join("smsgate.db").display()
        ),
    )
    .unwrap();
    let mut child = common::smsgate()
        .args(["serve", "--simulate", "--config"])
        .arg(&cfg)
        .env("NOTIFY_SOCKET", &sock_path)
        .env("WATCHDOG_USEC", "200000")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    assert_eq!(next(&sock), "READY=1");
    assert_eq!(next(&sock), "WATCHDOG=1");
    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let mut rest = next(&sock);
    while rest == "WATCHDOG=1" {
        rest = next(&sock);
    }
    assert_eq!(rest, "STOPPING=1");
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
}
