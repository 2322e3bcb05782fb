//! `/api/v1/contacts` and `/api/v1/groups`: contacts by number, their groups, and the CSV
//! import and export (`contacts_csv` holds the format).
//!
//! The number in a path is URL-encoded (`/api/v1/contacts/%2B819012345678`; a bare `+` works
//! too, a path is not a query) and normalised like a message's recipient, so `+81 90-1234-5678`
//! names the same contact (and, with `[support] country = "JP"`, so does `090-1234-5678`). Every write is audited in the transaction of its effect.

use std::collections::{BTreeMap, BTreeSet};

use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::auth::Caller;
use super::contact_input;
use super::contacts_csv::{self, CsvError, LineError};
use super::error::{ApiError, ErrorBody, ErrorDetail};
use super::extract::{Json, Path, Query, page_limit};
use super::messages::{DEFAULT_LIMIT, MAX_LIMIT};
use super::types::time;
use crate::store::{Contact, ContactFilter, NewContact};

/// Largest CSV import body. Bigger than `http.max_body_bytes` (64 KiB by default, sized for
/// JSON): 50,000 rows of a number, a name and a few fields fit in 8 MiB.
pub const MAX_IMPORT_BYTES: usize = 8 * 1024 * 1024;

/// A contact.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContactView {
    /// The number, normalised.
    #[schema(example = "+819012345678")]
    pub number: String,
    /// Empty when none was given.
    pub name: String,
    /// Custom fields (template placeholders `{field}`).
    #[schema(example = json!({"company": "ACME"}))]
    pub fields: BTreeMap<String, String>,
    /// The groups it belongs to, sorted.
    pub groups: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&Contact> for ContactView {
    fn from(c: &Contact) -> Self {
        ContactView {
            number: c.number.clone(),
            name: c.name.clone(),
            fields: c.fields.clone(),
            groups: c.groups.clone(),
            created_at: time(c.created_at),
            updated_at: time(c.updated_at),
        }
    }
}

/// `PUT /api/v1/contacts/{number}`: the whole contact (what is left out is cleared).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactBody {
    /// Up to 200 characters.
    #[serde(default)]
    pub name: String,
    /// Up to 50; names of 1 to 64 characters without `{`/`}` (and not `number`, `name`,
    /// `groups`), values up to 1000 characters. An empty value is no field.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    /// Up to 50 names of 1 to 64 characters without `;` or `|`.
    #[serde(default)]
    pub groups: Vec<String>,
}

/// `GET /api/v1/contacts`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContactList {
    /// In number order.
    pub items: Vec<ContactView>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    pub next_cursor: Option<String>,
}

/// Query of `GET /api/v1/contacts`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ContactQuery {
    /// Only members of this group.
    pub group: Option<String>,
    /// Only contacts whose name (ignoring ASCII case) or number starts with this.
    pub q: Option<String>,
    /// Page size, 1..=500 (default 50).
    pub limit: Option<usize>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A group and its size.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GroupView {
    pub name: String,
    /// Contacts in it.
    pub members: u64,
}

/// `GET /api/v1/groups`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GroupList {
    /// By name.
    pub items: Vec<GroupView>,
}

/// Query of `POST /api/v1/contacts/import`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// `all_or_nothing` (default): nothing is imported if a row is bad. `skip_invalid`: the
    /// valid rows are imported and the bad ones reported.
    pub mode: Option<String>,
}

/// What an import did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportReport {
    /// Rows written (`created` + `updated`).
    pub imported: usize,
    /// New contacts.
    pub created: usize,
    /// Contacts replaced.
    pub updated: usize,
    /// The rows left out (`skip_invalid`); empty otherwise.
    pub errors: Vec<LineError>,
}

/// A refused import: the usual error plus every bad row.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportErrorBody {
    /// `code` is `empty_file`, `invalid_header`, `too_many_rows` or `invalid_rows`.
    pub error: ErrorDetail,
    /// Every problem, by line (the header is line 1).
    pub errors: Vec<LineError>,
}

