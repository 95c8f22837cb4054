//! The supervisor's loop, apart from the processes and the session it acts on, so that unit
//! tests can run it against a scripted command and a scripted ZooKeeper on tokio's paused
//! clock (tests.rs); `super::supervise` runs it on the real ones.

use std::future::Future;
use std::time::Duration;

use crate::diag::Diag;
use crate::lease::{BootTime, Lease, Verdict};
use crate::signal::{Caught, Signal};

use super::{Ending, PendingProbe, Probe, Stopping};

/// The clock of every deadline: CLOCK_BOOTTIME in production.
pub trait Clock {
    fn now(&self) -> BootTime;
}

/// What the supervisor needs from ZooKeeper.
pub trait Link {
    /// Starts one probe (`sync` plus a stat of our node).
    fn probe(&mut self) -> PendingProbe;
    /// The next news of the session or of our node that is not a probe's answer. Must be
    /// cancel-safe: the loop drops it whenever something else wakes it first.
    fn alarm(&mut self) -> impl Future<Output = Alarm>;
}

/// News of the session or of our node.
#[derive(Debug)]
pub enum Alarm {
    /// The connection dropped: probe at once, the lease ages meanwhile.
    Disconnected,
    /// The session ended or our node went away: the lock is lost.
    Lost(String),
    /// Nothing that changes the verdict (a reconnect, a watch re-armed); for `-vv`.
    Noted(String),
}

/// What the supervisor needs from the command: the process group, its leftovers, and the
/// watchdog that enforces the lease's deadline should zklock itself stop running.
pub trait Command {
    /// The command's exit status once it has exited (reaping whatever exited meanwhile).
    fn reap(&mut self) -> Option<i32>;
    /// The signal that stopped the command (job control), once per stop.
    fn take_stop(&mut self) -> Option<Signal>;
    /// Stops zklock with the command, as sudo does, until continued (child.rs); false when
    /// the command has no terminal to give back.
    fn stop_with_it(&mut self, sig: Signal) -> bool;
    /// Gives the command the terminal again if zklock's group has it while the command runs
    /// (the shell's own hand-over can land after the command's: child.rs).
    fn keep_terminal(&self) {}
    /// After the command exited: whether anything of it remains.
    fn leftovers_alive(&mut self) -> bool;
    /// Sends `sig` to the command's group only (a forwarded Ctrl-C).
    fn signal(&self, sig: Signal);
    /// Sends `sig` to everything of the command, escaped descendants included.
    fn stop_all(&self, sig: Signal);
    /// Tells the watchdog the latest moment the command may live to.
    fn publish(&self, deadline: BootTime);
}

/// What wakes the supervisor besides its timers: signals to zklock and SIGCHLD.
pub trait Wakeups {
    fn next(&mut self) -> impl Future<Output = Caught>;
}

