//! The application state. Changed only by [`App::apply`] (actions), [`App::on_source_event`]
//! and [`App::tick`]; rendering reads it and never writes.

use std::collections::{BTreeMap, HashMap};

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::form::{Form, FormKind};
use super::input::LineInput;
use crate::i18n::Lang;
use crate::keymap::{Key, Keymap};
use crate::model::{Health, ItemKey, Priority, SourceId, TenantId};
use crate::queue::{FilterJob, Filterer, Queue};

/// Which part of the screen has the keyboard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Queue,
    Filter,
    Command,
    Help,
    Tenants,
    Sources,
    /// A write-back form is open.
    Prompt,
    /// The session profiles for the selected item are listed.
    SessionMenu,
}

/// What is known about a source before it answers: from its config.
#[derive(Clone, Debug, PartialEq)]
pub struct SourceMeta {
    pub kind: &'static str,
    /// The tenant a source belongs to, when it watches one tenant only.
    pub tenant: Option<TenantId>,
    /// TLS certificate checks are off (shown loudly).
    pub insecure: bool,
    /// Priority of the item that says the source cannot be read.
    pub outage_priority: Priority,
    /// The write-backs it supports.
    pub capabilities: crate::sources::Capabilities,
    /// Its last good snapshot is kept for the next start (not for made-up demo data).
    pub cache: bool,
}

impl SourceMeta {
    /// A source with the defaults: no fixed tenant, TLS checked, outages at P2.
    pub fn of_kind(kind: &'static str, tenant: Option<TenantId>) -> Self {
        Self {
            kind,
            tenant,
            insecure: false,
            outage_priority: crate::config::source::DEFAULT_OUTAGE_PRIORITY,
            capabilities: crate::sources::Capabilities::default(),
            cache: false,
        }
    }
}

/// What the status bar knows about a source.
#[derive(Clone, Debug, PartialEq)]
pub struct SourceInfo {
    pub meta: SourceMeta,
    pub health: Health,
    /// Agents and statuses the source offers for write-backs.
    pub vocabulary: crate::sources::Vocabulary,
    /// When the current health began.
    pub since: Timestamp,
    pub last_ok: Option<Timestamp>,
    /// Its items come from an earlier run's snapshot taken then (until it answers).
    pub cached: Option<Timestamp>,
}

/// A write-back on its way: what was sent, and the form it came from (kept if refused).
#[derive(Clone, Debug, PartialEq)]
pub struct Pending {
    /// The item it was sent for.
    pub item: ItemKey,
    pub action: crate::sources::WriteBack,
    pub form: Option<Form>,
    /// Sent to several items at once: counted in [`Batch`], not told one by one.
    pub in_batch: bool,
}

/// One action sent to several items: how many answered, and the first refusal, so that one
/// failure among twelve is not overwritten by the next success in the status line.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Batch {
    pub total: usize,
    pub ok: usize,
    pub failed: usize,
    pub first_error: Option<String>,
}

/// A short message in the status line (result of an action, an error).
#[derive(Clone, Debug, PartialEq)]
pub struct Flash {
    pub text: String,
    pub error: bool,
    pub at: Timestamp,
}

/// A tenant as the tenant list shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct TenantInfo {
    pub id: TenantId,
    pub name: String,
}

