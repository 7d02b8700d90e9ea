//! Tests of the queue index: ids, order, counts, related items, stale marking and ticks.

use jiff::{SignedDuration, Timestamp};

use super::testdata::{self, now};
use super::*;
use crate::model::{
    Item, ItemKey, Kind, Labels, Moment, Priority, SlaFacts, SourceId, Status, StatusCategory,
    TenantId,
};
use crate::sla::{ClockKind, Contract, Level};

fn mins(n: i64) -> SignedDuration {
    SignedDuration::from_mins(n)
}

fn at(offset_secs: i64) -> Timestamp {
    now()
        .checked_add(SignedDuration::from_secs(offset_secs))
        .unwrap()
}

fn item(
    source: &str,
    id: &str,
    tenant: &str,
    host: Option<&str>,
    priority: Priority,
    created: Timestamp,
) -> Item {
    Item {
        key: ItemKey::new(&SourceId::new(source), id),
        tenant: TenantId::new(tenant),
        kind: Kind::Alert,
        title: format!("Item {id}").into(),
        host: host.map(Into::into),
        address: None,
        priority,
        status: Status::new(StatusCategory::New, "firing"),
        created: crate::model::Moment::new(created),
        updated: crate::model::Moment::new(created),
        assignee: None,
        labels: Labels::new(),
        link: None,
        sla: SlaFacts::default(),
    }
}

/// The SLA stub without pauses or warnings is too poor for these tests: this evaluator adds
/// warnings at 50 % and 80 % of each target and pauses every clock of a waiting item.
fn test_evaluator(contract: &Contract, item: &Item) -> SlaClocks {
    let mut clocks = sla::evaluate(contract, item);
    for c in &mut clocks.clocks {
        let mut p = c.parts();
        let target = p.due.duration_since(item.created.timestamp());
        p.warn_at = [0.5, 0.8]
            .iter()
            .map(|f| {
                item.created
                    .timestamp()
                    .checked_add(target.mul_f64(*f))
                    .unwrap()
            })
            .collect();
        if item.status.category == StatusCategory::Waiting {
            let since = item.sla.status_since.unwrap_or(item.created).timestamp();
            p.paused_since = Some(since);
            p.remaining_when_paused = Some(p.due.duration_since(since));
        }
        *c = p.into();
    }
    clocks
}

fn queue() -> Queue {
    Queue::with_evaluator(ContractBook::default(), now(), test_evaluator)
}

/// Everything the queue keeps must agree with its entries.
fn check_invariants(q: &Queue) {
    let live: Vec<u32> = (0..q.slots.len() as u32)
        .filter(|&id| q.entry(id).is_some())
        .collect();
    assert_eq!(q.len(), live.len());
    assert_eq!(q.order.len(), live.len());
    let mut sorted = q.order.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, live, "order holds exactly the live ids");
    for w in q.order.windows(2) {
        assert_eq!(q.cmp_ids(w[0], w[1]), std::cmp::Ordering::Less);
    }
    for (pos, &id) in q.order.iter().enumerate() {
        let entry = q.entry(id).unwrap();
        assert_eq!(q.id_of(&entry.item.key), Some(id));
        assert_eq!(q.position_of(id), Some(pos));
        assert_eq!(q.haystack(id), haystack_of(&entry.item));
        assert_eq!(q.sort_key(id), Some(sort_key::sort_key(&entry.clocks)));
    }
    let mut per_priority = [0; 4];
    for (_, e) in q.iter() {
        per_priority[e.item.priority.index()] += 1;
    }
    assert_eq!(q.priority_counts(), per_priority);
    let tenant_total: usize = q.tenant_counts().iter().map(|(_, n)| n).sum();
    assert_eq!(tenant_total, q.len());
    let related_total: usize = q.related.values().map(Vec::len).sum();
    let with_host = q.iter().filter(|(_, e)| e.item.host.is_some()).count();
    assert_eq!(related_total, with_host);
    let t = q.last_tick();
    assert_eq!(q.tenant_summary(t), q.compute_tenant_summary(t));
}

fn order_keys(q: &Queue) -> Vec<String> {
    q.iter()
        .map(|(_, e)| e.item.key.external_id.to_string())
        .collect()
}

