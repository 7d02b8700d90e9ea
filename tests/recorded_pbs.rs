//! The Proxmox Backup Server connector against recorded responses built from the documented
//! API formats (fixtures and their sources: `tests/fixtures/recorded/pbs/README.md`), served
//! by a local HTTP server: not a live PBS. Snapshot groups become jobs; a failed
//! verification of the newest snapshot is a failed finding; namespaces are asked with `ns`;
//! the API token is sent as `PBSAPIToken=<id>:<secret>`; 401, 429, 500 and malformed answers
//! become clear errors without the secret; a recovery test recorded between two fetches
//! takes effect at the second.

mod common;

use common::recorded::{ids, item, json_body};

use jiff::{SignedDuration, Timestamp};
use nightdesk::model::{Health, Item, Priority};
use nightdesk::sources::build::{BuildContext, build};
use nightdesk::sources::http::Limiter;
use nightdesk::sources::{Fetched, Source, SourceError};
use nightdesk::store::{RestoreTest, RestoreTests};
use tempfile::TempDir;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SECRET: &str = "5c1d6f0e-8a4b-4c3d-9e2f-PBSSECRET";
const TOKEN_ID: &str = "nightdesk@pbs!monitor";
const MAIN: &str = "/api2/json/admin/datastore/main";
const TENANTS: &str = "/api2/json/admin/datastore/tenants";

struct Harness {
    rt: tokio::runtime::Runtime,
    server: MockServer,
    source: Box<dyn Source>,
    tests: RestoreTests,
    _secrets: TempDir,
}

impl Harness {
    fn new(extra: &str) -> Self {
        let secrets = TempDir::new().unwrap();
        let file = secrets.path().join("pbs.secret");
        std::fs::write(&file, format!("{SECRET}\n")).unwrap();
        let rt = common::runtime();
        let server = rt.block_on(MockServer::start());
        let text = format!(
            r#"
[[tenants]]
id = "mueller"
[[tenants]]
id = "schmidt"

[[sources]]
id = "pbs"
kind = "pbs"
base-url = "{}"
auth = {{ user = "{TOKEN_ID}", password = {{ file = "{}" }} }}
tenant-map = {{ main = "mueller" }}
datastores = [{{ name = "main" }}, {{ name = "tenants", namespace = "schmidt", tenant = "schmidt" }}]
{extra}
"#,
            server.uri(),
            file.display()
        );
        let config = common::config(&text);
        let tenants = config.tenants.iter().map(|t| t.id.clone()).collect();
        let mut ctx = BuildContext::new(Limiter::default(), tenants, Timestamp::now());
        let tests = RestoreTests::default();
        ctx.restore_tests = tests.clone();
        let source = build(&config.sources[0], &ctx).unwrap().remove(0);
        Self {
            rt,
            server,
            source,
            tests,
            _secrets: secrets,
        }
    }

    fn mount(&self, mock: Mock) {
        self.rt.block_on(mock.mount(&self.server));
    }

    /// Both datastores, each answering only with the token and (for `tenants`) the namespace.
    fn datastores(&self) {
        let token = format!("PBSAPIToken={TOKEN_ID}:{SECRET}");
        for (what, file) in [
            ("groups", "groups-main.json"),
            ("snapshots", "snapshots-main.json"),
        ] {
            self.mount(
                Mock::given(method("GET"))
                    .and(path(format!("{MAIN}/{what}")))
                    .and(header("authorization", token.as_str()))
                    .respond_with(json_body(&fixture(file))),
            );
        }
        for (what, file) in [
            ("groups", "groups-schmidt.json"),
            ("snapshots", "snapshots-schmidt.json"),
        ] {
            self.mount(
                Mock::given(method("GET"))
                    .and(path(format!("{TENANTS}/{what}")))
                    .and(query_param("ns", "schmidt"))
                    .and(header("authorization", token.as_str()))
                    .respond_with(json_body(&fixture(file))),
            );
        }
    }

    fn fetch(&mut self) -> Result<Vec<Item>, SourceError> {
        match self.rt.block_on(self.source.fetch(now()))? {
            Fetched::Full(items) => Ok(items),
            Fetched::Delta { .. } => panic!("PBS answers in full"),
        }
    }

    fn fetch_error(&mut self) -> SourceError {
        let e = self.fetch().expect_err("the fetch should fail");
        let text = format!("{e} {e:?}");
        assert!(!text.contains(SECRET), "secret in {text}");
        e
    }

    fn tested(&self, job: &str, days_ago: i64) {
        let day = (now() - SignedDuration::from_hours(24 * days_ago))
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .date();
        self.tests.note(RestoreTest {
            source: "pbs".into(),
            job: job.into(),
            tenant: "mueller".into(),
            done_on: day,
            note: "file-level restore checked".into(),
            user: "ben".into(),
            recorded_at: now(),
        });
    }
}

fn now() -> Timestamp {
    "2026-11-28T08:00:00Z".parse().unwrap()
}

fn fixture(name: &str) -> String {
    common::recorded::fixture("pbs", name)
}

