//! Secured ensembles (SPEC §8), against a TLS-only server that needs client certificates and
//! a server that enforces SASL logins: every subcommand works, ACLs keep other identities out,
//! new lock directories inherit a protected ancestor's ACL, every refusal has its status and
//! leaves nothing behind, kazoo over TLS shares the lock, and the lease still stops a command
//! whose TLS connection freezes.

mod support;

use std::process::Command;
use std::time::Duration;

use support::secure::{ALICE, BOB, Pki, pki, sasl_server, tls_server};
use support::*;

fn tls() -> String {
    tls_server().connect()
}

fn sasl() -> String {
    sasl_server().connect()
}

/// zklock over TLS presenting `name`'s certificate.
fn tls_zklock(name: &str) -> Command {
    let mut command = zklock(&tls());
    command.args(pki().args(name));
    command
}

/// zklock logged in as `user`, the password in the environment.
fn sasl_zklock((user, password): (&str, &str)) -> Command {
    let mut command = zklock(&sasl());
    command
        .args(["--sasl-user", user])
        .env("ZKLOCK_SASL_PASSWORD", password);
    command
}

fn alice_tls() -> Zk {
    Zk::connect_tls(&tls(), "alice")
}

#[test]
fn every_subcommand_works_over_tls() {
    let path = unique_path("tls-all");
    let ran = run(tls_zklock("alice").args([&path, "--", "sh", "-c", "echo $ZKLOCK_NODE"]));
    assert_eq!(ran.code, Some(0), "{ran:?}");
    assert!(ran.stdout.starts_with(&format!("{path}/_c_")), "{ran:?}");

    // elect, and a nested `elect --leader` that has only the environment forms to go on.
    let pki = pki();
    let zk = alice_tls();
    let env = [
        ("ZKLOCK_SERVERS", tls().into()),
        ("ZKLOCK_TLS_CA", pki.ca().into()),
        ("ZKLOCK_TLS_CERT", pki.cert("alice").into()),
        ("ZKLOCK_TLS_KEY", pki.key("alice").into()),
    ];
    let watched = elect_and_watch(zklock(&tls()), &env, tls_zklock("alice"), &zk, &path);
    assert_eq!(watched, format!("created {path}-ready\n"));

    let ran = run(tls_zklock("alice").args(["ls", "-l", "/t"]));
    assert_eq!(ran.code, Some(0), "{ran:?}");
    let name = path.rsplit('/').next().unwrap();
    assert!(
        long_fields(&ran.stdout)
            .iter()
            .any(|l| l[11] == name && l[10] == "world:anyone:cdrwa"),
        "{ran:?}"
    );
    zk.assert_empty_soon(&path, Duration::from_secs(5));
}

#[test]
fn verbose_shows_the_sessions_x509_identity() {
    let ran = run(tls_zklock("bob").args(["-v", "ls", "/"]));
    assert_eq!(ran.code, Some(0), "{ran:?}");
    assert!(
        ran.stderr
            .contains(&format!("identities: x509:{}", Pki::x509("bob"))),
        "{}",
        ran.stderr
    );
}

