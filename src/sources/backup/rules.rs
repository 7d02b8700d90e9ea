//! The rules every backup connector shares. A connector describes each job (or protected
//! object) as an [`Observation`]: its last run (time, result, message), its restore points,
//! whether it is enabled. [`Rules`] turn observations into queue items, one per finding, each
//! with its own external id (`<job>/failed`, `<job>/rpo`, `<job>/stopped`,
//! `<job>/restore-test`):
//!
//! - **failed**: the last run failed (a partial run too, unless `partial-is-failed = false`);
//! - **rpo**: the newest good restore point is older than the job's RPO (interval + grace,
//!   or `rpo`): freshness matters more than the last result;
//! - **stopped**: an enabled job had no run when one was due (last run older than interval +
//!   grace, or the source's next run time + grace), whatever its last result;
//! - **restore-test**: the newest recorded recovery test of the job is older than its
//!   interval; a job never tested is overdue since its first restore point.
//!
//! Titles are made here, in English with numbers ("Backup 'SQL-Nightly' on sql-01: newest
//! restore point 31h old (RPO 26h)"); names in them are the source's data.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Deserializer};

use super::{Period, PriorityValue, Toggle};
use crate::model::{
    Item, ItemKey, Kind, Label, Moment, Priority, SourceId, Status, StatusCategory, TenantId,
};
use crate::sources::build::BuildContext;
use crate::sources::mapping::{MAX_TEXT_CHARS, clip, label, new_item};
use crate::store::RestoreTests;

/// The keys of [`RuleSettings`]; every other key of a backup source belongs to its kind.
pub const RULE_FIELDS: &[&str] = &[
    "jobs",
    "interval",
    "grace",
    "restore-test-interval",
    "restore-test-by-tenant",
    "partial-is-failed",
    "rule-priorities",
    "time-zone",
];

/// Expected time between two runs of a job, unless configured.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(24 * 3600);
/// Slack on top of the interval before a job counts as late, unless configured.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(2 * 3600);
/// Time between two recovery tests of a job, unless configured.
pub const DEFAULT_RESTORE_TEST_INTERVAL: Duration = Duration::from_secs(90 * 86_400);
/// Zone of restore-test dates (and of borg's local times), unless configured.
pub const DEFAULT_TIME_ZONE: &str = "Europe/Berlin";

/// The external id of a job's repository check (restic `check`).
pub const CHECK_JOB: &str = "repository-check";

/// The backup keys every backup source has.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RuleSettings {
    /// The jobs (or protected objects) with settings of their own.
    #[serde(default)]
    pub jobs: Vec<JobSpec>,
    /// Expected time between two runs (default 24h).
    #[serde(default)]
    pub interval: Option<Period>,
    /// Slack before a run counts as missing (default 2h).
    #[serde(default)]
    pub grace: Option<Period>,
    /// Time between two recovery tests (default 90d), or `"off"`.
    #[serde(default)]
    pub restore_test_interval: Option<Toggle>,
    /// Tenant id -> recovery test interval, over `restore-test-interval`.
    #[serde(default)]
    pub restore_test_by_tenant: BTreeMap<String, Toggle>,
    /// Whether a partial run (Veeam or VSPC `Warning`) is a failed run (default true).
    #[serde(default)]
    pub partial_is_failed: Option<bool>,
    /// Priority of each finding.
    #[serde(default)]
    pub rule_priorities: RulePriorities,
    /// The zone of restore-test dates and of borg's local times (default Europe/Berlin).
    #[serde(default)]
    pub time_zone: Option<Zone>,
}

/// `rule-priorities = { failed = 2, rpo = 2, stopped = 2, restore-test = 4 }`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RulePriorities {
    #[serde(default)]
    pub failed: Option<PriorityValue>,
    #[serde(default)]
    pub rpo: Option<PriorityValue>,
    #[serde(default)]
    pub stopped: Option<PriorityValue>,
    #[serde(default)]
    pub restore_test: Option<PriorityValue>,
}

/// A time zone name that exists (`Europe/Berlin`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Zone(pub String);

impl<'de> Deserialize<'de> for Zone {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        TimeZone::get(&name)
            .map(|_| Zone(name.clone()))
            .map_err(|_| {
                serde::de::Error::custom(format!(
                    "`{name}` is not a time zone: write an IANA name like \"Europe/Berlin\""
                ))
            })
    }
}

