//! The watchdog: a small helper process that holds the command group's fate when zklock
//! cannot (SPEC §2, ../shared/SAFETY.md).
//!
//! zklock's own guard stops the command before the lease runs out, but only while zklock runs:
//! a zklock that is stopped (SIGSTOP, a debugger, starvation) or killed (the OOM killer,
//! SIGKILL) would leave its command running while the lock passes to the next holder. So
//! before it starts the command (while it waits, for a waiter), zklock starts this helper, in
//! a session of its own and with memory of its own: the kernel's OOM killer SIGKILLs, with its
//! victim, every process that shares the victim's memory, so a helper made with `CLONE_VM`
//! died with zklock.
//!
//! How it is made: a fork, first thing in zklock's life (`start_early`), while zklock is
//! still small and has one thread. A fork shares zklock's pages copy-on-write with the
//! helper for as long as both live, so each page zklock writes afterwards costs it a fault;
//! forked later (with the command's other helpers, from a zklock with its runtime, its
//! connection and two threads) that was ~50 pages and 1.2 ms of CPU a cycle on the
//! benchmark's machine. Spawning zklock's binary again instead shares nothing, but its start
//! cost ~0.6 ms of CPU beside the server's (README, Performance). What zklock learns later,
//! the command's cgroup, it publishes in the page they share.
//!
//! They share one anonymous page: zklock publishes
//! the command's process group and the lease's SIGKILL deadline (CLOCK_BOOTTIME), moving the
//! deadline on with every answered probe, which is a plain atomic store. The helper sleeps in
//! `poll` on two things: a CLOCK_BOOTTIME timerfd (so a suspend counts, and nothing polls),
//! and a pipe whose only write end zklock holds. The timer is one file both hold: zklock arms
//! it itself when it publishes a group, so the helper sleeps on until the deadline (no wake-up
//! per command). When the timer fires the helper reads the deadline again: moved on, it
//! re-arms the timer to it; passed, it SIGKILLs the group (and again every 0.1 s until
//! zklock, stopped meanwhile, withdraws it). At the pipe's end-of-file with a group still
//! published, zklock is gone: it kills at once. When zklock exits normally it has already
//! withdrawn the group, and the helper just exits.

use std::ffi::CStr;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, IntoRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicI32, AtomicI64, AtomicU8, AtomicUsize, Ordering};

use rustix::event::{PollFd, PollFlags, poll};
use rustix::time::Timespec;

use super::raw;

/// The page zklock and the helper share.
#[repr(C)]
struct Shared {
    /// The command's process group; 0 when there is none to guard. Written by the command
    /// itself, before its exec (`Enlist`), and by zklock.
    pgid: AtomicI32,
    /// 1 from just before the command's spawn until zklock stands down: a group is about to
    /// be published, so the helper keeps its timer armed even before it sees one.
    expecting: AtomicI32,
    /// CLOCK_BOOTTIME nanoseconds after which the group must be killed.
    deadline: AtomicI64,
    /// The length of the command's cgroup's directory in `cgroup`; 0 while it has none.
    cgroup_len: AtomicUsize,
    /// The command's cgroup's directory, published once it is made (after the helper starts).
    cgroup: [AtomicU8; CGROUP_MAX],
}

const PAGE: usize = 4096;

/// The longest cgroup directory the page holds (with room for "/cgroup.kill" and a NUL).
const CGROUP_MAX: usize = 3072;

const _: () = assert!(std::mem::size_of::<Shared>() <= PAGE);

/// zklock's side of the watchdog.
pub struct Watchdog {
    shared: &'static Shared,
    /// The helper's timer (CLOCK_BOOTTIME), armed by zklock when it publishes a group.
    timer: OwnedFd,
    pid: i32,
}

/// What the helper works with, in either process.
struct Helper {
    shared: &'static Shared,
    /// Read end of the pipe: end-of-file when zklock is gone.
    wake: i32,
    timer: i32,
}

