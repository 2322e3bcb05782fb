//! `/api/v1/rules`: the rules in evaluation order, replacing the API-managed ones, and a dry run
//! saying which rule an inbound message would fire and what it would be sent.

use axum::Extension;
use axum::extract::State;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::AppState;
use super::auth::Caller;
use super::error::{ApiError, ErrorBody};
use super::extract::Json;
use crate::phone;
use crate::rules::decide::Inbound;
use crate::rules::guard::{self, History, SenderKind};
use crate::rules::rule::{check_templates, check_webhooks};
use crate::rules::template::preview;
use crate::rules::{Action, Live, RuleSpec};
use crate::store::NewRule;

/// Most API-managed rules.
pub const MAX_RULES: usize = 2000;
/// Longest text a rule test takes (a 255-part UCS-2 message is under 17 000 characters).
const MAX_TEST_TEXT: usize = 20_000;

/// One rule and where it comes from.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RuleView {
    /// `config` (the config file's `[[rules]]`, read-only here) or `api`.
    #[schema(example = "api")]
    pub source: &'static str,
    /// Position in evaluation order over both sources (0-based).
    pub index: usize,
    /// The rule.
    #[serde(flatten)]
    pub spec: RuleSpec,
}

/// Every rule, in evaluation order: the config file's, then the API-managed ones.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RulesView {
    pub rules: Vec<RuleView>,
}

/// `PUT /api/v1/rules`: the new API-managed rules, in order.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplaceRules {
    pub rules: Vec<RuleSpec>,
}

/// `POST /api/v1/rules/test`: an inbound message to try the rules on.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TestRequest {
    /// The message text.
    #[schema(example = "ＳＴＯＰ")]
    pub text: String,
    /// The sender, normalised as an inbound sender would be (with `[support] country`,
    /// `090-1234-5678` is `+819012345678`); a sender that is no number is taken as written.
    #[schema(example = "+819012345678")]
    pub from: String,
    /// When it arrives (RFC 3339); default now.
    #[schema(example = "2026-11-24T10:00:00+09:00")]
    pub at: Option<String>,
    /// The first message ever from the sender (default false).
    #[serde(default)]
    pub first_contact: bool,
    /// The sender's contact groups (default none).
    #[serde(default)]
    pub groups: Vec<String>,
    /// The message opens a conversation, so an acknowledgement may be due (default true).
    pub new_conversation: Option<bool>,
}

/// The automatic reply a test message would get.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReplyView {
    /// Template name.
    pub template: String,
    /// The rendered text (`{name}` and contact fields empty, `{number}` the sender).
    pub text: String,
    /// SMS parts.
    pub parts: usize,
    /// `gsm7` or `ucs2`.
    pub encoding: &'static str,
}

/// What the flood and loop guard says about the sender (with no history: a dry run has none).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GuardView {
    /// `number`, `short_code` or `alphanumeric`.
    pub sender: SenderKind,
    /// Why automatic replies would be refused (`alphanumeric_sender`, `short_code`), or null.
    pub refused: Option<&'static str>,
}

/// What the rules make of a test message.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TestResponse {
    /// The rule that fires, or null.
    pub rule: Option<String>,
    /// Its position in evaluation order, or null.
    pub index: Option<usize>,
    /// Its actions (empty when none fires).
    pub actions: Vec<Action>,
    /// Business hours are open at `at`.
    pub open: bool,
    /// The acknowledgement template, when the reply is the acknowledgement.
    pub acknowledgement: Option<String>,
    /// `stop`, `start` or `help` when the first word is an opt keyword (then no rule runs).
    pub opt: Option<&'static str>,
    /// The automatic reply, or null.
    pub reply: Option<ReplyView>,
    /// The guard's verdict on the sender.
    pub guard: GuardView,
}

pub(crate) fn view(live: &Live) -> RulesView {
    let config = live.config_rules().iter().map(|s| ("config", s.clone()));
    let api = live.api_rules();
    let api = api.iter().map(|s| ("api", s.clone()));
    RulesView {
        rules: config
            .chain(api)
            .enumerate()
            .map(|(index, (source, spec))| RuleView {
                source,
                index,
                spec,
            })
            .collect(),
    }
}

