//! What the ticket-system connectors (Redmine, Zammad, Autotask, HaloPSA) share: reading a
//! paged list to its end, the table that turns a status word into its category, the
//! agents and statuses a write-back names (read now and then, not every poll), the times
//! ticket APIs write, the errors they explain in JSON, the one way a ticket becomes a
//! queue item, and their one `Source` implementation ([`TicketSystem`]).

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::Arc;

use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::mapping::{Decoded, Mapping, label, new_item};
use super::{BoxFuture, Capabilities, Fetched, Source, SourceError, Vocabulary, WriteBack};
use crate::model::{
    Item, ItemKey, Kind, Label, Moment, SlaFacts, SourceId, Status, StatusCategory, TenantId,
};

/// Pages read at most in one fetch; a list longer than this is read in part and the
/// source shows as degraded.
pub const MAX_PAGES: usize = 200;

/// How long agents and statuses read from a source are used before they are read again.
pub const VOCABULARY_MAX_AGE: SignedDuration = SignedDuration::from_mins(10);

// ------------------------------------------------------------------------------ paging

/// One page of a list: its records and where the next page starts (`None`: the last).
pub struct Page<T, C> {
    pub records: Decoded<T>,
    pub next: Option<C>,
}

/// All pages of a list.
pub struct Paged<T> {
    pub records: Vec<T>,
    pub skipped: usize,
    pub first_error: Option<String>,
    /// [`MAX_PAGES`] were read and the server had more.
    pub truncated: bool,
}

impl<T> Paged<T> {
    /// Why the list is incomplete (records that could not be read, pages left unread).
    pub fn problem(&self, what: &str) -> Option<String> {
        let skipped = (self.skipped > 0).then(|| {
            format!(
                "{} of {} {what} could not be read ({})",
                self.skipped,
                self.skipped + self.records.len(),
                self.first_error.as_deref().unwrap_or("?")
            )
        });
        let truncated = self
            .truncated
            .then(|| format!("only the first {MAX_PAGES} pages of {what} were read"));
        match (skipped, truncated) {
            (Some(a), Some(b)) => Some(format!("{a}; {b}")),
            (a, b) => a.or(b),
        }
    }
}

/// Reads a list page by page from `first` on, each page with `read`, until a page names
/// no next one (or brings no records: a server that keeps saying "more" is not believed).
pub async fn read_pages<T, C, F, Fut>(first: C, mut read: F) -> Result<Paged<T>, SourceError>
where
    F: FnMut(C) -> Fut,
    Fut: Future<Output = Result<Page<T, C>, SourceError>>,
{
    let mut all = Paged {
        records: Vec::new(),
        skipped: 0,
        first_error: None,
        truncated: false,
    };
    let mut cursor = Some(first);
    let mut pages = 0;
    while let Some(at) = cursor.take() {
        if pages == MAX_PAGES {
            all.truncated = true;
            break;
        }
        let page = read(at).await?;
        pages += 1;
        let empty = page.records.records.is_empty() && page.records.skipped == 0;
        all.skipped += page.records.skipped;
        if all.first_error.is_none() {
            all.first_error = page.records.first_error;
        }
        all.records.extend(page.records.records);
        cursor = page.next.filter(|_| !empty);
    }
    Ok(all)
}

/// The next page number of an API that tells no total: the next one when this one was full.
pub fn next_page_when_full(page: u32, records: usize, per_page: usize) -> Option<u32> {
    (records >= per_page).then_some(page + 1)
}

/// The next page number of an API that tells the total: the next one while pages of
/// `per_page` have not covered it.
pub fn next_page_below_total(page: u32, per_page: usize, total: u64) -> Option<u32> {
    (u64::from(page) * (per_page as u64) < total).then_some(page + 1)
}

// ----------------------------------------------------------------------------- statuses

