//! The fleet's rows in a real SQLite file: a send taken from the hub is held until released,
//! a superseded one is cancelled even when nothing of it is left to cancel, and a release
//! names its send.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{t, temp_db};
use smsgate::store::{FleetSendState, NewMessage, State, Store};

fn send(to: &str) -> NewMessage {
    NewMessage::new(vec![to.to_owned()], "from the hub")
}

#[tokio::test]
async fn held_until_released_and_released_by_name() {
    let store = Store::open_at(temp_db("fleet_hold"), t(0)).unwrap();
    let (a, st) = store
        .fleet_take("a", send("+819000000001"), t(0))
        .await
        .unwrap();
    assert_eq!(st, FleetSendState::Claiming);
    let (b, _) = store
        .fleet_take("b", send("+819000000002"), t(0))
        .await
        .unwrap();
    // A redelivery finds the same row.
    assert_eq!(
        store
            .fleet_take("a", send("+819000000001"), t(1))
            .await
            .unwrap()
            .0,
        a
    );
    assert!(
        store.claim_due(t(10), 10, None).await.unwrap().is_empty(),
        "held"
    );

    store
        .fleet_decide("a", FleetSendState::Claimed, t(2))
        .await
        .unwrap();
    store
        .fleet_decide("b", FleetSendState::Claimed, t(2))
        .await
        .unwrap();
    assert!(
        store.claim_due(t(10), 10, None).await.unwrap().is_empty(),
        "claimed, still held"
    );
    assert_eq!(store.fleet_release(Some("a")).await.unwrap(), 1);
    let due = store.claim_due(t(10), 10, None).await.unwrap();
    assert_eq!(
        due.iter().map(|j| j.message_id.clone()).collect::<Vec<_>>(),
        [a]
    );
    assert_eq!(store.fleet_release(None).await.unwrap(), 1);
    let due = store.claim_due(t(10), 10, None).await.unwrap();
    assert_eq!(
        due.iter().map(|j| j.message_id.clone()).collect::<Vec<_>>(),
        [b]
    );
}

#[tokio::test]
async fn superseded_with_nothing_left_to_cancel_is_still_decided() {
    let store = Store::open_at(temp_db("fleet_superseded"), t(0)).unwrap();
    let (id, _) = store
        .fleet_take("c", send("+819000000003"), t(0))
        .await
        .unwrap();
    // Cancelled meanwhile (by hand, a STOP, or expired).
    store.cancel(&id, t(1)).await.unwrap();
    store
        .fleet_decide("c", FleetSendState::Superseded, t(2))
        .await
        .unwrap();
    assert_eq!(store.fleet_status().await.unwrap().claiming, 0);
    assert_eq!(
        store.get_message(&id).await.unwrap().state,
        State::Cancelled
    );
    assert_eq!(store.fleet_release(None).await.unwrap(), 0);
}
