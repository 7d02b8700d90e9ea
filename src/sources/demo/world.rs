//! The state of the demo world and how it moves: tenants with their hosts and backup jobs,
//! the live tickets, alerts and backup findings, and the fixed-step clock that advances them.
//! What happens in a step lives in `script` (scheduled story) and `events` (random life).

use std::sync::Arc;

use fastrand::Rng;
use jiff::{SignedDuration, Timestamp};

use super::lifecycle::{self, Restore};
use super::make::{Host, Place, Words};
use super::names::{DemoTenant, Role, TENANTS};
use super::script::{self, OUTAGE_FROM, OUTAGE_TENANT, OUTAGE_UNTIL, Tag};
use super::vocab::{self, BackupJob};
use crate::model::{Item, SourceId, StatusCategory, TenantId};
use crate::sources::SourceError;

/// The world moves in steps of this much virtual time.
pub const STEP: SignedDuration = SignedDuration::from_secs(15);

/// How long a resolved alert or finding stays in the snapshot before it is gone.
pub const RESOLVED_LINGER: SignedDuration = SignedDuration::from_mins(5);

/// Which part of the world a source shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Feed {
    /// All tickets (the PSA).
    Psa,
    /// The alerts of the tenant with this index into [`TENANTS`].
    Monitoring(usize),
    /// All backup findings.
    Backup,
}

/// A customer with the strings its items share.
pub struct Tenant {
    pub def: &'static DemoTenant,
    pub id: TenantId,
    /// Id of the tenant's monitoring source (`mon-<id>`).
    pub monitoring: SourceId,
    pub hosts: Vec<Host>,
    /// Backup jobs as (host index, job).
    pub jobs: Vec<(usize, &'static BackupJob)>,
    pub backup_tool: &'static str,
}

impl Tenant {
    fn new(def: &'static DemoTenant) -> Self {
        let domain = format!("{}.local", def.id);
        let hosts: Vec<Host> = def
            .hosts
            .iter()
            .enumerate()
            .map(|(i, h)| Host::new(h, &domain, def.network, i))
            .collect();
        let jobs = backup_jobs(&hosts);
        let has_esx = hosts.iter().any(|h| h.role == Role::Esx);
        Tenant {
            def,
            id: TenantId::new(def.id),
            monitoring: SourceId::new(&format!("mon-{}", def.id)),
            hosts,
            jobs,
            backup_tool: vocab::backup_tool(has_esx),
        }
    }

    /// How much this tenant contributes to the queue (bigger customers, more items).
    pub fn weight(&self) -> u32 {
        self.hosts.len() as u32 + 2
    }

    pub fn host_index(&self, short: &str) -> Option<usize> {
        self.hosts.iter().position(|h| &*h.short == short)
    }

    /// Where an item of this tenant goes: `source`, optionally on host `host`.
    pub fn place<'a>(&'a self, source: &'a SourceId, host: Option<usize>) -> Place<'a> {
        Place {
            source,
            tenant: &self.id,
            host: host.map(|h| &self.hosts[h]),
        }
    }

    /// The repository backups go to: the NAS if there is one, else the MSP's cloud.
    pub fn repository(&self) -> &'static str {
        if self.hosts.iter().any(|h| h.role == Role::Nas) {
            "nas-backup"
        } else {
            "cloud-connect"
        }
    }
}

/// One job per (host, role-matching job); a hypervisor job only on the first hypervisor.
fn backup_jobs(hosts: &[Host]) -> Vec<(usize, &'static BackupJob)> {
    let mut jobs = Vec::new();
    for (i, host) in hosts.iter().enumerate() {
        for job in vocab::BACKUP_JOBS.iter().filter(|j| j.role == host.role) {
            let duplicate_vm_job = job.role == Role::Esx
                && jobs
                    .iter()
                    .any(|(_, j): &(usize, &BackupJob)| j.name == job.name);
            if !duplicate_vm_job {
                jobs.push((i, job));
            }
        }
    }
    jobs
}

