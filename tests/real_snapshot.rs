//! The last good snapshot across a restart, with a real Prometheus Alertmanager: nightdesk
//! reads three alerts and ends; the server goes away; the next nightdesk shows the three at
//! once, stale with their age, then the outage item; the server comes back and they are
//! current again, without a restart.

mod common;

use common::pty::Tui;
use common::servers::{Alertmanager, firing_alert, wait_until};
use serde_json::{Value, json};

fn start(home: &std::path::Path) -> Tui {
    Tui::start(&[], home, 140, 30, &[])
}

#[test]
fn a_source_down_at_the_start_shows_its_last_snapshot_stale() {
    let mut am = Alertmanager::start_plain();
    let alerts: Vec<Value> = ["srv-dc01", "srv-file01", "fw-01"]
        .iter()
        .map(|host| {
            firing_alert(
                json!({"alertname": "HostDown", "instance": host}),
                &format!("snapshot test: {host} down"),
            )
        })
        .collect();
    am.post_alerts(&Value::Array(alerts));
    wait_until("the alerts on the server", || am.alerts().len() == 3);

    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("config/nightdesk");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.toml"),
        format!(
            "[ui]\nlang = \"en\"\n\n[[tenants]]\nid = \"mueller\"\n\n[[sources]]\nid = \"am\"\n\
             kind = \"alertmanager\"\nbase-url = \"{}\"\ntenant = \"mueller\"\npoll-interval = \"1s\"\n",
            am.url()
        ),
    )
    .unwrap();

    let mut tui = start(home.path());
    tui.wait_for("the three alerts", |s| {
        s.contents().matches("snapshot test:").count() == 3
    });
    tui.send("q");
    assert_eq!(tui.wait_exit(), 0);

    am.stop();
    let mut tui = start(home.path());
    tui.wait_for("the snapshot, stale", |s| {
        let c = s.contents();
        c.matches("snapshot test:").count() == 3 && c.matches("[stale ").count() == 3
    });
    tui.wait_for_text("am down");
    tui.wait_for_text("blind since");
    assert_eq!(
        tui.screen().matches("snapshot test:").count(),
        3,
        "still there while the source is down"
    );

    am.resume();
    am.post_alerts(&Value::Array(vec![firing_alert(
        json!({"alertname": "HostDown", "instance": "srv-dc01"}),
        "snapshot test: srv-dc01 down",
    )]));
    tui.wait_for("current again, from the server", |s| {
        let c = s.contents();
        !c.contains("[stale ") && !c.contains("blind since") && c.contains("snapshot test:")
    });
    tui.send("q");
    assert_eq!(tui.wait_exit(), 0);
}
