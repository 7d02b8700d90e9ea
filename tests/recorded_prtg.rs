//! The PRTG connector against recorded responses built from PRTG's documented formats
//! (fixtures and their sources: `tests/fixtures/recorded/prtg/README.md`), served by a local
//! HTTP server: not a live PRTG. Sensors in an alarm state become items with tenant,
//! priority, host and status; acknowledging calls `acknowledgealarm.htm` with exactly the
//! documented parameters; PRTG's ways of failing (error redirect, login page, 400 with an
//! error document, 401) and generic HTTP failures become clear errors without the secret.

mod common;

use std::path::{Path, PathBuf};

use jiff::Timestamp;
use nightdesk::model::{Item, Priority, StatusCategory};
use nightdesk::sources::{Fetched, Source, SourceError, WriteBack};
use tempfile::TempDir;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const TOKEN: &str = "PRTGKEY4711SECRETXZ";
const PASSHASH: &str = "3141592653";

/// A local server answering like PRTG, a connector configured for it, and a runtime.
struct Harness {
    rt: tokio::runtime::Runtime,
    server: MockServer,
    source: Box<dyn Source>,
    _secrets: TempDir,
}

enum Login {
    Token,
    Passhash,
}

impl Harness {
    fn new(login: Login) -> Self {
        Self::with_settings(login, "")
    }

    fn with_settings(login: Login, extra: &str) -> Self {
        let rt = common::runtime();
        let server = rt.block_on(MockServer::start());
        let secrets = TempDir::new().unwrap();
        let auth = match login {
            Login::Token => format!("{{ file = \"{}\" }}", secret(&secrets, TOKEN).display()),
            Login::Passhash => format!(
                "{{ user = \"nightdesk\", password = {{ file = \"{}\" }} }}",
                secret(&secrets, PASSHASH).display()
            ),
        };
        let config = format!(
            r#"
[[tenants]]
id = "mueller"
[[tenants]]
id = "schmidt"

[[sources]]
id = "prtg"
kind = "prtg"
base-url = "{}"
auth = {auth}
tenant-map = {{ "Mueller GmbH (Remote Probe)" = "mueller" }}
priorities = {{ unusual = 2 }}
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
                .and(path(at))
                .respond_with(response)
                .mount(&self.server),
        );
    }

    fn sensors(&self, fixture_name: &str) {
        self.answer("GET", "/api/table.json", json_body(&fixture(fixture_name)));
    }

    fn fetch(&mut self) -> Result<Vec<Item>, SourceError> {
        match self.rt.block_on(self.source.fetch(now()))? {
            Fetched::Full(items) => Ok(items),
            Fetched::Delta { .. } => panic!("PRTG answers in full"),
        }
    }

    fn fetch_error(&mut self) -> SourceError {
        let e = self.fetch().expect_err("the fetch should fail");
        assert_no_secret(&e);
        e
    }

    fn write_back(&mut self, external_id: &str, action: &WriteBack) -> Result<(), SourceError> {
        let key = nightdesk::model::ItemKey::new(self.source.id(), external_id);
        self.rt
            .block_on(self.source.write_back(&key, action, now()))
    }

    fn requests(&self) -> Vec<Request> {
        self.rt.block_on(self.server.received_requests()).unwrap()
    }
}

fn secret(dir: &TempDir, value: &str) -> PathBuf {
    let file = dir.path().join("secret");
    std::fs::write(&file, format!("{value}\n")).unwrap();
    file
}

fn fixture(name: &str) -> String {
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/recorded/prtg")
        .join(name);
    std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}

fn json_body(body: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body.to_string(), "application/json")
}

/// The instant the fixtures were "recorded": 02:30 UTC, a minute after the last checks.
fn now() -> Timestamp {
    "2026-11-28T02:30:00Z".parse().unwrap()
}

fn assert_no_secret(e: &SourceError) {
    let text = format!("{e} {e:?}");
    assert!(!text.contains(TOKEN), "token in {text}");
    assert!(!text.contains(PASSHASH), "passhash in {text}");
}

