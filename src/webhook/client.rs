//! A small HTTP/1.1 client for webhook POSTs: one connection per request (webhooks are rare and
//! receivers may be anywhere), closed as soon as the request ends or is abandoned.
//!
//! [`connect`] turns a URL into a byte stream; it is the one place a TLS connector goes when
//! `https://` is supported (wrap the `TcpStream` and return it as another [`Io`]).

use http_body_util::{BodyExt, Full, Limited};
use hyper::Uri;
use hyper::body::Bytes;
use hyper::header::{HOST, HeaderName, HeaderValue, USER_AGENT};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use base64::Engine;

use super::Error;

/// How much of a non-2xx answer's body is kept in the error.
pub(crate) const BODY_EXCERPT: usize = 200;
/// How much of an answer's body is read at most.
const BODY_LIMIT: usize = 16 * 1024;

/// A connected byte stream (plain TCP now; TLS later).
pub(crate) trait Io: AsyncRead + AsyncWrite + Unpin + Send + 'static {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Io for T {}

/// What an endpoint answered.
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: u16,
    /// The body (its first 16 KiB), lossily decoded.
    pub body: String,
    /// Its `Content-Type`.
    pub content_type: Option<String>,
}

/// Aborts the spawned connection task (closing the socket) when the request is done or dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The error keeps the URL without its query and user info, where a Kannel URL may carry a
/// password.
fn bad_url(url: &str, reason: &str) -> Error {
    let base = url.split_once('?').map_or(url, |(b, _)| b);
    let shown = match base.split_once("://") {
        Some((scheme, rest)) => match rest.split_once('/') {
            Some((auth, path)) => format!("{scheme}://{}/{path}", without_userinfo(auth)),
            None => format!("{scheme}://{}", without_userinfo(rest)),
        },
        None => base.to_owned(),
    };
    Error::Url {
        url: shown,
        reason: reason.to_owned(),
    }
}

fn without_userinfo(authority: &str) -> &str {
    authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host)
}

/// Opens a stream to the URL's host; returns it with the `Host` header value.
async fn connect(url: &str, uri: &Uri) -> Result<(Box<dyn Io>, String), Error> {
    let host = uri.host().ok_or_else(|| bad_url(url, "no host"))?;
    // `Host` is host[:port]: user info in the URL is credentials, sent as Basic auth.
    let authority = uri
        .authority()
        .map(|a| without_userinfo(a.as_str()).to_owned())
        .unwrap_or_else(|| host.to_owned());
    match uri.scheme_str() {
        Some("http") => {
            let port = uri.port_u16().unwrap_or(80);
            // An IPv6 literal comes bracketed in the URL; connect wants it bare.
            let bare = host.trim_start_matches('[').trim_end_matches(']');
            let stream =
                TcpStream::connect((bare, port))
                    .await
                    .map_err(|source| Error::Connect {
                        addr: format!("{host}:{port}"),
                        source,
                    })?;
            let _ = stream.set_nodelay(true);
            Ok((Box::new(stream), authority))
        }
        Some(other) => Err(Error::UnsupportedScheme(other.to_owned())),
        None => Err(bad_url(url, "no scheme")),
    }
}

/// Sends `method` with `body` (none for a GET) to `url` with `headers` (plus `Host` and
/// `User-Agent`) and reads the answer. No timeout of its own: the caller bounds it, and
/// dropping the future closes the connection.
pub(crate) async fn request(
    method: hyper::Method,
    url: &str,
    headers: &[(&str, String)],
    body: Bytes,
) -> Result<Answer, Error> {
    let uri: Uri = url.parse().map_err(|e| bad_url(url, &format!("{e}")))?;
    let (io, host) = connect(url, &uri).await?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io)).await?;
    let _conn = AbortOnDrop(tokio::spawn(async move {
        if let Err(e) = conn.await {
            tracing::debug!(error = %e, "webhook connection ended");
        }
    }));

    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let mut req = hyper::Request::builder()
        .method(method)
        .uri(path)
        .body(Full::new(body))
        .map_err(|e| bad_url(url, &e.to_string()))?;
    let h = req.headers_mut();
    h.insert(
        HOST,
        HeaderValue::from_str(&host).map_err(|_| bad_url(url, "bad host"))?,
    );
    h.insert(
        USER_AGENT,
        HeaderValue::from_static(concat!("smsgate/", env!("CARGO_PKG_VERSION"))),
    );
    if let Some((userinfo, _)) = uri.authority().and_then(|a| a.as_str().rsplit_once('@')) {
        let token = base64::engine::general_purpose::STANDARD.encode(percent_decode(userinfo));
        h.insert(
            hyper::header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Basic {token}"))
                .map_err(|_| bad_url(url, "bad user info"))?,
        );
    }
    for (name, value) in headers {
        let name =
            HeaderName::from_bytes(name.as_bytes()).map_err(|_| bad_url(url, "bad header name"))?;
        let value = HeaderValue::from_str(value).map_err(|_| bad_url(url, "bad header value"))?;
        h.insert(name, value);
    }

    sender.ready().await?;
    let resp = sender.send_request(req).await?;
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    // Read (a bounded part of) the body so the receiver sees a complete exchange; a failure
    // keeps its start, a Kannel service's answer is a reply.
    let body = match Limited::new(resp.into_body(), BODY_LIMIT).collect().await {
        Ok(collected) => String::from_utf8_lossy(&collected.to_bytes()).into_owned(),
        Err(_) => String::new(),
    };
    Ok(Answer {
        status,
        body,
        content_type,
    })
}

/// `%XX` sequences of URL user info decoded (lossily: credentials are text).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes.get(i), hex) {
            (Some(b'%'), Some(b)) => {
                out.push(b);
                i += 3;
            }
            (Some(&b), _) => {
                out.push(b);
                i += 1;
            }
            (None, _) => break,
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_errors_hide_credentials() {
        let cases = [
            ("http://u:p@h:1/x?password=s", "http://h:1/x"),
            ("http://h/x?token=s", "http://h/x"),
            ("http://u@h", "http://h"),
            ("nonsense?pass=s", "nonsense"),
        ];
        for (url, shown) in cases {
            match bad_url(url, "r") {
                Error::Url { url: got, .. } => assert_eq!(got, shown, "{url}"),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn userinfo_is_percent_decoded() {
        assert_eq!(percent_decode("us%65r:p%40ss"), "user:p@ss");
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("%zz"), "%zz");
    }
}