#[test]
fn acl_creator_keeps_another_certificate_out() {
    let path = unique_path("tls-creator");
    let ran = run(tls_zklock("alice").args(["--acl", "creator", &path, "--", "true"]));
    assert_eq!(ran.code, Some(0), "{ran:?}");
    let zk = alice_tls();
    let alice_only = format!("x509:{}:cdrwa", Pki::x509("alice"));
    assert_eq!(zk.acl(&path), [alice_only.as_str()]);

    let ran = run(tls_zklock("bob").args([&path, "--", "true"]));
    assert_eq!(ran.code, Some(77), "{ran:?}");
    let line = one_line(&ran);
    assert!(line.contains(&path) && line.contains("create"), "{line}");
    // (`watch` is not in this list: the server, as for `exists`, lets anyone set a watch.)
    for sub in [vec!["ls"], vec!["elect", "--leader"]] {
        let ran = run(tls_zklock("bob").args(&sub).arg(&path));
        assert_eq!(ran.code, Some(77), "{sub:?}: {ran:?}");
        assert!(one_line(&ran).contains("denies read"), "{sub:?}: {ran:?}");
    }
    // Bob may list the parent: the node is there, its data (and its ACL: reading an ACL
    // needs read or admin) is not his to read.
    let ran = run(tls_zklock("bob").args(["ls", "-l", "/t"]));
    let name = path.rsplit('/').next().unwrap();
    assert!(
        ran.stdout
            .lines()
            .any(|l| l.ends_with(&format!("{name} (not authorized to read)"))),
        "{ran:?}"
    );
    // The control: alice, whose certificate the ACL names, still gets in.
    let ran = run(tls_zklock("alice").args([&path, "--", "true"]));
    assert_eq!(ran.code, Some(0), "{ran:?}");
    assert!(zk.children(&path).is_empty());
    zk.delete(&path);
}

/// A waiter behind a node it may not read (`--acl creator` on another identity's node) is
/// refused at once: the server would tell it nothing of that node, its deletion included, and
/// it would wait for ever.
#[test]
fn a_waiter_behind_a_node_it_may_not_read_is_refused_at_once() {
    let path = unique_path("tls-unreadable");
    let zk = alice_tls();
    // A world-open directory, so that bob may queue in it.
    zk.create(&path, b"");
    let dir = workdir("tls-unreadable");
    let script = "touch held; while [ ! -e release ]; do sleep 0.02; done";
    let alice = Background::spawn(
        tls_zklock("alice")
            .args(["--acl", "creator", &path, "--", "sh", "-c", script])
            .current_dir(&dir),
    );
    assert!(
        eventually(Duration::from_secs(15), || dir.join("held").exists()),
        "alice never held {path}"
    );
    let alices = zk.children(&path);
    let bob = Background::spawn(tls_zklock("bob").args([&path, "--", "echo", "ran"]));
    let bob = bob
        .wait_timeout(Duration::from_secs(20))
        .expect("bob is refused, not left waiting");
    assert_eq!((bob.code, bob.stdout.as_str()), (Some(77), ""), "{bob:?}");
    let line = one_line(&bob);
    assert!(
        line.contains(&format!("{path}/{}", alices[0])) && line.contains("denies read"),
        "{line}"
    );
    assert_eq!(zk.children(&path), alices, "bob left his node behind");
    std::fs::write(dir.join("release"), "").expect("release");
    let alice = alice
        .wait_timeout(Duration::from_secs(20))
        .expect("alice exits");
    assert_eq!(alice.code, Some(0), "{alice:?}");
    zk.assert_empty_soon(&path, Duration::ZERO);
    zk.delete(&path);
}

#[test]
fn a_new_lock_directory_copies_its_protected_ancestors_acl() {
    // The issue's example: alice's /sec is hers (world may read); zklock used to create
    // /sec/locks/job world-open inside it, and a stranger could then take the lock.
    let root = unique_path("sec");
    let zk = alice_tls();
    let protected = [
        zookeeper_client::Acl::new(
            zookeeper_client::Permission::ALL,
            zookeeper_client::AuthId::new("x509", &Pki::x509("alice")),
        ),
        zookeeper_client::Acl::new(
            zookeeper_client::Permission::READ,
            zookeeper_client::AuthId::new("world", "anyone"),
        ),
    ];
    zk.create_with_acl(&root, &protected);
    let job = format!("{root}/locks/job");
    let ran = run(tls_zklock("alice").args([&job, "--", "true"]));
    assert_eq!(ran.code, Some(0), "{ran:?}");
    let expected = zk.acl(&root);
    assert_eq!(zk.acl(&format!("{root}/locks")), expected);
    assert_eq!(zk.acl(&job), expected);

    let ran = run(tls_zklock("bob").args([&job, "--", "true"]));
    assert_eq!(
        ran.code,
        Some(77),
        "a stranger locked a protected lock: {ran:?}"
    );
    assert!(one_line(&ran).contains(&job), "{ran:?}");

    // The control: the same stranger can lock a directory alice made world-open on purpose,
    // so the refusal above is the ACL's doing.
    let open = format!("{root}/locks/open");
    let ran = run(tls_zklock("alice").args(["--acl", "open", &open, "--", "true"]));
    assert_eq!(ran.code, Some(0), "{ran:?}");
    let ran = run(tls_zklock("bob").args([&open, "--", "true"]));
    assert_eq!(ran.code, Some(0), "{ran:?}");
    for dir in [&job, &open] {
        assert!(zk.children(dir).is_empty());
        zk.delete(dir);
    }
    zk.delete(&format!("{root}/locks"));
    zk.delete(&root);
}

