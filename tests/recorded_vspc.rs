//! The Veeam Service Provider Console connector against recorded responses built from the
//! documented REST API v3 formats (fixtures and their sources:
//! `tests/fixtures/recorded/vspc/README.md`), served by a local HTTP server: not a live VSPC.
//! Jobs of every customer become findings with the tenant their company maps to; paging
//! follows `meta.pagingInfo`; the API key is sent as a bearer token; 401, 429, 500 and
//! malformed answers become clear errors without the key.

mod common;

use common::recorded::{ids, item, json_body, status_json};

use jiff::Timestamp;
use nightdesk::model::{Health, Item, Priority};
use nightdesk::sources::{Fetched, Source, SourceError};
use tempfile::TempDir;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const API_KEY: &str = "VSPC-REST-KEY-4f1c9e2a7b";
const JOBS: &str = "/api/v3/infrastructure/backupServers/jobs";
const COMPANIES: &str = "/api/v3/organizations/companies";
const SQL: &str = "A1B2C3D4-0001-4000-8000-000000000001";
const EXCHANGE: &str = "A1B2C3D4-0003-4000-8000-000000000003";

struct Harness {
    rt: tokio::runtime::Runtime,
    server: MockServer,
    source: Box<dyn Source>,
    _secrets: TempDir,
}