/// Runs the safety monitor until the command and everything it left are gone.
///
/// The lease's verdict is taken on every wake-up (a probe, a signal, a child, a timer), on
/// `clock`: after a suspend the first wake-up acts, whichever timer woke it. Each answered
/// probe moves the watchdog's deadline; nothing moves it once the lock is lost.
/// `enforce_lease` is off only under the test hook ZKLOCK_UNSAFE_NO_LEASE.
#[allow(clippy::too_many_arguments)]
pub async fn watch_over(
    clock: &impl Clock,
    link: &mut impl Link,
    command: &mut impl Command,
    wakeups: &mut impl Wakeups,
    mut lease: Lease,
    stopping: Stopping,
    enforce_lease: bool,
    diag: &Diag,
) -> Ending {
    let mut pending: Option<PendingProbe> = None;
    let mut next_probe = tokio::time::Instant::now() + lease.probe_interval();
    let mut lost: Option<String> = None;
    let mut hard_kill_at: Option<BootTime> = None;
    let mut interrupts = 0;
    let published = |lease: &Lease| {
        if enforce_lease {
            lease.hard_kill_at()
        } else {
            BootTime(i64::MAX)
        }
    };
    command.publish(published(&lease));
    // Set when the command has exited: its status, while its leftovers are being stopped.
    let mut exited: Option<i32> = None;
    let mut draining = tokio::time::interval(Duration::from_millis(20));
    let status = loop {
        let now = clock.now();
        let mut newly_exited = false;
        if exited.is_none()
            && let Some(status) = command.reap()
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
        if exited.is_none() {
            command.keep_terminal();
        }
        if let Some(sig) = command.take_stop() {
            diag.info(format_args!(
                "the command was stopped by {sig} (job control); it holds the lock until continued, and the lease still rules: the watchdog kills it when the lease runs out"
            ));
            if command.stop_with_it(sig) {
                diag.info(format_args!("continued: the command goes on"));
            }
        }
        if let Some(status) = exited {
            if !command.leftovers_alive() {
                break status;
            }
            // Most commands leave nothing; whatever they did leave gets the kill signal.
            if newly_exited {
                diag.info(format_args!(
                    "the command left processes behind: sending them {}",
                    stopping.signal
                ));
                command.stop_all(stopping.signal);
            }
        }
        if hard_kill_at.is_some_and(|at| now >= at) {
            command.stop_all(Signal::KILL);
            hard_kill_at = None;
        }
        if enforce_lease && lost.is_none() {
            match lease.verdict(now) {
                Verdict::Fine => {}
                Verdict::Stop => {
                    let why = format!(
                        "no answer from ZooKeeper for {}: the session may expire",
                        humantime::format_duration(lease.age(now))
                    );
                    diag.warn(format_args!(
                        "{why}; sending {} to the command",
                        stopping.signal
                    ));
                    command.stop_all(stopping.signal);
                    lost = Some(why);
                    hard_kill_at = Some(lease.hard_kill_at());
                }
                Verdict::Kill => {
                    let why = format!(
                        "no answer from ZooKeeper for {} (was zklock stopped, or the machine suspended?)",
                        humantime::format_duration(lease.age(now))
                    );
                    lose_now(&mut lost, &mut hard_kill_at, command, why, diag);
                }
            }
        }
        let kill_at = lease.kill_at().to_tokio(now);
        let hard_kill = hard_kill_at.map(|at| at.to_tokio(now));
        tokio::select! {
            event = wakeups.next() => {
                let Caught::Stop(sig) = event else { continue };
                interrupts += usize::from(sig.0 == libc::SIGINT);
                let sig = if interrupts >= 2 { Signal::KILL } else { sig };
                diag.info(format_args!("forwarding {sig} to the command"));
                command.signal(sig);
                let grace_end = clock.now() + stopping.grace;
                hard_kill_at = Some(hard_kill_at.map_or(grace_end, |at| at.min(grace_end)));
            }
            _ = crate::recipe::sleep_until(hard_kill.map(tokio::time::Instant::into_std)) => {}
            _ = draining.tick(), if exited.is_some() => {}
            _ = tokio::time::sleep_until(next_probe), if pending.is_none() && lost.is_none() => {
                pending = Some(link.probe());
            }
            result = async { pending.as_mut().expect("guarded by the select condition").await }, if pending.is_some() => {
                pending = None;
                next_probe = tokio::time::Instant::now() + lease.probe_interval();
                match result {
                    Probe::Alive(sent) => {
                        diag.debug(format_args!("probe answered; the lease runs from its send time"));
                        lease.renew(sent);
                        if lost.is_none() {
                            command.publish(published(&lease));
                        }
                    }
                    Probe::Lost(why) => lose_now(&mut lost, &mut hard_kill_at, command, why, diag),
                    Probe::NoAnswer(why) => diag.debug(format_args!("probe: {why}")),
                }
            }
            _ = tokio::time::sleep_until(kill_at), if lost.is_none() && enforce_lease => {}
            alarm = link.alarm() => match alarm {
                Alarm::Disconnected => {
                    diag.debug(format_args!("session disconnected; probing now"));
                    next_probe = tokio::time::Instant::now();
                }
                Alarm::Lost(why) => lose_now(&mut lost, &mut hard_kill_at, command, why, diag),
                Alarm::Noted(what) => diag.debug(format_args!("{what}")),
            },
        }
    };
    // A verdict missed while the command was exiting: the lease ran out before it was reaped.
    let now = clock.now();
    if lost.is_none() && enforce_lease && lease.verdict(now) == Verdict::Kill {
        lost = Some(format!(
            "no answer from ZooKeeper for {}",
            humantime::format_duration(lease.age(now))
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
    command: &impl Command,
    why: String,
    diag: &Diag,
) {
    if lost.is_none() {
        diag.warn(format_args!("lost: {why}; killing the command"));
        *lost = Some(why);
    }
    command.stop_all(Signal::KILL);
    *hard_kill_at = None;
}
