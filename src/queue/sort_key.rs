//! The SLA part of the queue order. The key comes from the SLA engine
//! ([`crate::sla::SlaClocks::sort_key`]) and does not depend on `now`: running clocks sort by
//! their absolute due time, which keeps the order stable from one second to the next, so
//! ticking never re-sorts. Paused clocks follow, by remaining target time; items without an
//! unmet clock come last.

pub use crate::sla::SortKey;

use crate::sla::SlaClocks;

/// The sort key of an item's clocks.
pub fn sort_key(clocks: &SlaClocks) -> SortKey {
    clocks.sort_key()
}

/// A coarse number that never contradicts the order of [`SortKey`]: `a < b` implies
/// `rank(a) <= rank(b)`. Sorting packed `(rank, id)` pairs first and only comparing full keys
/// within equal ranks makes the 100k re-sort several times faster.
pub fn rank(key: &SortKey) -> u64 {
    let (class, secs) = match *key {
        SortKey::Running { due } => (0, due),
        SortKey::Paused { remaining } => (1, remaining),
        SortKey::NoClock => (2, 0),
    };
    let value = secs.saturating_add(BIAS).clamp(0, VALUE_MASK as i64) as u64;
    (class << 62) | value
}

const BIAS: i64 = 1 << 61;
const VALUE_MASK: u64 = (1 << 62) - 1;

/// The key a rank was made from, if the rank tells it exactly: it does unless [`rank`]
/// clamped the seconds (beyond ±2^61, which only the `i64::MAX` of a paused clock without a
/// remaining time reaches).
pub fn exact_key(rank: u64) -> SortKey {
    let secs = (rank & VALUE_MASK) as i64 - BIAS;
    match rank >> 62 {
        0 => SortKey::Running { due: secs },
        1 => SortKey::Paused { remaining: secs },
        _ => SortKey::NoClock,
    }
}

/// True when [`exact_key`] gives `key` back from its rank.
pub fn rank_is_exact(key: &SortKey) -> bool {
    exact_key(rank(key)) == *key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rank_never_contradicts_the_key_order() {
        let mut keys = [
            SortKey::NoClock,
            SortKey::Paused { remaining: 600 },
            SortKey::Paused { remaining: -30 },
            SortKey::Running { due: 1_800_000_000 },
            SortKey::Running { due: -5 },
            SortKey::Running { due: i64::MAX },
            SortKey::Paused {
                remaining: i64::MIN,
            },
        ];
        keys.sort();
        for w in keys.windows(2) {
            assert!(rank(&w[0]) <= rank(&w[1]), "{:?} vs {:?}", w[0], w[1]);
        }
        assert!(
            rank(&SortKey::Running { due: i64::MAX })
                < rank(&SortKey::Paused {
                    remaining: i64::MIN
                })
        );
    }

    #[test]
    fn ranks_of_real_due_times_give_the_key_back() {
        let exact = [
            SortKey::NoClock,
            SortKey::Running { due: 0 },
            SortKey::Running { due: -1 },
            // Timestamp's range in seconds, and a span of i64 milliseconds.
            SortKey::Running {
                due: 253_402_207_200,
            },
            SortKey::Running {
                due: -377_705_116_800,
            },
            SortKey::Paused {
                remaining: i64::MAX / 1000,
            },
            SortKey::Paused {
                remaining: i64::MIN / 1000,
            },
            SortKey::Running { due: (1 << 61) - 1 },
            SortKey::Paused {
                remaining: -(1 << 61),
            },
        ];
        for key in exact {
            assert!(rank_is_exact(&key), "{key:?}");
            assert_eq!(exact_key(rank(&key)), key);
        }
        for clamped in [
            SortKey::Paused {
                remaining: i64::MAX,
            },
            SortKey::Running { due: i64::MIN },
            SortKey::Running { due: 1 << 61 },
        ] {
            assert!(!rank_is_exact(&clamped), "{clamped:?}");
        }
    }
}
