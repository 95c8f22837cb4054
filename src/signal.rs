//! Signal numbers by name, for `--kill-signal` and for messages.

use std::fmt;
use std::task::Poll;

use tokio::signal::unix::{self, SignalKind};

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
    ("WINCH", libc::SIGWINCH),
    ("URG", libc::SIGURG),
    ("VTALRM", libc::SIGVTALRM),
    ("PROF", libc::SIGPROF),
    ("IO", libc::SIGIO),
    ("PWR", libc::SIGPWR),
];

impl Signal {
    pub const TERM: Signal = Signal(libc::SIGTERM);
    pub const KILL: Signal = Signal(libc::SIGKILL);

    /// The names `parse` knows, for completions: `HUP`, `INT`, ...
    pub fn names() -> impl Iterator<Item = &'static str> {
        NAMES.iter().map(|(name, _)| *name)
    }

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

/// Ends zklock by `sig` itself, its default action restored, once it has cleaned up
/// (sys/signals.rs).
pub fn die_of(sig: Signal) -> i32 {
    crate::sys::signals::die_of(sig.0)
}

/// What the listener caught.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caught {
    /// INT, TERM, HUP or QUIT: zklock is told to stop (forwarded while a command runs).
    Stop(Signal),
    /// SIGCHLD: some child of zklock changed state.
    Child,
}

pub use crate::sys::signals::{arm_forwarding, forward_to};

/// The signals zklock reacts to, installed once before connecting so a SIGTERM during the
/// connect or the wait is handled (and the node removed) rather than fatal.
pub struct Listener {
    stop: Vec<(i32, unix::Signal)>,
    child: unix::Signal,
}

impl Listener {
    /// With `defer`, the forwarded signals are only held back (blocked: one system call) until
    /// `arm_forwarding`, which `lock` calls with the command's helpers, while its create is on
    /// its way: their ~40 handlers are not installed on the way to the first byte sent. Held
    /// back or handled, they do not end zklock; without a command they are dropped.
    pub fn install(defer: bool) -> std::io::Result<Listener> {
        // The command runs in its own process group, so a terminal's Ctrl-Z would stop zklock
        // but not the command; zklock ignores job control (the child restores the defaults).
        crate::sys::signals::ignore_job_control();
        if defer {
            crate::sys::signals::hold_back_forwarded();
        } else {
            arm_forwarding();
        }
        let stop = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT]
            .into_iter()
            .map(|n| unix::signal(SignalKind::from_raw(n)).map(|s| (n, s)))
            .collect::<std::io::Result<_>>()?;
        Ok(Listener {
            stop,
            child: unix::signal(SignalKind::child())?,
        })
    }

    /// The next INT, TERM, HUP or QUIT sent to zklock.
    pub async fn terminating(&mut self) -> Signal {
        loop {
            if let Caught::Stop(sig) = self.next().await {
                return sig;
            }
        }
    }

    /// The next INT, TERM, HUP, QUIT or CHLD.
    pub async fn next(&mut self) -> Caught {
        std::future::poll_fn(|cx| {
            for (n, stream) in &mut self.stop {
                if stream.poll_recv(cx).is_ready() {
                    return Poll::Ready(Caught::Stop(Signal(*n)));
                }
            }
            if self.child.poll_recv(cx).is_ready() {
                return Poll::Ready(Caught::Child);
            }
            Poll::Pending
        })
        .await
    }
}
