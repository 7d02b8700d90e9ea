//! The event loop: terminal input, source events and a one-second clock feed the state; a
//! frame is drawn only when the rendered screen differs from the last one, wrapped in
//! synchronized output so a slow link never shows half a frame.

use std::collections::HashMap;
use std::io::Write;
use std::time::{Duration, Instant};

use crossterm::event::{Event, EventStream, KeyEventKind};
use crossterm::{queue, terminal};
use futures_util::StreamExt;
use ratatui::backend::CrosstermBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use tokio::sync::mpsc;

use super::handover::{Handover, Signals, launch_session, log_sessions};
use super::state::App;
use super::terminal::TerminalGuard;
use super::update::Effect;
use crate::actions::session::launch::Launcher;
use crate::clock::SharedClock;
use crate::config::LaunchMode;
use crate::i18n::{Msg, fill, t};
use crate::model::{ItemKey, SourceId};
use crate::sources::runner::{SourceCommand, SourceHandle};
use crate::sources::{SourceError, SourceEvent};
use crate::theme::Theme;

/// Shortest time between two frames while events stream in (coalesces bursts).
const FRAME_GAP: Duration = Duration::from_millis(16);

/// Draws frames only when something visible changed.
pub struct Painter {
    last: Option<(Buffer, Option<Position>)>,
    clear: bool,
}

impl Painter {
    pub fn new() -> Self {
        Self {
            last: None,
            clear: false,
        }
    }

    /// Forgets the last frame so the next paint compares against nothing.
    pub fn invalidate(&mut self) {
        self.last = None;
    }

    /// The next paint clears the terminal and repaints every cell (after a child program
    /// or when the user asks for a redraw).
    pub fn repaint_all(&mut self) {
        self.last = None;
        self.clear = true;
    }

    /// Renders the state off-screen; if it differs from what the terminal shows, writes the
    /// difference inside a synchronized update. Returns whether anything was written.
    pub fn paint<W: Write>(
        &mut self,
        terminal: &mut ratatui::Terminal<CrosstermBackend<W>>,
        app: &mut App,
        theme: &Theme,
    ) -> std::io::Result<bool> {
        let size = terminal.size()?;
        self.paint_in(
            terminal,
            Rect::new(0, 0, size.width, size.height),
            app,
            theme,
        )
    }

    /// [`Painter::paint`] for a terminal of the given area (benchmarks and tests use a
    /// fixed viewport and count the bytes written).
    pub fn paint_in<W: Write>(
        &mut self,
        terminal: &mut ratatui::Terminal<CrosstermBackend<W>>,
        area: Rect,
        app: &mut App,
        theme: &Theme,
    ) -> std::io::Result<bool> {
        app.set_page(crate::ui::queue_rows(
            area,
            app.detail_open,
            app.mode == super::state::Mode::Tenants,
        ));
        let mut next = Buffer::empty(area);
        let cursor = crate::ui::render(app, theme, area, &mut next);
        if let Some((last, last_cursor)) = &self.last
            && *last == next
            && *last_cursor == cursor
        {
            return Ok(false);
        }
        queue!(terminal.backend_mut(), terminal::BeginSynchronizedUpdate)?;
        if std::mem::take(&mut self.clear) {
            super::terminal::clear_all(terminal)?;
        }
        terminal.draw(|f| {
            if f.area() == area {
                f.buffer_mut().content.clone_from(&next.content);
            } else {
                crate::ui::render(app, theme, f.area(), f.buffer_mut());
            }
            if let Some(p) = cursor {
                f.set_cursor_position(p);
            }
        })?;
        queue!(terminal.backend_mut(), terminal::EndSynchronizedUpdate)?;
        Write::flush(terminal.backend_mut())?;
        self.last = Some((next, cursor));
        Ok(true)
    }
}

impl Default for Painter {
    fn default() -> Self {
        Self::new()
    }
}

/// Local state the loop writes to: the store's writer (audit log, restore tests), the
/// restore tests shared with the backup sources, and the writer's failures.
pub struct Local {
    pub worker: Option<crate::store::StoreWorker>,
    pub restore_tests: crate::store::RestoreTests,
    pub failures: mpsc::UnboundedReceiver<String>,
}

