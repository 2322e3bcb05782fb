//! The desk in a real browser: `app::start` with a simulated modem on a pseudo-terminal, a real
//! SQLite file, HTTP over loopback, and Debian's Chromium driven through chromedriver.
//!
//! One service and one browser go through the staff's day in order (log in, a customer texts
//! in, answer with a template, the counter, IME, STOP, CSRF, roles, Japanese), each step a
//! function named for what it shows. Nothing waits a fixed time: every wait is for an element
//! or a state, with a generous deadline so a broken build fails rather than hangs.
//!
//! With `SMSGATE_SCREENSHOTS=<dir>` the steps also save the main screens there as PNG
//! (`docs/screenshots/` is made this way; see README.md).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::time::Duration;

use fantoccini::{Client, Locator};
use serde_json::{Value, json};

use smsgate::app::Running;
use smsgate::desk::auth::hash_password;
use smsgate::sim::{Request, SimHandle};
use smsgate::store::Role;

mod common;
use common::browser::{self, Browser};
use common::service::start_with_sim;

const PATIENCE: Duration = Duration::from_secs(60);
const ADMIN_PW: &str = "admin-pass-123";
const AGENT_PW: &str = "agent-pass-456";
const THANKS: &str = "ありがとうございます。担当者より折り返しご連絡します。";

struct Desk {
    running: Option<Running>,
    sim: SimHandle,
    base: String,
    b: Browser,
    shots: Option<PathBuf>,
}

impl Desk {
    async fn start(name: &str, lang: &str) -> Desk {
        let extra = format!(
            "[support]\ntimezone = \"Asia/Tokyo\"\n\n[support.templates]\nthanks = {THANKS:?}\n"
        );
        let (running, sim, _dir) = start_with_sim(name, &extra).await;
        let (admin, agent) = (
            hash_password(ADMIN_PW).unwrap(),
            hash_password(AGENT_PW).unwrap(),
        );
        running
            .store
            .atomically(move |tx| {
                let now = jiff::Timestamp::now();
                tx.add_user("aiko", Role::Admin, &admin, now)?;
                tx.add_user("ken", Role::Agent, &agent, now)?;
                Ok(())
            })
            .await
            .unwrap();
        let base = format!("http://{}", running.addr);
        let b = Browser::start(lang).await;
        let shots = std::env::var_os("SMSGATE_SCREENSHOTS").map(PathBuf::from);
        Desk {
            running: Some(running),
            sim,
            base,
            b,
            shots,
        }
    }

    fn c(&self) -> &Client {
        &self.b.client
    }

    async fn goto(&self, path: &str) {
        self.c()
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap();
    }

    async fn wait_for(&self, css: &str) -> fantoccini::elements::Element {
        match self
            .c()
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await
        {
            Ok(e) => e,
            Err(e) => {
                let html = self.c().source().await.unwrap_or_default();
                panic!("never saw {css}: {e}\n--- page ---\n{html}");
            }
        }
    }

