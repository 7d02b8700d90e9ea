//! HaloPSA, REST API: open tickets (`/api/tickets?open_only=true`, paged) become ticket
//! items, the client naming the tenant; Halo's SLA dates are the due times (`respondbydate`,
//! `fixbydate`), its response date meets the first-response clock, a ticket on hold pauses
//! the clocks. Take and assign set `agent_id`, set-status `status_id` (both `POST
//! /api/tickets` with the changed fields), a note is an action hidden from the user. The
//! API application signs in with the OAuth2 client-credentials grant; its token is kept
//! until it is about to expire, and renewed once when the API refuses it.

use std::collections::BTreeMap;

use jiff::Timestamp;
use reqwest::header::{ACCEPT, AUTHORIZATION};
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};

use super::build::BuildContext;
use super::http::{Answer, ClientCredentials, Endpoint, redact, secret_header};
use super::mapping::{Mapping, attributed, decode_each, label};
use super::tickets::{
    Agent, Agents, Choices, Page, ReadAt, StatusRules, Ticket, TicketSystem, TicketWrites,
    agent_named, error_text, next_page_below_total, optional_id, optional_time, owned_or_new,
    read_pages, refusal, required_id, required_time, status_named,
};
use super::{SourceError, Vocabulary};
use crate::config::SourceConfig;
use crate::model::{Item, Moment, Priority, SlaFacts, SourceId, StatusCategory, TenantId};
use std::future::Future;

/// Settings of `kind = "halopsa"`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct HaloPsaSettings {
    /// Where tokens are asked for; default `<base-url>/auth/token`.
    #[serde(default)]
    pub token_url: Option<String>,
    /// The tenant name of a hosted Halo (sent as `?tenant=` with the token request).
    #[serde(default)]
    pub auth_tenant: Option<String>,
    /// The scopes asked for (default `all`: whatever the API application is allowed).
    #[serde(default)]
    pub scope: Option<String>,
    /// Tickets per page.
    #[serde(default)]
    pub page_size: Option<u32>,
    /// The outcome a note is recorded with (default "Private Note").
    #[serde(default)]
    pub note_outcome: Option<String>,
    /// Status names and their category, over the common table.
    #[serde(default)]
    pub statuses: BTreeMap<String, StatusCategory>,
}

/// Halo's priority ids and their priority unless the config says otherwise (Halo's
/// default priorities 1 to 4; `priorities = { "5" = 4 }` adds one).
const DEFAULT_PRIORITIES: &[(&str, Priority)] = &[
    ("1", Priority::P1),
    ("2", Priority::P2),
    ("3", Priority::P3),
    ("4", Priority::P4),
];

/// The label (the ticket's client name) that names the tenant.
const DEFAULT_TENANT_LABEL: &str = "client";

const DEFAULT_PAGE_SIZE: u32 = 100;
const MAX_PAGE_SIZE: u32 = 500;
const DEFAULT_SCOPE: &str = "all";
const DEFAULT_NOTE_OUTCOME: &str = "Private Note";

/// `GET /api/tickets?pageinate=true`: a page of tickets and the total.
#[derive(Deserialize)]
struct TicketPage<'a> {
    #[serde(borrow)]
    tickets: Vec<&'a RawValue>,
    #[serde(default)]
    record_count: Option<u64>,
}

/// The records of a list Halo answers as an array, or as an object holding the array under
/// the entity's name (`{"agents": [...]}`).
fn list_records(answer: &Answer) -> Result<Vec<&RawValue>, SourceError> {
    let starts_as_object = answer
        .body
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'{');
    if !starts_as_object {
        return answer.parse();
    }
    let wrapped: BTreeMap<String, &RawValue> = answer.parse()?;
    wrapped
        .into_values()
        .find_map(|v| serde_json::from_str::<Vec<&RawValue>>(v.get()).ok())
        .ok_or_else(|| {
            SourceError::Protocol(format!("no list in the answer: {}", answer.snippet()))
        })
}