/// One entry of `jobs = [...]`: which job it is, and its own settings.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct JobSpec {
    /// The job's id: restic and borg jobs are named by it; for Veeam, VSPC and PBS it is the
    /// job's id or name in the source.
    pub id: String,
    /// The name shown in titles (default: the source's name of the job, or `id`).
    #[serde(default)]
    pub name: Option<String>,
    /// The tenant the job belongs to (over the source's mapping).
    #[serde(default)]
    pub tenant: Option<String>,
    /// The backed-up host (restic: the snapshots' host this job takes).
    #[serde(default)]
    pub host: Option<String>,
    /// restic: the snapshots' paths this job takes (all of the host's when empty).
    #[serde(default)]
    pub paths: Vec<String>,
    /// borg: the archive name prefix of this job.
    #[serde(default)]
    pub prefix: Option<String>,
    #[serde(default)]
    pub interval: Option<Period>,
    #[serde(default)]
    pub grace: Option<Period>,
    /// The restore point age that breaches the job's RPO (default: interval + grace).
    #[serde(default)]
    pub rpo: Option<Period>,
    #[serde(default)]
    pub restore_test_interval: Option<Toggle>,
    /// `false`: the job is not expected to run (no "stopped" finding).
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// What a job's last run came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunResult {
    Ok,
    /// Done with warnings: Veeam or VSPC `Warning`.
    Partial,
    Failed,
}

/// A job's last run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Run {
    pub at: Timestamp,
    pub result: RunResult,
    /// The source's words on the result ("Processing sql-01 Error: ...").
    pub message: Option<String>,
}

/// The restore points a source knows of a job.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RestorePoints {
    /// The newest good restore point (a partial run's counts: it exists and restores).
    pub newest: Option<Timestamp>,
    /// The oldest one, when the source tells.
    pub oldest: Option<Timestamp>,
}

/// What an observation is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Watch {
    /// A backup job: every rule applies.
    Job,
    /// A check of a repository (restic `check`): only "failed" applies.
    Check,
}

/// What a source says about one job or protected object.
#[derive(Clone, Debug, PartialEq)]
pub struct Observation {
    /// The job's id in the source: the start of the external ids, the key of restore tests.
    pub job: String,
    /// The name shown in titles.
    pub name: String,
    pub tenant: TenantId,
    pub host: Option<String>,
    pub enabled: bool,
    pub watch: Watch,
    pub last_run: Option<Run>,
    /// When the source's scheduler runs the job next, when it says.
    pub next_run: Option<Timestamp>,
    /// `None`: the source does not tell (no RPO or restore-test finding is made then).
    pub restore_points: Option<RestorePoints>,
    /// The connector's own labels (repository, job type, ...).
    pub labels: Vec<Label>,
    pub link: Option<Box<str>>,
}

impl Observation {
    /// An enabled job with nothing known yet.
    pub fn new(job: &str, name: &str, tenant: TenantId) -> Self {
        Self {
            job: job.to_string(),
            name: name.to_string(),
            tenant,
            host: None,
            enabled: true,
            watch: Watch::Job,
            last_run: None,
            next_run: None,
            restore_points: None,
            labels: Vec::new(),
            link: None,
        }
    }
}

/// The findings, by the name used in external ids, labels and `rule-priorities`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    Failed,
    Rpo,
    Stopped,
    RestoreTest,
}

impl Rule {
    pub fn name(self) -> &'static str {
        match self {
            Rule::Failed => "failed",
            Rule::Rpo => "rpo",
            Rule::Stopped => "stopped",
            Rule::RestoreTest => "restore-test",
        }
    }

    /// Priority unless `rule-priorities` says otherwise.
    pub fn default_priority(self) -> Priority {
        match self {
            Rule::Failed | Rule::Rpo | Rule::Stopped => Priority::P2,
            Rule::RestoreTest => Priority::P4,
        }
    }
}

/// The rules of one backup source, built once.
#[derive(Clone, Debug)]
pub struct Rules {
    source: SourceId,
    tool: &'static str,
    settings: RuleSettings,
    zone: TimeZone,
    restore_tests: RestoreTests,
    /// When the source was set up: the "since" of findings that have no time of their own.
    started: Timestamp,
}

