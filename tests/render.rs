//! Render snapshots of the main screens at 80x24 and 200x50 with a frozen clock and a seeded
//! demo world, plus checks of the cell styles where colour carries meaning.

mod common;

use common::{frozen_start, primed_demo};
use nightdesk::action::{Action, ActionId};
use nightdesk::setup::Session;
use nightdesk::theme::{StyleName, Theme};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Modifier;

fn draw(session: &mut Session, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    let app = &mut session.app;
    let area = ratatui::layout::Rect::new(0, 0, w, h);
    app.set_page(nightdesk::ui::queue_rows(
        area,
        app.detail_open,
        app.mode == nightdesk::app::state::Mode::Tenants,
    ));
    terminal
        .draw(|f| {
            nightdesk::ui::render(app, &session.theme, f.area(), f.buffer_mut());
        })
        .unwrap();
    terminal
}

fn session() -> (tempfile::TempDir, Session) {
    let home = tempfile::tempdir().unwrap();
    let s = primed_demo(home.path(), 42, frozen_start(), "default");
    (home, s)
}

fn act(session: &mut Session, id: ActionId) {
    session.app.apply(Action::new(id));
}

#[test]
fn queue_80x24() {
    let (_h, mut s) = session();
    insta::assert_snapshot!(draw(&mut s, 80, 24).backend());
}

#[test]
fn queue_200x50() {
    let (_h, mut s) = session();
    insta::assert_snapshot!(draw(&mut s, 200, 50).backend());
}

#[test]
fn detail_80x24() {
    let (_h, mut s) = session();
    act(&mut s, ActionId::OpenDetail);
    insta::assert_snapshot!(draw(&mut s, 80, 24).backend());
}

#[test]
fn detail_and_tenants_200x50() {
    let (_h, mut s) = session();
    act(&mut s, ActionId::OpenDetail);
    act(&mut s, ActionId::ToggleTenants);
    insta::assert_snapshot!(draw(&mut s, 200, 50).backend());
}

#[test]
fn ack_form_80x24() {
    let (_h, mut s) = session();
    s.app.apply("set-filter k:alert s:new".parse().unwrap());
    act(&mut s, ActionId::Ack);
    for c in "on it".chars() {
        s.app.on_key(crossterm::event::KeyEvent::new(
            crossterm::event::KeyCode::Char(c),
            crossterm::event::KeyModifiers::NONE,
        ));
    }
    insta::assert_snapshot!(draw(&mut s, 80, 24).backend());
}

#[test]
fn sources_80x24() {
    let (_h, mut s) = session();
    act(&mut s, ActionId::ToggleSources);
    insta::assert_snapshot!(draw(&mut s, 80, 24).backend());
}

#[test]
fn help_80x24() {
    let (_h, mut s) = session();
    act(&mut s, ActionId::Help);
    insta::assert_snapshot!(draw(&mut s, 80, 24).backend());
}

#[test]
fn filtered_80x24() {
    let (_h, mut s) = session();
    s.app.apply("set-filter k:alert p:1".parse().unwrap());
    insta::assert_snapshot!(draw(&mut s, 80, 24).backend());
}

#[test]
fn too_small_terminal_shows_one_message() {
    let (_h, mut s) = session();
    let t = draw(&mut s, 50, 10);
    let text = buffer_text(t.backend().buffer());
    assert!(text.contains("Terminal too small: 50x10"), "{text}");
    assert!(!text.contains("SLA left"));
}

#[test]
fn german_ui_comes_from_the_catalog() {
    let home = tempfile::tempdir().unwrap();
    let mut s = primed_demo(home.path(), 42, frozen_start(), "default");
    s.app.lang = nightdesk::i18n::Lang::De;
    let text = buffer_text(draw(&mut s, 120, 30).backend().buffer());
    assert!(
        text.contains("SLA Rest") && text.contains("Kunde"),
        "{text}"
    );
    assert!(text.contains("Fr "), "German weekday expected: {text}");
}

