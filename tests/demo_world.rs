//! The demo world through its public API: determinism by seed, the initial mix, how it moves
//! over virtual time, the scripted monitoring outage, write-backs, and the bulk generator.

use std::collections::{BTreeMap, HashSet};

use jiff::{SignedDuration, Timestamp};
use nightdesk::model::{Item, Kind, Moment, Priority, StatusCategory};
use nightdesk::sources::demo::{
    DemoWorld, OUTAGE_FROM, OUTAGE_TENANT, OUTAGE_UNTIL, demo_sources, generate_items,
};
use nightdesk::sources::{Fetched, Source, SourceError, WriteBack};

type Snapshot = BTreeMap<String, Result<Vec<Item>, SourceError>>;

fn start() -> Timestamp {
    "2026-11-27T01:30:00Z".parse().unwrap()
}

fn mins(m: i64) -> SignedDuration {
    SignedDuration::from_mins(m)
}

async fn fetch_all(sources: &mut [Box<dyn Source>], now: Timestamp) -> Snapshot {
    let mut out = BTreeMap::new();
    for s in sources.iter_mut() {
        let result = s.fetch(now).await.map(|f| match f {
            Fetched::Full(items) => items,
            Fetched::Delta { .. } => panic!("demo sources send full snapshots"),
        });
        out.insert(s.id().to_string(), result);
    }
    out
}

fn items(snapshot: &Snapshot) -> Vec<&Item> {
    snapshot
        .values()
        .filter_map(|r| r.as_ref().ok())
        .flatten()
        .collect()
}

fn source<'a>(sources: &'a mut [Box<dyn Source>], id: &str) -> &'a mut Box<dyn Source> {
    sources.iter_mut().find(|s| s.id().as_str() == id).unwrap()
}

async fn fetch_one(sources: &mut [Box<dyn Source>], id: &str, now: Timestamp) -> Vec<Item> {
    match source(sources, id).fetch(now).await.unwrap() {
        Fetched::Full(items) => items,
        Fetched::Delta { .. } => panic!("full snapshots only"),
    }
}

#[tokio::test]
async fn same_seed_same_items_regardless_of_fetch_pattern() {
    let t2 = start() + mins(70);
    let a = DemoWorld::new(42, start());
    let mut sa = demo_sources(&a);
    fetch_all(&mut sa, start() + mins(7)).await;
    fetch_one(&mut sa, "psa", start() + mins(31)).await;
    let snap_a = fetch_all(&mut sa, t2).await;

    let b = DemoWorld::new(42, start());
    let mut sb = demo_sources(&b);
    let snap_b = fetch_all(&mut sb, t2).await;

    assert_eq!(snap_a, snap_b);
    assert_eq!(a.items(t2), b.items(t2));
    assert!(items(&snap_a).len() > 200);
}

#[test]
fn different_seed_different_world() {
    let a = DemoWorld::new(1, start()).items(start());
    let b = DemoWorld::new(2, start()).items(start());
    assert_ne!(a, b);
}

#[tokio::test]
async fn sources_are_psa_one_monitoring_per_tenant_and_backup() {
    let world = DemoWorld::new(7, start());
    let mut sources = demo_sources(&world);
    let ids: Vec<String> = sources.iter().map(|s| s.id().to_string()).collect();
    assert_eq!(ids.first().map(String::as_str), Some("psa"));
    assert_eq!(ids.last().map(String::as_str), Some("backup"));
    assert_eq!(ids.len(), DemoWorld::tenants().len() + 2);
    for t in DemoWorld::tenants() {
        assert!(ids.contains(&format!("mon-{}", t.id)));
    }
    let snap = fetch_all(&mut sources, start()).await;
    for (id, result) in &snap {
        for item in result.as_ref().unwrap() {
            assert_eq!(item.key.source.as_str(), id);
            let expected = match id.as_str() {
                "psa" => Kind::Ticket,
                "backup" => Kind::Backup,
                _ => Kind::Alert,
            };
            assert_eq!(item.kind, expected);
            if let Some(tenant) = id.strip_prefix("mon-") {
                assert_eq!(item.tenant.as_str(), tenant);
            }
        }
    }
}

