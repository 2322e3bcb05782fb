//! The TOML configuration (`smsgate serve --config PATH`), validated at
//! start. Unknown keys and bad values stop the start with an error naming
//! the key and its line. `smsgate.example.toml` documents every key.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

/// A configuration error with the file, line and key it concerns.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Syntax errors, unknown keys and values of the wrong type or form;
    /// the message names the key and the line.
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    /// A value that parses but does not make sense with the others.
    #[error("{path}:{line}: {key}: {message}")]
    Invalid {
        path: PathBuf,
        line: usize,
        key: String,
        message: String,
    },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub http: Http,
    #[serde(default)]
    pub storage: Storage,
    #[serde(default)]
    pub queue: Queue,
    #[serde(default)]
    pub modems: Vec<Modem>,
    #[serde(default)]
    pub webhooks: Vec<Webhook>,
    /// `[support]`: business hours, acknowledgement, opt keywords, guard, templates.
    #[serde(default)]
    pub support: crate::rules::config::Support,
    /// `[[rules]]`: the config file's rules, evaluated before the API-managed ones.
    #[serde(default)]
    pub rules: Vec<crate::rules::RuleSpec>,
    /// `[compat.*]`: other gateways' HTTP APIs, each on a listener of its own.
    #[serde(default)]
    pub compat: Compat,
    /// `[fleet]`: this appliance as one of a fleet on NATS JetStream (`src/fleet`); off without it.
    #[serde(default)]
    pub fleet: Option<Fleet>,
    /// `[[prompts]]`: messages that expect an answer (surveys, reminders; `src/rules/prompt.rs`).
    #[serde(default)]
    pub prompts: Vec<crate::rules::prompt::PromptSpec>,
}

/// `[fleet]`: the hub and this appliance's place in the fleet (docs/fleet.md).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fleet {
    /// The hub: `nats://host:4222`, or `tls://host:4222` for TLS.
    pub url: Spanned<String>,
    /// This appliance's site: a subject token (letters, digits, `-`, `_`).
    pub site: Spanned<String>,
    /// This appliance, unique in the fleet: a subject token.
    pub device: Spanned<String>,
    /// User and password on the hub.
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    /// A user JWT credentials file (`.creds`), as `nsc` writes it.
    #[serde(default)]
    pub credentials: Option<PathBuf>,
    /// A file holding an NKey seed (`SU...`).
    #[serde(default)]
    pub nkey_seed_file: Option<PathBuf>,
    /// A PEM CA file for the hub's TLS certificate (with `tls://`).
    #[serde(default)]
    pub tls_ca: Option<PathBuf>,
    /// How long a send may wait in `SMS_OUT` for an appliance to pull it, in hours.
    #[serde(default = "default_fleet_max_age_hours")]
    pub max_age_hours: u64,
    /// Seconds the hub waits for an appliance's acknowledgement before it gives the send to
    /// another (the consumers' `ack_wait`; set by whichever appliance creates them).
    #[serde(default = "default_fleet_ack_wait")]
    pub ack_wait_secs: u64,
}

fn default_fleet_ack_wait() -> u64 {
    30
}

fn default_fleet_max_age_hours() -> u64 {
    24 * 7
}

/// Whether `s` can be one token of a NATS subject and a key-value key.
pub fn is_subject_token(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// `[compat]`: listeners that speak another gateway's HTTP API, so that existing clients can
/// send through smsgate by changing a URL. Each is off unless its table is present.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Compat {
    /// `[compat.smsgate]`.
    #[serde(default)]
    pub smsgate: Option<CompatSmsgate>,
    /// `[compat.kannel]`: Kannel smsbox's `sendsms` ([`crate::compat::kannel`]).
    #[serde(default)]
    pub kannel: Option<CompatKannel>,
}

