//! Live updates: one Server-Sent Events stream per tab, and who is viewing or typing in which
//! thread.
//!
//! The stream carries no state, only what changed: `inbox`, `thread`, `conv`, `modems`, or
//! `presence` (with the text to show). The page then fetches the fragment it needs, so what it
//! shows always comes from a committed state read afresh, never from an event that could be
//! lost or arrive out of order. The stream wakes on every store commit
//! ([`Store::subscribe_commits`](crate::store::Store::subscribe_commits)) and on presence
//! changes, coalesces a burst (a bulk send commits hundreds of times a second) into one check,
//! and compares fingerprints of the inbox, the thread and the modems with what it last sent.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Mutex;
use std::time::Duration;

use axum::Extension;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::Stream;
use serde::Deserialize;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use super::auth::Staff;
use super::error::DeskError;
use super::i18n::Tr;
use super::modems_down;
use crate::http::AppState;

/// How long a burst of commits is gathered before the stream looks.
const COALESCE: Duration = Duration::from_millis(150);
/// How long "typing" shows after the last keystroke report.
const TYPING_FOR: Duration = Duration::from_secs(6);

#[derive(Debug, Default)]
struct Entry {
    /// Open streams of this user on this thread.
    viewers: usize,
    typing_until: Option<Instant>,
}

/// Who is in which thread.
#[derive(Debug)]
pub struct Presence {
    threads: Mutex<HashMap<String, HashMap<String, Entry>>>,
    changed: watch::Sender<u64>,
}

impl Default for Presence {
    fn default() -> Self {
        Presence {
            threads: Mutex::new(HashMap::new()),
            changed: watch::Sender::new(0),
        }
    }
}

/// Ends a viewer's presence when their stream ends.
pub struct Viewing<'a> {
    presence: &'a Presence,
    conv: String,
    user: String,
}

impl Drop for Viewing<'_> {
    fn drop(&mut self) {
        self.presence.leave(&self.conv, &self.user);
    }
}

impl Presence {
    fn bump(&self) {
        self.changed.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// `user` opened a stream on thread `conv`.
    pub fn view(&self, conv: &str, user: &str) -> Viewing<'_> {
        if let Ok(mut t) = self.threads.lock() {
            t.entry(conv.to_owned())
                .or_default()
                .entry(user.to_owned())
                .or_default()
                .viewers += 1;
        }
        self.bump();
        Viewing {
            presence: self,
            conv: conv.to_owned(),
            user: user.to_owned(),
        }
    }

    fn leave(&self, conv: &str, user: &str) {
        if let Ok(mut t) = self.threads.lock()
            && let Some(users) = t.get_mut(conv)
        {
            if let Some(e) = users.get_mut(user) {
                e.viewers = e.viewers.saturating_sub(1);
                if e.viewers == 0 {
                    users.remove(user);
                }
            }
            if users.is_empty() {
                t.remove(conv);
            }
        }
        self.bump();
    }

    /// `user` typed in thread `conv` at `now`.
    pub fn typing(&self, conv: &str, user: &str, now: Instant) {
        if let Ok(mut t) = self.threads.lock()
            && let Some(e) = t.get_mut(conv).and_then(|u| u.get_mut(user))
        {
            e.typing_until = Some(now + TYPING_FOR);
        }
        self.bump();
    }

