//! BorgBackup 1.x (`kind = "borg"`): one repository per source, read with `borg list --json
//! --consider-checkpoints` (borg hides checkpoints otherwise);
//! the archives are grouped into jobs by name prefix (`jobs = [{ id, prefix }]`, the longest
//! prefix wins; without jobs the repository is one job). A job's last run is its newest
//! archive; an interrupted run leaves a `.checkpoint` archive, which is a failed run and no
//! restore point. The host comes from the job's `host`, else from `borg info --json` of its
//! newest archive (asked once per archive).
//!
//! Borg 1.2 prints naive local times. nightdesk runs borg with `TZ` set to the configured
//! `time-zone` (default Europe/Berlin) and reads its times in that zone, so the two always
//! agree; when the system has no zone data for it, borg runs in UTC and its times are read as
//! UTC. The passphrase reaches borg as `BORG_PASSPHRASE` in the child's environment only;
//! borg's own state lives in `BORG_BASE_DIR` (below the XDG cache dir unless `base-dir`), and
//! a repository that moved is refused (`BORG_RELOCATED_REPO_ACCESS_IS_OK=no`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::Deserialize;

use super::command::{Invocation, ProcessLimit, Tool};
use super::rules::{DEFAULT_TIME_ZONE, JobSpec, Observation, RestorePoints, Rules, Run, RunResult};
use super::{Backup, BackupSystem, SecretRef, cache_dir, repository_secret, resolve_secret};
use crate::config::{Secret, SecretString, SourceConfig};
use crate::model::{Item, SourceId, TenantId};
use crate::sources::SourceError;
use crate::sources::build::BuildContext;
use crate::sources::http::redact;
use crate::sources::mapping::{Decoded, Mapping, decode_each, label};
use std::future::Future;

/// The job of a repository without configured jobs.
pub const WHOLE_REPOSITORY_JOB: &str = "archives";

/// Settings of `kind = "borg"`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct BorgSettings {
    /// The repository: a path or `ssh://user@host/./repo`.
    pub repository: String,
    /// The passphrase, by reference (else the secret of `auth`; none: an unencrypted
    /// repository, borg gets an empty passphrase and never prompts).
    #[serde(default)]
    pub password: Option<SecretRef>,
    /// The borg program (default `borg` from `PATH`).
    #[serde(default)]
    pub program: Option<PathBuf>,
    /// `BORG_BASE_DIR`: borg's cache, security and config dirs (default below the XDG cache).
    #[serde(default)]
    pub base_dir: Option<PathBuf>,
}

/// The fields of `borg list --json` nightdesk reads.
#[derive(Deserialize)]
struct ArchiveList {
    archives: Vec<serde_json::Value>,
}

#[derive(Clone, Debug, Deserialize)]
struct Archive {
    name: String,
    id: String,
    /// Naive local time (borg 1.2).
    start: String,
}

/// The fields of `borg info --json` nightdesk reads.
#[derive(Deserialize)]
struct ArchiveInfo {
    archives: Vec<InfoEntry>,
}

#[derive(Deserialize)]
struct InfoEntry {
    #[serde(default)]
    hostname: Option<String>,
}

/// An archive with its time read.
#[derive(Clone, Debug)]
struct Dated {
    name: String,
    id: String,
    at: Timestamp,
}

impl Dated {
    /// A checkpoint: what an interrupted `borg create` leaves (`name.checkpoint`,
    /// `name.checkpoint.1`).
    fn is_checkpoint(&self) -> bool {
        let trimmed = self.name.trim_end_matches(|c: char| c.is_ascii_digit());
        self.name.ends_with(".checkpoint") || trimmed.ends_with(".checkpoint.")
    }
}

/// A connected borg repository.
pub struct Borg {
    id: SourceId,
    tenant: Option<TenantId>,
    repository: String,
    program: PathBuf,
    base_dir: PathBuf,
    secret: Option<Secret>,
    passphrase: Option<SecretString>,
    /// The `TZ` borg runs with, and the zone its times are read in.
    tz_name: String,
    zone: TimeZone,
    timeout: Duration,
    processes: ProcessLimit,
    mapping: Mapping,
    rules: Rules,
    /// Host names from `borg info`, by archive id.
    hosts: HashMap<String, String>,
    /// The last archives read, for when the repository is locked (a backup is running).
    last_read: Option<(Timestamp, Vec<Dated>)>,
    unmatched: usize,
    degraded: Option<String>,
}

