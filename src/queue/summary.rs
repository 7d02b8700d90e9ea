//! Open items and the worst SLA level per tenant, for the tenant list, kept up to date as
//! entries change and as ticks report level changes: each entry has a [`Standing`] (not
//! open, or open with the level of its nearest unmet clock at the last tick), and each tenant
//! counts its entries per standing. A frame with the tenant list open reads ~240 tenants'
//! counts instead of walking every item, and a change costs a counter move, not a walk.

use std::collections::HashMap;

use jiff::Timestamp;

use super::Queue;
use super::symbols::NONE;
use crate::model::{StatusCategory, TenantId};
use crate::sla::{Level, SlaClocks};

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

/// What an entry adds to its tenant's line, in rising [`severity`] from `NoClock` on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub(crate) enum Standing {
    /// Resolved (or a free slot): not counted.
    #[default]
    NotOpen,
    /// Open without any clock.
    NoClock,
    Met,
    Paused,
    Ok,
    Warning0,
    Warning1,
    /// The third warning threshold (clocks keep at most [`crate::sla::MAX_WARNINGS`]).
    Warning2,
    Breached,
}

/// Counts per open standing (`NoClock` ..= `Breached`).
pub(super) type Counts = [u32; 8];

impl Standing {
    /// The standing of an entry with `category` and `clocks` at `at`.
    pub(super) fn of(category: StatusCategory, clocks: &SlaClocks, at: Timestamp) -> Self {
        if category == StatusCategory::Resolved {
            return Standing::NotOpen;
        }
        match clocks.nearest_unmet().map(|c| c.level(at)) {
            None => Standing::NoClock,
            Some(Level::Met) => Standing::Met,
            Some(Level::Paused) => Standing::Paused,
            Some(Level::Ok) => Standing::Ok,
            Some(Level::Warning(0)) => Standing::Warning0,
            Some(Level::Warning(1)) => Standing::Warning1,
            Some(Level::Warning(_)) => Standing::Warning2,
            Some(Level::Breached) => Standing::Breached,
        }
    }

    /// Index into [`Counts`]; `None` for `NotOpen`.
    fn slot(self) -> Option<usize> {
        (self as usize).checked_sub(1)
    }

    fn level(slot: usize) -> Option<Level> {
        [
            None,
            Some(Level::Met),
            Some(Level::Paused),
            Some(Level::Ok),
            Some(Level::Warning(0)),
            Some(Level::Warning(1)),
            Some(Level::Warning(2)),
            Some(Level::Breached),
        ][slot]
    }
}

fn state_of(counts: &Counts) -> TenantState {
    TenantState {
        open: counts.iter().map(|&n| n as usize).sum(),
        worst: counts
            .iter()
            .rposition(|&n| n > 0)
            .and_then(Standing::level),
    }
}

impl Queue {
    /// Open items and worst SLA level per tenant at `now`. At the instant of the last tick
    /// (the app ticks and draws at the same instant) this reads the counts the queue keeps;
    /// at any other instant it is [`Queue::compute_tenant_summary`].
    pub fn tenant_summary(&self, now: Timestamp) -> TenantSummary {
        if now != self.last_tick {
            return self.compute_tenant_summary(now);
        }
        let by_tenant = self
            .standings
            .iter()
            .enumerate()
            .map(|(ix, counts)| (ix, state_of(counts)))
            .filter(|(_, state)| state.open > 0)
            .map(|(ix, state)| (TenantId(self.tenants.name(ix as u32).clone()), state))
            .collect();
        TenantSummary { by_tenant }
    }

    /// [`Queue::tenant_summary`] by one pass over every entry, at any instant.
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

    /// Count (`add`) or uncount an entry of tenant symbol `tenant` with `standing`.
    pub(super) fn count_standing(&mut self, tenant: u32, standing: Standing, add: bool) {
        let Some(slot) = standing.slot() else {
            return;
        };
        if tenant == NONE {
            return;
        }
        let ix = tenant as usize;
        if self.standings.len() <= ix {
            self.standings.resize(ix + 1, Counts::default());
        }
        let n = &mut self.standings[ix][slot];
        if add {
            *n += 1;
        } else {
            *n -= 1;
        }
    }

    /// The entry's standing at `at`, after its levels may have changed (a tick).
    pub(super) fn restand(&mut self, id: u32, at: Timestamp) {
        let Some(entry) = self.slots[id as usize].as_ref() else {
            return;
        };
        let new = Standing::of(entry.item.status.category, &entry.clocks, at);
        let f = &mut self.facets[id as usize];
        if f.standing != new {
            let (tenant, old) = (f.tenant, f.standing);
            f.standing = new;
            self.count_standing(tenant, old, false);
            self.count_standing(tenant, new, true);
        }
    }
}