/// An observation with its job's settings applied.
struct Judged<'a> {
    obs: &'a Observation,
    tenant: TenantId,
    name: String,
    host: Option<String>,
    enabled: bool,
    interval: Duration,
    grace: Duration,
    rpo: Duration,
    restore_test: Option<Duration>,
}

impl Rules {
    pub fn new(
        source: &SourceId,
        tool: &'static str,
        settings: &RuleSettings,
        ctx: &BuildContext,
    ) -> Self {
        Self::with_tests(source, tool, settings, ctx.restore_tests.clone(), ctx.now)
    }

    /// As [`Rules::new`], with the restore tests and start time given.
    pub fn with_tests(
        source: &SourceId,
        tool: &'static str,
        settings: &RuleSettings,
        restore_tests: RestoreTests,
        started: Timestamp,
    ) -> Self {
        let zone_name = settings
            .time_zone
            .as_ref()
            .map_or(DEFAULT_TIME_ZONE, |z| z.0.as_str());
        Self {
            source: source.clone(),
            tool,
            settings: settings.clone(),
            zone: TimeZone::get(zone_name).unwrap_or(TimeZone::UTC),
            restore_tests,
            started,
        }
    }

    /// The zone of restore-test dates and borg's local times.
    pub fn zone(&self) -> &TimeZone {
        &self.zone
    }

    /// The configured jobs.
    pub fn specs(&self) -> &[JobSpec] {
        &self.settings.jobs
    }

    /// The configured job whose `id` is the job's id or name.
    pub fn spec(&self, job: &str, name: &str) -> Option<&JobSpec> {
        self.settings
            .jobs
            .iter()
            .find(|s| s.id == job)
            .or_else(|| self.settings.jobs.iter().find(|s| s.id == name))
    }

    /// The queue items the observations come to at `now`.
    pub fn findings(&self, observations: &[Observation], now: Timestamp) -> Vec<Item> {
        observations
            .iter()
            .flat_map(|o| self.judge(o, now))
            .collect()
    }

    fn judge(&self, obs: &Observation, now: Timestamp) -> Vec<Item> {
        let job = self.apply_spec(obs);
        let found = match obs.watch {
            Watch::Job => vec![
                self.failed(&job, now),
                self.rpo(&job, now),
                self.stopped(&job, now),
                self.restore_test(&job, now),
            ],
            Watch::Check => vec![self.failed(&job, now)],
        };
        found.into_iter().flatten().collect()
    }

