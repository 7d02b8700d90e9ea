//! Icinga 2, REST API v1: host and service problems (state not UP/OK) become queue items,
//! with the host's variables and groups as labels, so the tenant can come from either.
//! Acknowledged problems, problems in a downtime and services of a down host stay in the
//! queue but read as handled. Write-backs are Icinga's own actions (acknowledge, remove the
//! acknowledgement, downtime, recheck), aimed at exactly one object whose names travel as
//! `filter_vars`: a host or service name is never pasted into a filter expression.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use futures_util::future::join;
use jiff::{SignedDuration, Timestamp};
use reqwest::Method;
use reqwest::header::ACCEPT;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::build::BuildContext;
use super::http::{Answer, Endpoint, snippet};
use super::mapping::{Decoded, Mapping, decode_each, label, new_item, unix_seconds};
use super::{BoxFuture, Capabilities, Fetched, Source, SourceError, WriteBack};
use crate::config::SourceConfig;
use crate::model::{
    Item, ItemKey, Kind, Label, Moment, Priority, SourceId, Status, StatusCategory, TenantId,
};

/// Settings of `kind = "icinga2"`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct IcingaSettings {
    /// An Icinga DSL filter and-ed to both the host and the service query, written over
    /// `host.` (a service sees its own host there), e.g. `host.vars.customer != ""`.
    #[serde(default)]
    pub filter: Option<String>,
    /// A filter and-ed to the service query only, e.g. `service.vars.pager == true`.
    #[serde(default)]
    pub service_filter: Option<String>,
}

/// Severity names and their priority unless the config says otherwise.
const DEFAULT_PRIORITIES: &[(&str, Priority)] = &[
    ("down", Priority::P1),
    ("unreachable", Priority::P2),
    ("critical", Priority::P1),
    ("warning", Priority::P3),
    ("unknown", Priority::P3),
];

/// The label (a host variable) that names the tenant unless `tenant-label` says otherwise.
const DEFAULT_TENANT_LABEL: &str = "customer";

/// Labels the connector sets itself; a host variable of the same name is not copied.
const OWN_LABELS: &[&str] = &[
    "hostgroup",
    "service",
    "state",
    "state-type",
    "output",
    "ack",
];

const HOST_ATTRS: &[&str] = &[
    "name",
    "display_name",
    "address",
    "vars",
    "groups",
    "state",
    "state_type",
    "last_check_result",
    "acknowledgement",
    "acknowledgement_expiry",
    "downtime_depth",
    "handled",
    "last_reachable",
    "last_state_change",
    "last_hard_state_change",
];

const SERVICE_ATTRS: &[&str] = &[
    "name",
    "display_name",
    "state",
    "state_type",
    "last_check_result",
    "acknowledgement",
    "acknowledgement_expiry",
    "downtime_depth",
    "handled",
    "last_reachable",
    "last_state_change",
    "last_hard_state_change",
];

/// What a service query brings of its host.
const SERVICE_JOINS: &[&str] = &[
    "host.name",
    "host.display_name",
    "host.address",
    "host.vars",
    "host.groups",
    "host.state",
];

/// Filters that select an object by name; the names are `filter_vars`, never text in here.
const HOST_SELECTOR: &str = "host.name == nd_host";
const SERVICE_SELECTOR: &str = "host.name == nd_host && service.name == nd_service";

/// Comments of this entry type are acknowledgements.
const ACK_COMMENTS: &str = "comment.entry_type == 4";

/// What hosts and services have in common: the state and how it is handled.
#[derive(Clone, Debug, Deserialize)]
struct CheckState {
    state: f64,
    /// 0 soft (not yet confirmed by `max_check_attempts`), 1 hard.
    #[serde(default)]
    state_type: Option<f64>,
    #[serde(default)]
    last_check_result: Option<CheckResult>,
    /// 0 none, 1 normal, 2 sticky.
    #[serde(default)]
    acknowledgement: Option<f64>,
    #[serde(default)]
    acknowledgement_expiry: Option<f64>,
    #[serde(default)]
    downtime_depth: Option<f64>,
    #[serde(default)]
    handled: Option<bool>,
    #[serde(default)]
    last_reachable: Option<bool>,
    last_state_change: f64,
    #[serde(default)]
    last_hard_state_change: Option<f64>,
}

#[derive(Clone, Debug, Deserialize)]
struct CheckResult {
    #[serde(default)]
    output: Option<String>,
}

/// A host's configuration as both queries return it.
#[derive(Clone, Debug, Deserialize)]
struct HostInfo {
    name: String,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    address: Option<String>,
    #[serde(default)]
    vars: Option<Map<String, Value>>,
    #[serde(default)]
    groups: Option<Vec<String>>,
}

