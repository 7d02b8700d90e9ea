//! The events rules react to, with the facts the filters and the texts need, and the
//! identity of each occurrence for dedupe.

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::i18n::{Lang, Msg, fill, kind_label, t};
use crate::model::{Item, ItemKey, Kind, Priority, SourceId, TenantId};
use crate::sla::ClockKind;

/// What the filters and the texts need of an item.
#[derive(Clone, Debug, PartialEq)]
pub struct ItemFacts {
    pub key: ItemKey,
    pub tenant: TenantId,
    pub tenant_name: String,
    pub kind: Kind,
    pub priority: Priority,
    pub title: String,
    pub host: Option<String>,
}

impl ItemFacts {
    pub fn of(item: &Item, tenant_name: &str) -> ItemFacts {
        ItemFacts {
            key: item.key.clone(),
            tenant: item.tenant.clone(),
            tenant_name: tenant_name.to_string(),
            kind: item.kind,
            priority: item.priority,
            title: item.title.to_string(),
            host: item.host.as_deref().map(str::to_string),
        }
    }
}

/// What the filters and the texts need of a source whose health changed.
#[derive(Clone, Debug, PartialEq)]
pub struct SourceFacts {
    pub source: SourceId,
    /// The tenant the source watches, if it watches one.
    pub tenant: Option<TenantId>,
    pub tenant_name: Option<String>,
    /// The priority of its outage item.
    pub priority: Priority,
    /// When the outage began.
    pub since: Timestamp,
    /// The credentials were refused (rather than the source unreachable).
    pub auth_failed: bool,
    /// The source's error (down) or empty (back up).
    pub reason: String,
}

/// Something that may be worth a notification.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// An item appeared that this session has not seen before.
    NewItem(ItemFacts),
    /// An item in the queue was raised to a higher priority (from `from` to its current
    /// one): for a rule that watches new items of some priorities, it has just become one.
    Raised {
        item: ItemFacts,
        from: Priority,
    },
    /// A clock crossed its warning threshold number `threshold` (0 = first).
    SlaWarning {
        item: ItemFacts,
        clock: ClockKind,
        threshold: u8,
        due: Timestamp,
    },
    SlaBreach {
        item: ItemFacts,
        clock: ClockKind,
        due: Timestamp,
    },
    SourceDown(SourceFacts),
    /// The source answers again after an outage that began at `since`.
    SourceUp(SourceFacts),
}

/// The identity of one occurrence: a rule fires at most once for each.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Occurrence {
    New(ItemKey),
    Raised(ItemKey, Priority),
    Warning(ItemKey, ClockKind, u8),
    Breach(ItemKey, ClockKind),
    Down(SourceId, Timestamp),
    Up(SourceId, Timestamp),
}

/// The facts the filters look at, the same for every kind of event.
pub struct Subject<'a> {
    pub priority: Priority,
    pub kind: Option<Kind>,
    pub tenant: Option<&'a TenantId>,
    pub source: &'a SourceId,
    pub clock: Option<ClockKind>,
}

impl Event {
    pub fn occurrence(&self) -> Occurrence {
        match self {
            Event::NewItem(i) => Occurrence::New(i.key.clone()),
            Event::Raised { item, .. } => Occurrence::Raised(item.key.clone(), item.priority),
            Event::SlaWarning {
                item,
                clock,
                threshold,
                ..
            } => Occurrence::Warning(item.key.clone(), *clock, *threshold),
            Event::SlaBreach { item, clock, .. } => Occurrence::Breach(item.key.clone(), *clock),
            Event::SourceDown(s) => Occurrence::Down(s.source.clone(), s.since),
            Event::SourceUp(s) => Occurrence::Up(s.source.clone(), s.since),
        }
    }

