//! Bulk items for benchmarks: any number of tickets, alerts and backup findings over ~240
//! generated tenants (`<Surname> <Branch> GmbH`), in the demo world's vocabulary. Mix 40 %
//! tickets, 45 % alerts, 15 % backup findings; titles of at most 120 characters; 6 labels;
//! SLA facts spread over 48 hours. Tenant, host, label and status strings are shared
//! (`Arc<str>`), so 100k items cost little more than their titles.

use std::sync::Arc;

use fastrand::Rng;
use jiff::{SignedDuration, Timestamp};

use super::dice::{self, chance, instant_between, span};
use super::lifecycle::{self, AckKind};
use super::make::{self, FindingDraft, Host, Place, TicketDraft, Words};
use super::names::{self, AGENTS, BRANCHES, BULK_HOSTS, CONTACTS, Role, SURNAMES};
use super::vocab::{self, ALERT_RULES, AlertRule, BackupJob, Finding, SUBJECTS, Subject, status};
use crate::model::{Item, Kind, Label, Moment, Priority, SourceId, TenantId};

/// How many tenants the bulk world has.
pub const BULK_TENANTS: usize = 240;

/// Longest title the bulk generator makes (characters).
pub const MAX_TITLE: usize = 120;

/// Priority weights of bulk items.
const PRIORITY_MIX: [u32; 4] = [5, 20, 50, 25];

/// Tenant ids and company names of the generated tenants (the same for every seed).
pub fn bulk_tenants() -> Vec<(TenantId, String)> {
    (0..BULK_TENANTS)
        .map(|k| {
            let (surname, branch) = tenant_name_parts(k);
            (
                TenantId::new(&tenant_slug(surname, branch)),
                format!("{surname} {branch} GmbH"),
            )
        })
        .collect()
}

/// Surname and branch of the `k`-th tenant; distinct for every `k` below 4 × 60.
fn tenant_name_parts(k: usize) -> (&'static str, &'static str) {
    let (a, b) = (k % SURNAMES.len(), k / SURNAMES.len());
    (SURNAMES[a], BRANCHES[(a + 13 * b) % BRANCHES.len()])
}

fn tenant_slug(surname: &str, branch: &str) -> String {
    format!("{}-{}", names::slug(surname), names::slug(branch))
}

