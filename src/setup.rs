//! Building a session from the config and the command line: language, keymap, theme,
//! contracts per tenant, the tenant list and the sources. Used by the CLI and by tests, so
//! the demo and a real configuration go through the same wiring.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::app::state::{App, SourceMeta, TenantInfo};
use crate::clock::{ScaledClock, SharedClock};
use crate::config::{Config, Paths, SourceKind, UiConfig};
use crate::i18n::Lang;
use crate::keymap::Keymap;
use crate::model::TenantId;
use crate::queue::{ContractBook, Queue};
use crate::sla::{Bundesland, Contract};
use crate::sources::build::{BuildContext, FailedSource, build};
use crate::sources::demo::{DemoWorld, TENANTS, demo_sources};
use crate::sources::http::Limiter;
use crate::sources::runner::PollPolicy;
use crate::sources::{Source, SourceEvent};
use crate::store::{RestoreTests, Store};
use crate::theme::{ColorEnv, Theme, ThemeLoader, select_theme};

/// Choices from the command line that override the config's `[ui]`.
#[derive(Clone, Debug, Default)]
pub struct Flags {
    pub lang: Option<String>,
    pub theme: Option<String>,
    pub keymap: Option<String>,
}

/// A connector ready to be spawned: how it is polled and what the UI knows of it up front.
pub struct PlannedSource {
    pub source: Box<dyn Source>,
    pub policy: PollPolicy,
    pub meta: SourceMeta,
}

impl PlannedSource {
    /// A source with the default meta of its kind.
    pub fn new(source: Box<dyn Source>, policy: PollPolicy) -> Self {
        let meta = SourceMeta {
            capabilities: source.capabilities(),
            ..SourceMeta::of_kind(source.kind(), source.tenant())
        };
        Self {
            source,
            policy,
            meta,
        }
    }
}

/// Everything needed to run the TUI.
pub struct Session {
    pub app: App,
    pub theme: Theme,
    pub clock: SharedClock,
    pub sources: Vec<PlannedSource>,
    /// The local database (audit log, restore tests); `None` when it could not be opened
    /// (the reason is among the warnings: nightdesk runs on, unaudited).
    pub store: Option<Store>,
    /// Restore tests, shared with the backup sources.
    pub restore_tests: RestoreTests,
    /// Problems that did not stop the start (a broken user keymap, an unknown theme).
    pub warnings: Vec<String>,
}

/// Language, keymap and theme as configured and overridden by flags.
pub struct UiParts {
    pub lang: Lang,
    pub keymap: Keymap,
    pub theme: Theme,
    pub tz: TimeZone,
    pub user: String,
    pub warnings: Vec<String>,
}

pub fn ui_parts(paths: &Paths, ui: &UiConfig, flags: &Flags) -> UiParts {
    let mut warnings = Vec::new();
    let lang = match flags.lang.as_deref() {
        Some(choice) => resolve_lang(choice),
        None => to_ui_lang(ui.lang.resolve()),
    };
    let preset = flags
        .keymap
        .clone()
        .unwrap_or_else(|| ui.keymap.name().to_string());
    let keymap = load_keymap(&preset, &paths.keymap_file.path, &mut warnings);
    let loader = ThemeLoader::new(Some(&paths.themes_dir.path));
    let requested = flags.theme.as_deref().unwrap_or(&ui.theme);
    let choice = select_theme(requested, &loader, &ColorEnv::from_process());
    warnings.extend(choice.warnings.iter().map(|d| d.one_line()));
    let tz = ui
        .time_zone
        .as_deref()
        .and_then(|z| TimeZone::get(z).ok())
        .unwrap_or_else(TimeZone::system);
    let user = ui
        .user
        .clone()
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "me".to_string());
    UiParts {
        lang,
        keymap,
        theme: choice.theme,
        tz,
        user,
        warnings,
    }
}

fn resolve_lang(choice: &str) -> Lang {
    let lang = crate::config::Lang::parse(choice).unwrap_or(crate::config::Lang::Auto);
    to_ui_lang(lang.resolve())
}

fn to_ui_lang(lang: crate::config::Lang) -> Lang {
    match lang {
        crate::config::Lang::De => Lang::De,
        _ => Lang::En,
    }
}

/// The keymap preset plus the user's keymap file; problems become warnings and the rest of
/// the file still applies (a technician at 3 a.m. must get a working queue).
fn load_keymap(preset: &str, user_file: &Path, warnings: &mut Vec<String>) -> Keymap {
    let text = std::fs::read_to_string(user_file).ok();
    let user = text.as_deref().map(|t| (user_file, t));
    let (keymap, diagnostics) = Keymap::load_report(preset, user);
    warnings.extend(diagnostics.iter().map(|d| d.to_string()));
    keymap
}

