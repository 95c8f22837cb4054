//! `zklock ls`: child names, descendants, data, and a long form that shows a lock's queue.

use std::io::IsTerminal;
use std::time::{Duration, UNIX_EPOCH};

use zookeeper_client::{Acl, Stat};

use crate::acl;
use crate::cli::LsArgs;
use crate::connect::Connection;
use crate::connect::Session;
use crate::diag::Diag;
use crate::error::Error;
use crate::out;
use crate::queue::{self, Role};
use crate::record::Record;
use crate::render::{self, Json};
use crate::znode;

mod holder;
mod long;
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
    if args.path != "/" {
        znode::validate(&args.path, znode::Use::Read)?;
    }
    let session = Session::connect(connection, diag).await?;
    if args.holder {
        let found = queue::holders(&session, &args.path).await;
        session.close(None, diag).await;
        return holder::show_holders(&args, found?);
    }
    // The run record (§2.2) is PATH's own data: read only for -l and --json.
    if !(args.long || args.data || args.json) {
        let streamed = stream(&session, &args, diag).await;
        session.close(None, diag).await;
        // As ls(1): everything readable was listed, each unreadable node named on stderr, and
        // the status says the listing is incomplete.
        return Ok(if streamed? { 77 } else { 0 });
    }
    let record = match args.long || args.json {
        true => Some(session.client.get_data(&args.path)),
        false => None,
    };
    let listed = list(&session, &args, diag).await;
    let record = match record {
        Some(reply) => reply.await.ok().map(|(data, _)| Record::parse(&data).0),
        None => None,
    };
    session.close(None, diag).await;
    let entries = listed?;
    let mut out = String::new();
    if args.json {
        out = json(&args.path, record.as_ref(), &entries).render();
        out.push('\n');
    } else {
        let terminal = std::io::stdout().is_terminal();
        if args.long {
            // The record in words heads the table on a terminal; scripts read `--json`.
            if let Some(last) = record
                .as_ref()
                .and_then(|r| r.last.as_ref())
                .filter(|_| terminal)
            {
                out.push_str(&long::last_run_line(last));
                out.push('\n');
            }
            out.push_str(&long::long_table(&entries, &args, terminal));
        } else {
            for entry in &entries {
                out.push_str(&line(entry, &args));
                out.push('\n');
            }
        }
    }
    out::text(&out)?;
    // As ls(1): everything readable was listed, each unreadable node named on stderr, and
    // the status says the listing is incomplete.
    Ok(if entries.iter().any(|e| e.denied) {
        77
    } else {
        0
    })
}

/// Streams the names (`ls`, `ls -R`) as the walk finds them, flushing every 64 KiB: a
/// listing of any size holds only the current branch. Returns whether a node was unreadable.
async fn stream(session: &Session, args: &LsArgs, diag: &Diag) -> Result<bool, Error> {
    let mut buf = String::new();
    let denied = tree::walk(&session.client, args, false, diag, |found| {
        buf.push_str(if args.recursive {
            &found.path
        } else {
            found.name
        });
        buf.push('\n');
        if buf.len() >= 64 * 1024 {
            out::text(&buf)?;
            buf.clear();
        }
        Ok(())
    })
    .await?;
    out::text(&buf)?;
    Ok(denied)
}

/// Collects every entry with the details `-d`, `-l` and `--json` show.
async fn list(session: &Session, args: &LsArgs, diag: &Diag) -> Result<Vec<Entry>, Error> {
    let client = &session.client;
    let mut entries = Vec::new();
    let roles = args.long || args.json;
    tree::walk(client, args, roles, diag, |found| {
        entries.push(Entry {
            path: found.path,
            name: found.name.to_string(),
            detail: None,
            denied: found.denied,
            acl: None,
            role: found.role,
        });
        Ok(())
    })
    .await?;
    if args.long || args.data || args.json {
        let pending: Vec<_> = entries.iter().map(|e| client.get_data(&e.path)).collect();
        for (entry, detail) in entries.iter_mut().zip(pending) {
            match detail.await {
                Ok(detail) => entry.detail = Some(detail),
                Err(zookeeper_client::Error::NoAuth) => {
                    diag.warn(format_args!("{}: not authorized to read", entry.path));
                    entry.denied = true;
                }
                Err(_) => {}
            }
        }
    }
    if args.long || args.json {
        let pending: Vec<_> = entries.iter().map(|e| client.get_acl(&e.path)).collect();
        for (entry, acl) in entries.iter_mut().zip(pending) {
            entry.acl = acl.await.ok().map(|(acl, _)| acl);
        }
    }
    Ok(entries)
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

fn json(path: &str, record: Option<&Record>, entries: &[Entry]) -> Json {
    let nodes = entries
        .iter()
        .map(|e| {
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
        })
        .collect();
    let record = record.map_or(Json::Null, |r| {
        let last = r.last.as_ref().map_or(Json::Null, |last| {
            let start = UNIX_EPOCH + Duration::from_millis(last.start_ms.max(0) as u64);
            Json::Object(vec![
                ("id", Json::str(&last.id)),
                ("host", Json::str(&last.host)),
                (
                    "start",
                    Json::Str(humantime::format_rfc3339_millis(start).to_string()),
                ),
                ("duration_ms", Json::Int(last.duration_ms as i64)),
                ("status", Json::Int(last.status.into())),
                ("fencing_token", Json::Int(last.fencing_token)),
            ])
        });
        let limit = r.limit.map_or(Json::Null, |n| Json::Int(n.into()));
        Json::Object(vec![("last", last), ("limit", limit)])
    });
    Json::Object(vec![
        ("path", Json::str(path)),
        ("record", record),
        ("nodes", Json::List(nodes)),
    ])
}
