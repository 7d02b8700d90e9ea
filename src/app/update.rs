//! How the state changes: key presses become actions through the keymap, actions and source
//! events change the state and may ask for effects (write-backs, quit) that the event loop
//! carries out.

use crossterm::event::KeyEvent;
use jiff::Timestamp;

use super::form::FormKind;
use super::state::{App, Flash, Mode, SourceInfo, SourceMeta};
use crate::action::{Action, ActionId, Context, REGISTRY};
use crate::i18n::{Msg, fill, t};
use crate::keymap::{Key, Resolution};
use crate::model::{
    Health, Item, ItemKey, Kind, Moment, Priority, SlaFacts, SourceId, Status, StatusCategory,
};
use crate::queue::{FilterJob, Update};
use crate::sources::{AsSeen, Fetched, SourceEvent, WriteBack};

/// Work the event loop does on the state's behalf.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Send a write-back to its source; `seq` comes back with the answer.
    WriteBack {
        seq: u64,
        source: SourceId,
        item: ItemKey,
        action: WriteBack,
        /// The item as the user saw it when they asked for this.
        seen: Option<AsSeen>,
    },
    /// Repaint everything (after `redraw`).
    FullRedraw,
    /// Read every source now.
    RefreshAll,
    /// Append to the audit log.
    Audit(crate::store::AuditEntry),
    /// Store a restore-test record (and tell the backup sources).
    RecordRestoreTest(crate::store::RestoreTest),
    /// Another write to the local database (snooze, seen mark, NIS-2 record).
    Store(crate::store::Job),
    /// Carry out a remote session (its values are checked already).
    Session(crate::actions::session::SessionPlan),
    /// Send a notification (terminal bytes between frames, desktop off the loop).
    Notify(crate::notify::Notification),
}

/// The id of the pseudo-source under which nightdesk files its own items (source outages).
pub const OWN_SOURCE: &str = "nightdesk";

impl App {
    /// The keymap context of the current mode.
    pub fn context(&self) -> Context {
        match self.mode {
            Mode::Queue if self.detail_open => Context::Detail,
            Mode::Queue => Context::Queue,
            Mode::Filter => Context::Filter,
            Mode::Command => Context::Command,
            Mode::Help => Context::Help,
            Mode::Tenants => Context::Tenants,
            Mode::Sources => Context::Sources,
            Mode::Prompt => Context::Prompt,
            Mode::SessionMenu => Context::SessionMenu,
        }
    }

    /// A key press: resolve it through the keymap (with pending sequences), or type it.
    pub fn on_key(&mut self, event: KeyEvent) -> Vec<Effect> {
        let Some(key) = Key::from_event(&event) else {
            return Vec::new();
        };
        let resolution = self.keymap.resolve(self.context(), &self.pending, key);
        match resolution {
            Resolution::Action(action) => {
                self.clear_pending();
                self.apply(action)
            }
            Resolution::Pending(continuations) => {
                self.pending.push(key);
                self.continuations = continuations
                    .into_iter()
                    .map(|(keys, action)| (keys.to_string(), action.to_string()))
                    .collect();
                Vec::new()
            }
            Resolution::Unbound => {
                let was_pending = !self.pending.is_empty();
                self.clear_pending();
                if was_pending {
                    return Vec::new();
                }
                self.type_text(key)
            }
        }
    }

    /// Pasted text goes into the active input line.
    pub fn on_paste(&mut self, text: &str) {
        // One line only: a pasted newline must not send a form.
        let text = text.replace(['\n', '\r'], " ");
        self.edit(|line| line.insert_str(&text));
    }

    fn type_text(&mut self, key: Key) -> Vec<Effect> {
        let Some(c) = key.text_char() else {
            return Vec::new();
        };
        if self.mode == Mode::SessionMenu {
            return self.pick_session_by_letter(c);
        }
        self.edit(|line| line.insert(c));
        Vec::new()
    }

    fn after_edit(&mut self) {
        match self.mode {
            Mode::Filter => self.requery(),
            Mode::Command => self.complete_command(false),
            _ => {}
        }
    }

