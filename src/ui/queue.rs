//! The queue table: one row per visible item, SLA state shown by style and by text/glyph.

use jiff::Timestamp;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, Widget};

use super::format;
use crate::app::state::App;
use crate::i18n::{Lang, Msg, fill, t};
use crate::model::{Item, Kind, Priority, StatusCategory};
use crate::queue::Entry;
use crate::sla::{Clock, Level};
use crate::text::{sanitize, truncate};
use crate::theme::Theme;

/// A column of the table; which ones show depends on the width.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Col {
    /// `*` marked.
    Flag,
    Priority,
    Sla,
    Due,
    Tenant,
    Kind,
    Title,
    Host,
    Status,
    Age,
}

/// The columns that fit `width`, each with its width; the title takes what is left.
fn columns(width: u16) -> Vec<(Col, u16)> {
    use Col::*;
    let wide = width >= 120;
    let names = match width {
        160.. => 24,
        120.. => 16,
        _ => 10,
    };
    let mut cols = vec![(Flag, 1), (Priority, 3), (Sla, 9)];
    if width >= 70 {
        cols.push((Due, 9));
    }
    cols.push((Tenant, names));
    if width >= 70 {
        cols.push((Kind, if wide { 6 } else { 1 }));
    }
    cols.push((Title, 0));
    if width >= 70 {
        cols.push((Host, names));
    }
    if width >= 100 {
        cols.push((Status, if width >= 160 { 20 } else { 10 }));
        cols.push((Age, 5));
    }
    let fixed: u16 = cols.iter().map(|(_, w)| w + 1).sum();
    let title = width.saturating_sub(fixed).max(8);
    for c in cols.iter_mut().filter(|(c, _)| *c == Title) {
        c.1 = title;
    }
    cols
}

pub fn render(app: &App, theme: &Theme, area: Rect, buf: &mut Buffer) {
    if area.height < 2 {
        return;
    }
    let cols = columns(area.width);
    let header = Row::new(
        cols.iter()
            .map(|(c, _)| Cell::from(header_text(app.lang, *c, area.width >= 120))),
    )
    .style(theme.style("header"));
    let rows_area = area.height as usize - 1;
    let end = (app.offset + rows_area).min(app.view.len());
    let rows: Vec<Row> = (app.offset..end)
        .filter_map(|row| {
            let entry = app.entry(app.view[row])?;
            let selected = row == app.cursor;
            Some(build_row(app, theme, entry, &cols, area.width, selected))
        })
        .collect();
    let widths: Vec<Constraint> = cols.iter().map(|(_, w)| Constraint::Length(*w)).collect();
    Table::new(rows, widths)
        .header(header)
        .column_spacing(1)
        .render(area, buf);
    if app.view.is_empty() {
        render_empty(app, theme, area, buf);
    }
}

fn render_empty(app: &App, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let msg = if app.filter.text().is_empty() {
        Msg::QueueEmpty
    } else {
        Msg::QueueNoMatch
    };
    let r = Rect {
        y: area.y + 2,
        height: 1,
        ..area
    };
    Paragraph::new(Line::styled(t(app.lang, msg), theme.style("text.muted")))
        .centered()
        .render(r, buf);
}

fn header_text(lang: Lang, col: Col, wide: bool) -> &'static str {
    let msg = match col {
        Col::Flag => Msg::ColFlag,
        Col::Priority => Msg::ColPriority,
        Col::Sla => Msg::ColSla,
        Col::Due => Msg::ColDue,
        Col::Tenant => Msg::ColTenant,
        // One letter wide: no room for a word, the letters speak for themselves.
        Col::Kind if !wide => return "",
        Col::Kind => Msg::ColKind,
        Col::Title => Msg::ColTitle,
        Col::Host => Msg::ColHost,
        Col::Status => Msg::ColStatus,
        Col::Age => Msg::ColAge,
    };
    t(lang, msg)
}

fn build_row<'a>(
    app: &'a App,
    theme: &Theme,
    entry: &'a Entry,
    cols: &[(Col, u16)],
    width: u16,
    selected: bool,
) -> Row<'a> {
    let item = &entry.item;
    let stale = app.queue.stale_since(entry);
    let clock = entry.clocks.nearest_unmet();
    let cells = cols.iter().map(|&(col, w)| match col {
        Col::Flag => flag_cell(app, theme, item),
        Col::Priority => priority_cell(theme, item.priority),
        Col::Sla => sla_cell(theme, clock, app.now),
        Col::Due => Cell::from(due_text(app, clock)).style(theme.style("text.muted")),
        Col::Tenant => Cell::from(fit(app.tenant_name(&item.tenant), w)),
        Col::Kind => kind_cell(app.lang, theme, item.kind, width),
        Col::Title => title_cell(app, theme, item, stale, w),
        Col::Host => Cell::from(fit(short_host(item.host.as_deref(), width), w)),
        Col::Status => status_cell(app.lang, theme, item, w),
        Col::Age => Cell::from(format::age(
            app.now.duration_since(item.created.timestamp()),
        )),
    });
    let mut style = if stale.is_some() {
        theme.style("data.stale")
    } else {
        Style::default()
    };
    if selected {
        style = style.patch(theme.style("selection"));
    }
    Row::new(cells).style(style)
}

