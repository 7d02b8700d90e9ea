//! Redmine 5, REST API: open issues (`/issues.json?status_id=open`, paged) become ticket
//! items, the project naming the tenant; take and assign set `assigned_to_id`, set-status
//! sets `status_id` (read back, since Redmine ignores a change its workflow forbids without
//! saying so), a note is a private journal entry. Redmine has no SLA fields: the tenant's
//! contract computes the due times. Credentials: an API key (`X-Redmine-API-Key`) or a login.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use jiff::Timestamp;
use reqwest::header::ACCEPT;
use reqwest::{Method, RequestBuilder};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};

use super::build::BuildContext;
use super::http::{Answer, Endpoint, secret_header};
use super::mapping::{Mapping, attributed, decode_each, label};
use super::tickets::{
    Agent, Agents, Choices, Page, ReadAt, StatusRules, Ticket, TicketSystem, TicketWrites,
    agent_named, error_text, optional_time, owned_or_new, read_pages, refusal, required_time,
    status_named,
};
use super::{SourceError, Vocabulary};
use crate::config::{Credentials, SourceConfig};
use crate::model::{Item, Moment, Priority, SlaFacts, SourceId, Status, StatusCategory, TenantId};
use std::future::Future;

/// Settings of `kind = "redmine"`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RedmineSettings {
    /// Only issues of this project (identifier or id) and its subprojects; all projects the
    /// API user sees when not set.
    #[serde(default)]
    pub project: Option<String>,
    /// Status names and their category, over the common table (`Feedback` is waiting, ...).
    #[serde(default)]
    pub statuses: BTreeMap<String, StatusCategory>,
}

/// Redmine's default priorities and their priority unless the config says otherwise.
const DEFAULT_PRIORITIES: &[(&str, Priority)] = &[
    ("immediate", Priority::P1),
    ("urgent", Priority::P1),
    ("high", Priority::P2),
    ("normal", Priority::P3),
    ("low", Priority::P4),
];

/// The label (the issue's project name) that names the tenant unless the config says otherwise.
const DEFAULT_TENANT_LABEL: &str = "project";

/// Records per page (Redmine's default cap on `limit`).
const PAGE_SIZE: u64 = 100;

/// A page of `/issues.json`, `/users.json`, `/projects/N/memberships.json`.
#[derive(Deserialize)]
struct ListPage<'a> {
    #[serde(borrow, alias = "users", alias = "memberships")]
    issues: Vec<&'a RawValue>,
    #[serde(default)]
    total_count: Option<u64>,
}

#[derive(Clone, Debug, Deserialize)]
struct Named {
    id: i64,
    name: String,
}

#[derive(Clone, Debug, Deserialize)]
struct ApiStatus {
    id: i64,
    name: String,
    #[serde(default)]
    is_closed: bool,
}

#[derive(Clone, Debug, Deserialize)]
struct ApiIssue {
    id: i64,
    project: Named,
    #[serde(default)]
    tracker: Option<Named>,
    status: ApiStatus,
    priority: Named,
    #[serde(default)]
    assigned_to: Option<Named>,
    #[serde(default)]
    author: Option<Named>,
    subject: String,
    #[serde(deserialize_with = "required_time")]
    created_on: Timestamp,
    #[serde(default, deserialize_with = "optional_time")]
    updated_on: Option<Timestamp>,
    #[serde(default, deserialize_with = "optional_time")]
    closed_on: Option<Timestamp>,
}

#[derive(Deserialize)]
struct ApiUser {
    id: i64,
    login: String,
    #[serde(default)]
    firstname: String,
    #[serde(default)]
    lastname: String,
    #[serde(default)]
    mail: String,
}

/// A project membership: a user's (groups have `group` instead, and are skipped).
#[derive(Deserialize)]
struct ApiMembership {
    user: Named,
}

#[derive(Deserialize)]
struct Statuses {
    issue_statuses: Vec<ApiStatus>,
}

#[derive(Deserialize)]
struct CurrentUser {
    user: ApiUser,
}

#[derive(Deserialize)]
struct OneIssue {
    issue: ApiIssue,
}

/// An issue's history (`/issues/N.json?include=journals`).
#[derive(Deserialize)]
struct IssueHistory {
    issue: Journals,
}

#[derive(Deserialize)]
struct Journals {
    #[serde(default)]
    author: Option<Named>,
    #[serde(default)]
    journals: Vec<ApiJournal>,
}

