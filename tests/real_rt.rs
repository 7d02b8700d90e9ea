//! The Request Tracker connector against the shared real RT 5.0.3 on 127.0.0.1 (started by
//! `scripts/services.sh start rt`). Every test makes its own queue, users and tickets with
//! unique names; the connector's user has only the rights docs/sources.md lists. Tickets
//! read with tenant, priority, due, status and link; take, assign, status and internal
//! notes checked on the server; a change behind the connector's back is a conflict that
//! names it and keeps it, also when a read of the queue picked it up after the user saw the
//! ticket, and when it came in the same second as the queue's read; RT itself answers a stale `If-Match` with 412; a wrong password is an auth
//! failure; a token works.

mod common;

use common::servers::{RT_NIGHTDESK_RIGHTS, RT_URL, RtApi, RtUser, rt_setup, unique};
use jiff::{SignedDuration, Timestamp, Unit};
use nightdesk::model::{Item, ItemKey, Moment, Priority, SourceId, StatusCategory};
use nightdesk::sources::{AsSeen, Fetched, Source, SourceError, WriteBack};
use serde_json::{Value, json};

/// One test's queue, the connector's user (`agent`), a colleague (`other`) who may own
/// and change tickets, and a group of both for completion.
struct Desk {
    api: RtApi,
    queue: String,
    agent: RtUser,
    other: RtUser,
    group: String,
}

impl Desk {
    fn new() -> Desk {
        Self::with(|_, _| Vec::new()).0
    }

    /// Sets everything up; `extra` set-up commands (tokens, custom fields; given the queue
    /// and the agent) run in the same Perl one-off, whose output lines are returned.
    fn with(extra: impl FnOnce(&str, &RtUser) -> Vec<String>) -> (Desk, Vec<String>) {
        let api = RtApi::root();
        let queue = unique("nd-queue");
        api.create_queue(&queue);
        let agent = RtUser::create(&api, "nd-agent");
        let other = RtUser::create(&api, "nd-other");
        let group = api.create_group(&[&agent, &other]);
        let mut commands = vec![
            format!(
                "grant {} queue {queue} {}",
                agent.name,
                RT_NIGHTDESK_RIGHTS.join(" ")
            ),
            format!("grant {} group {group} SeeGroup", agent.name),
            format!(
                "grant {} queue {queue} SeeQueue ShowTicket OwnTicket ModifyTicket CommentOnTicket",
                other.name
            ),
        ];
        commands.extend(extra(&queue, &agent));
        let output = rt_setup(&commands);
        let desk = Desk {
            api,
            queue,
            agent,
            other,
            group,
        };
        (desk, output)
    }

    fn ticket(&self, fields: Value) -> String {
        let mut fields = fields;
        fields["Queue"] = Value::from(self.queue.as_str());
        self.api.create_ticket(fields)
    }

    /// The connector's source: `auth` as given, the lines `extra` added.
    fn source(&self, auth: &str, extra: &str) -> Box<dyn Source> {
        common::source(&format!(
            r#"
[[tenants]]
id = "mueller"
[[tenants]]
id = "schmidt"

[[sources]]
id = "rt"
kind = "rt"
base-url = "{RT_URL}"
{auth}
agent-groups = ["{group}"]
{extra}
"#,
            group = self.group
        ))
    }

    /// Logged in as the agent, reading the active tickets of the queue for `mueller`.
    fn agent_source(&self) -> Box<dyn Source> {
        self.source(
            &login(&self.agent.name, &self.agent.password),
            &self.mueller(),
        )
    }

    fn mueller(&self) -> String {
        format!(
            r#"queries = [{{ tenant = "mueller", query = "Queue = '{}' AND Status = '__Active__'" }}]"#,
            self.queue
        )
    }
}

fn login(user: &str, password: &str) -> String {
    format!(r#"auth = {{ user = "{user}", password = {{ command = ["echo", "{password}"] }} }}"#)
}

fn fetch(rt: &tokio::runtime::Runtime, source: &mut Box<dyn Source>) -> Vec<Item> {
    match rt.block_on(source.fetch(Timestamp::now())).expect("fetch") {
        Fetched::Full(items) => items,
        Fetched::Delta { .. } => panic!("rt answers in full"),
    }
}

fn by_id<'a>(items: &'a [Item], id: &str) -> &'a Item {
    items
        .iter()
        .find(|i| &*i.key.external_id == id)
        .unwrap_or_else(|| panic!("no ticket {id} in {items:#?}"))
}

