//! zklock: run a command while holding a ZooKeeper lock or leadership.
//!
//! The library is the binary's: `cli` and `error` are public for the tests that check the
//! man pages, completions and README against them; all else is the crate's own.
#![deny(unsafe_code)]

pub(crate) mod acl;
pub(crate) mod cgroup;
pub(crate) mod child;
pub mod cli;
pub(crate) mod cmd;
pub(crate) mod connect;
pub(crate) mod containment;
pub(crate) mod diag;
pub(crate) mod duration;
pub mod error;
pub(crate) mod guard;
pub(crate) mod holding;
pub(crate) mod hooks;
pub(crate) mod host;
pub(crate) mod interrupt;
pub(crate) mod lease;
pub(crate) mod nested;
pub(crate) mod out;
pub(crate) mod queue;
pub(crate) mod recipe;
pub(crate) mod record;
pub(crate) mod render;
pub(crate) mod security;
pub(crate) mod semaphore;
pub(crate) mod settings;
pub(crate) mod signal;
// The system layer, the one module exempt from the deny above (sys/mod.rs); public, hidden,
// because `c_main!` expands in main.rs and reaches sys::start.
#[doc(hidden)]
#[allow(unsafe_code)]
pub mod sys;
pub(crate) mod threads;
pub(crate) mod znode;

use cli::Cli;
use diag::Diag;
use error::Error;

/// zklock's `main` (main.rs: `c_main!`): the settings, the command line, the watchdog and the
/// threads, then the command line's work; returns the exit status.
pub fn main(start: sys::start::Start) -> i32 {
    let settings = match settings::load(&start.single) {
        Ok(files) => files,
        Err(why) => {
            diag::say(format!("zklock: {why}\n"));
            return 64;
        }
    };
    let mut cli = match Cli::parse_args(start.args) {
        Ok(cli) => cli,
        Err(e) => return cli::usage_error(e),
    };
    cli.settings = settings;
    // Before any other thread, and before zklock narrows its CPUs.
    start_watchdog_early(&cli);
    // Its two threads on one CPU (the second, async-io's, started now): src/threads.rs.
    threads::start(start.single);
    let status = run(cli);
    // (std's exit: stdout flushed, no destructors of statics.)
    std::process::exit(status)
}

/// Forks the watchdog now, when the command line will run a command under a lock or a
/// leadership: first thing, while zklock is small and has one thread (sys/watchdog.rs). Not
/// for `-n`, so that a conflict costs none: its holder forks one once it holds.
fn start_watchdog_early(cli: &Cli) {
    let holds = match &cli.command {
        cli::Command::Lock(args) => !args.nonblock,
        cli::Command::Elect(args) => args.runs_a_command(),
        cli::Command::Watch(_) | cli::Command::Ls(_) => false,
    };
    if holds && containment::watchdog_wanted() {
        sys::watchdog::start_early();
    }
}

/// Runs the parsed command line; returns the exit status.
fn run(cli: Cli) -> i32 {
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
        // Done within --once-per: quiet, as a conflict is (in cron on ten hosts, nine skip
        // every night); -v says so, and whose run it was.
        Err(e @ Error::AlreadyDone { .. }) => {
            diag.info(format_args!("{e}"));
            e.code()
        }
        // An expected outcome (no leader), not a failure: -q silences it.
        Err(e @ Error::Vacant(_)) => {
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
