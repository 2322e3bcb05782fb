//! `/api/v1/templates`: message templates stored by name. A stored template overrides the
//! config file's default of the same name. Only storage here: rendering and the placeholder
//! check live with the rules.

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
use super::types::time;
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
}

impl From<&Template> for TemplateView {
    fn from(t: &Template) -> Self {
        TemplateView {
            name: t.name.clone(),
            body: t.body.clone(),
            updated_at: time(t.updated_at),
            updated_by: t.updated_by.clone(),
        }
    }
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
    let items = state.store.list_templates().await?;
    Ok(axum::Json(TemplateList {
        items: items.iter().map(TemplateView::from).collect(),
    }))
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
    let t = state
        .store
        .get_template(&name)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no template {name}")))?;
    Ok(axum::Json(TemplateView::from(&t)))
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
    check_name(&name)?;
    let n = req.body.chars().count();
    if !(1..=MAX_BODY).contains(&n) {
        return Err(ApiError::invalid(
            "invalid_body",
            format!("body: {n} characters; 1 to {MAX_BODY} are allowed"),
        ));
    }
    let now = Timestamp::now();
    let (t, created) = state
        .store
        .atomically(move |tx| {
            let (t, created) = tx.upsert_template(&name, &req.body, Some(&caller), now)?;
            let action = if created {
                "template.create"
            } else {
                "template.update"
            };
            tx.audit(&caller, action, Some(&name), now)?;
            Ok((t, created))
        })
        .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, axum::Json(TemplateView::from(&t))))
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
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound(format!("no template {name}")))
    }
}
