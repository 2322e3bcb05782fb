//! Who is at the desk: passwords (Argon2id), session cookies stored in SQLite, the CSRF check
//! on every state change, and the login throttle.
//!
//! - **Sessions.** Logging in sets `smsgate_session`, a 256-bit random token (HttpOnly,
//!   SameSite=Strict, `Secure` under TLS). The store keeps only the token's SHA-256, the user,
//!   a CSRF token and the expiry, so sessions survive a restart and a copy of the database lets
//!   nobody in. Logout deletes the row; changing a password deletes all of the user's.
//! - **CSRF.** A POST with a session must carry the session's CSRF token, as the `csrf` form
//!   field or the `X-CSRF-Token` header (htmx sends it from `hx-headers` on `<body>`). A browser
//!   request whose `Sec-Fetch-Site` is not `same-origin`, or (without that header) whose `Origin`
//!   is not this host, is refused before anything else, logins included. SameSite=Strict alone
//!   would already keep the cookie off cross-site requests; the token also covers browsers and
//!   proxies that get SameSite wrong.
//! - **Throttle.** After [`MAX_FAILURES_PER_USER`] failed logins for one name, or
//!   [`MAX_FAILURES_PER_ADDR`] from one address, within [`FAILURE_WINDOW`], logins for that
//!   name or from that address are refused (429) until the window has passed: enough to stop
//!   guessing, and a forgotten password costs a few minutes, not an account lock.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::http::{HeaderMap, Method, header};
use sha2::{Digest, Sha256};
use tokio::time::Instant;

use crate::store::{Role, Session};

/// The session cookie's name.
pub const COOKIE: &str = "smsgate_session";
/// How long a session lasts after login.
pub const SESSION_TTL: Duration = Duration::from_secs(7 * 24 * 3600);
/// Failed logins for one user name within [`FAILURE_WINDOW`] before it is throttled.
pub const MAX_FAILURES_PER_USER: usize = 5;
/// Failed logins from one address within [`FAILURE_WINDOW`] before it is throttled.
pub const MAX_FAILURES_PER_ADDR: usize = 20;
/// User names and addresses the throttle keeps failures for at most.
pub const MAX_THROTTLE_KEYS: usize = 10_000;
/// How long failed logins count.
pub const FAILURE_WINDOW: Duration = Duration::from_secs(15 * 60);
/// Longest password accepted: Argon2 takes any length, but hashing megabytes on every attempt
/// would be a cheap way to load the appliance.
pub const MAX_PASSWORD: usize = 1024;

/// Why a password or token could not be made.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("the operating system's random source failed: {0}")]
    Random(String),
    #[error("cannot hash the password: {0}")]
    Hash(String),
    #[error("the password is empty")]
    EmptyPassword,
    #[error("the password is longer than {MAX_PASSWORD} bytes")]
    LongPassword,
}

fn random_bytes<const N: usize>() -> Result<[u8; N], AuthError> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|e| AuthError::Random(e.to_string()))?;
    Ok(buf)
}

/// A new random token: 32 bytes, hex.
pub fn new_token() -> Result<String, AuthError> {
    Ok(hex::encode(random_bytes::<32>()?))
}

/// The SHA-256 of a session token, hex: what the store keeps.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A random password for the account `serve --simulate` creates: 16 characters from an alphabet
/// without look-alikes (no `0O1lI`), about 90 bits.
pub fn new_password() -> Result<String, AuthError> {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let bytes = random_bytes::<16>()?;
    Ok(bytes
        .iter()
        .map(|b| {
            char::from(
                ALPHABET
                    .get(usize::from(*b) % ALPHABET.len())
                    .copied()
                    .unwrap_or(b'x'),
            )
        })
        .collect())
}

/// Hashes `password` with Argon2id (the crate's defaults: 19 MiB, 2 passes, as OWASP
/// recommends) into a PHC string.
pub fn hash_password(password: &str) -> Result<String, AuthError> {
    if password.is_empty() {
        return Err(AuthError::EmptyPassword);
    }
    if password.len() > MAX_PASSWORD {
        return Err(AuthError::LongPassword);
    }
    let salt = SaltString::encode_b64(&random_bytes::<16>()?)
        .map_err(|e| AuthError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Hash(e.to_string()))
}

