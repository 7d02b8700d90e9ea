//! `[sessions]`: the launch profiles for remote sessions to an item's host. `ssh`, `rdp`,
//! `vnc` and `web` are built in; the file can change them key by key, disable them and add
//! its own. A profile is an argv template (never a shell string) with a mode, and optional
//! `user`, `port` and `jump` that `[sessions.tenants.<id>]` can override per tenant.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::diagnostic::{Collector, did_you_mean, suggest};
use super::load::deserialize;
use crate::actions::session::template::{Argv, Element, Part, Placeholder, TemplateError};
use crate::actions::session::validate::{self, Problem, describe_problem};
use crate::i18n::Lang;
use crate::model::TenantId;

/// How a session is carried out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LaunchMode {
    /// In this terminal: nightdesk steps aside until the program exits.
    Inline,
    /// In a new tmux window (inline when not inside tmux).
    Tmux,
    /// A detached program with its own window (RDP, VNC viewers).
    Spawn,
    /// The command line to the local clipboard (OSC 52).
    Copy,
    /// A URL in the browser.
    Open,
}

impl LaunchMode {
    pub const ALL: [LaunchMode; 5] = [
        LaunchMode::Inline,
        LaunchMode::Tmux,
        LaunchMode::Spawn,
        LaunchMode::Copy,
        LaunchMode::Open,
    ];

    pub fn name(self) -> &'static str {
        match self {
            LaunchMode::Inline => "inline",
            LaunchMode::Tmux => "tmux",
            LaunchMode::Spawn => "spawn",
            LaunchMode::Copy => "copy",
            LaunchMode::Open => "open",
        }
    }

    pub fn parse(name: &str) -> Option<LaunchMode> {
        Self::ALL.into_iter().find(|m| m.name() == name)
    }
}

/// Values a profile can take from the config; each level overrides the one below.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Settings {
    pub user: Option<String>,
    pub port: Option<u16>,
    pub jump: Option<String>,
}

impl Settings {
    /// These settings, with the gaps filled from `lower`.
    pub fn over(&self, lower: &Settings) -> Settings {
        Settings {
            user: self.user.clone().or_else(|| lower.user.clone()),
            port: self.port.or(lower.port),
            jump: self.jump.clone().or_else(|| lower.jump.clone()),
        }
    }
}

/// One launch profile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profile {
    /// The name `session NAME` and the menu use.
    pub name: String,
    pub mode: LaunchMode,
    pub argv: Argv,
    pub settings: Settings,
    /// Only for these tenants; `None` = every tenant.
    pub tenants: Option<Vec<TenantId>>,
    pub enabled: bool,
}

/// `[sessions.tenants.<id>]`: settings for every profile, and per profile.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TenantSessions {
    pub settings: Settings,
    pub profiles: BTreeMap<String, Settings>,
}

/// `[sessions]`, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionsConfig {
    /// `user` and `jump` at the top of `[sessions]`.
    pub defaults: Settings,
    /// Built-in profiles first (as changed by the file), then the file's own in file order.
    pub profiles: Vec<Profile>,
    pub tenants: BTreeMap<TenantId, TenantSessions>,
}

impl Default for SessionsConfig {
    fn default() -> Self {
        Self {
            defaults: Settings::default(),
            profiles: builtin_profiles(),
            tenants: BTreeMap::new(),
        }
    }
}