impl Watchdog {
    /// Starts the helper, forked (see the top of this file for when).
    pub fn start() -> io::Result<Watchdog> {
        let timer = timerfd()?;
        let (wake, kick) = pipe()?;
        // zklock keeps the write end open, and writes nothing to it, until it exits: its
        // closing, zklock's death, is what the helper reads (end-of-file). Leaked on purpose.
        let _ = kick.into_raw_fd();
        let shared = shared_page()?;
        let helper = Helper {
            shared,
            wake: wake.as_raw_fd(),
            timer: timer.as_raw_fd(),
        };
        // Every signal is blocked from before the fork, and the helper never unblocks one, so
        // no handler of zklock's runs in it.
        // SAFETY: the child runs only `helper_main`: raw system calls, no allocation, no lock;
        // it never returns.
        let pid = raw::with_every_signal_blocked(|| unsafe {
            super::process::fork(|| helper_main(&helper))
        })?;
        Ok(Watchdog { shared, timer, pid })
    }

    /// The helper's pid (a child of zklock until zklock exits).
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// The command will run in the cgroup at `dir`: the helper kills all of it too, and
    /// removes it once zklock is gone. A directory too long for the page is not published
    /// (the helper then kills the group alone, as without a cgroup).
    pub fn contain(&self, dir: &Path) {
        let bytes = dir.as_os_str().as_bytes();
        if bytes.len() > CGROUP_MAX - 16 || bytes.contains(&0) {
            return;
        }
        for (cell, byte) in self.shared.cgroup.iter().zip(bytes) {
            cell.store(*byte, Ordering::Relaxed);
        }
        self.shared.cgroup_len.store(bytes.len(), Ordering::SeqCst);
    }

    /// Just before the command's spawn: arms the helper's timer to `deadline` (CLOCK_BOOTTIME
    /// ns) and returns what the command, between its fork and its exec, publishes its own
    /// group with. From that moment on, whatever happens to zklock (stopped, killed right
    /// after the spawn), the helper kills the command's group once `deadline` passes, or when
    /// zklock dies: the command is guarded from before its first instruction of its own.
    pub fn expect(&self, deadline: i64) -> Enlist {
        self.shared.deadline.store(deadline, Ordering::SeqCst);
        self.shared.expecting.store(1, Ordering::SeqCst);
        arm(self.timer.as_fd(), deadline);
        Enlist {
            pgid: &self.shared.pgid,
        }
    }

    /// From now on the helper kills group `pgid` once `deadline` (CLOCK_BOOTTIME ns) passes,
    /// or when zklock dies. Publishes both, then arms the helper's timer (whose file both
    /// hold) to the deadline: the helper is not woken now, only when the timer fires. (The
    /// command enlisted itself already, when `expect` was called before its spawn: this only
    /// confirms it.)
    pub fn guard(&self, pgid: i32, deadline: i64) {
        self.shared.deadline.store(deadline, Ordering::SeqCst);
        self.shared.pgid.store(pgid, Ordering::SeqCst);
        arm(self.timer.as_fd(), deadline);
    }

    /// Moves the deadline on (an atomic store; the helper reads it when its timer fires, and
    /// re-arms the timer to it). Deadlines only move later: the lease's proofs only get newer.
    pub fn extend(&self, deadline: i64) {
        self.shared.deadline.store(deadline, Ordering::SeqCst);
    }

    /// The group is gone: nothing left to kill. (No wake-up: the helper sees it at its next
    /// timer, and leaves the timer unarmed, or exits at zklock's end.)
    pub fn stand_down(&self) {
        self.shared.pgid.store(0, Ordering::SeqCst);
        self.shared.expecting.store(0, Ordering::SeqCst);
    }
}

/// What the command publishes its process group with, from its own pre-exec code: an atomic
/// store into the page zklock and the helper share (the command, cloned or forked, still
/// maps it), so it needs no system call and no lock.
#[derive(Clone, Copy)]
pub struct Enlist {
    pgid: &'static AtomicI32,
}

impl Enlist {
    /// In the command, between its fork and its exec, once it leads its own process group:
    /// the helper kills `pgid` from now on. Async-signal-safe.
    pub fn enlist(self, pgid: i32) {
        self.pgid.store(pgid, Ordering::SeqCst);
    }
}

/// The watchdog forked by `start_early`, or why it could not be.
static EARLY: OnceLock<Result<Watchdog, i32>> = OnceLock::new();

/// Forks the watchdog now, first thing in zklock's life, for `early` to hand out later.
pub fn start_early() {
    EARLY.get_or_init(|| Watchdog::start().map_err(|e| e.raw_os_error().unwrap_or(0)));
}

