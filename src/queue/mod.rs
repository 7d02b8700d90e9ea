//! The queue: every item from every source, keyed by (source, external id), kept in SLA
//! order, with counts per tenant and priority, related items (same tenant and host), stale
//! marking per source, per-second SLA bookkeeping ([`Queue::tick`]) and the filter
//! ([`Filterer`]).
//!
//! Items live in a slab; everything else refers to them by slot id (`u32`). The order is an
//! index of ids, never the items, and is kept up to date incrementally. Clocks are computed
//! once per upsert; a tick only compares `now` with precomputed instants. The hot loops (sort,
//! structured filter, fuzzy filter) read compact side tables instead of the large entries.

mod contracts;
mod filter;
mod haystack;
mod keys;
mod matcher;
mod query;
mod sort_key;
mod summary;
mod symbols;
#[cfg(test)]
mod testdata;
mod tick;

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};

use keys::KeyIndex;

use jiff::Timestamp;

use crate::model::{Item, ItemKey, Kind, Priority, SourceId, StatusCategory, TenantId};
use crate::sla::{self, SlaClocks};

pub use contracts::ContractBook;
pub use filter::{FilterJob, Filterer, Update};
pub use haystack::{fold, haystack_of};
pub use query::{
    KindSet, ParseError, ParseErrorKind, PrioritySet, Query, SlaBound, StatusTest, Term, Test,
    parse,
};
pub use sort_key::SortKey;
pub use summary::{TenantState, TenantSummary, severity, worse};
pub use tick::{LevelChange, TickReport};

use symbols::{NONE, Symbols};

/// Above this many changes in one batch, the order is no longer patched entry by entry; the
/// touched entries are sorted and merged into the rest once the batch ends.
const INCREMENTAL_ORDER_LIMIT: usize = 32;

/// One item in the queue with its clocks, computed when it was upserted.
#[derive(Clone, Debug)]
pub struct Entry {
    pub item: Item,
    pub clocks: SlaClocks,
}

/// The filterable facts of an entry, as small numbers (one compact row per slot).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Facets {
    pub tenant: u32,
    pub host: u32,
    pub label: u32,
    pub source: u32,
    pub assignee: u32,
    pub kind: Kind,
    pub priority: Priority,
    pub category: StatusCategory,
    /// Due time (ms since the epoch) of the nearest running unmet clock; `i64::MAX` if none.
    pub running_due_ms: i64,
    /// What the entry adds to its tenant's line in the tenant list, as of the last tick.
    pub standing: summary::Standing,
}

/// The order of entries: SLA sort key, then priority, then age, then key (24 bytes).
#[derive(Clone, Copy, Debug)]
struct OrderKey {
    /// [`sort_key::rank`] of the SLA sort key. It gives the key back exactly
    /// ([`sort_key::exact_key`]) except for the rare clamped one, which the queue keeps aside
    /// ([`Queue::clamped`]).
    rank: u64,
    /// `created` as whole seconds and the nanoseconds beyond them (of the same sign, as jiff
    /// gives them): compared as a pair, they order as the timestamps do.
    created_second: i64,
    created_nanos: i32,
    priority: Priority,
}

impl OrderKey {
    fn new(sla: &SortKey, priority: Priority, created: Timestamp) -> Self {
        OrderKey {
            rank: sort_key::rank(sla),
            created_second: created.as_second(),
            created_nanos: created.subsec_nanosecond(),
            priority,
        }
    }

    fn created(&self) -> (i64, i32) {
        (self.created_second, self.created_nanos)
    }
}

/// What an upsert did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    Added,
    Updated,
    /// The item was identical to the stored one; nothing changed.
    Unchanged,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Upserted {
    pub id: u32,
    pub change: Change,
}

/// Counts of what a batch did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ApplyReport {
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub removed: usize,
}

impl ApplyReport {
    /// True when the queue changed.
    pub fn changed(&self) -> bool {
        self.added + self.updated + self.removed > 0
    }

