//! Once per period, and the last run remembered (SPEC §2.2): `--once-per` runs the command on
//! one host of many each period, `--record` writes who ran, when, for how long and how it
//! ended in the lock directory's data, where `ls -l` and `ls --json` show it.

mod support;

use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use support::*;

fn servers() -> String {
    shared().connect()
}

/// The record in `path`'s data, parsed.
fn record(zk: &Zk, path: &str) -> Value {
    let data = zk.data(path);
    serde_json::from_slice(&data)
        .unwrap_or_else(|e| panic!("{path}: {e}: {}", String::from_utf8_lossy(&data)))
}

/// Milliseconds since the epoch of the recorded last run's start.
fn start_ms(record: &Value) -> i64 {
    let start = record["last"]["start"].as_str().expect("start");
    let at = humantime::parse_rfc3339(start).expect("RFC 3339");
    at.duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_millis() as i64
}

/// `zklock <options> PATH -- sh -c 'echo ran >> runs; <script>'` in `dir`.
fn once(dir: &Path, path: &str, options: &[&str], script: &str) -> std::process::Command {
    let mut command = zklock(&servers());
    command
        .args(options)
        .args([path, "--", "sh", "-c"])
        .arg(format!("echo ran >> runs; {script}"))
        .current_dir(dir);
    command
}

fn runs(dir: &Path) -> usize {
    read(&dir.join("runs")).lines().count()
}

