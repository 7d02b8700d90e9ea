//! Where the state meets the notification rules: new items of a source's answer, SLA level
//! changes of a tick and source health changes become [`Event`]s; what the rules make of
//! them goes to the outbox as `Effect::Notify` for the event loop to send.

use jiff::Timestamp;

use super::state::App;
use super::update::Effect;
use crate::model::{Health, ItemKey, Priority, SourceId, StatusCategory};
use crate::notify::{Event, ItemFacts, Notifier, Rule, SourceFacts};
use crate::queue::TickReport;
use crate::sla::Level;
use crate::sources::Fetched;

/// What a source's answer brings that the new-item rules may care about.
pub(super) struct Arrivals {
    new: Vec<ItemKey>,
    raised: Vec<(ItemKey, Priority)>,
}

/// How a source's health changed, as far as notifications care.
pub(super) struct HealthChange {
    pub was_stale: bool,
    /// The source had answered this session before (else its outage is the state at the
    /// start, shown but not announced).
    pub answered_before: bool,
    /// When the previous health began (the outage start, when it was stale).
    pub old_since: Timestamp,
}

impl App {
    /// Replaces the notification rules (from the config); the session starts now, so
    /// nothing already in the queue or created before counts as new.
    pub fn set_notifications(&mut self, rules: Vec<Rule>) {
        self.notifier = Notifier::new(rules, self.now, self.tz.clone(), self.lang);
    }

    /// Before a source's answer is applied: the keys of its new items, and of its items
    /// whose priority goes up, with the priority they had.
    pub(super) fn note_arrivals(&mut self, source: &SourceId, fetched: &Fetched) -> Arrivals {
        let items = match fetched {
            Fetched::Full(items) => items,
            Fetched::Delta { upserts, .. } => upserts,
        };
        let queue = &self.queue;
        let raised = self
            .notifier
            .raises(items, |k| queue.get(k).map(|e| e.item.priority));
        let new = self
            .notifier
            .arrivals(source, items, |k| queue.id_of(k).is_some(), self.now);
        Arrivals { new, raised }
    }

    /// After the answer is applied: one event per new item and per raised one.
    pub(super) fn notify_arrivals(&mut self, arrivals: Arrivals, at: Timestamp) {
        for key in arrivals.new {
            let Some(entry) = self.queue.get(&key) else {
                continue;
            };
            let facts = ItemFacts::of(&entry.item, self.tenant_name(&entry.item.tenant));
            self.notify(&Event::NewItem(facts), at);
        }
        for (key, from) in arrivals.raised {
            let Some(entry) = self.queue.get(&key) else {
                continue;
            };
            let item = ItemFacts::of(&entry.item, self.tenant_name(&entry.item.tenant));
            self.notify(&Event::Raised { item, from }, at);
        }
    }

    /// SLA clocks that crossed a warning threshold or their due time in this tick.
    pub(super) fn notify_sla(&mut self, report: &TickReport) {
        if !self.notifier.watches_sla() {
            return;
        }
        for change in &report.changes {
            let Some(entry) = self.queue.entry(change.id) else {
                continue;
            };
            if entry.item.status.category == StatusCategory::Resolved {
                continue;
            }
            let Some(due) = entry.clocks.get(change.clock).map(|c| c.due()) else {
                continue;
            };
            let item = ItemFacts::of(&entry.item, self.tenant_name(&entry.item.tenant));
            let clock = change.clock;
            let event = match (change.from, change.to) {
                (Level::Ok, Level::Warning(threshold)) => Event::SlaWarning {
                    item,
                    clock,
                    threshold,
                    due,
                },
                (Level::Warning(before), Level::Warning(threshold)) if threshold > before => {
                    Event::SlaWarning {
                        item,
                        clock,
                        threshold,
                        due,
                    }
                }
                (Level::Ok | Level::Warning(_), Level::Breached) => {
                    Event::SlaBreach { item, clock, due }
                }
                _ => continue,
            };
            self.notify(&event, self.now);
        }
    }

    /// A source went stale (down, credentials refused) or answered again. A source that
    /// has not answered since the start is shown as down, not announced.
    pub(super) fn notify_health(&mut self, source: &SourceId, change: HealthChange) {
        let Some(info) = self.sources.get(source) else {
            return;
        };
        let stale = info.health.is_stale();
        let down = stale && !change.was_stale && change.answered_before;
        let up = !stale && change.was_stale;
        if !down && !up {
            return;
        }
        let reason = match &info.health {
            Health::Down(r) | Health::AuthFailed(r) => r.clone(),
            _ => String::new(),
        };
        let facts = SourceFacts {
            source: source.clone(),
            tenant_name: info
                .meta
                .tenant
                .as_ref()
                .map(|t| self.tenant_name(t).to_string()),
            tenant: info.meta.tenant.clone(),
            priority: info.meta.outage_priority,
            since: if down { info.since } else { change.old_since },
            auth_failed: matches!(info.health, Health::AuthFailed(_)),
            reason,
        };
        let at = info.since;
        let event = if down {
            Event::SourceDown(facts)
        } else {
            Event::SourceUp(facts)
        };
        self.notify(&event, at);
    }

    /// Once a second: summaries of what rate limits held back, and pruning of the memory.
    pub(super) fn notify_tick(&mut self) {
        for n in self.notifier.release_held(self.now) {
            self.outbox.push(Effect::Notify(n));
        }
        let queue = &self.queue;
        self.notifier.prune(self.now, |k| queue.id_of(k).is_some());
    }

    /// Runs one event through the rules. Snoozed items stay silent.
    fn notify(&mut self, event: &Event, at: Timestamp) {
        if event.item_key().is_some_and(|k| self.marks.is_snoozed(k)) {
            return;
        }
        if let Some(n) = self.notifier.consider(event, at) {
            self.outbox.push(Effect::Notify(n));
        }
    }
}
