//! The contacts pages: the list with search, group filter and pages, one contact's form, the
//! CSV import (pasted into a textarea) and export, and the groups with their sizes. Every
//! change goes through the JSON API's own functions (`http::contacts`), so the checks and the
//! audit entries are the API's.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use serde::Deserialize;

use super::Chrome;
use super::auth::Staff;
use super::error::{DeskError, urlencode};
use super::pages::show_time;
use crate::http::AppState;
use crate::http::contacts::{self as api, ImportOutcome};
use crate::http::contacts_csv::LineError;
use crate::store::{Contact, ContactFilter};

/// Contacts per page.
pub const PAGE: usize = 50;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/contacts", get(list).post(create))
        .route("/contacts/import", post(import))
        .route("/contacts/export.csv", get(export))
        .route("/contacts/{number}", get(edit_form).post(update))
        .route("/contacts/{number}/delete", post(delete))
}

pub struct ContactRow {
    pub number: String,
    pub url: String,
    pub name: String,
    pub groups: Vec<String>,
    pub updated: String,
}

#[derive(Template)]
#[template(path = "contacts.html")]
struct ListPage {
    chrome: Chrome,
    q: String,
    group: String,
    groups: Vec<(String, u64)>,
    rows: Vec<ContactRow>,
    next: Option<String>,
    /// The import's outcome: a summary and one line per problem.
    import_summary: Option<String>,
    import_errors: Vec<String>,
    import_csv: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    group: Option<String>,
    cursor: Option<String>,
}

/// A problem of an import as people read it: `line 3: number: ...`.
pub fn line_error(e: &LineError) -> String {
    match &e.column {
        Some(c) => format!("line {}: {c}: {}", e.line, e.message),
        None => format!("line {}: {}", e.line, e.message),
    }
}

async fn list_page(
    state: &AppState,
    staff: &Staff,
    headers: &HeaderMap,
    q: ListQuery,
) -> Result<ListPage, DeskError> {
    let chrome = Chrome::new(state, staff, headers, "contacts", "/live".to_owned());
    let search = q.q.clone().unwrap_or_default().trim().to_owned();
    let group = q.group.clone().unwrap_or_default();
    let filter = ContactFilter {
        group: (!group.is_empty()).then(|| group.clone()),
        search: (!search.is_empty()).then(|| search.clone()),
    };
    let page = state.store.list_contacts(filter, q.cursor, PAGE).await?;
    let next = page.next_cursor.map(|c| {
        format!(
            "/contacts?q={}&group={}&cursor={}",
            urlencode(&search),
            urlencode(&group),
            urlencode(&c)
        )
    });
    Ok(ListPage {
        rows: page.items.iter().map(|c| row(state, c)).collect(),
        groups: state.store.list_groups().await?,
        chrome,
        q: search,
        group,
        next,
        import_summary: None,
        import_errors: Vec::new(),
        import_csv: String::new(),
    })
}

fn row(state: &AppState, c: &Contact) -> ContactRow {
    ContactRow {
        url: format!("/contacts/{}", urlencode(&c.number)),
        number: c.number.clone(),
        name: c.name.clone(),
        groups: c.groups.clone(),
        updated: show_time(state, c.updated_at),
    }
}

