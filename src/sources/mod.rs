//! The source mechanism: one trait every connector implements (the demo world included), and
//! the messages a running source sends to the application.

pub mod alertmanager;
pub mod autotask;
pub mod backup;
pub mod build;
pub mod checkmk;
pub mod demo;
pub mod halopsa;
pub mod http;
pub mod icinga;
pub mod mapping;
pub mod prtg;
pub mod redmine;
pub mod rt;
pub mod runner;
pub mod tickets;
pub mod zabbix;
pub mod zammad;

use std::future::Future;
use std::pin::Pin;

use jiff::Timestamp;

use crate::model::{Health, Item, ItemKey, SourceId, TenantId};

/// A boxed future, so that sources can be stored as trait objects.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What one fetch returned.
#[derive(Debug, Clone)]
pub enum Fetched {
    /// The complete current set of the source's items; anything not in it is gone.
    Full(Vec<Item>),
    /// Only what changed since the previous fetch.
    Delta {
        upserts: Vec<Item>,
        removed: Vec<ItemKey>,
    },
}

/// Why a fetch or a write-back failed. The kind decides the health shown.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    #[error("timed out after {0} s")]
    Timeout(u64),
    #[error("unreachable: {0}")]
    Unreachable(String),
    /// The TLS handshake failed: certificate not trusted, wrong name, expired.
    #[error("TLS: {0}")]
    Tls(String),
    #[error("authentication failed: {0}")]
    Auth(String),
    /// The server asks to slow down (HTTP 429); `Some(s)`: it said when to come back.
    #[error("rate limited by the server{}", .0.map(|s| format!(" (retry after {s} s)")).unwrap_or_default())]
    RateLimited(Option<u64>),
    /// The server answered with an error status the connector did not expect.
    #[error("HTTP {status}: {message}")]
    Http { status: u16, message: String },
    /// Someone else changed the item since it was read (an `If-Match` precondition
    /// failed); `0` says what changed, so the user can decide with their text still there.
    #[error("changed meanwhile by someone else: {0}")]
    Conflict(String),
    /// The server refused a write-back (e.g. "service is OK", "no such silence").
    #[error("refused: {0}")]
    Refused(String),
    #[error("unexpected answer: {0}")]
    Protocol(String),
    #[error("not supported by this source")]
    Unsupported,
}

impl SourceError {
    /// The health a source has after this error, when it failed a fetch.
    pub fn health(&self) -> Health {
        match self {
            SourceError::Auth(m) => Health::AuthFailed(m.clone()),
            SourceError::RateLimited(_) => Health::Degraded(self.to_string()),
            other => Health::Down(other.to_string()),
        }
    }

    /// Whether the failure is worth retrying soon (an outage, not a wrong password).
    pub fn is_transient(&self) -> bool {
        !matches!(self, SourceError::Auth(_) | SourceError::Unsupported)
    }
}

/// A write-back the user asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteBack {
    /// Acknowledge an alert (or a finding) with a comment, optionally for a while.
    Ack {
        comment: String,
        author: String,
        minutes: Option<u32>,
    },
    /// Take back an acknowledgement.
    Unack { author: String },
    /// Schedule a downtime from now on for `minutes`.
    Downtime {
        comment: String,
        author: String,
        minutes: u32,
    },
    /// Ask the monitoring to check again now.
    Recheck,
    /// Assign to the given agent ("take" assigns to the current user).
    Assign { agent: String },
    /// Move a ticket to another status (the source's own status name).
    SetStatus { status: String },
    /// An internal note (not sent to the customer).
    Note { text: String, author: String },
}

impl WriteBack {
    /// What the audit log records of it (the author is recorded as the entry's user).
    pub fn audit_params(&self) -> serde_json::Value {
        use serde_json::json;
        match self {
            WriteBack::Ack {
                comment, minutes, ..
            } => json!({"comment": comment, "minutes": minutes}),
            WriteBack::Unack { .. } | WriteBack::Recheck => json!({}),
            WriteBack::Downtime {
                comment, minutes, ..
            } => {
                json!({"comment": comment, "minutes": minutes})
            }
            WriteBack::Assign { agent } => json!({"agent": agent}),
            WriteBack::SetStatus { status } => json!({"status": status}),
            WriteBack::Note { text, .. } => json!({"text": text}),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            WriteBack::Ack { .. } => "ack",
            WriteBack::Unack { .. } => "unack",
            WriteBack::Downtime { .. } => "downtime",
            WriteBack::Recheck => "recheck",
            WriteBack::Assign { .. } => "assign",
            WriteBack::SetStatus { .. } => "set-status",
            WriteBack::Note { .. } => "note",
        }
    }
}

/// An item as the user had it in front of them when they asked for a write-back: as the
/// queue showed it when the form opened (or the key was pressed), not as a read since then
/// shows it. It goes with the write-back, so that a connector that can tell may refuse with
/// [`SourceError::Conflict`] when someone else changed the item since, instead of
/// overwriting a change the user never saw (a later read of the queue picking the change up
/// makes no difference). Such a connector must let the same write-back with the same
/// `AsSeen` through once it has told the user that conflict and nothing changed since: the
/// form comes back with it and the user decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsSeen {
    /// The item's last update.
    pub updated: Timestamp,
    /// Its status in the source's words (the status label).
    pub status: String,
    /// Its assignee; `None`: nobody.
    pub assignee: Option<String>,
}

