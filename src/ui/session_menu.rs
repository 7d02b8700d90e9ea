//! The session menu: a box over the lower part of the queue with one line per profile that
//! fits the selected item — its first letter, name, mode and the command it would run (or
//! why it would be refused), so the technician sees what runs before it runs.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget};

use crate::app::session::MenuEntry;
use crate::app::state::App;
use crate::i18n::{Msg, fill, t};
use crate::text::{sanitize, truncate};
use crate::theme::Theme;

/// Draws the open menu over the bottom of `queue`.
pub fn render(app: &App, theme: &Theme, queue: Rect, buf: &mut Buffer) {
    let Some(menu) = &app.session_menu else {
        return;
    };
    let h = (menu.entries.len() as u16 + 3).min(queue.height);
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
        .title(Span::styled(title(app), theme.style("title")));
    let inner = block.inner(area);
    block.render(area, buf);
    let name_w = menu
        .entries
        .iter()
        .map(|e| e.profile.len())
        .max()
        .unwrap_or(0);
    let mut lines: Vec<Line> = menu
        .entries
        .iter()
        .enumerate()
        .map(|(i, e)| entry_line(app, theme, e, name_w, i == menu.cursor, inner.width))
        .collect();
    lines.push(Line::styled(
        t(app.lang, Msg::SessionMenuHint),
        theme.style("text.muted"),
    ));
    Paragraph::new(lines).render(inner, buf);
}

fn title(app: &App) -> String {
    let target = app
        .session_menu
        .as_ref()
        .and_then(|m| app.queue.get(&m.item))
        .map(|e| {
            let host = e
                .item
                .host
                .as_deref()
                .or(e.item.address.as_deref())
                .unwrap_or("");
            format!("{}/{}", app.tenant_name(&e.item.tenant), host)
        })
        .unwrap_or_default();
    let text = fill(
        t(app.lang, Msg::SessionMenuTitle),
        &[&truncate(&sanitize(&target), 40)],
    );
    sanitize(&text).into_owned()
}

fn entry_line<'a>(
    app: &App,
    theme: &Theme,
    entry: &MenuEntry,
    name_w: usize,
    selected: bool,
    width: u16,
) -> Line<'a> {
    let letter = entry.profile.chars().next().unwrap_or(' ');
    let head = format!(
        " {letter}  {:<name_w$}  {:<6}  ",
        entry.profile,
        entry.mode.name()
    );
    let room = (width as usize).saturating_sub(head.chars().count());
    let (text, style) = match &entry.preview {
        Ok(command) => (sanitize(command).into_owned(), "text"),
        Err(why) => (format!("✗ {}", why.describe(app.lang)), "error"),
    };
    let mut line = Line::from(vec![
        Span::styled(head, theme.style("help.key")),
        Span::styled(
            truncate(&sanitize(&text), room).into_owned(),
            theme.style(style),
        ),
    ]);
    if selected {
        line = line.style(theme.style("selection"));
    }
    line
}