#[test]
fn order_nearest_due_first_paused_after_running_met_last() {
    let mut q = queue();
    // P1: first response 30 min after creation; P3: 4 h.
    let soon = item("m", "soon", "a", None, Priority::P1, at(-20 * 60));
    let later = item("m", "later", "a", None, Priority::P1, at(0));
    let p3 = item("m", "p3", "a", None, Priority::P3, at(-60));
    let mut paused_short = item("m", "paused-short", "a", None, Priority::P1, at(-25 * 60));
    paused_short.status = Status::new(StatusCategory::Waiting, "Warten auf Kunde");
    paused_short.sla.status_since = Some(Moment::new(at(-20 * 60)));
    let mut paused_long = item("m", "paused-long", "a", None, Priority::P1, at(-60));
    paused_long.status = Status::new(StatusCategory::Waiting, "Warten auf Kunde");
    paused_long.sla.status_since = Some(Moment::new(at(-60)));
    let mut met = item("m", "met", "a", None, Priority::P1, at(-3 * 3600));
    met.sla.first_response_at = Some(Moment::new(at(-3 * 3600 + 60)));
    met.sla.resolved_at = Some(Moment::new(at(-3600)));
    let mut fr_met = item("m", "fr-met", "a", None, Priority::P1, at(-3 * 3600));
    fr_met.sla.first_response_at = Some(Moment::new(at(-3 * 3600 + 60)));
    for it in [met, paused_long, p3, later, paused_short, soon, fr_met] {
        q.upsert(it);
        check_invariants(&q);
    }
    // fr-met: resolution due 1 h after its 4 h target began 3 h ago -> due in 1 h.
    assert_eq!(
        order_keys(&q),
        [
            "soon",
            "later",
            "fr-met",
            "p3",
            "paused-short",
            "paused-long",
            "met"
        ]
    );
}

#[test]
fn ties_break_by_priority_then_age_then_key() {
    let mut q = Queue::new(
        ContractBook::new(std::sync::Arc::new(Contract {
            targets: std::array::from_fn(|_| crate::sla::PriorityTargets {
                first_response: None,
                next_update: None,
                resolution: None,
                around_the_clock: true,
            }),
            ..Contract::default()
        })),
        now(),
    );
    q.upsert(item("s", "b", "t", None, Priority::P2, at(0)));
    q.upsert(item("s", "a", "t", None, Priority::P2, at(0)));
    q.upsert(item("s", "old", "t", None, Priority::P2, at(-10)));
    q.upsert(item("s", "p1", "t", None, Priority::P1, at(0)));
    assert_eq!(order_keys(&q), ["p1", "old", "a", "b"]);
    check_invariants(&q);
}

#[test]
fn age_breaks_ties_to_the_millisecond_on_both_sides_of_the_epoch() {
    // Items keep their times to the millisecond (model::Moment).
    let mut q = Queue::new(
        ContractBook::new(std::sync::Arc::new(Contract {
            targets: std::array::from_fn(|_| crate::sla::PriorityTargets::NONE),
            ..Contract::default()
        })),
        now(),
    );
    let around_epoch = |nanos: i64| Timestamp::UNIX_EPOCH + SignedDuration::from_nanos(nanos);
    for (id, nanos) in [
        ("plus-half", 500_000_000),
        ("minus-one", -1_000_000_000),
        ("minus-one-and-a-half", -1_500_000_000),
        ("minus-half", -500_000_000),
        ("minus-1.2", -1_200_000_000),
        ("epoch", 0),
        ("minus-1ms", -1_000_000),
    ] {
        q.upsert(item("s", id, "t", None, Priority::P3, around_epoch(nanos)));
    }
    assert_eq!(
        order_keys(&q),
        [
            "minus-one-and-a-half",
            "minus-1.2",
            "minus-one",
            "minus-half",
            "minus-1ms",
            "epoch",
            "plus-half"
        ]
    );
    check_invariants(&q);
}

