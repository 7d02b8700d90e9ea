//! Zammad, REST API v1: tickets in an open state (found with the ticket search, expanded
//! to names, paged) become ticket items, the organization naming the tenant; Zammad's own
//! escalation times are the due times (`first_response_escalation_at`,
//! `close_escalation_at`), its first response meets the first-response clock, and a state
//! that ignores escalation (pending) pauses the clocks. Take, assign, set-status and the
//! internal note are one `PUT /api/v1/tickets/{id}` each. Credentials: an access token
//! (`Authorization: Token token=...`) or a login.

use std::collections::BTreeMap;

use jiff::Timestamp;
use reqwest::header::{ACCEPT, AUTHORIZATION};
use reqwest::{Method, RequestBuilder};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;
use serde_json::{Value, json};

use super::build::BuildContext;
use super::http::{Answer, Endpoint, secret_header};
use super::mapping::{Mapping, attributed, decode_each, label};
use super::tickets::{
    Agent, Agents, Choices, Page, ReadAt, StatusRules, Ticket, TicketSystem, TicketWrites,
    agent_named, error_text, next_page_when_full, optional_time, owned_or_new, read_pages, refusal,
    required_time, status_named, time_label,
};
use super::{SourceError, Vocabulary};
use crate::config::{Credentials, SourceConfig};
use crate::model::{Item, Moment, Priority, SlaFacts, SourceId, StatusCategory, TenantId};
use std::future::Future;

/// Settings of `kind = "zammad"`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ZammadSettings {
    /// The ticket search (Zammad's search syntax) that selects the tickets to read, instead
    /// of "every ticket in an open state", e.g. `state_id:(1 OR 2) AND group.name:"Service Desk"`.
    #[serde(default)]
    pub query: Option<String>,
    /// Tickets per page (Zammad allows up to 200 in a search).
    #[serde(default)]
    pub page_size: Option<u32>,
    /// State names and their category, over the state types Zammad gives them.
    #[serde(default)]
    pub statuses: BTreeMap<String, StatusCategory>,
}

/// Zammad's default priorities and their priority unless the config says otherwise.
const DEFAULT_PRIORITIES: &[(&str, Priority)] = &[
    ("3 high", Priority::P2),
    ("2 normal", Priority::P3),
    ("1 low", Priority::P4),
];

/// The ticket field (the organization's name) that names the tenant.
const DEFAULT_TENANT_LABEL: &str = "organization";

const DEFAULT_PAGE_SIZE: u32 = 100;
const MAX_PAGE_SIZE: u32 = 200;

/// Zammad's state types (the seeded ids): what a state of each type is.
const STATE_TYPE_NEW: i64 = 1;
const STATE_TYPE_OPEN: i64 = 2;
const STATE_TYPE_PENDING_REMINDER: i64 = 3;
const STATE_TYPE_PENDING_ACTION: i64 = 4;

/// The user id Zammad uses for "nobody" (owner of unassigned tickets).
const NOBODY: i64 = 1;

#[derive(Clone, Debug, Deserialize)]
struct ApiState {
    id: i64,
    name: String,
    #[serde(default)]
    state_type_id: i64,
    #[serde(default)]
    ignore_escalation: bool,
    #[serde(default = "yes")]
    active: bool,
}

fn yes() -> bool {
    true
}

impl ApiState {
    fn is_open(&self) -> bool {
        (STATE_TYPE_NEW..=STATE_TYPE_PENDING_ACTION).contains(&self.state_type_id)
    }

    fn is_pending(&self) -> bool {
        matches!(
            self.state_type_id,
            STATE_TYPE_PENDING_REMINDER | STATE_TYPE_PENDING_ACTION
        )
    }

    /// The category the state's type means.
    fn category(&self) -> StatusCategory {
        match self.state_type_id {
            STATE_TYPE_NEW => StatusCategory::New,
            STATE_TYPE_OPEN => StatusCategory::Acknowledged,
            STATE_TYPE_PENDING_REMINDER | STATE_TYPE_PENDING_ACTION => StatusCategory::Waiting,
            _ => StatusCategory::Resolved,
        }
    }
}