    /// Applies one action. Actions that make no sense in the current state do nothing.
    pub fn apply(&mut self, action: Action) -> Vec<Effect> {
        use ActionId::*;
        match action.id {
            Noop => {}
            Quit => self.quit = true,
            Help => self.toggle_mode(Mode::Help),
            Filter => self.mode = Mode::Filter,
            CommandLine => {
                self.command.clear();
                self.mode = Mode::Command;
                self.complete_command(false);
            }
            Cancel => self.cancel(),
            Redraw => return vec![Effect::FullRedraw],
            ToggleTenants => self.toggle_mode(Mode::Tenants),
            ToggleSources => self.toggle_mode(Mode::Sources),
            Refresh => return vec![Effect::RefreshAll],
            SelectNext => self.move_selection(1),
            SelectPrev => self.move_selection(-1),
            SelectFirst => self.select_row(0),
            SelectLast => self.select_row(usize::MAX),
            PageDown => self.move_selection(self.page.max(1) as isize),
            PageUp => self.move_selection(-(self.page.max(1) as isize)),
            OpenDetail => self.detail_open = true,
            CloseDetail => self.detail_open = false,
            ToggleDetail => self.detail_open = !self.detail_open,
            ClearFilter => self.set_filter(""),
            SetFilter => self.set_filter(action.arg.as_deref().unwrap_or("")),
            FilterTenant => self.filter_by_selected(|i| Some(format!("t:{}", i.tenant))),
            FilterHost => self.filter_by_selected(|i| i.host.as_ref().map(|h| format!("h:{h}"))),
            Ack => self.open_form(FormKind::Ack),
            Downtime => self.open_form(FormKind::Downtime),
            Assign => self.open_form(FormKind::Assign),
            SetStatus => self.open_form(FormKind::SetStatus),
            Note => self.open_form(FormKind::Note),
            LocalNote => self.open_form(FormKind::LocalNote),
            RestoreTestDone => self.open_form(FormKind::RestoreTestDone),
            Send if self.mode == Mode::Prompt => return self.submit_form(),
            Snooze if self.wake_selected() => {}
            Snooze => self.open_form(FormKind::Snooze),
            ToggleSnoozed => {
                self.marks.show_snoozed = !self.marks.show_snoozed;
                self.refresh_view();
            }
            SecurityIncident => {
                let marked = self
                    .selected
                    .as_ref()
                    .is_some_and(|k| self.marks.nis2.contains_key(k));
                self.open_form(if marked {
                    FormKind::Nis2Step
                } else {
                    FormKind::Nis2Mark
                });
            }
            ToggleMark => self.toggle_mark(),
            MarkAll => self.mark_all(),
            ClearMarks => self.marked.clear(),
            View => self.apply_view(action.arg.as_deref().unwrap_or("")),
            Send => {}
            Unack | Take | Recheck => return self.write_back(action.id),
            ShowTenant => self.show_tenant(),
            Accept => return self.accept(),
            Complete if self.mode == Mode::Prompt => self.complete_in_form(),
            DeleteBackward
                if self.mode == Mode::Prompt && self.form.as_mut().is_some_and(|f| f.join_up()) => {
            }
            HistoryPrev if self.mode == Mode::Prompt => self.move_in_form(-1),
            HistoryNext if self.mode == Mode::Prompt => self.move_in_form(1),
            Complete => self.complete_command(true),
            DeleteBackward => self.edit(|l| l.delete_backward()),
            DeleteWord => self.edit(|l| l.delete_word()),
            ClearLine => self.edit(|l| l.clear()),
            CursorLeft => self.edit(|l| l.left()),
            CursorRight => self.edit(|l| l.right()),
            CursorHome => self.edit(|l| l.home()),
            CursorEnd => self.edit(|l| l.end()),
            HistoryPrev => self.edit(|l| l.history_prev()),
            HistoryNext => self.edit(|l| l.history_next()),
            Session => return self.start_session(action.arg.as_deref().unwrap_or_default()),
            SessionMenu => self.open_session_menu(),
        }
        Vec::new()
    }

    fn move_in_form(&mut self, delta: isize) {
        if let Some(form) = &mut self.form {
            form.move_row(delta);
        }
    }

    fn toggle_mode(&mut self, mode: Mode) {
        self.mode = if self.mode == mode { Mode::Queue } else { mode };
        self.help_scroll = 0;
    }

    fn edit(&mut self, f: impl FnOnce(&mut super::input::LineInput)) {
        match self.mode {
            Mode::Filter => f(&mut self.filter),
            Mode::Command => f(&mut self.command),
            Mode::Prompt => {
                if let Some(form) = &mut self.form {
                    if let Some(line) = form.focused() {
                        f(line);
                    }
                    form.error = None;
                }
                return;
            }
            _ => return,
        }
        self.after_edit();
    }

