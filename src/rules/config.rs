//! The `[support]` section of the config file: business hours, holidays, the automatic
//! acknowledgement, opt keywords, the flood guard and the reply templates. Every key is
//! optional; [`Support::validate`] is run by [`crate::config::Config::parse`] so a bad value
//! stops the start with the key and its line.

use std::collections::BTreeMap;
use std::ops::Range;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::Deserialize;
use toml::Spanned;

use super::guard::GuardConfig;
use super::hours::{BusinessHours, Opening, WEEKDAYS};
use super::normalize::{fold, is_separator};
use super::opt::OptKeywords;
use super::template;
use crate::phone::Region;

/// The placeholders a template may use: the contact's `{name}`, the sender's `{number}`, the
/// business `{hours}`, and contact fields as `{field.<key>}`.
pub const PLACEHOLDERS: &[&str] = &["name", "number", "hours", "field."];

/// The templates every install has; `[support.templates]` may override them.
pub const DEFAULT_TEMPLATES: &[(&str, &str)] = &[
    (
        "opt_out_confirm",
        "You will receive no more messages from us. Reply START to resume. \
         配信を停止しました。再開するには START と返信してください。",
    ),
    (
        "opt_in_confirm",
        "You will receive our messages again. Reply STOP to stop. \
         配信を再開しました。停止するには STOP と返信してください。",
    ),
    (
        "help",
        "Support hours: {hours}. Reply STOP to stop messages. \
         受付時間: {hours}。配信停止は STOP と返信してください。",
    ),
];

/// `[support]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Support {
    /// IANA zone of the business hours and holidays.
    #[serde(default = "default_timezone")]
    pub timezone: Spanned<String>,
    /// Default region of phone numbers (a two-letter code such as `JP`): numbers written
    /// without a country code are taken to be of this country and every number is stored in
    /// E.164 ([`crate::phone`]). Absent: national numbers are kept as written.
    pub country: Option<Spanned<String>>,
    /// Dates (`YYYY-MM-DD`, local) on which the line is closed all day.
    #[serde(default)]
    pub holidays: Vec<Spanned<String>>,
    /// Template of the automatic acknowledgement inside business hours; none when absent.
    pub ack_open: Option<Spanned<String>>,
    /// Template of the automatic acknowledgement outside business hours; none when absent.
    pub ack_closed: Option<Spanned<String>>,
    /// Whether transactional messages still go to numbers that opted out.
    #[serde(default)]
    pub allow_transactional_to_opted_out: bool,
    /// `[support.hours]`; absent: Monday to Friday 09:00-18:00.
    pub hours: Option<Hours>,
    /// `[support.keywords]`.
    #[serde(default)]
    pub keywords: Keywords,
    /// `[support.guard]`.
    #[serde(default)]
    pub guard: GuardConfig,
    /// `[support.templates]`: name = body; added to and overriding [`DEFAULT_TEMPLATES`].
    #[serde(default)]
    pub templates: BTreeMap<String, Spanned<String>>,
    /// A `[[prompts]]` name: closing a conversation sends that prompt, once per episode.
    pub survey_on_close: Option<Spanned<String>>,
}

impl Default for Support {
    fn default() -> Self {
        Support {
            timezone: default_timezone(),
            country: None,
            holidays: Vec::new(),
            ack_open: None,
            ack_closed: None,
            allow_transactional_to_opted_out: false,
            hours: None,
            keywords: Keywords::default(),
            guard: GuardConfig::default(),
            templates: BTreeMap::new(),
            survey_on_close: None,
        }
    }
}

fn default_timezone() -> Spanned<String> {
    Spanned::new(0..0, "UTC".to_owned())
}

/// `[support.hours]`: per weekday a list of `"HH:MM-HH:MM"` windows; a day left out is closed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hours {
    #[serde(default)]
    pub mon: Vec<Spanned<String>>,
    #[serde(default)]
    pub tue: Vec<Spanned<String>>,
    #[serde(default)]
    pub wed: Vec<Spanned<String>>,
    #[serde(default)]
    pub thu: Vec<Spanned<String>>,
    #[serde(default)]
    pub fri: Vec<Spanned<String>>,
    #[serde(default)]
    pub sat: Vec<Spanned<String>>,
    #[serde(default)]
    pub sun: Vec<Spanned<String>>,
}

