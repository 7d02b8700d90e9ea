//! What REST2 answers, decoded leniently: ids and numbers come as strings in lists and as
//! numbers in single records, unset dates as `1970-01-01T00:00:00Z`, custom fields as `""`
//! when a ticket has none. A value that is there but cannot be read (a date that is no
//! date) fails its record, so that it is skipped and counted rather than guessed.

use jiff::Timestamp;
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::sources::mapping::{clip, lenient_integer, lenient_text};

/// The user RT shows as the owner of unowned tickets.
pub const NOBODY: &str = "Nobody";

/// One page of a collection (`/tickets`, `/transactions`, `/ticket/N/history`). `pages`
/// and `total` are `null` when the user may not see the whole collection.
#[derive(Debug, Deserialize)]
pub struct Page<'a> {
    #[serde(borrow, default)]
    pub items: Vec<&'a RawValue>,
    #[serde(default)]
    pub pages: Option<u64>,
}

/// A link to another record: `{"type": "user", "id": "alice", "_url": ...}`, plus the
/// fields asked for with `fields[Queue]=Name`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct Ref {
    #[serde(deserialize_with = "lenient_text")]
    pub id: String,
    #[serde(rename = "Name", default)]
    pub name: Option<String>,
}

impl Ref {
    /// The name when RT gave one, else the id (users are linked by name anyway).
    pub fn shown(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.id)
    }
}

/// One entry of a record's `_hyperlinks`; `lifecycle` entries name a status the ticket may
/// move to (`to`).
#[derive(Clone, Debug, Deserialize)]
pub struct Hyperlink {
    #[serde(rename = "ref", default)]
    pub kind: String,
    #[serde(default)]
    pub to: Option<String>,
}

/// A ticket as the search (`/tickets?fields=...`) or `GET /ticket/N` returns it.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TicketRecord {
    #[serde(rename = "id", deserialize_with = "lenient_text")]
    pub id: String,
    #[serde(default, deserialize_with = "optional_text")]
    pub subject: Option<String>,
    pub status: String,
    #[serde(default)]
    pub queue: Option<Ref>,
    #[serde(default, deserialize_with = "optional_integer")]
    pub priority: Option<i64>,
    #[serde(default)]
    pub owner: Option<Ref>,
    #[serde(default, deserialize_with = "refs")]
    pub requestor: Vec<Ref>,
    #[serde(deserialize_with = "required_time")]
    pub created: Timestamp,
    #[serde(default, deserialize_with = "optional_time")]
    pub last_updated: Option<Timestamp>,
    #[serde(default)]
    pub last_updated_by: Option<Ref>,
    #[serde(default, deserialize_with = "optional_time")]
    pub told: Option<Timestamp>,
    #[serde(default, deserialize_with = "optional_time")]
    pub due: Option<Timestamp>,
    #[serde(default, deserialize_with = "optional_time")]
    pub starts: Option<Timestamp>,
    #[serde(default, deserialize_with = "optional_time")]
    pub resolved: Option<Timestamp>,
    #[serde(default, deserialize_with = "custom_fields")]
    pub custom_fields: Vec<CustomField>,
    #[serde(rename = "_hyperlinks", default)]
    pub hyperlinks: Vec<Hyperlink>,
}

impl TicketRecord {
    /// The owner's name; `None` for `Nobody`.
    pub fn owner_name(&self) -> Option<&str> {
        self.owner
            .as_ref()
            .map(Ref::shown)
            .filter(|o| !o.is_empty() && !o.eq_ignore_ascii_case(NOBODY))
    }

    /// The non-empty values of the custom field `name` (case does not matter).
    pub fn custom_field(&self, name: &str) -> impl Iterator<Item = &str> {
        self.custom_fields
            .iter()
            .filter(move |cf| cf.name.eq_ignore_ascii_case(name))
            .flat_map(|cf| cf.values.iter().map(String::as_str))
            .filter(|v| !v.trim().is_empty())
    }

