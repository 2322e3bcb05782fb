//! `smsgate modem info|send|read|at` run as a process against the simulator
//! on a real pseudo-terminal.

// A test unwraps its own fixtures; the lints guard the service's code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Output;
use std::time::Duration;

use serde_json::{Value, json};
use smsgate::sim::{Fault, Request, SimConfig, SimHandle, Simulator};

async fn sim(cfg: impl FnOnce(&mut SimConfig)) -> SimHandle {
    let dir = common::temp_dir("modem-cli");
    let mut c = SimConfig::new(dir.join("modem"));
    cfg(&mut c);
    Simulator::spawn(c).await.unwrap()
}

async fn smsgate(args: &[&str]) -> Output {
    let run = tokio::process::Command::from(common::smsgate())
        .args(args)
        .output();
    tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("smsgate did not finish")
        .unwrap()
}

fn json_lines(out: &Output) -> Vec<Value> {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// A failure: non-zero exit and exactly one line on stderr containing `want`.
fn one_line_error(out: &Output, want: &str) {
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err:?}");
    assert!(err.contains(want), "{err:?} lacks {want:?}");
}

fn dev(s: &SimHandle) -> String {
    s.link().display().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn info_send_read_and_at() {
    let s = sim(|_| {}).await;
    let d = dev(&s);

    let info = json_lines(&smsgate(&["modem", "info", "--device", &d]).await);
    assert_eq!(info.len(), 1);
    for key in [
        "manufacturer",
        "model",
        "imei",
        "iccid",
        "operator",
        "registered",
        "signal_dbm",
    ] {
        assert!(!info[0][key].is_null(), "info lacks {key}: {}", info[0]);
    }
    assert_eq!(info[0]["registered"], json!(true));

    let text = "ご来店ありがとうございました。".repeat(6);
    let sent = json_lines(
        &smsgate(&[
            "modem",
            "send",
            "--device",
            &d,
            "--to",
            "+819011112222",
            &text,
        ])
        .await,
    );
    assert_eq!(sent[0]["parts"], json!(2));
    assert_eq!(sent[0]["references"], json!([0, 1]));
    let st = s.request(Request::State).await;
    let recorded: String = st["sent"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["text"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(recorded, text);

    for (from, text) in [
        ("+818011112222", "問い合わせ番号 4711 😀".repeat(5)),
        ("Shop", "Order shipped".into()),
    ] {
        s.request(Request::Deliver {
            from: from.into(),
            text,
            encoding: None,
            class: None,
        })
        .await;
    }
    let read = json_lines(&smsgate(&["modem", "read", "--device", &d, "--delete"]).await);
    assert_eq!(read.len(), 2, "{read:?}");
    assert_eq!(read[0]["from"], json!("+818011112222"));
    assert_eq!(read[0]["text"], json!("問い合わせ番号 4711 😀".repeat(5)));
    assert_eq!(read[0]["parts"], json!(2));
    assert!(read[0]["timestamp"].as_str().unwrap().contains('T'));
    assert_eq!(read[1]["from"], json!("Shop"));
    assert!(json_lines(&smsgate(&["modem", "read", "--device", &d]).await).is_empty());

    let at = json_lines(&smsgate(&["modem", "at", "--device", &d, "AT+CSQ"]).await);
    assert_eq!(at[0]["result"], json!("OK"));
    assert!(at[0]["lines"][0].as_str().unwrap().starts_with("+CSQ:"));
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clear_errors_for_installers() {
    let out = smsgate(&["modem", "info", "--device", "/dev/does-not-exist"]).await;
    one_line_error(&out, "cannot open /dev/does-not-exist");

    let locked = sim(|c| c.pin = Some("1234".into())).await;
    let out = smsgate(&["modem", "info", "--device", &dev(&locked)]).await;
    one_line_error(&out, "PIN");
    let ok = smsgate(&["modem", "info", "--device", &dev(&locked), "--pin", "1234"]).await;
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    locked.shutdown().await;

    let hung = sim(|_| {}).await;
    // Longer than the command may take on any machine.
    hung.request(Request::Fault(Fault::Hang { seconds: 3600.0 }))
        .await;
    let out = smsgate(&["modem", "info", "--device", &dev(&hung)]).await;
    one_line_error(&out, "does not answer");
    hung.shutdown().await;
}
