//! `GET /api/v1/reports/daily`: the support line's figures per local day as JSON. What each figure
//! counts is defined once, in [`crate::store::DayReport`] and the table of [`crate::store`]'s
//! `support_reports` module; this module validates the range and shapes the answer.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::error::{ApiError, ErrorBody};
use super::extract::Query;
use crate::store::{DayReport, DurationStats, MAX_REPORT_DAYS, Origin, State as MsgState};

/// The routes of this module (the caller adds authentication).
pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/reports/daily", get(daily))
}

/// The zone whose days a report counts when the request names none: the support line's
/// (`support.timezone`).
pub fn default_report_tz(state: &AppState) -> TimeZone {
    state.rules.policy().hours.tz.clone()
}

/// Query of `GET /api/v1/reports/daily`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DailyQuery {
    /// First day, `YYYY-MM-DD` (required).
    #[param(example = "2026-11-01")]
    pub from: Option<String>,
    /// Last day, inclusive, `YYYY-MM-DD` (required); at most 366 days after `from`, counted
    /// inclusively.
    #[param(example = "2026-11-30")]
    pub to: Option<String>,
    /// IANA time zone whose days are counted, e.g. `Asia/Tokyo` (default: the service's).
    pub tz: Option<String>,
}

/// Outbound recipients accepted that day, by their state now.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OutboundView {
    pub queued: u64,
    pub sending: u64,
    pub sent: u64,
    pub delivered: u64,
    pub failed: u64,
    pub expired: u64,
    pub cancelled: u64,
    pub unknown: u64,
    /// All of them.
    pub total: u64,
}

/// Durations, in seconds; the statistics are `null` when `count` is 0.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DurationView {
    pub count: u64,
    pub mean_secs: Option<f64>,
    /// The middle value (the mean of the two middle ones for an even count).
    pub median_secs: Option<f64>,
    /// Nearest rank: the ⌈0.9·count⌉-th smallest.
    pub p90_secs: Option<f64>,
}

impl From<&DurationStats> for DurationView {
    fn from(s: &DurationStats) -> Self {
        DurationView {
            count: s.count,
            mean_secs: s.mean_secs,
            median_secs: s.median_secs,
            p90_secs: s.p90_secs,
        }
    }
}

/// One local day.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DayView {
    /// `YYYY-MM-DD` in the report's zone.
    pub date: String,
    /// Recipients accepted that day, by state now.
    pub outbound: OutboundView,
    /// `delivered ÷ (sent + delivered + failed + expired + unknown)` of that day's recipients;
    /// `null` when none left the queue. A `sent` recipient (no delivery report yet, or none
    /// asked for) counts as not delivered.
    pub delivery_rate: Option<f64>,
    /// `(sent + delivered) ÷` the same: the share the network accepted.
    pub sent_rate: Option<f64>,
    /// That day's `failed`, `expired` and `unknown` recipients by cause: `cms_<code>`,
    /// `cme_<code>`, `tp_st_0x<hh>` (a failed status report), `timeout`, `restart`, `expired`,
    /// else the state.
    pub failures_by_cause: BTreeMap<String, u64>,
    /// Inbound messages received (assembled) that day.
    pub inbound: u64,
    /// Episodes first answered by a person that day, timed from the episode's first message.
    pub first_response: DurationView,
    /// Episodes closed that day, timed from the episode's first message.
    pub resolution: DurationView,
    /// Numbers that opted out that day (changes only: a repeated STOP counts once).
    pub opt_outs: u64,
    /// Numbers that opted back in that day.
    pub opt_ins: u64,
    /// Recipients of automatic messages (rules, acknowledgements, opt-out confirmations).
    pub auto_replies: u64,
    /// Recipients of staff replies in conversations.
    pub human_replies: u64,
    /// Recipients of messages sent through `POST /api/v1/messages`.
    pub api: u64,
    /// Recipients of bulk campaigns.
    pub bulk: u64,
}

