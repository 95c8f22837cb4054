//! The security options (SPEC §8), flattened into every subcommand's command line.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

/// TLS, SASL, digest logins and the ACL of created nodes (SPEC §8). Secrets never go in a flag
/// value: the env forms fit a systemd `EnvironmentFile=`.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Security")]
pub struct SecurityArgs {
    /// TLS to every server (as zookeeper.client.secure=true); a host written tcp+tls://host:port
    /// uses TLS on its own. Implied by --tls-ca/--tls-cert when no host names its scheme
    #[arg(long, global = true, env = "ZKLOCK_TLS", value_parser = clap::builder::BoolishValueParser::new())]
    pub tls: bool,

    /// PEM bundle of the CAs that sign the servers' certificates [default: the system's]
    #[arg(long, global = true, env = "ZKLOCK_TLS_CA", value_name = "FILE")]
    pub tls_ca: Option<PathBuf>,

    /// Our client certificate (PEM; the key may follow it in the same file, as in ZooKeeper's
    /// PEM keystores); the session gets the x509 identity CN=..,O=..
    #[arg(long, global = true, env = "ZKLOCK_TLS_CERT", value_name = "FILE")]
    pub tls_cert: Option<PathBuf>,

    /// The private key of --tls-cert (PEM, unencrypted), when not in the certificate's file
    #[arg(long, global = true, env = "ZKLOCK_TLS_KEY", value_name = "FILE")]
    pub tls_key: Option<PathBuf>,

    /// Accept a server certificate that does not name the host connected to (as
    /// zookeeper.ssl.hostnameVerification=false); warns on every run
    #[arg(long, global = true)]
    pub tls_no_hostname_verification: bool,

    /// SASL DIGEST-MD5 login; the password comes from ZKLOCK_SASL_PASSWORD or
    /// --sasl-password-file, never from a flag
    #[arg(long, global = true, env = "ZKLOCK_SASL_USER", value_name = "USER")]
    pub sasl_user: Option<String>,

    /// SASL mechanism: digest-md5 (the default with --sasl-user) or gssapi (Kerberos: logs in
    /// with the ticket from kinit, or a keytab in KRB5_CLIENT_KTNAME; only in builds with the
    /// cargo feature gssapi)
    #[arg(
        long,
        global = true,
        env = "ZKLOCK_SASL_MECHANISM",
        value_enum,
        ignore_case = true,
        value_name = "MECHANISM"
    )]
    pub sasl_mechanism: Option<SaslMechanism>,

    /// Kerberos: the service part of the servers' principal, SERVICE/HOST@REALM, HOST being the
    /// server's name as written in --servers [default: zookeeper]
    #[arg(long, global = true, env = "ZKLOCK_SASL_SERVICE", value_name = "NAME")]
    pub sasl_service: Option<String>,

    /// File holding the SASL password (one line)
    #[arg(
        long,
        global = true,
        env = "ZKLOCK_SASL_PASSWORD_FILE",
        value_name = "FILE"
    )]
    pub sasl_password_file: Option<PathBuf>,

    /// Digest login (addAuth), e.g. digest:user:secret; the env form keeps secrets out of `ps`
    #[arg(
        long,
        global = true,
        env = "ZKLOCK_AUTH",
        hide_env_values = true,
        value_name = "SCHEME:CREDENTIALS"
    )]
    pub auth: Option<String>,

    /// A zkCli/Curator client properties file (zookeeper.client.secure, zookeeper.ssl.keyStore
    /// and trustStore location and type (PEM), zookeeper.ssl.hostnameVerification); flags and
    /// environment override it
    #[arg(long, global = true, env = "ZKLOCK_CLIENT_CONFIG", value_name = "FILE")]
    pub client_config: Option<PathBuf>,

    /// ACL of every node zklock creates: open, creator (all rights to this session's
    /// identities; other identities cannot wait behind its nodes), read (creator all, world
    /// read) or scheme:id:perms,... with perms from rwcda
    /// [default: new lock directories copy their nearest ancestor's ACL; contender nodes are
    /// read when authenticated, open when not]
    #[arg(long, global = true, env = "ZKLOCK_ACL", value_name = "ACL")]
    pub acl: Option<String>,
}

/// `--sasl-mechanism`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SaslMechanism {
    /// A user and password of the server's JAAS file.
    DigestMd5,
    /// Kerberos.
    Gssapi,
}
