//! The Zabbix connector against the real Zabbix 6.0 that `scripts/services.sh start zabbix`
//! runs on 127.0.0.1. Every test makes its own hosts, host groups, users and tokens with
//! unique names and deletes them at its end (also when it fails): problems pushed with
//! zabbix_sender are read with tenant, priority, host and address; ack, note and unack are
//! written by a user with the least permissions docs/sources.md names, and checked on the
//! server; login and API-token auth, a renewed session, and refused credentials.

mod common;

use std::io::Write;

use common::servers::{
    ZABBIX_API, ZABBIX_NIGHTDESK_METHODS, ZabbixApi, ZabbixHost, ZabbixUser, zabbix_version,
};
use jiff::Timestamp;
use nightdesk::model::{Item, Priority, StatusCategory};
use nightdesk::sources::{Fetched, Source, SourceError, WriteBack};
use serde_json::Value;

/// A file holding `secret`, for `auth = { file = ... }`.
fn secret_file(secret: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(secret.as_bytes()).unwrap();
    f
}

fn login(user: &str, password: &tempfile::NamedTempFile) -> String {
    format!(
        r#"{{ user = "{user}", password = {{ file = "{}" }} }}"#,
        password.path().display()
    )
}

fn token(file: &tempfile::NamedTempFile) -> String {
    format!(r#"{{ file = "{}" }}"#, file.path().display())
}

/// A config with two tenants and one Zabbix source with `auth` and `extra` keys.
fn config(auth: &str, extra: &str) -> String {
    format!(
        r#"
[[tenants]]
id = "mueller"
[[tenants]]
id = "schmidt"

[[sources]]
id = "zbx"
kind = "zabbix"
base-url = "{ZABBIX_API}"
auth = {auth}
{extra}
"#
    )
}

fn fetch(
    rt: &tokio::runtime::Runtime,
    source: &mut Box<dyn Source>,
) -> Result<Vec<Item>, SourceError> {
    match rt.block_on(source.fetch(Timestamp::now()))? {
        Fetched::Full(items) => Ok(items),
        Fetched::Delta { .. } => panic!("zabbix answers in full"),
    }
}

fn on_host<'a>(items: &'a [Item], host: &ZabbixHost) -> Vec<&'a Item> {
    items
        .iter()
        .filter(|i| i.host.as_deref() == Some(host.name.as_str()))
        .collect()
}

fn by_title<'a>(items: &[&'a Item], title: &str) -> &'a Item {
    items
        .iter()
        .find(|i| &*i.title == title)
        .copied()
        .unwrap_or_else(|| panic!("no item {title:?} in {items:#?}"))
}

fn eventid_of(problems: &[Value], name: &str) -> String {
    problems
        .iter()
        .find(|p| p["name"] == name)
        .and_then(|p| p["eventid"].as_str())
        .unwrap_or_else(|| panic!("no problem {name:?} in {problems:#?}"))
        .to_string()
}

