//! The way from a key to a source and back: which write-back an action means, whether the
//! item's source can carry it out, the form that asks for its details, sending it, and what
//! its answer does (a flash, the audit entry, a draft kept for a refused form, the form
//! reopened with the source's words on an edit conflict).

use std::collections::HashMap;

use super::form::{FieldKind, Form, FormContext, FormError, FormKind, FormRequest};
use super::state::{App, Mode, Pending};
use super::update::Effect;
use crate::action::ActionId;
use crate::i18n::{Msg, fill, t};
use crate::model::{ItemKey, SourceId};
use crate::sources::{AsSeen, SourceError, WriteBack};
use crate::store::{AuditEntry, AuditOutcome, RestoreTest};

/// Audit entries kept per item for its timeline, live and loaded at start alike.
pub const TIMELINE_KEPT: usize = 50;

impl App {
    /// A write-back without details (unack, take, recheck): at once for the selected item,
    /// after a confirmation for several marked ones.
    pub(super) fn write_back(&mut self, id: ActionId) -> Vec<Effect> {
        let kind = match id {
            ActionId::Unack => FormKind::Unack,
            ActionId::Recheck => FormKind::Recheck,
            _ => FormKind::Take,
        };
        let action = Self::probe(kind).expect("a write-back");
        let action = match action {
            WriteBack::Unack { .. } => WriteBack::Unack {
                author: self.user.clone(),
            },
            WriteBack::Assign { .. } => WriteBack::Assign {
                agent: self.user.clone(),
            },
            other => other,
        };
        let Some(targets) = self.targets_supporting(Some(&action)) else {
            return Vec::new();
        };
        if targets.len() > 1 {
            let today = self.now.to_zoned_datetime(self.tz.clone()).date();
            let mut form = Form::new(kind, targets, today);
            form.seen = self.as_seen(&form.targets);
            self.form = Some(form);
            self.mode = Mode::Prompt;
            return Vec::new();
        }
        self.send(targets, action, None)
    }

    /// The targets as the queue shows them now (those still in it).
    fn as_seen(&self, targets: &[ItemKey]) -> HashMap<ItemKey, AsSeen> {
        targets
            .iter()
            .filter_map(|key| {
                let entry = self.queue.get(key)?;
                Some((key.clone(), AsSeen::of(&entry.item)))
            })
            .collect()
    }

    /// The items an action is for: the marked ones (those whose source can carry it out),
    /// else the selected one. `None` (and why, in the status line) when there is none.
    fn targets_supporting(&mut self, action: Option<&WriteBack>) -> Option<Vec<ItemKey>> {
        let candidates = self.action_targets();
        if candidates.is_empty() {
            self.flash_error(t(self.lang, Msg::NothingSelected).to_string());
            return None;
        }
        let Some(action) = action else {
            return Some(candidates);
        };
        let total = candidates.len();
        let able: Vec<ItemKey> = candidates
            .into_iter()
            .filter(|key| {
                self.sources
                    .get(&key.source)
                    .is_some_and(|s| s.meta.capabilities.supports(action))
            })
            .collect();
        match able.first() {
            None => {
                let source = self
                    .action_targets()
                    .first()
                    .map(|k| k.source.to_string())
                    .unwrap_or_default();
                self.flash_error(fill(
                    t(self.lang, Msg::ActionUnsupported),
                    &[action.name(), &source],
                ));
                None
            }
            Some(_) if able.len() < total => {
                self.flash_info(fill(
                    t(self.lang, Msg::SomeSkipped),
                    &[
                        &(total - able.len()).to_string(),
                        &total.to_string(),
                        action.name(),
                    ],
                ));
                Some(able)
            }
            Some(_) => Some(able),
        }
    }

