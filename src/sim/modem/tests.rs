//! Table-driven tests of the AT state machine, without a pty.

use std::time::Duration;

use serde_json::json;

use super::line::MAX_LINE;
use super::*;
use crate::sim::profile::{GENERIC, HUAWEI, Profile, SIMCOM};
use crate::sms::address::Address;
use crate::sms::dcs::{Alphabet, Dcs};
use crate::sms::pdumode::{self, Pdu};
use crate::sms::tpdu::{Submit, Tpdu};
use crate::sms::userdata::UserData;

fn fixed_clock() -> Timestamp {
    Timestamp {
        year: 2026,
        month: 11,
        day: 23,
        hour: 21,
        minute: 0,
        second: 0,
        tz_quarters: 36,
    }
}

fn config(profile: &'static Profile) -> ModemConfig {
    let mut c = ModemConfig::new(profile);
    c.echo = false;
    c.clock = fixed_clock;
    c
}

fn modem() -> Modem {
    Modem::new(config(&GENERIC))
}

/// Collects what the effects write, firing the timers a test would wait for
/// at once (sends, status reports, boot); hangs and periodic URCs stay
/// pending and are returned.
fn drive(m: &mut Modem, fx: Vec<Effect>) -> (String, Vec<Timer>) {
    let mut out = Vec::new();
    let mut pending = Vec::new();
    let mut queue: VecDeque<Effect> = fx.into();
    while let Some(e) = queue.pop_front() {
        match e {
            Effect::Write(b) => out.extend(b),
            Effect::Schedule(_, t @ (Timer::HangEnd { .. } | Timer::Periodic { .. })) => {
                pending.push(t)
            }
            Effect::Schedule(_, t) => queue.extend(m.fire(t)),
        }
    }
    (String::from_utf8_lossy(&out).into_owned(), pending)
}

/// Feeds `input` and returns everything written.
fn io(m: &mut Modem, input: &str) -> String {
    let fx = m.feed(input.as_bytes());
    drive(m, fx).0
}

/// Runs `AT...` command lines, asserting each gives OK.
fn setup(m: &mut Modem, lines: &[&str]) {
    for l in lines {
        let out = io(m, &format!("{l}\r"));
        assert!(out.ends_with("\r\nOK\r\n"), "{l}: {out:?}");
    }
}

fn info(lines: &[&str]) -> String {
    let mut s = String::new();
    for l in lines {
        s.push_str(&format!("\r\n{l}\r\n"));
    }
    s.push_str("\r\nOK\r\n");
    s
}

fn submit_pdu(to: &str, text: &str, srr: bool) -> (usize, String) {
    let s = Submit {
        rd: false,
        srr,
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

/// Sends one message through AT+CMGS and returns the final output.
fn send(m: &mut Modem, to: &str, text: &str, srr: bool) -> String {
    let (len, hex) = submit_pdu(to, text, srr);
    assert_eq!(io(m, &format!("AT+CMGS={len}\r")), "\r\n> ");
    io(m, &format!("{hex}\x1a"))
}

/// The PDU line after a `+CMGR:`/`+CMT:`/`+CDS:` header.
fn pdu_after(out: &str, header: &str) -> String {
    let start = out.find(header).expect(header);
    out[start..]
        .split("\r\n")
        .nth(1)
        .expect("pdu line")
        .to_string()
}

#[test]
fn commands() {
    // (name, set-up lines, command line, exact output)
    let cases: &[(&str, &[&str], &str, String)] = &[
        ("at", &[], "AT", info(&[])),
        ("lower case", &[], "at", info(&[])),
        ("cgmi", &[], "AT+CGMI", info(&["smsgate"])),
        ("cgmm", &[], "AT+CGMM", info(&["SIM-1"])),
        ("cgmr", &[], "AT+CGMR", info(&["smsgate-sim 1.0"])),
        ("cgsn", &[], "AT+CGSN", info(&["490154203237518"])),
        ("gsn", &[], "AT+GSN", info(&["490154203237518"])),
        ("cimi", &[], "AT+CIMI", info(&["001010123456789"])),
        (
            "ccid",
            &[],
            "AT+CCID",
            info(&["+CCID: 89860000000000000001"]),
        ),
        (
            "qccid",
            &[],
            "AT+QCCID",
            info(&["+QCCID: 89860000000000000001"]),
        ),
        (
            "iccid",
            &[],
            "AT+ICCID",
            info(&["+ICCID: 89860000000000000001"]),
        ),
        (
            "two commands",
            &[],
            "AT+CGMI;+CGMM",
            info(&["smsgate", "SIM-1"]),
        ),
        ("basic commands chained", &[], "ATE0V1Q0", info(&[])),
        ("cpin ready", &[], "AT+CPIN?", info(&["+CPIN: READY"])),
        (
            "cpin when ready",
            &["AT+CMEE=1"],
            "AT+CPIN=\"1234\"",
            "\r\n+CME ERROR: 3\r\n".into(),
        ),
        ("cmee read", &["AT+CMEE=2"], "AT+CMEE?", info(&["+CMEE: 2"])),
        (
            "cmee out of range",
            &["AT+CMEE=1"],
            "AT+CMEE=7",
            "\r\n+CME ERROR: 50\r\n".into(),
        ),
        ("cmgf pdu", &[], "AT+CMGF=0", info(&[])),
        (
            "cmgf text refused",
            &[],
            "AT+CMGF=1",
            "\r\n+CMS ERROR: 303\r\n".into(),
        ),
        ("cmgf read", &[], "AT+CMGF?", info(&["+CMGF: 0"])),
        ("cmgf test", &[], "AT+CMGF=?", info(&["+CMGF: (0)"])),
        (
            "cpms read",
            &[],
            "AT+CPMS?",
            info(&["+CPMS: \"SM\",0,30,\"SM\",0,30,\"SM\",0,30"]),
        ),
        (
            "cpms set",
            &[],
            "AT+CPMS=\"SM\",\"SM\",\"SM\"",
            info(&["+CPMS: 0,30,0,30,0,30"]),
        ),
        (
            "cpms test",
            &[],
            "AT+CPMS=?",
            info(&["+CPMS: (\"SM\"),(\"SM\"),(\"SM\")"]),
        ),
        (
            "cpms me refused",
            &[],
            "AT+CPMS=\"ME\"",
            "\r\n+CMS ERROR: 302\r\n".into(),
        ),
        ("cnmi default", &[], "AT+CNMI?", info(&["+CNMI: 0,0,0,0,0"])),
        (
            "cnmi set",
            &["AT+CNMI=2,1,0,2,0"],
            "AT+CNMI?",
            info(&["+CNMI: 2,1,0,2,0"]),
        ),
        (
            "cnmi short",
            &["AT+CNMI=2,2"],
            "AT+CNMI?",
            info(&["+CNMI: 2,2,0,0,0"]),
        ),
        (
            "cnmi invalid",
            &[],
            "AT+CNMI=2,9",
            "\r\n+CMS ERROR: 303\r\n".into(),
        ),
        ("csms set", &[], "AT+CSMS=1", info(&["+CSMS: 1,1,1"])),
        (
            "csms read",
            &["AT+CSMS=1"],
            "AT+CSMS?",
            info(&["+CSMS: 1,1,1,1"]),
        ),
        (
            "cnma not expected",
            &[],
            "AT+CNMA",
            "\r\n+CMS ERROR: 340\r\n".into(),
        ),
        (
            "csca read",
            &[],
            "AT+CSCA?",
            info(&["+CSCA: \"+15550000000\",145"]),
        ),
        (
            "csca set",
            &["AT+CSCA=\"+4479\",145"],
            "AT+CSCA?",
            info(&["+CSCA: \"+4479\",145"]),
        ),
        ("creg read", &[], "AT+CREG?", info(&["+CREG: 0,1"])),
        (
            "creg 2",
            &["AT+CREG=2"],
            "AT+CREG?",
            info(&["+CREG: 2,1,\"00A1\",\"00012345\""]),
        ),
        ("cgreg read", &[], "AT+CGREG?", info(&["+CGREG: 0,1"])),
        (
            "cereg 2",
            &["AT+CEREG=2"],
            "AT+CEREG?",
            info(&["+CEREG: 2,1,\"00A1\",\"00012345\",7"]),
        ),
        ("csq", &[], "AT+CSQ", info(&["+CSQ: 20,99"])),
        (
            "cops",
            &[],
            "AT+COPS?",
            info(&["+COPS: 0,0,\"Test Network\",7"]),
        ),
        ("cfun read", &[], "AT+CFUN?", info(&["+CFUN: 1"])),
        (
            "cfun 0 deregisters",
            &["AT+CFUN=0"],
            "AT+CREG?",
            info(&["+CREG: 0,0"]),
        ),
        (
            "cfun 0 no signal",
            &["AT+CFUN=0"],
            "AT+CSQ",
            info(&["+CSQ: 99,99"]),
        ),
        ("cmgl empty", &[], "AT+CMGL=4", info(&[])),
        (
            "cmgl text stat refused",
            &[],
            "AT+CMGL=\"ALL\"",
            "\r\n+CMS ERROR: 302\r\n".into(),
        ),
        ("cmgr empty slot", &[], "AT+CMGR=1", info(&[])),
        (
            "cmgr index 0",
            &[],
            "AT+CMGR=0",
            "\r\n+CMS ERROR: 321\r\n".into(),
        ),
        (
            "cmgr past capacity",
            &[],
            "AT+CMGR=31",
            "\r\n+CMS ERROR: 321\r\n".into(),
        ),
        (
            "cmgd past capacity",
            &[],
            "AT+CMGD=31",
            "\r\n+CMS ERROR: 321\r\n".into(),
        ),
        ("cmgd all", &[], "AT+CMGD=1,4", info(&[])),
        ("cmgd test", &[], "AT+CMGD=?", info(&["+CMGD: (),(0-4)"])),
        (
            "cmgs length out of range",
            &[],
            "AT+CMGS=999",
            "\r\n+CMS ERROR: 304\r\n".into(),
        ),
        (
            "cms text form",
            &["AT+CMEE=2"],
            "AT+CMGR=0",
            "\r\n+CMS ERROR: invalid memory index\r\n".into(),
        ),
        ("unknown", &[], "AT+FOO", "\r\nERROR\r\n".into()),
        (
            "unknown with cmee",
            &["AT+CMEE=1"],
            "AT+FOO=?",
            "\r\nERROR\r\n".into(),
        ),
        ("unknown vendor", &[], "AT^CURC=0", "\r\nERROR\r\n".into()),
        (
            "vendor command of another profile",
            &[],
            "AT+QURCCFG=\"urcport\",\"usbat\"",
            "\r\nERROR\r\n".into(),
        ),
        ("esc abandons the line", &[], "AT+CGMI\x1b", String::new()),
        (
            "error stops the line",
            &[],
            "AT+FOO;+CGMI",
            "\r\nERROR\r\n".into(),
        ),
        ("non-ascii", &[], "AT\u{20ac}", "\r\nERROR\r\n".into()),
        ("noise ignored", &[], "hello", String::new()),
        ("empty line ignored", &[], "", String::new()),
        ("garbage before AT", &[], "\x7f~~AT", info(&[])),
        ("s register", &[], "ATS0=0", info(&[])),
    ];
    for (name, pre, line, want) in cases {
        let mut m = modem();
        setup(&mut m, pre);
        let got = io(&mut m, &format!("{line}\r"));
        assert_eq!(&got, want, "case {name:?}");
    }
}

#[test]
fn echo() {
    let mut c = config(&GENERIC);
    c.echo = true;
    let mut m = Modem::new(c);
    let cases = [
        ("echo on by default", "AT\r", "AT\r\r\nOK\r\n"),
        ("echo of ATE0 itself", "ATE0\r", "ATE0\r\r\nOK\r\n"),
        ("echo off", "AT\r", "\r\nOK\r\n"),
        ("echo back on", "ATE1\r", "\r\nOK\r\n"),
        (
            "echo on again",
            "AT+CSQ\r",
            "AT+CSQ\r\r\n+CSQ: 20,99\r\n\r\nOK\r\n",
        ),
        (
            "ATZ keeps the power-on echo",
            "ATE0;Z\r",
            "ATE0;Z\r\r\nOK\r\n",
        ),
        ("after ATZ", "AT\r", "AT\r\r\nOK\r\n"),
        ("backspace", "AX\x08T\r", "AX\x08T\r\r\nOK\r\n"),
    ];
    for (name, input, want) in cases {
        assert_eq!(io(&mut m, input), want, "case {name:?}");
    }
    // Byte by byte, as a terminal types.
    let mut got = String::new();
    for b in "AT\r".bytes() {
        got.push_str(&io_bytes(&mut m, &[b]));
    }
    assert_eq!(got, "AT\r\r\nOK\r\n");
}

fn io_bytes(m: &mut Modem, b: &[u8]) -> String {
    let fx = m.feed(b);
    drive(m, fx).0
}

#[test]
fn send_prompt_and_ctrl_z() {
    let mut m = modem();
    assert_eq!(
        send(&mut m, "+819012345678", "hello", false),
        info(&["+CMGS: 0"])
    );
    assert_eq!(
        send(&mut m, "+819012345678", "again", false),
        info(&["+CMGS: 1"])
    );
    let sent = m.sent();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].to, "+819012345678");
    assert_eq!(sent[0].text.as_deref(), Some("hello"));
    assert_eq!(sent[1].mr, 1);
}