#[test]
fn start_has_a_realistic_mix() {
    let all = DemoWorld::new(42, start()).items(start());
    assert!(all.len() >= 220, "{} items", all.len());
    let tenants: HashSet<_> = all.iter().map(|i| i.tenant.clone()).collect();
    assert!(tenants.len() >= 12);

    let kind_share = |k: Kind| all.iter().filter(|i| i.kind == k).count() * 100 / all.len();
    assert!((30..=50).contains(&kind_share(Kind::Ticket)));
    assert!((35..=55).contains(&kind_share(Kind::Alert)));
    assert!((8..=22).contains(&kind_share(Kind::Backup)));

    let count = |p: Priority| all.iter().filter(|i| i.priority == p).count();
    assert!(Priority::ALL.iter().all(|p| count(*p) > 0));
    assert!(count(Priority::P3) > count(Priority::P2));
    assert!(count(Priority::P1) * 10 < all.len(), "few P1s");

    for i in &all {
        assert!(i.created <= nightdesk::model::Moment::new(start()) && i.created <= i.updated);
        assert!(i.link.as_deref().unwrap().contains(".invalid/"));
    }
}

#[test]
fn tickets_have_statuses_assignees_and_pauses() {
    let all = DemoWorld::new(42, start()).items(start());
    let tickets: Vec<_> = all.iter().filter(|i| i.kind == Kind::Ticket).collect();
    let with = |c: StatusCategory| tickets.iter().filter(|t| t.status.category == c).count();
    assert!(with(StatusCategory::New) > 0);
    assert!(with(StatusCategory::Acknowledged) > 0);
    assert!(with(StatusCategory::Waiting) > 0);
    assert!(
        tickets
            .iter()
            .any(|t| &*t.status.label == "waiting for customer")
    );
    assert!(tickets.iter().any(|t| t.sla.first_response_at.is_some()));
    assert!(tickets.iter().any(|t| t.sla.first_response_at.is_none()));
    assert!(tickets.iter().any(|t| t.assignee.is_some()));
    assert!(tickets.iter().any(|t| !t.sla.past_pauses.is_empty()));
    for t in tickets
        .iter()
        .filter(|t| t.status.category == StatusCategory::Waiting)
    {
        let since = t.sla.status_since.unwrap().timestamp();
        assert!(t.sla.first_response_at.unwrap().timestamp() <= since);
        assert!(
            t.sla
                .past_pauses
                .iter()
                .all(|p| p.start < p.end && p.end <= since)
        );
    }
    let hostile = tickets.iter().find(|t| t.title.contains('\x1b')).unwrap();
    assert!(hostile.title.contains('\x07'));
    assert!(hostile.title.chars().count() > 300);
}

#[test]
fn first_response_clocks_are_mostly_fine_some_warn_some_breached() {
    let all = DemoWorld::new(42, start()).items(start());
    let target = |p: Priority| mins([30, 60, 240, 480][p.index()]);
    let unanswered: Vec<f64> = all
        .iter()
        .filter(|i| i.kind == Kind::Ticket && i.sla.first_response_at.is_none())
        .map(|i| {
            start().duration_since(i.created.timestamp()).as_secs_f64()
                / target(i.priority).as_secs_f64()
        })
        .collect();
    let band = |lo: f64, hi: f64| unanswered.iter().filter(|r| lo <= **r && **r < hi).count();
    assert!(band(1.0, f64::MAX) > 0, "some breached");
    assert!(band(0.75, 1.0) > 0, "some warning");
    assert!(band(0.0, 0.75) * 2 > unanswered.len(), "most fine");
}

