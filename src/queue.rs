//! Who is where in a lock, election or semaphore directory: each contender's role and place
//! in line, as `ls` shows them, and who holds it, as `ls --holder` and `-v` say (SPEC §2.1,
//! §5.1).

use std::collections::HashMap;
use std::fmt;

use zookeeper_client::Stat;

use crate::connect::Session;
use crate::error::{Error, Perm};
use crate::recipe;
use crate::record::Record;
use crate::znode;

/// A contender's role; `position` is its place in line for `Waiting` (1 = next) and its lease
/// number for `Lease`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    pub kind: Kind,
    pub position: Option<u32>,
    /// A semaphore's N, when recorded.
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Holder,
    Leader,
    Reader,
    Lease,
    Waiting,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Holder => "holder",
            Kind::Leader => "leader",
            Kind::Reader => "reader",
            Kind::Lease => "lease",
            Kind::Waiting => "waiting",
        }
    }
}

impl Role {
    fn new(kind: Kind, position: Option<u32>, limit: Option<u32>) -> Role {
        Role {
            kind,
            position,
            limit,
        }
    }

    /// Holds what the directory guards (a lock, a leadership, a read lock or a lease).
    pub fn holds(&self) -> bool {
        self.kind != Kind::Waiting
    }
}

/// `holder`, `waiting 2`, `lease 1/3` (`lease 1` when N is not recorded).
impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.name())?;
        match (self.position, self.limit) {
            (Some(k), Some(n)) if self.kind == Kind::Lease => write!(f, " {k}/{n}"),
            (Some(k), _) => write!(f, " {k}"),
            (None, _) => Ok(()),
        }
    }
}

/// The roles of the contenders among `names`, by sequence: holder or leader, reader, and
/// waiting k; for a semaphore's leases, `lease k` for the first N (all when N, `limit`, is
/// not recorded) and `waiting j` after them: the lease of the contender that holds the mutex
/// while it waits.
pub fn roles(names: &[String], limit: Option<u32>) -> HashMap<String, Role> {
    let mut leases: Vec<(i64, &String)> = names
        .iter()
        .filter_map(|n| Some((recipe::lease_sequence(n)?, n)))
        .collect();
    leases.sort();
    let lease_roles = leases.into_iter().zip(1..).map(move |((_, name), k)| {
        let role = match limit {
            Some(n) if k > n => Role::new(Kind::Waiting, Some(k - n), None),
            _ => Role::new(Kind::Lease, Some(k), limit),
        };
        (name.clone(), role)
    });
    let queue = recipe::contenders_among(names);
    (0..queue.len())
        .map(|k| {
            let c = &queue[k];
            let role = match recipe::blocker(&queue, k) {
                Some(_) => Role::new(Kind::Waiting, u32::try_from(k).ok(), None),
                None if c.shared => Role::new(Kind::Reader, None, None),
                None if c.name.contains("-latch-") => Role::new(Kind::Leader, None, None),
                None => Role::new(Kind::Holder, None, None),
            };
            (c.name.clone(), role)
        })
        .chain(lease_roles)
        .collect()
}

/// Sorts by name, except that lock and election contenders and semaphore leases come last in
/// queue order (by sequence, which their uuid-prefixed names do not sort by).
pub fn sort_queue_last(names: &mut Vec<String>) {
    names.sort_unstable();
    // Only the contenders and leases move (in name order, then by sequence, stably): a
    // directory of 200,000 plain names needs no key for each.
    let mut queue: Vec<String> = names
        .extract_if(.., |name| recipe::queue_sequence(name).is_some())
        .collect();
    queue.sort_by_cached_key(|name| sort_key(name));
    names.append(&mut queue);
}

/// What `sort_queue_last` sorts by after the name: contenders and leases last, by sequence.
pub fn sort_key(name: &str) -> (bool, i64) {
    recipe::queue_sequence(name).map_or((false, 0), |s| (true, s))
}

/// One holder of a lock, read lock, lease or leadership (`ls --holder`, `-v` on a conflict).
pub struct Holder {
    pub path: String,
    /// Its node's data: the holder's id.
    pub id: Vec<u8>,
    pub stat: Stat,
    pub role: Role,
}

/// Who holds `path` now: the contenders whose role holds it, in queue order, or the leases of
/// a semaphore (`PATH/leases`, read against its recorded N). A missing path is held by nobody.
pub async fn holders(session: &Session, path: &str) -> Result<Vec<Holder>, Error> {
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
    if recipe::contenders_among(&names).is_empty() && names.iter().any(|n| n == "leases") {
        limit = match client.get_data(path).await {
            Ok((data, _)) => Record::parse(&data).0.limit,
            Err(_) => None,
        };
        dir = znode::child(path, "leases");
        names = list(&dir).await?;
    }
    sort_queue_last(&mut names);
    let by_name = roles(&names, limit);
    let holding: Vec<(String, Role)> = names
        .into_iter()
        .filter_map(|n| Some((n.clone(), by_name.get(&n).filter(|r| r.holds())?.clone())))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn leases_are_read_against_the_recorded_limit() {
        let names = names(&[
            "_c_cc-lease-0000000007",
            "_c_aa-lease-0000000003",
            "_c_bb-lease-0000000005",
        ]);
        let roles_of = |limit| {
            let roles = roles(&names, limit);
            ["aa", "bb", "cc"].map(|who| {
                let name = names.iter().find(|n| n.contains(who)).expect("name");
                roles[name].to_string()
            })
        };
        assert_eq!(roles_of(Some(2)), ["lease 1/2", "lease 2/2", "waiting 1"]);
        assert_eq!(roles_of(Some(3)), ["lease 1/3", "lease 2/3", "lease 3/3"]);
        assert_eq!(roles_of(None), ["lease 1", "lease 2", "lease 3"]);
    }

    #[test]
    fn readers_share_and_writers_queue() {
        let names = names(&[
            "_c_a-__READ__0000000001",
            "_c_b-__READ__0000000002",
            "_c_c-__WRIT__0000000003",
            "_c_d-__READ__0000000004",
        ]);
        let roles = roles(&names, None);
        let shown: Vec<String> = names.iter().map(|n| roles[n].to_string()).collect();
        assert_eq!(shown, ["reader", "reader", "waiting 2", "waiting 3"]);
        assert!(roles[&names[0]].holds() && !roles[&names[2]].holds());
    }

    #[test]
    fn contenders_sort_last_in_queue_order() {
        let mut names = names(&[
            "_c_ff-lock-0000000001",
            "config",
            "_c_aa-lock-0000000002",
            "x__lock__0000000000",
            "b",
        ]);
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