/// Status words every ticket system uses the same way, with their category: the
/// defaults, before the connector's own knowledge (a state's type, a closed flag) and the
/// config's `statuses` table.
const STATUS_WORDS: &[(&str, StatusCategory)] = &[
    ("new", StatusCategory::New),
    ("open", StatusCategory::Acknowledged),
    ("in progress", StatusCategory::Acknowledged),
    ("in bearbeitung", StatusCategory::Acknowledged),
    ("assigned", StatusCategory::Acknowledged),
    ("dispatched", StatusCategory::Acknowledged),
    ("escalated", StatusCategory::Acknowledged),
    ("action required", StatusCategory::Acknowledged),
    ("feedback", StatusCategory::Waiting),
    ("on hold", StatusCategory::Waiting),
    ("with user", StatusCategory::Waiting),
    ("with supplier", StatusCategory::Waiting),
    ("resolved", StatusCategory::Resolved),
    ("solved", StatusCategory::Resolved),
    ("gelöst", StatusCategory::Resolved),
    ("complete", StatusCategory::Resolved),
    ("completed", StatusCategory::Resolved),
    ("closed", StatusCategory::Resolved),
    ("geschlossen", StatusCategory::Resolved),
    ("rejected", StatusCategory::Resolved),
    ("cancelled", StatusCategory::Resolved),
];

/// Beginnings of status words that mean waiting for someone else.
const WAITING_PREFIXES: &[&str] = &["waiting", "pending", "warten", "wartet"];

/// Which category a ticket's status word is in: the config's `statuses` first, then the
/// common words above, then what the connector knows of the status, then its fallback.
#[derive(Clone, Debug, Default)]
pub struct StatusRules {
    configured: HashMap<String, StatusCategory>,
}

impl StatusRules {
    pub fn new(configured: &BTreeMap<String, StatusCategory>) -> Self {
        Self {
            configured: configured
                .iter()
                .map(|(word, category)| (word.trim().to_lowercase(), *category))
                .collect(),
        }
    }

    /// The category of `word`; `known`: what the source itself says (a closed flag, a state
    /// type), used when neither the config nor the common words decide; `fallback` last.
    pub fn status(
        &self,
        word: &str,
        known: Option<StatusCategory>,
        fallback: StatusCategory,
    ) -> Status {
        let lower = word.trim().to_lowercase();
        let category = self
            .configured
            .get(&lower)
            .copied()
            .or_else(|| common_category(&lower))
            .or(known)
            .unwrap_or(fallback);
        Status::new(category, word)
    }
}

fn common_category(lower: &str) -> Option<StatusCategory> {
    STATUS_WORDS
        .iter()
        .find(|(w, _)| *w == lower)
        .map(|(_, c)| *c)
        .or_else(|| {
            WAITING_PREFIXES
                .iter()
                .any(|p| lower.starts_with(p))
                .then_some(StatusCategory::Waiting)
        })
}

/// The category of a status nothing else decides: someone owns the ticket, or nobody.
pub fn owned_or_new(assignee: Option<&str>) -> StatusCategory {
    if assignee.is_some() {
        StatusCategory::Acknowledged
    } else {
        StatusCategory::New
    }
}

// -------------------------------------------------------------------- agents, statuses

/// A person tickets can be assigned to: the source's id, the name shown and offered for
/// completion (a login where the source has one), and other names they go by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Agent {
    pub id: i64,
    pub name: String,
    pub aliases: Vec<String>,
}

impl Agent {
    fn answers_to(&self, wanted: &str) -> bool {
        std::iter::once(&self.name)
            .chain(&self.aliases)
            .any(|n| same_name(n, wanted))
    }
}

/// Whether two names are the same, whatever their case and surrounding spaces.
fn same_name(a: &str, b: &str) -> bool {
    a.trim().to_lowercase() == b.trim().to_lowercase()
}

/// The agents of a source.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Agents {
    list: Vec<Agent>,
}

impl Agents {
    pub fn new(list: Vec<Agent>) -> Self {
        Self { list }
    }

