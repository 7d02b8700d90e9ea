//! The tenant list: every tenant with its open items and its worst SLA state; choosing one
//! filters the queue to it.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};

use crate::app::state::App;
use crate::i18n::{Msg, t};
use crate::sla::Level;
use crate::text::{sanitize, truncate};
use crate::theme::Theme;

pub fn render(app: &App, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let block = Block::default()
        .borders(Borders::RIGHT | Borders::TOP)
        .border_style(theme.style("border.focused"))
        .title(Span::styled(
            t(app.lang, Msg::TenantsTitle),
            theme.style("title"),
        ));
    let inner = block.inner(area);
    block.render(area, buf);
    // Kept by the queue until it or an SLA level changes: no walk over the items per frame.
    let summary = app.queue.tenant_summary(app.now);
    let width = inner.width as usize;
    let mut lines = vec![row(
        theme,
        app.tenant_cursor == 0,
        t(app.lang, Msg::TenantsAll).to_string(),
        String::new(),
        "tenant",
    )];
    for (i, tenant) in app.tenants.iter().enumerate() {
        let state = summary.get(&tenant.id);
        let (open, worst) = (state.open, worst_style(state.worst));
        let name_w = width.saturating_sub(6);
        let name = truncate(&sanitize(&tenant.name), name_w).into_owned();
        let pad = name_w.saturating_sub(crate::text::width(&name));
        let name = format!("{name}{}", " ".repeat(pad));
        lines.push(row(
            theme,
            app.tenant_cursor == i + 1,
            name,
            format!("{open:>4}"),
            worst,
        ));
    }
    let h = inner.height as usize;
    let skip = app.tenant_cursor.saturating_sub(h.saturating_sub(1));
    let visible: Vec<Line> = lines.into_iter().skip(skip).take(h).collect();
    Paragraph::new(visible).render(inner, buf);
}

fn row(
    theme: &Theme,
    selected: bool,
    name: String,
    count: String,
    count_style: &str,
) -> Line<'static> {
    let base = if selected {
        theme.style("tenant.selected")
    } else {
        theme.style("tenant")
    };
    Line::from(vec![
        Span::styled(format!("{name} "), base),
        Span::styled(
            count,
            theme
                .style(count_style)
                .patch(if selected { base } else { Default::default() }),
        ),
    ])
}

fn worst_style(level: Option<Level>) -> &'static str {
    match level {
        Some(Level::Breached) => "sla.breached",
        Some(Level::Warning(_)) => "sla.warning",
        Some(Level::Ok) => "sla.ok",
        Some(Level::Paused) => "sla.paused",
        Some(Level::Met) => "sla.met",
        None => "sla.none",
    }
}
