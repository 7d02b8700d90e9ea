//! Carrying notifications out, for the event loop: terminal bytes are collected and written
//! by the loop between two frames (never inside a synchronized frame); desktop
//! notifications go to the blocking pool. Failures are logged, never fatal.

use super::terminal::{self, TerminalKind};
use super::{Channel, Notification, desktop};

/// The channels as this process can use them.
#[derive(Debug)]
pub struct Outlet {
    kind: TerminalKind,
    /// Terminal bytes waiting for the gap between two frames.
    pending: Vec<u8>,
    /// Whether a session bus answered when the loop started (why not, otherwise).
    desktop: Result<(), String>,
    /// The missing desktop was said once already.
    said: bool,
}

impl Outlet {
    /// Looks at the environment: `$TMUX`, and the session bus when a rule wants the
    /// desktop channel (a connect to its socket).
    pub fn from_env(wants_desktop: bool) -> Outlet {
        let desktop = if wants_desktop {
            desktop::probe(&|name| std::env::var_os(name))
        } else {
            Err("no rule uses it".into())
        };
        Outlet::new(TerminalKind::from_env(), desktop)
    }

    pub fn new(kind: TerminalKind, desktop: Result<(), String>) -> Outlet {
        Outlet {
            kind,
            pending: Vec::new(),
            desktop,
            said: false,
        }
    }

    /// Sends `n` (terminal bytes only queued). Returns, once per session, why desktop
    /// notifications are skipped, for the status line.
    pub fn deliver(&mut self, n: Notification) -> Option<String> {
        tracing::info!(
            rules = %n.rules.join(","),
            item = ?n.item.as_ref().map(|k| format!("{}/{}", k.source, k.external_id)),
            channels = %n.channel_names(),
            title = %crate::text::sanitize(&n.title),
            "notification"
        );
        if n.has_terminal_channel() {
            self.pending.extend(terminal::encode(&n, self.kind));
        }
        if !n.channels.contains(&Channel::Desktop) {
            return None;
        }
        match &self.desktop {
            Ok(()) => {
                spawn_desktop(n);
                None
            }
            Err(why) if !self.said => {
                self.said = true;
                tracing::info!(reason = %why, "desktop notifications skipped");
                Some(why.clone())
            }
            Err(_) => None,
        }
    }

    /// The terminal bytes to write now (between frames).
    pub fn take_terminal_bytes(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.pending)
    }
}

/// notify-rust blocks on D-Bus: off the async threads.
fn spawn_desktop(n: Notification) {
    let send = move || {
        if let Err(e) = desktop::send(&n) {
            tracing::warn!(error = %e, "desktop notification failed");
        }
    };
    match tokio::runtime::Handle::try_current() {
        Ok(rt) => drop(rt.spawn_blocking(send)),
        Err(_) => send(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(channels: &[Channel]) -> Notification {
        Notification {
            rules: vec!["r".into()],
            item: None,
            title: "T".into(),
            body: "B".into(),
            channels: channels.to_vec(),
        }
    }

    #[test]
    fn terminal_bytes_wait_for_the_loop() {
        let mut out = Outlet::new(TerminalKind::default(), Err("none".into()));
        assert_eq!(out.deliver(note(&[Channel::Bell])), None);
        assert_eq!(out.deliver(note(&[Channel::Bell])), None);
        assert_eq!(out.take_terminal_bytes(), b"\x07\x07");
        assert!(out.take_terminal_bytes().is_empty());
    }

    #[test]
    fn a_missing_session_bus_is_said_once() {
        let mut out = Outlet::new(TerminalKind::default(), Err("no bus".into()));
        let n = note(&[Channel::Desktop, Channel::Bell]);
        assert_eq!(out.deliver(n.clone()).as_deref(), Some("no bus"));
        assert_eq!(out.deliver(n), None, "only once");
        assert_eq!(
            out.take_terminal_bytes(),
            b"\x07\x07",
            "the bell still rings"
        );
    }
}
