//! `[notifications]`: the master switch and the `[[notifications.rule]]` list, each rule
//! read on its own (one broken rule does not hide the problems of the others) and checked
//! with file:line:column: trigger and channel names, filters that fit the trigger, the rate
//! limit and the quiet hours.

use std::collections::{BTreeSet, HashMap};
use std::ops::Range;
use std::sync::Arc;

use serde::Deserialize;
use toml::Spanned;
use toml::de::DeValue;

use super::diagnostic::{Collector, did_you_mean, suggest};
use super::load::{deserialize, entries};
use super::source::parse_priority;
use crate::model::{Kind, Priority, SourceId, TenantId};
use crate::notify::quiet::QUIET_HINT;
use crate::notify::rate::RATE_HINT;
use crate::notify::{
    Channel, DEFAULT_RATE_LIMIT, QuietHours, RateLimit, RateSetting, Rule, Trigger,
};
use crate::sla::ClockKind;

/// `[notifications]`, validated.
#[derive(Clone, Debug, PartialEq)]
pub struct NotifyConfig {
    /// `enabled = false` silences nightdesk entirely.
    pub enabled: bool,
    /// The configured rules; empty means the default rules.
    pub rules: Vec<Rule>,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        NotifyConfig {
            enabled: true,
            rules: Vec::new(),
        }
    }
}

impl NotifyConfig {
    /// The rules in force: none when switched off, the default rules when none are
    /// configured.
    pub fn effective_rules(&self) -> Vec<Rule> {
        match (self.enabled, self.rules.is_empty()) {
            (false, _) => Vec::new(),
            (true, true) => crate::notify::default_rules(),
            (true, false) => self.rules.clone(),
        }
    }
}

const KEYS: [&str; 2] = ["enabled", "rule"];

type List<T> = Spanned<Vec<Spanned<T>>>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawRule {
    #[serde(default)]
    name: Option<Spanned<String>>,
    trigger: Spanned<String>,
    #[serde(default)]
    priorities: Option<List<toml::Value>>,
    #[serde(default)]
    kinds: Option<List<String>>,
    #[serde(default)]
    tenants: Option<List<String>>,
    #[serde(default)]
    sources: Option<List<String>>,
    #[serde(default)]
    clocks: Option<List<String>>,
    channels: List<String>,
    #[serde(default)]
    rate_limit: Option<Spanned<String>>,
    #[serde(default)]
    quiet: Option<Spanned<String>>,
    #[serde(default)]
    quiet_except: Option<List<toml::Value>>,
    #[serde(default)]
    recovery: Option<Spanned<bool>>,
}

/// Reads `[notifications]`; `tenant_ids` are the configured tenants (to catch typos).
pub(super) fn parse(
    value: Spanned<DeValue<'_>>,
    tenant_ids: &BTreeSet<String>,
    diags: &mut Collector<'_>,
) -> NotifyConfig {
    let mut config = NotifyConfig::default();
    let span = value.span();
    let DeValue::Table(table) = value.into_inner() else {
        diags.error(
            span,
            "`notifications` is a table",
            Some("write `[notifications]` and its keys, rules as `[[notifications.rule]]`".into()),
        );
        return config;
    };
    let mut names = HashMap::new();
    for (key, value) in table {
        match key.get_ref().as_ref() {
            "enabled" => {
                if let Some(on) = deserialize::<bool>(value, diags, &[]) {
                    config.enabled = on;
                }
            }
            "rule" => {
                for (i, item) in entries("notifications.rule", value, diags)
                    .into_iter()
                    .enumerate()
                {
                    let span = item.span();
                    let raw = deserialize::<RawRule>(
                        Spanned::new(span, DeValue::Table(item.into_inner())),
                        diags,
                        &[],
                    );
                    if let Some(rule) = raw.and_then(|r| rule(r, i, tenant_ids, &mut names, diags))
                    {
                        config.rules.push(rule);
                    }
                }
            }
            other => {
                let candidates: Vec<String> = KEYS.iter().map(|s| s.to_string()).collect();
                diags.error(
                    key.span(),
                    format!("unknown key `{other}` in [notifications]"),
                    Some(suggest(other, &candidates)),
                );
            }
        }
    }
    config
}

