//! Waiting for our turn: on the immediate predecessor only (no herd), with a status line on a
//! terminal, renewing the lease's proof on the way.

use std::time::Instant;

use zookeeper_client::{EventType, OneshotWatcher, SessionState};

use super::node::{OwnNode, lost_connection};
use super::{blocker, contenders};
use crate::connect::Session;
use crate::diag::Diag;
use crate::error::{Error, Perm};
use crate::lease::BootTime;
use crate::render;

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
