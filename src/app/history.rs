//! Status changes seen in this session: when a source's answer changes an item's status, the
//! new status and since when are kept for the item's timeline, so the detail pane shows
//! every change nightdesk saw and not only the current status. Only items whose status
//! changed carry a list (a side map next to the queue): 24 bytes a change (an 8-byte
//! `Moment` and the label the item already holds), the newest [`STATUS_CHANGES_KEPT`] per
//! item, dropped when the item leaves the queue. Not kept across restarts.

use std::sync::Arc;

use super::state::App;
use crate::model::Moment;

/// Status changes kept per item (as many as the timeline shows).
pub const STATUS_CHANGES_KEPT: usize = 8;

/// One observed change: the item's status became `label` at `at` (the source's status
/// time, else the item's update time).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusChange {
    pub at: Moment,
    pub label: Arc<str>,
}

impl App {
    /// After a live answer is applied: the status changes its upserts made are kept; lists
    /// of items that left the queue are dropped.
    pub(super) fn note_status_changes(&mut self) {
        for id in self.queue.take_status_changes() {
            let Some(entry) = self.queue.entry(id) else {
                continue;
            };
            let item = &entry.item;
            let change = StatusChange {
                at: item.sla.status_since.unwrap_or(item.updated),
                label: item.status.label.clone(),
            };
            let list = self.status_changes.entry(item.key.clone()).or_default();
            if list.last() == Some(&change) {
                continue;
            }
            list.push(change);
            if list.len() > STATUS_CHANGES_KEPT {
                list.remove(0);
            }
        }
        if !self.status_changes.is_empty() {
            let queue = &self.queue;
            self.status_changes.retain(|k, _| queue.get(k).is_some());
        }
    }
}