/// A ticket of the search, expanded (`?expand=true`: names next to the ids).
#[derive(Clone, Debug, Deserialize)]
struct ApiTicket {
    id: i64,
    #[serde(deserialize_with = "text")]
    number: String,
    title: String,
    state_id: i64,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    priority: Option<String>,
    #[serde(default)]
    priority_id: Option<i64>,
    #[serde(default)]
    organization: Option<String>,
    #[serde(default)]
    owner_id: Option<i64>,
    #[serde(default)]
    owner: Option<String>,
    #[serde(default)]
    group: Option<String>,
    #[serde(deserialize_with = "required_time")]
    created_at: Timestamp,
    #[serde(default, deserialize_with = "optional_time")]
    updated_at: Option<Timestamp>,
    #[serde(default, deserialize_with = "optional_time")]
    first_response_at: Option<Timestamp>,
    #[serde(default, deserialize_with = "optional_time")]
    first_response_escalation_at: Option<Timestamp>,
    #[serde(default, deserialize_with = "optional_time")]
    close_escalation_at: Option<Timestamp>,
    #[serde(default, deserialize_with = "optional_time")]
    update_escalation_at: Option<Timestamp>,
    #[serde(default, deserialize_with = "optional_time")]
    last_contact_agent_at: Option<Timestamp>,
    #[serde(default, deserialize_with = "optional_time")]
    pending_time: Option<Timestamp>,
}

#[derive(Deserialize)]
struct ApiUser {
    id: i64,
    login: String,
    #[serde(default)]
    firstname: Option<String>,
    #[serde(default)]
    lastname: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default = "yes")]
    active: bool,
}

/// A connected Zammad.
pub struct Zammad {
    id: SourceId,
    tenant: Option<TenantId>,
    endpoint: Endpoint,
    settings: ZammadSettings,
    mapping: Mapping,
    rules: StatusRules,
    states: Vec<ApiState>,
    agents: Agents,
    vocabulary_read: ReadAt,
    vocabulary_problem: Option<String>,
    degraded: Option<String>,
}

impl Zammad {
    pub fn from_config(
        config: &SourceConfig,
        settings: &ZammadSettings,
        ctx: &BuildContext,
    ) -> Result<Self, SourceError> {
        Ok(Self {
            id: config.id.clone(),
            tenant: config.tenant.clone(),
            endpoint: ctx.endpoint(config, None)?,
            settings: settings.clone(),
            mapping: ctx.mapping(config, DEFAULT_PRIORITIES, Some(DEFAULT_TENANT_LABEL)),
            rules: StatusRules::new(&settings.statuses),
            states: Vec::new(),
            agents: Agents::default(),
            vocabulary_read: ReadAt::default(),
            vocabulary_problem: None,
            degraded: None,
        })
    }

    /// An access token as `Authorization: Token token=...`, or a login as basic auth.
    async fn authorized(&self, request: RequestBuilder) -> Result<RequestBuilder, SourceError> {
        Ok(match self.endpoint.credentials().await? {
            Some(Credentials::Token(token)) => request.header(
                AUTHORIZATION,
                secret_header(&format!("Token token={}", token.expose()))?,
            ),
            Some(Credentials::Login { user, password }) => {
                request.basic_auth(user, Some(password.expose()))
            }
            None => request,
        })
    }

    /// `method /api/v1{path}?query` with a JSON body, if any: the successful answer, or the
    /// error in Zammad's words (`error_human`, `error`), never carrying the secret.
    async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<Answer, SourceError> {
        let mut request = self
            .endpoint
            .request(method, &format!("/api/v1{path}"))
            .query(query)
            .header(ACCEPT, "application/json");
        if let Some(body) = body {
            request = request.json(body);
        }
        let result = async {
            let request = self.authorized(request).await?;
            self.endpoint
                .send(request)
                .await?
                .ok_explained(|a| error_text(&a.body))
        }
        .await;
        match result {
            Ok(answer) => Ok(answer),
            Err(e) => Err(self.endpoint.clean(e).await),
        }
    }

    fn page_size(&self) -> u32 {
        self.settings
            .page_size
            .unwrap_or(DEFAULT_PAGE_SIZE)
            .clamp(1, MAX_PAGE_SIZE)
    }

    /// The search for the tickets to read: the configured one, else every open state.
    fn search(&self) -> String {
        if let Some(query) = &self.settings.query {
            return query.clone();
        }
        let open: Vec<String> = self
            .states
            .iter()
            .filter(|s| s.is_open())
            .map(|s| s.id.to_string())
            .collect();
        format!("state_id:({})", open.join(" OR "))
    }

