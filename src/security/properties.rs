//! The zkCli/Curator client properties file (`--client-config`): the few keys zklock honours.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::error::Error;

/// The settings a client properties file may give; flags and environment override each.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// `zookeeper.client.secure`.
    pub secure: Option<bool>,
    /// `zookeeper.ssl.keyStore.location`: our certificate and key (PEM).
    pub key_store: Option<PathBuf>,
    /// `zookeeper.ssl.trustStore.location`: the CA (PEM).
    pub trust_store: Option<PathBuf>,
    /// `zookeeper.ssl.hostnameVerification`.
    pub hostname_verification: Option<bool>,
}

impl ClientConfig {
    /// Reads `file`; a missing file, a bad value or a keystore that is not PEM is a usage error
    /// naming the file.
    pub fn read(file: &Path) -> Result<ClientConfig, Error> {
        let text = std::fs::read_to_string(file).map_err(|e| {
            Error::Usage(format!("--client-config {}: {}", file.display(), e.kind()))
        })?;
        ClientConfig::parse(&text, file)
    }

    fn parse(text: &str, file: &Path) -> Result<ClientConfig, Error> {
        let props = properties(text);
        let bad = |key: &str, why: String| {
            Error::Usage(format!("--client-config {}: {key}: {why}", file.display()))
        };
        let flag = |key: &str| -> Result<Option<bool>, Error> {
            match props.get(key).map(|v| v.to_ascii_lowercase()) {
                None => Ok(None),
                Some(v) if v == "true" => Ok(Some(true)),
                Some(v) if v == "false" => Ok(Some(false)),
                Some(v) => Err(bad(key, format!("'{v}' is neither true nor false"))),
            }
        };
        let store = |kind: &str| -> Result<Option<PathBuf>, Error> {
            let location_key = format!("zookeeper.ssl.{kind}.location");
            let Some(location) = props.get(&location_key).filter(|l| !l.is_empty()) else {
                return Ok(None);
            };
            // Java infers the type from the extension when none is given.
            let stated = props.get(&format!("zookeeper.ssl.{kind}.type"));
            let lower = location.to_ascii_lowercase();
            let kind_of = stated.map(|t| t.to_ascii_uppercase()).unwrap_or_else(|| {
                if lower.ends_with(".jks") {
                    "JKS".into()
                } else if lower.ends_with(".p12") || lower.ends_with(".pfx") {
                    "PKCS12".into()
                } else {
                    "PEM".into()
                }
            });
            if kind_of != "PEM" {
                return Err(bad(&location_key, convert_hint(&kind_of, location)));
            }
            Ok(Some(PathBuf::from(location)))
        };
        Ok(ClientConfig {
            secure: flag("zookeeper.client.secure")?,
            key_store: store("keyStore")?,
            trust_store: store("trustStore")?,
            hostname_verification: flag("zookeeper.ssl.hostnameVerification")?,
        })
    }
}

/// How to turn a JKS or PKCS12 store into the PEM zklock reads.
fn convert_hint(kind: &str, location: &str) -> String {
    let p12 = if kind == "JKS" {
        format!(
            "keytool -importkeystore -srckeystore {location} -destkeystore store.p12 -deststoretype PKCS12, then "
        )
    } else {
        String::new()
    };
    let source = if kind == "JKS" { "store.p12" } else { location };
    format!(
        "{kind} stores are not supported, only PEM; convert it: {p12}openssl pkcs12 -in {source} -nodes -out store.pem"
    )
}

/// Java properties: `key=value`, `key: value` or `key value`; `#` and `!` comments; a trailing
/// backslash continues the line.
fn properties(text: &str) -> HashMap<String, String> {
    let mut props = HashMap::new();
    let mut pending = String::new();
    for raw in text.lines() {
        let line = raw.trim_start();
        if pending.is_empty() && (line.is_empty() || line.starts_with(['#', '!'])) {
            continue;
        }
        if let Some(cont) = line.strip_suffix('\\') {
            pending.push_str(cont);
            continue;
        }
        pending.push_str(line);
        let entry = std::mem::take(&mut pending);
        let split = entry
            .find(['=', ':', ' ', '\t'])
            .map_or((entry.as_str(), ""), |i| (&entry[..i], &entry[i + 1..]));
        let value = split.1.trim_start();
        let value = value
            .strip_prefix(['=', ':'])
            .map_or(value, str::trim_start)
            .trim_end();
        props.insert(split.0.to_string(), value.to_string());
    }
    props
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ClientConfig, Error> {
        ClientConfig::parse(text, Path::new("client.properties"))
    }

    #[test]
    fn reads_the_zkcli_keys() {
        let config = parse(
            "# zkCli client config\n\
             zookeeper.client.secure=true\n\
             zookeeper.clientCnxnSocket=org.apache.zookeeper.ClientCnxnSocketNetty\n\
             zookeeper.ssl.keyStore.location = /etc/zk/client.pem\n\
             zookeeper.ssl.keyStore.type=PEM\n\
             zookeeper.ssl.trustStore.location: /etc/zk/\\\n   ca.pem\n\
             zookeeper.ssl.hostnameVerification false\n",
        )
        .unwrap();
        assert_eq!(
            config,
            ClientConfig {
                secure: Some(true),
                key_store: Some("/etc/zk/client.pem".into()),
                trust_store: Some("/etc/zk/ca.pem".into()),
                hostname_verification: Some(false),
            }
        );
    }

    #[test]
    fn refuses_jks_and_pkcs12_with_a_conversion_hint() {
        let err = parse("zookeeper.ssl.keyStore.location=/etc/zk/client.jks\n").unwrap_err();
        assert_eq!(err.code(), 64);
        let text = err.to_string();
        assert!(
            text.contains("client.properties") && text.contains("keytool"),
            "{text}"
        );
        let err = parse(
            "zookeeper.ssl.trustStore.location=/etc/zk/ca\nzookeeper.ssl.trustStore.type=PKCS12\n",
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("openssl pkcs12 -in /etc/zk/ca"),
            "{err}"
        );
    }

    #[test]
    fn refuses_a_bad_boolean() {
        let err = parse("zookeeper.client.secure=yes\n").unwrap_err();
        assert!(err.to_string().contains("zookeeper.client.secure"), "{err}");
    }
}
