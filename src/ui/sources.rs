//! The sources view: every configured source with its kind, health, since when, when it
//! last answered, and what is wrong; sources without TLS checks are marked in capitals.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget};

use crate::app::state::{App, SourceInfo};
use crate::i18n::{Msg, fill, t};
use crate::model::{Health, SourceId};
use crate::text::{sanitize, truncate};
use crate::theme::Theme;

pub fn render(app: &App, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let w = area.width.saturating_sub(4).min(120);
    let popup = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + 2,
        width: w,
        height: area.height.saturating_sub(4),
    };
    Clear.render(popup, buf);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style("popup.border"))
        .style(theme.style("popup"))
        .title(Span::styled(
            t(app.lang, Msg::SourcesTitle),
            theme.style("title"),
        ));
    let inner = block.inner(popup);
    block.render(popup, buf);
    let width = inner.width as usize;
    let lines: Vec<Line> = app
        .sources
        .iter()
        .enumerate()
        .flat_map(|(i, (id, info))| {
            source_lines(app, theme, id, info, i == app.source_cursor, width)
        })
        .collect();
    let h = inner.height as usize;
    let skip = (app.source_cursor * 2).saturating_sub(h.saturating_sub(2));
    let visible: Vec<Line> = lines.into_iter().skip(skip).take(h).collect();
    Paragraph::new(visible).render(inner, buf);
}

/// Two lines per source: `id kind health since` and, indented, the reason and last ok.
fn source_lines<'a>(
    app: &App,
    theme: &Theme,
    id: &SourceId,
    info: &SourceInfo,
    selected: bool,
    width: usize,
) -> Vec<Line<'a>> {
    let (msg, style) = health_word(&info.health);
    let since = super::format::age(app.now.duration_since(info.since));
    let mut first = vec![
        Span::styled(
            format!("{:<20} ", truncate(&sanitize(id.as_str()), 20)),
            theme.style(if selected { "selection" } else { "title" }),
        ),
        Span::styled(
            format!("{:<13} ", info.meta.kind),
            theme.style("text.muted"),
        ),
        Span::styled(format!("{} {since}", t(app.lang, msg)), theme.style(style)),
    ];
    if info.meta.insecure {
        first.push(Span::styled(
            format!("  {}", t(app.lang, Msg::SourcesInsecure)),
            theme.style("error"),
        ));
    }
    let last_ok = match info.last_ok {
        Some(at) => fill(
            t(app.lang, Msg::SourcesLastOk),
            &[&crate::sla::due_label(at, &app.tz, app.lang.is_german())],
        ),
        None => t(app.lang, Msg::SourcesNeverOk).to_string(),
    };
    let reason = match &info.health {
        Health::Degraded(m) | Health::Down(m) | Health::AuthFailed(m) => format!("{last_ok}: {m}"),
        Health::Ok | Health::Pending => last_ok,
    };
    let reason = truncate(&sanitize(&reason), width.saturating_sub(4)).into_owned();
    vec![
        Line::from(first),
        Line::styled(format!("    {reason}"), theme.style("text.muted")),
    ]
}

pub fn health_word(health: &Health) -> (Msg, &'static str) {
    match health {
        Health::Ok => (Msg::HealthOk, "health.ok"),
        Health::Degraded(_) => (Msg::HealthDegraded, "health.degraded"),
        Health::Down(_) => (Msg::HealthDown, "health.down"),
        Health::AuthFailed(_) => (Msg::HealthAuthFailed, "health.auth-failed"),
        Health::Pending => (Msg::HealthPending, "health.pending"),
    }
}