    fn count(&mut self, change: Change) {
        match change {
            Change::Added => self.added += 1,
            Change::Updated => self.updated += 1,
            Change::Unchanged => self.unchanged += 1,
        }
    }
}

/// The on-call queue.
#[derive(Debug)]
pub struct Queue {
    contracts: ContractBook,
    /// Computes an item's clocks ([`sla::evaluate`]; replaceable in tests).
    evaluator: fn(&sla::Contract, &Item) -> SlaClocks,
    slots: Vec<Option<Entry>>,
    facets: Vec<Facets>,
    keys: Vec<OrderKey>,
    /// Sort keys that their rank does not tell exactly, by slot.
    clamped: HashMap<u32, SortKey>,
    /// Revision at which each slot last changed.
    versions: Vec<u64>,
    free: Vec<u32>,
    /// Slots freed in the current batch; reusable once its haystack changes are written.
    freed: Vec<u32>,
    by_key: KeyIndex,
    order: Vec<u32>,
    haystacks: haystack::Haystacks,
    tenants: Symbols,
    hosts: Symbols,
    labels: Symbols,
    sources: Symbols,
    assignees: Symbols,
    related: HashMap<(u32, u32), Vec<u32>>,
    priority_counts: [usize; 4],
    /// Entries per tenant symbol and open [`summary::Standing`] (the tenant list).
    standings: Vec<summary::Counts>,
    stale: HashMap<SourceId, Timestamp>,
    /// Next level-change instant per entry: (instant in ms, id, low bits of its version).
    schedule: BinaryHeap<std::cmp::Reverse<(i64, u32, u32)>>,
    /// Reused buffer for building haystacks.
    scratch: String,
    last_tick: Timestamp,
    revision: u64,
    /// Changes in the current batch, if one is open.
    batch: Option<usize>,
    /// The order index is not maintained until the batch ends.
    order_deferred: bool,
    /// Entries detached or attached while the order was deferred.
    touched: Vec<u32>,
    /// Entries whose status an upsert changed, until taken ([`Queue::take_status_changes`]).
    status_changed: Vec<u32>,
}

impl Queue {
    /// An empty queue whose SLA bookkeeping starts at `now`.
    pub fn new(contracts: ContractBook, now: Timestamp) -> Self {
        Self {
            contracts,
            evaluator: sla::evaluate,
            slots: Vec::new(),
            facets: Vec::new(),
            keys: Vec::new(),
            clamped: HashMap::new(),
            versions: Vec::new(),
            free: Vec::new(),
            freed: Vec::new(),
            by_key: KeyIndex::default(),
            order: Vec::new(),
            haystacks: haystack::Haystacks::default(),
            tenants: Symbols::default(),
            hosts: Symbols::default(),
            labels: Symbols::default(),
            sources: Symbols::default(),
            assignees: Symbols::default(),
            related: HashMap::new(),
            priority_counts: [0; 4],
            standings: Vec::new(),
            stale: HashMap::new(),
            schedule: BinaryHeap::new(),
            scratch: String::new(),
            last_tick: now,
            revision: 0,
            batch: None,
            order_deferred: false,
            touched: Vec::new(),
            status_changed: Vec::new(),
        }
    }

    /// A queue that computes clocks with `evaluator` instead of the SLA engine.
    #[cfg(test)]
    pub(crate) fn with_evaluator(
        contracts: ContractBook,
        now: Timestamp,
        evaluator: fn(&sla::Contract, &Item) -> SlaClocks,
    ) -> Self {
        Self {
            evaluator,
            ..Self::new(contracts, now)
        }
    }

