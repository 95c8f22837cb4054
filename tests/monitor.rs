//! Watching the jobs (SPEC §2.2, §2.3; #34): the run record's last success and recent runs,
//! `ls --stale`, `ls --prometheus` (checked by promtool), records of the previous format, and a
//! walk of 10,000 lock directories at a bounded memory.

mod support;

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use support::*;

fn servers() -> String {
    shared().connect()
}

/// `zklock <options> PATH -- sh -c 'echo ran >> runs; <script>'` in `dir`.
fn job(dir: &Path, path: &str, options: &[&str], script: &str) -> Ran {
    run(zklock(&servers())
        .args(options)
        .args([path, "--", "sh", "-c"])
        .arg(format!("echo ran >> runs; {script}"))
        .current_dir(dir))
}

/// `ls --json PATH`'s record.
fn record_of(path: &str) -> Value {
    let ls = run(zklock(&servers()).args(["ls", "--json", path]));
    assert_eq!(ls.code, Some(0), "{ls:?}");
    let doc: Value = serde_json::from_str(&ls.stdout).expect("one JSON document");
    doc["record"].clone()
}

fn statuses(record: &Value) -> Vec<i64> {
    record["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|r| r["status"].as_i64().expect("status"))
        .collect()
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_millis() as i64
}

/// A run as the record stores it, started `ago_s` seconds before now.
fn run_at(ago_s: i64, status: i32) -> Value {
    let start = UNIX_EPOCH + Duration::from_millis((now_ms() - ago_s * 1000) as u64);
    serde_json::json!({
        "id": "db1:backup", "host": "db1",
        "start": humantime::format_rfc3339_millis(start).to_string(),
        "duration_ms": 1200, "status": status, "fencing_token": 42,
    })
}

/// A record of the current format: its last run, its last success, a period in seconds.
fn record(last: Value, success: Option<Value>, period_s: Option<u64>) -> Vec<u8> {
    let mut r = serde_json::json!({"last": last.clone(), "history": [last]});
    if let Some(s) = success {
        r["last_success"] = s;
    }
    if let Some(p) = period_s {
        r["period_ms"] = (p * 1000).into();
    }
    r.to_string().into_bytes()
}

/// Success, failure, a killed run and a skipped one: the last run is the killed one, the last
/// success is still the first run, the history holds the three runs that ran (newest first),
/// and a failure does not undo `--once-per`'s success within the period. The history keeps 10.
#[test]
fn the_record_keeps_the_last_success_and_the_recent_runs() {
    let path = unique_path("mon-history");
    let dir = workdir("mon-history");
    let zk = Zk::connect(&servers());
    let ok = job(&dir, &path, &["--once-per", "1h"], "true");
    assert_eq!(ok.code, Some(0), "{ok:?}");
    let failed = job(&dir, &path, &["--record"], "exit 3");
    assert_eq!(failed.code, Some(3), "{failed:?}");
    let killed = job(&dir, &path, &["--record"], "kill -KILL $$");
    assert_eq!(killed.code, Some(137), "{killed:?}");
    let skipped = job(&dir, &path, &["--once-per", "1h"], "true");
    assert_eq!(
        skipped.code,
        Some(75),
        "the success within the hour counts: {skipped:?}"
    );
    assert_eq!(read(&dir.join("runs")).lines().count(), 3);

    let record = record_of(&path);
    assert_eq!(statuses(&record), [137, 3, 0], "{record}");
    assert_eq!(record["last"]["status"], 137, "{record}");
    assert_eq!(record["last_success"]["status"], 0, "{record}");
    assert_eq!(record["last_success"], record["history"][2], "{record}");
    assert_eq!(record["period_ms"], 3_600_000, "{record}");
    // In ZooKeeper, the previous format's fields are where its readers look.
    let stored: Value = serde_json::from_slice(&zk.data(&path)).expect("JSON");
    assert_eq!(stored["last"]["status"], 137, "{stored}");
    assert_eq!(stored["last"]["id"], record["last"]["id"], "{stored}");

    for _ in 0..12 {
        let failed = job(&dir, &path, &["--record"], "exit 1");
        assert_eq!(failed.code, Some(1), "{failed:?}");
    }
    let record = record_of(&path);
    assert_eq!(statuses(&record), [1; 10], "{record}");
    assert_eq!(record["last_success"]["status"], 0, "{record}");
    assert_eq!(
        record["period_ms"], 3_600_000,
        "--record keeps the period: {record}"
    );
    zk.assert_empty_soon(&path, Duration::from_secs(5));
    zk.delete(&path);
}

/// A record written by the previous version (`last` and `limit` only) reads: its run is the
/// history and, as it succeeded, the last success; `--once-per` skips on it; the next run
/// writes the new format and keeps the old run and the semaphore's N.
#[test]
fn records_of_the_previous_format_still_read() {
    let path = unique_path("mon-old");
    let dir = workdir("mon-old");
    let zk = Zk::connect(&servers());
    let old = serde_json::json!({"last": run_at(600, 0), "limit": 1});
    zk.create(&path, old.to_string().as_bytes());
    let record = record_of(&path);
    assert_eq!(record["last"], old["last"], "{record}");
    assert_eq!(record["last_success"], old["last"], "{record}");
    assert_eq!(
        record["history"],
        serde_json::json!([old["last"]]),
        "{record}"
    );
    assert_eq!(record["period_ms"], Value::Null, "{record}");
    let skipped = job(&dir, &path, &["--once-per", "1h"], "true");
    assert_eq!(skipped.code, Some(75), "{skipped:?}");
    let ran = job(&dir, &path, &["--once-per", "5m"], "exit 4");
    assert_eq!(ran.code, Some(4), "{ran:?}");
    let record = record_of(&path);
    assert_eq!(statuses(&record), [4, 0], "{record}");
    assert_eq!(record["last_success"], old["last"], "{record}");
    assert_eq!(record["limit"], 1, "{record}");
    assert_eq!(record["period_ms"], 300_000, "{record}");

    // A failed run of the previous format never succeeded, as far as anyone knows.
    let failed = unique_path("mon-old-failed");
    let old = serde_json::json!({"last": run_at(60, 2)});
    zk.create(&failed, old.to_string().as_bytes());
    let stale = run(zklock(&servers()).args(["ls", "--stale", "1h", &failed]));
    assert_eq!(stale.code, Some(2), "{stale:?}");
    assert_eq!(
        stale.stdout.lines().collect::<Vec<_>>(),
        [format!(
            "{failed}: never succeeded; last run {} status 2 on db1",
            old["last"]["start"].as_str().unwrap_or_default()
        )],
        "{stale:?}"
    );
    zk.delete(&failed);
    zk.assert_empty_soon(&path, Duration::from_secs(5));
    zk.delete(&path);
}

/// `ls --stale`: with and without DURATION, either side of the threshold; never-succeeded,
/// unknown (no period) and unreadable records; another tool's data is no record; exit 2 only
/// when something is stale.
#[test]
fn stale_jobs_are_listed_and_give_their_own_status() {
    let base = unique_path("mon-stale");
    let zk = Zk::connect(&servers());
    let at = |name: &str| format!("{base}/{name}");
    let contender = "_c_0123abcd-0000-4000-8000-000000000000-lock-0000000001";
    zk.create(&base, b"");
    zk.create_all(&[
        // Succeeded 1000 s ago: late after 600 s × 1.5 = 900 s, not after 700 s × 1.5.
        (
            at("a"),
            record(run_at(1000, 0), Some(run_at(1000, 0)), Some(600)),
        ),
        (
            at("b"),
            record(run_at(1000, 0), Some(run_at(1000, 0)), Some(700)),
        ),
        // No period: unknown without DURATION.
        (
            at("c"),
            record(run_at(1000, 0), Some(run_at(1000, 0)), None),
        ),
        // Never succeeded.
        (at("d"), record(run_at(100, 1), None, Some(600))),
        // Broken and foreign.
        (at("e"), br#"{"last": 3}"#.to_vec()),
        (at("f"), b"another tool's data".to_vec()),
        (at("g"), b"not JSON".to_vec()),
        (format!("{}/{contender}", at("g")), b"db2:9".to_vec()),
    ]);
    let stale = |options: &[&str]| {
        let mut command = zklock(&servers());
        command.args(["ls", "--stale"]).args(options);
        run(&mut command)
    };
    let named = |ran: &Ran| -> Vec<String> {
        ran.stdout
            .lines()
            .map(|l| l.split(':').next().unwrap_or_default().to_string())
            .collect()
    };

    let ran = stale(&["-R", &base]);
    assert_eq!(ran.code, Some(2), "{ran:?}");
    // The same without multiRead (servers before 3.6: one request a node, pipelined).
    let single = run(zklock(&servers())
        .env("ZKLOCK_TEST_NO_MULTIREAD", "1")
        .args(["ls", "--stale", "-R", &base]));
    assert_eq!(
        (single.code, &single.stdout),
        (Some(2), &ran.stdout),
        "{single:?}"
    );
    assert_eq!(
        named(&ran),
        [at("a"), at("c"), at("d"), at("e"), at("g")],
        "{ran:?}"
    );
    let lines: Vec<&str> = ran.stdout.lines().collect();
    assert!(
        lines[0].starts_with(&format!("{}: stale: last success ", at("a"))),
        "{}",
        lines[0]
    );
    assert!(
        lines[0].contains("ago), older than 15m; last run "),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].starts_with(&format!("{}: unknown: no period recorded", at("c"))),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].starts_with(&format!("{}: never succeeded; last run ", at("d"))),
        "{}",
        lines[2]
    );
    assert!(
        lines[3].starts_with(&format!("{}: unreadable: last: ", at("e"))),
        "{}",
        lines[3]
    );
    assert!(
        lines[4].starts_with(&format!("{}: unreadable: not JSON", at("g"))),
        "{}",
        lines[4]
    );

    // DURATION either side of the 1000 s: every success is stale below it, none above it.
    let below = stale(&["990s", "-R", &base]);
    assert_eq!(below.code, Some(2), "{below:?}");
    assert_eq!(
        named(&below),
        [at("a"), at("b"), at("c"), at("d"), at("e"), at("g")]
    );
    let above = stale(&["1100s", "-R", &base]);
    assert_eq!(named(&above), [at("d"), at("e"), at("g")], "{above:?}");
    for (duration, path, code) in [
        ("990s", "a", 2),
        ("1100s", "a", 0),
        ("", "b", 0),
        ("", "c", 0),
    ] {
        let mut options = vec![];
        if !duration.is_empty() {
            options.push(duration);
        }
        let path = at(path);
        options.push(&path);
        let ran = stale(&options);
        assert_eq!(ran.code, Some(code), "--stale {duration} {path}: {ran:?}");
    }
    // PATH right after --stale, and JSON lines in the one vocabulary.
    let ran = stale(&["--json", &at("a")]);
    assert_eq!(
        (ran.code, ran.stdout.lines().count()),
        (Some(2), 1),
        "PATH itself: {ran:?}"
    );
    let ran = stale(&[&base, "--json", "-R"]);
    let objects: Vec<Value> = ran
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON object a line"))
        .collect();
    let states: Vec<&str> = objects
        .iter()
        .map(|o| o["state"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(
        states,
        ["stale", "unknown", "never", "unreadable", "unreadable"],
        "{ran:?}"
    );
    assert_eq!(objects[0]["threshold_ms"], 900_000);
    assert!(
        objects[0]["age_ms"]
            .as_i64()
            .is_some_and(|a| a >= 1_000_000),
        "{}",
        objects[0]
    );
    assert_eq!(objects[0]["last_success"]["id"], "db1:backup");
    assert_eq!(objects[2]["last_success"], Value::Null);
    assert!(objects[3]["error"].is_string(), "{}", objects[3]);

    // Bad input: one line naming it, 64.
    let bad = stale(&["5 parsecs", &base]);
    assert_eq!(bad.code, Some(64), "{bad:?}");
    assert!(one_line(&bad).contains("--stale 5 parsecs"), "{bad:?}");

    zk.delete_tree(&base);
    assert!(!zk.exists(&base));
}

/// A directory the session may not read is named on stderr and the walk goes on: 77 when
/// nothing is stale, 2 when something is (the alert wins over "incomplete").
#[test]
fn an_unreadable_directory_does_not_stop_the_check() {
    let base = unique_path("mon-denied");
    let zk = Zk::connect(&servers());
    zk.create(&base, b"");
    zk.create_all(&[(
        format!("{base}/fresh"),
        record(run_at(10, 0), Some(run_at(10, 0)), Some(3600)),
    )]);
    let secret = format!("{base}/secret");
    let owner = Zk::create_protected(&servers(), &secret, "alice:pw");
    let ran = run(zklock(&servers()).args(["ls", "--stale", "-R", &base]));
    assert_eq!(ran.code, Some(77), "{ran:?}");
    assert!(
        ran.stderr.contains(&format!("{secret}: not authorized")),
        "{ran:?}"
    );
    let prom = run(zklock(&servers()).args(["ls", "--prometheus", "-R", &base]));
    assert_eq!(prom.code, Some(77), "{prom:?}");
    assert!(
        prom.stdout.contains(&format!(
            "zklock_record_readable{{path=\"{base}/fresh\"}} 1"
        )),
        "{prom:?}"
    );
    zk.create_all(&[(
        format!("{base}/late"),
        record(run_at(7200, 0), Some(run_at(7200, 0)), Some(3600)),
    )]);
    let ran = run(zklock(&servers()).args(["ls", "--stale", "-R", &base]));
    assert_eq!(ran.code, Some(2), "{ran:?}");
    drop(owner);
    let _ = zk.try_delete(&secret);
    zk.delete_tree(&base);
}

/// Samples of `ls --prometheus`'s output: `name{labels}` → value.
fn samples(text: &str) -> HashMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (series, value) = l.rsplit_once(' ')?;
            Some((series.to_string(), value.parse().ok()?))
        })
        .collect()
}

