//! Every input and every exit (SPEC §6): a closed stdout, absurd durations, raw bytes for the
//! command, usage errors that name the bad thing, reserved paths, and signals re-raised when
//! no command runs. Each through the binary, against a real server.

mod support;

use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;
use std::time::Duration;

use support::*;

fn servers() -> String {
    shared().connect()
}

/// Runs `zklock args` with its stdout a pipe whose reading end is closed at once, as
/// `| head -1` does once it has its line; `cause` runs after the spawn, given zklock's stderr
/// file, to make it write.
fn with_closed_stdout(name: &str, args: &[&str], cause: impl FnOnce(&std::path::Path)) -> Ran {
    let log = workdir(name).join("stderr");
    let mut child = zklock(&servers())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).expect("stderr file"))
        .spawn()
        .expect("spawn");
    drop(child.stdout.take());
    cause(&log);
    let waited = eventually(Duration::from_secs(30), || {
        matches!(child.try_wait(), Ok(Some(_)))
    });
    if !waited {
        let _ = child.kill();
    }
    let status = child.wait().expect("wait");
    Ran {
        code: status.code(),
        stdout: String::new(),
        stderr: read(&log),
    }
}

#[test]
fn a_closed_stdout_ends_ls_watch_and_observe_quietly_with_0() {
    let path = unique_path("pipe");
    let zk = Zk::connect(&servers());
    zk.create(&path, b"");
    zk.create(&format!("{path}/a"), b"");

    let ls = with_closed_stdout("pipe-ls", &["ls", "-R", &path], |_| {});
    assert_eq!((ls.code, ls.stderr.as_str()), (Some(0), ""), "ls: {ls:?}");

    let watch = with_closed_stdout("pipe-watch", &["-v", "watch", "-R", &path], |log| {
        assert!(eventually(LIMIT, || read(log).contains("watching ")));
        zk.create(&format!("{path}/w"), b"");
    });
    assert_eq!(watch.code, Some(0), "watch: {watch:?}");
    assert!(!watch.stderr.contains("panicked"), "{}", watch.stderr);

    let observe = with_closed_stdout("pipe-observe", &["elect", &path, "--observe"], |_| {});
    assert_eq!(
        (observe.code, observe.stderr.as_str()),
        (Some(0), ""),
        "elect --observe: {observe:?}"
    );
}

const LIMIT: Duration = Duration::from_secs(20);
