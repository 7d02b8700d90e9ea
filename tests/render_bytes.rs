//! What reaches the terminal: nothing at all when nothing visible changed (also with 10k
//! demo-generator items behind the tenant list), and only the changed countdown cells when
//! seconds tick (the figures per second are in `benches/render.rs` and
//! docs/performance.md; here the properties, not timings).

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use jiff::SignedDuration;
use nightdesk::app::run::Painter;
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};

/// Collects what the terminal is sent.
#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Sink {
    /// The bytes since the last call.
    fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

fn terminal(area: Rect) -> (Terminal<CrosstermBackend<Sink>>, Sink) {
    let sink = Sink::default();
    let t = Terminal::with_options(
        CrosstermBackend::new(sink.clone()),
        TerminalOptions {
            viewport: Viewport::Fixed(area),
        },
    )
    .unwrap();
    (t, sink)
}

/// Five more ticks of the same instant, each painted: nothing is drawn, nothing written.
fn repaints_write_nothing(
    s: &mut nightdesk::setup::Session,
    painter: &mut Painter,
    t: &mut Terminal<CrosstermBackend<Sink>>,
    sink: &Sink,
    area: Rect,
) {
    for _ in 0..5 {
        s.app.tick(common::frozen_start());
        assert!(!painter.paint_in(t, area, &mut s.app, &s.theme).unwrap());
        assert_eq!(sink.take().len(), 0, "an unchanged screen costs nothing");
    }
}

#[test]
fn nothing_is_written_when_nothing_visible_changed() {
    let home = tempfile::tempdir().unwrap();
    // Far-away due times: countdowns show minutes, which do not change within this second.
    let mut s = common::primed_demo(home.path(), 42, common::frozen_start(), "default");
    let area = Rect::new(0, 0, 240, 70);
    let (mut t, sink) = terminal(area);
    let mut painter = Painter::new();
    assert!(
        painter
            .paint_in(&mut t, area, &mut s.app, &s.theme)
            .unwrap()
    );
    assert!(
        sink.take().len() > 10_000,
        "the first frame draws the screen"
    );
    repaints_write_nothing(&mut s, &mut painter, &mut t, &sink, area);
}

#[test]
fn a_second_of_countdowns_writes_only_the_changed_cells() {
    let home = tempfile::tempdir().unwrap();
    let mut s = common::countdown_screen(home.path(), 60, 10);
    let area = Rect::new(0, 0, 240, 70);
    let (mut t, sink) = terminal(area);
    let mut painter = Painter::new();
    painter
        .paint_in(&mut t, area, &mut s.app, &s.theme)
        .unwrap();
    let full = sink.take().len();
    assert_eq!(s.app.view.len(), 60);
    s.app
        .tick(common::frozen_start() + SignedDuration::from_secs(1));
    assert!(
        painter
            .paint_in(&mut t, area, &mut s.app, &s.theme)
            .unwrap()
    );
    let tick = String::from_utf8(sink.take()).unwrap();
    assert!(
        !tick.is_empty() && tick.len() < full / 4,
        "{} bytes for a tick, {full} for the full screen",
        tick.len()
    );
    // The 60 countdowns moved by a second; the titles were not sent again, and the
    // whole tick fits the budget of 1.2 KB.
    assert!(!tick.contains("Host down"), "{tick:?}");
    assert!(tick.len() <= 1200, "{} bytes: {tick:?}", tick.len());
    // Inside one synchronized update, so a slow link never shows half of it.
    assert!(tick.starts_with("\u{1b}[?2026h") && tick.ends_with("\u{1b}[?2026l"));
}

#[test]
fn nothing_is_written_when_nothing_visible_changed_with_10k_items_and_the_tenant_list() {
    let home = tempfile::tempdir().unwrap();
    let mut s = common::bulk_session(home.path(), 10_000);
    s.app.apply(nightdesk::action::Action::new(
        nightdesk::action::ActionId::ToggleTenants,
    ));
    let area = Rect::new(0, 0, 240, 70);
    let (mut t, sink) = terminal(area);
    let mut painter = Painter::new();
    painter
        .paint_in(&mut t, area, &mut s.app, &s.theme)
        .unwrap();
    let first = String::from_utf8(sink.take()).unwrap();
    assert!(
        first.contains(" !!"),
        "the tenant list shows breached tenants"
    );
    repaints_write_nothing(&mut s, &mut painter, &mut t, &sink, area);
}
