//! Every option of every subcommand, and nothing else. Doc comments become `--help`.

use std::time::Duration;

use clap::builder::BoolishValueParser;
use clap::{Args, CommandFactory as _, FromArgMatches as _, Parser, Subcommand};

pub use crate::connect::ConnectionArgs;
pub use crate::duration::parse as parse_duration;
pub use crate::security::SecurityArgs;

use crate::signal::Signal;

/// What `zklock --help` and `zklock lock --help` end with: examples, exit status, settings.
macro_rules! after_help {
    () => {
        "\
Examples:
  zklock /locks/backup -- ./backup.sh            # one host at a time runs the backup
  zklock -n /locks/report -- ./report.sh         # skip this run if another host is at it
  zklock -w 2m -c 'pg_dump db > /tmp/db.sql' /locks/dump
  zklock --tls-ca ca.pem --tls-cert app.pem --acl creator /locks/job -- ./job.sh   # TLS, own ACL

Exit status: the command's own; 64 usage, 69 ZooKeeper unavailable, 75 not acquired,
77 refused (login, TLS handshake or ACL), 79 lock lost while the command ran,
126/127 command not executable/found, 70 a bug in zklock; a signal to zklock while no
command runs ends it by that signal, after cleanup.

Settings: /etc/zklock/config, then ~/.config/zklock/config ($XDG_CONFIG_HOME), hold
ZKLOCK_*=value lines (ZKLOCK_SERVERS=zk1:2181,zk2:2181); the environment overrides them and
options override both.

Manual: man zklock, and zklock-lock(1), zklock-elect(1), zklock-watch(1), zklock-ls(1)
(installed by the .deb; in a source tree, man/*.1)."
    };
}

/// `zklock lock --help`'s ending.
const AFTER_HELP: &str = after_help!();

/// `zklock --help`'s ending: the bare form is the main one, so its options are named here too.
const ROOT_HELP: &str = concat!(
    "\
Lock options (the bare form takes every option of `zklock lock`; its --help explains each):
  -n, --nonblock   -w, --wait <DURATION>   -E, --conflict-exit-code <N>   -l, --limit <N>
  --shared   --write   --once-per <DURATION>   --record   -c, --command <STRING>   --id <ID>
  --kill-signal <SIG>   --kill-grace <DURATION>   --cgroup   --no-cgroup

",
    after_help!()
);

/// `zklock lock --help` (and the man page's DESCRIPTION): what holding the lock means.
const LOCK_ABOUT: &str = "\
Run a command while holding a lock (the default subcommand)

zklock creates an ephemeral sequential node under PATH (Curator's InterProcessMutex naming),
waits until it is the lowest, runs the command, and releases by closing its session.

While the command runs, zklock holds a lease on the lock: it probes ZooKeeper every tenth of
the negotiated session timeout T, and when no probe has been answered for 0.35 T it sends the
kill signal to the command (SIGKILL at 0.5 T), before any server may expire the session and
hand the lock to another host. So the command never runs on two hosts at once, even through a
partition; zklock then exits 79. If zklock itself is killed or frozen, a watchdog process and
the command's cgroup stop the command by the same deadline.";

/// Run a command while holding a ZooKeeper lock.
///
/// `zklock <PATH> -- <COMMAND>` is the same as `zklock lock <PATH> -- <COMMAND>`.
#[derive(Debug, Parser)]
#[command(
    arg_required_else_help = true,
    args_override_self = true,
    propagate_version = true,
    name = "zklock",
    version,
    long_version = env!("ZKLOCK_LONG_VERSION"),
    override_usage = "zklock [OPTIONS] <PATH>... -- <COMMAND>...\n       zklock [OPTIONS] <SUBCOMMAND> ...",
    after_help = ROOT_HELP
)]
pub struct Cli {
    #[command(flatten)]
    pub connection: ConnectionArgs,

    #[command(subcommand)]
    pub command: Command,

    /// The settings files read (`-v` names them); main fills it in.
    #[arg(skip)]
    pub settings: Vec<std::path::PathBuf>,
}

impl Cli {
    /// Parses the command line; a line that names no subcommand is the bare form of `lock`.
    ///
    /// `lock`'s lines (the bare form and `zklock lock …`) are parsed by `LockLine`: the root's
    /// options and `lock`'s, without the other subcommands, so the path of every cron job
    /// neither builds those nor copies the global options into each (callgrind: the parse
    /// fell from ~500k of 1.22M instructions in a whole lock cycle to ~265k of 0.94M). A line
    /// `LockLine` rejects (`--help`, `--version`, any mistake) is parsed again by the whole
    /// definition, so help, errors and suggestions are the whole definition's.
    pub fn parse_args(args: Vec<std::ffi::OsString>) -> Result<Cli, clap::Error> {
        // Without subcommands, global options have nowhere to go: clap would still copy the
        // matches to propagate them.
        let mut lock = LockLine::command().mut_args(|a| a.global(false));
        let parsed = lock_line(&lock, &args)
            .and_then(|line| lock.try_get_matches_from_mut(&line).ok())
            .map(|matches| {
                let parsed = LockLine::from_arg_matches(&matches).map(LockLine::into_cli);
                // Freed by the OS at exit: freeing them would cost more than the parse.
                std::mem::forget(matches);
                parsed
            });
        std::mem::forget(lock);
        parsed.unwrap_or_else(|| Cli::parse_whole(args))
    }

    /// Parses with the whole definition (every subcommand).
    fn parse_whole(mut args: Vec<std::ffi::OsString>) -> Result<Cli, clap::Error> {
        let mut command = Cli::command();
        if is_bare(&command, &args) {
            args.insert(1.min(args.len()), "lock".into());
        }
        let matches = command.try_get_matches_from_mut(&args)?;
        let cli = Cli::from_arg_matches(&matches);
        // zklock parses once and exits: freeing clap's definition and matches would cost more
        // instructions than the parse (callgrind: ~180k of ~1.3M in a whole lock cycle); the
        // OS takes the memory back at exit.
        std::mem::forget(matches);
        std::mem::forget(command);
        cli
    }
}

/// `zklock lock`'s line alone: the root's options and `lock`'s, no subcommands (see
/// `Cli::parse_args`). Never shown to users: a line it rejects goes to the whole definition.
#[derive(Debug, Parser)]
#[command(name = "zklock", args_override_self = true, disable_help_flag = true)]
struct LockLine {
    #[command(flatten)]
    connection: ConnectionArgs,

    #[command(flatten)]
    lock: LockArgs,
}

impl LockLine {
    /// For tests: whether `LockLine` takes `args` (false: they go to the whole definition).
    #[cfg(test)]
    fn takes(args: &[std::ffi::OsString]) -> bool {
        lock_line(&LockLine::command(), args)
            .is_some_and(|line| LockLine::command().try_get_matches_from(line).is_ok())
    }

    fn into_cli(self) -> Cli {
        Cli {
            connection: self.connection,
            command: Command::Lock(self.lock),
            settings: Vec::new(),
        }
    }
}

/// The line for `LockLine` when `args` run `lock`: the bare form as it is, `zklock [OPTIONS]
/// lock …` without the word `lock`. None for other subcommands and for lines that run none.
fn lock_line(
    command: &clap::Command,
    args: &[std::ffi::OsString],
) -> Option<Vec<std::ffi::OsString>> {
    match first_positional(command, args)? {
        (_, word) if word.contains('/') => Some(args.to_vec()),
        // Before the word `lock`, only the root's options (the connection's): `lock`'s own
        // there are an error of the whole definition's, which must say so.
        (i, word) if word == "lock" && only_root_options(&args[1..i]) => {
            let mut line = args.to_vec();
            line.remove(i);
            Some(line)
        }
        _ => None,
    }
}

/// Whether every option among `args` is one of the root's (`ConnectionArgs`). Conservative: a
/// word that only looks like an option (a value starting with '-') also says no, and the line
/// goes to the whole definition.
fn only_root_options(args: &[std::ffi::OsString]) -> bool {
    let root = ConnectionArgs::augment_args(clap::Command::new("zklock"));
    args.iter().all(|arg| {
        let arg = arg.to_string_lossy();
        if let Some(long) = arg.strip_prefix("--") {
            let name = long.split('=').next().unwrap_or(long);
            root.get_arguments().any(|a| a.get_long() == Some(name))
        } else if let Some(short) = arg.strip_prefix('-').and_then(|s| s.chars().next()) {
            root.get_arguments().any(|a| a.get_short() == Some(short))
        } else {
            true
        }
    })
}

/// The first positional argument and its index, skipping options and their values as the
/// options of `command` take them. None when there is none before `--`.
fn first_positional<'a>(
    command: &clap::Command,
    args: &'a [std::ffi::OsString],
) -> Option<(usize, std::borrow::Cow<'a, str>)> {
    let takes_value = |arg: &clap::Arg| arg.get_action().takes_values();
    // Unbuilt, `lock` lacks the global options: look at the root's too.
    let lock = command.find_subcommand("lock");
    let options = || {
        command
            .get_arguments()
            .chain(lock.into_iter().flat_map(|l| l.get_arguments()))
    };
    let long_takes = |name: &str| options().any(|a| a.get_long() == Some(name) && takes_value(a));
    let short_takes = |c: char| options().any(|a| a.get_short() == Some(c) && takes_value(a));
    let mut rest = args.iter().enumerate().skip(1);
    while let Some((i, arg)) = rest.next() {
        let arg = arg.to_string_lossy();
        if arg == "--" {
            return None;
        }
        if let Some(long) = arg.strip_prefix("--") {
            if !long.contains('=') && long_takes(long) {
                rest.next();
            }
        } else if let Some(shorts) = arg.strip_prefix('-').filter(|s| !s.is_empty()) {
            // A cluster such as -nv, or -s VALUE, or -sVALUE.
            let chars: Vec<char> = shorts.chars().collect();
            if let Some(i) = chars.iter().position(|c| short_takes(*c))
                && i + 1 == chars.len()
            {
                rest.next();
            }
        } else {
            return Some((i, arg));
        }
    }
    None
}

/// Whether the first positional argument (skipping options and their values, as `lock` takes
/// them) is a path rather than a subcommand: the bare form `zklock [OPTIONS] PATH -- CMD`. A
/// word without a slash is taken for a mistyped subcommand (`zklock lss /x`), which clap then
/// names with a suggestion. (No subcommand's name has a slash.)
fn is_bare(command: &clap::Command, args: &[std::ffi::OsString]) -> bool {
    first_positional(command, args).is_some_and(|(_, word)| word.contains('/'))
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a command while holding a lock (the default subcommand)
    #[command(after_help = AFTER_HELP, long_about = LOCK_ABOUT)]
    Lock(LockArgs),
    /// Run a command while this process leads an election; or show the leader
    #[command(after_help = ELECT_HELP)]
    Elect(ElectArgs),
    /// Print (or run a command on) every change of a znode, its children or its subtree
    #[command(after_help = WATCH_HELP)]
    Watch(WatchArgs),
    /// List znodes; for a lock or election directory, who holds it and who waits
    #[command(after_help = LS_HELP)]
    Ls(LsArgs),
}

const ELECT_HELP: &str = "\
Examples:
  zklock elect /services/scheduler --id \"$(hostname)\" -- ./scheduler   # under systemd on 3 hosts
  zklock elect /services/scheduler --leader                             # who leads? (exit 3: nobody)
  zklock elect /services/scheduler --observe --json                     # a line per change

Contenders are Curator LeaderLatch (-latch-), Curator lock (-lock-) and kazoo (__lock__) nodes;
the lowest sequence leads. The command gets ZKLOCK_LEADER_ID besides the lock environment.
Exit status as for lock; 79 when leadership is lost while the command runs.";

const WATCH_HELP: &str = "\
Examples:
  zklock watch /config/app --data                      # created/changed/deleted, with new data
  zklock watch -R /config --json                       # every change below /config, JSON lines
  zklock watch --once --initial /jobs/ready            # wait for a node to exist (at once if it does)
  zklock watch /config/app -- systemctl reload app     # run a command per (coalesced) change

Events: created, changed, deleted, children, and resync after a session expiry (changes may have
been missed). SIGINT/SIGTERM end it (zklock dies of the signal: 130/143 in a shell).";

const LS_HELP: &str = "\
Examples:
  zklock ls /locks                  # child names, sorted
  zklock ls -l /locks/backup        # who holds the lock, who waits, since when
  zklock ls -R -d /config           # every descendant with its data
  zklock ls --json -R /config       # one JSON document (data as UTF-8, or base64)
  zklock ls --stale -R /locks       # jobs not done within 1.5 periods (exit 2), or never
  zklock ls --stale 36h /locks/backup   # not done within 36 hours
  zklock ls --prometheus -R /locks  # metrics for node_exporter's textfile collector

--stale's DURATION is optional: a word starting with / after it is the PATH.";

/// Options of `zklock lock`.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Lock")]
pub struct LockArgs {
    /// The lock's znode, e.g. /locks/backup (created with its parents when missing); several
    /// paths are all held for the command, taken in sorted order
    #[arg(value_name = "PATH", required = true, num_args = 1..)]
    pub paths: Vec<String>,

    /// Fail at once (exit 75) when the lock is held by someone else
    #[arg(short, long, conflicts_with = "wait")]
    pub nonblock: bool,

    /// Give up (exit 75) when the lock is not acquired within this, the connect included
    /// (69 when no server answered within it); with the server frozen, cleaning up adds at
    /// most ~4 s
    #[arg(short, long, value_parser = parse_duration, value_name = "DURATION")]
    pub wait: Option<Duration>,

    /// Exit status when the lock is not acquired (-n, --wait)
    #[arg(short = 'E', long, default_value_t = 75, value_name = "N")]
    pub conflict_exit_code: u8,

    /// A semaphore: at most N commands at once on PATH, first come first served (Curator
    /// InterProcessSemaphoreV2's layout: PATH/locks and PATH/leases)
    #[arg(short = 'l', long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..), conflicts_with_all = ["shared", "write"])]
    pub limit: Option<u32>,

    /// Take a read lock: held together with other readers, while no writer or exclusive
    /// holder is ahead (Curator InterProcessReadWriteLock's read lock, `__READ__` nodes)
    #[arg(long, conflicts_with = "write")]
    pub shared: bool,

    /// Take the write lock of a read/write lock: alone, after every earlier reader and writer
    /// (Curator's write lock, `__WRIT__` nodes); readers that come later wait for it
    #[arg(long)]
    pub write: bool,

    /// Run at most once per DURATION across every host (cron on many hosts): after acquiring,
    /// skip the command and exit 75 (-E), quietly (-v says so), when the last successful run
    /// recorded in PATH's data started less than DURATION before; otherwise run it and record
    /// the run. Times are the server's. Choose DURATION shorter than the cron period (12h for
    /// a nightly job)
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    pub once_per: Option<Duration>,

    /// Record the run in PATH's data (who, when, how long, how it ended) for `ls -l PATH`,
    /// without --once-per's skip
    #[arg(long)]
    pub record: bool,

    #[command(flatten)]
    pub run: RunArgs,
}

/// How to run and stop the command; shared by `lock` and `elect`.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Command")]
pub struct RunArgs {
    /// Run this string with `sh -c` instead of a command after `--`
    #[arg(short = 'c', long = "command", value_name = "STRING")]
    pub shell_command: Option<String>,

    /// Identity stored in our node [default: <hostname>:<pid>]
    #[arg(long)]
    pub id: Option<String>,

    /// Signal that stops the command when the lock is lost or zklock is told to stop
    #[arg(long, default_value = "TERM", value_parser = SignalParser, value_name = "SIG", hide_possible_values = true)]
    pub kill_signal: Signal,

    /// How long the command has after the kill signal before SIGKILL
    #[arg(long, default_value = "5s", value_parser = parse_duration, value_name = "DURATION")]
    pub kill_grace: Duration,

    /// Insist on a cgroup v2 of the command's own: warn when none can be made. (Where zklock
    /// may make one — root, or a systemd unit with Delegate=yes — every command gets one
    /// anyway, so even descendants that left its session die with it.)
    #[arg(long, env = "ZKLOCK_CGROUP", conflicts_with = "no_cgroup", value_parser = BoolishValueParser::new())]
    pub cgroup: bool,

    /// Run the command without a cgroup of its own (its process group and zklock's sweep still
    /// stop its descendants, but not one that left its session if zklock is SIGKILLed)
    #[arg(long, env = "ZKLOCK_NO_CGROUP", value_parser = BoolishValueParser::new())]
    pub no_cgroup: bool,

    /// The command and its arguments, after `--` (any bytes, as flock passes them)
    #[arg(last = true, value_name = "COMMAND")]
    pub command: Vec<std::ffi::OsString>,
}

/// Options of `zklock elect`.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Election")]
pub struct ElectArgs {
    /// The election's znode, e.g. /services/scheduler
    #[arg(value_name = "PATH")]
    pub path: String,

    /// Print the current leader's id and exit (exit 3 when there is none)
    #[arg(long, conflicts_with_all = ["observe", "shell_command", "command"])]
    pub leader: bool,

    /// Print the leader's id on every change until interrupted
    #[arg(long, conflicts_with_all = ["shell_command", "command"])]
    pub observe: bool,

    /// With --leader or --observe: a JSON object (id, node, since) a line
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub run: RunArgs,
}

impl ElectArgs {
    /// Whether this line runs a command while leading (not `--leader` or `--observe`).
    pub fn runs_a_command(&self) -> bool {
        !(self.leader || self.observe)
    }
}

/// Options of `zklock watch`.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Watch")]
pub struct WatchArgs {
    /// The znode to watch (it need not exist yet)
    #[arg(value_name = "PATH")]
    pub path: String,

    /// Watch its child list instead of the node itself
    #[arg(long, conflicts_with = "recursive")]
    pub children: bool,

    /// Watch every descendant (a persistent recursive watch)
    #[arg(short = 'R', long)]
    pub recursive: bool,

    /// Append the node's new data to each line
    #[arg(short, long)]
    pub data: bool,

    /// One JSON object a line: event, path, zxid/version where known, data
    #[arg(long)]
    pub json: bool,

    /// Exit 0 after the first event
    #[arg(long)]
    pub once: bool,

    /// Print the current state first (`initial <path>` for each node that exists)
    #[arg(long)]
    pub initial: bool,

    /// Run this for each event (with ZKLOCK_EVENT, ZKLOCK_EVENT_PATH); events that arrive
    /// while it runs are coalesced into one follow-up run
    #[arg(last = true, value_name = "COMMAND")]
    pub command: Vec<std::ffi::OsString>,
}

/// Options of `zklock ls`.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Listing")]
pub struct LsArgs {
    /// The znode whose children to list
    #[arg(value_name = "PATH", default_value = "/")]
    pub path: String,

    /// Every descendant, as full paths, in tree order (each node followed by its descendants)
    #[arg(short = 'R', long)]
    pub recursive: bool,

    /// Show each node's data
    #[arg(short, long)]
    pub data: bool,

    /// Type, owner session, version, sizes, mtime, and each contender's role, id and age; first,
    /// the last run recorded in PATH, if any (zklock-lock(1): once per period)
    #[arg(short, long)]
    pub long: bool,

    /// One JSON document (data as UTF-8, or base64 when it is not)
    #[arg(long)]
    pub json: bool,

    /// Is PATH (a lock, read/write lock, semaphore or election) held, and by whom: prints each
    /// holder's id and exits 0, or exits 3 when nobody holds it
    #[arg(long, conflicts_with_all = ["recursive", "data", "long"])]
    pub holder: bool,

    /// Prometheus metrics of every lock, election and semaphore directory and run record at
    /// PATH and below it (one level; every level with -R), for node_exporter's textfile
    /// collector: held, holders, waiters, since when each holder holds, the semaphore's N, the
    /// last run and the last success (server times), and the period
    #[arg(long, conflicts_with_all = ["data", "long", "json", "holder", "stale"])]
    pub prometheus: bool,

    /// The run records at PATH and below it (one level; every level with -R) whose last success
    /// started longer ago than DURATION (default: 1.5 × the period recorded with the run, see
    /// zklock-lock(1): once per period), or that never succeeded: a line each, and exit 2;
    /// exit 0 when none is. A record without a period is reported as unknown when no DURATION
    /// is given (not stale)
    #[arg(long, value_name = "DURATION", num_args = 0..=1, default_missing_value = "", conflicts_with_all = ["data", "long", "holder"])]
    pub stale: Option<String>,
}

/// `--kill-signal`'s parser: `Signal::parse`, with the signal names as the values shells
/// complete (rather than file names).
#[derive(Clone)]
struct SignalParser;

impl clap::builder::TypedValueParser for SignalParser {
    type Value = Signal;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<Signal, clap::Error> {
        let parse: fn(&str) -> Result<Signal, String> = Signal::parse;
        parse.parse_ref(cmd, arg, value)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            Signal::names().map(clap::builder::PossibleValue::new),
        ))
    }
}

/// Prints a clap error as one line (help and version as clap renders them) and returns the exit
/// status: 0 for help and version, 64 for usage errors.
pub fn usage_error(e: clap::Error) -> i32 {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                64
            } else {
                0
            }
        }
        _ => {
            crate::diag::say(format!(
                "zklock: {} (see zklock --help)\n",
                one_line(&e.render().to_string())
            ));
            64
        }
    }
}

/// clap's message on one line: the error, the names it lists (a missing `<PATH>`), and its
/// tip (a similar subcommand), without the usage that follows.
fn one_line(text: &str) -> String {
    let mut lines = text
        .lines()
        .map(str::trim)
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or("bad usage");
    let mut out = first.strip_prefix("error: ").unwrap_or(first).to_string();
    for line in lines {
        if line.starts_with("tip:") {
            out.push_str(&format!(" ({line})"));
        } else {
            out.push(' ');
            out.push_str(line);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Settings files may name exactly the environment variables zklock reads.
    #[test]
    fn settings_know_every_environment_name() {
        use clap::CommandFactory;
        let command = Cli::command();
        let mut names: Vec<String> = command
            .get_arguments()
            .chain(command.get_subcommands().flat_map(|s| s.get_arguments()))
            .filter_map(|a| Some(a.get_env()?.to_str()?.to_string()))
            .chain([crate::security::SASL_PASSWORD_ENV.to_string()])
            .collect();
        names.sort();
        names.dedup();
        assert_eq!(names, crate::settings::KNOWN);
    }

    fn parse(line: &str) -> Cli {
        let args = line.split(' ').map(std::ffi::OsString::from).collect();
        Cli::parse_args(args).unwrap_or_else(|e| panic!("{line}: {e}"))
    }

    fn lock_path(cli: &Cli) -> &str {
        match &cli.command {
            Command::Lock(args) => &args.paths[0],
            other => panic!("not lock: {other:?}"),
        }
    }

    /// `lock`'s own parser reads every `lock` line as the whole definition does, and leaves
    /// to it every line it should not take.
    #[test]
    fn the_lock_line_parses_as_the_whole_definition() {
        let lines = [
            "zklock /x -- true",
            "zklock lock /x -- true",
            "zklock -s h:1/chroot -v -v lock /x /y -- a b",
            "zklock /x -n -E 3 --id me -- true",
            "zklock --wait=2m --kill-signal INT --kill-grace 1s /x -c date",
            "zklock -l 3 --session-timeout 10s --connect-timeout 2s /x -- true",
            "zklock --shared /x -- true",
            "zklock --write --no-cgroup /x -- true",
            "zklock --once-per 1h --record --cgroup /x -- true",
            "zklock --tls --tls-ca ca.pem --acl creator /x -- true",
            "zklock --id ls /x -- true",
            "zklock -nv /x -- true",
            "zklock -sh:1 /x -- --help",
        ];
        for line in lines {
            let args: Vec<std::ffi::OsString> = line.split(' ').map(Into::into).collect();
            assert!(LockLine::takes(&args), "{line}: LockLine did not take it");
            assert_eq!(
                format!("{:?}", Cli::parse_args(args.clone())),
                format!("{:?}", Cli::parse_whole(args)),
                "{line}"
            );
        }
        // Lines that are not `lock`'s, or that it rejects, go to the whole definition.
        for line in [
            "zklock ls /x",
            "zklock /x --help",
            "zklock lock --version",
            "zklock lock",
            "zklock lss /x",
            "zklock /x -n -w 1s -- true",
            "zklock -- /x",
        ] {
            let args: Vec<std::ffi::OsString> = line.split(' ').map(Into::into).collect();
            assert!(!LockLine::takes(&args), "{line}: LockLine took it");
            assert_eq!(
                format!("{:?}", Cli::parse_args(args.clone())),
                format!("{:?}", Cli::parse_whole(args)),
                "{line}"
            );
        }
    }

    /// The differential test the lock-line parser is kept by (README, Performance): every
    /// option of `lock`'s line and of the root, in each form clap takes (`--long V`,
    /// `--long=V`, `-s V`, `-sV`, a flag alone), before and after the path, in the bare form
    /// and after `lock`, with a good value, a bad one and none, parses as the whole
    /// definition parses it: the same command line, or the same error.
    #[test]
    fn every_option_form_and_error_of_the_lock_line_parses_as_the_whole_definition() {
        let split = |line: &str| -> Vec<std::ffi::OsString> {
            line.split(' ')
                .filter(|w| !w.is_empty())
                .map(Into::into)
                .collect()
        };
        let same = |line: &str| {
            let args = split(line);
            assert_eq!(
                format!("{:?}", Cli::parse_args(args.clone())),
                format!("{:?}", Cli::parse_whole(args)),
                "{line}"
            );
        };
        let whole_takes = |line: &str| Cli::parse_whole(split(line)).is_ok();
        let mut lines = 0;
        for arg in LockLine::command().get_arguments() {
            let (long, short) = (arg.get_long(), arg.get_short());
            if long.is_none() && short.is_none() {
                continue;
            }
            let mut forms: Vec<String> = Vec::new();
            if arg.get_action().takes_values() {
                let name =
                    long.map_or_else(|| format!("-{}", short.unwrap()), |l| format!("--{l}"));
                let possible: Vec<String> = arg
                    .get_possible_values()
                    .iter()
                    .map(|v| v.get_name().to_string())
                    .collect();
                let candidates = possible
                    .into_iter()
                    .chain(["2s", "3", "INT", "creator", "h:1", "x"].map(String::from));
                let good = candidates
                    .clone()
                    .find(|v| whole_takes(&format!("zklock {name} {v} /x -- true")));
                let bad = ["bogus", "-1", "0", ""]
                    .into_iter()
                    .find(|v| !whole_takes(&format!("zklock {name}={v} /x -- true")));
                for value in good.iter().map(String::as_str).chain(bad) {
                    if let Some(l) = long {
                        forms.push(format!("--{l} {value}"));
                        forms.push(format!("--{l}={value}"));
                    }
                    if let Some(c) = short {
                        forms.push(format!("-{c} {value}"));
                        forms.push(format!("-{c}{value}"));
                    }
                }
                // No value at all: the option last.
                lines += 1;
                same(&format!("zklock /x {name}"));
            } else {
                forms.extend(long.map(|l| format!("--{l}")));
                forms.extend(short.map(|c| format!("-{c}")));
                // Given twice, and with a value it does not take.
                forms.extend(long.map(|l| format!("--{l} --{l}")));
                forms.extend(long.map(|l| format!("--{l}=v")));
            }
            for form in &forms {
                for line in [
                    format!("zklock {form} /x -- true"),
                    format!("zklock /x {form} -- true"),
                    format!("zklock {form} lock /x -- true"),
                    format!("zklock lock {form} /x -c date"),
                ] {
                    lines += 1;
                    same(&line);
                }
            }
        }
        // Unknown options, a misspelt one, and lines with no path or command.
        for line in [
            "zklock --bogus /x -- true",
            "zklock --waitt 2s /x -- true",
            "zklock -Z /x -- true",
            "zklock /x",
            "zklock /x --",
            "zklock lock -- true",
        ] {
            lines += 1;
            same(line);
        }
        assert!(lines > 200, "only {lines} lines compared");
    }

    #[test]
    fn the_bare_form_is_lock_even_when_an_option_value_names_a_subcommand() {
        assert_eq!(lock_path(&parse("zklock /x -- true")), "/x");
        assert_eq!(lock_path(&parse("zklock -E 3 -w 2m /x -- true")), "/x");
        assert_eq!(lock_path(&parse("zklock --id ls /x -- true")), "/x");
        assert_eq!(
            lock_path(&parse("zklock -s ls:1 --acl open /x -- true")),
            "/x"
        );
        assert_eq!(lock_path(&parse("zklock --tls-ca watch /x -- true")), "/x");
        assert_eq!(lock_path(&parse("zklock --wait=2s -v /x -- true")), "/x");
        assert_eq!(lock_path(&parse("zklock lock /x -- true")), "/x");
        assert!(matches!(parse("zklock -v ls /").command, Command::Ls(_)));
        assert!(matches!(
            parse("zklock --tls elect /e --leader").command,
            Command::Elect(_)
        ));
    }
}
