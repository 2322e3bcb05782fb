//! A JSON client for a service started by a test and listening on loopback.

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::header;
use hyper::{Method, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

/// Requests to `base` (`http://127.0.0.1:<port>`).
pub struct Api {
    base: String,
    client: Client<HttpConnector, Full<Bytes>>,
}

impl Api {
    pub fn new(base: String) -> Api {
        Api {
            base,
            client: Client::builder(TokioExecutor::new()).build_http(),
        }
    }

    /// Any request; the body parsed as JSON (`Null` when empty or not JSON).
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> (StatusCode, Value) {
        let mut b = hyper::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        if let Some(ct) = content_type {
            b = b.header(header::CONTENT_TYPE, ct);
        }
        let req = b.body(Full::new(Bytes::from(body))).unwrap();
        let resp = self.client.request(req).await.unwrap();
        let status = resp.status();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    /// A JSON request (without a body when `body` is `None`).
    pub async fn json(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        match body {
            Some(v) => {
                self.raw(
                    method,
                    path,
                    Some("application/json"),
                    v.to_string().into_bytes(),
                )
                .await
            }
            None => self.raw(method, path, None, Vec::new()).await,
        }
    }
}
