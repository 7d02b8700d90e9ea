//! The registry of user actions. One list feeds the keymap files, the `:` command line, the
//! help screen and `keys check`: an action name means the same thing everywhere.

use std::fmt;

/// Where a key binding applies. Lookup goes from the focused context to `global`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Context {
    Global,
    Queue,
    Detail,
    Tenants,
    /// The list of sources and their health.
    Sources,
    Help,
    /// The `/` filter input line.
    Filter,
    /// The `:` command line.
    Command,
    /// A form asking for the details of a write-back (ack comment and duration, ...).
    Prompt,
    /// The list of session profiles for the selected item.
    SessionMenu,
}

impl Context {
    pub const ALL: [Context; 10] = [
        Context::Global,
        Context::Queue,
        Context::Detail,
        Context::Tenants,
        Context::Sources,
        Context::Help,
        Context::Filter,
        Context::Command,
        Context::Prompt,
        Context::SessionMenu,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Context::Global => "global",
            Context::Queue => "queue",
            Context::Detail => "detail",
            Context::Tenants => "tenants",
            Context::Sources => "sources",
            Context::Help => "help",
            Context::Filter => "filter",
            Context::Command => "command",
            Context::Prompt => "prompt",
            Context::SessionMenu => "session-menu",
        }
    }

    pub fn parse(s: &str) -> Option<Context> {
        Context::ALL.into_iter().find(|c| c.name() == s)
    }

    /// Text-input contexts receive unbound printable keys as typed text.
    pub fn is_text_input(self) -> bool {
        matches!(self, Context::Filter | Context::Command | Context::Prompt)
    }

    /// Contexts whose bindings also apply here, most specific first (after the context itself).
    /// Text inputs do not fall back to `global`: typing `q` in the filter must not quit. Nor
    /// does the session menu, where an unbound letter picks the profile it starts.
    pub fn parents(self) -> &'static [Context] {
        match self {
            Context::Global
            | Context::Filter
            | Context::Command
            | Context::Prompt
            | Context::SessionMenu => &[],
            // The detail pane sits beside the queue: queue keys keep working while it is open.
            Context::Detail => &[Context::Queue, Context::Global],
            _ => &[Context::Global],
        }
    }
}

/// Whether an action takes arguments after its name (`set-filter p:1 t:mueller`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Args {
    None,
    /// Free text, required.
    Text,
}

/// One entry of the registry.
#[derive(Clone, Copy, Debug)]
pub struct ActionSpec {
    pub id: ActionId,
    pub name: &'static str,
    pub args: Args,
}

macro_rules! actions {
    ($($variant:ident = $name:literal $(($args:ident))?,)*) => {
        /// Every action a key, the command line or the help screen can name.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum ActionId { $($variant,)* }

        /// All actions in display order.
        pub const REGISTRY: &[ActionSpec] = &[
            $(ActionSpec { id: ActionId::$variant, name: $name, args: actions!(@args $($args)?) },)*
        ];
    };
    (@args) => { Args::None };
    (@args $a:ident) => { Args::$a };
}

