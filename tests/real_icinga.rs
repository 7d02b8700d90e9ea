//! The Icinga 2 connector against a real Icinga 2 (Debian's icinga2 2.13, a private instance
//! per test on 127.0.0.1 with its own CA): problems read with tenant, priority, host and
//! handled state; ack, unack, downtime and recheck verified on the server; refused actions,
//! a wrong password and an untrusted certificate reported as what they are.

mod common;

use common::servers::{ICINGA_MINIMAL_USER, ICINGA_PASSWORD, ICINGA_USER, Icinga, wait_until};
use jiff::Timestamp;
use nightdesk::model::{Health, Item, ItemKey, Priority, SourceId, StatusCategory};
use nightdesk::sources::{Fetched, Source, SourceError, WriteBack};
use serde_json::json;

/// A source for `icinga` with the lines `extra` added to it.
fn config(icinga: &Icinga, extra: &str) -> String {
    format!(
        r#"
[[tenants]]
id = "mueller"
[[tenants]]
id = "schmidt"

[[sources]]
id = "icinga"
kind = "icinga2"
base-url = "{url}"
ca-file = "{ca}"
auth = {{ user = "{ICINGA_USER}", password = {{ command = ["echo", "{ICINGA_PASSWORD}"] }} }}
{extra}
"#,
        url = icinga.url(),
        ca = icinga.ca().display(),
    )
}

fn fetch(rt: &tokio::runtime::Runtime, source: &mut Box<dyn Source>) -> Vec<Item> {
    match rt.block_on(source.fetch(Timestamp::now())).expect("fetch") {
        Fetched::Full(items) => items,
        Fetched::Delta { .. } => panic!("icinga answers in full"),
    }
}

fn by_id<'a>(items: &'a [Item], id: &str) -> &'a Item {
    items
        .iter()
        .find(|i| &*i.key.external_id == id)
        .unwrap_or_else(|| panic!("no item {id} in {items:#?}"))
}

fn key(id: &str) -> ItemKey {
    ItemKey::new(&SourceId::new("icinga"), id)
}

fn write_back(
    rt: &tokio::runtime::Runtime,
    source: &mut Box<dyn Source>,
    id: &str,
    action: &WriteBack,
) -> Result<(), SourceError> {
    rt.block_on(source.write_back(&key(id), action, Timestamp::now()))
}

/// web01 (customer var `mm`, group `linux`) with a critical, a warning and an OK service.
fn web01(icinga: &Icinga) {
    icinga.add_host(
        "web01",
        "10.0.0.1",
        json!({"customer": "mm", "rack": 3}),
        &["linux"],
    );
    icinga.add_service("web01", "http");
    icinga.service_result(
        "web01",
        "http",
        2,
        "HTTP CRITICAL: 503 Service Unavailable\nbody: oops",
    );
    icinga.add_service("web01", "disk");
    icinga.service_result("web01", "disk", 1, "DISK WARNING - free space: / 8%");
    icinga.add_service("web01", "ping");
    icinga.service_result("web01", "ping", 0, "PING OK");
}

fn ack(minutes: Option<u32>) -> WriteBack {
    WriteBack::Ack {
        comment: "looking at it, ticket #4711".into(),
        author: "nachtschicht".into(),
        minutes,
    }
}

