//! The Veeam Backup & Replication connector against recorded responses built from the
//! documented REST API formats (fixtures and their sources:
//! `tests/fixtures/recorded/veeam/README.md`), served by a local HTTP server: not a live VBR
//! server. Job states become findings (failed, finished with warnings, RPO exceeded, stopped,
//! disabled); the OAuth2 password grant and the `x-api-version` header are sent as
//! documented; 401, 429, 500 and malformed answers become clear errors without the password
//! or the token.

mod common;

use common::recorded::{ids, item, json_body, status_json};

use jiff::Timestamp;
use nightdesk::model::{Health, Item, Priority};
use nightdesk::sources::{Fetched, Source, SourceError};
use tempfile::TempDir;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const PASSWORD: &str = "VBR-Passw0rd-0815";
const TOKEN: &str = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.VEEAMACCESSTOKEN0815";
const SQL_JOB: &str = "0a5b3c2e-61c7-4f43-9a0e-3b4d5e6f7a81";
const DC_JOB: &str = "1b6c4d3f-72d8-4054-8b1f-4c5e6f7a8b92";

struct Harness {
    rt: tokio::runtime::Runtime,
    server: MockServer,
    source: Box<dyn Source>,
    _secrets: TempDir,
}

impl Harness {
    fn new(extra: &str) -> Self {
        let secrets = TempDir::new().unwrap();
        let file = secrets.path().join("vbr.password");
        std::fs::write(&file, format!("{PASSWORD}\n")).unwrap();
        let rt = common::runtime();
        let server = rt.block_on(MockServer::start());
        let config = format!(
            r#"
[[tenants]]
id = "mueller"

[[sources]]
id = "vbr-mueller"
kind = "veeam"
tenant = "mueller"
base-url = "{}"
auth = {{ user = "MUELLER\\nightdesk", password = {{ file = "{}" }} }}
page-size = 3
restore-test-interval = "off"
jobs = [{{ id = "Exchange-Hourly", interval = "1h", grace = "30m" }}]
{extra}
"#,
            server.uri(),
            file.display()
        );
        let source = common::source(&config);
        Self {
            rt,
            server,
            source,
            _secrets: secrets,
        }
    }

    fn mount(&self, mock: Mock) {
        self.rt.block_on(mock.mount(&self.server));
    }

    fn token(&self) {
        self.mount(
            Mock::given(method("POST"))
                .and(path("/api/oauth2/token"))
                .respond_with(json_body(&fixture("token.json"))),
        );
    }

    /// Token, both pages of job states and the sessions of the two failing jobs.
    fn server_with_jobs(&self) {
        self.token();
        for (skip, page) in [
            ("0", "jobs-states-page1.json"),
            ("3", "jobs-states-page2.json"),
        ] {
            self.mount(
                Mock::given(method("GET"))
                    .and(path("/api/v1/jobs/states"))
                    .and(query_param("skip", skip))
                    .and(query_param("limit", "3"))
                    .respond_with(json_body(&fixture(page))),
            );
        }
        self.mount(
            Mock::given(method("GET"))
                .and(path("/api/v1/sessions"))
                .and(query_param("jobIdFilter", SQL_JOB))
                .and(query_param("resultFilter", "Success"))
                .respond_with(json_body(&fixture("sessions-sql-success.json")))
                .with_priority(1),
        );
        for (job, sessions) in [(SQL_JOB, "sessions-sql.json"), (DC_JOB, "sessions-dc.json")] {
            self.mount(
                Mock::given(method("GET"))
                    .and(path("/api/v1/sessions"))
                    .and(query_param("jobIdFilter", job))
                    .respond_with(json_body(&fixture(sessions))),
            );
        }
    }

    fn fetch(&mut self) -> Result<Vec<Item>, SourceError> {
        match self.rt.block_on(self.source.fetch(now()))? {
            Fetched::Full(items) => Ok(items),
            Fetched::Delta { .. } => panic!("Veeam answers in full"),
        }
    }

    fn fetch_error(&mut self) -> SourceError {
        let e = self.fetch().expect_err("the fetch should fail");
        let text = format!("{e} {e:?}");
        assert!(!text.contains(PASSWORD), "password in {text}");
        assert!(!text.contains(TOKEN), "token in {text}");
        e
    }

