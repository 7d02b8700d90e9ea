//! Crash safety of the local database: a process that writes as fast as it can (audit
//! entries, snoozes, local notes and seen marks in turn) is killed with SIGKILL; every
//! write it had reported as committed is in the file afterwards, and the file is sound. The same test is both roles: run normally it starts
//! itself again as the writer (marked by an environment variable) and then checks.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use nightdesk::model::{ItemKey, SourceId};
use nightdesk::store::{AuditEntry, AuditOutcome, LocalNote, Snooze, Store};

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

fn item(n: u64) -> ItemKey {
    ItemKey::new(&SourceId::new("am"), &format!("fp{n}"))
}

fn at(n: u64) -> jiff::Timestamp {
    jiff::Timestamp::from_second(1_800_000_000 + n as i64).unwrap()
}

/// The writer: commits an audit entry, a snooze, a local note or a seen mark (by `n`
/// modulo 4), one after another, and reports each after it returned.
fn write_until_killed(path: &str) -> ! {
    let store = Store::open(std::path::Path::new(path)).unwrap();
    let stdout = std::io::stdout();
    for n in 0.. {
        match n % 4 {
            0 => store.record(&entry(n)).map(drop),
            1 => store.snooze(
                &item(n),
                &Snooze {
                    until: Some(at(n + 3600)),
                    until_change_of: None,
                    user: "nachtschicht".into(),
                    at: at(n),
                },
            ),
            2 => store.add_local_note(
                &item(n),
                "mueller",
                &LocalNote {
                    text: format!("note {n}"),
                    user: "nachtschicht".into(),
                    at: at(n),
                },
            ),
            _ => store.mark_seen(&item(n), at(n), at(n)),
        }
        .unwrap();
        let mut out = stdout.lock();
        writeln!(out, "committed {n}").unwrap();
        out.flush().unwrap();
    }
    unreachable!()
}

#[test]
fn writes_committed_before_a_sigkill_are_all_there() {
    if let Ok(path) = std::env::var(CHILD) {
        write_until_killed(&path);
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nightdesk.db");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "writes_committed_before_a_sigkill_are_all_there",
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
            let n: u64 = rest.parse().unwrap();
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
    let audited: std::collections::HashSet<String> = found.iter().map(|e| e.item.clone()).collect();
    let marks = store.local_marks(jiff::Timestamp::UNIX_EPOCH).unwrap();
    let kept = |n: u64| match n % 4 {
        0 => audited.contains(&format!("fp{n}")),
        1 => marks
            .snoozes
            .get(&item(n))
            .is_some_and(|s| s.until == Some(at(n + 3600))),
        2 => marks
            .notes
            .get(&item(n))
            .is_some_and(|v| v.iter().any(|x| x.text == format!("note {n}"))),
        _ => marks.seen.get(&item(n)) == Some(&at(n)),
    };
    let missing: Vec<u64> = committed.iter().copied().filter(|&n| !kept(n)).collect();
    assert!(missing.is_empty(), "committed but lost: {missing:?}");
    let kinds: std::collections::HashSet<u64> = committed.iter().map(|n| n % 4).collect();
    assert_eq!(kinds.len(), 4, "every kind of write was in the stream");
}
