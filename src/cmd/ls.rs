//! `zklock ls`: child names, descendants, data, and a long form that shows a lock's queue.

use std::collections::HashMap;
use std::time::{Duration, UNIX_EPOCH};

use zookeeper_client::{Acl, Stat};

use crate::acl;
use crate::cli::LsArgs;
use crate::connect::Connection;
use crate::connect::Session;
use crate::diag::Diag;
use crate::error::{Error, Perm};
use crate::out;
use crate::recipe;
use crate::record::{self, LastRun, Record};
use crate::render::{self, Json};
use crate::znode;

/// One listed znode.
struct Entry {
    path: String,
    name: String,
    detail: Option<(Vec<u8>, Stat)>,
    /// Its data could not be read: the ACL denies this session read.
    denied: bool,
    /// Shown by `-l` and `--json`.
    acl: Option<Vec<Acl>>,
    role: Option<String>,
}

pub async fn run(connection: &Connection, args: LsArgs, diag: &Diag) -> Result<i32, Error> {
    if args.path != "/" {
        znode::validate(&args.path, znode::Use::Read)?;
    }
    let session = Session::connect(connection, diag).await?;
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
        if let Some(last) = record.as_ref().and_then(|r| r.last.as_ref()) {
            out.push_str(&last_run_line(last));
            out.push('\n');
        }
        for entry in &entries {
            out.push_str(&line(entry, &args));
            out.push('\n');
        }
    }
    out::text(&out)?;
    // As ls(1): everything readable was listed, each unreadable node named on stderr, and
    // the status says the listing is incomplete.
    Ok(if entries.iter().any(|e| e.denied) { 77 } else { 0 })
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
            sort_queue_last(&mut names);
            // A semaphore's leases are read against its N, recorded in the directory above.
            let limit = if names.iter().any(|n| recipe::lease_sequence(n).is_some()) {
                let semaphore = znode::parent(&parent);
                let data = client.get_data(semaphore).await.ok();
                data.and_then(|(data, _)| Record::parse(&data).0.limit)
            } else {
                None
            };
            let roles = roles(&names, limit);
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

/// Sorts by name, except that lock and election contenders and semaphore leases come last in
/// queue order (by sequence, which their uuid-prefixed names do not sort by).
fn sort_queue_last(names: &mut [String]) {
    let key = |name: &String| {
        let seq = recipe::contenders(vec![name.clone()])
            .first()
            .map(|c| c.seq)
            .or_else(|| recipe::lease_sequence(name));
        (seq.is_some(), seq, name.clone())
    };
    names.sort_by_cached_key(key);
}

/// holder/leader, reader and waiting #k for the contenders among `names`, by sequence; for a
/// semaphore's leases, `lease k/N` for the first N (`lease k` when N is not recorded) and
/// `waiting #j` after them: the lease of the contender that holds the mutex while it waits.
fn roles(names: &[String], limit: Option<u32>) -> HashMap<String, String> {
    let mut leases: Vec<(i64, &String)> = names
        .iter()
        .filter_map(|n| Some((recipe::lease_sequence(n)?, n)))
        .collect();
    leases.sort();
    let lease_roles = leases.into_iter().zip(1..).map(move |((_, name), k)| {
        let role = match limit {
            Some(n) if k <= n => format!("lease {k}/{n}"),
            Some(n) => format!("waiting #{}", k - n),
            None => format!("lease {k}"),
        };
        (name.clone(), role)
    });
    let queue = recipe::contenders(names.to_vec());
    (0..queue.len())
        .map(|k| {
            let c = &queue[k];
            let role = match recipe::blocker(&queue, k) {
                Some(_) => format!("waiting #{k}"),
                None if c.shared => "reader".to_string(),
                None if c.name.contains("-latch-") => "leader".to_string(),
                None => "holder".to_string(),
            };
            (c.name.clone(), role)
        })
        .chain(lease_roles)
        .collect()
}

