//! Shared test setup: real ZooKeeper servers, a fault proxy, a runner for the zklock binary, and
//! a client to look at what was left in ZooKeeper.
#![allow(dead_code, unused_imports)]

pub mod ensemble;
pub mod kdc;
pub mod peers;
pub mod proxy;
pub mod secure;
pub mod server;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub use ensemble::Ensemble;
pub use proxy::Proxy;
pub use server::{Server, free_port, shared};

/// Session timeout the tests request unless they need another: long enough that a 1–2 s CPU
/// stall of a loaded 2-core CI machine never trips the lease (the kill signal goes 3.5 s after
/// the last answered probe, probes every second), short enough that expiry cases take
/// seconds. Tests about the lease itself ask for a shorter one.
pub const SESSION: &str = "10s";

/// `zklock -s <servers> --session-timeout 10s --connect-timeout 5s`, with ZKLOCK_* cleared.
/// With ZKLOCK_TEST_CONFINE set (tests/run.sh), zklock runs under `tests/support/confine`
/// in that mode, on its fallback paths, with the same pid.
pub fn zklock(servers: &str) -> Command {
    let mut command = match std::env::var("ZKLOCK_TEST_CONFINE") {
        Ok(mode) if !mode.is_empty() => {
            let mut confined = Command::new(confine());
            confined.args([mode.as_str(), env!("CARGO_BIN_EXE_zklock")]);
            confined
        }
        _ => Command::new(env!("CARGO_BIN_EXE_zklock")),
    };
    for var in [
        "ZKLOCK_SERVERS",
        "ZKLOCK_AUTH",
        "ZKLOCK_TLS",
        "ZKLOCK_TLS_CA",
        "ZKLOCK_TLS_CERT",
        "ZKLOCK_TLS_KEY",
        "ZKLOCK_SASL_USER",
        "ZKLOCK_SASL_PASSWORD",
        "ZKLOCK_SASL_PASSWORD_FILE",
        "ZKLOCK_SASL_MECHANISM",
        "ZKLOCK_SASL_SERVICE",
        "ZKLOCK_CLIENT_CONFIG",
        "ZKLOCK_ACL",
    ] {
        command.env_remove(var);
    }
    command.args([
        "-s",
        servers,
        "--session-timeout",
        SESSION,
        "--connect-timeout",
        "5s",
    ]);
    command
}

/// tests/support/confine: runs a command with a fast path of zklock's taken away.
pub fn confine() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/confine")
}

