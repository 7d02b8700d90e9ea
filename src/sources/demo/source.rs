//! The demo world seen through one connector: the PSA, one tenant's monitoring, or the
//! backup system. Each implements [`Source`] exactly like a real connector.

use jiff::Timestamp;

use super::DemoWorld;
use super::world::Feed;
use super::writeback;
use crate::model::{ItemKey, SourceId, TenantId};
use crate::sources::{
    BoxFuture, Capabilities, Fetched, Source, SourceError, Vocabulary, WriteBack,
};

/// One source over the shared [`DemoWorld`].
pub struct DemoSource {
    id: SourceId,
    feed: Feed,
    world: DemoWorld,
}

impl DemoSource {
    pub(super) fn new(world: &DemoWorld, feed: Feed) -> Self {
        let id = world.lock().source_id(feed).clone();
        DemoSource {
            id,
            feed,
            world: world.clone(),
        }
    }
}

impl Source for DemoSource {
    fn id(&self) -> &SourceId {
        &self.id
    }

    fn kind(&self) -> &'static str {
        "demo"
    }

    /// Advance the world to `now` and return the feed's complete current set.
    fn fetch(&mut self, now: Timestamp) -> BoxFuture<'_, Result<Fetched, SourceError>> {
        let result = {
            let mut world = self.world.lock();
            world.advance_to(now);
            world.fetch(self.feed).map(Fetched::Full)
        };
        Box::pin(async move { result })
    }

    fn tenant(&self) -> Option<TenantId> {
        match self.feed {
            Feed::Monitoring(i) => super::names::TENANTS.get(i).map(|t| TenantId::new(t.id)),
            Feed::Psa | Feed::Backup => None,
        }
    }

    fn capabilities(&self) -> Capabilities {
        writeback::capabilities(self.feed)
    }

    fn vocabulary(&self) -> Vocabulary {
        match self.feed {
            Feed::Psa => Vocabulary {
                agents: super::names::AGENTS.iter().map(|a| a.to_string()).collect(),
                statuses: writeback::TICKET_STATUSES
                    .iter()
                    .map(|(w, _)| w.to_string())
                    .collect(),
            },
            Feed::Monitoring(_) | Feed::Backup => Vocabulary::default(),
        }
    }

    fn write_back<'a>(
        &'a mut self,
        item: &'a ItemKey,
        action: &'a WriteBack,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<(), SourceError>> {
        let result = self.world.lock().write_back(self.feed, item, action, now);
        Box::pin(async move { result })
    }
}
