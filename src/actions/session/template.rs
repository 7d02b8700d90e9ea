//! Launch templates: an argv array whose elements may hold placeholders such as `{address}`.
//! Substitution works element by element, so a value never splits into several arguments and
//! never reaches a shell. A nested list is an optional group: its elements are kept only when
//! every placeholder in them has a value (`["-J", "{jump}"]` disappears without a jump host).

use std::collections::BTreeSet;
use std::fmt;

/// The values a template can name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Placeholder {
    /// The item's host name (its address when it has no host name).
    Host,
    /// The item's address (its host name when it has no address).
    Address,
    /// The item's tenant id.
    Tenant,
    /// The user name configured for the profile and tenant.
    User,
    /// `user@` when a user is configured, nothing otherwise (`{user@}{address}`).
    UserAt,
    /// The port configured for the profile and tenant.
    Port,
    /// The jump host(s) configured for the profile and tenant.
    Jump,
}

impl Placeholder {
    pub const ALL: [Placeholder; 7] = [
        Placeholder::Host,
        Placeholder::Address,
        Placeholder::Tenant,
        Placeholder::User,
        Placeholder::UserAt,
        Placeholder::Port,
        Placeholder::Jump,
    ];

    /// The name between the braces.
    pub fn name(self) -> &'static str {
        match self {
            Placeholder::Host => "host",
            Placeholder::Address => "address",
            Placeholder::Tenant => "tenant",
            Placeholder::User => "user",
            Placeholder::UserAt => "user@",
            Placeholder::Port => "port",
            Placeholder::Jump => "jump",
        }
    }

    pub fn parse(name: &str) -> Option<Placeholder> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }
}

impl fmt::Display for Placeholder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{{}}}", self.name())
    }
}

/// A piece of an argv element.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    Text(String),
    Value(Placeholder),
}

/// One argv element as written in the config: literal text and placeholders.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Element {
    written: String,
    pieces: Vec<Piece>,
}

/// Why an element does not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("unknown placeholder `{{{0}}}`")]
    UnknownPlaceholder(String),
    #[error("`{{` without a closing `}}`")]
    Unclosed,
    #[error("`}}` without an opening `{{`")]
    StrayClose,
}

impl Element {
    /// Parses `{name}` placeholders; `{{` and `}}` stand for literal braces.
    pub fn parse(written: &str) -> Result<Element, TemplateError> {
        let mut pieces = Vec::new();
        let mut text = String::new();
        let mut chars = written.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    text.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    text.push('}');
                }
                '}' => return Err(TemplateError::StrayClose),
                '{' => {
                    let mut name = String::new();
                    loop {
                        match chars.next() {
                            Some('}') => break,
                            Some(c) => name.push(c),
                            None => return Err(TemplateError::Unclosed),
                        }
                    }
                    let p = Placeholder::parse(&name)
                        .ok_or_else(|| TemplateError::UnknownPlaceholder(name.clone()))?;
                    if !text.is_empty() {
                        pieces.push(Piece::Text(std::mem::take(&mut text)));
                    }
                    pieces.push(Piece::Value(p));
                }
                c => text.push(c),
            }
        }
        if !text.is_empty() {
            pieces.push(Piece::Text(text));
        }
        Ok(Element {
            written: written.to_string(),
            pieces,
        })
    }

    /// The element as written in the config.
    pub fn written(&self) -> &str {
        &self.written
    }

    pub fn placeholders(&self) -> impl Iterator<Item = Placeholder> + '_ {
        self.pieces.iter().filter_map(|p| match p {
            Piece::Value(v) => Some(*v),
            Piece::Text(_) => None,
        })
    }

    /// True when the element has no placeholder.
    pub fn is_literal(&self) -> bool {
        self.placeholders().next().is_none()
    }

    /// The element with every placeholder filled; `None` names the first one without value.
    fn fill(&self, value: &dyn Fn(Placeholder) -> Option<String>) -> Result<String, Placeholder> {
        let mut out = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Text(t) => out.push_str(t),
                Piece::Value(p) => out.push_str(&value(*p).ok_or(*p)?),
            }
        }
        Ok(out)
    }
}

/// A part of an argv template: one element, or an optional group of elements.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Part {
    One(Element),
    Optional(Vec<Element>),
}

/// Why a template could not be filled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FillError {
    /// A placeholder outside an optional group has no value.
    Missing(Placeholder),
    /// Argument number `index` (0 = the program) would be empty.
    EmptyElement(usize),
}

/// A whole argv template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Argv(pub Vec<Part>);

impl Argv {
    /// A template of one program, for built-in profiles and tests; add arguments with
    /// [`Argv::arg`] and [`Argv::optional`].
    pub fn program(written: &str) -> Argv {
        Argv(Vec::new()).arg(written)
    }

    /// Adds one argument (placeholders allowed).
    pub fn arg(mut self, written: &str) -> Argv {
        self.0.push(Part::One(
            Element::parse(written).expect("built-in template parses"),
        ));
        self
    }

    /// Adds an optional group.
    pub fn optional(mut self, group: &[&str]) -> Argv {
        let elements = group
            .iter()
            .map(|w| Element::parse(w).expect("built-in template parses"))
            .collect();
        self.0.push(Part::Optional(elements));
        self
    }

    /// The first element, when it is a plain one (the program).
    pub fn program_element(&self) -> Option<&Element> {
        match self.0.first() {
            Some(Part::One(e)) => Some(e),
            _ => None,
        }
    }

