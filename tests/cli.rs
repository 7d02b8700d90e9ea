//! The command line: config errors with file:line:column, keymap checks, init, version and
//! completions, run as a user would run them.

mod common;

use std::path::Path;
use std::process::{Command, Output};

fn nightdesk(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nightdesk"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_STATE_HOME", home.join("state"))
        .output()
        .expect("run nightdesk")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn a_typo_in_the_config_names_file_line_and_column() {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("oncall.toml");
    std::fs::write(
        &file,
        "[ui]\ntheme = \"night\"\n\n[[sources]]\nid = \"demo\"\nkind = \"demo\"\npol-interval = \"30s\"\n",
    )
    .unwrap();
    let out = nightdesk(
        home.path(),
        &["--config", file.to_str().unwrap(), "config", "check"],
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(&format!("{}:7:1:", file.display())),
        "expected file:7:1 in {stdout}"
    );
    assert!(stdout.contains("poll-interval"), "hint missing: {stdout}");
}

#[test]
fn running_with_a_broken_config_fails_with_the_position() {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("bad.toml");
    std::fs::write(&file, "[ui]\nlang = \"fr\"\n").unwrap();
    let out = nightdesk(home.path(), &["--config", file.to_str().unwrap()]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr.contains(&format!("{}:2:", file.display())),
        "{stderr}"
    );
}

#[test]
fn no_config_at_all_points_to_demo_and_init() {
    let home = tempfile::tempdir().unwrap();
    let out = nightdesk(home.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("nightdesk demo") && stderr.contains("nightdesk init"),
        "{stderr}"
    );
}

#[test]
fn init_writes_a_config_that_checks_clean_and_never_overwrites() {
    let home = tempfile::tempdir().unwrap();
    let out = nightdesk(home.path(), &["init"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let path = home.path().join("config/nightdesk/config.toml");
    assert!(path.exists());
    let check = nightdesk(home.path(), &["config", "check"]);
    assert!(check.status.success(), "{}", text(&check.stdout));
    std::fs::write(&path, "# mine\n").unwrap();
    let again = nightdesk(home.path(), &["init"]);
    assert!(!again.status.success());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "# mine\n");
    assert!(
        nightdesk(home.path(), &["init", "--force"])
            .status
            .success()
    );
    assert_ne!(std::fs::read_to_string(&path).unwrap(), "# mine\n");
}

#[test]
fn keys_check_reports_problems_with_positions() {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("keys.toml");
    std::fs::write(
        &file,
        "[queue]\n\"g\" = \"select-first\"\n\"j\" = \"selct-next\"\n",
    )
    .unwrap();
    let out = nightdesk(home.path(), &["keys", "check", file.to_str().unwrap()]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(&format!("{}:3:", file.display())),
        "{stdout}"
    );
    assert!(stdout.contains("selct-next"), "{stdout}");
    assert!(
        stdout.contains(&format!("{}:2:", file.display())),
        "prefix clash with `g g`: {stdout}"
    );
}

#[test]
fn keys_check_warns_about_a_view_the_config_does_not_define() {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config/nightdesk/config.toml");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    std::fs::write(&config, "[views]\np1-night = \"p:1 k:alert\"\n").unwrap();
    let file = home.path().join("keys.toml");
    std::fs::write(
        &file,
        "[queue]\n\"P\" = \"view p1-night\"\n\"X\" = \"view p1-nite\"\n",
    )
    .unwrap();
    let out = nightdesk(home.path(), &["keys", "check", file.to_str().unwrap()]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "a warning only: {stdout}");
    let warnings: Vec<&str> = stdout.lines().filter(|l| l.contains("warning")).collect();
    assert_eq!(warnings.len(), 1, "{stdout}");
    assert!(
        warnings[0].starts_with(&format!("{}:3:1: warning:", file.display())),
        "{stdout}"
    );
    assert!(
        warnings[0].contains("`p1-nite`") && warnings[0].contains("mine, p1-night"),
        "{stdout}"
    );
}

#[test]
fn shipped_keymaps_pass_keys_check() {
    let home = tempfile::tempdir().unwrap();
    for preset in ["default", "vim", "emacs"] {
        let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("keymaps/{preset}.toml"));
        let out = nightdesk(home.path(), &["keys", "check", file.to_str().unwrap()]);
        assert!(out.status.success(), "{preset}: {}", text(&out.stdout));
    }
}

#[test]
fn version_lists_the_paths_in_use() {
    let home = tempfile::tempdir().unwrap();
    let out = nightdesk(home.path(), &["--version"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success());
    assert!(stdout.starts_with(&format!("nightdesk {}", env!("CARGO_PKG_VERSION"))));
    let config = home.path().join("config/nightdesk/config.toml");
    assert!(stdout.contains(&config.display().to_string()), "{stdout}");
    assert!(
        stdout.contains(&home.path().join("data").display().to_string()),
        "{stdout}"
    );
}

#[test]
fn completions_are_generated() {
    let home = tempfile::tempdir().unwrap();
    let out = nightdesk(home.path(), &["completions", "bash"]);
    assert!(out.status.success());
    let script = text(&out.stdout);
    assert!(script.contains("nightdesk") && script.contains("demo") && script.contains("keys"));
}
