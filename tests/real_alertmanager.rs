//! The Alertmanager connector against a real Prometheus Alertmanager (Debian's
//! prometheus-alertmanager, started per test on 127.0.0.1): alerts read with tenant,
//! priority and host; ack as a silence with author, comment and duration, verified on the
//! server; unack expires it; an HA pair deduplicated by fingerprint.

mod common;

use common::servers::{Alertmanager, firing_alert, wait_until};
use jiff::Timestamp;
use nightdesk::model::{Item, Priority, StatusCategory};
use nightdesk::sources::{Fetched, Source, WriteBack};
use serde_json::json;

fn config_for(urls: &[String]) -> String {
    let peers: Vec<String> = urls[1..].iter().map(|u| format!("\"{u}\"")).collect();
    format!(
        r#"
[[tenants]]
id = "mueller"
[[tenants]]
id = "schmidt"

[[sources]]
id = "am"
kind = "alertmanager"
base-url = "{}"
peers = [{}]
tenant-label = "customer"
tenant-map = {{ "mm" = "mueller" }}
priorities = {{ warning = 2 }}
poll-interval = "1s"
"#,
        urls[0],
        peers.join(", ")
    )
}

fn fetch(rt: &tokio::runtime::Runtime, source: &mut Box<dyn Source>) -> Vec<Item> {
    match rt.block_on(source.fetch(Timestamp::now())).expect("fetch") {
        Fetched::Full(items) => items,
        Fetched::Delta { .. } => panic!("alertmanager answers in full"),
    }
}

fn by_alertname<'a>(items: &'a [Item], name: &str) -> &'a Item {
    items
        .iter()
        .find(|i| i.label("alertname") == Some(name))
        .unwrap_or_else(|| panic!("no item for {name} in {items:#?}"))
}

#[test]
fn alerts_become_items_with_tenant_priority_and_host() {
    let am = Alertmanager::start();
    am.post_alerts(&json!([
        firing_alert(json!({"alertname": "DiskFull", "instance": "db1:9100", "severity": "critical", "customer": "mm"}), "Disk / is 97% full"),
        firing_alert(json!({"alertname": "HighLoad", "instance": "web1:9100", "severity": "warning", "customer": "schmidt"}), "Load 12 on web1"),
        firing_alert(json!({"alertname": "Orphan", "severity": "info"}), "nobody's"),
    ]));
    let rt = common::runtime();
    let mut source = common::source(&config_for(&[am.url()]));
    let items = fetch(&rt, &mut source);
    assert_eq!(items.len(), 3, "{items:#?}");

    let disk = by_alertname(&items, "DiskFull");
    assert_eq!(disk.tenant.as_str(), "mueller", "mapped through tenant-map");
    assert_eq!(disk.priority, Priority::P1, "critical is P1 by default");
    assert_eq!(&*disk.title, "Disk / is 97% full");
    assert_eq!(
        disk.host.as_deref(),
        Some("db1"),
        "port dropped from instance"
    );
    assert_eq!(disk.status.category, StatusCategory::New);
    assert_eq!(&*disk.status.label, "firing");
    assert!(
        disk.link
            .as_deref()
            .unwrap()
            .starts_with("http://prometheus.example/")
    );

    let load = by_alertname(&items, "HighLoad");
    assert_eq!(
        load.tenant.as_str(),
        "schmidt",
        "a label value that is a tenant id"
    );
    assert_eq!(
        load.priority,
        Priority::P2,
        "priorities override the default P3 of warning"
    );

    let orphan = by_alertname(&items, "Orphan");
    assert_eq!(orphan.tenant.as_str(), "unmapped");
    assert_eq!(orphan.priority, Priority::P4);
}

