//! The lock and election recipe shared with Curator and kazoo: contender names, ordering,
//! creating our own node, and waiting on the immediate predecessor only.

use std::time::Instant;

use zookeeper_client::{Acl, Acls, CreateMode, EventType, OneshotWatcher, SessionState, Stat};

use crate::connect::Session;
use crate::diag::Diag;
use crate::error::{Error, Perm};
use crate::lease::BootTime;
use crate::render;
use crate::znode;

/// Which recipe our node takes part in; decides its name and what it waits for (SPEC §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recipe {
    /// Curator InterProcessMutex: `_c_<uuid>-lock-<seq>`, exclusive.
    Lock,
    /// Curator LeaderLatch: `_c_<uuid>-latch-<seq>`, exclusive (the leader).
    Latch,
    /// Curator InterProcessReadWriteLock's write lock: `_c_<uuid>-__WRIT__<seq>`, exclusive.
    Write,
    /// Its read lock: `_c_<uuid>-__READ__<seq>`, shared with other readers.
    Read,
    /// A lease of Curator InterProcessSemaphoreV2: `leases/_c_<uuid>-lease-<seq>` (counted,
    /// not queued: see semaphore.rs).
    Lease,
}

impl Recipe {
    fn infix(self) -> &'static str {
        match self {
            Recipe::Lock => "-lock-",
            Recipe::Latch => "-latch-",
            Recipe::Write => "-__WRIT__",
            Recipe::Read => "-__READ__",
            Recipe::Lease => "-lease-",
        }
    }
}

/// Every peer's contender marker, and whether its holders share the lock (readers). Every
/// zklock mode counts every one of them by its sequence (one counter per directory), so zklock
/// stays safe beside any of these peers, even one that ignores zklock's own nodes.
const MARKERS: &[(&str, bool)] = &[
    ("-lock-", false),   // Curator InterProcessMutex, zklock
    ("__lock__", false), // kazoo Lock
    ("-latch-", false),  // Curator LeaderLatch, zklock elect
    ("__WRIT__", false), // Curator write lock, zklock --write
    ("__READ__", true),  // Curator read lock, zklock --shared
    ("__rlock__", true), // kazoo ReadLock
];

/// A child of the lock directory that competes for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contender {
    pub name: String,
    pub seq: i64,
    /// A reader: holds the lock together with other readers.
    pub shared: bool,
}

/// The contenders among `children`, lowest sequence first.
pub fn contenders(children: Vec<String>) -> Vec<Contender> {
    let mut found: Vec<Contender> = children
        .into_iter()
        .filter_map(|name| {
            let (seq, shared) = sequence_of(&name)?;
            Some(Contender { name, seq, shared })
        })
        .collect();
    found.sort_by(|a, b| a.seq.cmp(&b.seq).then_with(|| a.name.cmp(&b.name)));
    found
}

/// The contender the one at `pos` in `queue` must wait for, if any: for a reader the nearest
/// non-reader below it (readers after a waiting writer queue behind it: no writer starves);
/// for everyone else the immediate predecessor, whatever its kind.
pub fn blocker(queue: &[Contender], pos: usize) -> Option<&Contender> {
    let below = &queue[..pos];
    if queue[pos].shared {
        below.iter().rev().find(|c| !c.shared)
    } else {
        below.last()
    }
}

/// The 10-digit sequence that ZooKeeper appended after one of the markers, and whether the
/// marker is a reader's.
fn sequence_of(name: &str) -> Option<(i64, bool)> {
    MARKERS
        .iter()
        .find_map(|(marker, shared)| Some((sequence_after(name, marker)?, *shared)))
}

/// The sequence of a semaphore lease (`_c_<uuid>-lease-<seq>` in `PATH/leases`).
pub fn lease_sequence(name: &str) -> Option<i64> {
    sequence_after(name, Recipe::Lease.infix())
}

/// The sequence of a contender of any recipe or of a semaphore lease, for ordering listings.
pub fn queue_sequence(name: &str) -> Option<i64> {
    sequence_of(name)
        .map(|(seq, _)| seq)
        .or_else(|| lease_sequence(name))
}

