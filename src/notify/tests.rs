//! Rule evaluation: triggers, filters, dedupe, the baseline at the start, rate limits, quiet
//! hours (across midnight and daylight saving), pruning, and the texts in both languages.

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use super::*;
use crate::i18n::Lang;
use crate::model::{
    Item, ItemKey, Kind, Priority, SlaFacts, SourceId, Status, StatusCategory, TenantId,
};
use crate::sla::ClockKind;

/// Friday 2026-11-27, 02:30 in Berlin.
fn start() -> Timestamp {
    "2026-11-27T01:30:00Z".parse().unwrap()
}

fn mins(n: i64) -> SignedDuration {
    SignedDuration::from_mins(n)
}

fn berlin() -> TimeZone {
    TimeZone::get("Europe/Berlin").unwrap()
}

fn src(id: &str) -> SourceId {
    SourceId::new(id)
}

fn item(source: &str, id: &str, tenant: &str, p: Priority, created: Timestamp) -> Item {
    Item {
        key: ItemKey::new(&src(source), id),
        tenant: TenantId::new(tenant),
        kind: Kind::Alert,
        title: format!("Host down: {id}").into(),
        host: Some(id.into()),
        address: None,
        priority: p,
        status: Status::new(StatusCategory::New, "firing"),
        created: crate::model::Moment::new(created),
        updated: crate::model::Moment::new(created),
        assignee: None,
        labels: Default::default(),
        link: None,
        sla: SlaFacts::default(),
    }
}

fn facts(i: &Item) -> ItemFacts {
    ItemFacts::of(i, &format!("Tenant {}", i.tenant))
}

fn new_event(i: &Item) -> Event {
    Event::NewItem(facts(i))
}

fn notifier(rules: Vec<Rule>) -> Notifier {
    Notifier::new(rules, start(), berlin(), Lang::En)
}

fn rule(trigger: Trigger, channels: &[Channel]) -> Rule {
    Rule::new(trigger.name(), trigger, channels)
}

/// The keys `n` calls new in `items`, with `queue` as what the queue holds.
fn arrivals(n: &mut Notifier, source: &str, items: &[Item], queue: &[&Item]) -> Vec<ItemKey> {
    n.arrivals(
        &src(source),
        items,
        |k| queue.iter().any(|i| i.key == *k),
        start(),
    )
}

#[test]
fn the_first_answer_of_a_source_is_the_baseline() {
    let mut n = notifier(default_rules());
    let old = item("mon", "fw-01", "hansa", Priority::P1, start() - mins(30));
    assert!(
        arrivals(&mut n, "mon", std::slice::from_ref(&old), &[]).is_empty(),
        "no burst at the start"
    );
    // Created after the start but in the first answer (the source was down at the start).
    let meanwhile = item("psa", "T-1", "hansa", Priority::P1, start() + mins(5));
    let before = item("psa", "T-0", "hansa", Priority::P1, start() - mins(5));
    assert_eq!(
        arrivals(&mut n, "psa", &[before, meanwhile.clone()], &[]),
        vec![meanwhile.key.clone()]
    );
    // The second answer of `mon`: an item is new whatever its creation time says.
    let late = item("mon", "sw-01", "hansa", Priority::P1, start() - mins(60));
    assert_eq!(
        arrivals(&mut n, "mon", &[old.clone(), late.clone()], &[&old]),
        vec![late.key]
    );
}

#[test]
fn redelivered_and_reappearing_items_are_not_new() {
    let mut n = notifier(default_rules());
    let a = item("mon", "a", "t", Priority::P1, start());
    arrivals(&mut n, "mon", &[], &[]);
    assert_eq!(
        arrivals(&mut n, "mon", std::slice::from_ref(&a), &[]),
        vec![a.key.clone()]
    );
    assert!(
        arrivals(&mut n, "mon", std::slice::from_ref(&a), &[&a]).is_empty(),
        "a refresh"
    );
    // The item left the queue (a partial read, a stale source) and comes back.
    assert!(
        arrivals(&mut n, "mon", std::slice::from_ref(&a), &[]).is_empty(),
        "it came back"
    );
}

#[test]
fn a_resolved_item_is_not_new() {
    let mut n = notifier(default_rules());
    arrivals(&mut n, "mon", &[], &[]);
    let mut gone = item("mon", "flap", "t", Priority::P1, start());
    gone.status = Status::new(StatusCategory::Resolved, "resolved");
    assert!(arrivals(&mut n, "mon", &[gone], &[]).is_empty());
}

