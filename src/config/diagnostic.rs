//! Findings about a config or theme file, located by line and column and rendered the way
//! compilers do: `FILE:LINE:COLUMN: error: message` plus an optional `hint: ...` line.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// The file cannot be used as written.
    Error,
    /// Usable, but probably not what was meant, or unsafe.
    Warning,
    /// Information only (e.g. "no config file, built-in defaults apply").
    Note,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        })
    }
}

/// A 1-based line and column (columns count characters, not bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl Position {
    /// The position of byte `offset` in `text`.
    pub fn of_offset(text: &str, offset: usize) -> Position {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        Position { line, column }
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// One finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// The file the finding is about, if any.
    pub file: Option<PathBuf>,
    /// Where in the file, if the finding points at a place.
    pub position: Option<Position>,
    pub message: String,
    /// One line on how to fix it.
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn new(severity: Severity, message: impl Into<String>) -> Self {
        Self {
            severity,
            file: None,
            position: None,
            message: message.into(),
            hint: None,
        }
    }

    pub fn error(message: impl Into<String>) -> Self {
        Self::new(Severity::Error, message)
    }

    pub fn warning(message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, message)
    }

    pub fn note(message: impl Into<String>) -> Self {
        Self::new(Severity::Note, message)
    }

    pub fn in_file(mut self, file: &Path) -> Self {
        self.file = Some(file.to_path_buf());
        self
    }

    pub fn at(mut self, position: Position) -> Self {
        self.position = Some(position);
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// `FILE:LINE:COLUMN: error: message`, without the hint.
    pub fn headline(&self) -> String {
        let mut out = String::new();
        if let Some(file) = &self.file {
            out.push_str(&file.display().to_string());
            if let Some(p) = self.position {
                out.push_str(&format!(":{}:{}", p.line, p.column));
            }
            out.push_str(": ");
        }
        out.push_str(&format!("{}: {}", self.severity, self.message));
        out
    }

    /// Everything on one line: the headline, then `(hint: ...)` if there is a hint.
    pub fn one_line(&self) -> String {
        match &self.hint {
            Some(hint) => format!("{} (hint: {hint})", self.headline()),
            None => self.headline(),
        }
    }
}

/// The headline, then `hint: ...` on its own line.
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.headline())?;
        if let Some(hint) = &self.hint {
            write!(f, "\nhint: {hint}")?;
        }
        Ok(())
    }
}

/// Collects the findings for one file whose text is known, turning byte spans into positions.
#[derive(Debug)]
pub struct Collector<'t> {
    file: PathBuf,
    text: &'t str,
    found: Vec<Diagnostic>,
}

impl<'t> Collector<'t> {
    pub fn new(file: &Path, text: &'t str) -> Self {
        Self {
            file: file.to_path_buf(),
            text,
            found: Vec::new(),
        }
    }

    pub fn file(&self) -> &Path {
        &self.file
    }

    /// Line and column of byte `offset` in the text.
    pub fn position(&self, offset: usize) -> Position {
        Position::of_offset(self.text, offset)
    }

    /// Adds a finding located at the start of `span`.
    pub fn push(
        &mut self,
        severity: Severity,
        span: Range<usize>,
        message: impl Into<String>,
        hint: Option<String>,
    ) {
        let mut d = Diagnostic::new(severity, message)
            .in_file(&self.file)
            .at(Position::of_offset(self.text, span.start));
        d.hint = hint;
        self.found.push(d);
    }

    pub fn error(&mut self, span: Range<usize>, message: impl Into<String>, hint: Option<String>) {
        self.push(Severity::Error, span, message, hint);
    }

    pub fn warning(
        &mut self,
        span: Range<usize>,
        message: impl Into<String>,
        hint: Option<String>,
    ) {
        self.push(Severity::Warning, span, message, hint);
    }

    /// Adds a parse or deserialisation error from `toml`. `fallback` locates errors that carry
    /// no span; `also_expected` widens the "did you mean" search for unknown fields.
    pub fn toml_error(
        &mut self,
        err: &toml::de::Error,
        fallback: Range<usize>,
        also_expected: &[&str],
    ) {
        let span = err.span().unwrap_or(fallback);
        let (message, hint) = explain_toml_message(err.message(), also_expected);
        self.error(span, message, hint);
    }

    /// Adds a TOML syntax error (the file could not be parsed at all).
    pub fn syntax_error(&mut self, err: &toml::de::Error) {
        let span = err.span().unwrap_or(0..0);
        self.error(
            span,
            format!("invalid TOML: {}", err.message()),
            Some("text values need double quotes (`theme = \"night\"`); tables are `[name]`, lists of tables `[[name]]`".into()),
        );
    }

    pub fn has_errors(&self) -> bool {
        self.found.iter().any(Diagnostic::is_error)
    }

    pub fn into_findings(self) -> Vec<Diagnostic> {
        self.found
    }
}

