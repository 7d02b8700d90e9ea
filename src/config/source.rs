//! A configured source: the fields every source has (id, polling, tenant, endpoint, auth,
//! TLS, how its severities and labels map to priorities and tenants), plus the settings of
//! its kind. Adding a connector means a variant in [`SourceKind`], a settings struct (kept
//! in the connector's own module), and one arm in [`parse_kind_settings`].

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;
use toml::de::DeValue;

use super::diagnostic::{Collector, did_you_mean};
use super::secret::Auth;
use crate::model::{Priority, SourceId, TenantId};
use crate::sources::alertmanager::AlertmanagerSettings;
use crate::sources::autotask::AutotaskSettings;
use crate::sources::backup::Backup;
use crate::sources::backup::borg::BorgSettings;
use crate::sources::backup::pbs::PbsSettings;
use crate::sources::backup::restic::ResticSettings;
use crate::sources::backup::rules::{RULE_FIELDS, RuleSettings};
use crate::sources::backup::veeam::VeeamSettings;
use crate::sources::backup::vspc::VspcSettings;
use crate::sources::checkmk::CheckmkSettings;
use crate::sources::halopsa::HaloPsaSettings;
use crate::sources::icinga::IcingaSettings;
use crate::sources::prtg::PrtgSettings;
use crate::sources::redmine::RedmineSettings;
use crate::sources::rt::RtSettings;
use crate::sources::zabbix::ZabbixSettings;
use crate::sources::zammad::ZammadSettings;

/// Default time between two polls.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(30);
/// Default time a single fetch may take.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// One `[[sources]]` entry, validated.
#[derive(Clone, Debug, PartialEq)]
pub struct SourceConfig {
    pub id: SourceId,
    pub kind: SourceKind,
    pub poll_interval: Duration,
    pub timeout: Duration,
    /// All items of this source belong to this tenant (for single-tenant systems).
    pub tenant: Option<TenantId>,
    pub base_url: Option<String>,
    pub auth: Option<Auth>,
    /// Extra CA certificate (PEM) to trust for this source.
    pub ca_file: Option<PathBuf>,
    /// TLS certificate checks off. Reported loudly by `config check` and in the UI.
    pub insecure: bool,
    /// How the source's labels and severities become tenants and priorities.
    pub mapping: MappingConfig,
    /// Priority of the queue item that says this source cannot be read.
    pub outage_priority: Priority,
}

/// `tenant-label`, `tenant-map`, `priorities`, `default-priority` of a source.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MappingConfig {
    /// The label (Alertmanager label, Icinga host variable or host group, Zabbix tag or
    /// host group, ...) whose value names the tenant. Items that carry none get `tenant`.
    pub tenant_label: Option<String>,
    /// Label values that differ from the tenant id: value -> tenant id.
    pub tenant_map: BTreeMap<String, TenantId>,
    /// The source's severity names (lower case) -> priority; overrides the connector's
    /// defaults key by key.
    pub priorities: BTreeMap<String, Priority>,
    /// Priority of a severity that is neither in `priorities` nor in the defaults.
    pub default_priority: Option<Priority>,
}

/// Default priority of the "source is blind" item.
pub const DEFAULT_OUTAGE_PRIORITY: Priority = Priority::P2;

/// What a source is, with the settings only that kind has.
#[derive(Clone, Debug, PartialEq)]
pub enum SourceKind {
    /// The built-in demo world.
    Demo(DemoSettings),
    /// Prometheus Alertmanager, API v2.
    Alertmanager(AlertmanagerSettings),
    /// Icinga 2, REST API v1.
    Icinga2(IcingaSettings),
    /// Zabbix, JSON-RPC API (5.4 or newer).
    Zabbix(ZabbixSettings),
    /// PRTG Network Monitor, classic HTTP API.
    Prtg(PrtgSettings),
    /// Checkmk, REST API 1.0.
    Checkmk(CheckmkSettings),
    /// Request Tracker 5, REST2.
    Rt(RtSettings),
    /// Redmine 5, REST API.
    Redmine(RedmineSettings),
    /// Zammad, REST API v1.
    Zammad(ZammadSettings),
    /// Autotask PSA, REST API v1.0.
    Autotask(AutotaskSettings),
    /// HaloPSA, REST API (OAuth2 client credentials).
    HaloPsa(HaloPsaSettings),
    /// restic repositories, through the `restic` program.
    Restic(Backup<ResticSettings>),
    /// BorgBackup 1.x repositories, through the `borg` program.
    Borg(Backup<BorgSettings>),
    /// Veeam Backup & Replication, REST API v1.
    Veeam(Backup<VeeamSettings>),
    /// Veeam Service Provider Console, REST API v3.
    Vspc(Backup<VspcSettings>),
    /// Proxmox Backup Server, API2 JSON.
    Pbs(Backup<PbsSettings>),
}

