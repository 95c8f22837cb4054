//! Being told to stop: the listener installed before anything touches ZooKeeper, and the
//! race of any piece of work against it.

use crate::error::Error;
use crate::signal::Listener;

/// Installs the signal listener before anything touches ZooKeeper, so a SIGTERM during the
/// connect or the wait is handled (and nothing left behind) rather than fatal. With
/// `defer_forwarding`, the signals passed on to a command are held back until
/// `signal::arm_forwarding` (see `Listener::install`).
pub fn listen(defer_forwarding: bool) -> Result<Listener, Error> {
    Listener::install(defer_forwarding)
        .map_err(|e| Error::Other(format!("cannot install signal handlers: {e}")))
}

/// Runs `work` unless zklock is told to stop first; then `Interrupted` (exit 128+N).
pub async fn unless_stopped<T>(
    signals: &mut Listener,
    work: impl std::future::Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    tokio::select! {
        done = work => done,
        sig = signals.terminating() => Err(Error::Interrupted(sig)),
    }
}
