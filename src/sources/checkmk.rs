//! Checkmk, REST API 1.0 (`https://host/SITE/check_mk/api/1.0`): hosts that are not UP and
//! services that are not OK become queue items, read from the Livestatus-backed status
//! collections with a query; acknowledging, taking an acknowledgement back and scheduling
//! a downtime go to the acknowledge and downtime endpoints. The automation user
//! authenticates as `Authorization: Bearer <user> <secret>`; Checkmk's problem documents
//! (`title`, `detail`, `fields`) are what the user sees when something fails.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use futures_util::future::try_join;
use jiff::{SignedDuration, Timestamp};
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderValue};
use reqwest::{Method, Url};
use serde::{Deserialize, Deserializer};
use serde_json::{Value, json};

use super::build::BuildContext;
use super::http::{Answer, Endpoint, redact};
use super::mapping::{Decoded, Mapping, attributed, decode_each, label, new_item};
use super::{BoxFuture, Capabilities, Fetched, Source, SourceError, WriteBack};
use crate::config::{Credentials, SecretString, SourceConfig};
use crate::model::{
    Item, ItemKey, Kind, Label, Priority, SourceId, Status, StatusCategory, TenantId,
};

/// Settings of `kind = "checkmk"`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CheckmkSettings {
    /// Read only these sites of a distributed setup (all sites when empty).
    #[serde(default)]
    pub sites: Vec<String>,
    /// Only problems in a hard state (confirmed by the retries); soft ones are skipped.
    #[serde(default)]
    pub hard_states_only: bool,
}

/// Severity names (host and service states) and their priority unless the config says
/// otherwise.
const DEFAULT_PRIORITIES: &[(&str, Priority)] = &[
    ("down", Priority::P1),
    ("crit", Priority::P1),
    ("unreachable", Priority::P2),
    ("warn", Priority::P3),
    ("unknown", Priority::P3),
];

/// The host label that names the tenant unless `tenant-label` says otherwise.
const DEFAULT_TENANT_LABEL: &str = "customer";

/// Columns of the Livestatus `hosts` table that nightdesk reads.
const HOST_COLUMNS: &[&str] = &[
    "name",
    "address",
    "state",
    "state_type",
    "plugin_output",
    "last_state_change",
    "acknowledged",
    "scheduled_downtime_depth",
    "labels",
    "groups",
];

/// Columns of the Livestatus `services` table that nightdesk reads.
const SERVICE_COLUMNS: &[&str] = &[
    "host_name",
    "host_address",
    "description",
    "state",
    "state_type",
    "plugin_output",
    "last_state_change",
    "acknowledged",
    "scheduled_downtime_depth",
    "host_labels",
    "host_groups",
];

/// A status collection (`value[]` of domain objects, the row in `extensions`).
#[derive(Deserialize)]
struct Collection {
    value: Vec<Value>,
}

#[derive(Deserialize)]
struct Entry<T> {
    extensions: T,
}

/// What hosts and services have in common.
#[derive(Clone, Debug, Deserialize)]
struct Condition {
    state: u8,
    #[serde(default)]
    state_type: u8,
    #[serde(default)]
    plugin_output: String,
    #[serde(default)]
    last_state_change: i64,
    #[serde(default, deserialize_with = "flag")]
    acknowledged: bool,
    #[serde(default)]
    scheduled_downtime_depth: u32,
}

#[derive(Clone, Debug, Deserialize)]
struct ApiHost {
    name: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    groups: Vec<String>,
    #[serde(flatten)]
    condition: Condition,
}

#[derive(Clone, Debug, Deserialize)]
struct ApiService {
    host_name: String,
    description: String,
    #[serde(default)]
    host_address: String,
    #[serde(default)]
    host_labels: BTreeMap<String, String>,
    #[serde(default)]
    host_groups: Vec<String>,
    #[serde(flatten)]
    condition: Condition,
}

/// A host or service problem, as the item is built from it.
struct Problem<'a> {
    target: Target,
    address: &'a str,
    labels: &'a BTreeMap<String, String>,
    groups: &'a [String],
    condition: &'a Condition,
}

/// What a write-back addresses: a host, or a service of a host.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Target {
    host: String,
    service: Option<String>,
}

