//! The templates page: every template (stored and configured) with the parts and encoding of
//! its body as written, as `GET /api/v1/templates` shows them. Admins create, edit and delete
//! stored templates through the API's own functions; agents read, and their posts get 403.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use serde::Deserialize;

use super::auth::Staff;
use super::error::{DeskError, urlencode};
use super::{Chrome, require_admin};
use crate::http::AppState;
use crate::http::templates::{self as api, TemplateView};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/templates", get(list).post(save))
        .route("/templates/{name}/delete", post(delete))
}

#[derive(Template)]
#[template(path = "templates.html")]
struct ListPage {
    chrome: Chrome,
    items: Vec<TemplateView>,
    /// The form's content: a template being edited, or what was typed when it was refused.
    name: String,
    body: String,
    error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct EditQuery {
    edit: Option<String>,
}

async fn page(
    state: &AppState,
    staff: &Staff,
    headers: &HeaderMap,
    name: String,
    body: String,
    error: Option<String>,
) -> Result<ListPage, DeskError> {
    Ok(ListPage {
        chrome: Chrome::new(state, staff, headers, "templates", "/live".to_owned()),
        items: api::views(state).await?,
        name,
        body,
        error,
    })
}

/// `GET /templates` (`?edit=name` fills the form with that template).
async fn list(
    State(state): State<AppState>,
    Extension(staff): Extension<Staff>,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<EditQuery>,
) -> Result<Html<String>, DeskError> {
    let mut p = page(&state, &staff, &headers, String::new(), String::new(), None).await?;
    if let Some(edit) = q.edit
        && let Some(t) = p.items.iter().find(|t| t.name == edit)
    {
        p.body = t.body.clone();
        p.name = edit;
    }
    Ok(Html(p.render()?))
}

#[derive(Debug, Deserialize)]
pub struct TemplateForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    body: String,
}

/// `POST /templates`: creates or replaces a stored template (admins).
async fn save(
    State(state): State<AppState>,
    Extension(staff): Extension<Staff>,
    headers: HeaderMap,
    Form(form): Form<TemplateForm>,
) -> Result<Response, DeskError> {
    require_admin(&staff)?;
    // Browsers send CRLF from a textarea; the stored body uses the line ends people typed, LF.
    let body = form.body.replace("\r\n", "\n");
    let name = form.name.trim().to_owned();
    match api::save(&state, staff.audit_name(), name.clone(), body.clone()).await {
        Ok(_) => Ok(Redirect::to("/templates").into_response()),
        Err(e) if e.parts().0.is_client_error() => {
            let p = page(&state, &staff, &headers, name, body, Some(e.parts().2)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(p.render()?)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /templates/{name}/delete` (admins).
async fn delete(
    State(state): State<AppState>,
    Extension(staff): Extension<Staff>,
    Path(name): Path<String>,
) -> Result<Response, DeskError> {
    require_admin(&staff)?;
    api::remove(&state, staff.audit_name(), name).await?;
    Ok(Redirect::to("/templates").into_response())
}

/// The link that opens a template in the form.
pub fn edit_link(name: &str) -> String {
    format!("/templates?edit={}", urlencode(name))
}
