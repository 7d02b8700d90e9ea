//! Zabbix 5.4 or newer, JSON-RPC API: the open problems become queue items, with host,
//! address and host groups from their triggers (one batched call each, not one per
//! problem); ack, unack and notes are event updates (`event.acknowledge`). Credentials (an
//! API token, or a login whose session is kept) go where the server's version wants them.

mod rpc;

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Deserializer};
use serde_json::{Value, json};

pub use self::rpc::AuthStyle;
use self::rpc::{Rpc, RpcError};
use super::build::BuildContext;
// The API sends ids and numbers as strings, some answers as numbers.
use super::mapping::{
    MAX_TITLE_CHARS, Mapping, attributed, attribution, clip, decode_each, label, new_item,
};
use super::mapping::{lenient_integer as number, lenient_text as text};
use super::{BoxFuture, Capabilities, Fetched, Source, SourceError, WriteBack};
use crate::config::SourceConfig;
use crate::model::{
    Item, ItemKey, Kind, Label, Moment, Priority, SourceId, Status, StatusCategory, TenantId,
};

/// Settings of `kind = "zabbix"`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ZabbixSettings {
    /// Where the credentials go: `auto` (by the server's version), `body` or `header`.
    #[serde(default)]
    pub auth_style: AuthStyle,
    /// Only problems of this severity or a higher one.
    #[serde(default)]
    pub min_severity: Option<Severity>,
    /// Only problems of hosts in these host groups (by name).
    #[serde(default)]
    pub groups: Vec<String>,
}

/// Zabbix's trigger severities, lowest first (the API's numbers 0 to 5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    NotClassified,
    Information,
    Warning,
    Average,
    High,
    Disaster,
}

impl Severity {
    const ALL: [Severity; 6] = [
        Severity::NotClassified,
        Severity::Information,
        Severity::Warning,
        Severity::Average,
        Severity::High,
        Severity::Disaster,
    ];

    fn from_code(code: i64) -> Option<Self> {
        usize::try_from(code)
            .ok()
            .and_then(|i| Self::ALL.get(i).copied())
    }

    fn code(self) -> u8 {
        self as u8
    }

    /// The name used in `priorities` and the `severity` label.
    pub fn name(self) -> &'static str {
        match self {
            Severity::NotClassified => "not-classified",
            Severity::Information => "information",
            Severity::Warning => "warning",
            Severity::Average => "average",
            Severity::High => "high",
            Severity::Disaster => "disaster",
        }
    }
}

/// Severity names and their priority unless the config says otherwise.
const DEFAULT_PRIORITIES: &[(&str, Priority)] = &[
    ("disaster", Priority::P1),
    ("high", Priority::P2),
    ("average", Priority::P3),
    ("warning", Priority::P3),
    ("information", Priority::P4),
    ("not-classified", Priority::P4),
];

/// The tag that names the tenant unless `tenant-label` says otherwise.
const DEFAULT_TENANT_LABEL: &str = "tenant";

/// `event.acknowledge` action bits.
const ACKNOWLEDGE: i64 = 2;
const ADD_MESSAGE: i64 = 4;
const UNACKNOWLEDGE: i64 = 16;
const SUPPRESS: i64 = 32;

/// Longest message Zabbix stores with an event update.
const MAX_MESSAGE_CHARS: usize = 2048;
/// Longest tag name kept.
const MAX_TAG_CHARS: usize = 100;

/// One problem as `problem.get` returns it (every value a string in 6.0).
#[derive(Clone, Debug, Deserialize)]
struct ApiProblem {
    #[serde(deserialize_with = "text")]
    eventid: String,
    #[serde(deserialize_with = "text")]
    objectid: String,
    #[serde(deserialize_with = "number")]
    clock: i64,
    name: String,
    #[serde(deserialize_with = "number")]
    severity: i64,
    #[serde(default, deserialize_with = "flag")]
    acknowledged: bool,
    #[serde(default, deserialize_with = "flag")]
    suppressed: bool,
    #[serde(default)]
    opdata: String,
    #[serde(default)]
    acknowledges: Vec<ApiUpdate>,
    #[serde(default)]
    tags: Vec<ApiTag>,
}

