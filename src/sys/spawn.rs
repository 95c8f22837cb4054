//! Starting the command: with `clone3`, directly inside its cgroup (`CLONE_INTO_CGROUP`,
//! Linux 5.7+), and, on x86_64, without copying zklock's address space (`CLONE_VM |
//! CLONE_VFORK`, as posix_spawn does).
//!
//! Moving a running process into a cgroup (a write to `cgroup.procs`) waits for an RCU grace
//! period, ~10–20 ms: more than a whole lock cycle. A child cloned into the cgroup pays
//! nothing of the kind, so zklock can give every command a cgroup by default. A fork copies
//! zklock's page tables and makes every page zklock writes afterwards a copy-on-write fault;
//! a child that shares zklock's memory on a stack of its own, while zklock's thread waits for
//! its exec, costs neither (about 0.3 ms a cycle here). std's `Command` can do neither with
//! the parent-death signal set, hence this small spawn of our own. Everything the child needs
//! is prepared before the clone; the child makes only async-signal-safe system calls, starts
//! with every handler of zklock's reset by the kernel (`CLONE_CLEAR_SIGHAND`, Linux 5.5+) and
//! every signal blocked until it has set the rest, and reports a failed exec
//! in the memory it shares with zklock (as glibc's posix_spawn does; where it is forked, through
//! a close-on-exec pipe, as std does).

//!
//! Where clone3 is refused (an old kernel, a container's seccomp profile, a cgroup zklock may
//! not use), the command is forked by std's `Command`, with the same settings made between
//! the fork and the exec, and moved into its cgroup by a write to `cgroup.procs`.

use std::ffi::{CStr, CString, OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use std::io;
use std::os::unix::process::CommandExt;
use std::process::Command;

use super::raw::{CLONE_CLEAR_SIGHAND, CLONE_INTO_CGROUP, CloneArgs};
use super::watchdog::Enlist;

/// The command's cgroup, as the spawn uses it.
#[derive(Clone, Copy)]
pub struct IntoCgroup<'a> {
    /// The directory, open: what clone3 takes (`CLONE_INTO_CGROUP`); -1 if it could not be.
    pub dir_fd: i32,
    /// Its `cgroup.procs`: what a forked child writes itself into.
    pub procs: &'a CStr,
}

/// What to start, and how.
#[derive(Clone, Copy)]
pub struct Spawn<'a> {
    pub program: &'a OsStr,
    /// Where an early look in $PATH found `program`, if it did.
    pub found: Option<&'a Path>,
    pub args: &'a [OsString],
    /// Added to zklock's environment.
    pub env: &'a [(&'a str, String)],
    /// Taken out of zklock's environment.
    pub unset: &'a [&'a str],
    pub cgroup: Option<IntoCgroup<'a>>,
    /// Give the command's new process group the terminal (stdin's).
    pub terminal: bool,
    /// Publish the command's process group to the watchdog, from the command itself before
    /// its exec (sys/watchdog.rs).
    pub enlist: Option<Enlist>,
}

