//! The Autotask connector against recorded responses built from Autotask's documented REST
//! API formats (fixtures and their sources: `tests/fixtures/recorded/autotask/README.md`),
//! served by a local HTTP server: not a live Autotask. Tickets not complete are queried
//! with a `search` filter and followed page by page; the company names the tenant (looked
//! up once); Autotask's SLA times are the supplied dues, its first response is met, a
//! paused SLA pauses; take, assign, set-status and the internal note send exactly the
//! documented requests with the three authentication headers; zone discovery, 401, 429,
//! 500 and malformed answers; a next page on another server is not followed.

mod common;

use common::recorded::{Harness, at, fixture, header, item, json_body, query, status_json};
use nightdesk::model::{Moment, Priority, StatusCategory};
use nightdesk::sources::{SourceError, WriteBack};
use serde_json::{Value, json};
use wiremock::ResponseTemplate;

const SECRET: &str = "AT-SECRET-Qx7!pw";
const CODE: &str = "INTEGRATIONCODE4711XYZ";
const USER: &str = "nightdesk-api@msp.example";
const API: &str = "/atservicesrest";

/// A source with the zone's web UI for links, and `extra` settings.
fn autotask(extra: &str) -> Harness {
    configured(&format!("web-url = \"https://ww5.autotask.net/\"\n{extra}"))
}

fn configured(extra: &str) -> Harness {
    let mut h = Harness::new(SECRET, |url, secret| {
        let code = secret.with_file_name("code");
        std::fs::write(&code, CODE).unwrap();
        format!(
            r#"
[[tenants]]
id = "mueller"
[[tenants]]
id = "schmidt"

[[sources]]
id = "autotask"
kind = "autotask"
base-url = "{url}{API}"
auth = {{ user = "{USER}", password = {{ file = "{}" }} }}
integration-code = {{ file = "{}" }}
tenant-map = {{ "Müller GmbH" = "mueller", "Schmidt AG" = "schmidt" }}
{extra}
"#,
            secret.display(),
            code.display()
        )
    });
    h.also_secret(CODE);
    h
}

/// A fixture with the places its answers point back to filled in: `{BASE}` the server,
/// `{API}` the API below the configured base URL.
fn recorded(h: &Harness, name: &str) -> ResponseTemplate {
    recorded_in(h, API, name)
}

/// As [`recorded`], with `{API}` at `api` (a discovered zone's).
fn recorded_in(h: &Harness, api: &str, name: &str) -> ResponseTemplate {
    let server = h.server.uri();
    json_body(
        &fixture("autotask", name)
            .replace("{API}", &format!("{server}{api}"))
            .replace("{BASE}", &server),
    )
}

/// Picklists, resources, two pages of tickets and the companies, under `api`.
fn serve_reads(h: &Harness, api: &str) {
    h.answer(
        "GET",
        &format!("{api}/V1.0/Tickets/entityInformation/fields"),
        recorded(h, "ticket-fields.json"),
    );
    h.answer(
        "GET",
        &format!("{api}/V1.0/Resources/query"),
        recorded(h, "resources.json"),
    );
    h.answer(
        "GET",
        &format!("{api}/V1.0/Tickets/query"),
        recorded_in(h, api, "tickets-page1.json"),
    );
    h.answer(
        "GET",
        &format!("{api}/V1.0/Tickets/query/next"),
        recorded_in(h, api, "tickets-page2.json"),
    );
    h.answer(
        "GET",
        &format!("{api}/V1.0/Companies/query"),
        recorded(h, "companies.json"),
    );
}

fn serve_writes(h: &Harness) {
    h.answer(
        "PATCH",
        &format!("{API}/V1.0/Tickets"),
        recorded(h, "item-id.json"),
    );
    h.answer(
        "GET",
        &format!("{API}/V1.0/TicketNotes/entityInformation/fields"),
        recorded(h, "ticketnote-fields.json"),
    );
    for ticket in [9001, 9002] {
        h.answer(
            "POST",
            &format!("{API}/V1.0/Tickets/{ticket}/Notes"),
            recorded(h, "note-created.json"),
        );
    }
}

fn search_of(request: &wiremock::Request) -> Value {
    serde_json::from_str(&query(request, "search").expect("a search parameter")).unwrap()
}

