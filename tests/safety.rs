//! The lock is never held twice: partitions, operator deletes, a killed zklock, and the
//! negative control that shows these tests catch an overlap when the lease is switched off.

mod support;

use std::path::Path;
use std::time::Duration;

use support::*;

fn servers() -> String {
    shared().connect()
}

fn partition_holder(name: &str, unsafe_no_lease: bool) -> Overlap {
    let zk = Zk::connect(&servers());
    support::partition_holder(name, shared().port, &servers(), &[], &zk, unsafe_no_lease)
}

#[test]
fn a_partitioned_holder_stops_before_the_next_holder_starts() {
    let overlap = partition_holder("partition", false);
    let ran_a = &overlap.ran_a;
    assert_eq!(ran_a.code, Some(79), "{ran_a:?}");
    assert!(ran_a.stderr.contains("lock lost"), "{}", ran_a.stderr);
    overlap.assert_apart();
}

#[test]
#[cfg_attr(
    not(feature = "test-hooks"),
    ignore = "a negative control: needs --features test-hooks"
)]
fn negative_control_without_the_lease_the_holders_overlap() {
    partition_holder("no-lease", true).assert_overlapped("without the lease");
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
    eprintln!("stopped {:?} after the delete", started.elapsed());
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

/// Holder A's zklock is stopped (SIGSTOP: a debugger, an admin, a starved process) while its
/// command beats, until B, waiting directly, has run; then A's zklock is continued.
fn stop_zklock(name: &str, watchdog: bool) -> Overlap {
    let mut a = zklock(&servers());
    if !watchdog {
        a.env("ZKLOCK_UNSAFE_NO_WATCHDOG", "1");
    }
    let zk = Zk::connect(&servers());
    let stop = |a: &Background| a.signal(libc::SIGSTOP);
    let resume = |a: &Background| a.signal(libc::SIGCONT);
    overlap_scenario(name, a, &servers(), &[], &zk, stop, resume)
}

#[test]
fn a_stopped_zklocks_command_dies_before_the_next_holder_starts() {
    let overlap = stop_zklock("sigstop", true);
    overlap.assert_apart();
    let ran_a = &overlap.ran_a;
    assert_eq!(ran_a.code, Some(79), "{ran_a:?}");
    assert!(ran_a.stderr.contains("lock lost"), "{}", ran_a.stderr);
    assert!(!alive(overlap.pid_a), "A's command outlived zklock");
}

#[test]
#[cfg_attr(
    not(feature = "test-hooks"),
    ignore = "a negative control: needs --features test-hooks"
)]
fn negative_control_without_the_watchdog_a_stopped_zklocks_command_overlaps() {
    let overlap = stop_zklock("sigstop-no-watchdog", false);
    overlap.assert_overlapped("without the watchdog");
    assert!(!alive(overlap.pid_a), "A's command outlived zklock");
}

/// A zklock stopped right after its command's spawn, before it has supervised it for a
/// moment (a test hook stops it there): the command is guarded all the same, since the
/// watchdog's timer runs from before the spawn and the command published its own group.
fn stopped_after_spawn(name: &str, early_guard: bool) -> Overlap {
    let mut a = zklock(&servers());
    a.env("ZKLOCK_TEST_STOP_AFTER_SPAWN", "1");
    if !early_guard {
        a.env("ZKLOCK_UNSAFE_LATE_WATCHDOG", "1");
    }
    let zk = Zk::connect(&servers());
    let resume = |a: &Background| a.signal(libc::SIGCONT);
    overlap_scenario(name, a, &servers(), &[], &zk, |_| {}, resume)
}

#[test]
#[cfg_attr(
    not(feature = "test-hooks"),
    ignore = "stops zklock with a test hook: needs --features test-hooks"
)]
fn a_zklock_stopped_right_after_the_spawn_leaves_no_command_unguarded() {
    let overlap = stopped_after_spawn("stop-after-spawn", true);
    overlap.assert_apart();
    assert_eq!(overlap.ran_a.code, Some(79), "{:?}", overlap.ran_a);
}

#[test]
#[cfg_attr(
    not(feature = "test-hooks"),
    ignore = "a negative control: needs --features test-hooks"
)]
fn negative_control_a_watchdog_told_only_after_the_spawn_misses_a_zklock_stopped_there() {
    let overlap = stopped_after_spawn("stop-after-spawn-late", false);
    overlap.assert_overlapped("with the watchdog told after the spawn");
}