/// `[compat.smsgate]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompatSmsgate {
    /// Default 127.0.0.1:8081. A non-loopback address needs an `[[http.tokens]]` entry.
    #[serde(default = "default_compat_smsgate_listen")]
    pub listen: Spanned<SocketAddr>,
    /// Default `smsgate`.
    #[serde(default = "default_compat_smsgate_device_id")]
    pub device_id: String,
    /// The key webhook deliveries are signed with (`X-Signature`, the app's "signing key").
    /// Without it they go unsigned.
    #[serde(default)]
    pub signing_key: Option<String>,
    /// Seconds between `system:ping` events; none without it (the app's ping is off by
    /// default too).
    #[serde(default)]
    pub ping_seconds: Option<u64>,
}

fn default_compat_smsgate_listen() -> Spanned<SocketAddr> {
    Spanned::new(0..0, SocketAddr::from(([127, 0, 0, 1], 8081)))
}

fn default_compat_smsgate_device_id() -> String {
    "smsgate".to_owned()
}

/// `[compat.kannel]`: Kannel smsbox's `sendsms` HTTP interface.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompatKannel {
    /// Its own listener, e.g. 127.0.0.1:13013 (Kannel's usual `sendsms-port`). A non-loopback
    /// address needs an `[[http.tokens]]` entry: its name and token are the user and password.
    pub listen: Spanned<SocketAddr>,
    /// The request path; default `/cgi-bin/sendsms` (Kannel's `sendsms-url` default).
    #[serde(default = "default_kannel_path")]
    pub path: Spanned<String>,
    /// Kannel's `sms-service` `get-url`: every received message is passed to it by GET, with
    /// the escapes expanded ([`crate::compat::kannel_escapes`]).
    #[serde(default, alias = "get-url")]
    pub get_url: Option<Spanned<String>>,
    /// Kannel's `post-url`: the same by POST, the text as the body.
    #[serde(default, alias = "post-url")]
    pub post_url: Option<Spanned<String>>,
    /// Whether a non-empty answer from `get_url`/`post_url` is sent back to the sender as the
    /// reply (Kannel does; its `max-messages = 0` turns that off). Default true.
    #[serde(default = "default_true")]
    pub reply: bool,
}

fn default_true() -> bool {
    true
}

