//! The rule engine: decides which events become notifications. It keeps what dedupe needs
//! (the items this session has seen, the occurrences each rule fired for, the sources that
//! answered once) and each rule's rate-limit window.

use std::collections::{HashMap, HashSet};

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use super::Notification;
use super::event::{Event, Occurrence, Subject};
use super::rate::Window;
use super::rule::{Channel, Rule, Trigger};
use crate::i18n::{Lang, Msg, fill, t};
use crate::model::{Item, ItemKey, Moment, Priority, SourceId, StatusCategory};

/// How long an item that left the queue is remembered: if it comes back within this time
/// it is not new. (Occurrences are forgotten with it.)
pub const REMEMBER: SignedDuration = SignedDuration::from_hours(24);

/// How often the memory is pruned.
const PRUNE_EVERY: SignedDuration = SignedDuration::from_hours(1);

/// Rules plus the state that makes them fire once per event.
#[derive(Debug)]
pub struct Notifier {
    rules: Vec<Rule>,
    windows: Vec<Window>,
    /// (rule index, occurrence) -> when it fired (or was silenced).
    fired: HashMap<(usize, Occurrence), Timestamp>,
    /// Items seen this session -> when they were last known to be in the queue.
    known: HashMap<ItemKey, Timestamp>,
    /// Sources that answered at least once: their first answer is the baseline.
    answered: HashSet<SourceId>,
    /// When the session started: items a source created before it are never new.
    started: Timestamp,
    last_prune: Timestamp,
    tz: TimeZone,
    lang: Lang,
}

impl Default for Notifier {
    /// No rules: nothing is ever sent.
    fn default() -> Self {
        Notifier::new(Vec::new(), Timestamp::UNIX_EPOCH, TimeZone::UTC, Lang::En)
    }
}

