//! Secrets by reference: the config names where a token lives (`{ env = "VAR" }`,
//! `{ command = ["pass", "show", "x"] }`, `{ file = "/path" }`), and the value is fetched only
//! when a source needs it. Values are wrapped in [`SecretString`], which never prints itself.

use std::ffi::OsString;
use std::fmt;
use std::ops::Range;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use super::diagnostic::Collector;

/// The hint shown when a secret is written inline.
pub const SECRET_HINT: &str = "use { env = \"VAR\" } / { command = [...] } / { file = \"...\" }";

/// Where a secret comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Secret {
    /// An environment variable of the nightdesk process.
    Env(String),
    /// A program and its arguments, run without a shell; its standard output is the secret.
    Command(Vec<String>),
    /// A file whose content is the secret.
    File(PathBuf),
}

/// A secret value. `Debug` and `Display` print `***`; only [`SecretString::expose`] gives the
/// value, so it cannot end up in a log line by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretString(String);

impl SecretString {
    pub fn new(value: String) -> Self {
        Self(value)
    }

    /// The value itself, for the one place that sends it (an HTTP header, ...).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Why a secret could not be fetched. Never contains the secret itself.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("environment variable `{0}` is not set")]
    EnvUnset(String),
    #[error("environment variable `{0}` is not valid UTF-8")]
    EnvNotUnicode(String),
    #[error("cannot run `{program}`: {source}")]
    CommandSpawn {
        program: String,
        source: std::io::Error,
    },
    #[error("`{program}` failed ({status}): {stderr}")]
    CommandFailed {
        program: String,
        status: String,
        stderr: String,
    },
    #[error("output of `{0}` is not valid UTF-8")]
    CommandNotUnicode(String),
    #[error("cannot read secret file {path}: {source}")]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("secret file {0} is not valid UTF-8")]
    FileNotUnicode(PathBuf),
    #[error("the secret from {0} is empty")]
    Empty(String),
}

impl Secret {
    /// Fetches the value, reading the process environment for `env` secrets.
    pub fn resolve(&self) -> Result<SecretString, SecretError> {
        self.resolve_with(&|name| std::env::var_os(name))
    }

    /// Fetches the value with `env` as the environment lookup (for tests and callers that keep
    /// their own environment).
    pub fn resolve_with(
        &self,
        env: &dyn Fn(&str) -> Option<OsString>,
    ) -> Result<SecretString, SecretError> {
        let value = match self {
            Secret::Env(name) => env(name)
                .ok_or_else(|| SecretError::EnvUnset(name.clone()))?
                .into_string()
                .map_err(|_| SecretError::EnvNotUnicode(name.clone()))?,
            Secret::Command(argv) => run_command(argv)?,
            Secret::File(path) => read_file(path)?,
        };
        let value = value.trim_end_matches(['\n', '\r']).to_string();
        if value.is_empty() {
            return Err(SecretError::Empty(self.describe()));
        }
        Ok(SecretString(value))
    }

    /// Where the secret comes from, safe to show: `env AM_TOKEN`, `command pass`, `file /p`.
    pub fn describe(&self) -> String {
        match self {
            Secret::Env(name) => format!("env {name}"),
            Secret::Command(argv) => format!("command {}", argv.join(" ")),
            Secret::File(path) => format!("file {}", path.display()),
        }
    }
}

fn run_command(argv: &[String]) -> Result<String, SecretError> {
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| SecretError::Empty("an empty command".into()))?;
    let output = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|source| SecretError::CommandSpawn {
            program: program.clone(),
            source,
        })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let first_line: String = stderr
            .lines()
            .next()
            .unwrap_or("")
            .chars()
            .take(200)
            .collect();
        return Err(SecretError::CommandFailed {
            program: program.clone(),
            status: output.status.to_string(),
            stderr: first_line,
        });
    }
    String::from_utf8(output.stdout).map_err(|_| SecretError::CommandNotUnicode(program.clone()))
}

