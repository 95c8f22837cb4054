//! `ls --prometheus`: the Prometheus text exposition format (version 0.0.4), as node_exporter's
//! textfile collector reads it. Names and units as Prometheus asks: the `zklock_` prefix, base
//! units (`_seconds`, `_timestamp_seconds`), the label `path` on every sample, and `id` and
//! `host` where they say which holder or run a sample is about. Times are the server's: a
//! node's ctime, a run's recorded start.
//!
//! The format wants each metric's samples together, while the walk finds them directory by
//! directory: each metric's lines are kept apart, in memory up to `SPILL` bytes and then in an
//! unlinked temporary file, and written one metric after another at the end, so a tree of any
//! size costs a bounded amount of memory.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{Read, Seek, Write};

use super::{Dir, Output, Reading};
use crate::error::Error;
use crate::out;
use crate::record::Run;
use crate::render;

/// Each metric's name, type and help, in the order written.
const METRICS: [(&str, &str); 12] = [
    (
        "zklock_held",
        "1 when the lock, election or semaphore at path is held (by at least one holder), 0 when not.",
    ),
    (
        "zklock_holders",
        "Contenders holding it now: 1 for a lock or a leader, each reader of a read lock, each lease of a semaphore.",
    ),
    ("zklock_waiters", "Contenders waiting for it now."),
    (
        "zklock_holder_since_timestamp_seconds",
        "When each holder's node was made, by the server's clock: it has held since then or a little later.",
    ),
    (
        "zklock_semaphore_limit",
        "The semaphore's N, as recorded at path.",
    ),
    (
        "zklock_record_readable",
        "1 when path's run record reads, 0 when its data is not a run record zklock can read.",
    ),
    (
        "zklock_last_run_start_timestamp_seconds",
        "When the last recorded run started (the server's clock).",
    ),
    (
        "zklock_last_run_duration_seconds",
        "How long the last recorded run took.",
    ),
    (
        "zklock_last_run_status",
        "zklock's exit status for the last recorded run: the command's, 128+N when signal N killed it, 79 when the lock was lost.",
    ),
    (
        "zklock_last_success_timestamp_seconds",
        "When the last successful run (exit status 0) started, by the server's clock; 0 when none is recorded.",
    ),
    (
        "zklock_last_success_duration_seconds",
        "How long the last successful run took.",
    ),
    (
        "zklock_period_seconds",
        "The --once-per period the last run was given: the job is late when its last success is older than about 1.5 of these.",
    ),
];

/// A metric's lines kept in memory up to this, then in a temporary file.
const SPILL: usize = 32 * 1024;

pub(super) struct Metrics {
    lines: Vec<Lines>,
}

/// One metric's samples so far.
#[derive(Default)]
struct Lines {
    memory: String,
    file: Option<File>,
    /// No temporary file could be made: the lines stay in memory, and no other is tried.
    unspilled: bool,
}

impl Lines {
    fn push(&mut self, sample: &str) -> Result<(), Error> {
        self.memory.push_str(sample);
        if self.memory.len() >= SPILL {
            if self.file.is_none() && !self.unspilled {
                self.file = spill_file();
                self.unspilled = self.file.is_none();
            }
            if let Some(file) = &mut self.file {
                file.write_all(self.memory.as_bytes())
                    .map_err(|e| Error::Other(format!("cannot write a temporary file: {e}")))?;
                self.memory.clear();
            }
        }
        Ok(())
    }
}

/// An unlinked file in the temporary directory, or None (the lines then stay in memory).
fn spill_file() -> Option<File> {
    let path = std::env::temp_dir().join(format!(
        "zklock-metrics-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4()
    ));
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)
        .ok()?;
    let _ = std::fs::remove_file(&path);
    Some(file)
}

impl Metrics {
    pub(super) fn new() -> Metrics {
        Metrics {
            lines: METRICS.iter().map(|_| Lines::default()).collect(),
        }
    }

