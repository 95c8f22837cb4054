//! Where zklock runs (README, "Where it runs"): the static binaries that `sh packaging/build`
//! makes (musl, for x86_64 and aarch64) take the tour — version, ls, a lock with two
//! contenders, elect, watch — and pass the guard (a stopped zklock's command is killed by its
//! watchdog) in a Debian 11 root (glibc 2.31), there under a seccomp filter that refuses
//! clone3 as Docker's default profile does, and, for aarch64, under qemu-user; and the
//! ordinary build made inside that Debian 11 root (`cargo build --release`) runs there.
//!
//! tests/run.sh makes the root (debootstrap), the static binaries and the build in the root;
//! a test whose input or tool is missing says so and what makes it, and passes.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use support::*;

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn target() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target")
}

/// The Debian 11 root tests/run.sh makes (target/debian11/root), if it is there.
fn debian11() -> Option<PathBuf> {
    let root = target().join("debian11/root");
    let version = std::fs::read_to_string(root.join("etc/debian_version")).ok()?;
    version.starts_with("11.").then_some(root)
}

/// The static binary for `arch` that packaging/build makes, if it is there.
fn static_binary(arch: &str) -> Option<PathBuf> {
    let binary = target().join(format!("{arch}-unknown-linux-musl/release/zklock"));
    binary.is_file().then_some(binary)
}

/// Says why a test has nothing to run, and that it passes.
fn skipped(why: &str) {
    eprintln!("skipped: {why} (tests/run.sh makes it)");
}

/// Makes the command that runs zklock with `args` in the test directory `dir` (a directory
/// of the host), with the same pid as zklock.
type Runner = Box<dyn Fn(&Path, &[&str]) -> Command>;

/// How zklock is run in one place.
struct Place {
    name: &'static str,
    command: Runner,
}

impl Place {
    /// zklock's `binary` copied into `root` and run there (a mount namespace and a chroot),
    /// under `tests/support/confine MODE` when `confine` is given.
    fn in_root(
        name: &'static str,
        root: PathBuf,
        binary: &Path,
        confine: Option<&'static str>,
    ) -> Place {
        let inside = format!("/usr/local/bin/zklock-{name}");
        std::fs::copy(binary, root.join(inside.trim_start_matches('/'))).expect("copy");
        let in_root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/in-root");
        Place {
            name,
            command: Box::new(move |dir: &Path, args: &[&str]| {
                // The test directory, seen from inside the root.
                let seen = Path::new("/tmp").join(dir.file_name().expect("name"));
                let host_side = root.join(seen.strip_prefix("/").expect("relative"));
                std::fs::create_dir_all(&host_side).expect("dir in the root");
                let mut command = match confine {
                    Some(mode) => {
                        let mut c = Command::new(confine_script());
                        c.arg(mode).arg(&in_root);
                        c
                    }
                    None => Command::new(&in_root),
                };
                command.arg(&root).arg(&seen).arg(&inside).args(args);
                clean(&mut command);
                command
            }),
        }
    }

    /// zklock's `binary` run on this host by `runner` (qemu-user), in `dir`.
    fn emulated(name: &'static str, runner: &'static str, binary: PathBuf) -> Place {
        Place {
            name,
            command: Box::new(move |dir: &Path, args: &[&str]| {
                let mut command = Command::new(runner);
                command.arg(&binary).args(args).current_dir(dir);
                clean(&mut command);
                command
            }),
        }
    }
}

fn confine_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/confine")
}

/// No ZKLOCK_* setting of the test's own environment reaches zklock; but every test hook's
/// switch is set: these are release builds, which must ignore them (the tour's guard would
/// fail without the watchdog or the lease; a build with `test-hooks` obeys them, as the
/// negative controls of tests/safety.rs show).
fn clean(command: &mut Command) {
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("ZKLOCK_") {
            command.env_remove(key);
        }
    }
    for hook in TEST_HOOKS {
        command.env(hook, "1");
    }
}

/// The switches of a build with the `test-hooks` feature (src/hooks.rs).
const TEST_HOOKS: [&str; 3] = [
    "ZKLOCK_UNSAFE_NO_LEASE",
    "ZKLOCK_UNSAFE_NO_WATCHDOG",
    "ZKLOCK_UNSAFE_NO_SWEEP",
];