fn read_file(path: &PathBuf) -> Result<String, SecretError> {
    let bytes = std::fs::read(path).map_err(|source| SecretError::File {
        path: path.clone(),
        source,
    })?;
    String::from_utf8(bytes).map_err(|_| SecretError::FileNotUnicode(path.clone()))
}

/// How a source authenticates, as configured: a token (API key, bearer token, API token),
/// or a user name with a password or secret. Each connector sends it the way its API wants
/// (basic auth, `Authorization: Bearer`, a JSON-RPC login, query parameters).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Auth {
    Token(Secret),
    Login { user: String, password: Secret },
}

/// [`Auth`] with its secret fetched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credentials {
    Token(SecretString),
    Login {
        user: String,
        password: SecretString,
    },
}

impl Auth {
    /// Fetches the secret (runs a command or reads a file: call it off the UI thread).
    pub fn resolve(&self) -> Result<Credentials, SecretError> {
        Ok(match self {
            Auth::Token(secret) => Credentials::Token(secret.resolve()?),
            Auth::Login { user, password } => Credentials::Login {
                user: user.clone(),
                password: password.resolve()?,
            },
        })
    }

    /// The secret reference inside.
    pub fn secret(&self) -> &Secret {
        match self {
            Auth::Token(secret)
            | Auth::Login {
                password: secret, ..
            } => secret,
        }
    }

    /// Safe to show: `token from env AM_TOKEN`, `user ci, password from file /p`.
    pub fn describe(&self) -> String {
        match self {
            Auth::Token(secret) => format!("token from {}", secret.describe()),
            Auth::Login { user, password } => {
                format!("user {user}, password from {}", password.describe())
            }
        }
    }
}

/// Reads `auth = ...`: a secret reference (a token), or `{ user = "..", password = <secret
/// reference> }`.
pub(crate) fn parse_auth(
    value: &toml::Value,
    span: Range<usize>,
    diags: &mut Collector<'_>,
) -> Option<Auth> {
    let toml::Value::Table(table) = value else {
        return parse_secret(value, span, diags).map(Auth::Token);
    };
    if !table.contains_key("user") && !table.contains_key("password") {
        return parse_secret(value, span, diags).map(Auth::Token);
    }
    let hint = "write `auth = { user = \"name\", password = { env = \"VAR\" } }`";
    let user = match table.get("user") {
        Some(toml::Value::String(u)) if !u.trim().is_empty() => u.clone(),
        _ => {
            diags.error(
                span,
                "a login needs `user`, a non-empty string",
                Some(hint.into()),
            );
            return None;
        }
    };
    if let Some(other) = table.keys().find(|k| *k != "user" && *k != "password") {
        diags.error(
            span,
            format!("unknown key `{other}` in a login"),
            Some(hint.into()),
        );
        return None;
    }
    let Some(password) = table.get("password") else {
        diags.error(span, "a login needs `password`", Some(hint.into()));
        return None;
    };
    let password = parse_secret(password, span, diags)?;
    Some(Auth::Login { user, password })
}

/// Reads a secret reference from its TOML value. Anything but a table with exactly one of
/// `env`, `command`, `file` is refused; the value itself never appears in a message.
pub(crate) fn parse_secret(
    value: &toml::Value,
    span: Range<usize>,
    diags: &mut Collector<'_>,
) -> Option<Secret> {
    Secret::from_toml(value)
        .map_err(|message| diags.error(span, message, Some(SECRET_HINT.to_string())))
        .ok()
}

