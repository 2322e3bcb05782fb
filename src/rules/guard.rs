//! The loop and flood guard: whether an automatic reply may go to a sender, given what was
//! recently exchanged with it. Pure: the caller loads the history from the store and passes the
//! time.
//!
//! Three refusals: a sender that cannot or should not be answered (alphanumeric names, short
//! codes, unless allowed); more than `max_auto_replies` automatic replies within `window`; and
//! two auto-responders answering each other (ping-pong).

use std::time::Duration;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// The guard's limits (`[support.guard]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GuardConfig {
    /// Most automatic replies to one number within `window`.
    pub max_auto_replies: u32,
    /// The window of `max_auto_replies`, in seconds as `window_secs`.
    #[serde(rename = "window_secs", with = "secs")]
    pub window: Duration,
    /// Answer senders of at most 6 digits (carrier and service short codes).
    pub reply_to_short_codes: bool,
    /// Answer alphanumeric senders (they cannot receive replies on most networks).
    pub reply_to_alphanumeric: bool,
    /// An inbound message this soon after an automatic reply looks like a machine answering,
    /// in seconds as `pingpong_gap_secs`.
    #[serde(rename = "pingpong_gap_secs", with = "secs")]
    pub pingpong_gap: Duration,
    /// That many such answers in a row are a ping-pong; 0 turns the check off.
    pub pingpong_rounds: u32,
}

impl Default for GuardConfig {
    fn default() -> Self {
        GuardConfig {
            max_auto_replies: 3,
            window: Duration::from_secs(3600),
            reply_to_short_codes: false,
            reply_to_alphanumeric: false,
            pingpong_gap: Duration::from_secs(30),
            pingpong_rounds: 3,
        }
    }
}

impl GuardConfig {
    /// How far back [`check`] looks: the flood window, or the span of `pingpong_rounds` gaps if
    /// longer. Saturates, so a huge configured value cannot overflow.
    pub fn history_span(&self) -> Duration {
        let pingpong = self
            .pingpong_gap
            .checked_mul(self.pingpong_rounds.max(1))
            .unwrap_or(Duration::MAX);
        self.window.max(pingpong)
    }
}

/// A `Duration` as whole seconds.
mod secs {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_secs())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_secs)
    }
}

/// What kind of address a sender is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SenderKind {
    /// A phone number: `+` and digits, or more than 6 digits.
    Number,
    /// At most 6 digits and no `+`: a carrier or service short code.
    ShortCode,
    /// Anything else: a name such as `BANK` (TP-OA type alphanumeric).
    Alphanumeric,
}

/// Classifies a sender as the store keeps it.
pub fn classify_sender(sender: &str) -> SenderKind {
    let (plus, digits) = match sender.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, sender),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        SenderKind::Alphanumeric
    } else if !plus && digits.len() <= 6 {
        SenderKind::ShortCode
    } else {
        SenderKind::Number
    }
}

/// What was recently exchanged with one number, loaded by the caller from the store. Order does
/// not matter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    /// When automatic replies were sent (queued) to the number.
    pub auto_replies: Vec<Timestamp>,
    /// When messages from the number arrived, the one being answered included.
    pub inbound: Vec<Timestamp>,
}

/// Why the guard refused an automatic reply. The display form goes into logs; [`Refusal::code`]
/// into tags and API answers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the sender is alphanumeric and cannot be answered")]
    Alphanumeric,
    #[error("the sender is a short code")]
    ShortCode,
    #[error("{sent} automatic replies within {}s already (at most {max})", window.as_secs())]
    Flood {
        sent: u32,
        max: u32,
        window: Duration,
    },
    #[error("the last {rounds} messages each came within {}s of an automatic reply: an auto-responder loop", gap.as_secs())]
    PingPong { rounds: u32, gap: Duration },
}

