//! Request Tracker 5, REST2: the tickets of TicketSQL searches (one per tenant, or one whose
//! tenant comes from the queue or a custom field) become queue items, with RT's `Due` as the
//! resolution due and the first staff reply as the first response. Write-backs are owner,
//! status and internal comments. Every change is made against the ticket the user saw (the
//! write-back's [`AsSeen`], else the last search): the ticket is read right before the
//! write and must not have changed since, except by changes the user knows of (nightdesk's
//! own writes, a change a conflict told them about); the write carries its ETag as
//! `If-Match`, so a change in between is a 412. Either way the user gets
//! [`SourceError::Conflict`] naming what changed; nothing is retried.

mod conflict;
mod records;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use reqwest::header::{ACCEPT, ETAG, IF_MATCH};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::{Value, json};

use self::conflict::{Current, Known, Seen, TicketView, describe};
use self::records::{GroupRecord, NOBODY, Page, Ref, RtInfo, TicketRecord, TransactionRecord};
use super::build::BuildContext;
use super::http::{Answer, Endpoint};
use super::mapping::{Decoded, Mapping, attributed, clip, decode_each, label, new_item};
use super::{AsSeen, BoxFuture, Capabilities, Fetched, Source, SourceError, Vocabulary, WriteBack};
use crate::config::{Auth, SourceConfig};
use crate::model::{
    Item, ItemKey, Kind, Label, Moment, Priority, SourceId, Status, StatusCategory, TenantId,
};

/// Settings of `kind = "rt"`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RtSettings {
    /// One TicketSQL search per tenant: its tickets belong to that tenant.
    #[serde(default)]
    pub queries: Vec<TenantQuery>,
    /// One TicketSQL search whose tickets get their tenant from a label (the queue name
    /// unless `tenant-label` names a custom field). Default, without `queries`:
    /// `Status = '__Active__'`.
    #[serde(default)]
    pub query: Option<String>,
    /// Tickets per page, 1 to 100 (default 100, RT's most).
    #[serde(default, deserialize_with = "page_size")]
    pub per_page: Option<u32>,
    /// A custom field whose value is the priority's name in `priorities` (e.g. a
    /// "Severity" field); tickets without a value fall back to RT's numeric priority.
    #[serde(default)]
    pub priority_field: Option<String>,
    /// User-defined groups whose members are offered to assign tickets to (with the
    /// owners seen on tickets).
    #[serde(default)]
    pub agent_groups: Vec<String>,
}

/// `{ tenant = "mueller", query = "Queue = 'Mueller' AND Status = '__Active__'" }`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct TenantQuery {
    pub tenant: String,
    pub query: String,
}

fn page_size<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    let size = u32::deserialize(d)?;
    if (1..=MAX_PER_PAGE).contains(&size) {
        Ok(Some(size))
    } else {
        Err(serde::de::Error::custom(format!(
            "per-page is 1 to {MAX_PER_PAGE} (RT's most), not {size}"
        )))
    }
}

/// The search without `query` or `queries`: every ticket in an active status.
const DEFAULT_QUERY: &str = "Status = '__Active__'";
const MAX_PER_PAGE: u32 = 100;
/// Pages read per search at most (10,000 tickets at 100 a page); more makes it degraded.
const MAX_PAGES: u32 = 100;
/// Where REST2 lives below RT's web root.
const REST_PATH: &str = "/REST/2.0";
/// RT's own token scheme: `Authorization: token <token>`.
const TOKEN_SCHEME: &str = "token";
const TICKET_FIELDS: &str = "Subject,Status,Queue,Priority,Owner,Requestor,Created,LastUpdated,Told,Due,Starts,Resolved,CustomFields";
/// The label that names the tenant unless `tenant-label` says otherwise.
const DEFAULT_TENANT_LABEL: &str = "queue";
/// Labels the connector sets itself; a custom field of the same name is not copied.
const OWN_LABELS: &[&str] = &["queue", "requestor", "priority", "starts"];
/// RT's numeric priority in bands: at least this much is the band's name.
const PRIORITY_BANDS: &[(i64, &str)] = &[(80, "critical"), (60, "high"), (30, "normal")];
const LOWEST_BAND: &str = "low";
/// Band names (and values of `priority-field`) and their priority unless the config says
/// otherwise.
const DEFAULT_PRIORITIES: &[(&str, Priority)] = &[
    ("critical", Priority::P1),
    ("high", Priority::P2),
    ("normal", Priority::P3),
    ("low", Priority::P4),
];
/// The statuses of RT's default lifecycle, offered even before a ticket showed them.
const DEFAULT_STATUSES: &[&str] = &["new", "open", "stalled", "resolved", "rejected", "deleted"];
/// Statuses remembered for completion at most (custom lifecycles add theirs).
const MAX_KNOWN_STATUSES: usize = 100;
/// How long the members of `agent-groups` are trusted before they are read again.
const AGENTS_FRESH_FOR: SignedDuration = SignedDuration::from_mins(10);
/// Nested groups followed at most when reading `agent-groups`.
const MAX_GROUPS: usize = 50;
/// Tickets asked about per transaction search (first responses).
const TICKETS_PER_LOOKUP: usize = 100;
/// Tickets updated at most this long before a search began are read again for their
/// ETag (the `Date` header is to the second; a second of margin).
const SAME_SECOND_MARGIN: SignedDuration = SignedDuration::from_secs(2);
/// Tickets read again per fetch for their ETag at most (see `pin_same_second_reads`).
const MAX_SAME_SECOND_READS: usize = 50;
/// Longest user name kept as an assignee.
const MAX_NAME_CHARS: usize = 200;
/// Longest status word kept.
const MAX_STATUS_CHARS: usize = 64;
/// Longest custom field name kept as a label name.
const MAX_CF_NAME_CHARS: usize = 100;

