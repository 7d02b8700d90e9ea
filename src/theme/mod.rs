//! Themes: semantic style names ([`StyleName`]) mapped to ratatui styles, read from TOML
//! files (built-in ones embedded, user ones from `<config dir>/themes/`), with fallback to the
//! parent name, `NO_COLOR` handling and a fallback when truecolor is not available
//! ([`select_theme`]).
//!
//! Every name is resolved once when the theme is built, so [`Theme::get`] is an array index.

mod names;
mod parse;
mod select;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ratatui::style::{Color, Style};

pub use names::StyleName;
pub use parse::MODIFIERS;
pub use select::{ColorEnv, ThemeChoice, select_theme};

use crate::config::diagnostic::{Diagnostic, did_you_mean};

/// The theme used when nothing else is asked for or the asked one cannot be used.
pub const DEFAULT_THEME: &str = "night";

/// The built-in themes: name and file text.
pub const BUILTIN_THEMES: [(&str, &str); 4] = [
    ("night", include_str!("../../themes/night.toml")),
    ("day", include_str!("../../themes/day.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
    ("mono", include_str!("../../themes/mono.toml")),
];

/// A theme with every style name resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct Theme {
    name: String,
    /// Styles the theme (or a theme it inherits from) sets explicitly.
    defined: [Option<Style>; StyleName::COUNT],
    /// Every name after fallback.
    resolved: [Style; StyleName::COUNT],
    palette: BTreeMap<String, Color>,
    requires_truecolor: bool,
}

impl Theme {
    fn empty() -> Theme {
        Theme {
            name: String::new(),
            defined: [None; StyleName::COUNT],
            resolved: [Style::new(); StyleName::COUNT],
            palette: BTreeMap::new(),
            requires_truecolor: false,
        }
    }

    /// Fills the lookup table: a name's own style, else its parent's, else the default style.
    fn resolve(&mut self) {
        for name in StyleName::ALL {
            self.resolved[name.index()] = match (self.defined[name.index()], name.parent()) {
                (Some(style), _) => style,
                (None, Some(parent)) => self.resolved[parent.index()],
                (None, None) => Style::new(),
            };
        }
    }

    /// The style for `name`, after fallback.
    pub fn get(&self, name: StyleName) -> Style {
        self.resolved[name.index()]
    }

    /// The style for a name as written in theme files; unknown names get the `text` style.
    pub fn style(&self, name: &str) -> Style {
        self.get(StyleName::from_name(name).unwrap_or(StyleName::Text))
    }

    /// The style the theme sets for exactly this name, without fallback.
    pub fn defined(&self, name: StyleName) -> Option<Style> {
        self.defined[name.index()]
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Every colour the theme's styles use (fg, bg, underline).
    pub fn colors(&self) -> impl Iterator<Item = Color> + '_ {
        self.defined
            .iter()
            .flatten()
            .flat_map(|s| [s.fg, s.bg, s.underline_color])
            .flatten()
    }

    /// True when the theme needs a 24-bit colour terminal: it says so in `[meta] requires`,
    /// or one of its styles uses `#rrggbb`.
    pub fn needs_truecolor(&self) -> bool {
        self.requires_truecolor || self.colors().any(|c| matches!(c, Color::Rgb(..)))
    }

    /// A built-in theme by name.
    pub fn builtin(name: &str) -> Option<Theme> {
        BUILTIN_THEMES.iter().find(|(n, _)| *n == name)?;
        ThemeLoader::new(None).load(name).ok()
    }

    /// The default theme (16 ANSI colours).
    pub fn night() -> Theme {
        Theme::builtin(DEFAULT_THEME).expect("the built-in night theme is valid")
    }

    /// The theme without colours, for `NO_COLOR`.
    pub fn mono() -> Theme {
        Theme::builtin("mono").expect("the built-in mono theme is valid")
    }
}

/// Why a theme could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ThemeError {
    #[error("unknown theme `{name}` ({hint})")]
    NotFound { name: String, hint: String },
    #[error("cannot read theme file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("themes inherit from each other in a circle: {}", .0.join(" -> "))]
    Cycle(Vec<String>),
    #[error("{}", render(findings))]
    Invalid { findings: Vec<Diagnostic> },
}

fn render(findings: &[Diagnostic]) -> String {
    let lines: Vec<String> = findings.iter().map(ToString::to_string).collect();
    lines.join("\n")
}