#[test]
fn open_tickets_with_autotasks_sla_times_company_tenant_and_pages() {
    let mut h = autotask("");
    serve_reads(&h, API);
    let items = h.fetch().unwrap();
    assert_eq!(
        items.len(),
        4,
        "the record with a broken date skipped: {items:#?}"
    );

    let exchange = item(&items, "9001");
    assert_eq!(&*exchange.title, "Exchange-Server nicht erreichbar");
    assert_eq!(exchange.label("number"), Some("T20261128.0001"));
    assert_eq!(
        exchange.tenant.as_str(),
        "mueller",
        "company name through tenant-map"
    );
    assert_eq!(exchange.label("company"), Some("Müller GmbH"));
    assert_eq!(exchange.priority, Priority::P1, "Critical is P1");
    assert_eq!(exchange.status.category, StatusCategory::New);
    assert_eq!(&*exchange.status.label, "New");
    assert_eq!(exchange.assignee, None);
    assert_eq!(exchange.label("queue"), Some("Monitoring Alert"));
    assert_eq!(
        exchange.sla.supplied_first_response_due,
        Some(Moment::new(at("2026-11-28T02:25:00Z")))
    );
    assert_eq!(
        exchange.sla.supplied_resolution_due,
        Some(Moment::new(at("2026-11-28T05:55:00Z")))
    );
    assert_eq!(
        exchange.label("resolution-plan-due"),
        Some("2026-11-28T03:55:00Z")
    );
    assert_eq!(exchange.sla.first_response_at, None);
    assert!(!exchange.sla.paused_by_source);
    assert_eq!(
        exchange.link.as_deref(),
        Some(
            "https://ww5.autotask.net/Autotask/AutotaskExtend/ExecuteCommand.aspx?Code=OpenTicketDetail&TicketID=9001"
        )
    );

    let vpn = item(&items, "9002");
    assert_eq!(vpn.tenant.as_str(), "schmidt");
    assert_eq!(vpn.priority, Priority::P2, "High is P2");
    assert_eq!(
        vpn.status.category,
        StatusCategory::Acknowledged,
        "In Progress"
    );
    assert_eq!(vpn.assignee.as_deref(), Some("anna.schmidt"));
    assert_eq!(
        vpn.sla.first_response_at,
        Some(Moment::new(at("2026-11-27T23:10:00Z")))
    );
    assert_eq!(vpn.label("sla-met"), Some("yes"));
    assert_eq!(
        vpn.label("resolution-plan-at"),
        Some("2026-11-28T00:15:00Z")
    );
    assert_eq!(vpn.label("queue"), Some("Level I Support"));
    assert_eq!(
        vpn.updated,
        nightdesk::model::Moment::new(at("2026-11-28T00:15:00Z"))
    );

    let scanner = item(&items, "9003");
    assert_eq!(scanner.priority, Priority::P3, "Medium is P3");
    assert_eq!(
        scanner.status.category,
        StatusCategory::Waiting,
        "Waiting Customer"
    );
    assert!(
        scanner.sla.paused_by_source,
        "Autotask says the SLA is paused"
    );
    assert_eq!(scanner.assignee.as_deref(), Some("nachtschicht"));

    let licence = item(&items, "9004");
    assert_eq!(licence.priority, Priority::P4, "Low is P4");
    assert_eq!(
        licence.status.category,
        StatusCategory::Waiting,
        "Waiting Vendor"
    );
    assert_eq!(
        licence.tenant.as_str(),
        "unmapped",
        "a company Autotask did not name"
    );

    let degraded = h.source.degraded().unwrap();
    assert!(
        degraded.starts_with("1 of 5 tickets could not be read")
            && degraded.contains("letzte Woche"),
        "{degraded}"
    );

    // The documented query: GET with a `search` filter; the next page as Autotask named it.
    let (first, _) = h.sent_once("GET", &format!("{API}/V1.0/Tickets/query"));
    let search = search_of(&first);
    assert_eq!(
        search["filter"],
        json!([{"op": "noteq", "field": "status", "value": 5}])
    );
    let fields = search["IncludeFields"].as_array().unwrap();
    for field in [
        "firstResponseDueDateTime",
        "resolutionPlanDueDateTime",
        "resolvedDueDateTime",
        "serviceLevelAgreementPausedNextEventHours",
        "assignedResourceID",
        "companyID",
    ] {
        assert!(fields.contains(&json!(field)), "{field}");
    }
    let (next, _) = h.sent_once("GET", &format!("{API}/V1.0/Tickets/query/next"));
    assert!(query(&next, "paging").unwrap().contains("previousIds"));

    // One company lookup for the companies of all pages.
    let (companies, _) = h.sent_once("GET", &format!("{API}/V1.0/Companies/query"));
    assert_eq!(
        search_of(&companies)["filter"],
        json!([{"op": "in", "field": "id", "value": [174, 175, 999]}])
    );
    for request in h.requests() {
        assert_eq!(
            header(&request, "apiintegrationcode").as_deref(),
            Some(CODE)
        );
        assert_eq!(header(&request, "username").as_deref(), Some(USER));
        assert_eq!(header(&request, "secret").as_deref(), Some(SECRET));
        assert_eq!(header(&request, "impersonationresourceid"), None);
    }

    let vocabulary = h.source.vocabulary();
    assert_eq!(
        vocabulary.agents,
        ["anna.schmidt", "nachtschicht", "praktikant"]
    );
    assert!(
        vocabulary
            .statuses
            .contains(&"Waiting Customer".to_string())
    );
    assert!(
        !vocabulary
            .statuses
            .iter()
            .any(|s| s.starts_with("Alt-Status")),
        "inactive picklist entries are not offered"
    );

    // Companies are kept: the next fetch asks for none.
    h.fetch().unwrap();
    assert_eq!(
        h.sent("GET", &format!("{API}/V1.0/Companies/query")).len(),
        1
    );
}

