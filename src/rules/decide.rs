//! What an inbound message gets, before the flood guard: an opt keyword's answer, or the rule
//! that fires and its reply, or the automatic acknowledgement. Shared by the inbound pipeline
//! and `POST /api/v1/rules/test`, so the test says exactly what the pipeline would do.
//!
//! Order:
//! 1. An opt keyword (`STOP`, `START`, `HELP` and their configured synonyms) as the first word
//!    is answered with its template (`opt_out_confirm`, `opt_in_confirm`, `help`); no rule runs.
//! 2. Otherwise the first matching rule fires; its `reply` action (if any) is the reply.
//! 3. When the rule did not reply and has no `stop` action, and the message opens a
//!    conversation, the acknowledgement for the current state of business hours
//!    (`ack_open` / `ack_closed`) is the reply, if configured.

use std::collections::HashMap;

use jiff::Timestamp;

use super::config::Support;
use super::engine::{Context, Fired, RuleSet};
use super::guard::GuardConfig;
use super::hours::BusinessHours;
use super::opt::{Opt, OptKeywords};
use super::template::{self, TemplateError};

/// An inbound message as the decision needs it.
#[derive(Debug, Clone, Copy)]
pub struct Inbound<'a> {
    pub text: &'a str,
    pub sender: &'a str,
    pub at: Timestamp,
    /// The first message ever from the sender.
    pub first_contact: bool,
    /// The sender's contact groups.
    pub groups: &'a [String],
    /// The message opens a conversation (so an acknowledgement may be due).
    pub new_conversation: bool,
}

/// What the message gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision<'r> {
    /// Business hours were open at the message's time.
    pub open: bool,
    /// The opt keyword it starts with; when set, no rule ran.
    pub opt: Option<Opt>,
    /// The rule that fired.
    pub fired: Option<Fired<'r>>,
    /// The acknowledgement template, when the reply is the acknowledgement.
    pub acknowledgement: Option<String>,
    /// The template of the automatic reply, if any (subject to the flood guard).
    pub reply: Option<String>,
}

/// The `[support]` settings in the form decisions use, built once from the config.
#[derive(Debug, Clone)]
pub struct Policy {
    pub hours: BusinessHours,
    pub opts: OptKeywords,
    pub guard: GuardConfig,
    ack_open: Option<String>,
    ack_closed: Option<String>,
    templates: HashMap<String, String>,
}

impl Policy {
    /// From a validated `[support]` section.
    pub fn from_support(s: &Support) -> Policy {
        Policy {
            hours: s.business_hours(),
            opts: s.opt_keywords(),
            guard: s.guard.clone(),
            ack_open: s.ack_template(true).map(str::to_owned),
            ack_closed: s.ack_template(false).map(str::to_owned),
            templates: s
                .template_names()
                .into_iter()
                .filter_map(|n| s.template(&n).map(|b| (n.clone(), b.to_owned())))
                .collect(),
        }
    }

    /// The body of template `name`.
    pub fn template(&self, name: &str) -> Option<&str> {
        self.templates.get(name).map(String::as_str)
    }

    /// Whether a template of that name exists.
    pub fn has_template(&self, name: &str) -> bool {
        self.templates.contains_key(name)
    }

    /// Decides what `msg` gets under `rules`.
    pub fn decide<'r>(&self, rules: &'r RuleSet, msg: &Inbound<'_>) -> Decision<'r> {
        let open = self.hours.is_open(msg.at);
        if let Some(opt) = self.opts.classify(msg.text) {
            return Decision {
                open,
                opt: Some(opt),
                fired: None,
                acknowledgement: None,
                reply: Some(opt.template().to_owned()),
            };
        }
        let fired = rules.evaluate(&Context {
            text: msg.text,
            sender: msg.sender,
            at: msg.at,
            first_contact: msg.first_contact,
            groups: msg.groups,
            open,
        });
        let rule_reply = fired.and_then(|f| f.reply_template().map(str::to_owned));
        let acknowledgement =
            if rule_reply.is_none() && msg.new_conversation && !fired.is_some_and(|f| f.stops()) {
                if open {
                    self.ack_open.clone()
                } else {
                    self.ack_closed.clone()
                }
            } else {
                None
            };
        let reply = rule_reply.or_else(|| acknowledgement.clone());
        Decision {
            open,
            opt: None,
            fired,
            acknowledgement,
            reply,
        }
    }

