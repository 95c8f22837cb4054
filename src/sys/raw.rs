//! Two processes in one memory: `clone3` onto a stack of the child's own, and system calls
//! that touch nothing in user space (no `errno`), for a child that shares zklock's memory.
//!
//! Such a child costs no copy of zklock's page tables and no copy-on-write faults afterwards:
//! the command until its exec (spawn.rs), the cgroup's keeper for its whole life (keeper.rs).
//! No crate offers a clone onto a stack of one's own (rustix has no clone3): only x86_64 has
//! the few lines of assembly it needs here; elsewhere the callers fork. rustix makes the other
//! system calls such a child needs (its calls write no `errno`); `syscall` is left for the
//! few rustix does not make (pause, exit, close_range).

use std::mem::MaybeUninit;

/// `struct clone_args` up to `cgroup` (CLONE_ARGS_SIZE_VER2).
#[repr(C)]
#[derive(Default)]
pub struct CloneArgs {
    pub flags: u64,
    pub pidfd: u64,
    pub child_tid: u64,
    pub parent_tid: u64,
    pub exit_signal: u64,
    pub stack: u64,
    pub stack_size: u64,
    pub tls: u64,
    pub set_tid: u64,
    pub set_tid_size: u64,
    pub cgroup: u64,
}

pub const CLONE_INTO_CGROUP: u64 = 0x2_0000_0000;
/// Resets every handled signal of the child to its default at the clone (Linux 5.5+).
pub const CLONE_CLEAR_SIGHAND: u64 = 0x1_0000_0000;

/// clone3 with `args`, the child starting in `entry(arg)` on `stack` (which must stay valid
/// as long as the child runs on it; `entry` never returns). Returns the child's pid, or a
/// negative errno.
///
/// # Safety
/// With `CLONE_VM` the child shares zklock's memory: `entry` may make only the calls of this
/// module (or, until an exec with `CLONE_VFORK`, async-signal-safe ones while zklock's thread
/// waits), and every signal must be blocked across the call unless zklock's handlers are safe
/// to run in the child.
#[cfg(target_arch = "x86_64")]
pub unsafe fn clone_on_stack<T>(
    args: &mut CloneArgs,
    stack: &mut [MaybeUninit<u8>],
    entry: extern "C" fn(*const T) -> !,
    arg: *const T,
) -> i64 {
    let base = stack.as_mut_ptr() as u64;
    // The kernel starts the child at stack + stack_size: 16-byte aligned for the call below.
    let top = (base + stack.len() as u64) & !15;
    args.stack = base;
    args.stack_size = top - base;
    let ret: i64;
    // SAFETY: the child returns from the syscall on its own stack (rsp = top) and only calls
    // `entry`, which never returns; the parent goes on with every register but rax, rcx and
    // r11 as it was (the kernel keeps them).
    unsafe {
        std::arch::asm!(
            "syscall",
            "test rax, rax",
            "jnz 2f",
            "mov rdi, r12",
            "call r13",
            "ud2",
            "2:",
            inlateout("rax") libc::SYS_clone3 => ret,
            in("rdi") args as *const CloneArgs,
            in("rsi") std::mem::size_of::<CloneArgs>(),
            in("r12") arg,
            in("r13") entry,
            lateout("rcx") _,
            lateout("r11") _,
        );
    }
    ret
}

/// A system call with up to five arguments; returns the result or a negative errno, and
/// writes no `errno` (which lives in zklock's thread-local storage).
///
/// # Safety
/// Every argument the call reads or writes through is a valid pointer for it.
#[cfg(target_arch = "x86_64")]
pub(super) unsafe fn syscall(n: libc::c_long, a: [usize; 5]) -> isize {
    let ret: isize;
    // SAFETY: the kernel reads the arguments as the call's own rules say; the caller passes
    // valid pointers for the call it makes.
    unsafe {
        std::arch::asm!(
            "syscall",
            inlateout("rax") n as isize => ret,
            in("rdi") a[0],
            in("rsi") a[1],
            in("rdx") a[2],
            in("r10") a[3],
            in("r8") a[4],
            lateout("rcx") _,
            lateout("r11") _,
            options(nostack),
        );
    }
    ret
}

