//! The last good snapshot of each source, so that a source that cannot be reached when
//! nightdesk starts still shows what it last said, marked stale with its age, instead of
//! nothing. One row per source, replaced as a whole; the items are stored as JSON, the
//! model's own serde form. A snapshot that no longer reads (an older item format) is
//! dropped, never an error at start.

use jiff::Timestamp;
use rusqlite::params;

use super::{Store, StoreError};
use crate::model::{Item, SourceId};

/// What one source said at its last good read.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    pub source: SourceId,
    pub fetched_at: Timestamp,
    pub items: Vec<Item>,
}

impl Store {
    /// Replaces the snapshot of `snapshot.source`.
    pub fn save_snapshot(&self, snapshot: &Snapshot) -> Result<(), StoreError> {
        let items = serde_json::to_string(&snapshot.items).expect("items serialise");
        self.conn()
            .execute(
                "INSERT OR REPLACE INTO snapshot (source, fetched_at, items) VALUES (?1, ?2, ?3)",
                params![
                    snapshot.source.as_str(),
                    snapshot.fetched_at.to_string(),
                    items
                ],
            )
            .map_err(|e| self.error(e))?;
        Ok(())
    }

    /// The snapshots of the `wanted` sources; every other row is deleted (a source that
    /// left the config), and so is a row that does not read any more.
    pub fn snapshots(&self, wanted: &[SourceId]) -> Result<Vec<Snapshot>, StoreError> {
        let c = self.conn();
        let mut stmt = c
            .prepare("SELECT source, fetched_at, items FROM snapshot")
            .map_err(|e| self.error(e))?;
        let rows: Vec<(String, String, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(|e| self.error(e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.error(e))?;
        let mut out = Vec::new();
        for (source, fetched_at, items) in rows {
            let id = SourceId::new(&source);
            let read = wanted
                .contains(&id)
                .then(|| Some((fetched_at.parse().ok()?, serde_json::from_str(&items).ok()?)))
                .flatten();
            match read {
                Some((fetched_at, items)) => out.push(Snapshot {
                    source: id,
                    fetched_at,
                    items,
                }),
                None => {
                    tracing::info!(source = %source, "snapshot dropped (not configured or unreadable)");
                    c.execute("DELETE FROM snapshot WHERE source = ?1", params![source])
                        .map_err(|e| self.error(e))?;
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Kind, Priority, Status, StatusCategory, TenantId};

    fn item(source: &SourceId, id: &str, title: &str) -> Item {
        let at: Timestamp = "2026-11-27T01:00:00Z".parse().unwrap();
        Item {
            key: crate::model::ItemKey::new(source, id),
            tenant: TenantId::new("mueller"),
            kind: Kind::Alert,
            title: title.into(),
            host: Some("srv-dc01".into()),
            address: None,
            priority: Priority::P2,
            status: Status::new(StatusCategory::New, "firing"),
            created: crate::model::Moment::new(at),
            updated: crate::model::Moment::new(at),
            assignee: None,
            labels: Default::default(),
            link: None,
            sla: Default::default(),
        }
    }

    #[test]
    fn a_snapshot_survives_a_reopen_and_is_replaced_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("n.db");
        let am = SourceId::new("am");
        let first = Snapshot {
            source: am.clone(),
            fetched_at: "2026-11-27T01:10:00Z".parse().unwrap(),
            items: vec![
                item(&am, "a", "disk full"),
                item(&am, "b", "Host down: fw-01"),
            ],
        };
        {
            let s = Store::open(&path).unwrap();
            s.save_snapshot(&first).unwrap();
        }
        let s = Store::open(&path).unwrap();
        let read = s.snapshots(std::slice::from_ref(&am)).unwrap();
        assert_eq!(read, std::slice::from_ref(&first));
        let second = Snapshot {
            fetched_at: "2026-11-27T01:20:00Z".parse().unwrap(),
            items: vec![item(&am, "b", "Host down: fw-01")],
            ..first.clone()
        };
        s.save_snapshot(&second).unwrap();
        assert_eq!(s.snapshots(std::slice::from_ref(&am)).unwrap(), [second]);
    }

    #[test]
    fn snapshots_of_sources_no_longer_configured_or_unreadable_are_dropped() {
        let s = Store::in_memory().unwrap();
        let (am, gone) = (SourceId::new("am"), SourceId::new("gone"));
        for source in [&am, &gone] {
            s.save_snapshot(&Snapshot {
                source: source.clone(),
                fetched_at: "2026-11-27T01:10:00Z".parse().unwrap(),
                items: vec![item(source, "a", "x")],
            })
            .unwrap();
        }
        s.conn()
            .execute(
                "UPDATE snapshot SET items = '[{\"old\": 1}]' WHERE source = 'am'",
                [],
            )
            .unwrap();
        assert_eq!(s.snapshots(std::slice::from_ref(&am)).unwrap(), []);
        let left: i64 = s
            .conn()
            .query_row("SELECT count(*) FROM snapshot", [], |r| r.get(0))
            .unwrap();
        assert_eq!(left, 0, "both rows deleted");
    }
}