#[derive(Clone, Debug, Deserialize)]
struct ApiTicket {
    #[serde(deserialize_with = "required_id")]
    id: i64,
    #[serde(default)]
    summary: String,
    #[serde(default, deserialize_with = "optional_id")]
    status_id: Option<i64>,
    #[serde(default, deserialize_with = "optional_id")]
    priority_id: Option<i64>,
    #[serde(default, deserialize_with = "optional_id")]
    client_id: Option<i64>,
    #[serde(default)]
    client_name: Option<String>,
    #[serde(default)]
    site_name: Option<String>,
    #[serde(default, deserialize_with = "optional_id")]
    agent_id: Option<i64>,
    #[serde(default)]
    team: Option<String>,
    #[serde(default)]
    sla_name: Option<String>,
    #[serde(default)]
    onhold: bool,
    #[serde(deserialize_with = "required_time")]
    dateoccurred: Timestamp,
    #[serde(default, deserialize_with = "optional_time")]
    lastactiondate: Option<Timestamp>,
    #[serde(default, deserialize_with = "optional_time")]
    respondbydate: Option<Timestamp>,
    #[serde(default, deserialize_with = "optional_time")]
    responsedate: Option<Timestamp>,
    #[serde(default, deserialize_with = "optional_time")]
    fixbydate: Option<Timestamp>,
}

#[derive(Deserialize)]
struct ApiNamed {
    #[serde(deserialize_with = "required_id")]
    id: i64,
    name: String,
}

#[derive(Deserialize)]
struct ApiAgent {
    #[serde(deserialize_with = "required_id")]
    id: i64,
    name: String,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    isdisabled: bool,
}

/// A connected HaloPSA.
pub struct HaloPsa {
    id: SourceId,
    tenant: Option<TenantId>,
    endpoint: Endpoint,
    tokens: ClientCredentials,
    settings: HaloPsaSettings,
    mapping: Mapping,
    rules: StatusRules,
    statuses: Choices,
    agents: Agents,
    vocabulary_read: ReadAt,
    vocabulary_problem: Option<String>,
    degraded: Option<String>,
}

impl HaloPsa {
    pub fn from_config(
        config: &SourceConfig,
        settings: &HaloPsaSettings,
        ctx: &BuildContext,
    ) -> Result<Self, SourceError> {
        let endpoint = ctx.endpoint(config, None)?;
        let tokens = ClientCredentials::new(
            token_url(&endpoint, settings)?,
            Some(
                settings
                    .scope
                    .clone()
                    .unwrap_or_else(|| DEFAULT_SCOPE.into()),
            ),
        );
        Ok(Self {
            id: config.id.clone(),
            tenant: config.tenant.clone(),
            endpoint,
            tokens,
            settings: settings.clone(),
            mapping: ctx.mapping(config, DEFAULT_PRIORITIES, Some(DEFAULT_TENANT_LABEL)),
            rules: StatusRules::new(&settings.statuses),
            statuses: Choices::default(),
            agents: Agents::default(),
            vocabulary_read: ReadAt::default(),
            vocabulary_problem: None,
            degraded: None,
        })
    }