/// Pauses every clock of a waiting item without a remaining time, as a decorator might.
fn paused_without_remaining(contract: &Contract, item: &Item) -> SlaClocks {
    let mut clocks = sla::evaluate(contract, item);
    if item.status.category == StatusCategory::Waiting {
        for c in &mut clocks.clocks {
            let mut p = c.parts();
            p.paused_since = Some(item.created.timestamp());
            p.remaining_when_paused = None;
            *c = p.into();
        }
    }
    clocks
}

#[test]
fn a_sort_key_its_rank_cannot_tell_is_kept_and_ordered() {
    let mut q = Queue::with_evaluator(ContractBook::default(), now(), paused_without_remaining);
    let waiting = |id: &str, priority| {
        let mut it = item("s", id, "t", None, priority, at(-60));
        it.status = Status::new(StatusCategory::Waiting, "Warten auf Kunde");
        it
    };
    q.upsert(waiting("no-remaining-p3", Priority::P3));
    q.upsert(item("s", "running", "t", None, Priority::P3, at(0)));
    q.upsert(waiting("no-remaining-p1", Priority::P1));
    let unmeasured = SortKey::Paused {
        remaining: i64::MAX,
    };
    let id = q.id_of(&ItemKey::new(&SourceId::new("s"), "no-remaining-p3"));
    assert_eq!(q.sort_key(id.unwrap()), Some(unmeasured));
    assert_eq!(
        order_keys(&q),
        ["running", "no-remaining-p1", "no-remaining-p3"]
    );
    check_invariants(&q);
    q.upsert(item("s", "no-remaining-p1", "t", None, Priority::P1, at(0)));
    assert_eq!(q.clamped.len(), 1, "the running item's key is exact again");
    q.remove(&ItemKey::new(&SourceId::new("s"), "no-remaining-p3"));
    assert!(q.clamped.is_empty());
    check_invariants(&q);
}

#[test]
fn upsert_updates_in_place_and_reports_what_changed() {
    let mut q = queue();
    let first = q.upsert(item("m", "x", "a", Some("srv1"), Priority::P3, at(0)));
    assert_eq!(first.change, Change::Added);
    let same = q.upsert(item("m", "x", "a", Some("srv1"), Priority::P3, at(0)));
    assert_eq!(
        same,
        Upserted {
            id: first.id,
            change: Change::Unchanged
        }
    );
    let rev = q.revision();
    let changed = q.upsert(item("m", "x", "a", Some("srv1"), Priority::P1, at(0)));
    assert_eq!(
        changed,
        Upserted {
            id: first.id,
            change: Change::Updated
        }
    );
    assert!(q.revision() > rev);
    assert_eq!(q.changed_since(rev), vec![first.id]);
    assert_eq!(q.priority_counts(), [1, 0, 0, 0]);
    assert_eq!(q.len(), 1);
    check_invariants(&q);
}

#[test]
fn remove_frees_the_slot_for_reuse() {
    let mut q = queue();
    let a = q
        .upsert(item("m", "a", "t", Some("h"), Priority::P2, at(0)))
        .id;
    let b = q
        .upsert(item("m", "b", "t", Some("h"), Priority::P2, at(1)))
        .id;
    let removed = q.remove(&ItemKey::new(&SourceId::new("m"), "a")).unwrap();
    assert_eq!(&*removed.key.external_id, "a");
    assert!(q.remove(&ItemKey::new(&SourceId::new("m"), "a")).is_none());
    assert_eq!(q.entry(a).map(|_| ()), None);
    assert_eq!(q.haystack(a), "");
    let c = q
        .upsert(item("m", "c", "t", Some("h"), Priority::P2, at(2)))
        .id;
    assert_eq!(c, a, "freed slot reused");
    assert_ne!(c, b);
    check_invariants(&q);
}

