use zklock::cli::Cli;

fn main() {
    let cli = match Cli::parse_args(std::env::args_os().collect()) {
        Ok(cli) => cli,
        Err(e) => std::process::exit(zklock::cli::usage_error(e)),
    };
    std::process::exit(zklock::run(cli));
}
