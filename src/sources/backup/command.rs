//! Running the restic and borg programs. A command is an argv (never a shell line: values
//! from the config are arguments of their own) with standard input closed and a fixed
//! environment: a few variables of nightdesk's own (`PATH`, `HOME`, locale, `SSH_AUTH_SOCK`),
//! and what the connector sets, the repository password among them. The password lives only
//! in the child's environment: never in its argv, never in a log line ([`Invocation`]'s
//! `Debug` shows `***`). Each run has a timeout (the child is killed when it is over), and a
//! process-wide bound limits the programs running at once. Exit codes and the first line
//! of standard error become [`SourceError`]s that say what is wrong.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::Semaphore;

use crate::config::SecretString;
use crate::sources::SourceError;
use crate::sources::http::snippet;

/// Programs running at once across all sources unless configured otherwise.
pub const DEFAULT_MAX_PROCESSES: usize = 4;

/// Largest output read from a program; more is refused.
pub const MAX_OUTPUT_BYTES: u64 = 64 * 1024 * 1024;

/// The variables of nightdesk's environment a child gets; the rest stays out (it may hold
/// other sources' secrets). `HOME` and `SSH_AUTH_SOCK` let `sftp:` / `ssh://` repositories
/// use the user's SSH setup.
const PASSED_THROUGH: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TMPDIR",
    "SSH_AUTH_SOCK",
];

/// The bound on programs running at once, shared by every backup source of a process.
#[derive(Clone, Debug)]
pub struct ProcessLimit(Arc<Semaphore>);

impl ProcessLimit {
    pub fn new(max: usize) -> Self {
        Self(Arc::new(Semaphore::new(max.max(1))))
    }

    /// Slots not taken right now.
    pub fn available(&self) -> usize {
        self.0.available_permits()
    }
}

impl Default for ProcessLimit {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_PROCESSES)
    }
}

/// The value of a variable set for the child.
#[derive(Clone)]
enum EnvValue {
    Plain(OsString),
    Secret(SecretString),
}

impl EnvValue {
    fn as_os(&self) -> &OsStr {
        match self {
            EnvValue::Plain(v) => v,
            EnvValue::Secret(s) => OsStr::new(s.expose()),
        }
    }
}

/// One run of a program: argv, the variables set for it, its timeout.
#[derive(Clone)]
pub struct Invocation {
    program: PathBuf,
    args: Vec<OsString>,
    env: Vec<(String, EnvValue)>,
    timeout: Duration,
}

/// What a program wrote and how it ended.
#[derive(Debug)]
pub struct Output {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// Why a program could not be run to its end.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("cannot run `{program}`: {error}")]
    Spawn {
        program: String,
        error: std::io::Error,
    },
    #[error("`{program}` did not finish within {} s and was killed", .timeout.as_secs())]
    Timeout { program: String, timeout: Duration },
    #[error("`{program}`: {message}")]
    Output { program: String, message: String },
}

impl From<RunError> for SourceError {
    fn from(e: RunError) -> Self {
        match e {
            RunError::Timeout { timeout, .. } => SourceError::Timeout(timeout.as_secs().max(1)),
            RunError::Spawn { .. } => {
                SourceError::Protocol(format!("{e} (is it installed? set `program` to its path)"))
            }
            RunError::Output { .. } => SourceError::Protocol(e.to_string()),
        }
    }
}

impl Invocation {
    pub fn new(program: impl Into<PathBuf>, timeout: Duration) -> Self {
        Self {
            program: program.into(),
            args: Vec::new(),
            env: Vec::new(),
            timeout,
        }
    }

    pub fn arg(mut self, arg: impl Into<OsString>) -> Self {
        self.args.push(arg.into());
        self
    }

    pub fn args<I, A>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = A>,
        A: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Sets a variable for the child.
    pub fn env(mut self, name: &str, value: impl Into<OsString>) -> Self {
        self.env
            .push((name.to_string(), EnvValue::Plain(value.into())));
        self
    }