fn query(request: &Request) -> Vec<(String, String)> {
    request
        .url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn values<'a>(query: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    query
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .collect()
}

fn by_sensor<'a>(items: &'a [Item], sensor: &str) -> &'a Item {
    items
        .iter()
        .find(|i| i.label("sensor") == Some(sensor))
        .unwrap_or_else(|| panic!("no item for {sensor} in {items:#?}"))
}

#[test]
fn alarm_sensors_become_items_with_tenant_priority_host_and_status() {
    let mut h = Harness::new(Login::Token);
    h.sensors("sensors.json");
    let items = h.fetch().unwrap();
    assert_eq!(items.len(), 5, "{items:#?}");
    assert!(h.source.degraded().is_none(), "{:?}", h.source.degraded());

    let ping = by_sensor(&items, "Ping");
    assert_eq!(&*ping.key.external_id, "2045");
    assert_eq!(ping.tenant.as_str(), "mueller", "probe through tenant-map");
    assert_eq!(ping.priority, Priority::P1, "down is P1");
    assert_eq!(
        &*ping.title,
        "dc01.mueller.local – Ping: Destination host unreachable (ICMP error # 11003)"
    );
    assert_eq!(ping.host.as_deref(), Some("dc01.mueller.local"));
    assert_eq!(ping.address.as_deref(), Some("10.1.0.5"));
    assert_eq!(ping.status.category, StatusCategory::New);
    assert_eq!(&*ping.status.label, "Down");
    assert_eq!(
        ping.created.to_string(),
        "2026-11-28T01:58:30Z",
        "last check 02:29:30 minus 31 min down"
    );
    assert_eq!(ping.label("group"), Some("Servers"));
    assert_eq!(ping.label("probe"), Some("Mueller GmbH (Remote Probe)"));
    assert_eq!(ping.label("device"), Some("dc01.mueller.local"));
    let tags: Vec<&str> = ping
        .labels
        .iter()
        .filter(|(k, _)| *k == "tag")
        .map(|(_, v)| v)
        .collect();
    assert_eq!(tags, ["pingsensor", "customer-mm"]);
    assert_eq!(
        ping.link.as_deref(),
        Some(format!("{}/sensor.htm?id=2045", h.server.uri()).as_str())
    );

    let port = by_sensor(&items, "Port 24 Traffic");
    assert_eq!(
        port.tenant.as_str(),
        "schmidt",
        "a probe named like a tenant"
    );
    assert_eq!(port.priority, Priority::P3, "warning is P3");
    assert_eq!(&*port.status.label, "Warning");

    let disk = by_sensor(&items, "Disk Free");
    assert_eq!(disk.priority, Priority::P2, "down-partial is P2");
    assert_eq!(&*disk.status.label, "Down (Partial)");
    assert_eq!(
        disk.created,
        nightdesk::model::Moment::new(now()),
        "no downtimesince: now"
    );

    let http = by_sensor(&items, "HTTP");
    assert_eq!(
        http.priority,
        Priority::P2,
        "unusual raised to P2 by the config"
    );
    assert_eq!(http.address, None, "empty host column");

    let nas = by_sensor(&items, "SNMP Uptime");
    assert_eq!(
        nas.tenant.as_str(),
        "unmapped",
        "a probe that names no tenant"
    );
    assert_eq!(
        nas.priority,
        Priority::P1,
        "down-acknowledged keeps down's P1"
    );
    assert_eq!(nas.status.category, StatusCategory::Acknowledged);
    assert_eq!(&*nas.status.label, "acknowledged");

    // The documented table call, authenticated by the API key as `apitoken=`.
    let requests = h.requests();
    assert_eq!(requests.len(), 1);
    let q = query(&requests[0]);
    assert_eq!(requests[0].method.as_str(), "GET");
    assert_eq!(requests[0].url.path(), "/api/table.json");
    assert_eq!(values(&q, "apitoken"), [TOKEN]);
    assert_eq!(values(&q, "content"), ["sensors"]);
    let mut states = values(&q, "filter_status");
    states.sort_unstable();
    assert_eq!(states, ["10", "13", "14", "4", "5"]);
    let columns = values(&q, "columns")[0];
    for column in [
        "objid", "device", "sensor", "status", "message", "group", "probe", "host",
    ] {
        assert!(
            columns.split(',').any(|c| c == column),
            "{column} in {columns}"
        );
    }
    assert_eq!(values(&q, "count"), ["50000"], "past the default of 500");
    assert!(values(&q, "username").is_empty());
}

