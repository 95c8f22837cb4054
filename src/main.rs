//! `#![no_main]`: Rust's own start-up (before `fn main`) is not run; zklock does the parts of
//! it it needs itself (src/sys/start.rs), and its C `main` is made by `zklock::c_main!`.
//! README's Performance says what that saves. (Built as a test, by `cargo test
//! --all-targets`, the file keeps the harness's `main`: it has no tests.)
#![cfg_attr(not(test), no_main)]

#[cfg(not(test))]
zklock::c_main!(zklock::main);
