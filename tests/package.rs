//! The Debian package that `cargo deb` builds (tests/run.sh builds it when cargo-deb is
//! installed, and installs cargo-deb first): installed with dpkg into a throwaway root, where
//! man finds the pages, each shell's completion sits in its vendor directory, the binary is
//! the version Cargo.toml names (the default build, without Kerberos), systemd accepts the
//! elect unit, and `dpkg -r` takes every file away again.

use std::path::{Path, PathBuf};
use std::process::Command;

fn output(command: &mut Command) -> (bool, String) {
    let out = command.output().expect("runs");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

/// The package of this version, if `cargo deb` built one.
fn package() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/debian");
    let prefix = format!("zklock_{}", env!("CARGO_PKG_VERSION"));
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".deb"))
        })
        .max_by_key(|p| p.metadata().and_then(|m| m.modified()).ok())
}

/// Every file below `root` but dpkg's own database.
fn files(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.starts_with(root.join("var/lib/dpkg")) {
                continue;
            }
            match entry.file_type() {
                Ok(t) if t.is_dir() => dirs.push(path),
                _ => found.push(path),
            }
        }
    }
    found
}

#[test]
fn the_debian_package_installs_and_removes_cleanly() {
    let Some(deb) = package() else {
        eprintln!(
            "skipped: no target/debian/zklock_{}*.deb (tests/run.sh builds it with cargo-deb)",
            env!("CARGO_PKG_VERSION")
        );
        return;
    };
    if !Path::new("/usr/bin/dpkg").exists() {
        eprintln!("skipped: no dpkg here");
        return;
    }
    // Dependencies are computed from the binary (dpkg-shlibdeps), not written by hand.
    let (_, depends) = output(
        Command::new("dpkg-deb")
            .args(["-f"])
            .arg(&deb)
            .arg("Depends"),
    );
    assert!(depends.contains("libc6"), "Depends: {depends}");
    let (_, listing) = output(Command::new("dpkg-deb").arg("-c").arg(&deb));
    assert!(
        listing.contains("./usr/share/man/man1/zklock.1.gz"),
        "{listing}"
    );

    // A throwaway root with an empty dpkg database; the root's own libc is not registered in
    // it, hence --force-depends.
    let root =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("deb-root-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    for dir in ["var/lib/dpkg/info", "var/lib/dpkg/updates"] {
        std::fs::create_dir_all(root.join(dir)).expect("root");
    }
    std::fs::write(root.join("var/lib/dpkg/status"), "").expect("status");
    let dpkg = || {
        let mut c = Command::new("dpkg");
        c.env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
            .arg(format!("--root={}", root.display()))
            .arg("--force-depends");
        c
    };
    let (ok, text) = output(dpkg().arg("-i").arg(&deb));
    assert!(ok, "dpkg -i: {text}");

    // man finds every page.
    for page in [
        "zklock",
        "zklock-lock",
        "zklock-elect",
        "zklock-watch",
        "zklock-ls",
    ] {
        let (ok, found) = output(
            Command::new("man")
                .arg("-M")
                .arg(root.join("usr/share/man"))
                .args(["-w", page]),
        );
        assert!(
            ok && found.trim().ends_with(&format!("{page}.1.gz")),
            "man -w {page}: {found}"
        );
    }
    // Each completion where its shell looks (bash-completion, Debian's zsh fpath, fish).
    for file in [
        "usr/share/bash-completion/completions/zklock",
        "usr/share/zsh/vendor-completions/_zklock",
        "usr/share/fish/vendor_completions.d/zklock.fish",
    ] {
        assert!(root.join(file).is_file(), "{file} missing");
    }
    let (ok, text) = output(Command::new("bash").arg("-c").arg(format!(
        "source {}; complete -p zklock",
        root.join("usr/share/bash-completion/completions/zklock").display()
    )));
    assert!(ok && text.contains("zklock"), "bash completion: {text}");
    for doc in ["README.md", "copyright"] {
        assert!(
            root.join("usr/share/doc/zklock").join(doc).is_file(),
            "{doc} missing"
        );
    }
    // The binary is this version.
    let (ok, version) = output(Command::new(root.join("usr/bin/zklock")).arg("--version"));
    assert!(ok, "{version}");
    assert!(
        version.starts_with(&format!("zklock {}", env!("CARGO_PKG_VERSION"))),
        "{version}"
    );
    // The package is the default build: no Kerberos, and it says so in one line (64) before
    // connecting anywhere.
    let out = Command::new(root.join("usr/bin/zklock"))
        .args(["-s", "127.0.0.1:1", "--sasl-mechanism", "gssapi", "ls", "/"])
        .output()
        .expect("runs");
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(64), "{said}");
    assert_eq!(said.lines().count(), 1, "{said}");
    assert!(said.contains("built without Kerberos support"), "{said}");
    // systemd accepts the unit (an instance of the template).
    let unit = root.join("usr/lib/systemd/system/zklock-elect@.service");
    assert!(unit.is_file(), "unit missing");
    match Command::new("systemd-analyze").arg("--version").output() {
        Err(_) => eprintln!("not checked: no systemd-analyze here to verify the unit"),
        Ok(_) => {
            // Under the root: the instance's settings, and the host's targets, which every
            // service depends on (put in /etc, which the package does not touch).
            let env = root.join("etc/zklock/elect");
            std::fs::create_dir_all(&env).expect("env dir");
            std::fs::write(env.join("scheduler.env"), "COMMAND=/bin/true\n").expect("env");
            let units = root.join("etc/systemd/system");
            std::fs::create_dir_all(&units).expect("unit dir");
            for target in std::fs::read_dir("/usr/lib/systemd/system").expect("host units") {
                let target = target.expect("entry").path();
                if target.extension().is_some_and(|e| e == "target") {
                    let name = target.file_name().expect("name");
                    std::fs::copy(&target, units.join(name)).expect("copy target");
                }
            }
            // It runs ExecStart's binary check in the root, and `man` on Documentation=.
            let (ok, text) = output(
                Command::new("systemd-analyze")
                    .env("MANPATH", root.join("usr/share/man"))
                    .arg(format!("--root={}", root.display()))
                    .args(["verify", "zklock-elect@scheduler.service"]),
            );
            assert!(ok, "systemd-analyze verify: {text}");
            std::fs::remove_dir_all(root.join("etc")).expect("env removed");
        }
    }

    // dpkg -r leaves nothing of the package behind.
    let (ok, text) = output(dpkg().args(["-r", "zklock"]));
    assert!(ok, "dpkg -r: {text}");
    assert_eq!(files(&root), Vec::<PathBuf>::new(), "left behind");
    let _ = std::fs::remove_dir_all(&root);
}

/// The binary loads libc and nothing else (and libgssapi_krb5 when built with Kerberos; the
/// dynamic loader, which a debug build names too, is mapped into every process anyway): the
/// unwinder is linked in rather than loaded from libgcc_s (main.rs), and a build for the tests,
/// which the benchmark times, loads what the shipped one loads (no libm, say, from a feature
/// only the tests' own dependencies ask for).
#[test]
fn the_binary_loads_only_libc() {
    let binary = env!("CARGO_BIN_EXE_zklock");
    let (ok, dynamic) = output(Command::new("readelf").args(["-d", binary]));
    assert!(ok, "readelf -d {binary}: {dynamic}");
    let needed: Vec<&str> = dynamic
        .lines()
        .filter(|l| l.contains("(NEEDED)"))
        .filter_map(|l| l.split('[').nth(1)?.split(']').next())
        .filter(|name| !name.starts_with("ld-linux"))
        .collect();
    let mut expected = vec!["libc.so.6"];
    if cfg!(feature = "gssapi") {
        expected.insert(0, "libgssapi_krb5.so.2");
    }
    assert_eq!(needed, expected, "{dynamic}");
}
