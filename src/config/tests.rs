//! Tests of config loading against the fixtures in `tests/fixtures/config/`: exact
//! `file:line:column` and hints, collecting every problem, defaults, `check` and `init`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::*;
use crate::sla::spec::CalendarSpec;

fn fixture(name: &str) -> PathBuf {
    Path::new("tests/fixtures/config").join(name)
}

/// The rendered errors of a fixture that must fail to load.
fn errors_of(name: &str) -> String {
    match Config::load(&fixture(name)) {
        Ok(config) => panic!("{name} loaded: {config:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn full_example_loads_every_key() {
    let config = Config::load(&fixture("full.toml")).unwrap();
    assert_eq!(config.ui.theme, "day");
    assert_eq!(config.ui.keymap, KeymapPreset::Vim);
    assert_eq!(config.ui.lang, Lang::De);
    assert_eq!(config.ui.user.as_deref(), Some("j.weber"));
    assert_eq!(config.ui.time_zone.as_deref(), Some("Europe/Berlin"));
    assert_eq!(config.defaults.contract.as_deref(), Some("standard"));
    assert_eq!(
        config.contracts.keys().collect::<Vec<_>>(),
        ["premium", "standard"]
    );
    assert_eq!(
        config.contracts["premium"].calendar,
        Some(CalendarSpec::Named("24x7".into()))
    );
    assert!(config.contracts["standard"].targets["p1"].around_the_clock);

    let mueller = config.tenant("mueller").unwrap();
    assert_eq!(mueller.name, "Müller Maschinenbau GmbH");
    assert_eq!(mueller.contract.as_deref(), Some("premium"));
    assert_eq!(mueller.state.as_deref(), Some("BY"));
    assert_eq!(mueller.hosts.len(), 2);
    let schmidt = config.tenant("schmidt").unwrap();
    assert_eq!(schmidt.name, "schmidt");
    assert_eq!(schmidt.contract.as_deref(), Some("standard"));
    assert_eq!(schmidt.state.as_deref(), Some("NW"));
    assert!(config.contract_of(schmidt).is_some());

    let demo = &config.sources[0];
    assert_eq!(demo.kind, SourceKind::Demo(DemoSettings { seed: Some(42) }));
    assert_eq!(demo.poll_interval, Duration::from_secs(5_400));
    assert_eq!(demo.timeout, Duration::from_secs(10));
    assert_eq!(demo.tenant.as_ref().map(|t| t.as_str()), Some("mueller"));
    assert_eq!(demo.base_url.as_deref(), Some("https://demo.example.net"));
    assert_eq!(
        demo.auth,
        Some(Auth::Token(Secret::Env("NIGHTDESK_DEMO_TOKEN".into())))
    );
    assert_eq!(
        demo.ca_file.as_deref(),
        Some(Path::new("/etc/ssl/private-ca.pem"))
    );
    assert!(!demo.insecure);
    assert_eq!(
        config.sources[1].auth,
        Some(Auth::Token(Secret::Command(vec![
            "pass".into(),
            "show".into(),
            "nightdesk/demo".into()
        ])))
    );
    assert_eq!(config.sources[1].poll_interval, Duration::from_secs(30));
    assert_eq!(
        config.sources[2].auth,
        Some(Auth::Token(Secret::File("/run/secrets/demo".into())))
    );
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);
}

#[test]
fn typo_in_field_points_at_it_and_suggests_the_field() {
    assert_eq!(
        errors_of("typo.toml"),
        "tests/fixtures/config/typo.toml:7:1: error: unknown field `pol-interval`\n\
         hint: did you mean `poll-interval`?"
    );
}

#[test]
fn bad_duration_points_at_the_value() {
    assert_eq!(
        errors_of("bad-duration.toml"),
        format!(
            "tests/fixtures/config/bad-duration.toml:4:17: error: `30x` is not a duration\n\
             hint: {DURATION_HINT}"
        )
    );
}

#[test]
fn bad_values_are_all_reported() {
    assert_eq!(
        errors_of("bad-value.toml"),
        "tests/fixtures/config/bad-value.toml:2:8: error: unknown language `fr`\n\
         hint: use `auto`, `en` or `de`\n\
         tests/fixtures/config/bad-value.toml:7:12: error: invalid type: string \"yes\", expected a boolean\n\
         hint: write `true` or `false`, without quotes"
    );
}

#[test]
fn unknown_contract_suggests_the_defined_one() {
    assert_eq!(
        errors_of("unknown-contract.toml"),
        "tests/fixtures/config/unknown-contract.toml:6:12: error: unknown contract `standrd`\n\
         hint: did you mean `standard`?"
    );
}

#[test]
fn unknown_bundesland_lists_the_codes() {
    assert_eq!(
        errors_of("bad-state.toml"),
        "tests/fixtures/config/bad-state.toml:3:9: error: unknown Bundesland `BX`\n\
         hint: use one of BW BY BE BB HB HH HE MV NI NW RP SL SN ST SH TH"
    );
}

#[test]
fn inline_secret_is_refused_without_echoing_it() {
    let text = errors_of("inline-secret.toml");
    assert_eq!(
        text,
        "tests/fixtures/config/inline-secret.toml:4:8: error: secrets are not written into the config; refer to where the secret lives\n\
         hint: use { env = \"VAR\" } / { command = [...] } / { file = \"...\" }"
    );
    assert!(!text.contains("hunter2"));
}

#[test]
fn every_problem_is_collected_in_file_order() {
    let Err(ConfigError::Invalid { findings }) = Config::load(&fixture("many-problems.toml"))
    else {
        panic!("many-problems.toml must be invalid");
    };
    let found: Vec<(usize, usize, &str)> = findings
        .iter()
        .map(|d| {
            let p = d.position.unwrap();
            (p.line, p.column, d.message.as_str())
        })
        .collect();
    assert_eq!(
        found,
        [
            (3, 10, "unknown keymap preset `vm`"),
            (6, 12, "unknown contract `missing`"),
            (12, 6, "duplicate tenant id `mueller`"),
            (13, 9, "unknown Bundesland `XX`"),
            (18, 10, "unknown tenant `nobody`"),
            (19, 11, "`timeout` must be longer than zero"),
            (22, 6, "duplicate source id `a`"),
            (23, 8, "unknown source kind `nagios`"),
            (28, 1, "unknown field `sed`"),
        ]
    );
    let hints: Vec<Option<&str>> = findings.iter().map(|d| d.hint.as_deref()).collect();
    assert_eq!(hints[0], Some("did you mean `vim`?"));
    assert_eq!(hints[1], Some("define it as `[contracts.missing]`"));
    assert_eq!(
        hints[2],
        Some("`mueller` is already defined on line 9; ids must be unique")
    );
    assert_eq!(
        hints[4],
        Some("add a `[[tenants]]` entry with `id = \"nobody\"`")
    );
    assert_eq!(hints[8], Some("did you mean `seed`?"));
}

#[test]
fn syntax_error_has_a_position() {
    let text = errors_of("syntax.toml");
    assert!(
        text.starts_with("tests/fixtures/config/syntax.toml:2:9: error: invalid TOML: "),
        "{text}"
    );
    assert!(
        text.contains("\nhint: text values need double quotes"),
        "{text}"
    );
}

#[test]
fn unknown_section_and_ui_field_get_hints() {
    let err = Config::parse(Path::new("c.toml"), "[uii]\ntheme = \"x\"\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "c.toml:1:2: error: unknown top-level key `uii`\nhint: did you mean `ui`?"
    );
    let err = Config::parse(Path::new("c.toml"), "[ui]\nthme = \"x\"\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "c.toml:2:1: error: unknown field `thme`\nhint: did you mean `theme`?"
    );
}

#[test]
fn tenants_written_as_a_table_are_explained() {
    let err = Config::parse(Path::new("c.toml"), "[tenants]\nid = \"x\"\n").unwrap_err();
    assert!(
        err.to_string()
            .contains("hint: write each entry under its own `[[tenants]]` header"),
        "{err}"
    );
}

#[test]
fn insecure_source_loads_with_a_loud_warning() {
    let config = Config::load(&fixture("insecure.toml")).unwrap();
    assert!(config.sources[0].insecure);
    let [warning] = config.warnings.as_slice() else {
        panic!("one warning expected: {:?}", config.warnings);
    };
    assert_eq!(warning.severity, Severity::Warning);
    assert_eq!(
        warning.position,
        Some(Position {
            line: 5,
            column: 12
        })
    );
    assert!(warning.message.contains("TLS CERTIFICATE CHECKS ARE OFF"));
}

#[test]
fn missing_default_file_means_defaults_but_explicit_one_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("absent.toml");
    let default = Config::load_located(&Located::new(&path, Origin::Xdg)).unwrap();
    assert_eq!(default, Config::default());
    assert_eq!(default.ui.theme, "night");
    for origin in [Origin::Flag, Origin::Env] {
        let err = Config::load_located(&Located::new(&path, origin)).unwrap_err();
        assert!(matches!(err, ConfigError::NotFound { .. }));
        assert!(err.to_string().contains("config file not found"), "{err}");
    }
}

