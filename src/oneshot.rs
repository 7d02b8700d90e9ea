//! One-shot work with the configured sources, outside the TUI: `nightdesk list` (read every
//! source once, print the merged queue as text or JSON) and the reachability part of
//! `nightdesk config check` (reach and authenticate every source, one line each). All
//! sources are asked at once; each within its own deadline.

use std::time::Duration;

use futures_util::future::join_all;
use jiff::Timestamp;
use serde::Serialize;

use crate::app::state::App;
use crate::model::{Health, Item, SourceId};
use crate::queue::Entry;
use crate::setup::PlannedSource;
use crate::sla::Level;
use crate::sources::{Fetched, SourceError, SourceEvent};

/// One source's answer to a one-shot read.
pub struct Outcome {
    pub source: SourceId,
    pub kind: &'static str,
    pub result: Result<Fetched, SourceError>,
}

/// Reads every source once, concurrently.
pub async fn fetch_all(sources: &mut [PlannedSource], now: Timestamp) -> Vec<Outcome> {
    join_all(sources.iter_mut().map(|p| async move {
        let deadline = p.policy.fetch_deadline();
        let result = within(deadline, p.source.fetch(now)).await;
        Outcome {
            source: p.source.id().clone(),
            kind: p.source.kind(),
            result,
        }
    }))
    .await
}

/// Reaches and authenticates every source once, concurrently: what answered, or the error.
pub async fn check_all(
    sources: &mut [PlannedSource],
    now: Timestamp,
) -> Vec<(SourceId, &'static str, Result<String, SourceError>)> {
    join_all(sources.iter_mut().map(|p| async move {
        let deadline = p.policy.fetch_deadline();
        let result = within(deadline, p.source.check(now)).await;
        (p.source.id().clone(), p.source.kind(), result)
    }))
    .await
}

async fn within<T>(
    deadline: Duration,
    work: impl std::future::Future<Output = Result<T, SourceError>>,
) -> Result<T, SourceError> {
    tokio::time::timeout(deadline, work)
        .await
        .unwrap_or(Err(SourceError::Timeout(deadline.as_secs())))
}

/// Applies one-shot outcomes to the state (data, then the health each outcome means: a
/// failed source is down at once, there is no retry here).
pub fn apply(app: &mut App, outcomes: Vec<Outcome>, now: Timestamp) {
    for o in outcomes {
        let health = match o.result {
            Ok(fetched) => {
                app.on_source_event(SourceEvent::Data {
                    source: o.source.clone(),
                    at: now,
                    fetched,
                });
                Health::Ok
            }
            Err(e) => e.health(),
        };
        app.on_source_event(SourceEvent::Health {
            source: o.source,
            at: now,
            health,
        });
    }
    app.tick(now);
}

/// The merged queue as `nightdesk list --json` prints it.
#[derive(Serialize)]
pub struct Listing<'a> {
    pub generated_at: Timestamp,
    pub sources: Vec<SourceLine<'a>>,
    pub items: Vec<ListedItem<'a>>,
}

#[derive(Serialize)]
pub struct SourceLine<'a> {
    pub id: &'a str,
    pub kind: &'static str,
    pub health: &'a Health,
}

/// An item with its nearest SLA clock, in queue order.
#[derive(Serialize)]
pub struct ListedItem<'a> {
    #[serde(flatten)]
    pub item: &'a Item,
    /// The nearest unmet SLA clock (the one the queue sorts by).
    pub clock: Option<ListedClock>,
    /// Since when the item's source could not be read, if it cannot.
    pub stale_since: Option<Timestamp>,
}

#[derive(Serialize)]
pub struct ListedClock {
    pub clock: &'static str,
    pub due: Timestamp,
    pub remaining_seconds: i64,
    pub state: &'static str,
}

impl<'a> Listing<'a> {
    pub fn of(app: &'a App) -> Self {
        let items = app
            .view
            .iter()
            .filter_map(|&id| app.queue.entry(id))
            .map(|e| ListedItem {
                item: &e.item,
                clock: nearest_clock(e, app.now),
                stale_since: app.queue.stale_since(e),
            })
            .collect();
        Listing {
            generated_at: app.now,
            sources: app
                .sources
                .iter()
                .map(|(id, info)| SourceLine {
                    id: id.as_str(),
                    kind: info.meta.kind,
                    health: &info.health,
                })
                .collect(),
            items,
        }
    }
}

fn nearest_clock(e: &Entry, now: Timestamp) -> Option<ListedClock> {
    let c = e.clocks.nearest_unmet()?;
    Some(ListedClock {
        clock: c.kind.name(),
        due: c.due(),
        remaining_seconds: c.remaining(now).as_secs(),
        state: match c.level(now) {
            Level::Ok => "ok",
            Level::Warning(_) => "warning",
            Level::Breached => "breached",
            Level::Paused => "paused",
            Level::Met => "met",
        },
    })
}
