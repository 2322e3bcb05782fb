//! Prompts sent and their answers: a question that expects an answer from one number within a
//! window ([`crate::rules::prompt`]), recorded beside the message that asks it.
//!
//! A prompt is `waiting` until the first recognised answer inside its window (`answered`) or the
//! window's end (`expired`). One whose question could not be sent reads as `failed`.

use jiff::Timestamp;
use rusqlite::{OptionalExtension, Row, params};

use super::ids::new_id;
use super::{Error, Store, Tx, ms, opt_ts, ts};

/// A prompt to record, its question already queued as `message_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPromptSent {
    pub name: String,
    /// `csat`, `nps` or `choice`.
    pub kind: String,
    pub number: String,
    pub reference: Option<String>,
    pub message_id: String,
    /// The question's send time: the window opens then.
    pub sent_at: Timestamp,
    pub window_secs: u64,
    /// `survey_on_close`: the conversation whose episode it closes, and who resolved it.
    pub conversation: Option<String>,
    pub assignee: Option<String>,
}

/// A prompt sent, with its answer once there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromptSent {
    /// `pr_...`.
    pub id: String,
    pub name: String,
    pub kind: String,
    pub number: String,
    pub reference: Option<String>,
    pub message_id: Option<String>,
    /// `waiting`, `answered`, `expired`, or `failed` (the question could not be sent).
    pub state: String,
    pub answer: Option<String>,
    pub score: Option<u32>,
    pub choice: Option<String>,
    pub reasked: bool,
    pub assignee: Option<String>,
    pub sent_at: Timestamp,
    pub expires_at: Timestamp,
    pub answered_at: Option<Timestamp>,
}

const COLS: &str = "p.id, p.name, p.kind, p.number, p.ref, p.message_id, \
     CASE WHEN p.state = 'waiting' AND (m.id IS NULL OR m.state IN ('failed', 'expired', 'cancelled')) \
          THEN 'failed' ELSE p.state END, \
     p.answer, p.score, p.choice, p.reasked, p.assignee, p.sent_at, p.expires_at, p.answered_at";
const FROM: &str = "prompts_sent p LEFT JOIN outbound_messages m ON m.id = p.message_id";

fn row(r: &Row<'_>) -> rusqlite::Result<PromptSent> {
    Ok(PromptSent {
        id: r.get(0)?,
        name: r.get(1)?,
        kind: r.get(2)?,
        number: r.get(3)?,
        reference: r.get(4)?,
        message_id: r.get(5)?,
        state: r.get(6)?,
        answer: r.get(7)?,
        score: r.get(8)?,
        choice: r.get(9)?,
        reasked: r.get(10)?,
        assignee: r.get(11)?,
        sent_at: ts(r.get(12)?)?,
        expires_at: ts(r.get(13)?)?,
        answered_at: opt_ts(r.get(14)?)?,
    })
}

/// Prompts ended by one expiry sweep at most; the rest wait for the next.
const EXPIRE_BATCH: i64 = 500;

impl Store {
    /// Prompt `id`.
    pub async fn get_prompt_sent(&self, id: &str) -> Result<PromptSent, Error> {
        let id = id.to_owned();
        self.read(move |tx| tx.get_prompt_sent(&id)).await
    }

