//! `/api/v1/bulk`: one text or template sent to a contact group or a list of numbers (一斉送信),
//! rendered per recipient, optionally scheduled (予約送信) and spread over time.
//!
//! The whole campaign (every message, its audit line) commits in one transaction, and `202`
//! goes out after that COMMIT. Its messages are queued at bulk priority
//! ([`Origin::Bulk`]), below support replies and acknowledgements, so the dispatcher always
//! takes a waiting support reply before the next campaign message: a campaign never starves
//! the support line. `rate_per_minute` additionally spreads the campaign's `send_at` times.

use std::collections::HashSet;
use std::time::Duration;

use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::AppState;
use super::auth::Caller;
use super::error::{ApiError, ErrorBody};
use super::extract::{Json, Path};
use super::messages::{normalise, parse_time, plan};
use super::types::Content;
use crate::gateway::process::render_for;
use crate::store::{Campaign, NewCampaign, NewMessage, Origin, Skipped};

/// Most recipients one campaign may have.
pub const MAX_BULK_RECIPIENTS: usize = 50_000;
/// Largest bulk request body (a list of 50,000 numbers is about 1 MB of JSON).
pub const MAX_BULK_BODY: usize = 4 * 1024 * 1024;

/// A bulk send. Give `group`, `to`, or both (their union, each number once); and `text` or
/// `template`. Either may hold `{placeholders}`: `{name}`, `{number}`, `{hours}` and the
/// contact's custom fields.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkRequest {
    /// A contact group.
    pub group: Option<String>,
    /// Numbers.
    #[serde(default)]
    pub to: Vec<String>,
    /// The text, rendered per recipient.
    pub text: Option<String>,
    /// A template's name, rendered per recipient.
    pub template: Option<String>,
    /// A name for people.
    pub name: Option<String>,
    /// Not before this time (RFC 3339).
    pub send_at: Option<String>,
    /// Spread the campaign: at most this many messages per minute from `send_at` on.
    pub rate_per_minute: Option<u32>,
    /// Seconds each message may wait unsent, counted from its own `send_at`.
    pub ttl: Option<u64>,
    /// Sent to opted-out numbers too, where `support.allow_transactional_to_opted_out` is true.
    pub transactional: Option<bool>,
}

/// A campaign.
#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignView {
    /// `bulk_...`.
    pub id: String,
    pub name: String,
    pub template: Option<String>,
    pub group: Option<String>,
    /// The first message's `send_at`.
    pub send_at: String,
    /// Messages queued (one per recipient).
    pub recipients: u32,
    /// Recipients left out, and why (`opted_out`, `invalid_number`, `template`, `too_long`).
    #[schema(value_type = Vec<Object>)]
    pub skipped: Vec<Skipped>,
    /// Its recipients by state.
    #[schema(value_type = Object)]
    pub states: std::collections::BTreeMap<String, u32>,
    pub created_by: Option<String>,
    pub created_at: String,
}

impl From<&Campaign> for CampaignView {
    fn from(c: &Campaign) -> Self {
        CampaignView {
            id: c.id.clone(),
            name: c.name.clone(),
            template: c.template.clone(),
            group: c.group.clone(),
            send_at: c.send_at.to_string(),
            recipients: c.recipients,
            skipped: c.skipped.clone(),
            states: c.states.clone(),
            created_by: c.created_by.clone(),
            created_at: c.created_at.to_string(),
        }
    }
}