    /// The statuses its lifecycle lets the user move it to now.
    pub fn next_statuses(&self) -> impl Iterator<Item = &str> {
        self.hyperlinks
            .iter()
            .filter(|l| l.kind == "lifecycle")
            .filter_map(|l| l.to.as_deref())
    }
}

/// A custom field with its values (text values only: uploads are left out).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomField {
    pub name: String,
    pub values: Vec<String>,
}

/// One transaction of `/transactions` or `/ticket/N/history`.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TransactionRecord {
    #[serde(default, deserialize_with = "optional_lenient_text")]
    pub object_id: Option<String>,
    #[serde(rename = "Type")]
    pub kind: String,
    #[serde(deserialize_with = "required_time")]
    pub created: Timestamp,
    #[serde(default)]
    pub creator: Option<Ref>,
}

impl TransactionRecord {
    pub fn creator_name(&self) -> &str {
        self.creator.as_ref().map_or("?", Ref::shown)
    }
}

/// A user-defined group (`GET /group/N`) with its direct members.
#[derive(Clone, Debug, Deserialize)]
pub struct GroupRecord {
    #[serde(rename = "Members", default)]
    pub members: Vec<Member>,
}

/// A member of a group: a user (by name) or another group (by id).
#[derive(Clone, Debug, Deserialize)]
pub struct Member {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(deserialize_with = "lenient_text")]
    pub id: String,
}

/// `GET /rt`.
#[derive(Debug, Deserialize)]
pub struct RtInfo {
    #[serde(rename = "Version", default)]
    pub version: String,
}

/// An RT time; `None` for the unset `1970-01-01T00:00:00Z` (and anything before 1971).
pub fn rt_time(text: &str) -> Result<Option<Timestamp>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let at: Timestamp = text
        .parse()
        .map_err(|_| format!("`{}` is not a time", clip(text, 40)))?;
    Ok((at.as_second() > 365 * 86_400).then_some(at))
}

fn optional_time<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
    match Option::<String>::deserialize(d)? {
        Some(text) => rt_time(&text).map_err(serde::de::Error::custom),
        None => Ok(None),
    }
}

fn required_time<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
    optional_time(d)?.ok_or_else(|| serde::de::Error::custom("the time is not set"))
}

fn optional_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Option::<String>::deserialize(d)
}

fn optional_lenient_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    struct Wrapped(#[serde(deserialize_with = "lenient_text")] String);
    Ok(Option::<Wrapped>::deserialize(d)?.map(|w| w.0))
}

/// Priority as `"50"` or `50`; `null` or `""` is no priority.
fn optional_integer<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    struct Wrapped(#[serde(deserialize_with = "lenient_integer")] i64);
    match Option::<Value>::deserialize(d)? {
        None => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(v) => Wrapped::deserialize(v)
            .map(|w| Some(w.0))
            .map_err(serde::de::Error::custom),
    }
}

/// A role's members: a list of links, or one link (single-member roles), or nothing.
fn refs<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Ref>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        Many(Vec<Ref>),
        One(Ref),
    }
    Ok(match Option::<OneOrMany>::deserialize(d)? {
        Some(OneOrMany::Many(refs)) => refs,
        Some(OneOrMany::One(one)) => vec![one],
        None => Vec::new(),
    })
}

/// `CustomFields`: `""` without any, else `[{"name": .., "values": [..]}]`. Values that
/// are not text or numbers (uploads) are left out.
fn custom_fields<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<CustomField>, D::Error> {
    #[derive(Deserialize)]
    struct Raw {
        #[serde(default)]
        name: String,
        #[serde(default)]
        values: Vec<Value>,
    }
    let Some(Value::Array(raw)) = Option::<Value>::deserialize(d)? else {
        return Ok(Vec::new());
    };
    let mut fields = Vec::with_capacity(raw.len());
    for value in raw {
        let cf: Raw = serde_json::from_value(value).map_err(serde::de::Error::custom)?;
        let values = cf
            .values
            .into_iter()
            .filter_map(|v| match v {
                Value::String(s) => Some(s),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect();
        fields.push(CustomField {
            name: cf.name,
            values,
        });
    }
    Ok(fields)
}