    async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.c().execute(script, args).await.unwrap()
    }

    /// Polls a script until it returns `true`.
    async fn until(&self, what: &str, script: &str) {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            if self.js(script, vec![]).await == json!(true) {
                return;
            }
            assert!(tokio::time::Instant::now() < deadline, "never: {what}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn shot(&self, name: &str) {
        if let Some(dir) = &self.shots {
            std::fs::create_dir_all(dir).unwrap();
            let png = self.c().screenshot().await.unwrap();
            std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
        }
    }

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

    async fn login(&self, user: &str, password: &str) {
        self.c().delete_all_cookies().await.unwrap();
        self.goto("/login").await;
        self.wait_for("input[name=username]")
            .await
            .send_keys(user)
            .await
            .unwrap();
        self.c()
            .find(Locator::Css("input[name=password]"))
            .await
            .unwrap()
            .send_keys(password)
            .await
            .unwrap();
        self.c()
            .find(Locator::Css("button[type=submit]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        self.wait_for("ul.convs").await;
    }

    /// The status of a request the page itself makes with `fetch`. The body is read, so the
    /// connection goes back to the browser's pool (six per host).
    async fn fetch_status(&self, method: &str, path: &str, body: &str, headers: Value) -> u16 {
        let v = self
            .c()
            .execute_async(
                "const [m, p, b, h, done] = arguments;
                 fetch(p, {method: m, body: b, headers: h, credentials: 'same-origin'})
                   .then(r => r.text().then(() => done(r.status)), e => done(-1));",
                vec![json!(method), json!(path), json!(body), headers],
            )
            .await
            .unwrap();
        v.as_u64().unwrap() as u16
    }

    /// Picks a language in the header's menu, as a person would (its change submits the form).
    async fn choose_lang(&self, code: &str) {
        self.c()
            .find(Locator::Css("select[name=lang]"))
            .await
            .unwrap()
            .select_by_value(code)
            .await
            .unwrap();
    }

    /// The thread link of `number`'s row, once the inbox lists it.
    async fn href_of(&self, number: &str) -> String {
        let script = format!(
            "const li = [...document.querySelectorAll('li.conv')].find(l => l.textContent.includes('{number}'));
             return li ? li.querySelector('a').getAttribute('href') : null;"
        );
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            if let Some(h) = self.js(&script, vec![]).await.as_str() {
                return h.to_owned();
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{number} never listed"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn stop(mut self) {
        let b = self.b;
        b.close().await;
        if let Some(r) = self.running.take() {
            r.shutdown().await;
        }
        self.sim.shutdown().await;
    }
}

fn csrf_header_script() -> &'static str {
    "return JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRF-Token'];"
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_desk_in_a_real_browser() {
    if let Some(why) = browser::unavailable() {
        eprintln!("skipped: {why}");
        return;
    }
    let d = Desk::start("desk_browser", "en").await;

    // Log in; the inbox is empty.
    d.login("aiko", ADMIN_PW).await;
    assert!(
        d.c()
            .current_url()
            .await
            .unwrap()
            .path()
            .starts_with("/inbox")
    );

    // A customer texts in: the thread appears in the open inbox without a reload, unread, with
    // the count in the title.
    d.until(
        "the live stream is open",
        "return document.body.dataset.liveReady === '1';",
    )
    .await;
    d.js("window.__marker = 'same page';", vec![]).await;
    d.deliver(
        "+819012345678",
        "予約を変更したいのですが、明日の15時は空いていますか？",
    )
    .await;
    let row = d.wait_for("li.conv.unread").await;
    let text = row.text().await.unwrap();
    assert!(text.contains("+819012345678"), "{text}");
    assert!(text.contains("予約を変更"), "{text}");
    assert_eq!(
        d.js("return window.__marker;", vec![]).await,
        json!("same page"),
        "the page reloaded"
    );
    d.until(
        "the title counts the unread message",
        "return document.title.startsWith('(1) ');",
    )
    .await;
    d.shot("inbox").await;

    // Open it and answer with a template picked with "/": the reply goes to delivered.
    row.find(Locator::Css("a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let ta = d.wait_for("#text").await;
    ta.send_keys("/than").await.unwrap();
    d.until(
        "the template menu offers /thanks",
        "return !document.getElementById('tpl-menu').hidden;",
    )
    .await;
    ta.send_keys("\u{E007}").await.unwrap(); // Enter picks the first template shown
    assert_eq!(
        d.js("return document.getElementById('text').value;", vec![])
            .await,
        json!(THANKS)
    );
    let counter = d
        .c()
        .find(Locator::Css("#counter"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(counter.contains("UCS-2"), "{counter}");
    let forced = d
        .c()
        .find(Locator::Css("#forced mark"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(forced, "あ", "the character that forced UCS-2 is marked");
    ta.send_keys("\u{E009}\u{E007}\u{E000}").await.unwrap(); // Ctrl+Enter sends
    d.wait_for(".msg.out .mstate[data-state=delivered]").await;
    let out = d
        .c()
        .find(Locator::Css(".msg.out .bubble"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(out, THANKS);
    let panel = d
        .c()
        .find(Locator::Css("#contact-panel"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        panel.contains("Conversations") && panel.contains("(Open)"),
        "the contact panel lists this conversation, still open: {panel}"
    );
    d.shot("thread").await;

    counter_agrees_with_the_server(&d).await;
    enter_during_ime_composition_does_not_send(&d).await;
    a_stopped_number_cannot_be_answered(&d).await;
    a_request_without_the_csrf_proof_is_refused(&d).await;
    japanese_ui_renders(&d).await;
    an_agent_cannot_open_the_rules_editor(&d).await;

    d.stop().await;
}

/// Every case of the shared table: the browser's counter gives the server's numbers.
async fn counter_agrees_with_the_server(d: &Desk) {
    let table: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/sms_counter.json"
        ))
        .unwrap(),
    )
    .map(|v: Value| {
        v["cases"]
            .as_array()
            .cloned()
            .unwrap_or_else(|| v.as_array().cloned().unwrap())
    })
    .unwrap();
    assert!(table.len() >= 20);
    for case in &table {
        let text = case["text"].as_str().unwrap();
        let server = smsgate::sms::count(text, &smsgate::sms::segment::Options::default());
        let js = d
            .js("return window.smsCount(arguments[0]);", vec![json!(text)])
            .await;
        let name = case["name"].as_str().unwrap();
        assert_eq!(js["parts"], json!(server.parts), "{name}: parts");
        assert_eq!(js["units"], json!(server.units), "{name}: units");
        assert_eq!(js["perPart"], json!(server.per_part), "{name}: per part");
        assert_eq!(
            js["alphabet"],
            json!(server.alphabet.name()),
            "{name}: alphabet"
        );
        let forced = server
            .forced_by
            .map(|(i, c)| json!({"index": i, "char": c.to_string()}));
        assert_eq!(
            js["forcedBy"],
            forced.unwrap_or(Value::Null),
            "{name}: forced by"
        );
    }
}

/// Enter (even Ctrl+Enter) while an IME is composing confirms the conversion; it never sends.
async fn enter_during_ime_composition_does_not_send(d: &Desk) {
    let before = d
        .js(
            "return document.querySelectorAll('.msg.out').length;",
            vec![],
        )
        .await;
    d.js(
        "const t = document.getElementById('text');
         t.focus(); t.value = 'よやく';
         t.dispatchEvent(new CompositionEvent('compositionstart', {bubbles: true, data: ''}));
         t.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', ctrlKey: true, isComposing: true, keyCode: 229, bubbles: true, cancelable: true}));
         t.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', ctrlKey: true, bubbles: true, cancelable: true}));
         t.dispatchEvent(new CompositionEvent('compositionend', {bubbles: true, data: '予約'}));",
        vec![],
    )
    .await;
    // Nothing left the page: no request is in flight and the text is still there.
    assert_eq!(
        d.js("return document.getElementById('text').value;", vec![])
            .await,
        json!("よやく")
    );
    assert_eq!(
        d.js(
            "return document.querySelectorAll('.htmx-request').length;",
            vec![]
        )
        .await,
        json!(0)
    );
    assert_eq!(
        d.js(
            "return document.querySelectorAll('.msg.out').length;",
            vec![]
        )
        .await,
        before
    );
    d.js("document.getElementById('text').value = '';", vec![])
        .await;
}

/// A number that sent STOP: the thread shows why and since when, and has no composer; a reply
/// posted anyway is refused by the server.
async fn a_stopped_number_cannot_be_answered(d: &Desk) {
    d.deliver("+818011112222", "STOP").await;
    d.goto("/inbox").await;
    let href = d.href_of("+818011112222").await;
    // The opt-out is processed with the message; wait until the thread says so.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        d.goto(&href).await;
        if d.c().find(Locator::Css(".consent-block")).await.is_ok() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the STOP never showed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        d.c().find(Locator::Css("#composer")).await.is_err(),
        "a composer for a STOP-ed number"
    );
    let block = d
        .c()
        .find(Locator::Css(".consent-block"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(block.contains("sms:in_"), "the block says why: {block}");
    let csrf = d.js(csrf_header_script(), vec![]).await;
    let status = d
        .fetch_status(
            "POST",
            &format!("{href}/reply"),
            "text=hello",
            json!({"Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": csrf}),
        )
        .await;
    assert_eq!(status, 200, "the composer comes back with the refusal");
    let html = d
        .c()
        .execute_async(
            "const [p, h, done] = arguments;
             fetch(p, {method: 'POST', body: 'text=hello', headers: h}).then(r => r.text()).then(done);",
            vec![json!(format!("{href}/reply")), json!({"Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": csrf})],
        )
        .await
        .unwrap();
    assert!(html.as_str().unwrap().contains("consent-block"), "{html}");
    d.shot("stopped").await;
}

/// A state change without the session's CSRF token is refused, though the cookie is sent.
async fn a_request_without_the_csrf_proof_is_refused(d: &Desk) {
    let href = d
        .js("return location.pathname;", vec![])
        .await
        .as_str()
        .unwrap()
        .to_owned();
    let status = d
        .fetch_status(
            "POST",
            &format!("{href}/state"),
            "state=closed",
            json!({"Content-Type": "application/x-www-form-urlencoded"}),
        )
        .await;
    assert_eq!(status, 403);
    let wrong = d
        .fetch_status(
            "POST",
            &format!("{href}/state"),
            "state=closed",
            json!({"Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": "0".repeat(64)}),
        )
        .await;
    assert_eq!(wrong, 403);
}

/// Choosing Japanese: the menu, the states and the composer speak it.
async fn japanese_ui_renders(d: &Desk) {
    d.goto("/inbox").await;
    d.choose_lang("ja").await;
    d.until(
        "the menu is in Japanese",
        "return document.querySelector('nav a').textContent === '受信箱';",
    )
    .await;
    assert_eq!(
        d.js("return document.documentElement.lang;", vec![]).await,
        json!("ja")
    );
    d.shot("inbox-ja").await;
    let href = d.href_of("+819012345678").await;
    d.goto(&href).await;
    let placeholder = d
        .wait_for("#text")
        .await
        .attr("placeholder")
        .await
        .unwrap()
        .unwrap();
    assert!(placeholder.contains("テンプレート"), "{placeholder}");
    d.shot("thread-ja").await;
    // Reloading a page must not wait for a connection (the streams of pages left behind
    // are closed).
    d.goto(&href).await;
    d.choose_lang("en").await;
    d.until(
        "back in English",
        "return document.querySelector('nav a').textContent === 'Inbox';",
    )
    .await;
}

/// An agent has no Rules menu entry, and the page itself refuses them.
async fn an_agent_cannot_open_the_rules_editor(d: &Desk) {
    d.login("ken", AGENT_PW).await;
    let nav = d
        .c()
        .find(Locator::Css("header nav"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!nav.contains("Rules"), "{nav}");
    d.goto("/rules").await;
    let body = d
        .c()
        .find(Locator::Css("body"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(body.contains("only an admin"), "{body}");
    let csrf = d.js("return document.cookie;", vec![]).await;
    assert_eq!(csrf, json!(""), "the session cookie is HttpOnly");
}

/// Not a test but a measurement (docs/benchmarks.md, "The desk"): from the simulator's `+CMTI`
/// to the row on the open inbox screen, over 20 messages from new numbers. The page stamps the
/// moment a row appears (a MutationObserver, `Date.now()`); the test stamps the deliver request,
/// which returns once the simulator has written `+CMTI`. Same machine, same clock.
/// `cargo test --release --test desk_browser -- --ignored --nocapture inbound_latency`
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn inbound_latency() {
    if let Some(why) = browser::unavailable() {
        eprintln!("skipped: {why}");
        return;
    }
    let d = Desk::start("desk_latency", "en").await;
    d.login("aiko", ADMIN_PW).await;
    d.until(
        "the live stream is open",
        "return document.body.dataset.liveReady === '1';",
    )
    .await;
    d.js(
        "window.__seen = {};
         new MutationObserver(() => {
           for (const li of document.querySelectorAll('li.conv')) {
             const who = li.querySelector('.who').textContent.trim();
             if (!(who in window.__seen)) window.__seen[who] = Date.now();
           }
         }).observe(document.getElementById('inbox-list'), {childList: true, subtree: true});",
        vec![],
    )
    .await;
    let mut ms = Vec::new();
    for i in 0..20 {
        let number = format!("+8190555{i:05}");
        let t0 = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as f64;
        d.deliver(&number, "latency").await;
        let script = format!("return window.__seen['{number}'] || null;");
        let deadline = tokio::time::Instant::now() + PATIENCE;
        let seen = loop {
            if let Some(t) = d.js(&script, vec![]).await.as_f64() {
                break t;
            }
            assert!(tokio::time::Instant::now() < deadline);
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        ms.push(seen - t0);
    }
    ms.sort_by(|a, b| a.total_cmp(b));
    println!(
        "inbound on the open inbox after +CMTI: p50 {:.0} ms, p90 {:.0} ms, max {:.0} ms (n = {})",
        ms[ms.len() / 2],
        ms[ms.len() * 9 / 10],
        ms[ms.len() - 1],
        ms.len()
    );
    d.stop().await;
}
