//! The lock on a three-server ensemble: a leader change or a server restart shorter than the
//! session timeout leaves the command running, and nobody else gets in meanwhile.

mod support;

use std::time::Duration;

use support::*;

#[test]
fn leader_killed_while_the_command_runs_leaves_it_undisturbed() {
    let mut ensemble = Ensemble::start();
    let servers = ensemble.connect();
    let path = "/t/leader-kill";
    let (a_dir, b_dir) = (workdir("leader-kill-a"), workdir("leader-kill-b"));
    // T = 10 s: the kill would come after 3.5 s without an answer; an election takes less.
    let a = Background::spawn(
        zklock(&servers)
            .args([
                "--session-timeout",
                "10s",
                path,
                "--",
                "sh",
                "-c",
                "touch held; while [ ! -e release ]; do sleep 0.02; done; date +%s%N > end",
            ])
            .current_dir(&a_dir),
    );
    assert!(eventually(Duration::from_secs(20), || a_dir
        .join("held")
        .exists()));
    let b = Background::spawn(
        zklock(&servers)
            .args([path, "--", "sh", "-c", "date +%s%N > start"])
            .current_dir(&b_dir),
    );
    let zk = Zk::connect(&servers);
    zk.wait_children(path, 2, Duration::from_secs(10));

    let leader = ensemble.leader(Duration::from_secs(10));
    ensemble.kill(leader);
    let new_leader = ensemble.leader(Duration::from_secs(20));
    assert_ne!(leader, new_leader);
    // The new quorum serves both contenders' nodes: A's session survived the election.
    zk.wait_children(path, 2, Duration::from_secs(20));
    std::fs::write(a_dir.join("release"), "").expect("release");

    let ran_a = a
        .wait_timeout(Duration::from_secs(20))
        .expect("holder exits");
    assert_eq!(ran_a.code, Some(0), "{ran_a:?}");
    let ran_b = b
        .wait_timeout(Duration::from_secs(20))
        .expect("waiter runs");
    assert_eq!(ran_b.code, Some(0), "{ran_b:?}");
    let end: u128 = read(&a_dir.join("end")).trim().parse().expect("end");
    let start: u128 = read(&b_dir.join("start")).trim().parse().expect("start");
    assert!(end < start, "the waiter got in while the holder ran");
    ensemble.restart(leader);
    Zk::connect(&servers).assert_empty_soon(path, Duration::from_secs(10));
}

#[test]
fn a_server_restart_shorter_than_the_session_timeout_leaves_the_command_running() {
    let mut ensemble = Ensemble::start();
    let path = "/t/restart";
    let dir = workdir("restart");
    // Connected to one follower only, so the client must wait for that very server.
    let follower = (ensemble.leader(Duration::from_secs(10)) + 1) % 3;
    let servers = ensemble.members[follower].connect();
    let a = Background::spawn(
        zklock(&servers)
            .args([
                "--session-timeout",
                "20s",
                path,
                "--",
                "sh",
                "-c",
                "touch held; while [ ! -e release ]; do sleep 0.02; done",
            ])
            .current_dir(&dir),
    );
    assert!(eventually(Duration::from_secs(20), || dir
        .join("held")
        .exists()));
    ensemble.kill(follower);
    ensemble.restart(follower);
    std::fs::write(dir.join("release"), "").expect("release");
    let ran = a.wait_timeout(Duration::from_secs(30)).expect("exits");
    assert_eq!(ran.code, Some(0), "{ran:?}");
    Zk::connect(&ensemble.connect()).assert_empty_soon(path, Duration::from_secs(10));
}
