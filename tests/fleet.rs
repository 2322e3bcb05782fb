//! Two appliances in a fleet on a real `nats-server -js` (Debian's, started here on a free
//! loopback port with its own store directory), each `app::start` with a simulated modem on a
//! pty and its own SQLite file; the central app is played by the test with the async-nats
//! client. Skipped, with a note, where `nats-server` is not installed (`.ci/run` installs it).
//!
//! No assertion is about how long something took; waits have a generous deadline only so a
//! broken build fails instead of hanging.

#![allow(clippy::unwrap_used, clippy::expect_used)]
#![cfg(feature = "fleet")]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use async_nats::jetstream;
use serde_json::{Value, json};

use smsgate::app::Running;
use smsgate::sim::{Request, SimHandle};

mod common;
use common::nats::Hub;
use common::reassemble;
use common::service::start_with_sim;

const PATIENCE: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_millis(100);

struct Appliance {
    running: Running,
    sim: SimHandle,
    dir: PathBuf,
}

impl Appliance {
    async fn start(name: &str, hub: &Hub, site: &str, device: &str) -> Appliance {
        Appliance::start_with(name, hub, site, device, "").await
    }

    /// With more `[fleet]` keys.
    async fn start_with(name: &str, hub: &Hub, site: &str, device: &str, more: &str) -> Appliance {
        let extra = format!(
            "[fleet]\nurl = \"{}\"\nsite = \"{site}\"\ndevice = \"{device}\"\n{more}",
            hub.url
        );
        let (running, sim, dir) = start_with_sim(name, &extra).await;
        let a = Appliance { running, sim, dir };
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let st = a.running.store.fleet_status().await.unwrap();
            let ready = a.running.modems.iter().all(|m| {
                let s = m.status();
                s.state == smsgate::modem::ModemState::Ready && s.health.registered
            });
            if ready && st.link.as_ref().is_some_and(|l| l.0 == "connected") {
                return a;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{name} never linked: {st:?}"
            );
            tokio::time::sleep(POLL).await;
        }
    }

    async fn sent(&self) -> BTreeMap<String, Vec<String>> {
        reassemble(&self.sim.request(Request::State).await["sent"])
    }

    async fn stop(self) {
        let _ = tokio::time::timeout(Duration::from_secs(5), self.running.shutdown()).await;
        self.sim.shutdown().await;
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Publishes a send as the central app does: the API's body, the client's id as Nats-Msg-Id.
/// Returns whether the hub took it as a duplicate.
async fn publish(js: &jetstream::Context, subject: &str, id: &str, body: Value) -> bool {
    let mut headers = async_nats::HeaderMap::new();
    headers.insert(async_nats::header::NATS_MESSAGE_ID, id);
    js.publish_with_headers(subject.to_owned(), headers, body.to_string().into())
        .await
        .unwrap()
        .await
        .unwrap()
        .duplicate
}

/// Every text each appliance's modem sent, once all of `want` texts went out somewhere.
async fn wait_sent(apps: &[&Appliance], want: usize) -> Vec<BTreeMap<String, Vec<String>>> {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let mut all = Vec::new();
        for a in apps {
            all.push(a.sent().await);
        }
        let n: usize = all.iter().flat_map(|m| m.values()).map(Vec::len).sum();
        if n >= want {
            return all;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {n} of {want} sent: {all:?}"
        );
        tokio::time::sleep(POLL).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_spread_over_the_fleet_once_each_and_site_sends_stay_on_their_site() {
    let dir = common::temp_dir("fleet_hub");
    let Some(hub) = Hub::start(&dir).await else {
        return;
    };
    let osaka = Appliance::start("fleet_osaka", &hub, "osaka", "pi-1").await;
    let kyoto = Appliance::start("fleet_kyoto", &hub, "kyoto", "pi-2").await;
    let js = jetstream::new(async_nats::connect(&hub.url).await.unwrap());

    // Sends no appliance could send are dropped with an error in the log, and never stop the
    // link: not JSON, and one to a number that opted out at osaka.
    osaka
        .running
        .store
        .set_consent("+818099999999", true, "test", jiff::Timestamp::now())
        .await
        .unwrap();
    let mut headers = async_nats::HeaderMap::new();
    headers.insert(async_nats::header::NATS_MESSAGE_ID, "bad-1");
    js.publish_with_headers("sms.out.site.osaka", headers, "not json".into())
        .await
        .unwrap()
        .await
        .unwrap();
    let stopped = json!({"to": ["+818099999999"], "text": "to a stopped number"});
    assert!(!publish(&js, "sms.out.site.osaka", "stopped-1", stopped).await);
    // Without an id nothing could keep it from going out twice.
    let anonymous = json!({"to": ["+818011111111"], "text": "without an id"});
    js.publish("sms.out.site.osaka", anonymous.to_string().into())
        .await
        .unwrap()
        .await
        .unwrap();

    const ANY: usize = 40;
    for i in 0..ANY {
        let body = json!({"to": [format!("+8190{:08}", i)], "text": format!("any {i}")});
        assert!(!publish(&js, "sms.out.any", &format!("any-{i}"), body).await);
    }
    for i in 0..5 {
        let body = json!({"to": [format!("+8180{:08}", i)], "text": format!("osaka {i}")});
        assert!(!publish(&js, "sms.out.site.osaka", &format!("osaka-{i}"), body).await);
    }
    // The same id again inside the hub's duplicate window is dropped there.
    let again = json!({"to": ["+819000000000"], "text": "any 0"});
    assert!(publish(&js, "sms.out.any", "any-0", again).await);

    let sent = wait_sent(&[&osaka, &kyoto], ANY + 5).await;
    let mut count: BTreeMap<String, usize> = BTreeMap::new();
    for texts in sent.iter().flat_map(|m| m.values()) {
        for t in texts {
            *count.entry(t.clone()).or_default() += 1;
        }
    }
    assert_eq!(count.len(), ANY + 5, "{count:?}");
    assert!(count.values().all(|n| *n == 1), "each sent once: {count:?}");
    let texts = |m: &BTreeMap<String, Vec<String>>| -> Vec<String> {
        m.values().flatten().cloned().collect()
    };
    let (o, k) = (texts(&sent[0]), texts(&sent[1]));
    assert_eq!(
        o.iter().filter(|t| t.starts_with("osaka")).count(),
        5,
        "site sends on their site: {o:?}"
    );
    assert!(!k.iter().any(|t| t.starts_with("osaka")), "{k:?}");
    assert!(!count.contains_key("to a stopped number"));
    assert!(!count.contains_key("without an id"));
    assert!(
        o.iter().any(|t| t.starts_with("any")) && k.iter().any(|t| t.starts_with("any")),
        "both appliances took fleet sends: osaka {o:?}, kyoto {k:?}"
    );

    // A customer texts osaka's number: the hub hears it on sms.in.osaka.pi-1, and the sends'
    // events on sms.evt.<site>.<device>.*.
    osaka
        .sim
        .request(Request::Deliver {
            from: "+819011112222".into(),
            text: "明日行きます".into(),
            encoding: None,
            class: None,
        })
        .await;
    let mut inbound = js.get_stream("SMS_IN").await.unwrap();
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let got = loop {
        if let Ok(m) = inbound
            .get_last_raw_message_by_subject("sms.in.osaka.pi-1")
            .await
        {
            break serde_json::from_slice::<Value>(&m.payload).unwrap();
        }
        assert!(tokio::time::Instant::now() < deadline, "no sms.in message");
        tokio::time::sleep(POLL).await;
    };
    assert_eq!(got["data"]["text"], "明日行きます", "{got}");
    assert_eq!(got["data"]["from"], "+819011112222");
    assert_eq!(
        (got["site"].as_str(), got["device"].as_str()),
        (Some("osaka"), Some("pi-1"))
    );
    let info = inbound.info().await.unwrap();
    assert_eq!(info.state.messages, 1, "published once");
    let events = js.get_stream("SMS_EVT").await.unwrap();
    let sent_evt = events
        .get_last_raw_message_by_subject("sms.evt.kyoto.pi-2.sent")
        .await
        .unwrap();
    let v: Value = serde_json::from_slice(&sent_evt.payload).unwrap();
    assert_eq!(v["type"], "message.sent", "{v}");
    // With the id the central app gave the send.
    assert!(
        v["data"]["msg_id"]
            .as_str()
            .is_some_and(|id| id.starts_with("any-")),
        "{v}"
    );

    osaka.stop().await;
    kyoto.stop().await;
    drop(hub);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The hub configuration docs/fleet.md gives: a device user may take its site's and the
/// fleet's sends, publish its own messages and events and write its health, and nothing for
/// another site or device. The admin (here an appliance run once with admin rights) creates
/// the streams, consumers and buckets.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_user_is_confined_to_its_site_as_the_docs_configure_the_hub() {
    let dir = common::temp_dir("fleet_perms");
    let docs =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/fleet.md")).unwrap();
    // The `accounts { ... }` block of the docs, as it is.
    let start = docs
        .find("accounts {")
        .expect("the docs' hub configuration");
    let end = start + docs[start..].find("```").unwrap();
    let Some(hub) = Hub::start_config(&dir, &docs[start..end]).await else {
        return;
    };
    let with_user =
        |user: &str, password: &str| format!("user = \"{user}\"\npassword = \"{password}\"\n");
    // Once with admin rights: everything is created.
    let admin = Appliance::start_with(
        "fleet_perms_admin",
        &hub,
        "osaka",
        "pi-1",
        &with_user("admin", "change-me-admin"),
    )
    .await;
    admin.stop().await;
    // Then as the device.
    let pi = Appliance::start_with(
        "fleet_perms_pi",
        &hub,
        "osaka",
        "pi-1",
        &with_user("osaka-pi-1", "change-me-pi-1"),
    )
    .await;
    let admin_js = jetstream::new(
        async_nats::ConnectOptions::with_user_and_password(
            "admin".into(),
            "change-me-admin".into(),
        )
        .connect(&hub.url)
        .await
        .unwrap(),
    );
    assert!(
        !publish(
            &admin_js,
            "sms.out.site.osaka",
            "p-1",
            json!({"to": ["+819012345678"], "text": "site send"})
        )
        .await
    );
    assert!(
        !publish(
            &admin_js,
            "sms.out.any",
            "p-2",
            json!({"to": ["+819012345678"], "text": "fleet send"})
        )
        .await
    );
    let sent = wait_sent(&[&pi], 2).await;
    let mut texts: Vec<String> = sent[0].values().flatten().cloned().collect();
    texts.sort();
    assert_eq!(texts, ["fleet send", "site send"]);
    pi.sim
        .request(Request::Deliver {
            from: "+819011112222".into(),
            text: "hello hub".into(),
            encoding: None,
            class: None,
        })
        .await;
    let inbound = admin_js.get_stream("SMS_IN").await.unwrap();
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while inbound
        .get_last_raw_message_by_subject("sms.in.osaka.pi-1")
        .await
        .is_err()
    {
        assert!(tokio::time::Instant::now() < deadline, "no sms.in message");
        tokio::time::sleep(POLL).await;
    }

    // The same user cannot speak for another device or site.
    let device_js = jetstream::new(
        async_nats::ConnectOptions::with_user_and_password(
            "osaka-pi-1".into(),
            "change-me-pi-1".into(),
        )
        .connect(&hub.url)
        .await
        .unwrap(),
    );
    for subject in [
        "sms.in.kyoto.pi-9",
        "sms.evt.osaka.pi-2.sent",
        "sms.out.any",
    ] {
        let refused = match device_js.publish(subject, "x".into()).await {
            Err(_) => true,
            Ok(ack) => ack.await.is_err(),
        };
        assert!(refused, "{subject} must be refused to osaka-pi-1");
    }
    pi.stop().await;
    drop(hub);
    let _ = std::fs::remove_dir_all(&dir);
}
