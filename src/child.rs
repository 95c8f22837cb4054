//! The supervised command: spawned in its own process group with a parent-death signal,
//! signalled as a group, reaped (with any orphans it leaves, zklock being their subreaper), and
//! stopped with a grace period.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::cgroup::{self, Cgroup};
use crate::error::Error;
use crate::signal::Signal;
use crate::sys::process::{self, Reaped};
use crate::sys::spawn::{self, IntoCgroup};
use crate::sys::watchdog::Enlist;

/// Makes zklock the reaper of the command's orphaned descendants, so that none escapes to init
/// while zklock still has to stop them before releasing the lock; or says why it cannot.
pub use crate::sys::process::become_subreaper;

/// A running command; its pid is also its process group id.
#[derive(Debug)]
pub struct Child {
    pid: i32,
    status: Option<i32>,
    /// The command was given the terminal (zklock takes it back before releasing).
    terminal: bool,
    /// A job-control stop not yet reported: the signal that stopped the command.
    stopped: Option<i32>,
    /// The command's own cgroup, where zklock could make one.
    cgroup: Option<&'static Cgroup>,
    /// A child of zklock that is not the command's (the watchdog).
    spare: i32,
    /// Sweep escaped descendants and the cgroup, not only the process group. Off only in a
    /// test build's negative control (hooks.rs).
    sweep: bool,
}

/// The command's program as execvp(3) would find it in $PATH, looked up ahead of the spawn
/// (with the command's helpers, while the create is on its way), so that the lock's answer is
/// not followed by a walk through $PATH. Used only when that was a moment ago (a lock free at
/// once); a waiter's command is looked up again when its turn comes, as execvp would.
pub struct Program {
    found: Option<PathBuf>,
    at: Instant,
}

/// How old an early lookup may be and still be used: a create's round trip, not a wait.
const LOOKUP_KEEPS: Duration = Duration::from_millis(50);

impl Program {
    pub fn find(argv: &[std::ffi::OsString]) -> Program {
        Program {
            found: argv.first().and_then(|p| spawn::resolve(p).ok()),
            at: Instant::now(),
        }
    }

    fn fresh(&self) -> Option<&Path> {
        self.found
            .as_deref()
            .filter(|_| self.at.elapsed() <= LOOKUP_KEEPS)
    }
}

/// Starts `argv` with `env` added and zklock's secrets (`settings::SECRETS`) taken out,
/// stdin/stdout/stderr inherited.
///
/// Must be called from the main thread: Linux sends the parent-death signal when the *thread*
/// that forked exits, and only the main thread lives as long as zklock.
/// With `cgroup`, the command moves into it before exec, so every descendant stays in it.
pub fn spawn(
    argv: &[std::ffi::OsString],
    env: &[(&str, String)],
    cgroup: Option<&'static Cgroup>,
    early: Option<&Program>,
    enlist: Option<Enlist>,
) -> Result<Child, Error> {
    let Some((program, args)) = argv.split_first() else {
        return Err(Error::Usage("no command given".into()));
    };
    // stdin a terminal whose foreground group is zklock's: the command, in a group of its
    // own, must be given the terminal, or reading it would stop it (SIGTTIN) while the lock
    // stays held.
    let terminal = process::owns_terminal();
    let found = early.and_then(Program::fresh);
    let into = cgroup.map(|c| IntoCgroup {
        dir_fd: c.dir_fd,
        procs: &c.procs,
    });
    // None of zklock's secrets, whether from a settings file or zklock's own environment.
    let unset = crate::settings::SECRETS;
    match spawn::spawn(&spawn::Spawn {
        program,
        found,
        args,
        env,
        unset,
        cgroup: into,
        terminal,
        enlist,
    }) {
        Ok(pid) => Ok(started(pid, terminal, cgroup)),
        Err(e) => Err(not_started(program, e)),
    }
}

/// The child set its own group (and took the terminal) before exec, and both ways of
/// spawning return only once the exec is done: nothing is left for the parent to set.
fn started(pid: i32, terminal: bool, cgroup: Option<&'static Cgroup>) -> Child {
    Child {
        pid,
        status: None,
        terminal,
        stopped: None,
        cgroup,
        spare: 0,
        sweep: !crate::hooks::is_off(crate::hooks::Off::Sweep),
    }
}

fn not_started(program: &std::ffi::OsStr, e: io::Error) -> Error {
    let program = program.to_string_lossy();
    if e.kind() == io::ErrorKind::NotFound {
        Error::CommandNotFound(format!("{program}: command not found"))
    } else {
        Error::CannotExecute(format!("{program}: {e}"))
    }
}

impl Child {
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// Sends `sig` to the command's whole process group (and SIGCONT, so a stopped group can
    /// act on it).
    pub fn signal(&self, sig: Signal) {
        process::kill_group(self.pid, sig.0);
        if sig.0 != libc::SIGKILL {
            process::kill_group(self.pid, libc::SIGCONT);
        }
    }

    /// Reaps every exited child of zklock (orphans included); returns the command's exit status
    /// once it has exited: its code, or 128+N when signal N killed it.
    pub fn reap(&mut self) -> Option<i32> {
        loop {
            match process::reap_any() {
                Reaped::None => return self.status,
                Reaped::Stopped { pid, signal } if pid == self.pid => self.stopped = Some(signal),
                Reaped::Ended { pid, status } if pid == self.pid => self.status = Some(status),
                Reaped::Stopped { .. } | Reaped::Ended { .. } => {}
            }
        }
    }

