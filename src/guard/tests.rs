//! The supervisor against a scripted command and a scripted ZooKeeper, on tokio's paused
//! clock: every deadline is checked to the millisecond, and a test takes no real time.
//! (watchexec's test child is the model.) The end-to-end tests in tests/safety.rs and
//! tests/campaign.rs check the same rules with real processes and servers.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use tokio::time::Instant;

use super::supervisor::{Alarm, Clock, Command, Link, Wakeups, watch_over};
use super::{Ending, PendingProbe, Probe, Stopping};
use crate::diag::Diag;
use crate::lease::{BootTime, Lease};
use crate::signal::{Caught, Signal};

const T: Duration = Duration::from_secs(10);
const BOOT: i64 = 1_000_000_000_000;
const RTT: Duration = Duration::from_millis(5);
const TERM: Signal = Signal::TERM;
const KILL: Signal = Signal::KILL;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// The script, and what the supervisor did, in milliseconds since the start.
#[derive(Default)]
struct World {
    start: Option<Instant>,
    /// Probes sent from then on never get an answer (a frozen link).
    silent_from: Option<Duration>,
    /// Probes sent from then on find the node gone.
    lost_from: Option<Duration>,
    /// The session ends then (an alarm).
    expires_at: Option<Duration>,
    /// The boot clock jumps by `.1` at `.0` (a suspend: tokio's clock does not move).
    jump: Option<(Duration, Duration)>,
    /// The command exits by itself then, with this status.
    exits: Option<(Duration, i32)>,
    /// Whether the command dies of the kill signal (else only SIGKILL kills it).
    obeys: bool,
    /// The command leaves something behind that only SIGKILL removes.
    leaves_leftovers: bool,
    /// The clock stops during the jump, as CLOCK_MONOTONIC does (the old lease's clock).
    monotonic: bool,
    /// Signals sent to zklock.
    interrupts: Vec<(Duration, Signal)>,

    died: Option<i32>,
    leftovers: bool,
    chld: bool,
    /// (when, signal, to everything rather than the group)
    sent: Vec<(u64, Signal, bool)>,
    published: Vec<(u64, BootTime)>,
    probes: usize,
    /// Readings of the clock: a supervisor that spins (a broken rule that never sends the
    /// kill, say) fails the test instead of hanging it.
    readings: usize,
}

#[derive(Clone)]
struct Fake(Rc<RefCell<World>>);

impl Fake {
    fn new(world: World) -> Fake {
        Fake(Rc::new(RefCell::new(world)))
    }

    fn elapsed(&self) -> Duration {
        self.0.borrow().start.expect("started").elapsed()
    }

    fn kill(&self, sig: Signal, all: bool) {
        let at = self.elapsed();
        let mut w = self.0.borrow_mut();
        w.sent.push((at.as_millis() as u64, sig, all));
        let dies = sig == KILL || (sig == TERM && w.obeys);
        if dies && w.died.is_none() && w.exits.is_none_or(|(when, _)| when > at) {
            w.died = Some(128 + sig.0);
            w.chld = true;
        }
        if sig == KILL && all {
            w.leftovers = false;
            w.chld = true;
        }
    }
}

impl Clock for Fake {
    fn now(&self) -> BootTime {
        let elapsed = self.elapsed();
        let mut w = self.0.borrow_mut();
        w.readings += 1;
        assert!(w.readings < 100_000, "the supervisor spins at {elapsed:?}");
        let jumped = match w.jump {
            Some((at, by)) if elapsed >= at && !w.monotonic => by,
            _ => Duration::ZERO,
        };
        BootTime(BOOT) + elapsed + jumped
    }
}

impl Link for Fake {
    fn probe(&mut self) -> PendingProbe {
        let sent_at = self.elapsed();
        let sent = self.now();
        let mut w = self.0.borrow_mut();
        w.probes += 1;
        let silent = w.silent_from.is_some_and(|from| sent_at >= from);
        let lost = w.lost_from.is_some_and(|from| sent_at >= from);
        Box::pin(async move {
            if silent {
                std::future::pending::<()>().await;
            }
            tokio::time::sleep(RTT).await;
            if lost {
                Probe::Lost("the node was deleted".into())
            } else {
                Probe::Alive(sent)
            }
        })
    }

    async fn alarm(&mut self) -> Alarm {
        let start = self.0.borrow().start.expect("started");
        let expires_at = self.0.borrow().expires_at;
        match expires_at {
            Some(at) => tokio::time::sleep_until(start + at).await,
            None => std::future::pending().await,
        }
        self.0.borrow_mut().expires_at = None;
        Alarm::Lost("session Expired".into())
    }
}

