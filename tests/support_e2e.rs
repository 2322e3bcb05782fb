//! The support-line automation end to end: `app::start` with a `[support]` and
//! `[[rules]]` config parsed from TOML, a pty simulator per service, a real SQLite file and real
//! HTTP over loopback. Customers text in through the simulator (`Request::Deliver`); what they
//! get back is read from the simulator's `sent` list, and what staff see from the API.
//!
//! Business hours use the real clock, so "open" is every day 00:00-24:00 and "closed" is a
//! week with the local yesterday, today and tomorrow as holidays: never the time of day.
//!
//! No assertion is about how long something took; polling has a generous deadline only so a
//! broken build fails instead of hanging. "Nothing more was sent" is asserted without waiting
//! for a quiet period: processing an inbound message queues its replies in the same transaction
//! that counts it on the conversation (`unread`), so once the count moved, the conversation's
//! thread holds every message it will ever queue for it.

// A test unwraps its own fixtures; the lints guard the service's code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use hyper::{Method, StatusCode};
use jiff::Timestamp;
use serde_json::{Value, json};

use smsgate::app::{self, Options, Running};
use smsgate::config::Config;
use smsgate::sim::{Request, SimConfig, SimHandle, Simulator};

mod common;
use common::loopback::Api;
use common::{reassemble, temp_dir};

const PATIENCE: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_millis(100);

/// The built-in confirmations (`opt_out_confirm`, `opt_in_confirm`), not overridden here.
const OPT_OUT_CONFIRM: &str = "You will receive no more messages from us. Reply START to resume. \
     配信を停止しました。再開するには START と返信してください。";
const OPT_IN_CONFIRM: &str = "You will receive our messages again. Reply STOP to stop. \
     配信を再開しました。停止するには STOP と返信してください。";

const ACK_OPEN: &str = "Thank you, we will answer within the hour.";
const PRICE: &str = "Our prices: https://example.com/prices";
const ORDER: &str = "We are looking into your order.";
const BOT: &str = "Thank you for your message. This is an automatic reply.";

/// Templates every test config has.
const TEMPLATES: &str = r#"
[support.templates]
ack_open = "Thank you, we will answer within the hour."
ack_closed = "Thank you. We are open {hours} and will answer then."
price = "Our prices: https://example.com/prices"
order = "We are looking into your order."
bot = "Thank you for your message. This is an automatic reply."
"#;

/// Open around the clock, whatever the day.
const ALWAYS_OPEN: &str = r#"
[support.hours]
mon = ["00:00-24:00"]
tue = ["00:00-24:00"]
wed = ["00:00-24:00"]
thu = ["00:00-24:00"]
fri = ["00:00-24:00"]
sat = ["00:00-24:00"]
sun = ["00:00-24:00"]
"#;

/// `[support]` with the acknowledgements and the given hours (and other support keys), in the
/// Tokyo zone.
fn support(extra_keys: &str, hours: &str) -> String {
    format!(
        "[support]\ntimezone = \"Asia/Tokyo\"\nack_open = \"ack_open\"\n\
         ack_closed = \"ack_closed\"\n{extra_keys}\n{hours}\n{TEMPLATES}\n"
    )
}

/// A running service with its one simulator and an HTTP client.
struct Service {
    running: Option<Running>,
    config: Config,
    sim: SimHandle,
    dir: PathBuf,
    api: Api,
}

impl Service {
    /// Starts a service whose config is the basics, one simulated modem, then `extra` (the
    /// `[support]` section and `[[rules]]`).
    async fn start(name: &str, extra: &str) -> Service {
        let dir = temp_dir(name);
        let sim = Simulator::spawn(SimConfig::new(dir.join("modem0")))
            .await
            .unwrap();
        let text = format!(
            "[http]\nlisten = \"127.0.0.1:0\"\n\n[storage]\npath = {:?}\n\n\
             [queue]\nbackoff_initial_secs = 1\nbackoff_max_secs = 2\nmax_attempts = 3\n\n\
             [[modems]]\nname = \"m0\"\ndevice = {:?}\npoll_interval_secs = 30\n\n{extra}",
            dir.join("smsgate.db").display().to_string(),
            sim.link().display().to_string(),
        );
        let config = Config::parse(&text, &dir.join("smsgate.toml")).unwrap();
        let running = app::start(Options {
            config: config.clone(),
            simulate: 0,
        })
        .await
        .unwrap();
        assert!(running.addr.ip().is_loopback(), "{}", running.addr);
        let base = format!("http://{}", running.addr);
        let s = Service {
            running: Some(running),
            config,
            sim,
            dir,
            api: Api::new(base),
        };
        s.wait_ready().await;
        s
    }