    fn apply_spec<'a>(&self, obs: &'a Observation) -> Judged<'a> {
        let spec = self.spec(&obs.job, &obs.name);
        let tenant = spec
            .and_then(|s| s.tenant.as_deref())
            .map(TenantId::new)
            .unwrap_or_else(|| obs.tenant.clone());
        let period = |own: Option<Period>, all: Option<Period>, default: Duration| {
            own.or(all).map_or(default, |p| p.0)
        };
        let interval = period(
            spec.and_then(|s| s.interval),
            self.settings.interval,
            DEFAULT_INTERVAL,
        );
        let grace = period(
            spec.and_then(|s| s.grace),
            self.settings.grace,
            DEFAULT_GRACE,
        );
        let rpo = spec.and_then(|s| s.rpo).map_or(interval + grace, |p| p.0);
        let restore_test = spec
            .and_then(|s| s.restore_test_interval)
            .or_else(|| {
                self.settings
                    .restore_test_by_tenant
                    .get(tenant.as_str())
                    .copied()
            })
            .or(self.settings.restore_test_interval)
            .map_or(Some(DEFAULT_RESTORE_TEST_INTERVAL), Toggle::duration);
        Judged {
            obs,
            name: spec
                .and_then(|s| s.name.clone())
                .unwrap_or_else(|| obs.name.clone()),
            host: spec
                .and_then(|s| s.host.clone())
                .or_else(|| obs.host.clone()),
            enabled: obs.enabled && spec.and_then(|s| s.enabled).unwrap_or(true),
            tenant,
            interval,
            grace,
            rpo,
            restore_test,
        }
    }

    fn priority(&self, rule: Rule) -> Priority {
        let p = &self.settings.rule_priorities;
        let configured = match rule {
            Rule::Failed => p.failed,
            Rule::Rpo => p.rpo,
            Rule::Stopped => p.stopped,
            Rule::RestoreTest => p.restore_test,
        };
        configured.map_or(rule.default_priority(), |v| v.0)
    }

    fn failed(&self, job: &Judged<'_>, now: Timestamp) -> Option<Item> {
        let run = job.obs.last_run.as_ref()?;
        let (verb, status) = match run.result {
            RunResult::Ok => return None,
            RunResult::Partial if !self.settings.partial_is_failed.unwrap_or(true) => return None,
            RunResult::Partial => ("finished with warnings", "partial"),
            RunResult::Failed => ("failed", "failed"),
        };
        let mut title = format!(
            "{} {verb} {} ago",
            subject(job),
            span(now.duration_since(run.at))
        );
        if let Some(message) = run.message.as_deref().and_then(first_line) {
            title.push_str(&format!(": {message}"));
        }
        Some(self.item(job, Rule::Failed, &title, status, run.at))
    }

    fn rpo(&self, job: &Judged<'_>, now: Timestamp) -> Option<Item> {
        let points = job.obs.restore_points.as_ref()?;
        let rpo = job.rpo;
        let (title, since) = match points.newest {
            Some(newest) => {
                let age = now.duration_since(newest);
                if age <= signed(rpo) {
                    return None;
                }
                let title = format!(
                    "{}: newest restore point {} old (RPO {})",
                    subject(job),
                    span(age),
                    span_std(rpo)
                );
                (title, later(newest, rpo))
            }
            None => {
                let title = format!("{}: no restore point (RPO {})", subject(job), span_std(rpo));
                let since = job.obs.last_run.as_ref().map_or(self.started, |r| r.at);
                (title, since.min(now))
            }
        };
        let title = if job.enabled {
            title
        } else {
            format!("{title} (job disabled)")
        };
        Some(self.item(job, Rule::Rpo, &title, "stale", since))
    }

    fn stopped(&self, job: &Judged<'_>, now: Timestamp) -> Option<Item> {
        if !job.enabled {
            return None;
        }
        let run = job.obs.last_run.as_ref()?;
        let scheduled = job.obs.next_run.filter(|next| *next > run.at);
        let due = scheduled.unwrap_or_else(|| later(run.at, job.interval));
        let late_from = later(due, job.grace);
        if now <= late_from {
            return None;
        }
        let since_run = span(now.duration_since(run.at));
        let title = match scheduled {
            Some(next) => format!(
                "{}: no run for {since_run} (next run was due {} ago)",
                subject(job),
                span(now.duration_since(next))
            ),
            None => format!(
                "{}: no run for {since_run} (due every {})",
                subject(job),
                span_std(job.interval)
            ),
        };
        Some(self.item(job, Rule::Stopped, &title, "stopped", late_from))
    }

    fn restore_test(&self, job: &Judged<'_>, now: Timestamp) -> Option<Item> {
        let every = job.restore_test?;
        let points = job.obs.restore_points.as_ref()?;
        let first = points.oldest.or(points.newest)?;
        let (title, since, last) = match self.restore_tests.last(self.source.as_str(), &job.obs.job)
        {
            Some(test) => {
                let tested = test
                    .done_on
                    .to_zoned_datetime(self.zone.clone())
                    .map_or(test.recorded_at, |z| z.timestamp());
                let due = later(tested, every);
                if now <= due {
                    return None;
                }
                let title = format!(
                    "{}: recovery test overdue for {} (last {}, every {})",
                    subject(job),
                    span(now.duration_since(due)),
                    test.done_on,
                    span_std(every)
                );
                (title, due, Some(test))
            }
            None => {
                let title = match points.oldest {
                    Some(oldest) => format!(
                        "{}: never recovery-tested (restore points since {})",
                        subject(job),
                        oldest.to_zoned_datetime(self.zone.clone()).date()
                    ),
                    None => format!("{}: never recovery-tested", subject(job)),
                };
                (
                    title,
                    points.oldest.unwrap_or(first.min(self.started)),
                    None,
                )
            }
        };
        let mut item = self.item(job, Rule::RestoreTest, &title, "test overdue", since);
        if let Some(test) = last {
            item.labels
                .push(label("restore-test-last", &test.done_on.to_string()));
            item.labels.push(label("restore-test-by", &test.user));
            if !test.note.is_empty() {
                item.labels.push(label("restore-test-note", &test.note));
            }
        }
        Some(item)
    }

    fn item(
        &self,
        job: &Judged<'_>,
        rule: Rule,
        title: &str,
        status: &str,
        since: Timestamp,
    ) -> Item {
        let obs = job.obs;
        let key = ItemKey::new(&self.source, &format!("{}/{}", obs.job, rule.name()));
        let mut item = new_item(
            key,
            job.tenant.clone(),
            Kind::Backup,
            title,
            self.priority(rule),
            Status::new(StatusCategory::New, status),
            since,
        );
        item.updated = Moment::new(obs.last_run.as_ref().map_or(since, |r| r.at.max(since)));
        item.host = job.host.as_deref().map(Arc::from);
        item.link = obs.link.clone();
        item.labels = self.labels(job, rule).into();
        item
    }

    fn labels(&self, job: &Judged<'_>, rule: Rule) -> Vec<Label> {
        let obs = job.obs;
        let mut labels = vec![
            label("job", &obs.job),
            label("job-name", &job.name),
            label("finding", rule.name()),
            label("tool", self.tool),
        ];
        labels.extend(obs.labels.iter().cloned());
        if let Some(run) = &obs.last_run {
            labels.push(label("last-run", &run.at.to_string()));
            labels.push(label("last-result", result_name(run.result)));
            if let Some(message) = &run.message {
                labels.push(label("message", &clip(message, MAX_TEXT_CHARS)));
            }
        }
        if let Some(newest) = obs.restore_points.and_then(|p| p.newest) {
            labels.push(label("newest-restore-point", &newest.to_string()));
        }
        if obs.watch == Watch::Job {
            labels.push(label("interval", &span_std(job.interval)));
            labels.push(label("rpo", &span_std(job.rpo)));
        }
        if !job.enabled {
            labels.push(label("enabled", "no"));
        }
        labels
    }
}

