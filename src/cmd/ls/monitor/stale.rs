//! `ls --stale [DURATION]`: the run records whose last success is too old, or that never
//! succeeded, a line each (`--json`: an object a line), and a status of their own (2) when
//! there is one, for cron, a systemd timer or a Nagios/Icinga check.
//!
//! "Too old" is a last success that started longer ago than DURATION, or, without one, than
//! 1.5 × the period `--once-per` recorded. The start is the server's time; the age is measured
//! against this host's clock (reading the server's would need a write: `ls` writes nothing),
//! so a host clock behind the server's by more than a minute is said on stderr.

use std::time::Duration;

use super::{Dir, Output, Reading};
use crate::cmd::ls::run_json;
use crate::diag::Diag;
use crate::error::Error;
use crate::out;
use crate::record::{self, Record, Run};
use crate::render::{self, Json};

/// The status of `ls --stale` when some job is stale (SPEC §6).
pub const STALE: i32 = 2;

pub(super) struct Report<'a> {
    within: Option<Duration>,
    json: bool,
    diag: &'a Diag,
    /// This host's clock, read once.
    now_ms: i64,
    stale: bool,
    skew_said: bool,
}

/// What a record is found to be.
#[derive(Debug, PartialEq)]
enum State {
    /// Its last success is older than the threshold.
    Stale,
    /// No run of it succeeded.
    Never,
    /// Neither a DURATION nor a recorded period says what late means.
    Unknown,
    Unreadable,
}

impl State {
    fn name(&self) -> &'static str {
        match self {
            State::Stale => "stale",
            State::Never => "never",
            State::Unknown => "unknown",
            State::Unreadable => "unreadable",
        }
    }
}

impl<'a> Report<'a> {
    pub(super) fn new(within: Option<Duration>, json: bool, diag: &'a Diag) -> Report<'a> {
        Report {
            within,
            json,
            diag,
            now_ms: record::local_now_ms(),
            stale: false,
            skew_said: false,
        }
    }

    /// The threshold for `record`, in milliseconds: DURATION, or 1.5 periods.
    fn threshold_ms(&self, record: &Record) -> Option<i64> {
        let ms = match self.within {
            Some(d) => d.as_millis(),
            None => u128::from(record.period_ms?) * 3 / 2,
        };
        Some(i64::try_from(ms).unwrap_or(i64::MAX))
    }

    fn line(
        &self,
        path: &str,
        state: &State,
        record: Option<&Record>,
        why: Option<&str>,
    ) -> String {
        let threshold = record.and_then(|r| self.threshold_ms(r));
        let success = record.and_then(|r| r.last_success.as_ref());
        let last = record.and_then(|r| r.last.as_ref());
        let age = success.map(|s| self.now_ms.saturating_sub(s.start_ms).max(0));
        if self.json {
            let int = |v: Option<i64>| v.map_or(Json::Null, Json::Int);
            let run = |r: Option<&Run>| r.map_or(Json::Null, run_json);
            let period = record
                .and_then(|r| r.period_ms)
                .map(|p| i64::try_from(p).unwrap_or(i64::MAX));
            return Json::Object(vec![
                ("path", Json::str(path)),
                ("state", Json::str(state.name())),
                ("age_ms", int(age)),
                ("threshold_ms", int(threshold)),
                ("period_ms", int(period)),
                ("last_success", run(success)),
                ("last", run(last)),
                ("error", why.map_or(Json::Null, Json::str)),
            ])
            .render();
        }
        let ms = |ms: i64| humantime::format_duration(Duration::from_secs(ms.max(0) as u64 / 1000));
        // Anyone may name a znode: escaped as data is, on a terminal.
        let path = render::data_text(path.as_bytes());
        let success_text = match (success, age) {
            (Some(s), Some(age)) => format!("last success {} ({} ago)", s.start_text(), ms(age)),
            _ => "never succeeded".to_string(),
        };
        let last_text = last.map_or(String::new(), |l| {
            format!(
                "; last run {} status {} on {}",
                l.start_text(),
                l.status,
                render::data_text(l.host.as_bytes())
            )
        });
        match state {
            State::Stale => format!(
                "{path}: stale: {success_text}, older than {}{last_text}",
                ms(threshold.unwrap_or(0))
            ),
            State::Never => format!("{path}: never succeeded{last_text}"),
            State::Unknown => format!(
                "{path}: unknown: no period recorded (give --stale DURATION): {success_text}{last_text}"
            ),
            State::Unreadable => format!(
                "{path}: unreadable: {}",
                render::data_text(why.unwrap_or_default().as_bytes())
            ),
        }
    }

    fn judge(&self, record: &Record) -> Option<State> {
        // A record of a semaphore's N alone is no run record.
        record.last.as_ref()?;
        let Some(success) = &record.last_success else {
            return Some(State::Never);
        };
        let Some(threshold) = self.threshold_ms(record) else {
            return Some(State::Unknown);
        };
        // Started longer ago than the threshold: exactly at it is not yet stale.
        (self.now_ms.saturating_sub(success.start_ms) > threshold).then_some(State::Stale)
    }
}

impl Output for Report<'_> {
    fn dir(&mut self, dir: &Dir) -> Result<(), Error> {
        let (state, record, why) = match &dir.record {
            Reading::None => return Ok(()),
            Reading::Unreadable(why) => (State::Unreadable, None, Some(why.as_str())),
            Reading::Record(record) => {
                let future = record.last.as_ref().map_or(0, |l| l.start_ms - self.now_ms);
                if future > 60_000 && !std::mem::replace(&mut self.skew_said, true) {
                    self.diag.warn(format_args!(
                        "{}: its last run started {} after this host's now: is this host's clock behind the server's? ages are measured by it",
                        dir.path,
                        humantime::format_duration(Duration::from_secs(future as u64 / 1000))
                    ));
                }
                match self.judge(record) {
                    Some(state) => (state, Some(record.as_ref()), None),
                    None => return Ok(()),
                }
            }
        };
        self.stale |= matches!(state, State::Stale | State::Never);
        out::line(self.line(&dir.path, &state, record, why))
    }

    fn finish(&mut self, denied: bool) -> Result<i32, Error> {
        // Stale says more than "could not read everything": it wins.
        Ok(match (self.stale, denied) {
            (true, _) => STALE,
            (false, true) => 77,
            (false, false) => 0,
        })
    }
}