/// Rewrites a serde/toml message into our message plus a hint.
fn explain_toml_message(message: &str, also_expected: &[&str]) -> (String, Option<String>) {
    let names = backticked(message);
    if let Some(rest) = message.strip_prefix("unknown field ") {
        let field = names.first().cloned().unwrap_or_default();
        let mut expected: Vec<String> = names.iter().skip(1).cloned().collect();
        expected.extend(also_expected.iter().map(|s| s.to_string()));
        if rest.contains("there are no fields") && expected.is_empty() {
            return (
                format!("unknown field `{field}`"),
                Some("this table takes no fields".into()),
            );
        }
        return (
            format!("unknown field `{field}`"),
            Some(suggest(&field, &expected)),
        );
    }
    if message.starts_with("unknown variant ") {
        let value = names.first().cloned().unwrap_or_default();
        let expected: Vec<String> = names.iter().skip(1).cloned().collect();
        return (
            format!("unknown value `{value}`"),
            Some(suggest(&value, &expected)),
        );
    }
    if message.starts_with("missing field ") {
        let field = names.first().cloned().unwrap_or_default();
        return (
            format!("missing field `{field}`"),
            Some(format!("add `{field} = ...` to this table")),
        );
    }
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        if let Some((found, _)) = rest.split_once(", expected struct ") {
            return (
                format!("invalid type: {found}, expected a table"),
                Some("write the keys under a `[name]` header or as `{ key = value }`".into()),
            );
        }
        let hint = if rest.ends_with("expected a string") {
            Some("put the value in double quotes")
        } else if rest.ends_with("expected a boolean") {
            Some("write `true` or `false`, without quotes")
        } else if rest.ends_with("expected u64") || rest.ends_with("expected u32") {
            Some("write a whole number, without quotes")
        } else if rest.contains("expected a sequence") {
            Some("write a list: `[\"a\", \"b\"]`")
        } else {
            None
        };
        return (message.to_string(), hint.map(str::to_string));
    }
    (message.to_string(), None)
}

/// The words between backticks in `message`, in order.
fn backticked(message: &str) -> Vec<String> {
    message
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// "did you mean `x`?" when one candidate is close, else the list of candidates.
pub fn suggest(word: &str, candidates: &[String]) -> String {
    if let Some(best) = did_you_mean(word, candidates.iter().map(String::as_str)) {
        return format!("did you mean `{best}`?");
    }
    if candidates.is_empty() {
        return "remove it".into();
    }
    let list: Vec<String> = candidates.iter().map(|c| format!("`{c}`")).collect();
    format!("expected one of {}", list.join(", "))
}

/// The candidate closest to `word`, if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let normalised = word.to_ascii_lowercase().replace('_', "-");
    let limit = (word.chars().count() / 3).clamp(1, 3);
    candidates
        .into_iter()
        .map(|c| (edit_distance(&normalised, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Edit distance over characters where swapping two neighbours counts as one edit
/// (optimal string alignment), so `nigth` is one step from `night`.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut table = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in table.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in table[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (table[i - 1][j] + 1)
                .min(table[i][j - 1] + 1)
                .min(table[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(table[i - 2][j - 2] + 1);
            }
            table[i][j] = best;
        }
    }
    table[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let text = "a = 1\nüb = 2\n";
        assert_eq!(
            Position::of_offset(text, 0),
            Position { line: 1, column: 1 }
        );
        let b = text.find('b').unwrap();
        assert_eq!(
            Position::of_offset(text, b),
            Position { line: 2, column: 2 }
        );
    }

    #[test]
    fn typo_finds_the_close_candidate() {
        let fields = ["id", "poll-interval", "timeout"];
        assert_eq!(did_you_mean("pol-interval", fields), Some("poll-interval"));
        assert_eq!(did_you_mean("poll_interval", fields), Some("poll-interval"));
        assert_eq!(did_you_mean("colour", fields), None);
        assert_eq!(did_you_mean("nigth", ["night", "day"]), Some("night"));
    }

    #[test]
    fn unknown_field_message_becomes_hint() {
        let (message, hint) = explain_toml_message(
            "unknown field `thme`, expected one of `theme`, `keymap`, `lang`",
            &[],
        );
        assert_eq!(message, "unknown field `thme`");
        assert_eq!(hint.as_deref(), Some("did you mean `theme`?"));
        let (_, hint) = explain_toml_message("unknown field `zzz`, expected `seed`", &["id"]);
        assert_eq!(hint.as_deref(), Some("expected one of `seed`, `id`"));
    }

    #[test]
    fn internal_struct_names_do_not_leak() {
        let (message, hint) =
            explain_toml_message("invalid type: string \"x\", expected struct RawUi", &[]);
        assert_eq!(message, "invalid type: string \"x\", expected a table");
        assert!(hint.unwrap().contains("[name]"));
    }

    #[test]
    fn rendering_has_location_and_hint_line() {
        let d = Diagnostic::error("unknown field `x`")
            .in_file(Path::new("c.toml"))
            .at(Position { line: 3, column: 5 })
            .with_hint("remove it");
        assert_eq!(
            d.to_string(),
            "c.toml:3:5: error: unknown field `x`\nhint: remove it"
        );
        assert_eq!(
            d.one_line(),
            "c.toml:3:5: error: unknown field `x` (hint: remove it)"
        );
    }
}