    /// `method /api{path}?query` with the access token and a JSON body, if any; a refused
    /// token is renewed once. The error carries Halo's words and neither secret nor token.
    async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<Answer, SourceError> {
        let mut answer = self.send(method.clone(), path, query, body).await?;
        if answer.status == StatusCode::UNAUTHORIZED {
            self.tokens.forget().await;
            answer = self.send(method, path, query, body).await?;
        }
        match answer.ok_explained(|a| error_text(&a.body)) {
            Ok(answer) => Ok(answer),
            Err(e) => Err(self.clean(e).await),
        }
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<Answer, SourceError> {
        let result = async {
            let token = self.tokens.token(&self.endpoint).await?;
            let mut request = self
                .endpoint
                .request(method, &format!("/api{path}"))
                .query(query)
                .header(ACCEPT, "application/json")
                .header(
                    AUTHORIZATION,
                    secret_header(&format!("Bearer {}", token.expose()))?,
                );
            if let Some(body) = body {
                request = request.json(body);
            }
            self.endpoint.send(request).await
        }
        .await;
        match result {
            Ok(answer) => Ok(answer),
            Err(e) => Err(self.clean(e).await),
        }
    }

    /// `error` without the client secret or the current token.
    async fn clean(&self, error: SourceError) -> SourceError {
        let error = self.endpoint.clean(error).await;
        match self.tokens.current().await {
            Some(token) => redact(error, token.expose()),
            None => error,
        }
    }

    fn page_size(&self) -> u32 {
        self.settings
            .page_size
            .unwrap_or(DEFAULT_PAGE_SIZE)
            .clamp(1, MAX_PAGE_SIZE)
    }

    async fn ticket_page(&self, page: u32) -> Result<Page<ApiTicket, u32>, SourceError> {
        let size = self.page_size();
        let query = [
            ("pageinate", "true".to_string()),
            ("page_size", size.to_string()),
            ("page_no", page.to_string()),
            ("open_only", "true".into()),
            ("order", "id".into()),
        ];
        let answer = self.call(Method::GET, "/tickets", &query, None).await?;
        let list: TicketPage<'_> = answer.parse()?;
        let next = match list.record_count {
            Some(total) => next_page_below_total(page, size as usize, total),
            None => super::tickets::next_page_when_full(page, list.tickets.len(), size as usize),
        };
        Ok(Page {
            records: decode_each(list.tickets),
            next,
        })
    }

    async fn fetch_all(&mut self, now: Timestamp) -> Result<Vec<Item>, SourceError> {
        if self.vocabulary_read.due(now) || self.statuses.is_empty() {
            self.read_vocabulary(now).await?;
        }
        let tickets = read_pages(1, |page| self.ticket_page(page)).await?;
        self.degraded = [tickets.problem("tickets"), self.vocabulary_problem.clone()]
            .into_iter()
            .flatten()
            .reduce(|a, b| format!("{a}; {b}"));
        Ok(tickets.records.iter().map(|t| self.item(t)).collect())
    }

    /// Statuses (needed to name a ticket's status: a failure fails the fetch) and agents
    /// (kept as they were when they cannot be read).
    async fn read_vocabulary(&mut self, now: Timestamp) -> Result<(), SourceError> {
        let answer = self.call(Method::GET, "/status", &[], None).await?;
        let statuses = decode_each::<ApiNamed>(list_records(&answer)?);
        self.statuses = Choices::new(
            statuses
                .records
                .into_iter()
                .map(|s| (s.id, s.name))
                .collect(),
        );
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

    async fn read_agents(&self) -> Result<Agents, SourceError> {
        let answer = self.call(Method::GET, "/agent", &[], None).await?;
        let agents = decode_each::<ApiAgent>(list_records(&answer)?);
        Ok(Agents::new(
            agents
                .records
                .into_iter()
                .filter(|a| !a.isdisabled && !is_unassigned(&a.name))
                .map(|a| Agent {
                    id: a.id,
                    name: a.name,
                    aliases: a.email.into_iter().collect(),
                })
                .collect(),
        ))
    }

    fn item(&self, ticket: &ApiTicket) -> Item {
        let assignee = ticket
            .agent_id
            .filter(|a| *a > 0)
            .and_then(|a| self.agents.by_id(a))
            .map(|a| a.name.clone());
        let word = ticket
            .status_id
            .map(|s| {
                self.statuses
                    .name_of(s)
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("status {s}"))
            })
            .unwrap_or_default();
        let status = self
            .rules
            .status(&word, None, owned_or_new(assignee.as_deref()));
        let sla = SlaFacts {
            first_response_at: ticket.responsedate.map(Moment::new),
            paused_by_source: ticket.onhold,
            supplied_first_response_due: ticket.respondbydate.map(Moment::new),
            supplied_resolution_due: ticket.fixbydate.map(Moment::new),
            ..SlaFacts::default()
        };
        let mut labels = Vec::new();
        if let Some(client) = ticket.client_id.filter(|c| *c > 0) {
            labels.push(label("client-id", &client.to_string()));
        }
        for (name, value) in [
            ("site", &ticket.site_name),
            ("team", &ticket.team),
            ("sla", &ticket.sla_name),
        ] {
            if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
                labels.push(label(name, v));
            }
        }
        if ticket.onhold {
            labels.push(label("on-hold", "yes"));
        }
        Ticket {
            id: ticket.id.to_string(),
            number: None,
            title: ticket.summary.clone(),
            tenant: ticket
                .client_name
                .clone()
                .filter(|c| !c.is_empty())
                .map(|c| (DEFAULT_TENANT_LABEL, c)),
            priority: ticket
                .priority_id
                .map(|p| p.to_string())
                .unwrap_or_default(),
            status,
            created: ticket.dateoccurred,
            updated: ticket.lastactiondate,
            assignee,
            link: Some(self.endpoint.url(&format!("/ticket?id={}", ticket.id))),
            sla,
            labels,
        }
        .into_item(&self.id, &self.mapping)
    }

    /// Reads agents and statuses again when what a write-back names is not known.
    async fn refresh_if(&mut self, missing: bool) -> Result<(), SourceError> {
        if missing {
            self.read_vocabulary(Timestamp::now()).await?;
        }
        Ok(())
    }

    /// `POST /api/tickets` with the ticket's id and the changed fields (Halo's update).
    async fn update(&self, fields: Value) -> Result<(), SourceError> {
        self.call(Method::POST, "/tickets", &[], Some(&json!([fields])))
            .await
            .map_err(refusal)?;
        tracing::info!(source = %self.id, ticket = %fields["id"], "ticket updated");
        Ok(())
    }