fn write_back(
    rt: &tokio::runtime::Runtime,
    source: &mut Box<dyn Source>,
    id: &str,
    action: WriteBack,
) -> Result<(), SourceError> {
    let key = ItemKey::new(&SourceId::new("rt"), id);
    rt.block_on(source.write_back(&key, &action, Timestamp::now()))
}

/// A write-back from a user who had the item in front of them as `seen`.
fn write_back_seen(
    rt: &tokio::runtime::Runtime,
    source: &mut Box<dyn Source>,
    id: &str,
    action: WriteBack,
    seen: &AsSeen,
) -> Result<(), SourceError> {
    let key = ItemKey::new(&SourceId::new("rt"), id);
    rt.block_on(source.write_back_as_seen(&key, &action, Some(seen), Timestamp::now()))
}

fn owner(ticket: &Value) -> &str {
    ticket["Owner"]["id"].as_str().unwrap_or("?")
}

fn status(ticket: &Value) -> &str {
    ticket["Status"].as_str().unwrap_or("?")
}

fn rt_time(v: &Value) -> Timestamp {
    v.as_str().expect("time").parse().expect("RT time")
}

#[test]
fn tickets_become_items_with_tenant_priority_due_status_and_link() {
    let cf = unique("nd-kunde");
    let (desk, _) = Desk::with(|queue, agent| vec![format!("cf {cf} {queue} {}", agent.name)]);
    let due = Timestamp::now().round(Unit::Second).unwrap() + SignedDuration::from_hours(4);
    let urgent = desk.ticket(json!({
        "Subject": "Server down \u{1b}[31m", "Priority": 90, "Due": due.to_string(),
        "Requestor": "kunde@mueller.example", "CustomFields": {cf.as_str(): "mm"}
    }));
    let printer = desk.ticket(json!({"Subject": "Printer jams", "Priority": 50}));
    let parts = desk.ticket(json!({"Subject": "Waiting for parts", "Priority": 10}));
    desk.api.update_ticket(&parts, json!({"Status": "stalled"}));
    // RT notes a reply (`Told`) only on tickets with a requestor.
    let taken = desk.ticket(json!({"Subject": "VPN slow", "Priority": 65,
        "Requestor": "it@mueller.example"}));
    desk.api
        .update_ticket(&taken, json!({"Owner": desk.other.name, "Status": "open"}));
    desk.api
        .add_message(&taken, "correspond", "We are looking into it");
    let done = desk.ticket(json!({"Subject": "Old problem", "Priority": 50}));
    desk.api.update_ticket(&done, json!({"Status": "resolved"}));

    let rt = common::runtime();
    let mut source = desk.agent_source();
    let items = fetch(&rt, &mut source);
    let mut ids: Vec<&str> = items.iter().map(|i| &*i.key.external_id).collect();
    ids.sort_by_key(|id| id.parse::<u64>().unwrap());
    assert_eq!(ids, [&*urgent, &*printer, &*parts, &*taken], "active only");
    assert_eq!(source.degraded(), None);

    let item = by_id(&items, &urgent);
    assert_eq!(
        &*item.title, "Server down \u{1b}[31m",
        "text is kept as data"
    );
    assert_eq!(item.tenant.as_str(), "mueller", "the query's tenant");
    assert_eq!(item.priority, Priority::P1, "90 is critical");
    assert_eq!(
        item.sla.supplied_resolution_due,
        Some(Moment::new(due)),
        "RT's Due"
    );
    assert_eq!(item.status.category, StatusCategory::New);
    assert_eq!(&*item.status.label, "new");
    assert_eq!(item.assignee, None, "Nobody is nobody");
    assert_eq!(
        item.link.as_deref(),
        Some(&*format!("{RT_URL}/Ticket/Display.html?id={urgent}"))
    );
    assert_eq!(item.label("queue"), Some(desk.queue.as_str()));
    assert_eq!(item.label("requestor"), Some("kunde@mueller.example"));
    assert_eq!(item.label(&cf), Some("mm"), "custom fields are labels");
    assert_eq!(item.sla.first_response_at, None, "nobody replied");

    let printer_item = by_id(&items, &printer);
    assert_eq!(printer_item.priority, Priority::P3, "50 is normal");
    assert_eq!(
        printer_item.sla.supplied_resolution_due, None,
        "no Due: unset"
    );

    let parts_item = by_id(&items, &parts);
    assert_eq!(parts_item.priority, Priority::P4, "10 is low");
    assert_eq!(parts_item.status.category, StatusCategory::Waiting);
    assert_eq!(&*parts_item.status.label, "stalled");
    assert!(
        !parts_item.sla.paused_by_source,
        "the contract pauses stalled"
    );

    let taken_item = by_id(&items, &taken);
    assert_eq!(taken_item.priority, Priority::P2, "65 is high");
    assert_eq!(
        taken_item.assignee.as_deref(),
        Some(desk.other.name.as_str())
    );
    assert_eq!(taken_item.status.category, StatusCategory::Acknowledged);
    let reply = desk
        .api
        .history(&taken)
        .into_iter()
        .find(|t| t["Type"] == "Correspond")
        .expect("the reply");
    assert_eq!(
        taken_item.sla.first_response_at,
        Some(Moment::new(rt_time(&reply["Created"]))),
        "the first staff reply"
    );

    let vocabulary = source.vocabulary();
    for name in [&desk.agent.name, &desk.other.name] {
        assert!(vocabulary.agents.contains(name), "{vocabulary:?}");
    }
    assert_eq!(
        vocabulary.statuses[..6],
        ["new", "open", "stalled", "resolved", "rejected", "deleted"]
    );

    let text = rt.block_on(source.check(Timestamp::now())).expect("check");
    assert_eq!(text, "RT 5.0.3, 4 tickets");

    // One search for all, the tenant from the custom field; the resolved ticket too.
    let mut by_field = desk.source(
        &login(&desk.agent.name, &desk.agent.password),
        &format!(
            "query = \"Queue = '{}'\"\ntenant-label = \"{cf}\"\ntenant-map = {{ \"mm\" = \"schmidt\" }}",
            desk.queue
        ),
    );
    let items = fetch(&rt, &mut by_field);
    assert_eq!(items.len(), 5);
    assert_eq!(by_id(&items, &urgent).tenant.as_str(), "schmidt");
    assert_eq!(by_id(&items, &printer).tenant.as_str(), "unmapped");
    let done_item = by_id(&items, &done);
    assert_eq!(done_item.status.category, StatusCategory::Resolved);
    let resolved = rt_time(&desk.api.ticket(&done)["Resolved"]);
    assert_eq!(done_item.sla.resolved_at, Some(Moment::new(resolved)));

    // The queue name is the default tenant label; two tickets a page: three pages.
    let mut by_queue = desk.source(
        &login(&desk.agent.name, &desk.agent.password),
        &format!(
            "query = \"Queue = '{q}'\"\ntenant-map = {{ \"{q}\" = \"mueller\" }}\nper-page = 2",
            q = desk.queue
        ),
    );
    let items = fetch(&rt, &mut by_queue);
    assert_eq!(items.len(), 5, "every page read");
    assert!(
        items.iter().all(|i| i.tenant.as_str() == "mueller"),
        "{items:#?}"
    );
    assert_eq!(
        by_id(&items, &taken).sla.first_response_at,
        Some(Moment::new(rt_time(&reply["Created"]))),
        "the reply is found when transactions come in pages too"
    );
}

