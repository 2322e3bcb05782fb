//! The desk's static files, embedded in the binary: htmx (pinned, vendored: version and
//! licence in `static/README.md`), the desk's script, the SMS counter and the style sheet.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// `(name, content type, bytes)`.
const FILES: &[(&str, &str, &[u8])] = &[
    (
        "htmx.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("static/htmx.min.js"),
    ),
    (
        "desk.js",
        "text/javascript; charset=utf-8",
        include_bytes!("static/desk.js"),
    ),
    (
        "sms-counter.js",
        "text/javascript; charset=utf-8",
        include_bytes!("static/sms-counter.js"),
    ),
    (
        "desk.css",
        "text/css; charset=utf-8",
        include_bytes!("static/desk.css"),
    ),
];

/// The embedded file's bytes, for the size check in docs/benchmarks.md.
pub fn files() -> impl Iterator<Item = (&'static str, usize)> {
    FILES.iter().map(|(n, _, b)| (*n, b.len()))
}

/// `GET /static/{file}`.
pub async fn serve(Path(file): Path<String>) -> Response {
    let Some((_, ctype, bytes)) = FILES.iter().find(|(n, _, _)| *n == file) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut r = (*bytes).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    // Embedded: they change only with the binary, and a restart after an upgrade is when the
    // page reloads anyway; an hour keeps a tablet from asking on every page.
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=3600"),
    );
    r
}
