//! The tenant list: every tenant with its open items and its worst SLA state (in text, the
//! glyph of the queue's SLA column, and in colour); choosing one filters the queue to it.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};

use super::queue::{NO_SLA_GLYPH, sla_glyph};
use crate::app::state::App;
use crate::i18n::{Msg, t};
use crate::queue::TenantState;
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
    // Counted by the queue as entries and SLA levels change: no walk over the items per frame.
    let summary = app.queue.tenant_summary(app.now);
    let width = inner.width as usize;
    let mut lines = vec![row(
        theme,
        app.tenant_cursor == 0,
        t(app.lang, Msg::TenantsAll).to_string(),
        None,
    )];
    for (i, tenant) in app.tenants.iter().enumerate() {
        let name_w = width.saturating_sub(NUMBERS);
        let name = truncate(&sanitize(&tenant.name), name_w).into_owned();
        let pad = name_w.saturating_sub(crate::text::width(&name));
        let name = format!("{name}{}", " ".repeat(pad));
        lines.push(row(
            theme,
            app.tenant_cursor == i + 1,
            name,
            Some(summary.get(&tenant.id)),
        ));
    }
    let h = inner.height as usize;
    let skip = app.tenant_cursor.saturating_sub(h.saturating_sub(1));
    let visible: Vec<Line> = lines.into_iter().skip(skip).take(h).collect();
    Paragraph::new(visible).render(inner, buf);
}

/// Cells right of the name: a space, the count (4), a space, the worst SLA glyph (2), and
/// one free cell before the border.
const NUMBERS: usize = 9;

/// A tenant's line: name, open items, and the worst SLA state as the queue's glyph
/// ([`sla_glyph`]; `—` when open items have no SLA), both in the worst state's style.
fn row(theme: &Theme, selected: bool, name: String, state: Option<TenantState>) -> Line<'static> {
    let base = if selected {
        theme.style("tenant.selected")
    } else {
        theme.style("tenant")
    };
    let mut spans = vec![Span::styled(format!("{name} "), base)];
    if let Some(state) = state {
        let (glyph, style) = worst_glyph(state);
        let style = theme
            .style(style)
            .patch(if selected { base } else { Default::default() });
        spans.push(Span::styled(format!("{:>4} {glyph}", state.open), style));
    }
    Line::from(spans)
}

/// The glyph and style of a tenant's worst SLA state.
fn worst_glyph(state: TenantState) -> (&'static str, &'static str) {
    match state.worst {
        Some(level) => sla_glyph(level),
        None if state.open > 0 => (NO_SLA_GLYPH, "sla.none"),
        None => ("", "sla.none"),
    }
}

#[cfg(test)]
mod tests {
    use jiff::{SignedDuration, Timestamp};
    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;

    use crate::app::state::{App, TenantInfo};
    use crate::i18n::Lang;
    use crate::keymap::Keymap;
    use crate::model::{
        Item, ItemKey, Kind, Labels, Moment, Priority, SlaFacts, SourceId, Status, StatusCategory,
        TenantId,
    };
    use crate::queue::{ContractBook, Queue};
    use crate::theme::Theme;

    fn now() -> Timestamp {
        "2026-11-27T01:30:00Z".parse().unwrap()
    }

    /// A P1 alert created `age_mins` ago (first response due after 30 minutes, warnings at
    /// 75 and 90 %). A waiting one was answered after 5 minutes and has waited for the
    /// customer since 10 minutes after creation: its resolution clock is paused.
    fn p1(id: &str, tenant: &str, age_mins: i64, category: StatusCategory) -> Item {
        let created = now() - SignedDuration::from_mins(age_mins);
        let waiting = category == StatusCategory::Waiting;
        let after = |mins| Some(Moment::new(created + SignedDuration::from_mins(mins)));
        Item {
            key: ItemKey::new(&SourceId::new("mon"), id),
            tenant: TenantId::new(tenant),
            kind: Kind::Alert,
            title: format!("Alert {id}").into(),
            host: None,
            address: None,
            priority: Priority::P1,
            status: Status::new(category, if waiting { "Warten auf Kunde" } else { "x" }),
            created: crate::model::Moment::new(created),
            updated: crate::model::Moment::new(created),
            assignee: None,
            labels: Labels::new(),
            link: None,
            sla: SlaFacts {
                first_response_at: if waiting { after(5) } else { None },
                status_since: if waiting { after(10) } else { None },
                ..SlaFacts::default()
            },
        }
    }

    fn app(items: Vec<Item>, tenants: &[(&str, &str)]) -> App {
        let mut queue = Queue::new(ContractBook::default(), now());
        queue.apply_delta(items, &[]);
        let tenants = tenants
            .iter()
            .map(|(id, name)| TenantInfo {
                id: TenantId::new(id),
                name: name.to_string(),
            })
            .collect();
        let keymap = Keymap::load_report("default", None).0;
        let mut app = App::new(
            Lang::En,
            "me".into(),
            now(),
            jiff::tz::TimeZone::UTC,
            keymap,
            queue,
            tenants,
        );
        app.tick(now());
        app
    }

    /// The pane's text lines (without the border column).
    fn lines(app: &App) -> Vec<String> {
        let area = Rect::new(0, 0, 30, 8);
        let mut buf = Buffer::empty(area);
        super::render(app, &Theme::mono(), area, &mut buf);
        (1..area.height)
            .map(|y| {
                (0..area.width - 1)
                    .map(|x| buf[(x, y)].symbol())
                    .collect::<String>()
                    .trim_end()
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn the_worst_sla_state_is_shown_as_the_queues_glyph_not_only_as_colour() {
        use StatusCategory::*;
        let app = app(
            vec![
                p1("a1", "acme", 0, New),
                p1("a2", "acme", 40, New),
                p1("g1", "globex", 24, New),
                p1("g2", "globex", 0, New),
                p1("i1", "initech", 0, New),
                p1("u1", "umbrella", 20, Waiting),
                p1("h1", "hooli", 40, Resolved),
            ],
            &[
                ("acme", "Acme GmbH"),
                ("globex", "Globex KG"),
                ("initech", "Initech AG"),
                ("umbrella", "Umbrella e.K."),
                ("hooli", "Hooli GmbH"),
            ],
        );
        let lines = lines(&app);
        assert_eq!(lines[0], "all tenants");
        assert_eq!(lines[1], "Acme GmbH               2 !!");
        assert_eq!(lines[3], "Initech AG              1");
        assert_eq!(lines[5], "Hooli GmbH              0");
        // The glyphs are those of the queue's SLA column.
        let (warning, _) = crate::ui::queue::sla_glyph(crate::sla::Level::Warning(0));
        assert_eq!(
            lines[2],
            format!("Globex KG               2 {warning}").trim_end()
        );
        // Waiting for the customer pauses the resolution clock.
        let (paused, _) = crate::ui::queue::sla_glyph(crate::sla::Level::Paused);
        assert_eq!(
            lines[4],
            format!("Umbrella e.K.           1 {paused}").trim_end()
        );
    }
}
