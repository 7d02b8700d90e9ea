//! Key strings as written in keymap files (`ctrl-c`, `G`, `shift-tab`, `g g`): parsing with
//! clear errors, a canonical display form that parses back to the same key, and the mapping
//! from crossterm key events.
//!
//! Conventions: modifiers are lowercase words joined by `-` (`ctrl-`, `alt-`, `shift-`); shift
//! is written into the character itself (`G`, `?`) and `shift-` is only allowed with named
//! keys (`shift-tab`, `shift-up`). A sequence is keys separated by single spaces (`g g`).

use std::fmt;
use std::str::FromStr;

use crossterm::event::{KeyCode as TermCode, KeyEvent, KeyEventKind, KeyModifiers};

/// The key itself, without modifiers. `Char(' ')` is the space bar.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Code {
    Char(char),
    Enter,
    Esc,
    Tab,
    /// Shift-tab; terminals report it as a key of its own.
    BackTab,
    Backspace,
    Delete,
    Insert,
    Up,
    Down,
    Left,
    Right,
    Home,
    End,
    PageUp,
    PageDown,
    /// Function keys `f1` to `f12`.
    F(u8),
}

/// Named keys and their spelling in keymap files (besides `f1`..`f12` and `backtab`).
const NAMED: &[(&str, Code)] = &[
    ("enter", Code::Enter),
    ("esc", Code::Esc),
    ("tab", Code::Tab),
    ("backtab", Code::BackTab),
    ("space", Code::Char(' ')),
    ("backspace", Code::Backspace),
    ("delete", Code::Delete),
    ("insert", Code::Insert),
    ("up", Code::Up),
    ("down", Code::Down),
    ("left", Code::Left),
    ("right", Code::Right),
    ("home", Code::Home),
    ("end", Code::End),
    ("pageup", Code::PageUp),
    ("pagedown", Code::PageDown),
];

/// Spellings from other tools, answered with a hint instead of a bare "unknown key".
const ALIASES: &[(&str, &str)] = &[
    ("return", "enter"),
    ("ret", "enter"),
    ("cr", "enter"),
    ("escape", "esc"),
    ("del", "delete"),
    ("ins", "insert"),
    ("bs", "backspace"),
    ("spc", "space"),
    ("pgup", "pageup"),
    ("pgdn", "pagedown"),
    ("pgdown", "pagedown"),
    ("page-up", "pageup"),
    ("page-down", "pagedown"),
    ("lt", "<"),
    ("gt", ">"),
    ("minus", "-"),
];

/// Modifier keys held with a key. Shift is only recorded for named keys: for characters it is
/// part of the character (`G`), for tab it turns the key into [`Code::BackTab`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Modifiers {
    pub ctrl: bool,
    pub alt: bool,
    pub shift: bool,
}

impl Modifiers {
    pub const NONE: Modifiers = Modifiers {
        ctrl: false,
        alt: false,
        shift: false,
    };
    pub const CTRL: Modifiers = Modifiers {
        ctrl: true,
        alt: false,
        shift: false,
    };
    pub const ALT: Modifiers = Modifiers {
        ctrl: false,
        alt: true,
        shift: false,
    };
    pub const SHIFT: Modifiers = Modifiers {
        ctrl: false,
        alt: false,
        shift: true,
    };

    pub fn is_empty(self) -> bool {
        self == Modifiers::NONE
    }
}

/// One key press in canonical form: two spellings of the same key compare equal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    code: Code,
    mods: Modifiers,
}

/// Why a key string was refused. The messages are shown by `keys check`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyParseError {
    #[error("empty key string")]
    Empty,
    #[error("empty key in `{0}`: separate keys with one space and write `space` for the space bar")]
    EmptyInSequence(String),
    #[error("`{0}` needs a key after it")]
    MissingKey(String),
    #[error("unknown modifier `{0}` (modifiers are ctrl-, alt- and shift-)")]
    UnknownModifier(String),
    #[error("modifier `{0}` is given twice")]
    DuplicateModifier(String),
    #[error("`{written}`: shift is part of the character, write `{hint}`")]
    ShiftLetter { written: String, hint: String },
    #[error(
        "`{0}`: shift is part of the character, write the shifted character itself (e.g. `!` or `?`)"
    )]
    ShiftChar(String),
    #[error("`{0}`: terminals send shift with space as a plain space, write `space`")]
    ShiftSpace(String),
    #[error("`{written}`: terminals send ctrl with the plain letter, write `{hint}`")]
    CtrlUppercase { written: String, hint: String },
    #[error("unknown key `{0}`, did you mean `{1}`?")]
    Alias(String, String),
    #[error("unknown key `{0}` (named keys: {names}, f1..f12)", names = named_list())]
    Unknown(String),
    #[error("function key `{0}` does not exist (f1..f12)")]
    FunctionRange(String),
    #[error("control character U+{0:04X} cannot be bound; use the key name (e.g. `tab`)")]
    ControlChar(u32),
}

