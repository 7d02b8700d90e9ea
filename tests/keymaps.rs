//! The shipped keymap files in `keymaps/`: each one is a built-in preset, parses, passes the
//! checker without errors or warnings (alone and on top of what it extends), and stays clear of
//! the ctrl keys that tmux, flow control and the shell keep for themselves.

use std::fs;
use std::path::{Path, PathBuf};

use nightdesk::action::{ActionId, Context};
use nightdesk::keymap::{Code, Keymap, Modifiers, check, check_layered};

fn shipped_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("keymaps");
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .expect("keymaps/ exists")
        .map(|entry| entry.expect("readable entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    files.sort();
    files
}

fn stem(path: &Path) -> &str {
    path.file_stem()
        .and_then(|s| s.to_str())
        .expect("utf-8 name")
}

#[test]
fn every_shipped_file_is_a_builtin_preset() {
    let files = shipped_files();
    let mut stems: Vec<&str> = files.iter().map(|p| stem(p)).collect();
    stems.sort();
    let mut presets = Keymap::PRESETS.to_vec();
    presets.sort();
    assert_eq!(stems, presets, "keymaps/*.toml and Keymap::PRESETS differ");
}

#[test]
fn every_shipped_file_passes_the_checker_cleanly() {
    for path in shipped_files() {
        let text = fs::read_to_string(&path).expect("readable keymap");
        let alone = check(&path, &text);
        assert!(
            alone.is_empty(),
            "{}:\n{}",
            path.display(),
            alone
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        );
        let layered = check_layered(&path, &text, "default");
        assert!(
            layered.is_empty(),
            "{} on top of what it extends:\n{}",
            path.display(),
            layered
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        );
        let keymap = Keymap::load("default", Some((&path, &text)))
            .unwrap_or_else(|_| panic!("{} loads", path.display()));
        assert_eq!(keymap.name(), stem(&path));
    }
}

#[test]
fn no_preset_binds_avoided_ctrl_keys() {
    for preset in Keymap::PRESETS {
        let keymap = Keymap::builtin(preset).expect("built in");
        for (context, keys, _) in keymap.entries() {
            for key in keys.keys() {
                let avoided = key.mods() == Modifiers::CTRL
                    && matches!(key.code(), Code::Char('a' | 'b' | 's' | 'q' | 'z'));
                assert!(!avoided, "{preset} binds `{keys}` in [{}]", context.name());
            }
        }
    }
}

#[test]
fn every_preset_can_quit_get_help_and_leave_inputs() {
    for preset in Keymap::PRESETS {
        let keymap = Keymap::builtin(preset).expect("built in");
        for context in [Context::Queue, Context::Detail, Context::Tenants] {
            for action in [ActionId::Quit, ActionId::Help] {
                assert!(
                    !keymap.keys_for(context, action).is_empty(),
                    "{preset}: no key for {} in [{}]",
                    action.name(),
                    context.name()
                );
            }
        }
        for context in [
            Context::Filter,
            Context::Command,
            Context::Tenants,
            Context::Help,
        ] {
            assert!(
                !keymap.keys_for(context, ActionId::Cancel).is_empty(),
                "{preset}: no way out of [{}]",
                context.name()
            );
        }
        assert_eq!(
            keymap.keys_for(Context::Queue, ActionId::Help)[0].to_string(),
            "?"
        );
    }
}