#[test]
fn send_mr_wraps() {
    let mut m = modem();
    m.next_mr = 255;
    assert_eq!(
        send(&mut m, "+15551234567", "a", false),
        info(&["+CMGS: 255"])
    );
    assert_eq!(
        send(&mut m, "+15551234567", "b", false),
        info(&["+CMGS: 0"])
    );
}

#[test]
fn send_escape_cancels() {
    let mut m = modem();
    let (len, hex) = submit_pdu("+15551234567", "never", false);
    assert_eq!(io(&mut m, &format!("AT+CMGS={len}\r")), "\r\n> ");
    assert_eq!(io(&mut m, &format!("{hex}\x1b")), info(&[]));
    assert!(m.sent().is_empty());
    assert_eq!(io(&mut m, "AT\r"), info(&[]));
}

#[test]
fn send_bad_pdus() {
    let (len, hex) = submit_pdu("+15551234567", "x", false);
    let cases = [
        ("not hex", len, "ZZ".to_string()),
        ("odd length", len, format!("{hex}0")),
        ("length mismatch", len + 1, hex.clone()),
        (
            "deliver instead of submit",
            19,
            "0004".to_string() + &"00".repeat(18),
        ),
    ];
    for (name, len, pdu) in cases {
        let mut m = modem();
        assert_eq!(io(&mut m, &format!("AT+CMGS={len}\r")), "\r\n> ", "{name}");
        assert_eq!(
            io(&mut m, &format!("{pdu}\x1a")),
            "\r\n+CMS ERROR: 304\r\n",
            "case {name:?}"
        );
        assert!(m.sent().is_empty());
    }
}

#[test]
fn send_echoes_the_pdu_when_echo_is_on() {
    let mut c = config(&GENERIC);
    c.echo = true;
    let mut m = Modem::new(c);
    let (len, hex) = submit_pdu("+15551234567", "hi", false);
    assert_eq!(
        io(&mut m, &format!("AT+CMGS={len}\r")),
        format!("AT+CMGS={len}\r\r\n> ")
    );
    assert_eq!(
        io(&mut m, &format!("{hex}\x1a")),
        format!("{hex}\r\n+CMGS: 0\r\n\r\nOK\r\n")
    );
}

#[test]
fn send_waits_for_the_network_delay() {
    let mut c = config(&GENERIC);
    c.send_delay = Duration::from_secs(3);
    let mut m = Modem::new(c);
    let (len, hex) = submit_pdu("+15551234567", "slow", false);
    assert_eq!(io(&mut m, &format!("AT+CMGS={len}\r")), "\r\n> ");
    let fx = m.feed(format!("{hex}\x1a").as_bytes());
    assert_eq!(
        fx,
        vec![Effect::Schedule(
            Duration::from_secs(3),
            Timer::SendDone { epoch: 0 }
        )]
    );
    // Typed while the send is with the network: answered afterwards.
    assert!(m.feed(b"AT+CSQ\r").is_empty());
    let (out, _) = fire(&mut m, Timer::SendDone { epoch: 0 });
    assert_eq!(
        out,
        format!("{}{}", info(&["+CMGS: 0"]), info(&["+CSQ: 20,99"]))
    );
}

