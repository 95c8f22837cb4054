//! Diagnostics on stderr, every line prefixed `zklock:`; quiet by default so cron mails only on
//! trouble.

use std::fmt::Arguments;

/// How much to say on stderr: `-q` → 0, default → 1, `-v` → 2, `-vv` → 3.
#[derive(Debug, Clone, Copy)]
pub struct Diag {
    level: u8,
}

impl Diag {
    pub fn new(quiet: bool, verbose: u8) -> Diag {
        Diag {
            level: if quiet { 0 } else { 1 + verbose },
        }
    }

    /// Fatal errors: always shown.
    pub fn error(&self, msg: Arguments<'_>) {
        eprintln!("zklock: {msg}");
    }

    /// Something the user should know even without `-v` (a lost lock, an unconfirmed release).
    pub fn warn(&self, msg: Arguments<'_>) {
        if self.level >= 1 {
            eprintln!("zklock: {msg}");
        }
    }

    /// `-v`: session, negotiated timeout, queue position, timings.
    pub fn info(&self, msg: Arguments<'_>) {
        if self.level >= 2 {
            eprintln!("zklock: {msg}");
        }
    }

    /// `-vv`: every probe and state change.
    pub fn debug(&self, msg: Arguments<'_>) {
        if self.level >= 3 {
            eprintln!("zklock: {msg}");
        }
    }
}
