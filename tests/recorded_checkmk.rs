//! The Checkmk connector against recorded responses built from Checkmk's documented REST API
//! formats (fixtures and their sources: `tests/fixtures/recorded/checkmk/README.md`),
//! served by a local HTTP server: not a live Checkmk site. Host and service problems become
//! items with tenant, priority, host and status; ack, unack and downtime send exactly the
//! documented requests; problem documents, 401, 429, 500 and malformed answers become clear
//! errors without the automation secret.

mod common;

use std::path::Path;

use jiff::Timestamp;
use nightdesk::model::{Item, ItemKey, Priority, StatusCategory};
use nightdesk::sources::{Fetched, Source, SourceError, WriteBack};
use serde_json::{Value, json};
use tempfile::TempDir;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const SECRET: &str = "CMKAUTOMATIONSECRET0815";
const API: &str = "/mysite/check_mk/api/1.0";

/// A local server answering like a Checkmk site, a connector configured for it, a runtime.
struct Harness {
    rt: tokio::runtime::Runtime,
    server: MockServer,
    source: Box<dyn Source>,
    _secrets: TempDir,
}

impl Harness {
    fn new() -> Self {
        Self::with_settings("")
    }

    fn with_settings(extra: &str) -> Self {
        let secrets = TempDir::new().unwrap();
        let file = secrets.path().join("automation.secret");
        std::fs::write(&file, format!("{SECRET}\n")).unwrap();
        let auth = format!(
            "{{ user = \"automation\", password = {{ file = \"{}\" }} }}",
            file.display()
        );
        Self::with_auth(&auth, extra, secrets)
    }

    fn with_auth(auth: &str, extra: &str, secrets: TempDir) -> Self {
        let rt = common::runtime();
        let server = rt.block_on(MockServer::start());
        let config = format!(
            r#"
[[tenants]]
id = "mueller"
[[tenants]]
id = "schmidt"

[[sources]]
id = "cmk"
kind = "checkmk"
base-url = "{}{API}"
auth = {auth}
priorities = {{ unknown = 4 }}
{extra}
"#,
            server.uri()
        );
        let source = common::source(&config);
        Self {
            rt,
            server,
            source,
            _secrets: secrets,
        }
    }

    fn answer(&self, http_method: &str, at: &str, response: ResponseTemplate) {
        self.rt.block_on(
            Mock::given(method(http_method))
                .and(path(format!("{API}{at}")))
                .respond_with(response)
                .mount(&self.server),
        );
    }

    /// Host and service collections from fixtures.
    fn problems(&self, hosts: &str, services: &str) {
        self.answer(
            "POST",
            "/domain-types/host/collections/all",
            json_body(&fixture(hosts)),
        );
        self.answer(
            "POST",
            "/domain-types/service/collections/all",
            json_body(&fixture(services)),
        );
    }

    /// The write-back endpoints, answering as documented: 204 No Content.
    fn accept_write_backs(&self) {
        for at in [
            "/domain-types/acknowledge/collections/host",
            "/domain-types/acknowledge/collections/service",
            "/domain-types/acknowledge/actions/delete/invoke",
            "/domain-types/downtime/collections/host",
            "/domain-types/downtime/collections/service",
        ] {
            self.answer("POST", at, ResponseTemplate::new(204));
        }
    }

    fn fetch(&mut self) -> Result<Vec<Item>, SourceError> {
        match self.rt.block_on(self.source.fetch(now()))? {
            Fetched::Full(items) => Ok(items),
            Fetched::Delta { .. } => panic!("Checkmk answers in full"),
        }
    }

    fn fetch_error(&mut self) -> SourceError {
        let e = self.fetch().expect_err("the fetch should fail");
        assert_no_secret(&e);
        e
    }

    fn write_back(&mut self, external_id: &str, action: &WriteBack) -> Result<(), SourceError> {
        let key = ItemKey::new(self.source.id(), external_id);
        let result = self
            .rt
            .block_on(self.source.write_back(&key, action, now()));
        if let Err(e) = &result {
            assert_no_secret(e);
        }
        result
    }

    fn requests(&self) -> Vec<Request> {
        self.rt.block_on(self.server.received_requests()).unwrap()
    }