/// Contracts of the demo tenants: the standard contract with each tenant's state holidays.
pub fn demo_contracts() -> ContractBook {
    let standard = Contract::default();
    let mut book = ContractBook::new(Arc::new(standard.clone()));
    for t in TENANTS {
        if let Some(state) = Bundesland::parse(t.state) {
            book.insert(TenantId::new(t.id), Arc::new(standard.with_state(state)));
        }
    }
    book
}

fn demo_tenants() -> Vec<TenantInfo> {
    TENANTS
        .iter()
        .map(|t| TenantInfo {
            id: TenantId::new(t.id),
            name: t.name.to_string(),
        })
        .collect()
}

/// How often a demo source polls, in real time.
const DEMO_POLL: Duration = Duration::from_secs(2);

/// A session over the built-in demo world.
pub fn demo_session(
    paths: &Paths,
    ui: &UiConfig,
    flags: &Flags,
    seed: u64,
    speed: f64,
    start: Timestamp,
) -> Session {
    let mut parts = ui_parts(paths, ui, flags);
    let (store, restore_tests) = open_store(paths, DEMO_STORE, &mut parts.warnings);
    let clock: SharedClock = Arc::new(ScaledClock::new(start, speed));
    let world = DemoWorld::new(seed, start);
    let policy = PollPolicy {
        interval: DEMO_POLL,
        ..PollPolicy::default()
    };
    let sources = demo_sources(&world)
        .into_iter()
        .map(|s| PlannedSource::new(s, policy))
        .collect();
    let mut session = assemble(
        parts,
        clock,
        sources,
        demo_contracts(),
        demo_tenants(),
        start,
    );
    load_local(&mut session.app, store.as_ref());
    session.store = store;
    session.restore_tests = restore_tests;
    session
}

/// How long seen marks and the timeline's audit entries are kept in memory.
const LOCAL_MEMORY: jiff::SignedDuration = jiff::SignedDuration::from_hours(24 * 30);

/// Snoozes, seen marks, NIS-2 incidents and the recent audit entries from the store.
fn load_local(app: &mut App, store: Option<&Store>) {
    let Some(store) = store else {
        return;
    };
    let since = app.now - LOCAL_MEMORY;
    match store.local_marks(since) {
        Ok(marks) => app.marks = crate::app::local::Marks::from_store(marks, app.now),
        Err(e) => tracing::error!(error = %e, "local marks unreadable"),
    }
    match store.audit_since(since, None) {
        Ok(entries) => {
            for e in &entries {
                app.remember(e);
            }
        }
        Err(e) => tracing::error!(error = %e, "audit log unreadable"),
    }
}

/// Puts the earlier run's snapshots of the configured sources into the queue, stale.
fn load_snapshots(app: &mut App, store: Option<&Store>) {
    let Some(store) = store else {
        return;
    };
    let wanted: Vec<_> = app
        .sources
        .iter()
        .filter(|(_, s)| s.meta.cache)
        .map(|(id, _)| id.clone())
        .collect();
    match store.snapshots(&wanted) {
        Ok(snapshots) => {
            for snapshot in snapshots {
                app.restore_snapshot(snapshot);
            }
        }
        Err(e) => tracing::error!(error = %e, "snapshots unreadable"),
    }
}

/// The demo keeps its own database, so made-up actions never mix with real ones.
pub const DEMO_STORE: &str = "nightdesk-demo.db";

/// Opens the local database in the data dir and reads the restore tests; a database that
/// cannot be opened becomes a warning, not a failed start.
pub fn open_store(
    paths: &Paths,
    file: &str,
    warnings: &mut Vec<String>,
) -> (Option<Store>, RestoreTests) {
    let path = paths.data_dir.path.join(file);
    match Store::open(&path).and_then(|s| s.restore_tests().map(|t| (s, t))) {
        Ok((store, tests)) => (Some(store), RestoreTests::from_records(tests)),
        Err(e) => {
            tracing::error!(error = %e, "local database unavailable");
            warnings.push(e.to_string());
            (None, RestoreTests::default())
        }
    }
}

/// A session from a configuration file.
pub fn configured_session(
    paths: &Paths,
    config: &Config,
    flags: &Flags,
) -> anyhow::Result<Session> {
    let mut parts = ui_parts(paths, &config.ui, flags);
    let (store, restore_tests) = open_store(paths, crate::store::FILE_NAME, &mut parts.warnings);
    let book = configured_contracts(config)?;
    let clock: SharedClock = Arc::new(crate::clock::SystemClock);
    let now = clock.now();
    let sources = configured_sources(config, now, &restore_tests);
    let mut tenants: Vec<TenantInfo> = config
        .tenants
        .iter()
        .map(|t| TenantInfo {
            id: t.id.clone(),
            name: t.name.clone(),
        })
        .collect();
    let mut book = book;
    if config
        .sources
        .iter()
        .any(|s| matches!(s.kind, SourceKind::Demo(_)))
    {
        add_demo_tenants(&mut tenants, &mut book);
    }
    let mut session = assemble(parts, clock, sources, book, tenants, now);
    session.app.set_views(&config.views);
    session
        .app
        .set_notifications(config.notifications.effective_rules());
    load_local(&mut session.app, store.as_ref());
    load_snapshots(&mut session.app, store.as_ref());
    session.store = store;
    session.restore_tests = restore_tests;
    session.app.sessions = Arc::new(config.sessions.clone());
    Ok(session)
}