    async fn ticket_page(
        &self,
        search: &str,
        page: u32,
    ) -> Result<Page<ApiTicket, u32>, SourceError> {
        let per_page = self.page_size();
        let query = [
            ("query", search.to_string()),
            ("expand", "true".into()),
            ("page", page.to_string()),
            ("per_page", per_page.to_string()),
            ("sort_by", "id".into()),
            ("order_by", "asc".into()),
        ];
        let answer = self
            .call(Method::GET, "/tickets/search", &query, None)
            .await?;
        let raw: Vec<&RawValue> = answer.parse()?;
        let count = raw.len();
        Ok(Page {
            records: decode_each(raw),
            next: next_page_when_full(page, count, per_page as usize),
        })
    }

    async fn fetch_all(&mut self, now: Timestamp) -> Result<Vec<Item>, SourceError> {
        if self.vocabulary_read.due(now) || self.states.is_empty() {
            self.read_vocabulary(now).await?;
        }
        let search = self.search();
        let tickets = read_pages(1, |page| self.ticket_page(&search, page)).await?;
        self.degraded = [tickets.problem("tickets"), self.vocabulary_problem.clone()]
            .into_iter()
            .flatten()
            .reduce(|a, b| format!("{a}; {b}"));
        Ok(tickets.records.iter().map(|t| self.item(t)).collect())
    }

    /// States (without them the open ones cannot be searched: a failure fails the fetch)
    /// and agents (kept as they were when they cannot be read).
    async fn read_vocabulary(&mut self, now: Timestamp) -> Result<(), SourceError> {
        let states: Vec<ApiState> = self
            .call(Method::GET, "/ticket_states", &[], None)
            .await?
            .json()?;
        self.states = states;
        self.vocabulary_read.mark(now);
        self.vocabulary_problem = match self.read_agents().await {
            Ok(agents) => {
                self.agents = agents;
                None
            }
            Err(e) => Some(format!("agents could not be read ({e})")),
        };
        Ok(())
    }

    /// Users with the agent permission (`ticket.agent`), by login.
    async fn read_agents(&self) -> Result<Agents, SourceError> {
        let query = [
            ("query", "*".to_string()),
            ("permissions[]", "ticket.agent".into()),
            ("limit", "500".into()),
        ];
        let answer = self
            .call(Method::GET, "/users/search", &query, None)
            .await?;
        let raw: Vec<&RawValue> = answer.parse()?;
        let users = decode_each::<ApiUser>(raw);
        Ok(Agents::new(
            users
                .records
                .into_iter()
                .filter(|u| u.active && u.id != NOBODY)
                .map(|u| Agent {
                    id: u.id,
                    aliases: [
                        Some(full_name(u.firstname.as_deref(), u.lastname.as_deref())),
                        u.email,
                    ]
                    .into_iter()
                    .flatten()
                    .collect(),
                    name: u.login,
                })
                .collect(),
        ))
    }

    fn state(&self, id: i64) -> Option<&ApiState> {
        self.states.iter().find(|s| s.id == id)
    }

    fn item(&self, ticket: &ApiTicket) -> Item {
        let state = self.state(ticket.state_id);
        let assignee = ticket
            .owner
            .clone()
            .filter(|o| ticket.owner_id != Some(NOBODY) && o != "-" && !o.is_empty());
        let word = ticket
            .state
            .clone()
            .or_else(|| state.map(|s| s.name.clone()))
            .unwrap_or_else(|| format!("state {}", ticket.state_id));
        let status = self.rules.status(
            &word,
            state.map(ApiState::category),
            owned_or_new(assignee.as_deref()),
        );
        let sla = SlaFacts {
            first_response_at: ticket.first_response_at.map(Moment::new),
            last_update_at: ticket.last_contact_agent_at.map(Moment::new),
            paused_by_source: state.is_some_and(|s| s.ignore_escalation || s.is_pending()),
            supplied_first_response_due: ticket.first_response_escalation_at.map(Moment::new),
            supplied_resolution_due: ticket.close_escalation_at.map(Moment::new),
            ..SlaFacts::default()
        };
        let mut labels: Vec<_> = ticket.group.iter().map(|g| label("group", g)).collect();
        labels.extend(
            ticket
                .update_escalation_at
                .map(|t| time_label("update-due", t)),
        );
        labels.extend(ticket.pending_time.map(|t| time_label("pending-until", t)));
        Ticket {
            id: ticket.id.to_string(),
            number: Some(ticket.number.clone()),
            title: ticket.title.clone(),
            tenant: ticket
                .organization
                .clone()
                .map(|o| (DEFAULT_TENANT_LABEL, o)),
            priority: ticket
                .priority
                .clone()
                .or_else(|| ticket.priority_id.map(|p| p.to_string()))
                .unwrap_or_default(),
            status,
            created: ticket.created_at,
            updated: ticket.updated_at,
            assignee,
            link: Some(self.endpoint.url(&format!("/#ticket/zoom/{}", ticket.id))),
            sla,
            labels,
        }
        .into_item(&self.id, &self.mapping)
    }

