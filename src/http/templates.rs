//! `/api/v1/templates`: message templates (定型文) by name. A stored template overrides the
//! config file's (`[support.templates]`) of the same name; listings show both, with their
//! source. Every view carries the SMS cost of the body as written, and
//! `POST /api/v1/templates/{name}/preview` renders it for one recipient and shows the part count
//! and encoding of what would be sent. Rendering and the placeholder check live with the rules.

use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::AppState;
use super::auth::Caller;
use super::error::{ApiError, ErrorBody};
use super::extract::{Json, Path};
use super::messages::normalise;
use super::types::time;
use crate::gateway::process::render_for;
use crate::rules::config::PLACEHOLDERS;
use crate::rules::template::{self, preview};
use crate::store::Template;

/// Longest template name.
pub const MAX_NAME: usize = 64;
/// Longest template body, in characters (ten parts of GSM 7-bit text).
pub const MAX_BODY: usize = 1600;

/// A template.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TemplateView {
    #[schema(example = "opt_out_confirmation")]
    pub name: String,
    /// With its `{placeholders}`.
    #[schema(example = "Thanks {name}, we will answer within {hours} hours.")]
    pub body: String,
    pub updated_at: String,
    /// The token that wrote it last.
    pub updated_by: Option<String>,
    /// `api` (stored) or `config` (`[support.templates]`, not overridden).
    pub source: &'static str,
    /// What the body as written (placeholders unfilled) costs.
    pub preview: PreviewView,
}

/// The SMS cost of a text.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PreviewView {
    /// Parts it is split into.
    pub parts: usize,
    /// `gsm7` or `ucs2`.
    pub encoding: &'static str,
    /// Characters (Unicode scalar values).
    pub characters: usize,
}

impl PreviewView {
    fn of(text: &str) -> PreviewView {
        let p = preview(text);
        PreviewView {
            parts: p.parts,
            encoding: p.encoding,
            characters: p.characters,
        }
    }
}

impl From<&Template> for TemplateView {
    fn from(t: &Template) -> Self {
        TemplateView {
            name: t.name.clone(),
            body: t.body.clone(),
            updated_at: time(t.updated_at),
            updated_by: t.updated_by.clone(),
            source: "api",
            preview: PreviewView::of(&t.body),
        }
    }
}

impl TemplateView {
    fn from_config(name: &str, body: &str) -> TemplateView {
        TemplateView {
            name: name.to_owned(),
            body: body.to_owned(),
            updated_at: String::new(),
            updated_by: None,
            source: "config",
            preview: PreviewView::of(body),
        }
    }
}

/// `POST /api/v1/templates/{name}/preview`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    /// Render for this number: `{name}` and `{field.<key>}` come from its contact.
    #[schema(example = "+819012345678")]
    pub to: String,
}

/// A template rendered for one recipient.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RenderedView {
    /// The text that would be sent.
    pub text: String,
    /// Its SMS cost.
    pub preview: PreviewView,
    /// Whether the number opted out (a send would be refused unless transactional).
    pub opted_out: bool,
}

/// `PUT /api/v1/templates/{name}`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateBody {
    /// 1 to 1600 characters.
    pub body: String,
}

/// `GET /api/v1/templates`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TemplateList {
    /// By name.
    pub items: Vec<TemplateView>,
}

/// A template name: 1 to [`MAX_NAME`] of `A-Z a-z 0-9 _ -` (422 `invalid_name` otherwise).
fn check_name(name: &str) -> Result<(), ApiError> {
    let ok = (1..=MAX_NAME).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid(
            "invalid_name",
            format!("name: {name:?} is not 1 to {MAX_NAME} of A-Z, a-z, 0-9, '_' and '-'"),
        ))
    }
}

