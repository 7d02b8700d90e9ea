//! Queue benchmarks: keystroke to filtered list (full pass and narrowed), full re-sort, the
//! per-second SLA tick, upsert of one changed item, and memory per item (printed before the
//! timed benchmarks), at 10k and 100k items.
//!
//! Headline data: the demo generator, `nightdesk::sources::demo::generate_items` (seed 42),
//! in the groups `filter/{n}` and `queue/{n}`, and the `memory (demo generator)` lines.
//!
//! Secondary data, for comparison with the figures of the performance baseline: a private
//! generator that mimics the baseline's synthetic data (240 German tenants with umlauts,
//! 45 % alerts, 40 % tickets, 15 % backups, 6 labels, haystacks of about 100 characters,
//! first-response deadlines spread over 48 h with the first hour overdue), in the groups
//! `baseline-data/...`. SkimMatcherV2 and nucleo-matcher on every candidate, the
//! comparison behind the choice of matcher, run on that data as they were first measured.

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use criterion::{BatchSize, BenchmarkId, Criterion};
use fuzzy_matcher::FuzzyMatcher;
use fuzzy_matcher::skim::SkimMatcherV2;
use jiff::{SignedDuration, Timestamp};
use nightdesk::model::{
    Item, ItemKey, Kind, Moment, Priority, SlaFacts, SourceId, Status, StatusCategory, TenantId,
};
use nightdesk::queue::{ContractBook, Filterer, Queue, Update};

const SIZES: [usize; 2] = [10_000, 100_000];
const QUERIES: [&str; 2] = ["mueller-db", "backupfail"];
const KEYS: [usize; 3] = [2, 5, 10];

fn now() -> Timestamp {
    Timestamp::from_second(1_767_600_000).expect("valid instant")
}

// ----- synthetic data -----

const SURNAMES: [&str; 40] = [
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Schäfer",
    "Koch",
    "Bauer",
    "Richter",
    "Klein",
    "Wolf",
    "Schröder",
    "Neumann",
    "Schwarz",
    "Zimmermann",
    "Braun",
    "Krüger",
    "Hofmann",
    "Hartmann",
    "Lange",
    "Schmitt",
    "Werner",
    "Schmitz",
    "Krause",
    "Meier",
    "Lehmann",
    "Schmid",
    "Schulze",
    "Maier",
    "Köhler",
    "Herrmann",
    "König",
    "Walter",
    "Mayer",
    "Huber",
];
const FORMS: [&str; 6] = [
    "{} GmbH",
    "Autohaus {} KG",
    "Steuerkanzlei {} & Partner",
    "Praxis Dr. {}",
    "{} Logistik GmbH",
    "Bäckerei {} e.K.",
];
const ROLES: [&str; 8] = ["db", "dc", "fs", "web", "mail", "app", "rds", "backup"];
const CHECKS: [&str; 6] = [
    "disk /var {}% full",
    "load average {} above threshold",
    "ping loss {}%",
    "certificate expires in {} days",
    "service MSSQLSERVER stopped ({} restarts)",
    "memory usage {}%",
];
const SUBJECTS: [&str; 8] = [
    "Drucker im 2. OG druckt nicht",
    "Outlook stürzt beim Start ab",
    "Zugänge für neue Mitarbeiterin in der Buchhaltung anlegen",
    "VPN-Verbindung bricht ständig ab",
    "Kennwort für Geschäftsführung zurücksetzen",
    "Scanner im Empfang übermittelt keine PDFs",
    "Telefonanlage: Weiterleitung außer Betrieb",
    "Laufwerk S: nicht erreichbar, Größe prüfen",
];
const JOBS: [&str; 5] = [
    "SQL-Nightly",
    "Fileserver-Daily",
    "Exchange-Weekly",
    "VM-Hourly",
    "Offsite-Sync",
];

struct Tenant {
    id: TenantId,
    domain: String,
    hosts: Vec<Arc<str>>,
}

