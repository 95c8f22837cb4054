//! Secured servers for SPEC §8: a TLS-only server that needs client certificates, and a
//! server that enforces SASL DIGEST-MD5 logins. Certificates are made by openssl in the test
//! run (a throwaway CA, a server certificate with localhost and 127.0.0.1 in its
//! subjectAltName, client certificates); nothing is downloaded.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use super::Zk;
use super::server::{Server, scratch, spawn_shared};
use super::succeed;

/// The SASL users of the SASL server and their passwords.
pub const ALICE: (&str, &str) = ("alice", "alice-s3cret");
pub const BOB: (&str, &str) = ("bob", "b0b-pass");

/// Certificates and keys, each client's as a ZooKeeper-style PEM keystore (key, then
/// certificate, in one file) and as separate files.
pub struct Pki {
    pub dir: PathBuf,
}

impl Pki {
    /// The CA that signs the server and the trusted clients.
    pub fn ca(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    /// A CA nobody trusts (signs mallory; as --tls-ca it distrusts the server).
    pub fn other_ca(&self) -> PathBuf {
        self.dir.join("other-ca.pem")
    }

    /// `name`'s key and certificate in one file.
    pub fn keystore(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.pem"))
    }

    pub fn cert(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.crt"))
    }

    pub fn key(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.key"))
    }

    /// `--tls-ca CA --tls-cert <name's keystore>`.
    pub fn args(&self, name: &str) -> Vec<String> {
        vec![
            "--tls-ca".into(),
            self.ca().display().to_string(),
            "--tls-cert".into(),
            self.keystore(name).display().to_string(),
        ]
    }

    /// The x509 identity a client certificate gives: `CN=<name>,O=zklock`.
    pub fn x509(name: &str) -> String {
        format!("CN={name},O=zklock")
    }
}

fn openssl(args: &[&str], dir: &Path) {
    succeed(Command::new("openssl").args(args).current_dir(dir));
}

/// Makes a CA, the server's certificate, and client certificates alice and bob (trusted) and
/// mallory (signed by another CA), once per test process.
pub fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let dir = scratch("pki");
        for (ca, cn) in [("ca", "zklock test CA"), ("other-ca", "someone else's CA")] {
            openssl(
                &[
                    "req",
                    "-x509",
                    "-newkey",
                    "rsa:2048",
                    "-nodes",
                    "-days",
                    "2",
                    "-keyout",
                    &format!("{ca}.key"),
                    "-out",
                    &format!("{ca}.pem"),
                    "-subj",
                    &format!("/CN={cn}"),
                ],
                &dir,
            );
        }
        let issue = |name: &str, subject: &str, ext: &str, ca: &str| {
            std::fs::write(dir.join(format!("{name}.ext")), ext).expect("ext file");
            openssl(
                &[
                    "req",
                    "-newkey",
                    "rsa:2048",
                    "-nodes",
                    "-keyout",
                    &format!("{name}.raw"),
                    "-out",
                    &format!("{name}.csr"),
                    "-subj",
                    subject,
                ],
                &dir,
            );
            openssl(
                &[
                    "x509",
                    "-req",
                    "-in",
                    &format!("{name}.csr"),
                    "-CA",
                    &format!("{ca}.pem"),
                    "-CAkey",
                    &format!("{ca}.key"),
                    "-CAcreateserial",
                    "-days",
                    "2",
                    "-out",
                    &format!("{name}.crt"),
                    "-extfile",
                    &format!("{name}.ext"),
                ],
                &dir,
            );
            // PKCS#8, unencrypted: what ZooKeeper's PEM keystore reads.
            openssl(
                &[
                    "pkcs8",
                    "-topk8",
                    "-nocrypt",
                    "-in",
                    &format!("{name}.raw"),
                    "-out",
                    &format!("{name}.key"),
                ],
                &dir,
            );
            let key = std::fs::read_to_string(dir.join(format!("{name}.key"))).expect("key");
            let crt = std::fs::read_to_string(dir.join(format!("{name}.crt"))).expect("crt");
            std::fs::write(dir.join(format!("{name}.pem")), key + &crt).expect("keystore");
            // Private keys readable by their owner only, as zklock expects of them (it warns).
            for file in [format!("{name}.key"), format!("{name}.pem")] {
                std::fs::set_permissions(
                    dir.join(file),
                    std::os::unix::fs::PermissionsExt::from_mode(0o600),
                )
                .expect("chmod");
            }
        };
        issue(
            "server",
            "/CN=localhost",
            "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
            "ca",
        );
        for (name, ca) in [("alice", "ca"), ("bob", "ca"), ("mallory", "other-ca")] {
            issue(
                name,
                &format!("/O=zklock/CN={name}"),
                "extendedKeyUsage=clientAuth\n",
                ca,
            );
        }
        Pki { dir }
    })
}

