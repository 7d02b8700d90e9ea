//! Planning sessions: profiles resolved per tenant, placeholders filled element by element,
//! hostile values from sources refused before anything could run.

use std::path::Path;
use std::sync::Arc;

use jiff::Timestamp;

use super::validate::{Field, Problem};
use super::*;
use crate::config::Config;
use crate::model::{Kind, Labels, Priority, SlaFacts, SourceId, Status, StatusCategory};

fn item(tenant: &str, host: Option<&str>, address: Option<&str>) -> Item {
    Item {
        key: ItemKey::new(&SourceId::new("mon"), "a1"),
        tenant: TenantId::new(tenant),
        kind: Kind::Alert,
        title: "disk full".into(),
        host: host.map(Arc::from),
        address: address.map(Arc::from),
        priority: Priority::P2,
        status: Status::new(StatusCategory::New, "firing"),
        created: crate::model::Moment::new(Timestamp::UNIX_EPOCH),
        updated: crate::model::Moment::new(Timestamp::UNIX_EPOCH),
        assignee: None,
        labels: Labels::new(),
        link: None,
        sla: SlaFacts::default(),
    }
}

fn sessions(text: &str) -> SessionsConfig {
    Config::parse(Path::new("c.toml"), text)
        .unwrap_or_else(|e| panic!("{e}"))
        .sessions
}

const MUELLER: &str = r#"
[sessions.tenants.mueller]
jump = "jump.mueller.example"
user = "admin"

[sessions.tenants.mueller.profiles.rdp]
user = "MUELLER-admin"
port = 3390
"#;

#[test]
fn built_in_ssh_uses_jump_and_user_of_the_tenant() {
    let config = sessions(MUELLER);
    let dc = item("mueller", Some("srv-dc01.mueller.local"), Some("10.1.2.3"));
    let plan = plan(&config, "ssh", &dc).unwrap();
    assert_eq!(
        plan.argv,
        ["ssh", "-J", "jump.mueller.example", "admin@10.1.2.3"]
    );
    assert_eq!(plan.mode, LaunchMode::Tmux);
    assert_eq!(plan.target, "srv-dc01.mueller.local");
    assert_eq!(
        plan.command_line(),
        "ssh -J jump.mueller.example admin@10.1.2.3"
    );

    let other = item("schmidt", Some("nas01"), None);
    let plain = super::plan(&config, "ssh", &other).unwrap();
    assert_eq!(
        plain.argv,
        ["ssh", "nas01"],
        "no jump, no user: ssh's own defaults"
    );
}

#[test]
fn tenant_profile_settings_win_for_rdp() {
    let config = sessions(MUELLER);
    let dc = item("mueller", Some("srv-dc01.mueller.local"), Some("10.1.2.3"));
    let rdp = plan(&config, "rdp", &dc).unwrap();
    assert_eq!(
        rdp.argv,
        ["xfreerdp", "/v:10.1.2.3", "/port:3390", "/u:MUELLER-admin"]
    );
    assert_eq!(rdp.mode, LaunchMode::Spawn);
    let vnc = super::plan(&config, "vnc", &dc).unwrap();
    assert_eq!(vnc.argv, ["vncviewer", "10.1.2.3::5900"]);
}

#[test]
fn hostile_hosts_are_refused_and_named() {
    let config = sessions(MUELLER);
    let cases = [
        ("x; rm -rf ~", Problem::ShellMeta(';')),
        ("-oProxyCommand=touch /tmp/pwned", Problem::LeadingDash),
        ("$(id)", Problem::ShellMeta('$')),
        ("`id`", Problem::ShellMeta('`')),
        ("dc01\nrm -rf ~", Problem::Control),
        ("\x1b[31mred", Problem::Control),
        ("a b", Problem::Whitespace),
    ];
    for (host, problem) in cases {
        for profile in ["ssh", "rdp", "vnc", "web"] {
            let hostile = item("mueller", Some(host), None);
            let refusal = plan(&config, profile, &hostile).unwrap_err();
            assert_eq!(
                refusal,
                Refusal::Invalid(Invalid {
                    field: Field::Address,
                    value: host.to_string(),
                    problem,
                }),
                "{profile} {host:?}"
            );
            let text = refusal.describe(Lang::En);
            assert!(!text.chars().any(char::is_control), "{text:?}");
        }
    }
    let long = "a".repeat(300);
    let refusal = plan(&config, "ssh", &item("mueller", Some(&long), None)).unwrap_err();
    assert!(matches!(
        refusal,
        Refusal::Invalid(Invalid {
            problem: Problem::TooLong { max: 253 },
            ..
        })
    ));
}