/// The built-in profiles: `ssh` (in a tmux window, inline outside tmux), `rdp` and `vnc`
/// (detached viewers) and `web` (the browser).
pub fn builtin_profiles() -> Vec<Profile> {
    let profile = |name: &str, mode, argv: Argv, port| Profile {
        name: name.into(),
        mode,
        argv,
        settings: Settings {
            port,
            ..Settings::default()
        },
        tenants: None,
        enabled: true,
    };
    vec![
        profile(
            "ssh",
            LaunchMode::Tmux,
            Argv::program("ssh")
                .optional(&["-J", "{jump}"])
                .optional(&["-p", "{port}"])
                .arg("{user@}{address}"),
            None,
        ),
        profile(
            "rdp",
            LaunchMode::Spawn,
            Argv::program("xfreerdp")
                .arg("/v:{address}")
                .optional(&["/port:{port}"])
                .optional(&["/u:{user}"]),
            None,
        ),
        profile(
            "vnc",
            LaunchMode::Spawn,
            Argv::program("vncviewer").arg("{address}::{port}"),
            Some(5900),
        ),
        profile(
            "web",
            LaunchMode::Open,
            Argv::program("https://{address}"),
            None,
        ),
    ]
}

impl SessionsConfig {
    pub fn profile(&self, name: &str) -> Option<&Profile> {
        self.profiles.iter().find(|p| p.name == name)
    }

    /// The settings of `profile` for `tenant`, most specific first:
    /// `[sessions.tenants.T.profiles.P]`, `[sessions.tenants.T]`, `[sessions.profiles.P]`,
    /// `[sessions]`.
    pub fn settings(&self, profile: &Profile, tenant: &TenantId) -> Settings {
        let base = profile.settings.over(&self.defaults);
        match self.tenants.get(tenant) {
            Some(t) => {
                let own = t.profiles.get(&profile.name).cloned().unwrap_or_default();
                own.over(&t.settings).over(&base)
            }
            None => base,
        }
    }
}

const KEYS: [&str; 4] = ["user", "jump", "profiles", "tenants"];
const SHELLS: [&str; 9] = [
    "sh", "bash", "dash", "zsh", "ksh", "fish", "csh", "tcsh", "busybox",
];

/// What parsing `[sessions]` found: the config and the tenant ids it names (checked
/// against the configured tenants once every section is read).
#[derive(Debug, Default)]
pub(crate) struct Parsed {
    pub config: SessionsConfig,
    pub tenant_refs: Vec<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawProfile {
    #[serde(default)]
    mode: Option<Spanned<String>>,
    #[serde(default)]
    user: Option<Spanned<String>>,
    #[serde(default)]
    port: Option<Spanned<i64>>,
    #[serde(default)]
    jump: Option<Spanned<String>>,
    #[serde(default)]
    tenants: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    enabled: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawSettings {
    #[serde(default)]
    user: Option<Spanned<String>>,
    #[serde(default)]
    port: Option<Spanned<i64>>,
    #[serde(default)]
    jump: Option<Spanned<String>>,
}

/// Reads `[sessions]`, reporting every problem with its position.
pub(crate) fn parse(value: Spanned<DeValue<'_>>, diags: &mut Collector<'_>) -> Parsed {
    let mut parsed = Parsed::default();
    let Some(table) = table_of(value, "sessions", diags) else {
        return parsed;
    };
    let mut profile_refs = Vec::new();
    for (key, value) in table {
        let config = &mut parsed.config;
        match key.get_ref().as_ref() {
            "user" => config.defaults.user = checked_user(deserialize(value, diags, &[]), diags),
            "jump" => config.defaults.jump = checked_jump(deserialize(value, diags, &[]), diags),
            "profiles" => parse_profiles(value, config, diags),
            "tenants" => parse_tenants(value, &mut parsed, &mut profile_refs, diags),
            other => {
                let hint = if builtin_profiles().iter().any(|p| p.name == other) {
                    format!("profiles go under `[sessions.profiles.{other}]`")
                } else {
                    suggest(other, &KEYS.map(String::from))
                };
                diags.error(
                    key.span(),
                    format!("unknown field `{other}` in `[sessions]`"),
                    Some(hint),
                );
            }
        }
    }
    for name in profile_refs {
        known_profile(&name, &parsed.config, diags);
    }
    parsed
}

/// Warns about tenant ids in `[sessions]` that no `[[tenants]]` entry has (when there are
/// any): probably a typo, the settings would never apply.
pub(crate) fn check_tenants(
    refs: &[Spanned<String>],
    known: &std::collections::BTreeSet<String>,
    diags: &mut Collector<'_>,
) {
    if known.is_empty() {
        return;
    }
    for id in refs.iter().filter(|id| !known.contains(id.get_ref())) {
        let hint = match did_you_mean(id.get_ref(), known.iter().map(String::as_str)) {
            Some(best) => format!("did you mean `{best}`?"),
            None => "the settings apply only to items of a tenant with this id".into(),
        };
        diags.warning(
            id.span(),
            format!("tenant `{}` is not in `[[tenants]]`", id.get_ref()),
            Some(hint),
        );
    }
}

fn table_of<'i>(
    value: Spanned<DeValue<'i>>,
    what: &str,
    diags: &mut Collector<'_>,
) -> Option<DeTable<'i>> {
    let span = value.span();
    match value.into_inner() {
        DeValue::Table(table) => Some(table),
        other => {
            diags.error(
                span,
                format!("`{what}` is a table, not a {}", other.type_str()),
                Some(format!("write the keys under a `[{what}]` header")),
            );
            None
        }
    }
}

