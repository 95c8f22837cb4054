//! Several paths at once (SPEC §2.1): `zklock lock P1 P2 -- CMD` holds all of them for the
//! command, takes them in sorted order (no deadlock whatever order zklocks name them in), and
//! loses all when any is lost.

mod support;

use std::time::Duration;

use support::*;

fn servers() -> String {
    shared().connect()
}

#[test]
fn the_command_holds_every_path_and_learns_each_node() {
    let (a, b) = (unique_path("multi-a"), unique_path("multi-b"));
    let dir = workdir("multi");
    let script = "echo \"$ZKLOCK_PATH|$ZKLOCK_NODE|$ZKLOCK_FENCING_TOKEN\" > env; touch held; \
                  while [ ! -e release ]; do sleep 0.02; done";
    // Named out of order: taken sorted.
    let holder = Background::spawn(
        zklock(&servers())
            .args([&b, &a, "--", "sh", "-c", script])
            .current_dir(&dir),
    );
    assert!(eventually(Duration::from_secs(15), || dir
        .join("held")
        .exists()));
    for path in [&a, &b] {
        let ran = run(zklock(&servers()).args(["-n", path, "--", "true"]));
        assert_eq!(ran.code, Some(75), "{path} was not held: {ran:?}");
    }
    let zk = Zk::connect(&servers());
    let env = read(&dir.join("env"));
    let [paths, nodes, token] = env.trim().split('|').collect::<Vec<_>>()[..] else {
        panic!("{env}")
    };
    assert_eq!(paths, format!("{a} {b}"));
    let nodes: Vec<&str> = nodes.split(' ').collect();
    assert_eq!(nodes.len(), 2, "{env}");
    assert!(nodes[0].starts_with(&format!("{a}/")) && nodes[1].starts_with(&format!("{b}/")));
    let czxids: Vec<i64> = nodes.iter().map(|n| zk.czxid(n)).collect();
    assert_eq!(
        token.parse::<i64>().ok(),
        czxids.iter().copied().max(),
        "{env}"
    );
    std::fs::write(dir.join("release"), "").expect("release");
    let ran = holder.wait_timeout(Duration::from_secs(20)).expect("exits");
    assert_eq!(ran.code, Some(0), "{ran:?}");
    zk.assert_empty_soon(&a, Duration::from_secs(5));
    zk.assert_empty_soon(&b, Duration::from_secs(5));
}

/// Two zklocks naming the same two paths in opposite orders, again and again: every one gets
/// both in turn (none deadlocks), and no two commands overlap.
#[test]
fn opposite_orders_never_deadlock() {
    let (x, y) = (unique_path("order-x"), unique_path("order-y"));
    let log = workdir("order").join("log");
    let script = format!(
        "echo start $(date +%s%N) $$ >> {0}; sleep 0.05; echo end $(date +%s%N) $$ >> {0}",
        log.display()
    );
    let runs: Vec<Background> = (0..8)
        .map(|i| {
            let (first, second) = if i % 2 == 0 { (&x, &y) } else { (&y, &x) };
            Background::spawn(
                zklock(&servers()).args(["-w", "60s", first, second, "--", "sh", "-c", &script]),
            )
        })
        .collect();
    for run in runs {
        let ran = run.wait_timeout(Duration::from_secs(90)).expect("finishes");
        assert_eq!(ran.code, Some(0), "{ran:?}");
    }
    assert_eq!(assert_turns_apart(&log).len(), 8);
    let zk = Zk::connect(&servers());
    zk.assert_empty_soon(&x, Duration::from_secs(5));
    zk.assert_empty_soon(&y, Duration::from_secs(5));
}

/// Deleting the node of one path stops the command (79), and the other path is released too.
#[test]
fn losing_one_path_loses_all() {
    let (a, b) = (unique_path("lose-a"), unique_path("lose-b"));
    // (The first path goes in as an "option": both end up as positionals.)
    let holder = hold_running(
        &servers(),
        &b,
        "lose",
        &[&a],
        "touch held; while :; do sleep 0.05; done",
    );
    let zk = Zk::connect(&servers());
    let node = zk.children(&b).pop().expect("b's node");
    zk.delete(&format!("{b}/{node}"));
    let ran = holder
        .process
        .wait_timeout(Duration::from_secs(20))
        .expect("exits");
    assert_eq!(ran.code, Some(79), "{ran:?}");
    assert!(ran.stderr.contains("deleted"), "{}", ran.stderr);
    zk.assert_empty_soon(&a, Duration::from_secs(5));
    zk.assert_empty_soon(&b, Duration::from_secs(5));
}

/// `--limit` and `--write` hold every path in their own mode: each path's semaphore is full
/// (its node a lease), and each path refuses a reader while a writer holds both.
#[test]
fn every_mode_holds_every_path() {
    let zk = Zk::connect(&servers());
    for (name, mode, probe, node_dir) in [
        (
            "limit",
            &["--limit", "1"][..],
            &["--limit", "1"][..],
            "/leases/",
        ),
        ("write", &["--write"][..], &["--shared"][..], "/_c_"),
    ] {
        let a = unique_path(&format!("{name}-a"));
        let b = unique_path(&format!("{name}-b"));
        let dir = workdir(name);
        let script = "echo \"$ZKLOCK_NODE\" > env; touch held; \
                      while [ ! -e release ]; do sleep 0.02; done";
        let holder = Background::spawn(
            zklock(&servers())
                .args(mode)
                .args([&b, &a, "--", "sh", "-c", script])
                .current_dir(&dir),
        );
        assert!(eventually(Duration::from_secs(15), || dir
            .join("held")
            .exists()));
        for path in [&a, &b] {
            let ran = run(zklock(&servers())
                .args(probe)
                .args(["-n", path, "--", "true"]));
            assert_eq!(ran.code, Some(75), "{mode:?} {path} was not held: {ran:?}");
        }
        let env = read(&dir.join("env"));
        let nodes: Vec<&str> = env.split_whitespace().collect();
        assert_eq!(nodes.len(), 2, "{mode:?}: {env}");
        for (node, path) in nodes.iter().zip([&a, &b]) {
            assert!(
                node.starts_with(&format!("{path}{node_dir}")),
                "{mode:?}: {node} is not {path}'s"
            );
        }
        std::fs::write(dir.join("release"), "").expect("release");
        let ran = holder.wait_timeout(Duration::from_secs(20)).expect("exits");
        assert_eq!(ran.code, Some(0), "{ran:?}");
        for path in [&a, &b] {
            let queue = if mode[0] == "--limit" {
                zk.assert_empty_soon(&format!("{path}/locks"), Duration::from_secs(5));
                format!("{path}/leases")
            } else {
                path.clone()
            };
            zk.assert_empty_soon(&queue, Duration::from_secs(5));
        }
    }
}
