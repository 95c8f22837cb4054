//! CPU affinity: zklock's threads kept on one CPU while it connects and waits, and given
//! back the CPUs zklock was started with (the command, its helpers, and zklock's own threads
//! once the command runs). Why: src/threads.rs. rustix's calls are raw system calls (no page
//! of libc mapped for them, no `errno`): fit for a child between its clone and its exec.

use std::sync::OnceLock;

use rustix::thread::{CpuSet, sched_getaffinity, sched_getcpu, sched_setaffinity};

/// The CPUs zklock was started with, once it has narrowed its own to one.
static GIVEN: OnceLock<CpuSet> = OnceLock::new();

/// Keeps the calling thread on the CPU it runs on, remembering the CPUs it was given.
/// Nothing is narrowed where zklock was given a single CPU, or cannot tell which.
pub fn narrow() {
    if let Ok(given) = sched_getaffinity(None) {
        let cpu = sched_getcpu();
        if given.count() > 1 && cpu < CpuSet::MAX_CPU && given.is_set(cpu) {
            let mut one = CpuSet::new();
            one.set(cpu);
            if sched_setaffinity(None, &one).is_ok() {
                let _ = GIVEN.set(given);
            }
        }
    }
}

/// Gives the calling process back the CPUs zklock was started with, if zklock narrowed its
/// own. A raw system call (no `errno`, no allocation, no lock): for a child between its clone
/// and its exec, and for the helpers that share zklock's memory.
pub fn give_back() {
    if let Some(given) = GIVEN.get() {
        let _ = sched_setaffinity(None, given);
    }
}

/// Gives every thread of zklock back the CPUs it was started with, once the command runs:
/// from then on zklock's threads only probe the session, and a command that keeps the kept
/// CPU busy (busy loops on every CPU) must not delay a probe into a spurious 79.
pub fn unpin() {
    let Some(given) = GIVEN.get() else {
        return;
    };
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        let _ = sched_setaffinity(None, given);
        return;
    };
    for task in tasks.flatten() {
        if let Some(tid) = task
            .file_name()
            .to_str()
            .and_then(|t| t.parse().ok())
            .and_then(rustix::process::Pid::from_raw)
        {
            let _ = sched_setaffinity(Some(tid), given);
        }
    }
}
