//! One lock path shared by zklock, Curator's InterProcessMutex (Java) and kazoo's Lock
//! (Python): mutual exclusion in every direction, and turns taken in sequence order.

mod support;

use std::path::Path;
use std::time::Duration;

use support::*;

fn servers() -> String {
    shared().connect()
}

const MUTEX: &str = r#"
import org.apache.curator.framework.*;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.retry.RetryOneTime;
import java.nio.file.*;

public class Mutex {
    static void log(String file, String what) throws Exception {
        Files.writeString(Paths.get(file), what + " " + System.currentTimeMillis() * 1000000L + " " + TAG + "\n",
            StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }
    static String TAG;
    public static void main(String[] a) throws Exception {
        TAG = a[4];
        CuratorFramework c = CuratorFrameworkFactory.newClient(a[0], 4000, 4000, new RetryOneTime(100));
        c.start();
        InterProcessMutex m = new InterProcessMutex(c, a[1]);
        m.acquire();
        log(a[3], "start");
        // Hold until the test has queued everyone (a slow JVM start must not miss the queue).
        while (!Files.exists(Paths.get(a[3]).resolveSibling("go"))) Thread.sleep(20);
        Thread.sleep(Long.parseLong(a[2]));
        log(a[3], "end");
        m.release();
        c.close();
    }
}
"#;

const KAZOO: &str = r#"
import os, sys, time
from kazoo.client import KazooClient
servers, path, hold, log, tag = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4], sys.argv[5]
def mark(what):
    with open(log, "a") as f:
        f.write("%s %d %s\n" % (what, time.time_ns(), tag))
zk = KazooClient(hosts=servers, timeout=4)
zk.start()
lock = zk.Lock(path, "kazoo", extra_lock_patterns=["-lock-"])
with lock:
    mark("start")
    # Hold until the test has queued everyone (a slow start must not miss the queue).
    while not os.path.exists(os.path.join(os.path.dirname(log), "go")):
        time.sleep(0.02)
    time.sleep(hold)
    mark("end")
zk.stop()
"#;

/// No two holders overlapped, and they came in the `expected` order (the order they queued,
/// i.e. by sequence).
fn assert_turns(log: &Path, expected: &[&str]) {
    assert_eq!(assert_turns_apart(log), expected, "{}", read(log));
}

/// Marks its critical section in `log`; holds until the test has queued the others (the `go`
/// file beside the log), so a slow peer start-up cannot miss the queue.
fn zklock_script(log: &Path, tag: &str) -> String {
    format!(
        "echo start $(date +%s%N) {tag} >> {0}; while [ ! -e {1} ]; do sleep 0.02; done; \
         sleep 0.4; echo end $(date +%s%N) {tag} >> {0}",
        log.display(),
        log.with_file_name("go").display()
    )
}

/// Starts `first`, waits until it holds the lock, then queues the others behind it.
fn contend(
    name: &str,
    mut first: std::process::Command,
    log: &Path,
    path: &str,
    others: Vec<std::process::Command>,
) {
    let first = Background::spawn(&mut first);
    assert!(
        eventually(Duration::from_secs(30), || read(log).starts_with("start")),
        "{name}: first never held the lock"
    );
    let zk = Zk::connect(&servers());
    let mut rest = Vec::new();
    for (i, mut other) in others.into_iter().enumerate() {
        rest.push(Background::spawn(&mut other));
        zk.wait_children(path, i + 2, Duration::from_secs(30));
    }
    std::fs::write(log.with_file_name("go"), "").expect("go file");
    for p in std::iter::once(first).chain(rest) {
        let ran = p.wait_timeout(Duration::from_secs(60)).expect("finishes");
        assert_eq!(ran.code, Some(0), "{name}: {ran:?}");
    }
    zk.assert_empty_soon(path, Duration::from_secs(5));
}

/// `peer(hold, tag)` holds first; a zklock queues behind it, then a second peer, then a second
/// zklock: every direction of hand-off between zklock and the peer, in queue order. The
/// zklocks record their runs (SPEC §2.2), so the second peer takes the lock of a directory
/// whose data holds a run record: peers ignore it.
fn alternate(
    name: &str,
    peer: impl Fn(&str, &str, &str, &Path) -> std::process::Command,
    holds: [&str; 2],
) {
    let path = unique_path(name);
    let log = workdir(name).join("log");
    let zk = |tag: &str| {
        let mut c = zklock(&servers());
        c.args(["--record", "--id", tag, &path, "--", "sh", "-c"])
            .arg(zklock_script(&log, tag));
        c
    };
    let others = vec![zk("zk1"), peer(holds[1], "peer2", &path, &log), zk("zk2")];
    contend(
        name,
        peer(holds[0], "peer1", &path, &log),
        &log,
        &path,
        others,
    );
    assert_turns(&log, &["peer1", "zk1", "peer2", "zk2"]);
    let record = String::from_utf8(Zk::connect(&servers()).data(&path)).expect("UTF-8");
    assert!(record.contains(r#""id":"zk2""#), "{record}");
}

#[test]
fn zklock_and_curator_exclude_each_other_in_both_directions() {
    let java = |hold: &str, tag: &str, path: &str, log: &Path| {
        let mut c = peers::java("Mutex", MUTEX);
        c.args([servers().as_str(), path, hold]).arg(log).arg(tag);
        c
    };
    alternate("curator-mutex", java, ["800", "300"]);
}

#[test]
fn zklock_and_kazoo_exclude_each_other_in_both_directions() {
    let kazoo = |hold: &str, tag: &str, path: &str, log: &Path| {
        let mut c = peers::python(KAZOO);
        c.args([servers().as_str(), path, hold]).arg(log).arg(tag);
        c
    };
    alternate("kazoo-lock", kazoo, ["0.8", "0.3"]);
}

#[test]
fn kazoo_waits_while_zklock_holds() {
    let path = unique_path("kazoo-waits");
    let log = workdir("kazoo-waits").join("log");
    let mut zk_first = zklock(&servers());
    zk_first.args([&path, "--", "sh", "-c", &zklock_script(&log, "zk1")]);
    let mut kazoo = peers::python(KAZOO);
    kazoo
        .args([servers(), path.clone(), "0.1".into()])
        .arg(&log)
        .arg("py1");
    contend("zklock-first", zk_first, &log, &path, vec![kazoo]);
    assert_turns(&log, &["zk1", "py1"]);
}
