//! The filter language: structured terms (`t:`, `p:`, `k:`, `h:`, `s:`, `a:`, `sla<`), their
//! negation with a leading `-`, quoted phrases, and everything else as fuzzy words.
//!
//! All text is folded ([`super::haystack::fold`]) so it compares with the folded haystacks.
//! A term whose value is still empty (`p:` while typing) is ignored rather than an error.

use std::fmt;
use std::ops::Range;

use jiff::SignedDuration;

use super::haystack::fold;
use crate::model::{Kind, Priority, StatusCategory};

/// A parsed filter. Terms and fuzzy words must all match.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Query {
    pub terms: Vec<Term>,
    /// Fuzzy words (folded): each must be an ordered subsequence of the haystack.
    pub words: Vec<Box<str>>,
    /// Quoted phrases (folded): each must occur in the haystack as written.
    pub phrases: Vec<Box<str>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Term {
    pub negated: bool,
    pub test: Test,
}

/// One structured condition.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Test {
    /// Folded substring of the tenant id or display name.
    Tenant(Box<str>),
    Priority(PrioritySet),
    Kind(KindSet),
    /// Folded substring of the host name.
    Host(Box<str>),
    /// Folded substring of the assignee's name (`a:` with nothing after it: no assignee is
    /// not expressible; use `-a:` with a name).
    Assignee(Box<str>),
    Status(StatusTest),
    Sla(SlaBound),
}

/// A set of priorities (bit `i` = `Priority::ALL[i]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PrioritySet(pub u8);

impl PrioritySet {
    pub fn contains(self, p: Priority) -> bool {
        self.0 & (1 << p.index()) != 0
    }

    fn is_subset_of(self, other: PrioritySet) -> bool {
        self.0 & !other.0 == 0
    }
}

/// A set of kinds (bit `i` = `Kind::ALL[i]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KindSet(pub u8);

impl KindSet {
    pub fn contains(self, k: Kind) -> bool {
        self.0 & (1 << k as u8) != 0
    }

    fn is_subset_of(self, other: KindSet) -> bool {
        self.0 & !other.0 == 0
    }
}

/// `s:` matches the status category when the value names one, or the label by substring.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct StatusTest {
    pub category: Option<StatusCategory>,
    /// Folded substring of the source's status label.
    pub label: Box<str>,
}

/// `sla<30m` / `sla>2h`: wall time left on the nearest running unmet clock. Breached items
/// count as below any bound; items without a running clock match neither.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SlaBound {
    pub below: bool,
    pub limit: SignedDuration,
}

/// What was wrong with a filter term.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParseErrorKind {
    /// Not a priority 1–4 (`p:9`).
    BadPriority,
    /// Not a prefix of ticket/alert/backup (`k:x`).
    UnknownKind,
    /// Not a duration like `30m`, `2h`, `1h30m`, `45s`, `1d` (`sla<xyz`).
    BadDuration,
}

/// A filter that cannot be applied; the UI shows it and keeps the last good result.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ParseError {
    pub kind: ParseErrorKind,
    /// The offending term as typed.
    pub term: String,
    /// Byte range of the term in the query text.
    pub span: Range<usize>,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            ParseErrorKind::BadPriority => "priority must be 1 to 4",
            ParseErrorKind::UnknownKind => "kind must be ticket, alert or backup",
            ParseErrorKind::BadDuration => "duration must look like 30m, 2h or 1h30m",
        };
        write!(f, "{}: {what}", self.term)
    }
}

/// Parse a filter string.
pub fn parse(text: &str) -> Result<Query, ParseError> {
    let mut query = Query::default();
    for token in tokens(text) {
        let raw = &text[token.span.clone()];
        if token.quoted_start {
            push_nonempty(&mut query.phrases, fold(&token.value));
            continue;
        }
        let (negated, body) = match raw.strip_prefix('-') {
            Some(rest) if !rest.is_empty() => (true, &token.value[1..]),
            _ => (false, token.value.as_str()),
        };
        match structured(body) {
            Some(Ok(Some(test))) => query.terms.push(Term { negated, test }),
            Some(Ok(None)) => {}
            Some(Err(kind)) => {
                return Err(ParseError {
                    kind,
                    term: raw.to_string(),
                    span: token.span,
                });
            }
            None => push_nonempty(&mut query.words, fold(&token.value)),
        }
    }
    Ok(query)
}

fn push_nonempty(list: &mut Vec<Box<str>>, s: String) {
    if !s.is_empty() {
        list.push(s.into_boxed_str());
    }
}

struct Token {
    span: Range<usize>,
    /// The token with quote characters removed.
    value: String,
    quoted_start: bool,
}

