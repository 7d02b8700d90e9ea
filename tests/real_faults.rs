//! Faults with real servers, through the same runner tasks and state the TUI uses: a
//! source whose server is stopped mid-run turns stale with an outage item while the
//! others keep updating, and recovers without a restart when the server is back.

mod common;

use std::time::{Duration, Instant};

use common::servers::{Alertmanager, firing_alert};
use nightdesk::app::state::App;
use nightdesk::model::{Health, ItemKey, SourceId};
use nightdesk::setup::{self, Flags, Session};
use nightdesk::sources::SourceEvent;
use nightdesk::sources::runner::{self, PollPolicy};
use serde_json::json;
use tokio::sync::mpsc;

/// How long a condition may take before the test fails; the wait ends when it holds.
const PATIENCE: Duration = Duration::from_secs(30);

/// Applies source events to the state until `done` holds.
async fn drive(
    app: &mut App,
    events: &mut mpsc::UnboundedReceiver<SourceEvent>,
    what: &str,
    done: impl Fn(&App) -> bool,
) {
    let start = Instant::now();
    while !done(app) {
        let left = PATIENCE.saturating_sub(start.elapsed());
        assert!(!left.is_zero(), "timed out waiting for: {what}");
        if let Ok(Some(ev)) = tokio::time::timeout(left, events.recv()).await {
            app.on_source_event(ev);
            app.tick(jiff::Timestamp::now());
        }
    }
}

fn items_of<'a>(app: &'a App, source: &str) -> Vec<&'a nightdesk::model::Item> {
    app.queue
        .iter()
        .map(|(_, e)| &e.item)
        .filter(|i| i.key.source.as_str() == source)
        .collect()
}

fn has_title(app: &App, source: &str, title: &str) -> bool {
    items_of(app, source).iter().any(|i| &*i.title == title)
}

fn health(app: &App, source: &str) -> Health {
    app.sources[&SourceId::new(source)].health.clone()
}

fn outage_key(source: &str) -> ItemKey {
    ItemKey::new(
        &SourceId::new("nightdesk"),
        &format!("source-down/{source}"),
    )
}

