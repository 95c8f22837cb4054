//! `ls --prometheus` and `ls --stale` (SPEC §2.3): the walk reads every lock, election and
//! semaphore directory and run record at PATH and below it, a window of directories at a
//! time, and hands each to the output it was asked for.
//!
//! A window of `WINDOW` directories costs two round trips, whatever its size: every record
//! (the directory's data) at once, then every holder's node (its id and since when) at once
//! (with the semaphores' `leases` and `locks` lists in the first). Contender nodes are never
//! directories (they are ephemeral), so they are not read as such.

use std::collections::HashSet;
use std::time::Duration;

use zookeeper_client::Error as ZkError;

use super::tree::{Lister, Walker};
use crate::cli::LsArgs;
use crate::connect::Session;
use crate::diag::Diag;
use crate::error::Error;
use crate::queue;
use crate::recipe;
use crate::record::{self, Record};
use crate::znode;

mod prometheus;
mod stale;

/// What `ls --prometheus` or `ls --stale` was asked.
pub struct Check {
    /// `--stale /path`: the word after `--stale` was the PATH, not a DURATION.
    pub path: Option<String>,
    kind: Kind,
}

enum Kind {
    Prometheus,
    Stale { within: Option<Duration> },
}

impl Check {
    /// Reads `--prometheus` and `--stale [DURATION]`; None for every other `ls`.
    pub fn of(args: &LsArgs) -> Result<Option<Check>, Error> {
        if args.prometheus {
            return Ok(Some(Check {
                path: None,
                kind: Kind::Prometheus,
            }));
        }
        let Some(word) = &args.stale else {
            return Ok(None);
        };
        // Znode paths start with `/`, durations never do: `ls --stale /locks` names the path.
        let (path, within) = match word.as_str() {
            "" => (None, None),
            w if w.starts_with('/') && args.path == "/" => (Some(w.to_string()), None),
            w if w.starts_with('/') => {
                return Err(Error::Usage(format!(
                    "--stale {w}: a DURATION (e.g. 36h) or nothing, then PATH {}",
                    args.path
                )));
            }
            w => {
                let d = crate::duration::parse(w)
                    .map_err(|why| Error::Usage(format!("--stale {w}: {why}")))?;
                (None, Some(d))
            }
        };
        Ok(Some(Check {
            path,
            kind: Kind::Stale { within },
        }))
    }
}

/// A directory the walk found, with what was read of it.
pub(super) struct Dir {
    pub path: String,
    kids: Vec<String>,
    shape: Shape,
    /// Its data read as a run record.
    pub record: Reading,
    /// The contenders that hold it: (id, ctime).
    pub holders: Vec<(Vec<u8>, i64)>,
    pub waiters: usize,
    /// A lock, election or semaphore directory (it has contenders or leases, or a record).
    pub lock: bool,
}

#[derive(Clone, Copy, PartialEq)]
enum Shape {
    /// Curator's and zklock's semaphore: `leases` and `locks` below it.
    Semaphore,
    /// Lock, read/write lock or election contenders in it.
    Queue,
    Plain,
}

/// A directory's data.
pub(super) enum Reading {
    None,
    Record(Box<Record>),
    /// Data that claims to be a record, or is a lock directory's, and is not one.
    Unreadable(String),
}

/// Directories read together.
const WINDOW: usize = 500;

pub async fn run(
    session: &Session,
    path: &str,
    args: &LsArgs,
    check: Check,
    diag: &Diag,
) -> Result<i32, Error> {
    let client = &session.client;
    let mut walk = Walker::new(client, path, args.recursive, false, true, diag).await?;
    let mut lister = Lister::new(client);
    let mut out: Box<dyn Output> = match check.kind {
        Kind::Prometheus => Box::new(prometheus::Metrics::new()),
        Kind::Stale { within } => Box::new(stale::Report::new(within, args.json, diag)),
    };
    // A semaphore's `leases` and `locks` are read with it, not as directories of their own.
    let mut inside = HashSet::new();
    // A node whose data this session may not read (its list was readable).
    let mut denied = false;
    let mut window = vec![dir(
        path.to_string(),
        walk.top_names().to_vec(),
        &mut inside,
    )];
    loop {
        let found = walk.next().await?;
        let end = found.is_none();
        if let Some(found) = found {
            let contender = recipe::queue_sequence(&found.name).is_some();
            if !found.denied && !contender && !inside.remove(&found.path) {
                window.push(dir(found.path, found.kids, &mut inside));
            }
        }
        if window.len() >= WINDOW || end {
            denied |= read(&mut lister, &mut window, diag).await;
            for d in window.drain(..) {
                if d.lock || !matches!(d.record, Reading::None) {
                    out.dir(&d)?;
                }
            }
        }
        if end {
            break;
        }
    }
    out.finish(denied || walk.denied)
}

