//! The API-managed rules in the store: replaced as one ordered list, atomically.

// A test unwraps its own fixtures; the lints guard the service's code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{t, temp_db};
use smsgate::store::{Error, NewRule, Store};

fn rule(name: &str) -> NewRule {
    NewRule {
        name: name.to_owned(),
        spec: format!(r#"{{"name":"{name}","any":true,"actions":["stop"]}}"#),
    }
}

#[tokio::test]
async fn replace_keeps_order_and_replaces_the_whole_list() {
    let store = Store::open(temp_db("store-rules")).unwrap();
    assert!(store.rules().await.unwrap().is_empty());
    store
        .replace_rules(
            vec![rule("b"), rule("a"), rule("c")],
            Some("crm".into()),
            t(1),
        )
        .await
        .unwrap();
    let got = store.rules().await.unwrap();
    let names: Vec<(i64, &str)> = got.iter().map(|r| (r.position, r.name.as_str())).collect();
    assert_eq!(names, vec![(1, "b"), (2, "a"), (3, "c")]);
    assert_eq!(got[0].updated_at, t(1));
    assert_eq!(got[0].updated_by.as_deref(), Some("crm"));
    assert!(got[0].spec.contains("\"b\""));

    store
        .replace_rules(vec![rule("z")], None, t(2))
        .await
        .unwrap();
    let got = store.rules().await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(
        (got[0].name.as_str(), got[0].updated_by.as_deref()),
        ("z", None)
    );
}

#[tokio::test]
async fn a_duplicate_name_is_refused_and_the_old_list_stays() {
    let store = Store::open(temp_db("store-rules-dup")).unwrap();
    store
        .replace_rules(vec![rule("a")], None, t(1))
        .await
        .unwrap();
    let err = store
        .replace_rules(vec![rule("x"), rule("x")], None, t(2))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Invalid(m) if m.contains("\"x\"")),
        "{err}"
    );
    let got = store.rules().await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].name, "a");
}