#[test]
fn send_cms_error_injection() {
    let mut m = modem();
    m.cms_errors(500, 2);
    assert_eq!(
        send(&mut m, "+15551234567", "1", false),
        "\r\n+CMS ERROR: 500\r\n"
    );
    assert_eq!(
        send(&mut m, "+15551234567", "2", false),
        "\r\n+CMS ERROR: 500\r\n"
    );
    assert_eq!(
        send(&mut m, "+15551234567", "3", false),
        info(&["+CMGS: 0"])
    );
    assert_eq!(m.sent().len(), 1);
    assert_eq!(m.state()["counters"]["send_errors"], 2);
}

#[test]
fn silent_send_never_answers() {
    for delivered in [true, false] {
        let mut m = modem();
        m.silent_send(Duration::from_secs(5), delivered);
        let (out, pending) = {
            let (len, hex) = submit_pdu("+15551234567", "lost?", false);
            assert_eq!(io(&mut m, &format!("AT+CMGS={len}\r")), "\r\n> ");
            let fx = m.feed(format!("{hex}\x1a").as_bytes());
            drive(&mut m, fx)
        };
        assert_eq!(out, "", "delivered={delivered}");
        assert_eq!(pending, vec![Timer::HangEnd { seq: 1 }]);
        assert_eq!(io(&mut m, "AT\r"), "");
        assert_eq!(fire(&mut m, Timer::HangEnd { seq: 1 }).0, "");
        assert_eq!(m.sent().len(), usize::from(delivered));
        // The next send works and takes the next mr.
        let want = if delivered { "+CMGS: 1" } else { "+CMGS: 0" };
        assert_eq!(send(&mut m, "+15551234567", "again", false), info(&[want]));
    }
}

#[test]
fn send_without_network() {
    let mut m = modem();
    setup(&mut m, &["AT+CREG=1"]);
    m.set_network(2, None);
    assert_eq!(flushed(&mut m).0, "\r\n+CREG: 2\r\n");
    assert_eq!(io(&mut m, "AT+CREG?\r"), info(&["+CREG: 1,2"]));
    assert_eq!(
        send(&mut m, "+15551234567", "x", false),
        "\r\n+CMS ERROR: 331\r\n"
    );
    m.set_network(1, None);
    assert_eq!(flushed(&mut m).0, "\r\n+CREG: 1\r\n");
    assert_eq!(
        send(&mut m, "+15551234567", "x", false),
        info(&["+CMGS: 0"])
    );
}

/// What control operations have produced so far.
fn flushed(m: &mut Modem) -> (String, Vec<Timer>) {
    let fx = m.take_effects();
    drive(m, fx)
}

fn fire(m: &mut Modem, t: Timer) -> (String, Vec<Timer>) {
    let fx = m.fire(t);
    drive(m, fx)
}

#[test]
fn status_report_per_cnmi_ds() {
    // ds=1: +CDS directly.
    let mut m = modem();
    setup(&mut m, &["AT+CNMI=2,1,0,1,0"]);
    let out = send(&mut m, "+819012345678", "report me", true);
    assert!(out.starts_with(&info(&["+CMGS: 0"])), "{out:?}");
    assert!(out.contains("\r\n+CDS: "), "{out:?}");
    let (_, t) = pdumode::decode_hex(&pdu_after(&out, "+CDS: "), true).expect("decodes");
    let Tpdu::StatusReport(r) = t else {
        panic!("not a status report: {t:?}")
    };
    assert_eq!(
        (r.mr, r.st.0, r.ra.to_string()),
        (0, 0, "+819012345678".into())
    );

    // ds=2: stored, +CDSI.
    let mut m = modem();
    setup(&mut m, &["AT+CNMI=2,1,0,2,0"]);
    let out = send(&mut m, "+819012345678", "report me", true);
    assert!(out.ends_with("\r\n+CDSI: \"SM\",1\r\n"), "{out:?}");
    let out = io(&mut m, "AT+CMGR=1\r");
    let (_, t) = pdumode::decode_hex(&pdu_after(&out, "+CMGR: "), true).expect("decodes");
    assert!(matches!(t, Tpdu::StatusReport(_)));

    // ds=0: not routed to the host.
    let mut m = modem();
    let out = send(&mut m, "+819012345678", "report me", true);
    assert_eq!(out, info(&["+CMGS: 0"]));

    // On command, with a given status.
    let mut m = modem();
    setup(&mut m, &["AT+CNMI=2,1,0,1,0"]);
    send(&mut m, "+819012345678", "x", false);
    m.status_report(0, 70, None).expect("report");
    let out = flushed(&mut m).0;
    let (_, t) = pdumode::decode_hex(&pdu_after(&out, "+CDS: "), true).expect("decodes");
    assert!(matches!(t, Tpdu::StatusReport(r) if r.st.0 == 70));
    assert!(m.status_report(9, 0, None).is_err());
}

#[test]
fn incoming_stored_then_read_listed_deleted() {
    let mut m = modem();
    setup(&mut m, &["AT+CNMI=2,1,0,2,0"]);
    assert_eq!(
        m.deliver_text("+819098765432", "Hello there", false, None),
        Ok(1)
    );
    assert_eq!(flushed(&mut m).0, "\r\n+CMTI: \"SM\",1\r\n");

    let out = io(&mut m, "AT+CMGR=1\r");
    assert!(out.starts_with("\r\n+CMGR: 0,,"), "{out:?}");
    assert!(out.ends_with("\r\n\r\nOK\r\n"));
    let (smsc, t) = pdumode::decode_hex(&pdu_after(&out, "+CMGR: "), true).expect("decodes");
    assert_eq!(smsc.map(|a| a.to_string()).as_deref(), Some("+15550000000"));
    let Tpdu::Deliver(d) = t else { panic!("{t:?}") };
    assert_eq!(d.oa.to_string(), "+819098765432");
    assert_eq!(d.ud.text().as_deref(), Some("Hello there"));
    assert_eq!(d.scts, fixed_clock());
    // Read now.
    assert!(io(&mut m, "AT+CMGR=1\r").starts_with("\r\n+CMGR: 1,,"));

    m.deliver_text("Shop", "Sale", false, None)
        .expect("deliver");
    assert_eq!(flushed(&mut m).0, "\r\n+CMTI: \"SM\",2\r\n");
    let out = io(&mut m, "AT+CMGL=0\r");
    assert!(out.starts_with("\r\n+CMGL: 2,0,,"), "{out:?}");
    assert_eq!(out.matches("+CMGL:").count(), 1);
    let out = io(&mut m, "AT+CMGL=4\r");
    assert_eq!(out.matches("+CMGL:").count(), 2, "{out:?}");
    // One block: header, PDU, header, PDU.
    assert_eq!(out.split("\r\n").filter(|l| !l.is_empty()).count(), 5);
    assert_eq!(io(&mut m, "AT+CMGD=?\r"), info(&["+CMGD: (1,2),(0-4)"]));
    setup(&mut m, &["AT+CMGD=1"]);
    assert_eq!(io(&mut m, "AT+CMGR=1\r"), info(&[]));
    setup(&mut m, &["AT+CMGD=1,4"]);
    assert_eq!(io(&mut m, "AT+CMGL=4\r"), info(&[]));
}

