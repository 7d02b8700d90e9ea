//! Recorded REST2 shapes (RT 5.0.3) through the connector's reading and mapping.

use super::records::rt_time;
use super::*;
use crate::config::MappingConfig;
use crate::sources::http::{EndpointSpec, Limiter};

fn connector(settings: &RtSettings, config: MappingConfig) -> Rt {
    let spec = EndpointSpec {
        base_url: "http://rt.invalid/REST/2.0".into(),
        ca_file: None,
        insecure: false,
        timeout: std::time::Duration::from_secs(1),
        auth: None,
        follow_redirects: true,
    };
    Rt {
        id: SourceId::new("rt"),
        tenant: None,
        endpoint: Endpoint::new(&spec, Limiter::new(1)).unwrap(),
        web: "http://rt.invalid".into(),
        searches: searches(settings, &[]).unwrap(),
        per_page: MAX_PER_PAGE,
        priority_field: settings.priority_field.clone(),
        agent_groups: Vec::new(),
        mapping: Mapping::new(
            &config,
            None,
            DEFAULT_PRIORITIES,
            Some(DEFAULT_TENANT_LABEL),
            vec![],
        ),
        api_user: Some("nightdesk".into()),
        seen: HashMap::new(),
        known: HashMap::new(),
        first_responses: HashMap::new(),
        group_agents: BTreeSet::new(),
        agents_read: None,
        known_statuses: DEFAULT_STATUSES.iter().map(|s| s.to_string()).collect(),
        vocabulary: Vocabulary::default(),
        degraded: None,
    }
}

/// A search result item as RT 5.0.3 writes it: every number a string, unset dates 1970.
fn recorded_ticket() -> Value {
    json!({
        "id": "17", "type": "ticket", "_url": "http://rt.invalid/REST/2.0/ticket/17",
        "Subject": "Disk full on db1", "Status": "open", "Priority": "85",
        "Queue": {"type": "queue", "id": "3", "Name": "Mueller", "_url": "…/queue/3"},
        "Owner": {"type": "user", "id": "alice", "_url": "…/user/alice"},
        "Requestor": [{"type": "user", "id": "kunde@mueller.example", "_url": "…"}],
        "Created": "2026-11-28T19:25:56Z", "LastUpdated": "2026-11-28T20:00:00Z",
        "Told": "1970-01-01T00:00:00Z", "Due": "2026-11-29T08:00:00Z",
        "Starts": "1970-01-01T00:00:00Z", "Resolved": "1970-01-01T00:00:00Z",
        "CustomFields": [
            {"type": "customfield", "id": "1", "name": "Kunde", "values": ["mm"], "_url": "…"},
            {"type": "customfield", "id": "2", "name": "Queue", "values": ["shadow"], "_url": "…"}
        ]
    })
}

fn items_of(rt: &mut Rt, raw: Vec<Value>) -> (Vec<Item>, Decoded<TicketRecord>) {
    let decoded = decode_each::<TicketRecord>(raw);
    let found: Vec<Found> = decoded
        .records
        .iter()
        .cloned()
        .map(|ticket| Found {
            tenant: None,
            ticket,
        })
        .collect();
    rt.update_vocabulary(&found);
    let items = found.iter().map(|f| rt.item(f)).collect();
    (items, decoded)
}

