//! Business hours: opening windows per weekday in one time zone, and holidays. Decides whether
//! a support line is open at an instant (DST-correct through jiff) and describes the hours for
//! the `{hours}` template placeholder.

use jiff::Timestamp;
use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;

/// The weekday names, Monday first, as the config keys and [`BusinessHours::describe`] spell
/// them.
pub const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// One opening window on a day, in local time: `start` inclusive, `end` exclusive. An `end` of
/// 00:00 stands for midnight at the end of the day (`"18:00-24:00"`). A window never crosses
/// midnight: a night shift is two windows, one on each day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opening {
    pub start: Time,
    pub end: Time,
}

/// Why a window such as `"09:00-18:00"` was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpeningError {
    #[error("{0:?} is not of the form HH:MM-HH:MM")]
    Form(String),
    #[error("{0:?} ends before it starts or crosses midnight; split it into one window per day")]
    Order(String),
}

impl Opening {
    /// Parses `"HH:MM-HH:MM"` (an en dash is accepted too); `24:00` as the end means midnight.
    pub fn parse(s: &str) -> Result<Opening, OpeningError> {
        let form = || OpeningError::Form(s.to_owned());
        let (a, b) = s
            .split_once('-')
            .or_else(|| s.split_once('–'))
            .ok_or_else(form)?;
        let start = parse_hhmm(a.trim(), false).ok_or_else(form)?;
        let end = parse_hhmm(b.trim(), true).ok_or_else(form)?;
        let opening = Opening { start, end };
        if end != Time::midnight() && end <= start {
            return Err(OpeningError::Order(s.to_owned()));
        }
        Ok(opening)
    }

    /// Whether local time `t` falls in the window.
    pub fn contains(&self, t: Time) -> bool {
        t >= self.start && (self.end == Time::midnight() || t < self.end)
    }
}

/// `HH:MM`; with `end`, `24:00` is midnight.
fn parse_hhmm(s: &str, end: bool) -> Option<Time> {
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (i8, i8) = (h.parse().ok()?, m.parse().ok()?);
    if end && h == 24 && m == 0 {
        return Some(Time::midnight());
    }
    Time::new(h, m, 0, 0).ok()
}

impl std::fmt::Display for Opening {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (eh, em) = if self.end == Time::midnight() {
            (24, 0)
        } else {
            (self.end.hour(), self.end.minute())
        };
        write!(
            f,
            "{:02}:{:02}–{eh:02}:{em:02}",
            self.start.hour(),
            self.start.minute()
        )
    }
}

/// When a support line is staffed.
#[derive(Debug, Clone)]
pub struct BusinessHours {
    /// The zone the windows and holidays are in.
    pub tz: TimeZone,
    /// Opening windows per weekday, Monday first; an empty list is a closed day.
    pub week: [Vec<Opening>; 7],
    /// Local dates on which the line is closed all day.
    pub holidays: Vec<Date>,
}

impl BusinessHours {
    /// Whether the line is open at `at`: its local date is no holiday and its local time falls in
    /// one of that weekday's windows.
    pub fn is_open(&self, at: Timestamp) -> bool {
        let local = at.to_zoned_datetime(self.tz.clone());
        if self.holidays.contains(&local.date()) {
            return false;
        }
        let day = local.weekday().to_monday_zero_offset() as usize;
        let time = local.time();
        self.week[day].iter().any(|o| o.contains(time))
    }

    /// The hours for people, e.g. `Mon–Fri 09:00–18:00; Sat 10:00–14:00 (Asia/Tokyo)`:
    /// consecutive days with the same windows are grouped, closed days left out.
    pub fn describe(&self) -> String {
        let mut groups: Vec<String> = Vec::new();
        let mut day = 0;
        while day < 7 {
            let mut last = day;
            while last + 1 < 7 && self.week[last + 1] == self.week[day] {
                last += 1;
            }
            if !self.week[day].is_empty() {
                let days = if last == day {
                    title(WEEKDAYS[day])
                } else {
                    format!("{}–{}", title(WEEKDAYS[day]), title(WEEKDAYS[last]))
                };
                let windows: Vec<String> = self.week[day].iter().map(|o| o.to_string()).collect();
                groups.push(format!("{days} {}", windows.join(", ")));
            }
            day = last + 1;
        }
        let zone = self
            .tz
            .iana_name()
            .map(str::to_owned)
            .unwrap_or_else(|| format!("{:?}", self.tz));
        if groups.is_empty() {
            format!("closed ({zone})")
        } else {
            format!("{} ({zone})", groups.join("; "))
        }
    }
}

