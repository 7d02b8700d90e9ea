//! restic (`kind = "restic"`): one repository per source (a path, `sftp:...`, `rest:...`,
//! `s3:...`), read with `restic snapshots --json --no-lock` (read access is enough). The
//! snapshots are grouped into jobs: a configured job takes its host's snapshots (of its
//! `paths`, when given); the others form one job per host and paths (`host:/p1,/p2`).
//! A job's last run and newest restore point are its newest snapshot (restic 0.14 keeps no
//! run result in a snapshot). With `check-interval`, `restic check` runs on its own schedule
//! in the background; a failed check is a finding of its own. The repository and its password
//! reach restic through the child's environment (`RESTIC_REPOSITORY`, `RESTIC_PASSWORD` or
//! `RESTIC_PASSWORD_FILE`), never its argv.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use jiff::Timestamp;
use serde::Deserialize;
use tokio::task::JoinHandle;

use super::command::{Invocation, Output, ProcessLimit, RunError, Tool};
use super::rules::{CHECK_JOB, JobSpec, Observation, RestorePoints, Rules, Run, RunResult, Watch};
use super::{
    Backup, BackupSystem, Period, SecretRef, cache_dir, repository_secret, resolve_secret,
};
use crate::config::{Secret, SecretString, SourceConfig};
use crate::model::{Item, SourceId, TenantId};
use crate::sources::SourceError;
use crate::sources::build::BuildContext;
use crate::sources::http::redact;
use crate::sources::mapping::{Decoded, Mapping, decode_list, label};
use std::future::Future;

/// Longest a `restic check` may take unless configured.
pub const DEFAULT_CHECK_TIMEOUT: Duration = Duration::from_secs(3600);

/// Settings of `kind = "restic"`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ResticSettings {
    /// The repository: a path, `sftp:user@host:/path`, `rest:https://...`, ...
    pub repository: String,
    /// The repository password, by reference (else the secret of `auth`).
    #[serde(default)]
    pub password: Option<SecretRef>,
    /// The restic program (default `restic` from `PATH`).
    #[serde(default)]
    pub program: Option<PathBuf>,
    /// restic's cache (`RESTIC_CACHE_DIR`; default below the XDG cache dir).
    #[serde(default)]
    pub cache_dir: Option<PathBuf>,
    /// Run `restic check` this often (no check when absent).
    #[serde(default)]
    pub check_interval: Option<Period>,
    /// Longest a check may take (default 1h).
    #[serde(default)]
    pub check_timeout: Option<Period>,
    /// `restic check --read-data-subset` (e.g. `"5%"`, `"1/10"`): also read this much data.
    #[serde(default)]
    pub check_read_data_subset: Option<String>,
}

/// One element of `restic snapshots --json` (the fields nightdesk reads; restic 0.14 has no
/// `summary`).
#[derive(Clone, Debug, Deserialize)]
struct Snapshot {
    time: Timestamp,
    hostname: String,
    #[serde(default)]
    paths: Vec<String>,
    #[serde(default)]
    short_id: Option<String>,
}

/// How the repository password reaches restic.
#[derive(Clone)]
enum Password {
    /// `RESTIC_PASSWORD`.
    Value(SecretString),
    /// `RESTIC_PASSWORD_FILE`: restic reads the file itself.
    File(PathBuf),
}

/// The background `restic check` and what it last found.
struct Checker {
    every: Duration,
    timeout: Duration,
    read_data_subset: Option<String>,
    next_due: Option<Timestamp>,
    running: Option<(Timestamp, JoinHandle<Result<Output, RunError>>)>,
    last: Option<Run>,
    /// Why the last check could not say anything about the repository.
    problem: Option<String>,
}

/// A connected restic repository.
pub struct Restic {
    id: SourceId,
    tenant: Option<TenantId>,
    repository: String,
    program: PathBuf,
    cache_dir: PathBuf,
    secret: Secret,
    password: Option<Password>,
    timeout: Duration,
    processes: ProcessLimit,
    mapping: Mapping,
    rules: Rules,
    checker: Option<Checker>,
    degraded: Option<String>,
    snapshot_count: usize,
}