/// One rule; `None` when something was wrong (reported).
fn rule(
    raw: RawRule,
    index: usize,
    tenant_ids: &BTreeSet<String>,
    names: &mut HashMap<String, Range<usize>>,
    diags: &mut Collector<'_>,
) -> Option<Rule> {
    // A bad trigger does not stop the checks of the other keys.
    let trigger = trigger(&raw.trigger, diags);
    let ok = trigger.is_some_and(|t| fits_trigger(&raw, t, diags));
    let name = trigger.and_then(|t| rule_name(raw.name.as_ref(), t, index, names, diags));
    let channels = channels(&raw.channels, diags);
    let priorities = match &raw.priorities {
        Some(list) => priority_list(list, "priorities", diags).map(Some),
        None => Some((trigger == Some(Trigger::NewP1)).then(|| vec![Priority::P1])),
    };
    let kinds = raw.kinds.as_ref().map(|l| kinds(l, diags));
    let tenants = raw.tenants.as_ref().map(|l| tenants(l, tenant_ids, diags));
    let sources = raw.sources.as_ref().map(|l| sources(l, diags));
    let clocks = raw.clocks.as_ref().map(|l| clocks(l, diags));
    let rate_limit = rate_limit(raw.rate_limit.as_ref(), diags);
    let quiet = raw.quiet.as_ref().map(|q| quiet(q, diags));
    let quiet_except = match &raw.quiet_except {
        Some(list) if raw.quiet.is_none() => {
            diags.error(
                list.span(),
                "`quiet-except` without `quiet`",
                Some("set the quiet hours too, e.g. `quiet = \"22:00-06:00\"`".into()),
            );
            None
        }
        Some(list) => priority_list(list, "quiet-except", diags),
        None => Some(Vec::new()),
    };
    let recovery = raw.recovery.as_ref().is_some_and(|r| *r.get_ref());
    if !ok {
        return None;
    }
    Some(Rule {
        name: Arc::from(name?.as_str()),
        trigger: trigger?,
        priorities: priorities?,
        kinds: lift(kinds)?,
        tenants: lift(tenants)?,
        sources: lift(sources)?,
        clocks: lift(clocks)?,
        channels: channels?,
        rate_limit: rate_limit?,
        quiet: lift(quiet)?,
        quiet_except: quiet_except?,
        recovery,
    })
}

/// An optional key that failed to parse (`Some(None)`) fails the rule.
fn lift<T>(value: Option<Option<T>>) -> Option<Option<T>> {
    match value {
        Some(None) => None,
        Some(Some(v)) => Some(Some(v)),
        None => Some(None),
    }
}

fn trigger(raw: &Spanned<String>, diags: &mut Collector<'_>) -> Option<Trigger> {
    let parsed = Trigger::parse(raw.get_ref());
    if parsed.is_none() {
        unknown_name(raw, "trigger", Trigger::ALL.map(Trigger::name), diags);
    }
    parsed
}

/// Filters and options that make no sense for the trigger are errors, not silently ignored.
fn fits_trigger(raw: &RawRule, trigger: Trigger, diags: &mut Collector<'_>) -> bool {
    let mut ok = true;
    let mut refuse = |span: Range<usize>, what: &str, hint: &str| {
        diags.error(
            span,
            format!("`{what}` does not apply to trigger `{}`", trigger.name()),
            Some(hint.into()),
        );
        ok = false;
    };
    if let Some(c) = raw.clocks.as_ref().filter(|_| !trigger.is_sla()) {
        refuse(
            c.span(),
            "clocks",
            "`clocks` filters `sla-warning` and `sla-breach` rules",
        );
    }
    if let Some(k) = raw
        .kinds
        .as_ref()
        .filter(|_| trigger == Trigger::SourceDown)
    {
        refuse(
            k.span(),
            "kinds",
            "a source has no item kind; filter by `sources`, `tenants` or `priorities` (its outage priority)",
        );
    }
    if let Some(r) = raw
        .recovery
        .as_ref()
        .filter(|_| trigger != Trigger::SourceDown)
    {
        refuse(
            r.span(),
            "recovery",
            "`recovery = true` adds \"source back\" to `source-down` rules",
        );
    }
    if trigger == Trigger::NewItemForMyTenants
        && raw.tenants.as_ref().is_none_or(|t| t.get_ref().is_empty())
    {
        diags.error(
            raw.trigger.span(),
            "`new-item-for-my-tenants` needs the tenants",
            Some("list them: `tenants = [\"mueller\", \"schmidt\"]`".into()),
        );
        ok = false;
    }
    ok
}

