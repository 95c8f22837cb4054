//! Real ZooKeeper servers from Debian's `zookeeper` package, on loopback, with a short tickTime
//! so session expiry takes seconds. Every server is killed by PID: owned ones on drop, the
//! shared one by the parent-death signal when the test process exits.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// tickTime of every test server: sessions may be negotiated from 400 ms to 20 s.
pub const TICK_MS: u64 = 200;

const CLASSPATH: &str = "/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-nop.jar";

/// One ZooKeeper server process.
pub struct Server {
    pub port: u16,
    child: Option<Child>,
    dir: PathBuf,
    config: PathBuf,
    /// Extra JVM arguments and classpath entries (a JAAS file, netty-codec for TLS).
    jvm: Vec<String>,
    classpath: String,
    /// A TLS-only server has no plaintext port to ask `srvr` on.
    tls_only: bool,
}

static SHARED: OnceLock<Server> = OnceLock::new();

/// The standalone server shared by every test of this test binary.
pub fn shared() -> &'static Server {
    SHARED.get_or_init(|| spawn_shared(Server::standalone))
}

/// Runs `start` (which starts processes that `die_with_this_thread`) on a thread that lives as
/// long as the test process: the parent-death signal fires when the forking *thread* exits,
/// and test threads come and go. What `start` returns is handed back.
pub fn spawn_shared<T: Send + 'static>(start: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        tx.send(start()).expect("test thread waits for it");
        loop {
            std::thread::park();
        }
    });
    rx.recv().expect("the shared thread answers")
}

/// SIGKILLs the process `command` starts when the thread that starts it exits (with the test
/// process, for a thread of `spawn_shared`).
pub fn die_with_this_thread(command: &mut Command) {
    // SAFETY: prctl is async-signal-safe; it only sets this child's parent-death signal.
    unsafe {
        command.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0);
            Ok(())
        });
    }
}

/// A free loopback port (the OS picks it; a race with other processes is unlikely).
/// A port for a server to listen on: below the kernel's ephemeral range (32768 and up on
/// Linux), so that no outgoing connection of another test can take it between this check and
/// the server's bind, and never the same one twice in one test process.
pub fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
    let mut x = std::process::id() as u64
        ^ std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1);
    for _ in 0..10_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let port = 20_000 + (x % 12_000) as u16;
        if !given.contains(&port) && TcpListener::bind(("127.0.0.1", port)).is_ok() {
            given.push(port);
            return port;
        }
    }
    panic!("no free port below 32000")
}

