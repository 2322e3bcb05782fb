//! The users page (admins only; agents get 403): who may log in to the desk and as what; add
//! a user, set a password (which ends that user's sessions), remove a user other than
//! oneself. The checks and audit actions are the `smsgate user` command's.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use jiff::Timestamp;
use serde::Deserialize;

use super::auth::{self, Staff};
use super::error::{DeskError, urlencode};
use super::pages::show_time;
use super::{Chrome, require_admin};
use crate::http::AppState;
use crate::store::Role;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/users", get(list).post(add))
        .route("/users/{name}/password", post(set_password))
        .route("/users/{name}/remove", post(remove))
}

pub struct UserRow {
    pub name: String,
    pub url: String,
    pub role: &'static str,
    pub since: String,
    pub me: bool,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    chrome: Chrome,
    users: Vec<UserRow>,
    error: Option<String>,
}

async fn render(
    state: &AppState,
    staff: &Staff,
    headers: &HeaderMap,
    error: Option<String>,
) -> Result<Response, DeskError> {
    let chrome = Chrome::new(state, staff, headers, "users", "/live".to_owned());
    let users = state
        .store
        .list_users()
        .await?
        .into_iter()
        .map(|u| UserRow {
            url: format!("/users/{}", urlencode(&u.name)),
            role: u.role.as_str(),
            since: show_time(state, u.created_at),
            me: u.name == staff.name,
            name: u.name,
        })
        .collect();
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = UsersPage {
        chrome,
        users,
        error,
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// `GET /users`.
async fn list(
    State(state): State<AppState>,
    Extension(staff): Extension<Staff>,
    headers: HeaderMap,
) -> Result<Response, DeskError> {
    require_admin(&staff)?;
    render(&state, &staff, &headers, None).await
}

/// Hashes off the async threads: Argon2 takes tens of milliseconds of CPU on purpose.
async fn hash(password: String) -> Result<String, String> {
    tokio::task::spawn_blocking(move || auth::hash_password(&password))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())
}

#[derive(Debug, Deserialize)]
pub struct AddForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
}

/// `POST /users`: a new user.
async fn add(
    State(state): State<AppState>,
    Extension(staff): Extension<Staff>,
    headers: HeaderMap,
    Form(form): Form<AddForm>,
) -> Result<Response, DeskError> {
    require_admin(&staff)?;
    let name = form.name.trim().to_owned();
    if let Err(m) = crate::cli::user::check_name(&name) {
        return render(&state, &staff, &headers, Some(m)).await;
    }
    let Some(role) = Role::parse(&form.role) else {
        let m = format!("role: {:?} is neither admin nor agent", form.role);
        return render(&state, &staff, &headers, Some(m)).await;
    };
    let hash = match hash(form.password).await {
        Ok(h) => h,
        Err(m) => return render(&state, &staff, &headers, Some(format!("password: {m}"))).await,
    };
    let who = staff.audit_name();
    let now = Timestamp::now();
    let result = state
        .store
        .atomically(move |tx| {
            tx.add_user(&name, role, &hash, now)?;
            tx.audit(&who, "user.add", Some(&name), now)
        })
        .await;
    match result {
        Ok(_) => Ok(Redirect::to("/users").into_response()),
        // The name is taken.
        Err(crate::store::Error::Invalid(m)) => render(&state, &staff, &headers, Some(m)).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    password: String,
}

/// `POST /users/{name}/password`: sets the password and ends the user's sessions.
async fn set_password(
    State(state): State<AppState>,
    Extension(staff): Extension<Staff>,
    headers: HeaderMap,
    Path(name): Path<String>,
    Form(form): Form<PasswordForm>,
) -> Result<Response, DeskError> {
    require_admin(&staff)?;
    let hash = match hash(form.password).await {
        Ok(h) => h,
        Err(m) => return render(&state, &staff, &headers, Some(format!("password: {m}"))).await,
    };
    let who = staff.audit_name();
    let now = Timestamp::now();
    state
        .store
        .atomically(move |tx| {
            tx.set_password(&name, &hash, now)?;
            tx.audit(&who, "user.passwd", Some(&name), now)
        })
        .await?;
    Ok(Redirect::to("/users").into_response())
}

/// `POST /users/{name}/remove`: anyone but oneself (so an admin always remains).
async fn remove(
    State(state): State<AppState>,
    Extension(staff): Extension<Staff>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Result<Response, DeskError> {
    require_admin(&staff)?;
    if name == staff.name {
        let m = "you cannot remove yourself; ask another admin".to_owned();
        return render(&state, &staff, &headers, Some(m)).await;
    }
    let who = staff.audit_name();
    let now = Timestamp::now();
    let target = name.clone();
    let existed = state
        .store
        .atomically(move |tx| {
            let existed = tx.remove_user(&target)?;
            if existed {
                tx.audit(&who, "user.remove", Some(&target), now)?;
            }
            Ok(existed)
        })
        .await?;
    if !existed {
        return Err(crate::store::Error::NotFound(format!("user {name}")).into());
    }
    Ok(Redirect::to("/users").into_response())
}
