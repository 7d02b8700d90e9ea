//! The restic and borg connectors against the real programs (Debian's restic 0.14 and
//! borgbackup 1.2): repositories in temporary directories with back-dated snapshots and
//! archives (`restic backup --time`, `borg create --timestamp`), read through the connectors
//! as the program builds them. Covers fresh, stale (RPO exceeded), stopped, failed
//! (interrupted borg run, a damaged restic repository), recovery tests overdue and recently
//! done, a wrong password (auth failed), a missing repository, borg's naive local times in a
//! non-UTC zone, and that no password reaches an argv or an error.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use jiff::{SignedDuration, Timestamp};
use nightdesk::config::SourceKind;
use nightdesk::model::{Health, Item, Priority};
use nightdesk::sources::backup::borg::Borg;
use nightdesk::sources::backup::restic::Restic;
use nightdesk::sources::build::{BuildContext, build};
use nightdesk::sources::http::Limiter;
use nightdesk::sources::{Fetched, Source, SourceError};
use nightdesk::store::{RestoreTest, RestoreTests};
use tempfile::TempDir;

const PASSWORD: &str = "ci-repo-secret-4711";

/// A restic repository shared by the tests that only read it: hosts with snapshots of
/// different ages, relative to `t0`.
struct ResticRepo {
    _dir: TempDir,
    repository: PathBuf,
    password_file: PathBuf,
    t0: Timestamp,
}

static RESTIC: OnceLock<ResticRepo> = OnceLock::new();

/// The reference instant of a fixture: now, in whole seconds.
fn reference_now() -> Timestamp {
    Timestamp::from_second(Timestamp::now().as_second()).unwrap()
}

fn hours_before(t0: Timestamp, hours: i64) -> Timestamp {
    t0 - SignedDuration::from_hours(hours)
}

/// `2026-11-28 01:00:00` in UTC, as `restic backup --time` takes it (with `TZ=UTC`).
fn restic_time(t: Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M:%S").to_string()
}

/// Runs a set-up command, argv only, stdin closed; panics with its stderr when it fails.
fn run(command: &mut Command) {
    let out = command
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{command:?}: {e}"));
    assert!(
        out.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Bytes that do not compress (xorshift from `seed`).
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn restic(repo: &Path, cache: &Path) -> Command {
    let mut c = Command::new("restic");
    c.env("RESTIC_REPOSITORY", repo)
        .env("RESTIC_PASSWORD", PASSWORD)
        .env("RESTIC_CACHE_DIR", cache)
        .env("TZ", "UTC");
    c
}

/// `restic init` and one back-dated snapshot per (host, hours before `t0`).
fn restic_repository(dir: &Path, t0: Timestamp, snapshots: &[(&str, i64)]) -> PathBuf {
    let repo = dir.join("repo");
    let cache = dir.join("cache");
    run(restic(&repo, &cache).args(["init", "-q"]));
    for (host, hours) in snapshots {
        let data = dir.join("data").join(host);
        std::fs::create_dir_all(&data).unwrap();
        // 64 KiB that do not compress: the data pack is the largest pack of the repository.
        std::fs::write(
            data.join("file"),
            noise(host.len() as u64 + *hours as u64, 65536),
        )
        .unwrap();
        run(restic(&repo, &cache)
            .args(["backup", "-q", "--host", host, "--time"])
            .arg(restic_time(hours_before(t0, *hours)))
            .arg(&data));
    }
    repo
}

fn shared_restic() -> &'static ResticRepo {
    RESTIC.get_or_init(|| {
        let dir = TempDir::new().unwrap();
        let t0 = reference_now();
        let snapshots = [
            ("sql-01", 27),
            ("sql-01", 3),
            ("dc-01", 31),
            ("files-01", 30),
        ];
        let repository = restic_repository(dir.path(), t0, &snapshots);
        let password_file = dir.path().join("password");
        std::fs::write(&password_file, format!("{PASSWORD}\n")).unwrap();
        ResticRepo {
            _dir: dir,
            repository,
            password_file,
            t0,
        }
    })
}

const TENANTS: &str = r#"
[[tenants]]
id = "mueller"
[[tenants]]
id = "schmidt"
"#;

/// The build context of a test, with its own restore tests.
fn context(text: &str, tests: &RestoreTests) -> (nightdesk::config::Config, BuildContext) {
    let config = common::config(text);
    let tenants = config.tenants.iter().map(|t| t.id.clone()).collect();
    let mut ctx = BuildContext::new(Limiter::default(), tenants, Timestamp::now());
    ctx.restore_tests = tests.clone();
    (config, ctx)
}

fn source(text: &str, tests: &RestoreTests) -> Box<dyn Source> {
    let (config, ctx) = context(text, tests);
    let mut built = build(&config.sources[0], &ctx).unwrap_or_else(|e| panic!("build: {e}"));
    built.remove(0)
}

fn fetch(source: &mut Box<dyn Source>, now: Timestamp) -> Result<Vec<Item>, SourceError> {
    let rt = common::runtime();
    match rt.block_on(source.fetch(now))? {
        Fetched::Full(items) => Ok(items),
        Fetched::Delta { .. } => panic!("backup sources answer in full"),
    }
}

fn item<'a>(items: &'a [Item], external_id: &str) -> &'a Item {
    items
        .iter()
        .find(|i| &*i.key.external_id == external_id)
        .unwrap_or_else(|| panic!("no {external_id} in {:#?}", ids(items)))
}