/// The 10 digits ZooKeeper appended after `marker` in `name`. Read from the end: no marker
/// ends in a digit, so a name that ends in `marker` and 10 digits has no later `marker`.
/// (Called several times for each of a listing's names: `ls` of 20,000 children spent a
/// fifth of its time in `rsplit_once`'s searcher set-up.)
fn sequence_after(name: &str, marker: &str) -> Option<i64> {
    let head = name.len().checked_sub(10)?;
    let (before, digits) = (name.get(..head)?, &name[head..]);
    if before.ends_with(marker) && digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.parse().ok()
    } else {
        None
    }
}

/// Our own contender node, as created.
#[derive(Debug, Clone)]
pub struct OwnNode {
    /// Full path, e.g. `/locks/backup/_c_<uuid>-lock-0000000007`.
    pub path: String,
    pub name: String,
    /// Creation zxid: the fencing token.
    pub czxid: i64,
    /// Creation time, the server's (ms since the epoch): when a run under it started (§2.2).
    pub ctime: i64,
}

/// Creates our EPHEMERAL_SEQUENTIAL node under `dir` (and `dir` when missing). Returns the
/// node and the moment the create was sent: an answered write proves the session alive then.
///
/// A connection lost during the create may have created the node anyway; like Curator, we
/// find it by our uuid rather than create a duplicate that would block us forever.
pub async fn create(
    session: &Session,
    dir: &str,
    recipe: Recipe,
    id: &str,
) -> Result<(OwnNode, BootTime), Error> {
    let (node, sent, _) = create_then_list(session, dir, recipe, id, false, None).await?;
    Ok((node, sent))
}

/// `create`, and with `list` the directory's children too, asked in the same flight: the
/// list is sent right behind the create (a request goes out when its method is called), so
/// the server answers it with our node in it, a round trip sooner than asking afterwards
/// (SPEC §2's step 3 without the wait). None when the list failed or was not asked for.
///
/// `meanwhile`, if any, runs once, after the first requests are on their way and before
/// their answers are awaited: work that would otherwise wait for the answers, or they for it.
pub async fn create_then_list(
    session: &Session,
    dir: &str,
    recipe: Recipe,
    id: &str,
    list: bool,
    mut meanwhile: Option<&mut dyn FnMut() -> Result<(), Error>>,
) -> Result<(OwnNode, BootTime, Option<Vec<String>>), Error> {
    let client = &session.client;
    let prefix = format!("_c_{}{}", uuid(), recipe.infix());
    let path = format!("{dir}/{prefix}");
    let acl = session.connection.security.contender_acl();
    let options = CreateMode::EphemeralSequential.with_acls(Acls::new(&acl));
    loop {
        let sent = BootTime::now();
        let created = client.create(&path, id.as_bytes(), &options);
        let listed = list.then(|| client.list_children(dir));
        if let Some(work) = meanwhile.take() {
            // The requests are queued; the session's task writes them once this task yields.
            tokio::task::yield_now().await;
            work()?;
        }
        match created.await {
            Ok((stat, seq)) => {
                let name = format!("{prefix}{seq}");
                let children = match listed {
                    Some(listed) => listed.await.ok(),
                    None => None,
                };
                let node = OwnNode {
                    path: format!("{dir}/{name}"),
                    name,
                    czxid: stat.czxid,
                    ctime: stat.ctime,
                };
                return Ok((node, sent, children));
            }
            Err(zookeeper_client::Error::NoNode) => make_dirs(session, dir).await?,
            Err(e) if lost_connection(&e) => {
                if let Some(found) = find_own(session, dir, &prefix).await? {
                    return Ok((found, sent, None));
                }
            }
            Err(e) => return Err(Error::denied(dir, Perm::Create, e)),
        }
    }
}

/// Creates `dir` and its missing parents with `--acl`, or else with the ACL of the nearest
/// ancestor that exists, so a lock directory inside a protected tree is protected too.
pub async fn make_dirs(session: &Session, dir: &str) -> Result<(), Error> {
    let client = &session.client;
    let acl = directory_acl(session, dir).await?;
    // Container nodes, as Curator makes them: the server deletes each once it is empty, so
    // lock directories do not pile up. Servers before 3.5 know only persistent nodes.
    let acls = Acls::new(&acl);
    let made = client
        .mkdir(dir, &CreateMode::Container.with_acls(acls))
        .await;
    let made = match made {
        Err(zookeeper_client::Error::Unimplemented) => {
            client
                .mkdir(dir, &CreateMode::Persistent.with_acls(acls))
                .await
        }
        made => made,
    };
    made.map_err(|e| match e {
        // mkdir walks up to the chroot; NoNode there means the chroot is missing.
        zookeeper_client::Error::NoNode => chroot_missing(),
        e => Error::denied(znode::parent(dir), Perm::Create, e),
    })
}

