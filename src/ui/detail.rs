//! The detail pane: every field of the selected item, its SLA clocks, its local notes, the
//! related items of the same tenant and host (the ticket, the alerts and the backup finding
//! together) and its timeline.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget, Wrap};

use super::format;
use crate::app::state::App;
use crate::i18n::{Msg, fill, t};
use crate::model::{Item, Moment};
use crate::sla::{ClockKind, Level};
use crate::text::sanitize;
use crate::theme::Theme;

pub fn render(app: &App, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let block = Block::default()
        .borders(Borders::TOP | Borders::LEFT)
        .border_style(theme.style("border"))
        .title(Span::styled(
            t(app.lang, Msg::DetailTitle),
            theme.style("title"),
        ));
    let inner = block.inner(area);
    block.render(area, buf);
    let Some(id) = app.selected_id() else {
        return;
    };
    let Some(entry) = app.entry(id) else {
        return;
    };
    let mut lines = vec![Line::styled(
        sanitize(&entry.item.title).into_owned(),
        theme.style("title"),
    )];
    // Most useful first: at 80x24 the pane has about ten lines.
    lines.extend(clocks(app, theme, entry));
    lines.extend(local_notes(app, theme, &entry.item));
    lines.extend(related(app, theme, &entry.item));
    lines.extend(timeline(app, theme, &entry.item));
    lines.extend(fields(app, theme, &entry.item));
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .render(inner, buf);
}

fn field<'a>(theme: &Theme, label: &'a str, value: String) -> Line<'a> {
    Line::from(vec![
        Span::styled(format!("{label:<10} "), theme.style("detail.label")),
        Span::styled(value, theme.style("detail.value")),
    ])
}

fn fields<'a>(app: &'a App, theme: &Theme, item: &'a Item) -> Vec<Line<'a>> {
    let l = app.lang;
    let opt = |v: Option<&str>| v.map(|s| sanitize(s).into_owned()).unwrap_or_default();
    let when = |ts: jiff::Timestamp| {
        format!(
            "{} ({})",
            crate::sla::due_label(ts, &app.tz, l.is_german()),
            format::age(app.now.duration_since(ts))
        )
    };
    let mut out = vec![
        field(
            theme,
            t(l, Msg::DetailTenant),
            sanitize(app.tenant_name(&item.tenant)).into_owned(),
        ),
        field(
            theme,
            t(l, Msg::DetailSource),
            format!("{} / {}", item.key.source, sanitize(&item.key.external_id)),
        ),
        field(theme, t(l, Msg::DetailHost), opt(item.host.as_deref())),
        field(
            theme,
            t(l, Msg::DetailAddress),
            opt(item.address.as_deref()),
        ),
        field(
            theme,
            t(l, Msg::DetailPriority),
            format!("{}  {}", item.priority, sanitize(&item.status.label)),
        ),
        field(
            theme,
            t(l, Msg::DetailCreated),
            when(item.created.timestamp()),
        ),
        field(
            theme,
            t(l, Msg::DetailUpdated),
            when(item.updated.timestamp()),
        ),
        field(
            theme,
            t(l, Msg::DetailAssignee),
            item.assignee
                .as_deref()
                .map(|a| sanitize(a).into_owned())
                .unwrap_or_else(|| t(l, Msg::DetailNobody).to_string()),
        ),
    ];
    out.retain(|line| !line.spans.get(1).is_some_and(|v| v.content.is_empty()));
    if !item.labels.is_empty() {
        let labels = item
            .labels
            .iter()
            .map(|(k, v)| format!("{}={}", sanitize(k), sanitize(v)))
            .collect::<Vec<_>>()
            .join(" ");
        out.push(field(theme, t(l, Msg::DetailLabels), labels));
    }
    if let Some(link) = &item.link {
        out.push(field(
            theme,
            t(l, Msg::DetailLink),
            sanitize(link).into_owned(),
        ));
    }
    out
}

