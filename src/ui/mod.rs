//! Rendering only: draws the state into a buffer. Nothing here changes state. The queue table
//! builds rows for the visible slice only; everything from a source is sanitised first.

pub mod detail;
pub mod form;
pub mod format;
pub mod help;
pub mod layout;
pub mod queue;
pub mod session_menu;
pub mod sources;
pub mod statusbar;
pub mod tenants;

use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Widget, Wrap};

use crate::app::state::{App, Mode};
use crate::i18n::{Msg, fill, t};
use crate::theme::Theme;

/// Smallest terminal nightdesk draws its screens in.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 12;

/// Draws the whole UI into `buf`; returns where the text cursor belongs (input lines).
pub fn render(app: &App, theme: &Theme, area: Rect, buf: &mut Buffer) -> Option<Position> {
    buf.set_style(area, theme.style("text"));
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        render_too_small(app, theme, area, buf);
        return None;
    }
    let l = layout::split(area, app.detail_open, app.mode == Mode::Tenants);
    statusbar::render_top(app, theme, l.top, buf);
    let cursor = statusbar::render_input_line(app, theme, l.input, buf);
    if let Some(side) = l.tenants {
        tenants::render(app, theme, side, buf);
    }
    queue::render(app, theme, l.queue, buf);
    if let Some(detail) = l.detail {
        detail::render(app, theme, detail, buf);
    }
    let bottom_cursor = statusbar::render_bottom(app, theme, l.bottom, buf);
    let mut form_cursor = None;
    match app.mode {
        Mode::Help => help::render(app, theme, area, buf),
        Mode::Command => statusbar::render_completions(app, theme, l.queue, buf),
        Mode::Sources => sources::render(app, theme, area, buf),
        Mode::Prompt => form_cursor = form::render(app, theme, l.queue, buf),
        Mode::SessionMenu => session_menu::render(app, theme, l.queue, buf),
        _ => {}
    }
    form_cursor.or(cursor).or(bottom_cursor)
}

/// How many queue rows the layout of `area` gives (the state needs it for paging).
pub fn queue_rows(area: Rect, detail_open: bool, tenants: bool) -> usize {
    let l = layout::split(area, detail_open, tenants);
    l.queue.height.saturating_sub(1) as usize
}

fn render_too_small(app: &App, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let text = fill(
        t(app.lang, Msg::TooSmall),
        &[
            &area.width.to_string(),
            &area.height.to_string(),
            &MIN_WIDTH.to_string(),
            &MIN_HEIGHT.to_string(),
        ],
    );
    Paragraph::new(Line::styled(text, theme.style("warning")))
        .wrap(Wrap { trim: true })
        .render(area, buf);
}
