//! Kannel smsbox's `sendsms` HTTP interface (`[compat.kannel]`): `GET` with a query string or
//! `POST` with an `application/x-www-form-urlencoded` body on `path` (default
//! `/cgi-bin/sendsms`), answered in Kannel's words, so that monitoring scripts, RapidSMS,
//! playSMS's Kannel gateway and Kannel itself (as an HTTP SMSC) send through smsgate by
//! changing a URL.
//!
//! # What was checked against Kannel
//!
//! Read in Kannel 1.4's `gw/smsbox.c` (`smsbox_req_sendsms`, `smsbox_req_handle`,
//! `delayed_http_reply`, `authorise_username`, `sendsms_thread`, `main`, `charset_processing`):
//!
//! - every reply carries `Content-type: text/html`, `Pragma: no-cache` and
//!   `Cache-Control: no-cache` (`sendsms_reply_hdrs` in `main`), and the body is the bare
//!   string, with no newline;
//! - the user is `username`, else `user`; the password `password`, else `pass`; a missing or
//!   wrong one is `403` `Authorization failed for sendsms`, checked before anything else;
//! - no `to` is `400` `Missing receiver number, rejected`; an empty one `400`
//!   `Empty receiver number not allowed, rejected`; `to` is split into words at white space
//!   (`octstr_split_words`), duplicates dropped; when every receiver is refused, `400`
//!   `Number(s) has/have been denied by white- and/or black-lists.`;
//! - a request variable is the first of its name (`http_cgi_variable`), numbers are read as
//!   `sscanf("%d")` does (leading digits; none leaves the field unset, `-1`), and the ranges
//!   and their `400` texts: `dlr-mask` -1..63 `DLR-Mask field misformed, rejected`, `mclass`
//!   -1..3 `MClass field misformed, rejected`, `coding` -1..2 `Coding field misformed,
//!   rejected`, `validity` and `deferred` >= -1 (`Validity`/`Deferred field misformed,
//!   rejected`), `priority` 0..3 `Priority field misformed, rejected`, a `dlr-url` that is not
//!   `http://` or `https://` `DLR-URL field misformed, rejected`, a `charset` the text does not
//!   convert from `Charset or body misformed, rejected`;
//! - `validity` and `deferred` are minutes from now;
//! - accepted: `202` `0: Accepted for delivery` once the bearerbox took it, `202`
//!   `3: Queued for later delivery` when it buffered it for want of a connected SMSC, and
//!   `503` `Temporal failure, try again later.` on a temporary failure
//!   (`delayed_http_reply`); with several receivers Kannel's `immediate-sendsms-reply` form is
//!   `202` `Sent.`, followed by ` Denied receivers are: ...` when some were refused.
//!
//! # What differs, and why
//!
//! - **Several receivers** always answer `Sent.` (Kannel's `immediate-sendsms-reply` answer):
//!   one message with several recipients is committed at once, and `Sent.` tells a client
//!   that more than one was queued. Kannel's default (delayed) mode would answer the first
//!   receiver's `0: Accepted for delivery` instead. ` Message splits: N` is not appended.
//! - **`3: Queued for later delivery`** is answered when no modem is ready and registered on
//!   the network at the time of the request (smsgate's equivalent of "no SMSC connected").
//! - **Receivers** are normalised as `POST /api/v1/messages` normalises them
//!   ([`crate::phone`]) instead of being checked against `sendsms-chars`; one that does not
//!   normalise is a denied receiver. A raw `+` in a query string is a space, so `to=+8190...`
//!   arrives as ` 8190...`: a `+` written raw at the start of `to`, or right after a separator,
//!   is taken as the international prefix of the number after it (`to=+8190...` is
//!   `+8190...`), while a `+` between two numbers separates them as in Kannel.
//! - **`from`** is not required and does not change the sender (the modem's own number is
//!   the sender); it is kept for a DLR's `%P`. Kannel refuses a request with neither `from`
//!   nor a `global-sender`.
//! - **Empty or missing `text`** is refused with `400` `Empty text not allowed, rejected`
//!   (Kannel would send an empty message; smsgate never sends one). A text over
//!   `queue.max_parts` parts or not encodable is `400` with the reason (Kannel truncates
//!   to `max-messages`).
//! - **`coding`**: `0` or unset lets smsgate choose (GSM 7-bit when every character has one,
//!   else UCS-2, as for every message); `2` sends UCS-2 whatever the text, as Kannel does.
//!   `1` (8-bit data) is refused with `400` `8-bit coding not supported, rejected`: smsgate
//!   sends text only.
//! - **`charset`**: UTF-8 (the default), UTF-16BE (also `UCS-2`, `UTF-16` with or without a
//!   byte order mark), ISO-8859-1 (`latin1`) and US-ASCII; any other is `400`
//!   `Charset or body misformed, rejected`. The request is decoded as bytes, so
//!   percent-encoded UTF-16 arrives intact.
//! - **`dlr-url` with `dlr-mask`** (a URL without a mask asks for nothing, as in Kannel) is
//!   kept with the message, and each report the mask asks for is a GET of the URL with
//!   Kannel's escapes expanded ([`super::kannel_escapes`], [`super::events`]): `8` when the
//!   modem sent it (`%A` `Sent`), `1` when the status report says delivered, `2` when it says
//!   it failed, `16` when it failed or expired before the network took it (`%A` the reason).
//!   `4` (buffered) is never sent. An `https://` `dlr-url` (no TLS client yet) or one over
//!   [`MAX_DLR_URL`] bytes is refused with `400`. One report per recipient, not per part; the calls are
//!   persisted and retried across restarts like webhooks, and not ordered per URL. Kannel's
//!   HTTP SMSC in front of smsgate passes its own `dlr-url` (with `dlr-mask=%d` and
//!   `dlr-mid`), so its client hears Kannel's own `8`, then smsgate's.
//! - **`mclass`** is validated, then not used: the message class is not set. `udh` is
//!   refused with `400` `UDH not supported, rejected`. `smsc`, `account`, `pid`, `mwi`, `compress`, `alt-dcs`,
//!   `rpi`, `binfo` and `meta-data` are ignored.
//! - **`POST`** takes form bodies only (`application/x-www-form-urlencoded`, up to
//!   `http.max_body_bytes`); Kannel's `text/plain` and `text/xml` bodies with `X-Kannel-*`
//!   headers are `400` `Invalid content-type`, Kannel's answer to a type it does not know.
//! - A rejected or opted-out recipient (`[support]` opt-out) is `400`
//!   `Number(s) has/have been denied by white- and/or black-lists.`: for Kannel clients that
//!   is the black list's answer.
//!
//! # Received messages: `get_url` / `post_url`
//!
//! Like a Kannel `sms-service` with `get-url` or `post-url` (`[compat.kannel] get_url` or
//! `post_url`; the Kannel spellings `get-url`/`post-url` are accepted), every received message
//! is passed on after smsgate's own processing (rules, opt-out): a GET of the URL with the
//! escapes expanded (`%p` sender, `%a` `%b` `%k` `%s` `%S` `%r` the text, `%t` `%T` the time,
//! `%i` the modem, `%I` the message id, `%c` `%C`), or a POST of the text (`text/plain;
//! charset=utf-8`) with `X-Kannel-From`, `-SMSC`, `-Time` and `-Coding`. A non-empty
//! `text/plain` answer is sent back to the sender as an automatic reply, cut to
//! `queue.max_parts` parts (Kannel cuts to `max-messages`), in the transaction that records the
//! call, unless `reply = false` (Kannel's `max-messages = 0`), the number has opted out, the
//! automatic replies' flood and loop guard holds it back, or the message was a keyword smsgate
//! answered itself (STOP, START, HELP). Differences: the text is always UTF-8 (`%C` is `UTF-8`,
//! `%b` its bytes), an answer of another type is not sent (Kannel strips HTML), and the calls
//! are persisted and retried (Kannel tries once).
//!
//! Auth: an `[[http.tokens]]` entry's `name` is the user and its `token` the password (the
//! token compared in constant time, [`find_token`]). With no tokens configured (the config
//! allows that on loopback only) any or no user is let in as `local`. The message is audited
//! (`message.create`) under that name, with origin `api`, in the transaction that queues it.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use jiff::{SignedDuration, Timestamp};

