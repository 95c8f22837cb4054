//! Every input and every exit (SPEC §6): a closed stdout, absurd durations, raw bytes for the
//! command, usage errors that name the bad thing, reserved paths, and the command's own
//! cgroup. (Signals re-raised while waiting: tests/lock.rs.) Each through the binary, against a
//! real server.

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
        signal: status.signal(),
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

#[test]
fn durations_beyond_any_use_are_refused_at_parse_time() {
    let path = unique_path("durations");
    for (option, value, why) in [
        ("-w", "500000000000y", "longer than 10 years"),
        ("--kill-grace", "500000000000y", "longer than 10 years"),
        ("--connect-timeout", "11y", "longer than 10 years"),
        ("--session-timeout", "25d", "24 days"),
        ("--session-timeout", "0s", "at least 1ms"),
    ] {
        let ran = run(zklock(&servers()).args([option, value, &path, "--", "true"]));
        assert_eq!(ran.code, Some(64), "{option} {value}: {ran:?}");
        assert_eq!(ran.stderr.lines().count(), 1, "{}", ran.stderr);
        assert!(
            ran.stderr.contains(option) && ran.stderr.contains(value) && ran.stderr.contains(why),
            "{option} {value}: {}",
            ran.stderr
        );
    }
    assert!(
        !Zk::connect(&servers()).exists(&path),
        "something was created"
    );
}

#[test]
fn the_command_gets_its_arguments_as_raw_bytes() {
    let path = unique_path("bytes");
    let ran = run(zklock(&servers())
        .args([
            &path,
            "--",
            "sh",
            "-c",
            "printf %s \"$1\" | od -An -tx1",
            "sh",
        ])
        .arg(std::ffi::OsStr::from_bytes(b"\xff\xfe")));
    assert_eq!(ran.code, Some(0), "{ran:?}");
    assert_eq!(ran.stdout.trim(), "ff fe");
    Zk::connect(&servers()).assert_empty_soon(&path, Duration::from_secs(5));
}

#[test]
fn usage_errors_name_the_bad_thing() {
    let cases: &[(&[&str], &str)] = &[
        (&["lock", "--", "true"], "<PATH>"),
        (&["lss", "/x"], "a similar subcommand exists: 'ls'"),
        (
            &["/zookeeper/locks/x", "--", "true"],
            "'/zookeeper/locks/x'",
        ),
        (&["elect", "/zookeeper", "--", "true"], "server's own tree"),
        (&["/locks/\u{e000}", "--", "true"], "U+E000"),
        (&["/locks/a\u{85}b", "--", "true"], "control character"),
    ];
    for (args, named) in cases {
        let ran = run(zklock(&servers()).args(*args));
        assert_eq!(ran.code, Some(64), "{args:?}: {ran:?}");
        assert_eq!(ran.stderr.lines().count(), 1, "{}", ran.stderr);
        assert!(ran.stderr.contains(named), "{args:?}: {}", ran.stderr);
    }
    assert!(!Zk::connect(&servers()).exists("/zookeeper/locks"));
}

/// Reading ZooKeeper's own tree stays possible.
#[test]
fn ls_may_read_the_reserved_tree() {
    let ran = run(zklock(&servers()).args(["ls", "/zookeeper"]));
    assert_eq!(ran.code, Some(0), "{ran:?}");
    assert!(ran.stdout.lines().any(|l| l == "quota"), "{}", ran.stdout);
}

/// Where zklock may make a cgroup v2 (root here), every command runs in one of its own,
/// removed afterwards; `--no-cgroup` runs it in zklock's.
#[test]
fn the_command_runs_in_a_cgroup_of_its_own_where_one_can_be_made() {
    let path = unique_path("cgroup-default");
    let own = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
    let ran = run(zklock(&servers()).args(["-vv", &path, "--", "cat", "/proc/self/cgroup"]));
    assert_eq!(ran.code, Some(0), "{ran:?}");
    let Some(made) = ran.stderr.split("zklock: cgroup ").nth(1) else {
        eprintln!("skipped: no cgroup can be made here: {}", ran.stderr);
        return;
    };
    let dir = made.lines().next().expect("dir").trim();
    assert!(ran.stdout.contains("/zklock-"), "{}", ran.stdout);
    assert!(!std::path::Path::new(dir).exists(), "{dir} left behind");
    let without =
        run(zklock(&servers()).args(["--no-cgroup", &path, "--", "cat", "/proc/self/cgroup"]));
    assert_eq!(without.stdout, own, "{without:?}");
    Zk::connect(&servers()).assert_empty_soon(&path, Duration::from_secs(5));
}
