//! Tests of keymap layering, resolution, help data and the checker rules.

use std::path::Path;

use super::*;
use crate::action::REGISTRY;

fn key(s: &str) -> Key {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn seq(s: &str) -> KeySeq {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn act(s: &str) -> Action {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn default() -> Keymap {
    Keymap::builtin("default").expect("default keymap")
}

/// The default keymap with a user file on top; panics on errors.
fn with_user(preset: &str, text: &str) -> Keymap {
    Keymap::load(preset, Some((Path::new("user.toml"), text)))
        .unwrap_or_else(|d| panic!("{}", lines(&d)))
}

fn lines(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

fn resolve(km: &Keymap, ctx: Context, keys: &str) -> Resolution {
    let keys = seq(keys);
    let (last, pending) = keys.keys().split_last().unwrap();
    km.resolve(ctx, pending, *last)
}

fn check_str(text: &str) -> Vec<String> {
    lines_of(&check(Path::new("k.toml"), text))
}

fn layered_str(text: &str, preset: &str) -> Vec<String> {
    lines_of(&check_layered(Path::new("k.toml"), text, preset))
}

fn lines_of(diagnostics: &[Diagnostic]) -> Vec<String> {
    diagnostics.iter().map(ToString::to_string).collect()
}

// --- resolution -------------------------------------------------------------------------

#[test]
fn resolves_a_single_key() {
    let km = default();
    assert_eq!(
        resolve(&km, Context::Queue, "j"),
        Resolution::Action(act("select-next"))
    );
    assert_eq!(
        resolve(&km, Context::Queue, "1"),
        Resolution::Action(act("set-filter p:1"))
    );
    assert_eq!(resolve(&km, Context::Queue, "x"), Resolution::Unbound);
}

#[test]
fn sequence_is_pending_then_matched() {
    let km = default();
    assert_eq!(
        resolve(&km, Context::Queue, "g"),
        Resolution::Pending(vec![(seq("g"), act("select-first"))])
    );
    assert_eq!(
        km.resolve(Context::Queue, &[key("g")], key("g")),
        Resolution::Action(act("select-first"))
    );
    assert_eq!(
        km.resolve(Context::Queue, &[key("g")], key("x")),
        Resolution::Unbound,
        "a key that completes nothing drops the sequence"
    );
}

#[test]
fn pending_lists_continuations_from_parents() {
    let km = with_user("default", "[global]\n\"g t\" = \"toggle-tenants\"\n");
    assert_eq!(
        resolve(&km, Context::Queue, "g"),
        Resolution::Pending(vec![
            (seq("g"), act("select-first")),
            (seq("t"), act("toggle-tenants")),
        ])
    );
    assert_eq!(
        resolve(&km, Context::Queue, "g t"),
        Resolution::Action(act("toggle-tenants"))
    );
    assert_eq!(
        resolve(&km, Context::Tenants, "g"),
        Resolution::Pending(vec![(seq("t"), act("toggle-tenants"))])
    );
}

#[test]
fn falls_back_to_parent_contexts() {
    let km = default();
    assert_eq!(
        resolve(&km, Context::Queue, "?"),
        Resolution::Action(act("help"))
    );
    // detail -> queue -> global
    assert_eq!(
        resolve(&km, Context::Detail, "j"),
        Resolution::Action(act("select-next"))
    );
    assert_eq!(
        resolve(&km, Context::Detail, "q"),
        Resolution::Action(act("quit"))
    );
}

#[test]
fn specific_context_shadows_parent() {
    let km = default();
    assert_eq!(
        resolve(&km, Context::Detail, "enter"),
        Resolution::Action(act("close-detail"))
    );
    assert_eq!(
        resolve(&km, Context::Detail, "esc"),
        Resolution::Action(act("close-detail"))
    );
    assert_eq!(
        resolve(&km, Context::Queue, "esc"),
        Resolution::Action(act("cancel"))
    );
    assert_eq!(
        resolve(&km, Context::Help, "q"),
        Resolution::Action(act("cancel"))
    );
}

#[test]
fn text_inputs_leave_printable_keys_as_text() {
    let km = default();
    for ctx in [Context::Filter, Context::Command] {
        assert_eq!(resolve(&km, ctx, "q"), Resolution::Unbound, "{ctx:?}");
        assert_eq!(resolve(&km, ctx, "?"), Resolution::Unbound, "{ctx:?}");
        assert_eq!(resolve(&km, ctx, "j"), Resolution::Unbound, "{ctx:?}");
        assert_eq!(
            resolve(&km, ctx, "enter"),
            Resolution::Action(act("accept"))
        );
        assert_eq!(
            resolve(&km, ctx, "ctrl-w"),
            Resolution::Action(act("delete-word"))
        );
    }
    assert_eq!(
        resolve(&km, Context::Command, "tab"),
        Resolution::Action(act("complete"))
    );
    assert_eq!(resolve(&km, Context::Filter, "tab"), Resolution::Unbound);
    // A printable key bound in the input itself does run its action.
    let km = with_user("default", "[filter]\n\"~\" = \"clear-line\"\n");
    assert_eq!(
        resolve(&km, Context::Filter, "~"),
        Resolution::Action(act("clear-line"))
    );
}

#[test]
fn noop_unbinds_an_inherited_key() {
    let km = with_user("default", "[queue]\n\"a\" = \"noop\"\n\"q\" = \"noop\"\n");
    assert_eq!(resolve(&km, Context::Queue, "a"), Resolution::Unbound);
    // noop in queue hides global `q` in queue (and in detail, which falls back to queue) ...
    assert_eq!(resolve(&km, Context::Queue, "q"), Resolution::Unbound);
    assert_eq!(resolve(&km, Context::Detail, "q"), Resolution::Unbound);
    // ... but not where queue is not on the way.
    assert_eq!(
        resolve(&km, Context::Tenants, "q"),
        Resolution::Action(act("quit"))
    );
    assert!(km.keys_for(Context::Queue, ActionId::Ack).is_empty());
    assert_eq!(
        km.keys_for(Context::Queue, ActionId::Quit),
        vec![seq("ctrl-c")]
    );
}

#[test]
fn noop_on_a_sequence_removes_the_prefix() {
    let km = with_user("default", "[queue]\n\"g g\" = \"noop\"\n");
    assert_eq!(resolve(&km, Context::Queue, "g"), Resolution::Unbound);
}

// --- layering ---------------------------------------------------------------------------

#[test]
fn user_file_overrides_key_by_key() {
    let km = with_user(
        "default",
        "[queue]\n\"j\" = \"select-prev\"\n\"x\" = \"take\"\n",
    );
    assert_eq!(
        resolve(&km, Context::Queue, "j"),
        Resolution::Action(act("select-prev"))
    );
    assert_eq!(
        resolve(&km, Context::Queue, "x"),
        Resolution::Action(act("take"))
    );
    // unmentioned keys keep their default
    assert_eq!(
        resolve(&km, Context::Queue, "down"),
        Resolution::Action(act("select-next"))
    );
    assert_eq!(
        resolve(&km, Context::Queue, "k"),
        Resolution::Action(act("select-prev"))
    );
    assert_eq!(
        km.binding(Context::Queue, &seq("x")).unwrap().origin,
        Origin::File { line: 3, column: 1 }
    );
    assert_eq!(
        km.binding(Context::Queue, &seq("k")).unwrap().origin,
        Origin::Preset("default")
    );
}

#[test]
fn presets_extend_default() {
    let vim = Keymap::builtin("vim").unwrap();
    assert_eq!(vim.name(), "vim");
    assert_eq!(
        vim.resolve(Context::Queue, &[key("Z")], key("Z")),
        Resolution::Action(act("quit"))
    );
    assert_eq!(
        resolve(&vim, Context::Queue, "ctrl-d"),
        Resolution::Action(act("page-down"))
    );
    assert_eq!(
        resolve(&vim, Context::Queue, "j"),
        Resolution::Action(act("select-next")),
        "inherited from default"
    );
    assert_eq!(
        vim.binding(Context::Queue, &seq("ctrl-d")).unwrap().origin,
        Origin::Preset("vim")
    );
    assert_eq!(
        vim.binding(Context::Queue, &seq("j")).unwrap().origin,
        Origin::Preset("default")
    );
    let emacs = Keymap::builtin("emacs").unwrap();
    assert_eq!(
        resolve(&emacs, Context::Filter, "ctrl-g"),
        Resolution::Action(act("cancel"))
    );
    assert_eq!(
        resolve(&emacs, Context::Queue, "alt->"),
        Resolution::Action(act("select-last"))
    );
    assert_eq!(
        resolve(&default(), Context::Queue, "ctrl-d"),
        Resolution::Unbound
    );
    assert!(Keymap::builtin("vi").is_none());
}

#[test]
fn user_file_extends_picks_the_preset() {
    let km = with_user(
        "default",
        "[meta]\nextends = \"vim\"\n[queue]\n\"x\" = \"take\"\n",
    );
    assert_eq!(
        resolve(&km, Context::Queue, "ctrl-d"),
        Resolution::Action(act("page-down"))
    );
    let km = with_user("emacs", "[queue]\n\"x\" = \"take\"\n");
    assert_eq!(
        resolve(&km, Context::Queue, "ctrl-v"),
        Resolution::Action(act("page-down"))
    );
}

#[test]
fn strict_load_fails_on_errors_and_report_keeps_good_entries() {
    let text = "[queue]\n\"x\" = \"take\"\n\"y\" = \"tkae\"\n";
    let user = Some((Path::new("user.toml"), text));
    let errors = Keymap::load("default", user).unwrap_err();
    assert_eq!(
        lines(&errors),
        "user.toml:3:7: error: unknown action `tkae`, did you mean `take`?"
    );
    let (km, diagnostics) = Keymap::load_report("default", user);
    assert_eq!(diagnostics, errors);
    assert_eq!(
        resolve(&km, Context::Queue, "x"),
        Resolution::Action(act("take"))
    );
    assert_eq!(resolve(&km, Context::Queue, "y"), Resolution::Unbound);
}

#[test]
fn warnings_do_not_fail_a_load_but_are_reported() {
    let text = "[global]\n\"ctrl-z\" = \"redraw\"\n";
    let user = Some((Path::new("u.toml"), text));
    assert!(Keymap::load("default", user).is_ok());
    let (_, diagnostics) = Keymap::load_report("default", user);
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(diagnostics[0].severity, Severity::Warning);
}

#[test]
fn unknown_preset_is_an_error() {
    let errors = Keymap::load("vi", None).unwrap_err();
    assert_eq!(
        lines(&errors),
        "keymap preset: error: unknown keymap `vi` (built-in keymaps: default, vim, emacs)"
    );
    let (km, _) = Keymap::load_report("vi", None);
    assert_eq!(km, default(), "falls back to default");
}

// --- help data --------------------------------------------------------------------------

#[test]
fn keys_for_lists_best_hint_first() {
    let km = default();
    assert_eq!(
        km.keys_for(Context::Queue, ActionId::Help),
        vec![seq("?"), seq("f1")]
    );
    assert_eq!(
        km.keys_for(Context::Queue, ActionId::SelectNext),
        vec![seq("j"), seq("down")]
    );
    assert_eq!(
        km.keys_for(Context::Queue, ActionId::SelectFirst),
        vec![seq("home"), seq("g g")]
    );
    assert_eq!(
        km.keys_for(Context::Detail, ActionId::OpenDetail),
        Vec::<KeySeq>::new(),
        "enter is shadowed by close-detail in detail"
    );
    assert!(km.keys_for(Context::Filter, ActionId::Quit).is_empty());
}

#[test]
fn bindings_include_inherited_ones_marked() {
    let km = default();
    let queue = km.bindings(Context::Queue);
    assert!(!queue[0].inherited, "own bindings come first");
    let help = queue.iter().find(|b| b.display == "?").unwrap();
    assert!(help.inherited);
    assert_eq!(help.context, Context::Global);
    assert_eq!(help.action, act("help"));
    let first_inherited = queue.iter().position(|b| b.inherited).unwrap();
    assert!(queue[first_inherited..].iter().all(|b| b.inherited));
    // own bindings in registry order: select-next, open-detail, set-filter, ack
    let pos = |name: &str| queue.iter().position(|b| b.display == name).unwrap();
    assert!(pos("j") < pos("down"));
    assert!(pos("down") < pos("enter"));
    assert!(pos("enter") < pos("1"));
    assert!(pos("1") < pos("2"));
    assert!(pos("4") < pos("a"));
    assert_eq!(queue.iter().filter(|b| b.display == "g g").count(), 1);

    let detail = km.bindings(Context::Detail);
    let enter: Vec<_> = detail.iter().filter(|b| b.display == "enter").collect();
    assert_eq!(enter.len(), 1);
    assert_eq!(enter[0].action, act("close-detail"));
    assert!(
        detail
            .iter()
            .any(|b| b.display == "j" && b.context == Context::Queue)
    );
    assert!(!detail.iter().any(|b| b.action.id == ActionId::Cancel));

    let filter = km.bindings(Context::Filter);
    assert!(filter.iter().all(|b| !b.inherited));
    assert_eq!(filter.len(), 11);
}

#[test]
fn bindings_hide_keys_blocked_by_a_sequence() {
    // global `g` can never fire in queue, where `g g` starts a sequence.
    let km = Keymap::load_report(
        "default",
        Some((Path::new("u.toml"), "[global]\n\"g\" = \"redraw\"\n")),
    )
    .0;
    assert!(
        !km.bindings(Context::Queue)
            .iter()
            .any(|b| b.action.id == ActionId::Redraw && b.display == "g")
    );
    assert!(
        km.bindings(Context::Tenants)
            .iter()
            .any(|b| b.action.id == ActionId::Redraw && b.display == "g")
    );
}

// --- checker ----------------------------------------------------------------------------

#[test]
fn reports_toml_syntax_errors_with_position() {
    assert_eq!(
        check_str("[queue]\n\"a\" = \"ack\n"),
        ["k.toml:2:11: error: invalid basic string, expected `\"`"]
    );
    let dup = check_str("[queue]\na = \"ack\"\na = \"take\"\n");
    assert_eq!(dup, ["k.toml:3:1: error: duplicate key"]);
}

#[test]
fn reports_unknown_context() {
    assert_eq!(
        check_str("[global]\n\"q\" = \"quit\"\n[qeueu]\n\"j\" = \"select-next\"\n"),
        [
            "k.toml:3:2: error: unknown context `qeueu` (contexts: global, queue, detail, tenants, sources, help, filter, command, prompt, session-menu)"
        ]
    );
    assert_eq!(
        check_str("q = \"quit\"\n"),
        [
            "k.toml:1:1: error: binding `q` is outside a context table; put it under [global] or another context"
        ]
    );
}

#[test]
fn reports_bad_actions_at_the_value() {
    assert_eq!(
        check_str(
            "[queue]\n\"a\" = \"ak\"\n\"b\" = \"ack now\"\n\"c\" = \"set-filter\"\n\"d\" = 3\n"
        ),
        [
            "k.toml:2:7: error: unknown action `ak`, did you mean `ack`?",
            "k.toml:3:7: error: action `ack` takes no arguments",
            "k.toml:4:7: error: action `set-filter` needs an argument",
            "k.toml:5:7: error: expected an action string such as \"select-next\", found integer",
        ]
    );
}

#[test]
fn reports_bad_keys_at_the_key() {
    assert_eq!(
        check_str("[queue]\n  \"shift-a\" = \"ack\"\n\"Enter\" = \"ack\"\n"),
        [
            "k.toml:2:3: error: `shift-a`: shift is part of the character, write `A`",
            "k.toml:3:1: error: unknown key `Enter`, did you mean `enter`?",
        ]
    );
}

#[test]
fn columns_count_characters() {
    assert_eq!(
        check_str("[queue]\n\"ä\" = \"ack\" ; \"ö\" = \"ak\"\n"),
        ["k.toml:2:13: error: unexpected key or value, expected newline, `#`"],
        "sanity: the toml error positions are char columns too"
    );
    assert_eq!(
        check_str("[queue]\n\"ä\" = { x = 1 }\n"),
        ["k.toml:2:7: error: expected an action string such as \"select-next\", found table"]
    );
}

#[test]
fn reports_meta_problems() {
    assert_eq!(
        check_str("[meta]\nname = \"mine\"\nextends = \"vi\"\nauthor = \"me\"\n"),
        [
            "k.toml:3:11: error: unknown keymap `vi` (built-in keymaps: default, vim, emacs)",
            "k.toml:4:1: error: unknown key `author` in [meta] (known: name, extends)",
        ]
    );
    assert_eq!(
        layered_str("[meta]\nextends = \"vi\"\n", "default"),
        ["k.toml:2:11: error: unknown keymap `vi` (built-in keymaps: default, vim, emacs)"]
    );
}

#[test]
fn reports_prefix_clash_in_one_context() {
    assert_eq!(
        check_str("[queue]\n\"g g\" = \"select-first\"\n\"g\" = \"ack\"\n"),
        [
            "k.toml:3:1: error: prefix clash: `g` in [queue] and `g g` in [queue] (line 2); a key cannot both run an action and start a sequence"
        ]
    );
}

#[test]
fn reports_prefix_clash_with_a_parent_context() {
    assert_eq!(
        check_str("[global]\n\"g\" = \"help\"\n[queue]\n\"g g\" = \"select-first\"\n"),
        [
            "k.toml:2:1: error: prefix clash: `g` in [global] and `g g` in [queue] (line 4); a key cannot both run an action and start a sequence"
        ]
    );
    // detail falls back to queue: a detail `g` clashes with queue `g g`
    assert_eq!(
        check_str("[queue]\n\"g g\" = \"select-first\"\n[detail]\n\"g\" = \"close-detail\"\n")
            .len(),
        1
    );
    // tenants does not fall back to queue: no clash
    assert!(
        check_str("[queue]\n\"g g\" = \"select-first\"\n[tenants]\n\"g\" = \"accept\"\n")
            .is_empty()
    );
}

#[test]
fn layered_check_finds_clashes_with_built_in_bindings() {
    assert_eq!(
        layered_str("[global]\n\"g\" = \"help\"\n", "default"),
        [
            "k.toml:2:1: error: prefix clash: `g` in [global] and `g g` in [queue] (built-in default keymap); a key cannot both run an action and start a sequence"
        ]
    );
    assert!(
        check_str("[global]\n\"g\" = \"help\"\n").is_empty(),
        "alone the file is fine"
    );
    // vim binds `Z Z` and `Z Q` in global
    assert_eq!(layered_str("[queue]\n\"Z\" = \"take\"\n", "vim").len(), 2);
    assert!(layered_str("[queue]\n\"Z\" = \"take\"\n", "default").is_empty());
    // unbinding the sequence first removes the clash
    assert!(
        layered_str(
            "[queue]\n\"g g\" = \"noop\"\n[global]\n\"g\" = \"help\"\n",
            "default"
        )
        .is_empty()
    );
    // the file's extends wins over the preset argument
    assert_eq!(
        layered_str(
            "[meta]\nextends = \"vim\"\n[queue]\n\"Z\" = \"take\"\n",
            "default"
        )
        .len(),
        2
    );
}

#[test]
fn reports_two_spellings_of_one_key() {
    assert_eq!(
        check_str("[queue]\n\"backtab\" = \"ack\"\n\"shift-tab\" = \"unack\"\n"),
        ["k.toml:3:1: error: `shift-tab` is the same key as `backtab` on line 2; bind it once"]
    );
    assert_eq!(
        check_str("[queue]\n\" \" = \"ack\"\n\"space\" = \"ack\"\n"),
        ["k.toml:3:1: error: `space` is the same key as ` ` on line 2; bind it once"]
    );
    // the same key in two contexts is fine
    assert!(
        check_str("[queue]\n\"backtab\" = \"ack\"\n[help]\n\"shift-tab\" = \"cancel\"\n")
            .is_empty()
    );
}

#[test]
fn warns_about_keys_terminals_keep() {
    let text = "[global]\n\"ctrl-a\" = \"help\"\n\"ctrl-b\" = \"help\"\n\"ctrl-s\" = \"help\"\n\"ctrl-q\" = \"quit\"\n\"ctrl-z\" = \"quit\"\n\"x ctrl-b\" = \"redraw\"\n\"alt-ctrl-a\" = \"redraw\"\n";
    let diagnostics = check(Path::new("k.toml"), text);
    assert!(diagnostics.iter().all(|d| d.severity == Severity::Warning));
    let positions: Vec<_> = diagnostics.iter().map(|d| (d.line, d.column)).collect();
    assert_eq!(positions, [(2, 1), (3, 1), (4, 1), (5, 1), (6, 1), (7, 1)]);
    assert_eq!(
        diagnostics[0].to_string(),
        "k.toml:2:1: warning: `ctrl-a` is the tmux/screen prefix key for many users and may never arrive"
    );
    assert!(diagnostics[2].message.contains("flow control"));
    assert!(diagnostics[4].message.contains("suspends"));
    // unbinding them is fine
    assert!(check_str("[global]\n\"ctrl-z\" = \"noop\"\n").is_empty());
    assert!(!has_errors(&diagnostics));
}

#[test]
fn findings_come_in_file_order() {
    let out = check_str("[queue]\n\"x\" = \"nope\"\n\"shift-b\" = \"ack\"\n[bogus]\n");
    let lines: Vec<_> = out.iter().map(|l| l.split(':').nth(1).unwrap()).collect();
    assert_eq!(lines, ["2", "3", "4"]);
}

// --- docs -------------------------------------------------------------------------------

/// The `## Actions` section of docs/keymaps.md lists every action of the registry in its
/// table, and nothing else, so the user guide stays in sync with the registry.
#[test]
fn docs_list_every_action() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/keymaps.md");
    let docs = std::fs::read_to_string(path).expect("docs/keymaps.md");
    let section = docs
        .split("\n## ")
        .find(|s| s.starts_with("Actions\n"))
        .expect("docs/keymaps.md has an `## Actions` section");
    let documented: Vec<&str> = section
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .map(|cell| cell.split(' ').next().unwrap_or(cell))
        .collect();
    let missing: Vec<_> = REGISTRY
        .iter()
        .map(|spec| spec.name)
        .filter(|name| !documented.contains(name))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/keymaps.md misses actions: {missing:?}"
    );
    let unknown: Vec<_> = documented
        .iter()
        .filter(|name| ActionId::by_name(name).is_none())
        .collect();
    assert!(
        unknown.is_empty(),
        "docs/keymaps.md lists actions the registry does not know: {unknown:?}"
    );
    for spec in REGISTRY
        .iter()
        .filter(|s| s.args != crate::action::Args::None)
    {
        assert!(
            section.contains(&format!("| `{} ARGS` |", spec.name)),
            "docs/keymaps.md does not mark `{}` as taking arguments",
            spec.name
        );
    }
}

#[test]
fn view_bindings_of_views_the_config_does_not_define_are_warned_about() {
    let text = "[queue]\n\"P\" = \"view p1-night\"\n\"M\" = \"view mine\"\n\"X\" = \"view nope\"\n\"j\" = \"select-next\"\n";
    let found = check_views(Path::new("k.toml"), text, &["mine", "p1-night"]);
    assert_eq!(found.len(), 1, "{found:?}");
    let d = &found[0];
    assert_eq!((d.line, d.column, d.severity), (4, 1, Severity::Warning));
    assert!(d.message.contains("`nope`"), "{}", d.message);
    assert!(d.message.contains("mine, p1-night"), "{}", d.message);
    assert!(!has_errors(&found), "a warning: the keymap still loads");
    // Without that view in the config, the good one is reported too.
    assert_eq!(check_views(Path::new("k.toml"), text, &["mine"]).len(), 2);
}
