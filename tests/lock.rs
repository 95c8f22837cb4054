//! `zklock lock` end to end against a real ZooKeeper: status, environment, fencing, conflicts,
//! signals, bad input; and after each, nothing left in the lock directory.

mod support;

use std::time::{Duration, Instant};

use support::*;

fn servers() -> String {
    shared().connect()
}

fn zk() -> Zk {
    Zk::connect(&servers())
}

#[test]
fn passes_the_command_status_through() {
    let path = unique_path("status");
    let ran = run(zklock(&servers()).args([&path, "--", "sh", "-c", "exit 3"]));
    assert_eq!(ran.code, Some(3), "{ran:?}");
    assert_eq!(ran.stderr, "", "quiet by default");
    zk().assert_empty_soon(&path, Duration::ZERO);
}

#[test]
fn reports_death_by_signal_as_128_plus_n() {
    let path = unique_path("signalled");
    let ran = run(zklock(&servers()).args([&path, "--", "sh", "-c", "kill -9 $$"]));
    assert_eq!(ran.code, Some(137), "{ran:?}");
    zk().assert_empty_soon(&path, Duration::ZERO);
}

#[test]
fn bare_form_and_lock_subcommand_are_the_same() {
    let path = unique_path("forms");
    let bare = run(zklock(&servers()).args([&path, "--", "echo", "bare"]));
    let sub = run(zklock(&servers()).args(["lock", &path, "--", "echo", "sub"]));
    let shell = run(zklock(&servers()).args(["-c", "echo $((1+2))", &path]));
    assert_eq!((bare.code, bare.stdout.as_str()), (Some(0), "bare\n"));
    assert_eq!((sub.code, sub.stdout.as_str()), (Some(0), "sub\n"));
    assert_eq!((shell.code, shell.stdout.as_str()), (Some(0), "3\n"));
    zk().assert_empty_soon(&path, Duration::ZERO);
}

#[test]
fn gives_the_command_its_environment() {
    let path = unique_path("env");
    let zk = zk();
    let script = "echo \"$ZKLOCK_PATH|$ZKLOCK_NODE|$ZKLOCK_FENCING_TOKEN|$ZKLOCK_SESSION_ID\"";
    let ran = run(zklock(&servers()).args([&path, "--id", "web-7", "--", "sh", "-c", script]));
    assert_eq!(ran.code, Some(0), "{ran:?}");
    let fields: Vec<&str> = ran.stdout.trim().split('|').collect();
    assert_eq!(fields[0], path);
    let node = fields[1]
        .strip_prefix(&format!("{path}/_c_"))
        .expect("node under the lock path");
    let (uuid, seq) = node.split_once("-lock-").expect("Curator lock name");
    assert_eq!((uuid.len(), seq.len()), (36, 10), "{node}");
    assert!(fields[2].parse::<i64>().expect("decimal token") > 0);
    assert!(
        fields[3].starts_with("0x") && i64::from_str_radix(&fields[3][2..], 16).is_ok(),
        "{}",
        fields[3]
    );
    zk.assert_empty_soon(&path, Duration::ZERO);
}

/// zklock's own environment goes on to the command as it is, but a variable zklock sets
/// replaces the one it inherited (a zklock run by another's command): the command's
/// environment holds it once, with zklock's value. (`env` itself prints the environment as
/// exec gave it; a shell would merge repeated names.)
#[test]
fn the_command_inherits_the_environment_with_zklocks_variables_replaced() {
    let path = unique_path("env-inherited");
    let ran = run(zklock(&servers())
        .env("ZKLOCK_PATH", "/inherited")
        .env("PASSED_ON", "as it was")
        .args([&path, "--", "env"]));
    assert_eq!(ran.code, Some(0), "{ran:?}");
    let named = |name: &str| -> Vec<&str> {
        let prefix = format!("{name}=");
        ran.stdout
            .lines()
            .filter_map(|l| l.strip_prefix(prefix.as_str()))
            .collect()
    };
    assert_eq!(named("PASSED_ON"), ["as it was"], "{}", ran.stdout);
    assert_eq!(named("ZKLOCK_PATH"), [path.as_str()], "{}", ran.stdout);
    zk().assert_empty_soon(&path, Duration::ZERO);
}

/// zklock keeps its own two threads on one CPU only until the command runs (src/threads.rs):
/// the command, the watchdog and keeper it starts, and zklock's threads once the command
/// runs, are on every CPU zklock was given, so that a command busy on every CPU cannot hold
/// a probe back on the one CPU. (Against a zklock that kept its threads narrowed, the last
/// assertion fails: run.)
#[test]
fn what_zklock_starts_runs_on_the_cpus_zklock_was_given() {
    let allowed = |status: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
            .map(|v| v.trim().to_string())
    };
    let given = allowed(&std::fs::read_to_string("/proc/self/status").expect("status"))
        .expect("Cpus_allowed_list");
    if !given.contains(['-', ',']) {
        eprintln!("one CPU given ({given}): nothing to narrow or give back; not tested here");
        return;
    }
    let path = unique_path("cpus");
    // The command's own CPUs, then those of every child of zklock's (the command, the
    // watchdog, the keeper) and of each of zklock's threads.
    let script = r#"echo "command $(grep Cpus_allowed_list /proc/self/status | cut -f2)"
for p in $(cat /proc/$PPID/task/$PPID/children); do
  echo "child $(grep Cpus_allowed_list /proc/$p/status | cut -f2)"
