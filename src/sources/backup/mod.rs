//! Backup status as queue items. Each backup connector (restic, borg, Veeam B&R, Veeam
//! Service Provider Console, Proxmox Backup Server) reads what its system says about its jobs
//! and turns it into [`rules::Observation`]s; the shared [`rules`] turn observations into
//! findings (last run failed, RPO exceeded, job stopped running, recovery test overdue).
//! [`command`] runs the restic and borg programs.

pub mod borg;
pub mod command;
pub mod pbs;
pub mod restic;
pub mod rules;
pub mod veeam;
pub mod vspc;

use std::future::Future;
use std::time::Duration;

use jiff::Timestamp;

use serde::{Deserialize, Deserializer};

use crate::config::{DURATION_HINT, Secret, parse_duration};
use crate::model::{Item, Priority, SourceId, TenantId};
use crate::sources::{BoxFuture, Fetched, SourceError};

pub use rules::RuleSettings;

/// A backup system as the queue sees it: each read gives every finding its jobs have now
/// (through [`rules`]), and `config check` says what was read. Whatever implements this is
/// a [`crate::sources::Source`] through [`backup_source!`]: the connectors state only what
/// differs between them.
pub trait BackupSystem: Send {
    /// The connector kind as written in the config.
    const KIND: &'static str;

    fn source_id(&self) -> &SourceId;

    /// The tenant configured for the whole source, if any.
    fn fixed_tenant(&self) -> Option<TenantId>;

    /// Every finding of every job, as items.
    fn read_findings(
        &mut self,
        now: Timestamp,
    ) -> impl Future<Output = Result<Vec<Item>, SourceError>> + Send;

    /// What the last read could not read, if anything.
    fn partial_read(&self) -> Option<String>;

    /// The `config check` line after a read that gave `findings`.
    fn summary(&self, findings: &[Item]) -> String;
}

/// The [`Source`] of a [`BackupSystem`] type. A macro, not a blanket impl: the ticket
/// systems have theirs ([`crate::sources::tickets::TicketSystem`]), and two blanket impls of
/// one trait may not meet.
macro_rules! backup_source {
    ($system:ty) => {
        impl $crate::sources::Source for $system {
            fn id(&self) -> &$crate::model::SourceId {
                $crate::sources::backup::BackupSystem::source_id(self)
            }

            fn kind(&self) -> &'static str {
                <$system as $crate::sources::backup::BackupSystem>::KIND
            }

            fn tenant(&self) -> Option<$crate::model::TenantId> {
                $crate::sources::backup::BackupSystem::fixed_tenant(self)
            }

            fn fetch(
                &mut self,
                now: jiff::Timestamp,
            ) -> $crate::sources::BoxFuture<
                '_,
                Result<$crate::sources::Fetched, $crate::sources::SourceError>,
            > {
                $crate::sources::backup::fetch(self, now)
            }

            fn degraded(&self) -> Option<String> {
                $crate::sources::backup::BackupSystem::partial_read(self)
            }

            fn check(
                &mut self,
                now: jiff::Timestamp,
            ) -> $crate::sources::BoxFuture<'_, Result<String, $crate::sources::SourceError>> {
                $crate::sources::backup::check(self, now)
            }
        }
    };
}
pub(crate) use backup_source;

/// A full read of a backup system's findings.
pub fn fetch<T: BackupSystem>(
    system: &mut T,
    now: Timestamp,
) -> BoxFuture<'_, Result<Fetched, SourceError>> {
    Box::pin(async move { system.read_findings(now).await.map(Fetched::Full) })
}

/// A read, then the system's `config check` line.
pub fn check<T: BackupSystem>(
    system: &mut T,
    now: Timestamp,
) -> BoxFuture<'_, Result<String, SourceError>> {
    Box::pin(async move {
        let findings = system.read_findings(now).await?;
        Ok(system.summary(&findings))
    })
}

/// The settings of a backup source: the rules every backup kind shares, and the kind's own.
#[derive(Clone, Debug, PartialEq)]
pub struct Backup<T> {
    pub rules: RuleSettings,
    pub settings: T,
}

/// A duration in the config (`24h`, `90d`, `1h30m`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period(pub Duration);

impl<'de> Deserialize<'de> for Period {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        parse_duration(&text).map(Period).ok_or_else(|| {
            serde::de::Error::custom(format!("`{text}` is not a duration: {DURATION_HINT}"))
        })
    }
}

/// A duration, or `"off"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Toggle {
    Off,
    Every(Duration),
}

impl<'de> Deserialize<'de> for Toggle {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        if text.trim() == "off" {
            return Ok(Toggle::Off);
        }
        parse_duration(&text).map(Toggle::Every).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "`{text}` is neither a duration nor \"off\": {DURATION_HINT}"
            ))
        })
    }
}

impl Toggle {
    pub fn duration(self) -> Option<Duration> {
        match self {
            Toggle::Off => None,
            Toggle::Every(d) => Some(d),
        }
    }
}

/// A priority written as `2`, `"2"` or `"P2"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PriorityValue(pub Priority);

impl<'de> Deserialize<'de> for PriorityValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = toml::Value::deserialize(deserializer)?;
        let parsed = match &value {
            toml::Value::Integer(n) => Priority::parse(&n.to_string()),
            toml::Value::String(s) => Priority::parse(s),
            _ => None,
        };
        parsed.map(PriorityValue).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "{value} is not a priority: write 1, 2, 3 or 4 (or \"P1\" .. \"P4\")"
            ))
        })
    }
}

/// A secret reference in a connector's own settings (`password = { env = "VAR" }`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretRef(pub Secret);

