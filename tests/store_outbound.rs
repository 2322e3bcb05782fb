//! The store's outbound side on real SQLite files: migrations, enqueue, idempotency, claiming,
//! group commit, restart, delivery reports, cancel, expiry, retries, listing, webhooks, audit.

// A test unwraps its own fixtures; the lints guard the service's code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::{t, temp_db};
use jiff::Timestamp;
use smsgate::store::{
    Enqueued, Error, FailureClass, MessageFilter, NewEvent, NewMessage, NewPart, NewStatusReport,
    PartState, ReportOutcome, SCHEMA_VERSION, State, Store,
};

fn msg(to: &[&str], body: &str) -> NewMessage {
    NewMessage::new(to.iter().map(|s| s.to_string()).collect(), body)
}

fn open(path: &PathBuf, now: Timestamp) -> Store {
    Store::open_at(path, now).unwrap()
}

#[tokio::test]
async fn migrations_from_empty_and_reopen() {
    let path = temp_db("migrate");
    let store = open(&path, t(0));
    assert_eq!(store.schema_version().await.unwrap(), SCHEMA_VERSION);
    store.close().await.unwrap();
    let store = open(&path, t(1));
    assert_eq!(store.schema_version().await.unwrap(), SCHEMA_VERSION);
    store.close().await.unwrap();

    let conn = rusqlite::Connection::open(&path).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    drop(conn);
    match Store::open_at(&path, t(2)) {
        Err(Error::Migration(m)) => assert!(m.contains("newer"), "{m}"),
        other => panic!("expected a migration error, got {other:?}"),
    }
}

#[tokio::test]
async fn enqueue_get_round_trip() {
    let path = temp_db("roundtrip");
    let store = open(&path, t(0));
    let mut m = msg(&["+15550001", "+15550002"], "hello");
    m.priority = 7;
    m.send_at = Some(t(30));
    m.ttl = Some(Duration::from_secs(600));
    m.max_attempts = 3;
    m.modem = Some("modem0".into());
    m.created_by = Some("ops".into());
    let rec = store.enqueue(m, t(0)).await.unwrap();
    assert!(rec.id.starts_with("msg_"));
    assert_eq!(rec.state, State::Queued);
    assert_eq!(rec.send_at, t(30));
    assert_eq!(rec.expires_at, Some(t(630)));
    let got = store.get_message(&rec.id).await.unwrap();
    assert_eq!(got, rec);
    assert_eq!(got.body, "hello");
    assert_eq!(got.priority, 7);
    assert_eq!(got.max_attempts, 3);
    assert_eq!(got.modem.as_deref(), Some("modem0"));
    assert_eq!(got.created_by.as_deref(), Some("ops"));
    let numbers: Vec<_> = got.recipients.iter().map(|r| r.number.as_str()).collect();
    assert_eq!(numbers, ["+15550001", "+15550002"]);
    for r in &got.recipients {
        assert_eq!(r.state, State::Queued);
        assert_eq!(r.attempts, 0);
        assert_eq!(r.next_attempt_at, t(30));
        assert!(r.parts.is_empty());
    }
    assert!(matches!(
        store.get_message("msg_nope").await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        store.enqueue(msg(&[], "x"), t(0)).await,
        Err(Error::Invalid(_))
    ));
}

#[tokio::test]
async fn enqueue_or_get_says_whether_it_created_the_message() {
    let store = open(&temp_db("enqueued"), t(0));
    let mut keyed = msg(&["+1555"], "body");
    keyed.idempotency_key = Some("key-1".into());
    let enqueue = |m: NewMessage, at| {
        let store = store.clone();
        async move {
            store
                .atomically(move |tx| tx.enqueue_or_get(&m, at))
                .await
                .unwrap()
        }
    };
    let first = enqueue(keyed.clone(), t(0)).await;
    let Enqueued::New(created) = &first else {
        panic!("the first enqueue created nothing: {first:?}");
    };
    // (name, message, created by this call?)
    let cases = [
        ("the same key and request again", keyed.clone(), false),
        ("no key", msg(&["+1555"], "body"), true),
        ("no key, again", msg(&["+1555"], "body"), true),
    ];
    for (name, m, new) in cases {
        let got = enqueue(m, t(10)).await;
        assert_eq!(matches!(got, Enqueued::New(_)), new, "{name}: {got:?}");
        assert_eq!(got.record().id == created.id, !new, "{name}");
    }
}

