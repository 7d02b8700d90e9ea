//! Status transitions of demo items, with the SLA facts each one leaves behind: an agent
//! answers (first response), asks the customer (pause starts), the customer replies (pause
//! ends into `past_pauses`), an alert is acknowledged or silenced and taken back, a problem
//! resolves. Used to build the initial history and to move the world.

use std::sync::Arc;

use jiff::Timestamp;

use super::make::Words;
use super::vocab::status;
use crate::model::{Interval, Item, Label, Moment, Status, StatusCategory};

/// Change the status at `at`. Leaving a waiting status closes the running pause.
pub fn set_status(item: &mut Item, new: Status, at: Timestamp) {
    if item.status.category == StatusCategory::Waiting && new.category != StatusCategory::Waiting {
        close_pause(item, at);
    }
    item.status = new;
    item.sla.status_since = Some(Moment::new(at));
    item.updated = item.updated.max(Moment::new(at));
}

fn close_pause(item: &mut Item, at: Timestamp) {
    if let Some(start) = item.sla.status_since.map(Moment::timestamp)
        && start < at
    {
        item.sla.past_pauses.push(Interval { start, end: at });
    }
}

/// An agent answers a ticket: first response given, now in progress and assigned.
pub fn answer(words: &mut Words, item: &mut Item, agent: Arc<str>, at: Timestamp) {
    item.sla.first_response_at.get_or_insert(Moment::new(at));
    item.sla.last_update_at = Some(Moment::new(at));
    item.assignee = Some(agent);
    let next = words.status(StatusCategory::Acknowledged, status::IN_PROGRESS);
    set_status(item, next, at);
}

/// The agent asks the customer (or a vendor, per `label`) and waits; the clocks pause.
pub fn wait_for(words: &mut Words, item: &mut Item, label: &'static str, at: Timestamp) {
    item.sla.last_update_at = Some(Moment::new(at));
    let next = words.status(StatusCategory::Waiting, label);
    set_status(item, next, at);
}

/// The customer replies to a waiting ticket: it is open again and the pause is over.
pub fn customer_replied(words: &mut Words, item: &mut Item, at: Timestamp) {
    let category = if item.assignee.is_some() {
        StatusCategory::Acknowledged
    } else {
        StatusCategory::New
    };
    let next = words.status(category, status::OPEN);
    set_status(item, next, at);
}

/// Assign a ticket to an agent; it is in progress from now on.
pub fn assign(words: &mut Words, item: &mut Item, agent: Arc<str>, at: Timestamp) {
    item.assignee = Some(agent);
    let next = words.status(StatusCategory::Acknowledged, status::IN_PROGRESS);
    set_status(item, next, at);
}

/// What an acknowledgement changed, so that taking it back restores the item.
#[derive(Clone, Debug, PartialEq)]
pub struct Restore {
    status: Status,
    first_response_at: Option<Moment>,
    assignee: Option<Arc<str>>,
    labels: usize,
}

/// How an alert or finding is put aside.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AckKind {
    Acknowledged,
    Silenced,
}

impl AckKind {
    fn word(self) -> &'static str {
        match self {
            AckKind::Acknowledged => status::ACKNOWLEDGED,
            AckKind::Silenced => status::SILENCED,
        }
    }
}

/// Acknowledge (or silence) an alert or backup finding. The acknowledgement is the first
/// response; `author` becomes the assignee and a non-empty `comment` a label. Returns what to
/// restore on unack.
pub fn ack(
    words: &mut Words,
    item: &mut Item,
    how: AckKind,
    author: Arc<str>,
    comment: Option<Arc<str>>,
    at: Timestamp,
) -> Restore {
    let restore = Restore {
        status: item.status.clone(),
        first_response_at: item.sla.first_response_at,
        assignee: item.assignee.clone(),
        labels: item.labels.len(),
    };
    item.sla.first_response_at.get_or_insert(Moment::new(at));
    item.assignee = Some(author);
    if let Some(comment) = comment {
        item.labels.push(Label::new("ack_comment", &comment));
    }
    let next = words.status(StatusCategory::Acknowledged, how.word());
    set_status(item, next, at);
    restore
}

