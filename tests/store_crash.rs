//! Crash safety of the local database: a process that writes audit entries as fast as it
//! can is killed with SIGKILL; every entry it had reported as committed is in the file
//! afterwards, and the file is sound. The same test is both roles: run normally it starts
//! itself again as the writer (marked by an environment variable) and then checks.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use nightdesk::store::{AuditEntry, AuditOutcome, Store};

const CHILD: &str = "NIGHTDESK_STORE_CRASH_WRITER";

fn entry(n: u64) -> AuditEntry {
    AuditEntry {
        at: jiff::Timestamp::from_second(1_800_000_000 + n as i64).unwrap(),
        user: "nachtschicht".into(),
        tenant: "mueller".into(),
        source: "am".into(),
        item: format!("fp{n}"),
        action: "ack".into(),
        params: serde_json::json!({"comment": "x".repeat(200), "n": n}),
        outcome: AuditOutcome::Ok,
    }
}

/// The writer: commits entries one after another and reports each after it returned.
fn write_until_killed(path: &str) -> ! {
    let store = Store::open(std::path::Path::new(path)).unwrap();
    let stdout = std::io::stdout();
    for n in 0.. {
        let id = store.record(&entry(n)).unwrap();
        let mut out = stdout.lock();
        writeln!(out, "committed {id} {n}").unwrap();
        out.flush().unwrap();
    }
    unreachable!()
}

#[test]
fn entries_committed_before_a_sigkill_are_all_there() {
    if let Ok(path) = std::env::var(CHILD) {
        write_until_killed(&path);
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nightdesk.db");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "entries_committed_before_a_sigkill_are_all_there",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(CHILD, &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut committed = Vec::new();
    while committed.len() < 300 {
        let line = lines.next().expect("the writer stopped early").unwrap();
        if let Some(rest) = line.strip_prefix("committed ") {
            let n: u64 = rest.split(' ').nth(1).unwrap().parse().unwrap();
            committed.push(n);
        }
    }
    // In the middle of the stream of writes.
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    child.wait().unwrap();

    let store = Store::open(&path).unwrap();
    assert_eq!(store.integrity().unwrap(), "ok");
    let found = store
        .audit_since(jiff::Timestamp::UNIX_EPOCH, None)
        .unwrap();
    let items: std::collections::HashSet<String> = found.iter().map(|e| e.item.clone()).collect();
    let missing: Vec<u64> = committed
        .iter()
        .copied()
        .filter(|n| !items.contains(&format!("fp{n}")))
        .collect();
    assert!(missing.is_empty(), "committed but lost: {missing:?}");
    assert!(found.len() >= committed.len());
}
