//! The HaloPSA connector against recorded responses built from HaloPSA's documented API
//! formats (fixtures and their sources: `tests/fixtures/recorded/halopsa/README.md`), served
//! by a local HTTP server: not a live Halo. The client-credentials token is asked for once,
//! renewed when Halo refuses it or it expires; open tickets are read page by page with
//! tenant (client), priority, status, agent and link; Halo's respond-by and fix-by dates
//! are the supplied dues, its response date is met, on hold pauses; take, assign,
//! set-status and the hidden note send exactly the documented requests; 401, 429, 500 and
//! malformed answers become clear errors without the client secret or the token.

mod common;

use common::recorded::{Harness, at, fixture, header, item, json_body, query, status_json};
use nightdesk::model::{Moment, Priority, StatusCategory};
use nightdesk::sources::{SourceError, WriteBack};
use serde_json::{Value, json};
use wiremock::ResponseTemplate;

const CLIENT_ID: &str = "9f1c2a7e-nightdesk";
const SECRET: &str = "HALO-CLIENT-SECRET-0815";
const TOKEN: &str = "HALO-ACCESS-TOKEN-ONE";

fn halo(extra: &str) -> Harness {
    let mut h = Harness::new(SECRET, |url, secret| {
        format!(
            r#"
[[tenants]]
id = "mueller"
[[tenants]]
id = "schmidt"

[[sources]]
id = "halo"
kind = "halopsa"
base-url = "{url}"
auth = {{ user = "{CLIENT_ID}", password = {{ file = "{}" }} }}
page-size = 2
tenant-map = {{ "Müller GmbH" = "mueller", "Schmidt AG" = "schmidt" }}
{extra}
"#,
            secret.display()
        )
    });
    for token in [TOKEN, "HALO-ACCESS-TOKEN-TWO", "HALO-ACCESS-TOKEN-BRIEF"] {
        h.also_secret(token);
    }
    h
}

fn recorded(name: &str) -> ResponseTemplate {
    json_body(&fixture("halopsa", name))
}

/// The token endpoint, statuses, agents and three pages of open tickets.
fn serve_reads(h: &Harness) {
    serve_reads_with(h, "token.json");
}

/// As [`serve_reads`], the token endpoint answering with the fixture `token`.
fn serve_reads_with(h: &Harness, token: &str) {
    h.answer("POST", "/auth/token", recorded(token));
    h.answer("GET", "/api/status", recorded("status.json"));
    h.answer("GET", "/api/agent", recorded("agents.json"));
    for page in 1..=3 {
        h.answer_query(
            "GET",
            "/api/tickets",
            "page_no",
            &page.to_string(),
            recorded(&format!("tickets-page{page}.json")),
        );
    }
}