#[test]
fn ack_creates_a_silence_and_unack_expires_it() {
    let am = Alertmanager::start();
    am.post_alerts(&json!([firing_alert(
        json!({"alertname": "DiskFull", "instance": "db1:9100", "severity": "critical", "customer": "mm"}),
        "Disk / is 97% full"
    )]));
    let rt = common::runtime();
    let mut source = common::source(&config_for(&[am.url()]));
    let items = fetch(&rt, &mut source);
    let key = by_alertname(&items, "DiskFull").key.clone();

    let ack = WriteBack::Ack {
        comment: "looking at it, ticket #4711".into(),
        author: "nachtschicht".into(),
        minutes: Some(45),
    };
    let before = Timestamp::now();
    rt.block_on(source.write_back(&key, &ack, before))
        .expect("ack");

    // On the server: one active silence with our author, comment and duration, matching
    // exactly the alert's labels.
    let silences = am.silences();
    assert_eq!(silences.len(), 1, "{silences:#?}");
    let s = &silences[0];
    assert_eq!(s["createdBy"], "nachtschicht");
    assert_eq!(s["comment"], "looking at it, ticket #4711");
    assert_eq!(s["status"]["state"], "active");
    let ends: Timestamp = s["endsAt"].as_str().unwrap().parse().unwrap();
    let minutes = (ends - before).as_mins();
    assert!((44..=46).contains(&minutes), "silence for {minutes} min");
    let matchers = s["matchers"].as_array().unwrap();
    assert_eq!(
        matchers.len(),
        4,
        "one exact matcher per label: {matchers:#?}"
    );
    assert!(
        matchers
            .iter()
            .all(|m| m["isRegex"] == false && m["isEqual"] == true)
    );

    // Read back through the connector: silenced, with the silence's author.
    wait_until("alert suppressed", || {
        am.alerts()
            .iter()
            .any(|a| a["status"]["state"] == "suppressed")
    });
    let items = fetch(&rt, &mut source);
    let disk = by_alertname(&items, "DiskFull");
    assert_eq!(disk.status.category, StatusCategory::Acknowledged);
    assert_eq!(&*disk.status.label, "silenced");
    assert_eq!(disk.assignee.as_deref(), Some("nachtschicht"));
    assert!(
        disk.sla.first_response_at.is_some(),
        "an ack is a first response"
    );

    // Unack expires the silence on the server; the alert fires again.
    let unack = WriteBack::Unack {
        author: "nachtschicht".into(),
    };
    rt.block_on(source.write_back(&key, &unack, Timestamp::now()))
        .expect("unack");
    assert_eq!(am.silences()[0]["status"]["state"], "expired");
    wait_until("alert active again", || {
        am.alerts().iter().all(|a| a["status"]["state"] == "active")
    });
    let items = fetch(&rt, &mut source);
    assert_eq!(&*by_alertname(&items, "DiskFull").status.label, "firing");

    // Unack of an alert that is not silenced is refused with the reason.
    let again = rt.block_on(source.write_back(&key, &unack, Timestamp::now()));
    assert!(
        matches!(&again, Err(e) if e.to_string().contains("not silenced")),
        "{again:?}"
    );
}

#[test]
fn ha_pair_is_one_source_without_duplicates_and_survives_a_member() {
    let a = Alertmanager::start();
    let mut b = Alertmanager::start();
    let alert = firing_alert(
        json!({"alertname": "DiskFull", "instance": "db1:9100", "severity": "critical", "customer": "mm"}),
        "Disk / is 97% full",
    );
    a.post_alerts(&json!([alert]));
    b.post_alerts(&json!([alert]));
    b.post_alerts(&json!([firing_alert(
        json!({"alertname": "OnlyOnB", "severity": "warning", "customer": "schmidt"}),
        "seen by one member only"
    )]));
    let rt = common::runtime();
    let mut source = common::source(&config_for(&[a.url(), b.url()]));
    let items = fetch(&rt, &mut source);
    assert_eq!(items.len(), 2, "deduplicated by fingerprint: {items:#?}");
    assert!(source.degraded().is_none());

    b.stop();
    let items = fetch(&rt, &mut source);
    assert_eq!(items.len(), 1, "the member still up answers");
    let degraded = source.degraded().expect("degraded with a member down");
    assert!(degraded.contains(&b.url()), "{degraded}");
}