/// What the simulation knows about an item beyond the item itself.
#[derive(Default)]
pub struct Life {
    /// Set on items the script tells a story with; random events leave them alone.
    pub tag: Option<Tag>,
    /// When the problem goes away by itself.
    pub clears_at: Option<Timestamp>,
    /// When the item leaves the snapshot.
    pub gone_at: Option<Timestamp>,
    /// Present while acknowledged: what unack restores.
    pub restore: Option<Restore>,
    /// A timed acknowledgement runs out at this instant.
    pub ack_until: Option<Timestamp>,
}

/// An item and its simulation state.
pub struct Tracked {
    pub item: Item,
    pub life: Life,
}

impl Tracked {
    pub fn new(item: Item) -> Self {
        Tracked {
            item,
            life: Life::default(),
        }
    }

    pub fn is_open(&self) -> bool {
        self.item.status.category != StatusCategory::Resolved
    }

    /// Random events may touch it (not scripted, not resolved).
    pub fn is_free(&self) -> bool {
        self.life.tag.is_none() && self.is_open()
    }
}

/// The live items of the world, one list per kind.
#[derive(Default)]
pub struct Live {
    pub tickets: Vec<Tracked>,
    pub alerts: Vec<Tracked>,
    pub backups: Vec<Tracked>,
}

impl Live {
    /// The feed's list (for monitoring: the alerts of all tenants).
    pub fn of(&self, feed: Feed) -> &Vec<Tracked> {
        match feed {
            Feed::Psa => &self.tickets,
            Feed::Monitoring(_) => &self.alerts,
            Feed::Backup => &self.backups,
        }
    }

    pub fn of_mut(&mut self, feed: Feed) -> &mut Vec<Tracked> {
        match feed {
            Feed::Psa => &mut self.tickets,
            Feed::Monitoring(_) => &mut self.alerts,
            Feed::Backup => &mut self.backups,
        }
    }

    fn iter(&self) -> impl Iterator<Item = &Tracked> {
        self.tickets.iter().chain(&self.alerts).chain(&self.backups)
    }
}

/// The whole demo world. Fields are shared with the sibling modules that move it.
pub struct World {
    pub start: Timestamp,
    /// Virtual time reached so far: `start` plus a whole number of steps.
    pub now: Timestamp,
    pub rng: Rng,
    pub words: Words,
    pub tenants: Vec<Tenant>,
    pub psa: SourceId,
    pub backup: SourceId,
    pub live: Live,
    pub next_ticket: u64,
    /// Index of the next entry of the script to run.
    pub next_scripted: usize,
}

impl World {
    pub fn new(seed: u64, start: Timestamp) -> Self {
        let mut rng = Rng::with_seed(seed);
        let next_ticket = 48_000 + rng.u64(0..2_000);
        let mut world = World {
            start,
            now: start,
            rng,
            words: Words::default(),
            tenants: TENANTS.iter().map(Tenant::new).collect(),
            psa: SourceId::new("psa"),
            backup: SourceId::new("backup"),
            live: Live::default(),
            next_ticket,
            next_scripted: 0,
        };
        world.populate();
        world
    }

    /// Run every whole step up to `now`. Earlier instants change nothing: the world never
    /// goes back.
    pub fn advance_to(&mut self, now: Timestamp) {
        while self.now + STEP <= now {
            self.step();
        }
    }

    fn step(&mut self) {
        self.now += STEP;
        self.run_script();
        self.settle();
        self.random_events();
    }

