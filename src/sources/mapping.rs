//! Turning what a monitoring or ticket system says into the queue's terms, the same way for
//! every connector: the tenant from a fixed setting or a label (through an optional map of
//! label values), the priority from the source's severity name (connector defaults,
//! overridden by the config key by key), and text cut to a size a queue row can carry.

use std::collections::HashMap;

use jiff::Timestamp;

use crate::config::MappingConfig;
use crate::model::{
    Item, ItemKey, Kind, Label, Labels, Moment, Priority, SlaFacts, Status, TenantId,
};

/// Longest title kept from a source (a 1 MB summary stays a row, not a memory problem).
pub const MAX_TITLE_CHARS: usize = 500;
/// Longest label value or description kept.
pub const MAX_TEXT_CHARS: usize = 2000;

/// The tenant of items that name none, when the source has no fixed tenant.
pub const UNMAPPED_TENANT: &str = "unmapped";

/// A connector's mapping rules, built once per source.
#[derive(Clone, Debug)]
pub struct Mapping {
    fixed_tenant: Option<TenantId>,
    tenant_label: Option<String>,
    tenant_map: HashMap<String, TenantId>,
    known_tenants: Vec<TenantId>,
    priorities: HashMap<String, Priority>,
    default_priority: Priority,
}

impl Mapping {
    /// `defaults`: the connector's severity table, overridden by `config.priorities`;
    /// `default_label`: the label that names the tenant when the config names none;
    /// `known_tenants`: the configured tenants (a label value that is a tenant id maps to
    /// it; with no tenants configured, any value is taken as it is).
    pub fn new(
        config: &MappingConfig,
        fixed_tenant: Option<TenantId>,
        defaults: &[(&str, Priority)],
        default_label: Option<&str>,
        known_tenants: Vec<TenantId>,
    ) -> Self {
        let mut priorities: HashMap<String, Priority> = defaults
            .iter()
            .map(|(s, p)| (s.to_lowercase(), *p))
            .collect();
        priorities.extend(config.priorities.iter().map(|(k, v)| (k.clone(), *v)));
        Self {
            fixed_tenant,
            tenant_label: config
                .tenant_label
                .clone()
                .or_else(|| default_label.map(str::to_string)),
            tenant_map: config
                .tenant_map
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            known_tenants,
            priorities,
            default_priority: config.default_priority.unwrap_or(Priority::P3),
        }
    }

    /// The tenant of an item with these labels: the first value of the tenant label that
    /// maps (or is a known tenant), else the source's fixed tenant, else `unmapped`.
    pub fn tenant(&self, labels: &[Label]) -> TenantId {
        if let Some(name) = &self.tenant_label {
            for value in labels.iter().filter(|l| l.name() == name).map(Label::value) {
                if let Some(t) = self.tenant_of_value(value) {
                    return t;
                }
            }
        }
        self.fallback_tenant()
    }

    fn tenant_of_value(&self, value: &str) -> Option<TenantId> {
        if let Some(t) = self.tenant_map.get(value) {
            return Some(t.clone());
        }
        if self.known_tenants.is_empty() {
            return (!value.is_empty()).then(|| TenantId::new(value));
        }
        self.known_tenants
            .iter()
            .find(|t| t.as_str() == value)
            .cloned()
    }

    /// The tenant of items without a usable tenant label.
    pub fn fallback_tenant(&self) -> TenantId {
        self.fixed_tenant
            .clone()
            .unwrap_or_else(|| TenantId::new(UNMAPPED_TENANT))
    }

    /// The priority of a severity name (case does not matter).
    pub fn priority(&self, severity: &str) -> Priority {
        self.priorities
            .get(&severity.to_lowercase())
            .copied()
            .unwrap_or(self.default_priority)
    }
}

