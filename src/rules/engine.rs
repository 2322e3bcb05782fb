//! The compiled rule list and its evaluation: ordered, first match wins.
//!
//! Compiling does the per-rule work once: keywords are folded into one lookup table from the
//! folded word to the (ascending) positions of the rules that list it, regexes are compiled
//! with a size limit. Evaluating a message folds its first word once, then walks, in order, the
//! rules that could still match: the keyword rules listing that word merged with the rules that
//! have no keyword condition. Keyword rules for other words are never looked at, and a regex
//! runs only when its rule is reached and its cheaper conditions hold.

use std::collections::{HashMap, HashSet};

use jiff::Timestamp;
use regex::{Regex, RegexBuilder};

use super::normalize::{fold, folded_first_word, is_separator};
use super::rule::{Action, MAX_ACTIONS, MAX_NAME, MAX_REGEX, RuleError, RuleSpec, Window};

/// Compiled program size allowed per regex; a pattern such as `\w{1000}` is refused instead of
/// taking megabytes and milliseconds.
const REGEX_SIZE_LIMIT: usize = 256 * 1024;

/// What the caller knows about an inbound message when it asks which rule fires.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The message text as received.
    pub text: &'a str,
    /// The sender's number (or alphanumeric name).
    pub sender: &'a str,
    /// When the message arrived.
    pub at: Timestamp,
    /// This is the first message ever received from the sender.
    pub first_contact: bool,
    /// The contact groups the sender is in.
    pub groups: &'a [String],
    /// Whether business hours are open at `at` (computed once by the caller with
    /// [`BusinessHours::is_open`](super::hours::BusinessHours::is_open)).
    pub open: bool,
}

/// The rule that fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fired<'a> {
    /// Its position in evaluation order.
    pub index: usize,
    /// Its name.
    pub name: &'a str,
    /// Its actions, in order.
    pub actions: &'a [Action],
}

impl Fired<'_> {
    /// Whether the rule ends automatic processing (no acknowledgement after it).
    pub fn stops(&self) -> bool {
        self.actions.contains(&Action::Stop)
    }

    /// The template of the rule's first `reply` action.
    pub fn reply_template(&self) -> Option<&str> {
        self.actions.iter().find_map(|a| match a {
            Action::Reply { template } => Some(template.as_str()),
            _ => None,
        })
    }
}

/// Kanji, hiragana and katakana (with the prolonged sound mark): scripts written without spaces
/// between words.
fn is_unspaced_script(c: char) -> bool {
    matches!(c,
        '\u{3040}'..='\u{30FF}'   // hiragana, katakana, ー
        | '\u{31F0}'..='\u{31FF}' // katakana phonetic extensions
        | '\u{3400}'..='\u{4DBF}' // CJK extension A
        | '\u{4E00}'..='\u{9FFF}' // CJK unified ideographs
        | '\u{F900}'..='\u{FAFF}' // CJK compatibility ideographs
        | '\u{20000}'..='\u{2FA1F}') // CJK extensions B and later
}

/// One rule, compiled.
#[derive(Debug)]
struct Compiled {
    name: String,
    regex: Option<Regex>,
    first_contact: bool,
    window: Option<Window>,
    group: Option<String>,
    actions: Vec<Action>,
}

impl Compiled {
    /// The conditions other than keywords (those were checked through the table).
    fn matches_rest(&self, ctx: &Context<'_>) -> bool {
        if self.first_contact && !ctx.first_contact {
            return false;
        }
        match self.window {
            Some(Window::Open) if !ctx.open => return false,
            Some(Window::Closed) if ctx.open => return false,
            _ => {}
        }
        if let Some(g) = &self.group
            && !ctx.groups.iter().any(|have| have == g)
        {
            return false;
        }
        // Last: the only condition that costs more than a comparison.
        self.regex.as_ref().is_none_or(|r| r.is_match(ctx.text))
    }
}

/// An ordered, validated, compiled list of rules.
#[derive(Debug, Default)]
pub struct RuleSet {
    rules: Vec<Compiled>,
    /// Folded keyword → ascending positions of the rules listing it.
    by_keyword: HashMap<String, Vec<usize>>,
    /// Folded keywords written in kanji or kana. Japanese puts no space after a word
    /// (`料金を教えて`), so these also match at the start of the first word.
    cjk_prefix: HashSet<String>,
    /// Chars in the longest of [`cjk_prefix`](Self::cjk_prefix): how many prefixes to look up.
    cjk_longest: usize,
    /// Ascending positions of the rules without a keyword condition.
    unkeyed: Vec<usize>,
}

