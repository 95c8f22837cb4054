//! Signal numbers by name, for `--kill-signal` and for messages.

use std::fmt;

/// A Unix signal number that zklock may send to the command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signal(pub i32);

const NAMES: &[(&str, i32)] = &[
    ("HUP", libc::SIGHUP),
    ("INT", libc::SIGINT),
    ("QUIT", libc::SIGQUIT),
    ("KILL", libc::SIGKILL),
    ("USR1", libc::SIGUSR1),
    ("USR2", libc::SIGUSR2),
    ("ALRM", libc::SIGALRM),
    ("TERM", libc::SIGTERM),
];

impl Signal {
    pub const TERM: Signal = Signal(libc::SIGTERM);
    pub const KILL: Signal = Signal(libc::SIGKILL);

    /// Accepts `TERM`, `SIGTERM`, `term` or `15`.
    pub fn parse(s: &str) -> Result<Signal, String> {
        let upper = s.to_ascii_uppercase();
        let name = upper.strip_prefix("SIG").unwrap_or(&upper);
        if let Some((_, n)) = NAMES.iter().find(|(n, _)| *n == name) {
            return Ok(Signal(*n));
        }
        match s.parse::<i32>() {
            Ok(n) if (1..=64).contains(&n) => Ok(Signal(n)),
            _ => Err(format!(
                "unknown signal '{s}' (try TERM, INT, HUP, KILL or a number)"
            )),
        }
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match NAMES.iter().find(|(_, n)| *n == self.0) {
            Some((name, _)) => write!(f, "SIG{name}"),
            None => write!(f, "signal {}", self.0),
        }
    }
}

/// The signals zklock reacts to, installed once before connecting so a SIGTERM during the
/// connect or the wait is handled (and the node removed) rather than fatal.
pub struct Listener {
    int: unix::Signal,
    term: unix::Signal,
    hup: unix::Signal,
    quit: unix::Signal,
    child: unix::Signal,
}

use tokio::signal::unix::{self, SignalKind};

impl Listener {
    pub fn install() -> std::io::Result<Listener> {
        // The command runs in its own process group, so a terminal's Ctrl-Z would stop zklock
        // but not the command; zklock ignores job control (the child restores the defaults).
        for sig in [libc::SIGTSTP, libc::SIGTTIN, libc::SIGTTOU] {
            // SAFETY: setting a signal disposition to SIG_IGN has no preconditions.
            unsafe { libc::signal(sig, libc::SIG_IGN) };
        }
        Ok(Listener {
            int: unix::signal(SignalKind::interrupt())?,
            term: unix::signal(SignalKind::terminate())?,
            hup: unix::signal(SignalKind::hangup())?,
            quit: unix::signal(SignalKind::quit())?,
            child: unix::signal(SignalKind::child())?,
        })
    }

    /// The next INT, TERM, HUP or QUIT sent to zklock.
    pub async fn terminating(&mut self) -> Signal {
        loop {
            if let Some(sig) = self.next().await {
                return sig;
            }
        }
    }

    /// The next signal of any kind: `Some` for INT, TERM, HUP or QUIT, `None` for SIGCHLD (some
    /// child of zklock changed state).
    pub async fn next(&mut self) -> Option<Signal> {
        tokio::select! {
            _ = self.int.recv() => Some(Signal(libc::SIGINT)),
            _ = self.term.recv() => Some(Signal(libc::SIGTERM)),
            _ = self.hup.recv() => Some(Signal(libc::SIGHUP)),
            _ = self.quit.recv() => Some(Signal(libc::SIGQUIT)),
            _ = self.child.recv() => None,
        }
    }
}