    /// Sets a variable holding a secret for the child (shown as `***`).
    pub fn secret_env(mut self, name: &str, value: SecretString) -> Self {
        self.env.push((name.to_string(), EnvValue::Secret(value)));
        self
    }

    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The program and its arguments, as a process listing shows them.
    pub fn argv(&self) -> Vec<OsString> {
        std::iter::once(self.program.clone().into_os_string())
            .chain(self.args.iter().cloned())
            .collect()
    }

    /// The names of the variables set for the child.
    pub fn env_names(&self) -> Vec<&str> {
        self.env.iter().map(|(n, _)| n.as_str()).collect()
    }

    /// The value of a variable set for the child that is not a secret.
    pub fn plain_env(&self, name: &str) -> Option<&OsStr> {
        self.env.iter().find_map(|(n, v)| match v {
            EnvValue::Plain(value) if n == name => Some(value.as_os_str()),
            _ => None,
        })
    }

    /// The program's name for messages (`restic`).
    pub fn program_name(&self) -> String {
        self.program
            .file_name()
            .unwrap_or(self.program.as_os_str())
            .to_string_lossy()
            .into_owned()
    }

    /// Runs the program once a slot is free, standard input closed, and waits for it within
    /// the timeout (killing it when that is over).
    pub async fn run(&self, limit: &ProcessLimit) -> Result<Output, RunError> {
        let _slot = limit.0.acquire().await.map_err(|_| RunError::Output {
            program: self.program_name(),
            message: "nightdesk is shutting down".into(),
        })?;
        let mut child = self.command().spawn().map_err(|error| RunError::Spawn {
            program: self.program.display().to_string(),
            error,
        })?;
        let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
            return Err(self.output_error("no output pipes"));
        };
        let finished = tokio::time::timeout(self.timeout, async {
            tokio::join!(read_capped(stdout), read_capped(stderr), child.wait())
        })
        .await;
        let Ok((stdout, stderr, status)) = finished else {
            // Over time: the child is killed (and reaped) before the slot is given back.
            let _ = child.kill().await;
            return Err(RunError::Timeout {
                program: self.program_name(),
                timeout: self.timeout,
            });
        };
        let status = status.map_err(|e| self.output_error(&e.to_string()))?;
        let stdout = stdout.map_err(|e| self.output_error(&e))?;
        let stderr = stderr.map_err(|e| self.output_error(&e))?;
        Ok(Output {
            status,
            stdout,
            stderr,
        })
    }

    fn command(&self) -> tokio::process::Command {
        let mut command = tokio::process::Command::new(&self.program);
        command
            .args(&self.args)
            .env_clear()
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for name in PASSED_THROUGH {
            if let Some(value) = std::env::var_os(name) {
                command.env(name, value);
            }
        }
        for (name, value) in &self.env {
            command.env(name, value.as_os());
        }
        command
    }

    fn output_error(&self, message: &str) -> RunError {
        RunError::Output {
            program: self.program_name(),
            message: message.to_string(),
        }
    }
}

impl fmt::Debug for Invocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let env: Vec<String> = self
            .env
            .iter()
            .map(|(name, value)| match value {
                EnvValue::Plain(v) => format!("{name}={}", v.to_string_lossy()),
                EnvValue::Secret(_) => format!("{name}=***"),
            })
            .collect();
        f.debug_struct("Invocation")
            .field("argv", &self.argv())
            .field("env", &env)
            .field("timeout", &self.timeout)
            .finish()
    }
}

async fn read_capped(pipe: impl AsyncRead + Unpin) -> Result<Vec<u8>, String> {
    let mut buffer = Vec::new();
    pipe.take(MAX_OUTPUT_BYTES + 1)
        .read_to_end(&mut buffer)
        .await
        .map_err(|e| e.to_string())?;
    if buffer.len() as u64 > MAX_OUTPUT_BYTES {
        return Err(format!(
            "output larger than {} MB refused",
            MAX_OUTPUT_BYTES / (1024 * 1024)
        ));
    }
    Ok(buffer)
}