fn promtool(text: &str) -> Ran {
    let file = workdir("mon-promtool").join("metrics.prom");
    std::fs::write(&file, text).expect("metrics written");
    let mut check = Command::new("promtool");
    check
        .args(["check", "metrics"])
        .stdin(std::fs::File::open(&file).expect("metrics"));
    let out = check
        .output()
        .expect("promtool (Debian's prometheus package; tests/run.sh installs it)");
    Ran::from(out)
}

/// Locks held and waited for, a semaphore, an election, run records good and bad: the
/// metrics say who holds what since when, and promtool accepts them (and rejects a copy with
/// one metric's samples split, the control that it checks at all).
#[test]
fn prometheus_metrics_are_right_and_promtool_accepts_them() {
    let base = unique_path("mon-prom");
    let zk = Zk::connect(&servers());
    let dir = workdir("mon-prom");
    let at = |name: &str| format!("{base}/{name}");
    let ok = job(&dir, &at("job"), &["--once-per", "1h"], "true");
    assert_eq!(ok.code, Some(0), "{ok:?}");
    let failed = job(&dir, &at("job"), &["--record"], "exit 3");
    assert_eq!(failed.code, Some(3), "{failed:?}");
    zk.create_all(&[(at("junk"), br#"{"history": 5}"#.to_vec())]);
    let servers = servers();
    let lock = hold_with(
        &servers,
        &at("lock"),
        "mon-prom-lock",
        &["--id", "db1:\"night\""],
    );
    let waiter = Background::spawn(zklock(&servers).args([&at("lock"), "--", "true"]));
    zk.wait_children(&at("lock"), 2, Duration::from_secs(10));
    let sem: Vec<Holder> = (0..2)
        .map(|k| {
            hold_with(
                &servers,
                &at("sem"),
                &format!("mon-prom-sem{k}"),
                &["-l", "2"],
            )
        })
        .collect();
    let sem_waiter =
        Background::spawn(zklock(&servers).args(["-l", "2", &at("sem"), "--", "true"]));
    assert!(
        eventually(Duration::from_secs(10), || zk
            .children(&format!("{}/leases", at("sem")))
            .len()
            + zk.children(&format!("{}/locks", at("sem"))).len()
            >= 3),
        "the third never queued"
    );
    let leader = hold_with(&servers, &at("leader"), "mon-prom-leader", &["elect"]);
    // `hold_with` puts its options before PATH: `zklock elect PATH -- ...`.

    let ran = run(zklock(&servers).args(["ls", "--prometheus", "-R", &base]));
    assert_eq!(ran.code, Some(0), "{ran:?}");
    let m = samples(&ran.stdout);
    // The same without multiRead (servers before 3.6: one request a node, pipelined).
    let single = run(zklock(&servers).env("ZKLOCK_TEST_NO_MULTIREAD", "1").args([
        "ls",
        "--prometheus",
        "-R",
        &base,
    ]));
    assert_eq!(samples(&single.stdout), m, "{single:?}");
    let get = |series: String| {
        *m.get(&series)
            .unwrap_or_else(|| panic!("no {series} in\n{}", ran.stdout))
    };
    let p = |name: &str| format!("{{path=\"{}\"}}", at(name));
    assert_eq!(get(format!("zklock_held{}", p("lock"))), 1.0);
    assert_eq!(get(format!("zklock_holders{}", p("lock"))), 1.0);
    assert_eq!(get(format!("zklock_waiters{}", p("lock"))), 1.0);
    let since = get(format!(
        "zklock_holder_since_timestamp_seconds{{path=\"{}\",id=\"db1:\\\"night\\\"\"}}",
        at("lock")
    ));
    assert!((since - now_ms() as f64 / 1e3).abs() < 120.0, "{since}");
    assert_eq!(get(format!("zklock_held{}", p("sem"))), 1.0);
    assert_eq!(get(format!("zklock_holders{}", p("sem"))), 2.0);
    assert_eq!(get(format!("zklock_waiters{}", p("sem"))), 1.0);
    assert_eq!(get(format!("zklock_semaphore_limit{}", p("sem"))), 2.0);
    assert_eq!(get(format!("zklock_held{}", p("leader"))), 1.0);
    assert_eq!(get(format!("zklock_held{}", p("job"))), 0.0);
    assert_eq!(get(format!("zklock_record_readable{}", p("job"))), 1.0);
    assert_eq!(get(format!("zklock_record_readable{}", p("junk"))), 0.0);
    assert_eq!(get(format!("zklock_period_seconds{}", p("job"))), 3600.0);
    let record = record_of(&at("job"));
    let labels = |run: &Value| {
        format!(
            "{{path=\"{}\",id=\"{}\",host=\"{}\"}}",
            at("job"),
            run["id"].as_str().unwrap_or_default(),
            run["host"].as_str().unwrap_or_default()
        )
    };
    let seconds = |run: &Value| {
        let start = humantime::parse_rfc3339(run["start"].as_str().expect("start")).expect("time");
        start
            .duration_since(UNIX_EPOCH)
            .expect("after 1970")
            .as_millis() as f64
            / 1e3
    };
    let last = &record["last"];
    assert_eq!(get(format!("zklock_last_run_status{}", labels(last))), 3.0);
    assert_eq!(
        get(format!(
            "zklock_last_run_start_timestamp_seconds{}",
            labels(last)
        )),
        seconds(last)
    );
    let success = &record["last_success"];
    assert_eq!(
        get(format!(
            "zklock_last_success_timestamp_seconds{}",
            labels(success)
        )),
        seconds(success)
    );
    // Every held sample once, each metric's samples together: what promtool checks.
    let checked = promtool(&ran.stdout);
    assert_eq!(
        checked.code,
        Some(0),
        "promtool: {checked:?}\n{}",
        ran.stdout
    );
    let split = format!(
        "{}# TYPE zklock_held gauge\nzklock_held{{path=\"/x\"}} 1\n",
        ran.stdout
    );
    let refused = promtool(&split);
    assert_ne!(
        refused.code,
        Some(0),
        "promtool accepted a split metric: {refused:?}"
    );

    for holder in sem.into_iter().chain([lock, leader]) {
        holder.release();
    }
    for waiting in [waiter, sem_waiter] {
        let done = waiting
            .wait_timeout(Duration::from_secs(20))
            .expect("waiter ends");
        assert_eq!(done.code, Some(0), "{done:?}");
    }
    for name in ["lock", "sem/leases", "sem/locks", "leader", "job"] {
        zk.assert_empty_soon(&at(name), Duration::from_secs(10));
    }
    zk.delete_tree(&base);
}

/// Peak RSS (KiB) and stdout of `zklock ls <args>`, by GNU time.
fn measured(args: &[&str], name: &str) -> (u64, Ran) {
    measured_with(args, name, &[])
}

/// `measured` with `env` added to zklock's environment.
fn measured_with(args: &[&str], name: &str, env: &[(&str, &str)]) -> (u64, Ran) {
    let dir = workdir(name);
    let (rss, stdout) = (dir.join("rss"), dir.join("stdout"));
    let mut timed = Command::new("/usr/bin/time");
    timed
        .args(["-f", "%M", "-o"])
        .arg(&rss)
        .arg(env!("CARGO_BIN_EXE_zklock"))
        .args(["-s", &servers(), "ls"])
        .args(args)
        .envs(env.iter().copied());
    // Into a file: a pipe would fill long before the end.
    timed.stdin(std::process::Stdio::null());
    timed.stdout(std::fs::File::create(&stdout).expect("stdout file"));
    let mut ran = Ran::from(
        timed
            .output()
            .expect("/usr/bin/time (Debian's time package)"),
    );
    ran.stdout = read(&stdout);
    let kib = read(&rss)
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .expect("GNU time's %M");
    (kib, ran)
}

/// 10,000 lock directories (50,000 nodes: four contenders and a run record each, in ten
/// groups): `--prometheus -R` and `--stale -R` report every one, and their peak memory over
/// the whole tree exceeds that over one directory by at most 6 MiB: this debug build's floor
/// (11 MiB) is not the release build's (3–4 MiB), so the bound is on the growth, chosen so
/// that the release build stays within the issue's 10 MiB (the benchmark measures that build
/// against 10 MiB directly; kazoo's listing of the same tree takes ~120 MiB).
#[test]
fn a_walk_of_ten_thousand_lock_directories_stays_small() {
    let base = unique_path("mon-scale");
    let zk = Zk::connect(&servers());
    let late = record(run_at(7200, 0), Some(run_at(7200, 0)), Some(3600));
    zk.create(&base, b"");
    let mut nodes = vec![];
    for g in 0..10 {
        nodes.push((format!("{base}/g{g}"), Vec::new()));
        for j in 0..1000 {
            let dir = format!("{base}/g{g}/job{j:04}");
            nodes.push((dir.clone(), late.clone()));
            for k in 1..=4 {
                let name = format!("_c_{g:08}-{j:04}-4000-8000-{k:012}-lock-{k:010}");
                nodes.push((format!("{dir}/{name}"), format!("h{k}:1").into_bytes()));
            }
        }
    }
    assert_eq!(nodes.len(), 50_010);
    zk.create_all(&nodes);
    drop(nodes);

    let one = format!("{base}/g0/job0000");
    let (small, ran) = measured(&["--prometheus", "-R", &one], "mon-scale-one");
    assert_eq!(ran.code, Some(0), "{ran:?}");
    let (big, ran) = measured(&["--prometheus", "-R", &base], "mon-scale-prom");
    assert_eq!(ran.code, Some(0), "{:?}", ran.stderr);
    let m = samples(&ran.stdout);
    let held = m.keys().filter(|k| k.starts_with("zklock_held{")).count();
    let waiters: f64 = m
        .iter()
        .filter(|(k, _)| k.starts_with("zklock_waiters{"))
        .map(|(_, v)| v)
        .sum();
    assert_eq!((held, waiters), (10_000, 30_000.0));
    // Where no temporary file can be made, each metric's lines stay in memory: the same text.
    let no_tmp = [("TMPDIR", "/nonexistent/zklock-test")];
    let (_, unspilled) = measured_with(
        &["--prometheus", "-R", &base],
        "mon-scale-unspilled",
        &no_tmp,
    );
    assert_eq!(unspilled.code, Some(0), "{:?}", unspilled.stderr);
    assert!(
        unspilled.stdout == ran.stdout,
        "the metrics differ without a temporary file"
    );
    let (stale_kib, stale) = measured(&["--stale", "-R", &base], "mon-scale-stale");
    assert_eq!(stale.code, Some(2), "{:?}", stale.stderr);
    assert_eq!(stale.stdout.lines().count(), 10_000);
    let (listed_kib, listed) = measured(&["-R", &base], "mon-scale-ls");
    assert_eq!(listed.stdout.lines().count(), 50_010);
    // `ls -l` streams too: every node's data, stat and ACL, a thousand at a time.
    let (long_kib, long) = measured(&["-l", "-R", &base], "mon-scale-long");
    assert_eq!(long.code, Some(0), "{:?}", long.stderr);
    let lines: Vec<&str> = long.stdout.lines().collect();
    assert_eq!(lines.len(), 50_010);
    assert_eq!(
        lines.iter().filter(|l| l.contains(" holder ")).count(),
        10_000
    );
    eprintln!(
        "peak RSS (KiB): one directory {small}, --prometheus {big}, --stale {stale_kib}, ls -R {listed_kib}, ls -l -R {long_kib}"
    );
    for (what, kib) in [
        ("--prometheus", big),
        ("--stale", stale_kib),
        ("ls -l", long_kib),
    ] {
        assert!(
            kib <= small + 6 * 1024,
            "{what} -R of 50,000 nodes: {kib} KiB, one directory {small} KiB"
        );
    }
    zk.delete_tree(&base);
    assert!(!zk.exists(&base));
}

/// README's alert rule is one Prometheus loads: `promtool check rules` accepts it.
#[test]
fn the_readmes_alert_rule_loads() {
    let readme = read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"));
    let rules: String = readme
        .split("```yaml prometheus-rules\n")
        .nth(1)
        .and_then(|rest| rest.split("\n```").next())
        .expect("README has a ```yaml prometheus-rules block")
        .to_string();
    assert!(
        rules.contains("zklock_last_success_timestamp_seconds"),
        "{rules}"
    );
    let file = workdir("mon-rules").join("zklock.rules.yml");
    std::fs::write(&file, format!("{rules}\n")).expect("rules written");
    let checked = Ran::from(
        Command::new("promtool")
            .args(["check", "rules"])
            .arg(&file)
            .output()
            .expect("promtool"),
    );
    assert_eq!(checked.code, Some(0), "{checked:?}");
    // The control: a rule with a broken expression is refused.
    std::fs::write(&file, rules.replace("max by (path)", "max by path")).expect("rules");
    let refused = Command::new("promtool")
        .args(["check", "rules"])
        .arg(&file)
        .output()
        .expect("promtool");
    assert!(!refused.status.success(), "promtool accepted a broken rule");
}
