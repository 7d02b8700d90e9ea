//! The help overlay, generated from the active keymap: every context's bindings with the
//! action's description, so a rebound key shows up as it is.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget};

use crate::action::Context;
use crate::app::state::App;
use crate::i18n::{Msg, describe, fill, t};
use crate::theme::Theme;

/// The lines of the help screen (also used by tests).
pub fn lines(app: &App, theme: &Theme) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    for ctx in Context::ALL {
        let own: Vec<_> = app
            .keymap
            .bindings(ctx)
            .into_iter()
            .filter(|b| !b.inherited)
            .collect();
        if own.is_empty() {
            continue;
        }
        out.push(Line::styled(
            format!("[{}]", ctx.name()),
            theme.style("help.section"),
        ));
        for b in own {
            out.push(Line::from(vec![
                Span::styled(format!("  {:<12} ", b.display), theme.style("help.key")),
                Span::styled(
                    format!("{:<22} ", b.action.to_string()),
                    theme.style("help.action"),
                ),
                Span::raw(describe(app.lang, b.action.id).to_string()),
            ]));
        }
    }
    out
}

pub fn render(app: &App, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let w = area.width.saturating_sub(4).min(100);
    let h = area.height.saturating_sub(2);
    let popup = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + 1,
        width: w,
        height: h,
    };
    Clear.render(popup, buf);
    let title = fill(t(app.lang, Msg::HelpTitle), &[app.keymap.name()]);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style("popup.border"))
        .style(theme.style("popup"))
        .title(Span::styled(title, theme.style("title")));
    let inner = block.inner(popup);
    block.render(popup, buf);
    let all = lines(app, theme);
    let max_scroll = all.len().saturating_sub(inner.height as usize);
    let scroll = app.help_scroll.min(max_scroll);
    let visible: Vec<Line> = all
        .into_iter()
        .skip(scroll)
        .take(inner.height as usize)
        .collect();
    Paragraph::new(visible).render(inner, buf);
}