    fn requests(&self, at: &str) -> Vec<Request> {
        self.rt
            .block_on(self.server.received_requests())
            .unwrap()
            .into_iter()
            .filter(|r| r.url.path() == at)
            .collect()
    }
}

/// The instant the fixtures were "recorded".
fn now() -> Timestamp {
    "2026-11-28T08:00:00Z".parse().unwrap()
}

fn fixture(name: &str) -> String {
    common::recorded::fixture("veeam", name)
}

#[test]
fn job_states_become_findings() {
    let mut h = Harness::new("");
    h.server_with_jobs();
    let items = h.fetch().unwrap();
    let sql = SQL_JOB;
    let exchange = "3d8e6f51-94fa-4276-8d31-6e7f8a9b0db4";
    let old = "4e9f7062-a50b-4387-9e42-7f8a9b0c1ec5";
    let mut expected = vec![
        format!("{sql}/failed"),
        format!("{sql}/rpo"),
        format!("{DC_JOB}/failed"),
        format!("{exchange}/rpo"),
        format!("{exchange}/stopped"),
        format!("{old}/rpo"),
    ];
    expected.sort();
    assert_eq!(ids(&items), expected);

    let failed = item(&items, &format!("{sql}/failed"));
    assert_eq!(
        &*failed.title,
        "Backup 'SQL-Nightly' failed 7h ago: Processing sql-01 Error: VSS snapshot creation failed (0x80042306)"
    );
    assert_eq!(failed.tenant.as_str(), "mueller");
    assert_eq!(failed.priority, Priority::P2);
    assert_eq!(
        failed.created.timestamp(),
        "2026-11-28T00:00:05.213Z".parse().unwrap()
    );
    assert_eq!(failed.label("repository"), Some("Repo-NAS01"));
    assert_eq!(failed.label("tool"), Some("veeam"));

    // Both recent sessions failed: the newest successful one is asked for.
    let rpo = item(&items, &format!("{sql}/rpo"));
    assert_eq!(
        &*rpo.title,
        "Backup 'SQL-Nightly': newest restore point 55h old (RPO 26h)"
    );

    let warning = item(&items, &format!("{DC_JOB}/failed"));
    assert_eq!(
        &*warning.title,
        "Backup 'DC-System' finished with warnings 9h ago: dc-01: Changed block tracking is disabled, falling back to a full scan"
    );
    assert_eq!(warning.status.label.as_ref(), "partial");

    let stopped = item(&items, &format!("{exchange}/stopped"));
    assert_eq!(
        &*stopped.title,
        "Backup 'Exchange-Hourly': no run for 13h (next run was due 12h ago)"
    );
    let disabled = item(&items, &format!("{old}/rpo"));
    assert!(
        disabled.title.ends_with("(job disabled)"),
        "{}",
        disabled.title
    );
    assert!(
        items
            .iter()
            .all(|i| *i.key.external_id != format!("{old}/stopped")),
        "a disabled job does not stop"
    );

    // The malformed record is skipped and counted.
    let degraded = h.source.degraded().expect("degraded");
    assert!(
        degraded.starts_with("1 of 6 job states could not be read (missing field `name`"),
        "{degraded}"
    );
}

#[test]
fn the_token_is_requested_as_documented_and_sent_with_the_api_version() {
    let mut h = Harness::new("");
    h.server_with_jobs();
    h.fetch().unwrap();
    let tokens = h.requests("/api/oauth2/token");
    assert_eq!(tokens.len(), 1, "one login for all requests");
    let token = &tokens[0];
    assert_eq!(token.headers["x-api-version"], "1.1-rev2");
    assert_eq!(
        token.headers["content-type"],
        "application/x-www-form-urlencoded"
    );
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&token.body)
        .into_owned()
        .collect();
    assert_eq!(
        form,
        [
            ("grant_type".to_string(), "password".to_string()),
            ("username".to_string(), "MUELLER\\nightdesk".to_string()),
            ("password".to_string(), PASSWORD.to_string()),
        ]
    );
    let pages = h.requests("/api/v1/jobs/states");
    assert_eq!(pages.len(), 2, "two pages of three");
    for page in &pages {
        assert_eq!(page.headers["x-api-version"], "1.1-rev2");
        assert_eq!(
            page.headers["authorization"],
            format!("Bearer {TOKEN}").as_str()
        );
    }
    let sessions = h.requests("/api/v1/sessions");
    assert_eq!(
        sessions.len(),
        3,
        "two failing jobs, one asked again for its newest success"
    );
    let query = sessions[0].url.query().unwrap_or_default();
    assert!(
        query.contains("orderColumn=CreationTime") && query.contains("orderAsc=false"),
        "{query}"
    );
}

