//! Tests of the filter: every term, negation, errors, order, narrowing against a full pass,
//! jobs, cancellation, queue changes and time.

use std::collections::HashMap;
use std::sync::atomic::AtomicBool;

use fuzzy_matcher::FuzzyMatcher;
use fuzzy_matcher::skim::SkimMatcherV2;
use jiff::{SignedDuration, Timestamp};

use super::*;
use crate::model::{
    Item, ItemKey, Kind, Labels, Moment, Priority, SlaFacts, SourceId, Status, StatusCategory,
};
use crate::queue::haystack::haystack_of;
use crate::queue::testdata::{self, now};
use crate::queue::{ContractBook, Queue};

fn at(offset_secs: i64) -> Timestamp {
    now()
        .checked_add(SignedDuration::from_secs(offset_secs))
        .unwrap()
}

/// Reference: every term evaluated from the item itself, fuzzy words by SkimMatcherV2.
fn reference(q: &Queue, text: &str, names: &HashMap<TenantId, String>, now: Timestamp) -> Vec<u32> {
    let query = parse(text).unwrap();
    let skim = SkimMatcherV2::default();
    q.order()
        .iter()
        .copied()
        .filter(|&id| {
            let entry = q.entry(id).unwrap();
            let hay = haystack_of(&entry.item);
            query
                .terms
                .iter()
                .all(|t| naive_term(&t.test, entry, names, now) != t.negated)
                && query
                    .words
                    .iter()
                    .all(|w| skim.fuzzy_match(&hay, w).is_some())
                && query.phrases.iter().all(|p| hay.contains(&**p))
        })
        .collect()
}

fn naive_term(
    test: &Test,
    entry: &crate::queue::Entry,
    names: &HashMap<TenantId, String>,
    now: Timestamp,
) -> bool {
    let item = &entry.item;
    match test {
        Test::Tenant(v) => {
            fold(item.tenant.as_str()).contains(&**v)
                || names
                    .get(&item.tenant)
                    .is_some_and(|n| fold(n).contains(&**v))
        }
        Test::Priority(set) => set.contains(item.priority),
        Test::Kind(set) => set.contains(item.kind),
        Test::Host(v) => item.host.as_deref().is_some_and(|h| fold(h).contains(&**v)),
        Test::Assignee(v) => item
            .assignee
            .as_deref()
            .is_some_and(|a| fold(a).contains(&**v)),
        Test::Status(s) => {
            s.category == Some(item.status.category) || fold(&item.status.label).contains(&*s.label)
        }
        Test::Sla(b) => {
            let running = entry
                .clocks
                .clocks
                .iter()
                .filter(|c| c.met_at().is_none() && c.paused_since().is_none())
                .min_by_key(|c| c.due());
            running.is_some_and(|c| {
                let left = c.remaining(now);
                if b.below {
                    left < b.limit
                } else {
                    left > b.limit
                }
            })
        }
    }
}

/// Resolve an update the way the UI would, running jobs right here.
fn drive(f: &mut Filterer, update: Update, q: &Queue, now: Timestamp) {
    match update {
        Update::Ready => {}
        Update::Pending(job) => {
            let ids = job.run(&AtomicBool::new(false)).expect("not cancelled");
            let next = f.apply(job.generation(), ids, q, now);
            drive(f, next, q, now);
        }
        other => panic!("unexpected {other:?}"),
    }
}

fn type_query(f: &mut Filterer, text: &str, q: &Queue, now: Timestamp) {
    let update = f.set_query(text, q, now);
    drive(f, update, q, now);
}

fn generated(n: usize, seed: u64) -> (Queue, HashMap<TenantId, String>) {
    let mut q = Queue::new(ContractBook::default(), now());
    q.apply_delta(testdata::items(n, seed), &[]);
    (q, testdata::tenant_names(24))
}

fn filterer(names: &HashMap<TenantId, String>) -> Filterer {
    let mut f = Filterer::new();
    f.set_tenant_names(names.iter().map(|(k, v)| (k, v.as_str())));
    f
}