fn parse_profiles(
    value: Spanned<DeValue<'_>>,
    config: &mut SessionsConfig,
    diags: &mut Collector<'_>,
) {
    let Some(table) = table_of(value, "sessions.profiles", diags) else {
        return;
    };
    let mut own: Vec<(usize, Profile)> = Vec::new();
    for (name, value) in table {
        let span = name.span();
        let name = Spanned::new(span.clone(), name.into_inner().into_owned());
        if !valid_profile_name(name.get_ref()) {
            diags.error(
                span,
                format!("`{}` is not a profile name", name.get_ref()),
                Some(
                    "use lower-case letters, digits and `-`, starting with a letter (`ssh-admin`)"
                        .into(),
                ),
            );
            continue;
        }
        let existing = config.profile(name.get_ref()).cloned();
        let Some(profile) = parse_profile(&name, value, existing.clone(), diags) else {
            continue;
        };
        match config.profiles.iter_mut().find(|p| p.name == profile.name) {
            Some(slot) => *slot = profile,
            None => own.push((span.start, profile)),
        }
    }
    own.sort_by_key(|(at, _)| *at);
    config.profiles.extend(own.into_iter().map(|(_, p)| p));
}

/// Names are words a keymap can write after `session`: `ssh`, `rdp-admin`.
fn valid_profile_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && name.len() <= 32
}

fn parse_profile(
    name: &Spanned<String>,
    value: Spanned<DeValue<'_>>,
    existing: Option<Profile>,
    diags: &mut Collector<'_>,
) -> Option<Profile> {
    let mut table = table_of(
        value,
        &format!("sessions.profiles.{}", name.get_ref()),
        diags,
    )?;
    let span = name.span();
    let argv_value = table.remove("argv");
    // Every part is read before any is given up on, so one run reports all problems.
    let argv = match &argv_value {
        Some(v) => parse_argv(v, diags),
        None => existing.as_ref().map(|p| p.argv.clone()),
    };
    let raw: RawProfile = deserialize(
        Spanned::new(span.clone(), DeValue::Table(table)),
        diags,
        &["argv"],
    )?;
    let mode = match &raw.mode {
        Some(m) => mode(m, diags),
        None => Some(existing.as_ref().map_or(LaunchMode::Inline, |p| p.mode)),
    };
    let settings = profile_settings(&raw, diags);
    let tenants = tenant_list(raw.tenants, diags);
    if argv.is_none() && argv_value.is_none() {
        diags.error(
            span.clone(),
            format!("profile `{}` needs `argv`", name.get_ref()),
            Some(
                "add e.g. `argv = [\"ssh\", \"{user@}{address}\"]`: the program and its arguments"
                    .into(),
            ),
        );
    }
    let (argv, mode, settings) = (argv?, mode?, settings?);
    let at = argv_value.as_ref().map_or(span, |v| v.span());
    if !check_argv(&argv, mode, at, diags) {
        return None;
    }
    let base = existing
        .as_ref()
        .map(|p| p.settings.clone())
        .unwrap_or_default();
    Some(Profile {
        name: name.get_ref().clone(),
        mode,
        argv,
        settings: settings.over(&base),
        tenants: tenants.or(existing.as_ref().and_then(|p| p.tenants.clone())),
        enabled: raw
            .enabled
            .unwrap_or(existing.as_ref().is_none_or(|p| p.enabled)),
    })
}

