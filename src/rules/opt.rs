//! Opt-out and opt-in keywords: `STOP` (and its configured synonyms) opts a number out of
//! messages, `START` back in, `HELP` asks for the help template. Compared on the folded first
//! word, like keyword rules, and checked before any rule.

use std::collections::HashMap;

use serde::Serialize;

use super::normalize::{fold, folded_first_word};

/// What an opt keyword asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Opt {
    /// Receive no more messages.
    Stop,
    /// Receive messages again.
    Start,
    /// Send the help text.
    Help,
}

impl Opt {
    /// `stop`, `start` or `help`.
    pub fn as_str(self) -> &'static str {
        match self {
            Opt::Stop => "stop",
            Opt::Start => "start",
            Opt::Help => "help",
        }
    }

    /// The template that answers it: `opt_out_confirm`, `opt_in_confirm`, `help`.
    pub fn template(self) -> &'static str {
        match self {
            Opt::Stop => "opt_out_confirm",
            Opt::Start => "opt_in_confirm",
            Opt::Help => "help",
        }
    }
}

/// The folded opt keywords.
#[derive(Debug, Clone, Default)]
pub struct OptKeywords {
    by_word: HashMap<String, Opt>,
}

impl OptKeywords {
    /// Folds the three lists. A word in two lists keeps the first meaning in the order stop,
    /// start, help (the config refuses such lists anyway).
    pub fn new(stop: &[String], start: &[String], help: &[String]) -> OptKeywords {
        let mut by_word = HashMap::new();
        for (opt, words) in [(Opt::Stop, stop), (Opt::Start, start), (Opt::Help, help)] {
            for w in words {
                by_word.entry(fold(w.trim())).or_insert(opt);
            }
        }
        OptKeywords { by_word }
    }

    /// The opt keyword `text` starts with, if any.
    pub fn classify(&self, text: &str) -> Option<Opt> {
        self.by_word.get(&folded_first_word(text)).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_table() {
        let s = |v: &[&str]| v.iter().map(|w| w.to_string()).collect::<Vec<_>>();
        let k = OptKeywords::new(
            &s(&["STOP", "UNSUBSCRIBE", "停止", "配信停止"]),
            &s(&["START"]),
            &s(&["HELP"]),
        );
        // (name, text, opt)
        let cases = [
            ("stop", "STOP", Some(Opt::Stop)),
            ("full-width stop", "ＳＴＯＰ", Some(Opt::Stop)),
            ("stop with words", "stop please", Some(Opt::Stop)),
            ("unsubscribe", "Unsubscribe!", Some(Opt::Stop)),
            ("kanji", "停止", Some(Opt::Stop)),
            ("kanji compound", "配信停止。", Some(Opt::Stop)),
            ("start", "start", Some(Opt::Start)),
            ("help", "Help?", Some(Opt::Help)),
            ("stop later in the text", "please stop", None),
            ("stopping is not stop", "stopping", None),
            ("empty", "", None),
        ];
        for (name, text, want) in cases {
            assert_eq!(k.classify(text), want, "{name}");
        }
    }
}
