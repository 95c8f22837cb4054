//! The packages that `sh packaging/build` makes (tests/run.sh runs it, and installs
//! cargo-deb and cargo-generate-rpm first): the amd64 .deb installed with dpkg into a
//! throwaway root, where man finds the pages, each shell's completion sits in its vendor
//! directory, the binary is the version Cargo.toml names (the default build, without
//! Kerberos), systemd accepts the elect unit, and `dpkg -r` takes every file away again; for
//! each architecture, a tarball, a .deb and an .rpm of the same files.

use std::path::{Path, PathBuf};
use std::process::Command;

fn output(command: &mut Command) -> (bool, String) {
    let out = command.output().expect("runs");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

/// The amd64 package of this version, if `sh packaging/build` made one.
fn package() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/packages");
    let prefix = format!("zklock_{}", env!("CARGO_PKG_VERSION"));
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&prefix) && n.ends_with("_amd64.deb"))
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
            "skipped: no target/packages/zklock_{}*_amd64.deb (tests/run.sh runs sh packaging/build)",
            env!("CARGO_PKG_VERSION")
        );
        return;
    };
    if !Path::new("/usr/bin/dpkg").exists() {
        eprintln!("skipped: no dpkg here");
        return;
    }
    // Dependencies are computed from the binary (dpkg-shlibdeps), not written by hand: the
    // static binary needs none.
    let (_, depends) = output(
        Command::new("dpkg-deb")
            .args(["-f"])
            .arg(&deb)
            .arg("Depends"),
    );
    assert_eq!(depends.trim(), "", "Depends: {depends}");
    let (_, listing) = output(Command::new("dpkg-deb").arg("-c").arg(&deb));
    assert!(
        listing.contains("./usr/share/man/man1/zklock.1.gz"),
        "{listing}"
    );

    // A throwaway root with an empty dpkg database (--force-depends, should a package of
    // another build depend on libc, which is not registered in it).
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
    // A release build: not even the names of the test hooks (src/hooks.rs).
    let binary = std::fs::read(root.join("usr/bin/zklock")).expect("installed binary");
    assert!(
        !binary.windows(14).any(|w| w == b"ZKLOCK_UNSAFE_"),
        "a test hook in the packaged binary"
    );
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

/// What `sh packaging/build` made in target/packages (tests/run.sh runs it).
fn made(suffix: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/packages");
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .collect();
    found.sort();
    found
}

/// The files a package installs, as absolute paths, sorted: `dpkg-deb -c` or `rpm -qlp`.
fn contents(package: &Path) -> Vec<String> {
    let (ok, listing) = if package.extension().is_some_and(|e| e == "deb") {
        output(Command::new("dpkg-deb").arg("-c").arg(package))
    } else {
        output(Command::new("rpm").args(["-qlp"]).arg(package))
    };
    assert!(ok, "{}: {listing}", package.display());
    let mut files: Vec<String> = listing
        .lines()
        .filter(|l| !l.starts_with('d'))
        .filter_map(|l| l.split_whitespace().last())
        .map(|f| f.trim_start_matches('.').to_string())
        .filter(|f| f.starts_with('/'))
        .collect();
    files.sort();
    files
}

/// The RPM holds what the .deb holds, where an RPM-based distribution looks for each: zsh's
/// completion in site-functions, the license under /usr/share/licenses (the .deb's copyright
/// file is Debian's form of it), man pages uncompressed (rpm compresses them on install).
fn deb_path_on_rpm(deb: &str) -> String {
    match deb {
        "/usr/share/zsh/vendor-completions/_zklock" => {
            "/usr/share/zsh/site-functions/_zklock".into()
        }
        "/usr/share/doc/zklock/copyright" => "/usr/share/licenses/zklock/LICENSE".into(),
        other => other.trim_end_matches(".gz").to_string(),
    }
}