#[test]
fn problems_become_items_with_tenant_priority_host_and_link() {
    let api = ZabbixApi::admin();
    let web = ZabbixHost::create(
        &api,
        &[("customer", "mm"), ("service", "shop")],
        "192.0.2.10",
        &[
            ("Disk full on {HOST.NAME}", 5),
            ("HTTP down on {HOST.NAME}", 4),
        ],
    );
    web.send("503");
    let problems = web.wait_for_problems(2);
    // A host deleted with its problem open: Zabbix keeps listing the problem until the
    // housekeeper runs, but its trigger is gone.
    let gone = ZabbixHost::create(&api, &[], "192.0.2.99", &[("Gone on {HOST.NAME}", 4)]);
    gone.send("503");
    let gone_event = eventid_of(
        &gone.wait_for_problems(1),
        &format!("Gone on {}", gone.name),
    );
    drop(gone);
    let admin_password = secret_file("zabbix");
    let rt = common::runtime();
    let mut source = common::source(&config(
        &login("Admin", &admin_password),
        r#"tenant-label = "customer"
tenant-map = { "mm" = "mueller" }"#,
    ));
    let items = fetch(&rt, &mut source).expect("fetch");
    let mine = on_host(&items, &web);
    assert_eq!(mine.len(), 2, "{items:#?}");
    assert!(
        items.iter().all(|i| *i.key.external_id != *gone_event),
        "a problem whose trigger is gone is left out"
    );
    let listed = api.call("problem.get", serde_json::json!({"eventids": [gone_event]}));
    assert_eq!(
        listed.as_array().unwrap().len(),
        1,
        "Zabbix still lists it: {listed}"
    );

    let disk = by_title(&mine, &format!("Disk full on {}", web.name));
    let disk_event = eventid_of(&problems, &disk.title);
    assert_eq!(&*disk.key.external_id, disk_event.as_str());
    assert_eq!(disk.priority, Priority::P1, "disaster is P1 by default");
    assert_eq!(
        disk.tenant.as_str(),
        "mueller",
        "tag customer=mm through tenant-map"
    );
    assert_eq!(disk.address.as_deref(), Some("192.0.2.10"));
    assert_eq!(disk.status.category, StatusCategory::New);
    assert_eq!(&*disk.status.label, "problem");
    assert_eq!(disk.assignee, None);
    assert_eq!(disk.label("hostgroup"), Some(web.group.as_str()));
    assert_eq!(disk.label("service"), Some("shop"));
    assert_eq!(disk.label("severity"), Some("disaster"));
    let age = Timestamp::now() - disk.created.timestamp();
    assert!(
        age.as_secs() >= 0 && age.as_secs() < 600,
        "created {}",
        disk.created
    );
    let trigger = problems
        .iter()
        .find(|p| p["eventid"] == disk_event.as_str())
        .unwrap()["objectid"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        disk.link.as_deref(),
        Some(
            format!(
                "http://127.0.0.1:18081/tr_events.php?triggerid={trigger}&eventid={disk_event}"
            )
            .as_str()
        )
    );

    let http = by_title(&mine, &format!("HTTP down on {}", web.name));
    assert_eq!(http.priority, Priority::P2, "high is P2 by default");
    assert!(source.degraded().is_none(), "{:?}", source.degraded());
}