impl SourceKind {
    /// The `kind = "..."` values nightdesk knows.
    pub const NAMES: &'static [&'static str] = &[
        "demo",
        "alertmanager",
        "icinga2",
        "zabbix",
        "prtg",
        "checkmk",
        "rt",
        "redmine",
        "zammad",
        "autotask",
        "halopsa",
        "restic",
        "borg",
        "veeam",
        "vspc",
        "pbs",
    ];

    pub fn name(&self) -> &'static str {
        match self {
            SourceKind::Demo(_) => "demo",
            SourceKind::Alertmanager(_) => "alertmanager",
            SourceKind::Icinga2(_) => "icinga2",
            SourceKind::Zabbix(_) => "zabbix",
            SourceKind::Prtg(_) => "prtg",
            SourceKind::Checkmk(_) => "checkmk",
            SourceKind::Rt(_) => "rt",
            SourceKind::Redmine(_) => "redmine",
            SourceKind::HaloPsa(_) => "halopsa",
            SourceKind::Autotask(_) => "autotask",
            SourceKind::Zammad(_) => "zammad",
            SourceKind::Restic(_) => "restic",
            SourceKind::Borg(_) => "borg",
            SourceKind::Veeam(_) => "veeam",
            SourceKind::Vspc(_) => "vspc",
            SourceKind::Pbs(_) => "pbs",
        }
    }

    /// Whether the kind talks to a web API (and so needs `base-url`); the demo world and the
    /// backup programs (restic, borg) do not.
    pub fn needs_base_url(&self) -> bool {
        !matches!(
            self,
            SourceKind::Demo(_) | SourceKind::Restic(_) | SourceKind::Borg(_)
        )
    }
}

/// Settings of `kind = "demo"`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct DemoSettings {
    /// Seed of the demo world's random generator; the same seed gives the same world.
    #[serde(default)]
    pub seed: Option<u64>,
}

/// The fields every source has, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawSourceCommon {
    pub id: Spanned<String>,
    pub kind: Spanned<String>,
    #[serde(default)]
    pub poll_interval: Option<Spanned<String>>,
    #[serde(default)]
    pub timeout: Option<Spanned<String>>,
    #[serde(default)]
    pub tenant: Option<Spanned<String>>,
    #[serde(default)]
    pub base_url: Option<Spanned<String>>,
    #[serde(default)]
    pub auth: Option<Spanned<toml::Value>>,
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    #[serde(default)]
    pub insecure: Option<Spanned<bool>>,
    #[serde(default)]
    pub tenant_label: Option<Spanned<String>>,
    #[serde(default)]
    pub tenant_map: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    pub priorities: BTreeMap<String, Spanned<toml::Value>>,
    #[serde(default)]
    pub default_priority: Option<Spanned<toml::Value>>,
    #[serde(default)]
    pub outage_priority: Option<Spanned<toml::Value>>,
}

/// The keys of [`RawSourceCommon`]; every other key of a source belongs to its kind.
pub(crate) const COMMON_FIELDS: [&str; 14] = [
    "id",
    "kind",
    "poll-interval",
    "timeout",
    "tenant",
    "base-url",
    "auth",
    "ca-file",
    "insecure",
    "tenant-label",
    "tenant-map",
    "priorities",
    "default-priority",
    "outage-priority",
];

/// Reads a priority written as `1`, `"1"`, `"P1"` or `"p1"`.
pub(crate) fn parse_priority(
    value: &Spanned<toml::Value>,
    what: &str,
    diags: &mut Collector<'_>,
) -> Option<Priority> {
    let parsed = match value.get_ref() {
        toml::Value::Integer(n) => Priority::parse(&n.to_string()),
        toml::Value::String(s) => Priority::parse(s),
        _ => None,
    };
    if parsed.is_none() {
        diags.error(
            value.span(),
            format!("`{what}` is not a priority"),
            Some("write 1, 2, 3 or 4 (or \"P1\" .. \"P4\")".into()),
        );
    }
    parsed
}

