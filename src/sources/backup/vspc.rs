//! Veeam Service Provider Console, REST API v3 (`kind = "vspc"`, `https://vspc:1280`): the
//! MSP's one view of its customers' Veeam B&R jobs. A REST API key is sent as
//! `Authorization: Bearer <key>`. `GET /api/v3/infrastructure/backupServers/jobs` (paged
//! with `limit`/`offset`, `meta.pagingInfo.total`) lists every managed job with its latest
//! session's status, start and failure message; `GET /api/v3/organizations/companies`
//! names the company of each job's organization (`mappedOrganizationUid`, else
//! `organizationUid`), and the company name becomes the tenant through the mapping
//! (`tenant-label = "company"` by default, `tenant-map` for names that are not tenant ids).
//!
//! VSPC tells only the latest session. Its start is the newest restore point when it
//! succeeded (or warned); for a failing job nightdesk remembers the newest good start it
//! saw while running, and makes no RPO finding before it saw one.

use std::collections::HashMap;

use jiff::Timestamp;
use reqwest::Method;
use reqwest::header::ACCEPT;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::rules::{Observation, RestorePoints, Rules, Run, RunResult};
use super::{Backup, BackupSystem};
use crate::config::SourceConfig;
use crate::model::{Item, SourceId, TenantId};
use crate::sources::SourceError;
use crate::sources::build::BuildContext;
use crate::sources::http::{Answer, Endpoint};
use crate::sources::mapping::{Decoded, Mapping, decode_each, label};
use std::future::Future;

/// Records asked per page unless configured (the API's maximum).
pub const DEFAULT_PAGE_SIZE: u32 = 500;

/// The label whose value (the company name) names the tenant unless configured.
const DEFAULT_TENANT_LABEL: &str = "company";

/// Settings of `kind = "vspc"`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct VspcSettings {
    /// Records per request (default and maximum 500).
    #[serde(default)]
    pub page_size: Option<u32>,
}

/// A page of a VSPC collection: `{ meta: { pagingInfo }, data: [...] }`.
#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    meta: Option<Meta>,
    data: Vec<Box<RawValue>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Meta {
    #[serde(default)]
    paging_info: Option<PagingInfo>,
}

#[derive(Deserialize)]
struct PagingInfo {
    total: u64,
}

/// `BackupServerJob` (the fields nightdesk reads).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Job {
    instance_uid: String,
    name: String,
    status: String,
    #[serde(default = "enabled")]
    is_enabled: bool,
    #[serde(default)]
    organization_uid: Option<String>,
    #[serde(default)]
    mapped_organization_uid: Option<String>,
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    last_run: Option<Timestamp>,
    #[serde(default)]
    failure_message: Option<String>,
    #[serde(default)]
    destination: Option<String>,
}

fn enabled() -> bool {
    true
}

/// `Company` (the fields nightdesk reads).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Company {
    instance_uid: String,
    name: String,
}

/// A connected Service Provider Console.
pub struct Vspc {
    id: SourceId,
    tenant: Option<TenantId>,
    endpoint: Endpoint,
    page_size: u32,
    mapping: Mapping,
    rules: Rules,
    /// The newest good session start seen per job (VSPC tells only the latest session).
    last_good: HashMap<String, Timestamp>,
    degraded: Option<String>,
    job_count: usize,
}

impl Vspc {
    pub fn from_config(
        config: &SourceConfig,
        backup: &Backup<VspcSettings>,
        ctx: &BuildContext,
    ) -> Result<Self, SourceError> {
        if !matches!(config.auth, Some(crate::config::Auth::Token(_))) {
            return Err(SourceError::Auth(format!(
                "source {} needs a VSPC REST API key: auth = {{ env = \"...\" }}",
                config.id
            )));
        }
        Ok(Self {
            id: config.id.clone(),
            tenant: config.tenant.clone(),
            endpoint: ctx.endpoint(config, None)?,
            page_size: backup
                .settings
                .page_size
                .unwrap_or(DEFAULT_PAGE_SIZE)
                .clamp(1, DEFAULT_PAGE_SIZE),
            mapping: ctx.mapping(config, &[], Some(DEFAULT_TENANT_LABEL)),
            rules: Rules::new(&config.id, "vspc", &backup.rules, ctx),
            last_good: HashMap::new(),
            degraded: None,
            job_count: 0,
        })
    }