#[test]
fn host_groups_filter_and_name_the_tenant_min_severity_drops_the_rest() {
    let api = ZabbixApi::admin();
    let db = ZabbixHost::create(
        &api,
        &[],
        "192.0.2.11",
        &[
            ("Replication lag on {HOST.NAME}", 2),
            ("Backup note on {HOST.NAME}", 1),
        ],
    );
    let other = ZabbixHost::create(&api, &[], "192.0.2.12", &[("Other down on {HOST.NAME}", 4)]);
    db.send("0");
    other.send("0");
    db.wait_for_problems(2);
    other.wait_for_problems(1);
    let admin_password = secret_file("zabbix");
    let rt = common::runtime();
    let mut source = common::source(&config(
        &login("Admin", &admin_password),
        &format!(
            r#"groups = ["{}"]
min-severity = "warning"
tenant-label = "hostgroup"
tenant-map = {{ "{}" = "schmidt" }}"#,
            db.group, db.group
        ),
    ));
    let items = fetch(&rt, &mut source).expect("fetch");
    assert_eq!(
        items.len(),
        1,
        "only the group's problems of warning or higher: {items:#?}"
    );
    let lag = &items[0];
    assert_eq!(&*lag.title, format!("Replication lag on {}", db.name));
    assert_eq!(
        lag.tenant.as_str(),
        "schmidt",
        "the host group through tenant-map"
    );
    assert_eq!(lag.priority, Priority::P3, "warning is P3 by default");
    assert!(source.degraded().is_none(), "{:?}", source.degraded());

    // A host group that does not exist: the source says so, and reads the others.
    let mut missing = common::source(&config(
        &login("Admin", &admin_password),
        &format!(r#"groups = ["{}", "nd-no-such-group"]"#, db.group),
    ));
    let items = fetch(&rt, &mut missing).expect("fetch");
    assert_eq!(items.len(), 2, "{items:#?}");
    let degraded = missing.degraded().expect("degraded");
    assert!(degraded.contains("nd-no-such-group"), "{degraded}");
}

#[test]
fn ack_note_and_unack_reach_zabbix_with_a_least_privilege_user() {
    let api = ZabbixApi::admin();
    let web = ZabbixHost::create(
        &api,
        &[("customer", "schmidt")],
        "192.0.2.20",
        &[("HTTP down on {HOST.NAME}", 4)],
    );
    let user = ZabbixUser::create(&api, &[&web.groupid], ZABBIX_NIGHTDESK_METHODS);
    web.send("503");
    web.wait_for_problems(1);
    let password = secret_file(&user.password);
    let rt = common::runtime();
    let mut source = common::source(&config(&login(&user.name, &password), ""));
    let items = fetch(&rt, &mut source).expect("fetch");
    assert_eq!(
        items.len(),
        1,
        "the user reads only its host group: {items:#?}"
    );
    let key = items[0].key.clone();
    assert_eq!(
        items[0].tenant.as_str(),
        "unmapped",
        "no `tenant` tag, no tenant-label"
    );

    // Ack with a comment: acknowledged on the server, the message names the agent.
    let ack = WriteBack::Ack {
        comment: "looking at it, ticket #4711".into(),
        author: "nachtschicht".into(),
        minutes: Some(30),
    };
    rt.block_on(source.write_back(&key, &ack, Timestamp::now()))
        .expect("ack");
    let problem = web.problem();
    assert_eq!(problem["acknowledged"], "1", "{problem:#?}");
    let updates = problem["acknowledges"].as_array().unwrap();
    let ack_update = updates
        .iter()
        .find(|u| u["message"] == "[nachtschicht] looking at it, ticket #4711")
        .unwrap_or_else(|| panic!("ack message missing: {updates:#?}"));
    assert_eq!(ack_update["action"], "6", "acknowledge + message");
    assert_eq!(ack_update["userid"], user.userid.as_str());
    assert_eq!(
        problem["suppressed"], "0",
        "6.0 cannot suppress: the minutes are not used"
    );

    // Read back: acknowledged by the agent, a first response.
    let items = fetch(&rt, &mut source).expect("fetch");
    let acked = &items[0];
    assert_eq!(acked.status.category, StatusCategory::Acknowledged);
    assert_eq!(&*acked.status.label, "acknowledged");
    assert_eq!(acked.assignee.as_deref(), Some("nachtschicht"));
    let first_response = acked
        .sla
        .first_response_at
        .expect("first response")
        .timestamp();
    assert!((Timestamp::now() - first_response).as_secs() < 120);

    // A note: the message is added, the problem stays acknowledged.
    let note = WriteBack::Note {
        text: "called the customer, they reboot".into(),
        author: "nachtschicht".into(),
    };
    rt.block_on(source.write_back(&key, &note, Timestamp::now()))
        .expect("note");
    let problem = web.problem();
    assert_eq!(problem["acknowledged"], "1");
    let messages: Vec<&str> = problem["acknowledges"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|u| u["message"].as_str())
        .collect();
    assert!(
        messages.contains(&"[nachtschicht] called the customer, they reboot"),
        "{messages:?}"
    );

    // Unack: not acknowledged on the server, a new problem again in the queue.
    let unack = WriteBack::Unack {
        author: "nachtschicht".into(),
    };
    rt.block_on(source.write_back(&key, &unack, Timestamp::now()))
        .expect("unack");
    assert_eq!(web.problem()["acknowledged"], "0");
    let items = fetch(&rt, &mut source).expect("fetch");
    assert_eq!(items[0].status.category, StatusCategory::New);
    assert_eq!(items[0].assignee, None);
    assert_eq!(
        items[0].label("message"),
        Some("[nachtschicht] called the customer, they reboot")
    );

    // An event the user cannot see is refused in Zabbix's words.
    let foreign = nightdesk::model::ItemKey::new(&key.source, "999999999");
    let refused = rt.block_on(source.write_back(&foreign, &ack, Timestamp::now()));
    assert!(
        matches!(&refused, Err(SourceError::Refused(m)) if m.contains("No permissions")),
        "{refused:?}"
    );
}

#[test]
fn api_token_authenticates_and_check_reports_version_auth_and_count() {
    let api = ZabbixApi::admin();
    let web = ZabbixHost::create(&api, &[], "192.0.2.30", &[("HTTP down on {HOST.NAME}", 4)]);
    let user = ZabbixUser::create(&api, &[&web.groupid], ZABBIX_NIGHTDESK_METHODS);
    web.send("503");
    web.wait_for_problems(1);
    let (_, secret) = user.token();
    let file = secret_file(&secret);
    let rt = common::runtime();
    let mut source = common::source(&config(&token(&file), ""));
    let text = rt.block_on(source.check(Timestamp::now())).expect("check");
    let version = zabbix_version().unwrap();
    assert_eq!(text, format!("Zabbix {version}, body auth, 1 problems"));
    let items = fetch(&rt, &mut source).expect("fetch");
    assert_eq!(items[0].host.as_deref(), Some(web.name.as_str()));
}

#[test]
fn ended_session_is_renewed_by_logging_in_again() {
    let api = ZabbixApi::admin();
    let web = ZabbixHost::create(&api, &[], "192.0.2.40", &[("HTTP down on {HOST.NAME}", 4)]);
    let user = ZabbixUser::create(&api, &[&web.groupid], ZABBIX_NIGHTDESK_METHODS);
    web.send("503");
    web.wait_for_problems(1);
    let password = secret_file(&user.password);
    let rt = common::runtime();
    let mut source = common::source(&config(&login(&user.name, &password), ""));
    assert_eq!(fetch(&rt, &mut source).expect("first fetch").len(), 1);

    user.end_sessions();
    let items = fetch(&rt, &mut source).expect("fetch after the session ended");
    assert_eq!(items.len(), 1);
    assert!(source.degraded().is_none());
}

#[test]
fn refused_credentials_are_auth_errors_that_say_why() {
    let api = ZabbixApi::admin();
    let web = ZabbixHost::create(&api, &[], "192.0.2.50", &[("Down on {HOST.NAME}", 3)]);
    let user = ZabbixUser::create(&api, &[&web.groupid], ZABBIX_NIGHTDESK_METHODS);
    web.send("0");
    web.wait_for_problems(1);
    let rt = common::runtime();

    // A wrong password (of the test's own user: Admin must not be locked out).
    let wrong = secret_file("not-the-password");
    let mut source = common::source(&config(&login(&user.name, &wrong), ""));
    let e = fetch(&rt, &mut source).unwrap_err();
    assert!(
        matches!(&e, SourceError::Auth(m) if m.contains(&user.name) && m.contains("password")),
        "{e}"
    );

    // A token that was deleted.
    let (tokenid, secret) = user.token();
    api.call("token.delete", serde_json::json!([tokenid]));
    let file = secret_file(&secret);
    let mut source = common::source(&config(&token(&file), ""));
    let e = fetch(&rt, &mut source).unwrap_err();
    assert!(
        matches!(&e, SourceError::Auth(m) if m.contains("Not authorized")),
        "{e}"
    );

    // A valid token in the header, which 6.0 ignores: refused, with the fix.
    let (_, secret) = user.token();
    let file = secret_file(&secret);
    let mut source = common::source(&config(&token(&file), r#"auth-style = "header""#));
    let e = fetch(&rt, &mut source).unwrap_err();
    assert!(
        matches!(&e, SourceError::Auth(m) if m.contains("auth-style = \"body\"")),
        "{e}"
    );

    // A role without trigger.get: the method is named.
    let methods: Vec<&str> = ZABBIX_NIGHTDESK_METHODS
        .iter()
        .copied()
        .filter(|m| *m != "trigger.get")
        .collect();
    let narrow = ZabbixUser::create(&api, &[&web.groupid], &methods);
    let password = secret_file(&narrow.password);
    let mut source = common::source(&config(&login(&narrow.name, &password), ""));
    let e = fetch(&rt, &mut source).unwrap_err();
    assert!(
        matches!(&e, SourceError::Auth(m) if m.contains("may not call trigger.get")),
        "{e}"
    );
}