/// The rule's name: as written (unique), else its trigger (with its number when the same
/// trigger is used again).
fn rule_name(
    raw: Option<&Spanned<String>>,
    trigger: Trigger,
    index: usize,
    names: &mut HashMap<String, Range<usize>>,
    diags: &mut Collector<'_>,
) -> Option<String> {
    let Some(raw) = raw else {
        let name = trigger.name().to_string();
        if names.contains_key(&name) {
            return Some(format!("{name}#{}", index + 1));
        }
        names.insert(name.clone(), 0..0);
        return Some(name);
    };
    let text = raw.get_ref().trim();
    if text.is_empty() || text.chars().any(char::is_control) {
        diags.error(
            raw.span(),
            "a rule name is a short word or phrase",
            Some("e.g. `name = \"p1 at night\"`, or leave it out".into()),
        );
        return None;
    }
    if let Some(first) = names.get(text).filter(|s| !s.is_empty()) {
        let line = diags.position(first.start).line;
        diags.error(
            raw.span(),
            format!("duplicate rule name `{text}`"),
            Some(format!("`{text}` is already used on line {line}")),
        );
        return None;
    }
    names.insert(text.to_string(), raw.span());
    Some(text.to_string())
}

fn channels(list: &List<String>, diags: &mut Collector<'_>) -> Option<Vec<Channel>> {
    if list.get_ref().is_empty() {
        diags.error(
            list.span(),
            "a rule needs at least one channel",
            Some("e.g. `channels = [\"bell\", \"osc777\"]` (desktop, bell, osc777, osc9)".into()),
        );
        return None;
    }
    let mut out = Vec::new();
    let mut ok = true;
    for c in list.get_ref() {
        match Channel::parse(c.get_ref()) {
            Some(ch) if !out.contains(&ch) => out.push(ch),
            Some(_) => {}
            None => {
                unknown_name(c, "channel", Channel::ALL.map(Channel::name), diags);
                ok = false;
            }
        }
    }
    ok.then_some(out)
}

fn priority_list(
    list: &List<toml::Value>,
    what: &str,
    diags: &mut Collector<'_>,
) -> Option<Vec<Priority>> {
    if list.get_ref().is_empty() {
        diags.error(
            list.span(),
            format!("`{what}` is empty"),
            Some("list priorities like `[1, 2]` or `[\"P1\"]`, or leave the key out".into()),
        );
        return None;
    }
    let parsed: Vec<Option<Priority>> = list
        .get_ref()
        .iter()
        .map(|p| parse_priority(p, what, diags))
        .collect();
    parsed.into_iter().collect()
}

fn kinds(list: &List<String>, diags: &mut Collector<'_>) -> Option<Vec<Kind>> {
    let parsed: Vec<Option<Kind>> = list
        .get_ref()
        .iter()
        .map(|k| {
            let kind = Kind::ALL.into_iter().find(|x| x.name() == k.get_ref());
            if kind.is_none() {
                unknown_name(k, "kind", Kind::ALL.map(Kind::name), diags);
            }
            kind
        })
        .collect();
    parsed.into_iter().collect()
}

fn clocks(list: &List<String>, diags: &mut Collector<'_>) -> Option<Vec<ClockKind>> {
    const ALL: [ClockKind; 6] = [
        ClockKind::FirstResponse,
        ClockKind::NextUpdate,
        ClockKind::Resolution,
        ClockKind::Nis2EarlyWarning,
        ClockKind::Nis2Notification,
        ClockKind::Nis2FinalReport,
    ];
    let parsed: Vec<Option<ClockKind>> = list
        .get_ref()
        .iter()
        .map(|c| {
            let clock = ALL.into_iter().find(|x| x.name() == c.get_ref());
            if clock.is_none() {
                unknown_name(c, "clock", ALL.map(ClockKind::name), diags);
            }
            clock
        })
        .collect();
    parsed.into_iter().collect()
}

/// Tenant ids; an id the config does not define is a warning (a source's tenant label may
/// bring it), with a suggestion when it looks like a typo.
fn tenants(
    list: &List<String>,
    known: &BTreeSet<String>,
    diags: &mut Collector<'_>,
) -> Option<Vec<TenantId>> {
    if list.get_ref().is_empty() {
        diags.error(
            list.span(),
            "`tenants` is empty",
            Some("list tenant ids like `[\"mueller\"]`, or leave the key out".into()),
        );
        return None;
    }
    for t in list.get_ref() {
        if !known.is_empty() && !known.contains(t.get_ref()) {
            let hint = match did_you_mean(t.get_ref(), known.iter().map(String::as_str)) {
                Some(best) => format!("did you mean `{best}`?"),
                None => "the rule matches items whose tenant id is exactly this".into(),
            };
            diags.warning(
                t.span(),
                format!("no `[[tenants]]` entry with id `{}`", t.get_ref()),
                Some(hint),
            );
        }
    }
    Some(
        list.get_ref()
            .iter()
            .map(|t| TenantId::new(t.get_ref()))
            .collect(),
    )
}

