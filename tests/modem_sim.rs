//! The modem actor over a real pseudo-terminal against the built-in
//! simulator: every fault kind, and after each the modem recovers and no
//! message is lost or read twice.

// A test unwraps its own fixtures; the lints guard the service's code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use serde_json::{Value, json};
use smsgate::modem::CmsClass;
use smsgate::modem::actor::{self, ModemConfig, ModemEvent, ModemHandle, ModemState, ReceivedPart};
use smsgate::sim::{Fault, Request, SimConfig, SimHandle, Simulator};
use smsgate::sms::Address;
use smsgate::sms::compose::{Compose, compose};
use smsgate::sms::reassembly::join;
use smsgate::sms::tpdu::Tpdu;
use smsgate::sms::udh::Udh;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

/// Bound on any single wait, so a broken build fails instead of hanging.
const PATIENCE: Duration = Duration::from_secs(60);
/// Caps every AT command's timeout so a hung modem costs seconds rather than a minute. It is
/// the default command timeout (`at::command::DEFAULT_TIMEOUT`): only the long ones (`+CMGS`
/// after the PDU, SIM and radio commands) are shortened, and no command gets less time than it
/// has in production, so a slow machine is not mistaken for a hung modem.
const COMMAND_TIMEOUT_CAP: Duration = smsgate::at::command::DEFAULT_TIMEOUT;

struct Rig {
    sim: SimHandle,
    modem: ModemHandle,
    events: mpsc::Receiver<ModemEvent>,
    cancel: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

impl Rig {
    async fn start(
        sim_cfg: impl FnOnce(&mut SimConfig),
        modem_cfg: impl FnOnce(&mut ModemConfig),
    ) -> Rig {
        let dir = common::temp_dir("modem_sim");
        let mut sc = SimConfig::new(dir.join("modem"));
        sim_cfg(&mut sc);
        let sim = Simulator::spawn(sc).await.expect("simulator");
        let mut mc = ModemConfig::new("sim", &sim.link().display().to_string());
        mc.command_timeout_cap = Some(COMMAND_TIMEOUT_CAP);
        mc.backoff_max = Duration::from_secs(1);
        mc.poll_interval = Duration::from_secs(1);
        modem_cfg(&mut mc);
        let (tx, events) = mpsc::channel(64);
        let cancel = CancellationToken::new();
        let (modem, task) = actor::spawn(mc, tx, None, cancel.clone());
        Rig {
            sim,
            modem,
            events,
            cancel,
            task,
        }
    }

    async fn ready(sim_cfg: impl FnOnce(&mut SimConfig)) -> Rig {
        let mut r = Rig::start(sim_cfg, |_| {}).await;
        r.wait_state(ModemState::Ready).await;
        r
    }

    async fn wait_state(&mut self, want: ModemState) {
        let mut h = self.modem.clone();
        tokio::time::timeout(PATIENCE, async {
            while h.status().state != want {
                // Status events also flow on the event channel; drain them so
                // the actor never blocks on a full channel.
                while let Ok(ev) = self.events.try_recv() {
                    if let ModemEvent::Received { .. } = ev {
                        panic!("unexpected part while waiting for {want:?}");
                    }
                }
                let _ = tokio::time::timeout(Duration::from_millis(200), h.changed()).await;
            }
        })
        .await
        .unwrap_or_else(|_| panic!("modem never reached {want:?}: {:?}", self.modem.status()));
    }

    /// The next received part, with its acknowledgement still to give.
    async fn next_part(&mut self) -> (ReceivedPart, oneshot::Sender<()>) {
        tokio::time::timeout(PATIENCE, async {
            loop {
                match self.events.recv().await.expect("actor stopped") {
                    ModemEvent::Received { part, ack } => return (part, ack),
                    ModemEvent::Status(_) => {}
                }
            }
        })
        .await
        .expect("no part arrived")
    }