/// Split on whitespace outside double quotes. An unclosed quote runs to the end.
fn tokens(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut current: Option<Token> = None;
    let mut in_quote = false;
    for (pos, ch) in text.char_indices() {
        if ch.is_whitespace() && !in_quote {
            out.extend(current.take());
            continue;
        }
        let token = current.get_or_insert_with(|| Token {
            span: pos..pos,
            value: String::new(),
            quoted_start: ch == '"',
        });
        token.span.end = pos + ch.len_utf8();
        if ch == '"' {
            in_quote = !in_quote;
        } else {
            token.value.push(ch);
        }
    }
    out.extend(current);
    out
}

/// `None`: not a structured term. `Some(Ok(None))`: a structured term without value yet.
fn structured(body: &str) -> Option<Result<Option<Test>, ParseErrorKind>> {
    const KEYS: [&str; 14] = [
        "sla<=", "sla>=", "sla<", "sla>", "p<=", "p>=", "p<", "p>", "t:", "p:", "k:", "h:", "s:",
        "a:",
    ];
    let key = KEYS.into_iter().find(|k| {
        body.len() >= k.len()
            && body.is_char_boundary(k.len())
            && body[..k.len()].eq_ignore_ascii_case(k)
    })?;
    let value = body[key.len()..].trim();
    if value.is_empty() {
        return Some(Ok(None));
    }
    match term_value(key, value) {
        // `p:,` while typing a list: nothing chosen yet.
        Ok(Test::Priority(PrioritySet(0))) if key == "p:" => Some(Ok(None)),
        other => Some(other.map(Some)),
    }
}

fn term_value(key: &str, value: &str) -> Result<Test, ParseErrorKind> {
    Ok(match key {
        "t:" => Test::Tenant(fold(value).into()),
        "h:" => Test::Host(fold(value).into()),
        "a:" => Test::Assignee(fold(value).into()),
        "k:" => Test::Kind(kinds(value)?),
        "s:" => Test::Status(status(value)),
        "p:" => Test::Priority(priority_list(value)?),
        "p<=" | "p<" | "p>=" | "p>" => Test::Priority(priority_range(key, value)?),
        _ => Test::Sla(SlaBound {
            below: key.contains('<'),
            limit: duration(value)?,
        }),
    })
}

fn kinds(value: &str) -> Result<KindSet, ParseErrorKind> {
    let value = value.to_ascii_lowercase();
    let set = Kind::ALL
        .iter()
        .filter(|k| k.name().starts_with(&value))
        .fold(0, |m, k| m | 1 << *k as u8);
    if set == 0 {
        return Err(ParseErrorKind::UnknownKind);
    }
    Ok(KindSet(set))
}

fn status(value: &str) -> StatusTest {
    let label = fold(value);
    let category = match label.as_str() {
        "new" => Some(StatusCategory::New),
        "acknowledged" => Some(StatusCategory::Acknowledged),
        "waiting" => Some(StatusCategory::Waiting),
        "resolved" => Some(StatusCategory::Resolved),
        _ => None,
    };
    StatusTest {
        category,
        label: label.into(),
    }
}

fn priority_list(value: &str) -> Result<PrioritySet, ParseErrorKind> {
    let mut set = 0;
    for part in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let p = Priority::parse(part).ok_or(ParseErrorKind::BadPriority)?;
        set |= 1 << p.index();
    }
    Ok(PrioritySet(set))
}

fn priority_range(key: &str, value: &str) -> Result<PrioritySet, ParseErrorKind> {
    let bound = Priority::parse(value).ok_or(ParseErrorKind::BadPriority)?;
    let keep = |p: Priority| match key {
        "p<=" => p <= bound,
        "p<" => p < bound,
        "p>=" => p >= bound,
        _ => p > bound,
    };
    let set = Priority::ALL
        .into_iter()
        .filter(|p| keep(*p))
        .fold(0, |m, p| m | 1 << p.index());
    Ok(PrioritySet(set))
}

/// `30m`, `2h`, `1h30m`, `45s`, `1d`; a bare number means minutes.
fn duration(value: &str) -> Result<SignedDuration, ParseErrorKind> {
    let bad = ParseErrorKind::BadDuration;
    let mut secs: i64 = 0;
    let mut rest = value.trim();
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(bad);
        }
        let n: i64 = rest[..digits].parse().map_err(|_| bad)?;
        rest = &rest[digits..];
        let unit = match rest.bytes().next() {
            None => 60,
            Some(b'd' | b'D') => 86_400,
            Some(b'h' | b'H') => 3_600,
            Some(b'm' | b'M') => 60,
            Some(b's' | b'S') => 1,
            Some(_) => return Err(bad),
        };
        rest = rest.get(1..).unwrap_or("");
        secs = n
            .checked_mul(unit)
            .and_then(|s| s.checked_add(secs))
            .ok_or(bad)?;
    }
    Ok(SignedDuration::from_secs(secs))
}

