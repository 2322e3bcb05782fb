//! [`ApiError`]: every way a request can fail, and the one place that turns a failure into a
//! response: `{"error": {"code": "...", "message": "..."}}` with its status.
//!
//! Bad input is always a 4xx. A [`store::Error`] is mapped here and nowhere else; internal
//! errors are logged with their details and answered with a bare `internal` error.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::store;

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No or a wrong bearer token (401).
    #[error("a valid bearer token is required")]
    Unauthorized,
    /// No such resource or route (404).
    #[error("{0}")]
    NotFound(String),
    /// The request is well-formed but its content is not acceptable (422), e.g. an invalid
    /// number, an empty text, too many parts, an unknown modem. `code` is machine-readable.
    #[error("{message}")]
    Invalid {
        /// Machine-readable reason, e.g. `invalid_number`.
        code: &'static str,
        /// For people.
        message: String,
    },
    /// Axum could not extract the request (bad JSON, wrong content type, oversized body,
    /// bad query or path): the status axum chose (always 4xx) with our code.
    #[error("{message}")]
    Rejected {
        /// A 4xx.
        status: StatusCode,
        /// Machine-readable reason, e.g. `invalid_json`.
        code: &'static str,
        /// For people.
        message: String,
    },
    /// The route exists but not with this method (405).
    #[error("method not allowed")]
    MethodNotAllowed,
    /// A store operation failed; mapped in `ApiError::parts`.
    #[error(transparent)]
    Store(#[from] store::Error),
}

/// The error body.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// The error itself.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Machine-readable: `unauthorized`, `not_found`, `invalid_number`, `empty_text`,
    /// `too_many_parts`, `invalid_json`, `invalid_body`, `payload_too_large`,
    /// `unsupported_media_type`, `invalid_query`, `invalid_path`, `unknown_modem`,
    /// `idempotency_conflict`, `invalid_state`, `invalid`, `method_not_allowed`, `internal`, ...
    #[schema(example = "invalid_number")]
    pub code: String,
    /// For people.
    #[schema(
        example = "invalid address \"+81x\": an international number has only digits after '+'"
    )]
    pub message: String,
}

impl ApiError {
    /// A 422 with `code`.
    pub fn invalid(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::Invalid {
            code,
            message: message.into(),
        }
    }

    /// Status, code and message: the whole mapping, including the store's errors.
    pub(crate) fn parts(&self) -> (StatusCode, &'static str, String) {
        match self {
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized", self.to_string()),
            ApiError::NotFound(m) => (StatusCode::NOT_FOUND, "not_found", m.clone()),
            ApiError::Invalid { code, message } => {
                (StatusCode::UNPROCESSABLE_ENTITY, code, message.clone())
            }
            ApiError::Rejected {
                status,
                code,
                message,
            } => (*status, code, message.clone()),
            ApiError::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                self.to_string(),
            ),
            ApiError::Store(e) => match e {
                store::Error::Conflict { .. } => {
                    (StatusCode::CONFLICT, "idempotency_conflict", e.to_string())
                }
                store::Error::NotFound(what) => {
                    (StatusCode::NOT_FOUND, "not_found", format!("no {what}"))
                }
                store::Error::InvalidState { from, .. } => (
                    StatusCode::CONFLICT,
                    "invalid_state",
                    format!("not possible while the message is {from}"),
                ),
                store::Error::OptedOut { .. } => {
                    (StatusCode::UNPROCESSABLE_ENTITY, "opted_out", e.to_string())
                }
                store::Error::Invalid(m) => {
                    (StatusCode::UNPROCESSABLE_ENTITY, "invalid", m.clone())
                }
                store::Error::Sqlite(_) | store::Error::Closed | store::Error::Migration(_) => {
                    tracing::error!(error = %e, "store error while handling a request");
                    (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "internal",
                        "internal error; see the service log".to_owned(),
                    )
                }
            },
        }
    }

    /// The HTTP status this error is answered with.
    pub fn status(&self) -> StatusCode {
        self.parts().0
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message) = self.parts();
        let body = ErrorBody {
            error: ErrorDetail {
                code: code.to_owned(),
                message,
            },
        };
        let mut resp = (status, Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        resp
    }
}

/// axum's own status for a rejection, forced into 4xx (it already is for every extractor used).
fn client_status(status: StatusCode) -> StatusCode {
    if status.is_client_error() {
        status
    } else {
        StatusCode::BAD_REQUEST
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> ApiError {
        let status = client_status(r.status());
        let code = match &r {
            JsonRejection::JsonDataError(_) => "invalid_body",
            JsonRejection::JsonSyntaxError(_) => "invalid_json",
            JsonRejection::MissingJsonContentType(_) => "unsupported_media_type",
            _ if status == StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
            _ => "bad_request",
        };
        ApiError::Rejected {
            status,
            code,
            message: r.body_text(),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> ApiError {
        ApiError::Rejected {
            status: client_status(r.status()),
            code: "invalid_query",
            message: r.body_text(),
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> ApiError {
        ApiError::Rejected {
            status: client_status(r.status()),
            code: "invalid_path",
            message: r.body_text(),
        }
    }
}
