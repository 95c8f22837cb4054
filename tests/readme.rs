//! Every README block fenced as ```sh runnable is run with `sh -e` against a real ZooKeeper, with
//! zklock on PATH and ZKLOCK_SERVERS set, so the README cannot rot. Blocks fenced
//! ```sh runnable-tls run against the TLS-only test server, with `ca.pem` and alice's keystore
//! as `app.pem` in their directory; ```sh runnable-sasl against the SASL-enforcing one.

mod support;

use std::time::Duration;

use support::*;

fn runnable_blocks(readme: &str, fence: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in readme.lines() {
        match (&mut current, line.trim_end()) {
            (None, open) if open == fence => current = Some(String::new()),
            (Some(block), "```") => {
                blocks.push(std::mem::take(block));
                current = None;
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

/// Runs each block with `sh -e` in `dir`, zklock on PATH, ZKLOCK_SERVERS set to `servers`.
fn run_blocks(blocks: Vec<String>, servers: &str, dir: &std::path::Path) {
    let bin_dir = std::path::Path::new(env!("CARGO_BIN_EXE_zklock"))
        .parent()
        .expect("bin dir")
        .to_owned();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for block in blocks {
        let ran = run(std::process::Command::new("sh")
            .args(["-e", "-c", &block])
            .env("PATH", &path)
            .env("ZKLOCK_SERVERS", servers)
            .current_dir(dir));
        assert_eq!(ran.code, Some(0), "README block failed:\n{block}\n{ran:?}");
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