fn tenants() -> Vec<Tenant> {
    (0..240)
        .map(|i| {
            let surname = SURNAMES[i % SURNAMES.len()];
            let name = FORMS[i / SURNAMES.len()].replace("{}", surname);
            let slug = nightdesk::queue::fold(surname);
            let id = TenantId::new(&format!(
                "{}-{}",
                nightdesk::queue::fold(&name).replace([' ', '.', '&'], ""),
                i
            ));
            let domain = format!("kunde-{slug}.local");
            let hosts = (0..4 + i % 10)
                .map(|h| Arc::from(format!("srv-{}-{:02}", ROLES[h % ROLES.len()], h + 1)))
                .collect();
            Tenant { id, domain, hosts }
        })
        .collect()
}

/// Shared label keys and values, as an interning connector would hand them out.
struct Pools {
    sources: [SourceId; 3],
    keys: Vec<Arc<str>>,
    severities: Vec<Arc<str>>,
    teams: Vec<Arc<str>>,
    jobs: Vec<Arc<str>>,
    env: Arc<str>,
    labels: Vec<Arc<str>>,
}

fn pools() -> Pools {
    let arcs = |v: &[&str]| v.iter().map(|s| Arc::from(*s)).collect::<Vec<Arc<str>>>();
    Pools {
        sources: ["monitoring", "psa", "backup"].map(SourceId::new),
        keys: arcs(&["severity", "team", "job", "instance", "alertname", "env"]),
        severities: arcs(&["critical", "warning", "info"]),
        teams: arcs(&["noc", "servicedesk", "backup", "network"]),
        jobs: arcs(&JOBS),
        env: Arc::from("prod"),
        labels: arcs(&["firing", "in Bearbeitung", "Warten auf Kunde", "gelöst"]),
    }
}

fn first_response_target(p: Priority) -> SignedDuration {
    match p {
        Priority::P1 => SignedDuration::from_mins(30),
        Priority::P2 => SignedDuration::from_hours(1),
        Priority::P3 => SignedDuration::from_hours(4),
        Priority::P4 => SignedDuration::from_hours(8),
    }
}

fn generate(n: usize, seed: u64) -> Vec<Item> {
    let tenants = tenants();
    let pools = pools();
    let mut rng = fastrand::Rng::with_seed(seed);
    (0..n)
        .map(|i| generate_one(i, &tenants, &pools, &mut rng))
        .collect()
}

fn generate_one(i: usize, tenants: &[Tenant], pools: &Pools, rng: &mut fastrand::Rng) -> Item {
    let tenant = &tenants[rng.usize(..tenants.len())];
    let host = tenant.hosts[rng.usize(..tenant.hosts.len())].clone();
    let fqdn = format!("{host}.{}", tenant.domain);
    let roll = rng.u8(..100);
    let [monitoring, psa, backup] = &pools.sources;
    let (kind, source, external_id, title) = if roll < 45 {
        let check = CHECKS[rng.usize(..CHECKS.len())].replace("{}", &rng.u8(10..99).to_string());
        let severity = if rng.bool() { "CRITICAL" } else { "WARNING" };
        (
            Kind::Alert,
            monitoring,
            format!("{:016x}", rng.u64(..)),
            format!("{severity} {check} on {fqdn}"),
        )
    } else if roll < 85 {
        let subject = SUBJECTS[rng.usize(..SUBJECTS.len())];
        (
            Kind::Ticket,
            psa,
            format!("T{}", 40_000 + i),
            format!("Ticket #{} {subject}", 40_000 + i),
        )
    } else {
        let job = JOBS[rng.usize(..JOBS.len())];
        let exit = rng.u8(1..9);
        let vms = rng.u8(2..20);
        (
            Kind::Backup,
            backup,
            format!("job-{i}"),
            format!("Backup job '{job}' failed on {host} (exit {exit}, 0 of {vms} VMs)"),
        )
    };
    let priority = match rng.u8(..100) {
        0..10 => Priority::P1,
        10..35 => Priority::P2,
        35..80 => Priority::P3,
        _ => Priority::P4,
    };
    // First-response due spread over 48 h, the first hour already overdue.
    let due = now() + SignedDuration::from_secs(rng.i64(-3600..47 * 3600));
    let created = due - first_response_target(priority);
    let (category, label) = match rng.u8(..10) {
        0..6 => (StatusCategory::New, 0),
        6..8 => (StatusCategory::Acknowledged, 1),
        8 => (StatusCategory::Waiting, 2),
        _ => (StatusCategory::Resolved, 3),
    };
    let k = &pools.keys;
    let labels = [
        (k[0].clone(), pools.severities[rng.usize(..3)].clone()),
        (k[1].clone(), pools.teams[rng.usize(..4)].clone()),
        (k[2].clone(), pools.jobs[rng.usize(..JOBS.len())].clone()),
        (k[3].clone(), host.clone()),
        (k[4].clone(), pools.severities[0].clone()),
        (k[5].clone(), pools.env.clone()),
    ];
    Item {
        key: ItemKey::new(source, &external_id),
        tenant: tenant.id.clone(),
        kind,
        title: title.into(),
        host: Some(host),
        address: Some(Arc::from(fqdn)),
        priority,
        status: Status {
            category,
            label: pools.labels[label].clone(),
        },
        created: nightdesk::model::Moment::new(created),
        updated: nightdesk::model::Moment::new(created + SignedDuration::from_mins(5)),
        assignee: None,
        labels: labels.into_iter().collect(),
        link: None,
        sla: SlaFacts {
            status_since: Some(Moment::new(created)),
            ..SlaFacts::default()
        },
    }
}