fn ids(items: &[Item]) -> Vec<String> {
    let mut ids: Vec<String> = items
        .iter()
        .map(|i| i.key.external_id.to_string())
        .collect();
    ids.sort();
    ids
}

/// Everything of an error, checked for the password.
fn assert_no_password(e: &SourceError) {
    let text = format!("{e} {e:?}");
    assert!(!text.contains(PASSWORD), "password in {text}");
}

fn tested(source: &str, job: &str, days_ago: i64, t0: Timestamp) -> RestoreTest {
    let day = (t0 - SignedDuration::from_hours(24 * days_ago))
        .to_zoned_datetime(jiff::tz::TimeZone::get("Europe/Berlin").unwrap())
        .date();
    RestoreTest {
        source: source.into(),
        job: job.into(),
        tenant: "mueller".into(),
        done_on: day,
        note: "restored to the test VM".into(),
        user: "anna".into(),
        recorded_at: t0,
    }
}

/// A restic source over the shared repository: the password by file (restic reads it
/// itself), three configured jobs.
fn restic_config(repo: &ResticRepo, extra: &str) -> String {
    format!(
        r#"{TENANTS}
[[sources]]
id = "restic-mueller"
kind = "restic"
tenant = "mueller"
repository = "{}"
password = {{ file = "{}" }}
cache-dir = "{}"
rule-priorities = {{ rpo = 1, restore-test = 3 }}
jobs = [
  {{ id = "sql", name = "SQL-Nightly", host = "sql-01" }},
  {{ id = "dc", name = "DC-System", host = "dc-01", tenant = "schmidt" }},
  {{ id = "files", name = "Files", host = "files-01", rpo = "72h" }},
]
{extra}
"#,
        repo.repository.display(),
        repo.password_file.display(),
        repo.repository.with_file_name("cache").display(),
    )
}

#[test]
fn restic_snapshots_become_fresh_stale_and_stopped_jobs() {
    let repo = shared_restic();
    let tests = RestoreTests::default();
    for job in ["sql", "dc", "files"] {
        tests.note(tested("restic-mueller", job, 10, repo.t0));
    }
    let mut s = source(&restic_config(repo, ""), &tests);
    let items = fetch(&mut s, repo.t0).unwrap();
    assert!(s.degraded().is_none(), "{:?}", s.degraded());
    assert_eq!(
        ids(&items),
        ["dc/rpo", "dc/stopped", "files/stopped"],
        "sql is fresh (3h), dc stale (31h), files stopped within its 72h RPO"
    );

    let rpo = item(&items, "dc/rpo");
    assert_eq!(
        &*rpo.title,
        "Backup 'DC-System' on dc-01: newest restore point 31h old (RPO 26h)"
    );
    assert_eq!(rpo.tenant.as_str(), "schmidt", "the job's own tenant");
    assert_eq!(rpo.priority, Priority::P1, "rule-priorities rpo = 1");
    assert_eq!(
        rpo.created,
        nightdesk::model::Moment::new(hours_before(repo.t0, 5)),
        "stale since 31h - 26h"
    );
    assert_eq!(rpo.label("tool"), Some("restic"));
    assert_eq!(
        rpo.label("repository"),
        Some(repo.repository.to_str().unwrap())
    );

    let stopped = item(&items, "files/stopped");
    assert_eq!(
        &*stopped.title,
        "Backup 'Files' on files-01: no run for 30h (due every 24h)"
    );
    assert_eq!(stopped.tenant.as_str(), "mueller", "the source's tenant");
    assert_eq!(stopped.priority, Priority::P2, "the default");
}

