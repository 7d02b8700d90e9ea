//! The semantic style names the UI uses. A name falls back to its nearest known prefix
//! (`priority.p1` -> `priority`), and names without one fall back to `text`.

use crate::model::{Health, Kind, Priority, StatusCategory};

macro_rules! style_names {
    ($($variant:ident = $name:literal,)*) => {
        /// One semantic style of the UI.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum StyleName {
            $($variant,)*
        }

        impl StyleName {
            /// Every name, parents before their children.
            pub const ALL: &'static [StyleName] = &[$(StyleName::$variant,)*];
            pub const COUNT: usize = Self::ALL.len();

            /// The name as written in theme files.
            pub const fn name(self) -> &'static str {
                match self {
                    $(StyleName::$variant => $name,)*
                }
            }

            pub fn from_name(name: &str) -> Option<StyleName> {
                match name {
                    $($name => Some(StyleName::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

style_names! {
    Text = "text",
    TextMuted = "text.muted",
    Border = "border",
    BorderFocused = "border.focused",
    Title = "title",
    Header = "header",
    Selection = "selection",
    Marked = "marked",
    Priority = "priority",
    PriorityP1 = "priority.p1",
    PriorityP2 = "priority.p2",
    PriorityP3 = "priority.p3",
    PriorityP4 = "priority.p4",
    Sla = "sla",
    SlaOk = "sla.ok",
    SlaWarning = "sla.warning",
    SlaBreached = "sla.breached",
    SlaPaused = "sla.paused",
    SlaMet = "sla.met",
    SlaNone = "sla.none",
    Kind = "kind",
    KindTicket = "kind.ticket",
    KindAlert = "kind.alert",
    KindBackup = "kind.backup",
    Status = "status",
    StatusNew = "status.new",
    StatusAcknowledged = "status.acknowledged",
    StatusWaiting = "status.waiting",
    StatusResolved = "status.resolved",
    DataStale = "data.stale",
    Health = "health",
    HealthOk = "health.ok",
    HealthDegraded = "health.degraded",
    HealthDown = "health.down",
    HealthAuthFailed = "health.auth-failed",
    HealthPending = "health.pending",
    Statusbar = "statusbar",
    StatusbarKey = "statusbar.key",
    StatusbarClock = "statusbar.clock",
    Filter = "filter",
    FilterPrompt = "filter.prompt",
    FilterError = "filter.error",
    Command = "command",
    CommandPrompt = "command.prompt",
    Completion = "completion",
    CompletionSelected = "completion.selected",
    HelpKey = "help.key",
    HelpAction = "help.action",
    HelpSection = "help.section",
    Error = "error",
    Warning = "warning",
    Popup = "popup",
    PopupBorder = "popup.border",
    Tenant = "tenant",
    TenantSelected = "tenant.selected",
    DetailLabel = "detail.label",
    DetailValue = "detail.value",
    Related = "related",
}

impl StyleName {
    /// Position in [`StyleName::ALL`], for table lookups.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The style this one falls back to: the nearest known prefix, else `text`; `None` for
    /// `text` itself.
    pub fn parent(self) -> Option<StyleName> {
        if self == StyleName::Text {
            return None;
        }
        let mut name = self.name();
        while let Some((prefix, _)) = name.rsplit_once('.') {
            if let Some(parent) = StyleName::from_name(prefix) {
                return Some(parent);
            }
            name = prefix;
        }
        Some(StyleName::Text)
    }

    pub fn priority(priority: Priority) -> StyleName {
        match priority {
            Priority::P1 => StyleName::PriorityP1,
            Priority::P2 => StyleName::PriorityP2,
            Priority::P3 => StyleName::PriorityP3,
            Priority::P4 => StyleName::PriorityP4,
        }
    }

    pub fn kind(kind: Kind) -> StyleName {
        match kind {
            Kind::Ticket => StyleName::KindTicket,
            Kind::Alert => StyleName::KindAlert,
            Kind::Backup => StyleName::KindBackup,
        }
    }

    pub fn status(category: StatusCategory) -> StyleName {
        match category {
            StatusCategory::New => StyleName::StatusNew,
            StatusCategory::Acknowledged => StyleName::StatusAcknowledged,
            StatusCategory::Waiting => StyleName::StatusWaiting,
            StatusCategory::Resolved => StyleName::StatusResolved,
        }
    }

    pub fn health(health: &Health) -> StyleName {
        match health {
            Health::Pending => StyleName::HealthPending,
            Health::Ok => StyleName::HealthOk,
            Health::Degraded(_) => StyleName::HealthDegraded,
            Health::Down(_) => StyleName::HealthDown,
            Health::AuthFailed(_) => StyleName::HealthAuthFailed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_index_matches_position() {
        for (i, name) in StyleName::ALL.iter().enumerate() {
            assert_eq!(name.index(), i);
            assert_eq!(StyleName::from_name(name.name()), Some(*name));
        }
        assert_eq!(StyleName::from_name("priority.p5"), None);
    }

    #[test]
    fn parents_come_first_and_fall_back_to_text() {
        for name in StyleName::ALL {
            if let Some(parent) = name.parent() {
                assert!(parent.index() < name.index(), "{name:?}");
            }
        }
        assert_eq!(StyleName::PriorityP1.parent(), Some(StyleName::Priority));
        assert_eq!(StyleName::Priority.parent(), Some(StyleName::Text));
        assert_eq!(StyleName::HelpKey.parent(), Some(StyleName::Text));
        assert_eq!(
            StyleName::HealthAuthFailed.parent(),
            Some(StyleName::Health)
        );
        assert_eq!(StyleName::Text.parent(), None);
    }

    #[test]
    fn domain_values_map_to_their_styles() {
        assert_eq!(StyleName::priority(Priority::P1).name(), "priority.p1");
        assert_eq!(StyleName::kind(Kind::Backup).name(), "kind.backup");
        assert_eq!(
            StyleName::status(StatusCategory::Waiting).name(),
            "status.waiting"
        );
        assert_eq!(
            StyleName::health(&Health::AuthFailed("401".into())).name(),
            "health.auth-failed"
        );
    }
}
