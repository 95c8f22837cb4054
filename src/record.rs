//! The run record (SPEC §2.2): the lock directory's data, a small JSON object
//!
//! ```json
//! {"last": RUN, "last_success": RUN, "history": [RUN, ...], "period_ms": 86400000, "limit": N}
//! ```
//!
//! where RUN is `{"id", "host", "start", "duration_ms", "status", "fencing_token"}`. `last` and
//! `limit` are the first format's (#19); `last_success` (a failure never hides when the job
//! last succeeded), `history` (the most recent runs, newest first, at most `HISTORY`) and
//! `period_ms` (the `--once-per` that wrote it, so a monitor knows what "late" means) were
//! added by #34, so a reader of the first format reads a new record's `last` and ignores the
//! rest, and a first-format record reads here with its `last` as the history and, when it
//! succeeded, as the last success. Keys this version does not know are written back as read.
//!
//! Read after acquiring when `--once-per` or `--record` asks; written after the run while the
//! lock is still held, guarded: one multi that checks every node of ours still exists and sets
//! each path's data at the version read. Times are the server's: a run's start is the ctime of
//! the node that held the lock, "now" the ctime of the node just created.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};
use zookeeper_client::MultiWriteError;

use crate::connect::Session;
use crate::diag::Diag;
use crate::error::{Error, Perm};
use crate::recipe::OwnNode;
use crate::render;
use crate::znode;

/// Runs kept in a record's history.
pub const HISTORY: usize = 10;

/// A record's JSON stays below this (ZooKeeper's limit is 1 MB): the oldest runs of the
/// history are dropped first when long ids would pass it.
const MAX_BYTES: usize = 16 * 1024;

/// What a lock directory's data says; a field that is missing or cannot be read is None.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Record {
    pub last: Option<Run>,
    /// The last run that exited 0.
    pub last_success: Option<Run>,
    /// The most recent runs, newest first (`last` among them).
    pub history: Vec<Run>,
    /// The `--once-per` period of the run that wrote it.
    pub period_ms: Option<u64>,
    /// The semaphore's N (§2.1).
    pub limit: Option<u32>,
    /// Keys a later version wrote: kept as they are.
    pub other: Map<String, Value>,
}

/// One run under the lock.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub id: String,
    pub host: String,
    /// Milliseconds since the epoch, the server's: the ctime of the node that held the lock.
    pub start_ms: i64,
    pub duration_ms: u64,
    /// zklock's exit status for the run: the command's, 128+N when a signal killed it, 79
    /// when the lock was lost.
    pub status: i32,
    pub fencing_token: i64,
}

impl Run {
    /// Only a run that exited 0 counts as done.
    pub fn succeeded(&self) -> bool {
        self.status == 0
    }

    /// "3m 2s ago by db1 (id db1:backup), status 0, took 41s", as of `now_ms`.
    pub fn describe(&self, now_ms: i64) -> String {
        let ago = Duration::from_secs(u64::try_from(now_ms - self.start_ms).unwrap_or(0) / 1000);
        let took = Duration::from_millis(self.duration_ms);
        format!(
            "{} ago by {} (id {}), status {}, took {}",
            humantime::format_duration(ago),
            // Another host wrote these: escaped, as every stored string is on a terminal.
            render::data_text(self.host.as_bytes()),
            render::data_text(self.id.as_bytes()),
            self.status,
            humantime::format_duration(took)
        )
    }

    /// The start as RFC 3339 with milliseconds, as the record stores it.
    pub fn start_text(&self) -> String {
        let start = UNIX_EPOCH + Duration::from_millis(self.start_ms.max(0) as u64);
        humantime::format_rfc3339_millis(start).to_string()
    }
}

