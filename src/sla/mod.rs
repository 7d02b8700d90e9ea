//! SLA engine: contracts (targets per priority), business calendars with German public
//! holidays per state, and the clocks (first response, next update, resolution) of an item.
//!
//! Clocks are computed once when an item changes ([`evaluate`]); per-second work is only
//! comparing `now` with the precomputed instants ([`Clock::level`]).

pub mod spec;

use jiff::{SignedDuration, Timestamp};

use crate::model::{Item, Priority};

/// Which promise a clock measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ClockKind {
    FirstResponse,
    NextUpdate,
    Resolution,
}

/// Targets for one priority.
#[derive(Clone, Debug, PartialEq)]
pub struct PriorityTargets {
    pub first_response: Option<SignedDuration>,
    pub next_update: Option<SignedDuration>,
    pub resolution: Option<SignedDuration>,
    /// Clocks of this priority run 24x7 regardless of the contract's calendar.
    pub around_the_clock: bool,
}

/// A tenant's contract. (STUB: replaced by the real engine.)
#[derive(Clone, Debug)]
pub struct Contract {
    pub name: String,
    pub targets: [PriorityTargets; 4],
    /// Status labels (lower case) in which the clocks pause.
    pub pause_statuses: Vec<String>,
    /// Warning fractions of the target, ascending (default 0.75, 0.9).
    pub warn_fractions: Vec<f64>,
}

/// How a clock stands at a given instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Ok,
    /// Index into the warning fractions that has been passed (0 = first warning).
    Warning(u8),
    Breached,
    Paused,
    Met,
}

/// One clock of one item.
#[derive(Clone, Debug, PartialEq)]
pub struct Clock {
    pub kind: ClockKind,
    /// Absolute due time. For a paused clock: the due time if it resumed at `paused_since`.
    pub due: Timestamp,
    /// Instants at which each warning fraction is reached.
    pub warn_at: Vec<Timestamp>,
    pub paused_since: Option<Timestamp>,
    /// Remaining target time frozen while paused (calendar time, not wall time).
    pub remaining_when_paused: Option<SignedDuration>,
    pub met_at: Option<Timestamp>,
    /// True when the due time came from the source, not from the contract.
    pub supplied: bool,
}

impl Clock {
    pub fn level(&self, now: Timestamp) -> Level {
        if self.met_at.is_some() {
            return Level::Met;
        }
        if self.paused_since.is_some() {
            return Level::Paused;
        }
        if now >= self.due {
            return Level::Breached;
        }
        match self.warn_at.iter().rposition(|w| now >= *w) {
            Some(i) => Level::Warning(i as u8),
            None => Level::Ok,
        }
    }

    /// Wall time left until due (negative when overdue).
    pub fn remaining(&self, now: Timestamp) -> SignedDuration {
        self.due.duration_since(now)
    }
}

/// All clocks of an item.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SlaClocks {
    pub clocks: Vec<Clock>,
}

impl SlaClocks {
    /// The unmet, running clock that falls due first; if none runs, the first paused one.
    pub fn nearest_unmet(&self) -> Option<&Clock> {
        let running = self
            .clocks
            .iter()
            .filter(|c| c.met_at.is_none() && c.paused_since.is_none())
            .min_by_key(|c| c.due);
        running.or_else(|| {
            self.clocks
                .iter()
                .filter(|c| c.met_at.is_none())
                .min_by_key(|c| c.remaining_when_paused)
        })
    }
}

/// Compute the clocks of `item` under `contract`. (STUB: 24x7, no pauses.)
pub fn evaluate(contract: &Contract, item: &Item) -> SlaClocks {
    let t = &contract.targets[item.priority.index()];
    let mut clocks = Vec::new();
    let mut push = |kind, target: Option<SignedDuration>, met| {
        if let Some(target) = target {
            let due = item.created.checked_add(target).unwrap_or(item.created);
            clocks.push(Clock {
                kind,
                due,
                warn_at: vec![],
                paused_since: None,
                remaining_when_paused: None,
                met_at: met,
                supplied: false,
            });
        }
    };
    push(
        ClockKind::FirstResponse,
        t.first_response,
        item.sla.first_response_at,
    );
    push(ClockKind::Resolution, t.resolution, item.sla.resolved_at);
    SlaClocks { clocks }
}

impl Default for Contract {
    fn default() -> Self {
        let h = |n: i64| Some(SignedDuration::from_hours(n));
        let t = |fr, res, atc| PriorityTargets {
            first_response: fr,
            next_update: None,
            resolution: res,
            around_the_clock: atc,
        };
        Contract {
            name: "standard".into(),
            targets: [
                t(Some(SignedDuration::from_mins(30)), h(4), true),
                t(h(1), h(8), false),
                t(h(4), h(24), false),
                t(h(8), h(80), false),
            ],
            pause_statuses: vec!["waiting".into()],
            warn_fractions: vec![0.75, 0.9],
        }
    }
}

#[allow(dead_code)]
fn _priority_used(p: Priority) -> usize {
    p.index()
}
