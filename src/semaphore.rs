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
use crate::record::Record;
use crate::znode;

/// Takes a lease once at most `limit` are held (it goes into `created`, as does the mutex
/// node while held, so the caller's close removes them on any early exit). The send time of
/// our lease's create, or None when `patience` ran out (`-n`); the caller races `--wait` and
/// signals.
pub async fn acquire(
    session: &mut Session,
    path: &str,
    id: &str,
    limit: u32,
    patience: Patience,
    created: &mut Vec<OwnNode>,
    diag: &Diag,
) -> Result<Option<BootTime>, Error> {
    record_limit(session, path, limit, diag).await?;
    let mutex_dir = znode::child(path, "locks");
    let leases = znode::child(path, "leases");
    let (mutex, _, listed) =
        recipe::create_then_list(session, &mutex_dir, Recipe::Lock, id, true, None).await?;
    created.push(mutex.clone());
    // The lease's proof comes from the lease node's create below, not from the mutex.
    if let Acquired::Conflict =
        recipe::acquire(session, &mutex_dir, &mutex, patience, listed, None, diag).await?
    {
        return Ok(None);
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
            return Ok(None);
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
    Ok(Some(sent))
}

/// Curator stores N nowhere, so contenders that disagree on it would over- or under-admit
/// silently. zklock records N as `limit` in the directory's data (SPEC §2.2's JSON record) when
/// the directory is fresh (version 0, no data: just made, by this zklock or another), and warns
/// when it finds another N there.
async fn record_limit(session: &Session, path: &str, limit: u32, diag: &Diag) -> Result<(), Error> {
    let client = &session.client;
    let (data, stat) = match client.get_data(path).await {
        Ok(found) => found,
        Err(zookeeper_client::Error::NoNode) => {
            // Made as any lock directory (its ACL copied from its nearest ancestor, or --acl).
            recipe::make_dirs(session, path).await?;
            client
                .get_data(path)
                .await
                .map_err(|e| Error::denied(path, Perm::Read, e))?
        }
        Err(e) => return Err(Error::denied(path, Perm::Read, e)),
    };
    if data.is_empty() && stat.version == 0 {
        let record = Record {
            limit: Some(limit),
            ..Record::default()
        }
        .to_json();
        return match client.set_data(path, record.as_bytes(), Some(0)).await {
            // Another contender recorded first: its N is checked next time.
            Ok(_) | Err(zookeeper_client::Error::BadVersion) => Ok(()),
            Err(e) => Err(Error::denied(path, Perm::Write, e)),
        };
    }
    let recorded = Record::parse(&data).0.limit;
    if let Some(other) = recorded.filter(|other| *other != limit) {
        diag.warn(format_args!(
            "{path}: other contenders use --limit {other}; this one uses --limit {limit}"
        ));
    }
    Ok(())
}
