//! The keymap checker behind `nightdesk keys check`: every problem of a keymap file as one
//! `path:line:column: severity: message` line, positions 1-based and pointing at the offending
//! key or value. `check` looks at a file alone; `check_layered` also looks at the built-in
//! keymap the file extends, so a user `g` clashing with the default `g g` is found;
//! `check_views` finds `view NAME` bindings of views the config does not define.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use super::file::{self, KeymapFile};
use super::key::KeySeq;
use super::{Binding, Keymap, Origin};
use crate::action::{ActionId, Context};

/// How bad a finding is. Errors stop a strict load; warnings never do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// One finding. `line` and `column` are 1-based (column in characters); both are 0 for a
/// finding about the file as a whole, and then Display leaves them out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub path: PathBuf,
    pub line: usize,
    pub column: usize,
    pub severity: Severity,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.display();
        if self.line == 0 {
            write!(f, "{path}: {}: {}", self.severity, self.message)
        } else {
            write!(
                f,
                "{path}:{}:{}: {}: {}",
                self.line, self.column, self.severity, self.message
            )
        }
    }
}

/// True when any finding is an error.
pub fn has_errors(diagnostics: &[Diagnostic]) -> bool {
    diagnostics.iter().any(|d| d.severity == Severity::Error)
}

/// Collects findings for one file and turns byte offsets into line and column.
pub(crate) struct Report<'a> {
    path: &'a Path,
    text: &'a str,
    diagnostics: Vec<Diagnostic>,
}

impl<'a> Report<'a> {
    pub fn new(path: &'a Path, text: &'a str) -> Self {
        Report {
            path,
            text,
            diagnostics: Vec::new(),
        }
    }

    /// 1-based line and character column of a byte offset.
    pub fn position(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &self.text[..offset];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let line = before.matches('\n').count() + 1;
        (line, before[line_start..].chars().count() + 1)
    }

    pub fn line_of(&self, offset: usize) -> usize {
        self.position(offset).0
    }

    pub fn error(&mut self, span: Range<usize>, message: String) {
        self.error_at(span.start, message);
    }

    pub fn error_at(&mut self, offset: usize, message: String) {
        self.push_at(offset, Severity::Error, message);
    }

    pub fn warning(&mut self, span: Range<usize>, message: String) {
        self.push_at(span.start, Severity::Warning, message);
    }

    fn push_at(&mut self, offset: usize, severity: Severity, message: String) {
        let (line, column) = self.position(offset);
        self.push(line, column, severity, message);
    }

    /// A finding at a known position (0, 0 for the whole file).
    pub fn push(&mut self, line: usize, column: usize, severity: Severity, message: String) {
        self.diagnostics.push(Diagnostic {
            path: self.path.to_path_buf(),
            line,
            column,
            severity,
            message,
        });
    }

    /// The findings in file order.
    pub fn finish(mut self) -> Vec<Diagnostic> {
        self.diagnostics.sort_by_key(|d| (d.line, d.column));
        self.diagnostics
    }
}

/// Check one keymap file on its own: syntax, contexts, keys, actions, duplicate spellings,
/// avoided ctrl keys, and prefix clashes among its own bindings.
pub fn check(path: &Path, text: &str) -> Vec<Diagnostic> {
    let mut report = Report::new(path, text);
    let file = file::parse(text, &mut report);
    if let Some((base, span)) = &file.extends
        && !Keymap::PRESETS.contains(&base.as_str())
    {
        report.error(span.clone(), unknown_preset(base));
    }
    let alone = Keymap::with_file(Keymap::empty(), &file, &report);
    report_clashes(&alone, &mut report);
    report.finish()
}

/// Check a file as it will be used: on top of the built-in keymap it extends (`[meta]
/// extends`, else `preset`). Clashes with built-in bindings are reported at the file's key.
pub fn check_layered(path: &Path, text: &str, preset: &str) -> Vec<Diagnostic> {
    layer(path, text, preset).1
}

/// The file's `view NAME` bindings whose NAME is not among `views` (the saved views of the
/// config, `mine` included), as warnings at the binding: such a key only shows "unknown
/// view". Other problems of the file are left to [`check`] and [`check_layered`].
pub fn check_views(path: &Path, text: &str, views: &[&str]) -> Vec<Diagnostic> {
    let mut parsed = Report::new(path, text);
    let file = file::parse(text, &mut parsed);
    let mut report = Report::new(path, text);
    for entry in &file.entries {
        if entry.action.id != ActionId::View {
            continue;
        }
        let name = entry.action.arg.as_deref().unwrap_or("").trim();
        if !views.contains(&name) {
            report.warning(
                entry.key_span.clone(),
                format!(
                    "`{}` shows the view `{name}`, which the config does not define (saved views: {}); add it to [views]",
                    entry.keys,
                    views.join(", ")
                ),
            );
        }
    }
    report.finish()
}