#[test]
fn restic_recovery_tests_overdue_recent_and_recorded_between_fetches() {
    let repo = shared_restic();
    let tests = RestoreTests::default();
    tests.note(tested("restic-mueller", "sql", 100, repo.t0));
    tests.note(tested("restic-mueller", "files", 5, repo.t0));
    let mut s = source(
        &restic_config(repo, "restore-test-interval = \"90d\""),
        &tests,
    );
    let items = fetch(&mut s, repo.t0).unwrap();

    let overdue = item(&items, "sql/restore-test");
    assert!(
        overdue
            .title
            .starts_with("Backup 'SQL-Nightly' on sql-01: recovery test overdue for 10d (last "),
        "{}",
        overdue.title
    );
    assert_eq!(
        overdue.priority,
        Priority::P3,
        "rule-priorities restore-test = 3"
    );
    assert_eq!(overdue.label("restore-test-by"), Some("anna"));
    assert!(
        items
            .iter()
            .all(|i| &*i.key.external_id != "files/restore-test"),
        "tested 5 days ago"
    );
    // Never tested: overdue since the job's first restore point (its only one, 31h ago).
    let never = item(&items, "dc/restore-test");
    assert!(
        never
            .title
            .contains("never recovery-tested (restore points since "),
        "{}",
        never.title
    );
    assert_eq!(
        never.created,
        nightdesk::model::Moment::new(hours_before(repo.t0, 31))
    );

    // The UI records a test: the next fetch takes it.
    tests.note(tested("restic-mueller", "sql", 0, repo.t0));
    let items = fetch(&mut s, repo.t0).unwrap();
    assert!(
        items
            .iter()
            .all(|i| &*i.key.external_id != "sql/restore-test"),
        "{:?}",
        ids(&items)
    );
    assert!(
        items
            .iter()
            .any(|i| &*i.key.external_id == "dc/restore-test")
    );
}

#[test]
fn restic_unconfigured_hosts_are_jobs_of_their_own() {
    let repo = shared_restic();
    let text = format!(
        r#"
[[sources]]
id = "restic-all"
kind = "restic"
repository = "{}"
password = {{ command = ["cat", "{}"] }}
cache-dir = "{}"
restore-test-interval = "off"
"#,
        repo.repository.display(),
        repo.password_file.display(),
        repo.repository.with_file_name("cache").display(),
    );
    let mut s = source(&text, &RestoreTests::default());
    let items = fetch(&mut s, repo.t0).unwrap();
    let dc: Vec<&Item> = items
        .iter()
        .filter(|i| i.key.external_id.starts_with("dc-01:"))
        .collect();
    assert_eq!(dc.len(), 2, "{:?}", ids(&items));
    assert!(
        dc.iter()
            .any(|i| i.key.external_id.ends_with("/data/dc-01/rpo")),
        "{:?}",
        ids(&items)
    );
    assert!(
        items
            .iter()
            .all(|i| !i.key.external_id.starts_with("sql-01:"))
    );
    assert_eq!(dc[0].tenant.as_str(), "unmapped");
}

