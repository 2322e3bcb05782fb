//! Contacts, groups, the consent listing and templates on real SQLite files.

// A test unwraps its own fixtures; the lints guard the service's code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;

use common::{t, temp_db};
use smsgate::store::{ContactFilter, NewContact, Store};

fn contact(number: &str, name: &str, groups: &[&str]) -> NewContact {
    NewContact {
        number: number.to_owned(),
        name: name.to_owned(),
        fields: BTreeMap::new(),
        groups: groups.iter().map(|g| (*g).to_owned()).collect(),
    }
}

fn numbers(v: &[smsgate::store::Contact]) -> Vec<&str> {
    v.iter().map(|c| c.number.as_str()).collect()
}

#[tokio::test]
async fn upsert_replaces_name_fields_and_groups() {
    let store = Store::open_at(temp_db("contacts-upsert"), t(0)).unwrap();
    let mut c = contact("+819012345678", "田中 太郎", &["vip", "tokyo", "vip"]);
    c.fields.insert("company".into(), "ACME, Inc.".into());
    let (got, created) = store.upsert_contact(c, t(10)).await.unwrap();
    assert!(created);
    assert_eq!(got.name, "田中 太郎");
    assert_eq!(got.groups, vec!["tokyo", "vip"], "deduplicated and sorted");
    assert_eq!(got.fields["company"], "ACME, Inc.");
    assert_eq!((got.created_at, got.updated_at), (t(10), t(10)));

    let (got, created) = store
        .upsert_contact(contact("+819012345678", "Taro", &["osaka"]), t(20))
        .await
        .unwrap();
    assert!(!created);
    assert_eq!(got.name, "Taro");
    assert!(got.fields.is_empty(), "fields are replaced, not merged");
    assert_eq!(got.groups, vec!["osaka"]);
    assert_eq!((got.created_at, got.updated_at), (t(10), t(20)));
    assert_eq!(store.get_contact("+819012345678").await.unwrap(), Some(got));
    assert_eq!(
        store.groups_of("+819012345678").await.unwrap(),
        vec!["osaka"]
    );
    assert!(store.groups_of("+810000000000").await.unwrap().is_empty());
    assert_eq!(
        store.list_groups().await.unwrap(),
        vec![("osaka".to_owned(), 1)]
    );
}

#[tokio::test]
async fn delete_takes_the_group_memberships_with_it() {
    let store = Store::open_at(temp_db("contacts-delete"), t(0)).unwrap();
    for (n, g) in [("+811", &["a", "b"][..]), ("+812", &["b"][..])] {
        store.upsert_contact(contact(n, "", g), t(1)).await.unwrap();
    }
    assert!(store.delete_contact("+811").await.unwrap());
    assert!(!store.delete_contact("+811").await.unwrap(), "gone already");
    assert_eq!(store.get_contact("+811").await.unwrap(), None);
    assert_eq!(
        store.list_groups().await.unwrap(),
        vec![("b".to_owned(), 1)],
        "group a had only the deleted contact"
    );
    assert_eq!(numbers(&store.group_members("b").await.unwrap()), ["+812"]);
}

#[tokio::test]
async fn ten_thousand_imported_in_one_call_are_one_group() {
    let store = Store::open_at(temp_db("contacts-import"), t(0)).unwrap();
    let rows: Vec<NewContact> = (0..10_000)
        .map(|i| {
            let mut c = contact(&format!("+8190{i:08}"), &format!("n{i}"), &["all"]);
            c.fields.insert("seq".into(), i.to_string());
            if i % 2 == 0 {
                c.groups.push("even".into());
            }
            c
        })
        .collect();
    let commits = store.commits();
    let counts = store.import_contacts(rows.clone(), t(1)).await.unwrap();
    assert_eq!((counts.created, counts.updated), (10_000, 0));
    assert_eq!(store.commits() - commits, 1, "one transaction");

    let members = store.group_members("all").await.unwrap();
    assert_eq!(members.len(), 10_000);
    assert_eq!(members[42].fields["seq"], "42");
    assert_eq!(members[42].groups, vec!["all", "even"]);
    assert_eq!(store.group_members("even").await.unwrap().len(), 5_000);
    let sizes = store
        .atomically(|tx| Ok((tx.group_size("even")?, tx.group_size("none")?)))
        .await
        .unwrap();
    assert_eq!(sizes, (5_000, 0));
    assert_eq!(
        store.list_groups().await.unwrap(),
        vec![("all".to_owned(), 10_000), ("even".to_owned(), 5_000)]
    );

    // Again: every row is an update now.
    let counts = store.import_contacts(rows, t(2)).await.unwrap();
    assert_eq!((counts.created, counts.updated), (0, 10_000));
}

