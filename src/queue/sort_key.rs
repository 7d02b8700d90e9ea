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
