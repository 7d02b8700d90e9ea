//! The write-back forms: the details an action needs before it goes to the source (an ack's
//! duration and comment, the agent to assign to, the new status, an internal note, the day a
//! restore was tested). A form belongs to the items it was opened for; its text is kept as a
//! draft when it is cancelled or the source refuses it, so nothing typed is lost.

use std::collections::HashMap;
use std::time::Duration;

use jiff::civil::Date;

use super::input::LineInput;
use crate::config::parse_duration;
use crate::model::ItemKey;
use crate::sources::{AsSeen, WriteBack};

/// What the form will send.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FormKind {
    Ack,
    Downtime,
    Assign,
    SetStatus,
    Note,
    RestoreTestDone,
    /// Confirmations of actions without details, for several marked items at once.
    Unack,
    Take,
    Recheck,
    /// Hide locally until a time or until the item changes.
    Snooze,
    /// Mark as a significant security incident (NIS-2 clocks start).
    Nis2Mark,
    /// A NIS-2 reporting step was done.
    Nis2Step,
    /// A note kept only in nightdesk (never sent to the source).
    LocalNote,
}

impl FormKind {
    pub fn name(self) -> &'static str {
        match self {
            FormKind::Ack => "ack",
            FormKind::Downtime => "downtime",
            FormKind::Assign => "assign",
            FormKind::SetStatus => "set-status",
            FormKind::Note => "note",
            FormKind::RestoreTestDone => "restore-test-done",
            FormKind::Unack => "unack",
            FormKind::Take => "take",
            FormKind::Recheck => "recheck",
            FormKind::Snooze => "snooze",
            FormKind::Nis2Mark => "nis2-mark",
            FormKind::Nis2Step => "nis2-step",
            FormKind::LocalNote => "local-note",
        }
    }

    /// The fields of this form, in order.
    fn fields(self) -> &'static [FieldKind] {
        match self {
            FormKind::Ack | FormKind::Downtime => &[FieldKind::Duration, FieldKind::Comment],
            FormKind::Assign => &[FieldKind::Agent],
            FormKind::SetStatus => &[FieldKind::Status],
            FormKind::Note | FormKind::LocalNote => &[FieldKind::Text],
            FormKind::RestoreTestDone => &[FieldKind::Date, FieldKind::Comment],
            FormKind::Unack | FormKind::Take | FormKind::Recheck => &[],
            FormKind::Snooze => &[FieldKind::Until],
            FormKind::Nis2Mark => &[FieldKind::When],
            FormKind::Nis2Step => &[FieldKind::Step, FieldKind::When],
        }
    }
}

/// What one field holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    /// `30m`, `2h`, `1d`.
    Duration,
    /// One line of free text.
    Comment,
    /// An agent name; completes over the source's agents.
    Agent,
    /// A status name; completes over the source's statuses.
    Status,
    /// Several lines of free text (enter starts a new line).
    Text,
    /// A day, `YYYY-MM-DD`.
    Date,
    /// How long to snooze: a duration (`2h`), a clock time (`07:30`), or `change`.
    Until,
    /// An instant: `now`, a clock time today (`14:05`) or `YYYY-MM-DD HH:MM`.
    When,
    /// A NIS-2 reporting step; completes over the steps not done yet.
    Step,
}

impl FieldKind {
    pub fn is_multiline(self) -> bool {
        self == FieldKind::Text
    }

    /// Whether tab completes this field (rather than moving to the next one).
    pub fn completes(self) -> bool {
        matches!(self, FieldKind::Agent | FieldKind::Status | FieldKind::Step)
    }
}

/// One field of a form: one line, or several for [`FieldKind::Text`].
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    pub kind: FieldKind,
    pub lines: Vec<LineInput>,
    /// The line with the cursor.
    pub row: usize,
}

impl Field {
    fn new(kind: FieldKind, text: &str) -> Self {
        let mut line = LineInput::default();
        line.set(text);
        Self {
            kind,
            lines: vec![line],
            row: 0,
        }
    }

    /// The field's text, lines joined by `\n`.
    pub fn text(&self) -> String {
        let lines: Vec<&str> = self.lines.iter().map(LineInput::text).collect();
        lines.join("\n")
    }