#[test]
fn an_ancestor_acl_this_session_cannot_read_is_not_guessed() {
    // World may create under alice's node but not read it, nor its ACL.
    let root = unique_path("sec-unreadable");
    let zk = alice_tls();
    zk.create_with_acl(
        &root,
        &[
            zookeeper_client::Acl::new(
                zookeeper_client::Permission::ALL,
                zookeeper_client::AuthId::new("x509", &Pki::x509("alice")),
            ),
            zookeeper_client::Acl::new(
                zookeeper_client::Permission::CREATE,
                zookeeper_client::AuthId::new("world", "anyone"),
            ),
        ],
    );
    let job = format!("{root}/locks/job");
    let ran = run(tls_zklock("bob").args([&job, "--", "true"]));
    assert_eq!(ran.code, Some(77), "{ran:?}");
    let line = one_line(&ran);
    assert!(line.contains(&root) && line.contains("--acl"), "{line}");
    assert!(
        !zk.exists(&format!("{root}/locks")),
        "created a directory anyway"
    );
    // The control: told which ACL to use, bob may create the directory.
    let ran = run(tls_zklock("bob").args(["--acl", "open", &job, "--", "true"]));
    assert_eq!(ran.code, Some(0), "{ran:?}");
    zk.delete(&job);
    zk.delete(&format!("{root}/locks"));
    zk.delete(&root);
}

#[test]
fn contender_nodes_are_world_readable_but_owned_when_authenticated() {
    let path = unique_path("tls-contender");
    let holder = hold_with(&tls(), &path, "tls-contender", &args_of("alice"));
    let ran = run(tls_zklock("bob").args(["ls", "--json", &path]));
    assert_eq!(ran.code, Some(0), "{ran:?}");
    let json: serde_json::Value = serde_json::from_str(&ran.stdout).expect("json");
    let node = &json["nodes"][0];
    assert_eq!(node["role"], "holder", "{json}");
    let acl: Vec<String> = node["acl"]
        .as_array()
        .expect("acl list")
        .iter()
        .map(|a| format!("{}:{}:{}", a["scheme"], a["id"], a["perms"]).replace('"', ""))
        .collect();
    assert_eq!(
        acl,
        [
            format!("x509:{}:cdrwa", Pki::x509("alice")),
            "world:anyone:r".into()
        ]
    );
    let ran = run(tls_zklock("bob").args(["ls", "-l", &path]));
    assert!(
        ran.stdout.contains(&format!(
            " x509:{}:cdrwa,world:anyone:r ",
            Pki::x509("alice")
        )),
        "{ran:?}"
    );
    assert_eq!(holder.release().code, Some(0));
    alice_tls().assert_empty_soon(&path, Duration::from_secs(5));
}

fn args_of(name: &str) -> Vec<&'static str> {
    pki()
        .args(name)
        .into_iter()
        .map(|a| &*Box::leak(a.into_boxed_str()))
        .collect()
}

