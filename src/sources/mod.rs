//! The source mechanism: one trait every connector implements (the demo world included), and
//! the messages a running source sends to the application.

pub mod demo;
pub mod runner;

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
    #[error("authentication failed: {0}")]
    Auth(String),
    #[error("unexpected answer: {0}")]
    Protocol(String),
    #[error("not supported by this source")]
    Unsupported,
}

impl SourceError {
    /// The health a source has after this error.
    pub fn health(&self) -> Health {
        match self {
            SourceError::Auth(m) => Health::AuthFailed(m.clone()),
            other => Health::Down(other.to_string()),
        }
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
    /// Assign to the given agent ("take" assigns to the current user).
    Assign { agent: String },
}

impl WriteBack {
    pub fn name(&self) -> &'static str {
        match self {
            WriteBack::Ack { .. } => "ack",
            WriteBack::Unack { .. } => "unack",
            WriteBack::Assign { .. } => "assign",
        }
    }
}

/// What a source can do besides being read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Capabilities {
    pub ack: bool,
    pub unack: bool,
    pub assign: bool,
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

    /// Carry out a write-back on the source. The default refuses.
    fn write_back<'a>(
        &'a mut self,
        _item: &'a ItemKey,
        _action: &'a WriteBack,
        _now: Timestamp,
    ) -> BoxFuture<'a, Result<(), SourceError>> {
        Box::pin(async { Err(SourceError::Unsupported) })
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
    /// The outcome of a write-back the user asked for.
    WriteBackDone {
        source: SourceId,
        item: ItemKey,
        action: &'static str,
        result: Result<(), SourceError>,
    },
}
