//! A batch action through the whole program against a real Prometheus Alertmanager: twelve
//! alerts marked in the TUI (in a pseudo-terminal) and acknowledged with one form become
//! twelve silences on the server with that comment, author and duration; the queue shows
//! them silenced from the server's answer; an alert that was not marked stays firing; and
//! `nightdesk audit` lists the twelve acks.

mod common;

use common::pty::{Tui, shown_count};
use common::servers::{Alertmanager, firing_alert, wait_until};
use serde_json::{Value, json};

const MARKED: usize = 12;

fn write_config(home: &std::path::Path, am: &Alertmanager) {
    let dir = home.join("config/nightdesk");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.toml"),
        format!(
            r#"
[ui]
user = "nachtdienst"
lang = "en"

[[tenants]]
id = "mueller"

[[sources]]
id = "am"
kind = "alertmanager"
base-url = "{}"
tenant = "mueller"
poll-interval = "1s"
"#,
            am.url()
        ),
    )
    .unwrap();
}

/// Silences on the server that are in force, by the alert name they match.
fn active_silences(am: &Alertmanager) -> Vec<Value> {
    am.silences()
        .into_iter()
        .filter(|s| s["status"]["state"] == "active")
        .collect()
}

fn matched_alertname(silence: &Value) -> String {
    silence["matchers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "alertname")
        .map(|m| m["value"].as_str().unwrap().to_string())
        .unwrap_or_default()
}

#[test]
fn twelve_marked_alerts_are_acknowledged_with_one_form_and_audited() {
    let am = Alertmanager::start_plain();
    let mut alerts: Vec<Value> = (0..MARKED)
        .map(|n| {
            firing_alert(
                json!({"alertname": format!("DiskFull{n:02}"), "instance": format!("srv-{n:02}"), "severity": "warning"}),
                &format!("batchdisk {n:02} full"),
            )
        })
        .collect();
    alerts.push(firing_alert(
        json!({"alertname": "HostDown", "instance": "fw-01", "severity": "critical"}),
        "host down fw-01",
    ));
    am.post_alerts(&Value::Array(alerts));
    wait_until("the alerts on the server", || {
        am.alerts().len() == MARKED + 1
    });

    let home = tempfile::tempdir().unwrap();
    write_config(home.path(), &am);
    let mut tui = Tui::start(&[], home.path(), 160, 40, &[]);
    tui.wait_for("every alert in the queue", |s| {
        shown_count(&s.contents()).is_some_and(|(_, t)| t == MARKED + 1)
    });
    tui.send("/");
    tui.type_text("batchdisk");
    tui.send("\r");
    tui.wait_for("the twelve", |s| {
        shown_count(&s.contents()) == Some((MARKED, MARKED + 1))
    });
    tui.send("*");
    tui.send("a");
    tui.wait_for_text(&format!("Acknowledge {MARKED} items of mueller at am"));
    // The form starts in the comment; tab goes round to the duration, ctrl-u clears it.
    tui.type_text("disk swap tonight, ticket 4711");
    tui.send("\t");
    tui.send("\x15");
    tui.type_text("90m");
    tui.wait_for_text("Duration: 90m");
    tui.send("\r");
    tui.wait_for_text(&format!("ack: {MARKED} of {MARKED} done"));

    // On the server: one silence per alert, with what was typed.
    let silences = active_silences(&am);
    let mut names: Vec<String> = silences.iter().map(matched_alertname).collect();
    names.sort();
    let expected: Vec<String> = (0..MARKED).map(|n| format!("DiskFull{n:02}")).collect();
    assert_eq!(names, expected, "{silences:#?}");
    for s in &silences {
        assert_eq!(s["comment"], "disk swap tonight, ticket 4711");
        assert_eq!(s["createdBy"], "nachtdienst");
        let starts: jiff::Timestamp = s["startsAt"].as_str().unwrap().parse().unwrap();
        let ends: jiff::Timestamp = s["endsAt"].as_str().unwrap().parse().unwrap();
        let minutes = ends.duration_since(starts).as_mins();
        assert!((89..=90).contains(&minutes), "90 minutes: {minutes}");
    }
    // The queue takes the state from the server's next answer.
    tui.wait_for("the twelve shown silenced", |s| {
        s.contents().matches("silenced").count() >= MARKED
    });
    tui.send("/");
    tui.wait_for("the filter prompt", |s| {
        s.contents()
            .lines()
            .nth(1)
            .is_some_and(|l| l.starts_with('/'))
    });
    tui.send("\x15"); // ctrl-u: a new filter
    tui.type_text("host down");
    tui.send("\r");
    tui.wait_for("the unmarked alert", |s| {
        shown_count(&s.contents()) == Some((1, MARKED + 1))
    });
    assert!(tui.screen().contains("firing"), "{}", tui.screen());
    assert!(
        am.alerts()
            .iter()
            .any(|a| a["labels"]["alertname"] == "HostDown" && a["status"]["state"] == "active"),
        "the unmarked alert is not silenced"
    );
    tui.send("q");
    assert_eq!(tui.wait_exit(), 0);

    // The audit log has the twelve, each with its parameters and result.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_nightdesk"))
        .args(["audit", "--since", "1h", "--format", "json"])
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("XDG_STATE_HOME", home.path().join("state"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let entries: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let acks: Vec<&Value> = entries.iter().filter(|e| e["action"] == "ack").collect();
    assert_eq!(acks.len(), MARKED, "{entries:#?}");
    for e in acks {
        assert_eq!(e["user"], "nachtdienst");
        assert_eq!(e["tenant"], "mueller");
        assert_eq!(e["source"], "am");
        assert_eq!(e["result"], "ok");
        assert_eq!(e["params"]["comment"], "disk swap tonight, ticket 4711");
    }
}