#[test]
fn a_login_is_sent_as_username_and_passhash_and_root_id_as_id() {
    let mut h = Harness::with_settings(Login::Passhash, "root-id = 2001");
    h.sensors("sensors.json");
    assert_eq!(h.fetch().unwrap().len(), 5);
    let q = query(&h.requests()[0]);
    assert_eq!(values(&q, "username"), ["nightdesk"]);
    assert_eq!(values(&q, "passhash"), [PASSHASH]);
    assert_eq!(values(&q, "id"), ["2001"]);
    assert!(values(&q, "apitoken").is_empty());
    assert!(
        values(&q, "password").is_empty(),
        "the passhash, never a password"
    );
}

#[test]
fn ack_calls_acknowledgealarm_with_id_and_message() {
    let mut h = Harness::new(Login::Token);
    h.sensors("sensors.json");
    // The answer body of acknowledgealarm.htm is not documented; PRTG answers 200.
    h.answer(
        "GET",
        "/api/acknowledgealarm.htm",
        ResponseTemplate::new(200),
    );
    h.fetch().unwrap();
    let ack = WriteBack::Ack {
        comment: "looking at it, ticket #4711".into(),
        author: "nachtschicht".into(),
        minutes: Some(45),
    };
    h.write_back("2045", &ack).expect("ack");

    let requests = h.requests();
    let acks: Vec<&Request> = requests
        .iter()
        .filter(|r| r.url.path() == "/api/acknowledgealarm.htm")
        .collect();
    assert_eq!(acks.len(), 1);
    assert_eq!(acks[0].method.as_str(), "GET");
    let mut q = query(acks[0]);
    q.sort();
    assert_eq!(
        q,
        [
            (
                "ackmsg".to_string(),
                "[nachtschicht] looking at it, ticket #4711".to_string()
            ),
            ("apitoken".to_string(), TOKEN.to_string()),
            ("id".to_string(), "2045".to_string()),
        ],
        "exactly the documented parameters: no duration"
    );
}

#[test]
fn ack_refused_by_prtg_says_why_and_unknown_sensors_are_not_sent() {
    let mut h = Harness::new(Login::Token);
    h.sensors("sensors.json");
    // PRTG reports a failed call as a redirect to its error page.
    h.answer(
        "GET",
        "/api/acknowledgealarm.htm",
        ResponseTemplate::new(302).insert_header(
            "Location",
            "/error.htm?errormsg=Sorry%2C+the+selected+object+cannot+be+used+here.",
        ),
    );
    h.fetch().unwrap();
    let ack = WriteBack::Ack {
        comment: "x".into(),
        author: "me".into(),
        minutes: None,
    };
    let e = h.write_back("2101", &ack).unwrap_err();
    assert_eq!(
        e,
        SourceError::Refused("PRTG: Sorry, the selected object cannot be used here.".into())
    );

    let before = h.requests().len();
    let e = h.write_back("9999", &ack).unwrap_err();
    assert!(
        matches!(&e, SourceError::Refused(m) if m.contains("9999")),
        "{e}"
    );
    assert_eq!(
        h.requests().len(),
        before,
        "nothing sent for a sensor not read"
    );
}

#[test]
fn only_ack_is_offered() {
    let mut h = Harness::new(Login::Token);
    h.sensors("sensors.json");
    h.fetch().unwrap();
    let caps = h.source.capabilities();
    assert!(caps.ack && !caps.unack && !caps.downtime && !caps.recheck);
    let unack = WriteBack::Unack {
        author: "me".into(),
    };
    assert_eq!(h.write_back("2045", &unack), Err(SourceError::Unsupported));
    let downtime = WriteBack::Downtime {
        comment: "maintenance".into(),
        author: "me".into(),
        minutes: 30,
    };
    assert_eq!(
        h.write_back("2045", &downtime),
        Err(SourceError::Unsupported)
    );
    assert_eq!(h.requests().len(), 1, "only the read");
}