/// The watchdog `start_early` forked, or one forked now.
pub fn early() -> io::Result<&'static Watchdog> {
    start_early();
    match EARLY.get() {
        Some(Ok(watchdog)) => Ok(watchdog),
        Some(Err(errno)) => Err(io::Error::from_raw_os_error(*errno)),
        None => Err(io::Error::other("no watchdog")),
    }
}

/// The shared page: anonymous, shared with the forked helper.
fn shared_page() -> io::Result<&'static Shared> {
    // SAFETY: a new shared mapping of one page; checked for MAP_FAILED below.
    let mem = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            PAGE,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if mem == libc::MAP_FAILED {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the mapping is zeroed (new), page-aligned, large enough and never unmapped; all
    // zeroes is a valid `Shared` (atomics of integers).
    Ok(unsafe { &*(mem as *const Shared) })
}

/// The helper's timer: CLOCK_BOOTTIME, close-on-exec.
fn timerfd() -> io::Result<OwnedFd> {
    use rustix::time::{TimerfdClockId, TimerfdFlags, timerfd_create};
    Ok(timerfd_create(
        TimerfdClockId::Boottime,
        TimerfdFlags::CLOEXEC,
    )?)
}

/// A close-on-exec pipe: (read end, write end).
fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    Ok(rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)?)
}

/// How often the helper kills again once the deadline has passed, while zklock (stopped)
/// has not withdrawn the group.
const RETRY_KILL_NS: i64 = 100_000_000;

/// The helper's whole life: raw system calls only (it may be a fork of a zklock with more
/// than one thread), never returns.
fn helper_main(helper: &Helper) -> ! {
    let Helper {
        shared,
        wake,
        timer,
    } = helper;
    let (shared, wake, timer) = (*shared, *wake, *timer);
    // On every CPU zklock was given, not only the one its threads keep to (forked before
    // zklock narrows its own, it has them already).
    super::affinity::give_back();
    // The command's whole cgroup (every descendant, whatever its group) as well as its group.
    let kill = |pgid: i32| {
        super::process::kill_group(pgid, libc::SIGKILL);
        let mut path = [0u8; CGROUP_MAX];
        if let Some(kill) = cgroup_file(shared, b"/cgroup.kill", &mut path) {
            raw::write_file(kill, b"1");
        }
    };
    // Out of zklock's session and process group: a terminal's Ctrl-C or a signal to zklock's
    // group does not reach the helper, which must outlive zklock by a moment. Every signal
    // is blocked (as zklock left them for the fork): a stray TERM (say, systemd stopping the whole unit) must not disarm the helper
    // while zklock still stops its command; it ends when zklock does. SIGKILL still ends it.
    let _ = rustix::process::setsid();
    // Hold none of zklock's descriptors but the pipe and the timer: not its streams (a reader
    // of zklock's stdout must see EOF when zklock exits, not when the helper does), not its
    // ZooKeeper connection (a copy kept the connection open after zklock closed it, until the
    // helper exited, holding one of the server's connections per client address), and not
    // what zklock inherited. Nor its copy of the pipe's write end, so that zklock's death
    // reads as end-of-file. The helper writes to no stream.
    close_all_but(wake.min(timer), wake.max(timer));
    // SAFETY: both stay open for the helper's whole life (it closes every other descriptor).
    let (wake, timer) = unsafe { (BorrowedFd::borrow_raw(wake), BorrowedFd::borrow_raw(timer)) };
    let read =
        |fd: BorrowedFd<'_>, buf: &mut [u8]| rustix::io::read(fd, buf).map_or(-1, |n| n as isize);
    loop {
        let mut fds = [
            PollFd::new(&wake, PollFlags::IN),
            PollFd::new(&timer, PollFlags::IN),
        ];
        if poll(&mut fds, None).is_err() {
            continue;
        }
        let (woken, fired) = (!fds[0].revents().is_empty(), !fds[1].revents().is_empty());
        let mut buf = [0u8; 64];
        if woken && read(wake, &mut buf) <= 0 {
            // zklock is gone. A group it still published is a command it could not stop.
            let pgid = shared.pgid.load(Ordering::SeqCst);
            if pgid != 0 {
                kill(pgid);
            }
            // The cgroup empties as its members die; remove it then (trying for up to ten
            // seconds: a loaded machine may take a while to end them all).
            let mut path = [0u8; CGROUP_MAX];
            if let Some(dir) = cgroup_file(shared, b"", &mut path) {
                for _ in 0..1000 {
                    let removed = raw::remove_dir(dir);
                    if removed == 0 || removed == -(libc::ENOENT as isize) {
                        break;
                    }
                    let _ = rustix::thread::nanosleep(&Timespec {
                        tv_sec: 0,
                        tv_nsec: 10_000_000,
                    });
                }
            }
            // SAFETY: ends the process without zklock's exit handlers (it is zklock's fork).
            unsafe { libc::_exit(0) }
        }
        if fired {
            read(timer, &mut buf[..8]);
        }
        // With no group published, the timer stays unarmed: zklock arms it for the next one.
        // A group read here is the one zklock armed the timer for, and its deadline read next
        // is that one or a later: re-arming to it never makes the helper late.
        let pgid = shared.pgid.load(Ordering::SeqCst);
        let deadline = shared.deadline.load(Ordering::SeqCst);
        let now = boot_now();
        if pgid == 0 {
            // A command about to start that has not published its group yet: look again at
            // the deadline, or 0.1 s after it has passed, until it has.
            if shared.expecting.load(Ordering::SeqCst) != 0 {
                arm(timer, deadline.max(now + RETRY_KILL_NS));
            }
            continue;
        }
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

/// The published cgroup's directory with `name` appended, as a C string in `buf`; None
/// while none is published. No allocation: for the helper.
fn cgroup_file<'a>(
    shared: &Shared,
    name: &[u8],
    buf: &'a mut [u8; CGROUP_MAX],
) -> Option<&'a CStr> {
    let len = shared.cgroup_len.load(Ordering::SeqCst);
    if len == 0 || len + name.len() >= CGROUP_MAX {
        return None;
    }
    for (byte, cell) in buf.iter_mut().zip(&shared.cgroup[..len]) {
        *byte = cell.load(Ordering::Relaxed);
    }
    buf[len..len + name.len()].copy_from_slice(name);
    buf[len + name.len()] = 0;
    CStr::from_bytes_until_nul(&buf[..]).ok()
}