/// Asks the kernel to SIGKILL the calling process when its parent dies, and says whether that
/// parent is still `parent`: false when it died before the request took effect (the caller
/// was reparented), and the caller must exit. Raw system calls only: for a child that shares
/// zklock's memory.
pub fn killed_with_parent(parent: libc::pid_t) -> bool {
    use rustix::process::{Signal, getppid, set_parent_process_death_signal};
    let _ = set_parent_process_death_signal(Some(Signal::KILL));
    getppid().is_some_and(|p| p.as_raw_nonzero().get() == parent)
}

/// Elsewhere the callers fork, so libc's wrapper (which sets `errno`) is fine.
///
/// # Safety
/// As above.
#[cfg(not(target_arch = "x86_64"))]
pub(super) unsafe fn syscall(n: libc::c_long, a: [usize; 5]) -> isize {
    // SAFETY: as above.
    let ret = unsafe { libc::syscall(n, a[0], a[1], a[2], a[3], a[4]) };
    if ret < 0 {
        // SAFETY: errno of this thread, just set by the failed call.
        -(unsafe { *libc::__errno_location() } as isize)
    } else {
        ret as isize
    }
}

/// Runs `f` (a clone of a child that shares zklock's memory) with every signal of this thread
/// blocked, and restores the mask after: no handler of zklock's may run in such a child before
/// it has reset them (or, for the watchdog, ever; it never unblocks one).
pub fn with_every_signal_blocked<T>(f: impl FnOnce() -> T) -> T {
    // SAFETY: sigfillset fills the set it is given; pthread_sigmask only swaps this thread's
    // mask, restored below.
    unsafe {
        let mut all: libc::sigset_t = std::mem::zeroed();
        let mut before: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_SETMASK, &all, &mut before);
        let result = f();
        libc::pthread_sigmask(libc::SIG_SETMASK, &before, std::ptr::null_mut());
        result
    }
}

/// A stack for a child that shares zklock's memory, left as the allocator gives it: a page
/// is touched (and faulted in) only when the child uses it, not zeroed up front.
pub fn stack(size: usize) -> Vec<MaybeUninit<u8>> {
    let mut stack = Vec::with_capacity(size);
    // SAFETY: MaybeUninit needs no initialisation; the capacity is `size`.
    unsafe { stack.set_len(size) };
    stack
}

/// As `stack`, never freed, as the child may outlive zklock's own use of it (the watchdog
/// outlives zklock by design).
pub fn leaked_stack(size: usize) -> &'static mut [MaybeUninit<u8>] {
    stack(size).leak()
}

/// Writes `bytes` to the file at `path` (a cgroup's `cgroup.kill` or `cgroup.procs`); whether
/// all were written. rustix's raw system calls (no `errno`, no allocation): for a child between
/// its fork and its exec, and for the watchdog.
pub fn write_file(path: &std::ffi::CStr, bytes: &[u8]) -> bool {
    use rustix::fs::{Mode, OFlags, open};
    open(path, OFlags::WRONLY | OFlags::CLOEXEC, Mode::empty())
        .and_then(|fd| rustix::io::write(&fd, bytes))
        .is_ok_and(|n| n == bytes.len())
}

/// Removes the (empty) directory `dir`; 0, or the negative errno. rustix's raw system call.
pub fn remove_dir(dir: &std::ffi::CStr) -> isize {
    use rustix::fs::{AtFlags, CWD, unlinkat};
    match unlinkat(CWD, dir, AtFlags::REMOVEDIR) {
        Ok(()) => 0,
        Err(e) => -(e.raw_os_error() as isize),
    }
}