/// One search: its TicketSQL and the tenant it is for, if it names one.
#[derive(Clone, Debug)]
struct Search {
    tenant: Option<TenantId>,
    sql: String,
}

/// A ticket of this fetch and the tenant its search gave it.
/// A collection as [`Rt::collection`] read it.
struct Collected<T> {
    decoded: Decoded<T>,
    truncated: bool,
    /// The server's clock when it began to answer (its `Date` less the time the answer
    /// took; our clock when it sent none).
    began: Timestamp,
}

/// When RT began on an answer that took `took`, by its `Date` header, else `fallback`.
fn began(answer: &Answer, took: std::time::Duration, fallback: Timestamp) -> Timestamp {
    let took = SignedDuration::try_from(took).unwrap_or(SignedDuration::ZERO);
    answer
        .server_time()
        .map_or(fallback, |date| date.saturating_sub(took).unwrap_or(date))
}

struct Found {
    tenant: Option<TenantId>,
    ticket: TicketRecord,
}

/// A connected Request Tracker.
pub struct Rt {
    id: SourceId,
    tenant: Option<TenantId>,
    endpoint: Endpoint,
    /// RT's web root (for links), without `/REST/2.0`.
    web: String,
    searches: Vec<Search>,
    per_page: u32,
    priority_field: Option<String>,
    agent_groups: Vec<String>,
    mapping: Mapping,
    /// The login's user name, when the source logs in (a token does not say whose it is).
    api_user: Option<String>,
    /// What the user saw of each ticket (last search, or our own read after our write).
    seen: HashMap<String, Seen>,
    /// Per ticket, the views the user may still have in front of them that lead to it as
    /// it is through changes they know of (our writes, conflicts told).
    known: HashMap<String, Known>,
    /// First staff reply of tickets that have one, once looked up (it does not change).
    first_responses: HashMap<String, Timestamp>,
    group_agents: BTreeSet<String>,
    agents_read: Option<(Timestamp, Option<String>)>,
    known_statuses: BTreeSet<String>,
    vocabulary: Vocabulary,
    degraded: Option<String>,
}

impl Rt {
    pub fn from_config(
        config: &SourceConfig,
        settings: &RtSettings,
        ctx: &BuildContext,
    ) -> Result<Self, SourceError> {
        let base = config.base_url.as_deref().unwrap_or_default();
        let web = web_root(base);
        let rest = format!("{web}{REST_PATH}");
        let endpoint = ctx.endpoint_from(&ctx.endpoint_spec(config, Some(&rest))?)?;
        let searches = searches(settings, &ctx.known_tenants)?;
        let api_user = match &config.auth {
            Some(Auth::Login { user, .. }) => Some(user.clone()),
            _ => None,
        };
        Ok(Self {
            id: config.id.clone(),
            tenant: config.tenant.clone(),
            endpoint,
            web,
            searches,
            per_page: settings.per_page.unwrap_or(MAX_PER_PAGE),
            priority_field: settings.priority_field.clone(),
            agent_groups: settings.agent_groups.clone(),
            mapping: ctx.mapping(config, DEFAULT_PRIORITIES, Some(DEFAULT_TENANT_LABEL)),
            api_user,
            seen: HashMap::new(),
            known: HashMap::new(),
            first_responses: HashMap::new(),
            group_agents: BTreeSet::new(),
            agents_read: None,
            known_statuses: DEFAULT_STATUSES.iter().map(|s| s.to_string()).collect(),
            vocabulary: Vocabulary::default(),
            degraded: None,
        })
    }

    /// Sends with the credentials (a token in RT's own scheme) and reads the answer.
    async fn send(&self, request: RequestBuilder) -> Result<Answer, SourceError> {
        let request = request.header(ACCEPT, "application/json");
        let request = self.endpoint.authorize_with(request, TOKEN_SCHEME).await?;
        self.endpoint.send(request).await
    }

    /// As [`Rt::send`], a failure status being the error it means, in RT's words.
    async fn call(&self, request: RequestBuilder) -> Result<Answer, SourceError> {
        self.send(request).await?.ok_explained(|a| explain(&a.body))
    }

