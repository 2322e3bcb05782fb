//! `/api/v1/prompts`: send a prompt (a question that expects an answer, `[[prompts]]` in the
//! config), look one up, and `GET /api/v1/reports/prompts`, its figures per local day and per
//! staff member.

use axum::Extension;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::auth::Caller;
use super::error::{ApiError, ErrorBody};
use super::extract::{Json, Path, Query};
use super::messages::{normalise, parse_time, unique_now};
use super::reports::{DailyQuery, report_range};
use crate::gateway::prompts::{self, Ask};
use crate::store::{Origin, tally_prompts};

/// Longest `ref`.
const MAX_REF: usize = 128;

/// The routes of this module (the caller adds authentication).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/prompts", get(list).put(replace))
        .route("/api/v1/prompts/{name}/send", post(send))
        .route("/api/v1/prompts/sent/{id}", get(get_one))
        .route("/api/v1/reports/prompts", get(report))
}

/// Most prompts managed through the API.
pub const MAX_PROMPTS: usize = 100;

/// `GET /api/v1/prompts`.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct PromptsView {
    /// Every prompt in force: the API's, then the config file's not overridden by name.
    #[schema(value_type = Vec<Object>)]
    pub prompts: Vec<crate::rules::prompt::PromptSpec>,
    /// The names of the API-managed ones.
    pub api: Vec<String>,
}

/// `PUT /api/v1/prompts`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplacePrompts {
    /// As the config's `[[prompts]]` entries, in JSON.
    #[schema(value_type = Vec<Object>)]
    pub prompts: Vec<crate::rules::prompt::PromptSpec>,
}

async fn view(state: &AppState) -> Result<PromptsView, ApiError> {
    let config = state.config.clone();
    let (prompts, api) = state
        .store
        .read(move |tx| {
            let api: Vec<String> = tx.api_prompts()?.into_iter().map(|p| p.name).collect();
            Ok((prompts::specs(tx, &config)?, api))
        })
        .await?;
    Ok(PromptsView { prompts, api })
}