#[test]
fn a_recorded_ticket_becomes_an_item() {
    let config = MappingConfig {
        tenant_map: [("Mueller".to_string(), TenantId::new("mueller"))].into(),
        ..MappingConfig::default()
    };
    let mut rt = connector(&RtSettings::default(), config);
    let (items, decoded) = items_of(&mut rt, vec![recorded_ticket()]);
    assert_eq!(decoded.skipped, 0, "{:?}", decoded.first_error);
    let item = &items[0];
    assert_eq!(&*item.key.external_id, "17");
    assert_eq!(item.kind, Kind::Ticket);
    assert_eq!(&*item.title, "Disk full on db1");
    assert_eq!(
        item.tenant.as_str(),
        "mueller",
        "queue name through tenant-map"
    );
    assert_eq!(item.priority, Priority::P1, "85 is critical");
    assert_eq!(
        item.status,
        Status::new(StatusCategory::Acknowledged, "open")
    );
    assert_eq!(item.assignee.as_deref(), Some("alice"));
    assert_eq!(
        item.link.as_deref(),
        Some("http://rt.invalid/Ticket/Display.html?id=17")
    );
    assert_eq!(
        item.sla.supplied_resolution_due.map(Moment::timestamp),
        Some("2026-11-29T08:00:00Z".parse().unwrap())
    );
    assert_eq!(item.sla.first_response_at, None, "Told 1970 is unset");
    assert_eq!(item.sla.resolved_at, None);
    assert_eq!(
        item.created.timestamp(),
        "2026-11-28T19:25:56Z".parse().unwrap()
    );
    assert_eq!(
        item.updated.timestamp(),
        "2026-11-28T20:00:00Z".parse().unwrap()
    );
    assert_eq!(item.label("queue"), Some("Mueller"));
    assert_eq!(item.label("requestor"), Some("kunde@mueller.example"));
    assert_eq!(item.label("priority"), Some("85"));
    assert_eq!(item.label("Kunde"), Some("mm"));
    assert_eq!(item.label("starts"), None);
    let queues: Vec<&str> = item
        .labels
        .iter()
        .filter(|(k, _)| *k == "queue")
        .map(|(_, v)| v)
        .collect();
    assert_eq!(
        queues,
        ["Mueller"],
        "a custom field cannot pose as the queue"
    );
    assert!(rt.vocabulary.agents.contains(&"alice".to_string()));
    assert!(rt.vocabulary.agents.contains(&"nightdesk".to_string()));
    assert_eq!(rt.vocabulary.statuses[..6], DEFAULT_STATUSES[..]);
}

#[test]
fn numbers_as_numbers_and_a_single_record_read_the_same() {
    // GET /ticket/N writes the id as a number and has no queue name.
    let mut raw = recorded_ticket();
    raw["id"] = json!(17);
    raw["Priority"] = json!(20);
    raw["Queue"] = json!({"type": "queue", "id": 3});
    raw["CustomFields"] = json!("");
    let ticket: TicketRecord = serde_json::from_value(raw).unwrap();
    assert_eq!(ticket.id, "17");
    assert_eq!(ticket.priority, Some(20));
    assert_eq!(ticket.queue.as_ref().unwrap().shown(), "3");
    assert!(ticket.custom_fields.is_empty(), "\"\" is no custom fields");
}

#[test]
fn unset_and_broken_fields_skip_and_count_the_record() {
    let mut no_status = recorded_ticket();
    no_status.as_object_mut().unwrap().remove("Status");
    let mut bad_due = recorded_ticket();
    bad_due["Due"] = json!("tomorrow");
    let mut bad_priority = recorded_ticket();
    bad_priority["Priority"] = json!("urgent");
    let mut minimal = json!({"id": "18", "Status": "new", "Created": "2026-11-28T19:25:56Z"});
    minimal["Owner"] = json!({"type": "user", "id": "Nobody"});
    let mut rt = connector(&RtSettings::default(), MappingConfig::default());
    let (items, decoded) = items_of(
        &mut rt,
        vec![recorded_ticket(), no_status, bad_due, bad_priority, minimal],
    );
    assert_eq!(items.len(), 2);
    let problem = decoded.problem("tickets").unwrap();
    assert!(
        problem.starts_with("3 of 5 tickets could not be read"),
        "{problem}"
    );
    assert!(problem.contains("Status"), "{problem}");
    let minimal = &items[1];
    assert_eq!(minimal.assignee, None, "Nobody is no assignee");
    assert_eq!(&*minimal.title, "");
    assert_eq!(minimal.priority, Priority::P3, "no priority: the default");
    assert_eq!(minimal.tenant.as_str(), "unmapped");
    assert_eq!(minimal.status.category, StatusCategory::New);
}