    /// The signal that stopped the command (job control), once per stop.
    pub fn take_stop(&mut self) -> Option<Signal> {
        self.stopped.take().map(Signal)
    }

    /// The command stopped on its terminal (Ctrl-Z; a read or write from the background):
    /// zklock takes the terminal back and stops itself the same way, as sudo does, so that
    /// the shell sees the job stopped and gets the terminal; once zklock is continued (`fg`,
    /// `bg`), it gives the command the terminal again if zklock has it (`fg`), and continues
    /// the command. Whether it did (false: the command has no terminal, nothing to do).
    pub fn stop_with_it(&self, sig: Signal) -> bool {
        if !self.terminal {
            return false;
        }
        self.take_back_terminal();
        crate::sys::signals::stop_self(sig.0);
        process::give_terminal_if_ours(self.pid);
        process::kill_group(self.pid, libc::SIGCONT);
        true
    }

    /// While the command runs: if zklock's group has the terminal, gives it to the command's.
    /// A shell gives a new job the terminal twice, from the job (before zklock starts) and
    /// from the shell itself; the shell's can come late, under load after the command has
    /// taken the terminal, and leave the command in the background (Ctrl-Z would reach only
    /// zklock, which ignores it; a read would stop the command). A system call per pass of
    /// the guard's loop.
    pub fn keep_terminal(&self) {
        if self.terminal && self.stopped.is_none() {
            process::give_terminal_if_ours(self.pid);
        }
    }

    /// Gives the terminal back to zklock's group, if the command had it.
    pub fn take_back_terminal(&self) {
        if self.terminal {
            process::take_terminal();
        }
    }

    /// True while any process remains in the command's process group.
    pub fn group_alive(&mut self) -> bool {
        self.reap();
        process::group_exists(self.pid)
    }

    /// After the command exited: stops whatever it left in its process group with `sig`, then
    /// SIGKILL after `grace`, and reaps them (for `watch -- CMD`, where no lease is at stake).
    pub async fn stop_rest(&mut self, sig: Signal, grace: Duration) {
        if !self.group_alive() {
            return;
        }
        self.signal(sig);
        let kill_at = Instant::now() + grace;
        let mut killed = false;
        while self.group_alive() {
            if !killed && Instant::now() >= kill_at {
                self.signal(Signal::KILL);
                killed = true;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Never sweeps `pid` (the watchdog, also a child of zklock).
    pub fn spare(&mut self, pid: i32) {
        self.spare = pid;
    }

    /// After the command exited: true while anything of it remains, that is a process in its
    /// group or its cgroup (but the cgroup's keeper), or another child of zklock (but the
    /// spared watchdog and the keeper): descendants that left the group (`setsid`) come back
    /// to zklock, their subreaper, when their parent dies.
    pub fn leftovers_alive(&mut self) -> bool {
        if !self.sweep {
            return self.group_alive();
        }
        self.reap();
        let group = process::group_exists(self.pid);
        let contained = self
            .cgroup
            .is_some_and(|c| c.pids().into_iter().any(|pid| pid != c.keeper()));
        group || contained || self.others().next().is_some()
    }

    /// zklock's children but the spared watchdog and the cgroup's keeper: what the command
    /// left behind.
    fn others(&self) -> impl Iterator<Item = i32> {
        let keeper = self.cgroup.map_or(0, Cgroup::keeper);
        let spare = self.spare;
        own_children()
            .into_iter()
            .filter(move |pid| *pid != spare && *pid != keeper)
    }

    /// Sends `sig` (and SIGCONT) to everything of the command: its group, its cgroup, and
    /// every other child of zklock but the spared one, with their own process groups. What
    /// stops the command for the lease, and what it left behind when it exits.
    pub fn stop_all(&self, sig: Signal) {
        self.signal(sig);
        if !self.sweep {
            return;
        }
        if let Some(cgroup) = self.cgroup {
            if sig == Signal::KILL {
                cgroup.kill_all();
            }
            for pid in cgroup.pids() {
                process::kill(pid, sig.0);
                if sig.0 != libc::SIGKILL {
                    process::kill(pid, libc::SIGCONT);
                }
            }
        }
        // Children of ours, not yet reaped, so their pids are not reused.
        for pid in self.others() {
            let group = process::group_of(pid);
            process::kill(pid, sig.0);
            if let Some(group) = group {
                process::kill_group(group, sig.0);
            }
            if sig.0 != libc::SIGKILL {
                process::kill(pid, libc::SIGCONT);
                if let Some(group) = group {
                    process::kill_group(group, libc::SIGCONT);
                }
            }
        }
    }
}

/// /proc/self/task/<pid>/children, opened once (`prepare_sweep`, or the first look).
static CHILDREN: OnceLock<Option<File>> = OnceLock::new();

/// Opens the list of zklock's children ahead of the command's end, when the leftover check
/// reads it: made with the command's helpers, while the create is on its way.
/// Whether the list can be read (false where the kernel lacks CONFIG_PROC_CHILDREN).
pub fn prepare_sweep() -> bool {
    CHILDREN.get_or_init(open_children).is_some()
}

fn open_children() -> Option<File> {
    File::open(format!("/proc/self/task/{}/children", std::process::id())).ok()
}

/// zklock's children, from /proc/self/task/<pid>/children: orphans are handed to the
/// subreaper's leading thread, which is also the one that forks the command (empty where the
/// kernel lacks CONFIG_PROC_CHILDREN; then only the command's group is swept).
fn own_children() -> Vec<i32> {
    CHILDREN
        .get_or_init(open_children)
        .as_ref()
        .map(cgroup::read_pids)
        .unwrap_or_default()
}