#[test]
fn incoming_multipart_and_ucs2() {
    let mut m = modem();
    setup(&mut m, &["AT+CNMI=2,1,0,2,0"]);
    let long = "x".repeat(200);
    assert_eq!(m.deliver_text("+15551234567", &long, false, None), Ok(2));
    assert_eq!(
        flushed(&mut m).0,
        "\r\n+CMTI: \"SM\",1\r\n\r\n+CMTI: \"SM\",2\r\n"
    );
    let mut text = String::new();
    for i in 1..=2 {
        let out = io(&mut m, &format!("AT+CMGR={i}\r"));
        let (_, t) = pdumode::decode_hex(&pdu_after(&out, "+CMGR: "), true).expect("decodes");
        let Tpdu::Deliver(d) = t else { panic!("{t:?}") };
        let c = d.ud.udh.as_ref().and_then(|u| u.concat()).expect("concat");
        assert_eq!((c.total, c.sequence), (2, i));
        text.push_str(&d.ud.text().unwrap_or_default());
    }
    assert_eq!(text, long);

    // Forced UCS-2, long enough for three parts, with an emoji (a surrogate pair).
    let long = format!("{}😀{}", "a".repeat(66), "b".repeat(80));
    assert_eq!(m.deliver_text("+15551234567", &long, true, None), Ok(3));
    let _ = flushed(&mut m);
    let mut text = String::new();
    for i in 3..=5 {
        let out = io(&mut m, &format!("AT+CMGR={i}\r"));
        let (_, t) = pdumode::decode_hex(&pdu_after(&out, "+CMGR: "), true).expect("decodes");
        let Tpdu::Deliver(d) = t else { panic!("{t:?}") };
        assert_eq!(d.dcs.alphabet(), Alphabet::Ucs2);
        let c = d.ud.udh.as_ref().and_then(|u| u.concat()).expect("concat");
        assert_eq!((c.total, c.sequence), (3, i - 2));
        text.push_str(&d.ud.text().unwrap_or_default());
    }
    assert_eq!(text, long);
    setup(&mut m, &["AT+CMGD=1,4"]);

    let jp = "こんにちは、世界";
    assert_eq!(m.deliver_text("+819012345678", jp, false, None), Ok(1));
    assert_eq!(m.deliver_text("+819012345678", "plain", true, None), Ok(1));
    let out = flushed(&mut m).0;
    assert_eq!(out, "\r\n+CMTI: \"SM\",1\r\n\r\n+CMTI: \"SM\",2\r\n");
    for (i, want) in [(1, jp), (2, "plain")] {
        let out = io(&mut m, &format!("AT+CMGR={i}\r"));
        let (_, t) = pdumode::decode_hex(&pdu_after(&out, "+CMGR: "), true).expect("decodes");
        let Tpdu::Deliver(d) = t else { panic!("{t:?}") };
        assert_eq!(d.dcs.alphabet(), Alphabet::Ucs2);
        assert_eq!(d.ud.text().as_deref(), Some(want));
    }
}

#[test]
fn cnmi_modes_for_incoming() {
    // (name, set-up, expected URC text)
    let cases: &[(&str, &[&str], &str)] = &[
        ("mt=0 stores silently", &["AT+CNMI=2,0,0,0,0"], ""),
        (
            "mt=1 indicates",
            &["AT+CNMI=2,1,0,0,0"],
            "\r\n+CMTI: \"SM\",1\r\n",
        ),
        (
            "mt=3 indicates",
            &["AT+CNMI=2,3,0,0,0"],
            "\r\n+CMTI: \"SM\",1\r\n",
        ),
        (
            "mt=2 routes directly",
            &["AT+CNMI=2,2,0,0,0"],
            "\r\n+CMT: ,",
        ),
    ];
    for (name, pre, want) in cases {
        let mut m = modem();
        setup(&mut m, pre);
        m.deliver_text("+15551234567", "hi", false, None)
            .expect("deliver");
        let out = flushed(&mut m).0;
        assert!(
            out.starts_with(want) && (want.is_empty() == out.is_empty()),
            "case {name:?}: {out:?}"
        );
        let used = m.state()["used"].as_u64();
        let direct = pre[0].contains(",2,");
        assert_eq!(used, Some(u64::from(!direct)), "case {name:?}");
    }
}

#[test]
fn cmt_with_csms_1_needs_cnma() {
    let mut m = modem();
    setup(&mut m, &["AT+CSMS=1", "AT+CNMI=2,2,0,0,0"]);
    m.deliver_text("+15551234567", "one", false, None)
        .expect("deliver");
    m.deliver_text("+15551234567", "two", false, None)
        .expect("deliver");
    let out = flushed(&mut m).0;
    assert_eq!(out.matches("+CMT:").count(), 1, "{out:?}");
    let (_, t) = pdumode::decode_hex(&pdu_after(&out, "+CMT: "), true).expect("decodes");
    assert!(matches!(t, Tpdu::Deliver(d) if d.ud.text().as_deref() == Some("one")));
    // The acknowledgement lets the next one through, after the OK.
    let out = io(&mut m, "AT+CNMA\r");
    assert!(out.starts_with("\r\nOK\r\n\r\n+CMT: ,"), "{out:?}");
    assert_eq!(io(&mut m, "AT+CNMA\r"), info(&[]));
    assert_eq!(io(&mut m, "AT+CNMA\r"), "\r\n+CMS ERROR: 340\r\n");
}

#[test]
fn storage_full_holds_messages_back() {
    let mut c = config(&GENERIC);
    c.capacity = 2;
    let mut m = Modem::new(c);
    setup(&mut m, &["AT+CNMI=2,1,0,0,0"]);
    for t in ["a", "b", "c"] {
        m.deliver_text("+15551234567", t, false, None)
            .expect("deliver");
    }
    let out = flushed(&mut m).0;
    assert_eq!(out, "\r\n+CMTI: \"SM\",1\r\n\r\n+CMTI: \"SM\",2\r\n");
    assert_eq!(m.state()["waiting"], 1);
    assert_eq!(
        io(&mut m, "AT+CPMS?\r"),
        info(&["+CPMS: \"SM\",2,2,\"SM\",2,2,\"SM\",2,2"])
    );
    // Freeing a slot lets the held message in; its URC follows the OK.
    assert_eq!(
        io(&mut m, "AT+CMGD=1\r"),
        "\r\nOK\r\n\r\n+CMTI: \"SM\",1\r\n"
    );
    assert_eq!(m.state()["waiting"], 0);
}

#[test]
fn sim_full_fault() {
    let mut m = Modem::new(config(&HUAWEI));
    setup(&mut m, &["AT+CNMI=2,1,0,0,0"]);
    assert_eq!(m.fill_memory(None), Ok(30));
    assert_eq!(
        io(&mut m, "AT+CPMS?\r"),
        info(&["+CPMS: \"SM\",30,30,\"SM\",30,30,\"SM\",30,30"])
    );
    m.deliver_text("+15551234567", "held", false, None)
        .expect("deliver");
    assert_eq!(flushed(&mut m).0, "\r\n^SMMEMFULL: \"SM\"\r\n");
    assert_eq!(
        io(&mut m, "AT+CMGD=5\r"),
        "\r\nOK\r\n\r\n+CMTI: \"SM\",5\r\n"
    );
}

#[test]
fn cmgw_stores() {
    let mut m = modem();
    let (len, hex) = submit_pdu("+15551234567", "draft", false);
    assert_eq!(io(&mut m, &format!("AT+CMGW={len}\r")), "\r\n> ");
    assert_eq!(io(&mut m, &format!("{hex}\x1a")), info(&["+CMGW: 1"]));
    assert!(io(&mut m, "AT+CMGL=2\r").starts_with("\r\n+CMGL: 1,2,,"));
}

