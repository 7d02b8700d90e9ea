//! Marks that live only in nightdesk, not in the sources: snoozes (an item hidden until a
//! time or until it changes; every change wakes it), seen marks (items new or changed since I
//! last looked stand out), local notes (a logbook per item that never leaves this machine),
//! and NIS-2 significant security incidents with their reporting clocks. Each change is kept in the local database and audited.

use std::collections::HashMap;

use jiff::Timestamp;

use super::form::{NIS2_STEPS, SnoozeUntil};
use super::state::App;
use super::update::Effect;
use crate::i18n::{Msg, fill, t};
use crate::model::{Item, ItemKey, Moment, Nis2Facts, SourceId};
use crate::sources::Fetched;
use crate::store::{AuditOutcome, Job, LocalMarks, LocalNote, Snooze};

/// The local marks as the app holds them.
#[derive(Clone, Debug, Default)]
pub struct Marks {
    pub snoozes: HashMap<ItemKey, Snooze>,
    /// Show snoozed items too.
    pub show_snoozed: bool,
    /// `updated` of each item when I last selected it.
    pub seen: HashMap<ItemKey, Timestamp>,
    /// Items changed after this count as new unless seen since (the previous session's end).
    pub baseline: Timestamp,
    pub nis2: HashMap<ItemKey, Nis2Facts>,
    /// Local notes per item, oldest first.
    pub notes: HashMap<ItemKey, Vec<LocalNote>>,
}

impl Marks {
    pub fn from_store(marks: LocalMarks, session_start: Timestamp) -> Self {
        Self {
            snoozes: marks.snoozes,
            show_snoozed: false,
            seen: marks.seen,
            baseline: marks.last_session_end.unwrap_or(session_start),
            nis2: marks.nis2.into_iter().map(|(k, (_, n))| (k, n)).collect(),
            notes: marks.notes,
        }
    }

    /// New or changed since I last looked at it.
    pub fn is_new(&self, item: &Item) -> bool {
        let looked = self
            .seen
            .get(&item.key)
            .copied()
            .unwrap_or(self.baseline)
            .max(self.baseline);
        item.updated > Moment::new(looked)
    }

    pub fn is_snoozed(&self, key: &ItemKey) -> bool {
        self.snoozes.contains_key(key)
    }
}

impl App {
    /// Snoozes the targets; an item already snoozed wakes instead.
    pub(super) fn snooze(&mut self, targets: &[ItemKey], until: SnoozeUntil) {
        for key in targets {
            let Some(updated) = self.queue.get(key).map(|e| e.item.updated) else {
                continue;
            };
            let snooze = Snooze {
                until: match until {
                    SnoozeUntil::Time(t) => Some(t),
                    SnoozeUntil::Change => None,
                },
                until_change_of: Some(updated.timestamp()),
                user: self.user.clone(),
                at: self.now,
            };
            let params = serde_json::json!({"until": snooze.until.map(|t| t.to_string())});
            self.audit(self.audit_entry(key, "snooze", params, AuditOutcome::Ok));
            self.outbox
                .push(Effect::Store(Job::Snooze(key.clone(), snooze.clone())));
            self.marks.snoozes.insert(key.clone(), snooze);
        }
        let text = match until {
            SnoozeUntil::Time(at) => fill(
                t(self.lang, Msg::SnoozedUntil),
                &[
                    &targets.len().to_string(),
                    &crate::sla::due_label(at, &self.tz, self.lang.is_german()),
                ],
            ),
            SnoozeUntil::Change => fill(
                t(self.lang, Msg::SnoozedUntilChange),
                &[&targets.len().to_string()],
            ),
        };
        self.flash_info(text);
        self.refresh_view();
    }

    /// Ends a snooze: by hand (`reason` audited), when its time is up or the item changed.
    fn wake(&mut self, key: &ItemKey, reason: &str) {
        if self.marks.snoozes.remove(key).is_some() {
            let params = serde_json::json!({"reason": reason});
            self.audit(self.audit_entry(key, "unsnooze", params, AuditOutcome::Ok));
            self.outbox.push(Effect::Store(Job::Unsnooze(key.clone())));
        }
    }

    /// `snooze` on a snoozed item (shown with `toggle-snoozed`) wakes it at once.
    pub(super) fn wake_selected(&mut self) -> bool {
        let Some(key) = self.selected.clone() else {
            return false;
        };
        if !self.marks.is_snoozed(&key) {
            return false;
        }
        self.wake(&key, "by hand");
        self.flash_info(t(self.lang, Msg::Unsnoozed).to_string());
        self.refresh_view();
        true
    }

    /// Snoozes whose time is up end (once a second, from `tick`).
    pub(super) fn wake_due(&mut self) {
        let due: Vec<ItemKey> = self
            .marks
            .snoozes
            .iter()
            .filter(|(_, s)| s.until.is_some_and(|u| u <= self.now))
            .map(|(k, _)| k.clone())
            .collect();
        for key in &due {
            self.wake(key, "time is up");
        }
    }

    /// The snoozes a live answer of `source` can judge, taken before it is applied: every
    /// snooze of that source for a complete answer, only the items named in a delta. Other
    /// sources' snoozes are never judged by it: after a restart their items may not be back
    /// yet (no snapshot, or one older than the snooze), and "not in the queue" would read as
    /// gone. Items restored from a snapshot are never judged at all ([`App::restore_snapshot`]
    /// does not call this), so a snapshot older than the snooze cannot wake it as changed.
    pub(super) fn judged_snoozes(&self, source: &SourceId, fetched: &Fetched) -> Vec<ItemKey> {
        if self.marks.snoozes.is_empty() {
            return Vec::new();
        }
        match fetched {
            Fetched::Full(_) => self
                .marks
                .snoozes
                .keys()
                .filter(|k| &k.source == source)
                .cloned()
                .collect(),
            Fetched::Delta { upserts, removed } => upserts
                .iter()
                .map(|i| &i.key)
                .chain(removed)
                .filter(|k| self.marks.snoozes.contains_key(*k))
                .cloned()
                .collect(),
        }
    }

