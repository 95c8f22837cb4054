//! The semaphore (`--limit N`), in Curator InterProcessSemaphoreV2's layout (SPEC §2.1):
//! take the mutex `PATH/locks`, create our lease `PATH/leases/_c_<uuid>-lease-<seq>`, wait
//! (still holding the mutex: releasing it early over-admits) until our lease is listed among
//! at most N, then delete the mutex node and run while the lease is held.

use zookeeper_client::EventType;

use crate::connect::Session;
use crate::diag::Diag;
use crate::error::{Error, Perm};
use crate::lease::BootTime;
use crate::recipe::{self, Acquired, OwnNode, Patience, Recipe};
use crate::znode;

/// Our lease once at most `limit` are held, with the send time of our last answered write.
/// `Conflict` when `patience` ran out (`-n`); the caller races `--wait` and signals.
/// The mutex node, once created, goes into `created` so the caller's close removes it on any
/// early exit.
pub async fn acquire(
    session: &mut Session,
    path: &str,
    id: &str,
    limit: u32,
    patience: Patience,
    created: &mut Vec<OwnNode>,
    diag: &Diag,
) -> Result<Result<(OwnNode, BootTime), Acquired>, Error> {
    let mutex_dir = znode::child(path, "locks");
    let leases = znode::child(path, "leases");
    let (mutex, _) = recipe::create(session, &mutex_dir, Recipe::Lock, id).await?;
    created.push(mutex.clone());
    if let Acquired::Conflict = recipe::acquire(session, &mutex_dir, &mutex, patience, diag).await?
    {
        return Ok(Err(Acquired::Conflict));
    }
    let (lease, sent) = recipe::create(session, &leases, Recipe::Lease, id).await?;
    created.push(lease.clone());
    loop {
        let client = session.client.clone();
        let (children, watcher) = match client.get_and_watch_children(&leases).await {
            Ok((children, _, watcher)) => (children, watcher),
            Err(e) if recipe::lost_connection(&e) => continue,
            Err(e) => return Err(Error::denied(&leases, Perm::Read, e)),
        };
        if !children.contains(&lease.name) {
            return Err(Error::Unavailable(format!(
                "{}: deleted while waiting for a lease",
                lease.path
            )));
        }
        if children.len() <= limit as usize {
            break;
        }
        if let Patience::None = patience {
            return Ok(Err(Acquired::Conflict));
        }
        diag.info(format_args!(
            "waiting for a lease of {path}: {} held or waiting, limit {limit}",
            children.len()
        ));
        let event = watcher.changed().await;
        if event.event_type == EventType::Session && event.session_state.is_terminated() {
            return Err(Error::session_ended(path, event.session_state));
        }
    }
    // Release the mutex: the next contender may now take its lease.
    match session.client.delete(&mutex.path, None).await {
        Ok(()) | Err(zookeeper_client::Error::NoNode) => {}
        Err(e) => return Err(Error::denied(&mutex.path, Perm::Delete, e)),
    }
    created.retain(|n| n.path != mutex.path);
    Ok(Ok((lease, sent)))
}
