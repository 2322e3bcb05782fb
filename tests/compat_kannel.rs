//! Kannel's `sendsms` (`[compat.kannel]`) end to end: `app::start` with a pty simulator, the
//! real listener spoken to with raw HTTP over TCP (as curl, playSMS and Kannel speak it: one
//! request per connection, HTTP/1.1 and HTTP/1.0 without `Host`), the replies compared byte
//! for byte, and what the simulated modem sent read back from its `sent` list.
//!
//! No assertion is about how long something took; polling has a generous deadline only so a
//! broken build fails instead of hanging.

// A test unwraps its own fixtures; the lints guard the service's code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use smsgate::app::{self, Options, Running};
use smsgate::config::Config;
use smsgate::sim::{Request, SimHandle};

mod common;
use common::service::start_with_sim;
use common::{reassemble, temp_dir};

const PATIENCE: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_millis(100);
const TOKEN: &str = "monitoring-secret-0123";

struct Service {
    running: Option<Running>,
    sim: SimHandle,
    dir: PathBuf,
    kannel: SocketAddr,
}

/// A parsed reply: status, headers (lower-case names) and the exact body bytes.
#[derive(Debug)]
struct Reply {
    status: u16,
    headers: BTreeMap<String, String>,
    body: Vec<u8>,
}

impl Service {
    async fn start(name: &str) -> Service {
        Service::start_with(name, "").await
    }

    /// With more keys for `[compat.kannel]`.
    async fn start_with(name: &str, more: &str) -> Service {
        let extra = format!(
            "[[http.tokens]]\nname = \"nagios\"\ntoken = \"{TOKEN}\"\n\n\
             [queue]\nbackoff_initial_secs = 1\nbackoff_max_secs = 2\nmax_attempts = 3\n\n\
             [compat.kannel]\nlisten = \"127.0.0.1:0\"\n{more}"
        );
        let (running, sim, dir) = start_with_sim(name, &extra).await;
        let kannel = running.kannel_addr.expect("the kannel listener is up");
        let s = Service {
            running: Some(running),
            sim,
            dir,
            kannel,
        };
        s.wait_ready().await;
        s
    }

    /// Until the modem is ready and registered: "0: Accepted" needs one.
    async fn wait_ready(&self) {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let ready = self.running.as_ref().unwrap().modems.iter().all(|m| {
                let s = m.status();
                s.state == smsgate::modem::ModemState::Ready && s.health.registered
            });
            if ready {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the modem never got ready"
            );
            tokio::time::sleep(POLL).await;
        }
    }

    /// Sends `request` as is on a new connection and reads until the server closes it.
    async fn raw(&self, request: &[u8]) -> Reply {
        let mut conn = TcpStream::connect(self.kannel).await.unwrap();
        conn.write_all(request).await.unwrap();
        let mut buf = Vec::new();
        tokio::time::timeout(PATIENCE, conn.read_to_end(&mut buf))
            .await
            .expect("the server answers and closes")
            .unwrap();
        parse_reply(&buf)
    }

    /// GET `query` on the sendsms path, HTTP/1.1, `Connection: close`.
    async fn get(&self, query: &str) -> Reply {
        let req = format!(
            "GET /cgi-bin/sendsms?{query} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.kannel
        );
        self.raw(req.as_bytes()).await
    }

    /// The simulator's `sent` list reassembled: recipient -> whole texts.
    async fn sent(&self) -> BTreeMap<String, Vec<String>> {
        let v = self.sim.request(Request::State).await;
        assert_eq!(v["ok"], json!(true), "{v}");
        reassemble(&v["sent"])
    }

    async fn sent_raw(&self) -> Value {
        self.sim.request(Request::State).await["sent"].clone()
    }

    /// Waits until `number` got `n` texts; returns them.
    async fn wait_sent_to(&self, number: &str, n: usize) -> Vec<String> {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let got = self.sent().await.remove(number).unwrap_or_default();
            if got.len() >= n {
                return got;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{number} never got {n} texts: {got:#?} (db {})",
                self.dir.display()
            );
            tokio::time::sleep(POLL).await;
        }
    }

    /// A customer texts `text` in from `from`.
    async fn deliver(&self, from: &str, text: &str) {
        let v = self
            .sim
            .request(Request::Deliver {
                from: from.into(),
                text: text.into(),
                encoding: None,
                class: None,
            })
            .await;
        assert_eq!(v["ok"], json!(true), "{v}");
    }

    /// Once every `sms-service` call is recorded as made (a reply is queued in that same
    /// transaction), the texts of all outbound messages.
    async fn bodies_after_service_calls(&self) -> Vec<String> {
        let db = rusqlite::Connection::open(self.dir.join("smsgate.db")).unwrap();
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let open: i64 = db
                .query_row(
                    "SELECT COUNT(*) FROM webhook_events WHERE kind = 'kannel:service' \
                     AND state != 'delivered'",
                    [],
                    |r| r.get(0),
                )
                .unwrap();
            if open == 0 {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "calls never recorded"
            );
            tokio::time::sleep(POLL).await;
        }
        let mut stmt = db
            .prepare("SELECT body FROM outbound_messages ORDER BY seq")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            let _ = tokio::time::timeout(Duration::from_secs(3), r.shutdown()).await;
        }
        self.sim.shutdown().await;
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn parse_reply(buf: &[u8]) -> Reply {
    let split = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(buf)));
    let head = String::from_utf8(buf[..split].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    let status = status_line.split(' ').nth(1).unwrap().parse().unwrap();
    let headers = lines
        .map(|l| {
            let (k, v) = l.split_once(':').unwrap();
            (k.trim().to_ascii_lowercase(), v.trim().to_owned())
        })
        .collect::<BTreeMap<_, _>>();
    let mut body = buf[split + 4..].to_vec();
    if let Some(len) = headers.get("content-length") {
        body.truncate(len.parse().unwrap());
    }
    Reply {
        status,
        headers,
        body,
    }
}

