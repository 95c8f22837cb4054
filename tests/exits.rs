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

/// A fresh node with one child `a`, for `ls` and `watch` to have something to print.
fn node_with_a_child(name: &str) -> (String, Zk) {
    let path = unique_path(name);
    let zk = Zk::connect(&servers());
    zk.create(&path, b"");
    zk.create(&format!("{path}/a"), b"");
    (path, zk)
}

/// Runs `zklock args` with stdin, stdout and stderr closed, as a daemon may start it
/// (`zklock … <&- >&- 2>&-`); its exit status.
fn with_streams_closed(args: &[&str]) -> Option<i32> {
    use std::os::unix::process::CommandExt;
    let mut command = zklock(&servers());
    command.args(args);
    // SAFETY: close is async-signal-safe.
    unsafe {
        command.pre_exec(|| {
            for fd in 0..3 {
                libc::close(fd);
            }
            Ok(())
        });
    }
    command.status().expect("spawn").code()
}

/// Closed standard streams are opened on /dev/null before zklock opens anything (Rust's
/// start-up does this, and zklock does its own, main.rs): else the first descriptor zklock
/// opens takes a stream's number, `ls` writes its listing into it, and the command inherits
/// it as its stdout.
#[test]
fn closed_standard_streams_become_dev_null_not_zklocks_descriptors() {
    let (path, zk) = node_with_a_child("streams");
    assert_eq!(with_streams_closed(&["ls", "-R", &path]), Some(0), "ls");

    let seen = workdir("streams").join("seen");
    let show = format!(
        "x=$(readlink /proc/$$/fd/0 /proc/$$/fd/1 /proc/$$/fd/2); echo \"$x\" > {}",
        seen.display()
    );
    let lock = format!("{path}/lock");
    assert_eq!(
        with_streams_closed(&[&lock, "--", "sh", "-c", &show]),
        Some(0),
        "lock"
    );
    assert_eq!(read(&seen), "/dev/null\n/dev/null\n/dev/null\n");
    zk.assert_empty_soon(&lock, Duration::ZERO);
}

