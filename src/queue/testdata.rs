//! Deterministic synthetic items for the queue's unit tests: German tenants with umlauts,
//! alerts, tickets and backup findings with hosts, spread over two days of SLA.

use std::collections::HashMap;
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};

use crate::model::{
    Item, ItemKey, Kind, Labels, Moment, Priority, SlaFacts, SourceId, Status, StatusCategory,
    TenantId,
};

/// The fixed "now" of the generated world.
pub fn now() -> Timestamp {
    Timestamp::from_second(1_767_600_000).unwrap()
}

const NAMES: [&str; 12] = [
    "Müller",
    "Schäfer",
    "König",
    "Bauer",
    "Groß",
    "Jäger",
    "Köhler",
    "Weber",
    "Fischer",
    "Hoffmann",
    "Schröder",
    "Krüger",
];
const FORMS: [&str; 4] = [
    "{} GmbH",
    "Autohaus {} KG",
    "Steuerkanzlei {} & Partner",
    "Praxis Dr. {}",
];
const ROLES: [&str; 6] = ["db", "dc", "fs", "web", "mail", "backup"];

pub struct Tenant {
    pub id: TenantId,
    pub name: String,
    hosts: Vec<Arc<str>>,
}

pub fn tenants(count: usize) -> Vec<Tenant> {
    (0..count)
        .map(|i| {
            let base = NAMES[i % NAMES.len()];
            let name = FORMS[(i / NAMES.len()) % FORMS.len()].replace("{}", base);
            let slug = crate::queue::haystack::fold(base);
            let id = TenantId::new(&format!("{slug}-{i}"));
            let hosts = (0..4 + i % 5)
                .map(|h| Arc::from(format!("srv-{}-{:02}.kunde-{slug}.local", ROLES[h % 6], h)))
                .collect();
            Tenant { id, name, hosts }
        })
        .collect()
}

/// Display names of the generated tenants.
pub fn tenant_names(count: usize) -> HashMap<TenantId, String> {
    tenants(count).into_iter().map(|t| (t.id, t.name)).collect()
}

pub fn items(n: usize, seed: u64) -> Vec<Item> {
    let tenants = tenants(24);
    let mut rng = fastrand::Rng::with_seed(seed);
    (0..n).map(|i| item(i, &tenants, &mut rng)).collect()
}

fn item(i: usize, tenants: &[Tenant], rng: &mut fastrand::Rng) -> Item {
    let tenant = &tenants[rng.usize(..tenants.len())];
    let host = tenant.hosts[rng.usize(..tenant.hosts.len())].clone();
    let short = host.split('.').next().unwrap_or("").to_string();
    let (kind, source, title) = match rng.u8(..20) {
        0..=8 => (
            Kind::Alert,
            "monitoring",
            format!("CRITICAL disk /var {}% on {host}", 90 + rng.u8(..10)),
        ),
        9..=16 => (
            Kind::Ticket,
            "psa",
            format!(
                "Ticket #{} Drucker im {}. OG druckt nicht",
                40_000 + i,
                rng.u8(1..5)
            ),
        ),
        _ => (
            Kind::Backup,
            "backup",
            format!(
                "Backup job 'SQL-Nightly' failed on {short} (exit {})",
                rng.u8(1..9)
            ),
        ),
    };
    let priority = Priority::ALL[rng.usize(..4)];
    let created = now()
        .checked_sub(SignedDuration::from_secs(rng.i64(0..48 * 3600)))
        .unwrap();
    let (category, label) = match rng.u8(..10) {
        0..=5 => (StatusCategory::New, "firing"),
        6..=7 => (StatusCategory::Acknowledged, "in Bearbeitung"),
        8 => (StatusCategory::Waiting, "Warten auf Kunde"),
        _ => (StatusCategory::Resolved, "gelöst"),
    };
    let first_response_at = (rng.u8(..4) == 0)
        .then(|| Moment::new(created.checked_add(SignedDuration::from_mins(5)).unwrap()));
    Item {
        key: ItemKey::new(&SourceId::new(source), &format!("{source}-{i}")),
        tenant: tenant.id.clone(),
        kind,
        title: title.into(),
        host: Some(host),
        address: None,
        priority,
        status: Status::new(category, label),
        created: crate::model::Moment::new(created),
        updated: crate::model::Moment::new(created),
        assignee: None,
        labels: Labels::new(),
        link: None,
        sla: SlaFacts {
            first_response_at,
            ..SlaFacts::default()
        },
    }
}
