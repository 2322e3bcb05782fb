//! Daily support-line reports: per local day of a time zone,
//! outbound recipients by state, delivery and sent rates, failures by cause, inbound volume,
//! first-response and resolution times, consent changes, and outbound volume by origin.
//!
//! Which day a record belongs to:
//!
//! | figure | counted on the local day of |
//! |---|---|
//! | outbound (by state, by origin, failures) | the recipient's `created_at` (when it was accepted), in its state *now* |
//! | inbound | the message's `completed_at` (assembled) |
//! | first response | the episode's `first_response_at`; duration from `opened_at` |
//! | resolution | the episode's `resolved_at`; duration from `opened_at` |
//! | opt-outs, opt-ins | the `consent_log` row's `at` |
//!
//! Each figure is one SQL aggregate over the whole range: the day boundaries (computed here with
//! the zone's rules, so a 23- or 25-hour day is right) are passed as one JSON array and joined
//! as a table, and every table is read through an index on the time it is counted by
//! (`outbound_recipients_created`, `inbound_messages_completed` from migration `0007_convo.sql`,
//! `episodes_first_response`, `episodes_resolved`, `consent_log_at`).

use std::collections::BTreeMap;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use rusqlite::Row;

use super::types::{Origin, State};
use super::{Error, Store, Tx, ms};

/// Most days one report covers (a leap year).
pub const MAX_REPORT_DAYS: usize = 366;

/// The shared head of every query: table `days(i, lo, hi)` from `?1`, a JSON array of
/// `[start_ms, end_ms]`, `i` counting from 0.
const DAYS: &str = "WITH days(i, lo, hi) AS (SELECT CAST(key AS INTEGER), \
     json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?1))";

/// Outbound recipients by state, and their origins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutboundCounts {
    by_state: [u64; State::ALL.len()],
    by_origin: [u64; 4],
}

impl OutboundCounts {
    /// Recipients in `state`.
    pub fn get(&self, state: State) -> u64 {
        self.by_state[state as usize]
    }

    /// Recipients queued with `origin`.
    pub fn origin(&self, origin: Origin) -> u64 {
        self.by_origin[origin_index(origin)]
    }

    /// Every recipient accepted that day.
    pub fn total(&self) -> u64 {
        self.by_state.iter().sum()
    }

    /// Recipients that left the queue other than by being cancelled: `sent`, `delivered`,
    /// `failed`, `expired` and `unknown`. The denominator of both rates.
    pub fn attempted(&self) -> u64 {
        [
            State::Sent,
            State::Delivered,
            State::Failed,
            State::Expired,
            State::Unknown,
        ]
        .into_iter()
        .map(|s| self.get(s))
        .sum()
    }
}

fn origin_index(o: Origin) -> usize {
    match o {
        Origin::Api => 0,
        Origin::Reply => 1,
        Origin::Auto => 2,
        Origin::Bulk => 3,
    }
}

/// Count, mean, median and 90th percentile of a set of durations, in seconds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DurationStats {
    pub count: u64,
    pub mean_secs: Option<f64>,
    /// The middle value; the mean of the two middle values for an even count.
    pub median_secs: Option<f64>,
    /// Nearest rank: the ⌈0.9·n⌉-th smallest value.
    pub p90_secs: Option<f64>,
}

impl DurationStats {
    /// The statistics of durations given in milliseconds (negative ones count as 0).
    pub fn from_millis(mut values: Vec<i64>) -> DurationStats {
        if values.is_empty() {
            return DurationStats::default();
        }
        for v in &mut values {
            *v = (*v).max(0);
        }
        values.sort_unstable();
        let n = values.len();
        let secs = |v: i64| v as f64 / 1000.0;
        let sum: i128 = values.iter().map(|&v| i128::from(v)).sum();
        let median = if n % 2 == 1 {
            secs(values[n / 2])
        } else {
            (secs(values[n / 2 - 1]) + secs(values[n / 2])) / 2.0
        };
        // ⌈0.9·n⌉ in integers, as a 0-based index.
        let rank = (9 * n).div_ceil(10).max(1);
        DurationStats {
            count: n as u64,
            mean_secs: Some(sum as f64 / n as f64 / 1000.0),
            median_secs: Some(median),
            p90_secs: Some(secs(values[rank - 1])),
        }
    }
}

/// One local day's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct DayReport {
    pub date: Date,
    /// Recipients accepted that day, by their state now and by origin.
    pub outbound: OutboundCounts,
    /// `failed`, `expired` and `unknown` recipients accepted that day by [`failure_cause`].
    pub failures_by_cause: BTreeMap<String, u64>,
    /// Inbound messages assembled that day.
    pub inbound: u64,
    /// Episodes first answered by a person that day.
    pub first_response: DurationStats,
    /// Episodes closed that day.
    pub resolution: DurationStats,
    /// Numbers that opted out that day (consent changes, so a repeated STOP counts once).
    pub opt_outs: u64,
    /// Numbers that opted back in that day.
    pub opt_ins: u64,
}

