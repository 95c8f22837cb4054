//! Holding a lock or a leadership while a command runs: create our node, wait our turn, run
//! the command under the safety monitor, release by closing the session. `lock` and `elect`
//! both come here with a `Plan`.

use std::ffi::OsString;
use std::time::Instant;

use crate::cgroup::Cgroup;
use crate::child;
use crate::connect::Connection;
use crate::connect::Session;
use crate::diag::Diag;
use crate::error::Error;
use crate::guard::{self, Ending, Stopping};
use crate::interrupt;
use crate::lease::{BootTime, Lease};
use crate::recipe::{self, Acquired, OwnNode, Patience, Recipe};
use crate::signal::Listener;
use crate::watchdog::Watchdog;

/// Everything `lock` (and `elect`) needs, checked before anything touches ZooKeeper.
pub struct Plan {
    pub recipe: Recipe,
    pub path: String,
    pub argv: Vec<OsString>,
    pub id: String,
    pub patience: Patience,
    pub conflict_code: u8,
    pub stopping: Stopping,
    /// Whether the command runs in a cgroup of its own.
    pub cgroup: CgroupUse,
}

impl Plan {
    fn what(&self) -> &'static str {
        match self.recipe {
            Recipe::Lock => "lock",
            Recipe::Latch => "leadership",
            Recipe::Write => "write lock",
            Recipe::Read => "read lock",
        }
    }
}

/// `--cgroup`, `--no-cgroup`, or neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CgroupUse {
    /// A cgroup where zklock can make one, silently without.
    WherePossible,
    /// As above, but warn when none can be made.
    Insist,
    Never,
}

pub async fn run(connection: &Connection, plan: Plan, diag: &Diag) -> Result<i32, Error> {
    let mut signals = interrupt::listen()?;
    child::become_subreaper();
    let started = Instant::now();
    let mut session =
        interrupt::unless_stopped(&mut signals, Session::connect(connection, diag)).await?;
    let create = recipe::create(&session, &plan.path, plan.recipe, &plan.id);
    let created = interrupt::unless_stopped(&mut signals, create).await;
    let (node, sent) = match created {
        Ok(created) => created,
        Err(e) => {
            // The node may exist even though the create did not answer; closing removes it.
            session.close(None, diag).await;
            return Err(e);
        }
    };
    diag.info(format_args!(
        "created {} in {:?}",
        node.path,
        started.elapsed()
    ));
    let lease = Lease::new(session.timeout, sent);
    let mut kept = None;
    let outcome = hold(
        &mut session,
        &plan,
        &node,
        lease,
        &mut signals,
        &mut kept,
        diag,
    )
    .await;
    let releasing = Instant::now();
    session.close_then_drop(Some(&node.path), kept, diag).await;
    diag.info(format_args!(
        "released {} in {:?}",
        plan.path,
        releasing.elapsed()
    ));
    outcome
}

/// Waits for the lock, then runs the command under the safety monitor.
async fn hold(
    session: &mut Session,
    plan: &Plan,
    node: &OwnNode,
    mut lease: Lease,
    signals: &mut Listener,
    kept: &mut Option<guard::KeptWatch>,
    diag: &Diag,
) -> Result<i32, Error> {
    // Every wait below races signals and `--wait`'s end, retries after a lost connection
    // included: zklock ends when told to or when patience runs out, whatever the server does.
    let deadline = plan.patience.deadline();
    let acquired = tokio::select! {
        acquired = recipe::acquire(session, &plan.path, node, plan.patience, diag) => acquired?,
        sig = signals.terminating() => return Err(Error::Interrupted(sig)),
        _ = recipe::sleep_until(deadline) => Acquired::Conflict,
    };
    match acquired {
        Acquired::Held { waited } => diag.info(format_args!(
            "holding the {} of {} (waited: {waited})",
            plan.what(),
            plan.path
        )),
        Acquired::Conflict => {
            return Err(Error::NotAcquired {
                path: plan.path.clone(),
                code: plan.conflict_code,
            });
        }
    }
    if !lease.is_fresh(BootTime::now()) {
        let refreshed = tokio::select! {
            refreshed = guard::refresh(session, node, &mut lease, diag) => refreshed,
            sig = signals.terminating() => return Err(Error::Interrupted(sig)),
            _ = recipe::sleep_until(deadline) => return Err(Error::NotAcquired {
                path: plan.path.clone(),
                code: plan.conflict_code,
            }),
        };
        refreshed.map_err(|why| {
            Error::Unavailable(format!("{}: {why} before the command started", plan.path))
        })?;
    }
    let mut env = vec![
        ("ZKLOCK_PATH", plan.path.clone()),
        ("ZKLOCK_NODE", node.path.clone()),
        ("ZKLOCK_FENCING_TOKEN", node.czxid.to_string()),
        ("ZKLOCK_SESSION_ID", format!("{:#x}", session.id)),
    ];
    if plan.recipe == Recipe::Latch {
        env.push(("ZKLOCK_LEADER_ID", plan.id.clone()));
    }
    let cgroup = match plan.cgroup {
        CgroupUse::Never => None,
        how => match Cgroup::create() {
            Ok(cgroup) => {
                diag.debug(format_args!("cgroup {}", cgroup.dir().display()));
                Some(cgroup)
            }
            Err(why) if how == CgroupUse::Insist => {
                diag.warn(format_args!("no cgroup for the command: {why}"));
                None
            }
            Err(why) => {
                diag.debug(format_args!("no cgroup for the command: {why}"));
                None
            }
        },
    };
    // Forked only now, when a command is about to run: waiters and -n conflicts never pay for
    // it, and a crowd of contenders does not start a crowd of helpers. Test hook for the
    // negative controls in tests/safety.rs: ZKLOCK_UNSAFE_NO_WATCHDOG; never set it.
    let watchdog = match std::env::var_os("ZKLOCK_UNSAFE_NO_WATCHDOG") {
        None => {
            let w = Watchdog::start(cgroup)
                .map_err(|e| Error::Other(format!("cannot start the watchdog: {e}")))?;
            diag.debug(format_args!("watchdog pid {}", w.pid()));
            Some(w)
        }
        Some(_) => None,
    };
    let mut child = child::spawn(&plan.argv, &env, cgroup).inspect_err(|_| {
        if let Some(cgroup) = cgroup {
            cgroup.remove();
        }
    })?;
    diag.debug(format_args!("command started, pid {}", child.pid()));
    match guard::supervise(
        session,
        node,
        lease,
        &mut child,
        signals,
        plan.stopping,
        watchdog.as_ref(),
        kept,
        diag,
    )
    .await
    {
        Ending::Exited(status) => Ok(status),
        Ending::Lost(why) => Err(Error::Lost(format!(
            "{}: {} lost ({why}); the command was stopped",
            plan.path,
            plan.what()
        ))),
    }
}
