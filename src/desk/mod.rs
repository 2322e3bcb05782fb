//! The desk: the web app the staff answer customers with, served by `smsgate serve` at `/`
//! next to the JSON API (which stays under `/api/v1`).
//!
//! Server-rendered HTML (askama templates in `templates/`, compiled in), htmx for partial
//! updates, and one Server-Sent Events stream per tab ([`live`]) that tells the page what
//! changed; the page then fetches the affected fragment. The only hand-written JavaScript is
//! in `static/`: the composer (keys, IME, templates, counter) and the event wiring. Every
//! asset is embedded in the binary ([`assets`]).
//!
//! | route | who | what |
//! |---|---|---|
//! | `GET/POST /login`, `POST /logout` | anyone | form fields `username`, `password` |
//! | `GET /inbox`, `/inbox/list` | staff | tabs Mine / Unassigned / All, state, search `q` |
//! | `GET /c/{id}` (+ `/head`, `/messages`) | staff | a thread, its composer, the contact panel |
//! | `POST /c/{id}/reply\|claim\|state\|tags\|notes\|read\|presence\|retry/{msg}` | staff | thread actions |
//! | `POST /consent/{number}` | staff | opt a number out or in, audited |
//! | `GET /live` | staff | the SSE stream (`?c=conv_...` in a thread) |
//! | `GET /modems`, `/modems/banner` | staff | modem states; the banner on every page |
//! | `POST /me/lang` | staff | the user's language |
//! | `GET/POST /contacts`, `GET/POST /contacts/{number}`, `POST /contacts/{number}/delete` | staff | search `q`, `group`, pages; a contact's form |
//! | `POST /contacts/import`, `GET /contacts/export.csv` | staff | CSV pasted in a form; the API's export |
//! | `GET /templates`, `POST /templates`, `POST /templates/{name}/delete` | staff; changes: admin | parts and encoding per template |
//! | `GET/POST /users`, `POST /users/{name}/password\|remove` | admin | accounts and roles |
//! | `GET/POST /rules`, `POST /rules/test` | admin | rules in order; API rules as JSON; dry run |
//! | `GET/POST /bulk`, `GET /bulk/{id}` | admin | bulk send: preview, send; a campaign's progress |
//! | `GET /reports` | staff | the last 30 days as inline SVG charts |
//! | `GET /audit` | staff | the newest 200 audit entries |
//! | `GET /static/*` | anyone | htmx, the desk's script and style sheet |
//!
//! Security: sessions, CSRF and the login throttle are in [`auth`]; every action is audited
//! as `desk:<user>` in the transaction of its effect; admin-only pages answer 403 to agents.

pub mod assets;
pub mod audit;
pub mod auth;
pub mod bulk;
pub mod contacts;
pub mod error;
pub mod i18n;
pub mod live;
pub mod pages;
pub mod reports;
pub mod rules;
pub mod templates_page;
pub mod thread;
pub mod users;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};

use self::auth::{Staff, Throttle};
use self::error::DeskError;
use self::i18n::Tr;
use crate::http::AppState;
use crate::modem::ModemState;

/// What the desk keeps in memory: the login throttle and who is looking at which thread.
#[derive(Debug, Default)]
pub struct Desk {
    pub throttle: Throttle,
    pub presence: live::Presence,
    /// Cookies get `Secure` (the desk is served over TLS).
    pub secure_cookies: bool,
    /// Cancelled when the service stops: the live streams end, so the HTTP server's graceful
    /// shutdown does not wait for tabs that never close their stream.
    pub shutdown: tokio_util::sync::CancellationToken,
}

/// What every page's frame shows: the user, their language, the sections, and the banner of
/// modems that are not ready.
pub struct Chrome {
    pub tr: Tr,
    pub staff: Staff,
    /// The section the page belongs to (highlighted in the menu).
    pub section: &'static str,
    /// `(modem, why)` for each modem that is down or unregistered.
    pub down: Vec<(String, String)>,
    /// The page's live stream URL.
    pub live: String,
}

impl Chrome {
    pub fn new(
        state: &AppState,
        staff: &Staff,
        headers: &HeaderMap,
        section: &'static str,
        live: String,
    ) -> Chrome {
        Chrome {
            tr: staff.tr(headers),
            staff: staff.clone(),
            section,
            down: modems_down(state),
            live,
        }
    }
}

/// Each modem that cannot send now, and why.
pub fn modems_down(state: &AppState) -> Vec<(String, String)> {
    state
        .modems
        .list()
        .into_iter()
        .filter_map(|m| {
            let why = match m.state {
                ModemState::Ready if m.health.registered => return None,
                ModemState::Ready => "not registered on the network".to_owned(),
                ModemState::Starting => "starting".to_owned(),
                ModemState::Recovering => m
                    .last_error
                    .clone()
                    .unwrap_or_else(|| "recovering".to_owned()),
                ModemState::Failed => m
                    .last_error
                    .clone()
                    .unwrap_or_else(|| "failed; needs a person".to_owned()),
            };
            Some((m.name, why))
        })
        .collect()
}

