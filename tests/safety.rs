//! The lock is never held twice: partitions, operator deletes, a killed zklock, and the
//! negative control that shows these tests catch an overlap when the lease is switched off.

mod support;

use std::time::Duration;

use support::*;

fn servers() -> String {
    shared().connect()
}

fn partition_holder(name: &str, unsafe_no_lease: bool) -> (Ran, u128, u128) {
    let zk = Zk::connect(&servers());
    support::partition_holder(name, shared().port, &servers(), &[], &zk, unsafe_no_lease)
}

#[test]
fn a_partitioned_holder_stops_before_the_next_holder_starts() {
    let (ran_a, last_a, first_b) = partition_holder("partition", false);
    assert_eq!(ran_a.code, Some(79), "{ran_a:?}");
    assert!(ran_a.stderr.contains("lock lost"), "{}", ran_a.stderr);
    assert!(
        last_a < first_b,
        "overlap: A beat at {last_a}, B started at {first_b}"
    );
    eprintln!("margin: {} ms", (first_b - last_a) / 1_000_000);
}

#[test]
fn negative_control_without_the_lease_the_holders_overlap() {
    let (_, last_a, first_b) = partition_holder("no-lease", true);
    assert!(
        last_a > first_b,
        "no overlap without the lease: the partition test could not catch one"
    );
}

#[test]
fn a_freeze_shorter_than_the_deadline_leaves_the_command_alone() {
    let path = unique_path("short-freeze");
    let proxy = Proxy::start(shared().port);
    let dir = workdir("short-freeze");
    let script = "touch started; while [ ! -e release ]; do sleep 0.01; done";
    let a = Background::spawn(
        zklock(&proxy.connect())
            .args([&path, "--", "sh", "-c", script])
            .current_dir(&dir),
    );
    assert!(eventually(Duration::from_secs(15), || dir
        .join("started")
        .exists()));
    // T = 4 s: the kill signal would go at 1.4 s after the last answered probe, and probes go
    // every 0.4 s, so a 0.5 s freeze leaves at least 0.5 s to spare.
    proxy.freeze();
    std::thread::sleep(Duration::from_millis(500));
    proxy.thaw();
    proxy.cut();
    std::thread::sleep(Duration::from_millis(700));
    std::fs::write(dir.join("release"), "").expect("release");
    let ran = a.wait_timeout(Duration::from_secs(10)).expect("exits");
    assert_eq!(ran.code, Some(0), "{ran:?}");
    Zk::connect(&servers()).assert_empty_soon(&path, Duration::from_secs(5));
}

#[test]
fn deleting_the_node_stops_the_command() {
    let path = unique_path("deleted");
    let holder = hold(&servers(), &path, "deleted");
    let zk = Zk::connect(&servers());
    let node = zk.children(&path).pop().expect("holder's node");
    let started = std::time::Instant::now();
    zk.delete(&format!("{path}/{node}"));
    let pid = holder.command_pid();
    let ran = holder
        .process
        .wait_timeout(Duration::from_secs(10))
        .expect("exits");
    assert_eq!(ran.code, Some(79), "{ran:?}");
    assert!(ran.stderr.contains("deleted"), "{}", ran.stderr);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(!alive(pid));
    zk.assert_empty_soon(&path, Duration::ZERO);
}

#[test]
fn sigkill_of_zklock_takes_the_command_with_it() {
    let path = unique_path("sigkill");
    let holder = hold(&servers(), &path, "sigkill");
    let pid = holder.command_pid();
    holder.process.signal(libc::SIGKILL);
    assert!(
        eventually(Duration::from_secs(2), || !alive(pid)),
        "command {pid} survived its zklock"
    );
    // The server removes the node when the 4 s session expires.
    Zk::connect(&servers()).assert_empty_soon(&path, Duration::from_secs(15));
}

#[test]
fn a_command_running_past_ten_seconds_is_not_killed() {
    // tokio's blocking threads exit after 10 s idle; a child forked on one would get its
    // parent-death signal then.
    let path = unique_path("long");
    let ran = run(zklock(&servers()).args([&path, "--", "sh", "-c", "sleep 11; echo done"]));
    assert_eq!(
        (ran.code, ran.stdout.as_str()),
        (Some(0), "done\n"),
        "{ran:?}"
    );
    Zk::connect(&servers()).assert_empty_soon(&path, Duration::ZERO);
}
