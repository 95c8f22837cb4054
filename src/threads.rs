//! zklock's two threads, kept on one CPU; what it starts, on the CPUs zklock was given.
//!
//! zookeeper-client reads and writes its socket on async-io's thread, which hands every
//! readiness to tokio's (zklock's main thread) and back: a connect and each answer cross
//! between the two. Where they sit on two CPUs, every crossing wakes the other CPU; on the
//! benchmark's machine (a 2-CPU VM) that is ~60 µs, some ten times per lock cycle. So zklock
//! keeps its main thread on the CPU it starts on, and starts async-io's thread there at once
//! (it inherits the CPU, with every signal blocked, and is ready before the first socket is
//! made): one lock cycle 6–7% shorter on that machine (README, Performance).
//!
//! The command, the watchdog and the cgroup's keeper are given back the CPUs zklock was
//! started with (`give_back_raw`, before the exec or first thing), so nothing but zklock's own
//! threads runs narrowed. Should the kept CPU be busy, the lease's safety does not rest on
//! zklock's threads alone: the watchdog, on every CPU given, kills at the deadline.

use std::sync::OnceLock;

use crate::raw;

/// The CPUs zklock was started with, once it has narrowed its own to one.
static GIVEN: OnceLock<libc::cpu_set_t> = OnceLock::new();

/// Keeps the calling thread on the CPU it runs on (remembering the CPUs it was given), then
/// starts async-io's thread, which inherits that CPU. Nothing is narrowed where zklock was
/// given a single CPU, or cannot tell which. Call first thing, before any other thread.
pub fn start() {
    // SAFETY: sched_getaffinity and sched_setaffinity read and write the sets they are given,
    // of the size they are told; sched_getcpu takes nothing.
    unsafe {
        let size = std::mem::size_of::<libc::cpu_set_t>();
        let mut given: libc::cpu_set_t = std::mem::zeroed();
        let cpu = libc::sched_getcpu();
        if libc::sched_getaffinity(0, size, &mut given) == 0
            && cpu >= 0
            && libc::CPU_COUNT(&given) > 1
            && libc::CPU_ISSET(cpu as usize, &given)
        {
            let mut one: libc::cpu_set_t = std::mem::zeroed();
            libc::CPU_SET(cpu as usize, &mut one);
            if libc::sched_setaffinity(0, size, &one) == 0 {
                let _ = GIVEN.set(given);
            }
        }
    }
    // async-io's thread starts with the first use of its reactor; made here with every
    // signal blocked, it never runs one of zklock's handlers (they all run on the main
    // thread, where zklock waits).
    raw::with_every_signal_blocked(|| async_io::block_on(std::future::ready(())));
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
