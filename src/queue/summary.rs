//! Open items and the worst SLA level per tenant, for the tenant list. One pass over the
//! slots (in slot order, grouping by the interned tenant number, no hashing per item); the
//! result is kept until the queue changes (its revision) or an SLA level changes (a tick
//! that reported a change), so a frame with the tenant list open costs a lookup, not a walk
//! over every item.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use jiff::Timestamp;

use super::Queue;
use super::symbols::NONE;
use crate::model::{StatusCategory, TenantId};
use crate::sla::Level;

/// One tenant's line in the tenant list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TenantState {
    /// Items that are not resolved.
    pub open: usize,
    /// The worst level of their nearest unmet clocks; `None` when no open item has a clock.
    pub worst: Option<Level>,
}

/// [`TenantState`] of every tenant that has open items.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TenantSummary {
    by_tenant: HashMap<TenantId, TenantState>,
}

impl TenantSummary {
    /// The tenant's state; zero open items and no level for a tenant without open items.
    pub fn get(&self, tenant: &TenantId) -> TenantState {
        self.by_tenant.get(tenant).copied().unwrap_or_default()
    }

    /// Tenants with open items.
    pub fn len(&self) -> usize {
        self.by_tenant.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_tenant.is_empty()
    }
}

/// How bad a level is, for choosing a tenant's worst: breached, then warnings (a later
/// threshold is worse), then running in time, then paused, then met. Distinct levels never
/// tie, so the worst does not depend on the order the items are visited in.
pub fn severity(level: Level) -> u16 {
    match level {
        Level::Breached => 1000,
        Level::Warning(i) => 100 + u16::from(i),
        Level::Ok => 3,
        Level::Paused => 2,
        Level::Met => 1,
    }
}

/// The worse of two levels.
pub fn worse(a: Level, b: Level) -> Level {
    if severity(b) > severity(a) { b } else { a }
}

/// What a kept summary was computed from: the queue's revision, its count of ticks that
/// changed a level, and the instant if it was not the last tick's.
type MemoKey = (u64, u64, Option<Timestamp>);

/// The last summary and what it was computed from.
#[derive(Debug, Default)]
pub(super) struct SummaryMemo(Mutex<Option<(MemoKey, Arc<TenantSummary>)>>);

impl Queue {
    /// Open items and worst SLA level per tenant at `now`. Computed again only when the
    /// queue or an SLA level changed since the last call (or when `now` is not the instant
    /// of the last tick, as the levels are only tracked at ticks).
    pub fn tenant_summary(&self, now: Timestamp) -> Arc<TenantSummary> {
        let key = (
            self.revision,
            self.level_revision,
            (now != self.last_tick).then_some(now),
        );
        let mut memo = self
            .summary
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((kept, summary)) = memo.as_ref()
            && *kept == key
        {
            return Arc::clone(summary);
        }
        let summary = Arc::new(self.compute_tenant_summary(now));
        *memo = Some((key, Arc::clone(&summary)));
        summary
    }

    /// [`Queue::tenant_summary`] without the memo: one pass over every entry.
    pub fn compute_tenant_summary(&self, now: Timestamp) -> TenantSummary {
        let mut per_symbol = vec![TenantState::default(); self.tenants.len()];
        for (slot, facets) in self.slots.iter().zip(&self.facets) {
            let Some(entry) = slot else {
                continue;
            };
            if facets.category == StatusCategory::Resolved || facets.tenant == NONE {
                continue;
            }
            let state = &mut per_symbol[facets.tenant as usize];
            state.open += 1;
            if let Some(level) = entry.clocks.nearest_unmet().map(|c| c.level(now)) {
                state.worst = Some(state.worst.map_or(level, |w| worse(w, level)));
            }
        }
        let by_tenant = per_symbol
            .into_iter()
            .enumerate()
            .filter(|(_, state)| state.open > 0)
            .map(|(ix, state)| (TenantId(self.tenants.name(ix as u32).clone()), state))
            .collect();
        TenantSummary { by_tenant }
    }
}
