//! The bulk send pages (admins only; agents get 403): a form for one text or template to a
//! group and/or a list of numbers, optionally scheduled and spread; "Preview" shows what would
//! be sent without sending, "Send" queues through the same functions as `POST /api/v1/bulk`.
//! `/bulk/{id}` shows a campaign's recipients by state and refreshes itself.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Extension, Form, Router};
use jiff::civil::DateTime;
use serde::Deserialize;

use super::auth::Staff;
use super::error::{DeskError, urlencode};
use super::pages::show_time;
use super::{Chrome, require_admin};
use crate::http::bulk::{self as api, BulkRequest};
use crate::http::contact_input;
use crate::http::{AppState, templates};

/// Recipients whose text the preview shows.
pub const SAMPLE: usize = 5;
/// Skipped recipients the preview lists (the count is always given).
pub const SKIPPED_SHOWN: usize = 50;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/bulk", get(form).post(submit))
        .route("/bulk/{id}", get(progress))
}

/// The form's fields, kept to show the form again as it was.
#[derive(Debug, Default, Deserialize)]
pub struct BulkForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    group: String,
    /// One per line or separated by commas.
    #[serde(default)]
    numbers: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    template: String,
    /// `datetime-local`, in the support line's time zone.
    #[serde(default)]
    send_at: String,
    #[serde(default)]
    rate: String,
    /// `preview` or `send`.
    #[serde(default)]
    action: String,
}

pub struct PreviewView {
    pub sample: Vec<(String, String)>,
    pub messages: usize,
    pub parts: usize,
    pub skipped: Vec<(String, String)>,
    pub skipped_total: usize,
    pub first: String,
    pub last: String,
}

#[derive(Template)]
#[template(path = "bulk.html")]
struct BulkPage {
    chrome: Chrome,
    f: BulkForm,
    groups: Vec<(String, u64)>,
    templates: Vec<String>,
    tz: String,
    error: Option<String>,
    preview: Option<PreviewView>,
}

async fn page(
    state: &AppState,
    staff: &Staff,
    headers: &HeaderMap,
    f: BulkForm,
) -> Result<BulkPage, DeskError> {
    Ok(BulkPage {
        chrome: Chrome::new(state, staff, headers, "bulk", "/live".to_owned()),
        f,
        groups: state.store.list_groups().await?,
        templates: templates::views(state)
            .await?
            .into_iter()
            .map(|t| t.name)
            .collect(),
        tz: state
            .rules
            .policy()
            .hours
            .tz
            .iana_name()
            .unwrap_or("UTC")
            .to_owned(),
        error: None,
        preview: None,
    })
}

/// `GET /bulk`.
async fn form(
    State(state): State<AppState>,
    Extension(staff): Extension<Staff>,
    headers: HeaderMap,
) -> Result<Html<String>, DeskError> {
    require_admin(&staff)?;
    Ok(Html(
        page(&state, &staff, &headers, BulkForm::default())
            .await?
            .render()?,
    ))
}

fn some(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

/// The form as the API's request. Numbers are cleaned as the contact form does
/// (`+81 90-1234-5678`); one that is no number is passed as typed, so the preview lists it as
/// skipped (`invalid_number`).
fn request(state: &AppState, f: &BulkForm) -> Result<BulkRequest, String> {
    let to = f
        .numbers
        .split(['\n', ',', '、'])
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| contact_input::number(n, state.region().as_ref()).unwrap_or_else(|_| n.to_owned()))
        .collect();
    let send_at = match some(&f.send_at) {
        None => None,
        Some(s) => {
            let local: DateTime = s
                .parse()
                .map_err(|e| format!("send_at: {s:?} is not a date and time ({e})"))?;
            let tz = state.rules.policy().hours.tz.clone();
            let at = local
                .to_zoned_datetime(tz)
                .map_err(|e| format!("send_at: {s:?}: {e}"))?;
            Some(at.timestamp().to_string())
        }
    };
    let rate_per_minute = match some(&f.rate) {
        None => None,
        Some(r) => Some(
            r.parse::<u32>()
                .map_err(|_| format!("rate: {r:?} is not a whole number of messages per minute"))?,
        ),
    };
    Ok(BulkRequest {
        group: some(&f.group),
        to,
        text: some(&f.text).map(|_| f.text.replace("\r\n", "\n")),
        template: some(&f.template),
        name: some(&f.name),
        send_at,
        rate_per_minute,
        ttl: None,
        transactional: None,
        prompt: None,
    })
}