fn sources(list: &List<String>, diags: &mut Collector<'_>) -> Option<Vec<SourceId>> {
    if list.get_ref().is_empty() {
        diags.error(
            list.span(),
            "`sources` is empty",
            Some("list source ids as the sources view (S) shows them, or leave the key out".into()),
        );
        return None;
    }
    Some(
        list.get_ref()
            .iter()
            .map(|s| SourceId::new(s.get_ref()))
            .collect(),
    )
}

/// `Some(None)`: no limit; `None`: malformed (reported).
fn rate_limit(
    raw: Option<&Spanned<String>>,
    diags: &mut Collector<'_>,
) -> Option<Option<RateLimit>> {
    let Some(raw) = raw else {
        return Some(Some(DEFAULT_RATE_LIMIT));
    };
    match RateLimit::parse(raw.get_ref()) {
        Some(RateSetting::Off) => Some(None),
        Some(RateSetting::Limit(limit)) => Some(Some(limit)),
        None => {
            diags.error(
                raw.span(),
                format!("`{}` is not a rate limit", raw.get_ref()),
                Some(RATE_HINT.into()),
            );
            None
        }
    }
}

fn quiet(raw: &Spanned<String>, diags: &mut Collector<'_>) -> Option<QuietHours> {
    let parsed = QuietHours::parse(raw.get_ref());
    if parsed.is_none() {
        diags.error(
            raw.span(),
            format!("`{}` is not a time window", raw.get_ref()),
            Some(QUIET_HINT.into()),
        );
    }
    parsed
}