#[test]
fn a_closed_stdout_ends_ls_watch_and_observe_quietly_with_0() {
    let (path, zk) = node_with_a_child("pipe");

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
    // README's "at most 10 years" holds at its edge: 10y itself is accepted.
    let ran =
        run(zklock(&servers()).args(["-w", "10y", "--kill-grace", "10y", &path, "--", "true"]));
    assert_eq!(ran.code, Some(0), "{ran:?}");
    Zk::connect(&servers()).assert_empty_soon(&path, Duration::ZERO);
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

/// `-w` with the server frozen under the waiter: zklock gives up when the wait is over, does
/// not wait out the close and the clean-up (each is bounded by 2 s), and says that the server
/// removes its node at expiry — which it does.
#[test]
fn a_wait_that_ends_with_the_server_frozen_still_exits_and_says_what_remains() {
    let path = unique_path("frozen-wait");
    let holder = hold(&servers(), &path, "frozen-wait-holder");
    let proxy = Proxy::start(shared().port);
    let started = std::time::Instant::now();
    let waiter =
        Background::spawn(zklock(&proxy.connect()).args(["-w", "3s", &path, "--", "true"]));
    let zk = Zk::connect(&servers());
    zk.wait_children(&path, 2, Duration::from_secs(15));
    proxy.freeze();
    let ran = waiter
        .wait_timeout(Duration::from_secs(60))
        .expect("the waiter gives up");
    eprintln!("gave up after {:?}", started.elapsed());
    assert_eq!(ran.code, Some(75), "{ran:?}");
    assert!(
        ran.stderr.contains("no server answered within 2s") && ran.stderr.contains("expires"),
        "{}",
        ran.stderr
    );
    // The server expires the waiter's session (T = 4 s) and its node goes.
    zk.wait_children(&path, 1, Duration::from_secs(30));
    drop(proxy);
    holder.release();
    zk.assert_empty_soon(&path, Duration::from_secs(5));
}

/// A lock directory that is an ephemeral node cannot have children: a usage error naming it,
/// not the catch-all 70.
#[test]
fn an_ephemeral_lock_directory_is_a_usage_error() {
    let path = unique_path("ephemeral-dir");
    let holder = hold(&servers(), &path, "ephemeral-dir-holder");
    let zk = Zk::connect(&servers());
    let node = format!("{path}/{}", zk.children(&path)[0]);
    let ran = run(zklock(&servers()).args([&node, "--", "true"]));
    assert_eq!(ran.code, Some(64), "{ran:?}");
    assert!(
        ran.stderr.contains("ephemeral") && ran.stderr.contains(&node),
        "{}",
        ran.stderr
    );
    holder.release();
    zk.assert_empty_soon(&path, Duration::from_secs(5));
}

/// "No leader" is an answer: status 3, and nothing on stderr under -q.
#[test]
fn no_leader_is_silent_under_quiet() {
    let path = unique_path("no-leader");
    let ran = run(zklock(&servers()).args(["-q", "elect", &path, "--leader"]));
    assert_eq!((ran.code, ran.stderr.as_str()), (Some(3), ""), "{ran:?}");
}

/// The env forms of the switches take 1/0 and true/false, as README writes them.
#[test]
fn switch_variables_take_1_and_0() {
    let path = unique_path("env-switch");
    for (var, value) in [
        ("ZKLOCK_NO_CGROUP", "1"),
        ("ZKLOCK_CGROUP", "1"),
        ("ZKLOCK_NO_CGROUP", "0"),
    ] {
        let ran = run(zklock(&servers())
            .env(var, value)
            .args([&path, "--", "true"]));
        assert_eq!(ran.code, Some(0), "{var}={value}: {ran:?}");
    }
    Zk::connect(&servers()).assert_empty_soon(&path, Duration::from_secs(5));
}

/// `--wait` races every wait, the retries after a lost connection included: a waiter that
/// hears its predecessor go but whose requests no longer reach the server (its re-listing and
/// reconnects hang) still gives up when the wait is over.
#[test]
fn the_wait_ends_on_time_even_while_requests_hang() {
    let path = unique_path("requests-hang");
    let holder = hold(&servers(), &path, "requests-hang-holder");
    let proxy = Proxy::start(shared().port);
    let waiter =
        Background::spawn(zklock(&proxy.connect()).args(["-v", "-w", "6s", &path, "--", "true"]));
    let zk = Zk::connect(&servers());
    zk.wait_children(&path, 2, Duration::from_secs(15));
    proxy.freeze_requests();
    assert_eq!(holder.release().code, Some(0));
    let ran = waiter
        .wait_timeout(Duration::from_secs(60))
        .expect("the waiter gives up");
    assert_eq!(ran.code, Some(75), "{ran:?}");
    assert!(ran.stderr.contains("not acquired"), "{}", ran.stderr);
    proxy.thaw();
    // The server expires the waiter's session, and its node goes.
    zk.assert_empty_soon(&path, Duration::from_secs(30));
}

/// The command starts with no signal blocked, ignored or handled: zklock's handlers (HUP,
/// QUIT, ... which it forwards) and what it ignores (job control, SIGPIPE) are back at their
/// defaults, even when zklock was started with HUP and QUIT ignored (nohup). With a cgroup
/// and without, whichever way zklock spawned it.
#[test]
fn the_command_starts_with_clean_signal_dispositions() {
    let path = unique_path("signal-dispositions");
    for cgroup in ["--cgroup", "--no-cgroup"] {
        let zklock = format!(
            "{} -s {} {cgroup} {path} -- cat /proc/self/status",
            env!("CARGO_BIN_EXE_zklock"),
            servers()
        );
        let ran = run(std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("trap '' HUP QUIT; exec {zklock}")));
        assert_eq!(ran.code, Some(0), "{ran:?}");
        let masks: Vec<&str> = ran
            .stdout
            .lines()
            .filter(|l| {
                l.starts_with("SigBlk") || l.starts_with("SigIgn") || l.starts_with("SigCgt")
            })
            .collect();
        assert_eq!(
            masks,
            [
                "SigBlk:\t0000000000000000",
                &format!("SigIgn:\t{:016x}", inherited_ignored()),
                "SigCgt:\t0000000000000000"
            ],
            "{cgroup}: {ran:?}"
        );
    }
    Zk::connect(&servers()).assert_empty_soon(&path, Duration::from_secs(5));
}