/// Percent-encodes every byte (what a careful client does with UTF-16 bytes).
fn pct(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("%{b:02X}")).collect()
}

fn utf16be(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_be_bytes).collect()
}

/// The DCS octet of an SMS-SUBMIT PDU in hex (SMSC address first).
fn dcs_of(pdu_hex: &str) -> u8 {
    let b = hex::decode(pdu_hex).unwrap();
    let smsc = b[0] as usize;
    let mut i = 1 + smsc; // first octet
    i += 2; // first octet, TP-MR
    let digits = b[i] as usize;
    i += 2 + digits.div_ceil(2); // length, type, digits
    i += 1; // TP-PID
    b[i]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sendsms_answers_like_kannel_and_sends_once() {
    let s = Service::start("kannel").await;
    let auth = format!("username=nagios&password={TOKEN}");
    let japanese = "監視: ディスク残量が少なくなっています";

    // (name, query, status, exact body, recipient -> text it must get)
    let cases: Vec<(&str, String, u16, &str, Vec<(&str, String)>)> = vec![
        (
            "accepted",
            format!("{auth}&to=%2B819011110001&text=Disk+low"),
            202,
            "0: Accepted for delivery",
            vec![("+819011110001", "Disk low".into())],
        ),
        (
            "a raw + arrives as a space and is the international prefix",
            format!("user=nagios&pass={TOKEN}&to=+819011110002&text=hello"),
            202,
            "0: Accepted for delivery",
            vec![("+819011110002", "hello".into())],
        ),
        (
            "two recipients",
            format!("{auth}&to=%2B819011110003+%2B819011110004&text=both"),
            202,
            "Sent.",
            vec![
                ("+819011110003", "both".into()),
                ("+819011110004", "both".into()),
            ],
        ),
        (
            "coding=2 with a text GSM 7-bit could carry",
            format!("{auth}&to=%2B819011110010&coding=2&text=plain+ascii"),
            202,
            "0: Accepted for delivery",
            vec![("+819011110010", "plain ascii".into())],
        ),
        (
            "the same text without coding",
            format!("{auth}&to=%2B819011110011&text=plain+ascii"),
            202,
            "0: Accepted for delivery",
            vec![("+819011110011", "plain ascii".into())],
        ),
        (
            "UTF-16BE percent-encoded bytes",
            format!(
                "{auth}&to=%2B819011110005&charset=UTF-16BE&coding=2&text={}",
                pct(&utf16be(japanese))
            ),
            202,
            "0: Accepted for delivery",
            vec![("+819011110005", japanese.into())],
        ),
        (
            "wrong password",
            "username=nagios&password=wrong-password-000&to=%2B819011110009&text=x".into(),
            403,
            "Authorization failed for sendsms",
            vec![],
        ),
        (
            "a token under another name",
            format!("username=someone&password={TOKEN}&to=%2B819011110009&text=x"),
            403,
            "Authorization failed for sendsms",
            vec![],
        ),
        (
            "no password",
            "username=nagios&to=%2B819011110009&text=x".into(),
            403,
            "Authorization failed for sendsms",
            vec![],
        ),
        (
            "missing to",
            format!("{auth}&text=x"),
            400,
            "Missing receiver number, rejected",
            vec![],
        ),
        (
            "empty to",
            format!("{auth}&to=&text=x"),
            400,
            "Empty receiver number not allowed, rejected",
            vec![],
        ),
        (
            "priority out of range",
            format!("{auth}&to=%2B819011110009&text=x&priority=7"),
            400,
            "Priority field misformed, rejected",
            vec![],
        ),
        (
            "bad charset",
            format!("{auth}&to=%2B819011110009&text=x&charset=EBCDIC"),
            400,
            "Charset or body misformed, rejected",
            vec![],
        ),
        (
            "8-bit coding",
            format!("{auth}&to=%2B819011110009&text=x&coding=1"),
            400,
            "8-bit coding not supported, rejected",
            vec![],
        ),
        (
            "coding=2 past the parts limit (5 parts as 7-bit, 11 as UCS-2)",
            format!(
                "{auth}&to=%2B819011110009&coding=2&text={}",
                "a".repeat(700)
            ),
            400,
            "Message too long: 11 parts as UCS-2, at most 10, rejected",
            vec![],
        ),
        (
            "an https dlr-url (no TLS client)",
            format!("{auth}&to=%2B819011110009&text=x&dlr-mask=1&dlr-url=https%3A%2F%2Fa%2F"),
            400,
            "https DLR-URL not supported, rejected",
            vec![],
        ),
        (
            "a dlr-url too long",
            format!(
                "{auth}&to=%2B819011110009&text=x&dlr-mask=1&dlr-url=http%3A%2F%2Fa%2F{}",
                "x".repeat(2100)
            ),
            400,
            "DLR-URL field too long, rejected",
            vec![],
        ),
    ];
    let mut expected: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, query, status, body, sends) in &cases {
        let r = s.get(query).await;
        assert_eq!(r.status, *status, "{name}: {r:?}");
        assert_eq!(
            String::from_utf8_lossy(&r.body),
            *body,
            "{name}: exact body, no newline"
        );
        assert_eq!(
            r.headers.get("content-type").map(String::as_str),
            Some("text/html"),
            "{name}"
        );
        for (to, text) in sends {
            expected
                .entry((*to).to_owned())
                .or_default()
                .push(text.clone());
        }
    }

    // POST with a form body.
    let form = format!("{auth}&to=%2B819011110006&text=posted+form");
    let req = format!(
        "POST /cgi-bin/sendsms HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
        form.len()
    );
    let r = s.raw(req.as_bytes()).await;
    assert_eq!(
        (r.status, r.body.as_slice()),
        (202, &b"0: Accepted for delivery"[..])
    );
    expected
        .entry("+819011110006".into())
        .or_default()
        .push("posted form".into());

    // HTTP/1.0 without Host, as playSMS sends it.
    let req =
        format!("GET /cgi-bin/sendsms?{auth}&to=%2B819011110007&text=old+client HTTP/1.0\r\n\r\n");
    let r = s.raw(req.as_bytes()).await;
    assert_eq!(
        (r.status, r.body.as_slice()),
        (202, &b"0: Accepted for delivery"[..])
    );
    expected
        .entry("+819011110007".into())
        .or_default()
        .push("old client".into());

    // Everything accepted reaches the modem, exactly once, and nothing refused does.
    for (to, texts) in &expected {
        assert_eq!(&s.wait_sent_to(to, texts.len()).await, texts, "{to}");
    }
    assert_eq!(s.sent().await, expected);

    // The Japanese text and the ASCII one asked for with coding=2 went as UCS-2 (DCS 0x08);
    // the ASCII one without coding as GSM 7-bit (0x00).
    let sent = s.sent_raw().await;
    let dcs = |to: &str| -> Vec<u8> {
        sent.as_array()
            .unwrap()
            .iter()
            .filter(|p| p["to"] == to)
            .map(|p| dcs_of(p["pdu"].as_str().unwrap()) & 0x0C)
            .collect()
    };
    assert_eq!(dcs("+819011110005"), [0x08]);
    assert_eq!(dcs("+819011110010"), [0x08]);
    assert_eq!(dcs("+819011110011"), [0x00]);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_ready_modem_the_message_is_queued_for_later() {
    // No modem at all, no tokens (loopback): any user is `local`.
    let dir = temp_dir("kannel-queued");
    let text = format!(
        "[http]\nlisten = \"127.0.0.1:0\"\n\n[storage]\npath = {:?}\n\n\
         [compat.kannel]\nlisten = \"127.0.0.1:0\"\npath = \"/send\"\n",
        dir.join("smsgate.db").display().to_string(),
    );
    let config = Config::parse(&text, &dir.join("smsgate.toml")).unwrap();
    let running = app::start(Options {
        config,
        simulate: 0,
    })
    .await
    .unwrap();
    let addr = running.kannel_addr.unwrap();
    let mut conn = TcpStream::connect(addr).await.unwrap();
    conn.write_all(b"GET /send?to=%2B819011110008&text=later HTTP/1.0\r\n\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    tokio::time::timeout(PATIENCE, conn.read_to_end(&mut buf))
        .await
        .unwrap()
        .unwrap();
    let r = parse_reply(&buf);
    assert_eq!(r.status, 202, "{r:?}");
    assert_eq!(r.body, b"3: Queued for later delivery");
    let _ = tokio::time::timeout(Duration::from_secs(3), running.shutdown()).await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// One request a [`Hook`] got.
#[derive(Debug)]
struct Call {
    method: String,
    target: String,
    headers: BTreeMap<String, String>,
    body: String,
}

/// An HTTP receiver on loopback, as a Kannel application runs one: records each request and
/// answers `200` with the next of `answers` (an empty body once they run out).
struct Hook {
    addr: SocketAddr,
    calls: tokio::sync::mpsc::UnboundedReceiver<Call>,
}

impl Hook {
    async fn start(answers: &[&str]) -> Hook {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, calls) = tokio::sync::mpsc::unbounded_channel();
        let mut answers: std::collections::VecDeque<String> =
            answers.iter().map(|a| a.to_string()).collect();
        tokio::spawn(async move {
            while let Ok((mut c, _)) = listener.accept().await {
                let mut raw = Vec::new();
                let mut buf = [0u8; 4096];
                let (head, body) = loop {
                    match c.read(&mut buf).await {
                        Ok(0) | Err(_) => break (String::new(), String::new()),
                        Ok(n) => raw.extend_from_slice(&buf[..n]),
                    }
                    if let Some(i) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&raw[..i]).into_owned();
                        let len: usize = head
                            .lines()
                            .filter_map(|l| l.split_once(':'))
                            .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                            .and_then(|(_, v)| v.trim().parse().ok())
                            .unwrap_or(0);
                        while raw.len() < i + 4 + len {
                            match c.read(&mut buf).await {
                                Ok(0) | Err(_) => break,
                                Ok(n) => raw.extend_from_slice(&buf[..n]),
                            }
                        }
                        break (head, String::from_utf8_lossy(&raw[i + 4..]).into_owned());
                    }
                };
                let mut lines = head.lines();
                let first: Vec<String> = lines
                    .next()
                    .unwrap_or("")
                    .split(' ')
                    .map(str::to_owned)
                    .collect();
                let headers = lines
                    .filter_map(|l| l.split_once(':'))
                    .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
                    .collect();
                let answer = answers.pop_front().unwrap_or_default();
                let _ = c
                    .write_all(
                        format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n\
                             Content-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                            answer.len()
                        )
                        .as_bytes(),
                    )
                    .await;
                let _ = tx.send(Call {
                    method: first.first().cloned().unwrap_or_default(),
                    target: first.get(1).cloned().unwrap_or_default(),
                    headers,
                    body,
                });
            }
        });
        Hook { addr, calls }
    }

    async fn next(&mut self) -> Call {
        tokio::time::timeout(PATIENCE, self.calls.recv())
            .await
            .expect("the hook is called")
            .unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dlr_url_is_called_for_what_the_mask_asks() {
    let mut hook = Hook::start(&[]).await;
    let s = Service::start("kannel_dlr").await;
    let dlr = format!(
        "http://{}/dlr?type=%d&to=%p&from=%P&smsc=%i&id=%I&text=%A&time=%t&mr=%F&coding=%c",
        hook.addr
    );
    // dlr-mask 1 + 8: "sent" and "delivered"; the report of a message without a mask never.
    let r = s
        .get(&format!(
            "username=nagios&password={TOKEN}&to=%2B819012345678&text=disk+full&from=nagios\
             &dlr-mask=9&dlr-url={}",
            pct(dlr.as_bytes())
        ))
        .await;
    assert_eq!(
        (r.status, r.body.as_slice()),
        (202, b"0: Accepted for delivery".as_slice())
    );
    let r = s
        .get(&format!(
            "username=nagios&password={TOKEN}&to=%2B819011112222&text=no+mask&dlr-url={}",
            pct(dlr.as_bytes())
        ))
        .await;
    assert_eq!(r.status, 202);

    let mut types = Vec::new();
    for _ in 0..2 {
        let c = hook.next().await;
        assert_eq!(c.method, "GET");
        let q: BTreeMap<String, String> =
            form_urlencoded::parse(c.target.split_once('?').unwrap().1.as_bytes())
                .into_owned()
                .collect();
        assert_eq!(q["to"], "+819012345678", "{c:?}");
        assert_eq!(q["from"], "nagios");
        assert!(q["id"].starts_with("msg_"), "{q:?}");
        assert!(!q["smsc"].is_empty() && !q["mr"].is_empty(), "{q:?}");
        assert_eq!(q["coding"], "0");
        assert_eq!(q["time"].len(), "2026-12-06 22:13:20".len(), "{q:?}");
        types.push((q["type"].clone(), q["text"].clone()));
    }
    types.sort();
    assert_eq!(
        types,
        [
            ("1".to_owned(), "Delivered".to_owned()),
            ("8".to_owned(), "Sent".to_owned())
        ]
    );
    // Both messages went out, and nothing more was called.
    s.wait_sent_to("+819011112222", 1).await;
    assert!(hook.calls.try_recv().is_err());
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_sms_service_hears_each_message_and_its_answer_is_the_reply() {
    let mut hook = Hook::start(&["ご予約は明日10時です", "ignored"]).await;
    let url = format!(
        "http://{}/svc?from=%p&kw=%k&first=%s&rest=%r&all=%a&body=%b&smsc=%i&id=%I&coding=%c",
        hook.addr
    );
    let s = Service::start_with("kannel_service", &format!("get-url = \"{url}\"\n")).await;

    s.deliver("+819087654321", "予約 確認 明日 お願いします")
        .await;
    let c = hook.next().await;
    assert_eq!(c.method, "GET");
    let q: BTreeMap<String, String> =
        form_urlencoded::parse(c.target.split_once('?').unwrap().1.as_bytes())
            .into_owned()
            .collect();
    assert_eq!(q["from"], "+819087654321");
    assert_eq!(q["kw"], "予約");
    assert_eq!(q["first"], "確認");
    assert_eq!(q["rest"], "明日 お願いします");
    assert_eq!(q["all"], "予約 確認 明日 お願いします");
    assert_eq!(q["body"], "予約 確認 明日 お願いします");
    assert!(q["id"].starts_with("in_"));
    assert_eq!(q["coding"], "2");
    // The service's answer goes back to the sender.
    assert_eq!(
        s.wait_sent_to("+819087654321", 1).await,
        ["ご予約は明日10時です"]
    );

    // STOP is smsgate's own: the service hears it, its answer is not sent, the opt-out's
    // confirmation is.
    s.deliver("+819087654321", "STOP").await;
    let c = hook.next().await;
    assert!(c.target.contains("kw=STOP"), "{c:?}");
    let bodies = s.bodies_after_service_calls().await;
    assert_eq!(
        bodies.len(),
        2,
        "the answer and the confirmation: {bodies:?}"
    );
    assert!(!bodies.contains(&"ignored".to_owned()), "{bodies:?}");
    s.wait_sent_to("+819087654321", 2).await;
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_url_gets_the_text_as_the_body_and_replies_can_be_off() {
    let mut hook = Hook::start(&["not sent"]).await;
    let url = format!("http://{}/in?from=%p", hook.addr);
    let s = Service::start_with(
        "kannel_post",
        &format!("post-url = \"{url}\"\nreply = false\n"),
    )
    .await;
    s.deliver("+819087654321", "在庫ありますか").await;
    let c = hook.next().await;
    assert_eq!(c.method, "POST");
    assert_eq!(c.target, "/in?from=%2B819087654321");
    assert_eq!(c.body, "在庫ありますか");
    assert_eq!(c.headers["x-kannel-from"], "+819087654321");
    assert!(c.headers["content-type"].starts_with("text/plain"));
    // Once the call is recorded as made, no reply was queued with it.
    let bodies = s.bodies_after_service_calls().await;
    assert!(bodies.is_empty(), "{bodies:?}");
    s.stop().await;
}
