//! Property tests of the rules: folding is idempotent, and evaluation never panics whatever the
//! text.

// A test unwraps its own fixtures; the lints guard the service's code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use jiff::Timestamp;
use proptest::prelude::*;
use smsgate::rules::normalize::{first_word, fold, folded_first_word};
use smsgate::rules::{Context, RuleSet, RuleSpec};

/// Text drawn from what support lines see: ASCII, full- and half-width forms, kana, kanji,
/// combining marks, emoji, separators, and now and then anything at all.
fn text() -> impl Strategy<Value = String> {
    let common = prop::sample::select(
        "abcSTOPstop 0123!?.,、。！？\u{3000}\n\t"
            .chars()
            .collect::<Vec<_>>(),
    );
    let wide = prop::sample::select(
        "あいうすとっぷアイウストップｽﾄｯﾌﾟﾞﾟ停止配信ＳＴＯＰ１２\u{301}\u{3099}\u{309A}ßİΣς😀👍🏽🇯🇵﹗"
            .chars()
            .collect::<Vec<_>>(),
    );
    let ch = prop_oneof![6 => common, 3 => wide, 2 => any::<char>()];
    prop::collection::vec(ch, 0..80).prop_map(|v| v.into_iter().collect())
}

/// Compiled once: compiling the regexes per case would dominate the test's time.
fn rules() -> &'static RuleSet {
    static RULES: std::sync::OnceLock<RuleSet> = std::sync::OnceLock::new();
    RULES.get_or_init(compile)
}

fn compile() -> RuleSet {
    let specs: Vec<RuleSpec> = serde_json::from_value(serde_json::json!([
        {"name": "stop", "keywords": ["ＳＴＯＰ", "すとっぷ", "停止"], "actions": ["stop"]},
        {"name": "regex", "regex": "(?i)order\\s*\\d+", "actions": ["needs_human"]},
        {"name": "kw-regex", "keywords": ["refund"], "regex": "\\d{3}", "actions": ["needs_human"]},
        {"name": "group", "group": "vip", "actions": [{"tag": {"tag": "vip"}}]},
        {"name": "closed", "window": "closed", "actions": [{"tag": {"tag": "night"}}]},
        {"name": "first", "first_contact": true, "actions": [{"tag": {"tag": "new"}}]},
    ]))
    .expect("specs");
    RuleSet::compile(&specs).expect("rules compile")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn fold_is_idempotent(s in text()) {
        let once = fold(&s);
        prop_assert_eq!(fold(&once), once);
    }

    #[test]
    fn folded_first_word_is_a_folded_word(s in text()) {
        let w = folded_first_word(&s);
        prop_assert_eq!(fold(&w), w.clone());
        prop_assert_eq!(first_word(&w), w.as_str());
    }

    #[test]
    fn evaluate_never_panics(s in text(), open: bool, first: bool, vip: bool) {
        let set = rules();
        let groups = if vip { vec!["vip".to_owned()] } else { Vec::new() };
        let ctx = Context {
            text: &s,
            sender: "+819012345678",
            at: Timestamp::UNIX_EPOCH,
            first_contact: first,
            groups: &groups,
            open,
        };
        let fired = set.evaluate(&ctx);
        // Something always fires for a closed window, a VIP or a first contact.
        if !open || vip || first {
            prop_assert!(fired.is_some());
        }
    }
}