fn named_list() -> String {
    NAMED
        .iter()
        .map(|(name, _)| *name)
        .collect::<Vec<_>>()
        .join(" ")
}

impl Key {
    /// A key from its parts, normalised: `shift` + `tab` becomes backtab, shift is dropped from
    /// characters (it is already in the character), ctrl + letter uses the lowercase letter.
    pub fn new(code: Code, mods: Modifiers) -> Key {
        let mut key = Key { code, mods };
        match key.code {
            Code::Tab if mods.shift => {
                key.code = Code::BackTab;
                key.mods.shift = false;
            }
            Code::BackTab => key.mods.shift = false,
            Code::Char(c) => {
                key.mods.shift = false;
                if mods.ctrl {
                    key.code = Code::Char(lowercase(c));
                }
            }
            _ => {}
        }
        key
    }

    /// A plain character key: `Key::char('G')`.
    pub fn char(c: char) -> Key {
        Key::new(Code::Char(c), Modifiers::NONE)
    }

    /// Ctrl with a character: `Key::ctrl('c')`.
    pub fn ctrl(c: char) -> Key {
        Key::new(Code::Char(c), Modifiers::CTRL)
    }

    /// Alt with a character: `Key::alt('x')`.
    pub fn alt(c: char) -> Key {
        Key::new(Code::Char(c), Modifiers::ALT)
    }

    /// A key without modifiers: `Key::plain(Code::Enter)`.
    pub fn plain(code: Code) -> Key {
        Key::new(code, Modifiers::NONE)
    }

    pub fn code(self) -> Code {
        self.code
    }

    pub fn mods(self) -> Modifiers {
        self.mods
    }

    /// The character to insert when this key is typed into a text input: a character key
    /// without ctrl or alt.
    pub fn text_char(self) -> Option<char> {
        match self.code {
            Code::Char(c) if !self.mods.ctrl && !self.mods.alt => Some(c),
            _ => None,
        }
    }

    /// The key of a terminal event, or `None` for events a keymap never sees: key release and
    /// repeat, keys without a name here (caps lock, media keys, f13+), and keys held with
    /// super/hyper (no keymap can write them, so they must not fire a plain binding).
    pub fn from_event(event: &KeyEvent) -> Option<Key> {
        if event.kind != KeyEventKind::Press {
            return None;
        }
        let m = event.modifiers;
        if m.intersects(KeyModifiers::SUPER | KeyModifiers::HYPER) {
            return None;
        }
        let mods = Modifiers {
            ctrl: m.contains(KeyModifiers::CONTROL),
            alt: m.intersects(KeyModifiers::ALT | KeyModifiers::META),
            shift: m.contains(KeyModifiers::SHIFT),
        };
        let code = match event.code {
            TermCode::Char(c) if c.is_control() => return None,
            TermCode::Char(c) if mods.shift && !mods.ctrl => Code::Char(uppercase(c)),
            TermCode::Char(c) => Code::Char(c),
            TermCode::Backspace => Code::Backspace,
            TermCode::Enter => Code::Enter,
            TermCode::Left => Code::Left,
            TermCode::Right => Code::Right,
            TermCode::Up => Code::Up,
            TermCode::Down => Code::Down,
            TermCode::Home => Code::Home,
            TermCode::End => Code::End,
            TermCode::PageUp => Code::PageUp,
            TermCode::PageDown => Code::PageDown,
            TermCode::Tab => Code::Tab,
            TermCode::BackTab => Code::BackTab,
            TermCode::Delete => Code::Delete,
            TermCode::Insert => Code::Insert,
            TermCode::F(n @ 1..=12) => Code::F(n),
            TermCode::Esc => Code::Esc,
            _ => return None,
        };
        Some(Key::new(code, mods))
    }
}

/// Lowercase a character when that gives exactly one character (ASCII and most letters).
fn lowercase(c: char) -> char {
    single(c.to_lowercase()).unwrap_or(c)
}

fn uppercase(c: char) -> char {
    single(c.to_uppercase()).unwrap_or(c)
}

fn single(mut chars: impl Iterator<Item = char>) -> Option<char> {
    let first = chars.next()?;
    chars.next().is_none().then_some(first)
}

