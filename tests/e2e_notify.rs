//! Notifications end to end: the real binary on the demo world in a pseudo-terminal, a config
//! with notification rules, and the raw bytes it writes. The demo's host-down P1 at `hansa`
//! (+2 min) must arrive as exactly the documented OSC 777 sequence, between frames; its
//! monitoring outage at `swn` (+3 min) rings the bell; the initial load sends nothing. Also
//! through a fake `$TMUX` (passthrough wrapping) and through a real tmux with
//! `allow-passthrough on`.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::pty::{PATIENCE, Tui, shown_count};

/// The OSC 777 of the demo's host-down P1.
const P1_OSC777: &[u8] =
    b"\x1b]777;notify;New P1 alert at Hansa Logistik GmbH & Co. KG;Host down: fw-01\x1b\\";

/// Time runs 10x: the P1 comes about 12 s after the start (long after the initial load is
/// on screen), the outage 6 s later.
const DEMO: [&str; 7] = [
    "demo",
    "--seed",
    "7",
    "--start",
    "2026-11-27T01:30:00Z",
    "--speed",
    "10",
];

const RULES: &str = r#"
[ui]
time-zone = "Europe/Berlin"
lang = "en"

[[notifications.rule]]
name = "p1"
trigger = "new-p1"
channels = ["osc777"]
rate-limit = "off"

[[notifications.rule]]
name = "outage"
trigger = "source-down"
channels = ["bell"]
"#;

fn write_config(home: &Path, text: &str) {
    let dir = home.join("config").join("nightdesk");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config.toml"), text).unwrap();
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn count(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle)
        .count()
}

/// Waits until the raw output satisfies `cond`; panics with the screen when it never does.
fn wait_for_output(tui: &Tui, what: &str, cond: impl Fn(&[u8]) -> bool) -> Vec<u8> {
    let start = Instant::now();
    loop {
        let out = tui.output();
        if cond(&out) {
            return out;
        }
        if start.elapsed() > PATIENCE {
            panic!("timed out waiting for {what}; screen:\n{}", tui.screen());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits until the queue shows the demo's items (the initial load is on screen).
fn wait_for_queue(tui: &Tui) {
    tui.wait_for("the queue to fill", |s| {
        shown_count(&s.contents()).is_some_and(|(_, total)| total >= 200)
    });
}

/// True when `pos` lies outside every synchronized update (DEC 2026) before it.
fn between_frames(out: &[u8], pos: usize) -> bool {
    let before = &out[..pos];
    count(before, b"\x1b[?2026h") == count(before, b"\x1b[?2026l")
}

#[test]
fn a_new_p1_arrives_as_osc777_between_frames_and_an_outage_rings_the_bell() {
    let home = tempfile::tempdir().unwrap();
    write_config(home.path(), RULES);
    let mut tui = Tui::start(&DEMO, home.path(), 100, 30, &[]);
    wait_for_queue(&tui);
    let initial = tui.output();
    assert_eq!(
        find(&initial, b"\x1b]777"),
        None,
        "nothing for the initial load"
    );
    assert_eq!(count(&initial, b"\x07"), 0, "no bell for the initial load");

    let out = wait_for_output(&tui, "the P1's OSC 777", |o| find(o, P1_OSC777).is_some());
    let pos = find(&out, P1_OSC777).unwrap();
    assert!(
        count(&out[..pos], b"\x1b[?2026h") > 0,
        "frames are synchronized updates"
    );
    assert!(
        between_frames(&out, pos),
        "OSC 777 inside a synchronized frame"
    );
    // Every notification (the demo's random life may add P1s of its own) is between frames.
    let mut at = 0;
    while let Some(p) = find(&out[at..], b"\x1b]777") {
        assert!(between_frames(&out, at + p), "an OSC 777 inside a frame");
        at += p + 1;
    }

    let out = wait_for_output(&tui, "the outage's bell", |o| count(o, b"\x07") > 0);
    let bell = out.iter().position(|b| *b == 0x07).unwrap();
    assert!(
        between_frames(&out, bell),
        "BEL inside a synchronized frame"
    );
    // The P1 rule did not fire again for the same alert on later reads.
    assert_eq!(count(&out, P1_OSC777), 1, "no duplicate");
    tui.send("q");
    assert_eq!(tui.wait_exit(), 0);
}

#[test]
fn inside_tmux_the_sequence_is_wrapped_for_passthrough() {
    let home = tempfile::tempdir().unwrap();
    write_config(home.path(), RULES);
    let tmux = [("TMUX", "/tmp/tmux-1000/default,4242,0")];
    let mut tui = Tui::start(&DEMO, home.path(), 100, 30, &tmux);
    wait_for_queue(&tui);
    let mut wrapped = b"\x1bPtmux;".to_vec();
    for &b in P1_OSC777 {
        if b == 0x1b {
            wrapped.push(0x1b);
        }
        wrapped.push(b);
    }
    wrapped.extend_from_slice(b"\x1b\\");
    let out = wait_for_output(&tui, "the wrapped OSC 777", |o| find(o, &wrapped).is_some());
    assert_eq!(
        find(&out, P1_OSC777),
        None,
        "only the wrapped form is written"
    );
    tui.send("q");
    assert_eq!(tui.wait_exit(), 0);
}

/// Kills the tmux server of a test's private socket, also when the test fails.
struct TmuxServer(std::path::PathBuf);

impl Drop for TmuxServer {
    fn drop(&mut self) {
        let _ = std::process::Command::new("tmux")
            .arg("-S")
            .arg(&self.0)
            .arg("kill-server")
            .output();
    }
}

#[test]
fn a_real_tmux_with_allow_passthrough_hands_the_osc777_to_the_outer_terminal() {
    let home = tempfile::tempdir().unwrap();
    write_config(home.path(), RULES);
    let socket = home.path().join("tmux.sock");
    let conf = home.path().join("tmux.conf");
    std::fs::write(&conf, "set -g allow-passthrough on\nset -g status off\n").unwrap();
    let _server = TmuxServer(socket.clone());
    let mut args = vec![
        "-S",
        socket.to_str().unwrap(),
        "-f",
        conf.to_str().unwrap(),
        "new-session",
        env!("CARGO_BIN_EXE_nightdesk"),
    ];
    args.extend_from_slice(&DEMO);
    let tui = Tui::start_program("tmux", &args, home.path(), 100, 30, &[]);
    wait_for_queue(&tui);
    // tmux unwraps the passthrough: the outer terminal gets the plain sequence.
    let out = wait_for_output(&tui, "OSC 777 out of tmux", |o| {
        find(o, P1_OSC777).is_some()
    });
    assert_eq!(
        find(&out, b"\x1bPtmux;"),
        None,
        "tmux does not pass its wrapper on"
    );
}