    /// The agent called `name` (login, e-mail or full name; case does not matter). The
    /// login (`name`) wins; an alias that several agents share names nobody, since a ticket
    /// must never go to the wrong person.
    pub fn find(&self, name: &str) -> Option<&Agent> {
        let wanted = name.trim();
        if let Some(a) = self.list.iter().find(|a| same_name(&a.name, wanted)) {
            return Some(a);
        }
        match self.matching(wanted).as_slice() {
            [only] => Some(only),
            _ => None,
        }
    }

    /// Every agent `name` could mean.
    fn matching(&self, wanted: &str) -> Vec<&Agent> {
        self.list.iter().filter(|a| a.answers_to(wanted)).collect()
    }

    pub fn by_id(&self, id: i64) -> Option<&Agent> {
        self.list.iter().find(|a| a.id == id)
    }

    /// The names offered for completion.
    pub fn names(&self) -> Vec<String> {
        self.list.iter().map(|a| a.name.clone()).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

/// Named values of a source (statuses, priorities, picklist entries): id and name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Choices {
    list: Vec<(i64, String)>,
}

impl Choices {
    pub fn new(list: Vec<(i64, String)>) -> Self {
        Self { list }
    }

    pub fn name_of(&self, id: i64) -> Option<&str> {
        self.list
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, n)| n.as_str())
    }

    /// The id of `name` (case does not matter).
    pub fn id_of(&self, name: &str) -> Option<i64> {
        let wanted = name.trim();
        self.list
            .iter()
            .find(|(_, n)| same_name(n, wanted))
            .map(|(i, _)| *i)
    }

    pub fn names(&self) -> Vec<String> {
        self.list.iter().map(|(_, n)| n.clone()).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

/// When something read from a source was read, to read it again after [`VOCABULARY_MAX_AGE`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReadAt(Option<Timestamp>);

impl ReadAt {
    /// Whether it is time to read again.
    pub fn due(&self, now: Timestamp) -> bool {
        self.0
            .is_none_or(|at| now.duration_since(at) >= VOCABULARY_MAX_AGE || now < at)
    }

    pub fn mark(&mut self, now: Timestamp) {
        self.0 = Some(now);
    }

    /// Read again at the next chance (a write-back named something not known).
    pub fn expire(&mut self) {
        self.0 = None;
    }
}

/// The agent a write-back names, or a refusal that says which names exist.
pub fn agent_named<'a>(agents: &'a Agents, name: &str) -> Result<&'a Agent, SourceError> {
    let several = agents.matching(name.trim());
    if agents.find(name).is_none() && several.len() > 1 {
        let logins: Vec<&str> = several.iter().map(|a| a.name.as_str()).collect();
        return Err(SourceError::Refused(format!(
            "`{}` could be {} agents ({}): name the login",
            name.trim(),
            several.len(),
            logins.join(", ")
        )));
    }
    agents.find(name).ok_or_else(|| {
        SourceError::Refused(format!(
            "no agent `{}` in this system{}",
            name.trim(),
            known_names(&agents.names())
        ))
    })
}

/// The status a write-back names, or a refusal that says which exist.
pub fn status_named(statuses: &Choices, name: &str) -> Result<i64, SourceError> {
    statuses.id_of(name).ok_or_else(|| {
        SourceError::Refused(format!(
            "no status `{}` in this system{}",
            name.trim(),
            known_names(&statuses.names())
        ))
    })
}

fn known_names(names: &[String]) -> String {
    if names.is_empty() {
        return String::new();
    }
    let shown: Vec<&str> = names.iter().take(12).map(String::as_str).collect();
    let more = if names.len() > shown.len() {
        ", ..."
    } else {
        ""
    };
    format!(" (known: {}{more})", shown.join(", "))
}

// --------------------------------------------------------------------------------- times

