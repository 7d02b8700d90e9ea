//! `nightdesk list --json` and `nightdesk config check` against real sources: a real
//! Alertmanager on 127.0.0.1 and one that is not there.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::servers::{Alertmanager, firing_alert, free_port};
use serde_json::{Value, json};

fn nightdesk(home: &Path, config: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nightdesk"))
        .arg("--config")
        .arg(config)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("LANG", "C")
        .output()
        .expect("run nightdesk")
}

fn write_config(home: &Path, am: &str, dead: &str) -> std::path::PathBuf {
    let file = home.join("oncall.toml");
    std::fs::write(
        &file,
        format!(
            r#"
[ui]
time-zone = "Europe/Berlin"

[[tenants]]
id = "mueller"
name = "Müller Maschinenbau GmbH"
state = "BY"

[[sources]]
id = "am-live"
kind = "alertmanager"
base-url = "{am}"
tenant-label = "customer"
tenant-map = {{ "mm" = "mueller" }}

[[sources]]
id = "am-gone"
kind = "alertmanager"
base-url = "{dead}"
tenant = "mueller"
outage-priority = 1
timeout = "2s"
"#
        ),
    )
    .unwrap();
    file
}

#[test]
fn list_json_merges_the_sources_and_reports_the_dead_one() {
    let home = tempfile::tempdir().unwrap();
    let am = Alertmanager::start();
    am.post_alerts(&json!([
        firing_alert(json!({"alertname": "DiskFull", "instance": "db1:9100", "severity": "critical", "customer": "mm"}), "Disk / is 97% full"),
        firing_alert(json!({"alertname": "Backup", "severity": "warning", "customer": "mm"}), "Backup slow"),
    ]));
    let dead = format!("http://127.0.0.1:{}", free_port());
    let config = write_config(home.path(), &am.url(), &dead);
    let out = nightdesk(home.path(), &config, &["list", "--json"]);
    assert_eq!(out.status.code(), Some(1), "a source failed");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("am-gone") && stderr.contains("unreachable"),
        "{stderr}"
    );
    let listing: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");

    let sources = listing["sources"].as_array().unwrap();
    let health = |id: &str| {
        sources
            .iter()
            .find(|s| s["id"] == id)
            .map(|s| s["health"]["state"].clone())
    };
    assert_eq!(health("am-live"), Some(json!("ok")));
    assert_eq!(health("am-gone"), Some(json!("down")));

    let items = listing["items"].as_array().unwrap();
    assert_eq!(items.len(), 3, "two alerts and the outage item: {items:#?}");
    let titles: Vec<&str> = items.iter().map(|i| i["title"].as_str().unwrap()).collect();
    assert!(
        titles
            .iter()
            .any(|t| t.contains("blind since") && t.contains("am-gone")),
        "{titles:?}"
    );
    let outage = items
        .iter()
        .find(|i| i["title"].as_str().unwrap().contains("blind"))
        .unwrap();
    assert_eq!(outage["priority"], "P1", "outage-priority applies");
    assert_eq!(outage["tenant"], "mueller");
    let disk = items
        .iter()
        .find(|i| i["title"] == "Disk / is 97% full")
        .unwrap();
    assert_eq!(disk["tenant"], "mueller");
    assert_eq!(disk["priority"], "P1");
    assert_eq!(disk["clock"]["clock"], "first-response");
    assert!(disk["clock"]["remaining_seconds"].as_i64().unwrap() > 0);
    // Queue order: nearest due first (as times: "…32.6Z" is before "…32.646Z").
    let dues: Vec<jiff::Timestamp> = items
        .iter()
        .filter_map(|i| i["clock"]["due"].as_str())
        .map(|due| due.parse().expect("an RFC 3339 due time"))
        .collect();
    assert_eq!(dues.len(), 3, "every item has a due time");
    assert!(dues.is_sorted(), "{dues:?}");
}

/// `nightdesk list ARGS` with two live Alertmanagers, one alert on the first; asserts a
/// clean exit and gives stdout.
fn list_with_every_source_up(args: &[&str]) -> Vec<u8> {
    let home = tempfile::tempdir().unwrap();
    let am = Alertmanager::start();
    let b = Alertmanager::start();
    am.post_alerts(&json!([firing_alert(
        json!({"alertname": "X", "customer": "mm"}),
        "x"
    )]));
    let config = write_config(home.path(), &am.url(), &b.url());
    let out = nightdesk(home.path(), &config, args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn list_exits_zero_when_every_source_answers() {
    let out = list_with_every_source_up(&["list"]);
    let text = String::from_utf8_lossy(&out);
    assert!(text.contains("Müller Maschinenbau GmbH"), "{text}");
    assert!(text.contains("[firing]"), "{text}");
}

#[test]
fn list_json_exits_zero_with_every_source_up_and_no_outage_item() {
    let out = list_with_every_source_up(&["list", "--json"]);
    let listing: Value = serde_json::from_slice(&out).expect("JSON on stdout");
    let states: Vec<&Value> = listing["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["health"]["state"])
        .collect();
    assert_eq!(states, [&json!("ok"), &json!("ok")], "{listing:#}");
    let items = listing["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "the alert, no outage item: {items:#?}");
    assert_eq!(items[0]["title"], "x");
}

#[test]
fn config_check_reaches_every_source_one_line_each() {
    let home = tempfile::tempdir().unwrap();
    let am = Alertmanager::start();
    let dead = format!("http://127.0.0.1:{}", free_port());
    let config = write_config(home.path(), &am.url(), &dead);
    let out = nightdesk(home.path(), &config, &["config", "check"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let line = |id: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(&format!("{id}: ")))
            .unwrap_or_else(|| panic!("no line for {id} in {stdout}"))
            .to_string()
    };
    assert!(
        line("am-live").starts_with("am-live: ok (alertmanager): Alertmanager 0."),
        "{stdout}"
    );
    let gone = line("am-gone");
    assert!(
        gone.starts_with("am-gone: error (alertmanager): unreachable"),
        "{gone}"
    );
    assert!(gone.to_lowercase().contains("refused"), "{gone}");

    // --offline only validates the file.
    let out = nightdesk(home.path(), &config, &["config", "check", "--offline"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("am-gone: not contacted"));
}

#[test]
fn config_check_says_loudly_when_tls_checks_are_off() {
    let home = tempfile::tempdir().unwrap();
    let am = Alertmanager::start();
    let file = home.path().join("oncall.toml");
    std::fs::write(
        &file,
        format!(
            "[[sources]]\nid = \"am\"\nkind = \"alertmanager\"\nbase-url = \"{}\"\ninsecure = true\n",
            am.url()
        ),
    )
    .unwrap();
    let out = nightdesk(home.path(), &file, &["config", "check"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("TLS CERTIFICATE CHECKS ARE OFF"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("{}:5:", file.display())),
        "with the position: {stdout}"
    );
}