    /// Problems that clear by themselves, timed acks that run out, resolved items that leave.
    fn settle(&mut self) {
        let (now, words) = (self.now, &mut self.words);
        let live = &mut self.live;
        for t in live.alerts.iter_mut().chain(live.backups.iter_mut()) {
            if t.is_open() && t.life.clears_at.is_some_and(|c| c <= now) {
                lifecycle::resolve(words, &mut t.item, now);
                t.life.gone_at = Some(now + RESOLVED_LINGER);
            }
            if t.life.ack_until.is_some_and(|u| u <= now) {
                t.life.ack_until = None;
                if let Some(restore) = t.life.restore.take() {
                    lifecycle::unack(&mut t.item, restore, now);
                }
            }
        }
        let stays = |t: &Tracked| t.life.gone_at.is_none_or(|g| g > now);
        live.tickets.retain(stays);
        live.alerts.retain(stays);
        live.backups.retain(stays);
    }

    /// Whether the feed's remote end answers at the current virtual time.
    pub fn check_reachable(&self, feed: Feed) -> Result<(), SourceError> {
        let Feed::Monitoring(index) = feed else {
            return Ok(());
        };
        let tenant = &self.tenants[index];
        let offset = self.now.duration_since(self.start);
        if tenant.def.id == OUTAGE_TENANT && (OUTAGE_FROM..OUTAGE_UNTIL).contains(&offset) {
            return Err(SourceError::Unreachable(format!(
                "monitoring.{}.demo.invalid:443: connection timed out",
                tenant.def.id
            )));
        }
        Ok(())
    }

    /// The source id items of this feed carry.
    pub fn source_id(&self, feed: Feed) -> &SourceId {
        match feed {
            Feed::Psa => &self.psa,
            Feed::Monitoring(i) => &self.tenants[i].monitoring,
            Feed::Backup => &self.backup,
        }
    }

    /// Whether an item of the feed's list belongs to the feed.
    pub fn in_feed(&self, feed: Feed, item: &Item) -> bool {
        match feed {
            Feed::Monitoring(i) => item.tenant == self.tenants[i].id,
            Feed::Psa | Feed::Backup => true,
        }
    }

    /// The feed's current items, or the error its remote end gives right now.
    pub fn fetch(&self, feed: Feed) -> Result<Vec<Item>, SourceError> {
        self.check_reachable(feed)?;
        Ok(self
            .live
            .of(feed)
            .iter()
            .filter(|t| self.in_feed(feed, &t.item))
            .map(|t| t.item.clone())
            .collect())
    }

    /// Every live item of the world (what all sources together would show if all answered).
    pub fn all_items(&self) -> Vec<Item> {
        self.live.iter().map(|t| t.item.clone()).collect()
    }

    /// An agent's name as items share it.
    pub fn agent(&mut self) -> Arc<str> {
        let name = *super::dice::pick(&mut self.rng, super::names::AGENTS);
        self.words.get(name)
    }

    /// A tenant drawn by weight.
    pub fn pick_tenant(&mut self) -> usize {
        let weights = self.tenants.iter().map(Tenant::weight);
        super::dice::weighted_index(&mut self.rng, weights).unwrap_or(0)
    }

    pub fn tenant_index(&self, id: &str) -> Option<usize> {
        self.tenants.iter().position(|t| t.def.id == id)
    }

    /// Whether a live alert of this rule already fires on that host.
    pub fn alert_exists(&self, tenant: usize, host: usize, alertname: &str) -> bool {
        let t = &self.tenants[tenant];
        let host = &t.hosts[host].name;
        self.live.alerts.iter().any(|a| {
            a.item.tenant == t.id
                && a.item.host.as_ref() == Some(host)
                && a.item.label("alertname") == Some(alertname)
        })
    }

    pub fn finding_exists(&self, external_id: &str) -> bool {
        self.live
            .backups
            .iter()
            .any(|b| &*b.item.key.external_id == external_id)
    }

    pub fn take_ticket_number(&mut self) -> u64 {
        let n = self.next_ticket;
        self.next_ticket += 1;
        n
    }

    /// Scripted targets are kept free of random items so the story always plays.
    pub fn is_reserved_alert(&self, tenant: usize, host: usize, alertname: &str) -> bool {
        let t = &self.tenants[tenant];
        script::reserved_alert(t.def.id, &t.hosts[host].short, alertname)
    }
}