#[tokio::test]
async fn idempotency() {
    let path = temp_db("idem");
    let store = open(&path, t(0));
    let mut first = msg(&["+1555"], "body");
    first.idempotency_key = Some("key-1".into());
    let a = store.enqueue(first.clone(), t(0)).await.unwrap();

    // (change, same message expected?)
    type Change = fn(&mut NewMessage);
    let cases: &[(&str, Change, bool)] = &[
        ("identical", |_| {}, true),
        ("other token", |m| m.created_by = Some("x".into()), true),
        ("other body", |m| m.body = "other".into(), false),
        (
            "other recipient",
            |m| m.recipients = vec!["+1666".into()],
            false,
        ),
        ("other priority", |m| m.priority = 9, false),
        ("other send_at", |m| m.send_at = Some(t(5)), false),
        ("other ttl", |m| m.ttl = Some(Duration::from_secs(1)), false),
    ];
    for (name, change, same) in cases {
        let mut m = first.clone();
        change(&mut m);
        let got = store.enqueue(m, t(10)).await;
        if *same {
            assert_eq!(got.unwrap().id, a.id, "{name}");
        } else {
            match got {
                Err(Error::Conflict { key, existing_id }) => {
                    assert_eq!(key, "key-1", "{name}");
                    assert_eq!(existing_id, a.id, "{name}");
                }
                other => panic!("{name}: expected a conflict, got {other:?}"),
            }
        }
    }
    let no_key_1 = store.enqueue(msg(&["+1555"], "body"), t(0)).await.unwrap();
    let no_key_2 = store.enqueue(msg(&["+1555"], "body"), t(0)).await.unwrap();
    assert_ne!(no_key_1.id, no_key_2.id);

    // The key survives a restart.
    store.close().await.unwrap();
    let store = open(&path, t(20));
    assert_eq!(store.enqueue(first, t(20)).await.unwrap().id, a.id);
}

#[tokio::test]
async fn claim_due_respects_priority_send_at_and_claims_once() {
    let path = temp_db("claim");
    let store = open(&path, t(0));
    let mut ids = Vec::new();
    // (body, priority, send_at)
    let spec: &[(&str, i32, i64)] = &[
        ("bulk-1", 0, 0),
        ("urgent", 10, 0),
        ("later", 100, 60),
        ("bulk-2", 0, 0),
        ("mid", 5, 0),
    ];
    for (body, prio, at) in spec {
        let mut m = msg(&["+1"], body);
        m.priority = *prio;
        m.send_at = Some(t(*at));
        ids.push(store.enqueue(m, t(0)).await.unwrap().id);
    }
    let first = store.claim_due(t(1), 2, None).await.unwrap();
    let bodies: Vec<_> = first.iter().map(|j| j.body.as_str()).collect();
    assert_eq!(bodies, ["urgent", "mid"]);
    assert!(first.iter().all(|j| j.attempt == 1 && j.parts.is_empty()));
    let second = store.claim_due(t(1), 10, None).await.unwrap();
    let bodies: Vec<_> = second.iter().map(|j| j.body.as_str()).collect();
    assert_eq!(bodies, ["bulk-1", "bulk-2"], "age breaks priority ties");
    assert!(store.claim_due(t(59), 10, None).await.unwrap().is_empty());
    let third = store.claim_due(t(60), 10, None).await.unwrap();
    assert_eq!(third.len(), 1);
    assert_eq!(third[0].body, "later");
    assert!(store.claim_due(t(1000), 10, None).await.unwrap().is_empty());
    for id in &ids {
        assert_eq!(store.get_message(id).await.unwrap().state, State::Sending);
    }
}

#[tokio::test]
async fn claim_due_filters_by_modem() {
    let path = temp_db("claim-modem");
    let store = open(&path, t(0));
    let mut pinned = msg(&["+1"], "pinned");
    pinned.modem = Some("m1".into());
    store.enqueue(pinned, t(0)).await.unwrap();
    store.enqueue(msg(&["+2"], "any"), t(0)).await.unwrap();
    let m2 = store.claim_due(t(0), 10, Some("m2".into())).await.unwrap();
    assert_eq!(m2.len(), 1);
    assert_eq!(m2[0].body, "any");
    let m1 = store.claim_due(t(0), 10, Some("m1".into())).await.unwrap();
    assert_eq!(m1.len(), 1);
    assert_eq!(m1[0].modem.as_deref(), Some("m1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_enqueues_share_commits() {
    let path = temp_db("group");
    let store = open(&path, t(0));
    let before = store.commits();
    let mut tasks = Vec::new();
    for i in 0..200 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .enqueue(msg(&["+1"], &format!("m{i}")), t(0))
                .await
                .map(|m| m.id)
        }));
    }
    let mut ids = Vec::new();
    for task in tasks {
        ids.push(task.await.unwrap().unwrap());
    }
    let commits = store.commits() - before;
    assert!(commits >= 1);
    eprintln!("200 enqueues in {commits} commits");
    assert!(commits < 200, "200 enqueues took {commits} commits");
    let page = store
        .list_messages(MessageFilter::default(), None, 1000)
        .await
        .unwrap();
    assert_eq!(page.items.len(), 200);
    ids.sort();
    let mut listed: Vec<_> = page.items.into_iter().map(|m| m.id).collect();
    listed.sort();
    assert_eq!(ids, listed);
}