fn default_kannel_path() -> Spanned<String> {
    Spanned::new(0..0, "/cgi-bin/sendsms".to_owned())
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Http {
    /// Default 127.0.0.1:8080. A non-loopback address needs a token.
    #[serde(default = "default_listen")]
    pub listen: Spanned<SocketAddr>,
    #[serde(default)]
    pub tokens: Vec<Token>,
    /// Largest request body accepted, in bytes.
    #[serde(default = "default_max_body")]
    pub max_body_bytes: usize,
    /// PEM certificate chain: with `tls_key`, the API and the desk are served over TLS (a
    /// build with the `tls` cargo feature).
    #[serde(default)]
    pub tls_cert: Option<Spanned<PathBuf>>,
    /// PEM private key of `tls_cert`.
    #[serde(default)]
    pub tls_key: Option<Spanned<PathBuf>>,
}

impl Default for Http {
    fn default() -> Self {
        Http {
            listen: default_listen(),
            tokens: Vec::new(),
            max_body_bytes: default_max_body(),
            tls_cert: None,
            tls_key: None,
        }
    }
}

impl Http {
    /// The certificate and key files, when TLS is configured.
    pub fn tls(&self) -> Option<(&Path, &Path)> {
        match (&self.tls_cert, &self.tls_key) {
            (Some(c), Some(k)) => Some((c.get_ref().as_path(), k.get_ref().as_path())),
            _ => None,
        }
    }
}

fn default_listen() -> Spanned<SocketAddr> {
    Spanned::new(0..0, SocketAddr::from(([127, 0, 0, 1], 8080)))
}

fn default_max_body() -> usize {
    64 * 1024
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Token {
    /// Shows up in the audit log.
    pub name: String,
    pub token: Spanned<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Storage {
    #[serde(default = "default_db")]
    pub path: PathBuf,
    /// Days finished messages are kept; 0 keeps them forever.
    #[serde(default = "default_retention")]
    pub retention_days: u32,
}

impl Default for Storage {
    fn default() -> Self {
        Storage {
            path: default_db(),
            retention_days: default_retention(),
        }
    }
}

fn default_db() -> PathBuf {
    PathBuf::from("smsgate.db")
}

fn default_retention() -> u32 {
    90
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Queue {
    /// Attempts per recipient for temporary errors.
    #[serde(default = "default_attempts")]
    pub max_attempts: Spanned<u32>,
    /// First retry delay; doubles each attempt, with jitter.
    #[serde(default = "default_backoff")]
    pub backoff_initial_secs: u64,
    #[serde(default = "default_backoff_max")]
    pub backoff_max_secs: u64,
    /// TTL of a message that gives none.
    #[serde(default = "default_ttl")]
    pub default_ttl: u64,
    /// Most parts one message may take (1..=255).
    #[serde(default = "default_max_parts")]
    pub max_parts: Spanned<u32>,
}

impl Default for Queue {
    fn default() -> Self {
        Queue {
            max_attempts: default_attempts(),
            backoff_initial_secs: default_backoff(),
            backoff_max_secs: default_backoff_max(),
            default_ttl: default_ttl(),
            max_parts: default_max_parts(),
        }
    }
}

fn default_attempts() -> Spanned<u32> {
    Spanned::new(0..0, 5)
}
fn default_backoff() -> u64 {
    30
}
fn default_backoff_max() -> u64 {
    3600
}
fn default_ttl() -> u64 {
    24 * 3600
}
fn default_max_parts() -> Spanned<u32> {
    Spanned::new(0..0, 10)
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Modem {
    pub name: Spanned<String>,
    /// Serial device, udev symlink, /dev/serial/by-id/..., or tcp://host:port.
    pub device: Spanned<String>,
    #[serde(default = "default_baud")]
    pub baud: u32,
    /// RTS/CTS hardware flow control.
    #[serde(default)]
    pub rtscts: bool,
    pub pin: Option<String>,
    /// SMSC override.
    pub smsc: Option<String>,
    /// Quirks by name (quectel, simcom, huawei, generic); detected when absent.
    pub model: Option<String>,
    /// Carrier throttling: most parts sent per minute; 0 is unlimited.
    #[serde(default)]
    pub rate_per_minute: u32,
    #[serde(default = "default_poll")]
    pub poll_interval_secs: u64,
}

fn default_baud() -> u32 {
    115_200
}
fn default_poll() -> u64 {
    30
}

/// Events a webhook can subscribe to.
pub const EVENTS: &[&str] = &[
    "message.received",
    "message.sent",
    "message.delivered",
    "message.failed",
    "modem.state",
    "prompt.answered",
    "prompt.expired",
];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Webhook {
    pub url: Spanned<String>,
    pub events: Spanned<Vec<String>>,
    /// Key of the HMAC-SHA256 signature header.
    pub secret: Option<String>,
}

impl Config {
    pub fn load(path: &Path) -> Result<Config, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Parses and validates `text`; `path` only names the file in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Config, Error> {
        let cfg: Config = toml::from_str(text).map_err(|e| Error::Parse {
            path: path.to_owned(),
            message: one_line(&e.to_string()),
        })?;
        cfg.validate(text, path)?;
        Ok(cfg)
    }

    fn validate(&self, text: &str, path: &Path) -> Result<(), Error> {
        let invalid = |span: std::ops::Range<usize>, key: &str, message: String| Error::Invalid {
            path: path.to_owned(),
            line: line_of(text, span.start),
            key: key.to_owned(),
            message,
        };
        let listen = &self.http.listen;
        if !listen.get_ref().ip().is_loopback() && self.http.tokens.is_empty() {
            return Err(invalid(
                listen.span(),
                "http.listen",
                format!(
                    "{} is reachable from the network: add an [[http.tokens]] entry or listen on 127.0.0.1",
                    listen.get_ref()
                ),
            ));
        }
        // The compat listeners take the same tokens as the API: without any, anyone who can
        // reach the listener could send, so they are refused off loopback like `http.listen`.
        let compat_listeners = [
            self.compat
                .smsgate
                .as_ref()
                .map(|c| (&c.listen, "compat.smsgate.listen")),
            self.compat
                .kannel
                .as_ref()
                .map(|c| (&c.listen, "compat.kannel.listen")),
        ];
        for (listen, key) in compat_listeners.into_iter().flatten() {
            if !listen.get_ref().ip().is_loopback() && self.http.tokens.is_empty() {
                return Err(invalid(
                    listen.span(),
                    key,
                    format!(
                        "{} is reachable from the network: add an [[http.tokens]] entry or listen on 127.0.0.1",
                        listen.get_ref()
                    ),
                ));
            }
        }
        if let Some(k) = &self.compat.kannel
            && !k.path.get_ref().starts_with('/')
        {
            return Err(invalid(
                k.path.span(),
                "compat.kannel.path",
                format!("{:?} does not start with /", k.path.get_ref()),
            ));
        }
        if let Some(k) = &self.compat.kannel {
            if let (Some(_), Some(post)) = (&k.get_url, &k.post_url) {
                return Err(invalid(
                    post.span(),
                    "compat.kannel.post_url",
                    "give get_url or post_url, not both".into(),
                ));
            }
            for (url, key) in [
                (&k.get_url, "compat.kannel.get_url"),
                (&k.post_url, "compat.kannel.post_url"),
            ] {
                if let Some(url) = url
                    && !url.get_ref().starts_with("http://")
                {
                    return Err(invalid(
                        url.span(),
                        key,
                        format!("{:?} is not an http:// URL", url.get_ref()),
                    ));
                }
            }
        }
        if let Some(f) = &self.fleet {
            for (v, key) in [(&f.site, "fleet.site"), (&f.device, "fleet.device")] {
                if !is_subject_token(v.get_ref()) {
                    return Err(invalid(
                        v.span(),
                        key,
                        format!(
                            "{:?}: use letters, digits, - and _ only (it is a NATS subject token)",
                            v.get_ref()
                        ),
                    ));
                }
            }
            let url = f.url.get_ref();
            if !(url.starts_with("nats://") || url.starts_with("tls://")) {
                return Err(invalid(
                    f.url.span(),
                    "fleet.url",
                    format!("{url:?} is not a nats:// or tls:// URL"),
                ));
            }
            if f.user.is_some() != f.password.is_some() {
                return Err(invalid(
                    f.url.span(),
                    "fleet.user",
                    "fleet.user and fleet.password go together".into(),
                ));
            }
            if cfg!(not(feature = "fleet")) {
                return Err(invalid(
                    f.url.span(),
                    "fleet",
                    "this build has no fleet support (cargo feature `fleet`)".into(),
                ));
            }
        }
        match (&self.http.tls_cert, &self.http.tls_key) {
            (Some(c), None) => {
                return Err(invalid(
                    c.span(),
                    "http.tls_cert",
                    "needs http.tls_key too".into(),
                ));
            }
            (None, Some(k)) => {
                return Err(invalid(
                    k.span(),
                    "http.tls_key",
                    "needs http.tls_cert too".into(),
                ));
            }
            (Some(c), Some(_)) if !cfg!(feature = "tls") => {
                return Err(invalid(
                    c.span(),
                    "http.tls_cert",
                    "this smsgate was built without TLS (cargo feature `tls`); remove tls_cert \
                     and tls_key or put a TLS proxy in front"
                        .into(),
                ));
            }
            _ => {}
        }
        for t in &self.http.tokens {
            if t.token.get_ref().len() < 16 {
                return Err(invalid(
                    t.token.span(),
                    "http.tokens.token",
                    format!("the token of {:?} is shorter than 16 characters", t.name),
                ));
            }
        }
        let parts = *self.queue.max_parts.get_ref();
        if !(1..=255).contains(&parts) {
            return Err(invalid(
                self.queue.max_parts.span(),
                "queue.max_parts",
                format!("{parts} is not within 1..=255"),
            ));
        }
        if *self.queue.max_attempts.get_ref() == 0 {
            return Err(invalid(
                self.queue.max_attempts.span(),
                "queue.max_attempts",
                "must be at least 1".into(),
            ));
        }
        let mut names = std::collections::HashSet::new();
        for m in &self.modems {
            if m.name.get_ref().is_empty() || !names.insert(m.name.get_ref().clone()) {
                return Err(invalid(
                    m.name.span(),
                    "modems.name",
                    format!("{:?} is empty or used twice", m.name.get_ref()),
                ));
            }
            if m.device.get_ref().is_empty() {
                return Err(invalid(m.device.span(), "modems.device", "is empty".into()));
            }
            if let Some(model) = &m.model
                && crate::modem::quirks::by_name(model).is_none()
            {
                return Err(invalid(
                    m.name.span(),
                    "modems.model",
                    format!("unknown model {model:?} (quectel, simcom, huawei, generic)"),
                ));
            }
        }
        for w in &self.webhooks {
            let url = w.url.get_ref();
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(invalid(
                    w.url.span(),
                    "webhooks.url",
                    format!("{url:?} is not an http:// or https:// URL"),
                ));
            }
            if let Some(bad) = w
                .events
                .get_ref()
                .iter()
                .find(|e| !EVENTS.contains(&e.as_str()))
            {
                return Err(invalid(
                    w.events.span(),
                    "webhooks.events",
                    format!("unknown event {bad:?}; known: {}", EVENTS.join(", ")),
                ));
            }
        }
        if let Err(e) = self.support.validate() {
            return Err(invalid(e.span, &e.key, e.message));
        }
        for (i, p) in self.prompts.iter().enumerate() {
            let at = prompt_span(text, i);
            if let Err(e) = p.check() {
                return Err(invalid(at, &format!("prompts.{}", p.name), e));
            }
            if self.prompts[..i].iter().any(|q| q.name == p.name) {
                return Err(invalid(
                    at,
                    &format!("prompts.{}", p.name),
                    "a second prompt with this name".into(),
                ));
            }
        }
        if let Some(name) = &self.support.survey_on_close
            && !self.prompts.iter().any(|p| &p.name == name.get_ref())
        {
            return Err(invalid(
                name.span(),
                "support.survey_on_close",
                format!("no [[prompts]] entry is named {:?}", name.get_ref()),
            ));
        }
        let known = |t: &str| self.support.template(t).is_some();
        let hooks = |u: &str| self.webhooks.iter().any(|w| w.url.get_ref() == u);
        if let Err(e) = crate::rules::rule::check_templates(&self.rules, &known)
            .and_then(|()| crate::rules::rule::check_webhooks(&self.rules, &hooks))
            .and_then(|()| crate::rules::RuleSet::compile(&self.rules).map(drop))
        {
            let span = rule_span(text, e.index, e.field);
            return Err(invalid(span, &format!("rules.{}", e.field), e.to_string()));
        }
        Ok(())
    }
}

/// Where the `field` of the `index`th `[[rules]]` entry is (its name when the field is absent).
/// The rules are deserialized without spans (they are the same type as the API's), so the text
/// is read a second time, loosely, only to find the line of an error.
fn rule_span(text: &str, index: usize, field: &str) -> std::ops::Range<usize> {
    #[derive(Deserialize)]
    struct Loose {
        #[serde(default)]
        rules: Vec<std::collections::BTreeMap<String, Spanned<toml::Value>>>,
    }
    let Ok(loose) = toml::from_str::<Loose>(text) else {
        return 0..0;
    };
    loose
        .rules
        .get(index)
        .and_then(|r| r.get(field).or_else(|| r.get("name")))
        .map_or(0..0, Spanned::span)
}

/// Where the `index`-th `[[prompts]]` table starts in `text` (its header), else the start.
fn prompt_span(text: &str, index: usize) -> std::ops::Range<usize> {
    text.match_indices("[[prompts]]")
        .nth(index)
        .map_or(0..0, |(at, h)| at..at + h.len())
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset).map_or(0, |t| t.matches('\n').count()) + 1
}

/// toml's messages span several lines (a snippet with a caret); keep the
/// first line and the explanation.
fn one_line(msg: &str) -> String {
    let lines: Vec<&str> = msg
        .lines()
        .map(str::trim)
        .filter(|l| {
            !l.is_empty() && !l.starts_with('|') && !l.chars().all(|c| c == '^' || c == ' ')
        })
        .collect();
    lines.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, String> {
        Config::parse(text, Path::new("smsgate.toml")).map_err(|e| e.to_string())
    }

    #[test]
    fn the_example_parses() {
        let text = include_str!("../smsgate.example.toml");
        let cfg = parse(text).unwrap();
        assert_eq!(cfg.modems.len(), 1);
        assert_eq!(cfg.webhooks.len(), 1);
        assert_eq!(cfg.rules.len(), 4);
        assert_eq!(
            cfg.support.business_hours().describe(),
            "Mon–Fri 09:00–18:00 (Asia/Tokyo)"
        );
        assert_eq!(cfg.support.guard, crate::rules::GuardConfig::default());
        assert_eq!(cfg.support.ack_template(false), Some("ack_closed"));
        assert_eq!(
            cfg.support.region().map(|r| r.to_string()).as_deref(),
            Some("JP")
        );
    }

    #[cfg(not(feature = "tls"))]
    #[test]
    fn tls_without_the_feature_is_refused_at_load() {
        let e = parse("[http]\ntls_cert = \"c.pem\"\ntls_key = \"k.pem\"\n").unwrap_err();
        assert!(
            e.contains(":2: http.tls_cert") && e.contains("built without TLS"),
            "{e}"
        );
    }

    #[test]
    fn compat_sections_and_their_defaults() {
        let cfg =
            parse("[compat.kannel]\nlisten = \"127.0.0.1:13013\"\n[compat.smsgate]\n").unwrap();
        let k = cfg.compat.kannel.unwrap();
        assert_eq!(k.listen.get_ref().to_string(), "127.0.0.1:13013");
        assert_eq!(k.path.get_ref(), "/cgi-bin/sendsms");
        let s = cfg.compat.smsgate.unwrap();
        assert_eq!(s.listen.get_ref().to_string(), "127.0.0.1:8081");
        assert_eq!(s.device_id, "smsgate");
        // With a token, a network address is allowed.
        let cfg = parse(
            "[[http.tokens]]\nname = \"mon\"\ntoken = \"0123456789abcdef\"\n\
             [compat.kannel]\nlisten = \"0.0.0.0:13013\"\npath = \"/send\"\n",
        )
        .unwrap();
        assert_eq!(cfg.compat.kannel.unwrap().path.get_ref(), "/send");
    }

    #[test]
    fn empty_file_gives_defaults() {
        let cfg = parse("").unwrap();
        assert_eq!(cfg.http.listen.get_ref().to_string(), "127.0.0.1:8080");
        assert_eq!(cfg.storage.path, PathBuf::from("smsgate.db"));
        assert_eq!(*cfg.queue.max_parts.get_ref(), 10);
        assert!(cfg.rules.is_empty());
        assert!(cfg.compat.kannel.is_none() && cfg.compat.smsgate.is_none());
        assert_eq!(
            cfg.support.business_hours().describe(),
            "Mon–Fri 09:00–18:00 (UTC)"
        );
        assert!(cfg.support.template("opt_out_confirm").is_some());
        assert_eq!(cfg.support.ack_template(true), None);
        assert_eq!(
            cfg.support.region(),
            None,
            "no region: numbers kept as written"
        );
    }

    #[test]
    fn errors_name_the_key_and_line() {
        // (name, config, substrings the one-line error must contain)
        let cases: &[(&str, &str, &[&str])] = &[
            (
                "unknown key",
                "[http]\nlisten = \"127.0.0.1:9\"\nlisen = 1\n",
                &["line 3", "lisen"],
            ),
            ("unknown section", "[htp]\n", &["line 1", "htp"]),
            (
                "bad address",
                "[http]\nlisten = \"localhost\"\n",
                &["line 2", "listen"],
            ),
            (
                "network address without a token",
                "[http]\nlisten = \"0.0.0.0:8080\"\n",
                &["smsgate.toml:2: http.listen"],
            ),
            (
                "short token",
                "[[http.tokens]]\nname = \"crm\"\ntoken = \"abc\"\n",
                &[":3: http.tokens.token"],
            ),
            (
                "a TLS certificate without its key",
                "[http]\ntls_cert = \"cert.pem\"\n",
                &[":2: http.tls_cert", "tls_key"],
            ),
            (
                "a TLS key without its certificate",
                "[http]\n\ntls_key = \"key.pem\"\n",
                &[":3: http.tls_key", "tls_cert"],
            ),
            (
                "max_parts zero",
                "[queue]\nmax_parts = 0\n",
                &[":2: queue.max_parts"],
            ),
            (
                "wrong type",
                "[queue]\nmax_attempts = \"five\"\n",
                &["line 2", "max_attempts"],
            ),
            (
                "duplicate modem",
                "[[modems]]\nname = \"a\"\ndevice = \"/dev/x\"\n[[modems]]\nname = \"a\"\ndevice = \"/dev/y\"\n",
                &[":5: modems.name"],
            ),
            (
                "modem without device",
                "[[modems]]\nname = \"a\"\n",
                &["device"],
            ),
            (
                "unknown event",
                "[[webhooks]]\nurl = \"http://127.0.0.1:9/h\"\nevents = [\"message.recieved\"]\n",
                &[":3: webhooks.events", "message.recieved"],
            ),
            (
                "unknown time zone",
                "[support]\ntimezone = \"Asia/Tokio\"\n",
                &[":2: support.timezone", "Asia/Tokio"],
            ),
            (
                "unknown country",
                "[support]\ncountry = \"Japan\"\n",
                &[":2: support.country", "Japan"],
            ),
            (
                "bad holiday",
                "[support]\nholidays = [\"2026-02-30\"]\n",
                &[":2: support.holidays"],
            ),
            (
                "window across midnight",
                "[support.hours]\nmon = [\"09:00-18:00\"]\nfri = [\"22:00-02:00\"]\n",
                &[":3: support.hours.fri", "midnight"],
            ),
            (
                "overlapping windows",
                "[support.hours]\nmon = [\"09:00-13:00\", \"12:00-18:00\"]\n",
                &[":2: support.hours.mon", "overlaps"],
            ),
            (
                "unknown ack template",
                "[support]\nack_open = \"ack\"\n",
                &[":2: support.ack_open", "\"ack\""],
            ),
            (
                "unknown placeholder",
                "[support.templates]\nx = \"Hi\"\nack = \"Hi {nmae}\"\n",
                &[":3: support.templates.ack", "nmae"],
            ),
            (
                "keyword in two lists",
                "[support.keywords]\nstart = [\"STOP\"]\n",
                &[":2: support.keywords.start", "already a stop keyword"],
            ),
            (
                "unknown guard key",
                "[support.guard]\nmax_replies = 3\n",
                &["line 2", "max_replies"],
            ),
            (
                "bad regex in a rule",
                "[[rules]]\nname = \"a\"\nany = true\nactions = [\"stop\"]\n[[rules]]\nname = \"b\"\nregex = \"(x\"\nactions = [\"stop\"]\n",
                &[":7: rules.regex", "rule 1 (\"b\")"],
            ),
            (
                "rule replies with an unknown template",
                "[[rules]]\nname = \"a\"\nany = true\nactions = [{ reply = { template = \"nope\" } }]\n",
                &[":4: rules.actions", "\"nope\""],
            ),
            (
                "rule webhook not configured",
                "[[rules]]\nname = \"a\"\nany = true\nactions = [{ webhook = { url = \"http://x/\" } }]\n",
                &[":4: rules.actions", "[[webhooks]]"],
            ),
            (
                "rule without a condition",
                "[[rules]]\nname = \"a\"\nactions = [\"stop\"]\n",
                &[":2: rules.any"],
            ),
            (
                "unknown rule key",
                "[[rules]]\nname = \"a\"\nany = true\nkeyword = \"x\"\nactions = [\"stop\"]\n",
                &["line 4", "keyword"],
            ),
            (
                "bad url",
                "[[webhooks]]\nurl = \"ftp://x\"\nevents = []\n",
                &[":2: webhooks.url"],
            ),
            (
                "kannel listener on the network without a token",
                "[compat.kannel]\n\nlisten = \"0.0.0.0:13013\"\n",
                &["smsgate.toml:3: compat.kannel.listen", "[[http.tokens]]"],
            ),
            (
                "smsgate compat listener on the network without a token",
                "[compat.smsgate]\nlisten = \"[::]:8081\"\n",
                &["smsgate.toml:2: compat.smsgate.listen"],
            ),
            (
                "kannel path without a slash",
                "[compat.kannel]\nlisten = \"127.0.0.1:13013\"\npath = \"cgi-bin/sendsms\"\n",
                &[":3: compat.kannel.path"],
            ),
            (
                "unknown kannel key",
                "[compat.kannel]\nlisten = \"127.0.0.1:13013\"\nport = 13013\n",
                &["line 3", "port"],
            ),
            (
                "fleet site with a dot",
                "[fleet]\nurl = \"nats://hub:4222\"\nsite = \"osaka.1\"\ndevice = \"pi-1\"\n",
                &[":3: fleet.site", "subject token"],
            ),
            (
                "fleet url not nats",
                "[fleet]\nurl = \"http://hub:4222\"\nsite = \"osaka\"\ndevice = \"pi-1\"\n",
                &[":2: fleet.url"],
            ),
            (
                "fleet without device",
                "[fleet]\nurl = \"nats://hub:4222\"\nsite = \"osaka\"\n",
                &["device"],
            ),
            (
                "kannel get and post url",
                "[compat.kannel]\nlisten = \"127.0.0.1:13013\"\nget-url = \"http://a/\"\npost_url = \"http://b/\"\n",
                &[":4: compat.kannel.post_url", "not both"],
            ),
            (
                "kannel service url not http",
                "[compat.kannel]\nlisten = \"127.0.0.1:13013\"\nget_url = \"https://a/?t=%a\"\n",
                &[":3: compat.kannel.get_url", "http://"],
            ),
            (
                "kannel without listen",
                "[compat.kannel]\npath = \"/x\"\n",
                &["listen"],
            ),
        ];
        for (name, text, wants) in cases {
            let err = parse(text).expect_err(name);
            assert!(!err.contains('\n'), "{name}: one line: {err}");
            for w in *wants {
                assert!(err.contains(w), "{name}: {err:?} lacks {w:?}");
            }
        }
    }
}
