//! Reading one theme file: `[meta]`, `[palette]` and `[styles]`, with every problem reported
//! at its line and column. Style entries may be quoted (`"priority.p1" = ...`) or nested
//! (`[styles.priority]` with `p1 = ...`); in a table, `fg`, `bg` and `modifiers` are the
//! style's attributes and every other key names a child style.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::names::StyleName;
use super::{Theme, ThemeError};
use crate::config::diagnostic::{Collector, did_you_mean, suggest};

const TOP_LEVEL: [&str; 3] = ["meta", "palette", "styles"];
const META_KEYS: [&str; 3] = ["name", "inherits", "requires"];
const ATTRIBUTES: [&str; 3] = ["fg", "bg", "modifiers"];

/// Modifier names as written in theme files.
pub const MODIFIERS: [(&str, Modifier); 8] = [
    ("bold", Modifier::BOLD),
    ("dim", Modifier::DIM),
    ("italic", Modifier::ITALIC),
    ("underlined", Modifier::UNDERLINED),
    ("slow_blink", Modifier::SLOW_BLINK),
    ("reversed", Modifier::REVERSED),
    ("hidden", Modifier::HIDDEN),
    ("crossed_out", Modifier::CROSSED_OUT),
];

/// Colour names offered in "did you mean" hints.
const COLOR_NAMES: [&str; 17] = [
    "reset",
    "black",
    "red",
    "green",
    "yellow",
    "blue",
    "magenta",
    "cyan",
    "gray",
    "darkgray",
    "lightred",
    "lightgreen",
    "lightyellow",
    "lightblue",
    "lightmagenta",
    "lightcyan",
    "white",
];

/// Loads the theme a file inherits from (by name).
pub(crate) type ParentLoader<'a> = dyn FnMut(&str) -> Result<Theme, ThemeError> + 'a;

/// Parses theme `name` from `text` (read from `file`).
pub(crate) fn parse_theme(
    name: &str,
    file: &Path,
    text: &str,
    load_parent: &mut ParentLoader<'_>,
) -> Result<Theme, ThemeError> {
    let mut diags = Collector::new(file, text);
    let root = match DeTable::parse(text) {
        Ok(root) => root.into_inner(),
        Err(e) => {
            diags.syntax_error(&e);
            return Err(ThemeError::Invalid {
                findings: diags.into_findings(),
            });
        }
    };
    let mut sections: BTreeMap<&str, Spanned<DeValue<'_>>> = BTreeMap::new();
    for (key, value) in root.iter() {
        match TOP_LEVEL.iter().find(|k| **k == key.get_ref().as_ref()) {
            Some(known) => {
                sections.insert(known, value.clone());
            }
            None => unknown_key(&mut diags, key, "section", &TOP_LEVEL),
        }
    }
    let meta = sections
        .remove("meta")
        .map(|m| read_meta(m, &mut diags))
        .unwrap_or_default();
    let mut theme = match &meta.inherits {
        Some((parent, span)) => inherit(parent, span.clone(), load_parent, &mut diags),
        None => Theme::empty(),
    };
    theme.name = name.to_string();
    theme.requires_truecolor |= meta.requires_truecolor;
    if let Some(palette) = sections.remove("palette") {
        read_palette(palette, &mut theme.palette, &mut diags);
    }
    if let Some(styles) = sections.remove("styles") {
        let mut reader = StyleReader {
            palette: &theme.palette,
            diags: &mut diags,
            seen: BTreeMap::new(),
        };
        reader.read_table(None, styles);
        for (style, (_, value)) in reader.seen {
            theme.defined[style.index()] = Some(value);
        }
    }
    if diags.has_errors() {
        let mut findings = diags.into_findings();
        findings.sort_by_key(|d| d.position.map(|p| (p.line, p.column)));
        return Err(ThemeError::Invalid { findings });
    }
    theme.resolve();
    Ok(theme)
}

fn unknown_key(
    diags: &mut Collector<'_>,
    key: &Spanned<std::borrow::Cow<'_, str>>,
    what: &str,
    expected: &[&str],
) {
    let candidates: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
    diags.error(
        key.span(),
        format!("unknown {what} `{}`", key.get_ref()),
        Some(suggest(key.get_ref(), &candidates)),
    );
}

#[derive(Default)]
struct Meta {
    inherits: Option<(String, Range<usize>)>,
    requires_truecolor: bool,
}