impl Harness {
    fn new() -> Self {
        let secrets = TempDir::new().unwrap();
        let file = secrets.path().join("vspc.key");
        std::fs::write(&file, format!("{API_KEY}\n")).unwrap();
        let rt = common::runtime();
        let server = rt.block_on(MockServer::start());
        let config = format!(
            r#"
[[tenants]]
id = "mueller"
[[tenants]]
id = "schmidt"

[[sources]]
id = "vspc"
kind = "vspc"
base-url = "{}"
auth = {{ file = "{}" }}
page-size = 2
tenant-map = {{ "Müller Maschinenbau GmbH" = "mueller", "Schmidt Logistik KG" = "schmidt" }}
restore-test-interval = "off"
rule-priorities = {{ failed = 1 }}
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

    fn page(&self, at: &str, offset: &str, file: &str) {
        self.mount(
            Mock::given(method("GET"))
                .and(path(at))
                .and(query_param("limit", "2"))
                .and(query_param("offset", offset))
                .and(header(
                    "authorization",
                    format!("Bearer {API_KEY}").as_str(),
                ))
                .respond_with(json_body(&fixture(file))),
        );
    }

    fn companies(&self) {
        self.page(COMPANIES, "0", "companies.json");
    }

    fn all_jobs(&self) {
        self.companies();
        self.page(JOBS, "0", "jobs-page1.json");
        self.page(JOBS, "2", "jobs-page2.json");
        self.page(JOBS, "4", "jobs-page3.json");
    }

    fn fetch(&mut self) -> Result<Vec<Item>, SourceError> {
        match self.rt.block_on(self.source.fetch(now()))? {
            Fetched::Full(items) => Ok(items),
            Fetched::Delta { .. } => panic!("VSPC answers in full"),
        }
    }

    fn fetch_error(&mut self) -> SourceError {
        let e = self.fetch().expect_err("the fetch should fail");
        let text = format!("{e} {e:?}");
        assert!(!text.contains(API_KEY), "key in {text}");
        e
    }

    fn reset(&self) {
        self.rt.block_on(self.server.reset());
    }
}

fn now() -> Timestamp {
    "2026-11-28T08:00:00Z".parse().unwrap()
}

fn fixture(name: &str) -> String {
    common::recorded::fixture("vspc", name)
}

#[test]
fn jobs_of_all_customers_become_findings_of_their_tenants() {
    let mut h = Harness::new();
    h.all_jobs();
    let items = h.fetch().unwrap();
    let mut expected = vec![
        format!("{SQL}/failed"),
        format!("{EXCHANGE}/failed"),
        format!("{EXCHANGE}/rpo"),
        format!("{EXCHANGE}/stopped"),
    ];
    expected.sort();
    assert_eq!(
        ids(&items),
        expected,
        "no RPO finding for a failing job seen failing only"
    );

    let sql = item(&items, &format!("{SQL}/failed"));
    assert_eq!(
        &*sql.title,
        "Backup 'SQL-Nightly' failed 7h ago: Processing sql-01 Error: VSS snapshot creation failed"
    );
    assert_eq!(sql.tenant.as_str(), "mueller", "via mappedOrganizationUid");
    assert_eq!(sql.priority, Priority::P1, "rule-priorities failed = 1");
    assert_eq!(sql.label("company"), Some("Müller Maschinenbau GmbH"));
    assert_eq!(sql.label("repository"), Some("Repo-NAS01"));
    assert_eq!(
        sql.label("message"),
        Some("Processing sql-01 Error: VSS snapshot creation failed\r\nJob finished with error")
    );

    let exchange = item(&items, &format!("{EXCHANGE}/rpo"));
    assert_eq!(
        &*exchange.title,
        "Backup 'Exchange': newest restore point 37h old (RPO 26h)"
    );
    assert_eq!(exchange.tenant.as_str(), "mueller");
    let warned = item(&items, &format!("{EXCHANGE}/failed"));
    assert!(
        warned
            .title
            .contains("finished with warnings 37h ago: exch-01"),
        "{}",
        warned.title
    );

    let degraded = h.source.degraded().expect("degraded");
    assert!(
        degraded.starts_with("1 of 5 jobs could not be read (missing field `instanceUid`"),
        "{degraded}"
    );
}

#[test]
fn a_good_run_seen_earlier_is_the_newest_restore_point_of_a_failing_job() {
    let mut h = Harness::new();
    h.companies();
    h.page(JOBS, "0", "jobs-sql-succeeded.json");
    let items = h.fetch().unwrap();
    assert_eq!(
        ids(&items),
        [format!("{SQL}/rpo"), format!("{SQL}/stopped")]
    );

    h.reset();
    h.all_jobs();
    let items = h.fetch().unwrap();
    let rpo = item(&items, &format!("{SQL}/rpo"));
    assert_eq!(
        &*rpo.title,
        "Backup 'SQL-Nightly': newest restore point 31h old (RPO 26h)"
    );
    assert!(
        items
            .iter()
            .any(|i| *i.key.external_id == format!("{SQL}/failed"))
    );
}

#[test]
fn a_refused_key_is_auth_failed_with_the_server_s_words() {
    let mut h = Harness::new();
    h.mount(
        Mock::given(method("GET"))
            .and(path(COMPANIES))
            .respond_with(status_json(401, &fixture("error-401.json"))),
    );
    assert_eq!(
        h.fetch_error().health(),
        Health::AuthFailed("HTTP 401: Authentication failed: the API key is not valid.".into())
    );
}

#[test]
fn rate_limits_server_errors_and_malformed_answers_are_explained() {
    let mut h = Harness::new();
    h.companies();
    h.mount(
        Mock::given(method("GET"))
            .and(path(JOBS))
            .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "120")),
    );
    assert_eq!(h.fetch_error(), SourceError::RateLimited(Some(120)));

    let mut h = Harness::new();
    h.companies();
    h.mount(
        Mock::given(method("GET")).and(path(JOBS)).respond_with(status_json(500,
            r#"{"meta": null, "data": null, "errors": [{"message": "Internal server error.", "type": "unspecified", "code": 500}]}"#,
        )),
    );
    assert_eq!(
        h.fetch_error(),
        SourceError::Http {
            status: 500,
            message: "Internal server error.".into()
        }
    );

    let mut h = Harness::new();
    h.companies();
    h.mount(
        Mock::given(method("GET"))
            .and(path(JOBS))
            .respond_with(json_body(
                r#"{"meta": {"pagingInfo": {"total": 1}}, "data": {"not": "a list"}}"#,
            )),
    );
    assert!(matches!(h.fetch_error(), SourceError::Protocol(m) if m.starts_with("malformed JSON")));
}
