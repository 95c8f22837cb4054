//! Walking a subtree for `ls` and `ls -R`, in tree order (each node followed by its
//! descendants, siblings as `ls` orders them), with each node handed on as soon as it is
//! known, so `ls -R` prints as it goes and holds only the lists along the current branch.
//!
//! The child lists of all the siblings of a directory are asked for at once: batched into
//! multiRead requests (ZooKeeper 3.6+), or, where the server lacks them, pipelined one
//! getChildren each. The server's cost is per request, so a batch of a thousand lists costs
//! it little more than one.

use zookeeper_client::{Client, Error as ZkError, MultiReadResult};

use crate::cli::LsArgs;
use crate::diag::Diag;
use crate::error::{Error, Perm};
use crate::queue::{self, Role};
use crate::recipe;
use crate::record::Record;
use crate::znode;

/// Child lists asked for in one multiRead request.
const BATCH: usize = 1000;

/// One node as the walk finds it.
pub(super) struct Found<'a> {
    pub path: String,
    pub name: &'a str,
    /// Its place in a lock's queue (asked for only with `roles`).
    pub role: Option<Role>,
    /// This session may not list its children.
    pub denied: bool,
}

/// Asks for many child lists at once.
struct Lister<'a> {
    client: &'a Client,
    /// Cleared when the server answers a multiRead with "unimplemented" (before 3.6).
    multi: bool,
}

type Listing = Result<Vec<String>, ZkError>;

impl Lister<'_> {
    async fn children(&mut self, paths: &[String]) -> Result<Vec<Listing>, ZkError> {
        if self.multi && std::env::var_os("ZKLOCK_TEST_NO_MULTIREAD").is_none() {
            match self.batched(paths).await {
                Err(ZkError::Unimplemented) => self.multi = false,
                done => return done,
            }
        }
        // Requests go out when called: every one is sent before any answer is awaited.
        let pending: Vec<_> = paths.iter().map(|p| self.client.list_children(p)).collect();
        let mut lists = Vec::with_capacity(paths.len());
        for reply in pending {
            lists.push(reply.await);
        }
        Ok(lists)
    }

    async fn batched(&self, paths: &[String]) -> Result<Vec<Listing>, ZkError> {
        let mut pending = Vec::new();
        for chunk in paths.chunks(BATCH) {
            let mut reader = self.client.new_multi_reader();
            for path in chunk {
                reader.add_get_children(path)?;
            }
            pending.push(reader.commit());
        }
        let mut lists = Vec::with_capacity(paths.len());
        for reply in pending {
            for result in reply.await? {
                lists.push(match result {
                    MultiReadResult::Children { children } => Ok(children),
                    MultiReadResult::Error { err } => Err(err),
                    MultiReadResult::Data { .. } => Err(ZkError::UnexpectedError(
                        "multiRead answered a child list with data".into(),
                    )),
                    _ => Err(ZkError::UnexpectedError("unknown multiRead answer".into())),
                });
            }
        }
        Ok(lists)
    }
}

/// A directory being walked: its children in order, each one's own child list, and how far
/// the walk has come.
struct Frame {
    dir: String,
    names: Vec<String>,
    roles: std::collections::HashMap<String, Role>,
    lists: Vec<Listing>,
    next: usize,
}

/// Calls `visit` for each child of `args.path` (every descendant with `-R`), in tree order.
/// Returns whether some node's children could not be listed (named on stderr; `ls` then
/// exits 77 after listing the rest).
pub(super) async fn walk(
    client: &Client,
    args: &LsArgs,
    roles: bool,
    diag: &Diag,
    mut visit: impl FnMut(Found) -> Result<(), Error>,
) -> Result<bool, Error> {
    let mut lister = Lister {
        client,
        multi: true,
    };
    let root = match client.list_children(&args.path).await {
        Ok(names) => names,
        // `ls` of `/` under a chroot that does not exist: name the chroot.
        Err(ZkError::NoNode) if args.path == "/" && client.path().len() > 1 => {
            return Err(Error::NoSuchZnode(format!(
                "{} (the chroot of --servers)",
                client.path()
            )));
        }
        Err(e) => return Err(Error::denied(&args.path, Perm::Read, e)),
    };
    let mut denied = false;
    let mut stack = vec![frame(&mut lister, &args.path, root, args.recursive, roles).await?];
    while let Some(top) = stack.last_mut() {
        let Some(name) = top.names.get(top.next) else {
            stack.pop();
            continue;
        };
        let k = top.next;
        top.next += 1;
        let path = znode::child(&top.dir, name);
        let kids = match top.lists.get_mut(k) {
            Some(Ok(kids)) => std::mem::take(kids),
            // A node deleted between two levels of -R is not an error.
            Some(Err(ZkError::NoNode)) | None => Vec::new(),
            // Nor one that this session may not read: the rest is still listed.
            Some(Err(ZkError::NoAuth)) => {
                diag.warn(format_args!("{path}: not authorized to list its children"));
                denied = true;
                visit(Found {
                    path,
                    name,
                    role: top.roles.get(name).cloned(),
                    denied: true,
                })?;
                continue;
            }
            Some(Err(e)) => return Err(Error::denied(&path, Perm::Read, e.clone())),
        };
        visit(Found {
            path: path.clone(),
            name,
            role: top.roles.get(name).cloned(),
            denied: false,
        })?;
        if !kids.is_empty() {
            let below = frame(&mut lister, &path, kids, true, roles).await?;
            stack.push(below);
        }
    }
    Ok(denied)
}

/// The frame of `dir`, whose children are `names`: sorted as `ls` shows them, and, with
/// `deeper`, each one's own child list asked for.
async fn frame(
    lister: &mut Lister<'_>,
    dir: &str,
    mut names: Vec<String>,
    deeper: bool,
    roles: bool,
) -> Result<Frame, Error> {
    queue::sort_queue_last(&mut names);
    let lists = match deeper {
        true => {
            let paths: Vec<String> = names.iter().map(|n| znode::child(dir, n)).collect();
            lister
                .children(&paths)
                .await
                .map_err(|e| Error::denied(dir, Perm::Read, e))?
        }
        false => Vec::new(),
    };
    let roles = match roles {
        true => {
            // A semaphore's leases are read against its N, recorded in the directory above.
            let limit = if names.iter().any(|n| recipe::lease_sequence(n).is_some()) {
                let data = lister.client.get_data(znode::parent(dir)).await.ok();
                data.and_then(|(data, _)| Record::parse(&data).0.limit)
            } else {
                None
            };
            queue::roles(&names, limit)
        }
        false => Default::default(),
    };
    Ok(Frame {
        dir: dir.to_string(),
        names,
        roles,
        lists,
        next: 0,
    })
}
