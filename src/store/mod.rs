//! Local state in an embedded SQLite database under the XDG data dir: the audit log of every
//! action, restore-test records, snoozes, local notes, seen marks. The
//! database runs in WAL mode with `synchronous = FULL`: a write that returned is on disk,
//! whatever happens to the process afterwards. Schema changes are numbered migrations
//! (`PRAGMA user_version`).

mod audit;
pub mod export;
mod local;
mod restore;
mod snapshot;
pub mod worker;

use std::path::Path;

pub use audit::{AuditEntry, AuditOutcome};
pub use local::{LocalMarks, LocalNote, Snooze};
pub use restore::{RestoreTest, RestoreTests};
pub use snapshot::Snapshot;
pub use worker::{Job, StoreWorker};

use rusqlite::Connection;

/// File name of the database in the data dir.
pub const FILE_NAME: &str = "nightdesk.db";

/// Why the store could not be used.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create {path}: {source}")]
    Dir {
        path: String,
        source: std::io::Error,
    },
    #[error("local database {path}: {source}")]
    Sqlite {
        path: String,
        source: rusqlite::Error,
    },
    #[error(
        "local database {path} was written by a newer nightdesk (schema {found}, this one knows {known})"
    )]
    TooNew {
        path: String,
        found: i64,
        known: i64,
    },
}

/// The schema, one step per migration; the index + 1 is the `user_version` after it.
const MIGRATIONS: &[&str] = &[
    // 1: audit log and restore tests.
    "CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        user TEXT NOT NULL,
        tenant TEXT NOT NULL,
        source TEXT NOT NULL,
        item TEXT NOT NULL,
        action TEXT NOT NULL,
        params TEXT NOT NULL,
        result TEXT NOT NULL,
        error TEXT
    );
    CREATE INDEX audit_at ON audit(at);
    CREATE INDEX audit_item ON audit(source, item);
    CREATE TABLE restore_test (
        id INTEGER PRIMARY KEY,
        source TEXT NOT NULL,
        job TEXT NOT NULL,
        tenant TEXT NOT NULL,
        done_on TEXT NOT NULL,
        note TEXT NOT NULL,
        user TEXT NOT NULL,
        recorded_at TEXT NOT NULL
    );
    CREATE INDEX restore_test_job ON restore_test(source, job);",
    // 2: snoozes, seen marks, NIS-2 records, small settings.
    "CREATE TABLE snooze (
        source TEXT NOT NULL,
        item TEXT NOT NULL,
        until TEXT,
        until_change_of TEXT,
        user TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (source, item)
    );
    CREATE TABLE seen (
        source TEXT NOT NULL,
        item TEXT NOT NULL,
        updated TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (source, item)
    );
    CREATE TABLE nis2 (
        source TEXT NOT NULL,
        item TEXT NOT NULL,
        tenant TEXT NOT NULL,
        aware_at TEXT NOT NULL,
        early_warning_at TEXT,
        notification_at TEXT,
        final_report_at TEXT,
        PRIMARY KEY (source, item)
    );
    CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );",
    // 3: local notes (a logbook per item, kept only here).
    "CREATE TABLE local_note (
        id INTEGER PRIMARY KEY,
        source TEXT NOT NULL,
        item TEXT NOT NULL,
        tenant TEXT NOT NULL,
        text TEXT NOT NULL,
        user TEXT NOT NULL,
        at TEXT NOT NULL
    );
    CREATE INDEX local_note_item ON local_note(source, item);",
    // 4: the last good snapshot of each source, shown stale at the next start.
    "CREATE TABLE snapshot (
        source TEXT PRIMARY KEY,
        fetched_at TEXT NOT NULL,
        items TEXT NOT NULL
    );",
    // 5: audit times in one width (nine fraction digits, see `audit::stored_at`), so that
    // text order is time order: `…:00.5Z` sorted before `…:00Z`. Existing rows are rewritten:
    // no fraction gets `.000000000`, a shorter one is padded with zeros.
    "UPDATE audit SET at = CASE
        WHEN at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]Z'
            THEN substr(at, 1, 19) || '.000000000Z'
        WHEN at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].*Z'
            AND length(at) BETWEEN 22 AND 30
            THEN substr(at, 1, 20) || substr(substr(at, 21, length(at) - 21) || '000000000', 1, 9) || 'Z'
        ELSE at
    END;",
];

/// The open database.
pub struct Store {
    conn: Connection,
    path: String,
}

impl Store {
    /// Opens (and creates or migrates) the database at `path`.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Dir {
                path: dir.display().to_string(),
                source,
            })?;
        }
        let shown = path.display().to_string();
        let conn = Connection::open(path).map_err(|e| sqlite(&shown, e))?;
        Store::prepare(conn, shown)
    }

    /// A database in memory (tests, `list`).
    pub fn in_memory() -> Result<Store, StoreError> {
        let conn = Connection::open_in_memory().map_err(|e| sqlite(":memory:", e))?;
        Store::prepare(conn, ":memory:".into())
    }

    fn prepare(conn: Connection, path: String) -> Result<Store, StoreError> {
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             PRAGMA foreign_keys = ON;
             PRAGMA busy_timeout = 5000;",
        )
        .map_err(|e| sqlite(&path, e))?;
        let store = Store { conn, path };
        store.migrate()?;
        Ok(store)
    }

    fn migrate(&self) -> Result<(), StoreError> {
        let version: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| self.error(e))?;
        let known = MIGRATIONS.len() as i64;
        if version > known {
            return Err(StoreError::TooNew {
                path: self.path.clone(),
                found: version,
                known,
            });
        }
        for (i, step) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let sql = format!("BEGIN; {step}; PRAGMA user_version = {}; COMMIT;", i + 1);
            self.conn.execute_batch(&sql).map_err(|e| self.error(e))?;
        }
        Ok(())
    }

    /// Where the database lives (for messages).
    pub fn path(&self) -> &str {
        &self.path
    }

    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    pub(crate) fn error(&self, e: rusqlite::Error) -> StoreError {
        sqlite(&self.path, e)
    }

    /// SQLite's own consistency check: `ok` when the file is sound.
    pub fn integrity(&self) -> Result<String, StoreError> {
        self.conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .map_err(|e| self.error(e))
    }
}