impl IntoResponse for ImportErrorBody {
    fn into_response(self) -> Response {
        (StatusCode::UNPROCESSABLE_ENTITY, axum::Json(self)).into_response()
    }
}

impl ImportErrorBody {
    fn new(code: &str, message: String, errors: Vec<LineError>) -> ImportErrorBody {
        ImportErrorBody {
            error: ErrorDetail {
                code: code.to_owned(),
                message,
            },
            errors,
        }
    }
}

/// Query of `GET /api/v1/contacts/export`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// Only members of this group.
    pub group: Option<String>,
    /// Start with a UTF-8 byte order mark, which Excel needs to show non-ASCII names
    /// (default false).
    pub bom: Option<bool>,
}

/// The number of a path, normalised (422 `invalid_number` when it is none).
pub(crate) fn path_number(state: &AppState, raw: &str) -> Result<String, ApiError> {
    contact_input::number(raw, state.region().as_ref())
        .map_err(|m| ApiError::invalid("invalid_number", m))
}

/// List contacts in number order.
#[utoipa::path(
    get, path = "/api/v1/contacts", tag = "contacts",
    params(ContactQuery),
    responses(
        (status = 200, description = "One page", body = ContactList),
        (status = 400, description = "Unknown or malformed query parameter", body = ErrorBody),
        (status = 401, description = "No or a wrong token", body = ErrorBody),
        (status = 422, description = "Bad limit", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    Query(q): Query<ContactQuery>,
) -> Result<axum::Json<ContactList>, ApiError> {
    let limit = page_limit(q.limit, DEFAULT_LIMIT, MAX_LIMIT)?;
    let filter = ContactFilter {
        group: q.group,
        search: q.q.filter(|s| !s.is_empty()),
    };
    let page = state.store.list_contacts(filter, q.cursor, limit).await?;
    Ok(axum::Json(ContactList {
        items: page.items.iter().map(ContactView::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// One contact.
#[utoipa::path(
    get, path = "/api/v1/contacts/{number}", tag = "contacts",
    params(("number" = String, Path, description = "URL-encoded, e.g. %2B819012345678")),
    responses(
        (status = 200, description = "The contact", body = ContactView),
        (status = 401, description = "No or a wrong token", body = ErrorBody),
        (status = 404, description = "No contact has this number", body = ErrorBody),
        (status = 422, description = "Not a number", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_one(
    State(state): State<AppState>,
    Path(number): Path<String>,
) -> Result<axum::Json<ContactView>, ApiError> {
    let number = path_number(&state, &number)?;
    let c = state
        .store
        .get_contact(&number)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no contact {number}")))?;
    Ok(axum::Json(ContactView::from(&c)))
}

/// Create or replace a contact.
#[utoipa::path(
    put, path = "/api/v1/contacts/{number}", tag = "contacts",
    params(("number" = String, Path, description = "URL-encoded, e.g. %2B819012345678")),
    request_body = ContactBody,
    responses(
        (status = 201, description = "Created", body = ContactView),
        (status = 200, description = "Replaced", body = ContactView),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No or a wrong token", body = ErrorBody),
        (status = 422, description = "Bad number, unknown field, or a field too long (the message names it)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn put(
    State(state): State<AppState>,
    Extension(Caller(caller)): Extension<Caller>,
    Path(number): Path<String>,
    Json(body): Json<ContactBody>,
) -> Result<(StatusCode, axum::Json<ContactView>), ApiError> {
    let groups: Vec<&str> = body.groups.iter().map(String::as_str).collect();
    let (c, created) = save(&state, caller, &number, &body.name, &body.fields, &groups).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, axum::Json(ContactView::from(&c))))
}

/// Delete a contact (and its group memberships).
#[utoipa::path(
    delete, path = "/api/v1/contacts/{number}", tag = "contacts",
    params(("number" = String, Path, description = "URL-encoded, e.g. %2B819012345678")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No or a wrong token", body = ErrorBody),
        (status = 404, description = "No contact has this number", body = ErrorBody),
        (status = 422, description = "Not a number", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn delete(
    State(state): State<AppState>,
    Extension(Caller(caller)): Extension<Caller>,
    Path(number): Path<String>,
) -> Result<StatusCode, ApiError> {
    remove(&state, caller, &number).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Checks and stores a contact as `PUT /api/v1/contacts/{number}` does, audited as `caller`;
/// the desk's contact form saves through it too. Returns the contact and whether it is new.
pub(crate) async fn save(
    state: &AppState,
    caller: String,
    raw_number: &str,
    name: &str,
    fields: &BTreeMap<String, String>,
    groups: &[&str],
) -> Result<(Contact, bool), ApiError> {
    let number = path_number(state, raw_number)?;
    let region = state.region();
    let contact =
        contact_input::contact(&number, name, fields, groups, region.as_ref()).map_err(|errs| {
            let message = errs
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; ");
            ApiError::invalid("invalid_contact", message)
        })?;
    let now = Timestamp::now();
    Ok(state
        .store
        .atomically(move |tx| {
            let (c, created) = tx.upsert_contact(&contact, now)?;
            let action = if created {
                "contact.create"
            } else {
                "contact.update"
            };
            tx.audit(&caller, action, Some(&c.number), now)?;
            Ok((c, created))
        })
        .await?)
}

/// Deletes a contact as `DELETE /api/v1/contacts/{number}` does, audited as `caller`; 404 when
/// there is none.
pub(crate) async fn remove(
    state: &AppState,
    caller: String,
    raw_number: &str,
) -> Result<(), ApiError> {
    let number = path_number(state, raw_number)?;
    let now = Timestamp::now();
    let target = number.clone();
    let existed = state
        .store
        .atomically(move |tx| {
            let existed = tx.delete_contact(&target)?;
            if existed {
                tx.audit(&caller, "contact.delete", Some(&target), now)?;
            }
            Ok(existed)
        })
        .await?;
    if existed {
        Ok(())
    } else {
        Err(ApiError::NotFound(format!("no contact {number}")))
    }
}

/// Every group with its member count.
#[utoipa::path(
    get, path = "/api/v1/groups", tag = "contacts",
    responses(
        (status = 200, description = "By name", body = GroupList),
        (status = 401, description = "No or a wrong token", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn groups(State(state): State<AppState>) -> Result<axum::Json<GroupList>, ApiError> {
    let items = state
        .store
        .list_groups()
        .await?
        .into_iter()
        .map(|(name, members)| GroupView { name, members })
        .collect();
    Ok(axum::Json(GroupList { items }))
}

/// Whether the request says its body is CSV (`text/csv`, or `application/csv`).
fn is_csv(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|t| {
            let t = t.trim();
            t.eq_ignore_ascii_case("text/csv") || t.eq_ignore_ascii_case("application/csv")
        })
}

/// Import contacts from CSV: each row creates or replaces the contact with its number.
#[utoipa::path(
    post, path = "/api/v1/contacts/import", tag = "contacts",
    params(ImportQuery),
    request_body(content = String, content_type = "text/csv",
        description = "UTF-8, header row first: number (required), name, groups (separated by ; or |), any other column a custom field. At most 50,000 rows and 8 MiB."),
    responses(
        (status = 200, description = "Imported (with the skipped rows under skip_invalid)", body = ImportReport),
        (status = 401, description = "No or a wrong token", body = ErrorBody),
        (status = 413, description = "Body over 8 MiB", body = ErrorBody),
        (status = 415, description = "Not text/csv", body = ErrorBody),
        (status = 422, description = "Empty file, bad header, too many rows, or (all_or_nothing) a bad row: nothing was imported", body = ImportErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn import(
    State(state): State<AppState>,
    Extension(Caller(caller)): Extension<Caller>,
    Query(q): Query<ImportQuery>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let skip_invalid = match q.mode.as_deref() {
        None | Some("all_or_nothing") => false,
        Some("skip_invalid") => true,
        Some(other) => {
            return Err(ApiError::invalid(
                "invalid_query",
                format!("mode must be all_or_nothing or skip_invalid, not {other:?}"),
            ));
        }
    };
    if !is_csv(&headers) {
        return Err(ApiError::Rejected {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            code: "unsupported_media_type",
            message: "the body must be text/csv".to_owned(),
        });
    }
    let body = body.map_err(|r| {
        let status = r.status();
        ApiError::Rejected {
            status: if status.is_client_error() {
                status
            } else {
                StatusCode::BAD_REQUEST
            },
            code: if status == StatusCode::PAYLOAD_TOO_LARGE {
                "payload_too_large"
            } else {
                "bad_request"
            },
            message: r.body_text(),
        }
    })?;
    Ok(
        match import_csv(&state, caller, &body, skip_invalid).await? {
            ImportOutcome::Refused(e) => e.into_response(),
            ImportOutcome::Done(report) => axum::Json(report).into_response(),
        },
    )
}

/// What [`import_csv`] did: refused the file (nothing imported), or imported it.
pub(crate) enum ImportOutcome {
    Refused(ImportErrorBody),
    Done(ImportReport),
}

/// Imports a CSV file as `POST /api/v1/contacts/import` does, audited as `caller`; the desk's
/// import form goes through it too. `skip_invalid`: import the valid rows and report the rest.
pub(crate) async fn import_csv(
    state: &AppState,
    caller: String,
    body: &[u8],
    skip_invalid: bool,
) -> Result<ImportOutcome, ApiError> {
    let parsed = match contacts_csv::parse(body, state.region().as_ref()) {
        Ok(p) => p,
        Err(e) => {
            let code = match e {
                CsvError::Empty => "empty_file",
                CsvError::Header(_) => "invalid_header",
                CsvError::TooManyRows => "too_many_rows",
            };
            return Ok(ImportOutcome::Refused(ImportErrorBody::new(
                code,
                e.to_string(),
                e.errors(),
            )));
        }
    };
    // Rows with a problem (a row may have several).
    let bad_rows = parsed
        .errors
        .iter()
        .map(|e| e.line)
        .collect::<BTreeSet<_>>()
        .len();
    if !skip_invalid && bad_rows > 0 {
        let message = format!(
            "{bad_rows} of the rows are invalid; nothing was imported \
             (mode=skip_invalid imports the others)"
        );
        return Ok(ImportOutcome::Refused(ImportErrorBody::new(
            "invalid_rows",
            message,
            parsed.errors,
        )));
    }
    let rows: Vec<NewContact> = parsed.rows.into_iter().map(|(_, c)| c).collect();
    let now = Timestamp::now();
    let counts = state
        .store
        .atomically(move |tx| {
            let counts = tx.import_contacts(&rows, now)?;
            let target = format!(
                "created={} updated={} skipped={bad_rows}",
                counts.created, counts.updated
            );
            tx.audit(&caller, "contact.import", Some(&target), now)?;
            Ok(counts)
        })
        .await?;
    Ok(ImportOutcome::Done(ImportReport {
        imported: counts.created + counts.updated,
        created: counts.created,
        updated: counts.updated,
        errors: parsed.errors,
    }))
}

/// The export's CSV (`group`: only its members; `bom`: with a byte order mark) and the
/// headers to send it with; the desk's export link serves the same.
pub(crate) async fn export_csv(
    state: &AppState,
    group: Option<String>,
    bom: bool,
) -> Result<Response, ApiError> {
    let contacts = state.store.all_contacts(group).await?;
    let bytes = match contacts_csv::write(&contacts, bom) {
        Ok(b) => b,
        Err(e) => {
            // Writing into memory fails only on a bug.
            tracing::error!(error = %e, "cannot write the contacts CSV");
            return Ok(StatusCode::INTERNAL_SERVER_ERROR.into_response());
        }
    };
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"contacts.csv\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// Export contacts as CSV, in the import's format.
#[utoipa::path(
    get, path = "/api/v1/contacts/export", tag = "contacts",
    params(ExportQuery),
    responses(
        (status = 200, description = "number,name,groups then the custom fields, sorted", content_type = "text/csv", body = String),
        (status = 401, description = "No or a wrong token", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn export(
    State(state): State<AppState>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, ApiError> {
    export_csv(&state, q.group, q.bom.unwrap_or(false)).await
}