    /// Every page of a collection, `per_page` records a page; whether it had more than
    /// `MAX_PAGES` pages (the rest is not read); and when, by the server's clock, RT
    /// began to answer. `body`: a JSON query, sent as `POST`.
    async fn collection<T: DeserializeOwned>(
        &self,
        path: &str,
        params: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<Collected<T>, SourceError> {
        let mut all = Collected {
            decoded: Decoded {
                records: Vec::new(),
                skipped: 0,
                first_error: None,
            },
            truncated: true,
            began: Timestamp::now(),
        };
        let per_page = self.per_page.to_string();
        for page in 1..=MAX_PAGES {
            let page_text = page.to_string();
            let method = if body.is_some() {
                Method::POST
            } else {
                Method::GET
            };
            let mut request = self
                .endpoint
                .request(method, path)
                .query(params)
                .query(&[("per_page", per_page.as_str()), ("page", &page_text)]);
            if let Some(body) = body {
                request = request.json(body);
            }
            let sent = std::time::Instant::now();
            let answer = self.call(request).await?;
            if page == 1 {
                all.began = began(&answer, sent.elapsed(), all.began);
            }
            let page_answer = page_of(&answer)?;
            let count = page_answer.items.len();
            let decoded = decode_each::<T>(page_answer.items);
            all.decoded.records.extend(decoded.records);
            all.decoded.skipped += decoded.skipped;
            if all.decoded.first_error.is_none() {
                all.decoded.first_error = decoded.first_error;
            }
            let last = count < self.per_page as usize
                || page_answer.pages.is_some_and(|p| u64::from(page) >= p);
            if last {
                all.truncated = false;
                return Ok(all);
            }
        }
        Ok(all)
    }

    /// The tickets of one TicketSQL search, oldest first.
    async fn search(&self, sql: &str) -> Result<Collected<TicketRecord>, SourceError> {
        let params = [
            ("query", sql),
            ("fields", TICKET_FIELDS),
            ("fields[Queue]", "Name"),
            ("orderby", "id"),
            ("order", "ASC"),
        ];
        self.collection("/tickets", &params, None).await
    }

    async fn fetch_all(&mut self, now: Timestamp) -> Result<Vec<Item>, SourceError> {
        let mut found: Vec<Found> = Vec::new();
        let mut ids = HashSet::new();
        let mut notes = Vec::new();
        let mut same_second = Vec::new();
        for search in &self.searches {
            let Collected {
                decoded,
                truncated,
                began,
            } = self.search(&search.sql).await?;
            notes.extend(decoded.problem("tickets"));
            if truncated {
                notes.push(format!(
                    "more than {} tickets match `{}`: only the first are shown (narrow the query)",
                    MAX_PAGES * self.per_page,
                    clip(&search.sql, 80)
                ));
            }
            let cutoff = began - SAME_SECOND_MARGIN;
            for ticket in decoded.records {
                // A ticket two searches find belongs to the first.
                if ids.insert(ticket.id.clone()) {
                    if ticket.last_updated.is_some_and(|t| t >= cutoff) {
                        same_second.push(ticket.id.clone());
                    }
                    found.push(Found {
                        tenant: search.tenant.clone(),
                        ticket,
                    });
                }
            }
        }
        notes.extend(self.learn_first_responses(&found).await);
        notes.extend(self.refresh_agents(now).await);
        self.degraded = (!notes.is_empty()).then(|| notes.join("; "));
        self.first_responses.retain(|id, _| ids.contains(id));
        self.known.retain(|id, _| ids.contains(id));
        self.seen = found
            .iter()
            .map(|f| (f.ticket.id.clone(), seen_in_search(&f.ticket)))
            .collect();
        self.pin_same_second_reads(&same_second).await;
        self.update_vocabulary(&found);
        Ok(found.iter().map(|f| self.item(f)).collect())
    }

    /// RT's times are to the second: a change in the second a search read a ticket leaves
    /// its `LastUpdated` as the search saw it. The tickets updated that late are read once
    /// more, and when the read shows what the search showed, its ETag (RT's newest
    /// transaction) marks what the user saw, so that such a change is still a conflict.
    async fn pin_same_second_reads(&mut self, ids: &[String]) {
        for id in ids.iter().take(MAX_SAME_SECOND_READS) {
            let Ok(current) = self.read_ticket(id).await else {
                continue;
            };
            if let Some(seen) = self.seen.get_mut(id)
                && seen.view == current.view
            {
                seen.etag = current.etag;
            }
        }
    }

    /// Looks up the first staff reply of tickets that were replied to (RT's `Told` is the
    /// latest reply) and are not known yet: their `Correspond` transactions, in one search
    /// per hundred tickets, the first one not by a requestor. Why it failed, if it did.
    async fn learn_first_responses(&mut self, found: &[Found]) -> Option<String> {
        let wanted: Vec<&TicketRecord> = found
            .iter()
            .map(|f| &f.ticket)
            .filter(|t| t.told.is_some() && !self.first_responses.contains_key(&t.id))
            .filter(|t| is_ticket_id(&t.id))
            .collect();
        for chunk in wanted.chunks(TICKETS_PER_LOOKUP) {
            let ids: Vec<i64> = chunk.iter().filter_map(|t| t.id.parse().ok()).collect();
            let query = json!([
                {"field": "Type", "value": "Correspond"},
                {"field": "ObjectType", "value": "RT::Ticket"},
                {"field": "ObjectId", "operator": "IN", "value": ids},
            ]);
            let params = [
                ("fields", "ObjectId,Type,Created,Creator"),
                ("orderby", "id"),
                ("order", "ASC"),
            ];
            let (replies, truncated) = match self
                .collection::<TransactionRecord>("/transactions", &params, Some(&query))
                .await
            {
                Ok(answer) => (answer.decoded, answer.truncated),
                Err(e) => return Some(format!("first responses unknown: {e}")),
            };
            for ticket in chunk {
                match first_staff_reply(ticket, &replies.records) {
                    Some(at) => {
                        self.first_responses.insert(ticket.id.clone(), at);
                    }
                    // Complete and none found (not visible to the user): the latest reply
                    // is the best there is, and it stays the best.
                    None if !truncated => {
                        if let Some(told) = ticket.told {
                            self.first_responses.insert(ticket.id.clone(), told);
                        }
                    }
                    None => {}
                }
            }
        }
        None
    }

    /// Reads the members of `agent-groups` when they are older than [`AGENTS_FRESH_FOR`];
    /// why they are unknown, if they are.
    async fn refresh_agents(&mut self, now: Timestamp) -> Option<String> {
        if self.agent_groups.is_empty() {
            return None;
        }
        if let Some((at, problem)) = &self.agents_read
            && now.duration_since(*at) < AGENTS_FRESH_FOR
        {
            return problem.clone();
        }
        let problem = match self.group_members().await {
            Ok(agents) => {
                self.group_agents = agents;
                None
            }
            Err(e) => Some(format!(
                "members of {} unknown: {e}",
                self.agent_groups.join(", ")
            )),
        };
        self.agents_read = Some((now, problem.clone()));
        problem
    }

    /// The user names in `agent-groups`, nested groups included.
    async fn group_members(&self) -> Result<BTreeSet<String>, SourceError> {
        let mut pending = Vec::new();
        for name in &self.agent_groups {
            let query = json!([{"field": "Name", "value": name}]);
            let groups = self
                .collection::<Ref>("/groups", &[("fields", "Name")], Some(&query))
                .await?;
            let ids: Vec<String> = groups.decoded.records.into_iter().map(|g| g.id).collect();
            if ids.is_empty() {
                return Err(SourceError::Refused(format!(
                    "no group `{name}` (or the user may not see it: SeeGroup)"
                )));
            }
            pending.extend(ids);
        }
        let mut users = BTreeSet::new();
        let mut visited = HashSet::new();
        while let Some(group) = pending.pop() {
            if !is_ticket_id(&group)
                || visited.len() >= MAX_GROUPS
                || !visited.insert(group.clone())
            {
                continue;
            }
            let answer = self
                .call(
                    self.endpoint
                        .request(Method::GET, &format!("/group/{group}")),
                )
                .await?;
            let record: GroupRecord = answer.json()?;
            for member in record.members {
                match member.kind.as_str() {
                    "user" => {
                        users.insert(member.id);
                    }
                    "group" => pending.push(member.id),
                    _ => {}
                }
            }
        }
        Ok(users)
    }

    fn update_vocabulary(&mut self, found: &[Found]) {
        for f in found {
            self.learn_status(&f.ticket.status);
        }
        let mut agents: BTreeSet<String> = self.group_agents.clone();
        agents.extend(
            found
                .iter()
                .filter_map(|f| f.ticket.owner_name().map(str::to_string)),
        );
        agents.extend(self.api_user.clone());
        self.vocabulary = Vocabulary {
            agents: agents.into_iter().collect(),
            statuses: self.statuses(),
        };
    }

    fn learn_status(&mut self, status: &str) {
        let status = status.trim().to_lowercase();
        if !status.is_empty() && self.known_statuses.len() < MAX_KNOWN_STATUSES {
            self.known_statuses.insert(status);
        }
    }

    /// The default lifecycle's statuses in its order, then the others seen, sorted.
    fn statuses(&self) -> Vec<String> {
        let mut statuses: Vec<String> = DEFAULT_STATUSES.iter().map(|s| s.to_string()).collect();
        statuses.extend(
            self.known_statuses
                .iter()
                .filter(|s| !DEFAULT_STATUSES.contains(&s.as_str()))
                .cloned(),
        );
        statuses
    }

    fn item(&self, found: &Found) -> Item {
        let ticket = &found.ticket;
        let labels = labels(ticket);
        let tenant = found
            .tenant
            .clone()
            .unwrap_or_else(|| self.mapping.tenant(&labels));
        let status = status(&ticket.status);
        let mut item = new_item(
            ItemKey::new(&self.id, &ticket.id),
            tenant,
            Kind::Ticket,
            ticket.subject.as_deref().unwrap_or_default(),
            self.priority(ticket),
            status,
            ticket.created,
        );
        item.updated = Moment::new(updated(ticket));
        item.assignee = assignee(ticket).map(|o| Arc::from(&*o));
        item.link = is_ticket_id(&ticket.id)
            .then(|| format!("{}/Ticket/Display.html?id={}", self.web, ticket.id).into());
        item.labels = labels.into();
        item.sla.supplied_resolution_due = ticket.due.map(Moment::new);
        item.sla.first_response_at = ticket.told.map(|told| {
            Moment::new(
                self.first_responses
                    .get(&ticket.id)
                    .copied()
                    .unwrap_or(told),
            )
        });
        item.sla.last_update_at = ticket.told.map(Moment::new);
        if item.status.category == StatusCategory::Resolved {
            item.sla.resolved_at = Some(ticket.resolved.map_or(item.updated, Moment::new));
        }
        item
    }

    /// The value of `priority-field` through `priorities`, else RT's number in bands.
    fn priority(&self, ticket: &TicketRecord) -> Priority {
        let named = self
            .priority_field
            .as_deref()
            .and_then(|field| ticket.custom_field(field).next());
        match named {
            Some(name) => self.mapping.priority(name.trim()),
            None => self.mapping.priority(priority_band(ticket.priority)),
        }
    }

    /// `GET /ticket/N` with its ETag; learns the statuses its lifecycle offers.
    async fn read_ticket(&mut self, id: &str) -> Result<Current, SourceError> {
        let request = self.endpoint.request(Method::GET, &format!("/ticket/{id}"));
        let answer = self.send(request).await?;
        if answer.status == StatusCode::NOT_FOUND {
            return Err(SourceError::Refused(format!(
                "ticket {id} does not exist (or the user may not see it)"
            )));
        }
        let answer = answer.ok_explained(|a| explain(&a.body))?;
        let ticket: TicketRecord = answer.json()?;
        let etag = answer
            .headers
            .get(ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        for next in ticket
            .next_statuses()
            .map(str::to_string)
            .collect::<Vec<_>>()
        {
            self.learn_status(&next);
        }
        Ok(Current {
            view: TicketView::of(&ticket),
            ticket,
            etag,
        })
    }

    /// After our own write: the user now knows the ticket as `believed` (what they saw with
    /// their change). When our read after the write shows just that, the read is what they
    /// have seen; when it shows more (someone wrote right after us), that stays news for
    /// the next write.
    fn believe(&mut self, id: &str, believed: TicketView, after: &Current) {
        let seen = if after.view.same_fields(&believed) {
            Seen {
                view: after.view.clone(),
                etag: after.etag.clone(),
            }
        } else {
            Seen {
                view: believed,
                etag: None,
            }
        };
        self.seen.insert(id.to_string(), seen);
    }

    /// The conflict error for a ticket that is no longer `before`: its fields and what
    /// the history says happened since.
    async fn conflict(&self, id: &str, before: &TicketView, current: &Current) -> SourceError {
        let params = [
            ("fields", "Type,Created,Creator"),
            ("orderby", "id"),
            ("order", "DESC"),
            ("per_page", "20"),
        ];
        let request = self
            .endpoint
            .request(Method::GET, &format!("/ticket/{id}/history"))
            .query(&params);
        // The fields alone still say what changed when the history cannot be read.
        let history = match self.call(request).await {
            Ok(answer) => page_of(&answer)
                .map(|p| decode_each::<TransactionRecord>(p.items).records)
                .unwrap_or_default(),
            Err(_) => Vec::new(),
        };
        let message = describe(id, before, current, &history);
        tracing::info!(source = %self.id, ticket = id, %message, "edit conflict");
        SourceError::Conflict(message)
    }

    /// Whether a user who saw ticket `id` as `seen` has missed nothing of it as it is now:
    /// `current` is what they saw, or came from there by changes they know of.
    fn knows(&self, id: &str, seen: &AsSeen, current: &Current) -> bool {
        let changed_since_read = self
            .seen
            .get(id)
            .is_some_and(|last| last.shows(seen) && last.etag_differs(current));
        (seen.same_as(&as_seen(&current.ticket)) && !changed_since_read)
            || self
                .known
                .get(id)
                .is_some_and(|k| k.leads(seen, current.etag.as_deref()))
    }

    /// The user now knows how ticket `id` went from `from` (which they knew, or saw as
    /// `seen`) to `to`: our own write, or a conflict that told them.
    fn learn(&mut self, id: &str, from: &Current, seen: Option<&AsSeen>, to: &Current) {
        let Some(etag) = to.etag.clone() else {
            self.known.remove(id);
            return;
        };
        let views = seen.cloned().into_iter().chain([as_seen(&from.ticket)]);
        let earlier = self.known.get(id);
        let known = Known::after(earlier, from.etag.as_deref(), views, etag, to.view.clone());
        self.known.insert(id.to_string(), known);
    }

    /// Ticket `id` as the user knows it, having seen it as `seen`, to say what changed
    /// since: as our writes or a conflict left it when they know that; else its update,
    /// owner and status from `seen`, the other fields from the last search when that was
    /// the same update, or as they are now.
    fn view_as_seen(&self, id: &str, seen: &AsSeen, current: &Current) -> TicketView {
        if let Some(view) = self.known.get(id).and_then(|k| k.known_to(seen)) {
            return view.clone();
        }
        let mut view = match self.seen.get(id) {
            Some(last)
                if last.view.last_updated.map(|t| t.as_second())
                    == Some(seen.updated.as_second()) =>
            {
                last.view.clone()
            }
            _ => current.view.clone(),
        };
        view.last_updated = Some(seen.updated);
        view.owner = seen.assignee.clone().unwrap_or_else(|| NOBODY.to_string());
        view.status = seen.status.trim().to_lowercase();
        view
    }

    /// Sets fields of a ticket the user saw unchanged (as `seen`, else as the last search
    /// found it), under `If-Match`; checks that RT made the change (RT answers 200 with its
    /// reasons when it refuses one).
    async fn update(
        &mut self,
        id: &str,
        change: Change<'_>,
        seen: Option<&AsSeen>,
    ) -> Result<(), SourceError> {
        let current = self.read_ticket(id).await?;
        match seen {
            Some(seen) if !self.knows(id, seen, &current) => {
                let before = self.view_as_seen(id, seen, &current);
                let conflict = self.conflict(id, &before, &current).await;
                // Told now: the same write-back from the same view may go through next.
                self.learn(id, &current, Some(seen), &current);
                return Err(conflict);
            }
            Some(_) => {}
            None => {
                if let Some(last) = self.seen.get(id).cloned()
                    && last.outdated_by(&current)
                {
                    return Err(self.conflict(id, &last.view, &current).await);
                }
            }
        }
        let Some(etag) = current.etag.clone() else {
            return Err(SourceError::Protocol(format!(
                "RT sent no ETag for ticket {id}: not changing it without one"
            )));
        };
        let request = self
            .endpoint
            .request(Method::PUT, &format!("/ticket/{id}"))
            .header(IF_MATCH, etag)
            .json(&change.body());
        let answer = self.send(request).await?;
        if answer.status == StatusCode::PRECONDITION_FAILED {
            let newer = self.read_ticket(id).await?;
            let conflict = self.conflict(id, &current.view, &newer).await;
            self.learn(id, &current, seen, &newer);
            return Err(conflict);
        }
        let answer = written(answer, || format!("RT did not change ticket {id}"))?;
        let messages: Vec<String> = serde_json::from_slice(&answer.body).unwrap_or_default();
        let after = self.read_ticket(id).await?;
        let mut believed = current.view.clone();
        if change.made_in(&after.view) {
            change.apply(&mut believed);
        }
        if after.view.same_fields(&believed) {
            // Our own change only: a form opened before it is no less current for it.
            self.learn(id, &current, seen, &after);
        }
        self.believe(id, believed, &after);
        if !change.made_in(&after.view) {
            return Err(SourceError::Refused(refusal(id, &change, &messages)));
        }
        tracing::info!(source = %self.id, ticket = id, change = %change, "ticket updated");
        Ok(())
    }

    /// An internal comment (never a reply to the requestor). A comment overwrites nothing,
    /// so a change since the user's view does not stop it; but then the view stays as it
    /// was, so that a following change still sees that change.
    async fn comment(
        &mut self,
        id: &str,
        text: &str,
        author: &str,
        seen: Option<&AsSeen>,
    ) -> Result<(), SourceError> {
        if text.trim().is_empty() {
            return Err(SourceError::Refused("a note needs some text".into()));
        }
        let before = self.read_ticket(id).await?;
        let unchanged = self.seen.get(id).is_none_or(|s| !s.outdated_by(&before));
        let knew = match seen {
            Some(seen) => self.knows(id, seen, &before),
            None => unchanged,
        };
        let content = self.note_text(text, author);
        let request = self
            .endpoint
            .request(Method::POST, &format!("/ticket/{id}/comment"))
            .json(&json!({"Content": content, "ContentType": "text/plain"}));
        written(self.send(request).await?, || {
            format!("RT did not add the note to ticket {id}")
        })?;
        if unchanged || knew {
            let after = self.read_ticket(id).await?;
            if knew && after.view.same_fields(&before.view) {
                self.learn(id, &before, seen, &after);
            }
            if unchanged {
                self.believe(id, before.view, &after);
            }
        }
        tracing::info!(source = %self.id, ticket = id, "comment added");
        Ok(())
    }

    /// `[agent] text`, unless the agent is the user RT records anyway.
    fn note_text(&self, text: &str, author: &str) -> String {
        match &self.api_user {
            Some(user) if user.eq_ignore_ascii_case(author.trim()) => text.trim().to_string(),
            _ => attributed(text, author),
        }
    }
}

/// A field change a write-back asks for.
#[derive(Clone, Copy, Debug)]
enum Change<'a> {
    Owner(&'a str),
    Status(&'a str),
}

impl Change<'_> {
    fn body(&self) -> Value {
        match self {
            Change::Owner(owner) => json!({"Owner": owner.trim()}),
            Change::Status(status) => json!({"Status": status.trim()}),
        }
    }

    /// `view` as this change leaves it.
    fn apply(&self, view: &mut TicketView) {
        match self {
            Change::Owner(owner) => view.owner = owner.trim().to_string(),
            Change::Status(status) => view.status = status.trim().to_lowercase(),
        }
    }

    fn made_in(&self, view: &TicketView) -> bool {
        match self {
            Change::Owner(owner) => view.owner.eq_ignore_ascii_case(owner.trim()),
            Change::Status(status) => view.status.eq_ignore_ascii_case(status.trim()),
        }
    }
}

impl std::fmt::Display for Change<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Change::Owner(owner) => write!(f, "Owner {}", owner.trim()),
            Change::Status(status) => write!(f, "Status {}", status.trim()),
        }
    }
}

