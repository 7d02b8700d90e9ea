//! Shared helpers for the integration tests.

#![allow(dead_code)]

pub mod pty;

use std::path::Path;

use jiff::Timestamp;
use nightdesk::config::{BaseDirs, Paths, UiConfig};
use nightdesk::setup::{self, Flags, Session};

/// The instant the render tests freeze the world at: a Friday night in winter, 02:30 in
/// Berlin.
pub fn frozen_start() -> Timestamp {
    "2026-11-27T01:30:00Z".parse().unwrap()
}

/// Paths with every directory under `home`.
pub fn paths_under(home: &Path) -> Paths {
    Paths::resolve(
        None,
        None,
        BaseDirs {
            config: home.join("config"),
            data: home.join("data"),
            state: home.join("state"),
        },
    )
}

/// The interface the render tests and benches use: English, Berlin time, the night theme,
/// the keymap preset `keymap`.
fn english_in_berlin(keymap: &str) -> (UiConfig, Flags) {
    let ui = UiConfig {
        time_zone: Some("Europe/Berlin".into()),
        ..UiConfig::default()
    };
    let flags = Flags {
        lang: Some("en".into()),
        theme: Some("night".into()),
        keymap: Some(keymap.into()),
    };
    (ui, flags)
}

/// A demo session with the first fetch of every source applied at `at`, in English, Berlin
/// time and the given keymap preset; no tasks are started.
pub fn primed_demo(home: &Path, seed: u64, at: Timestamp, keymap: &str) -> Session {
    let (ui, flags) = english_in_berlin(keymap);
    let mut session =
        setup::demo_session(&paths_under(home), &ui, &flags, seed, 1.0, frozen_start());
    session.app.filterer.set_inline_limit(usize::MAX);
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(setup::fetch_once(
        &mut session.app,
        &mut session.sources,
        at,
    ));
    session
}

/// A session whose queue holds `n` items of the demo generator
/// ([`nightdesk::sources::demo::generate_items`], seed 42, as of [`frozen_start`]) over its
/// 240 tenants, which the tenant list shows. The items arrive as each of their sources'
/// first answer (a full snapshot and a healthy status through
/// [`nightdesk::app::state::App::on_source_event`], as the source tasks send them), then
/// one tick: the same path a real fetch takes. Language, theme and keymap as in
/// [`primed_demo`].
pub fn bulk_session(home: &Path, n: usize) -> Session {
    use nightdesk::app::state::{App, SourceMeta, TenantInfo};
    use nightdesk::model::{Health, Item, SourceId};
    use nightdesk::queue::Queue;
    use nightdesk::sources::{Fetched, SourceEvent};
    let (ui, flags) = english_in_berlin("default");
    let parts = setup::ui_parts(&paths_under(home), &ui, &flags);
    let now = frozen_start();
    let tenants = nightdesk::sources::demo::bulk_tenants()
        .into_iter()
        .map(|(id, name)| TenantInfo { id, name })
        .collect();
    let mut app = App::new(
        parts.lang,
        parts.user,
        now,
        parts.tz,
        parts.keymap,
        Queue::new(setup::demo_contracts(), now),
        tenants,
    );
    app.filterer.set_inline_limit(usize::MAX);
    let mut by_source: std::collections::BTreeMap<SourceId, Vec<Item>> = Default::default();
    for item in nightdesk::sources::demo::generate_items(n, 42, now) {
        by_source
            .entry(item.key.source.clone())
            .or_default()
            .push(item);
    }
    for (source, items) in by_source {
        let tenant = items
            .iter()
            .all(|i| i.tenant == items[0].tenant)
            .then(|| items[0].tenant.clone());
        app.add_source(source.clone(), SourceMeta::of_kind("demo", tenant));
        app.on_source_event(SourceEvent::Data {
            source: source.clone(),
            at: now,
            fetched: Fetched::Full(items),
        });
        app.on_source_event(SourceEvent::Health {
            source,
            at: now,
            health: Health::Ok,
        });
    }
    app.tick(now);
    Session {
        app,
        theme: parts.theme,
        clock: std::sync::Arc::new(nightdesk::clock::ManualClock::new(now)),
        sources: Vec::new(),
        store: None,
        restore_tests: Default::default(),
        warnings: parts.warnings,
    }
}

/// `n` P1 alerts of tenant `tenant` from the source `bench`, created `age_mins` ago and
/// spread over a minute (their first response is due 30 minutes after creation): a screen
/// full of countdowns that tick every second.
pub fn countdown_items(
    n: usize,
    age_mins: i64,
    tenant: &str,
) -> (nightdesk::model::SourceId, Vec<nightdesk::model::Item>) {
    use nightdesk::model::{
        Item, ItemKey, Kind, Labels, Priority, SlaFacts, SourceId, Status, StatusCategory, TenantId,
    };
    let source = SourceId::new("bench");
    let created = frozen_start() - jiff::SignedDuration::from_mins(age_mins);
    let items = (0..n)
        .map(|i| Item {
            key: ItemKey::new(&source, &format!("alert-{i}")),
            tenant: TenantId::new(tenant),
            kind: Kind::Alert,
            title: format!("Host down: srv-{i:03}.mueller.local").into(),
            host: Some(format!("srv-{i:03}").into()),
            address: None,
            priority: Priority::P1,
            status: Status::new(StatusCategory::New, "firing"),
            // Spread over the minute, so countdowns differ.
            created: nightdesk::model::Moment::new(
                created + jiff::SignedDuration::from_secs(i as i64),
            ),
            updated: nightdesk::model::Moment::new(created),
            assignee: None,
            labels: Labels::new(),
            link: None,
            sla: SlaFacts::default(),
        })
        .collect();
    (source, items)
}

pub mod recorded;
pub mod servers;

use nightdesk::config::Config;
use nightdesk::sources::Source;
use nightdesk::sources::build::{BuildContext, build};
use nightdesk::sources::http::Limiter;

/// Parses config text (as a file named `test.toml`) and panics with the diagnostics when it
/// does not load.
pub fn config(text: &str) -> Config {
    Config::parse(Path::new("test.toml"), text).unwrap_or_else(|e| panic!("config: {e}"))
}

/// The connector of the only source in `text`, built as the program builds it.
pub fn source(text: &str) -> Box<dyn Source> {
    let config = config(text);
    let tenants = config.tenants.iter().map(|t| t.id.clone()).collect();
    let ctx = BuildContext::new(Limiter::default(), tenants, Timestamp::now());
    let mut built = build(&config.sources[0], &ctx).unwrap_or_else(|e| panic!("build: {e}"));
    assert_eq!(built.len(), 1);
    built.remove(0)
}

/// A current-thread runtime for driving connectors in a test.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// A session whose queue holds only `n` P1 alerts, created `age_mins` ago (their first
/// response is due 30 minutes after creation): a screen full of countdowns.
pub fn countdown_screen(home: &Path, n: usize, age_mins: i64) -> Session {
    let mut session = primed_demo(home, 42, frozen_start(), "default");
    let sources: Vec<nightdesk::model::SourceId> = session.app.sources.keys().cloned().collect();
    for s in &sources {
        session.app.queue.apply_full(s, Vec::new());
    }
    let (source, items) = countdown_items(n, age_mins, "mueller");
    session.app.queue.apply_full(&source, items);
    session.app.tick(frozen_start());
    session
}