done
for t in /proc/$PPID/task/*; do
  echo "thread $(grep Cpus_allowed_list $t/status | cut -f2)"
done"#;
    let ran = run(zklock(&servers()).args([&path, "--", "sh", "-c", script]));
    assert_eq!(ran.code, Some(0), "{ran:?}");
    let of = |kind: &str| -> Vec<&str> {
        ran.stdout
            .lines()
            .filter_map(|l| l.strip_prefix(kind)?.strip_prefix(' '))
            .collect()
    };
    assert_eq!(of("command"), [given.as_str()], "{}", ran.stdout);
    // The command and the watchdog at least; the keeper too where a cgroup was made.
    let children = of("child");
    assert!(children.len() >= 2, "{}", ran.stdout);
    assert!(children.iter().all(|c| *c == given), "{}", ran.stdout);
    // zklock's main thread and async-io's, given back every CPU once the command runs.
    let threads = of("thread");
    assert!(threads.len() >= 2, "{}", ran.stdout);
    assert!(threads.iter().all(|t| *t == given), "{}", ran.stdout);
    zk().assert_empty_soon(&path, Duration::ZERO);
}

#[test]
fn stores_the_id_in_the_node() {
    let path = unique_path("id");
    let zk = zk();
    let holder = hold_with(&servers(), &path, "id", &["--id", "backup@db1"]);
    let children = zk.children(&path);
    assert_eq!(children.len(), 1);
    assert_eq!(zk.data(&format!("{path}/{}", children[0])), b"backup@db1");
    holder.process.signal(libc::SIGTERM);
    let ran = holder
        .process
        .wait_timeout(Duration::from_secs(10))
        .expect("exits on TERM");
    assert_eq!(ran.code, Some(143));
    zk.assert_empty_soon(&path, Duration::ZERO);
}

#[test]
fn fencing_tokens_strictly_increase() {
    let path = unique_path("fencing");
    let mut tokens = Vec::new();
    for _ in 0..4 {
        let ran =
            run(zklock(&servers()).args([&path, "--", "sh", "-c", "echo $ZKLOCK_FENCING_TOKEN"]));
        tokens.push(ran.stdout.trim().parse::<i64>().expect("token"));
    }
    assert!(tokens.windows(2).all(|w| w[0] < w[1]), "{tokens:?}");
    zk().assert_empty_soon(&path, Duration::ZERO);
}

#[test]
fn nonblock_and_wait_give_up_with_the_conflict_status() {
    let path = unique_path("conflict");
    let holder = hold_with(&servers(), &path, "conflict", &["--id", "db1:backup"]);

    // Quiet, as flock -n is: a crontab of ten hosts mails only on trouble.
    let n = run(zklock(&servers()).args(["-n", &path, "--", "echo", "ran"]));
    assert_eq!(
        (n.code, n.stdout.as_str(), n.stderr.as_str()),
        (Some(75), "", ""),
        "{n:?}"
    );
    // -v says so, after how long, and who holds the lock since when.
    let v = run(zklock(&servers()).args(["-v", "-n", &path, "--", "echo", "ran"]));
    assert_eq!(v.code, Some(75), "{v:?}");
    let said = v.stderr.lines().last().unwrap_or_default();
    assert!(
        said.contains(&format!(" zklock: {path}: lock not acquired after "))
            && said.contains("; held by db1:backup for "),
        "{}",
        v.stderr
    );

    let e = run(zklock(&servers()).args(["-n", "-E", "0", "-q", &path, "--", "echo", "ran"]));
    assert_eq!(
        (e.code, e.stdout.as_str(), e.stderr.as_str()),
        (Some(0), "", ""),
        "{e:?}"
    );

    let started = Instant::now();
    let w = run(zklock(&servers()).args(["-w", "700ms", &path, "--", "echo", "ran"]));
    assert_eq!((w.code, w.stdout.as_str()), (Some(75), ""), "{w:?}");
    assert!(started.elapsed() >= Duration::from_millis(700));
    // Plain seconds, as flock -w takes them.
    let started = Instant::now();
    let w = run(zklock(&servers()).args(["-w", "0.5", &path, "--", "echo", "ran"]));
    assert_eq!((w.code, w.stderr.as_str()), (Some(75), ""), "{w:?}");
    assert!(started.elapsed() >= Duration::from_millis(500));

    // Only the holder's node is left, then nothing.
    assert_eq!(zk().children(&path).len(), 1);
    assert_eq!(holder.release().code, Some(0));
    zk().assert_empty_soon(&path, Duration::ZERO);
}

/// A holder of `path` and a waiter queued behind it (`-w 20s`, its command `echo word`), once
/// both nodes are there; the nodes' names.
fn holder_and_waiter(path: &str, name: &str, word: &str) -> (Holder, Background, Vec<String>) {
    let holder = hold(&servers(), path, name);
    let waiter =
        Background::spawn(zklock(&servers()).args(["-w", "20s", path, "--", "echo", word]));
    let nodes = zk().wait_children(path, 2, Duration::from_secs(10));
    (holder, waiter, nodes)
}

#[test]
fn a_waiter_runs_when_the_holder_releases() {
    let path = unique_path("handoff");
    let (holder, waiter, _) = holder_and_waiter(&path, "handoff", "second");
    assert_eq!(holder.release().code, Some(0));
    let ran = waiter
        .wait_timeout(Duration::from_secs(10))
        .expect("waiter finishes");
    assert_eq!((ran.code, ran.stdout.as_str()), (Some(0), "second\n"));
    zk().assert_empty_soon(&path, Duration::ZERO);
}

/// zklock looks the command up in $PATH while its create is on its way, but a waiter looks it
/// up again when its turn comes, as execvp would then: a program put earlier in $PATH while it
/// waited is the one that runs.
#[test]
fn a_waiter_finds_its_program_in_path_when_its_turn_comes() {
    let path = unique_path("path-lookup");
    let dir = workdir("path-lookup");
    let (first, later) = (dir.join("first-in-path"), dir.join("later-in-path"));
    let tool = |bin: &std::path::Path, word: &str| {
        std::fs::create_dir_all(bin).expect("bin dir");
        let file = bin.join("zklock-test-tool");
        std::fs::write(&file, format!("#!/bin/sh\necho {word}\n")).expect("tool");
        std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .expect("chmod");
    };
    // At first only the later directory of $PATH has the program.
    tool(&later, "found-at-the-start");
    std::fs::create_dir_all(&first).expect("bin dir");
    let search = format!(
        "{}:{}:{}",
        first.display(),
        later.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let holder = hold(&servers(), &path, "path-lookup-holder");
    let queued = Instant::now();
    let waiter = Background::spawn(zklock(&servers()).env("PATH", &search).args([
        "-w",
        "20s",
        &path,
        "--",
        "zklock-test-tool",
    ]));
    zk().wait_children(&path, 2, Duration::from_secs(10));
    // The scenario itself: a wait longer than the create's round trip, for which an early
    // lookup is kept (50 ms).
    assert!(eventually(Duration::from_secs(1), || queued.elapsed()
        > Duration::from_millis(200)));
    tool(&first, "found-when-its-turn-came");
    assert_eq!(holder.release().code, Some(0));
    let ran = waiter
        .wait_timeout(Duration::from_secs(10))
        .expect("waiter finishes");
    assert_eq!(
        (ran.code, ran.stdout.as_str()),
        (Some(0), "found-when-its-turn-came\n"),
        "{ran:?}"
    );
    zk().assert_empty_soon(&path, Duration::ZERO);
}

/// A waiter whose node an operator deleted does not run its command when the holder ahead of
/// it releases: it finds its node gone, says so and exits 69. (When the head of the queue
/// goes, the next waiter looks only at its own node, not the whole queue: this is what that
/// look is for.)
#[test]
fn a_waiter_whose_node_was_deleted_does_not_run_its_command() {
    let path = unique_path("deleted-waiter");
    let (holder, waiter, mut children) = holder_and_waiter(&path, "deleted-waiter", "ran");
    children.sort_by_key(|name| name[name.len() - 10..].to_string());
    zk().delete(&format!("{path}/{}", children[1]));
    assert_eq!(holder.release().code, Some(0));
    let ran = waiter
        .wait_timeout(Duration::from_secs(10))
        .expect("waiter exits");
    assert_eq!(ran.stdout, "", "the waiter ran its command: {ran:?}");
    assert_eq!(ran.code, Some(69), "{ran:?}");
    assert!(ran.stderr.contains("deleted while waiting"), "{ran:?}");
    zk().assert_empty_soon(&path, Duration::ZERO);
}

#[test]
fn contenders_take_turns_without_overlap() {
    let path = unique_path("turns");
    let dir = workdir("turns");
    let log = dir.join("log");
    let script = format!(
        "echo start $(date +%s%N) $$ >> {0}; sleep 0.05; echo end $(date +%s%N) $$ >> {0}",
        log.display()
    );
    let runners: Vec<Background> = (0..6)
        .map(|_| Background::spawn(zklock(&servers()).args([&path, "--", "sh", "-c", &script])))
        .collect();
    for runner in runners {
        assert_eq!(
            runner
                .wait_timeout(Duration::from_secs(30))
                .and_then(|r| r.code),
            Some(0)
        );
    }
    assert_eq!(assert_turns_apart(&log).len(), 6);
    zk().assert_empty_soon(&path, Duration::ZERO);
}

/// A waiter told to stop removes its node, then dies of the same signal (so a shell loop of
/// zklock calls stops on Ctrl-C), and leaves only the holder's node.
fn stop_a_waiter(sig: i32, name: &str) {
    let path = unique_path(name);
    let holder = hold(&servers(), &path, name);
    let waiter = Background::spawn(zklock(&servers()).args([&path, "--", "echo", "never"]));
    zk().wait_children(&path, 2, Duration::from_secs(10));
    waiter.signal(sig);
    let ran = waiter
        .wait_timeout(Duration::from_secs(10))
        .expect("waiter exits on the signal");
    assert_eq!(
        (ran.code, ran.signal, ran.stdout.as_str()),
        (None, Some(sig), ""),
        "{ran:?}"
    );
    assert_eq!(zk().children(&path).len(), 1, "only the holder remains");
    assert_eq!(holder.release().code, Some(0));
    zk().assert_empty_soon(&path, Duration::ZERO);
}

#[test]
fn sigterm_while_waiting_leaves_nothing_behind() {
    stop_a_waiter(libc::SIGTERM, "term-waiting");
}

#[test]
fn sighup_while_waiting_dies_of_it_and_leaves_only_the_holder() {
    stop_a_waiter(libc::SIGHUP, "hup-waiting");
}

#[test]
fn sigterm_while_running_stops_the_command_and_its_children() {
    let path = unique_path("term-running");
    // The command leaves a grandchild behind; it must not outlive the lock.
    let script = "sleep 60 & echo $! > grandchild; echo $$ > pid; touch held; wait";
    let Holder {
        process: zklock_process,
        dir,
    } = hold_running(&servers(), &path, "term-running", &[], script);
    let grandchild: i32 = read(&dir.join("grandchild")).trim().parse().expect("pid");
    zklock_process.signal(libc::SIGTERM);
    let ran = zklock_process
        .wait_timeout(Duration::from_secs(15))
        .expect("exits after TERM");
    assert_eq!(ran.code, Some(143), "{ran:?}");
    assert!(
        !alive(grandchild),
        "grandchild {grandchild} outlived zklock"
    );
    zk().assert_empty_soon(&path, Duration::ZERO);
}

#[test]
fn a_command_ignoring_term_is_killed_after_the_grace() {
    let path = unique_path("grace");
    let script = "trap '' TERM; touch held; while :; do sleep 0.05; done";
    let process = hold_running(
        &servers(),
        &path,
        "grace",
        &["--kill-grace", "500ms"],
        script,
    )
    .process;
    let started = Instant::now();
    process.signal(libc::SIGTERM);
    let ran = process
        .wait_timeout(Duration::from_secs(10))
        .expect("exits after the grace");
    assert_eq!(ran.code, Some(137), "{ran:?}");
    assert!(
        started.elapsed() >= Duration::from_millis(450),
        "{:?}",
        started.elapsed()
    );
    zk().assert_empty_soon(&path, Duration::ZERO);
}

#[test]
fn commands_that_cannot_run_exit_126_or_127_and_release() {
    let path = unique_path("exec");
    let missing = run(zklock(&servers()).args([&path, "--", "no-such-command-zklock"]));
    assert_eq!(missing.code, Some(127), "{missing:?}");
    assert_eq!(missing.stderr.lines().count(), 1);
    assert!(
        missing.stderr.contains("no-such-command-zklock"),
        "{}",
        missing.stderr
    );
    let dir = workdir("exec");
    let script = dir.join("not-executable");
    std::fs::write(&script, "#!/bin/sh\n").expect("script");
    let denied = run(zklock(&servers()).args([&path, "--"]).arg(&script));
    assert_eq!(denied.code, Some(126), "{denied:?}");
    // Found in $PATH, after a directory without it, but not executable: 126 as well.
    let search = format!("{}:{}", dir.join("absent").display(), dir.display());
    let denied = run(zklock(&servers())
        .env("PATH", search)
        .args([&path, "--", "not-executable"]));
    assert_eq!(denied.code, Some(126), "{denied:?}");
    zk().assert_empty_soon(&path, Duration::ZERO);
}

#[test]
fn usage_errors_exit_64_with_one_line_and_create_nothing() {
    let path = unique_path("usage");
    let s = servers();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["locks/x", "--", "true"], "locks/x"),
        (vec!["/a//b", "--", "true"], "/a//b"),
        (vec![&path], "no command"),
        (vec!["-w", "soon", &path, "--", "true"], "soon"),
        (vec!["--kill-signal", "BOGUS", &path, "--", "true"], "BOGUS"),
        (vec!["-c", "true", &path, "--", "true"], "not both"),
        (
            vec!["--no-such-option", &path, "--", "true"],
            "--no-such-option",
        ),
        (
            vec!["-s", "localhost:notaport", &path, "--", "true"],
            "notaport",
        ),
        (vec!["--auth", "digest", &path, "--", "true"], "--auth"),
        (vec!["--session-timeout", "ten", &path, "--", "true"], "ten"),
    ];
    for (args, named) in cases {
        let mut command = zklock(&s);
        let ran = run(command.args(&args));
        assert_eq!(ran.code, Some(64), "{args:?}: {ran:?}");
        assert_eq!(ran.stderr.lines().count(), 1, "{args:?}: {}", ran.stderr);
        assert!(
            ran.stderr.starts_with("zklock: ") && ran.stderr.contains(named),
            "{args:?}: {}",
            ran.stderr
        );
    }
    assert!(!zk().exists(&path), "a usage error created {path}");
}

#[test]
fn unreachable_servers_exit_69_naming_them() {
    let port = server::free_port();
    let servers = format!("127.0.0.1:{port}");
    let ran = run(Command::new(env!("CARGO_BIN_EXE_zklock")).args([
        "-s",
        &servers,
        "--connect-timeout",
        "600ms",
        "/t/unreachable",
        "--",
        "echo",
        "ran",
    ]));
    assert_eq!((ran.code, ran.stdout.as_str()), (Some(69), ""), "{ran:?}");
    assert!(
        ran.stderr.contains(&servers) && ran.stderr.contains("600ms"),
        "{}",
        ran.stderr
    );

    // A server that accepts but never answers (a frozen link) also times out.
    let proxy = Proxy::start(shared().port);
    proxy.freeze();
    let ran = run(zklock(&proxy.connect()).args([
        "--connect-timeout",
        "800ms",
        "/t/frozen",
        "--",
        "echo",
        "ran",
    ]));
    assert_eq!((ran.code, ran.stdout.as_str()), (Some(69), ""), "{ran:?}");
}

use std::process::Command;

#[test]
fn an_acl_refusal_exits_77_and_auth_gets_through() {
    let path = unique_path("acl");
    let _zk = Zk::create_protected(&servers(), &path, "ops:s3cret");
    let refused = run(zklock(&servers()).args([&path, "--", "echo", "ran"]));
    assert_eq!(
        (refused.code, refused.stdout.as_str()),
        (Some(77), ""),
        "{refused:?}"
    );
    assert!(refused.stderr.contains(&path), "{}", refused.stderr);
    let allowed = run(zklock(&servers())
        .env("ZKLOCK_AUTH", "digest:ops:s3cret")
        .args([&path, "--", "echo", "ran"]));
    assert_eq!(
        (allowed.code, allowed.stdout.as_str()),
        (Some(0), "ran\n"),
        "{allowed:?}"
    );
    zk().assert_empty_soon(&path, Duration::ZERO);
}

#[test]
fn a_waiter_on_a_terminal_shows_one_status_line() {
    let path = unique_path("status-line");
    let holder = hold(&servers(), &path, "status-line");
    let bin = env!("CARGO_BIN_EXE_zklock");
    // script(1) gives the waiter a terminal; stdout of script carries what it wrote there.
    let inner = format!("{bin} -s {} -w 2500ms {path} -- true", servers());
    let ran = run(Command::new("script").args(["-q", "-e", "-c", &inner, "/dev/null"]));
    assert_eq!(ran.code, Some(75), "{ran:?}");
    assert!(
        ran.stdout
            .contains(&format!("\rzklock: waiting 1 for {path}, held by ")),
        "{:?}",
        ran.stdout
    );
    assert!(ran.stdout.contains("s\x1b[K"), "{:?}", ran.stdout);
    // Without a terminal the same wait prints nothing, not even the conflict.
    let plain = run(zklock(&servers()).args(["-w", "1200ms", &path, "--", "true"]));
    assert_eq!((plain.code, plain.stderr.as_str()), (Some(75), ""));
    assert_eq!(holder.release().code, Some(0));
    zk().assert_empty_soon(&path, Duration::ZERO);
}

#[test]
fn a_create_whose_reply_is_lost_leaves_no_duplicate() {
    let path = unique_path("lost-reply");
    let zk = zk();
    zk.create(&path, b"");
    let proxy = Proxy::start(shared().port);
    // Pass the connect reply and the first ping's; hold the create's reply.
    proxy.pass_replies(2);
    let dir = workdir("lost-reply");
    let script = "touch held; while [ ! -e release ]; do sleep 0.02; done";
    let process = Background::spawn(
        zklock(&proxy.connect())
            .args([&path, "--", "sh", "-c", script])
            .current_dir(&dir),
    );
    // The server applied the create; its reply is stuck. Break the connection.
    zk.wait_children(&path, 1, Duration::from_secs(10));
    assert!(!dir.join("held").exists());
    proxy.cut();
    assert!(
        eventually(Duration::from_secs(10), || dir.join("held").exists()),
        "never held"
    );
    assert_eq!(zk.children(&path).len(), 1, "a second node was created");
    std::fs::write(dir.join("release"), "").expect("release");
    let ran = process
        .wait_timeout(Duration::from_secs(10))
        .expect("exits");
    assert_eq!(ran.code, Some(0), "{ran:?}");
    zk.assert_empty_soon(&path, Duration::ZERO);
}

/// A waiter whose predecessor goes between its listing and its look at it sends what the
/// bare recipe sends (connect, create, list, the look, list again, close; pings, and syncs
/// should its lease have aged, aside): its look leaves no watch on the missing node behind,
/// whose removal would cost a RemoveWatches.
#[test]
fn a_predecessor_gone_before_the_look_costs_no_request_more() {
    const EXISTS: i32 = 3;
    const GET_DATA: i32 = 4;
    const SYNC: i32 = 9;
    const PING: i32 = 11;
    const REMOVE_WATCHES: i32 = 18;
    let path = unique_path("gone-before-look");
    let zk = zk();
    let holder = hold(&servers(), &path, "gone-before-look");
    // The waiter's look at the holder's node (an exists or a getData) waits in the proxy
    // while the holder releases.
    let proxy = Proxy::start(shared().port);
    proxy.hold_requests_at(&[EXISTS, GET_DATA]);
    let waiter = Background::spawn(zklock(&proxy.connect()).args([&path, "--", "true"]));
    assert!(
        eventually(Duration::from_secs(15), || proxy.holding()),
        "the waiter never looked at its predecessor: {:?}",
        proxy.opcodes()
    );
    assert_eq!(holder.release().code, Some(0));
    zk.wait_children(&path, 1, Duration::from_secs(10));
    proxy.thaw();
    let ran = waiter
        .wait_timeout(Duration::from_secs(20))
        .expect("the waiter exits");
    assert_eq!(ran.code, Some(0), "{ran:?}");
    let sent: Vec<Option<i32>> = proxy
        .opcodes()
        .into_iter()
        .filter(|op| *op != Some(PING) && *op != Some(SYNC))
        .collect();
    assert!(!sent.contains(&Some(REMOVE_WATCHES)), "{sent:?}");
    // (Only a lease older than 0.2 T, a hold of seconds here, would add a stat.)
    assert!(sent.len() <= 7, "{sent:?}");
    zk.assert_empty_soon(&path, Duration::ZERO);
}

#[test]
fn a_chroot_in_the_connect_string_scopes_every_path() {
    let root = unique_path("chroot");
    let zk = zk();
    zk.create(&root, b"");
    let chrooted = format!("{}{root}", servers());
    let ran = run(zklock(&chrooted).args(["/jobs/a", "--", "sh", "-c", "echo $ZKLOCK_NODE"]));
    assert_eq!(ran.code, Some(0), "{ran:?}");
    assert!(ran.stdout.starts_with("/jobs/a/_c_"), "{}", ran.stdout);
    assert!(
        zk.exists(&format!("{root}/jobs/a")),
        "the lock lives under the chroot"
    );
    zk.assert_empty_soon(&format!("{root}/jobs/a"), Duration::ZERO);

    let missing = format!("{}{root}/missing", servers());
    let ran = run(zklock(&missing).args(["/jobs/a", "--", "echo", "ran"]));
    assert_eq!((ran.code, ran.stdout.as_str()), (Some(64), ""), "{ran:?}");
    assert!(ran.stderr.contains("chroot"), "{}", ran.stderr);
    assert!(!zk.exists(&format!("{root}/missing")));
}

#[test]
fn a_second_sigint_kills_a_command_that_ignores_the_first() {
    let path = unique_path("second-int");
    // The command notes the first INT and ignores it; the grace is far longer than the test's
    // deadline, so only the second INT's SIGKILL can end it in time.
    let script = "trap 'touch got-int' INT; touch held; while :; do sleep 0.05; done";
    let holder = hold_running(
        &servers(),
        &path,
        "second-int",
        &["-v", "--kill-grace", "10m"],
        script,
    );
    holder.process.signal(libc::SIGINT);
    assert!(eventually(Duration::from_secs(10), || holder
        .dir
        .join("got-int")
        .exists()));
    holder.process.signal(libc::SIGINT);
    let ran = holder
        .process
        .wait_timeout(Duration::from_secs(60))
        .expect("exits after the second INT, not after the 10 min grace");
    assert_eq!(ran.code, Some(137), "{ran:?}");
    assert!(ran.stderr.contains("forwarding SIGKILL"), "{}", ran.stderr);
    zk().assert_empty_soon(&path, Duration::ZERO);
}

#[test]
fn a_link_frozen_at_release_still_leaves_nothing_behind() {
    let path = unique_path("frozen-release");
    let proxies = [Proxy::start(shared().port), Proxy::start(shared().port)];
    let servers = format!("{},{}", proxies[0].connect(), proxies[1].connect());
    let dir = workdir("frozen-release");
    let script = "touch held; while [ ! -e release ]; do sleep 0.02; done";
    // A 20 s session: the server would not expire it before zklock is done.
    let process = Background::spawn(
        zklock(&servers)
            .args(["--session-timeout", "20s", &path, "--", "sh", "-c", script])
            .current_dir(&dir),
    );
    assert!(eventually(Duration::from_secs(15), || dir
        .join("held")
        .exists()));
    // Freeze the link the session uses just as the command ends; the other proxy still
    // reaches the server, so the close must get through there (or the node be removed from a
    // new session) rather than wait for the session to expire.
    let used = proxies
        .iter()
        .position(|p| p.accepted() > 0)
        .expect("one proxy carries the session");
    proxies[used].freeze();
    std::fs::write(dir.join("release"), "").expect("release");
    let ran = process
        .wait_timeout(Duration::from_secs(30))
        .expect("exits");
    assert_eq!(ran.code, Some(0), "{ran:?}");
    assert!(
        zk().children(&path).is_empty(),
        "node left behind: {}",
        ran.stderr
    );
}

#[test]
fn other_signals_are_forwarded_and_the_status_follows_the_command() {
    // A `systemctl reload` sends USR1: it reaches the command, and zklock does not die of it.
    let path = unique_path("forward-usr1");
    let script = "trap 'echo got-usr1; exit 7' USR1; touch held; while :; do sleep 0.05; done";
    let holder = hold_running(&servers(), &path, "forward-usr1", &[], script);
    holder.process.signal(libc::SIGUSR1);
    let ran = holder
        .process
        .wait_timeout(Duration::from_secs(20))
        .expect("zklock exits after its command");
    assert_eq!(
        (ran.code, ran.stdout.as_str()),
        (Some(7), "got-usr1\n"),
        "{ran:?}"
    );
    Zk::connect(&servers()).assert_empty_soon(&path, Duration::from_secs(5));
}

#[test]
fn a_waiting_zklock_survives_signals_it_has_no_command_for() {
    let path = unique_path("waiter-usr1");
    let holder = hold(&servers(), &path, "waiter-usr1-holder");
    let zk = Zk::connect(&servers());
    let waiter = Background::spawn(zklock(&servers()).args([&path, "--", "echo", "ran"]));
    zk.wait_children(&path, 2, Duration::from_secs(10));
    for sig in [libc::SIGUSR1, libc::SIGWINCH, libc::SIGALRM, libc::SIGUSR2] {
        waiter.signal(sig);
    }
    assert_eq!(holder.release().code, Some(0));
    let ran = waiter
        .wait_timeout(Duration::from_secs(20))
        .expect("the waiter runs once the holder releases");
    assert_eq!(
        (ran.code, ran.stdout.as_str()),
        (Some(0), "ran\n"),
        "{ran:?}"
    );
    zk.assert_empty_soon(&path, Duration::from_secs(5));
}

#[test]
fn a_command_reading_the_terminal_gets_it() {
    // Under a pty (script(1)), zklock is the terminal's foreground group; its command, in a
    // group of its own, must be handed the terminal or `read` stops it with SIGTTIN.
    use std::io::Write;
    let path = unique_path("tty");
    let out = workdir("tty").join("out");
    let inner = format!(
        "{} -s {} --session-timeout 4s {path} -- sh -c 'read line; echo \"got $line\"'",
        env!("CARGO_BIN_EXE_zklock"),
        servers()
    );
    let mut script = Command::new("script")
        .args(["-qfec", &inner, "/dev/null"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::fs::File::create(&out).expect("out"))
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("script runs (bsdutils)");
    let mut stdin = script.stdin.take().expect("stdin");
    stdin.write_all(b"hello\n").expect("typed");
    let got = eventually(Duration::from_secs(20), || read(&out).contains("got hello"));
    let status = if got { script.wait().ok() } else { None };
    drop(stdin);
    let _ = script.kill();
    let _ = script.wait();
    assert!(got, "the command never read the terminal: {:?}", read(&out));
    assert_eq!(status.and_then(|s| s.code()), Some(0));
    Zk::connect(&servers()).assert_empty_soon(&path, Duration::from_secs(5));
}

#[test]
fn sigint_while_waiting_dies_of_it_and_leaves_only_the_holder() {
    stop_a_waiter(libc::SIGINT, "int-waiting");
}

/// A TERM to zklock reaches the command; a command that handles it and exits 0 makes zklock
/// exit 0 too (its status follows the command, as timeout(1)'s does), after releasing.
#[test]
fn the_status_after_a_forwarded_signal_is_the_commands() {
    let path = unique_path("term-handled");
    let script = "trap 'exit 0' TERM; touch held; while :; do sleep 0.05; done";
    let holder = hold_running(&servers(), &path, "term-handled", &[], script);
    holder.process.signal(libc::SIGTERM);
    let ran = holder
        .process
        .wait_timeout(Duration::from_secs(20))
        .expect("exits after TERM");
    assert_eq!((ran.code, ran.signal), (Some(0), None), "{ran:?}");
    zk().assert_empty_soon(&path, Duration::from_secs(5));
}

/// Lock directories are container nodes, as Curator's are: once the last contender is gone the
/// server removes them, their container parents too, so idle `/locks/x` do not pile up. A
/// directory that keeps a run record is persistent and stays (the control: a plain one made
/// after it vanishes meanwhile, so the server's check did run).
#[test]
fn idle_lock_directories_disappear_on_their_own() {
    let server = Server::custom(
        "containers",
        |_, _| String::new(),
        vec!["-Dznode.container.checkIntervalMs=300".into()],
        "",
        false,
    );
    let zk = Zk::connect(&server.connect());
    let ran = run(zklock(&server.connect()).args(["/containers/idle/lock", "--", "true"]));
    assert_eq!(ran.code, Some(0), "{ran:?}");
    assert!(
        eventually(Duration::from_secs(30), || !zk.exists("/containers/idle")),
        "the idle lock directory and its parent stayed"
    );
    let kept = run(zklock(&server.connect()).args(["--record", "/containers/kept", "--", "true"]));
    assert_eq!(kept.code, Some(0), "{kept:?}");
    let ran = run(zklock(&server.connect()).args(["/containers/later", "--", "true"]));
    assert_eq!(ran.code, Some(0), "{ran:?}");
    assert!(
        eventually(Duration::from_secs(30), || !zk.exists("/containers/later")),
        "the plain lock directory made later stayed"
    );
    assert!(
        zk.exists("/containers/kept"),
        "the run record's directory went"
    );
    zk.assert_empty_soon("/containers/kept", Duration::from_secs(5));
}

/// The status line stays current: when the holder leaves and the next one takes over, a
/// waiter further back says so (its predecessor did not change, so only the holder's watch
/// can tell it).
#[test]
fn the_status_line_follows_a_change_of_holder() {
    let path = unique_path("status-follows");
    let first = hold_with(&servers(), &path, "status-first", &["--id", "first"]);
    let second = Background::spawn(
        zklock(&servers()).args(["--id", "second", &path, "--", "sh", "-c", "sleep 30"]),
    );
    let zk = zk();
    zk.wait_children(&path, 2, Duration::from_secs(10));
    let inner = format!(
        "{} -s {} -w 8s --id third {path} -- true",
        env!("CARGO_BIN_EXE_zklock"),
        servers()
    );
    let third = Streaming::spawn(
        Command::new("script").args(["-q", "-e", "-c", &inner, "/dev/null"]),
        "status-follows",
    );
    // The first holder leaves only once the third has said who holds the lock (its node in
    // the queue is not enough: the status line comes a few round trips later).
    let shown = || read(&third.stdout);
    assert!(
        eventually(Duration::from_secs(15), || shown()
            .contains("held by first")),
        "{:?}",
        shown()
    );
    assert_eq!(first.release().code, Some(0));
    let ran = third
        .process
        .wait_timeout(Duration::from_secs(30))
        .expect("gives up");
    assert_eq!(ran.code, Some(75), "{ran:?}");
    assert!(shown().contains("waiting 2 for "), "{:?}", shown());
    assert!(
        shown().contains(&format!("waiting 1 for {path}, held by second")),
        "{:?}",
        shown()
    );
    second.signal(libc::SIGTERM);
    second.wait_timeout(Duration::from_secs(10)).expect("stops");
    zk.assert_empty_soon(&path, Duration::from_secs(5));
}

/// A waiter that waited longer than its lease's freshness (0.2 T, 2 s here) starts its command
/// without a round trip to refresh it: its look at the queue after the holder left went out
/// behind a `sync`, whose answer renewed the lease. (-vv names the refresh when there is one.)
/// It made the command's watchdog while it waited, not at the hand-off; a `-n` conflict makes
/// none.
#[test]
fn a_waiter_that_becomes_the_holder_needs_no_refresh() {
    let path = unique_path("handoff-fresh");
    let holder = hold(&servers(), &path, "handoff-fresh");
    let started = std::time::Instant::now();
    let waiter = Background::spawn(zklock(&servers()).args(["-vv", &path, "--", "true"]));
    let zk = Zk::connect(&servers());
    zk.wait_children(&path, 2, Duration::from_secs(15));
    let conflict = run(zklock(&servers()).args(["-vv", "-n", &path, "--", "true"]));
    assert_eq!(conflict.code, Some(75), "{conflict:?}");
    assert!(
        !conflict.stderr.contains("watchdog pid"),
        "{}",
        conflict.stderr
    );
    // The lease must be older than 0.2 T when the holder goes: that is what is tested.
    assert!(eventually(Duration::from_secs(10), || started.elapsed()
        > Duration::from_millis(2500)));
    holder.release();
    let ran = waiter
        .wait_timeout(Duration::from_secs(20))
        .expect("the waiter runs");
    assert_eq!(ran.code, Some(0), "{ran:?}");
    let at = |text: &str| ran.stderr.find(text);
    assert!(
        at("watchdog pid").is_some() && at("watchdog pid") < at("holding the lock"),
        "{}",
        ran.stderr
    );
    assert!(
        !ran.stderr.contains("probing before the command starts"),
        "{}",
        ran.stderr
    );
    zk.assert_empty_soon(&path, Duration::from_secs(5));
}

/// A zklock inside the command of a zklock on the same lock runs its command at once, under
/// the outer guard, instead of waiting behind its own ancestor for ever; in another mode it
/// refuses (64). Negative control: the same inner zklock without the outer's environment
/// waits behind the outer node (given up with -w here: 75).
#[test]
fn a_nested_zklock_on_the_same_lock_is_re_entrant() {
    let path = unique_path("nested");
    let inner = |options: &str, script: &str| {
        format!(
            "{} -s {} {options} {path} -- sh -c '{script}'",
            env!("CARGO_BIN_EXE_zklock"),
            servers()
        )
    };
    let nested = run(zklock(&servers())
        .args([&path, "--", "sh", "-c"])
        .arg(format!(
            "{}; echo \"inner exit $?\"",
            inner("-w 30s", "echo inner runs as $ZKLOCK_PATH; exit 4")
        )));
    assert_eq!(nested.code, Some(0), "{nested:?}");
    assert!(
        nested
            .stdout
            .contains(&format!("inner runs as {path}\ninner exit 4\n")),
        "{nested:?}"
    );
    // Another mode: a clear refusal, not a deadlock.
    let modes = run(zklock(&servers())
        .args(["--write", &path, "--", "sh", "-c"])
        .arg(inner("--shared", "true")));
    assert_eq!(modes.code, Some(64), "{modes:?}");
    assert!(
        modes.stderr.contains("held by an outer zklock") && modes.stderr.contains("would deadlock"),
        "{}",
        modes.stderr
    );
    // Negative control: without the outer's environment, the inner one waits behind it.
    let blind = run(zklock(&servers())
        .args([&path, "--", "sh", "-c"])
        .arg(format!(
            "unset ZKLOCK_PATH ZKLOCK_NODE ZKLOCK_SESSION_ID; {}",
            inner("-w 2s", "echo never")
        )));
    assert_eq!(blind.code, Some(75), "{blind:?}");
    assert!(!blind.stdout.contains("never"), "{blind:?}");
    zk().assert_empty_soon(&path, Duration::from_secs(5));
}

/// A server that takes at most `max` connections from one address (`maxClientCnxns`).
fn limited_server(name: &str, max: u32) -> Server {
    Server::custom(
        name,
        move |_, _| format!("maxClientCnxns={max}\n"),
        vec![],
        "",
        false,
    )
}

/// A crowd on one host beyond the server's limit of connections from one address
/// (`maxClientCnxns`, 3 here): with -w, every contender waits for a free connection as for
/// the lock, and all take their turns; with neither -w nor a long --connect-timeout, those
/// that cannot connect give up with 69 and a message naming the cause and the fix, not a
/// debug dump or "no server answered".
#[test]
fn a_crowd_beyond_max_client_cnxns_takes_its_turns_with_w() {
    let server = limited_server("cnxns", 3);
    let path = unique_path("crowd-cnxns");
    let dir = workdir("crowd-cnxns");
    let crowd = |options: &[&str]| -> Vec<Ran> {
        let contenders: Vec<Background> = (0..8)
            .map(|_| {
                Background::spawn(
                    zklock(&server.connect())
                        .args(["--connect-timeout", "1s"])
                        .args(options)
                        .args([&path, "--", "sh", "-c", "echo x >> ran; sleep 0.5"])
                        .current_dir(&dir),
                )
            })
            .collect();
        contenders
            .into_iter()
            .map(|c| c.wait_timeout(Duration::from_secs(60)).expect("ends"))
            .collect()
    };
    let patient = crowd(&["-w", "60s"]);
    for ran in &patient {
        assert_eq!(ran.code, Some(0), "{ran:?}");
    }
    assert_eq!(read(&dir.join("ran")).lines().count(), 8);
    let hasty = crowd(&[]);
    let gave_up: Vec<&Ran> = hasty.iter().filter(|r| r.code == Some(69)).collect();
    assert!(!gave_up.is_empty(), "{hasty:?}");
    // (On a loaded machine a connection may also go unanswered within its share of the
    // timeout before the server closes it: then that attempt reads as "no answer". At least
    // one of those that gave up met the closing, and says what it means.)
    assert!(
        gave_up.iter().any(|r| r.stderr.contains("maxClientCnxns")),
        "{gave_up:?}"
    );
    for ran in gave_up {
        assert!(!ran.stderr.contains("Os {"), "{}", ran.stderr);
    }
    Zk::connect(&server.connect()).assert_empty_soon(&path, Duration::from_secs(10));
}

/// -w outlasts a server that stays full for longer than the session timeout, after which the
/// client library gives up on its own: zklock opens a new attempt and waits on until -w's end.
/// (Control: without the new attempt, the waiter exits 69 about two seconds in, while the
/// holder still holds the server's only connection.)
#[test]
fn a_wait_for_a_free_connection_outlasts_the_session_timeout() {
    let server = limited_server("cnxns-one", 1);
    let path = unique_path("full-server");
    let holder = hold(&server.connect(), &path, "full-server-holder");
    let waiter = Streaming::spawn(
        zklock(&server.connect())
            .args(["-v", "--connect-timeout", "1s", "--session-timeout", "2s"])
            .args(["-w", "60s", &path, "--", "sh", "-c", "echo ran"]),
        "full-server-waiter",
    );
    waiter.wait_stderr("waiting for a free one", Duration::from_secs(20));
    // Twice the session timeout with the only connection taken: the waiter must still wait.
    let pid = waiter.process.pid();
    assert!(
        !eventually(Duration::from_secs(4), || !alive(pid)),
        "the waiter ended while the server was full: {}",
        read(&waiter.stderr)
    );
    assert_eq!(holder.release().code, Some(0));
    let ran = waiter
        .process
        .wait_timeout(Duration::from_secs(60))
        .expect("the waiter ends");
    assert_eq!(ran.code, Some(0), "{ran:?} {}", read(&waiter.stderr));
    assert_eq!(read(&waiter.stdout), "ran\n");
    Zk::connect(&server.connect()).assert_empty_soon(&path, Duration::from_secs(10));
}

/// Who may delete a contender node: ZooKeeper checks delete rights on the parent (the lock
/// directory), not on the node. In a directory a stranger may delete in, a stranger deletes an
/// authenticated holder's node: the holder stops its command and exits 79 (safe, as README
/// says). In a directory whose ACL lets others create and read but not delete
/// (`--acl 'auth::cdrwa,world:anyone:cr'`, README's advice), the stranger's delete is refused
/// and the holder runs on to its end.
#[test]
fn only_those_with_delete_rights_on_the_directory_can_delete_a_holders_node() {
    let stranger = zk();
    for (name, acl, refused) in [
        ("delete-open", None, false),
        ("delete-closed", Some("auth::cdrwa,world:anyone:cr"), true),
    ] {
        let path = unique_path(name);
        let mut options = vec!["--auth", "digest:alice:secret"];
        if let Some(acl) = acl {
            options.extend(["--acl", acl]);
        }
        let holder = hold_with(&servers(), &path, name, &options);
        let node = format!("{path}/{}", stranger.children(&path)[0]);
        let deleted = stranger.try_delete(&node);
        if refused {
            assert!(
                matches!(deleted, Err(zookeeper_client::Error::NoAuth)),
                "{name}: {deleted:?}"
            );
            assert_eq!(holder.release().code, Some(0), "{name}");
        } else {
            assert!(deleted.is_ok(), "{name}: {deleted:?}");
            let ran = holder
                .process
                .wait_timeout(Duration::from_secs(30))
                .expect("the holder stops");
            assert_eq!(ran.code, Some(79), "{name}: {ran:?}");
        }
        zk().assert_empty_soon(&path, Duration::from_secs(10));
    }
}