#[test]
fn every_architecture_has_a_tarball_a_deb_and_an_rpm_of_the_same_files() {
    let (tarballs, debs, rpms) = (made("-linux-static.tar.gz"), made(".deb"), made(".rpm"));
    if tarballs.is_empty() && debs.is_empty() && rpms.is_empty() {
        eprintln!("skipped: nothing in target/packages (tests/run.sh runs sh packaging/build)");
        return;
    }
    for (arch, deb_arch, rpm_arch) in [
        ("x86_64", "amd64", "x86_64"),
        ("aarch64", "arm64", "aarch64"),
    ] {
        let pick = |list: &[PathBuf], part: &str| {
            list.iter()
                .find(|p| p.to_string_lossy().contains(part))
                .cloned()
                .unwrap_or_else(|| panic!("no package for {arch} ({part}) in {list:?}"))
        };
        let tarball = pick(&tarballs, &format!("-{arch}-linux-static"));
        let deb = pick(&debs, &format!("_{deb_arch}.deb"));
        let rpm = pick(&rpms, &format!(".{rpm_arch}.rpm"));

        // The same files, each where its kind of distribution looks.
        let on_deb: Vec<String> = contents(&deb).iter().map(|f| deb_path_on_rpm(f)).collect();
        let mut on_deb = on_deb;
        on_deb.sort();
        assert_eq!(
            contents(&rpm),
            on_deb,
            "{} and {}",
            rpm.display(),
            deb.display()
        );
        let (_, info) = output(Command::new("rpm").args(["-qip"]).arg(&rpm));
        assert!(
            info.contains(&format!("Architecture: {rpm_arch}")),
            "{info}"
        );
        let (_, field) = output(
            Command::new("dpkg-deb")
                .args(["-f"])
                .arg(&deb)
                .arg("Architecture"),
        );
        assert_eq!(field.trim(), deb_arch, "{}", deb.display());
        // Static: the .deb depends on nothing.
        let (_, depends) = output(
            Command::new("dpkg-deb")
                .args(["-f"])
                .arg(&deb)
                .arg("Depends"),
        );
        assert_eq!(depends.trim(), "", "{}", deb.display());

        // The tarball: the binary, static, with the man pages, completions, unit and docs.
        let (ok, listing) = output(Command::new("tar").arg("tzf").arg(&tarball));
        assert!(ok, "{listing}");
        let name = tarball
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".tar.gz"))
            .expect("name");
        for file in [
            "zklock",
            "README.md",
            "LICENSE",
            "zklock-elect@.service",
            "man/zklock.1",
            "man/zklock-lock.1",
            "man/zklock-elect.1",
            "man/zklock-watch.1",
            "man/zklock-ls.1",
            "completions/zklock.bash",
            "completions/_zklock",
            "completions/zklock.fish",
        ] {
            assert!(
                listing.lines().any(|l| l == format!("{name}/{file}")),
                "{file} not in {}: {listing}",
                tarball.display()
            );
        }
    }

    // The x86_64 RPM installs into a throwaway root, its binary runs there (any glibc, or
    // none: it is static), and `rpm -e` takes every file away again.
    let rpm = made(".x86_64.rpm").pop().expect("x86_64 rpm");
    let root =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("rpm-root-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).expect("root");
    let rpm_in_root = || {
        let mut c = Command::new("rpm");
        c.arg("--root")
            .arg(&root)
            .arg("--dbpath")
            .arg("/var/lib/rpm");
        c
    };
    let (ok, text) = output(rpm_in_root().arg("--initdb"));
    assert!(ok, "rpm --initdb: {text}");
    let (ok, text) = output(
        rpm_in_root()
            .args(["-i", "--nodeps", "--noscripts"])
            .arg(&rpm),
    );
    assert!(ok, "rpm -i: {text}");
    let (ok, version) = output(Command::new(root.join("usr/bin/zklock")).arg("--version"));
    assert!(
        ok && version.starts_with(&format!("zklock {}", env!("CARGO_PKG_VERSION"))),
        "{version}"
    );
    for file in [
        "usr/share/man/man1/zklock-lock.1",
        "usr/share/bash-completion/completions/zklock",
        "usr/share/zsh/site-functions/_zklock",
        "usr/share/fish/vendor_completions.d/zklock.fish",
        "usr/lib/systemd/system/zklock-elect@.service",
        "usr/share/doc/zklock/README.md",
        "usr/share/licenses/zklock/LICENSE",
    ] {
        let here = root.join(file);
        let compressed = root.join(format!("{file}.gz"));
        assert!(here.is_file() || compressed.is_file(), "{file} missing");
    }
    let (ok, text) = output(rpm_in_root().args(["-e", "--nodeps", "--noscripts", "zklock"]));
    assert!(ok, "rpm -e: {text}");
    let left: Vec<PathBuf> = files(&root)
        .into_iter()
        .filter(|p| {
            !p.starts_with(root.join("var/lib/rpm"))
                && !p.starts_with(root.join("usr/lib/sysimage"))
        })
        .collect();
    assert_eq!(left, Vec::<PathBuf>::new(), "left behind");
    let _ = std::fs::remove_dir_all(&root);
}