/// What this test's own environment ignores and the command rightly inherits, less what
/// zklock handles or ignores itself (HUP, INT, TERM, QUIT, job control, PIPE).
fn inherited_ignored() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("status");
    let ours = status
        .lines()
        .find_map(|l| l.strip_prefix("SigIgn:\t"))
        .and_then(|hex| u64::from_str_radix(hex, 16).ok())
        .expect("SigIgn");
    let bit = |sig: i32| 1u64 << (sig - 1);
    // zklock handles these four (it stops on them) and ignores the rest: the command gets
    // them all at their defaults, whatever zklock inherited (a background job of a
    // non-interactive shell, as a CI may run the suite, starts with INT and QUIT ignored).
    ours & !(bit(libc::SIGHUP)
        | bit(libc::SIGINT)
        | bit(libc::SIGTERM)
        | bit(libc::SIGQUIT)
        | bit(libc::SIGPIPE)
        | bit(libc::SIGTSTP)
        | bit(libc::SIGTTIN)
        | bit(libc::SIGTTOU))
}

/// A reader of zklock's stderr that goes away (`2> >(head -c 100)`) does not end zklock: its
/// diagnostics are dropped, the command runs to its end, its status is zklock's, and the node
/// is removed. (Before: the first `-v` line after the reader left got EPIPE, Rust panicked,
/// zklock died of SIGABRT (134), the watchdog killed the command and the node stayed until
/// the session expired.)
#[test]
fn a_closed_stderr_does_not_end_zklock() {
    let path = unique_path("closed-stderr");
    let dir = workdir("closed-stderr");
    let mut child = zklock(&servers())
        .args(["-vv", &path, "--", "sh", "-c"])
        .arg("sleep 1; echo done > ran; exit 7")
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // The reader goes away at once: every later diagnostic gets EPIPE (SIGPIPE is ignored).
    drop(child.stderr.take());
    let waited = eventually(Duration::from_secs(30), || {
        matches!(child.try_wait(), Ok(Some(_)))
    });
    if !waited {
        let _ = child.kill();
    }
    let status = child.wait().expect("wait");
    assert_eq!(
        (status.code(), status.signal()),
        (Some(7), None),
        "{status:?}"
    );
    assert_eq!(read(&dir.join("ran")), "done\n");
    Zk::connect(&servers()).assert_empty_soon(&path, Duration::ZERO);
}

/// `-w D` bounds everything before the command starts, the connect included, as flock -w
/// does: against a server frozen before zklock connected, `-w 2s` gives up with 69 (no server
/// answered) long before an hour's `--connect-timeout` (before: it waited the whole connect
/// timeout, then D more).
#[test]
fn wait_bounds_the_connect_too() {
    let path = unique_path("wait-bounds-connect");
    let proxy = Proxy::start(shared().port);
    proxy.freeze();
    let ran = run(zklock(&proxy.connect()).args([
        "--connect-timeout",
        "1h",
        "-w",
        "2s",
        &path,
        "--",
        "true",
    ]));
    assert_eq!(ran.code, Some(69), "{ran:?}");
    assert!(
        ran.stderr
            .contains("no ZooKeeper server answered within 2s"),
        "{}",
        ran.stderr
    );
    proxy.thaw();
    assert!(
        !Zk::connect(&servers()).exists(&path),
        "something was created"
    );
}

/// Ctrl-Z on a terminal stops the command, and zklock stops itself the same way, as sudo does:
/// the shell gets its terminal back and sees the job stopped; `fg` gives the command the
/// terminal again and continues it; Ctrl-C then reaches the command, and zklock exits as it
/// did (130), leaving nothing. (Before: zklock kept the terminal, the shell never came back,
/// and Ctrl-C reached only the stopped group: NOT-STOPPED here.)
#[test]
fn ctrl_z_stops_the_job_as_for_any_command() {
    let path = unique_path("ctrl-z");
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/job-control.py");
    let ran = run(std::process::Command::new("/usr/bin/python3")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_zklock"))
        .args(["-s", &servers(), &path, "--", "sh", "-c"])
        .arg("'echo STARTED; trap \"echo RESUMED\" CONT; while :; do sleep 0.1; done'"));
    assert_eq!(
        ran.stdout.lines().collect::<Vec<_>>(),
        [
            "PROMPT",
            "STARTED",
            "FOREGROUND",
            "STOPPED",
            "SHELL",
            "RESUMED",
            "EXIT=130"
        ],
        "{ran:?}"
    );
    Zk::connect(&servers()).assert_empty_soon(&path, Duration::from_secs(10));
}