#[test]
fn sim_pin() {
    let mut c = config(&SIMCOM);
    c.pin = Some("1234".into());
    let mut m = Modem::new(c);
    setup(&mut m, &["AT+CMEE=1"]);
    let cases = [
        ("locked", "AT+CPIN?", info(&["+CPIN: SIM PIN"])),
        (
            "sms refused",
            "AT+CMGL=4",
            "\r\n+CMS ERROR: 311\r\n".to_string(),
        ),
        (
            "send refused",
            "AT+CMGS=20",
            "\r\n+CMS ERROR: 311\r\n".to_string(),
        ),
        (
            "imsi refused",
            "AT+CIMI",
            "\r\n+CME ERROR: 11\r\n".to_string(),
        ),
        ("not registered", "AT+CREG?", info(&["+CREG: 0,0"])),
        (
            "wrong pin",
            "AT+CPIN=\"0000\"",
            "\r\n+CME ERROR: 16\r\n".to_string(),
        ),
        (
            "right pin",
            "AT+CPIN=\"1234\"",
            "\r\nOK\r\n\r\n+CPIN: READY\r\n\r\nSMS Ready\r\n\r\nSMS DONE\r\n\r\nPB DONE\r\n"
                .to_string(),
        ),
        ("ready", "AT+CPIN?", info(&["+CPIN: READY"])),
        ("registered", "AT+CREG?", info(&["+CREG: 0,1"])),
        ("imsi", "AT+CIMI", info(&["001010000000017"])),
    ];
    for (name, line, want) in cases {
        assert_eq!(io(&mut m, &format!("{line}\r")), want, "case {name:?}");
    }
}

#[test]
fn sim_pin_three_wrong_attempts_lock_the_sim() {
    let mut c = config(&GENERIC);
    c.pin = Some("1234".into());
    let mut m = Modem::new(c);
    setup(&mut m, &["AT+CMEE=1"]);
    for _ in 0..3 {
        assert_eq!(io(&mut m, "AT+CPIN=9999\r"), "\r\n+CME ERROR: 16\r\n");
    }
    assert_eq!(io(&mut m, "AT+CPIN?\r"), info(&["+CPIN: SIM PUK"]));
    assert_eq!(io(&mut m, "AT+CPIN=1234\r"), "\r\n+CME ERROR: 12\r\n");
}

#[test]
fn hang_drops_input_until_it_ends() {
    let mut m = modem();
    m.hang(Duration::from_secs(5));
    let (_, pending) = flushed(&mut m);
    assert_eq!(pending, vec![Timer::HangEnd { seq: 1 }]);
    assert_eq!(io(&mut m, "AT\r"), "");
    // Incoming messages wait too.
    setup_during_hang_is_impossible(&mut m);
    let (out, _) = fire(&mut m, Timer::HangEnd { seq: 1 });
    assert_eq!(out, "");
    assert_eq!(io(&mut m, "AT\r"), info(&[]));
    assert_eq!(m.state()["counters"]["dropped_input_bytes"], 3 + 5);
}

fn setup_during_hang_is_impossible(m: &mut Modem) {
    assert_eq!(io(m, "ATE1\r"), "");
}

#[test]
fn reboot_prints_boot_urcs_and_resets_settings() {
    let mut c = config(&SIMCOM);
    c.echo = true;
    let mut m = Modem::new(c);
    setup(&mut m, &["ATE0", "AT+CMEE=1", "AT+CNMI=2,1,0,2,0"]);
    let fx = m.feed(b"AT+CFUN=1,1\r");
    assert_eq!(fx[0], Effect::Write(b"\r\nOK\r\n".to_vec()));
    assert_eq!(
        fx[1],
        Effect::Schedule(SIMCOM.boot_time, Timer::BootDone { epoch: 1 })
    );
    // While booting nothing answers.
    assert!(m.feed(b"AT\r").is_empty());
    let (out, _) = fire(&mut m, Timer::BootDone { epoch: 1 });
    assert_eq!(
        out,
        "\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n\r\nSMS Ready\r\n\r\nSMS DONE\r\n\r\nPB DONE\r\n"
    );
    // Echo is back on, CNMI back to 0.
    assert_eq!(
        io(&mut m, "AT+CNMI?\r"),
        format!("AT+CNMI?\r{}", info(&["+CNMI: 0,0,0,0,0"]))
    );
}

#[test]
fn after_a_reboot_sms_answers_sim_busy_until_sms_done() {
    let mut c = config(&crate::sim::profile::QUECTEL);
    c.sms_init = Duration::from_secs(2);
    let mut m = Modem::new(c);
    // At power-on SMS works at once.
    setup(&mut m, &["AT+CMEE=1", "AT+CPMS?"]);
    m.reboot();
    let _ = m.take_effects();
    let fx = m.fire(Timer::BootDone { epoch: 1 });
    assert!(
        fx.contains(&Effect::Schedule(
            Duration::from_secs(2),
            Timer::SmsReady { epoch: 1 }
        )),
        "{fx:?}"
    );
    let (out, _) = drive(
        &mut m,
        fx.into_iter()
            .filter(|e| matches!(e, Effect::Write(_)))
            .collect(),
    );
    assert_eq!(out, "\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n");
    // AT answers, the SIM is ready, SMS is not: SIM busy.
    assert!(io(&mut m, "ATE0\r").ends_with("OK\r\n"));
    assert_eq!(io(&mut m, "AT+CPMS?\r"), "\r\n+CMS ERROR: 314\r\n");
    assert_eq!(io(&mut m, "AT+CPIN?\r"), info(&["+CPIN: READY"]));
    let (out, _) = fire(&mut m, Timer::SmsReady { epoch: 1 });
    assert_eq!(out, "\r\n+QIND: SMS DONE\r\n\r\n+QIND: PB DONE\r\n");
    assert!(io(&mut m, "AT+CPMS?\r").ends_with("\r\nOK\r\n"));
}

#[test]
fn reboot_loses_the_send_in_flight() {
    let mut c = config(&GENERIC);
    c.send_delay = Duration::from_secs(2);
    let mut m = Modem::new(c);
    let (len, hex) = submit_pdu("+15551234567", "lost", false);
    io(&mut m, &format!("AT+CMGS={len}\r"));
    let fx = m.feed(format!("{hex}\x1a").as_bytes());
    assert_eq!(fx.len(), 1);
    m.reboot();
    let _ = m.take_effects();
    assert!(m.fire(Timer::SendDone { epoch: 0 }).is_empty());
    assert!(m.sent().is_empty());
}

#[test]
fn reboot_with_pin_asks_for_it_again() {
    let mut c = config(&SIMCOM);
    c.pin = Some("1234".into());
    let mut m = Modem::new(c);
    assert!(io(&mut m, "AT+CPIN=1234\r").starts_with("\r\nOK\r\n"));
    m.reboot();
    let _ = m.take_effects();
    let (out, _) = fire(&mut m, Timer::BootDone { epoch: 1 });
    assert_eq!(out, "\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: SIM PIN\r\n");
}

#[test]
fn garbage_goes_out_as_is() {
    let mut m = modem();
    m.garbage(b"\xff\x00junk");
    assert_eq!(
        m.take_effects(),
        vec![Effect::Write(b"\xff\x00junk".to_vec())]
    );
}

#[test]
fn vendor_commands_per_profile() {
    let cases: &[(&Profile, &str)] = &[
        (&HUAWEI, "AT^PORTSEL=1"),
        (
            &crate::sim::profile::QUECTEL,
            "AT+QURCCFG=\"urcport\",\"usbat\"",
        ),
        (&SIMCOM, "AT+CSCLK=0"),
    ];
    for (p, line) in cases {
        let mut m = Modem::new(config(p));
        assert_eq!(
            io(&mut m, &format!("{line}\r")),
            info(&[]),
            "{}: {line}",
            p.name
        );
    }
}

#[test]
fn huawei_periodic_urcs_until_curc_0() {
    let mut m = Modem::new(config(&HUAWEI));
    let fx = m.start();
    assert_eq!(
        fx,
        vec![Effect::Schedule(
            HUAWEI.periodic_every,
            Timer::Periodic { epoch: 0 }
        )]
    );
    let (out, pending) = fire(&mut m, Timer::Periodic { epoch: 0 });
    assert_eq!(out, "\r\n^RSSI:20\r\n\r\n^BOOT:27710117,0,0,0,75\r\n");
    assert_eq!(pending, vec![Timer::Periodic { epoch: 0 }]);
    setup(&mut m, &["AT^CURC=0"]);
    let (out, _) = fire(&mut m, Timer::Periodic { epoch: 0 });
    assert_eq!(out, "");
}