impl Restic {
    pub fn from_config(
        config: &SourceConfig,
        backup: &Backup<ResticSettings>,
        ctx: &BuildContext,
    ) -> Result<Self, SourceError> {
        let settings = &backup.settings;
        let secret = repository_secret(config, settings.password.as_ref()).ok_or_else(|| {
            SourceError::Auth(format!(
                "source {} needs the repository password: password = {{ env = \"...\" }} (or `auth`)",
                config.id
            ))
        })?;
        for spec in &backup.rules.jobs {
            check_spec(spec)?;
        }
        Ok(Self {
            id: config.id.clone(),
            tenant: config.tenant.clone(),
            repository: settings.repository.clone(),
            program: settings.program.clone().unwrap_or_else(|| "restic".into()),
            cache_dir: settings
                .cache_dir
                .clone()
                .unwrap_or_else(|| cache_dir("restic", &config.id)),
            secret,
            password: None,
            timeout: config.timeout,
            processes: ctx.processes.clone(),
            mapping: ctx.mapping(config, &[], None),
            rules: Rules::new(&config.id, "restic", &backup.rules, ctx),
            checker: settings.check_interval.map(|every| Checker {
                every: every.0,
                timeout: settings
                    .check_timeout
                    .map_or(DEFAULT_CHECK_TIMEOUT, |p| p.0),
                read_data_subset: settings.check_read_data_subset.clone(),
                next_due: None,
                running: None,
                last: None,
                problem: None,
            }),
            degraded: None,
            snapshot_count: 0,
        })
    }

    /// The commands a fetch runs (listing, and the check when configured), as they would be
    /// started: for tests and `config check` to show that no secret is in an argv.
    pub async fn planned_commands(&mut self) -> Result<Vec<Invocation>, SourceError> {
        let password = self.password().await?;
        let mut planned = vec![self.snapshots_command(&password)];
        if let Some(checker) = &self.checker {
            planned.push(self.check_command(&password, checker));
        }
        Ok(planned)
    }

    async fn password(&mut self) -> Result<Password, SourceError> {
        if let Some(p) = &self.password {
            return Ok(p.clone());
        }
        let password = match &self.secret {
            Secret::File(path) => Password::File(path.clone()),
            other => Password::Value(resolve_secret(other).await?),
        };
        self.password = Some(password.clone());
        Ok(password)
    }

    fn base_command(&self, password: &Password, timeout: Duration) -> Invocation {
        let run = Invocation::new(&self.program, timeout)
            .env("RESTIC_REPOSITORY", &self.repository)
            .env("RESTIC_CACHE_DIR", &self.cache_dir);
        match password {
            Password::Value(value) => run.secret_env("RESTIC_PASSWORD", value.clone()),
            Password::File(path) => run.env("RESTIC_PASSWORD_FILE", path),
        }
    }

    fn snapshots_command(&self, password: &Password) -> Invocation {
        self.base_command(password, self.timeout)
            .args(["snapshots", "--json", "--no-lock"])
    }

    fn check_command(&self, password: &Password, checker: &Checker) -> Invocation {
        let run = self.base_command(password, checker.timeout).arg("check");
        match &checker.read_data_subset {
            Some(subset) => run.arg("--read-data-subset").arg(subset),
            None => run,
        }
    }

    /// Removes the password from a message (restic never prints it; a wrapper might).
    fn clean(&self, e: SourceError) -> SourceError {
        match &self.password {
            Some(Password::Value(v)) => redact(e, v.expose()),
            _ => e,
        }
    }

    async fn snapshots(&mut self, password: &Password) -> Result<Decoded<Snapshot>, SourceError> {
        let output = self
            .snapshots_command(password)
            .run(&self.processes)
            .await?;
        if let Some(e) = Tool::Restic.failure(&output, &self.repository) {
            if matches!(e, SourceError::Auth(_)) {
                self.password = None;
            }
            return Err(e);
        }
        decode_list(&output.stdout)
    }

    async fn fetch_all(&mut self, now: Timestamp) -> Result<Vec<Item>, SourceError> {
        let password = self.password().await.map_err(|e| self.clean(e))?;
        let snapshots = self.snapshots(&password).await.map_err(|e| self.clean(e))?;
        self.snapshot_count = snapshots.records.len();
        let mut observations = self.observations(&snapshots.records);
        let check = self.poll_check(&password, now).await;
        observations.extend(check);
        let problems: Vec<String> = snapshots
            .problem("snapshots")
            .into_iter()
            .chain(self.checker.as_ref().and_then(|c| c.problem.clone()))
            .collect();
        self.degraded = (!problems.is_empty()).then(|| problems.join("; "));
        Ok(self.rules.findings(&observations, now))
    }

