//! What a notification rule says: its trigger, the filters an event must pass, the channels
//! it goes out on, its rate limit and quiet hours; and the rules that apply when the config
//! names none.

use std::sync::Arc;
use std::time::Duration;

use super::quiet::QuietHours;
use super::rate::RateLimit;
use crate::model::{Kind, Priority, SourceId, TenantId};
use crate::sla::ClockKind;

/// Which kind of event a rule reacts to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Trigger {
    /// A new item (any priority unless `priorities` narrows it).
    NewItem,
    /// A new item of priority 1 (or of the rule's `priorities`).
    NewP1,
    /// A new item of one of the rule's `tenants` (which it must list).
    NewItemForMyTenants,
    /// An item's SLA clock crosses a warning threshold.
    SlaWarning,
    /// An item's SLA clock passes its due time.
    SlaBreach,
    /// A source goes down or its credentials are refused (with `recovery`: and answers again).
    SourceDown,
}

impl Trigger {
    pub const ALL: [Trigger; 6] = [
        Trigger::NewItem,
        Trigger::NewP1,
        Trigger::NewItemForMyTenants,
        Trigger::SlaWarning,
        Trigger::SlaBreach,
        Trigger::SourceDown,
    ];

    /// The name in the config (`trigger = "new-p1"`).
    pub fn name(self) -> &'static str {
        match self {
            Trigger::NewItem => "new-item",
            Trigger::NewP1 => "new-p1",
            Trigger::NewItemForMyTenants => "new-item-for-my-tenants",
            Trigger::SlaWarning => "sla-warning",
            Trigger::SlaBreach => "sla-breach",
            Trigger::SourceDown => "source-down",
        }
    }

    pub fn parse(name: &str) -> Option<Trigger> {
        Trigger::ALL.into_iter().find(|t| t.name() == name)
    }

    /// True for the triggers about new items.
    pub fn is_new_item(self) -> bool {
        matches!(
            self,
            Trigger::NewItem | Trigger::NewP1 | Trigger::NewItemForMyTenants
        )
    }

    /// True for the triggers about SLA clocks.
    pub fn is_sla(self) -> bool {
        matches!(self, Trigger::SlaWarning | Trigger::SlaBreach)
    }
}

/// Where a notification goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Channel {
    /// A desktop notification over the D-Bus session bus (`org.freedesktop.Notifications`).
    Desktop,
    /// The terminal bell (BEL).
    Bell,
    /// `ESC ] 777 ; notify ; TITLE ; BODY ESC \` (from urxvt's notify extension; which
    /// terminals show it: docs/notifications.md).
    Osc777,
    /// `ESC ] 9 ; TEXT ESC \` (iTerm2's notification; which terminals show it:
    /// docs/notifications.md).
    Osc9,
}

impl Channel {
    pub const ALL: [Channel; 4] = [
        Channel::Desktop,
        Channel::Bell,
        Channel::Osc777,
        Channel::Osc9,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Channel::Desktop => "desktop",
            Channel::Bell => "bell",
            Channel::Osc777 => "osc777",
            Channel::Osc9 => "osc9",
        }
    }

    pub fn parse(name: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.name() == name)
    }

    /// True for the channels written to the terminal nightdesk runs in.
    pub fn is_terminal(self) -> bool {
        self != Channel::Desktop
    }
}

/// One `[[notifications.rule]]`, validated.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    /// For the log and the summary of held-back notifications.
    pub name: Arc<str>,
    pub trigger: Trigger,
    /// Only items (or, for `source-down`, sources' outage priorities) of these priorities;
    /// `None` = any.
    pub priorities: Option<Vec<Priority>>,
    pub kinds: Option<Vec<Kind>>,
    pub tenants: Option<Vec<TenantId>>,
    pub sources: Option<Vec<SourceId>>,
    /// For SLA triggers: only these clocks.
    pub clocks: Option<Vec<ClockKind>>,
    pub channels: Vec<Channel>,
    /// `None`: no limit.
    pub rate_limit: Option<RateLimit>,
    pub quiet: Option<QuietHours>,
    /// Priorities that still notify during quiet hours.
    pub quiet_except: Vec<Priority>,
    /// For `source-down`: also when the source answers again.
    pub recovery: bool,
}

/// The rate limit of every rule that does not set one: at most 5 a minute.
pub const DEFAULT_RATE_LIMIT: RateLimit = RateLimit {
    count: 5,
    per: Duration::from_secs(60),
};

impl Rule {
    /// A rule with no filters, the default rate limit and no quiet hours.
    pub fn new(name: &str, trigger: Trigger, channels: &[Channel]) -> Rule {
        Rule {
            name: Arc::from(name),
            trigger,
            priorities: (trigger == Trigger::NewP1).then(|| vec![Priority::P1]),
            kinds: None,
            tenants: None,
            sources: None,
            clocks: None,
            channels: channels.to_vec(),
            rate_limit: Some(DEFAULT_RATE_LIMIT),
            quiet: None,
            quiet_except: Vec::new(),
            recovery: false,
        }
    }

    pub fn uses(&self, channel: Channel) -> bool {
        self.channels.contains(&channel)
    }
}

/// The rules when the config names none: a new P1, an SLA breach and a source going down
/// ring the bell and send an OSC 777 notification, at most 5 a minute each.
pub fn default_rules() -> Vec<Rule> {
    let channels = [Channel::Bell, Channel::Osc777];
    vec![
        Rule::new("new-p1", Trigger::NewP1, &channels),
        Rule::new("sla-breach", Trigger::SlaBreach, &channels),
        Rule::new("source-down", Trigger::SourceDown, &channels),
    ]
}