/// `GET /contacts`.
async fn list(
    State(state): State<AppState>,
    Extension(staff): Extension<Staff>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Result<Html<String>, DeskError> {
    Ok(Html(
        list_page(&state, &staff, &headers, q).await?.render()?,
    ))
}

#[derive(Debug, Deserialize)]
pub struct ImportForm {
    csv: String,
    /// Present (a checkbox) to import the valid rows and skip the others.
    skip_invalid: Option<String>,
}

/// `POST /contacts/import`: the pasted CSV through the API's import; the list page shows what
/// was imported and every bad line (422 when nothing was).
async fn import(
    State(state): State<AppState>,
    Extension(staff): Extension<Staff>,
    headers: HeaderMap,
    Form(form): Form<ImportForm>,
) -> Result<Response, DeskError> {
    let outcome = api::import_csv(
        &state,
        staff.audit_name(),
        form.csv.as_bytes(),
        form.skip_invalid.is_some(),
    )
    .await?;
    let mut page = list_page(&state, &staff, &headers, ListQuery::default()).await?;
    let tr = page.chrome.tr;
    let status = match outcome {
        ImportOutcome::Refused(body) => {
            page.import_summary =
                Some(format!("{} {}", tr.t("import_refused"), body.error.message));
            page.import_errors = body.errors.iter().map(line_error).collect();
            // Keep the text so the lines can be fixed and sent again.
            page.import_csv = form.csv;
            StatusCode::UNPROCESSABLE_ENTITY
        }
        ImportOutcome::Done(report) => {
            page.import_summary = Some(format!(
                "{}: {} ({} {}, {} {})",
                tr.t("imported"),
                report.imported,
                tr.t("created"),
                report.created,
                tr.t("updated"),
                report.updated
            ));
            page.import_errors = report.errors.iter().map(line_error).collect();
            StatusCode::OK
        }
    };
    Ok((status, Html(page.render()?)).into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct ExportQuery {
    group: Option<String>,
    bom: Option<String>,
}

/// `GET /contacts/export.csv`: the API's export.
async fn export(
    State(state): State<AppState>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, DeskError> {
    let group = q.group.filter(|g| !g.is_empty());
    let bom = q.bom.is_some_and(|b| b != "0" && b != "false");
    Ok(api::export_csv(&state, group, bom).await?)
}

#[derive(Template)]
#[template(path = "contact_edit.html")]
struct EditPage {
    chrome: Chrome,
    number: String,
    url: String,
    /// Whether the contact exists yet (else the form creates it).
    exists: bool,
    name: String,
    groups: String,
    fields: String,
    error: Option<String>,
}

/// `GET /contacts/{number}`: the form; empty when the number has no contact yet.
async fn edit_form(
    State(state): State<AppState>,
    Extension(staff): Extension<Staff>,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Result<Html<String>, DeskError> {
    let number = api::path_number(&state, &raw)?;
    let contact = state.store.get_contact(&number).await?;
    let chrome = Chrome::new(&state, &staff, &headers, "contacts", "/live".to_owned());
    let page = EditPage {
        chrome,
        url: format!("/contacts/{}", urlencode(&number)),
        exists: contact.is_some(),
        name: contact.as_ref().map(|c| c.name.clone()).unwrap_or_default(),
        groups: contact
            .as_ref()
            .map(|c| c.groups.join(", "))
            .unwrap_or_default(),
        fields: contact
            .as_ref()
            .map(|c| {
                c.fields
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default(),
        number,
        error: None,
    };
    Ok(Html(page.render()?))
}

#[derive(Debug, Deserialize)]
pub struct ContactForm {
    /// Only in the "new contact" form; the edit form has it in the path.
    number: Option<String>,
    #[serde(default)]
    name: String,
    /// Comma-separated (an ideographic comma too).
    #[serde(default)]
    groups: String,
    /// `key=value` per line.
    #[serde(default)]
    fields: String,
}

/// The `key=value` lines of the fields box; a line without `=` is an error naming it.
pub fn parse_fields(text: &str) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            return Err(format!("fields: line {}: expected key=value", i + 1));
        };
        out.insert(k.trim().to_owned(), v.trim().to_owned());
    }
    Ok(out)
}

/// The groups box: names separated by commas.
pub fn split_groups(text: &str) -> Vec<&str> {
    text.split([',', '、', '\n'])
        .map(str::trim)
        .filter(|g| !g.is_empty())
        .collect()
}

async fn save(
    state: &AppState,
    staff: &Staff,
    headers: &HeaderMap,
    raw_number: &str,
    form: ContactForm,
) -> Result<Response, DeskError> {
    let result = match parse_fields(&form.fields) {
        Ok(fields) => match api::save(
            state,
            staff.audit_name(),
            raw_number,
            &form.name,
            &fields,
            &split_groups(&form.groups),
        )
        .await
        {
            Ok(saved) => Ok(saved),
            // What the person typed is wrong: say so on the form. Anything else is ours.
            Err(e) if e.parts().0.is_client_error() => Err(e.parts().2),
            Err(e) => return Err(e.into()),
        },
        Err(m) => Err(m),
    };
    match result {
        Ok((c, _)) => {
            Ok(Redirect::to(&format!("/contacts/{}", urlencode(&c.number))).into_response())
        }
        Err(message) => {
            // Show the form again with what was typed, so nothing is lost.
            let chrome = Chrome::new(state, staff, headers, "contacts", "/live".to_owned());
            let exists = match api::path_number(state, raw_number) {
                Ok(n) => state.store.get_contact(&n).await?.is_some(),
                Err(_) => false,
            };
            let page = EditPage {
                chrome,
                number: raw_number.to_owned(),
                url: format!("/contacts/{}", urlencode(raw_number)),
                exists,
                name: form.name,
                groups: form.groups,
                fields: form.fields,
                error: Some(message),
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
    }
}

/// `POST /contacts`: the "new contact" form.
async fn create(
    State(state): State<AppState>,
    Extension(staff): Extension<Staff>,
    headers: HeaderMap,
    Form(form): Form<ContactForm>,
) -> Result<Response, DeskError> {
    let number = form.number.clone().unwrap_or_default();
    save(&state, &staff, &headers, &number, form).await
}

/// `POST /contacts/{number}`: saves the form (the whole contact, as the API's PUT).
async fn update(
    State(state): State<AppState>,
    Extension(staff): Extension<Staff>,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<ContactForm>,
) -> Result<Response, DeskError> {
    save(&state, &staff, &headers, &raw, form).await
}

/// `POST /contacts/{number}/delete`.
async fn delete(
    State(state): State<AppState>,
    Extension(staff): Extension<Staff>,
    Path(raw): Path<String>,
) -> Result<Response, DeskError> {
    api::remove(&state, staff.audit_name(), &raw).await?;
    Ok(Redirect::to("/contacts").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_groups_boxes() {
        let f = parse_fields("company = ACME\n\nplan=gold=1\n").unwrap();
        assert_eq!(f.get("company").map(String::as_str), Some("ACME"));
        assert_eq!(f.get("plan").map(String::as_str), Some("gold=1"));
        assert_eq!(
            parse_fields("a=1\nno equals").unwrap_err(),
            "fields: line 2: expected key=value"
        );
        assert_eq!(
            split_groups(" vip, tokyo,,大阪、 "),
            ["vip", "tokyo", "大阪"]
        );
    }
}