/// Records of a list answer decoded one by one: a malformed record is skipped and counted,
/// the others are kept.
#[derive(Debug)]
pub struct Decoded<T> {
    pub records: Vec<T>,
    pub skipped: usize,
    /// Why the first skipped record could not be read.
    pub first_error: Option<String>,
}

impl<T> Decoded<T> {
    /// "2 of 50 alerts could not be read (missing field `fingerprint`)", when some were
    /// skipped: the reason the source shows as degraded.
    pub fn problem(&self, what: &str) -> Option<String> {
        (self.skipped > 0).then(|| {
            format!(
                "{} of {} {what} could not be read ({})",
                self.skipped,
                self.skipped + self.records.len(),
                self.first_error.as_deref().unwrap_or("?")
            )
        })
    }
}

/// One undecoded record of a list answer: a parsed [`serde_json::Value`], or (cheaper: no
/// tree of maps and strings is built first) a slice of the answer's text.
pub trait Record {
    fn decode<T: serde::de::DeserializeOwned>(self) -> Result<T, serde_json::Error>;
}

impl Record for serde_json::Value {
    fn decode<T: serde::de::DeserializeOwned>(self) -> Result<T, serde_json::Error> {
        serde_json::from_value(self)
    }
}

impl Record for &serde_json::value::RawValue {
    fn decode<T: serde::de::DeserializeOwned>(self) -> Result<T, serde_json::Error> {
        serde_json::from_str(self.get())
    }
}

/// Decodes a JSON array answer record by record, without building a value tree first.
/// Fails only when the answer is not a JSON array at all.
pub fn decode_list<T: serde::de::DeserializeOwned>(
    body: &[u8],
) -> Result<Decoded<T>, crate::sources::SourceError> {
    let raw: Vec<&serde_json::value::RawValue> = serde_json::from_slice(body).map_err(|e| {
        crate::sources::SourceError::Protocol(format!(
            "malformed JSON ({e}): {}",
            super::http::snippet(&String::from_utf8_lossy(&body[..body.len().min(400)]))
        ))
    })?;
    Ok(decode_each(raw))
}

/// Decodes each record as a `T` on its own.
pub fn decode_each<T: serde::de::DeserializeOwned>(
    raw: impl IntoIterator<Item = impl Record>,
) -> Decoded<T> {
    let raw = raw.into_iter();
    let mut decoded = Decoded {
        records: Vec::with_capacity(raw.size_hint().0),
        skipped: 0,
        first_error: None,
    };
    for value in raw {
        match value.decode() {
            Ok(record) => decoded.records.push(record),
            Err(e) => {
                decoded.skipped += 1;
                decoded.first_error.get_or_insert_with(|| e.to_string());
            }
        }
    }
    decoded
}

/// A scalar of an API that sends ids and numbers as strings, and some of them as numbers
/// (Zabbix, Request Tracker).
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum Scalar {
    Text(String),
    Signed(i64),
    Unsigned(u64),
}

/// Deserializes a string or a number as its text (`"17"` and `17` both give `"17"`).
pub fn lenient_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match <Scalar as serde::Deserialize>::deserialize(d)? {
        Scalar::Text(s) => s,
        Scalar::Signed(n) => n.to_string(),
        Scalar::Unsigned(n) => n.to_string(),
    })
}

/// Deserializes an integer written as a string or a number; anything else is an error
/// that names the value.
pub fn lenient_integer<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let s = lenient_text(d)?;
    s.trim()
        .parse()
        .map_err(|_| serde::de::Error::custom(format!("`{}` is not a number", clip(&s, 40))))
}