#[test]
fn lang_auto_follows_the_locale() {
    let env = |vars: &'static [(&'static str, &'static str)]| {
        move |name: &str| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| std::ffi::OsString::from(v))
        }
    };
    assert_eq!(
        Lang::Auto.resolve_with(&env(&[("LANG", "de_DE.UTF-8")])),
        Lang::De
    );
    assert_eq!(
        Lang::Auto.resolve_with(&env(&[("LC_ALL", "C"), ("LANG", "de_DE.UTF-8")])),
        Lang::En
    );
    assert_eq!(
        Lang::Auto.resolve_with(&env(&[("LC_ALL", ""), ("LC_MESSAGES", "de_AT")])),
        Lang::De
    );
    assert_eq!(Lang::Auto.resolve_with(&env(&[])), Lang::En);
    assert_eq!(Lang::En.resolve_with(&env(&[("LANG", "de_DE")])), Lang::En);
}

#[test]
fn common_source_fields_match_the_schema() {
    // serde lists the fields it expects; our split of source keys must agree with it.
    let err = Config::parse(
        Path::new("c.toml"),
        "[[sources]]\nid = \"a\"\nkind = \"nope\"\n",
    )
    .unwrap_err();
    assert!(err.to_string().contains("unknown source kind `nope`"));
    let value = toml::de::DeValue::parse("{ zzz = 1 }").unwrap();
    let err = <source::RawSourceCommon as serde::Deserialize>::deserialize(
        toml::de::ValueDeserializer::from(value),
    )
    .unwrap_err();
    let expected: Vec<&str> = err.message().split('`').skip(3).step_by(2).collect();
    assert_eq!(expected, source::COMMON_FIELDS);
}

