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
use std::task::{Context, Poll};
use std::time::Duration;

use zookeeper_client::{Client, EventType, OneshotWatcher, SessionState, Stat, WatchedEvent};

use crate::child::Child;
use crate::connect::Session;
use crate::diag::Diag;
use crate::lease::{BootTime, Lease};
use crate::recipe::OwnNode;
use crate::signal::{self, Caught, Listener, Signal};
use crate::sys::watchdog::{Enlist, Watchdog};

mod supervisor;
#[cfg(test)]
mod tests;

use supervisor::{Alarm, Clock, Command, Link, Wakeups, watch_over};

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
/// stat of each of our nodes, pipelined: one round trip.
pub fn probe(
    client: &Client,
    nodes: &[OwnNode],
    session_id: i64,
) -> impl Future<Output = Probe> + 'static {
    let client = client.clone();
    let nodes = nodes.to_vec();
    async move {
        let sent = BootTime::now();
        // Requests go out when called: every stat is sent before any answer is awaited.
        let sync = client.sync("/");
        let stats: Vec<_> = nodes.iter().map(|n| client.check_stat(&n.path)).collect();
        if let Err(e) = sync.await {
            return Probe::NoAnswer(e.to_string());
        }
        for (node, stat) in nodes.iter().zip(stats) {
            match stat.await {
                Ok(Some(stat))
                    if stat.ephemeral_owner == session_id && stat.czxid == node.czxid => {}
                Ok(Some(stat)) => {
                    return Probe::Lost(format!(
                        "{} now belongs to session {:#x}",
                        node.path, stat.ephemeral_owner
                    ));
                }
                Ok(None) => return Probe::Lost(format!("{} was deleted", node.path)),
                Err(e) => return Probe::NoAnswer(e.to_string()),
            }
        }
        Probe::Alive(sent)
    }
}

/// Probes until one answers; used once before the command starts when the lease is stale.
pub async fn refresh(
    session: &Session,
    nodes: &[OwnNode],
    lease: &mut Lease,
    diag: &Diag,
) -> Result<(), String> {
    loop {
        let attempt = probe(&session.client, nodes, session.id);
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

pub type PendingProbe = Pin<Box<dyn Future<Output = Probe>>>;

/// The exists-watches on our nodes, kept until the session is closed (see
/// `Session::close_then_drop`): dropped earlier, each would send a RemoveWatches request.
#[derive(Default)]
pub struct Watches(Vec<(String, Option<Watching>)>);

impl Watches {
    /// Before the session closes: a watch still being set holds a client, and the session
    /// closes only when the last client is dropped, so keep only the watches set by now (they
    /// hold none). One whose answer has arrived is taken as set: dropped, it would send a
    /// RemoveWatches request (as after the run record's write, which gives it the time).
    pub fn settle(&mut self) {
        let mut cx = Context::from_waker(std::task::Waker::noop());
        for (_, slot) in &mut self.0 {
            if let Some(Watching::Arming(arming, sent)) = slot {
                // Never polled: its request was never sent, and polling now would send it.
                if !*sent {
                    *slot = None;
                    continue;
                }
                *slot = match arming.as_mut().poll(&mut cx) {
                    Poll::Ready(Ok((Some(_), watcher))) => {
                        Some(Watching::Set(Box::pin(watcher.changed())))
                    }
                    _ => None,
                };
            }
        }
        self.0.retain(|(_, w)| matches!(w, Some(Watching::Set(_))));
    }
}

/// One node's exists-watch: to be set with the first probe, being set (and whether its
/// request went out: it goes on the first poll), or set and waiting for an event.
enum Watching {
    Later,
    Arming(Arming, bool),
    Set(Pin<Box<dyn Future<Output = WatchedEvent>>>),
}

/// Off only in a test build's negative control (hooks.rs): without the lease, a partitioned
/// holder runs on after the server expired it.
fn enforce_lease() -> bool {
    !crate::hooks::is_off(crate::hooks::Off::Lease)
}

/// When the watchdog kills the command if no probe is answered from now on.
fn first_deadline(lease: &Lease) -> BootTime {
    if enforce_lease() {
        lease.hard_kill_at()
    } else {
        BootTime(i64::MAX)
    }
}

/// Just before the command's spawn: the watchdog's timer runs from now, and the command
/// publishes its own group to it before its exec (sys/watchdog.rs), so a zklock stopped or
/// killed between the spawn and `supervise` leaves no command unguarded. None without a
/// watchdog (and in a test build's negative control, which leaves that window open).
pub fn expect(watchdog: Option<&Watchdog>, lease: &Lease) -> Option<Enlist> {
    if crate::hooks::is_off(crate::hooks::Off::EarlyGuard) {
        return None;
    }
    watchdog.map(|w| w.expect(first_deadline(lease).0))
}

/// Runs the safety monitor (supervisor.rs) on the real command and session until the command
/// and everything it left are gone. The watchdog, when there is one, is told the group and
/// each new SIGKILL deadline, so the command cannot outlive the lease even if zklock stops.
#[allow(clippy::too_many_arguments)]
pub async fn supervise(
    session: &mut Session,
    nodes: &[OwnNode],
    lease: Lease,
    child: &mut Child,
    signals: &mut Listener,
    stopping: Stopping,
    watchdog: Option<&Watchdog>,
    watches: &mut Watches,
    diag: &Diag,
) -> Ending {
    let enforce_lease = enforce_lease();
    if let Some(w) = watchdog {
        // The first deadline, which watch_over publishes again: as `expect` armed it before
        // the spawn (unless a negative control had the watchdog learn of the command only now).
        w.guard(child.pid(), first_deadline(&lease).0);
        child.spare(w.pid());
    }
    signal::forward_to(child.pid());
    // From now on zklock's threads only probe: on every CPU zklock was given, so that a
    // command busy on all of them cannot hold a probe back on the one they kept to
    // (src/threads.rs).
    crate::sys::affinity::unpin();
    // Set with the first probe: a command that ends before it (most cron jobs and scripts
    // that take a lock briefly) costs no request beyond the bare protocol's.
    watches.0 = nodes
        .iter()
        .map(|n| (n.path.clone(), Some(Watching::Later)))
        .collect();
    let mut link = SessionLink {
        session,
        nodes,
        watches,
    };
    let mut command = Guarded { child, watchdog };
    let ending = watch_over(
        &BootClock,
        &mut link,
        &mut command,
        signals,
        lease,
        stopping,
        enforce_lease,
        diag,
    )
    .await;
    signal::forward_to(0);
    child.take_back_terminal();
    if let Some(w) = watchdog {
        w.stand_down();
    }
    ending
}

struct BootClock;

impl Clock for BootClock {
    fn now(&self) -> BootTime {
        BootTime::now()
    }
}

impl Wakeups for Listener {
    fn next(&mut self) -> impl Future<Output = Caught> {
        Listener::next(self)
    }
}

/// The command as zklock spawned it, with its watchdog.
struct Guarded<'a> {
    child: &'a mut Child,
    watchdog: Option<&'a Watchdog>,
}

impl Command for Guarded<'_> {
    fn reap(&mut self) -> Option<i32> {
        self.child.reap()
    }
    fn take_stop(&mut self) -> Option<Signal> {
        self.child.take_stop()
    }
    fn stop_with_it(&mut self, sig: Signal) -> bool {
        self.child.stop_with_it(sig)
    }
    fn keep_terminal(&self) {
        self.child.keep_terminal()
    }
    fn leftovers_alive(&mut self) -> bool {
        self.child.leftovers_alive()
    }
    fn signal(&self, sig: Signal) {
        self.child.signal(sig)
    }
    fn stop_all(&self, sig: Signal) {
        self.child.stop_all(sig)
    }
    fn publish(&self, deadline: BootTime) {
        if let Some(w) = self.watchdog {
            w.extend(deadline.0);
        }
    }
}