#[tokio::test]
async fn restart_resumes_and_sending_becomes_unknown() {
    let path = temp_db("restart");
    let store = open(&path, t(0));
    let a = store.enqueue(msg(&["+1"], "a"), t(0)).await.unwrap();
    let b = store.enqueue(msg(&["+2"], "b"), t(0)).await.unwrap();
    let claimed = store.claim_due(t(1), 1, None).await.unwrap();
    assert_eq!(claimed[0].message_id, a.id);
    store.close().await.unwrap();

    let store = open(&path, t(100));
    let a = store.get_message(&a.id).await.unwrap();
    assert_eq!(a.state, State::Unknown);
    assert_eq!(a.recipients[0].state, State::Unknown);
    let resumed = store.claim_due(t(101), 10, None).await.unwrap();
    assert_eq!(resumed.len(), 1, "the unknown one is not resent");
    assert_eq!(resumed[0].message_id, b.id);
}

#[tokio::test]
async fn what_open_makes_unknown_is_reported_inside_its_transaction() {
    let path = temp_db("restart-events");
    let store = open(&path, t(0));
    let a = store.enqueue(msg(&["+1", "+2"], "a"), t(0)).await.unwrap();
    store.claim_due(t(1), 2, None).await.unwrap();
    store.close().await.unwrap();

    // A failing callback rolls the recovery back: the recipients are still `sending`.
    let refused = Store::open_with(&path, t(50), &|_, _| Err(Error::Invalid("no".into())));
    assert!(refused.is_err());

    let seen = std::sync::Mutex::new(Vec::new());
    let store = Store::open_with(&path, t(100), &|tx, r| {
        // Inside the recovery's transaction: the recipient is already unknown.
        let m = tx.get_message(&r.message_id)?;
        let rec = m
            .recipients
            .iter()
            .find(|x| x.id == r.recipient_id)
            .unwrap();
        assert_eq!(rec.state, State::Unknown);
        seen.lock().unwrap().push(r.number.clone());
        Ok(())
    })
    .unwrap();
    let mut seen = seen.into_inner().unwrap();
    seen.sort();
    assert_eq!(seen, vec!["+1", "+2"]);
    assert_eq!(
        store.get_message(&a.id).await.unwrap().state,
        State::Unknown
    );
}

#[tokio::test]
async fn drop_without_close_keeps_acknowledged_writes() {
    let path = temp_db("drop");
    let store = open(&path, t(0));
    let mut ids = Vec::new();
    for i in 0..20 {
        ids.push(
            store
                .enqueue(msg(&["+1"], &format!("{i}")), t(0))
                .await
                .unwrap()
                .id,
        );
    }
    drop(store);
    let store = open(&path, t(1));
    for id in ids {
        store.get_message(&id).await.unwrap();
    }
}

/// Claims the one queued recipient and sends a `parts`-part message with MRs from `first_mr`.
async fn send_all(store: &Store, parts: u8, first_mr: u8, now: Timestamp) -> (String, i64) {
    let job = store.claim_due(now, 1, None).await.unwrap().remove(0);
    let new_parts: Vec<_> = (1..=parts)
        .map(|seq| NewPart {
            seq,
            total: parts,
            pdu_hex: format!("00{seq:02X}"),
        })
        .collect();
    let stored = store.add_parts(job.recipient_id, new_parts).await.unwrap();
    assert_eq!(stored.len(), parts as usize);
    for (i, p) in stored.iter().enumerate() {
        let want = if i + 1 == stored.len() {
            State::Sent
        } else {
            State::Sending
        };
        let got = store
            .record_part_sent(p.id, first_mr + i as u8, "m0", now)
            .await
            .unwrap();
        assert_eq!(got, want);
    }
    (job.message_id, job.recipient_id)
}

fn report(mr: u8, to: &str, outcome: ReportOutcome) -> NewStatusReport {
    NewStatusReport {
        modem: "m0".into(),
        mr,
        recipient: to.into(),
        status: match outcome {
            ReportOutcome::Delivered => 0x00,
            ReportOutcome::Pending => 0x20,
            ReportOutcome::Failed => 0x41,
        },
        outcome,
        pdu_hex: "0006".into(),
        discharge_at: None,
    }
}

const WINDOW: Duration = Duration::from_secs(3600);

/// A recipient settles once: the first failed part fails it, a later part's failed report
/// changes nothing (the compatibility APIs report per recipient and must not report twice).
#[tokio::test]
async fn a_recipient_settles_once_when_several_parts_fail() {
    let path = temp_db("reports_settle_once");
    let store = open(&path, t(0));
    store.enqueue(msg(&["+1555"], "long"), t(0)).await.unwrap();
    send_all(&store, 2, 10, t(10)).await;
    let first = store
        .record_status_report(report(10, "+1555", ReportOutcome::Failed), WINDOW, t(20))
        .await
        .unwrap()
        .matched
        .unwrap();
    assert_eq!(
        (first.recipient_state, first.settled),
        (State::Failed, true)
    );
    let second = store
        .record_status_report(report(11, "+1555", ReportOutcome::Failed), WINDOW, t(21))
        .await
        .unwrap()
        .matched
        .unwrap();
    assert_eq!(second.part_state, PartState::Failed);
    assert_eq!(
        (second.recipient_state, second.settled),
        (State::Failed, false)
    );
}

