//! Writes to the store off the UI thread: a `synchronous = FULL` commit waits for the disk,
//! and the terminal must not. The worker owns the connection; jobs are written in the order
//! they were submitted; a failure is reported back as text for the status line. Dropping the
//! worker waits until every submitted job is written.

use std::sync::mpsc;
use std::thread::JoinHandle;

use jiff::Timestamp;

use super::{AuditEntry, LocalNote, RestoreTest, Snapshot, Snooze, Store};
use crate::model::{ItemKey, Nis2Facts};

/// One write.
#[derive(Clone, Debug, PartialEq)]
pub enum Job {
    Audit(AuditEntry),
    RestoreTest(RestoreTest),
    Snooze(ItemKey, Snooze),
    Unsnooze(ItemKey),
    /// The item was looked at with this `updated` time, at the second instant.
    Seen(ItemKey, Timestamp, Timestamp),
    Nis2(ItemKey, String, Nis2Facts),
    /// A local note on the item of the tenant.
    LocalNote(ItemKey, String, LocalNote),
    /// The last good snapshot of a source.
    Snapshot(Snapshot),
    /// The session ended now (items changed after it count as new next time).
    SessionEnd(Timestamp),
}

impl Store {
    /// Carries out one job (what the worker does with each, in order).
    pub fn apply(&self, job: &Job) -> Result<(), super::StoreError> {
        match job {
            Job::Audit(e) => self.record(e).map(drop),
            Job::RestoreTest(t) => self.record_restore_test(t),
            Job::Snooze(k, s) => self.snooze(k, s),
            Job::Unsnooze(k) => self.unsnooze(k),
            Job::Seen(k, updated, at) => self.mark_seen(k, *updated, *at),
            Job::Nis2(k, tenant, n) => self.set_nis2(k, tenant, n),
            Job::LocalNote(k, tenant, n) => self.add_local_note(k, tenant, n),
            Job::Snapshot(s) => self.save_snapshot(s),
            Job::SessionEnd(at) => self.set_last_session_end(*at),
        }
    }
}

/// The writer thread and its queue.
pub struct StoreWorker {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
}

impl StoreWorker {
    /// Starts the writer; failures go to `failures` (one line each).
    pub fn start(store: Store, failures: tokio::sync::mpsc::UnboundedSender<String>) -> Self {
        let (tx, rx) = mpsc::channel::<Job>();
        let thread = std::thread::Builder::new()
            .name("nightdesk-store".into())
            .spawn(move || {
                for job in rx {
                    let result = store.apply(&job);
                    if let Err(e) = result {
                        tracing::error!(error = %e, "local database write failed");
                        let _ = failures.send(e.to_string());
                    }
                }
            })
            .expect("spawn the store thread");
        Self {
            jobs: Some(tx),
            thread: Some(thread),
        }
    }

    pub fn submit(&self, job: Job) {
        if let Some(tx) = &self.jobs {
            let _ = tx.send(job);
        }
    }
}

impl Drop for StoreWorker {
    fn drop(&mut self) {
        self.jobs.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::AuditOutcome;

    #[test]
    fn every_submitted_job_is_written_when_the_worker_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nightdesk.db");
        let (tx, mut failures) = tokio::sync::mpsc::unbounded_channel();
        let worker = StoreWorker::start(Store::open(&path).unwrap(), tx);
        for i in 0..50 {
            worker.submit(Job::Audit(AuditEntry {
                at: jiff::Timestamp::from_second(1_800_000_000 + i).unwrap(),
                user: "me".into(),
                tenant: "t".into(),
                source: "s".into(),
                item: format!("i{i}"),
                action: "ack".into(),
                params: serde_json::json!({}),
                outcome: AuditOutcome::Ok,
            }));
        }
        drop(worker);
        assert!(failures.try_recv().is_err(), "no failures");
        let store = Store::open(&path).unwrap();
        let all = store
            .audit_since(jiff::Timestamp::UNIX_EPOCH, None)
            .unwrap();
        assert_eq!(all.len(), 50);
        assert_eq!(all[49].item, "i49", "in order");
    }
}
