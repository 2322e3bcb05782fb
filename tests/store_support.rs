//! The store's support-line records on real SQLite files: consent and its history, and
//! conversations with their episodes as inbound and outbound messages move them.

// A test unwraps its own fixtures; the lints guard the service's code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{t, temp_db};
use smsgate::store::{ConversationState, ConversationUpdate, NewMessage, Origin, State, Store};

const CUSTOMER: &str = "+819012345678";

fn reply(to: &str, origin: Origin) -> NewMessage {
    NewMessage {
        origin,
        ..NewMessage::new(vec![to.to_owned()], "thanks")
    }
}

#[tokio::test]
async fn consent_changes_once_and_keeps_its_history_across_a_reopen() {
    let path = temp_db("consent");
    let store = Store::open_at(&path, t(0)).unwrap();
    assert!(!store.opted_out(CUSTOMER).await.unwrap());
    assert!(
        store
            .set_consent(CUSTOMER, true, "sms:in_1", t(10))
            .await
            .unwrap()
    );
    // A second STOP changes nothing, so nothing is confirmed twice.
    assert!(
        !store
            .set_consent(CUSTOMER, true, "sms:in_2", t(20))
            .await
            .unwrap()
    );
    store.close().await.unwrap();

    let store = Store::open_at(&path, t(30)).unwrap();
    assert!(store.opted_out(CUSTOMER).await.unwrap());
    assert!(
        store
            .set_consent(CUSTOMER, false, "api:desk", t(40))
            .await
            .unwrap()
    );
    assert!(!store.opted_out(CUSTOMER).await.unwrap());
    let h = store.consent_history(CUSTOMER).await.unwrap();
    let seen: Vec<_> = h
        .iter()
        .map(|c| (c.opted_out, c.source.as_str(), c.at))
        .collect();
    assert_eq!(
        seen,
        vec![(true, "sms:in_1", t(10)), (false, "api:desk", t(40))]
    );
    store.close().await.unwrap();
}

#[tokio::test]
async fn a_stop_cancels_what_is_still_queued_for_the_number_but_transactional() {
    const OTHER: &str = "+819087654321";
    let store = Store::open_at(temp_db("stop_cancels"), t(0)).unwrap();
    // A campaign message scheduled for later, a message to two numbers, and a transactional one.
    let scheduled = NewMessage {
        origin: Origin::Bulk,
        send_at: Some(t(1000)),
        ..NewMessage::new(vec![CUSTOMER.to_owned()], "sale tomorrow")
    };
    let scheduled = store.enqueue(scheduled, t(1)).await.unwrap();
    let both = store
        .enqueue(
            NewMessage::new(vec![CUSTOMER.to_owned(), OTHER.to_owned()], "news"),
            t(2),
        )
        .await
        .unwrap();
    let receipt = NewMessage {
        transactional: true,
        ..NewMessage::new(vec![CUSTOMER.to_owned()], "your receipt")
    };
    let receipt = store.enqueue(receipt, t(3)).await.unwrap();

    assert!(
        store
            .set_consent(CUSTOMER, true, "sms:in_1", t(10))
            .await
            .unwrap()
    );
    let claimed: Vec<(String, String)> = store
        .claim_due(t(2000), 10, None)
        .await
        .unwrap()
        .into_iter()
        .map(|j| (j.message_id, j.number))
        .collect();
    assert_eq!(
        claimed,
        vec![
            (both.id.clone(), OTHER.to_owned()),
            (receipt.id.clone(), CUSTOMER.to_owned()),
        ],
        "nothing but the transactional message goes to the number that opted out"
    );
    let scheduled = store.get_message(&scheduled.id).await.unwrap();
    assert_eq!(scheduled.state, State::Cancelled);
    assert_eq!(scheduled.recipients[0].error.as_deref(), Some("opted_out"));
    let both = store.get_message(&both.id).await.unwrap();
    let states: Vec<_> = both.recipients.iter().map(|r| r.state).collect();
    assert_eq!(states, vec![State::Cancelled, State::Sending]);
}