/// One glyph, most important first: `*` marked, `§` NIS-2 incident, `z` snoozed (when
/// snoozed items are shown), `+` new or changed since I last looked, `n` has local notes.
fn flag_cell(app: &App, theme: &Theme, item: &Item) -> Cell<'static> {
    let (glyph, style) = if app.marked.contains(&item.key) {
        ("*", "marked")
    } else if item.sla.nis2.is_some() {
        ("§", "priority.p1")
    } else if app.marks.is_snoozed(&item.key) {
        ("z", "text.muted")
    } else if app.marks.is_new(item) {
        ("+", "status.new")
    } else if app.marks.notes.contains_key(&item.key) {
        ("n", "text.muted")
    } else {
        (" ", "text")
    };
    Cell::from(glyph).style(theme.style(style))
}

fn priority_cell(theme: &Theme, p: Priority) -> Cell<'static> {
    let name = match p {
        Priority::P1 => "priority.p1",
        Priority::P2 => "priority.p2",
        Priority::P3 => "priority.p3",
        Priority::P4 => "priority.p4",
    };
    let text = if p == Priority::P1 { "!P1" } else { "" };
    let text = if text.is_empty() {
        format!(" {p}")
    } else {
        text.to_string()
    };
    Cell::from(text).style(theme.style(name))
}

/// The glyph (two cells) and style name of an SLA level. The glyph carries the meaning
/// without colour: `!!` breached, `! ` warning, `‖ ` paused, `✓ ` met, `  ` fine. The queue's
/// SLA column and the tenant list's worst state use the same.
pub fn sla_glyph(level: Level) -> (&'static str, &'static str) {
    match level {
        Level::Breached => ("!!", "sla.breached"),
        Level::Warning(_) => ("! ", "sla.warning"),
        Level::Paused => ("‖ ", "sla.paused"),
        Level::Met => ("✓ ", "sla.met"),
        Level::Ok => ("  ", "sla.ok"),
    }
}

/// The glyph of "no SLA" (no clock at all), with the style `sla.none`.
pub const NO_SLA_GLYPH: &str = "—";

/// The SLA cell: glyph + countdown ([`sla_glyph`]), `—` for no SLA.
fn sla_cell(theme: &Theme, clock: Option<&Clock>, now: Timestamp) -> Cell<'static> {
    let Some(clock) = clock else {
        return Cell::from(format!("  {NO_SLA_GLYPH}")).style(theme.style("sla.none"));
    };
    let level = clock.level(now);
    let (glyph, style) = sla_glyph(level);
    let remaining = match level {
        Level::Paused => clock.remaining_when_paused().unwrap_or_default(),
        _ => clock.remaining(now),
    };
    Cell::from(format!("{glyph}{}", format::countdown(remaining))).style(theme.style(style))
}

fn due_text(app: &App, clock: Option<&Clock>) -> String {
    // The due clock time of a running clock; a paused clock has none.
    match clock {
        Some(c) if c.paused_since().is_none() => {
            crate::sla::due_label(c.due(), &app.tz, app.lang.is_german())
        }
        Some(_) => t(app.lang, Msg::SlaPaused).to_string(),
        None => String::new(),
    }
}

fn kind_cell(lang: Lang, theme: &Theme, kind: Kind, width: u16) -> Cell<'static> {
    let (msg, style) = match kind {
        Kind::Ticket => (Msg::KindTicket, "kind.ticket"),
        Kind::Alert => (Msg::KindAlert, "kind.alert"),
        Kind::Backup => (Msg::KindBackup, "kind.backup"),
    };
    let full = t(lang, msg);
    // Narrow: one letter (T, A, B), the colour of the kind as well, under a blank header.
    let text = if width >= 120 {
        full.to_string()
    } else {
        full.chars().take(1).flat_map(char::to_uppercase).collect()
    };
    Cell::from(text).style(theme.style(style))
}

fn title_cell<'a>(
    app: &'a App,
    theme: &Theme,
    item: &'a Item,
    stale: Option<Timestamp>,
    w: u16,
) -> Cell<'a> {
    match stale {
        Some(since) => {
            let age = format::age(app.now.duration_since(since));
            let tag = format!("[{}] ", fill(t(app.lang, Msg::Stale), &[&age]));
            let rest = (w as usize).saturating_sub(crate::text::width(&tag));
            Cell::from(Line::from(vec![
                Span::styled(tag, theme.style("data.stale")),
                Span::raw(fit(&item.title, rest as u16)),
            ]))
        }
        None => Cell::from(fit(&item.title, w)),
    }
}

/// Sanitised and cut to `w` cells with an ellipsis.
fn fit(text: &str, w: u16) -> String {
    truncate(&sanitize(text), w as usize).into_owned()
}

/// On narrow screens only the host part before the first dot (`srv-dc01`).
fn short_host(host: Option<&str>, width: u16) -> &str {
    let host = host.unwrap_or("");
    if width >= 160 {
        return host;
    }
    host.split('.').next().unwrap_or(host)
}

fn status_cell(lang: Lang, theme: &Theme, item: &Item, w: u16) -> Cell<'static> {
    let (msg, style) = match item.status.category {
        StatusCategory::New => (Msg::StatusNew, "status.new"),
        StatusCategory::Acknowledged => (Msg::StatusAcknowledged, "status.acknowledged"),
        StatusCategory::Waiting => (Msg::StatusWaiting, "status.waiting"),
        StatusCategory::Resolved => (Msg::StatusResolved, "status.resolved"),
    };
    let label = if item.status.label.is_empty() {
        t(lang, msg)
    } else {
        &item.status.label
    };
    let text = fit(label, w);
    Cell::from(text).style(theme.style(style))
}
