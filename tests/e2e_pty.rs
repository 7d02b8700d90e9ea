//! End-to-end tests in a pseudo-terminal: the real binary on the demo world, keys sent as a
//! person types them, the screen read through a VT emulator.

mod common;

use common::pty::{Tui, every_source_answered, shown_count};

/// The queue's rows on a 100-column screen: the lines below the top line, the filter line
/// and the header that start with a priority.
fn rows(screen: &str) -> Vec<&str> {
    let is_row = |r: &&str| {
        let priority: String = r.chars().skip(3).take(2).collect();
        matches!(priority.as_str(), "P1" | "P2" | "P3" | "P4")
    };
    screen.lines().skip(3).take_while(is_row).collect()
}

/// At 100 columns the kind is one letter after the tenant: T, A or B.
fn kind(row: &str) -> Option<char> {
    row.chars().nth(37)
}

/// A row's title and host (the columns that do not tick).
fn title_and_host(row: &str) -> String {
    row.chars().skip(39).take(44).collect()
}

/// Whether the filter line shows `query` and every row shown is of `kind_letter`: the
/// whole query applied, not only the keys typed first.
fn filtered_to(screen: &vt100::Screen, query: &str, kind_letter: char) -> bool {
    let text = screen.contents();
    let applied = text
        .lines()
        .nth(1)
        .is_some_and(|l| l.trim() == format!("/ {query}"));
    let rows = rows(&text);
    applied && !rows.is_empty() && rows.iter().all(|r| kind(r) == Some(kind_letter))
}

fn start_demo(home: &std::path::Path, extra: &[&str]) -> Tui {
    let mut args = vec!["demo", "--seed", "7", "--start", "2026-11-27T01:30:00Z"];
    args.extend_from_slice(extra);
    let tui = Tui::start(&args, home, 100, 30, &[]);
    tui.wait_for("the queue to fill", |s| {
        shown_count(&s.contents()).is_some_and(|(n, _)| n >= 200)
    });
    tui
}

#[test]
fn filter_narrows_the_list_and_esc_restores_it() {
    let home = tempfile::tempdir().unwrap();
    let mut tui = start_demo(home.path(), &[]);
    let (before, total) = shown_count(&tui.screen()).unwrap();
    assert_eq!(before, total);
    tui.send("/");
    tui.type_text("k:backup");
    tui.wait_for("only backup findings, fewer rows", |s| {
        filtered_to(s, "k:backup", 'B')
            && shown_count(&s.contents()).is_some_and(|(n, _)| n < before && n > 0)
    });
    tui.send("\x1b");
    tui.wait_for("the whole queue again", |s| {
        shown_count(&s.contents()).is_some_and(|(n, t)| n == t)
    });
    tui.send("q");
    assert_eq!(tui.wait_exit(), 0);
}

#[test]
fn detail_pane_opens_with_related_items() {
    let home = tempfile::tempdir().unwrap();
    let mut tui = start_demo(home.path(), &[]);
    assert!(!tui.screen().contains("Related (same tenant and host)"));
    tui.send("\r");
    tui.wait_for_text("Related (same tenant and host)");
    tui.wait_for_text("SLA clocks");
    tui.send("\x1b");
    tui.wait_for("detail closed", |s| {
        !s.contents().contains("Related (same tenant and host)")
    });
    tui.send("q");
    assert_eq!(tui.wait_exit(), 0);
}

#[test]
fn help_lists_the_bindings_of_the_active_keymap() {
    let home = tempfile::tempdir().unwrap();
    let mut tui = start_demo(home.path(), &["--keymap", "emacs"]);
    tui.send("?");
    tui.wait_for_text("Keys (emacs)");
    // Page through the help until the queue's emacs keys show (or the end is reached).
    let mut screen = tui.screen();
    for _ in 0..10 {
        if screen.contains("select-next") && screen.contains("ctrl-n") {
            break;
        }
        let before = screen.clone();
        tui.send("\x1b[6~");
        tui.wait_for("the help to scroll", |s| s.contents() != before);
        screen = tui.screen();
    }
    assert!(screen.contains("select-next"), "{screen}");
    assert!(
        screen.contains("ctrl-n"),
        "emacs binding missing:\n{screen}"
    );
    tui.send("\x1b");
    tui.wait_for("help closed", |s| !s.contents().contains("Keys (emacs)"));
    tui.send("q");
    assert_eq!(tui.wait_exit(), 0);
}

/// The filter prompt is open: the line under the title bar starts with `/`.
fn filter_open(s: &vt100::Screen) -> bool {
    s.contents()
        .lines()
        .nth(1)
        .is_some_and(|l| l.starts_with('/'))
}