impl Query {
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty() && self.words.is_empty() && self.phrases.is_empty()
    }

    /// True when the result changes with time alone (`sla<` / `sla>` terms).
    pub fn depends_on_time(&self) -> bool {
        self.terms.iter().any(Term::depends_on_time)
    }

    pub fn has_text(&self) -> bool {
        !self.words.is_empty() || !self.phrases.is_empty()
    }

    /// The part whose result can be cached, and the terms that must be re-checked as time
    /// passes.
    pub(crate) fn split_time(&self) -> (Query, Vec<Term>) {
        let (time, stable): (Vec<Term>, Vec<Term>) =
            self.terms.iter().cloned().partition(Term::depends_on_time);
        let stable = Query {
            terms: stable,
            words: self.words.clone(),
            phrases: self.phrases.clone(),
        };
        (stable, time)
    }

    /// True when every item this query matches is also matched by `broader`, judged from
    /// the text of the two queries; then `broader`'s matches are enough candidates.
    pub(crate) fn narrows(&self, broader: &Query) -> bool {
        let terms = broader
            .terms
            .iter()
            .all(|b| self.terms.iter().any(|t| t.implies(b)));
        let words = broader.words.iter().all(|b| {
            self.words
                .iter()
                .chain(&self.phrases)
                .any(|w| is_subsequence(b.as_bytes(), w.as_bytes()))
        });
        let phrases = broader
            .phrases
            .iter()
            .all(|b| self.phrases.iter().any(|p| p.contains(&**b)));
        terms && words && phrases
    }
}

impl Term {
    fn depends_on_time(&self) -> bool {
        matches!(self.test, Test::Sla(_))
    }

    /// Every item that passes `self` also passes `other`.
    fn implies(&self, other: &Term) -> bool {
        if self == other {
            return true;
        }
        if self.negated != other.negated {
            return false;
        }
        let positive = !self.negated;
        match (&self.test, &other.test) {
            (Test::Tenant(a), Test::Tenant(b))
            | (Test::Host(a), Test::Host(b))
            | (Test::Assignee(a), Test::Assignee(b)) => positive && a.contains(&**b),
            (Test::Priority(a), Test::Priority(b)) if positive => a.is_subset_of(*b),
            (Test::Priority(a), Test::Priority(b)) => b.is_subset_of(*a),
            (Test::Kind(a), Test::Kind(b)) if positive => a.is_subset_of(*b),
            (Test::Kind(a), Test::Kind(b)) => b.is_subset_of(*a),
            _ => false,
        }
    }
}