impl RuleSet {
    /// Validates and compiles `specs`, in evaluation order. Refuses, naming the rule and field:
    /// an empty, overlong or duplicate name; a rule without conditions (unless `any = true`) or
    /// with `any = true` and other conditions; an empty or multi-word keyword; a regex that does
    /// not compile or is too large; an empty group; no actions, or a malformed one.
    pub fn compile(specs: &[RuleSpec]) -> Result<RuleSet, RuleError> {
        let mut set = RuleSet::default();
        let mut names = HashSet::new();
        for (index, spec) in specs.iter().enumerate() {
            let err = |field, message: String| RuleError::new(index, spec, field, message);
            let name = spec.name.trim();
            if name.is_empty() || name.len() > MAX_NAME || name != spec.name {
                return Err(err(
                    "name",
                    format!("must be 1 to {MAX_NAME} bytes without surrounding spaces"),
                ));
            }
            if !names.insert(name) {
                return Err(err("name", "is used by an earlier rule".into()));
            }
            let conditions = !spec.keywords.is_empty()
                || spec.regex.is_some()
                || spec.first_contact
                || spec.window.is_some()
                || spec.group.is_some();
            if spec.any && conditions {
                return Err(err(
                    "any",
                    "`any = true` matches every message; drop it or the other conditions".into(),
                ));
            }
            if !spec.any && !conditions {
                return Err(err(
                    "any",
                    "the rule has no condition; say `any = true` to match every message".into(),
                ));
            }
            let mut folded_keywords = Vec::with_capacity(spec.keywords.len());
            for k in &spec.keywords {
                let f = fold(k.trim());
                if f.is_empty() || f.len() > MAX_NAME * 4 || f.contains(is_separator) {
                    return Err(err(
                        "keywords",
                        format!(
                            "{k:?} is not one word (keywords match the first word of a message)"
                        ),
                    ));
                }
                folded_keywords.push(f);
            }
            let regex = match &spec.regex {
                None => None,
                Some(src) if src.is_empty() || src.len() > MAX_REGEX => {
                    return Err(err("regex", format!("must be 1 to {MAX_REGEX} bytes")));
                }
                Some(src) => Some(
                    RegexBuilder::new(src)
                        .size_limit(REGEX_SIZE_LIMIT)
                        .dfa_size_limit(REGEX_SIZE_LIMIT)
                        .build()
                        .map_err(|e| err("regex", one_line(&e.to_string())))?,
                ),
            };
            if let Some(g) = &spec.group
                && (g.trim().is_empty() || g.len() > MAX_NAME)
            {
                return Err(err("group", format!("must be 1 to {MAX_NAME} bytes")));
            }
            check_actions(spec).map_err(|m| err("actions", m))?;
            let has_keywords = !folded_keywords.is_empty();
            for k in folded_keywords {
                if k.chars().all(is_unspaced_script) {
                    set.cjk_longest = set.cjk_longest.max(k.chars().count());
                    set.cjk_prefix.insert(k.clone());
                }
                let slot = set.by_keyword.entry(k).or_default();
                // A rule listing the same keyword twice is still one candidate.
                if slot.last() != Some(&index) {
                    slot.push(index);
                }
            }
            if !has_keywords {
                set.unkeyed.push(index);
            }
            set.rules.push(Compiled {
                name: spec.name.clone(),
                regex,
                first_contact: spec.first_contact,
                window: spec.window,
                group: spec.group.clone(),
                actions: spec.actions.clone(),
            });
        }
        Ok(set)
    }