impl Record {
    /// Reads a directory's data. No data is no record; anything else that is not a record (a
    /// peer's data, garbage, a field of another type) gives what could be read and why the
    /// rest could not: the caller says so and treats the rest as missing.
    pub fn parse(data: &[u8]) -> (Record, Option<String>) {
        if data.is_empty() {
            return (Record::default(), None);
        }
        let mut map = match serde_json::from_slice::<Value>(data) {
            Ok(Value::Object(map)) => map,
            Ok(_) => return (Record::default(), Some("not a JSON object".into())),
            Err(e) => return (Record::default(), Some(format!("not JSON ({e})"))),
        };
        let mut problems = Vec::new();
        let mut take = |key: &str| match map.remove(key) {
            None | Some(Value::Null) => None,
            Some(v) => Some(v),
        };
        let (limit, last, last_success, history, period) = (
            take("limit"),
            take("last"),
            take("last_success"),
            take("history"),
            take("period_ms"),
        );
        let limit = limit.and_then(|v| {
            let n = v
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .filter(|n| *n > 0);
            if n.is_none() {
                problems.push("limit is not a positive integer".to_string());
            }
            n
        });
        let period_ms = period.and_then(|v| {
            let n = v.as_u64().filter(|n| *n > 0);
            if n.is_none() {
                problems.push("period_ms is not a positive integer".to_string());
            }
            n
        });
        let mut run = |key: &str, value: Option<Value>| {
            value.and_then(|v| {
                Run::from_json(&v)
                    .map_err(|why| problems.push(format!("{key}: {why}")))
                    .ok()
            })
        };
        let last = run("last", last);
        let last_success = run("last_success", last_success);
        let history = match history {
            None => None,
            Some(Value::Array(runs)) => Some(
                runs.iter()
                    .enumerate()
                    .filter_map(|(k, v)| {
                        Run::from_json(v)
                            .map_err(|why| problems.push(format!("history[{k}]: {why}")))
                            .ok()
                    })
                    .collect(),
            ),
            Some(_) => {
                problems.push("history is not a list".to_string());
                None
            }
        };
        // The first format (#19) kept only `last`: it is the history and, when it succeeded,
        // the last success.
        let first_format = history.is_none() && last_success.is_none();
        let record = Record {
            history: history.unwrap_or_else(|| last.iter().cloned().collect()),
            last_success: match first_format {
                true => last.clone().filter(Run::succeeded),
                false => last_success,
            },
            last,
            period_ms,
            limit,
            other: map,
        };
        let problem = (!problems.is_empty()).then(|| problems.join("; "));
        (record, problem)
    }

    /// Whether the data held no run (a directory's data that holds none, and is not empty,
    /// is a peer's or garbage, or a semaphore's limit alone). `== Record::default()` is
    /// "nothing at all".
    pub fn holds_no_run(&self) -> bool {
        self.last.is_none() && self.last_success.is_none() && self.history.is_empty()
    }

    /// This record after `run`: the last run, the last success when it succeeded, first in
    /// the history (the oldest dropped beyond `HISTORY`), and `period` when one was given.
    pub fn with_run(&self, run: Run, period: Option<Duration>) -> Record {
        let mut history = vec![run.clone()];
        history.extend(self.history.iter().take(HISTORY - 1).cloned());
        Record {
            last_success: match run.succeeded() {
                true => Some(run.clone()),
                false => self.last_success.clone(),
            },
            last: Some(run),
            history,
            period_ms: period
                .map(|p| u64::try_from(p.as_millis()).unwrap_or(u64::MAX))
                .or(self.period_ms),
            limit: self.limit,
            other: self.other.clone(),
        }
    }

    /// The JSON written to the directory: known keys first, `limit` and `period_ms` only when
    /// known; the history shortened (oldest first) while the whole passes `MAX_BYTES`.
    pub fn to_json(&self) -> String {
        let mut history = self.history.len();
        loop {
            let json = self.json_with(history);
            if json.len() <= MAX_BYTES || history == 0 {
                return json;
            }
            history -= 1;
        }
    }

    fn json_with(&self, history: usize) -> String {
        let mut map = Map::new();
        if let Some(last) = &self.last {
            map.insert("last".into(), last.to_json());
        }
        if let Some(success) = &self.last_success {
            map.insert("last_success".into(), success.to_json());
        }
        if !self.history.is_empty() {
            let runs = self.history.iter().take(history).map(Run::to_json);
            map.insert("history".into(), Value::Array(runs.collect()));
        }
        if let Some(period) = self.period_ms {
            map.insert("period_ms".into(), period.into());
        }
        if let Some(limit) = self.limit {
            map.insert("limit".into(), limit.into());
        }
        for (key, value) in &self.other {
            map.entry(key.clone()).or_insert_with(|| value.clone());
        }
        Value::Object(map).to_string()
    }
}