/// The session, and the exists-watches on our nodes that stop the command within a round
/// trip of an operator's delete.
struct SessionLink<'a> {
    session: &'a mut Session,
    nodes: &'a [OwnNode],
    watches: &'a mut Watches,
}

impl Link for SessionLink<'_> {
    fn probe(&mut self) -> PendingProbe {
        let probing = Box::pin(probe(&self.session.client, self.nodes, self.session.id));
        for (path, slot) in &mut self.watches.0 {
            if matches!(slot, Some(Watching::Later)) {
                *slot = Some(Watching::Arming(arm(&self.session.client, path), false));
            }
        }
        probing
    }

    async fn alarm(&mut self) -> Alarm {
        let client = self.session.client.clone();
        let watches = &mut self.watches.0;
        let watch_news = std::future::poll_fn(|cx| {
            for (path, slot) in watches.iter_mut() {
                let news = match slot {
                    Some(Watching::Arming(arming, sent)) => match arming.as_mut().poll(cx) {
                        Poll::Pending => {
                            *sent = true;
                            continue;
                        }
                        Poll::Ready(Ok((Some(_), watcher))) => {
                            *slot = Some(Watching::Set(Box::pin(watcher.changed())));
                            Alarm::Noted(format!("watching {path}"))
                        }
                        Poll::Ready(Ok((None, _))) => {
                            *slot = None;
                            Alarm::Lost(format!("{path} was deleted"))
                        }
                        // The session is over or reconnecting; the state watcher and the
                        // probes say which.
                        Poll::Ready(Err(e)) => {
                            *slot = None;
                            Alarm::Noted(format!("watching {path}: {e}"))
                        }
                    },
                    Some(Watching::Set(set)) => match set.as_mut().poll(cx) {
                        Poll::Pending => continue,
                        Poll::Ready(event) => match event.event_type {
                            EventType::NodeDeleted => {
                                *slot = None;
                                Alarm::Lost(format!("{path} was deleted"))
                            }
                            EventType::Session => {
                                *slot = None;
                                Alarm::Noted("watch: session event".into())
                            }
                            _ => {
                                *slot = Some(Watching::Arming(arm(&client, path), false));
                                Alarm::Noted(format!("{path} changed; watching it again"))
                            }
                        },
                    },
                    Some(Watching::Later) | None => continue,
                };
                return Poll::Ready(news);
            }
            Poll::Pending
        });
        tokio::select! {
            state = self.session.states.changed() => match state {
                SessionState::Disconnected => Alarm::Disconnected,
                s if s.is_terminated() => Alarm::Lost(format!("session {s}")),
                s => Alarm::Noted(format!("session {s}")),
            },
            news = watch_news => news,
        }
    }
}

type Arming =
    Pin<Box<dyn Future<Output = Result<(Option<Stat>, OneshotWatcher), zookeeper_client::Error>>>>;

/// Sets an exists-watch on our node.
///
/// Sent with the first probe, so a command that ends sooner costs no request for it; from
/// then on an operator's delete stops the command within a round trip instead of at the next
/// probe. (Before the first probe, the probe itself is what notices a delete.)
fn arm(client: &Client, path: &str) -> Arming {
    let (client, path) = (client.clone(), path.to_string());
    Box::pin(async move { client.check_and_watch_stat(&path).await })
}
