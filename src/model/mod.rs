//! The one item model shared by tickets, monitoring alerts and backup findings, plus the
//! identifiers that tie an item to its tenant and its source.

mod labels;
mod moment;
mod pauses;

use std::fmt;
use std::sync::Arc;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

pub use labels::{Label, Labels};
pub use moment::Moment;
pub use pauses::Pauses;

/// A configured source (one Alertmanager, one PSA, one demo monitoring feed, ...).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SourceId(pub Arc<str>);

/// A customer of the MSP. Contracts (SLA) and calendars hang off the tenant.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TenantId(pub Arc<str>);

macro_rules! id_impls {
    ($t:ty) => {
        impl $t {
            pub fn new(s: &str) -> Self {
                Self(Arc::from(s))
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}
id_impls!(SourceId);
id_impls!(TenantId);

/// Identity of an item across refreshes: the source plus the id the source gave it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ItemKey {
    pub source: SourceId,
    pub external_id: Box<str>,
}

impl ItemKey {
    pub fn new(source: &SourceId, external_id: &str) -> Self {
        Self {
            source: source.clone(),
            external_id: external_id.into(),
        }
    }
}

/// What an item is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Ticket,
    Alert,
    Backup,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Ticket, Kind::Alert, Kind::Backup];

    /// Stable machine name, used in filters (`k:alert`) and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Ticket => "ticket",
            Kind::Alert => "alert",
            Kind::Backup => "backup",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        let s = s.to_ascii_lowercase();
        Kind::ALL
            .into_iter()
            .find(|k| k.name().starts_with(&s) && !s.is_empty())
    }
}

/// Normalised priority. P1 = critical outage, P4 = low.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Priority {
    P1,
    P2,
    P3,
    P4,
}

impl Priority {
    pub const ALL: [Priority; 4] = [Priority::P1, Priority::P2, Priority::P3, Priority::P4];

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn number(self) -> u8 {
        self as u8 + 1
    }

    /// Accepts `1`, `p1`, `P1`.
    pub fn parse(s: &str) -> Option<Priority> {
        let s = s.trim();
        let digits = s
            .strip_prefix('p')
            .or_else(|| s.strip_prefix('P'))
            .unwrap_or(s);
        match digits {
            "1" => Some(Priority::P1),
            "2" => Some(Priority::P2),
            "3" => Some(Priority::P3),
            "4" => Some(Priority::P4),
            _ => None,
        }
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "P{}", self.number())
    }
}

/// Where an item stands in its life, normalised across sources. The source's own status
/// text is kept in [`Status::label`]; whether a clock pauses is decided by the contract's
/// list of waiting statuses, matched against that label.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StatusCategory {
    /// Nobody has reacted yet (a firing alert, a new ticket, a failed backup).
    New,
    /// Somebody owns or acknowledged it and works on it.
    Acknowledged,
    /// Waiting for the customer or a third party.
    Waiting,
    /// Done: resolved alert, solved ticket, backup good again.
    Resolved,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    pub category: StatusCategory,
    /// The source's own word ("firing", "Warten auf Kunde", "stalled").
    pub label: Arc<str>,
}

impl Status {
    pub fn new(category: StatusCategory, label: &str) -> Self {
        Self {
            category,
            label: Arc::from(label),
        }
    }
}

/// A closed interval of wall-clock time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interval {
    pub start: Timestamp,
    pub end: Timestamp,
}

/// SLA-relevant facts an item carries from its source. The clocks themselves are computed by
/// [`crate::sla`] from these facts and the tenant's contract. Instants are kept to the
/// millisecond ([`Moment`], 8 bytes each); finer digits a source gives are dropped.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaFacts {
    /// When the first response was given (met the first-response clock).
    pub first_response_at: Option<Moment>,
    /// When the item was resolved (met the resolution clock).
    pub resolved_at: Option<Moment>,
    /// Last update sent to the customer (for the optional next-update clock).
    pub last_update_at: Option<Moment>,
    /// Past pauses (waiting statuses) that are over; they extend the due times.
    pub past_pauses: Pauses,
    /// Since when the item is in its current status (start of a running pause).
    pub status_since: Option<Moment>,
    /// The source itself says its clocks are paused now (HaloPSA on hold, a Zammad state
    /// that ignores escalation, Autotask's paused SLA), whatever the contract's list says.
    #[serde(default)]
    pub paused_by_source: bool,
    /// Due times the source computed itself; they take precedence over computed ones.
    pub supplied_first_response_due: Option<Moment>,
    pub supplied_resolution_due: Option<Moment>,
    /// Marked locally as a significant security incident (NIS-2): its reporting clocks.
    #[serde(default)]
    pub nis2: Option<Box<Nis2Facts>>,
}

/// The NIS-2 reporting steps of a significant security incident, as recorded locally.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Nis2Facts {
    /// When the MSP became aware of the significant incident (the clocks start here).
    pub aware_at: Timestamp,
    /// Early warning to the CSIRT / authority sent (due 24 h after awareness).
    pub early_warning_at: Option<Timestamp>,
    /// Incident notification sent (due 72 h after awareness).
    pub notification_at: Option<Timestamp>,
    /// Final report sent (due one month after the incident notification).
    pub final_report_at: Option<Timestamp>,
}

/// One row of the queue: a ticket, an alert or a backup finding.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub key: ItemKey,
    pub tenant: TenantId,
    pub kind: Kind,
    pub title: Box<str>,
    /// Host name of the affected machine, if any.
    pub host: Option<Arc<str>>,
    /// Network address (IP or FQDN) to reach the host, if the source knows it.
    pub address: Option<Arc<str>>,
    pub priority: Priority,
    pub status: Status,
    /// When the source created it, to the millisecond (8 bytes; `.timestamp()` for jiff).
    pub created: Moment,
    /// When the source last changed it, to the millisecond.
    pub updated: Moment,
    pub assignee: Option<Arc<str>>,
    pub labels: Labels,
    /// The item's page in the source's web UI.
    pub link: Option<Box<str>>,
    pub sla: SlaFacts,
}

impl Item {
    /// The value of the item's first label called `name`.
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels.get(name)
    }
}

/// Health of one source as the status bar shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "state", content = "detail")]
pub enum Health {
    /// Not polled yet.
    Pending,
    Ok,
    /// Answers, but slowly or partly (some retries needed).
    Degraded(String),
    /// Unreachable: its items are stale.
    Down(String),
    /// Reached, but the credentials were refused.
    AuthFailed(String),
}

impl Health {
    pub fn is_ok(&self) -> bool {
        matches!(self, Health::Ok)
    }

    /// True when the source's data can no longer be trusted to be current.
    pub fn is_stale(&self) -> bool {
        matches!(self, Health::Down(_) | Health::AuthFailed(_))
    }

    pub fn name(&self) -> &'static str {
        match self {
            Health::Pending => "pending",
            Health::Ok => "ok",
            Health::Degraded(_) => "degraded",
            Health::Down(_) => "down",
            Health::AuthFailed(_) => "auth-failed",
        }
    }
}