#[test]
fn tls_refusals_exit_77_at_once_naming_the_server_and_leave_nothing() {
    let path = unique_path("tls-refused");
    let pki = pki();
    let server = tls();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["--tls-ca".into(), pki.ca().display().to_string()],
            "requires a client certificate",
        ),
        (
            vec![
                "--tls-ca".into(),
                pki.ca().display().to_string(),
                "--tls-cert".into(),
                pki.keystore("mallory").display().to_string(),
            ],
            "does not accept our client certificate",
        ),
        (
            vec![
                "--tls-ca".into(),
                pki.other_ca().display().to_string(),
                "--tls-cert".into(),
                pki.keystore("alice").display().to_string(),
            ],
            "not signed by a CA we trust",
        ),
    ];
    for (options, reason) in cases {
        // A long --connect-timeout: the refusal must not wait for it.
        let ran = run(zklock(&server)
            .args(["--connect-timeout", "60s"])
            .args(&options)
            .args([&path, "--", "true"]));
        assert_eq!(ran.code, Some(77), "{options:?}: {ran:?}");
        let line = one_line(&ran);
        assert!(line.contains(&server) && line.contains(reason), "{line}");
    }
    // An unreachable server is not a refusal: 69, and it says what happened.
    let closed = format!("127.0.0.1:{}", free_port());
    let ran = run(zklock(&closed)
        .args(["--connect-timeout", "1s"])
        .args(pki.args("alice"))
        .args([&path, "--", "true"]));
    assert_eq!(ran.code, Some(69), "{ran:?}");
    assert!(one_line(&ran).contains("connection refused"), "{ran:?}");
    // Plaintext to the TLS-only port: 69 with a hint.
    let ran = run(zklock(&server).args(["--connect-timeout", "1s", &path, "--", "true"]));
    assert_eq!(ran.code, Some(69), "{ran:?}");
    assert!(one_line(&ran).contains("--tls"), "{ran:?}");
    assert!(
        !alice_tls().exists(&path),
        "a refused zklock created {path}"
    );
}

#[test]
fn a_certificate_for_another_host_is_refused_unless_verification_is_off() {
    // The server's certificate names localhost and 127.0.0.1; 127.0.0.2 reaches it through a
    // loopback proxy.
    let proxy = Proxy::start_at("127.0.0.2", tls_server().port);
    let path = unique_path("tls-hostname");
    let ran = run(zklock(&proxy.connect())
        .args(pki().args("alice"))
        .args([&path, "--", "true"]));
    assert_eq!(ran.code, Some(77), "{ran:?}");
    assert!(
        one_line(&ran).contains("does not name this host"),
        "{ran:?}"
    );
    let ran = run(zklock(&proxy.connect()).args(pki().args("alice")).args([
        "--tls-no-hostname-verification",
        &path,
        "--",
        "true",
    ]));
    assert_eq!(ran.code, Some(0), "{ran:?}");
    assert!(
        one_line(&ran).contains("hostname verification is off"),
        "{ran:?}"
    );
    alice_tls().assert_empty_soon(&path, Duration::from_secs(5));
}

