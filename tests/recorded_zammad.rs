//! The Zammad connector against recorded responses built from Zammad's documented REST API
//! formats (fixtures and their sources: `tests/fixtures/recorded/zammad/README.md`), served
//! by a local HTTP server: not a live Zammad. Open tickets are searched page by page and
//! become items with tenant (organization), priority, state category, owner and link;
//! Zammad's escalation times are the supplied due times, its first response is the met
//! first response, a pending state pauses the clocks; take, assign, set-status and the
//! internal note send exactly the documented `PUT`; 401, 429, 500, 422 and malformed
//! answers become clear errors without the token.

mod common;

use common::recorded::{Harness, at, fixture, header, item, json_body, query, status_json};
use nightdesk::model::{Moment, Priority, StatusCategory};
use nightdesk::sources::{SourceError, WriteBack};
use serde_json::json;
use wiremock::ResponseTemplate;

const TOKEN: &str = "ZAMMADTOKEN-4711-geheim";

fn zammad(extra: &str) -> Harness {
    Harness::new(TOKEN, |url, secret| {
        format!(
            r#"
[[tenants]]
id = "mueller"
[[tenants]]
id = "schmidt"

[[sources]]
id = "zammad"
kind = "zammad"
base-url = "{url}"
auth = {{ file = "{}" }}
page-size = 2
tenant-map = {{ "Müller GmbH" = "mueller", "Schmidt AG" = "schmidt" }}
priorities = {{ "4 urgent" = 1 }}
{extra}
"#,
            secret.display()
        )
    })
}

fn recorded(name: &str) -> ResponseTemplate {
    json_body(&fixture("zammad", name))
}

/// States, agents and three pages of open tickets (and an empty fourth), as documented.
fn serve_tickets(h: &Harness) {
    h.answer(
        "GET",
        "/api/v1/ticket_states",
        recorded("ticket_states.json"),
    );
    h.answer("GET", "/api/v1/users/search", recorded("users-agents.json"));
    for page in 1..=3 {
        h.answer_query(
            "GET",
            "/api/v1/tickets/search",
            "page",
            &page.to_string(),
            recorded(&format!("tickets-page{page}.json")),
        );
    }
    h.answer_query(
        "GET",
        "/api/v1/tickets/search",
        "page",
        "4",
        json_body("[]"),
    );
}

fn serve_updates(h: &Harness) {
    for id in [101, 102, 103] {
        h.answer(
            "PUT",
            &format!("/api/v1/tickets/{id}"),
            recorded("ticket-updated.json"),
        );
    }
}

#[test]
fn open_tickets_with_zammads_escalation_times_first_response_and_pause() {
    let mut h = zammad("");
    serve_tickets(&h);
    let items = h.fetch().unwrap();
    assert_eq!(
        items.len(),
        5,
        "one malformed record of six skipped: {items:#?}"
    );

    let down = item(&items, "101");
    assert_eq!(&*down.title, "Server srv-db1 antwortet nicht");
    assert_eq!(
        down.tenant.as_str(),
        "mueller",
        "organization through tenant-map"
    );
    assert_eq!(down.label("organization"), Some("Müller GmbH"));
    assert_eq!(down.label("number"), Some("26101"));
    assert_eq!(down.label("group"), Some("Service Desk"));
    assert_eq!(down.priority, Priority::P2, "3 high is P2");
    assert_eq!(down.status.category, StatusCategory::New);
    assert_eq!(&*down.status.label, "new");
    assert_eq!(down.assignee, None, "owner '-' is nobody");
    assert_eq!(
        down.created,
        nightdesk::model::Moment::new(at("2026-11-28T01:50:00Z"))
    );
    assert_eq!(
        down.link.as_deref(),
        Some(format!("{}/#ticket/zoom/101", h.server.uri()).as_str())
    );
    assert_eq!(
        down.sla.supplied_first_response_due,
        Some(Moment::new(at("2026-11-28T02:50:00Z")))
    );
    assert_eq!(
        down.sla.supplied_resolution_due,
        Some(Moment::new(at("2026-11-28T05:50:00Z")))
    );
    assert_eq!(down.sla.first_response_at, None);
    assert!(!down.sla.paused_by_source);

    let vpn = item(&items, "102");
    assert_eq!(vpn.tenant.as_str(), "schmidt");
    assert_eq!(vpn.priority, Priority::P3, "2 normal is P3");
    assert_eq!(vpn.status.category, StatusCategory::Acknowledged, "open");
    assert_eq!(vpn.assignee.as_deref(), Some("anna@msp.example"));
    assert_eq!(
        vpn.sla.first_response_at,
        Some(Moment::new(at("2026-11-28T00:40:00Z"))),
        "Zammad says the first response was given"
    );
    assert_eq!(
        vpn.sla.last_update_at,
        Some(Moment::new(at("2026-11-28T00:40:00Z")))
    );
    assert_eq!(
        vpn.sla.supplied_resolution_due,
        Some(Moment::new(at("2026-11-28T08:20:00Z")))
    );
    assert_eq!(vpn.label("update-due"), Some("2026-11-28T02:40:00Z"));

    let toner = item(&items, "103");
    assert_eq!(toner.status.category, StatusCategory::Waiting);
    assert!(
        toner.sla.paused_by_source,
        "pending reminder ignores escalation"
    );
    assert_eq!(toner.label("pending-until"), Some("2026-11-28T08:00:00Z"));

    let invoice = item(&items, "104");
    assert_eq!(invoice.tenant.as_str(), "unmapped", "no organization");
    assert_eq!(invoice.priority, Priority::P4, "1 low is P4");

    let firewall = item(&items, "106");
    assert_eq!(
        firewall.priority,
        Priority::P1,
        "a custom priority via `priorities`"
    );

    let degraded = h.source.degraded().expect("a skipped record degrades");
    assert!(
        degraded.starts_with("1 of 6 tickets could not be read") && degraded.contains("created_at"),
        "{degraded}"
    );

    // The documented search, page by page, with the token as `Token token=`.
    let searches = h.sent("GET", "/api/v1/tickets/search");
    assert_eq!(searches.len(), 4, "three full pages and an empty one");
    for (n, request) in searches.iter().enumerate() {
        assert_eq!(query(request, "page"), Some((n + 1).to_string()));
        assert_eq!(query(request, "per_page").as_deref(), Some("2"));
        assert_eq!(query(request, "expand").as_deref(), Some("true"));
        assert_eq!(
            query(request, "query").as_deref(),
            Some("state_id:(1 OR 2 OR 3 OR 7)"),
            "the open states: new, open, pending reminder, pending close"
        );
    }
    for request in h.requests() {
        assert_eq!(
            header(&request, "authorization"),
            Some(format!("Token token={TOKEN}"))
        );
    }
    let (agents, _) = h.sent_once("GET", "/api/v1/users/search");
    assert_eq!(
        query(&agents, "permissions[]").as_deref(),
        Some("ticket.agent")
    );

    let vocabulary = h.source.vocabulary();
    assert_eq!(
        vocabulary.agents,
        ["anna@msp.example", "nachtschicht"],
        "active agents"
    );
    assert_eq!(
        vocabulary.statuses,
        [
            "new",
            "open",
            "pending reminder",
            "closed",
            "merged",
            "pending close"
        ],
        "active states"
    );
}