/// The watchdog's pid, as `-vv` names it.
fn watchdog_pid(stderr: &str) -> Option<i32> {
    stderr
        .split("watchdog pid ")
        .nth(1)?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// A holder whose command leaves a grandchild in its process group, then zklock is SIGKILLed.
/// Returns whether the grandchild died, and the watchdog's pid (0 without one).
fn sigkill_with_grandchild(name: &str, watchdog: bool) -> (bool, i32) {
    let path = unique_path(name);
    let dir = workdir(name);
    let script = "echo $$ > pid; sleep 300 & echo $! > gc; touch held; wait";
    let mut command = zklock(&servers());
    command
        .args(["-vv", &path, "--", "sh", "-c", script])
        .current_dir(&dir);
    if !watchdog {
        command.env("ZKLOCK_UNSAFE_NO_WATCHDOG", "1");
    }
    let holder = Streaming::spawn(&mut command, name);
    assert!(
        eventually(Duration::from_secs(15), || dir.join("held").exists()),
        "holder never ran: {}",
        read(&holder.stderr)
    );
    let watchdog_pid = watchdog_pid(&read(&holder.stderr)).unwrap_or(0);
    assert_eq!(watchdog_pid != 0, watchdog, "{}", read(&holder.stderr));
    let (command_pid, grandchild): (i32, i32) = (
        read(&dir.join("pid")).trim().parse().expect("pid"),
        read(&dir.join("gc")).trim().parse().expect("gc"),
    );
    holder.process.signal(libc::SIGKILL);
    assert!(
        eventually(Duration::from_secs(2), || !alive(command_pid)),
        "the command survived its zklock"
    );
    let died = eventually(Duration::from_secs(2), || !alive(grandchild));
    if !died {
        // SAFETY: kill on a pid this test's command started.
        unsafe { libc::kill(grandchild, libc::SIGKILL) };
    }
    // Nothing left behind: the watchdog removes the command's cgroup once zklock is gone;
    // without it (the negative control) nothing does, so the test does.
    if let Some(cgroup) = cgroup_of(&read(&holder.stderr)) {
        let gone = || !cgroup.exists();
        if watchdog {
            assert!(
                eventually(Duration::from_secs(2), gone),
                "{} left behind",
                cgroup.display()
            );
        } else {
            eventually(Duration::from_secs(2), || {
                std::fs::remove_dir(&cgroup).is_ok() || gone()
            });
        }
    }
    Zk::connect(&servers()).assert_empty_soon(&path, Duration::from_secs(15));
    (died, watchdog_pid)
}

/// CPU time `pid` has used, in clock ticks (utime + stime of /proc/PID/stat).
fn cpu_ticks(pid: i32) -> u64 {
    let stat = read(std::path::Path::new(&format!("/proc/{pid}/stat")));
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .expect("stat")
        .1
        .split_whitespace()
        .collect();
    fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime")
}

/// Once it has killed the command of a stopped zklock, the watchdog sleeps until zklock
/// continues or dies, waking a few times a second to kill again: before, it re-armed its
/// timer to the deadline already past and spun at 100 % of a CPU (99 ticks a second here)
/// for as long as zklock stayed stopped. Its CPU time is measured over one second.
#[test]
fn the_watchdog_of_a_stopped_zklock_kills_and_then_sleeps() {
    let name = "watchdog-sleeps";
    let path = unique_path(name);
    let dir = workdir(name);
    let mut command = zklock(&servers());
    command
        .args(["-vv", &path, "--", "sh", "-c", UNTIL_RELEASED])
        .current_dir(&dir);
    let (holder, watchdog) = start_held(&mut command, &dir, name);
    let pid: i32 = read(&dir.join("pid")).trim().parse().expect("pid");
    holder.process.signal(libc::SIGSTOP);
    assert!(
        eventually(Duration::from_secs(10), || !alive(pid)),
        "the watchdog did not kill the command of a stopped zklock"
    );
    let before = cpu_ticks(watchdog);
    std::thread::sleep(Duration::from_secs(1));
    let used = cpu_ticks(watchdog) - before;
    holder.process.signal(libc::SIGCONT);
    let ran = holder
        .process
        .wait_timeout(Duration::from_secs(15))
        .expect("exits");
    assert_eq!(ran.code, Some(79), "{ran:?}");
    assert!(
        used < 20,
        "the watchdog used {used} ticks of CPU in the second after the kill"
    );
    Zk::connect(&servers()).assert_empty_soon(&path, Duration::from_secs(15));
}

/// The command of the watchdog tests: writes its pid to `pid`, marks `held`, then runs until
/// `release` appears.
const UNTIL_RELEASED: &str =
    "echo $$ > pid; touch held; while [ ! -e release ]; do sleep 0.02; done";

/// Starts `command` (a `-vv` holder running UNTIL_RELEASED in `dir`); returns it once its
/// command runs, with its watchdog's pid.
fn start_held(command: &mut std::process::Command, dir: &Path, name: &str) -> (Streaming, i32) {
    let holder = Streaming::spawn(command, &format!("{name}-output"));
    assert!(
        eventually(Duration::from_secs(15), || dir.join("held").exists()),
        "holder never ran: {}",
        read(&holder.stderr)
    );
    let watchdog = watchdog_pid(&read(&holder.stderr)).expect("-vv names the watchdog");
    (holder, watchdog)
}

/// Lets the command of `start_held` end: zklock exits 0 and leaves nothing in `path`.
fn release(holder: Streaming, dir: &Path, path: &str) {
    std::fs::write(dir.join("release"), "").expect("release");
    let ran = holder
        .process
        .wait_timeout(Duration::from_secs(20))
        .expect("zklock exits");
    assert_eq!(ran.code, Some(0), "{ran:?}");
    Zk::connect(&servers()).assert_empty_soon(path, Duration::from_secs(5));
}

/// What `pid`'s descriptors point to, as /proc/PID/fd shows them.
fn descriptors(pid: i32) -> Vec<String> {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("/proc/PID/fd")
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .map(|target| target.display().to_string())
        .collect()
}

/// The watchdog keeps none of zklock's descriptors: not its ZooKeeper connection (a copy in
/// the watchdog kept the connection open, and one of the server's connections per client
/// address taken, after zklock had closed it) and not what zklock inherited (here a file on
/// descriptor 7). zklock itself holds both while its command runs: the probe can see them.
#[test]
fn the_watchdog_holds_none_of_zklocks_descriptors() {
    use std::os::fd::AsRawFd;
    use std::os::unix::process::CommandExt;
    let name = "watchdog-descriptors";
    let path = unique_path(name);
    let dir = workdir(name);
    let inherited = dir.join("inherited");
    let file = std::fs::File::create(&inherited).expect("inherited file");
    let fd = file.as_raw_fd();
    let mut command = zklock(&servers());
    command
        .args(["-vv", &path, "--", "sh", "-c", UNTIL_RELEASED])
        .current_dir(&dir);
    // SAFETY: dup2 only, between fork and exec.
    unsafe {
        command.pre_exec(move || match libc::dup2(fd, 7) {
            -1 => Err(std::io::Error::last_os_error()),
            _ => Ok(()),
        });
    }
    let (holder, watchdog) = start_held(&mut command, &dir, name);
    let shown = inherited.display().to_string();
    let of_zklock = descriptors(holder.process.pid());
    assert!(
        of_zklock.iter().any(|t| t.starts_with("socket:")) && of_zklock.contains(&shown),
        "zklock holds its connection and the inherited file: {of_zklock:?}"
    );
    let of_watchdog = descriptors(watchdog);
    assert!(
        !of_watchdog
            .iter()
            .any(|t| t.starts_with("socket:") || *t == shown),
        "the watchdog holds zklock's descriptors: {of_watchdog:?}"
    );
    release(holder, &dir, &path);
}

/// The command's cgroup, as `-vv` names it.
fn cgroup_of(stderr: &str) -> Option<std::path::PathBuf> {
    let rest = stderr.split("zklock: cgroup ").nth(1)?;
    Some(rest.lines().next()?.trim().into())
}

#[test]
fn sigkill_of_zklock_takes_the_whole_group_and_the_watchdog_leaves() {
    let (died, watchdog) = sigkill_with_grandchild("sigkill-group", true);
    assert!(
        died,
        "a grandchild in the command's group survived zklock's SIGKILL"
    );
    assert!(
        eventually(Duration::from_secs(2), || !alive(watchdog)),
        "the watchdog {watchdog} outlived zklock"
    );
}

#[test]
#[cfg_attr(
    not(feature = "test-hooks"),
    ignore = "a negative control: needs --features test-hooks"
)]
fn negative_control_without_the_watchdog_a_grandchild_survives_sigkill() {
    let (died, _) = sigkill_with_grandchild("sigkill-group-no-watchdog", false);
    assert!(
        !died,
        "the grandchild died without the watchdog: the SIGKILL test could not catch a survivor"
    );
}