fn read_meta(meta: Spanned<DeValue<'_>>, diags: &mut Collector<'_>) -> Meta {
    let mut out = Meta::default();
    let Some(table) = table_of(&meta, "meta", diags) else {
        return out;
    };
    for (key, value) in table.iter() {
        let Some(text) = value.get_ref().as_str() else {
            if META_KEYS.contains(&key.get_ref().as_ref()) {
                diags.error(
                    value.span(),
                    format!("`{}` must be a string", key.get_ref()),
                    Some("put the value in double quotes".into()),
                );
            } else {
                unknown_key(diags, key, "key in [meta]", &META_KEYS);
            }
            continue;
        };
        match key.get_ref().as_ref() {
            "name" => {}
            "inherits" => out.inherits = Some((text.to_string(), value.span())),
            "requires" if text == "truecolor" => out.requires_truecolor = true,
            "requires" => diags.error(
                value.span(),
                format!("unknown requirement `{text}`"),
                Some("the only requirement is `truecolor`".into()),
            ),
            _ => unknown_key(diags, key, "key in [meta]", &META_KEYS),
        }
    }
    out
}

fn table_of<'v, 'i>(
    value: &'v Spanned<DeValue<'i>>,
    section: &str,
    diags: &mut Collector<'_>,
) -> Option<&'v DeTable<'i>> {
    let table = value.get_ref().as_table();
    if table.is_none() {
        diags.error(
            value.span(),
            format!("`{section}` must be a table"),
            Some(format!("write `[{section}]` and the entries below it")),
        );
    }
    table
}

/// The parent theme, or an empty one after reporting why it could not be loaded.
fn inherit(
    parent: &str,
    span: Range<usize>,
    load_parent: &mut ParentLoader<'_>,
    diags: &mut Collector<'_>,
) -> Theme {
    match load_parent(parent) {
        Ok(theme) => theme,
        Err(ThemeError::NotFound { name, hint }) => {
            diags.error(span, format!("unknown theme `{name}`"), Some(hint));
            Theme::empty()
        }
        Err(e) => {
            let first = e.findings().into_iter().next();
            let detail = first.map(|d| d.one_line()).unwrap_or_default();
            diags.error(
                span,
                format!("cannot inherit from `{parent}`"),
                Some(format!("fix that theme first: {detail}")),
            );
            Theme::empty()
        }
    }
}

fn read_palette(
    palette: Spanned<DeValue<'_>>,
    out: &mut BTreeMap<String, Color>,
    diags: &mut Collector<'_>,
) {
    let Some(table) = table_of(&palette, "palette", diags) else {
        return;
    };
    let own: Vec<(String, Option<Color>)> = table
        .iter()
        .map(|(key, value)| {
            let color = plain_color(value).or_else(|| {
                diags.error(
                    value.span(),
                    format!("palette entry `{}` is not a colour", key.get_ref()),
                    Some(color_hint(value, out)),
                );
                None
            });
            (key.get_ref().to_string(), color)
        })
        .collect();
    for (name, color) in own {
        if let Some(color) = color {
            out.insert(name, color);
        }
    }
}

/// A colour written directly: a name, `reset`, `0..255` (string or integer) or `#rrggbb`.
fn plain_color(value: &Spanned<DeValue<'_>>) -> Option<Color> {
    match value.get_ref() {
        DeValue::String(s) => Color::from_str(s).ok(),
        DeValue::Integer(i) => u8::from_str_radix(i.as_str(), i.radix())
            .ok()
            .map(Color::Indexed),
        _ => None,
    }
}

fn color_hint(value: &Spanned<DeValue<'_>>, palette: &BTreeMap<String, Color>) -> String {
    let written = value
        .get_ref()
        .as_str()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let names = COLOR_NAMES
        .iter()
        .copied()
        .chain(palette.keys().map(String::as_str));
    match did_you_mean(&written, names) {
        Some(best) => format!("did you mean `{best}`?"),
        None => "use an ANSI colour name (red, light-blue, ...), reset, 0-255, #rrggbb or a [palette] alias".into(),
    }
}

/// Walks `[styles]`, resolving colours against the palette.
struct StyleReader<'p, 'd, 't> {
    palette: &'p BTreeMap<String, Color>,
    diags: &'d mut Collector<'t>,
    /// Styles defined so far, with the byte offset of their definition.
    seen: BTreeMap<StyleName, (usize, Style)>,
}