/// Cuts `text` to `max` characters, marking the cut.
pub fn clip(text: &str, max: usize) -> Box<str> {
    if text.chars().count() <= max {
        return text.into();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out.into()
}

/// An item with the fields every connector fills the same way; the connector sets the
/// rest (host, assignee, labels, link, SLA facts) on the result.
pub fn new_item(
    key: ItemKey,
    tenant: TenantId,
    kind: Kind,
    title: &str,
    priority: Priority,
    status: Status,
    created: Timestamp,
) -> Item {
    Item {
        key,
        tenant,
        kind,
        title: clip(title, MAX_TITLE_CHARS),
        host: None,
        address: None,
        priority,
        status,
        created: Moment::new(created),
        updated: Moment::new(created),
        assignee: None,
        labels: Labels::new(),
        link: None,
        sla: SlaFacts::default(),
    }
}

/// A time given as Unix seconds (fractions kept to the millisecond), as monitoring APIs
/// write it; `None` for 0 ("never") and anything outside the representable range.
pub fn unix_seconds(seconds: f64) -> Option<Timestamp> {
    if !seconds.is_finite() || seconds <= 0.0 {
        return None;
    }
    Timestamp::from_millisecond((seconds * 1000.0).round() as i64).ok()
}

/// The comment of a write-back with its author in front, for systems that record only the
/// API user as the author: `[nachtschicht] looking at it`. Brackets and control characters
/// are dropped from the name, so [`attribution`] can read it back.
pub fn attributed(comment: &str, author: &str) -> String {
    let author: String = author
        .chars()
        .filter(|c| !matches!(c, '[' | ']') && !c.is_control())
        .collect();
    match (author.trim(), comment.trim()) {
        ("", comment) => comment.to_string(),
        (author, "") => format!("[{author}]"),
        (author, comment) => format!("[{author}] {comment}"),
    }
}

/// The author of a comment written by [`attributed`], if it names one.
pub fn attribution(comment: &str) -> Option<&str> {
    let rest = comment.strip_prefix('[')?;
    let (author, _) = rest.split_once(']')?;
    let author = author.trim();
    (!author.is_empty() && author.chars().count() <= 64).then_some(author)
}

/// A label with the value clipped.
pub fn label(name: &str, value: &str) -> Label {
    Label::new(name, &clip(value, MAX_TEXT_CHARS))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn labels(pairs: &[(&str, &str)]) -> Vec<Label> {
        pairs.iter().map(|(k, v)| label(k, v)).collect()
    }

    #[test]
    fn tenant_from_label_map_known_or_fallback() {
        let config = MappingConfig {
            tenant_label: Some("customer".into()),
            tenant_map: BTreeMap::from([("mm".to_string(), TenantId::new("mueller"))]),
            ..MappingConfig::default()
        };
        let known = vec![TenantId::new("mueller"), TenantId::new("schmidt")];
        let m = Mapping::new(&config, None, &[], None, known);
        assert_eq!(m.tenant(&labels(&[("customer", "mm")])).as_str(), "mueller");
        assert_eq!(
            m.tenant(&labels(&[("customer", "schmidt")])).as_str(),
            "schmidt"
        );
        // Unknown value, no label: the fallback.
        assert_eq!(
            m.tenant(&labels(&[("customer", "nobody")])).as_str(),
            UNMAPPED_TENANT
        );
        assert_eq!(m.tenant(&[]).as_str(), UNMAPPED_TENANT);
        // Several values (host groups): the first that maps wins.
        assert_eq!(
            m.tenant(&labels(&[("customer", "linux"), ("customer", "schmidt")]))
                .as_str(),
            "schmidt"
        );
        let fixed = Mapping::new(&config, Some(TenantId::new("schmidt")), &[], None, vec![]);
        assert_eq!(fixed.tenant(&[]).as_str(), "schmidt");
        // Without configured tenants any value is taken as the tenant id.
        assert_eq!(fixed.tenant(&labels(&[("customer", "x")])).as_str(), "x");
    }

    #[test]
    fn priorities_defaults_overridden_by_config() {
        let config = MappingConfig {
            priorities: BTreeMap::from([("warning".to_string(), Priority::P2)]),
            default_priority: Some(Priority::P4),
            ..MappingConfig::default()
        };
        let m = Mapping::new(
            &config,
            None,
            &[("critical", Priority::P1), ("warning", Priority::P3)],
            None,
            vec![],
        );
        assert_eq!(m.priority("CRITICAL"), Priority::P1);
        assert_eq!(m.priority("warning"), Priority::P2);
        assert_eq!(m.priority("whatever"), Priority::P4);
    }

    #[test]
    fn malformed_records_are_skipped_and_counted() {
        #[derive(serde::Deserialize)]
        struct R {
            #[allow(dead_code)]
            id: String,
        }
        let raw = vec![
            serde_json::json!({"id": "a"}),
            serde_json::json!({"name": "no id"}),
            serde_json::json!({"id": "c"}),
        ];
        let d = decode_each::<R>(raw);
        assert_eq!(d.records.len(), 2);
        assert_eq!(d.skipped, 1);
        let p = d.problem("alerts").unwrap();
        assert!(p.starts_with("1 of 3 alerts could not be read"), "{p}");
        assert!(p.contains("missing field `id`"), "{p}");
    }

    #[test]
    fn unix_seconds_keep_milliseconds_and_refuse_never() {
        let t = unix_seconds(1_796_104_876.530_736).unwrap();
        assert_eq!(t.as_millisecond(), 1_796_104_876_531);
        assert_eq!(unix_seconds(0.0), None);
        assert_eq!(unix_seconds(-5.0), None);
        assert_eq!(unix_seconds(f64::NAN), None);
        assert_eq!(unix_seconds(1e300), None);
    }

    #[test]
    fn comments_name_their_author() {
        assert_eq!(attributed("on it", "nacht"), "[nacht] on it");
        assert_eq!(attributed("on it", ""), "on it");
        assert_eq!(attributed(" ", "nacht"), "[nacht]");
        assert_eq!(attributed("x", "[evil]\n"), "[evil] x");
        assert_eq!(attribution("[anna] on it"), Some("anna"));
        assert_eq!(attribution("[anna]"), Some("anna"));
        assert_eq!(attribution("no author"), None);
        assert_eq!(attribution("[] empty"), None);
    }

    #[test]
    fn a_list_answer_is_decoded_from_its_text() {
        #[derive(Debug, serde::Deserialize)]
        struct R {
            id: String,
        }
        let d = decode_list::<R>(br#"[{"id":"a"},{"x":1},{"id":"c\u00e4"}]"#).unwrap();
        let ids: Vec<&str> = d.records.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["a", "cä"]);
        assert_eq!(d.skipped, 1);
        let e = decode_list::<R>(b"{\"not\": \"a list\"}").unwrap_err();
        assert!(e.to_string().contains("malformed JSON"), "{e}");
    }

    #[test]
    fn numbers_may_come_as_strings() {
        #[derive(Debug, serde::Deserialize)]
        struct R {
            #[serde(deserialize_with = "lenient_text")]
            id: String,
            #[serde(deserialize_with = "lenient_integer")]
            n: i64,
        }
        let r: R = serde_json::from_str(r#"{"id": 7, "n": " 50"}"#).unwrap();
        assert_eq!((r.id.as_str(), r.n), ("7", 50));
        let r: R = serde_json::from_str(r#"{"id": "a", "n": -3}"#).unwrap();
        assert_eq!((r.id.as_str(), r.n), ("a", -3));
        let e = serde_json::from_str::<R>(r#"{"id": "a", "n": "high"}"#).unwrap_err();
        assert!(e.to_string().contains("`high` is not a number"), "{e}");
        assert!(serde_json::from_str::<R>(r#"{"id": [1], "n": 1}"#).is_err());
    }

    #[test]
    fn clip_marks_the_cut() {
        assert_eq!(&*clip("short", 10), "short");
        let c = clip(&"ä".repeat(20), 10);
        assert_eq!(c.chars().count(), 10);
        assert!(c.ends_with('…'));
    }
}
