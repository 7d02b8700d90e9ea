//! Small helpers on the seeded random generator: chances, weighted picks, spans of time.
//! Every draw goes through a [`fastrand::Rng`] the caller owns, so the world stays a function
//! of its seed.

use fastrand::Rng;
use jiff::{SignedDuration, Timestamp};

/// True with probability `num / den`.
pub fn chance(rng: &mut Rng, num: u32, den: u32) -> bool {
    rng.u32(0..den) < num
}

/// One element of a non-empty slice.
pub fn pick<'a, T>(rng: &mut Rng, items: &'a [T]) -> &'a T {
    &items[rng.usize(0..items.len())]
}

/// The index drawn with probability proportional to `weights[i]`; `None` when all are 0.
pub fn weighted_index(rng: &mut Rng, weights: impl Iterator<Item = u32> + Clone) -> Option<usize> {
    let total: u32 = weights.clone().sum();
    if total == 0 {
        return None;
    }
    let mut roll = rng.u32(0..total);
    for (i, w) in weights.enumerate() {
        if roll < w {
            return Some(i);
        }
        roll -= w;
    }
    None
}

/// A value in `lo..=hi`.
pub fn value(rng: &mut Rng, (lo, hi): (u32, u32)) -> u32 {
    rng.u32(lo..=hi.max(lo))
}

/// A duration between `lo` and `hi` (whole seconds).
pub fn span(rng: &mut Rng, lo: SignedDuration, hi: SignedDuration) -> SignedDuration {
    let (lo, hi) = (lo.as_secs(), hi.as_secs());
    SignedDuration::from_secs(rng.i64(lo..=hi.max(lo)))
}

/// `fraction` (a range of factors) of `d`, e.g. 0.75..0.9 of a target.
pub fn share(rng: &mut Rng, d: SignedDuration, lo: f64, hi: f64) -> SignedDuration {
    let f = lo + (hi - lo) * rng.f64();
    SignedDuration::from_secs((d.as_secs() as f64 * f) as i64)
}

/// An instant between `a` and `b` (`a` when `b` is not after it).
pub fn instant_between(rng: &mut Rng, a: Timestamp, b: Timestamp) -> Timestamp {
    if b <= a {
        return a;
    }
    a + span(rng, SignedDuration::ZERO, b.duration_since(a))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weighted_index_skips_zero_weights() {
        let mut rng = Rng::with_seed(7);
        for _ in 0..200 {
            let i = weighted_index(&mut rng, [0, 3, 0, 1].into_iter()).unwrap();
            assert!(i == 1 || i == 3);
        }
        assert_eq!(weighted_index(&mut rng, [0, 0].into_iter()), None);
    }

    #[test]
    fn instant_between_stays_inside() {
        let mut rng = Rng::with_seed(1);
        let a = Timestamp::UNIX_EPOCH;
        let b = a + SignedDuration::from_hours(2);
        for _ in 0..100 {
            let t = instant_between(&mut rng, a, b);
            assert!(a <= t && t <= b);
        }
        assert_eq!(instant_between(&mut rng, b, a), b);
    }
}