#[test]
fn take_assign_status_and_note_are_made_on_the_server() {
    let desk = Desk::new();
    let id = desk.ticket(json!({"Subject": "Mail queue stuck", "Priority": 70,
        "Requestor": "kunde@mueller.example"}));
    let rt = common::runtime();
    let mut source = desk.agent_source();
    fetch(&rt, &mut source);

    // No read in between: each write starts from the connector's own last write.
    let take = WriteBack::Assign {
        agent: desk.agent.name.clone(),
    };
    write_back(&rt, &mut source, &id, take).expect("take");
    assert_eq!(owner(&desk.api.ticket(&id)), desk.agent.name);

    let assign = WriteBack::Assign {
        agent: desk.other.name.clone(),
    };
    write_back(&rt, &mut source, &id, assign).expect("assign");
    assert_eq!(owner(&desk.api.ticket(&id)), desk.other.name);

    let stall = WriteBack::SetStatus {
        status: "stalled".into(),
    };
    write_back(&rt, &mut source, &id, stall).expect("set status");
    assert_eq!(status(&desk.api.ticket(&id)), "stalled");

    let note = WriteBack::Note {
        text: "Kunde informiert, \u{1b}[31mPostfix neu gestartet".into(),
        author: "nachtschicht".into(),
    };
    write_back(&rt, &mut source, &id, note).expect("note");
    let history = desk.api.history(&id);
    let comment = history.last().expect("history");
    assert_eq!(
        comment["Type"], "Comment",
        "an internal comment: {history:#?}"
    );
    assert_eq!(comment["Creator"]["id"], desk.agent.name.as_str());
    assert_eq!(
        desk.api
            .transaction_text(comment["id"].as_str().unwrap())
            .trim(),
        "[nachtschicht] Kunde informiert, \u{1b}[31mPostfix neu gestartet"
    );
    assert!(
        !history.iter().any(|t| t["Type"] == "Correspond"),
        "nothing was sent to the requestor"
    );

    let items = fetch(&rt, &mut source);
    let item = by_id(&items, &id);
    assert_eq!(item.assignee.as_deref(), Some(desk.other.name.as_str()));
    assert_eq!(item.status.category, StatusCategory::Waiting);

    // Refusals arrive as RT's words; the ticket stays as it was.
    let to_requestor = WriteBack::Assign {
        agent: "kunde@mueller.example".into(),
    };
    let e = write_back(&rt, &mut source, &id, to_requestor).unwrap_err();
    assert!(
        matches!(&e, SourceError::Refused(m) if m.contains("may not own tickets")),
        "{e}"
    );
    let bogus = WriteBack::SetStatus {
        status: "erledigt".into(),
    };
    let e = write_back(&rt, &mut source, &id, bogus).unwrap_err();
    assert!(
        matches!(&e, SourceError::Refused(m) if m.contains("isn't a valid status")),
        "{e}"
    );
    let ticket = desk.api.ticket(&id);
    assert_eq!(
        (owner(&ticket), status(&ticket)),
        (&*desk.other.name, "stalled")
    );
}

