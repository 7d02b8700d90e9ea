//! Remote sessions to the host of a queue item. A profile from `[sessions]`
//! ([`crate::config::sessions`]) and the selected item give a [`SessionPlan`]: the argv with
//! every placeholder filled, after each value that fills one passed [`validate`]. A plan is
//! carried out by the event loop ([`launch`]); every attempt, refused or not, ends as one
//! [`SessionOutcome`] for the status line and the audit.

pub mod launch;
pub mod osc52;
pub mod template;
pub mod validate;

use jiff::Timestamp;

use crate::config::sessions::{LaunchMode, Profile, SessionsConfig, Settings};
use crate::i18n::{Lang, Msg, fill, t};
use crate::model::{Item, ItemKey, TenantId};
use template::{FillError, Placeholder};
use validate::{Field, Invalid};

/// A session ready to be carried out: nothing in it comes unchecked from a source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionPlan {
    pub profile: String,
    pub mode: LaunchMode,
    pub item: ItemKey,
    pub tenant: TenantId,
    /// Where the session goes (host name or address), safe to show.
    pub target: String,
    /// The program and its arguments (for `open`: the URL alone).
    pub argv: Vec<String>,
    /// The item's host as the source sent it, for the audit only: never run or shown.
    pub host: Option<String>,
}

impl SessionPlan {
    /// The argv as a POSIX shell command line, each argument quoted when it needs it: what
    /// `copy` puts on the clipboard and the status line shows.
    pub fn command_line(&self) -> String {
        command_line(&self.argv)
    }

    /// A tmux window name: `tenant/target`, cut to 40 characters of a safe set (tmux expands
    /// `#(...)` in names, so `#` never gets there).
    pub fn window_name(&self) -> String {
        let name = format!("{}/{}", self.tenant, self.target);
        name.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "._-/:@%".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .take(40)
            .collect()
    }
}

/// `argv` joined for a POSIX shell: safe words as they are, others in single quotes.
pub fn command_line(argv: &[String]) -> String {
    let quote = |arg: &String| {
        let safe = !arg.is_empty()
            && arg
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_@%+=:,./-".contains(c));
        if safe {
            arg.clone()
        } else {
            format!("'{}'", arg.replace('\'', r"'\''"))
        }
    };
    argv.iter().map(quote).collect::<Vec<_>>().join(" ")
}

/// Why a session was not started. Nothing was run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    NothingSelected,
    UnknownProfile(String),
    Disabled,
    /// The profile is limited to other tenants.
    NotForTenant,
    /// A placeholder outside an optional group has no value.
    Missing(Placeholder),
    /// A value failed the checks.
    Invalid(Invalid),
    /// Argument number N (0 = the program) would be empty.
    EmptyArgument(usize),
    /// `open`: the URL is not http(s) (shown sanitised).
    BadUrl(String),
}

impl Refusal {
    pub fn describe(&self, lang: Lang) -> String {
        let msg = |m| t(lang, m).to_string();
        match self {
            Refusal::NothingSelected => msg(Msg::NothingSelected),
            Refusal::UnknownProfile(name) => fill(
                t(lang, Msg::SessionUnknownProfile),
                &[&validate::shown(name)],
            ),
            Refusal::Disabled => msg(Msg::SessionDisabled),
            Refusal::NotForTenant => msg(Msg::SessionNotForTenant),
            Refusal::Missing(Placeholder::Host | Placeholder::Address) => msg(Msg::SessionNoHost),
            Refusal::Missing(p) => fill(t(lang, Msg::SessionMissingSetting), &[p.name()]),
            Refusal::Invalid(invalid) => invalid.describe(lang),
            Refusal::EmptyArgument(n) => {
                fill(t(lang, Msg::SessionEmptyArgument), &[&n.to_string()])
            }
            Refusal::BadUrl(url) => fill(t(lang, Msg::SessionBadUrl), &[url]),
        }
    }
}

/// How a program that ran ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    Code(i32),
    Signal(i32),
}

impl Exit {
    pub fn of(status: std::process::ExitStatus) -> Exit {
        use std::os::unix::process::ExitStatusExt;
        match (status.code(), status.signal()) {
            (Some(code), _) => Exit::Code(code),
            (None, Some(signal)) => Exit::Signal(signal),
            (None, None) => Exit::Code(-1),
        }
    }

    pub fn success(self) -> bool {
        self == Exit::Code(0)
    }

    /// "exit status 3" / "signal 9".
    pub fn describe(self, lang: Lang) -> String {
        match self {
            Exit::Code(c) => fill(t(lang, Msg::SessionExitCode), &[&c.to_string()]),
            Exit::Signal(s) => fill(t(lang, Msg::SessionExitSignal), &[&s.to_string()]),
        }
    }
}

