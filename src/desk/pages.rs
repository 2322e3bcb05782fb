//! The login page, the inbox, the modems page and the user's settings.

use std::net::SocketAddr;

use askama::Template;
use axum::Extension;
use axum::Form;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use jiff::Timestamp;
use serde::Deserialize;

use super::Chrome;
use super::auth::{self, Staff};
use super::error::DeskError;
use super::i18n::{Lang, Tr};
use crate::http::AppState;
use crate::store::{ConversationFilter, ConversationState, SEARCH_LIMIT};

/// Conversations per inbox page.
pub const INBOX_PAGE: usize = 50;

pub async fn home() -> Redirect {
    Redirect::to("/inbox")
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    tr: Tr,
    error: Option<String>,
    username: String,
    next: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Only a path on this site: `//evil.example` and `https://...` would send the user away.
pub(crate) fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => "/inbox".to_owned(),
    }
}

pub async fn login_form(
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> Result<Html<String>, DeskError> {
    let page = LoginPage {
        tr: Tr(Lang::from_accept(&headers)),
        error: None,
        username: String::new(),
        next: safe_next(q.next.as_deref()),
    };
    Ok(Html(page.render()?))
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
}

/// `POST /login`: checks the password (Argon2, off the async threads), starts a session.
pub async fn login(
    State(state): State<AppState>,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, DeskError> {
    if auth::cross_site(&axum::http::Method::POST, &headers) {
        return Err(DeskError::Csrf);
    }
    let addr = connect.map(|Extension(ConnectInfo(a))| a.ip());
    let now = tokio::time::Instant::now();
    let desk = state.desk.clone();
    if let Some(wait) = desk.throttle.wait(&form.username, addr, now) {
        return Err(DeskError::Throttled(wait));
    }
    let user = state.store.get_user(&form.username).await?;
    let hash = user
        .as_ref()
        .map(|u| u.password.clone())
        .unwrap_or_else(|| auth::dummy_hash().to_owned());
    let password = form.password.clone();
    let ok = tokio::task::spawn_blocking(move || auth::verify_password(&hash, &password))
        .await
        .unwrap_or(false);
    let tr = Tr(Lang::from_accept(&headers));
    let Some(user) = user.filter(|_| ok) else {
        desk.throttle.failed(&form.username, addr, now);
        let audit_name = format!(
            "desk:{}",
            form.username.chars().take(64).collect::<String>()
        );
        let at = Timestamp::now();
        state
            .store
            .atomically(move |tx| tx.audit(&audit_name, "desk.login_failed", None, at))
            .await?;
        let page = LoginPage {
            tr,
            error: Some(tr.t("login_failed").to_owned()),
            username: form.username,
            next: safe_next(form.next.as_deref()),
        };
        return Ok((StatusCode::UNAUTHORIZED, Html(page.render()?)).into_response());
    };
    desk.throttle.succeeded(&user.name);
    let token = auth::new_token()?;
    let csrf = auth::new_token()?;
    let hash = auth::token_hash(&token);
    let now = Timestamp::now();
    let expires = now
        .checked_add(jiff::SignedDuration::try_from(auth::SESSION_TTL).unwrap_or_default())
        .unwrap_or(now);
    let name = user.name.clone();
    state
        .store
        .atomically(move |tx| {
            tx.create_session(&hash, &name, &csrf, now, expires)?;
            tx.audit(&format!("desk:{name}"), "desk.login", None, now)?;
            Ok(())
        })
        .await?;
    let mut r = Redirect::to(&safe_next(form.next.as_deref())).into_response();
    if let Ok(v) = HeaderValue::from_str(&auth::set_cookie(Some(&token), desk.secure_cookies)) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(r)
}

/// `POST /logout`: ends the session.
pub async fn logout(
    State(state): State<AppState>,
    Extension(staff): Extension<Staff>,
    headers: HeaderMap,
) -> Result<Response, DeskError> {
    if let Some(token) = auth::session_cookie(&headers) {
        let hash = auth::token_hash(token);
        let who = staff.audit_name();
        let now = Timestamp::now();
        state
            .store
            .atomically(move |tx| {
                tx.end_session(&hash)?;
                tx.audit(&who, "desk.logout", None, now)?;
                Ok(())
            })
            .await?;
    }
    let mut r = Redirect::to("/login").into_response();
    if let Ok(v) = HeaderValue::from_str(&auth::set_cookie(None, state.desk.secure_cookies)) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(r)
}

#[derive(Deserialize)]
pub struct LangForm {
    lang: String,
}

/// `POST /me/lang`.
pub async fn set_lang(
    State(state): State<AppState>,
    Extension(staff): Extension<Staff>,
    headers: HeaderMap,
    Form(form): Form<LangForm>,
) -> Result<Response, DeskError> {
    let lang = Lang::parse(&form.lang).map(|l| l.code().to_owned());
    let name = staff.name.clone();
    let now = Timestamp::now();
    state
        .store
        .atomically(move |tx| tx.set_user_lang(&name, lang.as_deref(), now))
        .await?;
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.find("://").and_then(|i| r.get(i + 3..)))
        .and_then(|rest| rest.find('/').and_then(|i| rest.get(i..)))
        .map(|p| safe_next(Some(p)))
        .unwrap_or_else(|| "/inbox".to_owned());
    Ok(Redirect::to(&back).into_response())
}

/// An inbox row.
pub struct Row {
    pub id: String,
    pub number: String,
    pub name: String,
    pub state: &'static str,
    pub assignee: Option<String>,
    pub tags: Vec<String>,
    pub unread: u32,
    pub snippet: String,
    pub at: String,
}

pub struct InboxList {
    pub tr: Tr,
    pub rows: Vec<Row>,
    pub unread_total: u64,
    pub next: Option<String>,
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    chrome: Chrome,
    tab: String,
    state: String,
    q: String,
    tabs: Vec<(&'static str, &'static str)>,
    states: Vec<(&'static str, &'static str)>,
    list: InboxList,
}

#[derive(Template)]
#[template(path = "inbox_list.html")]
struct InboxListFragment {
    list: InboxList,
}

#[derive(Debug, Default, Deserialize)]
pub struct InboxQuery {
    tab: Option<String>,
    state: Option<String>,
    q: Option<String>,
    cursor: Option<String>,
}

/// A time as the desk shows it: in the support line's time zone, `MM-DD HH:MM`.
pub fn show_time(state: &AppState, t: Timestamp) -> String {
    let tz = state.rules.policy().hours.tz.clone();
    t.to_zoned_datetime(tz).strftime("%m-%d %H:%M").to_string()
}

/// The first line of a message, cut to 80 characters.
fn snippet(text: &str) -> String {
    let line = text.lines().next().unwrap_or("");
    let mut s: String = line.chars().take(80).collect();
    if line.chars().count() > 80 || text.lines().nth(1).is_some() {
        s.push('…');
    }
    s
}

async fn load_list(
    state: &AppState,
    staff: &Staff,
    tr: Tr,
    q: &InboxQuery,
) -> Result<InboxList, DeskError> {
    let tab = q.tab.as_deref().unwrap_or("all");
    let search = q.q.as_deref().map(str::trim).unwrap_or("");
    let (convs, next) = if !search.is_empty() {
        (
            state
                .store
                .search_conversations(search, SEARCH_LIMIT)
                .await?,
            None,
        )
    } else {
        let filter = ConversationFilter {
            state: q.state.as_deref().and_then(ConversationState::parse),
            assignee: (tab == "mine").then(|| staff.name.clone()),
            unassigned: tab == "unassigned",
            ..ConversationFilter::default()
        };
        let page = state
            .store
            .list_conversations(filter, q.cursor.clone(), INBOX_PAGE)
            .await?;
        let next = page.next_cursor.map(|c| {
            format!(
                "/inbox?tab={tab}&state={}&cursor={c}",
                q.state.as_deref().unwrap_or("")
            )
        });
        (page.items, next)
    };
    let details = state
        .store
        .inbox_details(convs.iter().map(|c| c.number.clone()).collect())
        .await?;
    let rows = convs
        .into_iter()
        .map(|c| {
            let d = details.get(&c.number).cloned().unwrap_or_default();
            Row {
                at: show_time(state, c.updated_at),
                id: c.id,
                number: c.number,
                name: d.name,
                state: c.state.as_str(),
                assignee: c.assignee,
                tags: c.tags,
                unread: c.unread,
                snippet: snippet(&d.last_text),
            }
        })
        .collect();
    Ok(InboxList {
        tr,
        rows,
        unread_total: state.store.unread_total().await?,
        next,
    })
}

/// `GET /inbox`.
pub async fn inbox(
    State(state): State<AppState>,
    Extension(staff): Extension<Staff>,
    headers: HeaderMap,
    Query(q): Query<InboxQuery>,
) -> Result<Html<String>, DeskError> {
    let chrome = Chrome::new(&state, &staff, &headers, "inbox", "/live".to_owned());
    let tr = chrome.tr;
    let list = load_list(&state, &staff, tr, &q).await?;
    let page = InboxPage {
        tab: q.tab.clone().unwrap_or_else(|| "all".to_owned()),
        state: q.state.clone().unwrap_or_default(),
        q: q.q.clone().unwrap_or_default(),
        tabs: ["mine", "unassigned", "all"]
            .into_iter()
            .map(|k| (k, tr.t(k)))
            .collect(),
        states: [
            ("", "any_state"),
            ("open", "open"),
            ("waiting", "waiting"),
            ("needs_human", "needs_human"),
            ("closed", "closed"),
        ]
        .into_iter()
        .map(|(k, l)| (k, tr.t(l)))
        .collect(),
        chrome,
        list,
    };
    Ok(Html(page.render()?))
}

/// `GET /inbox/list`: the list alone, for live updates and search.
pub async fn inbox_list(
    State(state): State<AppState>,
    Extension(staff): Extension<Staff>,
    headers: HeaderMap,
    Query(q): Query<InboxQuery>,
) -> Result<Html<String>, DeskError> {
    let tr = staff.tr(&headers);
    let list = load_list(&state, &staff, tr, &q).await?;
    Ok(Html(InboxListFragment { list }.render()?))
}

#[derive(Template)]
#[template(path = "banner.html")]
struct Banner {
    chrome: Chrome,
}

/// `GET /modems/banner`: the banner of modems that are down, for live updates.
pub async fn banner(
    State(state): State<AppState>,
    Extension(staff): Extension<Staff>,
    headers: HeaderMap,
) -> Result<Html<String>, DeskError> {
    let chrome = Chrome::new(&state, &staff, &headers, "", String::new());
    Ok(Html(Banner { chrome }.render()?))
}

pub struct ModemRow {
    pub name: String,
    pub state: String,
    pub signal: String,
    pub operator: String,
    pub registered: bool,
    pub counts: String,
    pub last_error: String,
    pub model: String,
}

#[derive(Template)]
#[template(path = "modems.html")]
struct ModemsPage {
    chrome: Chrome,
    modems: Vec<ModemRow>,
}

/// `GET /modems`.
pub async fn modems(
    State(state): State<AppState>,
    Extension(staff): Extension<Staff>,
    headers: HeaderMap,
) -> Result<Html<String>, DeskError> {
    let chrome = Chrome::new(&state, &staff, &headers, "modems", "/live".to_owned());
    let modems = state
        .modems
        .list()
        .into_iter()
        .map(|m| ModemRow {
            state: format!("{:?}", m.state).to_lowercase(),
            signal: match (m.health.rssi, m.health.signal_dbm) {
                (Some(r), Some(d)) => format!("{d} dBm (CSQ {r})"),
                _ => "—".to_owned(),
            },
            operator: m.health.operator.clone().unwrap_or_else(|| "—".to_owned()),
            registered: m.health.registered,
            counts: format!("↑{} ↓{} ⚠{}", m.sent, m.received, m.errors),
            last_error: m.last_error.clone().unwrap_or_default(),
            model: m
                .identity
                .as_ref()
                .map(|i| format!("{} {}", i.manufacturer, i.model))
                .unwrap_or_default(),
            name: m.name,
        })
        .collect();
    Ok(Html(ModemsPage { chrome, modems }.render()?))
}
