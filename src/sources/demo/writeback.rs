//! Write-backs on the demo world, as the real systems would take them: the monitoring and
//! backup feeds take ack and unack, the PSA takes assignments, status changes and internal
//! notes. The effect shows in the next fetch. A monitoring feed in its outage window refuses
//! like an unreachable server.

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};

use super::lifecycle::{self, AckKind};
use super::vocab::status;
use super::world::{Feed, World};
use crate::model::{ItemKey, Label, Moment, StatusCategory};
use crate::sources::{Capabilities, SourceError, WriteBack};

/// What the feed's system lets the user do.
pub fn capabilities(feed: Feed) -> Capabilities {
    match feed {
        Feed::Psa => Capabilities {
            assign: true,
            set_status: true,
            note: true,
            ..Capabilities::default()
        },
        Feed::Monitoring(_) | Feed::Backup => Capabilities {
            ack: true,
            unack: true,
            ..Capabilities::default()
        },
    }
}

fn check_supported(feed: Feed, action: &WriteBack) -> Result<(), SourceError> {
    capabilities(feed)
        .supports(action)
        .then_some(())
        .ok_or(SourceError::Unsupported)
}

impl World {
    /// Carry out `action` on the item `key` of `feed` at `now` (after advancing to it).
    pub fn write_back(
        &mut self,
        feed: Feed,
        key: &ItemKey,
        action: &WriteBack,
        now: Timestamp,
    ) -> Result<(), SourceError> {
        self.advance_to(now);
        self.check_reachable(feed)?;
        check_supported(feed, action)?;
        let index = self.find(feed, key).ok_or_else(|| unknown(key))?;
        let at = now.max(self.now);
        match action {
            WriteBack::Ack {
                comment,
                author,
                minutes,
            } => self.ack_item(feed, index, author, comment, *minutes, at),
            WriteBack::Unack { .. } => self.unack_item(feed, index, at),
            WriteBack::Assign { agent } => self.assign_ticket(index, agent, at),
            WriteBack::SetStatus { status } => self.set_ticket_status(index, status, at)?,
            WriteBack::Note { text, .. } => self.note_on_ticket(index, text, at),
            _ => return Err(SourceError::Unsupported),
        }
        Ok(())
    }

    /// Position of the item in the feed's list, if the feed shows it.
    fn find(&self, feed: Feed, key: &ItemKey) -> Option<usize> {
        if &key.source != self.source_id(feed) {
            return None;
        }
        self.live
            .of(feed)
            .iter()
            .position(|t| t.item.key.external_id == key.external_id && self.in_feed(feed, &t.item))
    }

    fn ack_item(
        &mut self,
        feed: Feed,
        index: usize,
        author: &str,
        comment: &str,
        minutes: Option<u32>,
        at: Timestamp,
    ) {
        let t = &mut self.live.of_mut(feed)[index];
        if let Some(restore) = t.life.restore.take() {
            // Acknowledging again replaces the earlier acknowledgement.
            lifecycle::unack(&mut t.item, restore, at);
        }
        let comment = (!comment.is_empty()).then(|| Arc::from(comment));
        let how = AckKind::Acknowledged;
        let restore = lifecycle::ack(
            &mut self.words,
            &mut t.item,
            how,
            author.into(),
            comment,
            at,
        );
        t.life.restore = Some(restore);
        t.life.ack_until = minutes.map(|m| at + SignedDuration::from_mins(i64::from(m)));
    }

    /// Taking back an acknowledgement that is not there changes nothing.
    fn unack_item(&mut self, feed: Feed, index: usize, at: Timestamp) {
        let t = &mut self.live.of_mut(feed)[index];
        t.life.ack_until = None;
        if let Some(restore) = t.life.restore.take() {
            lifecycle::unack(&mut t.item, restore, at);
        }
    }

    fn assign_ticket(&mut self, index: usize, agent: &str, at: Timestamp) {
        let agent = Arc::from(agent);
        let item = &mut self.live.tickets[index].item;
        lifecycle::assign(&mut self.words, item, agent, at);
    }
}

impl World {
    /// A status the PSA knows, by its word; anything else is refused with the list.
    fn set_ticket_status(
        &mut self,
        index: usize,
        word: &str,
        at: Timestamp,
    ) -> Result<(), SourceError> {
        let Some(&(label, category)) = TICKET_STATUSES
            .iter()
            .find(|(w, _)| w.eq_ignore_ascii_case(word))
        else {
            let known: Vec<&str> = TICKET_STATUSES.iter().map(|(w, _)| *w).collect();
            return Err(SourceError::Refused(format!(
                "unknown status `{word}` (known: {})",
                known.join(", ")
            )));
        };
        let item = &mut self.live.tickets[index].item;
        if category == StatusCategory::Resolved {
            item.sla.resolved_at = Some(Moment::new(at));
        }
        let next = self.words.status(category, label);
        lifecycle::set_status(item, next, at);
        Ok(())
    }

    /// An internal note: the customer does not see it, so it is no first response.
    fn note_on_ticket(&mut self, index: usize, text: &str, at: Timestamp) {
        let item = &mut self.live.tickets[index].item;
        item.updated = item.updated.max(Moment::new(at));
        let first_line = text.lines().next().unwrap_or_default();
        item.labels.retain(|name, _| name != "last-note");
        item.labels.push(Label::new("last-note", first_line));
    }
}

/// The demo PSA's statuses and what they mean.
pub const TICKET_STATUSES: [(&str, StatusCategory); 6] = [
    (status::NEW, StatusCategory::New),
    (status::OPEN, StatusCategory::Acknowledged),
    (status::IN_PROGRESS, StatusCategory::Acknowledged),
    (status::WAITING_CUSTOMER, StatusCategory::Waiting),
    (status::WAITING_VENDOR, StatusCategory::Waiting),
    (status::RESOLVED, StatusCategory::Resolved),
];

fn unknown(key: &ItemKey) -> SourceError {
    SourceError::Protocol(format!(
        "{} has no item '{}' (404)",
        key.source, key.external_id
    ))
}