    fn sample(&mut self, metric: usize, labels: &[(&str, &str)], value: &str) -> Result<(), Error> {
        let mut line = String::from(METRICS[metric].0);
        line.push('{');
        for (k, (name, v)) in labels.iter().enumerate() {
            if k > 0 {
                line.push(',');
            }
            let _ = write!(line, "{name}=\"{}\"", label_value(v));
        }
        let _ = writeln!(line, "}} {value}");
        self.lines[metric].push(&line)
    }

    /// A run's start and duration as `metrics` (and its status, when `status` names a
    /// metric), labelled with its path, id and host.
    fn run(
        &mut self,
        metrics: [usize; 2],
        status: Option<usize>,
        path: &str,
        run: &Run,
    ) -> Result<(), Error> {
        let (id, host) = (
            render::data_text(run.id.as_bytes()),
            render::data_text(run.host.as_bytes()),
        );
        let labels = [("path", path), ("id", &id), ("host", &host)];
        self.sample(metrics[0], &labels, &seconds(run.start_ms))?;
        self.sample(metrics[1], &labels, &seconds(run.duration_ms as i64))?;
        if let Some(metric) = status {
            self.sample(metric, &labels, &run.status.to_string())?;
        }
        Ok(())
    }
}

impl Output for Metrics {
    fn dir(&mut self, dir: &Dir) -> Result<(), Error> {
        let path = dir.path.as_str();
        let at = [("path", path)];
        if dir.lock {
            let held = if dir.holders.is_empty() { "0" } else { "1" };
            self.sample(0, &at, held)?;
            self.sample(1, &at, &dir.holders.len().to_string())?;
            self.sample(2, &at, &dir.waiters.to_string())?;
            for (id, ctime) in &dir.holders {
                let id = render::data_text(id);
                self.sample(3, &[("path", path), ("id", &id)], &seconds(*ctime))?;
            }
        }
        match &dir.record {
            Reading::None => {}
            Reading::Unreadable(_) => self.sample(5, &at, "0")?,
            Reading::Record(record) => {
                self.sample(5, &at, "1")?;
                if let Some(n) = record.limit {
                    self.sample(4, &at, &n.to_string())?;
                }
                if let Some(last) = &record.last {
                    self.run([6, 7], Some(8), path, last)?;
                }
                match &record.last_success {
                    Some(success) => self.run([9, 10], None, path, success)?,
                    None if record.last.is_some() => self.sample(9, &at, "0")?,
                    None => {}
                }
                if let Some(period) = record.period_ms {
                    self.sample(11, &at, &seconds(i64::try_from(period).unwrap_or(i64::MAX)))?;
                }
            }
        }
        Ok(())
    }

    fn finish(&mut self, denied: bool) -> Result<i32, Error> {
        for ((name, help), lines) in METRICS.iter().zip(&mut self.lines) {
            if lines.memory.is_empty() && lines.file.is_none() {
                continue;
            }
            out::text(&format!("# HELP {name} {help}\n# TYPE {name} gauge\n"))?;
            if let Some(file) = &mut lines.file {
                file.rewind()
                    .map_err(|e| Error::Other(format!("cannot read a temporary file: {e}")))?;
                let mut chunk = vec![0; 64 * 1024];
                loop {
                    let n = file
                        .read(&mut chunk)
                        .map_err(|e| Error::Other(format!("cannot read a temporary file: {e}")))?;
                    if n == 0 {
                        break;
                    }
                    out::bytes(&chunk[..n])?;
                }
            }
            out::text(&lines.memory)?;
        }
        Ok(super::super::listed(denied))
    }
}

/// Milliseconds as seconds, exactly (`1795000000.123`).
fn seconds(ms: i64) -> String {
    let sign = if ms < 0 { "-" } else { "" };
    let ms = ms.unsigned_abs();
    format!("{sign}{}.{:03}", ms / 1000, ms % 1000)
}

/// A label value as the text format writes it: `\`, `"` and newlines escaped.
fn label_value(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_are_exact() {
        assert_eq!(seconds(1_795_000_000_123), "1795000000.123");
        assert_eq!(seconds(41_200), "41.200");
        assert_eq!(seconds(5), "0.005");
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(label_value(r#"a"b\c"#), r#"a\"b\\c"#);
        assert_eq!(label_value("a\nb"), "a\\nb");
    }
}