impl Output {
    /// The exit code; `None` when a signal ended the program.
    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }

    /// The first non-empty line of standard error, one line of at most 200 characters.
    pub fn first_stderr_line(&self) -> String {
        first_line(&String::from_utf8_lossy(&self.stderr))
    }
}

fn first_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(snippet)
        .unwrap_or_default()
}

/// A backup program nightdesk reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tool {
    Restic,
    Borg,
}

impl Tool {
    pub fn name(self) -> &'static str {
        match self {
            Tool::Restic => "restic",
            Tool::Borg => "borg",
        }
    }

    /// The error a finished run of the program means, for the repository at `repository`;
    /// `None` for success and for the program's non-fatal outcomes (restic 3: some files
    /// unreadable; borg 1: warnings), which the caller weighs.
    pub fn failure(self, output: &Output, repository: &str) -> Option<SourceError> {
        match self {
            Tool::Restic => restic_failure(output, repository),
            Tool::Borg => borg_failure(output, repository),
        }
    }
}

/// restic: 1 fatal (the message says which: wrong password, no repository, locked),
/// 3 partial, 10 no repository, 11 lock failed, 12 wrong password (restic 0.17+; 0.14 says
/// all of these with exit 1 and its message).
fn restic_failure(output: &Output, repository: &str) -> Option<SourceError> {
    let code = output.code();
    if matches!(code, Some(0 | 3)) {
        return None;
    }
    let line = output.first_stderr_line();
    let lower = String::from_utf8_lossy(&output.stderr).to_lowercase();
    Some(
        if code == Some(12) || lower.contains("wrong password") || lower.contains("no key found") {
            SourceError::Auth(format!("restic repository {repository}: {line}"))
        } else if code == Some(10)
            || lower.contains("unable to open config file")
            || lower.contains("is there a repository")
        {
            SourceError::Protocol(format!("no restic repository at {repository}: {line}"))
        } else if code == Some(11) || lower.contains("already locked") {
            SourceError::Unreachable(format!("restic repository {repository} is locked: {line}"))
        } else {
            SourceError::Protocol(format!("restic {}: {line}", exit_words(code)))
        },
    )
}

/// borg (run with `--log-json`): 0 success, 1 warning, 2 error, 128+N a signal; the error's
/// `msgid` says which (`PassphraseWrong`, `Repository.DoesNotExist`, `LockTimeout`, ...).
fn borg_failure(output: &Output, repository: &str) -> Option<SourceError> {
    let code = output.code();
    if matches!(code, Some(0 | 1)) {
        return None;
    }
    let (msgid, message) = borg_error_message(&output.stderr);
    let lower = message.to_lowercase();
    Some(match msgid.as_deref() {
        Some("PassphraseWrong") => {
            SourceError::Auth(format!("borg repository {repository}: {message}"))
        }
        _ if lower.contains("passphrase") && lower.contains("incorrect") => {
            SourceError::Auth(format!("borg repository {repository}: {message}"))
        }
        Some("Repository.DoesNotExist" | "Repository.InvalidRepository") => {
            SourceError::Protocol(format!("no borg repository at {repository}: {message}"))
        }
        Some(id) if id.starts_with("Lock") => {
            SourceError::Unreachable(format!("borg repository {repository} is locked: {message}"))
        }
        _ => SourceError::Protocol(format!("borg {}: {message}", exit_words(code))),
    })
}