fn form(request: &wiremock::Request) -> Vec<(String, String)> {
    url::form_urlencoded::parse(&request.body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

#[test]
fn open_tickets_with_halos_sla_dates_response_and_hold() {
    let mut h = halo("");
    serve_reads(&h);
    let items = h.fetch().unwrap();
    assert_eq!(
        items.len(),
        4,
        "the record with a broken date skipped: {items:#?}"
    );

    let server = item(&items, "3001");
    assert_eq!(&*server.title, "Server srv-fs01 nicht erreichbar");
    assert_eq!(
        server.tenant.as_str(),
        "mueller",
        "client name through tenant-map"
    );
    assert_eq!(server.label("client"), Some("Müller GmbH"));
    assert_eq!(server.label("client-id"), Some("12"));
    assert_eq!(server.label("site"), Some("Hauptsitz Augsburg"));
    assert_eq!(server.label("sla"), Some("Gold 24/7"));
    assert_eq!(server.priority, Priority::P1, "priority 1 is P1");
    assert_eq!(server.status.category, StatusCategory::New);
    assert_eq!(&*server.status.label, "New");
    assert_eq!(server.assignee, None, "the Unassigned agent is nobody");
    assert_eq!(
        server.created,
        nightdesk::model::Moment::new(at("2026-11-28T01:58:00Z")),
        "Halo's times are UTC"
    );
    assert_eq!(
        server.link.as_deref(),
        Some(format!("{}/ticket?id=3001", h.server.uri()).as_str())
    );
    assert_eq!(
        server.sla.supplied_first_response_due,
        Some(Moment::new(at("2026-11-28T02:28:00Z")))
    );
    assert_eq!(
        server.sla.supplied_resolution_due,
        Some(Moment::new(at("2026-11-28T05:58:00Z")))
    );
    assert_eq!(
        server.sla.first_response_at, None,
        "1900-01-01 is Halo's none"
    );
    assert!(!server.sla.paused_by_source);

    let outlook = item(&items, "3002");
    assert_eq!(outlook.tenant.as_str(), "schmidt");
    assert_eq!(outlook.priority, Priority::P2);
    assert_eq!(
        outlook.status.category,
        StatusCategory::Acknowledged,
        "In Progress"
    );
    assert_eq!(outlook.assignee.as_deref(), Some("Anna Schmidt"));
    assert_eq!(
        outlook.sla.first_response_at,
        Some(Moment::new(at("2026-11-27T23:15:00Z")))
    );
    assert_eq!(outlook.label("team"), Some("2nd Level"));

    let account = item(&items, "3003");
    assert!(account.sla.paused_by_source, "on hold");
    assert_eq!(account.label("on-hold"), Some("yes"));
    assert_eq!(
        account.status.category,
        StatusCategory::Waiting,
        "With User"
    );
    assert_eq!(account.assignee.as_deref(), Some("Nacht Schicht"));
    assert_eq!(account.priority, Priority::P3);

    let general = item(&items, "3004");
    assert_eq!(general.tenant.as_str(), "unmapped", "no client");
    assert_eq!(general.priority, Priority::P4);
    assert_eq!(general.assignee, None);

    let degraded = h.source.degraded().unwrap();
    assert!(
        degraded.starts_with("1 of 5 tickets could not be read") && degraded.contains("gestern"),
        "{degraded}"
    );

    // One token for the whole fetch, asked for as documented.
    let (token, _) = h.sent_once("POST", "/auth/token");
    assert_eq!(
        header(&token, "content-type").as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        form(&token),
        [
            ("grant_type".to_string(), "client_credentials".to_string()),
            ("client_id".into(), CLIENT_ID.into()),
            ("client_secret".into(), SECRET.into()),
            ("scope".into(), "all".into()),
        ]
    );
    let pages = h.sent("GET", "/api/tickets");
    assert_eq!(pages.len(), 3, "record_count 5 in pages of 2");
    for (n, page) in pages.iter().enumerate() {
        assert_eq!(query(page, "page_no"), Some((n + 1).to_string()));
        assert_eq!(query(page, "page_size").as_deref(), Some("2"));
        assert_eq!(query(page, "pageinate").as_deref(), Some("true"));
        assert_eq!(query(page, "open_only").as_deref(), Some("true"));
    }
    for request in h
        .requests()
        .iter()
        .filter(|r| r.url.path().starts_with("/api/"))
    {
        assert_eq!(
            header(request, "authorization"),
            Some(format!("Bearer {TOKEN}"))
        );
    }

    let vocabulary = h.source.vocabulary();
    assert_eq!(
        vocabulary.agents,
        ["Anna Schmidt", "Nacht Schicht"],
        "no placeholder, no disabled"
    );
    assert!(vocabulary.statuses.contains(&"On Hold".to_string()));

    // The token is kept for the next fetch.
    h.fetch().unwrap();
    assert_eq!(h.sent("POST", "/auth/token").len(), 1);
}

#[test]
fn a_refused_token_is_renewed_once() {
    let mut h = halo("");
    h.answer_times("POST", "/auth/token", 1, recorded("token.json"));
    h.answer("POST", "/auth/token", recorded("token-renewed.json"));
    h.answer_times("GET", "/api/status", 1, ResponseTemplate::new(401));
    h.answer("GET", "/api/status", recorded("status.json"));
    h.answer("GET", "/api/agent", recorded("agents.json"));
    for page in 1..=3 {
        h.answer_query(
            "GET",
            "/api/tickets",
            "page_no",
            &page.to_string(),
            recorded(&format!("tickets-page{page}.json")),
        );
    }
    assert_eq!(h.fetch().unwrap().len(), 4);
    assert_eq!(
        h.sent("POST", "/auth/token").len(),
        2,
        "renewed after the 401"
    );
    let statuses = h.sent("GET", "/api/status");
    assert_eq!(
        header(&statuses[0], "authorization"),
        Some(format!("Bearer {TOKEN}"))
    );
    assert_eq!(
        header(&statuses[1], "authorization").as_deref(),
        Some("Bearer HALO-ACCESS-TOKEN-TWO")
    );
    let tickets = h.sent("GET", "/api/tickets")[0].clone();
    assert_eq!(
        header(&tickets, "authorization").as_deref(),
        Some("Bearer HALO-ACCESS-TOKEN-TWO"),
        "the new token is kept"
    );
}

#[test]
fn an_expired_token_is_renewed_before_the_next_call() {
    let mut h = halo("auth-tenant = \"msp\"\nscope = \"read:tickets edit:tickets read:lookup\"");
    serve_reads_with(&h, "token-expiring.json");
    h.fetch().unwrap();
    let api_calls = h
        .requests()
        .iter()
        .filter(|r| r.url.path().starts_with("/api/"))
        .count();
    let tokens = h.sent("POST", "/auth/token");
    assert_eq!(
        tokens.len(),
        api_calls,
        "a token of no lifetime is renewed every call"
    );
    assert_eq!(query(&tokens[0], "tenant").as_deref(), Some("msp"));
    assert!(form(&tokens[0]).contains(&(
        "scope".into(),
        "read:tickets edit:tickets read:lookup".into()
    )));
}

#[test]
fn take_assign_status_and_hidden_note_are_the_documented_posts() {
    let mut h = halo("");
    serve_reads(&h);
    h.answer("POST", "/api/tickets", recorded("ticket-updated.json"));
    h.answer("POST", "/api/actions", recorded("action-created.json"));
    h.fetch().unwrap();

    h.write_back(
        "3001",
        &WriteBack::Assign {
            agent: "nacht@msp.example".into(),
        },
    )
    .expect("take by e-mail");
    h.write_back(
        "3004",
        &WriteBack::Assign {
            agent: "anna schmidt".into(),
        },
    )
    .expect("assign by name");
    h.write_back(
        "3002",
        &WriteBack::SetStatus {
            status: "on hold".into(),
        },
    )
    .expect("status");
    let bodies: Vec<Value> = h
        .sent("POST", "/api/tickets")
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    assert_eq!(
        bodies,
        [
            json!([{"id": 3001, "agent_id": 7}]),
            json!([{"id": 3004, "agent_id": 5}]),
            json!([{"id": 3002, "status_id": 8}]),
        ]
    );

    let note = WriteBack::Note {
        text: "Profil neu angelegt".into(),
        author: "nachtschicht".into(),
    };
    h.write_back("3002", &note).expect("note");
    let (request, body) = h.sent_once("POST", "/api/actions");
    assert_eq!(
        body,
        json!([{
            "ticket_id": 3002,
            "outcome": "Private Note",
            "note": "[nachtschicht] Profil neu angelegt",
            "hiddenfromuser": true,
            "sendemail": false,
        }])
    );
    assert_eq!(
        header(&request, "authorization"),
        Some(format!("Bearer {TOKEN}"))
    );
}

#[test]
fn refusals_carry_halos_words_or_name_what_exists() {
    let mut h = halo("note-outcome = \"Nachtnotiz\"");
    serve_reads(&h);
    h.answer(
        "POST",
        "/api/tickets",
        status_json(400, r#"{"ClassName":"System.Exception","Message":"Agent 9 is not a member of the ticket's team"}"#),
    );
    h.answer(
        "POST",
        "/api/actions",
        ResponseTemplate::new(400).set_body_string("Outcome 'Nachtnotiz' not found"),
    );
    h.fetch().unwrap();
    let e = h
        .write_back(
            "3001",
            &WriteBack::Assign {
                agent: "Anna Schmidt".into(),
            },
        )
        .unwrap_err();
    assert_eq!(
        e,
        SourceError::Refused("Agent 9 is not a member of the ticket's team".into())
    );
    let e = h
        .write_back(
            "3001",
            &WriteBack::Note {
                text: "x".into(),
                author: "y".into(),
            },
        )
        .unwrap_err();
    assert_eq!(
        e,
        SourceError::Refused("Outcome 'Nachtnotiz' not found".into())
    );
    let (_, body) = h.sent_once("POST", "/api/actions");
    assert_eq!(body[0]["outcome"], "Nachtnotiz");

    let before = h.sent("POST", "/api/tickets").len();
    let e = h
        .write_back(
            "3001",
            &WriteBack::Assign {
                agent: "Ehe Malig".into(),
            },
        )
        .unwrap_err();
    assert!(
        matches!(&e, SourceError::Refused(m) if m.contains("Ehe Malig") && m.contains("Anna Schmidt")),
        "{e}"
    );
    let e = h
        .write_back(
            "3001",
            &WriteBack::SetStatus {
                status: "Erledigt".into(),
            },
        )
        .unwrap_err();
    assert!(
        matches!(&e, SourceError::Refused(m) if m.contains("Erledigt")),
        "{e}"
    );
    assert_eq!(h.sent("POST", "/api/tickets").len(), before, "nothing sent");
}

#[test]
fn refused_client_rate_limit_server_error_and_malformed_answers() {
    let mut h = halo("");
    h.answer(
        "POST",
        "/auth/token",
        status_json(400, &fixture("halopsa", "token-error.json")),
    );
    assert_eq!(
        h.fetch_error(),
        SourceError::Auth(
            "token request refused: invalid_client: The client credentials are invalid.".into()
        )
    );

    let mut h = halo("");
    h.answer("POST", "/auth/token", recorded("token.json"));
    h.answer("GET", "/api/status", ResponseTemplate::new(401));
    assert_eq!(
        h.fetch_error(),
        SourceError::Auth("HTTP 401: credentials refused".into()),
        "still refused with a new token"
    );
    assert_eq!(h.sent("POST", "/auth/token").len(), 2);

    let mut h = halo("");
    serve_reads(&h);
    h.answer_times(
        "GET",
        "/api/tickets",
        1,
        ResponseTemplate::new(429).insert_header("Retry-After", "120"),
    );
    assert_eq!(h.fetch_error(), SourceError::RateLimited(Some(120)));

    let mut h = halo("");
    h.answer("POST", "/auth/token", recorded("token.json"));
    h.answer(
        "GET",
        "/api/status",
        status_json(500, r#"{"Message":"An error has occurred."}"#),
    );
    assert_eq!(
        h.fetch_error(),
        SourceError::Http {
            status: 500,
            message: "An error has occurred.".into()
        }
    );

    let mut h = halo("");
    h.answer(
        "POST",
        "/auth/token",
        json_body(r#"{"token_type": "Bearer""#),
    );
    assert!(matches!(h.fetch_error(), SourceError::Protocol(m) if m.contains("malformed JSON")));

    let mut h = halo("");
    serve_reads(&h);
    h.answer_times(
        "GET",
        "/api/tickets",
        1,
        json_body(r#"{"record_count": 5, "tickets": {}}"#),
    );
    assert!(matches!(h.fetch_error(), SourceError::Protocol(_)));
}

#[test]
fn echoed_secrets_and_tokens_are_cleaned_from_errors() {
    let mut h = halo("");
    h.answer(
        "POST",
        "/auth/token",
        ResponseTemplate::new(502).set_body_string(format!(
            "proxy error for body grant_type=client_credentials&client_id={CLIENT_ID}&client_secret={SECRET}"
        )),
    );
    let e = h.fetch_error();
    assert!(
        matches!(&e, SourceError::Http { status: 502, message } if message.ends_with("client_secret=***")),
        "{e}"
    );

    let mut h = halo("");
    h.answer("POST", "/auth/token", recorded("token.json"));
    h.answer(
        "GET",
        "/api/status",
        ResponseTemplate::new(503).set_body_string(format!(
            "maintenance; your request had Authorization: Bearer {TOKEN}"
        )),
    );
    let e = h.fetch_error();
    assert!(
        matches!(&e, SourceError::Http { status: 503, message } if message.ends_with("Bearer ***")),
        "{e}"
    );
}

#[test]
fn check_counts_open_tickets() {
    let mut h = halo("");
    h.answer("POST", "/auth/token", recorded("token.json"));
    h.answer("GET", "/api/status", recorded("status.json"));
    h.answer("GET", "/api/agent", recorded("agents.json"));
    h.answer_query(
        "GET",
        "/api/tickets",
        "page_size",
        "1",
        recorded("tickets-count.json"),
    );
    let text = h.check().unwrap();
    let uri = h.server.uri();
    assert_eq!(
        text,
        format!("HaloPSA at {uri}, token from {uri}/auth/token, 5 open tickets")
    );
}
