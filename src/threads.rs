//! zklock's two threads, kept on one CPU; what it starts, on the CPUs zklock was given.
//!
//! zookeeper-client reads and writes its socket on async-io's thread, which hands every
//! readiness to tokio's (zklock's main thread) and back: a connect and each answer cross
//! between the two. Where they sit on two CPUs, every crossing wakes the other CPU; on the
//! benchmark's machine (a 2-CPU VM) that is ~60 µs, some ten times per lock cycle. So zklock
//! keeps its main thread on the CPU it starts on, and starts async-io's thread there at once
//! (it inherits the CPU, with every signal blocked, and is ready before the first socket is
//! made): one lock cycle 4–7% shorter on that machine (README, Performance).
//!
//! The command, the watchdog and the cgroup's keeper are given back the CPUs zklock was
//! started with (`give_back_raw`, before the exec or first thing), so nothing but zklock's own
//! threads runs narrowed. Should the kept CPU be busy, the lease's safety does not rest on
//! zklock's threads alone: the watchdog, on every CPU given, kills at the deadline.

use std::sync::OnceLock;

use crate::sys::raw;

/// The CPUs zklock was started with, once it has narrowed its own to one.
static GIVEN: OnceLock<libc::cpu_set_t> = OnceLock::new();

/// Keeps the calling thread on the CPU it runs on (remembering the CPUs it was given), then
/// starts async-io's thread, which inherits that CPU. Nothing is narrowed where zklock was
/// given a single CPU, or cannot tell which. Call first thing, before any other thread.
pub fn start() {
    // Raw system calls: the libc wrappers would be pages of libc mapped for this alone, and
    // peak RSS has a target (README, Performance).
    let size = std::mem::size_of::<libc::cpu_set_t>();
    // SAFETY: all zeroes is an empty set; the kernel writes at most `size` bytes of it, and
    // the CPU it names is below CPU_SETSIZE (it fits the set getaffinity filled).
    unsafe {
        let mut given: libc::cpu_set_t = std::mem::zeroed();
        let mut cpu: libc::c_uint = 0;
        let known = raw::syscall(
            libc::SYS_getcpu,
            [&mut cpu as *mut libc::c_uint as usize, 0, 0, 0, 0],
        ) == 0
            && raw::syscall(
                libc::SYS_sched_getaffinity,
                [0, size, &mut given as *mut libc::cpu_set_t as usize, 0, 0],
            ) > 0
            && (cpu as usize) < libc::CPU_SETSIZE as usize;
        if known && libc::CPU_COUNT(&given) > 1 && libc::CPU_ISSET(cpu as usize, &given) {
            let mut one: libc::cpu_set_t = std::mem::zeroed();
            libc::CPU_SET(cpu as usize, &mut one);
            let set = raw::syscall(
                libc::SYS_sched_setaffinity,
                [0, size, &one as *const libc::cpu_set_t as usize, 0, 0],
            );
            if set == 0 {
                let _ = GIVEN.set(given);
            }
        }
    }
    // async-io's thread starts with the first use of its reactor: a timer, polled once (so
    // registered) and dropped, uses only code zookeeper-client's own timers run anyway. Made
    // with every signal blocked, the thread never runs one of zklock's handlers (they all run
    // on the main thread, where zklock waits).
    raw::with_every_signal_blocked(|| {
        let mut timer = async_io::Timer::after(std::time::Duration::from_secs(3600));
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        let _ = std::future::Future::poll(std::pin::Pin::new(&mut timer), &mut cx);
    });
}

/// Gives the calling process back the CPUs zklock was started with, if zklock narrowed its
/// own. A raw system call (no `errno`, no allocation, no lock): for a child between its clone
/// and its exec, and for the helpers that share zklock's memory.
pub fn give_back_raw() {
    if let Some(given) = GIVEN.get() {
        raw::syscall(
            libc::SYS_sched_setaffinity,
            [
                0,
                std::mem::size_of::<libc::cpu_set_t>(),
                given as *const libc::cpu_set_t as usize,
                0,
                0,
            ],
        );
    }
}