/// Why RT did not make a change, in its words ("That user may not own tickets in that
/// queue") without the "Ticket N: " in front.
fn refusal(id: &str, change: &Change<'_>, messages: &[String]) -> String {
    let prefix = format!("Ticket {id}: ");
    let reasons: Vec<&str> = messages
        .iter()
        .map(|m| m.strip_prefix(&prefix).unwrap_or(m))
        .filter(|m| !m.trim().is_empty())
        .collect();
    let text = if reasons.is_empty() {
        format!("RT did not set {change} on ticket {id}")
    } else {
        format!(
            "RT did not set {change} on ticket {id}: {}",
            reasons.join("; ")
        )
    };
    super::http::snippet(&text)
}

impl Source for Rt {
    fn id(&self) -> &SourceId {
        &self.id
    }

    fn kind(&self) -> &'static str {
        "rt"
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

    fn vocabulary(&self) -> Vocabulary {
        self.vocabulary.clone()
    }

    fn check(&mut self, now: Timestamp) -> BoxFuture<'_, Result<String, SourceError>> {
        Box::pin(async move {
            let answer = self.call(self.endpoint.request(Method::GET, "/rt")).await?;
            let info: RtInfo = answer.json()?;
            let items = self.fetch_all(now).await?;
            let mut text = format!("RT {}, {} tickets", version(&info.version), items.len());
            if let Some(d) = &self.degraded {
                text.push_str(&format!("; {d}"));
            }
            Ok(text)
        })
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            assign: true,
            set_status: true,
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
        self.write_back_as_seen(item, action, None, now)
    }

    fn write_back_as_seen<'a>(
        &'a mut self,
        item: &'a ItemKey,
        action: &'a WriteBack,
        seen: Option<&'a AsSeen>,
        _now: Timestamp,
    ) -> BoxFuture<'a, Result<(), SourceError>> {
        Box::pin(async move {
            let id = &*item.external_id;
            if !is_ticket_id(id) {
                return Err(SourceError::Refused(format!(
                    "`{}` is not an RT ticket number",
                    clip(id, 40)
                )));
            }
            match action {
                WriteBack::Assign { agent } if !agent.trim().is_empty() => {
                    self.update(id, Change::Owner(agent), seen).await
                }
                WriteBack::SetStatus { status } if !status.trim().is_empty() => {
                    self.update(id, Change::Status(status), seen).await
                }
                WriteBack::Assign { .. } | WriteBack::SetStatus { .. } => Err(
                    SourceError::Refused("say whom to assign to, or which status".into()),
                ),
                WriteBack::Note { text, author } => self.comment(id, text, author, seen).await,
                _ => Err(SourceError::Unsupported),
            }
        })
    }
}