    /// "aiko is typing…, ken is viewing" for everyone in `conv` but `me`.
    pub fn describe(&self, conv: &str, me: &str, tr: Tr, now: Instant) -> String {
        let Ok(t) = self.threads.lock() else {
            return String::new();
        };
        let Some(users) = t.get(conv) else {
            return String::new();
        };
        let mut names: Vec<(&String, &Entry)> =
            users.iter().filter(|(u, _)| u.as_str() != me).collect();
        names.sort_by(|a, b| a.0.cmp(b.0));
        names
            .into_iter()
            .map(|(u, e)| {
                let typing = e.typing_until.is_some_and(|t| t > now);
                format!("{u} {}", tr.t(if typing { "typing" } else { "viewing" }))
            })
            .collect::<Vec<_>>()
            .join(" · ")
    }

    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct LiveQuery {
    /// The thread the page shows, if any.
    c: Option<String>,
}

/// `GET /live`: the tab's event stream.
pub async fn stream(
    State(state): State<AppState>,
    Extension(staff): Extension<Staff>,
    headers: HeaderMap,
    Query(q): Query<LiveQuery>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let tr = staff.tr(&headers);
    let (tx, rx) = mpsc::channel::<Event>(16);
    tokio::spawn(watch_changes(state, staff, tr, q.c, tx));
    let events =
        futures_util::stream::unfold(
            rx,
            |mut rx| async move { rx.recv().await.map(|e| (Ok(e), rx)) },
        );
    Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

/// What a tab last saw.
#[derive(Default, PartialEq)]
struct Seen {
    inbox: (i64, i64, i64),
    thread: (i64, i64),
    modems: Vec<(String, String)>,
    presence: String,
}

async fn look(state: &AppState, conv: Option<&str>, me: &str, tr: Tr) -> Seen {
    let inbox = state.store.inbox_fingerprint().await.unwrap_or_default();
    let thread = match conv {
        Some(c) => state.store.thread_fingerprint(c).await.unwrap_or_default(),
        None => (0, 0),
    };
    let presence = conv
        .map(|c| state.desk.presence.describe(c, me, tr, Instant::now()))
        .unwrap_or_default();
    Seen {
        inbox,
        thread,
        modems: modems_down(state),
        presence,
    }
}

/// The presence text as a JSON string: an SSE event with empty data is never dispatched, and
/// "nobody else here" is an empty text.
fn presence_event(text: &str) -> Event {
    Event::default()
        .event("presence")
        .data(serde_json::Value::from(text).to_string())
}

async fn watch_changes(
    state: AppState,
    staff: Staff,
    tr: Tr,
    conv: Option<String>,
    tx: mpsc::Sender<Event>,
) {
    let desk = state.desk.clone();
    let _viewing = conv.as_deref().map(|c| desk.presence.view(c, &staff.name));
    let mut commits = state.store.subscribe_commits();
    let mut presence = desk.presence.subscribe();
    let mut seen = look(&state, conv.as_deref(), &staff.name, tr).await;
    // The page may have been rendered before this stream existed: tell it to refresh what it
    // shows once, so a message that arrived in between is not missed.
    let _ = tx.send(Event::default().event("inbox").data("1")).await;
    if conv.is_some() {
        let _ = tx.send(Event::default().event("thread").data("1")).await;
        let _ = tx.send(presence_event(&seen.presence)).await;
    }
    loop {
        tokio::select! {
            r = commits.changed() => if r.is_err() { return },
            r = presence.changed() => if r.is_err() { return },
            // Modem states live in memory; look now and then even without commits. Typing also
            // expires by time.
            _ = tokio::time::sleep(Duration::from_secs(5)) => {},
            _ = tx.closed() => return,
            _ = desk.shutdown.cancelled() => return,
        }
        tokio::time::sleep(COALESCE).await;
        commits.borrow_and_update();
        presence.borrow_and_update();
        let now = look(&state, conv.as_deref(), &staff.name, tr).await;
        let mut events = Vec::new();
        if now.inbox != seen.inbox {
            events.push(Event::default().event("inbox").data("1"));
            if conv.is_some() {
                events.push(Event::default().event("conv").data("1"));
            }
        }
        if now.thread != seen.thread {
            events.push(Event::default().event("thread").data("1"));
        }
        if now.modems != seen.modems {
            events.push(Event::default().event("modems").data("1"));
        }
        if now.presence != seen.presence {
            events.push(presence_event(&now.presence));
        }
        seen = now;
        for e in events {
            if tx.send(e).await.is_err() {
                return;
            }
        }
    }
}

#[derive(Deserialize)]
pub struct PresenceForm {
    #[serde(default)]
    typing: Option<String>,
}

/// `POST /c/{id}/presence`: the composer reports typing (at most every few seconds).
pub async fn presence(
    State(state): State<AppState>,
    Extension(staff): Extension<Staff>,
    Path(id): Path<String>,
    Form(form): Form<PresenceForm>,
) -> Result<Response, DeskError> {
    if form.typing.is_some() {
        state.desk.presence.typing(&id, &staff.name, Instant::now());
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desk::i18n::Lang;

    #[tokio::test(start_paused = true)]
    async fn presence_names_others_and_expires_typing() {
        let p = Presence::default();
        let tr = Tr(Lang::En);
        let a = p.view("conv_1", "aiko");
        let _k = p.view("conv_1", "ken");
        assert_eq!(
            p.describe("conv_1", "aiko", tr, Instant::now()),
            "ken is viewing"
        );
        p.typing("conv_1", "ken", Instant::now());
        assert_eq!(
            p.describe("conv_1", "aiko", tr, Instant::now()),
            "ken is typing…"
        );
        tokio::time::advance(TYPING_FOR).await;
        assert_eq!(
            p.describe("conv_1", "aiko", tr, Instant::now()),
            "ken is viewing"
        );
        assert_eq!(
            p.describe("conv_1", "ken", tr, Instant::now()),
            "aiko is viewing"
        );
        drop(a);
        assert_eq!(p.describe("conv_1", "ken", tr, Instant::now()), "");
    }
}