/// A TLS-only server (no plaintext port) that requires a client certificate signed by the
/// test CA (`ssl.clientAuth=need`), shared by the test binary.
pub fn tls_server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let pki = pki();
        let (keystore, ca) = (pki.keystore("server"), pki.ca());
        spawn_shared(move || {
            Server::custom(
                "zk-tls",
                |_, port| {
                    format!(
                        "secureClientPort={port}\nsecureClientPortAddress=127.0.0.1\n\
                         serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory\n\
                         ssl.keyStore.location={}\nssl.keyStore.type=PEM\n\
                         ssl.trustStore.location={}\nssl.trustStore.type=PEM\n\
                         ssl.clientAuth=need\n",
                        keystore.display(),
                        ca.display()
                    )
                },
                Vec::new(),
                "/usr/share/java/netty-codec.jar",
                true,
            )
        })
    })
}

/// A server that refuses sessions without a SASL login (`enforce.auth.enabled`), with users
/// ALICE and BOB in its JAAS file, shared by the test binary.
pub fn sasl_server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let jaas = scratch("jaas").join("jaas.conf");
        std::fs::write(
            &jaas,
            format!(
                "Server {{\n  org.apache.zookeeper.server.auth.DigestLoginModule required\n  \
                 user_{}=\"{}\"\n  user_{}=\"{}\";\n}};\n",
                ALICE.0, ALICE.1, BOB.0, BOB.1
            ),
        )
        .expect("jaas file");
        spawn_shared(move || {
            Server::custom(
                "zk-sasl",
                |_, _| {
                    "authProvider.1=org.apache.zookeeper.server.auth.SASLAuthenticationProvider\n\
                     enforce.auth.enabled=true\nenforce.auth.schemes=sasl\n"
                        .to_string()
                },
                vec![format!(
                    "-Djava.security.auth.login.config={}",
                    jaas.display()
                )],
                "",
                false,
            )
        })
    })
}

impl Zk {
    /// A TLS client presenting `name`'s certificate.
    pub fn connect_tls(servers: &str, name: &str) -> Zk {
        let pki = pki();
        let read = |p: PathBuf| std::fs::read_to_string(p).expect("pem");
        let tls = zookeeper_client::TlsOptions::new()
            .with_pem_ca(&read(pki.ca()))
            .expect("ca")
            .with_pem_identity(&read(pki.cert(name)), &read(pki.key(name)))
            .expect("identity");
        Zk::connect_with(
            zookeeper_client::Client::connector().with_tls(tls),
            servers,
            true,
        )
    }

    /// A client logged in with SASL DIGEST-MD5.
    pub fn connect_sasl(servers: &str, (user, password): (&str, &str)) -> Zk {
        Zk::connect_with(
            zookeeper_client::Client::connector().with_sasl(
                zookeeper_client::SaslOptions::digest_md5(user.to_string(), password.to_string()),
            ),
            servers,
            false,
        )
    }

    /// The ACL of `path` as `scheme:id:perms` strings (perms as zkCli prints them).
    pub fn acl(&self, path: &str) -> Vec<String> {
        let (acl, _) = self
            .runtime
            .block_on(self.client.get_acl(path))
            .expect("get_acl");
        acl.iter()
            .map(|a| {
                let p = a.permission();
                let perms: String = [
                    (zookeeper_client::Permission::CREATE, 'c'),
                    (zookeeper_client::Permission::DELETE, 'd'),
                    (zookeeper_client::Permission::READ, 'r'),
                    (zookeeper_client::Permission::WRITE, 'w'),
                    (zookeeper_client::Permission::ADMIN, 'a'),
                ]
                .iter()
                .filter(|(bit, _)| p.has(*bit))
                .map(|(_, c)| *c)
                .collect();
                format!("{}:{}:{perms}", a.scheme(), a.id())
            })
            .collect()
    }

    /// Creates `path` (persistent, parents open) with exactly `acl`.
    pub fn create_with_acl(&self, path: &str, acl: &[zookeeper_client::Acl]) {
        let open = zookeeper_client::CreateMode::Persistent
            .with_acls(zookeeper_client::Acls::anyone_all());
        if let Some((parent, _)) = path.rsplit_once('/').filter(|(p, _)| !p.is_empty()) {
            let _ = self.runtime.block_on(self.client.mkdir(parent, &open));
        }
        let options =
            zookeeper_client::CreateMode::Persistent.with_acls(zookeeper_client::Acls::new(acl));
        self.runtime
            .block_on(self.client.create(path, b"", &options))
            .expect("create with acl");
    }
}
