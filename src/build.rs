//! Build script: `zklock --version` names the git commit of a build from a checkout of zklock
//! (`ZKLOCK_LONG_VERSION`); a build from a crate or a tarball says only the version.

use std::process::Command;

fn main() {
    // The kernel interfaces zklock uses (clone3's arguments, CPU sets, the lease's clock) are
    // written for 64-bit Linux: a 32-bit target is refused here, in one line, before anything
    // of zklock's is compiled (README, "Where it runs").
    let cfg = |key: &str| std::env::var(key).unwrap_or_default();
    if cfg("CARGO_CFG_TARGET_OS") != "linux" || cfg("CARGO_CFG_TARGET_POINTER_WIDTH") != "64" {
        println!(
            "cargo::error=zklock builds for 64-bit Linux only (x86_64, aarch64), not {}",
            cfg("TARGET")
        );
        return;
    }
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    // Only a checkout of zklock itself: not some repository the crate was unpacked inside.
    let here = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let ours = git(&["rev-parse", "--show-toplevel"])
        .is_some_and(|top| std::path::Path::new(&top) == std::path::Path::new(&here));
    let commit = git(&["rev-parse", "--short=12", "HEAD"]).filter(|_| ours);
    let line = match &commit {
        Some(commit) => format!("{version} (commit {commit})"),
        None => version,
    };
    println!("cargo:rustc-env=ZKLOCK_LONG_VERSION={line}");
    if commit.is_some()
        && let Some(dir) = git(&["rev-parse", "--absolute-git-dir"])
    {
        // A new commit moves HEAD, or the branch HEAD names.
        println!("cargo:rerun-if-changed={dir}/HEAD");
        if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
            println!("cargo:rerun-if-changed={dir}/{branch}");
        }
    }
    // No DT_RELR (packed relative relocations): measured interleaved against the same code
    // with it, its gain was within a cycle's run-to-run noise (README, Performance), and a
    // binary with it loads only on glibc 2.36 and later.
    println!("cargo:rerun-if-changed=src/build.rs");
}