/// Makes `dir` a persistent node (its parents containers) unless it exists: the run record
/// (§2.2) lives in its data and must outlast the contenders. Err when it cannot be created.
pub async fn make_lasting_dir(session: &Session, dir: &str) -> Result<(), Error> {
    let client = &session.client;
    match retry_on_loss(|| client.check_stat(dir)).await {
        Ok(Some(_)) => return Ok(()),
        Ok(None) => {}
        Err(e) => return Err(Error::denied(dir, Perm::Read, e)),
    }
    let parent = znode::parent(dir);
    if parent != "/" {
        make_dirs(session, parent).await?;
    }
    let acl = directory_acl(session, dir).await?;
    let options = CreateMode::Persistent.with_acls(Acls::new(&acl));
    match client.create(dir, b"", &options).await {
        Ok(_) | Err(zookeeper_client::Error::NodeExists) => Ok(()),
        Err(e) => Err(Error::denied(parent, Perm::Create, e)),
    }
}

/// The ACL a new directory `dir` gets: `--acl`'s, or else a copy of its nearest existing
/// ancestor's.
async fn directory_acl(session: &Session, dir: &str) -> Result<Vec<Acl>, Error> {
    if let Some(acl) = session.connection.security.directory_acl() {
        return Ok(acl);
    }
    let mut below = dir;
    loop {
        let parent = znode::parent(below);
        match retry_on_loss(|| session.client.get_acl(parent)).await {
            Ok((acl, _)) => return inheritable(parent, acl),
            Err(zookeeper_client::Error::NoNode) if parent != "/" => below = parent,
            Err(zookeeper_client::Error::NoNode) => return Err(chroot_missing()),
            Err(zookeeper_client::Error::NoAuth) => {
                return Err(Error::Refused(format!(
                    "{parent}: the ACL denies read (r) to this session, so the new lock directory cannot copy it; give --acl"
                )));
            }
            Err(e) => return Err(Error::zk(parent, e)),
        }
    }
}

fn chroot_missing() -> Error {
    Error::Usage(
        "the chroot of --servers does not exist: create it, or drop it from the connect string"
            .into(),
    )
}

/// An ancestor's ACL, as we may copy it. A server hides digest hashes (`user:x`) from a
/// session without the admin right; copying those would lock everyone out.
fn inheritable(ancestor: &str, acl: Vec<Acl>) -> Result<Vec<Acl>, Error> {
    if acl
        .iter()
        .any(|a| a.scheme() == "digest" && a.id().ends_with(":x"))
    {
        return Err(Error::Refused(format!(
            "{ancestor}: its ACL hides digest hashes from this session (no admin right), so the new lock directory cannot copy it; give --acl"
        )));
    }
    Ok(acl)
}

async fn find_own(session: &Session, dir: &str, prefix: &str) -> Result<Option<OwnNode>, Error> {
    let children = retry_on_loss(|| session.client.list_children(dir))
        .await
        .map_err(|e| Error::zk(dir, e))?;
    let Some(name) = children.into_iter().find(|c| c.starts_with(prefix)) else {
        return Ok(None);
    };
    let path = format!("{dir}/{name}");
    let stat = retry_on_loss(|| session.client.check_stat(&path))
        .await
        .map_err(|e| Error::zk(&path, e))?;
    Ok(stat.map(|Stat { czxid, ctime, .. }| OwnNode {
        path,
        name,
        czxid,
        ctime,
    }))
}

/// True for errors that mean "the connection broke under this request; the session may live
/// on": a request in flight when the socket resets fails with the I/O error itself rather than
/// ConnectionLoss (seen when an ensemble's leader was killed).
pub fn lost_connection(e: &zookeeper_client::Error) -> bool {
    matches!(
        e,
        zookeeper_client::Error::ConnectionLoss | zookeeper_client::Error::Custom(_)
    )
}