    async fn describe(&mut self, now: Timestamp) -> Result<String, SourceError> {
        if self.statuses.is_empty() {
            self.read_vocabulary(now).await?;
        }
        let query = [
            ("pageinate", "true".to_string()),
            ("page_size", "1".into()),
            ("page_no", "1".into()),
            ("open_only", "true".into()),
        ];
        let answer = self.call(Method::GET, "/tickets", &query, None).await?;
        let page: TicketPage<'_> = answer.parse()?;
        Ok(format!(
            "HaloPSA at {}, token from {}, {} open tickets",
            self.endpoint.base(),
            self.tokens.token_url(),
            page.record_count.unwrap_or(page.tickets.len() as u64)
        ))
    }
}

/// The token URL: configured, or `<base-url>/auth/token`; with `?tenant=` for hosted Halo.
fn token_url(endpoint: &Endpoint, settings: &HaloPsaSettings) -> Result<String, SourceError> {
    let base = settings
        .token_url
        .clone()
        .unwrap_or_else(|| endpoint.url("/auth/token"));
    let mut url = reqwest::Url::parse(&base)
        .map_err(|e| SourceError::Protocol(format!("bad token-url ({e})")))?;
    if let Some(tenant) = &settings.auth_tenant {
        url.query_pairs_mut().append_pair("tenant", tenant);
    }
    Ok(url.to_string())
}

/// Halo's placeholder agent for tickets nobody owns.
fn is_unassigned(name: &str) -> bool {
    name.trim().eq_ignore_ascii_case("unassigned")
}

impl TicketWrites for HaloPsa {
    async fn assign(&mut self, ticket: i64, agent: &str) -> Result<(), SourceError> {
        self.refresh_if(self.agents.find(agent).is_none()).await?;
        let id = agent_named(&self.agents, agent)?.id;
        self.update(json!({"id": ticket, "agent_id": id})).await
    }

    async fn set_status(&mut self, ticket: i64, status: &str) -> Result<(), SourceError> {
        self.refresh_if(self.statuses.id_of(status).is_none())
            .await?;
        let id = status_named(&self.statuses, status)?;
        self.update(json!({"id": ticket, "status_id": id})).await
    }

    async fn note(&mut self, ticket: i64, text: &str, author: &str) -> Result<(), SourceError> {
        let action = json!([{
            "ticket_id": ticket,
            "outcome": self.settings.note_outcome.as_deref().unwrap_or(DEFAULT_NOTE_OUTCOME),
            "note": attributed(text, author),
            "hiddenfromuser": true,
            "sendemail": false,
        }]);
        self.call(Method::POST, "/actions", &[], Some(&action))
            .await
            .map_err(refusal)?;
        tracing::info!(source = %self.id, ticket, "note added");
        Ok(())
    }
}

impl TicketSystem for HaloPsa {
    const KIND: &'static str = "halopsa";

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
            statuses: self.statuses.names(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings_of(keys: &str) -> Result<HaloPsaSettings, String> {
        let head = "id = \"halo\"\nkind = \"halopsa\"\n\
             base-url = \"https://msp.halopsa.com\"\n\
             auth = { user = \"client-id\", password = { env = \"HALO_SECRET\" } }";
        match crate::config::source_kind_for_tests(head, keys)? {
            crate::config::SourceKind::HaloPsa(s) => Ok(s),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn settings_as_in_the_docs_and_typos_refused() {
        let s = settings_of(
            "auth-tenant = \"msp\"\nscope = \"read:tickets edit:tickets read:lookup\"\nnote-outcome = \"Nachtnotiz\"",
        )
        .unwrap();
        assert_eq!(s.auth_tenant.as_deref(), Some("msp"));
        assert_eq!(s.note_outcome.as_deref(), Some("Nachtnotiz"));
        assert_eq!(settings_of("").unwrap(), HaloPsaSettings::default());
        assert!(
            settings_of("tenant-name = \"x\"")
                .unwrap_err()
                .contains("tenant-name")
        );
    }

    #[test]
    fn lists_come_plain_or_wrapped() {
        let answer = |body: &str| Answer {
            status: StatusCode::OK,
            headers: reqwest::header::HeaderMap::new(),
            body: body.as_bytes().to_vec(),
        };
        let plain = answer(r#" [{"id": 1, "name": "New"}]"#);
        assert_eq!(list_records(&plain).unwrap().len(), 1);
        let wrapped = answer(r#"{"record_count": 2, "agents": [{"id": 1}, {"id": 2}]}"#);
        assert_eq!(list_records(&wrapped).unwrap().len(), 2);
        let neither = answer(r#"{"message": "no"}"#);
        assert!(matches!(
            list_records(&neither),
            Err(SourceError::Protocol(_))
        ));
    }
}
