//! TLS, SASL and digest logins, and the ACL policy (SPEC §8): the security options, the client
//! properties file and the environment resolved into what the connector needs. Every file is
//! read and checked here, before anything connects, so a bad one is a usage error naming it.

pub mod properties;

use std::path::{Path, PathBuf};

use zookeeper_client::{Acl, Connector, SaslOptions, TlsOptions};

use crate::acl::AclSpec;
mod options;

use crate::error::Error;
pub use options::{SaslMechanism, SecurityArgs};
use properties::ClientConfig;

/// The environment variable that carries the SASL password (never a flag value).
pub const SASL_PASSWORD_ENV: &str = "ZKLOCK_SASL_PASSWORD";

/// Where Debian, Fedora and Alpine keep the system's CA bundle, the default `--tls-ca`.
const SYSTEM_CAS: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
];

/// Everything that decides how a session authenticates and what ACL its nodes get.
#[derive(Clone, Debug, Default)]
pub struct Security {
    /// TLS settings, when any server is reached over TLS.
    pub tls: Option<TlsOptions>,
    /// TLS to every server (`--tls`, or implied); else only to `tcp+tls://` hosts.
    pub tls_everywhere: bool,
    /// A client certificate is presented (the session gets an `x509` identity).
    pub client_certificate: bool,
    /// The SASL login, if any.
    pub sasl: Option<SaslLogin>,
    /// `--auth SCHEME:CREDENTIALS`.
    pub auth: Option<(String, String)>,
    /// `--acl`, when given.
    pub acl: Option<AclSpec>,
    /// Hostname verification was turned off: worth a warning.
    pub no_hostname_verification: bool,
}

impl Security {
    /// Resolves flags (and their env forms, which clap already merged) over the client
    /// properties file; `servers` tells whether hosts name their own scheme.
    pub fn resolve(args: &SecurityArgs, servers: &str) -> Result<Security, Error> {
        let config = match &args.client_config {
            Some(file) => ClientConfig::read(file)?,
            None => ClientConfig::default(),
        };
        let ca_file = args.tls_ca.clone().or(config.trust_store);
        let cert_file = args.tls_cert.clone().or(config.key_store);
        let asked = args.tls || config.secure == Some(true);
        let files_given = ca_file.is_some() || cert_file.is_some() || args.tls_key.is_some();
        let schemes_named = servers.contains("://");
        let tls_hosts = servers.contains("tcp+tls://");
        let tls_everywhere = asked || (files_given && !schemes_named);
        if args.tls_key.is_some() && cert_file.is_none() {
            return Err(Error::Usage(
                "--tls-key needs --tls-cert (the certificate it belongs to)".into(),
            ));
        }
        let no_hostname_verification =
            args.tls_no_hostname_verification || config.hostname_verification == Some(false);
        let mut security = Security {
            tls_everywhere,
            auth: args.auth.as_deref().map(parse_auth).transpose()?,
            sasl: sasl_login(args)?,
            acl: args.acl.as_deref().map(AclSpec::parse).transpose()?,
            ..Security::default()
        };
        if tls_everywhere || tls_hosts {
            let (options, with_cert) = tls_options(
                ca_file.as_deref(),
                cert_file.as_deref(),
                args.tls_key.as_deref(),
            )?;
            security.tls = Some(if no_hostname_verification {
                // Asked for by the user, and warned about on every run.
                crate::sys::tls::without_hostname_verification(options)
            } else {
                options
            });
            security.client_certificate = with_cert;
            security.no_hostname_verification = no_hostname_verification;
        } else if files_given {
            return Err(Error::Usage(
                "TLS files given but no server uses TLS: add --tls, or write hosts as tcp+tls://host:port".into(),
            ));
        }
        if security.acl.as_ref().is_some_and(AclSpec::needs_identity) && !security.authenticated() {
            return Err(Error::Usage(
                "--acl creator and --acl read need an identity: --tls-cert, --sasl-user or --auth"
                    .into(),
            ));
        }
        Ok(security)
    }

    /// The session will carry an identity of its own besides `world:anyone` and `ip`.
    pub fn authenticated(&self) -> bool {
        self.client_certificate || self.sasl.is_some() || self.auth.is_some()
    }

    /// The ACL of our contender nodes: `--acl`, else `read` when authenticated (others may see
    /// who holds the lock but not disturb it), else `open`.
    pub fn contender_acl(&self) -> Vec<Acl> {
        match &self.acl {
            Some(spec) => spec.entries(),
            None if self.authenticated() => AclSpec::Read.entries(),
            None => AclSpec::Open.entries(),
        }
    }