#[test]
fn alerts_and_backups_carry_their_labels_and_states() {
    let all = DemoWorld::new(42, start()).items(start());
    let alerts: Vec<_> = all.iter().filter(|i| i.kind == Kind::Alert).collect();
    for a in &alerts {
        for label in ["alertname", "severity", "instance", "job"] {
            assert!(a.label(label).is_some(), "{label} on {}", a.title);
        }
        assert!(a.host.is_some());
        assert!(is_private(a.address.as_deref().unwrap()));
    }
    let labels: HashSet<&str> = alerts.iter().map(|a| &*a.status.label).collect();
    for word in ["firing", "acknowledged", "silenced"] {
        assert!(labels.contains(word), "{word}");
    }
    let findings: HashSet<&str> = all
        .iter()
        .filter(|i| i.kind == Kind::Backup)
        .filter_map(|i| i.label("finding"))
        .collect();
    assert_eq!(findings.len(), 4, "{findings:?}");
}

fn is_private(addr: &str) -> bool {
    addr.starts_with("10.") || addr.starts_with("192.168.") || addr.starts_with("172.16.")
}

#[test]
fn after_an_hour_the_world_has_moved() {
    let world = DemoWorld::new(42, start());
    let before = world.items(start());
    let after = world.items(start() + mins(60));
    let keys_after: HashSet<_> = after.iter().map(|i| &i.key).collect();
    let keys_before: HashSet<_> = before.iter().map(|i| &i.key).collect();

    let cleared = before
        .iter()
        .filter(|i| i.kind == Kind::Alert && !keys_after.contains(&i.key))
        .count();
    assert!(cleared > 0, "some alert cleared");
    let new_items: Vec<_> = after
        .iter()
        .filter(|i| !keys_before.contains(&i.key))
        .collect();
    assert!(new_items.iter().any(|i| i.kind == Kind::Ticket));
    assert!(new_items.iter().any(|i| i.kind == Kind::Alert));
    assert!(
        new_items
            .iter()
            .all(|i| i.created > nightdesk::model::Moment::new(start()))
    );

    let answered = after.iter().filter(|i| i.kind == Kind::Ticket).any(|a| {
        a.sla.first_response_at.is_some()
            && before
                .iter()
                .any(|b| b.key == a.key && b.sla.first_response_at.is_none())
    });
    assert!(answered, "a ticket was answered");

    let resumed = after.iter().any(|a| {
        before.iter().any(|b| {
            b.key == a.key
                && b.status.category == StatusCategory::Waiting
                && a.sla.past_pauses.len() > b.sla.past_pauses.len()
        })
    });
    assert!(resumed, "a customer replied to a waiting ticket");
}

#[test]
fn scripted_story_plays() {
    let world = DemoWorld::new(5, start());
    let at = |m: i64| world.items(start() + mins(m));
    let host_down = |items: &[Item]| {
        items
            .iter()
            .find(|i| {
                i.tenant.as_str() == "hansa"
                    && i.host.as_deref() == Some("fw-01")
                    && i.label("alertname") == Some("HostDown")
            })
            .cloned()
    };
    assert!(host_down(&at(1)).is_none());
    let fired = host_down(&at(2)).expect("host down fires at +2 min");
    assert_eq!(fired.priority, Priority::P1);
    let incident = |items: &[Item]| {
        items.iter().any(|i| {
            i.kind == Kind::Ticket && i.priority == Priority::P1 && i.title.starts_with("Lager:")
        })
    };
    assert!(!incident(&at(5)));
    assert!(incident(&at(6)), "the customer calls at +6 min");
    let failed_backup = |items: &[Item]| {
        items
            .iter()
            .any(|i| i.title.as_ref() == "Backup job 'SQL-Nightly' failed on sql-02 (exit 4)")
    };
    assert!(!failed_backup(&at(19)));
    assert!(failed_backup(&at(20)));
    let resolved = host_down(&at(36)).expect("still listed while resolved");
    assert_eq!(resolved.status.category, StatusCategory::Resolved);
    assert!(host_down(&at(41)).is_none(), "gone after the linger time");
}

