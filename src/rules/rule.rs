//! The rule spec: what a rule matches and what it does, as written in the config file's
//! `[[rules]]` and in the JSON of `PUT /api/v1/rules`.
//!
//! Every condition given must hold (AND); a rule without any is refused unless it says
//! `any = true`. Actions are an array of bare names (`"needs_human"`, `"stop"`) and one-key
//! tables (`{ reply = { template = "price" } }` in TOML, `{"reply": {"template": "price"}}` in
//! JSON).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One rule as configured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// Unique among all rules; names the rule in logs, tags and errors.
    #[schema(example = "price")]
    pub name: String,
    /// The first word of the message equals one of these (case-, width- and kana-insensitive,
    /// see [`crate::rules::normalize::fold`]); a keyword in kanji or kana also matches the start
    /// of the first word, since Japanese puts no space after it (`料金を教えて`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    /// A regular expression (Rust `regex` syntax) found anywhere in the message text as
    /// received; add `(?i)` for case-insensitivity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
    /// Matches every message; only allowed as the sole condition.
    #[serde(default, skip_serializing_if = "is_false")]
    pub any: bool,
    /// Only the first message ever received from the number.
    #[serde(default, skip_serializing_if = "is_false")]
    pub first_contact: bool,
    /// Only while business hours are open, or closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<Window>,
    /// Only senders in this contact group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// What to do, in order.
    pub actions: Vec<Action>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// The business-hours condition of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Window {
    /// Inside business hours.
    Open,
    /// Outside business hours (nights, weekends, holidays).
    Closed,
}

/// What a rule does when it fires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// Answer the sender with a template from `[support.templates]`.
    Reply {
        /// The template's name.
        template: String,
    },
    /// Send the message on to a staff number.
    Forward {
        /// The staff number (`+` and digits).
        to: String,
    },
    /// Tag the conversation.
    Tag {
        /// The tag.
        tag: String,
    },
    /// Mark the conversation as needing a human.
    NeedsHuman,
    /// POST the message to a URL.
    Webhook {
        /// `http://` or `https://`.
        url: String,
    },
    /// After this rule's actions, nothing more happens automatically: in particular no
    /// automatic acknowledgement is sent.
    Stop,
}

impl Action {
    /// The action's name as written in the spec (`reply`, `needs_human`, ...).
    pub fn kind(&self) -> &'static str {
        match self {
            Action::Reply { .. } => "reply",
            Action::Forward { .. } => "forward",
            Action::Tag { .. } => "tag",
            Action::NeedsHuman => "needs_human",
            Action::Webhook { .. } => "webhook",
            Action::Stop => "stop",
        }
    }
}

/// A rule that cannot be used, naming the rule (by position and name) and the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("rule {index} ({name:?}): {field}: {message}")]
pub struct RuleError {
    /// Position of the rule in the list that was compiled (0-based).
    pub index: usize,
    /// The rule's name (may be empty when that is the error).
    pub name: String,
    /// The field at fault: `name`, `keywords`, `regex`, `group`, `any`, `actions`, ...
    pub field: &'static str,
    /// What is wrong.
    pub message: String,
}

impl RuleError {
    pub(crate) fn new(
        index: usize,
        spec: &RuleSpec,
        field: &'static str,
        message: impl Into<String>,
    ) -> RuleError {
        RuleError {
            index,
            name: spec.name.clone(),
            field,
            message: message.into(),
        }
    }
}

/// Longest rule name, tag, group and keyword.
pub const MAX_NAME: usize = 64;
/// Longest regular expression source.
pub const MAX_REGEX: usize = 1024;
/// Most actions one rule may have.
pub const MAX_ACTIONS: usize = 16;

/// Checks every template a rule replies with against `known` (the `[support.templates]` names).
pub fn check_templates(specs: &[RuleSpec], known: &dyn Fn(&str) -> bool) -> Result<(), RuleError> {
    for (i, spec) in specs.iter().enumerate() {
        for a in &spec.actions {
            if let Action::Reply { template } = a
                && !known(template)
            {
                return Err(RuleError::new(
                    i,
                    spec,
                    "actions",
                    format!("reply: no template named {template:?} in [support.templates]"),
                ));
            }
        }
    }
    Ok(())
}

/// Checks that every `webhook` action names a configured `[[webhooks]]` endpoint (`known`):
/// only those have a secret to sign with and a delivery queue that survives restarts.
pub fn check_webhooks(specs: &[RuleSpec], known: &dyn Fn(&str) -> bool) -> Result<(), RuleError> {
    for (i, spec) in specs.iter().enumerate() {
        for a in &spec.actions {
            if let Action::Webhook { url } = a
                && !known(url)
            {
                return Err(RuleError::new(
                    i,
                    spec,
                    "actions",
                    format!("webhook: {url:?} is not the url of a [[webhooks]] endpoint"),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_and_json_forms() {
        let toml_text = r#"
name = "price"
keywords = ["料金", "price"]
window = "open"
actions = [{ reply = { template = "price" } }, { tag = { tag = "sales" } }, "needs_human", "stop"]
"#;
        let from_toml: RuleSpec = toml::from_str(toml_text).unwrap();
        let json = serde_json::json!({
            "name": "price",
            "keywords": ["料金", "price"],
            "window": "open",
            "actions": [{"reply": {"template": "price"}}, {"tag": {"tag": "sales"}}, "needs_human", "stop"]
        });
        let from_json: RuleSpec = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(from_toml, from_json);
        assert_eq!(serde_json::to_value(&from_json).unwrap(), json);
        assert_eq!(
            from_toml.actions,
            vec![
                Action::Reply {
                    template: "price".into()
                },
                Action::Tag {
                    tag: "sales".into()
                },
                Action::NeedsHuman,
                Action::Stop
            ]
        );
    }

    #[test]
    fn unknown_fields_are_refused() {
        // (name, JSON)
        let cases = [
            (
                "unknown rule field",
                serde_json::json!({"name": "a", "any": true, "actions": [], "colour": 1}),
            ),
            (
                "unknown action",
                serde_json::json!({"name": "a", "any": true, "actions": ["dance"]}),
            ),
            (
                "unknown action field",
                serde_json::json!({"name": "a", "any": true, "actions": [{"reply": {"template": "x", "y": 1}}]}),
            ),
            (
                "unknown window",
                serde_json::json!({"name": "a", "window": "lunch", "actions": []}),
            ),
        ];
        for (name, v) in cases {
            assert!(serde_json::from_value::<RuleSpec>(v).is_err(), "{name}");
        }
    }

    #[test]
    fn templates_are_checked() {
        let spec: RuleSpec = serde_json::from_value(serde_json::json!({
            "name": "p", "any": true, "actions": [{"reply": {"template": "nope"}}]
        }))
        .unwrap();
        let err = check_templates(&[spec], &|t| t == "price").unwrap_err();
        assert_eq!(err.field, "actions");
        assert!(err.to_string().contains("\"nope\""), "{err}");
    }
}
