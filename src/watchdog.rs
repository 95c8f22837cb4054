//! The watchdog: a small helper process that holds the command group's fate when zklock
//! cannot (SPEC §2, ../shared/SAFETY.md).
//!
//! zklock's own guard stops the command before the lease runs out, but only while zklock runs:
//! a zklock that is stopped (SIGSTOP, a debugger, starvation) or killed (OOM killer, SIGKILL)
//! would leave its command running while the lock passes to the next holder. So before it
//! starts the command (while it waits, for a waiter), zklock starts this helper into a session
//! of its own: a process that shares zklock's memory on a stack of its own (raw.rs), or a
//! fork where that is not available. They share one anonymous page: zklock publishes the
//! command's process group and the lease's SIGKILL deadline (CLOCK_BOOTTIME), moving the
//! deadline on with every answered probe, which is a plain atomic store.
//!
//! The helper sleeps in `poll` on two things: a CLOCK_BOOTTIME timerfd (so a suspend counts,
//! and nothing polls), and a pipe whose only write end zklock holds. The timer is one file
//! both hold: zklock arms it itself when it publishes a group, so the helper sleeps on until
//! the deadline (no wake-up per command). When the timer fires the helper reads the deadline
//! again: moved on, it re-arms the timer to it; passed, it SIGKILLs the group (and again every
//! 0.1 s until zklock, stopped meanwhile, withdraws it). At the pipe's end-of-file with a group
//! still published, zklock is gone: it kills at once. When zklock exits normally it has
//! already withdrawn the group, and the helper just exits.

use std::io;
use std::sync::atomic::{AtomicI32, AtomicI64, Ordering};

use crate::cgroup::Cgroup;
use crate::lease::BootTime;
use crate::sys::raw;

/// The page zklock and the helper share.
#[repr(C)]
struct Shared {
    /// The command's process group; 0 when there is none to guard.
    pgid: AtomicI32,
    /// CLOCK_BOOTTIME nanoseconds after which the group must be killed.
    deadline: AtomicI64,
}

/// zklock's side of the watchdog.
pub struct Watchdog {
    shared: &'static Shared,
    /// The helper's timer (CLOCK_BOOTTIME), armed by zklock when it publishes a group.
    timer: i32,
    pid: i32,
}

impl Watchdog {
    /// Starts the helper, forked: it makes only raw system calls (no allocation, no locks, no
    /// `errno`).
    pub fn start(cgroup: Option<&'static Cgroup>) -> io::Result<Watchdog> {
        let page = 4096;
        // SAFETY: an anonymous shared mapping; checked for MAP_FAILED below.
        let mem = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                page,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if mem == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: the mapping is zeroed, page-aligned, large enough and never unmapped; all
        // zeroes is a valid `Shared` (atomics of integers).
        let shared: &'static Shared = unsafe { &*(mem as *const Shared) };
        let mut fds = [0; 2];
        // SAFETY: pipe2 writes two descriptors into `fds`.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
            return Err(io::Error::last_os_error());
        }
        // zklock keeps the write end open, and writes nothing to it, until it exits: its
        // closing, zklock's death, is what the helper reads (end-of-file).
        let (wake, kick) = (fds[0], fds[1]);
        // SAFETY: timerfd_create takes flags and touches no memory; checked below.
        let timer = unsafe { libc::timerfd_create(libc::CLOCK_BOOTTIME, libc::TFD_CLOEXEC) };
        if timer < 0 {
            let error = io::Error::last_os_error();
            // SAFETY: both ends are ours and used nowhere else.
            unsafe {
                libc::close(wake);
                libc::close(kick);
            }
            return Err(error);
        }
        let helper = Helper {
            shared,
            wake,
            timer,
            cgroup,
        };
        // Every signal is blocked from before the fork, and the helper never unblocks one,
        // so no handler of zklock's runs in it.
        let pid = raw::with_every_signal_blocked(|| start_helper(&helper))?;
        // SAFETY: the parent keeps only the write end.
        unsafe { libc::close(wake) };
        Ok(Watchdog { shared, timer, pid })
    }

    /// The helper's pid (a child of zklock until zklock exits).
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// From now on the helper kills group `pgid` once `deadline` passes, or when zklock dies.
    /// Publishes both, then arms the helper's timer (whose file both hold) to the deadline:
    /// the helper is not woken now, only when the timer fires.
    pub fn guard(&self, pgid: i32, deadline: BootTime) {
        self.shared.deadline.store(deadline.0, Ordering::SeqCst);
        self.shared.pgid.store(pgid, Ordering::SeqCst);
        arm(self.timer, deadline.0);
    }

    /// Moves the deadline on (an atomic store; the helper reads it when its timer fires, and
    /// re-arms the timer to it). Deadlines only move later: the lease's proofs only get newer.
    pub fn extend(&self, deadline: BootTime) {
        self.shared.deadline.store(deadline.0, Ordering::SeqCst);
    }

    /// The group is gone: nothing left to kill. (No wake-up: the helper sees it at its next
    /// timer, and leaves the timer unarmed, or exits at zklock's end.)
    pub fn stand_down(&self) {
        self.shared.pgid.store(0, Ordering::SeqCst);
    }
}

