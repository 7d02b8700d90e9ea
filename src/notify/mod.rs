//! Notifications: rules from `[notifications]` decide which events (a new P1, a new item of
//! my tenants, an SLA warning or breach, a source going down or back up) reach the person on
//! duty, and on which channels: a desktop notification over D-Bus, or bytes on the terminal
//! nightdesk runs in (BEL, OSC 777, OSC 9; wrapped for tmux) that travel over SSH.
//!
//! The state decides ([`Notifier`], called from `app::update`) and returns an
//! `Effect::Notify`; the event loop carries it out: terminal bytes between two frames,
//! desktop notifications on the blocking pool. A rule fires at most once per occurrence,
//! a source's first answer is the baseline (nothing already in the queue at the start
//! notifies), and each rule has a rate limit and optional quiet hours. See
//! `docs/notifications.md`.

pub mod desktop;
mod engine;
pub mod event;
pub mod outlet;
pub mod quiet;
pub mod rate;
pub mod rule;
pub mod terminal;
pub mod trial;

use std::sync::Arc;

pub use engine::{Notifier, REMEMBER};
pub use event::{Event, ItemFacts, Occurrence, SourceFacts};
pub use outlet::Outlet;
pub use quiet::QuietHours;
pub use rate::{RateLimit, RateSetting};
pub use rule::{Channel, DEFAULT_RATE_LIMIT, Rule, Trigger, default_rules};
pub use terminal::TerminalKind;

/// One notification to send: texts as built from the event (each channel sanitises them
/// for itself) and the channels of the rules that fired.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notification {
    /// The names of the rules that fired (for the log).
    pub rules: Vec<Arc<str>>,
    /// The item it is about (none for sources and summaries).
    pub item: Option<crate::model::ItemKey>,
    pub title: String,
    pub body: String,
    pub channels: Vec<Channel>,
}

impl Notification {
    /// The names of its channels, for the log: `bell,osc777`.
    pub fn channel_names(&self) -> String {
        let names: Vec<&str> = self.channels.iter().map(|c| c.name()).collect();
        names.join(",")
    }

    /// True when a channel writes to the terminal.
    pub fn has_terminal_channel(&self) -> bool {
        self.channels.iter().any(|c| c.is_terminal())
    }
}

#[cfg(test)]
mod tests;