actions! {
    Noop = "noop",
    Quit = "quit",
    Help = "help",
    Filter = "filter",
    CommandLine = "command-line",
    Cancel = "cancel",
    Redraw = "redraw",
    ToggleTenants = "toggle-tenants",
    ToggleSources = "toggle-sources",
    SelectNext = "select-next",
    SelectPrev = "select-prev",
    SelectFirst = "select-first",
    SelectLast = "select-last",
    PageDown = "page-down",
    PageUp = "page-up",
    OpenDetail = "open-detail",
    CloseDetail = "close-detail",
    ToggleDetail = "toggle-detail",
    ClearFilter = "clear-filter",
    SetFilter = "set-filter" (Text),
    FilterTenant = "filter-tenant",
    FilterHost = "filter-host",
    Ack = "ack",
    Unack = "unack",
    Take = "take",
    Downtime = "downtime",
    Recheck = "recheck",
    Assign = "assign",
    SetStatus = "set-status",
    Note = "note",
    LocalNote = "local-note",
    RestoreTestDone = "restore-test-done",
    Send = "send",
    ToggleMark = "toggle-mark",
    MarkAll = "mark-all",
    ClearMarks = "clear-marks",
    View = "view" (Text),
    Snooze = "snooze",
    ToggleSnoozed = "toggle-snoozed",
    SecurityIncident = "security-incident",
    Refresh = "refresh",
    ShowTenant = "show-tenant",
    Accept = "accept",
    Complete = "complete",
    DeleteBackward = "delete-backward",
    DeleteWord = "delete-word",
    ClearLine = "clear-line",
    CursorLeft = "cursor-left",
    CursorRight = "cursor-right",
    CursorHome = "cursor-home",
    CursorEnd = "cursor-end",
    HistoryPrev = "history-prev",
    HistoryNext = "history-next",
    Session = "session" (Text),
    SessionMenu = "session-menu",
}

impl ActionId {
    pub fn spec(self) -> &'static ActionSpec {
        REGISTRY
            .iter()
            .find(|s| s.id == self)
            .expect("every action is registered")
    }

    pub fn name(self) -> &'static str {
        self.spec().name
    }

    pub fn by_name(name: &str) -> Option<ActionId> {
        REGISTRY.iter().find(|s| s.name == name).map(|s| s.id)
    }
}

/// An action with its arguments, as bound to a key or typed on the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Action {
    pub id: ActionId,
    pub arg: Option<String>,
}

impl Action {
    pub fn new(id: ActionId) -> Self {
        Self { id, arg: None }
    }
}

/// Why an action string was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ActionParseError {
    #[error("empty action")]
    Empty,
    #[error("unknown action `{0}`")]
    Unknown(String),
    #[error("action `{0}` takes no arguments")]
    UnexpectedArgs(String),
    #[error("action `{0}` needs an argument")]
    MissingArgs(String),
}

impl std::str::FromStr for Action {
    type Err = ActionParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let (name, rest) = match s.split_once(char::is_whitespace) {
            Some((n, r)) => (n, r.trim()),
            None => (s, ""),
        };
        if name.is_empty() {
            return Err(ActionParseError::Empty);
        }
        let id = ActionId::by_name(name).ok_or_else(|| ActionParseError::Unknown(name.into()))?;
        match (id.spec().args, rest.is_empty()) {
            (Args::None, true) => Ok(Action::new(id)),
            (Args::None, false) => Err(ActionParseError::UnexpectedArgs(name.into())),
            (Args::Text, true) => Err(ActionParseError::MissingArgs(name.into())),
            (Args::Text, false) => Ok(Action {
                id,
                arg: Some(rest.to_string()),
            }),
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id.name())?;
        if let Some(arg) = &self.arg {
            write!(f, " {arg}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_kebab_case() {
        let mut seen = std::collections::HashSet::new();
        for spec in REGISTRY {
            assert!(seen.insert(spec.name), "duplicate {}", spec.name);
            assert!(
                spec.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '-'),
                "{} is not kebab-case",
                spec.name
            );
        }
    }

    #[test]
    fn parses_args() {
        let a: Action = "set-filter p:1 t:mueller".parse().unwrap();
        assert_eq!(a.id, ActionId::SetFilter);
        assert_eq!(a.arg.as_deref(), Some("p:1 t:mueller"));
        assert_eq!(a.to_string(), "set-filter p:1 t:mueller");
        assert_eq!(
            "ack now".parse::<Action>(),
            Err(ActionParseError::UnexpectedArgs("ack".into()))
        );
        assert_eq!(
            "ak".parse::<Action>(),
            Err(ActionParseError::Unknown("ak".into()))
        );
        assert_eq!(
            "set-filter".parse::<Action>(),
            Err(ActionParseError::MissingArgs("set-filter".into()))
        );
    }
}
