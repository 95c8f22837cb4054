//! Connect string, security and timeouts → a ZooKeeper session; and closing it with
//! confirmation.

mod reasons;

use std::time::Duration;

use zookeeper_client::{Client, StateWatcher};

mod options;

use crate::diag::Diag;
use crate::error::Error;
use crate::render;
use crate::security::{SaslLogin, Security};
pub use options::ConnectionArgs;
use reasons::{Failure, Recorder, Why};

/// How to reach the ensemble: the connection options and the resolved security settings.
#[derive(Clone, Debug)]
pub struct Connection {
    pub args: ConnectionArgs,
    pub security: Security,
}

impl Connection {
    /// Checks the connect string and reads every security file, before anything connects.
    pub fn resolve(args: ConnectionArgs) -> Result<Connection, Error> {
        validate_servers(&args.servers)?;
        let security = Security::resolve(&args.security, &args.servers)?;
        Ok(Connection { args, security })
    }
}

/// One ZooKeeper session and what its deadlines are computed from.
pub struct Session {
    pub client: Client,
    /// The session timeout the server granted: the T of every safety deadline.
    pub timeout: Duration,
    pub id: i64,
    pub states: StateWatcher,
    /// How it was opened: `--acl` and whether it is authenticated decide the ACL of the nodes
    /// it creates.
    pub connection: Connection,
}