#[test]
fn a_change_behind_the_connectors_back_is_a_conflict_that_names_it() {
    let desk = Desk::new();
    let id = desk.ticket(json!({"Subject": "Backup failed", "Priority": 80}));
    let rt = common::runtime();
    let mut source = desk.agent_source();
    fetch(&rt, &mut source);

    // The colleague takes the ticket and opens it while the agent looks at the old view.
    let colleague = RtApi::as_user(&desk.other);
    colleague.update_ticket(&id, json!({"Owner": desk.other.name, "Status": "open"}));
    let resolve = WriteBack::SetStatus {
        status: "resolved".into(),
    };
    let e = write_back(&rt, &mut source, &id, resolve.clone()).unwrap_err();
    let SourceError::Conflict(message) = &e else {
        panic!("not a conflict: {e}");
    };
    assert!(
        message.contains(&format!("Owner Nobody → {}", desk.other.name)),
        "{message}"
    );
    assert!(message.contains("Status new → open"), "{message}");
    assert!(
        message.contains(&format!("by {}", desk.other.name)),
        "{message}"
    );
    let ticket = desk.api.ticket(&id);
    assert_eq!(
        (owner(&ticket), status(&ticket)),
        (&*desk.other.name, "open"),
        "the colleague's change stays"
    );

    // A note adds and overwrites nothing: it goes through, and the change is still
    // reported to the next write.
    let note = WriteBack::Note {
        text: "checking the tape".into(),
        author: "nachtschicht".into(),
    };
    write_back(&rt, &mut source, &id, note).expect("note");
    let e = write_back(&rt, &mut source, &id, resolve.clone()).unwrap_err();
    assert!(matches!(e, SourceError::Conflict(_)), "{e}");

    // After a read the agent sees the change; a comment of the colleague is news again.
    fetch(&rt, &mut source);
    colleague.add_message(&id, "comment", "tape replaced");
    let take = WriteBack::Assign {
        agent: desk.agent.name.clone(),
    };
    let e = write_back(&rt, &mut source, &id, take).unwrap_err();
    assert!(
        matches!(&e, SourceError::Conflict(m) if m.contains(&format!("comment by {}", desk.other.name))),
        "{e}"
    );
    assert_eq!(owner(&desk.api.ticket(&id)), desk.other.name);

    // Seen now: the same change goes through.
    fetch(&rt, &mut source);
    write_back(&rt, &mut source, &id, resolve).expect("resolve after a read");
    assert_eq!(status(&desk.api.ticket(&id)), "resolved");
}

