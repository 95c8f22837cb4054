//! The cgroup's keeper: a process that does nothing but keep the command's new cgroup
//! populated until zklock removes it (why: cgroup.rs, `Cgroup::keep`). Made with clone3 into
//! the cgroup (`CLONE_INTO_CGROUP`), sharing zklock's memory (`CLONE_VM`: no copy of zklock's
//! page tables) on a small stack of its own, with no exit signal (so no `waitpid(-1)` of
//! zklock's reaps it): nothing std or rustix offers. x86_64 only (the stack switch is a few
//! lines of assembly, raw.rs); elsewhere there is no keeper, and the command's start pays.

/// Starts a keeper in the cgroup whose directory is open as `dir_fd`; its pid, or None.
#[cfg(target_arch = "x86_64")]
pub fn start(dir_fd: i32) -> Option<i32> {
    use super::raw;
    if dir_fd < 0 {
        return None;
    }
    let mut args = raw::CloneArgs {
        flags: libc::CLONE_VM as u64 | raw::CLONE_INTO_CGROUP,
        exit_signal: 0,
        cgroup: dir_fd as u64,
        ..raw::CloneArgs::default()
    };
    let entry: extern "C" fn(*const libc::pid_t) -> ! = keeper_main;
    let zklock: &'static libc::pid_t = Box::leak(Box::new(super::process::own_pid()));
    // SAFETY: the child shares zklock's memory and runs on a stack of its own, never freed,
    // on which it makes raw system calls only; every signal is blocked across the clone and
    // stays blocked in it, so no handler of zklock's runs in it.
    let pid = raw::with_every_signal_blocked(|| unsafe {
        raw::clone_on_stack(&mut args, raw::leaked_stack(KEEPER_STACK), entry, zklock)
    });
    (pid > 0).then_some(pid as i32)
}

#[cfg(not(target_arch = "x86_64"))]
pub fn start(_dir_fd: i32) -> Option<i32> {
    None
}

/// Stops the keeper `pid` (a child of zklock's that only this reaps, so its pid is not
/// reused) and reaps it.
pub fn stop(pid: i32) {
    super::process::kill(pid, libc::SIGKILL);
    // SAFETY: waitpid writes nothing (null status). (__WCLONE: the keeper has no exit
    // signal; rustix's options do not name it.)
    unsafe { libc::waitpid(pid, std::ptr::null_mut(), libc::__WCLONE) };
}

/// The keeper's stack: it makes a few system calls, with every signal blocked.
#[cfg(target_arch = "x86_64")]
const KEEPER_STACK: usize = 4096;

/// The whole life of the keeper: killed with zklock, and waits for SIGKILL.
#[cfg(target_arch = "x86_64")]
extern "C" fn keeper_main(zklock: *const libc::pid_t) -> ! {
    use super::raw;
    super::affinity::give_back();
    // SAFETY: leaked by `start`, so valid for ever.
    if raw::killed_with_parent(unsafe { *zklock }) {
        loop {
            // Every signal is blocked: only SIGKILL ends the pause.
            // SAFETY: pause takes no argument.
            unsafe { raw::syscall(libc::SYS_pause, [0; 5]) };
        }
    }
    // SAFETY: exit takes a status; it does not return.
    unsafe {
        raw::syscall(libc::SYS_exit, [0; 5]);
        std::hint::unreachable_unchecked()
    }
}
