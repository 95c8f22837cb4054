//! `#![no_main]`: Rust's own start-up (before `fn main`) places the main thread's stack guard
//! by reading /proc/self/maps: ~96k of the ~0.94M instructions of a whole lock cycle, and a
//! tenth of a millisecond on every cron job. zklock does the two parts of that start-up it
//! needs itself (`out::prepare`); a stack overflow is then a plain SIGSEGV. (Built as a test,
//! by `cargo test --all-targets`, the file keeps the harness's `main`: it has no tests.)
#![cfg_attr(not(test), no_main)]

#[cfg(not(test))]
#[unsafe(no_mangle)]
extern "C" fn main(argc: libc::c_int, argv: *const *const libc::c_char) -> libc::c_int {
    use zklock::cli::Cli;
    // SAFETY: the C runtime's own argc and argv (std's `args_os()` is empty here on musl).
    let args = unsafe { zklock::sys::arguments(argc, argv) };
    // SAFETY: first thing in main: the process has one thread.
    unsafe { zklock::out::prepare() };
    // SAFETY: as above.
    let settings = match unsafe { zklock::settings::load() } {
        Ok(files) => files,
        Err(why) => {
            eprintln!("zklock: {why}");
            std::process::exit(64);
        }
    };
    let mut cli = match Cli::parse_args(args) {
        Ok(cli) => cli,
        Err(e) => std::process::exit(zklock::cli::usage_error(e)),
    };
    cli.settings = settings;
    // Before any other thread, and before zklock narrows its CPUs.
    zklock::start_watchdog_early(&cli);
    // Its two threads on one CPU (the second, async-io's, started now): src/threads.rs.
    zklock::threads::start();
    std::process::exit(zklock::run(cli));
}

// The unwinder from libgcc_eh.a, linked in, instead of libgcc_s.so.1: one shared library fewer
// for the dynamic loader to find, map and relocate at every start (about 0.15 ms on the
// benchmark's machine; README, Performance). Rust's standard library asks for `gcc_s`; named
// here, in the binary's own crate, the archive comes first on the linker's command line and
// defines the `_Unwind_*` symbols, so `--as-needed` drops libgcc_s. (libgcc_eh.a ships with
// gcc, which links every Rust program on linux-gnu.)
#[cfg(all(not(test), target_os = "linux", target_env = "gnu"))]
#[link(name = "gcc_eh", kind = "static")]
unsafe extern "C" {}