    /// How many rules there are.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The first rule, in order, whose every condition holds for `ctx`; `None` when none does.
    pub fn evaluate(&self, ctx: &Context<'_>) -> Option<Fired<'_>> {
        let word = folded_first_word(ctx.text);
        let exact: &[usize] = self.by_keyword.get(&word).map_or(&[], Vec::as_slice);
        let merged;
        let keyed: &[usize] = if self.cjk_prefix.is_empty() {
            exact
        } else {
            // Proper prefixes of the first word that are kanji/kana keywords (`料金` in
            // `料金を教えて`), merged with the exact match in rule order.
            let mut all = exact.to_vec();
            for (end, _) in word.char_indices().skip(1).take(self.cjk_longest) {
                let prefix = &word[..end];
                if self.cjk_prefix.contains(prefix)
                    && let Some(list) = self.by_keyword.get(prefix)
                {
                    all.extend_from_slice(list);
                }
            }
            all.sort_unstable();
            all.dedup();
            merged = all;
            &merged
        };
        // Merge the two ascending lists so rules are tried in their configured order.
        let (mut k, mut u) = (0, 0);
        loop {
            let index = match (keyed.get(k), self.unkeyed.get(u)) {
                (None, None) => return None,
                (Some(&a), Some(&b)) if a < b => {
                    k += 1;
                    a
                }
                (Some(&a), None) => {
                    k += 1;
                    a
                }
                (_, Some(&b)) => {
                    u += 1;
                    b
                }
            };
            let rule = &self.rules[index];
            if rule.matches_rest(ctx) {
                return Some(Fired {
                    index,
                    name: &rule.name,
                    actions: &rule.actions,
                });
            }
        }
    }
}

/// Validates one rule's actions; the message names the bad action.
fn check_actions(spec: &RuleSpec) -> Result<(), String> {
    if spec.actions.is_empty() {
        return Err("the rule has no action".into());
    }
    if spec.actions.len() > MAX_ACTIONS {
        return Err(format!("more than {MAX_ACTIONS} actions"));
    }
    let mut replies = 0;
    for a in &spec.actions {
        match a {
            Action::Reply { template } => {
                replies += 1;
                if template.trim().is_empty() {
                    return Err("reply: the template name is empty".into());
                }
            }
            Action::Forward { to } => {
                crate::sms::Address::parse_number(to)
                    .map_err(|e| format!("forward: {to:?}: {e}"))?;
            }
            Action::Tag { tag } => {
                if tag.trim().is_empty() || tag.len() > MAX_NAME {
                    return Err(format!("tag: {tag:?} must be 1 to {MAX_NAME} bytes"));
                }
            }
            Action::Webhook { url } => {
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    return Err(format!(
                        "webhook: {url:?} is not an http:// or https:// URL"
                    ));
                }
            }
            Action::NeedsHuman | Action::Stop => {}
        }
    }
    // One automatic answer per message: two replies would be two texts to one question.
    if replies > 1 {
        return Err("more than one reply action".into());
    }
    Ok(())
}

