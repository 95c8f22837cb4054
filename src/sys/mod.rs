//! The system layer: what zklock asks of the kernel and the C library beyond std, each with
//! the run-time fallback that keeps every guarantee when the kernel says no (ENOSYS under a
//! container's seccomp filter or an old kernel, EPERM, EINVAL). README, "Where it runs".

pub mod raw;
pub mod watchdog;

use std::ffi::{OsString, c_char};
use std::io;

unsafe extern "C" {
    /// The C library's environment (glibc and musl alike; the libc crate names it only for
    /// some targets).
    static environ: *const *const c_char;
}

/// The process's environment as the C library keeps it: a null-terminated array of C
/// strings, or null.
pub fn environment() -> *const *const c_char {
    // SAFETY: reads the pointer; zklock changes its environment only at its start, before
    // any other thread (settings.rs).
    unsafe { environ }
}

/// The arguments `main` was given, as `OsString`s. (std fills `args_os()` before `main` on
/// glibc only: under `#![no_main]` on musl it is empty.)
///
/// # Safety
/// `argv` holds `argc` valid C strings, as the C runtime hands them to `main`.
pub unsafe fn arguments(argc: i32, argv: *const *const c_char) -> Vec<OsString> {
    use std::os::unix::ffi::OsStringExt;
    (0..argc.max(0) as usize)
        // SAFETY: as the caller promises.
        .map(|i| unsafe { std::ffi::CStr::from_ptr(*argv.add(i)) })
        .map(|arg| OsString::from_vec(arg.to_bytes().to_vec()))
        .collect()
}

/// A child process with memory of its own (so the OOM killer, which takes every process that
/// shares the victim's memory, does not take it with zklock): `fork(2)`, which every kernel
/// and seccomp profile allows. The child runs `child`, then exits at once.
///
/// # Safety
/// zklock has more than one thread: `child` may make only async-signal-safe calls.
pub unsafe fn fork(child: impl FnOnce()) -> io::Result<i32> {
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

/// Makes zklock the reaper of its orphaned descendants (`PR_SET_CHILD_SUBREAPER`, Linux
/// 3.4+), or says why not (qemu-user, for one, refuses it).
pub fn become_subreaper() -> io::Result<()> {
    // SAFETY: prctl with PR_SET_CHILD_SUBREAPER takes an integer flag and touches no memory.
    match unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) } {
        0 => Ok(()),
        _ => Err(io::Error::last_os_error()),
    }
}