/// Runs the TUI until the user quits. Sources must already be spawned, sending on `events`;
/// `log_file` takes the output of detached session programs.
pub async fn run(
    mut app: App,
    theme: Theme,
    clock: SharedClock,
    handles: HashMap<SourceId, SourceHandle>,
    mut events: mpsc::UnboundedReceiver<SourceEvent>,
    mut local: Local,
    log_file: Option<std::path::PathBuf>,
) -> anyhow::Result<()> {
    let mut guard = TerminalGuard::enter()?;
    let mut painter = Painter::new();
    let mut outlet =
        crate::notify::Outlet::from_env(app.notifier.uses(crate::notify::Channel::Desktop));
    let mut input = EventStream::new();
    let (ended_tx, mut ended) = mpsc::unbounded_channel();
    let launcher = Launcher::from_env(log_file, ended_tx);
    let mut second = tokio::time::interval(Duration::from_secs(1));
    second.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    app.tick(clock.now());
    painter.paint(&mut guard.terminal, &mut app, &theme)?;
    // A deliberate crash after the first frame, for the tests that prove the terminal is
    // restored on a panic (logged) and on an error (set only by those tests).
    match std::env::var("NIGHTDESK_CRASH_TEST").as_deref() {
        Ok("error") => anyhow::bail!("error test requested by NIGHTDESK_CRASH_TEST"),
        Ok(_) => panic!("crash test requested by NIGHTDESK_CRASH_TEST"),
        Err(_) => {}
    }
    let mut filters = FilterRunner::new();
    // A signal ends the loop like `quit`, so the guard restores the terminal on the way out.
    let mut signals = Signals::new()?;
    let mut last_paint = Instant::now();
    let mut due: Option<Instant> = None;
    while !app.quit {
        let deadline = due.unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
        let mut effects = Vec::new();
        tokio::select! {
            _ = tokio::time::sleep_until(deadline.into()), if due.is_some() => {}
            ev = input.next() => match ev {
                Some(Ok(ev)) => effects = on_terminal_event(&mut app, ev, &mut painter),
                Some(Err(e)) => return Err(e.into()),
                None => break,
            },
            Some(ev) = events.recv() => {
                app.on_source_event(ev);
                while let Ok(more) = events.try_recv() {
                    app.on_source_event(more);
                }
            }
            Some(failure) = local.failures.recv() => {
                app.flash_error(fill(t(app.lang, Msg::StoreUnavailable), &[&failure]));
            }
            _ = second.tick() => {
                app.tick(clock.now());
                answer_orphaned(&mut app, &handles);
            }
            Some((generation, ids)) = filters.done.recv() => app.filter_done(generation, ids),
            Some(end) = ended.recv() => app.detached_session_ended(&end),
            _ = signals.ending() => app.quit = true,
        }
        for effect in effects {
            match effect {
                Effect::Session(plan) => {
                    let mut terminal = Handover {
                        guard: &mut guard,
                        input: &mut input,
                        signals: &mut signals,
                    };
                    let outcome = launch_session(&mut app, plan, &launcher, &mut terminal).await?;
                    if outcome.mode == Some(LaunchMode::Inline) {
                        painter.repaint_all();
                    }
                    app.session_finished(outcome);
                }
                other => carry_out(&mut app, &handles, &local, other, &mut painter, &mut outlet),
            }
        }
        log_sessions(&mut app);
        filters.start(app.take_filter_jobs());
        for effect in app.take_outbox() {
            carry_out(
                &mut app,
                &handles,
                &local,
                effect,
                &mut painter,
                &mut outlet,
            );
        }
        write_between_frames(&mut guard.terminal, outlet.take_terminal_bytes());
        if last_paint.elapsed() >= FRAME_GAP {
            painter.paint(&mut guard.terminal, &mut app, &theme)?;
            last_paint = Instant::now();
            due = None;
        } else {
            due = Some(last_paint + FRAME_GAP);
        }
    }
    drop(guard);
    app.save_snapshots(true);
    if let Some(w) = &local.worker {
        for effect in app.take_outbox() {
            match effect {
                Effect::Store(job) => w.submit(job),
                Effect::Audit(entry) => w.submit(crate::store::Job::Audit(entry)),
                _ => {}
            }
        }
        w.submit(crate::store::Job::SessionEnd(app.now));
    }
    Ok(())
}

fn on_terminal_event(app: &mut App, ev: Event, painter: &mut Painter) -> Vec<Effect> {
    match ev {
        Event::Key(k) if k.kind != KeyEventKind::Release => app.on_key(k),
        Event::Paste(text) => {
            app.on_paste(&text);
            Vec::new()
        }
        Event::Resize(_, _) => {
            painter.invalidate();
            Vec::new()
        }
        _ => Vec::new(),
    }
}

/// Notification bytes (OSC 777, OSC 9, BEL) go out on their own, after one frame and before
/// the next, through the same writer; a failed write is logged, not fatal.
fn write_between_frames<W: Write>(
    terminal: &mut ratatui::Terminal<CrosstermBackend<W>>,
    bytes: Vec<u8>,
) {
    if bytes.is_empty() {
        return;
    }
    let backend = terminal.backend_mut();
    if let Err(e) = backend
        .write_all(&bytes)
        .and_then(|()| Write::flush(backend))
    {
        tracing::warn!(error = %e, "notification not written to the terminal");
    }
}