/// One result of `/v1/objects/hosts`.
#[derive(Clone, Debug, Deserialize)]
struct HostRecord {
    attrs: HostAttrs,
}

#[derive(Clone, Debug, Deserialize)]
struct HostAttrs {
    #[serde(flatten)]
    host: HostInfo,
    #[serde(flatten)]
    check: CheckState,
}

/// One result of `/v1/objects/services`, with its host joined.
#[derive(Clone, Debug, Deserialize)]
struct ServiceRecord {
    attrs: ServiceAttrs,
    joins: ServiceJoins,
}

#[derive(Clone, Debug, Deserialize)]
struct ServiceAttrs {
    name: String,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(flatten)]
    check: CheckState,
}

#[derive(Clone, Debug, Deserialize)]
struct ServiceJoins {
    host: JoinedHost,
}

#[derive(Clone, Debug, Deserialize)]
struct JoinedHost {
    #[serde(flatten)]
    info: HostInfo,
    #[serde(default)]
    state: Option<f64>,
}

/// An acknowledgement comment (`/v1/objects/comments`, entry type 4).
#[derive(Clone, Debug, Deserialize)]
struct CommentRecord {
    attrs: AckComment,
}

#[derive(Clone, Debug, Deserialize)]
struct AckComment {
    host_name: String,
    #[serde(default)]
    service_name: String,
    author: String,
    #[serde(default)]
    text: String,
    entry_time: f64,
}

#[derive(Deserialize)]
struct QueryAnswer {
    results: Vec<Value>,
}

#[derive(Deserialize)]
struct ActionAnswer {
    #[serde(default)]
    results: Option<Vec<ActionResult>>,
}

#[derive(Deserialize)]
struct ActionResult {
    code: f64,
    #[serde(default)]
    status: String,
}

/// An error body: `{"error": 404, "status": "No objects found.", "diagnostic_information": ..}`.
#[derive(Deserialize)]
struct ApiError {
    status: String,
    #[serde(default)]
    diagnostic_information: Option<String>,
}

#[derive(Deserialize)]
struct StatusAnswer {
    results: Vec<StatusEntry>,
}

#[derive(Deserialize)]
struct StatusEntry {
    status: Value,
}

/// How bad a problem is, in the words the `priorities` table uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Severity {
    Down,
    Unreachable,
    Critical,
    Warning,
    Unknown,
}

impl Severity {
    fn of_host(check: &CheckState) -> Self {
        if check.last_reachable == Some(false) {
            Severity::Unreachable
        } else {
            Severity::Down
        }
    }

    fn of_service(check: &CheckState) -> Self {
        match check.state as i64 {
            1 => Severity::Warning,
            2 => Severity::Critical,
            _ => Severity::Unknown,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Severity::Down => "down",
            Severity::Unreachable => "unreachable",
            Severity::Critical => "critical",
            Severity::Warning => "warning",
            Severity::Unknown => "unknown",
        }
    }
}

impl CheckState {
    fn is_soft(&self) -> bool {
        self.state_type == Some(0.0)
    }

    fn is_acknowledged(&self) -> bool {
        self.acknowledgement.unwrap_or(0.0) > 0.0
    }

    fn in_downtime(&self) -> bool {
        self.downtime_depth.unwrap_or(0.0) > 0.0
    }

    fn output(&self) -> &str {
        self.last_check_result
            .as_ref()
            .and_then(|r| r.output.as_deref())
            .unwrap_or("")
    }

    /// When the problem began (its hard state change; a soft problem: its state change)
    /// and when it last changed.
    fn times(&self, now: Timestamp) -> (Timestamp, Timestamp) {
        let changed = unix_seconds(self.last_state_change);
        let hard = self.last_hard_state_change.and_then(unix_seconds);
        let created = if self.is_soft() {
            changed
        } else {
            hard.or(changed)
        }
        .unwrap_or(now);
        (created, changed.map_or(created, |c| c.max(created)))
    }
}

/// One host or service problem, whichever query it came from.
struct Problem<'a> {
    host: &'a HostInfo,
    /// `(name, display name)` of a service problem.
    service: Option<(&'a str, &'a str)>,
    check: &'a CheckState,
    /// A service whose host is not up.
    host_down: bool,
}

impl<'a> Problem<'a> {
    fn of_host(record: &'a HostRecord) -> Self {
        Problem {
            host: &record.attrs.host,
            service: None,
            check: &record.attrs.check,
            host_down: false,
        }
    }