fn sqlite(path: &str, source: rusqlite::Error) -> StoreError {
    StoreError::Sqlite {
        path: path.to_string(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_file_is_created_migrated_and_reopened() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data/nightdesk.db");
        {
            let s = Store::open(&path).unwrap();
            assert_eq!(s.integrity().unwrap(), "ok");
        }
        let s = Store::open(&path).unwrap();
        let v: i64 = s
            .conn()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, MIGRATIONS.len() as i64);
        let mode: String = s
            .conn()
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }

    #[test]
    fn a_newer_schema_is_refused_not_damaged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nightdesk.db");
        drop(Store::open(&path).unwrap());
        {
            let c = Connection::open(&path).unwrap();
            c.execute_batch("PRAGMA user_version = 99").unwrap();
        }
        let e = Store::open(&path).err().unwrap();
        assert!(matches!(e, StoreError::TooNew { found: 99, .. }), "{e}");
    }

    #[test]
    fn a_database_of_an_older_version_is_migrated_with_its_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nightdesk.db");
        {
            let c = Connection::open(&path).unwrap();
            c.execute_batch(&format!(
                "{}; {}; PRAGMA user_version = 2;",
                MIGRATIONS[0], MIGRATIONS[1]
            ))
            .unwrap();
            c.execute(
                "INSERT INTO snooze (source, item, user, at) VALUES ('am', 'fp1', 'anna', '2026-11-27T02:00:00Z')",
                [],
            )
            .unwrap();
        }
        let s = Store::open(&path).unwrap();
        let marks = s.local_marks(jiff::Timestamp::UNIX_EPOCH).unwrap();
        assert_eq!(marks.snoozes.len(), 1, "the version 2 row is still there");
        assert!(marks.notes.is_empty());
        let key = crate::model::ItemKey::new(&crate::model::SourceId::new("am"), "fp1");
        let note = LocalNote {
            text: "after the upgrade".into(),
            user: "anna".into(),
            at: "2026-11-27T03:00:00Z".parse().unwrap(),
        };
        s.add_local_note(&key, "mueller", &note).unwrap();
        let marks = s.local_marks(jiff::Timestamp::UNIX_EPOCH).unwrap();
        assert_eq!(marks.notes[&key], [note]);
    }

    #[test]
    fn version_4_audit_times_are_rewritten_to_one_width_and_sort_as_times() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nightdesk.db");
        // As version 4 wrote them: `Timestamp::to_string`, as many fraction digits as needed.
        let old = [
            "2026-11-27T01:00:00.5Z",
            "2026-11-27T01:00:00Z",
            "2026-11-27T01:00:00.123456789Z",
            "2026-11-27T00:59:59.99Z",
        ];
        {
            let c = Connection::open(&path).unwrap();
            c.execute_batch(&format!(
                "{}; PRAGMA user_version = 4;",
                MIGRATIONS[..4].join(";")
            ))
            .unwrap();
            for at in old {
                c.execute(
                    "INSERT INTO audit (at, user, tenant, source, item, action, params, result)
                     VALUES (?1, 'anna', 'mueller', 'am', 'fp1', 'ack', '{}', 'ok')",
                    [at],
                )
                .unwrap();
            }
        }
        let s = Store::open(&path).unwrap();
        let v: i64 = s
            .conn()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, 5);
        let mut stmt = s
            .conn()
            .prepare("SELECT at FROM audit ORDER BY id")
            .unwrap();
        let stored: Vec<String> = stmt
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            stored,
            [
                "2026-11-27T01:00:00.500000000Z",
                "2026-11-27T01:00:00.000000000Z",
                "2026-11-27T01:00:00.123456789Z",
                "2026-11-27T00:59:59.990000000Z",
            ]
        );
        for (text, at) in stored.iter().zip(old) {
            let again: jiff::Timestamp = text.parse().unwrap();
            assert_eq!(
                again,
                at.parse::<jiff::Timestamp>().unwrap(),
                "same instant"
            );
        }
        let since: jiff::Timestamp = "2026-11-27T01:00:00.1Z".parse().unwrap();
        let after: Vec<String> = s
            .audit_since(since, None)
            .unwrap()
            .iter()
            .map(|e| e.at.to_string())
            .collect();
        assert_eq!(
            after,
            ["2026-11-27T01:00:00.123456789Z", "2026-11-27T01:00:00.5Z"]
        );
        let all = s.audit_since(jiff::Timestamp::UNIX_EPOCH, None).unwrap();
        let order: Vec<String> = all.iter().map(|e| e.at.to_string()).collect();
        assert_eq!(
            order,
            [
                "2026-11-27T00:59:59.99Z",
                "2026-11-27T01:00:00Z",
                "2026-11-27T01:00:00.123456789Z",
                "2026-11-27T01:00:00.5Z",
            ]
        );
    }
}