fn buffer_text(buf: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

/// Finds the first row whose text contains `needle`; returns (row, column).
fn find(buf: &Buffer, needle: &str) -> Option<(u16, u16)> {
    (0..buf.area.height).find_map(|y| {
        let line: String = (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect();
        line.find(needle)
            .map(|byte| (y, line[..byte].chars().count() as u16))
    })
}

#[test]
fn p1_cells_use_the_p1_style_and_a_text_marker() {
    let (_h, mut s) = session();
    let theme: &Theme = &s.theme;
    let p1 = theme.get(StyleName::from_name("priority.p1").unwrap());
    let t = draw(&mut s, 120, 40);
    let buf = t.backend().buffer();
    let (y, x) = find(buf, "!P1").expect("a P1 row is on screen");
    let cell = &buf[(x + 1, y)];
    assert_eq!(cell.fg, p1.fg.unwrap(), "P1 colour");
    assert!(cell.modifier.contains(Modifier::BOLD), "P1 bold");
}

#[test]
fn breached_sla_cells_use_the_breach_style_and_glyph() {
    let (_h, mut s) = session();
    let breached = s.theme.get(StyleName::from_name("sla.breached").unwrap());
    let t = draw(&mut s, 120, 40);
    let buf = t.backend().buffer();
    let (y, x) = find(buf, "!!-").expect("a breached row is on screen");
    let cell = &buf[(x + 3, y)];
    assert_eq!(cell.fg, breached.fg.unwrap());
    assert!(cell.modifier.contains(Modifier::UNDERLINED) || cell.modifier.contains(Modifier::BOLD));
}

#[test]
fn hostile_text_from_a_source_is_shown_inert() {
    let (_h, mut s) = session();
    s.app.apply("set-filter t:koenig".parse().unwrap());
    let t = draw(&mut s, 200, 50);
    let buf = t.backend().buffer();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            let sym = buf[(x, y)].symbol();
            assert!(
                !sym.chars().any(|c| c.is_control()),
                "control character reached cell ({x},{y}): {sym:?}"
            );
        }
    }
    assert!(find(buf, "␛").is_some(), "the escape shows as a symbol");
}

#[test]
fn local_notes_show_in_the_detail_pane_line_by_line_and_inert() {
    let (_h, mut s) = session();
    act(&mut s, ActionId::OpenDetail);
    let key = s.app.selected_item().unwrap().key.clone();
    let note = |text: &str, at: &str| nightdesk::store::LocalNote {
        text: text.into(),
        user: "anna".into(),
        at: at.parse().unwrap(),
    };
    s.app.marks.notes.insert(
        key,
        vec![
            note("older note", "2026-11-27T01:05:00Z"),
            note(
                "Kunde angerufen\nruft \u{1b}[31m06:00 zurück",
                "2026-11-27T01:20:00Z",
            ),
        ],
    );
    let t = draw(&mut s, 120, 40);
    let text = buffer_text(t.backend().buffer());
    let (head, _) = find(t.backend().buffer(), "Local notes").expect("the section");
    let (newest, _) = find(t.backend().buffer(), "Fri 02:20 anna: Kunde angerufen").expect(&text);
    let (second_line, _) = find(t.backend().buffer(), "ruft ␛[31m06:00 zurück").expect(&text);
    let (older, _) = find(t.backend().buffer(), "Fri 02:05 anna: older note").expect(&text);
    assert!(
        head < newest && newest < second_line && second_line < older,
        "{text}"
    );
    let flag = find(t.backend().buffer(), "n !P1").or(find(t.backend().buffer(), "n  P"));
    assert!(flag.is_some(), "the row carries the note flag:\n{text}");
}