impl Notifier {
    pub fn new(rules: Vec<Rule>, started: Timestamp, tz: TimeZone, lang: Lang) -> Notifier {
        Notifier {
            windows: vec![Window::default(); rules.len()],
            rules,
            fired: HashMap::new(),
            known: HashMap::new(),
            answered: HashSet::new(),
            started,
            last_prune: started,
            tz,
            lang,
        }
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Whether any rule reacts to new items (else arrivals need not be tracked).
    pub fn watches_new_items(&self) -> bool {
        self.rules.iter().any(|r| r.trigger.is_new_item())
    }

    /// Whether any rule reacts to SLA clocks.
    pub fn watches_sla(&self) -> bool {
        self.rules.iter().any(|r| r.trigger.is_sla())
    }

    /// Whether any rule sends on `channel`.
    pub fn uses(&self, channel: Channel) -> bool {
        self.rules.iter().any(|r| r.uses(channel))
    }

    /// A source's answer, before it is applied: the keys of the items that are new. An
    /// item is new when it is not in the queue, this session has not seen it before (so a
    /// re-delivery or an item coming back after a stale source answers again is not), it is
    /// not resolved, and it is not part of the source's first answer, unless the source says
    /// it was created after the session started (a source that was down at the start still
    /// reports what happened meanwhile).
    pub fn arrivals(
        &mut self,
        source: &SourceId,
        items: &[Item],
        in_queue: impl Fn(&ItemKey) -> bool,
        now: Timestamp,
    ) -> Vec<ItemKey> {
        if !self.watches_new_items() {
            return Vec::new();
        }
        let first_answer = self.answered.insert(source.clone());
        let mut new = Vec::new();
        for item in items {
            if in_queue(&item.key) || self.known.contains_key(&item.key) {
                continue;
            }
            self.known.insert(item.key.clone(), now);
            let baseline = first_answer && item.created < Moment::new(self.started);
            if !baseline && item.status.category != StatusCategory::Resolved {
                new.push(item.key.clone());
            }
        }
        new
    }

    /// Before a source's answer is applied: the items of it already in the queue whose
    /// priority goes up, with the priority they had (`in_queue` gives it).
    pub fn raises(
        &self,
        items: &[Item],
        in_queue: impl Fn(&ItemKey) -> Option<Priority>,
    ) -> Vec<(ItemKey, Priority)> {
        if !self.watches_new_items() {
            return Vec::new();
        }
        items
            .iter()
            .filter(|i| i.status.category != StatusCategory::Resolved)
            .filter_map(|i| {
                let before = in_queue(&i.key)?;
                (i.priority < before).then(|| (i.key.clone(), before))
            })
            .collect()
    }

    /// Runs `event` through every rule. The rules that match and have not fired for this
    /// occurrence yet are marked as fired; those outside quiet hours and within their rate
    /// limit make one notification together (the union of their channels).
    pub fn consider(&mut self, event: &Event, now: Timestamp) -> Option<Notification> {
        let occurrence = event.occurrence();
        let subject = event.subject();
        let mut rules = Vec::new();
        let mut channels: Vec<Channel> = Vec::new();
        for i in 0..self.rules.len() {
            let rule = &self.rules[i];
            if !accepts(rule, event) || !passes_filters(rule, &subject) {
                continue;
            }
            if self.fired.insert((i, occurrence.clone()), now).is_some() {
                continue;
            }
            if is_quiet(rule, subject.priority, now, &self.tz) {
                tracing::debug!(rule = %rule.name, ?occurrence, "quiet hours: not sent");
                continue;
            }
            if !self.windows[i].admit(rule.rate_limit, now) {
                tracing::debug!(rule = %rule.name, ?occurrence, "rate limit: held back");
                continue;
            }
            rules.push(rule.name.clone());
            for c in &rule.channels {
                if !channels.contains(c) {
                    channels.push(*c);
                }
            }
        }
        if rules.is_empty() {
            return None;
        }
        channels.sort();
        let (title, body) = event.texts(self.lang, &self.tz);
        Some(Notification {
            rules,
            item: event.item_key().cloned(),
            title,
            body,
            channels,
        })
    }

    /// Once a second: one "… and N more" for each rule whose window has room again after it
    /// held notifications back. Outside quiet hours only; what was held when quiet hours
    /// begin is dropped.
    pub fn release_held(&mut self, now: Timestamp) -> Vec<Notification> {
        let mut out = Vec::new();
        for (rule, window) in self.rules.iter().zip(self.windows.iter_mut()) {
            if window.held == 0 {
                continue;
            }
            if rule.quiet.is_some_and(|q| q.contains(now, &self.tz)) {
                tracing::debug!(rule = %rule.name, held = window.held, "quiet hours: summary dropped");
                window.held = 0;
                continue;
            }
            if let Some(held) = window.release(rule.rate_limit, now) {
                let n = held.to_string();
                out.push(Notification {
                    rules: vec![rule.name.clone()],
                    item: None,
                    title: fill(t(self.lang, Msg::NotifyMore), &[&n]),
                    body: fill(t(self.lang, Msg::NotifyMoreBody), &[&rule.name, &n]),
                    channels: rule.channels.clone(),
                });
            }
        }
        out
    }

    /// Forgets items that left the queue more than [`REMEMBER`] ago, and the occurrences of
    /// them and of sources that fired as long ago. Runs at most once an hour; `in_queue` says
    /// whether an item is still there.
    pub fn prune(&mut self, now: Timestamp, in_queue: impl Fn(&ItemKey) -> bool) {
        if now.duration_since(self.last_prune) < PRUNE_EVERY {
            return;
        }
        self.last_prune = now;
        let cutoff = now - REMEMBER;
        for (key, seen) in self.known.iter_mut() {
            if in_queue(key) {
                *seen = now;
            }
        }
        self.known.retain(|_, seen| *seen > cutoff);
        let known = &self.known;
        self.fired.retain(|(_, occurrence), at| match occurrence {
            Occurrence::New(key) | Occurrence::Warning(key, ..) | Occurrence::Breach(key, _) => {
                known.contains_key(key)
            }
            Occurrence::Raised(..) | Occurrence::Down(..) | Occurrence::Up(..) => *at > cutoff,
        });
    }

    /// How many items and occurrences are remembered (for tests and the log).
    pub fn memory(&self) -> (usize, usize) {
        (self.known.len(), self.fired.len())
    }
}

/// Whether `rule`'s trigger is about this kind of event.
fn accepts(rule: &Rule, event: &Event) -> bool {
    match event {
        Event::NewItem(_) => rule.trigger.is_new_item(),
        // A raise is news to a rule only when it brings the item into the rule's priorities.
        Event::Raised { from, .. } => {
            rule.trigger.is_new_item()
                && rule.priorities.as_ref().is_some_and(|p| !p.contains(from))
        }
        Event::SlaWarning { .. } => rule.trigger == Trigger::SlaWarning,
        Event::SlaBreach { .. } => rule.trigger == Trigger::SlaBreach,
        Event::SourceDown(_) => rule.trigger == Trigger::SourceDown,
        Event::SourceUp(_) => rule.trigger == Trigger::SourceDown && rule.recovery,
    }
}

/// Whether the event passes every filter the rule sets.
fn passes_filters(rule: &Rule, s: &Subject<'_>) -> bool {
    fn within<T: PartialEq>(list: &Option<Vec<T>>, value: Option<&T>) -> bool {
        list.as_ref()
            .is_none_or(|l| value.is_some_and(|v| l.contains(v)))
    }
    within(&rule.priorities, Some(&s.priority))
        && within(&rule.kinds, s.kind.as_ref())
        && within(&rule.tenants, s.tenant)
        && within(&rule.sources, Some(s.source))
        && within(&rule.clocks, s.clock.as_ref())
}

fn is_quiet(rule: &Rule, priority: crate::model::Priority, now: Timestamp, tz: &TimeZone) -> bool {
    rule.quiet.is_some_and(|q| q.contains(now, tz)) && !rule.quiet_except.contains(&priority)
}