/// The regex crate's messages span several lines (a caret under the pattern); one line each
/// joined keeps an API error or config error on one line.
fn one_line(msg: &str) -> String {
    msg.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn specs(v: serde_json::Value) -> Vec<RuleSpec> {
        serde_json::from_value(v).unwrap()
    }

    fn ctx<'a>(text: &'a str, groups: &'a [String]) -> Context<'a> {
        Context {
            text,
            sender: "+819012345678",
            at: Timestamp::UNIX_EPOCH,
            first_contact: false,
            groups,
            open: true,
        }
    }

    fn reply(t: &str) -> serde_json::Value {
        json!({"reply": {"template": t}})
    }

    #[test]
    fn evaluate_table() {
        let set = RuleSet::compile(&specs(json!([
            {"name": "price-closed", "keywords": ["料金", "price"], "window": "closed", "actions": [reply("price_closed")]},
            {"name": "price", "keywords": ["料金", "price"], "actions": [reply("price")]},
            {"name": "order", "regex": "(?i)order\\s*#?\\d+", "actions": ["needs_human"]},
            {"name": "vip", "group": "vip", "actions": [{"tag": {"tag": "vip"}}]},
            {"name": "hello", "first_contact": true, "actions": [reply("welcome"), "stop"]},
            {"name": "late-price", "keywords": ["ｐｒｉｃｅ"], "actions": ["stop"]},
            {"name": "catch-all", "any": true, "actions": [{"tag": {"tag": "other"}}]},
        ])))
        .unwrap();
        let vip = vec!["vip".to_owned()];
        // (name, text, open, first contact, groups, fired rule)
        let cases: &[(&str, &str, bool, bool, &[String], &str)] = &[
            (
                "kanji keyword starts the sentence",
                "料金を教えて",
                true,
                false,
                &[],
                "price",
            ),
            (
                "kanji keyword inside a longer word is no match",
                "送料金額",
                true,
                false,
                &[],
                "catch-all",
            ),
            (
                "latin keyword needs the whole word",
                "prices",
                true,
                false,
                &[],
                "catch-all",
            ),
            (
                "kanji keyword word",
                "料金 を教えて",
                true,
                false,
                &[],
                "price",
            ),
            (
                "keyword closed goes first",
                "PRICE?",
                false,
                false,
                &[],
                "price-closed",
            ),
            (
                "full-width keyword",
                "ＰＲＩＣＥ",
                true,
                false,
                &[],
                "price",
            ),
            ("regex", "Where is my Order #123", true, false, &[], "order"),
            ("regex before group", "order 9", true, false, &vip, "order"),
            ("group", "hi", true, false, &vip, "vip"),
            ("first contact", "hi", true, true, &[], "hello"),
            (
                "keyword beats first contact",
                "price",
                true,
                true,
                &[],
                "price",
            ),
            ("nothing specific", "thanks", true, false, &[], "catch-all"),
            ("empty text", "", true, false, &[], "catch-all"),
        ];
        for (name, text, open, first, groups, want) in cases {
            let mut c = ctx(text, groups);
            c.open = *open;
            c.first_contact = *first;
            let fired = set
                .evaluate(&c)
                .unwrap_or_else(|| panic!("{name}: none fired"));
            assert_eq!(fired.name, *want, "{name}");
            assert_eq!(set.rules[fired.index].name, *want, "{name}: index");
        }
    }

    #[test]
    fn none_fires_without_catch_all() {
        let set = RuleSet::compile(&specs(json!([
            {"name": "a", "keywords": ["a"], "actions": ["stop"]},
            {"name": "b", "regex": "^b$", "actions": ["stop"]},
        ])))
        .unwrap();
        assert_eq!(set.evaluate(&ctx("c", &[])), None);
        assert_eq!(set.evaluate(&ctx("A!", &[])).map(|f| f.index), Some(0));
        assert_eq!(set.evaluate(&ctx("b", &[])).map(|f| f.index), Some(1));
    }

    #[test]
    fn keyword_and_regex_both_must_hold() {
        let set = RuleSet::compile(&specs(json!([
            {"name": "refund", "keywords": ["refund"], "regex": "\\d{6}", "actions": ["needs_human"]},
        ])))
        .unwrap();
        assert!(set.evaluate(&ctx("refund 123456", &[])).is_some());
        assert!(set.evaluate(&ctx("refund please", &[])).is_none());
        assert!(set.evaluate(&ctx("123456 refund", &[])).is_none());
    }

    #[test]
    fn fired_helpers() {
        let set = RuleSet::compile(&specs(json!([
            {"name": "a", "any": true, "actions": ["needs_human", reply("x"), "stop"]},
        ])))
        .unwrap();
        let f = set.evaluate(&ctx("hi", &[])).unwrap();
        assert!(f.stops());
        assert_eq!(f.reply_template(), Some("x"));
    }

    #[test]
    fn compile_errors_name_rule_and_field() {
        // (name, one or two rules, field, substring of the message)
        let cases: Vec<(&str, serde_json::Value, &str, &str)> = vec![
            (
                "no condition",
                json!([{"name": "a", "actions": ["stop"]}]),
                "any",
                "no condition",
            ),
            (
                "any with others",
                json!([{"name": "a", "any": true, "keywords": ["x"], "actions": ["stop"]}]),
                "any",
                "drop",
            ),
            (
                "empty name",
                json!([{"name": "", "any": true, "actions": ["stop"]}]),
                "name",
                "1 to",
            ),
            (
                "duplicate name",
                json!([{"name": "a", "any": true, "actions": ["stop"]}, {"name": "a", "any": true, "actions": ["stop"]}]),
                "name",
                "earlier",
            ),
            (
                "bad regex",
                json!([{"name": "a", "regex": "(unclosed", "actions": ["stop"]}]),
                "regex",
                "unclosed",
            ),
            (
                "huge regex",
                json!([{"name": "a", "regex": "\\w{5000}", "actions": ["stop"]}]),
                "regex",
                "size limit",
            ),
            (
                "two-word keyword",
                json!([{"name": "a", "keywords": ["stop now"], "actions": ["stop"]}]),
                "keywords",
                "one word",
            ),
            (
                "empty keyword",
                json!([{"name": "a", "keywords": [" "], "actions": ["stop"]}]),
                "keywords",
                "one word",
            ),
            (
                "no actions",
                json!([{"name": "a", "any": true, "actions": []}]),
                "actions",
                "no action",
            ),
            (
                "bad forward",
                json!([{"name": "a", "any": true, "actions": [{"forward": {"to": "boss"}}]}]),
                "actions",
                "forward",
            ),
            (
                "bad webhook",
                json!([{"name": "a", "any": true, "actions": [{"webhook": {"url": "ftp://x"}}]}]),
                "actions",
                "webhook",
            ),
            (
                "two replies",
                json!([{"name": "a", "any": true, "actions": [reply("x"), reply("y")]}]),
                "actions",
                "more than one",
            ),
            (
                "empty group",
                json!([{"name": "a", "group": "", "actions": ["stop"]}]),
                "group",
                "1 to",
            ),
        ];
        for (name, v, field, want) in cases {
            let err = RuleSet::compile(&specs(v)).expect_err(name);
            assert_eq!(err.field, field, "{name}: {err}");
            assert!(err.to_string().contains(want), "{name}: {err}");
            assert!(!err.to_string().contains('\n'), "{name}: one line: {err}");
        }
    }
}