    /// The one request the connector sent to `at`, as method and JSON body.
    fn sent_to(&self, at: &str) -> (String, Value) {
        let full = format!("{API}{at}");
        let sent: Vec<Request> = self
            .requests()
            .into_iter()
            .filter(|r| r.url.path() == full)
            .collect();
        assert_eq!(sent.len(), 1, "requests to {at}: {sent:#?}");
        let body = serde_json::from_slice(&sent[0].body).expect("a JSON body");
        (sent[0].method.to_string(), body)
    }
}

fn fixture(name: &str) -> String {
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/recorded/checkmk")
        .join(name);
    std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}

fn json_body(body: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body.to_string(), "application/json")
}

fn problem(status: u16, fixture_name: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(fixture(fixture_name), "application/problem+json")
}

/// The instant the fixtures were "recorded".
fn now() -> Timestamp {
    "2026-11-28T02:30:00Z".parse().unwrap()
}

fn assert_no_secret(e: &SourceError) {
    let text = format!("{e} {e:?}");
    assert!(!text.contains(SECRET), "secret in {text}");
}

fn item<'a>(items: &'a [Item], external_id: &str) -> &'a Item {
    items
        .iter()
        .find(|i| &*i.key.external_id == external_id)
        .unwrap_or_else(|| panic!("no item {external_id} in {items:#?}"))
}

#[test]
fn problems_become_items_with_tenant_priority_host_and_status() {
    let mut h = Harness::new();
    h.problems("hosts.json", "services.json");
    let items = h.fetch().unwrap();
    assert_eq!(items.len(), 5, "{items:#?}");
    assert!(h.source.degraded().is_none());

    let db = item(&items, "srv-db1");
    assert_eq!(db.tenant.as_str(), "mueller", "host label customer");
    assert_eq!(db.priority, Priority::P1, "host down is P1");
    assert_eq!(&*db.title, "srv-db1: CRIT - 10.1.0.20: rta nan, lost 100%");
    assert_eq!(db.host.as_deref(), Some("srv-db1"));
    assert_eq!(db.address.as_deref(), Some("10.1.0.20"));
    assert_eq!(db.status.category, StatusCategory::New);
    assert_eq!(&*db.status.label, "DOWN");
    assert_eq!(db.created.to_string(), "2026-11-28T01:58:30Z");
    assert_eq!(db.label("cmk/os_family"), Some("linux"));
    assert_eq!(db.label("host-group"), Some("linux-servers"));
    assert_eq!(db.label("state-type"), Some("hard"));
    let link = db.link.as_deref().unwrap();
    assert_eq!(
        link,
        format!(
            "{}/mysite/check_mk/view.py?view_name=host&host=srv-db1",
            h.server.uri()
        )
    );

    let ap = item(&items, "ap-lager");
    assert_eq!(ap.priority, Priority::P2, "unreachable is P2");
    assert_eq!(&*ap.status.label, "UNREACHABLE");
    assert_eq!(&*ap.title, "ap-lager: UNREACHABLE", "no output: the state");
    assert_eq!(ap.label("state-type"), Some("soft"));

    let fs = item(&items, "srv-db1;Filesystem /var");
    assert_eq!(fs.tenant.as_str(), "mueller");
    assert_eq!(fs.priority, Priority::P1, "crit is P1");
    assert_eq!(fs.status.category, StatusCategory::Acknowledged);
    assert_eq!(&*fs.status.label, "acknowledged");
    assert!(
        fs.title
            .starts_with("srv-db1 – Filesystem /var: Used: 97.12%")
    );
    assert_eq!(fs.label("service"), Some("Filesystem /var"));
    assert!(
        fs.link
            .as_deref()
            .unwrap()
            .ends_with("view.py?view_name=service&host=srv-db1&service=Filesystem+%2Fvar")
    );

    let iface = item(&items, "fw-schmidt;Interface 3");
    assert_eq!(iface.tenant.as_str(), "schmidt");
    assert_eq!(iface.priority, Priority::P3, "warn is P3");
    assert_eq!(&*iface.status.label, "WARN");
    assert_eq!(iface.label("downtime"), Some("in scheduled downtime"));

    let pi = item(&items, "lab-pi;Check_MK");
    assert_eq!(pi.tenant.as_str(), "unmapped", "no customer label");
    assert_eq!(
        pi.priority,
        Priority::P4,
        "unknown lowered to P4 by the config"
    );
    assert_eq!(pi.address, None, "empty host_address");
    assert_eq!(
        pi.created,
        nightdesk::model::Moment::new(now()),
        "no last state change: now"
    );

    // The documented requests: POST with columns and a query, the automation user's bearer.
    for (domain_type, a_column) in [("host", "name"), ("service", "description")] {
        let (verb, body) = h.sent_to(&format!("/domain-types/{domain_type}/collections/all"));
        assert_eq!(verb, "POST");
        assert_eq!(
            body["query"],
            json!({"op": "!=", "left": "state", "right": "0"})
        );
        let columns = body["columns"].as_array().unwrap();
        for column in [
            a_column,
            "state",
            "plugin_output",
            "acknowledged",
            "scheduled_downtime_depth",
        ] {
            assert!(columns.contains(&json!(column)), "{column} in {columns:?}");
        }
        assert!(body.get("sites").is_none(), "all sites");
    }
    for request in h.requests() {
        assert_eq!(
            request.headers.get("authorization").unwrap(),
            &format!("Bearer automation {SECRET}")
        );
        assert_eq!(request.headers.get("accept").unwrap(), "application/json");
    }
}

