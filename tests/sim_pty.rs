//! The simulator over a real pty: a host opens the link like a serial port.

// A test unwraps its own fixtures; the lints guard the service's code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;
use smsgate::modem::port::{self, FlowControl, Port};
use smsgate::sim::{SimConfig, Simulator, control};
use smsgate::sms::address::Address;
use smsgate::sms::dcs::{Alphabet, Dcs};
use smsgate::sms::pdumode::{self, Pdu};
use smsgate::sms::tpdu::{Submit, Tpdu};
use smsgate::sms::userdata::UserData;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Only to keep a broken test from hanging forever; nothing is asserted about how long things
/// take.
const PATIENCE: Duration = Duration::from_secs(60);

/// Sends `AT` until the modem answers `OK` (input is ignored while it boots or hangs, so an
/// `AT` may go unanswered), for up to [`PATIENCE`]. Each try waits half a second before the
/// next `AT`; a late answer to an earlier try is just as good.
async fn poll_at_until_ok(host: &mut Host) -> bool {
    let start = std::time::Instant::now();
    while start.elapsed() < PATIENCE {
        host.send("AT\r").await;
        if tokio::time::timeout(Duration::from_millis(500), host.until("OK\r\n"))
            .await
            .is_ok()
        {
            return true;
        }
    }
    false
}