#[tokio::test]
async fn monitoring_outage_hits_exactly_one_source_and_recovers() {
    let world = DemoWorld::new(42, start());
    let (tenant, window) = world.outage();
    assert_eq!(tenant.as_str(), OUTAGE_TENANT);
    assert_eq!(window.start, start() + OUTAGE_FROM);
    let blind = format!("mon-{OUTAGE_TENANT}");
    let mut sources = demo_sources(&world);
    let just_before = start() + OUTAGE_FROM - SignedDuration::from_secs(1);
    let last_second = start() + OUTAGE_UNTIL - SignedDuration::from_secs(1);
    for (now, down) in [
        (start(), false),
        (just_before, false),
        (start() + OUTAGE_FROM, true),
        (last_second, true),
        (start() + OUTAGE_UNTIL, false),
    ] {
        let snap = fetch_all(&mut sources, now).await;
        for (id, result) in &snap {
            let expect_down = down && *id == blind;
            match result {
                Err(SourceError::Unreachable(_)) => assert!(expect_down, "{id} at {now}"),
                Err(other) => panic!("{id}: unexpected {other}"),
                Ok(items) => {
                    assert!(!expect_down, "{id} should be down at {now}");
                    if *id == blind {
                        assert!(!items.is_empty());
                    }
                }
            }
        }
    }
}

/// A firing alert of a tenant that is not the blind one.
fn firing_alert(items: &[Item]) -> Item {
    items
        .iter()
        .find(|i| {
            i.kind == Kind::Alert
                && i.status.category == StatusCategory::New
                && i.tenant.as_str() != OUTAGE_TENANT
        })
        .cloned()
        .unwrap()
}

#[tokio::test]
async fn ack_and_unack_show_in_the_next_fetch() {
    let world = DemoWorld::new(42, start());
    let mut sources = demo_sources(&world);
    let now = start() + mins(1);
    let alert = firing_alert(&world.items(now));
    let id = alert.key.source.to_string();
    let ack = WriteBack::Ack {
        comment: "schaue ich mir an".into(),
        author: "Nina Vogel".into(),
        minutes: None,
    };
    let src = source(&mut sources, &id);
    assert!(src.capabilities().ack && src.capabilities().unack);
    src.write_back(&alert.key, &ack, now).await.unwrap();

    let acked = fetch_one(&mut sources, &id, now).await;
    let acked = acked.iter().find(|i| i.key == alert.key).unwrap();
    assert_eq!(acked.status.category, StatusCategory::Acknowledged);
    assert_eq!(&*acked.status.label, "acknowledged");
    assert_eq!(acked.sla.first_response_at, Some(Moment::new(now)));
    assert_eq!(acked.assignee.as_deref(), Some("Nina Vogel"));

    let unack = WriteBack::Unack {
        author: "Nina Vogel".into(),
    };
    let later = now + SignedDuration::from_secs(30);
    let src = source(&mut sources, &id);
    src.write_back(&alert.key, &unack, later).await.unwrap();
    let restored = fetch_one(&mut sources, &id, later).await;
    let restored = restored.iter().find(|i| i.key == alert.key).unwrap();
    assert_eq!(restored.status, alert.status);
    assert_eq!(restored.sla.first_response_at, None);
    assert_eq!(restored.assignee, alert.assignee);
}

#[tokio::test]
async fn timed_ack_runs_out() {
    let world = DemoWorld::new(42, start());
    let mut sources = demo_sources(&world);
    let now = start() + mins(1);
    let alert = firing_alert(&world.items(now));
    let id = alert.key.source.to_string();
    let ack = WriteBack::Ack {
        comment: String::new(),
        author: "Lukas Berger".into(),
        minutes: Some(10),
    };
    source(&mut sources, &id)
        .write_back(&alert.key, &ack, now)
        .await
        .unwrap();
    let status_at = |items: Vec<Item>| {
        items
            .into_iter()
            .find(|i| i.key == alert.key)
            .map(|i| i.status.category)
    };
    let during = status_at(fetch_one(&mut sources, &id, now + mins(9)).await);
    let after = status_at(fetch_one(&mut sources, &id, now + mins(11)).await);
    assert_eq!(during, Some(StatusCategory::Acknowledged));
    // The alert may have cleared by itself meanwhile; if still listed, it fires again.
    assert!(matches!(
        after,
        None | Some(StatusCategory::New) | Some(StatusCategory::Resolved)
    ));
}

