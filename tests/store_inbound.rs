//! The store's inbound side on real SQLite files: a part stored once, reassembly in any order and
//! across a restart, incomplete delivery after a timeout.

// A test unwraps its own fixtures; the lints guard the service's code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{t, temp_db};
use smsgate::store::{
    Error, InboundFilter, InboundMessage, InboundOutcome, NewEvent, NewInboundPart, NewMessage,
    State, Store,
};

/// Part `seq` of a `total`-part message with reference `reference` from `sender`.
fn part(sender: &str, reference: u16, total: u8, seq: u8) -> NewInboundPart {
    NewInboundPart {
        modem: "m0".into(),
        sender: sender.into(),
        reference,
        total,
        seq,
        pdu_hex: format!("0791{reference:04X}{total:02X}{seq:02X}"),
        text: format!("[{seq}]"),
        smsc_at: Some(t(i64::from(seq))),
    }
}

fn completed(outcome: InboundOutcome) -> InboundMessage {
    match outcome {
        InboundOutcome::Completed(m) => m,
        other => panic!("expected a completed message, got {other:?}"),
    }
}

#[tokio::test]
async fn a_single_part_message_completes_and_a_reread_is_a_duplicate() {
    let path = temp_db("single");
    let store = Store::open_at(&path, t(0)).unwrap();
    let p = part("+1555", 0, 1, 1);
    let m = completed(store.insert_inbound_part(p.clone(), t(1)).await.unwrap());
    assert!(m.id.starts_with("in_"));
    assert_eq!(m.text, "[1]");
    assert!(m.complete);
    assert_eq!(m.parts, 1);
    assert_eq!(
        store.insert_inbound_part(p.clone(), t(2)).await.unwrap(),
        InboundOutcome::Duplicate
    );
    // Same key, different PDU (a new message that reuses reference 0): stored and completed.
    let mut other = p;
    other.pdu_hex.push_str("FF");
    other.text = "second".into();
    let m2 = completed(store.insert_inbound_part(other, t(3)).await.unwrap());
    assert_ne!(m2.id, m.id);
    assert_eq!(m2.text, "second");
    assert_eq!(store.get_inbound(&m.id).await.unwrap(), m);
}

#[tokio::test]
async fn a_three_part_message_completes_once_in_any_order() {
    let orders: [[u8; 3]; 6] = [
        [1, 2, 3],
        [1, 3, 2],
        [2, 1, 3],
        [2, 3, 1],
        [3, 1, 2],
        [3, 2, 1],
    ];
    let path = temp_db("orders");
    let store = Store::open_at(&path, t(0)).unwrap();
    for (i, order) in orders.iter().enumerate() {
        let reference = 100 + i as u16;
        let mut done = Vec::new();
        for (k, &seq) in order.iter().enumerate() {
            let now = t(10 * i as i64 + k as i64);
            let out = store
                .insert_inbound_part(part("+1555", reference, 3, seq), now)
                .await
                .unwrap();
            // Every part read twice: the second read is always a duplicate.
            let again = store
                .insert_inbound_part(part("+1555", reference, 3, seq), now)
                .await
                .unwrap();
            assert_eq!(again, InboundOutcome::Duplicate, "{order:?}");
            match out {
                InboundOutcome::Stored => assert!(k < 2, "{order:?}"),
                InboundOutcome::Completed(m) => {
                    assert_eq!(k, 2, "{order:?}");
                    done.push(m);
                }
                InboundOutcome::Duplicate => panic!("{order:?}: first read was a duplicate"),
            }
        }
        assert_eq!(done.len(), 1, "{order:?}");
        let m = &done[0];
        assert_eq!(m.text, "[1][2][3]", "{order:?}");
        assert_eq!((m.total, m.parts, m.complete), (3, 3, true));
        assert_eq!(m.reference, reference);
        assert_eq!(m.smsc_at, Some(t(1)), "the first part's time stamp");
        assert_eq!(m.first_received_at, t(10 * i as i64));
    }
    let page = store
        .list_inbound(InboundFilter::default(), None, 100)
        .await
        .unwrap();
    assert_eq!(page.items.len(), 6);
    assert!(page.next_cursor.is_none());
}

#[tokio::test]
async fn reassembly_survives_a_restart() {
    let path = temp_db("restart");
    let store = Store::open_at(&path, t(0)).unwrap();
    for seq in [3, 1] {
        assert_eq!(
            store
                .insert_inbound_part(part("+1555", 7, 3, seq), t(1))
                .await
                .unwrap(),
            InboundOutcome::Stored
        );
    }
    // No graceful close: the parts were acknowledged, so they are on disk.
    drop(store);
    let store = Store::open_at(&path, t(100)).unwrap();
    assert_eq!(
        store
            .insert_inbound_part(part("+1555", 7, 3, 1), t(101))
            .await
            .unwrap(),
        InboundOutcome::Duplicate,
        "re-read after the restart, before the SIM delete"
    );
    let m = completed(
        store
            .insert_inbound_part(part("+1555", 7, 3, 2), t(102))
            .await
            .unwrap(),
    );
    assert_eq!(m.text, "[1][2][3]");
    assert_eq!(m.first_received_at, t(1));
}