    /// After a live answer: of the `judged` snoozes ([`App::judged_snoozes`]), items that
    /// changed wake and items that are gone lose their snooze.
    pub(super) fn wake_changed(&mut self, judged: Vec<ItemKey>) {
        let changed: Vec<(ItemKey, &'static str)> = judged
            .into_iter()
            .filter_map(|k| {
                let s = self.marks.snoozes.get(&k)?;
                match self.queue.get(&k) {
                    None => Some((k, "gone")),
                    // Compared to the millisecond, as items keep their times (a snooze
                    // stored by an older nightdesk may carry finer digits).
                    Some(e) if Some(e.item.updated) != s.until_change_of.map(Moment::new) => {
                        Some((k, "changed"))
                    }
                    Some(_) => None,
                }
            })
            .collect();
        for (key, reason) in &changed {
            self.wake(key, reason);
        }
    }

    /// The selected item has been looked at: it is no longer new.
    pub(super) fn mark_selected_seen(&mut self) {
        let Some(item) = self.selected_item() else {
            return;
        };
        if !self.marks.is_new(item) {
            return;
        }
        let (key, updated) = (item.key.clone(), item.updated);
        self.marks.seen.insert(key.clone(), updated.timestamp());
        self.outbox
            .push(Effect::Store(Job::Seen(key, updated.timestamp(), self.now)));
    }

    /// NIS-2 facts onto items as they arrive from a source, so their clocks are computed
    /// with the rest.
    pub(super) fn decorate(&self, fetched: &mut Fetched) {
        if self.marks.nis2.is_empty() {
            return;
        }
        let items: &mut Vec<Item> = match fetched {
            Fetched::Full(items) => items,
            Fetched::Delta { upserts, .. } => upserts,
        };
        for item in items {
            item.sla.nis2 = self.marks.nis2.get(&item.key).cloned().map(Box::new);
        }
    }

    /// Adds `text` as a local note to each target: kept, stored and audited.
    pub(super) fn add_local_note(&mut self, targets: &[ItemKey], text: String) {
        for key in targets {
            let tenant = self
                .queue
                .get(key)
                .map(|e| e.item.tenant.to_string())
                .unwrap_or_default();
            let note = LocalNote {
                text: text.clone(),
                user: self.user.clone(),
                at: self.now,
            };
            let params = serde_json::json!({ "text": text });
            self.audit(self.audit_entry(key, "local-note", params, AuditOutcome::Ok));
            self.outbox.push(Effect::Store(Job::LocalNote(
                key.clone(),
                tenant,
                note.clone(),
            )));
            self.marks.notes.entry(key.clone()).or_default().push(note);
        }
        self.flash_info(fill(
            t(self.lang, Msg::LocalNoteKept),
            &[&targets.len().to_string()],
        ));
    }

    /// Marks the targets as significant security incidents, aware since `aware_at`.
    pub(super) fn nis2_mark(&mut self, targets: &[ItemKey], aware_at: Timestamp) {
        for key in targets {
            let facts = Nis2Facts {
                aware_at,
                early_warning_at: None,
                notification_at: None,
                final_report_at: None,
            };
            let params = serde_json::json!({"aware_at": aware_at.to_string()});
            self.audit(self.audit_entry(key, "nis2-mark", params, AuditOutcome::Ok));
            self.set_nis2(key, facts);
        }
        self.flash_info(fill(
            t(self.lang, Msg::Nis2Marked),
            &[&targets.len().to_string()],
        ));
    }

    /// Records that a NIS-2 step (index into [`NIS2_STEPS`]) was done at `at`.
    pub(super) fn nis2_step(&mut self, targets: &[ItemKey], step: usize, at: Timestamp) {
        for key in targets {
            let Some(mut facts) = self.marks.nis2.get(key).cloned() else {
                continue;
            };
            let slot = match step {
                0 => &mut facts.early_warning_at,
                1 => &mut facts.notification_at,
                _ => &mut facts.final_report_at,
            };
            *slot = Some(at);
            let params = serde_json::json!({"step": NIS2_STEPS[step], "at": at.to_string()});
            self.audit(self.audit_entry(key, "nis2-step", params, AuditOutcome::Ok));
            self.set_nis2(key, facts);
        }
        self.flash_info(fill(t(self.lang, Msg::Nis2StepDone), &[NIS2_STEPS[step]]));
    }

    /// Keeps the facts, stores them, and re-files the item so its clocks include them.
    fn set_nis2(&mut self, key: &ItemKey, facts: Nis2Facts) {
        let Some(entry) = self.queue.get(key) else {
            return;
        };
        let mut item = entry.item.clone();
        let tenant = item.tenant.to_string();
        item.sla.nis2 = Some(Box::new(facts.clone()));
        self.queue.upsert(item);
        self.outbox
            .push(Effect::Store(Job::Nis2(key.clone(), tenant, facts.clone())));
        self.marks.nis2.insert(key.clone(), facts);
        self.refresh_view();
    }

    /// The steps of the selected incident not done yet (for completion), next one first.
    pub(super) fn nis2_open_steps(&self, key: &ItemKey) -> Vec<String> {
        let Some(f) = self.marks.nis2.get(key) else {
            return Vec::new();
        };
        [f.early_warning_at, f.notification_at, f.final_report_at]
            .iter()
            .zip(NIS2_STEPS)
            .filter(|(done, _)| done.is_none())
            .map(|(_, name)| name.to_string())
            .collect()
    }
}
