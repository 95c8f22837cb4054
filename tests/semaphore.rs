//! The semaphore (`--limit N`, SPEC §2.1): at most N commands at once, first come first
//! served, in Curator InterProcessSemaphoreV2's layout, and on one path with Curator's own.

mod support;

use std::path::Path;
use std::time::Duration;

use support::*;

fn servers() -> String {
    shared().connect()
}

/// A `logged_holder` with `--limit 2` unless `extra` gives another.
fn holder(path: &str, log: &Path, tag: &str, extra: &[&str]) -> (Background, std::path::PathBuf) {
    let mut options = if extra.contains(&"--limit") {
        vec![]
    } else {
        vec!["--limit", "2"]
    };
    options.extend_from_slice(extra);
    logged_holder(path, log, tag, &options)
}

fn assert_nothing_left(zk: &Zk, path: &str) {
    zk.assert_empty_soon(&format!("{path}/locks"), Duration::from_secs(5));
    zk.assert_empty_soon(&format!("{path}/leases"), Duration::from_secs(5));
}

#[test]
fn at_most_n_run_at_once_and_the_next_gets_in_when_one_ends() {
    let path = unique_path("sem");
    let log = workdir("sem").join("log");
    let zk = Zk::connect(&servers());
    let (a, a_dir) = holder(&path, &log, "a", &[]);
    assert!(eventually(Duration::from_secs(15), || a_dir
        .join("held")
        .exists()));
    let (b, b_dir) = holder(&path, &log, "b", &[]);
    assert!(eventually(Duration::from_secs(15), || b_dir
        .join("held")
        .exists()));
    let (c, c_dir) = holder(&path, &log, "c", &[]);
    // The third lease exists (it waits holding the mutex); -n finds the semaphore full.
    zk.wait_children(&format!("{path}/leases"), 3, Duration::from_secs(15));
    let full = run(zklock(&servers()).args(["--limit", "2", "-n", &path, "--", "true"]));
    assert_eq!(full.code, Some(75), "{full:?}");
    // ls reads the leases against the recorded N: two held, the third waiting.
    let leases = format!("{path}/leases");
    let ls = run(zklock(&servers()).args(["ls", "-l", &leases]));
    assert_eq!(
        long_roles(&ls.stdout),
        ["lease 1/2", "lease 2/2", "waiting 1"],
        "{}",
        ls.stdout
    );
    let json = run(zklock(&servers()).args(["ls", "--json", &leases]));
    for role in [
        r#""role":"lease","position":1"#,
        r#""role":"lease","position":2"#,
        r#""role":"waiting","position":1"#,
    ] {
        assert_eq!(
            json.stdout.matches(role).count(),
            1,
            "{role} in {}",
            json.stdout
        );
    }
    let mutex = run(zklock(&servers()).args(["ls", "-l", &format!("{path}/locks")]));
    assert_eq!(
        mutex.stdout.lines().count(),
        1,
        "c holds the mutex: {}",
        mutex.stdout
    );
    std::fs::write(a_dir.join("release"), "").expect("release");
    assert!(eventually(Duration::from_secs(15), || c_dir
        .join("held")
        .exists()));
    std::fs::write(b_dir.join("release"), "").expect("release");
    std::fs::write(c_dir.join("release"), "").expect("release");
    for p in [a, b, c] {
        let ran = p.wait_timeout(Duration::from_secs(20)).expect("exits");
        assert_eq!(ran.code, Some(0), "{ran:?}");
    }
    let s = spans(&log);
    assert!(s["b"].0 < s["a"].1, "two did not run at once: {s:?}");
    assert!(s["c"].0 > s["a"].1, "a third ran beside two: {s:?}");
    assert_eq!(most_at_once(&log), 2, "{}", read(&log));
    assert_nothing_left(&zk, &path);
}

const SEMAPHORE: &str = r#"
import org.apache.curator.framework.*;
import org.apache.curator.framework.recipes.locks.*;
import org.apache.curator.retry.RetryOneTime;
import java.nio.file.*;

