//! The bytes of the terminal channels: BEL, OSC 777 and OSC 9, wrapped in tmux's
//! passthrough when nightdesk runs inside tmux. Payloads are made inert first: no control
//! character (ESC, BEL, C1 controls such as ST) and no `;` can end the sequence early or
//! start another one.

use super::Notification;
use super::rule::Channel;

/// Longest title in an OSC payload, in terminal cells.
pub const MAX_TITLE: usize = 80;
/// Longest body in an OSC payload, in terminal cells.
pub const MAX_BODY: usize = 200;

const ESC: u8 = 0x1b;
/// String terminator `ESC \`.
const ST: &[u8] = b"\x1b\\";

/// Where the bytes go: straight to the terminal, or through tmux.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TerminalKind {
    /// Inside tmux (`$TMUX` set): OSC sequences are wrapped in `ESC Ptmux; … ESC \`, which
    /// tmux forwards to the outer terminal when `allow-passthrough` is on.
    pub tmux: bool,
}

impl TerminalKind {
    /// From the process environment.
    pub fn from_env() -> TerminalKind {
        TerminalKind {
            tmux: std::env::var_os("TMUX").is_some_and(|v| !v.is_empty()),
        }
    }
}

/// Text made safe for an OSC payload: control characters become visible symbols (as in the
/// queue), `;` becomes `,`, and the text is cut to `max` cells.
pub fn payload(text: &str, max: usize) -> String {
    let safe = crate::text::sanitize(text).replace(';', ",");
    crate::text::truncate(safe.trim(), max).into_owned()
}

/// `ESC ] 777 ; notify ; TITLE ; BODY ESC \`.
pub fn osc777(title: &str, body: &str) -> Vec<u8> {
    let mut out = b"\x1b]777;notify;".to_vec();
    out.extend_from_slice(payload(title, MAX_TITLE).as_bytes());
    out.push(b';');
    out.extend_from_slice(payload(body, MAX_BODY).as_bytes());
    out.extend_from_slice(ST);
    out
}

/// `ESC ] 9 ; TEXT ESC \` with title and body in one line.
pub fn osc9(title: &str, body: &str) -> Vec<u8> {
    let mut out = b"\x1b]9;".to_vec();
    let text = format!("{}: {}", payload(title, MAX_TITLE), payload(body, MAX_BODY));
    out.extend_from_slice(text.as_bytes());
    out.extend_from_slice(ST);
    out
}

/// `ESC Ptmux; SEQ ESC \` with every ESC inside doubled, as tmux's passthrough wants.
pub fn tmux_wrap(sequence: &[u8]) -> Vec<u8> {
    let mut out = b"\x1bPtmux;".to_vec();
    for &b in sequence {
        if b == ESC {
            out.push(ESC);
        }
        out.push(b);
    }
    out.extend_from_slice(ST);
    out
}

/// Every terminal channel of `n`, in a fixed order (OSC 777, OSC 9, then the bell). The bell
/// is never wrapped: tmux handles bells itself (`monitor-bell`, `bell-action`) and passes
/// them on to the outer terminal.
pub fn encode(n: &Notification, kind: TerminalKind) -> Vec<u8> {
    let mut out = Vec::new();
    let wrap = |seq: Vec<u8>| if kind.tmux { tmux_wrap(&seq) } else { seq };
    if n.channels.contains(&Channel::Osc777) {
        out.extend(wrap(osc777(&n.title, &n.body)));
    }
    if n.channels.contains(&Channel::Osc9) {
        out.extend(wrap(osc9(&n.title, &n.body)));
    }
    if n.channels.contains(&Channel::Bell) {
        out.push(0x07);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(channels: &[Channel], title: &str, body: &str) -> Notification {
        Notification {
            rules: vec!["r".into()],
            item: None,
            title: title.into(),
            body: body.into(),
            channels: channels.to_vec(),
        }
    }

    #[test]
    fn osc777_has_the_documented_shape() {
        assert_eq!(
            osc777("New P1 alert at Hansa", "Host down: fw-01"),
            b"\x1b]777;notify;New P1 alert at Hansa;Host down: fw-01\x1b\\"
        );
    }

    #[test]
    fn osc9_carries_title_and_body_in_one_text() {
        assert_eq!(
            osc9("SLA breached", "P1 Hansa: Host down"),
            b"\x1b]9;SLA breached: P1 Hansa: Host down\x1b\\"
        );
    }

    #[test]
    fn hostile_text_cannot_leave_the_sequence() {
        let hostile = "a;b\x1b\\\x1b]52;c;ZXZpbA==\x07c\u{9c}d\ne";
        let bytes = osc777(hostile, hostile);
        let inner = &bytes[b"\x1b]777;notify;".len()..bytes.len() - 2];
        assert!(!inner.contains(&0x1b), "no ESC inside: {inner:?}");
        assert!(!inner.contains(&0x07), "no BEL inside");
        let text = String::from_utf8(inner.to_vec()).unwrap();
        assert!(!text.chars().any(char::is_control), "{text:?}");
        assert_eq!(text.matches(';').count(), 1, "only the separator: {text:?}");
        assert!(text.starts_with("a,b␛\\␛]52,c,ZXZpbA==␇c"), "{text:?}");
    }

    #[test]
    fn long_text_is_cut() {
        let long = "x".repeat(1000);
        let p = payload(&long, MAX_BODY);
        assert_eq!(crate::text::width(&p), MAX_BODY);
        assert!(p.ends_with('…'));
    }

    #[test]
    fn tmux_passthrough_doubles_the_inner_escapes() {
        assert_eq!(
            tmux_wrap(b"\x1b]9;hi\x1b\\"),
            b"\x1bPtmux;\x1b\x1b]9;hi\x1b\x1b\\\x1b\\"
        );
    }

    #[test]
    fn encode_writes_each_channel_and_leaves_the_bell_unwrapped() {
        let n = note(
            &[Channel::Bell, Channel::Osc777, Channel::Desktop],
            "T",
            "B",
        );
        assert_eq!(
            encode(&n, TerminalKind { tmux: false }),
            b"\x1b]777;notify;T;B\x1b\\\x07"
        );
        assert_eq!(
            encode(&n, TerminalKind { tmux: true }),
            b"\x1bPtmux;\x1b\x1b]777;notify;T;B\x1b\x1b\\\x1b\\\x07"
        );
        let desktop_only = note(&[Channel::Desktop], "T", "B");
        assert!(encode(&desktop_only, TerminalKind::default()).is_empty());
    }
}
