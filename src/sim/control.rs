//! The control protocol: JSON lines over a Unix socket.
//!
//! One request object per line, one response object per line, in order.
//! Every request has a `"cmd"`; a response is `{"ok": true, ...}` or
//! `{"error": "..."}` (bad JSON, unknown command, invalid values). The
//! commands (see `src/sim/README.md` for examples):
//!
//! | request | effect |
//! |---|---|
//! | `{"cmd":"deliver","from":"+8190...","text":"..."}` (+ `"encoding":"ucs2"`, `"class":0`) | an incoming message, split into parts as needed; answers `"parts"` |
//! | `{"cmd":"deliver_pdu","pdu":"07..."}` | an incoming PDU (PDU-mode hex, SMSC prefix first), deliver or status report |
//! | `{"cmd":"status_report","mr":5,"status":0}` (+ `"to"`) | a status report for a sent message |
//! | `{"cmd":"fault","kind":"hang","seconds":5}` | no answers for that long |
//! | `{"cmd":"fault","kind":"cms_error","code":500,"count":2}` | the next sends fail |
//! | `{"cmd":"fault","kind":"garbage","bytes":"..."}` or `"hex":"..."` | bytes into the stream |
//! | `{"cmd":"fault","kind":"silent_send","seconds":5,"delivered":true}` | the next send gets no answer at all |
//! | `{"cmd":"reboot"}` | a module reset with boot URCs |
//! | `{"cmd":"unplug","seconds":3}` | the pty and link vanish, then come back |
//! | `{"cmd":"sim_full"}` (+ `"mem":"SR"`) | fill a memory (default: where received messages go) |
//! | `{"cmd":"network","registered":false}` (+ `"stat"`, `"rssi"`) | registration |
//! | `{"cmd":"set","delay_ms":N,"report_delay_ms":N,"sms_init_ms":N}` | network delays; SMS start-up after a reboot |
//! | `{"cmd":"state"}` | memories, sent messages, counters, settings |

use std::io;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{mpsc, oneshot};

/// A control request.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "cmd", rename_all = "snake_case")]
pub enum Request {
    Deliver {
        from: String,
        text: String,
        /// `"auto"` (default) or `"ucs2"`.
        #[serde(default)]
        encoding: Option<String>,
        #[serde(default)]
        class: Option<u8>,
    },
    DeliverPdu {
        pdu: String,
    },
    StatusReport {
        mr: u8,
        #[serde(default)]
        status: u8,
        #[serde(default)]
        to: Option<String>,
    },
    Fault(Fault),
    Reboot,
    Unplug {
        #[serde(default = "default_unplug")]
        seconds: f64,
    },
    /// Fills a memory; `mem` defaults to the current `<mem3>` (where
    /// received messages go: "SM" at power-on).
    SimFull {
        #[serde(default)]
        mem: Option<String>,
    },
    Network {
        registered: bool,
        #[serde(default)]
        stat: Option<u8>,
        #[serde(default)]
        rssi: Option<u8>,
    },
    Set {
        #[serde(default)]
        delay_ms: Option<u64>,
        #[serde(default)]
        report_delay_ms: Option<u64>,
        #[serde(default)]
        sms_init_ms: Option<u64>,
    },
    State,
}

fn default_unplug() -> f64 {
    3.0
}

/// A fault to inject.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    Hang {
        seconds: f64,
    },
    CmsError {
        code: u16,
        #[serde(default = "one")]
        count: u32,
    },
    Garbage {
        #[serde(default)]
        bytes: Option<String>,
        #[serde(default)]
        hex: Option<String>,
    },
    SilentSend {
        seconds: f64,
        #[serde(default = "yes")]
        delivered: bool,
    },
}

fn yes() -> bool {
    true
}

fn one() -> u32 {
    1
}

/// A request with the channel its response goes back on.
pub type Envelope = (Request, oneshot::Sender<Value>);

/// Parses one request line; the error is the response to send.
pub fn parse(line: &str) -> Result<Request, Value> {
    serde_json::from_str(line).map_err(|e| json!({ "error": format!("bad request: {e}") }))
}

/// A `seconds` value as a duration, refusing negative or absurd values.
pub fn seconds(s: f64) -> Result<std::time::Duration, String> {
    if s.is_finite() && (0.0..=86_400.0).contains(&s) {
        Ok(std::time::Duration::from_secs_f64(s))
    } else {
        Err(format!("seconds must be 0..=86400, not {s}"))
    }
}

