//! The tenant list: every tenant with its open items and its worst SLA state; choosing one
//! filters the queue to it.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};

use std::collections::HashMap;

use crate::app::state::App;
use crate::i18n::{Msg, t};
use crate::model::{StatusCategory, TenantId};
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
    let summary = tenant_summary(app);
    let width = inner.width as usize;
    let mut lines = vec![row(
        theme,
        app.tenant_cursor == 0,
        t(app.lang, Msg::TenantsAll).to_string(),
        String::new(),
        "tenant",
    )];
    for (i, tenant) in app.tenants.iter().enumerate() {
        let (open, worst) = summary.get(&tenant.id).copied().unwrap_or((0, None));
        let worst = worst_style(worst);
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

/// Open items and the worst SLA level per tenant.
fn tenant_summary(app: &App) -> HashMap<TenantId, (usize, Option<Level>)> {
    let mut out: HashMap<TenantId, (usize, Option<Level>)> = HashMap::new();
    for (_, entry) in app.queue.iter() {
        if entry.item.status.category == StatusCategory::Resolved {
            continue;
        }
        let slot = out.entry(entry.item.tenant.clone()).or_default();
        slot.0 += 1;
        if let Some(level) = entry.clocks.nearest_unmet().map(|c| c.level(app.now)) {
            slot.1 = Some(slot.1.map_or(level, |w| worse(w, level)));
        }
    }
    out
}

fn rank(level: Level) -> u8 {
    match level {
        Level::Breached => 4,
        Level::Warning(i) => 2 + i.min(1),
        Level::Ok => 1,
        Level::Paused | Level::Met => 0,
    }
}

fn worse(a: Level, b: Level) -> Level {
    if rank(b) > rank(a) { b } else { a }
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