#[test]
fn restic_commands_carry_the_password_in_the_environment_only() {
    let repo = shared_restic();
    let tests = RestoreTests::default();
    let by_value = format!(
        r#"
[[sources]]
id = "restic-cmd"
kind = "restic"
repository = "{}"
password = {{ command = ["printf", "%s", "{PASSWORD}"] }}
check-interval = "7d"
check-read-data-subset = "5%"
"#,
        repo.repository.display()
    );
    let (config, ctx) = context(&by_value, &tests);
    let SourceKind::Restic(backup) = &config.sources[0].kind else {
        panic!("a restic source");
    };
    let mut restic = Restic::from_config(&config.sources[0], backup, &ctx).unwrap();
    let commands = common::runtime()
        .block_on(restic.planned_commands())
        .unwrap();
    let argv: Vec<Vec<String>> = commands
        .iter()
        .map(|c| {
            c.argv()
                .iter()
                .map(|a| a.to_string_lossy().into_owned())
                .collect()
        })
        .collect();
    assert_eq!(argv[0], ["restic", "snapshots", "--json", "--no-lock"]);
    assert_eq!(argv[1], ["restic", "check", "--read-data-subset", "5%"]);
    for c in &commands {
        assert!(c.env_names().contains(&"RESTIC_PASSWORD"));
        assert_eq!(
            c.plain_env("RESTIC_REPOSITORY"),
            Some(repo.repository.as_os_str())
        );
        assert!(!format!("{c:?}").contains(PASSWORD), "{c:?}");
    }
    assert!(argv.iter().flatten().all(|a| !a.contains(PASSWORD)));

    // A password file is handed to restic as a path.
    let by_file = restic_config(repo, "");
    let (config, ctx) = context(&by_file, &tests);
    let SourceKind::Restic(backup) = &config.sources[0].kind else {
        panic!("a restic source");
    };
    let mut restic = Restic::from_config(&config.sources[0], backup, &ctx).unwrap();
    let commands = common::runtime()
        .block_on(restic.planned_commands())
        .unwrap();
    assert_eq!(
        commands[0].plain_env("RESTIC_PASSWORD_FILE"),
        Some(repo.password_file.as_os_str())
    );
    assert!(!commands[0].env_names().contains(&"RESTIC_PASSWORD"));
}

#[test]
fn restic_wrong_password_is_auth_failed_without_the_password() {
    let repo = shared_restic();
    let dir = TempDir::new().unwrap();
    let wrong = dir.path().join("wrong");
    std::fs::write(&wrong, "not-the-password").unwrap();
    let text = format!(
        r#"
[[sources]]
id = "restic-wrong"
kind = "restic"
repository = "{}"
auth = {{ file = "{}" }}
"#,
        repo.repository.display(),
        wrong.display()
    );
    let mut s = source(&text, &RestoreTests::default());
    let e = fetch(&mut s, repo.t0).unwrap_err();
    assert_no_password(&e);
    assert!(
        matches!(e.health(), Health::AuthFailed(ref m) if m.contains("wrong password")),
        "{e}"
    );
}

#[test]
fn restic_missing_repository_is_a_protocol_error() {
    let dir = TempDir::new().unwrap();
    let text = format!(
        r#"
[[sources]]
id = "restic-gone"
kind = "restic"
repository = "{}"
password = {{ command = ["printf", "%s", "{PASSWORD}"] }}
"#,
        dir.path().join("nothing-here").display()
    );
    let mut s = source(&text, &RestoreTests::default());
    let e = fetch(&mut s, reference_now()).unwrap_err();
    assert_no_password(&e);
    assert!(
        matches!(&e, SourceError::Protocol(m) if m.starts_with("no restic repository at ") && m.contains("unable to open config file")),
        "{e}"
    );
    assert!(matches!(e.health(), Health::Down(_)));
}

#[test]
fn a_damaged_restic_repository_fails_its_check() {
    let dir = TempDir::new().unwrap();
    let t0 = reference_now();
    let repository = restic_repository(dir.path(), t0, &[("web-01", 2)]);
    let text = format!(
        r#"
[[sources]]
id = "restic-web"
kind = "restic"
repository = "{}"
password = {{ command = ["printf", "%s", "{PASSWORD}"] }}
cache-dir = "{}"
check-interval = "24h"
timeout = "60s"
restore-test-interval = "off"
"#,
        repository.display(),
        dir.path().join("cache").display()
    );
    let mut s = source(&text, &RestoreTests::default());
    let items = fetch(&mut s, t0).unwrap();
    assert!(items.is_empty(), "a sound repository: {:#?}", ids(&items));

    // The pack of the file data goes missing (not a tree pack: restic would retry loading
    // that for minutes); the check is due again a day later.
    let pack = std::fs::read_dir(repository.join("data"))
        .unwrap()
        .flat_map(|d| std::fs::read_dir(d.unwrap().path()).unwrap())
        .map(|f| f.unwrap().path())
        .max_by_key(|p| std::fs::metadata(p).unwrap().len())
        .expect("a data pack");
    std::fs::remove_file(&pack).unwrap();
    let later = t0 + SignedDuration::from_hours(25);
    let items = fetch(&mut s, later).unwrap();
    let check = item(&items, "repository-check/failed");
    assert!(
        check.title.starts_with(&format!(
            "Repository check '{}' failed 0min ago: pack ",
            repository.display()
        )) && check.title.contains("does not exist"),
        "{}",
        check.title
    );
    assert_eq!(check.priority, Priority::P2);
    // The snapshots still list: the other findings are unchanged (the job is 27h old now).
    assert!(
        items.iter().any(|i| i.key.external_id.ends_with("/rpo")),
        "{:?}",
        ids(&items)
    );
}

