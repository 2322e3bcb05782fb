//! Prompts: outbound messages that expect an answer from that number within a window (a
//! satisfaction survey after a conversation, an appointment reminder with confirm / reschedule),
//! and the recognition of that answer in the text customers actually write.
//!
//! Pure: the configuration (`[[prompts]]`) and [`recognise`]; the gateway sends and records
//! them, the store tallies them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// What a prompt asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PromptKind {
    /// Customer satisfaction: 1 to 5 (CSAT counts 4 and 5 as satisfied).
    Csat,
    /// Net promoter score: 0 to 10 (9-10 promoters, 0-6 detractors).
    Nps,
    /// One of the keys of `choices`.
    Choice,
}

impl PromptKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PromptKind::Csat => "csat",
            PromptKind::Nps => "nps",
            PromptKind::Choice => "choice",
        }
    }

    /// The scores a scored kind accepts.
    fn range(self) -> Option<(u32, u32)> {
        match self {
            PromptKind::Csat => Some((1, 5)),
            PromptKind::Nps => Some((0, 10)),
            PromptKind::Choice => None,
        }
    }
}

/// A follow-up: a text sent after the answer, and whether a person must look.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FollowUp {
    /// Sent to the customer instead of `thanks`.
    pub text: Option<String>,
    /// The conversation becomes `needs_human`.
    #[serde(default)]
    pub needs_human: bool,
}

/// `low`: the follow-up for a score below `below`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Low {
    pub below: u32,
    pub text: Option<String>,
    #[serde(default)]
    pub needs_human: bool,
}

/// `[[prompts]]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PromptSpec {
    /// Letters, digits, `-` and `_`.
    pub name: String,
    pub kind: PromptKind,
    /// The question, a template (`{name}`, `{field.date}`, ...).
    pub text: String,
    /// Sent after a recognised answer (unless a follow-up has a text of its own).
    pub thanks: Option<String>,
    /// Scored kinds: what a low score does.
    pub low: Option<Low>,
    /// `choice`: answer key -> the choice it stands for (`"1" = "confirmed"`).
    #[serde(default)]
    pub choices: BTreeMap<String, String>,
    /// `choice`: choice -> what it does (`reschedule = { needs_human = true, text = "..." }`).
    #[serde(default)]
    pub on: BTreeMap<String, FollowUp>,
    /// Sent once for an answer that is not recognised; absent: the question again.
    pub reask: Option<String>,
    /// How long an answer counts, from the question's sending time.
    pub window_secs: u64,
}

/// A recognised answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Score(u32),
    Choice(String),
}

/// The longest answer window: 90 days.
pub const MAX_WINDOW_SECS: u64 = 90 * 86_400;

/// Most characters of a message read as an answer: a longer text is a message, not an answer.
const MAX_ANSWER_CHARS: usize = 24;

/// Words that may follow the number in an answer (`5です`, `５点`, `2番`, `10点です`).
const SUFFIXES: &[&str] = &[
    "点です",
    "番です",
    "です",
    "点",
    "番",
    "でお願いします",
    "で",
];

impl PromptSpec {
    /// Checks the spec; what is wrong, naming the field.
    pub fn check(&self) -> Result<(), String> {
        let name_ok = !self.name.is_empty()
            && self.name.len() <= 64
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !name_ok {
            return Err(format!(
                "name {:?}: 1 to 64 letters, digits, '-' or '_'",
                self.name
            ));
        }
        if self.text.trim().is_empty() {
            return Err("text is empty".into());
        }
        if self.window_secs == 0 || self.window_secs > MAX_WINDOW_SECS {
            return Err(format!(
                "window_secs must be 1 to {MAX_WINDOW_SECS} (90 days)"
            ));
        }
        match self.kind {
            PromptKind::Choice => {
                if self.choices.is_empty() {
                    return Err("a choice prompt needs choices".into());
                }
                if self.low.is_some() {
                    return Err("low applies to csat and nps prompts".into());
                }
                for key in self.choices.keys() {
                    if normalise(key).is_empty() {
                        return Err(format!("choices: key {key:?} is empty"));
                    }
                }
                for choice in self.on.keys() {
                    if !self.choices.values().any(|v| v == choice) {
                        return Err(format!("on.{choice}: not one of the choices"));
                    }
                }
            }
            kind => {
                if !self.choices.is_empty() || !self.on.is_empty() {
                    return Err(format!(
                        "choices and on apply to choice prompts, not {}",
                        kind.as_str()
                    ));
                }
            }
        }
        Ok(())
    }

