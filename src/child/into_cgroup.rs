//! Starting the command directly inside its cgroup: `clone3(CLONE_INTO_CGROUP)` (Linux 5.7+).
//!
//! Moving a running process into a cgroup (a write to `cgroup.procs`) waits for an RCU grace
//! period, ~10–20 ms: more than a whole lock cycle. A child cloned into the cgroup pays
//! nothing of the kind, so zklock can give every command a cgroup by default. std's `Command`
//! cannot clone into a cgroup, hence this small fork-and-exec of our own. Everything the child
//! needs is allocated before the clone; the child makes only async-signal-safe system calls
//! and reports a failed exec through a close-on-exec pipe, as std does.

use std::ffi::{CString, OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use crate::cgroup::Cgroup;

/// `struct clone_args` up to `cgroup` (CLONE_ARGS_SIZE_VER2).
#[repr(C)]
#[derive(Default)]
struct CloneArgs {
    flags: u64,
    pidfd: u64,
    child_tid: u64,
    parent_tid: u64,
    exit_signal: u64,
    stack: u64,
    stack_size: u64,
    tls: u64,
    set_tid: u64,
    set_tid_size: u64,
    cgroup: u64,
}

const CLONE_INTO_CGROUP: u64 = 0x2_0000_0000;

/// Why the command did not start.
pub enum Failed {
    /// clone3 itself failed (an old kernel, a cgroup we may not use): start it the usual way.
    Clone,
    /// The command was not found, or could not be executed: the error of `execve`.
    Exec(std::io::Error),
}

/// Starts `program args` with zklock's environment plus `env`, in a new process group (taking
/// the terminal when `terminal`), with the parent-death signal set, inside `cgroup`.
/// Returns its pid.
pub fn spawn(
    program: &OsStr,
    args: &[OsString],
    env: &[(&str, String)],
    cgroup: &Cgroup,
    terminal: bool,
) -> Result<i32, Failed> {
    let exec = |e| Failed::Exec(e);
    let path = resolve(program).map_err(exec)?;
    let cstr = |b: &[u8]| CString::new(b).map_err(|e| exec(std::io::Error::other(e)));
    let path = cstr(path.as_os_str().as_bytes())?;
    let argv: Vec<CString> = std::iter::once(program)
        .chain(args.iter().map(OsString::as_os_str))
        .map(|a| cstr(a.as_bytes()))
        .collect::<Result<_, _>>()?;
    let mut vars: Vec<(OsString, OsString)> = std::env::vars_os()
        .filter(|(k, _)| !env.iter().any(|(ours, _)| OsStr::new(ours) == k))
        .collect();
    vars.extend(env.iter().map(|(k, v)| (k.into(), v.into())));
    let envp: Vec<CString> = vars
        .iter()
        .map(|(k, v)| cstr(&[k.as_bytes(), b"=", v.as_bytes()].concat()))
        .collect::<Result<_, _>>()?;
    let argv_ptrs = pointers(&argv);
    let envp_ptrs = pointers(&envp);

    // SAFETY: plain system calls on descriptors we own; the child branch below calls only
    // async-signal-safe functions on memory prepared above and never returns.
    unsafe {
        let dir = libc::open(
            cgroup.dir_c.as_ptr(),
            libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
        );
        if dir < 0 {
            return Err(Failed::Clone);
        }
        let mut pipe = [0; 2];
        if libc::pipe2(pipe.as_mut_ptr(), libc::O_CLOEXEC) != 0 {
            libc::close(dir);
            return Err(Failed::Clone);
        }
        let zklock = libc::getpid();
        let mut empty: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut empty);
        let args = CloneArgs {
            flags: CLONE_INTO_CGROUP,
            exit_signal: libc::SIGCHLD as u64,
            cgroup: dir as u64,
            ..CloneArgs::default()
        };
        let pid = libc::syscall(
            libc::SYS_clone3,
            &args as *const CloneArgs,
            std::mem::size_of::<CloneArgs>(),
        );
        if pid == 0 {
            // The child.
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0);
            if libc::getppid() != zklock {
                libc::_exit(137);
            }
            libc::setpgid(0, 0);
            if terminal {
                libc::tcsetpgrp(0, libc::getpid());
            }
            // What zklock ignores, the command must not: job control, and SIGPIPE (ignored by
            // Rust's runtime). Handled signals are reset by exec itself.
            for sig in [libc::SIGTSTP, libc::SIGTTIN, libc::SIGTTOU, libc::SIGPIPE] {
                libc::signal(sig, libc::SIG_DFL);
            }
            libc::sigprocmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());
            libc::execve(path.as_ptr(), argv_ptrs.as_ptr(), envp_ptrs.as_ptr());
            let errno = *libc::__errno_location();
            libc::write(pipe[1], (&errno as *const i32).cast(), 4);
            libc::_exit(127);
        }
        libc::close(dir);
        libc::close(pipe[1]);
        if pid < 0 {
            libc::close(pipe[0]);
            return Err(Failed::Clone);
        }
        let pid = pid as i32;
        // Nothing to read once the exec succeeded (the pipe closed with it); an errno if not.
        let mut errno = 0i32;
        let got = loop {
            let n = libc::read(pipe[0], (&mut errno as *mut i32).cast(), 4);
            if n >= 0 || *libc::__errno_location() != libc::EINTR {
                break n;
            }
        };
        libc::close(pipe[0]);
        if got == 4 {
            libc::waitpid(pid, std::ptr::null_mut(), 0);
            return Err(Failed::Exec(std::io::Error::from_raw_os_error(errno)));
        }
        Ok(pid)
    }
}

fn pointers(strings: &[CString]) -> Vec<*const libc::c_char> {
    strings
        .iter()
        .map(|s| s.as_ptr())
        .chain(std::iter::once(std::ptr::null()))
        .collect()
}

/// The file to execute, as execvp(3) would find it: `program` itself when it has a slash, else
/// the first executable `program` in $PATH (the first one found at all, to report why not).
fn resolve(program: &OsStr) -> std::io::Result<PathBuf> {
    if program.as_bytes().contains(&b'/') {
        return Ok(PathBuf::from(program));
    }
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into());
    let mut found = None;
    for dir in std::env::split_paths(&path) {
        let candidate = dir.join(program);
        let Ok(c) = CString::new(candidate.as_os_str().as_bytes()) else {
            continue;
        };
        // SAFETY: access only reads the path.
        if unsafe { libc::access(c.as_ptr(), libc::X_OK) } == 0 && candidate.is_file() {
            return Ok(candidate);
        }
        if found.is_none() && candidate.exists() {
            found = Some(candidate);
        }
    }
    found.ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound))
}