/// A borg repository with back-dated archives, created with `TZ=Europe/Berlin`.
struct BorgRepo {
    _dir: TempDir,
    repository: PathBuf,
    t0: Timestamp,
}

fn borg(repo: &Path, home: &Path) -> Command {
    let mut c = Command::new("borg");
    c.env("BORG_REPO", repo)
        .env("BORG_PASSPHRASE", PASSWORD)
        .env("BORG_BASE_DIR", home)
        .env("TZ", "Europe/Berlin");
    c
}

/// `borg create --timestamp` takes UTC (`yyyy-mm-ddThh:mm:ss`).
fn borg_time(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S").to_string()
}

fn borg_repository() -> BorgRepo {
    let dir = TempDir::new().unwrap();
    let t0 = reference_now();
    let repo = dir.path().join("repo");
    let home = dir.path().join("home");
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("file"), "payload").unwrap();
    run(borg(&repo, &home).args(["init", "--encryption=repokey-blake2"]));
    for (name, hours) in [
        ("sql-01", 50),
        ("sql-02", 3),
        ("dc-01", 31),
        ("files-01", 20),
        ("files-02.checkpoint", 2),
    ] {
        run(borg(&repo, &home)
            .args(["create", "--timestamp"])
            .arg(borg_time(hours_before(t0, hours)))
            .arg(format!("::{name}"))
            .arg(&data));
    }
    BorgRepo {
        _dir: dir,
        repository: repo,
        t0,
    }
}

fn borg_config(repo: &BorgRepo, zone: &str, password: &str) -> String {
    format!(
        r#"{TENANTS}
[[sources]]
id = "borg-mueller"
kind = "borg"
tenant = "mueller"
repository = "{}"
password = {{ command = ["printf", "%s", "{password}"] }}
base-dir = "{}"
time-zone = "{zone}"
restore-test-interval = "off"
jobs = [
  {{ id = "sql", name = "SQL", prefix = "sql-" }},
  {{ id = "dc", name = "DC", prefix = "dc-", host = "dc-01" }},
  {{ id = "files", name = "Files", prefix = "files-" }},
]
"#,
        repo.repository.display(),
        repo.repository.with_file_name("nightdesk-borg").display()
    )
}

#[test]
fn borg_archives_become_fresh_stale_and_interrupted_jobs() {
    let repo = borg_repository();
    let mut s = source(
        &borg_config(&repo, "Europe/Berlin", PASSWORD),
        &RestoreTests::default(),
    );
    let items = fetch(&mut s, repo.t0).unwrap();
    assert!(s.degraded().is_none(), "{:?}", s.degraded());
    assert_eq!(ids(&items), ["dc/rpo", "dc/stopped", "files/failed"]);

    let dc = item(&items, "dc/rpo");
    assert_eq!(
        &*dc.title,
        "Backup 'DC' on dc-01: newest restore point 31h old (RPO 26h)"
    );
    assert_eq!(dc.tenant.as_str(), "mueller");
    assert_eq!(dc.label("archive"), Some("dc-01"));

    let files = item(&items, "files/failed");
    let host = files.host.clone().expect("the host borg info names");
    assert_eq!(
        &*files.title,
        format!(
            "Backup 'Files' on {host} failed 2h ago: interrupted: only the checkpoint archive files-02.checkpoint was written"
        )
    );
    assert_eq!(
        files.label("newest-restore-point"),
        Some(hours_before(repo.t0, 20).to_string().as_str()),
        "the checkpoint is no restore point"
    );
}