/// Starts a descendant in a session of its own, and exits once it has left the group (it writes
/// its pid after `setsid`).
const LEAVE_THE_GROUP: &str = "setsid sh -c 'echo $$ > escaped; exec sleep 300' </dev/null >/dev/null 2>&1 & \
     while [ ! -s escaped ]; do sleep 0.01; done";

/// The command starts a descendant in a session of its own (`setsid`), outside its process
/// group, and exits. Returns whether that descendant was dead when zklock exited. Without a
/// cgroup: this is the sweep's own test (the cgroup would catch the descendant too).
fn escaped_descendant(name: &str, sweep: bool) -> bool {
    let path = unique_path(name);
    let dir = workdir(name);
    let mut command = zklock(&servers());
    command
        .args(["--no-cgroup", &path, "--", "sh", "-c", LEAVE_THE_GROUP])
        .current_dir(&dir);
    if !sweep {
        command.env("ZKLOCK_UNSAFE_NO_SWEEP", "1");
    }
    let ran = run(&mut command);
    assert_eq!(ran.code, Some(0), "{ran:?}");
    let escaped: i32 = read(&dir.join("escaped")).trim().parse().expect("pid");
    let dead = !alive(escaped);
    if !dead {
        // SAFETY: kill on a pid this test's command started.
        unsafe { libc::kill(escaped, libc::SIGKILL) };
    }
    Zk::connect(&servers()).assert_empty_soon(&path, Duration::from_secs(5));
    dead
}