#[tokio::test]
async fn delivery_reports_match_and_roll_up() {
    let path = temp_db("reports");
    let store = open(&path, t(0));
    store.enqueue(msg(&["+1555"], "long"), t(0)).await.unwrap();
    let (id, _) = send_all(&store, 2, 10, t(10)).await;
    assert_eq!(store.get_message(&id).await.unwrap().state, State::Sent);

    // Reports that must not match: wrong modem, wrong number, wrong mr, outside the window.
    let mut wrong_modem = report(10, "+1555", ReportOutcome::Delivered);
    wrong_modem.modem = "m9".into();
    let misses = [
        (wrong_modem, t(20)),
        (report(10, "+1666", ReportOutcome::Delivered), t(20)),
        (report(12, "+1555", ReportOutcome::Delivered), t(20)),
        (report(10, "+1555", ReportOutcome::Delivered), t(10 + 3601)),
        (report(10, "+1555", ReportOutcome::Delivered), t(5)),
    ];
    for (r, now) in misses {
        let m = store.record_status_report(r, WINDOW, now).await.unwrap();
        assert!(m.matched.is_none());
    }

    let pending = store
        .record_status_report(report(10, "+1555", ReportOutcome::Pending), WINDOW, t(15))
        .await
        .unwrap()
        .matched
        .unwrap();
    assert_eq!(pending.part_state, PartState::Sent);
    assert_eq!(pending.message_state, State::Sent);
    assert!(!pending.settled);

    let first = store
        .record_status_report(report(10, "+1555", ReportOutcome::Delivered), WINDOW, t(20))
        .await
        .unwrap()
        .matched
        .unwrap();
    assert_eq!(first.message_id, id);
    assert_eq!(first.part_state, PartState::Delivered);
    assert_eq!(first.recipient_state, State::Sent, "one part still out");
    assert_eq!(first.message_state, State::Sent);
    assert!(!first.settled);

    let second = store
        .record_status_report(report(11, "+1555", ReportOutcome::Delivered), WINDOW, t(21))
        .await
        .unwrap()
        .matched
        .unwrap();
    assert_eq!(second.recipient_state, State::Delivered);
    assert_eq!(second.message_state, State::Delivered);
    assert!(
        second.settled,
        "the report that completes the recipient settles it"
    );
    let rec = store.get_message(&id).await.unwrap();
    assert_eq!(rec.state, State::Delivered);
    assert_eq!(rec.recipients[0].delivered_at, Some(t(21)));
    assert!(
        rec.recipients[0]
            .parts
            .iter()
            .all(|p| p.state == PartState::Delivered && p.report_at.is_some())
    );
}

#[tokio::test]
async fn a_failed_report_fails_the_recipient_and_mr_reuse_picks_the_latest() {
    let path = temp_db("reports-fail");
    let store = open(&path, t(0));
    store.enqueue(msg(&["+1555"], "one"), t(0)).await.unwrap();
    let (old, _) = send_all(&store, 1, 42, t(10)).await;
    store.enqueue(msg(&["+1555"], "two"), t(100)).await.unwrap();
    let (new, _) = send_all(&store, 1, 42, t(100)).await;
    let m = store
        .record_status_report(report(42, "+1555", ReportOutcome::Failed), WINDOW, t(110))
        .await
        .unwrap()
        .matched
        .unwrap();
    assert_eq!(m.message_id, new, "the most recent part with that mr");
    assert_eq!(m.recipient_state, State::Failed);
    assert_eq!(m.message_state, State::Failed);
    let m = store
        .record_status_report(
            report(42, "+1555", ReportOutcome::Delivered),
            WINDOW,
            t(111),
        )
        .await
        .unwrap()
        .matched
        .unwrap();
    assert_eq!(
        m.message_id, old,
        "the newer part already has its final report"
    );
    assert_eq!(m.message_state, State::Delivered);
}

#[tokio::test]
async fn multi_recipient_message_is_delivered_only_when_every_recipient_is() {
    let path = temp_db("multi");
    let store = open(&path, t(0));
    let rec = store.enqueue(msg(&["+1", "+2"], "x"), t(0)).await.unwrap();
    let (_, _) = send_all(&store, 1, 1, t(1)).await;
    let m = store
        .record_status_report(report(1, "+1", ReportOutcome::Delivered), WINDOW, t(2))
        .await
        .unwrap()
        .matched
        .unwrap();
    assert_eq!(m.recipient_state, State::Delivered);
    assert_eq!(m.message_state, State::Queued, "the second is still queued");
    let (_, _) = send_all(&store, 1, 2, t(3)).await;
    let m = store
        .record_status_report(report(2, "+2", ReportOutcome::Delivered), WINDOW, t(4))
        .await
        .unwrap()
        .matched
        .unwrap();
    assert_eq!(m.message_state, State::Delivered);
    assert_eq!(
        store.get_message(&rec.id).await.unwrap().state,
        State::Delivered
    );
}