async fn retry_on_loss<T, F, Fut>(mut op: F) -> Result<T, zookeeper_client::Error>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, zookeeper_client::Error>>,
{
    loop {
        match op().await {
            Err(e) if lost_connection(&e) => continue,
            other => return other,
        }
    }
}

/// How long to wait for a holder to go away.
#[derive(Debug, Clone, Copy)]
pub enum Patience {
    /// `-n`: not at all.
    None,
    /// Until this moment (`--wait`), or forever.
    Until(Option<Instant>),
}

impl Patience {
    /// When waiting must end: never for `-n` (it does not wait), or at `--wait`'s end.
    pub fn deadline(self) -> Option<Instant> {
        match self {
            Patience::None => None,
            Patience::Until(deadline) => deadline,
        }
    }
}

/// How waiting for the lock ended.
#[derive(Debug)]
pub enum Acquired {
    /// We are the lowest contender.
    Held,
    /// Someone else holds it and patience ran out.
    Conflict,
}

/// Waits until `own` is the lowest contender in `dir`, watching only its predecessor.
///
/// `proof`, when given, is the latest send time known to have reached a live session (the
/// create's, at first). A look at the queue after a wait goes out behind a `sync` once that
/// proof is T/10 old: its answer proves the session alive at the leader when it was sent, and
/// the listing behind it that our node is still there, so `proof` moves on and a waiter that
/// becomes the holder starts its command without a round trip to refresh its lease.
///
/// When the contender we waited for was the head of the queue and is deleted, the look is a
/// stat of our own node instead of a listing: no contender can have appeared below us (a
/// directory's sequences only grow), so we hold the lock if our node is still ours.
///
/// Neither signals nor `--wait`'s deadline are watched here: the caller races the whole of it
/// (retries after a lost connection included) against both, and may drop it at any await.
pub async fn acquire(
    session: &mut Session,
    dir: &str,
    own: &OwnNode,
    patience: Patience,
    listed: Option<Vec<String>>,
    mut proof: Option<&mut BootTime>,
    diag: &Diag,
) -> Result<Acquired, Error> {
    // The first look may come with the create (`create_then_list`).
    let mut listed = listed;
    let _status = diag.status_line();
    // Set when the contender we waited for was the head of the queue and was deleted.
    let mut head_gone = false;
    let started = Instant::now();
    let mut ticker = tokio::time::interval(std::time::Duration::from_secs(1));
    loop {
        let client = session.client.clone();
        if std::mem::take(&mut head_gone) {
            // No contender can appear below us (sequences only grow) and the head is gone:
            // we hold the lock if our node is still ours. A stat of it says so for a fraction
            // of a listing's cost (each hand-off in a crowd of 200 lists 200 names).
            let stale = is_stale(&proof, BootTime::now(), session.timeout);
            match still_ours(&client, dir, own, session.id, stale).await {
                Ok(Some(sent)) => {
                    if stale {
                        renew(&mut proof, sent);
                    }
                    return Ok(Acquired::Held);
                }
                Ok(None) => return Err(deleted_while_waiting(own)),
                // Look at the whole queue instead, as after any other wake-up.
                Err(e) if lost_connection(&e) => {}
                Err(e) => return Err(Error::zk(&own.path, e)),
            }
        }
        let children = match listed.take() {
            Some(children) => children,
            None => loop {
                let sent = BootTime::now();
                // Requests go out when called: the listing right behind the sync.
                let stale = is_stale(&proof, sent, session.timeout);
                let sync = stale.then(|| client.sync(dir));
                let listing = client.list_children(dir);
                let synced = match sync {
                    Some(sync) => sync.await.is_ok(),
                    None => false,
                };
                match listing.await {
                    Ok(children) => {
                        if synced && children.contains(&own.name) {
                            renew(&mut proof, sent);
                        }
                        break children;
                    }
                    Err(e) if lost_connection(&e) => continue,
                    Err(e) => return Err(Error::denied(dir, Perm::Read, e)),
                }
            },
        };
        let queue = contenders(children);
        let Some(pos) = queue.iter().position(|c| c.name == own.name) else {
            return Err(deleted_while_waiting(own));
        };
        let Some(blocking) = blocker(&queue, pos) else {
            return Ok(Acquired::Held);
        };
        if let Patience::None = patience {
            return Ok(Acquired::Conflict);
        }
        let predecessor = format!("{dir}/{}", blocking.name);
        diag.info(format_args!("waiting {pos} behind {predecessor}"));
        let (data, watcher) = match watch_node(&client, &predecessor).await {
            Ok(Some(found)) => found,
            // Gone already: look at the queue again.
            Ok(None) => continue,
            Err(e) if lost_connection(&e) => continue,
            Err(zookeeper_client::Error::NoAuth) => return Err(unreadable(&predecessor)),
            Err(e) => return Err(Error::zk(&predecessor, e)),
        };
        // The status line names the holder (its node's data) and our place: on a terminal,
        // also watch the holder when it is not our predecessor, so a change of holder shows
        // at once.
        let (holder, holder_watch) = match diag.has_status_line() {
            true if queue[0].name != blocking.name => {
                let first = format!("{dir}/{}", queue[0].name);
                match watch_node(&client, &first).await {
                    Ok(Some((data, watcher))) => (render::data_text(&data), Some(watcher)),
                    _ => ("?".into(), None),
                }
            }
            true => (render::data_text(&data), None),
            false => (String::new(), None),
        };
        let holder_gone = async {
            match holder_watch {
                Some(watcher) => watcher.changed().await,
                None => std::future::pending().await,
            }
        };
        tokio::pin!(holder_gone);
        let gone = watcher.changed();
        tokio::pin!(gone);
        let head = blocking.name == queue[0].name;
        loop {
            tokio::select! {
                event = &mut gone => {
                    if event.event_type == EventType::Session {
                        return Err(session_ended(event.session_state, &own.path));
                    }
                    head_gone = head && event.event_type == EventType::NodeDeleted;
                    break;
                }
                event = &mut holder_gone => {
                    if event.event_type == EventType::Session {
                        return Err(session_ended(event.session_state, &own.path));
                    }
                    break;
                }
                state = session.states.changed() => {
                    diag.debug(format_args!("session {state}"));
                    if state.is_terminated() {
                        return Err(session_ended(state, &own.path));
                    }
                }
                _ = ticker.tick(), if diag.has_status_line() => diag.status(format_args!(
                    "waiting {pos} for {dir}, held by {holder}, {}s",
                    started.elapsed().as_secs()
                )),
            }
        }
    }
}