#[test]
fn apply_full_removes_only_missing_items_of_that_source() {
    let mut q = queue();
    let mon = SourceId::new("mon");
    q.apply_full(
        &mon,
        vec![
            item("mon", "1", "t", None, Priority::P2, at(0)),
            item("mon", "2", "t", None, Priority::P2, at(1)),
        ],
    );
    q.upsert(item("psa", "9", "t", None, Priority::P2, at(2)));
    let report = q.apply_full(
        &mon,
        vec![
            item("mon", "2", "t", None, Priority::P2, at(1)),
            item("mon", "3", "t", None, Priority::P1, at(3)),
        ],
    );
    assert_eq!(
        report,
        ApplyReport {
            added: 1,
            updated: 0,
            unchanged: 1,
            removed: 1
        }
    );
    assert!(report.changed());
    let mut ids = order_keys(&q);
    ids.sort();
    assert_eq!(ids, ["2", "3", "9"]);
    let unchanged = q.apply_full(
        &mon,
        vec![
            item("mon", "2", "t", None, Priority::P2, at(1)),
            item("mon", "3", "t", None, Priority::P1, at(3)),
        ],
    );
    assert!(!unchanged.changed());
    check_invariants(&q);
}

#[test]
fn an_item_repeated_in_one_batch_ends_with_its_last_version() {
    let mut q = queue();
    let original = item("s", "1", "t", None, Priority::P2, at(0));
    q.upsert(original.clone());
    let mut changed = original.clone();
    changed.title = "something else".into();
    q.apply_delta(vec![changed, original.clone()], &[]);
    assert_eq!(q.get(&original.key).unwrap().item, original);
    check_invariants(&q);
}

#[test]
fn apply_delta_upserts_and_removes() {
    let mut q = queue();
    q.apply_delta(
        vec![
            item("s", "1", "t", None, Priority::P2, at(0)),
            item("s", "2", "t", None, Priority::P2, at(1)),
        ],
        &[],
    );
    let report = q.apply_delta(
        vec![item("s", "3", "t", None, Priority::P2, at(2))],
        &[
            ItemKey::new(&SourceId::new("s"), "1"),
            ItemKey::new(&SourceId::new("s"), "nope"),
        ],
    );
    assert_eq!(
        report,
        ApplyReport {
            added: 1,
            updated: 0,
            unchanged: 0,
            removed: 1
        }
    );
    assert_eq!(q.len(), 2);
    check_invariants(&q);
}

#[test]
fn random_operations_keep_everything_consistent() {
    let mut q = queue();
    let pool = testdata::items(1_500, 3);
    let mut rng = fastrand::Rng::with_seed(5);
    for round in 0..40 {
        match rng.u8(..4) {
            0 => {
                // Big batch (beyond the incremental limit): full set of one source.
                let src = ["monitoring", "psa", "backup"][rng.usize(..3)];
                let mut items = Vec::new();
                for i in pool.iter().filter(|i| &*i.key.source.0 == src) {
                    if rng.u8(..3) == 0 {
                        continue;
                    }
                    let mut i = i.clone();
                    if rng.bool() {
                        i.priority = Priority::ALL[rng.usize(..4)];
                    }
                    items.push(i);
                }
                q.apply_full(&SourceId::new(src), items);
            }
            1 => {
                let ups: Vec<Item> = (0..rng.usize(1..20))
                    .map(|_| pool[rng.usize(..pool.len())].clone())
                    .collect();
                let gone: Vec<ItemKey> = (0..rng.usize(0..10))
                    .map(|_| pool[rng.usize(..pool.len())].key.clone())
                    .collect();
                q.apply_delta(ups, &gone);
            }
            2 => {
                let mut it = pool[rng.usize(..pool.len())].clone();
                it.title = format!("changed in round {round}").into();
                it.host = if rng.bool() { None } else { it.host };
                q.upsert(it);
            }
            _ => {
                q.remove(&pool[rng.usize(..pool.len())].key);
            }
        }
        check_invariants(&q);
    }
    assert!(!q.is_empty());
}

#[test]
fn a_medium_batch_is_merged_into_the_order() {
    let mut q = queue();
    let items = testdata::items(2_000, 12);
    q.apply_delta(items.clone(), &[]);
    // More changes than are patched one by one, fewer than trigger a full sort.
    let changed: Vec<Item> = items
        .iter()
        .step_by(20)
        .map(|it| {
            let mut it = it.clone();
            it.priority = Priority::P1;
            it.created = crate::model::Moment::new(at(-7_000));
            it
        })
        .collect();
    let gone: Vec<ItemKey> = items
        .iter()
        .skip(7)
        .step_by(50)
        .map(|it| it.key.clone())
        .collect();
    let report = q.apply_delta(changed, &gone);
    assert!(report.updated + report.removed > INCREMENTAL_ORDER_LIMIT);
    assert!(report.updated + report.removed < q.len() / 4);
    check_invariants(&q);
}

