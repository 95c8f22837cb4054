//! One module per subcommand, each composing connect, recipe, guard and child.

pub mod elect;
pub mod lock;
pub mod ls;
pub mod watch;

use crate::cli::{Command, ConnectionArgs};
use crate::diag::Diag;
use crate::error::Error;

/// Runs one subcommand; returns the exit status.
pub async fn run(command: Command, connection: &ConnectionArgs, diag: &Diag) -> Result<i32, Error> {
    match command {
        Command::Lock(args) => lock::run(connection, lock::Plan::lock(args)?, diag).await,
        Command::Elect(args) => elect::run(connection, args, diag).await,
        Command::Watch(args) => watch::run(connection, args, diag).await,
        Command::Ls(args) => ls::run(connection, args, diag).await,
    }
}
