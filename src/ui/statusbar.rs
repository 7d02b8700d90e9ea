//! The top line (title, counts per priority, clock), the input line (filter or pending keys)
//! and the bottom status bar (source health, last action's result, key hints).

use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Widget};

use crate::action::ActionId;
use crate::app::state::{App, Mode};
use crate::i18n::{Msg, fill, t};
use crate::model::{Health, Priority};
use crate::text::{sanitize, width};
use crate::theme::Theme;

/// `nightdesk  !P1 3  P2 12  P3 80  P4 40  212/230                Sa 21:03`
pub fn render_top(app: &App, theme: &Theme, area: Rect, buf: &mut Buffer) {
    buf.set_style(area, theme.style("statusbar"));
    let mut spans = vec![Span::styled(
        format!(" {} ", t(app.lang, Msg::AppTitle)),
        theme.style("title"),
    )];
    for p in Priority::ALL {
        let style = match p {
            Priority::P1 => "priority.p1",
            Priority::P2 => "priority.p2",
            Priority::P3 => "priority.p3",
            Priority::P4 => "priority.p4",
        };
        spans.push(Span::styled(
            format!(" {p} {} ", app.count(p)),
            theme.style(style),
        ));
    }
    let count = fill(
        t(app.lang, Msg::QueueCount),
        &[&app.view.len().to_string(), &app.queue.len().to_string()],
    );
    spans.push(Span::styled(format!(" {count}"), theme.style("text.muted")));
    let snoozed = app.marks.snoozes.len();
    if snoozed > 0 {
        let text = fill(t(app.lang, Msg::SnoozedCount), &[&snoozed.to_string()]);
        spans.push(Span::styled(
            format!(" · {text}"),
            theme.style("text.muted"),
        ));
    }
    Paragraph::new(Line::from(spans)).render(area, buf);
    let clock = crate::sla::due_label(app.now, &app.tz, app.lang.is_german());
    let w = width(&clock) as u16 + 1;
    if area.width > w {
        let r = Rect {
            x: area.right() - w,
            width: w,
            ..area
        };
        Paragraph::new(Span::styled(clock, theme.style("statusbar.clock"))).render(r, buf);
    }
}

/// The filter line: while typing it shows the input with a cursor; otherwise the active
/// filter, a filter error, or the keys of a pending sequence.
pub fn render_input_line(
    app: &App,
    theme: &Theme,
    area: Rect,
    buf: &mut Buffer,
) -> Option<Position> {
    if !app.pending.is_empty() {
        let keys: Vec<String> = app.pending.iter().map(|k| k.to_string()).collect();
        let text = fill(t(app.lang, Msg::PendingKeys), &[&keys.join(" ")]);
        let mut spans = vec![Span::styled(text, theme.style("warning"))];
        for (keys, action) in &app.continuations {
            spans.push(Span::styled(format!("  {keys}"), theme.style("help.key")));
            spans.push(Span::styled(
                format!(" {action}"),
                theme.style("help.action"),
            ));
        }
        Paragraph::new(Line::from(spans)).render(area, buf);
        return None;
    }
    let typing = app.mode == Mode::Filter;
    if !typing && app.filter.text().is_empty() {
        return None;
    }
    let prompt = t(app.lang, Msg::FilterPrompt);
    let mut spans = vec![
        Span::styled(format!("{prompt} "), theme.style("filter.prompt")),
        Span::styled(app.filter.text().to_string(), theme.style("filter")),
    ];
    if let Some(err) = &app.filter_error {
        let msg = fill(t(app.lang, Msg::FilterError), &[err]);
        spans.push(Span::styled(
            format!("   {msg}"),
            theme.style("filter.error"),
        ));
    }
    Paragraph::new(Line::from(spans)).render(area, buf);
    typing.then(|| cursor_at(area, width(prompt) + 1, &app.filter))
}

fn cursor_at(area: Rect, prefix: usize, line: &crate::app::input::LineInput) -> Position {
    let before: String = line.text().chars().take(line.cursor()).collect();
    let x = area.x as usize + prefix + width(&before);
    Position::new(
        x.min(area.right().saturating_sub(1) as usize) as u16,
        area.y,
    )
}