/// RT's times are to the second: a comment in the very second the queue read the ticket
/// leaves `LastUpdated` as the queue saw it, and is still news to both kinds of write.
/// Rounds until the comment fell in that second (RT answers in well under a second, so
/// the first round nearly always does); the comment's own time says whether it did.
#[test]
fn a_comment_in_the_second_the_queue_read_the_ticket_is_still_a_conflict() {
    let desk = Desk::new();
    let id = desk.ticket(json!({"Subject": "Certificate expires", "Priority": 60}));
    let rt = common::runtime();
    let mut source = desk.agent_source();
    let colleague = RtApi::as_user(&desk.other);
    let open = WriteBack::SetStatus {
        status: "open".into(),
    };
    let mut same_second_rounds = 0;
    for round in 0..10 {
        colleague.add_message(&id, "comment", &format!("round {round}: looking"));
        let shown = AsSeen::of(by_id(&fetch(&rt, &mut source), &id));
        colleague.add_message(&id, "comment", &format!("round {round}: renewed"));
        let comment = desk.api.history(&id).pop().expect("the comment");
        if rt_time(&comment["Created"]).as_second() != shown.updated.as_second() {
            continue;
        }
        same_second_rounds += 1;
        let e = write_back(&rt, &mut source, &id, open.clone()).unwrap_err();
        assert!(
            matches!(&e, SourceError::Conflict(m) if m.contains(&format!("comment by {}", desk.other.name))),
            "a write from the queue's read: {e}"
        );
        let e = write_back_seen(&rt, &mut source, &id, open.clone(), &shown).unwrap_err();
        assert!(
            matches!(&e, SourceError::Conflict(m) if m.contains(&format!("comment by {}", desk.other.name))),
            "a write from the form: {e}"
        );
        assert_eq!(status(&desk.api.ticket(&id)), "new", "nothing was changed");
        break;
    }
    assert_eq!(
        same_second_rounds, 1,
        "no comment fell in the second of a read"
    );

    // Read again, the same write goes through.
    fetch(&rt, &mut source);
    write_back(&rt, &mut source, &id, open).expect("after a read");
    assert_eq!(status(&desk.api.ticket(&id)), "open");
}

#[test]
fn real_rt_refuses_a_write_with_a_stale_etag_with_412() {
    let desk = Desk::new();
    let id = desk.ticket(json!({"Subject": "RAID degraded", "Priority": 70}));
    let agent = RtApi::as_user(&desk.agent);
    let path = format!("/ticket/{id}");
    let etag_of = |headers: &reqwest::header::HeaderMap| {
        headers
            .get("etag")
            .expect("RT sends an ETag with a ticket")
            .to_str()
            .unwrap()
            .to_string()
    };
    let (code, headers, _) = agent.raw(reqwest::Method::GET, &path, &[], None);
    assert_eq!(code, 200);
    let stale = etag_of(&headers);

    // The colleague takes the ticket after the agent read it.
    RtApi::as_user(&desk.other).update_ticket(&id, json!({"Owner": desk.other.name}));
    let resolve = json!({"Status": "resolved"});
    let (code, _, body) = agent.raw(
        reqwest::Method::PUT,
        &path,
        &[("If-Match", &stale)],
        Some(resolve.clone()),
    );
    assert_eq!(code, 412, "a stale ETag: {body}");
    let ticket = desk.api.ticket(&id);
    assert_eq!(
        (owner(&ticket), status(&ticket)),
        (&*desk.other.name, "new"),
        "RT did not make the change"
    );

    // With the ETag of the ticket as it is, the same write is made.
    let (_, headers, _) = agent.raw(reqwest::Method::GET, &path, &[], None);
    let fresh = etag_of(&headers);
    assert_ne!(fresh, stale, "the colleague's change made a new ETag");
    let (code, _, body) = agent.raw(
        reqwest::Method::PUT,
        &path,
        &[("If-Match", &fresh)],
        Some(resolve),
    );
    assert_eq!(code, 200, "{body}");
    assert_eq!(status(&desk.api.ticket(&id)), "resolved");
}

