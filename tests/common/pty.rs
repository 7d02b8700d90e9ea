//! A pseudo-terminal harness for end-to-end tests: starts the real `nightdesk` binary in a
//! PTY, sends keys, and reads the screen through the `vt100` terminal emulator.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};

/// Reads "N of M" (items shown, items in the queue) from the top line.
pub fn shown_count(screen: &str) -> Option<(usize, usize)> {
    let top = screen.lines().next()?;
    let words: Vec<&str> = top.split_whitespace().collect();
    let at = words.iter().position(|w| *w == "of")?;
    Some((
        words.get(at - 1)?.parse().ok()?,
        words.get(at + 1)?.parse().ok()?,
    ))
}

/// Whether the status line says every source answered ("sources ok 18/18").
pub fn every_source_answered(screen: &str) -> bool {
    let Some(at) = screen.rfind("sources ok ") else {
        return false;
    };
    let counts = screen[at + "sources ok ".len()..].split_whitespace().next();
    counts
        .and_then(|c| c.split_once('/'))
        .is_some_and(|(ok, all)| ok == all)
}

pub struct Tui {
    master: Box<dyn MasterPty + Send>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn Child + Send + Sync>,
    parser: Arc<Mutex<vt100::Parser>>,
    raw: Arc<Mutex<Vec<u8>>>,
}

/// How long a screen condition may take to appear before the test fails. Generous: CI
/// machines are slow; the wait ends as soon as the condition holds.
pub const PATIENCE: Duration = Duration::from_secs(20);

impl Tui {
    /// Starts `nightdesk ARGS` in a `cols`x`rows` terminal with its XDG dirs under `home`.
    pub fn start(args: &[&str], home: &Path, cols: u16, rows: u16, env: &[(&str, &str)]) -> Tui {
        Tui::start_program(env!("CARGO_BIN_EXE_nightdesk"), args, home, cols, rows, env)
    }

    /// Like [`Tui::start`], for another program (e.g. tmux running nightdesk).
    pub fn start_program(
        program: &str,
        args: &[&str],
        home: &Path,
        cols: u16,
        rows: u16,
        env: &[(&str, &str)],
    ) -> Tui {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("open pty");
        let mut cmd = CommandBuilder::new(program);
        cmd.args(args);
        cmd.env_clear();
        for (k, v) in [
            ("PATH", std::env::var("PATH").unwrap_or_default()),
            ("HOME", home.display().to_string()),
            ("XDG_CONFIG_HOME", home.join("config").display().to_string()),
            ("XDG_DATA_HOME", home.join("data").display().to_string()),
            ("XDG_STATE_HOME", home.join("state").display().to_string()),
            ("TERM", "xterm-256color".to_string()),
            ("LANG", "en_US.UTF-8".to_string()),
            ("TZ", "Europe/Berlin".to_string()),
        ] {
            cmd.env(k, v);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pty.slave.spawn_command(cmd).expect("spawn nightdesk");
        drop(pty.slave);
        let parser = Arc::new(Mutex::new(vt100::Parser::new(
            rows.try_into().expect("rows > 0"),
            cols.try_into().expect("cols > 0"),
            0,
        )));
        let raw = Arc::new(Mutex::new(Vec::new()));
        let mut reader = pty.master.try_clone_reader().expect("pty reader");
        let (p, r) = (parser.clone(), raw.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                p.lock().unwrap().process(&buf[..n]);
                r.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        let writer = pty.master.take_writer().expect("pty writer");
        Tui {
            master: pty.master,
            writer,
            child,
            parser,
            raw,
        }
    }

    pub fn send(&mut self, bytes: &str) {
        self.writer.write_all(bytes.as_bytes()).expect("write keys");
        self.writer.flush().expect("flush keys");
    }

    /// Sends keys one at a time, waiting for each to be echoed somewhere is not possible in
    /// general, so each key is its own write (as a person types).
    pub fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.send(&c.to_string());
        }
    }

    pub fn screen(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    pub fn with_screen<T>(&self, f: impl FnOnce(&vt100::Screen) -> T) -> T {
        f(self.parser.lock().unwrap().screen())
    }

    /// Every byte the program wrote so far.
    pub fn output(&self) -> Vec<u8> {
        self.raw.lock().unwrap().clone()
    }

    /// Waits until `cond` holds for the screen; panics with the screen when it never does.
    pub fn wait_for(&self, what: &str, cond: impl Fn(&vt100::Screen) -> bool) {
        let start = Instant::now();
        loop {
            if self.with_screen(&cond) {
                return;
            }
            if start.elapsed() > PATIENCE {
                panic!("timed out waiting for {what}; screen:\n{}", self.screen());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until `cond` holds for every byte written so far; panics with the screen when
    /// it never does.
    pub fn wait_for_output(&self, what: &str, cond: impl Fn(&[u8]) -> bool) {
        let start = Instant::now();
        loop {
            if cond(&self.raw.lock().unwrap()) {
                return;
            }
            if start.elapsed() > PATIENCE {
                panic!("timed out waiting for {what}; screen:\n{}", self.screen());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn wait_for_text(&self, text: &str) {
        self.wait_for(&format!("{text:?}"), |s| s.contents().contains(text));
    }

    /// Waits for the program to exit and returns its exit code.
    pub fn wait_exit(&mut self) -> u32 {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status.exit_code();
            }
            if start.elapsed() > PATIENCE {
                let _ = self.child.kill();
                panic!("nightdesk did not exit; screen:\n{}", self.screen());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Resizes the terminal (the program gets SIGWINCH), as when a window is resized.
    pub fn resize(&self, cols: u16, rows: u16) {
        self.parser
            .lock()
            .unwrap()
            .set_size(rows.try_into().unwrap(), cols.try_into().unwrap());
        self.master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("resize pty");
    }

    /// The program's process id.
    pub fn pid(&self) -> u32 {
        self.child.process_id().expect("child pid")
    }

    /// Sends a signal to the program (as a dropped SSH connection or a kill would).
    pub fn signal(&self, sig: nix::sys::signal::Signal) {
        let pid = self.child.process_id().expect("child pid") as i32;
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), sig).expect("kill");
    }

    /// The terminal's line discipline: true when canonical mode and echo are on (cooked),
    /// false in raw mode.
    pub fn cooked(&self) -> bool {
        let termios = self.master.get_termios().expect("termios");
        let lflag = termios.local_flags;
        lflag.contains(nix::sys::termios::LocalFlags::ICANON)
            && lflag.contains(nix::sys::termios::LocalFlags::ECHO)
    }
}

impl Drop for Tui {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}