/// One entry of an issue's history: a note, changes of fields, or both.
#[derive(Clone, Debug, Deserialize)]
struct ApiJournal {
    #[serde(default)]
    user: Option<Named>,
    #[serde(default)]
    notes: Option<String>,
    #[serde(default)]
    private_notes: bool,
    #[serde(deserialize_with = "required_time")]
    created_on: Timestamp,
    #[serde(default)]
    details: Vec<ApiDetail>,
}

#[derive(Clone, Debug, Deserialize)]
struct ApiDetail {
    #[serde(default)]
    property: String,
    #[serde(default)]
    name: String,
}

impl ApiJournal {
    fn changes_status(&self) -> bool {
        self.details
            .iter()
            .any(|d| d.property == "attr" && d.name == "status_id")
    }

    fn public_note(&self) -> bool {
        !self.private_notes && self.notes.as_deref().is_some_and(|n| !n.trim().is_empty())
    }
}

/// Histories read per fetch at most, so that a first start with many answered issues does
/// not hold the source for long; the rest follow at the next fetches.
const HISTORIES_PER_FETCH: usize = 50;

/// When an issue was first answered, from its history: the first public note or status
/// change by someone other than its author; failing that (the author moved it on
/// themselves), its first status change.
fn first_response(author: Option<&Named>, journals: &[ApiJournal]) -> Option<Timestamp> {
    let by_staff = |j: &&ApiJournal| {
        let other = match (&j.user, author) {
            (Some(u), Some(a)) => u.id != a.id,
            _ => true,
        };
        other && (j.public_note() || j.changes_status())
    };
    let earliest = |it: &mut dyn Iterator<Item = &ApiJournal>| it.map(|j| j.created_on).min();
    earliest(&mut journals.iter().filter(by_staff))
        .or_else(|| earliest(&mut journals.iter().filter(|j| j.changes_status())))
}

/// A connected Redmine.
pub struct Redmine {
    id: SourceId,
    tenant: Option<TenantId>,
    endpoint: Endpoint,
    settings: RedmineSettings,
    mapping: Mapping,
    rules: StatusRules,
    statuses: Choices,
    agents: Agents,
    vocabulary_read: ReadAt,
    /// The projects of the last fetch (their members are the agents when users cannot be listed).
    projects: BTreeSet<i64>,
    /// When each answered open issue was first answered, learnt from its history once
    /// (the list says only when an issue was last updated).
    first_responses: HashMap<i64, Timestamp>,
    degraded: Option<String>,
    vocabulary_problem: Option<String>,
}

impl Redmine {
    pub fn from_config(
        config: &SourceConfig,
        settings: &RedmineSettings,
        ctx: &BuildContext,
    ) -> Result<Self, SourceError> {
        Ok(Self {
            id: config.id.clone(),
            tenant: config.tenant.clone(),
            endpoint: ctx.endpoint(config, None)?,
            settings: settings.clone(),
            mapping: ctx.mapping(config, DEFAULT_PRIORITIES, Some(DEFAULT_TENANT_LABEL)),
            rules: StatusRules::new(&settings.statuses),
            statuses: Choices::default(),
            agents: Agents::default(),
            vocabulary_read: ReadAt::default(),
            projects: BTreeSet::new(),
            first_responses: HashMap::new(),
            degraded: None,
            vocabulary_problem: None,
        })
    }

    /// The API key as `X-Redmine-API-Key`, or a login as basic auth.
    async fn authorized(&self, request: RequestBuilder) -> Result<RequestBuilder, SourceError> {
        Ok(match self.endpoint.credentials().await? {
            Some(Credentials::Token(key)) => {
                request.header("X-Redmine-API-Key", secret_header(key.expose())?)
            }
            Some(Credentials::Login { user, password }) => {
                request.basic_auth(user, Some(password.expose()))
            }
            None => request,
        })
    }

    /// `method path?query` with a JSON body, if any: the successful answer, or the error with
    /// Redmine's own words (`errors`), never carrying the secret.
    async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<Answer, SourceError> {
        let mut request = self
            .endpoint
            .request(method, path)
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

    /// One page of a list at `offset`, records decoded one by one.
    async fn list_page<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        mut query: Vec<(&str, String)>,
        offset: u64,
    ) -> Result<Page<T, u64>, SourceError> {
        query.push(("offset", offset.to_string()));
        query.push(("limit", PAGE_SIZE.to_string()));
        let answer = self.call(Method::GET, path, &query, None).await?;
        let page: ListPage<'_> = answer.parse()?;
        let count = page.issues.len() as u64;
        let next = offset + count;
        Ok(Page {
            records: decode_each(page.issues),
            next: page.total_count.is_some_and(|t| next < t).then_some(next),
        })
    }

