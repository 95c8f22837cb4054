//! A Kerberos realm of the test run's own (#17): an MIT KDC from Debian's `krb5-kdc` on a
//! loopback port, a throwaway database with the principals `zookeeper/localhost`, `alice` and
//! `bob` (each with a keytab), and a ZooKeeper server that logs in as `zookeeper/localhost`
//! through JAAS's Krb5LoginModule. krb5.conf is private (`KRB5_CONFIG`): the machine's own is
//! never read or changed. Both processes die with the test process (parent-death signal).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use super::server::{Server, die_with_this_thread, free_port, scratch, spawn_shared};
use super::succeed;

pub const REALM: &str = "ZKLOCK.TEST";

/// The tools the realm needs; a test run without them skips the Kerberos tests, saying so.
const TOOLS: &[(&str, &str)] = &[
    ("/usr/sbin/krb5kdc", "krb5-kdc"),
    ("/usr/sbin/kdb5_util", "krb5-kdc"),
    ("/usr/sbin/kadmin.local", "krb5-admin-server"),
    ("/usr/bin/kinit", "krb5-user"),
    ("/usr/bin/klist", "krb5-user"),
];

pub struct Kdc {
    dir: PathBuf,
    /// Kept for its lifetime: killed by its parent-death signal.
    _kdc: Child,
    server: Server,
}

/// The realm and its ZooKeeper server, made once per test process; None, after saying why,
/// when this build has no Kerberos or the machine lacks the KDC's tools.
pub fn realm() -> Option<&'static Kdc> {
    static KDC: OnceLock<Option<Kdc>> = OnceLock::new();
    KDC.get_or_init(|| {
        if !cfg!(feature = "gssapi") {
            skipped("built without the gssapi feature (cargo test --features gssapi)");
            return None;
        }
        let missing: Vec<&str> = TOOLS
            .iter()
            .filter(|(tool, _)| !Path::new(tool).exists())
            .map(|(_, package)| *package)
            .collect();
        if !missing.is_empty() {
            skipped(&format!("apt-get install {}", missing.join(" ")));
            return None;
        }
        Some(spawn_shared(Kdc::start))
    })
    .as_ref()
}

/// Says why, once, past the test harness's capture of `println!` (which shows only a failed
/// test's output), so the skip is seen in every run.
fn skipped(why: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "kerberos tests skipped: {why}");
}