#[test]
fn queues_narrow_the_search() {
    let mut h = autotask("queues = [29683481, 8]");
    serve_reads(&h, API);
    h.fetch().unwrap();
    let (first, _) = h.sent_once("GET", &format!("{API}/V1.0/Tickets/query"));
    assert_eq!(
        search_of(&first)["filter"],
        json!([
            {"op": "noteq", "field": "status", "value": 5},
            {"op": "in", "field": "queueID", "value": [29683481, 8]}
        ])
    );
}

#[test]
fn take_assign_status_and_internal_note_are_the_documented_requests() {
    let mut h = autotask("");
    serve_reads(&h, API);
    serve_writes(&h);
    h.fetch().unwrap();

    let take = WriteBack::Assign {
        agent: "nachtschicht".into(),
    };
    h.write_back("9001", &take).expect("take");
    let status = WriteBack::SetStatus {
        status: "waiting customer".into(),
    };
    h.write_back("9002", &status).expect("set status");
    let patches = h.sent("PATCH", &format!("{API}/V1.0/Tickets"));
    let bodies: Vec<Value> = patches
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    assert_eq!(
        bodies,
        [
            json!({"id": 9001, "assignedResourceID": 29682887, "assignedResourceRoleID": 29683461}),
            json!({"id": 9002, "status": 7}),
        ]
    );
    assert_eq!(
        header(&patches[0], "content-type").as_deref(),
        Some("application/json")
    );

    let note = WriteBack::Note {
        text: "Gateway neu gestartet\nTunnel steht wieder.".into(),
        author: "nachtschicht".into(),
    };
    h.write_back("9002", &note).expect("note");
    let (request, body) = h.sent_once("POST", &format!("{API}/V1.0/Tickets/9002/Notes"));
    assert_eq!(
        body,
        json!({
            "ticketID": 9002,
            "title": "Gateway neu gestartet",
            "description": "[nachtschicht] Gateway neu gestartet\nTunnel steht wieder.",
            "noteType": 3,
            "publish": 2,
        }),
        "the default note type, published Internal Only"
    );
    assert_eq!(header(&request, "secret").as_deref(), Some(SECRET));
    assert_eq!(
        header(&request, "impersonationresourceid"),
        None,
        "impersonation is off"
    );
}