/// RT's web root from `base-url`, which may also be the REST2 URL itself.
fn web_root(base_url: &str) -> String {
    let base = base_url.trim().trim_end_matches('/');
    base.strip_suffix(REST_PATH).unwrap_or(base).to_string()
}

/// The searches of the settings: one per tenant query, then the tenant-less `query`
/// (also when neither is given: every active ticket).
fn searches(settings: &RtSettings, known: &[TenantId]) -> Result<Vec<Search>, SourceError> {
    let mut searches = Vec::new();
    for q in &settings.queries {
        if !known.is_empty() && !known.iter().any(|t| t.as_str() == q.tenant) {
            return Err(SourceError::Refused(format!(
                "queries: `{}` is not a configured tenant",
                q.tenant
            )));
        }
        searches.push(Search {
            tenant: Some(TenantId::new(&q.tenant)),
            sql: q.query.clone(),
        });
    }
    match &settings.query {
        Some(sql) => searches.push(Search {
            tenant: None,
            sql: sql.clone(),
        }),
        None if settings.queries.is_empty() => searches.push(Search {
            tenant: None,
            sql: DEFAULT_QUERY.to_string(),
        }),
        None => {}
    }
    Ok(searches)
}

/// What the user sees of a ticket the search found.
fn seen_in_search(ticket: &TicketRecord) -> Seen {
    Seen {
        view: TicketView::of(ticket),
        etag: None,
    }
}