#[test]
fn descendants_that_left_the_group_are_gone_before_the_release() {
    assert!(
        escaped_descendant("setsid", true),
        "a setsid descendant outlived zklock"
    );
}

#[test]
#[cfg_attr(
    not(feature = "test-hooks"),
    ignore = "a negative control: needs --features test-hooks"
)]
fn negative_control_without_the_sweep_a_setsid_descendant_survives() {
    assert!(
        !escaped_descendant("setsid-no-sweep", false),
        "the setsid descendant died without the sweep: the test could not catch a survivor"
    );
}

/// Starts a `-vv` holder (with `--cgroup`, or `--no-cgroup`) whose command runs `before`,
/// leaves a descendant in a session of its own (LEAVE_THE_GROUP), marks `held` and waits;
/// returns, once it holds, its path, its directory, itself and its -vv output so far.
fn holder_leaving_the_group(
    name: &str,
    cgroup: bool,
    before: &str,
) -> (String, std::path::PathBuf, Streaming, String) {
    let path = unique_path(name);
    let dir = workdir(name);
    let script = format!("{before}{LEAVE_THE_GROUP}; touch held; wait");
    let mut command = zklock(&servers());
    command.arg("-vv").current_dir(&dir);
    command.arg(if cgroup { "--cgroup" } else { "--no-cgroup" });
    command.args([&path, "--", "sh", "-c", &script]);
    let holder = Streaming::spawn(&mut command, name);
    assert!(
        eventually(Duration::from_secs(15), || dir.join("held").exists()),
        "holder never ran: {}",
        read(&holder.stderr)
    );
    let stderr = read(&holder.stderr);
    (path, dir, holder, stderr)
}

