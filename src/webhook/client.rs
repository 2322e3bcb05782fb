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
}

/// Aborts the spawned connection task (closing the socket) when the request is done or dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn bad_url(url: &str, reason: &str) -> Error {
    Error::Url {
        url: url.to_owned(),
        reason: reason.to_owned(),
    }
}

/// Opens a stream to the URL's host; returns it with the `Host` header value.
async fn connect(url: &str, uri: &Uri) -> Result<(Box<dyn Io>, String), Error> {
    let host = uri.host().ok_or_else(|| bad_url(url, "no host"))?;
    let authority = uri
        .authority()
        .map(|a| a.as_str().to_owned())
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

/// POSTs `body` to `url` with `headers` (plus `Host` and `User-Agent`) and reads the answer.
/// No timeout of its own: the caller bounds it, and dropping the future closes the connection.
pub(crate) async fn post(
    url: &str,
    headers: &[(&str, String)],
    body: Bytes,
) -> Result<Answer, Error> {
    request(hyper::Method::POST, url, headers, body).await
}

/// Like [`post`] with any method (a GET sends no body).
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
    for (name, value) in headers {
        let name =
            HeaderName::from_bytes(name.as_bytes()).map_err(|_| bad_url(url, "bad header name"))?;
        let value = HeaderValue::from_str(value).map_err(|_| bad_url(url, "bad header value"))?;
        h.insert(name, value);
    }

    sender.ready().await?;
    let resp = sender.send_request(req).await?;
    let status = resp.status().as_u16();
    // Read (a bounded part of) the body so the receiver sees a complete exchange; a failure
    // keeps its start, a Kannel service's answer is a reply.
    let body = match Limited::new(resp.into_body(), BODY_LIMIT).collect().await {
        Ok(collected) => String::from_utf8_lossy(&collected.to_bytes()).into_owned(),
        Err(_) => String::new(),
    };
    Ok(Answer { status, body })
}