    async fn wait_ready(&self) {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let (status, v) = self.json(Method::GET, "/api/v1/modems", None).await;
            assert_eq!(status, StatusCode::OK, "{v}");
            let ms = v.as_array().cloned().unwrap_or_default();
            if !ms.is_empty() && ms.iter().all(|m| m["state"] == "ready") {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "modems never got ready: {ms:?}"
            );
            tokio::time::sleep(POLL).await;
        }
    }

    /// Any request; the body parsed as JSON (`Null` when empty or not JSON).
    async fn raw(
        &self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> (StatusCode, Value) {
        self.api.raw(method, path, content_type, body).await
    }

    /// A JSON request (GET without a body).
    async fn json(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        self.api.json(method, path, body).await
    }

    /// A GET that must answer 200.
    async fn get(&self, path: &str) -> Value {
        let (status, v) = self.json(Method::GET, path, None).await;
        assert_eq!(status, StatusCode::OK, "GET {path}: {v}");
        v
    }

    /// A CSV import; status and body.
    async fn import(&self, query: &str, csv: &str) -> (StatusCode, Value) {
        self.raw(
            Method::POST,
            &format!("/api/v1/contacts/import{query}"),
            Some("text/csv"),
            csv.as_bytes().to_vec(),
        )
        .await
    }

    /// Polls the outbound message until its state is `want`.
    async fn wait_state(&self, id: &str, want: &str) -> Value {
        let finals = ["delivered", "failed", "expired", "cancelled", "unknown"];
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let m = self.get(&format!("/api/v1/messages/{id}")).await;
            let st = m["state"].as_str().unwrap_or_default();
            if st == want {
                return m;
            }
            assert!(
                !finals.contains(&st),
                "{id} settled as {st}, wanted {want}: {m:#}"
            );
            assert!(
                tokio::time::Instant::now() < deadline,
                "{id} never reached {want} (db {}): {m:#}",
                self.dir.display()
            );
            tokio::time::sleep(POLL).await;
        }
    }

    async fn sim(&self, req: Request) -> Value {
        let v = self.sim.request(req).await;
        assert_eq!(v["ok"], json!(true), "{v}");
        v
    }

    /// The simulator receives `text` from `from`, as from the network.
    async fn deliver(&self, from: &str, text: &str) {
        self.sim(Request::Deliver {
            from: from.to_owned(),
            text: text.to_owned(),
            encoding: None,
            class: None,
        })
        .await;
    }

    /// The simulator's raw `sent` list (one entry per part, in the order sent).
    async fn sent_raw(&self) -> Value {
        self.sim(Request::State).await["sent"].clone()
    }

    /// What the simulator sent, reassembled: recipient -> whole texts, in the order sent.
    async fn sent(&self) -> BTreeMap<String, Vec<String>> {
        reassemble(&self.sent_raw().await)
    }

    /// The texts the simulator sent to `number`.
    async fn sent_to(&self, number: &str) -> Vec<String> {
        self.sent().await.remove(number).unwrap_or_default()
    }

    /// Waits until the simulator sent at least `n` texts to `number`; returns them all.
    async fn wait_sent_to(&self, number: &str, n: usize) -> Vec<String> {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let got = self.sent_to(number).await;
            if got.len() >= n {
                return got;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{number} never got {n} texts: {got:#?}"
            );
            tokio::time::sleep(POLL).await;
        }
    }

    /// The conversation with `number`, if there is one.
    async fn conversation_of(&self, number: &str) -> Option<Value> {
        let v = self.get("/api/v1/conversations?limit=100").await;
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["number"] == number)
            .cloned()
    }

    /// How many of `number`'s messages were processed since a person last answered it.
    async fn unread(&self, number: &str) -> u64 {
        self.conversation_of(number)
            .await
            .map_or(0, |c| c["unread"].as_u64().unwrap())
    }

    /// The customer texts in; returns once the service processed the message (its
    /// conversation counted it), so every reply it causes is queued by then. Not for a number
    /// that a person answers concurrently (that resets the count).
    async fn text_in(&self, from: &str, text: &str) -> Value {
        let before = self.unread(from).await;
        self.deliver(from, text).await;
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            if let Some(c) = self.conversation_of(from).await
                && c["unread"].as_u64().unwrap() > before
            {
                return c;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{text:?} from {from} was never processed (db {})",
                self.dir.display()
            );
            tokio::time::sleep(POLL).await;
        }
    }

    /// The thread of conversation `id`.
    async fn thread(&self, id: &str) -> Value {
        self.get(&format!("/api/v1/conversations/{id}?limit=100"))
            .await
    }

    /// The texts queued to the conversation's number (the API's view, in order).
    async fn queued_to(&self, conv: &Value) -> Vec<String> {
        let t = self.thread(conv["id"].as_str().unwrap()).await;
        t["messages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["direction"] == "out")
            .map(|m| m["text"].as_str().unwrap().to_owned())
            .collect()
    }

    async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            let _ = tokio::time::timeout(Duration::from_secs(3), r.shutdown()).await;
        }
        self.sim.shutdown().await;
        // Kept when a test fails (its panic message names the database).
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// POST /api/v1/messages to an opted-out number: refused with `opted_out`.
async fn assert_refused_opted_out(s: &Service, to: &str) {
    let (status, v) = s
        .json(
            Method::POST,
            "/api/v1/messages",
            Some(json!({"to": to, "text": "Our autumn sale starts today"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["code"], "opted_out", "{v}");
}

/// The consent history of `number` as (opted_out, source) pairs, oldest first.
async fn consent_history(s: &Service, number: &str) -> (bool, Vec<(bool, String)>) {
    let v = s.get(&format!("/api/v1/consent/{number}")).await;
    let history = v["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["opted_out"].as_bool().unwrap(),
                h["source"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    (v["opted_out"].as_bool().unwrap(), history)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_opts_out_once_confirmed_and_start_opts_back_in() {
    let s = Service::start("stop", &support("", ALWAYS_OPEN)).await;
    let customer = "+819012340001";

    // Full-width STOP opts out and is confirmed.
    let conv = s.text_in(customer, "ＳＴＯＰ").await;
    assert_eq!(s.queued_to(&conv).await, [OPT_OUT_CONFIRM]);
    // A second stop changes nothing and is not confirmed again.
    let conv = s.text_in(customer, "stop").await;
    assert_eq!(
        s.queued_to(&conv).await,
        [OPT_OUT_CONFIRM],
        "a repeated STOP is not confirmed again"
    );
    assert_eq!(s.wait_sent_to(customer, 1).await, [OPT_OUT_CONFIRM]);

    // Staff (or a campaign system) can no longer text the number.
    assert_refused_opted_out(&s, customer).await;
    let (opted_out, history) = consent_history(&s, customer).await;
    assert!(opted_out);
    assert_eq!(history.len(), 1, "one change: {history:?}");
    assert!(history[0].0);
    assert!(history[0].1.starts_with("sms:in_"), "{history:?}");

    // START opts back in, with one confirmation; a later message goes through.
    let conv = s.text_in(customer, "START").await;
    assert_eq!(s.queued_to(&conv).await, [OPT_OUT_CONFIRM, OPT_IN_CONFIRM]);
    let (opted_out, history) = consent_history(&s, customer).await;
    assert!(!opted_out);
    assert_eq!(history.len(), 2, "{history:?}");
    assert!(!history[1].0);
    assert!(history[1].1.starts_with("sms:in_"), "{history:?}");
    assert_ne!(history[0].1, history[1].1, "each change names its message");
    let (status, v) = s
        .json(
            Method::POST,
            "/api/v1/messages",
            Some(json!({"to": customer, "text": "Welcome back"})),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{v}");
    s.wait_state(v["id"].as_str().unwrap(), "delivered").await;
    // The refused message never went; each confirmation went once, in order.
    assert_eq!(
        s.sent_to(customer).await,
        [OPT_OUT_CONFIRM, OPT_IN_CONFIRM, "Welcome back"]
    );

    // 配信停止 opts out too.
    let other = "+819012340002";
    let conv = s.text_in(other, "配信停止").await;
    assert_eq!(s.queued_to(&conv).await, [OPT_OUT_CONFIRM]);
    assert_refused_opted_out(&s, other).await;
    let (opted_out, history) = consent_history(&s, other).await;
    assert!(opted_out, "{history:?}");
    assert_eq!(s.wait_sent_to(other, 1).await, [OPT_OUT_CONFIRM]);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledgement_differs_inside_and_outside_hours_and_comes_once_per_conversation() {
    // Closed: weekday office hours, with the local yesterday, today and tomorrow as holidays.
    let today = Timestamp::now().in_tz("Asia/Tokyo").unwrap().date();
    let holidays: Vec<String> = [today.yesterday(), Ok(today), today.tomorrow()]
        .into_iter()
        .map(|d| format!("{:?}", d.unwrap().to_string()))
        .collect();
    let closed_cfg = support(
        &format!("holidays = [{}]", holidays.join(", ")),
        "[support.hours]\nmon = [\"09:00-18:00\"]\ntue = [\"09:00-18:00\"]\n\
         wed = [\"09:00-18:00\"]\nthu = [\"09:00-18:00\"]\nfri = [\"09:00-18:00\"]\n",
    );
    let open_cfg = support("", ALWAYS_OPEN);
    let (open, closed) = tokio::join!(
        Service::start("ack-open", &open_cfg),
        Service::start("ack-closed", &closed_cfg),
    );
    let hours = closed.config.support.business_hours().describe();
    assert!(hours.contains("09:00"), "{hours}");
    let ack_closed = format!("Thank you. We are open {hours} and will answer then.");

    for (s, want) in [(&open, ACK_OPEN.to_owned()), (&closed, ack_closed)] {
        let customer = "+819055550001";
        let conv = s.text_in(customer, "Hello, is my parcel on its way?").await;
        assert_eq!(s.queued_to(&conv).await, [want.as_str()]);
        // A second message in the same conversation: no second acknowledgement.
        let conv = s.text_in(customer, "It was order 4711").await;
        assert_eq!(s.queued_to(&conv).await, [want.as_str()]);
        assert_eq!(s.wait_sent_to(customer, 1).await, [want]);
    }
    open.stop().await;
    closed.stop().await;
}

/// Rules for [`keyword_and_regex_rules_answer_and_a_human_rule_flags_without_acknowledging`].
const RULES: &str = r#"
[[rules]]
name = "price"
keywords = ["料金", "price"]
actions = [{ reply = { template = "price" } }, { tag = { tag = "sales" } }]

[[rules]]
name = "order"
regex = '(?i)(order|注文)\s*#?\s*\d{4,}'
actions = [{ reply = { template = "order" } }]

[[rules]]
name = "complaint"
regex = '(?i)complaint|苦情'
actions = [{ tag = { tag = "complaint" } }, "needs_human", "stop"]
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyword_and_regex_rules_answer_and_a_human_rule_flags_without_acknowledging() {
    let s = Service::start("rules", &format!("{}{RULES}", support("", ALWAYS_OPEN))).await;
    // (from, text, what the customer gets)
    let cases: &[(&str, &str, &[&str])] = &[
        // Keywords are the first word, in any width and case.
        ("+819020000001", "料金　いくらですか？", &[PRICE]),
        ("+819020000002", "PRICE?", &[PRICE]),
        ("+819020000003", "ｐｒｉｃｅ list please", &[PRICE]),
        ("+819020000004", "Where is my Order #12345?", &[ORDER]),
        ("+819020000005", "注文 98765 はいつ届きますか", &[ORDER]),
        // No rule: the acknowledgement.
        ("+819020000006", "Do you ship abroad?", &[ACK_OPEN]),
        // needs_human + stop: flagged, and nothing automatic (no acknowledgement either).
        ("+819020000007", "苦情があります。返金してください", &[]),
    ];
    for (from, text, want) in cases {
        let conv = s.text_in(from, text).await;
        assert_eq!(s.queued_to(&conv).await, *want, "{from}: {text}");
    }
    for (from, _, want) in cases {
        if !want.is_empty() {
            assert_eq!(s.wait_sent_to(from, want.len()).await, *want, "{from}");
        }
    }

    let v = s.get("/api/v1/conversations?state=needs_human").await;
    let items = v["items"].as_array().unwrap();
    let numbers: Vec<&str> = items
        .iter()
        .map(|c| c["number"].as_str().unwrap())
        .collect();
    assert_eq!(numbers, ["+819020000007"], "{v:#}");
    assert_eq!(items[0]["tags"], json!(["complaint"]), "{v:#}");
    let price = s.conversation_of("+819020000002").await.unwrap();
    assert_eq!(price["tags"], json!(["sales"]), "{price:#}");

    // Everything sent went to the customers who were answered, once each.
    let sent = s.sent().await;
    let want: BTreeMap<String, Vec<String>> = cases
        .iter()
        .filter(|(_, _, w)| !w.is_empty())
        .map(|(from, _, w)| (from.to_string(), w.iter().map(|t| t.to_string()).collect()))
        .collect();
    assert_eq!(sent, want);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ping_pong_with_another_auto_responder_is_cut_and_handed_to_a_person() {
    let cfg = format!(
        "{}\n[support.guard]\nmax_auto_replies = 5\nwindow_secs = 3600\n\
         pingpong_rounds = 3\npingpong_gap_secs = 3600\n\n\
         [[rules]]\nname = \"bot\"\nany = true\nactions = [{{ reply = {{ template = \"bot\" }} }}]\n",
        support("", ALWAYS_OPEN)
    );
    let s = Service::start("pingpong", &cfg).await;
    let other = "+819077770001";
    // The other auto-responder answers each of our replies as soon as it arrives. By
    // guard::check, our reply to its k-th message is refused once its last 3 messages each came
    // within the gap of one of our replies: messages 1 to 3 are answered (message 1 followed no
    // reply), message 4 is not. The flood limit (5) is not reached first. The gap is an hour,
    // not a minute: "as soon as it arrives" is as soon as the test gets to it, which on a
    // loaded machine must never be mistaken for a person answering later.
    let mut conv = Value::Null;
    for k in 1..=5 {
        conv = s
            .text_in(
                other,
                &format!("Auto-reply: we received your message ({k})."),
            )
            .await;
        let replies = s.queued_to(&conv).await.len();
        assert_eq!(replies, k.min(3), "after message {k}");
        if k <= 3 {
            // Its next message answers our reply, once that reached it.
            s.wait_sent_to(other, k).await;
        }
        if k == 4 {
            assert_eq!(conv["state"], "needs_human", "{conv:#}");
            assert_eq!(conv["tags"], json!(["auto_reply_loop"]), "{conv:#}");
        }
    }
    // Still with a person after the message that came after the cut.
    assert_eq!(conv["state"], "needs_human", "{conv:#}");
    assert_eq!(s.queued_to(&conv).await, [BOT, BOT, BOT]);
    assert_eq!(s.sent_to(other).await, [BOT, BOT, BOT]);
    let v = s
        .get("/api/v1/conversations?state=needs_human&tag=auto_reply_loop")
        .await;
    assert_eq!(v["items"][0]["number"], other, "{v:#}");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn support_replies_overtake_a_bulk_campaign_of_500() {
    let s = Service::start("bulk", &support("", ALWAYS_OPEN)).await;
    let member = |i: usize| format!("+8190300{i:05}");
    let name = |i: usize| format!("Member {i:03}");
    let mut csv = String::from("number,name,groups\n");
    for i in 0..500 {
        csv.push_str(&format!("{},{},members\n", member(i), name(i)));
    }
    let customer = "+819088880001";
    csv.push_str(&format!("{customer},Aiko Tanaka,customers\n"));
    let (status, v) = s.import("", &csv).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["created"], 501, "{v}");

    let (status, campaign) = s
        .json(
            Method::POST,
            "/api/v1/bulk",
            // 20 a second: the campaign's last message is not due before 24.95 s from now,
            // whatever the speed of the machine, so the customer's message and the person's
            // reply (a few requests) surely arrive while it still runs.
            Some(json!({
                "group": "members",
                "text": "Hi {name}, our summer sale starts today.",
                "rate_per_minute": 1200,
            })),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{campaign}");
    assert_eq!(campaign["recipients"], 500, "{campaign}");
    let campaign_id = campaign["id"].as_str().unwrap();

    // While the campaign goes out, the customer texts in and a person answers.
    let conv = s.text_in(customer, "My delivery did not arrive").await;
    let staff = "Hello Aiko, we are sending a new parcel today.";
    let (status, reply) = s
        .json(
            Method::POST,
            &format!(
                "/api/v1/conversations/{}/reply",
                conv["id"].as_str().unwrap()
            ),
            Some(json!({"text": staff})),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{reply}");
    let at_reply = s.get(&format!("/api/v1/bulk/{campaign_id}")).await;

    // The whole campaign goes out.
    let deadline = tokio::time::Instant::now() + PATIENCE * 2;
    let done = loop {
        let c = s.get(&format!("/api/v1/bulk/{campaign_id}")).await;
        if c["states"]["delivered"] == 500 {
            break c;
        }
        assert!(tokio::time::Instant::now() < deadline, "{c:#}");
        tokio::time::sleep(POLL).await;
    };
    assert_eq!(done["states"], json!({"delivered": 500}), "{done:#}");
    assert_eq!(done["state"], "created", "{done:#}");
    s.wait_state(reply["id"].as_str().unwrap(), "delivered")
        .await;

    // The acknowledgement and the person's reply went before the campaign's last message.
    let raw = s.sent_raw().await;
    let raw = raw.as_array().unwrap();
    let position = |to: &str, text: &str| {
        raw.iter()
            .position(|p| p["to"] == to && p["text"] == text)
            .unwrap_or_else(|| panic!("{text:?} to {to} not sent"))
    };
    let last_bulk = raw
        .iter()
        .rposition(|p| p["to"] != customer)
        .expect("the campaign was sent");
    let ack = position(customer, ACK_OPEN);
    let staff_at = position(customer, staff);
    assert!(
        ack < last_bulk && staff_at < last_bulk,
        "acknowledgement at {ack}, staff reply at {staff_at}, the campaign's last message at \
         {last_bulk}; campaign when the reply was queued: {at_reply:#}"
    );

    // Every member got its own name, once.
    let sent = s.sent().await;
    for i in 0..500 {
        assert_eq!(
            sent.get(&member(i)).map(Vec::as_slice),
            Some(&[format!("Hi {}, our summer sale starts today.", name(i))][..]),
            "{}",
            member(i)
        );
    }
    assert_eq!(sent[customer], [ACK_OPEN, staff]);
    assert_eq!(sent.len(), 501);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csv_import_reports_bad_lines_and_imports_nothing_unless_told_to_skip() {
    let s = Service::start("import", &support("", ALWAYS_OPEN)).await;
    let csv = "number,name,groups\n\
               +819040000001,Ken Sato,members\n\
               not a number,Bad Row,members\n\
               +819040000002,Yui Ito,members\n\
               +819040000001,Ken Again,members\n";
    let (status, v) = s.import("", csv).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["code"], "invalid_rows", "{v}");
    let lines: Vec<u64> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [3, 5], "{v:#}");
    let contacts = s.get("/api/v1/contacts").await;
    assert_eq!(
        contacts["items"],
        json!([]),
        "nothing imported: {contacts:#}"
    );

    let (status, v) = s.import("?mode=skip_invalid", csv).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["imported"], 2, "{v}");
    let lines: Vec<u64> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [3, 5], "{v:#}");
    let contacts = s.get("/api/v1/contacts").await;
    let got: Vec<(&str, &str)> = contacts["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["number"].as_str().unwrap(), c["name"].as_str().unwrap()))
        .collect();
    assert_eq!(
        got,
        [("+819040000001", "Ken Sato"), ("+819040000002", "Yui Ito")]
    );
    s.stop().await;
}

const PROMPTS: &str = r#"
[[prompts]]
name = "csat"
kind = "csat"
text = "本日の対応はいかがでしたか？ 1(不満)〜5(満足)でご返信ください。"
thanks = "ご回答ありがとうございました。"
low = { below = 3, text = "ご不便をおかけしました。担当者よりご連絡します。", needs_human = true }
window_secs = 86400

[[prompts]]
name = "appointment"
kind = "choice"
text = "{name}様 {field.date} のご予約です。1: 確定 2: 変更希望"
choices = { "1" = "confirmed", "2" = "reschedule" }
on = { reschedule = { needs_human = true, text = "担当者よりご連絡します。" } }
window_secs = 172800
"#;

const SURVEY: &str = "本日の対応はいかがでしたか？ 1(不満)〜5(満足)でご返信ください。";
const THANKS: &str = "ご回答ありがとうございました。";
const SORRY: &str = "ご不便をおかけしました。担当者よりご連絡します。";

impl Service {
    /// The customer texts `text` to prompt `id` and the service reads it: returns the prompt.
    async fn answer(&self, id: &str, from: &str, text: &str) -> Value {
        self.deliver(from, text).await;
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let p = self.get(&format!("/api/v1/prompts/sent/{id}")).await;
            if p["state"] != "waiting" {
                return p;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "never answered: {p:#}"
            );
            tokio::time::sleep(POLL).await;
        }
    }

    /// The texts of the messages queued to `number`, oldest first (sent or not).
    async fn texts_to(&self, number: &str) -> Vec<String> {
        let v = self
            .get(&format!(
                "/api/v1/messages?to={}",
                number.replace('+', "%2B")
            ))
            .await;
        let mut texts: Vec<String> = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["text"].as_str().unwrap().to_owned())
            .collect();
        texts.reverse();
        texts
    }

    /// Posts prompt `name` to `to`; waits until the question is delivered; the prompt's id.
    async fn ask(&self, name: &str, to: &str, reference: &str) -> String {
        let (status, v) = self
            .json(
                Method::POST,
                &format!("/api/v1/prompts/{name}/send"),
                Some(json!({"to": to, "ref": reference})),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{v}");
        assert_eq!(v["ref"], reference, "{v}");
        self.wait_state(v["message"].as_str().unwrap(), "delivered")
            .await;
        v["id"].as_str().unwrap().to_owned()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn surveys_and_reminders_are_answered_followed_up_and_tallied() {
    let extra = format!(
        "{}{PROMPTS}",
        support("survey_on_close = \"csat\"", ALWAYS_OPEN)
    );
    let s = Service::start("prompts", &extra).await;

    // A customer writes, is acknowledged, and staff close the conversation: one survey.
    let aiko = "+819011112222";
    let conv = s.text_in(aiko, "荷物が届きません").await;
    let id = conv["id"].as_str().unwrap();
    for _ in 0..2 {
        let (status, v) = s
            .json(
                Method::PATCH,
                &format!("/api/v1/conversations/{id}"),
                Some(json!({"state": "closed", "assignee": "sato"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{v}");
    }
    s.wait_sent_to(aiko, 2).await;
    assert_eq!(s.texts_to(aiko).await, [ACK_OPEN, SURVEY], "one survey");
    let survey: String = rusqlite::Connection::open(s.dir.join("smsgate.db"))
        .unwrap()
        .query_row(
            "SELECT id FROM prompts_sent WHERE number = ?1",
            [aiko],
            |r| r.get(0),
        )
        .unwrap();
    let question = s.get(&format!("/api/v1/prompts/sent/{survey}")).await;
    s.wait_state(question["message"].as_str().unwrap(), "delivered")
        .await;

    // A full-width 5: answered, thanked once, not acknowledged, the conversation left closed.
    let p = s.answer(&survey, aiko, "５").await;
    assert_eq!(
        (p["state"].clone(), p["score"].clone()),
        (json!("answered"), json!(5)),
        "{p:#}"
    );
    assert_eq!(p["assignee"], "sato", "{p:#}");
    assert_eq!(s.texts_to(aiko).await, [ACK_OPEN, SURVEY, THANKS]);
    assert_eq!(s.conversation_of(aiko).await.unwrap()["state"], "closed");

    // A 2: the apology, and a person looks.
    let ken = "+819033334444";
    let asked = s.ask("csat", ken, "call-2026-1207-01").await;
    let p = s.answer(&asked, ken, "2です").await;
    assert_eq!(p["score"], 2, "{p:#}");
    assert_eq!(s.texts_to(ken).await, [SURVEY, SORRY]);
    let ken_conv = s.conversation_of(ken).await.unwrap();
    assert_eq!(ken_conv["state"], "needs_human");
    // Resolved and closed: not surveyed again within the survey's window.
    let (status, v) = s
        .json(
            Method::PATCH,
            &format!("/api/v1/conversations/{}", ken_conv["id"].as_str().unwrap()),
            Some(json!({"state": "closed"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(s.texts_to(ken).await, [SURVEY, SORRY]);

    // A reminder rendered with the contact's fields, answered "2": reschedule, a person looks.
    let (status, v) = s
        .import(
            "",
            "number,name,date\n+819055556666,Aiko Tanaka,12/24 10:00\n",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let yui = "+819055556666";
    let asked = s.ask("appointment", yui, "crm-42").await;
    let p = s.answer(&asked, yui, "２").await;
    assert_eq!(p["choice"], "reschedule", "{p:#}");
    assert_eq!(
        s.texts_to(yui).await,
        [
            "Aiko Tanaka様 12/24 10:00 のご予約です。1: 確定 2: 変更希望",
            "担当者よりご連絡します。"
        ]
    );
    assert_eq!(
        s.conversation_of(yui).await.unwrap()["state"],
        "needs_human"
    );

    // A campaign may ask a prompt: each recipient's answer is read the same way.
    let mio = "+819077778888";
    let (status, v) = s
        .json(
            Method::POST,
            "/api/v1/bulk",
            Some(json!({"to": [mio], "prompt": "csat", "name": "survey"})),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{v}");
    let (asked, message): (String, String) = rusqlite::Connection::open(s.dir.join("smsgate.db"))
        .unwrap()
        .query_row(
            "SELECT id, message_id FROM prompts_sent WHERE number = ?1",
            [mio],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    s.wait_state(&message, "delivered").await;
    // Out of range: asked again (the question once more), no acknowledgement.
    s.deliver(mio, "6点").await;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while s.texts_to(mio).await.len() < 2 {
        assert!(tokio::time::Instant::now() < deadline, "never asked again");
        tokio::time::sleep(POLL).await;
    }
    assert_eq!(s.texts_to(mio).await, [SURVEY, SURVEY]);
    let p = s.answer(&asked, mio, "5").await;
    assert_eq!(p["score"], 5, "{p:#}");
    assert_eq!(p["ref"], v["id"], "the campaign is its ref: {p:#}");

    // Prompts managed through the API: all or nothing, a bad one named; then in force.
    let nps = json!({"name": "nps", "kind": "nps", "text": "友人に勧めますか？ 0〜10でお答えください。",
                     "window_secs": 3600});
    let bad = json!({"name": "broken", "kind": "choice", "text": "?", "window_secs": 60});
    let (status, v) = s
        .json(
            Method::PUT,
            "/api/v1/prompts",
            Some(json!({"prompts": [nps, bad]})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("broken"),
        "{v}"
    );
    let (status, v) = s
        .json(
            Method::PUT,
            "/api/v1/prompts",
            Some(json!({"prompts": [nps]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["api"], json!(["nps"]), "{v}");
    assert_eq!(v["prompts"].as_array().unwrap().len(), 3, "{v}");
    let ren = "+819099990000";
    let asked = s.ask("nps", ren, "visit-7").await;
    let p = s.answer(&asked, ren, "１０点").await;
    assert_eq!(
        (p["kind"].clone(), p["score"].clone()),
        (json!("nps"), json!(10)),
        "{p:#}"
    );

    // Tallied per local day (the days around today, should the test straddle midnight).
    let today = jiff::tz::TimeZone::get("Asia/Tokyo")
        .unwrap()
        .to_datetime(Timestamp::now())
        .date();
    let (from, to) = (today.yesterday().unwrap(), today.tomorrow().unwrap());
    let r = s
        .get(&format!("/api/v1/reports/prompts?from={from}&to={to}"))
        .await;
    let csat = r["prompts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "csat")
        .unwrap();
    let sum = |field: &str| -> u64 {
        csat["days"]
            .as_object()
            .unwrap()
            .values()
            .map(|d| d[field].as_u64().unwrap())
            .sum()
    };
    assert_eq!((sum("sent"), sum("answered")), (3, 3), "{r:#}");
    assert_eq!(csat["staff"]["sato"]["answered"], 1, "{r:#}");
    s.stop().await;
}
