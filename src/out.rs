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

/// What Rust's start-up does for the standard streams, done by zklock's own (main.rs): a
/// closed stdin, stdout or stderr is opened on /dev/null, so no socket or file of zklock's
/// takes its number (and gets the listing, or becomes the command's stdout); SIGPIPE is
/// ignored, so a reader that goes away is an error to handle (above), not death.
///
/// # Safety
/// First thing in the process, while it has one thread.
pub unsafe fn prepare() {
    let mut streams = [0, 1, 2].map(|fd| libc::pollfd {
        fd,
        events: 0,
        revents: 0,
    });
    // SAFETY: poll reads and fills the three pollfds given; open and signal take constants.
    unsafe {
        if libc::poll(streams.as_mut_ptr(), 3, 0) > 0 {
            for stream in streams {
                // open takes the lowest free number: the closed stream's.
                if stream.revents & libc::POLLNVAL != 0
                    && libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) == -1
                {
                    libc::abort();
                }
            }
        }
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
}

fn closed(e: io::Error) -> Error {
    if e.kind() == io::ErrorKind::BrokenPipe {
        Error::OutputClosed
    } else {
        Error::Other(format!("cannot write to stdout: {e}"))
    }
}
