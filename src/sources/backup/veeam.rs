//! Veeam Backup & Replication REST API (`kind = "veeam"`, v12/v13, `https://vbr:9419`).
//! nightdesk logs in with the OAuth2 password grant (`POST /api/oauth2/token`), keeps the
//! access token until it expires (and logs in again once when a request is refused), and
//! sends the `x-api-version` header with every request. `GET /api/v1/jobs/states` (paged)
//! gives each job's last run, last result (`None`, `Success`, `Warning`, `Failed`), next run
//! and status; for a job whose last run did not succeed, `GET /api/v1/sessions` of the job
//! gives the failure message and its newest good session, whose start is the newest restore
//! point.

use jiff::Timestamp;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::rules::{Observation, RestorePoints, Rules, Run, RunResult};
use super::{Backup, BackupSystem};
use crate::config::{Credentials, SecretString, SourceConfig};
use crate::model::{Item, SourceId, TenantId};
use crate::sources::SourceError;
use crate::sources::build::BuildContext;
use crate::sources::http::{Answer, Endpoint, redact};
use crate::sources::mapping::{Decoded, Mapping, decode_each, label};
use std::future::Future;

/// The `x-api-version` unless configured (Veeam B&R 12.1).
pub const DEFAULT_API_VERSION: &str = "1.1-rev2";
/// Job states asked per page unless configured.
pub const DEFAULT_PAGE_SIZE: u32 = 200;
/// Sessions of a failing job looked at for its message and newest good run.
const SESSIONS_PER_JOB: u32 = 20;

/// Settings of `kind = "veeam"`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct VeeamSettings {
    /// The `x-api-version` header (`<version>-<revision>`, default `1.1-rev2`).
    #[serde(default)]
    pub api_version: Option<String>,
    /// Job states per request (default 200).
    #[serde(default)]
    pub page_size: Option<u32>,
}

/// `POST /api/oauth2/token` (TokenModel).
#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    expires_in: Option<i64>,
}

/// A page of a collection (`JobStatesResult`, `SessionsResult`).
#[derive(Deserialize)]
struct Page {
    data: Vec<Box<RawValue>>,
    #[serde(default)]
    pagination: Option<Pagination>,
}

#[derive(Deserialize)]
struct Pagination {
    total: u64,
    #[serde(default)]
    count: Option<u64>,
}

/// `JobStateModel` (the fields nightdesk reads).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct JobState {
    id: String,
    name: String,
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    last_result: Option<String>,
    #[serde(default)]
    last_run: Option<Timestamp>,
    #[serde(default)]
    next_run: Option<Timestamp>,
    #[serde(default)]
    repository_name: Option<String>,
    #[serde(default)]
    session_id: Option<String>,
    #[serde(default)]
    objects_count: Option<u64>,
}

/// `SessionModel` (the fields nightdesk reads).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Session {
    id: String,
    creation_time: Timestamp,
    #[serde(default)]
    result: Option<SessionResult>,
}

#[derive(Clone, Debug, Deserialize)]
struct SessionResult {
    result: String,
    #[serde(default)]
    message: Option<String>,
}

impl Session {
    fn is_good(&self) -> bool {
        self.result
            .as_ref()
            .is_some_and(|r| matches!(r.result.as_str(), "Success" | "Warning"))
    }
}

/// What the sessions of a failing job tell.
#[derive(Default)]
struct History {
    message: Option<String>,
    newest_good: Option<Timestamp>,
}

/// A connected Veeam Backup & Replication server.
pub struct Veeam {
    id: SourceId,
    tenant: Option<TenantId>,
    endpoint: Endpoint,
    api_version: HeaderValue,
    page_size: u32,
    mapping: Mapping,
    rules: Rules,
    /// The access token and when it expires.
    token: Option<(SecretString, Timestamp)>,
    degraded: Option<String>,
    job_count: usize,
}

