//! The event loop's side of remote sessions: carrying out a [`SessionPlan`] in the mode it
//! gets here, and for `inline` handing the terminal to the program and taking it back. Also
//! the signals the loop listens to, since an inline program owns some of them.

use std::io::Write;

use crossterm::event::EventStream;
use tokio::signal::unix::{Signal, SignalKind, signal};

use super::state::App;
use super::terminal::TerminalGuard;
use crate::actions::session::launch::{self, Launcher};
use crate::actions::session::{Exit, SessionOutcome, SessionPlan, SessionResult};
use crate::config::LaunchMode;

/// Signals while the TUI runs. A closed SSH connection (SIGHUP) and a kill (SIGTERM) end
/// nightdesk. SIGINT and SIGQUIT come from the keyboard only while an inline session's
/// program has the terminal (in raw mode Ctrl-C is a key): they are the program's, so
/// nightdesk catches them and does nothing.
pub(super) struct Signals {
    hangup: Signal,
    terminate: Signal,
    interrupt: Signal,
    sigquit: Signal,
}

impl Signals {
    pub(super) fn new() -> std::io::Result<Self> {
        Ok(Self {
            hangup: signal(SignalKind::hangup())?,
            terminate: signal(SignalKind::terminate())?,
            interrupt: signal(SignalKind::interrupt())?,
            sigquit: signal(SignalKind::quit())?,
        })
    }

    /// A signal that ends nightdesk arrived.
    pub(super) async fn ending(&mut self) {
        tokio::select! {
            _ = self.hangup.recv() => {}
            _ = self.terminate.recv() => {}
        }
    }
}

/// What an inline session needs from the loop: the terminal, its input reader, the signals.
pub(super) struct Handover<'a> {
    pub guard: &'a mut TerminalGuard,
    pub input: &'a mut EventStream,
    pub signals: &'a mut Signals,
}

/// Carries out a session plan in the mode it gets here.
pub(super) async fn launch_session(
    app: &mut App,
    plan: SessionPlan,
    launcher: &Launcher,
    terminal: &mut Handover<'_>,
) -> std::io::Result<SessionOutcome> {
    let mode = launcher.mode_for(&plan);
    let result = match mode {
        LaunchMode::Inline => {
            let banner = launcher.banner(app.lang, &plan, app.tenant_name(&plan.tenant));
            run_inline(app, &plan, &banner, terminal).await?
        }
        LaunchMode::Tmux => launcher.tmux_window(&plan).await,
        LaunchMode::Spawn => launcher.spawn(&plan),
        LaunchMode::Open => launcher.open(&plan),
        LaunchMode::Copy => launcher.copy(&plan, terminal.guard.terminal.backend_mut()),
    };
    Ok(SessionOutcome::of_plan(app.now, &plan, mode, result))
}

/// Hands the terminal to the plan's program and takes it back when it ends. The input
/// reader is dropped first (it would steal the program's keys) and made anew afterwards;
/// sources keep polling meanwhile and their events wait in the channel. Ctrl-C and Ctrl-\
/// belong to the program; a hangup or SIGTERM ends nightdesk once it is over.
async fn run_inline(
    app: &mut App,
    plan: &SessionPlan,
    banner: &str,
    terminal: &mut Handover<'_>,
) -> std::io::Result<SessionResult> {
    // Replacing the stream drops the old one, which stops its reader thread; the new one
    // reads nothing until the loop polls it again, after the program.
    *terminal.input = EventStream::new();
    terminal.guard.suspend();
    let mut out = std::io::stdout();
    writeln!(out, "{banner}")?;
    out.flush()?;
    let result = match launch::start_inline(plan) {
        Ok(child) => wait_inline(app, child, terminal.signals).await,
        Err(e) => SessionResult::NotStarted(format!("{}: {e}", plan.argv[0])),
    };
    terminal.guard.resume()?;
    Ok(result)
}

async fn wait_inline(
    app: &mut App,
    mut child: tokio::process::Child,
    signals: &mut Signals,
) -> SessionResult {
    loop {
        tokio::select! {
            status = child.wait() => {
                return match status {
                    Ok(status) => SessionResult::Exited(Exit::of(status)),
                    Err(e) => SessionResult::NotStarted(e.to_string()),
                };
            }
            _ = signals.interrupt.recv() => {}
            _ = signals.sigquit.recv() => {}
            _ = signals.hangup.recv() => app.quit = true,
            _ = signals.terminate.recv() => {
                app.quit = true;
                let _ = child.start_kill();
            }
        }
    }
}

/// Every session launch and refusal goes to the log, values escaped (`?`); this is also
/// where an audit record belongs.
pub(super) fn log_sessions(app: &mut App) {
    for o in app.take_session_outcomes() {
        tracing::info!(
            profile = o.profile,
            mode = ?o.mode.map(LaunchMode::name),
            tenant = ?o.tenant.as_ref().map(|t| t.as_str()),
            item = ?o.item.as_ref().map(|k| (k.source.as_str(), &*k.external_id)),
            host = ?o.host,
            argv = ?o.argv,
            result = ?o.result,
            "session"
        );
    }
}