fn profile_settings(raw: &RawProfile, diags: &mut Collector<'_>) -> Option<Settings> {
    settings(
        RawSettings {
            user: raw.user.clone(),
            port: raw.port.clone(),
            jump: raw.jump.clone(),
        },
        diags,
    )
}

/// The settings of a table; `None` when one of them is wrong (reported).
fn settings(raw: RawSettings, diags: &mut Collector<'_>) -> Option<Settings> {
    let had = (raw.user.is_some(), raw.port.is_some(), raw.jump.is_some());
    let s = Settings {
        user: checked_user(raw.user, diags),
        port: raw.port.and_then(|p| checked_port(&p, diags)),
        jump: checked_jump(raw.jump, diags),
    };
    let ok = (s.user.is_some(), s.port.is_some(), s.jump.is_some()) == had;
    ok.then_some(s)
}

fn tenant_list(
    list: Option<Vec<Spanned<String>>>,
    diags: &mut Collector<'_>,
) -> Option<Vec<TenantId>> {
    let list = list?;
    let mut ids = Vec::new();
    for id in list {
        if let Err(problem) = validate::tenant(id.get_ref()) {
            bad_value(&id, "tenant", problem, diags);
        } else {
            ids.push(TenantId::new(id.get_ref()));
        }
    }
    Some(ids)
}

fn mode(m: &Spanned<String>, diags: &mut Collector<'_>) -> Option<LaunchMode> {
    if let Some(mode) = LaunchMode::parse(m.get_ref()) {
        return Some(mode);
    }
    let names = LaunchMode::ALL.map(|m| m.name().to_string());
    diags.error(
        m.span(),
        format!("unknown mode `{}`", m.get_ref()),
        Some(suggest(m.get_ref(), &names)),
    );
    None
}

fn checked_user(value: Option<Spanned<String>>, diags: &mut Collector<'_>) -> Option<String> {
    let value = value?;
    match validate::user(value.get_ref()) {
        Ok(()) => Some(value.into_inner()),
        Err(problem) => {
            bad_value(&value, "user", problem, diags);
            None
        }
    }
}

fn checked_jump(value: Option<Spanned<String>>, diags: &mut Collector<'_>) -> Option<String> {
    let value = value?;
    match validate::jump(value.get_ref()) {
        Ok(()) => Some(value.into_inner()),
        Err(problem) => {
            bad_value(&value, "jump", problem, diags);
            None
        }
    }
}

fn checked_port(value: &Spanned<i64>, diags: &mut Collector<'_>) -> Option<u16> {
    match validate::port(*value.get_ref()) {
        Ok(p) => Some(p),
        Err(_) => {
            diags.error(
                value.span(),
                format!("`port = {}` is not a port", value.get_ref()),
                Some("write a number from 1 to 65535".into()),
            );
            None
        }
    }
}

fn bad_value(value: &Spanned<String>, key: &str, problem: Problem, diags: &mut Collector<'_>) {
    diags.error(
        value.span(),
        format!(
            "`{key}` `{}` {}",
            validate::shown(value.get_ref()),
            describe_problem(Lang::En, problem)
        ),
        Some(match key {
            "jump" => "write `host`, `user@host:port` or several separated by commas, as `ssh -J` takes them".into(),
            "user" => "a user name of letters, digits, `.`, `_`, `-` and `@`".into(),
            _ => "an id of letters, digits, `.`, `_` and `-`".into(),
        }),
    );
}