/// Parse a file and put it on top of its base keymap. The keymap holds every valid entry even
/// when there are errors; an unknown base keymap is reported and `default` used instead.
pub(crate) fn layer(path: &Path, text: &str, preset: &str) -> (Keymap, Vec<Diagnostic>) {
    let mut report = Report::new(path, text);
    let file = file::parse(text, &mut report);
    let (base_name, span) = match &file.extends {
        Some((name, span)) => (name.as_str(), Some(span.clone())),
        None => (preset, None),
    };
    let base = Keymap::builtin(base_name).unwrap_or_else(|| {
        match span {
            Some(span) => report.error(span, unknown_preset(base_name)),
            None => report.push(0, 0, Severity::Error, unknown_preset(base_name)),
        }
        Keymap::fallback()
    });
    let layered = Keymap::with_file(base, &file, &report);
    report_clashes(&layered, &mut report);
    (layered, report.finish())
}

pub(crate) fn unknown_preset(name: &str) -> String {
    format!(
        "unknown keymap `{name}` (built-in keymaps: {})",
        Keymap::PRESETS.join(", ")
    )
}

impl Keymap {
    /// `base` with the entries of `file` laid over it key by key.
    pub(crate) fn with_file(mut base: Keymap, file: &KeymapFile, report: &Report) -> Keymap {
        if let Some(name) = &file.name {
            base.name = name.clone();
        }
        for entry in &file.entries {
            let (line, column) = report.position(entry.key_span.start);
            base.bind(
                entry.context,
                entry.keys.clone(),
                Binding {
                    action: entry.action.clone(),
                    origin: Origin::File { line, column },
                },
            );
        }
        base
    }
}

/// A binding that takes part in a clash: where it lives and where it was written.
struct Side<'a> {
    context: Context,
    keys: &'a KeySeq,
    origin: &'a Origin,
}

impl Side<'_> {
    fn describe(&self) -> String {
        let place = match self.origin {
            Origin::File { line, .. } => format!("line {line}"),
            Origin::Preset(name) => format!("built-in {name} keymap"),
        };
        format!("`{}` in [{}] ({place})", self.keys, self.context.name())
    }
}

/// Report every pair of live bindings where one key sequence starts the other, within one
/// context or between a context and its parents. Only pairs that involve the checked file are
/// reported, at the file's binding (the shorter one when both are in the file).
fn report_clashes(keymap: &Keymap, report: &mut Report) {
    let mut seen = HashSet::new();
    for context in Context::ALL {
        let chain = std::iter::once(context).chain(context.parents().iter().copied());
        for other in chain {
            for (short, long) in prefix_pairs(keymap, context, other) {
                let key = (
                    short.context,
                    short.keys.clone(),
                    long.context,
                    long.keys.clone(),
                );
                if seen.insert(key) {
                    report_clash(&short, &long, report);
                }
            }
        }
    }
}

fn live(keymap: &Keymap, context: Context) -> impl Iterator<Item = (&KeySeq, &Binding)> {
    keymap
        .contexts
        .get(&context)
        .into_iter()
        .flat_map(BTreeMap::iter)
        .filter(|(_, b)| b.action.id != ActionId::Noop)
}

/// Pairs (shorter, longer) between bindings of `a` and `b` where shorter starts longer.
fn prefix_pairs<'k>(keymap: &'k Keymap, a: Context, b: Context) -> Vec<(Side<'k>, Side<'k>)> {
    let mut pairs = Vec::new();
    for (keys_a, bind_a) in live(keymap, a) {
        for (keys_b, bind_b) in live(keymap, b) {
            let side_a = Side {
                context: a,
                keys: keys_a,
                origin: &bind_a.origin,
            };
            let side_b = Side {
                context: b,
                keys: keys_b,
                origin: &bind_b.origin,
            };
            if keys_a.is_strict_prefix_of(keys_b) {
                pairs.push((side_a, side_b));
            } else if keys_b.is_strict_prefix_of(keys_a) {
                pairs.push((side_b, side_a));
            }
        }
    }
    pairs
}

fn report_clash(short: &Side, long: &Side, report: &mut Report) {
    let (here, there) = match (short.origin, long.origin) {
        (Origin::File { .. }, _) => (short, long),
        (_, Origin::File { .. }) => (long, short),
        _ => return,
    };
    let Origin::File { line, column } = *here.origin else {
        return;
    };
    let message = format!(
        "prefix clash: `{}` in [{}] and {}; a key cannot both run an action and start a sequence",
        here.keys,
        here.context.name(),
        there.describe()
    );
    report.push(line, column, Severity::Error, message);
}