#[test]
fn borg_local_times_are_read_in_the_configured_zone() {
    let repo = borg_repository();
    for zone in ["Europe/Berlin", "America/New_York", "UTC"] {
        let mut s = source(
            &borg_config(&repo, zone, PASSWORD),
            &RestoreTests::default(),
        );
        let items = fetch(&mut s, repo.t0).unwrap();
        let dc = item(&items, "dc/rpo");
        // Whatever zone borg prints in, the instant is the one given to --timestamp.
        assert_eq!(
            dc.label("newest-restore-point"),
            Some(hours_before(repo.t0, 31).to_string().as_str()),
            "{zone}"
        );
        assert_eq!(
            dc.created,
            nightdesk::model::Moment::new(hours_before(repo.t0, 5)),
            "{zone}"
        );
    }
}

#[test]
fn borg_wrong_passphrase_is_auth_failed_and_argv_holds_no_passphrase() {
    let repo = borg_repository();
    let text = borg_config(&repo, "Europe/Berlin", "wrong-passphrase");
    let mut s = source(&text, &RestoreTests::default());
    let e = fetch(&mut s, repo.t0).unwrap_err();
    assert!(!e.to_string().contains("wrong-passphrase"), "{e}");
    assert!(
        matches!(e.health(), Health::AuthFailed(ref m) if m.contains("incorrect")),
        "{e}"
    );

    let (config, ctx) = context(
        &borg_config(&repo, "Europe/Berlin", PASSWORD),
        &RestoreTests::default(),
    );
    let SourceKind::Borg(backup) = &config.sources[0].kind else {
        panic!("a borg source");
    };
    let mut borg = Borg::from_config(&config.sources[0], backup, &ctx).unwrap();
    let commands = common::runtime().block_on(borg.planned_commands()).unwrap();
    let argv: Vec<String> = commands[0]
        .argv()
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        argv,
        [
            "borg",
            "--log-json",
            "list",
            "--json",
            "--consider-checkpoints"
        ]
    );
    assert!(commands[0].env_names().contains(&"BORG_PASSPHRASE"));
    assert_eq!(commands[0].plain_env("BORG_PASSPHRASE"), None, "a secret");
    assert_eq!(
        commands[0]
            .plain_env("BORG_RELOCATED_REPO_ACCESS_IS_OK")
            .and_then(|v| v.to_str()),
        Some("no")
    );
    assert!(!format!("{:?}", commands[0]).contains(PASSWORD));
}

#[test]
fn borg_missing_repository_is_a_protocol_error() {
    let dir = TempDir::new().unwrap();
    let text = format!(
        r#"
[[sources]]
id = "borg-gone"
kind = "borg"
repository = "{}"
password = {{ command = ["printf", "%s", "{PASSWORD}"] }}
base-dir = "{}"
"#,
        dir.path().join("nothing-here").display(),
        dir.path().join("home").display()
    );
    let mut s = source(&text, &RestoreTests::default());
    let e = fetch(&mut s, reference_now()).unwrap_err();
    assert_no_password(&e);
    assert!(
        matches!(&e, SourceError::Protocol(m) if m.starts_with("no borg repository at ") && m.contains("does not exist")),
        "{e}"
    );
}

#[test]
fn a_locked_borg_repository_shows_the_last_read_degraded() {
    let repo = borg_repository();
    let mut s = source(
        &borg_config(&repo, "Europe/Berlin", PASSWORD),
        &RestoreTests::default(),
    );
    let before = fetch(&mut s, repo.t0).unwrap();
    assert!(s.degraded().is_none());

    // A "backup" holds the repository's lock for a few seconds.
    let home = repo.repository.with_file_name("home");
    let mut holder = borg(&repo.repository, &home)
        .args(["with-lock"])
        .arg(&repo.repository)
        .args(["sleep", "8"])
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let lock = repo.repository.join("lock.exclusive");
    common::servers::wait_until("borg lock", || lock.exists());
    let during = fetch(&mut s, repo.t0).unwrap();
    let degraded = s.degraded().expect("degraded while locked");
    assert!(
        degraded.contains("is locked") && degraded.contains("showing the archives read at"),
        "{degraded}"
    );
    assert_eq!(ids(&during), ids(&before), "the last read, judged again");
    assert!(holder.wait().unwrap().success());
}