#[test]
fn bad_security_files_are_usage_errors_naming_the_file() {
    let dir = workdir("bad-files");
    let missing = dir.join("missing.pem");
    let not_pem = dir.join("garbage.pem");
    std::fs::write(&not_pem, "hello\n").unwrap();
    let jks = dir.join("client.properties");
    std::fs::write(
        &jks,
        "zookeeper.client.secure=true\nzookeeper.ssl.keyStore.location=/etc/zk/client.jks\n",
    )
    .unwrap();
    let cert_only = pki().cert("alice");
    let path = unique_path("bad-files");
    let show = |p: &std::path::Path| p.display().to_string();
    let cases: Vec<(Vec<String>, String)> = vec![
        (vec!["--tls-ca".into(), show(&missing)], show(&missing)),
        (vec!["--tls-ca".into(), show(&not_pem)], show(&not_pem)),
        (
            vec![
                "--tls-ca".into(),
                show(&pki().ca()),
                "--tls-cert".into(),
                show(&cert_only),
            ],
            "no private key".into(),
        ),
        (
            vec!["--tls-key".into(), show(&not_pem)],
            "--tls-cert".into(),
        ),
        (
            vec!["--client-config".into(), show(&missing)],
            show(&missing),
        ),
        (vec!["--client-config".into(), show(&jks)], "keytool".into()),
        (
            vec!["--sasl-password-file".into(), show(&missing)],
            "--sasl-user".into(),
        ),
        (
            vec!["--acl".into(), "world:anyone:x".into()],
            "--acl".into(),
        ),
        (vec!["--acl".into(), "creator".into()], "identity".into()),
    ];
    for (options, named) in cases {
        let ran = run(zklock(&tls()).args(&options).args([&path, "--", "true"]));
        assert_eq!(ran.code, Some(64), "{options:?}: {ran:?}");
        assert!(one_line(&ran).contains(&named), "{options:?}: {ran:?}");
    }
    let ran = run(sasl_zklock(ALICE)
        .args(["--sasl-password-file"])
        .arg(&missing)
        .args([&path, "--", "true"]));
    assert_eq!(ran.code, Some(64), "{ran:?}");
    assert!(one_line(&ran).contains(&show(&missing)), "{ran:?}");
    // A usage error creates nothing.
    assert!(
        !alice_tls().exists(&path),
        "a refused zklock created {path}"
    );
}

#[test]
fn a_client_properties_file_and_env_overrides() {
    let dir = workdir("client-config");
    let config = dir.join("zkclient.properties");
    std::fs::write(
        &config,
        format!(
            "# as zkCli.sh -client-configuration reads it\n\
             zookeeper.client.secure=true\n\
             zookeeper.clientCnxnSocket=org.apache.zookeeper.ClientCnxnSocketNetty\n\
             zookeeper.ssl.keyStore.location={}\nzookeeper.ssl.keyStore.type=PEM\n\
             zookeeper.ssl.trustStore.location={}\nzookeeper.ssl.trustStore.type=PEM\n",
            pki().keystore("alice").display(),
            pki().ca().display()
        ),
    )
    .unwrap();
    let ran = run(zklock(&tls())
        .env("ZKLOCK_CLIENT_CONFIG", &config)
        .args(["-v", "ls", "/"]));
    assert_eq!(ran.code, Some(0), "{ran:?}");
    assert!(ran.stderr.contains("identities: x509:CN=alice"), "{ran:?}");
    let ran = run(zklock(&tls())
        .args(["--client-config"])
        .arg(&config)
        .env("ZKLOCK_TLS_CERT", pki().keystore("bob"))
        .args(["-v", "ls", "/"]));
    assert_eq!(ran.code, Some(0), "{ran:?}");
    assert!(ran.stderr.contains("identities: x509:CN=bob"), "{ran:?}");
}

const KAZOO_TLS: &str = r#"
import sys, time
from kazoo.client import KazooClient
servers, path, log, ca, cert, key = sys.argv[1:7]
def mark(what):
    with open(log, "a") as f:
        f.write("%s %d kazoo\n" % (what, time.time_ns()))
zk = KazooClient(hosts=servers, timeout=4, use_ssl=True, verify_certs=True,
                 ca=ca, certfile=cert, keyfile=key)
zk.start(timeout=20)
lock = zk.Lock(path, "kazoo", extra_lock_patterns=["-lock-"])
with lock:
    mark("start")
    time.sleep(1.0)
    mark("end")
zk.stop()
"#;