/// `needle`'s bytes appear in `hay` in order.
pub(crate) fn is_subsequence(needle: &[u8], hay: &[u8]) -> bool {
    let mut rest = hay.iter();
    needle.iter().all(|n| rest.any(|h| h == n))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn term(text: &str) -> Term {
        let q = parse(text).unwrap();
        assert_eq!(q.terms.len(), 1, "{text}: {q:?}");
        q.terms[0].clone()
    }

    fn err(text: &str) -> ParseError {
        parse(text).unwrap_err()
    }

    #[test]
    fn tenant_host_and_status_terms_are_folded() {
        assert_eq!(term("t:Müller").test, Test::Tenant("mueller".into()));
        assert_eq!(term("H:SRV-DB").test, Test::Host("srv-db".into()));
        let s = term("s:Waiting");
        assert_eq!(
            s.test,
            Test::Status(StatusTest {
                category: Some(StatusCategory::Waiting),
                label: "waiting".into()
            })
        );
        let s = term("s:warten");
        assert_eq!(
            s.test,
            Test::Status(StatusTest {
                category: None,
                label: "warten".into()
            })
        );
    }

    #[test]
    fn priority_forms() {
        let set = |t: &str| match term(t).test {
            Test::Priority(s) => s.0,
            other => panic!("{other:?}"),
        };
        assert_eq!(set("p:1"), 0b0001);
        assert_eq!(set("p:1,2"), 0b0011);
        assert_eq!(set("p:P3"), 0b0100);
        assert_eq!(set("p<=2"), 0b0011);
        assert_eq!(set("p<2"), 0b0001);
        assert_eq!(set("p>=3"), 0b1100);
        assert_eq!(set("p>3"), 0b1000);
        assert_eq!(set("p:1,"), 0b0001);
    }

    #[test]
    fn kind_prefixes() {
        assert_eq!(
            term("k:alert").test,
            Test::Kind(KindSet(1 << Kind::Alert as u8))
        );
        assert_eq!(
            term("k:b").test,
            Test::Kind(KindSet(1 << Kind::Backup as u8))
        );
        assert_eq!(
            term("k:TICK").test,
            Test::Kind(KindSet(1 << Kind::Ticket as u8))
        );
    }

    #[test]
    fn sla_bounds() {
        let b = |t: &str| match term(t).test {
            Test::Sla(b) => (b.below, b.limit.as_secs()),
            other => panic!("{other:?}"),
        };
        assert_eq!(b("sla<30m"), (true, 1800));
        assert_eq!(b("sla>2h"), (false, 7200));
        assert_eq!(b("sla<1h30m"), (true, 5400));
        assert_eq!(b("SLA<=45s"), (true, 45));
        assert_eq!(b("sla>1d"), (false, 86_400));
        assert_eq!(b("sla<15"), (true, 900));
    }

    #[test]
    fn negation_applies_to_every_structured_term() {
        for text in [
            "-t:x", "-p:1", "-p<=2", "-k:alert", "-h:db", "-s:new", "-sla<5m",
        ] {
            let t = term(text);
            assert!(t.negated, "{text}");
        }
        assert!(!term("t:x").negated);
    }

    #[test]
    fn errors_name_the_term_and_its_place() {
        let e = err("db p:9");
        assert_eq!(e.kind, ParseErrorKind::BadPriority);
        assert_eq!(e.term, "p:9");
        assert_eq!(e.span, 3..6);
        assert_eq!(err("p:1,9").kind, ParseErrorKind::BadPriority);
        assert_eq!(err("p<=7").kind, ParseErrorKind::BadPriority);
        assert_eq!(err("sla<xyz").kind, ParseErrorKind::BadDuration);
        assert_eq!(err("sla>2x").kind, ParseErrorKind::BadDuration);
        assert_eq!(err("-k:zebra").kind, ParseErrorKind::UnknownKind);
        assert!(err("sla<xyz").to_string().contains("sla<xyz"));
    }

    #[test]
    fn empty_values_are_ignored_while_typing() {
        for text in ["p:", "t:", "-h:", "sla<", "k:", "s: "] {
            let q = parse(text).unwrap();
            assert!(q.is_empty(), "{text}: {q:?}");
        }
    }

    #[test]
    fn words_phrases_and_quoted_values() {
        let q = parse(r#"Müller-DB "disk full" t:"autohaus könig" x:y"#).unwrap();
        assert_eq!(q.words, vec!["mueller-db".into(), "x:y".into()]);
        assert_eq!(q.phrases, vec!["disk full".into()]);
        assert_eq!(q.terms[0].test, Test::Tenant("autohaus koenig".into()));
        let open = parse(r#""sql nigh"#).unwrap();
        assert_eq!(open.phrases, vec!["sql nigh".into()]);
        let dash = parse("-").unwrap();
        assert_eq!(dash.words, vec!["-".into()]);
    }

    #[test]
    fn time_terms_split_off() {
        let q = parse("db sla<30m p:1").unwrap();
        assert!(q.depends_on_time());
        let (stable, time) = q.split_time();
        assert!(!stable.depends_on_time());
        assert_eq!(stable.terms.len(), 1);
        assert_eq!(time.len(), 1);
    }

    #[test]
    fn narrowing_is_judged_from_the_text() {
        let n = |a: &str, b: &str| parse(a).unwrap().narrows(&parse(b).unwrap());
        assert!(n("muel", "mu"));
        assert!(n("mueller db", "mueller"));
        assert!(n("mxu", "mu"));
        assert!(!n("mu", "muel"));
        assert!(n("mu p:1", "mu"));
        assert!(n("p:1", "p:1,2"));
        assert!(!n("p:1,2", "p:1"));
        assert!(n("-p:1,2", "-p:1"));
        assert!(n("t:muel", "t:mu"));
        assert!(!n("-t:muel", "-t:mu"));
        assert!(n(r#""disk full""#, "dsk"));
        assert!(n(r#""disk full""#, r#""disk""#));
        assert!(!n("disk", r#""disk""#));
        assert!(n("anything", ""));
    }

    #[test]
    fn subsequence() {
        assert!(is_subsequence(b"mdb", b"mueller-db"));
        assert!(is_subsequence(b"", b"x"));
        assert!(!is_subsequence(b"bd", b"db"));
    }
}