    /// Esc: leave the current layer, or clear what it holds.
    fn cancel(&mut self) {
        self.clear_pending();
        match self.mode {
            Mode::Filter => {
                self.filter.clear();
                self.mode = Mode::Queue;
                self.requery();
            }
            Mode::Prompt => self.close_form(),
            Mode::SessionMenu => self.close_session_menu(),
            Mode::Command | Mode::Help | Mode::Tenants | Mode::Sources => self.mode = Mode::Queue,
            Mode::Queue if self.detail_open => self.detail_open = false,
            Mode::Queue if !self.marked.is_empty() => self.marked.clear(),
            Mode::Queue if !self.filter.text().is_empty() => self.set_filter(""),
            Mode::Queue => self.flash = None,
        }
    }

    fn accept(&mut self) -> Vec<Effect> {
        match self.mode {
            Mode::Filter => {
                self.filter.commit_history();
                self.mode = Mode::Queue;
                Vec::new()
            }
            Mode::Command => self.run_command(),
            Mode::Prompt => self.accept_in_form(),
            Mode::SessionMenu => self.accept_session_menu(),
            Mode::Tenants => {
                self.show_tenant();
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    fn run_command(&mut self) -> Vec<Effect> {
        let line = self.command.text().trim().to_string();
        self.command.commit_history();
        self.mode = Mode::Queue;
        if line.is_empty() {
            return Vec::new();
        }
        match line.parse::<Action>() {
            Ok(action) => self.apply(action),
            Err(e) => {
                self.flash_error(command_problem(self.lang, &e, &line));
                Vec::new()
            }
        }
    }

    /// Completion over action names for the command line; `cycle` moves to the next match.
    fn complete_command(&mut self, cycle: bool) {
        let typed = self.command.text().trim_start().to_string();
        if cycle && !self.completions.is_empty() {
            let pos = self.completions.iter().position(|c| *c == typed);
            let next = pos.map_or(0, |p| (p + 1) % self.completions.len());
            self.command.set(self.completions[next]);
            return;
        }
        self.completions = REGISTRY
            .iter()
            .map(|s| s.name)
            .filter(|n| n.starts_with(typed.as_str()) && *n != "noop")
            .collect();
        if cycle && let [only] = self.completions.as_slice() {
            self.command.set(only);
        }
    }

    fn show_tenant(&mut self) {
        if let Some(t) = self
            .tenant_cursor
            .checked_sub(1)
            .and_then(|i| self.tenants.get(i))
        {
            let q = format!("t:{}", t.id);
            self.set_filter(&q);
        } else {
            self.set_filter("");
        }
        self.mode = Mode::Queue;
    }

    fn filter_by_selected(&mut self, term: impl Fn(&Item) -> Option<String>) {
        let Some(term) = self.selected_item().and_then(term) else {
            return;
        };
        self.set_filter(&term);
    }

    pub fn set_filter(&mut self, text: &str) {
        self.filter.set(text);
        self.filter.commit_history();
        self.requery();
    }

    pub fn selected_item(&self) -> Option<&Item> {
        self.selected_id()
            .and_then(|id| self.queue.entry(id))
            .map(|e| &e.item)
    }

    pub(super) fn select_next_row(&mut self) {
        self.select_row(self.cursor.saturating_add(1));
    }

    fn move_selection(&mut self, delta: isize) {
        match self.mode {
            Mode::Help => {
                self.help_scroll = self.help_scroll.saturating_add_signed(delta);
            }
            Mode::Tenants => {
                let max = self.tenants.len();
                self.tenant_cursor = self.tenant_cursor.saturating_add_signed(delta).min(max);
            }
            Mode::Sources => {
                let max = self.sources.len().saturating_sub(1);
                self.source_cursor = self.source_cursor.saturating_add_signed(delta).min(max);
            }
            Mode::SessionMenu => self.move_in_session_menu(delta),
            _ => self.select_row(self.cursor.saturating_add_signed(delta)),
        }
    }

    fn select_row(&mut self, row: usize) {
        if self.mode == Mode::Tenants {
            self.tenant_cursor = row.min(self.tenants.len());
            return;
        }
        if self.mode == Mode::SessionMenu {
            let to_first = if row == 0 { isize::MIN } else { isize::MAX };
            return self.move_in_session_menu(to_first);
        }
        if self.view.is_empty() {
            self.cursor = 0;
            self.selected = None;
            return;
        }
        self.cursor = row.min(self.view.len() - 1);
        self.selected = self.key_at(self.cursor);
        self.scroll_to_cursor();
        self.mark_selected_seen();
    }

    fn scroll_to_cursor(&mut self) {
        let page = self.page.max(1);
        if self.cursor < self.offset {
            self.offset = self.cursor;
        } else if self.cursor >= self.offset + page {
            self.offset = self.cursor + 1 - page;
        }
        let max_offset = self.view.len().saturating_sub(page);
        self.offset = self.offset.min(max_offset);
    }

    /// Brings the filtered view up to date after the queue changed or time moved on.
    pub fn refresh_view(&mut self) {
        let update = self.filterer.refresh(&self.queue, self.now);
        self.take_update(update);
    }

    /// The filter text changed: filter again (inline, or as a job off the UI thread).
    fn requery(&mut self) {
        let text = self.expanded_filter();
        let update = self.filterer.set_query(&text, &self.queue, self.now);
        self.take_update(update);
    }

    /// A filter job finished off the UI thread.
    pub fn filter_done(&mut self, generation: u64, ids: Vec<u32>) {
        let update = self.filterer.apply(generation, ids, &self.queue, self.now);
        self.take_update(update);
    }

    /// Filter jobs waiting to be run by the event loop.
    pub fn take_filter_jobs(&mut self) -> Vec<FilterJob> {
        std::mem::take(&mut self.filter_jobs)
    }

    fn take_update(&mut self, update: Update) {
        match update {
            Update::Ready => {
                self.filter_error = None;
                self.sync_view();
            }
            Update::Pending(job) => self.filter_jobs.push(job),
            Update::Invalid(e) => self.filter_error = Some(filter_problem(self.lang, &e)),
            Update::Stale => {}
        }
    }

    /// Copies the filter's result into the view and keeps the selection on the same item,
    /// at the same screen row where possible.
    fn sync_view(&mut self) {
        self.view.clear();
        self.view.extend_from_slice(self.filterer.ids(&self.queue));
        if !self.marks.show_snoozed && !self.marks.snoozes.is_empty() {
            let (queue, marks) = (&self.queue, &self.marks);
            self.view.retain(|&id| {
                queue
                    .entry(id)
                    .is_none_or(|e| !marks.is_snoozed(&e.item.key))
            });
        }
        self.view_counts = [0; 4];
        for &id in &self.view {
            if let Some(e) = self.queue.entry(id)
                && e.item.status.category != StatusCategory::Resolved
            {
                self.view_counts[e.item.priority.index()] += 1;
            }
        }
        self.restore_selection();
    }

    fn restore_selection(&mut self) {
        let screen_row = self.cursor.saturating_sub(self.offset);
        let found = self.selected.as_ref().and_then(|key| {
            let id = self.queue.id_of(key)?;
            self.filterer.position_of(&self.queue, id)
        });
        match found {
            Some(row) => {
                self.cursor = row;
                self.offset = row.saturating_sub(screen_row);
            }
            None => {
                self.cursor = self.cursor.min(self.view.len().saturating_sub(1));
                self.selected = self.key_at(self.cursor);
            }
        }
        self.scroll_to_cursor();
    }

    pub fn flash_info(&mut self, text: String) {
        self.flash = Some(Flash {
            text,
            error: false,
            at: self.now,
        });
    }

    pub fn flash_error(&mut self, text: String) {
        self.flash = Some(Flash {
            text,
            error: true,
            at: self.now,
        });
    }

    /// Registers a source so the status bar lists it before its first answer.
    pub fn add_source(&mut self, id: SourceId, meta: SourceMeta) {
        self.sources.insert(
            id,
            SourceInfo {
                meta,
                health: Health::Pending,
                vocabulary: Default::default(),
                since: self.now,
                last_ok: None,
                cached: None,
            },
        );
    }

    /// A message from a source task.
    pub fn on_source_event(&mut self, event: SourceEvent) {
        match event {
            SourceEvent::Data {
                source,
                at,
                mut fetched,
            } => {
                self.decorate(&mut fetched);
                let arrivals = self.note_arrivals(&source, &fetched);
                let judged = self.judged_snoozes(&source, &fetched);
                match fetched {
                    Fetched::Full(items) => {
                        self.queue.apply_full(&source, items);
                    }
                    Fetched::Delta { upserts, removed } => {
                        self.queue.apply_delta(upserts, &removed);
                    }
                }
                self.note_status_changes();
                if let Some(info) = self.sources.get_mut(&source) {
                    info.last_ok = Some(at);
                }
                self.snapshot_answered(&source, at);
                // Woken first: an item snoozed until it changes that was raised is told.
                self.wake_changed(judged);
                self.notify_arrivals(arrivals, at.max(self.now));
                self.prune_marks();
            }
            SourceEvent::Health { source, at, health } => self.on_health(source, at, health),
            SourceEvent::Vocabulary { source, vocabulary } => {
                if let Some(info) = self.sources.get_mut(&source) {
                    info.vocabulary = vocabulary;
                }
            }
            SourceEvent::WriteBackDone {
                seq,
                source,
                item,
                action,
                result,
            } => self.write_back_done(seq, source, item, action, result),
        }
        self.refresh_view();
    }

    fn on_health(&mut self, source: SourceId, at: Timestamp, health: Health) {
        let stale = health.is_stale();
        let (tenant, priority) = self
            .sources
            .get(&source)
            .map(|s| (s.meta.tenant.clone(), s.meta.outage_priority))
            .unwrap_or((None, Priority::P2));
        let change = self
            .sources
            .get(&source)
            .map(|s| super::notify::HealthChange {
                was_stale: s.health.is_stale(),
                answered_before: s.last_ok.is_some(),
                old_since: s.since,
            });
        if let Some(info) = self.sources.get_mut(&source) {
            if info.health.is_stale() != stale || info.health.name() != health.name() {
                info.since = at;
            }
            info.health = health;
        }
        let since = self.sources.get(&source).map_or(at, |s| s.since);
        // Items from an earlier run's snapshot stay stale since it was taken.
        let cached = self.sources.get(&source).and_then(|s| s.cached);
        self.queue
            .set_source_stale(&source, cached.or(stale.then_some(since)));
        let key = ItemKey::new(&SourceId::new(OWN_SOURCE), &format!("source-down/{source}"));
        if stale {
            let item = self.outage_item(&source, tenant, priority, since, key);
            self.queue.upsert(item);
        } else {
            self.queue.remove(&key);
        }
        if let Some(change) = change {
            self.notify_health(&source, change);
        }
    }

    /// The queue item that stands for a source that cannot be read: "monitoring of X is blind".
    fn outage_item(
        &self,
        source: &SourceId,
        tenant: Option<crate::model::TenantId>,
        priority: Priority,
        since: Timestamp,
        key: ItemKey,
    ) -> Item {
        let tenant = tenant.unwrap_or_else(|| crate::model::TenantId::new(OWN_SOURCE));
        let since_text = crate::sla::due_label(since, &self.tz, self.lang.is_german());
        let title = fill(
            t(self.lang, Msg::BlindSince),
            &[&since_text, source.as_str()],
        );
        Item {
            key,
            tenant,
            kind: Kind::Alert,
            title: title.into(),
            host: None,
            address: None,
            priority,
            status: Status::new(StatusCategory::New, t(self.lang, Msg::HealthDown)),
            created: Moment::new(since),
            updated: Moment::new(since),
            assignee: None,
            labels: [("source", source.as_str())].into_iter().collect(),
            link: None,
            sla: SlaFacts::default(),
        }
    }

    /// Once a second: move the clock; SLA levels change by comparing instants only.
    pub fn tick(&mut self, now: Timestamp) {
        self.now = now;
        let report = self.queue.tick(now);
        self.notify_sla(&report);
        self.notify_tick();
        self.wake_due();
        self.save_snapshots(false);
        self.refresh_view();
    }

    /// Tells the state how many rows the queue table has (from the layout).
    pub fn set_page(&mut self, rows: usize) {
        if self.page != rows {
            self.page = rows;
            self.scroll_to_cursor();
        }
    }
}

impl App {
    fn key_at(&self, row: usize) -> Option<ItemKey> {
        let id = *self.view.get(row)?;
        self.queue.entry(id).map(|e| e.item.key.clone())
    }

    fn clear_pending(&mut self) {
        self.pending.clear();
        self.continuations.clear();
    }
}

/// What is wrong with a filter, in the user's language.
fn filter_problem(lang: crate::i18n::Lang, e: &crate::queue::ParseError) -> String {
    use crate::queue::ParseErrorKind;
    let msg = match e.kind {
        ParseErrorKind::BadPriority => Msg::FilterBadPriority,
        ParseErrorKind::UnknownKind => Msg::FilterUnknownKind,
        ParseErrorKind::BadDuration => Msg::FilterBadDuration,
    };
    fill(t(lang, msg), &[&e.term])
}

/// Why a command line was refused, in the user's language.
fn command_problem(
    lang: crate::i18n::Lang,
    e: &crate::action::ActionParseError,
    line: &str,
) -> String {
    use crate::action::ActionParseError as E;
    match e {
        E::Empty => fill(t(lang, Msg::CommandUnknown), &[line]),
        E::Unknown(name) => fill(t(lang, Msg::CommandUnknown), &[name]),
        E::UnexpectedArgs(name) => fill(t(lang, Msg::CommandUnexpectedArgs), &[name]),
        E::MissingArgs(name) => fill(t(lang, Msg::CommandMissingArgs), &[name]),
    }
}