#[tokio::test]
async fn cancel_only_while_queued() {
    let path = temp_db("cancel");
    let store = open(&path, t(0));
    let a = store.enqueue(msg(&["+1"], "a"), t(0)).await.unwrap();
    let cancelled = store.cancel(&a.id, t(1)).await.unwrap();
    assert_eq!(cancelled.state, State::Cancelled);
    assert!(store.claim_due(t(2), 10, None).await.unwrap().is_empty());
    assert!(matches!(
        store.cancel(&a.id, t(3)).await,
        Err(Error::InvalidState {
            from: State::Cancelled,
            to: State::Cancelled
        })
    ));

    let b = store.enqueue(msg(&["+1"], "b"), t(0)).await.unwrap();
    store.claim_due(t(1), 10, None).await.unwrap();
    match store.cancel(&b.id, t(2)).await {
        Err(Error::InvalidState { from, to }) => {
            assert_eq!((from, to), (State::Sending, State::Cancelled));
        }
        other => panic!("expected InvalidState, got {other:?}"),
    }
    assert!(matches!(
        store.cancel("msg_nope", t(2)).await,
        Err(Error::NotFound(_))
    ));
}

#[tokio::test]
async fn expiry() {
    let path = temp_db("expiry");
    let store = open(&path, t(0));
    let mut m = msg(&["+1"], "short-lived");
    m.ttl = Some(Duration::from_secs(60));
    m.send_at = Some(t(30));
    let a = store.enqueue(m, t(0)).await.unwrap();
    assert_eq!(a.expires_at, Some(t(90)));
    let keep = store.enqueue(msg(&["+2"], "forever"), t(0)).await.unwrap();
    assert!(store.expire_due(t(89)).await.unwrap().is_empty());
    // Past its TTL it is never claimed, even before expire_due runs.
    let claimed = store.claim_due(t(95), 10, None).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].message_id, keep.id);
    assert_eq!(store.expire_due(t(95)).await.unwrap(), vec![a.id.clone()]);
    let a = store.get_message(&a.id).await.unwrap();
    assert_eq!(a.state, State::Expired);
    assert!(store.expire_due(t(200)).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_huge_ttl_is_capped_so_the_message_stays_readable_and_claimable() {
    let path = temp_db("huge_ttl");
    let store = open(&path, t(0));
    // POST /messages and /bulk take `ttl` as any u64 of seconds.
    let mut m = msg(&["+1"], "practically forever");
    m.ttl = Some(Duration::from_secs(u64::MAX));
    let a = store.enqueue(m, t(0)).await.unwrap();
    // The latest whole second a timestamp can hold.
    let cap = Timestamp::from_second(Timestamp::MAX.as_second()).unwrap();
    assert_eq!(a.expires_at, Some(cap));
    let got = store.get_message(&a.id).await.unwrap();
    assert_eq!(got.expires_at, Some(cap));
    let claimed = store.claim_due(t(1), 10, None).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].message_id, a.id);
}

#[tokio::test]
async fn send_failures_retry_fail_or_park_as_unknown() {
    let path = temp_db("retry");
    let store = open(&path, t(0));
    // (class, next attempt given, attempts allowed, expected state)
    let cases = [
        (FailureClass::Temporary, true, 2, State::Queued),
        (FailureClass::Temporary, true, 1, State::Failed),
        (FailureClass::Temporary, false, 5, State::Failed),
        (FailureClass::Permanent, true, 5, State::Failed),
        (FailureClass::Unknown, true, 5, State::Unknown),
    ];
    for (i, (class, next, max, want)) in cases.into_iter().enumerate() {
        let mut m = msg(&["+1"], &format!("case {i}"));
        m.max_attempts = max;
        let rec = store.enqueue(m, t(0)).await.unwrap();
        let job = store.claim_due(t(1), 1, None).await.unwrap().remove(0);
        assert_eq!(job.message_id, rec.id);
        let next = next.then(|| t(50));
        let got = store
            .record_send_failed(job.recipient_id, class, "+CMS ERROR: 500", next, t(2))
            .await
            .unwrap();
        assert_eq!(got, want, "case {i}");
        let rec = store.get_message(&rec.id).await.unwrap();
        assert_eq!(rec.recipients[0].error.as_deref(), Some("+CMS ERROR: 500"));
        if want == State::Queued {
            assert!(store.claim_due(t(49), 10, None).await.unwrap().is_empty());
            let again = store.claim_due(t(50), 10, None).await.unwrap().remove(0);
            assert_eq!(again.attempt, 2);
            let got = store
                .record_send_failed(again.recipient_id, class, "again", Some(t(99)), t(51))
                .await
                .unwrap();
            assert_eq!(got, State::Failed, "attempts exhausted");
        }
        // Not sending any more: a second failure report is refused.
        assert!(matches!(
            store
                .record_send_failed(job.recipient_id, class, "x", None, t(3))
                .await,
            Err(Error::InvalidState { .. })
        ));
    }
}

