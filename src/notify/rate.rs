//! Rate limits per rule: at most N notifications within a sliding window. What goes over the
//! limit is counted, not sent, and summarised in one "… and N more" as soon as the window
//! has room again.

use std::collections::VecDeque;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use crate::config::parse_duration;

/// At most `count` notifications within any `per`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    pub count: u32,
    pub per: Duration,
}

/// The hint shown for a malformed limit.
pub const RATE_HINT: &str =
    "write `N/DURATION` like `5/1m`, `3/10m` or `20/h`, or `off` for no limit";

/// A parsed `rate-limit` value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RateSetting {
    Off,
    Limit(RateLimit),
}

impl RateLimit {
    /// Parses `N/DURATION` (`5/1m`, `20/h` = `20/1h`) or `off`. `None` when malformed or
    /// zero.
    pub fn parse(text: &str) -> Option<RateSetting> {
        let text = text.trim();
        if text == "off" {
            return Some(RateSetting::Off);
        }
        let (count, per) = text.split_once('/')?;
        let count: u32 = count.trim().parse().ok().filter(|n| *n > 0)?;
        let per = per.trim();
        let per = if per.starts_with(|c: char| c.is_ascii_alphabetic()) {
            parse_duration(&format!("1{per}"))?
        } else {
            parse_duration(per)?
        };
        (!per.is_zero()).then_some(RateSetting::Limit(RateLimit { count, per }))
    }
}

/// The sends of one rule within its window, and what was held back.
#[derive(Clone, Debug, Default)]
pub struct Window {
    sent: VecDeque<Timestamp>,
    /// Notifications over the limit since the last summary.
    pub held: u32,
}

impl Window {
    /// Records a send at `now` if the limit allows one; otherwise counts it as held.
    pub fn admit(&mut self, limit: Option<RateLimit>, now: Timestamp) -> bool {
        if self.has_room(limit, now) {
            self.sent.push_back(now);
            true
        } else {
            self.held += 1;
            false
        }
    }

    /// Takes the held count for a summary when the window has room again (the summary
    /// counts as a send).
    pub fn release(&mut self, limit: Option<RateLimit>, now: Timestamp) -> Option<u32> {
        if self.held == 0 || !self.has_room(limit, now) {
            return None;
        }
        self.sent.push_back(now);
        Some(std::mem::take(&mut self.held))
    }

    fn has_room(&mut self, limit: Option<RateLimit>, now: Timestamp) -> bool {
        let Some(limit) = limit else {
            return true;
        };
        let span = SignedDuration::try_from(limit.per).unwrap_or(SignedDuration::MAX);
        let cutoff = now.checked_sub(span).unwrap_or(Timestamp::MIN);
        while self.sent.front().is_some_and(|t| *t <= cutoff) {
            self.sent.pop_front();
        }
        self.sent.len() < limit.count as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> Timestamp {
        "2026-11-27T01:30:00Z".parse().unwrap()
    }

    fn secs(n: i64) -> SignedDuration {
        SignedDuration::from_secs(n)
    }

    #[test]
    fn parses_limits() {
        let limit = |count, secs| {
            Some(RateSetting::Limit(RateLimit {
                count,
                per: Duration::from_secs(secs),
            }))
        };
        assert_eq!(RateLimit::parse("5/1m"), limit(5, 60));
        assert_eq!(RateLimit::parse("3 / 10m"), limit(3, 600));
        assert_eq!(RateLimit::parse("20/h"), limit(20, 3600));
        assert_eq!(RateLimit::parse("1/1h30m"), limit(1, 5400));
        assert_eq!(RateLimit::parse("off"), Some(RateSetting::Off));
        for bad in ["", "5", "0/1m", "5/0s", "-1/1m", "five/1m", "5/1x", "5/"] {
            assert_eq!(RateLimit::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn holds_what_goes_over_the_limit_and_releases_one_summary_later() {
        let limit = Some(RateLimit {
            count: 2,
            per: Duration::from_secs(60),
        });
        let mut w = Window::default();
        assert!(w.admit(limit, t0()));
        assert!(w.admit(limit, t0() + secs(1)));
        assert!(!w.admit(limit, t0() + secs(2)));
        assert!(!w.admit(limit, t0() + secs(3)));
        assert_eq!(w.held, 2);
        assert_eq!(w.release(limit, t0() + secs(30)), None, "window still full");
        // The first send leaves the window after 60 s: room for the summary.
        assert_eq!(w.release(limit, t0() + secs(60)), Some(2));
        assert_eq!(w.held, 0);
        assert_eq!(w.release(limit, t0() + secs(200)), None, "nothing held");
        // The summary took a place: one more fits, the next is held.
        assert!(w.admit(limit, t0() + secs(61)));
        assert!(!w.admit(limit, t0() + secs(62)));
    }

    #[test]
    fn no_limit_admits_everything() {
        let mut w = Window::default();
        for i in 0..100 {
            assert!(w.admit(None, t0() + secs(i)));
        }
        assert_eq!(w.held, 0);
    }
}