/// A holder (with `--cgroup`, or `--no-cgroup`) whose command keeps a descendant that left its group
/// and session (`setsid`) running; then zklock is SIGKILLed. Returns whether that descendant died, or None (with the
/// reason printed) where zklock could make no cgroup.
fn sigkill_with_escaped(name: &str, cgroup: bool) -> Option<bool> {
    let (path, dir, holder, stderr) = holder_leaving_the_group(name, cgroup, "");
    let escaped: i32 = read(&dir.join("escaped")).trim().parse().expect("pid");
    if cgroup && let Some(why) = stderr.split("no cgroup for the command: ").nth(1) {
        eprintln!("skipped: zklock could make no cgroup here: {}", why.trim());
        holder.process.signal(libc::SIGKILL);
        // SAFETY: kill on a pid this test's command started.
        unsafe { libc::kill(escaped, libc::SIGKILL) };
        Zk::connect(&servers()).assert_empty_soon(&path, Duration::from_secs(15));
        return None;
    }
    holder.process.signal(libc::SIGKILL);
    let died = eventually(Duration::from_secs(2), || !alive(escaped));
    if !died {
        // SAFETY: kill on a pid this test's command started.
        unsafe { libc::kill(escaped, libc::SIGKILL) };
    }
    if cgroup {
        let dir = stderr
            .split("zklock: cgroup ")
            .nth(1)
            .and_then(|s| s.lines().next())
            .expect("-vv names the cgroup");
        assert!(
            eventually(Duration::from_secs(3), || !std::path::Path::new(dir)
                .exists()),
            "the watchdog left {dir} behind"
        );
    }
    Zk::connect(&servers()).assert_empty_soon(&path, Duration::from_secs(15));
    Some(died)
}

#[test]
fn sigkill_of_zklock_takes_descendants_that_left_the_group_where_a_cgroup_holds_them() {
    if let Some(died) = sigkill_with_escaped("sigkill-cgroup", true) {
        assert!(died, "a setsid descendant survived zklock's SIGKILL");
    }
}

#[test]
fn negative_control_without_cgroup_a_setsid_descendant_survives_sigkill() {
    let died = sigkill_with_escaped("sigkill-no-cgroup", false).expect("no cgroup asked for");
    assert!(
        !died,
        "the setsid descendant died without the cgroup: the test could not catch a survivor"
    );
}

#[test]
fn a_normal_run_leaves_no_cgroup_behind() {
    let path = unique_path("cgroup-gone");
    let ran = run(zklock(&servers()).args(["-vv", "--cgroup", &path, "--", "true"]));
    assert_eq!(ran.code, Some(0), "{ran:?}");
    match cgroup_of(&ran.stderr) {
        Some(dir) => assert!(!dir.exists(), "{} left behind", dir.display()),
        None => eprintln!("skipped: zklock could make no cgroup here"),
    }
    Zk::connect(&servers()).assert_empty_soon(&path, Duration::ZERO);
}

/// The command's cgroup also holds a process of zklock's own while zklock runs (its keeper,
/// cgroup.rs), which is not the command's: a command that leaves nothing behind gets nothing
/// stopped, and one that leaves a process in its group gets it stopped, and says so (`-v`).
#[test]
fn only_what_the_command_left_is_stopped() {
    let path = unique_path("left-behind");
    let clean = run(zklock(&servers()).args(["-v", "--cgroup", &path, "--", "true"]));
    assert_eq!(clean.code, Some(0), "{clean:?}");
    assert!(
        !clean.stderr.contains("left processes behind"),
        "stopped something of a command that left nothing: {}",
        clean.stderr
    );
    let dir = workdir("left-behind");
    let script = "sleep 300 </dev/null >/dev/null 2>&1 & echo $! > left";
    let left = run(zklock(&servers())
        .args(["-v", "--cgroup", &path, "--", "sh", "-c", script])
        .current_dir(&dir));
    assert_eq!(left.code, Some(0), "{left:?}");
    let sleep: i32 = read(&dir.join("left")).trim().parse().expect("pid");
    let survived = alive(sleep);
    if survived {
        // SAFETY: kill on a pid this test's command started.
        unsafe { libc::kill(sleep, libc::SIGKILL) };
    }
    assert!(!survived, "what the command left outlived zklock");
    assert!(
        left.stderr
            .contains("the command left processes behind: sending them SIGTERM"),
        "{}",
        left.stderr
    );
    Zk::connect(&servers()).assert_empty_soon(&path, Duration::ZERO);
}

