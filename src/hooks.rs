//! The switches the safety tests' negative controls turn part of the guard off with, to show
//! that a test would catch the guard's absence (tests/safety.rs). They exist only in a build
//! with the cargo feature `test-hooks` (tests/run.sh); a release build, the packages among
//! them, has not even their names, and ignores the variables (tests/package.rs).

/// A part of the guard a test may turn off.
#[derive(Debug, Clone, Copy)]
pub enum Off {
    /// `ZKLOCK_UNSAFE_NO_LEASE`: the command is not stopped when the lease runs out.
    Lease,
    /// `ZKLOCK_UNSAFE_NO_WATCHDOG`: no watchdog.
    Watchdog,
    /// `ZKLOCK_UNSAFE_NO_SWEEP`: only the command's process group is stopped, not what left it.
    Sweep,
    /// `ZKLOCK_UNSAFE_LATE_WATCHDOG`: the watchdog learns of the command only once zklock
    /// supervises it, after the spawn, not from the command itself before its exec.
    EarlyGuard,
}

/// Whether a test turned `part` off.
#[cfg(feature = "test-hooks")]
pub fn is_off(part: Off) -> bool {
    let name = match part {
        Off::Lease => "ZKLOCK_UNSAFE_NO_LEASE",
        Off::Watchdog => "ZKLOCK_UNSAFE_NO_WATCHDOG",
        Off::Sweep => "ZKLOCK_UNSAFE_NO_SWEEP",
        Off::EarlyGuard => "ZKLOCK_UNSAFE_LATE_WATCHDOG",
    };
    std::env::var_os(name).is_some()
}

/// `ZKLOCK_TEST_STOP_AFTER_SPAWN`: zklock stops itself (SIGSTOP) right after the command's
/// spawn, before it supervises it: the moment a stop or a kill of zklock hurts most.
#[cfg(feature = "test-hooks")]
pub fn after_spawn() {
    if std::env::var_os("ZKLOCK_TEST_STOP_AFTER_SPAWN").is_some() {
        crate::sys::process::kill(crate::sys::process::own_pid(), libc::SIGSTOP);
    }
}

/// Nothing, in this build.
#[cfg(not(feature = "test-hooks"))]
pub fn after_spawn() {}

/// Whether a test turned `part` off: never, in this build.
#[cfg(not(feature = "test-hooks"))]
pub fn is_off(_part: Off) -> bool {
    false
}