    fn set(&mut self, text: &str) {
        *self = Field::new(self.kind, text);
    }
}

/// An open form.
#[derive(Clone, Debug, PartialEq)]
pub struct Form {
    pub kind: FormKind,
    /// The items the action is for (one, or all marked ones).
    pub targets: Vec<ItemKey>,
    pub fields: Vec<Field>,
    /// Index of the field with the cursor.
    pub focus: usize,
    /// What the form or the source said about the last attempt (kept with a draft).
    pub error: Option<String>,
    /// Candidates for the focused field, when it completes.
    pub candidates: Vec<String>,
    /// Each target as the queue showed it when the form opened: sent with the write-back,
    /// so that a change someone else made while the form was open is not overwritten.
    pub seen: HashMap<ItemKey, AsSeen>,
}

/// Why a form cannot be sent yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FormError {
    /// The duration text is not a duration.
    BadDuration(String),
    /// This action needs a duration.
    NoDuration,
    /// The field must not be empty.
    Empty(FieldKind),
    /// The day is not `YYYY-MM-DD`, or lies in the future.
    BadDate(String),
    /// Not a duration, clock time or `change`.
    BadUntil(String),
    /// Not `now`, a clock time or `YYYY-MM-DD HH:MM`, or in the future.
    BadWhen(String),
    /// Not one of the NIS-2 steps.
    BadStep(String),
}

/// What parsing a form's times needs.
#[derive(Clone, Debug)]
pub struct FormContext<'a> {
    pub author: &'a str,
    /// Fills an empty ack or downtime comment (sources such as Alertmanager and Icinga
    /// require one).
    pub default_comment: &'a str,
    pub now: jiff::Timestamp,
    pub tz: &'a jiff::tz::TimeZone,
}

impl FormContext<'_> {
    fn today(&self) -> Date {
        self.now.to_zoned_datetime(self.tz.clone()).date()
    }
}

/// The NIS-2 reporting steps, by the names the form takes.
pub const NIS2_STEPS: [&str; 3] = ["early-warning", "notification", "final-report"];

/// How long a snooze lasts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SnoozeUntil {
    /// Until this instant (or an earlier change of the item).
    Time(jiff::Timestamp),
    /// Until the item changes.
    Change,
}

/// What a complete form asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FormRequest {
    WriteBack(WriteBack),
    RestoreTest {
        done_on: Date,
        note: String,
    },
    Snooze(SnoozeUntil),
    /// A local note with this text (not empty, trailing blank lines cut).
    LocalNote(String),
    Nis2Mark {
        aware_at: jiff::Timestamp,
    },
    /// `step` is an index into [`NIS2_STEPS`].
    Nis2Step {
        step: usize,
        at: jiff::Timestamp,
    },
}

impl Form {
    /// A new form with its defaults; `today` fills a date field.
    pub fn new(kind: FormKind, targets: Vec<ItemKey>, today: Date) -> Self {
        let fields = kind
            .fields()
            .iter()
            .map(|&f| {
                let default = match (kind, f) {
                    (FormKind::Ack, FieldKind::Duration) => "2h".to_string(),
                    (_, FieldKind::Duration) => "1h".to_string(),
                    (_, FieldKind::Date) => today.to_string(),
                    (_, FieldKind::Until) => "2h".to_string(),
                    (_, FieldKind::When) => "now".to_string(),
                    _ => String::new(),
                };
                Field::new(f, &default)
            })
            .collect::<Vec<_>>();
        let focus = fields
            .iter()
            .position(|f| {
                !matches!(
                    f.kind,
                    FieldKind::Duration | FieldKind::Date | FieldKind::When
                )
            })
            .unwrap_or(0);
        Self {
            kind,
            targets,
            fields,
            focus,
            error: None,
            candidates: Vec::new(),
            seen: HashMap::new(),
        }
    }

    /// The field with the cursor (a confirmation has none).
    pub fn focused_field(&self) -> Option<&Field> {
        self.fields.get(self.focus)
    }

