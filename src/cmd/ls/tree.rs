//! Walking a subtree for `ls` and `ls -R`, in tree order (each node followed by its
//! descendants, siblings as `ls` orders them), with each node handed on as soon as it is
//! known, so `ls -R` prints as it goes and holds only the lists along the current branch.
//!
//! The child lists of all the siblings of a directory are asked for at once: batched into
//! multiRead requests (ZooKeeper 3.6+), or, where the server lacks them, pipelined one
//! getChildren each. The server's cost is per request, so a batch of a thousand lists costs
//! it little more than one.

use std::collections::HashMap;

use zookeeper_client::{Client, Error as ZkError, MultiReadResult, MultiReader, Stat};

use crate::diag::Diag;
use crate::error::{Error, Perm};
use crate::queue::{self, Role};
use crate::recipe;
use crate::record::Record;
use crate::znode;

/// Child lists asked for in one multiRead request.
const BATCH: usize = 1000;

/// One node as the walk finds it.
pub(super) struct Found {
    pub path: String,
    pub name: String,
    /// Its place in a lock's queue (asked for only with `roles`).
    pub role: Option<Role>,
    /// This session may not list its children.
    pub denied: bool,
    /// Its children's names, as listed (asked for only with `kids`).
    pub kids: Vec<String>,
}

/// Asks for many child lists, or many nodes' data, at once.
pub(super) struct Lister<'a> {
    pub(super) client: &'a Client,
    /// Cleared when the server answers a multiRead with "unimplemented" (before 3.6).
    multi: bool,
}

type Listing = Result<Vec<String>, ZkError>;

/// A node's data and stat, or why not.
pub(super) type Read = Result<(Vec<u8>, Stat), ZkError>;

