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
//! started with (`sys::affinity::give_back`, before the exec or first thing), and zklock's
//! own two threads too once the command runs (`sys::affinity::unpin`): from then on they only
//! probe the session, and a command that keeps every CPU busy must not make a probe late by
//! keeping the one CPU busy. Should a CPU be busy anyway, the lease's safety does not rest on
//! zklock's threads alone: the watchdog, on every CPU given, kills at the deadline.

use crate::sys::raw;

/// Keeps the calling thread on the CPU it runs on (sys/affinity.rs), then starts async-io's
/// thread, which inherits that CPU. Call first thing: it takes the proof that zklock has no
/// other thread yet.
pub fn start(_one: crate::sys::start::SingleThreaded) {
    crate::sys::affinity::narrow();
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
