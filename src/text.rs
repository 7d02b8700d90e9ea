//! Making text from sources safe to display: control characters and escape sequences are
//! shown as inert symbols, never passed to the terminal; and width-aware truncation.

use std::borrow::Cow;

use unicode_width::UnicodeWidthChar;

/// Returns `s` with every control character replaced by a visible, harmless symbol:
/// C0 controls by their Unicode "control picture" (ESC shows as `␛`, BEL as `␇`), DEL as
/// `␡`, C1 controls and bidirectional overrides as `�`. Newlines and tabs become spaces, so
/// one item stays one row. Borrowed when nothing needs replacing (the common case).
pub fn sanitize(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_replacing) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(s.chars().map(replacement).collect())
}

fn needs_replacing(c: char) -> bool {
    c.is_control() || is_bidi_control(c)
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

fn replacement(c: char) -> char {
    match c {
        '\n' | '\r' | '\t' => ' ',
        '\u{7f}' => '\u{2421}',
        c if (c as u32) < 0x20 => char::from_u32(0x2400 + c as u32).unwrap_or('\u{fffd}'),
        c if needs_replacing(c) => '\u{fffd}',
        c => c,
    }
}

/// Display width of `s` in terminal cells (after sanitising, every char has a width).
pub fn width(s: &str) -> usize {
    s.chars().map(|c| c.width().unwrap_or(0)).sum()
}

/// Cuts `s` to at most `max` cells, ending in `…` when something was cut.
pub fn truncate(s: &str, max: usize) -> Cow<'_, str> {
    if width(s) <= max {
        return Cow::Borrowed(s);
    }
    if max == 0 {
        return Cow::Borrowed("");
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > max - 1 {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_become_inert() {
        let hostile = "Drucker \x1b[31mROT\x1b[0m\x07 \x1b]52;c;ZXZpbA==\x07 ok";
        let safe = sanitize(hostile);
        assert!(!safe.chars().any(|c| c.is_control()), "{safe:?}");
        assert!(safe.contains("␛[31mROT"));
        assert!(safe.contains('␇'));
    }

    #[test]
    fn c1_controls_bidi_and_newlines() {
        let s = "a\u{9b}31mb\u{202e}c\nd\te\u{7f}";
        assert_eq!(sanitize(s), "a\u{fffd}31mb\u{fffd}c d e\u{2421}");
    }

    #[test]
    fn clean_text_is_borrowed() {
        assert!(matches!(sanitize("Müller GmbH"), Cow::Borrowed(_)));
    }

    #[test]
    fn truncation_respects_wide_chars() {
        assert_eq!(truncate("Müller GmbH", 20), "Müller GmbH");
        assert_eq!(truncate("Müller GmbH", 6), "Mülle…");
        assert_eq!(truncate("日本語テキスト", 5), "日本…");
        assert_eq!(width(&truncate("日本語テキスト", 5)), 5);
    }
}