#[test]
fn error_redirect_is_a_protocol_error_with_prtgs_message() {
    let mut h = Harness::new(Login::Token);
    // The error page's URL repeats the failed request, credentials included.
    let location = format!(
        "/error.htm?errormsg=Sorry%2C+there+is+no+object+with+the+specified+id.&errorurl=%2Fapi%2Ftable.json%3Fcontent%3Dsensors%26apitoken%3D{TOKEN}"
    );
    h.answer(
        "GET",
        "/api/table.json",
        ResponseTemplate::new(302).insert_header("Location", location.as_str()),
    );
    let e = h.fetch_error();
    assert_eq!(
        e,
        SourceError::Protocol("PRTG: Sorry, there is no object with the specified id.".into())
    );
}

#[test]
fn login_redirect_and_login_page_are_auth_errors() {
    let mut h = Harness::new(Login::Token);
    h.answer(
        "GET",
        "/api/table.json",
        ResponseTemplate::new(302).insert_header(
            "Location",
            format!(
                "/public/login.htm?loginurl=%2Fapi%2Ftable.json%3Fapitoken%3D{TOKEN}&errormsg="
            )
            .as_str(),
        ),
    );
    let e = h.fetch_error();
    assert!(
        matches!(&e, SourceError::Auth(m) if m.contains("login page")),
        "{e}"
    );

    let mut h = Harness::new(Login::Passhash);
    h.answer(
        "GET",
        "/api/table.json",
        ResponseTemplate::new(200).set_body_raw(fixture("login.html"), "text/html"),
    );
    let e = h.fetch_error();
    assert!(
        matches!(&e, SourceError::Auth(m) if m.contains("not accepted")),
        "{e}"
    );
}

#[test]
fn http_401_is_auth_and_400_carries_the_error_document() {
    let mut h = Harness::new(Login::Token);
    h.answer(
        "GET",
        "/api/table.json",
        ResponseTemplate::new(401).set_body_string("Unauthorized"),
    );
    let e = h.fetch_error();
    assert!(
        matches!(&e, SourceError::Auth(m) if m.contains("401")),
        "{e}"
    );

    let mut h = Harness::new(Login::Token);
    h.answer(
        "GET",
        "/api/table.json",
        ResponseTemplate::new(400).set_body_raw(fixture("error-400.xml"), "text/xml"),
    );
    let e = h.fetch_error();
    assert_eq!(
        e,
        SourceError::Protocol("PRTG: Sorry, there is no object with the specified id.".into())
    );
}

