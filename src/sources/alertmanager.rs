//! Prometheus Alertmanager, API v2: firing, silenced and inhibited alerts become queue
//! items; acknowledging creates a silence that matches exactly the alert's labels, taking
//! the acknowledgement back expires that silence. The members of an HA cluster are read
//! together and their alerts merged by fingerprint, so one alert is one row.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use futures_util::future::join_all;
use jiff::{SignedDuration, Timestamp};
use reqwest::Method;
use serde::{Deserialize, Serialize};

use super::build::BuildContext;
use super::http::Endpoint;
use super::mapping::{Decoded, Mapping, label, new_item};
use super::{BoxFuture, Capabilities, Fetched, Source, SourceError, WriteBack};
use crate::config::SourceConfig;
use crate::model::{
    Item, ItemKey, Kind, Label, Moment, Priority, SourceId, Status, StatusCategory, TenantId,
};

/// Settings of `kind = "alertmanager"`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct AlertmanagerSettings {
    /// Base URLs of the other members of the same HA cluster (`base-url` is the first).
    #[serde(default)]
    pub peers: Vec<String>,
    /// Matchers passed to the API as `filter`, e.g. `team="msp"`.
    #[serde(default)]
    pub filter: Vec<String>,
    /// Label that carries the severity (default `severity`).
    #[serde(default)]
    pub severity_label: Option<String>,
    /// Labels that name the host, first one present wins (default `instance`, `host`,
    /// `hostname`, `nodename`); a `:port` suffix is dropped.
    #[serde(default)]
    pub host_labels: Option<Vec<String>>,
}

/// Severity label values and their priority unless the config says otherwise.
const DEFAULT_PRIORITIES: &[(&str, Priority)] = &[
    ("critical", Priority::P1),
    ("page", Priority::P1),
    ("error", Priority::P2),
    ("high", Priority::P2),
    ("warning", Priority::P3),
    ("warn", Priority::P3),
    ("info", Priority::P4),
    ("none", Priority::P4),
];

/// The label that names the tenant unless `tenant-label` says otherwise.
const DEFAULT_TENANT_LABEL: &str = "tenant";

/// Silence length when an ack names none.
const DEFAULT_ACK_MINUTES: u32 = 120;

/// One alert as `GET /api/v2/alerts` returns it.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ApiAlert {
    fingerprint: String,
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
    starts_at: String,
    #[serde(default)]
    updated_at: Option<String>,
    #[serde(default, rename = "generatorURL")]
    generator_url: Option<String>,
    status: ApiStatus,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ApiStatus {
    state: String,
    #[serde(default)]
    silenced_by: Vec<String>,
    #[serde(default)]
    inhibited_by: Vec<String>,
}

