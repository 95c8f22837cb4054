//! Every README block fenced as ```sh runnable is run with `sh -e` against a real ZooKeeper, with
//! zklock on PATH and ZKLOCK_SERVERS set, so the README cannot rot. Blocks fenced
//! ```sh runnable-tls run against the TLS-only test server, with `ca.pem` and alice's keystore
//! as `app.pem` in their directory; ```sh runnable-sasl against the SASL-enforcing one;
//! ```sh runnable-kerberos against the Kerberized one, with alice's keytab.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use support::*;

/// A runnable block, and the output shown right after it in a ```text output block, if any.
struct Block {
    script: String,
    output: Option<String>,
}

/// The blocks fenced exactly `fence`, each with the ```text output block that follows it.
fn runnable_blocks(readme: &str, fence: &str) -> Vec<Block> {
    let mut blocks: Vec<Block> = Vec::new();
    let mut current: Option<String> = None;
    let mut output: Option<String> = None;
    // Whether the last fence closed was a runnable block of ours, so an output block belongs
    // to it.
    let mut after_ours = false;
    for line in readme.lines() {
        let line = line.trim_end();
        if let Some(text) = &mut output {
            if line == "```" {
                if let Some(last) = blocks.last_mut() {
                    last.output = output.take();
                }
                after_ours = false;
            } else {
                text.push_str(line);
                text.push('\n');
            }
            continue;
        }
        match (&mut current, line) {
            (None, open) if open == fence => current = Some(String::new()),
            (None, "```text output") if after_ours => output = Some(String::new()),
            (None, open) if open.starts_with("```") => after_ours = false,
            (Some(block), "```") => {
                blocks.push(Block {
                    script: std::mem::take(block),
                    output: None,
                });
                current = None;
                after_ours = true;
            }
            (Some(block), text) => {
                block.push_str(text);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README")
}

/// Runs each block with `sh -e` in `dir`, zklock on PATH, ZKLOCK_SERVERS set to `servers`,
/// and compares its stdout with the output block shown after it, if there is one.
fn run_blocks(blocks: Vec<Block>, servers: &str, dir: &std::path::Path) {
    run_blocks_with(blocks, servers, dir, &[]);
}

/// As `run_blocks`, with more environment.
fn run_blocks_with(
    blocks: Vec<Block>,
    servers: &str,
    dir: &std::path::Path,
    env: &[(&str, std::ffi::OsString)],
) {
    let bin_dir = std::path::Path::new(env!("CARGO_BIN_EXE_zklock"))
        .parent()
        .expect("bin dir")
        .to_owned();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for Block { script, output } in blocks {
        let ran = run(std::process::Command::new("sh")
            .args(["-e", "-c", &script])
            .env("PATH", &path)
            .env("ZKLOCK_SERVERS", servers)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .current_dir(dir));
        assert_eq!(ran.code, Some(0), "README block failed:\n{script}\n{ran:?}");
        if let Some(shown) = output {
            assert_eq!(
                ran.stdout, shown,
                "README shows other output for:\n{script}"
            );
        }
    }
}

/// Nothing left behind: no lock or latch node anywhere under /readme.
fn assert_no_leftovers(zk: &Zk) {
    let leftovers = || {
        let mut found = Vec::new();
        let mut todo = vec!["/readme".to_string()];
        while let Some(parent) = todo.pop() {
            for name in zk.children(&parent) {
                if name.contains("-lock-") || name.contains("-latch-") {
                    found.push(format!("{parent}/{name}"));
                }
                todo.push(format!("{parent}/{name}"));
            }
        }
        found
    };
    assert!(
        eventually(Duration::from_secs(5), || leftovers().is_empty()),
        "{:?}",
        leftovers()
    );
}

/// Every code block is either run here (```sh runnable, -tls, -sasl, -kerberos; its ```text output
/// compared), one of the two set-up commands CI runs (```sh setup), or marked as an
/// illustration (```<language> illustration): none can rot unnoticed.
#[test]
fn every_readme_block_is_run_or_marked() {
    let readme = readme();
    let mut inside = false;
    for (n, line) in readme.lines().enumerate() {
        let Some(info) = line.trim_end().strip_prefix("```") else {
            continue;
        };
        if inside {
            inside = false;
            continue;
        }
        inside = true;
        let marked = [
            "sh runnable",
            "sh runnable-tls",
            "sh runnable-sasl",
            "sh runnable-kerberos",
            "sh setup",
            "text output",
            // Checked by `promtool check rules` in tests/monitor.rs.
            "yaml prometheus-rules",
        ]
        .contains(&info)
            || info.ends_with(" illustration");
        assert!(
            marked,
            "README line {}: block fenced {line:?} is neither run nor marked",
            n + 1
        );
    }
}

#[test]
fn readme_examples_run() {
    let blocks = runnable_blocks(&readme(), "```sh runnable");
    assert!(
        blocks.len() >= 3,
        "README has {} runnable blocks",
        blocks.len()
    );
    run_blocks(blocks, &shared().connect(), &workdir("readme"));
    assert_no_leftovers(&Zk::connect(&shared().connect()));
}

#[test]
fn readme_tls_examples_run() {
    let blocks = runnable_blocks(&readme(), "```sh runnable-tls");
    assert!(!blocks.is_empty(), "README has no runnable-tls block");
    let dir = workdir("readme-tls");
    let pki = secure::pki();
    std::fs::copy(pki.ca(), dir.join("ca.pem")).expect("ca.pem");
    std::fs::copy(pki.keystore("alice"), dir.join("app.pem")).expect("app.pem");
    let servers = secure::tls_server().connect();
    run_blocks(blocks, &servers, &dir);
    assert_no_leftovers(&Zk::connect_tls(&servers, "alice"));
}

#[test]
fn readme_sasl_examples_run() {
    let blocks = runnable_blocks(&readme(), "```sh runnable-sasl");
    assert!(!blocks.is_empty(), "README has no runnable-sasl block");
    let servers = secure::sasl_server().connect();
    run_blocks(blocks, &servers, &workdir("readme-sasl"));
    assert_no_leftovers(&Zk::connect_sasl(&servers, secure::ALICE));
}

/// Against the Kerberized server of tests/kerberos.rs, with alice's keytab in the block's
/// directory and a ticket cache of its own; skipped, saying why, where that realm cannot run.
#[test]
fn readme_kerberos_examples_run() {
    let blocks = runnable_blocks(&readme(), "```sh runnable-kerberos");
    assert!(!blocks.is_empty(), "README has no runnable-kerberos block");
    let Some(kdc) = kdc::realm() else { return };
    let dir = workdir("readme-kerberos");
    std::fs::copy(kdc.keytab("alice"), dir.join("alice.keytab")).expect("alice.keytab");
    let env = [
        ("KRB5_CONFIG", kdc.config().into_os_string()),
        (
            "KRB5CCNAME",
            format!("FILE:{}", kdc.fresh_cache("readme").display()).into(),
        ),
    ];
    run_blocks_with(blocks, &kdc.servers(), &dir, &env);
    assert_no_leftovers(&Zk::connect(&kdc.servers_by_ip()));
}

/// README's first set-up command, `sh tests/demo.sh`, shows its lock demo and exits 0 (it
/// exited 143: `set -e` and the `wait` on the server it had just killed), here with the tests'
/// own zklock instead of a build of its own.
#[test]
fn the_demo_exits_0() {
    let ran = run(Command::new("sh")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/demo.sh"))
        .env("ZKLOCK_DEMO_BINARY", env!("CARGO_BIN_EXE_zklock"))
        .env_remove("ZKLOCK_SERVERS"));
    assert_eq!(ran.code, Some(0), "{ran:?}");
    for line in [
        "job A holds the lock",
        "job B: exit 75",
        "job C holds the lock",
        "exit 3",
        "== done",
    ] {
        assert!(ran.stdout.contains(line), "{line}: {ran:?}");
    }
}
