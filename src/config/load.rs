//! Parsing config text: each section (and each tenant, contract and source) is deserialised
//! on its own so that one broken entry does not hide the problems of the others; then the
//! semantic checks (references, duplicates, codes, durations, secrets) run over what parsed.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Range;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use super::diagnostic::{Collector, did_you_mean, suggest};
use super::duration::{DURATION_HINT, parse_duration};
use super::secret::parse_auth;
use super::source::{
    COMMON_FIELDS, DEFAULT_OUTAGE_PRIORITY, DEFAULT_POLL_INTERVAL, DEFAULT_TIMEOUT, MappingConfig,
    RawSourceCommon, SourceConfig, SourceKind, parse_kind_settings, parse_priority,
};
use super::{
    BUNDESLAND_CODES, Config, ConfigError, Defaults, KeymapPreset, Lang, TenantConfig, UiConfig,
};
use crate::model::{SourceId, TenantId};
use crate::sla::spec::ContractSpec;

const SECTIONS: [&str; 8] = [
    "ui",
    "defaults",
    "contracts",
    "tenants",
    "sources",
    "views",
    "sessions",
    "notifications",
];

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawUi {
    #[serde(default)]
    theme: Option<Spanned<String>>,
    #[serde(default)]
    keymap: Option<Spanned<String>>,
    #[serde(default)]
    lang: Option<Spanned<String>>,
    #[serde(default)]
    user: Option<Spanned<String>>,
    #[serde(default)]
    time_zone: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawDefaults {
    #[serde(default)]
    contract: Option<Spanned<String>>,
    #[serde(default)]
    max_in_flight: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawTenant {
    id: Spanned<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    contract: Option<Spanned<String>>,
    #[serde(default)]
    state: Option<Spanned<String>>,
    #[serde(default)]
    hosts: Vec<String>,
}

struct RawSource {
    common: RawSourceCommon,
    /// `None` when the kind or its settings were wrong (already reported).
    kind: Option<SourceKind>,
}

/// What the structural pass produced. Names of entries that failed to parse are kept, so
/// references to them do not cause follow-up errors.
#[derive(Default)]
struct RawConfig {
    ui: RawUi,
    defaults: RawDefaults,
    contracts: BTreeMap<String, ContractSpec>,
    contract_names: BTreeSet<String>,
    tenants: Vec<RawTenant>,
    tenant_ids: BTreeSet<String>,
    sources: Vec<RawSource>,
    views: BTreeMap<String, Spanned<String>>,
    sessions: super::sessions::Parsed,
    notifications: super::notify::NotifyConfig,
}

pub(super) fn parse(file: &Path, text: &str) -> Result<Config, ConfigError> {
    let mut diags = Collector::new(file, text);
    let root = match DeTable::parse(text) {
        Ok(root) => root,
        Err(e) => {
            diags.syntax_error(&e);
            return Err(ConfigError::Invalid {
                findings: diags.into_findings(),
            });
        }
    };
    let raw = parse_sections(root.into_inner(), &mut diags);
    let config = validate(raw, &mut diags);
    let mut findings = diags.into_findings();
    findings.sort_by_key(|d| d.position.map(|p| (p.line, p.column)));
    if findings.iter().any(|d| d.is_error()) {
        Err(ConfigError::Invalid { findings })
    } else {
        Ok(Config {
            warnings: findings,
            ..config
        })
    }
}

/// Deserialises `value` as a `T`, reporting a failure with its position.
pub(crate) fn deserialize<T: DeserializeOwned>(
    value: Spanned<DeValue<'_>>,
    diags: &mut Collector<'_>,
    also_expected: &[&str],
) -> Option<T> {
    let span = value.span();
    T::deserialize(ValueDeserializer::from(value))
        .map_err(|e| diags.toml_error(&e, span, also_expected))
        .ok()
}

fn parse_sections(root: DeTable<'_>, diags: &mut Collector<'_>) -> RawConfig {
    let mut raw = RawConfig::default();
    let mut notifications = None;
    for (key, value) in root {
        match key.get_ref().as_ref() {
            "ui" => raw.ui = deserialize(value, diags, &[]).unwrap_or_default(),
            "defaults" => raw.defaults = deserialize(value, diags, &[]).unwrap_or_default(),
            "contracts" => parse_contracts(value, diags, &mut raw),
            "tenants" => {
                for item in entries("tenants", value, diags) {
                    if let Some(id) = item.get_ref().get("id").and_then(|v| v.get_ref().as_str()) {
                        raw.tenant_ids.insert(id.to_string());
                    }
                    raw.tenants
                        .extend(deserialize_table::<RawTenant>(item, diags));
                }
            }
            "sources" => {
                for item in entries("sources", value, diags) {
                    raw.sources.extend(parse_source(item, diags));
                }
            }
            "views" => raw.views = deserialize(value, diags, &[]).unwrap_or_default(),
            "sessions" => raw.sessions = super::sessions::parse(value, diags),
            // Read after the loop: rules name tenants that may be defined further down.
            "notifications" => notifications = Some(value),
            other => {
                let candidates: Vec<String> = SECTIONS.iter().map(|s| s.to_string()).collect();
                diags.error(
                    key.span(),
                    format!("unknown top-level key `{other}`"),
                    Some(suggest(other, &candidates)),
                );
            }
        }
    }
    if let Some(value) = notifications {
        raw.notifications = super::notify::parse(value, &raw.tenant_ids, diags);
    }
    raw
}

fn parse_contracts(value: Spanned<DeValue<'_>>, diags: &mut Collector<'_>, raw: &mut RawConfig) {
    let span = value.span();
    let DeValue::Table(table) = value.into_inner() else {
        diags.error(
            span,
            "`contracts` is a table of named contracts",
            Some("write `[contracts.standard]` and the contract's keys below it".into()),
        );
        return;
    };
    for (name, spec) in table {
        let name = name.into_inner().into_owned();
        raw.contract_names.insert(name.clone());
        if let Some(spec) = deserialize::<ContractSpec>(spec, diags, &[]) {
            raw.contracts.insert(name, spec);
        }
    }
}

/// The tables of an array of tables (`[[tenants]]`), reporting anything else.
pub(super) fn entries<'i>(
    section: &str,
    value: Spanned<DeValue<'i>>,
    diags: &mut Collector<'_>,
) -> Vec<Spanned<DeTable<'i>>> {
    let span = value.span();
    let DeValue::Array(items) = value.into_inner() else {
        diags.error(
            span,
            format!("`{section}` is a list of tables"),
            Some(format!(
                "write each entry under its own `[[{section}]]` header"
            )),
        );
        return Vec::new();
    };
    let mut tables = Vec::new();
    for item in items {
        let span = item.span();
        match item.into_inner() {
            DeValue::Table(table) => tables.push(Spanned::new(span, table)),
            _ => diags.error(
                span,
                format!("each entry of `{section}` is a table"),
                Some(format!(
                    "write each entry under its own `[[{section}]]` header"
                )),
            ),
        }
    }
    tables
}