#[test]
fn kazoo_over_tls_and_zklock_over_tls_exclude_each_other() {
    let path = unique_path("tls-kazoo");
    let log = workdir("tls-kazoo").join("log");
    let pki = pki();
    let kazoo = Background::spawn(peers::python(KAZOO_TLS).args([
        tls(),
        path.clone(),
        log.display().to_string(),
        pki.ca().display().to_string(),
        pki.cert("bob").display().to_string(),
        pki.key("bob").display().to_string(),
    ]));
    assert!(
        eventually(Duration::from_secs(30), || read(&log).starts_with("start")),
        "kazoo never held the lock: {}",
        read(&log)
    );
    let script = format!(
        "echo start $(date +%s%N) zklock >> {0}; sleep 0.3; echo end $(date +%s%N) zklock >> {0}",
        log.display()
    );
    let ran = run(tls_zklock("alice").args([&path, "--", "sh", "-c", &script]));
    assert_eq!(ran.code, Some(0), "{ran:?}");
    let kazoo = kazoo
        .wait_timeout(Duration::from_secs(30))
        .expect("kazoo finishes");
    assert_eq!(kazoo.code, Some(0), "{kazoo:?}");
    assert_eq!(assert_turns_apart(&log), ["kazoo", "zklock"]);
    alice_tls().assert_empty_soon(&path, Duration::from_secs(5));
}

fn tls_partition(name: &str, unsafe_no_lease: bool) -> Overlap {
    let zk = alice_tls();
    partition_holder(
        name,
        tls_server().port,
        &tls(),
        &pki().args("alice"),
        &zk,
        unsafe_no_lease,
    )
}

#[test]
fn the_lease_stops_a_command_whose_tls_connection_freezes() {
    let overlap = tls_partition("tls-partition", false);
    assert_eq!(overlap.ran_a.code, Some(79), "{:?}", overlap.ran_a);
    overlap.assert_apart();
}

#[test]
#[cfg_attr(
    not(feature = "test-hooks"),
    ignore = "a negative control: needs --features test-hooks"
)]
fn negative_control_over_tls_without_the_lease_the_holders_overlap() {
    tls_partition("tls-no-lease", true).assert_overlapped("over TLS without the lease");
}

#[test]
fn every_subcommand_works_over_sasl() {
    let path = unique_path("sasl-all");
    let ran = run(sasl_zklock(ALICE).args(["-v", &path, "--", "true"]));
    assert_eq!(ran.code, Some(0), "{ran:?}");
    assert!(ran.stderr.contains("identities: sasl:alice"), "{ran:?}");

    let pw = workdir("sasl-pw").join("password");
    std::fs::write(&pw, format!("{}\n", ALICE.1)).unwrap();
    let zk = Zk::connect_sasl(&sasl(), ALICE);
    let env = [
        ("ZKLOCK_SERVERS", sasl().into()),
        ("ZKLOCK_SASL_USER", ALICE.0.into()),
        ("ZKLOCK_SASL_PASSWORD_FILE", pw.into()),
    ];
    elect_and_watch(zklock(&sasl()), &env, sasl_zklock(ALICE), &zk, &path);
    let ran = run(sasl_zklock(ALICE).args(["ls", "/t"]));
    assert_eq!(ran.code, Some(0), "{ran:?}");
    assert!(ran.stdout.lines().any(|l| path.ends_with(l)), "{ran:?}");
    zk.assert_empty_soon(&path, Duration::from_secs(5));
}

#[test]
fn sasl_acls_keep_another_user_out() {
    let path = unique_path("sasl-acl");
    let list = format!("sasl:{}:cdrwa,world:anyone:r", ALICE.0);
    let ran = run(sasl_zklock(ALICE).args(["--acl", &list, &path, "--", "true"]));
    assert_eq!(ran.code, Some(0), "{ran:?}");
    let zk = Zk::connect_sasl(&sasl(), ALICE);
    assert_eq!(zk.acl(&path), ["sasl:alice:cdrwa", "world:anyone:r"]);
    let ran = run(sasl_zklock(BOB).args([&path, "--", "true"]));
    assert_eq!(ran.code, Some(77), "{ran:?}");
    assert!(one_line(&ran).contains("denies create"), "{ran:?}");
    // World may read: bob can see the (empty) queue.
    let ran = run(sasl_zklock(BOB).args(["ls", &path]));
    assert_eq!(ran.code, Some(0), "{ran:?}");
    let ran = run(sasl_zklock(ALICE).args([&path, "--", "true"]));
    assert_eq!(ran.code, Some(0), "{ran:?}");
    zk.delete(&path);
}

