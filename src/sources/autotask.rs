//! Autotask (Datto/Kaseya) PSA, REST API v1.0: tickets not complete become ticket items,
//! read with a `search` filter and followed page by page (`pageDetails.nextPageUrl`); the
//! company names the tenant (looked up once per company and kept). Autotask's SLA times are
//! the due times (first response, resolved; the resolution plan as a label), its first
//! response meets the first-response clock, a paused SLA pauses the clocks. Take and assign
//! set the resource with its default service-desk role, set-status the status picklist
//! value, a note is a ticket note published internally only. The API user authenticates
//! with the headers `ApiIntegrationcode`, `UserName` and `Secret`; optionally the write-backs
//! impersonate the technician (`ImpersonationResourceId`).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use jiff::Timestamp;
use reqwest::header::ACCEPT;
use reqwest::{Method, RequestBuilder, Url};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;
use serde_json::{Value, json};
use tokio::sync::Mutex;

use super::build::BuildContext;
use super::http::{Answer, Endpoint, EndpointSpec, Limiter, redact, secret_header};
use super::mapping::{Mapping, attributed, clip, decode_each, label};
use super::tickets::{
    Agent, Agents, Choices, Page, ReadAt, StatusRules, Ticket, TicketSystem, TicketWrites,
    agent_named, error_text, optional_id, optional_time, owned_or_new, read_pages, refusal,
    required_id, required_time, status_named, time_label,
};
use super::{SourceError, Vocabulary};
use crate::config::{Credentials, Secret, SecretString, SourceConfig};
use crate::model::{Item, Label, Moment, Priority, SlaFacts, SourceId, StatusCategory, TenantId};
use std::future::Future;

/// Settings of `kind = "autotask"`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct AutotaskSettings {
    /// The API user's tracking identifier (`ApiIntegrationcode`), by reference like every
    /// secret: `{ env = "VAR" }`, `{ command = [...] }`, `{ file = "..." }`.
    pub integration_code: SecretRef,
    /// Ask Autotask which zone the API user's database is in (`base-url` is then the
    /// generic `https://webservices.autotask.net/atservicesrest`).
    #[serde(default)]
    pub discover_zone: bool,
    /// The web UI of the zone (`https://ww5.autotask.net`), for links to tickets; from the
    /// zone answer when the zone is discovered.
    #[serde(default)]
    pub web_url: Option<String>,
    /// Only tickets in these queues (ids).
    #[serde(default)]
    pub queues: Vec<i64>,
    /// The note publish setting (picklist label) a note gets; default: the one named
    /// "Internal Only" (or, failing that, the only one naming "internal").
    #[serde(default)]
    pub note_publish: Option<String>,
    /// The note type (picklist label) a note gets; default: the picklist's default.
    #[serde(default)]
    pub note_type: Option<String>,
    /// Write notes as the technician: a note whose author is an Autotask resource is sent
    /// with `ImpersonationResourceId` (the API user needs impersonation rights) and is not
    /// prefixed with the name.
    #[serde(default)]
    pub impersonate: bool,
    /// Status labels and their category, over the common table.
    #[serde(default)]
    pub statuses: BTreeMap<String, StatusCategory>,
}

/// A secret reference in the kind's own settings, written like `auth`'s.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretRef(pub Secret);

impl std::fmt::Debug for SecretRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretRef({})", self.0.describe())
    }
}

impl<'de> Deserialize<'de> for SecretRef {
    /// Exactly one of `env`, `command`, `file`; an inline value is refused without being
    /// repeated in the message.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Reference {
            env: Option<String>,
            command: Option<Vec<String>>,
            file: Option<PathBuf>,
        }
        let hint =
            "write it by reference: { env = \"VAR\" }, { command = [...] } or { file = \"...\" }";
        let reference = match Reference::deserialize(d) {
            Ok(reference) => reference,
            // "missing field `integration-code`" names no value: keep it.
            Err(e) if e.to_string().starts_with("missing field") => return Err(e),
            Err(_) => return Err(serde::de::Error::custom(hint)),
        };
        match (reference.env, reference.command, reference.file) {
            (Some(env), None, None) => Ok(SecretRef(Secret::Env(env))),
            (None, Some(command), None) if !command.is_empty() => {
                Ok(SecretRef(Secret::Command(command)))
            }
            (None, None, Some(file)) => Ok(SecretRef(Secret::File(file))),
            _ => Err(serde::de::Error::custom(hint)),
        }
    }
}