fn deserialize_table<T: DeserializeOwned>(
    table: Spanned<DeTable<'_>>,
    diags: &mut Collector<'_>,
) -> Option<T> {
    let span = table.span();
    deserialize(
        Spanned::new(span, DeValue::Table(table.into_inner())),
        diags,
        &[],
    )
}

/// Splits a source table into the common keys and its kind's keys, and reads both.
fn parse_source(item: Spanned<DeTable<'_>>, diags: &mut Collector<'_>) -> Option<RawSource> {
    let span = item.span();
    let mut common = DeTable::new();
    let mut settings = DeTable::new();
    for (key, value) in item.into_inner() {
        if COMMON_FIELDS.contains(&key.get_ref().as_ref()) {
            common.insert(key, value);
        } else {
            settings.insert(key, value);
        }
    }
    let kind = common.get("kind").and_then(|v| {
        v.get_ref()
            .as_str()
            .map(|name| (name.to_string(), v.span()))
    });
    let common: Option<RawSourceCommon> =
        deserialize_table(Spanned::new(span.clone(), common), diags);
    let kind = common
        .as_ref()
        .map(|c| (c.kind.get_ref().clone(), c.kind.span()))
        .or(kind);
    let kind = kind.and_then(|(name, kind_span)| {
        let settings = Spanned::new(span, DeValue::Table(settings));
        parse_kind_settings(&name, kind_span, settings, diags)
    });
    Some(RawSource {
        common: common?,
        kind,
    })
}