/// One silence as `GET /api/v2/silences` returns it (the fields nightdesk shows).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ApiSilence {
    id: String,
    created_by: String,
    #[serde(default)]
    comment: String,
    starts_at: String,
    ends_at: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NewSilence<'a> {
    matchers: Vec<Matcher<'a>>,
    starts_at: String,
    ends_at: String,
    created_by: &'a str,
    comment: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Matcher<'a> {
    name: &'a str,
    value: &'a str,
    is_regex: bool,
    is_equal: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SilenceCreated {
    #[serde(rename = "silenceID")]
    silence_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ApiStatusPage {
    #[serde(default)]
    version_info: Option<VersionInfo>,
    #[serde(default)]
    cluster: Option<ClusterInfo>,
}

#[derive(Deserialize)]
struct VersionInfo {
    version: String,
}

#[derive(Deserialize)]
struct ClusterInfo {
    status: String,
}

/// A connected Alertmanager (or HA cluster of them).
pub struct Alertmanager {
    id: SourceId,
    tenant: Option<TenantId>,
    members: Vec<Endpoint>,
    filter: Vec<String>,
    severity_label: String,
    host_labels: Vec<String>,
    mapping: Mapping,
    /// The alerts of the last fetch, by fingerprint, for write-backs.
    alerts: HashMap<String, ApiAlert>,
    degraded: Option<String>,
}

impl Alertmanager {
    pub fn from_config(
        config: &SourceConfig,
        settings: &AlertmanagerSettings,
        ctx: &BuildContext,
    ) -> Result<Self, SourceError> {
        let mut members = vec![ctx.endpoint(config, None)?];
        for peer in &settings.peers {
            members.push(ctx.endpoint(config, Some(peer))?);
        }
        Ok(Self {
            id: config.id.clone(),
            tenant: config.tenant.clone(),
            members,
            filter: settings.filter.clone(),
            severity_label: settings
                .severity_label
                .clone()
                .unwrap_or_else(|| "severity".into()),
            host_labels: settings.host_labels.clone().unwrap_or_else(|| {
                ["instance", "host", "hostname", "nodename"]
                    .map(String::from)
                    .to_vec()
            }),
            mapping: ctx.mapping(config, DEFAULT_PRIORITIES, Some(DEFAULT_TENANT_LABEL)),
            alerts: HashMap::new(),
            degraded: None,
        })
    }

    async fn alerts_of(&self, member: &Endpoint) -> Result<Decoded<ApiAlert>, SourceError> {
        let mut query: Vec<(&str, &str)> =
            self.filter.iter().map(|f| ("filter", f.as_str())).collect();
        query.extend([
            ("active", "true"),
            ("silenced", "true"),
            ("inhibited", "true"),
        ]);
        let request = member.request(Method::GET, "/api/v2/alerts").query(&query);
        member.list(request).await
    }

    async fn silences_of(
        &self,
        member: &Endpoint,
    ) -> Result<HashMap<String, ApiSilence>, SourceError> {
        let silences = member
            .list::<ApiSilence>(member.request(Method::GET, "/api/v2/silences"))
            .await?;
        Ok(silences
            .records
            .into_iter()
            .map(|s| (s.id.clone(), s))
            .collect())
    }

    /// Reads every member; merges by fingerprint. Fails only when no member answered.
    async fn fetch_all(&mut self, now: Timestamp) -> Result<Vec<Item>, SourceError> {
        let answers = join_all(self.members.iter().map(|m| self.alerts_of(m))).await;
        let mut merged: HashMap<String, ApiAlert> = HashMap::new();
        let mut first_error = None;
        let mut failed = Vec::new();
        let mut answered = None;
        let mut unreadable = None;
        for (i, answer) in answers.into_iter().enumerate() {
            match answer {
                Ok(decoded) => {
                    answered.get_or_insert(i);
                    unreadable = unreadable.or(decoded.problem("alerts"));
                    for alert in decoded.records {
                        merge_alert(&mut merged, alert);
                    }
                }
                Err(e) => {
                    failed.push(format!("{}: {e}", self.members[i].base()));
                    first_error.get_or_insert(e);
                }
            }
        }
        let Some(answered) = answered else {
            return Err(first_error.unwrap_or(SourceError::Unreachable("no members".into())));
        };
        let peers_down =
            (!failed.is_empty()).then(|| format!("HA peer down: {}", failed.join("; ")));
        self.degraded = match (peers_down, unreadable) {
            (Some(a), Some(b)) => Some(format!("{a}; {b}")),
            (a, b) => a.or(b),
        };
        let silences = if merged.values().any(|a| !a.status.silenced_by.is_empty()) {
            self.silences_of(&self.members[answered])
                .await
                .unwrap_or_default()
        } else {
            HashMap::new()
        };
        let items = merged
            .values()
            .map(|a| self.item(a, &silences, now))
            .collect();
        self.alerts = merged;
        Ok(items)
    }

    fn item(
        &self,
        alert: &ApiAlert,
        silences: &HashMap<String, ApiSilence>,
        now: Timestamp,
    ) -> Item {
        let mut labels: Vec<Label> = alert.labels.iter().map(|(k, v)| label(k, v)).collect();
        let severity = alert
            .labels
            .get(&self.severity_label)
            .map(String::as_str)
            .unwrap_or("");
        let started = parse_time(&alert.starts_at).unwrap_or(now);
        let mut item = new_item(
            ItemKey::new(&self.id, &alert.fingerprint),
            self.mapping.tenant(&labels),
            Kind::Alert,
            &title(alert),
            self.mapping.priority(severity),
            status(&alert.status),
            started,
        );
        let instance = self
            .host_labels
            .iter()
            .find_map(|l| alert.labels.get(l))
            .map(|v| host_of(v));
        item.host = instance.clone().map(Arc::from);
        item.address = instance.map(Arc::from);
        item.updated = Moment::new(
            alert
                .updated_at
                .as_deref()
                .and_then(parse_time)
                .unwrap_or(started),
        );
        item.link = alert
            .generator_url
            .clone()
            .filter(|u| u.starts_with("http"))
            .map(Into::into);
        if let Some(text) = alert.annotations.get("description") {
            labels.push(label("description", text));
        }
        for id in &alert.status.silenced_by {
            labels.push(label("silenced-by", id));
            if let Some(s) = silences.get(id) {
                item.assignee = Some(Arc::from(s.created_by.as_str()));
                labels.push(label(
                    "silence",
                    &format!("{}: {} (until {})", s.created_by, s.comment, s.ends_at),
                ));
                item.sla.first_response_at = parse_time(&s.starts_at).map(Moment::new);
            }
        }
        for id in &alert.status.inhibited_by {
            labels.push(label("inhibited-by", id));
        }
        item.labels = labels.into();
        item
    }

    async fn silence(
        &self,
        alert: &ApiAlert,
        comment: &str,
        author: &str,
        minutes: u32,
        now: Timestamp,
    ) -> Result<(), SourceError> {
        let body = NewSilence {
            matchers: alert
                .labels
                .iter()
                .map(|(name, value)| Matcher {
                    name,
                    value,
                    is_regex: false,
                    is_equal: true,
                })
                .collect(),
            starts_at: now.to_string(),
            ends_at: (now + SignedDuration::from_mins(i64::from(minutes))).to_string(),
            created_by: author,
            comment,
        };
        // Silences spread through the cluster by gossip: one member that takes it is enough.
        let mut last = None;
        for member in &self.members {
            match member
                .json::<SilenceCreated>(
                    member.request(Method::POST, "/api/v2/silences").json(&body),
                )
                .await
            {
                Ok(created) => {
                    tracing::info!(source = %self.id, silence = %created.silence_id, "silence created");
                    return Ok(());
                }
                Err(e @ (SourceError::Unreachable(_) | SourceError::Timeout(_))) => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or(SourceError::Unreachable("no members".into())))
    }

    async fn expire(&self, alert: &ApiAlert) -> Result<(), SourceError> {
        if alert.status.silenced_by.is_empty() {
            return Err(SourceError::Refused("the alert is not silenced".into()));
        }
        for id in &alert.status.silenced_by {
            let mut done = false;
            let mut last = None;
            for member in &self.members {
                let path = format!("/api/v2/silence/{id}");
                let request = member
                    .authorize(member.request(Method::DELETE, &path))
                    .await?;
                match member.send(request).await.and_then(|a| a.ok()) {
                    Ok(_) => {
                        done = true;
                        break;
                    }
                    Err(e) => last = Some(e),
                }
            }
            if !done {
                return Err(last.unwrap_or(SourceError::Unreachable("no members".into())));
            }
        }
        Ok(())
    }
}

impl Source for Alertmanager {
    fn id(&self) -> &SourceId {
        &self.id
    }

    fn kind(&self) -> &'static str {
        "alertmanager"
    }

    fn tenant(&self) -> Option<TenantId> {
        self.tenant.clone()
    }

    fn fetch(&mut self, now: Timestamp) -> BoxFuture<'_, Result<Fetched, SourceError>> {
        Box::pin(async move { self.fetch_all(now).await.map(Fetched::Full) })
    }

    fn degraded(&self) -> Option<String> {
        self.degraded.clone()
    }

    fn check(&mut self, now: Timestamp) -> BoxFuture<'_, Result<String, SourceError>> {
        Box::pin(async move {
            let member = &self.members[0];
            let status: ApiStatusPage = member
                .json(member.request(Method::GET, "/api/v2/status"))
                .await?;
            let items = self.fetch_all(now).await?;
            let version = status
                .version_info
                .map(|v| v.version)
                .unwrap_or_else(|| "?".into());
            let cluster = status
                .cluster
                .map(|c| c.status)
                .unwrap_or_else(|| "?".into());
            let mut text = format!(
                "Alertmanager {version}, cluster {cluster}, {} alerts",
                items.len()
            );
            if let Some(d) = &self.degraded {
                text.push_str(&format!("; {d}"));
            }
            Ok(text)
        })
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            ack: true,
            unack: true,
            downtime: true,
            ..Capabilities::default()
        }
    }

    fn write_back<'a>(
        &'a mut self,
        item: &'a ItemKey,
        action: &'a WriteBack,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<(), SourceError>> {
        Box::pin(async move {
            let alert = self
                .alerts
                .get(&*item.external_id)
                .cloned()
                .ok_or_else(|| {
                    SourceError::Refused(format!("alert {} is gone", item.external_id))
                })?;
            match action {
                WriteBack::Ack {
                    comment,
                    author,
                    minutes,
                } => {
                    let minutes = minutes.unwrap_or(DEFAULT_ACK_MINUTES);
                    self.silence(&alert, comment, author, minutes, now).await
                }
                WriteBack::Downtime {
                    comment,
                    author,
                    minutes,
                } => self.silence(&alert, comment, author, *minutes, now).await,
                WriteBack::Unack { .. } => self.expire(&alert).await,
                _ => Err(SourceError::Unsupported),
            }
        })
    }
}