impl Refusal {
    /// Machine-readable: `alphanumeric_sender`, `short_code`, `flood`, `ping_pong`.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Alphanumeric => "alphanumeric_sender",
            Refusal::ShortCode => "short_code",
            Refusal::Flood { .. } => "flood",
            Refusal::PingPong { .. } => "ping_pong",
        }
    }
}

/// Whether an automatic reply to `sender` may be sent at `now`.
pub fn check(
    cfg: &GuardConfig,
    sender: &str,
    history: &History,
    now: Timestamp,
) -> Result<(), Refusal> {
    match classify_sender(sender) {
        SenderKind::Alphanumeric if !cfg.reply_to_alphanumeric => {
            return Err(Refusal::Alphanumeric);
        }
        SenderKind::ShortCode if !cfg.reply_to_short_codes => return Err(Refusal::ShortCode),
        _ => {}
    }
    if is_pingpong(cfg, history) {
        return Err(Refusal::PingPong {
            rounds: cfg.pingpong_rounds,
            gap: cfg.pingpong_gap,
        });
    }
    let since = now.checked_sub(cfg.window).unwrap_or(Timestamp::MIN);
    let sent = history
        .auto_replies
        .iter()
        .filter(|&&t| t > since && t <= now)
        .count();
    let sent = u32::try_from(sent).unwrap_or(u32::MAX);
    if sent >= cfg.max_auto_replies {
        return Err(Refusal::Flood {
            sent,
            max: cfg.max_auto_replies,
            window: cfg.window,
        });
    }
    Ok(())
}