    /// The jobs the snapshots make up: configured ones first, then one per host and paths.
    fn observations(&self, snapshots: &[Snapshot]) -> Vec<Observation> {
        let mut taken = vec![false; snapshots.len()];
        let mut observations = Vec::new();
        for spec in self.rules.specs() {
            let mine: Vec<&Snapshot> = snapshots
                .iter()
                .enumerate()
                .filter(|(_, s)| takes(spec, s))
                .map(|(i, s)| {
                    taken[i] = true;
                    s
                })
                .collect();
            let name = spec.name.clone().unwrap_or_else(|| spec.id.clone());
            observations.push(self.observation(&spec.id, &name, spec.host.as_deref(), &mine));
        }
        let mut groups: BTreeMap<(String, Vec<String>), Vec<&Snapshot>> = BTreeMap::new();
        for (snapshot, _) in snapshots.iter().zip(&taken).filter(|(_, t)| !**t) {
            groups
                .entry((snapshot.hostname.clone(), sorted(&snapshot.paths)))
                .or_default()
                .push(snapshot);
        }
        for ((host, paths), mine) in groups {
            let id = format!("{host}:{}", paths.join(","));
            observations.push(self.observation(&id, &paths.join(", "), Some(&host), &mine));
        }
        observations
    }

    fn observation(
        &self,
        job: &str,
        name: &str,
        host: Option<&str>,
        snapshots: &[&Snapshot],
    ) -> Observation {
        let newest = snapshots.iter().max_by_key(|s| s.time);
        let oldest = snapshots.iter().map(|s| s.time).min();
        let mut labels = vec![label("repository", &self.repository)];
        if let Some(host) = host {
            labels.push(label("host", host));
        }
        let mut o = Observation::new(job, name, self.mapping.tenant(&labels));
        o.host = host.map(str::to_string);
        o.last_run = newest.map(|s| Run {
            at: s.time,
            result: RunResult::Ok,
            message: None,
        });
        o.restore_points = Some(RestorePoints {
            newest: newest.map(|s| s.time),
            oldest,
        });
        labels.push(label("snapshots", &snapshots.len().to_string()));
        if let Some(id) = newest.and_then(|s| s.short_id.as_deref()) {
            labels.push(label("snapshot", id));
        }
        o.labels = labels;
        o
    }

    /// Starts a due check, and takes the result of a running one if it finishes within the
    /// source's timeout; the check's observation, once one finished.
    async fn poll_check(&mut self, password: &Password, now: Timestamp) -> Option<Observation> {
        let due = self
            .checker
            .as_ref()
            .is_some_and(|c| c.running.is_none() && c.next_due.is_none_or(|d| now >= d));
        if due {
            let checker = self.checker.as_ref()?;
            let run = self.check_command(password, checker);
            let processes = self.processes.clone();
            let task = tokio::spawn(async move { run.run(&processes).await });
            self.checker.as_mut()?.running = Some((now, task));
        }
        let budget = self.timeout;
        let repository = self.repository.clone();
        let checker = self.checker.as_mut()?;
        if let Some((started, task)) = checker.running.as_mut()
            && let Ok(joined) = tokio::time::timeout(budget, task).await
        {
            let started = *started;
            checker.running = None;
            checker.next_due = Some(started + super::rules::signed(checker.every));
            checker.note(started, joined, &repository);
        }
        let run = checker.last.clone()?;
        let mut o = Observation::new(CHECK_JOB, &self.repository, self.mapping.fallback_tenant());
        o.watch = Watch::Check;
        o.last_run = Some(run);
        o.labels = vec![label("repository", &self.repository)];
        Some(o)
    }
}

impl Drop for Checker {
    /// A check still running when the source goes away is ended (its program killed).
    fn drop(&mut self) {
        if let Some((_, task)) = &self.running {
            task.abort();
        }
    }
}

impl Checker {
    /// Takes a finished check: a clean or a failing repository is a result; a check that
    /// could not run (wrong password, locked, timed out) is a problem, not a result.
    fn note(
        &mut self,
        started: Timestamp,
        joined: Result<Result<Output, RunError>, tokio::task::JoinError>,
        repository: &str,
    ) {
        let outcome = match joined {
            Ok(Ok(output)) => check_outcome(&output, repository),
            Ok(Err(e)) => Err(SourceError::from(e).to_string()),
            Err(e) => Err(format!("restic check did not complete: {e}")),
        };
        match outcome {
            Ok((result, message)) => {
                self.last = Some(Run {
                    at: started,
                    result,
                    message,
                });
                self.problem = None;
            }
            Err(problem) => self.problem = Some(format!("repository check: {problem}")),
        }
    }
}

