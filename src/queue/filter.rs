//! Filtering the queue as the user types, without blocking input.
//!
//! A query splits into a *stable* part (structured terms other than `sla<`/`sla>`, fuzzy
//! words, phrases), whose result is cached, and *time* terms, applied to that result at the
//! current instant. Structured terms are tested first, on the UI thread, from compact facets.
//! The fuzzy part runs inline when few candidates remain, otherwise as a [`FilterJob`] that
//! owns everything it needs and can run on a worker thread and be cancelled.
//!
//! Narrowing: when a cached result's query is implied by the new one (the fuzzy text only
//! grew, a term was added, ...), only that result's ids are candidates. Results of earlier
//! queries stay cached, so backspace is a cache hit. Cached results remember the queue
//! revision they were computed at and are brought up to date by re-testing only the entries
//! that changed since. Results always keep the queue's SLA order.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering as AtomicOrdering};

use jiff::Timestamp;

use super::haystack::{HaystackSnapshot, fold};
use super::matcher::TextPattern;
use super::query::{KindSet, ParseError, PrioritySet, Query, Term, Test, parse};
use super::symbols::NONE;
use super::{Facets, Queue};
use crate::model::{StatusCategory, TenantId};

/// Candidates per cancellation check in a job.
const JOB_CHUNK: usize = 4096;
/// Default for [`Filterer::set_inline_limit`].
const DEFAULT_INLINE_LIMIT: usize = 4_096;
/// Cached results may hold this many ids per queue entry in total (at least 64k).
const CACHE_IDS_PER_ENTRY: usize = 8;
const CACHE_MAX_RESULTS: usize = 48;

/// Structured terms compiled against the queue's symbol tables (and `now` for SLA bounds).
struct Structured {
    tests: Vec<(bool, Compiled)>,
}

enum Compiled {
    Tenant(Vec<bool>),
    Priority(PrioritySet),
    Kind(KindSet),
    Host(Vec<bool>),
    Assignee(Vec<bool>),
    Status {
        category: Option<StatusCategory>,
        labels: Vec<bool>,
    },
    Sla {
        below: bool,
        bound_ms: i64,
    },
}

impl Structured {
    fn compile(terms: &[Term], queue: &Queue, names: &TenantNames, now: Timestamp) -> Self {
        let tests = terms
            .iter()
            .map(|t| (t.negated, Compiled::new(&t.test, queue, names, now)))
            .collect();
        Self { tests }
    }

    fn is_empty(&self) -> bool {
        self.tests.is_empty()
    }

    #[inline]
    fn accepts(&self, f: &Facets) -> bool {
        self.tests.iter().all(|(negated, c)| c.eval(f) != *negated)
    }
}

fn lookup(table: &[bool], ix: u32) -> bool {
    table.get(ix as usize).copied().unwrap_or(false)
}

impl Compiled {
    fn new(test: &Test, queue: &Queue, names: &TenantNames, now: Timestamp) -> Self {
        match test {
            Test::Tenant(v) => Compiled::Tenant(queue.tenant_symbols().table(|id, folded| {
                folded.contains(&**v) || names.get(id).is_some_and(|n| n.contains(&**v))
            })),
            Test::Host(v) => Compiled::Host(queue.host_symbols().table(|_, f| f.contains(&**v))),
            Test::Assignee(v) => {
                Compiled::Assignee(queue.assignee_symbols().table(|_, f| f.contains(&**v)))
            }
            Test::Status(s) => Compiled::Status {
                category: s.category,
                labels: queue.label_symbols().table(|_, f| f.contains(&*s.label)),
            },
            Test::Priority(set) => Compiled::Priority(*set),
            Test::Kind(set) => Compiled::Kind(*set),
            Test::Sla(b) => Compiled::Sla {
                below: b.below,
                bound_ms: now
                    .as_millisecond()
                    .saturating_add(b.limit.as_millis() as i64),
            },
        }
    }