fn clocks<'a>(app: &App, theme: &Theme, entry: &crate::queue::Entry) -> Vec<Line<'a>> {
    let l = app.lang;
    let mut out = vec![Line::styled(
        t(l, Msg::DetailClocks),
        theme.style("help.section"),
    )];
    if entry.clocks.clocks.is_empty() {
        out.push(Line::styled(t(l, Msg::SlaNone), theme.style("sla.none")));
    }
    for clock in &entry.clocks.clocks {
        let name = t(
            l,
            match clock.kind {
                ClockKind::FirstResponse => Msg::ClockFirstResponse,
                ClockKind::NextUpdate => Msg::ClockNextUpdate,
                ClockKind::Resolution => Msg::ClockResolution,
                ClockKind::Nis2EarlyWarning => Msg::ClockNis2EarlyWarning,
                ClockKind::Nis2Notification => Msg::ClockNis2Notification,
                ClockKind::Nis2FinalReport => Msg::ClockNis2FinalReport,
            },
        );
        let label = |ts| crate::sla::due_label(ts, &app.tz, l.is_german());
        let (state, style) = match clock.level(app.now) {
            Level::Met => (
                fill(
                    t(l, Msg::DetailMetAt),
                    &[&label(clock.met_at().unwrap_or(clock.due()))],
                ),
                "sla.met",
            ),
            Level::Paused => (
                fill(
                    t(l, Msg::DetailPausedSince),
                    &[&label(clock.paused_since().unwrap_or(clock.due()))],
                ),
                "sla.paused",
            ),
            level => (
                format!(
                    "{}  {}",
                    fill(t(l, Msg::DetailDueAt), &[&label(clock.due())]),
                    format::countdown(clock.remaining(app.now))
                ),
                match level {
                    Level::Breached => "sla.breached",
                    Level::Warning(_) => "sla.warning",
                    _ => "sla.ok",
                },
            ),
        };
        out.push(Line::from(vec![
            Span::styled(format!("{name:<16} "), theme.style("detail.label")),
            Span::styled(state, theme.style(style)),
        ]));
    }
    out
}

fn related<'a>(app: &'a App, theme: &Theme, item: &Item) -> Vec<Line<'a>> {
    let l = app.lang;
    let mut out = vec![Line::styled(
        t(l, Msg::DetailRelated),
        theme.style("help.section"),
    )];
    let ids = app.queue.related(&item.key);
    if ids.is_empty() {
        out.push(Line::styled(
            t(l, Msg::DetailNoRelated),
            theme.style("text.muted"),
        ));
    }
    for r in ids.into_iter().filter_map(|id| app.entry(id)).take(8) {
        let r = &r.item;
        out.push(Line::styled(
            format!(
                "{} {:<6} {}",
                r.priority,
                crate::i18n::kind_label(l, r.kind),
                sanitize(&r.title)
            ),
            theme.style("related"),
        ));
    }
    out
}

/// The item's local notes, newest first, each with its time and author, every line of it.
fn local_notes<'a>(app: &'a App, theme: &Theme, item: &Item) -> Vec<Line<'a>> {
    let Some(notes) = app.marks.notes.get(&item.key).filter(|n| !n.is_empty()) else {
        return Vec::new();
    };
    let l = app.lang;
    let mut out = vec![Line::styled(
        t(l, Msg::DetailLocalNotes),
        theme.style("help.section"),
    )];
    for note in notes.iter().rev() {
        let head = format!(
            "{} {}: ",
            crate::sla::due_label(note.at, &app.tz, l.is_german()),
            sanitize(&note.user)
        );
        let indent = " ".repeat(head.chars().count());
        for (n, line) in note.text.lines().enumerate() {
            let lead = if n == 0 { head.clone() } else { indent.clone() };
            out.push(Line::from(vec![
                Span::styled(lead, theme.style("detail.label")),
                Span::styled(sanitize(line).into_owned(), theme.style("detail.value")),
            ]));
        }
    }
    out
}

