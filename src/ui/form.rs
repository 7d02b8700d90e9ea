//! The write-back form, drawn as a box over the lower part of the queue: what will be sent
//! where, one line per field (several for a note) with the cursor in the focused one,
//! completion candidates, and the form's own error or the source's refusal.

use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget};

use crate::app::form::{FieldKind, Form, FormKind};
use crate::app::state::App;
use crate::i18n::{Msg, fill, t};
use crate::text::{sanitize, truncate, width};
use crate::theme::Theme;

/// Lines of a note shown at most (the box grows up to this).
const NOTE_LINES: usize = 6;

/// Draws the open form over the bottom of `queue`; returns the cursor position.
pub fn render(app: &App, theme: &Theme, queue: Rect, buf: &mut Buffer) -> Option<Position> {
    let form = app.form.as_ref()?;
    let label_w = label_width(app, form);
    let (mut lines, cursor_row, cursor_col) = field_lines(app, theme, form, label_w);
    lines.insert(0, Line::styled(about(app, form), theme.style("text.muted")));
    lines.push(status_line(app, theme, form));
    lines.push(Line::styled(
        keys_hint(app, form),
        theme.style("text.muted"),
    ));
    let h = (lines.len() as u16 + 2).min(queue.height);
    let area = Rect {
        y: queue.bottom().saturating_sub(h),
        height: h,
        ..queue
    };
    Clear.render(area, buf);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style("popup.border"))
        .style(theme.style("popup"))
        .title(Span::styled(title(app, form), theme.style("title")));
    let inner = block.inner(area);
    block.render(area, buf);
    Paragraph::new(lines).render(inner, buf);
    let row = cursor_row as u16 + 1;
    let x = inner.x as usize + cursor_col;
    (row < inner.height).then(|| {
        Position::new(
            x.min(inner.right().saturating_sub(1) as usize) as u16,
            inner.y + row,
        )
    })
}

/// The fields' lines, and where the cursor is among them (row, column in cells).
fn field_lines<'a>(
    app: &App,
    theme: &Theme,
    form: &Form,
    label_w: usize,
) -> (Vec<Line<'a>>, usize, usize) {
    let mut lines = Vec::new();
    let mut cursor = (0, 0);
    for (i, field) in form.fields.iter().enumerate() {
        let first_visible = field.row.saturating_sub(NOTE_LINES - 1);
        let shown = field.lines.iter().enumerate().skip(first_visible);
        for (row, line) in shown.take(NOTE_LINES) {
            let label = if row == first_visible {
                format!("{}:", t(app.lang, label_of(field.kind)))
            } else {
                String::new()
            };
            if i == form.focus && row == field.row {
                let before: String = line.text().chars().take(line.cursor()).collect();
                cursor = (lines.len(), label_w + 2 + width(&sanitize(&before)));
            }
            lines.push(Line::from(vec![
                Span::styled(
                    format!("{label:<w$} ", w = label_w + 1),
                    theme.style("filter.prompt"),
                ),
                Span::styled(sanitize(line.text()).into_owned(), theme.style("filter")),
            ]));
        }
    }
    (lines, cursor.0, cursor.1)
}

/// The error if there is one, else what the focused field expects.
fn status_line<'a>(app: &App, theme: &Theme, form: &Form) -> Line<'a> {
    if let Some(e) = &form.error {
        return Line::styled(sanitize(e).into_owned(), theme.style("error"));
    }
    // The focused field's hint, else the hint of the form's first field that has one.
    let text = form
        .focused_field()
        .map(|f| f.kind)
        .into_iter()
        .chain(form.fields.iter().map(|f| f.kind))
        .find_map(|kind| hint(app, form, kind))
        .unwrap_or_default();
    Line::styled(text, theme.style("text.muted"))
}

fn hint(app: &App, form: &Form, kind: FieldKind) -> Option<String> {
    Some(match kind {
        FieldKind::Duration => t(app.lang, Msg::FormDurationHint).to_string(),
        FieldKind::Date => t(app.lang, Msg::FormDateHint).to_string(),
        FieldKind::Agent | FieldKind::Status if form.candidates.is_empty() => {
            t(app.lang, Msg::FormNoCandidates).to_string()
        }
        FieldKind::Agent | FieldKind::Status => {
            let list: Vec<String> = form
                .candidates
                .iter()
                .map(|c| sanitize(c).into_owned())
                .collect();
            truncate(
                &fill(t(app.lang, Msg::FormCompleteHint), &[&list.join(" ")]),
                200,
            )
            .into_owned()
        }
        FieldKind::Until => t(app.lang, Msg::FormUntilHint).to_string(),
        FieldKind::When => t(app.lang, Msg::FormWhenHint).to_string(),
        FieldKind::Step if form.candidates.is_empty() => return None,
        FieldKind::Step => fill(
            t(app.lang, Msg::FormCompleteHint),
            &[&form.candidates.join(" ")],
        ),
        FieldKind::Comment | FieldKind::Text => return None,
    })
}

