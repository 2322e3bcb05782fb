//! Extractors whose rejections come out as [`ApiError`]s (so in the JSON error shape, with a
//! 4xx), instead of axum's plain-text ones.

use axum::extract::FromRequest;
use axum::extract::FromRequestParts;

use super::error::ApiError;

/// `axum::Json` with an [`ApiError`] rejection: bad JSON is 400 `invalid_json`, unknown fields or
/// wrong types 422 `invalid_body`, a missing content type 415, an oversized body 413.
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Json<T>(pub T);

/// `axum::extract::Query` with an [`ApiError`] rejection (400 `invalid_query`).
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);

/// `axum::extract::Path` with an [`ApiError`] rejection (400 `invalid_path`).
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);

/// A listing's `limit` query parameter, checked: `default` when absent, else 1 to `max` (422
/// `invalid_query` otherwise). One place for every listing, so they all answer alike.
pub(crate) fn page_limit(
    limit: Option<usize>,
    default: usize,
    max: usize,
) -> Result<usize, ApiError> {
    let limit = limit.unwrap_or(default);
    if !(1..=max).contains(&limit) {
        return Err(ApiError::invalid(
            "invalid_query",
            format!("limit must be within 1..={max}"),
        ));
    }
    Ok(limit)
}