use crate::http::AppState;
use crate::http::auth::{LOCAL, find_token};
use crate::http::error::ApiError;
use crate::http::messages::{self, MAX_RECIPIENTS};
use crate::http::types::{Recipients, SendRequest};
use crate::modem::ModemState;
use crate::store::{self, KannelDlr};

/// The replies, byte for byte as Kannel writes them.
pub const ACCEPTED: &str = "0: Accepted for delivery";
pub const QUEUED: &str = "3: Queued for later delivery";
pub const SENT: &str = "Sent.";
pub const AUTH_FAILED: &str = "Authorization failed for sendsms";
pub const MISSING_TO: &str = "Missing receiver number, rejected";
pub const EMPTY_TO: &str = "Empty receiver number not allowed, rejected";
pub const DENIED: &str = "Number(s) has/have been denied by white- and/or black-lists.";
pub const TEMPORAL: &str = "Temporal failure, try again later.";
pub const BAD_CHARSET: &str = "Charset or body misformed, rejected";
pub const BAD_CONTENT_TYPE: &str = "Invalid content-type";
/// smsgate's own refusals, worded like Kannel's.
pub const EMPTY_TEXT: &str = "Empty text not allowed, rejected";
pub const EIGHT_BIT: &str = "8-bit coding not supported, rejected";
/// smsgate's own `400` texts for a `dlr-url` it cannot call.
pub const DLR_HTTPS: &str = "https DLR-URL not supported, rejected";
pub const DLR_TOO_LONG: &str = "DLR-URL field too long, rejected";
/// Longest `dlr-url` taken.
pub const MAX_DLR_URL: usize = 2048;
pub const UDH: &str = "UDH not supported, rejected";

