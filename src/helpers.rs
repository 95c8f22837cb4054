//! The command's helpers: its cgroup and the watchdog (SPEC §2, ../shared/SAFETY.md), made
//! for `lock` and `elect` before the command runs; with them, what the command's start and
//! end need and can have ready early: its program's place in $PATH, the list of zklock's
//! children the sweep reads, and the handlers of the signals passed on to it.

use crate::cgroup::Cgroup;
use crate::child::Program;
use crate::diag::Diag;
use crate::error::Error;
use crate::watchdog::Watchdog;

/// `--cgroup`, `--no-cgroup`, or neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CgroupUse {
    /// A cgroup where zklock can make one, silently without.
    WherePossible,
    /// As above, but warn when none can be made.
    Insist,
    Never,
}

/// What the command runs with besides zklock: its cgroup, where one can be made, and the
/// watchdog that kills it should zklock stop or die (SPEC §2); and its program, looked up in
/// $PATH ahead of the spawn. Made while the contender's
/// create is on its way, so that neither a lock free at once nor a hand-off waits for them
/// (a few tenths of a millisecond); with `-n`, only once the lock is held, so conflicts
/// never make them.
pub struct Helpers {
    pub cgroup: Option<&'static Cgroup>,
    pub watchdog: Option<Watchdog>,
    /// The command's program, looked up in $PATH.
    pub program: Program,
}

impl Helpers {
    /// The helpers in `slot`, made now if they are not yet.
    pub fn ready<'a>(
        slot: &'a mut Option<Helpers>,
        argv: &[std::ffi::OsString],
        cgroup: CgroupUse,
        diag: &Diag,
    ) -> Result<&'a Helpers, Error> {
        Ok(match slot {
            Some(made) => made,
            None => slot.insert(Helpers::start(argv, cgroup, diag)?),
        })
    }

    fn start(
        argv: &[std::ffi::OsString],
        cgroup: CgroupUse,
        diag: &Diag,
    ) -> Result<Helpers, Error> {
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
        // Test hook for the negative controls in tests/safety.rs: ZKLOCK_UNSAFE_NO_WATCHDOG;
        // never set it.
        let watchdog = match std::env::var_os("ZKLOCK_UNSAFE_NO_WATCHDOG") {
            None => {
                let w = Watchdog::start(cgroup).map_err(|e| {
                    if let Some(c) = cgroup {
                        c.remove();
                    }
                    Error::Other(format!("cannot start the watchdog: {e}"))
                })?;
                diag.debug(format_args!("watchdog pid {}", w.pid()));
                Some(w)
            }
            Some(_) => None,
        };
        Ok(Helpers {
            cgroup,
            watchdog,
            program,
        })
    }

    /// Once the command and all it left are gone, or it never ran. (The watchdog removes it
    /// too, should zklock die first.)
    pub fn remove_cgroup(&self) {
        if let Some(cgroup) = self.cgroup {
            cgroup.remove();
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