    /// Prompts whose question was due on the local days `from..=to` in `tz`, oldest first (for
    /// the report).
    pub async fn prompts_on_days(
        &self,
        from: jiff::civil::Date,
        to: jiff::civil::Date,
        tz: jiff::tz::TimeZone,
    ) -> Result<Vec<PromptSent>, Error> {
        let days = super::support_reports::day_bounds(from, to, &tz)?;
        let (Some(first), Some(last)) = (days.first(), days.last()) else {
            return Ok(Vec::new());
        };
        let (lo, hi) = (first.1, last.2);
        self.read(move |tx| {
            let mut stmt = tx.conn.prepare_cached(&format!(
                "SELECT {COLS} FROM {FROM} WHERE p.sent_at >= ?1 AND p.sent_at < ?2 \
                 ORDER BY p.sent_at"
            ))?;
            let rows = stmt
                .query_map(params![lo, hi], row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
        .await
    }
}

impl Store {
    /// Replaces the prompts managed through the API, all or nothing.
    pub async fn replace_prompts(
        &self,
        specs: Vec<crate::rules::prompt::PromptSpec>,
        caller: &str,
        now: Timestamp,
    ) -> Result<(), Error> {
        let caller = caller.to_owned();
        self.write(move |tx| {
            tx.audit(&caller, "prompts.replace", None, now)?;
            tx.conn.execute("DELETE FROM prompts", [])?;
            let mut insert = tx.conn.prepare_cached(
                "INSERT INTO prompts (name, spec, updated_at) VALUES (?1, ?2, ?3)",
            )?;
            for s in &specs {
                let json = serde_json::to_string(s).map_err(|e| Error::Invalid(e.to_string()))?;
                insert.execute(params![s.name, json, ms(now)])?;
            }
            Ok(())
        })
        .await
    }
}

impl Tx<'_> {
    /// The prompts managed through the API, by name. A row that no longer reads as a prompt
    /// (written by a newer smsgate) is skipped with a warning.
    pub fn api_prompts(&self) -> Result<Vec<crate::rules::prompt::PromptSpec>, Error> {
        let rows = self
            .conn
            .prepare_cached("SELECT name, spec FROM prompts ORDER BY name")?
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows
            .into_iter()
            .filter_map(|(name, spec)| match serde_json::from_str(&spec) {
                Ok(s) => Some(s),
                Err(e) => {
                    tracing::warn!(prompt = %name, error = %e, "stored prompt unreadable; skipped");
                    None
                }
            })
            .collect())
    }

    /// Records a prompt whose question is queued; with a conversation, once per episode
    /// ([`Error::Conflict`]-free: `None` when its episode already had this prompt).
    pub fn record_prompt(
        &self,
        p: &NewPromptSent,
        now: Timestamp,
    ) -> Result<Option<PromptSent>, Error> {
        let episode: Option<i64> = match &p.conversation {
            None => None,
            Some(c) => self
                .conn
                .prepare_cached("SELECT episode FROM conversations WHERE id = ?1")?
                .query_row([c], |r| r.get(0))
                .optional()?,
        };
        let id = new_id("pr_", ms(now));
        let window = i64::try_from(p.window_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
        // Capped at the latest time a timestamp can name, so the row always reads back.
        let expires_at = ms(p.sent_at)
            .saturating_add(window)
            .min(Timestamp::MAX.as_second().saturating_mul(1000));
        let inserted = self
            .conn
            .prepare_cached(
                "INSERT OR IGNORE INTO prompts_sent (id, name, kind, number, ref, message_id, \
                 episode, assignee, state, sent_at, expires_at, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'waiting', ?9, ?10, ?11)",
            )?
            .execute(params![
                id,
                p.name,
                p.kind,
                p.number,
                p.reference,
                p.message_id,
                episode,
                p.assignee,
                ms(p.sent_at),
                expires_at,
                ms(now)
            ])?;
        if inserted == 0 {
            return Ok(None);
        }
        self.get_prompt_sent(&id).map(Some)
    }

    /// Whether conversation `conversation`'s current episode already had prompt `name`.
    pub fn episode_prompted(&self, conversation: &str, name: &str) -> Result<bool, Error> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT 1 FROM prompts_sent WHERE name = ?2 AND episode = \
                 (SELECT episode FROM conversations WHERE id = ?1)",
            )?
            .query_row(params![conversation, name], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// Prompt `id`.
    pub fn get_prompt_sent(&self, id: &str) -> Result<PromptSent, Error> {
        self.conn
            .prepare_cached(&format!("SELECT {COLS} FROM {FROM} WHERE p.id = ?1"))?
            .query_row([id], row)
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("prompt {id}")))
    }