/// `POST /bulk`: "Preview" (nothing is sent) or "Send".
async fn submit(
    State(state): State<AppState>,
    Extension(staff): Extension<Staff>,
    headers: HeaderMap,
    Form(f): Form<BulkForm>,
) -> Result<Response, DeskError> {
    require_admin(&staff)?;
    let send = f.action == "send";
    let checked = request(&state, &f).and_then(|req| {
        api::checked(&state, req, staff.audit_name(), None).map_err(|e| e.parts().2)
    });
    let result = match checked {
        Err(m) => Err(m),
        Ok(bulk) if send => match api::queue(&state, staff.audit_name(), bulk).await {
            Ok(c) => {
                return Ok(Redirect::to(&format!("/bulk/{}", urlencode(&c.id))).into_response());
            }
            Err(e) if e.parts().0.is_client_error() => Err(e.parts().2),
            Err(e) => return Err(e.into()),
        },
        Ok(bulk) => match api::preview(&state, bulk, SAMPLE).await {
            Ok(p) => Ok(p),
            Err(e) if e.parts().0.is_client_error() => Err(e.parts().2),
            Err(e) => return Err(e.into()),
        },
    };
    let mut p = page(&state, &staff, &headers, f).await?;
    let status = match result {
        Ok(pv) => {
            p.preview = Some(PreviewView {
                skipped_total: pv.skipped.len(),
                skipped: pv
                    .skipped
                    .into_iter()
                    .take(SKIPPED_SHOWN)
                    .map(|s| (s.number, s.reason))
                    .collect(),
                sample: pv.sample,
                messages: pv.messages,
                parts: pv.parts,
                first: show_time(&state, pv.first),
                last: show_time(&state, pv.last),
            });
            StatusCode::OK
        }
        Err(m) => {
            p.error = Some(m);
            StatusCode::UNPROCESSABLE_ENTITY
        }
    };
    Ok((status, Html(p.render()?)).into_response())
}

#[derive(Template)]
#[template(path = "bulk_progress.html")]
struct ProgressPage {
    chrome: Chrome,
    id: String,
    name: String,
    source: String,
    send_at: String,
    created_by: String,
    recipients: u32,
    states: Vec<(String, u32)>,
    skipped: Vec<(String, String)>,
}

/// `GET /bulk/{id}`: the campaign's recipients by state.
async fn progress(
    State(state): State<AppState>,
    Extension(staff): Extension<Staff>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Html<String>, DeskError> {
    require_admin(&staff)?;
    let c = state.store.get_campaign(&id).await?;
    let page = ProgressPage {
        chrome: Chrome::new(&state, &staff, &headers, "bulk", "/live".to_owned()),
        name: c.name,
        source: match (&c.group, &c.template) {
            (Some(g), Some(t)) => format!("{g} · {t}"),
            (Some(g), None) => g.clone(),
            (None, Some(t)) => t.clone(),
            (None, None) => String::new(),
        },
        send_at: show_time(&state, c.send_at),
        created_by: c.created_by.unwrap_or_default(),
        recipients: c.recipients,
        states: c.states.into_iter().collect(),
        skipped: c
            .skipped
            .into_iter()
            .take(SKIPPED_SHOWN)
            .map(|s| (s.number, s.reason))
            .collect(),
        id: c.id,
    };
    Ok(Html(page.render()?))
}