impl Borg {
    pub fn from_config(
        config: &SourceConfig,
        backup: &Backup<BorgSettings>,
        ctx: &BuildContext,
    ) -> Result<Self, SourceError> {
        let settings = &backup.settings;
        for spec in &backup.rules.jobs {
            check_spec(spec)?;
        }
        let configured = backup
            .rules
            .time_zone
            .as_ref()
            .map_or(DEFAULT_TIME_ZONE, |z| z.0.as_str());
        let (tz_name, zone) = child_zone(configured);
        Ok(Self {
            id: config.id.clone(),
            tenant: config.tenant.clone(),
            repository: settings.repository.clone(),
            program: settings.program.clone().unwrap_or_else(|| "borg".into()),
            base_dir: settings
                .base_dir
                .clone()
                .unwrap_or_else(|| cache_dir("borg", &config.id)),
            secret: repository_secret(config, settings.password.as_ref()),
            passphrase: None,
            tz_name,
            zone,
            timeout: config.timeout,
            processes: ctx.processes.clone(),
            mapping: ctx.mapping(config, &[], None),
            rules: Rules::new(&config.id, "borg", &backup.rules, ctx),
            hosts: HashMap::new(),
            last_read: None,
            unmatched: 0,
            degraded: None,
        })
    }

    /// The listing command a fetch runs, as it would be started (for tests and
    /// `config check`: no secret in the argv).
    pub async fn planned_commands(&mut self) -> Result<Vec<Invocation>, SourceError> {
        let passphrase = self.passphrase().await?;
        Ok(vec![self.list_command(&passphrase)])
    }

    async fn passphrase(&mut self) -> Result<SecretString, SourceError> {
        if let Some(p) = &self.passphrase {
            return Ok(p.clone());
        }
        let value = match &self.secret {
            Some(secret) => resolve_secret(secret).await?,
            None => SecretString::new(String::new()),
        };
        self.passphrase = Some(value.clone());
        Ok(value)
    }

    fn command(&self, passphrase: &SecretString) -> Invocation {
        Invocation::new(&self.program, self.timeout)
            .env("BORG_REPO", &self.repository)
            .secret_env("BORG_PASSPHRASE", passphrase.clone())
            .env("BORG_BASE_DIR", &self.base_dir)
            .env("BORG_RELOCATED_REPO_ACCESS_IS_OK", "no")
            .env("BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK", "no")
            .env("BORG_DISPLAY_PASSPHRASE", "no")
            .env("TZ", &self.tz_name)
    }

    fn list_command(&self, passphrase: &SecretString) -> Invocation {
        self.command(passphrase)
            .args(["--log-json", "list", "--json", "--consider-checkpoints"])
    }

    fn info_command(&self, passphrase: &SecretString, archive: &str) -> Invocation {
        self.command(passphrase)
            .args(["--log-json", "info", "--json"])
            .arg(format!("::{archive}"))
    }

    fn clean(&self, e: SourceError) -> SourceError {
        match &self.passphrase {
            Some(p) => redact(e, p.expose()),
            None => e,
        }
    }

    /// Runs borg; its JSON answer, or the error its exit and log say.
    async fn run(&mut self, run: Invocation) -> Result<Vec<u8>, SourceError> {
        let _ = std::fs::create_dir_all(&self.base_dir);
        let output = run.run(&self.processes).await?;
        if let Some(e) = Tool::Borg.failure(&output, &self.repository) {
            if matches!(e, SourceError::Auth(_)) {
                self.passphrase = None;
            }
            return Err(e);
        }
        Ok(output.stdout)
    }

    async fn archives(&mut self, passphrase: &SecretString) -> Result<Decoded<Dated>, SourceError> {
        let stdout = self.run(self.list_command(passphrase)).await?;
        let list: ArchiveList = serde_json::from_slice(&stdout).map_err(|e| {
            SourceError::Protocol(format!("borg list --json: unexpected answer ({e})"))
        })?;
        let raw: Decoded<Archive> = decode_each(list.archives);
        let mut dated = Decoded {
            records: Vec::new(),
            skipped: raw.skipped,
            first_error: raw.first_error,
        };
        for archive in raw.records {
            match local_time(&archive.start, &self.zone) {
                Some(at) => dated.records.push(Dated {
                    name: archive.name,
                    id: archive.id,
                    at,
                }),
                None => {
                    dated.skipped += 1;
                    dated
                        .first_error
                        .get_or_insert_with(|| format!("`{}` is not a time", archive.start));
                }
            }
        }
        Ok(dated)
    }