/// Every prompt in force.
#[utoipa::path(
    get, path = "/api/v1/prompts", tag = "prompts",
    responses(
        (status = 200, description = "The prompts in force and which are API-managed", body = PromptsView),
        (status = 401, description = "No or a wrong token", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list(State(state): State<AppState>) -> Result<axum::Json<PromptsView>, ApiError> {
    Ok(axum::Json(view(&state).await?))
}

/// Replace the API-managed prompts (one overrides the config file's of its name). All or
/// nothing: a bad prompt is a 422 naming it, and nothing changes.
#[utoipa::path(
    put, path = "/api/v1/prompts", tag = "prompts",
    request_body = ReplacePrompts,
    responses(
        (status = 200, description = "Stored and in force", body = PromptsView),
        (status = 400, description = "Malformed JSON or an unknown field", body = ErrorBody),
        (status = 401, description = "No or a wrong token", body = ErrorBody),
        (status = 422, description = "A prompt is invalid (`invalid_prompt`), named in the message", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn replace(
    State(state): State<AppState>,
    Extension(Caller(caller)): Extension<Caller>,
    Json(req): Json<ReplacePrompts>,
) -> Result<axum::Json<PromptsView>, ApiError> {
    if req.prompts.len() > MAX_PROMPTS {
        return Err(ApiError::invalid(
            "too_many_prompts",
            format!("{} prompts; at most {MAX_PROMPTS}", req.prompts.len()),
        ));
    }
    for (i, p) in req.prompts.iter().enumerate() {
        p.check().map_err(|e| {
            ApiError::invalid("invalid_prompt", format!("prompts[{i}] {:?}: {e}", p.name))
        })?;
        if req.prompts[..i].iter().any(|q| q.name == p.name) {
            return Err(ApiError::invalid(
                "invalid_prompt",
                format!("prompts[{i}]: a second prompt named {:?}", p.name),
            ));
        }
    }
    let now = unique_now();
    state
        .store
        .replace_prompts(req.prompts, &caller, now)
        .await?;
    Ok(axum::Json(view(&state).await?))
}

/// `POST /api/v1/prompts/{name}/send`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendPrompt {
    /// The number asked.
    pub to: String,
    /// Not before this time (RFC 3339); the answer window opens then.
    pub send_at: Option<String>,
    /// Your id for it (the call in the IVR, the CRM record), given back with the answer.
    #[serde(rename = "ref")]
    pub reference: Option<String>,
}

/// Send a prompt.
#[utoipa::path(
    post, path = "/api/v1/prompts/{name}/send", tag = "prompts",
    params(("name" = String, Path, description = "A [[prompts]] name")),
    request_body = SendPrompt,
    responses(
        (status = 202, description = "Question committed to the queue: `{id, name, to, ref, message, state}`, `state` `scheduled` or the message's"),
        (status = 401, description = "No or a wrong token", body = ErrorBody),
        (status = 404, description = "No such prompt", body = ErrorBody),
        (status = 422, description = "Invalid number, time or ref; opted out; a placeholder the contact cannot fill", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn send(
    State(state): State<AppState>,
    Extension(Caller(caller)): Extension<Caller>,
    Path(name): Path<String>,
    Json(req): Json<SendPrompt>,
) -> Result<(StatusCode, axum::Json<Value>), ApiError> {
    let to = normalise(&state, &req.to)?;
    let send_at = req
        .send_at
        .as_deref()
        .map(|s| parse_time("send_at", s))
        .transpose()?;
    if let Some(r) = &req.reference
        && (r.is_empty() || r.len() > MAX_REF || r.chars().any(char::is_control))
    {
        return Err(ApiError::invalid(
            "invalid_ref",
            format!("\"ref\" must be 1 to {MAX_REF} printable characters"),
        ));
    }
    let now = unique_now();
    let (config, rules) = (state.config.clone(), state.rules.clone());
    let (prompt, message) = state
        .store
        .atomically(move |tx| {
            let spec = prompts::spec(tx, &config, &name)?
                .ok_or_else(|| crate::store::Error::NotFound(format!("prompt {name}")))?;
            let ask = Ask {
                spec: &spec,
                to,
                send_at,
                reference: req.reference,
                origin: Origin::Api,
                created_by: caller.clone(),
                conversation: None,
                assignee: None,
            };
            let sent = prompts::send(tx, &config, rules.policy(), &ask, now)?
                .ok_or_else(|| crate::store::Error::Invalid("prompt not sent".into()))?;
            tx.audit(&caller, "prompt.send", Some(&sent.0.id), now)?;
            Ok(sent)
        })
        .await?;
    state.dispatch.notify_one();
    let scheduled = message.send_at > now;
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(json!({
            "id": prompt.id, "name": prompt.name, "to": prompt.number, "ref": prompt.reference,
            "message": message.id,
            "state": if scheduled { "scheduled" } else { message.state.as_str() },
            "expires_at": prompt.expires_at.to_string(),
        })),
    ))
}

/// A prompt sent, with its answer.
#[utoipa::path(
    get, path = "/api/v1/prompts/sent/{id}", tag = "prompts",
    params(("id" = String, Path, description = "pr_...")),
    responses(
        (status = 200, description = "`{id, name, kind, to, ref, message, state (waiting, answered, expired, failed), answer, score, choice, assignee, sent_at, expires_at, answered_at}`"),
        (status = 401, description = "No or a wrong token", body = ErrorBody),
        (status = 404, description = "No such prompt", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_one(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    let p = state.store.get_prompt_sent(&id).await?;
    Ok(axum::Json(prompts::view(&p)))
}

/// Query of `GET /api/v1/reports/prompts`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PromptReportQuery {
    /// First day, `YYYY-MM-DD` (required).
    pub from: Option<String>,
    /// Last day, inclusive, `YYYY-MM-DD` (required).
    pub to: Option<String>,
    /// IANA time zone whose days are counted (default: the service's).
    pub tz: Option<String>,
    /// `json` (default) or `csv`.
    pub format: Option<String>,
}

/// Prompts' figures per local day and per staff member.
#[utoipa::path(
    get, path = "/api/v1/reports/prompts", tag = "reports",
    params(PromptReportQuery),
    responses(
        (status = 200, description = "JSON `{tz, from, to, prompts: [{name, kind, days: {date: figures}, staff: {name: figures}}]}`, or CSV with one row per prompt and day"),
        (status = 401, description = "No or a wrong token", body = ErrorBody),
        (status = 422, description = "Missing or bad date or range, unknown time zone or format", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn report(
    State(state): State<AppState>,
    Query(q): Query<PromptReportQuery>,
) -> Result<Response, ApiError> {
    let csv = match q.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(other) => {
            return Err(ApiError::invalid(
                "invalid_query",
                format!("format must be json or csv, not {other:?}"),
            ));
        }
    };
    let days = DailyQuery {
        from: q.from,
        to: q.to,
        tz: q.tz,
    };
    let (from, to, tz, name) = report_range(&state, &days)?;
    let rows = state.store.prompts_on_days(from, to, tz.clone()).await?;
    let tallies = tally_prompts(&rows, &tz);
    if csv {
        return csv_response(&tallies);
    }
    Ok(axum::Json(json!({
        "tz": name, "from": from.to_string(), "to": to.to_string(), "prompts": tallies,
    }))
    .into_response())
}

/// One row per prompt and day, then one per prompt and staff member (`day` empty).
fn csv_response(tallies: &[crate::store::PromptTally]) -> Result<Response, ApiError> {
    let num = |v: Option<f64>| v.map(|v| format!("{v:.2}")).unwrap_or_default();
    let mut w = csv::Writer::from_writer(Vec::new());
    let write = |w: &mut csv::Writer<Vec<u8>>, record: &[String]| {
        w.write_record(record).map_err(|e| {
            ApiError::Store(crate::store::Error::Invalid(format!(
                "writing the report: {e}"
            )))
        })
    };
    let header = [
        "prompt",
        "day",
        "staff",
        "sent",
        "answered",
        "expired",
        "response_rate",
        "csat_pct",
        "mean_score",
        "nps",
        "choices",
        "median_answer_secs",
    ];
    write(&mut w, &header.map(str::to_owned))?;
    for t in tallies {
        let rows = t
            .days
            .iter()
            .map(|(day, f)| (day.as_str(), "", f))
            .chain(t.staff.iter().map(|(staff, f)| ("", staff.as_str(), f)));
        for (day, staff, f) in rows {
            let choices: Vec<String> = f.choices.iter().map(|(c, n)| format!("{c}={n}")).collect();
            let record: [String; 12] = [
                no_formula(&t.name),
                day.to_owned(),
                no_formula(staff),
                f.sent.to_string(),
                f.answered.to_string(),
                f.expired.to_string(),
                num(f.response_rate),
                num(f.csat_pct),
                num(f.mean_score),
                num(f.nps),
                no_formula(&choices.join(";")),
                num(f.median_answer_secs),
            ];
            write(&mut w, &record)?;
        }
    }
    let body = w.into_inner().map_err(|e| {
        ApiError::Store(crate::store::Error::Invalid(format!(
            "writing the report: {e}"
        )))
    })?;
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], body).into_response())
}

/// `s` with a leading `=`, `+`, `-` or `@` escaped by `'`, so a spreadsheet opening the report
/// does not run it as a formula.
fn no_formula(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

/// The `survey_on_close` prompt for a conversation closing now, in `tx`: sent once per episode,
/// attributed to its assignee (else to `caller`). Nothing when none is configured or the number
/// opted out.
pub(crate) fn survey_on_close(
    tx: &crate::store::Tx<'_>,
    state: &AppState,
    conv: &crate::store::Conversation,
    caller: &str,
    now: Timestamp,
) -> Result<(), crate::store::Error> {
    let Some(name) = &state.config.support.survey_on_close else {
        return Ok(());
    };
    let Some(spec) = prompts::spec(tx, &state.config, name.get_ref())? else {
        return Ok(());
    };
    if tx.opted_out(&conv.number)? {
        return Ok(());
    }
    // Not twice within its window: a low score reopens the conversation, and closing it again
    // must not ask the unhappy customer once more.
    let window =
        jiff::SignedDuration::from_secs(i64::try_from(spec.window_secs).unwrap_or(i64::MAX));
    let since = now.checked_sub(window).unwrap_or(jiff::Timestamp::MIN);
    if tx.prompted_since(&conv.number, &spec.name, since)? {
        return Ok(());
    }
    let ask = Ask {
        spec: &spec,
        to: conv.number.clone(),
        send_at: None,
        reference: Some(conv.id.clone()),
        origin: Origin::Auto,
        created_by: caller.to_owned(),
        conversation: Some(conv.id.clone()),
        assignee: Some(conv.assignee.clone().unwrap_or_else(|| caller.to_owned())),
    };
    // A survey that cannot be sent (a placeholder the contact cannot fill) never stops the close.
    match prompts::send(tx, &state.config, state.rules.policy(), &ask, now) {
        Ok(_) => Ok(()),
        Err(e @ (crate::store::Error::Invalid(_) | crate::store::Error::OptedOut { .. })) => {
            tracing::warn!(conversation = %conv.id, prompt = %spec.name, error = %e, "survey on close not sent");
            Ok(())
        }
        Err(e) => Err(e),
    }
}