#[test]
fn no_new_item_rule_means_nothing_is_tracked() {
    let mut n = notifier(vec![rule(Trigger::SlaBreach, &[Channel::Bell])]);
    arrivals(&mut n, "mon", &[], &[]);
    let a = item("mon", "a", "t", Priority::P1, start());
    assert!(arrivals(&mut n, "mon", &[a], &[]).is_empty());
    assert_eq!(n.memory(), (0, 0));
}

#[test]
fn new_p1_fires_once_for_a_p1_and_never_for_a_p3() {
    let mut n = notifier(vec![rule(
        Trigger::NewP1,
        &[Channel::Bell, Channel::Osc777],
    )]);
    let p1 = item("mon", "fw-01", "hansa", Priority::P1, start());
    let p3 = item("mon", "printer", "hansa", Priority::P3, start());
    let sent = n.consider(&new_event(&p1), start()).expect("a P1 notifies");
    assert_eq!(sent.channels, vec![Channel::Bell, Channel::Osc777]);
    assert_eq!(sent.rules, vec![std::sync::Arc::from("new-p1")]);
    assert_eq!(sent.title, "New P1 alert at Tenant hansa");
    assert_eq!(sent.body, "Host down: fw-01");
    assert_eq!(n.consider(&new_event(&p1), start() + mins(1)), None, "once");
    assert_eq!(n.consider(&new_event(&p3), start()), None, "not a P1");
}

#[test]
fn an_item_raised_to_p1_notifies_once_and_only_rules_it_newly_concerns() {
    let mut new_p1 = notifier(vec![rule(Trigger::NewP1, &[Channel::Bell])]);
    let mut every_new = notifier(vec![rule(Trigger::NewItem, &[Channel::Bell])]);
    let mut raised = item("psa", "T-9", "hansa", Priority::P1, start());
    raised.kind = Kind::Ticket;
    let in_queue = |k: &ItemKey| (k == &raised.key).then_some(Priority::P3);
    let found = new_p1.raises(std::slice::from_ref(&raised), in_queue);
    assert_eq!(found, vec![(raised.key.clone(), Priority::P3)]);
    let lower = item("psa", "T-9", "hansa", Priority::P4, start());
    assert!(
        new_p1.raises(&[lower], in_queue).is_empty(),
        "lowered is no news"
    );
    let event = Event::Raised {
        item: facts(&raised),
        from: Priority::P3,
    };
    let sent = new_p1
        .consider(&event, start())
        .expect("raised to P1 notifies");
    assert_eq!(sent.title, "Raised P3 → P1: ticket at Tenant hansa");
    assert_eq!(sent.body, "Host down: T-9");
    assert_eq!(new_p1.consider(&event, start() + mins(1)), None, "once");
    assert_eq!(
        every_new.consider(&event, start()),
        None,
        "a rule for every new item saw it when it was new"
    );
    let (de, _) = event.texts(Lang::De, &berlin());
    assert_eq!(de, "Hochgestuft P3 → P1: Ticket bei Tenant hansa");
}

#[test]
fn new_p1_with_a_priority_list_takes_those_priorities() {
    let mut r = rule(Trigger::NewP1, &[Channel::Bell]);
    r.priorities = Some(vec![Priority::P1, Priority::P2]);
    let mut n = notifier(vec![r]);
    let p2 = item("mon", "x", "t", Priority::P2, start());
    let p4 = item("mon", "y", "t", Priority::P4, start());
    assert!(n.consider(&new_event(&p2), start()).is_some());
    assert!(n.consider(&new_event(&p4), start()).is_none());
}

#[test]
fn new_items_of_my_tenants_only() {
    let mut r = rule(Trigger::NewItemForMyTenants, &[Channel::Desktop]);
    r.tenants = Some(vec![TenantId::new("mueller"), TenantId::new("schmidt")]);
    let mut n = notifier(vec![r]);
    let mine = item("psa", "T-1", "schmidt", Priority::P4, start());
    let other = item("psa", "T-2", "koenig", Priority::P1, start());
    assert!(n.consider(&new_event(&mine), start()).is_some());
    assert!(n.consider(&new_event(&other), start()).is_none());
}

