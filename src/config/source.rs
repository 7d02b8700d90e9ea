//! A configured source: the fields every source has (id, polling, tenant, endpoint, auth,
//! TLS), plus the settings of its kind. Adding a connector means a variant in [`SourceKind`],
//! a settings struct, and one arm in [`parse_kind_settings`].

use std::ops::Range;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;
use toml::de::DeValue;

use super::diagnostic::{Collector, did_you_mean};
use super::secret::Secret;
use crate::model::{SourceId, TenantId};

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
    pub auth: Option<Secret>,
    /// Extra CA certificate (PEM) to trust for this source.
    pub ca_file: Option<PathBuf>,
    /// TLS certificate checks off. Reported loudly by `config check`.
    pub insecure: bool,
}

/// What a source is, with the settings only that kind has.
#[derive(Clone, Debug, PartialEq)]
pub enum SourceKind {
    /// The built-in demo world.
    Demo(DemoSettings),
}

impl SourceKind {
    /// The `kind = "..."` values nightdesk knows.
    pub const NAMES: &'static [&'static str] = &["demo"];

    pub fn name(&self) -> &'static str {
        match self {
            SourceKind::Demo(_) => "demo",
        }
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
}

/// The keys of [`RawSourceCommon`]; every other key of a source belongs to its kind.
pub(crate) const COMMON_FIELDS: [&str; 9] = [
    "id",
    "kind",
    "poll-interval",
    "timeout",
    "tenant",
    "base-url",
    "auth",
    "ca-file",
    "insecure",
];

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