/// Which generator made the items.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Data {
    /// `nightdesk::sources::demo::generate_items`: the headline figures.
    Demo,
    /// The private generator above, like the performance baseline's data.
    Baseline,
}

impl Data {
    fn name(self) -> &'static str {
        match self {
            Data::Demo => "demo",
            Data::Baseline => "baseline",
        }
    }

    fn parse(name: &str) -> Self {
        if name == "demo" {
            Data::Demo
        } else {
            Data::Baseline
        }
    }

    /// Prefix of the benchmark group names.
    fn prefix(self) -> &'static str {
        match self {
            Data::Demo => "",
            Data::Baseline => "baseline-data/",
        }
    }

    fn items(self, n: usize) -> Vec<Item> {
        match self {
            Data::Demo => nightdesk::sources::demo::generate_items(n, 42, now()),
            Data::Baseline => generate(n, 42),
        }
    }
}

fn build_queue(n: usize, data: Data) -> Queue {
    let mut queue = Queue::new(ContractBook::default(), now());
    queue.apply_delta(data.items(n), &[]);
    queue
}

// ----- memory -----

fn rss_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

/// Resident-set growth per item while `n` items are generated and indexed (run first, in a
/// fresh process).
fn memory_report(data: Data, n: usize) {
    let generator = data.name();
    // The generator's own tables (names, words, hosts: built once, on first use) are not
    // memory of the items: a first small batch builds them before the measure starts, and
    // stays alive so that its pages are not handed to the measured items.
    let warm_up = data.items(10);
    let before = rss_bytes();
    let items = data.items(n);
    let items_only = rss_bytes().saturating_sub(before) as f64 / n as f64;
    let mut queue = Queue::new(ContractBook::default(), now());
    queue.apply_delta(items, &[]);
    let after = rss_bytes();
    let per_item = (after.saturating_sub(before)) as f64 / n as f64;
    let hay = queue.haystack_bytes() as f64 / n as f64;
    let hay_chars: usize = queue
        .order()
        .iter()
        .map(|&id| queue.haystack(id).len())
        .sum();
    println!(
        "memory ({generator} generator): {n} items, RSS growth {:.1} MB = {per_item:.0} bytes/item all-in \
         (the generated items alone, before indexing: {items_only:.0} bytes/item; \
         search text {hay:.0} bytes/item, average haystack {:.0} chars; \
         size_of Entry {} bytes, Item {} bytes)",
        (after - before) as f64 / 1e6,
        hay_chars as f64 / n as f64,
        std::mem::size_of::<nightdesk::queue::Entry>(),
        std::mem::size_of::<Item>(),
    );
    black_box(queue);
    black_box(warm_up);
}

// ----- filtering -----

/// Apply a filter update, running any job to completion on this thread.
fn settle(f: &mut Filterer, update: Update, q: &Queue) {
    if let Update::Pending(job) = update {
        let ids = job.run(&AtomicBool::new(false)).expect("not cancelled");
        let next = f.apply(job.generation(), ids, q, now());
        settle(f, next, q);
    }
}

