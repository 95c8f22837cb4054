//! Lock directories: made with their missing parents, as containers (as Curator makes them),
//! with `--acl` or the ACL the nearest existing ancestor has.

use zookeeper_client::{Acl, Acls, CreateMode};

use super::node::retry_on_loss;
use crate::connect::Session;
use crate::error::{Error, Perm};
use crate::znode;

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