/// A node's data and a watch on its deletion or change; None when it is gone.
///
/// A getData with a watch, as Curator's LockInternals does: a node already gone leaves no watch
/// behind, where an exists would leave one waiting for its creation, and dropping that costs a
/// RemoveWatches request (a contender whose predecessor went between its listing and its look
/// sent one more request than the bare recipe).
async fn watch_node(
    client: &zookeeper_client::Client,
    path: &str,
) -> Result<Option<(Vec<u8>, OneshotWatcher)>, zookeeper_client::Error> {
    match client.get_and_watch_data(path).await {
        Ok((data, _, watcher)) => Ok(Some((data, watcher))),
        Err(zookeeper_client::Error::NoNode) => Ok(None),
        Err(e) => Err(e),
    }
}

/// A contender ahead of us whose node we may not read (`--acl creator` of another identity):
/// the server tells a session nothing of a node it may not read, its deletion included (seen
/// with ZooKeeper 3.8), so waiting behind it would never end.
fn unreadable(path: &str) -> Error {
    Error::Refused(format!(
        "{path}: the ACL denies {} to this session, so it could not tell when that contender leaves: every contender must be able to read the nodes ahead of it (--acl read)",
        Perm::Read.name()
    ))
}

/// Whether the lease's `proof` is T/10 old at `now` (T = `timeout`): a look at the queue then
/// goes out behind a `sync`, whose answer may renew it.
fn is_stale(proof: &Option<&mut BootTime>, now: BootTime, timeout: std::time::Duration) -> bool {
    proof.as_ref().is_some_and(|p| now >= **p + timeout / 10)
}

/// Moves the lease's `proof` on to `sent`, a send time the session was proven alive at.
fn renew(proof: &mut Option<&mut BootTime>, sent: BootTime) {
    if let Some(proof) = proof.as_mut() {
        **proof = (**proof).max(sent);
    }
}