#[test]
fn restore_test_done_from_the_keyboard_ends_the_overdue_finding_and_is_kept() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use nightdesk::app::update::Effect;
    let repo = shared_restic();
    let home = TempDir::new().unwrap();
    let paths = common::paths_under(home.path());
    let config = common::config(&restic_config(repo, "restore-test-interval = \"90d\""));
    let mut session =
        nightdesk::setup::configured_session(&paths, &config, &nightdesk::setup::Flags::default())
            .unwrap();
    let rt = common::runtime();
    rt.block_on(nightdesk::setup::fetch_once(
        &mut session.app,
        &mut session.sources,
        repo.t0,
    ));
    let never = |s: &nightdesk::setup::Session| {
        s.app
            .queue
            .iter()
            .any(|(_, e)| &*e.item.key.external_id == "dc/restore-test")
    };
    assert!(never(&session), "DC-System was never recovery-tested");

    // Select the finding and record the test from the keyboard: B, a note, enter.
    session
        .app
        .apply("set-filter never recovery".parse().unwrap());
    let selected = session.app.selected_item().unwrap().key.clone();
    assert_eq!(&*selected.external_id, "dc/restore-test");
    let key = |c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
    session.app.on_key(key('B'));
    for c in "restored dc-01 to the test VM".chars() {
        session.app.on_key(key(c));
    }
    let effects = session
        .app
        .on_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    let record = effects
        .iter()
        .find_map(|e| match e {
            Effect::RecordRestoreTest(r) => Some(r.clone()),
            _ => None,
        })
        .expect("a restore-test record");
    assert_eq!(record.job, "dc");
    assert_eq!(record.tenant, "schmidt");
    // What the event loop does with it: the shared handle first, then the database.
    session.restore_tests.note(record.clone());
    session
        .store
        .as_ref()
        .expect("the local database")
        .record_restore_test(&record)
        .unwrap();

    rt.block_on(nightdesk::setup::fetch_once(
        &mut session.app,
        &mut session.sources,
        repo.t0,
    ));
    assert!(!never(&session), "the next read knows the test");
    // And a later start still does.
    let reopened =
        nightdesk::store::Store::open(&paths.data_dir.path.join("nightdesk.db")).unwrap();
    let kept = reopened.restore_tests().unwrap();
    assert!(
        kept.iter()
            .any(|t| t.job == "dc" && t.note == "restored dc-01 to the test VM")
    );
}

#[test]
fn restore_test_done_in_the_running_tui_ends_the_finding_and_is_kept() {
    let repo = shared_restic();
    let home = TempDir::new().unwrap();
    let dir = home.path().join("config/nightdesk");
    std::fs::create_dir_all(&dir).unwrap();
    let text = restic_config(repo, "restore-test-interval = \"90d\"");
    std::fs::write(
        dir.join("config.toml"),
        format!("[ui]\nuser = \"nachtdienst\"\nlang = \"en\"\n{text}"),
    )
    .unwrap();
    let mut tui = common::pty::Tui::start(&[], home.path(), 160, 40, &[]);
    tui.wait_for_text("Backup 'DC-System' on dc-01: never recovery-test");
    tui.send("/");
    tui.type_text("t:schmidt s:test");
    tui.send("\r");
    tui.wait_for("only the DC finding", |s| s.contents().contains("1 of "));
    tui.send("B");
    // The form opens on the comment; the date is today unless changed.
    tui.wait_for_text("Tested on:");
    tui.type_text("restored dc-01 to the test VM");
    tui.send("\r");
    // The event loop keeps the record and asks the source to read again: the finding goes.
    tui.wait_for_text("No item matches the filter.");
    tui.send("q");
    assert_eq!(tui.wait_exit(), 0);

    let db = home.path().join("data/nightdesk/nightdesk.db");
    let kept = nightdesk::store::Store::open(&db)
        .unwrap()
        .restore_tests()
        .unwrap();
    assert!(
        kept.iter().any(|t| t.job == "dc"
            && t.tenant == "schmidt"
            && t.note == "restored dc-01 to the test VM"),
        "{kept:?}"
    );
    let audit = nightdesk::store::Store::open(&db)
        .unwrap()
        .audit_since(Timestamp::UNIX_EPOCH, None)
        .unwrap();
    assert!(
        audit.iter().any(|e| e.action == "restore-test-done"
            && e.user == "nachtdienst"
            && e.item == "dc/restore-test"),
        "{audit:?}"
    );
}