fn scratch_dir(kind: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "{kind}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

impl Server {
    /// Starts a standalone server on a free port and waits until it serves.
    pub fn standalone() -> Server {
        let dir = scratch_dir("zk");
        let port = free_port();
        let config = dir.join("zoo.cfg");
        std::fs::write(&config, config_text(&dir, port, "")).expect("zoo.cfg");
        let mut server = Server::with_config(port, dir, config);
        server.start();
        server
    }

    /// Starts a standalone server from `zoo.cfg` lines added to the usual ones, with extra JVM
    /// arguments and classpath entries; `tls_only` when its only port is `secureClientPort`.
    pub fn custom(
        kind: &str,
        config_extra: impl Fn(&std::path::Path, u16) -> String,
        jvm: Vec<String>,
        classpath_extra: &str,
        tls_only: bool,
    ) -> Server {
        let dir = scratch_dir(kind);
        let port = free_port();
        let config = dir.join("zoo.cfg");
        let mut text = config_text(&dir, port, &config_extra(&dir, port));
        if tls_only {
            text = text
                .lines()
                .filter(|l| !l.starts_with("clientPort"))
                .map(|l| format!("{l}\n"))
                .collect();
        }
        std::fs::write(&config, text).expect("zoo.cfg");
        let mut server = Server::with_config(port, dir, config);
        server.jvm = jvm;
        server.classpath = format!("{CLASSPATH}:{classpath_extra}");
        server.tls_only = tls_only;
        server.start();
        server
    }

    /// The server's scratch directory (certificates and JAAS files live there).
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// The connect string of this server.
    pub fn connect(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub(crate) fn with_config(port: u16, dir: PathBuf, config: PathBuf) -> Server {
        Server {
            port,
            child: None,
            dir,
            config,
            jvm: Vec::new(),
            classpath: CLASSPATH.to_string(),
            tls_only: false,
        }
    }

    /// Starts (or restarts) the JVM; returns once it serves clients.
    pub fn start(&mut self) {
        self.spawn();
        self.wait_serving(Duration::from_secs(30));
    }

    /// Starts the JVM without waiting (an ensemble member serves only once a quorum is up).
    pub fn spawn(&mut self) {
        let mut command = Command::new("java");
        command
            .args(["-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"])
            // Lock directories are container nodes: the server deletes empty ones at each check
            // (every minute by default). An hour keeps a test's directories for the test; the
            // container test shortens it (its own -D comes later and wins).
            .arg("-Dznode.container.checkIntervalMs=3600000")
            .args(&self.jvm)
            .args(["-cp", &self.classpath])
            .arg("-Dzookeeper.admin.enableServer=false")
            .arg("org.apache.zookeeper.server.quorum.QuorumPeerMain")
            .arg(&self.config)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        die_with_this_thread(&mut command);
        self.child = Some(
            command
                .spawn()
                .expect("java runs (apt-get install zookeeper)"),
        );
    }

    /// Waits until the server answers `srvr` with its mode (standalone, leader or follower).
    pub fn wait_serving(&self, limit: Duration) {
        let deadline = Instant::now() + limit;
        let serving = || {
            if self.tls_only {
                // No plaintext port: the secure port accepts once the server is up; clients
                // retry through the moment before its database is loaded.
                TcpStream::connect(("127.0.0.1", self.port)).is_ok()
            } else {
                self.srvr().contains("Mode: ")
            }
        };
        while !serving() {
            assert!(
                Instant::now() < deadline,
                "ZooKeeper on port {} did not start",
                self.port
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Kills the JVM (SIGKILL) and reaps it.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Sends SIGSTOP or SIGCONT to the JVM.
    pub fn signal(&self, sig: i32) {
        if let Some(child) = &self.child {
            // SAFETY: kill on a pid we own.
            unsafe { libc::kill(child.id() as i32, sig) };
        }
    }

    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// The `srvr` answer, e.g. to read `Mode: leader`.
    pub fn srvr(&self) -> String {
        four_letter(self.port, "srvr").unwrap_or_default()
    }

    /// How many requests the server has received, by its own count (`srvr`'s `Received`).
    #[allow(dead_code)] // not every test binary counts requests
    pub fn received(&self) -> u64 {
        self.srvr()
            .lines()
            .find_map(|l| l.strip_prefix("Received: "))
            .and_then(|n| n.trim().parse().ok())
            .expect("srvr says Received")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub(crate) fn config_text(dir: &std::path::Path, port: u16, extra: &str) -> String {
    format!(
        "tickTime={TICK_MS}\ninitLimit=20\nsyncLimit=10\ndataDir={}\nclientPort={port}\n\
         clientPortAddress=127.0.0.1\nminSessionTimeout={}\nmaxSessionTimeout=20000\n\
         4lw.commands.whitelist=*\nadmin.enableServer=false\n{extra}",
        dir.display(),
        2 * TICK_MS
    )
}

pub(crate) fn scratch(kind: &str) -> PathBuf {
    scratch_dir(kind)
}

/// Sends a ZooKeeper four-letter word and returns the answer, or None when nobody answers.
pub fn four_letter(port: u16, word: &str) -> Option<String> {
    let mut stream =
        TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(500))
            .ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    stream.write_all(word.as_bytes()).ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    Some(answer)
}
