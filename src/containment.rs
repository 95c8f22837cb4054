//! What contains the command besides zklock: its cgroup and the watchdog (SPEC §2,
//! ../shared/SAFETY.md), made for `lock` and `elect` before the command runs; with them, what the command's start and
//! end need and can have ready early: its program's place in $PATH, the list of zklock's
//! children the sweep reads, and the handlers of the signals passed on to it.

use crate::cgroup::Cgroup;
use crate::child::Program;
use crate::diag::Diag;
use crate::error::Error;
use crate::sys::watchdog::Watchdog;

/// `--cgroup`, `--no-cgroup`, or neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CgroupUse {
    /// A cgroup where zklock can make one, silently without.
    WherePossible,
    /// As above, but warn when none can be made.
    Insist,
    Never,
}

/// What the command runs with besides zklock and its watchdog: its cgroup, where one can be
/// made (SPEC §2), and its program, looked up in $PATH ahead of the spawn. Made while the
/// contender's create is on its way, so that neither a lock free at once nor a hand-off
/// waits for them (a few tenths of a millisecond); with `-n`, only once the lock is held, so
/// conflicts never make them.
pub struct Prepared {
    pub cgroup: Option<&'static Cgroup>,
    /// The command's program, looked up in $PATH.
    pub program: Program,
    /// The watchdog (`Containment::watchdog`), for the spawn.
    pub watchdog: Option<&'static Watchdog>,
}

/// The command's helpers, made when `ready` is first called: the watchdog that kills it
/// should zklock stop or die (SPEC §2), forked at zklock's start (`-n`: now), and the rest
/// (`Prepared`).
#[derive(Default)]
pub struct Containment {
    pub watchdog: Option<&'static Watchdog>,
    prepared: Option<Prepared>,
}

/// Whether `lock` and `elect` start the watchdog: always, but in a test build's negative
/// controls (hooks.rs).
pub fn watchdog_wanted() -> bool {
    !crate::hooks::is_off(crate::hooks::Off::Watchdog)
}

/// The watchdog that kills the command should zklock stop or die (SPEC §2): forked first
/// thing in `main` (sys/watchdog.rs says why), or now (`-n`).
fn start_watchdog(diag: &Diag) -> Result<Option<&'static Watchdog>, Error> {
    if !watchdog_wanted() {
        return Ok(None);
    }
    let watchdog = crate::sys::watchdog::early()
        .map_err(|e| Error::Other(format!("cannot start the watchdog: {e}")))?;
    diag.debug(format_args!("watchdog pid {}", watchdog.pid()));
    Ok(Some(watchdog))
}

impl Containment {
    /// The watchdog, and the command's cgroup and program, made now if they are not yet.
    pub fn ready(
        &mut self,
        argv: &[std::ffi::OsString],
        cgroup: CgroupUse,
        diag: &Diag,
    ) -> Result<&Prepared, Error> {
        let prepared = match self.prepared.take() {
            Some(prepared) => prepared,
            None => {
                self.watchdog = start_watchdog(diag)?;
                Prepared::start(argv, cgroup, self.watchdog, diag)
            }
        };
        Ok(self.prepared.insert(prepared))
    }

    /// Once the command and all it left are gone, or it never ran. (The watchdog removes it
    /// too, should zklock die first.)
    pub fn remove_cgroup(&self) {
        if let Some(cgroup) = self.prepared.as_ref().and_then(|p| p.cgroup) {
            cgroup.remove();
        }
    }
}

impl Prepared {
    fn start(
        argv: &[std::ffi::OsString],
        cgroup: CgroupUse,
        watchdog: Option<&'static Watchdog>,
        diag: &Diag,
    ) -> Prepared {
        let subreaper = crate::child::become_subreaper();
        let children_listed = crate::child::prepare_sweep();
        crate::signal::arm_forwarding();
        let program = Program::find(argv);
        let made = match cgroup {
            CgroupUse::Never => Err("--no-cgroup".to_string()),
            _ => Cgroup::create(),
        };
        match &made {
            Ok(cgroup) => diag.debug(format_args!("cgroup {}", cgroup.dir().display())),
            Err(why) if cgroup == CgroupUse::Insist => {
                diag.warn(format_args!("no cgroup for the command: {why}"))
            }
            Err(why) => diag.debug(format_args!("no cgroup for the command: {why}")),
        }
        if let Some(line) = weaker(made.as_ref().err(), subreaper.err(), children_listed) {
            diag.info(format_args!("{line}"));
        }
        let cgroup = made.ok();
        if let (Some(cgroup), Some(watchdog)) = (cgroup, watchdog) {
            watchdog.contain(cgroup.dir());
        }
        Prepared {
            cgroup,
            program,
            watchdog,
        }
    }
}

/// The guarantees this environment weakens, in one line (README, "Where it runs"); None when
/// every one holds. Without a cgroup, a descendant that leaves the command's process group
/// escapes a SIGKILLed zklock's watchdog, which kills the group; without the subreaper (or
/// the kernel's list of zklock's children), one that is orphaned escapes the sweep too.
fn weaker(
    cgroup: Option<&String>,
    subreaper: Option<std::io::Error>,
    children_listed: bool,
) -> Option<String> {
    let mut lacking = Vec::new();
    if let Some(why) = cgroup {
        lacking.push(format!(
            "no cgroup ({why}): a descendant that leaves the command's process group outlives \
             a SIGKILLed zklock"
        ));
    }
    // With a cgroup, orphans stay in it and are stopped all the same.
    if cgroup.is_some() {
        match (subreaper, children_listed) {
            (Some(why), _) => lacking.push(format!(
                "not a subreaper ({why}): and one that leaves it and is orphaned outlives \
                 zklock's end too"
            )),
            (None, false) => lacking.push(
                "no /proc/self/task/PID/children: and one that leaves it and is orphaned \
                 outlives zklock's end too"
                    .to_string(),
            ),
            (None, true) => {}
        }
    }
    (!lacking.is_empty()).then(|| format!("weaker here: {}", lacking.join("; ")))
}