fn typed(q: &Queue, text: &str) -> Filterer {
    let mut f = Filterer::new();
    for n in 1..=text.chars().count() {
        let prefix: String = text.chars().take(n).collect();
        let update = f.set_query(&prefix, q, now());
        settle(&mut f, update, q);
    }
    f
}

fn bench_filter(c: &mut Criterion, q: &Queue, n: usize, data: Data) {
    for query in QUERIES {
        let counts: Vec<String> = KEYS
            .iter()
            .map(|&k| format!("k={k} {}", typed(q, &query[..k]).ids(q).len()))
            .collect();
        println!(
            "matches ({} generator) {n} {query}: {}",
            data.name(),
            counts.join(", ")
        );
    }
    let mut group = c.benchmark_group(format!("{}filter/{n}", data.prefix()));
    group.sample_size(if n > 10_000 { 20 } else { 50 });
    for query in QUERIES {
        for k in KEYS {
            let text = &query[..k];
            let prev = &query[..k - 1];
            group.bench_function(BenchmarkId::new(format!("{query}/full"), k), |b| {
                b.iter_batched(
                    Filterer::new,
                    |mut f| {
                        let update = f.set_query(text, q, now());
                        settle(&mut f, update, q);
                        f
                    },
                    BatchSize::SmallInput,
                )
            });
            let primed = typed(q, prev);
            group.bench_function(BenchmarkId::new(format!("{query}/narrowed"), k), |b| {
                b.iter_batched(
                    || primed.clone(),
                    |mut f| {
                        let update = f.set_query(text, q, now());
                        settle(&mut f, update, q);
                        f
                    },
                    BatchSize::SmallInput,
                )
            });
            group.bench_function(
                BenchmarkId::new(format!("{query}/ui-thread-part"), k),
                |b| {
                    b.iter_batched(
                        || primed.clone(),
                        |mut f| {
                            let update = f.set_query(text, q, now());
                            (f, update)
                        },
                        BatchSize::SmallInput,
                    )
                },
            );
        }
        group.bench_function(
            BenchmarkId::new(format!("{query}/typing-10-keys"), 10),
            |b| b.iter(|| typed(q, query)),
        );
    }
    group.finish();
}

/// SkimMatcherV2 called on every candidate's haystack: the cost the fast path avoids.
fn bench_skim(c: &mut Criterion, q: &Queue, n: usize) {
    let skim = SkimMatcherV2::default();
    let mut group = c.benchmark_group(format!("{}skim-v2/{n}", Data::Baseline.prefix()));
    group.sample_size(if n > 10_000 { 10 } else { 30 });
    for query in QUERIES {
        for k in KEYS {
            let text = &query[..k];
            let all: Vec<u32> = q.order().to_vec();
            let narrowed: Vec<u32> = typed(q, &query[..k - 1]).ids(q).to_vec();
            for (mode, candidates) in [("full", &all), ("narrowed", &narrowed)] {
                group.bench_function(BenchmarkId::new(format!("{query}/{mode}"), k), |b| {
                    b.iter(|| {
                        candidates
                            .iter()
                            .copied()
                            .filter(|&id| skim.fuzzy_match(q.haystack(id), text).is_some())
                            .collect::<Vec<u32>>()
                    })
                });
            }
        }
    }
    group.finish();
}

