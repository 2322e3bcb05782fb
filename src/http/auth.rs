//! Bearer-token authentication.
//!
//! Every route but `/health` passes through [`require_token`]. With tokens configured, the
//! request must carry `Authorization: Bearer <token>` matching one of them; the comparison is
//! constant-time ([`subtle`]) and always walks every configured token, so the response time
//! does not tell which prefix or which token came close. With no tokens configured (the
//! loopback-only default the config enforces), every request is let through as [`Caller`]
//! `local`. The caller's name is what the audit log records: handlers audit what they did, and
//! [`require_token`] audits every POST, PATCH or DELETE that failed.

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use subtle::ConstantTimeEq;

use super::AppState;
use super::error::ApiError;
use crate::config::Token;

/// Who made the request: the matching token's name, or `local` when no tokens are configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller(pub String);

/// The audit name of requests made without tokens configured.
pub const LOCAL: &str = "local";

/// The name of the configured token equal to `presented`, compared in constant time.
///
/// Every token is compared (no early exit on a match); only the lengths may differ in timing.
pub fn find_token<'a>(tokens: &'a [Token], presented: &[u8]) -> Option<&'a str> {
    let mut found = None;
    for t in tokens {
        let ok: bool = t.token.get_ref().as_bytes().ct_eq(presented).into();
        if ok && found.is_none() {
            found = Some(t.name.as_str());
        }
    }
    found
}

/// The token of an `Authorization: Bearer <token>` header value.
fn bearer(value: &[u8]) -> Option<&[u8]> {
    let (scheme, rest) = value.split_at_checked(7)?;
    scheme
        .eq_ignore_ascii_case(b"bearer ")
        .then(|| rest.trim_ascii())
}

/// Middleware: authenticates the request and stores its [`Caller`] in the extensions.
pub async fn require_token(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let tokens = &state.config.http.tokens;
    let caller = if tokens.is_empty() {
        LOCAL.to_owned()
    } else {
        let presented = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| bearer(v.as_bytes()))
            .ok_or(ApiError::Unauthorized)?;
        find_token(tokens, presented)
            .ok_or(ApiError::Unauthorized)?
            .to_owned()
    };
    let write = matches!(
        *req.method(),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    req.extensions_mut().insert(Caller(caller.clone()));
    let resp = next.run(req).await;
    if write && !resp.status().is_success() {
        audit_rejected(&state, &caller, &method, &path, resp.status()).await;
    }
    Ok(resp)
}

/// Writes a failed POST, PUT, PATCH or DELETE to the audit log (a successful one is audited by its
/// handler, in the transaction of its effect). Here, so that requests rejected before the handler
/// ran (bad JSON, oversized body, ...) are recorded too. Best effort: the request failed already.
async fn audit_rejected(
    state: &AppState,
    caller: &str,
    method: &Method,
    path: &str,
    status: StatusCode,
) {
    let (action, target) = rejected_action(method, path);
    let target = target.as_deref();
    tracing::info!(caller, path, %status, "{action}");
    if let Err(e) = state
        .store
        .audit(caller, action, target, jiff::Timestamp::now())
        .await
    {
        tracing::warn!(error = %e, action, "cannot write the audit log");
    }
}

/// The audit action and target of a failed write: the messages' own names, and for every other
/// resource `request.rejected` with the method and path as the target.
fn rejected_action(method: &Method, path: &str) -> (&'static str, Option<String>) {
    if let Some(id) = path.strip_prefix("/api/v1/messages/") {
        return ("message.cancel.rejected", Some(id.to_owned()));
    }
    if path == "/api/v1/messages" {
        return ("message.create.rejected", None);
    }
    // Conversations: `{id}` (PATCH), `{id}/reply`, `{id}/read`.
    if let Some(rest) = path.strip_prefix("/api/v1/conversations/") {
        return match rest.split_once('/') {
            Some((id, "reply")) => ("conversation.reply.rejected", Some(id.to_owned())),
            Some((id, "read")) => ("conversation.read.rejected", Some(id.to_owned())),
            _ => ("conversation.update.rejected", Some(rest.to_owned())),
        };
    }
    ("request.rejected", Some(format!("{method} {path}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use toml::Spanned;

    fn token(name: &str, t: &str) -> Token {
        Token {
            name: name.into(),
            token: Spanned::new(0..0, t.into()),
        }
    }

    #[test]
    fn find_token_table() {
        let tokens = [
            token("crm", "0123456789abcdef"),
            token("ops", "fedcba9876543210"),
        ];
        let cases: &[(&str, &[u8], Option<&str>)] = &[
            ("first", b"0123456789abcdef", Some("crm")),
            ("second", b"fedcba9876543210", Some("ops")),
            ("prefix", b"0123456789abcde", None),
            ("longer", b"0123456789abcdef0", None),
            ("empty", b"", None),
            ("one byte off", b"0123456789abcdeF", None),
        ];
        for (name, presented, want) in cases {
            assert_eq!(find_token(&tokens, presented), *want, "{name}");
        }
    }

    #[test]
    fn bearer_table() {
        let cases: &[(&[u8], Option<&[u8]>)] = &[
            (b"Bearer abc", Some(b"abc")),
            (b"bearer  abc ", Some(b"abc")),
            (b"Basic abc", None),
            (b"Bearer", None),
            (b"", None),
        ];
        for (value, want) in cases {
            assert_eq!(bearer(value), *want, "{value:?}");
        }
    }
}