#[test]
fn impersonation_writes_as_the_technician() {
    let mut h = autotask("impersonate = true\nnote-type = \"Task Notes\"");
    serve_reads(&h, API);
    serve_writes(&h);
    h.fetch().unwrap();
    let note = WriteBack::Note {
        text: "Rückruf vereinbart".into(),
        author: "Nacht Schicht".into(),
    };
    h.write_back("9001", &note).expect("note");
    let (request, body) = h.sent_once("POST", &format!("{API}/V1.0/Tickets/9001/Notes"));
    assert_eq!(
        header(&request, "impersonationresourceid").as_deref(),
        Some("29682887")
    );
    assert_eq!(
        body["description"], "Rückruf vereinbart",
        "Autotask records the author itself"
    );
    assert_eq!(body["noteType"], 2, "note-type from the settings");

    let note = WriteBack::Note {
        text: "von außen".into(),
        author: "gast".into(),
    };
    h.write_back("9002", &note)
        .expect("note by someone who is no resource");
    let (request, body) = h.sent_once("POST", &format!("{API}/V1.0/Tickets/9002/Notes"));
    assert_eq!(header(&request, "impersonationresourceid"), None);
    assert_eq!(body["description"], "[gast] von außen");

    let take = WriteBack::Assign {
        agent: "nachtschicht".into(),
    };
    h.write_back("9001", &take).expect("take");
    let (request, _) = h.sent_once("PATCH", &format!("{API}/V1.0/Tickets"));
    assert_eq!(
        header(&request, "impersonationresourceid"),
        None,
        "an assignment names whom, not who"
    );
}

#[test]
fn refusals_before_sending_and_autotasks_own_words() {
    let mut h = autotask("");
    serve_reads(&h, API);
    h.answer(
        "PATCH",
        &format!("{API}/V1.0/Tickets"),
        status_json(500, &fixture("autotask", "errors-500.json")),
    );
    h.fetch().unwrap();
    let before = h.requests().len();
    let e = h
        .write_back(
            "9001",
            &WriteBack::Assign {
                agent: "praktikant".into(),
            },
        )
        .unwrap_err();
    assert_eq!(
        e,
        SourceError::Refused(
            "praktikant has no default service desk role in Autotask, which assigning needs".into()
        )
    );
    assert_eq!(h.requests().len(), before, "nothing sent");

    let e = h
        .write_back(
            "9001",
            &WriteBack::Assign {
                agent: "anna@msp.example".into(),
            },
        )
        .unwrap_err();
    assert_eq!(
        e,
        SourceError::Http {
            status: 500,
            message: "Value 'Ticket.assignedResourceRoleID' is not valid for the resource.".into()
        },
        "Autotask's words (it answers rule violations with 500)"
    );

    let e = h
        .write_back(
            "9001",
            &WriteBack::SetStatus {
                status: "Erledigt".into(),
            },
        )
        .unwrap_err();
    assert!(
        matches!(&e, SourceError::Refused(m) if m.contains("Erledigt") && m.contains("Complete")),
        "{e}"
    );
}

#[test]
fn a_note_without_an_internal_publish_setting_is_refused() {
    let mut h = autotask("note-publish = \"Everyone\"");
    serve_reads(&h, API);
    serve_writes(&h);
    h.fetch().unwrap();
    let note = WriteBack::Note {
        text: "x".into(),
        author: "y".into(),
    };
    let e = h.write_back("9001", &note).unwrap_err();
    assert!(
        matches!(&e, SourceError::Refused(m) if m.contains("Everyone") && m.contains("Internal Only")),
        "{e}"
    );
    assert!(
        h.sent("POST", &format!("{API}/V1.0/Tickets/9001/Notes"))
            .is_empty()
    );
}

#[test]
fn the_zone_is_discovered_once_and_used() {
    let mut h = configured("discover-zone = true");
    h.answer(
        "GET",
        &format!("{API}/v1.0/zoneInformation"),
        recorded(&h, "zone-information.json"),
    );
    serve_reads(&h, "/zone5/atservicesrest");
    let items = h.fetch().unwrap();
    assert_eq!(items.len(), 4);
    assert!(
        item(&items, "9001")
            .link
            .as_deref()
            .unwrap()
            .starts_with("https://ww5.autotask.net/Autotask/"),
        "the web UI from the zone answer"
    );
    let (zone, _) = h.sent_once("GET", &format!("{API}/v1.0/zoneInformation"));
    assert_eq!(query(&zone, "user").as_deref(), Some(USER));
    assert_eq!(
        header(&zone, "secret"),
        None,
        "the zone is asked for without the secret"
    );
    assert_eq!(
        h.sent("GET", "/zone5/atservicesrest/V1.0/Tickets/query")
            .len(),
        1,
        "the tickets are read in the zone"
    );
    h.fetch().unwrap();
    assert_eq!(
        h.sent("GET", &format!("{API}/v1.0/zoneInformation")).len(),
        1,
        "once"
    );
}

