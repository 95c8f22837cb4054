//! `zklock ls`: child names, descendants, data, and a long form that shows a lock's queue.

use std::io::IsTerminal;
use std::time::{Duration, UNIX_EPOCH};

use zookeeper_client::{Acl, Stat};

use crate::acl;
use crate::cli::LsArgs;
use crate::connect::Connection;
use crate::connect::Session;
use crate::diag::Diag;
use crate::error::{Error, Perm};
use crate::out;
use crate::queue::{self, Role};
use crate::recipe;
use crate::record::Record;
use crate::render::{self, Json};
use crate::znode;

mod holder;
mod long;

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

async fn list(session: &Session, args: &LsArgs, diag: &Diag) -> Result<Vec<Entry>, Error> {
    let client = &session.client;
    let mut entries = Vec::new();
    let mut level = vec![args.path.clone()];
    while !level.is_empty() {
        // Requests go out when called, so issuing a whole level before awaiting pipelines it.
        let pending: Vec<_> = level
            .iter()
            .map(|p| (p.clone(), client.list_children(p)))
            .collect();
        let mut next = Vec::new();
        for (parent, children) in pending {
            let mut names = match children.await {
                Ok(names) => names,
                // A node deleted between two levels of -R is not an error.
                Err(zookeeper_client::Error::NoNode) if parent != args.path => continue,
                // Nor one below that this session may not read: the rest is still listed.
                Err(zookeeper_client::Error::NoAuth) if parent != args.path => {
                    diag.warn(format_args!(
                        "{parent}: not authorized to list its children"
                    ));
                    if let Some(entry) = entries.iter_mut().find(|e: &&mut Entry| e.path == parent)
                    {
                        entry.denied = true;
                    }
                    continue;
                }
                // `ls` of `/` under a chroot that does not exist: name the chroot.
                Err(zookeeper_client::Error::NoNode)
                    if parent == "/" && client.path().len() > 1 =>
                {
                    return Err(Error::NoSuchZnode(format!(
                        "{} (the chroot of --servers)",
                        client.path()
                    )));
                }
                Err(e) => return Err(Error::denied(&parent, Perm::Read, e)),
            };
            queue::sort_queue_last(&mut names);
            // A semaphore's leases are read against its N, recorded in the directory above.
            let limit = if names.iter().any(|n| recipe::lease_sequence(n).is_some()) {
                let semaphore = znode::parent(&parent);
                let data = client.get_data(semaphore).await.ok();
                data.and_then(|(data, _)| Record::parse(&data).0.limit)
            } else {
                None
            };
            let roles = queue::roles(&names, limit);
            for name in names {
                let path = znode::child(&parent, &name);
                if args.recursive {
                    next.push(path.clone());
                }
                let role = roles.get(&name).cloned();
                entries.push(Entry {
                    path,
                    name,
                    detail: None,
                    denied: false,
                    acl: None,
                    role,
                });
            }
        }
        level = next;
    }
    if args.recursive {
        entries.sort_by(|a, b| a.path.cmp(&b.path));
    }
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
            // A contender's id is its node's data (the exact text; `data` has the bytes).
            let id = match (role, &e.detail) {
                (Some(_), Some((data, _))) => Json::Str(String::from_utf8_lossy(data).into_owned()),
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