impl DayReport {
    fn empty(date: Date) -> DayReport {
        DayReport {
            date,
            outbound: OutboundCounts::default(),
            failures_by_cause: BTreeMap::new(),
            inbound: 0,
            first_response: DurationStats::default(),
            resolution: DurationStats::default(),
            opt_outs: 0,
            opt_ins: 0,
        }
    }

    /// `delivered ÷ attempted` ([`OutboundCounts::attempted`]); `None` when nothing was
    /// attempted. A network that sends no status reports leaves messages `sent`, which this
    /// counts as not (yet) delivered: read it with [`sent_rate`](Self::sent_rate).
    pub fn delivery_rate(&self) -> Option<f64> {
        let o = &self.outbound;
        ratio(o.get(State::Delivered), o.attempted())
    }

    /// `(sent + delivered) ÷ attempted`: the share the network accepted.
    pub fn sent_rate(&self) -> Option<f64> {
        let o = &self.outbound;
        ratio(o.get(State::Sent) + o.get(State::Delivered), o.attempted())
    }
}

fn ratio(n: u64, d: u64) -> Option<f64> {
    (d > 0).then(|| n as f64 / d as f64)
}

/// A stable key for why a recipient did not get its message, from its state and the error the
/// dispatcher or a status report stored:
///
/// | error text | key |
/// |---|---|
/// | `+CMS ERROR: 331 (...)` | `cms_331` |
/// | `+CME ERROR: 10 (...)` | `cme_10` |
/// | `status report: TP-ST 0x41` | `tp_st_0x41` |
/// | `no response within ...` | `timeout` |
/// | `interrupted while sending (restart)` | `restart` |
/// | state `expired` | `expired` |
/// | anything else, or none | the state: `failed`, `unknown` |
///
/// The first match wins, so an error with a code keeps it after `; given up after an unknown
/// outcome` was appended.
pub fn failure_cause(state: State, error: Option<&str>) -> String {
    let error = error.unwrap_or_default();
    let code = |tag: &str| -> Option<String> {
        let rest = &error[error.find(tag)? + tag.len()..];
        let digits: String = rest
            .trim_start()
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        (!digits.is_empty()).then_some(digits)
    };
    if let Some(c) = code("CMS ERROR:") {
        return format!("cms_{c}");
    }
    if let Some(c) = code("CME ERROR:") {
        return format!("cme_{c}");
    }
    if let Some(i) = error.find("TP-ST 0x") {
        let hex: String = error[i + "TP-ST 0x".len()..]
            .chars()
            .take_while(char::is_ascii_hexdigit)
            .collect();
        if !hex.is_empty() {
            return format!("tp_st_0x{}", hex.to_ascii_lowercase());
        }
    }
    if error.starts_with("no response within") {
        return "timeout".to_owned();
    }
    if error.starts_with("interrupted while sending") {
        return "restart".to_owned();
    }
    state.as_str().to_owned()
}

/// The local days `from..=to` in `tz` as `[start, end)` millisecond ranges.
pub(crate) fn day_bounds(
    from: Date,
    to: Date,
    tz: &TimeZone,
) -> Result<Vec<(Date, i64, i64)>, Error> {
    if from > to {
        return Err(Error::Invalid(format!(
            "the range {from}..{to} is reversed"
        )));
    }
    let start = |d: Date| -> Result<i64, Error> {
        let z = d
            .to_zoned_datetime(tz.clone())
            .and_then(|z| z.start_of_day())
            .map_err(|e| Error::Invalid(format!("the day {d}: {e}")))?;
        Ok(ms(z.timestamp()))
    };
    let mut days = Vec::new();
    let mut d = from;
    let mut lo = start(d)?;
    loop {
        if days.len() == MAX_REPORT_DAYS {
            return Err(Error::Invalid(format!(
                "{from}..{to} is more than {MAX_REPORT_DAYS} days"
            )));
        }
        let next = d
            .tomorrow()
            .map_err(|e| Error::Invalid(format!("the day after {d}: {e}")))?;
        let hi = start(next)?;
        days.push((d, lo, hi));
        if d == to {
            return Ok(days);
        }
        (d, lo) = (next, hi);
    }
}

/// Column 0, the day's index (never negative: it is a JSON array index).
fn index(r: &Row<'_>) -> rusqlite::Result<usize> {
    Ok(usize::try_from(r.get::<_, i64>(0)?).unwrap_or(usize::MAX))
}