    /// The answer `text` gives to this prompt, if it is one.
    pub fn recognise(&self, text: &str) -> Option<Answer> {
        recognise(self.kind, &self.choices, text)
    }

    /// What a recognised answer does: the text to send back (if any) and whether a person must
    /// look. A low score or a choice's `on` entry comes before `thanks`.
    pub fn follow_up(&self, answer: &Answer) -> (Option<&str>, bool) {
        let special = match answer {
            Answer::Score(s) => self
                .low
                .as_ref()
                .filter(|l| *s < l.below)
                .map(|l| (l.text.as_deref(), l.needs_human)),
            Answer::Choice(c) => self.on.get(c).map(|f| (f.text.as_deref(), f.needs_human)),
        };
        match special {
            Some((Some(text), human)) => (Some(text), human),
            Some((None, human)) => (self.thanks.as_deref(), human),
            None => (self.thanks.as_deref(), false),
        }
    }
}

/// Whether `text`, not recognised, still looks like a try at an answer (`6`, `4 5`, `５点かな`):
/// short, with a number in it. Such a text is asked again; a longer one is a message for a
/// person.
pub fn looks_like_answer(text: &str) -> bool {
    let core = strip_suffixes(normalise(text));
    core.chars().count() <= 6
        && core
            .chars()
            .any(|c| c.is_ascii_digit() || "〇一二三四五六七八九十".contains(c))
}

/// `core` without up to two polite suffixes (`5点でお願いします`).
fn strip_suffixes(mut core: String) -> String {
    for _ in 0..2 {
        match SUFFIXES.iter().find_map(|s| core.strip_suffix(s)) {
            Some(rest) => core = normalise(rest),
            None => break,
        }
    }
    core
}

/// `text` with full-width forms folded to ASCII (`５` -> `5`, `　` -> ` `), trimmed of spaces and
/// punctuation at both ends (but a sign: `-1` stays `-1`, no score).
fn normalise(text: &str) -> String {
    let folded: String = text
        .chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            c => c,
        })
        .collect();
    folded
        .trim_matches(|c: char| {
            c.is_whitespace()
                || (c.is_ascii_punctuation() && c != '-' && c != '+')
                || "。、！？・〜ー…「」『』（）".contains(c)
        })
        .to_owned()
}

/// A number written in digits or kanji (`5`, `10`, `五`, `十`), alone.
fn number(s: &str) -> Option<u32> {
    if !s.is_empty() && s.len() <= 3 && s.chars().all(|c| c.is_ascii_digit()) {
        return s.parse().ok();
    }
    let kanji = |c: char| "〇一二三四五六七八九".chars().position(|k| k == c);
    let mut chars = s.chars();
    match (chars.next(), chars.next(), chars.next()) {
        (Some('十'), None, _) => Some(10),
        (Some(c), None, _) => kanji(c).map(|n| n as u32),
        _ => None,
    }
}

