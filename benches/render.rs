//! Rendering: one frame at 240x70 (the state drawn off-screen, and the full paint with the
//! diff written), and the bytes sent to the terminal per second with 60 visible sub-hour
//! countdowns and with nothing changing (printed before the timed benchmarks).

#[path = "../tests/common/mod.rs"]
mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use criterion::Criterion;
use jiff::SignedDuration;
use nightdesk::app::run::Painter;
use ratatui::backend::CrosstermBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};

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
    fn take(&self) -> usize {
        std::mem::take(&mut *self.0.lock().unwrap()).len()
    }
}

const AREA: Rect = Rect::new(0, 0, 240, 70);

fn terminal() -> (Terminal<CrosstermBackend<Sink>>, Sink) {
    let sink = Sink::default();
    let t = Terminal::with_options(
        CrosstermBackend::new(sink.clone()),
        TerminalOptions {
            viewport: Viewport::Fixed(AREA),
        },
    )
    .unwrap();
    (t, sink)
}

/// Bytes per second over 60 one-second ticks.
fn bytes_per_second(s: &mut nightdesk::setup::Session, label: &str) {
    let (mut t, sink) = terminal();
    let mut painter = Painter::new();
    painter
        .paint_in(&mut t, AREA, &mut s.app, &s.theme)
        .unwrap();
    let full = sink.take();
    let mut per_tick = Vec::new();
    for sec in 1..=60 {
        s.app
            .tick(common::frozen_start() + SignedDuration::from_secs(sec));
        painter
            .paint_in(&mut t, AREA, &mut s.app, &s.theme)
            .unwrap();
        per_tick.push(sink.take());
    }
    let total: usize = per_tick.iter().sum();
    let max = per_tick.iter().max().copied().unwrap_or(0);
    println!(
        "bytes: {label}: first frame {full} B; over 60 ticks {total} B, mean {:.0} B/s, max {max} B in one second",
        total as f64 / 60.0
    );
}

fn main() {
    let home = tempfile::tempdir().unwrap();
    let mut countdowns = common::countdown_screen(home.path(), 60, 10);
    bytes_per_second(
        &mut countdowns,
        "60 visible sub-hour countdowns (night theme)",
    );
    let mut idle = common::primed_demo(home.path(), 42, common::frozen_start(), "default");
    // The demo's nearest clocks are hours away: within a minute nothing visible changes
    // but the countdowns under an hour and the clock in the top line.
    idle.app.apply("set-filter sla>1h".parse().unwrap());
    bytes_per_second(&mut idle, "demo queue, every countdown over an hour");

    let mut c = Criterion::default()
        .sample_size(50)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .configure_from_args();
    let mut demo = common::primed_demo(home.path(), 42, common::frozen_start(), "default");
    demo.app.apply("open-detail".parse().unwrap());
    c.bench_function("frame/240x70 demo with detail: render off-screen", |b| {
        let mut buf = Buffer::empty(AREA);
        b.iter(|| {
            buf.reset();
            nightdesk::ui::render(&demo.app, &demo.theme, AREA, &mut buf)
        })
    });
    c.bench_function(
        "frame/240x70 60 countdowns: tick + paint with diff written",
        |b| {
            let (mut t, sink) = terminal();
            let mut painter = Painter::new();
            let mut sec = 0;
            b.iter(|| {
                sec += 1;
                countdowns
                    .app
                    .tick(common::frozen_start() + SignedDuration::from_secs(sec));
                painter
                    .paint_in(&mut t, AREA, &mut countdowns.app, &countdowns.theme)
                    .unwrap();
                sink.take()
            })
        },
    );
    c.bench_function(
        "frame/240x70 nothing changed: compare and write nothing",
        |b| {
            let (mut t, sink) = terminal();
            let mut painter = Painter::new();
            painter
                .paint_in(&mut t, AREA, &mut demo.app, &demo.theme)
                .unwrap();
            b.iter(|| {
                painter
                    .paint_in(&mut t, AREA, &mut demo.app, &demo.theme)
                    .unwrap();
                sink.take()
            })
        },
    );
    c.final_summary();
}