#[tokio::test]
async fn ack_of_a_backup_finding_and_assign_of_a_ticket() {
    let world = DemoWorld::new(42, start());
    let mut sources = demo_sources(&world);
    let now = start() + mins(1);
    let all = world.items(now);
    let finding = all
        .iter()
        .find(|i| i.kind == Kind::Backup && i.status.category == StatusCategory::New)
        .unwrap();
    let ack = WriteBack::Ack {
        comment: String::new(),
        author: "Aylin Demir".into(),
        minutes: None,
    };
    source(&mut sources, "backup")
        .write_back(&finding.key, &ack, now)
        .await
        .unwrap();
    let backups = fetch_one(&mut sources, "backup", now).await;
    let after = backups.iter().find(|i| i.key == finding.key).unwrap();
    assert_eq!(after.status.category, StatusCategory::Acknowledged);
    assert!(after.sla.first_response_at.is_some());

    let ticket = all
        .iter()
        .find(|i| i.kind == Kind::Ticket && i.status.category == StatusCategory::Waiting)
        .unwrap();
    let assign = WriteBack::Assign {
        agent: "Mehmet Kaya".into(),
    };
    let psa = source(&mut sources, "psa");
    assert!(psa.capabilities().assign && !psa.capabilities().ack);
    psa.write_back(&ticket.key, &assign, now).await.unwrap();
    let tickets = fetch_one(&mut sources, "psa", now).await;
    let after = tickets.iter().find(|i| i.key == ticket.key).unwrap();
    assert_eq!(after.assignee.as_deref(), Some("Mehmet Kaya"));
    assert_eq!(after.status.category, StatusCategory::Acknowledged);
    assert_eq!(&*after.status.label, "in progress");
    assert_eq!(
        after.sla.past_pauses.len(),
        ticket.sla.past_pauses.len() + 1
    );
}

#[tokio::test]
async fn write_back_errors() {
    let world = DemoWorld::new(42, start());
    let mut sources = demo_sources(&world);
    let now = start() + mins(1);
    let all = world.items(now);
    let ticket = all.iter().find(|i| i.kind == Kind::Ticket).unwrap();
    let alert = firing_alert(&all);
    let ack = WriteBack::Ack {
        comment: String::new(),
        author: "x".into(),
        minutes: None,
    };
    let psa = source(&mut sources, "psa");
    let refused = psa.write_back(&ticket.key, &ack, now).await;
    assert_eq!(refused, Err(SourceError::Unsupported));

    let mut unknown = alert.key.clone();
    unknown.external_id = "does-not-exist".into();
    let mon = source(&mut sources, alert.key.source.as_str());
    let missing = mon.write_back(&unknown, &ack, now).await;
    assert!(
        matches!(missing, Err(SourceError::Protocol(_))),
        "{missing:?}"
    );

    // An item of another source is unknown here too.
    let backup = source(&mut sources, "backup");
    let foreign = backup.write_back(&alert.key, &ack, now).await;
    assert!(matches!(foreign, Err(SourceError::Protocol(_))));
}

#[test]
fn bulk_items_have_unique_keys_and_are_deterministic() {
    let now = start();
    let items = generate_items(10_000, 42, now);
    assert_eq!(items.len(), 10_000);
    let keys: HashSet<_> = items.iter().map(|i| i.key.clone()).collect();
    assert_eq!(keys.len(), 10_000);
    let tenants: HashSet<_> = items.iter().map(|i| i.tenant.clone()).collect();
    assert!(tenants.len() > 200, "{} tenants", tenants.len());
    assert_eq!(generate_items(500, 42, now), generate_items(500, 42, now));
    assert_ne!(generate_items(500, 42, now), generate_items(500, 43, now));
}