impl Command for Fake {
    fn reap(&mut self) -> Option<i32> {
        let at = self.elapsed();
        let mut w = self.0.borrow_mut();
        if w.died.is_none()
            && let Some((when, status)) = w.exits
            && when <= at
        {
            w.died = Some(status);
            w.leftovers = w.leaves_leftovers;
        }
        w.died
    }
    fn take_stop(&mut self) -> Option<Signal> {
        None
    }
    fn stop_with_it(&mut self, _: Signal) -> bool {
        false
    }
    fn leftovers_alive(&mut self) -> bool {
        self.0.borrow().leftovers
    }
    fn signal(&self, sig: Signal) {
        self.kill(sig, false)
    }
    fn stop_all(&self, sig: Signal) {
        self.kill(sig, true)
    }
    fn publish(&self, deadline: BootTime) {
        let at = self.elapsed().as_millis() as u64;
        self.0.borrow_mut().published.push((at, deadline));
    }
}

impl Wakeups for Fake {
    /// SIGCHLD when the command exits or is killed; the scripted signals to zklock.
    async fn next(&mut self) -> Caught {
        let start = self.0.borrow().start.expect("started");
        if std::mem::take(&mut self.0.borrow_mut().chld) {
            return Caught::Child;
        }
        let exit = {
            let w = self.0.borrow();
            w.exits.filter(|_| w.died.is_none()).map(|(at, _)| at)
        };
        let interrupt = self.0.borrow().interrupts.first().copied();
        match (exit, interrupt) {
            (Some(exit), Some((at, _))) if exit <= at => {
                tokio::time::sleep_until(start + exit).await;
                Caught::Child
            }
            (_, Some((at, sig))) => {
                tokio::time::sleep_until(start + at).await;
                self.0.borrow_mut().interrupts.remove(0);
                Caught::Stop(sig)
            }
            (Some(exit), None) => {
                tokio::time::sleep_until(start + exit).await;
                Caught::Child
            }
            (None, None) => std::future::pending().await,
        }
    }
}

/// Runs the supervisor over `world` from a lease proven at the start; returns how it ended
/// and the world as it was left.
async fn run(world: World, grace: Duration, enforce_lease: bool) -> (Ending, World) {
    let fake = Fake::new(World {
        start: Some(Instant::now()),
        ..world
    });
    let lease = Lease::new(T, fake.now());
    let stopping = Stopping {
        signal: TERM,
        grace,
    };
    let diag = Diag::new(true, 0);
    let (mut link, mut command, mut wakeups) = (fake.clone(), fake.clone(), fake.clone());
    let ending = watch_over(
        &fake,
        &mut link,
        &mut command,
        &mut wakeups,
        lease,
        stopping,
        enforce_lease,
        &diag,
    )
    .await;
    drop((link, command, wakeups));
    let world = Rc::try_unwrap(fake.0).ok().expect("one owner").into_inner();
    (ending, world)
}

fn boot(ms: u64) -> BootTime {
    BootTime(BOOT) + Duration::from_millis(ms)
}

#[tokio::test(start_paused = true)]
async fn a_command_that_ends_under_a_live_lease_keeps_its_status() {
    let world = World {
        exits: Some((ms(3_500), 7)),
        ..World::default()
    };
    let (ending, w) = run(world, ms(1_000), true).await;
    assert!(matches!(ending, Ending::Exited(7)), "{ending:?}");
    assert!(w.sent.is_empty(), "{:?}", w.sent);
    // A probe every T/10; each answer moves the watchdog's deadline to its send time + T/2.
    assert_eq!(w.probes, 3);
    let deadlines: Vec<BootTime> = w.published.iter().map(|(_, d)| *d).collect();
    assert_eq!(
        deadlines,
        [boot(5_000), boot(6_000), boot(7_005), boot(8_010)]
    );
}

/// The rule of ../shared/SAFETY.md: the kill signal at 0.35 T after the send time of the last
/// answered probe, SIGKILL at 0.5 T, and the watchdog's deadline frozen at the latter.
#[tokio::test(start_paused = true)]
async fn silence_sends_the_kill_signal_at_035t_and_sigkill_at_05t() {
    let world = World {
        silent_from: Some(ms(1_500)),
        ..World::default()
    };
    let (ending, w) = run(world, ms(30_000), true).await;
    assert!(matches!(ending, Ending::Lost(_)), "{ending:?}");
    // The last answered probe went out at 1 s.
    assert_eq!(w.sent, [(4_500, TERM, true), (6_000, KILL, true)]);
    assert_eq!(w.published.last(), Some(&(1_005, boot(6_000))));
}