/// The answer `text` gives: the whole message, once full-width forms are folded and spaces,
/// punctuation and a polite suffix (`です`, `点`, `番`) are trimmed, is one number in range or
/// one of the choices' keys. Anything longer or different is not an answer (a person reads it).
pub fn recognise(
    kind: PromptKind,
    choices: &BTreeMap<String, String>,
    text: &str,
) -> Option<Answer> {
    if text.chars().count() > MAX_ANSWER_CHARS {
        return None;
    }
    let core = strip_suffixes(normalise(text));
    match kind.range() {
        Some((lo, hi)) => number(&core)
            .filter(|n| (lo..=hi).contains(n))
            .map(Answer::Score),
        None => {
            let folded = core.to_lowercase();
            choices
                .iter()
                .find(|(key, _)| normalise(key).to_lowercase() == folded)
                .or_else(|| {
                    // A number written in kanji for a numeric key (`二` for "2").
                    let n = number(&core)?;
                    choices
                        .iter()
                        .find(|(key, _)| normalise(key).parse::<u32>().ok() == Some(n))
                })
                .map(|(_, choice)| Answer::Choice(choice.clone()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn appointment() -> BTreeMap<String, String> {
        [("1", "confirmed"), ("2", "reschedule")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }

    #[test]
    fn answers_are_recognised_as_customers_write_them() {
        let none = BTreeMap::new();
        let score = |n| Some(Answer::Score(n));
        // (name, kind, text, answer)
        let cases = [
            ("digit", PromptKind::Csat, "5", score(5)),
            ("full-width digit", PromptKind::Csat, "５", score(5)),
            ("polite", PromptKind::Csat, "5です", score(5)),
            ("full-width with points", PromptKind::Csat, "５点", score(5)),
            ("kanji", PromptKind::Csat, "五", score(5)),
            (
                "spaces and punctuation",
                PromptKind::Csat,
                "　4。",
                score(4),
            ),
            ("exclamation", PromptKind::Csat, "3!", score(3)),
            ("out of range", PromptKind::Csat, "6", None),
            ("zero is not csat", PromptKind::Csat, "0", None),
            ("a sentence", PromptKind::Csat, "5時に電話ください", None),
            ("two numbers", PromptKind::Csat, "4 5", None),
            ("words", PromptKind::Csat, "ありがとう", None),
            ("nps ten", PromptKind::Nps, "10", score(10)),
            ("nps kanji ten", PromptKind::Nps, "十", score(10)),
            ("nps zero", PromptKind::Nps, "０点です", score(0)),
            ("nps eleven", PromptKind::Nps, "11", None),
            ("a sign is no score", PromptKind::Nps, "-1", None),
            (
                "two suffixes",
                PromptKind::Csat,
                "5点でお願いします",
                score(5),
            ),
            ("empty", PromptKind::Nps, "", None),
        ];
        for (name, kind, text, want) in cases {
            assert_eq!(recognise(kind, &none, text), want, "{name}");
        }
        let choice = |c: &str| Some(Answer::Choice(c.to_owned()));
        let cases = [
            ("key", "2", choice("reschedule")),
            ("full-width key", "１", choice("confirmed")),
            ("kanji key", "二", choice("reschedule")),
            ("key with suffix", "2番", choice("reschedule")),
            ("unknown key", "3", None),
            ("a question", "2日に変更できますか", None),
        ];
        for (name, text, want) in cases {
            assert_eq!(
                recognise(PromptKind::Choice, &appointment(), text),
                want,
                "{name}"
            );
        }
    }

    fn csat() -> PromptSpec {
        PromptSpec {
            name: "csat".into(),
            kind: PromptKind::Csat,
            text: "1-5?".into(),
            thanks: Some("thanks".into()),
            low: Some(Low {
                below: 3,
                text: Some("sorry".into()),
                needs_human: true,
            }),
            choices: BTreeMap::new(),
            on: BTreeMap::new(),
            reask: None,
            window_secs: 60,
        }
    }

    #[test]
    fn a_low_score_or_a_choice_follow_up_comes_before_thanks() {
        let spec = csat();
        assert_eq!(spec.follow_up(&Answer::Score(5)), (Some("thanks"), false));
        assert_eq!(spec.follow_up(&Answer::Score(3)), (Some("thanks"), false));
        assert_eq!(spec.follow_up(&Answer::Score(2)), (Some("sorry"), true));
        let reminder = PromptSpec {
            kind: PromptKind::Choice,
            low: None,
            choices: appointment(),
            on: [(
                "reschedule".to_owned(),
                FollowUp {
                    text: None,
                    needs_human: true,
                },
            )]
            .into_iter()
            .collect(),
            ..csat()
        };
        assert_eq!(reminder.check(), Ok(()));
        assert_eq!(
            reminder.follow_up(&Answer::Choice("reschedule".into())),
            (Some("thanks"), true)
        );
        assert_eq!(
            reminder.follow_up(&Answer::Choice("confirmed".into())),
            (Some("thanks"), false)
        );
    }

    #[test]
    fn a_spec_says_which_field_is_wrong() {
        let cases: [(&str, PromptSpec, &str); 4] = [
            (
                "bad name",
                PromptSpec {
                    name: "a b".into(),
                    ..csat()
                },
                "name",
            ),
            (
                "no window",
                PromptSpec {
                    window_secs: 0,
                    ..csat()
                },
                "window_secs",
            ),
            (
                "choice without choices",
                PromptSpec {
                    kind: PromptKind::Choice,
                    low: None,
                    ..csat()
                },
                "choices",
            ),
            (
                "choices on csat",
                PromptSpec {
                    choices: appointment(),
                    ..csat()
                },
                "choices",
            ),
        ];
        for (name, spec, field) in cases {
            let err = spec.check().unwrap_err();
            assert!(err.contains(field), "{name}: {err}");
        }
    }
}