/// Whether `haystack` holds `needle`.
fn holds(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The release builds (the static binaries, which the packages carry, and the Debian 11
/// root's) have not even the names of the test hooks; the test build has them (a control:
/// the search would find them).
#[test]
fn release_builds_have_no_test_hooks() {
    let binaries: Vec<PathBuf> = ["x86_64", "aarch64"]
        .into_iter()
        .filter_map(static_binary)
        .chain(Some(target().join("debian11/build/release/zklock")).filter(|b| b.is_file()))
        .collect();
    if binaries.is_empty() {
        return skipped("no release build in target/");
    }
    for binary in &binaries {
        let bytes = std::fs::read(binary).expect("read");
        for hook in TEST_HOOKS {
            assert!(
                !holds(&bytes, hook.as_bytes()),
                "{hook} in {}",
                binary.display()
            );
        }
    }
    if cfg!(feature = "test-hooks") {
        let bytes = std::fs::read(env!("CARGO_BIN_EXE_zklock")).expect("read");
        for hook in TEST_HOOKS {
            assert!(
                holds(&bytes, hook.as_bytes()),
                "{hook} not in the test build"
            );
        }
    }
}

/// A test directory that the place's commands see: inside the root for a root (the host's
/// side of it is returned), else an ordinary one.
fn test_dir(place: &Place, root: Option<&Path>, name: &str) -> PathBuf {
    let dir = workdir(&format!("{}-{name}", place.name));
    match root {
        Some(root) => {
            let inside = root.join("tmp").join(dir.file_name().expect("name"));
            let _ = std::fs::remove_dir_all(&inside);
            std::fs::create_dir_all(&inside).expect("dir");
            inside
        }
        None => dir,
    }
}

/// The tour and the guard, in `place`.
fn tour(place: &Place, root: Option<&Path>) {
    let servers = shared().connect();
    let zk = Zk::connect(&servers);
    let dir = test_dir(place, root, "tour");
    let run_here = |args: &[&str]| (place.command)(&dir, args);
    let with_servers = |rest: &[&str]| {
        let mut args = vec!["-s", &servers, "--session-timeout", SESSION];
        args.extend_from_slice(rest);
        run_here(&args)
    };
    let files = &dir;

    // version and ls.
    let version = run(&mut run_here(&["--version"]));
    assert_eq!(version.code, Some(0), "{}: {version:?}", place.name);
    assert!(
        version.stdout.starts_with(&format!("zklock {VERSION}")),
        "{}: {version:?}",
        place.name
    );
    let listed = run(&mut with_servers(&["ls", "/"]));
    assert_eq!(listed.code, Some(0), "{}: {listed:?}", place.name);
    assert!(listed.stdout.contains("zookeeper"), "{listed:?}");

    // A lock with two contenders: the second runs only once the first has released.
    // A holder of `path` whose command runs `script`, once that has made the file `marker`.
    let holding = |path: &str, script: &str, marker: &str| {
        let holder = Background::spawn(&mut with_servers(&[path, "--", "sh", "-c", script]));
        assert!(
            eventually(Duration::from_secs(20), || files.join(marker).exists()),
            "{}: {path} never held",
            place.name
        );
        holder
    };
    let path = unique_path(&format!("tour-{}", place.name));
    let script = "touch a.held; while [ ! -e a.release ]; do sleep 0.02; done";
    let first = holding(&path, script, "a.held");
    let second = Background::spawn(&mut with_servers(&[
        "-w",
        "60s",
        &path,
        "--",
        "sh",
        "-c",
        "touch b.ran",
    ]));
    zk.wait_children(&path, 2, Duration::from_secs(20));
    assert!(
        !files.join("b.ran").exists(),
        "{}: the second ran while the first held",
        place.name
    );
    std::fs::write(files.join("a.release"), "").expect("release");
    let ran = first.wait_timeout(Duration::from_secs(20)).expect("exits");
    assert_eq!(ran.code, Some(0), "{}: {ran:?}", place.name);
    let ran = second.wait_timeout(Duration::from_secs(20)).expect("exits");
    assert_eq!(ran.code, Some(0), "{}: {ran:?}", place.name);
    assert!(files.join("b.ran").exists(), "{}", place.name);
    zk.assert_empty_soon(&path, Duration::from_secs(5));

    // elect: leads, runs, and leaves no leader behind.
    let election = unique_path(&format!("tour-elect-{}", place.name));
    let led = run(&mut with_servers(&[
        "elect",
        &election,
        "--",
        "sh",
        "-c",
        "echo leading",
    ]));
    assert_eq!(
        (led.code, led.stdout.as_str()),
        (Some(0), "leading\n"),
        "{}: {led:?}",
        place.name
    );
    let leader = run(&mut with_servers(&["elect", &election, "--leader"]));
    assert_eq!(leader.code, Some(3), "{}: {leader:?}", place.name);

    // watch: the first change of a node.
    let watched = unique_path(&format!("tour-watch-{}", place.name));
    zk.create(&watched, b"0");
    let watch = Background::spawn(&mut with_servers(&["watch", "--once", &watched]));
    let mut n = 0;
    let changed = eventually(Duration::from_secs(20), || {
        n += 1;
        zk.set(&watched, n.to_string().as_bytes());
        !alive(watch.pid())
    });
    let ran = watch.wait_timeout(Duration::from_secs(5)).expect("exits");
    assert!(changed, "{}: watch saw no change", place.name);
    assert_eq!(ran.code, Some(0), "{}: {ran:?}", place.name);
    assert!(ran.stdout.contains(&watched), "{}: {ran:?}", place.name);
    zk.delete(&watched);

    // The guard: a stopped zklock's command is killed by its watchdog before the lease ends,
    // and zklock, continued, says the lock was lost.
    let guarded = unique_path(&format!("tour-guard-{}", place.name));
    let script = "echo $$ > pid; touch held; while :; do sleep 0.02; done";
    // Stopped as soon as the command runs: the watchdog guards it from before its exec (its
    // timer armed before the spawn, its group published by the command itself), on each
    // spawn path this place takes.
    let holder = holding(&guarded, script, "held");
    let pid: i32 = read(&files.join("pid")).trim().parse().expect("pid");
    holder.signal(libc::SIGSTOP);
    let killed = eventually(Duration::from_secs(20), || !alive(pid));
    holder.signal(libc::SIGCONT);
    if !killed {
        // SAFETY: kill on the command this test started.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
    assert!(
        killed,
        "{}: the watchdog did not kill the command of a stopped zklock",
        place.name
    );
    let ran = holder.wait_timeout(Duration::from_secs(30)).expect("exits");
    assert_eq!(ran.code, Some(79), "{}: {ran:?}", place.name);
    zk.assert_empty_soon(&guarded, Duration::from_secs(15));
}

#[test]
fn the_static_binary_takes_the_tour_in_a_debian_11_root() {
    let (Some(root), Some(binary)) = (debian11(), static_binary("x86_64")) else {
        return skipped("no Debian 11 root in target/debian11/root or no x86_64 static binary");
    };
    tour(
        &Place::in_root("musl", root.clone(), &binary, None),
        Some(&root),
    );
}

/// Docker's default seccomp profile answers clone3 with ENOSYS: the command is forked.
#[test]
fn the_static_binary_takes_the_tour_in_a_debian_11_root_under_a_seccomp_filter() {
    let (Some(root), Some(binary)) = (debian11(), static_binary("x86_64")) else {
        return skipped("no Debian 11 root in target/debian11/root or no x86_64 static binary");
    };
    let place = Place::in_root("musl-seccomp", root.clone(), &binary, Some("no-clone3"));
    tour(&place, Some(&root));
}

/// Under qemu-user: no clone3, and no PR_SET_CHILD_SUBREAPER (qemu refuses it), which `-v`
/// names.
#[test]
fn the_aarch64_static_binary_takes_the_tour_under_qemu() {
    let Some(binary) = static_binary("aarch64") else {
        return skipped("no aarch64 static binary");
    };
    if Command::new("qemu-aarch64")
        .arg("--version")
        .output()
        .is_err()
    {
        return skipped("no qemu-aarch64 (Debian's qemu-user)");
    }
    let place = Place::emulated("aarch64", "qemu-aarch64", binary);
    tour(&place, None);
    // What the environment lacks, in one -v line.
    let servers = shared().connect();
    let dir = test_dir(&place, None, "weaker");
    let path = unique_path("qemu-weaker");
    let ran = run(&mut (place.command)(
        &dir,
        &["-s", &servers, "-v", "--no-cgroup", &path, "--", "true"],
    ));
    assert_eq!(ran.code, Some(0), "{ran:?}");
    let weaker: Vec<&str> = ran
        .stderr
        .lines()
        .filter(|l| l.contains("weaker here"))
        .collect();
    assert_eq!(weaker.len(), 1, "{}", ran.stderr);
    assert!(
        weaker[0].contains("no cgroup (--no-cgroup)"),
        "{}",
        ran.stderr
    );
    Zk::connect(&servers).assert_empty_soon(&path, Duration::ZERO);
}

/// `cargo build --release` inside the Debian 11 root (tests/run.sh does it) makes a binary
/// that runs there: no DT_RELR (glibc 2.36+) and nothing newer than that glibc.
#[test]
fn the_build_made_in_a_debian_11_root_runs_there() {
    let Some(root) = debian11() else {
        return skipped("no Debian 11 root in target/debian11/root");
    };
    let binary = target().join("debian11/build/release/zklock");
    if !binary.is_file() {
        return skipped("no build from the Debian 11 root in target/debian11/build");
    }
    let dynamic = run(Command::new("readelf").arg("-d").arg(&binary));
    assert!(!dynamic.stdout.contains("RELR"), "{}", dynamic.stdout);
    tour(
        &Place::in_root("glibc231", root.clone(), &binary, None),
        Some(&root),
    );
}