/// "Backup 'SQL-Nightly' on sql-01", "Backup 'SQL-Nightly'", "Repository check '/srv/b'".
fn subject(job: &Judged<'_>) -> String {
    match (job.obs.watch, &job.host) {
        (Watch::Check, _) => format!("Repository check '{}'", job.name),
        (Watch::Job, Some(host)) if !host.is_empty() => {
            format!("Backup '{}' on {host}", job.name)
        }
        (Watch::Job, _) => format!("Backup '{}'", job.name),
    }
}

fn result_name(result: RunResult) -> &'static str {
    match result {
        RunResult::Ok => "ok",
        RunResult::Partial => "partial",
        RunResult::Failed => "failed",
    }
}

/// The first non-empty line of a message, trimmed.
fn first_line(message: &str) -> Option<&str> {
    message.lines().map(str::trim).find(|l| !l.is_empty())
}

/// `at + d`, saturating at the end of time.
fn later(at: Timestamp, d: Duration) -> Timestamp {
    at.checked_add(signed(d)).unwrap_or(Timestamp::MAX)
}

pub(crate) fn signed(d: Duration) -> SignedDuration {
    SignedDuration::try_from(d).unwrap_or(SignedDuration::MAX)
}

/// An age as titles write it: `45min` below an hour, `31h` below three days, else `9d`
/// (rounded down; a negative age, from a clock ahead of ours, is `0min`).
pub fn span(d: SignedDuration) -> String {
    let seconds = d.as_secs().max(0);
    if seconds < 3600 {
        format!("{}min", seconds / 60)
    } else if seconds < 72 * 3600 {
        format!("{}h", seconds / 3600)
    } else {
        format!("{}d", seconds / 86_400)
    }
}

