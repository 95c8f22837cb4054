//! One module per subcommand, each composing connect, recipe, guard and child.

pub mod elect;
pub mod lock;
pub mod ls;
pub mod watch;

use std::future::Future;

use crate::cli::Command;
use crate::connect::Connection;
use crate::diag::Diag;
use crate::error::Error;
use crate::signal::Listener;

/// Runs one subcommand; returns the exit status.
pub async fn run(command: Command, connection: &Connection, diag: &Diag) -> Result<i32, Error> {
    match command {
        Command::Lock(args) => lock::run(connection, lock::Plan::lock(args)?, diag).await,
        Command::Elect(args) => elect::run(connection, args, diag).await,
        Command::Watch(args) => watch::run(connection, args, diag).await,
        Command::Ls(args) => ls::run(connection, args, diag).await,
    }
}

/// Opens a session for `watch` and `elect --observe`, which carry on across expiries: the
/// first connect's failure is the user's answer, a later one is retried (and said on stderr).
async fn connect_again(
    connection: &Connection,
    first: bool,
    diag: &Diag,
) -> Result<crate::connect::Session, Error> {
    loop {
        match crate::connect::Session::connect(connection, diag).await {
            Ok(session) => return Ok(session),
            Err(e) if first => return Err(e),
            Err(e) => diag.warn(format_args!("{e}; retrying")),
        }
    }
}

/// Installs the signal listener before anything touches ZooKeeper, so a SIGTERM during the
/// connect or the wait is handled (and nothing left behind) rather than fatal.
fn listen() -> Result<Listener, Error> {
    Listener::install().map_err(|e| Error::Other(format!("cannot install signal handlers: {e}")))
}

/// Runs `work` unless zklock is told to stop first; then `Interrupted` (exit 128+N).
async fn unless_stopped<T>(
    signals: &mut Listener,
    work: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    tokio::select! {
        done = work => done,
        sig = signals.terminating() => Err(Error::Interrupted(sig)),
    }
}