/// Bottom line: command line when typing one, else sources, flash message and key hints.
pub fn render_bottom(app: &App, theme: &Theme, area: Rect, buf: &mut Buffer) -> Option<Position> {
    buf.set_style(area, theme.style("statusbar"));
    if app.mode == Mode::Command {
        let prompt = t(app.lang, Msg::CommandPrompt);
        let line = Line::from(vec![
            Span::styled(prompt, theme.style("command.prompt")),
            Span::styled(app.command.text().to_string(), theme.style("command")),
        ]);
        Paragraph::new(line).render(area, buf);
        return Some(cursor_at(area, width(prompt), &app.command));
    }
    let mut spans = source_spans(app, theme);
    if let Some(flash) = &app.flash {
        let style = if flash.error { "error" } else { "statusbar" };
        spans.push(Span::raw(" │ "));
        spans.push(Span::styled(
            sanitize(&flash.text).into_owned(),
            theme.style(style),
        ));
    }
    Paragraph::new(Line::from(spans)).render(area, buf);
    render_hints(app, theme, area, buf);
    None
}

/// Health of the sources: all fine in one word, otherwise each troubled source by name.
fn source_spans(app: &App, theme: &Theme) -> Vec<Span<'static>> {
    let total = app.sources.len();
    let ok = app.sources.values().filter(|s| s.health.is_ok()).count();
    let mut spans = vec![Span::styled(
        format!(" {} {ok}/{total}", t(app.lang, Msg::SourcesOk)),
        theme.style(if ok == total {
            "health.ok"
        } else {
            "health.degraded"
        }),
    )];
    let insecure = app.sources.values().filter(|s| s.meta.insecure).count();
    if insecure > 0 {
        spans.push(Span::styled(
            format!(" {} ({insecure})", t(app.lang, Msg::SourcesInsecure)),
            theme.style("error"),
        ));
    }
    for (id, info) in app.sources.iter().filter(|(_, s)| !s.health.is_ok()) {
        let (msg, style) = match info.health {
            Health::Down(_) => (Msg::SourceDown, "health.down"),
            Health::AuthFailed(_) => (Msg::SourceAuthFailed, "health.auth-failed"),
            Health::Degraded(_) => (Msg::SourceDegraded, "health.degraded"),
            Health::Pending | Health::Ok => (Msg::SourcePending, "health.pending"),
        };
        let age = super::format::age(app.now.duration_since(info.since));
        let text = fill(t(app.lang, msg), &[id.as_str()]);
        spans.push(Span::raw(" "));
        spans.push(Span::styled(format!("{text} {age}"), theme.style(style)));
    }
    spans
}

/// Right-aligned hints built from the active keymap: `? help  / filter  q quit`.
fn render_hints(app: &App, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let hints = [
        (ActionId::Help, Msg::HintHelp),
        (ActionId::Filter, Msg::HintFilter),
        (ActionId::CommandLine, Msg::HintCommand),
        (ActionId::Quit, Msg::HintQuit),
    ];
    let mut spans = Vec::new();
    for (id, msg) in hints {
        if let Some(keys) = app.keymap.keys_for(app.context(), id).first() {
            spans.push(Span::styled(keys.to_string(), theme.style("statusbar.key")));
            spans.push(Span::styled(
                format!(" {} ", t(app.lang, msg)),
                Style::default(),
            ));
        }
    }
    let line = Line::from(spans);
    let w = line.width() as u16;
    let used = buf_row_used(buf, area);
    if area.width >= w + used + 2 {
        let r = Rect {
            x: area.right() - w,
            width: w,
            ..area
        };
        Paragraph::new(line).render(r, buf);
    }
}

/// How many cells from the left of `area` already hold text.
fn buf_row_used(buf: &Buffer, area: Rect) -> u16 {
    (area.left()..area.right())
        .rev()
        .find(|&x| buf[(x, area.y)].symbol() != " ")
        .map_or(0, |x| x - area.left() + 1)
}

/// Completions of the command line, listed just above it.
pub fn render_completions(app: &App, theme: &Theme, queue: Rect, buf: &mut Buffer) {
    let n = app.completions.len().min(8) as u16;
    if n == 0 || queue.height < n {
        return;
    }
    let area = Rect {
        y: queue.bottom() - n,
        height: n,
        width: queue.width.min(60),
        ..queue
    };
    Clear.render(area, buf);
    let typed = app.command.text().trim();
    let lines: Vec<Line> = app
        .completions
        .iter()
        .take(n as usize)
        .map(|name| {
            let style = if *name == typed {
                "completion.selected"
            } else {
                "completion"
            };
            let id = crate::action::ActionId::by_name(name).expect("registry name");
            Line::styled(
                format!(" {name:<18} {}", crate::i18n::describe(app.lang, id)),
                theme.style(style),
            )
        })
        .collect();
    Paragraph::new(lines).render(area, buf);
}
