//! The desk's one error type, turned into a response exactly once: an HTML message (htmx puts
//! it into the page's `#flash` box), a redirect to the login page, or a refusal.

use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::http::ApiError;

/// Why a desk request failed.
#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    /// No session, or an expired one.
    #[error("log in first")]
    LoginRequired { htmx: bool, next: String },
    /// A state change without this session's CSRF token, or sent by another site.
    #[error("the request was refused: reload the page and try again (CSRF check)")]
    Csrf,
    /// An agent asked for an admin's page or action.
    #[error("only an admin may do this")]
    Forbidden,
    /// Too many failed logins.
    #[error("too many failed logins; try again in {} minutes", .0.as_secs().div_ceil(60))]
    Throttled(Duration),
    /// What the API layer would have refused too (not found, invalid, opted out, store).
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The operating system gave no random bytes for a session.
    #[error(transparent)]
    Auth(#[from] super::auth::AuthError),
    /// A template failed to render (a bug).
    #[error("cannot render the page: {0}")]
    Render(#[from] askama::Error),
}

impl From<crate::store::Error> for DeskError {
    fn from(e: crate::store::Error) -> DeskError {
        DeskError::Api(ApiError::from(e))
    }
}

impl IntoResponse for DeskError {
    fn into_response(self) -> Response {
        let status = match &self {
            DeskError::LoginRequired { htmx: true, .. } => {
                let mut r = StatusCode::NO_CONTENT.into_response();
                r.headers_mut()
                    .insert("hx-redirect", HeaderValue::from_static("/login"));
                return r;
            }
            DeskError::LoginRequired { next, .. } => {
                let to = format!("/login?next={}", urlencode(next));
                let mut r = StatusCode::SEE_OTHER.into_response();
                if let Ok(v) = HeaderValue::from_str(&to) {
                    r.headers_mut().insert(header::LOCATION, v);
                }
                return r;
            }
            DeskError::Csrf | DeskError::Forbidden => StatusCode::FORBIDDEN,
            DeskError::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
            DeskError::Api(e) => e.parts().0,
            DeskError::Render(_) | DeskError::Auth(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let message = match &self {
            DeskError::Api(e) => e.parts().2,
            other => other.to_string(),
        };
        if status.is_server_error() {
            tracing::error!(error = %message, "desk request failed");
        }
        let body = format!(
            "<!doctype html><meta charset=\"utf-8\"><link rel=\"stylesheet\" href=\"/static/desk.css\">\
             <p class=\"error\" role=\"alert\">{}</p>",
            escape(&message)
        );
        let mut r = (status, Html(body)).into_response();
        // htmx swaps the message into the page's message box instead of the request's target.
        r.headers_mut()
            .insert("hx-retarget", HeaderValue::from_static("#flash"));
        r.headers_mut()
            .insert("hx-reswap", HeaderValue::from_static("innerHTML"));
        if let DeskError::Throttled(d) = &self
            && let Ok(v) = HeaderValue::from_str(&d.as_secs().max(1).to_string())
        {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        r
    }
}

/// HTML-escapes text for the few bodies built without a template.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes everything but unreserved characters (RFC 3986 §2.3).
pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