fn temp_link(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("smsgate-sim-test-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join("modem")
}

/// Opens the link with the driver's own port code, as the modem actor does.
async fn open(path: &Path) -> Port {
    port::open(&path.to_string_lossy(), 115_200, FlowControl::None)
        .await
        .expect("open the link")
}

/// A host end that reads until a pattern shows up.
struct Host {
    port: Port,
    acc: String,
}

impl Host {
    fn new(port: Port) -> Host {
        Host {
            port,
            acc: String::new(),
        }
    }

    async fn send(&mut self, s: &str) {
        self.port.write_all(s.as_bytes()).await.expect("write");
    }

    /// Everything up to and including `pat`.
    async fn until(&mut self, pat: &str) -> String {
        let fut = async {
            let mut buf = [0u8; 512];
            loop {
                if let Some(i) = self.acc.find(pat) {
                    let rest = self.acc.split_off(i + pat.len());
                    return std::mem::replace(&mut self.acc, rest);
                }
                let n = self.port.read(&mut buf).await.expect("read");
                assert!(n > 0, "EOF while waiting for {pat:?}; got {:?}", self.acc);
                self.acc.push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        };
        match tokio::time::timeout(PATIENCE, fut).await {
            Ok(s) => s,
            Err(_) => panic!("no {pat:?}; got {:?}", self.acc),
        }
    }

    async fn command(&mut self, line: &str) -> String {
        self.send(&format!("{line}\r")).await;
        self.until_final().await
    }

    async fn until_final(&mut self) -> String {
        let fut = async {
            let mut buf = [0u8; 512];
            loop {
                for fin in ["\r\nOK\r\n", "\r\nERROR\r\n"] {
                    if let Some(i) = self.acc.find(fin) {
                        let rest = self.acc.split_off(i + fin.len());
                        return std::mem::replace(&mut self.acc, rest);
                    }
                }
                if let Some(i) = self.acc.find(" ERROR: ")
                    && let Some(j) = self.acc[i..].find("\r\n")
                {
                    let rest = self.acc.split_off(i + j + 2);
                    return std::mem::replace(&mut self.acc, rest);
                }
                let n = self.port.read(&mut buf).await.expect("read");
                assert!(n > 0, "EOF; got {:?}", self.acc);
                self.acc.push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        };
        match tokio::time::timeout(PATIENCE, fut).await {
            Ok(s) => s,
            Err(_) => panic!("no final result; got {:?}", self.acc),
        }
    }
}

fn submit_hex(to: &str, text: &str) -> (usize, String) {
    let s = Submit {
        rd: false,
        srr: true,
        rp: false,
        mr: 0,
        da: Address::parse_number(to).expect("number"),
        pid: 0,
        dcs: Dcs::new(Alphabet::Gsm7, None),
        vp: None,
        ud: UserData::gsm7(text).expect("gsm7"),
    };
    let mut tpdu = Vec::new();
    s.encode(&mut tpdu).expect("encode");
    let pdu = Pdu { smsc: None, tpdu };
    (pdu.tpdu_len(), pdu.to_hex())
}

async fn ctl(path: &Path, line: &str) -> Value {
    let resp = tokio::time::timeout(PATIENCE, control::request(path, line))
        .await
        .expect("control answers")
        .expect("control socket");
    serde_json::from_str(&resp).expect("json response")
}

#[tokio::test]
async fn at_send_receive_and_unplug_over_a_pty() {
    let link = temp_link("main");
    let sim = Simulator::spawn(SimConfig::new(&link))
        .await
        .expect("spawn");
    assert_eq!(sim.link(), link);
    let mut host = Host::new(open(&link).await);

    // Echo is on by default.
    assert_eq!(host.command("AT").await, "AT\r\r\nOK\r\n");
    assert_eq!(host.command("ATE0").await, "ATE0\r\r\nOK\r\n");
    assert_eq!(host.command("AT+CMEE=1").await, "\r\nOK\r\n");
    assert_eq!(host.command("AT+CNMI=2,1,0,2,0").await, "\r\nOK\r\n");

    // Send.
    let (len, hex) = submit_hex("+819012345678", "hello from the host");
    host.send(&format!("AT+CMGS={len}\r")).await;
    assert_eq!(host.until("> ").await, "\r\n> ");
    host.send(&format!("{hex}\x1a")).await;
    assert_eq!(host.until_final().await, "\r\n+CMGS: 0\r\n\r\nOK\r\n");
    // TP-SRR was set: the report comes as +CDSI.
    let urc = host.until("\r\n+CDSI: \"SM\",1\r\n").await;
    assert_eq!(urc, "\r\n+CDSI: \"SM\",1\r\n");

    let state = sim.request_json(r#"{"cmd":"state"}"#).await;
    assert_eq!(state["ok"], true);
    assert_eq!(state["sent"][0]["to"], "+819012345678");
    assert_eq!(state["sent"][0]["text"], "hello from the host");
    assert_eq!(state["sent"][0]["mr"], 0);

    // Receive, through the control socket.
    let ctl_path = sim.control_path().to_path_buf();
    let resp = ctl(
        &ctl_path,
        r#"{"cmd":"deliver","from":"+819098765432","text":"こんにちは"}"#,
    )
    .await;
    assert_eq!(resp["ok"], true, "{resp}");
    assert_eq!(resp["parts"], 1);
    assert_eq!(
        host.until("\r\n+CMTI: \"SM\",2\r\n").await,
        "\r\n+CMTI: \"SM\",2\r\n"
    );
    let out = host.command("AT+CMGR=2").await;
    let lines: Vec<&str> = out.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert!(lines[0].starts_with("+CMGR: 0,,"), "{out:?}");
    let (smsc, tpdu) = pdumode::decode_hex(lines[1], true).expect("decodes");
    assert!(smsc.is_some());
    let Tpdu::Deliver(d) = tpdu else {
        panic!("not a deliver: {tpdu:?}")
    };
    assert_eq!(d.oa.to_string(), "+819098765432");
    assert_eq!(d.ud.text().as_deref(), Some("こんにちは"));
    assert_eq!(lines[2], "OK");

    // Bad JSON gets an error object, and the socket stays usable.
    let resp = ctl(&ctl_path, "{not json").await;
    assert!(resp["error"].is_string(), "{resp}");

    // Unplug: the host sees EOF or an error; the link comes back.
    let resp = ctl(&ctl_path, r#"{"cmd":"unplug","seconds":1}"#).await;
    assert_eq!(resp["ok"], true, "{resp}");
    let gone = tokio::time::timeout(PATIENCE, async {
        let mut buf = [0u8; 64];
        loop {
            match host.port.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(gone.is_ok(), "the host never noticed the unplug");
    drop(host);

    let mut host = reopen(&link).await;
    // After the re-plug the modem has rebooted: echo is on again. Poll with
    // AT until it answers (input is ignored while it boots).
    assert!(poll_at_until_ok(&mut host).await, "no OK after the re-plug");
    // Storage survived (it is on the SIM).
    // (Late answers to the polling ATs may still be queued: look for the
    // reply itself rather than the next final result.)
    host.send("AT+CPMS?\r").await;
    host.until("+CPMS: \"SM\",2,30,").await;

    sim.shutdown().await;
    assert!(
        std::fs::symlink_metadata(&link).is_err(),
        "link removed on shutdown"
    );
    cleanup(&link);
}

fn cleanup(link: &Path) {
    if let Some(dir) = link.parent() {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// Waits for the link to point at a pty that opens.
async fn reopen(link: &Path) -> Host {
    let start = std::time::Instant::now();
    loop {
        if let Ok(port) = port::open(&link.to_string_lossy(), 115_200, FlowControl::None).await {
            return Host::new(port);
        }
        assert!(start.elapsed() < PATIENCE, "the link never came back");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn faults_over_a_pty() {
    let link = temp_link("faults");
    let mut cfg = SimConfig::new(&link);
    cfg.echo = false;
    cfg.profile = smsgate::sim::profile::Profile::by_name("quectel").expect("profile");
    let sim = Simulator::spawn(cfg).await.expect("spawn");
    let mut host = Host::new(open(&link).await);
    assert_eq!(host.command("AT").await, "\r\nOK\r\n");

    // +CMS ERROR for the next send only.
    let r = sim
        .request_json(r#"{"cmd":"fault","kind":"cms_error","code":500,"count":1}"#)
        .await;
    assert_eq!(r["ok"], true);
    let (len, hex) = submit_hex("+15551234567", "x");
    host.send(&format!("AT+CMGS={len}\r")).await;
    host.until("> ").await;
    host.send(&format!("{hex}\x1a")).await;
    assert_eq!(host.until_final().await, "\r\n+CMS ERROR: 500\r\n");

    // No network: 331.
    let r = sim
        .request_json(r#"{"cmd":"network","registered":false}"#)
        .await;
    assert_eq!(r["stat"], 2);
    assert_eq!(
        host.command("AT+CREG?").await,
        "\r\n+CREG: 0,2\r\n\r\nOK\r\n"
    );
    host.send(&format!("AT+CMGS={len}\r")).await;
    host.until("> ").await;
    host.send(&format!("{hex}\x1a")).await;
    assert_eq!(host.until_final().await, "\r\n+CMS ERROR: 331\r\n");
    sim.request_json(r#"{"cmd":"network","registered":true}"#)
        .await;

    // Garbage arrives as sent.
    let r = sim
        .request_json(r#"{"cmd":"fault","kind":"garbage","bytes":"~@!noise"}"#)
        .await;
    assert_eq!(r["bytes"], 8);
    assert_eq!(host.until("~@!noise").await, "~@!noise");

    // Reboot: the Quectel boot URCs.
    sim.request_json(r#"{"cmd":"reboot"}"#).await;
    let urcs = host.until("+QIND: PB DONE\r\n").await;
    assert_eq!(
        urcs,
        "\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n\r\n+QIND: SMS DONE\r\n\r\n+QIND: PB DONE\r\n"
    );

    // Hang: an AT sent during the hang is dropped unanswered; after the hang
    // the modem answers again. The hang lasts an hour, so the AT certainly
    // arrives inside it however slow the machine; once the simulator counted
    // it as dropped, a new hang of 0 s replaces the first (the simulator ends
    // a hang at the end of the latest one) and so ends it.
    sim.request_json(r#"{"cmd":"fault","kind":"hang","seconds":3600}"#)
        .await;
    host.send("AT\r").await;
    let start = std::time::Instant::now();
    loop {
        let state = sim.request_json(r#"{"cmd":"state"}"#).await;
        if state["counters"]["dropped_input_bytes"].as_u64() >= Some(3) {
            break;
        }
        assert!(
            start.elapsed() < PATIENCE,
            "input during the hang was not dropped"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        sim.request_json(r#"{"cmd":"state"}"#).await["hung"],
        true,
        "the hang ended before the test ended it"
    );
    sim.request_json(r#"{"cmd":"fault","kind":"hang","seconds":0}"#)
        .await;
    assert!(
        poll_at_until_ok(&mut host).await,
        "no answer after the hang"
    );
    assert!(!host.acc.contains("ERROR"));
    sim.shutdown().await;
    cleanup(&link);
}

#[tokio::test]
async fn paced_output_at_a_baud_rate_arrives_intact() {
    let link = temp_link("paced");
    let mut cfg = SimConfig::new(&link);
    cfg.baud = Some(2400);
    cfg.profile = smsgate::sim::profile::Profile::by_name("simcom").expect("profile");
    let sim = Simulator::spawn(cfg).await.expect("spawn");
    let mut host = Host::new(open(&link).await);
    assert_eq!(
        host.command("AT+CGMI;+CGMM").await,
        "AT+CGMI;+CGMM\r\r\nSIMCOM INCORPORATED\r\n\r\nSIMCOM_SIM7600E-H\r\n\r\nOK\r\n"
    );
    sim.shutdown().await;
    cleanup(&link);
}

/// Quectel keeps status reports in their own memory, "SR": the index in
/// `+CDSI: "SR",<i>` means nothing to `AT+CMGR` until `AT+CPMS` selects
/// "SR" for reading, and a report that finds "SR" full is lost.
#[tokio::test]
async fn quectel_status_reports_live_in_sr_over_a_pty() {
    let link = temp_link("sr");
    let mut cfg = SimConfig::new(&link);
    cfg.echo = false;
    cfg.profile = smsgate::sim::profile::Profile::by_name("quectel").expect("profile");
    cfg.sr_capacity = Some(1);
    let sim = Simulator::spawn(cfg).await.expect("spawn");
    let mut host = Host::new(open(&link).await);
    assert_eq!(
        host.command("AT+CPMS=?").await,
        "\r\n+CPMS: (\"SM\",\"ME\",\"SR\"),(\"SM\",\"ME\"),(\"SM\",\"ME\")\r\n\r\nOK\r\n"
    );
    assert_eq!(host.command("AT+CNMI=2,1,0,2,0").await, "\r\nOK\r\n");

    let (len, hex) = submit_hex("+819012345678", "report this");
    host.send(&format!("AT+CMGS={len}\r")).await;
    host.until("> ").await;
    host.send(&format!("{hex}\x1a")).await;
    assert_eq!(host.until_final().await, "\r\n+CMGS: 0\r\n\r\nOK\r\n");
    assert_eq!(
        host.until("\r\n+CDSI: \"SR\",1\r\n").await,
        "\r\n+CDSI: \"SR\",1\r\n"
    );

    // <mem1> is "SM": the report is not there.
    assert_eq!(host.command("AT+CMGR=1").await, "\r\nOK\r\n");
    assert_eq!(
        host.command("AT+CPMS?").await,
        "\r\n+CPMS: \"SM\",0,30,\"SM\",0,30,\"SM\",0,30\r\n\r\nOK\r\n"
    );
    assert_eq!(
        host.command("AT+CPMS=\"SR\"").await,
        "\r\n+CPMS: 1,1,0,30,0,30\r\n\r\nOK\r\n"
    );
    let out = host.command("AT+CMGR=1").await;
    let lines: Vec<&str> = out.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert!(lines[0].starts_with("+CMGR: 0,,"), "{out:?}");
    let (_, tpdu) = pdumode::decode_hex(lines[1], true).expect("decodes");
    let Tpdu::StatusReport(r) = tpdu else {
        panic!("not a status report: {tpdu:?}")
    };
    assert_eq!(r.mr, 0);
    assert_eq!(r.ra.to_string(), "+819012345678");

    // "SR" is full (one slot): the next report is dropped, not held.
    let (len, hex) = submit_hex("+819012345678", "and this");
    host.send(&format!("AT+CMGS={len}\r")).await;
    host.until("> ").await;
    host.send(&format!("{hex}\x1a")).await;
    assert_eq!(host.until_final().await, "\r\n+CMGS: 1\r\n\r\nOK\r\n");
    let start = std::time::Instant::now();
    let state = loop {
        let state = sim.request_json(r#"{"cmd":"state"}"#).await;
        if state["counters"]["status_reports"].as_u64() >= Some(2) {
            break state;
        }
        assert!(start.elapsed() < PATIENCE, "the second report never came");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(state["counters"]["dropped_status_reports"], 1, "{state}");
    assert_eq!(state["waiting"], 0);
    assert_eq!(state["memories"]["SR"]["used"], 1);
    assert_eq!(
        state["settings"]["cpms"],
        serde_json::json!(["SR", "SM", "SM"])
    );
    // No +CDSI came before this answer.
    assert_eq!(host.command("AT").await, "\r\nOK\r\n");

    sim.shutdown().await;
    cleanup(&link);
}
