//! The Redmine connector against the real Redmine 5.0.4 that `scripts/services.sh start
//! redmine` runs on 127.0.0.1. Every test makes its own project, users and issues with
//! unique names and deletes them at its end: open issues are read with tenant (the
//! project, through `tenant-map`), priority, status category, assignee and link; take,
//! assign, set-status and the private note are checked on the server afterwards; a status
//! Redmine's workflow silently ignores is refused; a wrong API key or password is an
//! authentication failure, not an anonymous read of the public projects.

mod common;

use std::io::Write;

use common::servers::{REDMINE_KEY, REDMINE_URL, RedmineApi, RedmineProject, RedmineUser};
use jiff::Timestamp;
use nightdesk::model::{Item, ItemKey, Priority, StatusCategory};
use nightdesk::sources::{Fetched, Source, SourceError, WriteBack};
use serde_json::{Value, json};

/// A file holding `secret`, for `auth = { file = ... }`.
fn secret_file(secret: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(secret.as_bytes()).unwrap();
    f
}

/// A Redmine source limited to `project`, its name mapped to the tenant `mueller`.
fn redmine(project: &RedmineProject, auth: &str) -> Box<dyn Source> {
    common::source(&format!(
        r#"
[[tenants]]
id = "mueller"

[[sources]]
id = "rm"
kind = "redmine"
base-url = "{REDMINE_URL}"
auth = {auth}
project = "{}"
tenant-map = {{ "{}" = "mueller" }}
priorities = {{ normal = 2 }}
"#,
        project.identifier, project.name
    ))
}