    /// The line with the cursor.
    pub fn focused(&mut self) -> Option<&mut LineInput> {
        let field = self.fields.get_mut(self.focus)?;
        field.lines.get_mut(field.row)
    }

    /// Moves to the next field (around to the first).
    pub fn next_field(&mut self) {
        self.focus = (self.focus + 1) % self.fields.len().max(1);
        self.candidates.clear();
    }

    /// Enter in a multi-line field: split the line at the cursor.
    pub fn newline(&mut self) {
        let Some(field) = self.fields.get_mut(self.focus) else {
            return;
        };
        let line = &field.lines[field.row];
        let (before, after): (String, String) = {
            let chars: Vec<char> = line.text().chars().collect();
            let at = line.cursor().min(chars.len());
            (chars[..at].iter().collect(), chars[at..].iter().collect())
        };
        field.lines[field.row].set(&before);
        let mut next = LineInput::default();
        next.set(&after);
        next.home();
        field.lines.insert(field.row + 1, next);
        field.row += 1;
    }

    /// Backspace at the start of a line of a multi-line field: join it to the line above.
    /// Returns false when there is nothing to join (the caller deletes a character).
    pub fn join_up(&mut self) -> bool {
        let Some(field) = self.fields.get_mut(self.focus) else {
            return false;
        };
        if field.row == 0 || field.lines[field.row].cursor() > 0 {
            return false;
        }
        let tail = field.lines.remove(field.row).text().to_string();
        field.row -= 1;
        let line = &mut field.lines[field.row];
        let keep = line.text().chars().count();
        line.set(&format!("{}{tail}", line.text()));
        line.home();
        for _ in 0..keep {
            line.right();
        }
        true
    }

    /// Up/down between the lines of a multi-line field.
    pub fn move_row(&mut self, delta: isize) {
        let Some(field) = self.fields.get_mut(self.focus) else {
            return;
        };
        let row = field
            .row
            .saturating_add_signed(delta)
            .min(field.lines.len() - 1);
        field.row = row;
    }

    /// Tab in a completing field: the next of the candidates that contain what is typed
    /// (case does not matter); the candidates are kept for the form to show.
    pub fn complete(&mut self, words: &[String]) {
        let Some(typed) = self.focused_field().map(Field::text) else {
            return;
        };
        if let Some(pos) = self.candidates.iter().position(|c| *c == typed) {
            let next = self.candidates[(pos + 1) % self.candidates.len()].clone();
            self.fields[self.focus].set(&next);
            return;
        }
        let needle = typed.to_lowercase();
        self.candidates = words
            .iter()
            .filter(|w| w.to_lowercase().contains(&needle))
            .cloned()
            .collect();
        if let Some(first) = self.candidates.first().cloned() {
            self.fields[self.focus].set(&first);
        }
    }

    /// Puts the text of an `earlier` form of the same kind in front of this one's, in each
    /// multi-line field (a blank line between), so that two drafts of notes to one item
    /// become one draft with both texts. Other fields keep this form's value.
    pub fn keep_text_of(&mut self, earlier: &Form) {
        if earlier.kind != self.kind {
            return;
        }
        for (field, old) in self.fields.iter_mut().zip(&earlier.fields) {
            let (old_text, text) = (old.text(), field.text());
            if !field.kind.is_multiline() || old_text.trim().is_empty() || old_text == text {
                continue;
            }
            let joined = if text.trim().is_empty() {
                old_text
            } else {
                format!("{old_text}\n\n{text}")
            };
            field.lines = joined
                .split('\n')
                .map(|line| {
                    let mut input = LineInput::default();
                    input.set(line);
                    input
                })
                .collect();
            field.row = field.lines.len() - 1;
        }
    }

    fn value(&self, kind: FieldKind) -> String {
        self.fields
            .iter()
            .find(|f| f.kind == kind)
            .map(Field::text)
            .unwrap_or_default()
    }