/// Everything the UI shows.
pub struct App {
    pub lang: Lang,
    /// My agent name (take assigns to it, acks carry it as author).
    pub user: String,
    pub now: Timestamp,
    /// Zone in which clock times are shown.
    pub tz: TimeZone,
    pub keymap: Keymap,
    pub queue: Queue,
    pub filterer: Filterer,
    /// Filter jobs for the event loop to run off the UI thread.
    pub filter_jobs: Vec<FilterJob>,
    /// Entry ids of the queue after filtering, in SLA order.
    pub view: Vec<u32>,
    /// Counts of unresolved items per priority in the view.
    pub view_counts: [usize; 4],
    pub filter_error: Option<String>,
    /// The selected item (kept across refreshes by key, not by row).
    pub selected: Option<ItemKey>,
    /// Row of the selection in `view`.
    pub cursor: usize,
    /// First row shown.
    pub offset: usize,
    /// Rows the queue table can show (from the last layout).
    pub page: usize,
    pub mode: Mode,
    pub detail_open: bool,
    pub filter: LineInput,
    pub command: LineInput,
    /// Action names that complete what is typed on the command line.
    pub completions: Vec<&'static str>,
    pub pending: Vec<Key>,
    /// What the pending keys can still become: (remaining keys, action), for a hint.
    pub continuations: Vec<(String, String)>,
    pub help_scroll: usize,
    pub sources: BTreeMap<SourceId, SourceInfo>,
    pub tenants: Vec<TenantInfo>,
    pub tenant_names: HashMap<TenantId, String>,
    pub tenant_cursor: usize,
    /// Row of the sources view.
    pub source_cursor: usize,
    /// The open write-back form.
    pub form: Option<Form>,
    /// Snoozes, seen marks, NIS-2 incidents.
    pub marks: super::local::Marks,
    /// Audit entries per item (recent ones from the store, and this session's), for the
    /// item's timeline.
    pub timeline: HashMap<ItemKey, Vec<crate::store::AuditEntry>>,
    /// Status changes seen in this session, only for items whose status changed, oldest
    /// first, for the item's timeline.
    pub status_changes: HashMap<ItemKey, Vec<super::history::StatusChange>>,
    /// Marked items: actions go to all of them.
    pub marked: std::collections::HashSet<ItemKey>,
    /// Saved views by name (`mine` and the config's `[views]`).
    pub views: BTreeMap<String, String>,
    /// Forms cancelled or refused by the source, by kind and first item: opening the same
    /// form again brings their text back.
    pub drafts: HashMap<(FormKind, ItemKey), Form>,
    /// Write-backs sent and not answered yet, by the number each was sent with (two notes
    /// to the same item are two entries, each with its own text).
    pub in_flight: HashMap<u64, Pending>,
    /// The number of the last write-back sent.
    pub write_seq: u64,
    /// Sources that answered since their snapshot was last written, with when.
    pub snapshots_due: HashMap<SourceId, Timestamp>,
    /// When snapshots were last written.
    pub snapshots_saved: Timestamp,
    /// Batches on their way, by action name.
    pub batches: HashMap<&'static str, Batch>,
    /// Effects caused by events rather than keys (audit entries of answers), for the event
    /// loop to carry out.
    pub outbox: Vec<super::update::Effect>,
    /// The notification rules and what they already fired for.
    pub notifier: crate::notify::Notifier,
    pub flash: Option<Flash>,
    /// Launch profiles for remote sessions.
    pub sessions: std::sync::Arc<crate::config::SessionsConfig>,
    /// The open session menu.
    pub session_menu: Option<super::session::SessionMenu>,
    /// Session launches and refusals not yet taken by the event loop (for the log/audit).
    pub session_outcomes: Vec<crate::actions::session::SessionOutcome>,
    pub quit: bool,
}

impl App {
    pub fn new(
        lang: Lang,
        user: String,
        now: Timestamp,
        tz: TimeZone,
        keymap: Keymap,
        queue: Queue,
        tenants: Vec<TenantInfo>,
    ) -> Self {
        let mut filterer = Filterer::default();
        filterer.set_tenant_names(tenants.iter().map(|t| (&t.id, t.name.as_str())));
        let tenant_names = tenants
            .iter()
            .map(|t| (t.id.clone(), t.name.clone()))
            .collect();
        let mut app = Self {
            lang,
            user,
            now,
            tz,
            keymap,
            queue,
            filterer,
            filter_jobs: Vec::new(),
            view: Vec::new(),
            view_counts: [0; 4],
            filter_error: None,
            selected: None,
            cursor: 0,
            offset: 0,
            page: 20,
            mode: Mode::Queue,
            detail_open: false,
            filter: LineInput::default(),
            command: LineInput::default(),
            completions: Vec::new(),
            pending: Vec::new(),
            continuations: Vec::new(),
            help_scroll: 0,
            sources: BTreeMap::new(),
            tenants,
            tenant_names,
            tenant_cursor: 0,
            source_cursor: 0,
            form: None,
            marks: super::local::Marks {
                baseline: now,
                ..Default::default()
            },
            timeline: HashMap::new(),
            status_changes: HashMap::new(),
            marked: std::collections::HashSet::new(),
            views: BTreeMap::from([(
                super::views::MINE.0.to_string(),
                super::views::MINE.1.to_string(),
            )]),
            drafts: HashMap::new(),
            in_flight: HashMap::new(),
            write_seq: 0,
            batches: HashMap::new(),
            snapshots_due: HashMap::new(),
            snapshots_saved: now,
            outbox: Vec::new(),
            notifier: crate::notify::Notifier::default(),
            flash: None,
            sessions: Default::default(),
            session_menu: None,
            session_outcomes: Vec::new(),
            quit: false,
        };
        app.refresh_view();
        app
    }

    /// The display name of a tenant (its id when no name is configured).
    pub fn tenant_name<'a>(&'a self, id: &'a TenantId) -> &'a str {
        self.tenant_names
            .get(id)
            .map(String::as_str)
            .unwrap_or(id.as_str())
    }

    /// The entry behind a view id (ids in the view are live; `None` only in a race).
    pub fn entry(&self, id: u32) -> Option<&crate::queue::Entry> {
        self.queue.entry(id)
    }

    /// The selected entry id, if the view has one.
    pub fn selected_id(&self) -> Option<u32> {
        self.view.get(self.cursor).copied()
    }

    pub fn count(&self, p: Priority) -> usize {
        self.view_counts[p.index()]
    }
}