/// `argv` as written: a list of strings, each one argument; a nested list is an optional
/// group. A plain string (a shell command line) is refused with the list to write instead.
fn parse_argv(value: &Spanned<DeValue<'_>>, diags: &mut Collector<'_>) -> Option<Argv> {
    let items = match value.get_ref() {
        DeValue::Array(items) => items,
        DeValue::String(line) => {
            diags.error(
                value.span(),
                "`argv` is a list of arguments, not a command line: nothing runs a shell",
                Some(format!("write `argv = {}`", as_list(line))),
            );
            return None;
        }
        other => {
            diags.error(
                value.span(),
                format!(
                    "`argv` must be a list of strings, not a {}",
                    other.type_str()
                ),
                Some("write `argv = [\"ssh\", \"{user@}{address}\"]`".into()),
            );
            return None;
        }
    };
    if items.is_empty() {
        diags.error(
            value.span(),
            "`argv` is empty",
            Some("name the program to run first".into()),
        );
        return None;
    }
    let mut parts = Vec::new();
    let mut ok = true;
    for item in items.iter() {
        match item.get_ref() {
            DeValue::String(_) => match element(item, diags) {
                Some(e) => parts.push(Part::One(e)),
                None => ok = false,
            },
            DeValue::Array(group) if !group.is_empty() => {
                let elements: Vec<Option<Element>> =
                    group.iter().map(|e| element(e, diags)).collect();
                match elements.into_iter().collect::<Option<Vec<_>>>() {
                    Some(group) => parts.push(Part::Optional(group)),
                    None => ok = false,
                }
            }
            _ => {
                diags.error(
                    item.span(),
                    "each element of `argv` is a string, or a list of strings that is left out when one of its placeholders has no value",
                    Some("e.g. `[\"-J\", \"{jump}\"]`".into()),
                );
                ok = false;
            }
        }
    }
    ok.then_some(Argv(parts))
}

fn element(item: &Spanned<DeValue<'_>>, diags: &mut Collector<'_>) -> Option<Element> {
    let Some(text) = item.get_ref().as_str() else {
        diags.error(
            item.span(),
            "an optional group holds strings only",
            Some("write `[\"-p\", \"{port}\"]`".into()),
        );
        return None;
    };
    if text.is_empty() {
        diags.error(
            item.span(),
            "an empty argument",
            Some("remove it: programs get exactly the arguments listed".into()),
        );
        return None;
    }
    match Element::parse(text) {
        Ok(e) => Some(e),
        Err(e) => {
            let hint = match &e {
                TemplateError::UnknownPlaceholder(name) => {
                    let names = Placeholder::ALL.map(|p| p.name().to_string());
                    match did_you_mean(name, names.iter().map(String::as_str)) {
                        Some(best) => format!("did you mean `{{{best}}}`?"),
                        None => format!(
                            "placeholders are {}",
                            Placeholder::ALL.map(|p| p.to_string()).join(" ")
                        ),
                    }
                }
                _ => "write `{{` or `}}` for a literal brace".into(),
            };
            diags.error(item.span(), e.to_string(), Some(hint));
            None
        }
    }
}

