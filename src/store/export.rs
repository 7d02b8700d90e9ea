//! `nightdesk audit`: the audit log as CSV or JSON. CSV cells that a spreadsheet would run
//! as a formula (starting with `=`, `+`, `-`, `@`, tab or carriage return) get a leading `'`,
//! since comments and item ids come from people and customers' systems.

use std::io::Write;

use super::AuditEntry;
use super::AuditOutcome;

/// Output formats of the export.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "csv" => Some(Format::Csv),
            "json" => Some(Format::Json),
            _ => None,
        }
    }
}

/// Writes `entries` to `out`.
pub fn export(entries: &[AuditEntry], format: Format, out: impl Write) -> std::io::Result<()> {
    match format {
        Format::Json => {
            let mut out = out;
            serde_json::to_writer_pretty(&mut out, entries)?;
            writeln!(out)
        }
        Format::Csv => write_csv(entries, out),
    }
}

const HEADER: [&str; 9] = [
    "at", "user", "tenant", "source", "item", "action", "params", "result", "error",
];

fn write_csv(entries: &[AuditEntry], out: impl Write) -> std::io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(HEADER)?;
    for e in entries {
        let (result, error) = match &e.outcome {
            AuditOutcome::Ok => ("ok", String::new()),
            AuditOutcome::Failed(m) => ("failed", m.clone()),
        };
        let cells = [
            e.at.to_string(),
            e.user.clone(),
            e.tenant.clone(),
            e.source.clone(),
            e.item.clone(),
            e.action.clone(),
            e.params.to_string(),
            result.to_string(),
            error,
        ];
        w.write_record(cells.iter().map(|c| defused(c)))?;
    }
    w.flush()
}

/// A cell a spreadsheet will show as text, never run as a formula.
fn defused(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(item: &str, outcome: AuditOutcome) -> AuditEntry {
        AuditEntry {
            at: "2026-11-27T01:02:03Z".parse().unwrap(),
            user: "anna".into(),
            tenant: "mueller".into(),
            source: "am".into(),
            item: item.into(),
            action: "ack".into(),
            params: serde_json::json!({"comment": "on it, \"quoted\"", "minutes": 45}),
            outcome,
        }
    }

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        let mut out = Vec::new();
        let entries = [
            entry("fp1", AuditOutcome::Ok),
            entry(
                "=HYPERLINK(\"x\")",
                AuditOutcome::Failed("HTTP 500: a, b".into()),
            ),
        ];
        export(&entries, Format::Csv, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let mut rows = csv::Reader::from_reader(text.as_bytes());
        let records: Vec<csv::StringRecord> = rows.records().map(Result::unwrap).collect();
        assert_eq!(records.len(), 2);
        assert_eq!(&records[0][0], "2026-11-27T01:02:03Z");
        assert_eq!(&records[0][4], "fp1");
        assert_eq!(
            &records[0][6],
            r#"{"comment":"on it, \"quoted\"","minutes":45}"#
        );
        assert_eq!(&records[0][7], "ok");
        assert_eq!(&records[1][4], "'=HYPERLINK(\"x\")");
        assert_eq!(&records[1][8], "HTTP 500: a, b");
    }

    #[test]
    fn json_has_every_field() {
        let mut out = Vec::new();
        export(
            &[entry("fp1", AuditOutcome::Failed("boom".into()))],
            Format::Json,
            &mut out,
        )
        .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v[0]["item"], "fp1");
        assert_eq!(v[0]["result"], "failed");
        assert_eq!(v[0]["error"], "boom");
        assert_eq!(v[0]["params"]["minutes"], 45);
    }
}