    // ----- reading -----

    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_key.len() == 0
    }

    pub fn get(&self, key: &ItemKey) -> Option<&Entry> {
        self.id_of(key).and_then(|id| self.entry(id))
    }

    pub fn id_of(&self, key: &ItemKey) -> Option<u32> {
        self.by_key.get(key, |id| self.key_of(id))
    }

    pub fn entry(&self, id: u32) -> Option<&Entry> {
        self.slots.get(id as usize).and_then(Option::as_ref)
    }

    /// Entry ids in SLA order.
    pub fn order(&self) -> &[u32] {
        &self.order
    }

    /// Entries in SLA order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &Entry)> + '_ {
        self.order
            .iter()
            .filter_map(|&id| self.entry(id).map(|e| (id, e)))
    }

    /// Where `id` stands in the current order.
    pub fn position_of(&self, id: u32) -> Option<usize> {
        self.entry(id)?;
        self.order
            .binary_search_by(|&probe| self.cmp_ids(probe, id))
            .ok()
    }

    /// Compare two entries in queue order.
    pub fn cmp_ids(&self, a: u32, b: u32) -> Ordering {
        let (ka, kb) = (&self.keys[a as usize], &self.keys[b as usize]);
        ka.rank
            .cmp(&kb.rank)
            .then_with(|| self.cmp_clamped(a, b))
            .then(ka.priority.cmp(&kb.priority))
            .then(ka.created().cmp(&kb.created()))
            .then_with(|| self.key_of(a).cmp(self.key_of(b)))
    }

    /// Sort keys of equal rank: equal, unless one was clamped.
    fn cmp_clamped(&self, a: u32, b: u32) -> Ordering {
        if self.clamped.is_empty() {
            return Ordering::Equal;
        }
        self.sla_key(a).cmp(&self.sla_key(b))
    }

    fn sla_key(&self, id: u32) -> SortKey {
        match self.clamped.get(&id) {
            Some(key) => *key,
            None => sort_key::exact_key(self.keys[id as usize].rank),
        }
    }

    fn key_of(&self, id: u32) -> &ItemKey {
        &self.slots[id as usize]
            .as_ref()
            .expect("ordered ids are occupied")
            .item
            .key
    }

    pub fn sort_key(&self, id: u32) -> Option<SortKey> {
        self.entry(id).map(|_| self.sla_key(id))
    }

    /// The folded search text of an entry.
    pub fn haystack(&self, id: u32) -> &str {
        self.haystacks.get(id)
    }

    /// Items of the same tenant on the same host, in queue order, without `key` itself.
    pub fn related(&self, key: &ItemKey) -> Vec<u32> {
        let Some(id) = self.id_of(key) else {
            return Vec::new();
        };
        let f = &self.facets[id as usize];
        if f.host == NONE {
            return Vec::new();
        }
        let mut out: Vec<u32> = self.related[&(f.tenant, f.host)]
            .iter()
            .copied()
            .filter(|&other| other != id)
            .collect();
        out.sort_unstable_by(|&a, &b| self.cmp_ids(a, b));
        out
    }

    /// Number of items per tenant (tenants without items left out).
    pub fn tenant_counts(&self) -> Vec<(TenantId, usize)> {
        (0..self.tenants.len() as u32)
            .filter(|&ix| self.tenants.count(ix) > 0)
            .map(|ix| {
                (
                    TenantId(self.tenants.name(ix).clone()),
                    self.tenants.count(ix),
                )
            })
            .collect()
    }

    pub fn count_for_tenant(&self, tenant: &TenantId) -> usize {
        self.tenants
            .lookup(tenant.as_str())
            .map_or(0, |ix| self.tenants.count(ix))
    }

    /// Number of items per priority, indexed by [`Priority::index`].
    pub fn priority_counts(&self) -> [usize; 4] {
        self.priority_counts
    }

    /// Increases with every change; see [`Self::changed_since`].
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// Slots that changed (upserted, updated or removed) after `revision`.
    pub fn changed_since(&self, revision: u64) -> Vec<u32> {
        self.versions
            .iter()
            .enumerate()
            .filter(|(_, v)| **v > revision)
            .map(|(id, _)| id as u32)
            .collect()
    }

    pub fn contracts(&self) -> &ContractBook {
        &self.contracts
    }

    /// The SLA bookkeeping's idea of now: the instant of the last tick.
    pub fn last_tick(&self) -> Timestamp {
        self.last_tick
    }

    pub(crate) fn facets(&self, id: u32) -> &Facets {
        &self.facets[id as usize]
    }

    pub(crate) fn haystacks(&self) -> &haystack::Haystacks {
        &self.haystacks
    }

    pub(crate) fn tenant_symbols(&self) -> &Symbols {
        &self.tenants
    }

    pub(crate) fn host_symbols(&self) -> &Symbols {
        &self.hosts
    }

    pub(crate) fn label_symbols(&self) -> &Symbols {
        &self.labels
    }

    pub(crate) fn assignee_symbols(&self) -> &Symbols {
        &self.assignees
    }

    pub(crate) fn slot_count(&self) -> usize {
        self.slots.len()
    }

    /// Heap bytes of the search text (for the memory figures).
    pub fn haystack_bytes(&self) -> usize {
        self.haystacks.heap_bytes()
    }

    // ----- stale sources -----

    /// Mark `source`'s items stale since `since` (its last good data), or fresh with `None`.
    pub fn set_source_stale(&mut self, source: &SourceId, since: Option<Timestamp>) {
        match since {
            Some(t) => {
                self.stale.insert(source.clone(), t);
            }
            None => {
                self.stale.remove(source);
            }
        }
    }

    pub fn is_stale(&self, entry: &Entry) -> bool {
        self.stale_since(entry).is_some()
    }

    /// Since when the entry's source has been unreachable.
    pub fn stale_since(&self, entry: &Entry) -> Option<Timestamp> {
        self.stale.get(&entry.item.key.source).copied()
    }

    // ----- changing -----

    /// The entries whose status an upsert changed since the last call, oldest change first
    /// (an entry may be there twice, and gone again by now).
    pub fn take_status_changes(&mut self) -> Vec<u32> {
        std::mem::take(&mut self.status_changed)
    }

    /// Insert or replace one item.
    pub fn upsert(&mut self, item: Item) -> Upserted {
        self.begin_batch();
        let up = self.upsert_inner(item);
        self.end_batch();
        up
    }

    /// Remove one item; returns it if it was there.
    pub fn remove(&mut self, key: &ItemKey) -> Option<Item> {
        let id = self.id_of(key)?;
        self.begin_batch();
        let item = self.remove_id(id);
        self.end_batch();
        Some(item)
    }

    /// A source's complete set: upsert all, remove that source's items not in `items`.
    pub fn apply_full(&mut self, source: &SourceId, items: Vec<Item>) -> ApplyReport {
        let mut report = ApplyReport::default();
        self.begin_batch();
        let mut seen = vec![false; self.slots.len()];
        for item in items {
            let up = self.upsert_inner(item);
            if seen.len() <= up.id as usize {
                seen.resize(up.id as usize + 1, false);
            }
            seen[up.id as usize] = true;
            report.count(up.change);
        }
        if let Some(src) = self.sources.lookup(source.as_str()) {
            let gone: Vec<u32> = (0..self.slots.len() as u32)
                .filter(|&id| {
                    self.entry(id).is_some()
                        && self.facets[id as usize].source == src
                        && !seen.get(id as usize).copied().unwrap_or(false)
                })
                .collect();
            for id in gone {
                self.remove_id(id);
                report.removed += 1;
            }
        }
        self.end_batch();
        report
    }

    /// An incremental change from a source.
    pub fn apply_delta(&mut self, upserts: Vec<Item>, removed: &[ItemKey]) -> ApplyReport {
        let mut report = ApplyReport::default();
        self.begin_batch();
        for item in upserts {
            let up = self.upsert_inner(item);
            report.count(up.change);
        }
        for key in removed {
            if let Some(id) = self.id_of(key) {
                self.remove_id(id);
                report.removed += 1;
            }
        }
        self.end_batch();
        report
    }

    /// Use other contracts: every item's clocks are computed again.
    pub fn set_contracts(&mut self, contracts: ContractBook) {
        self.contracts = contracts;
        self.begin_batch();
        self.order_deferred = true;
        for id in 0..self.slots.len() as u32 {
            if let Some(entry) = self.slots[id as usize].take() {
                // The order is deferred, so detaching does not need the entry in its slot.
                self.detach(id);
                self.attach(id, entry.item);
            }
        }
        self.end_batch();
    }

    /// Sort the whole order index again (the order is always kept; this is for contract
    /// changes and for measuring).
    pub fn resort(&mut self) {
        let mut packed: Vec<(u64, u32)> = (0..self.slots.len() as u32)
            .filter(|&id| self.entry(id).is_some())
            .map(|id| (self.keys[id as usize].rank, id))
            .collect();
        packed.sort_unstable();
        let mut order: Vec<u32> = packed.iter().map(|&(_, id)| id).collect();
        // Within equal ranks the full keys decide.
        let mut start = 0;
        while start < packed.len() {
            let rank = packed[start].0;
            let end = start + packed[start..].iter().take_while(|p| p.0 == rank).count();
            if end - start > 1 {
                order[start..end].sort_unstable_by(|&a, &b| self.cmp_ids(a, b));
            }
            start = end;
        }
        self.order = order;
    }

    /// Bring the order up to date after a deferred batch: the untouched part is still
    /// sorted; sort the touched entries and merge them in.
    fn merge_touched(&mut self) {
        let mut touched = std::mem::take(&mut self.touched);
        if touched.len() > self.len() / 4 {
            self.resort();
            return;
        }
        let mut is_touched = vec![false; self.slots.len()];
        touched
            .iter()
            .for_each(|&id| is_touched[id as usize] = true);
        touched.sort_unstable();
        touched.dedup();
        touched.retain(|&id| self.entry(id).is_some());
        touched.sort_unstable_by(|&a, &b| self.cmp_ids(a, b));
        let old = std::mem::take(&mut self.order);
        let mut kept = old
            .into_iter()
            .filter(|&id| !is_touched[id as usize])
            .peekable();
        let mut moved = touched.into_iter().peekable();
        let mut order = Vec::with_capacity(self.len());
        loop {
            let next = match (kept.peek(), moved.peek()) {
                (Some(&k), Some(&m)) => {
                    if self.cmp_ids(k, m) == Ordering::Less {
                        kept.next()
                    } else {
                        moved.next()
                    }
                }
                (Some(_), None) => kept.next(),
                (None, Some(_)) => moved.next(),
                (None, None) => break,
            };
            order.extend(next);
        }
        self.order = order;
    }

    fn begin_batch(&mut self) {
        self.batch = Some(0);
    }

    fn end_batch(&mut self) {
        self.batch = None;
        if self.order_deferred {
            self.order_deferred = false;
            self.merge_touched();
        }
        self.haystacks.flush();
        self.free.append(&mut self.freed);
        self.compact_schedule();
    }

    fn note_change(&mut self) {
        if let Some(n) = self.batch.as_mut() {
            *n += 1;
            if *n > INCREMENTAL_ORDER_LIMIT {
                self.order_deferred = true;
            }
        }
    }

    fn upsert_inner(&mut self, item: Item) -> Upserted {
        if let Some(id) = self.id_of(&item.key) {
            if let Some(old) = self.entry(id) {
                if old.item == item {
                    return Upserted {
                        id,
                        change: Change::Unchanged,
                    };
                }
                if old.item.status != item.status {
                    self.status_changed.push(id);
                }
            }
            self.note_change();
            self.detach(id);
            self.attach(id, item);
            return Upserted {
                id,
                change: Change::Updated,
            };
        }
        self.note_change();
        let id = self.allocate();
        self.by_key.insert(&item.key, id);
        self.attach(id, item);
        Upserted {
            id,
            change: Change::Added,
        }
    }

    fn remove_id(&mut self, id: u32) -> Item {
        self.note_change();
        self.detach(id);
        let entry = self.slots[id as usize]
            .take()
            .expect("removing a live entry");
        self.by_key.remove(&entry.item.key, id);
        self.clamped.remove(&id);
        self.haystacks.stage(id, "");
        self.freed.push(id);
        self.bump(id);
        entry.item
    }

    fn allocate(&mut self) -> u32 {
        if let Some(id) = self.free.pop() {
            return id;
        }
        let id = self.slots.len() as u32;
        self.slots.push(None);
        self.facets.push(Facets {
            tenant: NONE,
            host: NONE,
            label: NONE,
            source: NONE,
            assignee: NONE,
            kind: Kind::Ticket,
            priority: Priority::P4,
            category: StatusCategory::New,
            running_due_ms: i64::MAX,
            standing: summary::Standing::NotOpen,
        });
        self.keys.push(OrderKey::new(
            &SortKey::NoClock,
            Priority::P4,
            Timestamp::UNIX_EPOCH,
        ));
        self.versions.push(0);
        id
    }

    /// Take an occupied slot out of the order, counts and indexes (the entry stays).
    fn detach(&mut self, id: u32) {
        if self.order_deferred {
            self.touched.push(id);
        } else {
            let pos = self.position_of(id).expect("live entry is in the order");
            self.order.remove(pos);
        }
        let f = self.facets[id as usize];
        self.tenants.release(f.tenant);
        self.hosts.release(f.host);
        self.labels.release(f.label);
        self.sources.release(f.source);
        self.assignees.release(f.assignee);
        self.priority_counts[f.priority.index()] -= 1;
        self.count_standing(f.tenant, f.standing, false);
        if f.host != NONE {
            let group = (f.tenant, f.host);
            if let Some(ids) = self.related.get_mut(&group) {
                ids.retain(|&other| other != id);
                if ids.is_empty() {
                    self.related.remove(&group);
                }
            }
        }
    }

    /// Store `item` in slot `id`: clocks, facets, order, indexes, haystack, schedule.
    fn attach(&mut self, id: u32, item: Item) {
        let contract = self.contracts.contract_for(&item.tenant).clone();
        let clocks = (self.evaluator)(&contract, &item);
        let facets = Facets {
            tenant: self.tenants.acquire(&item.tenant.0),
            host: self.hosts.acquire_opt(item.host.as_ref()),
            label: self.labels.acquire(&item.status.label),
            source: self.sources.acquire(&item.key.source.0),
            assignee: self.assignees.acquire_opt(item.assignee.as_ref()),
            kind: item.kind,
            priority: item.priority,
            category: item.status.category,
            running_due_ms: running_due_ms(&clocks),
            standing: summary::Standing::of(item.status.category, &clocks, self.last_tick),
        };
        let sla = sort_key::sort_key(&clocks);
        let key = OrderKey::new(&sla, item.priority, item.created.timestamp());
        if sort_key::rank_is_exact(&sla) {
            self.clamped.remove(&id);
        } else {
            self.clamped.insert(id, sla);
        }
        let mut hay = std::mem::take(&mut self.scratch);
        haystack::haystack_into(&item, &mut hay);
        if hay != self.haystacks.latest(id) {
            self.haystacks.stage(id, &hay);
        }
        self.scratch = hay;
        self.priority_counts[item.priority.index()] += 1;
        self.count_standing(facets.tenant, facets.standing, true);
        if facets.host != NONE {
            self.related
                .entry((facets.tenant, facets.host))
                .or_default()
                .push(id);
        }
        self.facets[id as usize] = facets;
        self.keys[id as usize] = key;
        self.slots[id as usize] = Some(Entry { item, clocks });
        if self.order_deferred {
            self.touched.push(id);
        } else {
            let pos = self
                .order
                .binary_search_by(|&probe| self.cmp_ids(probe, id))
                .unwrap_or_else(|p| p);
            self.order.insert(pos, id);
        }
        self.bump(id);
        self.schedule_next(id);
    }

    fn bump(&mut self, id: u32) {
        self.revision += 1;
        self.versions[id as usize] = self.revision;
    }
}

fn running_due_ms(clocks: &SlaClocks) -> i64 {
    clocks
        .clocks
        .iter()
        .filter(|c| c.is_running())
        .map(|c| c.due_ms())
        .min()
        .unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests;