    fn of_service(record: &'a ServiceRecord) -> Self {
        let attrs = &record.attrs;
        let display = attrs.display_name.as_deref().unwrap_or(&attrs.name);
        Problem {
            host: &record.joins.host.info,
            service: Some((&attrs.name, display)),
            check: &attrs.check,
            host_down: record.joins.host.state.unwrap_or(0.0) != 0.0,
        }
    }

    /// `host` or `host!service`, as Icinga names the object.
    fn external_id(&self) -> String {
        match self.service {
            Some((name, _)) => format!("{}!{name}", self.host.name),
            None => self.host.name.clone(),
        }
    }

    fn severity(&self) -> Severity {
        match self.service {
            Some(_) => Severity::of_service(self.check),
            None => Severity::of_host(self.check),
        }
    }

    fn title(&self, severity: Severity) -> String {
        let subject = match self.service {
            Some((_, display)) => display.to_string(),
            None => {
                let name = self.host.display_name.as_deref().unwrap_or(&self.host.name);
                match severity {
                    Severity::Unreachable => format!("Host unreachable: {name}"),
                    _ => format!("Host down: {name}"),
                }
            }
        };
        match self.check.output().lines().next().filter(|l| !l.is_empty()) {
            Some(line) => format!("{subject} — {line}"),
            None => subject,
        }
    }

    /// Handled problems (acknowledged, in downtime, covered by their host or a parent)
    /// are told apart from the unhandled ones, which carry their severity as status.
    fn status(&self, severity: Severity) -> Status {
        let check = self.check;
        if check.is_acknowledged() {
            Status::new(StatusCategory::Acknowledged, "acknowledged")
        } else if check.in_downtime() {
            Status::new(StatusCategory::Acknowledged, "in downtime")
        } else if self.host_down {
            Status::new(StatusCategory::Waiting, "host down")
        } else if check.handled == Some(true) || check.last_reachable == Some(false) {
            Status::new(StatusCategory::Waiting, "unreachable")
        } else {
            Status::new(StatusCategory::New, severity.name())
        }
    }

    fn labels(&self, severity: Severity) -> Vec<Label> {
        let mut labels = host_labels(self.host);
        if let Some((name, _)) = self.service {
            labels.push(label("service", name));
        }
        labels.push(label("state", severity.name()));
        let state_type = if self.check.is_soft() { "soft" } else { "hard" };
        labels.push(label("state-type", state_type));
        labels.push(label("output", self.check.output()));
        labels
    }
}

/// Host variables with a plain value (string, number, boolean) as `name = value`, and one
/// `hostgroup` label per group.
fn host_labels(host: &HostInfo) -> Vec<Label> {
    let mut labels = Vec::new();
    for (name, value) in host.vars.iter().flatten() {
        if OWN_LABELS.contains(&name.as_str()) {
            continue;
        }
        let text = match value {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => continue,
        };
        labels.push(label(name, &text));
    }
    for group in host.groups.iter().flatten() {
        labels.push(label("hostgroup", group));
    }
    labels
}

/// One step less urgent (a soft state is not confirmed yet).
fn softened(priority: Priority) -> Priority {
    match priority {
        Priority::P1 => Priority::P2,
        Priority::P2 => Priority::P3,
        Priority::P3 | Priority::P4 => Priority::P4,
    }
}

/// The server's explanation in an error body: its `status`, and the first lines of the
/// diagnostic (a filter's syntax error and where it is).
fn explain(body: &[u8]) -> Option<String> {
    let error: ApiError = serde_json::from_slice(body).ok()?;
    let diagnostic = error
        .diagnostic_information
        .map(|d| d.lines().take(2).collect::<Vec<_>>().join("; "))
        .filter(|d| !d.is_empty());
    Some(match diagnostic {
        Some(d) => format!("{} ({d})", error.status),
        None => error.status,
    })
}

/// The one host or service a write-back is for, named by the item's external id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Target<'a> {
    host: &'a str,
    service: Option<&'a str>,
}

impl<'a> Target<'a> {
    /// `host!service` is a service (host names cannot contain `!`), anything else a host.
    fn of(external_id: &'a str) -> Self {
        match external_id.split_once('!') {
            Some((host, service)) => Target {
                host,
                service: Some(service),
            },
            None => Target {
                host: external_id,
                service: None,
            },
        }
    }

    /// `type`, `filter` and `filter_vars` of an action on exactly this object.
    fn selector(&self) -> Map<String, Value> {
        let (kind, filter, vars) = match self.service {
            Some(service) => (
                "Service",
                SERVICE_SELECTOR,
                json!({"nd_host": self.host, "nd_service": service}),
            ),
            None => ("Host", HOST_SELECTOR, json!({"nd_host": self.host})),
        };
        let mut body = Map::new();
        body.insert("type".into(), json!(kind));
        body.insert("filter".into(), json!(filter));
        body.insert("filter_vars".into(), vars);
        body
    }
}