/// What came of an attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionResult {
    /// Refused before anything ran.
    Refused(Refusal),
    /// The program could not be started (not installed, tmux refused, ...).
    NotStarted(String),
    /// `inline`: the program ran in the terminal and ended.
    Exited(Exit),
    /// `spawn`, `open`, `tmux`: the program runs on its own.
    Started,
    /// `copy`: the command line went to the clipboard.
    Copied,
}

/// One launch or refusal, for the status line and the audit log. `host` is the item's host
/// as the source sent it (it may be hostile: escape it before it is written anywhere);
/// `argv` is what ran or would have run, empty when refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionOutcome {
    pub at: Timestamp,
    pub profile: String,
    /// The mode carried out (`inline` when `tmux` fell back); `None` when refused.
    pub mode: Option<LaunchMode>,
    /// A `tmux` profile ran inline because nightdesk is not inside tmux.
    pub fell_back: bool,
    pub item: Option<ItemKey>,
    pub tenant: Option<TenantId>,
    pub host: Option<String>,
    pub argv: Vec<String>,
    pub result: SessionResult,
}

impl SessionOutcome {
    /// A refusal for `item` (if any).
    pub fn refused(at: Timestamp, profile: &str, item: Option<&Item>, why: Refusal) -> Self {
        SessionOutcome {
            at,
            profile: profile.to_string(),
            mode: None,
            fell_back: false,
            item: item.map(|i| i.key.clone()),
            tenant: item.map(|i| i.tenant.clone()),
            host: item.and_then(|i| {
                i.host
                    .as_deref()
                    .or(i.address.as_deref())
                    .map(str::to_string)
            }),
            argv: Vec::new(),
            result: SessionResult::Refused(why),
        }
    }

    /// The result of carrying out `plan` in `mode`.
    pub fn of_plan(
        at: Timestamp,
        plan: &SessionPlan,
        mode: LaunchMode,
        result: SessionResult,
    ) -> Self {
        SessionOutcome {
            at,
            profile: plan.profile.clone(),
            mode: Some(mode),
            fell_back: plan.mode == LaunchMode::Tmux && mode == LaunchMode::Inline,
            item: Some(plan.item.clone()),
            tenant: Some(plan.tenant.clone()),
            host: plan.host.clone(),
            argv: plan.argv.clone(),
            result,
        }
    }

    pub fn is_error(&self) -> bool {
        match &self.result {
            SessionResult::Refused(_) | SessionResult::NotStarted(_) => true,
            SessionResult::Exited(exit) => !exit.success(),
            SessionResult::Started | SessionResult::Copied => false,
        }
    }

    /// The status line's text; `item` names the item of a refusal.
    pub fn describe(&self, lang: Lang, item: &str) -> String {
        let command = crate::text::sanitize(&command_line(&self.argv)).into_owned();
        let text = match &self.result {
            SessionResult::Refused(why) => fill(
                t(lang, Msg::SessionRefused),
                &[&self.profile, &why.describe(lang), item],
            ),
            SessionResult::NotStarted(e) => fill(
                t(lang, Msg::SessionNotStarted),
                &[&self.profile, &validate::shown(e)],
            ),
            SessionResult::Exited(exit) => fill(
                t(lang, Msg::SessionEnded),
                &[&self.profile, &exit.describe(lang)],
            ),
            SessionResult::Started if self.mode == Some(LaunchMode::Tmux) => {
                fill(t(lang, Msg::SessionInWindow), &[&self.profile, &command])
            }
            SessionResult::Started => {
                fill(t(lang, Msg::SessionStarted), &[&self.profile, &command])
            }
            SessionResult::Copied => fill(t(lang, Msg::SessionCopied), &[&command]),
        };
        if self.fell_back {
            format!("{text} {}", t(lang, Msg::SessionFellBack))
        } else {
            text
        }
    }
}

/// Whether `profile` can be used for `item`: enabled, for its tenant, and every required
/// placeholder has a value (the values are checked only when it is launched).
pub fn applies(config: &SessionsConfig, profile: &Profile, item: &Item) -> bool {
    let values = Values::new(config, profile, item);
    profile.enabled
        && for_tenant(profile, &item.tenant)
        && profile
            .argv
            .required()
            .into_iter()
            .all(|p| values.raw(p).is_some())
}

fn for_tenant(profile: &Profile, tenant: &TenantId) -> bool {
    profile
        .tenants
        .as_ref()
        .is_none_or(|list| list.contains(tenant))
}

