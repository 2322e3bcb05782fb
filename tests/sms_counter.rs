//! The composer's SMS counter against the shared table
//! `tests/fixtures/sms_counter.json`. The desk's browser counter
//! (`src/desk/static/sms-counter.js`) is checked against the same table, so
//! both agree with the gateway. The table's provenance is in
//! `tests/fixtures/README.md`.

// A test unwraps its own fixtures; the lints guard the service's code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::path::PathBuf;

use serde::Deserialize;
use smsgate::sms::segment::{self, Options};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    text: String,
    alphabet: String,
    units: usize,
    parts: usize,
    per_part: usize,
    remaining: usize,
    forced_by: Option<Forced>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Forced {
    index: usize,
    char: char,
}

fn cases() -> Vec<Case> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sms_counter.json");
    let json = std::fs::read_to_string(&path).unwrap();
    serde_json::from_str(&json).unwrap()
}

#[test]
fn table_is_well_formed() {
    let cases = cases();
    assert!(cases.len() >= 30, "{} cases", cases.len());
    let mut names = HashSet::new();
    for c in &cases {
        assert!(names.insert(c.name.as_str()), "duplicate name {:?}", c.name);
        assert!(
            c.alphabet == "gsm7" || c.alphabet == "ucs2",
            "{}: alphabet {:?}",
            c.name,
            c.alphabet
        );
        assert!(c.remaining <= c.per_part, "{}: remaining", c.name);
        if let Some(f) = &c.forced_by {
            assert_eq!(
                c.text.chars().nth(f.index),
                Some(f.char),
                "{}: forced_by.index counts chars",
                c.name
            );
        }
    }
}

/// The gateway's settings: the dispatcher sets only the reference and the
/// part limit, neither of which changes a count.
#[test]
fn count_matches_every_case() {
    let opts = Options::default();
    for c in cases() {
        let n = segment::count(&c.text, &opts);
        let name = &c.name;
        assert_eq!(n.alphabet.name(), c.alphabet, "{name}: alphabet");
        assert_eq!(n.units, c.units, "{name}: units");
        assert_eq!(n.parts, c.parts, "{name}: parts");
        assert_eq!(n.per_part, c.per_part, "{name}: per_part");
        assert_eq!(n.remaining, c.remaining, "{name}: remaining");
        assert_eq!(
            n.forced_by,
            c.forced_by.as_ref().map(|f| (f.index, f.char)),
            "{name}: forced_by"
        );
    }
}

/// The table's part counts are what the gateway sends, not just what the
/// counter says.
#[test]
fn every_case_is_what_split_sends() {
    let opts = Options::default();
    for c in cases() {
        let name = &c.name;
        if c.text.is_empty() {
            assert!(segment::split(&c.text, &opts).is_err(), "{name}");
            continue;
        }
        let parts = segment::split(&c.text, &opts).unwrap();
        assert_eq!(parts.len(), c.parts, "{name}: split");
        let plan = segment::plan(&c.text, &opts).unwrap();
        assert_eq!(
            (plan.alphabet.name(), plan.parts),
            (c.alphabet.as_str(), c.parts),
            "{name}: plan"
        );
    }
}
