//! The audit log end to end: actions taken in the real binary (in a pseudo-terminal, on the
//! demo world) are in `nightdesk audit` afterwards, with who, what and the result.

mod common;

use std::process::Command;

use common::pty::Tui;

fn audit(home: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_nightdesk"))
        .arg("audit")
        .arg("--demo")
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_STATE_HOME", home.join("state"))
        .output()
        .expect("run nightdesk audit")
}

#[test]
fn an_ack_from_the_keyboard_is_in_the_audit_export() {
    let home = tempfile::tempdir().unwrap();
    let mut tui = Tui::start(
        &["demo", "--seed", "7", "--start", "2026-11-27T01:30:00Z"],
        home.path(),
        100,
        30,
        &[("USER", "nachtschicht")],
    );
    tui.wait_for_text("sources ok");
    tui.send("/");
    tui.type_text("k:alert s:new");
    tui.send("\r");
    tui.send("a");
    tui.wait_for_text("Duration: 2h");
    tui.type_text("audit me");
    tui.send("\r");
    tui.wait_for_text("ack: done");
    tui.send("q");
    assert_eq!(tui.wait_exit(), 0);

    // The demo runs at virtual time: ask for everything since long ago.
    let out = audit(
        home.path(),
        &["--since", "2020-01-01T00:00:00Z", "--format", "json"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let entries: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let acks: Vec<&serde_json::Value> = entries
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "ack")
        .collect();
    assert_eq!(acks.len(), 1, "{entries:#}");
    let ack = acks[0];
    assert_eq!(ack["user"], "nachtschicht");
    assert_eq!(ack["result"], "ok");
    assert_eq!(ack["params"]["comment"], "audit me");
    assert_eq!(ack["params"]["minutes"], 120);
    assert!(ack["source"].as_str().unwrap().starts_with("mon-"));
    assert!(!ack["tenant"].as_str().unwrap().is_empty());

    let csv = audit(
        home.path(),
        &["--since", "2020-01-01T00:00:00Z", "--format", "csv"],
    );
    let text = String::from_utf8(csv.stdout).unwrap();
    assert!(
        text.starts_with("at,user,tenant,source,item,action,params,result,error\n"),
        "{text}"
    );
    assert!(
        text.contains(",ack,") && text.contains("audit me"),
        "{text}"
    );

    // A tenant filter that matches nothing gives an empty list.
    let none = audit(
        home.path(),
        &[
            "--since",
            "2020-01-01T00:00:00Z",
            "--tenant",
            "nobody",
            "--format",
            "json",
        ],
    );
    let none: serde_json::Value = serde_json::from_slice(&none.stdout).unwrap();
    assert_eq!(none.as_array().unwrap().len(), 0);
}

#[test]
fn a_bad_since_is_refused_with_a_hint() {
    let home = tempfile::tempdir().unwrap();
    let out = audit(home.path(), &["--since", "yesterday"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("24h or 7d"));
}

/// An entry `hours` before now, as nightdesk records it.
fn entry(hours: i64, tenant: &str, action: &str) -> nightdesk::store::AuditEntry {
    nightdesk::store::AuditEntry {
        at: jiff::Timestamp::now() - jiff::SignedDuration::from_hours(hours),
        user: "nachtschicht".into(),
        tenant: tenant.into(),
        source: "am".into(),
        item: format!("{action}-{hours}h"),
        action: action.into(),
        params: serde_json::json!({}),
        outcome: nightdesk::store::AuditOutcome::Ok,
    }
}

/// The demo's audit log under `home`, with entries 1, 23, 25 and 720 hours old.
fn seed(home: &std::path::Path) {
    // Where the binary looks with XDG_DATA_HOME=<home>/data.
    let file = home
        .join("data/nightdesk")
        .join(nightdesk::setup::DEMO_STORE);
    let store = nightdesk::store::Store::open(&file).unwrap();
    for (hours, tenant, action) in [
        (1, "mueller", "ack"),
        (23, "schmidt", "note"),
        (25, "mueller", "assign"),
        (720, "mueller", "downtime"),
    ] {
        store.record(&entry(hours, tenant, action)).unwrap();
    }
}

fn items(out: &std::process::Output) -> Vec<String> {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let entries: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    entries
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["item"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn since_24h_is_the_last_day_back_from_now() {
    let home = tempfile::tempdir().unwrap();
    seed(home.path());
    let day = audit(home.path(), &["--since", "24h", "--format", "json"]);
    assert_eq!(
        items(&day),
        ["note-23h", "ack-1h"],
        "oldest first, no older"
    );
    let week = audit(home.path(), &["--since", "7d", "--format", "json"]);
    assert_eq!(items(&week), ["assign-25h", "note-23h", "ack-1h"]);
}

#[test]
fn a_tenant_filter_keeps_only_that_tenants_entries() {
    let home = tempfile::tempdir().unwrap();
    seed(home.path());
    let mueller = audit(
        home.path(),
        &["--since", "7d", "--tenant", "mueller", "--format", "json"],
    );
    assert_eq!(items(&mueller), ["assign-25h", "ack-1h"]);
    let day = audit(
        home.path(),
        &["--since", "24h", "--tenant", "schmidt", "--format", "csv"],
    );
    let text = String::from_utf8(day.stdout).unwrap();
    let rows: Vec<&str> = text.lines().skip(1).collect();
    assert_eq!(rows.len(), 1, "{text}");
    assert!(rows[0].contains(",schmidt,am,note-23h,note,"), "{text}");
}
