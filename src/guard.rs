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
use std::time::{Duration, Instant};

use zookeeper_client::{Client, EventType, OneshotWatcher, SessionState, Stat};

use crate::child::Child;
use crate::connect::Session;
use crate::diag::Diag;
use crate::recipe::OwnNode;
use crate::signal::{Listener, Signal};

/// Proof that the session was alive at `s_ok`, and what follows for the command.
#[derive(Debug, Clone, Copy)]
pub struct Lease {
    timeout: Duration,
    s_ok: Instant,
}

impl Lease {
    /// A lease proven by a request sent at `sent` and answered.
    pub fn new(timeout: Duration, sent: Instant) -> Lease {
        Lease {
            timeout,
            s_ok: sent,
        }
    }

    /// Another answered request, sent at `sent`.
    pub fn renew(&mut self, sent: Instant) {
        self.s_ok = self.s_ok.max(sent);
    }

    /// Fresh enough to start the command: within 0.2 T of the last proof.
    pub fn is_fresh(&self, now: Instant) -> bool {
        now < self.s_ok + self.timeout / 5
    }

    /// When the kill signal must go out if no later proof arrives.
    pub fn kill_at(&self) -> Instant {
        self.s_ok + self.timeout * 35 / 100
    }

    /// When SIGKILL must go out if no later proof arrives.
    pub fn hard_kill_at(&self) -> Instant {
        self.s_ok + self.timeout / 2
    }

    /// Time since the last proof, to the millisecond.
    pub fn age(&self) -> Duration {
        Duration::from_millis(self.s_ok.elapsed().as_millis() as u64)
    }

    /// How often to probe: a tenth of T, but not more often than every 200 ms.
    pub fn probe_interval(&self) -> Duration {
        (self.timeout / 10).max(Duration::from_millis(200))
    }
}

/// What one probe (`sync` plus a stat of our node) found.
#[derive(Debug)]
pub enum Probe {
    /// Both answered and the node is still ours; the session was alive at this send time.
    Alive(Instant),
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
        let sent = Instant::now();
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
                if lease.is_fresh(Instant::now()) {
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
pub async fn supervise(
    session: &mut Session,
    node: &OwnNode,
    mut lease: Lease,
    child: &mut Child,
    signals: &mut Listener,
    stopping: Stopping,
    diag: &Diag,
) -> Ending {
    let client = session.client.clone();
    let mut arming = Some(arm(&client, &node.path));
    let mut pending: Option<PendingProbe> = None;
    let mut next_probe = Instant::now() + lease.probe_interval();
    let mut lost: Option<String> = None;
    let mut hard_kill_at: Option<Instant> = None;
    let mut interrupts = 0;
    // Test hook for the negative control in tests/safety.rs: without the lease, a partitioned
    // holder runs on after the server expired it. Never set it in production.
    let lease_enforced = std::env::var_os("ZKLOCK_UNSAFE_NO_LEASE").is_none();

    let status = loop {
        if let Some(status) = child.reap() {
            break status;
        }
        let kill_at = lease.kill_at();
        tokio::select! {
            event = signals.next() => {
                let Some(sig) = event else { continue };
                interrupts += usize::from(sig.0 == libc::SIGINT);
                let sig = if interrupts >= 2 { Signal::KILL } else { sig };
                diag.info(format_args!("forwarding {sig} to the command"));
                child.signal(sig);
                let grace_end = Instant::now() + stopping.grace;
                hard_kill_at = Some(hard_kill_at.map_or(grace_end, |at| at.min(grace_end)));
            }
            _ = crate::recipe::sleep_until(hard_kill_at) => {
                child.signal(Signal::KILL);
                hard_kill_at = None;
            }
            _ = tokio::time::sleep_until(next_probe.into()), if pending.is_none() && lost.is_none() => {
                pending = Some(Box::pin(probe(&client, node, session.id)));
            }
            result = async { pending.as_mut().expect("guarded by the select condition").await }, if pending.is_some() => {
                pending = None;
                next_probe = Instant::now() + lease.probe_interval();
                match result {
                    Probe::Alive(sent) => lease.renew(sent),
                    Probe::Lost(why) => lose_now(&mut lost, &mut hard_kill_at, child, why, diag),
                    Probe::NoAnswer(why) => diag.debug(format_args!("probe: {why}")),
                }
            }
            _ = tokio::time::sleep_until(kill_at.into()), if lost.is_none() && lease_enforced => {
                let why = format!(
                    "no answer from ZooKeeper for {}: the session may expire",
                    humantime::format_duration(lease.age())
                );
                diag.warn(format_args!("{why}; sending {} to the command", stopping.signal));
                child.signal(stopping.signal);
                lost = Some(why);
                hard_kill_at = Some(lease.hard_kill_at().max(Instant::now()));
            }
            state = session.states.changed() => {
                diag.debug(format_args!("session {state}"));
                match state {
                    SessionState::Disconnected => next_probe = Instant::now(),
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
    // Whatever the command left behind in its group must be gone before the lock is released.
    let grace = if lost.is_some() {
        Duration::ZERO
    } else {
        stopping.grace.min(lease.timeout * 3 / 10)
    };
    child.stop_rest(stopping.signal, grace).await;
    match lost {
        Some(why) => Ending::Lost(why),
        None => Ending::Exited(status),
    }
}

fn lose_now(
    lost: &mut Option<String>,
    hard_kill_at: &mut Option<Instant>,
    child: &Child,
    why: String,
    diag: &Diag,
) {
    if lost.is_none() {
        diag.warn(format_args!("lost: {why}; killing the command"));
        *lost = Some(why);
    }
    child.signal(Signal::KILL);
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
