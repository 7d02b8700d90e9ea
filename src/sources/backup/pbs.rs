//! Proxmox Backup Server (`kind = "pbs"`, `https://pbs:8007`): the snapshot groups of the
//! configured datastores (and namespaces) are the jobs. An API token authenticates as
//! `Authorization: PBSAPIToken=<user@realm!tokenid>:<secret>`.
//! `GET /api2/json/admin/datastore/{store}/groups` lists the groups (`backup-type`,
//! `backup-id`, `last-backup`, `owner`, `comment`), `.../snapshots` their snapshots
//! (`backup-time` as Unix time, `verification.state` `ok` or `failed`). A group's last run
//! is its newest snapshot; a failed verification of it is a failed run, and snapshots that
//! failed verification are no good restore points.

use std::collections::BTreeMap;

use jiff::Timestamp;
use reqwest::Method;
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderValue};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::rules::{Observation, RestorePoints, Rules, Run, RunResult};
use super::{Backup, BackupSystem};
use crate::config::{Credentials, SourceConfig};
use crate::model::{Item, SourceId, TenantId};
use crate::sources::SourceError;
use crate::sources::build::BuildContext;
use crate::sources::http::{Endpoint, redact};
use crate::sources::mapping::{Decoded, Mapping, decode_each, label};
use std::future::Future;

/// The label whose value names the tenant unless configured.
const DEFAULT_TENANT_LABEL: &str = "datastore";

/// Settings of `kind = "pbs"`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PbsSettings {
    /// The datastores (and namespaces) to read.
    pub datastores: Vec<Datastore>,
}

/// `datastores = [{ name = "store1", namespace = "mueller", tenant = "mueller" }]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Datastore {
    pub name: String,
    /// Only this namespace (PBS 2.2+; the root namespace when absent).
    #[serde(default)]
    pub namespace: Option<String>,
    /// The tenant of this datastore's groups (over the mapping).
    #[serde(default)]
    pub tenant: Option<String>,
}

/// `{ "data": [...] }`, the form of every PBS answer.
#[derive(Deserialize)]
struct Data {
    data: Vec<Box<RawValue>>,
}

/// A snapshot group (`GroupListItem`, the fields nightdesk reads).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Group {
    backup_type: String,
    backup_id: String,
    #[serde(default)]
    last_backup: Option<i64>,
    #[serde(default)]
    owner: Option<String>,
    #[serde(default)]
    comment: Option<String>,
}

/// A snapshot (`SnapshotListItem`, the fields nightdesk reads).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Snapshot {
    backup_type: String,
    backup_id: String,
    backup_time: i64,
    #[serde(default)]
    verification: Option<Verification>,
}

#[derive(Clone, Debug, Deserialize)]
struct Verification {
    state: String,
    #[serde(default)]
    upid: Option<String>,
}

impl Snapshot {
    fn time(&self) -> Option<Timestamp> {
        Timestamp::from_second(self.backup_time).ok()
    }

    fn failed_verification(&self) -> bool {
        self.verification
            .as_ref()
            .is_some_and(|v| v.state == "failed")
    }
}

/// A connected Proxmox Backup Server.
pub struct Pbs {
    id: SourceId,
    tenant: Option<TenantId>,
    endpoint: Endpoint,
    datastores: Vec<Datastore>,
    mapping: Mapping,
    rules: Rules,
    degraded: Option<String>,
    group_count: usize,
}

impl Pbs {
    pub fn from_config(
        config: &SourceConfig,
        backup: &Backup<PbsSettings>,
        ctx: &BuildContext,
    ) -> Result<Self, SourceError> {
        if config.auth.is_none() {
            return Err(SourceError::Auth(format!(
                "source {} needs an API token: auth = {{ user = \"nightdesk@pbs!monitor\", password = {{ ... }} }}",
                config.id
            )));
        }
        if backup.settings.datastores.is_empty() {
            return Err(SourceError::Protocol(format!(
                "source {} names no datastore: datastores = [{{ name = \"...\" }}]",
                config.id
            )));
        }
        for store in &backup.settings.datastores {
            if !safe_id(&store.name) {
                return Err(SourceError::Protocol(format!(
                    "`{}` is not a datastore name (letters, digits, `_`, `-`, `.`)",
                    store.name
                )));
            }
        }
        Ok(Self {
            id: config.id.clone(),
            tenant: config.tenant.clone(),
            endpoint: ctx.endpoint(config, None)?,
            datastores: backup.settings.datastores.clone(),
            mapping: ctx.mapping(config, &[], Some(DEFAULT_TENANT_LABEL)),
            rules: Rules::new(&config.id, "pbs", &backup.rules, ctx),
            degraded: None,
            group_count: 0,
        })
    }

    /// `PBSAPIToken=<user@realm!tokenid>:<secret>` (a login's user is the token id; a token
    /// secret alone must be the whole `user@realm!tokenid:secret`), marked sensitive.
    async fn token_header(&self) -> Result<(HeaderValue, String), SourceError> {
        let (value, secret) = match self.endpoint.credentials().await? {
            Some(Credentials::Login { user, password }) => (
                format!("PBSAPIToken={user}:{}", password.expose()),
                password.expose().to_string(),
            ),
            Some(Credentials::Token(token)) => (
                format!("PBSAPIToken={}", token.expose()),
                token.expose().to_string(),
            ),
            None => return Err(SourceError::Auth("PBS needs an API token".into())),
        };
        let mut header = HeaderValue::from_str(&value)
            .map_err(|_| SourceError::Auth("the API token cannot be sent in a header".into()))?;
        header.set_sensitive(true);
        Ok((header, secret))
    }

