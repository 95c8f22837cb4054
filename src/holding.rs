//! Holding a lock or a leadership while a command runs: create our node, wait our turn, run
//! the command under the safety monitor, release by closing the session. `lock` and `elect`
//! both come here with a `Plan`.

use std::ffi::OsString;
use std::time::{Duration, Instant};

use crate::child;
use crate::connect::Connection;
use crate::connect::Session;
use crate::containment::{CgroupUse, Containment};
use crate::diag::Diag;
use crate::error::Error;
use crate::guard::{self, Ending, Stopping, Watches};
use crate::host;
use crate::interrupt;
use crate::lease::{BootTime, Lease};
use crate::nested;
use crate::queue;
use crate::recipe::{self, Acquired, OwnNode, Patience, Recipe};
use crate::record::{self, Held, Run};
use crate::render;
use crate::semaphore;
use crate::signal::Listener;

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
    /// `--once-per`: skip the command when the last successful run is this recent (§2.2).
    pub once_per: Option<Duration>,
    /// Read the run record after acquiring and write it after the run (`--record`,
    /// `--once-per`); without it, no request is added to the cycle.
    pub record: bool,
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

pub async fn run(connection: &Connection, plan: Plan, diag: &Diag) -> Result<i32, Error> {
    let nested_in = nested::outer(&plan)?;
    let mut signals = interrupt::listen(true)?;
    if let Some(outer) = nested_in {
        return run_nested(connection, &plan, &outer, &mut signals, diag).await;
    }
    let mut containment = Containment::default();
    let mut session = interrupt::unless_stopped(
        &mut signals,
        Session::connect_by(connection, plan.patience.deadline(), diag),
    )
    .await?;
    let mut nodes = Vec::new();
    let mut watches = Watches::default();
    let outcome = hold(
        &mut session,
        &plan,
        &mut containment,
        &mut nodes,
        &mut signals,
        &mut watches,
        diag,
    )
    .await;
    let releasing = Instant::now();
    // Closing the session removes every node of ours, those of paths not yet acquired too.
    let own: Vec<String> = nodes.iter().map(|n: &OwnNode| n.path.clone()).collect();
    watches.settle();
    let closing = session.close_then_drop(&own, watches, diag);
    // The command's cgroup is empty by now (or was never used): removed while the close is
    // on its way, not before it.
    let cleaning = async {
        tokio::task::yield_now().await;
        containment.remove_cgroup();
    };
    tokio::join!(closing, cleaning);
    diag.info(format_args!(
        "released {} in {}",
        plan.paths.join(" "),
        render::duration(releasing.elapsed())
    ));
    outcome
}