/// Whether `password` matches the PHC string `hash`. A malformed hash matches nothing.
pub fn verify_password(hash: &str, password: &str) -> bool {
    if password.len() > MAX_PASSWORD {
        return false;
    }
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash to verify against when the user does not exist, so that a wrong name takes as long
/// as a wrong password and the response time does not tell which names exist.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("not a password").unwrap_or_default())
}

/// The session token in a request's `Cookie` headers, if any.
pub fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (k, v) = pair.trim().split_once('=')?;
            (k == COOKIE && !v.is_empty()).then_some(v)
        })
}

/// The `Set-Cookie` value that starts a session (`token`) or ends it (`None`).
pub fn set_cookie(token: Option<&str>, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    match token {
        Some(t) => format!(
            "{COOKIE}={t}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
            SESSION_TTL.as_secs()
        ),
        None => format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}"),
    }
}

/// Why a state-changing request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsrfFailure {
    /// `Sec-Fetch-Site` or `Origin` says another site sent it.
    CrossSite,
    /// No CSRF token, or not this session's.
    BadToken,
}

/// Whether the browser says this request came from another site. Requests without either
/// header (scripts, old browsers) pass here; with a session they still need the token.
pub fn cross_site(method: &Method, headers: &HeaderMap) -> bool {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return false;
    }
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        // `none`: typed into the address bar or a bookmark, never a POST from a page.
        return !matches!(site, "same-origin" | "none");
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let bare = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .unwrap_or("");
    bare != host
}

/// Compares a presented CSRF token with the session's in constant time.
pub fn csrf_matches(session: &Session, presented: Option<&str>) -> bool {
    use subtle::ConstantTimeEq;
    presented.is_some_and(|p| bool::from(p.as_bytes().ct_eq(session.csrf.as_bytes())))
}

/// The staff member behind a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staff {
    pub name: String,
    pub role: Role,
    /// The user's chosen language, if any.
    pub lang: Option<String>,
    pub csrf: String,
}

impl Staff {
    pub fn from_session(s: &Session) -> Staff {
        Staff {
            name: s.user.name.clone(),
            role: s.user.role,
            lang: s.user.lang.clone(),
            csrf: s.csrf.clone(),
        }
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// The translator for this person: their chosen language, else the browser's.
    pub fn tr(&self, headers: &HeaderMap) -> super::i18n::Tr {
        super::i18n::Tr(super::i18n::Lang::choose(self.lang.as_deref(), headers))
    }

    /// The name the audit log records for this person's actions.
    pub fn audit_name(&self) -> String {
        format!("desk:{}", self.name)
    }
}

/// Failed logins per user name and per address, in memory: a restart forgets them, which only
/// gives a guesser a fresh window after each restart.
#[derive(Debug, Default)]
pub struct Throttle {
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

impl Throttle {
    fn keys(user: &str, addr: Option<IpAddr>) -> [(String, usize); 2] {
        [
            (
                format!("user:{}", user.to_lowercase()),
                MAX_FAILURES_PER_USER,
            ),
            (
                format!("addr:{}", addr.map(|a| a.to_string()).unwrap_or_default()),
                MAX_FAILURES_PER_ADDR,
            ),
        ]
    }

    /// How long until a login for `user` from `addr` may be tried again; `None`: now.
    pub fn wait(&self, user: &str, addr: Option<IpAddr>, now: Instant) -> Option<Duration> {
        let mut map = self.failures.lock().ok()?;
        let mut longest = None;
        for (key, max) in Self::keys(user, addr) {
            let Some(times) = map.get_mut(&key) else {
                continue;
            };
            times.retain(|t| now.duration_since(*t) < FAILURE_WINDOW);
            if times.len() >= max
                && let Some(first) = times.first()
            {
                let w = FAILURE_WINDOW.saturating_sub(now.duration_since(*first));
                longest = longest.max(Some(w));
            }
        }
        longest
    }