fn validate(raw: RawConfig, diags: &mut Collector<'_>) -> Config {
    super::sessions::check_tenants(&raw.sessions.tenant_refs, &known_tenants(&raw), diags);
    let ui = validate_ui(raw.ui, diags);
    let contract_known = |name: &Spanned<String>, diags: &mut Collector<'_>| {
        known_or_report(name, &raw.contract_names, "contract", diags, || {
            format!("define it as `[contracts.{}]`", name.get_ref())
        })
    };
    let default_contract = raw
        .defaults
        .contract
        .filter(|c| contract_known(c, diags))
        .map(Spanned::into_inner);
    let mut tenants = Vec::new();
    let mut seen = HashMap::new();
    for tenant in raw.tenants {
        let id_ok = valid_id(&tenant.id, "tenant", &mut seen, diags);
        let contract = match &tenant.contract {
            Some(c) => contract_known(c, diags).then(|| c.get_ref().clone()),
            None => default_contract.clone(),
        };
        let state = tenant.state.as_ref().and_then(|s| bundesland(s, diags));
        if id_ok {
            let id = tenant.id.into_inner();
            tenants.push(TenantConfig {
                name: tenant.name.unwrap_or_else(|| id.clone()),
                id: TenantId::new(&id),
                contract,
                state,
                hosts: tenant.hosts,
            });
        }
    }
    let mut sources = Vec::new();
    let mut seen = HashMap::new();
    for source in raw.sources {
        sources.extend(validate_source(source, &raw.tenant_ids, &mut seen, diags));
    }
    let max_in_flight = match raw.defaults.max_in_flight {
        Some(n) if (1..=1024).contains(n.get_ref()) => *n.get_ref() as usize,
        Some(n) => {
            diags.error(
                n.span(),
                format!("`max-in-flight = {}` is out of range", n.get_ref()),
                Some("allow between 1 and 1024 requests in flight".into()),
            );
            Defaults::default().max_in_flight
        }
        None => Defaults::default().max_in_flight,
    };
    let views = validate_views(&raw.views, diags);
    Config {
        ui,
        views,
        notifications: raw.notifications,
        defaults: Defaults {
            contract: default_contract,
            max_in_flight,
        },
        contracts: raw.contracts,
        tenants,
        sources,
        sessions: raw.sessions.config,
        warnings: Vec::new(),
    }
}

/// Saved views: a name (like an id) and a filter that parses.
fn validate_views(
    raw: &BTreeMap<String, Spanned<String>>,
    diags: &mut Collector<'_>,
) -> BTreeMap<String, String> {
    let mut views = BTreeMap::new();
    for (name, filter) in raw {
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
        {
            diags.error(
                filter.span(),
                format!("`{name}` is not a view name"),
                Some(
                    "view names are words like `mine` or `p1-night` (letters, digits, - and _)"
                        .into(),
                ),
            );
            continue;
        }
        match crate::queue::parse(filter.get_ref()) {
            Ok(_) => {
                views.insert(name.clone(), filter.get_ref().clone());
            }
            Err(e) => diags.error(
                filter.span(),
                format!("view `{name}`: {e}"),
                Some("a view is a filter as typed after `/`, e.g. \"p:1,2 t:mueller\"".into()),
            ),
        }
    }
    views
}

/// Tenant ids items can carry: the configured ones, and the demo world's when a demo source
/// is configured.
fn known_tenants(raw: &RawConfig) -> BTreeSet<String> {
    let mut known = raw.tenant_ids.clone();
    if raw
        .sources
        .iter()
        .any(|s| matches!(s.kind, Some(SourceKind::Demo(_))))
    {
        known.extend(
            crate::sources::demo::TENANTS
                .iter()
                .map(|t| t.id.to_string()),
        );
    }
    known
}

