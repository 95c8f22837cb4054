//! Benchmark: zklock against a floor program, kazoo, Curator and flock(1), all measured in one
//! run against one standalone ZooKeeper that the benchmark starts and stops.
//!
//!     ZKLOCK_BENCH=1 cargo test --release --test bench
//!
//! Without ZKLOCK_BENCH it does nothing (so `cargo test` stays fast). The same binary is also
//! the floor program (ZKLOCK_BENCH_FLOOR) and the command the contenders run (ZKLOCK_BENCH_STAMP),
//! so that no extra program has to be built.

mod support;

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use support::*;

fn main() {
    // The floor first: its own environment carries the stamp variable for its command.
    if std::env::var_os("ZKLOCK_BENCH_FLOOR").is_some() {
        std::process::exit(floor());
    }
    if let Some(log) = std::env::var_os("ZKLOCK_BENCH_STAMP") {
        return stamp(Path::new(&log));
    }
    if std::env::var_os("ZKLOCK_BENCH").is_none() {
        println!("bench: skipped; run it with ZKLOCK_BENCH=1 cargo test --release --test bench");
        return;
    }
    bench();
}

/// The contenders' command: appends `s <ns>` and `e <ns>` and exits, marking its critical section.
fn stamp(log: &Path) {
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(log)
        .expect("log");
    // One write(2) per line: O_APPEND makes each atomic, so lines never interleave.
    let _ = file.write_all(format!("s {}\n", now_ns()).as_bytes());
    let _ = file.write_all(format!("e {}\n", now_ns()).as_bytes());
}

fn now_ns() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

/// The floor: zookeeper-client's own `Client::lock` — connect, lock, spawn, delete, close the
/// session — nothing else. Arguments: servers, lock path, command...
fn floor() -> i32 {
    use zookeeper_client::{Acls, Client, CreateMode, LockOptions, LockPrefix, SessionState};
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (servers, dir, argv) = (&args[0], &args[1], &args[2..]);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let client = Client::connector()
            .with_session_timeout(Duration::from_secs(30))
            .connect(servers)
            .await
            .expect("connect");
        let mut states = client.state_watcher();
        let options = LockOptions::new(Acls::anyone_all())
            .with_ancestor_options(CreateMode::Persistent.with_acls(Acls::anyone_all()))
            .expect("options");
        let lock = client
            .lock(
                LockPrefix::new_curator(dir, "lock-").expect("prefix"),
                b"",
                options,
            )
            .await
            .expect("lock");
        let status = Command::new(&argv[0])
            .args(&argv[1..])
            .env_remove("ZKLOCK_BENCH_FLOOR")
            .status()
            .expect("spawn");
        let path = lock.lock_path().to_string();
        // Delete explicitly and forget the guard, whose drop would send a second delete.
        client.delete(&path, None).await.expect("delete");
        std::mem::forget(lock);
        drop(client);
        while states.changed().await != SessionState::Closed {}
        status.code().unwrap_or(1)
    })
}

const KAZOO: &str = r#"
import subprocess, sys
from kazoo.client import KazooClient
zk = KazooClient(hosts=sys.argv[1])
zk.start()
lock = zk.Lock(sys.argv[2], "kazoo")
lock.acquire()
rc = subprocess.call(sys.argv[3:])
lock.release()
zk.stop()
zk.close()
sys.exit(rc)
"#;

const CURATOR: &str = r#"
import org.apache.curator.framework.*;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.retry.RetryOneTime;
import java.util.Arrays;

public class BenchMutex {
    public static void main(String[] a) throws Exception {
        CuratorFramework c = CuratorFrameworkFactory.newClient(a[0], new RetryOneTime(100));
        c.start();
        InterProcessMutex m = new InterProcessMutex(c, a[1]);
        m.acquire();
        int rc = new ProcessBuilder(Arrays.copyOfRange(a, 2, a.length)).inheritIO().start().waitFor();
        m.release();
        c.close();
        System.exit(rc);
    }
}
"#;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Tool {
    Zklock,
    Floor,
    Kazoo,
    Curator,
    Flock,
}