impl Run {
    fn from_json(value: &Value) -> Result<Run, String> {
        let text = |key: &str| {
            value
                .get(key)
                .and_then(Value::as_str)
                .map(String::from)
                .ok_or(format!("{key} is not a string"))
        };
        let int = |key: &str| {
            value
                .get(key)
                .and_then(Value::as_i64)
                .ok_or(format!("{key} is not an integer"))
        };
        let start = text("start")?;
        let start = humantime::parse_rfc3339(&start)
            .map_err(|_| format!("start {start:?} is not an RFC 3339 time"))?;
        let start_ms = start
            .duration_since(UNIX_EPOCH)
            .map_err(|_| "start is before 1970".to_string())?
            .as_millis();
        Ok(Run {
            id: text("id")?,
            host: text("host")?,
            start_ms: i64::try_from(start_ms).map_err(|_| "start is too late")?,
            duration_ms: u64::try_from(int("duration_ms")?)
                .map_err(|_| "duration_ms is negative")?,
            status: i32::try_from(int("status")?).map_err(|_| "status is out of range")?,
            fencing_token: int("fencing_token")?,
        })
    }

    fn to_json(&self) -> Value {
        let mut map = Map::new();
        map.insert("id".into(), self.id.clone().into());
        map.insert("host".into(), self.host.clone().into());
        map.insert("start".into(), self.start_text().into());
        map.insert("duration_ms".into(), self.duration_ms.into());
        map.insert("status".into(), self.status.into());
        map.insert("fencing_token".into(), self.fencing_token.into());
        Value::Object(map)
    }
}

/// Whether `data` is a JSON object with a run record's key: data a monitor reports as an
/// unreadable record when the rest of it is not one (other data is another tool's).
pub fn claims_to_be_one(data: &[u8]) -> bool {
    match serde_json::from_slice::<Value>(data) {
        Ok(Value::Object(map)) => ["last", "last_success", "history", "period_ms"]
            .iter()
            .any(|k| map.contains_key(*k)),
        _ => false,
    }
}

/// One path's record as read after acquiring it, with the version the write is conditional on
/// and our node in that path (its ctime is "now" for the skip and the run's start).
pub struct Held {
    pub path: String,
    pub own: OwnNode,
    pub record: Record,
    pub version: i32,
}

impl Held {
    /// The last successful run, when it started less than `period` before our node was made.
    /// A start more than `SKEW` later than our node (a bad write, another tool's data) is no
    /// record: it would skip every run for ever (`read_all` says so under `-v`). Within `SKEW`
    /// it counts as recent: ctimes come from whichever server led, and their clocks may
    /// differ by that much.
    pub fn done_within(&self, period: Duration) -> Option<&Run> {
        let last = self.record.last_success.as_ref()?;
        if self.dated_in_the_future() {
            return None;
        }
        let since = u128::try_from(self.own.ctime.saturating_sub(last.start_ms).max(0)).ok()?;
        (since < period.as_millis()).then_some(last)
    }

    /// Whether the last success's start is more than `SKEW` later than the server's now (our
    /// node's creation).
    pub fn dated_in_the_future(&self) -> bool {
        self.record
            .last_success
            .as_ref()
            .is_some_and(|l| l.start_ms > self.own.ctime.saturating_add(SKEW_MS))
    }
}

/// How far apart the ensemble's servers' clocks may be (a run's start and "now" are ctimes
/// set by whichever server led then).
const SKEW_MS: i64 = 60_000;

/// Reads the record of every path (pipelined), pairing each with our node in it.
pub async fn read_all(
    session: &Session,
    paths: &[String],
    nodes: &[OwnNode],
    diag: &Diag,
) -> Result<Vec<Held>, Error> {
    let pending: Vec<_> = paths.iter().map(|p| session.client.get_data(p)).collect();
    let mut held = Vec::new();
    for (path, reply) in paths.iter().zip(pending) {
        let (data, stat) = reply
            .await
            .map_err(|e| Error::denied(path, Perm::Read, e))?;
        let (record, problem) = Record::parse(&data);
        if let Some(why) = problem {
            diag.info(format_args!(
                "{path}: its data is not a run record ({why}); read as none"
            ));
        }
        let leases = znode::child(path, "leases");
        let own = nodes
            .iter()
            .find(|n| {
                let dir = znode::parent(&n.path);
                dir == path || dir == leases
            })
            .cloned()
            .ok_or_else(|| Error::Other(format!("{path}: no node of ours in it")))?;
        let held_here = Held {
            path: path.clone(),
            own,
            record,
            version: stat.version,
        };
        if held_here.dated_in_the_future() {
            diag.info(format_args!(
                "{path}: its last success starts more than a minute later than the server's now; read as none"
            ));
        }
        held.push(held_here);
    }
    Ok(held)
}