    /// Receives and acknowledges parts until one whole message is there.
    async fn next_message(&mut self) -> (String, String) {
        // (sender, reference, total) -> (sequence, body)
        let mut pending: Vec<((String, u16, u8), Vec<(u8, smsgate::sms::Body)>)> = Vec::new();
        loop {
            let (part, ack) = self.next_part().await;
            let _ = ack.send(());
            let Ok(Tpdu::Deliver(d)) = part.tpdu else {
                panic!("not a deliver: {:?}", part.tpdu)
            };
            let sender = d.oa.to_string();
            let Some(c) =
                d.ud.udh
                    .as_ref()
                    .and_then(Udh::concat)
                    .filter(|c| c.total > 1)
            else {
                return (sender, join(&[&d.ud.body]).0.unwrap_or_default());
            };
            let key = (sender.clone(), c.reference, c.total);
            let i = match pending.iter().position(|(k, _)| *k == key) {
                Some(i) => i,
                None => {
                    pending.push((key, Vec::new()));
                    pending.len() - 1
                }
            };
            let parts = &mut pending[i].1;
            if !parts.iter().any(|(s, _)| *s == c.sequence) {
                parts.push((c.sequence, d.ud.body));
            }
            if parts.len() == usize::from(c.total) {
                parts.sort_by_key(|(s, _)| *s);
                let bodies: Vec<_> = parts.iter().map(|(_, b)| b).collect();
                return (sender, join(&bodies).0.unwrap_or_default());
            }
        }
    }

    async fn sim(&self, req: Request) -> Value {
        let v = self.sim.request(req).await;
        assert_eq!(v["ok"], json!(true), "simulator refused: {v}");
        v
    }

    async fn state(&self) -> Value {
        self.sim(Request::State).await
    }

