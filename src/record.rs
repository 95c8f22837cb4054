//! The run record (SPEC §2.2): the lock directory's data, a small JSON object
//! `{"last": {"id", "host", "start", "duration_ms", "status", "fencing_token"}, "limit": N}`.
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

/// What a lock directory's data says; a field that is missing or cannot be read is None.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Record {
    pub last: Option<LastRun>,
    /// The semaphore's N (§2.1).
    pub limit: Option<u32>,
}

/// The last run under the lock.
#[derive(Debug, Clone, PartialEq)]
pub struct LastRun {
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

impl LastRun {
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
}

impl Record {
    /// Reads a directory's data. No data is no record; anything else that is not a record (a
    /// peer's data, garbage, a field of another type) gives what could be read and why the
    /// rest could not: the caller says so under `-v` and treats it as no record.
    pub fn parse(data: &[u8]) -> (Record, Option<String>) {
        if data.is_empty() {
            return (Record::default(), None);
        }
        let map = match serde_json::from_slice::<Value>(data) {
            Ok(Value::Object(map)) => map,
            Ok(_) => return (Record::default(), Some("not a JSON object".into())),
            Err(e) => return (Record::default(), Some(format!("not JSON ({e})"))),
        };
        let mut problems = Vec::new();
        let limit = match map.get("limit") {
            None | Some(Value::Null) => None,
            Some(v) => {
                let n = v
                    .as_u64()
                    .and_then(|n| u32::try_from(n).ok())
                    .filter(|n| *n > 0);
                if n.is_none() {
                    problems.push("limit is not a positive integer".to_string());
                }
                n
            }
        };
        let last = match map.get("last") {
            None | Some(Value::Null) => None,
            Some(v) => LastRun::from_json(v)
                .map_err(|why| problems.push(format!("last: {why}")))
                .ok(),
        };
        let problem = (!problems.is_empty()).then(|| problems.join("; "));
        (Record { last, limit }, problem)
    }

    /// The JSON written to the directory: keys sorted, `limit` only when known.
    pub fn to_json(&self) -> String {
        let mut map = Map::new();
        if let Some(last) = &self.last {
            map.insert("last".into(), last.to_json());
        }
        if let Some(limit) = self.limit {
            map.insert("limit".into(), limit.into());
        }
        Value::Object(map).to_string()
    }
}

impl LastRun {
    fn from_json(value: &Value) -> Result<LastRun, String> {
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
        Ok(LastRun {
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
        let start = UNIX_EPOCH + Duration::from_millis(self.start_ms.max(0) as u64);
        let mut map = Map::new();
        map.insert("id".into(), self.id.clone().into());
        map.insert("host".into(), self.host.clone().into());
        map.insert(
            "start".into(),
            humantime::format_rfc3339_millis(start).to_string().into(),
        );
        map.insert("duration_ms".into(), self.duration_ms.into());
        map.insert("status".into(), self.status.into());
        map.insert("fencing_token".into(), self.fencing_token.into());
        Value::Object(map)
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
    /// The last run, when it succeeded and started less than `period` before our node was made.
    /// A start more than `SKEW` later than our node (a bad write, another tool's data) is no
    /// record: it would skip every run for ever (`read_all` says so under `-v`). Within `SKEW`
    /// it counts as recent: ctimes come from whichever server led, and their clocks may
    /// differ by that much.
    pub fn done_within(&self, period: Duration) -> Option<&LastRun> {
        let last = self.record.last.as_ref().filter(|l| l.succeeded())?;
        if self.dated_in_the_future() {
            return None;
        }
        let since = u128::try_from(self.own.ctime.saturating_sub(last.start_ms).max(0)).ok()?;
        (since < period.as_millis()).then_some(last)
    }

    /// Whether the last run's start is more than `SKEW` later than the server's now (our
    /// node's creation).
    pub fn dated_in_the_future(&self) -> bool {
        self.record
            .last
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
                "{path}: its last run starts more than a minute later than the server's now; read as none"
            ));
        }
        held.push(held_here);
    }
    Ok(held)
}

/// Writes `run` as the last run of every held path in one multi that also checks each node of
/// ours still exists: a lost lock is never recorded over its next holder's run. A version
/// conflict (another holder of a semaphore recorded meanwhile) is read again and retried. The
/// run's start on each path is our node's ctime there. Err says why nothing was written.
pub async fn write_all(session: &Session, held: &mut [Held], run: &LastRun) -> Result<(), String> {
    for _ in 0..5 {
        let records: Vec<String> = held
            .iter()
            .map(|h| {
                let last = LastRun {
                    start_ms: h.own.ctime,
                    ..run.clone()
                };
                Record {
                    last: Some(last),
                    limit: h.record.limit,
                }
                .to_json()
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
                    h.record.limit = Record::parse(&data).0.limit.or(h.record.limit);
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

    fn run() -> LastRun {
        LastRun {
            id: "db1:backup".into(),
            host: "db1".into(),
            start_ms: 1_795_000_000_123,
            duration_ms: 41_200,
            status: 0,
            fencing_token: 4_294_967_311,
        }
    }

    #[test]
    fn a_record_reads_back_as_written() {
        let record = Record {
            last: Some(run()),
            limit: Some(3),
        };
        let json = record.to_json();
        assert!(json.contains(r#""start":"2026-11-18T"#), "{json}");
        assert!(json.ends_with(r#","limit":3}"#), "{json}");
        assert_eq!(Record::parse(json.as_bytes()), (record, None));
    }

    #[test]
    fn what_is_not_a_record_is_read_as_none_and_said() {
        for data in [&b"garbage"[..], b"[1,2]", b"\xff\xfe", b"{\"last\": 3}"] {
            let (record, problem) = Record::parse(data);
            assert_eq!(record.last, None, "{data:?}");
            assert!(problem.is_some(), "{data:?}");
        }
        assert_eq!(Record::parse(b""), (Record::default(), None));
        // A newer version's extra fields are ignored; a broken `last` keeps the limit.
        let (record, problem) =
            Record::parse(br#"{"limit": 2, "last": {"id": 1}, "next": {"x": []}}"#);
        assert_eq!(record.limit, Some(2));
        assert_eq!(record.last, None);
        assert!(problem.is_some_and(|p| p.contains("last: ")));
        let (record, problem) = Record::parse(br#"{"limit":"x"}"#);
        assert_eq!((record.limit, problem.is_some()), (None, true));
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
            record: Record {
                last: Some(LastRun { status, ..run() }),
                limit: None,
            },
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
}