#[test]
fn starter_config_loads_without_findings() {
    let config = Config::parse(Path::new("starter.toml"), STARTER_CONFIG)
        .unwrap_or_else(|e| panic!("starter config is invalid:\n{e}"));
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);
    assert_eq!(config.sources[0].kind.name(), "demo");
    assert!(config.contracts.contains_key("standard"));
}

#[test]
fn init_writes_once_and_overwrites_only_with_force() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/dir/config.toml");
    assert_eq!(init(&path, false).unwrap(), path);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), STARTER_CONFIG);
    std::fs::write(&path, "# mine\n").unwrap();
    assert!(matches!(init(&path, false), Err(InitError::Exists(_))));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "# mine\n");
    init(&path, true).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), STARTER_CONFIG);
}

fn paths_for(config_file: &Path, origin: Origin) -> Paths {
    let base = BaseDirs {
        config: "/nonexistent/config".into(),
        data: "/nonexistent/data".into(),
        state: "/nonexistent/state".into(),
    };
    match origin {
        Origin::Flag => Paths::resolve(Some(config_file), None, base),
        _ => Paths::resolve(None, Some(config_file.as_os_str()), base),
    }
}

#[test]
fn check_reports_one_line_per_finding() {
    let report = check(&paths_for(&fixture("many-problems.toml"), Origin::Flag));
    assert!(report.has_errors());
    assert_eq!(report.count(Severity::Error), 9);
    assert_eq!(report.lines().len(), 9);
    assert_eq!(
        report.lines()[0],
        "tests/fixtures/config/many-problems.toml:3:10: error: unknown keymap preset `vm` (hint: did you mean `vim`?)"
    );
    assert!(report.to_string().lines().count() == 9);
}