/// A check's result, or why it says nothing: restic exits 1 with "repository contains
/// errors" when it found damage.
fn check_outcome(output: &Output, repository: &str) -> Result<(RunResult, Option<String>), String> {
    if output.code() == Some(0) {
        return Ok((RunResult::Ok, None));
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    if output.code() == Some(1) && stderr.contains("repository contains errors") {
        return Ok((RunResult::Failed, Some(output.first_stderr_line())));
    }
    Err(Tool::Restic
        .failure(output, repository)
        .map_or_else(|| output.first_stderr_line(), |e| e.to_string()))
}

/// Whether a configured job takes a snapshot: its host, and its paths when it names them.
fn takes(spec: &JobSpec, snapshot: &Snapshot) -> bool {
    spec.host.as_deref() == Some(snapshot.hostname.as_str())
        && (spec.paths.is_empty() || sorted(&spec.paths) == sorted(&snapshot.paths))
}

fn sorted(paths: &[String]) -> Vec<String> {
    let mut paths = paths.to_vec();
    paths.sort();
    paths.dedup();
    paths
}

/// A restic job needs the host whose snapshots it takes.
fn check_spec(spec: &JobSpec) -> Result<(), SourceError> {
    if spec.host.is_none() {
        return Err(SourceError::Protocol(format!(
            "restic job `{}` needs `host` (the snapshots' host name), and optionally `paths`",
            spec.id
        )));
    }
    if spec.prefix.is_some() {
        return Err(SourceError::Protocol(format!(
            "restic job `{}`: `prefix` is for borg jobs; restic jobs take `host` and `paths`",
            spec.id
        )));
    }
    Ok(())
}

impl BackupSystem for Restic {
    const KIND: &'static str = "restic";

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
        format!(
            "restic repository {}: {} snapshots, {} findings",
            self.repository,
            self.snapshot_count,
            findings.len()
        )
    }
}

super::backup_source!(Restic);

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(host: &str, paths: &[&str], time: &str) -> Snapshot {
        Snapshot {
            time: time.parse().unwrap(),
            hostname: host.into(),
            paths: paths.iter().map(|p| p.to_string()).collect(),
            short_id: Some("a4d8f9bd".into()),
        }
    }

    #[test]
    fn snapshots_of_restic_0_14_are_read() {
        let json = r#"[{"time":"2026-11-28T19:23:47.132766796Z","tree":"ab7a88","paths":["/srv/data"],"hostname":"ci-host","username":"root","tags":["daily","db"],"id":"28c4a2de6f","short_id":"28c4a2de"},
{"time":"2026-11-28T20:23:47+01:00","parent":"28c4a2de6f","tree":"fc673f","paths":["/srv/data"],"hostname":"ci-host","username":"root","id":"a4d8f9bdeb","short_id":"a4d8f9bd"}]"#;
        let d = decode_list::<Snapshot>(json.as_bytes()).unwrap();
        assert_eq!(d.records.len(), 2);
        assert_eq!(d.records[1].time, "2026-11-28T19:23:47Z".parse().unwrap());
    }

    #[test]
    fn configured_jobs_take_their_host_and_paths() {
        let spec = JobSpec {
            id: "dc01-files".into(),
            host: Some("srv-dc01".into()),
            paths: vec!["/srv".into(), "/etc".into()],
            ..JobSpec::default()
        };
        assert!(takes(
            &spec,
            &snapshot("srv-dc01", &["/etc", "/srv"], "2026-11-28T01:00:00Z")
        ));
        assert!(!takes(
            &spec,
            &snapshot("srv-dc01", &["/srv"], "2026-11-28T01:00:00Z")
        ));
        assert!(!takes(
            &spec,
            &snapshot("srv-dc02", &["/etc", "/srv"], "2026-11-28T01:00:00Z")
        ));
        let any_paths = JobSpec {
            paths: vec![],
            ..spec
        };
        assert!(takes(
            &any_paths,
            &snapshot("srv-dc01", &["/home"], "2026-11-28T01:00:00Z")
        ));
    }

    #[test]
    fn jobs_without_host_are_refused() {
        let e = check_spec(&JobSpec {
            id: "x".into(),
            ..JobSpec::default()
        })
        .unwrap_err();
        assert!(e.to_string().contains("needs `host`"), "{e}");
    }
}