#[test]
fn a_stopped_server_goes_stale_the_others_keep_updating_and_it_recovers() {
    let mut a = Alertmanager::start();
    let b = Alertmanager::start();
    a.post_alerts(&json!([firing_alert(
        json!({"alertname": "OnA"}),
        "alert on A"
    )]));
    b.post_alerts(&json!([firing_alert(
        json!({"alertname": "OnB"}),
        "alert on B"
    )]));
    let home = tempfile::tempdir().unwrap();
    let config = common::config(&format!(
        r#"
[[tenants]]
id = "mueller"
[[tenants]]
id = "schmidt"

[[sources]]
id = "am-a"
kind = "alertmanager"
base-url = "{}"
tenant = "mueller"

[[sources]]
id = "am-b"
kind = "alertmanager"
base-url = "{}"
tenant = "schmidt"
"#,
        a.url(),
        b.url()
    ));
    let Session {
        mut app, sources, ..
    } = setup::configured_session(
        &common::paths_under(home.path()),
        &config,
        &Flags::default(),
    )
    .unwrap();
    let rt = common::runtime();
    let _in_runtime = rt.enter();
    // Server set-up calls are blocking HTTP: they run between the async waits, never inside.
    {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let clock: nightdesk::clock::SharedClock =
            std::sync::Arc::new(nightdesk::clock::SystemClock);
        let policy = PollPolicy {
            interval: Duration::from_millis(300),
            timeout: Duration::from_secs(2),
            min_backoff: Duration::from_millis(100),
            down_after: 2,
        };
        let _handles: Vec<_> = sources
            .into_iter()
            .map(|p| runner::spawn(p.source, policy, clock.clone(), tx.clone()))
            .collect();

        rt.block_on(drive(&mut app, &mut rx, "both sources read", |app| {
            has_title(app, "am-a", "alert on A") && has_title(app, "am-b", "alert on B")
        }));

        a.stop();
        rt.block_on(drive(
            &mut app,
            &mut rx,
            "am-a down, stale, with its outage item",
            |app| {
                let stale = items_of(app, "am-a")
                    .iter()
                    .all(|i| app.queue.get(&i.key).is_some_and(|e| app.queue.is_stale(e)));
                matches!(health(app, "am-a"), Health::Down(_))
                    && stale
                    && app.queue.get(&outage_key("am-a")).is_some()
            },
        ));
        // The dead source's items stay in the queue.
        assert!(has_title(&app, "am-a", "alert on A"));
        let outage = &app.queue.get(&outage_key("am-a")).unwrap().item;
        assert_eq!(outage.tenant.as_str(), "mueller");
        assert!(outage.title.contains("blind since"), "{}", outage.title);
        let Health::Down(reason) = health(&app, "am-a") else {
            unreachable!()
        };
        assert!(reason.to_lowercase().contains("refused"), "{reason}");

        // The other source keeps updating meanwhile.
        b.post_alerts(&json!([firing_alert(
            json!({"alertname": "Later"}),
            "new on B"
        )]));
        rt.block_on(drive(&mut app, &mut rx, "am-b still updating", |app| {
            has_title(app, "am-b", "new on B")
        }));
        assert!(health(&app, "am-b").is_ok());
        assert!(matches!(health(&app, "am-a"), Health::Down(_)));

        // Back again: recovers without a restart of nightdesk.
        a.resume();
        a.post_alerts(&json!([firing_alert(
            json!({"alertname": "Again"}),
            "back on A"
        )]));
        rt.block_on(drive(&mut app, &mut rx, "am-a recovered", |app| {
            health(app, "am-a").is_ok()
                && has_title(app, "am-a", "back on A")
                && app.queue.get(&outage_key("am-a")).is_none()
        }));
        let fresh = items_of(&app, "am-a")
            .iter()
            .all(|i| !app.queue.is_stale(app.queue.get(&i.key).unwrap()));
        assert!(fresh, "no stale marks after recovery");
    }
}

#[test]
fn a_wrong_password_shows_auth_failed_with_the_servers_words() {
    let icinga = common::servers::Icinga::start();
    let home = tempfile::tempdir().unwrap();
    // SAFETY of the test: the variable is this test's own; no other test reads it.
    let var = "NIGHTDESK_TEST_ICINGA_WRONG_PASSWORD";
    unsafe { std::env::set_var(var, "not-the-password") };
    let config = common::config(&format!(
        r#"
[[sources]]
id = "icinga"
kind = "icinga2"
base-url = "{}"
ca-file = "{}"
auth = {{ user = "{}", password = {{ env = "{var}" }} }}
"#,
        icinga.url(),
        icinga.ca().display(),
        common::servers::ICINGA_USER,
    ));
    let Session {
        mut app, sources, ..
    } = setup::configured_session(
        &common::paths_under(home.path()),
        &config,
        &Flags::default(),
    )
    .unwrap();
    let rt = common::runtime();
    let _in_runtime = rt.enter();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let clock: nightdesk::clock::SharedClock = std::sync::Arc::new(nightdesk::clock::SystemClock);
    let _handles: Vec<_> = sources
        .into_iter()
        .map(|p| runner::spawn(p.source, p.policy, clock.clone(), tx.clone()))
        .collect();
    rt.block_on(drive(&mut app, &mut rx, "auth failed", |app| {
        matches!(health(app, "icinga"), Health::AuthFailed(_))
    }));
    let Health::AuthFailed(message) = health(&app, "icinga") else {
        unreachable!()
    };
    assert!(message.contains("401"), "{message}");
    assert!(
        !message.contains("not-the-password"),
        "the secret is never shown: {message}"
    );
    // An auth failure is an outage too: the source is blind.
    assert!(app.queue.get(&outage_key("icinga")).is_some());
}