    /// Waits until the modem's storage holds `n` messages (the actor deletes
    /// a part after its confirmation, on its own time).
    async fn wait_used(&self, n: u64) {
        tokio::time::timeout(PATIENCE, async {
            while self.state().await["used"] != json!(n) {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await
        .unwrap_or_else(|_| panic!("storage never held {n}: {}", self.sim.link().display()));
    }

    async fn deliver(&self, from: &str, text: &str) {
        self.sim(Request::Deliver {
            from: from.into(),
            text: text.into(),
            encoding: None,
            class: None,
        })
        .await;
    }

    async fn send(&self, text: &str) -> Vec<Result<u8, smsgate::modem::SendError>> {
        let c = Compose::to(Address::parse_number("+819012345678").unwrap());
        let mut out = Vec::new();
        for p in compose(text, &c).unwrap() {
            out.push(self.modem.send_part(p.tpdu_len(), p.to_hex()).await);
        }
        out
    }

    async fn stop(self) {
        self.cancel.cancel();
        let _ = tokio::time::timeout(PATIENCE, self.task).await;
        self.sim.shutdown().await;
    }
}

fn sent_texts(state: &Value) -> Vec<String> {
    state["sent"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["text"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_every_part_and_records_its_reference() {
    let mut r = Rig::ready(|_| {}).await;
    let long = "お問い合わせありがとうございます。".repeat(10);
    let results = r.send(&long).await;
    assert_eq!(results.len(), 3);
    let mrs: Vec<u8> = results.into_iter().map(|x| x.unwrap()).collect();
    assert_eq!(mrs, vec![0, 1, 2], "one reference per part, in order");
    let st = r.state().await;
    assert_eq!(st["sent"].as_array().unwrap().len(), 3);
    r.wait_state(ModemState::Ready).await;
    r.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_part_stays_in_storage_until_the_receiver_confirms_it() {
    let mut r = Rig::ready(|_| {}).await;
    r.deliver("+818011112222", "ご予約の確認です").await;
    let (part, ack) = r.next_part().await;
    assert!(matches!(part.tpdu, Ok(Tpdu::Deliver(_))));
    // Not yet confirmed: the modem still holds it.
    assert_eq!(r.state().await["used"], json!(1));
    ack.send(()).unwrap();
    // After the confirmation the actor deletes it; a later message shows
    // the order of operations is done.
    r.deliver("+818011112222", "second").await;
    let (_, text) = r.next_message().await;
    assert_eq!(text, "second");
    r.wait_used(0).await;
    r.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multipart_ucs2_and_gsm_arrive_whole() {
    let mut r = Rig::ready(|_| {}).await;
    let jp = "配送状況のお知らせ😀 ".repeat(12);
    r.deliver("+818033334444", &jp).await;
    assert_eq!(r.next_message().await, ("+818033334444".into(), jp));
    let gsm = "Reminder: your appointment is tomorrow at 10:00 [room 4] ".repeat(4);
    r.deliver("Clinic", &gsm).await;
    assert_eq!(r.next_message().await, ("Clinic".into(), gsm));
    r.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_indication_is_handled_once() {
    let mut r = Rig::ready(|_| {}).await;
    r.deliver("+81801", "first").await;
    assert_eq!(r.next_message().await.1, "first");
    // The modem repeats the +CMTI for the slot already read and deleted.
    r.sim(Request::Fault(Fault::Garbage {
        bytes: Some("\r\n+CMTI: \"SM\",0\r\n\r\n+CMTI: \"SM\",1\r\n".into()),
        hex: None,
    }))
    .await;
    r.deliver("+81801", "second").await;
    // The next part handed over is the new message, not the old one again.
    assert_eq!(r.next_message().await.1, "second");
    r.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cms_errors_are_classified_and_the_modem_goes_on() {
    let r = Rig::ready(|_| {}).await;
    r.sim(Request::Fault(Fault::CmsError { code: 38, count: 1 }))
        .await;
    let e = r.send("hello").await.remove(0).unwrap_err();
    assert_eq!(e.code, Some(38));
    assert_eq!(e.class, CmsClass::Temporary, "38 network out of order");
    r.sim(Request::Fault(Fault::CmsError { code: 21, count: 1 }))
        .await;
    let e = r.send("hello").await.remove(0).unwrap_err();
    assert_eq!(
        e.class,
        CmsClass::Permanent,
        "21 short message transfer rejected"
    );
    assert!(r.send("hello again").await.remove(0).is_ok());
    assert_eq!(sent_texts(&r.state().await), vec!["hello again"]);
    r.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_modem_recovers_and_nothing_is_sent_twice() {
    let mut r = Rig::ready(|_| {}).await;
    // An hour: the send certainly meets the hang however slow the machine. Once it failed, a
    // new hang of 0 s replaces the first (the simulator ends a hang at the end of the latest
    // one), which ends it.
    r.sim(Request::Fault(Fault::Hang { seconds: 3600.0 })).await;
    let e = r.send("during the hang").await.remove(0).unwrap_err();
    assert!(
        matches!(e.class, CmsClass::DeviceState | CmsClass::OutcomeUnknown),
        "{e:?}"
    );
    assert_eq!(r.state().await["hung"], true, "the hang ended by itself");
    r.sim(Request::Fault(Fault::Hang { seconds: 0.0 })).await;
    r.wait_state(ModemState::Ready).await;
    // Once it answers again, sends work; a failed send was not repeated.
    let ok = loop {
        match r.send("after the hang").await.remove(0) {
            Ok(mr) => break mr,
            Err(e) => assert_eq!(e.class, CmsClass::DeviceState, "{e:?}"),
        }
        r.wait_state(ModemState::Ready).await;
    };
    let _ = ok;
    let texts = sent_texts(&r.state().await);
    assert_eq!(texts.iter().filter(|t| *t == "after the hang").count(), 1);
    assert!(texts.iter().filter(|t| *t == "during the hang").count() <= 1);
    r.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_on_the_line_does_not_derail_the_modem() {
    let mut r = Rig::ready(|_| {}).await;
    r.sim(Request::Fault(Fault::Garbage {
        bytes: None,
        hex: Some("00FF1B1A3E0D0A2B434D53204552524F523A0D0A4F4B0D0A".into()),
    }))
    .await;
    r.deliver("+81802", "after garbage").await;
    assert_eq!(r.next_message().await.1, "after garbage");
    assert!(r.send("still sending").await.remove(0).is_ok());
    r.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reboot_is_noticed_and_the_modem_set_up_again() {
    let mut r = Rig::ready(|_| {}).await;
    r.sim(Request::Reboot).await;
    r.wait_state(ModemState::Ready).await;
    // The reboot cleared +CNMI; a message after it still arrives, so init ran again.
    r.deliver("+81803", "after reboot").await;
    assert_eq!(r.next_message().await.1, "after reboot");
    r.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unplugged_and_back_the_sweep_finds_what_arrived_meanwhile() {
    let mut r = Rig::ready(|_| {}).await;
    r.sim(Request::Unplug { seconds: 5.0 }).await;
    // Arrives while the port is gone: stored on the SIM, its +CMTI lost. The simulator takes
    // control requests in order, so the port still being gone after the delivery proves it
    // came in while unplugged (5 s is far more than two requests take).
    r.deliver("+81804", "while unplugged").await;
    assert_eq!(
        r.state().await["plugged"],
        false,
        "delivered after the re-plug"
    );
    assert_eq!(r.next_message().await.1, "while unplugged");
    r.wait_state(ModemState::Ready).await;
    assert!(r.send("after replug").await.remove(0).is_ok());
    r.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_sim_is_emptied_and_held_messages_arrive() {
    let mut r = Rig::ready(|c| c.capacity = 5).await;
    r.sim(Request::SimFull { mem: None }).await;
    r.deliver("+81805", "held by the network").await;
    // The fillers come first (stored and deleted), then the held message.
    let mut seen = Vec::new();
    loop {
        let (_, text) = r.next_message().await;
        seen.push(text.clone());
        if text == "held by the network" {
            break;
        }
        assert!(seen.len() <= 6, "{seen:?}");
    }
    r.wait_used(0).await;
    r.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_network_shows_in_status_and_sends_fail_until_it_returns() {
    let mut r = Rig::ready(|_| {}).await;
    r.sim(Request::Network {
        registered: false,
        stat: None,
        rssi: None,
    })
    .await;
    let mut h = r.modem.clone();
    tokio::time::timeout(PATIENCE, async {
        while h.status().health.registered {
            let _ = h.changed().await;
        }
    })
    .await
    .expect("registration loss never seen");
    assert!(r.send("no network").await.remove(0).is_err());
    r.sim(Request::Network {
        registered: true,
        stat: None,
        rssi: Some(25),
    })
    .await;
    r.wait_state(ModemState::Ready).await;
    assert!(r.send("network back").await.remove(0).is_ok());
    r.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sim_pin_is_entered_from_config() {
    let r = Rig::start(
        |c| c.pin = Some("4321".into()),
        |m| m.init.pin = Some("4321".into()),
    )
    .await;
    let mut r = r;
    r.wait_state(ModemState::Ready).await;
    r.stop().await;
    let mut r = Rig::start(|c| c.pin = Some("4321".into()), |_| {}).await;
    r.wait_state(ModemState::Failed).await;
    assert!(
        r.modem
            .status()
            .last_error
            .unwrap_or_default()
            .contains("PIN"),
        "{:?}",
        r.modem.status()
    );
    r.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_reports_are_handed_over_with_their_reference() {
    let mut r = Rig::ready(|_| {}).await;
    let mut c = Compose::to(Address::parse_number("+819012345678").unwrap());
    c.status_report = true;
    let p = compose("report me", &c).unwrap().remove(0);
    let mr = r.modem.send_part(p.tpdu_len(), p.to_hex()).await.unwrap();
    let (part, ack) = r.next_part().await;
    ack.send(()).unwrap();
    match part.tpdu {
        Ok(Tpdu::StatusReport(sr)) => {
            assert_eq!(sr.mr, mr);
            assert_eq!(sr.ra.to_string(), "+819012345678");
            assert!(sr.st.delivered());
        }
        other => panic!("{other:?}"),
    }
    r.stop().await;
}

/// Quectel and SIMCom store each status report in their "SR" memory and announce it as
/// `+CDSI: "SR",<i>`; `AT+CMGR=<i>` reads `<mem1>` ("SM"), so the driver must select "SR" to
/// read it, and delete it there once the receiver confirmed, or the memory fills up and the
/// module drops reports.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_reports_are_read_from_the_memory_the_indication_names() {
    use smsgate::sim::profile::{QUECTEL, SIMCOM};
    for profile in [&QUECTEL, &SIMCOM] {
        let mut r = Rig::ready(|c| c.profile = profile).await;
        // More reports than "SR" has slots: each must be read and deleted as it comes.
        let sr_slots = r.state().await["memories"]["SR"]["capacity"]
            .as_u64()
            .unwrap();
        for n in 0..sr_slots + 2 {
            let mut c = Compose::to(Address::parse_number("+819012345678").unwrap());
            c.status_report = true;
            let p = compose(&format!("report me {n}"), &c).unwrap().remove(0);
            let mr = r.modem.send_part(p.tpdu_len(), p.to_hex()).await.unwrap();
            let (part, ack) = r.next_part().await;
            ack.send(()).unwrap();
            match part.tpdu {
                Ok(Tpdu::StatusReport(sr)) => {
                    assert_eq!(sr.mr, mr, "{} report {n}", profile.name);
                    assert!(sr.st.delivered());
                }
                other => panic!("{}: report {n}: {other:?}", profile.name),
            }
        }
        // Deleted from "SR" after the confirmation, none dropped, the read memory restored.
        tokio::time::timeout(PATIENCE, async {
            loop {
                let st = r.state().await;
                // The delete and then the switch back come after the confirmation, in order.
                if st["memories"]["SR"]["used"] == json!(0) && st["settings"]["cpms"][0] == "SM" {
                    assert_eq!(st["counters"]["dropped_status_reports"], json!(0));
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await
        .unwrap_or_else(|_| panic!("{}: reports left in SR", profile.name));
        r.stop().await;
    }
}

/// Reports and messages left in "SR" and "ME" while the service was down are swept at start,
/// and deleted after the confirmation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_start_sweep_empties_every_memory() {
    let dir = common::temp_dir("modem_sim_sweep");
    let mut sc = SimConfig::new(dir.join("modem"));
    sc.profile = &smsgate::sim::profile::QUECTEL;
    sc.sr_capacity = Some(3);
    sc.me_capacity = Some(4);
    let sim = Simulator::spawn(sc).await.expect("simulator");
    for mem in ["SR", "ME"] {
        let v = sim
            .request(Request::SimFull {
                mem: Some(mem.into()),
            })
            .await;
        assert_eq!(v["ok"], json!(true), "{v}");
    }
    let st = sim.request(Request::State).await;
    assert_eq!(st["memories"]["SR"]["used"], json!(3));
    assert_eq!(st["memories"]["ME"]["used"], json!(4));
    let mut mc = ModemConfig::new("sim", &sim.link().display().to_string());
    mc.command_timeout_cap = Some(Duration::from_secs(2));
    let (tx, mut events) = mpsc::channel(64);
    let cancel = CancellationToken::new();
    let (_modem, task) = actor::spawn(mc, tx, None, cancel.clone());
    let (mut reports, mut delivers) = (0, 0);
    tokio::time::timeout(PATIENCE, async {
        while reports + delivers < 7 {
            if let ModemEvent::Received { part, ack } = events.recv().await.unwrap() {
                match part.tpdu {
                    Ok(Tpdu::StatusReport(_)) => reports += 1,
                    Ok(Tpdu::Deliver(_)) => delivers += 1,
                    other => panic!("{other:?}"),
                }
                ack.send(()).unwrap();
            }
        }
    })
    .await
    .expect("not every stored message was handed over");
    assert_eq!((reports, delivers), (3, 4));
    tokio::time::timeout(PATIENCE, async {
        loop {
            let st = sim.request(Request::State).await;
            if st["memories"]["SR"]["used"] == json!(0) && st["memories"]["ME"]["used"] == json!(0)
            {
                break;
            }
            // Status events keep flowing; drain them so the actor never waits for room.
            while events.try_recv().is_ok() {}
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("swept messages were not deleted");
    cancel.cancel();
    let _ = tokio::time::timeout(PATIENCE, task).await;
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_modems_side_by_side() {
    let mut a = Rig::ready(|_| {}).await;
    let mut b = Rig::ready(|c| c.profile = &smsgate::sim::profile::QUECTEL).await;
    a.deliver("+81806", "to modem a").await;
    b.deliver("+81807", "to modem b").await;
    let (ra, rb) = tokio::join!(a.next_message(), b.next_message());
    assert_eq!(ra.1, "to modem a");
    assert_eq!(rb.1, "to modem b");
    let (sa, sb) = tokio::join!(a.send("from a"), b.send("from b"));
    assert!(sa[0].is_ok() && sb[0].is_ok());
    assert_eq!(sent_texts(&a.state().await), vec!["from a"]);
    assert_eq!(sent_texts(&b.state().await), vec!["from b"]);
    a.stop().await;
    b.stop().await;
}

/// A ser2net-style serial server: TCP on one side, the modem's port on the
/// other.
async fn serial_server(device: String) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            let Ok(mut port) = smsgate::modem::port::open(
                &device,
                115_200,
                smsgate::modem::port::FlowControl::None,
            )
            .await
            else {
                continue;
            };
            let _ = tokio::io::copy_bidirectional(&mut tcp, &mut port).await;
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_modem_behind_a_tcp_serial_server() {
    let dir = common::temp_dir("modem_sim");
    let sim = Simulator::spawn(SimConfig::new(dir.join("modem")))
        .await
        .unwrap();
    let addr = serial_server(sim.link().display().to_string()).await;
    let mut mc = ModemConfig::new("remote", &format!("tcp://{addr}"));
    mc.command_timeout_cap = Some(COMMAND_TIMEOUT_CAP);
    let (tx, events) = mpsc::channel(64);
    let cancel = CancellationToken::new();
    let (modem, task) = actor::spawn(mc, tx, None, cancel.clone());
    let mut r = Rig {
        sim,
        modem,
        events,
        cancel,
        task,
    };
    r.wait_state(ModemState::Ready).await;
    assert!(r.send("over tcp").await.remove(0).is_ok());
    r.deliver("+81808", "back over tcp").await;
    assert_eq!(r.next_message().await.1, "back over tcp");
    r.stop().await;
}
