//! Theme files and theme selection: the shipped themes are valid and keep their colour
//! promises, names fall back to their parents, `NO_COLOR` and missing truecolor are handled,
//! and mistakes in user themes are reported with line and column.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use nightdesk::theme::{
    BUILTIN_THEMES, ColorEnv, StyleName, Theme, ThemeError, ThemeLoader, select_theme,
};
use ratatui::style::{Color, Modifier, Style};

fn theme_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("themes");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

fn parse_text(name: &str, text: &str) -> Result<Theme, ThemeError> {
    ThemeLoader::new(None).parse(name, Path::new("user.toml"), text)
}

fn is_ansi16(color: Color) -> bool {
    !matches!(color, Color::Rgb(..) | Color::Indexed(_))
}

fn env(no_color: Option<&str>, colorterm: Option<&str>) -> ColorEnv {
    ColorEnv {
        no_color: no_color.map(OsString::from),
        colorterm: colorterm.map(OsString::from),
    }
}

/// A user theme directory holding the given files.
fn user_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(format!("{name}.toml")), text).unwrap();
    }
    dir
}

#[test]
fn every_theme_file_parses_with_known_style_names_only() {
    let files = theme_files();
    assert_eq!(files.len(), BUILTIN_THEMES.len());
    for path in files {
        let name = path.file_stem().unwrap().to_str().unwrap();
        assert!(
            BUILTIN_THEMES.iter().any(|(n, _)| *n == name),
            "{name} is not embedded"
        );
        let text = std::fs::read_to_string(&path).unwrap();
        // Parsing fails on any unknown style name, colour or modifier.
        let theme = ThemeLoader::new(None)
            .parse(name, &path, &text)
            .unwrap_or_else(|e| panic!("{}:\n{e}", path.display()));
        assert_eq!(theme, Theme::builtin(name).unwrap());
        assert!(!theme.needs_truecolor(), "{name}");
    }
}

#[test]
fn colour_themes_use_only_the_16_ansi_colours() {
    for name in ["night", "day", "high-contrast"] {
        let theme = Theme::builtin(name).unwrap();
        assert!(theme.colors().count() > 0, "{name} has colours");
        for color in theme.colors() {
            assert!(is_ansi16(color), "{name} uses {color:?}");
        }
    }
}

#[test]
fn mono_uses_no_colour_at_all() {
    let mono = Theme::mono();
    for name in StyleName::ALL {
        let style = mono.get(*name);
        for color in [style.fg, style.bg, style.underline_color] {
            assert!(matches!(color, None | Some(Color::Reset)), "{name:?}");
        }
    }
    let has = |name, m| mono.get(name).add_modifier.contains(m);
    assert!(has(StyleName::Selection, Modifier::REVERSED));
    assert!(has(StyleName::PriorityP1, Modifier::BOLD));
    assert!(has(
        StyleName::SlaBreached,
        Modifier::BOLD | Modifier::UNDERLINED
    ));
    assert!(has(StyleName::DataStale, Modifier::DIM));
    assert!(has(StyleName::SlaPaused, Modifier::ITALIC));
}

#[test]
fn night_marks_urgency_as_promised() {
    let night = Theme::night();
    assert_eq!(night.name(), "night");
    assert_eq!(
        night.get(StyleName::PriorityP1),
        Style::new().fg(Color::Red).add_modifier(Modifier::BOLD)
    );
    assert_eq!(
        night.get(StyleName::SlaBreached),
        Style::new()
            .fg(Color::Red)
            .add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
    );
    assert_eq!(night.get(StyleName::SlaWarning).fg, Some(Color::Yellow));
    assert!(
        night
            .get(StyleName::DataStale)
            .add_modifier
            .contains(Modifier::DIM)
    );
    assert!(
        night
            .get(StyleName::Selection)
            .add_modifier
            .contains(Modifier::REVERSED)
    );
}

