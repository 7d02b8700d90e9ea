//! OSC 52: asks the terminal to put text on the local clipboard (`ESC ] 52 ; c ; <base64>
//! BEL`). It travels with the output, so it works over SSH and jump hosts. Inside tmux the
//! sequence reaches the outer terminal when tmux has `set -g set-clipboard on`; the same
//! sequence is also sent wrapped for tmux's passthrough (`allow-passthrough on`).

/// The bytes to write for `text`; `in_tmux` adds the passthrough-wrapped copy.
pub fn sequence(text: &str, in_tmux: bool) -> Vec<u8> {
    let plain = format!("\x1b]52;c;{}\x07", base64(text.as_bytes()));
    let mut out = plain.clone().into_bytes();
    if in_tmux {
        // DCS tmux; <sequence with every ESC doubled> ST
        out.extend_from_slice(b"\x1bPtmux;");
        out.extend_from_slice(plain.replace('\x1b', "\x1b\x1b").as_bytes());
        out.extend_from_slice(b"\x1b\\");
    }
    out
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding (RFC 4648 §4).
pub fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_rfc_vectors() {
        let vectors = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, encoded) in vectors {
            assert_eq!(base64(plain.as_bytes()), encoded, "{plain}");
        }
        assert_eq!(
            base64("ssh admin@10.1.2.3".as_bytes()),
            "c3NoIGFkbWluQDEwLjEuMi4z"
        );
        assert_eq!(base64(&[0xff, 0xfe, 0x00]), "//4A");
    }

    #[test]
    fn the_sequence_and_its_tmux_wrapping() {
        assert_eq!(sequence("foo", false), b"\x1b]52;c;Zm9v\x07");
        assert_eq!(
            sequence("foo", true),
            b"\x1b]52;c;Zm9v\x07\x1bPtmux;\x1b\x1b]52;c;Zm9v\x07\x1b\\"
        );
    }
}