impl fmt::Display for Target<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.service {
            Some(service) => write!(f, "service {}!{service}", self.host),
            None => write!(f, "host {}", self.host),
        }
    }
}

/// What an action's answer means: every object it matched must report success.
fn action_outcome(answer: Answer, target: &Target<'_>) -> Result<(), SourceError> {
    if matches!(answer.status.as_u16(), 401 | 403 | 429) {
        return answer.ok_explained(|a| explain(&a.body)).map(drop);
    }
    let gone = || {
        SourceError::Refused(format!(
            "{target} does not exist on the server (removed or renamed?)"
        ))
    };
    if answer.status.as_u16() == 404 {
        return Err(gone());
    }
    let results = serde_json::from_slice::<ActionAnswer>(&answer.body)
        .ok()
        .and_then(|a| a.results);
    let Some(results) = results else {
        let answer = answer.ok_explained(|a| explain(&a.body))?;
        return Err(SourceError::Protocol(format!(
            "no results in the answer: {}",
            answer.snippet()
        )));
    };
    if results.is_empty() {
        return Err(gone());
    }
    match results.iter().find(|r| !(200.0..300.0).contains(&r.code)) {
        Some(failed) => Err(SourceError::Refused(snippet(&failed.status))),
        None => Ok(()),
    }
}

/// A connected Icinga 2.
pub struct Icinga {
    id: SourceId,
    tenant: Option<TenantId>,
    endpoint: Endpoint,
    host_filter: String,
    service_filter: String,
    mapping: Mapping,
    degraded: Option<String>,
}

impl Icinga {
    pub fn from_config(
        config: &SourceConfig,
        settings: &IcingaSettings,
        ctx: &BuildContext,
    ) -> Result<Self, SourceError> {
        Ok(Self::new(
            config.id.clone(),
            config.tenant.clone(),
            ctx.endpoint(config, None)?,
            settings,
            ctx.mapping(config, DEFAULT_PRIORITIES, Some(DEFAULT_TENANT_LABEL)),
        ))
    }

    fn new(
        id: SourceId,
        tenant: Option<TenantId>,
        endpoint: Endpoint,
        settings: &IcingaSettings,
        mapping: Mapping,
    ) -> Self {
        let extra = settings.filter.as_deref();
        Self {
            id,
            tenant,
            endpoint,
            host_filter: and_filters("host.state != HostUp", &[extra]),
            service_filter: and_filters(
                "service.state != ServiceOK",
                &[extra, settings.service_filter.as_deref()],
            ),
            mapping,
            degraded: None,
        }
    }

    /// A query (`POST` with `X-HTTP-Method-Override: GET` and the filter in the JSON body:
    /// filters in the URL are easily mis-encoded and then silently match nothing).
    async fn query(&self, path: &str, body: Value) -> Result<Vec<Value>, SourceError> {
        let request = self
            .endpoint
            .request(Method::POST, path)
            .header("X-HTTP-Method-Override", "GET")
            .header(ACCEPT, "application/json")
            .json(&body);
        let answer: QueryAnswer = self.endpoint.json_explained(request, explain).await?;
        Ok(answer.results)
    }

    async fn hosts(&self) -> Result<Decoded<HostRecord>, SourceError> {
        let body = json!({"filter": self.host_filter, "attrs": HOST_ATTRS, "verbose": true});
        Ok(decode_each(self.query("/v1/objects/hosts", body).await?))
    }

    async fn services(&self) -> Result<Decoded<ServiceRecord>, SourceError> {
        let body = json!({
            "filter": self.service_filter,
            "attrs": SERVICE_ATTRS,
            "joins": SERVICE_JOINS,
            "verbose": true,
        });
        Ok(decode_each(self.query("/v1/objects/services", body).await?))
    }

    /// The newest acknowledgement comment of each object, by external id.
    async fn ack_comments(&self) -> Result<HashMap<String, AckComment>, SourceError> {
        let body = json!({
            "filter": ACK_COMMENTS,
            "attrs": ["host_name", "service_name", "author", "text", "entry_time"],
        });
        let raw = self.query("/v1/objects/comments", body).await?;
        Ok(newest_by_object(decode_each::<CommentRecord>(raw).records))
    }

    async fn fetch_all(&mut self, now: Timestamp) -> Result<Vec<Item>, SourceError> {
        let (hosts, services) = join(self.hosts(), self.services()).await;
        let (hosts, services) = (hosts?, services?);
        let any_ack = hosts
            .records
            .iter()
            .any(|h| h.attrs.check.is_acknowledged())
            || services
                .records
                .iter()
                .any(|s| s.attrs.check.is_acknowledged());
        let acks = if any_ack {
            self.ack_comments()
                .await
                .map_err(|e| format!("who acknowledged is unknown: {e}"))
        } else {
            Ok(HashMap::new())
        };
        Ok(self.absorb(hosts, services, acks, now))
    }

