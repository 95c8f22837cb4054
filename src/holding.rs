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
use crate::guard::{self, Ending, Stopping, Watches};
use crate::interrupt;
use crate::lease::{BootTime, Lease};
use crate::recipe::{self, Acquired, OwnNode, Patience, Recipe};
use crate::semaphore;
use crate::signal::Listener;
use crate::watchdog::Watchdog;

/// Everything `lock` (and `elect`) needs, checked before anything touches ZooKeeper.
pub struct Plan {
    pub recipe: Recipe,
    /// Sorted, without duplicates: the order they are taken in.
    pub paths: Vec<String>,
    /// `--limit N`: a semaphore of N leases on each path instead of a lock.
    pub limit: Option<u32>,
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
        if self.limit.is_some() {
            return "lease";
        }
        match self.recipe {
            Recipe::Lock => "lock",
            Recipe::Latch => "leadership",
            Recipe::Write => "write lock",
            Recipe::Read => "read lock",
            Recipe::Lease => "lease",
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
    let mut session =
        interrupt::unless_stopped(&mut signals, Session::connect(connection, diag)).await?;
    let mut nodes = Vec::new();
    let mut watches = Watches::default();
    let outcome = hold(
        &mut session,
        &plan,
        &mut nodes,
        &mut signals,
        &mut watches,
        diag,
    )
    .await;
    let releasing = Instant::now();
    // Closing the session removes every node of ours, those of paths not yet acquired too.
    let own: Vec<String> = nodes.iter().map(|n: &OwnNode| n.path.clone()).collect();
    session.close_then_drop(&own, watches, diag).await;
    diag.info(format_args!(
        "released {} in {:?}",
        plan.paths.join(" "),
        releasing.elapsed()
    ));
    outcome
}

/// Creates our node in `path` (recorded in `nodes` at once, so the close removes it on any
/// early exit) and waits our turn. The send time of the create, or None when patience ran out.
async fn take_lock(
    session: &mut Session,
    path: &str,
    plan: &Plan,
    nodes: &mut Vec<OwnNode>,
    diag: &Diag,
) -> Result<Option<BootTime>, Error> {
    let started = Instant::now();
    let (node, sent) = recipe::create(session, path, plan.recipe, &plan.id).await?;
    diag.info(format_args!(
        "created {} in {:?}",
        node.path,
        started.elapsed()
    ));
    nodes.push(node.clone());
    Ok(
        match recipe::acquire(session, path, &node, plan.patience, diag).await? {
            Acquired::Held { .. } => Some(sent),
            Acquired::Conflict => None,
        },
    )
}

/// Takes each path in turn (sorted: two zklocks naming the same paths in any order cannot
/// deadlock), creating its node only once the previous path is held; then runs the command
/// under the safety monitor, which guards every node.
async fn hold(
    session: &mut Session,
    plan: &Plan,
    nodes: &mut Vec<OwnNode>,
    signals: &mut Listener,
    watches: &mut Watches,
    diag: &Diag,
) -> Result<i32, Error> {
    // Every wait below races signals and `--wait`'s end, retries after a lost connection
    // included: zklock ends when told to or when patience runs out, whatever the server does.
    let deadline = plan.patience.deadline();
    let mut lease: Option<Lease> = None;
    for path in &plan.paths {
        let started = Instant::now();
        // One race for the whole of taking the path, its create included.
        let taking = async {
            match plan.limit {
                Some(limit) => {
                    semaphore::acquire(session, path, &plan.id, limit, plan.patience, nodes, diag)
                        .await
                }
                None => take_lock(session, path, plan, nodes, diag).await,
            }
        };
        let taken = tokio::select! {
            taken = taking => taken?,
            sig = signals.terminating() => return Err(Error::Interrupted(sig)),
            _ = recipe::sleep_until(deadline) => None,
        };
        let Some(sent) = taken else {
            return Err(Error::NotAcquired {
                path: path.clone(),
                code: plan.conflict_code,
            });
        };
        diag.info(format_args!(
            "holding the {} of {path} after {:?}",
            plan.what(),
            started.elapsed()
        ));
        // An answered write proves the session alive when it was sent.
        match &mut lease {
            None => lease = Some(Lease::new(session.timeout, sent)),
            Some(lease) => lease.renew(sent),
        }
    }
    let Some(mut lease) = lease else {
        return Err(Error::Usage("no path given".into()));
    };
    let paths = plan.paths.join(" ");
    if !lease.is_fresh(BootTime::now()) {
        let refreshed = tokio::select! {
            refreshed = guard::refresh(session, nodes, &mut lease, diag) => refreshed,
            sig = signals.terminating() => return Err(Error::Interrupted(sig)),
            _ = recipe::sleep_until(deadline) => return Err(Error::NotAcquired {
                path: paths,
                code: plan.conflict_code,
            }),
        };
        refreshed.map_err(|why| {
            Error::Unavailable(format!("{paths}: {why} before the command started"))
        })?;
    }
    let node_paths: Vec<&str> = nodes.iter().map(|n| n.path.as_str()).collect();
    let token = nodes.iter().map(|n| n.czxid).max().unwrap_or_default();
    let mut env = vec![
        ("ZKLOCK_PATH", paths.clone()),
        ("ZKLOCK_NODE", node_paths.join(" ")),
        ("ZKLOCK_FENCING_TOKEN", token.to_string()),
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
        nodes,
        lease,
        &mut child,
        signals,
        plan.stopping,
        watchdog.as_ref(),
        watches,
        diag,
    )
    .await
    {
        Ending::Exited(status) => Ok(status),
        Ending::Lost(why) => Err(Error::Lost(format!(
            "{paths}: {} lost ({why}); the command was stopped",
            plan.what()
        ))),
    }
}
