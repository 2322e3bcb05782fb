//! One conversation: its messages both ways with their live state, the composer, the contact
//! panel, and the actions (reply, claim, state, tags, notes, retry, consent).

use askama::Template;
use axum::Extension;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Redirect, Response};
use jiff::Timestamp;
use serde::Deserialize;

use super::Chrome;
use super::auth::Staff;
use super::error::{DeskError, urlencode};
use super::i18n::Tr;
use super::pages::show_time;
use crate::gateway::process::{Content, render_for};
use crate::http::conversations::{MAX_NOTES, MAX_TAG, apply_update, mark_read, queue_reply};
use crate::http::{ApiError, AppState};
use crate::store::{
    ConversationState, ConversationUpdate, MessageDirection, Origin, State as MsgState,
};

/// Messages a thread shows.
pub const THREAD_MESSAGES: usize = 200;

/// A message as the thread shows it.
pub struct Msg {
    pub id: String,
    pub dir: &'static str,
    pub text: String,
    pub at: String,
    pub state: &'static str,
    pub error: Option<String>,
    pub modem: Option<String>,
    /// Who or what sent it: the staff member, or the rule / acknowledgement and why.
    pub by: Option<String>,
    /// Inbound: the rule that fired.
    pub rule: Option<String>,
    pub retry: bool,
}

/// Everything the thread's templates show.
pub struct ThreadView {
    pub tr: Tr,
    pub me: String,
    pub csrf: String,
    pub id: String,
    pub title: String,
    pub name: String,
    pub number: String,
    pub number_url: String,
    pub state: &'static str,
    pub assignee: Option<String>,
    pub tags: Vec<String>,
    pub notes: String,
    pub since: String,
    pub messages: Vec<Msg>,
    pub groups: Vec<String>,
    pub fields: Vec<(String, String)>,
    /// Why and since when the number may not be texted; `None`: it may.
    pub consent: Option<String>,
    pub consent_history: Vec<String>,
    /// This customer's conversations (episodes), newest first: "opened – closed".
    pub episodes: Vec<String>,
    /// `(name, text rendered for this contact)`.
    pub templates: Vec<(String, String)>,
    /// Milliseconds of the newest inbound message the composer was shown with.
    pub seen: i64,
    pub draft: String,
    /// The customer's newer message a reply was held for.
    pub held: Option<String>,
    pub composer_error: Option<String>,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "thread.html")]
struct ThreadPage {
    chrome: Chrome,
    t: ThreadView,
}

#[derive(Template)]
#[template(path = "thread_head.html")]
struct HeadFragment {
    t: ThreadView,
}

#[derive(Template)]
#[template(path = "thread_messages.html")]
struct MessagesFragment {
    t: ThreadView,
}

#[derive(Template)]
#[template(path = "composer.html")]
struct ComposerFragment {
    t: ThreadView,
}

fn state_name(s: MsgState) -> &'static str {
    s.as_str()
}

/// How much of a thread to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// The page or the composer: also the templates rendered for this contact and the
    /// contact's conversations.
    Full,
    /// The head or the message list, which live updates re-fetch on every change: without the
    /// templates and episodes they never show.
    Fragment,
}