impl<'a> Lister<'a> {
    pub(super) fn new(client: &'a Client) -> Lister<'a> {
        Lister {
            client,
            multi: true,
        }
    }

    /// Every node's data and stat, batched as `children` batches lists (or pipelined).
    pub(super) async fn data(&mut self, paths: &[String]) -> Vec<Read> {
        if self.batching() {
            let read = self.batched(paths, MultiReader::add_get_data).await;
            match read {
                Err(ZkError::Unimplemented) => self.multi = false,
                Err(e) => return paths.iter().map(|_| Err(e.clone())).collect(),
                Ok(results) => {
                    return results
                        .into_iter()
                        .map(|result| match result {
                            MultiReadResult::Data { data, stat } => Ok((data, stat)),
                            other => Err(unexpected(other)),
                        })
                        .collect();
                }
            }
        }
        pipelined(paths, |p| self.client.get_data(p)).await
    }

    pub(super) async fn children(&mut self, paths: &[String]) -> Result<Vec<Listing>, ZkError> {
        if self.batching() {
            match self.batched(paths, MultiReader::add_get_children).await {
                Err(ZkError::Unimplemented) => self.multi = false,
                Err(e) => return Err(e),
                Ok(results) => {
                    return Ok(results
                        .into_iter()
                        .map(|result| match result {
                            MultiReadResult::Children { children } => Ok(children),
                            other => Err(unexpected(other)),
                        })
                        .collect());
                }
            }
        }
        Ok(pipelined(paths, |p| self.client.list_children(p)).await)
    }

    fn batching(&self) -> bool {
        self.multi && std::env::var_os("ZKLOCK_TEST_NO_MULTIREAD").is_none()
    }

    /// One multiRead per `BATCH` paths, each path's read added by `add`; every request is
    /// sent before any answer is awaited.
    async fn batched(
        &self,
        paths: &[String],
        add: fn(&mut MultiReader<'a>, &str) -> Result<(), ZkError>,
    ) -> Result<Vec<MultiReadResult>, ZkError> {
        let mut pending = Vec::new();
        for chunk in paths.chunks(BATCH) {
            let mut reader = self.client.new_multi_reader();
            for path in chunk {
                add(&mut reader, path)?;
            }
            pending.push(reader.commit());
        }
        let mut results = Vec::with_capacity(paths.len());
        for reply in pending {
            results.extend(reply.await?);
        }
        Ok(results)
    }
}

/// One request per path, in order: the client sends each when it is made, so every one is
/// sent before any answer is awaited.
async fn pipelined<T, F: std::future::Future<Output = T>>(
    paths: &[String],
    request: impl Fn(&str) -> F,
) -> Vec<T> {
    let pending: Vec<F> = paths.iter().map(|p| request(p)).collect();
    let mut answers = Vec::with_capacity(paths.len());
    for reply in pending {
        answers.push(reply.await);
    }
    answers
}

/// A multiRead answer of another kind than asked for: its own error, or one saying so.
fn unexpected(result: MultiReadResult) -> ZkError {
    match result {
        MultiReadResult::Error { err } => err,
        _ => ZkError::UnexpectedError("multiRead answered with another kind of result".into()),
    }
}

/// A directory being walked: its children in order, each one's own child list, and how far
/// the walk has come.
struct Frame {
    dir: String,
    names: Vec<String>,
    roles: HashMap<String, Role>,
    /// Each child's own child list (with `-R`).
    lists: Vec<Listing>,
    /// Each child's children's lists, asked for together with this frame's (see `Walker`).
    below: Vec<Option<Vec<Listing>>>,
    next: usize,
}

/// Walks the children of a path (every descendant with `-R`) in tree order, a node each
/// `next()`.
///
/// The lists are asked for two levels ahead: entering a child whose grandchildren's lists are
/// not known yet asks for those of it and of the siblings after it, up to `AHEAD` lists in
/// one go, so a child costs no round trip of its own (a tree of 10,000 lock directories was
/// 10,000 round trips one after another). It holds the lists along the current branch, and
/// for each at most `AHEAD` of the level below.
pub(super) struct Walker<'a> {
    lister: Lister<'a>,
    stack: Vec<Frame>,
    recursive: bool,
    roles: bool,
    kids: bool,
    diag: &'a Diag,
    /// Some node's children could not be listed (named on stderr; `ls` exits 77 at the end).
    pub denied: bool,
}

impl<'a> Walker<'a> {
    /// Lists `path`; with `roles` each node carries its place in a lock's queue, with `kids`
    /// its own children's names.
    pub(super) async fn new(
        client: &'a Client,
        path: &str,
        recursive: bool,
        roles: bool,
        kids: bool,
        diag: &'a Diag,
    ) -> Result<Walker<'a>, Error> {
        let mut lister = Lister::new(client);
        let root = match client.list_children(path).await {
            Ok(names) => names,
            // `ls` of `/` under a chroot that does not exist: name the chroot.
            Err(ZkError::NoNode) if path == "/" && client.path().len() > 1 => {
                return Err(Error::NoSuchZnode(format!(
                    "{} (the chroot of --servers)",
                    client.path()
                )));
            }
            Err(e) => return Err(Error::denied(path, Perm::Read, e)),
        };
        let deeper = recursive || kids;
        let top = frame(&mut lister, path, root, None, deeper, recursive, roles).await?;
        Ok(Walker {
            lister,
            stack: vec![top],
            recursive,
            roles,
            kids,
            diag,
            denied: false,
        })
    }

    /// The names of `path`'s own children, as listed when the walk began (the monitor reads
    /// PATH itself as a lock directory).
    pub(super) fn top_names(&self) -> &[String] {
        self.stack.first().map_or(&[], |f| &f.names)
    }