#[test]
fn hard_states_only_and_sites_go_into_the_request() {
    let mut h = Harness::with_settings("hard-states-only = true\nsites = [\"mysite\"]");
    h.problems("hosts.json", "services.json");
    h.fetch().unwrap();
    let (_, body) = h.sent_to("/domain-types/service/collections/all");
    assert_eq!(
        body["query"],
        json!({"op": "and", "expr": [
            {"op": "!=", "left": "state", "right": "0"},
            {"op": "=", "left": "state_type", "right": "1"}
        ]})
    );
    assert_eq!(body["sites"], json!(["mysite"]));
}

#[test]
fn ack_sends_the_documented_body_for_services_and_hosts() {
    let mut h = Harness::new();
    h.problems("hosts.json", "services.json");
    h.accept_write_backs();
    h.fetch().unwrap();
    let ack = WriteBack::Ack {
        comment: "looking at it, ticket #4711".into(),
        author: "nachtschicht".into(),
        minutes: Some(45),
    };
    h.write_back("fw-schmidt;Interface 3", &ack).expect("ack");
    let (verb, body) = h.sent_to("/domain-types/acknowledge/collections/service");
    assert_eq!(verb, "POST");
    assert_eq!(
        body,
        json!({
            "acknowledge_type": "service",
            "host_name": "fw-schmidt",
            "service_description": "Interface 3",
            "comment": "[nachtschicht] looking at it, ticket #4711",
            "sticky": false,
            "persistent": false,
            "notify": false,
            "expire_on": "2026-11-28T03:15:00Z",
        })
    );

    let ack = WriteBack::Ack {
        comment: "on it".into(),
        author: "nachtschicht".into(),
        minutes: None,
    };
    h.write_back("srv-db1", &ack).expect("host ack");
    let (_, body) = h.sent_to("/domain-types/acknowledge/collections/host");
    assert_eq!(
        body,
        json!({
            "acknowledge_type": "host",
            "host_name": "srv-db1",
            "comment": "[nachtschicht] on it",
            "sticky": false,
            "persistent": false,
            "notify": false,
        }),
        "no expire_on without a duration"
    );
}

#[test]
fn unack_removes_the_acknowledgement() {
    let mut h = Harness::new();
    h.problems("hosts.json", "services.json");
    h.accept_write_backs();
    h.fetch().unwrap();
    let unack = WriteBack::Unack {
        author: "nachtschicht".into(),
    };
    h.write_back("srv-db1;Filesystem /var", &unack)
        .expect("unack");
    let (verb, body) = h.sent_to("/domain-types/acknowledge/actions/delete/invoke");
    assert_eq!(verb, "POST");
    assert_eq!(
        body,
        json!({
            "acknowledge_type": "service",
            "host_name": "srv-db1",
            "service_description": "Filesystem /var",
        })
    );
}