/// Refuses an agent (403) where only an admin may look or act.
pub fn require_admin(staff: &Staff) -> Result<(), DeskError> {
    if staff.is_admin() {
        Ok(())
    } else {
        Err(DeskError::Forbidden)
    }
}

/// Middleware on every staff route: the session (else to `/login`), then for a POST the
/// CSRF check ([`auth`]); puts the [`Staff`] into the request's extensions.
async fn require_staff(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Result<Response, DeskError> {
    let (staff, req) = auth_request(&state, req).await?;
    let mut req = req;
    req.extensions_mut().insert(staff);
    Ok(next.run(req).await)
}

async fn auth_request(state: &AppState, req: Request) -> Result<(Staff, Request), DeskError> {
    let htmx = req.headers().contains_key("hx-request");
    let next = req_path(&req);
    let login = || DeskError::LoginRequired {
        htmx,
        next: next.clone(),
    };
    let Some(token) = auth::session_cookie(req.headers()) else {
        return Err(login());
    };
    let session = state
        .store
        .session(&auth::token_hash(token), jiff::Timestamp::now())
        .await?
        .ok_or_else(login)?;
    let staff = Staff::from_session(&session);
    if auth::cross_site(req.method(), req.headers()) {
        return Err(DeskError::Csrf);
    }
    if matches!(
        *req.method(),
        axum::http::Method::GET | axum::http::Method::HEAD
    ) {
        return Ok((staff, req));
    }
    let header_token = req
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if auth::csrf_matches(&session, header_token.as_deref()) {
        return Ok((staff, req));
    }
    // A plain form post carries the token as the `csrf` field: read the body (bounded), check,
    // and hand the same bytes on.
    let is_form = req
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(DeskError::Csrf);
    }
    let (parts, body) = req.into_parts();
    let limit = state.config.http.max_body_bytes;
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|e| {
        // Say so when the form is too big (a long CSV paste): "reload the page" would not help.
        let too_big = std::error::Error::source(&e)
            .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
        if too_big {
            DeskError::Api(crate::http::ApiError::Rejected {
                status: axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                code: "payload_too_large",
                message: format!(
                    "the form is over {limit} bytes (http.max_body_bytes); \
                     import a large CSV through POST /api/v1/contacts/import"
                ),
            })
        } else {
            DeskError::Csrf
        }
    })?;
    let field = form_urlencoded_field(&bytes, "csrf");
    if !auth::csrf_matches(&session, field.as_deref()) {
        return Err(DeskError::Csrf);
    }
    Ok((
        staff,
        Request::from_parts(parts, axum::body::Body::from(bytes)),
    ))
}

fn req_path(req: &Request) -> String {
    req.uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "/".to_owned())
}

/// The value of `name` in an `application/x-www-form-urlencoded` body.
fn form_urlencoded_field(body: &[u8], name: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find_map(|(k, v)| (k == name).then_some(v))
}

/// The desk's routes. Staff routes pass [`require_staff`]; the login page and assets do not.
pub fn router(state: AppState) -> Router<AppState> {
    let staff = Router::new()
        .route("/", get(pages::home))
        .route("/inbox", get(pages::inbox))
        .route("/inbox/list", get(pages::inbox_list))
        .route("/c/{id}", get(thread::page))
        .route("/c/{id}/head", get(thread::head))
        .route("/c/{id}/messages", get(thread::messages))
        .route("/c/{id}/reply", post(thread::reply))
        .route("/c/{id}/claim", post(thread::claim))
        .route("/c/{id}/state", post(thread::set_state))
        .route("/c/{id}/tags", post(thread::tags))
        .route("/c/{id}/notes", post(thread::notes))
        .route("/c/{id}/read", post(thread::read))
        .route("/c/{id}/presence", post(live::presence))
        .route("/c/{id}/retry/{msg}", post(thread::retry))
        .route("/consent/{number}", post(thread::consent))
        .route("/live", get(live::stream))
        .route("/modems", get(pages::modems))
        .route("/modems/banner", get(pages::banner))
        .route("/me/lang", post(pages::set_lang))
        .route("/logout", post(pages::logout))
        .merge(contacts::routes())
        .merge(templates_page::routes())
        .merge(audit::routes())
        .merge(users::routes())
        .merge(rules::routes())
        .merge(reports::routes())
        .merge(bulk::routes())
        .route_layer(middleware::from_fn_with_state(state, require_staff));
    Router::new()
        .merge(staff)
        .route("/login", get(pages::login_form).post(pages::login))
        .route("/static/{file}", get(assets::serve))
}