    async fn fetch_all(&mut self, now: Timestamp) -> Result<Vec<Item>, SourceError> {
        let passphrase = self.passphrase().await.map_err(|e| self.clean(e))?;
        let mut problems = Vec::new();
        let archives = match self.archives(&passphrase).await {
            Ok(read) => {
                problems.extend(read.problem("archives"));
                self.last_read = Some((now, read.records.clone()));
                read.records
            }
            Err(SourceError::Unreachable(why)) if self.last_read.is_some() => {
                let (at, kept) = self.last_read.clone().unwrap_or_default();
                problems.push(format!("{why}; showing the archives read at {at}"));
                kept
            }
            Err(e) => return Err(self.clean(e)),
        };
        let groups = self.group(&archives);
        let mut observations = Vec::new();
        for (spec, mine) in &groups {
            let host = self.host(spec, mine, &passphrase, &mut problems).await;
            observations.push(self.observation(spec, mine, host));
        }
        self.degraded = (!problems.is_empty()).then(|| problems.join("; "));
        Ok(self.rules.findings(&observations, now))
    }

    /// The archives of each job (configured ones, or the whole repository).
    fn group(&mut self, archives: &[Dated]) -> Vec<(JobSpec, Vec<Dated>)> {
        let specs = self.rules.specs().to_vec();
        if specs.is_empty() {
            self.unmatched = 0;
            let whole = JobSpec {
                id: WHOLE_REPOSITORY_JOB.into(),
                name: Some(self.repository.clone()),
                ..JobSpec::default()
            };
            return vec![(whole, archives.to_vec())];
        }
        let mut groups: Vec<(JobSpec, Vec<Dated>)> =
            specs.into_iter().map(|s| (s, Vec::new())).collect();
        let mut unmatched = 0;
        for archive in archives {
            let best = groups
                .iter_mut()
                .filter(|(s, _)| archive.name.starts_with(s.prefix.as_deref().unwrap_or("")))
                .max_by_key(|(s, _)| s.prefix.as_deref().map_or(0, str::len));
            match best {
                Some((_, mine)) => mine.push(archive.clone()),
                None => unmatched += 1,
            }
        }
        self.unmatched = unmatched;
        groups
    }

    /// The job's host: configured, else what `borg info` says of its newest archive.
    async fn host(
        &mut self,
        spec: &JobSpec,
        archives: &[Dated],
        passphrase: &SecretString,
        problems: &mut Vec<String>,
    ) -> Option<String> {
        if let Some(host) = &spec.host {
            return Some(host.clone());
        }
        let newest = archives.iter().max_by_key(|a| a.at)?;
        if let Some(known) = self.hosts.get(&newest.id) {
            return Some(known.clone());
        }
        let answer = self.run(self.info_command(passphrase, &newest.name)).await;
        let host = answer.and_then(|stdout| {
            serde_json::from_slice::<ArchiveInfo>(&stdout)
                .map_err(|e| SourceError::Protocol(format!("borg info --json: {e}")))
        });
        match host {
            Ok(info) => {
                let host = info.archives.into_iter().find_map(|a| a.hostname)?;
                self.hosts.insert(newest.id.clone(), host.clone());
                Some(host)
            }
            Err(e) => {
                problems.push(format!("host of {}: {}", newest.name, self.clean(e)));
                None
            }
        }
    }

    fn observation(&self, spec: &JobSpec, archives: &[Dated], host: Option<String>) -> Observation {
        let newest = archives.iter().max_by_key(|a| a.at);
        let good: Vec<&Dated> = archives.iter().filter(|a| !a.is_checkpoint()).collect();
        let mut labels = vec![label("repository", &self.repository)];
        if let Some(host) = &host {
            labels.push(label("host", host));
        }
        let name = spec.name.clone().unwrap_or_else(|| spec.id.clone());
        let mut o = Observation::new(&spec.id, &name, self.mapping.tenant(&labels));
        o.host = host;
        o.last_run = newest.map(|a| Run {
            at: a.at,
            result: if a.is_checkpoint() {
                RunResult::Failed
            } else {
                RunResult::Ok
            },
            message: a.is_checkpoint().then(|| {
                format!(
                    "interrupted: only the checkpoint archive {} was written",
                    a.name
                )
            }),
        });
        o.restore_points = Some(RestorePoints {
            newest: good.iter().map(|a| a.at).max(),
            oldest: good.iter().map(|a| a.at).min(),
        });
        labels.push(label("archives", &good.len().to_string()));
        if let Some(a) = newest {
            labels.push(label("archive", &a.name));
        }
        if let Some(prefix) = &spec.prefix {
            labels.push(label("prefix", prefix));
        }
        o.labels = labels;
        o
    }
}

/// The `TZ` to run borg with and the zone to read its times in: the configured zone when
/// the system has zone data for it (borg's Python reads the system's), else UTC for both.
fn child_zone(name: &str) -> (String, TimeZone) {
    let utc = || ("UTC".to_string(), TimeZone::UTC);
    if name == "UTC" {
        return utc();
    }
    let tzdir = std::env::var_os("TZDIR")
        .map_or_else(|| PathBuf::from("/usr/share/zoneinfo"), PathBuf::from);
    match TimeZone::get(name) {
        Ok(zone) if has_zone_data(&tzdir, name) => (name.to_string(), zone),
        _ => utc(),
    }
}