/// Closes every descriptor except `a` and `b` (`a` < `b`), by raw system calls: close_range
/// (Linux 5.9+), else (ENOSYS, or EPERM from a seccomp profile older than the call) one by
/// one up to 4095.
fn close_all_but(a: i32, b: i32) {
    let (a, b) = (i64::from(a), i64::from(b));
    for (low, high) in [(0, a - 1), (a + 1, b - 1), (b + 1, i64::from(u32::MAX))] {
        if low > high {
            continue;
        }
        let (low, high) = (low as usize, high as usize);
        // SAFETY: close_range and close take numbers, no pointer; the helper uses none of
        // the descriptors it closes.
        unsafe {
            if raw::syscall(libc::SYS_close_range, [low, high, 0, 0, 0]) < 0 {
                for fd in low..=high.min(4095) {
                    raw::syscall(libc::SYS_close, [fd, 0, 0, 0, 0]);
                }
            }
        }
    }
}

/// CLOCK_BOOTTIME in nanoseconds (rustix: the vDSO, no `errno`).
fn boot_now() -> i64 {
    let ts = rustix::time::clock_gettime(rustix::time::ClockId::Boottime);
    ts.tv_sec * 1_000_000_000 + ts.tv_nsec
}

/// Arms `timer` to fire at boot time `at` (absolute); 0 disarms it.
fn arm(timer: BorrowedFd<'_>, at: i64) {
    use rustix::time::{Itimerspec, TimerfdTimerFlags, Timespec, timerfd_settime};
    let at = at.max(0);
    let spec = Itimerspec {
        it_interval: Timespec {
            tv_sec: 0,
            tv_nsec: 0,
        },
        it_value: Timespec {
            tv_sec: at / 1_000_000_000,
            // A deadline of exactly 0 would disarm; 1 ns past the boot is in the past anyway.
            tv_nsec: if at == 0 {
                0
            } else {
                (at % 1_000_000_000).max(1)
            },
        },
    };
    let _ = timerfd_settime(timer, TimerfdTimerFlags::ABSTIME, &spec);
}