    /// The prompts `number` may be answering at `at`, newest first: still waiting, their
    /// question handed to a modem (sent, delivered, or unknown: written but unconfirmed), their
    /// window open. A few at most.
    pub fn waiting_prompts(&self, number: &str, at: Timestamp) -> Result<Vec<PromptSent>, Error> {
        let rows = self
            .conn
            .prepare_cached(&format!(
                "SELECT {COLS} FROM {FROM} WHERE p.number = ?1 AND p.state = 'waiting' \
                 AND p.sent_at <= ?2 AND p.expires_at > ?2 \
                 AND m.state IN ('sent', 'delivered', 'unknown') \
                 ORDER BY p.sent_at DESC, p.id DESC LIMIT 5"
            ))?
            .query_map(params![number, ms(at)], row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Whether `number` was sent prompt `name` at or after `since`.
    pub fn prompted_since(
        &self,
        number: &str,
        name: &str,
        since: Timestamp,
    ) -> Result<bool, Error> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT 1 FROM prompts_sent WHERE number = ?1 AND name = ?2 AND created_at >= ?3 \
                 LIMIT 1",
            )?
            .query_row(params![number, name, ms(since)], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// Records the answer to prompt `id` (a score or a choice).
    pub fn answer_prompt(
        &self,
        id: &str,
        answer: &str,
        score: Option<u32>,
        choice: Option<&str>,
        now: Timestamp,
    ) -> Result<PromptSent, Error> {
        let n = self
            .conn
            .prepare_cached(
                "UPDATE prompts_sent SET state = 'answered', answer = ?2, score = ?3, choice = ?4, \
                 answered_at = ?5 WHERE id = ?1 AND state = 'waiting'",
            )?
            .execute(params![id, answer, score, choice, ms(now)])?;
        if n == 0 {
            return Err(Error::Invalid(format!("prompt {id} is not waiting")));
        }
        self.get_prompt_sent(id)
    }

    /// Notes that prompt `id` was asked again after an answer it could not read.
    pub fn reask_prompt(&self, id: &str) -> Result<(), Error> {
        self.conn
            .prepare_cached("UPDATE prompts_sent SET reasked = 1 WHERE id = ?1")?
            .execute([id])?;
        Ok(())
    }

    /// Ends up to [`EXPIRE_BATCH`] prompts whose window closed unanswered: `expired`, returned
    /// (for their event); or `failed`, not returned, when their question never went out.
    pub fn expire_prompts(&self, now: Timestamp) -> Result<Vec<PromptSent>, Error> {
        let due = self
            .conn
            .prepare_cached(&format!(
                "SELECT {COLS} FROM {FROM} WHERE p.state = 'waiting' AND p.expires_at <= ?1 \
                 LIMIT ?2"
            ))?
            .query_map(params![ms(now), EXPIRE_BATCH], row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut out = Vec::with_capacity(due.len());
        for mut p in due {
            let state = if p.state == "failed" {
                "failed"
            } else {
                "expired"
            };
            self.conn
                .prepare_cached("UPDATE prompts_sent SET state = ?2 WHERE id = ?1")?
                .execute(params![p.id, state])?;
            if state == "expired" {
                p.state = state.to_owned();
                out.push(p);
            }
        }
        Ok(out)
    }
}

/// One prompt's figures over a set of prompts sent (a local day, or a staff member's surveys).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct PromptFigures {
    /// Questions that went out, or are waiting to (not `failed`).
    pub sent: u64,
    pub answered: u64,
    pub expired: u64,
    /// `answered / sent`; `None` when nothing was sent.
    pub response_rate: Option<f64>,
    /// csat: the share of answers that are 4 or 5, in percent.
    pub csat_pct: Option<f64>,
    /// csat and nps: the mean score.
    pub mean_score: Option<f64>,
    /// nps: promoters (9-10) minus detractors (0-6), in percent of the answers.
    pub nps: Option<f64>,
    /// choice: answers per choice.
    pub choices: std::collections::BTreeMap<String, u64>,
    /// Seconds from the question's time to the answer: the middle value (the mean of the two
    /// middle ones for an even count).
    pub median_answer_secs: Option<f64>,
}

/// A prompt's figures per local day, and per staff member for surveys sent on closing.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PromptTally {
    pub name: String,
    pub kind: String,
    /// `YYYY-MM-DD` in the report's zone -> figures; days without a prompt are left out.
    pub days: std::collections::BTreeMap<String, PromptFigures>,
    /// Assignee -> figures of the surveys sent when they closed a conversation.
    pub staff: std::collections::BTreeMap<String, PromptFigures>,
}

/// Tallies `prompts` per name and local day in `tz` (what `GET /api/v1/reports/prompts` shows).
pub fn tally(prompts: &[PromptSent], tz: &jiff::tz::TimeZone) -> Vec<PromptTally> {
    use std::collections::BTreeMap;
    let mut groups: BTreeMap<
        &str,
        (
            String,
            BTreeMap<String, Vec<&PromptSent>>,
            BTreeMap<String, Vec<&PromptSent>>,
        ),
    > = BTreeMap::new();
    for p in prompts {
        let g = groups
            .entry(&p.name)
            .or_insert_with(|| (p.kind.clone(), BTreeMap::new(), BTreeMap::new()));
        let day = tz.to_datetime(p.sent_at).date().to_string();
        g.1.entry(day).or_default().push(p);
        if let Some(a) = &p.assignee {
            g.2.entry(a.clone()).or_default().push(p);
        }
    }
    groups
        .into_iter()
        .map(|(name, (kind, days, staff))| PromptTally {
            name: name.to_owned(),
            days: days
                .into_iter()
                .map(|(d, ps)| (d, figures(&kind, &ps)))
                .collect(),
            staff: staff
                .into_iter()
                .map(|(a, ps)| (a, figures(&kind, &ps)))
                .collect(),
            kind,
        })
        .collect()
}

/// Each prompt's figures over all of `prompts` (name, kind, figures), by name.
pub fn totals(prompts: &[PromptSent]) -> Vec<(String, String, PromptFigures)> {
    let mut groups: std::collections::BTreeMap<&str, Vec<&PromptSent>> = Default::default();
    for p in prompts {
        groups.entry(&p.name).or_default().push(p);
    }
    groups
        .into_iter()
        .map(|(name, ps)| {
            let kind = ps[0].kind.clone();
            let f = figures(&kind, &ps);
            (name.to_owned(), kind, f)
        })
        .collect()
}

fn figures(kind: &str, prompts: &[&PromptSent]) -> PromptFigures {
    let mut f = PromptFigures::default();
    let mut scores = Vec::new();
    let mut waits = Vec::new();
    for p in prompts {
        if p.state == "failed" {
            continue;
        }
        f.sent += 1;
        match p.state.as_str() {
            "answered" => {
                f.answered += 1;
                if let Some(s) = p.score {
                    scores.push(f64::from(s));
                }
                if let Some(c) = &p.choice {
                    *f.choices.entry(c.clone()).or_default() += 1;
                }
                if let Some(at) = p.answered_at {
                    waits.push(at.duration_since(p.sent_at).as_secs_f64());
                }
            }
            "expired" => f.expired += 1,
            _ => {}
        }
    }
    let share = |n: usize, of: usize| (of > 0).then(|| 100.0 * n as f64 / of as f64);
    f.response_rate = (f.sent > 0).then(|| f.answered as f64 / f.sent as f64);
    if !scores.is_empty() {
        f.mean_score = Some(scores.iter().sum::<f64>() / scores.len() as f64);
    }
    match kind {
        "csat" => f.csat_pct = share(scores.iter().filter(|s| **s >= 4.0).count(), scores.len()),
        "nps" => {
            let promoters = share(scores.iter().filter(|s| **s >= 9.0).count(), scores.len());
            let detractors = share(scores.iter().filter(|s| **s <= 6.0).count(), scores.len());
            f.nps = promoters.zip(detractors).map(|(p, d)| p - d);
        }
        _ => {}
    }
    waits.sort_by(f64::total_cmp);
    f.median_answer_secs = match waits.len() {
        0 => None,
        n if n % 2 == 1 => Some(waits[n / 2]),
        n => Some((waits[n / 2 - 1] + waits[n / 2]) / 2.0),
    };
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A prompt sent at `sent` (UTC) in `state`, answered `wait` seconds later with `score` or
    /// `choice`.
    fn sent(
        name: &str,
        kind: &str,
        sent: &str,
        state: &str,
        answer: (Option<u32>, Option<&str>, i64),
        assignee: Option<&str>,
    ) -> PromptSent {
        let at: Timestamp = sent.parse().unwrap();
        let (score, choice, wait) = answer;
        PromptSent {
            id: format!("pr_{sent}"),
            name: name.into(),
            kind: kind.into(),
            number: "+819000000000".into(),
            reference: None,
            message_id: None,
            state: state.into(),
            answer: None,
            score,
            choice: choice.map(str::to_owned),
            reasked: false,
            assignee: assignee.map(str::to_owned),
            sent_at: at,
            expires_at: at,
            answered_at: (state == "answered").then(|| {
                at.checked_add(jiff::SignedDuration::from_secs(wait))
                    .unwrap()
            }),
        }
    }

    #[test]
    fn the_report_tallies_a_table_of_answers_per_local_day_and_staff_member() {
        let none = (None, None, 0);
        let score = |s, wait| (Some(s), None, wait);
        let choice = |c, wait| (None, Some(c), wait);
        // Asia/Tokyo: 15:00 UTC is midnight.
        let rows = [
            sent(
                "csat",
                "csat",
                "2026-12-01T01:00:00Z",
                "answered",
                score(5, 60),
                Some("sato"),
            ),
            sent(
                "csat",
                "csat",
                "2026-12-01T02:00:00Z",
                "answered",
                score(4, 120),
                Some("sato"),
            ),
            sent(
                "csat",
                "csat",
                "2026-12-01T03:00:00Z",
                "answered",
                score(2, 30),
                None,
            ),
            sent(
                "csat",
                "csat",
                "2026-12-01T04:00:00Z",
                "expired",
                none,
                None,
            ),
            sent("csat", "csat", "2026-12-01T05:00:00Z", "failed", none, None),
            sent(
                "csat",
                "csat",
                "2026-12-01T14:59:59Z",
                "answered",
                score(1, 10),
                None,
            ),
            sent(
                "csat",
                "csat",
                "2026-12-01T15:00:00Z",
                "answered",
                score(3, 20),
                None,
            ),
            sent(
                "nps",
                "nps",
                "2026-12-01T01:00:00Z",
                "answered",
                score(10, 5),
                None,
            ),
            sent(
                "nps",
                "nps",
                "2026-12-01T01:01:00Z",
                "answered",
                score(9, 5),
                None,
            ),
            sent(
                "nps",
                "nps",
                "2026-12-01T01:02:00Z",
                "answered",
                score(7, 5),
                None,
            ),
            sent(
                "nps",
                "nps",
                "2026-12-01T01:03:00Z",
                "answered",
                score(3, 5),
                None,
            ),
            sent(
                "appt",
                "choice",
                "2026-12-01T01:00:00Z",
                "answered",
                choice("confirmed", 1),
                None,
            ),
            sent(
                "appt",
                "choice",
                "2026-12-01T01:01:00Z",
                "answered",
                choice("confirmed", 3),
                None,
            ),
            sent(
                "appt",
                "choice",
                "2026-12-01T01:02:00Z",
                "answered",
                choice("reschedule", 5),
                None,
            ),
            sent(
                "appt",
                "choice",
                "2026-12-01T01:03:00Z",
                "waiting",
                none,
                None,
            ),
        ];
        let tz = jiff::tz::TimeZone::get("Asia/Tokyo").unwrap();
        let tallies = tally(&rows, &tz);
        let get = |name: &str, day: &str| {
            tallies.iter().find(|t| t.name == name).unwrap().days[day].clone()
        };
        let round = |v: Option<f64>| v.map(|v| (v * 100.0).round() / 100.0);
        // (name, prompt, day, sent, answered, expired, rate, csat %, mean, nps, median secs)
        let cases = [
            (
                "csat first day",
                "csat",
                "2026-12-01",
                5,
                4,
                1,
                Some(0.8),
                Some(50.0),
                Some(3.0),
                None,
                Some(45.0),
            ),
            (
                "csat after midnight",
                "csat",
                "2026-12-02",
                1,
                1,
                0,
                Some(1.0),
                Some(0.0),
                Some(3.0),
                None,
                Some(20.0),
            ),
            (
                "nps",
                "nps",
                "2026-12-01",
                4,
                4,
                0,
                Some(1.0),
                None,
                Some(7.25),
                Some(25.0),
                Some(5.0),
            ),
            (
                "choice",
                "appt",
                "2026-12-01",
                4,
                3,
                0,
                Some(0.75),
                None,
                None,
                None,
                Some(3.0),
            ),
        ];
        for (name, prompt, day, s, a, e, rate, csat, mean, nps, median) in cases {
            let f = get(prompt, day);
            assert_eq!((f.sent, f.answered, f.expired), (s, a, e), "{name}");
            assert_eq!(round(f.response_rate), rate, "{name}");
            assert_eq!(round(f.csat_pct), csat, "{name}");
            assert_eq!(round(f.mean_score), mean, "{name}");
            assert_eq!(round(f.nps), nps, "{name}");
            assert_eq!(f.median_answer_secs, median, "{name}");
        }
        let appt = get("appt", "2026-12-01");
        assert_eq!(appt.choices["confirmed"], 2);
        assert_eq!(appt.choices["reschedule"], 1);
        let csat = tallies.iter().find(|t| t.name == "csat").unwrap();
        let sato = &csat.staff["sato"];
        assert_eq!(
            (sato.sent, sato.answered, sato.csat_pct),
            (2, 2, Some(100.0))
        );
        assert_eq!(csat.staff.len(), 1, "only surveys with an assignee");
    }
}