/// The item's update time: `LastUpdated`, never before `Created`.
fn updated(ticket: &TicketRecord) -> Timestamp {
    ticket
        .last_updated
        .unwrap_or(ticket.created)
        .max(ticket.created)
}

/// The item's assignee: the owner unless it is Nobody.
fn assignee(ticket: &TicketRecord) -> Option<Box<str>> {
    ticket.owner_name().map(|o| clip(o, MAX_NAME_CHARS))
}

/// A ticket as its item shows it (the same update time, status and assignee), to compare
/// with what the user saw.
fn as_seen(ticket: &TicketRecord) -> AsSeen {
    AsSeen {
        updated: updated(ticket),
        status: status(&ticket.status).label.to_string(),
        assignee: assignee(ticket).map(String::from),
    }
}

/// A ticket number: digits only (it goes into URL paths).
fn is_ticket_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 18 && id.bytes().all(|b| b.is_ascii_digit())
}

/// The first `Correspond` of `ticket` in `replies` not written by one of its requestors.
fn first_staff_reply(ticket: &TicketRecord, replies: &[TransactionRecord]) -> Option<Timestamp> {
    let by_requestor = |t: &TransactionRecord| {
        let creator = t.creator_name();
        ticket
            .requestor
            .iter()
            .any(|r| r.shown().eq_ignore_ascii_case(creator) || r.id.eq_ignore_ascii_case(creator))
    };
    replies
        .iter()
        .filter(|t| t.kind == "Correspond" && t.object_id.as_deref() == Some(ticket.id.as_str()))
        .filter(|t| !by_requestor(t))
        .map(|t| t.created)
        .min()
}