impl Target {
    /// `host`, or `host;service` (Livestatus keeps `;` out of names).
    fn external_id(&self) -> String {
        match &self.service {
            Some(service) => format!("{};{service}", self.host),
            None => self.host.clone(),
        }
    }

    /// The write-back fields that name the target.
    fn selector(&self) -> Value {
        match &self.service {
            Some(service) => json!({
                "acknowledge_type": "service",
                "host_name": self.host,
                "service_description": service,
            }),
            None => json!({"acknowledge_type": "host", "host_name": self.host}),
        }
    }

    fn kind(&self) -> &'static str {
        if self.service.is_some() {
            "service"
        } else {
            "host"
        }
    }
}

impl ApiHost {
    fn problem(&self) -> Problem<'_> {
        Problem {
            target: Target {
                host: self.name.clone(),
                service: None,
            },
            address: &self.address,
            labels: &self.labels,
            groups: &self.groups,
            condition: &self.condition,
        }
    }
}

impl ApiService {
    fn problem(&self) -> Problem<'_> {
        Problem {
            target: Target {
                host: self.host_name.clone(),
                service: Some(self.description.clone()),
            },
            address: &self.host_address,
            labels: &self.host_labels,
            groups: &self.host_groups,
            condition: &self.condition,
        }
    }
}

/// `GET /version` (the fields `config check` shows).
#[derive(Deserialize)]
struct InstalledVersions {
    #[serde(default)]
    site: Option<String>,
    #[serde(default)]
    versions: Option<Versions>,
}

#[derive(Deserialize)]
struct Versions {
    #[serde(default)]
    checkmk: Option<String>,
}

/// A connected Checkmk site.
pub struct Checkmk {
    id: SourceId,
    tenant: Option<TenantId>,
    endpoint: Endpoint,
    settings: CheckmkSettings,
    mapping: Mapping,
    /// The hosts and services of the last fetch, by external id, for write-backs.
    targets: HashMap<String, Target>,
    degraded: Option<String>,
}

impl Checkmk {
    pub fn from_config(
        config: &SourceConfig,
        settings: &CheckmkSettings,
        ctx: &BuildContext,
    ) -> Result<Self, SourceError> {
        Ok(Self {
            id: config.id.clone(),
            tenant: config.tenant.clone(),
            endpoint: ctx.endpoint(config, None)?,
            settings: settings.clone(),
            mapping: ctx.mapping(config, DEFAULT_PRIORITIES, Some(DEFAULT_TENANT_LABEL)),
            targets: HashMap::new(),
            degraded: None,
        })
    }

    /// The automation user's name and secret.
    async fn login(&self) -> Result<(String, SecretString), SourceError> {
        match self.endpoint.credentials().await? {
            Some(Credentials::Login { user, password }) => Ok((user, password)),
            _ => Err(SourceError::Auth(
                "Checkmk needs an automation user: auth = { user = \"...\", password = { ... } }"
                    .into(),
            )),
        }
    }

    /// `method path` (with a JSON body, if any) as the automation user; the successful
    /// answer made a value by `read`. No error carries the secret, even when a server echoes
    /// the request back.
    async fn call<T>(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        read: impl FnOnce(&Answer) -> Result<T, SourceError>,
    ) -> Result<T, SourceError> {
        let (user, secret) = self.login().await?;
        let mut request = self
            .endpoint
            .request(method, path)
            .header(AUTHORIZATION, bearer(&user, &secret)?)
            .header(ACCEPT, "application/json");
        if let Some(body) = body {
            request = request.json(body);
        }
        self.endpoint
            .send(request)
            .await
            .and_then(|answer| answer.ok_explained(problem_text))
            .and_then(|answer| read(&answer))
            .map_err(|e| redact(e, secret.expose()))
    }

    /// A status collection (`host` or `service`) filtered by `query`.
    async fn collection<T: serde::de::DeserializeOwned>(
        &self,
        domain_type: &str,
        columns: &[&str],
        query: Value,
    ) -> Result<Decoded<T>, SourceError> {
        let mut body = json!({"columns": columns, "query": query});
        if !self.settings.sites.is_empty() {
            body["sites"] = json!(self.settings.sites);
        }
        let path = format!("/domain-types/{domain_type}/collections/all");
        let collection: Collection = self
            .call(Method::POST, &path, Some(&body), Answer::json)
            .await?;
        Ok(decode_each(collection.value))
    }

