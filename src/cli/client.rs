//! `smsgate send` and `smsgate status`: the local HTTP API from the command line.
//!
//! The URL and token come from `--url` / `--token`, else from the config file given with
//! `--config` (`http.listen`, a wildcard address becoming loopback, and the first token), else
//! `http://127.0.0.1:8080` without a token. The JSON response is printed on stdout; a failure
//! is one line on stderr and a non-zero exit.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Method, Request, StatusCode, header};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

use crate::config::Config;

/// Where the API is and how to authenticate.
#[derive(Debug, Clone, Args)]
pub struct Endpoint {
    /// Base URL of the API (default: from --config, else http://127.0.0.1:8080).
    #[arg(long)]
    url: Option<String>,
    /// Bearer token (default: the first token of --config, else none).
    #[arg(long)]
    token: Option<String>,
    /// The gateway's config file, to take the URL and token from.
    #[arg(long)]
    config: Option<PathBuf>,
}

/// `smsgate send`.
#[derive(Debug, Clone, Args)]
pub struct SendArgs {
    /// Recipient: +<country code><number>, or a national number or short code. Repeatable.
    #[arg(long, required = true)]
    to: Vec<String>,
    /// Idempotency id: sending again with the same id and text returns the same message.
    #[arg(long)]
    id: Option<String>,
    /// The text.
    text: String,
    #[command(flatten)]
    endpoint: Endpoint,
}

/// `smsgate status`.
#[derive(Debug, Clone, Args)]
pub struct StatusArgs {
    /// A message id; without it, the gateway's health and modems.
    id: Option<String>,
    #[command(flatten)]
    endpoint: Endpoint,
}

/// The default when neither a flag nor a config file says otherwise.
const DEFAULT_URL: &str = "http://127.0.0.1:8080";

impl Endpoint {
    /// Base URL (no trailing slash) and token.
    fn resolve(&self) -> Result<(String, Option<String>), String> {
        let config = match &self.config {
            Some(path) => Some(Config::load(path).map_err(|e| e.to_string())?),
            None => None,
        };
        let url = match (&self.url, &config) {
            (Some(u), _) => u.clone(),
            (None, Some(c)) => {
                let mut addr = *c.http.listen.get_ref();
                if addr.ip().is_unspecified() {
                    addr.set_ip(if addr.is_ipv4() {
                        std::net::Ipv4Addr::LOCALHOST.into()
                    } else {
                        std::net::Ipv6Addr::LOCALHOST.into()
                    });
                }
                format!("http://{addr}")
            }
            (None, None) => DEFAULT_URL.to_owned(),
        };
        if !url.starts_with("http://") {
            return Err(format!("{url:?}: only http:// URLs are supported"));
        }
        let token = self.token.clone().or_else(|| {
            config.and_then(|c| c.http.tokens.first().map(|t| t.token.get_ref().clone()))
        });
        Ok((url.trim_end_matches('/').to_owned(), token))
    }
}

/// One request; returns the status and the body parsed as JSON (or as a string when not JSON).
async fn call(
    base: &str,
    token: Option<&str>,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Result<(StatusCode, Value), String> {
    let url = format!("{base}{path}");
    let mut req = Request::builder().method(method).uri(&url);
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let bytes = match &body {
        Some(b) => {
            req = req.header(header::CONTENT_TYPE, "application/json");
            Bytes::from(b.to_string())
        }
        None => Bytes::new(),
    };
    let req = req
        .body(Full::new(bytes))
        .map_err(|e| format!("bad URL {url:?}: {e}"))?;
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let resp = client
        .request(req)
        .await
        .map_err(|e| format!("cannot reach {url}: {}", chain(&e)))?;
    let status = resp.status();
    let body = resp
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("reading the response of {url}: {e}"))?
        .to_bytes();
    let value = serde_json::from_slice(&body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()));
    Ok((status, value))
}

/// An error and its sources on one line (hyper's top-level errors say little alone).
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s
}

/// The one-line error of a failed response.
fn error_line(status: StatusCode, body: &Value) -> String {
    match body.get("error") {
        Some(e) => format!(
            "{} {}: {}",
            status.as_u16(),
            e.get("code").and_then(Value::as_str).unwrap_or("error"),
            e.get("message").and_then(Value::as_str).unwrap_or("")
        ),
        None => format!("{status}: {}", body.to_string().replace('\n', " ")),
    }
}

/// Succeeds with the body of a 2xx, else the error line.
fn expect_ok((status, body): (StatusCode, Value)) -> Result<Value, String> {
    if status.is_success() {
        Ok(body)
    } else {
        Err(error_line(status, &body))
    }
}

async fn send(args: &SendArgs) -> Result<Value, String> {
    let (base, token) = args.endpoint.resolve()?;
    let to = match args.to.as_slice() {
        [one] => json!(one),
        many => json!(many),
    };
    let mut body = json!({ "to": to, "text": args.text });
    if let Some(id) = &args.id {
        body["id"] = json!(id);
    }
    expect_ok(
        call(
            &base,
            token.as_deref(),
            Method::POST,
            "/api/v1/messages",
            Some(body),
        )
        .await?,
    )
}

async fn status(args: &StatusArgs) -> Result<Value, String> {
    let (base, token) = args.endpoint.resolve()?;
    let token = token.as_deref();
    if let Some(id) = &args.id {
        if !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(format!("{id:?} is not a message id"));
        }
        let path = format!("/api/v1/messages/{id}");
        return expect_ok(call(&base, token, Method::GET, &path, None).await?);
    }
    let (health_status, health) = call(&base, token, Method::GET, "/health", None).await?;
    if health.get("status").is_none() {
        return Err(error_line(health_status, &health));
    }
    let modems = expect_ok(call(&base, token, Method::GET, "/api/v1/modems", None).await?)?;
    let out = json!({ "health": health, "modems": modems });
    if health_status.is_success() {
        Ok(out)
    } else {
        println!("{}", pretty(&out));
        let reasons = health
            .get("reasons")
            .and_then(Value::as_array)
            .map(|r| {
                r.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_default();
        Err(format!("the gateway is not ready: {reasons}"))
    }
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string())
}

fn run(fut: impl Future<Output = Result<Value, String>>) -> ExitCode {
    let rt = match super::current_thread() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    match rt.block_on(fut) {
        Ok(v) => {
            println!("{}", pretty(&v));
            ExitCode::SUCCESS
        }
        Err(e) => super::fail(e),
    }
}

/// `smsgate send`.
pub fn run_send(args: SendArgs) -> ExitCode {
    run(async move { send(&args).await })
}

/// `smsgate status`.
pub fn run_status(args: StatusArgs) -> ExitCode {
    run(async move { status(&args).await })
}