#[test]
fn problems_become_items_with_tenant_priority_host_and_status() {
    let icinga = Icinga::start();
    web01(&icinga);
    icinga.add_service("web01", "backup");
    icinga.service_result("web01", "backup", 3, "UNKNOWN - no data");
    icinga.add_service_with("web01", "ntp", json!({"max_check_attempts": 3}));
    icinga.service_result("web01", "ntp", 2, "NTP CRITICAL: offset 12 s");
    icinga.add_host("db01", "10.0.0.2", json!({}), &["cust-schmidt", "linux"]);
    icinga.add_service("db01", "mysql");
    icinga.service_result("db01", "mysql", 2, "connection refused");
    icinga.host_result("db01", 1, "PING CRITICAL - Packet loss = 100%");

    let rt = common::runtime();
    let mut source = common::source(&config(&icinga, r#"tenant-map = { "mm" = "mueller" }"#));
    let items = fetch(&rt, &mut source);
    let mut ids: Vec<&str> = items.iter().map(|i| &*i.key.external_id).collect();
    ids.sort();
    assert_eq!(
        ids,
        [
            "db01",
            "db01!mysql",
            "web01!backup",
            "web01!disk",
            "web01!http",
            "web01!ntp"
        ],
        "problems only: web01!ping is OK"
    );
    assert!(source.degraded().is_none(), "{:?}", source.degraded());

    let http = by_id(&items, "web01!http");
    assert_eq!(
        &*http.title,
        "http — HTTP CRITICAL: 503 Service Unavailable"
    );
    assert_eq!(
        http.tenant.as_str(),
        "mueller",
        "host var customer through tenant-map"
    );
    assert_eq!(http.priority, Priority::P1, "critical is P1");
    assert_eq!(http.host.as_deref(), Some("web01"));
    assert_eq!(http.address.as_deref(), Some("10.0.0.1"));
    assert_eq!(http.status.category, StatusCategory::New);
    assert_eq!(&*http.status.label, "critical");
    assert_eq!(http.label("service"), Some("http"));
    assert_eq!(http.label("rack"), Some("3"));
    assert_eq!(http.label("hostgroup"), Some("linux"));
    assert_eq!(
        http.label("output"),
        Some("HTTP CRITICAL: 503 Service Unavailable\nbody: oops")
    );
    assert!(
        http.created
            > nightdesk::model::Moment::new(Timestamp::now() - jiff::SignedDuration::from_mins(5))
    );
    assert!(http.updated >= http.created);

    let disk = by_id(&items, "web01!disk");
    assert_eq!(disk.priority, Priority::P3, "warning is P3");
    assert_eq!(&*disk.status.label, "warning");
    let backup = by_id(&items, "web01!backup");
    assert_eq!(backup.priority, Priority::P3, "unknown is P3");
    assert_eq!(&*backup.status.label, "unknown");
    let ntp = by_id(&items, "web01!ntp");
    assert_eq!(
        ntp.priority,
        Priority::P2,
        "a soft critical is one step lower"
    );
    assert_eq!(ntp.label("state-type"), Some("soft"));

    let db = by_id(&items, "db01");
    assert_eq!(
        &*db.title,
        "Host down: db01 — PING CRITICAL - Packet loss = 100%"
    );
    assert_eq!(db.priority, Priority::P1, "host down is P1");
    assert_eq!(&*db.status.label, "down");
    assert_eq!(db.tenant.as_str(), "unmapped", "no customer var");
    let mysql = by_id(&items, "db01!mysql");
    assert_eq!(mysql.status.category, StatusCategory::Waiting);
    assert_eq!(&*mysql.status.label, "host down");

    // The tenant from a host group instead, and a priority override.
    let mut by_group = common::source(&config(
        &icinga,
        "tenant-label = \"hostgroup\"\n\
         tenant-map = { \"cust-schmidt\" = \"schmidt\" }\n\
         priorities = { warning = 2 }",
    ));
    let items = fetch(&rt, &mut by_group);
    assert_eq!(by_id(&items, "db01").tenant.as_str(), "schmidt");
    assert_eq!(by_id(&items, "db01!mysql").tenant.as_str(), "schmidt");
    assert_eq!(by_id(&items, "web01!http").tenant.as_str(), "unmapped");
    assert_eq!(by_id(&items, "web01!disk").priority, Priority::P2);
}

#[test]
fn an_extra_filter_narrows_both_queries() {
    let icinga = Icinga::start();
    web01(&icinga);
    icinga.add_host("db01", "10.0.0.2", json!({}), &[]);
    icinga.add_service("db01", "mysql");
    icinga.service_result("db01", "mysql", 2, "connection refused");
    icinga.host_result("db01", 1, "PING CRITICAL");
    let rt = common::runtime();
    let mut source = common::source(&config(
        &icinga,
        "filter = 'host.vars.customer != \"\"'\nservice-filter = 'service.name != \"disk\"'",
    ));
    let items = fetch(&rt, &mut source);
    let ids: Vec<&str> = items.iter().map(|i| &*i.key.external_id).collect();
    assert_eq!(
        ids,
        ["web01!http"],
        "db01 (no vars at all) filtered by host, disk by the service filter"
    );

    let mut broken = common::source(&config(&icinga, "filter = 'host.vars.customer === \"\"'"));
    let e = rt.block_on(broken.fetch(Timestamp::now())).unwrap_err();
    assert!(
        matches!(&e, SourceError::Http { status: 404, message } if message.contains("syntax error")),
        "a broken filter says where: {e}"
    );
}

#[test]
fn ack_with_comment_and_expiry_then_unack() {
    let icinga = Icinga::start();
    web01(&icinga);
    let rt = common::runtime();
    let mut source = common::source(&config(&icinga, ""));
    let items = fetch(&rt, &mut source);
    assert_eq!(
        by_id(&items, "web01!http").status.category,
        StatusCategory::New
    );

    let before = Timestamp::now();
    write_back(&rt, &mut source, "web01!http", &ack(Some(30))).expect("ack");

    let attrs = icinga.service_attrs("web01", "http");
    assert_eq!(
        attrs["acknowledgement"], 1.0,
        "a normal, not sticky ack: {attrs}"
    );
    let expiry = attrs["acknowledgement_expiry"].as_f64().unwrap() as i64;
    let minutes = (expiry - before.as_second()) / 60;
    assert!((29..=31).contains(&minutes), "expires in {minutes} min");
    let comments = icinga.objects("comments");
    let comment = comments
        .iter()
        .find(|c| c["entry_type"] == 4.0 && c["service_name"] == "http")
        .unwrap_or_else(|| panic!("no ack comment in {comments:#?}"));
    assert_eq!(comment["author"], "nachtschicht");
    assert_eq!(comment["text"], "looking at it, ticket #4711");

    let items = fetch(&rt, &mut source);
    let http = by_id(&items, "web01!http");
    assert_eq!(http.status.category, StatusCategory::Acknowledged);
    assert_eq!(&*http.status.label, "acknowledged");
    assert_eq!(http.assignee.as_deref(), Some("nachtschicht"));
    let first_response = http
        .sla
        .first_response_at
        .expect("the ack is the first response")
        .timestamp();
    assert!(first_response >= before - jiff::SignedDuration::from_secs(2));
    assert!(
        http.label("ack")
            .unwrap()
            .starts_with("nachtschicht: looking at it")
    );
    assert_eq!(
        by_id(&items, "web01!disk").status.category,
        StatusCategory::New,
        "only the one service"
    );

    let unack = WriteBack::Unack {
        author: "nachtschicht".into(),
    };
    write_back(&rt, &mut source, "web01!http", &unack).expect("unack");
    assert_eq!(
        icinga.service_attrs("web01", "http")["acknowledgement"],
        0.0
    );
    let items = fetch(&rt, &mut source);
    let http = by_id(&items, "web01!http");
    assert_eq!(http.status.category, StatusCategory::New);
    assert_eq!(&*http.status.label, "critical");
    assert_eq!(http.assignee, None);
}

#[test]
fn host_ack_without_expiry_stays_until_recovery() {
    let icinga = Icinga::start();
    icinga.add_host("db01", "10.0.0.2", json!({}), &[]);
    icinga.host_result("db01", 1, "PING CRITICAL");
    let rt = common::runtime();
    let mut source = common::source(&config(&icinga, ""));
    write_back(&rt, &mut source, "db01", &ack(None)).expect("ack host");
    let attrs = icinga.host_attrs("db01");
    assert_eq!(attrs["acknowledgement"], 1.0);
    assert_eq!(attrs["acknowledgement_expiry"], 0.0, "no expiry asked for");
    let items = fetch(&rt, &mut source);
    assert_eq!(&*by_id(&items, "db01").status.label, "acknowledged");
    assert_eq!(
        by_id(&items, "db01").assignee.as_deref(),
        Some("nachtschicht")
    );
}

#[test]
fn host_downtime_covers_its_services() {
    let icinga = Icinga::start();
    web01(&icinga);
    let rt = common::runtime();
    let mut source = common::source(&config(&icinga, ""));
    let downtime = WriteBack::Downtime {
        comment: "kernel update".into(),
        author: "nachtschicht".into(),
        minutes: 60,
    };
    let before = Timestamp::now();
    write_back(&rt, &mut source, "web01", &downtime).expect("downtime");

    assert!(
        icinga.host_attrs("web01")["downtime_depth"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    assert!(
        icinga.service_attrs("web01", "http")["downtime_depth"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    let downtimes = icinga.objects("downtimes");
    let host_downtime = downtimes
        .iter()
        .find(|d| d["host_name"] == "web01" && d["service_name"] == "")
        .unwrap_or_else(|| panic!("no host downtime in {downtimes:#?}"));
    assert_eq!(host_downtime["author"], "nachtschicht");
    assert_eq!(host_downtime["comment"], "kernel update");
    assert_eq!(host_downtime["fixed"], true);
    let length = host_downtime["end_time"].as_f64().unwrap() - before.as_second() as f64;
    assert!((3540.0..=3660.0).contains(&length), "{length} s");
    assert!(
        downtimes.iter().any(|d| d["service_name"] == "disk"),
        "all services too: {downtimes:#?}"
    );

    let items = fetch(&rt, &mut source);
    let http = by_id(&items, "web01!http");
    assert_eq!(http.status.category, StatusCategory::Acknowledged);
    assert_eq!(&*http.status.label, "in downtime");
}

#[test]
fn recheck_runs_the_check_now() {
    let icinga = Icinga::start();
    web01(&icinga);
    let rt = common::runtime();
    let mut source = common::source(&config(&icinga, ""));
    let last_check = || {
        icinga.service_attrs("web01", "http")["last_check"]
            .as_f64()
            .unwrap()
    };
    let before = last_check();
    let now = Timestamp::now().as_second() as f64;
    assert!(
        icinga.service_attrs("web01", "http")["next_check"]
            .as_f64()
            .unwrap()
            > now + 600.0,
        "passive services are checked hourly"
    );
    write_back(&rt, &mut source, "web01!http", &WriteBack::Recheck).expect("recheck");
    // The checker runs it at once (a passive service's own check says "no passive result").
    wait_until("the check ran", || last_check() > before);
}

#[test]
fn refused_actions_say_why() {
    let icinga = Icinga::start();
    web01(&icinga);
    let rt = common::runtime();
    let mut source = common::source(&config(&icinga, ""));
    let items = fetch(&rt, &mut source);
    assert!(items.iter().any(|i| &*i.key.external_id == "web01!disk"));

    // The problem recovered after the fetch: Icinga refuses to ack an OK service.
    icinga.service_result("web01", "disk", 0, "DISK OK");
    let e = write_back(&rt, &mut source, "web01!disk", &ack(Some(10))).unwrap_err();
    assert!(
        matches!(&e, SourceError::Refused(m) if m.contains("web01!disk is OK")),
        "{e}"
    );
    assert_eq!(
        icinga.service_attrs("web01", "disk")["acknowledgement"],
        0.0
    );

    let e = write_back(&rt, &mut source, "web01!gone", &ack(None)).unwrap_err();
    assert!(
        matches!(&e, SourceError::Refused(m) if m.contains("web01!gone does not exist")),
        "{e}"
    );
    let e = write_back(&rt, &mut source, "nohost", &WriteBack::Recheck).unwrap_err();
    assert!(
        matches!(&e, SourceError::Refused(m) if m.contains("host nohost does not exist")),
        "{e}"
    );
}

#[test]
fn names_travel_as_filter_vars_not_as_code() {
    let icinga = Icinga::start();
    web01(&icinga);
    let evil = r#"evil" || true || ""#;
    icinga.add_host(evil, "10.0.0.66", json!({}), &[]);
    icinga.add_service(evil, "http");
    icinga.service_result(evil, "http", 2, "HTTP CRITICAL");
    let rt = common::runtime();
    let mut source = common::source(&config(&icinga, ""));
    let items = fetch(&rt, &mut source);
    let evil_id = format!("{evil}!http");
    assert_eq!(by_id(&items, &evil_id).host.as_deref(), Some(evil));

    write_back(&rt, &mut source, &evil_id, &ack(None)).expect("ack");
    let items = fetch(&rt, &mut source);
    assert_eq!(&*by_id(&items, &evil_id).status.label, "acknowledged");
    assert_eq!(
        &*by_id(&items, "web01!http").status.label,
        "critical",
        "the name did not widen the filter"
    );
}

#[test]
fn the_documented_minimal_permissions_are_enough() {
    let icinga = Icinga::start();
    web01(&icinga);
    let rt = common::runtime();
    let text = config(&icinga, "").replace(
        &format!("user = \"{ICINGA_USER}\""),
        &format!("user = \"{ICINGA_MINIMAL_USER}\""),
    );
    assert!(text.contains(ICINGA_MINIMAL_USER));
    let mut source = common::source(&text);
    let text = rt.block_on(source.check(Timestamp::now())).expect("check");
    assert!(text.ends_with(", 2 problems"), "{text}");

    write_back(&rt, &mut source, "web01!http", &ack(Some(30))).expect("ack");
    let items = fetch(&rt, &mut source);
    assert!(source.degraded().is_none(), "{:?}", source.degraded());
    let http = by_id(&items, "web01!http");
    assert_eq!(
        http.assignee.as_deref(),
        Some("nachtschicht"),
        "comments readable"
    );
    let unack = WriteBack::Unack {
        author: "nachtschicht".into(),
    };
    write_back(&rt, &mut source, "web01!http", &unack).expect("unack");
    let downtime = WriteBack::Downtime {
        comment: "maintenance".into(),
        author: "nachtschicht".into(),
        minutes: 10,
    };
    write_back(&rt, &mut source, "web01", &downtime).expect("downtime");
    write_back(&rt, &mut source, "web01!disk", &WriteBack::Recheck).expect("recheck");
    assert!(
        icinga.service_attrs("web01", "disk")["downtime_depth"]
            .as_f64()
            .unwrap()
            > 0.0
    );
}

#[test]
fn wrong_password_is_an_auth_failure() {
    let icinga = Icinga::start();
    let rt = common::runtime();
    let text = config(&icinga, "").replace(ICINGA_PASSWORD, "not-the-password");
    let mut source = common::source(&text);
    let e = rt.block_on(source.fetch(Timestamp::now())).unwrap_err();
    let SourceError::Auth(message) = &e else {
        panic!("expected an auth error, got {e:?}");
    };
    assert!(message.contains("401"), "{message}");
    assert!(message.contains("check your user credentials"), "{message}");
    assert!(matches!(e.health(), Health::AuthFailed(_)));
    assert!(!e.to_string().contains("not-the-password"));
}

#[test]
fn untrusted_certificate_needs_ca_file() {
    let icinga = Icinga::start();
    web01(&icinga);
    let rt = common::runtime();
    let ca_line = format!("ca-file = \"{}\"\n", icinga.ca().display());
    let without_ca = config(&icinga, "").replace(&ca_line, "");
    assert!(!without_ca.contains("ca-file"));
    let mut source = common::source(&without_ca);
    let e = rt.block_on(source.fetch(Timestamp::now())).unwrap_err();
    let SourceError::Tls(message) = &e else {
        panic!("expected a TLS error, got {e:?}");
    };
    assert!(message.contains("not trusted"), "{message}");
    assert!(message.contains("ca-file"), "{message}");

    let mut trusted = common::source(&config(&icinga, ""));
    assert_eq!(fetch(&rt, &mut trusted).len(), 2);
}

#[test]
fn check_reports_version_and_problem_count() {
    let mut icinga = Icinga::start();
    web01(&icinga);
    let rt = common::runtime();
    let mut source = common::source(&config(&icinga, ""));
    let text = rt.block_on(source.check(Timestamp::now())).unwrap();
    assert!(text.starts_with("Icinga 2 r2."), "{text}");
    assert!(text.ends_with(", 2 problems"), "{text}");

    icinga.stop();
    let e = rt.block_on(source.check(Timestamp::now())).unwrap_err();
    assert!(matches!(e, SourceError::Unreachable(_)), "{e:?}");
    icinga.resume();
    let text = rt.block_on(source.check(Timestamp::now())).unwrap();
    assert!(text.ends_with(", 2 problems"), "{text}");
}