fn line(entry: &Entry, args: &LsArgs) -> String {
    let name = if args.recursive {
        &entry.path
    } else {
        &entry.name
    };
    let data = entry
        .detail
        .as_ref()
        .map(|(d, _)| render::data_text(d))
        .unwrap_or_default();
    if !args.long {
        return if args.data {
            format!("{name}\t{data}")
        } else {
            name.clone()
        };
    }
    // Reading an ACL needs read (or admin) too, so it is usually unknown for a denied node.
    let acl = entry
        .acl
        .as_deref()
        .map(|a| format!("  acl={}", acl::list_text(a)))
        .unwrap_or_default();
    let Some((_, stat)) = &entry.detail else {
        if entry.denied {
            return format!("{:<10} {name} (not authorized to read){acl}", "-");
        }
        return format!("{:<10} {name} (deleted while listing)", "-");
    };
    let (kind, owner) = if stat.ephemeral_owner != 0 {
        ("ephemeral", format!("{:#x}", stat.ephemeral_owner))
    } else {
        ("persistent", "-".to_string())
    };
    let mut text = format!(
        "{kind:<10} {owner:<18} v{:<4} {:>6}B {:>4} {} {name}",
        stat.version,
        stat.data_length,
        stat.num_children,
        render::timestamp(stat.mtime)
    );
    if let Some(role) = &entry.role {
        let _ = std::fmt::Write::write_fmt(
            &mut text,
            format_args!("  {role}  id={data}  age={}", render::age(stat.ctime)),
        );
    } else if args.data {
        text.push('\t');
        text.push_str(&data);
    }
    text.push_str(&acl);
    text
}

/// `ls -l PATH`'s first line when PATH holds a run record: the last run in words.
fn last_run_line(last: &LastRun) -> String {
    let start = UNIX_EPOCH + Duration::from_millis(last.start_ms.max(0) as u64);
    format!(
        "last run  {}, {}, fencing token {}",
        humantime::format_rfc3339_seconds(start),
        last.describe(record::local_now_ms()),
        last.fencing_token
    )
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
                let ephemeral = stat.ephemeral_owner != 0;
                fields.extend([
                    (
                        "type",
                        Json::str(if ephemeral { "ephemeral" } else { "persistent" }),
                    ),
                    (
                        "owner",
                        if ephemeral {
                            Json::Str(format!("{:#x}", stat.ephemeral_owner))
                        } else {
                            Json::Null
                        },
                    ),
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
            fields.push(("role", e.role.as_ref().map_or(Json::Null, Json::str)));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leases_are_read_against_the_recorded_limit() {
        let names: Vec<String> = [
            "_c_cc-lease-0000000007",
            "_c_aa-lease-0000000003",
            "_c_bb-lease-0000000005",
        ]
        .map(String::from)
        .to_vec();
        let roles_of = |limit| {
            let roles = roles(&names, limit);
            ["aa", "bb", "cc"].map(|who| {
                let name = names.iter().find(|n| n.contains(who)).expect("name");
                roles[name].clone()
            })
        };
        assert_eq!(roles_of(Some(2)), ["lease 1/2", "lease 2/2", "waiting #1"]);
        assert_eq!(roles_of(Some(3)), ["lease 1/3", "lease 2/3", "lease 3/3"]);
        assert_eq!(roles_of(None), ["lease 1", "lease 2", "lease 3"]);
    }

    #[test]
    fn contenders_sort_last_in_queue_order() {
        let mut names: Vec<String> = [
            "_c_ff-lock-0000000001",
            "config",
            "_c_aa-lock-0000000002",
            "x__lock__0000000000",
            "b",
        ]
        .map(String::from)
        .to_vec();
        sort_queue_last(&mut names);
        assert_eq!(
            names,
            [
                "b",
                "config",
                "x__lock__0000000000",
                "_c_ff-lock-0000000001",
                "_c_aa-lock-0000000002"
            ]
        );
    }
}
