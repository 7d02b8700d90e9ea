//! The config file: where it lives ([`paths`]), its TOML schema, secrets by reference
//! ([`secret`]), diagnostics with file, line and column ([`diagnostic`]), `config check`
//! ([`check`]) and `init` ([`init`]).
//!
//! Loading parses each section on its own and then runs semantic checks, so one run reports
//! every problem it can find, not just the first.

pub mod check;
pub mod diagnostic;
mod duration;
pub mod init;
mod load;
pub mod notify;
pub mod paths;
pub mod secret;
pub mod sessions;
pub mod source;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};

pub use check::{CheckReport, check};
pub use diagnostic::{Diagnostic, Position, Severity};
pub use duration::{DURATION_HINT, parse_duration};
pub use init::{InitError, STARTER_CONFIG, init};
pub use paths::{BaseDirs, CONFIG_ENV, Located, Origin, Paths, PathsError};
pub use secret::{Auth, Credentials, Secret, SecretError, SecretString};
pub use sessions::{LaunchMode, Profile, SessionsConfig};
pub use source::{DemoSettings, MappingConfig, SourceConfig, SourceKind};

use crate::model::TenantId;
use crate::sla::spec::ContractSpec;

/// The whole configuration, validated.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Config {
    pub ui: UiConfig,
    pub defaults: Defaults,
    /// `[contracts.<name>]`, shape only; the SLA engine turns them into contracts.
    pub contracts: BTreeMap<String, ContractSpec>,
    pub tenants: Vec<TenantConfig>,
    pub sources: Vec<SourceConfig>,
    /// `[views]`: saved filters by name (`view NAME` applies one).
    pub views: BTreeMap<String, String>,
    /// `[sessions]`: launch profiles for remote sessions (built-ins when absent).
    pub sessions: SessionsConfig,
    /// `[notifications]`: the switch and the rules.
    pub notifications: notify::NotifyConfig,
    /// Findings that do not stop loading (e.g. `insecure = true`).
    pub warnings: Vec<Diagnostic>,
}

/// `[ui]`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UiConfig {
    /// A built-in theme or a file `<config dir>/themes/<name>.toml`.
    pub theme: String,
    pub keymap: KeymapPreset,
    pub lang: Lang,
    /// My agent name in the ticket systems (`take` assigns to it).
    pub user: Option<String>,
    /// IANA zone for showing times; `None` = the system's zone.
    pub time_zone: Option<String>,
}

impl Default for UiConfig {
    fn default() -> Self {
        Self {
            theme: "night".into(),
            keymap: KeymapPreset::Default,
            lang: Lang::Auto,
            user: None,
            time_zone: None,
        }
    }
}

/// The keymap preset under the user's `keymap.toml`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum KeymapPreset {
    #[default]
    Default,
    Vim,
    Emacs,
}

impl KeymapPreset {
    pub const ALL: [KeymapPreset; 3] = [
        KeymapPreset::Default,
        KeymapPreset::Vim,
        KeymapPreset::Emacs,
    ];

    pub fn name(self) -> &'static str {
        match self {
            KeymapPreset::Default => "default",
            KeymapPreset::Vim => "vim",
            KeymapPreset::Emacs => "emacs",
        }
    }

    pub fn parse(name: &str) -> Option<KeymapPreset> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }
}

/// The user interface language.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Lang {
    /// From `LC_ALL`, `LC_MESSAGES`, `LANG` (first one set).
    #[default]
    Auto,
    En,
    De,
}

impl Lang {
    pub fn parse(name: &str) -> Option<Lang> {
        match name {
            "auto" => Some(Lang::Auto),
            "en" => Some(Lang::En),
            "de" => Some(Lang::De),
            _ => None,
        }
    }

    /// `En` or `De`: `Auto` is decided by the process locale.
    pub fn resolve(self) -> Lang {
        self.resolve_with(&|name| std::env::var_os(name))
    }

    /// `En` or `De`, with `env` as the environment lookup. German for any `de*` locale,
    /// English otherwise (including `C` and `POSIX`).
    pub fn resolve_with(self, env: &dyn Fn(&str) -> Option<OsString>) -> Lang {
        if self != Lang::Auto {
            return self;
        }
        let locale = ["LC_ALL", "LC_MESSAGES", "LANG"]
            .into_iter()
            .filter_map(env)
            .map(|v| v.to_string_lossy().into_owned())
            .find(|v| !v.is_empty())
            .unwrap_or_default();
        if locale.to_ascii_lowercase().starts_with("de") {
            Lang::De
        } else {
            Lang::En
        }
    }
}

