//! Reassembly: concatenated parts to one message (TS 23.040 §9.2.3.24.1).
//!
//! Parts are keyed by (sender, reference, total, reference width), so two
//! messages that share an 8-bit reference but differ in part count or width
//! never mix. Duplicates are dropped and order does not matter. Text is
//! decoded from the joined code units, so an escape or surrogate pair that a
//! broken sender split across parts is rejoined. The clock is passed in.

use std::collections::HashMap;

use super::gsm7::Charset;
use super::ucs2;
use super::udh::Concat;
use super::userdata::Body;

/// The key that ties parts together.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    pub sender: String,
    pub reference: u16,
    pub total: u8,
    pub wide: bool,
}

/// One received part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub sender: String,
    pub concat: Option<Concat>,
    pub body: Body,
}

/// A whole message, or what arrived of it before the timeout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub sender: String,
    /// The text, or None for 8-bit data (see `data`).
    pub text: Option<String>,
    /// 8-bit data, joined.
    pub data: Option<Vec<u8>>,
    /// Parts expected.
    pub total: u8,
    /// Sequence numbers that arrived, ascending.
    pub sequences: Vec<u8>,
    pub complete: bool,
}

/// Joins part bodies (in sequence order) and decodes them. Bodies of one
/// alphabet and table set are joined in code units first.
pub fn join(bodies: &[&Body]) -> (Option<String>, Option<Vec<u8>>) {
    match bodies.first() {
        Some(Body::Gsm7 { charset, .. }) if same_gsm7(bodies, *charset) => {
            let mut septets = Vec::new();
            for b in bodies {
                if let Body::Gsm7 { septets: s, .. } = b {
                    septets.extend_from_slice(s);
                }
            }
            let mut text = String::new();
            charset.decode(&septets, &mut text);
            (Some(text), None)
        }
        Some(Body::Ucs2(_)) if bodies.iter().all(|b| matches!(b, Body::Ucs2(_))) => {
            let mut octets = Vec::new();
            for b in bodies {
                if let Body::Ucs2(o) = b {
                    octets.extend_from_slice(o);
                }
            }
            let mut text = String::new();
            ucs2::decode(&octets, &mut text);
            (Some(text), None)
        }
        Some(Body::Data(_)) if bodies.iter().all(|b| matches!(b, Body::Data(_))) => {
            let mut data = Vec::new();
            for b in bodies {
                if let Body::Data(d) = b {
                    data.extend_from_slice(d);
                }
            }
            (None, Some(data))
        }
        // Mixed alphabets: decode each on its own.
        _ => (Some(bodies.iter().filter_map(|b| b.text()).collect()), None),
    }
}

fn same_gsm7(bodies: &[&Body], cs: Charset) -> bool {
    bodies
        .iter()
        .all(|b| matches!(b, Body::Gsm7 { charset, .. } if *charset == cs))
}

struct Pending {
    first_seen: u64,
    parts: Vec<Option<Body>>,
}

/// Collects parts until their message is whole. Memory is bounded: at most
/// `max_pending` incomplete messages are held; past that the oldest is
/// given up as incomplete.
pub struct Reassembler {
    pending: HashMap<Key, Pending>,
    timeout_secs: u64,
    max_pending: usize,
}

impl Reassembler {
    pub fn new(timeout_secs: u64, max_pending: usize) -> Self {
        Reassembler {
            pending: HashMap::new(),
            timeout_secs,
            max_pending: max_pending.max(1),
        }
    }

    /// Adds a part received at `now` (seconds, any epoch). Returns the
    /// message when this part completes it, and any message given up to make
    /// room.
    pub fn push(&mut self, part: Part, now: u64) -> Vec<Message> {
        let Some(c) = part.concat.filter(|c| c.total > 1) else {
            let (text, data) = join(&[&part.body]);
            return vec![Message {
                sender: part.sender,
                text,
                data,
                total: 1,
                sequences: vec![1],
                complete: true,
            }];
        };
        let mut out = Vec::new();
        let key = Key {
            sender: part.sender,
            reference: c.reference,
            total: c.total,
            wide: c.wide,
        };
        if !self.pending.contains_key(&key)
            && self.pending.len() >= self.max_pending
            && let Some(oldest) = self
                .pending
                .iter()
                .min_by_key(|(_, p)| p.first_seen)
                .map(|(k, _)| k.clone())
        {
            out.extend(self.finish(&oldest, false));
        }
        let entry = self.pending.entry(key.clone()).or_insert_with(|| Pending {
            first_seen: now,
            parts: vec![None; usize::from(c.total)],
        });
        let slot = &mut entry.parts[usize::from(c.sequence - 1)];
        if slot.is_none() {
            *slot = Some(part.body);
        }
        if entry.parts.iter().all(Option::is_some) {
            out.extend(self.finish(&key, true));
        }
        out
    }

    /// Gives up messages older than the timeout; returns what arrived of them.
    pub fn expire(&mut self, now: u64) -> Vec<Message> {
        let old: Vec<Key> = self
            .pending
            .iter()
            .filter(|(_, p)| now.saturating_sub(p.first_seen) >= self.timeout_secs)
            .map(|(k, _)| k.clone())
            .collect();
        old.iter().filter_map(|k| self.finish(k, false)).collect()
    }