/// Starts `program args` with zklock's environment less `unset`, plus `env`, in a new process
/// group of its own (taking the terminal when `terminal`), with the parent-death signal set,
/// inside `cgroup` if given, and with the CPUs zklock was started with (affinity.rs), enlisted
/// with the watchdog before its exec. Returns its pid, once it has exec'd; Err is the exec's
/// error (NotFound: no such command), or the fork's (the caller then stands the watchdog
/// down: a pid enlisted by a failed exec is no command's).
pub fn spawn(how: &Spawn<'_>) -> io::Result<i32> {
    let Spawn {
        program,
        args,
        env,
        unset,
        cgroup,
        terminal,
        enlist,
        ..
    } = *how;
    match spawn_clone3(how) {
        Ok(pid) => return Ok(pid),
        Err(Failed::Exec(e)) => return Err(e),
        Err(Failed::Clone) => {}
    }
    let mut command = Command::new(program);
    command
        .args(args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .process_group(0);
    for name in unset {
        command.env_remove(name);
    }
    let zklock = super::process::own_pid();
    let procs = cgroup.map(|c| c.procs.to_owned());
    // SAFETY: the closure runs between fork and exec and makes only raw system calls
    // (rustix's and `raw`'s) and libc's async-signal-safe `signal`.
    unsafe {
        command.pre_exec(move || {
            if !super::raw::killed_with_parent(zklock) {
                // zklock died before the prctl took effect.
                libc::_exit(137);
            }
            // std made the new group before running this.
            if let Some(enlist) = enlist {
                enlist.enlist(rustix::process::getpid().as_raw_nonzero().get());
            }
            if let Some(procs) = &procs
                && !super::raw::write_file(procs, b"0")
            {
                return Err(io::Error::other("cannot enter the command's cgroup"));
            }
            // Take the terminal for the new group (as a shell's child does, so neither order of
            // parent and child can let the command read it from the background); SIGTTOU is
            // still ignored here, as in zklock.
            if terminal {
                let _ =
                    rustix::termios::tcsetpgrp(rustix::stdio::stdin(), rustix::process::getpid());
            }
            for sig in [libc::SIGTSTP, libc::SIGTTIN, libc::SIGTTOU] {
                libc::signal(sig, libc::SIG_DFL);
            }
            super::affinity::give_back();
            Ok(())
        });
    }
    command.spawn().map(|child| child.id() as i32)
}

/// Why clone3 did not start the command.
enum Failed {
    /// clone3 itself failed (an old kernel, a cgroup we may not use): start it the usual way.
    Clone,
    /// The command was not found, or could not be executed: the error of `execve`.
    Exec(std::io::Error),
}

/// What the child needs, all prepared before the clone.
struct ChildArgs {
    path: *const libc::c_char,
    argv: *const *const libc::c_char,
    envp: *const *const libc::c_char,
    zklock: libc::pid_t,
    terminal: bool,
    enlist: Option<Enlist>,
    /// Where the child reports a failed exec.
    report: Report,
}

/// How the child reports a failed exec: its errno, written before it exits into memory it
/// shares with zklock, which zklock reads once its thread resumes (after the child's exec or
/// exit: CLONE_VFORK), as glibc's posix_spawn does. No pipe to make (a pipe2 cost 10–30 µs
/// right before the command's start).
#[cfg(target_arch = "x86_64")]
struct Report(std::sync::atomic::AtomicI32);

#[cfg(target_arch = "x86_64")]
impl Report {
    fn new() -> Option<Report> {
        Some(Report(std::sync::atomic::AtomicI32::new(0)))
    }
    /// In the child, after a failed exec.
    fn send(&self, errno: i32) {
        self.0.store(errno, std::sync::atomic::Ordering::SeqCst);
    }
    /// In zklock, once the clone has returned: the errno of a failed exec.
    fn received(self) -> Option<i32> {
        Some(self.0.into_inner()).filter(|e| *e != 0)
    }
}

/// Where the child is forked (no memory shared): a close-on-exec pipe, as std does; nothing
/// to read once the exec succeeded (the pipe closed with it), an errno if not.
#[cfg(not(target_arch = "x86_64"))]
struct Report {
    read: libc::c_int,
    write: libc::c_int,
}

#[cfg(not(target_arch = "x86_64"))]
impl Report {
    fn new() -> Option<Report> {
        let mut pipe = [0; 2];
        // SAFETY: pipe2 writes two descriptors into `pipe`.
        (unsafe { libc::pipe2(pipe.as_mut_ptr(), libc::O_CLOEXEC) } == 0).then(|| Report {
            read: pipe[0],
            write: pipe[1],
        })
    }
    fn send(&self, errno: i32) {
        // SAFETY: writes 4 bytes from a local.
        unsafe { libc::write(self.write, (&errno as *const i32).cast(), 4) };
    }
    fn received(self) -> Option<i32> {
        // SAFETY: reads at most 4 bytes into a local; both descriptors are ours.
        unsafe {
            libc::close(self.write);
            let mut errno = 0i32;
            let got = loop {
                let n = libc::read(self.read, (&mut errno as *mut i32).cast(), 4);
                if n >= 0 || *libc::__errno_location() != libc::EINTR {
                    break n;
                }
            };
            libc::close(self.read);
            (got == 4).then_some(errno)
        }
    }
}

/// `spawn` with clone3.
fn spawn_clone3(how: &Spawn<'_>) -> Result<i32, Failed> {
    let Spawn {
        program,
        found,
        args,
        env,
        unset,
        cgroup,
        terminal,
        enlist,
    } = *how;
    let exec = |e| Failed::Exec(e);
    let path = match found {
        Some(path) => path.to_path_buf(),
        None => resolve(program).map_err(exec)?,
    };
    let cstr = |b: &[u8]| CString::new(b).map_err(|e| exec(std::io::Error::other(e)));
    let path = cstr(path.as_os_str().as_bytes())?;
    let argv: Vec<CString> = std::iter::once(program)
        .chain(args.iter().map(OsString::as_os_str))
        .map(|a| cstr(a.as_bytes()))
        .collect::<Result<_, _>>()?;
    // zklock's environment less the names it sets, then those: pointers to the strings of
    // `environ` itself (no copy of each), and new strings for zklock's own variables.
    let ours: Vec<CString> = env
        .iter()
        .map(|(k, v)| cstr(format!("{k}={v}").as_bytes()))
        .collect::<Result<_, _>>()?;
    let mut envp_ptrs: Vec<*const libc::c_char> = Vec::with_capacity(64);
    // SAFETY: `environ` is null or a null-terminated array of C strings; zklock changes its
    // environment only at its start, before any other thread (settings.rs).
    unsafe {
        let mut entry = super::start::environment();
        while !entry.is_null() && !(*entry).is_null() {
            let text = CStr::from_ptr(*entry).to_bytes();
            let name = text.split(|b| *b == b'=').next().unwrap_or(text);
            if !env.iter().any(|(k, _)| k.as_bytes() == name)
                && !unset.iter().any(|k| k.as_bytes() == name)
            {
                envp_ptrs.push(*entry);
            }
            entry = entry.add(1);
        }
    }
    envp_ptrs.extend(ours.iter().map(|c| c.as_ptr()));
    envp_ptrs.push(std::ptr::null());
    let argv_ptrs = pointers(&argv);

    // SAFETY: plain system calls on descriptors we own; the child runs only `child_main`,
    // which calls async-signal-safe functions on memory prepared above and never returns.
    unsafe {
        let dir = match cgroup {
            Some(cgroup) if cgroup.dir_fd < 0 => return Err(Failed::Clone),
            Some(cgroup) => Some(cgroup.dir_fd),
            None => None,
        };
        let Some(report) = Report::new() else {
            return Err(Failed::Clone);
        };
        let child = ChildArgs {
            path: path.as_ptr(),
            argv: argv_ptrs.as_ptr(),
            envp: envp_ptrs.as_ptr(),
            zklock: libc::getpid(),
            terminal,
            enlist,
            report,
        };
        // The kernel resets zklock's handlers in the child (a signal that comes before the
        // exec must not run one of them in zklock's memory); a kernel without it refuses the
        // clone, and the command is spawned the usual way.
        let mut args = CloneArgs {
            flags: CLONE_CLEAR_SIGHAND,
            exit_signal: libc::SIGCHLD as u64,
            ..CloneArgs::default()
        };
        if let Some(dir) = dir {
            args.flags |= CLONE_INTO_CGROUP;
            args.cgroup = dir as u64;
        }
        // No handler of zklock's may run in the child, which may share zklock's memory: every
        // signal stays blocked from before the clone until the child has reset the handlers.
        let pid = super::raw::with_every_signal_blocked(|| clone(&mut args, &child));
        let failed = child.report.received();
        if pid < 0 {
            return Err(Failed::Clone);
        }
        let pid = pid as i32;
        if let Some(errno) = failed {
            libc::waitpid(pid, std::ptr::null_mut(), 0);
            return Err(Failed::Exec(std::io::Error::from_raw_os_error(errno)));
        }
        Ok(pid)
    }
}

/// The stack the child runs on until its exec, from zklock's heap.
#[cfg(target_arch = "x86_64")]
const CHILD_STACK: usize = 64 * 1024;

/// clone3 with `CLONE_VM | CLONE_VFORK`: the child runs `child_main` on a stack of its own,
/// in zklock's memory, while this thread waits for its exec or exit. Returns the child's
/// pid, or -1.
#[cfg(target_arch = "x86_64")]
unsafe fn clone(args: &mut CloneArgs, child: &ChildArgs) -> i64 {
    let entry: extern "C" fn(*const ChildArgs) -> ! = child_main;
    args.flags |= (libc::CLONE_VM | libc::CLONE_VFORK) as u64;
    let mut stack = super::raw::stack(CHILD_STACK);
    // SAFETY: the stack outlives the child's use of it: this thread resumes only once the
    // child has exec'd or exited; every signal is blocked by the caller.
    let pid = unsafe { super::raw::clone_on_stack(args, &mut stack, entry, child) };
    if pid < 0 { -1 } else { pid }
}

/// Elsewhere: clone3 with fork semantics (a copy of zklock's memory).
#[cfg(not(target_arch = "x86_64"))]
unsafe fn clone(args: &mut CloneArgs, child: &ChildArgs) -> i64 {
    // SAFETY: the child only calls `child_main`, which never returns.
    unsafe {
        let pid = libc::syscall(
            libc::SYS_clone3,
            args as *const CloneArgs,
            std::mem::size_of::<CloneArgs>(),
        );
        if pid == 0 {
            child_main(child);
        }
        pid
    }
}

/// The child, from the clone to the exec: only async-signal-safe calls, no allocation.
extern "C" fn child_main(child: *const ChildArgs) -> ! {
    // SAFETY: `child` points to the ChildArgs the parent keeps alive until the exec; every
    // call is a plain system call wrapper.
    unsafe {
        let child = &*child;
        if !super::raw::killed_with_parent(child.zklock) {
            libc::_exit(137);
        }
        libc::setpgid(0, 0);
        if let Some(enlist) = child.enlist {
            enlist.enlist(libc::getpid());
        }
        // Take the terminal for the new group (as a shell's child does); SIGTTOU is ignored.
        if child.terminal {
            libc::tcsetpgrp(0, libc::getpid());
        }
        // zklock's handlers are at their defaults already (CLONE_CLEAR_SIGHAND), and a signal
        // zklock left alone keeps what zklock inherited; what zklock ignores and the command
        // must not: job control, and SIGPIPE (ignored by Rust's runtime).
        for sig in [libc::SIGTSTP, libc::SIGTTIN, libc::SIGTTOU, libc::SIGPIPE] {
            libc::signal(sig, libc::SIG_DFL);
        }
        let mut empty: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut empty);
        libc::sigprocmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());
        super::affinity::give_back();
        libc::execve(child.path, child.argv, child.envp);
        child.report.send(*libc::__errno_location());
        libc::_exit(127);
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
pub fn resolve(program: &OsStr) -> std::io::Result<PathBuf> {
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
        if unsafe { libc::access(c.as_ptr(), libc::X_OK) } == 0 {
            if candidate.is_file() {
                return Ok(candidate);
            }
        } else if std::io::Error::last_os_error().raw_os_error() == Some(libc::ENOENT) {
            // Not there: the common case in every directory before the right one, which
            // access alone has answered.
            continue;
        }
        if found.is_none() && candidate.exists() {
            found = Some(candidate);
        }
    }
    found.ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound))
}