/// Take an acknowledgement back: status, first response, assignee and labels as before.
pub fn unack(item: &mut Item, restore: Restore, at: Timestamp) {
    item.sla.first_response_at = restore.first_response_at;
    item.assignee = restore.assignee;
    item.labels.truncate(restore.labels);
    set_status(item, restore.status, at);
}

/// The problem went away (alert cleared, backup good again, ticket solved).
pub fn resolve(words: &mut Words, item: &mut Item, at: Timestamp) {
    item.sla.resolved_at = Some(Moment::new(at));
    let next = words.status(StatusCategory::Resolved, status::RESOLVED);
    set_status(item, next, at);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ItemKey, Kind, Labels, Priority, SlaFacts, SourceId, TenantId};
    use jiff::SignedDuration;

    fn t(min: i64) -> Timestamp {
        Timestamp::UNIX_EPOCH + SignedDuration::from_mins(min)
    }

    fn ticket() -> Item {
        Item {
            key: ItemKey::new(&SourceId::new("psa"), "1"),
            tenant: TenantId::new("mueller"),
            kind: Kind::Ticket,
            title: "x".into(),
            host: None,
            address: None,
            priority: Priority::P3,
            status: Status::new(StatusCategory::New, status::NEW),
            created: crate::model::Moment::new(t(0)),
            updated: crate::model::Moment::new(t(0)),
            assignee: None,
            labels: Labels::new(),
            link: None,
            sla: SlaFacts {
                status_since: Some(Moment::new(t(0))),
                ..SlaFacts::default()
            },
        }
    }

    #[test]
    fn waiting_then_reply_records_the_pause() {
        let mut w = Words::default();
        let mut item = ticket();
        answer(&mut w, &mut item, Arc::from("Aylin Demir"), t(10));
        wait_for(&mut w, &mut item, status::WAITING_CUSTOMER, t(20));
        assert_eq!(item.status.category, StatusCategory::Waiting);
        customer_replied(&mut w, &mut item, t(50));
        assert_eq!(item.sla.first_response_at, Some(Moment::new(t(10))));
        assert_eq!(
            item.sla.past_pauses.as_slice(),
            [Interval {
                start: t(20),
                end: t(50)
            }]
        );
        assert_eq!(item.status.category, StatusCategory::Acknowledged);
        assert_eq!(&*item.status.label, status::OPEN);
        assert_eq!(item.sla.status_since, Some(Moment::new(t(50))));
        assert_eq!(item.updated, crate::model::Moment::new(t(50)));
    }

    #[test]
    fn second_answer_keeps_the_first_response() {
        let mut w = Words::default();
        let mut item = ticket();
        answer(&mut w, &mut item, Arc::from("A"), t(5));
        answer(&mut w, &mut item, Arc::from("B"), t(9));
        assert_eq!(item.sla.first_response_at, Some(Moment::new(t(5))));
        assert_eq!(item.sla.last_update_at, Some(Moment::new(t(9))));
    }

    #[test]
    fn unack_restores_everything_ack_changed() {
        let mut w = Words::default();
        let mut item = ticket();
        let before = item.clone();
        let restore = ack(
            &mut w,
            &mut item,
            AckKind::Acknowledged,
            Arc::from("Nina Vogel"),
            Some(Arc::from("looking")),
            t(3),
        );
        assert_eq!(item.sla.first_response_at, Some(Moment::new(t(3))));
        assert_eq!(item.label("ack_comment"), Some("looking"));
        unack(&mut item, restore, t(4));
        assert_eq!(item.status, before.status);
        assert_eq!(item.sla.first_response_at, None);
        assert_eq!(item.assignee, None);
        assert!(item.labels.is_empty());
    }
}
