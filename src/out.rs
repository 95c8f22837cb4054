//! zklock's standard output: the answers of `ls`, `watch` and `elect --leader/--observe`.
//!
//! A reader that goes away (`zklock ls -R / | head -1`) is not an error: zklock stops quietly
//! with status 0, as ripgrep does, rather than dying of SIGPIPE (Rust ignores it) or panicking
//! in `println!`.

use std::fmt::Display;
use std::io::{self, Write};

use crate::error::Error;

/// Writes `text` and a newline, and flushes: a watcher's reader sees each event at once.
pub fn line(text: impl Display) -> Result<(), Error> {
    let mut out = io::stdout().lock();
    writeln!(out, "{text}")
        .and_then(|()| out.flush())
        .map_err(closed)
}

/// Writes `text` as it is (a whole listing, already ending in a newline).
pub fn text(text: &str) -> Result<(), Error> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(closed)
}

fn closed(e: io::Error) -> Error {
    if e.kind() == io::ErrorKind::BrokenPipe {
        Error::OutputClosed
    } else {
        Error::Other(format!("cannot write to stdout: {e}"))
    }
}

/// Writes `bytes` as they are.
pub fn bytes(bytes: &[u8]) -> Result<(), Error> {
    let mut out = io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(closed)
}
