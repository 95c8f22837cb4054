//! `#![no_main]`: Rust's own start-up (before `fn main`) is not run; zklock does the parts of
//! it it needs itself (src/sys/start.rs), and its C `main` is made by `zklock::c_main!`.
//! README's Performance says what that saves. (Built as a test, by `cargo test
//! --all-targets`, the file keeps the harness's `main`: it has no tests.)
#![cfg_attr(not(test), no_main)]

#[cfg(not(test))]
zklock::c_main!(zklock::main);

// The unwinder from libgcc_eh.a, linked in, instead of libgcc_s.so.1: one shared library fewer
// for the dynamic loader to find, map and relocate at every start (README, Performance). Rust's
// standard library asks for `gcc_s`; named here, in the binary's own crate, the archive comes
// first on the linker's command line and defines the `_Unwind_*` symbols, so `--as-needed`
// drops libgcc_s. (libgcc_eh.a ships with gcc, which links every Rust program on linux-gnu.)
#[cfg(all(not(test), target_os = "linux", target_env = "gnu"))]
#[link(name = "gcc_eh", kind = "static")]
unsafe extern "C" {}