#[test]
fn escape_sequences_stay_data() {
    let subject = "\x1b[2J\x1b[31mOUTAGE\x07 \u{202e}evil\r\nsecond";
    let mut raw = recorded_ticket();
    raw["Subject"] = json!(subject);
    raw["Owner"] = json!({"type": "user", "id": "\x1b]8;;http://x\x1b\\alice"});
    let mut rt = connector(&RtSettings::default(), MappingConfig::default());
    let (items, _) = items_of(&mut rt, vec![raw]);
    assert_eq!(&*items[0].title, subject);
    assert_eq!(
        items[0].assignee.as_deref(),
        Some("\x1b]8;;http://x\x1b\\alice")
    );
}

#[test]
fn priorities_come_in_bands_or_from_a_custom_field() {
    assert_eq!(priority_band(Some(100)), "critical");
    assert_eq!(priority_band(Some(80)), "critical");
    assert_eq!(priority_band(Some(79)), "high");
    assert_eq!(priority_band(Some(60)), "high");
    assert_eq!(priority_band(Some(50)), "normal");
    assert_eq!(priority_band(Some(30)), "normal");
    assert_eq!(priority_band(Some(29)), "low");
    assert_eq!(priority_band(Some(-5)), "low");
    assert_eq!(priority_band(None), "");

    let settings = RtSettings {
        priority_field: Some("severity".into()),
        ..RtSettings::default()
    };
    let config = MappingConfig {
        priorities: [
            ("kritisch".to_string(), Priority::P1),
            ("normal".to_string(), Priority::P4),
        ]
        .into(),
        ..MappingConfig::default()
    };
    let mut rt = connector(&settings, config);
    let mut by_field = recorded_ticket();
    by_field["Priority"] = json!("0");
    by_field["CustomFields"] = json!([{"name": "Severity", "values": ["Kritisch"]}]);
    let mut by_number = recorded_ticket();
    by_number["Priority"] = json!("50");
    by_number["CustomFields"] = json!([{"name": "Severity", "values": [" "]}]);
    let (items, _) = items_of(&mut rt, vec![by_field, by_number]);
    assert_eq!(items[0].priority, Priority::P1, "the field's value");
    assert_eq!(
        items[1].priority,
        Priority::P4,
        "an empty field: the band, remapped by priorities"
    );
}

#[test]
fn statuses_have_categories() {
    let category = |s: &str| status(s).category;
    assert_eq!(category("new"), StatusCategory::New);
    assert_eq!(category("open"), StatusCategory::Acknowledged);
    assert_eq!(category("stalled"), StatusCategory::Waiting);
    assert_eq!(category("resolved"), StatusCategory::Resolved);
    assert_eq!(category("rejected"), StatusCategory::Resolved);
    assert_eq!(category("deleted"), StatusCategory::Resolved);
    assert_eq!(category("Warten auf Kunde"), StatusCategory::Acknowledged);
    assert_eq!(&*status("Stalled").label, "Stalled");
}

#[test]
fn resolved_and_told_tickets_carry_their_times() {
    let mut raw = recorded_ticket();
    raw["Status"] = json!("resolved");
    raw["Resolved"] = json!("2026-11-29T07:00:00Z");
    raw["Told"] = json!("2026-11-28T21:00:00Z");
    let mut rt = connector(&RtSettings::default(), MappingConfig::default());
    let (items, _) = items_of(&mut rt, vec![raw.clone()]);
    let item = &items[0];
    assert_eq!(
        item.sla.resolved_at.map(Moment::timestamp),
        rt_time("2026-11-29T07:00:00Z").unwrap()
    );
    assert_eq!(
        item.sla.first_response_at.map(Moment::timestamp),
        rt_time("2026-11-28T21:00:00Z").unwrap(),
        "not looked up yet: the latest reply"
    );
    assert_eq!(item.sla.last_update_at, item.sla.first_response_at);
    rt.first_responses
        .insert("17".into(), "2026-11-28T20:10:00Z".parse().unwrap());
    let (items, _) = items_of(&mut rt, vec![raw]);
    assert_eq!(
        items[0].sla.first_response_at.map(Moment::timestamp),
        rt_time("2026-11-28T20:10:00Z").unwrap()
    );
}