#[test]
fn filters_on_kind_source_and_priority_combine() {
    let mut r = rule(Trigger::NewItem, &[Channel::Bell]);
    r.kinds = Some(vec![Kind::Backup]);
    r.sources = Some(vec![src("backup")]);
    let mut n = notifier(vec![r]);
    let mut finding = item("backup", "job/failed", "mueller", Priority::P2, start());
    finding.kind = Kind::Backup;
    let alert = item("backup", "other", "mueller", Priority::P2, start());
    let mut elsewhere = finding.clone();
    elsewhere.key = ItemKey::new(&src("backup-2"), "job/failed");
    assert!(n.consider(&new_event(&finding), start()).is_some());
    assert!(
        n.consider(&new_event(&alert), start()).is_none(),
        "an alert"
    );
    assert!(
        n.consider(&new_event(&elsewhere), start()).is_none(),
        "another source"
    );
}

#[test]
fn an_event_several_rules_match_is_one_notification_with_all_channels() {
    let mut mine = rule(
        Trigger::NewItemForMyTenants,
        &[Channel::Desktop, Channel::Bell],
    );
    mine.tenants = Some(vec![TenantId::new("hansa")]);
    mine.name = "mine".into();
    let mut n = notifier(vec![
        rule(Trigger::NewP1, &[Channel::Bell, Channel::Osc777]),
        mine,
    ]);
    let p1 = item("mon", "fw-01", "hansa", Priority::P1, start());
    let sent = n.consider(&new_event(&p1), start()).unwrap();
    assert_eq!(sent.rules.len(), 2);
    assert_eq!(
        sent.channels,
        vec![Channel::Desktop, Channel::Bell, Channel::Osc777],
        "each channel once"
    );
}

fn warning(i: &Item, clock: ClockKind, threshold: u8) -> Event {
    Event::SlaWarning {
        item: facts(i),
        clock,
        threshold,
        due: start() + mins(30),
    }
}

fn breach(i: &Item, clock: ClockKind) -> Event {
    Event::SlaBreach {
        item: facts(i),
        clock,
        due: start(),
    }
}

#[test]
fn sla_warnings_fire_once_per_clock_and_threshold() {
    let mut n = notifier(vec![rule(Trigger::SlaWarning, &[Channel::Osc9])]);
    let t = item("psa", "T-1", "hansa", Priority::P2, start());
    let first = n
        .consider(&warning(&t, ClockKind::FirstResponse, 0), start())
        .unwrap();
    assert_eq!(first.title, "SLA warning: first response due Fri 03:00");
    assert_eq!(first.body, "P2 Tenant hansa: Host down: T-1");
    assert!(
        n.consider(&warning(&t, ClockKind::FirstResponse, 0), start())
            .is_none(),
        "again"
    );
    assert!(
        n.consider(&warning(&t, ClockKind::FirstResponse, 1), start())
            .is_some(),
        "90 %"
    );
    assert!(
        n.consider(&warning(&t, ClockKind::Resolution, 0), start())
            .is_some(),
        "other clock"
    );
    assert!(
        n.consider(&breach(&t, ClockKind::FirstResponse), start())
            .is_none(),
        "no rule"
    );
}

#[test]
fn sla_breaches_fire_once_per_clock_and_the_clock_filter_applies() {
    let mut r = rule(Trigger::SlaBreach, &[Channel::Bell]);
    r.clocks = Some(vec![ClockKind::Resolution]);
    let mut n = notifier(vec![r]);
    let t = item("psa", "T-1", "hansa", Priority::P1, start());
    assert!(
        n.consider(&breach(&t, ClockKind::FirstResponse), start())
            .is_none(),
        "filtered"
    );
    let sent = n
        .consider(&breach(&t, ClockKind::Resolution), start())
        .unwrap();
    assert_eq!(sent.title, "SLA breached: resolution was due Fri 02:30");
    assert!(
        n.consider(&breach(&t, ClockKind::Resolution), start() + mins(5))
            .is_none()
    );
}

fn source(since: Timestamp, auth_failed: bool) -> SourceFacts {
    SourceFacts {
        source: src("mon-swn"),
        tenant: Some(TenantId::new("swn")),
        tenant_name: Some("Stadtwerke Neustadt".into()),
        priority: Priority::P2,
        since,
        auth_failed,
        reason: "connection refused".into(),
    }
}

