//! The fault campaign: K zklocks contend for one path on a three-server ensemble while a nemesis
//! freezes and cuts their connections, stops servers, kills the leader, SIGKILLs and SIGSTOPs
//! zklocks, and freezes a whole zklock "host" (zklock, its watchdog and its command) past the
//! session timeout, as a suspend would; each command has grandchildren beating too, one in the
//! group and, where zklock can make a cgroup (`--cgroup`), one that left it with `setsid`.
//! A `zklock watch` follows a config node through it all, and a rolling restart of every
//! server at the end.
//! It runs twice, in every mode of SPEC §2.1. On a read/write path (two plain locks, a
//! `--write` and two `--shared`), the checker asserts no exclusive command ever ran beside
//! another command, fencing tokens increase in start order wherever one of two runs is exclusive,
//! no counter update was lost, the watch saw the last change, and nothing is left in the lock
//! directory. On a `--limit 2` semaphore, it asserts never more than two ran at once (and two
//! did), fencing tokens are distinct, and nothing is left in `PATH/locks` or `PATH/leases`.
//!
//! The negative controls are deterministic and live beside the rule they guard: without the
//! lease, the watchdog, the sweep or the cgroup (tests/safety.rs), on a clock that stops during
//! a suspend (src/guard/tests.rs), with the crate's persistent-watch bug (tests/watch.rs).
//! A real suspend cannot be made in a test; the boot-clock jump is covered by the unit test.
//!
//! CI runs a short campaign; a longer one: `ZKLOCK_CAMPAIGN_SECS=300 cargo test --release
//! --test campaign -- --nocapture`. Replay a failure with `ZKLOCK_CAMPAIGN_SEED=<seed>`.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use support::*;

const CONTENDERS: usize = 5;

/// xorshift64*: a small, seedable generator so a failing run can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn millis(&mut self, from: u64, to: u64) -> Duration {
        Duration::from_millis(from + self.next() % (to - from))
    }
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

/// One command's run under the lock, from the shared log.
#[derive(Debug)]
struct Run {
    start: u128,
    last: u128,
    token: i64,
    ended: bool,
    /// A `--shared` or lease holder's run: others may run beside it.
    shared: bool,
}

/// The command: about 1.3 s under the lock, longer than the lease's kill deadline (0.35 T with
/// T = 2 s), so a partition of the holder has to be caught by the lease, not outlasted. A
/// grandchild in its process group beats too (as `$$`, the command's pid), and with `setsid`
/// another that left the group and session, so a descendant that outlives a kill of its zklock
/// shows up as an overlap; they give up after ~8 s, and nothing holds zklock's pipes, so even a
/// survivor cannot hang the campaign.
/// Only exclusive runs (`shared` false) count: the lost-update check is theirs.
fn script(dir: &Path, setsid: bool, shared: bool) -> String {
    let (log, counter) = (dir.join("log"), dir.join("counter"));
    let (log, counter) = (log.display(), counter.display());
    let beat = |pid: &str| {
        format!(
            "j=0; while [ $j -lt 250 ]; do echo \"hb $(date +%s%N) 0 {pid}\" >> {log}; sleep 0.03; j=$((j+1)); done"
        )
    };
    let (escape, reap) = if setsid {
        (
            format!("setsid sh -c '{}' $$ & sgc=$!; ", beat("$0")),
            "kill $sgc; wait $sgc; ",
        )
    } else {
        (String::new(), "")
    };
    let (start, count) = if shared {
        ("start-shared", String::new())
    } else {
        (
            "start",
            format!("echo $((c+1)) > {counter}.$$ && mv {counter}.$$ {counter}; "),
        )
    };
    format!(
        "exec >/dev/null 2>&1; echo \"{start} $(date +%s%N) $ZKLOCK_FENCING_TOKEN $$\" >> {log}; c=$(cat {counter}); \
         ({}) & gc=$!; {escape}i=0; \
         while [ $i -lt 50 ]; do echo \"hb $(date +%s%N) 0 $$\" >> {log}; sleep 0.02; i=$((i+1)); done; \
         kill $gc; wait $gc; {reap}\
         {count}echo \"end $(date +%s%N) 0 $$\" >> {log}",
        beat("$$")
    )
}