#[test]
fn related_items_share_tenant_and_host() {
    let mut q = queue();
    q.upsert(item(
        "mon",
        "disk",
        "acme",
        Some("srv-db"),
        Priority::P2,
        at(0),
    ));
    q.upsert(item(
        "psa",
        "ticket",
        "acme",
        Some("srv-db"),
        Priority::P3,
        at(0),
    ));
    q.upsert(item(
        "bak",
        "backup",
        "acme",
        Some("srv-db"),
        Priority::P1,
        at(0),
    ));
    q.upsert(item(
        "mon",
        "other-host",
        "acme",
        Some("srv-fs"),
        Priority::P2,
        at(0),
    ));
    q.upsert(item(
        "mon",
        "other-tenant",
        "globex",
        Some("srv-db"),
        Priority::P2,
        at(0),
    ));
    q.upsert(item("mon", "no-host", "acme", None, Priority::P2, at(0)));
    let key = |s: &str, id: &str| ItemKey::new(&SourceId::new(s), id);
    let names = |q: &Queue, ids: Vec<u32>| -> Vec<String> {
        ids.iter()
            .map(|&id| q.entry(id).unwrap().item.key.external_id.to_string())
            .collect()
    };
    assert_eq!(
        names(&q, q.related(&key("mon", "disk"))),
        ["backup", "ticket"]
    );
    assert!(q.related(&key("mon", "no-host")).is_empty());
    assert!(q.related(&key("mon", "other-tenant")).is_empty());
    assert!(q.related(&key("mon", "missing")).is_empty());
    q.remove(&key("bak", "backup"));
    assert_eq!(names(&q, q.related(&key("mon", "disk"))), ["ticket"]);
    check_invariants(&q);
}

#[test]
fn counts_per_tenant_and_priority() {
    let mut q = queue();
    q.upsert(item("s", "1", "acme", None, Priority::P1, at(0)));
    q.upsert(item("s", "2", "acme", None, Priority::P3, at(0)));
    q.upsert(item("s", "3", "globex", None, Priority::P3, at(0)));
    assert_eq!(q.count_for_tenant(&TenantId::new("acme")), 2);
    assert_eq!(q.count_for_tenant(&TenantId::new("nobody")), 0);
    assert_eq!(q.priority_counts(), [1, 0, 2, 0]);
    q.remove(&ItemKey::new(&SourceId::new("s"), "3"));
    let counts = q.tenant_counts();
    assert_eq!(counts, vec![(TenantId::new("acme"), 2)]);
}

#[test]
fn stale_marking_per_source() {
    let mut q = queue();
    q.upsert(item("mon", "1", "t", None, Priority::P2, at(0)));
    q.upsert(item("psa", "2", "t", None, Priority::P2, at(0)));
    let mon = SourceId::new("mon");
    let since = at(-300);
    q.set_source_stale(&mon, Some(since));
    let e1 = q.get(&ItemKey::new(&mon, "1")).unwrap();
    let e2 = q.get(&ItemKey::new(&SourceId::new("psa"), "2")).unwrap();
    assert!(q.is_stale(e1));
    assert_eq!(q.stale_since(e1), Some(since));
    assert!(!q.is_stale(e2));
    q.set_source_stale(&mon, None);
    assert!(!q.is_stale(q.get(&ItemKey::new(&mon, "1")).unwrap()));
}