#[test]
fn a_user_keymap_rebinds_keys() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("config/nightdesk");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("keymap.toml"),
        "[global]\n\"?\" = \"noop\"\n\"f2\" = \"help\"\n\"q\" = \"noop\"\n\"x\" = \"quit\"\n",
    )
    .unwrap();
    let mut tui = start_demo(home.path(), &[]);
    // `?` is unbound: the `/` after it opens the filter, and no help appeared between.
    tui.send("?");
    tui.send("/");
    tui.wait_for("the filter prompt after ?", filter_open);
    let screen = tui.screen();
    assert!(
        !screen.contains("Keys (default)"),
        "? still opens help:\n{screen}"
    );
    assert!(
        !screen.lines().nth(1).unwrap_or("").contains('?'),
        "? went into the filter instead of being unbound:\n{screen}"
    );
    tui.send("\x1b");
    tui.wait_for("the filter closed", |s| !filter_open(s));
    tui.send("\x1bOQ"); // F2
    tui.wait_for_text("Keys (default)");
    let screen = tui.screen();
    assert!(screen.contains("f2"), "rebound key not in help:\n{screen}");
    tui.send("\x1b");
    tui.wait_for("help closed", |s| !s.contents().contains("Keys (default)"));
    tui.send("q");
    tui.send("/");
    tui.wait_for("the filter prompt, so q did not quit", filter_open);
    tui.send("\x1b");
    tui.wait_for("the filter closed", |s| !filter_open(s));
    tui.send("x");
    assert_eq!(tui.wait_exit(), 0);
}

#[test]
fn quitting_restores_the_terminal() {
    let home = tempfile::tempdir().unwrap();
    let mut tui = start_demo(home.path(), &[]);
    assert!(
        tui.with_screen(|s| s.alternate_screen()),
        "TUI runs on the alternate screen"
    );
    assert!(!tui.cooked(), "TUI runs in raw mode");
    tui.send("q");
    assert_eq!(tui.wait_exit(), 0);
    tui.wait_for("the main screen", |s| !s.alternate_screen());
    assert!(tui.with_screen(|s| !s.hide_cursor()), "cursor shown again");
    assert!(tui.cooked(), "raw mode left");
}

/// Starts the demo with a deliberate crash (`NIGHTDESK_CRASH_TEST` = `how`) after the first
/// frame; waits until it ended badly and the terminal is back to normal.
fn crash(how: &str) -> (tempfile::TempDir, Tui) {
    let home = tempfile::tempdir().unwrap();
    let mut tui = Tui::start(
        &["demo", "--seed", "7"],
        home.path(),
        100,
        30,
        &[("NIGHTDESK_CRASH_TEST", how)],
    );
    let code = tui.wait_exit();
    assert_ne!(code, 0, "a crash ({how}) is not a clean exit");
    tui.wait_for("the main screen", |s| !s.alternate_screen());
    assert!(tui.cooked(), "raw mode left after the crash ({how})");
    assert!(tui.with_screen(|s| !s.hide_cursor()), "cursor shown again");
    (home, tui)
}

#[test]
fn a_panic_restores_the_terminal_and_is_logged() {
    let (home, tui) = crash("panic");
    tui.wait_for_text("nightdesk crashed; details in");
    let log = std::fs::read_to_string(home.path().join("state/nightdesk/panic.log"))
        .expect("panic.log written");
    assert!(log.contains("crash test requested"), "{log}");
}

#[test]
fn an_error_restores_the_terminal_and_is_told() {
    let (home, tui) = crash("error");
    tui.wait_for_text("error test requested by NIGHTDESK_CRASH_TEST");
    assert!(
        !home.path().join("state/nightdesk/panic.log").exists(),
        "an error is no panic"
    );
}

#[test]
fn ack_from_the_keyboard_reaches_the_source_and_comes_back() {
    let home = tempfile::tempdir().unwrap();
    let mut tui = start_demo(home.path(), &[]);
    tui.send("/");
    tui.type_text("k:alert s:new");
    tui.send("\r");
    tui.wait_for("the filter to apply", |s| {
        filtered_to(s, "k:alert s:new", 'A')
    });
    // The first row, selected (the selection stays on its item while a filter changes);
    // the demo world moves, so it is followed by its title and host, not by the count.
    tui.send("gg");
    let acked = title_and_host(rows(&tui.screen())[0]);
    tui.send("a");
    // The form asks for duration and comment; what is typed goes to the source.
    tui.wait_for_text("Acknowledge 1 item of ");
    tui.wait_for_text("Duration: 2h");
    tui.type_text("on it, ticket 4711");
    tui.wait_for_text("Comment:  on it, ticket 4711");
    tui.send("\r");
    tui.wait_for_text("ack: done");
    tui.wait_for("the acknowledged alert to leave the s:new view", |s| {
        !rows(&s.contents())
            .iter()
            .any(|r| title_and_host(r) == acked)
    });
    tui.send("q");
    assert_eq!(tui.wait_exit(), 0);
}

