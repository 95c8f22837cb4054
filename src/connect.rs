//! Connect string, auth and timeouts → a ZooKeeper session; and closing it with confirmation.

use std::time::Duration;

use std::future::Future;
use std::pin::Pin;

use zookeeper_client::{Client, StateWatcher, WatchedEvent};

use crate::cli::ConnectionArgs;
use crate::diag::Diag;
use crate::error::Error;

/// One ZooKeeper session and what its deadlines are computed from.
pub struct Session {
    pub client: Client,
    /// The session timeout the server granted: the T of every safety deadline.
    pub timeout: Duration,
    pub id: i64,
    pub states: StateWatcher,
    /// A watch the session keeps until it is closed (our own node's, while the command runs).
    /// Dropping a watch while the client lives sends a RemoveWatches request; closing the
    /// session removes every watch anyway, so `close` drops it only after the client.
    pub kept_watch: Option<Pin<Box<dyn Future<Output = WatchedEvent>>>>,
    args: ConnectionArgs,
}

/// Checks `host:port[,host:port]...[/chroot]` before any connection is tried, so a typo is a
/// usage error (64) rather than a ten-second wait.
pub fn validate_servers(connect: &str) -> Result<(), Error> {
    let bad = |why: &str| {
        Err(Error::Usage(format!(
            "bad connect string '{connect}': {why}"
        )))
    };
    let (hosts, chroot) = match connect.find('/') {
        Some(i) => (&connect[..i], Some(&connect[i..])),
        None => (connect, None),
    };
    if let Some(chroot) = chroot.filter(|c| *c != "/")
        && crate::recipe::validate_path(chroot).is_err()
    {
        return bad("chroot must be an absolute znode path");
    }
    if hosts.is_empty() {
        return bad("no host");
    }
    for host in hosts.split(',') {
        let (name, port) = match host.rsplit_once(':') {
            Some((name, port)) if !name.ends_with(':') => (name, Some(port)),
            _ => (host, None),
        };
        if name.is_empty() || name.contains(char::is_whitespace) {
            return bad(&format!("'{host}' is not host:port"));
        }
        if let Some(port) = port
            && !matches!(port.parse::<u16>(), Ok(p) if p > 0)
        {
            return bad(&format!("'{port}' is not a port"));
        }
    }
    Ok(())
}

/// Splits `scheme:credentials`, e.g. `digest:user:secret`.
pub fn parse_auth(auth: &str) -> Result<(&str, &str), Error> {
    match auth.split_once(':') {
        Some((scheme, cred)) if !scheme.is_empty() && !cred.is_empty() => Ok((scheme, cred)),
        _ => Err(Error::Usage(
            "bad --auth: expected SCHEME:CREDENTIALS, e.g. digest:user:secret".into(),
        )),
    }
}

impl Session {
    /// Opens a session, giving up after `--connect-timeout` (69) or on failed auth (77).
    pub async fn connect(args: &ConnectionArgs, diag: &Diag) -> Result<Session, Error> {
        // How long one server may stay silent before the client tries the next. The crate's
        // default (0.4 T, 12 s for 30 s) would spend the whole --connect-timeout on one
        // black-holed server of an ensemble; a third of it leaves room to try others.
        let per_server = (args.connect_timeout / 3).max(Duration::from_millis(500));
        let mut connector = Client::connector()
            .with_session_timeout(args.session_timeout)
            .with_connection_timeout(per_server);
        if let Some(auth) = &args.auth {
            let (scheme, cred) = parse_auth(auth)?;
            connector = connector.with_auth(scheme, cred.as_bytes());
        }
        let started = std::time::Instant::now();
        let client = match tokio::time::timeout(
            args.connect_timeout,
            connector.connect(&args.servers),
        )
        .await
        {
            Err(_) => {
                return Err(Error::Unavailable(format!(
                    "no ZooKeeper server answered within {} at {}",
                    humantime::format_duration(args.connect_timeout),
                    args.servers
                )));
            }
            Ok(Err(zookeeper_client::Error::AuthFailed)) => {
                return Err(Error::Refused(format!(
                    "authentication failed at {}",
                    args.servers
                )));
            }
            Ok(Err(e)) => {
                return Err(Error::Unavailable(format!(
                    "cannot connect to {}: {e}",
                    args.servers
                )));
            }
            Ok(Ok(client)) => client,
        };
        let timeout = client.session_timeout();
        let id = client.session_id().0;
        diag.info(format_args!(
            "session {id:#x} on {} in {:?}, negotiated timeout {}",
            args.servers,
            started.elapsed(),
            humantime::format_duration(timeout)
        ));
        if timeout < Duration::from_secs(4) {
            diag.warn(format_args!(
                "negotiated session timeout {} is below 4s: a short network hiccup will stop the command",
                humantime::format_duration(timeout)
            ));
        }
        let states = client.state_watcher();
        Ok(Session {
            client,
            timeout,
            id,
            states,
            kept_watch: None,
            args: args.clone(),
        })
    }

    /// Closes the session and waits for the server to confirm. Closing deletes the session's
    /// ephemeral nodes in the same transaction, which is how zklock releases. When the close
    /// cannot be confirmed, removes `own_node` from a fresh session so nothing is left behind.
    pub async fn close(self, own_node: Option<&str>, diag: &Diag) {
        let Session {
            client,
            mut states,
            args,
            id,
            kept_watch,
            ..
        } = self;
        if states.peek_state().is_terminated() {
            return;
        }
        drop(client);
        let confirmed = tokio::time::timeout(args.connect_timeout, async {
            loop {
                if states.changed().await.is_terminated() {
                    return;
                }
            }
        })
        .await
        .is_ok();
        drop(kept_watch); // only now: the client is gone, so no RemoveWatches goes out
        if confirmed {
            return;
        }
        let Some(node) = own_node else { return };
        diag.warn(format_args!(
            "close of session {id:#x} not confirmed; removing {node} from a new session"
        ));
        match remove_orphan(&args, node, id, diag).await {
            Ok(()) => diag.warn(format_args!("{node} is gone")),
            Err(e) => diag.warn(format_args!(
                "could not remove {node} ({e}); the server removes it when session {id:#x} expires"
            )),
        }
    }
}

/// Deletes `node` if it is still an ephemeral of session `owner`.
async fn remove_orphan(
    args: &ConnectionArgs,
    node: &str,
    owner: i64,
    diag: &Diag,
) -> Result<(), Error> {
    let session = Box::pin(Session::connect(args, diag)).await?;
    let result = match session.client.check_stat(node).await {
        Ok(Some(stat)) if stat.ephemeral_owner == owner => session
            .client
            .delete(node, None)
            .await
            .map_err(|e| Error::zk(node, e)),
        Ok(_) => Ok(()),
        Err(e) => Err(Error::zk(node, e)),
    };
    Box::pin(session.close(None, diag)).await;
    result
}