#[test]
fn rate_limit_server_error_and_malformed_body() {
    let mut h = Harness::new(Login::Token);
    h.answer(
        "GET",
        "/api/table.json",
        ResponseTemplate::new(429).insert_header("Retry-After", "120"),
    );
    assert_eq!(h.fetch_error(), SourceError::RateLimited(Some(120)));

    let mut h = Harness::new(Login::Token);
    h.answer(
        "GET",
        "/api/table.json",
        ResponseTemplate::new(500).set_body_string("PRTG Core Server is starting"),
    );
    assert_eq!(
        h.fetch_error(),
        SourceError::Http {
            status: 500,
            message: "PRTG Core Server is starting".into()
        }
    );

    let mut h = Harness::new(Login::Token);
    h.answer(
        "GET",
        "/api/table.json",
        json_body(r#"{"prtg-version": "24.4.102.1351", "treesize": 1, "sensors": [{"objid": 1"#),
    );
    let e = h.fetch_error();
    assert!(
        matches!(&e, SourceError::Protocol(m) if m.contains("malformed JSON")),
        "{e}"
    );
}

#[test]
fn an_error_page_that_echoes_the_url_does_not_leak_the_secret() {
    let echoes = [
        (Login::Token, format!("apitoken={TOKEN}")),
        (
            Login::Passhash,
            format!("username=nightdesk&passhash={PASSHASH}"),
        ),
    ];
    for (login, credentials) in echoes {
        let mut h = Harness::new(login);
        h.answer(
            "GET",
            "/api/table.json",
            ResponseTemplate::new(502).set_body_string(format!(
                "Bad gateway for /api/table.json?content=sensors&{credentials}"
            )),
        );
        let e = h.fetch_error();
        assert!(
            matches!(&e, SourceError::Http { status: 502, message } if message.contains("=***")),
            "{e}"
        );
    }
    // A success that is no JSON: the malformed-JSON message quotes the body, cleaned too.
    let mut h = Harness::new(Login::Token);
    h.answer(
        "GET",
        "/api/table.json",
        ResponseTemplate::new(200).set_body_raw(
            format!("<p>you asked for ?apitoken={TOKEN}</p>"),
            "text/html",
        ),
    );
    let e = h.fetch_error();
    assert!(
        matches!(&e, SourceError::Protocol(m) if m.contains("malformed JSON") && m.contains("***")),
        "{e}"
    );
}

#[test]
fn a_record_with_missing_fields_is_skipped_and_counted() {
    let mut h = Harness::new(Login::Token);
    h.sensors("sensors-missing-fields.json");
    let items = h.fetch().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(&*items[0].key.external_id, "3002");
    let degraded = h.source.degraded().expect("degraded");
    assert!(
        degraded.starts_with("1 of 2 sensors could not be read"),
        "{degraded}"
    );
    assert!(degraded.contains("device"), "{degraded}");
}

#[test]
fn a_megabyte_message_is_clipped() {
    let mut h = Harness::new(Login::Token);
    let mut table: serde_json::Value = serde_json::from_str(&fixture("sensors.json")).unwrap();
    let huge = "x".repeat(1024 * 1024);
    table["sensors"][0]["message_raw"] = huge.clone().into();
    table["sensors"][0]["device"] = huge.into();
    h.answer("GET", "/api/table.json", json_body(&table.to_string()));
    let items = h.fetch().unwrap();
    let item = items
        .iter()
        .find(|i| &*i.key.external_id == "2045")
        .unwrap();
    assert!(item.title.chars().count() <= 500, "{}", item.title.len());
    assert!(item.title.ends_with('…'));
    assert!(item.host.as_deref().unwrap().chars().count() <= 2000);
    assert!(item.labels.iter().all(|(_, v)| v.chars().count() <= 2000));
}

#[test]
fn escape_sequences_stay_data() {
    let mut h = Harness::new(Login::Token);
    h.sensors("sensors-escapes.json");
    let items = h.fetch().unwrap();
    assert_eq!(items.len(), 1);
    let item = &items[0];
    assert!(item.title.contains("evil\u{1b}[31mred"), "{:?}", item.title);
    assert!(item.title.contains("Ping\r\nInjected"), "{:?}", item.title);
    assert_eq!(item.label("tag"), Some("tag\u{1b}[1mbold"));
    assert_eq!(item.label("group"), Some("Srv\u{1b}[2J"));
    assert_eq!(
        item.tenant.as_str(),
        "unmapped",
        "an escaped probe name maps to no tenant"
    );
}

#[test]
fn check_reports_version_and_alarm_count() {
    let mut h = Harness::new(Login::Token);
    h.sensors("sensors.json");
    h.answer(
        "GET",
        "/api/getstatus.htm",
        json_body(&fixture("getstatus.json")),
    );
    let text = h.rt.block_on(h.source.check(now())).unwrap();
    assert_eq!(text, "PRTG 24.4.102.1351, 5 sensors in an alarm state");
    let requests = h.requests();
    let status = requests
        .iter()
        .find(|r| r.url.path() == "/api/getstatus.htm")
        .unwrap();
    let q = query(status);
    assert_eq!(values(&q, "id"), ["0"]);
    assert_eq!(values(&q, "apitoken"), [TOKEN]);
}