/// Autotask's default priorities (labels) and their priority unless the config says otherwise.
const DEFAULT_PRIORITIES: &[(&str, Priority)] = &[
    ("critical", Priority::P1),
    ("high", Priority::P2),
    ("medium", Priority::P3),
    ("low", Priority::P4),
];

/// The label (the ticket's company name) that names the tenant.
const DEFAULT_TENANT_LABEL: &str = "company";

/// Autotask's system status "Complete".
const STATUS_COMPLETE: i64 = 5;

/// The largest number of ids one `in` filter asks for (a page of 500).
const IDS_PER_QUERY: usize = 500;

/// The ticket fields read.
const TICKET_FIELDS: &[&str] = &[
    "id",
    "ticketNumber",
    "title",
    "status",
    "priority",
    "queueID",
    "companyID",
    "assignedResourceID",
    "createDate",
    "lastActivityDate",
    "firstResponseDateTime",
    "firstResponseDueDateTime",
    "resolutionPlanDateTime",
    "resolutionPlanDueDateTime",
    "resolvedDateTime",
    "resolvedDueDateTime",
    "serviceLevelAgreementHasBeenMet",
    "serviceLevelAgreementPausedNextEventHours",
];

/// A query answer: `items` and `pageDetails`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct QueryPage<'a> {
    #[serde(borrow)]
    items: Vec<&'a RawValue>,
    #[serde(default)]
    page_details: Option<PageDetails>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageDetails {
    #[serde(default)]
    next_page_url: Option<String>,
}

/// Where a page of a query is: the first (with the search) or one the server named.
#[derive(Clone, Debug)]
enum Cursor {
    First { path: String, search: Value },
    Next(String),
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ApiTicket {
    #[serde(deserialize_with = "required_id")]
    id: i64,
    #[serde(default)]
    ticket_number: Option<String>,
    #[serde(default)]
    title: String,
    #[serde(default, deserialize_with = "optional_id")]
    status: Option<i64>,
    #[serde(default, deserialize_with = "optional_id")]
    priority: Option<i64>,
    #[serde(default, rename = "queueID", deserialize_with = "optional_id")]
    queue_id: Option<i64>,
    #[serde(default, rename = "companyID", deserialize_with = "optional_id")]
    company_id: Option<i64>,
    #[serde(
        default,
        rename = "assignedResourceID",
        deserialize_with = "optional_id"
    )]
    assigned_resource_id: Option<i64>,
    #[serde(deserialize_with = "required_time")]
    create_date: Timestamp,
    #[serde(default, deserialize_with = "optional_time")]
    last_activity_date: Option<Timestamp>,
    #[serde(default, deserialize_with = "optional_time")]
    first_response_date_time: Option<Timestamp>,
    #[serde(default, deserialize_with = "optional_time")]
    first_response_due_date_time: Option<Timestamp>,
    #[serde(default, deserialize_with = "optional_time")]
    resolution_plan_date_time: Option<Timestamp>,
    #[serde(default, deserialize_with = "optional_time")]
    resolution_plan_due_date_time: Option<Timestamp>,
    #[serde(default, deserialize_with = "optional_time")]
    resolved_date_time: Option<Timestamp>,
    #[serde(default, deserialize_with = "optional_time")]
    resolved_due_date_time: Option<Timestamp>,
    #[serde(default)]
    service_level_agreement_has_been_met: Option<bool>,
    #[serde(default)]
    service_level_agreement_paused_next_event_hours: Option<f64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ApiResource {
    #[serde(deserialize_with = "required_id")]
    id: i64,
    user_name: String,
    #[serde(default)]
    first_name: Option<String>,
    #[serde(default)]
    last_name: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(
        default,
        rename = "defaultServiceDeskRoleID",
        deserialize_with = "optional_id"
    )]
    default_service_desk_role_id: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ApiCompany {
    #[serde(deserialize_with = "required_id")]
    id: i64,
    company_name: String,
}

