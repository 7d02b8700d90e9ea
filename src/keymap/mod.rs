//! Keymaps: which key (or key sequence) runs which action in which context.
//!
//! Layers, each overriding the one below key by key: the built-in `default` keymap, an optional
//! built-in preset (`vim`, `emacs`) that extends it, and the user's file. A key bound to `noop`
//! does nothing in that context and hides bindings of the same key below it and in parent
//! contexts. Lookup goes from the focused context through `Context::parents()`; text inputs
//! leave unbound printable keys to the app as typed text. Sequences such as `g g` resolve in
//! steps: the first key answers `Pending` with the possible continuations (for a which-key
//! hint), the last one the action.

mod check;
mod file;
mod key;

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

pub use check::{Diagnostic, Severity, check, check_layered, check_views, has_errors};
pub use key::{Code, Key, KeyParseError, KeySeq, Modifiers};

use crate::action::{Action, ActionId, Context};

/// The built-in keymap files, embedded in the binary. Presets extend `default`.
const BUILTIN: &[(&str, &str)] = &[
    ("default", include_str!("../../keymaps/default.toml")),
    ("vim", include_str!("../../keymaps/vim.toml")),
    ("emacs", include_str!("../../keymaps/emacs.toml")),
];

/// Where a binding came from, for `keys print` style introspection and clash messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A built-in keymap (`default`, `vim`, `emacs`).
    Preset(&'static str),
    /// The file laid over the built-ins (the user's keymap), at the key's position.
    File { line: usize, column: usize },
}

/// An action bound to a key sequence in one context.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binding {
    pub action: Action,
    pub origin: Origin,
}

/// What a key press means given the keys already pending.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolution {
    /// Run this action; the pending keys are consumed.
    Action(Action),
    /// The keys so far start one or more sequences: keep them pending. Holds the remaining
    /// keys of each possible continuation and its action, sorted by keys.
    Pending(Vec<(KeySeq, Action)>),
    /// Nothing is bound: drop pending keys; in a text input insert the key's character
    /// (see [`Key::text_char`]).
    Unbound,
}

/// One line of the help screen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BindingInfo {
    pub keys: KeySeq,
    /// The keys in canonical form (`g g`, `shift-tab`).
    pub display: String,
    pub action: Action,
    /// The context the binding is defined in.
    pub context: Context,
    /// True when it comes from a parent context (e.g. a `global` key shown in `queue`).
    pub inherited: bool,
}

/// The active key bindings, all layers merged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keymap {
    name: String,
    contexts: BTreeMap<Context, BTreeMap<KeySeq, Binding>>,
}

/// Result of looking a key sequence up along a context chain.
enum Found<'a> {
    Exact(Context, &'a Binding),
    Prefix,
    Nothing,
}