/// The plan for a session with profile `name` to `item`'s host, or why there is none.
pub fn plan(config: &SessionsConfig, name: &str, item: &Item) -> Result<SessionPlan, Refusal> {
    let profile = config
        .profile(name)
        .ok_or_else(|| Refusal::UnknownProfile(name.to_string()))?;
    if !profile.enabled {
        return Err(Refusal::Disabled);
    }
    if !for_tenant(profile, &item.tenant) {
        return Err(Refusal::NotForTenant);
    }
    let values = Values::new(config, profile, item);
    let used = profile.argv.used(&|p| values.raw(p).is_some());
    for p in used {
        values.check(p)?;
    }
    let argv = profile
        .argv
        .fill(&|p| values.filled(p))
        .map_err(|e| match e {
            FillError::Missing(p) => Refusal::Missing(p),
            FillError::EmptyElement(n) => Refusal::EmptyArgument(n),
        })?;
    if profile.mode == LaunchMode::Open {
        check_url(&argv[0])?;
    }
    Ok(SessionPlan {
        profile: profile.name.clone(),
        mode: profile.mode,
        item: item.key.clone(),
        tenant: item.tenant.clone(),
        target: values.target(),
        argv,
        host: item.host.as_deref().map(str::to_string),
    })
}

fn check_url(url: &str) -> Result<(), Refusal> {
    let bad = || Refusal::BadUrl(validate::shown(url));
    let parsed = url::Url::parse(url).map_err(|_| bad())?;
    let web = matches!(parsed.scheme(), "http" | "https") && parsed.host_str().is_some();
    web.then_some(()).ok_or_else(bad)
}

/// A validator of one kind of value.
type Check = fn(&str) -> Result<(), validate::Problem>;

/// The values a profile's placeholders take for one item.
struct Values<'a> {
    item: &'a Item,
    settings: Settings,
    /// IPv6 addresses go into URLs in brackets.
    url: bool,
}

impl<'a> Values<'a> {
    fn new(config: &SessionsConfig, profile: &Profile, item: &'a Item) -> Self {
        Values {
            item,
            settings: config.settings(profile, &item.tenant),
            url: profile.mode == LaunchMode::Open,
        }
    }

    /// The value as it came (from the source or the config), before any check.
    fn raw(&self, p: Placeholder) -> Option<String> {
        let host = self.item.host.as_deref();
        let address = self.item.address.as_deref();
        match p {
            Placeholder::Host => host.or(address).map(str::to_string),
            Placeholder::Address => address.or(host).map(str::to_string),
            Placeholder::Tenant => Some(self.item.tenant.to_string()),
            Placeholder::User => self.settings.user.clone(),
            Placeholder::UserAt => Some(
                self.settings
                    .user
                    .as_ref()
                    .map(|u| format!("{u}@"))
                    .unwrap_or_default(),
            ),
            Placeholder::Port => self.settings.port.map(|p| p.to_string()),
            Placeholder::Jump => self.settings.jump.clone(),
        }
    }

    fn check(&self, p: Placeholder) -> Result<(), Refusal> {
        let (field, check): (Field, Check) = match p {
            Placeholder::Host => (Field::Host, validate::host),
            Placeholder::Address => (Field::Address, validate::host),
            Placeholder::Tenant => (Field::Tenant, validate::tenant),
            Placeholder::User | Placeholder::UserAt => (Field::User, validate::user),
            Placeholder::Port => return Ok(()),
            Placeholder::Jump => (Field::Jump, validate::jump),
        };
        let value = match p {
            Placeholder::UserAt => self.settings.user.clone(),
            _ => self.raw(p),
        };
        let Some(value) = value else { return Ok(()) };
        check(&value).map_err(|problem| {
            Refusal::Invalid(Invalid {
                field,
                value,
                problem,
            })
        })
    }

    /// The value as it goes into the argv (checked before).
    fn filled(&self, p: Placeholder) -> Option<String> {
        let value = self.raw(p)?;
        let host_like = matches!(p, Placeholder::Host | Placeholder::Address);
        if self.url && host_like && value.contains(':') {
            return Some(format!("[{value}]"));
        }
        Some(value)
    }

    /// Where the session goes, for banners and window names: a host value that passes the
    /// checks, else its sanitised form.
    fn target(&self) -> String {
        let host = self.raw(Placeholder::Host).unwrap_or_default();
        let address = self.raw(Placeholder::Address).unwrap_or_default();
        [&host, &address]
            .into_iter()
            .find(|v| validate::host(v).is_ok())
            .cloned()
            .unwrap_or_else(|| validate::shown(&host))
    }
}

#[cfg(test)]
mod tests;
