//! Rendering: one frame at 240x70 (the state drawn off-screen, and the full paint with the
//! diff written), and the bytes sent to the terminal per second with 60 visible sub-hour
//! countdowns and with nothing changing (printed before the timed benchmarks).
//!
//! The headline figures have 10k and 100k items of the demo generator in the app state
//! (`common::bulk_session`: each generated source's first answer through
//! `App::on_source_event`), for the plain queue view and with the tenant list open. The
//! demo world (~258 items) and the 60-item countdown screen are kept as the small cases.

#[path = "../tests/common/mod.rs"]
mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use criterion::{BenchmarkId, Criterion};
use jiff::SignedDuration;
use nightdesk::app::run::Painter;
use nightdesk::setup::Session;
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

/// Items of the demo generator behind the headline figures.
const SIZES: [usize; 2] = [10_000, 100_000];

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

/// Bytes written when the same instant is painted again (nothing visible changed).
fn bytes_unchanged(s: &mut Session, label: &str) {
    let (mut t, sink) = terminal();
    let mut painter = Painter::new();
    let at = s.app.now;
    painter
        .paint_in(&mut t, AREA, &mut s.app, &s.theme)
        .unwrap();
    let full = sink.take();
    let mut total = 0;
    for _ in 0..60 {
        s.app.tick(at);
        painter
            .paint_in(&mut t, AREA, &mut s.app, &s.theme)
            .unwrap();
        total += sink.take();
    }
    println!("bytes: {label}: first frame {full} B; 60 more paints of the same instant {total} B");
}

/// The bulk session with 60 P1 alerts of their own tenant whose first response is due in
/// 19-20 minutes, filtered to them: 60 visible sub-hour countdowns with `n` items behind.
fn bulk_countdowns(home: &std::path::Path, n: usize) -> Session {
    let mut s = common::bulk_session(home, n);
    let (source, items) = common::countdown_items(60, 10, "nachtschicht-bench");
    s.app
        .on_source_event(nightdesk::sources::SourceEvent::Data {
            source,
            at: common::frozen_start(),
            fetched: nightdesk::sources::Fetched::Full(items),
        });
    s.app.tick(common::frozen_start());
    s.app
        .apply("set-filter t:nachtschicht-bench".parse().unwrap());
    assert_eq!(s.app.view.len(), 60, "the filter shows the 60 countdowns");
    s
}

/// Frames with `n` demo-generator items in the state, plain queue view and tenant list.
fn bench_bulk_frames(c: &mut Criterion, home: &std::path::Path, n: usize) {
    let mut group = c.benchmark_group(format!("frame-240x70/{n}"));
    group.sample_size(if n > 10_000 { 20 } else { 50 });
    for pane in ["queue", "tenants"] {
        let mut s = common::bulk_session(home, n);
        if pane == "tenants" {
            s.app.apply("toggle-tenants".parse().unwrap());
        }
        group.bench_function(BenchmarkId::new(pane, "render"), |b| {
            let mut buf = Buffer::empty(AREA);
            b.iter(|| {
                buf.reset();
                nightdesk::ui::render(&s.app, &s.theme, AREA, &mut buf)
            })
        });
        // One simulated second per iteration: the SLA tick, then the real paint (render,
        // compare, write the diff).
        group.bench_function(BenchmarkId::new(pane, "tick+paint"), |b| {
            let (mut t, sink) = terminal();
            let mut painter = Painter::new();
            let mut sec = 0;
            b.iter(|| {
                sec += 1;
                s.app
                    .tick(common::frozen_start() + SignedDuration::from_secs(sec));
                painter
                    .paint_in(&mut t, AREA, &mut s.app, &s.theme)
                    .unwrap();
                sink.take()
            })
        });
        // The first frame after the queue changed (one item updated, untimed).
        let id = s.app.queue.order()[s.app.queue.len() / 2];
        let original = s.app.queue.entry(id).expect("live").item.clone();
        let mut variants = [original.clone(), original];
        variants[1].title = format!("{} (updated)", variants[1].title).into();
        group.bench_function(BenchmarkId::new(pane, "render-after-change"), |b| {
            let mut buf = Buffer::empty(AREA);
            let mut flip = 0;
            b.iter_custom(|iters| {
                let mut spent = Duration::ZERO;
                for _ in 0..iters {
                    flip ^= 1;
                    s.app.queue.upsert(variants[flip].clone());
                    buf.reset();
                    let start = std::time::Instant::now();
                    std::hint::black_box(nightdesk::ui::render(&s.app, &s.theme, AREA, &mut buf));
                    spent += start.elapsed();
                }
                spent
            })
        });
    }
    group.finish();
}

/// The app's whole per-second work with `n` demo-generator items (no paint): the queue's
/// SLA tick, notifications, snoozes, and bringing the view up to date.
fn bench_app_tick(c: &mut Criterion, home: &std::path::Path, n: usize) {
    let mut group = c.benchmark_group(format!("app/{n}"));
    group.sample_size(if n > 10_000 { 20 } else { 50 });
    let mut s = common::bulk_session(home, n);
    let mut sec = 0;
    group.bench_function("tick-per-second", |b| {
        b.iter(|| {
            sec += 1;
            s.app
                .tick(common::frozen_start() + SignedDuration::from_secs(sec));
        })
    });
    group.finish();
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
    for n in SIZES {
        let mut s = bulk_countdowns(home.path(), n);
        bytes_per_second(
            &mut s,
            &format!("60 visible sub-hour countdowns, {n} demo-generator items behind"),
        );
        let mut s = common::bulk_session(home.path(), n);
        bytes_unchanged(
            &mut s,
            &format!("{n} demo-generator items, queue view, nothing changed"),
        );
        s.app.apply("set-filter sla>1h".parse().unwrap());
        bytes_per_second(
            &mut s,
            &format!("{n} demo-generator items, every countdown over an hour"),
        );
        s.app.apply("clear-filter".parse().unwrap());
        s.app.apply("toggle-tenants".parse().unwrap());
        bytes_unchanged(
            &mut s,
            &format!("{n} demo-generator items, tenant list, nothing changed"),
        );
    }

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
    for n in SIZES {
        bench_bulk_frames(&mut c, home.path(), n);
        bench_app_tick(&mut c, home.path(), n);
    }
    c.final_summary();
}