    /// Not UP / not OK, and in a hard state if the settings say so.
    fn problem_query(&self) -> Value {
        let not_ok = json!({"op": "!=", "left": "state", "right": "0"});
        if self.settings.hard_states_only {
            json!({"op": "and", "expr": [not_ok, {"op": "=", "left": "state_type", "right": "1"}]})
        } else {
            not_ok
        }
    }

    async fn fetch_all(&mut self, now: Timestamp) -> Result<Vec<Item>, SourceError> {
        let (hosts, services) = try_join(
            self.collection::<Entry<ApiHost>>("host", HOST_COLUMNS, self.problem_query()),
            self.collection::<Entry<ApiService>>("service", SERVICE_COLUMNS, self.problem_query()),
        )
        .await?;
        self.degraded = match (hosts.problem("hosts"), services.problem("services")) {
            (Some(a), Some(b)) => Some(format!("{a}; {b}")),
            (a, b) => a.or(b),
        };
        let problems = hosts
            .records
            .iter()
            .map(|h| h.extensions.problem())
            .chain(services.records.iter().map(|s| s.extensions.problem()));
        let mut items = Vec::new();
        let mut targets = HashMap::new();
        for problem in problems {
            if let Some(item) = self.item(&problem, now) {
                targets.insert(item.key.external_id.to_string(), problem.target);
                items.push(item);
            }
        }
        self.targets = targets;
        Ok(items)
    }

    /// The item of a problem; `None` for an OK state (the query excludes them).
    fn item(&self, problem: &Problem<'_>, now: Timestamp) -> Option<Item> {
        let state = state_name(&problem.target, problem.condition.state)?;
        let labels = labels(problem);
        let since = Timestamp::from_second(problem.condition.last_state_change)
            .ok()
            .filter(|t| t.as_second() > 0 && *t <= now)
            .unwrap_or(now);
        let mut item = new_item(
            ItemKey::new(&self.id, &problem.target.external_id()),
            self.mapping.tenant(&labels),
            Kind::Alert,
            &title(problem, state),
            self.mapping.priority(state),
            status(problem.condition, state),
            since,
        );
        item.host = Some(Arc::from(problem.target.host.as_str()));
        item.address = (!problem.address.is_empty()).then(|| Arc::from(problem.address));
        item.link = self.link(&problem.target);
        item.labels = labels.into();
        Some(item)
    }

    /// The host's or service's page in the Checkmk GUI (`.../check_mk/view.py`).
    fn link(&self, target: &Target) -> Option<Box<str>> {
        let site = self.endpoint.base().strip_suffix("/api/1.0")?;
        let mut params = vec![("view_name", target.kind()), ("host", target.host.as_str())];
        if let Some(service) = &target.service {
            params.push(("service", service.as_str()));
        }
        Url::parse_with_params(&format!("{site}/view.py"), &params)
            .ok()
            .map(|u| u.as_str().into())
    }

    async fn write(&self, path: &str, body: Value) -> Result<(), SourceError> {
        match self.call(Method::POST, path, Some(&body), |_| Ok(())).await {
            Ok(_) => Ok(()),
            // Checkmk's word on why not: "Service was not in a problem state", no such host.
            Err(SourceError::Http {
                status: 400 | 404 | 422,
                message,
            }) => Err(SourceError::Refused(message)),
            Err(e) => Err(e),
        }
    }

    async fn acknowledge(
        &self,
        target: &Target,
        comment: &str,
        minutes: Option<u32>,
        now: Timestamp,
    ) -> Result<(), SourceError> {
        let mut body = target.selector();
        body["comment"] = json!(comment);
        body["sticky"] = json!(false);
        body["persistent"] = json!(false);
        body["notify"] = json!(false);
        if let Some(minutes) = minutes {
            body["expire_on"] = json!(later(now, minutes));
        }
        let path = format!("/domain-types/acknowledge/collections/{}", target.kind());
        self.write(&path, body).await
    }