struct BulkTenant {
    id: TenantId,
    monitoring: SourceId,
    hosts: Vec<Host>,
    jobs: Vec<(usize, &'static BackupJob)>,
}

impl BulkTenant {
    fn place<'a>(&'a self, source: &'a SourceId, host: Option<usize>) -> Place<'a> {
        Place {
            source,
            tenant: &self.id,
            host: host.map(|h| &self.hosts[h]),
        }
    }
}

fn build_tenant(rng: &mut Rng, k: usize) -> BulkTenant {
    let (surname, branch) = tenant_name_parts(k);
    let id = tenant_slug(surname, branch);
    let domain = format!("kunde-{}.local", names::slug(surname));
    let network = format!("10.{}.{}", 100 + k / 250, k % 250);
    let count = rng.usize(4..=BULK_HOSTS.len());
    let hosts: Vec<Host> = BULK_HOSTS[..count]
        .iter()
        .enumerate()
        .map(|(i, def)| Host::new(def, &domain, &network, i))
        .collect();
    let jobs = hosts
        .iter()
        .enumerate()
        .flat_map(|(i, h)| {
            vocab::BACKUP_JOBS
                .iter()
                .filter(move |j| j.role == h.role)
                .map(move |j| (i, j))
        })
        .collect();
    BulkTenant {
        monitoring: SourceId::new(&format!("mon-{id}")),
        id: TenantId::new(&id),
        hosts,
        jobs,
    }
}

/// Vocabulary indexed for fast drawing.
struct Tables {
    subjects_by_priority: [Vec<&'static Subject>; 4],
    /// Cumulative alert-rule weights per host role.
    rules_by_role: Vec<(Role, Vec<&'static AlertRule>)>,
}

impl Tables {
    fn new() -> Self {
        let subjects_by_priority =
            Priority::ALL.map(|p| SUBJECTS.iter().filter(|s| s.priority == p).collect());
        let roles = BULK_HOSTS.iter().map(|h| h.role);
        let mut rules_by_role: Vec<(Role, Vec<&'static AlertRule>)> = Vec::new();
        for role in roles {
            if rules_by_role.iter().all(|(r, _)| *r != role) {
                let rules = ALERT_RULES.iter().filter(|r| r.applies_to(role)).collect();
                rules_by_role.push((role, rules));
            }
        }
        Tables {
            subjects_by_priority,
            rules_by_role,
        }
    }

    fn rules(&self, role: Role) -> &[&'static AlertRule] {
        self.rules_by_role
            .iter()
            .find(|(r, _)| *r == role)
            .map(|(_, rules)| rules.as_slice())
            .unwrap_or(&[])
    }
}

/// Everything one generation run shares.
struct Bulk {
    rng: Rng,
    words: Words,
    tables: Tables,
    tenants: Vec<BulkTenant>,
    psa: SourceId,
    backup: SourceId,
    agents: Vec<Arc<str>>,
    now: Timestamp,
    seed: u64,
}

/// `n` items "as of" `now`, deterministic in `seed`, every key unique.
pub fn generate_items(n: usize, seed: u64, now: Timestamp) -> Vec<Item> {
    let mut rng = Rng::with_seed(seed);
    let tenants = (0..BULK_TENANTS)
        .map(|k| build_tenant(&mut rng, k))
        .collect();
    let mut bulk = Bulk {
        rng,
        words: Words::default(),
        tables: Tables::new(),
        tenants,
        psa: SourceId::new("psa"),
        backup: SourceId::new("backup"),
        agents: AGENTS.iter().map(|a| Arc::from(*a)).collect(),
        now,
        seed,
    };
    (0..n).map(|i| bulk.item(i as u64)).collect()
}

impl Bulk {
    fn item(&mut self, i: u64) -> Item {
        let tenant = self.rng.usize(0..self.tenants.len());
        let age = span(
            &mut self.rng,
            SignedDuration::ZERO,
            SignedDuration::from_hours(48),
        );
        let created = self.now - age;
        let mut item = match self.rng.u32(0..100) {
            0..40 => self.ticket(i, tenant, created),
            40..85 => self.alert(i, tenant, created),
            _ => self.finding(i, tenant, created),
        };
        self.fill_labels(&mut item);
        truncate_title(&mut item.title);
        item
    }

    fn priority(&mut self) -> Priority {
        let index = dice::weighted_index(&mut self.rng, PRIORITY_MIX.into_iter());
        Priority::ALL[index.unwrap_or(2)]
    }

    fn agent(&mut self) -> Arc<str> {
        dice::pick(&mut self.rng, &self.agents).clone()
    }

    fn ticket(&mut self, i: u64, tenant: usize, created: Timestamp) -> Item {
        let p = self.priority();
        let subject = *dice::pick(&mut self.rng, &self.tables.subjects_by_priority[p.index()]);
        let t = &self.tenants[tenant];
        let host = (!subject.roles.is_empty()).then(|| {
            let by_role = t.hosts.iter().position(|h| subject.roles.contains(&h.role));
            by_role.unwrap_or(0)
        });
        let number = 100_000 + i;
        let contact = *dice::pick(&mut self.rng, CONTACTS);
        let channel = *dice::pick(&mut self.rng, vocab::CHANNELS);
        let place = t.place(&self.psa, host);
        let title = ticket_title(number, subject, place.host, contact, &mut self.rng);
        let draft = TicketDraft {
            number,
            subject,
            title,
            contact,
            channel,
        };
        let mut item = make::new_ticket(&mut self.words, place, draft, created);
        self.ticket_progress(&mut item);
        let due = span(
            &mut self.rng,
            SignedDuration::from_hours(-1),
            SignedDuration::from_hours(47),
        );
        item.sla.supplied_resolution_due = Some(Moment::new(self.now + due));
        item
    }

    /// New (40 %), in progress (40 %) or waiting (20 %, some after an earlier pause).
    fn ticket_progress(&mut self, item: &mut Item) {
        let roll = self.rng.u32(0..100);
        if roll < 40 {
            return;
        }
        let answered = instant_between(&mut self.rng, item.created.timestamp(), self.now);
        let agent = self.agent();
        lifecycle::answer(&mut self.words, item, agent, answered);
        if roll < 80 {
            return;
        }
        if chance(&mut self.rng, 1, 4) {
            let replied = instant_between(&mut self.rng, answered, self.now);
            lifecycle::wait_for(&mut self.words, item, status::WAITING_CUSTOMER, answered);
            lifecycle::customer_replied(&mut self.words, item, replied);
        }
        let since = instant_between(&mut self.rng, item.updated.timestamp(), self.now);
        lifecycle::wait_for(&mut self.words, item, status::WAITING_CUSTOMER, since);
    }

    fn alert(&mut self, i: u64, tenant: usize, created: Timestamp) -> Item {
        let host = self.rng.usize(0..self.tenants[tenant].hosts.len());
        let t = &self.tenants[tenant];
        let rules = self.tables.rules(t.hosts[host].role);
        let weights = rules.iter().map(|r| r.weight);
        let rule = rules[dice::weighted_index(&mut self.rng, weights).unwrap_or(0)];
        let value = dice::value(&mut self.rng, rule.value);
        let fingerprint = splitmix64(self.seed ^ i);
        let place = t.place(&t.monitoring, Some(host));
        let mut item = make::new_alert(&mut self.words, place, fingerprint, rule, value, created);
        if chance(&mut self.rng, 3, 10) {
            self.ack(&mut item);
        }
        item
    }

    fn finding(&mut self, i: u64, tenant: usize, created: Timestamp) -> Item {
        let t = &self.tenants[tenant];
        let (host, job) = *dice::pick(&mut self.rng, &t.jobs);
        let weights = Finding::ALL.iter().map(|f| f.weight());
        let finding = Finding::ALL[dice::weighted_index(&mut self.rng, weights).unwrap_or(0)];
        let value = dice::value(&mut self.rng, vocab::finding_value_range(finding, job));
        let id = format!(
            "{}/{i}",
            make::finding_id(&t.id, &t.hosts[host], job, finding)
        );
        let tool = vocab::backup_tool(t.hosts.iter().any(|h| h.role == Role::Esx));
        let draft = FindingDraft {
            finding,
            job,
            value,
            tool,
            repository: "nas-backup",
        };
        let place = t.place(&self.backup, Some(host));
        let mut item = make::new_finding(&mut self.words, place, &id, draft, created);
        if chance(&mut self.rng, 3, 20) {
            self.ack(&mut item);
        }
        item
    }

    fn ack(&mut self, item: &mut Item) {
        let at = instant_between(&mut self.rng, item.created.timestamp(), self.now);
        let agent = self.agent();
        lifecycle::ack(
            &mut self.words,
            item,
            AckKind::Acknowledged,
            agent,
            None,
            at,
        );
    }

    /// Top the labels up to six with kind-specific extras.
    fn fill_labels(&mut self, item: &mut Item) {
        let extras: [(&'static str, &'static str); 3] = match item.kind {
            Kind::Ticket => [
                (
                    "urgency",
                    ["critical", "high", "medium", "low"][item.priority.index()],
                ),
                (
                    "site",
                    *dice::pick(&mut self.rng, &["Hauptsitz", "Lager", "Filiale"]),
                ),
                ("contract", "standard"),
            ],
            Kind::Alert => [
                ("monitor", "prometheus"),
                ("team", "noc"),
                ("env", "production"),
            ],
            Kind::Backup => [
                ("schedule", "daily"),
                ("retention", "30d"),
                ("copy", "offsite"),
            ],
        };
        for (name, value) in extras {
            if item.labels.len() >= 6 {
                break;
            }
            item.labels.push(Label::new(name, value));
        }
    }
}

/// "#100042 Drucker im 2. OG druckt nicht", sometimes with the contact who asks again.
fn ticket_title(
    number: u64,
    subject: &Subject,
    host: Option<&Host>,
    contact: &str,
    rng: &mut Rng,
) -> Box<str> {
    let text = make::ticket_title(subject, host);
    let title = if chance(rng, 1, 3) {
        format!("#{number} {text} – Rückfrage von {contact} zum Stand der Bearbeitung")
    } else {
        format!("#{number} {text}")
    };
    title.into_boxed_str()
}

/// Cut a title to [`MAX_TITLE`] characters (on a character boundary).
fn truncate_title(title: &mut Box<str>) {
    if let Some((cut, _)) = title.char_indices().nth(MAX_TITLE) {
        *title = Box::from(&title[..cut]);
    }
}

/// A bijective mixer: distinct inputs give distinct fingerprints.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn now() -> Timestamp {
        "2026-11-27T01:30:00Z".parse().unwrap()
    }

    #[test]
    fn bulk_tenant_ids_are_unique() {
        let tenants = bulk_tenants();
        assert_eq!(tenants.len(), BULK_TENANTS);
        let ids: HashSet<_> = tenants.iter().map(|(id, _)| id.clone()).collect();
        assert_eq!(ids.len(), BULK_TENANTS);
        assert!(tenants.iter().all(|(_, name)| name.ends_with(" GmbH")));
    }

    #[test]
    fn items_have_six_labels_short_titles_and_the_mix() {
        let items = generate_items(3_000, 9, now());
        assert!(items.iter().all(|i| i.labels.len() == 6));
        assert!(items.iter().all(|i| i.title.chars().count() <= MAX_TITLE));
        let share = |k: Kind| items.iter().filter(|i| i.kind == k).count() * 100 / items.len();
        assert!((35..=45).contains(&share(Kind::Ticket)));
        assert!((40..=50).contains(&share(Kind::Alert)));
        assert!((11..=19).contains(&share(Kind::Backup)));
    }

    #[test]
    fn created_times_spread_over_two_days_before_now() {
        let items = generate_items(2_000, 4, now());
        let oldest = now() - SignedDuration::from_hours(48);
        assert!(
            items.iter().all(|i| oldest <= i.created.timestamp()
                && i.created <= crate::model::Moment::new(now()))
        );
        assert!(
            items
                .iter()
                .any(|i| i.created
                    < crate::model::Moment::new(now() - SignedDuration::from_hours(40)))
        );
        assert!(items.iter().all(|i| i.updated >= i.created));
    }

    #[test]
    fn tenant_and_host_strings_are_shared() {
        let items = generate_items(2_000, 5, now());
        let a = &items
            .iter()
            .filter(|i| i.host.is_some())
            .collect::<Vec<_>>();
        let same_host = a
            .iter()
            .flat_map(|x| a.iter().map(move |y| (x, y)))
            .find(|(x, y)| x.key != y.key && x.tenant == y.tenant && x.host == y.host)
            .expect("two items on one host");
        let (x, y) = same_host;
        assert!(Arc::ptr_eq(
            x.host.as_ref().unwrap(),
            y.host.as_ref().unwrap()
        ));
        assert!(Arc::ptr_eq(&x.tenant.0, &y.tenant.0));
        assert!(Arc::ptr_eq(&x.status.label, &y.status.label) || x.status != y.status);
    }

    #[test]
    fn truncate_keeps_char_boundaries() {
        let mut t: Box<str> = "ä".repeat(200).into();
        truncate_title(&mut t);
        assert_eq!(t.chars().count(), MAX_TITLE);
    }
}
