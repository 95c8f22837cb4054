//! Kerberos logins (#17, SPEC §8): `--sasl-mechanism gssapi` against a real MIT KDC and a
//! ZooKeeper server that logs in with its keytab, all on loopback (support/kdc.rs). Every
//! subcommand works with a ticket from kinit or from a keytab alone; the session's identity is
//! `sasl:<principal>` and ACLs on it keep other principals out; a missing or expired ticket,
//! or a server no principal names, is refused with 77 in one line that says what to do, and
//! leaves nothing behind. Skipped, saying why, in builds without the `gssapi` feature or on
//! machines without the KDC's tools.

mod support;

use std::time::Duration;

use support::kdc::{self, REALM};
use support::*;

#[test]
fn every_subcommand_works_with_a_kerberos_ticket() {
    let Some(kdc) = kdc::realm() else { return };
    let alice = kdc.kinit("alice", None);
    let path = unique_path("krb-all");
    let ran = run(kdc
        .zklock(&alice)
        .args(["-v", &path, "--", "sh", "-c", "echo $ZKLOCK_NODE"]));
    assert_eq!(ran.code, Some(0), "{ran:?}");
    assert!(ran.stdout.starts_with(&format!("{path}/_c_")), "{ran:?}");
    assert!(
        ran.stderr.contains(&format!("sasl:alice@{REALM}")),
        "the identity is the principal: {ran:?}"
    );

    // elect, and a nested `elect --leader` that has only the environment to go on.
    let zk = Zk::connect(&kdc.servers_by_ip());
    let env = [
        ("ZKLOCK_SERVERS", kdc.servers().into()),
        ("ZKLOCK_SASL_MECHANISM", "gssapi".into()),
    ];
    elect_and_watch(kdc.zklock(&alice), &env, kdc.zklock(&alice), &zk, &path);

    let ran = run(kdc.zklock(&alice).args(["ls", "/t"]));
    assert_eq!(ran.code, Some(0), "{ran:?}");
    assert!(ran.stdout.lines().any(|l| path.ends_with(l)), "{ran:?}");
    zk.assert_empty_soon(&path, Duration::from_secs(5));
    zk.delete(&path);
}

/// What cron and systemd do (README): no kinit, the keytab named by KRB5_CLIENT_KTNAME.
#[test]
fn a_keytab_alone_logs_in() {
    let Some(kdc) = kdc::realm() else { return };
    let path = unique_path("krb-keytab");
    let ran = run(kdc
        .zklock(&kdc.fresh_cache("bob-keytab"))
        .env("KRB5_CLIENT_KTNAME", kdc.keytab("bob"))
        .args(["-v", &path, "--", "true"]));
    assert_eq!(ran.code, Some(0), "{ran:?}");
    assert!(ran.stderr.contains(&format!("sasl:bob@{REALM}")), "{ran:?}");
    let zk = Zk::connect(&kdc.servers_by_ip());
    zk.assert_empty_soon(&path, Duration::from_secs(5));
    zk.delete(&path);
}

#[test]
fn an_acl_for_a_principal_keeps_another_principal_out() {
    let Some(kdc) = kdc::realm() else { return };
    let (alice, bob) = (kdc.kinit("alice", None), kdc.kinit("bob", None));
    let zk = Zk::connect(&kdc.servers_by_ip());

    let path = unique_path("krb-acl");
    let list = format!("sasl:alice@{REALM}:cdrwa,world:anyone:r");
    let ran = run(kdc
        .zklock(&alice)
        .args(["--acl", &list, &path, "--", "true"]));
    assert_eq!(ran.code, Some(0), "{ran:?}");
    assert_eq!(
        zk.acl(&path),
        [format!("sasl:alice@{REALM}:cdrwa"), "world:anyone:r".into()]
    );
    let ran = run(kdc.zklock(&bob).args([&path, "--", "true"]));
    assert_eq!(ran.code, Some(77), "{ran:?}");
    assert!(one_line(&ran).contains("denies create"), "{ran:?}");
    // World may read: bob sees the (empty) queue; alice still takes the lock.
    let ran = run(kdc.zklock(&bob).args(["ls", &path]));
    assert_eq!(ran.code, Some(0), "{ran:?}");
    let ran = run(kdc.zklock(&alice).args([&path, "--", "true"]));
    assert_eq!(ran.code, Some(0), "{ran:?}");
    zk.delete(&path);

    // `--acl creator` is the principal too.
    let mine = unique_path("krb-creator");
    let ran = run(kdc
        .zklock(&alice)
        .args(["--acl", "creator", &mine, "--", "true"]));
    assert_eq!(ran.code, Some(0), "{ran:?}");
    // (Only alice may read that ACL: ask with her ticket.)
    let ran = run(kdc.zklock(&alice).args(["ls", "-l", "/t"]));
    let name = mine.rsplit('/').next().unwrap_or_default();
    let line = ran.stdout.lines().find(|l| l.ends_with(name));
    assert!(
        line.is_some_and(|l| l.contains(&format!(" sasl:alice@{REALM}:cdrwa "))),
        "{ran:?}"
    );
    let ran = run(kdc.zklock(&bob).args(["ls", &mine]));
    assert_eq!(ran.code, Some(77), "{ran:?}");
    assert!(one_line(&ran).contains("denies read"), "{ran:?}");
    zk.delete(&mine);
}