/// The band name of RT's numeric priority (see [`PRIORITY_BANDS`]); `""` (the default
/// priority) when the ticket has none.
fn priority_band(priority: Option<i64>) -> &'static str {
    let Some(priority) = priority else {
        return "";
    };
    PRIORITY_BANDS
        .iter()
        .find(|(floor, _)| priority >= *floor)
        .map_or(LOWEST_BAND, |(_, name)| name)
}

/// RT's status and what it means here. Statuses of custom lifecycles count as being
/// worked on; the contract's `pause-statuses` can pause them by name.
fn status(rt_status: &str) -> Status {
    let category = match rt_status.trim().to_lowercase().as_str() {
        "new" => StatusCategory::New,
        "stalled" => StatusCategory::Waiting,
        "resolved" | "rejected" | "deleted" => StatusCategory::Resolved,
        _ => StatusCategory::Acknowledged,
    };
    Status::new(category, &clip(rt_status.trim(), MAX_STATUS_CHARS))
}

/// `queue`, one `requestor` per requestor, RT's numeric `priority`, `starts`, and every
/// custom field (name = value, once per value).
fn labels(ticket: &TicketRecord) -> Vec<Label> {
    let mut labels = Vec::new();
    if let Some(queue) = &ticket.queue {
        labels.push(label("queue", queue.shown()));
    }
    for requestor in &ticket.requestor {
        labels.push(label("requestor", requestor.shown()));
    }
    if let Some(priority) = ticket.priority {
        labels.push(label("priority", &priority.to_string()));
    }
    if let Some(starts) = ticket.starts {
        labels.push(label("starts", &starts.to_string()));
    }
    for cf in &ticket.custom_fields {
        let name = cf.name.trim();
        if name.is_empty() || OWN_LABELS.iter().any(|own| own.eq_ignore_ascii_case(name)) {
            continue;
        }
        let name = clip(name, MAX_CF_NAME_CHARS);
        for value in &cf.values {
            labels.push(label(&name, value));
        }
    }
    labels
}

