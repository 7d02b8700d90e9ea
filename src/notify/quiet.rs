//! Quiet hours: a window of wall-clock time in the UI time zone (`"22:00-06:00"`, across
//! midnight when the end is before the start) in which a rule stays silent.
//!
//! The window is compared with the local time of day of each instant, so it follows the
//! clock on the wall through daylight-saving changes: on the night the clocks go forward an
//! hour of the window simply does not happen; on the night they go back, the repeated hour
//! is quiet (or not) both times.

use std::fmt;

use jiff::Timestamp;
use jiff::civil::Time;
use jiff::tz::TimeZone;

/// `from` inclusive, `until` exclusive; `until < from` wraps past midnight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuietHours {
    pub from: Time,
    pub until: Time,
}

/// The hint shown for a malformed window.
pub const QUIET_HINT: &str =
    "write the window as `HH:MM-HH:MM` in the UI time zone, e.g. `22:00-06:00`";

impl QuietHours {
    /// Parses `HH:MM-HH:MM`. `None` for anything else, and for an empty window (`from ==
    /// until`).
    pub fn parse(text: &str) -> Option<QuietHours> {
        let (from, until) = text.trim().split_once('-')?;
        let (from, until) = (clock_time(from)?, clock_time(until)?);
        (from != until).then_some(QuietHours { from, until })
    }

    /// Whether `at` falls into the window, in `tz`'s local time.
    pub fn contains(&self, at: Timestamp, tz: &TimeZone) -> bool {
        let local = tz.to_datetime(at).time();
        if self.from < self.until {
            self.from <= local && local < self.until
        } else {
            local >= self.from || local < self.until
        }
    }
}

impl fmt::Display for QuietHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:02}:{:02}-{:02}:{:02}",
            self.from.hour(),
            self.from.minute(),
            self.until.hour(),
            self.until.minute()
        )
    }
}

/// `H:MM` or `HH:MM`, 00:00 to 23:59 (`24:00` is accepted as the end of the day).
fn clock_time(text: &str) -> Option<Time> {
    let (h, m) = text.trim().split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (i8, i8) = (h.parse().ok()?, m.parse().ok()?);
    if (h, m) == (24, 0) {
        return Some(Time::midnight());
    }
    Time::new(h, m, 0, 0).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn berlin() -> TimeZone {
        TimeZone::get("Europe/Berlin").unwrap()
    }

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn parses_windows_and_refuses_the_rest() {
        let q = QuietHours::parse("22:00-06:00").unwrap();
        assert_eq!(q.to_string(), "22:00-06:00");
        assert_eq!(
            QuietHours::parse(" 7:30 - 9:00 ").unwrap().to_string(),
            "07:30-09:00"
        );
        assert_eq!(
            QuietHours::parse("18:00-24:00").unwrap().until,
            Time::midnight()
        );
        for bad in [
            "",
            "22:00",
            "22-06",
            "25:00-06:00",
            "22:60-06:00",
            "22:00-22:00",
            "ab:cd-06:00",
            "22:0-06:00",
        ] {
            assert_eq!(QuietHours::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_window_across_midnight_covers_both_evenings_and_mornings() {
        let q = QuietHours::parse("22:00-06:00").unwrap();
        let tz = berlin();
        // Winter: Berlin is UTC+1.
        assert!(!q.contains(at("2026-11-27T20:59:59Z"), &tz), "21:59:59");
        assert!(
            q.contains(at("2026-11-27T21:00:00Z"), &tz),
            "22:00 starts it"
        );
        assert!(q.contains(at("2026-11-27T23:30:00Z"), &tz), "00:30");
        assert!(q.contains(at("2026-11-28T04:59:59Z"), &tz), "05:59:59");
        assert!(
            !q.contains(at("2026-11-28T05:00:00Z"), &tz),
            "06:00 ends it"
        );
        assert!(!q.contains(at("2026-11-28T11:00:00Z"), &tz), "noon");
    }

    #[test]
    fn a_window_within_the_day() {
        let q = QuietHours::parse("12:00-13:00").unwrap();
        let tz = berlin();
        assert!(q.contains(at("2026-07-01T10:30:00Z"), &tz), "12:30 CEST");
        assert!(!q.contains(at("2026-07-01T11:30:00Z"), &tz), "13:30 CEST");
        assert!(!q.contains(at("2026-07-01T09:59:00Z"), &tz), "11:59 CEST");
    }

    #[test]
    fn follows_the_wall_clock_when_summer_time_begins() {
        // 2026-03-29: at 02:00 CET the clocks jump to 03:00 CEST.
        let q = QuietHours::parse("01:00-03:00").unwrap();
        let tz = berlin();
        assert!(q.contains(at("2026-03-29T00:00:00Z"), &tz), "01:00 CET");
        assert!(q.contains(at("2026-03-29T00:59:59Z"), &tz), "01:59:59 CET");
        // One real second later it is 03:00 CEST: the window is over after one hour.
        assert!(!q.contains(at("2026-03-29T01:00:00Z"), &tz), "03:00 CEST");
    }

    #[test]
    fn the_repeated_hour_is_quiet_twice_when_summer_time_ends() {
        // 2026-10-25: at 03:00 CEST the clocks go back to 02:00 CET; 02:xx happens twice.
        let q = QuietHours::parse("02:00-03:00").unwrap();
        let tz = berlin();
        assert!(q.contains(at("2026-10-25T00:30:00Z"), &tz), "02:30 CEST");
        assert!(q.contains(at("2026-10-25T01:30:00Z"), &tz), "02:30 CET");
        assert!(!q.contains(at("2026-10-25T02:00:00Z"), &tz), "03:00 CET");
        assert!(!q.contains(at("2026-10-24T23:59:00Z"), &tz), "01:59 CEST");
    }

    #[test]
    fn uses_the_given_zone_not_utc() {
        let q = QuietHours::parse("22:00-06:00").unwrap();
        let instant = at("2026-11-27T21:30:00Z");
        assert!(q.contains(instant, &berlin()), "22:30 in Berlin");
        assert!(!q.contains(instant, &TimeZone::get("America/New_York").unwrap()));
    }
}
