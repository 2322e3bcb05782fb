//! Rule evaluation: 500 rules, about 400 keyword rules, 80 regex rules and the rest
//! group, business-hours and first-contact rules, against messages that match the last rule or
//! none, so every reachable rule is tried. Each iteration includes folding the message's first
//! word. `cargo bench --bench rules`; figures in docs/benchmarks.md (goal: at most 50 µs).

// A bench unwraps its own fixtures; the lints guard the service's code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use jiff::Timestamp;
use smsgate::rules::{Action, Context, RuleSet, RuleSpec, Window};

fn rule(name: String) -> RuleSpec {
    RuleSpec {
        name,
        keywords: Vec::new(),
        regex: None,
        any: false,
        first_contact: false,
        window: None,
        group: None,
        actions: vec![
            Action::Tag {
                tag: "bench".into(),
            },
            Action::NeedsHuman,
        ],
    }
}

/// 500 rules; the last one is a regex rule matching `LAST-ORDER-<digits>`.
fn specs() -> Vec<RuleSpec> {
    let mut specs = Vec::with_capacity(500);
    for i in 0..499 {
        let mut r = rule(format!("r{i}"));
        match i % 25 {
            // 80 regex rules: realistic shapes, none matching the benchmark texts.
            0..=3 => {
                r.regex = Some(match i % 4 {
                    0 => format!(r"(?i)\border\s*#?\s*{i}\d{{4,}}\b"),
                    1 => format!(r"(?i)invoice[- ]?{i}[a-z]{{2}}\d+"),
                    2 => format!(r"予約番号\s*{i}\d{{3}}"),
                    _ => format!(r"(?i)^(cancel|キャンセル)\s+{i}$"),
                })
            }
            // 20 group rules, 10 window rules, 10 first-contact rules (each also with a
            // keyword or not, to mix the paths).
            4 => r.group = Some(format!("group-{i}")),
            // Business hours are open in every benchmark message, so these never match.
            5 => r.window = Some(Window::Closed),
            6 => {
                r.first_contact = true;
                r.keywords = vec![format!("hello{i}")];
            }
            // About 380 keyword rules: Latin, full-width and Japanese keywords.
            _ => r.keywords = vec![format!("kw{i}"), format!("ｋｅｙ{i}"), format!("料金{i}")],
        }
        specs.push(r);
    }
    let mut last = rule("last".into());
    last.regex = Some(r"LAST-ORDER-\d{6}".into());
    specs.push(last);
    specs
}

fn bench(c: &mut Criterion) {
    let specs = specs();
    let set = RuleSet::compile(&specs).expect("the benchmark rules compile");
    assert_eq!(set.len(), 500);
    let groups = vec!["customers".to_owned(), "tokyo".to_owned()];
    let at: Timestamp = "2026-11-24T10:00:00+09:00".parse().expect("a time");
    // (name, text, expected rule index)
    let texts = [
        (
            "last rule, ascii",
            "Hello, where is my parcel? It is LAST-ORDER-123456, placed on Monday.".to_owned(),
            Some(499),
        ),
        (
            "no rule, japanese",
            "お問い合わせありがとうございます。注文した商品がまだ届きません。確認をお願いします。"
                .to_owned(),
            None,
        ),
        (
            "no rule, full-width first word",
            "ＰＲＩＣＥ of the blue model please, and delivery times to Osaka".to_owned(),
            None,
        ),
        (
            "no rule, 600 characters",
            "Could you tell me more about the delivery options? "
                .repeat(12)
                .to_owned(),
            None,
        ),
    ];
    let mut g = c.benchmark_group("rules/evaluate_500");
    for (name, text, want) in &texts {
        let ctx = Context {
            text,
            sender: "+819012345678",
            at,
            first_contact: false,
            groups: &groups,
            open: true,
        };
        assert_eq!(set.evaluate(&ctx).map(|f| f.index), *want, "{name}");
        g.bench_function(*name, |b| {
            b.iter(|| set.evaluate(black_box(&ctx)).map(|f| f.index))
        });
    }
    g.finish();
    c.bench_function("rules/compile_500", |b| {
        b.iter(|| RuleSet::compile(black_box(&specs)).map(|s| s.len()))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
