//! `zklock ls`: child names, descendants, data, and a long form that shows a lock's queue.

use std::io::IsTerminal;

use zookeeper_client::{Acl, Stat};

use crate::acl;
use crate::cli::LsArgs;
use crate::connect::{Connection, Session};
use crate::diag::Diag;
use crate::error::Error;
use crate::out;
use crate::queue::{self, Role};
use crate::record::{Record, Run};
use crate::render::{self, Json};
use crate::znode;

mod holder;
mod long;
mod monitor;
mod tree;

/// One listed znode.
pub(super) struct Entry {
    pub(super) path: String,
    pub(super) name: String,
    detail: Option<(Vec<u8>, Stat)>,
    /// Its data could not be read: the ACL denies this session read.
    denied: bool,
    /// Shown by `-l` and `--json`.
    acl: Option<Vec<Acl>>,
    role: Option<Role>,
}

pub async fn run(connection: &Connection, args: LsArgs, diag: &Diag) -> Result<i32, Error> {
    let check = monitor::Check::of(&args)?;
    let path = check.as_ref().and_then(|c| c.path.clone());
    let path = path.as_deref().unwrap_or(&args.path);
    if path != "/" {
        znode::validate(path, znode::Use::Read)?;
    }
    let session = Session::connect(connection, diag).await?;
    let done = if args.holder {
        let found = queue::holders(&session, path).await;
        session.close(None, diag).await;
        return holder::show_holders(&args, found?);
    } else if let Some(check) = check {
        monitor::run(&session, path, &args, check, diag).await
    } else if args.long || args.data || args.json {
        details(&session, path, &args, diag).await
    } else {
        names(&session, path, &args, diag).await
    };
    session.close(None, diag).await;
    done
}

/// As ls(1): everything readable was listed, each unreadable node named on stderr, and the
/// status says the listing is incomplete.
fn listed(denied: bool) -> i32 {
    if denied { 77 } else { 0 }
}

/// Output gathered and written in pieces of about this many bytes.
const FLUSH: usize = 64 * 1024;

/// Streams the names (`ls`, `ls -R`) as the walk finds them, flushing every 64 KiB: a
/// listing of any size holds only the lists along the current branch.
async fn names(session: &Session, path: &str, args: &LsArgs, diag: &Diag) -> Result<i32, Error> {
    let mut walk =
        tree::Walker::new(&session.client, path, args.recursive, false, false, diag).await?;
    let mut buf = String::new();
    while let Some(found) = walk.next().await? {
        buf.push_str(if args.recursive {
            &found.path
        } else {
            &found.name
        });
        buf.push('\n');
        if buf.len() >= FLUSH {
            out::text(&buf)?;
            buf.clear();
        }
    }
    out::text(&buf)?;
    Ok(listed(walk.denied))
}

/// Nodes whose details (data, stat, ACL) are asked for together, then written.
const WINDOW: usize = 1000;

/// `-d`, `-l` and `--json`: the walk's nodes taken `WINDOW` at a time, each window's details
/// asked for at once (pipelined), then written: memory does not grow with the listing (only
/// the names along the current branch are held, as ZooKeeper sends a directory's list whole).
async fn details(session: &Session, path: &str, args: &LsArgs, diag: &Diag) -> Result<i32, Error> {
    let client = &session.client;
    // The run record (§2.2) is PATH's own data: read only for -l and --json.
    let record = match args.long || args.json {
        true => Some(client.get_data(path)),
        false => None,
    };
    let roles = args.long || args.json;
    let mut walk = tree::Walker::new(client, path, args.recursive, roles, false, diag).await?;
    let mut lister = tree::Lister::new(client);
    let record = match record {
        Some(reply) => reply.await.ok().map(|(data, _)| Record::parse(&data).0),
        None => None,
    };
    let terminal = std::io::stdout().is_terminal();
    let mut sink = match (args.json, args.long) {
        (true, _) => Sink::Json { first: true },
        (false, true) => Sink::Long(long::Table::new(terminal)),
        (false, false) => Sink::Lines,
    };
    let mut out = String::new();
    match &sink {
        Sink::Json { .. } => {
            out.push_str(&format!(
                "{{\"path\":{},\"record\":{},\"nodes\":[",
                Json::str(path).render(),
                record.as_ref().map_or(Json::Null, record_json).render()
            ));
        }
        // The record in words heads the table on a terminal; scripts read `--json`.
        Sink::Long(_) => {
            if let Some(last) = record
                .as_ref()
                .and_then(|r| r.last.as_ref())
                .filter(|_| terminal)
            {
                out.push_str(&long::last_run_line(last));
                out.push('\n');
            }
        }
        Sink::Lines => {}
    }
    let mut denied = false;
    let mut window = Vec::with_capacity(WINDOW);
    loop {
        let found = walk.next().await?;
        let end = found.is_none();
        if let Some(found) = found {
            window.push(Entry {
                path: found.path,
                name: found.name,
                detail: None,
                denied: found.denied,
                acl: None,
                role: found.role,
            });
        }
        if window.len() == WINDOW || (end && !window.is_empty()) {
            fill(&mut lister, &mut window, args, diag).await;
            denied |= window.iter().any(|e| e.denied);
            sink.write(&mut out, &window, args);
            window.clear();
            if out.len() >= FLUSH {
                out::text(&out)?;
                out.clear();
            }
        }
        if end {
            break;
        }
    }
    if let Sink::Long(table) = &mut sink {
        table.header_if_empty(&mut out, args);
    }
    if let Sink::Json { .. } = sink {
        out.push_str("]}\n");
    }
    out::text(&out)?;
    Ok(listed(denied || walk.denied))
}

