//! Compact, language-aware formatting of durations for the queue: SLA countdowns and ages.

use jiff::SignedDuration;

/// The SLA countdown as the queue shows it. Seconds appear only when less than an hour is
/// left (so a screen of far-away due times changes once a minute, not every second):
/// `42:07`, `3h10m`, `2d04h`; overdue values carry a leading minus: `-05:12`, `-1h05m`.
pub fn countdown(remaining: SignedDuration) -> String {
    let neg = remaining.is_negative();
    let secs = remaining.as_secs().unsigned_abs();
    let sign = if neg { "-" } else { "" };
    let (d, h, m, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    if secs < 3600 {
        format!("{sign}{m:02}:{s:02}")
    } else if secs < 86_400 {
        format!("{sign}{h}h{m:02}m")
    } else {
        format!("{sign}{d}d{h:02}h")
    }
}

/// True when the countdown text for `remaining` changes every second.
pub fn countdown_ticks_per_second(remaining: SignedDuration) -> bool {
    remaining.as_secs().unsigned_abs() < 3600
}

/// An age like `5m`, `3h`, `2d` (coarse on purpose: ages need no seconds).
pub fn age(elapsed: SignedDuration) -> String {
    let secs = elapsed.as_secs().max(0) as u64;
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}m", secs / 60),
        3600..86_400 => format!("{}h", secs / 3600),
        _ => format!("{}d", secs / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(n: i64) -> SignedDuration {
        SignedDuration::from_secs(n)
    }

    #[test]
    fn countdown_shows_seconds_only_under_an_hour() {
        assert_eq!(countdown(s(42 * 60 + 7)), "42:07");
        assert_eq!(countdown(s(3599)), "59:59");
        assert_eq!(countdown(s(3600)), "1h00m");
        assert_eq!(countdown(s(3 * 3600 + 10 * 60 + 59)), "3h10m");
        assert_eq!(countdown(s(2 * 86_400 + 4 * 3600)), "2d04h");
        assert!(countdown_ticks_per_second(s(3599)));
        assert!(!countdown_ticks_per_second(s(3600)));
    }

    #[test]
    fn overdue_is_negative() {
        assert_eq!(countdown(s(-(5 * 60 + 12))), "-05:12");
        assert_eq!(countdown(s(-(3600 + 5 * 60))), "-1h05m");
    }

    #[test]
    fn ages_are_coarse() {
        assert_eq!(age(s(12)), "12s");
        assert_eq!(age(s(5 * 60 + 59)), "5m");
        assert_eq!(age(s(3 * 3600)), "3h");
        assert_eq!(age(s(2 * 86_400 + 5)), "2d");
        assert_eq!(age(s(-4)), "0s");
    }
}