/// What a monitor writes: each directory as it comes, then the end; returns the exit status.
trait Output {
    fn dir(&mut self, dir: &Dir) -> Result<(), Error>;
    fn finish(&mut self, denied: bool) -> Result<i32, Error>;
}

fn dir(path: String, kids: Vec<String>, inside: &mut HashSet<String>) -> Dir {
    let contenders = kids.iter().any(|k| recipe::queue_sequence(k).is_some());
    let shape = if contenders {
        Shape::Queue
    } else if kids.iter().any(|k| k == "leases") {
        inside.insert(znode::child(&path, "leases"));
        inside.insert(znode::child(&path, "locks"));
        Shape::Semaphore
    } else {
        Shape::Plain
    };
    Dir {
        path,
        kids,
        lock: shape != Shape::Plain,
        shape,
        record: Reading::None,
        holders: Vec::new(),
        waiters: 0,
    }
}

/// Reads every directory's data (and a semaphore's two lists), then every holder's node:
/// two round trips for the window.
async fn read(lister: &mut Lister<'_>, window: &mut [Dir], diag: &Diag) -> bool {
    let mut denied = false;
    let paths: Vec<String> = window.iter().map(|d| d.path.clone()).collect();
    let mut lists = Vec::new();
    for d in window.iter().filter(|d| d.shape == Shape::Semaphore) {
        lists.push(znode::child(&d.path, "leases"));
        lists.push(znode::child(&d.path, "locks"));
    }
    let (data, lists) = match lists.is_empty() {
        true => (lister.data(&paths).await, Vec::new()),
        false => {
            let data = lister.data(&paths).await;
            let lists = lister.children(&lists).await.unwrap_or_default();
            (data, lists)
        }
    };
    let mut lists = lists.into_iter();
    let mut limits = Vec::with_capacity(window.len());
    for (d, reply) in window.iter_mut().zip(data) {
        let data = match reply {
            Ok((data, _)) => data,
            Err(ZkError::NoAuth) => {
                diag.warn(format_args!("{}: not authorized to read", d.path));
                d.record = Reading::Unreadable("not authorized to read".into());
                denied = true;
                limits.push(None);
                continue;
            }
            // Gone since it was listed.
            Err(_) => Vec::new(),
        };
        let (record, problem) = Record::parse(&data);
        limits.push(record.limit);
        d.record = match problem {
            None if record == Record::default() => Reading::None,
            None => Reading::Record(Box::new(record)),
            Some(why) if !record.holds_no_run() => {
                diag.warn(format_args!(
                    "{}: part of its run record is unreadable: {why}",
                    d.path
                ));
                Reading::Record(Box::new(record))
            }
            Some(why) if d.lock || record::claims_to_be_one(&data) => {
                diag.warn(format_args!(
                    "{}: its run record is unreadable: {why}",
                    d.path
                ));
                Reading::Unreadable(why)
            }
            // Another tool's data in a node that is no lock directory.
            Some(_) => Reading::None,
        };
        if matches!(d.record, Reading::Record(_)) {
            d.lock = true;
        }
    }
    // Who holds each: their nodes asked for at once.
    let mut holding = Vec::new();
    let mut owners = Vec::new();
    for (k, (d, limit)) in window.iter_mut().zip(limits).enumerate() {
        let (dir, names, waiting_for_mutex) = match d.shape {
            Shape::Semaphore => {
                let leases = lists.next().and_then(Result::ok).unwrap_or_default();
                let locks = lists.next().and_then(Result::ok).unwrap_or_default();
                (
                    znode::child(&d.path, "leases"),
                    leases,
                    Some(recipe::contenders_among(&locks).len()),
                )
            }
            _ => (d.path.clone(), std::mem::take(&mut d.kids), None),
        };
        let mut waiting = 0;
        for (name, role) in queue::roles(&names, limit) {
            match role.holds() {
                true => {
                    holding.push(znode::child(&dir, &name));
                    owners.push(k);
                }
                false => waiting += 1,
            }
        }
        // A semaphore's waiters: leases past N (each holds the mutex while it waits) and
        // whoever waits for the mutex; the mutex's holder is usually one of the former.
        d.waiters = waiting.max(waiting_for_mutex.unwrap_or(0));
    }
    for (k, reply) in owners.into_iter().zip(lister.data(&holding).await) {
        // One that left between the list and the read no longer holds.
        if let Ok((id, stat)) = reply {
            window[k].holders.push((id, stat.ctime));
        }
    }
    for d in window.iter_mut() {
        d.holders.sort_by_key(|(_, ctime)| *ctime);
    }
    denied
}