#[test]
fn urcs_wait_while_a_send_is_in_flight() {
    let mut c = config(&GENERIC);
    c.send_delay = Duration::from_secs(1);
    let mut m = Modem::new(c);
    setup(&mut m, &["AT+CNMI=2,1,0,0,0"]);
    let (len, hex) = submit_pdu("+15551234567", "x", false);
    io(&mut m, &format!("AT+CMGS={len}\r"));
    let _ = m.feed(format!("{hex}\x1a").as_bytes());
    m.deliver_text("+15557654321", "in", false, None)
        .expect("deliver");
    assert!(m.take_effects().is_empty());
    let (out, _) = fire(&mut m, Timer::SendDone { epoch: 0 });
    assert_eq!(
        out,
        format!("{}\r\n+CMTI: \"SM\",1\r\n", info(&["+CMGS: 0"]))
    );
}

#[test]
fn long_lines_are_refused_not_stored() {
    let mut m = modem();
    let line = format!("AT{}\r", "A".repeat(MAX_LINE + 10));
    assert_eq!(io(&mut m, &line), "\r\nERROR\r\n");
    assert_eq!(io(&mut m, "AT\r"), info(&[]));
}

#[test]
fn state_reports_sent_messages() {
    let mut m = modem();
    send(&mut m, "+819012345678", "hello", false);
    let s = m.state();
    assert_eq!(s["sent"][0]["to"], "+819012345678");
    assert_eq!(s["sent"][0]["text"], "hello");
    assert_eq!(s["sent"][0]["mr"], 0);
    assert_eq!(s["counters"]["sends"], 1);
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn command_line() -> impl Strategy<Value = String> {
        let pieces = prop::sample::select(vec![
            "AT",
            "+CMGS=",
            "+CMGW=",
            "+CMGR=",
            "+CMGD=",
            "+CMGL=",
            "+CNMI=",
            "+CPMS=",
            "+CPIN=",
            "+CFUN=",
            "+CSCA=",
            "+CREG=",
            "?",
            "=?",
            ";",
            ",",
            "\"",
            "SM",
            "1",
            "0",
            "4",
            "255",
            "-1",
            "99999999999999999999",
            "E",
            "Z",
            "&",
            "S",
            "\u{20ac}",
            "\x1a",
            "\x1b",
            "\x08",
            "\r",
            "\n",
            " ",
            "00",
            "FF",
        ]);
        prop::collection::vec(pieces, 0..24).prop_map(|v| v.concat())
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(chunks in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..64), 0..16)) {
            let mut m = modem();
            for c in chunks {
                let fx = m.feed(&c);
                let _ = drive(&mut m, fx);
            }
            prop_assert!(m.line.len() <= MAX_LINE);
        }

        #[test]
        fn command_like_input_never_panics_and_the_modem_recovers(lines in prop::collection::vec(command_line(), 0..8)) {
            let mut m = modem();
            for l in &lines {
                let fx = m.feed(l.as_bytes());
                let _ = drive(&mut m, fx);
            }
            // Leave any prompt, end any reboot, then the modem answers AT.
            let fx = m.feed(b"\x1b\r");
            let _ = drive(&mut m, fx);
            if m.booting {
                let epoch = m.epoch;
                let _ = fire(&mut m, Timer::BootDone { epoch });
            }
            let out = io(&mut m, "ATE0\r");
            prop_assert!(out.ends_with("\r\nOK\r\n"), "{:?}", out);
        }
    }
}

// ---- memories and AT+CPMS ----

mod memories {
    use super::*;
    use crate::sim::profile::QUECTEL;

    fn quectel() -> Modem {
        Modem::new(config(&QUECTEL))
    }

    #[test]
    fn cpms_per_profile() {
        // (name, profile, set-up lines, command line, exact output)
        let cases: &[(&str, &Profile, &[&str], &str, String)] = &[
            (
                "generic test",
                &GENERIC,
                &[],
                "AT+CPMS=?",
                info(&["+CPMS: (\"SM\"),(\"SM\"),(\"SM\")"]),
            ),
            (
                "huawei test",
                &HUAWEI,
                &[],
                "AT+CPMS=?",
                info(&["+CPMS: (\"SM\"),(\"SM\"),(\"SM\")"]),
            ),
            (
                "quectel test",
                &QUECTEL,
                &[],
                "AT+CPMS=?",
                info(&["+CPMS: (\"SM\",\"ME\",\"SR\"),(\"SM\",\"ME\"),(\"SM\",\"ME\")"]),
            ),
            (
                "simcom test",
                &SIMCOM,
                &[],
                "AT+CPMS=?",
                info(&["+CPMS: (\"SM\",\"ME\",\"SR\"),(\"SM\",\"ME\"),(\"SM\",\"ME\")"]),
            ),
            (
                "quectel read at power-on",
                &QUECTEL,
                &[],
                "AT+CPMS?",
                info(&["+CPMS: \"SM\",0,30,\"SM\",0,30,\"SM\",0,30"]),
            ),
            (
                "quectel set sr as mem1 answers three pairs",
                &QUECTEL,
                &[],
                "AT+CPMS=\"SR\"",
                info(&["+CPMS: 0,10,0,30,0,30"]),
            ),
            (
                "quectel read after selecting sr",
                &QUECTEL,
                &["AT+CPMS=\"SR\""],
                "AT+CPMS?",
                info(&["+CPMS: \"SR\",0,10,\"SM\",0,30,\"SM\",0,30"]),
            ),
            (
                "quectel set me everywhere",
                &QUECTEL,
                &[],
                "AT+CPMS=\"ME\",\"ME\",\"ME\"",
                info(&["+CPMS: 0,50,0,50,0,50"]),
            ),
            (
                "simcom set two keeps mem3",
                &SIMCOM,
                &[],
                "AT+CPMS=\"ME\",\"SM\"",
                info(&["+CPMS: 0,50,0,30,0,30"]),
            ),
            (
                "lower case and unquoted names",
                &QUECTEL,
                &["AT+CPMS=me,sm,Me"],
                "AT+CPMS?",
                info(&["+CPMS: \"ME\",0,50,\"SM\",0,30,\"ME\",0,50"]),
            ),
            (
                "quectel sr refused as mem2",
                &QUECTEL,
                &[],
                "AT+CPMS=\"SM\",\"SR\"",
                "\r\n+CMS ERROR: 302\r\n".into(),
            ),
            (
                "quectel sr refused as mem3",
                &QUECTEL,
                &[],
                "AT+CPMS=\"SM\",\"SM\",\"SR\"",
                "\r\n+CMS ERROR: 302\r\n".into(),
            ),
            (
                "quectel unknown memory refused",
                &QUECTEL,
                &[],
                "AT+CPMS=\"MT\"",
                "\r\n+CMS ERROR: 302\r\n".into(),
            ),
            (
                "four memories refused",
                &QUECTEL,
                &[],
                "AT+CPMS=\"SM\",\"SM\",\"SM\",\"SM\"",
                "\r\n+CMS ERROR: 302\r\n".into(),
            ),
            (
                "huawei sr refused",
                &HUAWEI,
                &[],
                "AT+CPMS=\"SR\"",
                "\r\n+CMS ERROR: 302\r\n".into(),
            ),
            (
                "refusal as text",
                &SIMCOM,
                &["AT+CMEE=2"],
                "AT+CPMS=\"BM\"",
                "\r\n+CMS ERROR: operation not allowed\r\n".into(),
            ),
            (
                "atz resets the selection",
                &QUECTEL,
                &["AT+CPMS=\"ME\",\"ME\",\"ME\"", "ATZ"],
                "AT+CPMS?",
                info(&["+CPMS: \"SM\",0,30,\"SM\",0,30,\"SM\",0,30"]),
            ),
        ];
        for (name, profile, pre, line, want) in cases {
            let mut m = Modem::new(config(profile));
            setup(&mut m, pre);
            let got = io(&mut m, &format!("{line}\r"));
            assert_eq!(&got, want, "case {name:?}");
        }
    }

    /// What a step of a sequence must print.
    enum Want {
        Is(String),
        StartsWith(&'static str),
    }

    /// Runs `(name, command line, wanted output)` steps in order on `m`.
    fn steps(m: &mut Modem, steps: &[(&str, &str, Want)]) {
        for (name, line, want) in steps {
            let got = io(m, &format!("{line}\r"));
            match want {
                Want::Is(w) => assert_eq!(&got, w, "step {name:?}"),
                Want::StartsWith(w) => assert!(got.starts_with(w), "step {name:?}: {got:?}"),
            }
        }
    }