/// The rules a template must follow for its mode; reports at `at`.
fn check_argv(argv: &Argv, mode: LaunchMode, at: Range<usize>, diags: &mut Collector<'_>) -> bool {
    if mode == LaunchMode::Open {
        let url = match argv.0.as_slice() {
            [Part::One(url)] => url.written(),
            _ => "",
        };
        if url.starts_with("https://") || url.starts_with("http://") {
            return true;
        }
        diags.error(
            at,
            "an `open` profile takes one http(s) URL",
            Some("write `argv = [\"https://{address}\"]`".into()),
        );
        return false;
    }
    let Some(program) = argv.program_element().filter(|p| p.is_literal()) else {
        diags.error(
            at,
            "the first element of `argv` must be the program, written out",
            Some(
                "values from sources never choose the program: put placeholders in the arguments"
                    .into(),
            ),
        );
        return false;
    };
    if program.written().chars().any(char::is_whitespace) {
        diags.warning(
            at.clone(),
            format!(
                "program `{}` has a space: it is run as one file name",
                program.written()
            ),
            Some(format!(
                "if you meant a program and its arguments, write `argv = {}`",
                as_list(program.written())
            )),
        );
    }
    warn_about_shells(argv, program, at, diags);
    true
}

/// A shell as the program brings back what argv avoids: its script parses the values.
fn warn_about_shells(argv: &Argv, program: &Element, at: Range<usize>, diags: &mut Collector<'_>) {
    let base = program.written().rsplit('/').next().unwrap_or_default();
    if SHELLS.contains(&base) && !argv.placeholders().is_empty() {
        diags.warning(
            at,
            format!("`{base}` runs its arguments as a script: the placeholders' values are parsed by a shell"),
            Some("run the program directly, with each value as its own argument".into()),
        );
    }
}

/// A command line split at spaces, as a TOML list (for hints).
fn as_list(line: &str) -> String {
    let words: Vec<String> = line.split_whitespace().map(|w| format!("{w:?}")).collect();
    format!("[{}]", words.join(", "))
}

fn parse_tenants(
    value: Spanned<DeValue<'_>>,
    parsed: &mut Parsed,
    profile_refs: &mut Vec<Spanned<String>>,
    diags: &mut Collector<'_>,
) {
    let Some(table) = table_of(value, "sessions.tenants", diags) else {
        return;
    };
    for (id, value) in table {
        let id = Spanned::new(id.span(), id.into_inner().into_owned());
        if let Err(problem) = validate::tenant(id.get_ref()) {
            bad_value(&id, "tenant", problem, diags);
            continue;
        }
        parsed.tenant_refs.push(id.clone());
        if let Some(t) = parse_tenant(&id, value, profile_refs, diags) {
            parsed.config.tenants.insert(TenantId::new(id.get_ref()), t);
        }
    }
}

fn parse_tenant(
    id: &Spanned<String>,
    value: Spanned<DeValue<'_>>,
    profile_refs: &mut Vec<Spanned<String>>,
    diags: &mut Collector<'_>,
) -> Option<TenantSessions> {
    let what = format!("sessions.tenants.{}", id.get_ref());
    let mut table = table_of(value, &what, diags)?;
    let mut tenant = TenantSessions::default();
    if let Some(profiles) = table.remove("profiles") {
        for (name, value) in table_of(profiles, &format!("{what}.profiles"), diags)? {
            let name = Spanned::new(name.span(), name.into_inner().into_owned());
            profile_refs.push(name.clone());
            let raw: RawSettings = deserialize(value, diags, &[])?;
            tenant
                .profiles
                .insert(name.into_inner(), settings(raw, diags)?);
        }
    }
    let raw: RawSettings = deserialize(
        Spanned::new(id.span(), DeValue::Table(table)),
        diags,
        &["profiles"],
    )?;
    tenant.settings = settings(raw, diags)?;
    Some(tenant)
}