impl ThemeError {
    /// The error as diagnostics.
    pub fn findings(&self) -> Vec<Diagnostic> {
        match self {
            ThemeError::NotFound { name, hint } => {
                vec![Diagnostic::error(format!("unknown theme `{name}`")).with_hint(hint.clone())]
            }
            ThemeError::Read { path, source } => {
                vec![Diagnostic::error(format!("cannot read theme file: {source}")).in_file(path)]
            }
            ThemeError::Cycle(_) => vec![Diagnostic::error(self.to_string())],
            ThemeError::Invalid { findings } => findings.clone(),
        }
    }
}

/// Finds themes by name: a user file `<dir>/<name>.toml` first, then the built-ins. A user
/// theme may inherit from a built-in of its own name (`night.toml` with `inherits = "night"`).
#[derive(Clone, Debug, Default)]
pub struct ThemeLoader {
    user_dir: Option<PathBuf>,
}

impl ThemeLoader {
    pub fn new(user_dir: Option<&Path>) -> Self {
        Self {
            user_dir: user_dir.map(Path::to_path_buf),
        }
    }

    /// The user theme file for `name`, if it exists.
    pub fn user_file(&self, name: &str) -> Option<PathBuf> {
        let path = self.user_dir.as_ref()?.join(format!("{name}.toml"));
        path.is_file().then_some(path)
    }

    /// Names of all themes available: built-ins, then user files.
    pub fn available(&self) -> Vec<String> {
        let mut names: Vec<String> = BUILTIN_THEMES.iter().map(|(n, _)| n.to_string()).collect();
        let entries = self
            .user_dir
            .as_ref()
            .and_then(|dir| std::fs::read_dir(dir).ok());
        for entry in entries.into_iter().flatten().flatten() {
            let path = entry.path();
            let stem = path.file_stem().and_then(|s| s.to_str());
            if let Some(stem) = stem.filter(|_| path.extension().is_some_and(|e| e == "toml"))
                && !names.iter().any(|n| n == stem)
            {
                names.push(stem.to_string());
            }
        }
        names
    }

    /// Loads and resolves theme `name`, including the themes it inherits from.
    pub fn load(&self, name: &str) -> Result<Theme, ThemeError> {
        self.load_chain(name, &mut Vec::new(), false)
    }

    /// Parses theme text as the user theme `name` (`file` is used in diagnostics);
    /// `inherits` is resolved through this loader.
    pub fn parse(&self, name: &str, file: &Path, text: &str) -> Result<Theme, ThemeError> {
        let mut chain = vec![name.to_string()];
        self.parse_in_chain(name, file, text, &mut chain, true)
    }

    fn load_chain(
        &self,
        name: &str,
        chain: &mut Vec<String>,
        builtin_only: bool,
    ) -> Result<Theme, ThemeError> {
        if chain.iter().any(|n| n == name) && !builtin_only {
            let mut circle = chain.clone();
            circle.push(name.to_string());
            return Err(ThemeError::Cycle(circle));
        }
        chain.push(name.to_string());
        let result = match self.user_file(name).filter(|_| !builtin_only) {
            Some(path) => std::fs::read_to_string(&path)
                .map_err(|source| ThemeError::Read {
                    path: path.clone(),
                    source,
                })
                .and_then(|text| self.parse_in_chain(name, &path, &text, chain, true)),
            None => match BUILTIN_THEMES.iter().find(|(n, _)| *n == name) {
                Some((_, text)) => {
                    let file = PathBuf::from(format!("themes/{name}.toml"));
                    self.parse_in_chain(name, &file, text, chain, false)
                }
                None => Err(self.not_found(name)),
            },
        };
        chain.pop();
        result
    }

    fn parse_in_chain(
        &self,
        name: &str,
        file: &Path,
        text: &str,
        chain: &mut Vec<String>,
        is_user_file: bool,
    ) -> Result<Theme, ThemeError> {
        let own = name.to_string();
        let mut load_parent = |parent: &str| {
            // A user file inheriting its own name builds on the built-in of that name.
            let builtin_only = is_user_file && parent == own;
            self.load_chain(parent, chain, builtin_only)
        };
        parse::parse_theme(name, file, text, &mut load_parent)
    }

    fn not_found(&self, name: &str) -> ThemeError {
        let available = self.available();
        let hint = match did_you_mean(name, available.iter().map(String::as_str)) {
            Some(best) => format!("did you mean `{best}`?"),
            None => {
                let place = match &self.user_dir {
                    Some(dir) => format!("; user themes go into {}", dir.display()),
                    None => String::new(),
                };
                format!("available: {}{place}", available.join(", "))
            }
        };
        ThemeError::NotFound {
            name: name.to_string(),
            hint,
        }
    }
}
