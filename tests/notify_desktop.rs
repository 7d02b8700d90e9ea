//! The desktop channel against a private D-Bus session bus: `dbus-daemon` on a socket in a
//! temporary directory, and a test receiver (zbus) that owns `org.freedesktop.Notifications`
//! and records what it is sent. Readiness is the daemon printing its address and the receiver
//! owning its name; nothing sleeps.
//!
//! `nightdesk notify test` is checked the same way, through the binary.
//!
//! One test function only: it points `DBUS_SESSION_BUS_ADDRESS` of this process at the
//! private bus (notify-rust reads it), which must not race with another test.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::mpsc;
use std::time::Duration;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use nightdesk::i18n::Lang;
use nightdesk::model::{
    Item, ItemKey, Kind, Priority, SlaFacts, SourceId, Status, StatusCategory, TenantId,
};
use nightdesk::notify::{
    Channel, Event, ItemFacts, Notifier, Outlet, Rule, TerminalKind, Trigger, desktop,
};

/// How long the receiver may take to get a notification.
const PATIENCE: Duration = Duration::from_secs(20);

/// The bus: a config of our own (the session policy, but no service activation).
struct Bus {
    daemon: Child,
    address: String,
    _dir: tempfile::TempDir,
}

impl Bus {
    fn start() -> Bus {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("bus");
        let conf = dir.path().join("session.conf");
        std::fs::write(
            &conf,
            format!(
                r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
                socket.display()
            ),
        )
        .unwrap();
        let mut daemon = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", conf.display()))
            .args(["--nofork", "--print-address"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("dbus-daemon (Debian package `dbus`)");
        // It prints its address once it listens.
        let mut line = String::new();
        BufReader::new(daemon.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let address = line.trim().to_string();
        assert!(address.starts_with("unix:path="), "{address:?}");
        Bus {
            daemon,
            address,
            _dir: dir,
        }
    }
}

impl Drop for Bus {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

/// What a notification server is told.
#[derive(Debug, PartialEq)]
struct Got {
    app_name: String,
    summary: String,
    body: String,
}

struct Receiver {
    got: Mutex<mpsc::Sender<Got>>,
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl Receiver {
    #[allow(clippy::too_many_arguments)]
    fn notify(
        &self,
        app_name: String,
        _replaces_id: u32,
        _app_icon: String,
        summary: String,
        body: String,
        _actions: Vec<String>,
        _hints: HashMap<String, zbus::zvariant::OwnedValue>,
        _expire_timeout: i32,
    ) -> u32 {
        let _ = self.got.lock().unwrap().send(Got {
            app_name,
            summary,
            body,
        });
        1
    }

    fn get_capabilities(&self) -> Vec<String> {
        vec!["body".into(), "body-markup".into()]
    }

    fn get_server_information(&self) -> (String, String, String, String) {
        (
            "test-receiver".into(),
            "nightdesk tests".into(),
            "1".into(),
            "1.2".into(),
        )
    }

    fn close_notification(&self, _id: u32) {}
}

/// Owns `org.freedesktop.Notifications` on `address`; `build` returns once the name is ours.
fn receiver(address: &str) -> (zbus::blocking::Connection, mpsc::Receiver<Got>) {
    let (tx, rx) = mpsc::channel();
    let conn = zbus::blocking::connection::Builder::address(address)
        .unwrap()
        .serve_at(
            "/org/freedesktop/Notifications",
            Receiver {
                got: Mutex::new(tx),
            },
        )
        .unwrap()
        .name("org.freedesktop.Notifications")
        .unwrap()
        .build()
        .expect("receiver on the private bus");
    (conn, rx)
}

fn hostile_p1() -> Item {
    let at: Timestamp = "2026-11-27T01:32:00Z".parse().unwrap();
    Item {
        key: ItemKey::new(&SourceId::new("mon-hansa"), "fw-01/HostDown"),
        tenant: TenantId::new("hansa"),
        kind: Kind::Alert,
        title: "Host down: fw-01 <a href=\"x\">\x1b]0;owned\x07".into(),
        host: Some("fw-01".into()),
        address: None,
        priority: Priority::P1,
        status: Status::new(StatusCategory::New, "firing"),
        created: nightdesk::model::Moment::new(at),
        updated: nightdesk::model::Moment::new(at),
        assignee: None,
        labels: Default::default(),
        link: None,
        sla: SlaFacts::default(),
    }
}

#[test]
fn a_desktop_notification_reaches_the_session_bus_with_summary_body_and_app_name() {
    let bus = Bus::start();
    // SAFETY: the only test in this binary, and nothing else here reads the environment
    // concurrently; notify-rust (zbus) reads this variable to find the session bus.
    unsafe { std::env::set_var(desktop::BUS_ENV, &bus.address) };
    assert_eq!(desktop::probe(&|k| std::env::var_os(k)), Ok(()));

    let start: Timestamp = "2026-11-27T01:30:00Z".parse().unwrap();
    let tz = TimeZone::get("Europe/Berlin").unwrap();
    let rule = Rule::new("p1", Trigger::NewP1, &[Channel::Desktop]);
    let mut notifier = Notifier::new(vec![rule], start, tz, Lang::En);
    let item = hostile_p1();
    let event = Event::NewItem(ItemFacts::of(&item, "Hansa Logistik GmbH & Co. KG"));
    let n = notifier.consider(&event, start).expect("the rule fires");

    // A bus without a notification server: an error to log, not a crash.
    assert!(desktop::send(&n).is_err(), "nobody owns the name yet");

    let (_conn, got) = receiver(&bus.address);
    // The way the event loop sends it (outside a runtime: at once).
    let mut outlet = Outlet::new(
        TerminalKind::default(),
        desktop::probe(&|k| std::env::var_os(k)),
    );
    assert_eq!(outlet.deliver(n), None);
    let received = got.recv_timeout(PATIENCE).expect("the receiver got it");
    assert_eq!(
        received,
        Got {
            app_name: "nightdesk".into(),
            summary: "New P1 alert at Hansa Logistik GmbH & Co. KG".into(),
            body: "Host down: fw-01 &lt;a href=\"x\"&gt;␛]0;owned␇".into(),
        }
    );
    assert!(outlet.take_terminal_bytes().is_empty(), "desktop only");

    // `nightdesk notify test` through the binary, with and without the bus.
    let home = tempfile::tempdir().unwrap();
    let run = |bus: Option<&str>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_nightdesk"));
        cmd.args([
            "notify",
            "test",
            "--channel",
            "desktop",
            "--channel",
            "bell",
        ])
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("XDG_STATE_HOME", home.path().join("state"))
        .env("LANG", "en_US.UTF-8")
        .env_remove("TMUX")
        .env_remove(desktop::BUS_ENV);
        if let Some(address) = bus {
            cmd.env(desktop::BUS_ENV, address);
        }
        cmd.output().unwrap()
    };
    let out = run(Some(&bus.address));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(out.stdout, b"\x07", "the bell on stdout");
    assert!(
        stderr.contains("desktop: sent to the notification server"),
        "{stderr}"
    );
    assert!(stderr.contains("bell: written to the terminal"), "{stderr}");
    assert_eq!(
        got.recv_timeout(PATIENCE).expect("the test notification"),
        Got {
            app_name: "nightdesk".into(),
            summary: "nightdesk test notification".into(),
            body: "If you can read this, these channels work: desktop, bell.".into(),
        }
    );
    let out = run(None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("desktop: skipped: DBUS_SESSION_BUS_ADDRESS is not set"),
        "{stderr}"
    );
}