fn single_char(s: &str) -> Option<char> {
    single(s.chars())
}

impl FromStr for Key {
    type Err = KeyParseError;

    fn from_str(s: &str) -> Result<Key, KeyParseError> {
        if s.is_empty() {
            return Err(KeyParseError::Empty);
        }
        let (mods, rest) = split_modifiers(s)?;
        let code = parse_code(rest)?;
        if let Code::Char(c) = code {
            let unshifted = Modifiers {
                shift: false,
                ..mods
            };
            if mods.ctrl && (mods.shift || lowercase(c) != c) {
                return Err(KeyParseError::CtrlUppercase {
                    written: s.into(),
                    hint: Key::new(Code::Char(lowercase(c)), unshifted).to_string(),
                });
            }
            if mods.shift {
                return Err(shift_on_char(s, c, unshifted));
            }
        }
        Ok(Key::new(code, mods))
    }
}

/// Strip leading `ctrl-`/`alt-`/`shift-` words; returns the modifiers and the key part.
fn split_modifiers(s: &str) -> Result<(Modifiers, &str), KeyParseError> {
    let mut mods = Modifiers::NONE;
    let mut rest = s;
    while single_char(rest).is_none() {
        let Some((head, tail)) = rest.split_once('-') else {
            break;
        };
        let flag = match head {
            "ctrl" => &mut mods.ctrl,
            "alt" => &mut mods.alt,
            "shift" => &mut mods.shift,
            _ if is_alias(rest) => break,
            _ if !head.is_empty() && head.chars().all(char::is_alphabetic) => {
                return Err(KeyParseError::UnknownModifier(head.into()));
            }
            _ => break,
        };
        if tail.is_empty() {
            return Err(KeyParseError::MissingKey(s.into()));
        }
        if *flag {
            return Err(KeyParseError::DuplicateModifier(head.into()));
        }
        *flag = true;
        rest = tail;
    }
    Ok((mods, rest))
}

fn is_alias(s: &str) -> bool {
    ALIASES.iter().any(|(alias, _)| *alias == s)
}

fn parse_code(s: &str) -> Result<Code, KeyParseError> {
    if let Some(c) = single_char(s) {
        if c.is_control() {
            return Err(KeyParseError::ControlChar(c.into()));
        }
        return Ok(Code::Char(c));
    }
    if let Some((_, code)) = NAMED.iter().find(|(name, _)| *name == s) {
        return Ok(*code);
    }
    if let Some(n) = s.strip_prefix('f').and_then(|n| n.parse::<u32>().ok()) {
        return match n {
            1..=12 => Ok(Code::F(n as u8)),
            _ => Err(KeyParseError::FunctionRange(s.into())),
        };
    }
    let lower = s.to_lowercase();
    if let Some((_, name)) = ALIASES.iter().find(|(alias, _)| *alias == lower) {
        return Err(KeyParseError::Alias(s.into(), (*name).into()));
    }
    if lower != s && parse_code(&lower).is_ok() {
        return Err(KeyParseError::Alias(s.into(), lower));
    }
    Err(KeyParseError::Unknown(s.into()))
}

fn shift_on_char(written: &str, c: char, unshifted: Modifiers) -> KeyParseError {
    if c == ' ' {
        KeyParseError::ShiftSpace(written.into())
    } else if uppercase(c) != lowercase(c) {
        KeyParseError::ShiftLetter {
            written: written.into(),
            hint: Key::new(Code::Char(uppercase(c)), unshifted).to_string(),
        }
    } else {
        KeyParseError::ShiftChar(written.into())
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.ctrl {
            f.write_str("ctrl-")?;
        }
        if self.mods.alt {
            f.write_str("alt-")?;
        }
        if self.mods.shift {
            f.write_str("shift-")?;
        }
        match self.code {
            Code::Char(' ') => f.write_str("space"),
            Code::Char(c) => write!(f, "{c}"),
            Code::BackTab => f.write_str("shift-tab"),
            Code::F(n) => write!(f, "f{n}"),
            code => {
                let name = NAMED
                    .iter()
                    .find(|(_, c)| *c == code)
                    .map(|(name, _)| *name)
                    .expect("every named code has a name");
                f.write_str(name)
            }
        }
    }
}

/// A sequence of keys pressed one after another, as in `g g`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeySeq(pub Vec<Key>);

impl KeySeq {
    pub fn keys(&self) -> &[Key] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// True when `self` is a proper prefix of `other` (`g` of `g g`).
    pub fn is_strict_prefix_of(&self, other: &KeySeq) -> bool {
        self.len() < other.len() && other.0.starts_with(&self.0)
    }
}

