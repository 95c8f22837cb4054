//! `ls --holder`: is it held, and by whom, with a status a script can test.

use zookeeper_client::Stat;

use crate::cli::LsArgs;
use crate::connect::Session;
use crate::error::{Error, Perm};
use crate::out;
use crate::queue::{self, Role};
use crate::recipe;
use crate::record::Record;
use crate::render::{self, Json};
use crate::znode;

/// One holder of a lock, read lock, lease or leadership, for `ls --holder`.
pub(super) struct Holder {
    path: String,
    id: Vec<u8>,
    stat: Stat,
    role: Role,
}

/// Who holds `path` now: the contenders whose role holds it, in queue order, or the leases of
/// a semaphore (`PATH/leases`, read against its recorded N). A missing path is held by nobody.
pub(super) async fn holders(session: &Session, path: &str) -> Result<Vec<Holder>, Error> {
    let client = &session.client;
    let list = |dir: &str| {
        let dir = dir.to_string();
        async move {
            match client.list_children(&dir).await {
                Ok(names) => Ok(names),
                Err(zookeeper_client::Error::NoNode) => Ok(Vec::new()),
                Err(e) => Err(Error::denied(&dir, Perm::Read, e)),
            }
        }
    };
    let mut dir = path.to_string();
    let mut names = list(&dir).await?;
    let mut limit = None;
    if recipe::contenders(names.clone()).is_empty() && names.iter().any(|n| n == "leases") {
        limit = match client.get_data(path).await {
            Ok((data, _)) => Record::parse(&data).0.limit,
            Err(_) => None,
        };
        dir = znode::child(path, "leases");
        names = list(&dir).await?;
    }
    queue::sort_queue_last(&mut names);
    let roles = queue::roles(&names, limit);
    let holding: Vec<(String, Role)> = names
        .into_iter()
        .filter_map(|n| Some((n.clone(), roles.get(&n).filter(|r| r.holds())?.clone())))
        .collect();
    let pending: Vec<_> = holding
        .iter()
        .map(|(name, _)| client.get_data(&znode::child(&dir, name)))
        .collect();
    let mut found = Vec::new();
    for ((name, role), reply) in holding.into_iter().zip(pending) {
        // One that left between the list and the read no longer holds.
        if let Ok((id, stat)) = reply.await {
            let path = znode::child(&dir, &name);
            found.push(Holder {
                path,
                id,
                stat,
                role,
            });
        }
    }
    Ok(found)
}

/// Each holder's id a line (or one JSON document); status 0, or 3 when nobody holds it.
pub(super) fn show_holders(args: &LsArgs, found: Vec<Holder>) -> Result<i32, Error> {
    if args.json {
        let holders = found
            .iter()
            .map(|h| {
                Json::Object(vec![
                    ("path", Json::str(&h.path)),
                    ("id", Json::Str(String::from_utf8_lossy(&h.id).into_owned())),
                    ("ctime", Json::Str(render::timestamp(h.stat.ctime))),
                    ("role", Json::str(h.role.kind.name())),
                    (
                        "position",
                        h.role.position.map_or(Json::Null, |k| Json::Int(k.into())),
                    ),
                ])
            })
            .collect();
        let doc = Json::Object(vec![
            ("path", Json::str(&args.path)),
            ("holders", Json::List(holders)),
        ]);
        out::line(doc.render())?;
    } else {
        let mut text = String::new();
        for h in &found {
            text.push_str(&render::data_text(&h.id));
            text.push('\n');
        }
        out::text(&text)?;
    }
    if found.is_empty() {
        return Err(Error::Vacant(format!("{}: not held", args.path)));
    }
    Ok(0)
}