#[tokio::test]
async fn a_conversation_follows_its_messages_through_episodes() {
    let store = Store::open_at(temp_db("conversation"), t(0)).unwrap();
    // Outbound messages alone create no conversation.
    store
        .enqueue(reply(CUSTOMER, Origin::Bulk), t(1))
        .await
        .unwrap();
    assert!(store.conversation_with(CUSTOMER).await.unwrap().is_none());

    let (c, first) = store
        .atomically(|tx| tx.conversation_inbound(CUSTOMER, t(100)))
        .await
        .unwrap();
    assert!(first);
    assert_eq!(
        (c.state, c.unread, c.opened_at),
        (ConversationState::Open, 1, t(100))
    );
    let (c, first) = store
        .atomically(|tx| tx.conversation_inbound(CUSTOMER, t(110)))
        .await
        .unwrap();
    assert!(!first);
    assert_eq!(c.unread, 2);

    // An automatic reply is not a person's response.
    store
        .enqueue(reply(CUSTOMER, Origin::Auto), t(111))
        .await
        .unwrap();
    let c = store.get_conversation(&c.id).await.unwrap();
    assert_eq!(
        (c.state, c.first_response_at),
        (ConversationState::Open, None)
    );

    store
        .enqueue(reply(CUSTOMER, Origin::Reply), t(160))
        .await
        .unwrap();
    store
        .enqueue(reply(CUSTOMER, Origin::Reply), t(170))
        .await
        .unwrap();
    let c = store.get_conversation(&c.id).await.unwrap();
    assert_eq!(c.state, ConversationState::Waiting);
    assert_eq!((c.unread, c.first_response_at), (0, Some(t(160))));

    let closed = ConversationUpdate {
        state: Some(ConversationState::Closed),
        add_tags: vec!["billing".into()],
        ..Default::default()
    };
    let c = store
        .update_conversation(&c.id, closed, t(200))
        .await
        .unwrap();
    assert_eq!(
        (c.state, c.resolved_at),
        (ConversationState::Closed, Some(t(200)))
    );
    assert_eq!(c.tags, vec!["billing".to_owned()]);

    // The customer writes again: a new episode with its own times.
    let (c, first) = store
        .atomically(|tx| tx.conversation_inbound(CUSTOMER, t(300)))
        .await
        .unwrap();
    assert!(!first);
    assert_eq!(c.state, ConversationState::Open);
    assert_eq!(
        (c.opened_at, c.first_response_at, c.resolved_at),
        (t(300), None, None)
    );
    assert_eq!(c.tags, vec!["billing".to_owned()]);
}

#[tokio::test]
async fn a_campaign_queues_every_message_at_bulk_priority_or_none() {
    let store = Store::open_at(temp_db("campaign"), t(0)).unwrap();
    let messages: Vec<NewMessage> = (0..1000)
        .map(|i| NewMessage {
            origin: Origin::Bulk,
            priority: Origin::Bulk.default_priority(),
            ..NewMessage::new(vec![format!("+8190{i:08}")], format!("Reminder {i}"))
        })
        .collect();
    let skipped = vec![smsgate::store::Skipped {
        number: CUSTOMER.into(),
        reason: "opted_out".into(),
    }];
    let c = store
        .create_campaign(
            smsgate::store::NewCampaign {
                name: "reminders".into(),
                skipped: skipped.clone(),
                ..Default::default()
            },
            messages,
            t(5),
        )
        .await
        .unwrap();
    assert!(c.id.starts_with("bulk_"));
    assert_eq!(c.recipients, 1000);
    assert_eq!(c.skipped, skipped);
    assert_eq!(c.states.get("queued"), Some(&1000));
    let again = store.get_campaign(&c.id).await.unwrap();
    assert_eq!(again, c);

    // A bad message rolls the whole campaign back.
    let bad = vec![
        NewMessage::new(vec!["+819000000001".into()], "ok"),
        NewMessage::new(Vec::new(), "no recipient"),
    ];
    assert!(
        store
            .create_campaign(Default::default(), bad, t(6))
            .await
            .is_err()
    );
    let page = store
        .list_messages(Default::default(), None, 2000)
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1000);
    assert!(
        page.items
            .iter()
            .all(|m| m.campaign.as_deref() == Some(c.id.as_str())
                && m.origin == Origin::Bulk
                && m.priority == -10)
    );
}

#[tokio::test]
async fn the_guard_sees_a_numbers_recent_automatic_replies_only() {
    let store = Store::open_at(temp_db("history"), t(0)).unwrap();
    for (origin, at) in [
        (Origin::Auto, 10),
        (Origin::Api, 20),
        (Origin::Auto, 30),
        (Origin::Auto, 40),
    ] {
        store.enqueue(reply(CUSTOMER, origin), t(at)).await.unwrap();
    }
    store
        .enqueue(reply("+819099999999", Origin::Auto), t(35))
        .await
        .unwrap();
    let seen = store
        .atomically(|tx| tx.auto_replies_since(CUSTOMER, t(30)))
        .await
        .unwrap();
    assert_eq!(seen, vec![t(30), t(40)]);
}