#[test]
fn a_value_used_nowhere_is_not_checked_but_never_shown_raw() {
    let config = sessions("");
    let odd = item("mueller", Some("bad host;"), Some("10.1.2.3"));
    let p = plan(&config, "ssh", &odd).unwrap();
    assert_eq!(p.argv, ["ssh", "10.1.2.3"]);
    assert_eq!(p.target, "10.1.2.3", "the valid value names the target");
    assert_eq!(p.host.as_deref(), Some("bad host;"), "kept for the audit");
}

#[test]
fn ipv6_addresses_and_zones() {
    let config = sessions("");
    let v6 = item("mueller", None, Some("fe80::1%eth0"));
    assert_eq!(
        plan(&config, "ssh", &v6).unwrap().argv,
        ["ssh", "fe80::1%eth0"]
    );
    let v6 = item("mueller", None, Some("2001:db8::1"));
    let web = plan(&config, "web", &v6).unwrap();
    assert_eq!(web.argv, ["https://[2001:db8::1]"], "brackets in URLs");
    assert_eq!(web.mode, LaunchMode::Open);
}

#[test]
fn missing_values_and_tenant_limits() {
    let config = sessions(
        r#"
[sessions.profiles.console]
argv = ["ipmitool", "-H", "{address}", "-U", "{user}"]
tenants = ["mueller"]
"#,
    );
    let none = item("mueller", None, None);
    assert_eq!(
        plan(&config, "ssh", &none),
        Err(Refusal::Missing(Placeholder::Address))
    );
    let dc = item("mueller", Some("dc01"), None);
    assert_eq!(
        plan(&config, "console", &dc),
        Err(Refusal::Missing(Placeholder::User))
    );
    let profile = config.profile("console").unwrap();
    assert!(!applies(&config, profile, &dc), "no user: not in the menu");
    assert!(applies(&config, config.profile("ssh").unwrap(), &dc));
    assert!(!applies(&config, config.profile("ssh").unwrap(), &none));
    let elsewhere = item("schmidt", Some("dc01"), None);
    assert_eq!(
        plan(&config, "console", &elsewhere),
        Err(Refusal::NotForTenant)
    );
    assert_eq!(
        plan(&config, "nope", &dc),
        Err(Refusal::UnknownProfile("nope".into()))
    );
    let config = sessions("[sessions.profiles.vnc]\nenabled = false\n");
    assert_eq!(plan(&config, "vnc", &dc), Err(Refusal::Disabled));
}

#[test]
fn hostile_tenant_ids_are_refused_too() {
    let config = sessions("[sessions.profiles.t]\nargv = [\"echo\", \"{tenant}\"]\n");
    let evil = item("a;b", Some("dc01"), None);
    assert!(matches!(
        plan(&config, "t", &evil),
        Err(Refusal::Invalid(Invalid {
            field: Field::Tenant,
            ..
        }))
    ));
}

#[test]
fn copy_text_is_quoted_for_a_shell() {
    let argv: Vec<String> = ["printf", "SESSION-OK %s\n", "it's", "a@b:1/x"]
        .map(String::from)
        .to_vec();
    assert_eq!(
        command_line(&argv),
        "printf 'SESSION-OK %s\n' 'it'\\''s' a@b:1/x"
    );
}

#[test]
fn window_names_keep_to_safe_characters() {
    let plan = SessionPlan {
        profile: "ssh".into(),
        mode: LaunchMode::Tmux,
        item: ItemKey::new(&SourceId::new("s"), "1"),
        tenant: TenantId::new("mueller"),
        target: "#(touch x)".into(),
        argv: vec!["ssh".into()],
        host: None,
    };
    assert_eq!(plan.window_name(), "mueller/__touch_x_");
}

#[test]
fn outcomes_describe_themselves() {
    let dc = item("mueller", Some("dc01"), None);
    let config = sessions("");
    let p = plan(&config, "ssh", &dc).unwrap();
    let at = Timestamp::UNIX_EPOCH;
    let exited = SessionOutcome::of_plan(
        at,
        &p,
        LaunchMode::Inline,
        SessionResult::Exited(Exit::Code(3)),
    );
    assert!(exited.fell_back);
    assert!(exited.is_error());
    assert_eq!(
        exited.describe(Lang::En, "x"),
        "ssh ended: exit status 3 (not inside tmux: ran here)"
    );
    let copied = SessionOutcome {
        mode: Some(LaunchMode::Copy),
        fell_back: false,
        result: SessionResult::Copied,
        ..exited.clone()
    };
    assert_eq!(copied.describe(Lang::De, "x"), "kopiert: ssh dc01");
    let refused = SessionOutcome::refused(at, "ssh", Some(&dc), Refusal::NotForTenant);
    assert_eq!(refused.mode, None);
    assert!(refused.argv.is_empty());
    assert_eq!(
        refused.describe(Lang::En, "mueller: disk full"),
        "ssh not run: the profile is not for this tenant (mueller: disk full)"
    );
}