/// `GET /V1.0/<Entity>/entityInformation/fields`.
#[derive(Deserialize)]
struct EntityFields {
    fields: Vec<EntityField>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EntityField {
    name: String,
    #[serde(default)]
    picklist_values: Option<Vec<PicklistValue>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PicklistValue {
    #[serde(deserialize_with = "required_id")]
    value: i64,
    label: String,
    #[serde(default)]
    is_default_value: bool,
    #[serde(default = "yes")]
    is_active: bool,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
struct ZoneInformation {
    url: String,
    #[serde(default, rename = "webUrl")]
    web_url: Option<String>,
}

/// The picklists of the ticket entity nightdesk reads.
#[derive(Clone, Debug, Default)]
struct Picklists {
    statuses: Choices,
    priorities: Choices,
    queues: Choices,
}

/// What a ticket note is written with.
#[derive(Clone, Copy, Debug)]
struct NoteKind {
    note_type: i64,
    publish: i64,
}

/// A connected Autotask database.
pub struct Autotask {
    id: SourceId,
    tenant: Option<TenantId>,
    /// The configured endpoint (the zone's, or the generic one to discover it at).
    endpoint: Endpoint,
    spec: EndpointSpec,
    limiter: Limiter,
    /// The zone's endpoint, once discovered.
    zone: Option<Endpoint>,
    settings: AutotaskSettings,
    integration_code: Mutex<Option<SecretString>>,
    mapping: Mapping,
    rules: StatusRules,
    picklists: Picklists,
    agents: Agents,
    roles: HashMap<i64, i64>,
    companies: HashMap<i64, String>,
    /// Companies asked for and not found (asked again after the vocabulary is read again).
    missing_companies: BTreeSet<i64>,
    note_kind: Option<NoteKind>,
    web_url: Option<String>,
    vocabulary_read: ReadAt,
    vocabulary_problem: Option<String>,
    degraded: Option<String>,
}

impl Autotask {
    pub fn from_config(
        config: &SourceConfig,
        settings: &AutotaskSettings,
        ctx: &BuildContext,
    ) -> Result<Self, SourceError> {
        let spec = ctx.endpoint_spec(config, None)?;
        Ok(Self {
            id: config.id.clone(),
            tenant: config.tenant.clone(),
            endpoint: ctx.endpoint_from(&spec)?,
            spec,
            limiter: ctx.limiter.clone(),
            zone: None,
            settings: settings.clone(),
            integration_code: Mutex::new(None),
            mapping: ctx.mapping(config, DEFAULT_PRIORITIES, Some(DEFAULT_TENANT_LABEL)),
            rules: StatusRules::new(&settings.statuses),
            picklists: Picklists::default(),
            agents: Agents::default(),
            roles: HashMap::new(),
            companies: HashMap::new(),
            missing_companies: BTreeSet::new(),
            note_kind: None,
            web_url: settings
                .web_url
                .as_ref()
                .map(|u| u.trim_end_matches('/').to_string()),
            vocabulary_read: ReadAt::default(),
            vocabulary_problem: None,
            degraded: None,
        })
    }

    /// The endpoint API calls go to: the discovered zone's, else the configured one.
    fn api(&self) -> &Endpoint {
        self.zone.as_ref().unwrap_or(&self.endpoint)
    }

    /// The integration code, fetched from its reference the first time.
    async fn integration_code(&self) -> Result<SecretString, SourceError> {
        let mut cached = self.integration_code.lock().await;
        if let Some(code) = cached.as_ref() {
            return Ok(code.clone());
        }
        let secret = self.settings.integration_code.0.clone();
        let code = tokio::task::spawn_blocking(move || secret.resolve())
            .await
            .map_err(|e| SourceError::Auth(format!("integration code lookup failed: {e}")))?
            .map_err(|e| SourceError::Auth(format!("cannot fetch the integration code: {e}")))?;
        *cached = Some(code.clone());
        Ok(code)
    }

    /// The API user's name and secret.
    async fn login(&self) -> Result<(String, SecretString), SourceError> {
        match self.endpoint.credentials().await? {
            Some(Credentials::Login { user, password }) => Ok((user, password)),
            _ => Err(SourceError::Auth(
                "Autotask needs its API user: auth = { user = \"api@example.com\", password = { ... } } (the password is the API user's secret)"
                    .into(),
            )),
        }
    }

    /// The three authentication headers, and the technician to act as, if any.
    async fn authorized(
        &self,
        request: RequestBuilder,
        impersonate: Option<i64>,
    ) -> Result<RequestBuilder, SourceError> {
        let (user, secret) = self.login().await?;
        let code = self.integration_code().await?;
        let mut request = request
            .header("ApiIntegrationcode", secret_header(code.expose())?)
            .header("UserName", user)
            .header("Secret", secret_header(secret.expose())?)
            .header(ACCEPT, "application/json");
        if let Some(resource) = impersonate {
            request = request.header("ImpersonationResourceId", resource.to_string());
        }
        Ok(request)
    }

    /// Sends with the headers; the successful answer, or the error in Autotask's words
    /// (`errors`), cleaned of the secret and the integration code.
    async fn send(
        &self,
        request: RequestBuilder,
        impersonate: Option<i64>,
    ) -> Result<Answer, SourceError> {
        let result = async {
            let request = self.authorized(request, impersonate).await?;
            self.api()
                .send(request)
                .await?
                .ok_explained(|a| error_text(&a.body))
        }
        .await;
        match result {
            Ok(answer) => Ok(answer),
            Err(e) => {
                let e = self.endpoint.clean(e).await;
                Err(match self.integration_code.lock().await.as_ref() {
                    Some(code) => redact(e, code.expose()),
                    None => e,
                })
            }
        }
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<Answer, SourceError> {
        let mut request = self.api().request(method, path).query(query);
        if let Some(body) = body {
            request = request.json(body);
        }
        self.send(request, None).await
    }

    /// Asks the generic endpoint for the API user's zone, once.
    async fn discover_zone(&mut self) -> Result<(), SourceError> {
        if !self.settings.discover_zone || self.zone.is_some() {
            return Ok(());
        }
        let (user, _) = self.login().await?;
        let request = self
            .endpoint
            .request(Method::GET, "/v1.0/zoneInformation")
            .query(&[("user", user)])
            .header(ACCEPT, "application/json");
        let zone: ZoneInformation = self
            .endpoint
            .send(request)
            .await?
            .ok_explained(|a| error_text(&a.body))?
            .json()?;
        let url = self.zone_url(&zone.url)?;
        let mut spec = self.spec.clone();
        spec.base_url = url;
        self.zone = Some(Endpoint::new(&spec, self.limiter.clone())?);
        if self.web_url.is_none() {
            self.web_url = zone.web_url.map(|u| u.trim_end_matches('/').to_string());
        }
        Ok(())
    }

    /// The zone URL the answer names, if it is one credentials may go to: https (or http
    /// when the configured URL is http, a test server).
    fn zone_url(&self, url: &str) -> Result<String, SourceError> {
        let parsed =
            Url::parse(url).map_err(|e| SourceError::Protocol(format!("bad zone URL ({e})")))?;
        let configured_https = self.endpoint.base().starts_with("https:");
        if parsed.scheme() != "https" && (configured_https || parsed.scheme() != "http") {
            return Err(SourceError::Protocol(format!(
                "the zone answer names {}, which is not https",
                parsed.origin().ascii_serialization()
            )));
        }
        Ok(url.trim_end_matches('/').to_string())
    }

    /// One page of a query: the first with its search, the others as the server named them.
    async fn query_page<T: serde::de::DeserializeOwned>(
        &self,
        at: Cursor,
    ) -> Result<Page<T, Cursor>, SourceError> {
        let answer = match at {
            Cursor::First { path, search } => {
                self.call(Method::GET, &path, &[("search", search.to_string())], None)
                    .await?
            }
            Cursor::Next(url) => {
                let request = self.api().request_to(Method::GET, &url)?;
                self.send(request, None).await?
            }
        };
        let page: QueryPage<'_> = answer.parse()?;
        let next = page
            .page_details
            .and_then(|p| p.next_page_url)
            .filter(|u| !u.is_empty())
            .map(Cursor::Next);
        Ok(Page {
            records: decode_each(page.items),
            next,
        })
    }

    async fn query<T: serde::de::DeserializeOwned>(
        &self,
        entity: &str,
        search: Value,
    ) -> Result<super::tickets::Paged<T>, SourceError> {
        let first = Cursor::First {
            path: format!("/V1.0/{entity}/query"),
            search,
        };
        read_pages(first, |at| self.query_page(at)).await
    }

    fn ticket_search(&self) -> Value {
        let mut filter = vec![json!({"op": "noteq", "field": "status", "value": STATUS_COMPLETE})];
        if !self.settings.queues.is_empty() {
            filter.push(json!({"op": "in", "field": "queueID", "value": self.settings.queues}));
        }
        json!({ "filter": filter, "IncludeFields": TICKET_FIELDS })
    }

    async fn fetch_all(&mut self, now: Timestamp) -> Result<Vec<Item>, SourceError> {
        self.discover_zone().await?;
        if self.vocabulary_read.due(now) || self.picklists.statuses.is_empty() {
            self.read_vocabulary(now).await?;
        }
        let tickets = self
            .query::<ApiTicket>("Tickets", self.ticket_search())
            .await?;
        let companies = self.learn_companies(&tickets.records).await;
        self.degraded = [
            tickets.problem("tickets"),
            companies
                .err()
                .map(|e| format!("company names could not be read ({e})")),
            self.vocabulary_problem.clone(),
        ]
        .into_iter()
        .flatten()
        .reduce(|a, b| format!("{a}; {b}"));
        Ok(tickets.records.iter().map(|t| self.item(t)).collect())
    }

    /// The ticket picklists (needed: a failure fails the fetch) and the resources (kept as
    /// they were when they cannot be read).
    async fn read_vocabulary(&mut self, now: Timestamp) -> Result<(), SourceError> {
        let fields = self.entity_fields("Tickets").await?;
        self.picklists = Picklists {
            statuses: picklist(&fields, "status"),
            priorities: picklist(&fields, "priority"),
            queues: picklist(&fields, "queueID"),
        };
        self.vocabulary_read.mark(now);
        self.missing_companies.clear();
        self.vocabulary_problem = match self.read_resources().await {
            Ok(()) => None,
            Err(e) => Some(format!("resources could not be read ({e})")),
        };
        Ok(())
    }

    async fn entity_fields(&self, entity: &str) -> Result<EntityFields, SourceError> {
        let path = format!("/V1.0/{entity}/entityInformation/fields");
        self.call(Method::GET, &path, &[], None).await?.json()
    }

    async fn read_resources(&mut self) -> Result<(), SourceError> {
        let search = json!({
            "filter": [{"op": "eq", "field": "isActive", "value": true}],
            "IncludeFields": ["id", "userName", "firstName", "lastName", "email", "defaultServiceDeskRoleID"],
        });
        let resources = self.query::<ApiResource>("Resources", search).await?;
        self.roles = resources
            .records
            .iter()
            .filter_map(|r| r.default_service_desk_role_id.map(|role| (r.id, role)))
            .collect();
        self.agents = Agents::new(
            resources
                .records
                .into_iter()
                .map(|r| Agent {
                    id: r.id,
                    aliases: [
                        Some(full_name(r.first_name.as_deref(), r.last_name.as_deref())),
                        r.email,
                    ]
                    .into_iter()
                    .flatten()
                    .collect(),
                    name: r.user_name,
                })
                .collect(),
        );
        Ok(())
    }

    /// Looks up the names of companies not known yet (one query per 500).
    async fn learn_companies(&mut self, tickets: &[ApiTicket]) -> Result<(), SourceError> {
        let unknown: BTreeSet<i64> = tickets
            .iter()
            .filter_map(|t| t.company_id)
            .filter(|c| !self.companies.contains_key(c) && !self.missing_companies.contains(c))
            .collect();
        let unknown: Vec<i64> = unknown.into_iter().collect();
        for ids in unknown.chunks(IDS_PER_QUERY) {
            let search = json!({
                "filter": [{"op": "in", "field": "id", "value": ids}],
                "IncludeFields": ["id", "companyName"],
            });
            let found = self.query::<ApiCompany>("Companies", search).await?;
            self.missing_companies.extend(ids.iter().copied());
            for company in found.records {
                self.missing_companies.remove(&company.id);
                self.companies.insert(company.id, company.company_name);
            }
        }
        Ok(())
    }

    fn item(&self, ticket: &ApiTicket) -> Item {
        let assignee = ticket.assigned_resource_id.map(|r| {
            self.agents
                .by_id(r)
                .map(|a| a.name.clone())
                .unwrap_or_else(|| format!("resource {r}"))
        });
        let word = |choices: &Choices, id: Option<i64>| {
            id.map(|i| {
                choices
                    .name_of(i)
                    .map(str::to_string)
                    .unwrap_or_else(|| i.to_string())
            })
        };
        let status_word = word(&self.picklists.statuses, ticket.status).unwrap_or_default();
        let status = self
            .rules
            .status(&status_word, None, owned_or_new(assignee.as_deref()));
        let sla = SlaFacts {
            first_response_at: ticket.first_response_date_time.map(Moment::new),
            resolved_at: ticket.resolved_date_time.map(Moment::new),
            paused_by_source: ticket
                .service_level_agreement_paused_next_event_hours
                .is_some_and(|h| h > 0.0),
            supplied_first_response_due: ticket.first_response_due_date_time.map(Moment::new),
            supplied_resolution_due: ticket.resolved_due_date_time.map(Moment::new),
            ..SlaFacts::default()
        };
        Ticket {
            id: ticket.id.to_string(),
            number: ticket.ticket_number.clone(),
            title: ticket.title.clone(),
            tenant: ticket
                .company_id
                .and_then(|c| self.companies.get(&c))
                .map(|name| (DEFAULT_TENANT_LABEL, name.clone())),
            priority: word(&self.picklists.priorities, ticket.priority).unwrap_or_default(),
            status,
            created: ticket.create_date,
            updated: ticket.last_activity_date,
            assignee,
            link: self.link(ticket.id),
            sla,
            labels: ticket_labels(ticket, &self.picklists.queues),
        }
        .into_item(&self.id, &self.mapping)
    }

    /// The ticket in the web UI (the documented "Execute Command" URL).
    fn link(&self, ticket: i64) -> Option<String> {
        self.web_url.as_ref().map(|web| {
            format!(
                "{web}/Autotask/AutotaskExtend/ExecuteCommand.aspx?Code=OpenTicketDetail&TicketID={ticket}"
            )
        })
    }

    /// Reads the vocabulary again when what a write-back names is not known.
    async fn refresh_if(&mut self, missing: bool) -> Result<(), SourceError> {
        if missing {
            self.discover_zone().await?;
            self.read_vocabulary(Timestamp::now()).await?;
        }
        Ok(())
    }

    /// `PATCH /V1.0/Tickets` with the ticket's id and the changed fields.
    async fn patch(&self, fields: Value) -> Result<(), SourceError> {
        let request = self
            .api()
            .request(Method::PATCH, "/V1.0/Tickets")
            .json(&fields);
        self.send(request, None).await.map_err(refusal)?;
        tracing::info!(source = %self.id, ticket = %fields["id"], "ticket updated");
        Ok(())
    }

    /// The resource to act as, when impersonation is on and `name` is one.
    fn acting_as(&self, name: &str) -> Option<i64> {
        self.settings
            .impersonate
            .then(|| self.agents.find(name).map(|a| a.id))
            .flatten()
    }

    /// The note type and the internal publish setting, read from the note picklists once.
    async fn note_kind(&mut self) -> Result<NoteKind, SourceError> {
        if let Some(kind) = self.note_kind {
            return Ok(kind);
        }
        let fields = self.entity_fields("TicketNotes").await?;
        let kind = NoteKind {
            note_type: choose(
                &fields,
                "noteType",
                self.settings.note_type.as_deref(),
                ChoiceRule::Default,
            )?,
            publish: choose(
                &fields,
                "publish",
                self.settings.note_publish.as_deref(),
                ChoiceRule::InternalOnly,
            )?,
        };
        self.note_kind = Some(kind);
        Ok(kind)
    }

    async fn describe(&mut self, now: Timestamp) -> Result<String, SourceError> {
        self.discover_zone().await?;
        if self.picklists.statuses.is_empty() {
            self.read_vocabulary(now).await?;
        }
        let search = self.ticket_search();
        let count: Value = self
            .call(
                Method::GET,
                "/V1.0/Tickets/query/count",
                &[("search", search.to_string())],
                None,
            )
            .await?
            .json()?;
        let versions: Value = self
            .call(Method::GET, "/versionInformation", &[], None)
            .await?
            .json()?;
        let version = versions["apiVersions"]
            .as_array()
            .and_then(|v| v.last())
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string();
        Ok(format!(
            "Autotask REST API {version} at {}, {} open tickets",
            self.api().base(),
            count["queryCount"].as_u64().unwrap_or(0)
        ))
    }
}

/// Labels of a ticket besides the common ones: its queue, the resolution plan's times and
/// whether Autotask counts its SLA as met.
fn ticket_labels(ticket: &ApiTicket, queues: &Choices) -> Vec<Label> {
    let mut labels = Vec::new();
    if let Some(q) = ticket.queue_id {
        labels.push(label("queue", queues.name_of(q).unwrap_or(&q.to_string())));
    }
    labels.extend(
        ticket
            .resolution_plan_due_date_time
            .map(|t| time_label("resolution-plan-due", t)),
    );
    labels.extend(
        ticket
            .resolution_plan_date_time
            .map(|t| time_label("resolution-plan-at", t)),
    );
    if let Some(met) = ticket.service_level_agreement_has_been_met {
        labels.push(label("sla-met", if met { "yes" } else { "no" }));
    }
    labels
}

/// The active entries of a picklist field.
fn picklist(fields: &EntityFields, name: &str) -> Choices {
    Choices::new(
        fields
            .fields
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
            .and_then(|f| f.picklist_values.as_ref())
            .map(|values| {
                values
                    .iter()
                    .filter(|v| v.is_active)
                    .map(|v| (v.value, v.label.clone()))
                    .collect()
            })
            .unwrap_or_default(),
    )
}

/// How a picklist entry is chosen when the config names none.
#[derive(Clone, Copy)]
enum ChoiceRule {
    /// The picklist's default entry.
    Default,
    /// "Internal Only", else the only entry naming "internal": never one customers see.
    InternalOnly,
}

fn choose(
    fields: &EntityFields,
    name: &str,
    configured: Option<&str>,
    rule: ChoiceRule,
) -> Result<i64, SourceError> {
    let values: Vec<&PicklistValue> = fields
        .fields
        .iter()
        .find(|f| f.name.eq_ignore_ascii_case(name))
        .and_then(|f| f.picklist_values.as_ref())
        .map(|v| v.iter().filter(|v| v.is_active).collect())
        .unwrap_or_default();
    let found = match (configured, rule) {
        (Some(label), _) => values
            .iter()
            .find(|v| v.label.trim().eq_ignore_ascii_case(label.trim())),
        (None, ChoiceRule::Default) => values
            .iter()
            .find(|v| v.is_default_value)
            .or(values.first()),
        (None, ChoiceRule::InternalOnly) => {
            let internal: Vec<&&PicklistValue> = values
                .iter()
                .filter(|v| v.label.to_lowercase().contains("internal"))
                .collect();
            values
                .iter()
                .find(|v| v.label.eq_ignore_ascii_case("internal only"))
                .or(if internal.len() == 1 {
                    Some(internal[0])
                } else {
                    None
                })
        }
    };
    found.map(|v| v.value).ok_or_else(|| {
        let labels: Vec<&str> = values.iter().map(|v| v.label.as_str()).collect();
        SourceError::Refused(format!(
            "no ticket note {name} to use{} (known: {}); name one in the settings",
            configured
                .map(|c| format!(" called `{c}`"))
                .unwrap_or_default(),
            labels.join(", ")
        ))
    })
}

/// A note's title: its first line, short.
fn note_title(text: &str) -> String {
    let first = text.trim().lines().next().unwrap_or("").trim();
    let title = if first.is_empty() { "Note" } else { first };
    clip(title, 100).to_string()
}

fn full_name(first: Option<&str>, last: Option<&str>) -> String {
    [first, last]
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

impl TicketWrites for Autotask {
    async fn assign(&mut self, ticket: i64, agent: &str) -> Result<(), SourceError> {
        self.refresh_if(self.agents.find(agent).is_none()).await?;
        let resource = agent_named(&self.agents, agent)?;
        let role = self.roles.get(&resource.id).copied().ok_or_else(|| {
            SourceError::Refused(format!(
                "{} has no default service desk role in Autotask, which assigning needs",
                resource.name
            ))
        })?;
        let fields = json!({"id": ticket, "assignedResourceID": resource.id, "assignedResourceRoleID": role});
        // Not impersonated: an assignment names whom, not who does it.
        self.patch(fields).await
    }

    async fn set_status(&mut self, ticket: i64, status: &str) -> Result<(), SourceError> {
        self.refresh_if(self.picklists.statuses.id_of(status).is_none())
            .await?;
        let value = status_named(&self.picklists.statuses, status)?;
        self.patch(json!({"id": ticket, "status": value})).await
    }

    async fn note(&mut self, ticket: i64, text: &str, author: &str) -> Result<(), SourceError> {
        self.discover_zone().await?;
        let kind = self.note_kind().await?;
        let acting = self.acting_as(author);
        let description = match acting {
            Some(_) => text.trim().to_string(),
            None => attributed(text, author),
        };
        let body = json!({
            "ticketID": ticket,
            "title": note_title(text),
            "description": description,
            "noteType": kind.note_type,
            "publish": kind.publish,
        });
        let request = self
            .api()
            .request(Method::POST, &format!("/V1.0/Tickets/{ticket}/Notes"))
            .json(&body);
        self.send(request, acting).await.map_err(refusal)?;
        tracing::info!(source = %self.id, ticket, "note added");
        Ok(())
    }
}

impl TicketSystem for Autotask {
    const KIND: &'static str = "autotask";

    fn source_id(&self) -> &SourceId {
        &self.id
    }

    fn fixed_tenant(&self) -> Option<TenantId> {
        self.tenant.clone()
    }

    fn read_tickets(
        &mut self,
        now: Timestamp,
    ) -> impl Future<Output = Result<Vec<Item>, SourceError>> + Send {
        self.fetch_all(now)
    }

    fn partial_read(&self) -> Option<String> {
        self.degraded.clone()
    }

    fn check_line(
        &mut self,
        now: Timestamp,
    ) -> impl Future<Output = Result<String, SourceError>> + Send {
        self.describe(now)
    }

    fn known_words(&self) -> Vocabulary {
        Vocabulary {
            agents: self.agents.names(),
            statuses: self.picklists.statuses.names(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings_of(keys: &str) -> Result<AutotaskSettings, String> {
        let head = "id = \"at\"\nkind = \"autotask\"\n\
             base-url = \"https://webservices5.autotask.net/atservicesrest\"\n\
             auth = { user = \"api@msp.example\", password = { env = \"AT_SECRET\" } }";
        match crate::config::source_kind_for_tests(head, keys)? {
            crate::config::SourceKind::Autotask(s) => Ok(s),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn settings_as_in_the_docs_and_inline_codes_refused_without_echo() {
        let s = settings_of(
            "integration-code = { env = \"AT_CODE\" }\nweb-url = \"https://ww5.autotask.net\"\n\
             queues = [29683481]\nimpersonate = true\nnote-publish = \"Internal Only\"",
        )
        .unwrap();
        assert_eq!(s.integration_code, SecretRef(Secret::Env("AT_CODE".into())));
        assert_eq!(s.queues, [29683481]);
        assert!(s.impersonate && !s.discover_zone);
        let e = settings_of("integration-code = \"INLINE-CODE-4711\"").unwrap_err();
        assert!(e.contains("by reference"), "{e}");
        assert!(!e.contains("INLINE-CODE-4711"), "{e}");
        let e = settings_of("").unwrap_err();
        assert!(e.contains("integration-code"), "{e}");
    }

    fn note_fields() -> EntityFields {
        serde_json::from_value(json!({"fields": [
            {"name": "noteType", "picklistValues": [
                {"value": "1", "label": "Task Summary", "isDefaultValue": false, "isActive": true},
                {"value": "3", "label": "Task Detail", "isDefaultValue": true, "isActive": true}]},
            {"name": "publish", "picklistValues": [
                {"value": "1", "label": "All Autotask Users", "isActive": true},
                {"value": "2", "label": "Internal Only", "isActive": true},
                {"value": "4", "label": "Internal & Co-managed", "isActive": true}]}
        ]}))
        .unwrap()
    }

    #[test]
    fn notes_are_published_internally_only_unless_the_config_says_otherwise() {
        let fields = note_fields();
        assert_eq!(
            choose(&fields, "publish", None, ChoiceRule::InternalOnly),
            Ok(2)
        );
        assert_eq!(
            choose(
                &fields,
                "publish",
                Some("internal & co-managed"),
                ChoiceRule::InternalOnly
            ),
            Ok(4)
        );
        assert_eq!(
            choose(&fields, "noteType", None, ChoiceRule::Default),
            Ok(3)
        );
        let e = choose(
            &fields,
            "publish",
            Some("Everyone"),
            ChoiceRule::InternalOnly,
        )
        .unwrap_err();
        assert!(
            matches!(&e, SourceError::Refused(m) if m.contains("Everyone") && m.contains("Internal Only")),
            "{e}"
        );
        let ambiguous: EntityFields =
            serde_json::from_value(json!({"fields": [{"name": "publish", "picklistValues": [
            {"value": 1, "label": "Internal A"}, {"value": 2, "label": "Internal B"}]}]}))
            .unwrap();
        assert!(
            choose(&ambiguous, "publish", None, ChoiceRule::InternalOnly).is_err(),
            "never a guess"
        );
        assert_eq!(note_title("  \nfirst line\nsecond"), "first line");
        assert_eq!(note_title(""), "Note");
    }
}
