//! The send queue at campaign scale, on real SQLite files: the claim's index stays in step with
//! every change of a recipient or message, and a campaign written in chunks is sent only once
//! complete, is discarded when a stop interrupts its creation, and is released when a stop
//! interrupts its release.

// A test unwraps its own fixtures; the lints guard the service's code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::{t, temp_db};
use jiff::Timestamp;
use smsgate::store::{FailureClass, NewCampaign, NewMessage, Store};

fn msg(to: &str, body: &str) -> NewMessage {
    NewMessage::new(vec![to.to_owned()], body)
}

fn campaign() -> NewCampaign {
    NewCampaign {
        name: "reminder".into(),
        ..NewCampaign::default()
    }
}

fn bulk(n: usize, from: usize) -> Vec<NewMessage> {
    (from..from + n)
        .map(|i| msg(&format!("+8190{i:08}"), "明日10時のご予約です"))
        .collect()
}

async fn claim_numbers(store: &Store, now: Timestamp, modem: Option<&str>) -> Vec<String> {
    store
        .claim_due(now, 1000, modem.map(str::to_owned))
        .await
        .unwrap()
        .into_iter()
        .map(|j| j.number)
        .collect()
}

/// Queued recipients and the claim's index disagree: rows that should be in it and are not, or
/// are and should not (`(recipient, due_at)` of each).
fn queue_drift(path: &PathBuf) -> (Vec<(i64, i64)>, Vec<(i64, i64)>) {
    let conn = rusqlite::Connection::open(path).unwrap();
    let rows = |sql: &str| -> Vec<(i64, i64)> {
        conn.prepare(sql)
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    };
    let want = "SELECT r.id, MAX(m.send_at, r.next_attempt_at) FROM outbound_recipients r \
                JOIN outbound_messages m ON m.id = r.message_id WHERE r.state = 'queued' \
                AND NOT EXISTS (SELECT 1 FROM campaigns c WHERE c.id = m.campaign \
                AND c.state IN ('creating', 'releasing'))";
    let have = "SELECT recipient_id, due_at FROM outbound_queue";
    let missing = rows(&format!("{want} EXCEPT {have}"));
    let extra = rows(&format!("{have} EXCEPT {want}"));
    (missing, extra)
}

#[tokio::test]
async fn the_queue_index_follows_every_change_and_claims_keep_their_order() {
    let path = temp_db("queue-order");
    let store = Store::open_at(&path, t(0)).unwrap();
    let low = NewMessage {
        priority: 0,
        ..msg("+819000000001", "low")
    };
    let high = NewMessage {
        priority: 10,
        ..msg("+819000000002", "high")
    };
    let later = NewMessage {
        priority: 10,
        send_at: Some(t(100)),
        ..msg("+819000000003", "later")
    };
    let pinned_elsewhere = NewMessage {
        priority: 10,
        modem: Some("m2".into()),
        ..msg("+819000000004", "m2 only")
    };
    let pinned_here = NewMessage {
        priority: 5,
        modem: Some("m1".into()),
        ..msg("+819000000005", "m1 only")
    };
    let expiring = NewMessage {
        priority: 10,
        ttl: Some(Duration::from_secs(5)),
        ..msg("+819000000006", "expires")
    };
    let cancelled = msg("+819000000007", "cancelled");
    for m in [low, high, later, pinned_elsewhere, pinned_here, expiring] {
        store.enqueue(m, t(1)).await.unwrap();
    }
    let c = store.enqueue(cancelled, t(1)).await.unwrap();
    store.cancel(&c.id, t(2)).await.unwrap();
    assert_eq!(
        queue_drift(&path),
        (vec![], vec![]),
        "after enqueue and cancel"
    );

    // What the fleet bridge asks before pulling more: due or sending, up to a cap.
    assert_eq!(store.queued_recipients(t(10), 100).await.unwrap(), 5);
    assert_eq!(store.queued_recipients(t(10), 3).await.unwrap(), 3);
    assert_eq!(store.queued_recipients(t(100), 100).await.unwrap(), 6);

    // At t(10) the expiring one is past its time; the later one is not due; m2's is not ours.
    assert_eq!(
        claim_numbers(&store, t(10), Some("m1")).await,
        ["+819000000002", "+819000000005", "+819000000001"]
    );
    store.expire_due(t(10)).await.unwrap();
    assert_eq!(
        queue_drift(&path),
        (vec![], vec![]),
        "after claim and expiry"
    );

    // A temporary failure comes back at its retry time, not before.
    let job = store.claim_due(t(20), 1, None).await.unwrap().remove(0);
    assert_eq!(job.number, "+819000000004");
    store
        .record_send_failed(
            job.recipient_id,
            FailureClass::Temporary,
            "+CMS ERROR: 38",
            Some(t(50)),
            t(20),
        )
        .await
        .unwrap();
    assert_eq!(queue_drift(&path), (vec![], vec![]), "after a retry is set");
    assert!(claim_numbers(&store, t(49), None).await.is_empty());
    assert_eq!(
        claim_numbers(&store, t(100), None).await,
        ["+819000000003", "+819000000004"]
    );
    assert_eq!(queue_drift(&path), (vec![], vec![]), "at the end");
    store.close().await.unwrap();
}