/// Serves the socket at `path` until the returned task is aborted.
pub fn serve(path: &Path, tx: mpsc::Sender<Envelope>) -> io::Result<tokio::task::JoinHandle<()>> {
    let _ = std::fs::remove_file(path);
    let listener = UnixListener::bind(path)?;
    Ok(tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            tokio::spawn(client(stream, tx.clone()));
        }
    }))
}

/// Longest request line accepted; a longer one gets an error and the
/// connection is closed, so a client cannot make the simulator buffer
/// without bound.
const MAX_REQUEST: u64 = 64 * 1024;

async fn client(stream: UnixStream, tx: mpsc::Sender<Envelope>) {
    let (r, mut w) = stream.into_split();
    let mut reader = BufReader::new(r);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match (&mut reader)
            .take(MAX_REQUEST + 1)
            .read_until(b'\n', &mut buf)
            .await
        {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        if buf.last() != Some(&b'\n') && buf.len() as u64 > MAX_REQUEST {
            let err = json!({"error": format!("request longer than {MAX_REQUEST} bytes")});
            let _ = w.write_all(format!("{err}\n").as_bytes()).await;
            return;
        }
        let line = String::from_utf8_lossy(&buf);
        if line.trim().is_empty() {
            continue;
        }
        let resp = match parse(&line) {
            Ok(req) => ask(&tx, req).await,
            Err(e) => e,
        };
        let mut out = resp.to_string();
        out.push('\n');
        if w.write_all(out.as_bytes()).await.is_err() {
            return;
        }
    }
}

/// Sends one request to the simulator task and waits for its answer.
pub async fn ask(tx: &mpsc::Sender<Envelope>, req: Request) -> Value {
    let (otx, orx) = oneshot::channel();
    if tx.send((req, otx)).await.is_err() {
        return json!({"error": "simulator stopped"});
    }
    orx.await
        .unwrap_or_else(|_| json!({"error": "simulator stopped"}))
}

/// Client side: sends `line` (one JSON request) to the socket at `path` and
/// returns the response line.
pub async fn request(path: &Path, line: &str) -> io::Result<String> {
    let stream = UnixStream::connect(path).await?;
    let (r, mut w) = stream.into_split();
    let mut req = line.trim().to_string();
    req.push('\n');
    w.write_all(req.as_bytes()).await?;
    let mut resp = String::new();
    BufReader::new(r).read_line(&mut resp).await?;
    Ok(resp.trim_end().to_string())
}

/// The default control socket for a link: `<link>.ctl`.
pub fn default_path(link: &Path) -> PathBuf {
    let mut s = link.as_os_str().to_os_string();
    s.push(".ctl");
    PathBuf::from(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_documented_request() {
        let cases = [
            r#"{"cmd":"deliver","from":"+8190","text":"hi"}"#,
            r#"{"cmd":"deliver","from":"Shop","text":"hi","encoding":"ucs2","class":1}"#,
            r#"{"cmd":"deliver_pdu","pdu":"00"}"#,
            r#"{"cmd":"status_report","mr":5,"status":0}"#,
            r#"{"cmd":"fault","kind":"hang","seconds":5}"#,
            r#"{"cmd":"fault","kind":"cms_error","code":500,"count":2}"#,
            r#"{"cmd":"fault","kind":"garbage","bytes":"xx"}"#,
            r#"{"cmd":"fault","kind":"silent_send","seconds":5}"#,
            r#"{"cmd":"reboot"}"#,
            r#"{"cmd":"unplug","seconds":3}"#,
            r#"{"cmd":"sim_full"}"#,
            r#"{"cmd":"sim_full","mem":"SR"}"#,
            r#"{"cmd":"network","registered":false}"#,
            r#"{"cmd":"set","delay_ms":10}"#,
            r#"{"cmd":"state"}"#,
        ];
        for c in cases {
            assert!(parse(c).is_ok(), "{c}");
        }
        assert_eq!(
            parse(r#"{"cmd":"fault","kind":"cms_error","code":42}"#).ok(),
            Some(Request::Fault(Fault::CmsError { code: 42, count: 1 }))
        );
    }

    #[test]
    fn bad_requests_get_an_error_object() {
        for c in [
            "",
            "{",
            "[]",
            r#"{"cmd":"fly"}"#,
            r#"{"cmd":"status_report","mr":300}"#,
        ] {
            let e = parse(c).expect_err(c);
            assert!(e["error"].is_string(), "{c}");
        }
    }
}
