//! The reports page: the last 30 local days of `GET /api/v1/reports/daily` (same store report,
//! same figures) as inline SVG charts, drawn on the server so the page needs no script:
//! messages in and out per day, the delivery rate, and the first-response time p50/p90.

use std::fmt::Write as _;

use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Html;
use axum::routing::get;
use axum::{Extension, Router};

use super::Chrome;
use super::auth::Staff;
use super::error::{DeskError, escape};
use crate::http::AppState;
use crate::http::reports::{DayView, default_report_tz};

/// Days shown, today included.
pub const DAYS: i64 = 30;

pub fn routes() -> Router<AppState> {
    Router::new().route("/reports", get(page))
}

/// One line or set of bars of a chart.
pub struct Series<'a> {
    pub name: &'a str,
    /// One value per label; `None`: no figure that day (no gap is drawn as zero).
    pub values: Vec<Option<f64>>,
}

/// How a chart draws its series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Side by side per label, from the baseline.
    Bars,
    /// A line per series, broken where a value is missing.
    Lines,
}

const W: f64 = 600.0;
const H: f64 = 160.0;
/// Room for the axis labels.
const LEFT: f64 = 40.0;
const BOTTOM: f64 = 18.0;
const TOP: f64 = 8.0;

/// An SVG chart of `series` over `labels`, scaled so the largest value (or `max`, when given)
/// reaches the top. Pure, so it is tested alone; with no data, or only zeros, it draws the
/// empty frame.
pub fn chart(
    kind: Kind,
    labels: &[String],
    series: &[Series<'_>],
    max: Option<f64>,
    unit: &str,
) -> String {
    let top = max.unwrap_or_else(|| {
        series
            .iter()
            .flat_map(|s| s.values.iter().flatten())
            .fold(0.0_f64, |a, &v| a.max(v))
    });
    let plot_h = H - TOP - BOTTOM;
    let plot_w = W - LEFT;
    let n = labels.len().max(1) as f64;
    let slot = plot_w / n;
    // Height of a value; everything is flat when there is nothing to scale to.
    let y = |v: f64| {
        let frac = if top > 0.0 {
            (v / top).clamp(0.0, 1.0)
        } else {
            0.0
        };
        TOP + plot_h - frac * plot_h
    };
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg class=\"chart-svg\" viewBox=\"0 0 {W} {H}\" width=\"100%\" role=\"img\" preserveAspectRatio=\"none\">"
    );
    // The frame and the top value, so the scale is readable.
    let base = TOP + plot_h;
    let _ = write!(
        svg,
        "<line class=\"axis\" x1=\"{LEFT}\" y1=\"{base}\" x2=\"{W}\" y2=\"{base}\"/>\
         <line class=\"axis\" x1=\"{LEFT}\" y1=\"{TOP}\" x2=\"{LEFT}\" y2=\"{base}\"/>\
         <text x=\"{}\" y=\"{}\" class=\"tick\" text-anchor=\"end\">{}{}</text>\
         <text x=\"{}\" y=\"{base}\" class=\"tick\" text-anchor=\"end\">0</text>",
        LEFT - 3.0,
        TOP + 8.0,
        fmt_num(top),
        escape(unit),
        LEFT - 3.0,
    );
    // First and last labels only: thirty dates do not fit under a phone-width chart.
    for (i, l) in labels.iter().enumerate() {
        if i == 0 || i + 1 == labels.len() {
            let anchor = if i == 0 { "start" } else { "end" };
            let x = if i == 0 { LEFT } else { W };
            let _ = write!(
                svg,
                "<text x=\"{x}\" y=\"{H}\" class=\"tick\" text-anchor=\"{anchor}\">{}</text>",
                escape(l)
            );
        }
    }
    let k = series.len().max(1) as f64;
    for (si, s) in series.iter().enumerate() {
        match kind {
            Kind::Bars => {
                let bw = (slot * 0.8) / k;
                for (i, v) in s.values.iter().enumerate() {
                    let Some(v) = *v else { continue };
                    let x = LEFT + slot * i as f64 + slot * 0.1 + bw * si as f64;
                    let top_y = y(v);
                    let h = base - top_y;
                    let label = labels.get(i).map(String::as_str).unwrap_or("");
                    let _ = write!(
                        svg,
                        "<rect class=\"s{si}\" x=\"{x:.1}\" y=\"{top_y:.1}\" width=\"{bw:.1}\" height=\"{h:.1}\">\
                         <title>{} {}: {}{}</title></rect>",
                        escape(label),
                        escape(s.name),
                        fmt_num(v),
                        escape(unit)
                    );
                }
            }
            Kind::Lines => {
                let mut run: Vec<String> = Vec::new();
                let flush = |run: &mut Vec<String>, svg: &mut String| {
                    if run.len() > 1 {
                        let _ = write!(
                            svg,
                            "<polyline class=\"l{si}\" points=\"{}\"/>",
                            run.join(" ")
                        );
                    }
                    run.clear();
                };
                for (i, v) in s.values.iter().enumerate() {
                    let x = LEFT + slot * (i as f64 + 0.5);
                    match v {
                        Some(v) => {
                            let yy = y(*v);
                            run.push(format!("{x:.1},{yy:.1}"));
                            let label = labels.get(i).map(String::as_str).unwrap_or("");
                            let _ = write!(
                                svg,
                                "<circle class=\"l{si}\" cx=\"{x:.1}\" cy=\"{yy:.1}\" r=\"2\"><title>{} {}: {}{}</title></circle>",
                                escape(label),
                                escape(s.name),
                                fmt_num(*v),
                                escape(unit)
                            );
                        }
                        None => flush(&mut run, &mut svg),
                    }
                }
                flush(&mut run, &mut svg);
            }
        }
    }
    svg.push_str("</svg>");
    svg
}