fn key_auth(file: &tempfile::NamedTempFile) -> String {
    format!(r#"{{ file = "{}" }}"#, file.path().display())
}

fn login_auth(user: &str, file: &tempfile::NamedTempFile) -> String {
    format!(
        r#"{{ user = "{user}", password = {{ file = "{}" }} }}"#,
        file.path().display()
    )
}

fn fetch(
    rt: &tokio::runtime::Runtime,
    source: &mut Box<dyn Source>,
) -> Result<Vec<Item>, SourceError> {
    match rt.block_on(source.fetch(Timestamp::now()))? {
        Fetched::Full(items) => Ok(items),
        Fetched::Delta { .. } => panic!("redmine answers in full"),
    }
}

fn item(items: &[Item], issue: i64) -> &Item {
    items
        .iter()
        .find(|i| *i.key.external_id == *issue.to_string())
        .unwrap_or_else(|| panic!("no issue {issue} in {items:#?}"))
}

fn write(
    rt: &tokio::runtime::Runtime,
    source: &mut Box<dyn Source>,
    issue: i64,
    action: WriteBack,
) -> Result<(), SourceError> {
    let key = ItemKey::new(source.id(), &issue.to_string());
    rt.block_on(source.write_back(&key, &action, Timestamp::now()))
}

/// A project with a developer and five issues: Urgent new, Low in progress assigned to the
/// developer, High feedback, Immediate resolved, Normal closed.
struct World {
    api: RedmineApi,
    project: RedmineProject,
    nina: RedmineUser,
    urgent_new: i64,
    low_in_progress: i64,
    high_feedback: i64,
    immediate_resolved: i64,
    normal_closed: i64,
}

impl World {
    fn new() -> World {
        let api = RedmineApi::admin();
        let project = api.create_project("Müller GmbH");
        // A last name of its own: parallel tests each have a Nina, and a full name that
        // several agents share is refused as ambiguous.
        let nina = api.create_user("Nina", &format!("Nacht-{}", fastrand::u32(..)));
        api.add_member(&project, &nina, &[4]);
        let issue = |subject: &str, priority: i64| {
            api.create_issue(
                &project,
                json!({"subject": subject, "priority_id": priority}),
            )
        };
        let urgent_new = issue("Disk full on db1", 4);
        let low_in_progress = issue("Printer toner", 1);
        api.update_issue(
            low_in_progress,
            json!({"status_id": 2, "assigned_to_id": nina.id}),
        );
        let high_feedback = issue("VPN drops", 3);
        api.update_issue(high_feedback, json!({"status_id": 4}));
        let immediate_resolved = issue("Mail server down", 5);
        api.update_issue(immediate_resolved, json!({"status_id": 3}));
        let normal_closed = issue("Old request", 2);
        api.update_issue(normal_closed, json!({"status_id": 5}));
        World {
            api,
            project,
            nina,
            urgent_new,
            low_in_progress,
            high_feedback,
            immediate_resolved,
            normal_closed,
        }
    }
}

#[test]
fn open_issues_become_tickets_with_tenant_priority_status_assignee_and_link() {
    let w = World::new();
    let key = secret_file(REDMINE_KEY);
    let mut source = redmine(&w.project, &key_auth(&key));
    let rt = common::runtime();
    let items = fetch(&rt, &mut source).unwrap();
    assert_eq!(items.len(), 4, "the closed issue is not read: {items:#?}");
    assert!(
        items
            .iter()
            .all(|i| *i.key.external_id != *w.normal_closed.to_string())
    );
    assert!(source.degraded().is_none(), "{:?}", source.degraded());

    let disk = item(&items, w.urgent_new);
    assert_eq!(
        disk.tenant.as_str(),
        "mueller",
        "project name through tenant-map"
    );
    assert_eq!(disk.label("project"), Some(w.project.name.as_str()));
    assert_eq!(&*disk.title, "Disk full on db1");
    assert_eq!(disk.priority, Priority::P1, "Urgent is P1");
    assert_eq!(disk.status.category, StatusCategory::New);
    assert_eq!(&*disk.status.label, "New");
    assert_eq!(disk.assignee, None);
    assert_eq!(disk.label("tracker"), Some("Bug"));
    assert_eq!(
        disk.link.as_deref(),
        Some(format!("{REDMINE_URL}/issues/{}", w.urgent_new).as_str())
    );
    let server = w.api.issue(w.urgent_new);
    assert_eq!(
        disk.created.to_string(),
        server["created_on"].as_str().unwrap()
    );
    assert_eq!(disk.sla.first_response_at, None, "nobody reacted yet");
    assert_eq!(
        disk.sla.supplied_resolution_due, None,
        "Redmine supplies no dues"
    );

    let toner = item(&items, w.low_in_progress);
    assert_eq!(toner.priority, Priority::P4, "Low is P4");
    assert_eq!(toner.status.category, StatusCategory::Acknowledged);
    assert_eq!(toner.assignee.as_deref(), Some(w.nina.full_name.as_str()));
    assert!(toner.sla.first_response_at.is_some(), "moved on from New");

    let vpn = item(&items, w.high_feedback);
    assert_eq!(vpn.priority, Priority::P2, "High is P2");
    assert_eq!(
        vpn.status.category,
        StatusCategory::Waiting,
        "Feedback waits"
    );

    let mail = item(&items, w.immediate_resolved);
    assert_eq!(mail.priority, Priority::P1, "Immediate is P1");
    assert_eq!(
        mail.status.category,
        StatusCategory::Resolved,
        "Resolved is open in Redmine but done"
    );
    assert!(mail.sla.resolved_at.is_some());

    let vocabulary = source.vocabulary();
    assert!(
        vocabulary.agents.contains(&w.nina.login),
        "{:?}",
        vocabulary.agents
    );
    for status in [
        "New",
        "In Progress",
        "Feedback",
        "Resolved",
        "Closed",
        "Rejected",
    ] {
        assert!(vocabulary.statuses.iter().any(|s| s == status), "{status}");
    }

    let text = rt.block_on(source.check(Timestamp::now())).unwrap();
    assert_eq!(text, "Redmine, signed in as admin, 4 open issues");
}

#[test]
fn normal_is_raised_by_the_priorities_table() {
    let w = World::new();
    let id = w.api.create_issue(
        &w.project,
        json!({"subject": "Normal one", "priority_id": 2}),
    );
    let key = secret_file(REDMINE_KEY);
    let mut source = redmine(&w.project, &key_auth(&key));
    let rt = common::runtime();
    let items = fetch(&rt, &mut source).unwrap();
    assert_eq!(
        item(&items, id).priority,
        Priority::P2,
        "priorities = {{ normal = 2 }}"
    );
}

#[test]
fn take_assign_status_and_private_note_arrive_on_the_server() {
    let w = World::new();
    let key = secret_file(REDMINE_KEY);
    let mut source = redmine(&w.project, &key_auth(&key));
    let rt = common::runtime();
    fetch(&rt, &mut source).unwrap();

    // Take: assign to one's own agent name, the login.
    let take = WriteBack::Assign {
        agent: w.nina.login.clone(),
    };
    write(&rt, &mut source, w.urgent_new, take).expect("take");
    assert_eq!(w.api.issue(w.urgent_new)["assigned_to"]["id"], w.nina.id);

    // Assign by the full name works as well.
    let assign = WriteBack::Assign {
        agent: w.nina.full_name.to_lowercase(),
    };
    write(&rt, &mut source, w.high_feedback, assign).expect("assign");
    assert_eq!(w.api.issue(w.high_feedback)["assigned_to"]["id"], w.nina.id);

    let status = WriteBack::SetStatus {
        status: "In Progress".into(),
    };
    write(&rt, &mut source, w.urgent_new, status).expect("set status");
    assert_eq!(w.api.issue(w.urgent_new)["status"]["id"], 2);

    let note = WriteBack::Note {
        text: "Checked the disk, cleaning /var/log".into(),
        author: "nachtschicht".into(),
    };
    write(&rt, &mut source, w.urgent_new, note).expect("note");
    let journals = w.api.issue(w.urgent_new)["journals"].clone();
    let last = journals.as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        last["notes"],
        "[nachtschicht] Checked the disk, cleaning /var/log"
    );
    assert_eq!(last["private_notes"], true, "{last}");

    // What the server now says, read back through the connector.
    let items = fetch(&rt, &mut source).unwrap();
    let disk = item(&items, w.urgent_new);
    assert_eq!(disk.status.category, StatusCategory::Acknowledged);
    assert_eq!(disk.assignee.as_deref(), Some(w.nina.full_name.as_str()));
}