    fn issue_query(&self) -> Vec<(&'static str, String)> {
        let mut query = vec![("status_id", "open".to_string()), ("sort", "id".into())];
        if let Some(project) = &self.settings.project {
            query.push(("project_id", project.clone()));
        }
        query
    }

    /// Who the credentials sign in as. Redmine serves a request with a wrong key or
    /// password as the anonymous user (public projects only) instead of refusing it; only
    /// `/users/current.json` refuses anonymous, so every fetch starts here.
    async fn whoami(&self) -> Result<ApiUser, SourceError> {
        let answer = self
            .call(Method::GET, "/users/current.json", &[], None)
            .await
            .map_err(|e| match e {
                SourceError::Auth(m) => SourceError::Auth(format!(
                    "{m} (Redmine did not accept the credentials: check the API key, and that the REST API is enabled)"
                )),
                other => other,
            })?;
        Ok(answer.json::<CurrentUser>()?.user)
    }

    async fn fetch_all(&mut self, now: Timestamp) -> Result<Vec<Item>, SourceError> {
        self.whoami().await?;
        let query = self.issue_query();
        let issues = read_pages(0, |offset| {
            self.list_page::<ApiIssue>("/issues.json", query.clone(), offset)
        })
        .await?;
        self.degraded = issues.problem("issues");
        self.projects = issues.records.iter().map(|i| i.project.id).collect();
        self.learn_first_responses(&issues.records).await;
        if self.vocabulary_read.due(now) {
            self.read_vocabulary(now).await;
        }
        if let Some(problem) = &self.vocabulary_problem {
            self.degraded = Some(match self.degraded.take() {
                Some(d) => format!("{d}; {problem}"),
                None => problem.clone(),
            });
        }
        Ok(issues.records.iter().map(|i| self.item(i)).collect())
    }

    /// The issue's status in nightdesk's words.
    fn status_of(&self, issue: &ApiIssue) -> Status {
        let assignee = issue.assigned_to.as_ref().map(|a| a.name.as_str());
        let known = issue.status.is_closed.then_some(StatusCategory::Resolved);
        self.rules
            .status(&issue.status.name, known, owned_or_new(assignee))
    }

    fn item(&self, issue: &ApiIssue) -> Item {
        let assignee = issue.assigned_to.as_ref().map(|a| a.name.clone());
        let status = self.status_of(issue);
        let updated = issue.updated_on.unwrap_or(issue.created_on);
        let sla = SlaFacts {
            // An issue someone moved on from its new status was answered: when, its history
            // says; until that is read, at the latest by its last update.
            first_response_at: (status.category != StatusCategory::New).then(|| {
                Moment::new(
                    self.first_responses
                        .get(&issue.id)
                        .copied()
                        .unwrap_or(updated),
                )
            }),
            resolved_at: (status.category == StatusCategory::Resolved)
                .then(|| Moment::new(issue.closed_on.unwrap_or(updated))),
            ..SlaFacts::default()
        };
        let labels = issue
            .tracker
            .iter()
            .map(|t| label("tracker", &t.name))
            .collect();
        Ticket {
            id: issue.id.to_string(),
            number: None,
            title: issue.subject.clone(),
            tenant: Some(("project", issue.project.name.clone())),
            priority: issue.priority.name.clone(),
            status,
            created: issue.created_on,
            updated: issue.updated_on,
            assignee,
            link: Some(self.endpoint.url(&format!("/issues/{}", issue.id))),
            sla,
            labels,
        }
        .into_item(&self.id, &self.mapping)
    }

    /// Reads the history of answered issues whose first response is not known yet (up to
    /// [`HISTORIES_PER_FETCH`]), and forgets the issues no longer open. A history that
    /// cannot be read is tried again at the next fetch.
    async fn learn_first_responses(&mut self, issues: &[ApiIssue]) {
        let open: BTreeSet<i64> = issues.iter().map(|i| i.id).collect();
        self.first_responses.retain(|id, _| open.contains(id));
        let unknown: Vec<&ApiIssue> = issues
            .iter()
            .filter(|i| !self.first_responses.contains_key(&i.id))
            .filter(|i| self.status_of(i).category != StatusCategory::New)
            .take(HISTORIES_PER_FETCH)
            .collect();
        for issue in unknown {
            let path = format!("/issues/{}.json", issue.id);
            let query = [("include", "journals".to_string())];
            let history = match self.call(Method::GET, &path, &query, None).await {
                Ok(answer) => answer.json::<IssueHistory>(),
                Err(e) => Err(e),
            };
            match history {
                Ok(h) => {
                    let author = h.issue.author.as_ref().or(issue.author.as_ref());
                    let at = first_response(author, &h.issue.journals)
                        .unwrap_or(issue.updated_on.unwrap_or(issue.created_on));
                    self.first_responses.insert(issue.id, at);
                }
                Err(e) => {
                    tracing::debug!(source = %self.id, issue = issue.id, error = %e, "history not read")
                }
            }
        }
    }