    #[inline]
    fn eval(&self, f: &Facets) -> bool {
        match self {
            Compiled::Tenant(t) => lookup(t, f.tenant),
            Compiled::Host(t) => f.host != NONE && lookup(t, f.host),
            Compiled::Assignee(t) => f.assignee != NONE && lookup(t, f.assignee),
            Compiled::Status { category, labels } => {
                *category == Some(f.category) || lookup(labels, f.label)
            }
            Compiled::Priority(set) => set.contains(f.priority),
            Compiled::Kind(set) => set.contains(f.kind),
            Compiled::Sla { below, bound_ms } => {
                f.running_due_ms != i64::MAX
                    && if *below {
                        f.running_due_ms < *bound_ms
                    } else {
                        f.running_due_ms > *bound_ms
                    }
            }
        }
    }
}

/// Folded tenant display names by tenant id.
type TenantNames = HashMap<Box<str>, Box<str>>;

/// The fuzzy pass of one query over a list of candidates. Owns shared snapshots of the
/// haystacks, so it is `Send + 'static` and unaffected by later queue changes.
pub struct FilterJob {
    generation: u64,
    candidates: Vec<u32>,
    haystacks: HaystackSnapshot,
    pattern: Arc<TextPattern>,
}

impl FilterJob {
    /// Hand this to [`Filterer::apply`] with the result.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// How many entries the job tests.
    pub fn candidates(&self) -> usize {
        self.candidates.len()
    }

    /// The matching ids in queue order, or `None` when `cancel` was set.
    pub fn run(&self, cancel: &AtomicBool) -> Option<Vec<u32>> {
        self.run_parallel(cancel, 1)
    }

    /// [`Self::run`] split over `threads` scoped threads.
    pub fn run_parallel(&self, cancel: &AtomicBool, threads: usize) -> Option<Vec<u32>> {
        filter_in_slot_order(
            &self.candidates,
            &self.haystacks,
            &self.pattern,
            cancel,
            threads,
        )
    }
}

/// Test `candidates` (in queue order) and return the matches in the same order. The tests
/// run in slot order, so the haystacks are read front to back rather than at random.
fn filter_in_slot_order(
    candidates: &[u32],
    haystacks: &HaystackSnapshot,
    pattern: &TextPattern,
    cancel: &AtomicBool,
    threads: usize,
) -> Option<Vec<u32>> {
    let Some(&max) = candidates.iter().max() else {
        return Some(Vec::new());
    };
    let mut wanted = Bitset::new(max as usize + 1);
    candidates.iter().for_each(|&id| wanted.set(id, true));
    let words = &wanted.0;
    let threads = threads.clamp(1, words.len().div_ceil(WORDS_PER_BLOCK));
    let hits = if threads == 1 {
        scan_words(words, 0, haystacks, pattern, cancel)?
    } else {
        let part = words.len().div_ceil(threads);
        let parts: Vec<Option<Vec<u64>>> = std::thread::scope(|s| {
            let handles: Vec<_> = words
                .chunks(part)
                .enumerate()
                .map(|(i, w)| s.spawn(move || scan_words(w, i * part, haystacks, pattern, cancel)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or(None))
                .collect()
        });
        let mut all = Vec::with_capacity(words.len());
        for p in parts {
            all.extend(p?);
        }
        all
    };
    let hits = Bitset(hits);
    Some(
        candidates
            .iter()
            .copied()
            .filter(|&id| hits.get(id))
            .collect(),
    )
}

/// Bitset words per cancellation check (4096 slots).
const WORDS_PER_BLOCK: usize = JOB_CHUNK / 64;

/// Test the slots whose bits are set in `words` (word 0 is word `first` of the full set);
/// the result has a bit set for each match.
fn scan_words(
    words: &[u64],
    first: usize,
    haystacks: &HaystackSnapshot,
    pattern: &TextPattern,
    cancel: &AtomicBool,
) -> Option<Vec<u64>> {
    let mut out = vec![0u64; words.len()];
    for (block, block_words) in words.chunks(WORDS_PER_BLOCK).enumerate() {
        if cancel.load(AtomicOrdering::Relaxed) {
            return None;
        }
        for (j, &word) in block_words.iter().enumerate() {
            let w = block * WORDS_PER_BLOCK + j;
            let base = ((first + w) * 64) as u32;
            let mut bits = word;
            let mut hit = 0u64;
            while bits != 0 {
                let bit = bits.trailing_zeros();
                bits &= bits - 1;
                let id = base + bit;
                if pattern.matches(haystacks.get(id), haystacks.mask(id)) {
                    hit |= 1 << bit;
                }
            }
            out[w] = hit;
        }
    }
    Some(out)
}

/// What the UI has to do after a filter call.
pub enum Update {
    /// [`Filterer::ids`] is up to date.
    Ready,
    /// Run the job (off the UI thread) and pass its result to [`Filterer::apply`]; until
    /// then the previous result stays shown.
    Pending(FilterJob),
    /// The query has an error; the previous result stays shown.
    Invalid(ParseError),
    /// A job result nobody waits for any more (a newer query was typed); ignored.
    Stale,
}

impl std::fmt::Debug for Update {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Update::Ready => f.write_str("Ready"),
            Update::Pending(job) => write!(f, "Pending({} candidates)", job.candidates()),
            Update::Invalid(e) => write!(f, "Invalid({e})"),
            Update::Stale => f.write_str("Stale"),
        }
    }
}