#[test]
fn check_warns_about_insecure_and_missing_references() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(
        &path,
        "[ui]\ntheme = \"nigth\"\n\n[[sources]]\nid = \"d\"\nkind = \"demo\"\ninsecure = true\n\
         auth = { env = \"NIGHTDESK_TEST_VARIABLE_THAT_IS_NOT_SET\" }\nca-file = \"/nonexistent/ca.pem\"\n",
    )
    .unwrap();
    let report = check(&paths_for(&path, Origin::Env));
    let lines = report.lines();
    assert!(report.config.is_some());
    assert_eq!(report.count(Severity::Warning), 1, "{lines:?}");
    assert!(lines[0].contains(":7:12: warning: TLS CERTIFICATE CHECKS ARE OFF"));
    assert!(
        lines
            .iter()
            .any(|l| l.contains("unknown theme `nigth`") && l.contains("did you mean `night`?")),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("NIGHTDESK_TEST_VARIABLE_THAT_IS_NOT_SET` (auth) is not set"))
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("ca-file /nonexistent/ca.pem does not exist"))
    );
}

#[test]
fn check_notes_a_missing_default_file() {
    let dir = tempfile::tempdir().unwrap();
    let base = BaseDirs {
        config: dir.path().to_path_buf(),
        data: dir.path().join("data"),
        state: dir.path().join("state"),
    };
    let report = check(&Paths::resolve(None, None, base));
    assert!(!report.has_errors());
    assert_eq!(report.count(Severity::Note), 1);
    assert!(report.lines()[0].contains("note: no config file; built-in defaults apply"));
    assert_eq!(report.config, Some(Config::default()));
}

#[test]
fn check_reports_errors_of_a_user_theme() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("themes")).unwrap();
    std::fs::write(
        dir.path().join("themes/mine.toml"),
        "[meta]\ninherits = \"night\"\n[styles]\n\"priority.p5\" = \"red\"\n",
    )
    .unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, "[ui]\ntheme = \"mine\"\n").unwrap();
    let report = check(&paths_for(&path, Origin::Flag));
    let lines = report.lines();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].ends_with("themes/mine.toml:4:1: error: unknown style `priority.p5` (hint: did you mean `priority.p1`?)"),
        "{lines:?}"
    );
}

#[test]
fn views_are_filters_that_must_parse() {
    let ok = Config::parse(
        Path::new("v.toml"),
        "[views]\np1-nacht = \"p:1 k:alert\"\nmueller = \"t:mueller -s:waiting\"\n",
    )
    .unwrap();
    assert_eq!(ok.views["p1-nacht"], "p:1 k:alert");
    assert_eq!(ok.views.len(), 2);
    let Err(ConfigError::Invalid { findings }) =
        Config::parse(Path::new("v.toml"), "[views]\nbad = \"p:9\"\n")
    else {
        panic!("p:9 is no priority");
    };
    let f = &findings[0];
    assert!(f.message.starts_with("view `bad`"), "{}", f.message);
    assert_eq!(f.position.map(|p| p.line), Some(2));
}
