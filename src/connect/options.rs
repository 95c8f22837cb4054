//! The options that say how to reach ZooKeeper, shared by every subcommand (clap flattens them
//! into the command line; cli.rs re-exports them).

use std::time::Duration;

use clap::Args;

use crate::security::SecurityArgs;

/// How to reach ZooKeeper; shared by every subcommand.
#[derive(Debug, Clone, Args)]
pub struct ConnectionArgs {
    /// ZooKeeper connect string: host:port[,host:port]...[/chroot]
    #[arg(
        short,
        long,
        global = true,
        env = "ZKLOCK_SERVERS",
        default_value = "127.0.0.1:2181",
        value_name = "CONNECT",
        help_heading = "Connection"
    )]
    pub servers: String,

    /// Requested session timeout; the server negotiates it within [2, 20] x tickTime, and every
    /// safety deadline uses the negotiated value
    #[arg(long, global = true, default_value = "30s", value_parser = crate::duration::parse_session_timeout, value_name = "DURATION", help_heading = "Connection")]
    pub session_timeout: Duration,

    /// Give up (exit 69) when no server answers within this; a server silent for a third of
    /// it is given up for the next one. With -w, servers that close new connections at once
    /// (at their maxClientCnxns) are waited for until -w's end
    #[arg(long, global = true, default_value = "10s", value_parser = crate::duration::parse, value_name = "DURATION", help_heading = "Connection")]
    pub connect_timeout: Duration,

    /// Session events, negotiated timeout, queue position and timings on stderr (repeatable)
    #[arg(short, long, global = true, action = clap::ArgAction::Count, help_heading = "Output")]
    pub verbose: u8,

    /// Nothing on stderr but fatal errors
    #[arg(
        short,
        long,
        global = true,
        conflicts_with = "verbose",
        help_heading = "Output"
    )]
    pub quiet: bool,

    #[command(flatten)]
    pub security: SecurityArgs,
}
