//! The built-in demo world: one night at a German MSP, with no config and no network.
//!
//! [`DemoWorld::new`]`(seed, start)` creates 16 customer tenants (one per Bundesland, 4-12
//! hosts each with RFC 1918 addresses) and about 250 open items at `start`: ~40 % PSA tickets,
//! ~45 % monitoring alerts, ~15 % backup findings, mostly P3, few P1, with ages spread so that
//! most SLA clocks are fine, some warn and some are breached. [`demo_sources`] returns the
//! connectors over it: `psa` (tickets), `mon-<tenant>` (one per tenant, its alerts) and
//! `backup` (findings). They implement [`Source`] like every real connector.
//!
//! **Time.** Every `fetch(now)` first advances the shared world to `now` in fixed steps of
//! [`STEP`] (15 s of virtual time), then returns [`Fetched::Full`](crate::sources::Fetched::Full) of its feed. The state
//! depends only on the seed and the number of whole steps since `start` (plus the write-backs
//! the user made), not on how often or by which source it was fetched. The world never goes
//! back: fetching with an earlier `now` shows the state already reached.
//!
//! **Scripted events** (the same for every seed; offsets from `start`):
//!
//! | offset | event | where it shows |
//! |---|---|---|
//! | before 0 | a customer e-mail whose subject carries ANSI colour, an OSC title sequence, bells and ~440 characters arrives at `koenig` (start − 25 min) | P3 ticket in `psa` |
//! | +2 min | `Host down: fw-01` fires at `hansa` (P1, `alertname=HostDown`) | new alert in `mon-hansa` |
//! | +3 min | the monitoring of `swn` (Stadtwerke Neustadt) stops answering | `mon-swn` fetch and write-back return `Err(SourceError::Unreachable)` |
//! | +6 min | P1 ticket "Lager: Handscanner und Versandterminals ohne Verbindung" at `hansa`, host `fw-01` | new ticket in `psa`, correlates with the alert |
//! | +10 min | the customer of the longest-waiting ticket replies | status waiting -> "open", the pause moves into `past_pauses` |
//! | +15 min | the monitoring of `swn` answers again | `mon-swn` fetch is `Ok` again, with all that happened meanwhile |
//! | +20 min | backup job 'SQL-Nightly' fails on `sql-02` at `mueller` (exit 4) | new P2 finding in `backup` |
//! | +25 min | an agent answers the `hansa` P1 ticket | `first_response_at` set, "in progress", assigned |
//! | +35 min | `fw-01` at `hansa` is back | alert "resolved"; gone from `mon-hansa` at +40 min |
//! | +50 min | `RAID degraded on esx-02` at `koenig` | new P2 alert in `mon-koenig` |
//!
//! **Random life** (seeded, rolled every step in a fixed order; rates per virtual hour): about
//! 12 alerts fire (flapping ones are scheduled to clear after 3-60 min, resolved alerts leave
//! the snapshot after [`RESOLVED_LINGER`]), 2 alerts are acknowledged by colleagues, 8 tickets
//! arrive, 10 are answered, 3 go to "waiting for customer", 4 customers reply, 5 tickets are
//! solved (and leave the PSA's open list), 0.6 backups fail and 0.8 recover.
//!
//! **Write-backs**: `mon-*` and `backup` take ack (optionally timed) and unack; `psa` takes
//! assign. Unknown items give `SourceError::Protocol`, other actions `SourceError::Unsupported`.
//!
//! [`generate_items`] makes any number of items in the same vocabulary for benchmarks.
//!
//! Layout: vocabulary in `names` (tenants, hosts, people) and `vocab` (subjects, alert rules,
//! backup jobs, status words); item builders in `make`; transitions in `lifecycle`; the
//! simulation in `world`, `populate`, `script`, `events`; write-backs in `writeback`; the
//! [`Source`] impl in `source`; the benchmark generator in `bulk`.

mod bulk;
mod dice;
mod events;
mod lifecycle;
mod make;
mod names;
mod populate;
mod script;
mod source;
mod vocab;
mod world;
mod writeback;

use std::sync::{Arc, Mutex, MutexGuard};

use jiff::Timestamp;

pub use bulk::{BULK_TENANTS, MAX_TITLE, bulk_tenants, generate_items};
pub use names::{DemoTenant, HostDef, Role, TENANTS};
pub use script::{OUTAGE_FROM, OUTAGE_TENANT, OUTAGE_UNTIL};
pub use source::DemoSource;
pub use world::{RESOLVED_LINGER, STEP};

use crate::model::{Interval, Item, TenantId};
use crate::sources::Source;
use world::{Feed, World};

/// The shared state all demo sources read and move. Cheap to clone (one `Arc`).
#[derive(Clone)]
pub struct DemoWorld {
    inner: Arc<Mutex<World>>,
}

impl DemoWorld {
    /// The world as it stands at `start`, deterministic in `seed`.
    pub fn new(seed: u64, start: Timestamp) -> Self {
        DemoWorld {
            inner: Arc::new(Mutex::new(World::new(seed, start))),
        }
    }

    /// The tenants of the demo world (ids, company names, Bundesland, hosts).
    pub fn tenants() -> &'static [DemoTenant] {
        TENANTS
    }

    pub fn start(&self) -> Timestamp {
        self.lock().start
    }

    /// The virtual time the world has reached (`start` plus whole steps).
    pub fn now(&self) -> Timestamp {
        self.lock().now
    }

    /// Move the world to `now` (no effect if it is already there or beyond).
    pub fn advance_to(&self, now: Timestamp) {
        self.lock().advance_to(now);
    }

    /// Every live item after advancing to `now`, the blind tenant's alerts included.
    pub fn items(&self, now: Timestamp) -> Vec<Item> {
        let mut world = self.lock();
        world.advance_to(now);
        world.all_items()
    }

    /// The tenant whose monitoring is unreachable, and when (absolute virtual times).
    pub fn outage(&self) -> (TenantId, Interval) {
        let start = self.start();
        let window = Interval {
            start: start + OUTAGE_FROM,
            end: start + OUTAGE_UNTIL,
        };
        (TenantId::new(OUTAGE_TENANT), window)
    }

    fn lock(&self) -> MutexGuard<'_, World> {
        // A panic elsewhere cannot leave the world half-stepped in a way that matters for a
        // demo; keep serving it.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The sources over `world`: `psa`, then `mon-<tenant>` for every tenant, then `backup`.
pub fn demo_sources(world: &DemoWorld) -> Vec<Box<dyn Source>> {
    let monitoring = (0..TENANTS.len()).map(Feed::Monitoring);
    std::iter::once(Feed::Psa)
        .chain(monitoring)
        .chain(std::iter::once(Feed::Backup))
        .map(|feed| Box::new(DemoSource::new(world, feed)) as Box<dyn Source>)
        .collect()
}