/// Lines of the timeline shown at most (newest first).
const TIMELINE_LINES: usize = 8;

/// What happened to the item, newest first: what the source says (created, first response,
/// pauses, the current status, resolved), the status changes nightdesk saw in this session,
/// and what was done from nightdesk (the audit log).
fn timeline<'a>(app: &'a App, theme: &Theme, item: &Item) -> Vec<Line<'a>> {
    let l = app.lang;
    let mut events: Vec<(jiff::Timestamp, String, &'static str)> = Vec::new();
    events.push((
        item.created.timestamp(),
        t(l, Msg::TimelineCreated).to_string(),
        "text.muted",
    ));
    if let Some(at) = item.sla.first_response_at.map(Moment::timestamp) {
        events.push((
            at,
            t(l, Msg::TimelineFirstResponse).to_string(),
            "text.muted",
        ));
    }
    for p in &item.sla.past_pauses {
        let span = format::age(p.end.duration_since(p.start));
        events.push((
            p.start,
            fill(t(l, Msg::TimelinePause), &[&span]),
            "text.muted",
        ));
    }
    // Every status change seen in this session, and the current status since when the
    // source says (unless that is one of the changes seen, or the creation).
    let seen = app
        .status_changes
        .get(&item.key)
        .map_or(&[][..], Vec::as_slice);
    for change in seen {
        let status = sanitize(&change.label).into_owned();
        events.push((
            change.at.timestamp(),
            fill(t(l, Msg::TimelineStatus), &[&status]),
            "text.muted",
        ));
    }
    if let Some(at) = (item.sla.status_since)
        .filter(|at| *at != item.created)
        .filter(|at| {
            !seen
                .iter()
                .any(|c| c.at == *at && c.label == item.status.label)
        })
        .map(Moment::timestamp)
    {
        let status = sanitize(&item.status.label).into_owned();
        events.push((
            at,
            fill(t(l, Msg::TimelineStatus), &[&status]),
            "text.muted",
        ));
    }
    if let Some(at) = item.sla.resolved_at.map(Moment::timestamp) {
        events.push((at, t(l, Msg::TimelineResolved).to_string(), "text.muted"));
    }
    if let Some(n) = &item.sla.nis2 {
        events.push((n.aware_at, t(l, Msg::TimelineNis2).to_string(), "warning"));
    }
    // Local notes have their own section with the whole text.
    let audited = app.timeline.get(&item.key).into_iter().flatten();
    for e in audited.filter(|e| e.action != "local-note") {
        let (result, style) = match &e.outcome {
            crate::store::AuditOutcome::Ok => (t(l, Msg::AuditResultOk).to_string(), "text"),
            crate::store::AuditOutcome::Failed(m) => (m.clone(), "error"),
        };
        let text = format!(
            "{} {} · {} {}",
            e.user,
            e.action,
            audit_summary(&e.params),
            result
        );
        events.push((e.at, sanitize(&text).into_owned(), style));
    }
    events.sort_by_key(|e| std::cmp::Reverse(e.0));
    let mut out = vec![Line::styled(
        t(l, Msg::DetailTimeline),
        theme.style("help.section"),
    )];
    for (at, text, style) in events.into_iter().take(TIMELINE_LINES) {
        out.push(Line::from(vec![
            Span::styled(
                format!("{} ", crate::sla::due_label(at, &app.tz, l.is_german())),
                theme.style("detail.label"),
            ),
            Span::styled(text, theme.style(style)),
        ]));
    }
    out
}

/// The parameters of an audit entry in a few words (`comment: on it, minutes: 45`).
fn audit_summary(params: &serde_json::Value) -> String {
    let Some(map) = params.as_object() else {
        return String::new();
    };
    map.iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| match v.as_str() {
            Some(s) => format!("{k}: {}", crate::text::truncate(s, 40)),
            None => format!("{k}: {v}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}