impl StyleReader<'_, '_, '_> {
    fn read_table(&mut self, prefix: Option<&str>, value: Spanned<DeValue<'_>>) {
        let Some(table) = table_of(&value, "styles", self.diags) else {
            return;
        };
        for (key, value) in table.iter() {
            let name = match prefix {
                Some(p) => format!("{p}.{}", key.get_ref()),
                None => key.get_ref().to_string(),
            };
            self.read_entry(&name, key, value);
        }
    }

    fn read_entry(
        &mut self,
        name: &str,
        key: &Spanned<std::borrow::Cow<'_, str>>,
        value: &Spanned<DeValue<'_>>,
    ) {
        match value.get_ref() {
            DeValue::String(_) | DeValue::Integer(_) => {
                if let Some(style) = self.name(name, key.span()) {
                    let fg = self.color(value);
                    self.define(
                        style,
                        key.span(),
                        fg.map_or_else(Style::new, |c| Style::new().fg(c)),
                    );
                }
            }
            DeValue::Table(table) => {
                let has_attributes = table
                    .keys()
                    .any(|k| ATTRIBUTES.contains(&k.get_ref().as_ref()));
                if (has_attributes || table.is_empty())
                    && let Some(style) = self.name(name, key.span())
                {
                    let attributes = self.attributes(table);
                    self.define(style, key.span(), attributes);
                }
                for (child_key, child) in table.iter() {
                    if !ATTRIBUTES.contains(&child_key.get_ref().as_ref()) {
                        let child_name = format!("{name}.{}", child_key.get_ref());
                        self.read_entry(&child_name, child_key, child);
                    }
                }
            }
            _ => self.diags.error(
                value.span(),
                format!("style `{name}` must be a colour or a table"),
                Some(
                    "write a colour (`\"red\"`) or `{ fg = ..., bg = ..., modifiers = [...] }`"
                        .into(),
                ),
            ),
        }
    }

    fn name(&mut self, name: &str, span: Range<usize>) -> Option<StyleName> {
        if let Some(style) = StyleName::from_name(name) {
            return Some(style);
        }
        let last = name.rsplit('.').next().unwrap_or(name);
        let hint = did_you_mean(name, StyleName::ALL.iter().map(|s| s.name()))
            .or_else(|| did_you_mean(last, ATTRIBUTES))
            .map(|best| format!("did you mean `{best}`?"))
            .unwrap_or_else(|| "see docs/themes.md for the list of style names".into());
        self.diags
            .error(span, format!("unknown style `{name}`"), Some(hint));
        None
    }

    fn define(&mut self, style: StyleName, span: Range<usize>, value: Style) {
        if let Some((first, _)) = self.seen.get(&style) {
            let line = self.diags.position(*first).line;
            self.diags.error(
                span,
                format!("style `{}` is defined twice", style.name()),
                Some(format!("the first definition is on line {line}; keep one")),
            );
            return;
        }
        self.seen.insert(style, (span.start, value));
    }

    fn attributes(&mut self, table: &DeTable<'_>) -> Style {
        let mut style = Style::new();
        for (key, value) in table.iter() {
            match key.get_ref().as_ref() {
                "fg" => style = self.color(value).map_or(style, |c| style.fg(c)),
                "bg" => style = self.color(value).map_or(style, |c| style.bg(c)),
                "modifiers" => style = style.add_modifier(self.modifiers(value)),
                _ => {}
            }
        }
        style
    }

    fn color(&mut self, value: &Spanned<DeValue<'_>>) -> Option<Color> {
        if let Some(alias) = value.get_ref().as_str().and_then(|s| self.palette.get(s)) {
            return Some(*alias);
        }
        let color = plain_color(value);
        if color.is_none() {
            let written = match value.get_ref() {
                DeValue::String(s) => format!("`{s}`"),
                other => format!("a {}", other.type_str()),
            };
            self.diags.error(
                value.span(),
                format!("{written} is not a colour or palette alias"),
                Some(color_hint(value, self.palette)),
            );
        }
        color
    }

    fn modifiers(&mut self, value: &Spanned<DeValue<'_>>) -> Modifier {
        let Some(items) = value.get_ref().as_array() else {
            self.diags.error(
                value.span(),
                "`modifiers` must be a list",
                Some("write e.g. `modifiers = [\"bold\", \"underlined\"]`".into()),
            );
            return Modifier::empty();
        };
        let mut out = Modifier::empty();
        for item in items.iter() {
            let written = item.get_ref().as_str().unwrap_or_default();
            let normalised = written.replace('-', "_");
            match MODIFIERS.iter().find(|(n, _)| *n == normalised) {
                Some((_, m)) => out |= *m,
                None => {
                    let names = MODIFIERS.map(|(n, _)| n.to_string());
                    self.diags.error(
                        item.span(),
                        format!("unknown modifier `{written}`"),
                        Some(suggest(written, &names)),
                    );
                }
            }
        }
        out
    }
}