    #[test]
    fn read_list_delete_use_mem1_and_write_uses_mem2() {
        use Want::{Is, StartsWith};
        let mut m = quectel();
        setup(&mut m, &["AT+CNMI=2,1,0,2,0"]);
        m.deliver_text("+15551234567", "on the sim", false, None)
            .expect("deliver");
        assert_eq!(flushed(&mut m).0, "\r\n+CMTI: \"SM\",1\r\n");
        steps(
            &mut m,
            &[
                ("sm has it", "AT+CMGD=?", Is(info(&["+CMGD: (1),(0-4)"]))),
                (
                    "sm index past its 30 slots",
                    "AT+CMGR=31",
                    Is("\r\n+CMS ERROR: 321\r\n".into()),
                ),
                (
                    "select me for reading",
                    "AT+CPMS=\"ME\"",
                    Is(info(&["+CPMS: 0,50,1,30,1,30"])),
                ),
                ("me slot 1 is empty", "AT+CMGR=1", Is(info(&[]))),
                ("me lists nothing", "AT+CMGL=4", Is(info(&[]))),
                ("me cmgd test", "AT+CMGD=?", Is(info(&["+CMGD: (),(0-4)"]))),
                ("me has 50 slots", "AT+CMGR=50", Is(info(&[]))),
                (
                    "me index past its slots",
                    "AT+CMGR=51",
                    Is("\r\n+CMS ERROR: 321\r\n".into()),
                ),
                ("deleting in me", "AT+CMGD=1,4", Is(info(&[]))),
                (
                    "back to sm",
                    "AT+CPMS=\"SM\"",
                    Is(info(&["+CPMS: 1,30,1,30,1,30"])),
                ),
                ("sm kept it", "AT+CMGR=1", StartsWith("\r\n+CMGR: 0,,")),
                (
                    "write to me",
                    "AT+CPMS=\"SM\",\"ME\"",
                    Is(info(&["+CPMS: 1,30,0,50,1,30"])),
                ),
            ],
        );
        let (len, hex) = submit_pdu("+15551234567", "draft", false);
        assert_eq!(io(&mut m, &format!("AT+CMGW={len}\r")), "\r\n> ");
        assert_eq!(io(&mut m, &format!("{hex}\x1a")), info(&["+CMGW: 1"]));
        let s = m.state();
        assert_eq!(s["memories"]["ME"]["used"], 1);
        assert_eq!(s["memories"]["ME"]["messages"][0]["type"], "submit");
        assert_eq!(s["memories"]["SM"]["used"], 1);
        steps(
            &mut m,
            &[
                (
                    "sm still lists only the received one",
                    "AT+CMGL=4",
                    StartsWith("\r\n+CMGL: 1,1,,"),
                ),
                (
                    "read me",
                    "AT+CPMS=\"ME\"",
                    Is(info(&["+CPMS: 1,50,1,50,1,30"])),
                ),
                (
                    "the draft is in me",
                    "AT+CMGL=2",
                    StartsWith("\r\n+CMGL: 1,2,,"),
                ),
            ],
        );
    }

    #[test]
    fn status_reports_go_to_sr_where_the_profile_has_it() {
        // (profile, memory named by +CDSI)
        let cases: &[(&Profile, &str)] = &[
            (&GENERIC, "SM"),
            (&HUAWEI, "SM"),
            (&QUECTEL, "SR"),
            (&SIMCOM, "SR"),
        ];
        for (p, mem) in cases {
            let mut m = Modem::new(config(p));
            setup(&mut m, &["AT+CNMI=2,1,0,2,0"]);
            let out = send(&mut m, "+819012345678", "report me", true);
            let cdsi = format!("\r\n+CDSI: \"{mem}\",1\r\n");
            assert!(out.ends_with(&cdsi), "{}: {out:?}", p.name);
            assert_eq!(m.state()["memories"][*mem]["used"], 1, "{}", p.name);
            let read = io(&mut m, "AT+CMGR=1\r");
            if *mem == "SM" {
                let (_, t) =
                    pdumode::decode_hex(&pdu_after(&read, "+CMGR: "), true).expect("decodes");
                assert!(matches!(t, Tpdu::StatusReport(_)), "{}", p.name);
                continue;
            }
            // The driver bug this models: <mem1> is still "SM", so reading
            // the index from +CDSI finds nothing there.
            assert_eq!(read, info(&[]), "{}: CMGR with mem1=SM", p.name);
            assert_eq!(io(&mut m, "AT+CMGL=4\r"), info(&[]), "{}", p.name);
            assert_eq!(
                io(&mut m, "AT+CPMS=\"SR\"\r"),
                info(&["+CPMS: 1,10,0,30,0,30"]),
                "{}",
                p.name
            );
            let read = io(&mut m, "AT+CMGR=1\r");
            assert!(read.starts_with("\r\n+CMGR: 0,,"), "{}: {read:?}", p.name);
            let (_, t) = pdumode::decode_hex(&pdu_after(&read, "+CMGR: "), true).expect("decodes");
            let Tpdu::StatusReport(r) = t else {
                panic!("{}: not a status report: {t:?}", p.name)
            };
            assert_eq!((r.mr, r.st.0), (0, 0), "{}", p.name);
            // Deleted through <mem1> = "SR".
            setup(&mut m, &["AT+CMGD=1"]);
            assert_eq!(m.state()["memories"]["SR"]["used"], 0, "{}", p.name);
        }
    }

    #[test]
    fn a_full_sr_drops_status_reports_a_full_mem3_holds_messages() {
        // (name, profile, SR slots, how the memory fills up, reports sent,
        //  +CDSI lines seen, dropped, still waiting in the network)
        type Fill = fn(&mut Modem);
        let by_reports: Fill = |_| {};
        let by_sim_full_sr: Fill = |m| assert_eq!(m.fill_memory(Some("SR")), Ok(2));
        let by_sim_full_sm: Fill = |m| assert_eq!(m.fill_memory(None), Ok(30));
        let cases: &[(&str, &Profile, usize, Fill, usize, usize, u64, u64)] = &[
            (
                "quectel sr fills with reports",
                &QUECTEL,
                2,
                by_reports,
                3,
                2,
                1,
                0,
            ),
            (
                "simcom sr fills with reports",
                &SIMCOM,
                2,
                by_reports,
                3,
                2,
                1,
                0,
            ),
            (
                "quectel sim_full sr",
                &QUECTEL,
                2,
                by_sim_full_sr,
                2,
                0,
                2,
                0,
            ),
            (
                "quectel full sm does not matter",
                &QUECTEL,
                2,
                by_sim_full_sm,
                1,
                1,
                0,
                0,
            ),
            (
                "generic full sm holds reports back",
                &GENERIC,
                2,
                by_sim_full_sm,
                1,
                0,
                0,
                1,
            ),
        ];
        for &(name, p, sr, fill, sends, cdsi, dropped, waiting) in cases {
            let mut c = config(p);
            c.sr_capacity = Some(sr);
            let mut m = Modem::new(c);
            setup(&mut m, &["AT+CNMI=2,1,0,2,0"]);
            fill(&mut m);
            let mut out = String::new();
            for i in 0..sends {
                out.push_str(&send(&mut m, "+819012345678", &format!("r{i}"), true));
            }
            assert_eq!(
                out.matches("+CDSI:").count(),
                cdsi,
                "case {name:?}: {out:?}"
            );
            let s = m.state();
            assert_eq!(
                s["counters"]["dropped_status_reports"], dropped,
                "case {name:?}"
            );
            assert_eq!(s["waiting"], waiting, "case {name:?}");
        }
    }