#[test]
fn a_source_going_down_fires_once_per_outage_and_recovery_is_optional() {
    let mut with_recovery = rule(Trigger::SourceDown, &[Channel::Bell]);
    with_recovery.recovery = true;
    with_recovery.name = "with".into();
    let mut plain = notifier(vec![rule(Trigger::SourceDown, &[Channel::Bell])]);
    let mut n = notifier(vec![with_recovery]);
    let outage = start() + mins(3);
    let down = n
        .consider(&Event::SourceDown(source(outage, false)), outage)
        .unwrap();
    assert_eq!(down.title, "Source down: mon-swn");
    assert_eq!(
        down.body,
        "Stadtwerke Neustadt blind since Fri 02:33: connection refused"
    );
    assert!(
        n.consider(&Event::SourceDown(source(outage, false)), outage)
            .is_none()
    );
    let up = n
        .consider(&Event::SourceUp(source(outage, false)), outage + mins(12))
        .unwrap();
    assert_eq!(up.title, "Source back: mon-swn");
    assert_eq!(up.body, "Stadtwerke Neustadt was blind since Fri 02:33");
    assert!(
        plain
            .consider(&Event::SourceUp(source(outage, false)), outage)
            .is_none()
    );
    // A second outage is another event.
    let again = start() + mins(40);
    let second = n
        .consider(&Event::SourceDown(source(again, true)), again)
        .unwrap();
    assert_eq!(second.title, "Source refused the login: mon-swn");
}

#[test]
fn over_the_rate_limit_one_summary_follows_when_there_is_room() {
    let mut n = notifier(vec![rule(Trigger::NewItem, &[Channel::Bell])]);
    assert_eq!(DEFAULT_RATE_LIMIT.count, 5);
    let sent: Vec<_> = (0..8)
        .filter_map(|i| {
            let it = item("mon", &format!("h{i}"), "t", Priority::P2, start());
            n.consider(&new_event(&it), start() + SignedDuration::from_secs(i))
        })
        .collect();
    assert_eq!(sent.len(), 5, "five a minute");
    assert!(
        n.release_held(start() + SignedDuration::from_secs(30))
            .is_empty(),
        "still full"
    );
    let summary = n.release_held(start() + SignedDuration::from_secs(60));
    assert_eq!(summary.len(), 1);
    assert_eq!(summary[0].title, "… and 3 more");
    assert_eq!(
        summary[0].body,
        "rule new-item: 3 notifications held back by its rate limit"
    );
    assert_eq!(summary[0].channels, vec![Channel::Bell]);
    assert!(n.release_held(start() + mins(5)).is_empty(), "said once");
}

#[test]
fn without_a_limit_every_event_goes_out() {
    let mut r = rule(Trigger::NewItem, &[Channel::Bell]);
    r.rate_limit = None;
    let mut n = notifier(vec![r]);
    let sent = (0..50)
        .filter(|i| {
            let it = item("mon", &format!("h{i}"), "t", Priority::P2, start());
            n.consider(&new_event(&it), start()).is_some()
        })
        .count();
    assert_eq!(sent, 50);
}

fn quiet_rule() -> Rule {
    let mut r = rule(Trigger::NewItem, &[Channel::Bell]);
    r.quiet = QuietHours::parse("22:00-06:00");
    r.quiet_except = vec![Priority::P1];
    r
}

#[test]
fn quiet_hours_across_midnight_let_only_the_exception_through() {
    let mut n = notifier(vec![quiet_rule()]);
    let at = |s: &str| s.parse::<Timestamp>().unwrap();
    let p2 = |id: &str| new_event(&item("mon", id, "t", Priority::P2, start()));
    let p1 = new_event(&item("mon", "core", "t", Priority::P1, start()));
    assert!(
        n.consider(&p2("a"), at("2026-11-27T22:30:00Z")).is_none(),
        "23:30"
    );
    assert!(
        n.consider(&p2("b"), at("2026-11-28T04:59:00Z")).is_none(),
        "05:59"
    );
    assert!(
        n.consider(&p1, at("2026-11-28T02:00:00Z")).is_some(),
        "P1 at 03:00"
    );
    assert!(
        n.consider(&p2("c"), at("2026-11-28T05:00:00Z")).is_some(),
        "06:00"
    );
    assert!(
        n.consider(&p2("d"), at("2026-11-28T20:00:00Z")).is_some(),
        "21:00"
    );
    // Silenced is not postponed: the same event after the quiet hours stays silent.
    assert!(n.consider(&p2("a"), at("2026-11-28T08:00:00Z")).is_none());
}