fn has_zone_data(tzdir: &Path, name: &str) -> bool {
    !name.contains("..") && tzdir.join(name).is_file()
}

/// A borg time: naive local time in `zone` (borg 1.x), or a time with an offset.
fn local_time(text: &str, zone: &TimeZone) -> Option<Timestamp> {
    if let Ok(t) = text.parse::<Timestamp>() {
        return Some(t);
    }
    let civil: jiff::civil::DateTime = text.parse().ok()?;
    civil
        .to_zoned_datetime(zone.clone())
        .ok()
        .map(|z| z.timestamp())
}

/// A borg job names its archives by `prefix`.
fn check_spec(spec: &JobSpec) -> Result<(), SourceError> {
    if spec.prefix.as_deref().is_none_or(str::is_empty) {
        return Err(SourceError::Protocol(format!(
            "borg job `{}` needs `prefix` (the start of its archives' names)",
            spec.id
        )));
    }
    if !spec.paths.is_empty() {
        return Err(SourceError::Protocol(format!(
            "borg job `{}`: `paths` is for restic jobs; borg jobs take `prefix`",
            spec.id
        )));
    }
    Ok(())
}

impl BackupSystem for Borg {
    const KIND: &'static str = "borg";

    fn source_id(&self) -> &SourceId {
        &self.id
    }

    fn fixed_tenant(&self) -> Option<TenantId> {
        self.tenant.clone()
    }

    fn read_findings(
        &mut self,
        now: Timestamp,
    ) -> impl Future<Output = Result<Vec<Item>, SourceError>> + Send {
        self.fetch_all(now)
    }

    fn partial_read(&self) -> Option<String> {
        self.degraded.clone()
    }

    fn summary(&self, findings: &[Item]) -> String {
        let archives = self.last_read.as_ref().map_or(0, |(_, a)| a.len());
        let mut text = format!(
            "borg repository {}: {archives} archives, {} findings",
            self.repository,
            findings.len()
        );
        if self.unmatched > 0 {
            text.push_str(&format!(
                "; {} archives match no job's prefix",
                self.unmatched
            ));
        }
        text
    }
}

super::backup_source!(Borg);

#[cfg(test)]
mod tests {
    use super::*;

    fn dated(name: &str) -> Dated {
        Dated {
            name: name.into(),
            id: "x".into(),
            at: Timestamp::UNIX_EPOCH,
        }
    }

    #[test]
    fn naive_times_are_read_in_the_zone() {
        let berlin = TimeZone::get("Europe/Berlin").unwrap();
        let winter = local_time("2026-11-26T02:00:00.000000", &berlin).unwrap();
        assert_eq!(winter, "2026-11-26T01:00:00Z".parse().unwrap());
        let summer = local_time("2026-07-01T02:00:00.000000", &berlin).unwrap();
        assert_eq!(summer, "2026-07-01T00:00:00Z".parse().unwrap());
        // An offset, as borg 2 writes it, wins over the zone.
        let offset = local_time("2026-11-26T02:00:00+00:00", &berlin).unwrap();
        assert_eq!(offset, "2026-11-26T02:00:00Z".parse().unwrap());
        assert_eq!(local_time("yesterday", &berlin), None);
    }

    #[test]
    fn checkpoints_are_recognised() {
        assert!(dated("srv-2026-11-28.checkpoint").is_checkpoint());
        assert!(dated("srv-2026-11-28.checkpoint.2").is_checkpoint());
        assert!(!dated("srv-2026-11-28").is_checkpoint());
        assert!(!dated("checkpoint-daily").is_checkpoint());
    }

    #[test]
    fn jobs_need_a_prefix() {
        let e = check_spec(&JobSpec {
            id: "srv".into(),
            ..JobSpec::default()
        })
        .unwrap_err();
        assert!(e.to_string().contains("needs `prefix`"), "{e}");
    }

    #[test]
    fn zones_without_system_data_fall_back_to_utc() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!has_zone_data(dir.path(), "Europe/Berlin"));
        std::fs::create_dir_all(dir.path().join("Europe")).unwrap();
        std::fs::write(dir.path().join("Europe/Berlin"), "TZif").unwrap();
        assert!(has_zone_data(dir.path(), "Europe/Berlin"));
        assert!(!has_zone_data(dir.path(), "../etc/passwd"));
        assert_eq!(child_zone("UTC").0, "UTC");
    }
}