// ----- a small hand-made queue for the terms -----

fn item(
    id: &str,
    tenant: &str,
    kind: Kind,
    host: Option<&str>,
    priority: Priority,
    status: (StatusCategory, &str),
    created: Timestamp,
) -> Item {
    Item {
        key: ItemKey::new(&SourceId::new("s"), id),
        tenant: TenantId::new(tenant),
        kind,
        title: format!("{id} title").into(),
        host: host.map(Into::into),
        address: None,
        priority,
        status: Status::new(status.0, status.1),
        created: crate::model::Moment::new(created),
        updated: crate::model::Moment::new(created),
        assignee: None,
        labels: Labels::new(),
        link: None,
        sla: SlaFacts::default(),
    }
}

fn small() -> (Queue, HashMap<TenantId, String>) {
    use StatusCategory::*;
    let mut q = Queue::new(ContractBook::default(), now());
    let mut done = item(
        "done",
        "kunde-7",
        Kind::Ticket,
        Some("srv-fs-01"),
        Priority::P2,
        (Resolved, "gelöst"),
        at(-7200),
    );
    done.sla.first_response_at = Some(Moment::new(at(-7000)));
    done.assignee = Some("Jörg Weber".into());
    done.sla.resolved_at = Some(Moment::new(at(-3600)));
    done.title = "disk full on fileserver".into();
    q.apply_delta(
        vec![
            // P1, first response due 30 min after creation.
            item(
                "breached",
                "acme",
                Kind::Alert,
                Some("srv-db-01"),
                Priority::P1,
                (New, "firing"),
                at(-40 * 60),
            ),
            Item {
                assignee: Some("anna".into()),
                ..item(
                    "fresh",
                    "acme",
                    Kind::Alert,
                    Some("srv-web-02"),
                    Priority::P1,
                    (Acknowledged, "in Bearbeitung"),
                    at(0),
                )
            },
            // P3, waiting for the customer: its clocks are paused.
            item(
                "calm",
                "kunde-7",
                Kind::Backup,
                Some("srv-db-09"),
                Priority::P3,
                (Waiting, "Warten auf Kunde"),
                at(0),
            ),
            item(
                "nohost",
                "globex",
                Kind::Ticket,
                None,
                Priority::P4,
                (New, "neu"),
                at(0),
            ),
            done,
        ],
        &[],
    );
    let names = HashMap::from([(TenantId::new("kunde-7"), "Müller GmbH".to_string())]);
    (q, names)
}

fn shown(f: &Filterer, q: &Queue) -> Vec<String> {
    let mut v: Vec<String> = f
        .ids(q)
        .iter()
        .map(|&id| q.entry(id).unwrap().item.key.external_id.to_string())
        .collect();
    v.sort();
    v
}

