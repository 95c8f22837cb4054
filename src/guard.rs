//! The safety monitor: while the command runs, keep proving the session and our node alive, and
//! stop the command before the earliest moment the server could hand the lock to someone else.
//!
//! ZooKeeper's leader may expire a session T after the last contact it recorded, and a client
//! cannot learn of that while cut off. An answer to a request sent at `S` proves the server
//! touched the session at or after `S`, so from the latest such `S_ok` the command is safe until
//! `S_ok + T` (leader link up) or about `S_ok + 0.65 T` (client on an isolated follower). We send
//! the kill signal at `S_ok + 0.35 T` and SIGKILL at `S_ok + 0.5 T`. ../shared/SAFETY.md has the
//! facts behind these numbers.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use zookeeper_client::{Client, EventType, OneshotWatcher, SessionState, Stat};

use crate::child::Child;
use crate::connect::Session;
use crate::diag::Diag;
use crate::lease::{BootTime, Lease, Verdict};
use crate::recipe::OwnNode;
use crate::signal::{self, Caught, Listener, Signal};
use crate::watchdog::Watchdog;

/// What one probe (`sync` plus a stat of our node) found.
#[derive(Debug)]
pub enum Probe {
    /// Both answered and the node is still ours; the session was alive at this send time.
    Alive(BootTime),
    /// The node is gone or belongs to another session: the lock is lost.
    Lost(String),
    /// No usable answer (connection lost, say): the lease just ages.
    NoAnswer(String),
}

/// Sends a `sync` (which goes through the leader, so its answer proves the leader link) and a
/// stat of our node, pipelined: one round trip.
pub fn probe(
    client: &Client,
    node: &OwnNode,
    session_id: i64,
) -> impl Future<Output = Probe> + 'static {
    let client = client.clone();
    let node = node.clone();
    async move {
        let sent = BootTime::now();
        let sync = client.sync("/");
        let stat = client.check_stat(&node.path);
        let (sync, stat) = (sync.await, stat.await);
        match (sync, stat) {
            (Ok(()), Ok(Some(stat)))
                if stat.ephemeral_owner == session_id && stat.czxid == node.czxid =>
            {
                Probe::Alive(sent)
            }
            (Ok(()), Ok(Some(stat))) => Probe::Lost(format!(
                "{} now belongs to session {:#x}",
                node.path, stat.ephemeral_owner
            )),
            (Ok(()), Ok(None)) => Probe::Lost(format!("{} was deleted", node.path)),
            (Err(e), _) | (_, Err(e)) => Probe::NoAnswer(e.to_string()),
        }
    }
}

/// Probes until one answers; used once before the command starts when the lease is stale.
pub async fn refresh(
    session: &Session,
    node: &OwnNode,
    lease: &mut Lease,
    diag: &Diag,
) -> Result<(), String> {
    loop {
        let attempt = probe(&session.client, node, session.id);
        match tokio::time::timeout(lease.probe_interval() * 2, attempt).await {
            Ok(Probe::Alive(sent)) => {
                lease.renew(sent);
                if lease.is_fresh(BootTime::now()) {
                    return Ok(());
                }
            }
            Ok(Probe::Lost(why)) => return Err(why),
            Ok(Probe::NoAnswer(why)) => diag.debug(format_args!("probe: {why}")),
            Err(_) => diag.debug(format_args!("probe: no answer")),
        }
        if session.states.peek_state().is_terminated() {
            return Err(format!("session {}", session.states.peek_state()));
        }
    }
}

/// How to stop the command, from `--kill-signal` and `--kill-grace`.
#[derive(Debug, Clone, Copy)]
pub struct Stopping {
    pub signal: Signal,
    pub grace: Duration,
}

/// How the command's run ended.
#[derive(Debug)]
pub enum Ending {
    /// The command exited with this status while the lock was held throughout.
    Exited(i32),
    /// The lock was lost; the command was stopped (its status is of no interest).
    Lost(String),
}

type PendingProbe = Pin<Box<dyn Future<Output = Probe>>>;