impl Veeam {
    pub fn from_config(
        config: &SourceConfig,
        backup: &Backup<VeeamSettings>,
        ctx: &BuildContext,
    ) -> Result<Self, SourceError> {
        let version = backup
            .settings
            .api_version
            .as_deref()
            .unwrap_or(DEFAULT_API_VERSION);
        let api_version = HeaderValue::from_str(version).map_err(|_| {
            SourceError::Protocol(format!(
                "api-version `{version}` cannot be sent in a header"
            ))
        })?;
        if !matches!(config.auth, Some(crate::config::Auth::Login { .. })) {
            return Err(SourceError::Auth(format!(
                "source {} needs a Veeam login: auth = {{ user = \"...\", password = {{ ... }} }}",
                config.id
            )));
        }
        Ok(Self {
            id: config.id.clone(),
            tenant: config.tenant.clone(),
            endpoint: ctx.endpoint(config, None)?,
            api_version,
            page_size: backup
                .settings
                .page_size
                .unwrap_or(DEFAULT_PAGE_SIZE)
                .max(1),
            mapping: ctx.mapping(config, &[], None),
            rules: Rules::new(&config.id, "veeam", &backup.rules, ctx),
            token: None,
            degraded: None,
            job_count: 0,
        })
    }

    async fn login_secret(&self) -> Result<(String, SecretString), SourceError> {
        match self.endpoint.credentials().await? {
            Some(Credentials::Login { user, password }) => Ok((user, password)),
            _ => Err(SourceError::Auth(
                "Veeam needs a user and a password".into(),
            )),
        }
    }

