//! The write-back form: the details an action needs before it goes to the source (an ack's
//! duration and comment, a downtime's length). The form belongs to the items it was opened
//! for; its text is kept as a draft when it is cancelled or the source refuses it, so
//! nothing typed is lost.

use std::time::Duration;

use super::input::LineInput;
use crate::config::parse_duration;
use crate::model::ItemKey;
use crate::sources::WriteBack;

/// What the form will send.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FormKind {
    Ack,
    Downtime,
}

impl FormKind {
    pub fn name(self) -> &'static str {
        match self {
            FormKind::Ack => "ack",
            FormKind::Downtime => "downtime",
        }
    }

    /// The duration a new form starts with.
    fn default_duration(self) -> &'static str {
        match self {
            FormKind::Ack => "2h",
            FormKind::Downtime => "1h",
        }
    }

    /// Whether an empty duration is allowed (an ack may last until the problem is gone,
    /// where the source supports that).
    fn needs_duration(self) -> bool {
        matches!(self, FormKind::Downtime)
    }
}

/// Which line of the form has the cursor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Duration,
    Comment,
}

/// An open form.
#[derive(Clone, Debug, PartialEq)]
pub struct Form {
    pub kind: FormKind,
    /// The items the action is for (one, or all marked ones).
    pub targets: Vec<ItemKey>,
    pub duration: LineInput,
    pub comment: LineInput,
    pub focus: Field,
    /// Why the last attempt to send was refused by the form itself.
    pub error: Option<String>,
}

/// Why a form cannot be sent yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FormError {
    /// The duration text is not a duration.
    BadDuration(String),
    /// This action needs a duration.
    NoDuration,
}

impl Form {
    pub fn new(kind: FormKind, targets: Vec<ItemKey>) -> Self {
        let mut duration = LineInput::default();
        duration.set(kind.default_duration());
        Self {
            kind,
            targets,
            duration,
            comment: LineInput::default(),
            focus: Field::Comment,
            error: None,
        }
    }

    /// The line that has the cursor.
    pub fn focused(&mut self) -> &mut LineInput {
        match self.focus {
            Field::Duration => &mut self.duration,
            Field::Comment => &mut self.comment,
        }
    }

    /// Moves to the other field.
    pub fn next_field(&mut self) {
        self.focus = match self.focus {
            Field::Duration => Field::Comment,
            Field::Comment => Field::Duration,
        };
    }

    /// The write-back this form asks for; `author` is the user, `default_comment` fills an
    /// empty comment (sources such as Alertmanager and Icinga require one).
    pub fn write_back(&self, author: &str, default_comment: &str) -> Result<WriteBack, FormError> {
        let minutes = self.minutes()?;
        let comment = match self.comment.text().trim() {
            "" => default_comment.to_string(),
            text => text.to_string(),
        };
        let author = author.to_string();
        Ok(match self.kind {
            FormKind::Ack => WriteBack::Ack {
                comment,
                author,
                minutes,
            },
            FormKind::Downtime => WriteBack::Downtime {
                comment,
                author,
                minutes: minutes.ok_or(FormError::NoDuration)?,
            },
        })
    }

    /// The duration in whole minutes (at least one); `None` when left empty.
    fn minutes(&self) -> Result<Option<u32>, FormError> {
        let text = self.duration.text().trim();
        if text.is_empty() {
            return if self.kind.needs_duration() {
                Err(FormError::NoDuration)
            } else {
                Ok(None)
            };
        }
        let d: Duration =
            parse_duration(text).ok_or_else(|| FormError::BadDuration(text.to_string()))?;
        let minutes = d.as_secs().div_ceil(60).max(1);
        Ok(Some(u32::try_from(minutes).unwrap_or(u32::MAX)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SourceId;

    fn key() -> ItemKey {
        ItemKey::new(&SourceId::new("am"), "fp1")
    }

    #[test]
    fn ack_defaults_to_two_hours_and_the_default_comment() {
        let form = Form::new(FormKind::Ack, vec![key()]);
        assert_eq!(
            form.write_back("me", "acknowledged").unwrap(),
            WriteBack::Ack {
                comment: "acknowledged".into(),
                author: "me".into(),
                minutes: Some(120)
            }
        );
    }

    #[test]
    fn durations_are_parsed_and_rounded_up_to_minutes() {
        let mut form = Form::new(FormKind::Downtime, vec![key()]);
        form.duration.set("90s");
        form.comment.set("  disk swap ");
        assert_eq!(
            form.write_back("me", "x").unwrap(),
            WriteBack::Downtime {
                comment: "disk swap".into(),
                author: "me".into(),
                minutes: 2
            }
        );
        form.duration.set("soon");
        assert_eq!(
            form.write_back("me", "x"),
            Err(FormError::BadDuration("soon".into()))
        );
        form.duration.set("");
        assert_eq!(form.write_back("me", "x"), Err(FormError::NoDuration));
    }

    #[test]
    fn an_ack_without_duration_has_none() {
        let mut form = Form::new(FormKind::Ack, vec![key()]);
        form.duration.set("");
        assert!(matches!(
            form.write_back("me", "x"),
            Ok(WriteBack::Ack { minutes: None, .. })
        ));
    }

    #[test]
    fn tab_moves_between_fields() {
        let mut form = Form::new(FormKind::Ack, vec![key()]);
        assert_eq!(form.focus, Field::Comment);
        form.next_field();
        form.focused().insert('x');
        assert_eq!(form.duration.text(), "2hx");
    }
}