#[test]
fn the_first_reply_not_by_a_requestor_is_the_first_response() {
    let ticket: TicketRecord = serde_json::from_value(recorded_ticket()).unwrap();
    let reply = |id: &str, ticket: &str, at: &str, by: &str| -> TransactionRecord {
        serde_json::from_value(json!({
            "id": id, "ObjectId": ticket, "Type": "Correspond", "Created": at,
            "Creator": {"type": "user", "id": by}
        }))
        .unwrap()
    };
    let replies = [
        reply("50", "17", "2026-11-28T19:30:00Z", "KUNDE@mueller.example"),
        reply("51", "99", "2026-11-28T19:31:00Z", "alice"),
        reply("53", "17", "2026-11-28T19:40:00Z", "bob"),
        reply("52", "17", "2026-11-28T19:35:00Z", "alice"),
    ];
    assert_eq!(
        first_staff_reply(&ticket, &replies),
        Some("2026-11-28T19:35:00Z".parse().unwrap())
    );
    assert_eq!(first_staff_reply(&ticket, &replies[..2]), None);
}

#[test]
fn times_1970_are_unset_and_garbage_is_an_error() {
    assert_eq!(rt_time("1970-01-01T00:00:00Z"), Ok(None));
    assert_eq!(rt_time(""), Ok(None));
    assert_eq!(
        rt_time("2026-11-28T19:25:56Z"),
        Ok(Some("2026-11-28T19:25:56Z".parse().unwrap()))
    );
    assert!(rt_time("Not set").unwrap_err().contains("Not set"));
}

#[test]
fn searches_per_tenant_then_the_shared_one() {
    let settings = RtSettings {
        queries: vec![TenantQuery {
            tenant: "mueller".into(),
            query: "Queue = 'Mueller'".into(),
        }],
        query: Some("Queue = 'Shared'".into()),
        ..RtSettings::default()
    };
    let known = [TenantId::new("mueller")];
    let s = searches(&settings, &known).unwrap();
    assert_eq!(s.len(), 2);
    assert_eq!(s[0].tenant.as_ref().map(TenantId::as_str), Some("mueller"));
    assert_eq!(s[1].tenant, None);
    let only_default = searches(&RtSettings::default(), &known).unwrap();
    assert_eq!(only_default[0].sql, DEFAULT_QUERY);
    let unknown = RtSettings {
        queries: vec![TenantQuery {
            tenant: "nobody".into(),
            query: "x".into(),
        }],
        ..RtSettings::default()
    };
    let e = searches(&unknown, &known).unwrap_err();
    assert!(
        e.to_string()
            .contains("`nobody` is not a configured tenant"),
        "{e}"
    );
    let per_tenant_only = RtSettings {
        query: None,
        ..settings
    };
    assert_eq!(searches(&per_tenant_only, &known).unwrap().len(), 1);
}

#[test]
fn settings_parse_and_refuse_a_page_size_rt_does_not_give() {
    let s: RtSettings = toml::from_str(
        r#"
        queries = [{ tenant = "mueller", query = "Queue = 'Mueller'" }]
        per-page = 50
        priority-field = "Severity"
        agent-groups = ["Staff"]
        "#,
    )
    .unwrap();
    assert_eq!(s.per_page, Some(50));
    assert_eq!(s.queries[0].tenant, "mueller");
    assert_eq!(s.agent_groups, ["Staff"]);
    let e = toml::from_str::<RtSettings>("per-page = 500").unwrap_err();
    assert!(e.to_string().contains("per-page is 1 to 100"), "{e}");
    assert!(toml::from_str::<RtSettings>("querys = []").is_err());
}

#[test]
fn the_web_root_is_found_from_either_url() {
    assert_eq!(web_root("http://rt.example/rt/"), "http://rt.example/rt");
    assert_eq!(
        web_root("http://rt.example/rt/REST/2.0/"),
        "http://rt.example/rt"
    );
}

#[test]
fn versions_lose_the_package_suffix() {
    assert_eq!(version("5.0.3+dfsg-3~deb12u7"), "5.0.3");
    assert_eq!(version("5.0.5"), "5.0.5");
    assert_eq!(version(""), "?");
}

