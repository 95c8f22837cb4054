//! The fault campaign: K zklocks contend for one lock on a three-server ensemble while a nemesis
//! freezes and cuts their connections, stops servers, kills the leader, SIGKILLs and SIGSTOPs
//! zklocks, and freezes a whole zklock "host" (zklock, its watchdog and its command) past the
//! session timeout, as a suspend would; each command has grandchildren beating too, one in the
//! group and, where zklock can make a cgroup (`--cgroup`), one that left it with `setsid`.
//! A `zklock watch` follows a config node through it all, and a rolling restart of every
//! server at the end.
//! The checker asserts no two commands ever ran at once, fencing tokens increase in start order,
//! no counter update was lost, the watch saw the last change, and nothing is left in the lock
//! directory.
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
}

/// The command: about 1.3 s under the lock, longer than the lease's kill deadline (0.35 T with
/// T = 2 s), so a partition of the holder has to be caught by the lease, not outlasted. A
/// grandchild in its process group beats too (as `$$`, the command's pid), and with `setsid`
/// another that left the group and session, so a descendant that outlives a kill of its zklock
/// shows up as an overlap; they give up after ~8 s, and nothing holds zklock's pipes, so even a
/// survivor cannot hang the campaign.
fn script(dir: &Path, setsid: bool) -> String {
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
    format!(
        "exec >/dev/null 2>&1; echo \"start $(date +%s%N) $ZKLOCK_FENCING_TOKEN $$\" >> {log}; c=$(cat {counter}); \
         ({}) & gc=$!; {escape}i=0; \
         while [ $i -lt 50 ]; do echo \"hb $(date +%s%N) 0 $$\" >> {log}; sleep 0.02; i=$((i+1)); done; \
         kill $gc; wait $gc; {reap}\
         echo $((c+1)) > {counter}.$$ && mv {counter}.$$ {counter}; echo \"end $(date +%s%N) 0 $$\" >> {log}",
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
        });
        match what {
            "start" => run.token = token.parse().expect("token"),
            "end" => run.ended = true,
            _ => {}
        }
        run.last = run.last.max(at);
    }
    let mut runs: Vec<Run> = by_pid.into_values().collect();
    runs.sort_by_key(|r| r.start);
    runs
}

/// The worker index (its --id) of the current holder, if any.
fn holder(zk: &Zk, path: &str) -> Option<usize> {
    let mut children = zk.children(path);
    children.sort_by_key(|name| name.rsplit('-').next().map(String::from));
    let first = children.first()?;
    String::from_utf8(zk.data(&format!("{path}/{first}")))
        .ok()?
        .parse()
        .ok()
}

#[test]
fn fault_campaign_never_runs_two_commands_at_once() {
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
    let dir = workdir("campaign");
    std::fs::write(dir.join("counter"), "0").expect("counter");
    let path = "/campaign/lock";
    let cgroup = cgroup_works(&ensemble.connect());
    let script = script(&dir, cgroup);

    // A watch on the ensemble itself (no proxy): server faults and the rolling restart at the
    // end move it from server to server.
    let config = "/campaign/config";
    let inspector = Zk::connect(&ensemble.connect());
    inspector.create(config, b"");
    let watch = Streaming::spawn(
        zklock(&ensemble.connect()).args([
            "-v",
            "--session-timeout",
            "6s",
            "watch",
            "-R",
            "--json",
            config,
        ]),
        "campaign-watch",
    );
    watch.wait_stderr("watching ", Duration::from_secs(30));

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
            let (stop, running, statuses, script) = (
                stop.clone(),
                running.clone(),
                statuses.clone(),
                script.clone(),
            );
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    let mut command = zklock(&servers);
                    let process = Background::spawn(command.args([
                        "--id",
                        &k.to_string(),
                        "--session-timeout",
                        "2s",
                        "-w",
                        "20s",
                        path,
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
            0 => holder(&inspector, path).unwrap_or_else(|| rng.below(CONTENDERS)),
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
        "campaign: seed {seed}, {} commands started, {completed} completed, counter {counter}, faults {faults:?}, zklock exits {statuses:?}",
        runs.len()
    );
    let mut latest_end = 0;
    for pair in runs.windows(2) {
        assert!(
            pair[0].token < pair[1].token,
            "fencing tokens out of order: {pair:?}"
        );
    }
    for run in &runs {
        assert!(
            latest_end < run.start,
            "overlap: a command started at {} before another's last sign of life at {latest_end} (seed {seed})",
            run.start
        );
        latest_end = latest_end.max(run.last);
    }
    assert!(
        completed <= counter && counter <= runs.len(),
        "lost update: counter {counter}, completed {completed} (seed {seed})"
    );
    let allowed = ["0", "69", "75", "79", "killed"];
    assert!(
        statuses.keys().all(|s| allowed.contains(&s.as_str())),
        "unexpected zklock exits {statuses:?} (seed {seed})"
    );
    assert!(completed > 0, "no command completed");
    eprintln!("campaign: overlaps 0");
    drop(proxies);
    inspector.assert_empty_soon(path, Duration::from_secs(15));

    // The watch survived every reconnect: a change made after them all is reported.
    let last = format!("final-{seed}");
    Zk::connect(&ensemble.connect()).set(config, last.as_bytes());
    assert!(
        eventually(Duration::from_secs(30), || read(&watch.stdout)
            .contains(&last)),
        "the watch missed the change after the restarts (seed {seed}); it said: {}\n{}",
        read(&watch.stdout),
        read(&watch.stderr)
    );
    watch.process.signal(libc::SIGTERM);
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
    let mount = zklock::cgroup::v2_mount()?;
    Some(mount.join(relative.trim_start_matches('/')))
}

fn signal(target: i32, sig: i32) {
    // SAFETY: kill on processes of a zklock the worker spawned and has not reaped.
    unsafe { libc::kill(target, sig) };
}
