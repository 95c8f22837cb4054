//! Our own contender node: created (EPHEMERAL_SEQUENTIAL, named as Curator names it), found
//! again after a connection lost mid-create, never duplicated.

use zookeeper_client::{Acls, CreateMode, Stat};

use super::Recipe;
use super::dirs::make_dirs;
use crate::connect::Session;
use crate::error::{Error, Perm};
use crate::lease::BootTime;

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

pub(super) async fn retry_on_loss<T, F, Fut>(mut op: F) -> Result<T, zookeeper_client::Error>
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

/// A random (version 4) UUID, as Curator puts in its node names (getrandom(2), which falls
/// back to /dev/urandom where a seccomp filter refuses it).
fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[cfg(test)]
mod tests {
    use super::uuid;

    #[test]
    fn uuid_has_curator_shape() {
        let u = uuid();
        assert_eq!(u.len(), 36);
        assert_eq!(u.matches('-').count(), 4);
        assert_ne!(u, uuid());
    }
}