    async fn remove_acknowledgement(&self, target: &Target) -> Result<(), SourceError> {
        self.write(
            "/domain-types/acknowledge/actions/delete/invoke",
            target.selector(),
        )
        .await
    }

    async fn downtime(
        &self,
        target: &Target,
        comment: &str,
        minutes: u32,
        now: Timestamp,
    ) -> Result<(), SourceError> {
        let mut body = json!({
            "downtime_type": target.kind(),
            "host_name": target.host,
            "start_time": later(now, 0),
            "end_time": later(now, minutes),
            "comment": comment,
        });
        if let Some(service) = &target.service {
            body["service_descriptions"] = json!([service]);
        }
        let path = format!("/domain-types/downtime/collections/{}", target.kind());
        self.write(&path, body).await
    }
}

impl Source for Checkmk {
    fn id(&self) -> &SourceId {
        &self.id
    }

    fn kind(&self) -> &'static str {
        "checkmk"
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
            let installed: InstalledVersions = self
                .call(Method::GET, "/version", None, Answer::json)
                .await?;
            let items = self.fetch_all(now).await?;
            let version = installed
                .versions
                .and_then(|v| v.checkmk)
                .unwrap_or_else(|| "?".into());
            let site = installed.site.unwrap_or_else(|| "?".into());
            let mut text = format!("Checkmk {version}, site {site}, {} problems", items.len());
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
            let target = self
                .targets
                .get(&*item.external_id)
                .cloned()
                .ok_or_else(|| {
                    SourceError::Refused(format!("{} is no longer a problem", item.external_id))
                })?;
            match action {
                WriteBack::Ack {
                    comment,
                    author,
                    minutes,
                } => {
                    let comment = attributed(comment, author);
                    self.acknowledge(&target, &comment, *minutes, now).await
                }
                WriteBack::Unack { .. } => self.remove_acknowledgement(&target).await,
                WriteBack::Downtime {
                    comment,
                    author,
                    minutes,
                } => {
                    let comment = attributed(comment, author);
                    self.downtime(&target, &comment, *minutes, now).await
                }
                _ => Err(SourceError::Unsupported),
            }
        })
    }
}

/// `Authorization: Bearer <user> <secret>`, marked sensitive (never shown in debug output).
fn bearer(user: &str, secret: &SecretString) -> Result<HeaderValue, SourceError> {
    let mut value =
        HeaderValue::from_str(&format!("Bearer {user} {}", secret.expose())).map_err(|_| {
            SourceError::Auth("the user name or secret cannot be sent in a header".into())
        })?;
    value.set_sensitive(true);
    Ok(value)
}

/// The severity name of a state: `down`/`unreachable` for hosts, `warn`/`crit`/`unknown`
/// for services; `None` for UP/OK.
fn state_name(target: &Target, state: u8) -> Option<&'static str> {
    match (target.service.is_some(), state) {
        (false, 1) => Some("down"),
        (false, 2) => Some("unreachable"),
        (true, 1) => Some("warn"),
        (true, 2) => Some("crit"),
        (true, 3) => Some("unknown"),
        _ => None,
    }
}

fn status(condition: &Condition, state: &str) -> Status {
    if condition.acknowledged {
        Status::new(StatusCategory::Acknowledged, "acknowledged")
    } else {
        Status::new(StatusCategory::New, &state.to_uppercase())
    }
}

fn title(problem: &Problem<'_>, state: &str) -> String {
    let output = problem.condition.plugin_output.trim();
    let output = if output.is_empty() {
        state.to_uppercase()
    } else {
        output.to_string()
    };
    match &problem.target.service {
        Some(service) => format!("{} – {service}: {output}", problem.target.host),
        None => format!("{}: {output}", problem.target.host),
    }
}

/// The host's labels under their own names, its groups as `host-group`, and what nightdesk
/// adds: `service`, `state-type`, `downtime`, `output`.
fn labels(problem: &Problem<'_>) -> Vec<Label> {
    let mut labels: Vec<_> = problem.labels.iter().map(|(k, v)| label(k, v)).collect();
    labels.extend(problem.groups.iter().map(|g| label("host-group", g)));
    if let Some(service) = &problem.target.service {
        labels.push(label("service", service));
    }
    let condition = problem.condition;
    let state_type = if condition.state_type == 1 {
        "hard"
    } else {
        "soft"
    };
    labels.push(label("state-type", state_type));
    if condition.scheduled_downtime_depth > 0 {
        labels.push(label("downtime", "in scheduled downtime"));
    }
    if !condition.plugin_output.is_empty() {
        labels.push(label("output", &condition.plugin_output));
    }
    labels
}