#[test]
fn every_term_and_its_negation() {
    let (q, names) = small();
    let cases: &[(&str, &[&str])] = &[
        ("t:acme", &["breached", "fresh"]),
        ("t:Müller", &["calm", "done"]),
        ("t:mueller", &["calm", "done"]),
        ("t:KUNDE", &["calm", "done"]),
        ("p:1", &["breached", "fresh"]),
        ("p:1,4", &["breached", "fresh", "nohost"]),
        ("p<=2", &["breached", "done", "fresh"]),
        ("p>3", &["nohost"]),
        ("k:alert", &["breached", "fresh"]),
        ("k:b", &["calm"]),
        ("h:db", &["breached", "calm"]),
        ("h:SRV-WEB", &["fresh"]),
        ("s:waiting", &["calm"]),
        ("s:warten", &["calm"]),
        ("s:new", &["breached", "nohost"]),
        ("s:bearb", &["fresh"]),
        ("sla<30m", &["breached"]),
        ("sla<31m", &["breached", "fresh"]),
        // "calm" waits for the customer: its clock is paused, so no sla term matches it.
        ("sla>2h", &["nohost"]),
        ("sla>5h", &["nohost"]),
        ("sla>9h", &[]),
        ("\"disk full\"", &["done"]),
        ("dsk", &["done"]),
        ("fresh title", &["fresh"]),
        ("t:acme -h:db", &["fresh"]),
        ("a:anna", &["fresh"]),
        ("a:joerg", &["done"]),
        ("a:WEBER", &["done"]),
        ("-a:anna", &["breached", "calm", "done", "nohost"]),
        ("-t:acme", &["calm", "done", "nohost"]),
        ("-p:1", &["calm", "done", "nohost"]),
        ("-p<=2", &["calm", "nohost"]),
        ("-k:alert", &["calm", "done", "nohost"]),
        ("-h:db", &["done", "fresh", "nohost"]),
        ("-s:new", &["calm", "done", "fresh"]),
        ("-sla<30m", &["calm", "done", "fresh", "nohost"]),
        ("-sla>2h", &["breached", "calm", "done", "fresh"]),
    ];
    for (text, expected) in cases {
        let mut f = filterer(&names);
        type_query(&mut f, text, &q, now());
        assert_eq!(shown(&f, &q), *expected, "query {text}");
        let mut want: Vec<String> = reference(&q, text, &names, now())
            .iter()
            .map(|&id| q.entry(id).unwrap().item.key.external_id.to_string())
            .collect();
        want.sort();
        assert_eq!(shown(&f, &q), want, "reference for {text}");
    }
}

#[test]
fn empty_query_shows_everything_in_order() {
    let (q, _) = small();
    let mut f = Filterer::new();
    type_query(&mut f, "t:acme", &q, now());
    assert!(f.is_filtered());
    type_query(&mut f, "  ", &q, now());
    assert!(!f.is_filtered());
    assert_eq!(f.ids(&q), q.order());
}

#[test]
fn errors_keep_the_last_good_result() {
    let (q, names) = small();
    let mut f = filterer(&names);
    type_query(&mut f, "p:1", &q, now());
    let before = f.ids(&q).to_vec();
    for bad in ["p:9", "sla<xyz", "k:zebra"] {
        match f.set_query(bad, &q, now()) {
            Update::Invalid(e) => assert_eq!(e.term, bad),
            other => panic!("{bad}: {other:?}"),
        }
        assert_eq!(f.ids(&q), before);
    }
}

#[test]
fn results_keep_the_sla_order() {
    let (q, names) = generated(2_000, 9);
    let mut f = filterer(&names);
    type_query(&mut f, "srv db", &q, now());
    let ids = f.ids(&q);
    assert!(ids.len() > 50);
    for w in ids.windows(2) {
        assert!(q.position_of(w[0]) < q.position_of(w[1]));
    }
    for (pos, &id) in ids.iter().enumerate() {
        assert_eq!(f.position_of(&q, id), Some(pos));
    }
}

const QUERIES: [&str; 8] = [
    "mueller-db",
    "backupfail",
    "t:koe srv",
    "p<=2 disk var",
    "k:a muel 9",
    "-k:t fs0 local",
    "\"sql-nightly\" fail",
    "sla<20h kunde-bauer",
];

/// Typing, backspacing and retyping with narrowing and the cache gives exactly the result
/// of a full pass, for every prefix.
#[test]
fn narrowing_gives_the_same_result_as_a_full_pass() {
    let (q, names) = generated(3_000, 4);
    let mut expected: HashMap<String, Vec<u32>> = HashMap::new();
    for inline_limit in [0, 200, usize::MAX] {
        let mut f = filterer(&names);
        f.set_inline_limit(inline_limit);
        for query in QUERIES {
            let chars: Vec<char> = query.chars().collect();
            let prefixes: Vec<String> = (0..=chars.len())
                .map(|n| chars[..n].iter().collect())
                .collect();
            let backspaced = prefixes.iter().rev().skip(1);
            let retyped = prefixes.iter().skip(prefixes.len() / 2);
            for text in prefixes.iter().chain(backspaced).chain(retyped) {
                let update = f.set_query(text, &q, now());
                drive(&mut f, update, &q, now());
                let want = expected
                    .entry(text.clone())
                    .or_insert_with(|| reference(&q, text, &names, now()));
                assert_eq!(
                    f.ids(&q),
                    want.as_slice(),
                    "{text:?} (limit {inline_limit})"
                );
            }
        }
    }
}

