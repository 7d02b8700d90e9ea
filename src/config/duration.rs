//! Human durations in the config: `30s`, `5m`, `1h30m`, `2d`. Units go from large to small,
//! each at most once.

use std::time::Duration;

/// The hint shown for a malformed duration.
pub const DURATION_HINT: &str = "write durations like `30s`, `5m` or `1h30m` (units d, h, m, s)";

const UNITS: [(char, u64); 4] = [('d', 86_400), ('h', 3_600), ('m', 60), ('s', 1)];

/// Parses a duration; `None` when `text` is not of the form `<n><unit>...`.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let mut rest = text.trim();
    if rest.is_empty() {
        return None;
    }
    let mut total: u64 = 0;
    let mut next_unit = 0;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let number: u64 = rest[..digits].parse().ok()?;
        let unit = rest[digits..].chars().next()?;
        let offset = UNITS[next_unit..].iter().position(|(u, _)| *u == unit)?;
        let seconds = UNITS[next_unit + offset].1;
        total = total.checked_add(number.checked_mul(seconds)?)?;
        next_unit += offset + 1;
        rest = &rest[digits + unit.len_utf8()..];
    }
    Some(Duration::from_secs(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_units_in_order() {
        assert_eq!(parse_duration("30s"), Some(Duration::from_secs(30)));
        assert_eq!(parse_duration("5m"), Some(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h30m"), Some(Duration::from_secs(5_400)));
        assert_eq!(
            parse_duration("1d2h3m4s"),
            Some(Duration::from_secs(93_784))
        );
        assert_eq!(parse_duration("0s"), Some(Duration::ZERO));
    }

    #[test]
    fn refuses_everything_else() {
        for bad in [
            "", "30", "s", "30x", "1m1h", "1h1h", "1.5h", "-5m", "5 m", "1hm",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad:?}");
        }
    }
}