/// Negative control: without the lease (the old guard, or ZKLOCK_UNSAFE_NO_LEASE) the same
/// silence lets the command run to its end — the test above would catch it.
#[tokio::test(start_paused = true)]
async fn without_the_lease_silence_goes_unnoticed() {
    let world = World {
        silent_from: Some(ms(1_500)),
        exits: Some((ms(20_000), 0)),
        ..World::default()
    };
    let (ending, w) = run(world, ms(30_000), false).await;
    assert!(matches!(ending, Ending::Exited(0)), "{ending:?}");
    assert!(w.sent.is_empty(), "{:?}", w.sent);
}

/// A suspend moves the boot clock but not tokio's: no timer fires at the lease's deadline,
/// and the first wake-up after the resume (here the next probe's timer) kills at once.
#[tokio::test(start_paused = true)]
async fn a_suspend_like_jump_kills_at_the_first_wake_up() {
    let world = World {
        jump: Some((ms(2_500), Duration::from_secs(3_600))),
        obeys: true,
        ..World::default()
    };
    let (ending, w) = run(world, ms(1_000), true).await;
    let Ending::Lost(why) = ending else {
        panic!("{ending:?}")
    };
    assert!(why.contains("suspended"), "{why}");
    // Probes went out at 1000 and 2005; the next timer is the probe at 3010.
    assert_eq!(w.sent, [(3_010, KILL, true)]);
}

/// Negative control: on a clock that stops during the suspend (CLOCK_MONOTONIC, the old
/// lease), the same resume goes unnoticed.
#[tokio::test(start_paused = true)]
async fn on_a_clock_that_stops_during_suspend_the_jump_goes_unnoticed() {
    let world = World {
        jump: Some((ms(2_500), Duration::from_secs(3_600))),
        monotonic: true,
        exits: Some((ms(4_000), 0)),
        ..World::default()
    };
    let (ending, w) = run(world, ms(1_000), true).await;
    assert!(matches!(ending, Ending::Exited(0)), "{ending:?}");
    assert!(w.sent.is_empty());
}

/// Leftovers get the kill signal when the command exits and SIGKILL after the grace, capped
/// at the lease's SIGKILL deadline (probes still answered meanwhile).
#[tokio::test(start_paused = true)]
async fn leftovers_get_the_grace_but_never_past_the_lease() {
    let world = World {
        exits: Some((ms(1_500), 3)),
        leaves_leftovers: true,
        ..World::default()
    };
    let (ending, w) = run(world, ms(30_000), true).await;
    assert!(matches!(ending, Ending::Exited(3)), "{ending:?}");
    // At 1.5 s the lease (last proof sent at 1 s) allows SIGKILL no later than 6 s.
    assert_eq!(w.sent, [(1_500, TERM, true), (6_000, KILL, true)]);
    assert!(w.probes >= 5, "the guard kept probing: {}", w.probes);

    let short = World {
        exits: Some((ms(1_500), 3)),
        leaves_leftovers: true,
        ..World::default()
    };
    let (_, w) = run(short, ms(200), true).await;
    assert_eq!(w.sent, [(1_500, TERM, true), (1_700, KILL, true)]);
}

#[tokio::test(start_paused = true)]
async fn a_lost_node_or_session_kills_at_once() {
    let world = World {
        lost_from: Some(ms(1_500)),
        obeys: true,
        ..World::default()
    };
    let (ending, w) = run(world, ms(1_000), true).await;
    assert!(matches!(ending, Ending::Lost(_)), "{ending:?}");
    assert_eq!(w.sent, [(2_010, KILL, true)]);

    let world = World {
        expires_at: Some(ms(1_234)),
        ..World::default()
    };
    let (ending, w) = run(world, ms(1_000), true).await;
    assert!(matches!(ending, Ending::Lost(why) if why.contains("Expired")));
    assert_eq!(w.sent, [(1_234, KILL, true)]);
}

/// A signal to zklock goes to the command's group; SIGKILL follows after the grace, or at a
/// second Ctrl-C; zklock's status follows the command's.
#[tokio::test(start_paused = true)]
async fn signals_are_forwarded_with_the_grace() {
    let world = World {
        interrupts: vec![(ms(1_000), TERM)],
        exits: Some((ms(60_000), 0)),
        ..World::default()
    };
    let (ending, w) = run(world, ms(2_000), true).await;
    assert!(matches!(ending, Ending::Exited(137)), "{ending:?}");
    assert_eq!(w.sent, [(1_000, TERM, false), (3_000, KILL, true)]);

    let world = World {
        interrupts: vec![
            (ms(1_000), Signal(libc::SIGINT)),
            (ms(1_100), Signal(libc::SIGINT)),
        ],
        exits: Some((ms(60_000), 0)),
        ..World::default()
    };
    let (ending, w) = run(world, ms(2_000), true).await;
    assert!(matches!(ending, Ending::Exited(137)), "{ending:?}");
    assert_eq!(
        w.sent,
        [(1_000, Signal(libc::SIGINT), false), (1_100, KILL, false)]
    );
}