#[test]
fn missing_name_falls_back_to_its_parent_then_text() {
    let theme = parse_text(
        "mine",
        "[styles]\ntext = \"green\"\npriority = { fg = \"blue\", modifiers = [\"bold\"] }\n",
    )
    .unwrap();
    let priority = Style::new().fg(Color::Blue).add_modifier(Modifier::BOLD);
    assert_eq!(theme.defined(StyleName::PriorityP1), None);
    assert_eq!(theme.get(StyleName::PriorityP1), priority);
    assert_eq!(theme.style("priority.p1"), priority);
    assert_eq!(theme.get(StyleName::HelpKey), Style::new().fg(Color::Green));
    assert_eq!(theme.get(StyleName::SlaOk), Style::new().fg(Color::Green));
    assert_eq!(theme.style("no.such.name"), Style::new().fg(Color::Green));
    let empty = parse_text("empty", "").unwrap();
    assert_eq!(empty.get(StyleName::PriorityP1), Style::new());
}

#[test]
fn nested_tables_palette_and_plain_colours_are_understood() {
    let theme = parse_text(
        "mine",
        "[palette]\nalarm = \"#ff0000\"\n\n[styles.priority]\nfg = \"196\"\np1 = { fg = \"alarm\", bg = 0, modifiers = [\"crossed-out\"] }\n",
    )
    .unwrap();
    assert_eq!(theme.get(StyleName::Priority).fg, Some(Color::Indexed(196)));
    assert_eq!(
        theme.get(StyleName::PriorityP1),
        Style::new()
            .fg(Color::Rgb(255, 0, 0))
            .bg(Color::Indexed(0))
            .add_modifier(Modifier::CROSSED_OUT)
    );
    assert!(theme.needs_truecolor());
}

#[test]
fn unknown_style_key_reports_line_and_column() {
    let err = parse_text(
        "mine",
        "[meta]\nname = \"mine\"\n\n[styles]\ntext = \"red\"\n\"sla.breachd\" = \"red\"\n",
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "user.toml:6:1: error: unknown style `sla.breachd`\nhint: did you mean `sla.breached`?"
    );
    // Unquoted dotted keys are nested tables; the position is the key's own.
    let err = parse_text("mine", "[styles]\npriority.p9 = \"red\"\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "user.toml:2:10: error: unknown style `priority.p9`\nhint: did you mean `priority.p1`?"
    );
}

#[test]
fn bad_colours_modifiers_and_sections_are_all_reported() {
    let err = parse_text(
        "mine",
        "[style]\n[meta]\nrequires = \"256\"\n[styles]\ntext = \"redd\"\nerror = { fg = \"red\", modifiers = [\"blod\"] }\nwarning = { fg = \"red\", bgg = \"blue\" }\n",
    )
    .unwrap_err();
    let lines: Vec<String> = err.findings().iter().map(|d| d.one_line()).collect();
    assert_eq!(
        lines,
        [
            "user.toml:1:2: error: unknown section `style` (hint: did you mean `styles`?)",
            "user.toml:3:12: error: unknown requirement `256` (hint: the only requirement is `truecolor`)",
            "user.toml:5:8: error: `redd` is not a colour or palette alias (hint: did you mean `red`?)",
            "user.toml:6:36: error: unknown modifier `blod` (hint: did you mean `bold`?)",
            "user.toml:7:25: error: unknown style `warning.bgg` (hint: did you mean `bg`?)",
        ]
    );
}

#[test]
fn user_theme_inherits_a_builtin_and_may_shadow_it() {
    let dir = user_dir(&[
        (
            "calm",
            "[meta]\ninherits = \"night\"\n[styles]\n\"priority.p1\" = \"magenta\"\n",
        ),
        (
            "night",
            "[meta]\ninherits = \"night\"\n[styles]\nselection = { modifiers = [\"bold\"] }\n",
        ),
    ]);
    let loader = ThemeLoader::new(Some(dir.path()));
    let calm = loader.load("calm").unwrap();
    let night = Theme::night();
    assert_eq!(
        calm.get(StyleName::PriorityP1),
        Style::new().fg(Color::Magenta)
    );
    assert_eq!(
        calm.get(StyleName::SlaBreached),
        night.get(StyleName::SlaBreached)
    );
    let shadow = loader.load("night").unwrap();
    assert_eq!(
        shadow.get(StyleName::Selection),
        Style::new().add_modifier(Modifier::BOLD)
    );
    assert_eq!(
        shadow.get(StyleName::PriorityP1),
        night.get(StyleName::PriorityP1)
    );
}