impl Tool {
    fn name(self) -> &'static str {
        match self {
            Tool::Zklock => "zklock",
            Tool::Floor => "floor (zookeeper-client Client::lock)",
            Tool::Kazoo => "kazoo Lock (python3)",
            Tool::Curator => "Curator InterProcessMutex (java)",
            Tool::Flock => "flock(1), local only",
        }
    }

    /// The command line that locks `path` and runs `argv`.
    fn command(self, servers: &str, path: &str, argv: &[&str], scratch: &Path) -> Command {
        let mut command = match self {
            Tool::Zklock => {
                let mut c = Command::new(env!("CARGO_BIN_EXE_zklock"));
                c.args(["-s", servers, path, "--"]);
                c
            }
            Tool::Floor => {
                let mut c = Command::new(std::env::current_exe().expect("exe"));
                c.env("ZKLOCK_BENCH_FLOOR", "1").args([servers, path]);
                c
            }
            Tool::Kazoo => {
                let mut c = peers::python(KAZOO);
                c.args([servers, path]);
                c
            }
            Tool::Curator => {
                let mut c = peers::java("BenchMutex", CURATOR);
                c.args([servers, path]);
                c
            }
            Tool::Flock => {
                let mut c = Command::new("flock");
                c.arg(scratch.join("flock"));
                c
            }
        };
        command
            .args(argv)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        command
    }
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    if xs.is_empty() {
        f64::NAN
    } else {
        xs[xs.len() / 2]
    }
}

fn percentile(mut xs: Vec<f64>, p: f64) -> f64 {
    xs.sort_by(f64::total_cmp);
    if xs.is_empty() {
        f64::NAN
    } else {
        xs[((xs.len() - 1) as f64 * p).round() as usize]
    }
}

/// Runs `command` under GNU time; returns wall time and peak RSS in KiB.
fn timed(command: Command) -> (Duration, u64) {
    let rss_file = tempfile("rss");
    let program = command.get_program().to_owned();
    let args: Vec<_> = command.get_args().map(|a| a.to_owned()).collect();
    let envs: Vec<_> = command
        .get_envs()
        .filter_map(|(k, v)| Some((k.to_owned(), v?.to_owned())))
        .collect();
    let mut wrapped = Command::new("/usr/bin/time");
    wrapped
        .args(["-f", "%M", "-o"])
        .arg(&rss_file)
        .arg(program)
        .args(args)
        .envs(envs);
    wrapped
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let started = Instant::now();
    let status = wrapped.status().expect("run");
    let elapsed = started.elapsed();
    assert!(status.success(), "{command:?} failed: {status}");
    let rss = read(&rss_file)
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or(0);
    (elapsed, rss)
}

fn tempfile(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "bench-{name}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ))
}