/// Three hosts' cron fires at once: one runs the command, the others find its run recorded
/// and exit 75 without running it, whichever order they got the lock in.
#[test]
fn three_hosts_at_once_run_the_command_exactly_once() {
    let path = unique_path("once-three");
    let dir = workdir("once-three");
    let zk = Zk::connect(&servers());
    let hosts: Vec<Background> = (0..3)
        .map(|k| {
            let id = format!("host{k}");
            Background::spawn(&mut once(
                &dir,
                &path,
                &["--once-per", "1m", "--id", &id, "-w", "30s"],
                "sleep 0.3",
            ))
        })
        .collect();
    let mut codes: Vec<Option<i32>> = hosts
        .into_iter()
        .map(|h| h.wait_timeout(Duration::from_secs(30)).expect("exits").code)
        .collect();
    codes.sort();
    assert_eq!(codes, [Some(0), Some(75), Some(75)]);
    assert_eq!(runs(&dir), 1, "the command ran more than once");
    let record = record(&zk, &path);
    assert_eq!(record["last"]["status"], 0, "{record}");
    assert!(
        record["last"]["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("host"))
    );
    assert!(
        record["last"]["duration_ms"]
            .as_u64()
            .is_some_and(|ms| ms >= 300)
    );
    zk.assert_empty_soon(&path, Duration::from_secs(5));

    // A skip is quiet, as a conflict is (nine of ten hosts skip every night); -v says so and
    // whose run it was.
    let plain = run(&mut once(&dir, &path, &["--once-per", "1m"], "true"));
    assert_eq!(
        (plain.code, plain.stderr.as_str()),
        (Some(75), ""),
        "{plain:?}"
    );
    let verbose = run(&mut once(&dir, &path, &["-v", "--once-per", "1m"], "true"));
    assert_eq!(verbose.code, Some(75), "{verbose:?}");
    assert!(
        verbose.stderr.contains("already ran within --once-per 1m")
            && verbose.stderr.contains("by "),
        "{}",
        verbose.stderr
    );
    let quiet = run(&mut once(
        &dir,
        &path,
        &["-q", "-E", "0", "--once-per", "1m"],
        "true",
    ));
    assert_eq!(
        (quiet.code, quiet.stderr.as_str()),
        (Some(0), ""),
        "{quiet:?}"
    );
    assert_eq!(runs(&dir), 1);
    zk.assert_empty_soon(&path, Duration::from_secs(5));
}

/// A failed or killed run is recorded with its status and does not count: the next one runs.
#[test]
fn a_failed_run_is_retried_by_the_next() {
    let path = unique_path("once-failed");
    let dir = workdir("once-failed");
    let zk = Zk::connect(&servers());
    let failed = run(&mut once(&dir, &path, &["--once-per", "1m"], "exit 3"));
    assert_eq!(failed.code, Some(3), "{failed:?}");
    assert_eq!(record(&zk, &path)["last"]["status"], 3);
    let retried = run(&mut once(&dir, &path, &["--once-per", "1m"], "true"));
    assert_eq!(retried.code, Some(0), "{retried:?}");
    assert_eq!(record(&zk, &path)["last"]["status"], 0);
    let skipped = run(&mut once(&dir, &path, &["--once-per", "1m"], "true"));
    assert_eq!(skipped.code, Some(75), "{skipped:?}");
    assert_eq!(runs(&dir), 2);
    // A killed run: recorded as 128+N, and not done either.
    let killed = unique_path("once-killed");
    let ran = run(&mut once(
        &dir,
        &killed,
        &["--once-per", "1m"],
        "kill -KILL $$",
    ));
    assert_eq!(ran.code, Some(137), "{ran:?}");
    assert_eq!(record(&zk, &killed)["last"]["status"], 137);
    let retried = run(&mut once(&dir, &killed, &["--once-per", "1m"], "true"));
    assert_eq!(retried.code, Some(0), "{retried:?}");
    zk.assert_empty_soon(&killed, Duration::from_secs(5));
    zk.assert_empty_soon(&path, Duration::from_secs(5));
}

/// Once the period has passed since the last run's start (by the server's clock), it runs
/// again; `--record` alone never skips.
#[test]
fn after_the_period_it_runs_again() {
    let path = unique_path("once-period");
    let dir = workdir("once-period");
    let zk = Zk::connect(&servers());
    let first = run(&mut once(&dir, &path, &["--once-per", "2s"], "true"));
    assert_eq!(first.code, Some(0), "{first:?}");
    let first_start = start_ms(&record(&zk, &path));
    let recorded = run(&mut once(&dir, &path, &["--record"], "true"));
    assert_eq!(
        recorded.code,
        Some(0),
        "--record does not skip: {recorded:?}"
    );
    let again = eventually(Duration::from_secs(20), || {
        run(&mut once(&dir, &path, &["--once-per", "2s"], "true")).code == Some(0)
    });
    assert!(again, "never ran again");
    let last_start = start_ms(&record(&zk, &path));
    assert!(
        last_start - first_start >= 2000,
        "ran again {} ms after the first",
        last_start - first_start
    );
    zk.assert_empty_soon(&path, Duration::from_secs(5));
}

/// Host clocks play no part: a zklock whose clock is two days ahead (faketime) still sees
/// the run made a moment ago as recent, and records its own run's start by the server's clock.
#[test]
fn a_host_clock_two_days_off_changes_nothing() {
    if std::process::Command::new("faketime")
        .args(["-f", "+2d", "true"])
        .status()
        .map_or(true, |s| !s.success())
    {
        eprintln!("skipped: faketime is not installed (apt-get install faketime)");
        return;
    }
    let path = unique_path("once-clock");
    let dir = workdir("once-clock");
    let zk = Zk::connect(&servers());
    let faked = |options: &[&str]| {
        let mut command = std::process::Command::new("faketime");
        command
            .args(["-f", "+2d", env!("CARGO_BIN_EXE_zklock"), "-s", &servers()])
            .args(options)
            .args([
                &path,
                "--",
                "sh",
                "-c",
                "date +%s >> faked; echo ran >> runs",
            ])
            .env("FAKETIME_DONT_FAKE_MONOTONIC", "1")
            .current_dir(&dir);
        command
    };
    let ran = run(&mut once(&dir, &path, &["--once-per", "1d"], "true"));
    assert_eq!(ran.code, Some(0), "{ran:?}");
    let skipped = run(&mut faked(&["--once-per", "1d"]));
    assert_eq!(
        skipped.code,
        Some(75),
        "the host clock decided: {skipped:?}"
    );
    // Negative control: the faked clock is really two days ahead, as its command saw.
    let recorded = run(&mut faked(&["--record"]));
    assert_eq!(recorded.code, Some(0), "{recorded:?}");
    let seen: i64 = read(&dir.join("faked")).trim().parse().expect("date");
    let now = now_secs();
    assert!(
        seen - now > 86_400,
        "faketime did not move the clock: {seen} vs {now}"
    );
    // Its record's start is the server's time, not its own.
    let start = start_ms(&record(&zk, &path)) / 1000;
    assert!(
        (start - now).abs() < 600,
        "recorded {start}, server time about {now}"
    );
    assert_eq!(runs(&dir), 2);
    zk.assert_empty_soon(&path, Duration::from_secs(5));
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64
}

/// `ls -l PATH` puts the record in words on its first line; `ls --json` carries it whole.
#[test]
fn ls_shows_the_last_run() {
    let path = unique_path("once-ls");
    let dir = workdir("once-ls");
    let ran = run(&mut once(
        &dir,
        &path,
        &["--record", "--id", "db1:backup"],
        "exit 2",
    ));
    assert_eq!(ran.code, Some(2), "{ran:?}");
    // On a terminal (script(1)) the record heads the table; piped, only the table.
    let inner = format!(
        "{} -s {} ls -l {path}",
        env!("CARGO_BIN_EXE_zklock"),
        servers()
    );
    let ls =
        run(std::process::Command::new("script").args(["-q", "-e", "-c", &inner, "/dev/null"]));
    assert_eq!(ls.code, Some(0), "{ls:?}");
    let first = ls.stdout.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("last run  ")
            && first.contains("(id db1:backup)")
            && first.contains("status 2")
            && first.contains(" ago by "),
        "{}",
        ls.stdout
    );
    let piped = run(zklock(&servers()).args(["ls", "-l", &path]));
    assert_eq!(piped.stdout, "", "no record line when piped");
    let json = run(zklock(&servers()).args(["ls", "--json", &path]));
    let doc: Value = serde_json::from_str(&json.stdout).expect("JSON");
    let last = &doc["record"]["last"];
    assert_eq!(last["id"], "db1:backup", "{doc}");
    assert_eq!(last["status"], 2, "{doc}");
    assert!(
        last["fencing_token"].as_i64().is_some_and(|t| t > 0),
        "{doc}"
    );
    assert_eq!(doc["record"]["limit"], Value::Null, "{doc}");
    // Without a record: no line, and null.
    let plain = unique_path("once-ls-none");
    Zk::connect(&servers()).create(&plain, b"");
    let json = run(zklock(&servers()).args(["ls", "--json", &plain]));
    assert!(
        json.stdout
            .contains(r#""record":{"last":null,"last_success":null,"history":[],"period_ms":null,"limit":null}"#),
        "{}",
        json.stdout
    );
    Zk::connect(&servers()).assert_empty_soon(&path, Duration::from_secs(5));
}

/// A lost lock (its node deleted by an operator) exits 79 and is not recorded: the guarded
/// write fails once the node is gone, so the record still names the run before.
#[test]
fn a_lost_lock_is_not_recorded() {
    let path = unique_path("once-lost");
    let dir = workdir("once-lost");
    let zk = Zk::connect(&servers());
    let before = run(&mut once(
        &dir,
        &path,
        &["--record", "--id", "before"],
        "true",
    ));
    assert_eq!(before.code, Some(0), "{before:?}");
    let holder = Background::spawn(&mut once(
        &dir,
        &path,
        &["-v", "--record", "--id", "lost"],
        "touch held; sleep 30",
    ));
    assert!(eventually(Duration::from_secs(15), || dir
        .join("held")
        .exists()));
    let node = zk.children(&path).pop().expect("the holder's node");
    zk.delete(&format!("{path}/{node}"));
    let ran = holder.wait_timeout(Duration::from_secs(20)).expect("exits");
    assert_eq!(ran.code, Some(79), "{ran:?}");
    assert!(ran.stderr.contains("run not recorded"), "{}", ran.stderr);
    assert_eq!(record(&zk, &path)["last"]["id"], "before");
    zk.assert_empty_soon(&path, Duration::from_secs(5));
}

/// Garbage or another program's data in the directory is read as no record (said under -v),
/// and the run is recorded over it.
#[test]
fn garbage_is_no_record() {
    let path = unique_path("once-garbage");
    let dir = workdir("once-garbage");
    let zk = Zk::connect(&servers());
    zk.create(&path, b"\xff{not json");
    let ran = run(&mut once(&dir, &path, &["-v", "--once-per", "1m"], "true"));
    assert_eq!(ran.code, Some(0), "{ran:?}");
    assert!(ran.stderr.contains("not a run record"), "{}", ran.stderr);
    assert_eq!(record(&zk, &path)["last"]["status"], 0);
    // A newer version's record: unknown fields ignored, the decision still made.
    zk.set(
        &path,
        br#"{"version": 9, "last": {"id": "x", "host": "h", "start": "2000-01-01T00:00:00Z", "duration_ms": 1, "status": 0, "fencing_token": 1, "extra": [1]}}"#,
    );
    let ran = run(&mut once(&dir, &path, &["--once-per", "1m"], "true"));
    assert_eq!(ran.code, Some(0), "a run from 2000 is not recent: {ran:?}");
    assert_eq!(runs(&dir), 2);
    zk.assert_empty_soon(&path, Duration::from_secs(5));
}

/// With `--limit`, the record shares the directory's JSON with the semaphore's N; with
/// several paths each path records the run, and a skip needs every path done.
#[test]
fn the_record_lives_beside_the_limit_and_on_every_path() {
    let (a, b, c) = (
        unique_path("once-multi-a"),
        unique_path("once-multi-b"),
        unique_path("once-multi-c"),
    );
    let dir = workdir("once-multi");
    let zk = Zk::connect(&servers());
    let ran = run(&mut once(
        &dir,
        &a,
        &["--limit", "2", "--once-per", "1m"],
        "true",
    ));
    assert_eq!(ran.code, Some(0), "{ran:?}");
    let both = record(&zk, &a);
    assert_eq!(
        (both["limit"].as_u64(), both["last"]["status"].as_i64()),
        (Some(2), Some(0)),
        "{both}"
    );
    let skipped = run(&mut once(
        &dir,
        &a,
        &["--limit", "2", "--once-per", "1m"],
        "true",
    ));
    assert_eq!(skipped.code, Some(75), "{skipped:?}");
    zk.assert_empty_soon(&format!("{a}/leases"), Duration::from_secs(5));
    zk.assert_empty_soon(&format!("{a}/locks"), Duration::from_secs(5));

    let mut two = zklock(&servers());
    two.args([
        "--once-per",
        "1m",
        &b,
        &c,
        "--",
        "sh",
        "-c",
        "echo ran >> runs",
    ])
    .current_dir(&dir);
    assert_eq!(run(&mut two).code, Some(0));
    for path in [&b, &c] {
        assert_eq!(record(&zk, path)["last"]["status"], 0);
    }
    let one_done = run(&mut once(&dir, &b, &["--once-per", "1m"], "true"));
    assert_eq!(one_done.code, Some(75), "{one_done:?}");
    let d = unique_path("once-multi-d");
    let mut not_all = zklock(&servers());
    not_all
        .args([
            "--once-per",
            "1m",
            &b,
            &d,
            "--",
            "sh",
            "-c",
            "echo ran >> runs",
        ])
        .current_dir(&dir);
    assert_eq!(run(&mut not_all).code, Some(0), "{d} was never run");
    assert_eq!(runs(&dir), 3);
    for path in [&b, &c, &d] {
        zk.assert_empty_soon(path, Duration::from_secs(5));
    }
}

/// The record is persistent data: it survives a restart of the server.
#[test]
fn the_record_survives_a_server_restart() {
    let mut server = Server::standalone();
    let path = unique_path("once-restart");
    let dir = workdir("once-restart");
    let mut first = zklock(&server.connect());
    first
        .args([
            "--once-per",
            "1m",
            &path,
            "--",
            "sh",
            "-c",
            "echo ran >> runs",
        ])
        .current_dir(&dir);
    assert_eq!(run(&mut first).code, Some(0));
    server.kill();
    server.start();
    let mut second = zklock(&server.connect());
    second
        .args([
            "--once-per",
            "1m",
            &path,
            "--",
            "sh",
            "-c",
            "echo ran >> runs",
        ])
        .current_dir(&dir);
    let skipped = run(&mut second);
    assert_eq!(skipped.code, Some(75), "{skipped:?}");
    assert_eq!(runs(&dir), 1);
    Zk::connect(&server.connect()).assert_empty_soon(&path, Duration::from_secs(5));
}

/// A plain cycle sends no request for the record: no more than the bare recipe releasing by
/// close (connect, the client's first ping, create, list, close; six as counted here, with
/// the count's own request), and `--record` adds exactly its check that the directory is a
/// lasting node, its read and its multi.
#[test]
fn a_plain_cycle_sends_no_request_for_the_record() {
    let server = Server::standalone();
    let path = unique_path("once-requests");
    let cycle = |options: &[&str]| {
        // The directory exists already: both cycles create only their own node.
        let before = server.received();
        // A command that ends before the first probe (T/10 = 3 s), which also sets the
        // own-node watch.
        let ran = run(zklock(&server.connect())
            .args(["--session-timeout", "30s"])
            .args(options)
            .args([&path, "--", "sleep", "0.2"]));
        assert_eq!(ran.code, Some(0), "{ran:?}");
        server.received() - before
    };
    cycle(&[]);
    let plain = cycle(&[]);
    let recorded = cycle(&["--record"]);
    assert!(plain <= 6, "a plain cycle sent {plain} requests");
    assert_eq!(recorded, plain + 3, "--record: {recorded}, plain: {plain}");
    Zk::connect(&server.connect()).assert_empty_soon(&path, Duration::from_secs(5));
}

/// A record whose last run starts later than the server's now (a bad write, another tool's
/// data) is read as no record: the command runs, and records its own run, rather than every
/// run skipping for ever; -v says so.
#[test]
fn a_record_dated_in_the_future_is_no_record() {
    let path = unique_path("once-future");
    let dir = workdir("once-future");
    let zk = Zk::connect(&servers());
    zk.create(&path, br#"{"last":{"id":"elsewhere","host":"elsewhere","start":"2999-01-01T00:00:00.000Z","duration_ms":1,"status":0,"fencing_token":1}}"#);
    let ran = run(&mut once(&dir, &path, &["-v", "--once-per", "1h"], "true"));
    assert_eq!(ran.code, Some(0), "{ran:?}");
    assert_eq!(runs(&dir), 1);
    assert!(
        ran.stderr.contains("later than the server's now"),
        "{}",
        ran.stderr
    );
    assert_ne!(record(&zk, &path)["last"]["host"], "elsewhere");
    // Its own run now counts.
    let skipped = run(&mut once(&dir, &path, &["--once-per", "1h"], "true"));
    assert_eq!(skipped.code, Some(75), "{skipped:?}");
    assert_eq!(runs(&dir), 1);
    zk.assert_empty_soon(&path, Duration::from_secs(5));
    zk.delete(&path);
}
