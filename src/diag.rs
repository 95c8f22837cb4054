//! Diagnostics on stderr, every line prefixed `zklock:`; quiet by default so cron mails only on
//! trouble.
//!
//! Each line goes out in one write(2), so it cannot interleave mid-line with the command's own
//! output, and a write that fails (a reader of stderr that went away: EPIPE; a terminal that
//! hung up: EIO) is dropped: a diagnostic never ends zklock, whose command and lock matter more
//! (SPEC §6). (std's `eprintln!` panics on such a failure.)

use std::fmt::Arguments;

/// How much to say on stderr: `-q` → 0, default → 1, `-v` → 2, `-vv` → 3.
#[derive(Debug, Clone, Copy)]
pub struct Diag {
    level: u8,
    /// stderr is a terminal: a waiting zklock may keep one self-updating status line there.
    terminal: bool,
}

impl Diag {
    pub fn new(quiet: bool, verbose: u8) -> Diag {
        let terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
        Diag {
            level: if quiet { 0 } else { 1 + verbose },
            terminal,
        }
    }

    /// `-v` or more: worth a request to the server for what `info` shows.
    pub fn is_verbose(&self) -> bool {
        self.level >= 2
    }

    /// Whether `status` lines are shown: stderr is a terminal and not `-q`.
    pub fn has_status_line(&self) -> bool {
        self.terminal && self.level >= 1
    }

    /// Rewrites the one status line (only on a terminal; nothing is left in logs or cron mail).
    pub fn status(&self, msg: Arguments<'_>) {
        if self.has_status_line() {
            say(format!("\rzklock: {msg}\x1b[K"));
        }
    }

    /// The status line's lifetime: it is erased when the returned guard is dropped, however
    /// the wait ends.
    pub fn status_line(&self) -> StatusLine<'_> {
        StatusLine(self)
    }

    /// Fatal errors: always shown.
    pub fn error(&self, msg: Arguments<'_>) {
        say(format!("zklock: {msg}\n"));
    }

    /// Something the user should know even without `-v` (a lost lock, an unconfirmed release).
    pub fn warn(&self, msg: Arguments<'_>) {
        if self.level >= 1 {
            say(format!("zklock: {msg}\n"));
        }
    }

    /// `-v`: session, negotiated timeout, queue position, timings; each line stamped with
    /// the time (UTC, to the millisecond), as a log reader needs.
    pub fn info(&self, msg: Arguments<'_>) {
        if self.level >= 2 {
            say(format!("{} zklock: {msg}\n", stamp()));
        }
    }

    /// `-vv`: every probe and state change.
    pub fn debug(&self, msg: Arguments<'_>) {
        if self.level >= 3 {
            say(format!("{} zklock: {msg}\n", stamp()));
        }
    }
}

/// Erases the status line when dropped.
pub struct StatusLine<'a>(&'a Diag);

impl Drop for StatusLine<'_> {
    fn drop(&mut self) {
        if self.0.has_status_line() {
            say("\r\x1b[K".to_string());
        }
    }
}

/// Writes `text` to stderr in one write(2); a failure is dropped (see the top of this file).
pub fn say(text: String) {
    let _ = rustix::io::write(rustix::stdio::stderr(), text.as_bytes());
}

/// Warns, as ssh does, when `file`'s mode has any of `bits` (0o022: others may write it;
/// 0o044: others may read it): "zklock: warning: {what}: {risk} (mode …): {fix}". A warning
/// of zklock's start, before `-q` is read: always said.
pub fn warn_about_mode(file: &std::path::Path, bits: u32, what: &str, risk: &str, fix: &str) {
    use std::os::unix::fs::MetadataExt;
    if let Ok(meta) = std::fs::metadata(file)
        && meta.mode() & bits != 0
    {
        say(format!(
            "zklock: warning: {what}: {risk} (mode {:o}): {fix}\n",
            meta.mode() & 0o7777
        ));
    }
}

/// Now, for a `-v` line: `2026-11-26T21:59:53.123Z`.
fn stamp() -> humantime::Rfc3339Timestamp {
    humantime::format_rfc3339_millis(std::time::SystemTime::now())
}
