//! The watchdog: a small helper process that holds the command group's fate when zklock
//! cannot (SPEC §2, ../shared/SAFETY.md).
//!
//! zklock's own guard stops the command before the lease runs out, but only while zklock runs:
//! a zklock that is stopped (SIGSTOP, a debugger, starvation) or killed (OOM killer, SIGKILL)
//! would leave its command running while the lock passes to the next holder. So before it
//! starts the command (while it waits, for a waiter), zklock forks this helper into a session
//! of its own. They share one
//! anonymous page: zklock publishes the command's process group and the lease's SIGKILL
//! deadline (CLOCK_BOOTTIME), moving the deadline on with every answered probe, which is a
//! plain atomic store.
//!
//! The helper sleeps in `poll` on two things: a CLOCK_BOOTTIME timerfd armed to the published
//! deadline (so a suspend counts, and nothing polls), and a pipe whose only write end zklock
//! holds. It SIGKILLs the group when the deadline has passed, and at once when the pipe reports
//! end-of-file with a group still published: zklock is gone. When zklock exits normally it has
//! already withdrawn the group, and the helper just exits.

use std::io;
use std::sync::atomic::{AtomicI32, AtomicI64, Ordering};

use crate::cgroup::Cgroup;
use crate::lease::BootTime;

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
    /// The write end of the pipe: a byte wakes the helper; closing it (zklock's death) too.
    kick: i32,
    pid: i32,
}

impl Watchdog {
    /// Forks the helper. zklock has other threads by then, so the helper (in `watch`) makes
    /// only async-signal-safe calls: raw system calls, no allocation, no locks.
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
        let (wake, kick) = (fds[0], fds[1]);
        // SAFETY: the child runs only `watch`, which is async-signal-safe.
        match unsafe { libc::fork() } {
            -1 => Err(io::Error::last_os_error()),
            0 => {
                // SAFETY: closing our copy of the write end, so zklock's death reads as EOF.
                unsafe { libc::close(kick) };
                watch(shared, wake, cgroup)
            }
            pid => {
                // SAFETY: the parent keeps only the write end.
                unsafe { libc::close(wake) };
                Ok(Watchdog { shared, kick, pid })
            }
        }
    }

    /// The helper's pid (a child of zklock until zklock exits).
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// From now on the helper kills group `pgid` once `deadline` passes, or when zklock dies.
    pub fn guard(&self, pgid: i32, deadline: BootTime) {
        self.shared.deadline.store(deadline.0, Ordering::SeqCst);
        self.shared.pgid.store(pgid, Ordering::SeqCst);
        self.wake();
    }

    /// Moves the deadline (an atomic store; the helper reads it when its timer fires).
    pub fn extend(&self, deadline: BootTime) {
        self.shared.deadline.store(deadline.0, Ordering::SeqCst);
    }

    /// The group is gone: nothing left to kill. (No wake-up: the helper sees it at its next
    /// timer, or exits at zklock's end.)
    pub fn stand_down(&self) {
        self.shared.pgid.store(0, Ordering::SeqCst);
    }

    fn wake(&self) {
        // SAFETY: writes one byte from a local buffer; a full pipe (EAGAIN) cannot happen as
        // the helper drains it, and a failure only delays the helper to its next timer.
        unsafe { libc::write(self.kick, [1u8].as_ptr().cast(), 1) };
    }
}

/// The helper's whole life: never returns.
fn watch(shared: &'static Shared, wake: i32, cgroup: Option<&'static Cgroup>) -> ! {
    // The command's whole cgroup (every descendant, whatever its group) as well as its group.
    let kill = |pgid: i32| {
        // SAFETY: kill on the group zklock published.
        unsafe { libc::kill(-pgid, libc::SIGKILL) };
        if let Some(cgroup) = cgroup {
            crate::cgroup::kill_all_raw(&cgroup.kill);
        }
    };
    // SAFETY: plain syscalls on descriptors this process owns.
    unsafe {
        // Out of zklock's session and process group: a terminal's Ctrl-C or a signal to
        // zklock's group does not reach the helper, which must outlive zklock by a moment.
        libc::setsid();
        // Hold none of zklock's streams: a reader of zklock's stdout must see EOF when zklock
        // exits, not when the helper does.
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
        for fd in 0..3 {
            libc::dup2(null, fd);
        }
        libc::close(null);
        // Forked from a zklock with handlers installed (tokio's, the forwarding one): ignore
        // every catchable signal instead. A stray TERM (say, systemd stopping the whole unit)
        // must not disarm the helper while zklock still stops its command; it ends when
        // zklock does. SIGKILL still ends it.
        for sig in 1..=libc::SIGRTMAX() {
            if sig != libc::SIGCHLD {
                libc::signal(sig, libc::SIG_IGN);
            }
        }
        let timer = libc::timerfd_create(libc::CLOCK_BOOTTIME, libc::TFD_CLOEXEC);
        loop {
            let pgid = shared.pgid.load(Ordering::SeqCst);
            let deadline = shared.deadline.load(Ordering::SeqCst);
            if pgid != 0 && BootTime::now().0 >= deadline {
                kill(pgid);
            }
            arm(timer, if pgid != 0 { deadline } else { 0 });
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
            if libc::poll(fds.as_mut_ptr(), 2, -1) < 0 {
                continue;
            }
            let mut buf = [0u8; 64];
            if fds[0].revents != 0 && libc::read(wake, buf.as_mut_ptr().cast(), buf.len()) <= 0 {
                // zklock is gone. A group it still published is a command it could not stop.
                let pgid = shared.pgid.load(Ordering::SeqCst);
                if pgid != 0 {
                    kill(pgid);
                }
                // The cgroup empties as its members die; remove it then (for up to a second).
                if let Some(cgroup) = cgroup {
                    for _ in 0..100 {
                        if crate::cgroup::remove_raw(&cgroup.dir_c)
                            || *libc::__errno_location() == libc::ENOENT
                        {
                            break;
                        }
                        libc::usleep(10_000);
                    }
                }
                libc::_exit(0);
            }
            if fds[1].revents != 0 {
                libc::read(timer, buf.as_mut_ptr().cast(), 8);
            }
        }
    }
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
    // SAFETY: timerfd_settime reads `spec`; the old value is not wanted.
    unsafe { libc::timerfd_settime(timer, libc::TFD_TIMER_ABSTIME, &spec, std::ptr::null_mut()) };
}
