//! The rules page (admins only; agents get 403): every rule in evaluation order, the config
//! file's (read-only) then the API-managed ones; the API-managed list edited as JSON with the
//! semantics of `PUT /api/v1/rules` (its 422 names the rule and field); and the dry run of
//! `POST /api/v1/rules/test`: which rule a message would fire. Both through the API's
//! functions, so the checks and the audit entries are the same.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use serde::Deserialize;

use super::auth::Staff;
use super::error::DeskError;
use super::{Chrome, require_admin};
use crate::http::AppState;
use crate::http::rules::{self as api, TestRequest, TestResponse};
use crate::rules::RuleSpec;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/rules", get(page).post(replace))
        .route("/rules/test", post(test))
}

pub struct RuleRow {
    pub index: usize,
    pub source: &'static str,
    pub name: String,
    /// The rule without its name, as the API shows it.
    pub spec: String,
}

/// What the dry run found, ready to show.
pub struct TestResult {
    pub rule: Option<String>,
    pub actions: String,
    pub reply: Option<String>,
    pub open: bool,
    pub opt: Option<&'static str>,
    pub refused: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "rules.html")]
struct RulesPage {
    chrome: Chrome,
    rules: Vec<RuleRow>,
    /// The API-managed rules as JSON (or what was typed, when refused).
    json: String,
    error: Option<String>,
    from: String,
    text: String,
    result: Option<TestResult>,
}

fn render_page(
    state: &AppState,
    staff: &Staff,
    headers: &HeaderMap,
    json: Option<String>,
    error: Option<String>,
) -> RulesPage {
    let view = api::view(&state.rules);
    let rules = view
        .rules
        .iter()
        .map(|r| {
            let mut spec = serde_json::to_value(&r.spec).unwrap_or_default();
            if let Some(o) = spec.as_object_mut() {
                o.remove("name");
            }
            RuleRow {
                index: r.index,
                source: r.source,
                name: r.spec.name.clone(),
                spec: spec.to_string(),
            }
        })
        .collect();
    let json = json.unwrap_or_else(|| {
        serde_json::to_string_pretty(&*state.rules.api_rules()).unwrap_or_else(|_| "[]".into())
    });
    RulesPage {
        chrome: Chrome::new(state, staff, headers, "rules", "/live".to_owned()),
        rules,
        json,
        error,
        from: String::new(),
        text: String::new(),
        result: None,
    }
}

/// `GET /rules`.
async fn page(
    State(state): State<AppState>,
    Extension(staff): Extension<Staff>,
    headers: HeaderMap,
) -> Result<Html<String>, DeskError> {
    require_admin(&staff)?;
    Ok(Html(
        render_page(&state, &staff, &headers, None, None).render()?,
    ))
}

#[derive(Debug, Deserialize)]
pub struct RulesForm {
    #[serde(default)]
    json: String,
}

/// The box holds the list itself, `[...]`, or the API's body, `{"rules": [...]}`.
#[derive(Deserialize)]
#[serde(untagged)]
enum RulesJson {
    List(Vec<RuleSpec>),
    Body { rules: Vec<RuleSpec> },
}

/// The rules in the box, or what is wrong with the JSON (serde names the field and line).
pub fn parse_rules(json: &str) -> Result<Vec<RuleSpec>, String> {
    if json.trim().is_empty() {
        return Ok(Vec::new());
    }
    // Untagged enums hide serde's message; try the list first for a precise one.
    match serde_json::from_str::<Vec<RuleSpec>>(json) {
        Ok(rules) => Ok(rules),
        Err(list_err) => match serde_json::from_str::<RulesJson>(json) {
            Ok(RulesJson::List(rules) | RulesJson::Body { rules }) => Ok(rules),
            Err(_) => Err(format!("JSON: {list_err}")),
        },
    }
}

/// `POST /rules`: replaces the API-managed rules (PUT semantics).
async fn replace(
    State(state): State<AppState>,
    Extension(staff): Extension<Staff>,
    headers: HeaderMap,
    Form(form): Form<RulesForm>,
) -> Result<Response, DeskError> {
    require_admin(&staff)?;
    let result = match parse_rules(&form.json) {
        Ok(rules) => match api::replace_rules(&state, staff.audit_name(), rules).await {
            Ok(_) => Ok(()),
            Err(e) if e.parts().0.is_client_error() => Err(e.parts().2),
            Err(e) => return Err(e.into()),
        },
        Err(m) => Err(m),
    };
    match result {
        Ok(()) => Ok(Redirect::to("/rules").into_response()),
        Err(m) => {
            let page = render_page(&state, &staff, &headers, Some(form.json), Some(m));
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct TestForm {
    #[serde(default)]
    from: String,
    #[serde(default)]
    text: String,
    /// A checkbox: the sender has never written before.
    first_contact: Option<String>,
}

fn show(r: TestResponse) -> TestResult {
    TestResult {
        rule: r
            .rule
            .map(|n| format!("#{} {n}", r.index.unwrap_or_default())),
        actions: serde_json::to_string(&r.actions).unwrap_or_default(),
        reply: r
            .reply
            .map(|p| format!("{}: {} ({} · {})", p.template, p.text, p.parts, p.encoding)),
        open: r.open,
        opt: r.opt,
        refused: r.guard.refused,
    }
}

/// `POST /rules/test`: the dry run.
async fn test(
    State(state): State<AppState>,
    Extension(staff): Extension<Staff>,
    headers: HeaderMap,
    Form(form): Form<TestForm>,
) -> Result<Response, DeskError> {
    require_admin(&staff)?;
    let req = TestRequest {
        text: form.text.clone(),
        from: form.from.clone(),
        at: None,
        first_contact: form.first_contact.is_some(),
        groups: Vec::new(),
        new_conversation: None,
    };
    let mut page = render_page(&state, &staff, &headers, None, None);
    page.from = form.from;
    page.text = form.text;
    let status = match api::dry_run(&state, staff.audit_name(), req).await {
        Ok(r) => {
            page.result = Some(show(r));
            StatusCode::OK
        }
        Err(e) if e.parts().0.is_client_error() => {
            page.error = Some(e.parts().2);
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Err(e) => return Err(e.into()),
    };
    Ok((status, Html(page.render()?)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_box_takes_a_list_or_the_api_body() {
        assert!(parse_rules("").unwrap().is_empty());
        let list = r#"[{"name": "hi", "keywords": ["HELLO"], "actions": []}]"#;
        assert_eq!(parse_rules(list).unwrap()[0].name, "hi");
        let body = format!(r#"{{"rules": {list}}}"#);
        assert_eq!(parse_rules(&body).unwrap()[0].name, "hi");
        let e = parse_rules(r#"[{"name": "x", "colour": 1}]"#).unwrap_err();
        assert!(e.starts_with("JSON:") && e.contains("colour"), "{e}");
    }
}
