//! The marks a technician leaves on items, kept across restarts: snoozes (hidden until a
//! time or until the item changes), seen marks (what was looked at, so new and changed items
//! stand out), local notes (a logbook per item that stays here, e.g. for the next shift),
//! NIS-2 records of significant security incidents, and when the last session ended.

use std::collections::HashMap;

use jiff::Timestamp;
use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError};
use crate::model::{ItemKey, Nis2Facts, SourceId};

/// A snoozed item: hidden until `until`, or until its `updated` differs from
/// `until_change_of`, whichever comes first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snooze {
    pub until: Option<Timestamp>,
    pub until_change_of: Option<Timestamp>,
    pub user: String,
    pub at: Timestamp,
}

/// A note kept only in nightdesk, never sent to the source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalNote {
    pub text: String,
    pub user: String,
    pub at: Timestamp,
}

/// Everything of this module, read at start.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LocalMarks {
    pub snoozes: HashMap<ItemKey, Snooze>,
    /// The `updated` time of each item when it was last looked at.
    pub seen: HashMap<ItemKey, Timestamp>,
    pub nis2: HashMap<ItemKey, (String, Nis2Facts)>,
    /// Local notes per item, oldest first.
    pub notes: HashMap<ItemKey, Vec<LocalNote>>,
    /// When the previous session ended (items changed after it count as new).
    pub last_session_end: Option<Timestamp>,
}

fn ts(text: Option<String>) -> Option<Timestamp> {
    text.and_then(|t| t.parse().ok())
}

fn key(source: String, item: String) -> ItemKey {
    ItemKey::new(&SourceId::new(&source), &item)
}

const LAST_SESSION_END: &str = "last-session-end";

