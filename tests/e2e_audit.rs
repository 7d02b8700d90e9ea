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
