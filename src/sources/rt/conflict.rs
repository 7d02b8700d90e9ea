//! Edit conflicts: what the user last saw of a ticket, whether the ticket changed since,
//! the changes they know of although the queue does not show them yet, and a sentence
//! saying what changed ("Owner Nobody → alice; Status open → stalled; comment by alice"),
//! from the fields themselves and RT's history since then.

use jiff::Timestamp;

use super::records::{NOBODY, TicketRecord, TransactionRecord};
use crate::sources::AsSeen;
use crate::sources::http::snippet;
use crate::sources::mapping::clip;

/// Longest field value quoted in a conflict message.
const MAX_QUOTED_CHARS: usize = 60;
/// Views of a ticket kept in [`Known`] at most (the newest).
const MAX_KNOWN_VIEWS: usize = 16;

/// The fields of a ticket a write-back could overwrite or that change what it means.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TicketView {
    pub last_updated: Option<Timestamp>,
    pub status: String,
    pub owner: String,
    pub subject: String,
    pub priority: Option<i64>,
    /// The queue's id (both the search and `GET /ticket/N` give it).
    pub queue: String,
    pub due: Option<Timestamp>,
}

impl TicketView {
    pub fn of(ticket: &TicketRecord) -> Self {
        Self {
            last_updated: ticket.last_updated,
            status: ticket.status.to_lowercase(),
            owner: ticket.owner_name().unwrap_or(NOBODY).to_string(),
            subject: ticket.subject.clone().unwrap_or_default(),
            priority: ticket.priority,
            queue: ticket
                .queue
                .as_ref()
                .map(|q| q.id.clone())
                .unwrap_or_default(),
            due: ticket.due,
        }
    }

    /// Whether `other` has the same fields, whenever it was updated.
    pub fn same_fields(&self, other: &TicketView) -> bool {
        self.changes_to(other).is_empty()
    }

    /// The fields that differ in `now`, one phrase each.
    pub fn changes_to(&self, now: &TicketView) -> Vec<String> {
        let mut changes = Vec::new();
        if !self.owner.eq_ignore_ascii_case(&now.owner) {
            changes.push(format!(
                "Owner {} → {}",
                quoted(&self.owner),
                quoted(&now.owner)
            ));
        }
        if self.status != now.status {
            changes.push(format!(
                "Status {} → {}",
                quoted(&self.status),
                quoted(&now.status)
            ));
        }
        if self.priority != now.priority {
            let shown = |p: Option<i64>| p.map_or("none".to_string(), |p| p.to_string());
            changes.push(format!(
                "Priority {} → {}",
                shown(self.priority),
                shown(now.priority)
            ));
        }
        if self.queue != now.queue {
            changes.push("moved to another queue".to_string());
        }
        if self.due != now.due {
            let shown = |d: Option<Timestamp>| d.map_or("none".to_string(), |d| d.to_string());
            changes.push(format!("Due {} → {}", shown(self.due), shown(now.due)));
        }
        if self.subject != now.subject {
            changes.push(format!("Subject now \"{}\"", quoted(&now.subject)));
        }
        changes
    }
}

/// What the user saw of a ticket: from the last search, or from the connector's own read
/// right after its own write (then with the ETag of that read).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    pub view: TicketView,
    pub etag: Option<String>,
}

/// A ticket as `GET /ticket/N` has it now, with its ETag.
#[derive(Clone, Debug)]
pub struct Current {
    pub ticket: TicketRecord,
    pub view: TicketView,
    pub etag: Option<String>,
}

impl Seen {
    /// Whether the ticket is no longer what the user saw: another ETag (a transaction
    /// since, also in the same second), or without one a later update or another value
    /// in one of the fields.
    pub fn outdated_by(&self, current: &Current) -> bool {
        match &self.etag {
            Some(_) => self.etag_differs(current),
            None => self.view != current.view,
        }
    }

    /// Whether the ETag this was read with is known and RT's is another now.
    pub fn etag_differs(&self, current: &Current) -> bool {
        self.etag.is_some() && self.etag != current.etag
    }

    /// Whether the user's `seen` shows the ticket as this view does (update to the
    /// second, owner, status).
    pub fn shows(&self, seen: &AsSeen) -> bool {
        self.view.last_updated.is_some_and(|updated| {
            let shown = AsSeen {
                updated,
                status: self.view.status.clone(),
                assignee: (self.view.owner != NOBODY).then(|| self.view.owner.clone()),
            };
            shown.same_as(seen)
        })
    }
}

/// Views of a ticket the user may still have in front of them (the queue was not read
/// again since) and that lead to its state with `etag` through changes the user knows of:
/// nightdesk's own writes, and changes a conflict told them about. A write from one of
/// them overwrites nothing the user has not seen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Known {
    pub etag: String,
    /// The ticket at `etag`: what a user with one of `views` knows (what changed since is
    /// what they have not seen).
    pub view: TicketView,
    pub views: Vec<AsSeen>,
}

