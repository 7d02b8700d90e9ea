//! The state's side of remote sessions: `session NAME` plans a session for the selected
//! item (or refuses it, saying why), `session-menu` lists the profiles that fit the item.
//! Plans go to the event loop as [`Effect::Session`]; every outcome comes back through
//! [`App::session_finished`] or is recorded right here when refused.

use crate::actions::session::launch::DetachedEnd;
use crate::actions::session::{self, Refusal, SessionOutcome};
use crate::config::LaunchMode;
use crate::i18n::{Msg, t};
use crate::model::{Item, ItemKey};
use crate::text::{sanitize, truncate};

use super::state::{App, Mode};
use super::update::Effect;

/// At most this many outcomes wait for the event loop to take them.
const KEPT_OUTCOMES: usize = 64;

/// The open session menu: the profiles that fit one item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionMenu {
    pub item: ItemKey,
    pub entries: Vec<MenuEntry>,
    pub cursor: usize,
}

/// One profile in the menu, with what it would run (or why it would be refused).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MenuEntry {
    pub profile: String,
    pub mode: LaunchMode,
    pub preview: Result<String, Refusal>,
}

impl App {
    /// `session NAME`: the selected item's (or the open menu's) session with profile NAME.
    pub(super) fn start_session(&mut self, name: &str) -> Vec<Effect> {
        let key = match self.session_menu.take() {
            Some(menu) => {
                self.mode = Mode::Queue;
                Some(menu.item)
            }
            None => self.selected_item().map(|i| i.key.clone()),
        };
        let Some(item) = key.and_then(|k| self.queue.get(&k)).map(|e| e.item.clone()) else {
            self.record_session(SessionOutcome::refused(
                self.now,
                name,
                None,
                Refusal::NothingSelected,
            ));
            return Vec::new();
        };
        match session::plan(&self.sessions, name, &item) {
            Ok(plan) => vec![Effect::Session(plan)],
            Err(why) => {
                self.record_session(SessionOutcome::refused(self.now, name, Some(&item), why));
                Vec::new()
            }
        }
    }

    /// `session-menu`: lists every enabled profile that fits the selected item.
    pub(super) fn open_session_menu(&mut self) {
        let Some(item) = self.selected_item().cloned() else {
            self.flash_error(t(self.lang, Msg::NothingSelected).to_string());
            return;
        };
        let entries: Vec<MenuEntry> = self
            .sessions
            .profiles
            .iter()
            .filter(|p| session::applies(&self.sessions, p, &item))
            .map(|p| MenuEntry {
                profile: p.name.clone(),
                mode: p.mode,
                preview: session::plan(&self.sessions, &p.name, &item)
                    .map(|plan| plan.command_line()),
            })
            .collect();
        if entries.is_empty() {
            self.flash_error(t(self.lang, Msg::SessionNoneApplies).to_string());
            return;
        }
        self.session_menu = Some(SessionMenu {
            item: item.key.clone(),
            entries,
            cursor: 0,
        });
        self.mode = Mode::SessionMenu;
    }

    pub(super) fn close_session_menu(&mut self) {
        self.session_menu = None;
        self.mode = Mode::Queue;
    }

    pub(super) fn move_in_session_menu(&mut self, delta: isize) {
        if let Some(menu) = &mut self.session_menu {
            let last = menu.entries.len().saturating_sub(1);
            menu.cursor = menu.cursor.saturating_add_signed(delta).min(last);
        }
    }

    /// Enter in the menu: the chosen profile's session.
    pub(super) fn accept_session_menu(&mut self) -> Vec<Effect> {
        let chosen = self
            .session_menu
            .as_ref()
            .and_then(|m| m.entries.get(m.cursor))
            .map(|e| e.profile.clone());
        match chosen {
            Some(name) => self.start_session(&name),
            None => {
                self.close_session_menu();
                Vec::new()
            }
        }
    }

    /// A letter in the menu: the one profile starting with it is launched; when several
    /// start with it, the cursor moves to the next of them.
    pub(super) fn pick_session_by_letter(&mut self, letter: char) -> Vec<Effect> {
        let Some(menu) = &mut self.session_menu else {
            return Vec::new();
        };
        let matching: Vec<usize> = (0..menu.entries.len())
            .filter(|&i| menu.entries[i].profile.starts_with(letter))
            .collect();
        match matching.as_slice() {
            [] => Vec::new(),
            [only] => {
                menu.cursor = *only;
                self.accept_session_menu()
            }
            several => {
                menu.cursor = several
                    .iter()
                    .copied()
                    .find(|&i| i > menu.cursor)
                    .unwrap_or(several[0]);
                Vec::new()
            }
        }
    }

    /// The event loop carried out a session (or could not): status line and record.
    pub fn session_finished(&mut self, outcome: SessionOutcome) {
        self.record_session(outcome);
    }

    /// A detached session program ended; a failure is worth the status line.
    pub fn detached_session_ended(&mut self, end: &DetachedEnd) {
        if let Some(text) = end.describe(self.lang) {
            self.flash_error(text);
        }
    }

    /// Outcomes since the last call, oldest first (the event loop logs them).
    pub fn take_session_outcomes(&mut self) -> Vec<SessionOutcome> {
        std::mem::take(&mut self.session_outcomes)
    }

    fn record_session(&mut self, outcome: SessionOutcome) {
        let item = outcome
            .item
            .as_ref()
            .and_then(|k| self.queue.get(k))
            .map(|e| self.item_label(&e.item))
            .unwrap_or_default();
        let text = outcome.describe(self.lang, &item);
        self.audit_session(&outcome, &text);
        if outcome.is_error() {
            self.flash_error(text);
        } else {
            self.flash_info(text);
        }
        if self.session_outcomes.len() >= KEPT_OUTCOMES {
            self.session_outcomes.remove(0);
        }
        self.session_outcomes.push(outcome);
    }

    /// Every remote session, opened or refused, goes into the audit log with its argv.
    fn audit_session(&mut self, outcome: &SessionOutcome, text: &str) {
        let params = serde_json::json!({
            "mode": outcome.mode.map(|m| m.name()),
            "fell_back": outcome.fell_back,
            "host": outcome.host,
            "argv": outcome.argv,
        });
        let result = if outcome.is_error() {
            crate::store::AuditOutcome::Failed(text.to_string())
        } else {
            crate::store::AuditOutcome::Ok
        };
        let entry = crate::store::AuditEntry {
            at: outcome.at,
            user: self.user.clone(),
            tenant: outcome
                .tenant
                .as_ref()
                .map(|t| t.to_string())
                .unwrap_or_default(),
            source: outcome
                .item
                .as_ref()
                .map(|k| k.source.to_string())
                .unwrap_or_default(),
            item: outcome
                .item
                .as_ref()
                .map(|k| k.external_id.to_string())
                .unwrap_or_default(),
            action: format!("session {}", outcome.profile),
            params,
            outcome: result,
        };
        self.audit(entry);
    }

    /// `tenant: title…`, short and safe, to name an item in a message.
    fn item_label(&self, item: &Item) -> String {
        let title = sanitize(&item.title);
        let tenant = sanitize(self.tenant_name(&item.tenant));
        format!("{tenant}: {}", truncate(&title, 30))
    }
}