fn deleted_while_waiting(own: &OwnNode) -> Error {
    Error::Unavailable(format!("{}: deleted while waiting for the lock", own.path))
}

/// Whether `own` is still our node (created by us, owned by our session `session_id`): the
/// send time of the stat that says so, None when it is not. With `sync`, the stat goes out
/// behind a sync, so its answer proves the session alive at the leader when it was sent.
async fn still_ours(
    client: &zookeeper_client::Client,
    dir: &str,
    own: &OwnNode,
    session_id: i64,
    sync: bool,
) -> Result<Option<BootTime>, zookeeper_client::Error> {
    let sent = BootTime::now();
    // Requests go out when called: the stat right behind the sync.
    let synced = sync.then(|| client.sync(dir));
    let stat = client.check_stat(&own.path);
    if let Some(synced) = synced {
        synced.await?;
    }
    Ok(stat
        .await?
        .filter(|s| s.ephemeral_owner == session_id && s.czxid == own.czxid)
        .map(|_| sent))
}

fn session_ended(state: SessionState, path: &str) -> Error {
    match Error::session_ended(path, state) {
        Error::Unavailable(why) => Error::Unavailable(format!("{why} before the lock was held")),
        other => other,
    }
}

/// Sleeps until `deadline`, or forever when there is none.
pub async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

/// A random (version 4) UUID, as Curator puts in its node names (getrandom(2), which falls
/// back to /dev/urandom where a seccomp filter refuses it).
fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue(names: &[&str]) -> Vec<Contender> {
        contenders(names.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn counts_every_peers_nodes_by_sequence() {
        let q = queue(&[
            "_c_b-lock-0000000003",
            "x__lock__0000000001",
            "_c_a-latch-0000000000",
            "other",
            "_c_c-lock-12",
            "_c_d-__READ__0000000004",
            "_c_e-__WRIT__0000000005",
            "f__rlock__0000000006",
        ]);
        let got: Vec<(i64, bool)> = q.iter().map(|c| (c.seq, c.shared)).collect();
        assert_eq!(
            got,
            [
                (0, false),
                (1, false),
                (3, false),
                (4, true),
                (5, false),
                (6, true)
            ]
        );
    }

    /// Read from the end: the marker must sit right before the last 10 characters, which must
    /// all be digits; a marker earlier in the name, or a multi-byte character, does not count.
    #[test]
    fn sequence_is_the_ten_digits_after_the_last_marker() {
        assert_eq!(sequence_after("_c_a-lock-0000000007", "-lock-"), Some(7));
        assert_eq!(sequence_after("-lock-0000000007", "-lock-"), Some(7));
        assert_eq!(
            sequence_after("a-lock-0000000007-lock-0000000009", "-lock-"),
            Some(9)
        );
        assert_eq!(sequence_after("a-lock-0000000007x", "-lock-"), None);
        assert_eq!(sequence_after("a-lock-000000007", "-lock-"), None);
        assert_eq!(sequence_after("a-lock-00000000007", "-lock-"), None);
        assert_eq!(sequence_after("a-lock-000000000é", "-lock-"), None);
        assert_eq!(sequence_after("é000000000", "-lock-"), None);
        assert_eq!(sequence_after("0000000007", "-lock-"), None);
        assert_eq!(queue_sequence("_c_a-lease-0000000003"), Some(3));
        assert_eq!(queue_sequence("config"), None);
    }

    /// Readers share; a writer waits for everyone before it; a reader after a waiting writer
    /// waits for that writer (no writer starves).
    #[test]
    fn readers_share_and_writers_wait_their_turn() {
        let q = queue(&[
            "_c_a-__READ__0000000000",
            "_c_b-__READ__0000000001",
            "_c_c-__WRIT__0000000002",
            "_c_d-__READ__0000000003",
            "_c_e-lock-0000000004",
        ]);
        let blocked_by: Vec<Option<i64>> = (0..q.len())
            .map(|k| blocker(&q, k).map(|c| c.seq))
            .collect();
        assert_eq!(blocked_by, [None, None, Some(1), Some(2), Some(3)]);
    }

    #[test]
    fn uuid_has_curator_shape() {
        let u = uuid();
        assert_eq!(u.len(), 36);
        assert_eq!(u.matches('-').count(), 4);
        assert_ne!(u, uuid());
    }
}