impl<'de> Deserialize<'de> for SecretRef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = toml::Value::deserialize(deserializer)?;
        Secret::from_toml(&value).map(SecretRef).map_err(|message| {
            serde::de::Error::custom(format!(
                "{message} ({})",
                crate::config::secret::SECRET_HINT
            ))
        })
    }
}

/// Where a source's backup program keeps its cache and state: `<XDG cache>/nightdesk/<tool>/
/// <source id>` (`~/.cache/...`), or below the temp dir when there is no home.
pub fn cache_dir(tool: &str, source: &crate::model::SourceId) -> std::path::PathBuf {
    let safe: String = source
        .as_str()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    directories::ProjectDirs::from("", "", crate::config::paths::APP_NAME)
        .map(|d| d.cache_dir().to_path_buf())
        .unwrap_or_else(|| std::env::temp_dir().join("nightdesk-cache"))
        .join(tool)
        .join(safe)
}

/// The repository password of a restic or borg source: its own `password`, else the secret
/// of `auth` (a token, or a login's password).
pub fn repository_secret(
    config: &crate::config::SourceConfig,
    own: Option<&SecretRef>,
) -> Option<Secret> {
    own.map(|s| s.0.clone())
        .or_else(|| config.auth.as_ref().map(|a| a.secret().clone()))
}

/// Fetches a secret from its reference off the async threads (a command or a file).
pub async fn resolve_secret(
    secret: &Secret,
) -> Result<crate::config::SecretString, crate::sources::SourceError> {
    let secret = secret.clone();
    let described = secret.describe();
    tokio::task::spawn_blocking(move || secret.resolve())
        .await
        .map_err(|e| crate::sources::SourceError::Auth(format!("secret lookup failed: {e}")))?
        .map_err(|e| {
            crate::sources::SourceError::Auth(format!(
                "cannot fetch the repository password ({described}): {e}"
            ))
        })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::{Config, SourceKind};

    fn parse(text: &str) -> Result<Config, String> {
        Config::parse(Path::new("c.toml"), text).map_err(|e| e.to_string())
    }

    #[test]
    fn a_restic_source_reads_shared_and_own_keys_without_base_url() {
        let config = parse(
            r#"
[[tenants]]
id = "mueller"

[[sources]]
id = "restic-mueller"
kind = "restic"
tenant = "mueller"
repository = "sftp:backup@nas:/srv/restic/mueller"
password = { env = "RESTIC_MUELLER" }
check-interval = "7d"
interval = "24h"
grace = "2h"
restore-test-interval = "90d"
restore-test-by-tenant = { mueller = "30d" }
rule-priorities = { failed = 2, rpo = 2, stopped = 2, restore-test = 4 }
jobs = [{ id = "dc01", host = "srv-dc01", paths = ["/srv"], rpo = "48h" }]
"#,
        )
        .unwrap();
        let SourceKind::Restic(backup) = &config.sources[0].kind else {
            panic!("{:?}", config.sources[0].kind);
        };
        assert_eq!(
            backup.settings.repository,
            "sftp:backup@nas:/srv/restic/mueller"
        );
        assert_eq!(
            backup.settings.password,
            Some(SecretRef(Secret::Env("RESTIC_MUELLER".into())))
        );
        assert_eq!(
            backup.settings.check_interval,
            Some(Period(Duration::from_secs(7 * 86_400)))
        );
        assert_eq!(backup.rules.jobs[0].paths, ["/srv"]);
        assert_eq!(
            backup.rules.jobs[0].rpo,
            Some(Period(Duration::from_secs(48 * 3600)))
        );
        assert_eq!(
            backup.rules.rule_priorities.restore_test,
            Some(PriorityValue(Priority::P4))
        );
        assert_eq!(
            backup.rules.restore_test_by_tenant["mueller"],
            Toggle::Every(Duration::from_secs(30 * 86_400))
        );
        assert!(!config.sources[0].kind.needs_base_url());
    }

    #[test]
    fn typos_get_hints_from_both_sets_of_keys() {
        let err = parse("[[sources]]\nid = \"b\"\nkind = \"borg\"\nrepositry = \"/srv/borg\"\n")
            .unwrap_err();
        assert!(err.contains("did you mean `repository`?"), "{err}");
        let err = parse(
            "[[sources]]\nid = \"b\"\nkind = \"borg\"\nrepository = \"/srv/borg\"\nintervall = \"1h\"\n",
        )
        .unwrap_err();
        assert!(err.contains("unknown field `intervall`"), "{err}");
        assert!(err.contains("did you mean `interval`?"), "{err}");
    }

    #[test]
    fn an_inline_password_is_refused_without_showing_it() {
        let err = parse(
            "[[sources]]\nid = \"r\"\nkind = \"restic\"\nrepository = \"/srv/r\"\npassword = \"hunter2\"\n",
        )
        .unwrap_err();
        assert!(
            err.contains("secrets are not written into the config"),
            "{err}"
        );
        assert!(!err.contains("hunter2"), "{err}");
    }

    #[test]
    fn web_backup_sources_need_base_url() {
        let err = parse("[[sources]]\nid = \"v\"\nkind = \"veeam\"\n").unwrap_err();
        assert!(err.contains("needs `base-url`"), "{err}");
        let ok = parse(
            "[[sources]]\nid = \"p\"\nkind = \"pbs\"\nbase-url = \"https://pbs:8007\"\ndatastores = [{ name = \"main\" }]\n",
        );
        assert!(ok.is_ok(), "{ok:?}");
    }
}