    /// Records a failed login.
    pub fn failed(&self, user: &str, addr: Option<IpAddr>, now: Instant) {
        if let Ok(mut map) = self.failures.lock() {
            // Bounded: a key holds at most its limit of recent failures; the map is cleared of
            // stale keys when it grows, and when it is full of live ones new keys are not
            // recorded (keys already throttled stay so): an address or name scan must not grow
            // it without end.
            if map.len() >= MAX_THROTTLE_KEYS {
                map.retain(|_, v| v.iter().any(|t| now.duration_since(*t) < FAILURE_WINDOW));
            }
            for (key, max) in Self::keys(user, addr) {
                if map.len() >= MAX_THROTTLE_KEYS && !map.contains_key(&key) {
                    continue;
                }
                let times = map.entry(key).or_default();
                times.push(now);
                if times.len() > max {
                    times.remove(0);
                }
            }
        }
    }

    /// Forgets the failures of `user` after a successful login.
    pub fn succeeded(&self, user: &str) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(&format!("user:{}", user.to_lowercase()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_and_verify() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password(&h, "correct horse"));
        assert!(!verify_password(&h, "correct horsE"));
        assert!(!verify_password("not a phc string", "x"));
        assert!(matches!(hash_password(""), Err(AuthError::EmptyPassword)));
    }

    #[test]
    fn cookie_parsing_table() {
        let cases: &[(&str, &[&str], Option<&str>)] = &[
            ("alone", &["smsgate_session=abc"], Some("abc")),
            (
                "among others",
                &["a=1; smsgate_session=abc; b=2"],
                Some("abc"),
            ),
            (
                "second header",
                &["a=1", "smsgate_session=xyz"],
                Some("xyz"),
            ),
            ("empty value", &["smsgate_session="], None),
            ("prefix of another name", &["smsgate_session_old=abc"], None),
            ("none", &[], None),
        ];
        for (name, values, want) in cases {
            let mut h = HeaderMap::new();
            for v in *values {
                h.append(header::COOKIE, v.parse().unwrap());
            }
            assert_eq!(session_cookie(&h), *want, "{name}");
        }
    }

    #[test]
    fn cross_site_table() {
        let cases: &[(&str, Method, &[(&str, &str)], bool)] = &[
            (
                "same origin fetch",
                Method::POST,
                &[("sec-fetch-site", "same-origin")],
                false,
            ),
            (
                "cross-site fetch",
                Method::POST,
                &[("sec-fetch-site", "cross-site")],
                true,
            ),
            (
                "same-site is another origin",
                Method::POST,
                &[("sec-fetch-site", "same-site")],
                true,
            ),
            (
                "a GET is never refused",
                Method::GET,
                &[("sec-fetch-site", "cross-site")],
                false,
            ),
            (
                "origin matches host",
                Method::POST,
                &[
                    ("origin", "http://127.0.0.1:8080"),
                    ("host", "127.0.0.1:8080"),
                ],
                false,
            ),
            (
                "origin differs",
                Method::POST,
                &[
                    ("origin", "http://evil.example"),
                    ("host", "127.0.0.1:8080"),
                ],
                true,
            ),
            (
                "null origin",
                Method::POST,
                &[("origin", "null"), ("host", "a")],
                true,
            ),
            ("a script sends neither", Method::POST, &[], false),
        ];
        for (name, method, headers, want) in cases {
            let mut h = HeaderMap::new();
            for (k, v) in *headers {
                h.insert(*k, v.parse().unwrap());
            }
            assert_eq!(cross_site(method, &h), *want, "{name}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn throttle_blocks_after_five_failures_for_a_name_and_lifts() {
        let t = Throttle::default();
        let addr = Some(IpAddr::from([127, 0, 0, 1]));
        for _ in 0..MAX_FAILURES_PER_USER {
            assert_eq!(t.wait("aiko", addr, Instant::now()), None);
            t.failed("Aiko", addr, Instant::now());
        }
        let w = t.wait("aiko", addr, Instant::now()).unwrap();
        assert!(w > Duration::from_secs(14 * 60), "{w:?}");
        // Another name from the same address is not blocked yet.
        assert_eq!(t.wait("ken", addr, Instant::now()), None);
        tokio::time::advance(FAILURE_WINDOW).await;
        assert_eq!(t.wait("aiko", addr, Instant::now()), None);
    }
}