/// nucleo-matcher on every candidate, haystacks converted to `Utf32String` once (as nucleo
/// stores them): the alternative matcher, measured the same way as skim.
fn bench_nucleo(c: &mut Criterion, q: &Queue, n: usize) {
    use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
    use nucleo_matcher::{Config, Matcher, Utf32String};
    let slots = q
        .order()
        .iter()
        .copied()
        .max()
        .map_or(0, |m| m as usize + 1);
    let mut haystacks = vec![Utf32String::default(); slots];
    for &id in q.order() {
        haystacks[id as usize] = Utf32String::from(q.haystack(id));
    }
    let mut matcher = Matcher::new(Config::DEFAULT);
    let mut group = c.benchmark_group(format!("{}nucleo-matcher/{n}", Data::Baseline.prefix()));
    group.sample_size(if n > 10_000 { 10 } else { 30 });
    for query in QUERIES {
        for k in KEYS {
            let pattern = Pattern::parse(&query[..k], CaseMatching::Smart, Normalization::Smart);
            let all: Vec<u32> = q.order().to_vec();
            let narrowed: Vec<u32> = typed(q, &query[..k - 1]).ids(q).to_vec();
            let ours = typed(q, &query[..k]).ids(q).len();
            let theirs = all
                .iter()
                .filter(|&&id| {
                    let hay = haystacks[id as usize].slice(..);
                    pattern.score(hay, &mut matcher).is_some()
                })
                .count();
            println!(
                "matches {n} {}: queue filter {ours}, nucleo-matcher {theirs}",
                &query[..k]
            );
            for (mode, candidates) in [("full", &all), ("narrowed", &narrowed)] {
                group.bench_function(BenchmarkId::new(format!("{query}/{mode}"), k), |b| {
                    b.iter(|| {
                        candidates
                            .iter()
                            .copied()
                            .filter(|&id| {
                                let hay = haystacks[id as usize].slice(..);
                                pattern.score(hay, &mut matcher).is_some()
                            })
                            .collect::<Vec<u32>>()
                    })
                });
            }
        }
    }
    group.finish();
}

// ----- order, tick, upsert -----

fn bench_bookkeeping(c: &mut Criterion, q: &mut Queue, n: usize, data: Data) {
    let mut group = c.benchmark_group(format!("{}queue/{n}", data.prefix()));
    group.sample_size(if n > 10_000 { 20 } else { 50 });
    group.bench_function("full-resort", |b| b.iter(|| q.resort()));

    // One tick per simulated second; after an hour of simulated time the clock is set back
    // (untimed) and the hour starts over.
    let mut t = now();
    q.tick(t);
    group.bench_function("tick-per-second", |b| {
        b.iter_custom(|iters| {
            let mut spent = Duration::ZERO;
            for _ in 0..iters {
                t += SignedDuration::from_secs(1);
                if t > now() + SignedDuration::from_hours(1) {
                    t = now();
                    q.tick(t);
                    t += SignedDuration::from_secs(1);
                }
                let start = Instant::now();
                black_box(q.tick(t));
                spent += start.elapsed();
            }
            spent
        })
    });
    q.tick(now());

    let id = q.order()[q.len() / 2];
    let original = q.entry(id).expect("live").item.clone();
    let mut variants = [original.clone(), original];
    variants[1].title = format!("{} (updated)", variants[1].title).into();
    variants[1].priority = Priority::P1;
    let mut flip = 0;
    group.bench_function("upsert-one-changed-item", |b| {
        b.iter(|| {
            flip ^= 1;
            q.upsert(variants[flip].clone())
        })
    });
    group.finish();
}

/// Set in the child process that measures one generator's memory in a fresh process:
/// `<generator>:<items>`.
const MEMORY_CHILD: &str = "NIGHTDESK_BENCH_MEMORY";

fn main() {
    if let Ok(spec) = std::env::var(MEMORY_CHILD) {
        let (generator, n) = spec.split_once(':').expect("generator:items");
        memory_report(Data::parse(generator), n.parse().expect("item count"));
        return;
    }
    // Each figure in a process of its own: freed memory would flatter the next one.
    for n in SIZES {
        for data in [Data::Demo, Data::Baseline] {
            let out = std::process::Command::new(std::env::current_exe().expect("bench binary"))
                .env(MEMORY_CHILD, format!("{}:{n}", data.name()))
                .output()
                .expect("memory child");
            print!("{}", String::from_utf8_lossy(&out.stdout));
        }
    }
    let mut c = Criterion::default().configure_from_args();
    // Headline figures: the demo generator.
    for n in SIZES {
        let mut q = build_queue(n, Data::Demo);
        bench_filter(&mut c, &q, n, Data::Demo);
        bench_bookkeeping(&mut c, &mut q, n, Data::Demo);
    }
    // For comparison with the baseline's figures, and the matchers compared.
    for n in SIZES {
        let mut q = build_queue(n, Data::Baseline);
        bench_filter(&mut c, &q, n, Data::Baseline);
        bench_skim(&mut c, &q, n);
        bench_nucleo(&mut c, &q, n);
        bench_bookkeeping(&mut c, &mut q, n, Data::Baseline);
    }
    c.final_summary();
}