#[tokio::test]
async fn a_campaign_being_created_is_not_sent_and_others_go_between_its_chunks() {
    let path = temp_db("queue-chunks");
    let store = Store::open_at(&path, t(0)).unwrap();
    let id = store
        .atomically(|tx| tx.begin_campaign(&campaign(), t(1)))
        .await
        .unwrap();
    let chunk_id = id.clone();
    store
        .atomically(move |tx| tx.add_to_campaign(&chunk_id, bulk(3, 0), t(1)))
        .await
        .unwrap();
    assert_eq!(store.get_campaign(&id).await.unwrap().state, "creating");
    // A reply queued between two chunks goes out; the campaign's first chunk does not.
    store
        .enqueue(
            msg("+819011112222", "お問い合わせありがとうございます"),
            t(2),
        )
        .await
        .unwrap();
    assert_eq!(claim_numbers(&store, t(3), None).await, ["+819011112222"]);
    let chunk_id = id.clone();
    store
        .atomically(move |tx| {
            tx.add_to_campaign(&chunk_id, bulk(2, 3), t(1))?;
            tx.finish_campaign(&chunk_id, &[])
        })
        .await
        .unwrap();
    let c = store.get_campaign(&id).await.unwrap();
    assert_eq!((c.state.as_str(), c.recipients), ("releasing", 5));
    assert!(claim_numbers(&store, t(4), None).await.is_empty());
    // Released two at a time, in order, by the dispatcher's releaser; claimable as each chunk
    // commits.
    assert_eq!(store.release_next(t(5), 2).await.unwrap(), Some(id.clone()));
    assert_eq!(
        claim_numbers(&store, t(6), None).await,
        ["+819000000000", "+819000000001"]
    );
    while store.release_next(t(5), 2).await.unwrap().is_some() {}
    assert_eq!(store.get_campaign(&id).await.unwrap().state, "created");
    assert_eq!(
        claim_numbers(&store, t(6), None).await,
        ["+819000000002", "+819000000003", "+819000000004"]
    );
    assert_eq!(queue_drift(&path), (vec![], vec![]));
    store.close().await.unwrap();
}

#[tokio::test]
async fn a_stop_while_creating_discards_the_campaign_and_one_while_releasing_completes_it() {
    let path = temp_db("queue-resume");
    let store = Store::open_at(&path, t(0)).unwrap();
    let begin = |store: &Store, n: usize, finish: bool| {
        let store = store.clone();
        async move {
            let id = store
                .atomically(|tx| tx.begin_campaign(&campaign(), t(1)))
                .await
                .unwrap();
            let c = id.clone();
            store
                .atomically(move |tx| {
                    tx.add_to_campaign(&c, bulk(n, 0), t(1))?;
                    if finish {
                        tx.finish_campaign(&c, &[])?;
                        tx.release_campaign(&c, t(1), 1)?;
                    }
                    Ok(())
                })
                .await
                .unwrap();
            id
        }
    };
    let creating = begin(&store, 3, false).await;
    let releasing = begin(&store, 4, true).await;
    // What a kill leaves: each chunk committed, nothing after it.
    drop(store);

    let store = Store::open_at(&path, t(10)).unwrap();
    let c = store.get_campaign(&creating).await.unwrap();
    assert_eq!((c.state.as_str(), c.recipients), ("discarded", 0));
    assert!(c.states.is_empty(), "its messages are gone: {:?}", c.states);
    let c = store.get_campaign(&releasing).await.unwrap();
    assert_eq!((c.state.as_str(), c.recipients), ("created", 4));
    // Every message of the released campaign goes out, each once.
    let mut sent = claim_numbers(&store, t(11), None).await;
    sent.sort();
    assert_eq!(
        sent,
        [
            "+819000000000",
            "+819000000001",
            "+819000000002",
            "+819000000003"
        ]
    );
    assert_eq!(queue_drift(&path), (vec![], vec![]));
    store.close().await.unwrap();
}

#[tokio::test]
async fn a_scheduled_campaign_coming_due_does_not_hide_a_more_urgent_message() {
    let path = temp_db("queue-promote");
    let store = Store::open_at(&path, t(0)).unwrap();
    // More than one claim makes ready at once, all due at t(100), at bulk priority.
    store
        .atomically(|tx| {
            for i in 0..1500 {
                let m = NewMessage {
                    priority: -10,
                    send_at: Some(t(100)),
                    ..msg(&format!("+8190{i:08}"), "定期点検のお知らせ")
                };
                tx.enqueue(&m, t(1))?;
            }
            Ok(())
        })
        .await
        .unwrap();
    let urgent = NewMessage {
        priority: 10,
        send_at: Some(t(101)),
        ..msg("+819099990000", "至急ご連絡ください")
    };
    store.enqueue(urgent, t(1)).await.unwrap();
    assert_eq!(
        claim_numbers_limit(&store, t(200), 1).await,
        ["+819099990000"]
    );
    assert_eq!(queue_drift(&path), (vec![], vec![]));
    store.close().await.unwrap();
}

async fn claim_numbers_limit(store: &Store, now: Timestamp, limit: usize) -> Vec<String> {
    store
        .claim_due(now, limit, None)
        .await
        .unwrap()
        .into_iter()
        .map(|j| j.number)
        .collect()
}

#[tokio::test]
async fn since_finds_a_message_created_later_but_stored_earlier() {
    let path = temp_db("queue-since");
    let store = Store::open_at(&path, t(0)).unwrap();
    // A campaign stamps its messages with the time it was asked for and stores them after a
    // message that came in meanwhile: creation times out of storage order.
    let early = store
        .enqueue(msg("+819011110000", "a"), t(10))
        .await
        .unwrap();
    let late = store
        .enqueue(msg("+819022220000", "b"), t(5))
        .await
        .unwrap();
    let page = store
        .list_messages(
            smsgate::store::MessageFilter {
                since: Some(t(5)),
                ..Default::default()
            },
            None,
            10,
        )
        .await
        .unwrap();
    let ids: Vec<&str> = page.items.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, [late.id.as_str(), early.id.as_str()]);
    store.close().await.unwrap();
}