    /// Incomplete messages held.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    fn finish(&mut self, key: &Key, complete: bool) -> Option<Message> {
        let p = self.pending.remove(key)?;
        let sequences = (1..=key.total)
            .zip(&p.parts)
            .filter(|(_, b)| b.is_some())
            .map(|(s, _)| s)
            .collect();
        let bodies: Vec<&Body> = p.parts.iter().flatten().collect();
        let (text, data) = join(&bodies);
        Some(Message {
            sender: key.sender.clone(),
            text,
            data,
            total: key.total,
            sequences,
            complete,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sms::segment::{Options, split};

    fn parts_of(text: &str, sender: &str, reference: u16, ref16: bool) -> Vec<Part> {
        let opts = Options {
            reference,
            ref16,
            ..Options::default()
        };
        split(text, &opts)
            .unwrap()
            .into_iter()
            .map(|ud| Part {
                sender: sender.to_owned(),
                concat: ud.udh.as_ref().and_then(|u| u.concat()),
                body: ud.body,
            })
            .collect()
    }

    #[test]
    fn reassembly_table() {
        let long_gsm = "The quick brown fox jumps over the lazy dog. ".repeat(8);
        let long_jp =
            "お問い合わせありがとうございます。担当者より折り返しご連絡いたします😀".repeat(4);
        // (name, text, order of part indices to push, duplicates included)
        let cases: Vec<(&str, String, Vec<usize>)> = vec![
            ("in order", long_gsm.clone(), vec![0, 1, 2]),
            ("reversed", long_gsm.clone(), vec![2, 1, 0]),
            ("duplicate part", long_gsm.clone(), vec![0, 0, 1, 1, 2]),
            (
                "japanese with emoji, shuffled",
                long_jp.clone(),
                vec![2, 0, 1],
            ),
        ];
        for (name, text, order) in cases {
            let parts = parts_of(&text, "+8190", 7, false);
            assert_eq!(parts.len(), 3, "{name}: three parts");
            let mut r = Reassembler::new(3600, 16);
            let mut done = Vec::new();
            for i in order {
                done.extend(r.push(parts[i].clone(), 0));
            }
            assert_eq!(done.len(), 1, "{name}: one message");
            assert_eq!(done[0].text.as_deref(), Some(text.as_str()), "{name}");
            assert!(done[0].complete, "{name}");
            assert_eq!(r.pending(), 0, "{name}");
        }
    }

    #[test]
    fn same_reference_different_senders_or_widths_do_not_mix() {
        let a = parts_of(&"a".repeat(200), "+811", 5, false);
        let b = parts_of(&"b".repeat(200), "+812", 5, false);
        let c = parts_of(&"c".repeat(200), "+811", 5, true);
        let mut r = Reassembler::new(3600, 16);
        let mut done = Vec::new();
        for p in [&a[0], &b[0], &c[0], &a[1], &b[1], &c[1]] {
            done.extend(r.push(p.clone(), 0));
        }
        let texts: Vec<_> = done.iter().map(|m| m.text.clone().unwrap()).collect();
        assert_eq!(
            texts,
            vec!["a".repeat(200), "b".repeat(200), "c".repeat(200)]
        );
    }

    #[test]
    fn split_surrogate_pair_is_rejoined() {
        // A broken sender cut 😀 (D83D DE00) between two parts.
        let concat = |sequence| {
            Some(Concat {
                reference: 1,
                total: 2,
                sequence,
                wide: false,
            })
        };
        let p1 = Part {
            sender: "x".into(),
            concat: concat(1),
            body: Body::Ucs2(vec![0x30, 0x42, 0xD8, 0x3D]),
        };
        let p2 = Part {
            sender: "x".into(),
            concat: concat(2),
            body: Body::Ucs2(vec![0xDE, 0x00]),
        };
        let mut r = Reassembler::new(60, 4);
        assert!(r.push(p1, 0).is_empty());
        let m = r.push(p2, 1);
        assert_eq!(m[0].text.as_deref(), Some("あ😀"));
    }

    #[test]
    fn timeout_gives_up_with_what_arrived() {
        let parts = parts_of(&"z".repeat(400), "+81", 9, false);
        let mut r = Reassembler::new(60, 4);
        assert!(r.push(parts[0].clone(), 100).is_empty());
        assert!(r.push(parts[2].clone(), 110).is_empty());
        assert!(r.expire(159).is_empty());
        let m = r.expire(160);
        assert_eq!(m.len(), 1);
        assert!(!m[0].complete);
        assert_eq!(m[0].sequences, vec![1, 3]);
        assert_eq!(r.pending(), 0);
    }

    #[test]
    fn pending_is_bounded() {
        let mut r = Reassembler::new(3600, 2);
        let mut given_up = Vec::new();
        for (i, sender) in ["a", "b", "c"].iter().enumerate() {
            let parts = parts_of(&"q".repeat(200), sender, 1, false);
            given_up.extend(r.push(parts[0].clone(), i as u64));
        }
        assert_eq!(r.pending(), 2);
        assert_eq!(given_up.len(), 1);
        assert_eq!(given_up[0].sender, "a");
        assert!(!given_up[0].complete);
    }
}