fn runs(log: &Path) -> Vec<Run> {
    let mut by_pid: BTreeMap<String, Run> = BTreeMap::new();
    for line in read(log).lines() {
        let fields: Vec<&str> = line.split(' ').collect();
        let [what, at, token, pid] = fields[..] else {
            panic!("bad log line {line:?}")
        };
        let at: u128 = at.parse().expect("ns");
        let run = by_pid.entry(pid.to_string()).or_insert(Run {
            start: at,
            last: at,
            token: 0,
            ended: false,
            shared: false,
        });
        match what {
            "start" | "start-shared" => {
                run.token = token.parse().expect("token");
                run.shared = what == "start-shared";
            }
            "end" => run.ended = true,
            _ => {}
        }
        run.last = run.last.max(at);
    }
    let mut runs: Vec<Run> = by_pid.into_values().collect();
    runs.sort_by_key(|r| r.start);
    runs
}

/// The worker index (its --id) of the first in `queue` (a holder), if any.
fn holder(zk: &Zk, queue: &str) -> Option<usize> {
    let mut children = zk.children(queue);
    // By the 10-digit sequence, whatever the marker before it.
    children.sort_by_key(|name| name[name.len().saturating_sub(10)..].to_string());
    let first = children.first()?;
    String::from_utf8(zk.data(&format!("{queue}/{first}")))
        .ok()?
        .parse()
        .ok()
}

/// What each of the CONTENDERS runs as: its options, and whether others may run beside it.
type Modes = [(&'static [&'static str], bool); CONTENDERS];

/// Two plain locks, a writer and two readers on one read/write path.
const READ_WRITE: Modes = [
    (&[], false),
    (&[], false),
    (&["--write"], false),
    (&["--shared"], true),
    (&["--shared"], true),
];

/// Five contenders for a semaphore of two.
const LIMIT: usize = 2;
const SEMAPHORE: Modes = [(&["--limit", "2"], true); CONTENDERS];

/// The campaigns take turns: one at a time is what a 2-core machine can fault fairly.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

#[test]
fn fault_campaign_never_runs_two_commands_at_once() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let outcome = campaign("lock", &READ_WRITE, true);
    let (runs, seed) = (&outcome.runs, outcome.seed);
    for (i, early) in runs.iter().enumerate() {
        for late in &runs[i + 1..] {
            assert!(
                (early.shared && late.shared) || early.token < late.token,
                "fencing tokens out of order: {early:?} {late:?} (seed {seed})"
            );
        }
    }
    // Sorted by start: an exclusive run starts after every earlier run's last sign of life, a
    // shared one after every earlier exclusive run's.
    let (mut latest_end, mut latest_exclusive_end) = (0, 0);
    let mut readers_together = 0;
    for run in runs {
        let bound = if run.shared {
            readers_together += usize::from(latest_end > run.start);
            latest_exclusive_end
        } else {
            latest_end
        };
        assert!(
            bound < run.start,
            "overlap: a{} command started at {} before another's last sign of life at {bound} (seed {seed})",
            if run.shared { " shared" } else { "n exclusive" },
            run.start
        );
        latest_end = latest_end.max(run.last);
        if !run.shared {
            latest_exclusive_end = latest_exclusive_end.max(run.last);
        }
    }
    let exclusive: Vec<&Run> = runs.iter().filter(|r| !r.shared).collect();
    let completed = exclusive.iter().filter(|r| r.ended).count();
    assert!(
        completed <= outcome.counter && outcome.counter <= exclusive.len(),
        "lost update: counter {}, completed {completed} (seed {seed})",
        outcome.counter
    );
    eprintln!("campaign: overlaps 0; readers started beside another {readers_together} times");
}