#[test]
fn a_missing_or_expired_ticket_is_refused_with_77_and_leaves_nothing() {
    let Some(kdc) = kdc::realm() else { return };
    let zk = Zk::connect(&kdc.servers_by_ip());
    let path = unique_path("krb-refused");

    let ran = run(kdc
        .zklock(&kdc.fresh_cache("nobody"))
        .args([&path, "--", "true"]));
    assert_eq!(ran.code, Some(77), "{ran:?}");
    assert!(one_line(&ran).contains("no ticket: run kinit"), "{ran:?}");

    // A ticket of one second, waited out (the realm allows a second of clock skew). Until it
    // is out, a run logs in (0), or the server refuses the service ticket that expired on its
    // way (77 too).
    let short = kdc.kinit("alice", Some("1s"));
    let mut last = None;
    let refused = eventually(Duration::from_secs(20), || {
        let ran = run(kdc.zklock(&short).args(["ls", "/"]));
        assert!(matches!(ran.code, Some(0 | 77)), "{ran:?}");
        let refused = ran.code == Some(77) && ran.stderr.contains("ticket has expired");
        last = Some(ran);
        refused
    });
    let ran = last.expect("ran");
    assert!(refused, "an expired ticket still logs in: {ran:?}");
    assert!(!kdc.valid(&short), "klist -s still finds it valid");
    one_line(&ran);
    let ran = run(kdc.zklock(&short).args([&path, "--", "true"]));
    assert_eq!(ran.code, Some(77), "{ran:?}");

    // The principal's host part is the server's address as written: no principal names
    // 127.0.0.1, and no service is called nosuch.
    let alice = kdc.kinit("alice", None);
    let ran = run(kdc
        .zklock_at(&kdc.servers_by_ip(), &alice)
        .args([&path, "--", "true"]));
    assert_eq!(ran.code, Some(77), "{ran:?}");
    assert!(
        one_line(&ran).contains(&format!("zookeeper/127.0.0.1@{REALM}")),
        "{ran:?}"
    );
    let ran = run(kdc
        .zklock(&alice)
        .args(["--sasl-service", "nosuch", &path, "--", "true"]));
    assert_eq!(ran.code, Some(77), "{ran:?}");
    assert!(
        one_line(&ran).contains(&format!("nosuch/localhost@{REALM}")),
        "{ran:?}"
    );
    assert!(!zk.exists(&path), "a refused run left {path}");
}

/// Usage errors: no user, password or digest-only option with Kerberos.
#[test]
fn kerberos_options_that_do_not_fit_are_usage_errors() {
    let Some(kdc) = kdc::realm() else { return };
    let alice = kdc.kinit("alice", None);
    for (args, says) in [
        (&["--sasl-user", "alice"][..], "not with --sasl-user"),
        (&["--sasl-service", "zoo/keeper"][..], "bad --sasl-service"),
    ] {
        let ran = run(kdc.zklock(&alice).args(args).args(["ls", "/"]));
        assert_eq!(ran.code, Some(64), "{ran:?}");
        assert!(one_line(&ran).contains(says), "{ran:?}");
    }
}