fn received(server: &Server) -> u64 {
    server
        .srvr()
        .lines()
        .find_map(|l| l.strip_prefix("Received: "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

fn total_watches(port: u16) -> u64 {
    server::four_letter(port, "wchs")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("Total watches:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

struct Contended {
    total: Duration,
    handoffs_per_s: f64,
    handoff_p50_ms: f64,
    handoff_p99_ms: f64,
    max_watches: u64,
}

/// Starts `n` contenders at once, each running the stamp command; checks that their critical
/// sections never overlapped.
fn contended(tool: Tool, n: usize, server: &Server, scratch: &Path) -> Contended {
    let path = format!(
        "/bench/contended-{}-{n}",
        tool.name().split(' ').next().unwrap_or("x")
    );
    let log = tempfile("stamps");
    let me = std::env::current_exe().expect("exe");
    let me = me.to_str().expect("utf-8 path");
    let done = Arc::new(AtomicBool::new(false));
    let max_watches = {
        let (done, port) = (done.clone(), server.port);
        std::thread::spawn(move || {
            let mut max = 0;
            while !done.load(Ordering::SeqCst) {
                max = max.max(total_watches(port));
                std::thread::sleep(Duration::from_millis(50));
            }
            max
        })
    };
    let started = Instant::now();
    let children: Vec<_> = (0..n)
        .map(|_| {
            let mut c = tool.command(&server.connect(), &path, &[me], scratch);
            c.env("ZKLOCK_BENCH_STAMP", &log);
            c.spawn().expect("spawn contender")
        })
        .collect();
    for mut child in children {
        assert!(
            child.wait().expect("wait").success(),
            "{} contender failed",
            tool.name()
        );
    }
    let total = started.elapsed();
    done.store(true, Ordering::SeqCst);
    let max_watches = max_watches.join().unwrap_or(0);
    let stamps: Vec<(char, u128)> = read(&log)
        .lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(' ')?;
            Some((k.chars().next()?, v.parse().ok()?))
        })
        .collect();
    assert_eq!(
        stamps.len(),
        2 * n,
        "{}: every contender ran once",
        tool.name()
    );
    let mut handoffs = Vec::new();
    for pair in stamps.chunks(2) {
        assert_eq!(
            (pair[0].0, pair[1].0),
            ('s', 'e'),
            "{}: critical sections overlapped",
            tool.name()
        );
    }
    for w in stamps.chunks(2).collect::<Vec<_>>().windows(2) {
        handoffs.push((w[1][0].1 - w[0][1].1) as f64 / 1e6);
    }
    Contended {
        total,
        handoffs_per_s: n as f64 / total.as_secs_f64(),
        handoff_p50_ms: percentile(handoffs.clone(), 0.5),
        handoff_p99_ms: percentile(handoffs, 0.99),
        max_watches,
    }
}

fn bench() {
    let server = Server::standalone();
    let servers = server.connect();
    let scratch = workdir("bench");
    let tools = [
        Tool::Zklock,
        Tool::Floor,
        Tool::Kazoo,
        Tool::Curator,
        Tool::Flock,
    ];
    // Warm up caches (page cache, JIT-less JVM start, Python imports) once each.
    for tool in tools {
        timed(tool.command(&servers, "/bench/warm", &["true"], &scratch));
    }
    let runs = 30;
    let mut cycle: Vec<Vec<f64>> = vec![Vec::new(); tools.len()];
    let mut rss: Vec<u64> = vec![0; tools.len()];
    for _ in 0..runs {
        for (i, tool) in tools.iter().enumerate() {
            let (elapsed, kib) =
                timed(tool.command(&servers, "/bench/single", &["true"], &scratch));
            cycle[i].push(elapsed.as_secs_f64() * 1e3);
            rss[i] = rss[i].max(kib);
        }
    }
    let medians: Vec<f64> = cycle.into_iter().map(median).collect();

    // Packets the server received per uncontended cycle.
    let mut packets = Vec::new();
    for tool in [Tool::Zklock, Tool::Floor, Tool::Kazoo] {
        let per: Vec<f64> = (0..10)
            .map(|_| {
                let before = received(&server);
                timed(tool.command(&servers, "/bench/packets", &["true"], &scratch));
                (received(&server) - before) as f64
            })
            .collect();
        packets.push((tool, median(per)));
    }

    let mut crowd = Vec::new();
    for n in [50, 200] {
        for tool in [Tool::Zklock, Tool::Floor, Tool::Kazoo] {
            crowd.push((n, tool, contended(tool, n, &server, &scratch)));
        }
    }

    let freeze = freeze_to_stop(&server);
    let size = std::fs::metadata(env!("CARGO_BIN_EXE_zklock"))
        .map(|m| m.len())
        .unwrap_or(0);
    let report = report(&tools, &medians, &rss, &packets, &crowd, &freeze, size);
    print!("{report}");
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bench.md");
    std::fs::write(&out, &report).expect("report");
    println!("(also written to {})", out.display());
}

/// Seconds from freezing zklock's connection to its command being dead, as fractions of T.
fn freeze_to_stop(server: &Server) -> Vec<f64> {
    (0..5)
        .map(|i| {
            let proxy = Proxy::start(server.port);
            let dir = workdir(&format!("bench-freeze-{i}"));
            let process = Background::spawn(
                zklock(&proxy.connect())
                    .args([
                        "--session-timeout",
                        "4s",
                        &format!("/bench/freeze-{i}"),
                        "--",
                        "sh",
                        "-c",
                        "echo $$ > pid; exec sleep 60",
                    ])
                    .current_dir(&dir),
            );
            assert!(eventually(Duration::from_secs(10), || !read(
                &dir.join("pid")
            )
            .is_empty()));
            let pid: i32 = read(&dir.join("pid")).trim().parse().expect("pid");
            std::thread::sleep(Duration::from_millis(500 + 137 * i as u64));
            let frozen = Instant::now();
            proxy.freeze();
            assert!(eventually(Duration::from_secs(10), || !alive(pid)));
            let fraction = frozen.elapsed().as_secs_f64() / 4.0;
            drop(process);
            fraction
        })
        .collect()
}

fn report(
    tools: &[Tool],
    medians: &[f64],
    rss: &[u64],
    packets: &[(Tool, f64)],
    crowd: &[(usize, Tool, Contended)],
    freeze: &[f64],
    size: u64,
) -> String {
    let (zk, floor, kazoo) = (medians[0], medians[1], medians[2]);
    let mut r = String::new();
    let _ = writeln!(
        r,
        "| one uncontended cycle (lock, run `true`, release) | median of 30 | × zklock | peak RSS |"
    );
    let _ = writeln!(r, "|---|---:|---:|---:|");
    for (i, tool) in tools.iter().enumerate() {
        let _ = writeln!(
            r,
            "| {} | {:.1} ms | {:.2} | {:.1} MiB |",
            tool.name(),
            medians[i],
            medians[i] / zk,
            rss[i] as f64 / 1024.0
        );
    }
    let _ = writeln!(
        r,
        "\n| packets the server received per cycle (median of 10) | |\n|---|---:|"
    );
    for (tool, n) in packets {
        let _ = writeln!(r, "| {} | {n} |", tool.name());
    }
    let _ = writeln!(
        r,
        "\n| contenders started at once | tool | total | hand-offs/s | hand-off p50 | p99 | max server watches |\n|---:|---|---:|---:|---:|---:|---:|"
    );
    for (n, tool, c) in crowd {
        let _ = writeln!(
            r,
            "| {n} | {} | {:.2} s | {:.0} | {:.2} ms | {:.2} ms | {} |",
            tool.name(),
            c.total.as_secs_f64(),
            c.handoffs_per_s,
            c.handoff_p50_ms,
            c.handoff_p99_ms,
            c.max_watches
        );
    }
    let zk50 = crowd
        .iter()
        .find(|(n, t, _)| *n == 50 && *t == Tool::Zklock)
        .map(|(_, _, c)| c.total.as_secs_f64());
    let floor50 = crowd
        .iter()
        .find(|(n, t, _)| *n == 50 && *t == Tool::Floor)
        .map(|(_, _, c)| c.total.as_secs_f64());
    let _ = writeln!(r, "\nTargets in this run:");
    let _ = writeln!(
        r,
        "- single cycle: zklock / floor = {:.2} (target ≤ 1.25); zklock / kazoo = {:.3} (target ≤ 0.15)",
        zk / floor,
        zk / kazoo
    );
    if let (Some(z), Some(f)) = (zk50, floor50) {
        let _ = writeln!(
            r,
            "- 50 contenders: zklock / floor = {:.2} (target ≤ 1.3)",
            z / f
        );
    }
    let (zp, fp) = (packets[0].1, packets[1].1);
    let _ = writeln!(
        r,
        "- packets per cycle: zklock {zp}, floor {fp} (target ≤ floor + 1)"
    );
    let _ = writeln!(
        r,
        "- peak RSS of zklock: {:.2} MiB (target ≤ 4); binary size {:.1} MiB",
        rss[0] as f64 / 1024.0,
        size as f64 / 1048576.0
    );
    let _ = writeln!(
        r,
        "- frozen connection → command dead: {} of the session timeout (5 runs; the lease sends the kill signal at 0.35 T after the last answered probe, probes go every 0.1 T)",
        freeze
            .iter()
            .map(|f| format!("{f:.2}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    r
}
