//! Restore-test records: when a backup job's data was last restored for real, by whom, with
//! what note. Backup rules read them to raise "recovery test overdue"; the `restore-test-done`
//! action writes them. Kept in the local database, shared with the backup sources through a
//! [`RestoreTests`] handle.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use jiff::Timestamp;
use jiff::civil::Date;
use rusqlite::params;
use serde::Serialize;

use super::{Store, StoreError};

/// One recorded restore test of a backup job.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RestoreTest {
    pub source: String,
    /// The job (or protected object) id the backup source uses.
    pub job: String,
    pub tenant: String,
    /// The day the restore was tested.
    pub done_on: Date,
    pub note: String,
    pub user: String,
    pub recorded_at: Timestamp,
}

impl Store {
    /// Records a restore test; on disk when this returns.
    pub fn record_restore_test(&self, t: &RestoreTest) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "INSERT INTO restore_test (source, job, tenant, done_on, note, user, recorded_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    t.source,
                    t.job,
                    t.tenant,
                    t.done_on.to_string(),
                    t.note,
                    t.user,
                    t.recorded_at.to_string()
                ],
            )
            .map_err(|e| self.error(e))?;
        Ok(())
    }

    /// Every recorded restore test, oldest first.
    pub fn restore_tests(&self) -> Result<Vec<RestoreTest>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare(
                "SELECT source, job, tenant, done_on, note, user, recorded_at FROM restore_test
                 ORDER BY done_on, id",
            )
            .map_err(|e| self.error(e))?;
        let rows = stmt
            .query_map([], |r| {
                let done_on: String = r.get(3)?;
                let recorded_at: String = r.get(6)?;
                Ok(RestoreTest {
                    source: r.get(0)?,
                    job: r.get(1)?,
                    tenant: r.get(2)?,
                    done_on: done_on.parse().unwrap_or(Date::MIN),
                    note: r.get(4)?,
                    user: r.get(5)?,
                    recorded_at: recorded_at.parse().unwrap_or(Timestamp::UNIX_EPOCH),
                })
            })
            .map_err(|e| self.error(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.error(e))
    }
}

/// The newest restore test per (source, job), shared between the UI (which records them)
/// and the backup sources (which raise "recovery test overdue" from them).
#[derive(Clone, Debug, Default)]
pub struct RestoreTests(Arc<RwLock<HashMap<(String, String), RestoreTest>>>);

impl RestoreTests {
    /// From the records in the store.
    pub fn from_records(records: Vec<RestoreTest>) -> Self {
        let tests = RestoreTests::default();
        for r in records {
            tests.note(r);
        }
        tests
    }

    /// Takes a new record (keeps the newest per job).
    pub fn note(&self, record: RestoreTest) {
        let mut map = self.0.write().expect("restore tests lock");
        let key = (record.source.clone(), record.job.clone());
        match map.get(&key) {
            Some(known) if known.done_on > record.done_on => {}
            _ => {
                map.insert(key, record);
            }
        }
    }

    /// The newest restore test of a job.
    pub fn last(&self, source: &str, job: &str) -> Option<RestoreTest> {
        self.0
            .read()
            .expect("restore tests lock")
            .get(&(source.to_string(), job.to_string()))
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test_on(day: &str, note: &str) -> RestoreTest {
        RestoreTest {
            source: "restic-mueller".into(),
            job: "srv-dc01:/srv".into(),
            tenant: "mueller".into(),
            done_on: day.parse().unwrap(),
            note: note.into(),
            user: "anna".into(),
            recorded_at: "2026-11-27T10:00:00Z".parse().unwrap(),
        }
    }

    #[test]
    fn records_survive_and_the_newest_wins() {
        let s = Store::in_memory().unwrap();
        s.record_restore_test(&test_on("2026-08-01", "full restore to test VM"))
            .unwrap();
        s.record_restore_test(&test_on("2026-05-01", "older"))
            .unwrap();
        let tests = RestoreTests::from_records(s.restore_tests().unwrap());
        let last = tests.last("restic-mueller", "srv-dc01:/srv").unwrap();
        assert_eq!(last.done_on.to_string(), "2026-08-01");
        assert_eq!(last.note, "full restore to test VM");
        tests.note(test_on("2026-07-01", "not newer"));
        assert_eq!(
            tests.last("restic-mueller", "srv-dc01:/srv").unwrap().note,
            "full restore to test VM"
        );
        assert!(tests.last("restic-mueller", "other").is_none());
    }
}