impl From<&DayReport> for DayView {
    fn from(d: &DayReport) -> Self {
        let o = &d.outbound;
        DayView {
            date: d.date.to_string(),
            outbound: OutboundView {
                queued: o.get(MsgState::Queued),
                sending: o.get(MsgState::Sending),
                sent: o.get(MsgState::Sent),
                delivered: o.get(MsgState::Delivered),
                failed: o.get(MsgState::Failed),
                expired: o.get(MsgState::Expired),
                cancelled: o.get(MsgState::Cancelled),
                unknown: o.get(MsgState::Unknown),
                total: o.total(),
            },
            delivery_rate: d.delivery_rate(),
            sent_rate: d.sent_rate(),
            failures_by_cause: d.failures_by_cause.clone(),
            inbound: d.inbound,
            first_response: DurationView::from(&d.first_response),
            resolution: DurationView::from(&d.resolution),
            opt_outs: d.opt_outs,
            opt_ins: d.opt_ins,
            auto_replies: o.origin(Origin::Auto),
            human_replies: o.origin(Origin::Reply),
            api: o.origin(Origin::Api),
            bulk: o.origin(Origin::Bulk),
        }
    }
}

/// `GET /api/v1/reports/daily`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DailyReport {
    /// The zone whose days were counted.
    #[schema(example = "Asia/Tokyo")]
    pub tz: String,
    pub from: String,
    pub to: String,
    /// One per day, `from` to `to`.
    pub days: Vec<DayView>,
}

fn parse_date(field: &str, v: Option<&str>) -> Result<Date, ApiError> {
    let v = v.ok_or_else(|| {
        ApiError::invalid("invalid_query", format!("{field} (YYYY-MM-DD) is required"))
    })?;
    v.parse::<Date>().map_err(|e| {
        ApiError::invalid(
            "invalid_query",
            format!("{field}: {v:?} is not a date YYYY-MM-DD ({e})"),
        )
    })
}

/// The support line's figures per local day.
#[utoipa::path(
    get, path = "/api/v1/reports/daily", tag = "reports",
    params(DailyQuery),
    responses(
        (status = 200, description = "One entry per day", body = DailyReport),
        (status = 400, description = "Unknown query parameter", body = ErrorBody),
        (status = 401, description = "No or a wrong token", body = ErrorBody),
        (status = 422, description = "Missing or bad date, reversed or over-long range (`invalid_range`), unknown time zone", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn daily(
    State(state): State<AppState>,
    Query(q): Query<DailyQuery>,
) -> Result<axum::Json<DailyReport>, ApiError> {
    let (from, to, tz, name) = report_range(&state, &q)?;
    let days = state.store.daily_report(from, to, tz).await?;
    Ok(axum::Json(DailyReport {
        tz: name,
        from: from.to_string(),
        to: to.to_string(),
        days: days.iter().map(DayView::from).collect(),
    }))
}

/// The days and zone of a report's query, checked: first and last day, the zone and its name.
pub(crate) fn report_range(
    state: &AppState,
    q: &DailyQuery,
) -> Result<(Date, Date, TimeZone, String), ApiError> {
    let from = parse_date("from", q.from.as_deref())?;
    let to = parse_date("to", q.to.as_deref())?;
    if from > to {
        return Err(ApiError::invalid(
            "invalid_range",
            format!("from {from} is after to {to}"),
        ));
    }
    let span = from
        .until((jiff::Unit::Day, to))
        .map_err(|e| ApiError::invalid("invalid_range", e.to_string()))?;
    if i64::from(span.get_days()) >= MAX_REPORT_DAYS as i64 {
        return Err(ApiError::invalid(
            "invalid_range",
            format!("{from}..{to} is more than {MAX_REPORT_DAYS} days"),
        ));
    }
    let (tz, name) = match q.tz.as_deref() {
        None => {
            let tz = default_report_tz(state);
            let name = tz.iana_name().unwrap_or("UTC").to_owned();
            (tz, name)
        }
        Some(n) => {
            let tz = TimeZone::get(n).map_err(|e| {
                ApiError::invalid(
                    "invalid_query",
                    format!("tz: {n:?} is not a time zone ({e})"),
                )
            })?;
            (tz, n.to_owned())
        }
    };
    Ok((from, to, tz, name))
}