/// Queue a bulk send.
#[utoipa::path(
    post, path = "/api/v1/bulk", tag = "bulk",
    request_body = BulkRequest,
    responses(
        (status = 202, description = "Every message committed to the queue", body = CampaignView),
        (status = 401, description = "No or a wrong token", body = ErrorBody),
        (status = 404, description = "No such template", body = ErrorBody),
        (status = 413, description = "Body over 4 MiB", body = ErrorBody),
        (status = 422, description = "No recipient, no text, both text and template, bad time, ...", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    Extension(Caller(caller)): Extension<Caller>,
    Json(req): Json<BulkRequest>,
) -> Result<(StatusCode, axum::Json<CampaignView>), ApiError> {
    let content = Content::from_fields(req.text.clone(), req.template.clone())?;
    if req.group.is_none() && req.to.is_empty() {
        return Err(ApiError::invalid(
            "no_recipients",
            "give \"group\", \"to\" or both",
        ));
    }
    if req.to.len() > MAX_BULK_RECIPIENTS {
        return Err(ApiError::invalid(
            "too_many_recipients",
            format!("at most {MAX_BULK_RECIPIENTS} recipients per campaign"),
        ));
    }
    if req.rate_per_minute == Some(0) {
        return Err(ApiError::invalid(
            "invalid_rate",
            "\"rate_per_minute\" must be at least 1",
        ));
    }
    let ttl = req.ttl.unwrap_or(state.config.queue.default_ttl);
    if ttl == 0 {
        return Err(ApiError::invalid(
            "invalid_ttl",
            "\"ttl\" must be at least 1 second",
        ));
    }
    let now = Timestamp::now();
    let start = req
        .send_at
        .as_deref()
        .map(|s| parse_time("send_at", s))
        .transpose()?
        .unwrap_or(now)
        .max(now);
    let transactional =
        req.transactional.unwrap_or(false) && state.config.support.allow_transactional_to_opted_out;
    let max_parts = *state.config.queue.max_parts.get_ref() as usize;
    let max_attempts = *state.config.queue.max_attempts.get_ref();
    let live = state.rules.clone();
    let rate = req.rate_per_minute;
    let who = caller.clone();

    // Numbers given directly are checked before the transaction; group members come from the
    // store inside it, so the campaign sees one consistent state of contacts and consent.
    let mut skipped = Vec::new();
    let mut listed = Vec::new();
    for n in &req.to {
        match normalise(n) {
            Ok(n) => listed.push(n),
            Err(_) => skipped.push(Skipped {
                number: n.clone(),
                reason: "invalid_number".into(),
            }),
        }
    }
    let campaign = NewCampaign {
        name: req.name.clone().unwrap_or_default(),
        template: req.template.clone(),
        group: req.group.clone(),
        send_at: Some(start),
        created_by: Some(caller),
        skipped: Vec::new(),
    };
    let group = req.group.clone();
    let result = state
        .store
        .atomically(move |tx| {
            let policy = live.policy();
            let body = content.body(tx, policy)?;
            let mut recipients: Vec<(String, Option<crate::store::Contact>)> = Vec::new();
            let mut seen = HashSet::new();
            if let Some(g) = &group {
                // Refused before its members are read, so a huge group costs no memory.
                let size = tx.group_size(g)?;
                if size > MAX_BULK_RECIPIENTS as u64 {
                    return Err(crate::store::Error::Invalid(format!(
                        "group {g:?} has {size} contacts; at most {MAX_BULK_RECIPIENTS} per campaign"
                    )));
                }
                for c in tx.group_members(g)? {
                    if seen.insert(c.number.clone()) {
                        recipients.push((c.number.clone(), Some(c)));
                    }
                }
            }
            for n in listed {
                if seen.insert(n.clone()) {
                    let c = tx.get_contact(&n)?;
                    recipients.push((n, c));
                }
            }
            if recipients.len() > MAX_BULK_RECIPIENTS {
                return Err(crate::store::Error::Invalid(format!(
                    "{} recipients; at most {MAX_BULK_RECIPIENTS} per campaign",
                    recipients.len()
                )));
            }
            let mut messages = Vec::with_capacity(recipients.len());
            for (number, contact) in recipients {
                if !transactional && tx.opted_out(&number)? {
                    skipped.push(Skipped {
                        number,
                        reason: "opted_out".into(),
                    });
                    continue;
                }
                let text = match render_for(policy, &body, contact.as_ref(), &number, true) {
                    Ok(t) => t,
                    Err(e) => {
                        skipped.push(Skipped {
                            number,
                            reason: format!("template: {e}"),
                        });
                        continue;
                    }
                };
                if let Err(e) = plan(&text, max_parts) {
                    skipped.push(Skipped {
                        number,
                        reason: format!("too_long: {e}"),
                    });
                    continue;
                }
                let send_at = spread(start, messages.len(), rate);
                messages.push(NewMessage {
                    priority: Origin::Bulk.default_priority(),
                    origin: Origin::Bulk,
                    send_at: Some(send_at),
                    ttl: Some(Duration::from_secs(ttl)),
                    max_attempts,
                    created_by: Some(who.clone()),
                    transactional,
                    ..NewMessage::new(vec![number], text)
                });
            }
            let campaign = NewCampaign {
                skipped,
                ..campaign
            };
            let c = tx.create_campaign(&campaign, messages, now)?;
            tx.audit(&who, "bulk.create", Some(&c.id), now)?;
            Ok(c)
        })
        .await?;
    state.dispatch.notify_one();
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(CampaignView::from(&result)),
    ))
}

/// A campaign and its progress.
#[utoipa::path(
    get, path = "/api/v1/bulk/{id}", tag = "bulk",
    params(("id" = String, Path, description = "bulk_...")),
    responses(
        (status = 200, description = "The campaign with its recipients by state", body = CampaignView),
        (status = 401, description = "No or a wrong token", body = ErrorBody),
        (status = 404, description = "No such campaign", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_one(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<axum::Json<CampaignView>, ApiError> {
    let c = state.store.get_campaign(&id).await?;
    Ok(axum::Json(CampaignView::from(&c)))
}

/// The `send_at` of the `i`-th message of a campaign starting at `start` at `rate` per minute.
fn spread(start: Timestamp, i: usize, rate: Option<u32>) -> Timestamp {
    let Some(rate) = rate else {
        return start;
    };
    let offset_ms = (i as i64).saturating_mul(60_000) / i64::from(rate.max(1));
    start
        .checked_add(SignedDuration::from_millis(offset_ms))
        .unwrap_or(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_paces_a_campaign() {
        let t0 = Timestamp::from_second(1_700_000_000).unwrap();
        let ms = |i, r| spread(t0, i, r).as_millisecond() - t0.as_millisecond();
        // (name, index, rate, offset in ms)
        let cases = [
            ("no rate: all at once", 999, None, 0),
            ("first message at the start", 0, Some(60), 0),
            ("one a second", 5, Some(60), 5_000),
            ("120 a minute", 3, Some(120), 1_500),
            (
                "slower than one a minute is still even",
                2,
                Some(1),
                120_000,
            ),
        ];
        for (name, i, rate, want) in cases {
            assert_eq!(ms(i, rate), want, "{name}");
        }
    }
}