public class Sem {
    static void log(String file, String what, String tag) throws Exception {
        Files.writeString(Paths.get(file), what + " " + System.currentTimeMillis() * 1000000L + " " + tag + "\n",
            StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }
    // servers path maxLeases holdMillis log tag
    public static void main(String[] a) throws Exception {
        CuratorFramework c = CuratorFrameworkFactory.newClient(a[0], 10000, 4000, new RetryOneTime(100));
        c.start();
        InterProcessSemaphoreV2 s = new InterProcessSemaphoreV2(c, a[1], Integer.parseInt(a[2]));
        Lease lease = s.acquire();
        log(a[4], "start", a[5]);
        Thread.sleep(Long.parseLong(a[3]));
        log(a[4], "end", a[5]);
        s.returnLease(lease);
        c.close();
    }
}
"#;

/// zklock `--limit 2` and Curator's InterProcessSemaphoreV2(maxLeases 2) on one path: never
/// three at once, and every one of them gets to run.
#[test]
fn zklock_and_curator_share_one_semaphore() {
    let path = unique_path("sem-curator");
    let dir = workdir("sem-curator");
    let log = dir.join("log");
    let script = format!(
        "echo start $(date +%s%N) z$$ >> {0}; sleep 0.4; echo end $(date +%s%N) z$$ >> {0}",
        log.display()
    );
    let mut peers: Vec<Background> = (0..3)
        .map(|i| {
            Background::spawn(peers::java("Sem", SEMAPHORE).args([
                &servers(),
                &path,
                "2",
                "400",
                &log.display().to_string(),
                &format!("c{i}"),
            ]))
        })
        .collect();
    peers.extend((0..3).map(|_| {
        Background::spawn(
            zklock(&servers()).args(["--limit", "2", &path, "--", "sh", "-c", &script]),
        )
    }));
    for p in peers {
        let ran = p.wait_timeout(Duration::from_secs(60)).expect("finishes");
        assert_eq!(ran.code, Some(0), "{ran:?}");
    }
    let starts = read(&log)
        .lines()
        .filter(|l| l.starts_with("start"))
        .count();
    assert_eq!(starts, 6, "{}", read(&log));
    assert!(most_at_once(&log) <= 2, "three at once:\n{}", read(&log));
    assert_nothing_left(&Zk::connect(&servers()), &path);
}

/// Curator stores N nowhere; zklock records it in the directory's data when it creates the
/// directory, and a contender with another N is warned.
#[test]
fn the_limit_is_recorded_and_a_different_one_is_named() {
    let path = unique_path("sem-record");
    let zk = Zk::connect(&servers());
    let ran = run(zklock(&servers()).args(["--limit", "2", &path, "--", "true"]));
    assert_eq!((ran.code, ran.stderr.as_str()), (Some(0), ""), "{ran:?}");
    assert_eq!(zk.data(&path), br#"{"limit":2}"#);
    let other = run(zklock(&servers()).args(["--limit", "3", &path, "--", "true"]));
    assert_eq!(other.code, Some(0), "{other:?}");
    assert!(
        other.stderr.contains("--limit 2") && other.stderr.contains("--limit 3"),
        "{}",
        other.stderr
    );
    assert_nothing_left(&zk, &path);
}

/// The guard watches the lease: an operator deleting it stops that command (79), and nothing
/// is left behind.
#[test]
fn deleting_a_lease_stops_its_command() {
    let path = unique_path("sem-delete");
    let log = workdir("sem-delete").join("log");
    let zk = Zk::connect(&servers());
    let (a, a_dir) = holder(&path, &log, "del", &[]);
    assert!(eventually(Duration::from_secs(15), || a_dir
        .join("held")
        .exists()));
    let leases = format!("{path}/leases");
    let lease = zk.children(&leases).pop().expect("the lease");
    zk.delete(&format!("{leases}/{lease}"));
    let ran = a.wait_timeout(Duration::from_secs(20)).expect("exits");
    assert_eq!(ran.code, Some(79), "{ran:?}");
    assert!(ran.stderr.contains("deleted"), "{}", ran.stderr);
    assert_nothing_left(&zk, &path);
}

/// A zklock SIGKILLed while it holds the semaphore's internal mutex (waiting for a lease)
/// blocks the others only until its session expires.
#[test]
fn sigkill_of_the_mutex_holder_does_not_wedge_the_others() {
    let path = unique_path("sem-wedge");
    let log = workdir("sem-wedge").join("log");
    let zk = Zk::connect(&servers());
    let (a, a_dir) = holder(&path, &log, "wa", &["--limit", "1"]);
    assert!(eventually(Duration::from_secs(15), || a_dir
        .join("held")
        .exists()));
    // b takes the mutex and waits for a lease; c queues for the mutex behind it.
    let (b, _) = holder(&path, &log, "wb", &["--limit", "1"]);
    zk.wait_children(&format!("{path}/leases"), 2, Duration::from_secs(15));
    let (c, c_dir) = holder(&path, &log, "wc", &["--limit", "1"]);
    zk.wait_children(&format!("{path}/locks"), 2, Duration::from_secs(15));
    b.signal(libc::SIGKILL);
    drop(b);
    std::fs::write(a_dir.join("release"), "").expect("release");
    // b's session (T = 10 s) expires, its mutex node and lease go, and c gets in.
    assert!(eventually(Duration::from_secs(40), || c_dir
        .join("held")
        .exists()));
    std::fs::write(c_dir.join("release"), "").expect("release");
    for p in [a, c] {
        let ran = p.wait_timeout(Duration::from_secs(20)).expect("exits");
        assert_eq!(ran.code, Some(0), "{ran:?}");
    }
    assert_nothing_left(&zk, &path);
}

/// A zklock waiting for a lease (its helpers are made only once it holds one, and until then
/// the signals it passes on to a command are held back) survives them, and its command, once
/// it runs, is not sent the ones that came while zklock waited.
#[test]
fn a_waiting_lease_holder_drops_the_signals_it_has_no_command_for() {
    let path = unique_path("sem-usr1");
    let log = workdir("sem-usr1").join("log");
    let zk = Zk::connect(&servers());
    let (a, a_dir) = holder(&path, &log, "su", &["--limit", "1"]);
    assert!(eventually(Duration::from_secs(15), || a_dir
        .join("held")
        .exists()));
    // The command would die of a USR1 (the default action), or say so with its trap set.
    let script = "trap 'echo got-usr1' USR1; echo ran";
    let waiter = Background::spawn(
        zklock(&servers()).args(["--limit", "1", &path, "--", "sh", "-c", script]),
    );
    zk.wait_children(&format!("{path}/leases"), 2, Duration::from_secs(15));
    for sig in [libc::SIGUSR1, libc::SIGWINCH, libc::SIGALRM, libc::SIGUSR2] {
        waiter.signal(sig);
    }
    std::fs::write(a_dir.join("release"), "").expect("release");
    assert_eq!(
        a.wait_timeout(Duration::from_secs(20)).and_then(|r| r.code),
        Some(0)
    );
    let ran = waiter.wait_timeout(Duration::from_secs(20)).expect("exits");
    assert_eq!(
        (ran.code, ran.stdout.as_str()),
        (Some(0), "ran\n"),
        "{ran:?}"
    );
    assert_nothing_left(&zk, &path);
}

/// A signal to a zklock waiting for a lease: it removes its lease and mutex nodes, then dies of
/// the signal; the holder is undisturbed.
#[test]
fn a_signal_while_waiting_for_a_lease_leaves_nothing() {
    let path = unique_path("sem-signal");
    let log = workdir("sem-signal").join("log");
    let zk = Zk::connect(&servers());
    let (a, a_dir) = holder(&path, &log, "sa", &["--limit", "1"]);
    assert!(eventually(Duration::from_secs(15), || a_dir
        .join("held")
        .exists()));
    let waiter = Background::spawn(zklock(&servers()).args(["--limit", "1", &path, "--", "true"]));
    zk.wait_children(&format!("{path}/leases"), 2, Duration::from_secs(15));
    waiter.signal(libc::SIGTERM);
    let ran = waiter.wait_timeout(Duration::from_secs(20)).expect("exits");
    assert_eq!(
        (ran.code, ran.signal),
        (None, Some(libc::SIGTERM)),
        "{ran:?}"
    );
    assert_eq!(zk.children(&format!("{path}/leases")).len(), 1);
    assert!(zk.children(&format!("{path}/locks")).is_empty());
    std::fs::write(a_dir.join("release"), "").expect("release");
    assert_eq!(
        a.wait_timeout(Duration::from_secs(20)).and_then(|r| r.code),
        Some(0)
    );
    assert_nothing_left(&zk, &path);
}
