//! [`Moment`]: an instant to the millisecond in 8 bytes, for the instants every item carries
//! (a [`jiff::Timestamp`] takes 16 and an `Option` of it 24; `Option<Moment>` stays at 8).

use std::fmt;
use std::num::NonZeroU64;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An instant, to the millisecond. Made from a [`Timestamp`], it keeps whole milliseconds
/// and drops finer digits (as [`Timestamp::as_millisecond`] does); every instant of
/// `Timestamp`'s range at millisecond precision goes there and back unchanged.
///
/// Stored as the milliseconds since the epoch with the sign bit flipped, so that unsigned
/// order is time order and zero (`i64::MIN` ms, far outside `Timestamp`'s range) is free
/// for `Option`'s `None`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Moment(NonZeroU64);

const SIGN: u64 = 1 << 63;

impl Moment {
    /// `t` to the millisecond.
    pub fn new(t: Timestamp) -> Moment {
        let bits = t.as_millisecond() as u64 ^ SIGN;
        Moment(NonZeroU64::new(bits).expect("a Timestamp is never i64::MIN milliseconds"))
    }

    /// Milliseconds since the Unix epoch.
    pub fn as_millisecond(self) -> i64 {
        (self.0.get() ^ SIGN) as i64
    }

    /// The instant as a [`Timestamp`] (the epoch plus the milliseconds: unlike
    /// `Timestamp::from_millisecond`, this reaches the ends of `Timestamp`'s range).
    pub fn timestamp(self) -> Timestamp {
        Timestamp::UNIX_EPOCH
            .checked_add(SignedDuration::from_millis(self.as_millisecond()))
            .expect("made from a Timestamp, so within its range")
    }
}

impl From<Timestamp> for Moment {
    fn from(t: Timestamp) -> Self {
        Moment::new(t)
    }
}

impl From<Moment> for Timestamp {
    fn from(m: Moment) -> Self {
        m.timestamp()
    }
}

impl fmt::Debug for Moment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.timestamp(), f)
    }
}

impl fmt::Display for Moment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.timestamp(), f)
    }
}

/// As the [`Timestamp`] it stands for (RFC 3339 text in JSON).
impl Serialize for Moment {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.timestamp().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Moment {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Timestamp::deserialize(deserializer).map(Moment::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("valid timestamp")
    }

    #[test]
    fn eight_bytes_with_or_without_a_value() {
        assert_eq!(std::mem::size_of::<Moment>(), 8);
        assert_eq!(std::mem::size_of::<Option<Moment>>(), 8);
    }

    #[test]
    fn milliseconds_go_there_and_back_across_the_whole_range() {
        for t in [
            Timestamp::MIN,
            ts("1969-12-31T23:59:59.999Z"),
            Timestamp::UNIX_EPOCH,
            ts("2026-11-28T02:00:00.123Z"),
            Timestamp::MAX,
        ] {
            let whole_ms = Timestamp::UNIX_EPOCH + SignedDuration::from_millis(t.as_millisecond());
            assert_eq!(Moment::new(t).timestamp(), whole_ms, "{t}");
            assert_eq!(Moment::new(whole_ms).timestamp(), whole_ms, "{t}");
            assert_eq!(Moment::new(t).as_millisecond(), t.as_millisecond());
        }
    }

    #[test]
    fn finer_digits_are_dropped() {
        let t = ts("2026-11-28T02:00:00.123456789Z");
        assert_eq!(Moment::new(t).timestamp(), ts("2026-11-28T02:00:00.123Z"));
    }

    #[test]
    fn order_is_time_order() {
        let mut moments = [
            ts("2026-01-01T00:00:00Z"),
            Timestamp::MIN,
            ts("1969-12-31T23:59:59.999Z"),
            Timestamp::MAX,
            Timestamp::UNIX_EPOCH,
        ]
        .map(Moment::new);
        moments.sort();
        let times = moments.map(Moment::timestamp);
        assert!(times.windows(2).all(|w| w[0] < w[1]), "{times:?}");
    }

    #[test]
    fn serialized_as_the_timestamp() {
        let t = ts("2026-11-28T02:00:00.5Z");
        let json = serde_json::to_string(&Moment::new(t)).expect("serializes");
        assert_eq!(json, serde_json::to_string(&t).expect("serializes"));
        let back: Moment = serde_json::from_str(&json).expect("deserializes");
        assert_eq!(back.timestamp(), t);
    }
}