fn unknown_name<const N: usize>(
    raw: &Spanned<String>,
    what: &str,
    names: [&str; N],
    diags: &mut Collector<'_>,
) {
    let candidates: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    diags.error(
        raw.span(),
        format!("unknown {what} `{}`", raw.get_ref()),
        Some(suggest(raw.get_ref(), &candidates)),
    );
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::Duration;

    use super::*;
    use crate::config::Config;

    fn load(text: &str) -> Config {
        Config::parse(Path::new("n.toml"), text).unwrap_or_else(|e| panic!("{e}"))
    }

    fn errors(text: &str) -> String {
        match Config::parse(Path::new("n.toml"), text) {
            Ok(c) => panic!("loaded: {:?}", c.notifications),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn no_section_means_the_default_rules() {
        let config = load("");
        assert!(config.notifications.enabled);
        assert_eq!(
            config.notifications.effective_rules(),
            crate::notify::default_rules()
        );
    }

    #[test]
    fn enabled_false_silences_everything() {
        let config = load("[notifications]\nenabled = false\n");
        assert!(config.notifications.effective_rules().is_empty());
    }

    #[test]
    fn a_full_rule_loads_every_key() {
        let config = load(
            r#"
[[tenants]]
id = "mueller"
[[tenants]]
id = "schmidt"

[[notifications.rule]]
name = "mine at night"
trigger = "new-item-for-my-tenants"
tenants = ["mueller", "schmidt"]
kinds = ["alert", "backup"]
priorities = [1, "P2"]
sources = ["psa"]
channels = ["desktop", "osc9", "desktop"]
rate-limit = "3/10m"
quiet = "22:00-06:00"
quiet-except = ["P1"]

[[notifications.rule]]
trigger = "sla-warning"
clocks = ["first-response"]
channels = ["bell"]
rate-limit = "off"

[[notifications.rule]]
trigger = "source-down"
recovery = true
channels = ["osc777"]

[[notifications.rule]]
trigger = "new-p1"
channels = ["bell"]
"#,
        );
        let rules = config.notifications.effective_rules();
        assert_eq!(rules.len(), 4);
        let mine = &rules[0];
        assert_eq!(&*mine.name, "mine at night");
        assert_eq!(mine.trigger, Trigger::NewItemForMyTenants);
        assert_eq!(
            mine.tenants,
            Some(vec![TenantId::new("mueller"), TenantId::new("schmidt")])
        );
        assert_eq!(mine.kinds, Some(vec![Kind::Alert, Kind::Backup]));
        assert_eq!(mine.priorities, Some(vec![Priority::P1, Priority::P2]));
        assert_eq!(mine.sources, Some(vec![SourceId::new("psa")]));
        assert_eq!(mine.channels, vec![Channel::Desktop, Channel::Osc9]);
        assert_eq!(
            mine.rate_limit,
            Some(RateLimit {
                count: 3,
                per: Duration::from_secs(600)
            })
        );
        assert_eq!(mine.quiet.unwrap().to_string(), "22:00-06:00");
        assert_eq!(mine.quiet_except, vec![Priority::P1]);
        assert_eq!(&*rules[1].name, "sla-warning");
        assert_eq!(rules[1].clocks, Some(vec![ClockKind::FirstResponse]));
        assert_eq!(rules[1].rate_limit, None);
        assert!(rules[2].recovery);
        assert_eq!(rules[2].rate_limit, Some(DEFAULT_RATE_LIMIT));
        assert_eq!(
            rules[3].priorities,
            Some(vec![Priority::P1]),
            "new-p1 means P1"
        );
        assert!(config.warnings.is_empty(), "{:?}", config.warnings);
    }

    #[test]
    fn a_misspelt_trigger_and_channel_point_at_their_values() {
        assert_eq!(
            errors(
                "[[notifications.rule]]\ntrigger = \"new-p2\"\nchannels = [\"bell\", \"osc99\"]\n"
            ),
            "n.toml:2:11: error: unknown trigger `new-p2`\nhint: did you mean `new-p1`?\n\
             n.toml:3:21: error: unknown channel `osc99`\nhint: did you mean `osc9`?"
        );
    }

    #[test]
    fn filters_that_do_not_fit_the_trigger_are_errors() {
        let e = errors(
            "[[notifications.rule]]\ntrigger = \"new-p1\"\nclocks = [\"resolution\"]\nrecovery = true\nchannels = [\"bell\"]\n\
             [[notifications.rule]]\ntrigger = \"source-down\"\nkinds = [\"alert\"]\nchannels = [\"bell\"]\n",
        );
        assert!(
            e.contains("n.toml:3:10: error: `clocks` does not apply to trigger `new-p1`"),
            "{e}"
        );
        assert!(
            e.contains("n.toml:4:12: error: `recovery` does not apply to trigger `new-p1`"),
            "{e}"
        );
        assert!(
            e.contains("n.toml:8:9: error: `kinds` does not apply to trigger `source-down`"),
            "{e}"
        );
    }

    #[test]
    fn my_tenants_needs_the_tenants() {
        assert_eq!(
            errors(
                "[[notifications.rule]]\ntrigger = \"new-item-for-my-tenants\"\nchannels = [\"bell\"]\n"
            ),
            "n.toml:2:11: error: `new-item-for-my-tenants` needs the tenants\n\
             hint: list them: `tenants = [\"mueller\", \"schmidt\"]`"
        );
    }

    #[test]
    fn bad_limits_windows_and_keys_are_reported_together() {
        let e = errors(
            "[notifications]\nenable = true\n\
             [[notifications.rule]]\ntrigger = \"new-p1\"\nchannels = []\nrate-limit = \"5 per minute\"\nquiet = \"22-6\"\n\
             [[notifications.rule]]\ntrigger = \"sla-breach\"\nchannels = [\"bell\"]\nquiet-except = [1]\n\
             [[notifications.rule]]\ntrigger = \"sla-breach\"\nprio = [1]\n",
        );
        for expected in [
            "n.toml:2:1: error: unknown key `enable` in [notifications]\nhint: did you mean `enabled`?",
            "n.toml:5:12: error: a rule needs at least one channel",
            "n.toml:6:14: error: `5 per minute` is not a rate limit",
            "n.toml:7:9: error: `22-6` is not a time window",
            "n.toml:11:16: error: `quiet-except` without `quiet`",
            "n.toml:14:1: error: unknown field `prio`",
        ] {
            assert!(e.contains(expected), "missing {expected:?} in\n{e}");
        }
    }

    #[test]
    fn duplicate_rule_names_are_refused() {
        let e = errors(
            "[[notifications.rule]]\nname = \"p1\"\ntrigger = \"new-p1\"\nchannels = [\"bell\"]\n\
             [[notifications.rule]]\nname = \"p1\"\ntrigger = \"sla-breach\"\nchannels = [\"bell\"]\n",
        );
        assert_eq!(
            e,
            "n.toml:6:8: error: duplicate rule name `p1`\nhint: `p1` is already used on line 2"
        );
    }

    #[test]
    fn an_unknown_tenant_is_a_warning_with_a_suggestion() {
        let config = load(
            "[[tenants]]\nid = \"mueller\"\n[[notifications.rule]]\ntrigger = \"new-item-for-my-tenants\"\ntenants = [\"muller\"]\nchannels = [\"bell\"]\n",
        );
        assert_eq!(config.warnings.len(), 1);
        assert_eq!(
            config.warnings[0].to_string(),
            "n.toml:5:12: warning: no `[[tenants]]` entry with id `muller`\nhint: did you mean `mueller`?"
        );
        assert_eq!(config.notifications.rules.len(), 1);
    }
}
