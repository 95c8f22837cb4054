//! `zklock elect` end to end: one leader at a time, hand-over, takeover after a killed leader,
//! `--leader`, `--observe`, and a shared election with Curator's LeaderLatch.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use support::*;

fn servers() -> String {
    shared().connect()
}

/// Reads `start <ns>` / `end <ns>` lines and returns the intervals in start order.
fn intervals(log: &Path) -> Vec<(u128, u128)> {
    let mut open = None;
    let mut out = Vec::new();
    for line in read(log).lines() {
        let (what, at) = line.split_once(' ').expect("what at");
        let at: u128 = at.trim().parse().expect("ns");
        match what {
            "start" => {
                assert!(open.is_none(), "two leaders at once: {}", read(log));
                open = Some(at);
            }
            _ => out.push((open.take().expect("end after start"), at)),
        }
    }
    out
}

#[test]
fn candidates_lead_one_after_another() {
    let path = unique_path("three");
    let dir = workdir("three");
    let log = dir.join("log");
    let script = format!(
        "echo start $(date +%s%N) >> {0}; sleep 0.3; echo end $(date +%s%N) >> {0}",
        log.display()
    );
    let candidates: Vec<Background> = (0..3)
        .map(|i| {
            Background::spawn(zklock(&servers()).args([
                "elect",
                &path,
                "--id",
                &format!("c{i}"),
                "--",
                "sh",
                "-c",
                &script,
            ]))
        })
        .collect();
    for c in candidates {
        assert_eq!(
            c.wait_timeout(Duration::from_secs(20)).and_then(|r| r.code),
            Some(0)
        );
    }
    let runs = intervals(&log);
    assert_eq!(runs.len(), 3);
    assert!(runs.windows(2).all(|w| w[0].1 < w[1].0), "{runs:?}");
    Zk::connect(&servers()).assert_empty_soon(&path, Duration::ZERO);
}

#[test]
fn the_leader_gets_its_id_and_exit_status_passes_through() {
    let path = unique_path("leader-env");
    let ran = run(zklock(&servers()).args([
        "elect",
        &path,
        "--id",
        "sched-1",
        "--",
        "sh",
        "-c",
        "echo $ZKLOCK_LEADER_ID $ZKLOCK_PATH; exit 4",
    ]));
    assert_eq!(ran.code, Some(4), "{ran:?}");
    assert_eq!(ran.stdout, format!("sched-1 {path}\n"));
}

#[test]
fn a_resigning_leader_hands_over_within_a_second() {
    let path = unique_path("handover");
    let (a_dir, b_dir) = (workdir("handover-a"), workdir("handover-b"));
    let a = Background::spawn(
        zklock(&servers())
            .args([
                "elect",
                &path,
                "--id",
                "a",
                "--",
                "sh",
                "-c",
                "touch led; sleep 0.5; date +%s%N > end",
            ])
            .current_dir(&a_dir),
    );
    assert!(eventually(Duration::from_secs(10), || a_dir
        .join("led")
        .exists()));
    let b = Background::spawn(
        zklock(&servers())
            .args([
                "elect",
                &path,
                "--id",
                "b",
                "--",
                "sh",
                "-c",
                "date +%s%N > start",
            ])
            .current_dir(&b_dir),
    );
    assert_eq!(
        a.wait_timeout(Duration::from_secs(10)).and_then(|r| r.code),
        Some(0)
    );
    assert_eq!(
        b.wait_timeout(Duration::from_secs(10)).and_then(|r| r.code),
        Some(0)
    );
    let end: u128 = read(&a_dir.join("end")).trim().parse().expect("end");
    let start: u128 = read(&b_dir.join("start")).trim().parse().expect("start");
    assert!(
        start > end && start - end < 1_000_000_000,
        "hand-over took {} ms",
        (start - end) / 1_000_000
    );
}

#[test]
fn a_killed_leaders_standby_takes_over_after_session_expiry() {
    let path = unique_path("takeover");
    let a = hold_election(&path, "a", "takeover-a");
    let b_dir = workdir("takeover-b");
    let b = Background::spawn(
        zklock(&servers())
            .args(["elect", &path, "--id", "b", "--", "sh", "-c", "touch led"])
            .current_dir(&b_dir),
    );
    let zk = Zk::connect(&servers());
    zk.wait_children(&path, 2, Duration::from_secs(10));
    let killed = Instant::now();
    a.signal(libc::SIGKILL);
    assert!(
        eventually(Duration::from_secs(15), || b_dir.join("led").exists()),
        "standby never led"
    );
    // Not before the 4 s session of the killed leader expired.
    assert!(
        killed.elapsed() >= Duration::from_secs(3),
        "took over after {:?}",
        killed.elapsed()
    );
    assert_eq!(
        b.wait_timeout(Duration::from_secs(10)).and_then(|r| r.code),
        Some(0)
    );
    zk.assert_empty_soon(&path, Duration::from_secs(5));
}