impl Kdc {
    fn start() -> Kdc {
        let dir = scratch("kdc");
        let port = free_port();
        // clockskew = 1: an expired ticket is refused at once, not five minutes later.
        std::fs::write(
            dir.join("krb5.conf"),
            format!(
                "[libdefaults]\n  default_realm = {REALM}\n  dns_lookup_kdc = false\n  \
                 dns_lookup_realm = false\n  rdns = false\n  dns_canonicalize_hostname = false\n  \
                 udp_preference_limit = 1\n  clockskew = 1\n\
                 [realms]\n  {REALM} = {{\n    kdc = 127.0.0.1:{port}\n  }}\n"
            ),
        )
        .expect("krb5.conf");
        std::fs::write(
            dir.join("kdc.conf"),
            format!(
                "[kdcdefaults]\n  kdc_listen = 127.0.0.1:{port}\n  kdc_tcp_listen = 127.0.0.1:{port}\n\
                 [realms]\n  {REALM} = {{\n    database_name = {d}/principal\n    \
                 key_stash_file = {d}/stash\n    acl_file = {d}/kadm5.acl\n    max_life = 1h\n  }}\n\
                 [logging]\n  kdc = FILE:{d}/kdc.log\n",
                d = dir.display()
            ),
        )
        .expect("kdc.conf");
        let tool = |program: &str, args: &[&str]| {
            succeed(kerberos_env(Command::new(program), &dir).args(args));
        };
        tool(
            "kdb5_util",
            &["create", "-s", "-r", REALM, "-P", "throwaway-master-key"],
        );
        for principal in ["zookeeper/localhost", "alice", "bob"] {
            tool(
                "kadmin.local",
                &["-r", REALM, "-q", &format!("addprinc -randkey {principal}")],
            );
            let keytab = dir.join(keytab_name(principal));
            tool(
                "kadmin.local",
                &[
                    "-r",
                    REALM,
                    "-q",
                    &format!("ktadd -k {} {principal}", keytab.display()),
                ],
            );
        }
        let mut kdc = kerberos_env(Command::new("krb5kdc"), &dir);
        kdc.args(["-n", "-r", REALM])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        die_with_this_thread(&mut kdc);
        let kdc = kdc.spawn().expect("krb5kdc runs");
        let listening = super::eventually(Duration::from_secs(10), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        assert!(listening, "krb5kdc did not listen on port {port}");
        let jaas = dir.join("jaas.conf");
        std::fs::write(
            &jaas,
            format!(
                "Server {{\n  com.sun.security.auth.module.Krb5LoginModule required\n  \
                 useKeyTab=true\n  keyTab=\"{}\"\n  storeKey=true\n  useTicketCache=false\n  \
                 principal=\"zookeeper/localhost@{REALM}\";\n}};\n",
                dir.join(keytab_name("zookeeper/localhost")).display()
            ),
        )
        .expect("jaas.conf");
        let server = Server::custom(
            "zk-krb",
            |_, _| {
                "authProvider.1=org.apache.zookeeper.server.auth.SASLAuthenticationProvider\n"
                    .to_string()
            },
            vec![
                format!("-Djava.security.auth.login.config={}", jaas.display()),
                format!(
                    "-Djava.security.krb5.conf={}",
                    dir.join("krb5.conf").display()
                ),
            ],
            "",
            false,
        );
        Kdc {
            dir,
            _kdc: kdc,
            server,
        }
    }

    /// The Kerberized server's connect string: by name, as its principal
    /// (`zookeeper/localhost`) has it; the client asks for `zookeeper@<host as written>`.
    pub fn servers(&self) -> String {
        format!("localhost:{}", self.server.port)
    }

    /// The server's address by number (no principal names it).
    pub fn servers_by_ip(&self) -> String {
        self.server.connect()
    }

    /// The private krb5.conf, for `KRB5_CONFIG`.
    pub fn config(&self) -> PathBuf {
        self.dir.join("krb5.conf")
    }

    pub fn keytab(&self, principal: &str) -> PathBuf {
        self.dir.join(keytab_name(principal))
    }

    /// A ticket cache path no one has used yet (so holds no ticket).
    pub fn fresh_cache(&self, name: &str) -> PathBuf {
        static N: AtomicUsize = AtomicUsize::new(0);
        self.dir.join(format!(
            "{name}-{}.ccache",
            N.fetch_add(1, Ordering::SeqCst)
        ))
    }

    /// `kinit -k -t <keytab> <principal>` into a cache of its own, for `lifetime` (kinit's
    /// `-l`) or the realm's default; returns the cache.
    pub fn kinit(&self, principal: &str, lifetime: Option<&str>) -> PathBuf {
        let cache = self.fresh_cache(principal);
        let mut kinit = kerberos_env(Command::new("kinit"), &self.dir);
        kinit.arg("-c").arg(&cache);
        if let Some(lifetime) = lifetime {
            kinit.args(["-l", lifetime]);
        }
        succeed(
            kinit
                .arg("-k")
                .arg("-t")
                .arg(self.keytab(principal))
                .arg(principal),
        );
        cache
    }

    /// Whether `cache` holds a ticket that has not expired (`klist -s`).
    pub fn valid(&self, cache: &Path) -> bool {
        kerberos_env(Command::new("klist"), &self.dir)
            .arg("-s")
            .arg("-c")
            .arg(cache)
            .status()
            .is_ok_and(|s| s.success())
    }

    /// zklock on the Kerberized server with `--sasl-mechanism gssapi` and the ticket in
    /// `cache`; nothing of the machine's Kerberos set-up is used.
    pub fn zklock(&self, cache: &Path) -> Command {
        self.zklock_at(&self.servers(), cache)
    }

    /// As `zklock`, connecting to `servers`.
    pub fn zklock_at(&self, servers: &str, cache: &Path) -> Command {
        let mut command = super::zklock(servers);
        command
            .env("KRB5_CONFIG", self.config())
            .env("KRB5CCNAME", format!("FILE:{}", cache.display()))
            .env_remove("KRB5_CLIENT_KTNAME")
            .env_remove("KRB5_KTNAME")
            .args(["--sasl-mechanism", "gssapi"]);
        command
    }
}

/// The realm's private configuration for its tools (and the KDC).
fn kerberos_env(mut command: Command, dir: &Path) -> Command {
    command
        .env("KRB5_CONFIG", dir.join("krb5.conf"))
        .env("KRB5_KDC_PROFILE", dir.join("kdc.conf"));
    command
}

fn keytab_name(principal: &str) -> String {
    format!("{}.keytab", principal.replace('/', "_"))
}