/// The connectors of every configured source. A source that cannot even be built (an
/// unreadable CA file) is kept as one that reports the reason on every poll, so it shows as
/// down in the status bar instead of stopping the start.
pub fn configured_sources(
    config: &Config,
    now: Timestamp,
    restore_tests: &RestoreTests,
) -> Vec<PlannedSource> {
    let limiter = Limiter::new(config.defaults.max_in_flight);
    let tenants = config.tenants.iter().map(|t| t.id.clone()).collect();
    let mut ctx = BuildContext::new(limiter, tenants, now);
    ctx.restore_tests = restore_tests.clone();
    let mut planned = Vec::new();
    for sc in &config.sources {
        let policy = PollPolicy {
            interval: sc.poll_interval,
            timeout: sc.timeout,
            ..PollPolicy::default()
        };
        let built = build(sc, &ctx).unwrap_or_else(|e| {
            tracing::warn!(source = %sc.id, error = %e, "source cannot be set up");
            vec![Box::new(FailedSource::new(sc, e)) as Box<dyn Source>]
        });
        for source in built {
            let meta = SourceMeta {
                kind: source.kind(),
                tenant: source.tenant(),
                insecure: sc.insecure,
                outage_priority: sc.outage_priority,
                capabilities: source.capabilities(),
                cache: source.kind() != "demo",
            };
            planned.push(PlannedSource {
                source,
                policy,
                meta,
            });
        }
    }
    planned
}

/// The session from its parts; every source is registered so the status bar lists it
/// before its first answer.
fn assemble(
    parts: UiParts,
    clock: SharedClock,
    sources: Vec<PlannedSource>,
    contracts: ContractBook,
    tenants: Vec<TenantInfo>,
    now: Timestamp,
) -> Session {
    let mut app = App::new(
        parts.lang,
        parts.user,
        now,
        parts.tz,
        parts.keymap,
        Queue::new(contracts, now),
        tenants,
    );
    for planned in &sources {
        app.add_source(planned.source.id().clone(), planned.meta.clone());
    }
    Session {
        app,
        theme: parts.theme,
        clock,
        sources,
        store: None,
        restore_tests: RestoreTests::default(),
        warnings: parts.warnings,
    }
}

/// A configured demo source brings its own tenants: named, and with their state's holidays
/// on the default contract, unless the config describes them itself.
fn add_demo_tenants(tenants: &mut Vec<TenantInfo>, book: &mut ContractBook) {
    for t in TENANTS {
        let id = TenantId::new(t.id);
        if tenants.iter().any(|known| known.id == id) {
            continue;
        }
        if let Some(state) = Bundesland::parse(t.state) {
            let contract = book.default_contract().with_state(state);
            book.insert(id.clone(), Arc::new(contract));
        }
        tenants.push(TenantInfo {
            id,
            name: t.name.to_string(),
        });
    }
}

/// Contracts per configured tenant: the named contract with the tenant's state holidays.
fn configured_contracts(config: &Config) -> anyhow::Result<ContractBook> {
    let build = |name: &str| -> anyhow::Result<Contract> {
        match config.contracts.get(name) {
            Some(spec) => spec
                .to_contract(name)
                .map_err(|e| anyhow::anyhow!("contracts.{name}.{e}")),
            None => Ok(Contract::default()),
        }
    };
    let default_name = config.defaults.contract.as_deref();
    let default = match default_name {
        Some(name) => build(name)?,
        None => Contract::default(),
    };
    let mut book = ContractBook::new(Arc::new(default));
    for t in &config.tenants {
        let mut contract = match t.contract.as_deref().or(default_name) {
            Some(name) => build(name)?,
            None => Contract::default(),
        };
        if let Some(state) = t.state.as_deref().and_then(Bundesland::parse) {
            contract = contract.with_state(state);
        }
        book.insert(t.id.clone(), Arc::new(contract));
    }
    Ok(book)
}

/// Fetches every source once at `now` and applies the results (tests, one-shot listing).
pub async fn fetch_once(app: &mut App, sources: &mut [PlannedSource], now: Timestamp) {
    for PlannedSource { source, .. } in sources.iter_mut() {
        let id = source.id().clone();
        let health = match source.fetch(now).await {
            Ok(fetched) => {
                app.on_source_event(SourceEvent::Data {
                    source: id.clone(),
                    at: now,
                    fetched,
                });
                crate::model::Health::Ok
            }
            Err(e) => e.health(),
        };
        app.on_source_event(SourceEvent::Health {
            source: id,
            at: now,
            health,
        });
    }
    app.tick(now);
}
