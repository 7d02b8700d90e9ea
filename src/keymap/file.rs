//! Reading one keymap file: TOML with spans, `[meta]`, one table per context, each entry a key
//! string and an action string. Problems that belong to a single entry (syntax, unknown
//! context, bad key or action, two spellings of one key, keys terminals swallow) are reported
//! here; problems between entries and layers (prefix clashes) are found in `check`.

use std::collections::HashMap;
use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::check::Report;
use super::key::{Code, Key, KeySeq};
use crate::action::{Action, ActionId, ActionParseError, Context, REGISTRY};

/// One valid binding read from a file.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub context: Context,
    pub keys: KeySeq,
    pub action: Action,
    /// Byte range of the key string in the file (with its quotes).
    pub key_span: Range<usize>,
}

/// What a file says, with everything that could not be understood left out.
#[derive(Debug, Default)]
pub(crate) struct KeymapFile {
    pub name: Option<String>,
    /// The keymap this one builds on, and where the name is written.
    pub extends: Option<(String, Range<usize>)>,
    pub entries: Vec<Entry>,
}

/// Parse `text`, reporting every problem to `report`. Entries with problems are skipped.
pub(crate) fn parse(text: &str, report: &mut Report) -> KeymapFile {
    let (root, errors) = DeTable::parse_recoverable(text);
    if !errors.is_empty() {
        for err in errors {
            let at = err.span().map_or(0, |s| s.start);
            report.error_at(at, err.message().to_string());
        }
        return KeymapFile::default();
    }
    let mut file = KeymapFile::default();
    let mut tables: Vec<_> = root.get_ref().iter().collect();
    tables.sort_by_key(|(name, _)| name.span().start);
    for (name, value) in tables {
        read_top_level(name, value, &mut file, report);
    }
    file.entries.sort_by_key(|e| e.key_span.start);
    file
}

fn read_top_level(
    name: &Spanned<std::borrow::Cow<'_, str>>,
    value: &Spanned<DeValue<'_>>,
    file: &mut KeymapFile,
    report: &mut Report,
) {
    let span = name.span();
    let table = match value.get_ref() {
        DeValue::Table(table) => table,
        _ if name.get_ref() == "meta" => {
            return report.error(span, "`meta` must be a table: [meta]".into());
        }
        _ => {
            return report.error(
                span,
                format!(
                    "binding `{}` is outside a context table; put it under [global] or another context",
                    name.get_ref()
                ),
            );
        }
    };
    if name.get_ref() == "meta" {
        return read_meta(table, file, report);
    }
    match Context::parse(name.get_ref()) {
        Some(context) => read_context(context, table, file, report),
        None => report.error(
            span,
            format!(
                "unknown context `{}` (contexts: {})",
                name.get_ref(),
                Context::ALL.map(Context::name).join(", ")
            ),
        ),
    }
}

fn read_meta(table: &DeTable<'_>, file: &mut KeymapFile, report: &mut Report) {
    for (key, value) in table.iter() {
        let text = value.get_ref().as_str();
        match (key.get_ref().as_ref(), text) {
            ("name", Some(name)) => file.name = Some(name.to_string()),
            ("extends", Some(base)) => file.extends = Some((base.to_string(), value.span())),
            ("name" | "extends", None) => report.error(
                value.span(),
                format!(
                    "`{}` must be a string, found {}",
                    key.get_ref(),
                    value.get_ref().type_str()
                ),
            ),
            (other, _) => report.error(
                key.span(),
                format!("unknown key `{other}` in [meta] (known: name, extends)"),
            ),
        }
    }
}

fn read_context(context: Context, table: &DeTable<'_>, file: &mut KeymapFile, report: &mut Report) {
    let mut rows: Vec<_> = table.iter().collect();
    rows.sort_by_key(|(key, _)| key.span().start);
    // Canonical key sequence -> how it was first written, for "two spellings" errors.
    let mut seen: HashMap<KeySeq, (String, usize)> = HashMap::new();
    for (key, value) in rows {
        let keys = match key.get_ref().parse::<KeySeq>() {
            Ok(keys) => keys,
            Err(err) => {
                report.error(key.span(), err.to_string());
                continue;
            }
        };
        let Some(action) = read_action(value, report) else {
            continue;
        };
        if let Some((first, line)) = seen.get(&keys) {
            report.error(
                key.span(),
                format!(
                    "`{}` is the same key as `{first}` on line {line}; bind it once",
                    key.get_ref()
                ),
            );
            continue;
        }
        seen.insert(
            keys.clone(),
            (key.get_ref().to_string(), report.line_of(key.span().start)),
        );
        if action.id != ActionId::Noop {
            warn_swallowed_keys(&keys, key.span(), report);
        }
        file.entries.push(Entry {
            context,
            keys,
            action,
            key_span: key.span(),
        });
    }
}

fn read_action(value: &Spanned<DeValue<'_>>, report: &mut Report) -> Option<Action> {
    let Some(text) = value.get_ref().as_str() else {
        report.error(
            value.span(),
            format!(
                "expected an action string such as \"select-next\", found {}",
                value.get_ref().type_str()
            ),
        );
        return None;
    };
    match text.parse::<Action>() {
        Ok(action) => Some(action),
        Err(err) => {
            report.error(value.span(), action_error_message(&err));
            None
        }
    }
}

fn action_error_message(err: &ActionParseError) -> String {
    match err {
        ActionParseError::Unknown(name) => match closest_action(name) {
            Some(near) => format!("{err}, did you mean `{near}`?"),
            None => err.to_string(),
        },
        _ => err.to_string(),
    }
}

/// The registered action name nearest to a misspelling, if it is close enough to be a typo.
fn closest_action(name: &str) -> Option<&'static str> {
    REGISTRY
        .iter()
        .map(|spec| (edit_distance(name, spec.name), spec.name))
        .filter(|(distance, _)| *distance <= 2)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, name)| name)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

/// Warn about keys that terminals, tmux or the shell often keep for themselves.
fn warn_swallowed_keys(keys: &KeySeq, span: Range<usize>, report: &mut Report) {
    for key in keys.keys() {
        if let Some(why) = swallowed_by(*key) {
            report.warning(span.clone(), format!("`{key}` {why}"));
        }
    }
}

fn swallowed_by(key: Key) -> Option<&'static str> {
    let Code::Char(c) = key.code() else {
        return None;
    };
    if key.mods() != super::key::Modifiers::CTRL {
        return None;
    }
    match c {
        'a' | 'b' => Some("is the tmux/screen prefix key for many users and may never arrive"),
        's' | 'q' => Some("is XON/XOFF flow control on some terminals and may freeze the output"),
        'z' => Some("suspends programs in the shell; users do not expect it to be rebound"),
        'i' => Some("arrives as `tab` in most terminals"),
        'm' => Some("arrives as `enter` in most terminals"),
        '[' => Some("arrives as `esc` in most terminals"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_single_edits() {
        assert_eq!(edit_distance("ak", "ack"), 1);
        assert_eq!(edit_distance("ack", "ack"), 0);
        assert_eq!(edit_distance("slect-next", "select-next"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn closest_action_only_for_typos() {
        assert_eq!(closest_action("ak"), Some("ack"));
        assert_eq!(closest_action("qiut"), Some("quit"));
        assert_eq!(closest_action("launch-rocket"), None);
    }
}