impl Known {
    /// `views`, and those of `earlier` when it led to `from_etag`, now lead to `etag`, where
    /// the ticket is `view`.
    pub fn after(
        earlier: Option<&Known>,
        from_etag: Option<&str>,
        views: impl IntoIterator<Item = AsSeen>,
        etag: String,
        view: TicketView,
    ) -> Known {
        let mut all: Vec<AsSeen> = match earlier {
            Some(k) if from_etag == Some(k.etag.as_str()) => k.views.clone(),
            _ => Vec::new(),
        };
        for view in views {
            if !all.iter().any(|v| v.same_as(&view)) {
                all.push(view);
            }
        }
        let excess = all.len().saturating_sub(MAX_KNOWN_VIEWS);
        all.drain(..excess);
        Known {
            etag,
            view,
            views: all,
        }
    }

    /// The ticket as a user who saw `seen` knows it, when they do.
    pub fn known_to(&self, seen: &AsSeen) -> Option<&TicketView> {
        self.views
            .iter()
            .any(|v| v.same_as(seen))
            .then_some(&self.view)
    }

    /// Whether a user who saw `seen` knows the ticket as it is at `etag`.
    pub fn leads(&self, seen: &AsSeen, etag: Option<&str>) -> bool {
        etag == Some(self.etag.as_str()) && self.views.iter().any(|v| v.same_as(seen))
    }
}

/// The conflict message: who changed the ticket when, the fields that differ, and what the
/// history adds (comments, replies) since `before` was read.
pub fn describe(
    id: &str,
    before: &TicketView,
    current: &Current,
    history: &[TransactionRecord],
) -> String {
    let mut parts = before.changes_to(&current.view);
    for event in events_since(history, before.last_updated) {
        if !parts.contains(&event) {
            parts.push(event);
        }
    }
    let by = current
        .ticket
        .last_updated_by
        .as_ref()
        .map(|u| format!(" by {}", quoted(u.shown())))
        .unwrap_or_default();
    let at = current
        .view
        .last_updated
        .map(|t| format!(" at {t}"))
        .unwrap_or_default();
    let what = if parts.is_empty() {
        "updated".to_string()
    } else {
        parts.join("; ")
    };
    snippet(&format!("ticket {id} changed{by}{at}: {what}"))
}

/// The history entries since `since` that the fields do not show (comments, replies, ...).
/// RT's times have whole seconds: an entry in the same second as the view may be newer than
/// it, so it is named too (naming one the user already saw is the lesser harm).
fn events_since(history: &[TransactionRecord], since: Option<Timestamp>) -> Vec<String> {
    history
        .iter()
        .filter(|t| since.is_none_or(|s| t.created >= s))
        .filter_map(|t| {
            let what = match t.kind.as_str() {
                "Comment" => "comment",
                "Correspond" => "reply to the requestor",
                "CustomField" => "custom field changed",
                "AddLink" | "DeleteLink" => "links changed",
                "AddWatcher" | "DelWatcher" => "watchers changed",
                // Field changes show as fields; mail records and the like are RT's own.
                "Set" | "Status" | "Give" | "Take" | "Untake" | "Steal" | "Force" | "Told"
                | "SetWatcher" | "Create" | "EmailRecord" | "CommentEmailRecord" => return None,
                _ => {
                    return Some(format!(
                        "{} by {}",
                        quoted(&t.kind),
                        quoted(t.creator_name())
                    ));
                }
            };
            Some(format!("{what} by {}", quoted(t.creator_name())))
        })
        .collect()
}