    /// One write-back per target, each to its source; remembered until it is answered.
    /// Each carries the target as the user saw it: when the form opened, or now (a key
    /// without a form).
    fn send(
        &mut self,
        targets: Vec<ItemKey>,
        action: WriteBack,
        form: Option<Form>,
    ) -> Vec<Effect> {
        let mut names: Vec<&str> = targets.iter().map(|k| k.source.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        self.flash_info(fill(
            t(self.lang, Msg::ActionSent),
            &[action.name(), &names.join(", ")],
        ));
        let in_batch = targets.len() > 1;
        if in_batch {
            self.batches.entry(action.name()).or_default().total += targets.len();
        }
        targets
            .into_iter()
            .map(|key| {
                self.write_seq += 1;
                let seq = self.write_seq;
                let seen = match &form {
                    Some(form) => form.seen.get(&key).cloned(),
                    None => self.queue.get(&key).map(|e| AsSeen::of(&e.item)),
                };
                self.in_flight.insert(
                    seq,
                    Pending {
                        item: key.clone(),
                        action: action.clone(),
                        form: form.clone(),
                        in_batch,
                    },
                );
                Effect::WriteBack {
                    seq,
                    source: key.source.clone(),
                    item: key,
                    action: action.clone(),
                    seen,
                }
            })
            .collect()
    }

    /// An empty write-back of the kind a form sends, to ask a source whether it can.
    fn probe(kind: FormKind) -> Option<WriteBack> {
        let (comment, author) = (String::new(), String::new());
        Some(match kind {
            FormKind::Ack => WriteBack::Ack {
                comment,
                author,
                minutes: None,
            },
            FormKind::Downtime => WriteBack::Downtime {
                comment,
                author,
                minutes: 0,
            },
            FormKind::Assign => WriteBack::Assign { agent: author },
            FormKind::SetStatus => WriteBack::SetStatus { status: comment },
            FormKind::Note => WriteBack::Note {
                text: comment,
                author,
            },
            FormKind::Unack => WriteBack::Unack { author },
            FormKind::Take => WriteBack::Assign { agent: author },
            FormKind::Recheck => WriteBack::Recheck,
            FormKind::RestoreTestDone
            | FormKind::Snooze
            | FormKind::LocalNote
            | FormKind::Nis2Mark
            | FormKind::Nis2Step => return None,
        })
    }

    /// Opens the form of `kind` for the marked items (or the selected one), with the draft
    /// of the first if there is one.
    pub(super) fn open_form(&mut self, kind: FormKind) {
        let probe = Self::probe(kind);
        let Some(mut targets) = self.targets_supporting(probe.as_ref()) else {
            return;
        };
        let (keep, refusal): (fn(&App, &ItemKey) -> bool, Msg) = match kind {
            FormKind::RestoreTestDone => (|a, k| a.restore_job(k).is_some(), Msg::NotABackup),
            FormKind::Nis2Mark => (|a, k| !a.marks.nis2.contains_key(k), Msg::Nis2Already),
            FormKind::Nis2Step => (|a, k| !a.nis2_open_steps(k).is_empty(), Msg::Nis2NoSteps),
            _ => (|_, _| true, Msg::NothingSelected),
        };
        targets.retain(|k| keep(self, k));
        if targets.is_empty() {
            self.flash_error(t(self.lang, refusal).to_string());
            return;
        }
        let today = self.now.to_zoned_datetime(self.tz.clone()).date();
        let mut form = self
            .drafts
            .remove(&(kind, targets[0].clone()))
            .unwrap_or_else(|| Form::new(kind, targets.clone(), today));
        if kind == FormKind::Nis2Step
            && let (Some(next), Some(field)) = (
                self.nis2_open_steps(&targets[0]).first(),
                form.fields.first_mut(),
            )
            && field.text().is_empty()
        {
            field.lines[0].set(next);
        }
        // What the user looks at now, also for a draft: they see the item as it is.
        form.seen = self.as_seen(&targets);
        form.targets = targets;
        self.form = Some(form);
        self.mode = Mode::Prompt;
    }

    /// Esc in a form: close it, keeping what was typed as a draft.
    pub(super) fn close_form(&mut self) {
        if let Some(form) = self.form.take() {
            self.keep_draft(form);
        }
        self.mode = Mode::Queue;
    }

    /// Keeps `form` as the draft of its kind for its first item. A draft already kept there
    /// (another note to the same item that failed too) is not lost: its text comes first.
    fn keep_draft(&mut self, mut form: Form) {
        let Some(first) = form.targets.first().cloned() else {
            return;
        };
        if let Some(earlier) = self.drafts.remove(&(form.kind, first.clone())) {
            form.keep_text_of(&earlier);
        }
        self.drafts.insert((form.kind, first), form);
    }

    /// Enter: a new line in a note's text, else send the form.
    pub(super) fn accept_in_form(&mut self) -> Vec<Effect> {
        match self.form.as_mut() {
            Some(form) if form.focused_field().is_some_and(|f| f.kind.is_multiline()) => {
                form.newline();
                Vec::new()
            }
            _ => self.submit_form(),
        }
    }

    /// Tab: complete a field that completes, else go to the next field.
    pub(super) fn complete_in_form(&mut self) {
        let Some(form) = self.form.as_ref() else {
            return;
        };
        let Some(kind) = form.focused_field().map(|f| f.kind) else {
            return;
        };
        if !kind.completes() {
            if let Some(form) = self.form.as_mut() {
                form.next_field();
            }
            return;
        }
        let words = self.words_for(form, kind);
        if let Some(form) = self.form.as_mut() {
            form.complete(&words);
        }
    }

    /// The agents or statuses the form's sources offer.
    fn words_for(&self, form: &Form, kind: FieldKind) -> Vec<String> {
        let mut words: Vec<String> = Vec::new();
        for key in &form.targets {
            if let Some(info) = self.sources.get(&key.source) {
                let steps;
                let list = match kind {
                    FieldKind::Agent => &info.vocabulary.agents,
                    FieldKind::Step => {
                        steps = self.nis2_open_steps(key);
                        &steps
                    }
                    _ => &info.vocabulary.statuses,
                };
                for w in list {
                    if !words.contains(w) {
                        words.push(w.clone());
                    }
                }
            }
        }
        words
    }

    /// Sends the open form, or says in it what is wrong and keeps it open.
    pub(super) fn submit_form(&mut self) -> Vec<Effect> {
        let Some(form) = self.form.as_ref() else {
            self.mode = Mode::Queue;
            return Vec::new();
        };
        let ctx = FormContext {
            author: &self.user,
            default_comment: t(self.lang, Msg::AckComment),
            now: self.now,
            tz: &self.tz,
        };
        match form.request(&ctx) {
            Ok(FormRequest::WriteBack(action)) => {
                let mut form = self.form.take().expect("form is open");
                form.error = None;
                self.mode = Mode::Queue;
                let targets = form.targets.clone();
                if targets.len() > 1 {
                    self.marked.clear();
                }
                self.send(targets, action, Some(form))
            }
            Ok(FormRequest::RestoreTest { done_on, note }) => {
                let form = self.take_form();
                self.record_restore_tests(&form.targets, done_on, note)
            }
            Ok(FormRequest::Snooze(until)) => {
                let form = self.take_form();
                self.snooze(&form.targets, until);
                Vec::new()
            }
            Ok(FormRequest::LocalNote(text)) => {
                let form = self.take_form();
                self.add_local_note(&form.targets, text);
                Vec::new()
            }
            Ok(FormRequest::Nis2Mark { aware_at }) => {
                let form = self.take_form();
                self.nis2_mark(&form.targets, aware_at);
                Vec::new()
            }
            Ok(FormRequest::Nis2Step { step, at }) => {
                let form = self.take_form();
                self.nis2_step(&form.targets, step, at);
                Vec::new()
            }
            Err(e) => {
                let text = self.form_error_text(&e);
                if let Some(form) = self.form.as_mut() {
                    form.error = Some(text);
                }
                Vec::new()
            }
        }
    }

    /// Closes the form that is being sent (marks are used up by it).
    fn take_form(&mut self) -> Form {
        self.mode = Mode::Queue;
        self.marked.clear();
        self.form.take().expect("form is open")
    }

    fn form_error_text(&self, e: &FormError) -> String {
        match e {
            FormError::BadDuration(text) => fill(t(self.lang, Msg::FormBadDuration), &[text]),
            FormError::NoDuration => t(self.lang, Msg::FormNeedsDuration).to_string(),
            FormError::Empty(_) => t(self.lang, Msg::FormEmpty).to_string(),
            FormError::BadDate(text) => fill(t(self.lang, Msg::FormBadDate), &[text]),
            FormError::BadUntil(text) => fill(t(self.lang, Msg::FormBadUntil), &[text]),
            FormError::BadWhen(text) => fill(t(self.lang, Msg::FormBadWhen), &[text]),
            FormError::BadStep(text) => fill(t(self.lang, Msg::FormBadStep), &[text]),
        }
    }

    /// The backup job an item stands for: its `job` label, else its id without the rule
    /// suffix (`<job>/rpo`).
    fn restore_job(&self, key: &ItemKey) -> Option<String> {
        let item = &self.queue.get(key)?.item;
        if item.kind != crate::model::Kind::Backup {
            return None;
        }
        Some(match item.label("job") {
            Some(job) => job.to_string(),
            None => match key.external_id.rsplit_once('/') {
                Some((job, _)) => job.to_string(),
                None => key.external_id.to_string(),
            },
        })
    }

    fn record_restore_tests(
        &mut self,
        targets: &[ItemKey],
        done_on: jiff::civil::Date,
        note: String,
    ) -> Vec<Effect> {
        let mut effects = Vec::new();
        for key in targets {
            let (Some(job), Some(entry)) = (self.restore_job(key), self.queue.get(key)) else {
                continue;
            };
            let record = RestoreTest {
                source: key.source.to_string(),
                job,
                tenant: entry.item.tenant.to_string(),
                done_on,
                note: note.clone(),
                user: self.user.clone(),
                recorded_at: self.now,
            };
            let entry = self.audit_entry(
                key,
                "restore-test-done",
                serde_json::json!({"job": record.job, "done_on": done_on.to_string(), "note": note}),
                AuditOutcome::Ok,
            );
            self.remember(&entry);
            effects.push(Effect::Audit(entry));
            effects.push(Effect::RecordRestoreTest(record));
        }
        self.flash_info(fill(
            t(self.lang, Msg::RestoreTestRecorded),
            &[&done_on.to_string()],
        ));
        effects
    }

    /// An audit entry about `key`, by me, now.
    pub(super) fn audit_entry(
        &self,
        key: &ItemKey,
        action: &str,
        params: serde_json::Value,
        outcome: AuditOutcome,
    ) -> AuditEntry {
        let tenant = self
            .queue
            .get(key)
            .map(|e| e.item.tenant.to_string())
            .unwrap_or_default();
        AuditEntry {
            at: self.now,
            user: self.user.clone(),
            tenant,
            source: key.source.to_string(),
            item: key.external_id.to_string(),
            action: action.to_string(),
            params,
            outcome,
        }
    }

    /// A write-back came back: audited; a refused one keeps its form as a draft; an edit
    /// conflict reopens the form with what changed, so the user decides with the text
    /// still there. The reopened form keeps the item as the user saw it before: the source
    /// knows it told them what changed since, and lets the same write-back through.
    pub(super) fn write_back_done(
        &mut self,
        seq: u64,
        source: SourceId,
        item: ItemKey,
        action: &'static str,
        result: Result<(), SourceError>,
    ) {
        let pending = self.in_flight.remove(&seq);
        let params = pending
            .as_ref()
            .map_or(serde_json::Value::Null, |p| p.action.audit_params());
        let outcome = match &result {
            Ok(()) => AuditOutcome::Ok,
            Err(e) => AuditOutcome::Failed(e.to_string()),
        };
        let entry = self.audit_entry(&item, action, params, outcome);
        self.audit(entry);
        let in_batch = pending.as_ref().is_some_and(|p| p.in_batch);
        match result {
            Ok(()) if in_batch => self.batch_answered(action, None),
            Ok(()) => self.flash_info(fill(t(self.lang, Msg::ActionOk), &[action])),
            Err(e) => {
                let text = fill(
                    t(self.lang, Msg::ActionFailed),
                    &[action, &format!("{source}: {e}")],
                );
                if let Some(mut form) = pending.and_then(|p| p.form) {
                    // Sent to several items, the form comes back for this one only: the
                    // others have their own answers (and must not get a note twice).
                    form.targets = vec![item.clone()];
                    form.seen.retain(|key, _| *key == item);
                    form.error = Some(text.clone());
                    if matches!(e, SourceError::Conflict(_)) && self.form.is_none() {
                        self.form = Some(form);
                        self.mode = Mode::Prompt;
                    } else {
                        self.keep_draft(form);
                    }
                }
                if in_batch {
                    let why = format!("{source} {}: {e}", item.external_id);
                    self.batch_answered(action, Some(why));
                } else {
                    self.flash_error(text);
                }
            }
        }
    }

    /// Counts one answer of a batch and tells the count; once every item has answered,
    /// the batch is done, and if anything failed the line stays an error naming the first.
    fn batch_answered(&mut self, action: &'static str, error: Option<String>) {
        let batch = self.batches.entry(action).or_default();
        match error {
            None => batch.ok += 1,
            Some(e) => {
                batch.failed += 1;
                batch.first_error.get_or_insert(e);
            }
        }
        let b = batch.clone();
        let done = b.ok + b.failed >= b.total;
        if done {
            self.batches.remove(action);
        }
        let (ok, total, failed) = (b.ok.to_string(), b.total.to_string(), b.failed.to_string());
        match &b.first_error {
            None => self.flash_info(fill(
                t(self.lang, Msg::BatchProgress),
                &[action, &ok, &total],
            )),
            Some(first) => self.flash_error(fill(
                t(self.lang, Msg::BatchFailed),
                &[action, &ok, &total, &failed, first],
            )),
        }
    }

    /// Audits `entry`: kept for the item's timeline and written to the store.
    pub(super) fn audit(&mut self, entry: AuditEntry) {
        self.remember(&entry);
        self.outbox.push(Effect::Audit(entry));
    }

    /// Keeps an entry for the item's timeline (the newest [`TIMELINE_KEPT`] per item), both
    /// for this session's actions and for those read from the store at start (oldest first).
    pub(crate) fn remember(&mut self, entry: &AuditEntry) {
        let key = ItemKey::new(&SourceId::new(&entry.source), &entry.item);
        let list = self.timeline.entry(key).or_default();
        list.push(entry.clone());
        if list.len() > TIMELINE_KEPT {
            list.remove(0);
        }
    }

    /// Effects that came from events rather than keys (audit entries of answers).
    pub fn take_outbox(&mut self) -> Vec<Effect> {
        std::mem::take(&mut self.outbox)
    }
}