    /// The ACL of lock directories zklock creates: `--acl`, or None to copy the nearest
    /// existing ancestor's (a protected tree stays protected).
    pub fn directory_acl(&self) -> Option<Vec<Acl>> {
        self.acl.as_ref().map(AclSpec::entries)
    }

    /// Adds TLS, SASL and `--auth` to a connector.
    pub fn configure(&self, mut connector: Connector) -> Connector {
        if let Some(tls) = &self.tls {
            connector = connector.with_tls(tls.clone());
        }
        match &self.sasl {
            Some(SaslLogin::Digest { user, password }) => {
                connector =
                    connector.with_sasl(SaslOptions::digest_md5(user.clone(), password.0.clone()));
            }
            #[cfg(feature = "gssapi")]
            Some(SaslLogin::Kerberos { service }) => {
                connector =
                    connector.with_sasl(SaslOptions::gssapi().with_username(service.clone()));
            }
            None => {}
        }
        if let Some((scheme, cred)) = &self.auth {
            connector = connector.with_auth(scheme, cred.as_bytes());
        }
        connector
    }
}

/// How the session logs in with SASL.
#[derive(Clone, Debug)]
pub enum SaslLogin {
    /// DIGEST-MD5: a user and password of the server's JAAS file.
    Digest { user: String, password: Secret },
    /// Kerberos (GSSAPI) with the ticket cache; `service` is the first part of the servers'
    /// principal, `service/host@REALM`.
    #[cfg(feature = "gssapi")]
    Kerberos { service: String },
}