    /// What this form asks for.
    pub fn request(&self, ctx: &FormContext<'_>) -> Result<FormRequest, FormError> {
        let today = ctx.today();
        let author = ctx.author.to_string();
        let comment = || match self.value(FieldKind::Comment).trim() {
            "" => ctx.default_comment.to_string(),
            text => text.to_string(),
        };
        let required = |kind| {
            let v = self.value(kind).trim().to_string();
            if v.is_empty() {
                Err(FormError::Empty(kind))
            } else {
                Ok(v)
            }
        };
        Ok(FormRequest::WriteBack(match self.kind {
            FormKind::Ack => WriteBack::Ack {
                comment: comment(),
                author,
                minutes: self.minutes(false)?,
            },
            FormKind::Downtime => WriteBack::Downtime {
                comment: comment(),
                author,
                minutes: self.minutes(true)?.ok_or(FormError::NoDuration)?,
            },
            FormKind::Assign => WriteBack::Assign {
                agent: required(FieldKind::Agent)?,
            },
            FormKind::SetStatus => WriteBack::SetStatus {
                status: required(FieldKind::Status)?,
            },
            FormKind::Note => WriteBack::Note {
                text: self.value(FieldKind::Text).trim_end().to_string(),
                author,
            }
            .non_empty()
            .ok_or(FormError::Empty(FieldKind::Text))?,
            FormKind::Snooze => return self.until(ctx).map(FormRequest::Snooze),
            FormKind::LocalNote => {
                let text = self.value(FieldKind::Text).trim_end().to_string();
                if text.trim().is_empty() {
                    return Err(FormError::Empty(FieldKind::Text));
                }
                return Ok(FormRequest::LocalNote(text));
            }
            FormKind::Nis2Mark => {
                return Ok(FormRequest::Nis2Mark {
                    aware_at: self.when(ctx)?,
                });
            }
            FormKind::Nis2Step => {
                let text = self.value(FieldKind::Step);
                let step = NIS2_STEPS
                    .iter()
                    .position(|s| *s == text.trim())
                    .ok_or(FormError::BadStep(text))?;
                return Ok(FormRequest::Nis2Step {
                    step,
                    at: self.when(ctx)?,
                });
            }
            FormKind::Unack => WriteBack::Unack { author },
            FormKind::Take => WriteBack::Assign { agent: author },
            FormKind::Recheck => WriteBack::Recheck,
            FormKind::RestoreTestDone => {
                let text = self.value(FieldKind::Date);
                let done_on: Date = text
                    .trim()
                    .parse()
                    .map_err(|_| FormError::BadDate(text.clone()))?;
                if done_on > today {
                    return Err(FormError::BadDate(text));
                }
                return Ok(FormRequest::RestoreTest {
                    done_on,
                    note: self.value(FieldKind::Comment).trim().to_string(),
                });
            }
        }))
    }

    /// The snooze's end: `change`, a duration from now, or the next such clock time.
    fn until(&self, ctx: &FormContext<'_>) -> Result<SnoozeUntil, FormError> {
        let text = self.value(FieldKind::Until);
        let text = text.trim();
        if text.eq_ignore_ascii_case("change") || text.eq_ignore_ascii_case("änderung") {
            return Ok(SnoozeUntil::Change);
        }
        if let Some(d) = parse_duration(text).filter(|d| !d.is_zero()) {
            let d =
                jiff::SignedDuration::try_from(d).map_err(|_| FormError::BadUntil(text.into()))?;
            return Ok(SnoozeUntil::Time(ctx.now + d));
        }
        let time: jiff::civil::Time = text.parse().map_err(|_| FormError::BadUntil(text.into()))?;
        let zoned = ctx.now.to_zoned_datetime(ctx.tz.clone());
        let today = zoned
            .date()
            .to_datetime(time)
            .to_zoned_datetime(ctx.tz.clone())
            .map_err(|_| FormError::BadUntil(text.into()))?;
        let next = if today.timestamp() > ctx.now {
            today
        } else {
            today
                .checked_add(jiff::Span::new().days(1))
                .map_err(|_| FormError::BadUntil(text.into()))?
        };
        Ok(SnoozeUntil::Time(next.timestamp()))
    }