#[test]
fn tick_reports_level_changes_exactly_when_an_instant_is_crossed() {
    let mut q = queue();
    // P1 created now: first response due in 30 min (warnings at 15 and 24 min), resolution
    // due in 4 h (warnings at 2 h and 3 h 12 min).
    let id = q.upsert(item("m", "x", "t", None, Priority::P1, at(0))).id;
    let fr = |level_from, level_to| LevelChange {
        id,
        clock: ClockKind::FirstResponse,
        from: level_from,
        to: level_to,
    };
    assert!(q.tick(at(15 * 60 - 1)).is_empty());
    assert_eq!(
        q.tick(at(15 * 60)).changes,
        vec![fr(Level::Ok, Level::Warning(0))]
    );
    assert!(q.tick(at(15 * 60)).is_empty());
    assert!(q.tick(at(24 * 60 - 1)).is_empty());
    assert_eq!(
        q.tick(at(24 * 60 + 5)).changes,
        vec![fr(Level::Warning(0), Level::Warning(1))]
    );
    assert_eq!(
        q.tick(at(30 * 60)).changes,
        vec![fr(Level::Warning(1), Level::Breached)]
    );
    assert!(q.tick(at(2 * 3600 - 1)).is_empty());
    let report = q.tick(at(2 * 3600));
    assert_eq!(report.changes.len(), 1);
    assert_eq!(report.changes[0].clock, ClockKind::Resolution);
    assert_eq!(report.ids(), vec![id]);
}

#[test]
fn a_tick_that_jumps_reports_the_net_change_once() {
    let mut q = queue();
    let id = q.upsert(item("m", "x", "t", None, Priority::P1, at(0))).id;
    let report = q.tick(at(31 * 60));
    assert_eq!(
        report.changes,
        vec![LevelChange {
            id,
            clock: ClockKind::FirstResponse,
            from: Level::Ok,
            to: Level::Breached
        }]
    );
}

#[test]
fn tick_ignores_outdated_schedules_and_met_or_paused_clocks() {
    let mut q = queue();
    let mut it = item("m", "x", "t", None, Priority::P1, at(0));
    q.upsert(it.clone());
    // First response and resolution given: no clock runs any more.
    it.sla.first_response_at = Some(Moment::new(at(60)));
    it.sla.resolved_at = Some(Moment::new(at(120)));
    q.upsert(it.clone());
    assert!(q.tick(at(5 * 3600)).is_empty());
    let mut waiting = item("m", "w", "t", None, Priority::P1, at(5 * 3600));
    waiting.status = Status::new(StatusCategory::Waiting, "Warten auf Kunde");
    q.upsert(waiting);
    assert!(q.tick(at(20 * 3600)).is_empty());
}

#[test]
fn tick_handles_the_clock_going_back() {
    let mut q = queue();
    let id = q.upsert(item("m", "x", "t", None, Priority::P1, at(0))).id;
    q.tick(at(31 * 60));
    let back = q.tick(at(60));
    assert_eq!(
        back.changes,
        vec![LevelChange {
            id,
            clock: ClockKind::FirstResponse,
            from: Level::Breached,
            to: Level::Ok
        }]
    );
    assert_eq!(q.tick(at(15 * 60)).changes.len(), 1);
}

#[test]
fn schedule_stays_bounded_under_updates() {
    let mut q = queue();
    let mut it = item("m", "x", "t", None, Priority::P1, at(0));
    for n in 0..500 {
        it.title = format!("update {n}").into();
        q.upsert(it.clone());
    }
    assert!(q.schedule.len() <= 2 * q.len() + 64);
    assert_eq!(q.tick(at(15 * 60)).changes.len(), 1);
}

#[test]
fn set_contracts_recomputes_clocks_and_order() {
    let mut q = queue();
    q.upsert(item("m", "a", "acme", None, Priority::P3, at(0)));
    q.upsert(item("m", "b", "globex", None, Priority::P3, at(-60)));
    assert_eq!(order_keys(&q), ["b", "a"]);
    let mut fast = Contract::default();
    fast.targets[2].first_response = Some(mins(5));
    let book =
        ContractBook::default().with_tenant(TenantId::new("acme"), std::sync::Arc::new(fast));
    q.set_contracts(book);
    assert_eq!(order_keys(&q), ["a", "b"]);
    check_invariants(&q);
}