/// One event update (ack, message, ...) of `selectAcknowledges`.
#[derive(Clone, Debug, Deserialize)]
struct ApiUpdate {
    #[serde(default, deserialize_with = "number")]
    acknowledgeid: i64,
    #[serde(deserialize_with = "text")]
    userid: String,
    #[serde(deserialize_with = "number")]
    clock: i64,
    #[serde(default)]
    message: String,
    #[serde(deserialize_with = "number")]
    action: i64,
}

impl ApiUpdate {
    fn acknowledges(&self) -> bool {
        self.action & ACKNOWLEDGE != 0
    }
}

#[derive(Clone, Debug, Deserialize)]
struct ApiTag {
    tag: String,
    #[serde(default)]
    value: String,
}

/// A trigger with its hosts and host groups (`selectGroups` before 6.2, `selectHostGroups`
/// from 6.2 on).
#[derive(Clone, Debug, Deserialize)]
struct ApiTrigger {
    #[serde(deserialize_with = "text")]
    triggerid: String,
    #[serde(default)]
    hosts: Vec<ApiHost>,
    #[serde(default, alias = "hostgroups")]
    groups: Vec<ApiGroup>,
}

#[derive(Clone, Debug, Deserialize)]
struct ApiHost {
    #[serde(deserialize_with = "text")]
    hostid: String,
    host: String,
    /// The visible name; the technical `host` when it has none.
    #[serde(default)]
    name: String,
}