/// A time as ticket APIs write it: RFC 3339 (`2026-11-28T01:58:30Z`, with fractions or an
/// offset), or a date and time without zone, which is UTC (HaloPSA). `None` for anything
/// else and for placeholders before 1971 (HaloPSA writes `1900-01-01T00:00:00` for "none").
pub fn parse_time(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let at = text.parse::<Timestamp>().ok().or_else(|| {
        text.parse::<DateTime>()
            .ok()
            .and_then(|civil| TimeZone::UTC.to_timestamp(civil).ok())
    })?;
    (at.as_second() > 365 * 24 * 3600).then_some(at)
}

/// Serde: an optional time (null, missing, empty or unreadable: none).
pub fn optional_time<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => parse_time(&s),
        _ => None,
    })
}

/// Serde: a time the record cannot do without (the record is skipped when it is unreadable).
pub fn required_time<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
    let text = String::deserialize(d)?;
    parse_time(&text).ok_or_else(|| serde::de::Error::custom(format!("not a time: {text:?}")))
}

/// Serde: an id written as a number or a numeric string (null: none).
pub fn optional_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

/// Serde: an id written as a number or a numeric string.
pub fn required_id<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    optional_id(d)?.ok_or_else(|| serde::de::Error::custom("not an id"))
}

// -------------------------------------------------------------------------------- errors

/// The server's own words in a JSON error body, as ticket APIs write them: `errors` (a
/// list of texts or of objects with a `message`), `error_human`, `error` with
/// `error_description`, `message`/`Message`. `None` when the body says nothing readable.
pub fn error_text(body: &[u8]) -> Option<String> {
    let value: Value = serde_json::from_slice(body).ok()?;
    if let Some(list) = value.get("errors").and_then(Value::as_array) {
        let texts: Vec<String> = list.iter().filter_map(error_entry).collect();
        if !texts.is_empty() {
            return Some(texts.join("; "));
        }
    }
    let field = |name: &str| {
        value
            .get(name)
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty())
    };
    if let Some(human) = field("error_human") {
        return Some(human.to_string());
    }
    if let Some(error) = field("error") {
        return Some(match field("error_description") {
            Some(d) => format!("{error}: {d}"),
            None => error.to_string(),
        });
    }
    field("message")
        .or_else(|| field("Message"))
        .map(str::to_string)
}

fn error_entry(entry: &Value) -> Option<String> {
    match entry {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o
            .get("message")
            .or_else(|| o.get("Message"))
            .and_then(Value::as_str)
            .map(str::to_string),
        _ => None,
    }
}

/// A write-back the server turned down as a request (bad value, no such ticket, a rule
/// against it) is a refusal, shown with the server's words.
pub fn refusal(error: SourceError) -> SourceError {
    match error {
        SourceError::Http {
            status: 400 | 404 | 409 | 422,
            message,
        } => SourceError::Refused(message),
        other => other,
    }
}

/// The three write-backs every ticket system takes, each connector in its own API's terms;
/// [`write_back`] turns a [`WriteBack`] into the right one.
pub trait TicketWrites: Send {
    fn assign(
        &mut self,
        ticket: i64,
        agent: &str,
    ) -> impl std::future::Future<Output = Result<(), SourceError>> + Send;
    fn set_status(
        &mut self,
        ticket: i64,
        status: &str,
    ) -> impl std::future::Future<Output = Result<(), SourceError>> + Send;
    fn note(
        &mut self,
        ticket: i64,
        text: &str,
        author: &str,
    ) -> impl std::future::Future<Output = Result<(), SourceError>> + Send;
}

/// A ticket system as the queue sees it: it reads its open tickets in full, takes assign,
/// status and internal notes, and names its agents and statuses. Whatever implements this
/// is a [`Source`] (below), so the connectors state only what differs between them.
pub trait TicketSystem: TicketWrites {
    /// The connector kind as written in the config.
    const KIND: &'static str;

    fn source_id(&self) -> &SourceId;

