//! The SLA part of the queue order, in one place so it can follow the SLA engine.
//!
//! The key does not depend on `now`: running clocks sort by their absolute due time, which
//! keeps the order stable from one second to the next, so ticking never re-sorts.

use jiff::{SignedDuration, Timestamp};

use crate::sla::SlaClocks;

/// Where an item's clocks put it in the queue: running unmet clocks by nearest absolute due
/// time first, then items whose unmet clocks are all paused by remaining target time, then
/// items without an unmet clock (met, or no SLA at all).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SortKey {
    Running(Timestamp),
    Paused(SignedDuration),
    Unclocked,
}

/// The sort key of an item's clocks.
pub fn sort_key(clocks: &SlaClocks) -> SortKey {
    let unmet = || clocks.clocks.iter().filter(|c| c.met_at.is_none());
    let running = unmet()
        .filter(|c| c.paused_since.is_none())
        .map(|c| c.due)
        .min();
    if let Some(due) = running {
        return SortKey::Running(due);
    }
    let paused = unmet()
        .map(|c| {
            c.remaining_when_paused.unwrap_or_else(|| {
                let since = c.paused_since.unwrap_or(c.due);
                c.due.duration_since(since)
            })
        })
        .min();
    paused.map_or(SortKey::Unclocked, SortKey::Paused)
}

/// A coarse number that never contradicts the order of [`SortKey`]: `a < b` implies
/// `rank(a) <= rank(b)`. Sorting packed `(rank, id)` pairs first and only comparing full keys
/// within equal ranks makes the 100k re-sort several times faster. (Should the SLA engine's
/// key not expose its parts, returning 0 keeps the order right and only costs speed.)
pub fn rank(key: &SortKey) -> u64 {
    const BIAS: i64 = 1 << 61;
    let (class, secs) = match key {
        SortKey::Running(due) => (0, due.as_second()),
        SortKey::Paused(left) => (1, left.as_secs()),
        SortKey::Unclocked => (2, 0),
    };
    let value = secs.saturating_add(BIAS).clamp(0, (1 << 62) - 1) as u64;
    (class << 62) | value
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sla::{Clock, ClockKind};

    fn clock(due: i64) -> Clock {
        Clock {
            kind: ClockKind::Resolution,
            due: Timestamp::from_second(due).unwrap(),
            warn_at: vec![],
            paused_since: None,
            remaining_when_paused: None,
            met_at: None,
            supplied: false,
        }
    }

    #[test]
    fn running_before_paused_before_unclocked() {
        let running = SlaClocks {
            clocks: vec![clock(5_000), clock(9_000)],
        };
        let mut paused_clock = clock(100);
        paused_clock.paused_since = Some(Timestamp::from_second(50).unwrap());
        paused_clock.remaining_when_paused = Some(SignedDuration::from_secs(10));
        let paused = SlaClocks {
            clocks: vec![paused_clock],
        };
        let mut met_clock = clock(1);
        met_clock.met_at = Some(Timestamp::from_second(0).unwrap());
        let met = SlaClocks {
            clocks: vec![met_clock],
        };
        assert_eq!(
            sort_key(&running),
            SortKey::Running(Timestamp::from_second(5_000).unwrap())
        );
        assert_eq!(
            sort_key(&paused),
            SortKey::Paused(SignedDuration::from_secs(10))
        );
        assert_eq!(sort_key(&met), SortKey::Unclocked);
        assert_eq!(sort_key(&SlaClocks::default()), SortKey::Unclocked);
        assert!(sort_key(&running) < sort_key(&paused));
        assert!(sort_key(&paused) < sort_key(&met));
    }

    #[test]
    fn paused_without_frozen_remaining_uses_due_minus_pause_start() {
        let mut c = clock(1_000);
        c.paused_since = Some(Timestamp::from_second(400).unwrap());
        let clocks = SlaClocks { clocks: vec![c] };
        assert_eq!(
            sort_key(&clocks),
            SortKey::Paused(SignedDuration::from_secs(600))
        );
    }

    #[test]
    fn rank_never_contradicts_the_order() {
        let mut rng = fastrand::Rng::with_seed(3);
        let mut keys: Vec<SortKey> = (0..2_000)
            .map(|_| match rng.u8(..3) {
                0 => SortKey::Running(
                    Timestamp::from_nanosecond(i128::from(
                        rng.i64(-1_000_000_000_000..1_000_000_000_000),
                    ))
                    .unwrap(),
                ),
                1 => SortKey::Paused(SignedDuration::from_nanos(
                    rng.i64(-5_000_000_000..5_000_000_000),
                )),
                _ => SortKey::Unclocked,
            })
            .collect();
        keys.sort();
        for w in keys.windows(2) {
            assert!(rank(&w[0]) <= rank(&w[1]), "{:?} {:?}", w[0], w[1]);
        }
    }
}