#[test]
fn a_change_after_the_user_saw_the_ticket_is_a_conflict_although_the_queue_read_it_since() {
    let desk = Desk::new();
    let id = desk.ticket(json!({"Subject": "Firewall rule request", "Priority": 60}));
    let rt = common::runtime();
    let mut source = desk.agent_source();
    // The agent opens the status form on the ticket as the queue shows it.
    let shown = AsSeen::of(by_id(&fetch(&rt, &mut source), &id));
    assert_eq!(shown.assignee, None);

    // Meanwhile the colleague takes and opens it, and the next read of the queue shows it.
    let colleague = RtApi::as_user(&desk.other);
    colleague.update_ticket(&id, json!({"Owner": desk.other.name, "Status": "open"}));
    let items = fetch(&rt, &mut source);
    assert_eq!(
        by_id(&items, &id).assignee.as_deref(),
        Some(desk.other.name.as_str()),
        "the connector's last read has the change"
    );
    let changed = desk.api.history(&id).len();

    let stall = WriteBack::SetStatus {
        status: "stalled".into(),
    };
    let e = write_back_seen(&rt, &mut source, &id, stall.clone(), &shown).unwrap_err();
    let SourceError::Conflict(message) = &e else {
        panic!("not a conflict: {e}");
    };
    for part in [
        format!("ticket {id} changed by {}", desk.other.name),
        format!("Owner Nobody → {}", desk.other.name),
        "Status new → open".to_string(),
    ] {
        assert!(message.contains(&part), "{part:?} in {message}");
    }
    let ticket = desk.api.ticket(&id);
    assert_eq!(
        (owner(&ticket), status(&ticket)),
        (&*desk.other.name, "open"),
        "the colleague's change stays"
    );
    assert_eq!(desk.api.history(&id).len(), changed, "nothing was written");

    // Told what changed, the agent sends the same again: it goes through.
    write_back_seen(&rt, &mut source, &id, stall, &shown).expect("after the conflict");
    assert_eq!(status(&desk.api.ticket(&id)), "stalled");
    // Forms opened before the agent's own writes are not outdated by them.
    let note = WriteBack::Note {
        text: "waiting for the change window".into(),
        author: desk.agent.name.clone(),
    };
    write_back_seen(&rt, &mut source, &id, note, &shown).expect("note");
    let open = WriteBack::SetStatus {
        status: "open".into(),
    };
    write_back_seen(&rt, &mut source, &id, open, &shown).expect("own writes are no conflict");
    assert_eq!(status(&desk.api.ticket(&id)), "open");

    // The colleague's comment after that is news to that form.
    colleague.add_message(&id, "comment", "customer called back");
    let resolve = WriteBack::SetStatus {
        status: "resolved".into(),
    };
    let e = write_back_seen(&rt, &mut source, &id, resolve.clone(), &shown).unwrap_err();
    assert!(
        matches!(&e, SourceError::Conflict(m)
            if m.contains(&format!("comment by {}", desk.other.name))
                && !m.contains("Owner") && !m.contains("Status")),
        "only what the agent has not seen: {e}"
    );
    assert_eq!(status(&desk.api.ticket(&id)), "open");

    // Seen as it is now, the change is made.
    let shown = AsSeen::of(by_id(&fetch(&rt, &mut source), &id));
    write_back_seen(&rt, &mut source, &id, resolve, &shown).expect("seen now");
    assert_eq!(status(&desk.api.ticket(&id)), "resolved");
}

#[test]
fn a_wrong_password_is_an_auth_failure_and_a_token_works() {
    let (desk, mut tokens) = Desk::with(|_, agent| vec![format!("token {}", agent.name)]);
    let token = tokens.pop().expect("token");
    let id = desk.ticket(json!({"Subject": "Token test", "Priority": 40}));
    let rt = common::runtime();

    let mut wrong = desk.source(
        &login(&desk.agent.name, "not-the-password"),
        &desk.mueller(),
    );
    let e = rt.block_on(wrong.fetch(Timestamp::now())).unwrap_err();
    assert!(
        matches!(&e, SourceError::Auth(m) if m.contains("401")),
        "{e}"
    );
    let e = rt.block_on(wrong.check(Timestamp::now())).unwrap_err();
    assert!(matches!(e, SourceError::Auth(_)), "{e}");

    let mut bogus = desk.source(
        r#"auth = { command = ["echo", "1-1-deadbeef"] }"#,
        &desk.mueller(),
    );
    let e = rt.block_on(bogus.fetch(Timestamp::now())).unwrap_err();
    assert!(matches!(e, SourceError::Auth(_)), "{e}");

    let mut by_token = desk.source(
        &format!(r#"auth = {{ command = ["echo", "{token}"] }}"#),
        &desk.mueller(),
    );
    let items = fetch(&rt, &mut by_token);
    assert_eq!(by_id(&items, &id).tenant.as_str(), "mueller");
    let take = WriteBack::Assign {
        agent: desk.agent.name.clone(),
    };
    write_back(&rt, &mut by_token, &id, take).expect("take with a token");
    assert_eq!(owner(&desk.api.ticket(&id)), desk.agent.name);
}