    /// The next node in tree order, or None at the end.
    pub(super) async fn next(&mut self) -> Result<Option<Found>, Error> {
        loop {
            let Some(top) = self.stack.last_mut() else {
                return Ok(None);
            };
            let Some(name) = top.names.get(top.next) else {
                self.stack.pop();
                continue;
            };
            let k = top.next;
            top.next += 1;
            let path = znode::child(&top.dir, name);
            let name = name.clone();
            let role = top.roles.get(&name).cloned();
            let kids = match top.lists.get_mut(k) {
                Some(Ok(kids)) => std::mem::take(kids),
                // A node deleted between two levels of -R is not an error.
                Some(Err(ZkError::NoNode)) | None => Vec::new(),
                // Nor one that this session may not read: the rest is still listed.
                Some(Err(ZkError::NoAuth)) => {
                    self.diag
                        .warn(format_args!("{path}: not authorized to list its children"));
                    self.denied = true;
                    return Ok(Some(Found {
                        path,
                        name,
                        role,
                        denied: true,
                        kids: Vec::new(),
                    }));
                }
                Some(Err(e)) => return Err(Error::denied(&path, Perm::Read, e.clone())),
            };
            if self.recursive && !kids.is_empty() && top.below.get(k).is_some_and(Option::is_none) {
                ahead(&mut self.lister, top, k, &kids).await?;
            }
            let Some(top) = self.stack.last_mut() else {
                return Ok(None);
            };
            let below = top.below.get_mut(k).and_then(Option::take);
            let shown = match self.kids {
                true => kids.clone(),
                false => Vec::new(),
            };
            if self.recursive && !kids.is_empty() {
                let (recursive, roles) = (self.recursive, self.roles);
                let next = frame(&mut self.lister, &path, kids, below, true, recursive, roles);
                self.stack.push(next.await?);
            }
            return Ok(Some(Found {
                path,
                name,
                role,
                denied: false,
                kids: shown,
            }));
        }
    }
}

/// Grandchildren's lists asked for in one go.
const AHEAD: usize = 2000;

/// Asks for the lists of the children of `frame`'s children from the `k`th on (`kids` is
/// the `k`th's, already taken from the frame), up to `AHEAD` lists, and keeps them in
/// `frame.below`.
async fn ahead(
    lister: &mut Lister<'_>,
    frame: &mut Frame,
    k: usize,
    kids: &[String],
) -> Result<(), Error> {
    let mut paths = Vec::new();
    let mut counts = Vec::new();
    for j in k..frame.names.len() {
        let their = match (j == k, &frame.lists[j]) {
            (true, _) => kids,
            (false, Ok(their)) => their.as_slice(),
            (false, Err(_)) => &[],
        };
        if j > k && paths.len() + their.len() > AHEAD {
            break;
        }
        let child = znode::child(&frame.dir, &frame.names[j]);
        paths.extend(their.iter().map(|name| znode::child(&child, name)));
        counts.push(their.len());
    }
    let mut lists = lister
        .children(&paths)
        .await
        .map_err(|e| Error::denied(&frame.dir, Perm::Read, e))?
        .into_iter();
    for (j, n) in (k..).zip(counts) {
        if n > 0 && frame.below[j].is_none() {
            frame.below[j] = Some(lists.by_ref().take(n).collect());
        } else {
            lists.by_ref().take(n).for_each(drop);
        }
    }
    Ok(())
}

/// The frame of `dir`, whose children are `names` (their own lists in `lists` when asked for
/// already): sorted as `ls` shows them and, with `deeper`, each one's own child list asked
/// for, and with `ahead` (`-R`) its children's too.
async fn frame(
    lister: &mut Lister<'_>,
    dir: &str,
    names: Vec<String>,
    lists: Option<Vec<Listing>>,
    deeper: bool,
    ahead: bool,
    roles: bool,
) -> Result<Frame, Error> {
    let (names, lists) = match lists {
        // Asked for ahead, in the order of `names`: sorted together.
        Some(lists) if deeper && lists.len() == names.len() => {
            let mut paired: Vec<(String, Listing)> = names.into_iter().zip(lists).collect();
            paired.sort_unstable_by(|a, b| a.0.cmp(&b.0));
            paired.sort_by_cached_key(|(name, _)| queue::sort_key(name));
            paired.into_iter().unzip()
        }
        _ => {
            let mut names = names;
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
            (names, lists)
        }
    };
    // Filled a chunk at a time as the walk enters the children (`Walker::ahead`).
    let below = match ahead {
        true => names.iter().map(|_| None).collect(),
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
        below,
        next: 0,
    })
}