#[test]
fn the_watchdog_ignores_a_stray_term_and_leaves_with_zklock() {
    let path = unique_path("watchdog-term");
    let dir = workdir("watchdog-term");
    let mut command = zklock(&servers());
    command
        .args(["-vv", &path, "--", "sh", "-c", UNTIL_RELEASED])
        .current_dir(&dir);
    let (holder, watchdog) = start_held(&mut command, &dir, "watchdog-term");
    // SAFETY: kill on the helper of a zklock this test started.
    unsafe { libc::kill(watchdog, libc::SIGTERM) };
    assert!(
        !eventually(Duration::from_millis(300), || !alive(watchdog)),
        "the watchdog died of a stray SIGTERM"
    );
    release(holder, &dir, &path);
    assert!(
        eventually(Duration::from_secs(2), || !alive(watchdog)),
        "the watchdog outlived zklock"
    );
}

/// The semaphore never over-admits through a partition: a `--limit 1` lease holder behind a
/// frozen link is stopped before its lease can be handed on to the next contender.
#[test]
fn a_partitioned_lease_holder_stops_before_the_next_gets_its_lease() {
    let zk = Zk::connect(&servers());
    let options = ["--limit".to_string(), "1".to_string()];
    let overlap = support::partition_holder(
        "lease-partition",
        shared().port,
        &servers(),
        &options,
        &zk,
        false,
    );
    assert_eq!(overlap.ran_a.code, Some(79), "{:?}", overlap.ran_a);
    overlap.assert_apart();
}

/// Negative control: without the lease, the partitioned lease holder runs on beside the next.
#[test]
#[cfg_attr(
    not(feature = "test-hooks"),
    ignore = "a negative control: needs --features test-hooks"
)]
fn negative_control_without_the_lease_the_semaphore_over_admits() {
    let zk = Zk::connect(&servers());
    let options = ["--limit".to_string(), "1".to_string()];
    support::partition_holder(
        "lease-no-lease",
        shared().port,
        &servers(),
        &options,
        &zk,
        true,
    )
    .assert_overlapped("for the semaphore without the lease");
}

/// A read/write lock through a partition: A holds with `a_mode` behind a link that freezes,
/// B waits with `b_mode` (one of them `--write`, so they exclude each other).
fn partition_modes(name: &str, a_mode: &str, b_mode: &str, unsafe_no_lease: bool) -> Overlap {
    let zk = Zk::connect(&servers());
    let proxy = Proxy::start(shared().port);
    let mut a = zklock(&proxy.connect());
    a.arg(a_mode);
    if unsafe_no_lease {
        a.env("ZKLOCK_UNSAFE_NO_LEASE", "1");
    }
    let options = [b_mode.to_string()];
    overlap_scenario(
        name,
        a,
        &servers(),
        &options,
        &zk,
        |_| proxy.freeze(),
        |_| {},
    )
}

/// A writer behind a frozen link is stopped before the readers queued behind it start.
#[test]
fn a_partitioned_writer_stops_before_a_reader_starts() {
    let overlap = partition_modes("writer-partition", "--write", "--shared", false);
    assert_eq!(overlap.ran_a.code, Some(79), "{:?}", overlap.ran_a);
    overlap.assert_apart();
}

/// A reader behind a frozen link is stopped before the writer queued behind it starts.
#[test]
fn a_partitioned_reader_stops_before_a_writer_starts() {
    let overlap = partition_modes("reader-partition", "--shared", "--write", false);
    assert_eq!(overlap.ran_a.code, Some(79), "{:?}", overlap.ran_a);
    overlap.assert_apart();
}

/// Negative control: without the lease, the partitioned writer runs on beside the reader.
#[test]
#[cfg_attr(
    not(feature = "test-hooks"),
    ignore = "a negative control: needs --features test-hooks"
)]
fn negative_control_without_the_lease_a_writer_and_a_reader_overlap() {
    partition_modes("writer-no-lease", "--write", "--shared", true)
        .assert_overlapped("for the read/write lock without the lease");
}

/// The processes that share `pid`'s memory (kcmp with KCMP_VM), `pid` included: what the
/// kernel's OOM killer SIGKILLs together when it picks `pid` (mm/oom_kill.c).
fn sharing_memory_with(pid: i32) -> Vec<i32> {
    const KCMP_VM: usize = 1;
    let mut pids: Vec<i32> = std::fs::read_dir("/proc")
        .expect("/proc")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .filter(|&other: &i32| {
            // SAFETY: kcmp compares two processes' kernel objects; it touches no memory.
            other != pid && unsafe { libc::syscall(libc::SYS_kcmp, pid, other, KCMP_VM, 0, 0) } == 0
        })
        .collect();
    pids.push(pid);
    pids
}