    pub fn subject(&self) -> Subject<'_> {
        match self {
            Event::NewItem(item) | Event::Raised { item, .. } => item_subject(item, None),
            Event::SlaWarning { item, clock, .. } | Event::SlaBreach { item, clock, .. } => {
                item_subject(item, Some(*clock))
            }
            Event::SourceDown(s) | Event::SourceUp(s) => Subject {
                priority: s.priority,
                kind: None,
                tenant: s.tenant.as_ref(),
                source: &s.source,
                clock: None,
            },
        }
    }

    /// The item the event is about, if any.
    pub fn item_key(&self) -> Option<&ItemKey> {
        match self {
            Event::NewItem(i)
            | Event::Raised { item: i, .. }
            | Event::SlaWarning { item: i, .. }
            | Event::SlaBreach { item: i, .. } => Some(&i.key),
            Event::SourceDown(_) | Event::SourceUp(_) => None,
        }
    }

    /// Title and body in `lang`, times in `tz`. Not yet sanitised: each channel makes the
    /// text safe in its own way.
    pub fn texts(&self, lang: Lang, tz: &TimeZone) -> (String, String) {
        let due = |at: &Timestamp| crate::sla::due_label(*at, tz, lang.is_german());
        match self {
            Event::NewItem(i) => {
                let title = fill(
                    t(lang, Msg::NotifyNewItem),
                    &[
                        &i.priority.to_string(),
                        kind_label(lang, i.kind),
                        &i.tenant_name,
                    ],
                );
                (title, item_title_with_host(i))
            }
            Event::Raised { item: i, from } => {
                let title = fill(
                    t(lang, Msg::NotifyRaised),
                    &[
                        &from.to_string(),
                        &i.priority.to_string(),
                        kind_label(lang, i.kind),
                        &i.tenant_name,
                    ],
                );
                (title, item_title_with_host(i))
            }
            Event::SlaWarning {
                item,
                clock,
                due: d,
                ..
            } => (
                fill(
                    t(lang, Msg::NotifySlaWarning),
                    &[crate::i18n::clock_label(lang, *clock), &due(d)],
                ),
                item_line(lang, item),
            ),
            Event::SlaBreach {
                item,
                clock,
                due: d,
            } => (
                fill(
                    t(lang, Msg::NotifySlaBreach),
                    &[crate::i18n::clock_label(lang, *clock), &due(d)],
                ),
                item_line(lang, item),
            ),
            Event::SourceDown(s) => {
                let msg = if s.auth_failed {
                    Msg::NotifySourceAuthFailed
                } else {
                    Msg::NotifySourceDown
                };
                let body = fill(
                    t(lang, Msg::NotifyBlindSince),
                    &[watched(s), &due(&s.since), &s.reason],
                );
                (fill(t(lang, msg), &[s.source.as_str()]), body)
            }
            Event::SourceUp(s) => (
                fill(t(lang, Msg::NotifySourceUp), &[s.source.as_str()]),
                fill(t(lang, Msg::NotifyWasBlind), &[watched(s), &due(&s.since)]),
            ),
        }
    }
}

fn item_subject(item: &ItemFacts, clock: Option<ClockKind>) -> Subject<'_> {
    Subject {
        priority: item.priority,
        kind: Some(item.kind),
        tenant: Some(&item.tenant),
        source: &item.key.source,
        clock,
    }
}

/// The item's title, with its host when the title does not name it already.
fn item_title_with_host(i: &ItemFacts) -> String {
    match &i.host {
        Some(host) if !i.title.contains(host.as_str()) => format!("{} ({host})", i.title),
        _ => i.title.clone(),
    }
}

/// `P1 Hansa Logistik GmbH: Host down: fw-01`.
fn item_line(lang: Lang, i: &ItemFacts) -> String {
    fill(
        t(lang, Msg::NotifyItemLine),
        &[
            &i.priority.to_string(),
            &i.tenant_name,
            &item_title_with_host(i),
        ],
    )
}

/// What a source watches: its tenant's name, else its id.
fn watched(s: &SourceFacts) -> &str {
    s.tenant_name.as_deref().unwrap_or(s.source.as_str())
}