#[test]
fn quiet_hours_follow_the_wall_clock_on_the_night_summer_time_begins() {
    // 2026-03-29 in Berlin: 02:00 CET becomes 03:00 CEST; the quiet hours end at 06:00 CEST.
    let mut n = notifier(vec![quiet_rule()]);
    let p2 = |id: &str| new_event(&item("mon", id, "t", Priority::P2, start()));
    let at = |s: &str| s.parse::<Timestamp>().unwrap();
    assert!(
        n.consider(&p2("a"), at("2026-03-29T00:59:00Z")).is_none(),
        "01:59 CET"
    );
    assert!(
        n.consider(&p2("b"), at("2026-03-29T01:00:00Z")).is_none(),
        "03:00 CEST"
    );
    assert!(
        n.consider(&p2("c"), at("2026-03-29T03:59:00Z")).is_none(),
        "05:59 CEST"
    );
    assert!(
        n.consider(&p2("d"), at("2026-03-29T04:00:00Z")).is_some(),
        "06:00 CEST"
    );
}

#[test]
fn what_was_held_when_quiet_hours_begin_is_dropped() {
    let mut r = quiet_rule();
    r.rate_limit = Some(RateLimit {
        count: 1,
        per: std::time::Duration::from_secs(60),
    });
    let mut n = notifier(vec![r]);
    let at = |s: &str| s.parse::<Timestamp>().unwrap();
    let p2 = |id: &str| new_event(&item("mon", id, "t", Priority::P2, start()));
    assert!(
        n.consider(&p2("a"), at("2026-11-27T20:59:00Z")).is_some(),
        "21:59"
    );
    assert!(
        n.consider(&p2("b"), at("2026-11-27T20:59:30Z")).is_none(),
        "held"
    );
    assert!(
        n.release_held(at("2026-11-27T21:00:30Z")).is_empty(),
        "22:00: quiet"
    );
    assert!(
        n.release_held(at("2026-11-28T06:00:00Z")).is_empty(),
        "nothing left"
    );
}

#[test]
fn forgotten_items_count_as_new_again_after_a_day() {
    let mut n = notifier(default_rules());
    arrivals(&mut n, "mon", &[], &[]);
    let a = item("mon", "a", "t", Priority::P1, start());
    assert_eq!(
        arrivals(&mut n, "mon", std::slice::from_ref(&a), &[]).len(),
        1
    );
    assert!(n.consider(&new_event(&a), start()).is_some());
    // Still in the queue at the hourly pruning: remembered.
    n.prune(start() + mins(61), |_| true);
    assert_eq!(n.memory(), (1, 1));
    // Gone from the queue for more than a day: forgotten, with what fired for it.
    n.prune(start() + mins(61) + REMEMBER + mins(61), |_| false);
    assert_eq!(n.memory(), (0, 0));
    assert_eq!(
        n.arrivals(
            &src("mon"),
            std::slice::from_ref(&a),
            |_| false,
            start() + REMEMBER * 2
        ),
        vec![a.key.clone()]
    );
}

#[test]
fn texts_come_from_the_catalog_in_german_too() {
    let mut n = Notifier::new(default_rules(), start(), berlin(), Lang::De);
    let p1 = item("mon", "fw-01", "hansa", Priority::P1, start());
    let sent = n.consider(&new_event(&p1), start()).unwrap();
    assert_eq!(sent.title, "Neu: P1 Alarm bei Tenant hansa");
    let outage = start() + mins(3);
    let down = n
        .consider(&Event::SourceDown(source(outage, false)), outage)
        .unwrap();
    assert_eq!(down.title, "Quelle ausgefallen: mon-swn");
    assert_eq!(
        down.body,
        "Stadtwerke Neustadt blind seit Fr 02:33: connection refused"
    );
}

#[test]
fn the_default_rules_cover_new_p1_breaches_and_outages_on_bell_and_osc777() {
    let rules = default_rules();
    let triggers: Vec<Trigger> = rules.iter().map(|r| r.trigger).collect();
    assert_eq!(
        triggers,
        [Trigger::NewP1, Trigger::SlaBreach, Trigger::SourceDown]
    );
    for r in &rules {
        assert_eq!(r.channels, [Channel::Bell, Channel::Osc777]);
        assert_eq!(r.rate_limit, Some(DEFAULT_RATE_LIMIT));
        assert!(r.quiet.is_none());
    }
}