    /// Every placeholder the template names, optional groups included.
    pub fn placeholders(&self) -> BTreeSet<Placeholder> {
        self.elements().flat_map(Element::placeholders).collect()
    }

    /// Placeholders that must have a value (those outside optional groups).
    pub fn required(&self) -> BTreeSet<Placeholder> {
        self.0
            .iter()
            .filter_map(|p| match p {
                Part::One(e) => Some(e),
                Part::Optional(_) => None,
            })
            .flat_map(Element::placeholders)
            .collect()
    }

    /// Placeholders whose values end up in the command: the required ones and those of the
    /// optional groups that are complete under `has`.
    pub fn used(&self, has: &dyn Fn(Placeholder) -> bool) -> BTreeSet<Placeholder> {
        let mut used = BTreeSet::new();
        for part in &self.0 {
            match part {
                Part::One(e) => used.extend(e.placeholders()),
                Part::Optional(group) => {
                    let names: Vec<_> = group.iter().flat_map(Element::placeholders).collect();
                    if names.iter().all(|p| has(*p)) {
                        used.extend(names);
                    }
                }
            }
        }
        used
    }

    fn elements(&self) -> impl Iterator<Item = &Element> {
        self.0.iter().flat_map(|p| match p {
            Part::One(e) => std::slice::from_ref(e),
            Part::Optional(group) => group.as_slice(),
        })
    }

    /// The argv with every placeholder filled by `value`, element by element.
    pub fn fill(
        &self,
        value: &dyn Fn(Placeholder) -> Option<String>,
    ) -> Result<Vec<String>, FillError> {
        let mut argv = Vec::new();
        for part in &self.0 {
            match part {
                Part::One(e) => argv.push(e.fill(value).map_err(FillError::Missing)?),
                Part::Optional(group) => {
                    let filled: Result<Vec<String>, _> =
                        group.iter().map(|e| e.fill(value)).collect();
                    argv.extend(filled.unwrap_or_default());
                }
            }
        }
        match argv.iter().position(String::is_empty) {
            Some(index) => Err(FillError::EmptyElement(index)),
            None => Ok(argv),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(p: Placeholder) -> Option<String> {
        match p {
            Placeholder::Host => Some("dc01.mueller.local".into()),
            Placeholder::Address => Some("10.1.2.3".into()),
            Placeholder::Tenant => Some("mueller".into()),
            Placeholder::UserAt => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn placeholders_are_filled_inside_one_element() {
        let argv = Argv::program("xfreerdp")
            .arg("/v:{address}")
            .arg("/t:{tenant}-{host}");
        assert_eq!(
            argv.fill(&values).unwrap(),
            ["xfreerdp", "/v:10.1.2.3", "/t:mueller-dc01.mueller.local"]
        );
    }

    #[test]
    fn a_value_with_spaces_stays_one_element() {
        let argv = Argv::program("printf").arg("%s\n").arg("{host}");
        let filled = argv
            .fill(&|p| (p == Placeholder::Host).then(|| "a b; c".to_string()))
            .unwrap();
        assert_eq!(filled, ["printf", "%s\n", "a b; c"]);
    }

    #[test]
    fn optional_groups_need_all_their_values() {
        let argv = Argv::program("ssh")
            .optional(&["-J", "{jump}"])
            .optional(&["-p", "{port}"])
            .arg("{user@}{address}");
        assert_eq!(argv.fill(&values).unwrap(), ["ssh", "10.1.2.3"]);
        let with = |p: Placeholder| match p {
            Placeholder::Jump => Some("jump.example".to_string()),
            Placeholder::UserAt => Some("admin@".to_string()),
            other => values(other),
        };
        assert_eq!(
            argv.fill(&with).unwrap(),
            ["ssh", "-J", "jump.example", "admin@10.1.2.3"]
        );
        assert_eq!(
            argv.required(),
            [Placeholder::UserAt, Placeholder::Address].into()
        );
        assert_eq!(
            argv.used(&|p| with(p).is_some()),
            [Placeholder::Address, Placeholder::UserAt, Placeholder::Jump].into()
        );
    }

    #[test]
    fn missing_required_values_and_empty_elements_are_errors() {
        let argv = Argv::program("ssh").arg("{user}@{address}");
        assert_eq!(
            argv.fill(&values),
            Err(FillError::Missing(Placeholder::User))
        );
        let argv = Argv::program("ssh").arg("{user@}");
        assert_eq!(argv.fill(&values), Err(FillError::EmptyElement(1)));
        let argv = Argv::program("x").optional(&["--port={port}"]);
        assert_eq!(
            argv.fill(&values).unwrap(),
            ["x"],
            "a group of one is optional too"
        );
    }

    #[test]
    fn braces_escape_and_errors() {
        let e = Element::parse("{{literal}} {host}").unwrap();
        assert_eq!(e.placeholders().collect::<Vec<_>>(), [Placeholder::Host]);
        assert_eq!(
            Argv(vec![Part::One(e)]).fill(&values).unwrap(),
            ["{literal} dc01.mueller.local"]
        );
        assert_eq!(
            Element::parse("{hots}"),
            Err(TemplateError::UnknownPlaceholder("hots".into()))
        );
        assert_eq!(Element::parse("{host"), Err(TemplateError::Unclosed));
        assert_eq!(Element::parse("{host} {port"), Err(TemplateError::Unclosed));
        assert_eq!(Element::parse("host}"), Err(TemplateError::StrayClose));
        assert!(Element::parse("ssh").unwrap().is_literal());
    }
}