#[test]
fn generated_queue_is_consistent_and_a_resort_changes_nothing() {
    let mut q = queue();
    let mut items = testdata::items(3_000, 1);
    // Same due second, different nanoseconds and keys: ties for the coarse rank.
    for (n, it) in items.iter_mut().enumerate().take(200) {
        it.created = crate::model::Moment::new(
            at(0)
                .checked_add(SignedDuration::from_nanos(n as i64 * 7_919))
                .unwrap(),
        );
    }
    q.apply_full(&SourceId::new("monitoring"), items);
    check_invariants(&q);
    assert_eq!(q.len(), 3_000);
    let before = q.order().to_vec();
    q.resort();
    assert_eq!(q.order(), before);
    check_invariants(&q);
}

// ----- per-tenant summary -----

/// A P1 alert of `tenant` created `age_mins` ago: first response due after 30 minutes,
/// warnings at 15 and 24 (the test evaluator).
fn p1(id: &str, tenant: &str, age_mins: i64) -> Item {
    item("m", id, tenant, None, Priority::P1, at(-age_mins * 60))
}

fn with_status(mut it: Item, category: StatusCategory) -> Item {
    it.status = Status::new(category, "x");
    it
}

fn state(open: usize, worst: Option<Level>) -> TenantState {
    TenantState { open, worst }
}

#[test]
fn severity_orders_every_level_and_worse_does_not_depend_on_order() {
    let rising = [
        Level::Met,
        Level::Paused,
        Level::Ok,
        Level::Warning(0),
        Level::Warning(1),
        Level::Warning(2),
        Level::Breached,
    ];
    for pair in rising.windows(2) {
        assert!(severity(pair[0]) < severity(pair[1]), "{pair:?}");
    }
    for (i, &a) in rising.iter().enumerate() {
        for &b in &rising[i..] {
            assert_eq!(worse(a, b), b, "{a:?} {b:?}");
            assert_eq!(worse(b, a), b, "{b:?} {a:?}");
        }
    }
}

#[test]
fn tenant_summary_counts_open_items_and_picks_the_worst_level() {
    let mut q = queue();
    // acme: fine, first warning, second warning; its resolved item would be breached but
    // is neither counted nor considered.
    q.upsert(p1("a1", "acme", 0));
    q.upsert(p1("a2", "acme", 16));
    q.upsert(p1("a3", "acme", 25));
    q.upsert(with_status(p1("a4", "acme", 40), StatusCategory::Resolved));
    // globex: the breached item comes first, the fine one after it.
    q.upsert(p1("g1", "globex", 31));
    q.upsert(p1("g2", "globex", 0));
    // initech: paused (waiting for the customer) and running in time: in time is worse.
    q.upsert(with_status(
        p1("i1", "initech", 20),
        StatusCategory::Waiting,
    ));
    q.upsert(p1("i2", "initech", 1));
    // umbrella: one paused, one acknowledged in time (both open).
    q.upsert(with_status(
        p1("u1", "umbrella", 20),
        StatusCategory::Waiting,
    ));
    q.upsert(with_status(
        p1("u2", "umbrella", 0),
        StatusCategory::Acknowledged,
    ));
    // hooli: only resolved.
    q.upsert(with_status(p1("h1", "hooli", 90), StatusCategory::Resolved));

    let s = q.tenant_summary(now());
    assert_eq!(
        s.get(&TenantId::new("acme")),
        state(3, Some(Level::Warning(1)))
    );
    assert_eq!(
        s.get(&TenantId::new("globex")),
        state(2, Some(Level::Breached))
    );
    assert_eq!(s.get(&TenantId::new("initech")), state(2, Some(Level::Ok)));
    assert_eq!(s.get(&TenantId::new("umbrella")), state(2, Some(Level::Ok)));
    assert_eq!(s.get(&TenantId::new("hooli")), state(0, None));
    assert_eq!(s.get(&TenantId::new("nobody")), state(0, None));
    assert_eq!(s.len(), 4);

    // Only the paused item left at umbrella.
    q.remove(&ItemKey::new(&SourceId::new("m"), "u2"));
    let s = q.tenant_summary(now());
    assert_eq!(
        s.get(&TenantId::new("umbrella")),
        state(1, Some(Level::Paused))
    );
}

#[test]
fn tenant_summary_counts_items_without_a_clock_with_no_level() {
    let mut q = Queue::with_evaluator(ContractBook::default(), now(), |_, _| SlaClocks::default());
    q.upsert(p1("a1", "acme", 0));
    q.upsert(p1("a2", "acme", 40));
    let s = q.tenant_summary(now());
    assert_eq!(s.get(&TenantId::new("acme")), state(2, None));
}

