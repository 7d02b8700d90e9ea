//! `nightdesk config check`: everything wrong with the config, its theme and the files and
//! variables it refers to, one line per finding. (Reachability of sources is added by the
//! caller, which has the network.)

use std::fmt;

use super::diagnostic::{Diagnostic, Severity};
use super::paths::{Located, Paths};
use super::secret::{Auth, Secret};
use super::{Config, SourceConfig};
use crate::theme::ThemeLoader;

/// The result of a check.
#[derive(Debug)]
pub struct CheckReport {
    /// The config file that was checked.
    pub config_file: Located,
    /// Errors, warnings and notes, in the order found.
    pub findings: Vec<Diagnostic>,
    /// The config, when it loaded (possibly with warnings).
    pub config: Option<Config>,
}

impl CheckReport {
    pub fn has_errors(&self) -> bool {
        self.count(Severity::Error) > 0
    }

    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    }

    /// One line per finding: `FILE:LINE:COLUMN: error: message (hint: ...)`.
    pub fn lines(&self) -> Vec<String> {
        self.findings.iter().map(Diagnostic::one_line).collect()
    }
}

impl fmt::Display for CheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for line in self.lines() {
            writeln!(f, "{line}")?;
        }
        Ok(())
    }
}

/// Checks the config file of `paths`, the theme it names and the files and environment
/// variables its sources refer to (without reading any secret).
pub fn check(paths: &Paths) -> CheckReport {
    let file = &paths.config_file;
    let mut findings = Vec::new();
    if !file.origin.is_explicit() && !file.path.exists() {
        findings.push(
            Diagnostic::note("no config file; built-in defaults apply")
                .in_file(&file.path)
                .with_hint("create a commented starter file with `nightdesk init`"),
        );
    }
    let config = match Config::load_located(file) {
        Ok(config) => {
            findings.extend(config.warnings.iter().cloned());
            check_theme(&config, paths, &mut findings);
            for source in &config.sources {
                check_references(source, file, &mut findings);
            }
            Some(config)
        }
        Err(e) => {
            findings.extend(e.findings());
            None
        }
    };
    CheckReport {
        config_file: file.clone(),
        findings,
        config,
    }
}

fn check_theme(config: &Config, paths: &Paths, findings: &mut Vec<Diagnostic>) {
    let loader = ThemeLoader::new(Some(&paths.themes_dir.path));
    match loader.load(&config.ui.theme) {
        Ok(theme) if theme.needs_truecolor() => findings.push(
            Diagnostic::note(format!(
                "theme `{}` uses 24-bit colours; terminals without COLORTERM=truecolor get `night`",
                config.ui.theme
            ))
            .in_file(&paths.config_file.path),
        ),
        Ok(_) => {}
        Err(e) => {
            for mut finding in e.findings() {
                if finding.file.is_none() {
                    finding.file = Some(paths.config_file.path.clone());
                }
                findings.push(finding);
            }
        }
    }
}

/// Secret references and CA files that point nowhere.
fn check_references(source: &SourceConfig, file: &Located, findings: &mut Vec<Diagnostic>) {
    let mut report = |message: String, hint: &str| {
        findings.push(
            Diagnostic::error(format!("source `{}`: {message}", source.id))
                .in_file(&file.path)
                .with_hint(hint),
        );
    };
    match source.auth.as_ref().map(Auth::secret) {
        Some(Secret::Env(name)) if std::env::var_os(name).is_none() => report(
            format!("environment variable `{name}` (auth) is not set"),
            "export it before starting nightdesk, or refer to a file or command",
        ),
        Some(Secret::File(path)) if !path.is_file() => report(
            format!("secret file {} (auth) does not exist", path.display()),
            "create it (readable only by you: chmod 600) or fix the path",
        ),
        _ => {}
    }
    if let Some(ca) = source.ca_file.as_ref().filter(|p| !p.is_file()) {
        report(
            format!("ca-file {} does not exist", ca.display()),
            "point ca-file at the PEM file of the CA that signed the server's certificate",
        );
    }
}