    async fn list<T: serde::de::DeserializeOwned>(
        &self,
        store: &Datastore,
        what: &str,
    ) -> Result<Decoded<T>, SourceError> {
        let (header, secret) = self.token_header().await?;
        let path = format!("/api2/json/admin/datastore/{}/{what}", store.name);
        let mut request = self
            .endpoint
            .request(Method::GET, &path)
            .header(AUTHORIZATION, header)
            .header(ACCEPT, "application/json");
        if let Some(ns) = &store.namespace {
            request = request.query(&[("ns", ns)]);
        }
        let read = async {
            let data: Data = self.endpoint.send(request).await?.ok()?.json()?;
            Ok(decode_each(data.data.iter().map(|r| &**r)))
        };
        read.await.map_err(|e| redact(e, &secret))
    }

    async fn fetch_all(&mut self, now: Timestamp) -> Result<Vec<Item>, SourceError> {
        let mut observations = Vec::new();
        let mut problems = Vec::new();
        self.group_count = 0;
        for store in &self.datastores {
            let groups: Decoded<Group> = self.list(store, "groups").await?;
            let snapshots: Decoded<Snapshot> = self.list(store, "snapshots").await?;
            problems.extend(groups.problem(&format!("groups of {}", store.name)));
            problems.extend(snapshots.problem(&format!("snapshots of {}", store.name)));
            self.group_count += groups.records.len();
            let mut by_group: BTreeMap<(String, String), Vec<&Snapshot>> = BTreeMap::new();
            for s in &snapshots.records {
                by_group
                    .entry((s.backup_type.clone(), s.backup_id.clone()))
                    .or_default()
                    .push(s);
            }
            for group in &groups.records {
                let key = (group.backup_type.clone(), group.backup_id.clone());
                let mine = by_group.get(&key).map_or(&[][..], Vec::as_slice);
                observations.push(self.observation(store, group, mine));
            }
        }
        self.degraded = (!problems.is_empty()).then(|| problems.join("; "));
        Ok(self.rules.findings(&observations, now))
    }

    fn observation(
        &self,
        store: &Datastore,
        group: &Group,
        snapshots: &[&Snapshot],
    ) -> Observation {
        let kind_id = format!("{}/{}", group.backup_type, group.backup_id);
        let job = match &store.namespace {
            Some(ns) => format!("{}/{ns}/{kind_id}", store.name),
            None => format!("{}/{kind_id}", store.name),
        };
        let comment = group
            .comment
            .as_deref()
            .and_then(|c| c.lines().next())
            .map(str::trim)
            .filter(|c| !c.is_empty());
        let host = if group.backup_type == "host" {
            Some(group.backup_id.clone())
        } else {
            comment.map(str::to_string)
        };
        let mut labels = vec![label("datastore", &store.name)];
        if let Some(ns) = &store.namespace {
            labels.push(label("namespace", ns));
        }
        if let Some(owner) = &group.owner {
            labels.push(label("owner", owner));
        }
        labels.push(label("backup-type", &group.backup_type));
        let tenant = store
            .tenant
            .as_deref()
            .map(TenantId::new)
            .unwrap_or_else(|| self.mapping.tenant(&labels));
        let mut o = Observation::new(&job, &kind_id, tenant);
        o.host = host;
        let newest = snapshots.iter().max_by_key(|s| s.backup_time);
        let last_time = newest.and_then(|s| s.time()).or_else(|| {
            group
                .last_backup
                .and_then(|t| Timestamp::from_second(t).ok())
        });
        o.last_run = last_time.map(|at| {
            let failed = newest.is_some_and(|s| s.failed_verification());
            Run {
                at,
                result: if failed {
                    RunResult::Failed
                } else {
                    RunResult::Ok
                },
                message: failed
                    .then(|| verification_message(newest.and_then(|s| s.verification.as_ref()))),
            }
        });
        let good: Vec<Timestamp> = snapshots
            .iter()
            .filter(|s| !s.failed_verification())
            .filter_map(|s| s.time())
            .collect();
        o.restore_points = Some(RestorePoints {
            newest: good.iter().max().copied(),
            oldest: good.iter().min().copied(),
        });
        labels.push(label("snapshots", &snapshots.len().to_string()));
        o.labels = labels;
        o
    }
}

fn verification_message(v: Option<&Verification>) -> String {
    match v.and_then(|v| v.upid.as_deref()) {
        Some(upid) => format!("verification of the newest snapshot failed (task {upid})"),
        None => "verification of the newest snapshot failed".into(),
    }
}

/// PBS's `SAFE_ID` names: what may appear in a path unescaped.
fn safe_id(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

impl BackupSystem for Pbs {
    const KIND: &'static str = "pbs";

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
            "PBS: {} snapshot groups, {} findings",
            self.group_count,
            findings.len()
        )
    }
}

super::backup_source!(Pbs);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datastore_names_are_safe_ids() {
        assert!(safe_id("store-1.main_2"));
        assert!(!safe_id("../etc"));
        assert!(!safe_id("a/b"));
        assert!(!safe_id(""));
    }
}
