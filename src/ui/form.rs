//! The write-back form, drawn as a box over the lower part of the queue: what will be sent
//! where, one line per field with the cursor in the focused one, and the form's own error.

use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget};

use crate::app::form::{Field, Form, FormKind};
use crate::app::input::LineInput;
use crate::app::state::App;
use crate::i18n::{Msg, fill, t};
use crate::text::{sanitize, width};
use crate::theme::Theme;

/// Height of the form box.
const HEIGHT: u16 = 7;

/// Draws the open form over the bottom of `queue`; returns the cursor position.
pub fn render(app: &App, theme: &Theme, queue: Rect, buf: &mut Buffer) -> Option<Position> {
    let form = app.form.as_ref()?;
    let h = HEIGHT.min(queue.height);
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
    let label_w = label_width(app);
    let mut lines = vec![
        Line::styled(about(app, form), theme.style("text.muted")),
        field_line(app, theme, Msg::FormDuration, &form.duration, label_w),
        field_line(app, theme, Msg::FormComment, &form.comment, label_w),
    ];
    lines.push(match &form.error {
        Some(e) => Line::styled(sanitize(e).into_owned(), theme.style("error")),
        None => Line::styled(
            t(app.lang, Msg::FormDurationHint),
            theme.style("text.muted"),
        ),
    });
    lines.push(Line::styled(
        t(app.lang, Msg::FormHint),
        theme.style("text.muted"),
    ));
    Paragraph::new(lines).render(inner, buf);
    let (row, line) = match form.focus {
        Field::Duration => (1, &form.duration),
        Field::Comment => (2, &form.comment),
    };
    let before: String = line.text().chars().take(line.cursor()).collect();
    let x = inner.x as usize + label_w + 2 + width(&sanitize(&before));
    (row < inner.height).then(|| {
        Position::new(
            x.min(inner.right().saturating_sub(1) as usize) as u16,
            inner.y + row,
        )
    })
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
    };
    let text = fill(
        t(app.lang, msg),
        &[&form.targets.len().to_string(), &sources.join(", ")],
    );
    sanitize(&text).into_owned()
}

fn label_width(app: &App) -> usize {
    [Msg::FormDuration, Msg::FormComment]
        .iter()
        .map(|m| width(t(app.lang, *m)))
        .max()
        .unwrap_or(0)
}

fn field_line<'a>(
    app: &App,
    theme: &Theme,
    label: Msg,
    input: &LineInput,
    label_w: usize,
) -> Line<'a> {
    Line::from(vec![
        Span::styled(
            format!(
                "{:<w$} ",
                format!("{}:", t(app.lang, label)),
                w = label_w + 1
            ),
            theme.style("filter.prompt"),
        ),
        Span::styled(sanitize(input.text()).into_owned(), theme.style("filter")),
    ])
}