#[tokio::test]
async fn a_retry_keeps_the_parts_already_sent() {
    let path = temp_db("retry-parts");
    let store = open(&path, t(0));
    store.enqueue(msg(&["+1"], "x"), t(0)).await.unwrap();
    let job = store.claim_due(t(0), 1, None).await.unwrap().remove(0);
    let parts = (1..=2)
        .map(|seq| NewPart {
            seq,
            total: 2,
            pdu_hex: format!("AA{seq}"),
        })
        .collect();
    let parts = store.add_parts(job.recipient_id, parts).await.unwrap();
    store
        .record_part_sent(parts[0].id, 7, "m0", t(1))
        .await
        .unwrap();
    store
        .record_send_failed(
            job.recipient_id,
            FailureClass::Temporary,
            "timeout",
            Some(t(10)),
            t(2),
        )
        .await
        .unwrap();
    let again = store.claim_due(t(10), 1, None).await.unwrap().remove(0);
    let states: Vec<_> = again.parts.iter().map(|p| (p.seq, p.state)).collect();
    assert_eq!(states, [(1, PartState::Sent), (2, PartState::Pending)]);
    let state = store
        .record_part_sent(again.parts[1].id, 8, "m0", t(11))
        .await
        .unwrap();
    assert_eq!(state, State::Sent);
    assert!(matches!(
        store
            .record_part_sent(again.parts[1].id, 8, "m0", t(12))
            .await,
        Err(Error::InvalidState { .. })
    ));
}

#[tokio::test]
async fn list_messages_keyset_pagination_and_filters() {
    let path = temp_db("list");
    let store = open(&path, t(0));
    let mut ids = Vec::new();
    for i in 0..7 {
        let mut m = msg(&["+1"], &format!("{i}"));
        m.created_by = Some(if i % 2 == 0 { "even" } else { "odd" }.into());
        ids.push(store.enqueue(m, t(i)).await.unwrap().id);
    }
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = store
            .list_messages(MessageFilter::default(), cursor, 3)
            .await
            .unwrap();
        seen.extend(page.items.iter().map(|m| m.id.clone()));
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    ids.reverse();
    assert_eq!(seen, ids, "newest first, each once");

    let odd = MessageFilter {
        created_by: Some("odd".into()),
        ..MessageFilter::default()
    };
    let page = store.list_messages(odd, None, 100).await.unwrap();
    assert_eq!(page.items.len(), 3);
    store.cancel(&ids[0], t(10)).await.unwrap();
    let cancelled = MessageFilter {
        state: Some(State::Cancelled),
        ..MessageFilter::default()
    };
    let page = store.list_messages(cancelled, None, 100).await.unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].id, ids[0]);
}

/// Every page of a listing, walked with its cursor.
async fn list_all(store: &Store, filter: MessageFilter, page: usize) -> Vec<String> {
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let p = store
            .list_messages(filter.clone(), cursor, page)
            .await
            .unwrap();
        assert!(p.items.len() <= page);
        seen.extend(p.items.iter().map(|m| m.id.clone()));
        cursor = p.next_cursor;
        if cursor.is_none() {
            return seen;
        }
    }
}

#[tokio::test]
async fn listing_filters_by_number_time_and_state_page_by_page() {
    let path = temp_db("list-filters");
    let store = open(&path, t(0));
    let numbers = ["+819011110000", "+819022220000", "+819033330000"];
    // (id, recipients, created at)
    let mut made: Vec<(String, Vec<&str>, i64)> = Vec::new();
    for i in 0..40i64 {
        let mut to = vec![numbers[i as usize % 3]];
        if i % 7 == 0 {
            // Two recipients, and once the same number twice.
            to.push(numbers[(i as usize + 1) % 3]);
        }
        if i == 14 {
            to.push(numbers[2]);
        }
        let id = store.enqueue(msg(&to, "お知らせ"), t(i)).await.unwrap().id;
        made.push((id, to, i));
    }
    for (id, _, at) in &made {
        if at % 5 == 0 {
            store.cancel(id, t(50)).await.unwrap();
        }
    }
    let want = |f: &dyn Fn(&(String, Vec<&str>, i64)) -> bool| -> Vec<String> {
        made.iter()
            .rev()
            .filter(|m| f(m))
            .map(|m| m.0.clone())
            .collect()
    };
    let a = numbers[0].to_owned();
    let c = numbers[2].to_owned();
    let cases: Vec<(&str, MessageFilter, Vec<String>)> = vec![
        (
            "to",
            MessageFilter {
                to: Some(a.clone()),
                ..MessageFilter::default()
            },
            want(&|m| m.1.contains(&a.as_str())),
        ),
        (
            "to, a number given twice in a message",
            MessageFilter {
                to: Some(c.clone()),
                ..MessageFilter::default()
            },
            want(&|m| m.1.contains(&c.as_str())),
        ),
        (
            "to and since",
            MessageFilter {
                to: Some(a.clone()),
                since: Some(t(20)),
                ..MessageFilter::default()
            },
            want(&|m| m.1.contains(&a.as_str()) && m.2 >= 20),
        ),
        (
            "since",
            MessageFilter {
                since: Some(t(33)),
                ..MessageFilter::default()
            },
            want(&|m| m.2 >= 33),
        ),
        (
            "state and to",
            MessageFilter {
                state: Some(State::Cancelled),
                to: Some(a.clone()),
                ..MessageFilter::default()
            },
            want(&|m| m.1.contains(&a.as_str()) && m.2 % 5 == 0),
        ),
        (
            "state and since",
            MessageFilter {
                state: Some(State::Queued),
                since: Some(t(10)),
                ..MessageFilter::default()
            },
            want(&|m| m.2 % 5 != 0 && m.2 >= 10),
        ),
        (
            "since after everything",
            MessageFilter {
                since: Some(t(41)),
                ..MessageFilter::default()
            },
            Vec::new(),
        ),
    ];
    for (name, filter, expected) in cases {
        assert!(
            name == "since after everything" || !expected.is_empty(),
            "{name}"
        );
        for page in [1, 3, 50] {
            assert_eq!(
                list_all(&store, filter.clone(), page).await,
                expected,
                "{name}, pages of {page}"
            );
        }
    }
}