fn span_std(d: Duration) -> String {
    span(signed(d))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::RestoreTest;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn now() -> Timestamp {
        at("2026-11-28T08:00:00Z")
    }

    fn settings(toml_text: &str) -> RuleSettings {
        toml::from_str(toml_text).unwrap()
    }

    fn rules(toml_text: &str, tests: RestoreTests) -> Rules {
        Rules::with_tests(
            &SourceId::new("restic-mueller"),
            "restic",
            &settings(toml_text),
            tests,
            at("2026-11-28T06:00:00Z"),
        )
    }

    /// SQL-Nightly on sql-01, last run and newest restore point `hours_ago`.
    fn job(hours_ago: i64, result: RunResult) -> Observation {
        let t = now() - SignedDuration::from_hours(hours_ago);
        let mut o = Observation::new("sql-nightly", "SQL-Nightly", TenantId::new("mueller"));
        o.host = Some("sql-01".into());
        o.last_run = Some(Run {
            at: t,
            result,
            message: (result != RunResult::Ok).then(|| "Error: VSS snapshot failed\nmore".into()),
        });
        o.restore_points = Some(RestorePoints {
            newest: Some(t),
            oldest: Some(at("2026-05-01T01:00:00Z")),
        });
        o
    }

    fn tested_on(day: &str) -> RestoreTests {
        let tests = RestoreTests::default();
        tests.note(RestoreTest {
            source: "restic-mueller".into(),
            job: "sql-nightly".into(),
            tenant: "mueller".into(),
            done_on: day.parse().unwrap(),
            note: "DB restored to test VM".into(),
            user: "anna".into(),
            recorded_at: at("2026-11-01T10:00:00Z"),
        });
        tests
    }

    fn ids(items: &[Item]) -> Vec<&str> {
        let mut ids: Vec<&str> = items.iter().map(|i| &*i.key.external_id).collect();
        ids.sort();
        ids
    }

    fn find<'a>(items: &'a [Item], rule: &str) -> &'a Item {
        let id = format!("sql-nightly/{rule}");
        items
            .iter()
            .find(|i| *i.key.external_id == *id)
            .unwrap_or_else(|| panic!("no {id} in {items:#?}"))
    }

    #[test]
    fn a_fresh_successful_recently_tested_job_has_no_findings() {
        let r = rules("", tested_on("2026-10-01"));
        assert!(r.findings(&[job(3, RunResult::Ok)], now()).is_empty());
    }

    #[test]
    fn a_stale_restore_point_breaches_the_rpo_and_the_job_counts_as_stopped() {
        let r = rules("", tested_on("2026-10-01"));
        let items = r.findings(&[job(31, RunResult::Ok)], now());
        assert_eq!(ids(&items), ["sql-nightly/rpo", "sql-nightly/stopped"]);
        let rpo = find(&items, "rpo");
        assert_eq!(
            &*rpo.title,
            "Backup 'SQL-Nightly' on sql-01: newest restore point 31h old (RPO 26h)"
        );
        assert_eq!(rpo.priority, Priority::P2);
        assert_eq!(rpo.kind, Kind::Backup);
        assert_eq!(rpo.tenant.as_str(), "mueller");
        assert_eq!(rpo.host.as_deref(), Some("sql-01"));
        // Stale since the restore point plus the RPO.
        assert_eq!(
            rpo.created,
            crate::model::Moment::new(now() - SignedDuration::from_hours(5))
        );
        assert_eq!(rpo.label("finding"), Some("rpo"));
        assert_eq!(rpo.label("job"), Some("sql-nightly"));
        let stopped = find(&items, "stopped");
        assert_eq!(
            &*stopped.title,
            "Backup 'SQL-Nightly' on sql-01: no run for 31h (due every 24h)"
        );
        assert_eq!(stopped.status.label.as_ref(), "stopped");
    }

    #[test]
    fn a_job_stopped_within_its_rpo_is_stopped_only() {
        // The contract allows 3 days; the job should run daily.
        let r = rules(
            r#"jobs = [{ id = "sql-nightly", rpo = "72h" }]"#,
            tested_on("2026-10-01"),
        );
        let items = r.findings(&[job(30, RunResult::Ok)], now());
        assert_eq!(ids(&items), ["sql-nightly/stopped"]);
    }

    #[test]
    fn a_scheduler_that_says_later_is_believed() {
        let r = rules("", tested_on("2026-10-01"));
        let mut o = job(30, RunResult::Ok);
        o.next_run = Some(now() + SignedDuration::from_hours(2));
        // rpo still holds (the restore point is 30h old), but no run was due yet.
        assert_eq!(ids(&r.findings(&[o.clone()], now())), ["sql-nightly/rpo"]);
        o.next_run = Some(now() - SignedDuration::from_hours(3));
        let items = r.findings(&[o], now());
        assert_eq!(
            &*find(&items, "stopped").title,
            "Backup 'SQL-Nightly' on sql-01: no run for 30h (next run was due 3h ago)"
        );
    }

    #[test]
    fn a_failed_run_is_a_finding_with_the_source_s_message() {
        let r = rules("", tested_on("2026-10-01"));
        let mut o = job(4, RunResult::Failed);
        // The restore point is older than the failed run, but within the RPO.
        o.restore_points.as_mut().unwrap().newest = Some(now() - SignedDuration::from_hours(20));
        let items = r.findings(&[o], now());
        assert_eq!(ids(&items), ["sql-nightly/failed"]);
        let failed = find(&items, "failed");
        assert_eq!(
            &*failed.title,
            "Backup 'SQL-Nightly' on sql-01 failed 4h ago: Error: VSS snapshot failed"
        );
        assert_eq!(
            failed.created,
            crate::model::Moment::new(now() - SignedDuration::from_hours(4))
        );
        assert_eq!(failed.label("last-result"), Some("failed"));
        assert_eq!(
            failed.label("message"),
            Some("Error: VSS snapshot failed\nmore")
        );
    }

    #[test]
    fn partial_runs_are_failed_unless_configured_otherwise() {
        let r = rules("", tested_on("2026-10-01"));
        let items = r.findings(&[job(2, RunResult::Partial)], now());
        let partial = find(&items, "failed");
        assert!(
            partial.title.contains("finished with warnings 2h ago"),
            "{}",
            partial.title
        );
        assert_eq!(partial.status.label.as_ref(), "partial");
        let lenient = rules("partial-is-failed = false", tested_on("2026-10-01"));
        assert!(
            lenient
                .findings(&[job(2, RunResult::Partial)], now())
                .is_empty()
        );
    }

    #[test]
    fn priorities_come_from_the_config() {
        let r = rules(
            "rule-priorities = { failed = 1, rpo = \"P3\", stopped = 4 }",
            RestoreTests::default(),
        );
        let mut o = job(40, RunResult::Failed);
        o.restore_points.as_mut().unwrap().oldest = Some(now() - SignedDuration::from_hours(50));
        let items = r.findings(&[o], now());
        assert_eq!(find(&items, "failed").priority, Priority::P1);
        assert_eq!(find(&items, "rpo").priority, Priority::P3);
        assert_eq!(find(&items, "stopped").priority, Priority::P4);
        assert_eq!(find(&items, "restore-test").priority, Priority::P4);
    }

    #[test]
    fn a_recovery_test_is_overdue_after_its_interval() {
        let r = rules("", tested_on("2026-08-01"));
        let items = r.findings(&[job(3, RunResult::Ok)], now());
        assert_eq!(ids(&items), ["sql-nightly/restore-test"]);
        let test = find(&items, "restore-test");
        // 2026-08-01 00:00 Berlin (summer time: 22:00 UTC the day before) + 90 × 24h.
        assert_eq!(
            test.created,
            crate::model::Moment::new(at("2026-10-29T22:00:00Z"))
        );
        assert_eq!(
            &*test.title,
            "Backup 'SQL-Nightly' on sql-01: recovery test overdue for 29d (last 2026-08-01, every 90d)"
        );
        assert_eq!(test.priority, Priority::P4);
        assert_eq!(test.label("restore-test-by"), Some("anna"));
        assert_eq!(test.status.label.as_ref(), "test overdue");
    }

    #[test]
    fn tenant_overrides_and_off_decide_the_test_interval() {
        let toml_text = r#"
restore-test-interval = "180d"
restore-test-by-tenant = { mueller = "30d", schmidt = "off" }
"#;
        let r = rules(toml_text, tested_on("2026-10-01"));
        // 58 days since the test: overdue for mueller's 30 days.
        assert_eq!(
            ids(&r.findings(&[job(3, RunResult::Ok)], now())),
            ["sql-nightly/restore-test"]
        );
        let mut other = job(3, RunResult::Ok);
        other.tenant = TenantId::new("schmidt");
        assert!(r.findings(&[other], now()).is_empty());
        let mut third = job(3, RunResult::Ok);
        third.tenant = TenantId::new("weber");
        assert!(r.findings(&[third], now()).is_empty(), "180d not over");
    }

    #[test]
    fn a_job_never_tested_is_overdue_since_its_first_restore_point() {
        let r = rules("", RestoreTests::default());
        let items = r.findings(&[job(3, RunResult::Ok)], now());
        let test = find(&items, "restore-test");
        assert_eq!(
            &*test.title,
            "Backup 'SQL-Nightly' on sql-01: never recovery-tested (restore points since 2026-05-01)"
        );
        assert_eq!(
            test.created,
            crate::model::Moment::new(at("2026-05-01T01:00:00Z"))
        );
    }

    #[test]
    fn a_new_test_record_takes_effect_at_once() {
        let tests = RestoreTests::default();
        let r = rules("", tests.clone());
        assert_eq!(r.findings(&[job(3, RunResult::Ok)], now()).len(), 1);
        tests.note(RestoreTest {
            source: "restic-mueller".into(),
            job: "sql-nightly".into(),
            tenant: "mueller".into(),
            done_on: "2026-11-27".parse().unwrap(),
            note: String::new(),
            user: "ben".into(),
            recorded_at: now(),
        });
        assert!(r.findings(&[job(3, RunResult::Ok)], now()).is_empty());
    }

    #[test]
    fn job_settings_override_the_source_and_the_observation() {
        let r = rules(
            r#"
interval = "7d"
jobs = [{ id = "SQL-Nightly", name = "SQL nightly", tenant = "schmidt", host = "db-02", interval = "1h", grace = "30m" }]
"#,
            tested_on("2026-10-01"),
        );
        let items = r.findings(&[job(2, RunResult::Ok)], now());
        let rpo = find(&items, "rpo");
        assert_eq!(
            &*rpo.title,
            "Backup 'SQL nightly' on db-02: newest restore point 2h old (RPO 1h)"
        );
        assert_eq!(rpo.tenant.as_str(), "schmidt");
        // The source-wide interval applies to other jobs.
        let mut weekly = job(100, RunResult::Ok);
        weekly.job = "files".into();
        weekly.name = "Files".into();
        assert!(
            r.findings(&[weekly], now())
                .iter()
                .all(|i| !i.key.external_id.ends_with("/rpo")),
            "100h is within 7d + 2h"
        );
    }

    #[test]
    fn disabled_jobs_never_stop_but_their_restore_points_still_age() {
        let r = rules("", tested_on("2026-10-01"));
        let mut o = job(50, RunResult::Ok);
        o.enabled = false;
        let items = r.findings(&[o], now());
        assert_eq!(ids(&items), ["sql-nightly/rpo"]);
        assert!(
            items[0].title.ends_with("(job disabled)"),
            "{}",
            items[0].title
        );
        assert_eq!(items[0].label("enabled"), Some("no"));
    }

    #[test]
    fn a_job_without_restore_points_breaches_its_rpo_from_the_start() {
        let r = rules("", RestoreTests::default());
        let mut o = Observation::new("db", "DB", TenantId::new("mueller"));
        o.restore_points = Some(RestorePoints::default());
        let items = r.findings(&[o], now());
        assert_eq!(items.len(), 1, "{items:#?}");
        assert_eq!(&*items[0].title, "Backup 'DB': no restore point (RPO 26h)");
        assert_eq!(
            items[0].created,
            crate::model::Moment::new(at("2026-11-28T06:00:00Z"))
        );
    }

    #[test]
    fn a_failed_check_is_only_a_failed_finding() {
        let r = rules("", RestoreTests::default());
        let mut o = Observation::new(CHECK_JOB, "/srv/backup/mueller", TenantId::new("mueller"));
        o.watch = Watch::Check;
        o.last_run = Some(Run {
            at: now() - SignedDuration::from_mins(20),
            result: RunResult::Failed,
            message: Some("pack 8bcc16: does not exist".into()),
        });
        let items = r.findings(&[o], now());
        assert_eq!(items.len(), 1);
        assert_eq!(
            &*items[0].title,
            "Repository check '/srv/backup/mueller' failed 20min ago: pack 8bcc16: does not exist"
        );
        assert_eq!(&*items[0].key.external_id, "repository-check/failed");
    }

    #[test]
    fn spans_read_like_people_write_them() {
        assert_eq!(span(SignedDuration::from_mins(45)), "45min");
        assert_eq!(span(SignedDuration::from_hours(31)), "31h");
        assert_eq!(span(SignedDuration::from_hours(80)), "3d");
        assert_eq!(span(SignedDuration::from_hours(-2)), "0min");
    }

    #[test]
    fn settings_refuse_bad_values() {
        for bad in [
            "interval = \"1 day\"",
            "rule-priorities = { failed = 7 }",
            "rule-priorities = { fialed = 1 }",
            "time-zone = \"Europe/Bremen\"",
            "restore-test-interval = \"never\"",
            "jobs = [{ name = \"no id\" }]",
        ] {
            assert!(toml::from_str::<RuleSettings>(bad).is_err(), "{bad}");
        }
    }
}