/// Keeps one alert per fingerprint: the earliest start, and the state that matters most
/// (active over suppressed over unprocessed), since HA members may lag each other.
fn merge_alert(merged: &mut HashMap<String, ApiAlert>, alert: ApiAlert) {
    match merged.get_mut(&alert.fingerprint) {
        None => {
            merged.insert(alert.fingerprint.clone(), alert);
        }
        Some(known) => {
            if alert.starts_at < known.starts_at {
                known.starts_at = alert.starts_at.clone();
            }
            if state_rank(&alert.status.state) > state_rank(&known.status.state) {
                known.status = alert.status;
            }
        }
    }
}

fn state_rank(state: &str) -> u8 {
    match state {
        "active" => 3,
        "suppressed" => 2,
        _ => 1,
    }
}

fn status(s: &ApiStatus) -> Status {
    match s.state.as_str() {
        "active" => Status::new(StatusCategory::New, "firing"),
        "suppressed" if !s.silenced_by.is_empty() => {
            Status::new(StatusCategory::Acknowledged, "silenced")
        }
        "suppressed" => Status::new(StatusCategory::Waiting, "inhibited"),
        other => Status::new(StatusCategory::New, other),
    }
}

fn title(alert: &ApiAlert) -> String {
    for key in ["summary", "message", "description"] {
        if let Some(text) = alert.annotations.get(key).filter(|t| !t.trim().is_empty()) {
            return text.clone();
        }
    }
    let name = alert
        .labels
        .get("alertname")
        .map(String::as_str)
        .unwrap_or("alert");
    match alert.labels.get("instance") {
        Some(instance) => format!("{name} on {instance}"),
        None => name.to_string(),
    }
}

