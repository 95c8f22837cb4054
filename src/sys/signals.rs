//! Signal dispositions and masks: passing signals on to the command's group from a handler of
//! zklock's own, ignoring job control, holding signals back, and dying of a signal. std has
//! none of these, and tokio's listeners cost far more to install (~12k instructions each) for
//! the ~40 signals passed on, on every run; rustix's are not public (its `runtime` module).

use std::sync::Once;
use std::sync::atomic::{AtomicI32, Ordering};

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

/// A set of signals.
fn set_of(signals: impl Iterator<Item = i32>) -> libc::sigset_t {
    // SAFETY: sigemptyset and sigaddset fill the set they are given.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for sig in signals {
            libc::sigaddset(&mut set, sig);
        }
        set
    }
}

static ARMED: Once = Once::new();

/// Installs the handler of the forwarded signals (about 40 of them, with the real-time
/// ones), and unblocks them: a signal that came while they were held back
/// (`hold_back_forwarded`) is handled now, passed on or dropped as if it came now. Once;
/// later calls do nothing.
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
        let set = set_of(forwarded());
        // SAFETY: unblocks a set in this thread's mask.
        unsafe { libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut()) };
    });
}

/// Holds the forwarded signals back (blocked: one system call) until `arm_forwarding`:
/// threads made later inherit the mask, so the signals wait for this one.
pub fn hold_back_forwarded() {
    let set = set_of(forwarded());
    // SAFETY: blocks a set in this thread's mask.
    unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) };
}

/// The handler of the forwarded signals: an atomic load and kill(2), both async-signal-safe.
extern "C" fn pass_on(sig: libc::c_int) {
    let pgid = FORWARD_TO.load(Ordering::SeqCst);
    if pgid > 0 {
        // (rustix's kill is a raw system call: it leaves the interrupted code's errno alone.)
        super::process::kill_group(pgid, sig);
    }
}

/// Ignores the job-control signals: the command runs in its own process group, so a
/// terminal's Ctrl-Z would stop zklock but not the command (the child restores the defaults).
pub fn ignore_job_control() {
    for sig in [libc::SIGTSTP, libc::SIGTTIN, libc::SIGTTOU] {
        // SAFETY: setting a signal disposition to SIG_IGN has no preconditions.
        unsafe { libc::signal(sig, libc::SIG_IGN) };
    }
}

/// Ends zklock by `sig` itself, its default action restored (as fd and uutils timeout do once
/// they have cleaned up); returns 128+N only if the signal did not end the process.
pub fn die_of(sig: i32) -> i32 {
    let set = set_of(std::iter::once(sig));
    // SAFETY: restoring a default disposition, unblocking and raising have no preconditions.
    unsafe {
        libc::signal(sig, libc::SIG_DFL);
        libc::sigprocmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        libc::raise(sig);
    }
    128 + sig
}

/// Stops zklock itself with `sig` (a job-control stop, as its command just got), as sudo does
/// so that the shell sees its job stopped and gets the terminal back; returns once zklock is
/// continued (`fg`, `bg`, SIGCONT). zklock's own dispositions are restored after.
pub fn stop_self(sig: i32) {
    let set = set_of(std::iter::once(sig));
    // SAFETY: a default disposition, an unblock and a raise; then the disposition zklock
    // keeps for the job-control signals (ignored: ignore_job_control), and the mask as it was.
    unsafe {
        if sig != libc::SIGSTOP {
            libc::signal(sig, libc::SIG_DFL);
        }
        let mut before: libc::sigset_t = std::mem::zeroed();
        libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, &mut before);
        libc::raise(sig);
        libc::pthread_sigmask(libc::SIG_SETMASK, &before, std::ptr::null_mut());
        if sig != libc::SIGSTOP {
            libc::signal(sig, libc::SIG_IGN);
        }
    }
}