#[tokio::test]
async fn webhook_outbox_and_audit_log() {
    let path = temp_db("events");
    let store = open(&path, t(0));
    let a = store
        .enqueue_event("crm", "message.delivered", "{\"id\":1}", t(0))
        .await
        .unwrap();
    let b = store
        .enqueue_event("crm", "message.failed", "{\"id\":2}", t(1))
        .await
        .unwrap();
    let due = store.due_events(t(1), 10).await.unwrap();
    assert_eq!(due.iter().map(|e| e.id).collect::<Vec<_>>(), [a, b]);
    store.mark_event_delivered(a, t(2)).await.unwrap();
    store
        .mark_event_failed(b, "503", Some(t(60)))
        .await
        .unwrap();
    assert!(store.due_events(t(59), 10).await.unwrap().is_empty());
    let due = store.due_events(t(60), 10).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].attempts, 1);
    assert_eq!(due[0].last_error.as_deref(), Some("503"));
    store.mark_event_failed(b, "503", None).await.unwrap();
    assert!(store.due_events(t(1000), 10).await.unwrap().is_empty());
    assert!(matches!(
        store.mark_event_delivered(b, t(3)).await,
        Err(Error::NotFound(_))
    ));

    store
        .audit("ops", "message.create", Some("msg_1"), t(5))
        .await
        .unwrap();
    store
        .audit("admin", "token.list", None, t(6))
        .await
        .unwrap();
    let log = store.audit_log(10).await.unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].token, "admin");
    assert_eq!(log[1].action, "message.create");
    assert_eq!(log[1].target.as_deref(), Some("msg_1"));
    assert_eq!(log[1].at, t(5));
}

#[tokio::test]
async fn closed_store_refuses_writes() {
    let path = temp_db("closed");
    let store = open(&path, t(0));
    store.close().await.unwrap();
    assert!(matches!(
        store.enqueue(msg(&["+1"], "x"), t(0)).await,
        Err(Error::Closed)
    ));
}