#[test]
fn the_configured_api_version_is_sent() {
    let mut h = Harness::new("api-version = \"1.3-rev1\"");
    h.mount(
        Mock::given(method("POST"))
            .and(path("/api/oauth2/token"))
            .and(header("x-api-version", "1.3-rev1"))
            .respond_with(json_body(&fixture("token.json"))),
    );
    h.mount(
        Mock::given(method("GET"))
            .and(path("/api/v1/jobs/states"))
            .and(header("x-api-version", "1.3-rev1"))
            .respond_with(json_body(
                r#"{"data": [], "pagination": {"total": 0, "count": 0}}"#,
            )),
    );
    assert!(h.fetch().unwrap().is_empty());
}

#[test]
fn an_expired_token_is_replaced_once() {
    let mut h = Harness::new("");
    h.token();
    // The first job request is refused (the token expired on the server), then served.
    h.mount(
        Mock::given(method("GET"))
            .and(path("/api/v1/jobs/states"))
            .respond_with(status_json(401, &fixture("error-401.json")))
            .up_to_n_times(1)
            .with_priority(1),
    );
    h.mount(
        Mock::given(method("GET"))
            .and(path("/api/v1/jobs/states"))
            .respond_with(json_body(
                r#"{"data": [], "pagination": {"total": 0, "count": 0}}"#,
            )),
    );
    assert!(h.fetch().unwrap().is_empty());
    assert_eq!(h.requests("/api/oauth2/token").len(), 2);
}

#[test]
fn a_refused_login_is_auth_failed_without_the_password() {
    let mut h = Harness::new("");
    h.mount(
        Mock::given(method("POST"))
            .and(path("/api/oauth2/token"))
            .respond_with(status_json(401, &fixture("token-refused.json"))),
    );
    let e = h.fetch_error();
    assert_eq!(
        e.health(),
        Health::AuthFailed(
            "HTTP 401: Failed to log on: the user name or password is incorrect.".into()
        )
    );
    let mut h = Harness::new("");
    h.mount(
        Mock::given(method("POST"))
            .and(path("/api/oauth2/token"))
            .respond_with(status_json(400, r#"{"error": "invalid_grant", "error_description": "invalid user name or password"}"#)),
    );
    assert!(
        matches!(h.fetch_error(), SourceError::Auth(m) if m.contains("invalid user name or password"))
    );
}

#[test]
fn a_token_refused_twice_is_auth_failed() {
    let mut h = Harness::new("");
    h.token();
    h.mount(
        Mock::given(method("GET"))
            .and(path("/api/v1/jobs/states"))
            .respond_with(status_json(401, &fixture("error-401.json"))),
    );
    let e = h.fetch_error();
    assert!(
        matches!(&e, SourceError::Auth(m) if m.contains("invalid or has expired")),
        "{e}"
    );
}

#[test]
fn rate_limits_server_errors_and_malformed_answers_are_explained() {
    let mut h = Harness::new("");
    h.token();
    h.mount(
        Mock::given(method("GET"))
            .and(path("/api/v1/jobs/states"))
            .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "30")),
    );
    assert_eq!(h.fetch_error(), SourceError::RateLimited(Some(30)));

    let mut h = Harness::new("");
    h.token();
    h.mount(
        Mock::given(method("GET"))
            .and(path("/api/v1/jobs/states"))
            .respond_with(status_json(500,
                r#"{"errorCode": "UnknownError", "message": "Failed to connect to the configuration database."}"#,
            )),
    );
    assert_eq!(
        h.fetch_error(),
        SourceError::Http {
            status: 500,
            message: "Failed to connect to the configuration database.".into()
        }
    );

    let mut h = Harness::new("");
    h.token();
    h.mount(
        Mock::given(method("GET"))
            .and(path("/api/v1/jobs/states"))
            .respond_with(ResponseTemplate::new(200).set_body_string("<html>proxy login</html>")),
    );
    assert!(matches!(h.fetch_error(), SourceError::Protocol(m) if m.starts_with("malformed JSON")));
}
