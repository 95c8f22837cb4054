//! Every README block fenced as ```sh runnable is run with `sh -e` against a real ZooKeeper, with
//! zklock on PATH and ZKLOCK_SERVERS set, so the README cannot rot.

mod support;

use std::time::Duration;

use support::*;

fn runnable_blocks(readme: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in readme.lines() {
        match (&mut current, line.trim_end()) {
            (None, "```sh runnable") => current = Some(String::new()),
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

#[test]
fn readme_examples_run() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README");
    let blocks = runnable_blocks(&readme);
    assert!(
        blocks.len() >= 3,
        "README has {} runnable blocks",
        blocks.len()
    );
    let bin_dir = std::path::Path::new(env!("CARGO_BIN_EXE_zklock"))
        .parent()
        .expect("bin dir")
        .to_owned();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let dir = workdir("readme");
    for block in blocks {
        let ran = run(std::process::Command::new("sh")
            .args(["-e", "-c", &block])
            .env("PATH", &path)
            .env("ZKLOCK_SERVERS", shared().connect())
            .current_dir(&dir));
        assert_eq!(ran.code, Some(0), "README block failed:\n{block}\n{ran:?}");
    }
    // Nothing left behind: no lock or latch node anywhere under /readme.
    let zk = Zk::connect(&shared().connect());
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