/// What an OOM kill of zklock leaves: a holder (with `--cgroup` or `--no-cgroup`) whose
/// command has a grandchild in its group and one in a session of its own (`setsid`), then
/// zklock and every process that shares its memory SIGKILLed at once, with the watchdog too
/// when `and_watchdog` (the negative control: a watchdog that shared zklock's memory, as one
/// made with CLONE_VM did, died with it). Returns whether each grandchild died, or None where
/// a cgroup was asked for and none could be made.
fn oom_kill(name: &str, cgroup: bool, and_watchdog: bool) -> Option<(bool, bool)> {
    let before = "sleep 300 & echo $! > gc; ";
    let (path, dir, holder, stderr) = holder_leaving_the_group(name, cgroup, before);
    let (grandchild, escaped): (i32, i32) = (
        read(&dir.join("gc")).trim().parse().expect("gc"),
        read(&dir.join("escaped")).trim().parse().expect("escaped"),
    );
    let made = cgroup_of(&stderr);
    if cgroup && made.is_none() {
        eprintln!("skipped: zklock could make no cgroup here");
        holder.process.signal(libc::SIGKILL);
        for pid in [grandchild, escaped] {
            // SAFETY: kill on a pid this test's command started.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        Zk::connect(&servers()).assert_empty_soon(&path, Duration::from_secs(15));
        return None;
    }
    let watchdog = watchdog_pid(&stderr).expect("-vv names the watchdog");
    let mut victims = sharing_memory_with(holder.process.pid());
    assert!(
        !victims.contains(&watchdog),
        "the watchdog {watchdog} shares zklock's memory: the OOM killer would take it too"
    );
    if and_watchdog {
        victims.push(watchdog);
    }
    // At once: all are stopped first, so that none (the watchdog above all) acts on the
    // death of another before its own SIGKILL.
    for sig in [libc::SIGSTOP, libc::SIGKILL] {
        for &pid in &victims {
            // SAFETY: kill on zklock, the processes that share its memory, and its watchdog.
            unsafe { libc::kill(pid, sig) };
        }
    }
    let died = |pid| eventually(Duration::from_secs(3), || !alive(pid));
    let outcome = (died(grandchild), died(escaped));
    for pid in [grandchild, escaped] {
        // SAFETY: kill on a pid this test's command started (a survivor, or gone).
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
    if let Some(made) = made {
        let gone = || !made.exists();
        if and_watchdog {
            // Nothing of zklock's is left to remove it: the test does.
            eventually(Duration::from_secs(3), || {
                std::fs::remove_dir(&made).is_ok() || gone()
            });
        }
        assert!(
            eventually(Duration::from_secs(10), gone),
            "{} left behind",
            made.display()
        );
    }
    Zk::connect(&servers()).assert_empty_soon(&path, Duration::from_secs(15));
    Some(outcome)
}

#[test]
fn an_oom_kill_of_zklock_leaves_the_watchdog_to_stop_everything_in_the_cgroup() {
    if let Some((grandchild, escaped)) = oom_kill("oom-cgroup", true, false) {
        assert!(grandchild, "a grandchild in the command's group survived");
        assert!(
            escaped,
            "a setsid grandchild survived, though the cgroup held it"
        );
    }
}

/// Without a cgroup the watchdog stops the command's process group; a descendant in a
/// session of its own is out of its reach (README, "Where it runs").
#[test]
fn an_oom_kill_of_zklock_without_a_cgroup_leaves_the_watchdog_to_stop_the_group() {
    let (grandchild, _) = oom_kill("oom-no-cgroup", false, false).expect("no cgroup asked for");
    assert!(grandchild, "a grandchild in the command's group survived");
}

#[test]
fn negative_control_an_oom_kill_that_takes_the_watchdog_too_leaves_grandchildren() {
    let (grandchild, _) = oom_kill("oom-watchdog-too", false, true).expect("no cgroup asked for");
    assert!(
        !grandchild,
        "the grandchild died with no watchdog left: the OOM test could not catch a survivor"
    );
}