impl Keymap {
    /// Names of the built-in keymaps.
    pub const PRESETS: [&'static str; 3] = ["default", "vim", "emacs"];

    pub(crate) fn empty() -> Keymap {
        Keymap {
            name: String::new(),
            contexts: BTreeMap::new(),
        }
    }

    /// A built-in keymap with everything it extends, or `None` for an unknown name.
    pub fn builtin(preset: &str) -> Option<Keymap> {
        Keymap::builtin_chain(preset, BUILTIN.len())
    }

    fn builtin_chain(preset: &str, depth: usize) -> Option<Keymap> {
        let (name, text) = BUILTIN.iter().find(|(name, _)| *name == preset)?;
        let path = Path::new(name);
        let mut report = check::Report::new(path, text);
        let file = file::parse(text, &mut report);
        let mut keymap = match &file.extends {
            Some((base, _)) if depth > 0 => Keymap::builtin_chain(base, depth - 1)?,
            Some(_) => return None,
            None => Keymap::empty(),
        };
        keymap.name = file.name.clone().unwrap_or_else(|| (*name).to_string());
        for entry in file.entries {
            keymap.bind(
                entry.context,
                entry.keys,
                Binding {
                    action: entry.action,
                    origin: Origin::Preset(name),
                },
            );
        }
        Some(keymap)
    }

    /// The built-in `preset` with the user's file (path, contents) on top. `[meta] extends` in
    /// the file, when present, chooses the preset instead. Any error in the file (or an unknown
    /// preset) fails the load with all findings; warnings are dropped, see
    /// [`Keymap::load_report`] to keep them.
    pub fn load(preset: &str, user: Option<(&Path, &str)>) -> Result<Keymap, Vec<Diagnostic>> {
        let (keymap, diagnostics) = Keymap::load_report(preset, user);
        if has_errors(&diagnostics) {
            Err(diagnostics)
        } else {
            Ok(keymap)
        }
    }

    /// Like [`Keymap::load`], but always returns a usable keymap together with every finding:
    /// entries with errors are skipped, the rest of the user file applies, and an unknown
    /// preset falls back to `default`. For startup, where one broken line must not cost the
    /// on-call technician the queue.
    pub fn load_report(preset: &str, user: Option<(&Path, &str)>) -> (Keymap, Vec<Diagnostic>) {
        if let Some((path, text)) = user {
            return check::layer(path, text, preset);
        }
        match Keymap::builtin(preset) {
            Some(keymap) => (keymap, Vec::new()),
            None => {
                let diagnostic = Diagnostic {
                    path: "keymap preset".into(),
                    line: 0,
                    column: 0,
                    severity: Severity::Error,
                    message: check::unknown_preset(preset),
                };
                (Keymap::fallback(), vec![diagnostic])
            }
        }
    }

    /// The `default` keymap, used when a named one does not exist.
    pub(crate) fn fallback() -> Keymap {
        Keymap::builtin("default").expect("the default keymap is built in")
    }

    /// The keymap's name (`[meta] name`, else the preset name).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Bind (or with a `noop` action, unbind) a key sequence, replacing what was there.
    pub fn bind(&mut self, context: Context, keys: KeySeq, binding: Binding) {
        self.contexts
            .entry(context)
            .or_default()
            .insert(keys, binding);
    }

    /// The binding of exactly these keys in exactly this context (no parents).
    pub fn binding(&self, context: Context, keys: &KeySeq) -> Option<&Binding> {
        self.contexts.get(&context)?.get(keys)
    }

    /// Every binding in every context, `noop` included, in context then key order.
    pub fn entries(&self) -> impl Iterator<Item = (Context, &KeySeq, &Binding)> {
        self.contexts
            .iter()
            .flat_map(|(ctx, map)| map.iter().map(move |(keys, b)| (*ctx, keys, b)))
    }

    /// What `key` means in `context` after the `pending` keys of an unfinished sequence.
    pub fn resolve(&self, context: Context, pending: &[Key], key: Key) -> Resolution {
        let mut keys = pending.to_vec();
        keys.push(key);
        let keys = KeySeq(keys);
        let chain = self.chain(context, &keys);
        match self.find(&chain, &keys) {
            Found::Exact(_, binding) if binding.action.id == ActionId::Noop => Resolution::Unbound,
            Found::Exact(_, binding) => Resolution::Action(binding.action.clone()),
            Found::Prefix => Resolution::Pending(self.continuations(&chain, &keys)),
            Found::Nothing => Resolution::Unbound,
        }
    }

    /// Contexts to search, most specific first. In a text input a sequence that starts with a
    /// typed character is looked up in the input's own table only, so such keys stay text.
    fn chain(&self, context: Context, keys: &KeySeq) -> Vec<Context> {
        let typed = keys.keys().first().and_then(|k| k.text_char()).is_some();
        let mut chain = vec![context];
        if !(context.is_text_input() && typed) {
            chain.extend_from_slice(context.parents());
        }
        chain
    }

    fn find(&self, chain: &[Context], keys: &KeySeq) -> Found<'_> {
        for context in chain {
            let Some(map) = self.contexts.get(context) else {
                continue;
            };
            if let Some(binding) = map.get(keys) {
                return Found::Exact(*context, binding);
            }
            let starts_sequence = map
                .range(keys.clone()..)
                .take_while(|(seq, _)| seq.keys().starts_with(keys.keys()))
                .any(|(_, b)| b.action.id != ActionId::Noop);
            if starts_sequence {
                return Found::Prefix;
            }
        }
        Found::Nothing
    }