/// `db1:9100` -> `db1`; `[2001:db8::1]:9100` -> `2001:db8::1`; anything else unchanged.
fn host_of(instance: &str) -> String {
    if let Some(rest) = instance.strip_prefix('[')
        && let Some((ip, _)) = rest.split_once(']')
    {
        return ip.to_string();
    }
    match instance.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') && port.chars().all(|c| c.is_ascii_digit()) => {
            host.to_string()
        }
        _ => instance.to_string(),
    }
}

fn parse_time(text: &str) -> Option<Timestamp> {
    text.parse::<Timestamp>().ok().filter(|t| t.as_second() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(fp: &str, state: &str, starts: &str) -> ApiAlert {
        serde_json::from_value(serde_json::json!({
            "fingerprint": fp, "labels": {"alertname": "DiskFull", "instance": "db1:9100"},
            "annotations": {}, "startsAt": starts,
            "status": {"state": state, "silencedBy": [], "inhibitedBy": []}
        }))
        .unwrap()
    }

    #[test]
    fn ha_members_merge_by_fingerprint() {
        let mut merged = HashMap::new();
        merge_alert(
            &mut merged,
            alert("a", "suppressed", "2026-11-28T19:21:27.000Z"),
        );
        merge_alert(
            &mut merged,
            alert("a", "active", "2026-11-28T19:20:00.000Z"),
        );
        merge_alert(
            &mut merged,
            alert("b", "active", "2026-11-28T19:21:27.000Z"),
        );
        assert_eq!(merged.len(), 2);
        assert_eq!(merged["a"].status.state, "active");
        assert_eq!(merged["a"].starts_at, "2026-11-28T19:20:00.000Z");
    }

    #[test]
    fn host_drops_the_port() {
        assert_eq!(host_of("db1:9100"), "db1");
        assert_eq!(host_of("db1.example.net"), "db1.example.net");
        assert_eq!(host_of("[2001:db8::1]:9100"), "2001:db8::1");
        assert_eq!(host_of("2001:db8::1"), "2001:db8::1");
    }

    #[test]
    fn title_prefers_summary_then_name_and_instance() {
        let mut a = alert("a", "active", "2026-11-28T19:21:27Z");
        assert_eq!(title(&a), "DiskFull on db1:9100");
        a.annotations
            .insert("summary".into(), "Disk / is 97% full".into());
        assert_eq!(title(&a), "Disk / is 97% full");
    }

    #[test]
    fn states_map_to_categories() {
        let mut s = ApiStatus {
            state: "suppressed".into(),
            silenced_by: vec!["x".into()],
            inhibited_by: vec![],
        };
        assert_eq!(status(&s).category, StatusCategory::Acknowledged);
        s.silenced_by.clear();
        s.inhibited_by.push("y".into());
        assert_eq!(&*status(&s).label, "inhibited");
        s.state = "active".into();
        assert_eq!(&*status(&s).label, "firing");
    }
}