#[test]
fn sasl_refusals_exit_77_and_never_show_the_password() {
    let path = unique_path("sasl-refused");
    let ran = run(sasl_zklock((ALICE.0, "not-the-password")).args(["-vv", &path, "--", "true"]));
    assert_eq!(ran.code, Some(77), "{ran:?}");
    // -vv says more (the watchdog's pid) before the one error line.
    let last = ran.stderr.lines().last().unwrap_or_default();
    assert!(last.contains("wrong password"), "{ran:?}");
    assert!(!ran.stderr.contains("not-the-password"), "{ran:?}");
    let ran = run(zklock(&sasl()).args([&path, "--", "true"]));
    assert_eq!(ran.code, Some(77), "{ran:?}");
    assert!(
        one_line(&ran).contains("requires authentication"),
        "{ran:?}"
    );
    let ran = run(zklock(&sasl()).args(["--sasl-user", "alice", &path, "--", "true"]));
    assert_eq!(ran.code, Some(64), "{ran:?}");
    assert!(one_line(&ran).contains("ZKLOCK_SASL_PASSWORD"), "{ran:?}");
    // There is no flag for the password.
    let ran = run(zklock(&sasl()).args(["--sasl-password", "x", &path, "--", "true"]));
    assert_eq!(ran.code, Some(64), "{ran:?}");
    let ran = run(sasl_zklock(ALICE).args(["-vv", &path, "--", "true"]));
    assert_eq!(ran.code, Some(0), "{ran:?}");
    assert!(
        !ran.stderr.contains(ALICE.1),
        "the password leaked: {ran:?}"
    );
    let zk = Zk::connect_sasl(&sasl(), ALICE);
    zk.assert_empty_soon(&path, Duration::from_secs(5));
}

/// A failed login is the same answer in every subcommand: 77, one line.
#[test]
fn a_wrong_password_is_77_in_every_subcommand() {
    let path = unique_path("sasl-every");
    let wrong = (ALICE.0, "not-the-password");
    for sub in [
        vec![path.as_str(), "--", "true"],
        vec!["elect", path.as_str(), "--", "true"],
        vec!["elect", path.as_str(), "--leader"],
        vec!["elect", path.as_str(), "--observe"],
        vec!["watch", path.as_str()],
        vec!["ls", "/"],
    ] {
        let ran = run(sasl_zklock(wrong).args(&sub));
        assert_eq!(ran.code, Some(77), "{sub:?}: {ran:?}");
        assert_eq!(ran.stderr.lines().count(), 1, "{sub:?}: {}", ran.stderr);
    }
}

/// A private key others may read draws a one-line warning, as ssh gives for its keys; one
/// only its owner reads, none.
#[test]
fn a_private_key_others_may_read_is_warned_about() {
    use std::os::unix::fs::PermissionsExt;
    let pki = pki();
    let dir = workdir("key-mode");
    let key = dir.join("alice.pem");
    std::fs::copy(pki.keystore("alice"), &key).expect("copy");
    let ls = |mode: u32| {
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(mode)).expect("chmod");
        run(zklock(&tls())
            .args(["--tls", "--tls-ca"])
            .arg(pki.ca())
            .arg("--tls-cert")
            .arg(&key)
            .args(["ls", "/"]))
    };
    let open = ls(0o644);
    assert_eq!(open.code, Some(0), "{open:?}");
    assert_eq!(
        open.stderr,
        format!(
            "zklock: warning: --tls-cert {}: others may read this private key (mode 644): chmod go-r\n",
            key.display()
        )
    );
    let private = ls(0o600);
    assert_eq!(
        (private.code, private.stderr.as_str()),
        (Some(0), ""),
        "{private:?}"
    );
}