fn validate_ui(raw: RawUi, diags: &mut Collector<'_>) -> UiConfig {
    let mut ui = UiConfig::default();
    if let Some(theme) = raw.theme {
        if valid_theme_name(theme.get_ref()) {
            ui.theme = theme.into_inner();
        } else {
            diags.error(
                theme.span(),
                format!("`{}` is not a theme name", theme.get_ref()),
                Some(
                    "write the name only (`night`, or `mine` for <config dir>/themes/mine.toml)"
                        .into(),
                ),
            );
        }
    }
    if let Some(keymap) = raw.keymap {
        match KeymapPreset::parse(keymap.get_ref()) {
            Some(preset) => ui.keymap = preset,
            None => {
                let names = KeymapPreset::ALL.map(|p| p.name().to_string());
                let hint = match did_you_mean(keymap.get_ref(), names.iter().map(String::as_str)) {
                    Some(best) => format!("did you mean `{best}`?"),
                    None => "presets are `default`, `vim` and `emacs`; personal bindings go into keymap.toml".into(),
                };
                diags.error(
                    keymap.span(),
                    format!("unknown keymap preset `{}`", keymap.get_ref()),
                    Some(hint),
                );
            }
        }
    }
    if let Some(lang) = raw.lang {
        match Lang::parse(lang.get_ref()) {
            Some(l) => ui.lang = l,
            None => diags.error(
                lang.span(),
                format!("unknown language `{}`", lang.get_ref()),
                Some("use `auto`, `en` or `de`".into()),
            ),
        }
    }
    if let Some(user) = raw.user {
        if user.get_ref().trim().is_empty() {
            diags.error(
                user.span(),
                "`user` is empty",
                Some("set your agent name in the ticket systems, or remove the line".into()),
            );
        } else {
            ui.user = Some(user.into_inner());
        }
    }
    if let Some(zone) = raw.time_zone {
        if jiff::tz::TimeZone::get(zone.get_ref()).is_ok() {
            ui.time_zone = Some(zone.into_inner());
        } else {
            diags.error(
                zone.span(),
                format!("unknown time zone `{}`", zone.get_ref()),
                Some("use an IANA zone name such as `Europe/Berlin`".into()),
            );
        }
    }
    ui
}

/// Theme names are file names without `.toml`: letters, digits, `-` and `_`.
pub(crate) fn valid_theme_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn known_or_report(
    name: &Spanned<String>,
    known: &BTreeSet<String>,
    what: &str,
    diags: &mut Collector<'_>,
    define_hint: impl Fn() -> String,
) -> bool {
    if known.contains(name.get_ref()) {
        return true;
    }
    let hint = match did_you_mean(name.get_ref(), known.iter().map(String::as_str)) {
        Some(best) => format!("did you mean `{best}`?"),
        None => define_hint(),
    };
    diags.error(
        name.span(),
        format!("unknown {what} `{}`", name.get_ref()),
        Some(hint),
    );
    false
}

/// Checks an id's shape and uniqueness; `seen` maps ids to where they were first defined.
fn valid_id(
    id: &Spanned<String>,
    what: &str,
    seen: &mut HashMap<String, Range<usize>>,
    diags: &mut Collector<'_>,
) -> bool {
    let text = id.get_ref();
    if text.is_empty() || text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        diags.error(
            id.span(),
            format!("`{text}` is not a valid {what} id"),
            Some("ids are short words without spaces, like `mueller` or `am-prod`".into()),
        );
        return false;
    }
    if let Some(first) = seen.get(text) {
        let line = diags.position(first.start).line;
        diags.error(
            id.span(),
            format!("duplicate {what} id `{text}`"),
            Some(format!(
                "`{text}` is already defined on line {line}; ids must be unique"
            )),
        );
        return false;
    }
    seen.insert(text.clone(), id.span());
    true
}

fn bundesland(state: &Spanned<String>, diags: &mut Collector<'_>) -> Option<String> {
    let code = state.get_ref().to_ascii_uppercase();
    if BUNDESLAND_CODES.contains(&code.as_str()) {
        return Some(code);
    }
    diags.error(
        state.span(),
        format!("unknown Bundesland `{}`", state.get_ref()),
        Some(format!("use one of {}", BUNDESLAND_CODES.join(" "))),
    );
    None
}

fn duration(
    value: Option<Spanned<String>>,
    field: &str,
    default: Duration,
    diags: &mut Collector<'_>,
) -> Option<Duration> {
    let Some(value) = value else {
        return Some(default);
    };
    match parse_duration(value.get_ref()) {
        Some(d) if d.is_zero() => {
            diags.error(
                value.span(),
                format!("`{field}` must be longer than zero"),
                Some(DURATION_HINT.into()),
            );
            None
        }
        Some(d) => Some(d),
        None => {
            diags.error(
                value.span(),
                format!("`{}` is not a duration", value.get_ref()),
                Some(DURATION_HINT.into()),
            );
            None
        }
    }
}