/// The result of a stable query at a queue revision.
#[derive(Clone)]
struct Matches {
    query: Query,
    revision: u64,
    ids: Vec<u32>,
}

#[derive(Clone)]
struct Pending {
    generation: u64,
    stable: Query,
    time: Vec<Term>,
    revision: u64,
}

/// What is on screen.
#[derive(Clone, Default)]
struct Shown {
    /// Matches of the stable part; `None`: no stable filter.
    stable: Option<Matches>,
    time: Vec<Term>,
    /// `stable` after the time terms; `None`: every entry.
    visible: Option<Vec<u32>>,
    revision: u64,
    now: Option<Timestamp>,
}

/// The incremental filter the UI thread owns.
#[derive(Clone)]
pub struct Filterer {
    names: TenantNames,
    inline_limit: usize,
    generation: u64,
    cache: Vec<Matches>,
    shown: Shown,
    pending: Option<Pending>,
}

impl Default for Filterer {
    fn default() -> Self {
        Self::new()
    }
}

impl Filterer {
    pub fn new() -> Self {
        Self {
            names: TenantNames::new(),
            inline_limit: DEFAULT_INLINE_LIMIT,
            generation: 0,
            cache: Vec::new(),
            shown: Shown::default(),
            pending: None,
        }
    }

    /// Display names for `t:`. Cached results are dropped; query again to apply them.
    pub fn set_tenant_names<'a>(
        &mut self,
        names: impl IntoIterator<Item = (&'a TenantId, &'a str)>,
    ) {
        self.names = names
            .into_iter()
            .map(|(id, name)| (Box::from(id.as_str()), fold(name).into_boxed_str()))
            .collect();
        self.cache.clear();
    }

    /// Fuzzy passes over at most this many candidates run inline instead of as a job.
    pub fn set_inline_limit(&mut self, limit: usize) {
        self.inline_limit = limit;
    }

    /// The ids to show, in queue order.
    pub fn ids<'a>(&'a self, queue: &'a Queue) -> &'a [u32] {
        self.shown.visible.as_deref().unwrap_or(queue.order())
    }

    /// True when the shown result is filtered.
    pub fn is_filtered(&self) -> bool {
        self.shown.visible.is_some()
    }

    /// A job is out whose result has not been applied yet.
    pub fn is_pending(&self) -> bool {
        self.pending.is_some()
    }

    /// Position of `id` in [`Self::ids`].
    pub fn position_of(&self, queue: &Queue, id: u32) -> Option<usize> {
        let ids = self.ids(queue);
        queue.entry(id)?;
        match ids.binary_search_by(|&probe| queue.cmp_ids(probe, id)) {
            Ok(pos) => Some(pos),
            Err(_) => ids.iter().position(|&x| x == id),
        }
    }

    /// The user typed: filter by `text`.
    pub fn set_query(&mut self, text: &str, queue: &Queue, now: Timestamp) -> Update {
        let query = match parse(text) {
            Ok(q) => q,
            Err(e) => return Update::Invalid(e),
        };
        self.generation += 1;
        self.pending = None;
        let (stable, time) = query.split_time();
        if stable.is_empty() {
            self.show(None, time, queue, now);
            return Update::Ready;
        }
        if let Some(m) = self.take_cached(&stable, queue, now) {
            self.cache.push(m.clone());
            self.show(Some(m), time, queue, now);
            return Update::Ready;
        }
        let base = self.best_base(&stable, queue, now);
        let structured = Structured::compile(&stable.terms, queue, &self.names, now);
        let source: &[u32] = match base {
            Some(ix) => &self.cache[ix].ids,
            None => queue.order(),
        };
        let candidates: Vec<u32> = if structured.is_empty() {
            source.to_vec()
        } else {
            source
                .iter()
                .copied()
                .filter(|&id| structured.accepts(queue.facets(id)))
                .collect()
        };
        self.finish(stable, time, candidates, queue, now)
    }

    /// A job's result arrived.
    pub fn apply(
        &mut self,
        generation: u64,
        ids: Vec<u32>,
        queue: &Queue,
        now: Timestamp,
    ) -> Update {
        let Some(p) = self.pending.take_if(|p| p.generation == generation) else {
            return Update::Stale;
        };
        let m = Matches {
            query: p.stable,
            revision: p.revision,
            ids,
        };
        match self.synced(m, queue, now) {
            Ok(m) => {
                self.remember(m.clone(), queue);
                self.show(Some(m), p.time, queue, now);
                Update::Ready
            }
            Err(m) => self.rerun(m.query, p.time, queue, now),
        }
    }

    /// The queue changed or time moved on: bring the shown result up to date.
    pub fn refresh(&mut self, queue: &Queue, now: Timestamp) -> Update {
        let stale_rev = self
            .shown
            .stable
            .as_ref()
            .is_some_and(|m| m.revision != queue.revision());
        if stale_rev {
            let m = self.shown.stable.take().expect("checked above");
            match self.synced(m, queue, now) {
                Ok(m) => self.shown.stable = Some(m),
                Err(m) => {
                    let changed = queue.changed_since(m.revision);
                    let subset = without(&m.ids, &changed, queue.slot_count());
                    let (query, time) = (m.query.clone(), self.shown.time.clone());
                    self.shown.stable = Some(Matches { ids: subset, ..m });
                    self.recompute_visible(queue, now);
                    if self.pending.is_some() {
                        return Update::Ready;
                    }
                    self.generation += 1;
                    return self.rerun(query, time, queue, now);
                }
            }
        }
        let time_moved = !self.shown.time.is_empty() && self.shown.now != Some(now);
        if stale_rev || time_moved || self.shown.revision != queue.revision() {
            self.recompute_visible(queue, now);
        }
        Update::Ready
    }

    /// Run the stable query over all entries again as a job.
    fn rerun(&mut self, stable: Query, time: Vec<Term>, queue: &Queue, now: Timestamp) -> Update {
        let structured = Structured::compile(&stable.terms, queue, &self.names, now);
        let candidates = queue
            .order()
            .iter()
            .copied()
            .filter(|&id| structured.accepts(queue.facets(id)))
            .collect();
        self.finish(stable, time, candidates, queue, now)
    }

    /// Fuzzy-filter `candidates` inline or hand out a job.
    fn finish(
        &mut self,
        stable: Query,
        time: Vec<Term>,
        candidates: Vec<u32>,
        queue: &Queue,
        now: Timestamp,
    ) -> Update {
        let pattern = TextPattern::new(&stable.words, &stable.phrases);
        if pattern.is_empty() || candidates.len() <= self.inline_limit {
            let ids = if pattern.is_empty() {
                candidates
            } else {
                let never = AtomicBool::new(false);
                let snapshot = queue.haystacks().snapshot();
                filter_in_slot_order(&candidates, &snapshot, &pattern, &never, 1)
                    .expect("not cancelled")
            };
            let m = Matches {
                query: stable,
                revision: queue.revision(),
                ids,
            };
            self.remember(m.clone(), queue);
            self.show(Some(m), time, queue, now);
            return Update::Ready;
        }
        self.pending = Some(Pending {
            generation: self.generation,
            stable,
            time,
            revision: queue.revision(),
        });
        Update::Pending(FilterJob {
            generation: self.generation,
            candidates,
            haystacks: queue.haystacks().snapshot(),
            pattern: Arc::new(pattern),
        })
    }

    /// Take the cached result of exactly `stable`, brought up to date.
    fn take_cached(&mut self, stable: &Query, queue: &Queue, now: Timestamp) -> Option<Matches> {
        let ix = self.cache.iter().rposition(|m| &m.query == stable)?;
        let m = self.cache.remove(ix);
        self.synced(m, queue, now).ok()
    }

    /// The smallest cached result whose query `stable` narrows, brought up to date.
    fn best_base(&mut self, stable: &Query, queue: &Queue, now: Timestamp) -> Option<usize> {
        loop {
            let ix = self
                .cache
                .iter()
                .enumerate()
                .filter(|(_, m)| stable.narrows(&m.query))
                .min_by_key(|(_, m)| m.ids.len())
                .map(|(ix, _)| ix)?;
            let m = self.cache.remove(ix);
            if let Ok(m) = self.synced(m, queue, now) {
                self.cache.push(m);
                return Some(self.cache.len() - 1);
            }
        }
    }

    /// `m` at the queue's current revision, re-testing only the entries changed since; or
    /// `Err(m)` when too many changed for that to be quick.
    fn synced(&self, mut m: Matches, queue: &Queue, now: Timestamp) -> Result<Matches, Matches> {
        if m.revision == queue.revision() {
            return Ok(m);
        }
        let changed = queue.changed_since(m.revision);
        if changed.len() > self.inline_limit {
            return Err(m);
        }
        let structured = Structured::compile(&m.query.terms, queue, &self.names, now);
        let pattern = TextPattern::new(&m.query.words, &m.query.phrases);
        let h = queue.haystacks();
        let mut member = Bitset::new(queue.slot_count());
        m.ids.iter().for_each(|&id| member.set(id, true));
        for &id in &changed {
            let hit = queue.entry(id).is_some()
                && structured.accepts(queue.facets(id))
                && pattern.matches(h.get(id), h.mask(id));
            member.set(id, hit);
        }
        m.ids = queue
            .order()
            .iter()
            .copied()
            .filter(|&id| member.get(id))
            .collect();
        m.revision = queue.revision();
        Ok(m)
    }

    /// Keep `m` for narrowing and backspace; forget the oldest results over budget.
    fn remember(&mut self, m: Matches, queue: &Queue) {
        self.cache.retain(|c| c.query != m.query);
        self.cache.push(m);
        let budget = (CACHE_IDS_PER_ENTRY * queue.len()).max(1 << 16);
        let mut total: usize = self.cache.iter().map(|c| c.ids.len()).sum();
        while self.cache.len() > 1 && (total > budget || self.cache.len() > CACHE_MAX_RESULTS) {
            total -= self.cache.remove(0).ids.len();
        }
    }

    fn show(&mut self, stable: Option<Matches>, time: Vec<Term>, queue: &Queue, now: Timestamp) {
        self.shown.stable = stable;
        self.shown.time = time;
        self.recompute_visible(queue, now);
    }

    fn recompute_visible(&mut self, queue: &Queue, now: Timestamp) {
        let shown = &mut self.shown;
        let source = shown.stable.as_ref().map(|m| m.ids.as_slice());
        shown.visible = if shown.time.is_empty() {
            source.map(<[u32]>::to_vec)
        } else {
            let time = Structured::compile(&shown.time, queue, &self.names, now);
            let ids = source.unwrap_or(queue.order());
            Some(
                ids.iter()
                    .copied()
                    .filter(|&id| time.accepts(queue.facets(id)))
                    .collect(),
            )
        };
        shown.revision = queue.revision();
        shown.now = Some(now);
    }
}

/// `ids` without those in `changed`.
fn without(ids: &[u32], changed: &[u32], slots: usize) -> Vec<u32> {
    let mut drop = Bitset::new(slots);
    changed.iter().for_each(|&id| drop.set(id, true));
    ids.iter().copied().filter(|&id| !drop.get(id)).collect()
}

struct Bitset(Vec<u64>);

impl Bitset {
    fn new(bits: usize) -> Self {
        Self(vec![0; bits.div_ceil(64)])
    }

    fn set(&mut self, bit: u32, on: bool) {
        let (word, mask) = ((bit / 64) as usize, 1u64 << (bit % 64));
        if let Some(w) = self.0.get_mut(word) {
            if on {
                *w |= mask;
            } else {
                *w &= !mask;
            }
        }
    }

    fn get(&self, bit: u32) -> bool {
        self.0
            .get((bit / 64) as usize)
            .is_some_and(|w| w & (1 << (bit % 64)) != 0)
    }
}

#[cfg(test)]
mod tests;