#[test]
fn error_bodies_are_explained_without_perl_positions() {
    let body = br#"{"message":"Unknown field: Foo at /usr/share/request-tracker5/lib/RT/Tickets.pm line 3187.\n"}"#;
    assert_eq!(explain(body).as_deref(), Some("Unknown field: Foo"));
    assert_eq!(explain(b"<html>"), None);
}

#[test]
fn refusals_quote_rt_without_the_ticket_prefix() {
    let messages = vec![
        "Ticket 5: That user may not own tickets in that queue".to_string(),
        String::new(),
    ];
    assert_eq!(
        refusal("5", &Change::Owner("bob"), &messages),
        "RT did not set Owner bob on ticket 5: That user may not own tickets in that queue"
    );
    assert_eq!(
        refusal("5", &Change::Status("done"), &[]),
        "RT did not set Status done on ticket 5"
    );
}

#[test]
fn notes_name_the_agent_unless_rt_records_them_anyway() {
    let rt = connector(&RtSettings::default(), MappingConfig::default());
    assert_eq!(rt.note_text("on it", "anna"), "[anna] on it");
    assert_eq!(rt.note_text(" on it ", "NightDesk"), "on it");
}

#[test]
fn ticket_ids_are_digits_only() {
    assert!(is_ticket_id("17"));
    assert!(!is_ticket_id(""));
    assert!(!is_ticket_id("17/../../users"));
    assert!(!is_ticket_id("1 7"));
}

#[test]
fn a_recorded_page_reads_with_and_without_totals() {
    let body = br#"{"count":1,"page":1,"pages":null,"per_page":20,"total":null,
        "items":[{"id":"5","type":"group","_url":"x","Name":"Staff"}]}"#;
    let answer = Answer {
        status: StatusCode::OK,
        headers: Default::default(),
        body: body.to_vec(),
    };
    let page = page_of(&answer).unwrap();
    assert_eq!(page.pages, None);
    let groups = decode_each::<Ref>(page.items).records;
    assert_eq!(groups[0].id, "5");
    assert_eq!(groups[0].shown(), "Staff");
}

/// A request the fake RT below received.
#[derive(Clone, Debug)]
struct Received {
    method: String,
    path: String,
    headers: String,
    body: String,
}

/// An HTTP server on 127.0.0.1 that answers each request with `answer(request)` and closes
/// the connection; what it received is recorded.
fn fake_rt(
    answer: impl Fn(&Received) -> (u16, &'static str, String) + Send + 'static,
) -> (String, std::sync::Arc<std::sync::Mutex<Vec<Received>>>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = log.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream);
            let mut head = String::new();
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
                head.push_str(&line);
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let mut parts = head.split_whitespace();
            let request = Received {
                method: parts.next().unwrap_or_default().to_string(),
                path: parts.next().unwrap_or_default().to_string(),
                headers: head.clone(),
                body: String::from_utf8_lossy(&body).into_owned(),
            };
            seen.lock().unwrap().push(request.clone());
            let (status, extra_headers, text) = answer(&request);
            let reply = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n{extra_headers}Content-Length: {}\r\nConnection: close\r\n\r\n{text}",
                text.len()
            );
            let _ = reader.get_mut().write_all(reply.as_bytes());
        }
    });
    (format!("http://127.0.0.1:{port}"), log)
}

fn connector_at(base: &str) -> Rt {
    let mut rt = connector(&RtSettings::default(), MappingConfig::default());
    let spec = EndpointSpec {
        base_url: format!("{base}/REST/2.0"),
        ca_file: None,
        insecure: false,
        timeout: std::time::Duration::from_secs(5),
        auth: None,
        follow_redirects: true,
    };
    rt.endpoint = Endpoint::new(&spec, Limiter::new(2)).unwrap();
    rt
}

fn single_ticket(owner: &str, status: &str, updated: &str, by: &str) -> String {
    json!({
        "id": 5, "Subject": "Disk full", "Status": status, "Priority": "50",
        "Queue": {"type": "queue", "id": "3"}, "Owner": {"type": "user", "id": owner},
        "Created": "2026-12-01T05:00:00Z", "LastUpdated": updated,
        "LastUpdatedBy": {"type": "user", "id": by},
        "_hyperlinks": [{"ref": "lifecycle", "to": "wartet", "from": status}]
    })
    .to_string()
}