    /// The access token: the one held while it is valid, else a new one (password grant).
    async fn token(&mut self, now: Timestamp) -> Result<SecretString, SourceError> {
        if let Some((token, expires)) = &self.token
            && now < *expires
        {
            return Ok(token.clone());
        }
        let (user, password) = self.login_secret().await?;
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "password")
            .append_pair("username", &user)
            .append_pair("password", password.expose())
            .finish();
        let request = self
            .endpoint
            .request(Method::POST, "/api/oauth2/token")
            .header("x-api-version", self.api_version.clone())
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(ACCEPT, "application/json")
            .body(body);
        let answer = self
            .endpoint
            .send(request)
            .await
            .and_then(|a| a.ok_explained(veeam_error))
            .map_err(|e| match e {
                // A refused grant is answered 400 by OAuth2 servers: wrong credentials.
                SourceError::Http {
                    status: 400,
                    message,
                } => SourceError::Auth(format!("HTTP 400: {message}")),
                other => other,
            })
            .map_err(|e| redact(e, password.expose()))?;
        let token: TokenAnswer = answer.json().map_err(|e| redact(e, password.expose()))?;
        // A minute early, so that a token never expires on the way.
        let lifetime = token.expires_in.unwrap_or(900).saturating_sub(60).max(0);
        let expires = now + jiff::SignedDuration::from_secs(lifetime);
        let value = SecretString::new(token.access_token);
        self.token = Some((value.clone(), expires));
        Ok(value)
    }

    /// `GET path?query` with the token; a refused token is replaced once.
    async fn get(
        &mut self,
        path: &str,
        query: &[(&str, String)],
        now: Timestamp,
    ) -> Result<Answer, SourceError> {
        for attempt in 0..2 {
            let token = self.token(now).await?;
            let request = self.authorized(path, query, &token)?;
            let answer = self
                .endpoint
                .send(request)
                .await
                .map_err(|e| redact(e, token.expose()))?;
            if answer.status == StatusCode::UNAUTHORIZED && attempt == 0 {
                self.token = None;
                continue;
            }
            return answer
                .ok_explained(veeam_error)
                .map_err(|e| redact(e, token.expose()));
        }
        Err(SourceError::Auth(
            "the access token was refused twice".into(),
        ))
    }

    fn authorized(
        &self,
        path: &str,
        query: &[(&str, String)],
        token: &SecretString,
    ) -> Result<RequestBuilder, SourceError> {
        let mut bearer =
            HeaderValue::from_str(&format!("Bearer {}", token.expose())).map_err(|_| {
                SourceError::Protocol("the access token cannot be sent in a header".into())
            })?;
        bearer.set_sensitive(true);
        Ok(self
            .endpoint
            .request(Method::GET, path)
            .query(query)
            .header("x-api-version", self.api_version.clone())
            .header(AUTHORIZATION, bearer)
            .header(ACCEPT, "application/json"))
    }

    /// Every job state, page by page.
    async fn job_states(&mut self, now: Timestamp) -> Result<Decoded<JobState>, SourceError> {
        let mut raw = Vec::new();
        loop {
            let query = [
                ("skip", raw.len().to_string()),
                ("limit", self.page_size.to_string()),
            ];
            let page: Page = self.get("/api/v1/jobs/states", &query, now).await?.json()?;
            let got = page.data.len();
            raw.extend(page.data);
            let total = page.pagination.map(|p| p.total.max(p.count.unwrap_or(0)));
            if got == 0 || total.is_none_or(|t| raw.len() as u64 >= t) {
                break;
            }
        }
        Ok(decode_each(raw.iter().map(|r| &**r)))
    }

    /// The newest sessions of a job: its failure message and newest good session.
    async fn history(&mut self, job: &JobState, now: Timestamp) -> Result<History, SourceError> {
        let mut query = vec![
            ("jobIdFilter", job.id.clone()),
            ("orderColumn", "CreationTime".to_string()),
            ("orderAsc", "false".to_string()),
            ("limit", SESSIONS_PER_JOB.to_string()),
        ];
        let sessions = self.sessions(&query, now).await?;
        let last = job
            .session_id
            .as_ref()
            .and_then(|id| sessions.iter().find(|s| &s.id == id))
            .or_else(|| sessions.first());
        let mut history = History {
            message: last.and_then(|s| s.result.as_ref()?.message.clone()),
            newest_good: sessions
                .iter()
                .find(|s| s.is_good())
                .map(|s| s.creation_time),
        };
        if history.newest_good.is_none() {
            query.push(("resultFilter", "Success".to_string()));
            query.retain(|(k, _)| *k != "limit");
            query.push(("limit", "1".to_string()));
            let older = self.sessions(&query, now).await?;
            history.newest_good = older.first().map(|s| s.creation_time);
        }
        Ok(history)
    }

    async fn sessions(
        &mut self,
        query: &[(&str, String)],
        now: Timestamp,
    ) -> Result<Vec<Session>, SourceError> {
        let page: Page = self.get("/api/v1/sessions", query, now).await?.json()?;
        Ok(decode_each(page.data.iter().map(|r| &**r)).records)
    }

    async fn fetch_all(&mut self, now: Timestamp) -> Result<Vec<Item>, SourceError> {
        let jobs = self.job_states(now).await?;
        self.job_count = jobs.records.len();
        let mut observations = Vec::new();
        for job in &jobs.records {
            let history = match job.last_result.as_deref() {
                Some("Warning" | "Failed") => self.history(job, now).await?,
                _ => History::default(),
            };
            observations.push(self.observation(job, history));
        }
        self.degraded = jobs.problem("job states");
        Ok(self.rules.findings(&observations, now))
    }

    fn observation(&self, job: &JobState, history: History) -> Observation {
        let mut labels = Vec::new();
        if let Some(kind) = &job.kind {
            labels.push(label("type", kind));
        }
        if let Some(repository) = &job.repository_name {
            labels.push(label("repository", repository));
        }
        if let Some(status) = &job.status {
            labels.push(label("status", status));
        }
        if let Some(count) = job.objects_count {
            labels.push(label("objects", &count.to_string()));
        }
        let mut o = Observation::new(&job.id, &job.name, self.mapping.tenant(&labels));
        o.enabled = !job
            .status
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("disabled"));
        o.next_run = job.next_run;
        let result = match job.last_result.as_deref() {
            Some("Success") => Some(RunResult::Ok),
            Some("Warning") => Some(RunResult::Partial),
            Some("Failed") => Some(RunResult::Failed),
            _ => None,
        };
        o.last_run = job.last_run.zip(result).map(|(at, result)| Run {
            at,
            result,
            message: history.message.clone(),
        });
        let newest = match result {
            Some(RunResult::Ok | RunResult::Partial) => job.last_run,
            _ => history.newest_good,
        };
        o.restore_points = Some(RestorePoints {
            newest,
            oldest: None,
        });
        o.labels = labels;
        o
    }
}

/// The `message` of a Veeam error (`{errorCode, message, resourceId}`) or an OAuth2 error
/// (`{error, error_description}`).
fn veeam_error(answer: &Answer) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(&answer.body).ok()?;
    let text = |key: &str| value.get(key).and_then(|v| v.as_str()).map(str::to_string);
    text("message")
        .or_else(|| text("error_description"))
        .or_else(|| text("error"))
}

impl BackupSystem for Veeam {
    const KIND: &'static str = "veeam";

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
            "Veeam B&R: {} jobs, {} findings",
            self.job_count,
            findings.len()
        )
    }
}

super::backup_source!(Veeam);