#[test]
fn tenant_summary_follows_changes_and_ticks() {
    let mut q = queue();
    q.upsert(p1("a1", "acme", 0));
    let acme = TenantId::new("acme");
    assert_eq!(
        q.tenant_summary(now()).get(&acme),
        state(1, Some(Level::Ok))
    );
    // The first warning (15 min) arrives with the tick that crosses it.
    assert!(q.tick(at(15 * 60 - 1)).is_empty());
    assert_eq!(
        q.tenant_summary(at(15 * 60 - 1)).get(&acme),
        state(1, Some(Level::Ok))
    );
    assert!(!q.tick(at(15 * 60)).is_empty());
    assert_eq!(
        q.tenant_summary(at(15 * 60)).get(&acme),
        state(1, Some(Level::Warning(0)))
    );
    // An item arrives, changes, goes.
    q.upsert(p1("a2", "acme", 40));
    assert_eq!(
        q.tenant_summary(at(15 * 60)).get(&acme),
        state(2, Some(Level::Breached))
    );
    q.upsert(with_status(p1("a2", "acme", 40), StatusCategory::Resolved));
    assert_eq!(
        q.tenant_summary(at(15 * 60)).get(&acme),
        state(1, Some(Level::Warning(0)))
    );
    q.remove(&ItemKey::new(&SourceId::new("m"), "a1"));
    assert_eq!(q.tenant_summary(at(15 * 60)).get(&acme), state(0, None));
    assert!(q.tenant_summary(at(15 * 60)).is_empty());
    // Asked for an instant the bookkeeping has not ticked to: computed for that instant.
    q.upsert(p1("a1", "acme", 0));
    assert_eq!(
        q.tenant_summary(at(31 * 60)).get(&acme),
        state(1, Some(Level::Breached))
    );
    assert_eq!(
        q.tenant_summary(at(15 * 60)).get(&acme),
        state(1, Some(Level::Warning(0)))
    );
    // The clock going back.
    q.tick(at(31 * 60));
    assert_eq!(
        q.tenant_summary(at(31 * 60)).get(&acme),
        state(1, Some(Level::Breached))
    );
    q.tick(at(60));
    assert_eq!(
        q.tenant_summary(at(60)).get(&acme),
        state(1, Some(Level::Ok))
    );
    check_invariants(&q);
}

#[test]
fn counted_tenant_summary_agrees_with_a_fresh_pass_over_generated_data() {
    let mut q = queue();
    let mut items = testdata::items(2_000, 3);
    q.apply_full(&SourceId::new("monitoring"), items.clone());
    let mut rng = fastrand::Rng::with_seed(11);
    let mut levels_changed = 0;
    // Two days in steps of 7 minutes, with a change now and then and once back in time.
    for step in 0..=(48 * 60 / 7) {
        let t = if step == 200 {
            at(100 * 7 * 60)
        } else {
            at(step * 7 * 60)
        };
        levels_changed += usize::from(!q.tick(t).is_empty());
        if step % 3 == 0 {
            let it = &mut items[rng.usize(..2_000)];
            match rng.u8(..4) {
                0 => {
                    it.priority = Priority::ALL[rng.usize(..4)];
                    it.created = crate::model::Moment::new(t);
                }
                1 => it.status = Status::new(StatusCategory::Resolved, "gelöst"),
                2 => it.status = Status::new(StatusCategory::Waiting, "Warten auf Kunde"),
                _ => {
                    q.remove(&it.key);
                    continue;
                }
            }
            q.upsert(it.clone());
        }
        assert_eq!(q.tenant_summary(t), q.compute_tenant_summary(t), "at {t}");
    }
    assert!(
        levels_changed > 100,
        "{levels_changed} ticks changed a level"
    );
    check_invariants(&q);
}

#[test]
fn facets_stay_32_bytes_with_the_standing() {
    // The standing took the padding byte: the per-item memory figure did not move.
    assert_eq!(std::mem::size_of::<Facets>(), 32);
}