impl ApiHost {
    fn shown_name(&self) -> &str {
        if self.name.trim().is_empty() {
            &self.host
        } else {
            &self.name
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
struct ApiGroup {
    #[serde(default, deserialize_with = "text")]
    groupid: String,
    name: String,
}

#[derive(Clone, Debug, Deserialize)]
struct ApiInterface {
    #[serde(deserialize_with = "text")]
    hostid: String,
    #[serde(default)]
    ip: String,
    #[serde(default)]
    dns: String,
    #[serde(default, deserialize_with = "flag")]
    useip: bool,
    #[serde(default, deserialize_with = "number")]
    r#type: i64,
}

impl ApiInterface {
    /// The address the interface is reached at (IP or DNS name, as it is set to use).
    fn address(&self) -> Option<&str> {
        let (first, second) = if self.useip {
            (&self.ip, &self.dns)
        } else {
            (&self.dns, &self.ip)
        };
        [first, second]
            .into_iter()
            .map(|a| a.trim())
            .find(|a| !a.is_empty())
    }
}

#[derive(Clone, Debug, Deserialize)]
struct ApiUser {
    #[serde(deserialize_with = "text")]
    userid: String,
    #[serde(default)]
    username: String,
}

/// What one read found besides the problems themselves.
#[derive(Default)]
struct Context {
    triggers: HashMap<String, ApiTrigger>,
    addresses: HashMap<String, String>,
    users: HashMap<String, String>,
}

/// A connected Zabbix server.
pub struct Zabbix {
    id: SourceId,
    tenant: Option<TenantId>,
    rpc: Rpc,
    mapping: Mapping,
    min_severity: Option<Severity>,
    groups: Vec<String>,
    /// The ids of `groups`, once all of them were found.
    group_ids: Option<Vec<String>>,
    missing_groups: Vec<String>,
    degraded: Option<String>,
    /// Detail calls whose failure was logged already (logged once, not every poll).
    failed_details: BTreeSet<String>,
}

impl Zabbix {
    pub fn from_config(
        config: &SourceConfig,
        settings: &ZabbixSettings,
        ctx: &BuildContext,
    ) -> Result<Self, SourceError> {
        if config.auth.is_none() {
            return Err(SourceError::Auth(format!(
                "source {} needs `auth`: an API token or a login",
                config.id
            )));
        }
        Ok(Self {
            id: config.id.clone(),
            tenant: config.tenant.clone(),
            rpc: Rpc::new(ctx.endpoint(config, None)?, settings.auth_style),
            mapping: ctx.mapping(config, DEFAULT_PRIORITIES, Some(DEFAULT_TENANT_LABEL)),
            min_severity: settings.min_severity,
            groups: settings.groups.clone(),
            group_ids: None,
            missing_groups: Vec::new(),
            degraded: None,
            failed_details: BTreeSet::new(),
        })
    }

    /// Resolves `groups` to ids (again while some are missing).
    async fn resolve_groups(&mut self) -> Result<(), SourceError> {
        if self.groups.is_empty() || (self.missing_groups.is_empty() && self.group_ids.is_some()) {
            return Ok(());
        }
        let params = json!({"output": ["groupid", "name"], "filter": {"name": self.groups}});
        let found: Vec<ApiGroup> = self.rpc.call("hostgroup.get", params).await?;
        self.missing_groups = self
            .groups
            .iter()
            .filter(|g| !found.iter().any(|f| &f.name == *g))
            .cloned()
            .collect();
        self.group_ids = Some(found.into_iter().map(|g| g.groupid).collect());
        Ok(())
    }

    fn problem_query(&self) -> Value {
        let mut params = json!({
            "output": ["eventid", "objectid", "clock", "name", "severity", "acknowledged",
                       "suppressed", "opdata"],
            "selectAcknowledges": ["acknowledgeid", "userid", "clock", "message", "action"],
            "selectTags": ["tag", "value"],
            "recent": false,
            "sortfield": ["eventid"],
            "sortorder": "DESC",
        });
        if let Some(min) = self.min_severity {
            params["severities"] =
                json!((min.code()..=Severity::Disaster.code()).collect::<Vec<_>>());
        }
        if let Some(ids) = &self.group_ids {
            params["groupids"] = json!(ids);
        }
        params
    }

    /// Reads the open problems and what they need (triggers, addresses, user names).
    async fn fetch_all(&mut self, now: Timestamp) -> Result<Vec<Item>, SourceError> {
        self.resolve_groups().await?;
        if self.group_ids.as_ref().is_some_and(Vec::is_empty) {
            self.degraded = Some(self.missing_groups_note());
            return Ok(Vec::new());
        }
        let raw: Vec<Value> = self.rpc.call("problem.get", self.problem_query()).await?;
        let problems = decode_each::<ApiProblem>(raw);
        let (triggers, unreadable_triggers) = self.triggers_of(&problems.records).await?;
        let context = Context {
            addresses: self.addresses_of(&triggers).await,
            users: self.user_names_of(&problems.records).await,
            triggers,
        };
        let items = problems
            .records
            .iter()
            .filter_map(|p| self.item(p, &context, now))
            .collect();
        let notes: Vec<String> = [
            problems.problem("problems"),
            unreadable_triggers,
            (!self.missing_groups.is_empty()).then(|| self.missing_groups_note()),
        ]
        .into_iter()
        .flatten()
        .collect();
        self.degraded = (!notes.is_empty()).then(|| notes.join("; "));
        Ok(items)
    }

    fn missing_groups_note(&self) -> String {
        format!(
            "host groups not found (or not readable by the user): {}",
            self.missing_groups.join(", ")
        )
    }

    /// The triggers of `problems` with hosts and host groups, in one call; and why some
    /// could not be read, if some could not.
    async fn triggers_of(
        &mut self,
        problems: &[ApiProblem],
    ) -> Result<(HashMap<String, ApiTrigger>, Option<String>), SourceError> {
        let ids: BTreeSet<&str> = problems.iter().map(|p| p.objectid.as_str()).collect();
        if ids.is_empty() {
            return Ok((HashMap::new(), None));
        }
        let groups_param = if self.rpc.version().await?.at_least(6, 2) {
            "selectHostGroups"
        } else {
            "selectGroups"
        };
        let params = json!({
            "triggerids": ids,
            "output": ["triggerid"],
            "selectHosts": ["hostid", "host", "name"],
            groups_param: ["groupid", "name"],
        });
        let raw: Vec<Value> = self.rpc.call("trigger.get", params).await?;
        let decoded = decode_each::<ApiTrigger>(raw);
        let note = decoded.problem("triggers");
        let triggers = decoded
            .records
            .into_iter()
            .map(|t| (t.triggerid.clone(), t))
            .collect();
        Ok((triggers, note))
    }

    /// Host id -> address of its main interface (the agent's first), in one call. Without
    /// it the items just have no address.
    async fn addresses_of(
        &mut self,
        triggers: &HashMap<String, ApiTrigger>,
    ) -> HashMap<String, String> {
        let ids: BTreeSet<&str> = triggers
            .values()
            .flat_map(|t| t.hosts.iter().map(|h| h.hostid.as_str()))
            .collect();
        if ids.is_empty() {
            return HashMap::new();
        }
        let params = json!({
            "hostids": ids,
            "output": ["hostid", "ip", "dns", "useip", "type"],
            "filter": {"main": 1},
        });
        let raw: Vec<Value> = self.optional("hostinterface.get", params).await;
        let mut interfaces = decode_each::<ApiInterface>(raw).records;
        // Agent interfaces (type 1) first, then SNMP, IPMI, JMX.
        interfaces.sort_by_key(|i| i.r#type);
        let mut addresses = HashMap::new();
        for interface in &interfaces {
            if let Some(address) = interface.address() {
                addresses
                    .entry(interface.hostid.clone())
                    .or_insert_with(|| clip(address, MAX_TITLE_CHARS).into());
            }
        }
        addresses
    }

    /// User id -> user name of the users who acknowledged a problem and are not named in
    /// the message. Users the API user may not see stay unnamed.
    async fn user_names_of(&mut self, problems: &[ApiProblem]) -> HashMap<String, String> {
        let ids: BTreeSet<&str> = problems
            .iter()
            .filter_map(last_ack)
            .filter(|u| attribution(&u.message).is_none())
            .map(|u| u.userid.as_str())
            .collect();
        if ids.is_empty() {
            return HashMap::new();
        }
        let params = json!({"userids": ids, "output": ["userid", "username"]});
        let raw: Vec<Value> = self.optional("user.get", params).await;
        decode_each::<ApiUser>(raw)
            .records
            .into_iter()
            .filter(|u| !u.username.is_empty())
            .map(|u| (u.userid, u.username))
            .collect()
    }

    /// A call whose answer only adds detail: a failure is logged (once), not the read's
    /// failure.
    async fn optional(&mut self, method: &str, params: Value) -> Vec<Value> {
        match self.rpc.call(method, params).await {
            Ok(values) => {
                self.failed_details.remove(method);
                values
            }
            Err(e) => {
                if self.failed_details.insert(method.to_string()) {
                    let error = SourceError::from(e);
                    tracing::warn!(source = %self.id, method, %error, "detail not read");
                }
                Vec::new()
            }
        }
    }

    /// The item of one problem; `None` when its trigger is gone (a deleted host's problems
    /// linger until the housekeeper removes them) or not readable.
    fn item(&self, problem: &ApiProblem, context: &Context, now: Timestamp) -> Option<Item> {
        let trigger = context.triggers.get(&problem.objectid)?;
        let severity = Severity::from_code(problem.severity).map_or("unknown", Severity::name);
        let labels = labels(problem, trigger, severity);
        let created = timestamp(problem.clock).unwrap_or(now);
        let mut item = new_item(
            ItemKey::new(&self.id, &problem.eventid),
            self.mapping.tenant(&labels),
            Kind::Alert,
            &problem.name,
            self.mapping.priority(severity),
            status(problem),
            created,
        );
        let host = trigger.hosts.first();
        item.host = host.map(|h| Arc::from(&*clip(h.shown_name(), MAX_TITLE_CHARS)));
        item.address = host
            .and_then(|h| context.addresses.get(&h.hostid))
            .map(|a| Arc::from(a.as_str()));
        item.updated = Moment::new(
            problem
                .acknowledges
                .iter()
                .filter_map(|u| timestamp(u.clock))
                .max()
                .unwrap_or(created)
                .max(created),
        );
        item.assignee =
            assignee(problem, &context.users).map(|a| Arc::from(&*clip(&a, MAX_TITLE_CHARS)));
        item.sla.first_response_at = problem
            .acknowledges
            .iter()
            .filter(|u| u.acknowledges())
            .filter_map(|u| timestamp(u.clock))
            .min()
            .map(Moment::new);
        item.link = self.link(problem);
        item.labels = labels.into();
        Some(item)
    }

    /// The problem's page in the frontend (ids checked to be numbers: they go into a URL).
    fn link(&self, problem: &ApiProblem) -> Option<Box<str>> {
        let numeric = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        (numeric(&problem.objectid) && numeric(&problem.eventid)).then(|| {
            format!(
                "{}/tr_events.php?triggerid={}&eventid={}",
                self.rpc.frontend(),
                problem.objectid,
                problem.eventid
            )
            .into()
        })
    }

    async fn update(
        &mut self,
        item: &ItemKey,
        action: &WriteBack,
        now: Timestamp,
    ) -> Result<(), SourceError> {
        let eventid = &*item.external_id;
        if eventid.is_empty() || !eventid.bytes().all(|b| b.is_ascii_digit()) {
            return Err(SourceError::Refused(format!(
                "`{eventid}` is not a Zabbix event id"
            )));
        }
        let can_suppress = self.rpc.version().await?.at_least(6, 2);
        let params = event_update(eventid, action, can_suppress, now)?;
        self.rpc
            .call::<Value>("event.acknowledge", params)
            .await
            .map_err(RpcError::into_write_error)?;
        tracing::info!(source = %self.id, event = eventid, action = action.name(), "event updated");
        Ok(())
    }
}

impl Source for Zabbix {
    fn id(&self) -> &SourceId {
        &self.id
    }

    fn kind(&self) -> &'static str {
        "zabbix"
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
            let version = self.rpc.version().await?;
            let placement = self.rpc.placement().await?;
            let items = self.fetch_all(now).await?;
            let mut text = format!(
                "Zabbix {version}, {} auth, {} problems",
                placement.name(),
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
            note: true,
            ..Capabilities::default()
        }
    }

    fn write_back<'a>(
        &'a mut self,
        item: &'a ItemKey,
        action: &'a WriteBack,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<(), SourceError>> {
        Box::pin(async move { self.update(item, action, now).await })
    }
}

/// The `event.acknowledge` parameters of a write-back. An ack with minutes also suppresses
/// the problem until then where the server can (`can_suppress`: 6.2 and newer).
fn event_update(
    eventid: &str,
    action: &WriteBack,
    can_suppress: bool,
    now: Timestamp,
) -> Result<Value, SourceError> {
    let mut params = json!({"eventids": [eventid]});
    let (bits, message) = match action {
        WriteBack::Ack {
            comment,
            author,
            minutes,
        } => {
            if let Some(minutes) = minutes.filter(|_| can_suppress) {
                let until = now + SignedDuration::from_mins(i64::from(minutes));
                params["suppress_until"] = json!(until.as_second());
                (ACKNOWLEDGE | SUPPRESS, message(author, comment))
            } else {
                (ACKNOWLEDGE, message(author, comment))
            }
        }
        WriteBack::Unack { .. } => (UNACKNOWLEDGE, None),
        WriteBack::Note { text, author } => {
            if text.trim().is_empty() {
                return Err(SourceError::Refused("a note needs some text".into()));
            }
            (0, message(author, text))
        }
        _ => return Err(SourceError::Unsupported),
    };
    params["action"] = json!(match &message {
        Some(_) => bits | ADD_MESSAGE,
        None => bits,
    });
    if let Some(message) = message {
        params["message"] = json!(message);
    }
    Ok(params)
}

/// `[author] text`, so that the queue can name who acknowledged even when every agent
/// uses the same Zabbix user; `None` when there is nothing to say.
fn message(author: &str, text: &str) -> Option<String> {
    let message = attributed(text, author);
    (!message.is_empty()).then(|| clip(&message, MAX_MESSAGE_CHARS).into())
}

/// The latest update that acknowledged the problem, while it is acknowledged.
fn last_ack(problem: &ApiProblem) -> Option<&ApiUpdate> {
    if !problem.acknowledged {
        return None;
    }
    problem
        .acknowledges
        .iter()
        .filter(|u| u.acknowledges())
        .max_by_key(|u| (u.clock, u.acknowledgeid))
}

/// Who acknowledged: the agent named in the message, else the Zabbix user.
fn assignee(problem: &ApiProblem, users: &HashMap<String, String>) -> Option<String> {
    let ack = last_ack(problem)?;
    attribution(&ack.message)
        .map(str::to_string)
        .or_else(|| users.get(&ack.userid).cloned())
}

fn status(problem: &ApiProblem) -> Status {
    if problem.acknowledged {
        Status::new(StatusCategory::Acknowledged, "acknowledged")
    } else {
        Status::new(StatusCategory::New, "problem")
    }
}

/// Tags (name -> value), then host groups (`hostgroup`), then what Zabbix says about the
/// problem itself. The tenant is looked up in this order.
fn labels(problem: &ApiProblem, trigger: &ApiTrigger, severity: &str) -> Vec<Label> {
    let mut labels: Vec<_> = problem
        .tags
        .iter()
        .filter(|t| !t.tag.trim().is_empty())
        .map(|t| label(&clip(&t.tag, MAX_TAG_CHARS), &t.value))
        .collect();
    labels.extend(trigger.groups.iter().map(|g| label("hostgroup", &g.name)));
    labels.push(label("severity", severity));
    if !problem.opdata.trim().is_empty() {
        labels.push(label("opdata", &problem.opdata));
    }
    if problem.suppressed {
        labels.push(label("suppressed", "yes"));
    }
    let latest_message = problem
        .acknowledges
        .iter()
        .filter(|u| !u.message.trim().is_empty())
        .max_by_key(|u| (u.clock, u.acknowledgeid));
    if let Some(update) = latest_message {
        labels.push(label("message", &update.message));
    }
    labels
}

fn timestamp(unix_seconds: i64) -> Option<Timestamp> {
    Timestamp::from_second(unix_seconds)
        .ok()
        .filter(|t| t.as_second() > 0)
}

fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    number(d).map(|n| n != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(value: Value) -> ApiProblem {
        serde_json::from_value(value).unwrap()
    }

    fn acked_problem() -> ApiProblem {
        problem(json!({
            "eventid": "19", "objectid": "23133", "clock": "1796104966", "name": "Down on web01",
            "severity": "5", "acknowledged": "1", "suppressed": "0", "opdata": "",
            "acknowledges": [
                {"acknowledgeid": "3", "userid": "1", "clock": "1796104990", "message": "[anna] taking it", "action": "6"},
                {"acknowledgeid": "2", "userid": "1", "clock": "1796104980", "message": "", "action": "16"},
                {"acknowledgeid": "1", "userid": "7", "clock": "1796104970", "message": "first", "action": "6"},
                {"acknowledgeid": "4", "userid": "7", "clock": "1796105000", "message": "just a note", "action": "4"}
            ],
            "tags": [{"tag": "customer", "value": "mm"}]
        }))
    }

    #[test]
    fn values_may_be_strings_or_numbers() {
        let p = problem(json!({
            "eventid": 19, "objectid": "23133", "clock": 1796104966, "name": "x",
            "severity": 4, "acknowledged": 0
        }));
        assert_eq!(p.eventid, "19");
        assert_eq!(p.severity, 4);
        assert!(!p.acknowledged);
        let bad = serde_json::from_value::<ApiProblem>(json!({
            "eventid": "1", "objectid": "2", "clock": "yesterday", "name": "x", "severity": "4"
        }));
        assert!(
            bad.unwrap_err()
                .to_string()
                .contains("`yesterday` is not a number")
        );
    }

    #[test]
    fn severities_by_code_and_name() {
        assert_eq!(Severity::from_code(5), Some(Severity::Disaster));
        assert_eq!(Severity::from_code(0).unwrap().name(), "not-classified");
        assert_eq!(Severity::from_code(6), None);
        assert_eq!(Severity::from_code(-1), None);
        assert!(Severity::High > Severity::Warning);
    }

    #[test]
    fn assignee_is_the_agent_of_the_last_ack_else_the_zabbix_user() {
        let p = acked_problem();
        assert_eq!(assignee(&p, &HashMap::new()).as_deref(), Some("anna"));
        let mut other = acked_problem();
        other.acknowledges.retain(|u| u.acknowledgeid == 1);
        let users = HashMap::from([("7".to_string(), "bernd".to_string())]);
        assert_eq!(assignee(&other, &users).as_deref(), Some("bernd"));
        assert_eq!(assignee(&other, &HashMap::new()), None);
        other.acknowledged = false;
        assert_eq!(assignee(&other, &users), None, "not acknowledged any more");
    }

    #[test]
    fn labels_carry_tags_groups_and_the_latest_message() {
        let trigger = ApiTrigger {
            triggerid: "23133".into(),
            hosts: vec![],
            groups: vec![ApiGroup {
                groupid: "20".into(),
                name: "Customers/Mueller".into(),
            }],
        };
        let labels = labels(&acked_problem(), &trigger, "disaster");
        let get = |k: &str| {
            labels
                .iter()
                .filter(|l| l.name() == k)
                .map(Label::value)
                .collect::<Vec<_>>()
        };
        assert_eq!(get("customer"), ["mm"]);
        assert_eq!(get("hostgroup"), ["Customers/Mueller"]);
        assert_eq!(get("severity"), ["disaster"]);
        assert_eq!(get("message"), ["just a note"]);
        assert!(get("suppressed").is_empty());
        assert_eq!(labels[0].name(), "customer", "tags come first");
    }

    #[test]
    fn write_backs_become_event_updates() {
        let now: Timestamp = "2026-11-28T19:00:00Z".parse().unwrap();
        let ack = WriteBack::Ack {
            comment: "on it".into(),
            author: "nacht]schicht".into(),
            minutes: Some(30),
        };
        let p = event_update("19", &ack, false, now).unwrap();
        assert_eq!(
            p,
            json!({"eventids": ["19"], "action": 6, "message": "[nachtschicht] on it"})
        );
        let p = event_update("19", &ack, true, now).unwrap();
        assert_eq!(p["action"], 2 | 4 | 32);
        assert_eq!(p["suppress_until"], now.as_second() + 30 * 60);
        let unack = WriteBack::Unack { author: "x".into() };
        assert_eq!(
            event_update("19", &unack, true, now).unwrap(),
            json!({"eventids": ["19"], "action": 16})
        );
        let note = WriteBack::Note {
            text: "called the customer".into(),
            author: String::new(),
        };
        let p = event_update("19", &note, false, now).unwrap();
        assert_eq!(p["action"], 4);
        assert_eq!(p["message"], "called the customer");
        let empty = WriteBack::Note {
            text: "  ".into(),
            author: "a".into(),
        };
        assert!(matches!(
            event_update("19", &empty, false, now),
            Err(SourceError::Refused(_))
        ));
        assert_eq!(
            event_update("19", &WriteBack::Recheck, false, now),
            Err(SourceError::Unsupported)
        );
    }

    #[test]
    fn messages_fit_zabbix_and_name_their_author() {
        let long = message("anna", &"x".repeat(5000)).unwrap();
        assert_eq!(long.chars().count(), MAX_MESSAGE_CHARS);
        assert_eq!(message("", ""), None);
        let ack_only = message("anna", "").unwrap();
        assert_eq!(ack_only, "[anna]");
    }

    fn settings_of(keys: &str) -> Result<ZabbixSettings, String> {
        let head = "id = \"zbx\"\nkind = \"zabbix\"\n\
             base-url = \"https://zabbix.example/zabbix\"\nauth = { env = \"T\" }";
        match crate::config::source_kind_for_tests(head, keys)? {
            crate::config::SourceKind::Zabbix(s) => Ok(s),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn settings_as_in_the_docs_and_typos_refused() {
        let s = settings_of(
            "auth-style = \"header\"\nmin-severity = \"average\"\ngroups = [\"Customers/Mueller\"]",
        )
        .unwrap();
        assert_eq!(s.auth_style, AuthStyle::Header);
        assert_eq!(s.min_severity, Some(Severity::Average));
        assert_eq!(s.groups, ["Customers/Mueller"]);
        assert_eq!(settings_of("").unwrap(), ZabbixSettings::default());
        let e = settings_of("min-severity = \"critical\"").unwrap_err();
        assert!(e.contains("critical") && e.contains("disaster"), "{e}");
        let e = settings_of("auth-stlye = \"body\"").unwrap_err();
        assert!(e.contains("auth-stlye"), "{e}");
    }

    #[test]
    fn address_prefers_what_the_interface_uses() {
        let mut i = ApiInterface {
            hostid: "1".into(),
            ip: "192.0.2.7".into(),
            dns: "web01.example".into(),
            useip: true,
            r#type: 1,
        };
        assert_eq!(i.address(), Some("192.0.2.7"));
        i.useip = false;
        assert_eq!(i.address(), Some("web01.example"));
        i.dns.clear();
        assert_eq!(
            i.address(),
            Some("192.0.2.7"),
            "the other one when it is empty"
        );
    }
}
