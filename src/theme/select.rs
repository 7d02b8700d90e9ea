//! Choosing the theme to run with: `NO_COLOR` forces `mono`; a theme that needs 24-bit
//! colour on a terminal that does not announce it (`COLORTERM`) falls back to the default;
//! a theme that cannot be loaded falls back to the default with its errors as warnings.

use std::ffi::OsString;

use super::{DEFAULT_THEME, Theme, ThemeLoader};
use crate::config::diagnostic::{Diagnostic, Severity};

/// The environment values that decide colour use, passed in so the choice is testable.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ColorEnv {
    /// `NO_COLOR`
    pub no_color: Option<OsString>,
    /// `COLORTERM`
    pub colorterm: Option<OsString>,
}

impl ColorEnv {
    pub fn from_process() -> Self {
        Self {
            no_color: std::env::var_os("NO_COLOR"),
            colorterm: std::env::var_os("COLORTERM"),
        }
    }

    /// `NO_COLOR` is set to a non-empty value (no-color.org).
    pub fn no_color(&self) -> bool {
        self.no_color.as_ref().is_some_and(|v| !v.is_empty())
    }

    /// The terminal announces 24-bit colour: `COLORTERM` is `truecolor` or `24bit`.
    pub fn truecolor(&self) -> bool {
        self.colorterm.as_ref().is_some_and(|v| {
            let v = v.to_string_lossy().to_ascii_lowercase();
            v == "truecolor" || v == "24bit"
        })
    }
}

/// The theme to use and what the user should be told about the choice.
#[derive(Clone, Debug)]
pub struct ThemeChoice {
    pub theme: Theme,
    pub warnings: Vec<Diagnostic>,
}

/// Picks the theme for `requested` (the config's `ui.theme`).
pub fn select_theme(requested: &str, loader: &ThemeLoader, env: &ColorEnv) -> ThemeChoice {
    if env.no_color() {
        return ThemeChoice {
            theme: Theme::mono(),
            warnings: Vec::new(),
        };
    }
    let theme = match loader.load(requested) {
        Ok(theme) => theme,
        Err(e) => {
            let mut warnings: Vec<Diagnostic> = e
                .findings()
                .into_iter()
                .map(|d| Diagnostic {
                    severity: Severity::Warning,
                    ..d
                })
                .collect();
            warnings.push(Diagnostic::warning(format!(
                "theme `{requested}` cannot be used; using `{DEFAULT_THEME}`"
            )));
            return ThemeChoice {
                theme: Theme::night(),
                warnings,
            };
        }
    };
    if theme.needs_truecolor() && !env.truecolor() {
        let warning = Diagnostic::warning(format!(
            "theme `{requested}` needs 24-bit colour, but COLORTERM is not `truecolor` or `24bit`; using `{DEFAULT_THEME}`"
        ))
        .with_hint("set COLORTERM=truecolor if your terminal shows 24-bit colour (also through tmux/ssh)");
        return ThemeChoice {
            theme: Theme::night(),
            warnings: vec![warning],
        };
    }
    ThemeChoice {
        theme,
        warnings: Vec::new(),
    }
}