/// `mon` → `Mon`.
fn title(day: &str) -> String {
    let mut c = day.chars();
    c.next()
        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nine_to_six() -> Vec<Opening> {
        vec![Opening::parse("09:00-18:00").unwrap()]
    }

    fn tokyo() -> BusinessHours {
        let wd = nine_to_six();
        BusinessHours {
            tz: TimeZone::get("Asia/Tokyo").unwrap(),
            week: [
                wd.clone(),
                wd.clone(),
                wd.clone(),
                wd.clone(),
                wd,
                vec![Opening::parse("10:00-14:00").unwrap()],
                vec![],
            ],
            holidays: vec![jiff::civil::date(2026, 12, 31)],
        }
    }

    #[test]
    fn is_open_table() {
        let hours = tokyo();
        // (name, instant, open); 2026-11-23 is a Monday.
        let cases: &[(&str, &str, bool)] = &[
            ("monday morning", "2026-11-23T10:00:00+09:00", true),
            ("start is inclusive", "2026-11-23T09:00:00+09:00", true),
            ("just before start", "2026-11-23T08:59:59.999+09:00", false),
            ("end is exclusive", "2026-11-23T18:00:00+09:00", false),
            ("just before end", "2026-11-23T17:59:59+09:00", true),
            ("same instant seen from UTC", "2026-11-23T01:00:00Z", true),
            ("monday night", "2026-11-23T23:00:00+09:00", false),
            ("saturday short day", "2026-11-28T11:00:00+09:00", true),
            ("saturday afternoon", "2026-11-28T15:00:00+09:00", false),
            ("sunday", "2026-11-29T11:00:00+09:00", false),
            ("holiday thursday", "2026-12-31T11:00:00+09:00", false),
            ("day after the holiday", "2027-01-01T11:00:00+09:00", true),
        ];
        for (name, at, want) in cases {
            let at: Timestamp = at.parse().unwrap();
            assert_eq!(hours.is_open(at), *want, "{name}");
        }
    }

    #[test]
    fn dst_zone_uses_local_time() {
        let wd = nine_to_six();
        let hours = BusinessHours {
            tz: TimeZone::get("Europe/Berlin").unwrap(),
            week: [
                wd.clone(),
                wd.clone(),
                wd.clone(),
                wd.clone(),
                wd,
                vec![],
                vec![],
            ],
            holidays: vec![],
        };
        // (name, instant, open): 08:30 UTC is 09:30 in winter (CET) and 10:30 in summer (CEST);
        // 07:30 UTC is 08:30 (closed) in winter but 09:30 (open) in summer.
        let cases: &[(&str, &str, bool)] = &[
            (
                "winter 07:30Z is 08:30 local",
                "2026-01-13T07:30:00Z",
                false,
            ),
            ("summer 07:30Z is 09:30 local", "2026-07-14T07:30:00Z", true),
            (
                "summer 16:30Z is 18:30 local",
                "2026-07-14T16:30:00Z",
                false,
            ),
            ("winter 16:30Z is 17:30 local", "2026-01-13T16:30:00Z", true),
            // 2026-03-30 is the Monday after the switch on Sunday 2026-03-29.
            ("first summer-time monday", "2026-03-30T07:00:00Z", true),
            ("last winter-time friday", "2026-03-27T07:30:00Z", false),
        ];
        for (name, at, want) in cases {
            let at: Timestamp = at.parse().unwrap();
            assert_eq!(hours.is_open(at), *want, "{name}");
        }
    }

    #[test]
    fn opening_parse_table() {
        // (name, input, Ok(display) or Err)
        let cases: &[(&str, &str, Result<&str, ()>)] = &[
            ("plain", "09:00-18:00", Ok("09:00–18:00")),
            ("spaces and en dash", "09:00 – 18:00", Ok("09:00–18:00")),
            ("until midnight", "18:00-24:00", Ok("18:00–24:00")),
            ("crosses midnight", "22:00-06:00", Err(())),
            ("empty window", "09:00-09:00", Err(())),
            ("no dash", "09:00", Err(())),
            ("bad hour", "25:00-26:00", Err(())),
            ("single digit hour", "9:00-18:00", Err(())),
            ("24 as a start", "24:00-24:00", Err(())),
        ];
        for (name, input, want) in cases {
            let got = Opening::parse(input).map(|o| o.to_string()).map_err(|_| ());
            assert_eq!(got.as_deref(), want.as_ref().map(|s| *s), "{name}");
        }
    }

    #[test]
    fn until_midnight_contains_late_evening() {
        let o = Opening::parse("18:00-24:00").unwrap();
        assert!(o.contains(jiff::civil::time(23, 59, 59, 0)));
        assert!(o.contains(jiff::civil::time(18, 0, 0, 0)));
        assert!(!o.contains(jiff::civil::time(0, 0, 0, 0)));
    }

    #[test]
    fn describe_groups_days() {
        assert_eq!(
            tokyo().describe(),
            "Mon–Fri 09:00–18:00; Sat 10:00–14:00 (Asia/Tokyo)"
        );
        let closed = BusinessHours {
            tz: TimeZone::UTC,
            week: Default::default(),
            holidays: vec![],
        };
        assert_eq!(closed.describe(), "closed (UTC)");
    }
}
