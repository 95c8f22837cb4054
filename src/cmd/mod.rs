//! One module per subcommand, each composing connect, recipe, guard and child.

pub mod elect;
pub mod lock;
pub mod ls;
pub mod watch;

use std::ffi::OsString;

use crate::cli::{Command, RunArgs};
use crate::connect::Connection;
use crate::containment::CgroupUse;
use crate::diag::Diag;
use crate::error::Error;
use crate::guard::Stopping;
use crate::holding::Plan;
use crate::host;
use crate::recipe::{Patience, Recipe};
use crate::znode;

/// Runs one subcommand; returns the exit status.
pub async fn run(command: Command, connection: &Connection, diag: &Diag) -> Result<i32, Error> {
    match command {
        Command::Lock(args) => lock::run(connection, args, diag).await,
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

/// `lock`'s and `elect`'s plan, from their options; checked before anything touches ZooKeeper.
pub fn plan(
    recipe: Recipe,
    mut paths: Vec<String>,
    limit: Option<u32>,
    patience: Patience,
    conflict_code: u8,
    run: RunArgs,
) -> Result<Plan, Error> {
    for path in &paths {
        znode::validate(path, znode::Use::Write)?;
    }
    // Taken in sorted order, each once (SPEC §2.1).
    paths.sort();
    paths.dedup();
    let argv = command_line(run.shell_command, run.command)?;
    Ok(Plan {
        recipe,
        paths,
        limit,
        argv,
        id: run.id.unwrap_or_else(default_id),
        patience,
        conflict_code,
        once_per: None,
        record: false,
        stopping: Stopping {
            signal: run.kill_signal,
            grace: run.kill_grace,
        },
        cgroup: match (run.no_cgroup, run.cgroup) {
            (true, _) => CgroupUse::Never,
            (false, true) => CgroupUse::Insist,
            (false, false) => CgroupUse::WherePossible,
        },
    })
}

/// The command to run: after `--`, or `-c STRING` through `sh -c` (as flock -c); not both.
pub fn command_line(shell: Option<String>, argv: Vec<OsString>) -> Result<Vec<OsString>, Error> {
    match (shell, argv.is_empty()) {
        (Some(s), true) => Ok(vec!["sh".into(), "-c".into(), s.into()]),
        (None, false) => Ok(argv),
        (Some(_), false) => Err(Error::Usage(
            "give the command either after -- or with -c, not both".into(),
        )),
        (None, true) => Err(Error::Usage(
            "no command given (put it after --, or use -c STRING)".into(),
        )),
    }
}

/// `<hostname>:<pid>`, what `ls -l` shows for a holder that gave no `--id`.
pub fn default_id() -> String {
    format!("{}:{}", host::name(), std::process::id())
}