    /// Every record of a collection, page by page.
    async fn collection<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
    ) -> Result<Decoded<T>, SourceError> {
        let mut raw = Vec::new();
        loop {
            let query = [
                ("limit", self.page_size.to_string()),
                ("offset", raw.len().to_string()),
            ];
            let request = self
                .endpoint
                .request(Method::GET, path)
                .query(&query)
                .header(ACCEPT, "application/json");
            let request = self.endpoint.authorize(request).await?;
            let page: Page = self
                .endpoint
                .send(request)
                .await?
                .ok_explained(vspc_error)?
                .json()?;
            let got = page.data.len();
            raw.extend(page.data);
            let total = page.meta.and_then(|m| m.paging_info).map(|p| p.total);
            if got == 0 || total.is_none_or(|t| raw.len() as u64 >= t) {
                break;
            }
        }
        Ok(decode_each(raw.iter().map(|r| &**r)))
    }

    async fn fetch_all(&mut self, now: Timestamp) -> Result<Vec<Item>, SourceError> {
        let companies: Decoded<Company> =
            self.collection("/api/v3/organizations/companies").await?;
        let names: HashMap<String, String> = companies
            .records
            .into_iter()
            .map(|c| (c.instance_uid.to_lowercase(), c.name))
            .collect();
        let jobs: Decoded<Job> = self
            .collection("/api/v3/infrastructure/backupServers/jobs")
            .await?;
        self.job_count = jobs.records.len();
        let observations: Vec<Observation> = jobs
            .records
            .iter()
            .map(|job| self.observation(job, &names))
            .collect();
        self.degraded = match (companies.skipped, jobs.problem("jobs")) {
            (0, problem) => problem,
            (n, problem) => Some(
                [Some(format!("{n} companies could not be read")), problem]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
        };
        Ok(self.rules.findings(&observations, now))
    }

    fn observation(&mut self, job: &Job, companies: &HashMap<String, String>) -> Observation {
        let company = job
            .mapped_organization_uid
            .iter()
            .chain(&job.organization_uid)
            .find_map(|uid| companies.get(&uid.to_lowercase()));
        let mut labels = Vec::new();
        if let Some(company) = company {
            labels.push(label("company", company));
        }
        if let Some(kind) = &job.kind {
            labels.push(label("type", kind));
        }
        if let Some(destination) = &job.destination {
            labels.push(label("repository", destination));
        }
        labels.push(label("status", &job.status));
        let mut o = Observation::new(&job.instance_uid, &job.name, self.mapping.tenant(&labels));
        o.enabled = job.is_enabled;
        let result = match job.status.as_str() {
            "Success" => Some(RunResult::Ok),
            "Warning" => Some(RunResult::Partial),
            "Failed" => Some(RunResult::Failed),
            // Never ran, or nothing known of it.
            "None" | "Unknown" => None,
            // Running, idle, waiting: the run happened, its result is not in yet.
            _ => Some(RunResult::Ok).filter(|_| job.last_run.is_some()),
        };
        let good_now = matches!(job.status.as_str(), "Success" | "Warning");
        if let (true, Some(at)) = (good_now, job.last_run) {
            let known = self.last_good.entry(job.instance_uid.clone()).or_insert(at);
            *known = (*known).max(at);
        }
        o.last_run = job.last_run.zip(result).map(|(at, result)| Run {
            at,
            result,
            message: job
                .failure_message
                .clone()
                .filter(|m| !m.trim().is_empty() && result != RunResult::Ok),
        });
        o.restore_points = self
            .last_good
            .get(&job.instance_uid)
            .map(|newest| RestorePoints {
                newest: Some(*newest),
                oldest: None,
            });
        o.labels = labels;
        o
    }
}

/// The messages of a VSPC error answer (`{ errors: [{ message, type, code }] }`).
fn vspc_error(answer: &Answer) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(&answer.body).ok()?;
    let messages: Vec<&str> = value
        .get("errors")?
        .as_array()?
        .iter()
        .filter_map(|e| e.get("message")?.as_str())
        .collect();
    (!messages.is_empty()).then(|| messages.join("; "))
}

impl BackupSystem for Vspc {
    const KIND: &'static str = "vspc";

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
        format!("VSPC: {} jobs, {} findings", self.job_count, findings.len())
    }
}

super::backup_source!(Vspc);