#[test]
fn snapshot_groups_become_findings() {
    let mut h = Harness::new("restore-test-interval = \"off\"");
    h.datastores();
    let items = h.fetch().unwrap();
    assert_eq!(
        ids(&items),
        [
            "main/ct/201/rpo",
            "main/ct/201/stopped",
            "main/vm/100/failed",
            "tenants/schmidt/vm/300/rpo",
            "tenants/schmidt/vm/300/stopped",
        ]
    );

    let failed = item(&items, "main/vm/100/failed");
    assert!(
        failed.title.starts_with(
            "Backup 'vm/100' on sql-01 failed 3h ago: verification of the newest snapshot failed (task UPID:pbs:"
        ),
        "{}",
        failed.title
    );
    assert_eq!(
        failed.tenant.as_str(),
        "mueller",
        "datastore main through tenant-map"
    );
    assert_eq!(failed.priority, Priority::P2);
    assert_eq!(
        failed.label("newest-restore-point"),
        Some("2026-11-27T12:00:00Z"),
        "the snapshot that failed verification is no good restore point"
    );

    let ct = item(&items, "main/ct/201/rpo");
    assert_eq!(
        &*ct.title,
        "Backup 'ct/201' on web-01: newest restore point 31h old (RPO 26h)"
    );
    let erp = item(&items, "tenants/schmidt/vm/300/rpo");
    assert_eq!(
        &*erp.title,
        "Backup 'vm/300' on erp-01: newest restore point 16d old (RPO 26h)"
    );
    assert_eq!(erp.tenant.as_str(), "schmidt", "the datastore's tenant");
    assert_eq!(erp.label("namespace"), Some("schmidt"));

    let degraded = h.source.degraded().expect("degraded");
    assert!(
        degraded
            .starts_with("1 of 6 snapshots of main could not be read (missing field `backup-time`"),
        "{degraded}"
    );
}

#[test]
fn a_recovery_test_recorded_between_fetches_takes_effect() {
    let mut h = Harness::new("restore-test-interval = \"30d\"");
    h.datastores();
    h.tested("main/host/files-01", 3);
    let items = h.fetch().unwrap();
    let overdue: Vec<String> = ids(&items)
        .into_iter()
        .filter(|i| i.ends_with("/restore-test"))
        .collect();
    assert_eq!(
        overdue,
        [
            "main/ct/201/restore-test",
            "main/vm/100/restore-test",
            "tenants/schmidt/vm/300/restore-test",
        ],
        "files-01 was tested 3 days ago"
    );
    let ct = item(&items, "main/ct/201/restore-test");
    assert_eq!(
        &*ct.title,
        "Backup 'ct/201' on web-01: never recovery-tested (restore points since 2026-11-27)"
    );
    assert_eq!(ct.priority, Priority::P4);

    h.tested("main/ct/201", 0);
    let items = h.fetch().unwrap();
    assert!(
        items
            .iter()
            .all(|i| &*i.key.external_id != "main/ct/201/restore-test"),
        "{:?}",
        ids(&items)
    );
    h.tested("main/vm/100", 45);
    let items = h.fetch().unwrap();
    let vm = item(&items, "main/vm/100/restore-test");
    assert!(
        vm.title.contains("recovery test overdue for 15d"),
        "{}",
        vm.title
    );
    assert_eq!(vm.label("restore-test-by"), Some("ben"));
}

#[test]
fn a_refused_token_is_auth_failed_without_the_secret() {
    let mut h = Harness::new("");
    h.mount(
        Mock::given(method("GET"))
            .and(path(format!("{MAIN}/groups")))
            .respond_with(ResponseTemplate::new(401).set_body_raw(
                "authentication failed - invalid token",
                "application/json;charset=UTF-8",
            )),
    );
    assert_eq!(
        h.fetch_error().health(),
        Health::AuthFailed("HTTP 401: authentication failed - invalid token".into())
    );
}

#[test]
fn rate_limits_server_errors_and_malformed_answers_are_explained() {
    let mut h = Harness::new("");
    h.mount(
        Mock::given(method("GET"))
            .and(path(format!("{MAIN}/groups")))
            .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "5")),
    );
    assert_eq!(h.fetch_error(), SourceError::RateLimited(Some(5)));

    let mut h = Harness::new("");
    h.mount(
        Mock::given(method("GET"))
            .and(path(format!("{MAIN}/groups")))
            .respond_with(ResponseTemplate::new(500).set_body_raw(
                "unable to open chunk store 'main' at \"/mnt/datastore/main/.chunks\" - No such file or directory (os error 2)",
                "application/json;charset=UTF-8",
            )),
    );
    let e = h.fetch_error();
    assert!(
        matches!(&e, SourceError::Http { status: 500, message } if message.starts_with("unable to open chunk store 'main'")),
        "{e}"
    );

    let mut h = Harness::new("");
    h.mount(
        Mock::given(method("GET"))
            .and(path(format!("{MAIN}/groups")))
            .respond_with(json_body(r#"{"data": null}"#)),
    );
    assert!(matches!(h.fetch_error(), SourceError::Protocol(m) if m.starts_with("malformed JSON")));
}