/// What the helper is given.
struct Helper {
    shared: &'static Shared,
    wake: i32,
    timer: i32,
    cgroup: Option<&'static Cgroup>,
}

/// How often the helper kills again once the deadline has passed, while zklock (stopped)
/// has not withdrawn the group.
const RETRY_KILL_NS: i64 = 100_000_000;

/// Starts the helper with memory of its own (a fork): it must outlive zklock whatever ends it,
/// and the kernel's OOM killer SIGKILLs, with its victim, every process that shares the
/// victim's memory (../shared/SAFETY.md). A child made with `CLONE_VM` died with zklock.
fn start_helper(helper: &Helper) -> io::Result<i32> {
    // SAFETY: the child runs only `helper_main`, which makes raw system calls (no allocation,
    // no lock) and never returns.
    unsafe { crate::sys::fork(|| helper_main(helper)) }
}

/// The helper's whole life: raw system calls only, never returns.
fn helper_main(helper: &Helper) -> ! {
    let Helper {
        shared,
        wake,
        timer,
        cgroup,
    } = helper;
    let (shared, wake, timer) = (*shared, *wake, *timer);
    // On every CPU zklock was given, not only the one its threads keep to.
    crate::threads::give_back_raw();
    let sys = |n: libc::c_long, a: [usize; 5]| raw::syscall(n, a);
    // The command's whole cgroup (every descendant, whatever its group) as well as its group.
    let kill = |pgid: i32| {
        sys(
            libc::SYS_kill,
            [(-pgid) as usize, libc::SIGKILL as usize, 0, 0, 0],
        );
        if let Some(cgroup) = cgroup {
            crate::cgroup::kill_all_raw(&cgroup.kill);
        }
    };
    // Out of zklock's session and process group: a terminal's Ctrl-C or a signal to zklock's
    // group does not reach the helper, which must outlive zklock by a moment. Every signal
    // stays blocked (as zklock left them for the clone): a stray TERM (say, systemd stopping
    // the whole unit) must not disarm the helper while zklock still stops its command; it
    // ends when zklock does. SIGKILL still ends it.
    sys(libc::SYS_setsid, [0; 5]);
    // Hold none of zklock's descriptors but the pipe and the timer: not its streams (a reader
    // of zklock's stdout must see EOF when zklock exits, not when the helper does), not its
    // ZooKeeper connection (a copy kept the connection open after zklock closed it, until the
    // helper exited, holding one of the server's connections per client address), and not
    // what zklock inherited. Nor its copy of the pipe's write end, so that zklock's death
    // reads as end-of-file. The helper writes to no stream.
    close_all_but(wake.min(timer), wake.max(timer));
    loop {
        let mut fds = [
            libc::pollfd {
                fd: wake,
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: timer,
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        if sys(libc::SYS_ppoll, [fds.as_mut_ptr() as usize, 2, 0, 0, 0]) < 0 {
            continue;
        }
        let mut buf = [0u8; 64];
        let read = |fd: i32, buf: &mut [u8]| {
            sys(
                libc::SYS_read,
                [fd as usize, buf.as_mut_ptr() as usize, buf.len(), 0, 0],
            )
        };
        if fds[0].revents != 0 && read(wake, &mut buf) <= 0 {
            // zklock is gone. A group it still published is a command it could not stop.
            let pgid = shared.pgid.load(Ordering::SeqCst);
            if pgid != 0 {
                kill(pgid);
            }
            // The cgroup empties as its members die; remove it then (trying for up to ten
            // seconds: a loaded machine may take a while to end them all).
            if let Some(cgroup) = cgroup {
                for _ in 0..1000 {
                    let removed = crate::cgroup::remove_raw(&cgroup.dir_c);
                    if removed == 0 || removed == -(libc::ENOENT as isize) {
                        break;
                    }
                    let pause = libc::timespec {
                        tv_sec: 0,
                        tv_nsec: 10_000_000,
                    };
                    sys(
                        libc::SYS_nanosleep,
                        [&pause as *const _ as usize, 0, 0, 0, 0],
                    );
                }
            }
            sys(libc::SYS_exit_group, [0; 5]);
            // SAFETY: not reached; exit_group does not return.
            unsafe { std::hint::unreachable_unchecked() }
        }
        if fds[1].revents != 0 {
            read(timer, &mut buf[..8]);
        }
        // With no group published, the timer stays unarmed: zklock arms it for the next one.
        // A group read here is the one zklock armed the timer for, and its deadline read next
        // is that one or a later: re-arming to it never makes the helper late.
        let pgid = shared.pgid.load(Ordering::SeqCst);
        if pgid == 0 {
            continue;
        }
        let deadline = shared.deadline.load(Ordering::SeqCst);
        let now = boot_now();
        if now >= deadline {
            kill(pgid);
            // Again in 0.1 s while zklock has not withdrawn the group (it is stopped): a
            // timer armed to the deadline already past would fire at once, for ever.
            arm(timer, now + RETRY_KILL_NS);
        } else {
            arm(timer, deadline);
        }
    }
}

/// Closes every descriptor except `a` and `b` (`a` < `b`), by raw system calls: close_range
/// (Linux 5.9+), else one by one up to 4095.
fn close_all_but(a: i32, b: i32) {
    let (a, b) = (i64::from(a), i64::from(b));
    for (low, high) in [(0, a - 1), (a + 1, b - 1), (b + 1, i64::from(u32::MAX))] {
        if low > high {
            continue;
        }
        let (low, high) = (low as usize, high as usize);
        if raw::syscall(libc::SYS_close_range, [low, high, 0, 0, 0]) == -(libc::ENOSYS as isize) {
            for fd in low..=high.min(4095) {
                raw::syscall(libc::SYS_close, [fd, 0, 0, 0, 0]);
            }
        }
    }
}

/// CLOCK_BOOTTIME in nanoseconds, by a raw system call.
fn boot_now() -> i64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    raw::syscall(
        libc::SYS_clock_gettime,
        [
            libc::CLOCK_BOOTTIME as usize,
            &mut ts as *mut _ as usize,
            0,
            0,
            0,
        ],
    );
    ts.tv_sec * 1_000_000_000 + ts.tv_nsec
}

/// Arms `timer` to fire at boot time `at` (absolute); 0 disarms it.
fn arm(timer: i32, at: i64) {
    let at = at.max(0);
    let spec = libc::itimerspec {
        it_interval: libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        },
        it_value: libc::timespec {
            tv_sec: at / 1_000_000_000,
            // A deadline of exactly 0 would disarm; 1 ns past the boot is in the past anyway.
            tv_nsec: if at == 0 {
                0
            } else {
                (at % 1_000_000_000).max(1)
            },
        },
    };
    raw::syscall(
        libc::SYS_timerfd_settime,
        [
            timer as usize,
            libc::TFD_TIMER_ABSTIME as usize,
            &spec as *const _ as usize,
            0,
            0,
        ],
    );
}