/// Reads what the thread page shows of conversation `id`.
async fn load(
    state: &AppState,
    staff: &Staff,
    tr: Tr,
    id: &str,
    scope: Scope,
) -> Result<ThreadView, DeskError> {
    let (conv, items) = state.store.conversation_thread(id, THREAD_MESSAGES).await?;
    let contact = state.store.get_contact(&conv.number).await?;
    let opted_out = state.store.opted_out(&conv.number).await?;
    let history = state.store.consent_history(&conv.number).await?;
    let consent = if opted_out {
        let last = history.iter().rev().find(|h| h.opted_out);
        Some(match last {
            Some(h) => format!("{} — {}", show_time(state, h.at), h.source),
            None => tr.t("opted_out").to_owned(),
        })
    } else {
        None
    };
    let consent_history = history
        .iter()
        .rev()
        .take(10)
        .map(|h| {
            format!(
                "{} {} ({})",
                show_time(state, h.at),
                if h.opted_out { "⛔" } else { "✅" },
                h.source
            )
        })
        .collect();
    let mut last_rule: Option<String> = None;
    // The hold compares with the conversation's own last inbound time (when the message was
    // processed), not the message's assembly time.
    let seen = conv
        .last_inbound_at
        .map(|t| t.as_millisecond())
        .unwrap_or(0);
    let mut messages = Vec::with_capacity(items.len());
    for m in items {
        let inbound = m.direction == MessageDirection::In;
        if inbound {
            last_rule = m.rule.clone();
        }
        let st = m.state.map(state_name).unwrap_or("");
        let by = match m.origin {
            Some(Origin::Auto) => Some(match &last_rule {
                Some(r) => format!("⚙ {}: {r}", tr.t("auto_reply")),
                None => format!("⚙ {}", tr.t("auto_reply")),
            }),
            Some(Origin::Bulk) => Some(format!("📣 {}", tr.t("bulk"))),
            _ => m
                .created_by
                .as_deref()
                .map(|b| b.strip_prefix("desk:").unwrap_or(b).to_owned()),
        };
        messages.push(Msg {
            retry: matches!(
                m.state,
                Some(MsgState::Failed | MsgState::Expired | MsgState::Unknown)
            ) && !opted_out,
            dir: if inbound { "in" } else { "out" },
            at: show_time(state, m.at),
            state: st,
            error: m.error.clone(),
            modem: m.modem.clone().filter(|_| !inbound),
            rule: m.rule.clone().filter(|_| inbound),
            by,
            id: m.id,
            text: m.text,
        });
    }
    let episodes = if scope == Scope::Fragment {
        Vec::new()
    } else {
        state.store.episodes(id, 10).await?
    }
    .into_iter()
    .map(|(opened, resolved)| match resolved {
        Some(r) => format!("{} – {}", show_time(state, opened), show_time(state, r)),
        None => format!("{} – ({})", show_time(state, opened), tr.t("open")),
    })
    .collect();
    let policy = state.rules.policy();
    let mut templates: Vec<(String, String)> = Vec::new();
    let stored = if scope == Scope::Fragment {
        Vec::new()
    } else {
        state.store.list_templates().await?
    };
    for t in stored {
        if let Ok(text) = render_for(policy, &t.body, contact.as_ref(), &conv.number, false) {
            templates.push((t.name, text));
        }
    }
    let config_names = if scope == Scope::Fragment {
        Vec::new()
    } else {
        state.config.support.template_names()
    };
    for name in config_names {
        if !templates.iter().any(|(n, _)| *n == name)
            && let Some(body) = policy.template(&name)
            && let Ok(text) = render_for(policy, body, contact.as_ref(), &conv.number, false)
        {
            templates.push((name, text));
        }
    }
    templates.sort();
    let name = contact.as_ref().map(|c| c.name.clone()).unwrap_or_default();
    Ok(ThreadView {
        tr,
        me: staff.name.clone(),
        csrf: staff.csrf.clone(),
        title: if name.is_empty() {
            conv.number.clone()
        } else {
            name.clone()
        },
        name,
        number_url: urlencode(&conv.number),
        number: conv.number,
        id: conv.id,
        state: conv.state.as_str(),
        assignee: conv.assignee,
        tags: conv.tags,
        notes: conv.notes,
        since: show_time(state, conv.created_at),
        messages,
        groups: contact
            .as_ref()
            .map(|c| c.groups.clone())
            .unwrap_or_default(),
        fields: contact
            .map(|c| c.fields.into_iter().collect())
            .unwrap_or_default(),
        consent,
        consent_history,
        episodes,
        templates,
        seen,
        draft: String::new(),
        held: None,
        composer_error: None,
        error: None,
    })
}