fn known_profile(name: &Spanned<String>, config: &SessionsConfig, diags: &mut Collector<'_>) {
    if config.profile(name.get_ref()).is_some() {
        return;
    }
    let names: Vec<String> = config.profiles.iter().map(|p| p.name.clone()).collect();
    diags.error(
        name.span(),
        format!("unknown profile `{}`", name.get_ref()),
        Some(suggest(name.get_ref(), &names)),
    );
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::Config;

    fn load(text: &str) -> SessionsConfig {
        Config::parse(Path::new("c.toml"), text)
            .unwrap_or_else(|e| panic!("{e}"))
            .sessions
    }

    fn errors(text: &str) -> String {
        match Config::parse(Path::new("c.toml"), text) {
            Ok(c) => panic!("loaded: {:?}", c.sessions),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn built_in_profiles_without_a_file() {
        let config = load("");
        let names: Vec<&str> = config.profiles.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["ssh", "rdp", "vnc", "web"]);
        assert_eq!(config.profile("ssh").unwrap().mode, LaunchMode::Tmux);
        assert_eq!(config.profile("rdp").unwrap().mode, LaunchMode::Spawn);
        assert_eq!(config.profile("web").unwrap().mode, LaunchMode::Open);
    }

    #[test]
    fn custom_profiles_and_per_tenant_settings() {
        let config = load(
            r#"
[sessions]
user = "ops"

[sessions.profiles.ssh]
mode = "inline"
port = 2222

[sessions.profiles.zz-last]
argv = ["true"]

[sessions.profiles.check]
argv = ["printf", "SESSION-OK %s\n", "{host}"]
tenants = ["mueller"]

[sessions.profiles.vnc]
enabled = false

[sessions.tenants.mueller]
jump = "jump.mueller.example"
user = "admin"

[sessions.tenants.mueller.profiles.ssh]
port = 22
"#,
        );
        let names: Vec<&str> = config.profiles.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["ssh", "rdp", "vnc", "web", "zz-last", "check"]);
        let ssh = config.profile("ssh").unwrap();
        assert_eq!(ssh.mode, LaunchMode::Inline);
        assert_eq!(
            ssh.argv,
            builtin_profiles()[0].argv,
            "argv kept from the built-in"
        );
        assert!(!config.profile("vnc").unwrap().enabled);
        let check = config.profile("check").unwrap();
        assert_eq!(
            check.mode,
            LaunchMode::Inline,
            "custom profiles default to inline"
        );
        assert_eq!(
            check.tenants.as_deref(),
            Some(&[TenantId::new("mueller")][..])
        );

        let mueller = config.settings(ssh, &TenantId::new("mueller"));
        assert_eq!(mueller.user.as_deref(), Some("admin"));
        assert_eq!(mueller.jump.as_deref(), Some("jump.mueller.example"));
        assert_eq!(mueller.port, Some(22), "tenant's profile table wins");
        let other = config.settings(ssh, &TenantId::new("schmidt"));
        assert_eq!(other.user.as_deref(), Some("ops"));
        assert_eq!(other.jump, None);
        assert_eq!(other.port, Some(2222));
        let vnc = config.settings(config.profile("vnc").unwrap(), &TenantId::new("x"));
        assert_eq!(vnc.port, Some(5900), "built-in default port");
    }

    #[test]
    fn a_shell_string_instead_of_argv_is_an_error_with_the_list_to_write() {
        let text = "[sessions.profiles.x]\nargv = \"ssh -J jump admin@{host}\"\n";
        assert_eq!(
            errors(text),
            "c.toml:2:8: error: `argv` is a list of arguments, not a command line: nothing runs a shell\n\
             hint: write `argv = [\"ssh\", \"-J\", \"jump\", \"admin@{host}\"]`"
        );
    }

    #[test]
    fn unknown_keys_and_placeholders_have_positions_and_hints() {
        let text = "[sessions.profiles.x]\nargv = [\"ssh\", \"{hots}\"]\nmdoe = \"inline\"\n\n[sessions]\nusr = \"a\"\n";
        let out = errors(text);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines,
            [
                "c.toml:2:16: error: unknown placeholder `{hots}`",
                "hint: did you mean `{host}`?",
                "c.toml:3:1: error: unknown field `mdoe`",
                "hint: did you mean `mode`?",
                "c.toml:6:1: error: unknown field `usr` in `[sessions]`",
                "hint: did you mean `user`?",
            ],
            "{out}"
        );
    }

    #[test]
    fn program_must_be_written_out_and_open_takes_a_url() {
        let out = errors("[sessions.profiles.x]\nargv = [\"{host}\", \"x\"]\n");
        assert!(
            out.starts_with("c.toml:2:8: error: the first element of `argv` must be the program"),
            "{out}"
        );
        let out =
            errors("[sessions.profiles.x]\nmode = \"open\"\nargv = [\"firefox\", \"{host}\"]\n");
        assert!(
            out.contains("c.toml:3:8: error: an `open` profile takes one http(s) URL"),
            "{out}"
        );
        let out = errors("[sessions.profiles.web]\nmode = \"inline\"\n");
        assert!(
            out.contains("the first element of `argv` must be the program"),
            "{out}"
        );
        let out = errors("[sessions.profiles.x]\nmode = \"tmux\"\n");
        assert!(
            out.contains("c.toml:1:20: error: profile `x` needs `argv`"),
            "{out}"
        );
        let out = errors("[sessions.profiles.x]\nargv = [\"ssh\", \"\"]\n");
        assert!(
            out.contains("c.toml:2:16: error: an empty argument"),
            "{out}"
        );
        let out = errors("[sessions.profiles.x]\nargv = [\"ssh\", [\"-p\", 22]]\n");
        assert!(
            out.contains("c.toml:2:23: error: an optional group holds strings only"),
            "{out}"
        );
        let out = errors("[sessions.profiles.x]\nargv = []\n");
        assert!(out.contains("c.toml:2:8: error: `argv` is empty"), "{out}");
    }

    #[test]
    fn config_values_are_validated() {
        let out = errors(
            "[sessions]\nuser = \"-oProxyCommand=x\"\njump = \"a;b\"\n[sessions.profiles.ssh]\nport = 70000\nmode = \"telnet\"\n",
        );
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines[0],
            "c.toml:2:8: error: `user` `-oProxyCommand=x` starts with `-` (it would be read as an option)"
        );
        assert_eq!(
            lines[2],
            "c.toml:3:8: error: `jump` `a;b` contains the shell metacharacter `;`"
        );
        assert!(
            out.contains("c.toml:5:8: error: `port = 70000` is not a port"),
            "{out}"
        );
        assert!(
            out.contains("c.toml:6:8: error: unknown mode `telnet`"),
            "{out}"
        );
        let out = errors("[sessions.profiles.ssh]\nport = \"22\"\n");
        assert!(
            out.contains("c.toml:2:8: error: invalid type: string \"22\""),
            "{out}"
        );
    }

    #[test]
    fn tenant_tables_name_known_profiles_and_tenants() {
        let out = errors("[sessions.tenants.mueller.profiles.shh]\nuser = \"root\"\n");
        assert!(
            out.contains("c.toml:1:36: error: unknown profile `shh`\nhint: did you mean `ssh`?"),
            "{out}"
        );
        let config = Config::parse(
            Path::new("c.toml"),
            "[[tenants]]\nid = \"mueller\"\n[sessions.tenants.muller]\nuser = \"root\"\n",
        )
        .unwrap();
        assert_eq!(config.warnings.len(), 1);
        assert_eq!(
            config.warnings[0].to_string(),
            "c.toml:3:19: warning: tenant `muller` is not in `[[tenants]]`\nhint: did you mean `mueller`?"
        );
    }

    #[test]
    fn a_shell_as_program_is_warned_about() {
        let config = Config::parse(
            Path::new("c.toml"),
            "[sessions.profiles.x]\nargv = [\"sh\", \"-c\", \"ssh {host}\"]\n",
        )
        .unwrap();
        assert_eq!(config.warnings.len(), 1, "{:?}", config.warnings);
        assert!(config.warnings[0].message.contains("parsed by a shell"));
    }
}