#[test]
fn the_first_response_is_the_first_answer_in_the_history_and_stays_put() {
    let w = World::new();
    let key = secret_file(REDMINE_KEY);
    let mut source = redmine(&w.project, &key_auth(&key));
    let rt = common::runtime();
    // Nina answers the admin's issue and moves it on.
    let issue = w.api.create_issue(
        &w.project,
        json!({"subject": "Scanner offline", "priority_id": 2}),
    );
    w.api.call_as(
        Some(&w.nina.login),
        reqwest::Method::PUT,
        &format!("/issues/{issue}.json"),
        Some(json!({"issue": {"notes": "Looking at it", "status_id": 2}})),
    );
    let answered: Timestamp = w.api.issue(issue)["journals"][0]["created_on"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let first = fetch(&rt, &mut source).unwrap();
    let at = |items: &[Item]| {
        item(items, issue)
            .sla
            .first_response_at
            .map(|m| m.timestamp())
    };
    assert_eq!(at(&first), Some(answered));

    // A later update (Redmine counts in seconds: wait until the clock has passed the
    // answer's second) does not move the first response.
    while Timestamp::now().as_second() <= answered.as_second() {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    w.api.update_issue(issue, json!({"notes": "Still on it"}));
    let later = fetch(&rt, &mut source).unwrap();
    assert!(
        item(&later, issue).updated > nightdesk::model::Moment::new(answered),
        "the issue was updated"
    );
    assert_eq!(
        at(&later),
        Some(answered),
        "the first response stays at the answer"
    );
    // A fresh connector (a restart) learns the same from the history.
    let mut restarted = redmine(&w.project, &key_auth(&key));
    assert_eq!(at(&fetch(&rt, &mut restarted).unwrap()), Some(answered));
}

#[test]
fn unknown_agents_statuses_and_actions_are_refused_without_a_change() {
    let w = World::new();
    let key = secret_file(REDMINE_KEY);
    let mut source = redmine(&w.project, &key_auth(&key));
    let rt = common::runtime();
    fetch(&rt, &mut source).unwrap();
    let before = w.api.issue(w.urgent_new);

    let e = write(
        &rt,
        &mut source,
        w.urgent_new,
        WriteBack::Assign {
            agent: "nobody-here".into(),
        },
    )
    .unwrap_err();
    assert!(
        matches!(&e, SourceError::Refused(m) if m.contains("nobody-here")),
        "{e}"
    );

    let e = write(
        &rt,
        &mut source,
        w.urgent_new,
        WriteBack::SetStatus {
            status: "Erledigt".into(),
        },
    )
    .unwrap_err();
    assert!(
        matches!(&e, SourceError::Refused(m) if m.contains("Erledigt") && m.contains("In Progress")),
        "{e}"
    );
    let ack = WriteBack::Ack {
        comment: "x".into(),
        author: "y".into(),
        minutes: None,
    };
    assert_eq!(
        write(&rt, &mut source, w.urgent_new, ack),
        Err(SourceError::Unsupported)
    );
    let after = w.api.issue(w.urgent_new);
    assert_eq!(after["status"], before["status"]);
    assert_eq!(after.get("assigned_to"), before.get("assigned_to"));
    assert_eq!(
        after["updated_on"], before["updated_on"],
        "nothing was written"
    );
}

#[test]
fn a_status_the_workflow_ignores_is_refused_and_members_are_the_agents() {
    let w = World::new();
    // Nina signs in herself: a developer, whom the default workflow does not let reject.
    let password = secret_file(&w.nina.password);
    let mut source = redmine(&w.project, &login_auth(&w.nina.login, &password));
    let rt = common::runtime();
    fetch(&rt, &mut source).unwrap();
    assert_eq!(
        source.vocabulary().agents,
        vec![w.nina.full_name.clone()],
        "no admin: the project's members by name"
    );
    let e = write(
        &rt,
        &mut source,
        w.urgent_new,
        WriteBack::SetStatus {
            status: "Rejected".into(),
        },
    )
    .unwrap_err();
    assert_eq!(
        e,
        SourceError::Refused(
            "Redmine kept the status `New`: its workflow does not let this user set `Rejected`"
                .into()
        )
    );
    assert_eq!(w.api.issue(w.urgent_new)["status"]["id"], 1);
    // Allowed for a developer: New -> In Progress.
    let ok = WriteBack::SetStatus {
        status: "in progress".into(),
    };
    write(&rt, &mut source, w.urgent_new, ok).expect("allowed status");
    assert_eq!(w.api.issue(w.urgent_new)["status"]["id"], 2);
}

#[test]
fn a_wrong_key_or_password_is_an_auth_failure_not_an_anonymous_read() {
    let w = World::new();
    let rt = common::runtime();
    let wrong = "ffffffffffffffffffffffffffffffffffffffff";
    let key = secret_file(wrong);
    let mut source = redmine(&w.project, &key_auth(&key));
    let e = fetch(&rt, &mut source).unwrap_err();
    assert!(
        matches!(&e, SourceError::Auth(m) if m.contains("401")),
        "{e}"
    );
    let text = format!("{e} {e:?}");
    assert!(!text.contains(wrong), "{text}");

    let password = secret_file("not-her-password-4711");
    let mut source = redmine(&w.project, &login_auth(&w.nina.login, &password));
    let e = fetch(&rt, &mut source).unwrap_err();
    assert!(matches!(&e, SourceError::Auth(_)), "{e}");
    assert!(!format!("{e:?}").contains("not-her-password-4711"));
    let e = rt.block_on(source.check(Timestamp::now())).unwrap_err();
    assert!(matches!(&e, SourceError::Auth(_)), "{e}");
}

#[test]
fn a_note_keeps_untrusted_text_as_data() {
    let w = World::new();
    let key = secret_file(REDMINE_KEY);
    let mut source = redmine(&w.project, &key_auth(&key));
    let rt = common::runtime();
    fetch(&rt, &mut source).unwrap();
    let text = "line1\nline2 \"quoted\" <b>bold</b> ünïcödé";
    let note = WriteBack::Note {
        text: text.into(),
        author: "[evil]\u{1b}".into(),
    };
    write(&rt, &mut source, w.high_feedback, note).expect("note");
    let journals: Value = w.api.issue(w.high_feedback)["journals"].clone();
    let last = journals.as_array().unwrap().last().unwrap();
    assert_eq!(last["notes"], format!("[evil] {text}"));
}

#[test]
fn more_issues_than_a_page_are_all_read() {
    let w = World::new();
    let extra: Vec<i64> = (0..110)
        .map(|n| {
            w.api.create_issue(
                &w.project,
                json!({"subject": format!("Bulk {n}"), "priority_id": 1}),
            )
        })
        .collect();
    let key = secret_file(REDMINE_KEY);
    let mut source = redmine(&w.project, &key_auth(&key));
    let rt = common::runtime();
    let items = fetch(&rt, &mut source).unwrap();
    assert_eq!(items.len(), 4 + extra.len(), "two pages of 100");
    for id in [extra[0], extra[99], extra[109]] {
        assert_eq!(item(&items, id).priority, Priority::P4);
    }
}