    /// Renders template `name`: `{hours}` from the business hours, everything else from `vars`.
    /// `None` when there is no such template.
    pub fn render(
        &self,
        name: &str,
        vars: &dyn Fn(&str) -> Option<String>,
    ) -> Option<Result<String, TemplateError>> {
        let body = self.template(name)?;
        Some(template::render(body, &|key| match key {
            "hours" => Some(self.hours.describe()),
            other => vars(other),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleSpec;

    fn support(extra: &str) -> Support {
        let text = format!(
            "timezone = \"Asia/Tokyo\"\nack_open = \"ack_open\"\nack_closed = \"ack_closed\"\n\
             [templates]\nack_open = \"We answer soon.\"\nack_closed = \"We are closed; {{hours}}.\"\n\
             price = \"Prices: see web.\"\n{extra}"
        );
        let s: Support = toml::from_str(&text).unwrap();
        s.validate().unwrap();
        s
    }

    #[test]
    fn decide_table() {
        let policy = Policy::from_support(&support(""));
        let specs: Vec<RuleSpec> = serde_json::from_value(serde_json::json!([
            {"name": "price", "keywords": ["price"], "actions": [{"reply": {"template": "price"}}]},
            {"name": "quiet", "keywords": ["quiet"], "actions": ["needs_human", "stop"]},
            {"name": "tag", "keywords": ["tag"], "actions": [{"tag": {"tag": "t"}}]},
        ]))
        .unwrap();
        let rules = RuleSet::compile(&specs).unwrap();
        // Monday 2026-11-23: 10:00 and 20:00 in Tokyo.
        let open_at: Timestamp = "2026-11-23T10:00:00+09:00".parse().unwrap();
        let closed_at: Timestamp = "2026-11-23T20:00:00+09:00".parse().unwrap();
        // (name, text, at, new conversation, opt, rule, acknowledgement, reply)
        type Row<'a> = (
            &'a str,
            &'a str,
            Timestamp,
            bool,
            Option<Opt>,
            Option<&'a str>,
            Option<&'a str>,
            Option<&'a str>,
        );
        let cases: Vec<Row<'_>> = vec![
            (
                "stop",
                "ＳＴＯＰ",
                open_at,
                true,
                Some(Opt::Stop),
                None,
                None,
                Some("opt_out_confirm"),
            ),
            (
                "help",
                "help",
                closed_at,
                true,
                Some(Opt::Help),
                None,
                None,
                Some("help"),
            ),
            (
                "rule reply, no ack",
                "price?",
                open_at,
                true,
                None,
                Some("price"),
                None,
                Some("price"),
            ),
            (
                "stop rule suppresses ack",
                "quiet",
                open_at,
                true,
                None,
                Some("quiet"),
                None,
                None,
            ),
            (
                "tag rule then ack open",
                "tag",
                open_at,
                true,
                None,
                Some("tag"),
                Some("ack_open"),
                Some("ack_open"),
            ),
            (
                "no rule, ack closed",
                "hello",
                closed_at,
                true,
                None,
                None,
                Some("ack_closed"),
                Some("ack_closed"),
            ),
            (
                "ongoing conversation",
                "hello",
                closed_at,
                false,
                None,
                None,
                None,
                None,
            ),
        ];
        for (name, text, at, new_conversation, opt, rule, ack, reply) in cases {
            let d = policy.decide(
                &rules,
                &Inbound {
                    text,
                    sender: "+819012345678",
                    at,
                    first_contact: false,
                    groups: &[],
                    new_conversation,
                },
            );
            assert_eq!(d.opt, opt, "{name}");
            assert_eq!(d.fired.map(|f| f.name), rule, "{name}");
            assert_eq!(d.acknowledgement.as_deref(), ack, "{name}");
            assert_eq!(d.reply.as_deref(), reply, "{name}");
        }
    }

    #[test]
    fn render_fills_hours() {
        let policy = Policy::from_support(&support(""));
        let text = policy.render("ack_closed", &|_| None).unwrap().unwrap();
        assert_eq!(text, "We are closed; Mon–Fri 09:00–18:00 (Asia/Tokyo).");
        assert!(policy.render("nope", &|_| None).is_none());
        assert!(policy.template("help").is_some(), "built-in template");
    }
}