/// Every rule in evaluation order.
#[utoipa::path(
    get, path = "/api/v1/rules", tag = "rules",
    responses(
        (status = 200, description = "The config file's rules, then the API-managed ones", body = RulesView),
        (status = 401, description = "No or a wrong token", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list(State(state): State<AppState>) -> axum::Json<RulesView> {
    axum::Json(view(&state.rules))
}

/// Replace the API-managed rules (the config file's stay first). All or nothing: a bad rule is
/// a 422 naming it and the field, and nothing changes.
#[utoipa::path(
    put, path = "/api/v1/rules", tag = "rules",
    request_body = ReplaceRules,
    responses(
        (status = 200, description = "Stored and in force; every rule in evaluation order", body = RulesView),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No or a wrong token", body = ErrorBody),
        (status = 422, description = "A rule is invalid (`invalid_rule`): the message names the rule and field", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn replace(
    State(state): State<AppState>,
    Extension(Caller(caller)): Extension<Caller>,
    Json(req): Json<ReplaceRules>,
) -> Result<axum::Json<RulesView>, ApiError> {
    Ok(axum::Json(replace_rules(&state, caller, req.rules).await?))
}

/// Checks, stores and installs the API-managed rules as `PUT /api/v1/rules` does, audited as
/// `caller`; the desk's rules page saves through it. Returns every rule in evaluation order.
pub(crate) async fn replace_rules(
    state: &AppState,
    caller: String,
    rules: Vec<RuleSpec>,
) -> Result<RulesView, ApiError> {
    let req = ReplaceRules { rules };
    if req.rules.len() > MAX_RULES {
        return Err(ApiError::invalid(
            "too_many_rules",
            format!("{} rules; at most {MAX_RULES}", req.rules.len()),
        ));
    }
    let stored: Vec<String> = state
        .store
        .list_templates()
        .await?
        .into_iter()
        .map(|t| t.name)
        .collect();
    let live = state.rules.clone();
    let policy = live.policy();
    check_templates(&req.rules, &|t| {
        policy.has_template(t) || stored.iter().any(|s| s == t)
    })
    .and_then(|()| {
        check_webhooks(&req.rules, &|u| {
            state.config.webhooks.iter().any(|w| w.url.get_ref() == u)
        })
    })
    .map_err(|e| ApiError::invalid("invalid_rule", e.to_string()))?;
    // Held until the new rules are in force, so concurrent replacements install in the order
    // they committed.
    let _updating = live.lock_updates().await;
    let set = live
        .prepare(&req.rules)
        .map_err(|e| ApiError::invalid("invalid_rule", e.to_string()))?;
    let rows = req
        .rules
        .iter()
        .map(|r| {
            serde_json::to_string(r)
                .map(|spec| NewRule {
                    name: r.name.clone(),
                    spec,
                })
                .map_err(|e| ApiError::invalid("invalid_rule", e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let now = Timestamp::now();
    let target = format!("{} rules", rows.len());
    // The list and its audit line commit together; the rules are in force only after that.
    state
        .store
        .atomically(move |tx| {
            tx.replace_rules(&rows, Some(&caller), now)?;
            tx.audit(&caller, "rules.replace", Some(&target), now)?;
            Ok(())
        })
        .await?;
    live.install(req.rules, set);
    Ok(view(&live))
}

/// Which rule a message would fire and what it would be sent; changes nothing (but, like every
/// POST, is audit-logged).
#[utoipa::path(
    post, path = "/api/v1/rules/test", tag = "rules",
    request_body = TestRequest,
    responses(
        (status = 200, description = "The decision", body = TestResponse),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No or a wrong token", body = ErrorBody),
        (status = 422, description = "Bad `at`, empty `from`, text too long", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn test(
    State(state): State<AppState>,
    Extension(Caller(caller)): Extension<Caller>,
    Json(req): Json<TestRequest>,
) -> Result<axum::Json<TestResponse>, ApiError> {
    Ok(axum::Json(dry_run(&state, caller, req).await?))
}

/// Which rule an inbound message would fire and what it would be sent, as
/// `POST /api/v1/rules/test` answers; audited as `caller` (`rules.test`).
pub(crate) async fn dry_run(
    state: &AppState,
    caller: String,
    req: TestRequest,
) -> Result<TestResponse, ApiError> {
    let at = match &req.at {
        Some(s) => s.parse::<Timestamp>().map_err(|e| {
            ApiError::invalid(
                "invalid_at",
                format!("at: {s:?} is not an RFC 3339 time with an offset ({e})"),
            )
        })?,
        None => Timestamp::now(),
    };
    if req.from.trim().is_empty() || req.from.len() > 64 {
        return Err(ApiError::invalid(
            "invalid_from",
            "\"from\" must be 1 to 64 bytes",
        ));
    }
    if req.text.chars().count() > MAX_TEST_TEXT {
        return Err(ApiError::invalid(
            "text_too_long",
            format!("at most {MAX_TEST_TEXT} characters"),
        ));
    }
    // The ingester never refuses a sender (what the network sent is kept), so neither does the
    // test: a number is normalised like an inbound one, anything else is taken as written.
    let from = phone::normalize(&req.from, state.region().as_ref())
        .unwrap_or_else(|_| req.from.trim().to_owned());
    let rules = state.rules.rules();
    let policy = state.rules.policy();
    let decision = policy.decide(
        &rules,
        &Inbound {
            text: &req.text,
            sender: &from,
            at,
            first_contact: req.first_contact,
            groups: &req.groups,
            new_conversation: req.new_conversation.unwrap_or(true),
        },
    );
    let number = from.clone();
    let vars = move |key: &str| match key {
        "name" => Some(String::new()),
        "number" => Some(number.clone()),
        k if k.starts_with("field.") => Some(String::new()),
        _ => None,
    };
    let reply = match &decision.reply {
        None => None,
        Some(template) => {
            let text = policy
                .render(template, &vars)
                .ok_or_else(|| {
                    ApiError::invalid("unknown_template", format!("no template {template:?}"))
                })?
                .map_err(|e| ApiError::invalid("template_error", format!("{template}: {e}")))?;
            let p = preview(&text);
            Some(ReplyView {
                template: template.clone(),
                text,
                parts: p.parts,
                encoding: p.encoding,
            })
        }
    };
    let refused = guard::check(&policy.guard, &from, &History::default(), at)
        .err()
        .map(|r| r.code());
    let response = TestResponse {
        rule: decision.fired.map(|f| f.name.to_owned()),
        index: decision.fired.map(|f| f.index),
        actions: decision.fired.map_or_else(Vec::new, |f| f.actions.to_vec()),
        open: decision.open,
        acknowledgement: decision.acknowledgement.clone(),
        opt: decision.opt.map(|o| o.as_str()),
        reply,
        guard: GuardView {
            sender: guard::classify_sender(&from),
            refused,
        },
    };
    state
        .store
        .audit(&caller, "rules.test", None, Timestamp::now())
        .await?;
    Ok(response)
}
