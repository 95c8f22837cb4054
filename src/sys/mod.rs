//! The system layer: every line of zklock that can break memory safety, and every system
//! call std does not make for it, one file per kernel facility. The crate denies
//! `unsafe_code` everywhere else (lib.rs). Each facility has its run-time fallback that keeps
//! every guarantee when the kernel says no (ENOSYS under a container's seccomp filter or an
//! old kernel, EPERM, EINVAL): README, "Where it runs".
//!
//! - `start`: main's arguments, the standard streams, the environment while single-threaded.
//! - `process`: signalling, reaping, process groups, the terminal, the subreaper, fork.
//! - `signals`: dispositions and masks; passing signals on to the command.
//! - `spawn`: the command's start (clone3 into its cgroup, or std's fork and exec).
//! - `keeper`: the process that keeps the command's cgroup populated.
//! - `watchdog`: the forked helper that kills the command should zklock stop or die.
//! - `affinity`: CPU affinity of zklock's threads and of what it starts.
//! - `raw`: clone3 onto a stack of the child's own (x86_64 assembly) and the few raw system
//!   calls left that rustix does not make for a child sharing zklock's memory.
//! - `tls`: zookeeper-client's one `unsafe` method (a weaker TLS check, not memory).
//!
//! rustix (safe wrappers of raw system calls, no `errno`) does what it covers; libc is left
//! where rustix has no safe call (signal dispositions, fork, `__WCLONE`).

pub mod affinity;
pub mod keeper;
pub mod process;
pub mod raw;
pub mod signals;
pub mod spawn;
pub mod start;
pub mod tls;
pub mod watchdog;
