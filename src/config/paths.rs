//! Where nightdesk keeps its files, and where each location came from: the config file is
//! `--config FILE`, else `$NIGHTDESK_CONFIG`, else the XDG config dir; keymap and user themes
//! live next to the config file in use; the data and state dirs follow XDG (platform dirs
//! elsewhere).

use std::ffi::OsStr;
use std::fmt;
use std::path::{Path, PathBuf};

use directories::ProjectDirs;

/// The environment variable that names the config file.
pub const CONFIG_ENV: &str = "NIGHTDESK_CONFIG";

/// The application name used for the XDG directories.
pub const APP_NAME: &str = "nightdesk";

/// Who decided a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The `--config` command line flag.
    Flag,
    /// The `NIGHTDESK_CONFIG` environment variable.
    Env,
    /// The XDG base directories (`$XDG_CONFIG_HOME`, ...; platform dirs outside Linux).
    Xdg,
}

impl Origin {
    /// An explicitly named config file must exist; the default one may be absent.
    pub fn is_explicit(self) -> bool {
        !matches!(self, Origin::Xdg)
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Origin::Flag => "--config",
            Origin::Env => "$NIGHTDESK_CONFIG",
            Origin::Xdg => "xdg",
        })
    }
}

/// A path and who decided it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    pub path: PathBuf,
    pub origin: Origin,
}

impl Located {
    pub fn new(path: impl Into<PathBuf>, origin: Origin) -> Self {
        Self {
            path: path.into(),
            origin,
        }
    }
}

/// The per-user base directories of the platform, already including the app name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BaseDirs {
    pub config: PathBuf,
    pub data: PathBuf,
    pub state: PathBuf,
}

impl BaseDirs {
    /// From the `directories` crate: XDG on Linux (honouring `$XDG_*_HOME`), the platform's
    /// own dirs elsewhere. State is the XDG state dir on Linux, else the local data dir.
    pub fn from_system() -> Result<BaseDirs, PathsError> {
        let dirs = ProjectDirs::from("", "", APP_NAME).ok_or(PathsError::NoHome)?;
        let state = dirs
            .state_dir()
            .unwrap_or_else(|| dirs.data_local_dir())
            .to_path_buf();
        Ok(BaseDirs {
            config: dirs.config_dir().to_path_buf(),
            data: dirs.data_dir().to_path_buf(),
            state,
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PathsError {
    #[error("cannot find the home directory to place config and data in")]
    NoHome,
}

/// Every path nightdesk reads or writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Paths {
    pub config_file: Located,
    /// The directory of the config file: keymap and user themes live here.
    pub config_dir: Located,
    pub keymap_file: Located,
    pub themes_dir: Located,
    /// Local database (snoozes, notes, audit log, snapshot cache).
    pub data_dir: Located,
    /// Logs: `nightdesk.log` and `panic.log`.
    pub state_dir: Located,
}

impl Paths {
    /// Resolves the paths from the process environment and the platform's dirs.
    pub fn discover(flag: Option<&Path>) -> Result<Paths, PathsError> {
        let env = std::env::var_os(CONFIG_ENV);
        Ok(Paths::resolve(
            flag,
            env.as_deref(),
            BaseDirs::from_system()?,
        ))
    }

    /// The precedence rules, with every input passed in: `flag` > `env_config` (ignored when
    /// empty) > `<base.config>/config.toml`.
    pub fn resolve(flag: Option<&Path>, env_config: Option<&OsStr>, base: BaseDirs) -> Paths {
        let config_file = match (flag, env_config.filter(|v| !v.is_empty())) {
            (Some(file), _) => Located::new(file, Origin::Flag),
            (None, Some(file)) => Located::new(file, Origin::Env),
            (None, None) => Located::new(base.config.join("config.toml"), Origin::Xdg),
        };
        let dir = match config_file.path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let origin = config_file.origin;
        Paths {
            keymap_file: Located::new(dir.join("keymap.toml"), origin),
            themes_dir: Located::new(dir.join("themes"), origin),
            config_dir: Located::new(dir, origin),
            config_file,
            data_dir: Located::new(base.data, Origin::Xdg),
            state_dir: Located::new(base.state, Origin::Xdg),
        }
    }

    pub fn log_file(&self) -> PathBuf {
        self.state_dir.path.join("nightdesk.log")
    }

    pub fn panic_log(&self) -> PathBuf {
        self.state_dir.path.join("panic.log")
    }

    /// Label, path and origin of each path, for `nightdesk --version`.
    pub fn listing(&self) -> Vec<(&'static str, PathBuf, Origin)> {
        let state = self.state_dir.origin;
        vec![
            (
                "config",
                self.config_file.path.clone(),
                self.config_file.origin,
            ),
            (
                "keymap",
                self.keymap_file.path.clone(),
                self.keymap_file.origin,
            ),
            (
                "themes",
                self.themes_dir.path.clone(),
                self.themes_dir.origin,
            ),
            ("data", self.data_dir.path.clone(), self.data_dir.origin),
            ("log", self.log_file(), state),
            ("panic log", self.panic_log(), state),
        ]
    }
}

/// One line per path: `config     /home/x/.config/nightdesk/config.toml (xdg)`.
impl fmt::Display for Paths {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (label, path, origin) in self.listing() {
            writeln!(f, "{label:<10} {} ({origin})", path.display())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> BaseDirs {
        BaseDirs {
            config: "/home/u/.config/nightdesk".into(),
            data: "/home/u/.local/share/nightdesk".into(),
            state: "/home/u/.local/state/nightdesk".into(),
        }
    }

    #[test]
    fn flag_wins_over_env_and_xdg() {
        let p = Paths::resolve(
            Some(Path::new("/etc/nd/oncall.toml")),
            Some(OsStr::new("/tmp/env.toml")),
            base(),
        );
        assert_eq!(
            p.config_file,
            Located::new("/etc/nd/oncall.toml", Origin::Flag)
        );
        assert_eq!(
            p.keymap_file,
            Located::new("/etc/nd/keymap.toml", Origin::Flag)
        );
        assert_eq!(p.themes_dir.path, Path::new("/etc/nd/themes"));
    }

    #[test]
    fn env_wins_over_xdg_unless_empty() {
        let p = Paths::resolve(None, Some(OsStr::new("/tmp/env.toml")), base());
        assert_eq!(p.config_file, Located::new("/tmp/env.toml", Origin::Env));
        let p = Paths::resolve(None, Some(OsStr::new("")), base());
        assert_eq!(p.config_file.origin, Origin::Xdg);
    }

    #[test]
    fn xdg_default_layout() {
        let p = Paths::resolve(None, None, base());
        assert_eq!(
            p.config_file.path,
            Path::new("/home/u/.config/nightdesk/config.toml")
        );
        assert_eq!(
            p.keymap_file.path,
            Path::new("/home/u/.config/nightdesk/keymap.toml")
        );
        assert_eq!(
            p.log_file(),
            Path::new("/home/u/.local/state/nightdesk/nightdesk.log")
        );
        assert_eq!(
            p.panic_log(),
            Path::new("/home/u/.local/state/nightdesk/panic.log")
        );
        assert!(!p.config_file.origin.is_explicit());
        assert!(
            p.to_string()
                .contains("data       /home/u/.local/share/nightdesk (xdg)")
        );
    }

    #[test]
    fn bare_file_name_lives_in_current_dir() {
        let p = Paths::resolve(Some(Path::new("my.toml")), None, base());
        assert_eq!(p.keymap_file.path, Path::new("./keymap.toml"));
    }
}