#[test]
fn fault_campaign_never_over_admits_a_semaphore() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let outcome = campaign("semaphore", &SEMAPHORE, false);
    let seed = outcome.seed;
    let mut events: Vec<(u128, i32)> = Vec::new();
    for run in &outcome.runs {
        // A start sorts before an end at the same instant: the two count as beside each other.
        events.extend([(run.start, 1), (run.last, -1)]);
    }
    events.sort_by_key(|&(at, step)| (at, -step));
    let (mut now, mut most) = (0, 0);
    for (_, step) in events {
        now += step;
        most = most.max(now);
    }
    assert!(
        most <= LIMIT as i32,
        "{most} ran at once under --limit {LIMIT} (seed {seed})"
    );
    assert_eq!(
        most, LIMIT as i32,
        "never {LIMIT} at once: the check could not see over-admission (seed {seed})"
    );
    let mut tokens: Vec<i64> = outcome.runs.iter().map(|r| r.token).collect();
    tokens.sort_unstable();
    tokens.dedup();
    assert_eq!(
        tokens.len(),
        outcome.runs.len(),
        "two runs had one fencing token (seed {seed})"
    );
    eprintln!("campaign: at most {most} at once");
}

/// What a campaign leaves for its checker: every command's run, the counter's final value.
struct Outcome {
    runs: Vec<Run>,
    counter: usize,
    seed: u64,
}