/// A figure without needless decimals: `12`, `97.5`.
fn fmt_num(v: f64) -> String {
    if (v - v.round()).abs() < 0.05 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// A legend entry: the series' class and name.
pub struct Legend {
    pub class: String,
    pub name: String,
}

pub struct ChartView {
    pub title: String,
    pub svg: String,
    pub legend: Vec<Legend>,
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportsPage {
    chrome: Chrome,
    from: String,
    to: String,
    tz: String,
    charts: Vec<ChartView>,
    inbound: u64,
    outbound: u64,
    delivered: u64,
    prompts: Vec<PromptRow>,
    staff: Vec<PromptRow>,
}

/// One line of the prompts table: a prompt over the days shown, or one staff member's surveys.
struct PromptRow {
    name: String,
    sent: u64,
    answered: u64,
    rate: String,
    score: String,
    choices: String,
    median: String,
}

impl PromptRow {
    fn new(name: String, kind: &str, f: &crate::store::PromptFigures) -> PromptRow {
        let pct = |v: Option<f64>| v.map(|v| format!("{}%", fmt_num(v))).unwrap_or_default();
        let score = match kind {
            "csat" => format!(
                "CSAT {} · {}",
                pct(f.csat_pct),
                f.mean_score.map(fmt_num).unwrap_or_default()
            ),
            "nps" => format!(
                "NPS {} · {}",
                f.nps.map(fmt_num).unwrap_or_default(),
                f.mean_score.map(fmt_num).unwrap_or_default()
            ),
            _ => String::new(),
        };
        PromptRow {
            name,
            sent: f.sent,
            answered: f.answered,
            rate: pct(f.response_rate.map(|r| r * 100.0)),
            score,
            choices: f
                .choices
                .iter()
                .map(|(c, n)| format!("{c} {n}"))
                .collect::<Vec<_>>()
                .join(" · "),
            median: f
                .median_answer_secs
                .map(|s| format!("{}{}", fmt_num(s / 60.0), " min"))
                .unwrap_or_default(),
        }
    }
}

fn view(
    title: &str,
    kind: Kind,
    labels: &[String],
    series: Vec<Series<'_>>,
    max: Option<f64>,
    unit: &str,
) -> ChartView {
    let prefix = if kind == Kind::Bars { "s" } else { "l" };
    ChartView {
        title: title.to_owned(),
        svg: chart(kind, labels, &series, max, unit),
        legend: series
            .iter()
            .enumerate()
            .map(|(i, s)| Legend {
                class: format!("{prefix}{i}"),
                name: s.name.to_owned(),
            })
            .collect(),
    }
}

/// `GET /reports`.
async fn page(
    State(state): State<AppState>,
    Extension(staff): Extension<Staff>,
    headers: HeaderMap,
) -> Result<Html<String>, DeskError> {
    let chrome = Chrome::new(&state, &staff, &headers, "reports", "/live".to_owned());
    let tr = chrome.tr;
    let tz = default_report_tz(&state);
    let to = jiff::Timestamp::now().to_zoned_datetime(tz.clone()).date();
    let from = to
        .checked_sub(jiff::Span::new().days(DAYS - 1))
        .unwrap_or(to);
    let tz_name = tz.iana_name().unwrap_or("UTC").to_owned();
    let (prompts, staff) = prompt_rows(&state, from, to, &tz).await?;
    let days: Vec<DayView> = state
        .store
        .daily_report(from, to, tz)
        .await?
        .iter()
        .map(DayView::from)
        .collect();
    // `MM-DD` under the chart: the year is in the heading.
    let labels: Vec<String> = days
        .iter()
        .map(|d| d.date.get(5..).unwrap_or(&d.date).to_owned())
        .collect();
    let count = |f: &dyn Fn(&DayView) -> u64| days.iter().map(|d| Some(f(d) as f64)).collect();
    let minutes =
        |f: &dyn Fn(&DayView) -> Option<f64>| days.iter().map(|d| f(d).map(|s| s / 60.0)).collect();
    let charts = vec![
        view(
            tr.t("messages_per_day"),
            Kind::Bars,
            &labels,
            vec![
                Series {
                    name: tr.t("inbound"),
                    values: count(&|d| d.inbound),
                },
                Series {
                    name: tr.t("outbound"),
                    values: count(&|d| d.outbound.total),
                },
            ],
            None,
            "",
        ),
        view(
            tr.t("delivery_rate"),
            Kind::Bars,
            &labels,
            vec![Series {
                name: tr.t("delivered"),
                values: days
                    .iter()
                    .map(|d| d.delivery_rate.map(|r| r * 100.0))
                    .collect(),
            }],
            Some(100.0),
            "%",
        ),
        view(
            tr.t("first_response"),
            Kind::Lines,
            &labels,
            vec![
                Series {
                    name: "p50",
                    values: minutes(&|d| d.first_response.median_secs),
                },
                Series {
                    name: "p90",
                    values: minutes(&|d| d.first_response.p90_secs),
                },
            ],
            None,
            tr.t("min"),
        ),
    ];
    let page = ReportsPage {
        inbound: days.iter().map(|d| d.inbound).sum(),
        outbound: days.iter().map(|d| d.outbound.total).sum(),
        delivered: days.iter().map(|d| d.outbound.delivered).sum(),
        chrome,
        from: from.to_string(),
        to: to.to_string(),
        tz: tz_name,
        charts,
        prompts,
        staff,
    };
    Ok(Html(page.render()?))
}

/// The prompts' figures over the days shown, then the surveys on closing per staff member.
async fn prompt_rows(
    state: &AppState,
    from: jiff::civil::Date,
    to: jiff::civil::Date,
    tz: &jiff::tz::TimeZone,
) -> Result<(Vec<PromptRow>, Vec<PromptRow>), DeskError> {
    let rows = state.store.prompts_on_days(from, to, tz.clone()).await?;
    let prompts = crate::store::prompt_totals(&rows)
        .into_iter()
        .map(|(name, kind, f)| PromptRow::new(name, &kind, &f))
        .collect();
    let staff = crate::store::tally_prompts(&rows, tz)
        .into_iter()
        .flat_map(|t| {
            t.staff
                .into_iter()
                .map(move |(who, f)| PromptRow::new(format!("{} · {who}", t.name), &t.kind, &f))
        })
        .collect();
    Ok((prompts, staff))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn heights(svg: &str) -> Vec<f64> {
        svg.split("height=\"")
            .skip(1)
            .filter_map(|s| s.split('"').next()?.parse().ok())
            .collect()
    }

    #[test]
    fn bars_scale_to_the_largest_value() {
        let labels: Vec<String> = ["a", "b", "c"].map(str::to_owned).to_vec();
        let s = [Series {
            name: "in",
            values: vec![Some(10.0), Some(5.0), None],
        }];
        let svg = chart(Kind::Bars, &labels, &s, None, "");
        let h = heights(&svg);
        let full = H - TOP - BOTTOM;
        assert_eq!(h, [full, full / 2.0], "{svg}");
        assert!(svg.contains(">10<"), "the top of the scale is shown: {svg}");
        // A fixed maximum (percentages) scales to it instead.
        let svg = chart(Kind::Bars, &labels, &s, Some(100.0), "%");
        assert_eq!(heights(&svg), [full / 10.0, full / 20.0]);
    }

    #[test]
    fn empty_and_zero_data_draw_an_empty_chart() {
        let svg = chart(Kind::Bars, &[], &[], None, "");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>") && !svg.contains("NaN"));
        let labels = vec!["x".to_owned()];
        let zeros = [Series {
            name: "in",
            values: vec![Some(0.0)],
        }];
        let svg = chart(Kind::Bars, &labels, &zeros, None, "");
        assert_eq!(heights(&svg), [0.0]);
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
    }

    #[test]
    fn lines_break_where_a_day_has_no_figure() {
        let labels: Vec<String> = ["a", "b", "c", "d"].map(str::to_owned).to_vec();
        let s = [Series {
            name: "p50",
            values: vec![Some(1.0), Some(2.0), None, Some(3.0)],
        }];
        let svg = chart(Kind::Lines, &labels, &s, None, "");
        // One line for a-b; d alone is a point, not a line.
        assert_eq!(svg.matches("<polyline").count(), 1, "{svg}");
        assert_eq!(svg.matches("<circle").count(), 3);
        // Names are escaped.
        let s = [Series {
            name: "<b>",
            values: vec![Some(1.0)],
        }];
        assert!(!chart(Kind::Bars, &labels, &s, None, "").contains("<b>"));
    }
}