    /// Statuses and agents, each kept as it was when it cannot be read.
    async fn read_vocabulary(&mut self, now: Timestamp) {
        self.vocabulary_read.mark(now);
        let mut problems = Vec::new();
        match self.read_statuses().await {
            Ok(statuses) => self.statuses = statuses,
            Err(e) => problems.push(format!("statuses could not be read ({e})")),
        }
        match self.read_agents().await {
            Ok(agents) => self.agents = agents,
            Err(e) => problems.push(format!("agents could not be read ({e})")),
        }
        self.vocabulary_problem = (!problems.is_empty()).then(|| problems.join("; "));
    }

    async fn read_statuses(&self) -> Result<Choices, SourceError> {
        let answer = self
            .call(Method::GET, "/issue_statuses.json", &[], None)
            .await?;
        let statuses: Statuses = answer.json()?;
        Ok(Choices::new(
            statuses
                .issue_statuses
                .into_iter()
                .map(|s| (s.id, s.name))
                .collect(),
        ))
    }

    /// Active users with their logins (needs an admin key); otherwise the members of the
    /// projects read, by name.
    async fn read_agents(&self) -> Result<Agents, SourceError> {
        match self.active_users().await {
            Err(SourceError::Auth(_)) => self.project_members().await,
            other => other,
        }
    }

    async fn active_users(&self) -> Result<Agents, SourceError> {
        let query = vec![("status", "1".to_string())];
        let users = read_pages(0, |offset| {
            self.list_page::<ApiUser>("/users.json", query.clone(), offset)
        })
        .await?;
        Ok(Agents::new(
            users
                .records
                .into_iter()
                .map(|u| Agent {
                    id: u.id,
                    aliases: vec![format!("{} {}", u.firstname, u.lastname), u.mail],
                    name: u.login,
                })
                .collect(),
        ))
    }

    async fn project_members(&self) -> Result<Agents, SourceError> {
        let mut agents: Vec<Agent> = Vec::new();
        for project in &self.projects {
            let path = format!("/projects/{project}/memberships.json");
            let members = read_pages(0, |offset| {
                self.list_page::<ApiMembership>(&path, Vec::new(), offset)
            })
            .await?;
            for m in members.records {
                if agents.iter().all(|a| a.id != m.user.id) {
                    agents.push(Agent {
                        id: m.user.id,
                        name: m.user.name,
                        aliases: Vec::new(),
                    });
                }
            }
        }
        Ok(Agents::new(agents))
    }

    /// Reads the vocabulary again when `missing` says what a write-back names is not known.
    async fn refresh_if(&mut self, missing: bool) {
        if missing {
            self.read_vocabulary(Timestamp::now()).await;
        }
    }

    async fn update(&self, issue: i64, fields: Value) -> Result<(), SourceError> {
        let path = format!("/issues/{issue}.json");
        self.call(Method::PUT, &path, &[], Some(&json!({ "issue": fields })))
            .await
            .map(|_| ())
            .map_err(refusal)?;
        tracing::info!(source = %self.id, issue, "issue updated");
        Ok(())
    }

    async fn issue(&self, issue: i64) -> Result<ApiIssue, SourceError> {
        let path = format!("/issues/{issue}.json");
        let answer = self.call(Method::GET, &path, &[], None).await?;
        Ok(answer.json::<OneIssue>()?.issue)
    }

    async fn describe(&self) -> Result<String, SourceError> {
        let me = self.whoami().await?;
        let mut query = self.issue_query();
        query.push(("limit", "1".into()));
        let answer = self.call(Method::GET, "/issues.json", &query, None).await?;
        let page: ListPage<'_> = answer.parse()?;
        Ok(format!(
            "Redmine, signed in as {}, {} open issues",
            me.login,
            page.total_count.unwrap_or(page.issues.len() as u64)
        ))
    }
}

impl TicketWrites for Redmine {
    async fn assign(&mut self, issue: i64, agent: &str) -> Result<(), SourceError> {
        self.refresh_if(self.agents.find(agent).is_none()).await;
        let user = agent_named(&self.agents, agent)?.id;
        self.update(issue, json!({ "assigned_to_id": user })).await
    }