/// The last `pingpong_rounds` inbound messages each arrived within `pingpong_gap` after the
/// latest automatic reply before it.
fn is_pingpong(cfg: &GuardConfig, history: &History) -> bool {
    let rounds = cfg.pingpong_rounds as usize;
    if rounds == 0 || history.inbound.len() < rounds {
        return false;
    }
    let mut inbound = history.inbound.clone();
    inbound.sort_unstable_by(|a, b| b.cmp(a));
    inbound.iter().take(rounds).all(|&t| {
        history
            .auto_replies
            .iter()
            .filter(|&&r| r <= t)
            .max()
            .is_some_and(|&r| t.duration_since(r).unsigned_abs() <= cfg.pingpong_gap)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    /// `NOW - s` seconds.
    fn ago(s: i64) -> Timestamp {
        Timestamp::from_second(NOW - s).unwrap()
    }

    #[test]
    fn classify_table() {
        // (name, sender, kind)
        let cases = [
            ("international", "+819012345678", SenderKind::Number),
            ("national digits", "09012345678", SenderKind::Number),
            ("short code", "12345", SenderKind::ShortCode),
            ("six digits", "123456", SenderKind::ShortCode),
            ("seven digits", "1234567", SenderKind::Number),
            ("plus short", "+12345", SenderKind::Number),
            ("name", "BANK", SenderKind::Alphanumeric),
            ("name with digits", "Shop24", SenderKind::Alphanumeric),
            ("empty", "", SenderKind::Alphanumeric),
            ("bare plus", "+", SenderKind::Alphanumeric),
        ];
        for (name, sender, want) in cases {
            assert_eq!(classify_sender(sender), want, "{name}");
        }
    }

    #[test]
    fn check_table() {
        let cfg = GuardConfig::default();
        let allow_all = GuardConfig {
            reply_to_alphanumeric: true,
            reply_to_short_codes: true,
            ..GuardConfig::default()
        };
        // The ping-pong rows send many replies; a loose flood limit keeps them about ping-pong.
        let loose = GuardConfig {
            max_auto_replies: 100,
            ..GuardConfig::default()
        };
        let num = "+819012345678";
        let h = |replies: &[i64], inbound: &[i64]| History {
            auto_replies: replies.iter().map(|&s| ago(s)).collect(),
            inbound: inbound.iter().map(|&s| ago(s)).collect(),
        };
        // (name, config, sender, history, refusal code or None)
        let cases: Vec<(&str, &GuardConfig, &str, History, Option<&str>)> = vec![
            ("quiet number", &cfg, num, h(&[], &[0]), None),
            (
                "alphanumeric",
                &cfg,
                "BANK",
                h(&[], &[0]),
                Some("alphanumeric_sender"),
            ),
            (
                "alphanumeric allowed",
                &allow_all,
                "BANK",
                h(&[], &[0]),
                None,
            ),
            ("short code", &cfg, "1234", h(&[], &[0]), Some("short_code")),
            ("short code allowed", &allow_all, "1234", h(&[], &[0]), None),
            (
                "two replies in the hour",
                &cfg,
                num,
                h(&[600, 1200], &[0, 700, 1300]),
                None,
            ),
            (
                "three replies in the hour",
                &cfg,
                num,
                h(&[600, 1200, 1800], &[0, 700, 1300, 1900]),
                Some("flood"),
            ),
            (
                "old replies do not count",
                &cfg,
                num,
                h(&[3600, 4000, 5000], &[0]),
                None,
            ),
            (
                "ping-pong is checked before the flood limit",
                &cfg,
                num,
                h(&[10, 50, 100], &[0, 40, 90]),
                Some("ping_pong"),
            ),
            (
                "ping-pong: three quick answers",
                &loose,
                num,
                h(&[10, 50, 100], &[0, 40, 90]),
                Some("ping_pong"),
            ),
            (
                "two quick answers are not yet a loop",
                &loose,
                num,
                h(&[50, 100], &[0, 40]),
                None,
            ),
            (
                "one slow answer breaks the loop",
                &loose,
                num,
                h(&[10, 100, 200], &[0, 40, 190]),
                None,
            ),
            (
                "answer before any reply",
                &loose,
                num,
                h(&[10, 50], &[0, 40, 90]),
                None,
            ),
        ];
        for (name, cfg, sender, history, want) in cases {
            let got = check(cfg, sender, &history, ago(0));
            assert_eq!(
                got.as_ref().err().map(Refusal::code),
                want,
                "{name}: {got:?}"
            );
        }
    }

    #[test]
    fn pingpong_off_with_zero_rounds() {
        let cfg = GuardConfig {
            pingpong_rounds: 0,
            max_auto_replies: 100,
            ..GuardConfig::default()
        };
        let history = History {
            auto_replies: vec![ago(10), ago(50), ago(100)],
            inbound: vec![ago(0), ago(40), ago(90)],
        };
        assert_eq!(check(&cfg, "+819012345678", &history, ago(0)), Ok(()));
    }

    #[test]
    fn history_span_is_the_longer_window_and_saturates() {
        let cfg = GuardConfig::default();
        // 3600 s flood window against 3 x 30 s of ping-pong.
        assert_eq!(cfg.history_span(), Duration::from_secs(3600));
        let long_gap = GuardConfig {
            pingpong_gap: Duration::from_secs(2000),
            ..GuardConfig::default()
        };
        assert_eq!(long_gap.history_span(), Duration::from_secs(6000));
        // `pingpong_gap_secs` is any u64 in the config: multiplied by the rounds it used to
        // panic ("overflow when multiplying duration by scalar") inside the inbound
        // transaction, so every message failed and was retried at each start.
        let huge = GuardConfig {
            pingpong_gap: Duration::from_secs(u64::MAX),
            pingpong_rounds: 3,
            ..GuardConfig::default()
        };
        assert_eq!(huge.history_span(), Duration::MAX);
        let since = ago(0)
            .checked_sub(huge.history_span())
            .unwrap_or(Timestamp::MIN);
        assert_eq!(since, Timestamp::MIN);
    }

    #[test]
    fn refusals_display() {
        let r = Refusal::Flood {
            sent: 3,
            max: 3,
            window: Duration::from_secs(3600),
        };
        assert_eq!(
            r.to_string(),
            "3 automatic replies within 3600s already (at most 3)"
        );
    }
}
