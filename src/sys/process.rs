//! Processes and process groups: signalling, reaping, the terminal's foreground group, the
//! subreaper, and the fork of a helper. rustix's safe calls where it has them; libc's only
//! for a signal number rustix does not name (the real-time ones) and for `fork`.

use std::io;

use rustix::process::{Pid, Signal, WaitOptions};

/// A signal for rustix: any number the kernel takes, the real-time ones included.
fn signal(n: i32) -> Signal {
    // SAFETY: every caller passes a signal number zklock parsed (1..=64) or a named constant;
    // the kernel refuses anything else with EINVAL, which the callers ignore or report.
    Signal::from_named_raw(n).unwrap_or_else(|| unsafe { Signal::from_raw_unchecked(n) })
}

fn pid(n: i32) -> Option<Pid> {
    Pid::from_raw(n)
}

/// zklock's own pid.
pub fn own_pid() -> i32 {
    rustix::process::getpid().as_raw_nonzero().get()
}

/// Sends `sig` to the process `target`; whether it was sent.
pub fn kill(target: i32, sig: i32) -> bool {
    pid(target).is_some_and(|p| rustix::process::kill_process(p, signal(sig)).is_ok())
}

/// Sends `sig` to the process group `pgid`; whether it was sent.
pub fn kill_group(pgid: i32, sig: i32) -> bool {
    pid(pgid).is_some_and(|p| rustix::process::kill_process_group(p, signal(sig)).is_ok())
}

/// Whether any process is left in the group `pgid` (signal 0).
pub fn group_exists(pgid: i32) -> bool {
    pid(pgid).is_some_and(|p| rustix::process::test_kill_process_group(p).is_ok())
}

/// The process group of `target`, if it still exists.
pub fn group_of(target: i32) -> Option<i32> {
    rustix::process::getpgid(Some(pid(target)?))
        .ok()
        .map(|g| g.as_raw_nonzero().get())
}

/// What `reap_any` found.
pub enum Reaped {
    /// Nothing more to reap now.
    None,
    /// `pid` stopped (job control) on `signal`.
    Stopped { pid: i32, signal: i32 },
    /// `pid` ended with this status: its exit code, or 128+N when signal N killed it.
    Ended { pid: i32, status: i32 },
}

/// Reaps one exited (or reports one stopped) child of zklock's without waiting. (rustix's
/// `wait` is `waitpid(-1)`, any child; its `waitpid(None)` is `waitpid(0)`, only children in
/// zklock's own process group, which the command is not.)
pub fn reap_any() -> Reaped {
    match rustix::process::wait(WaitOptions::NOHANG | WaitOptions::UNTRACED) {
        Ok(Some((pid, status))) => {
            let pid = pid.as_raw_nonzero().get();
            if let Some(signal) = status.stopping_signal() {
                Reaped::Stopped { pid, signal }
            } else if let Some(sig) = status.terminating_signal() {
                Reaped::Ended {
                    pid,
                    status: 128 + sig,
                }
            } else {
                Reaped::Ended {
                    pid,
                    status: status.exit_status().unwrap_or(0),
                }
            }
        }
        Ok(None) | Err(_) => Reaped::None,
    }
}

/// Waits for the child `target` to end, and reaps it.
pub fn reap(target: i32) {
    if let Some(p) = pid(target) {
        let _ = rustix::process::waitpid(Some(p), WaitOptions::empty());
    }
}

/// Whether stdin is a terminal whose foreground process group is zklock's.
pub fn owns_terminal() -> bool {
    let stdin = rustix::stdio::stdin();
    rustix::termios::isatty(stdin)
        && rustix::termios::tcgetpgrp(stdin).is_ok_and(|g| g == rustix::process::getpgrp())
}

/// Makes zklock's process group the terminal's (stdin's) foreground group again. zklock
/// ignores SIGTTOU, so it may do so from the background.
pub fn take_terminal() {
    let _ = rustix::termios::tcsetpgrp(rustix::stdio::stdin(), rustix::process::getpgrp());
}

/// Gives the terminal (stdin's) to the process group `pgid`, if zklock's group has it now
/// (after `fg`; not after `bg`, which leaves the job in the background).
pub fn give_terminal_if_ours(pgid: i32) {
    let stdin = rustix::stdio::stdin();
    if rustix::termios::tcgetpgrp(stdin).is_ok_and(|g| g == rustix::process::getpgrp())
        && let Some(group) = pid(pgid)
    {
        let _ = rustix::termios::tcsetpgrp(stdin, group);
    }
}

/// Makes zklock the reaper of its orphaned descendants (`PR_SET_CHILD_SUBREAPER`, Linux
/// 3.4+), or says why not (qemu-user, for one, refuses it).
pub fn become_subreaper() -> io::Result<()> {
    rustix::process::set_child_subreaper(Some(rustix::process::getpid())).map_err(io::Error::from)
}

/// A child process with memory of its own (so the OOM killer, which takes every process that
/// shares the victim's memory, does not take it with zklock): `fork(2)`, which every kernel
/// and seccomp profile allows. The child runs `child`, then exits at once.
///
/// # Safety
/// zklock may have more than one thread: `child` may make only async-signal-safe calls.
pub(super) unsafe fn fork(child: impl FnOnce()) -> io::Result<i32> {
    // SAFETY: as the caller promises for the child; the parent goes on as before.
    match unsafe { libc::fork() } {
        -1 => Err(io::Error::last_os_error()),
        0 => {
            child();
            // SAFETY: ends the child without running zklock's exit handlers.
            unsafe { libc::_exit(0) }
        }
        pid => Ok(pid),
    }
}
