//! The lease: proof that the session was alive at `s_ok`, and the deadlines that follow for
//! the command (SPEC §2, ../shared/SAFETY.md).
//!
//! Times are CLOCK_BOOTTIME, which keeps counting while the machine is suspended:
//! CLOCK_MONOTONIC (std's and tokio's `Instant`) stops then, so after a laptop or VM resumes a
//! lease measured with it would look fresh although the server expired the session long ago.
//! The supervisor asks for a verdict on every wake-up, so a jump is acted on at once even when
//! a (monotonic) timer would fire late.

use std::ops::{Add, Sub};
use std::time::Duration;

/// A CLOCK_BOOTTIME reading, in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct BootTime(pub i64);

impl BootTime {
    pub fn now() -> BootTime {
        // CLOCK_BOOTTIME exists since Linux 2.6.39 (through the vDSO: no system call).
        let ts = rustix::time::clock_gettime(rustix::time::ClockId::Boottime);
        BootTime(ts.tv_sec * 1_000_000_000 + ts.tv_nsec)
    }

    /// The tokio instant at which this boot time is reached, if nothing is suspended meanwhile.
    pub fn to_tokio(self, now: BootTime) -> tokio::time::Instant {
        tokio::time::Instant::now() + self.saturating_since(now)
    }

    /// How long after `earlier` this is (zero if it is not after).
    pub fn saturating_since(self, earlier: BootTime) -> Duration {
        Duration::from_nanos(self.0.saturating_sub(earlier.0).max(0) as u64)
    }
}

impl Add<Duration> for BootTime {
    type Output = BootTime;
    fn add(self, d: Duration) -> BootTime {
        BootTime(
            self.0
                .saturating_add(i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)),
        )
    }
}

impl Sub<BootTime> for BootTime {
    type Output = Duration;
    fn sub(self, earlier: BootTime) -> Duration {
        self.saturating_since(earlier)
    }
}

/// What the lease says about the command at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Proof is recent: the command may run.
    Fine,
    /// Past `S_ok + 0.35 T`: the kill signal must go out.
    Stop,
    /// Past `S_ok + 0.5 T`: SIGKILL must go out.
    Kill,
}

/// Proof that the session was alive at `s_ok`, and what follows for the command.
#[derive(Debug, Clone, Copy)]
pub struct Lease {
    pub timeout: Duration,
    s_ok: BootTime,
}

impl Lease {
    /// A lease proven by a request sent at `sent` and answered.
    pub fn new(timeout: Duration, sent: BootTime) -> Lease {
        Lease {
            timeout,
            s_ok: sent,
        }
    }

    /// Another answered request, sent at `sent`.
    pub fn renew(&mut self, sent: BootTime) {
        self.s_ok = self.s_ok.max(sent);
    }

    /// Fresh enough to start the command: within 0.2 T of the last proof.
    pub fn is_fresh(&self, now: BootTime) -> bool {
        now < self.s_ok + self.timeout / 5
    }

    /// When the kill signal must go out if no later proof arrives.
    pub fn kill_at(&self) -> BootTime {
        self.s_ok + self.timeout * 35 / 100
    }

    /// When SIGKILL must go out if no later proof arrives.
    pub fn hard_kill_at(&self) -> BootTime {
        self.s_ok + self.timeout / 2
    }

    /// The verdict at `now`.
    pub fn verdict(&self, now: BootTime) -> Verdict {
        if now >= self.hard_kill_at() {
            Verdict::Kill
        } else if now >= self.kill_at() {
            Verdict::Stop
        } else {
            Verdict::Fine
        }
    }

    /// Time since the last proof at `now`, to the millisecond.
    pub fn age(&self, now: BootTime) -> Duration {
        Duration::from_millis((now - self.s_ok).as_millis() as u64)
    }

    /// How often to probe: a tenth of T, but not more often than every 200 ms.
    pub fn probe_interval(&self) -> Duration {
        (self.timeout / 10).max(Duration::from_millis(200))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Duration = Duration::from_secs(10);
    const START: BootTime = BootTime(1_000_000_000_000);

    #[test]
    fn deadlines_follow_the_last_proof() {
        let mut lease = Lease::new(T, START);
        assert!(lease.is_fresh(START + T / 10));
        assert!(!lease.is_fresh(START + T / 5));
        assert_eq!(lease.verdict(START + T * 34 / 100), Verdict::Fine);
        assert_eq!(lease.verdict(START + T * 35 / 100), Verdict::Stop);
        assert_eq!(lease.verdict(START + T / 2), Verdict::Kill);
        lease.renew(START + T / 10);
        assert_eq!(lease.verdict(START + T * 40 / 100), Verdict::Fine);
        // An older answer never moves the deadline back.
        lease.renew(START);
        assert_eq!(lease.kill_at(), START + T / 10 + T * 35 / 100);
    }

    /// A suspend shows up as a jump of the boot clock between two wake-ups (the monotonic clock
    /// would not have moved): the very next verdict is Kill, with no timer to wait for.
    #[test]
    fn a_suspend_like_jump_kills_at_the_next_wake_up() {
        let lease = Lease::new(T, START);
        let before = START + T / 20;
        assert_eq!(lease.verdict(before), Verdict::Fine);
        let after_resume = before + Duration::from_secs(3600);
        assert_eq!(lease.verdict(after_resume), Verdict::Kill);
        assert_eq!(lease.age(after_resume), Duration::from_millis(3_600_500));
    }

    #[test]
    fn the_boot_clock_moves_forward() {
        let a = BootTime::now();
        let b = BootTime::now();
        assert!(b >= a && a.0 > 0);
        assert_eq!(
            a.saturating_since(b + Duration::from_secs(1)),
            Duration::ZERO
        );
    }
}