fn quoted(text: &str) -> String {
    clip(text, MAX_QUOTED_CHARS).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(owner: &str, status: &str) -> TicketView {
        TicketView {
            last_updated: Some("2026-12-01T06:00:00Z".parse().unwrap()),
            status: status.into(),
            owner: owner.into(),
            subject: "Disk full".into(),
            priority: Some(50),
            queue: "3".into(),
            due: None,
        }
    }

    fn current(view: TicketView, etag: &str, by: &str) -> Current {
        let ticket: TicketRecord = serde_json::from_value(serde_json::json!({
            "id": 12, "Status": view.status, "Created": "2026-12-01T05:00:00Z",
            "LastUpdatedBy": {"type": "user", "id": by}
        }))
        .unwrap();
        Current {
            ticket,
            view,
            etag: Some(etag.into()),
        }
    }

    fn txn(kind: &str, at: &str, by: &str) -> TransactionRecord {
        serde_json::from_value(serde_json::json!({
            "id": "9", "Type": kind, "Created": at, "Creator": {"type": "user", "id": by}
        }))
        .unwrap()
    }

    #[test]
    fn field_changes_and_history_make_the_message() {
        let before = view("Nobody", "open");
        let mut after = view("alice", "stalled");
        after.last_updated = Some("2026-12-01T06:05:00Z".parse().unwrap());
        let history = [
            txn("Comment", "2026-12-01T05:59:00Z", "old"),
            txn("Set", "2026-12-01T06:05:00Z", "alice"),
            txn("Comment", "2026-12-01T06:05:00Z", "alice"),
            txn("EmailRecord", "2026-12-01T06:05:00Z", "RT_System"),
        ];
        let message = describe("12", &before, &current(after, "40", "alice"), &history);
        assert_eq!(
            message,
            "ticket 12 changed by alice at 2026-12-01T06:05:00Z: Owner Nobody → alice; \
             Status open → stalled; comment by alice"
        );
    }

    #[test]
    fn an_update_that_changed_no_field_still_says_so() {
        let before = view("Nobody", "open");
        let mut after = before.clone();
        after.last_updated = Some("2026-12-01T06:05:00Z".parse().unwrap());
        let message = describe("12", &before, &current(after, "41", "bob"), &[]);
        assert_eq!(
            message,
            "ticket 12 changed by bob at 2026-12-01T06:05:00Z: updated"
        );
    }

    #[test]
    fn the_own_etag_or_an_unchanged_ticket_is_no_conflict() {
        let seen_view = view("Nobody", "open");
        let same = current(seen_view.clone(), "40", "x");
        let seen = Seen {
            view: seen_view.clone(),
            etag: None,
        };
        assert!(!seen.outdated_by(&same));
        let mut later = seen_view.clone();
        later.last_updated = Some("2026-12-01T06:01:00Z".parse().unwrap());
        assert!(seen.outdated_by(&current(later.clone(), "41", "x")));
        let own = Seen {
            view: seen_view.clone(),
            etag: Some("41".into()),
        };
        assert!(!own.outdated_by(&current(later, "41", "x")), "our own read");
        let mut same_second = seen_view.clone();
        same_second.owner = "alice".into();
        assert!(seen.outdated_by(&current(same_second, "42", "x")));
        let read = Seen {
            view: seen_view.clone(),
            etag: Some("40".into()),
        };
        assert!(
            read.outdated_by(&current(seen_view, "41", "x")),
            "a comment in the second it was read: another ETag, nothing else"
        );
    }

    fn shown(updated: &str, owner: Option<&str>, status: &str) -> AsSeen {
        AsSeen {
            updated: updated.parse().unwrap(),
            status: status.into(),
            assignee: owner.map(str::to_string),
        }
    }

    fn v() -> TicketView {
        view("me", "new")
    }

    #[test]
    fn known_views_lead_to_one_etag_and_follow_on_only_from_it() {
        let old = shown("2026-12-01T06:00:00Z", None, "new");
        let taken = shown("2026-12-01T06:01:00Z", Some("me"), "new");
        let first = Known::after(None, Some("40"), [old.clone()], "41".into(), v());
        assert!(first.leads(&old, Some("41")));
        assert!(
            first.leads(&shown("2026-12-01T06:00:00.9Z", None, "NEW"), Some("41")),
            "to the second, case aside"
        );
        assert!(!first.leads(&old, Some("42")), "the ticket moved on since");
        assert!(!first.leads(&taken, Some("41")));
        let second = Known::after(Some(&first), Some("41"), [taken.clone()], "43".into(), v());
        assert!(second.leads(&old, Some("43")) && second.leads(&taken, Some("43")));
        let broken = Known::after(Some(&first), Some("42"), [taken.clone()], "44".into(), v());
        assert!(
            !broken.leads(&old, Some("44")),
            "a change in between that nobody was told of ends the chain"
        );
        assert!(broken.leads(&taken, Some("44")));
        assert_eq!(broken.known_to(&taken), Some(&v()));
        assert_eq!(broken.known_to(&old), None);
        let many = (0..40).fold(first, |k, i| {
            let view = shown("2026-12-01T07:00:00Z", Some(&format!("u{i}")), "open");
            Known::after(Some(&k), Some(&k.etag), [view], format!("{}", 100 + i), v())
        });
        assert_eq!(many.views.len(), MAX_KNOWN_VIEWS, "the newest are kept");
        assert_eq!(many.views.last().unwrap().assignee.as_deref(), Some("u39"));
    }

    #[test]
    fn quoted_values_are_short_and_inert() {
        let before = view("Nobody", "open");
        let mut after = before.clone();
        after.subject = format!("\x1b[31mevil\n{}", "x".repeat(200));
        let message = describe("12", &before, &current(after, "1", "x"), &[]);
        assert!(
            !message.contains('\x1b') && !message.contains('\n'),
            "{message}"
        );
        assert!(message.chars().count() <= 200, "{message}");
    }
}