impl Secret {
    /// The secret reference a TOML value writes (`{ env = "VAR" }`, ...), or why it is none;
    /// the message never contains the value (settings of a connector read their own secret
    /// references with it).
    pub fn from_toml(value: &toml::Value) -> Result<Secret, String> {
        let toml::Value::Table(table) = value else {
            return Err(
                "secrets are not written into the config; refer to where the secret lives".into(),
            );
        };
        let mut entries = table.iter();
        let (Some((key, inner)), None) = (entries.next(), entries.next()) else {
            return Err("a secret reference has exactly one of `env`, `command`, `file`".into());
        };
        match (key.as_str(), inner) {
            ("env", toml::Value::String(name)) if !name.is_empty() => Ok(Secret::Env(name.clone())),
            ("file", toml::Value::String(path)) if !path.is_empty() => {
                Ok(Secret::File(PathBuf::from(path)))
            }
            ("command", toml::Value::Array(argv)) => {
                let argv: Option<Vec<String>> = argv
                    .iter()
                    .map(|a| a.as_str().map(str::to_string))
                    .collect();
                match argv {
                    Some(argv) if !argv.is_empty() && !argv[0].is_empty() => {
                        Ok(Secret::Command(argv))
                    }
                    _ => Err(
                        "`command` is a non-empty list of strings: the program, then its arguments"
                            .into(),
                    ),
                }
            }
            ("env" | "file", _) => Err(format!("`{key}` needs a non-empty string")),
            ("command", _) => Err(
                "`command` is a list of strings (argv, no shell), e.g. [\"pass\", \"show\", \"x\"]"
                    .into(),
            ),
            (other, _) => Err(format!("unknown secret reference `{other}`")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_string_never_prints_its_value() {
        let s = SecretString::new("hunter2".into());
        assert_eq!(format!("{s:?}"), "***");
        assert_eq!(format!("{s}"), "***");
        assert_eq!(format!("{:?}", Some(&s)), "Some(***)");
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn env_secret_uses_the_lookup() {
        let lookup = |name: &str| (name == "AM_TOKEN").then(|| OsString::from("tok\n"));
        let s = Secret::Env("AM_TOKEN".into())
            .resolve_with(&lookup)
            .unwrap();
        assert_eq!(s.expose(), "tok");
        let err = Secret::Env("OTHER".into())
            .resolve_with(&lookup)
            .unwrap_err();
        assert_eq!(err.to_string(), "environment variable `OTHER` is not set");
    }

    #[test]
    fn env_secret_reads_the_process_environment() {
        let path = std::env::var("PATH").expect("PATH is set for tests");
        let s = Secret::Env("PATH".into()).resolve().unwrap();
        assert_eq!(s.expose(), path.trim_end_matches(['\n', '\r']));
    }

    #[test]
    fn command_secret_runs_argv_without_shell() {
        let s = Secret::Command(vec!["printf".into(), "s3cret".into()])
            .resolve()
            .unwrap();
        assert_eq!(s.expose(), "s3cret");
        // No shell: `$HOME` and `;` reach printf literally.
        let s = Secret::Command(vec!["printf".into(), "%s".into(), "$HOME;x".into()])
            .resolve()
            .unwrap();
        assert_eq!(s.expose(), "$HOME;x");
    }

    #[test]
    fn failing_command_reports_status_not_output() {
        let err = Secret::Command(vec![
            "sh".into(),
            "-c".into(),
            "echo leak; echo bad >&2; exit 3".into(),
        ])
        .resolve()
        .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("bad"), "{text}");
        assert!(!text.contains("leak"), "{text}");
        let err = Secret::Command(vec!["/nonexistent/nightdesk-helper".into()])
            .resolve()
            .unwrap_err();
        assert!(matches!(err, SecretError::CommandSpawn { .. }));
    }

    #[test]
    fn file_secret_strips_trailing_newline() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "file-s3cret\n").unwrap();
        let s = Secret::File(path.clone()).resolve().unwrap();
        assert_eq!(s.expose(), "file-s3cret");
        std::fs::write(&path, "\n").unwrap();
        assert!(matches!(
            Secret::File(path).resolve(),
            Err(SecretError::Empty(_))
        ));
    }
}