/// The answer to a write: a refusal (400 "Permission Denied", 403, 409, 422) is RT's
/// reason for `what` not happening; other failures are what they always are.
fn written(answer: Answer, what: impl FnOnce() -> String) -> Result<Answer, SourceError> {
    if !matches!(answer.status.as_u16(), 400 | 403 | 409 | 422) {
        return answer.ok_explained(|a| explain(&a.body));
    }
    let reason = explain(&answer.body).unwrap_or_else(|| answer.snippet());
    Err(SourceError::Refused(super::http::snippet(&format!(
        "{}: {reason} (HTTP {})",
        what(),
        answer.status.as_u16()
    ))))
}

/// One page of a collection answer.
fn page_of(answer: &Answer) -> Result<Page<'_>, SourceError> {
    serde_json::from_slice(&answer.body)
        .map_err(|e| SourceError::Protocol(format!("malformed page ({e}): {}", answer.snippet())))
}

/// RT's explanation in an error body: `{"message": "Unknown field: Foo at ..."}`, without
/// the Perl source position.
fn explain(body: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct ApiError {
        message: String,
    }
    let error: ApiError = serde_json::from_slice(body).ok()?;
    let message = error.message.trim();
    let message = match message.find(" at /") {
        Some(cut) => &message[..cut],
        None => message,
    };
    (!message.is_empty()).then(|| message.to_string())
}

/// `5.0.3` of `5.0.3+dfsg-3~deb12u7` (a distribution's package suffix dropped).
fn version(text: &str) -> &str {
    let text = text.trim();
    let end = text.find(['+', ' ']).unwrap_or(text.len());
    if end == 0 { "?" } else { &text[..end] }
}

#[cfg(test)]
mod tests;