#[test]
fn backspace_is_a_cache_hit() {
    let (q, names) = generated(3_000, 4);
    let mut f = filterer(&names);
    f.set_inline_limit(0);
    for n in 1..=10 {
        type_query(&mut f, &"mueller-db"[..n], &q, now());
    }
    for n in (1..10).rev() {
        let update = f.set_query(&"mueller-db"[..n], &q, now());
        assert!(matches!(update, Update::Ready), "{n}: {update:?}");
    }
}

#[test]
fn narrowed_jobs_only_test_previous_matches() {
    let (q, names) = generated(3_000, 4);
    let mut f = filterer(&names);
    f.set_inline_limit(0);
    type_query(&mut f, "mu", &q, now());
    let previous = f.ids(&q).len();
    let Update::Pending(job) = f.set_query("mue", &q, now()) else {
        panic!("expected a job");
    };
    assert_eq!(job.candidates(), previous);
    assert!(previous < q.len());
}

#[test]
fn a_newer_query_makes_older_jobs_stale() {
    let (q, names) = generated(1_000, 2);
    let mut f = filterer(&names);
    f.set_inline_limit(0);
    let Update::Pending(old) = f.set_query("srv", &q, now()) else {
        panic!()
    };
    let Update::Pending(new) = f.set_query("srv d", &q, now()) else {
        panic!()
    };
    assert!(f.is_pending());
    let never = AtomicBool::new(false);
    let stale = f.apply(old.generation(), old.run(&never).unwrap(), &q, now());
    assert!(matches!(stale, Update::Stale));
    let fresh = f.apply(new.generation(), new.run(&never).unwrap(), &q, now());
    assert!(matches!(fresh, Update::Ready));
    assert!(!f.is_pending());
    assert_eq!(f.ids(&q), reference(&q, "srv d", &names, now()));
}

#[test]
fn a_cancelled_job_gives_nothing_and_parallel_runs_agree() {
    let (q, names) = generated(12_000, 2);
    let mut f = filterer(&names);
    f.set_inline_limit(0);
    let Update::Pending(job) = f.set_query("mueller", &q, now()) else {
        panic!()
    };
    assert_eq!(job.run(&AtomicBool::new(true)), None);
    assert_eq!(job.run_parallel(&AtomicBool::new(true), 2), None);
    let single = job.run(&AtomicBool::new(false)).unwrap();
    assert_eq!(
        job.run_parallel(&AtomicBool::new(false), 3),
        Some(single.clone())
    );
    assert_eq!(single, reference(&q, "mueller", &names, now()));
}

fn job_is_send_static<T: Send + 'static>(_: &T) {}

#[test]
fn jobs_can_move_to_another_thread() {
    let (q, names) = generated(1_000, 2);
    let mut f = filterer(&names);
    f.set_inline_limit(0);
    let Update::Pending(job) = f.set_query("db", &q, now()) else {
        panic!()
    };
    job_is_send_static(&job);
    let (generation, ids) =
        std::thread::spawn(move || (job.generation(), job.run(&AtomicBool::new(false))))
            .join()
            .unwrap();
    assert!(matches!(
        f.apply(generation, ids.unwrap(), &q, now()),
        Update::Ready
    ));
    assert_eq!(f.ids(&q), reference(&q, "db", &names, now()));
}

