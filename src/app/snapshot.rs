//! The last good snapshot of each source across restarts. At start, what a source said at
//! its last good read in an earlier run is in the queue at once, marked stale with its age,
//! until the source answers; a source that is down when the night begins is then "stale
//! since 01:52" with its items, not a blank. Snapshots are written off the UI thread at most
//! every few minutes (only for sources that answered since) and when nightdesk ends.

use jiff::{SignedDuration, Timestamp};

use super::state::App;
use super::update::Effect;
use crate::model::SourceId;
use crate::sources::Fetched;
use crate::store::{Job, Snapshot};

/// How often the snapshots of sources that answered are written.
pub const SNAPSHOT_EVERY: SignedDuration = SignedDuration::from_mins(5);

impl App {
    /// Shows a snapshot of an earlier run: its items stale since it was taken, until the
    /// source's first answer replaces them. Ignored for a source that has answered already.
    /// Snoozes are not judged on these items: only a live answer can wake one.
    pub fn restore_snapshot(&mut self, snapshot: Snapshot) {
        let Some(info) = self.sources.get_mut(&snapshot.source) else {
            return;
        };
        if info.last_ok.is_some() || !info.meta.cache {
            return;
        }
        info.cached = Some(snapshot.fetched_at);
        let mut fetched = Fetched::Full(snapshot.items);
        self.decorate(&mut fetched);
        if let Fetched::Full(items) = fetched {
            self.queue.apply_full(&snapshot.source, items);
        }
        // Not a change seen live: the timeline keeps only what sources answered.
        self.queue.take_status_changes();
        self.queue
            .set_source_stale(&snapshot.source, Some(snapshot.fetched_at));
        self.refresh_view();
    }

    /// The source answered with data at `at`: its snapshot is out of date, and the items of
    /// an earlier run's snapshot are current again (unless the source is down).
    pub(super) fn snapshot_answered(&mut self, source: &SourceId, at: Timestamp) {
        let Some(info) = self.sources.get_mut(source) else {
            return;
        };
        if info.cached.take().is_some() && !info.health.is_stale() {
            self.queue.set_source_stale(source, None);
        }
        if info.meta.cache {
            self.snapshots_due.insert(source.clone(), at);
        }
    }

    /// Writes the snapshots of the sources that answered since the last time: when
    /// [`SNAPSHOT_EVERY`] has passed, or always with `now_anyway` (at the end).
    pub fn save_snapshots(&mut self, now_anyway: bool) {
        if self.snapshots_due.is_empty()
            || (!now_anyway && self.now.duration_since(self.snapshots_saved) < SNAPSHOT_EVERY)
        {
            return;
        }
        let due = std::mem::take(&mut self.snapshots_due);
        let mut snapshots: std::collections::HashMap<SourceId, Snapshot> = due
            .into_iter()
            .map(|(source, fetched_at)| {
                let snapshot = Snapshot {
                    source: source.clone(),
                    fetched_at,
                    items: Vec::new(),
                };
                (source, snapshot)
            })
            .collect();
        for (_, entry) in self.queue.iter() {
            if let Some(s) = snapshots.get_mut(&entry.item.key.source) {
                s.items.push(entry.item.clone());
            }
        }
        for (_, snapshot) in snapshots {
            self.outbox.push(Effect::Store(Job::Snapshot(snapshot)));
        }
        self.snapshots_saved = self.now;
    }
}
