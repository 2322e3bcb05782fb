//! Conversations as the desk reads them, and the daily reports, on real SQLite files:
//! list filters and keyset pagination, one thread across both directions, marking read, and the
//! figures of two hand-built days in Asia/Tokyo, where the day boundary is 15:00 UTC.

// A test unwraps its own fixtures; the lints guard the service's code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

use common::{t, temp_db};
use smsgate::store::{
    Conversation, ConversationFilter, ConversationOrder, ConversationState, ConversationUpdate,
    FailureClass, InboundOutcome, MessageDirection, NewInboundPart, NewMessage, NewPart,
    NewStatusReport, Origin, ReportOutcome, State, Store,
};

const WINDOW: Duration = Duration::from_secs(3600);

/// Stores a one-part inbound message from `sender` completed at `at`, and records it on the
/// sender's conversation as the inbound pipeline does.
async fn inbound(store: &Store, sender: &str, text: &str, at: Timestamp) -> Conversation {
    let part = NewInboundPart {
        modem: "m0".into(),
        sender: sender.into(),
        reference: 0,
        total: 1,
        seq: 1,
        pdu_hex: format!("{:016X}", at.as_millisecond()),
        text: text.into(),
        smsc_at: None,
    };
    let InboundOutcome::Completed(_) = store.insert_inbound_part(part, at).await.unwrap() else {
        panic!("a one-part message completes at once");
    };
    let sender = sender.to_owned();
    store
        .atomically(move |tx| tx.conversation_inbound(&sender, at))
        .await
        .unwrap()
        .0
}

