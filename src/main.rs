use zklock::cli::Cli;

fn main() {
    // SAFETY: first thing in main: the process has one thread.
    let settings = match unsafe { zklock::settings::load() } {
        Ok(files) => files,
        Err(why) => {
            eprintln!("zklock: {why}");
            std::process::exit(64);
        }
    };
    let mut cli = match Cli::parse_args(std::env::args_os().collect()) {
        Ok(cli) => cli,
        Err(e) => std::process::exit(zklock::cli::usage_error(e)),
    };
    cli.settings = settings;
    std::process::exit(zklock::run(cli));
}
