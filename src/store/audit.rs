//! The audit log: every action taken from nightdesk (ack, assignment, note, downtime, remote
//! session, restore test recorded, ...) with who, when, where and what came of it. MSPs must
//! document their incident handling; this is the record, exportable as CSV or JSON.
//! Times are stored as RFC 3339 text in UTC with always nine fraction digits, so that the
//! database compares and sorts them as times (`--since`, `ORDER BY at`).

use jiff::Timestamp;
use rusqlite::params;
use serde::Serialize;

use super::{Store, StoreError};

/// What came of an action.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "result", content = "error")]
pub enum AuditOutcome {
    Ok,
    /// The source (or nightdesk) refused; the message as shown to the user.
    Failed(String),
}

/// One line of the audit log.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AuditEntry {
    pub at: Timestamp,
    pub user: String,
    pub tenant: String,
    pub source: String,
    /// The item's id at its source.
    pub item: String,
    /// The action's name (`ack`, `assign`, `session ssh`, `restore-test-done` ...).
    pub action: String,
    /// What was sent: comment, duration, agent, status, argv ... (JSON object).
    pub params: serde_json::Value,
    #[serde(flatten)]
    pub outcome: AuditOutcome,
}

/// How an instant is stored: one width for every instant (`2026-11-27T01:00:00.500000000Z`),
/// so comparing the text compares the times.
pub(crate) fn stored_at(at: Timestamp) -> String {
    format!("{at:.9}")
}

impl Store {
    /// Appends an entry; when this returns, the entry is on disk.
    pub fn record(&self, e: &AuditEntry) -> Result<i64, StoreError> {
        let (result, error) = match &e.outcome {
            AuditOutcome::Ok => ("ok", None),
            AuditOutcome::Failed(m) => ("failed", Some(m.as_str())),
        };
        self.conn()
            .execute(
                "INSERT INTO audit (at, user, tenant, source, item, action, params, result, error)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    stored_at(e.at),
                    e.user,
                    e.tenant,
                    e.source,
                    e.item,
                    e.action,
                    e.params.to_string(),
                    result,
                    error
                ],
            )
            .map_err(|err| self.error(err))?;
        Ok(self.conn().last_insert_rowid())
    }

    /// Entries at or after `since`, oldest first, optionally of one tenant.
    pub fn audit_since(
        &self,
        since: Timestamp,
        tenant: Option<&str>,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        self.audit_query(
            "SELECT at, user, tenant, source, item, action, params, result, error FROM audit
             WHERE at >= ?1 AND (?2 IS NULL OR tenant = ?2) ORDER BY at, id",
            params![stored_at(since), tenant],
        )
    }

    /// Every entry about one item, oldest first (the item's timeline).
    pub fn audit_of_item(&self, source: &str, item: &str) -> Result<Vec<AuditEntry>, StoreError> {
        self.audit_query(
            "SELECT at, user, tenant, source, item, action, params, result, error FROM audit
             WHERE source = ?1 AND item = ?2 ORDER BY at, id",
            params![source, item],
        )
    }

    fn audit_query(
        &self,
        sql: &str,
        args: impl rusqlite::Params,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let mut stmt = self.conn().prepare(sql).map_err(|e| self.error(e))?;
        let rows = stmt
            .query_map(args, |r| {
                let at: String = r.get(0)?;
                let params: String = r.get(6)?;
                let result: String = r.get(7)?;
                let error: Option<String> = r.get(8)?;
                Ok(AuditEntry {
                    at: at.parse().unwrap_or(Timestamp::UNIX_EPOCH),
                    user: r.get(1)?,
                    tenant: r.get(2)?,
                    source: r.get(3)?,
                    item: r.get(4)?,
                    action: r.get(5)?,
                    params: serde_json::from_str(&params).unwrap_or(serde_json::Value::Null),
                    outcome: if result == "ok" {
                        AuditOutcome::Ok
                    } else {
                        AuditOutcome::Failed(error.unwrap_or_default())
                    },
                })
            })
            .map_err(|e| self.error(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.error(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(at: &str, tenant: &str, outcome: AuditOutcome) -> AuditEntry {
        AuditEntry {
            at: at.parse().unwrap(),
            user: "nachtschicht".into(),
            tenant: tenant.into(),
            source: "am".into(),
            item: "fp1".into(),
            action: "ack".into(),
            params: serde_json::json!({"comment": "on it", "minutes": 45}),
            outcome,
        }
    }

    #[test]
    fn entries_come_back_by_time_and_tenant() {
        let s = Store::in_memory().unwrap();
        s.record(&entry("2026-11-27T01:00:00Z", "mueller", AuditOutcome::Ok))
            .unwrap();
        s.record(&entry(
            "2026-11-27T02:00:00Z",
            "schmidt",
            AuditOutcome::Failed("HTTP 500: boom".into()),
        ))
        .unwrap();
        s.record(&entry("2026-11-27T03:00:00Z", "mueller", AuditOutcome::Ok))
            .unwrap();
        let since: Timestamp = "2026-11-27T01:30:00Z".parse().unwrap();
        let all = s.audit_since(since, None).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(
            all[0].outcome,
            AuditOutcome::Failed("HTTP 500: boom".into())
        );
        assert_eq!(all[0].params["minutes"], 45);
        let mueller = s.audit_since(since, Some("mueller")).unwrap();
        assert_eq!(mueller.len(), 1);
        assert_eq!(mueller[0].at.to_string(), "2026-11-27T03:00:00Z");
        assert_eq!(s.audit_of_item("am", "fp1").unwrap().len(), 3);
    }

    #[test]
    fn times_within_one_second_sort_and_filter_as_times() {
        let s = Store::in_memory().unwrap();
        // Written out of order, with 0, 1, 2 and 9 fraction digits in the usual text.
        for at in [
            "2026-11-27T01:00:00.5Z",
            "2026-11-27T01:00:01Z",
            "2026-11-27T01:00:00Z",
            "2026-11-27T01:00:00.25Z",
            "2026-11-27T01:00:00.000000001Z",
        ] {
            s.record(&entry(at, "mueller", AuditOutcome::Ok)).unwrap();
        }
        let times = |since: &str| -> Vec<String> {
            s.audit_since(since.parse().unwrap(), None)
                .unwrap()
                .iter()
                .map(|e| e.at.to_string())
                .collect()
        };
        assert_eq!(
            times("2026-11-27T00:00:00Z"),
            [
                "2026-11-27T01:00:00Z",
                "2026-11-27T01:00:00.000000001Z",
                "2026-11-27T01:00:00.25Z",
                "2026-11-27T01:00:00.5Z",
                "2026-11-27T01:00:01Z",
            ]
        );
        assert_eq!(
            times("2026-11-27T01:00:00.3Z"),
            ["2026-11-27T01:00:00.5Z", "2026-11-27T01:00:01Z"],
            "a --since within the second"
        );
        assert_eq!(times("2026-11-27T01:00:00.5Z")[0], "2026-11-27T01:00:00.5Z");
        assert_eq!(times("2026-11-27T01:00:00.000000001Z").len(), 4);
        let item: Vec<String> = s
            .audit_of_item("am", "fp1")
            .unwrap()
            .iter()
            .map(|e| e.at.to_string())
            .collect();
        assert_eq!(
            item,
            times("2026-11-27T00:00:00Z"),
            "the item's timeline too"
        );
    }
}