fn keys_hint(app: &App, form: &Form) -> String {
    if form.fields.iter().any(|f| f.kind.is_multiline()) {
        t(app.lang, Msg::FormNoteHint).to_string()
    } else {
        t(app.lang, Msg::FormHint).to_string()
    }
}

fn label_of(kind: FieldKind) -> Msg {
    match kind {
        FieldKind::Duration => Msg::FormDuration,
        FieldKind::Comment => Msg::FormComment,
        FieldKind::Agent => Msg::FormAgent,
        FieldKind::Status => Msg::FormStatus,
        FieldKind::Text => Msg::FormText,
        FieldKind::Date => Msg::FormDate,
        FieldKind::Until => Msg::FormUntil,
        FieldKind::When => Msg::FormWhen,
        FieldKind::Step => Msg::FormStep,
    }
}

fn label_width(app: &App, form: &Form) -> usize {
    form.fields
        .iter()
        .map(|f| width(t(app.lang, label_of(f.kind))))
        .max()
        .unwrap_or(0)
}

/// What the form is about: the item's title (the first one's, when several are marked).
fn about(app: &App, form: &Form) -> String {
    let title = form
        .targets
        .first()
        .and_then(|k| app.queue.get(k))
        .map(|e| e.item.title.to_string())
        .unwrap_or_default();
    format!("→ {}", sanitize(&title))
}

fn title(app: &App, form: &Form) -> String {
    let mut sources: Vec<&str> = form.targets.iter().map(|k| k.source.as_str()).collect();
    sources.sort_unstable();
    sources.dedup();
    let msg = match form.kind {
        FormKind::Ack => Msg::FormAckTitle,
        FormKind::Downtime => Msg::FormDowntimeTitle,
        FormKind::Assign => Msg::FormAssignTitle,
        FormKind::SetStatus => Msg::FormStatusTitle,
        FormKind::Note => Msg::FormNoteTitle,
        FormKind::RestoreTestDone => Msg::FormRestoreTitle,
        FormKind::Unack => Msg::FormUnackTitle,
        FormKind::Take => Msg::FormTakeTitle,
        FormKind::Recheck => Msg::FormRecheckTitle,
        FormKind::Snooze => Msg::FormSnoozeTitle,
        FormKind::Nis2Mark => Msg::FormNis2MarkTitle,
        FormKind::Nis2Step => Msg::FormNis2StepTitle,
        FormKind::LocalNote => Msg::FormLocalNoteTitle,
    };
    let sources = if sources.len() > TITLE_SOURCES {
        fill(
            t(app.lang, Msg::FormMoreSources),
            &[
                &sources[..TITLE_SOURCES].join(", "),
                &(sources.len() - TITLE_SOURCES).to_string(),
            ],
        )
    } else {
        sources.join(", ")
    };
    let text = fill(t(app.lang, msg), &[&targets_phrase(app, form), &sources]);
    sanitize(&text).into_owned()
}

/// Source ids named in a form's title at most; more are counted ("and 13 more").
const TITLE_SOURCES: usize = 3;

/// Tenant names shown in a form's title at most; more are "…".
const TITLE_TENANTS: usize = 2;

/// How many items of which tenants: "12 items of 3 tenants (Müller GmbH, Schmidt AG, …)",
/// the tenants in queue order (the most urgent first), each name cut to 24 cells.
fn targets_phrase(app: &App, form: &Form) -> String {
    let mut tenants: Vec<&crate::model::TenantId> = Vec::new();
    for key in &form.targets {
        if let Some(e) = app.queue.get(key)
            && !tenants.contains(&&e.item.tenant)
        {
            tenants.push(&e.item.tenant);
        }
    }
    let name = |id: &crate::model::TenantId| truncate(app.tenant_name(id), 24).into_owned();
    let count = form.targets.len().to_string();
    match tenants.as_slice() {
        [] => count,
        [one] if form.targets.len() == 1 => fill(t(app.lang, Msg::FormTargetsOne), &[&name(one)]),
        [one] => fill(
            t(app.lang, Msg::FormTargetsOneTenant),
            &[&count, &name(one)],
        ),
        many => {
            let mut names: Vec<String> =
                many.iter().take(TITLE_TENANTS).map(|id| name(id)).collect();
            if many.len() > TITLE_TENANTS {
                names.push("…".into());
            }
            fill(
                t(app.lang, Msg::FormTargetsTenants),
                &[&count, &many.len().to_string(), &names.join(", ")],
            )
        }
    }
}