/// One campaign of CONTENDERS zklocks on `/campaign/<name>`, each in its mode, under the
/// nemesis; with `watch`, a `zklock watch` follows a config node through it all. Asserts what
/// every mode shares (exits, something completed, nothing left behind, the watch's last change)
/// and leaves the overlap rules to the caller.
fn campaign(name: &str, modes: &Modes, watch: bool) -> Outcome {
    let seconds = env_u64("ZKLOCK_CAMPAIGN_SECS").unwrap_or(20);
    let seed = env_u64("ZKLOCK_CAMPAIGN_SEED").unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1)
            | 1
    });
    eprintln!("campaign: seed {seed} (replay with ZKLOCK_CAMPAIGN_SEED={seed}), {seconds} s");
    let mut rng = Rng(seed.max(1));
    let mut ensemble = Ensemble::start();
    let proxies: Vec<Vec<Proxy>> = (0..CONTENDERS)
        .map(|_| {
            ensemble
                .members
                .iter()
                .map(|m| Proxy::start(m.port))
                .collect()
        })
        .collect();
    let dir = workdir(&format!("campaign-{name}"));
    std::fs::write(dir.join("counter"), "0").expect("counter");
    let path = format!("/campaign/{name}");
    let limited = modes
        .iter()
        .any(|(options, _)| options.contains(&"--limit"));
    // Where the holders show: the leases of a semaphore, the path itself otherwise.
    let queue = if limited {
        format!("{path}/leases")
    } else {
        path.clone()
    };
    let cgroup = cgroup_works(&ensemble.connect());

    // A watch on the ensemble itself (no proxy): server faults and the rolling restart at the
    // end move it from server to server.
    let config = format!("/campaign/{name}-config");
    let inspector = Zk::connect(&ensemble.connect());
    inspector.create(&config, b"");
    let watch = watch.then(|| {
        let watch = Streaming::spawn(
            zklock(&ensemble.connect()).args([
                "-v",
                "--session-timeout",
                "6s",
                "watch",
                "-R",
                "--json",
                &config,
            ]),
            "campaign-watch",
        );
        watch.wait_stderr("watching ", Duration::from_secs(30));
        watch
    });

    let stop = Arc::new(AtomicBool::new(false));
    let running: Arc<Mutex<Vec<i32>>> = Arc::new(Mutex::new(vec![0; CONTENDERS]));
    let statuses: Arc<Mutex<BTreeMap<String, usize>>> = Arc::default();
    let workers: Vec<_> = (0..CONTENDERS)
        .map(|k| {
            let servers = proxies[k]
                .iter()
                .map(Proxy::connect)
                .collect::<Vec<_>>()
                .join(",");
            let (stop, running, statuses, path) = (
                stop.clone(),
                running.clone(),
                statuses.clone(),
                path.clone(),
            );
            let (options, shared) = modes[k];
            let script = script(&dir, cgroup, shared);
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    let mut command = zklock(&servers);
                    command.args(options);
                    let process = Background::spawn(command.args([
                        "--id",
                        &k.to_string(),
                        "--session-timeout",
                        "2s",
                        "-w",
                        "20s",
                        &path,
                        "--",
                        "sh",
                        "-c",
                        &script,
                    ]));
                    running.lock().expect("lock")[k] = process.pid();
                    let ran = process.wait_timeout(Duration::from_secs(90));
                    running.lock().expect("lock")[k] = 0;
                    let status = match &ran {
                        None => "hung".to_string(),
                        Some(r) => match r.code {
                            None => "killed".to_string(),
                            Some(c @ (0 | 69 | 75 | 79)) => c.to_string(),
                            Some(c) => format!("{c}: {}", r.stderr.trim()),
                        },
                    };
                    *statuses.lock().expect("lock").entry(status).or_default() += 1;
                }
            })
        })
        .collect();

    let mut faults: BTreeMap<&str, usize> = BTreeMap::new();
    let deadline = Instant::now() + Duration::from_secs(seconds);
    while Instant::now() < deadline {
        std::thread::sleep(rng.millis(300, 1200));
        // Half the client faults go to whoever holds the lock now: that is where it matters.
        let client = match rng.below(2) {
            0 => holder(&inspector, &queue).unwrap_or_else(|| rng.below(CONTENDERS)),
            _ => rng.below(CONTENDERS),
        };
        let kind = match rng.below(7) {
            0 => {
                proxies[client].iter().for_each(Proxy::freeze);
                std::thread::sleep(rng.millis(300, 3000));
                proxies[client].iter().for_each(Proxy::thaw);
                "partition a client"
            }
            1 => {
                proxies[client].iter().for_each(Proxy::cut);
                "cut a client's connection"
            }
            2 => {
                let server = rng.below(3);
                ensemble.members[server].signal(libc::SIGSTOP);
                std::thread::sleep(rng.millis(300, 2500));
                ensemble.members[server].signal(libc::SIGCONT);
                "SIGSTOP a server"
            }
            3 => {
                let leader = ensemble.leader(Duration::from_secs(30));
                ensemble.kill(leader);
                std::thread::sleep(rng.millis(500, 2000));
                ensemble.restart(leader);
                "kill and restart the leader"
            }
            4 => {
                let pid = running.lock().expect("lock")[client];
                if pid <= 0 {
                    continue;
                }
                // SAFETY: kill on a pid the worker spawned and has not reaped (it is recorded
                // as running until reaped).
                unsafe { libc::kill(pid, libc::SIGKILL) };
                "SIGKILL a zklock"
            }
            5 => {
                // What a suspend of the zklock's host looks like from outside: zklock, its
                // watchdog and its command (its cgroup too) all stop, past T; on resume the
                // first wake-up of zklock or of the watchdog kills the command.
                let pid = running.lock().expect("lock")[client];
                if pid <= 0 {
                    continue;
                }
                let (supervisors, command) = host_of(pid);
                let all = || supervisors.iter().chain(&command);
                all().for_each(|p| signal(*p, libc::SIGSTOP));
                std::thread::sleep(rng.millis(1000, 4000));
                // zklock and its watchdog wake first here; on a real resume the command would
                // wake with them and could run for the few milliseconds the kill takes (README:
                // what it does not guarantee).
                supervisors.iter().for_each(|p| signal(*p, libc::SIGCONT));
                let group = command.iter().find(|p| **p < 0).copied();
                // SAFETY: signal 0 only checks for existence.
                let gone = || group.is_none_or(|g| unsafe { libc::kill(g, 0) } != 0);
                if !eventually(Duration::from_secs(10), gone) {
                    eprintln!("campaign: a frozen host's command outlived the resume by 10 s");
                }
                all().for_each(|p| signal(*p, libc::SIGCONT));
                "freeze a zklock's host"
            }
            _ => {
                // A debugger, an admin's kill -STOP, a starved process: often longer than T,
                // so the session expires and the next holder starts while zklock is stopped.
                let pid = running.lock().expect("lock")[client];
                if pid <= 0 {
                    continue;
                }
                // SAFETY: as above; the worker reaps only after SIGCONT lets it exit.
                unsafe { libc::kill(pid, libc::SIGSTOP) };
                std::thread::sleep(rng.millis(300, 3500));
                // SAFETY: as above.
                unsafe { libc::kill(pid, libc::SIGCONT) };
                "SIGSTOP a zklock"
            }
        };
        *faults.entry(kind).or_default() += 1;
    }
    // A rolling restart, as an upgrade does it: the watch's server is among them.
    for server in 0..3 {
        ensemble.kill(server);
        ensemble.restart(server);
    }
    *faults.entry("rolling restart").or_default() += 1;
    stop.store(true, Ordering::SeqCst);
    for worker in workers {
        worker.join().expect("worker");
    }

    let runs = runs(&dir.join("log"));
    let counter: usize = read(&dir.join("counter")).trim().parse().expect("counter");
    let completed = runs.iter().filter(|r| r.ended).count();
    let statuses = statuses.lock().expect("lock").clone();
    eprintln!(
        "campaign {name}: seed {seed}, {} commands started, {completed} completed, counter {counter}, faults {faults:?}, zklock exits {statuses:?}",
        runs.len()
    );
    let allowed = ["0", "69", "75", "79", "killed"];
    assert!(
        statuses.keys().all(|s| allowed.contains(&s.as_str())),
        "unexpected zklock exits {statuses:?} (seed {seed})"
    );
    assert!(completed > 0, "no command completed");
    drop(proxies);
    if limited {
        inspector.assert_empty_soon(&format!("{path}/locks"), Duration::from_secs(15));
    }
    inspector.assert_empty_soon(&queue, Duration::from_secs(15));

    // The watch survived every reconnect: a change made after them all is reported.
    if let Some(watch) = watch {
        let last = format!("final-{seed}");
        Zk::connect(&ensemble.connect()).set(&config, last.as_bytes());
        assert!(
            eventually(Duration::from_secs(30), || read(&watch.stdout)
                .contains(&last)),
            "the watch missed the change after the restarts (seed {seed}); it said: {}\n{}",
            read(&watch.stdout),
            read(&watch.stderr)
        );
        watch.process.signal(libc::SIGTERM);
    }
    Outcome {
        runs,
        counter,
        seed,
    }
}