#[test]
fn downtime_runs_from_now_for_the_minutes_given() {
    let mut h = Harness::new();
    h.problems("hosts.json", "services.json");
    h.accept_write_backs();
    h.fetch().unwrap();
    let downtime = WriteBack::Downtime {
        comment: "firmware update".into(),
        author: "nachtschicht".into(),
        minutes: 90,
    };
    h.write_back("fw-schmidt;Interface 3", &downtime)
        .expect("service downtime");
    let (verb, body) = h.sent_to("/domain-types/downtime/collections/service");
    assert_eq!(verb, "POST");
    assert_eq!(
        body,
        json!({
            "downtime_type": "service",
            "host_name": "fw-schmidt",
            "service_descriptions": ["Interface 3"],
            "start_time": "2026-11-28T02:30:00Z",
            "end_time": "2026-11-28T04:00:00Z",
            "comment": "[nachtschicht] firmware update",
        })
    );

    h.write_back("ap-lager", &downtime).expect("host downtime");
    let (_, body) = h.sent_to("/domain-types/downtime/collections/host");
    assert_eq!(
        body,
        json!({
            "downtime_type": "host",
            "host_name": "ap-lager",
            "start_time": "2026-11-28T02:30:00Z",
            "end_time": "2026-11-28T04:00:00Z",
            "comment": "[nachtschicht] firmware update",
        })
    );
}

#[test]
fn refusals_show_checkmks_problem_document() {
    let mut h = Harness::new();
    h.problems("hosts.json", "services.json");
    h.answer(
        "POST",
        "/domain-types/acknowledge/collections/service",
        problem(422, "problem-422.json"),
    );
    h.answer(
        "POST",
        "/domain-types/acknowledge/collections/host",
        problem(400, "problem-400.json"),
    );
    h.fetch().unwrap();
    let ack = WriteBack::Ack {
        comment: "x".into(),
        author: "me".into(),
        minutes: None,
    };
    let e = h.write_back("srv-db1;Filesystem /var", &ack).unwrap_err();
    assert_eq!(
        e,
        SourceError::Refused(
            "This service has no problem: Service 'Filesystem /var'@'srv-db1' has no problem."
                .into()
        )
    );
    let e = h.write_back("srv-db1", &ack).unwrap_err();
    assert_eq!(
        e,
        SourceError::Refused(
            "Bad Request: These fields have problems: host_name (host_name: Host not found: 'srv-db1')".into()
        )
    );

    let before = h.requests().len();
    let e = h.write_back("gone-host", &ack).unwrap_err();
    assert!(
        matches!(&e, SourceError::Refused(m) if m.contains("gone-host")),
        "{e}"
    );
    assert_eq!(
        h.requests().len(),
        before,
        "nothing sent for a problem not read"
    );
    assert_eq!(
        h.write_back("srv-db1", &WriteBack::Recheck),
        Err(SourceError::Unsupported)
    );
}

#[test]
fn wrong_secret_is_an_auth_error_with_checkmks_words() {
    let mut h = Harness::new();
    h.answer(
        "POST",
        "/domain-types/host/collections/all",
        problem(401, "problem-401.json"),
    );
    h.answer(
        "POST",
        "/domain-types/service/collections/all",
        problem(401, "problem-401.json"),
    );
    let e = h.fetch_error();
    assert_eq!(
        e,
        SourceError::Auth(
            "HTTP 401: You need to be authenticated to use the REST API: Wrong credentials (Bearer header)".into()
        )
    );
}

#[test]
fn a_token_without_user_is_refused_before_asking() {
    let secrets = TempDir::new().unwrap();
    let file = secrets.path().join("token");
    std::fs::write(&file, SECRET).unwrap();
    let auth = format!("{{ file = \"{}\" }}", file.display());
    let mut h = Harness::with_auth(&auth, "", secrets);
    let e = h.fetch_error();
    assert!(
        matches!(&e, SourceError::Auth(m) if m.contains("automation user")),
        "{e}"
    );
    assert!(h.requests().is_empty());
}