impl Hours {
    fn days(&self) -> [&[Spanned<String>]; 7] {
        [
            &self.mon, &self.tue, &self.wed, &self.thu, &self.fri, &self.sat, &self.sun,
        ]
    }
}

/// `[support.keywords]`: first words that opt out, opt back in, or ask for help.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Keywords {
    #[serde(default = "default_stop")]
    pub stop: Spanned<Vec<String>>,
    #[serde(default = "default_start")]
    pub start: Spanned<Vec<String>>,
    #[serde(default = "default_help")]
    pub help: Spanned<Vec<String>>,
}

impl Default for Keywords {
    fn default() -> Self {
        Keywords {
            stop: default_stop(),
            start: default_start(),
            help: default_help(),
        }
    }
}

fn words(w: &[&str]) -> Spanned<Vec<String>> {
    Spanned::new(0..0, w.iter().map(|s| (*s).to_owned()).collect())
}
fn default_stop() -> Spanned<Vec<String>> {
    words(&["STOP", "UNSUBSCRIBE", "停止", "配信停止"])
}
fn default_start() -> Spanned<Vec<String>> {
    words(&["START"])
}
fn default_help() -> Spanned<Vec<String>> {
    words(&["HELP"])
}

/// A `[support]` value that parses but cannot be used: where, which key, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// Byte range of the value in the config text (0..0 for a default).
    pub span: Range<usize>,
    /// Dotted key, e.g. `support.hours.mon`.
    pub key: String,
    pub message: String,
}

fn invalid(span: Range<usize>, key: impl Into<String>, message: impl Into<String>) -> Invalid {
    Invalid {
        span,
        key: key.into(),
        message: message.into(),
    }
}

