//! Starting the programs of a [`SessionPlan`]: a new tmux window, a detached program (its
//! own process group, stdin from /dev/null, output to the log file, reaped when it ends),
//! a URL in the browser, the command line to the clipboard. The terminal hand-over of
//! `inline` belongs to the event loop, which owns the terminal and its input reader; this
//! module only starts the program for it.

use std::io::Write;
use std::path::PathBuf;
use std::process::Stdio;

use tokio::process::{Child, Command};
use tokio::sync::mpsc;

use super::{Exit, SessionPlan, SessionResult, osc52};
use crate::config::sessions::LaunchMode;
use crate::i18n::{Lang, Msg, fill, t};
use crate::text::sanitize;

/// A detached program (`spawn`, `open`) ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DetachedEnd {
    pub profile: String,
    pub program: String,
    /// `None` when waiting for it failed.
    pub exit: Option<Exit>,
}

impl DetachedEnd {
    /// The status line's text: only failures are worth one.
    pub fn describe(&self, lang: Lang) -> Option<String> {
        let exit = self.exit?;
        (!exit.success()).then(|| {
            fill(
                t(lang, Msg::SessionDetachedEnded),
                &[
                    &self.profile,
                    &super::validate::shown(&self.program),
                    &exit.describe(lang),
                ],
            )
        })
    }
}

/// Starts session programs; knows whether nightdesk runs inside tmux and where the log is.
pub struct Launcher {
    log_file: Option<PathBuf>,
    in_tmux: bool,
    browser: Option<String>,
    ended: mpsc::UnboundedSender<DetachedEnd>,
}

impl Launcher {
    /// From the environment: `$TMUX` says whether nightdesk is inside tmux, `$BROWSER`
    /// names the browser for `open` (else `xdg-open`).
    pub fn from_env(log_file: Option<PathBuf>, ended: mpsc::UnboundedSender<DetachedEnd>) -> Self {
        let var = |name| std::env::var(name).ok().filter(|v| !v.is_empty());
        Self::new(log_file, var("TMUX").is_some(), var("BROWSER"), ended)
    }

    pub fn new(
        log_file: Option<PathBuf>,
        in_tmux: bool,
        browser: Option<String>,
        ended: mpsc::UnboundedSender<DetachedEnd>,
    ) -> Self {
        Self {
            log_file,
            in_tmux,
            browser,
            ended,
        }
    }

    /// The mode `plan` is carried out in here: `tmux` outside tmux becomes `inline`.
    pub fn mode_for(&self, plan: &SessionPlan) -> LaunchMode {
        match plan.mode {
            LaunchMode::Tmux if !self.in_tmux => LaunchMode::Inline,
            mode => mode,
        }
    }

    /// The line printed before an inline session.
    pub fn banner(&self, lang: Lang, plan: &SessionPlan, tenant_name: &str) -> String {
        let msg = if plan.mode == LaunchMode::Tmux {
            Msg::SessionBannerNoTmux
        } else {
            Msg::SessionBanner
        };
        fill(
            t(lang, msg),
            &[&sanitize(tenant_name), &sanitize(&plan.target)],
        )
    }

    /// `tmux new-window -n NAME -- ARGV...`: tmux runs the argv itself (no shell) when it
    /// gets more than one argument; a lone program goes through `env` for that reason.
    pub async fn tmux_window(&self, plan: &SessionPlan) -> SessionResult {
        let mut cmd = Command::new("tmux");
        cmd.args(["new-window", "-n", &plan.window_name(), "--"]);
        if plan.argv.len() == 1 {
            cmd.args(["env", "--"]);
        }
        cmd.args(&plan.argv).stdin(Stdio::null());
        match cmd.output().await {
            Ok(out) if out.status.success() => SessionResult::Started,
            Ok(out) => {
                let said = String::from_utf8_lossy(&out.stderr);
                let first = said.lines().next().unwrap_or_default().trim();
                SessionResult::NotStarted(format!(
                    "tmux: {first} ({})",
                    Exit::of(out.status).describe(Lang::En)
                ))
            }
            Err(e) => SessionResult::NotStarted(format!("tmux: {e}")),
        }
    }

    /// A program that opens its own window (RDP, VNC viewers).
    pub fn spawn(&self, plan: &SessionPlan) -> SessionResult {
        self.detached(&plan.profile, &plan.argv)
    }

    /// The URL of `plan` in `$BROWSER` or `xdg-open`.
    pub fn open(&self, plan: &SessionPlan) -> SessionResult {
        let browser = self.browser.clone().unwrap_or_else(|| "xdg-open".into());
        let mut argv = vec![browser];
        argv.extend(plan.argv.iter().cloned());
        self.detached(&plan.profile, &argv)
    }

    /// The command line of `plan` to the local clipboard through the terminal (OSC 52).
    pub fn copy(&self, plan: &SessionPlan, out: &mut dyn Write) -> SessionResult {
        let bytes = osc52::sequence(&plan.command_line(), self.in_tmux);
        match out.write_all(&bytes).and_then(|()| out.flush()) {
            Ok(()) => SessionResult::Copied,
            Err(e) => SessionResult::NotStarted(e.to_string()),
        }
    }

    /// Starts `argv` in its own process group with no terminal input and its output in the
    /// log; a task waits for it (no zombies) and reports how it ended.
    fn detached(&self, profile: &str, argv: &[String]) -> SessionResult {
        let mut cmd = Command::new(&argv[0]);
        cmd.args(&argv[1..])
            .stdin(Stdio::null())
            .stdout(self.log_output())
            .stderr(self.log_output())
            .process_group(0);
        let mut child = match cmd.spawn() {
            Ok(child) => child,
            Err(e) => return SessionResult::NotStarted(format!("{}: {e}", argv[0])),
        };
        let ended = self.ended.clone();
        let (profile, program) = (profile.to_string(), argv[0].clone());
        tokio::spawn(async move {
            let exit = child.wait().await.ok().map(Exit::of);
            tracing::info!(profile, program, ?exit, "detached session program ended");
            let _ = ended.send(DetachedEnd {
                profile,
                program,
                exit,
            });
        });
        SessionResult::Started
    }

    fn log_output(&self) -> Stdio {
        let file = self.log_file.as_ref().and_then(|path| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .ok()
        });
        file.map_or_else(Stdio::null, Stdio::from)
    }
}

/// Starts an inline session's program on the real terminal (stdin, stdout and stderr
/// inherited). The caller has handed the terminal over and waits for it.
pub fn start_inline(plan: &SessionPlan) -> std::io::Result<Child> {
    Command::new(&plan.argv[0]).args(&plan.argv[1..]).spawn()
}