#[tokio::test]
async fn groups_are_kept_apart_by_modem_sender_reference_and_total() {
    let path = temp_db("groups");
    let store = Store::open_at(&path, t(0)).unwrap();
    let mut other_modem = part("+1555", 1, 2, 2);
    other_modem.modem = "m1".into();
    let strangers = [
        other_modem,
        part("+1666", 1, 2, 2),
        part("+1555", 2, 2, 2),
        part("+1555", 1, 3, 2),
    ];
    store
        .insert_inbound_part(part("+1555", 1, 2, 1), t(0))
        .await
        .unwrap();
    for p in strangers {
        assert_eq!(
            store.insert_inbound_part(p, t(1)).await.unwrap(),
            InboundOutcome::Stored
        );
    }
    let m = completed(
        store
            .insert_inbound_part(part("+1555", 1, 2, 2), t(2))
            .await
            .unwrap(),
    );
    assert_eq!(m.text, "[1][2]");
}

#[tokio::test]
async fn stale_parts_are_delivered_incomplete() {
    let path = temp_db("stale");
    let store = Store::open_at(&path, t(0)).unwrap();
    store
        .insert_inbound_part(part("+1555", 9, 3, 1), t(0))
        .await
        .unwrap();
    store
        .insert_inbound_part(part("+1555", 9, 3, 3), t(5))
        .await
        .unwrap();
    store
        .insert_inbound_part(part("+1666", 9, 2, 1), t(50))
        .await
        .unwrap();
    let flushed = store.flush_stale_inbound(t(10), t(60)).await.unwrap();
    assert_eq!(flushed.len(), 1);
    let m = &flushed[0];
    assert_eq!(m.sender, "+1555");
    assert_eq!((m.total, m.parts, m.complete), (3, 2, false));
    assert_eq!(m.text, "[1][3]");
    assert!(
        store
            .flush_stale_inbound(t(10), t(61))
            .await
            .unwrap()
            .is_empty()
    );
    // The late part starts a new group, not the flushed one.
    assert_eq!(
        store
            .insert_inbound_part(part("+1555", 9, 3, 2), t(70))
            .await
            .unwrap(),
        InboundOutcome::Stored
    );
}

#[tokio::test]
async fn processing_is_recorded_with_replies_and_events_in_one_transaction() {
    let path = temp_db("process");
    let store = Store::open_at(&path, t(0)).unwrap();
    let m = completed(
        store
            .insert_inbound_part(part("+1555", 0, 1, 1), t(1))
            .await
            .unwrap(),
    );
    assert_eq!(m.processed_at, None);
    drop(store);

    // After a restart the message still waits for its rules.
    let store = Store::open_at(&path, t(10)).unwrap();
    let waiting = store.unprocessed_inbound(10).await.unwrap();
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].id, m.id);

    let mut taken = NewMessage::new(vec!["+1999".into()], "taken");
    taken.idempotency_key = Some("k".into());
    store.enqueue(taken, t(10)).await.unwrap();
    let event = NewEvent {
        endpoint: "crm".into(),
        kind: "message.received".into(),
        payload: format!("{{\"id\":\"{}\"}}", m.id),
    };
    // A reply that conflicts fails the whole step: nothing of it is stored.
    let mut bad = NewMessage::new(vec!["+1555".into()], "auto-reply");
    bad.idempotency_key = Some("k".into());
    assert!(matches!(
        store
            .finish_inbound(&m.id, vec![bad], vec![event.clone()], t(11))
            .await,
        Err(Error::Conflict { .. })
    ));
    assert_eq!(store.unprocessed_inbound(10).await.unwrap().len(), 1);
    assert!(store.due_events(t(11), 10).await.unwrap().is_empty());

    let reply = NewMessage::new(vec!["+1555".into()], "auto-reply");
    let queued = store
        .finish_inbound(&m.id, vec![reply], vec![event], t(12))
        .await
        .unwrap();
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].state, State::Queued);
    assert!(store.unprocessed_inbound(10).await.unwrap().is_empty());
    assert_eq!(store.due_events(t(12), 10).await.unwrap().len(), 1);
    assert_eq!(
        store.get_inbound(&m.id).await.unwrap().processed_at,
        Some(t(12))
    );
    assert!(matches!(
        store.finish_inbound(&m.id, vec![], vec![], t(13)).await,
        Err(Error::Invalid(_))
    ));
}