    /// The items of one fetch's answers; remembers what could not be read.
    fn absorb(
        &mut self,
        hosts: Decoded<HostRecord>,
        services: Decoded<ServiceRecord>,
        acks: Result<HashMap<String, AckComment>, String>,
        now: Timestamp,
    ) -> Vec<Item> {
        let (acks, ack_problem) = match acks {
            Ok(acks) => (acks, None),
            Err(problem) => (HashMap::new(), Some(problem)),
        };
        let problems: Vec<String> = [
            hosts.problem("hosts"),
            services.problem("services"),
            ack_problem,
        ]
        .into_iter()
        .flatten()
        .collect();
        self.degraded = (!problems.is_empty()).then(|| problems.join("; "));
        self.items(&hosts.records, &services.records, &acks, now)
    }

    fn items(
        &self,
        hosts: &[HostRecord],
        services: &[ServiceRecord],
        acks: &HashMap<String, AckComment>,
        now: Timestamp,
    ) -> Vec<Item> {
        let problems = hosts
            .iter()
            .map(Problem::of_host)
            .chain(services.iter().map(Problem::of_service));
        problems.map(|p| self.item(&p, acks, now)).collect()
    }

    fn item(
        &self,
        problem: &Problem<'_>,
        acks: &HashMap<String, AckComment>,
        now: Timestamp,
    ) -> Item {
        let id = problem.external_id();
        let severity = problem.severity();
        let labels = problem.labels(severity);
        let mut priority = self.mapping.priority(severity.name());
        if problem.check.is_soft() {
            priority = softened(priority);
        }
        let (created, updated) = problem.check.times(now);
        let mut item = new_item(
            ItemKey::new(&self.id, &id),
            self.mapping.tenant(&labels),
            Kind::Alert,
            &problem.title(severity),
            priority,
            problem.status(severity),
            created,
        );
        item.host = Some(Arc::from(problem.host.name.as_str()));
        item.address = problem
            .host
            .address
            .as_deref()
            .filter(|a| !a.trim().is_empty())
            .map(Arc::from);
        item.updated = Moment::new(updated);
        item.labels = labels.into();
        if problem.check.is_acknowledged()
            && let Some(ack) = acks.get(&id)
        {
            item.assignee = Some(Arc::from(ack.author.as_str()));
            item.sla.first_response_at = unix_seconds(ack.entry_time).map(Moment::new);
            item.labels
                .push(label("ack", &ack_text(ack, problem.check)));
        }
        item
    }

    async fn act(
        &self,
        action: &str,
        target: Target<'_>,
        params: Value,
    ) -> Result<(), SourceError> {
        let mut body = target.selector();
        if let Value::Object(params) = params {
            body.extend(params);
        }
        let request = self
            .endpoint
            .request(Method::POST, &format!("/v1/actions/{action}"))
            .header(ACCEPT, "application/json")
            .json(&body);
        let request = self.endpoint.authorize(request).await?;
        let answer = self.endpoint.send(request).await?;
        action_outcome(answer, &target)?;
        tracing::info!(source = %self.id, %target, action, "done");
        Ok(())
    }
}

/// `"base && (extra) && (extra2)"` for the extras given.
fn and_filters(base: &str, extras: &[Option<&str>]) -> String {
    let mut filter = base.to_string();
    for extra in extras.iter().flatten().filter(|e| !e.trim().is_empty()) {
        filter.push_str(&format!(" && ({extra})"));
    }
    filter
}

fn newest_by_object(comments: Vec<CommentRecord>) -> HashMap<String, AckComment> {
    let mut newest: HashMap<String, AckComment> = HashMap::new();
    for comment in comments.into_iter().map(|c| c.attrs) {
        let id = if comment.service_name.is_empty() {
            comment.host_name.clone()
        } else {
            format!("{}!{}", comment.host_name, comment.service_name)
        };
        match newest.get(&id) {
            Some(known) if known.entry_time >= comment.entry_time => {}
            _ => {
                newest.insert(id, comment);
            }
        }
    }
    newest
}

/// `author: comment (sticky, until 2026-12-01T07:00:00Z)`.
fn ack_text(ack: &AckComment, check: &CheckState) -> String {
    let mut notes = Vec::new();
    if check.acknowledgement == Some(2.0) {
        notes.push("sticky".to_string());
    }
    if let Some(until) = check.acknowledgement_expiry.and_then(unix_seconds) {
        notes.push(format!("until {until}"));
    }
    let mut text = format!("{}: {}", ack.author, ack.text);
    if !notes.is_empty() {
        text.push_str(&format!(" ({})", notes.join(", ")));
    }
    text
}