impl From<Key> for KeySeq {
    fn from(key: Key) -> KeySeq {
        KeySeq(vec![key])
    }
}

impl FromStr for KeySeq {
    type Err = KeyParseError;

    fn from_str(s: &str) -> Result<KeySeq, KeyParseError> {
        if s.is_empty() {
            return Err(KeyParseError::Empty);
        }
        if s == " " {
            return Ok(KeySeq(vec![Key::char(' ')]));
        }
        s.split(' ')
            .map(|part| match part {
                "" => Err(KeyParseError::EmptyInSequence(s.into())),
                _ => part.parse(),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(KeySeq)
    }
}

impl fmt::Display for KeySeq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, key) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{key}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyEventState;

    fn key(s: &str) -> Key {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn parses_characters_and_named_keys() {
        assert_eq!(key("q"), Key::char('q'));
        assert_eq!(key("G"), Key::char('G'));
        assert_eq!(key("?"), Key::char('?'));
        assert_eq!(key("ä"), Key::char('ä'));
        assert_eq!(key("-"), Key::char('-'));
        assert_eq!(key("ctrl--"), Key::ctrl('-'));
        assert_eq!(key("ctrl-c"), Key::ctrl('c'));
        assert_eq!(key("alt-<"), Key::alt('<'));
        assert_eq!(key("alt-A"), Key::alt('A'));
        assert_eq!(key("space"), Key::char(' '));
        assert_eq!(key("enter"), Key::plain(Code::Enter));
        assert_eq!(key("f12"), Key::plain(Code::F(12)));
        assert_eq!(
            key("alt-ctrl-x"),
            Key::new(
                Code::Char('x'),
                Modifiers {
                    ctrl: true,
                    alt: true,
                    shift: false
                }
            )
        );
        assert_eq!(
            key("shift-up"),
            Key::new(Code::Up, Modifiers::SHIFT),
            "shift stays on named keys"
        );
    }

    #[test]
    fn two_spellings_of_one_key_are_equal() {
        assert_eq!(key("shift-tab"), key("backtab"));
        assert_eq!(key("shift-backtab"), key("backtab"));
        assert_eq!(" ".parse::<KeySeq>(), "space".parse::<KeySeq>());
    }

    #[test]
    fn display_is_canonical_and_round_trips() {
        let cases = [
            ("q", "q"),
            ("G", "G"),
            ("backtab", "shift-tab"),
            ("alt-ctrl-x", "ctrl-alt-x"),
            ("shift-ctrl-tab", "ctrl-shift-tab"),
            ("ctrl-space", "ctrl-space"),
            ("ctrl--", "ctrl--"),
            ("pagedown", "pagedown"),
            ("f1", "f1"),
            ("shift-alt-f5", "alt-shift-f5"),
            ("ä", "ä"),
        ];
        for (written, canonical) in cases {
            let k = key(written);
            assert_eq!(k.to_string(), canonical, "{written}");
            assert_eq!(key(canonical), k, "{canonical} parses back");
        }
        let seq: KeySeq = "g g".parse().unwrap();
        assert_eq!(seq.to_string(), "g g");
        assert_eq!(seq.len(), 2);
        let seq: KeySeq = "ctrl-x space".parse().unwrap();
        assert_eq!(seq.0, vec![Key::ctrl('x'), Key::char(' ')]);
        assert_eq!(seq.to_string().parse::<KeySeq>().unwrap(), seq);
    }

    #[test]
    fn rejects_with_clear_errors() {
        let err = |s: &str| s.parse::<KeySeq>().unwrap_err().to_string();
        assert_eq!(
            err("shift-a"),
            "`shift-a`: shift is part of the character, write `A`"
        );
        assert!(err("shift-1").contains("write the shifted character"));
        assert_eq!(
            err("ctrl-A"),
            "`ctrl-A`: terminals send ctrl with the plain letter, write `ctrl-a`"
        );
        assert_eq!(
            err("alt-shift-a"),
            "`alt-shift-a`: shift is part of the character, write `alt-A`"
        );
        assert_eq!(
            err("ctrl-shift-a"),
            "`ctrl-shift-a`: terminals send ctrl with the plain letter, write `ctrl-a`"
        );
        assert_eq!(
            err("ctrl-alt-X"),
            "`ctrl-alt-X`: terminals send ctrl with the plain letter, write `ctrl-alt-x`"
        );
        assert_eq!(
            err("super-x"),
            "unknown modifier `super` (modifiers are ctrl-, alt- and shift-)"
        );
        assert_eq!(
            err("C-x"),
            "unknown modifier `C` (modifiers are ctrl-, alt- and shift-)"
        );
        assert_eq!(err("ctrl-ctrl-x"), "modifier `ctrl` is given twice");
        assert_eq!(err("ctrl-"), "`ctrl-` needs a key after it");
        assert_eq!(err("Enter"), "unknown key `Enter`, did you mean `enter`?");
        assert_eq!(
            err("pgdown"),
            "unknown key `pgdown`, did you mean `pagedown`?"
        );
        assert_eq!(err("f13"), "function key `f13` does not exist (f1..f12)");
        assert_eq!(err("f0"), "function key `f0` does not exist (f1..f12)");
        assert!(err("foo").starts_with("unknown key `foo` (named keys: enter esc"));
        assert!(err("g  g").starts_with("empty key in `g  g`"));
        assert!(err(" g").starts_with("empty key"));
        assert_eq!(err(""), "empty key string");
        assert!(err("\t").starts_with("control character U+0009"));
        assert_eq!(
            err("shift-space"),
            "`shift-space`: terminals send shift with space as a plain space, write `space`"
        );
        assert_eq!(
            err("shift-ä"),
            "`shift-ä`: shift is part of the character, write `Ä`"
        );
    }

    fn event(code: TermCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn from_event_normalises() {
        let cases = [
            (event(TermCode::Char('j'), KeyModifiers::NONE), "j"),
            (event(TermCode::Char('G'), KeyModifiers::SHIFT), "G"),
            // kitty protocol may report the base letter with shift
            (event(TermCode::Char('g'), KeyModifiers::SHIFT), "G"),
            (event(TermCode::Char('C'), KeyModifiers::CONTROL), "ctrl-c"),
            (
                event(
                    TermCode::Char('C'),
                    KeyModifiers::CONTROL | KeyModifiers::SHIFT,
                ),
                "ctrl-c",
            ),
            (event(TermCode::Char('<'), KeyModifiers::ALT), "alt-<"),
            (event(TermCode::Char('?'), KeyModifiers::SHIFT), "?"),
            (event(TermCode::Char(' '), KeyModifiers::NONE), "space"),
            (event(TermCode::BackTab, KeyModifiers::SHIFT), "shift-tab"),
            (event(TermCode::Tab, KeyModifiers::SHIFT), "shift-tab"),
            (event(TermCode::Up, KeyModifiers::SHIFT), "shift-up"),
            (event(TermCode::F(5), KeyModifiers::NONE), "f5"),
            (event(TermCode::Char('x'), KeyModifiers::META), "alt-x"),
        ];
        for (ev, expected) in cases {
            let got = Key::from_event(&ev).unwrap_or_else(|| panic!("{ev:?} ignored"));
            assert_eq!(got, key(expected), "{ev:?}");
        }
    }

    #[test]
    fn from_event_ignores_release_repeat_and_unnamed_keys() {
        let mut release = event(TermCode::Char('j'), KeyModifiers::NONE);
        release.kind = KeyEventKind::Release;
        assert_eq!(Key::from_event(&release), None);
        let repeat = KeyEvent {
            code: TermCode::Char('j'),
            modifiers: KeyModifiers::NONE,
            kind: KeyEventKind::Repeat,
            state: KeyEventState::NONE,
        };
        assert_eq!(Key::from_event(&repeat), None);
        assert_eq!(
            Key::from_event(&event(TermCode::CapsLock, KeyModifiers::NONE)),
            None
        );
        assert_eq!(
            Key::from_event(&event(TermCode::F(13), KeyModifiers::NONE)),
            None
        );
        assert_eq!(
            Key::from_event(&event(TermCode::Char('q'), KeyModifiers::SUPER)),
            None,
            "super-q must not fire q"
        );
    }

    #[test]
    fn text_char_only_for_plain_characters() {
        assert_eq!(key("A").text_char(), Some('A'));
        assert_eq!(key("space").text_char(), Some(' '));
        assert_eq!(key("ctrl-w").text_char(), None);
        assert_eq!(key("alt-x").text_char(), None);
        assert_eq!(key("enter").text_char(), None);
    }

    #[test]
    fn strict_prefix() {
        let g: KeySeq = "g".parse().unwrap();
        let gg: KeySeq = "g g".parse().unwrap();
        assert!(g.is_strict_prefix_of(&gg));
        assert!(!gg.is_strict_prefix_of(&g));
        assert!(!gg.is_strict_prefix_of(&gg));
    }
}