/// Change some items so they start or stop matching, remove some, add some.
fn churn(q: &mut Queue, seed: u64, count: usize) {
    let mut rng = fastrand::Rng::with_seed(seed);
    let ids: Vec<u32> = q.order().to_vec();
    let mut ups = Vec::new();
    let mut gone = Vec::new();
    for _ in 0..count {
        let id = ids[rng.usize(..ids.len())];
        let mut it = q.entry(id).unwrap().item.clone();
        match rng.u8(..3) {
            0 => gone.push(it.key.clone()),
            1 => {
                it.title = format!("srv db moved {}", rng.u32(..1000)).into();
                ups.push(it);
            }
            _ => {
                it.title = "nothing to see".into();
                it.priority = Priority::ALL[rng.usize(..4)];
                ups.push(it);
            }
        }
    }
    let mut fresh = testdata::items(count / 3 + 1, seed + 100);
    for (n, it) in fresh.iter_mut().enumerate() {
        it.key = ItemKey::new(&SourceId::new("new"), &format!("n{seed}-{n}"));
    }
    ups.extend(fresh);
    gone.retain(|k| !ups.iter().any(|u| &u.key == k));
    q.apply_delta(ups, &gone);
}

#[test]
fn queue_changes_are_synced_incrementally_or_by_a_job() {
    for (count, inline_limit) in [(40, 16_384), (400, 100)] {
        let (mut q, names) = generated(3_000, 6);
        let mut f = filterer(&names);
        f.set_inline_limit(inline_limit);
        for text in ["srv db", "p<=2 srv", "srv"] {
            type_query(&mut f, text, &q, now());
        }
        churn(&mut q, count as u64, count);
        let update = f.refresh(&q, now());
        // While a job runs, only entries known to be unchanged are shown.
        let want = reference(&q, "srv", &names, now());
        assert!(f.ids(&q).iter().all(|id| want.contains(id)));
        drive(&mut f, update, &q, now());
        assert_eq!(f.ids(&q), want, "{count} changes");
        // Older cached results are brought up to date when used again.
        type_query(&mut f, "srv db", &q, now());
        assert_eq!(f.ids(&q), reference(&q, "srv db", &names, now()));
        type_query(&mut f, "p<=2 srv", &q, now());
        assert_eq!(f.ids(&q), reference(&q, "p<=2 srv", &names, now()));
    }
}

#[test]
fn a_job_result_is_synced_with_changes_made_while_it_ran() {
    let (mut q, names) = generated(3_000, 8);
    let mut f = filterer(&names);
    f.set_inline_limit(500);
    let Update::Pending(job) = f.set_query("srv db", &q, now()) else {
        panic!()
    };
    churn(&mut q, 3, 60);
    let ids = job.run(&AtomicBool::new(false)).unwrap();
    let update = f.apply(job.generation(), ids, &q, now());
    drive(&mut f, update, &q, now());
    assert_eq!(f.ids(&q), reference(&q, "srv db", &names, now()));
}

#[test]
fn time_terms_follow_the_clock() {
    let (q, names) = generated(2_000, 5);
    let mut f = filterer(&names);
    type_query(&mut f, "sla<30m srv", &q, now());
    let early = f.ids(&q).len();
    assert_eq!(f.ids(&q), reference(&q, "sla<30m srv", &names, now()));
    let later = at(3 * 3600);
    assert!(matches!(f.refresh(&q, later), Update::Ready));
    assert_eq!(f.ids(&q), reference(&q, "sla<30m srv", &names, later));
    assert!(f.ids(&q).len() > early);
    type_query(&mut f, "sla>1h", &q, later);
    assert_eq!(f.ids(&q), reference(&q, "sla>1h", &names, later));
}

#[test]
fn tenant_names_decide_t_terms() {
    let (q, names) = small();
    let mut f = Filterer::new();
    type_query(&mut f, "t:müller", &q, now());
    assert!(f.ids(&q).is_empty());
    f.set_tenant_names(names.iter().map(|(k, v)| (k, v.as_str())));
    type_query(&mut f, "t:müller", &q, now());
    assert_eq!(shown(&f, &q), ["calm", "done"]);
}