#[tokio::test]
async fn unknown_is_resolved_only_by_an_explicit_decision() {
    let path = temp_db("resolve");
    let store = open(&path, t(0));
    let a = store.enqueue(msg(&["+1"], "a"), t(0)).await.unwrap();
    let b = store.enqueue(msg(&["+2"], "b"), t(0)).await.unwrap();
    let jobs = store.claim_due(t(1), 10, None).await.unwrap();
    assert!(matches!(
        store
            .resolve_unknown(jobs[0].recipient_id, true, t(2))
            .await,
        Err(Error::InvalidState {
            from: State::Sending,
            to: State::Queued
        })
    ));
    store.close().await.unwrap();
    let store = open(&path, t(10));
    assert!(store.claim_due(t(11), 10, None).await.unwrap().is_empty());
    let ra = store.get_message(&a.id).await.unwrap().recipients[0].id;
    let rb = store.get_message(&b.id).await.unwrap().recipients[0].id;
    assert_eq!(
        store.resolve_unknown(ra, true, t(12)).await.unwrap(),
        State::Queued
    );
    assert_eq!(
        store.resolve_unknown(rb, false, t(12)).await.unwrap(),
        State::Failed
    );
    let again = store.claim_due(t(12), 10, None).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].message_id, a.id);
    assert_eq!(again[0].attempt, 2);
    assert_eq!(store.get_message(&b.id).await.unwrap().state, State::Failed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_write_does_not_spoil_its_batch() {
    let path = temp_db("isolation");
    let store = open(&path, t(0));
    let mut keyed = msg(&["+1"], "original");
    keyed.idempotency_key = Some("dup".into());
    let original = store.enqueue(keyed.clone(), t(0)).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..100 {
        let store = store.clone();
        let mut m = if i % 2 == 0 {
            msg(&["+1"], &format!("fresh {i}"))
        } else {
            let mut m = keyed.clone();
            m.body = format!("conflicting {i}");
            m
        };
        if i % 10 == 0 {
            m.recipients.clear(); // invalid
        }
        tasks.push(tokio::spawn(
            async move { (i, store.enqueue(m, t(1)).await) },
        ));
    }
    let mut fresh = 0;
    for task in tasks {
        let (i, result) = task.await.unwrap();
        match (i % 10 == 0, i % 2 == 0, result) {
            (true, _, Err(Error::Invalid(_))) => {}
            (false, true, Ok(_)) => fresh += 1,
            (false, false, Err(Error::Conflict { existing_id, .. })) => {
                assert_eq!(existing_id, original.id)
            }
            (_, _, other) => panic!("write {i}: unexpected {other:?}"),
        }
    }
    assert_eq!(fresh, 40);
    let page = store
        .list_messages(MessageFilter::default(), None, 1000)
        .await
        .unwrap();
    assert_eq!(page.items.len(), 41);
}

#[tokio::test]
async fn atomically_commits_all_or_nothing() {
    let path = temp_db("atomic");
    let store = open(&path, t(0));
    let crm = NewEvent {
        endpoint: "crm".into(),
        kind: "message.cancelled".into(),
        payload: "{}".into(),
    };
    // Enqueue + audit + event, then a failure: none of it is stored.
    let event = crm.clone();
    let failed = store
        .atomically(move |tx| {
            let m = tx.enqueue(&msg(&["+1"], "x"), t(0))?;
            tx.audit("ops", "message.create", Some(&m.id), t(0))?;
            tx.enqueue_event(&event, t(0))?;
            tx.cancel("msg_nope", t(0))
        })
        .await;
    assert!(matches!(failed, Err(Error::NotFound(_))));
    assert!(store.audit_log(10).await.unwrap().is_empty());
    assert!(store.due_events(t(0), 10).await.unwrap().is_empty());
    let page = store
        .list_messages(MessageFilter::default(), None, 10)
        .await
        .unwrap();
    assert!(page.items.is_empty());

    let id = store
        .atomically(move |tx| {
            let m = tx.enqueue(&msg(&["+1"], "x"), t(0))?;
            tx.audit("ops", "message.create", Some(&m.id), t(0))?;
            let c = tx.cancel(&m.id, t(1))?;
            tx.enqueue_event(&crm, t(1))?;
            Ok(c.id)
        })
        .await
        .unwrap();
    assert_eq!(
        store.get_message(&id).await.unwrap().state,
        State::Cancelled
    );
    assert_eq!(store.audit_log(10).await.unwrap().len(), 1);
    assert_eq!(store.due_events(t(1), 10).await.unwrap().len(), 1);
}

#[tokio::test]
async fn retention_deletes_only_finished_records_older_than_the_cutoff() {
    let dir = std::env::temp_dir().join(format!("smsgate-retention-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = smsgate::store::Store::open(dir.join("r.db")).unwrap();
    let t0 = jiff::Timestamp::from_second(1_700_000_000).unwrap();
    let old = store
        .enqueue(
            smsgate::store::NewMessage::new(vec!["+811".into()], "old"),
            t0,
        )
        .await
        .unwrap();
    store.cancel(&old.id, t0).await.unwrap();
    let waiting = store
        .enqueue(
            smsgate::store::NewMessage::new(vec!["+812".into()], "waiting"),
            t0,
        )
        .await
        .unwrap();
    let later = t0 + jiff::SignedDuration::from_hours(24 * 100);
    let pruned = store.prune(later).await.unwrap();
    assert_eq!(pruned.outbound, 1);
    assert!(
        store.get_message(&old.id).await.is_err(),
        "finished and old: deleted"
    );
    assert_eq!(
        store.get_message(&waiting.id).await.unwrap().body,
        "waiting",
        "still queued: kept"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_device_failure_does_not_count_against_the_message() {
    let dir = std::env::temp_dir().join(format!("smsgate-device-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = smsgate::store::Store::open(dir.join("d.db")).unwrap();
    let t0 = jiff::Timestamp::from_second(1_700_000_000).unwrap();
    let mut m = smsgate::store::NewMessage::new(vec!["+813".into()], "bounce");
    m.max_attempts = 1;
    let rec = store.enqueue(m, t0).await.unwrap();
    for _ in 0..3 {
        let job = store.claim_due(t0, 1, None).await.unwrap().remove(0);
        let state = store
            .record_send_failed(
                job.recipient_id,
                smsgate::store::FailureClass::Device,
                "modem hung",
                Some(t0),
                t0,
            )
            .await
            .unwrap();
        assert_eq!(
            state,
            smsgate::store::State::Queued,
            "the modem's fault, not the message's"
        );
    }
    let r = &store.get_message(&rec.id).await.unwrap().recipients[0];
    assert_eq!(r.attempts, 0);
    let _ = std::fs::remove_dir_all(&dir);
}
