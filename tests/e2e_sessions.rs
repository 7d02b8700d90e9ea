//! Remote sessions end to end: the real binary in a pseudo-terminal (or inside a real tmux
//! server), with stand-in programs on `PATH` that record the argv they got. Inline sessions
//! get the terminal and give it back; tmux sessions open a window with the argv; copy emits
//! OSC 52; hostile host names from a source are refused and nothing runs.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::pty::{PATIENCE, Tui, every_source_answered, shown_count};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const START: &str = "2026-11-27T01:30:00Z";

/// A throw-away home with a config, a `bin` directory for stand-in programs and a file the
/// stand-ins write their arguments to.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new(config: &str) -> Home {
        let dir = tempfile::tempdir().unwrap();
        let home = Home { dir };
        std::fs::create_dir_all(home.bin()).unwrap();
        std::fs::create_dir_all(home.markers()).unwrap();
        let config = config.replace("BIN", &home.bin().display().to_string());
        nightdesk::config::Config::parse(Path::new("config.toml"), &config)
            .unwrap_or_else(|e| panic!("the test config must load:\n{e}"));
        let config_dir = home.path().join("config/nightdesk");
        std::fs::create_dir_all(&config_dir).unwrap();
        std::fs::write(config_dir.join("config.toml"), config).unwrap();
        home
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn bin(&self) -> PathBuf {
        self.path().join("bin")
    }

    /// Where stand-ins that must never run leave a file.
    fn markers(&self) -> PathBuf {
        self.path().join("markers")
    }

    fn args_file(&self) -> PathBuf {
        self.path().join("args")
    }

    /// A stand-in program `name` in `bin`: a shell script written by the test (the program
    /// nightdesk runs, with argv; nothing of nightdesk's goes through a shell).
    fn program(&self, name: &str, body: &str) {
        let file = self.bin().join(name);
        std::fs::write(&file, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    /// A stand-in that records its arguments, one per line, and ends (the file appears
    /// complete or not at all).
    fn recorder(&self, name: &str) {
        let file = self.args_file().display().to_string();
        let body = format!("printf '%s\\n' \"$@\" > '{file}.tmp'\nmv '{file}.tmp' '{file}'");
        self.program(name, &body);
    }

    /// A stand-in that only leaves a marker: it must never run.
    fn tripwire(&self, name: &str) {
        self.program(
            name,
            &format!("touch '{}/{name}'", self.markers().display()),
        );
    }

    fn recorded_args(&self) -> Vec<String> {
        let text = std::fs::read_to_string(self.args_file()).expect("the stand-in ran");
        text.lines().map(str::to_string).collect()
    }

    fn env_path(&self) -> String {
        format!(
            "{}:{}",
            self.bin().display(),
            std::env::var("PATH").unwrap_or_default()
        )
    }

    fn demo(&self, cols: u16, rows: u16, env: &[(&str, &str)]) -> Tui {
        self.demo_with(&[], cols, rows, env)
    }

    fn demo_with(&self, extra: &[&str], cols: u16, rows: u16, env: &[(&str, &str)]) -> Tui {
        let path = self.env_path();
        let mut all = vec![("PATH", path.as_str())];
        all.extend_from_slice(env);
        let mut args = vec!["demo", "--seed", "7", "--start", START];
        args.extend_from_slice(extra);
        let tui = Tui::start(&args, self.path(), cols, rows, &all);
        // Every demo source has answered: the queue no longer changes under the keys.
        tui.wait_for("every source to answer", |s| {
            every_source_answered(&s.contents())
        });
        tui
    }
}

/// The demo's hosts have private IPv4 addresses (RFC 1918).
fn demo_address(text: &str) -> bool {
    text.parse::<std::net::Ipv4Addr>()
        .is_ok_and(|a| a.is_private())
}

/// Filters the queue with `query` and waits until the filter applied.
fn filter(tui: &mut Tui, query: &str) {
    tui.send("/");
    tui.type_text(query);
    tui.send("\r");
    tui.wait_for("the filter to apply", |s| {
        let c = s.contents();
        c.lines().nth(1).is_some_and(|l| l.contains(query))
            && shown_count(&c).is_some_and(|(n, t)| n < t && n > 0)
    });
}

/// The last line of the screen (the status line).
fn status_line(tui: &Tui) -> String {
    tui.screen().lines().last().unwrap_or_default().to_string()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn find_from(haystack: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    find(&haystack[from..], needle).map(|i| i + from)
}

const ENTER_ALT: &[u8] = b"\x1b[?1049h";
const LEAVE_ALT: &[u8] = b"\x1b[?1049l";

#[test]
fn an_inline_session_gets_the_terminal_and_the_tui_comes_back() {
    let home = Home::new(
        r#"
[sessions.profiles.check]
mode = "inline"
argv = ["BIN/check-session", "{host}", "{tenant}"]
"#,
    );
    // Prints a line, reads one from the terminal (nothing else may take it), exits 3.
    home.program(
        "check-session",
        &format!(
            "printf '%s\\n' \"$@\" > '{}'\necho \"SESSION-OK $1\"\nprintf 'type a line: '\nread line\necho \"GOT $line\"\nexit 3",
            home.args_file().display()
        ),
    );
    let keymap = home.path().join("config/nightdesk/keymap.toml");
    std::fs::write(keymap, "[queue]\n\"x\" = \"session check\"\n").unwrap();
    let mut tui = home.demo(100, 30, &[]);
    filter(&mut tui, "k:alert");
    tui.send("x");
    tui.wait_for_text("type a line:");
    assert!(
        !tui.with_screen(|s| s.alternate_screen()),
        "the program runs on the main screen"
    );
    assert!(tui.cooked(), "and in cooked mode");
    tui.send("hello there\r");
    tui.wait_for("the queue again", |s| {
        s.alternate_screen() && s.contents().contains("check ended: exit status 3")
    });
    assert!(!tui.cooked(), "raw mode again");

    let args = home.recorded_args();
    let [host, tenant] = args.as_slice() else {
        panic!("two arguments expected: {args:?}")
    };
    let out = tui.output();
    let left = find(&out, LEAVE_ALT).expect("left the alternate screen");
    let banner = format!("/{host}, exit to return");
    let at_banner = find_from(&out, left, banner.as_bytes()).expect("the banner");
    let at_ok = find_from(&out, at_banner, format!("SESSION-OK {host}").as_bytes())
        .expect("the program's output");
    let at_got =
        find_from(&out, at_ok, b"GOT hello there").expect("the program read the typed line");
    assert!(
        find_from(&out, at_got, ENTER_ALT).is_some(),
        "back on the alternate screen"
    );
    assert!(
        nightdesk::sources::demo::TENANTS
            .iter()
            .any(|t| t.id == tenant),
        "{tenant}"
    );

    // The TUI takes keys again.
    tui.send("/");
    tui.send("\x15"); // ctrl-u clears the line
    tui.type_text("zzqq");
    tui.wait_for("the filter to take the typed text", |s| {
        let c = s.contents();
        c.lines().nth(1).is_some_and(|l| l.contains("zzqq"))
            && c.contains("No item matches the filter.")
    });
    tui.send("\x1b");
    tui.wait_for("the filter closed", |s| !s.contents().contains("zzqq"));
    tui.send("q");
    assert_eq!(tui.wait_exit(), 0);
}

#[test]
fn sources_keep_polling_while_an_inline_program_runs() {
    let home = Home::new("[sessions.profiles.hold]\nargv = [\"BIN/hold\"]\n");
    home.program("hold", "echo HOLDING\nread line\nexit 0");
    // At 120x speed the monitoring of `swn` stops answering 1.5 s in, for 6 s.
    let mut tui = home.demo_with(&["--speed", "120"], 100, 30, &[]);
    filter(&mut tui, "k:alert");
    tui.send(":session hold\r");
    tui.wait_for_text("HOLDING");
    let log_file = home.path().join("state/nightdesk/nightdesk.log");
    let before = std::fs::read_to_string(&log_file).unwrap_or_default().len();
    let start = Instant::now();
    loop {
        let log = std::fs::read_to_string(&log_file).unwrap_or_default();
        if log[before..].contains("source=mon-swn") && log[before..].contains("fetch failed") {
            break;
        }
        assert!(
            start.elapsed() < PATIENCE,
            "no fetch while the program ran:\n{log}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        !tui.with_screen(|s| s.alternate_screen()),
        "the program still has the terminal"
    );
    tui.send("\r");
    tui.wait_for("the queue with what the sources found meanwhile", |s| {
        s.alternate_screen() && s.contents().contains("hold ended: exit status 0")
    });
    tui.send("q");
    assert_eq!(tui.wait_exit(), 0);
}

#[test]
fn a_tmux_profile_outside_tmux_runs_inline_and_says_so() {
    let home = Home::new("[sessions]\nuser = \"admin\"\njump = \"jump.msp.example\"\n");
    home.recorder("ssh");
    let mut tui = home.demo(120, 30, &[]);
    filter(&mut tui, "k:alert");
    tui.send("o");
    tui.wait_for("the session menu", |s| {
        let c = s.contents();
        c.contains("Session to ") && c.contains("ssh  tmux    ssh -J jump.msp.example admin@")
    });
    tui.send("\x1b");
    tui.wait_for("the menu closed", |s| !s.contents().contains("Session to "));
    tui.send("s");
    tui.wait_for_text("ssh ended: exit status 0 (not inside tmux: ran here)");
    let args = home.recorded_args();
    assert_eq!(args[..2], ["-J", "jump.msp.example"]);
    assert!(
        args[2].strip_prefix("admin@").is_some_and(demo_address),
        "{args:?}"
    );
    let out = tui.output();
    assert!(find(&out, b"not inside tmux, so here: connecting to ").is_some());
    tui.send("q");
    assert_eq!(tui.wait_exit(), 0);
}

#[test]
fn ctrl_c_stops_the_inline_program_not_nightdesk() {
    let home = Home::new("[sessions.profiles.wait]\nargv = [\"BIN/waiter\"]\n");
    home.program("waiter", "echo WAITING\nexec sleep 60");
    let mut tui = home.demo(100, 30, &[]);
    filter(&mut tui, "k:alert");
    tui.send(":session wait\r");
    tui.wait_for_text("WAITING");
    tui.send("\x03");
    tui.wait_for("the queue again", |s| {
        s.alternate_screen() && s.contents().contains("wait ended: signal 2")
    });
    tui.send("q");
    assert_eq!(tui.wait_exit(), 0);
}

#[test]
fn copy_puts_the_command_on_the_clipboard_with_osc_52() {
    let home =
        Home::new("[sessions]\nuser = \"admin\"\n\n[sessions.profiles.ssh]\nmode = \"copy\"\n");
    home.tripwire("ssh");
    let mut tui = home.demo(100, 30, &[]);
    filter(&mut tui, "k:alert");
    tui.send("s");
    tui.wait_for_text("copied: ssh admin@");
    let status = status_line(&tui);
    let copied = status
        .split("copied: ")
        .nth(1)
        .unwrap()
        .split("  ")
        .next()
        .unwrap()
        .trim()
        .to_string();
    let address = copied.strip_prefix("ssh admin@");
    assert!(address.is_some_and(demo_address), "{copied}");
    let out = tui.output();
    let start = find(&out, b"\x1b]52;c;").expect("an OSC 52 sequence") + 7;
    let end = find_from(&out, start, b"\x07").expect("ended by BEL");
    let payload = std::str::from_utf8(&out[start..end]).unwrap();
    assert_eq!(decode_base64(payload), copied.as_bytes());
    assert!(
        std::fs::read_dir(home.markers()).unwrap().next().is_none(),
        "copy runs nothing"
    );
    tui.send("q");
    assert_eq!(tui.wait_exit(), 0);
}

/// Standard base64, decoded independently of nightdesk's encoder.
fn decode_base64(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let mut out = Vec::new();
    for chunk in text.as_bytes().chunks(4) {
        let digits: Vec<u8> = chunk
            .iter()
            .filter(|&&c| c != b'=')
            .map(|&c| value(c))
            .collect();
        let n = digits.iter().fold(0u32, |n, &d| n << 6 | u32::from(d)) << (6 * (4 - digits.len()));
        out.extend_from_slice(&n.to_be_bytes()[1..digits.len()]);
    }
    out
}

#[test]
fn spawned_programs_run_detached_and_are_reaped_and_urls_open_in_the_browser() {
    let home = Home::new(
        "[sessions.profiles.gui]\nmode = \"spawn\"\nargv = [\"BIN/gui\", \"{address}\"]\n",
    );
    let facts = home.path().join("facts");
    // Tells where it runs: its process group, its stdin; says something on stdout; fails.
    home.program(
        "gui",
        &format!(
            "echo \"pgid $(ps -o pgid= -p $$ | tr -d ' ')\" > '{f}.tmp'\necho \"stdin $(readlink /proc/self/fd/0)\" >> '{f}.tmp'\necho \"arg $1\" >> '{f}.tmp'\nmv '{f}.tmp' '{f}'\necho GUI-SAYS-HELLO\nexit 1",
            f = facts.display()
        ),
    );
    home.recorder("browser");
    let mut tui = home.demo(120, 30, &[("BROWSER", "browser")]);
    filter(&mut tui, "k:alert");
    tui.send(":session gui\r");
    // "gui started: ..." is soon replaced by the program's end.
    tui.wait_for_text("ended: exit status 1, see the log");
    let facts = std::fs::read_to_string(&facts).expect("the program ran");
    let nightdesk = tui.pid();
    assert!(facts.contains("stdin /dev/null"), "{facts}");
    let pgid: u32 = facts
        .lines()
        .find_map(|l| l.strip_prefix("pgid "))
        .unwrap()
        .parse()
        .unwrap();
    assert_ne!(pgid, nightdesk, "its own process group");
    let arg = facts.lines().find_map(|l| l.strip_prefix("arg ")).unwrap();
    assert!(demo_address(arg), "{facts}");
    let log = home.path().join("state/nightdesk/nightdesk.log");
    let log = std::fs::read_to_string(log).unwrap();
    assert!(log.contains("GUI-SAYS-HELLO"), "its output goes to the log");
    let record = log
        .lines()
        .find(|l| l.contains("session profile=\"gui\""))
        .expect("logged");
    assert!(
        record.contains("mode=Some(\"spawn\")") && record.contains("result=Started"),
        "{record}"
    );
    let zombies = || {
        let out = Command::new("ps")
            .args(["-o", "stat=", "--ppid", &nightdesk.to_string()])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .any(|l| l.starts_with('Z'))
    };
    assert!(!zombies(), "the ended program was reaped");

    tui.send(":session web\r");
    tui.wait_for_text("web started: https://");
    let start = Instant::now();
    while !home.args_file().exists() {
        assert!(start.elapsed() < PATIENCE, "the browser never ran");
        std::thread::sleep(Duration::from_millis(20));
    }
    let url = home.recorded_args();
    assert_eq!(url.len(), 1, "{url:?}");
    assert_eq!(url[0], format!("https://{arg}"), "the same item's address");
    tui.send("q");
    assert_eq!(tui.wait_exit(), 0);
}

/// A private tmux server that is killed when the test ends, however it ends.
struct TmuxServer {
    socket: String,
}

impl TmuxServer {
    fn tmux(&self) -> Command {
        let mut cmd = Command::new("tmux");
        cmd.args(["-L", &self.socket, "-f", "/dev/null"]);
        cmd
    }

    fn run(&self, args: &[&str]) -> String {
        let out = self.tmux().args(args).output().expect("run tmux");
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Polls `probe` until it returns something.
    fn wait_for<T>(&self, what: &str, probe: impl Fn(&TmuxServer) -> Option<T>) -> T {
        let start = Instant::now();
        loop {
            if let Some(found) = probe(self) {
                return found;
            }
            if start.elapsed() > PATIENCE {
                let screen = self.run(&["capture-pane", "-p", "-t", "nd:0"]);
                panic!("timed out waiting for {what}; nightdesk's pane:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn pane(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "nd:0"])
    }
}

impl Drop for TmuxServer {
    fn drop(&mut self) {
        let _ = self.tmux().arg("kill-server").output();
    }
}

#[test]
fn a_tmux_session_opens_a_window_with_the_argv() {
    let home = Home::new(
        "[sessions.tenants.mueller]\njump = \"jump.mueller.example\"\nuser = \"admin\"\n",
    );
    home.recorder("ssh");
    let server = TmuxServer {
        socket: format!("nd-e2e-{}", std::process::id()),
    };
    let xdg = |dir: &str| home.path().join(dir).display().to_string();
    let nightdesk = env!("CARGO_BIN_EXE_nightdesk");
    // The server's environment is what new windows get: the stand-in `ssh` comes first.
    let mut start = server.tmux();
    start
        .args([
            "new-session",
            "-d",
            "-s",
            "nd",
            "-x",
            "120",
            "-y",
            "30",
            "--",
        ])
        .args([nightdesk, "demo", "--seed", "7", "--start", START])
        .env("PATH", home.env_path())
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", xdg("config"))
        .env("XDG_DATA_HOME", xdg("data"))
        .env("XDG_STATE_HOME", xdg("state"))
        .env("LANG", "en_US.UTF-8")
        .env("TZ", "Europe/Berlin")
        .env_remove("TMUX")
        .env_remove("TMUX_PANE");
    assert!(start.status().unwrap().success());
    server.run(&["set", "-g", "remain-on-exit", "on"]);
    server.wait_for("every source to answer", |s| {
        s.pane().contains("sources ok 18/18").then_some(())
    });

    server.run(&["send-keys", "-t", "nd:0", "/"]);
    server.run(&["send-keys", "-t", "nd:0", "-l", "t:mueller k:alert"]);
    server.run(&["send-keys", "-t", "nd:0", "Enter"]);
    server.wait_for("the filter", |s| {
        let pane = s.pane();
        let applied = pane
            .lines()
            .nth(1)
            .is_some_and(|l| l.contains("t:mueller k:alert"));
        (applied && shown_count(&pane).is_some_and(|(n, t)| n < t && n > 0)).then_some(())
    });
    server.run(&["send-keys", "-t", "nd:0", "s"]);

    let windows = server.wait_for("the session window", |s| {
        let list = s.run(&[
            "list-windows",
            "-t",
            "nd",
            "-F",
            "#{window_name}|#{pane_start_command}",
        ]);
        (list.lines().count() == 2).then_some(list)
    });
    let args = server.wait_for("the stand-in ssh to run", |_| {
        std::fs::read_to_string(home.args_file()).ok()
    });
    let args: Vec<&str> = args.lines().collect();
    assert_eq!(args[..2], ["-J", "jump.mueller.example"], "{args:?}");
    let address = args[2]
        .strip_prefix("admin@")
        .filter(|a| demo_address(a))
        .expect("admin@address");
    let second = windows.lines().nth(1).unwrap();
    let (name, command) = second.split_once('|').unwrap();
    assert!(name.starts_with("mueller/"), "{windows}");
    assert_eq!(
        command,
        format!("ssh -J jump.mueller.example admin@{address}"),
        "{windows}"
    );
    server.wait_for("the status line", |s| {
        s.pane()
            .contains(&format!(
                "ssh: new tmux window: ssh -J jump.mueller.example admin@{address}"
            ))
            .then_some(())
    });
}

/// An Alertmanager answer with one alert per hostile host name.
fn hostile_alerts(hosts: &[&str]) -> String {
    let alerts: Vec<_> = hosts
        .iter()
        .enumerate()
        .map(|(n, host)| {
            json!({
                "fingerprint": format!("evil{n}"),
                "labels": {"alertname": "HostDown", "instance": host},
                "annotations": {"summary": format!("hostile-{n}")},
                "startsAt": "2026-11-27T01:00:00.000Z",
                "updatedAt": "2026-11-27T01:00:00.000Z",
                "endsAt": "2026-11-27T03:00:00.000Z",
                "receivers": [{"name": "nowhere"}],
                "status": {"state": "active", "silencedBy": [], "inhibitedBy": []}
            })
        })
        .collect();
    serde_json::Value::Array(alerts).to_string()
}

#[test]
fn hostile_host_names_from_a_source_are_refused_and_nothing_runs() {
    let hosts = [
        "x; rm -rf ~",
        "-oProxyCommand=touch /tmp/pwned",
        "dc01\nid",
        "\u{1b}[31mred",
    ];
    let shown = [
        "x; rm -rf ~",
        "-oProxyCommand=touch /tmp/pwned",
        "dc01␊id",
        "␛[31mred",
    ];
    let rt = common::runtime();
    let server = rt.block_on(MockServer::start());
    rt.block_on(
        Mock::given(method("GET"))
            .and(path("/api/v2/alerts"))
            .respond_with(
                ResponseTemplate::new(200).set_body_raw(hostile_alerts(&hosts), "application/json"),
            )
            .mount(&server),
    );
    let home = Home::new(&format!(
        r#"
[[tenants]]
id = "mueller"

[[sources]]
id = "am"
kind = "alertmanager"
base-url = "{}"
tenant = "mueller"
poll-interval = "1h"

[sessions.profiles.marker]
argv = ["BIN/marker", "{{host}}"]
"#,
        server.uri()
    ));
    for program in ["ssh", "xfreerdp", "vncviewer", "browser", "marker"] {
        home.tripwire(program);
    }
    let path = home.env_path();
    let mut tui = Tui::start(
        &[],
        home.path(),
        180,
        30,
        &[("PATH", &path), ("BROWSER", "browser")],
    );
    tui.wait_for("the four alerts", |s| {
        shown_count(&s.contents()) == Some((4, 4))
    });

    let mut named = Vec::new();
    for row in 0..hosts.len() {
        tui.send("s");
        tui.wait_for("the ssh refusal", |s| {
            s.contents().contains("ssh not run: address `")
        });
        let status = status_line(&tui);
        let n: usize = status
            .split("(mueller: hostile-")
            .nth(1)
            .expect("names the item")[..1]
            .parse()
            .unwrap();
        assert!(
            status.contains(&format!("address `{}`", shown[n])),
            "{status}"
        );
        named.push(n);
        for (keys, says) in [
            ("r", "rdp not run: address `"),
            (":session marker\r", "marker not run: host `"),
            ("o\r", "ssh not run: address `"),
        ] {
            tui.send(keys);
            tui.wait_for(says, |s| {
                s.contents().contains(says) && s.contents().contains(&format!("hostile-{n})"))
            });
        }
        tui.send(":session web\r");
        tui.wait_for("the web refusal", |s| {
            s.contents().contains("web not run: address `")
        });
        if row + 1 < hosts.len() {
            tui.send("j");
        }
    }
    named.sort_unstable();
    assert_eq!(named, [0, 1, 2, 3], "every hostile item was tried");
    let out = tui.output();
    assert!(
        find(&out, b"connecting to").is_none(),
        "no banner: nothing was launched"
    );
    assert!(
        find(&out, LEAVE_ALT).is_none(),
        "the terminal was never handed over"
    );
    let ran: Vec<_> = std::fs::read_dir(home.markers())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(ran.is_empty(), "programs ran: {ran:?}");
    tui.send("q");
    assert_eq!(tui.wait_exit(), 0);
}