/// A password: its `Debug` never shows it.
#[derive(Clone)]
pub struct Secret(String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// Splits `scheme:credentials`, e.g. `digest:user:secret`.
pub fn parse_auth(auth: &str) -> Result<(String, String), Error> {
    match auth.split_once(':') {
        Some((scheme, cred)) if !scheme.is_empty() && !cred.is_empty() => {
            Ok((scheme.to_string(), cred.to_string()))
        }
        _ => Err(Error::Usage(
            "bad --auth: expected SCHEME:CREDENTIALS, e.g. digest:user:secret".into(),
        )),
    }
}

/// The SASL login the options ask for: DIGEST-MD5 for `--sasl-user` (its password from
/// `ZKLOCK_SASL_PASSWORD` or `--sasl-password-file`), Kerberos for `--sasl-mechanism gssapi`.
fn sasl_login(args: &SecurityArgs) -> Result<Option<SaslLogin>, Error> {
    let mechanism = match (args.sasl_mechanism, &args.sasl_user) {
        (Some(mechanism), _) => Some(mechanism),
        (None, Some(_)) => Some(SaslMechanism::DigestMd5),
        (None, None) => None,
    };
    if args.sasl_service.is_some() && mechanism != Some(SaslMechanism::Gssapi) {
        return Err(Error::Usage(
            "--sasl-service is for Kerberos: add --sasl-mechanism gssapi".into(),
        ));
    }
    match mechanism {
        Some(SaslMechanism::DigestMd5) => digest_login(args).map(Some),
        Some(SaslMechanism::Gssapi) => kerberos_login(args).map(Some),
        None if args.sasl_password_file.is_some() => Err(Error::Usage(
            "--sasl-password-file needs --sasl-user".into(),
        )),
        None => Ok(None),
    }
}

fn digest_login(args: &SecurityArgs) -> Result<SaslLogin, Error> {
    let Some(user) = &args.sasl_user else {
        return Err(Error::Usage(
            "--sasl-mechanism digest-md5 needs --sasl-user".into(),
        ));
    };
    if user.is_empty() {
        return Err(Error::Usage("--sasl-user is empty".into()));
    }
    let password = match &args.sasl_password_file {
        Some(file) => {
            let text = read_file("--sasl-password-file", file)?;
            text.strip_suffix('\n')
                .map(|t| t.strip_suffix('\r').unwrap_or(t))
                .unwrap_or(&text)
                .to_string()
        }
        None => std::env::var(SASL_PASSWORD_ENV).map_err(|_| {
            Error::Usage(format!(
                "--sasl-user {user} needs a password: set {SASL_PASSWORD_ENV} or give --sasl-password-file"
            ))
        })?,
    };
    Ok(SaslLogin::Digest {
        user: user.clone(),
        password: Secret(password),
    })
}

/// Kerberos takes who we are from the ticket cache: no user or password here.
fn kerberos_login(args: &SecurityArgs) -> Result<SaslLogin, Error> {
    if args.sasl_user.is_some() || args.sasl_password_file.is_some() {
        return Err(Error::Usage(
            "--sasl-mechanism gssapi logs in with the Kerberos ticket (kinit), not with --sasl-user or --sasl-password-file".into(),
        ));
    }
    let service = args.sasl_service.as_deref().unwrap_or("zookeeper");
    if service.is_empty() || service.contains(['/', '@']) || service.contains(char::is_whitespace) {
        return Err(Error::Usage(format!(
            "bad --sasl-service '{service}': expected the first part of the servers' principal, e.g. zookeeper"
        )));
    }
    #[cfg(feature = "gssapi")]
    return Ok(SaslLogin::Kerberos {
        service: service.to_string(),
    });
    #[cfg(not(feature = "gssapi"))]
    Err(Error::Usage(
        "--sasl-mechanism gssapi: this zklock was built without Kerberos support (build it with --features gssapi)".into(),
    ))
}

/// The TLS options from PEM files: the CA (or the system's), and our certificate with its key
/// (the key may sit in the certificate's file, as in ZooKeeper's PEM keystores).
/// Warns, as ssh does for its keys, when others than its owner may read the file holding our
/// private key: whoever can read it can log in as us.
fn warn_if_others_may_read(flag: &str, file: &Path) {
    let what = format!("{flag} {}", file.display());
    let risk = "others may read this private key";
    crate::diag::warn_about_mode(file, 0o044, &what, risk, "chmod go-r");
}

fn tls_options(
    ca: Option<&Path>,
    cert: Option<&Path>,
    key: Option<&Path>,
) -> Result<(TlsOptions, bool), Error> {
    let (ca_flag, ca_file) = match ca {
        Some(file) => ("--tls-ca", file.to_path_buf()),
        None => (
            "the system CA bundle",
            SYSTEM_CAS
                .iter()
                .map(PathBuf::from)
                .find(|p| p.exists())
                .ok_or_else(|| {
                    Error::Usage(
                        "TLS needs a CA: no system CA bundle found; give --tls-ca FILE".into(),
                    )
                })?,
        ),
    };
    let ca_pem = read_pem(ca_flag, &ca_file, "CERTIFICATE")?;
    let options = TlsOptions::new()
        .with_pem_ca(&ca_pem)
        .map_err(|e| not_pem(ca_flag, &ca_file, &e.to_string()))?;
    let Some(cert) = cert else {
        return Ok((options, false));
    };
    let cert_pem = read_pem("--tls-cert", cert, "CERTIFICATE")?;
    let (key_flag, key_file) = match key {
        Some(key) => ("--tls-key", key),
        None => ("--tls-cert", cert),
    };
    let key_pem = if key.is_some() {
        read_pem(key_flag, key_file, "PRIVATE KEY")?
    } else if cert_pem.contains("PRIVATE KEY-----") {
        cert_pem.clone()
    } else {
        return Err(Error::Usage(format!(
            "--tls-cert {}: no private key in it; give --tls-key FILE",
            cert.display()
        )));
    };
    warn_if_others_may_read(key_flag, key_file);
    if key_pem.contains("ENCRYPTED PRIVATE KEY") || key_pem.contains("Proc-Type: 4,ENCRYPTED") {
        return Err(Error::Usage(format!(
            "{key_flag} {}: the private key is encrypted; decrypt it: openssl pkcs8 -topk8 -nocrypt -in {} -out key.pem",
            key_file.display(),
            key_file.display()
        )));
    }
    let options = options
        .with_pem_identity(&cert_pem, &key_pem)
        .map_err(|e| not_pem(key_flag, key_file, &e.to_string()))?;
    Ok((options, true))
}

fn read_file(flag: &str, file: &Path) -> Result<String, Error> {
    std::fs::read_to_string(file).map_err(|e| {
        let why = match e.kind() {
            std::io::ErrorKind::InvalidData => "not a text file".to_string(),
            kind => kind.to_string(),
        };
        Error::Usage(format!("{flag} {}: {why}", file.display()))
    })
}

/// Reads a PEM file that must hold a block of `label` (e.g. `CERTIFICATE`).
fn read_pem(flag: &str, file: &Path, label: &str) -> Result<String, Error> {
    let text = read_file(flag, file)?;
    if !text.contains("-----BEGIN ") || !text.contains(&format!("{label}-----")) {
        return Err(not_pem(flag, file, &format!("no PEM {label} block")));
    }
    Ok(text)
}

fn not_pem(flag: &str, file: &Path, why: &str) -> Error {
    Error::Usage(format!("{flag} {}: not usable PEM ({why})", file.display()))
}
