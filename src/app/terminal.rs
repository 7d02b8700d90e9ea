//! The terminal guard: enter raw mode and the alternate screen, and restore the terminal on
//! every way out — normal quit, error (Drop) and panic (hook) — idempotently.

use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::{cursor, event, execute, terminal};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

static ACTIVE: AtomicBool = AtomicBool::new(false);

/// Leaves every mode nightdesk turns on. Safe to call twice and from a panic hook.
pub fn restore() {
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return;
    }
    let mut out = io::stdout();
    let _ = execute!(
        out,
        terminal::EndSynchronizedUpdate,
        event::DisableBracketedPaste,
        terminal::LeaveAlternateScreen,
        cursor::Show
    );
    let _ = terminal::disable_raw_mode();
    let _ = out.flush();
}

/// Owns the terminal while the TUI runs; dropping it restores the terminal.
pub struct TerminalGuard {
    pub terminal: Terminal<CrosstermBackend<io::Stdout>>,
}

impl TerminalGuard {
    pub fn enter() -> io::Result<Self> {
        enter_modes()?;
        let terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
        Ok(Self { terminal })
    }

    /// Gives the terminal back to the shell for a while (a child program), see [`resume`].
    pub fn suspend(&mut self) {
        restore();
    }

    /// Takes the terminal again after [`suspend`] and forces a full redraw.
    pub fn resume(&mut self) -> io::Result<()> {
        enter_modes()?;
        clear_all(&mut self.terminal)
    }
}

/// Clears the screen and makes the next draw repaint every cell. Unlike ratatui's
/// `Terminal::clear`, it does not ask the terminal where the cursor is (a round trip over a
/// slow link, and an error after 2 s when nothing answers).
pub fn clear_all<W: Write>(terminal: &mut Terminal<CrosstermBackend<W>>) -> io::Result<()> {
    let size = terminal.size()?;
    terminal.resize(ratatui::layout::Rect::new(0, 0, size.width, size.height))
}

fn enter_modes() -> io::Result<()> {
    terminal::enable_raw_mode()?;
    ACTIVE.store(true, Ordering::SeqCst);
    execute!(
        io::stdout(),
        terminal::EnterAlternateScreen,
        event::EnableBracketedPaste,
        cursor::Hide
    )
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Installs a panic hook that restores the terminal first, then writes the panic with a
/// backtrace to `panic_log` (the alternate screen would hide stderr from the user), then runs
/// the previous hook so the message also reaches the now-restored terminal.
pub fn install_panic_hook(panic_log: PathBuf) {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        let backtrace = std::backtrace::Backtrace::force_capture();
        let entry = format!(
            "{} nightdesk {} panicked: {info}\n{backtrace}\n",
            jiff::Timestamp::now(),
            env!("CARGO_PKG_VERSION")
        );
        tracing::error!("panic: {info}");
        if let Some(dir) = panic_log.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&panic_log)
            .and_then(|mut f| f.write_all(entry.as_bytes()));
        eprintln!("nightdesk crashed; details in {}", panic_log.display());
        previous(info);
    }));
}