#[test]
fn rate_limit_server_error_and_malformed_body() {
    let mut h = Harness::new();
    let slow_down = ResponseTemplate::new(429).insert_header("Retry-After", "30");
    h.answer(
        "POST",
        "/domain-types/host/collections/all",
        slow_down.clone(),
    );
    h.answer("POST", "/domain-types/service/collections/all", slow_down);
    assert_eq!(h.fetch_error(), SourceError::RateLimited(Some(30)));

    let mut h = Harness::new();
    // A reverse proxy's page, not a problem document: its first line is shown.
    let proxy = ResponseTemplate::new(500).set_body_raw(
        "<html><body>Internal Server Error</body></html>",
        "text/html",
    );
    h.answer("POST", "/domain-types/host/collections/all", proxy.clone());
    h.answer("POST", "/domain-types/service/collections/all", proxy);
    assert!(matches!(
        h.fetch_error(),
        SourceError::Http { status: 500, message } if message.contains("Internal Server Error")
    ));

    let mut h = Harness::new();
    h.answer(
        "POST",
        "/domain-types/host/collections/all",
        json_body(r#"{"value": [{"extensions": {"name": "x""#),
    );
    h.answer(
        "POST",
        "/domain-types/service/collections/all",
        json_body(&fixture("services.json")),
    );
    let e = h.fetch_error();
    assert!(
        matches!(&e, SourceError::Protocol(m) if m.contains("malformed JSON")),
        "{e}"
    );
}

#[test]
fn an_error_page_that_echoes_the_request_does_not_leak_the_secret() {
    let mut h = Harness::new();
    // A debugging proxy that prints the request it could not forward.
    let echo = ResponseTemplate::new(502).set_body_string(format!(
        "upstream failed for POST {API}/domain-types/host/collections/all, Authorization: Bearer automation {SECRET}"
    ));
    h.answer("POST", "/domain-types/host/collections/all", echo.clone());
    h.answer("POST", "/domain-types/service/collections/all", echo);
    let e = h.fetch_error();
    assert!(
        matches!(&e, SourceError::Http { status: 502, message } if message.ends_with("automation ***")),
        "{e}"
    );
}

#[test]
fn a_record_with_missing_fields_is_skipped_and_counted() {
    let mut h = Harness::new();
    h.problems("hosts.json", "services-missing-fields.json");
    let items = h.fetch().unwrap();
    assert_eq!(items.len(), 3, "two hosts and the complete service");
    assert!(
        items
            .iter()
            .any(|i| &*i.key.external_id == "fw-schmidt;Interface 3")
    );
    let degraded = h.source.degraded().expect("degraded");
    assert!(
        degraded.starts_with("1 of 2 services could not be read"),
        "{degraded}"
    );
    assert!(degraded.contains("description"), "{degraded}");
}

#[test]
fn a_megabyte_plugin_output_is_clipped() {
    let mut h = Harness::new();
    let mut services: Value = serde_json::from_str(&fixture("services.json")).unwrap();
    services["value"][0]["extensions"]["plugin_output"] = "x".repeat(1024 * 1024).into();
    h.answer(
        "POST",
        "/domain-types/host/collections/all",
        json_body(&fixture("hosts.json")),
    );
    h.answer(
        "POST",
        "/domain-types/service/collections/all",
        json_body(&services.to_string()),
    );
    let items = h.fetch().unwrap();
    let fs = item(&items, "srv-db1;Filesystem /var");
    assert!(fs.title.chars().count() <= 500);
    assert!(fs.title.ends_with('…'));
    assert!(fs.labels.iter().all(|(_, v)| v.chars().count() <= 2000));
}

#[test]
fn escape_sequences_stay_data() {
    let mut h = Harness::new();
    h.problems("hosts.json", "services-escapes.json");
    let items = h.fetch().unwrap();
    let evil = items
        .iter()
        .find(|i| i.host.as_deref() == Some("evil\u{1b}[31mhost"))
        .expect("the escaped host");
    assert_eq!(
        &*evil.key.external_id,
        "evil\u{1b}[31mhost;Log \u{1b}]0;pwned\u{7} /var/log"
    );
    assert!(
        evil.title.contains("line1\r\nline2 \u{1b}[2J"),
        "{:?}",
        evil.title
    );
    assert_eq!(evil.label("note\u{1b}[1m"), Some("x\u{1b}[5my"));
    assert_eq!(
        evil.tenant.as_str(),
        "unmapped",
        "an escaped label value maps to no tenant"
    );
}

#[test]
fn check_reports_version_site_and_count() {
    let mut h = Harness::new();
    h.problems("hosts.json", "services.json");
    h.answer("GET", "/version", json_body(&fixture("version.json")));
    let text = h.rt.block_on(h.source.check(now())).unwrap();
    assert_eq!(text, "Checkmk 2.4.0p6.cre, site mysite, 5 problems");
}
