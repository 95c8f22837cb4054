//! Settings files (SPEC §5.1): `/etc/zklock/config`, then `$XDG_CONFIG_HOME/zklock/config`
//! (`~/.config/zklock/config`), hold `ZKLOCK_*=value` lines with the environment's names, so a
//! crontab need not repeat the server list. The user's file overrides the system's, the
//! environment overrides both, and options override everything: a setting becomes an
//! environment variable only where none is set, before the command line is parsed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::sys::start::SingleThreaded;

/// The files that exist, system first.
fn files() -> Vec<PathBuf> {
    let user = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".config")));
    std::iter::once(PathBuf::from("/etc/zklock/config"))
        .chain(user.map(|d| d.join("zklock/config")))
        .filter(|f| f.is_file())
        .collect()
}

/// The settings that are secrets: zklock uses them, and no command it runs gets them (lock,
/// elect and `watch --` alike), whether they came from a settings file or from zklock's own
/// environment.
pub const SECRETS: &[&str] = &["ZKLOCK_AUTH", "ZKLOCK_SASL_PASSWORD"];

/// Every environment variable a setting may name: those of the options (a unit test in cli.rs
/// checks this against the clap definition) and the SASL password.
pub const KNOWN: &[&str] = &[
    "ZKLOCK_ACL",
    "ZKLOCK_AUTH",
    "ZKLOCK_CGROUP",
    "ZKLOCK_CLIENT_CONFIG",
    "ZKLOCK_NO_CGROUP",
    "ZKLOCK_SASL_MECHANISM",
    "ZKLOCK_SASL_PASSWORD",
    "ZKLOCK_SASL_PASSWORD_FILE",
    "ZKLOCK_SASL_SERVICE",
    "ZKLOCK_SASL_USER",
    "ZKLOCK_SERVERS",
    "ZKLOCK_TLS",
    "ZKLOCK_TLS_CA",
    "ZKLOCK_TLS_CERT",
    "ZKLOCK_TLS_KEY",
];

/// Reads the settings files and exports what the environment does not set already. Returns
/// the files read; Err names the file, line and what is wrong. It changes the environment,
/// so only while the process has one thread (`one`).
pub fn load(one: &SingleThreaded) -> Result<Vec<PathBuf>, String> {
    let files = files();
    let mut settings = BTreeMap::new();
    for file in &files {
        warn_if_others_may_write(file);
        let text = std::fs::read_to_string(file)
            .map_err(|e| format!("{}: cannot read: {e}", file.display()))?;
        for (key, value) in parse(&text, KNOWN).map_err(|e| format!("{}:{e}", file.display()))? {
            settings.insert(key, value);
        }
    }
    for (key, value) in settings {
        if std::env::var_os(&key).is_none() {
            one.set_env(&key, &value);
        }
    }
    Ok(files)
}

/// Warns, as ssh does, when others than its owner may write `file`: whoever can write it
/// chooses the servers zklock trusts and the identity it logs in with.
fn warn_if_others_may_write(file: &Path) {
    let what = file.display().to_string();
    crate::diag::warn_about_mode(file, 0o022, &what, "others may write it", "chmod go-w");
}

/// `KEY=VALUE` lines; blank lines and `#` comments are skipped, and a value may be quoted.
/// Err: `LINE: why`.
fn parse(text: &str, known: &[&str]) -> Result<Vec<(String, String)>, String> {
    let mut found = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        // The line itself is not echoed (it may be long, or hold a secret): its number is.
        let Some((key, value)) = line.split_once('=') else {
            return Err(format!("{}: not KEY=VALUE", n + 1));
        };
        let key = key.trim();
        if !known.contains(&key) {
            let named = key.len() <= 64
                && key
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
            let what = if named { key } else { "(not a setting's name)" };
            return Err(format!(
                "{}: unknown setting {what} (the names are the environment's: ZKLOCK_SERVERS, ...)",
                n + 1
            ));
        }
        let value = value.trim();
        let unquoted = ['"', '\'']
            .iter()
            .find_map(|q| value.strip_prefix(*q)?.strip_suffix(*q))
            .unwrap_or(value);
        found.push((key.to_string(), unquoted.to_string()));
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn lines_are_key_value_with_comments_and_quotes() {
        let known = ["ZKLOCK_SERVERS", "ZKLOCK_AUTH"];
        let text =
            "# servers\n\nZKLOCK_SERVERS = zk1:2181,zk2:2181/prod\nZKLOCK_AUTH='digest:a:b'\n";
        assert_eq!(
            parse(text, &known),
            Ok(vec![
                ("ZKLOCK_SERVERS".into(), "zk1:2181,zk2:2181/prod".into()),
                ("ZKLOCK_AUTH".into(), "digest:a:b".into())
            ])
        );
        assert_eq!(parse("oops\n", &known), Err("1: not KEY=VALUE".into()));
        assert!(parse("\nZKLOCK_SERVER=x", &known).is_err_and(|e| e.starts_with("2: unknown")));
    }
}