/// The router of `[compat.kannel]`: `GET` and `POST` on `path`, the body bounded by
/// `http.max_body_bytes`.
pub fn router(state: AppState, path: &str) -> Router {
    let limit = state.config.http.max_body_bytes;
    Router::new()
        .route(path, get(sendsms_get).post(sendsms_post))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
}

/// A reply as Kannel's smsbox sends it.
fn reply(status: StatusCode, body: impl Into<String>) -> Response {
    let mut resp = (status, body.into()).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    resp
}

fn bad(body: impl Into<String>) -> Response {
    reply(StatusCode::BAD_REQUEST, body)
}

async fn sendsms_get(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let raw = query.unwrap_or_default();
    sendsms(&state, &Params::parse(raw.as_bytes())).await
}

async fn sendsms_post(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|t| {
            t.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !form {
        return bad(BAD_CONTENT_TYPE);
    }
    sendsms(&state, &Params::parse(&body)).await
}

/// The request's variables, undecoded: `to` needs to know which of its spaces were a raw `+`.
struct Params<'a> {
    pairs: Vec<(Vec<u8>, &'a [u8])>,
}

impl<'a> Params<'a> {
    fn parse(raw: &'a [u8]) -> Params<'a> {
        let pairs = raw
            .split(|b| *b == b'&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = match p.iter().position(|b| *b == b'=') {
                    Some(i) => (&p[..i], &p[i + 1..]),
                    None => (p, &p[p.len()..]),
                };
                (decode(k), v)
            })
            .collect();
        Params { pairs }
    }

    /// The raw value of the first variable named one of `names`, in the order given (Kannel
    /// looks for `username` before `user`).
    fn raw(&self, names: &[&str]) -> Option<&'a [u8]> {
        names.iter().find_map(|n| {
            self.pairs
                .iter()
                .find(|(k, _)| k == n.as_bytes())
                .map(|(_, v)| *v)
        })
    }

    fn bytes(&self, names: &[&str]) -> Option<Vec<u8>> {
        self.raw(names).map(decode)
    }

    fn string(&self, names: &[&str]) -> Option<String> {
        self.bytes(names)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    }

    /// A number variable as Kannel reads it (`sscanf("%d")`): leading blanks, a sign and the
    /// digits that follow; without digits the field stays unset. `Err` when it does not fit.
    fn int(&self, name: &str) -> Result<Option<i64>, ()> {
        let Some(b) = self.bytes(&[name]) else {
            return Ok(None);
        };
        let s = String::from_utf8_lossy(&b);
        let s = s.trim_start();
        let (neg, rest) = match s.as_bytes().first() {
            Some(b'-') => (true, &s[1..]),
            Some(b'+') => (false, &s[1..]),
            _ => (false, s),
        };
        let digits: &str = &rest[..rest.bytes().take_while(u8::is_ascii_digit).count()];
        if digits.is_empty() {
            return Ok(None);
        }
        let n: i32 = format!("{}{digits}", if neg { "-" } else { "" })
            .parse()
            .map_err(drop)?;
        // -1 is Kannel's "not given".
        Ok((n != -1).then_some(i64::from(n)))
    }
}