    fn statuses(&self) -> Choices {
        Choices::new(
            self.states
                .iter()
                .filter(|s| s.active)
                .map(|s| (s.id, s.name.clone()))
                .collect(),
        )
    }

    /// Reads agents and states again when what a write-back names is not known.
    async fn refresh_if(&mut self, missing: bool) -> Result<(), SourceError> {
        if missing {
            self.read_vocabulary(Timestamp::now()).await?;
        }
        Ok(())
    }

    async fn update(&self, ticket: i64, fields: Value) -> Result<(), SourceError> {
        self.call(
            Method::PUT,
            &format!("/tickets/{ticket}"),
            &[],
            Some(&fields),
        )
        .await
        .map_err(refusal)?;
        tracing::info!(source = %self.id, ticket, "ticket updated");
        Ok(())
    }

    async fn describe(&mut self, now: Timestamp) -> Result<String, SourceError> {
        let me: ApiUser = self
            .call(Method::GET, "/users/me", &[], None)
            .await?
            .json()?;
        let items = self.fetch_all(now).await?;
        let mut text = format!(
            "Zammad, signed in as {}, {} open tickets",
            me.login,
            items.len()
        );
        if let Some(d) = &self.degraded {
            text.push_str(&format!("; {d}"));
        }
        Ok(text)
    }
}

fn full_name(first: Option<&str>, last: Option<&str>) -> String {
    [first, last]
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A value Zammad may write as a string or a number (`number`).
fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(serde::de::Error::custom(format!("not text: {other}"))),
    }
}

impl TicketWrites for Zammad {
    async fn assign(&mut self, ticket: i64, agent: &str) -> Result<(), SourceError> {
        self.refresh_if(self.agents.find(agent).is_none()).await?;
        let owner = agent_named(&self.agents, agent)?.id;
        self.update(ticket, json!({ "owner_id": owner })).await
    }

    async fn set_status(&mut self, ticket: i64, status: &str) -> Result<(), SourceError> {
        self.refresh_if(self.statuses().id_of(status).is_none())
            .await?;
        let state = status_named(&self.statuses(), status)?;
        self.update(ticket, json!({ "state_id": state })).await
    }

    async fn note(&mut self, ticket: i64, text: &str, author: &str) -> Result<(), SourceError> {
        let article = json!({
            "body": attributed(text, author),
            "type": "note",
            "internal": true,
            "content_type": "text/plain",
        });
        self.update(ticket, json!({ "article": article })).await
    }
}

impl TicketSystem for Zammad {
    const KIND: &'static str = "zammad";

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
            statuses: self.statuses().names(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings_of(keys: &str) -> Result<ZammadSettings, String> {
        let head = "id = \"zm\"\nkind = \"zammad\"\n\
             base-url = \"https://zammad.example\"\nauth = { env = \"T\" }";
        match crate::config::source_kind_for_tests(head, keys)? {
            crate::config::SourceKind::Zammad(s) => Ok(s),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn settings_as_in_the_docs_and_typos_refused() {
        let s = settings_of(
            "query = \"state_id:(1 OR 2)\"\npage-size = 50\nstatuses = { \"beim kunden\" = \"waiting\" }",
        )
        .unwrap();
        assert_eq!(s.query.as_deref(), Some("state_id:(1 OR 2)"));
        assert_eq!(s.page_size, Some(50));
        assert_eq!(settings_of("").unwrap(), ZammadSettings::default());
        assert!(
            settings_of("pagesize = 3")
                .unwrap_err()
                .contains("pagesize")
        );
    }

    #[test]
    fn state_types_give_category_openness_and_pause() {
        let state = |t| ApiState {
            id: 9,
            name: "x".into(),
            state_type_id: t,
            ignore_escalation: false,
            active: true,
        };
        assert_eq!(state(1).category(), StatusCategory::New);
        assert_eq!(state(2).category(), StatusCategory::Acknowledged);
        assert_eq!(state(3).category(), StatusCategory::Waiting);
        assert!(state(4).is_open() && state(4).is_pending());
        assert!(!state(5).is_open(), "closed");
        assert_eq!(state(6).category(), StatusCategory::Resolved);
    }
}