#[test]
fn a_configured_query_replaces_the_open_states() {
    let mut h = zammad(r#"query = "state_id:(1 OR 2) AND group.name:\"Service Desk\"""#);
    serve_tickets(&h);
    h.fetch().unwrap();
    let first = &h.sent("GET", "/api/v1/tickets/search")[0];
    assert_eq!(
        query(first, "query").as_deref(),
        Some(r#"state_id:(1 OR 2) AND group.name:"Service Desk""#)
    );
}

#[test]
fn take_assign_status_and_internal_note_are_the_documented_put() {
    let mut h = zammad("");
    serve_tickets(&h);
    serve_updates(&h);
    h.fetch().unwrap();

    let take = WriteBack::Assign {
        agent: "nachtschicht".into(),
    };
    h.write_back("101", &take).expect("take");
    let (request, body) = h.sent_once("PUT", "/api/v1/tickets/101");
    assert_eq!(body, json!({"owner_id": 5}));
    assert_eq!(
        header(&request, "content-type").as_deref(),
        Some("application/json")
    );
    assert_eq!(
        header(&request, "authorization"),
        Some(format!("Token token={TOKEN}"))
    );

    let assign = WriteBack::Assign {
        agent: "Anna Schmidt".into(),
    };
    h.write_back("103", &assign).expect("assign by full name");
    let (_, body) = h.sent_once("PUT", "/api/v1/tickets/103");
    assert_eq!(body, json!({"owner_id": 3}));

    let status = WriteBack::SetStatus {
        status: "Open".into(),
    };
    h.write_back("102", &status).expect("set status");
    let note = WriteBack::Note {
        text: "VPN-Gateway neu gestartet".into(),
        author: "nachtschicht".into(),
    };
    h.write_back("102", &note).expect("note");
    let puts = h.sent("PUT", "/api/v1/tickets/102");
    assert_eq!(puts.len(), 2);
    let bodies: Vec<serde_json::Value> = puts
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    assert_eq!(bodies[0], json!({"state_id": 2}));
    assert_eq!(
        bodies[1],
        json!({"article": {
            "body": "[nachtschicht] VPN-Gateway neu gestartet",
            "type": "note",
            "internal": true,
            "content_type": "text/plain",
        }})
    );
}

#[test]
fn refusals_name_what_exists_or_carry_zammads_words() {
    let mut h = zammad("");
    serve_tickets(&h);
    h.answer(
        "PUT",
        "/api/v1/tickets/102",
        status_json(422, &fixture("zammad", "error-422-pending.json")),
    );
    h.fetch().unwrap();
    let e = h
        .write_back(
            "102",
            &WriteBack::SetStatus {
                status: "pending reminder".into(),
            },
        )
        .unwrap_err();
    assert_eq!(
        e,
        SourceError::Refused("Missing required value for field 'pending_time'!".into())
    );

    let before = h.requests().len();
    let e = h
        .write_back(
            "102",
            &WriteBack::Assign {
                agent: "ehemalig@msp.example".into(),
            },
        )
        .unwrap_err();
    assert!(
        matches!(&e, SourceError::Refused(m) if m.contains("ehemalig") && m.contains("anna@msp.example")),
        "an inactive agent is not offered: {e}"
    );
    let e = h
        .write_back(
            "102",
            &WriteBack::SetStatus {
                status: "erledigt".into(),
            },
        )
        .unwrap_err();
    assert!(
        matches!(&e, SourceError::Refused(m) if m.contains("erledigt")),
        "{e}"
    );
    assert!(
        h.requests()[before..]
            .iter()
            .all(|r| r.method.as_str() == "GET"),
        "no update sent for unknown names (only the vocabulary read again)"
    );
    assert_eq!(
        h.write_back("not-a-number", &WriteBack::Recheck),
        Err(SourceError::Refused(
            "`not-a-number` is not a ticket id".into()
        ))
    );
    assert_eq!(
        h.write_back("102", &WriteBack::Recheck),
        Err(SourceError::Unsupported)
    );
}

#[test]
fn refused_token_rate_limit_server_error_and_malformed_answers() {
    let mut h = zammad("");
    h.answer(
        "GET",
        "/api/v1/ticket_states",
        status_json(401, &fixture("zammad", "error-401.json")),
    );
    assert_eq!(
        h.fetch_error(),
        SourceError::Auth(
            "HTTP 401: Authentication failed: the access token is invalid or has expired.".into()
        )
    );

    let mut h = zammad("");
    h.answer(
        "GET",
        "/api/v1/ticket_states",
        recorded("ticket_states.json"),
    );
    h.answer("GET", "/api/v1/users/search", recorded("users-agents.json"));
    h.answer(
        "GET",
        "/api/v1/tickets/search",
        ResponseTemplate::new(429).insert_header("Retry-After", "45"),
    );
    assert_eq!(h.fetch_error(), SourceError::RateLimited(Some(45)));

    let mut h = zammad("");
    h.answer(
        "GET",
        "/api/v1/ticket_states",
        recorded("ticket_states.json"),
    );
    h.answer("GET", "/api/v1/users/search", recorded("users-agents.json"));
    h.answer(
        "GET",
        "/api/v1/tickets/search",
        status_json(500, r#"{"error":"Elasticsearch is not reachable"}"#),
    );
    assert_eq!(
        h.fetch_error(),
        SourceError::Http {
            status: 500,
            message: "Elasticsearch is not reachable".into()
        }
    );

    let mut h = zammad("");
    h.answer(
        "GET",
        "/api/v1/ticket_states",
        recorded("ticket_states.json"),
    );
    h.answer("GET", "/api/v1/users/search", recorded("users-agents.json"));
    h.answer(
        "GET",
        "/api/v1/tickets/search",
        json_body(r#"[{"id": 1, "title": "#),
    );
    assert!(matches!(h.fetch_error(), SourceError::Protocol(m) if m.contains("malformed JSON")));
}

#[test]
fn agents_that_cannot_be_read_degrade_but_tickets_still_come() {
    let mut h = zammad("");
    h.answer(
        "GET",
        "/api/v1/ticket_states",
        recorded("ticket_states.json"),
    );
    h.answer(
        "GET",
        "/api/v1/users/search",
        status_json(403, r#"{"error":"Not authorized (user)!"}"#),
    );
    for page in 1..=3 {
        h.answer_query(
            "GET",
            "/api/v1/tickets/search",
            "page",
            &page.to_string(),
            recorded(&format!("tickets-page{page}.json")),
        );
    }
    h.answer_query(
        "GET",
        "/api/v1/tickets/search",
        "page",
        "4",
        json_body("[]"),
    );
    assert_eq!(h.fetch().unwrap().len(), 5);
    let degraded = h.source.degraded().unwrap();
    assert!(
        degraded.contains(
            "agents could not be read (authentication failed: HTTP 403: Not authorized (user)!)"
        ),
        "{degraded}"
    );
}

#[test]
fn an_error_page_echoing_the_token_does_not_leak_it() {
    let mut h = zammad("");
    h.answer(
        "GET",
        "/api/v1/ticket_states",
        ResponseTemplate::new(502).set_body_string(format!(
            "proxy: upstream failed for GET /api/v1/ticket_states (Authorization: Token token={TOKEN})"
        )),
    );
    let e = h.fetch_error();
    assert!(
        matches!(&e, SourceError::Http { status: 502, message } if message.contains("token=***")),
        "{e}"
    );
}

#[test]
fn check_says_who_is_signed_in_and_how_many_tickets_are_open() {
    let mut h = zammad("");
    serve_tickets(&h);
    h.answer("GET", "/api/v1/users/me", recorded("users-me.json"));
    let text = h.check().unwrap();
    assert!(
        text.starts_with(
            "Zammad, signed in as nightdesk-api, 5 open tickets; 1 of 6 tickets could not be read"
        ),
        "{text}"
    );
}