/// `[defaults]`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Defaults {
    /// Contract of tenants that name none.
    pub contract: Option<String>,
    /// HTTP requests in flight across all sources at most.
    pub max_in_flight: usize,
}

impl Default for Defaults {
    fn default() -> Self {
        Self {
            contract: None,
            max_in_flight: crate::sources::http::DEFAULT_MAX_IN_FLIGHT,
        }
    }
}

/// The 16 German states, by their two-letter code.
pub const BUNDESLAND_CODES: [&str; 16] = [
    "BW", "BY", "BE", "BB", "HB", "HH", "HE", "MV", "NI", "NW", "RP", "SL", "SN", "ST", "SH", "TH",
];

/// One `[[tenants]]` entry, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TenantConfig {
    pub id: TenantId,
    /// Display name; the id when not given.
    pub name: String,
    /// The tenant's contract, or `[defaults] contract`; `None` when neither is set.
    pub contract: Option<String>,
    /// Bundesland code (upper case) whose holidays apply to this tenant.
    pub state: Option<String>,
    /// Known hosts (informative).
    pub hosts: Vec<String>,
}

impl Config {
    /// Loads a config file that must exist.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = read(path, None)?;
        Config::parse(path, &text)
    }

    /// Loads the config file of `paths`: a missing file is fine for the default location
    /// (built-in defaults apply) but an error when named by `--config` or the environment.
    pub fn load_located(file: &Located) -> Result<Config, ConfigError> {
        match read(&file.path, Some(file.origin)) {
            Ok(text) => Config::parse(&file.path, &text),
            Err(ConfigError::NotFound { .. }) if !file.origin.is_explicit() => {
                Ok(Config::default())
            }
            Err(e) => Err(e),
        }
    }

    /// Parses and checks config text; `file` is used in the diagnostics.
    pub fn parse(file: &Path, text: &str) -> Result<Config, ConfigError> {
        load::parse(file, text)
    }

    pub fn tenant(&self, id: &str) -> Option<&TenantConfig> {
        self.tenants.iter().find(|t| t.id.as_str() == id)
    }

    /// The contract that applies to `tenant`.
    pub fn contract_of(&self, tenant: &TenantConfig) -> Option<&ContractSpec> {
        tenant.contract.as_ref().and_then(|c| self.contracts.get(c))
    }
}

fn read(path: &Path, origin: Option<Origin>) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            ConfigError::NotFound {
                path: path.to_path_buf(),
                origin,
            }
        } else {
            ConfigError::Read {
                path: path.to_path_buf(),
                source,
            }
        }
    })
}

/// Why a config could not be used.
#[derive(Debug)]
pub enum ConfigError {
    /// An explicitly named config file does not exist.
    NotFound {
        path: PathBuf,
        origin: Option<Origin>,
    },
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file has errors; `findings` holds every error and warning found.
    Invalid { findings: Vec<Diagnostic> },
}

impl ConfigError {
    /// The error as diagnostics, for uniform rendering.
    pub fn findings(&self) -> Vec<Diagnostic> {
        match self {
            ConfigError::NotFound { path, origin } => {
                let named_by = origin
                    .map(|o| format!(" (named by {o})"))
                    .unwrap_or_default();
                vec![
                    Diagnostic::error(format!("config file not found{named_by}"))
                        .in_file(path)
                        .with_hint(format!(
                            "create it with `nightdesk init --config {}`, or fix the path",
                            path.display()
                        )),
                ]
            }
            ConfigError::Read { path, source } => {
                vec![Diagnostic::error(format!("cannot read config file: {source}")).in_file(path)]
            }
            ConfigError::Invalid { findings } => findings.clone(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rendered: Vec<String> = self.findings().iter().map(ToString::to_string).collect();
        f.write_str(&rendered.join("\n"))
    }
}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConfigError::Read { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Test helper for the connectors: the kind of one `[[sources]]` entry made of `head` (its
/// id, kind, address and auth) and the `keys` under test, or the config error as text.
#[cfg(test)]
pub(crate) fn source_kind_for_tests(head: &str, keys: &str) -> Result<SourceKind, String> {
    let text = format!("[[sources]]\n{head}\n{keys}");
    let mut config =
        Config::parse(std::path::Path::new("test.toml"), &text).map_err(|e| e.to_string())?;
    Ok(config.sources.remove(0).kind)
}