fn hold_election(path: &str, id: &str, name: &str) -> Background {
    let dir = workdir(name);
    let process = Background::spawn(
        zklock(&servers())
            .args([
                "elect",
                path,
                "--id",
                id,
                "--",
                "sh",
                "-c",
                "touch led; exec sleep 60",
            ])
            .current_dir(&dir),
    );
    assert!(
        eventually(Duration::from_secs(10), || dir.join("led").exists()),
        "{id} never led"
    );
    process
}

#[test]
fn leader_prints_the_id_or_exits_3() {
    let path = unique_path("show-leader");
    let none = run(zklock(&servers()).args(["elect", &path, "--leader"]));
    assert_eq!(none.code, Some(3), "{none:?}");
    assert_eq!(none.stdout, "");
    let none = run(zklock(&servers()).args(["elect", &path, "--leader", "--json"]));
    assert_eq!(
        (none.code, none.stdout.as_str()),
        (
            Some(3),
            "{\"path\":null,\"id\":null,\"encoding\":null,\"ctime\":null,\"role\":null,\"position\":null}\n"
        ),
        "{none:?}"
    );
    let leader = hold_election(&path, "web-1", "show-leader");
    let shown = run(zklock(&servers()).args(["elect", &path, "--leader"]));
    assert_eq!(
        (shown.code, shown.stdout.as_str()),
        (Some(0), "web-1\n"),
        "{shown:?}"
    );
    let json = run(zklock(&servers()).args(["elect", &path, "--leader", "--json"]));
    assert!(
        json.stdout.starts_with(&format!("{{\"path\":\"{path}/_c_"))
            && json
                .stdout
                .contains("\"id\":\"web-1\",\"encoding\":\"utf-8\",\"ctime\":\"")
            && json
                .stdout
                .ends_with("\"role\":\"leader\",\"position\":null}\n"),
        "{}",
        json.stdout
    );
    leader.signal(libc::SIGTERM);
    assert_eq!(
        leader
            .wait_timeout(Duration::from_secs(10))
            .and_then(|r| r.code),
        Some(143)
    );
    Zk::connect(&servers()).assert_empty_soon(&path, Duration::ZERO);
}

#[test]
fn observe_prints_a_line_per_change_of_leader() {
    let path = unique_path("observe");
    let observer = Streaming::spawn(
        zklock(&servers()).args(["elect", &path, "--observe", "--json"]),
        "observe",
    );
    // Nobody leads yet: the observer says so before anyone campaigns.
    observer.wait_lines(1, Duration::from_secs(10));
    let first = hold_election(&path, "first", "observe-1");
    observer.wait_lines(2, Duration::from_secs(10));
    let second_dir = workdir("observe-2");
    let second = Background::spawn(
        zklock(&servers())
            .args([
                "elect",
                &path,
                "--id",
                "second",
                "--",
                "sh",
                "-c",
                "touch led; sleep 0.5",
            ])
            .current_dir(&second_dir),
    );
    Zk::connect(&servers()).wait_children(&path, 2, Duration::from_secs(10));
    first.signal(libc::SIGTERM);
    assert_eq!(
        first
            .wait_timeout(Duration::from_secs(10))
            .and_then(|r| r.code),
        Some(143)
    );
    assert_eq!(
        second
            .wait_timeout(Duration::from_secs(10))
            .and_then(|r| r.code),
        Some(0)
    );
    let lines = observer.wait_lines(4, Duration::from_secs(10));
    observer.process.signal(libc::SIGINT);
    let ran = observer
        .process
        .wait_timeout(Duration::from_secs(10))
        .expect("observer exits on INT");
    assert_eq!(
        (ran.code, ran.signal),
        (None, Some(libc::SIGINT)),
        "{ran:?}"
    );
    let ids: Vec<String> = lines
        .iter()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).expect("a JSON object a line")["id"]
                .to_string()
        })
        .collect();
    assert_eq!(
        ids,
        ["null", "\"first\"", "\"second\"", "null"],
        "{lines:?}"
    );
}