    async fn set_status(&mut self, issue: i64, status: &str) -> Result<(), SourceError> {
        self.refresh_if(self.statuses.id_of(status).is_none()).await;
        let wanted = status_named(&self.statuses, status)?;
        self.update(issue, json!({ "status_id": wanted })).await?;
        let now = self.issue(issue).await?;
        if now.status.id != wanted {
            return Err(SourceError::Refused(format!(
                "Redmine kept the status `{}`: its workflow does not let this user set `{status}`",
                now.status.name
            )));
        }
        Ok(())
    }

    async fn note(&mut self, issue: i64, text: &str, author: &str) -> Result<(), SourceError> {
        let notes = attributed(text, author);
        self.update(issue, json!({ "notes": notes, "private_notes": true }))
            .await
    }
}

impl TicketSystem for Redmine {
    const KIND: &'static str = "redmine";

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
        _now: Timestamp,
    ) -> impl Future<Output = Result<String, SourceError>> + Send {
        self.describe()
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

    fn settings_of(keys: &str) -> Result<RedmineSettings, String> {
        let head = "id = \"rm\"\nkind = \"redmine\"\n\
             base-url = \"https://redmine.example\"\nauth = { env = \"K\" }";
        match crate::config::source_kind_for_tests(head, keys)? {
            crate::config::SourceKind::Redmine(s) => Ok(s),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn settings_as_in_the_docs_and_typos_refused() {
        let s = settings_of("project = \"kunden\"\nstatuses = { \"Beim Kunden\" = \"waiting\" }")
            .unwrap();
        assert_eq!(s.project.as_deref(), Some("kunden"));
        assert_eq!(s.statuses["Beim Kunden"], StatusCategory::Waiting);
        assert_eq!(settings_of("").unwrap(), RedmineSettings::default());
        let e = settings_of("projekt = \"x\"").unwrap_err();
        assert!(e.contains("projekt"), "{e}");
        let e = settings_of("statuses = { \"x\" = \"later\" }").unwrap_err();
        assert!(e.contains("later"), "{e}");
    }

    #[test]
    fn an_issue_without_optional_fields_is_read() {
        let issue: ApiIssue = serde_json::from_value(json!({
            "id": 7, "project": {"id": 1, "name": "Müller GmbH"},
            "status": {"id": 1, "name": "New"}, "priority": {"id": 4, "name": "Urgent"},
            "subject": "Disk full", "created_on": "2026-11-28T01:00:00Z"
        }))
        .unwrap();
        assert!(issue.assigned_to.is_none() && issue.tracker.is_none());
        assert!(!issue.status.is_closed);
        let bad = serde_json::from_value::<ApiIssue>(json!({
            "id": 8, "project": {"id": 1, "name": "x"}, "status": {"id": 1, "name": "New"},
            "priority": {"id": 4, "name": "Urgent"}, "subject": "x", "created_on": "yesterday"
        }));
        assert!(bad.is_err(), "an unreadable creation time skips the record");
    }

    fn journal(user: i64, at: &str, notes: &str, private: bool, status: bool) -> ApiJournal {
        serde_json::from_value(json!({
            "id": 1, "user": {"id": user, "name": format!("u{user}")},
            "notes": notes, "private_notes": private, "created_on": at,
            "details": if status {
                json!([{"property": "attr", "name": "status_id", "old_value": "1", "new_value": "2"}])
            } else {
                json!([{"property": "attr", "name": "priority_id", "old_value": "2", "new_value": "3"}])
            }
        }))
        .unwrap()
    }

    #[test]
    fn the_first_answer_by_someone_else_is_the_first_response() {
        let author = Named {
            id: 5,
            name: "Kunde".into(),
        };
        let history = [
            journal(5, "2026-11-30T08:00:00Z", "any news?", false, false),
            journal(9, "2026-11-30T08:10:00Z", "internal only", true, false),
            journal(9, "2026-11-30T08:20:00Z", "", false, false),
            journal(9, "2026-11-30T08:30:00Z", "on it", false, false),
            journal(9, "2026-11-30T09:00:00Z", "", false, true),
        ];
        assert_eq!(
            first_response(Some(&author), &history),
            Some("2026-11-30T08:30:00Z".parse().unwrap()),
            "the author's own note, a private note and a priority change do not answer"
        );
        let only_status = [journal(9, "2026-11-30T09:00:00Z", "", false, true)];
        assert_eq!(
            first_response(Some(&author), &only_status),
            Some("2026-11-30T09:00:00Z".parse().unwrap())
        );
        let by_author = [journal(5, "2026-11-30T07:00:00Z", "", false, true)];
        assert_eq!(
            first_response(Some(&author), &by_author),
            Some("2026-11-30T07:00:00Z".parse().unwrap()),
            "the author moved it on: its first status change"
        );
        assert_eq!(first_response(Some(&author), &history[..3]), None);
    }
}