fn minutes_after(now: Timestamp, minutes: u32) -> i64 {
    (now + SignedDuration::from_mins(i64::from(minutes))).as_second()
}

impl Source for Icinga {
    fn id(&self) -> &SourceId {
        &self.id
    }

    fn kind(&self) -> &'static str {
        "icinga2"
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
            let request = self
                .endpoint
                .request(Method::GET, "/v1/status/IcingaApplication")
                .header(ACCEPT, "application/json");
            let status: StatusAnswer = self.endpoint.json_explained(request, explain).await?;
            let version = status
                .results
                .first()
                .and_then(|r| r.status["icingaapplication"]["app"]["version"].as_str())
                .unwrap_or("?")
                .to_string();
            let items = self.fetch_all(now).await?;
            let mut text = format!("Icinga 2 {version}, {} problems", items.len());
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
            recheck: true,
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
            let target = Target::of(&item.external_id);
            match action {
                WriteBack::Ack {
                    comment,
                    author,
                    minutes,
                } => {
                    let mut params = json!({
                        "author": author, "comment": comment, "sticky": false, "notify": false,
                    });
                    if let Some(minutes) = minutes {
                        params["expiry"] = json!(minutes_after(now, *minutes));
                    }
                    self.act("acknowledge-problem", target, params).await
                }
                WriteBack::Unack { author } => {
                    let params = json!({"author": author});
                    self.act("remove-acknowledgement", target, params).await
                }
                WriteBack::Downtime {
                    comment,
                    author,
                    minutes,
                } => {
                    let mut params = json!({
                        "author": author, "comment": comment, "fixed": true,
                        "start_time": now.as_second(), "end_time": minutes_after(now, *minutes),
                    });
                    if target.service.is_none() {
                        params["all_services"] = json!(true);
                    }
                    self.act("schedule-downtime", target, params).await
                }
                WriteBack::Recheck => {
                    let params = json!({"next_check": now.as_second(), "force": true});
                    self.act("reschedule-check", target, params).await
                }
                _ => Err(SourceError::Unsupported),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::MappingConfig;
    use crate::sources::http::{EndpointSpec, Limiter};

    fn connector() -> Icinga {
        let spec = EndpointSpec {
            base_url: "https://icinga.invalid:5665".into(),
            ca_file: None,
            insecure: false,
            timeout: std::time::Duration::from_secs(1),
            auth: None,
            follow_redirects: true,
        };
        let mapping = Mapping::new(
            &MappingConfig::default(),
            None,
            DEFAULT_PRIORITIES,
            Some(DEFAULT_TENANT_LABEL),
            vec![],
        );
        Icinga::new(
            SourceId::new("icinga"),
            None,
            Endpoint::new(&spec, Limiter::new(1)).unwrap(),
            &IcingaSettings::default(),
            mapping,
        )
    }

    /// A service result as Icinga 2.13 returns it (trimmed to the requested attributes).
    fn service(host: &str, name: &str, state: u8, output: &str) -> Value {
        json!({
            "attrs": {
                "acknowledgement": 0, "acknowledgement_expiry": 0, "display_name": name.to_uppercase(),
                "downtime_depth": 0, "handled": false, "last_reachable": true,
                "last_check_result": {"active": false, "exit_status": 0, "output": output, "state": state,
                    "type": "CheckResult", "vars_after": {"attempt": 1, "reachable": true, "state": state, "state_type": 1}},
                "last_hard_state_change": 1796104876.530736, "last_state_change": 1796104876.530736,
                "name": name, "state": state, "state_type": 1
            },
            "joins": {"host": {"address": "10.0.0.1", "display_name": host, "groups": ["linux", "cust-mueller"],
                "name": host, "state": 0, "vars": {"customer": "mm", "rack": 3, "os": {"family": "linux"}}}},
            "meta": {}, "name": format!("{host}!{name}"), "type": "Service"
        })
    }

    /// Items from a recorded services answer, as a fetch makes them.
    fn decode_services(raw: Vec<Value>) -> (Option<String>, Vec<Item>) {
        let mut c = connector();
        let services = decode_each::<ServiceRecord>(raw);
        let items = c.absorb(
            decode_each(Vec::<Value>::new()),
            services,
            Ok(HashMap::new()),
            Timestamp::now(),
        );
        (c.degraded(), items)
    }

    #[test]
    fn a_recorded_service_answer_becomes_items() {
        let (_, items) = decode_services(vec![service(
            "web01",
            "http",
            2,
            "HTTP CRITICAL: 503\nbody",
        )]);
        let item = &items[0];
        assert_eq!(&*item.key.external_id, "web01!http");
        assert_eq!(&*item.title, "HTTP — HTTP CRITICAL: 503");
        assert_eq!(item.tenant.as_str(), "mm", "host var `customer`");
        assert_eq!(item.priority, Priority::P1);
        assert_eq!(item.status, Status::new(StatusCategory::New, "critical"));
        assert_eq!(item.host.as_deref(), Some("web01"));
        assert_eq!(item.address.as_deref(), Some("10.0.0.1"));
        assert_eq!(item.label("rack"), Some("3"), "numbers are labels too");
        assert_eq!(item.label("os"), None, "structured vars are not");
        let groups: Vec<&str> = item
            .labels
            .iter()
            .filter(|(k, _)| *k == "hostgroup")
            .map(|(_, v)| v)
            .collect();
        assert_eq!(groups, ["linux", "cust-mueller"]);
        assert_eq!(item.label("service"), Some("http"));
        assert_eq!(item.label("output"), Some("HTTP CRITICAL: 503\nbody"));
        assert_eq!(item.created.timestamp().as_second(), 1_796_104_876);
    }

    #[test]
    fn records_missing_fields_are_skipped_counted_and_degrade_the_source() {
        let (degraded, items) = decode_services(vec![service("web01", "http", 2, "x")]);
        assert_eq!(items.len(), 1);
        assert_eq!(degraded, None);

        let mut broken = service("web01", "disk", 1, "DISK WARNING");
        broken["attrs"].as_object_mut().unwrap().remove("state");
        let mut no_host = service("web01", "load", 1, "LOAD WARNING");
        no_host.as_object_mut().unwrap().remove("joins");
        let mut bad_time = service("web01", "ntp", 1, "NTP WARNING");
        bad_time["attrs"]["last_state_change"] = json!("yesterday");
        let raw = vec![service("web01", "http", 2, "x"), broken, no_host, bad_time];
        let (degraded, items) = decode_services(raw);
        assert_eq!(items.len(), 1, "the readable record is kept");
        let degraded = degraded.expect("degraded");
        assert!(
            degraded.starts_with("3 of 4 services could not be read"),
            "{degraded}"
        );
        assert!(degraded.contains("state"), "{degraded}");
    }

    #[test]
    fn unknown_ack_authors_degrade_the_source_but_keep_the_items() {
        let mut c = connector();
        let mut raw = service("web01", "http", 2, "x");
        raw["attrs"]["acknowledgement"] = json!(1);
        let items = c.absorb(
            decode_each(Vec::<Value>::new()),
            decode_each(vec![raw]),
            Err("who acknowledged is unknown: HTTP 403".into()),
            Timestamp::now(),
        );
        assert_eq!(items[0].status.category, StatusCategory::Acknowledged);
        assert_eq!(items[0].assignee, None);
        assert!(c.degraded().unwrap().contains("HTTP 403"));
    }

    #[test]
    fn escape_sequences_in_plugin_output_stay_data() {
        let output = "\x1b[2J\x1b[31mCRIT\x07 \u{202e}evil\r\nsecond\x1b]8;;http://x\x1b\\";
        let (_, items) = decode_services(vec![service("web01", "http", 2, output)]);
        let item = &items[0];
        assert_eq!(&*item.title, "HTTP — \x1b[2J\x1b[31mCRIT\x07 \u{202e}evil");
        assert_eq!(item.label("output"), Some(output));
        let long = "x".repeat(100_000);
        let (_, items) = decode_services(vec![service("web01", "http", 2, &long)]);
        assert_eq!(
            items[0].title.chars().count(),
            super::super::mapping::MAX_TITLE_CHARS
        );
    }

    #[test]
    fn handled_problems_are_told_apart() {
        let mut raw = service("web01", "http", 2, "x");
        let status = |raw: &Value| decode_services(vec![raw.clone()]).1[0].status.clone();
        assert_eq!(status(&raw).category, StatusCategory::New);
        raw["joins"]["host"]["state"] = json!(1);
        assert_eq!(
            status(&raw),
            Status::new(StatusCategory::Waiting, "host down")
        );
        raw["attrs"]["downtime_depth"] = json!(1);
        assert_eq!(
            status(&raw),
            Status::new(StatusCategory::Acknowledged, "in downtime")
        );
        raw["attrs"]["acknowledgement"] = json!(2);
        assert_eq!(
            status(&raw),
            Status::new(StatusCategory::Acknowledged, "acknowledged")
        );
        let mut parent_down = service("web01", "http", 2, "x");
        parent_down["attrs"]["handled"] = json!(true);
        parent_down["attrs"]["last_reachable"] = json!(false);
        assert_eq!(
            status(&parent_down),
            Status::new(StatusCategory::Waiting, "unreachable")
        );
    }

    #[test]
    fn soft_states_are_one_step_less_urgent() {
        let mut raw = service("web01", "http", 2, "x");
        raw["attrs"]["state_type"] = json!(0);
        raw["attrs"]["last_hard_state_change"] = json!(1_000_000_000.0);
        let item = &decode_services(vec![raw]).1[0];
        assert_eq!(item.priority, Priority::P2);
        assert_eq!(item.label("state-type"), Some("soft"));
        assert_eq!(
            item.created.timestamp().as_second(),
            1_796_104_876,
            "a soft problem began at its state change"
        );
        assert_eq!(softened(Priority::P4), Priority::P4);
    }

    #[test]
    fn host_problems_name_the_host() {
        let raw = json!({"attrs": {
            "name": "db01", "display_name": "DB 01", "address": "", "vars": null, "groups": [],
            "state": 1, "state_type": 1, "last_check_result": null, "acknowledgement": 0,
            "downtime_depth": 0, "handled": false, "last_reachable": true,
            "last_state_change": 1796104866.99, "last_hard_state_change": 1796104879.99
        }, "joins": {}, "meta": {}, "name": "db01", "type": "Host"});
        let c = connector();
        let hosts = decode_each::<HostRecord>(vec![raw.clone()]).records;
        let item = &c.items(&hosts, &[], &HashMap::new(), Timestamp::now())[0];
        assert_eq!(&*item.title, "Host down: DB 01");
        assert_eq!(item.priority, Priority::P1);
        assert_eq!(item.address, None, "an empty address is none");
        assert_eq!(item.tenant.as_str(), "unmapped");
        let mut unreachable = raw;
        unreachable["attrs"]["last_reachable"] = json!(false);
        let hosts = decode_each::<HostRecord>(vec![unreachable]).records;
        let item = &c.items(&hosts, &[], &HashMap::new(), Timestamp::now())[0];
        assert_eq!(&*item.title, "Host unreachable: DB 01");
        assert_eq!(item.priority, Priority::P2);
    }

    #[test]
    fn the_newest_ack_comment_names_the_assignee() {
        let comment = |author: &str, at: f64| CommentRecord {
            attrs: AckComment {
                host_name: "web01".into(),
                service_name: "http".into(),
                author: author.into(),
                text: "on it".into(),
                entry_time: at,
            },
        };
        let acks = newest_by_object(vec![comment("new", 20.0), comment("old", 10.0)]);
        let mut raw = service("web01", "http", 2, "x");
        raw["attrs"]["acknowledgement"] = json!(1);
        raw["attrs"]["acknowledgement_expiry"] = json!(1_800_000_000);
        let records = decode_each::<ServiceRecord>(vec![raw]).records;
        let item = &connector().items(&[], &records, &acks, Timestamp::now())[0];
        assert_eq!(item.assignee.as_deref(), Some("new"));
        assert_eq!(item.sla.first_response_at.unwrap().as_millisecond(), 20_000);
        assert_eq!(
            item.label("ack"),
            Some("new: on it (until 2027-01-15T08:00:00Z)")
        );
    }

    #[test]
    fn targets_carry_names_as_filter_vars_only() {
        let evil = "web\" || true || \"x!http\" || true";
        let target = Target::of(evil);
        assert_eq!(target.host, "web\" || true || \"x");
        let body = target.selector();
        assert_eq!(body["type"], "Service");
        assert_eq!(body["filter"], SERVICE_SELECTOR);
        assert_eq!(body["filter_vars"]["nd_host"], target.host);
        assert_eq!(body["filter_vars"]["nd_service"], "http\" || true");
        let host = Target::of("db01").selector();
        assert_eq!(host["type"], "Host");
        assert_eq!(host["filter"], HOST_SELECTOR);
    }

    #[test]
    fn extra_filters_are_anded_in_parentheses() {
        assert_eq!(
            and_filters(
                "service.state != ServiceOK",
                &[Some("a || b"), None, Some(" ")]
            ),
            "service.state != ServiceOK && (a || b)"
        );
    }

    #[test]
    fn error_bodies_are_explained() {
        let body = br#"{"diagnostic_information":"Error: syntax error, unexpected ==\nLocation: in <API query>: 1:44-1:45\nmore","error":404,"status":"No objects found."}"#;
        assert_eq!(
            explain(body).unwrap(),
            "No objects found. (Error: syntax error, unexpected ==; Location: in <API query>: 1:44-1:45)"
        );
        assert_eq!(explain(b"<html>"), None);
    }
}
