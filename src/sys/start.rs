//! The process's start: main's arguments, the standard streams, and the settings files'
//! variables, all while zklock has one thread.
//!
//! Why by hand: under `#![no_main]` (main.rs) Rust's own start-up does not run, so zklock does
//! the two parts of it it needs (the standard streams, SIGPIPE), and takes its arguments from
//! the C runtime (std's `args_os()` is empty on musl there). Changing the environment is
//! unsafe while another thread may read it: `SingleThreaded` is the proof that none can yet.

use std::ffi::{CStr, OsString, c_char, c_int};
use std::marker::PhantomData;

/// Proof that the process has one thread: made by `c_main!`'s `main` alone, first thing, and
/// given up (by value) when zklock starts its second thread (`affinity::start_threads`). Not
/// `Send`, so no thread can take it.
pub struct SingleThreaded(PhantomData<*const ()>);

/// What `main` was given.
pub struct Start {
    pub args: Vec<OsString>,
    pub single: SingleThreaded,
}

impl Start {
    /// # Safety
    /// Called once, first thing in the C `main`, with the C runtime's `argc` and `argv`.
    #[doc(hidden)]
    pub unsafe fn from_c_main(argc: c_int, argv: *const *const c_char) -> Start {
        use std::os::unix::ffi::OsStringExt;
        let args = (0..argc.max(0) as usize)
            // SAFETY: the C runtime's argv holds argc valid C strings.
            .map(|i| unsafe { CStr::from_ptr(*argv.add(i)) })
            .map(|arg| OsString::from_vec(arg.to_bytes().to_vec()))
            .collect();
        prepare_streams();
        Start {
            args,
            single: SingleThreaded(PhantomData),
        }
    }
}

/// The C `main` of the binary: it hands `$run` the arguments and the single-thread proof, and
/// exits with the status `$run` returns.
#[macro_export]
macro_rules! c_main {
    ($run:path) => {
        #[unsafe(no_mangle)]
        extern "C" fn main(
            argc: ::std::ffi::c_int,
            argv: *const *const ::std::ffi::c_char,
        ) -> ::std::ffi::c_int {
            // SAFETY: the C runtime's own argc and argv, first thing in the process.
            let start = unsafe { $crate::sys::start::Start::from_c_main(argc, argv) };
            $run(start)
        }
    };
}

/// What Rust's start-up does for the standard streams, done by zklock's own: a closed stdin,
/// stdout or stderr is opened on /dev/null, so no socket or file of zklock's takes its number
/// (and gets the listing, or becomes the command's stdout); SIGPIPE is ignored, so a reader
/// that goes away is an error to handle (out.rs), not death.
fn prepare_streams() {
    use rustix::event::{PollFd, PollFlags, poll};
    use rustix::stdio::{stderr, stdin, stdout};
    let (stdin, stdout, stderr) = (stdin(), stdout(), stderr());
    let mut streams = [
        PollFd::new(&stdin, PollFlags::empty()),
        PollFd::new(&stdout, PollFlags::empty()),
        PollFd::new(&stderr, PollFlags::empty()),
    ];
    if poll(&mut streams, Some(&rustix::time::Timespec::default())).is_ok_and(|n| n > 0) {
        for stream in &streams {
            // open takes the lowest free number: the closed stream's. Leaked: it is that
            // stream from now on.
            if stream.revents().contains(PollFlags::NVAL) {
                match rustix::fs::open(c"/dev/null", rustix::fs::OFlags::RDWR, 0.into()) {
                    Ok(fd) => std::mem::forget(fd),
                    Err(_) => std::process::abort(),
                }
            }
        }
    }
    // SAFETY: setting a disposition to SIG_IGN has no preconditions.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
}

impl SingleThreaded {
    /// Sets the environment variable `key` to `value` (settings files, SPEC §5.1).
    pub fn set_env(&self, key: &str, value: &str) {
        // SAFETY: the process has one thread (`SingleThreaded`), so nothing reads the
        // environment meanwhile.
        unsafe { std::env::set_var(key, value) };
    }
}

/// The process's environment as the C library keeps it: a null-terminated array of C
/// strings, or null (spawn.rs passes its strings on without a copy).
pub(super) fn environment() -> *const *const c_char {
    unsafe extern "C" {
        /// The C library's environment (glibc and musl alike; the libc crate names it only
        /// for some targets).
        static environ: *const *const c_char;
    }
    // SAFETY: reads the pointer; zklock changes its environment only while it has one thread
    // (above).
    unsafe { environ }
}

// The unwinder from libgcc_eh.a, linked in, instead of libgcc_s.so.1: one shared library fewer
// for the dynamic loader to find, map and relocate at every start (README, Performance: 2–3%
// of a cycle). Rust's standard library asks for `gcc_s`; named here, in a crate linked before
// std, the archive comes first on the linker's command line and defines the `_Unwind_*`
// symbols, so `--as-needed` drops libgcc_s (tests/package.rs checks the binary loads only
// libc). libgcc_eh.a ships with gcc, which links every Rust program on linux-gnu.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[link(name = "gcc_eh", kind = "static", modifiers = "-bundle")]
unsafe extern "C" {}