impl Store {
    pub fn snooze(&self, k: &ItemKey, s: &Snooze) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "INSERT OR REPLACE INTO snooze (source, item, until, until_change_of, user, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    k.source.as_str(),
                    &*k.external_id,
                    s.until.map(|t| t.to_string()),
                    s.until_change_of.map(|t| t.to_string()),
                    s.user,
                    s.at.to_string()
                ],
            )
            .map_err(|e| self.error(e))?;
        Ok(())
    }

    pub fn unsnooze(&self, k: &ItemKey) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "DELETE FROM snooze WHERE source = ?1 AND item = ?2",
                params![k.source.as_str(), &*k.external_id],
            )
            .map_err(|e| self.error(e))?;
        Ok(())
    }

    pub fn mark_seen(
        &self,
        k: &ItemKey,
        updated: Timestamp,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "INSERT OR REPLACE INTO seen (source, item, updated, at) VALUES (?1, ?2, ?3, ?4)",
                params![
                    k.source.as_str(),
                    &*k.external_id,
                    updated.to_string(),
                    at.to_string()
                ],
            )
            .map_err(|e| self.error(e))?;
        Ok(())
    }

    pub fn set_nis2(&self, k: &ItemKey, tenant: &str, n: &Nis2Facts) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "INSERT OR REPLACE INTO nis2
                 (source, item, tenant, aware_at, early_warning_at, notification_at, final_report_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    k.source.as_str(),
                    &*k.external_id,
                    tenant,
                    n.aware_at.to_string(),
                    n.early_warning_at.map(|t| t.to_string()),
                    n.notification_at.map(|t| t.to_string()),
                    n.final_report_at.map(|t| t.to_string())
                ],
            )
            .map_err(|e| self.error(e))?;
        Ok(())
    }

    /// Appends a local note (notes are a logbook: never changed, never deleted).
    pub fn add_local_note(
        &self,
        k: &ItemKey,
        tenant: &str,
        note: &LocalNote,
    ) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "INSERT INTO local_note (source, item, tenant, text, user, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    k.source.as_str(),
                    &*k.external_id,
                    tenant,
                    note.text,
                    note.user,
                    note.at.to_string()
                ],
            )
            .map_err(|e| self.error(e))?;
        Ok(())
    }

    pub fn set_last_session_end(&self, at: Timestamp) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
                params![LAST_SESSION_END, at.to_string()],
            )
            .map_err(|e| self.error(e))?;
        Ok(())
    }

    /// Reads every local mark; seen marks older than `forget_before` are deleted first.
    pub fn local_marks(&self, forget_before: Timestamp) -> Result<LocalMarks, StoreError> {
        let c = self.conn();
        c.execute(
            "DELETE FROM seen WHERE at < ?1",
            params![forget_before.to_string()],
        )
        .map_err(|e| self.error(e))?;
        let mut marks = LocalMarks::default();
        let mut stmt = c
            .prepare("SELECT source, item, until, until_change_of, user, at FROM snooze")
            .map_err(|e| self.error(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    key(r.get(0)?, r.get(1)?),
                    Snooze {
                        until: ts(r.get(2)?),
                        until_change_of: ts(r.get(3)?),
                        user: r.get(4)?,
                        at: ts(r.get(5)?).unwrap_or(Timestamp::UNIX_EPOCH),
                    },
                ))
            })
            .map_err(|e| self.error(e))?;
        for row in rows {
            let (k, s) = row.map_err(|e| self.error(e))?;
            marks.snoozes.insert(k, s);
        }
        let mut stmt = c
            .prepare("SELECT source, item, updated FROM seen")
            .map_err(|e| self.error(e))?;
        let rows = stmt
            .query_map([], |r| Ok((key(r.get(0)?, r.get(1)?), ts(r.get(2)?))))
            .map_err(|e| self.error(e))?;
        for row in rows {
            if let (k, Some(t)) = row.map_err(|e| self.error(e))? {
                marks.seen.insert(k, t);
            }
        }
        let mut stmt = c
            .prepare(
                "SELECT source, item, tenant, aware_at, early_warning_at, notification_at, final_report_at FROM nis2",
            )
            .map_err(|e| self.error(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    key(r.get(0)?, r.get(1)?),
                    r.get::<_, String>(2)?,
                    Nis2Facts {
                        aware_at: ts(r.get(3)?).unwrap_or(Timestamp::UNIX_EPOCH),
                        early_warning_at: ts(r.get(4)?),
                        notification_at: ts(r.get(5)?),
                        final_report_at: ts(r.get(6)?),
                    },
                ))
            })
            .map_err(|e| self.error(e))?;
        for row in rows {
            let (k, tenant, n) = row.map_err(|e| self.error(e))?;
            marks.nis2.insert(k, (tenant, n));
        }
        let mut stmt = c
            .prepare("SELECT source, item, text, user, at FROM local_note ORDER BY id")
            .map_err(|e| self.error(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    key(r.get(0)?, r.get(1)?),
                    LocalNote {
                        text: r.get(2)?,
                        user: r.get(3)?,
                        at: ts(r.get(4)?).unwrap_or(Timestamp::UNIX_EPOCH),
                    },
                ))
            })
            .map_err(|e| self.error(e))?;
        for row in rows {
            let (k, note) = row.map_err(|e| self.error(e))?;
            marks.notes.entry(k).or_default().push(note);
        }
        marks.last_session_end = c
            .query_row(
                "SELECT value FROM meta WHERE key = ?1",
                params![LAST_SESSION_END],
                |r| r.get::<_, String>(0),
            )
            .optional()
            .map_err(|e| self.error(e))?
            .and_then(|v| v.parse().ok());
        Ok(marks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn marks_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("n.db");
        let k = ItemKey::new(&SourceId::new("am"), "fp1");
        {
            let s = Store::open(&path).unwrap();
            s.snooze(
                &k,
                &Snooze {
                    until: Some(t("2026-11-27T06:00:00Z")),
                    until_change_of: Some(t("2026-11-27T01:00:00Z")),
                    user: "anna".into(),
                    at: t("2026-11-27T02:00:00Z"),
                },
            )
            .unwrap();
            s.mark_seen(&k, t("2026-11-27T01:00:00Z"), t("2026-11-27T02:00:00Z"))
                .unwrap();
            let old = ItemKey::new(&SourceId::new("am"), "old");
            s.mark_seen(&old, t("2026-01-01T00:00:00Z"), t("2026-01-01T00:00:00Z"))
                .unwrap();
            s.set_nis2(
                &k,
                "mueller",
                &Nis2Facts {
                    aware_at: t("2026-11-27T02:00:00Z"),
                    early_warning_at: Some(t("2026-11-27T10:00:00Z")),
                    notification_at: None,
                    final_report_at: None,
                },
            )
            .unwrap();
            s.set_last_session_end(t("2026-11-27T03:00:00Z")).unwrap();
            for (text, at) in [
                ("called Müller, back at 6", "02:10"),
                ("line 1\nline 2", "02:20"),
            ] {
                let note = LocalNote {
                    text: text.into(),
                    user: "anna".into(),
                    at: t(&format!("2026-11-27T{at}:00Z")),
                };
                s.add_local_note(&k, "mueller", &note).unwrap();
            }
        }
        let s = Store::open(&path).unwrap();
        let m = s.local_marks(t("2026-11-01T00:00:00Z")).unwrap();
        assert_eq!(m.snoozes[&k].until, Some(t("2026-11-27T06:00:00Z")));
        assert_eq!(m.seen.len(), 1, "the old seen mark was forgotten");
        assert_eq!(m.seen[&k], t("2026-11-27T01:00:00Z"));
        assert_eq!(m.nis2[&k].0, "mueller");
        assert_eq!(
            m.nis2[&k].1.early_warning_at,
            Some(t("2026-11-27T10:00:00Z"))
        );
        assert_eq!(m.last_session_end, Some(t("2026-11-27T03:00:00Z")));
        let notes: Vec<&str> = m.notes[&k].iter().map(|n| n.text.as_str()).collect();
        assert_eq!(
            notes,
            ["called Müller, back at 6", "line 1\nline 2"],
            "oldest first"
        );
        assert_eq!(m.notes[&k][1].at, t("2026-11-27T02:20:00Z"));
        s.unsnooze(&k).unwrap();
        assert!(
            s.local_marks(t("2026-11-01T00:00:00Z"))
                .unwrap()
                .snoozes
                .is_empty()
        );
    }
}