fn validate_source(
    source: RawSource,
    tenant_ids: &BTreeSet<String>,
    seen: &mut HashMap<String, Range<usize>>,
    diags: &mut Collector<'_>,
) -> Option<SourceConfig> {
    let c = source.common;
    let id_ok = valid_id(&c.id, "source", seen, diags);
    let mapping = validate_mapping(&c, tenant_ids, diags);
    let poll_interval = duration(
        c.poll_interval,
        "poll-interval",
        DEFAULT_POLL_INTERVAL,
        diags,
    );
    let timeout = duration(c.timeout, "timeout", DEFAULT_TIMEOUT, diags);
    let tenant_ok = c.tenant.as_ref().is_none_or(|t| {
        known_or_report(t, tenant_ids, "tenant", diags, || {
            format!("add a `[[tenants]]` entry with `id = \"{}\"`", t.get_ref())
        })
    });
    let auth = c
        .auth
        .as_ref()
        .map(|a| parse_auth(a.get_ref(), a.span(), diags));
    let auth_ok = auth.as_ref().is_none_or(Option::is_some);
    let auth = auth.flatten();
    let base_url_ok = c
        .base_url
        .as_ref()
        .is_none_or(|url| check_base_url(url, auth.is_some(), diags));
    let insecure = c.insecure.as_ref().is_some_and(|i| *i.get_ref());
    if let Some(flag) = c.insecure.as_ref().filter(|i| *i.get_ref()) {
        diags.warning(
            flag.span(),
            format!(
                "TLS CERTIFICATE CHECKS ARE OFF for source `{}` (insecure = true): anyone on the path can read and change its traffic",
                c.id.get_ref()
            ),
            Some("trust the server's certificate with `ca-file = \"/path/ca.pem\"` instead".into()),
        );
    }
    let outage_priority = match &c.outage_priority {
        Some(p) => parse_priority(p, "outage-priority", diags),
        None => Some(DEFAULT_OUTAGE_PRIORITY),
    };
    let kind = source.kind?;
    if kind.needs_base_url() && c.base_url.is_none() {
        diags.error(
            c.kind.span(),
            format!(
                "source `{}` of kind `{}` needs `base-url`",
                c.id.get_ref(),
                kind.name()
            ),
            Some("add e.g. `base-url = \"https://monitoring.example.net\"`".into()),
        );
        return None;
    }
    if !(id_ok && tenant_ok && base_url_ok && auth_ok) {
        return None;
    }
    Some(SourceConfig {
        id: SourceId::new(c.id.get_ref()),
        kind,
        mapping: mapping?,
        outage_priority: outage_priority?,
        poll_interval: poll_interval?,
        timeout: timeout?,
        tenant: c.tenant.map(|t| TenantId::new(t.get_ref())),
        base_url: c.base_url.map(Spanned::into_inner),
        auth,
        ca_file: c.ca_file,
        insecure,
    })
}

/// `tenant-label`, `tenant-map` (values must be known tenants), `priorities` and
/// `default-priority`. `None` when something was wrong (reported).
fn validate_mapping(
    c: &RawSourceCommon,
    tenant_ids: &BTreeSet<String>,
    diags: &mut Collector<'_>,
) -> Option<MappingConfig> {
    let mut ok = true;
    let mut mapping = MappingConfig {
        tenant_label: c.tenant_label.as_ref().map(|l| l.get_ref().clone()),
        ..MappingConfig::default()
    };
    for (value, tenant) in &c.tenant_map {
        if known_or_report(tenant, tenant_ids, "tenant", diags, || {
            format!(
                "add a `[[tenants]]` entry with `id = \"{}\"`",
                tenant.get_ref()
            )
        }) {
            mapping
                .tenant_map
                .insert(value.clone(), TenantId::new(tenant.get_ref()));
        } else {
            ok = false;
        }
    }
    for (severity, value) in &c.priorities {
        match parse_priority(value, &format!("priorities.{severity}"), diags) {
            Some(p) => {
                mapping.priorities.insert(severity.to_lowercase(), p);
            }
            None => ok = false,
        }
    }
    if let Some(value) = &c.default_priority {
        mapping.default_priority = parse_priority(value, "default-priority", diags);
        ok &= mapping.default_priority.is_some();
    }
    ok.then_some(mapping)
}

fn check_base_url(url: &Spanned<String>, has_auth: bool, diags: &mut Collector<'_>) -> bool {
    let text = url.get_ref();
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"));
    if rest.is_none_or(str::is_empty) {
        diags.error(
            url.span(),
            format!("`{text}` is not an http(s) URL"),
            Some("write the full address, e.g. `https://alertmanager.example.net:9093`".into()),
        );
        return false;
    }
    if has_auth && text.starts_with("http://") {
        diags.warning(
            url.span(),
            "credentials for this source travel unencrypted (http://)",
            Some("use https:// if the server offers it".into()),
        );
    }
    true
}
