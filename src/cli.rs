//! The subcommands behind `main.rs`: run (demo or configured), init, config check, keys
//! check and the version listing. Each returns the process exit code.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use jiff::Timestamp;
use tokio::sync::mpsc;

use crate::config::{self, Config, Paths};
use crate::i18n::{Msg, fill, t};
use crate::keymap;
use crate::setup::{self, Flags, Session};
use crate::sources::runner;

/// Options that apply to every subcommand.
#[derive(Clone, Debug, Default)]
pub struct Globals {
    pub config: Option<PathBuf>,
    pub lang: Option<String>,
    pub theme: Option<String>,
    pub keymap: Option<String>,
}

impl Globals {
    fn flags(&self) -> Flags {
        Flags {
            lang: self.lang.clone(),
            theme: self.theme.clone(),
            keymap: self.keymap.clone(),
        }
    }

    fn paths(&self) -> anyhow::Result<Paths> {
        Paths::discover(self.config.as_deref()).context("cannot find the config directories")
    }
}

/// `nightdesk --version`: the version and every path in use, with where it came from.
pub fn version(globals: &Globals) -> ExitCode {
    println!("nightdesk {}", env!("CARGO_PKG_VERSION"));
    match globals.paths() {
        Ok(paths) => {
            print!("{paths}");
            println!("{:<10} {}", "log", paths.log_file().display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("nightdesk: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Sends tracing output to the log file under the state dir (never to the terminal, which
/// belongs to the TUI). Secrets are never passed to tracing.
fn init_logging(paths: &Paths) {
    let file = paths.log_file();
    if let Some(dir) = file.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let Ok(f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&file)
    else {
        return;
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("NIGHTDESK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(f))
        .try_init();
}

/// `nightdesk demo`.
pub fn run_demo(
    globals: &Globals,
    seed: u64,
    speed: f64,
    start: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let paths = globals.paths()?;
    let start = match start {
        Some(s) => s.parse::<Timestamp>().with_context(|| {
            format!("--start {s:?} is not an RFC 3339 time like 2026-11-28T02:00:00Z")
        })?,
        None => Timestamp::now(),
    };
    anyhow::ensure!(
        speed > 0.0 && speed.is_finite(),
        "--speed must be a positive number"
    );
    // The demo must start even with a broken config, but it says so instead of ignoring it.
    let (config, broken) = match Config::load_located(&paths.config_file) {
        Ok(c) => (c, None),
        Err(e) => {
            eprintln!("{e}");
            (
                Config::default(),
                Some(paths.config_file.path.display().to_string()),
            )
        }
    };
    let mut session = setup::demo_session(&paths, &config.ui, &globals.flags(), seed, speed, start);
    if let Some(file) = broken {
        let text = t(session.app.lang, Msg::DemoConfigIgnored);
        session.app.flash_error(fill(text, &[&file]));
    }
    session.app.sessions = std::sync::Arc::new(config.sessions);
    session
        .app
        .set_notifications(config.notifications.effective_rules());
    run_session(&paths, session)
}

/// `nightdesk` with a config file.
pub fn run_configured(globals: &Globals) -> anyhow::Result<ExitCode> {
    let paths = globals.paths()?;
    let config = match Config::load_located(&paths.config_file) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return Ok(ExitCode::from(2));
        }
    };
    if config.sources.is_empty() {
        eprintln!(
            "nightdesk: no sources configured in {}.\n  Try `nightdesk demo`, or `nightdesk init` for a starter config.",
            paths.config_file.path.display()
        );
        return Ok(ExitCode::from(2));
    }
    let session = setup::configured_session(&paths, &config, &globals.flags())?;
    run_session(&paths, session)
}

fn run_session(paths: &Paths, session: Session) -> anyhow::Result<ExitCode> {
    init_logging(paths);
    crate::app::terminal::install_panic_hook(paths.panic_log());
    for w in &session.warnings {
        tracing::warn!("{w}");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let log_file = paths.log_file();
    runtime.block_on(async move {
        let Session {
            mut app,
            theme,
            clock,
            sources,
            store,
            restore_tests,
            warnings,
        } = session;
        if let Some(first) = warnings.first() {
            app.flash_error(first.clone());
        }
        let (tx, rx) = mpsc::unbounded_channel();
        let mut handles = HashMap::new();
        for planned in sources {
            let id = planned.source.id().clone();
            let handle = runner::spawn(planned.source, planned.policy, clock.clone(), tx.clone());
            handles.insert(id, handle);
        }
        let (failed_tx, failed_rx) = mpsc::unbounded_channel();
        let local = crate::app::run::Local {
            worker: store.map(|s| crate::store::StoreWorker::start(s, failed_tx)),
            restore_tests,
            failures: failed_rx,
        };
        crate::app::run::run(app, theme, clock, handles, rx, local, Some(log_file)).await
    })?;
    Ok(ExitCode::SUCCESS)
}

/// `nightdesk init [--force]`.
pub fn init(globals: &Globals, force: bool) -> anyhow::Result<ExitCode> {
    let paths = globals.paths()?;
    match config::init(&paths.config_file.path, force) {
        Ok(path) => {
            println!("wrote {}", path.display());
            println!("next: edit it, then run `nightdesk config check`");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("nightdesk: {e}");
            Ok(ExitCode::from(1))
        }
    }
}

/// `nightdesk config check`: one line per finding, then (unless `offline`) one line per
/// source after reaching and authenticating it; exit 1 when anything is wrong.
pub fn config_check(globals: &Globals, offline: bool) -> anyhow::Result<ExitCode> {
    let paths = globals.paths()?;
    let report = config::check(&paths);
    for line in report.lines() {
        println!("{line}");
    }
    if report.has_errors() {
        return Ok(ExitCode::from(1));
    }
    let mut failed = false;
    if let Some(cfg) = &report.config {
        for s in cfg.sources.iter().filter(|s| s.insecure) {
            println!(
                "{}: WARNING: TLS CERTIFICATE CHECKS ARE OFF (insecure = true)",
                s.id
            );
        }
        if offline {
            for s in &cfg.sources {
                println!("{}: not contacted ({}, --offline)", s.id, s.kind.name());
            }
        } else {
            failed = check_sources(cfg)?;
        }
    }
    println!(
        "{}: {}",
        report.config_file.path.display(),
        if failed { "sources failed" } else { "ok" }
    );
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Reaches every source; prints `id: ok (kind): what answered` or `id: error (kind): why`.
/// Returns whether any failed.
fn check_sources(cfg: &Config) -> anyhow::Result<bool> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let now = Timestamp::now();
    let mut sources = setup::configured_sources(cfg, now, &crate::store::RestoreTests::default());
    let results = runtime.block_on(crate::oneshot::check_all(&mut sources, now));
    let mut failed = false;
    for (id, kind, result) in results {
        match result {
            Ok(what) => println!(
                "{id}: ok ({kind}): {}",
                crate::sources::http::snippet(&what)
            ),
            Err(e) => {
                failed = true;
                println!(
                    "{id}: error ({kind}): {}",
                    crate::sources::http::snippet(&e.to_string())
                );
            }
        }
    }
    Ok(failed)
}

/// `nightdesk list [--json]`: reads every configured source once and prints the merged
/// queue in SLA order. Exit 0 when every source answered, 1 when some failed (their
/// outage items and stale state are in the output), 2 for a config error.
pub fn list(globals: &Globals, json: bool) -> anyhow::Result<ExitCode> {
    let paths = globals.paths()?;
    let config = match Config::load_located(&paths.config_file) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return Ok(ExitCode::from(2));
        }
    };
    let Session {
        mut app,
        mut sources,
        ..
    } = setup::configured_session(&paths, &config, &globals.flags())?;
    app.filterer.set_inline_limit(usize::MAX);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let now = Timestamp::now();
    let outcomes = runtime.block_on(crate::oneshot::fetch_all(&mut sources, now));
    let failed = outcomes.iter().filter(|o| o.result.is_err()).count();
    for o in &outcomes {
        if let Err(e) = &o.result {
            eprintln!("nightdesk: {} ({}): {e}", o.source, o.kind);
        }
    }
    crate::oneshot::apply(&mut app, outcomes, now);
    let listing = crate::oneshot::Listing::of(&app);
    if json {
        serde_json::to_writer_pretty(std::io::stdout().lock(), &listing)?;
        println!();
    } else {
        print_listing(&app, &listing);
    }
    Ok(if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// One line per item: priority, SLA left, due, tenant, kind, title, host, status.
fn print_listing(app: &crate::app::state::App, listing: &crate::oneshot::Listing<'_>) {
    use crate::text::sanitize;
    for i in &listing.items {
        let (left, due) = match &i.clock {
            Some(c) => (
                crate::sla::remaining_label(jiff::SignedDuration::from_secs(c.remaining_seconds)),
                crate::sla::due_label(c.due, &app.tz, app.lang.is_german()),
            ),
            None => ("-".into(), "-".into()),
        };
        println!(
            "{} {:>9} {:<9} {:<16} {:<6} {} [{}]{}",
            i.item.priority,
            left,
            due,
            sanitize(app.tenant_name(&i.item.tenant)),
            i.item.kind.name(),
            sanitize(&i.item.title),
            sanitize(&i.item.status.label),
            i.item
                .host
                .as_deref()
                .map(|h| format!(" @{}", sanitize(h)))
                .unwrap_or_default(),
        );
    }
}

/// `nightdesk keys check [FILE]`: checks FILE (default: the user keymap) layered on the
/// configured preset; one line per finding; exit 1 when there are errors.
pub fn keys_check(globals: &Globals, file: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let paths = globals.paths()?;
    let file = file.unwrap_or_else(|| paths.keymap_file.path.clone());
    let text = std::fs::read_to_string(&file)
        .with_context(|| format!("cannot read {}", file.display()))?;
    let config = Config::load_located(&paths.config_file).ok();
    let preset = globals.keymap.clone().unwrap_or_else(|| {
        config
            .as_ref()
            .map(|c| c.ui.keymap.name().to_string())
            .unwrap_or_else(|| "default".to_string())
    });
    let mut findings = keymap::check_layered(&file, &text, &preset);
    // `view NAME` needs NAME in the config's [views] (unless the config does not load).
    if let Some(config) = &config {
        let mut views: Vec<&str> = config.views.keys().map(String::as_str).collect();
        if !views.contains(&crate::app::views::MINE.0) {
            views.insert(0, crate::app::views::MINE.0);
        }
        findings.extend(keymap::check_views(&file, &text, &views));
    }
    for f in &findings {
        println!("{f}");
    }
    if keymap::has_errors(&findings) {
        return Ok(ExitCode::from(1));
    }
    println!("{}: ok", file.display());
    Ok(ExitCode::SUCCESS)
}

/// `nightdesk notify test [--channel NAME]...`: one test notification through the named
/// channels (default: those the rules use); terminal bytes to stdout, one line per channel
/// on stderr; exit 1 when a channel did not work.
pub fn notify_test(globals: &Globals, names: &[String]) -> anyhow::Result<ExitCode> {
    use crate::notify::{Channel, TerminalKind, trial};
    let paths = globals.paths()?;
    let config = match Config::load_located(&paths.config_file) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return Ok(ExitCode::from(2));
        }
    };
    let mut channels = Vec::new();
    for name in names {
        let channel = Channel::parse(name)
            .with_context(|| format!("unknown channel `{name}` (desktop, bell, osc777 or osc9)"))?;
        channels.push(channel);
    }
    if channels.is_empty() {
        let rules = config.notifications.effective_rules();
        channels = Channel::ALL
            .into_iter()
            .filter(|c| rules.iter().any(|r| r.uses(*c)))
            .collect();
    }
    let lang = setup::ui_parts(&paths, &config.ui, &globals.flags()).lang;
    let kind = TerminalKind::from_env();
    let report = trial::run(lang, &channels, kind, &mut std::io::stdout());
    for (channel, outcome) in &report {
        let said = match outcome {
            trial::Outcome::Written { wrapped: true } => {
                "written, wrapped for tmux (needs `set -g allow-passthrough on`)".to_string()
            }
            trial::Outcome::Written { wrapped: false } => "written to the terminal".to_string(),
            trial::Outcome::Sent => "sent to the notification server".to_string(),
            trial::Outcome::Skipped(why) => format!("skipped: {why}"),
            trial::Outcome::Failed(e) => format!("failed: {e}"),
        };
        eprintln!("{}: {said}", channel.name());
    }
    let all_ok = report.iter().all(|(_, o)| o.is_ok());
    Ok(if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `nightdesk audit --since 24h [--tenant X] --format csv|json`: the audit log on stdout.
pub fn audit(
    globals: &Globals,
    since: &str,
    tenant: Option<&str>,
    format: &str,
    demo: bool,
) -> anyhow::Result<ExitCode> {
    use crate::store::export::{Format, export};
    let paths = globals.paths()?;
    let Some(format) = Format::parse(format) else {
        eprintln!("nightdesk: --format {format:?}: use csv or json");
        return Ok(ExitCode::from(2));
    };
    let now = Timestamp::now();
    let Some(since) = since_instant(since, now) else {
        eprintln!(
            "nightdesk: --since {since:?}: write an age like 24h or 7d, or a time like 2026-11-27T00:00:00Z"
        );
        return Ok(ExitCode::from(2));
    };
    let file = if demo {
        setup::DEMO_STORE
    } else {
        crate::store::FILE_NAME
    };
    let store = crate::store::Store::open(&paths.data_dir.path.join(file))?;
    let entries = store.audit_since(since, tenant)?;
    export(&entries, format, std::io::stdout().lock())?;
    Ok(ExitCode::SUCCESS)
}

/// `24h`, `7d` back from `now`, or an RFC 3339 instant.
fn since_instant(text: &str, now: Timestamp) -> Option<Timestamp> {
    if let Ok(t) = text.parse::<Timestamp>() {
        return Some(t);
    }
    let age = config::parse_duration(text)?;
    let age = jiff::SignedDuration::try_from(age).ok()?;
    now.checked_sub(age).ok()
}