    /// The tenant configured for the whole source, if any.
    fn fixed_tenant(&self) -> Option<TenantId>;

    /// Every open ticket, as items.
    fn read_tickets(
        &mut self,
        now: Timestamp,
    ) -> impl Future<Output = Result<Vec<Item>, SourceError>> + Send;

    /// What the last read could not read (records, pages, agents), if anything.
    fn partial_read(&self) -> Option<String>;

    /// One line for `config check`: who the credentials are, what was read.
    fn check_line(
        &mut self,
        now: Timestamp,
    ) -> impl Future<Output = Result<String, SourceError>> + Send;

    /// The agents and statuses read last.
    fn known_words(&self) -> Vocabulary;
}

impl<T: TicketSystem> Source for T {
    fn id(&self) -> &SourceId {
        self.source_id()
    }

    fn kind(&self) -> &'static str {
        T::KIND
    }

    fn tenant(&self) -> Option<TenantId> {
        self.fixed_tenant()
    }

    fn fetch(&mut self, now: Timestamp) -> BoxFuture<'_, Result<Fetched, SourceError>> {
        Box::pin(async move { self.read_tickets(now).await.map(Fetched::Full) })
    }

    fn degraded(&self) -> Option<String> {
        self.partial_read()
    }

    fn check(&mut self, now: Timestamp) -> BoxFuture<'_, Result<String, SourceError>> {
        Box::pin(self.check_line(now))
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            assign: true,
            set_status: true,
            note: true,
            ..Capabilities::default()
        }
    }

    fn vocabulary(&self) -> Vocabulary {
        self.known_words()
    }

    fn write_back<'a>(
        &'a mut self,
        item: &'a ItemKey,
        action: &'a WriteBack,
        _now: Timestamp,
    ) -> BoxFuture<'a, Result<(), SourceError>> {
        write_back(self, item, action)
    }
}

/// Carries out `action` on the ticket behind `item` (take and assign, status, internal
/// note); anything else is not a ticket system's to do.
pub fn write_back<'a, T: TicketWrites>(
    system: &'a mut T,
    item: &'a ItemKey,
    action: &'a WriteBack,
) -> BoxFuture<'a, Result<(), SourceError>> {
    Box::pin(async move {
        let ticket = ticket_id(item)?;
        match action {
            WriteBack::Assign { agent } => system.assign(ticket, agent).await,
            WriteBack::SetStatus { status } => system.set_status(ticket, status).await,
            WriteBack::Note { text, author } => system.note(ticket, text, author).await,
            _ => Err(SourceError::Unsupported),
        }
    })
}

/// The source's id of the ticket an item is.
pub fn ticket_id(item: &ItemKey) -> Result<i64, SourceError> {
    item.external_id
        .parse()
        .map_err(|_| SourceError::Refused(format!("`{}` is not a ticket id", item.external_id)))
}

// --------------------------------------------------------------------------------- items