fn carry_out(
    app: &mut App,
    handles: &HashMap<SourceId, SourceHandle>,
    local: &Local,
    effect: Effect,
    painter: &mut Painter,
    outlet: &mut crate::notify::Outlet,
) {
    match effect {
        Effect::Notify(n) => {
            if let Some(why) = outlet.deliver(n) {
                app.flash_info(fill(t(app.lang, Msg::NotifyNoDesktop), &[&why]));
            }
        }
        Effect::Store(job) => {
            if let Some(w) = &local.worker {
                w.submit(job);
            }
        }
        Effect::Audit(entry) => match &local.worker {
            Some(w) => w.submit(crate::store::Job::Audit(entry)),
            None => tracing::warn!(action = %entry.action, "not audited: no local database"),
        },
        Effect::RecordRestoreTest(record) => {
            // In memory first, so the backup source's next read already knows it.
            local.restore_tests.note(record.clone());
            let source = SourceId::new(&record.source);
            if let Some(w) = &local.worker {
                w.submit(crate::store::Job::RestoreTest(record));
            }
            if let Some(h) = handles.get(&source) {
                let _ = h.commands.send(SourceCommand::Refresh);
            }
        }
        Effect::FullRedraw => painter.repaint_all(),
        // Carried out by `launch_session`, which needs the terminal.
        Effect::Session(_) => {}
        Effect::RefreshAll => {
            for h in handles.values() {
                let _ = h.commands.send(SourceCommand::Refresh);
            }
        }
        Effect::WriteBack {
            seq,
            source,
            item,
            action,
            seen,
        } => dispatch(
            app,
            handles,
            &source,
            SourceCommand::WriteBack {
                seq,
                item,
                action,
                seen,
            },
        ),
    }
}

/// Hands `command` to the task of `source`. A write-back that reaches no running task (the
/// source has none, or its task has ended) is answered at once as failed, the way a server
/// error is: it is audited, said in the status line, and the form's text is kept as a draft.
pub fn dispatch(
    app: &mut App,
    handles: &HashMap<SourceId, SourceHandle>,
    source: &SourceId,
    command: SourceCommand,
) {
    let command = match handles.get(source) {
        Some(h) => match h.commands.send(command) {
            Ok(()) => return,
            Err(mpsc::error::SendError(command)) => command,
        },
        None => command,
    };
    if let SourceCommand::WriteBack {
        seq, item, action, ..
    } = command
    {
        not_running(app, seq, source, item, action.name());
    }
}

/// Answers as failed the write-backs in flight whose source's task ended before it answered
/// them (it stopped or panicked while carrying one out), so their text is not left waiting.
pub fn answer_orphaned(app: &mut App, handles: &HashMap<SourceId, SourceHandle>) {
    let orphaned: Vec<(u64, ItemKey, &'static str)> = app
        .in_flight
        .iter()
        .filter(|(_, p)| {
            handles
                .get(&p.item.source)
                .is_none_or(|h| h.task.is_finished())
        })
        .map(|(seq, p)| (*seq, p.item.clone(), p.action.name()))
        .collect();
    for (seq, item, action) in orphaned {
        let source = item.source.clone();
        not_running(app, seq, &source, item, action);
    }
}

fn not_running(app: &mut App, seq: u64, source: &SourceId, item: ItemKey, action: &'static str) {
    tracing::warn!(source = %source, item = %item.external_id, action, "write-back: the source is not running");
    let why = t(app.lang, Msg::SourceNotRunning).to_string();
    app.on_source_event(SourceEvent::WriteBackDone {
        seq,
        source: source.clone(),
        item,
        action,
        result: Err(SourceError::Unreachable(why)),
    });
}

/// Runs filter jobs on the blocking pool so typing never waits for a fuzzy pass over a large
/// queue; a newer job cancels the one before it.
struct FilterRunner {
    cancel: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    tx: mpsc::UnboundedSender<(u64, Vec<u32>)>,
    done: mpsc::UnboundedReceiver<(u64, Vec<u32>)>,
}

impl FilterRunner {
    fn new() -> Self {
        let (tx, done) = mpsc::unbounded_channel();
        Self {
            cancel: None,
            tx,
            done,
        }
    }

    fn start(&mut self, jobs: Vec<crate::queue::FilterJob>) {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicBool, Ordering};
        let Some(job) = jobs.into_iter().last() else {
            return;
        };
        if let Some(old) = self.cancel.take() {
            old.store(true, Ordering::Relaxed);
        }
        let cancel = Arc::new(AtomicBool::new(false));
        self.cancel = Some(cancel.clone());
        let tx = self.tx.clone();
        tokio::task::spawn_blocking(move || {
            if let Some(ids) = job.run(&cancel) {
                let _ = tx.send((job.generation(), ids));
            }
        });
    }
}