/// The `msgid` and message of borg's first error log line (`--log-json`), or the first line
/// of standard error when there is none.
pub fn borg_error_message(stderr: &[u8]) -> (Option<String>, String) {
    let text = String::from_utf8_lossy(stderr);
    for line in text.lines() {
        let Ok(record) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let level = record.get("levelname").and_then(|v| v.as_str());
        if matches!(level, Some("ERROR" | "CRITICAL")) {
            let message = record
                .get("message")
                .and_then(|v| v.as_str())
                .unwrap_or_default();
            let msgid = record
                .get("msgid")
                .and_then(|v| v.as_str())
                .map(str::to_string);
            return (msgid, first_line(message));
        }
    }
    let plain = text
        .lines()
        .filter(|l| serde_json::from_str::<serde_json::Value>(l).is_err())
        .collect::<Vec<_>>()
        .join("\n");
    (None, first_line(&plain))
}

fn exit_words(code: Option<i32>) -> String {
    match code {
        Some(code) => format!("exited with {code}"),
        None => "was ended by a signal".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::ExitStatusExt;

    fn output(code: i32, stderr: &str) -> Output {
        Output {
            status: ExitStatus::from_raw(code << 8),
            stdout: Vec::new(),
            stderr: stderr.as_bytes().to_vec(),
        }
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn the_secret_is_in_the_environment_only() {
        let run = Invocation::new("restic", Duration::from_secs(5))
            .args(["snapshots", "--json"])
            .env("RESTIC_REPOSITORY", "/srv/backup")
            .secret_env("RESTIC_PASSWORD", SecretString::new("hunter2".into()));
        let argv: Vec<String> = run
            .argv()
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(argv, ["restic", "snapshots", "--json"]);
        assert_eq!(run.env_names(), ["RESTIC_REPOSITORY", "RESTIC_PASSWORD"]);
        assert_eq!(run.plain_env("RESTIC_PASSWORD"), None);
        let shown = format!("{run:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("RESTIC_PASSWORD=***"), "{shown}");
    }

    #[test]
    fn the_child_sees_the_secret_and_not_our_environment() {
        // Cargo sets CARGO_PKG_NAME for the test process; the child must not inherit it.
        assert!(std::env::var_os("CARGO_PKG_NAME").is_some());
        let run = Invocation::new("sh", Duration::from_secs(5))
            .args(["-c", "printf '%s|%s|%s' \"$PW\" \"${CARGO_PKG_NAME:-unset}\" \"$HOME\"; read x; echo \"[$x]\""])
            .secret_env("PW", SecretString::new("s3cret".into()));
        let out = runtime().block_on(run.run(&ProcessLimit::new(1))).unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        let home = std::env::var("HOME").unwrap_or_default();
        // stdin is closed: `read` gets end of file at once.
        assert_eq!(text, format!("s3cret|unset|{home}[]\n"));
    }

    #[test]
    fn a_program_over_its_time_is_killed() {
        let limit = ProcessLimit::new(1);
        let run = Invocation::new("sleep", Duration::from_millis(200)).arg("30");
        let started = std::time::Instant::now();
        let e = runtime().block_on(run.run(&limit)).unwrap_err();
        assert!(matches!(e, RunError::Timeout { .. }), "{e}");
        assert!(started.elapsed() < Duration::from_secs(10));
        assert_eq!(limit.available(), 1, "the slot is given back");
        assert!(matches!(SourceError::from(e), SourceError::Timeout(1)));
    }

    #[test]
    fn programs_beyond_the_bound_wait_for_a_slot() {
        let rt = runtime();
        let limit = ProcessLimit::new(1);
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("second-ran");
        rt.block_on(async {
            let first = Invocation::new("sleep", Duration::from_secs(30)).arg("30");
            let held = limit.clone();
            let running = tokio::spawn(async move { first.run(&held).await });
            while limit.available() > 0 {
                tokio::task::yield_now().await;
            }
            let second = Invocation::new("touch", Duration::from_secs(5)).arg(&marker);
            let waited = tokio::time::timeout(Duration::from_millis(300), second.run(&limit)).await;
            assert!(
                waited.is_err(),
                "the second program started while the first ran"
            );
            assert!(!marker.exists());
            running.abort();
            let _ = running.await;
            // The aborted run dropped its child (killed on drop) and its slot.
            second.run(&limit).await.unwrap();
            assert!(marker.exists());
        });
    }

    #[test]
    fn a_missing_program_says_so() {
        let run = Invocation::new("/nonexistent/restic", Duration::from_secs(1));
        let e = runtime()
            .block_on(run.run(&ProcessLimit::new(1)))
            .unwrap_err();
        let e = SourceError::from(e);
        assert!(
            matches!(&e, SourceError::Protocol(m) if m.contains("/nonexistent/restic") && m.contains("program")),
            "{e}"
        );
    }

    #[test]
    fn restic_exit_codes_and_messages_are_mapped() {
        let repo = "/srv/backup/mueller";
        assert_eq!(Tool::Restic.failure(&output(0, ""), repo), None);
        assert_eq!(Tool::Restic.failure(&output(3, "warning"), repo), None);
        let wrong =
            Tool::Restic.failure(&output(1, "Fatal: wrong password or no key found\n"), repo);
        assert_eq!(
            wrong,
            Some(SourceError::Auth(
                "restic repository /srv/backup/mueller: Fatal: wrong password or no key found"
                    .into()
            ))
        );
        assert!(matches!(
            Tool::Restic.failure(&output(12, "Fatal: ..."), repo),
            Some(SourceError::Auth(_))
        ));
        let missing = Tool::Restic.failure(
            &output(1, "Fatal: unable to open config file: stat /srv/x/config: no such file or directory\nIs there a repository at the following location?\n"),
            repo,
        );
        assert!(
            matches!(&missing, Some(SourceError::Protocol(m)) if m.starts_with("no restic repository at /srv/backup/mueller: Fatal: unable to open config file")),
            "{missing:?}"
        );
        assert!(matches!(
            Tool::Restic.failure(&output(10, ""), repo),
            Some(SourceError::Protocol(_))
        ));
        assert!(matches!(
            Tool::Restic.failure(&output(11, "unable to create lock"), repo),
            Some(SourceError::Unreachable(_))
        ));
        let other = Tool::Restic.failure(&output(1, "\n  Fatal: something else\nmore"), repo);
        assert_eq!(
            other,
            Some(SourceError::Protocol(
                "restic exited with 1: Fatal: something else".into()
            ))
        );
    }

    #[test]
    fn borg_errors_are_read_from_its_json_log() {
        let repo = "/srv/borg";
        let wrong = r#"{"type": "log_message", "time": 1.0, "message": "passphrase supplied in BORG_PASSPHRASE, by BORG_PASSCOMMAND or via BORG_PASSPHRASE_FD is incorrect.", "levelname": "ERROR", "name": "borg.archiver", "msgid": "PassphraseWrong"}"#;
        assert!(matches!(
            Tool::Borg.failure(&output(2, wrong), repo),
            Some(SourceError::Auth(m)) if m.contains("is incorrect")
        ));
        let missing = r#"{"type": "log_message", "message": "Repository /srv/borg does not exist.", "levelname": "ERROR", "msgid": "Repository.DoesNotExist"}"#;
        assert_eq!(
            Tool::Borg.failure(&output(2, missing), repo),
            Some(SourceError::Protocol(
                "no borg repository at /srv/borg: Repository /srv/borg does not exist.".into()
            ))
        );
        let locked = r#"{"type": "log_message", "message": "Failed to create/acquire the lock", "levelname": "ERROR", "msgid": "LockTimeout"}"#;
        assert!(matches!(
            Tool::Borg.failure(&output(2, locked), repo),
            Some(SourceError::Unreachable(_))
        ));
        assert_eq!(Tool::Borg.failure(&output(1, "warning"), repo), None);
        let plain = Tool::Borg.failure(&output(2, "Traceback (most recent call last):\n"), repo);
        assert_eq!(
            plain,
            Some(SourceError::Protocol(
                "borg exited with 2: Traceback (most recent call last):".into()
            ))
        );
    }
}