const LATCH: &str = r#"
import org.apache.curator.framework.*;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.retry.RetryOneTime;
import java.nio.file.*;

public class Latch {
    public static void main(String[] a) throws Exception {
        CuratorFramework c = CuratorFrameworkFactory.newClient(a[0], 4000, 4000, new RetryOneTime(100));
        c.start();
        LeaderLatch latch = new LeaderLatch(c, a[1], a[2]);
        latch.start();
        latch.await();
        Files.writeString(Paths.get(a[4]), "start " + System.currentTimeMillis() * 1000000L + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        Thread.sleep(Long.parseLong(a[3]));
        Files.writeString(Paths.get(a[4]), "end " + System.currentTimeMillis() * 1000000L + "\n", StandardOpenOption.APPEND);
        latch.close();
        c.close();
    }
}
"#;

#[test]
fn zklock_and_curator_leader_latch_never_lead_at_once() {
    let path = unique_path("curator");
    let dir = workdir("curator");
    let log = dir.join("log");
    let java = Background::spawn(
        peers::java("Latch", LATCH)
            .args([servers(), path.clone(), "java-1".into(), "1500".into()])
            .arg(&log),
    );
    assert!(
        eventually(Duration::from_secs(30), || read(&log).starts_with("start")),
        "the Java latch never led"
    );
    let shown = run(zklock(&servers()).args(["elect", &path, "--leader"]));
    assert_eq!(shown.stdout, "java-1\n", "{shown:?}");
    let script = format!(
        "echo start $(date +%s%N) >> {0}; sleep 0.3; echo end $(date +%s%N) >> {0}",
        log.display()
    );
    let zk_a =
        Background::spawn(zklock(&servers()).args(["elect", &path, "--", "sh", "-c", &script]));
    Zk::connect(&servers()).wait_children(&path, 2, Duration::from_secs(10));
    // A second Java participant joins behind zklock, then everyone finishes.
    let java_b = Background::spawn(
        peers::java("Latch", LATCH)
            .args([servers(), path.clone(), "java-2".into(), "300".into()])
            .arg(&log),
    );
    for p in [java, zk_a, java_b] {
        assert_eq!(
            p.wait_timeout(Duration::from_secs(40)).and_then(|r| r.code),
            Some(0)
        );
    }
    let runs = intervals(&log);
    assert_eq!(runs.len(), 3, "{}", read(&log));
    assert!(runs.windows(2).all(|w| w[0].1 <= w[1].0), "{runs:?}");
    Zk::connect(&servers()).assert_empty_soon(&path, Duration::from_secs(5));
}

#[test]
fn observe_carries_on_after_its_session_expires() {
    let path = unique_path("observe-expiry");
    let proxy = Proxy::start(shared().port);
    let observer = Streaming::spawn(
        zklock(&proxy.connect()).args([
            "-v",
            "--session-timeout",
            "1s",
            "elect",
            &path,
            "--observe",
        ]),
        "observe-expiry",
    );
    observer.wait_lines(1, Duration::from_secs(10));
    let stderr = read(&observer.stderr);
    let session = stderr
        .split("session ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .expect("-v names the session")
        .to_string();
    proxy.freeze();
    // The server expires the session while the link is frozen, and drops its connection.
    let id = session.trim_start_matches("0x");
    assert!(
        eventually(Duration::from_secs(20), || !server::four_letter(
            shared().port,
            "cons"
        )
        .unwrap_or_default()
        .contains(id)),
        "the server never expired session {session}"
    );
    proxy.thaw();
    proxy.cut();
    observer.wait_stderr("observing", Duration::from_secs(15));
    let leader = hold_election(&path, "after-expiry", "observe-expiry-leader");
    let lines = observer.wait_lines(2, Duration::from_secs(15));
    assert_eq!(lines, ["", "after-expiry"], "{}", read(&observer.stderr));
    observer.process.signal(libc::SIGINT);
    let ran = observer
        .process
        .wait_timeout(Duration::from_secs(10))
        .expect("observer exits on INT");
    assert_eq!(
        (ran.code, ran.signal),
        (None, Some(libc::SIGINT)),
        "{ran:?}"
    );
    // Resign (TERM is forwarded to the command): a SIGKILL would leave the node until expiry.
    leader.signal(libc::SIGTERM);
    leader
        .wait_timeout(Duration::from_secs(20))
        .expect("the leader resigns");
    Zk::connect(&servers()).assert_empty_soon(&path, Duration::from_secs(10));
}
