//! Support-line rules, as pure code: nothing here does I/O or reads the clock.
//!
//! - [`normalize`]: how keywords are compared (NFKC, kana, case) and what the first word is;
//! - [`rule`]: the rule spec shared by the config file and the API;
//! - [`engine`]: the compiled [`RuleSet`], ordered, first match wins;
//! - [`hours`]: [`BusinessHours`] in a time zone, with holidays;
//! - [`opt`]: STOP / START / HELP keywords;
//! - [`guard`]: the flood and loop guard for automatic replies;
//! - [`template`]: `{placeholder}` templates and the SMS cost of a text;
//! - [`config`]: the `[support]` config section;
//! - [`decide`]: what an inbound message gets (opt keyword, rule, acknowledgement, reply);
//! - [`live`]: the current rules (config plus API-managed), swapped atomically.

pub mod config;
pub mod decide;
pub mod engine;
pub mod guard;
pub mod hours;
pub mod live;
pub mod normalize;
pub mod opt;
pub mod prompt;
pub mod rule;
pub mod template;

pub use engine::{Context, Fired, RuleSet};
pub use guard::{GuardConfig, History, Refusal, SenderKind};
pub use hours::BusinessHours;
pub use live::Live;
pub use opt::Opt;
pub use rule::{Action, RuleError, RuleSpec, Window};
