//! Signal numbers by name, for `--kill-signal` and for messages.

use std::fmt;
use std::sync::Once;
use std::sync::atomic::{AtomicI32, Ordering};
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

/// Ends zklock by `sig` itself, its default action restored (as fd and uutils timeout do once
/// they have cleaned up); returns 128+N only if the signal did not end the process.
pub fn die_of(sig: Signal) -> i32 {
    // SAFETY: restoring a default disposition, unblocking and raising have no preconditions.
    unsafe {
        libc::signal(sig.0, libc::SIG_DFL);
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, sig.0);
        libc::sigprocmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        libc::raise(sig.0);
    }
    128 + sig.0
}

/// What the listener caught.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caught {
    /// INT, TERM, HUP or QUIT: zklock is told to stop (forwarded while a command runs).
    Stop(Signal),
    /// SIGCHLD: some child of zklock changed state.
    Child,
}

/// Signals passed on to the command's group as they are, as tini and timeout(1) do, besides
/// the four that stop zklock. Not here: KILL and STOP (uncatchable), the job-control signals
/// (TSTP, TTIN, TTOU, CONT), CHLD, the faults of zklock's own code (SEGV, BUS, FPE, ILL, TRAP,
/// SYS, ABRT) and PIPE (about zklock's own writes). The real-time signals follow.
const FORWARDED: &[i32] = &[
    libc::SIGUSR1,
    libc::SIGUSR2,
    libc::SIGALRM,
    libc::SIGWINCH,
    libc::SIGURG,
    libc::SIGVTALRM,
    libc::SIGPROF,
    libc::SIGIO,
    libc::SIGPWR,
];

/// The process group the forwarded signals go to; 0 while no command runs (they are then
/// ignored, rather than killing zklock as their default action would).
static FORWARD_TO: AtomicI32 = AtomicI32::new(0);

/// From now on, pass forwarded signals on to `pgid` (0: drop them).
pub fn forward_to(pgid: i32) {
    // Signals held back until now (a semaphore waits before making its helpers) are delivered
    // here with no group to pass them to: dropped, as any that came while zklock waited.
    arm_forwarding();
    FORWARD_TO.store(pgid, Ordering::SeqCst);
}

/// The forwarded signals, the real-time ones included.
fn forwarded() -> impl Iterator<Item = i32> {
    FORWARDED
        .iter()
        .copied()
        .chain(libc::SIGRTMIN()..=libc::SIGRTMAX())
}

/// `forwarded()` as a set.
fn forwarded_set() -> libc::sigset_t {
    // SAFETY: sigemptyset and sigaddset fill the set they are given.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for sig in forwarded() {
            libc::sigaddset(&mut set, sig);
        }
        set
    }
}

static ARMED: Once = Once::new();

/// Installs the handler of the forwarded signals (about 40 of them, with the real-time
/// ones), and unblocks them: a signal that came while they were held back (`Listener::install`
/// with `defer`) is handled now, passed on or dropped as if it came now. Once; later calls do
/// nothing.
pub fn arm_forwarding() {
    ARMED.call_once(|| {
        for sig in forwarded() {
            // SAFETY: installs an async-signal-safe handler; a zeroed sigaction is a valid
            // empty mask. exec resets handled signals to their defaults in the command.
            unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = pass_on as extern "C" fn(libc::c_int) as usize;
                action.sa_flags = libc::SA_RESTART;
                libc::sigaction(sig, &action, std::ptr::null_mut());
            }
        }
        // SAFETY: unblocks a set in this thread's mask.
        unsafe { libc::pthread_sigmask(libc::SIG_UNBLOCK, &forwarded_set(), std::ptr::null_mut()) };
    });
}

/// The handler of the forwarded signals: an atomic load and kill(2), both async-signal-safe.
/// (tokio's listeners would cost far more to install, ~12k instructions each, on every run.)
extern "C" fn pass_on(sig: libc::c_int) {
    // SAFETY: errno is thread-local; kill is async-signal-safe and touches no memory.
    unsafe {
        let errno = *libc::__errno_location();
        let pgid = FORWARD_TO.load(Ordering::SeqCst);
        if pgid > 0 {
            libc::kill(-pgid, sig);
        }
        *libc::__errno_location() = errno;
    }
}

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
        for sig in [libc::SIGTSTP, libc::SIGTTIN, libc::SIGTTOU] {
            // SAFETY: setting a signal disposition to SIG_IGN has no preconditions.
            unsafe { libc::signal(sig, libc::SIG_IGN) };
        }
        if defer {
            // SAFETY: blocks a set in this thread's mask (threads made later inherit it, so
            // the signals wait for this one).
            unsafe {
                libc::pthread_sigmask(libc::SIG_BLOCK, &forwarded_set(), std::ptr::null_mut())
            };
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
