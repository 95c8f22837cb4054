//! zklock: run a command while holding a ZooKeeper lock or leadership.

pub mod acl;
pub mod cgroup;
pub mod child;
pub mod cli;
pub mod cmd;
pub mod connect;
pub mod diag;
pub mod duration;
pub mod error;
pub mod guard;
pub mod helpers;
pub mod holding;
pub mod host;
pub mod interrupt;
pub mod lease;
pub mod out;
pub mod queue;
pub mod recipe;
pub mod record;
pub mod render;
pub mod security;
pub mod semaphore;
pub mod settings;
pub mod signal;
pub mod sys;
pub mod threads;
pub mod znode;

use cli::Cli;
use diag::Diag;
use error::Error;

/// Forks the watchdog now, when the command line will run a command under a lock or a
/// leadership: first thing, while zklock is small and has one thread (sys/watchdog.rs). Not
/// for `-n`, so that a conflict costs none: its holder forks one once it holds.
pub fn start_watchdog_early(cli: &Cli) {
    let holds = match &cli.command {
        cli::Command::Lock(args) => !args.nonblock,
        cli::Command::Elect(args) => args.runs_a_command(),
        cli::Command::Watch(_) | cli::Command::Ls(_) => false,
    };
    if holds && helpers::watchdog_wanted() {
        sys::watchdog::start_early();
    }
}

/// Runs the parsed command line; returns the exit status.
pub fn run(cli: Cli) -> i32 {
    let diag = Diag::new(cli.connection.quiet, cli.connection.verbose);
    for file in &cli.settings {
        diag.info(format_args!("settings from {}", file.display()));
    }
    match dispatch(cli, &diag) {
        Ok(status) => status,
        // After cleanup (the runtime is gone, the node removed): die of the same signal, so
        // that a shell loop around zklock stops on Ctrl-C as it would around any command.
        Err(Error::Interrupted(sig)) => signal::die_of(sig),
        Err(Error::OutputClosed) => 0,
        // A conflict is quiet, as flock -n is (SPEC §5.1): said under -v, with who holds it.
        Err(e @ Error::NotAcquired { .. }) => {
            diag.info(format_args!("{e}"));
            e.code()
        }
        // Expected outcomes (no leader; done within --once-per), not failures: -q silences them.
        Err(e @ (Error::AlreadyDone { .. } | Error::Vacant(_))) => {
            diag.warn(format_args!("{e}"));
            e.code()
        }
        Err(e) => {
            diag.error(format_args!("{e}"));
            e.code()
        }
    }
}

fn dispatch(cli: Cli, diag: &Diag) -> Result<i32, Error> {
    let connection = connect::Connection::resolve(cli.connection)?;
    // One thread: the command must be forked from the main thread (see child::spawn).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Other(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(cmd::run(cli.command, &connection, diag))
}