/// What happens to an outbound message after it is queued.
#[derive(Debug, Clone, Copy)]
enum Fate {
    Queued,
    Sent,
    Delivered,
    Failed(&'static str),
    Unknown(&'static str),
    Expired,
    Cancelled,
}

/// Queues a message to `to` at `at` and takes it through the dispatcher's steps to `fate`, all
/// at `at` (so it is the only one due).
async fn outbound(store: &Store, to: &str, origin: Origin, at: Timestamp, fate: Fate) -> String {
    let mut msg = NewMessage {
        origin,
        ..NewMessage::new(vec![to.to_owned()], format!("{origin:?} to {to}"))
    };
    match fate {
        Fate::Queued => msg.send_at = Some(at + jiff::SignedDuration::from_hours(24)),
        Fate::Expired => msg.ttl = Some(Duration::from_secs(1)),
        _ => {}
    }
    let id = store.enqueue(msg, at).await.unwrap().id;
    match fate {
        Fate::Queued => return id,
        Fate::Expired => {
            store
                .expire_due(at + jiff::SignedDuration::from_secs(2))
                .await
                .unwrap();
            return id;
        }
        Fate::Cancelled => {
            store.cancel(&id, at).await.unwrap();
            return id;
        }
        _ => {}
    }
    let jobs = store.claim_due(at, 10, None).await.unwrap();
    assert_eq!(jobs.len(), 1, "only {id} is due");
    let job = &jobs[0];
    match fate {
        Fate::Failed(e) => {
            store
                .record_send_failed(job.recipient_id, FailureClass::Permanent, e, None, at)
                .await
                .unwrap();
        }
        Fate::Unknown(e) => {
            store
                .record_send_failed(job.recipient_id, FailureClass::Unknown, e, None, at)
                .await
                .unwrap();
        }
        Fate::Sent | Fate::Delivered => {
            let part = NewPart {
                seq: 1,
                total: 1,
                pdu_hex: "00".into(),
            };
            let parts = store.add_parts(job.recipient_id, vec![part]).await.unwrap();
            let mr = (at.as_second() % 256) as u8;
            store
                .record_part_sent(parts[0].id, mr, "m0", at)
                .await
                .unwrap();
            if matches!(fate, Fate::Delivered) {
                let report = NewStatusReport {
                    modem: "m0".into(),
                    mr,
                    recipient: to.into(),
                    status: 0,
                    outcome: ReportOutcome::Delivered,
                    pdu_hex: "0006".into(),
                    discharge_at: None,
                };
                let m = store
                    .record_status_report(report, WINDOW, at)
                    .await
                    .unwrap();
                assert!(m.matched.is_some());
            }
        }
        _ => unreachable!(),
    }
    id
}

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn date(s: &str) -> Date {
    s.parse().unwrap()
}

async fn close(store: &Store, id: &str, when: Timestamp) {
    let u = ConversationUpdate {
        state: Some(ConversationState::Closed),
        ..Default::default()
    };
    store.update_conversation(id, u, when).await.unwrap();
}

#[tokio::test]
async fn list_filters_and_pages_by_last_activity() {
    let store = Store::open_at(temp_db("convo-list"), t(0)).unwrap();
    // Five customers write in turn; seq and activity agree until the updates below.
    let mut ids = Vec::new();
    for (i, n) in [
        "+819000000001",
        "+819000000002",
        "+819000000003",
        "+818000000004",
        "+818000000005",
    ]
    .iter()
    .enumerate()
    {
        ids.push(inbound(&store, n, "hi", t(10 * (i as i64 + 1))).await.id);
    }
    // 1 is tagged, assigned and answered (read); 2 is closed; 4 asks for a human, tagged.
    let u = ConversationUpdate {
        assignee: Some(Some("aiko".into())),
        add_tags: vec!["billing".into(), "vip".into()],
        ..Default::default()
    };
    store.update_conversation(&ids[0], u, t(100)).await.unwrap();
    outbound(&store, "+819000000001", Origin::Reply, t(110), Fate::Sent).await;
    close(&store, &ids[1], t(120)).await;
    let u = ConversationUpdate {
        state: Some(ConversationState::NeedsHuman),
        add_tags: vec!["billing".into()],
        ..Default::default()
    };
    store.update_conversation(&ids[3], u, t(130)).await.unwrap();
    // Activity now, newest first: 4 (130), 2 (120), 1 (110), 5 (50), 3 (30).

    let f = ConversationFilter::default;
    let cases: Vec<(&str, ConversationFilter, Vec<usize>)> = vec![
        ("all by activity", f(), vec![4, 2, 1, 5, 3]),
        (
            "all by creation",
            ConversationFilter {
                order: ConversationOrder::Created,
                ..f()
            },
            vec![5, 4, 3, 2, 1],
        ),
        (
            "state open",
            ConversationFilter {
                state: Some(ConversationState::Open),
                ..f()
            },
            vec![5, 3],
        ),
        (
            "state closed",
            ConversationFilter {
                state: Some(ConversationState::Closed),
                ..f()
            },
            vec![2],
        ),
        (
            "assignee",
            ConversationFilter {
                assignee: Some("aiko".into()),
                ..f()
            },
            vec![1],
        ),
        (
            "tag",
            ConversationFilter {
                tag: Some("billing".into()),
                ..f()
            },
            vec![4, 1],
        ),
        (
            "tag nobody has",
            ConversationFilter {
                tag: Some("bill".into()),
                ..f()
            },
            vec![],
        ),
        (
            "unread only",
            ConversationFilter {
                unread_only: true,
                ..f()
            },
            vec![4, 2, 5, 3],
        ),
        (
            "number prefix",
            ConversationFilter {
                number_prefix: Some("+8180".into()),
                ..f()
            },
            vec![4, 5],
        ),
        (
            "updated since",
            ConversationFilter {
                updated_since: Some(t(110)),
                ..f()
            },
            vec![4, 2, 1],
        ),
        (
            "several at once",
            ConversationFilter {
                tag: Some("billing".into()),
                unread_only: true,
                ..f()
            },
            vec![4],
        ),
    ];
    let number = |c: &Conversation| c.number[c.number.len() - 1..].parse::<usize>().unwrap();
    for (name, filter, want) in cases {
        let page = store.list_conversations(filter, None, 100).await.unwrap();
        let got: Vec<usize> = page.items.iter().map(number).collect();
        assert_eq!(got, want, "{name}");
        assert_eq!(page.next_cursor, None, "{name}");
    }

    // Pages of two walk the same order, each cursor continuing where the last page ended.
    for order in [ConversationOrder::Activity, ConversationOrder::Created] {
        let filter = ConversationFilter { order, ..f() };
        let whole = store
            .list_conversations(filter.clone(), None, 100)
            .await
            .unwrap();
        let (mut seen, mut cursor, mut pages) = (Vec::new(), None, 0);
        loop {
            let page = store
                .list_conversations(filter.clone(), cursor, 2)
                .await
                .unwrap();
            pages += 1;
            seen.extend(page.items);
            cursor = page.next_cursor;
            if cursor.is_none() {
                break;
            }
        }
        assert_eq!(seen, whole.items, "{order:?}");
        assert_eq!(pages, 3, "{order:?}");
    }
    // A conversation that becomes active while a client pages moves above the cursor: the
    // remaining pages neither repeat an item nor lose one that stayed put.
    let first = store.list_conversations(f(), None, 2).await.unwrap();
    inbound(&store, "+819000000003", "again", t(200)).await;
    let rest = store
        .list_conversations(f(), first.next_cursor.clone(), 100)
        .await
        .unwrap();
    let seen: Vec<usize> = first.items.iter().chain(&rest.items).map(number).collect();
    assert_eq!(
        seen,
        vec![4, 2, 1, 5],
        "3 moved to the top, above the cursor"
    );
    let top = store.list_conversations(f(), None, 1).await.unwrap();
    assert_eq!(top.items.iter().map(number).collect::<Vec<_>>(), vec![3]);

    let bad = store
        .list_conversations(f(), Some("conv_nope".into()), 2)
        .await;
    assert!(bad.is_err(), "a malformed cursor is refused");
}

#[tokio::test]
async fn a_thread_merges_both_directions_in_time_order_and_reading_is_explicit() {
    let store = Store::open_at(temp_db("convo-thread"), t(0)).unwrap();
    let n = "+819012345678";
    let bulk = outbound(&store, n, Origin::Bulk, t(5), Fate::Delivered).await;
    // An unrelated number's traffic stays out of the thread.
    inbound(&store, "+819099999999", "other", t(6)).await;
    outbound(&store, "+819099999999", Origin::Reply, t(7), Fate::Sent).await;
    let c = inbound(&store, n, "where is my order?", t(10)).await;
    // The acknowledgement queued in the same millisecond as the message it answers.
    let ack = outbound(&store, n, Origin::Auto, t(10), Fate::Delivered).await;
    let reply = outbound(
        &store,
        n,
        Origin::Reply,
        t(20),
        Fate::Failed("+CMS ERROR: 500"),
    )
    .await;
    inbound(&store, n, "thanks", t(30)).await;

    let (conv, items) = store.conversation_thread(&c.id, 50).await.unwrap();
    assert_eq!(conv.id, c.id);
    let seen: Vec<(
        MessageDirection,
        &str,
        Timestamp,
        Option<State>,
        Option<Origin>,
    )> = items
        .iter()
        .map(|i| (i.direction, i.text.as_str(), i.at, i.state, i.origin))
        .collect();
    use MessageDirection::{In, Out};
    assert_eq!(
        seen,
        vec![
            (
                Out,
                "Bulk to +819012345678",
                t(5),
                Some(State::Delivered),
                Some(Origin::Bulk)
            ),
            (In, "where is my order?", t(10), None, None),
            (
                Out,
                "Auto to +819012345678",
                t(10),
                Some(State::Delivered),
                Some(Origin::Auto)
            ),
            (
                Out,
                "Reply to +819012345678",
                t(20),
                Some(State::Failed),
                Some(Origin::Reply)
            ),
            (In, "thanks", t(30), None, None),
        ]
    );
    assert_eq!(items[0].id, bulk);
    assert_eq!(
        (items[2].id.as_str(), items[3].id.as_str()),
        (ack.as_str(), reply.as_str())
    );
    assert!(items[1].id.starts_with("in_"));

    // The newest three, still oldest first.
    let (_, last) = store.conversation_thread(&c.id, 3).await.unwrap();
    let texts: Vec<&str> = last.iter().map(|i| i.text.as_str()).collect();
    assert_eq!(
        texts,
        ["Auto to +819012345678", "Reply to +819012345678", "thanks"]
    );

    // Reading the thread changed nothing; marking it read clears the count and nothing else.
    let before = store.get_conversation(&c.id).await.unwrap();
    assert_eq!(before.unread, 1);
    let after = store.mark_conversation_read(&c.id).await.unwrap();
    assert_eq!(after.unread, 0);
    assert_eq!(
        after.updated_at, before.updated_at,
        "reading is not activity"
    );
    assert!(store.mark_conversation_read("conv_nope").await.is_err());
    assert!(store.conversation_thread("conv_nope", 5).await.is_err());
}

#[tokio::test]
async fn daily_report_counts_each_local_day_of_tokyo() {
    let store = Store::open_at(temp_db("convo-report"), t(0)).unwrap();
    let (a, b, c) = ("+819011110001", "+819011110002", "+819011110003");
    // 2026-11-23 in Tokyo is 2026-11-22T15:00Z..2026-11-23T15:00Z; the 24th follows.

    // A: writes, gets an acknowledgement and a person's answer 5 minutes later, closed at
    // 23:59:59 Tokyo time: all on the 23rd.
    let ca = inbound(&store, a, "help", at("2026-11-23T10:00:00Z")).await;
    outbound(
        &store,
        a,
        Origin::Auto,
        at("2026-11-23T10:00:01Z"),
        Fate::Delivered,
    )
    .await;
    outbound(
        &store,
        a,
        Origin::Reply,
        at("2026-11-23T10:05:00Z"),
        Fate::Delivered,
    )
    .await;
    close(&store, &ca.id, at("2026-11-23T14:59:59Z")).await;
    // B: writes on the 23rd, answered at midnight Tokyo (the 24th) with a failed reply, closed
    // on the 24th.
    let cb = inbound(&store, b, "hello?", at("2026-11-23T14:00:00Z")).await;
    outbound(
        &store,
        b,
        Origin::Reply,
        at("2026-11-23T15:00:00Z"),
        Fate::Failed("+CMS ERROR: 331 (no network service)"),
    )
    .await;
    close(&store, &cb.id, at("2026-11-24T02:00:00Z")).await;
    // C: writes on the 24th, answered 2 minutes later; the modem never answered.
    inbound(&store, c, "hi", at("2026-11-23T15:30:00Z")).await;
    outbound(
        &store,
        c,
        Origin::Reply,
        at("2026-11-23T15:32:00Z"),
        Fate::Unknown("no response within 60s"),
    )
    .await;
    // Outside conversations.
    outbound(
        &store,
        "+819022220001",
        Origin::Api,
        at("2026-11-23T11:00:00Z"),
        Fate::Sent,
    )
    .await;
    outbound(
        &store,
        "+819022220002",
        Origin::Bulk,
        at("2026-11-23T14:59:59Z"),
        Fate::Expired,
    )
    .await;
    outbound(
        &store,
        "+819022220003",
        Origin::Bulk,
        at("2026-11-23T15:00:00Z"),
        Fate::Cancelled,
    )
    .await;
    outbound(
        &store,
        "+819022220004",
        Origin::Api,
        at("2026-11-23T16:00:00Z"),
        Fate::Queued,
    )
    .await;
    // Consent: x opts out on the 23rd and back in on the 24th; y opts out on the 24th, twice.
    let (x, y) = ("+819033330001", "+819033330002");
    store
        .set_consent(x, true, "sms:in_1", at("2026-11-23T12:00:00Z"))
        .await
        .unwrap();
    store
        .set_consent(y, true, "sms:in_2", at("2026-11-23T15:00:00Z"))
        .await
        .unwrap();
    store
        .set_consent(y, true, "sms:in_3", at("2026-11-23T16:00:00Z"))
        .await
        .unwrap();
    store
        .set_consent(x, false, "api:desk", at("2026-11-23T20:00:00Z"))
        .await
        .unwrap();

    let tokyo = TimeZone::get("Asia/Tokyo").unwrap();
    let days = store
        .daily_report(date("2026-11-22"), date("2026-11-24"), tokyo)
        .await
        .unwrap();
    let dates: Vec<Date> = days.iter().map(|d| d.date).collect();
    assert_eq!(
        dates,
        [date("2026-11-22"), date("2026-11-23"), date("2026-11-24")]
    );

    let empty = &days[0];
    assert_eq!(empty.outbound.total(), 0);
    assert_eq!((empty.delivery_rate(), empty.sent_rate()), (None, None));
    assert_eq!((empty.inbound, empty.first_response.count), (0, 0));
    assert_eq!(empty.first_response.median_secs, None);

    let d1 = &days[1];
    let states = |d: &smsgate::store::DayReport| -> Vec<u64> {
        State::ALL.iter().map(|s| d.outbound.get(*s)).collect()
    };
    // queued, sending, sent, delivered, failed, expired, cancelled, unknown
    assert_eq!(states(d1), [0, 0, 1, 2, 0, 1, 0, 0]);
    assert_eq!(d1.outbound.attempted(), 4);
    assert_eq!(d1.delivery_rate(), Some(0.5));
    assert_eq!(d1.sent_rate(), Some(0.75));
    assert_eq!(
        d1.failures_by_cause
            .iter()
            .map(|(k, v)| (k.as_str(), *v))
            .collect::<Vec<_>>(),
        [("expired", 1)]
    );
    assert_eq!(d1.inbound, 2);
    assert_eq!(
        (d1.first_response.count, d1.first_response.median_secs),
        (1, Some(300.0))
    );
    assert_eq!(
        (
            d1.resolution.count,
            d1.resolution.mean_secs,
            d1.resolution.p90_secs
        ),
        (1, Some(17_999.0), Some(17_999.0))
    );
    assert_eq!((d1.opt_outs, d1.opt_ins), (1, 0));
    let origins = |d: &smsgate::store::DayReport| -> Vec<u64> {
        [Origin::Api, Origin::Reply, Origin::Auto, Origin::Bulk]
            .iter()
            .map(|o| d.outbound.origin(*o))
            .collect()
    };
    assert_eq!(origins(d1), [1, 1, 1, 1]);

    let d2 = &days[2];
    assert_eq!(states(d2), [1, 0, 0, 0, 1, 0, 1, 1]);
    assert_eq!((d2.delivery_rate(), d2.sent_rate()), (Some(0.0), Some(0.0)));
    assert_eq!(
        d2.failures_by_cause
            .iter()
            .map(|(k, v)| (k.as_str(), *v))
            .collect::<Vec<_>>(),
        [("cms_331", 1), ("timeout", 1)]
    );
    assert_eq!(d2.inbound, 1);
    // B answered after an hour, C after two minutes.
    let fr = &d2.first_response;
    assert_eq!(
        (fr.count, fr.mean_secs, fr.median_secs, fr.p90_secs),
        (2, Some(1860.0), Some(1860.0), Some(3600.0))
    );
    assert_eq!(
        (d2.resolution.count, d2.resolution.median_secs),
        (1, Some(43_200.0))
    );
    assert_eq!((d2.opt_outs, d2.opt_ins), (1, 1));
    assert_eq!(origins(d2), [1, 2, 0, 1]);

    // The same records by UTC days: the 23rd holds all three inbound messages.
    let utc = store
        .daily_report(date("2026-11-23"), date("2026-11-23"), TimeZone::UTC)
        .await
        .unwrap();
    assert_eq!(utc[0].inbound, 3);

    // Bounded: reversed and over-long ranges are refused.
    let tokyo = TimeZone::get("Asia/Tokyo").unwrap();
    for (from, to) in [("2026-11-24", "2026-11-23"), ("2025-01-01", "2026-01-02")] {
        let r = store
            .daily_report(date(from), date(to), tokyo.clone())
            .await;
        assert!(r.is_err(), "{from}..{to}");
    }
}

#[tokio::test]
async fn a_search_finds_what_customers_and_staff_wrote_but_not_campaign_copies() {
    let path = temp_db("search-bulk");
    let store = Store::open_at(&path, t(0)).unwrap();
    let (a, b, c) = ("+819011110001", "+819022220002", "+819033330003");
    for n in [a, b, c] {
        inbound(&store, n, "こんにちは", t(1)).await;
    }
    let reminder = "年末セールのお知らせ";
    let campaign = smsgate::store::NewCampaign {
        name: "sale".into(),
        ..Default::default()
    };
    let copies = [a, b]
        .iter()
        .map(|n| NewMessage {
            origin: Origin::Bulk,
            ..NewMessage::new(vec![(*n).to_owned()], reminder)
        })
        .collect();
    store.create_campaign(campaign, copies, t(2)).await.unwrap();
    let reply = NewMessage {
        origin: Origin::Reply,
        ..NewMessage::new(vec![c.to_owned()], reminder)
    };
    store.enqueue(reply, t(3)).await.unwrap();
    // (name, query: the trigram index, then the short-query scan)
    for (name, q) in [("indexed", "セールの"), ("scanned", "セー")] {
        let found: Vec<String> = store
            .search_conversations(q, 100)
            .await
            .unwrap()
            .into_iter()
            .map(|c| c.number)
            .collect();
        assert_eq!(found, [c], "{name}");
    }
    store.close().await.unwrap();
}