/// Every stored template.
#[utoipa::path(
    get, path = "/api/v1/templates", tag = "templates",
    responses(
        (status = 200, description = "By name", body = TemplateList),
        (status = 401, description = "No or a wrong token", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list(State(state): State<AppState>) -> Result<axum::Json<TemplateList>, ApiError> {
    let items = views(&state).await?;
    Ok(axum::Json(TemplateList { items }))
}

/// One template.
#[utoipa::path(
    get, path = "/api/v1/templates/{name}", tag = "templates",
    params(("name" = String, Path, description = "1 to 64 of A-Z a-z 0-9 _ -")),
    responses(
        (status = 200, description = "The template", body = TemplateView),
        (status = 401, description = "No or a wrong token", body = ErrorBody),
        (status = 404, description = "No template has this name", body = ErrorBody),
        (status = 422, description = "Not a template name", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_one(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<axum::Json<TemplateView>, ApiError> {
    check_name(&name)?;
    if let Some(t) = state.store.get_template(&name).await? {
        return Ok(axum::Json(TemplateView::from(&t)));
    }
    let body = state
        .rules
        .policy()
        .template(&name)
        .ok_or_else(|| ApiError::NotFound(format!("no template {name}")))?;
    Ok(axum::Json(TemplateView::from_config(&name, body)))
}

/// Render a template for one recipient: the text, its part count and encoding, before sending.
#[utoipa::path(
    post, path = "/api/v1/templates/{name}/preview", tag = "templates",
    params(("name" = String, Path, description = "1 to 64 of A-Z a-z 0-9 _ -")),
    request_body = PreviewRequest,
    responses(
        (status = 200, description = "What would be sent", body = RenderedView),
        (status = 401, description = "No or a wrong token", body = ErrorBody),
        (status = 404, description = "No template has this name", body = ErrorBody),
        (status = 422, description = "Bad number, or a placeholder the contact has no value for", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn render(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Json(req): Json<PreviewRequest>,
) -> Result<axum::Json<RenderedView>, ApiError> {
    check_name(&name)?;
    let number = normalise(&state, &req.to)?;
    let contact = state.store.get_contact(&number).await?;
    let opted_out = state.store.opted_out(&number).await?;
    let policy = state.rules.policy();
    let body = match state.store.get_template(&name).await? {
        Some(t) => t.body,
        None => policy
            .template(&name)
            .map(str::to_owned)
            .ok_or_else(|| ApiError::NotFound(format!("no template {name}")))?,
    };
    let text = render_for(policy, &body, contact.as_ref(), &number, true)
        .map_err(|e| ApiError::invalid("invalid_template", format!("{name}: {e}")))?;
    Ok(axum::Json(RenderedView {
        preview: PreviewView::of(&text),
        text,
        opted_out,
    }))
}

/// Create or replace a template.
#[utoipa::path(
    put, path = "/api/v1/templates/{name}", tag = "templates",
    params(("name" = String, Path, description = "1 to 64 of A-Z a-z 0-9 _ -")),
    request_body = TemplateBody,
    responses(
        (status = 201, description = "Created", body = TemplateView),
        (status = 200, description = "Replaced", body = TemplateView),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No or a wrong token", body = ErrorBody),
        (status = 422, description = "Bad name (invalid_name) or body (invalid_body)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn put(
    State(state): State<AppState>,
    Extension(Caller(caller)): Extension<Caller>,
    Path(name): Path<String>,
    Json(req): Json<TemplateBody>,
) -> Result<(StatusCode, axum::Json<TemplateView>), ApiError> {
    let (view, created) = save(&state, caller, name, req.body).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, axum::Json(view)))
}

/// Delete a template (the config file's default of the same name applies again).
#[utoipa::path(
    delete, path = "/api/v1/templates/{name}", tag = "templates",
    params(("name" = String, Path, description = "1 to 64 of A-Z a-z 0-9 _ -")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No or a wrong token", body = ErrorBody),
        (status = 404, description = "No template has this name", body = ErrorBody),
        (status = 422, description = "Not a template name", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn delete(
    State(state): State<AppState>,
    Extension(Caller(caller)): Extension<Caller>,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    remove(&state, caller, name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every template, stored and configured, by name, as `GET /api/v1/templates` lists them (a
/// stored one hides the config's of the same name); the desk's templates page shows the same.
pub(crate) async fn views(state: &AppState) -> Result<Vec<TemplateView>, ApiError> {
    let stored = state.store.list_templates().await?;
    let mut items: Vec<TemplateView> = stored.iter().map(TemplateView::from).collect();
    let policy = state.rules.policy();
    for name in state.config.support.template_names() {
        if !stored.iter().any(|t| t.name == name)
            && let Some(body) = policy.template(&name)
        {
            items.push(TemplateView::from_config(&name, body));
        }
    }
    items.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(items)
}

/// Checks and stores a template as `PUT /api/v1/templates/{name}` does, audited as `caller`.
/// Returns it and whether it is new.
pub(crate) async fn save(
    state: &AppState,
    caller: String,
    name: String,
    body: String,
) -> Result<(TemplateView, bool), ApiError> {
    check_name(&name)?;
    let n = body.chars().count();
    if !(1..=MAX_BODY).contains(&n) {
        return Err(ApiError::invalid(
            "invalid_body",
            format!("body: {n} characters; 1 to {MAX_BODY} are allowed"),
        ));
    }
    template::check(&body, PLACEHOLDERS).map_err(|e| {
        ApiError::invalid(
            "invalid_template",
            format!(
                "body: {e}; known placeholders: {{name}}, {{number}}, {{hours}}, {{field.<key>}}"
            ),
        )
    })?;
    let now = Timestamp::now();
    let (t, created) = state
        .store
        .atomically(move |tx| {
            let (t, created) = tx.upsert_template(&name, &body, Some(&caller), now)?;
            let action = if created {
                "template.create"
            } else {
                "template.update"
            };
            tx.audit(&caller, action, Some(&name), now)?;
            Ok((t, created))
        })
        .await?;
    Ok((TemplateView::from(&t), created))
}

/// Deletes a stored template as `DELETE /api/v1/templates/{name}` does, audited as `caller`;
/// 404 when none is stored under `name`.
pub(crate) async fn remove(state: &AppState, caller: String, name: String) -> Result<(), ApiError> {
    check_name(&name)?;
    let now = Timestamp::now();
    let target = name.clone();
    let existed = state
        .store
        .atomically(move |tx| {
            let existed = tx.delete_template(&target)?;
            if existed {
                tx.audit(&caller, "template.delete", Some(&target), now)?;
            }
            Ok(existed)
        })
        .await?;
    if existed {
        Ok(())
    } else {
        Err(ApiError::NotFound(format!("no template {name}")))
    }
}