#[test]
fn an_ack_on_a_clustered_pair_reaches_both_members_and_the_unack_too() {
    let (a, b) = Alertmanager::start_cluster_pair();
    let alert = firing_alert(
        json!({"alertname": "DiskFull", "instance": "db1:9100", "severity": "critical", "customer": "mm"}),
        "Disk / is 97% full",
    );
    a.post_alerts(&json!([alert]));
    b.post_alerts(&json!([alert]));
    let rt = common::runtime();
    let mut source = common::source(&config_for(&[a.url(), b.url()]));
    let items = fetch(&rt, &mut source);
    assert_eq!(items.len(), 1, "one alert, seen by both: {items:#?}");
    let key = items[0].key.clone();
    let ack = WriteBack::Ack {
        comment: "disk being cleaned".into(),
        author: "nachtschicht".into(),
        minutes: Some(30),
    };
    rt.block_on(source.write_back(&key, &ack, Timestamp::now()))
        .unwrap();
    let active_silences = |am: &Alertmanager| {
        am.silences()
            .into_iter()
            .filter(|s| s["status"]["state"] == "active")
            .count()
    };
    let suppressed = |am: &Alertmanager| {
        am.alerts()
            .iter()
            .all(|x| x["status"]["state"] == "suppressed")
    };
    wait_until(
        "the silence on both members, the alert suppressed on both",
        || active_silences(&a) == 1 && active_silences(&b) == 1 && suppressed(&a) && suppressed(&b),
    );
    let items = fetch(&rt, &mut source);
    assert_eq!(items.len(), 1);
    assert_eq!(&*items[0].status.label, "silenced");
    assert_eq!(
        a.silences()[0]["id"],
        b.silences()[0]["id"],
        "one silence, gossiped; not one per member"
    );

    let unack = WriteBack::Unack {
        author: "nachtschicht".into(),
    };
    rt.block_on(source.write_back(&key, &unack, Timestamp::now()))
        .unwrap();
    wait_until("the silence expired on both members", || {
        active_silences(&a) == 0 && active_silences(&b) == 0
    });
    wait_until("the alert firing again on both", || {
        !suppressed(&a) && !suppressed(&b)
    });
    assert_eq!(&*fetch(&rt, &mut source)[0].status.label, "firing");
}

#[test]
fn silenced_and_inhibited_are_told_apart() {
    let am = Alertmanager::start();
    am.post_alerts(&json!([
        firing_alert(
            json!({"alertname": "Quiet", "severity": "warning"}),
            "will be silenced"
        ),
        firing_alert(json!({"alertname": "Loud", "severity": "warning"}), "stays"),
        // The harness's Alertmanager inhibits warnings by a critical on the same instance.
        firing_alert(
            json!({"alertname": "HostDown", "severity": "critical", "instance": "sw1"}),
            "switch down"
        ),
        firing_alert(
            json!({"alertname": "PortFlap", "severity": "warning", "instance": "sw1"}),
            "port 3 flaps"
        ),
    ]));
    let rt = common::runtime();
    let mut source = common::source(&config_for(&[am.url()]));
    let items = fetch(&rt, &mut source);
    let quiet = by_alertname(&items, "Quiet").key.clone();
    let ack = WriteBack::Ack {
        comment: "known".into(),
        author: "me".into(),
        minutes: None,
    };
    rt.block_on(source.write_back(&quiet, &ack, Timestamp::now()))
        .unwrap();
    wait_until("silenced and inhibited", || {
        let alerts = am.alerts();
        let suppressed = |name: &str| {
            alerts
                .iter()
                .any(|a| a["labels"]["alertname"] == name && a["status"]["state"] == "suppressed")
        };
        suppressed("Quiet") && suppressed("PortFlap")
    });
    let items = fetch(&rt, &mut source);
    let quiet = by_alertname(&items, "Quiet");
    assert_eq!(&*quiet.status.label, "silenced");
    assert_eq!(quiet.status.category, StatusCategory::Acknowledged);
    let flap = by_alertname(&items, "PortFlap");
    assert_eq!(&*flap.status.label, "inhibited");
    assert_eq!(flap.status.category, StatusCategory::Waiting);
    assert!(flap.label("inhibited-by").is_some());
    assert_eq!(&*by_alertname(&items, "Loud").status.label, "firing");
    assert_eq!(&*by_alertname(&items, "HostDown").status.label, "firing");
    // The default ack lasts two hours.
    let ends: Timestamp = am.silences()[0]["endsAt"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let minutes = (ends - Timestamp::now()).as_mins();
    assert!((118..=120).contains(&minutes), "{minutes}");
}

#[test]
fn check_reports_version_and_count() {
    let am = Alertmanager::start();
    am.post_alerts(&json!([firing_alert(json!({"alertname": "X"}), "x")]));
    let rt = common::runtime();
    let mut source = common::source(&config_for(&[am.url()]));
    let text = rt.block_on(source.check(Timestamp::now())).unwrap();
    assert!(text.starts_with("Alertmanager 0."), "{text}");
    assert!(text.ends_with("1 alerts"), "{text}");
}