impl AsSeen {
    /// The item as the queue shows it now.
    pub fn of(item: &Item) -> Self {
        Self {
            updated: item.updated.timestamp(),
            status: item.status.label.to_string(),
            assignee: item.assignee.as_deref().map(str::to_string),
        }
    }

    /// Whether `other` shows the item in the same state: the same update to the second (the
    /// precision most sources have), status and assignee, case aside.
    pub fn same_as(&self, other: &AsSeen) -> bool {
        self.updated.as_second() == other.updated.as_second()
            && self.status.trim().eq_ignore_ascii_case(other.status.trim())
            && match (&self.assignee, &other.assignee) {
                (None, None) => true,
                (Some(a), Some(b)) => a.trim().eq_ignore_ascii_case(b.trim()),
                _ => false,
            }
    }
}

/// Agents and statuses of a source, for completion in the assign and status forms.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vocabulary {
    /// Names that `assign` accepts (the source's login names).
    pub agents: Vec<String>,
    /// Status names that `set-status` accepts, in the source's own words.
    pub statuses: Vec<String>,
}

/// What a source can do besides being read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Capabilities {
    pub ack: bool,
    pub unack: bool,
    pub downtime: bool,
    pub recheck: bool,
    pub assign: bool,
    pub set_status: bool,
    pub note: bool,
}

impl Capabilities {
    /// Whether a source with these capabilities can carry out `action`.
    pub fn supports(&self, action: &WriteBack) -> bool {
        match action {
            WriteBack::Ack { .. } => self.ack,
            WriteBack::Unack { .. } => self.unack,
            WriteBack::Downtime { .. } => self.downtime,
            WriteBack::Recheck => self.recheck,
            WriteBack::Assign { .. } => self.assign,
            WriteBack::SetStatus { .. } => self.set_status,
            WriteBack::Note { .. } => self.note,
        }
    }
}

/// One connector. `fetch` is called by the source's own task on its poll interval; a source
/// keeps whatever state it needs for incremental fetches.
pub trait Source: Send {
    fn id(&self) -> &SourceId;

    /// The connector kind as written in the config (`demo`, `alertmanager`, ...).
    fn kind(&self) -> &'static str;

    fn fetch(&mut self, now: Timestamp) -> BoxFuture<'_, Result<Fetched, SourceError>>;

    /// The tenant this source watches, when it watches exactly one (a customer's own
    /// monitoring). Used to name the tenant whose monitoring is blind when the source is down.
    fn tenant(&self) -> Option<TenantId> {
        None
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::default()
    }

    /// The words a user may pick from for this source's write-backs, as last read: agents
    /// to assign to, statuses to set. Empty when the source has none (or did not say).
    fn vocabulary(&self) -> Vocabulary {
        Vocabulary::default()
    }

    /// Why the last successful fetch was incomplete (a peer of an HA pair unreachable,
    /// records that could not be read), if it was: the source then shows as degraded.
    fn degraded(&self) -> Option<String> {
        None
    }

    /// Reach and authenticate the source without changing anything (`config check`):
    /// a short description of what answered ("Alertmanager 0.25.0, 3 alerts"). The default
    /// fetches once.
    fn check(&mut self, now: Timestamp) -> BoxFuture<'_, Result<String, SourceError>> {
        Box::pin(async move {
            match self.fetch(now).await? {
                Fetched::Full(items) => Ok(format!("{} items", items.len())),
                Fetched::Delta { upserts, .. } => Ok(format!("{} changed items", upserts.len())),
            }
        })
    }

    /// Carry out a write-back on the source. The default refuses.
    fn write_back<'a>(
        &'a mut self,
        _item: &'a ItemKey,
        _action: &'a WriteBack,
        _now: Timestamp,
    ) -> BoxFuture<'a, Result<(), SourceError>> {
        Box::pin(async { Err(SourceError::Unsupported) })
    }

    /// [`Source::write_back`] for a user who had the item in front of them as `seen` (`None`:
    /// not known). This is what the application calls. The default does not look at `seen`;
    /// a connector that can tell whether the item changed since compares (see [`AsSeen`]).
    fn write_back_as_seen<'a>(
        &'a mut self,
        item: &'a ItemKey,
        action: &'a WriteBack,
        seen: Option<&'a AsSeen>,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<(), SourceError>> {
        let _ = seen;
        self.write_back(item, action, now)
    }
}

/// A message from a running source to the application.
#[derive(Debug, Clone)]
pub enum SourceEvent {
    /// A fetch succeeded.
    Data {
        source: SourceId,
        at: Timestamp,
        fetched: Fetched,
    },
    /// The source's health changed, or a fetch failed.
    Health {
        source: SourceId,
        at: Timestamp,
        health: Health,
    },
    /// The source's agents and statuses changed (sent after a fetch when they did).
    Vocabulary {
        source: SourceId,
        vocabulary: Vocabulary,
    },
    /// The outcome of a write-back the user asked for.
    WriteBackDone {
        /// The number the application gave the write-back when it sent it
        /// ([`runner::SourceCommand::WriteBack`]): two write-backs of the same kind to the
        /// same item are told apart by it.
        seq: u64,
        source: SourceId,
        item: ItemKey,
        action: &'static str,
        result: Result<(), SourceError>,
    },
}
