//! Helpers shared by the end-to-end tests.

use std::collections::BTreeMap;

use serde_json::Value;

/// A simulator's `sent` list as recipient -> whole texts, in the order sent. Single parts are
/// texts of their own; concatenated parts are joined by (recipient, reference, total) in
/// sequence order. A part seen again (same recipient, reference and sequence) starts a new
/// text, so a duplicate send shows up as a second entry.
pub fn reassemble(sent: &Value) -> BTreeMap<String, Vec<String>> {
    type Key = (String, u64, u64);
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    // Open concatenations: key -> (index in out[to], parts by sequence).
    let mut open: BTreeMap<Key, (usize, BTreeMap<u64, String>)> = BTreeMap::new();
    for s in sent.as_array().expect("sent is a list") {
        let to = s["to"].as_str().unwrap_or_default().to_owned();
        let text = s["text"].as_str().unwrap_or_default().to_owned();
        let texts = out.entry(to.clone()).or_default();
        match s["concat"].as_object() {
            None => texts.push(text),
            Some(c) => {
                let key = (
                    to,
                    c["reference"].as_u64().unwrap_or_default(),
                    c["total"].as_u64().unwrap_or_default(),
                );
                let seq = c["sequence"].as_u64().unwrap_or_default();
                match open.get_mut(&key) {
                    Some((slot, parts)) if !parts.contains_key(&seq) => {
                        parts.insert(seq, text);
                        texts[*slot] = parts.values().cloned().collect();
                    }
                    _ => {
                        texts.push(text.clone());
                        open.insert(key, (texts.len() - 1, BTreeMap::from([(seq, text)])));
                    }
                }
            }
        }
    }
    out
}