/// `now + minutes`, whole seconds, as ISO 8601 (`2026-11-28T02:30:00Z`).
fn later(now: Timestamp, minutes: u32) -> String {
    let at = now + SignedDuration::from_mins(i64::from(minutes));
    Timestamp::from_second(at.as_second())
        .unwrap_or(at)
        .to_string()
}

/// The message of a Checkmk problem document: `title: detail (field: error, ...)`.
fn problem_text(answer: &Answer) -> Option<String> {
    let problem: Value = serde_json::from_slice(&answer.body).ok()?;
    let title = problem.get("title")?.as_str()?;
    let mut text = title.to_string();
    if let Some(detail) = problem.get("detail").and_then(Value::as_str) {
        text = format!("{}: {detail}", title.trim_end_matches('.'));
    }
    if let Some(fields) = problem.get("fields").and_then(Value::as_object) {
        let listed: Vec<String> = fields.iter().map(|(k, v)| field_error(k, v)).collect();
        if !listed.is_empty() {
            text.push_str(&format!(" ({})", listed.join("; ")));
        }
    }
    Some(text)
}

fn field_error(name: &str, errors: &Value) -> String {
    let text = match errors {
        Value::Array(list) => list
            .iter()
            .map(|e| {
                e.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| e.to_string())
            })
            .collect::<Vec<_>>()
            .join(", "),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    format!("{name}: {text}")
}

/// Livestatus flags come as `0`/`1`; accept `true`/`false` too.
fn flag<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::Bool(b) => b,
        Value::Number(n) => n.as_f64().is_some_and(|n| n != 0.0),
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::StatusCode;
    use reqwest::header::HeaderMap;

    fn answer(status: u16, body: &str) -> Answer {
        Answer {
            status: StatusCode::from_u16(status).unwrap(),
            headers: HeaderMap::new(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn problem_documents_explain_the_failure() {
        let a = answer(
            400,
            r#"{"title": "Bad Request", "status": 400, "detail": "These fields have problems: host_name", "fields": {"host_name": ["Host not found: 'nope'"]}}"#,
        );
        assert_eq!(
            problem_text(&a).unwrap(),
            "Bad Request: These fields have problems: host_name (host_name: Host not found: 'nope')"
        );
        assert_eq!(problem_text(&answer(500, "<html>boom</html>")), None);
    }

    #[test]
    fn targets_name_host_or_service() {
        let svc = Target {
            host: "db1".into(),
            service: Some("Filesystem /var".into()),
        };
        assert_eq!(svc.external_id(), "db1;Filesystem /var");
        assert_eq!(svc.selector()["acknowledge_type"], "service");
        assert_eq!(svc.selector()["service_description"], "Filesystem /var");
        let host = Target {
            host: "db1".into(),
            service: None,
        };
        assert_eq!(host.external_id(), "db1");
        assert_eq!(
            host.selector(),
            json!({"acknowledge_type": "host", "host_name": "db1"})
        );
    }

    #[test]
    fn states_have_names_ok_has_none() {
        let host = Target {
            host: "h".into(),
            service: None,
        };
        let svc = Target {
            host: "h".into(),
            service: Some("s".into()),
        };
        assert_eq!(state_name(&host, 1), Some("down"));
        assert_eq!(state_name(&host, 2), Some("unreachable"));
        assert_eq!(state_name(&host, 0), None);
        assert_eq!(state_name(&svc, 2), Some("crit"));
        assert_eq!(state_name(&svc, 3), Some("unknown"));
        assert_eq!(state_name(&svc, 0), None);
    }

    #[test]
    fn times_are_whole_seconds() {
        let now: Timestamp = "2026-11-28T02:30:00.123456Z".parse().unwrap();
        assert_eq!(later(now, 90), "2026-11-28T04:00:00Z");
    }
}