/// Percent-decodes a form value: `+` is a space, `%XX` a byte, a malformed `%` itself.
fn decode(raw: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while let Some(&b) = raw.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let pair = raw
                    .get(i + 1)
                    .and_then(|h| hex(*h))
                    .zip(raw.get(i + 2).and_then(|l| hex(*l)));
                if let Some((h, l)) = pair {
                    out.push((h * 16 + l) as u8);
                    i += 2;
                } else {
                    out.push(b'%');
                }
            }
            _ => out.push(b),
        }
        i += 1;
    }
    out
}

/// The receivers of a raw `to` value: words separated by white space or a raw `+`, as Kannel
/// splits them after decoding; a raw `+` at the start or right after a separator is kept as
/// the international prefix of the word that follows it (a client that did not encode
/// `+8190...` sends exactly that).
fn receivers(raw: &[u8]) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Vec<u8> = Vec::new();
    // True at the start of the value and after a separator.
    let mut at_separator = true;
    let mut plus_pending = false;
    let flush = |word: &mut Vec<u8>, words: &mut Vec<String>| {
        if !word.is_empty() {
            words.push(String::from_utf8_lossy(word).into_owned());
            word.clear();
        }
    };
    let mut i = 0;
    while let Some(&b) = raw.get(i) {
        // One decoded byte and whether it was a raw `+`.
        let (byte, raw_plus, len) = match b {
            b'+' => (b' ', true, 1),
            b'%' => match decode(raw.get(i..i + 3).unwrap_or(&raw[i..])).as_slice() {
                [d] if raw.len() >= i + 3 => (*d, false, 3),
                _ => (b'%', false, 1),
            },
            _ => (b, false, 1),
        };
        i += len;
        if byte.is_ascii_whitespace() {
            flush(&mut word, &mut words);
            plus_pending = raw_plus && at_separator;
            at_separator = true;
            continue;
        }
        if plus_pending && word.is_empty() {
            word.push(b'+');
        }
        plus_pending = false;
        at_separator = false;
        word.push(byte);
    }
    flush(&mut word, &mut words);
    let mut unique: Vec<String> = Vec::with_capacity(words.len());
    for w in words {
        if !unique.contains(&w) {
            unique.push(w);
        }
    }
    unique
}

/// Decodes `text` from `charset` (see the module docs for the names taken).
fn decode_text(bytes: &[u8], charset: Option<&str>) -> Option<String> {
    let name = charset.unwrap_or("UTF-8").trim().to_ascii_uppercase();
    match name.as_str() {
        "" | "UTF-8" | "UTF8" => String::from_utf8(bytes.to_vec()).ok(),
        "UTF-16BE" | "UTF16BE" | "UCS-2" | "UCS2" | "UCS-2BE" | "UTF-16" | "UTF16" => {
            let little = matches!(bytes, [0xFF, 0xFE, ..]) && name.starts_with("UTF-16");
            let body = match bytes {
                [0xFE, 0xFF, rest @ ..] | [0xFF, 0xFE, rest @ ..] if name.starts_with("UTF") => {
                    rest
                }
                _ => bytes,
            };
            if body.len() % 2 != 0 {
                return None;
            }
            let units = body.chunks_exact(2).map(|c| match c {
                [a, b] if little => u16::from_le_bytes([*a, *b]),
                [a, b] => u16::from_be_bytes([*a, *b]),
                _ => 0,
            });
            char::decode_utf16(units)
                .collect::<Result<String, _>>()
                .ok()
        }
        "ISO-8859-1" | "ISO8859-1" | "ISO_8859-1" | "LATIN1" | "L1" => {
            Some(bytes.iter().map(|b| char::from(*b)).collect())
        }
        "US-ASCII" | "ASCII" => bytes
            .is_ascii()
            .then(|| String::from_utf8_lossy(bytes).into_owned()),
        _ => None,
    }
}