#[test]
fn a_dead_source_shows_stale_items_with_their_age_and_recovers() {
    let home = tempfile::tempdir().unwrap();
    // 3 virtual minutes in, the demo tenant `swn` loses its monitoring for 12 minutes.
    let mut tui = start_demo(home.path(), &["--speed", "120"]);
    tui.send("/");
    tui.type_text("t:swn");
    tui.send("\r");
    tui.wait_for_text("mon-swn down");
    tui.wait_for_text("[stale ");
    tui.wait_for_text("monitoring blind since");
    tui.wait_for("the source to come back", |s| {
        let c = s.contents();
        !c.contains("mon-swn down") && !c.contains("[stale ")
    });
    tui.send("q");
    assert_eq!(tui.wait_exit(), 0);
}

#[test]
fn a_hangup_restores_the_terminal() {
    let home = tempfile::tempdir().unwrap();
    let mut tui = start_demo(home.path(), &[]);
    assert!(!tui.cooked());
    tui.signal(nix::sys::signal::Signal::SIGHUP);
    assert_eq!(tui.wait_exit(), 0);
    tui.wait_for("the main screen", |s| !s.alternate_screen());
    assert!(tui.cooked(), "raw mode left");
}

#[test]
fn the_starter_config_runs_the_queue() {
    let home = tempfile::tempdir().unwrap();
    let init = std::process::Command::new(env!("CARGO_BIN_EXE_nightdesk"))
        .arg("init")
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .output()
        .unwrap();
    assert!(init.status.success());
    let mut tui = Tui::start(&[], home.path(), 100, 30, &[]);
    tui.wait_for("the queue from the configured demo source", |s| {
        shown_count(&s.contents()).is_some_and(|(n, _)| n >= 200)
    });
    assert!(
        tui.screen().contains("Müller"),
        "tenant names from the demo source"
    );
    tui.send("q");
    assert_eq!(tui.wait_exit(), 0);
}

#[test]
fn resizing_relayouts_and_a_tiny_terminal_gets_one_message() {
    let home = tempfile::tempdir().unwrap();
    let mut tui = start_demo(home.path(), &[]);
    assert!(tui.screen().lines().nth(2).unwrap().contains("Status"));
    tui.resize(80, 24);
    tui.wait_for("the 80-column layout without a status column", |s| {
        let c = s.contents();
        c.lines()
            .nth(2)
            .is_some_and(|l| l.contains("Title") && !l.contains("Status"))
    });
    tui.resize(40, 10);
    tui.wait_for_text("Terminal too small: 40x10");
    tui.resize(100, 30);
    tui.wait_for("the full layout again", |s| {
        s.contents()
            .lines()
            .nth(2)
            .is_some_and(|l| l.contains("Status"))
    });
    tui.send("q");
    assert_eq!(tui.wait_exit(), 0);
}

#[test]
fn the_demo_says_that_it_runs_without_a_broken_config() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("config/nightdesk");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config.toml"), "[ui]\ntime-zone = 42\n").unwrap();
    let mut tui = start_demo(home.path(), &["--lang", "en"]);
    tui.wait_for_text("config has errors (see nightdesk config check), the demo runs");
    tui.send("q");
    assert_eq!(tui.wait_exit(), 0);
}

#[test]
fn a_local_note_is_there_after_a_restart() {
    let home = tempfile::tempdir().unwrap();
    // The same item in both runs: the top row of the same filter in the same world, once
    // every source answered (a backup source that answers late adds rows above it), and
    // selected as the top row.
    let pick = |tui: &mut Tui| {
        tui.wait_for("every source to answer", |s| {
            every_source_answered(&s.contents())
        });
        tui.send("/");
        tui.type_text("Scanner speichert");
        // The whole query typed (not only its first keys): the same top row each time.
        tui.wait_for("the filtered list", |s| {
            let c = s.contents();
            c.lines()
                .nth(1)
                .is_some_and(|l| l.trim() == "/ Scanner speichert")
                && shown_count(&c).is_some_and(|(n, t)| n < t)
        });
        // The selection stays on its item while rows arrive and filters change: go to
        // the top row.
        tui.send("\r");
        tui.send("gg");
    };
    let mut tui = start_demo(home.path(), &["--lang", "en"]);
    pick(&mut tui);
    tui.send("N");
    tui.wait_for_text("Local note (stays in nightdesk)");
    tui.type_text("handover: UPS replaced");
    tui.send("\r");
    tui.type_text("call back 06:00");
    tui.send("\x1b\r"); // alt-enter sends
    tui.wait_for_text("local note kept on 1 item(s)");
    tui.send("q");
    assert_eq!(tui.wait_exit(), 0);

    let mut tui = start_demo(home.path(), &["--lang", "en"]);
    pick(&mut tui);
    tui.send("\r");
    tui.wait_for_text("Local notes");
    tui.wait_for_text("handover: UPS replaced");
    assert!(tui.screen().contains("call back 06:00"), "{}", tui.screen());
    tui.send("q");
    assert_eq!(tui.wait_exit(), 0);
}
