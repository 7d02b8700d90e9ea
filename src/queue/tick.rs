//! Per-second SLA bookkeeping: each entry has its next level-change instant (a warning
//! threshold or a due time of a running clock) in a min-heap, so a tick only pops the
//! instants that `now` has passed.

use std::cmp::Reverse;

use jiff::Timestamp;

use super::Queue;
use crate::sla::{ClockKind, Level, SlaClocks};

/// One clock of one entry that changed level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LevelChange {
    pub id: u32,
    pub clock: ClockKind,
    pub from: Level,
    pub to: Level,
}

/// What changed since the previous tick.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TickReport {
    pub changes: Vec<LevelChange>,
}

impl TickReport {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// Ids of the entries that changed (each once, in report order).
    pub fn ids(&self) -> Vec<u32> {
        let mut ids: Vec<u32> = Vec::with_capacity(self.changes.len());
        for c in &self.changes {
            if !ids.contains(&c.id) {
                ids.push(c.id);
            }
        }
        ids
    }
}

/// The first instant after `after` at which a running clock changes level.
fn next_instant(clocks: &SlaClocks, after: Timestamp) -> Option<Timestamp> {
    clocks
        .clocks
        .iter()
        .filter(|c| c.is_running())
        .flat_map(|c| c.warn_at().chain(std::iter::once(c.due())))
        .filter(|t| *t > after)
        .min()
}

fn level_changes(
    id: u32,
    clocks: &SlaClocks,
    from: Timestamp,
    to: Timestamp,
    out: &mut Vec<LevelChange>,
) {
    for c in &clocks.clocks {
        let (before, after) = (c.level(from), c.level(to));
        if before != after {
            out.push(LevelChange {
                id,
                clock: c.kind,
                from: before,
                to: after,
            });
        }
    }
}

impl Queue {
    /// Find the SLA level changes between the previous tick and `now`.
    pub fn tick(&mut self, now: Timestamp) -> TickReport {
        let mut changes = Vec::new();
        if now < self.last_tick {
            return self.tick_backwards(now);
        }
        let now_ms = now.as_millisecond();
        // Pushed after popping: an instant within the current millisecond but after `now`
        // would otherwise be popped again at once.
        let mut again = Vec::new();
        while let Some(&Reverse((at, id, version))) = self.schedule.peek() {
            if at > now_ms {
                break;
            }
            self.schedule.pop();
            if self.versions[id as usize] as u32 != version {
                continue;
            }
            let Some(entry) = self.slots[id as usize].as_ref() else {
                continue;
            };
            level_changes(id, &entry.clocks, self.last_tick, now, &mut changes);
            if let Some(next) = next_instant(&entry.clocks, now) {
                again.push(Reverse((next.as_millisecond(), id, version)));
            }
        }
        self.schedule.extend(again);
        self.last_tick = now;
        for change in &changes {
            self.restand(change.id, now);
        }
        TickReport { changes }
    }

    /// The clock was set back: compare every entry and schedule everything again.
    fn tick_backwards(&mut self, now: Timestamp) -> TickReport {
        let mut changes = Vec::new();
        for (id, slot) in self.slots.iter().enumerate() {
            if let Some(entry) = slot {
                level_changes(id as u32, &entry.clocks, self.last_tick, now, &mut changes);
            }
        }
        self.last_tick = now;
        for id in 0..self.slots.len() as u32 {
            self.restand(id, now);
        }
        self.rebuild_schedule();
        TickReport { changes }
    }

    pub(super) fn schedule_next(&mut self, id: u32) {
        let Some(entry) = self.slots[id as usize].as_ref() else {
            return;
        };
        if let Some(next) = next_instant(&entry.clocks, self.last_tick) {
            // Only the low bits: enough to tell an outdated schedule from the current one.
            let version = self.versions[id as usize] as u32;
            self.schedule
                .push(Reverse((next.as_millisecond(), id, version)));
        }
    }

    /// Drop outdated heap entries once they outnumber the live ones.
    pub(super) fn compact_schedule(&mut self) {
        if self.schedule.len() > 2 * self.len() + 64 {
            self.rebuild_schedule();
        }
    }

    fn rebuild_schedule(&mut self) {
        self.schedule.clear();
        for id in 0..self.slots.len() as u32 {
            self.schedule_next(id);
        }
    }
}