/// Runs the safety monitor until the command and everything in its process group are gone.
///
/// The lease's verdict is taken on every wake-up (a probe, a signal, a child, a timer), on the
/// boot clock: after a suspend the first wake-up acts, whichever timer woke it. The watchdog,
/// when there is one, is told the group and each new SIGKILL deadline, so the command cannot
/// outlive the lease even if zklock stops running.
#[allow(clippy::too_many_arguments)]
pub async fn supervise(
    session: &mut Session,
    node: &OwnNode,
    mut lease: Lease,
    child: &mut Child,
    signals: &mut Listener,
    stopping: Stopping,
    watchdog: Option<&Watchdog>,
    diag: &Diag,
) -> Ending {
    let client = session.client.clone();
    let mut arming = Some(arm(&client, &node.path));
    let mut pending: Option<PendingProbe> = None;
    let mut next_probe = tokio::time::Instant::now() + lease.probe_interval();
    let mut lost: Option<String> = None;
    let mut hard_kill_at: Option<BootTime> = None;
    let mut interrupts = 0;
    // Test hook for the negative control in tests/safety.rs: without the lease, a partitioned
    // holder runs on after the server expired it. Never set it in production.
    let lease_enforced = std::env::var_os("ZKLOCK_UNSAFE_NO_LEASE").is_none();
    let published = |lease: &Lease| {
        if lease_enforced {
            lease.hard_kill_at()
        } else {
            BootTime(i64::MAX)
        }
    };
    if let Some(w) = watchdog {
        w.guard(child.pid(), published(&lease));
    }
    signal::forward_to(child.pid());

    if let Some(w) = watchdog {
        child.spare(w.pid());
    }
    // Set when the command has exited: its status, while its leftovers are being stopped.
    let mut exited: Option<i32> = None;
    let mut draining = tokio::time::interval(Duration::from_millis(20));
    let status = loop {
        let now = BootTime::now();
        let mut newly_exited = false;
        if exited.is_none()
            && let Some(status) = child.reap()
        {
            exited = Some(status);
            newly_exited = true;
            // Whatever the command left behind must be gone before the lock is released:
            // the kill signal, then SIGKILL after the grace, but never after the lease's own
            // SIGKILL deadline; the guard goes on probing meanwhile.
            let grace = if lost.is_some() {
                Duration::ZERO
            } else {
                stopping.grace
            };
            let until = (now + grace).min(lease.hard_kill_at());
            hard_kill_at = Some(hard_kill_at.map_or(until, |at| at.min(until)));
        }
        if let Some(sig) = child.take_stop() {
            diag.info(format_args!(
                "the command was stopped by {sig} (job control); it holds the lock until continued"
            ));
        }
        if let Some(status) = exited {
            if !child.leftovers_alive() {
                break status;
            }
            // Most commands leave nothing; whatever they did leave gets the kill signal.
            if newly_exited {
                child.stop_all(stopping.signal);
            }
        }
        if hard_kill_at.is_some_and(|at| now >= at) {
            child.stop_all(Signal::KILL);
            hard_kill_at = None;
        }
        if lease_enforced {
            match lease.verdict(now) {
                Verdict::Fine => {}
                _ if lost.is_some() => {}
                Verdict::Stop => {
                    let why = format!(
                        "no answer from ZooKeeper for {}: the session may expire",
                        humantime::format_duration(lease.age(now))
                    );
                    diag.warn(format_args!(
                        "{why}; sending {} to the command",
                        stopping.signal
                    ));
                    child.stop_all(stopping.signal);
                    lost = Some(why);
                    hard_kill_at = Some(lease.hard_kill_at());
                }
                Verdict::Kill => {
                    let why = format!(
                        "no answer from ZooKeeper for {} (was zklock stopped, or the machine suspended?)",
                        humantime::format_duration(lease.age(now))
                    );
                    lose_now(&mut lost, &mut hard_kill_at, child, why, diag);
                }
            }
        }
        let kill_at = lease.kill_at().to_tokio(now);
        let hard_kill = hard_kill_at.map(|at| at.to_tokio(now));
        tokio::select! {
            event = signals.next() => {
                let Caught::Stop(sig) = event else { continue };
                interrupts += usize::from(sig.0 == libc::SIGINT);
                let sig = if interrupts >= 2 { Signal::KILL } else { sig };
                diag.info(format_args!("forwarding {sig} to the command"));
                child.signal(sig);
                let grace_end = BootTime::now() + stopping.grace;
                hard_kill_at = Some(hard_kill_at.map_or(grace_end, |at| at.min(grace_end)));
            }
            _ = crate::recipe::sleep_until(hard_kill.map(tokio::time::Instant::into_std)) => {}
            _ = draining.tick(), if exited.is_some() => {}
            _ = tokio::time::sleep_until(next_probe), if pending.is_none() && lost.is_none() => {
                pending = Some(Box::pin(probe(&client, node, session.id)));
            }
            result = async { pending.as_mut().expect("guarded by the select condition").await }, if pending.is_some() => {
                pending = None;
                next_probe = tokio::time::Instant::now() + lease.probe_interval();
                match result {
                    Probe::Alive(sent) => {
                        lease.renew(sent);
                        if let Some(w) = watchdog && lost.is_none() {
                            w.extend(published(&lease));
                        }
                    }
                    Probe::Lost(why) => lose_now(&mut lost, &mut hard_kill_at, child, why, diag),
                    Probe::NoAnswer(why) => diag.debug(format_args!("probe: {why}")),
                }
            }
            _ = tokio::time::sleep_until(kill_at), if lost.is_none() && lease_enforced => {}
            state = session.states.changed() => {
                diag.debug(format_args!("session {state}"));
                match state {
                    SessionState::Disconnected => next_probe = tokio::time::Instant::now(),
                    s if s.is_terminated() => lose_now(&mut lost, &mut hard_kill_at, child, format!("session {s}"), diag),
                    _ => {}
                }
            }
            armed = async { arming.as_mut().expect("guarded by the select condition").await }, if arming.is_some() => {
                arming = None;
                match armed {
                    Ok((Some(_), watcher)) => session.kept_watch = Some(Box::pin(watcher.changed())),
                    Ok((None, _)) => lose_now(&mut lost, &mut hard_kill_at, child, format!("{} was deleted", node.path), diag),
                    // The session is over or reconnecting; the state watcher and the probes say which.
                    Err(e) => diag.debug(format_args!("watching {}: {e}", node.path)),
                }
            }
            event = async { session.kept_watch.as_mut().expect("guarded by the select condition").await }, if session.kept_watch.is_some() => {
                session.kept_watch = None;
                match event.event_type {
                    EventType::NodeDeleted => lose_now(&mut lost, &mut hard_kill_at, child, format!("{} was deleted", node.path), diag),
                    EventType::Session => {}
                    _ => arming = Some(arm(&client, &node.path)),
                }
            }
        }
    };
    signal::forward_to(0);
    child.take_back_terminal();
    child.remove_cgroup();
    if let Some(w) = watchdog {
        w.stand_down();
    }
    // A verdict missed while the command was exiting: the lease ran out before it was reaped.
    if lost.is_none() && lease_enforced && lease.verdict(BootTime::now()) == Verdict::Kill {
        lost = Some(format!(
            "no answer from ZooKeeper for {}",
            humantime::format_duration(lease.age(BootTime::now()))
        ));
    }
    match lost {
        Some(why) => Ending::Lost(why),
        None => Ending::Exited(status),
    }
}

fn lose_now(
    lost: &mut Option<String>,
    hard_kill_at: &mut Option<BootTime>,
    child: &Child,
    why: String,
    diag: &Diag,
) {
    if lost.is_none() {
        diag.warn(format_args!("lost: {why}; killing the command"));
        *lost = Some(why);
    }
    child.stop_all(Signal::KILL);
    *hard_kill_at = None;
}

type Arming =
    Pin<Box<dyn Future<Output = Result<(Option<Stat>, OneshotWatcher), zookeeper_client::Error>>>>;

/// Sets an exists-watch on our node.
///
/// This is the one request per cycle that the bare protocol (create, list, delete, close) does
/// not send, and it replaces the delete that closing the session makes unnecessary. It pays
/// for itself: an operator's delete stops the command within a round trip instead of at the
/// next probe.
fn arm(client: &Client, path: &str) -> Arming {
    let (client, path) = (client.clone(), path.to_string());
    Box::pin(async move { client.check_and_watch_stat(&path).await })
}