#[test]
fn a_source_without_tls_checks_is_marked_loudly_in_the_status_bar_and_sources_view() {
    let (_h, mut s) = session();
    let screen = |s: &mut Session| buffer_text(draw(s, 80, 24).backend().buffer());
    assert!(
        !screen(&mut s).contains("INSECURE"),
        "no mark while TLS is checked"
    );
    let id = s.app.sources.keys().next().unwrap().clone();
    s.app.sources.get_mut(&id).unwrap().meta.insecure = true;
    let theme: &Theme = &s.theme;
    let error = theme.get(StyleName::from_name("error").unwrap());
    let t = draw(&mut s, 80, 24);
    let buf = t.backend().buffer();
    let (y, x) = find(buf, "INSECURE: TLS NOT VERIFIED (1)").expect("status bar mark");
    assert_eq!(y, buf.area.height - 1, "on the status bar");
    assert_eq!(buf[(x, y)].fg, error.fg.unwrap(), "in the error style");
    act(&mut s, ActionId::ToggleSources);
    let text = screen(&mut s);
    let line = text
        .lines()
        .find(|l| l.contains(&format!("│{id} ")))
        .unwrap_or_else(|| panic!("a line for {id}: {text}"));
    assert!(line.contains("INSECURE: TLS NOT VERIFIED"), "{line}");
}

#[test]
fn the_detail_pane_lists_the_items_of_the_same_tenant_and_host() {
    let (_h, mut s) = session();
    let with_related = s
        .app
        .view
        .iter()
        .position(|&id| {
            let key = &s.app.entry(id).unwrap().item.key;
            !s.app.queue.related(key).is_empty()
        })
        .expect("the demo has items that share a host");
    for _ in 0..with_related {
        act(&mut s, ActionId::SelectNext);
    }
    act(&mut s, ActionId::ToggleDetail);
    let selected = s.app.selected_item().unwrap().clone();
    let related: Vec<nightdesk::model::Item> = s
        .app
        .queue
        .related(&selected.key)
        .into_iter()
        .map(|id| s.app.entry(id).unwrap().item.clone())
        .collect();
    let t = draw(&mut s, 200, 50);
    let text = buffer_text(t.backend().buffer());
    let (heading, _) =
        find(t.backend().buffer(), "Related (same tenant and host)").expect("the related section");
    let below: String = text.lines().skip(heading as usize + 1).collect();
    for r in related.iter().take(3) {
        assert_eq!((&r.tenant, &r.host), (&selected.tenant, &selected.host));
        let start: String = r.title.chars().take(20).collect();
        assert!(
            below.contains(&start),
            "{start} not under the heading:\n{text}"
        );
    }
    assert!(!below.contains("none"), "{text}");
}

#[test]
fn a_paused_clock_shows_its_glyph_and_frozen_time_and_the_detail_says_since_when() {
    let (_h, mut s) = session();
    s.app.apply("set-filter s:waiting".parse().unwrap());
    let first = *s.app.view.first().expect("the demo has tickets waiting");
    let clocks = s.app.entry(first).unwrap().clocks.clone();
    let clock = clocks
        .clocks
        .iter()
        .find(|c| c.paused_since().is_some())
        .expect("a waiting ticket's clock is paused");
    let frozen = clock.remaining_when_paused().unwrap();
    let style = s.theme.get(StyleName::from_name("sla.paused").unwrap());
    let t = draw(&mut s, 80, 24);
    let buf = t.backend().buffer();
    let (y, x) = find(buf, "‖ ").expect("the paused glyph in the queue");
    assert_eq!(y, 3, "on the selected (first) row");
    let row: String = (0..80).map(|c| buf[(c, y)].symbol()).collect();
    let shown = nightdesk::ui::format::countdown(frozen);
    assert!(
        row.contains(&format!("‖ {shown}")),
        "the frozen remaining time {shown}: {row}"
    );
    assert_eq!(buf[(x, y)].fg, style.fg.unwrap(), "paused style: {row}");
    act(&mut s, ActionId::ToggleDetail);
    let text = buffer_text(draw(&mut s, 200, 50).backend().buffer());
    assert!(text.contains("paused since"), "{text}");
}