#[test]
fn inheritance_cycles_and_unknown_parents_are_reported() {
    let dir = user_dir(&[
        ("a", "[meta]\ninherits = \"b\"\n"),
        ("b", "[meta]\ninherits = \"a\"\n"),
        ("orphan", "[meta]\ninherits = \"nihgt\"\n"),
    ]);
    let loader = ThemeLoader::new(Some(dir.path()));
    let err = loader.load("a").unwrap_err().to_string();
    assert!(
        err.contains("a.toml:2:12: error: cannot inherit from `b`"),
        "{err}"
    );
    assert!(err.contains("a -> b -> a"), "{err}");
    let err = loader.load("orphan").unwrap_err().to_string();
    assert!(
        err.ends_with(
            "orphan.toml:2:12: error: unknown theme `nihgt`\nhint: did you mean `night`?"
        ),
        "{err}"
    );
}

#[test]
fn no_color_selects_mono_whatever_the_config_says() {
    let loader = ThemeLoader::new(None);
    let choice = select_theme("day", &loader, &env(Some("1"), Some("truecolor")));
    assert_eq!(choice.theme.name(), "mono");
    assert!(choice.warnings.is_empty());
    // An empty NO_COLOR does not count.
    let choice = select_theme("day", &loader, &env(Some(""), None));
    assert_eq!(choice.theme.name(), "day");
}

#[test]
fn truecolor_theme_falls_back_to_night_without_truecolor() {
    let dir = user_dir(&[
        ("rgb", "[styles]\ntext = \"#c0ffee\"\n"),
        (
            "wants",
            "[meta]\nrequires = \"truecolor\"\n[styles]\ntext = \"red\"\n",
        ),
    ]);
    let loader = ThemeLoader::new(Some(dir.path()));
    for name in ["rgb", "wants"] {
        let choice = select_theme(name, &loader, &env(None, None));
        assert_eq!(choice.theme.name(), "night", "{name}");
        assert_eq!(choice.warnings.len(), 1);
        assert!(choice.warnings[0].message.contains("needs 24-bit colour"));
        for colorterm in ["truecolor", "24bit"] {
            let choice = select_theme(name, &loader, &env(None, Some(colorterm)));
            assert_eq!(choice.theme.name(), name);
            assert!(choice.warnings.is_empty());
        }
    }
    let choice = select_theme("rgb", &loader, &env(None, Some("256color")));
    assert_eq!(choice.theme.name(), "night");
}

#[test]
fn broken_or_unknown_theme_falls_back_to_night_with_its_errors() {
    let dir = user_dir(&[("broken", "[styles]\ntitle = \"nocolour\"\n")]);
    let loader = ThemeLoader::new(Some(dir.path()));
    let choice = select_theme("broken", &loader, &env(None, None));
    assert_eq!(choice.theme, Theme::night());
    let first = choice.warnings[0].one_line();
    assert!(
        first.contains("broken.toml:2:9: warning: `nocolour` is not a colour"),
        "{first}"
    );
    let choice = select_theme("nope", &loader, &env(None, None));
    assert_eq!(choice.theme.name(), "night");
    assert!(choice.warnings[0].message.contains("unknown theme `nope`"));
}

#[test]
fn quoted_dotted_and_nested_names_are_the_same_style() {
    let forms = [
        "[styles]\n\"priority.p1\" = { fg = \"red\" }\n",
        "[styles]\npriority.p1 = { fg = \"red\" }\n",
        "[styles.priority.p1]\nfg = \"red\"\n",
    ];
    for text in forms {
        let theme = parse_text("mine", text).unwrap();
        assert_eq!(
            theme.defined(StyleName::PriorityP1),
            Some(Style::new().fg(Color::Red)),
            "{text}"
        );
        assert_eq!(theme.defined(StyleName::Priority), None, "{text}");
    }
    let err = parse_text(
        "mine",
        "[styles]\n\"priority.p1\" = \"red\"\npriority.p1 = \"blue\"\n",
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("style `priority.p1` is defined twice"),
        "{err}"
    );
}