impl Support {
    /// The body of template `name`: configured, else built in.
    pub fn template(&self, name: &str) -> Option<&str> {
        self.templates
            .get(name)
            .map(|b| b.get_ref().as_str())
            .or_else(|| {
                DEFAULT_TEMPLATES
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, b)| *b)
            })
    }

    /// Every template name, configured and built in, sorted.
    pub fn template_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.templates.keys().cloned().collect();
        for (n, _) in DEFAULT_TEMPLATES {
            if !self.templates.contains_key(*n) {
                names.push((*n).to_owned());
            }
        }
        names.sort();
        names
    }

    /// The default region of phone numbers (`country`). The config was validated at load, so
    /// an unknown code does not occur here; were it called on an unvalidated value, such a code
    /// counts as none.
    pub fn region(&self) -> Option<Region> {
        self.country.as_ref().and_then(|c| c.get_ref().parse().ok())
    }

    /// The acknowledgement template for the current state of business hours.
    pub fn ack_template(&self, open: bool) -> Option<&str> {
        let ack = if open {
            &self.ack_open
        } else {
            &self.ack_closed
        };
        ack.as_ref().map(|t| t.get_ref().as_str())
    }

    /// The opt keywords, folded.
    pub fn opt_keywords(&self) -> OptKeywords {
        OptKeywords::new(
            self.keywords.stop.get_ref(),
            self.keywords.start.get_ref(),
            self.keywords.help.get_ref(),
        )
    }

    /// The business hours. The config was validated at load, so this does not fail; were it
    /// called on an unvalidated value with a bad entry, that entry is left out.
    pub fn business_hours(&self) -> BusinessHours {
        self.build_hours().unwrap_or_else(|_| BusinessHours {
            tz: TimeZone::get(self.timezone.get_ref()).unwrap_or(TimeZone::UTC),
            week: Default::default(),
            holidays: Vec::new(),
        })
    }

    fn build_hours(&self) -> Result<BusinessHours, Invalid> {
        let tz = TimeZone::get(self.timezone.get_ref()).map_err(|e| {
            invalid(
                self.timezone.span(),
                "support.timezone",
                format!(
                    "{:?} is not a known time zone ({e})",
                    self.timezone.get_ref()
                ),
            )
        })?;
        let mut holidays = Vec::with_capacity(self.holidays.len());
        for h in &self.holidays {
            let date: Date = h.get_ref().parse().map_err(|_| {
                invalid(
                    h.span(),
                    "support.holidays",
                    format!("{:?} is not a date of the form YYYY-MM-DD", h.get_ref()),
                )
            })?;
            holidays.push(date);
        }
        let week: [Vec<Opening>; 7] = match &self.hours {
            None => {
                let nine_to_six = vec![Opening {
                    start: jiff::civil::time(9, 0, 0, 0),
                    end: jiff::civil::time(18, 0, 0, 0),
                }];
                let mut w: [Vec<Opening>; 7] = Default::default();
                for day in w.iter_mut().take(5) {
                    *day = nine_to_six.clone();
                }
                w
            }
            Some(hours) => {
                let mut w: [Vec<Opening>; 7] = Default::default();
                for (i, day) in hours.days().into_iter().enumerate() {
                    for s in day {
                        let o = Opening::parse(s.get_ref()).map_err(|e| {
                            invalid(
                                s.span(),
                                format!("support.hours.{}", WEEKDAYS[i]),
                                e.to_string(),
                            )
                        })?;
                        if w[i].iter().any(|p| overlaps(p, &o)) {
                            return Err(invalid(
                                s.span(),
                                format!("support.hours.{}", WEEKDAYS[i]),
                                format!("{:?} overlaps another window of the day", s.get_ref()),
                            ));
                        }
                        w[i].push(o);
                    }
                    w[i].sort_by_key(|o| o.start);
                }
                w
            }
        };
        Ok(BusinessHours { tz, week, holidays })
    }

    /// Checks every value; see the module doc.
    pub fn validate(&self) -> Result<(), Invalid> {
        self.build_hours()?;
        if let Some(c) = &self.country {
            c.get_ref()
                .parse::<Region>()
                .map_err(|e| invalid(c.span(), "support.country", e.to_string()))?;
        }
        for (name, body) in &self.templates {
            if name.is_empty() {
                return Err(invalid(
                    body.span(),
                    "support.templates",
                    "a template needs a name",
                ));
            }
            if body.get_ref().trim().is_empty() {
                return Err(invalid(
                    body.span(),
                    format!("support.templates.{name}"),
                    "the template is empty",
                ));
            }
            template::check(body.get_ref(), PLACEHOLDERS).map_err(|e| {
                invalid(
                    body.span(),
                    format!("support.templates.{name}"),
                    format!(
                        "{e}; known placeholders: {{name}}, {{number}}, {{hours}}, {{field.<key>}}"
                    ),
                )
            })?;
        }
        for (key, ack) in [
            ("ack_open", &self.ack_open),
            ("ack_closed", &self.ack_closed),
        ] {
            if let Some(t) = ack
                && self.template(t.get_ref()).is_none()
            {
                return Err(invalid(
                    t.span(),
                    format!("support.{key}"),
                    format!("no template named {:?} in [support.templates]", t.get_ref()),
                ));
            }
        }
        let mut seen: BTreeMap<String, &str> = BTreeMap::new();
        for (key, list) in [
            ("stop", &self.keywords.stop),
            ("start", &self.keywords.start),
            ("help", &self.keywords.help),
        ] {
            for w in list.get_ref() {
                let f = fold(w.trim());
                if f.is_empty() || f.contains(is_separator) {
                    return Err(invalid(
                        list.span(),
                        format!("support.keywords.{key}"),
                        format!("{w:?} is not one word (keywords match the first word)"),
                    ));
                }
                if let Some(other) = seen.insert(f, key) {
                    return Err(invalid(
                        list.span(),
                        format!("support.keywords.{key}"),
                        format!("{w:?} is already a {other} keyword"),
                    ));
                }
            }
        }
        Ok(())
    }
}

fn overlaps(a: &Opening, b: &Opening) -> bool {
    let end = |o: &Opening| {
        if o.end == jiff::civil::Time::midnight() {
            jiff::civil::Time::MAX
        } else {
            o.end
        }
    };
    a.start < end(b) && b.start < end(a)
}