/// What a connector read of one ticket, in the queue's terms except for tenant and
/// priority, which the source's [`Mapping`] decides.
pub struct Ticket {
    pub id: String,
    /// The number people use for it, when it is not the id (`22001`, `T20261128.0042`).
    pub number: Option<String>,
    pub title: String,
    /// The label that names the tenant (`project`, `organization`, `company`, `client`)
    /// with its value, when the ticket has one.
    pub tenant: Option<(&'static str, String)>,
    /// The source's priority word, looked up in the mapping's priority table.
    pub priority: String,
    pub status: Status,
    pub created: Timestamp,
    pub updated: Option<Timestamp>,
    pub assignee: Option<String>,
    pub link: Option<String>,
    pub sla: SlaFacts,
    /// More labels (queue, tracker, team, ...).
    pub labels: Vec<Label>,
}

impl Ticket {
    /// The queue item: tenant from the tenant label through the mapping, priority from the
    /// priority word, labels `number`, `priority` and `status` with the source's words.
    pub fn into_item(self, source: &SourceId, mapping: &Mapping) -> Item {
        let mut labels = Vec::with_capacity(self.labels.len() + 4);
        if let Some((name, value)) = &self.tenant {
            labels.push(label(name, value));
        }
        if let Some(number) = &self.number {
            labels.push(label("number", number));
        }
        labels.push(label("priority", &self.priority));
        labels.push(label("status", &self.status.label));
        labels.extend(self.labels);
        let mut item = new_item(
            ItemKey::new(source, &self.id),
            mapping.tenant(&labels),
            Kind::Ticket,
            &self.title,
            mapping.priority(&self.priority),
            self.status,
            self.created,
        );
        item.updated = Moment::new(self.updated.unwrap_or(self.created).max(self.created));
        item.assignee = self
            .assignee
            .map(|a| Arc::from(&*super::mapping::clip(&a, 200)));
        item.link = self.link.map(Into::into);
        item.labels = labels.into();
        item.sla = self.sla;
        item
    }
}

/// A time as a label value (`2026-11-28T02:00:00Z`).
pub fn time_label(name: &str, at: Timestamp) -> Label {
    label(
        name,
        &Timestamp::from_second(at.as_second())
            .unwrap_or(at)
            .to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_in_every_form_ticket_apis_write() {
        let z = |s: &str| parse_time(s).map(|t| t.to_string());
        assert_eq!(
            z("2021-11-03T11:51:13.790Z").as_deref(),
            Some("2021-11-03T11:51:13.79Z")
        );
        assert_eq!(
            z("2026-11-28T03:00:00+01:00").as_deref(),
            Some("2026-11-28T02:00:00Z")
        );
        assert_eq!(
            z("2026-11-28T02:00:00").as_deref(),
            Some("2026-11-28T02:00:00Z"),
            "no zone: UTC"
        );
        assert_eq!(z("1900-01-01T00:00:00"), None, "HaloPSA's none");
        assert_eq!(z(""), None);
        assert_eq!(z("tomorrow"), None);
    }

    #[test]
    fn status_words_config_first_then_common_then_known() {
        let rules = StatusRules::new(&BTreeMap::from([(
            "Beim Kunden".to_string(),
            StatusCategory::Waiting,
        )]));
        let s = |w: &str, known| rules.status(w, known, StatusCategory::New).category;
        assert_eq!(s("beim kunden", None), StatusCategory::Waiting);
        assert_eq!(s("In Progress", None), StatusCategory::Acknowledged);
        assert_eq!(s("Waiting Customer", None), StatusCategory::Waiting);
        assert_eq!(s("pending reminder", None), StatusCategory::Waiting);
        assert_eq!(
            s("Closed", Some(StatusCategory::New)),
            StatusCategory::Resolved
        );
        assert_eq!(
            s("Triage", Some(StatusCategory::Acknowledged)),
            StatusCategory::Acknowledged
        );
        assert_eq!(s("Triage", None), StatusCategory::New, "the fallback");
        assert_eq!(
            &*rules.status("Triage", None, StatusCategory::New).label,
            "Triage"
        );
    }

    #[test]
    fn a_shared_full_name_names_nobody() {
        let agents = Agents::new(vec![
            Agent {
                id: 1,
                name: "nina1".into(),
                aliases: vec!["Nina Nacht".into()],
            },
            Agent {
                id: 2,
                name: "nina2".into(),
                aliases: vec!["Nina Nacht".into()],
            },
        ]);
        let e = agent_named(&agents, "nina nacht").unwrap_err();
        assert!(
            e.to_string().contains("could be 2 agents (nina1, nina2)"),
            "{e}"
        );
        assert_eq!(agent_named(&agents, "NINA2").unwrap().id, 2);
    }

    #[test]
    fn agents_answer_to_any_of_their_names() {
        let agents = Agents::new(vec![Agent {
            id: 7,
            name: "anna".into(),
            aliases: vec!["Anna Schmidt".into(), "anna@msp.example".into()],
        }]);
        assert_eq!(agents.find("ANNA").map(|a| a.id), Some(7));
        assert_eq!(agents.find(" Anna Schmidt ").map(|a| a.id), Some(7));
        assert_eq!(agents.find("anna@msp.example").map(|a| a.id), Some(7));
        assert!(agents.find("bob").is_none());
        let e = agent_named(&agents, "bob").unwrap_err();
        assert_eq!(
            e,
            SourceError::Refused("no agent `bob` in this system (known: anna)".into())
        );
        let statuses = Choices::new(vec![(1, "New".into()), (2, "In Progress".into())]);
        assert_eq!(status_named(&statuses, "in progress"), Ok(2));
        assert!(
            matches!(status_named(&statuses, "Done"), Err(SourceError::Refused(m)) if m.contains("New, In Progress"))
        );
    }

    #[test]
    fn error_bodies_in_the_forms_ticket_apis_use() {
        assert_eq!(
            error_text(br#"{"errors":["Assignee is invalid","Status is invalid"]}"#).as_deref(),
            Some("Assignee is invalid; Status is invalid")
        );
        assert_eq!(
            error_text(br#"{"error":"Not authorized","error_human":"Authentication failed"}"#)
                .as_deref(),
            Some("Authentication failed")
        );
        assert_eq!(
            error_text(br#"{"error":"invalid_client","error_description":"bad secret"}"#)
                .as_deref(),
            Some("invalid_client: bad secret")
        );
        assert_eq!(
            error_text(br#"{"errors":[{"message":"Value out of range"}]}"#).as_deref(),
            Some("Value out of range")
        );
        assert_eq!(error_text(b"<html>boom</html>"), None);
    }

    #[test]
    fn refusals_are_the_request_errors_only() {
        let e = refusal(SourceError::Http {
            status: 422,
            message: "Assignee is invalid".into(),
        });
        assert_eq!(e, SourceError::Refused("Assignee is invalid".into()));
        let e = refusal(SourceError::Http {
            status: 500,
            message: "boom".into(),
        });
        assert!(matches!(e, SourceError::Http { status: 500, .. }));
    }

    #[test]
    fn vocabulary_is_read_again_after_a_while() {
        let t0: Timestamp = "2026-11-28T02:00:00Z".parse().unwrap();
        let mut read = ReadAt::default();
        assert!(read.due(t0));
        read.mark(t0);
        assert!(!read.due(t0 + SignedDuration::from_mins(9)));
        assert!(read.due(t0 + SignedDuration::from_mins(10)));
        read.expire();
        assert!(read.due(t0));
    }

    #[test]
    fn pages_are_read_until_none_is_named_and_at_most_max() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let page = |n: u32, more: bool| Page {
            records: Decoded {
                records: vec![n],
                skipped: usize::from(n == 2),
                first_error: (n == 2).then(|| "bad".to_string()),
            },
            next: more.then_some(n + 1),
        };
        let all = rt
            .block_on(read_pages(1, |n| async move { Ok(page(n, n < 3)) }))
            .unwrap();
        assert_eq!(all.records, [1, 2, 3]);
        assert_eq!(all.skipped, 1);
        assert!(!all.truncated);
        assert!(
            all.problem("tickets")
                .unwrap()
                .starts_with("1 of 4 tickets")
        );
        let endless = rt
            .block_on(read_pages(1, |n| async move { Ok(page(n, true)) }))
            .unwrap();
        assert_eq!(endless.records.len(), MAX_PAGES);
        assert!(endless.truncated);
        assert_eq!(next_page_when_full(1, 100, 100), Some(2));
        assert_eq!(next_page_when_full(1, 99, 100), None);
        assert_eq!(next_page_below_total(2, 50, 101), Some(3));
        assert_eq!(next_page_below_total(3, 50, 101), None);
    }
}