#[test]
fn a_next_page_on_another_server_is_not_followed() {
    let mut h = autotask("");
    h.answer(
        "GET",
        &format!("{API}/V1.0/Tickets/entityInformation/fields"),
        recorded(&h, "ticket-fields.json"),
    );
    h.answer(
        "GET",
        &format!("{API}/V1.0/Resources/query"),
        recorded(&h, "resources.json"),
    );
    let page = fixture("autotask", "tickets-page1.json")
        .replace("{API}", "https://collector.example/atservicesrest");
    h.answer(
        "GET",
        &format!("{API}/V1.0/Tickets/query"),
        json_body(&page),
    );
    let e = h.fetch_error();
    assert_eq!(
        e,
        SourceError::Protocol(
            "the server sent nightdesk on to another server (https://collector.example), which it does not follow".into()
        )
    );
}

#[test]
fn refused_credentials_rate_limit_server_error_and_malformed_answers() {
    let fields = format!("{API}/V1.0/Tickets/entityInformation/fields");
    let mut h = autotask("");
    h.answer("GET", &fields, ResponseTemplate::new(401));
    assert_eq!(
        h.fetch_error(),
        SourceError::Auth("HTTP 401: credentials refused".into())
    );

    let mut h = autotask("");
    h.answer(
        "GET",
        &fields,
        ResponseTemplate::new(429).insert_header("Retry-After", "60"),
    );
    assert_eq!(h.fetch_error(), SourceError::RateLimited(Some(60)));

    let mut h = autotask("");
    h.answer(
        "GET",
        &fields,
        status_json(500, r#"{"errors":["An unexpected error has occurred."]}"#),
    );
    assert_eq!(
        h.fetch_error(),
        SourceError::Http {
            status: 500,
            message: "An unexpected error has occurred.".into()
        }
    );

    let mut h = autotask("");
    h.answer("GET", &fields, recorded(&h, "ticket-fields.json"));
    h.answer(
        "GET",
        &format!("{API}/V1.0/Resources/query"),
        recorded(&h, "resources.json"),
    );
    h.answer(
        "GET",
        &format!("{API}/V1.0/Tickets/query"),
        json_body("{\"items\": [{\"id\": 1,"),
    );
    assert!(matches!(h.fetch_error(), SourceError::Protocol(m) if m.contains("malformed JSON")));

    // A proxy that echoes the request's headers: neither secret nor integration code shows.
    let mut h = autotask("");
    h.answer(
        "GET",
        &fields,
        ResponseTemplate::new(502).set_body_string(format!(
            "bad gateway; request headers: ApiIntegrationcode: {CODE} UserName: {USER} Secret: {SECRET}"
        )),
    );
    let e = h.fetch_error();
    assert!(
        matches!(&e, SourceError::Http { status: 502, message } if message.contains("ApiIntegrationcode: *** UserName")),
        "{e}"
    );
}

#[test]
fn a_token_instead_of_the_api_user_is_refused_before_asking() {
    let mut h = Harness::new(SECRET, |url, secret| {
        format!(
            "[[sources]]\nid = \"at\"\nkind = \"autotask\"\nbase-url = \"{url}{API}\"\n\
             auth = {{ file = \"{}\" }}\nintegration-code = {{ env = \"NIGHTDESK_TEST_UNSET_CODE\" }}\n",
            secret.display()
        )
    });
    let e = h.fetch_error();
    assert!(
        matches!(&e, SourceError::Auth(m) if m.contains("API user")),
        "{e}"
    );
    assert!(h.requests().is_empty());
}

#[test]
fn check_names_the_api_version_and_counts_open_tickets() {
    let mut h = autotask("");
    serve_reads(&h, API);
    h.answer(
        "GET",
        &format!("{API}/V1.0/Tickets/query/count"),
        recorded(&h, "query-count.json"),
    );
    h.answer(
        "GET",
        &format!("{API}/versionInformation"),
        recorded(&h, "version-information.json"),
    );
    let text = h.check().unwrap();
    assert_eq!(
        text,
        format!(
            "Autotask REST API 1.0 at {}{API}, 4 open tickets",
            h.server.uri()
        )
    );
    let (count, _) = h.sent_once("GET", &format!("{API}/V1.0/Tickets/query/count"));
    assert_eq!(search_of(&count)["filter"][0]["op"], "noteq");
}