/// Checks `[scheme://]host:port[,[scheme://]host:port]...[/chroot]` before any connection is
/// tried, so a typo is a usage error (64) rather than a ten-second wait.
pub fn validate_servers(connect: &str) -> Result<(), Error> {
    let bad = |why: &str| {
        Err(Error::Usage(format!(
            "bad connect string '{connect}': {why}"
        )))
    };
    let mut hosts = Vec::new();
    let mut chroot = None;
    for host in connect.split(',') {
        let host = match host.split_once("://") {
            Some(("tcp" | "tcp+tls", rest)) => rest,
            Some((scheme, _)) => {
                return bad(&format!(
                    "unknown scheme '{scheme}://' (tcp:// or tcp+tls://)"
                ));
            }
            None => host,
        };
        match host.find('/') {
            Some(i) if chroot.is_none() => {
                chroot = Some(&host[i..]);
                hosts.push(&host[..i]);
            }
            Some(_) => return bad("a chroot may follow the last host only"),
            None => hosts.push(host),
        }
    }
    if let Some(chroot) = chroot.filter(|c| *c != "/")
        && crate::znode::validate(chroot, crate::znode::Use::Read).is_err()
    {
        return bad("chroot must be an absolute znode path");
    }
    for host in hosts {
        if host.is_empty() {
            return bad("no host");
        }
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

impl Session {
    /// Opens a session, giving up after `--connect-timeout` (69), on failed auth or a refused
    /// TLS handshake (77).
    pub async fn connect(connection: &Connection, diag: &Diag) -> Result<Session, Error> {
        Session::connect_by(connection, None, diag).await
    }

    /// As `connect`, giving up by `deadline` too, if that comes first: `-w D` bounds
    /// everything before the command starts, the connect included, as flock -w does.
    pub async fn connect_by(
        connection: &Connection,
        deadline: Option<std::time::Instant>,
        diag: &Diag,
    ) -> Result<Session, Error> {
        let args = &connection.args;
        let security = &connection.security;
        let connect_timeout = deadline.map_or(args.connect_timeout, |at| {
            args.connect_timeout
                .min(at.saturating_duration_since(std::time::Instant::now()))
        });
        // How long one server may stay silent before the client tries the next. The crate's
        // default (0.4 T, 12 s for 30 s) would spend the whole --connect-timeout on one
        // black-holed server of an ensemble; a third of it leaves room to try others.
        let per_server = (connect_timeout / 3).max(Duration::from_millis(500));
        let connector = security.configure(
            Client::connector()
                .with_session_timeout(args.session_timeout)
                .with_connection_timeout(per_server),
        );
        if security.no_hostname_verification {
            diag.warn(format_args!(
                "TLS hostname verification is off: any certificate from a trusted CA passes for any server"
            ));
        }
        let started = std::time::Instant::now();
        let recorder = Recorder::start();
        let servers = args.servers.as_str();
        let open = || {
            let connector = connector.clone();
            async move {
                if security.tls_everywhere {
                    connector.secure_connect(servers).await
                } else {
                    connector.connect(servers).await
                }
            }
        };
        let hosts = servers.split(',').count();
        let mut opening = Box::pin(open());
        let mut give_up = tokio::time::Instant::now() + connect_timeout;
        let mut said_busy = false;
        // Every server there but closing new connections at once (at its limit of connections
        // from this address, most often): with -w, wait for a free one until -w's end, as for
        // the lock itself.
        let wait_for_a_free_one = |said_busy: &mut bool| match deadline {
            Some(at) if recorder.every_server_was_busy() && std::time::Instant::now() < at => {
                if !*said_busy {
                    diag.info(format_args!(
                        "{servers}: closes new connections at once (at its maxClientCnxns?); waiting for a free one until -w's end"
                    ));
                    *said_busy = true;
                }
                Some(tokio::time::Instant::from_std(at))
            }
            _ => None,
        };
        let opened = loop {
            tokio::select! {
                opened = &mut opening => match opened {
                    // The crate gives up after a session timeout of closed connections; -w
                    // may be longer.
                    Err(e) if !matches!(e, zookeeper_client::Error::AuthFailed)
                        && wait_for_a_free_one(&mut said_busy).is_some() =>
                    {
                        // (Not at once, should the crate give up at once.)
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        opening = Box::pin(open());
                    }
                    opened => break Some(opened),
                },
                _ = tokio::time::sleep_until(give_up) => match wait_for_a_free_one(&mut said_busy) {
                    Some(at) => give_up = at,
                    None => break None,
                },
                // Every server refused our TLS or Kerberos login, or our ticket is missing or
                // expired: waiting longer cannot help.
                _ = every_server_refused(&recorder, hosts) => break None,
            }
        };
        let client = match opened {
            Some(Ok(client)) => client,
            Some(Err(zookeeper_client::Error::AuthFailed)) => {
                return Err(Error::Refused(match &security.sasl {
                    Some(SaslLogin::Digest { user, .. }) => format!(
                        "authentication failed at {servers}: SASL user {user}: wrong password or unknown user"
                    ),
                    #[cfg(feature = "gssapi")]
                    Some(SaslLogin::Kerberos { .. }) => format!(
                        "authentication failed at {servers}: the server did not accept our Kerberos ticket (expired on its way? run kinit again)"
                    ),
                    None if !security.authenticated() => format!(
                        "{servers} requires authentication: log in with --sasl-user, --tls-cert or --auth"
                    ),
                    None => format!("authentication failed at {servers}"),
                }));
            }
            Some(Err(e)) => {
                return Err(not_connected(
                    connection,
                    connect_timeout,
                    &recorder,
                    Some(e),
                ));
            }
            None => return Err(not_connected(connection, connect_timeout, &recorder, None)),
        };
        drop(recorder);
        let timeout = client.session_timeout();
        let id = client.session_id().0;
        diag.info(format_args!(
            "session {id:#x} on {} in {}, negotiated timeout {}",
            args.servers,
            render::duration(started.elapsed()),
            render::duration(timeout)
        ));
        if diag.is_verbose() {
            show_identities(&client, diag).await;
        }
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
            connection: connection.clone(),
        })
    }

    /// Closes the session and waits for the server to confirm. Closing deletes the session's
    /// ephemeral nodes in the same transaction, which is how zklock releases. When the close
    /// cannot be confirmed, removes `own_node` from a fresh session so nothing is left behind.
    ///
    /// Each of the two waits is bounded by `CLOSE_WAIT` (or `--connect-timeout` if shorter), so
    /// zklock ends within about 4 s of deciding to, even with the server frozen; what could not
    /// be removed, the server removes when the session expires, and zklock says so.
    pub async fn close(self, own_node: Option<&str>, diag: &Diag) {
        let own: Vec<String> = own_node.into_iter().map(String::from).collect();
        self.close_then_drop(&own, (), diag).await
    }

    /// As `close`, dropping `keep` only once the client is gone: a watch dropped while the
    /// client lives sends a RemoveWatches request, which closing makes unnecessary.
    pub async fn close_then_drop<T>(self, own_nodes: &[String], keep: T, diag: &Diag) {
        let Session {
            client,
            mut states,
            connection,
            id,
            timeout,
            ..
        } = self;
        let bound = connection.args.connect_timeout.min(CLOSE_WAIT);
        if states.peek_state().is_terminated() {
            return;
        }
        drop(client);
        let confirmed = tokio::time::timeout(bound, async {
            loop {
                if states.changed().await.is_terminated() {
                    return;
                }
            }
        })
        .await
        .is_ok();
        drop(keep); // only now: the client is gone, so no RemoveWatches goes out
        if confirmed {
            return;
        }
        if own_nodes.is_empty() {
            return;
        }
        let node = own_nodes.join(" ");
        diag.warn(format_args!(
            "close of session {id:#x} not confirmed; removing {node} from a new session"
        ));
        let expiry = humantime::format_duration(timeout);
        match tokio::time::timeout(bound, remove_orphans(&connection, own_nodes, id, diag)).await {
            Ok(Ok(())) => diag.warn(format_args!("{node} is gone")),
            Ok(Err(e)) => diag.warn(format_args!(
                "could not remove {node} ({e}); the server removes it when session {id:#x} expires (within {expiry})"
            )),
            Err(_) => diag.warn(format_args!(
                "no server answered within {}; the server removes {node} when session {id:#x} expires (within {expiry})",
                humantime::format_duration(bound)
            )),
        }
    }
}