/// Reads the kind-specific keys (`settings`, a table without the common keys) of a source of
/// kind `kind`, whose `kind = ...` value is at `kind_span`.
pub(crate) fn parse_kind_settings(
    kind: &str,
    kind_span: Range<usize>,
    settings: Spanned<DeValue<'_>>,
    diags: &mut Collector<'_>,
) -> Option<SourceKind> {
    match kind {
        "demo" => super::load::deserialize::<DemoSettings>(settings, diags, &COMMON_FIELDS)
            .map(SourceKind::Demo),
        "alertmanager" => {
            super::load::deserialize::<AlertmanagerSettings>(settings, diags, &COMMON_FIELDS)
                .map(SourceKind::Alertmanager)
        }
        "icinga2" => super::load::deserialize::<IcingaSettings>(settings, diags, &COMMON_FIELDS)
            .map(SourceKind::Icinga2),
        "zabbix" => super::load::deserialize::<ZabbixSettings>(settings, diags, &COMMON_FIELDS)
            .map(SourceKind::Zabbix),
        "prtg" => super::load::deserialize::<PrtgSettings>(settings, diags, &COMMON_FIELDS)
            .map(SourceKind::Prtg),
        "checkmk" => super::load::deserialize::<CheckmkSettings>(settings, diags, &COMMON_FIELDS)
            .map(SourceKind::Checkmk),
        "rt" => super::load::deserialize::<RtSettings>(settings, diags, &COMMON_FIELDS)
            .map(SourceKind::Rt),
        "redmine" => super::load::deserialize::<RedmineSettings>(settings, diags, &COMMON_FIELDS)
            .map(SourceKind::Redmine),
        "halopsa" => super::load::deserialize::<HaloPsaSettings>(settings, diags, &COMMON_FIELDS)
            .map(SourceKind::HaloPsa),
        "autotask" => super::load::deserialize::<AutotaskSettings>(settings, diags, &COMMON_FIELDS)
            .map(SourceKind::Autotask),
        "zammad" => super::load::deserialize::<ZammadSettings>(settings, diags, &COMMON_FIELDS)
            .map(SourceKind::Zammad),
        "restic" => parse_backup(settings, diags).map(SourceKind::Restic),
        "borg" => parse_backup(settings, diags).map(SourceKind::Borg),
        "veeam" => parse_backup(settings, diags).map(SourceKind::Veeam),
        "vspc" => parse_backup(settings, diags).map(SourceKind::Vspc),
        "pbs" => parse_backup(settings, diags).map(SourceKind::Pbs),
        other => {
            let hint = match did_you_mean(other, SourceKind::NAMES.iter().copied()) {
                Some(best) => format!("did you mean `{best}`?"),
                None => format!(
                    "known kinds: {} (more connectors will follow)",
                    SourceKind::NAMES.join(", ")
                ),
            };
            diags.error(
                kind_span,
                format!("unknown source kind `{other}`"),
                Some(hint),
            );
            None
        }
    }
}

/// Reads the settings of a backup source: the rule keys every backup kind shares
/// ([`RULE_FIELDS`]) into [`RuleSettings`], the others into the kind's own settings.
fn parse_backup<T: serde::de::DeserializeOwned>(
    settings: Spanned<DeValue<'_>>,
    diags: &mut Collector<'_>,
) -> Option<Backup<T>> {
    let span = settings.span();
    let DeValue::Table(table) = settings.into_inner() else {
        return None;
    };
    let mut rules = toml::de::DeTable::new();
    let mut own = toml::de::DeTable::new();
    for (key, value) in table {
        if RULE_FIELDS.contains(&key.get_ref().as_ref()) {
            rules.insert(key, value);
        } else {
            own.insert(key, value);
        }
    }
    let also_expected: Vec<&str> = COMMON_FIELDS.iter().chain(RULE_FIELDS).copied().collect();
    let rules = super::load::deserialize::<RuleSettings>(
        Spanned::new(span.clone(), DeValue::Table(rules)),
        diags,
        &[],
    );
    let own = super::load::deserialize::<T>(
        Spanned::new(span, DeValue::Table(own)),
        diags,
        &also_expected,
    );
    Some(Backup {
        rules: rules?,
        settings: own?,
    })
}