    /// Live sequences along `chain` that continue `keys`, as (remaining keys, action). A
    /// sequence bound in a more specific context hides the same sequence further up.
    fn continuations(&self, chain: &[Context], keys: &KeySeq) -> Vec<(KeySeq, Action)> {
        let mut hidden = HashSet::new();
        let mut found = Vec::new();
        for context in chain {
            let Some(map) = self.contexts.get(context) else {
                continue;
            };
            let longer = map
                .range(keys.clone()..)
                .take_while(|(seq, _)| seq.keys().starts_with(keys.keys()))
                .filter(|(seq, _)| seq.len() > keys.len());
            for (seq, binding) in longer {
                if hidden.insert(seq.clone()) && binding.action.id != ActionId::Noop {
                    found.push((KeySeq(seq.0[keys.len()..].to_vec()), binding.action.clone()));
                }
            }
        }
        found.sort_by_key(|(keys, _)| help_order(keys));
        found
    }

    /// Every binding that works in `context`, its own first, then those inherited from its
    /// parents that are not hidden; `noop` and unreachable bindings are left out. Sorted by
    /// origin context, then action in registry order, then keys (single keys first).
    pub fn bindings(&self, context: Context) -> Vec<BindingInfo> {
        let chain = self.chain(context, &KeySeq(Vec::new()));
        let mut infos = Vec::new();
        for (depth, from) in chain.iter().enumerate() {
            let Some(map) = self.contexts.get(from) else {
                continue;
            };
            for (keys, binding) in map {
                if binding.action.id != ActionId::Noop && self.reaches(context, keys, *from) {
                    infos.push((
                        depth,
                        BindingInfo {
                            keys: keys.clone(),
                            display: keys.to_string(),
                            action: binding.action.clone(),
                            context: *from,
                            inherited: depth > 0,
                        },
                    ));
                }
            }
        }
        infos.sort_by_cached_key(|(depth, info)| {
            (
                *depth,
                info.action.id,
                info.action.arg.clone(),
                help_order(&info.keys),
            )
        });
        infos.into_iter().map(|(_, info)| info).collect()
    }

    /// Whether typing `keys` in `context` ends at the binding defined in `defined_in`.
    fn reaches(&self, context: Context, keys: &KeySeq, defined_in: Context) -> bool {
        let chain = self.chain(context, keys);
        let prefixes_pend = (1..keys.len()).all(|n| {
            matches!(
                self.find(&chain, &KeySeq(keys.0[..n].to_vec())),
                Found::Prefix
            )
        });
        prefixes_pend
            && matches!(self.find(&chain, keys), Found::Exact(ctx, _) if ctx == defined_in)
    }

    /// The key sequences that run `action` (with any argument) in `context`, best first:
    /// own context before inherited, single keys before sequences, characters before named
    /// keys. The status bar shows the first as a hint (`? help`).
    pub fn keys_for(&self, context: Context, action: ActionId) -> Vec<KeySeq> {
        let mut found: Vec<_> = self
            .bindings(context)
            .into_iter()
            .filter(|info| info.action.id == action)
            .map(|info| (info.inherited, info.keys))
            .collect();
        found.sort_by_cached_key(|(inherited, keys)| (*inherited, help_order(keys)));
        found.into_iter().map(|(_, keys)| keys).collect()
    }
}

/// Sort key for showing key sequences: shorter first, then plain keys before modified ones,
/// characters before named keys.
fn help_order(keys: &KeySeq) -> (usize, Vec<(Modifiers, Code)>) {
    (
        keys.len(),
        keys.keys().iter().map(|k| (k.mods(), k.code())).collect(),
    )
}

#[cfg(test)]
mod tests;