/// `GET /c/{id}`.
pub async fn page(
    State(state): State<AppState>,
    Extension(staff): Extension<Staff>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Html<String>, DeskError> {
    let chrome = Chrome::new(
        &state,
        &staff,
        &headers,
        "inbox",
        format!("/live?c={}", urlencode(&id)),
    );
    let t = load(&state, &staff, chrome.tr, &id, Scope::Full).await?;
    Ok(Html(ThreadPage { chrome, t }.render()?))
}

/// `GET /c/{id}/head`.
pub async fn head(
    State(state): State<AppState>,
    Extension(staff): Extension<Staff>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Html<String>, DeskError> {
    let t = load(&state, &staff, staff.tr(&headers), &id, Scope::Fragment).await?;
    Ok(Html(HeadFragment { t }.render()?))
}

/// `GET /c/{id}/messages`.
pub async fn messages(
    State(state): State<AppState>,
    Extension(staff): Extension<Staff>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Html<String>, DeskError> {
    let t = load(&state, &staff, staff.tr(&headers), &id, Scope::Fragment).await?;
    Ok(Html(MessagesFragment { t }.render()?))
}

#[derive(Deserialize)]
pub struct ReplyForm {
    text: String,
    /// When the composer was shown: the newest inbound message's milliseconds.
    seen: Option<i64>,
    /// Sent again after a hold: the person has now seen the new message.
    confirm: Option<String>,
}

/// `POST /c/{id}/reply`: queues the reply, or holds it when the customer wrote since the
/// composer was opened. Answers with a fresh composer (empty, or holding the text).
pub async fn reply(
    State(state): State<AppState>,
    Extension(staff): Extension<Staff>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<ReplyForm>,
) -> Result<Response, DeskError> {
    let tr = staff.tr(&headers);
    let text = form.text.replace("\r\n", "\n");
    let hold_after = match (form.seen, form.confirm.as_deref()) {
        (Some(ms), None) => Timestamp::from_millisecond(ms).ok(),
        _ => None,
    };
    let result = queue_reply(
        &state,
        staff.audit_name(),
        id.clone(),
        Content::Text(text.clone()),
        hold_after,
    )
    .await;
    let mut t = load(&state, &staff, tr, &id, Scope::Full).await?;
    match result {
        Ok(Some(_)) => {}
        Ok(None) => {
            // Held: show the newest inbound message, keep the text, and ask to send again.
            t.held = t
                .messages
                .iter()
                .rev()
                .find(|m| m.dir == "in")
                .map(|m| m.text.clone());
            t.draft = text;
        }
        Err(e) => {
            t.composer_error = Some(DeskError::Api(e).to_string());
            t.draft = text;
        }
    }
    Ok(Html(ComposerFragment { t }.render()?).into_response())
}

/// `POST /c/{id}/retry/{msg}`: sends a failed message's text again, as a new reply.
pub async fn retry(
    State(state): State<AppState>,
    Extension(staff): Extension<Staff>,
    headers: HeaderMap,
    Path((id, msg)): Path<(String, String)>,
) -> Result<Html<String>, DeskError> {
    let (_, items) = state
        .store
        .conversation_thread(&id, THREAD_MESSAGES)
        .await?;
    let failed = items
        .into_iter()
        .find(|m| {
            m.id == msg
                && matches!(
                    m.state,
                    Some(MsgState::Failed | MsgState::Expired | MsgState::Unknown)
                )
        })
        .ok_or_else(|| ApiError::NotFound(format!("no failed message {msg} here")))?;
    queue_reply(
        &state,
        staff.audit_name(),
        id.clone(),
        Content::Text(failed.text),
        None,
    )
    .await?;
    let t = load(&state, &staff, staff.tr(&headers), &id, Scope::Fragment).await?;
    Ok(Html(MessagesFragment { t }.render()?))
}

async fn update_and_head(
    state: &AppState,
    staff: &Staff,
    headers: &HeaderMap,
    id: String,
    update: ConversationUpdate,
) -> Result<Html<String>, DeskError> {
    let tr = staff.tr(headers);
    let error = match apply_update(state, staff.audit_name(), id.clone(), update).await {
        Ok(_) => None,
        Err(e) => Some(DeskError::Api(e).to_string()),
    };
    let mut t = load(state, staff, tr, &id, Scope::Fragment).await?;
    t.error = error;
    Ok(Html(HeadFragment { t }.render()?))
}

/// `POST /c/{id}/claim`: assigns the conversation to whoever pressed it.
pub async fn claim(
    State(state): State<AppState>,
    Extension(staff): Extension<Staff>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Html<String>, DeskError> {
    let update = ConversationUpdate {
        assignee: Some(Some(staff.name.clone())),
        ..Default::default()
    };
    update_and_head(&state, &staff, &headers, id, update).await
}

#[derive(Deserialize)]
pub struct StateForm {
    state: String,
}

/// `POST /c/{id}/state`.
pub async fn set_state(
    State(state): State<AppState>,
    Extension(staff): Extension<Staff>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<StateForm>,
) -> Result<Html<String>, DeskError> {
    let s = ConversationState::parse(&form.state).ok_or_else(|| {
        ApiError::invalid(
            "invalid_state",
            format!("state: {:?} is not a state", form.state),
        )
    })?;
    let update = ConversationUpdate {
        state: Some(s),
        ..Default::default()
    };
    update_and_head(&state, &staff, &headers, id, update).await
}

#[derive(Deserialize)]
pub struct TagForm {
    add: Option<String>,
    remove: Option<String>,
}

/// `POST /c/{id}/tags`.
pub async fn tags(
    State(state): State<AppState>,
    Extension(staff): Extension<Staff>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<TagForm>,
) -> Result<Html<String>, DeskError> {
    let clean = |t: Option<String>| {
        t.map(|t| t.trim().to_owned()).filter(|t| {
            !t.is_empty() && t.chars().count() <= MAX_TAG && !t.chars().any(char::is_control)
        })
    };
    let update = ConversationUpdate {
        add_tags: clean(form.add).into_iter().collect(),
        remove_tags: clean(form.remove).into_iter().collect(),
        ..Default::default()
    };
    if update.add_tags.is_empty() && update.remove_tags.is_empty() {
        let t = load(&state, &staff, staff.tr(&headers), &id, Scope::Fragment).await?;
        return Ok(Html(HeadFragment { t }.render()?));
    }
    update_and_head(&state, &staff, &headers, id, update).await
}

#[derive(Deserialize)]
pub struct NotesForm {
    notes: String,
}

/// `POST /c/{id}/notes`.
pub async fn notes(
    State(state): State<AppState>,
    Extension(staff): Extension<Staff>,
    Path(id): Path<String>,
    Form(form): Form<NotesForm>,
) -> Result<Response, DeskError> {
    if form.notes.chars().count() > MAX_NOTES {
        return Err(ApiError::invalid(
            "invalid_notes",
            format!("notes: at most {MAX_NOTES} characters"),
        )
        .into());
    }
    let update = ConversationUpdate {
        notes: Some(form.notes),
        ..Default::default()
    };
    apply_update(&state, staff.audit_name(), id, update).await?;
    Ok(axum::http::StatusCode::NO_CONTENT.into_response())
}

/// `POST /c/{id}/read`: the page marks its thread read when it shows it.
pub async fn read(
    State(state): State<AppState>,
    Extension(staff): Extension<Staff>,
    Path(id): Path<String>,
) -> Result<Response, DeskError> {
    let conv = state.store.get_conversation(&id).await?;
    if conv.unread > 0 {
        mark_read(&state, staff.audit_name(), id).await?;
    }
    Ok(axum::http::StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
pub struct ConsentForm {
    opted_out: bool,
    back: Option<String>,
}

/// `POST /consent/{number}`: one click opts a number out or back in, recorded with source
/// `desk:<user>` and audited.
pub async fn consent(
    State(state): State<AppState>,
    Extension(staff): Extension<Staff>,
    Path(number): Path<String>,
    Form(form): Form<ConsentForm>,
) -> Result<Response, DeskError> {
    let who = staff.audit_name();
    let now = crate::http::messages::unique_now();
    let n = number.clone();
    state
        .store
        .atomically(move |tx| {
            if tx.set_consent(&n, form.opted_out, &who, now)? {
                tx.audit(
                    &who,
                    if form.opted_out {
                        "consent.opt_out"
                    } else {
                        "consent.opt_in"
                    },
                    Some(&n),
                    now,
                )?;
            }
            Ok(())
        })
        .await?;
    let back = super::pages::safe_next(form.back.as_deref());
    Ok(Redirect::to(&back).into_response())
}