/// How `details` writes each window.
enum Sink {
    Lines,
    Long(long::Table),
    /// One JSON document, its `nodes` written as they come.
    Json {
        first: bool,
    },
}

impl Sink {
    fn write(&mut self, out: &mut String, window: &[Entry], args: &LsArgs) {
        match self {
            Sink::Lines => {
                for entry in window {
                    out.push_str(&line(entry, args));
                    out.push('\n');
                }
            }
            Sink::Long(table) => table.rows(out, window, args),
            Sink::Json { first } => {
                for entry in window {
                    if !std::mem::take(first) {
                        out.push(',');
                    }
                    out.push_str(&node_json(entry).render());
                }
            }
        }
    }
}

/// Asks for every entry's data and stat (batched: a multiRead per thousand on 3.6+) and, for
/// `-l` and `--json`, its ACL (pipelined: multiRead has no getACL).
async fn fill(lister: &mut tree::Lister<'_>, entries: &mut [Entry], args: &LsArgs, diag: &Diag) {
    let client = lister.client;
    let acls: Vec<_> = match args.long || args.json {
        true => entries
            .iter()
            .map(|e| Some(client.get_acl(&e.path)))
            .collect(),
        false => entries.iter().map(|_| None).collect(),
    };
    let paths: Vec<String> = entries.iter().map(|e| e.path.clone()).collect();
    for (entry, detail) in entries.iter_mut().zip(lister.data(&paths).await) {
        match detail {
            Ok(detail) => entry.detail = Some(detail),
            Err(zookeeper_client::Error::NoAuth) => {
                diag.warn(format_args!("{}: not authorized to read", entry.path));
                entry.denied = true;
            }
            Err(_) => {}
        }
    }
    for (entry, acl) in entries.iter_mut().zip(acls) {
        if let Some(acl) = acl {
            entry.acl = acl.await.ok().map(|(acl, _)| acl);
        }
    }
}

fn line(entry: &Entry, args: &LsArgs) -> String {
    let name = if args.recursive {
        &entry.path
    } else {
        &entry.name
    };
    match (&entry.detail, args.data) {
        (Some((data, _)), true) => format!("{name}\t{}", render::data_text(data)),
        _ => name.clone(),
    }
}

/// One node of `ls --json`'s `nodes`.
fn node_json(e: &Entry) -> Json {
    let mut fields = vec![("path", Json::str(&e.path)), ("name", Json::str(&e.name))];
    if e.denied {
        fields.push(("error", Json::str("not authorized to read")));
    }
    if let Some((data, stat)) = &e.detail {
        let (data, encoding) = render::data_json(data);
        let (kind, owner) = match stat.ephemeral_owner {
            0 => ("persistent", Json::Null),
            owner => ("ephemeral", Json::Str(format!("{owner:#x}"))),
        };
        fields.extend([
            ("type", Json::str(kind)),
            ("owner", owner),
            ("version", Json::Int(stat.version.into())),
            ("data_length", Json::Int(stat.data_length.into())),
            ("children", Json::Int(stat.num_children.into())),
            ("czxid", Json::Int(stat.czxid)),
            ("mzxid", Json::Int(stat.mzxid)),
            ("ctime", Json::Str(render::timestamp(stat.ctime))),
            ("mtime", Json::Str(render::timestamp(stat.mtime))),
            ("data", data),
            ("encoding", encoding),
        ]);
    }
    let role = e.role.as_ref();
    // A contender's id is its node's data, written as `data` is (`encoding` says how).
    let id = match (role, &e.detail) {
        (Some(_), Some((data, _))) => render::data_json(data).0,
        _ => Json::Null,
    };
    fields.push(("id", id));
    fields.push((
        "role",
        role.map_or(Json::Null, |r| Json::str(r.kind.name())),
    ));
    fields.push((
        "position",
        role.and_then(|r| r.position)
            .map_or(Json::Null, |k| Json::Int(k.into())),
    ));
    fields.push((
        "acl",
        e.acl.as_ref().map_or(Json::Null, |acl| {
            Json::List(
                acl.iter()
                    .map(|a| {
                        Json::Object(vec![
                            ("scheme", Json::str(a.scheme())),
                            ("id", Json::str(a.id())),
                            ("perms", Json::Str(acl::perms_text(a.permission()))),
                        ])
                    })
                    .collect(),
            )
        }),
    ));
    Json::Object(fields)
}

/// A run of the record, as `ls --json` and `ls --stale --json` write it.
pub(super) fn run_json(run: &Run) -> Json {
    Json::Object(vec![
        ("id", Json::str(&run.id)),
        ("host", Json::str(&run.host)),
        ("start", Json::Str(run.start_text())),
        ("duration_ms", Json::Int(run.duration_ms as i64)),
        ("status", Json::Int(run.status.into())),
        ("fencing_token", Json::Int(run.fencing_token)),
    ])
}

/// The run record (§2.2) as `ls --json` writes it: every field, null when unknown.
fn record_json(r: &Record) -> Json {
    let run = |run: Option<&Run>| run.map_or(Json::Null, run_json);
    Json::Object(vec![
        ("last", run(r.last.as_ref())),
        ("last_success", run(r.last_success.as_ref())),
        (
            "history",
            Json::List(r.history.iter().map(run_json).collect()),
        ),
        (
            "period_ms",
            r.period_ms.map_or(Json::Null, |p| {
                Json::Int(i64::try_from(p).unwrap_or(i64::MAX))
            }),
        ),
        ("limit", r.limit.map_or(Json::Null, |n| Json::Int(n.into()))),
    ])
}