/// Runs a set-up tool (openssl, kinit, kadmin.local...) to its end and insists it succeeded.
pub fn succeed(command: &mut Command) {
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("{:?} does not run: {e}", command.get_program()));
    assert!(
        out.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The one line a refusal or usage error prints on stderr.
pub fn one_line(ran: &Ran) -> &str {
    assert_eq!(ran.stderr.lines().count(), 1, "not one line: {ran:?}");
    ran.stderr.trim_end()
}

/// A lock path no other test uses.
pub fn unique_path(name: &str) -> String {
    format!("/t/{name}-{}", std::process::id())
}

/// What a finished zklock did.
#[derive(Debug)]
pub struct Ran {
    pub code: Option<i32>,
    /// The signal that ended it, if one did.
    pub signal: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Ran {
    fn from(o: Output) -> Ran {
        Ran {
            code: o.status.code(),
            signal: std::os::unix::process::ExitStatusExt::signal(&o.status),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

/// Runs to completion (killing it after 60 s, which fails the test).
pub fn run(command: &mut Command) -> Ran {
    let bg = Background::spawn(command);
    bg.wait_timeout(Duration::from_secs(60))
        .expect("zklock finished within 60 s")
}

/// A zklock running in the background; killed by PID (SIGKILL) if still running when dropped.
pub struct Background {
    child: Option<Child>,
}

impl Background {
    pub fn spawn(command: &mut Command) -> Background {
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn zklock");
        Background { child: Some(child) }
    }

    pub fn pid(&self) -> i32 {
        self.child.as_ref().map(|c| c.id() as i32).unwrap_or(-1)
    }

    pub fn signal(&self, sig: i32) {
        // SAFETY: kill on a pid we spawned and have not reaped.
        unsafe { libc::kill(self.pid(), sig) };
    }

    /// Waits up to `limit`; None (and the process killed) when it did not finish.
    pub fn wait_timeout(mut self, limit: Duration) -> Option<Ran> {
        let deadline = Instant::now() + limit;
        let mut child = self.child.take()?;
        loop {
            if let Ok(Some(_)) = child.try_wait() {
                return Some(child.wait_with_output().expect("output").into());
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Polls `condition` every 10 ms until it holds or `limit` passes.
pub fn eventually(limit: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if condition() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A scratch directory for files the commands write.
pub fn workdir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("work-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("workdir");
    dir
}

pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// True while a process with this pid exists (and is not a zombie).
pub fn alive(pid: i32) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    !stat.is_empty() && !stat.contains(") Z ")
}

/// A current-thread tokio runtime driven by a thread of its own, so that what a client spawns
/// (its session: pings, reconnects) runs between the test's `block_on` calls.
///
/// Not tokio's multi-thread runtime, which would do the same: in a test build, the features of
/// dev-dependencies reach the package's binary too, and that scheduler would bring libm into
/// the zklock binary that the tests and the benchmark run, which the shipped one does not load.
pub struct Driven {
    handle: tokio::runtime::Handle,
    stop: std::sync::Arc<Stop>,
    driver: Option<std::thread::JoinHandle<()>>,
}

/// Tells the driving thread to end: a flag and the waker of its future.
#[derive(Default)]
struct Stop(std::sync::Mutex<(bool, Option<std::task::Waker>)>);

impl Driven {
    pub fn new() -> Driven {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let handle = runtime.handle().clone();
        let stop = std::sync::Arc::new(Stop::default());
        let until = stop.clone();
        let driver = std::thread::spawn(move || {
            runtime.block_on(std::future::poll_fn(|cx| {
                let mut state = until.0.lock().expect("stop");
                if state.0 {
                    return std::task::Poll::Ready(());
                }
                state.1 = Some(cx.waker().clone());
                std::task::Poll::Pending
            }))
        });
        Driven {
            handle,
            stop,
            driver: Some(driver),
        }
    }

    /// Runs `future` on the calling thread; the driving thread runs the runtime's I/O,
    /// timers and spawned tasks meanwhile.
    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.handle.block_on(future)
    }
}

impl Drop for Driven {
    fn drop(&mut self) {
        let waker = {
            let mut state = self.stop.0.lock().expect("stop");
            state.0 = true;
            state.1.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
        if let Some(driver) = self.driver.take() {
            let _ = driver.join();
        }
    }
}

/// A ZooKeeper client for the tests to look at and disturb the tree.
pub struct Zk {
    // Dropped after the client, whose close it runs.
    client: zookeeper_client::Client,
    runtime: Driven,
}

impl Zk {
    pub fn connect(servers: &str) -> Zk {
        Zk::connect_with(zookeeper_client::Client::connector(), servers, false)
    }

    /// Connects with a connector set up by the caller (TLS, SASL); `secure`: TLS to every host.
    pub fn connect_with(connector: zookeeper_client::Connector, servers: &str, secure: bool) -> Zk {
        let runtime = Driven::new();
        let connector = connector.with_session_timeout(Duration::from_secs(10));
        let client = runtime
            .block_on(async {
                if secure {
                    connector.secure_connect(servers).await
                } else {
                    connector.connect(servers).await
                }
            })
            .expect("test client connects");
        Zk { runtime, client }
    }

    /// Children of `path`, sorted; empty when `path` does not exist.
    pub fn children(&self, path: &str) -> Vec<String> {
        let mut children = self
            .runtime
            .block_on(self.client.list_children(path))
            .unwrap_or_default();
        children.sort();
        children
    }

    pub fn exists(&self, path: &str) -> bool {
        matches!(
            self.runtime.block_on(self.client.check_stat(path)),
            Ok(Some(_))
        )
    }

    /// Deletes `path`, or says why the server would not.
    pub fn try_delete(&self, path: &str) -> Result<(), zookeeper_client::Error> {
        self.runtime.block_on(self.client.delete(path, None))
    }

    pub fn delete(&self, path: &str) {
        self.runtime
            .block_on(self.client.delete(path, None))
            .expect("delete");
    }

    pub fn data(&self, path: &str) -> Vec<u8> {
        self.runtime
            .block_on(self.client.get_data(path))
            .map(|(d, _)| d)
            .unwrap_or_default()
    }

    /// Waits until `path` has no children (expired sessions take a moment to be cleaned).
    pub fn assert_empty_soon(&self, path: &str, limit: Duration) {
        let ok = eventually(limit, || self.children(path).is_empty());
        assert!(ok, "{path} still holds {:?}", self.children(path));
    }

    /// Waits until `path` holds exactly `n` children.
    pub fn wait_children(&self, path: &str, n: usize, limit: Duration) -> Vec<String> {
        assert!(
            eventually(limit, || self.children(path).len() == n),
            "{path} never had {n} children: {:?}",
            self.children(path)
        );
        self.children(path)
    }
}

/// A zklock holding `path` with a command that waits for its release file.
pub struct Holder {
    pub process: Background,
    pub dir: PathBuf,
}

/// Starts a holder through `servers` and waits until its command runs.
pub fn hold(servers: &str, path: &str, name: &str) -> Holder {
    hold_with(servers, path, name, &[])
}

/// `hold` with extra zklock options, e.g. `["--id", "db1"]`.
pub fn hold_with(servers: &str, path: &str, name: &str, options: &[&str]) -> Holder {
    let script = "echo $$ > pid; touch held; while [ ! -e release ]; do sleep 0.02; done";
    hold_running(servers, path, name, options, script)
}

/// Starts zklock with `options` running `sh -c script` in a fresh work directory, and waits
/// until the script has touched `held` there.
pub fn hold_running(
    servers: &str,
    path: &str,
    name: &str,
    options: &[&str],
    script: &str,
) -> Holder {
    let dir = workdir(name);
    let process = Background::spawn(
        zklock(servers)
            .args(options)
            .arg(path)
            .args(["--", "sh", "-c", script])
            .current_dir(&dir),
    );
    assert!(
        eventually(Duration::from_secs(15), || dir.join("held").exists()),
        "holder of {path} never ran"
    );
    Holder { process, dir }
}

impl Holder {
    /// Lets the command finish and returns how zklock exited.
    pub fn release(self) -> Ran {
        std::fs::write(self.dir.join("release"), "").expect("release file");
        self.process
            .wait_timeout(Duration::from_secs(20))
            .expect("holder exits after release")
    }

    /// The pid of the holder's command.
    pub fn command_pid(&self) -> i32 {
        read(&self.dir.join("pid")).trim().parse().unwrap_or(-1)
    }
}

impl Zk {
    /// Connects authenticated as `digest:user:secret` and creates `path` writable only by that
    /// identity (world may read).
    pub fn create_protected(servers: &str, path: &str, user_secret: &str) -> Zk {
        let zk = Zk::connect(servers);
        let client = zk.client.clone();
        zk.runtime.block_on(async {
            client
                .auth("digest", user_secret.as_bytes())
                .await
                .expect("auth");
            let open = zookeeper_client::CreateMode::Persistent
                .with_acls(zookeeper_client::Acls::anyone_all());
            let _ = client.create("/t", b"", &open).await;
            let acls = zookeeper_client::CreateMode::Persistent
                .with_acls(zookeeper_client::Acls::creator_all());
            client
                .create(path, b"", &acls)
                .await
                .expect("create protected node");
        });
        zk
    }
}

impl Zk {
    /// Creates a persistent node (and its parents) with `data`.
    pub fn create(&self, path: &str, data: &[u8]) {
        let open = zookeeper_client::CreateMode::Persistent
            .with_acls(zookeeper_client::Acls::anyone_all());
        if let Some((parent, _)) = path.rsplit_once('/').filter(|(p, _)| !p.is_empty()) {
            let _ = self.runtime.block_on(self.client.mkdir(parent, &open));
        }
        self.runtime
            .block_on(self.client.create(path, data, &open))
            .expect("create");
    }

    /// The node's creation zxid (what zklock gives its command as the fencing token).
    pub fn czxid(&self, path: &str) -> i64 {
        self.runtime
            .block_on(self.client.check_stat(path))
            .expect("stat")
            .expect("the node exists")
            .czxid
    }

    pub fn set(&self, path: &str, data: &[u8]) {
        self.runtime
            .block_on(self.client.set_data(path, data, None))
            .expect("set_data");
    }

    /// Creates persistent nodes, parents before children, thousands at a time (pipelined).
    pub fn create_all(&self, nodes: &[(String, Vec<u8>)]) {
        let open = zookeeper_client::CreateMode::Persistent
            .with_acls(zookeeper_client::Acls::anyone_all());
        for chunk in nodes.chunks(5000) {
            self.runtime.block_on(async {
                let pending: Vec<_> = chunk
                    .iter()
                    .map(|(path, data)| self.client.create(path, data, &open))
                    .collect();
                for (reply, (path, _)) in pending.into_iter().zip(chunk) {
                    match reply.await {
                        Ok(_) | Err(zookeeper_client::Error::NodeExists) => {}
                        Err(e) => panic!("create {path}: {e}"),
                    }
                }
            });
        }
    }

    /// Deletes `path` and everything below it, a level at a time (pipelined).
    pub fn delete_tree(&self, path: &str) {
        let mut levels = vec![vec![path.to_string()]];
        while let Some(level) = levels.last().filter(|l| !l.is_empty()) {
            let below = self.runtime.block_on(async {
                let mut below = Vec::new();
                for chunk in level.chunks(5000) {
                    let pending: Vec<_> =
                        chunk.iter().map(|p| self.client.list_children(p)).collect();
                    for (reply, parent) in pending.into_iter().zip(chunk) {
                        for name in reply.await.unwrap_or_default() {
                            below.push(format!("{parent}/{name}"));
                        }
                    }
                }
                below
            });
            levels.push(below);
        }
        for level in levels.iter().rev() {
            self.runtime.block_on(async {
                for chunk in level.chunks(5000) {
                    let pending: Vec<_> =
                        chunk.iter().map(|p| self.client.delete(p, None)).collect();
                    for reply in pending {
                        let _ = reply.await;
                    }
                }
            });
        }
    }
}

/// A process whose stdout and stderr go to files the test can read while it runs.
pub struct Streaming {
    pub process: Background,
    pub stdout: PathBuf,
    pub stderr: PathBuf,
}

impl Streaming {
    pub fn spawn(command: &mut Command, name: &str) -> Streaming {
        let dir = workdir(name);
        let (stdout, stderr) = (dir.join("stdout"), dir.join("stderr"));
        let child = command
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&stdout).expect("stdout file"))
            .stderr(std::fs::File::create(&stderr).expect("stderr file"))
            .spawn()
            .expect("spawn");
        Streaming {
            process: Background { child: Some(child) },
            stdout,
            stderr,
        }
    }

    pub fn lines(&self) -> Vec<String> {
        read(&self.stdout).lines().map(String::from).collect()
    }

    /// Waits until stdout has at least `n` lines.
    pub fn wait_lines(&self, n: usize, limit: Duration) -> Vec<String> {
        assert!(
            eventually(limit, || self.lines().len() >= n),
            "wanted {n} lines, got {:?}; stderr: {}",
            self.lines(),
            read(&self.stderr)
        );
        self.lines()
    }

    /// Waits until stderr contains `text`.
    pub fn wait_stderr(&self, text: &str, limit: Duration) {
        assert!(
            eventually(limit, || read(&self.stderr).contains(text)),
            "stderr never said {text:?}: {}",
            read(&self.stderr)
        );
    }
}

/// A command that writes a heartbeat (nanoseconds since the epoch) every few ms.
pub const HEARTBEAT: &str = "echo $$ > pid; while :; do date +%s%N >> hb; sleep 0.005; done";

pub fn heartbeats(dir: &Path) -> Vec<u128> {
    read(&dir.join("hb"))
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect()
}

/// The one overlap checker of the suite, for logs of critical sections: lines
/// `start <ns> <tag>` and `end <ns> <tag>` (other lines are ignored), written by the commands
/// and peers that held a lock. Asserts that no section started before the previous one ended,
/// by the log's order and by the clock, and returns the tags in the order they held.
pub fn assert_turns_apart(log: &Path) -> Vec<String> {
    let text = read(log);
    let mut open: Option<(String, u128)> = None;
    let mut last_end = 0u128;
    let mut turns = Vec::new();
    for line in text.lines() {
        let fields: Vec<&str> = line.split(' ').collect();
        let [what @ ("start" | "end"), at, tag] = fields[..] else {
            continue;
        };
        let at: u128 = at
            .parse()
            .unwrap_or_else(|_| panic!("bad time in {line:?}"));
        if what == "start" {
            assert!(open.is_none(), "two holders at once:\n{text}");
            assert!(at > last_end, "{tag} started before the last end:\n{text}");
            open = Some((tag.to_string(), at));
        } else {
            let (started, _) = open
                .take()
                .unwrap_or_else(|| panic!("end without start:\n{text}"));
            assert_eq!(started, tag, "end of another holder:\n{text}");
            last_end = at;
            turns.push(started);
        }
    }
    assert!(open.is_none(), "a holder never ended:\n{text}");
    turns
}

/// Each tag's (start, end) in a critical-section log (see `assert_turns_apart`); an end not yet
/// written reads as `u128::MAX`.
pub fn spans(log: &Path) -> std::collections::BTreeMap<String, (u128, u128)> {
    let mut spans = std::collections::BTreeMap::new();
    for line in read(log).lines() {
        let fields: Vec<&str> = line.split(' ').collect();
        let [what @ ("start" | "end"), at, tag] = fields[..] else {
            continue;
        };
        let at: u128 = at.parse().expect("ns");
        let span = spans.entry(tag.to_string()).or_insert((0, u128::MAX));
        if what == "start" {
            span.0 = at;
        } else {
            span.1 = at;
        }
    }
    spans
}

/// The most holders that were ever inside at once, by a critical-section log's times.
pub fn most_at_once(log: &Path) -> usize {
    let mut events: Vec<(u128, i32)> = Vec::new();
    for (start, end) in spans(log).into_values() {
        // An end sorts before a start at the same instant.
        events.extend([(start, 1), (end, -1)]);
    }
    events.sort();
    let (mut now, mut most) = (0i32, 0i32);
    for (_, step) in events {
        now += step;
        most = most.max(now);
    }
    most as usize
}

/// `zklock <options> <path> -- sh -c ...` whose command logs `start`/`end` with `tag` in `log`
/// and holds until a `release` file exists in its own work directory (returned).
pub fn logged_holder(path: &str, log: &Path, tag: &str, options: &[&str]) -> (Background, PathBuf) {
    let dir = workdir(&format!("logged-{tag}"));
    let script = format!(
        "echo start $(date +%s%N) {tag} >> {0}; touch held; while [ ! -e release ]; do sleep 0.02; done; \
         echo end $(date +%s%N) {tag} >> {0}",
        log.display()
    );
    let process = Background::spawn(
        zklock(&shared().connect())
            .args(options)
            .args([path, "--", "sh", "-c", &script])
            .current_dir(&dir),
    );
    (process, dir)
}

/// What happened to holder A and waiter B in an `overlap_scenario`.
pub struct Overlap {
    /// How A's zklock exited.
    pub ran_a: Ran,
    /// A's command's last heartbeat and B's first, in nanoseconds since the epoch.
    pub last_a: u128,
    pub first_b: u128,
    /// A's command's pid.
    pub pid_a: i32,
}

impl Overlap {
    /// A's last heartbeat came before B's first: the property every safety test checks.
    pub fn assert_apart(&self) {
        assert!(
            self.last_a < self.first_b,
            "overlap: A beat at {}, B started at {}",
            self.last_a,
            self.first_b
        );
        eprintln!("margin: {} ms", (self.first_b - self.last_a) / 1_000_000);
    }

    /// The negative controls' check: A beat after B started, so the scenario can catch an
    /// overlap when the protection is off.
    pub fn assert_overlapped(&self, what: &str) {
        assert!(
            self.last_a > self.first_b,
            "no overlap {what}: the test could not catch one"
        );
    }
}

/// The scenario behind the "never held twice" tests. Holder A (`a`, a zklock command that
/// still needs its lock path and command) runs a heartbeat with a 2 s session; B waits
/// directly at `servers` with `options`. Once B queues, `disturb` is done to A (freeze its
/// link, stop its zklock); once B has run, `recover` (continue A). `zk` looks at the lock
/// directory, which must end empty.
pub fn overlap_scenario(
    name: &str,
    mut a: Command,
    servers: &str,
    options: &[String],
    zk: &Zk,
    disturb: impl FnOnce(&Background),
    recover: impl FnOnce(&Background),
) -> Overlap {
    let path = unique_path(name);
    let (dir_a, dir_b) = (workdir(&format!("{name}-a")), workdir(&format!("{name}-b")));
    a.args([
        "--session-timeout",
        "2s",
        &path,
        "--",
        "sh",
        "-c",
        HEARTBEAT,
    ])
    .current_dir(&dir_a);
    let a = Background::spawn(&mut a);
    assert!(
        eventually(Duration::from_secs(15), || heartbeats(&dir_a).len() > 3),
        "A never ran"
    );
    let b_script = "date +%s%N >> hb; sleep 0.3; date +%s%N >> hb";
    let b = Background::spawn(
        zklock(servers)
            .args(options)
            .args(["-w", "30s", &path, "--", "sh", "-c", b_script])
            .current_dir(&dir_b),
    );
    // With --limit, the contenders are the leases below the path.
    let queue = if options.iter().any(|o| o == "--limit") {
        format!("{path}/leases")
    } else {
        path.clone()
    };
    zk.wait_children(&queue, 2, Duration::from_secs(10));
    disturb(&a);
    let ran_b = b
        .wait_timeout(Duration::from_secs(30))
        .expect("B runs once A's session is gone");
    recover(&a);
    let ran_a = a
        .wait_timeout(Duration::from_secs(20))
        .expect("A exits once its session is gone");
    assert_eq!(ran_b.code, Some(0), "{ran_b:?}");
    let pid_a: i32 = read(&dir_a.join("pid")).trim().parse().expect("pid");
    assert!(!alive(pid_a), "A's command outlived zklock");
    zk.assert_empty_soon(&queue, Duration::from_secs(10));
    Overlap {
        ran_a,
        last_a: *heartbeats(&dir_a).last().expect("A beat"),
        first_b: *heartbeats(&dir_b).first().expect("B beat"),
        pid_a,
    }
}

/// Holder A goes through a proxy to the server on `port`, which freezes; B waits directly at
/// `servers`. Both get `options` (TLS files, say).
pub fn partition_holder(
    name: &str,
    port: u16,
    servers: &str,
    options: &[String],
    zk: &Zk,
    unsafe_no_lease: bool,
) -> Overlap {
    let proxy = Proxy::start(port);
    let mut a = zklock(&proxy.connect());
    a.args(options);
    if unsafe_no_lease {
        a.env("ZKLOCK_UNSAFE_NO_LEASE", "1");
    }
    overlap_scenario(name, a, servers, options, zk, |_| proxy.freeze(), |_| {})
}

/// The fields of each line of `ls -l` output (12 a line, the name last; it may hold spaces).
pub fn long_fields(stdout: &str) -> Vec<Vec<String>> {
    stdout
        .lines()
        .map(|line| {
            let mut rest = line;
            let mut fields = Vec::new();
            for _ in 0..11 {
                let trimmed = rest.trim_start();
                let end = trimmed.find(' ').unwrap_or(trimmed.len());
                fields.push(trimmed[..end].to_string());
                rest = &trimmed[end..];
            }
            fields.push(rest.trim_start().to_string());
            fields
        })
        .collect()
}

/// Each `ls -l` line's role and position as one string: `holder`, `waiting 1`, `lease 1/2`.
pub fn long_roles(stdout: &str) -> Vec<String> {
    long_fields(stdout)
        .into_iter()
        .map(|f| match f[8].as_str() {
            "-" => f[7].clone(),
            pos => format!("{} {pos}", f[7]),
        })
        .collect()
}

/// What every secured-server test asks of a login besides `lock` and `ls`: `elect` whose
/// command, a nested `elect --leader`, has only the environment (`env`, on top of what
/// `outer` carries) to go on; and `watch --once`, run by `watcher` (which gets `-v watch
/// --once`), woken by `zk` creating `<path>-ready`. Returns what the watch printed.
pub fn elect_and_watch(
    mut outer: Command,
    env: &[(&str, std::ffi::OsString)],
    mut watcher: Command,
    zk: &Zk,
    path: &str,
) -> String {
    let leader = format!("{}-leader", path.rsplit('/').next().unwrap_or("x"));
    let nested = env!("CARGO_BIN_EXE_zklock");
    let ran = run(outer
        .envs(env.iter().map(|(k, v)| (k, v)))
        .args(["elect", path, "--id", &leader, "--", nested, "elect", path])
        .arg("--leader"));
    assert_eq!(ran.code, Some(0), "{ran:?}");
    assert_eq!(ran.stdout, format!("{leader}\n"));

    let ready = format!("{path}-ready");
    let watch = Streaming::spawn(
        watcher.args(["-v", "watch", "--once", &ready]),
        "watch-once",
    );
    watch.wait_stderr("watching", Duration::from_secs(15));
    zk.create(&ready, b"go");
    let ran = watch
        .process
        .wait_timeout(Duration::from_secs(15))
        .expect("watch --once exits after the event");
    assert_eq!(ran.code, Some(0), "{ran:?}");
    zk.delete(&ready);
    read(&watch.stdout)
}