    /// An instant not in the future: `now`, `HH:MM` today, or `YYYY-MM-DD HH:MM`.
    fn when(&self, ctx: &FormContext<'_>) -> Result<jiff::Timestamp, FormError> {
        let text = self.value(FieldKind::When);
        let text = text.trim();
        let bad = || FormError::BadWhen(text.to_string());
        let zoned = |civil: jiff::civil::DateTime| {
            civil
                .to_zoned_datetime(ctx.tz.clone())
                .map(|z| z.timestamp())
                .map_err(|_| bad())
        };
        // A date and time first: a bare time would also parse out of one.
        let at = if text.is_empty() || text.eq_ignore_ascii_case("now") || text == "jetzt" {
            ctx.now
        } else if let Ok(civil) = text.replacen(' ', "T", 1).parse::<jiff::civil::DateTime>() {
            zoned(civil)?
        } else if let Ok(time) = text.parse::<jiff::civil::Time>() {
            zoned(ctx.today().to_datetime(time))?
        } else {
            return Err(bad());
        };
        if at > ctx.now {
            return Err(bad());
        }
        Ok(at)
    }

    /// The duration in whole minutes (at least one); `None` when left empty and allowed.
    fn minutes(&self, needed: bool) -> Result<Option<u32>, FormError> {
        let text = self.value(FieldKind::Duration);
        let text = text.trim();
        if text.is_empty() {
            return if needed {
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

trait NonEmpty: Sized {
    fn non_empty(self) -> Option<Self>;
}

impl NonEmpty for WriteBack {
    fn non_empty(self) -> Option<Self> {
        match &self {
            WriteBack::Note { text, .. } if text.trim().is_empty() => None,
            _ => Some(self),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SourceId;

    fn key() -> ItemKey {
        ItemKey::new(&SourceId::new("am"), "fp1")
    }

    fn today() -> Date {
        "2026-11-27".parse().unwrap()
    }

    fn form(kind: FormKind) -> Form {
        Form::new(kind, vec![key()], today())
    }

    fn wb(f: &Form) -> Result<FormRequest, FormError> {
        let tz = jiff::tz::TimeZone::get("Europe/Berlin").unwrap();
        f.request(&FormContext {
            author: "me",
            default_comment: "acknowledged",
            // 2026-11-27 02:30 in Berlin.
            now: "2026-11-27T01:30:00Z".parse().unwrap(),
            tz: &tz,
        })
    }

    #[test]
    fn ack_defaults_to_two_hours_and_the_default_comment() {
        assert_eq!(
            wb(&form(FormKind::Ack)).unwrap(),
            FormRequest::WriteBack(WriteBack::Ack {
                comment: "acknowledged".into(),
                author: "me".into(),
                minutes: Some(120)
            })
        );
    }

    #[test]
    fn durations_are_parsed_and_rounded_up_to_minutes() {
        let mut f = form(FormKind::Downtime);
        f.fields[0].set("90s");
        f.fields[1].set("  disk swap ");
        assert_eq!(
            wb(&f).unwrap(),
            FormRequest::WriteBack(WriteBack::Downtime {
                comment: "disk swap".into(),
                author: "me".into(),
                minutes: 2
            })
        );
        f.fields[0].set("soon");
        assert_eq!(wb(&f), Err(FormError::BadDuration("soon".into())));
        f.fields[0].set("");
        assert_eq!(wb(&f), Err(FormError::NoDuration));
        let mut ack = form(FormKind::Ack);
        ack.fields[0].set("");
        assert!(matches!(
            wb(&ack),
            Ok(FormRequest::WriteBack(WriteBack::Ack { minutes: None, .. }))
        ));
    }

    #[test]
    fn tab_moves_between_fields_and_the_comment_has_the_cursor_first() {
        let mut f = form(FormKind::Ack);
        assert_eq!(f.focused_field().unwrap().kind, FieldKind::Comment);
        f.next_field();
        f.focused().unwrap().insert('x');
        assert_eq!(f.fields[0].text(), "2hx");
    }

    #[test]
    fn a_note_has_lines_and_must_not_be_empty() {
        let mut f = form(FormKind::Note);
        assert_eq!(wb(&f), Err(FormError::Empty(FieldKind::Text)));
        for c in "first line".chars() {
            f.focused().unwrap().insert(c);
        }
        f.newline();
        for c in "second".chars() {
            f.focused().unwrap().insert(c);
        }
        assert_eq!(
            wb(&f).unwrap(),
            FormRequest::WriteBack(WriteBack::Note {
                text: "first line\nsecond".into(),
                author: "me".into()
            })
        );
        // Backspace at the start of the second line joins it back.
        f.focused().unwrap().home();
        assert!(f.join_up());
        assert_eq!(f.fields[0].text(), "first linesecond");
        assert_eq!(f.focused().unwrap().cursor(), "first line".len());
        assert!(!f.join_up(), "the cursor is not at a line start");
    }

    #[test]
    fn assign_completes_over_the_agents() {
        let agents: Vec<String> = ["anna", "bernd", "hanna"].map(String::from).to_vec();
        let mut f = form(FormKind::Assign);
        assert_eq!(wb(&f), Err(FormError::Empty(FieldKind::Agent)));
        f.focused().unwrap().insert('n');
        f.focused().unwrap().insert('n');
        f.complete(&agents);
        assert_eq!(f.candidates, ["anna", "hanna"]);
        assert_eq!(f.fields[0].text(), "anna");
        f.complete(&agents);
        assert_eq!(f.fields[0].text(), "hanna");
        assert_eq!(
            wb(&f).unwrap(),
            FormRequest::WriteBack(WriteBack::Assign {
                agent: "hanna".into()
            })
        );
    }

    #[test]
    fn snooze_until_a_duration_a_clock_time_or_a_change() {
        let mut f = form(FormKind::Snooze);
        let at = |s: &str| FormRequest::Snooze(SnoozeUntil::Time(s.parse().unwrap()));
        assert_eq!(wb(&f).unwrap(), at("2026-11-27T03:30:00Z"), "2h by default");
        f.fields[0].set("07:30");
        assert_eq!(
            wb(&f).unwrap(),
            at("2026-11-27T06:30:00Z"),
            "07:30 Berlin today"
        );
        f.fields[0].set("01:00");
        assert_eq!(
            wb(&f).unwrap(),
            at("2026-11-28T00:00:00Z"),
            "already past: tomorrow"
        );
        f.fields[0].set("change");
        assert_eq!(wb(&f).unwrap(), FormRequest::Snooze(SnoozeUntil::Change));
        f.fields[0].set("later");
        assert!(matches!(wb(&f), Err(FormError::BadUntil(_))));
    }

    #[test]
    fn nis2_times_are_now_or_in_the_past() {
        let mut f = form(FormKind::Nis2Mark);
        assert_eq!(
            wb(&f).unwrap(),
            FormRequest::Nis2Mark {
                aware_at: "2026-11-27T01:30:00Z".parse().unwrap()
            }
        );
        f.fields[0].set("2026-11-26 23:15");
        assert_eq!(
            wb(&f).unwrap(),
            FormRequest::Nis2Mark {
                aware_at: "2026-11-26T22:15:00Z".parse().unwrap()
            }
        );
        f.fields[0].set("03:00");
        assert!(
            matches!(wb(&f), Err(FormError::BadWhen(_))),
            "in the future"
        );
        let mut step = form(FormKind::Nis2Step);
        step.fields[0].set("notification");
        assert!(matches!(
            wb(&step),
            Ok(FormRequest::Nis2Step { step: 1, .. })
        ));
        step.fields[0].set("brief");
        assert!(matches!(wb(&step), Err(FormError::BadStep(_))));
    }

    #[test]
    fn a_restore_test_has_a_day_not_in_the_future() {
        let mut f = form(FormKind::RestoreTestDone);
        assert_eq!(f.fields[0].text(), "2026-11-27");
        f.fields[1].set("restored srv-dc01 to the test VM, logins ok");
        assert_eq!(
            wb(&f).unwrap(),
            FormRequest::RestoreTest {
                done_on: today(),
                note: "restored srv-dc01 to the test VM, logins ok".into()
            }
        );
        f.fields[0].set("2026-12-01");
        assert!(matches!(wb(&f), Err(FormError::BadDate(_))));
        f.fields[0].set("gestern");
        assert!(matches!(wb(&f), Err(FormError::BadDate(_))));
    }
}