#[tokio::test]
async fn a_412_is_a_conflict_that_names_the_change_and_is_not_retried() {
    // The first read shows the ticket as the user saw it, the PUT fails its precondition
    // (someone wrote in between), the second read shows what they did.
    let puts = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let puts_seen = puts.clone();
    let (base, log) = fake_rt(move |request| {
        use std::sync::atomic::Ordering;
        match (request.method.as_str(), request.path.as_str()) {
            ("GET", "/REST/2.0/ticket/5") if puts_seen.load(Ordering::SeqCst) == 0 => (
                200,
                "ETag: \"40\"\r\n",
                single_ticket("Nobody", "new", "2026-12-01T06:00:00Z", "root"),
            ),
            ("GET", "/REST/2.0/ticket/5") => (
                200,
                "ETag: \"42\"\r\n",
                single_ticket("alice", "open", "2026-12-01T06:05:00Z", "alice"),
            ),
            ("PUT", "/REST/2.0/ticket/5") => {
                puts_seen.fetch_add(1, Ordering::SeqCst);
                (412, "", r#"{"message":"Precondition Failed"}"#.to_string())
            }
            ("GET", p) if p.starts_with("/REST/2.0/ticket/5/history") => (
                200,
                "",
                json!({"count": 1, "page": 1, "pages": 1, "items": [
                    {"id": "42", "Type": "Comment", "Created": "2026-12-01T06:05:00Z",
                     "Creator": {"type": "user", "id": "alice"}}
                ]})
                .to_string(),
            ),
            _ => (404, "", r#"{"message":"no"}"#.to_string()),
        }
    });
    let mut rt = connector_at(&base);
    let key = ItemKey::new(&SourceId::new("rt"), "5");
    let action = WriteBack::SetStatus {
        status: "resolved".into(),
    };
    let e = rt
        .write_back(&key, &action, Timestamp::now())
        .await
        .unwrap_err();
    assert_eq!(
        e,
        SourceError::Conflict(
            "ticket 5 changed by alice at 2026-12-01T06:05:00Z: Owner Nobody → alice; \
             Status new → open; comment by alice"
                .into()
        )
    );
    let log = log.lock().unwrap();
    let put: Vec<&Received> = log.iter().filter(|r| r.method == "PUT").collect();
    assert_eq!(put.len(), 1, "not retried: {log:#?}");
    assert!(
        put[0]
            .headers
            .to_ascii_lowercase()
            .contains("if-match: \"40\""),
        "{}",
        put[0].headers
    );
    assert!(
        rt.known_statuses.contains("wartet"),
        "the lifecycle's next statuses of a read ticket are learnt"
    );
}

#[tokio::test]
async fn a_note_rt_refuses_says_why() {
    let (base, log) = fake_rt(|request| match request.method.as_str() {
        "GET" => (
            200,
            "ETag: \"40\"\r\n",
            single_ticket("Nobody", "new", "2026-12-01T06:00:00Z", "root"),
        ),
        _ => (400, "", r#"{"message":"Permission Denied"}"#.to_string()),
    });
    let mut rt = connector_at(&base);
    let key = ItemKey::new(&SourceId::new("rt"), "5");
    let note = WriteBack::Note {
        text: "on it".into(),
        author: "anna".into(),
    };
    let e = rt
        .write_back(&key, &note, Timestamp::now())
        .await
        .unwrap_err();
    assert_eq!(
        e,
        SourceError::Refused(
            "RT did not add the note to ticket 5: Permission Denied (HTTP 400)".into()
        )
    );
    let log = log.lock().unwrap();
    assert!(
        log.iter()
            .any(|r| r.method == "POST" && r.path == "/REST/2.0/ticket/5/comment"),
        "{log:#?}"
    );
}

#[tokio::test]
async fn a_change_right_after_our_write_is_news_for_the_next_one() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let puts = std::sync::Arc::new(AtomicUsize::new(0));
    let puts_seen = puts.clone();
    let (base, _log) = fake_rt(move |request| {
        match (request.method.as_str(), request.path.as_str()) {
            ("PUT", _) => {
                puts_seen.fetch_add(1, Ordering::SeqCst);
                (200, "", r#"["Ticket 5: Status changed"]"#.to_string())
            }
            ("GET", "/REST/2.0/ticket/5") if puts_seen.load(Ordering::SeqCst) == 0 => (
                200,
                "ETag: \"40\"\r\n",
                single_ticket("Nobody", "new", "2026-12-01T06:00:00Z", "root"),
            ),
            // Our status change, and bob took the ticket in the same moment.
            ("GET", "/REST/2.0/ticket/5") => (
                200,
                "ETag: \"43\"\r\n",
                single_ticket("bob", "open", "2026-12-01T06:01:00Z", "bob"),
            ),
            _ => (200, "", r#"{"items": []}"#.to_string()),
        }
    });
    let mut rt = connector_at(&base);
    let key = ItemKey::new(&SourceId::new("rt"), "5");
    let open = WriteBack::SetStatus {
        status: "open".into(),
    };
    rt.write_back(&key, &open, Timestamp::now())
        .await
        .expect("our change was made");
    let take = WriteBack::Assign {
        agent: "nightdesk".into(),
    };
    let e = rt
        .write_back(&key, &take, Timestamp::now())
        .await
        .unwrap_err();
    assert!(
        matches!(&e, SourceError::Conflict(m) if m.contains("Owner Nobody → bob")),
        "{e}"
    );
    assert_eq!(puts.load(Ordering::SeqCst), 1, "the take was not sent");
}

/// Ticket 5 of [`ticket_server`] as it is: owner, status, last update, ETag.
#[derive(Clone, Debug)]
struct Ticket5 {
    owner: String,
    status: String,
    updated: Timestamp,
    etag: u64,
    /// Its history: (type, creator, when).
    history: Vec<(&'static str, String, Timestamp)>,
}

impl Ticket5 {
    /// A change by `by`, a minute after the last one.
    fn change(&mut self, by: &str, kind: &'static str) {
        self.updated += SignedDuration::from_mins(1);
        self.etag += 1;
        self.history.push((kind, by.to_string(), self.updated));
    }
}

type Shared = std::sync::Arc<std::sync::Mutex<Ticket5>>;

/// A fake RT with ticket 5 that takes owner and status changes (as `nightdesk`) and
/// comments; the test changes it as a colleague in between.
fn ticket_server() -> (Rt, Shared, std::sync::Arc<std::sync::Mutex<Vec<Received>>>) {
    let ticket: Shared = std::sync::Arc::new(std::sync::Mutex::new(Ticket5 {
        owner: "Nobody".into(),
        status: "new".into(),
        updated: "2026-12-01T06:00:00Z".parse().unwrap(),
        etag: 40,
        history: Vec::new(),
    }));
    let state = ticket.clone();
    let (base, log) = fake_rt(move |request| {
        let mut t = state.lock().unwrap();
        let read = |t: &Ticket5| {
            let by = t
                .history
                .last()
                .map_or("root", |h| h.1.as_str())
                .to_string();
            single_ticket(&t.owner, &t.status, &t.updated.to_string(), &by)
        };
        match (request.method.as_str(), request.path.as_str()) {
            ("GET", "/REST/2.0/ticket/5") => {
                let etag = format!("ETag: \"{}\"\r\n", t.etag);
                (200, Box::leak(etag.into_boxed_str()), read(&t))
            }
            ("PUT", "/REST/2.0/ticket/5") => {
                let body: Value = serde_json::from_str(&request.body).unwrap();
                if let Some(owner) = body["Owner"].as_str() {
                    t.owner = owner.into();
                }
                if let Some(status) = body["Status"].as_str() {
                    t.status = status.into();
                }
                t.change("nightdesk", "Set");
                (200, "", r#"["Ticket 5: changed"]"#.to_string())
            }
            ("POST", "/REST/2.0/ticket/5/comment") => {
                t.change("nightdesk", "Comment");
                (201, "", r#"["Comments added"]"#.to_string())
            }
            ("GET", p) if p.starts_with("/REST/2.0/ticket/5/history") => {
                let items: Vec<Value> = t
                    .history
                    .iter()
                    .rev()
                    .map(|(kind, by, at)| {
                        json!({"id": "1", "Type": kind, "Created": at.to_string(),
                               "Creator": {"type": "user", "id": by}})
                    })
                    .collect();
                (
                    200,
                    "",
                    json!({"page": 1, "pages": 1, "items": items}).to_string(),
                )
            }
            _ => (404, "", r#"{"message":"no"}"#.to_string()),
        }
    });
    (connector_at(&base), ticket, log)
}

fn writes(log: &std::sync::Mutex<Vec<Received>>) -> usize {
    let log = log.lock().unwrap();
    log.iter().filter(|r| r.method != "GET").count()
}

#[tokio::test]
async fn the_ticket_is_compared_with_what_the_user_saw_not_with_the_last_search() {
    let (mut rt, ticket, log) = ticket_server();
    let key = ItemKey::new(&SourceId::new("rt"), "5");
    let now = Timestamp::now();
    // The user opens the form on the ticket as the queue shows it.
    let shown = AsSeen {
        updated: "2026-12-01T06:00:00Z".parse().unwrap(),
        status: "new".into(),
        assignee: None,
    };
    // A colleague takes and opens it; the next search picks that up while the form is open.
    {
        let mut t = ticket.lock().unwrap();
        t.owner = "bob".into();
        t.status = "open".into();
        t.change("bob", "Set");
    }
    let record: TicketRecord =
        serde_json::from_str(&single_ticket("bob", "open", "2026-12-01T06:01:00Z", "bob")).unwrap();
    rt.seen.insert("5".into(), seen_in_search(&record));

    let take = WriteBack::Assign {
        agent: "nightdesk".into(),
    };
    let e = rt
        .write_back_as_seen(&key, &take, Some(&shown), now)
        .await
        .unwrap_err();
    assert_eq!(
        e,
        SourceError::Conflict(
            "ticket 5 changed by bob at 2026-12-01T06:01:00Z: Owner Nobody → bob; \
             Status new → open"
                .into()
        ),
        "against what the user saw, although the last search already had the change"
    );
    assert_eq!(writes(&log), 0, "nothing was sent");
    assert_eq!(ticket.lock().unwrap().owner, "bob");

    // Told, the user sends the same again: it goes through.
    rt.write_back_as_seen(&key, &take, Some(&shown), now)
        .await
        .expect("the user decided after the conflict");
    assert_eq!(ticket.lock().unwrap().owner, "nightdesk");

    // A form opened before these writes of our own is not outdated by them.
    let note = WriteBack::Note {
        text: "checking".into(),
        author: "nightdesk".into(),
    };
    rt.write_back_as_seen(&key, &note, Some(&shown), now)
        .await
        .expect("note");
    let stall = WriteBack::SetStatus {
        status: "stalled".into(),
    };
    rt.write_back_as_seen(&key, &stall, Some(&shown), now)
        .await
        .expect("our own take and note are no one else's change");
    assert_eq!(ticket.lock().unwrap().status, "stalled");
    assert_eq!(writes(&log), 3);

    // A colleague's comment after that is news again, to every view before it.
    ticket.lock().unwrap().change("bob", "Comment");
    let resolve = WriteBack::SetStatus {
        status: "resolved".into(),
    };
    let e = rt
        .write_back_as_seen(&key, &resolve, Some(&shown), now)
        .await
        .unwrap_err();
    assert_eq!(
        e,
        SourceError::Conflict(
            "ticket 5 changed by bob at 2026-12-01T06:05:00Z: comment by bob".into()
        ),
        "only what the user has not seen since their own writes"
    );
    assert_eq!(writes(&log), 3, "the status was not sent");
    let t = ticket.lock().unwrap().clone();
    let fresh = AsSeen {
        updated: t.updated,
        status: t.status.clone(),
        assignee: Some(t.owner.clone()),
    };
    rt.write_back_as_seen(&key, &resolve, Some(&fresh), now)
        .await
        .expect("seen as it is now");
    assert_eq!(ticket.lock().unwrap().status, "resolved");
}