/// A `COUNT(*)` column.
fn count(r: &Row<'_>, col: usize) -> rusqlite::Result<u64> {
    Ok(u64::try_from(r.get::<_, i64>(col)?).unwrap_or(0))
}

impl Store {
    /// The report of each local day `from..=to` in `tz` (at most [`MAX_REPORT_DAYS`]).
    pub async fn daily_report(
        &self,
        from: jiff::civil::Date,
        to: jiff::civil::Date,
        tz: jiff::tz::TimeZone,
    ) -> Result<Vec<DayReport>, Error> {
        self.read(move |tx| tx.daily_report(from, to, &tz)).await
    }
}

impl Tx<'_> {
    /// The report for each local day `from..=to` (at most [`MAX_REPORT_DAYS`]) in `tz`.
    fn daily_report(&self, from: Date, to: Date, tz: &TimeZone) -> Result<Vec<DayReport>, Error> {
        let bounds = day_bounds(from, to, tz)?;
        let json = serde_json::to_string(
            &bounds
                .iter()
                .map(|&(_, lo, hi)| [lo, hi])
                .collect::<Vec<_>>(),
        )
        .map_err(|e| Error::Invalid(e.to_string()))?;
        let mut days: Vec<DayReport> = bounds.iter().map(|b| DayReport::empty(b.0)).collect();
        // `i` comes from the array just built, so it always indexes `days`; `get_mut` keeps a
        // surprise from panicking.
        // CROSS JOIN keeps `days` the outer loop, so each day is an index range scan.
        let mut stmt = self.conn.prepare_cached(&format!(
            "{DAYS} SELECT d.i, r.state, m.origin, \
               CASE WHEN r.state IN ('failed', 'expired', 'unknown') THEN r.error END AS err, \
               COUNT(*) \
             FROM days d CROSS JOIN outbound_recipients r \
             JOIN outbound_messages m ON m.id = r.message_id \
             WHERE r.created_at >= d.lo AND r.created_at < d.hi \
             GROUP BY d.i, r.state, m.origin, err"
        ))?;
        let mut rows = stmt.query([&json])?;
        while let Some(r) = rows.next()? {
            let (i, state, origin): (usize, State, Origin) = (index(r)?, r.get(1)?, r.get(2)?);
            let (err, n): (Option<String>, u64) = (r.get(3)?, count(r, 4)?);
            let Some(d) = days.get_mut(i) else { continue };
            d.outbound.by_state[state as usize] += n;
            d.outbound.by_origin[origin_index(origin)] += n;
            if matches!(state, State::Failed | State::Expired | State::Unknown) {
                *d.failures_by_cause
                    .entry(failure_cause(state, err.as_deref()))
                    .or_default() += n;
            }
        }

        let mut stmt = self.conn.prepare_cached(&format!(
            "{DAYS} SELECT d.i, COUNT(*) FROM days d CROSS JOIN inbound_messages x \
             WHERE x.completed_at >= d.lo AND x.completed_at < d.hi GROUP BY d.i"
        ))?;
        let mut rows = stmt.query([&json])?;
        while let Some(r) = rows.next()? {
            if let Some(d) = days.get_mut(index(r)?) {
                d.inbound = count(r, 1)?;
            }
        }

        let mut stmt = self.conn.prepare_cached(&format!(
            "{DAYS} SELECT d.i, x.opted_out, COUNT(*) FROM days d CROSS JOIN consent_log x \
             WHERE x.at >= d.lo AND x.at < d.hi GROUP BY d.i, x.opted_out"
        ))?;
        let mut rows = stmt.query([&json])?;
        while let Some(r) = rows.next()? {
            let (i, out, n): (usize, bool, u64) = (index(r)?, r.get(1)?, count(r, 2)?);
            if let Some(d) = days.get_mut(i) {
                if out {
                    d.opt_outs = n;
                } else {
                    d.opt_ins = n;
                }
            }
        }

        // Durations are few (one per episode), so they come back whole for the percentiles.
        for (column, first) in [("first_response_at", true), ("resolved_at", false)] {
            let mut per_day: Vec<Vec<i64>> = vec![Vec::new(); bounds.len()];
            let mut stmt = self.conn.prepare_cached(&format!(
                "{DAYS} SELECT d.i, e.{column} - e.opened_at FROM days d CROSS JOIN episodes e \
                 WHERE e.{column} >= d.lo AND e.{column} < d.hi"
            ))?;
            let mut rows = stmt.query([&json])?;
            while let Some(r) = rows.next()? {
                if let Some(v) = per_day.get_mut(index(r)?) {
                    v.push(r.get(1)?);
                }
            }
            for (i, values) in per_day.into_iter().enumerate() {
                if let Some(d) = days.get_mut(i) {
                    let stats = DurationStats::from_millis(values);
                    if first {
                        d.first_response = stats;
                    } else {
                        d.resolution = stats;
                    }
                }
            }
        }
        Ok(days)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_cause_table() {
        let cases: &[(&str, State, Option<&str>, &str)] = &[
            (
                "cms with text",
                State::Failed,
                Some("+CMS ERROR: 331 (no network service)"),
                "cms_331",
            ),
            (
                "cms bare",
                State::Failed,
                Some("+CMS ERROR: 500"),
                "cms_500",
            ),
            (
                "cme",
                State::Failed,
                Some("+CME ERROR: 10 (SIM not inserted)"),
                "cme_10",
            ),
            (
                "cms given up",
                State::Failed,
                Some("+CMS ERROR: 500; given up after an unknown outcome"),
                "cms_500",
            ),
            (
                "status report",
                State::Failed,
                Some("status report: TP-ST 0x41"),
                "tp_st_0x41",
            ),
            (
                "timeout",
                State::Unknown,
                Some("no response within 60s"),
                "timeout",
            ),
            (
                "restart",
                State::Unknown,
                Some("interrupted while sending (restart)"),
                "restart",
            ),
            ("ttl", State::Expired, Some("ttl expired"), "expired"),
            (
                "cms without code",
                State::Failed,
                Some("+CMS ERROR: x"),
                "failed",
            ),
            (
                "other text",
                State::Failed,
                Some("modem answered ERROR"),
                "failed",
            ),
            ("no error", State::Unknown, None, "unknown"),
        ];
        for (name, state, error, want) in cases {
            assert_eq!(failure_cause(*state, *error), *want, "{name}");
        }
    }

    #[test]
    fn duration_stats_table() {
        let cases: &[(&str, Vec<i64>, u64, Option<f64>, Option<f64>, Option<f64>)] = &[
            ("none", vec![], 0, None, None, None),
            ("one", vec![1500], 1, Some(1.5), Some(1.5), Some(1.5)),
            (
                "odd",
                vec![30_000, 10_000, 20_000],
                3,
                Some(20.0),
                Some(20.0),
                Some(30.0),
            ),
            (
                "even: median between the middles",
                vec![40_000, 10_000, 20_000, 30_000],
                4,
                Some(25.0),
                Some(25.0),
                Some(40.0),
            ),
            (
                "ten: p90 is the 9th",
                (1..=10).map(|s| s * 1000).collect(),
                10,
                Some(5.5),
                Some(5.5),
                Some(9.0),
            ),
            (
                "negative is 0",
                vec![-5],
                1,
                Some(0.0),
                Some(0.0),
                Some(0.0),
            ),
        ];
        for (name, values, count, mean, median, p90) in cases {
            let s = DurationStats::from_millis(values.clone());
            assert_eq!(
                (s.count, s.mean_secs, s.median_secs, s.p90_secs),
                (*count, *mean, *median, *p90),
                "{name}"
            );
        }
    }

    #[test]
    fn day_bounds_follow_the_zone() {
        let d = |s: &str| s.parse::<Date>().unwrap();
        let tokyo = TimeZone::get("Asia/Tokyo").unwrap();
        let b = day_bounds(d("2026-11-23"), d("2026-11-24"), &tokyo).unwrap();
        // 2026-11-23T00:00+09:00 is 2026-11-22T15:00Z.
        let t = |s: &str| s.parse::<jiff::Timestamp>().unwrap().as_millisecond();
        assert_eq!(
            b,
            vec![
                (
                    d("2026-11-23"),
                    t("2026-11-22T15:00Z"),
                    t("2026-11-23T15:00Z")
                ),
                (
                    d("2026-11-24"),
                    t("2026-11-23T15:00Z"),
                    t("2026-11-24T15:00Z")
                ),
            ]
        );
        // A 23-hour day where the clocks go forward.
        let berlin = TimeZone::get("Europe/Berlin").unwrap();
        let b = day_bounds(d("2026-03-29"), d("2026-03-29"), &berlin).unwrap();
        assert_eq!(b[0].2 - b[0].1, 23 * 3600 * 1000);

        assert!(day_bounds(d("2026-01-02"), d("2026-01-01"), &tokyo).is_err());
        assert_eq!(
            day_bounds(d("2024-01-01"), d("2024-12-31"), &tokyo)
                .unwrap()
                .len(),
            366
        );
        assert!(day_bounds(d("2024-01-01"), d("2025-01-01"), &tokyo).is_err());
    }
}