/// Writes `run` into the record of every held path (the last run, the history, the last
/// success when it succeeded, and `period` when `--once-per` gave one) in one multi that also
/// checks each node of ours still exists: a lost lock is never recorded over its next
/// holder's run. A version conflict (another holder of a semaphore recorded meanwhile) is read
/// again, that run kept, and retried. The run's start on each path is our node's ctime there.
/// Err says why nothing was written.
pub async fn write_all(
    session: &Session,
    held: &mut [Held],
    run: &Run,
    period: Option<Duration>,
) -> Result<(), String> {
    for _ in 0..5 {
        let records: Vec<String> = held
            .iter()
            .map(|h| {
                let run = Run {
                    start_ms: h.own.ctime,
                    ..run.clone()
                };
                h.record.with_run(run, period).to_json()
            })
            .collect();
        let mut multi = session.client.new_multi_writer();
        for h in held.iter() {
            multi
                .add_check_version(&h.own.path, 0)
                .map_err(|e| e.to_string())?;
        }
        for (h, record) in held.iter().zip(&records) {
            multi
                .add_set_data(&h.path, record.as_bytes(), Some(h.version))
                .map_err(|e| e.to_string())?;
        }
        match multi.commit().await {
            Ok(_) => return Ok(()),
            Err(MultiWriteError::OperationFailed { index, source }) if index < held.len() => {
                return Err(format!(
                    "{} is gone ({source}): the lock was lost",
                    held[index].own.path
                ));
            }
            Err(MultiWriteError::OperationFailed {
                source: zookeeper_client::Error::BadVersion,
                ..
            }) => {
                for h in held.iter_mut() {
                    let (data, stat) = session
                        .client
                        .get_data(&h.path)
                        .await
                        .map_err(|e| format!("{}: {e}", h.path))?;
                    let limit = h.record.limit;
                    h.record = Record::parse(&data).0;
                    h.record.limit = h.record.limit.or(limit);
                    h.version = stat.version;
                }
            }
            Err(e) => return Err(e.to_string()),
        }
    }
    Err("the record kept changing under us".into())
}

