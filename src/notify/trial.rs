//! `nightdesk notify test`: one test notification through the chosen channels, so the
//! person on duty can see whether their terminal (and tmux) shows OSC 777 / OSC 9 and rings
//! the bell, and whether a desktop notification arrives, before the night starts.

use std::io::Write;

use super::terminal::{self, TerminalKind};
use super::{Channel, Notification, desktop};
use crate::i18n::{Lang, Msg, fill, t};

/// What happened on one channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Written to the terminal (`wrapped`: inside tmux passthrough).
    Written {
        wrapped: bool,
    },
    Sent,
    /// No session bus (why).
    Skipped(String),
    Failed(String),
}

impl Outcome {
    pub fn is_ok(&self) -> bool {
        matches!(self, Outcome::Written { .. } | Outcome::Sent)
    }
}

/// The test notification for `channels`.
pub fn notification(lang: Lang, channels: &[Channel]) -> Notification {
    let names: Vec<&str> = channels.iter().map(|c| c.name()).collect();
    Notification {
        rules: vec!["test".into()],
        item: None,
        title: t(lang, Msg::NotifyTestTitle).to_string(),
        body: fill(t(lang, Msg::NotifyTestBody), &[&names.join(", ")]),
        channels: channels.to_vec(),
    }
}

/// Sends the test notification: terminal bytes to `out`, desktop over the session bus.
pub fn run(
    lang: Lang,
    channels: &[Channel],
    kind: TerminalKind,
    out: &mut dyn Write,
) -> Vec<(Channel, Outcome)> {
    let n = notification(lang, channels);
    let bytes = terminal::encode(&n, kind);
    let written = out.write_all(&bytes).and_then(|()| out.flush());
    channels
        .iter()
        .map(|&c| {
            let outcome = match (c, &written) {
                (Channel::Desktop, _) => desktop_outcome(&n),
                (_, Ok(())) => Outcome::Written {
                    wrapped: kind.tmux && c != Channel::Bell,
                },
                (_, Err(e)) => Outcome::Failed(e.to_string()),
            };
            (c, outcome)
        })
        .collect()
}

fn desktop_outcome(n: &Notification) -> Outcome {
    match desktop::probe(&|name| std::env::var_os(name)) {
        Err(why) => Outcome::Skipped(why),
        Ok(()) => match desktop::send(n) {
            Ok(()) => Outcome::Sent,
            Err(e) => Outcome::Failed(e),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_channels_are_written_and_said() {
        let mut out = Vec::new();
        let report = run(
            Lang::En,
            &[Channel::Osc9, Channel::Bell],
            TerminalKind { tmux: true },
            &mut out,
        );
        assert_eq!(
            report,
            [
                (Channel::Osc9, Outcome::Written { wrapped: true }),
                (Channel::Bell, Outcome::Written { wrapped: false })
            ]
        );
        assert!(out.ends_with(b"\x07"));
        assert!(out.starts_with(b"\x1bPtmux;\x1b\x1b]9;nightdesk test notification: If you can read this, these channels work: osc9, bell."));
    }
}