/// Who is asking: the token's name, `local` without tokens, `None` when refused.
fn authorise(state: &AppState, p: &Params<'_>) -> Option<String> {
    let tokens = &state.config.http.tokens;
    if tokens.is_empty() {
        return Some(LOCAL.to_owned());
    }
    let user = p.bytes(&["username", "user"])?;
    let pass = p.bytes(&["password", "pass"])?;
    // The token is compared in constant time; the name is not a secret.
    let name = find_token(tokens, &pass)?;
    (name.as_bytes() == user.as_slice()).then(|| name.to_owned())
}

/// The field checks, in Kannel's order: `Err` is the `400` text.
struct Fields {
    dlr: Option<KannelDlr>,
    ucs2: bool,
    ttl: Option<u64>,
    send_at: Option<Timestamp>,
    priority: Option<i32>,
    text: String,
}

fn fields(p: &Params<'_>) -> Result<Fields, &'static str> {
    let int = |name: &str, bad: &'static str| p.int(name).map_err(|()| bad);
    if p.bytes(&["udh"]).is_some_and(|u| !u.is_empty()) {
        return Err(UDH);
    }
    let dlr_url = p.bytes(&["dlr-url", "dlrurl"]).filter(|u| !u.is_empty());
    if let Some(url) = &dlr_url {
        let lower = url.to_ascii_lowercase();
        if url.len() < 8 || !(lower.starts_with(b"http://") || lower.starts_with(b"https://")) {
            return Err("DLR-URL field misformed, rejected");
        }
        // Calls go out over plain HTTP only (crate::webhook::client): refused now rather than
        // accepted and never delivered.
        if lower.starts_with(b"https://") {
            return Err(DLR_HTTPS);
        }
        if url.len() > MAX_DLR_URL {
            return Err(DLR_TOO_LONG);
        }
    }
    const MASK: &str = "DLR-Mask field misformed, rejected";
    let mask = match p.int("dlr-mask") {
        Ok(None) => int("dlrmask", MASK)?,
        other => other.map_err(|()| MASK)?,
    };
    if mask.is_some_and(|m| !(-1..=63).contains(&m)) {
        return Err(MASK);
    }
    const MCLASS: &str = "MClass field misformed, rejected";
    if int("mclass", MCLASS)?.is_some_and(|m| !(-1..=3).contains(&m)) {
        return Err(MCLASS);
    }
    const CODING: &str = "Coding field misformed, rejected";
    let coding = int("coding", CODING)?;
    if coding.is_some_and(|c| !(-1..=2).contains(&c)) {
        return Err(CODING);
    }
    if coding == Some(1) {
        return Err(EIGHT_BIT);
    }
    const VALIDITY: &str = "Validity field misformed, rejected";
    let validity = int("validity", VALIDITY)?;
    // Kannel would queue a message that expired at once; smsgate's TTL is at least a second.
    if validity.is_some_and(|v| v < 1) {
        return Err(VALIDITY);
    }
    const DEFERRED: &str = "Deferred field misformed, rejected";
    let deferred = int("deferred", DEFERRED)?;
    if deferred.is_some_and(|d| d < 0) {
        return Err(DEFERRED);
    }
    const PRIORITY: &str = "Priority field misformed, rejected";
    let priority = int("priority", PRIORITY)?;
    if priority.is_some_and(|v| !(0..=3).contains(&v)) {
        return Err(PRIORITY);
    }
    let charset = p.string(&["charset"]);
    let text = decode_text(&p.bytes(&["text"]).unwrap_or_default(), charset.as_deref())
        .ok_or(BAD_CHARSET)?;
    if text.is_empty() {
        return Err(EMPTY_TEXT);
    }
    let send_at = deferred
        .filter(|d| *d > 0)
        .map(|d| {
            Timestamp::now()
                .checked_add(SignedDuration::from_mins(d))
                .map_err(|_| DEFERRED)
        })
        .transpose()?;
    // A URL without a mask asks for no report, as in Kannel.
    let dlr = match (
        dlr_url,
        mask.and_then(|m| u8::try_from(m).ok()).filter(|m| *m > 0),
    ) {
        (Some(url), Some(mask)) => Some(KannelDlr {
            url: String::from_utf8(url).map_err(|_| "DLR-URL field misformed, rejected")?,
            mask,
            sender: p.string(&["from"]),
            coding: coding.and_then(|c| u8::try_from(c).ok()).unwrap_or(0),
            charset: charset.clone(),
        }),
        _ => None,
    };
    Ok(Fields {
        dlr,
        ucs2: coding == Some(2),
        ttl: validity.and_then(|v| u64::try_from(v).ok()).map(|v| v * 60),
        send_at,
        priority: priority.and_then(|v| i32::try_from(v).ok()),
        text,
    })
}

/// Is any modem able to send now (ready and registered on the network)?
fn a_modem_is_ready(state: &AppState) -> bool {
    state
        .modems
        .list()
        .iter()
        .any(|m| m.state == ModemState::Ready && m.health.registered)
}

async fn sendsms(state: &AppState, p: &Params<'_>) -> Response {
    let Some(caller) = authorise(state, p) else {
        return reply(StatusCode::FORBIDDEN, AUTH_FAILED);
    };
    let Some(to) = p.raw(&["to"]) else {
        return bad(MISSING_TO);
    };
    if to.is_empty() {
        return bad(EMPTY_TO);
    }
    let words = receivers(to);
    if words.len() > MAX_RECIPIENTS {
        return bad(format!(
            "{} receivers; at most {MAX_RECIPIENTS}, rejected",
            words.len()
        ));
    }
    let mut allowed: Vec<String> = Vec::new();
    let mut denied: Vec<&str> = Vec::new();
    for w in &words {
        match messages::normalise(state, w) {
            Ok(n) if !allowed.contains(&n) => allowed.push(n),
            Ok(_) => {}
            Err(_) => denied.push(w),
        }
    }
    if allowed.is_empty() {
        return bad(DENIED);
    }
    let f = match fields(p) {
        Ok(f) => f,
        Err(text) => return bad(text),
    };
    tracing::debug!(
        caller,
        receivers = allowed.len(),
        from = p.string(&["from"]).unwrap_or_default(),
        "kannel sendsms"
    );
    let several = words.len() > 1;
    let req = SendRequest {
        to: Recipients::Many(allowed),
        text: f.text,
        id: None,
        send_at: None,
        ttl: f.ttl,
        priority: f.priority,
        status_report: None,
        modem: None,
        transactional: None,
    };
    let max_parts = *state.config.queue.max_parts.get_ref() as usize;
    if f.ucs2 {
        // The native checks counted the text in the alphabet smsgate would choose.
        let opts = crate::sms::segment::Options {
            ucs2: true,
            max_parts,
            ..Default::default()
        };
        if let Ok(plan) = crate::sms::segment::plan(&req.text, &opts)
            && plan.parts > max_parts
        {
            return bad(format!(
                "Message too long: {} parts as UCS-2, at most {max_parts}, rejected",
                plan.parts
            ));
        }
    }
    let queued = match messages::new_message(state, req, &caller) {
        Ok(mut msg) => {
            msg.send_at = f.send_at;
            msg.ucs2 = f.ucs2;
            let dlr = f.dlr;
            messages::enqueue_message_with(state, caller, msg, move |tx, m| match &dlr {
                Some(d) => tx.set_kannel_dlr(&m.id, d),
                None => Ok(()),
            })
            .await
        }
        Err(e) => Err(e),
    };
    match queued {
        Ok(_) if several => {
            let mut body = SENT.to_owned();
            if !denied.is_empty() {
                body.push_str(" Denied receivers are:");
                for d in denied {
                    body.push(' ');
                    body.push_str(d);
                }
            }
            reply(StatusCode::ACCEPTED, body)
        }
        Ok(_) if a_modem_is_ready(state) => reply(StatusCode::ACCEPTED, ACCEPTED),
        Ok(_) => reply(StatusCode::ACCEPTED, QUEUED),
        Err(ApiError::Store(store::Error::OptedOut { .. })) => bad(DENIED),
        Err(ApiError::Invalid { message, .. }) => bad(format!("{message}, rejected")),
        Err(e) => {
            tracing::warn!(error = %e, "kannel sendsms: cannot queue");
            reply(StatusCode::SERVICE_UNAVAILABLE, TEMPORAL)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receivers_table() {
        let cases: &[(&str, &[&str])] = &[
            ("+819012345678", &["+819012345678"]),
            ("%2B819012345678", &["+819012345678"]),
            ("819012345678", &["819012345678"]),
            ("0901+0902", &["0901", "0902"]),
            ("0901%200902", &["0901", "0902"]),
            ("+8190111++8190222", &["+8190111", "+8190222"]),
            ("+8190111%20%2B8190222", &["+8190111", "+8190222"]),
            ("0901+0901", &["0901"]),
            ("+", &[]),
            ("++", &[]),
            ("%", &["%"]),
            ("%4", &["%4"]),
        ];
        for (raw, want) in cases {
            assert_eq!(receivers(raw.as_bytes()), *want, "{raw}");
        }
    }

    #[test]
    fn decode_table() {
        let cases: &[(&str, &[u8])] = &[
            ("a+b", b"a b"),
            ("%41%4a%4A", b"AJJ"),
            ("%zz", b"%zz"),
            ("%", b"%"),
            ("%30%", b"0%"),
            ("%E3%81%82", "あ".as_bytes()),
        ];
        for (raw, want) in cases {
            assert_eq!(decode(raw.as_bytes()), *want, "{raw}");
        }
    }

    #[test]
    fn charset_table() {
        let cases: &[(&[u8], Option<&str>, Option<&str>)] = &[
            ("héllo".as_bytes(), None, Some("héllo")),
            (b"h\xe9llo", Some("ISO-8859-1"), Some("héllo")),
            (b"h\xe9llo", None, None),
            (&[0x30, 0x42], Some("UTF-16BE"), Some("あ")),
            (&[0x30, 0x42], Some("ucs-2"), Some("あ")),
            (&[0xFE, 0xFF, 0x30, 0x42], Some("UTF-16"), Some("あ")),
            (&[0xFF, 0xFE, 0x42, 0x30], Some("UTF-16"), Some("あ")),
            (&[0x30], Some("UTF-16BE"), None),
            (&[0xD8, 0x00], Some("UTF-16BE"), None),
            (b"abc", Some("KOI8-R"), None),
            (b"abc", Some("us-ascii"), Some("abc")),
        ];
        for (bytes, charset, want) in cases {
            assert_eq!(
                decode_text(bytes, *charset).as_deref(),
                *want,
                "{bytes:?} {charset:?}"
            );
        }
    }

    #[test]
    fn int_reads_like_sscanf() {
        let p = Params::parse(b"a=12&b=+3x&c=x&d=-1&e=-2&f=99999999999&g=%202");
        assert_eq!(p.int("a"), Ok(Some(12)));
        assert_eq!(p.int("b"), Ok(Some(3)));
        assert_eq!(p.int("c"), Ok(None));
        assert_eq!(p.int("d"), Ok(None), "-1 is unset");
        assert_eq!(p.int("e"), Ok(Some(-2)));
        assert_eq!(p.int("f"), Err(()));
        assert_eq!(p.int("g"), Ok(Some(2)));
        assert_eq!(p.int("missing"), Ok(None));
    }

    #[test]
    fn the_first_variable_of_a_name_wins() {
        let p = Params::parse(b"user=a&user=b&username=c");
        assert_eq!(p.string(&["username", "user"]).as_deref(), Some("c"));
        assert_eq!(p.string(&["user"]).as_deref(), Some("a"));
    }
}