/// Whether zklock can run a command in a cgroup of its own here (then the command gets a
/// `setsid` grandchild too; without a cgroup that one would survive a SIGKILL of zklock).
fn cgroup_works(servers: &str) -> bool {
    let ran = run(zklock(servers).args(["-vv", "--cgroup", "/campaign/probe", "--", "true"]));
    let works = ran.stderr.contains("zklock: cgroup ");
    if !works {
        eprintln!(
            "campaign: no cgroup here, so no setsid grandchild: {}",
            ran.stderr.trim()
        );
    }
    works
}

/// What a host freeze stops: zklock and its watchdog, and the command: its process group and
/// every process of its cgroup.
fn host_of(zklock: i32) -> (Vec<i32>, Vec<i32>) {
    let (mut supervisors, mut command) = (vec![zklock], vec![]);
    for child in read_list(&format!("/proc/{zklock}/task/{zklock}/children")) {
        // The watchdog leads a session of its own; the command leads only its process group.
        let stat = std::fs::read_to_string(format!("/proc/{child}/stat")).unwrap_or_default();
        let session = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(3))
            .and_then(|s| s.parse::<i32>().ok());
        if session == Some(child) {
            supervisors.push(child);
            continue;
        }
        command.extend([child, -child]);
        if let Some(cgroup) = cgroup_dir(child) {
            command.extend(read_list(&format!("{}/cgroup.procs", cgroup.display())));
        }
    }
    (supervisors, command)
}

fn read_list(file: &str) -> Vec<i32> {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}

/// The directory of `pid`'s cgroup v2, if it is one zklock made.
fn cgroup_dir(pid: i32) -> Option<std::path::PathBuf> {
    let own = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).ok()?;
    let relative = own.lines().find_map(|l| l.strip_prefix("0::"))?.to_string();
    if !relative.rsplit('/').next()?.starts_with("zklock-") {
        return None;
    }
    let mount = cgroup_v2_mount()?;
    Some(mount.join(relative.trim_start_matches('/')))
}

/// Where the cgroup v2 hierarchy is mounted, from /proc/self/mountinfo.
fn cgroup_v2_mount() -> Option<std::path::PathBuf> {
    let info = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    info.lines().find_map(|line| {
        let (before, after) = line.split_once(" - ")?;
        (after.split_whitespace().next()? == "cgroup2").then(|| {
            before
                .split_whitespace()
                .nth(4)
                .map(std::path::PathBuf::from)
        })?
    })
}

fn signal(target: i32, sig: i32) {
    // SAFETY: kill on processes of a zklock the worker spawned and has not reaped.
    unsafe { libc::kill(target, sig) };
}
