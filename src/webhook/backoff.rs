//! When to try a failed delivery again: exponential backoff with jitter, as a pure function.

use std::time::Duration;

/// The retry schedule of webhook deliveries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    /// Delay after the first failed attempt.
    pub initial: Duration,
    /// The delay doubles after each failure up to this.
    pub max_delay: Duration,
    /// Attempts in all; the row is given up (state `failed`) after this many failures.
    pub max_attempts: u32,
}

impl Default for Retry {
    /// 5 s doubling to 1 h, 34 attempts: the delays add up to about 24 h (a little less with
    /// jitter).
    fn default() -> Self {
        Retry {
            initial: Duration::from_secs(5),
            max_delay: Duration::from_secs(3600),
            max_attempts: 34,
        }
    }
}

impl Retry {
    /// The delay before the next attempt after `failures` failed attempts (counting the one that
    /// just failed), or `None` to give up. `jitter` in `[0, 1)` takes up to a fifth off the
    /// delay, so receivers coming back are not hit by every retry at once.
    pub fn delay(&self, failures: u32, jitter: f64) -> Option<Duration> {
        if failures == 0 {
            return Some(Duration::ZERO);
        }
        if failures >= self.max_attempts {
            return None;
        }
        let doublings = (failures - 1).min(63);
        let base = self
            .initial
            .checked_mul(1u32.checked_shl(doublings.min(31)).unwrap_or(u32::MAX))
            .unwrap_or(self.max_delay)
            .min(self.max_delay);
        let jitter = jitter.clamp(0.0, 1.0);
        Some(base.saturating_sub(base.mul_f64(0.2 * jitter)))
    }

    /// The delays of a whole schedule without jitter, added up: how long an endpoint may stay
    /// down before events to it are given up.
    pub fn total(&self) -> Duration {
        (1..self.max_attempts)
            .filter_map(|n| self.delay(n, 0.0))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delay_table() {
        let r = Retry::default();
        let s = Duration::from_secs;
        // (failures so far, jitter, expected)
        let cases: &[(u32, f64, Option<Duration>)] = &[
            (0, 0.0, Some(Duration::ZERO)),
            (1, 0.0, Some(s(5))),
            (2, 0.0, Some(s(10))),
            (3, 0.0, Some(s(20))),
            (10, 0.0, Some(s(2560))),
            (11, 0.0, Some(s(3600))),
            (33, 0.0, Some(s(3600))),
            (34, 0.0, None),
            (1000, 0.0, None),
            (1, 0.5, Some(s(4) + Duration::from_millis(500))),
            (2, 0.5, Some(s(9))),
            (11, 0.5, Some(s(3240))),
            (11, 2.0, Some(s(2880))),
            (11, -1.0, Some(s(3600))),
        ];
        for (failures, jitter, want) in cases {
            assert_eq!(r.delay(*failures, *jitter), *want, "{failures} {jitter}");
        }
    }

    #[test]
    fn default_schedule_lasts_about_a_day() {
        let total = Retry::default().total().as_secs();
        assert!((23 * 3600..=25 * 3600).contains(&total), "{total}");
    }

    #[test]
    fn huge_attempt_counts_do_not_overflow() {
        let r = Retry {
            initial: Duration::from_secs(u64::MAX / 2),
            max_delay: Duration::MAX,
            max_attempts: u32::MAX,
        };
        assert!(r.delay(200, 0.0).is_some());
    }
}