    #[test]
    fn a_dropped_report_does_not_come_back_when_sr_has_room() {
        let mut c = config(&QUECTEL);
        c.sr_capacity = Some(1);
        let mut m = Modem::new(c);
        setup(&mut m, &["AT+CNMI=2,1,0,2,0"]);
        assert!(send(&mut m, "+819012345678", "one", true).ends_with("+CDSI: \"SR\",1\r\n"));
        assert_eq!(
            send(&mut m, "+819012345678", "two", true),
            info(&["+CMGS: 1"])
        );
        // Incoming messages are not held back by a full SR.
        m.deliver_text("+15551234567", "still arrives", false, None)
            .expect("deliver");
        assert_eq!(flushed(&mut m).0, "\r\n+CMTI: \"SM\",1\r\n");
        setup(&mut m, &["AT+CPMS=\"SR\"", "AT+CMGD=1"]);
        assert_eq!(flushed(&mut m).0, "");
        let s = m.state();
        assert_eq!(s["counters"]["status_reports"], 2);
        assert_eq!(s["counters"]["dropped_status_reports"], 1);
        assert_eq!(s["memories"]["SR"]["used"], 0);
    }

    #[test]
    fn cmti_names_mem3() {
        // (name, profile, set-up, URC of an incoming message, of a status report)
        let cases: &[(&str, &Profile, &[&str], &str, &str)] = &[
            (
                "quectel power-on",
                &QUECTEL,
                &[],
                "+CMTI: \"SM\",1",
                "+CDSI: \"SR\",1",
            ),
            (
                "quectel all me",
                &QUECTEL,
                &["AT+CPMS=\"ME\",\"ME\",\"ME\""],
                "+CMTI: \"ME\",1",
                "+CDSI: \"SR\",1",
            ),
            (
                "simcom receive into me only",
                &SIMCOM,
                &["AT+CPMS=\"SM\",\"SM\",\"ME\""],
                "+CMTI: \"ME\",1",
                "+CDSI: \"SR\",1",
            ),
            (
                "generic",
                &GENERIC,
                &[],
                "+CMTI: \"SM\",1",
                "+CDSI: \"SM\",2",
            ),
        ];
        for (name, p, pre, cmti, cdsi) in cases {
            let mut m = Modem::new(config(p));
            setup(&mut m, &["AT+CNMI=2,1,0,2,0"]);
            setup(&mut m, pre);
            m.deliver_text("+15551234567", "hi", false, None)
                .expect("deliver");
            assert_eq!(
                flushed(&mut m).0,
                format!("\r\n{cmti}\r\n"),
                "case {name:?}"
            );
            let out = send(&mut m, "+819012345678", "x", true);
            assert!(
                out.ends_with(&format!("\r\n{cdsi}\r\n")),
                "case {name:?}: {out:?}"
            );
        }
    }

    #[test]
    fn messages_held_by_a_full_mem3_arrive_when_cpms_picks_another() {
        let mut c = config(&QUECTEL);
        c.capacity = 1;
        let mut m = Modem::new(c);
        setup(&mut m, &["AT+CNMI=2,1,0,2,0"]);
        assert_eq!(m.fill_memory(None), Ok(1));
        m.deliver_text("+15551234567", "waiting", false, None)
            .expect("deliver");
        assert_eq!(flushed(&mut m).0, "");
        assert_eq!(m.state()["waiting"], 1);
        assert_eq!(
            io(&mut m, "AT+CPMS=\"SM\",\"SM\",\"ME\"\r"),
            format!("{}\r\n+CMTI: \"ME\",1\r\n", info(&["+CPMS: 1,1,1,1,0,50"]))
        );
        assert_eq!(m.state()["waiting"], 0);
    }

    #[test]
    fn reset_selects_the_default_memories_and_keeps_contents() {
        // (name, how the module is reset)
        type Reset = fn(&mut Modem);
        let cases: &[(&str, Reset)] = &[
            ("at+cfun=1,1", |m| {
                let fx = m.feed(b"AT+CFUN=1,1\r");
                let _ = drive(m, fx);
            }),
            ("reboot request", |m| {
                m.reboot();
                let _ = flushed(m);
            }),
            ("atz", |m| setup(m, &["ATZ"])),
        ];
        for (name, reset) in cases {
            let mut m = quectel();
            setup(
                &mut m,
                &["AT+CNMI=2,1,0,2,0", "AT+CPMS=\"ME\",\"ME\",\"ME\""],
            );
            m.deliver_text("+15551234567", "kept in me", false, None)
                .expect("deliver");
            let _ = flushed(&mut m);
            send(&mut m, "+819012345678", "kept in sr", true);
            let _ = flushed(&mut m);
            reset(&mut m);
            assert!(!m.booting, "case {name:?}: still booting");
            assert_eq!(
                m.state()["settings"]["cpms"],
                json!(["SM", "SM", "SM"]),
                "case {name:?}"
            );
            let cases = [
                (
                    "read",
                    "AT+CPMS?",
                    info(&["+CPMS: \"SM\",0,30,\"SM\",0,30,\"SM\",0,30"]),
                ),
                (
                    "me kept",
                    "AT+CPMS=\"ME\"",
                    info(&["+CPMS: 1,50,0,30,0,30"]),
                ),
                (
                    "sr kept",
                    "AT+CPMS=\"SR\"",
                    info(&["+CPMS: 1,10,0,30,0,30"]),
                ),
            ];
            for (step, line, want) in cases {
                assert_eq!(
                    io(&mut m, &format!("{line}\r")),
                    want,
                    "case {name:?}: {step}"
                );
            }
        }
    }

    #[test]
    fn state_shows_every_memory_and_the_selection() {
        let mut m = quectel();
        setup(
            &mut m,
            &["AT+CNMI=2,1,0,2,0", "AT+CPMS=\"SR\",\"ME\",\"ME\""],
        );
        m.deliver_text("+15551234567", "in me", false, None)
            .expect("deliver");
        let _ = flushed(&mut m);
        send(&mut m, "+819012345678", "x", true);
        let s = m.state();
        let mut names: Vec<&String> = s["memories"].as_object().expect("object").keys().collect();
        names.sort();
        assert_eq!(names, ["ME", "SM", "SR"]);
        assert_eq!(s["settings"]["cpms"], json!(["SR", "ME", "ME"]));
        assert_eq!(s["memories"]["SM"]["capacity"], 30);
        assert_eq!(s["memories"]["ME"]["capacity"], 50);
        assert_eq!(s["memories"]["SR"]["capacity"], 10);
        assert_eq!(s["memories"]["ME"]["messages"][0]["text"], "in me");
        assert_eq!(s["memories"]["ME"]["messages"][0]["index"], 1);
        assert_eq!(s["memories"]["SR"]["messages"][0]["type"], "status_report");
        assert_eq!(s["memories"]["SR"]["messages"][0]["reference"], 0);
        // The old keys are the SIM's memory.
        assert_eq!(s["storage"], json!([]));
        assert_eq!(
            (s["capacity"].clone(), s["used"].clone()),
            (json!(30), json!(0))
        );

        let g = modem().state();
        let names: Vec<&String> = g["memories"].as_object().expect("object").keys().collect();
        assert_eq!(names, ["SM"]);
        assert_eq!(g["settings"]["cpms"], json!(["SM", "SM", "SM"]));
    }

    #[test]
    fn sim_full_names_a_memory() {
        // (name, profile, mem, result)
        let cases: &[(&str, &Profile, Option<&str>, Result<usize, ()>)] = &[
            ("default is mem3", &QUECTEL, None, Ok(30)),
            ("me", &QUECTEL, Some("ME"), Ok(50)),
            ("sr", &SIMCOM, Some("sr"), Ok(10)),
            ("generic has no sr", &GENERIC, Some("SR"), Err(())),
            ("unknown", &QUECTEL, Some("XX"), Err(())),
        ];
        for (name, p, mem, want) in cases {
            let mut m = Modem::new(config(p));
            let got = m.fill_memory(*mem).map_err(|_| ());
            assert_eq!(got, *want, "case {name:?}");
        }
        // The default follows <mem3>.
        let mut m = quectel();
        setup(&mut m, &["AT+CPMS=\"SM\",\"SM\",\"ME\""]);
        assert_eq!(m.fill_memory(None), Ok(50));
        assert_eq!(m.state()["memories"]["ME"]["used"], 50);
        assert_eq!(m.state()["used"], 0);
    }
}