/// The longest zklock waits for a close to be confirmed, and then again for a new session to
/// remove the node the close may have left.
const CLOSE_WAIT: Duration = Duration::from_secs(2);

/// Deletes each of `nodes` that is still an ephemeral of session `owner`, from a new session.
async fn remove_orphans(
    connection: &Connection,
    nodes: &[String],
    owner: i64,
    diag: &Diag,
) -> Result<(), Error> {
    let session = Box::pin(Session::connect(connection, diag)).await?;
    let mut result = Ok(());
    for node in nodes {
        let removed = match session.client.check_stat(node).await {
            Ok(Some(stat)) if stat.ephemeral_owner == owner => session
                .client
                .delete(node, None)
                .await
                .map_err(|e| Error::zk(node, e)),
            Ok(_) => Ok(()),
            Err(e) => Err(Error::zk(node, e)),
        };
        result = result.and(removed);
    }
    Box::pin(session.close(None, diag)).await;
    result
}

/// Resolves once every one of `hosts` servers has refused our TLS or Kerberos login, or at
/// once when our own Kerberos ticket is the trouble.
async fn every_server_refused(recorder: &Recorder, hosts: usize) {
    loop {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let failures = recorder.failures();
        if failures.iter().any(Failure::is_ours)
            || (failures.len() >= hosts && failures.iter().all(Failure::is_refusal))
        {
            return;
        }
    }
}

/// The error for a session that could not be opened: 77 naming the server when TLS or
/// Kerberos was refused, else 69 with what each server did.
fn not_connected(
    connection: &Connection,
    waited: Duration,
    recorder: &Recorder,
    error: Option<zookeeper_client::Error>,
) -> Error {
    let args = &connection.args;
    let failures = recorder.failures();
    let advice = if connection.security.client_certificate {
        "it does not accept our client certificate (--tls-cert: is it signed by a CA the server trusts?)"
    } else {
        "it requires a client certificate (--tls-cert)"
    };
    let refused: Vec<String> = failures
        .iter()
        .filter(|f| f.is_refusal())
        .map(|f| match f.why {
            Why::TlsAlert(_) => format!("{f}: {advice}"),
            _ => f.to_string(),
        })
        .collect();
    if !refused.is_empty() {
        return Error::Refused(refused.join("; "));
    }
    let per_server = if failures.is_empty() {
        String::new()
    } else {
        let list: Vec<String> = failures.iter().map(ToString::to_string).collect();
        format!(" ({})", list.join("; "))
    };
    match error {
        None => Error::Unavailable(format!(
            "no ZooKeeper server answered within {} at {}{per_server}",
            // (To a hundredth of a second: a deadline of -w's leaves some microseconds less.)
            humantime::format_duration(Duration::from_millis(
                (waited.as_millis() as u64).div_ceil(10) * 10
            )),
            args.servers
        )),
        Some(e) => Error::Unavailable(format!(
            "cannot connect to {}: {e}{per_server}",
            args.servers
        )),
    }
}

/// `-v`: the identities the server granted this session (whoami, ZooKeeper 3.7+), to copy into
/// an ACL. Older servers do not know the request; then nothing is said.
async fn show_identities(client: &Client, diag: &Diag) {
    if let Ok(users) = client.list_auth_users().await {
        let ids: Vec<String> = users
            .iter()
            .map(|u| format!("{}:{}", u.scheme(), u.user()))
            .collect();
        diag.info(format_args!("identities: {}", ids.join(" ")));
    }
}