#[tokio::test]
async fn a_failing_import_writes_nothing() {
    let store = Store::open_at(temp_db("contacts-import-fail"), t(0)).unwrap();
    let rows = vec![contact("+811", "ok", &[]), contact("", "no number", &[])];
    assert!(store.import_contacts(rows, t(1)).await.is_err());
    assert_eq!(store.get_contact("+811").await.unwrap(), None);
}

#[tokio::test]
async fn listing_pages_by_number_with_filters() {
    let store = Store::open_at(temp_db("contacts-list"), t(0)).unwrap();
    let rows = vec![
        contact("+81901", "Tanaka", &["vip"]),
        contact("+81902", "tanabe", &[]),
        contact("+81903", "Suzuki", &["vip"]),
        contact("+44700", "100%_real", &["vip"]),
        contact("+81904", "佐藤", &[]),
    ];
    store.import_contacts(rows, t(1)).await.unwrap();

    // Every page of two, in number order, with no item twice.
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = store
            .list_contacts(ContactFilter::default(), cursor, 2)
            .await
            .unwrap();
        assert!(page.items.len() <= 2);
        seen.extend(page.items.into_iter().map(|c| c.number));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(seen, ["+44700", "+81901", "+81902", "+81903", "+81904"]);

    let cases: &[(&str, Option<&str>, Option<&str>, &[&str])] = &[
        ("group", Some("vip"), None, &["+44700", "+81901", "+81903"]),
        (
            "name prefix ignores ascii case",
            None,
            Some("TANA"),
            &["+81901", "+81902"],
        ),
        (
            "number prefix",
            None,
            Some("+8190"),
            &["+81901", "+81902", "+81903", "+81904"],
        ),
        ("number prefix without plus", None, Some("447"), &["+44700"]),
        ("japanese name", None, Some("佐"), &["+81904"]),
        ("wildcards are literal", None, Some("100%_"), &["+44700"]),
        ("a percent alone matches no name", None, Some("%"), &[]),
        ("group and search", Some("vip"), Some("Su"), &["+81903"]),
        ("unknown group", Some("nobody"), None, &[]),
    ];
    for (name, group, search, want) in cases {
        let filter = ContactFilter {
            group: group.map(str::to_owned),
            search: search.map(str::to_owned),
        };
        let page = store.list_contacts(filter, None, 100).await.unwrap();
        assert_eq!(numbers(&page.items), *want, "{name}");
        assert_eq!(page.next_cursor, None, "{name}");
    }
}

#[tokio::test]
async fn consent_listing_pages_the_opted_out_numbers() {
    let store = Store::open_at(temp_db("consent-list"), t(0)).unwrap();
    for (n, out) in [
        ("+813", true),
        ("+811", true),
        ("+812", false),
        ("+814", true),
    ] {
        store.set_consent(n, true, "sms:in_1", t(1)).await.unwrap();
        store.set_consent(n, out, "api:desk", t(2)).await.unwrap();
    }
    let page = store.list_consent(true, None, 2).await.unwrap();
    let got: Vec<_> = page.items.iter().map(|c| c.number.as_str()).collect();
    assert_eq!(got, ["+811", "+813"]);
    let next = store.list_consent(true, page.next_cursor, 2).await.unwrap();
    assert_eq!(next.items.len(), 1);
    assert_eq!(next.items[0].number, "+814");
    assert_eq!(next.next_cursor, None);
    let back_in = store.list_consent(false, None, 10).await.unwrap();
    assert_eq!(back_in.items.len(), 1);
    assert_eq!(
        (
            back_in.items[0].number.as_str(),
            back_in.items[0].updated_at
        ),
        ("+812", t(2))
    );
}

#[tokio::test]
async fn templates_upsert_list_delete() {
    let store = Store::open_at(temp_db("templates"), t(0)).unwrap();
    let (tpl, created) = store
        .upsert_template("ack", "Thanks {name}", Some("crm"), t(1))
        .await
        .unwrap();
    assert!(created);
    assert_eq!(
        (tpl.body.as_str(), tpl.updated_by.as_deref(), tpl.updated_at),
        ("Thanks {name}", Some("crm"), t(1))
    );
    let (tpl, created) = store
        .upsert_template("ack", "Back in {hours}", None, t(2))
        .await
        .unwrap();
    assert!(!created);
    assert_eq!(
        (tpl.body.as_str(), tpl.updated_by),
        ("Back in {hours}", None)
    );
    store
        .upsert_template("bye", "Bye", Some("ops"), t(3))
        .await
        .unwrap();
    let names: Vec<_> = store
        .list_templates()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(names, ["ack", "bye"]);
    assert!(store.delete_template("ack").await.unwrap());
    assert!(!store.delete_template("ack").await.unwrap());
    assert_eq!(store.get_template("ack").await.unwrap(), None);
}