/// Milliseconds since the epoch by this host's clock: only for showing how long ago a
/// recorded run was, never for deciding anything.
pub fn local_now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run() -> Run {
        Run {
            id: "db1:backup".into(),
            host: "db1".into(),
            start_ms: 1_795_000_000_123,
            duration_ms: 41_200,
            status: 0,
            fencing_token: 4_294_967_311,
        }
    }

    fn first_format(last: Run, limit: Option<u32>) -> Record {
        Record {
            history: vec![last.clone()],
            last_success: Some(last.clone()).filter(Run::succeeded),
            last: Some(last),
            limit,
            ..Record::default()
        }
    }

    #[test]
    fn a_record_reads_back_as_written() {
        let record = Record::default()
            .with_run(run(), None)
            .with_run(Run { status: 3, ..run() }, Some(Duration::from_secs(3600)));
        let record = Record {
            limit: Some(3),
            ..record
        };
        let json = record.to_json();
        assert!(json.contains(r#""start":"2026-11-18T"#), "{json}");
        assert!(json.contains(r#""period_ms":3600000"#), "{json}");
        assert_eq!(Record::parse(json.as_bytes()), (record, None));
    }

    /// #19's records (`last` and `limit` only) still read: the last run is the history, and
    /// the last success when it succeeded.
    #[test]
    fn a_record_of_the_first_format_reads() {
        let old = r#"{"last":{"duration_ms":41200,"fencing_token":4294967311,"host":"db1","id":"db1:backup","start":"2026-11-18T11:06:40.123Z","status":0},"limit":3}"#;
        assert_eq!(
            Record::parse(old.as_bytes()),
            (first_format(run(), Some(3)), None)
        );
        let failed = old.replace(r#""status":0"#, r#""status":1"#);
        let (record, _) = Record::parse(failed.as_bytes());
        assert_eq!(record.last_success, None);
        assert_eq!(record.history.len(), 1);
    }

    /// What #19's reader needs of a new record is where it was: `last` and `limit`, with the
    /// types it reads.
    #[test]
    fn a_new_record_keeps_the_first_formats_fields() {
        let record = first_format(run(), Some(2)).with_run(Run { status: 1, ..run() }, None);
        let value: Value = serde_json::from_str(&record.to_json()).unwrap();
        assert_eq!(value["limit"], 2);
        assert_eq!(value["last"]["status"], 1);
        assert_eq!(value["last"]["start"], "2026-11-18T11:06:40.123Z");
        assert_eq!(value["last_success"]["status"], 0);
    }

    #[test]
    fn the_history_keeps_the_newest_runs_and_the_last_success_survives_failures() {
        let mut record = Record::default().with_run(run(), None);
        for k in 1..=15 {
            let failed = Run {
                status: 1,
                start_ms: run().start_ms + k * 1000,
                ..run()
            };
            record = record.with_run(failed, None);
        }
        assert_eq!(record.history.len(), HISTORY);
        assert_eq!(record.history[0].start_ms, run().start_ms + 15_000);
        assert_eq!(record.history[9].start_ms, run().start_ms + 6_000);
        assert_eq!(record.last_success, Some(run()));
        assert_eq!(record.last.as_ref().map(|r| r.status), Some(1));
    }

    #[test]
    fn long_ids_shorten_the_history_not_the_record() {
        let long = Run {
            id: "x".repeat(3000),
            ..run()
        };
        let mut record = Record::default();
        for _ in 0..HISTORY {
            record = record.with_run(long.clone(), None);
        }
        let json = record.to_json();
        assert!(json.len() <= MAX_BYTES, "{}", json.len());
        let (read, problem) = Record::parse(json.as_bytes());
        assert_eq!(problem, None);
        assert_eq!(read.last, Some(long));
        assert!(read.history.len() < HISTORY && !read.history.is_empty());
    }

    #[test]
    fn keys_of_a_later_version_are_kept() {
        let (record, problem) = Record::parse(br#"{"limit": 2, "next": {"x": []}}"#);
        assert_eq!(problem, None);
        let json = record.with_run(run(), None).to_json();
        assert!(json.contains(r#""next":{"x":[]}"#), "{json}");
    }

    #[test]
    fn what_is_not_a_record_is_read_as_none_and_said() {
        for data in [&b"garbage"[..], b"[1,2]", b"\xff\xfe", b"{\"last\": 3}"] {
            let (record, problem) = Record::parse(data);
            assert_eq!(record.last, None, "{data:?}");
            assert!(problem.is_some(), "{data:?}");
        }
        assert_eq!(Record::parse(b""), (Record::default(), None));
        // A broken `last` keeps the limit.
        let (record, problem) = Record::parse(br#"{"limit": 2, "last": {"id": 1}}"#);
        assert_eq!(record.limit, Some(2));
        assert_eq!(record.last, None);
        assert!(problem.is_some_and(|p| p.contains("last: ")));
        let (record, problem) = Record::parse(br#"{"limit":"x"}"#);
        assert_eq!((record.limit, problem.is_some()), (None, true));
        let (_, problem) = Record::parse(br#"{"history": 3, "period_ms": -1}"#);
        assert!(problem.is_some_and(|p| p.contains("history") && p.contains("period_ms")));
    }

    #[test]
    fn only_a_successful_run_within_the_period_counts() {
        let held = |status, since_ms| Held {
            path: "/p".into(),
            own: OwnNode {
                path: "/p/n".into(),
                name: "n".into(),
                czxid: 1,
                ctime: run().start_ms + since_ms,
            },
            record: first_format(Run { status, ..run() }, None),
            version: 1,
        };
        let minute = Duration::from_secs(60);
        assert!(held(0, 59_999).done_within(minute).is_some());
        assert!(held(0, 60_000).done_within(minute).is_none());
        assert!(held(1, 10).done_within(minute).is_none());
        // A server clock that went back (another leader's, a little behind) still counts the
        // run as recent; a start far later than now is no record (it would skip for ever).
        assert!(held(0, -5_000).done_within(minute).is_some());
        assert!(held(0, -60_000).done_within(minute).is_some());
        assert!(held(0, -60_001).done_within(minute).is_none());
        assert!(held(0, -86_400_000).done_within(minute).is_none());
    }

    /// A failure after a success within the period does not undo the success.
    #[test]
    fn a_failure_does_not_hide_a_recent_success() {
        let record = first_format(run(), None).with_run(
            Run {
                status: 2,
                start_ms: run().start_ms + 1000,
                ..run()
            },
            None,
        );
        let held = Held {
            path: "/p".into(),
            own: OwnNode {
                path: "/p/n".into(),
                name: "n".into(),
                czxid: 1,
                ctime: run().start_ms + 30_000,
            },
            record,
            version: 1,
        };
        assert_eq!(held.done_within(Duration::from_secs(60)), Some(&run()));
    }
}