/// Creates our node in `path` (recorded in `nodes` at once, so the close removes it on any
/// early exit) and waits our turn. The latest send time that proved the session alive (the
/// create's, or a later sync's), or None when patience ran out.
async fn take_lock(
    session: &mut Session,
    path: &str,
    plan: &Plan,
    containment: &mut Containment,
    nodes: &mut Vec<OwnNode>,
    diag: &Diag,
) -> Result<Option<BootTime>, Error> {
    let started = Instant::now();
    // The command's helpers are made while the create is on its way (they cost a few tenths
    // of a millisecond; the answer waits for the server's disk): neither a lock free at once
    // nor a hand-off waits for them. `-n` makes them only once the lock is held, so that a
    // conflict costs none.
    let mut prepare = || containment.ready(&plan.argv, plan.cgroup, diag).map(|_| ());
    let meanwhile = match plan.patience {
        Patience::None => None,
        Patience::Until(_) => Some(&mut prepare as &mut dyn FnMut() -> Result<(), Error>),
    };
    let (node, mut sent, listed) =
        recipe::create_then_list(session, path, plan.recipe, &plan.id, true, meanwhile).await?;
    diag.info(format_args!(
        "created {} in {}",
        node.path,
        render::duration(started.elapsed())
    ));
    nodes.push(node.clone());
    let proof = Some(&mut sent);
    Ok(
        match recipe::acquire(session, path, &node, plan.patience, listed, proof, diag).await? {
            Acquired::Held => Some(sent),
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
    containment: &mut Containment,
    nodes: &mut Vec<OwnNode>,
    signals: &mut Listener,
    watches: &mut Watches,
    diag: &Diag,
) -> Result<i32, Error> {
    // Every wait below races signals and `--wait`'s end, retries after a lost connection
    // included: zklock ends when told to or when patience runs out, whatever the server does.
    let deadline = plan.patience.deadline();
    let mut lease: Option<Lease> = None;
    let started = Instant::now();
    for path in &plan.paths {
        // One race for the whole of taking the path, its create included.
        let taking = async {
            // The run record lives in PATH's data: PATH must not be a container.
            if plan.record {
                recipe::make_lasting_dir(session, path).await?;
            }
            match plan.limit {
                Some(limit) => {
                    semaphore::acquire(session, path, &plan.id, limit, plan.patience, nodes, diag)
                        .await
                }
                None => take_lock(session, path, plan, containment, nodes, diag).await,
            }
        };
        let taken = tokio::select! {
            taken = taking => taken?,
            sig = signals.terminating() => return Err(Error::Interrupted(sig)),
            _ = recipe::sleep_until(deadline) => None,
        };
        let Some(sent) = taken else {
            return Err(not_acquired(session, plan, path, started.elapsed(), diag).await);
        };
        diag.info(format_args!(
            "holding the {} of {path} after {}",
            plan.what(),
            render::duration(started.elapsed())
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
    let waited = started.elapsed();
    let mut held = match plan.record {
        true => Some(check_record(session, plan, nodes, signals, diag).await?),
        false => None,
    };
    if !lease.is_fresh(BootTime::now()) {
        diag.debug(format_args!(
            "the lease is older than 0.2 T: probing before the command starts"
        ));
        let refreshed = tokio::select! {
            refreshed = guard::refresh(session, nodes, &mut lease, diag) => refreshed,
            sig = signals.terminating() => return Err(Error::Interrupted(sig)),
            _ = recipe::sleep_until(deadline) => return Err(Error::NotAcquired {
                path: paths,
                code: plan.conflict_code,
                detail: format!(" after {}: the session could not be confirmed", render::duration(waited)),
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
    if let Some(limit) = plan.limit {
        // For a zklock nested in the command (nested.rs): the same semaphore or another.
        env.push(("ZKLOCK_LIMIT", limit.to_string()));
    }
    // Made while the create was on its way (take_lock), or now: -n, and the semaphore.
    let prepared = containment.ready(&plan.argv, plan.cgroup, diag)?;
    let (cgroup, program) = (prepared.cgroup, &prepared.program);
    // Before the spawn: the recorded duration is never shorter than the command's run, even
    // when zklock gets the CPU back only a while after the command started.
    let started = Instant::now();
    let enlist = guard::expect(prepared.watchdog, &lease);
    let mut child = match child::spawn(&plan.argv, &env, cgroup, Some(program), enlist) {
        Ok(child) => child,
        Err(e) => {
            // A failed exec enlisted a pid that is no command's (and may soon be another's).
            if let Some(w) = prepared.watchdog {
                w.stand_down();
            }
            return Err(e);
        }
    };
    crate::hooks::after_spawn();
    diag.debug(format_args!("command started, pid {}", child.pid()));
    let ending = guard::supervise(
        session,
        nodes,
        lease,
        &mut child,
        signals,
        plan.stopping,
        containment.watchdog,
        watches,
        diag,
    )
    .await;
    if let Some(held) = &mut held {
        let status = match ending {
            Ending::Exited(status) => status,
            Ending::Lost(_) => 79,
        };
        let run = Run {
            id: plan.id.clone(),
            host: host::name(),
            start_ms: 0,
            duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            status,
            fencing_token: token,
        };
        // Bounded: a partitioned holder must not hang here (its lease has run out anyway).
        let writing = record::write_all(session, held, &run, plan.once_per);
        let why = match tokio::time::timeout(session.timeout / 2, writing).await {
            Ok(Ok(())) => None,
            Ok(Err(why)) => Some(why),
            Err(_) => Some("no answer".to_string()),
        };
        match (why, status) {
            (None, _) => diag.info(format_args!("recorded the run in {paths}, status {status}")),
            // The lock is gone: not recording is the safe outcome, and 79 says the rest.
            (Some(why), 79) => diag.info(format_args!("{paths}: run not recorded: {why}")),
            (Some(why), _) => diag.warn(format_args!("{paths}: run not recorded: {why}")),
        }
    }
    match ending {
        Ending::Exited(status) => Ok(status),
        Ending::Lost(why) => Err(Error::Lost(format!(
            "{paths}: {} lost ({why}); the command was stopped",
            plan.what()
        ))),
    }
}

/// Inside an outer zklock that holds the same lock in the same mode (nested.rs): checks the
/// outer node is still held, then runs the command at once under the outer guard, passing
/// signals on as usual, and returns its status.
async fn run_nested(
    connection: &Connection,
    plan: &Plan,
    outer: &nested::Outer,
    signals: &mut Listener,
    diag: &Diag,
) -> Result<i32, Error> {
    let session = interrupt::unless_stopped(
        signals,
        Session::connect_by(connection, plan.patience.deadline(), diag),
    )
    .await?;
    let held = outer.still_held(&session).await;
    session.close_then_drop(&[], Watches::default(), diag).await;
    held?;
    diag.info(format_args!(
        "{}: held by an outer zklock: running the command under its guard",
        plan.paths.join(" ")
    ));
    let mut child = child::spawn(&plan.argv, &[], None, None, None)?;
    crate::signal::forward_to(child.pid());
    let status = loop {
        if let Some(status) = child.reap() {
            break status;
        }
        match signals.next().await {
            // Passed on: the command decides, and its end is this zklock's.
            crate::signal::Caught::Stop(sig) => child.signal(sig),
            crate::signal::Caught::Child => {}
        }
    };
    crate::signal::forward_to(0);
    child.take_back_terminal();
    Ok(status)
}

/// Reads the run record of every path (§2.2); with `--once-per`, ends with AlreadyDone when
/// every path's last successful run started less than the period before our node was made.
async fn check_record(
    session: &Session,
    plan: &Plan,
    nodes: &[OwnNode],
    signals: &mut Listener,
    diag: &Diag,
) -> Result<Vec<Held>, Error> {
    let reading = record::read_all(session, &plan.paths, nodes, diag);
    let held = tokio::select! {
        held = tokio::time::timeout(session.timeout, reading) => held
            .map_err(|_| Error::Unavailable(format!("{}: no answer reading the run record", plan.paths.join(" "))))??,
        sig = signals.terminating() => return Err(Error::Interrupted(sig)),
    };
    let Some(period) = plan.once_per else {
        return Ok(held);
    };
    let done: Option<Vec<&record::Run>> = held.iter().map(|h| h.done_within(period)).collect();
    let Some(done) = done else {
        return Ok(held);
    };
    let period = humantime::format_duration(period);
    let mut message = format!(
        "{}: already ran within --once-per {period}",
        plan.paths.join(" ")
    );
    if diag.is_verbose() {
        match held.as_slice() {
            [h] => message.push_str(&format!(": {}", done[0].describe(h.own.ctime))),
            _ => {
                for (h, last) in held.iter().zip(done) {
                    message.push_str(&format!("; {}: {}", h.path, last.describe(h.own.ctime)));
                }
            }
        }
    }
    Err(Error::AlreadyDone {
        message,
        code: plan.conflict_code,
    })
}

/// `-n` or `--wait` gave up on `path`. Quiet unless `-v`, which says after how long and who
/// holds it (asked only then, and briefly: the server may be why the wait ended).
async fn not_acquired(
    session: &Session,
    plan: &Plan,
    path: &str,
    waited: Duration,
    diag: &Diag,
) -> Error {
    let mut detail = String::new();
    if diag.is_verbose() {
        detail = format!(" after {}", render::duration(waited));
        let asking = queue::holders(session, path);
        if let Ok(Ok(found)) = tokio::time::timeout(Duration::from_secs(1), asking).await
            && let Some(first) = found.first()
        {
            detail.push_str(&format!(
                "; held by {} for {}",
                render::data_text(&first.id),
                render::age(first.stat.ctime)
            ));
        }
    }
    Error::NotAcquired {
        path: path.to_string(),
        code: plan.conflict_code,
        detail,
    }
}
