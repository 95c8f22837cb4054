//! `zklock ls` end to end on trees the tests build: names, -R, -d, -l with a lock queue,
//! --json with binary data, and a missing znode.

mod support;

use std::time::Duration;

use support::*;

fn servers() -> String {
    shared().connect()
}

fn tree(name: &str) -> (Zk, String) {
    let path = unique_path(name);
    let zk = Zk::connect(&servers());
    zk.create(&path, b"");
    zk.create(&format!("{path}/b"), b"bee");
    zk.create(&format!("{path}/a"), b"ay");
    zk.create(&format!("{path}/b/c"), b"sea");
    (zk, path)
}

#[test]
fn lists_names_descendants_and_data() {
    let (_zk, path) = tree("names");
    let names = run(zklock(&servers()).args(["ls", &path]));
    assert_eq!(
        (names.code, names.stdout.as_str()),
        (Some(0), "a\nb\n"),
        "{names:?}"
    );
    let all = run(zklock(&servers()).args(["ls", "-R", &path]));
    assert_eq!(all.stdout, format!("{path}/a\n{path}/b\n{path}/b/c\n"));
    let data = run(zklock(&servers()).args(["ls", "-d", &path]));
    assert_eq!(data.stdout, "a\tay\nb\tbee\n");
    let root = run(zklock(&servers()).args(["ls"]));
    assert!(
        root.stdout.lines().any(|l| l == "zookeeper"),
        "{}",
        root.stdout
    );
}

#[test]
fn a_missing_znode_is_a_one_line_error() {
    let path = unique_path("missing");
    let ran = run(zklock(&servers()).args(["ls", &path]));
    assert_eq!(ran.code, Some(1));
    assert_eq!(ran.stderr, format!("zklock: {path}: no such znode\n"));
    assert_eq!(ran.stdout, "");
}

#[test]
fn long_form_shows_the_holder_and_the_waiter() {
    let path = unique_path("queue");
    let holder = hold_with(&servers(), &path, "queue-holder", &["--id", "db1:backup"]);
    let waiter =
        Background::spawn(zklock(&servers()).args([&path, "--id", "db2:backup", "--", "true"]));
    let zk = Zk::connect(&servers());
    zk.wait_children(&path, 2, Duration::from_secs(10));
    let ran = run(zklock(&servers()).args(["ls", "-l", &path]));
    // Piped: no header, the same twelve fields on every line, the name last.
    let lines = long_fields(&ran.stdout);
    assert_eq!(lines.len(), 2, "{}", ran.stdout);
    for line in &lines {
        assert!(line.iter().all(|f| !f.is_empty()), "{line:?}");
        assert!(
            line[11].starts_with("_c_") && line[11].len() > 40,
            "{line:?}"
        );
    }
    assert_eq!(lines[0][0], "ephemeral");
    assert_eq!(
        lines[0][7..10],
        ["holder", "-", "db1:backup"],
        "{:?}",
        lines[0]
    );
    assert_eq!(
        lines[1][7..10],
        ["waiting", "1", "db2:backup"],
        "{:?}",
        lines[1]
    );
    // On a terminal: a header, and each uuid shortened.
    let inner = format!(
        "{} -s {} ls -l {path}",
        env!("CARGO_BIN_EXE_zklock"),
        servers()
    );
    let tty =
        run(std::process::Command::new("script").args(["-q", "-e", "-c", &inner, "/dev/null"]));
    let shown: Vec<&str> = tty.stdout.lines().collect();
    assert_eq!(shown.len(), 3, "{}", tty.stdout);
    assert!(
        shown[0].starts_with("TYPE ") && shown[0].trim_end().ends_with(" NAME"),
        "{}",
        shown[0]
    );
    assert!(
        shown[1].contains("_c_") && shown[1].contains("…-lock-"),
        "{}",
        shown[1]
    );
    holder.process.signal(libc::SIGTERM);
    assert_eq!(
        holder
            .process
            .wait_timeout(Duration::from_secs(10))
            .and_then(|r| r.code),
        Some(143)
    );
    assert_eq!(
        waiter
            .wait_timeout(Duration::from_secs(10))
            .and_then(|r| r.code),
        Some(0)
    );
    zk.assert_empty_soon(&path, Duration::ZERO);
}

#[test]
fn json_is_one_document_and_round_trips_binary_data() {
    let (zk, path) = tree("json");
    let binary = [0u8, 0xff, 0x10, b'\n'];
    zk.set(&format!("{path}/a"), &binary);
    let ran = run(zklock(&servers()).args(["ls", "--json", "-R", &path]));
    let doc: serde_json::Value = serde_json::from_str(&ran.stdout).expect("one JSON document");
    assert_eq!(doc["path"], path.as_str());
    let nodes = doc["nodes"].as_array().expect("nodes");
    let paths: Vec<&str> = nodes
        .iter()
        .map(|n| n["path"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        paths,
        [
            format!("{path}/a"),
            format!("{path}/b"),
            format!("{path}/b/c")
        ]
    );
    assert_eq!(nodes[0]["encoding"], "base64");
    assert_eq!(
        decode_base64(nodes[0]["data"].as_str().expect("data")),
        binary
    );
    assert_eq!(
        (nodes[1]["data"].as_str(), nodes[1]["encoding"].as_str()),
        (Some("bee"), Some("utf-8"))
    );
    assert_eq!(
        (nodes[1]["children"].as_i64(), nodes[1]["type"].as_str()),
        (Some(1), Some("persistent"))
    );
}

fn decode_base64(s: &str) -> Vec<u8> {
    let value = |c: u8| {
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
            .bytes()
            .position(|x| x == c)
            .expect("base64") as u32
    };
    let mut out = Vec::new();
    for chunk in s.as_bytes().chunks(4) {
        let digits: Vec<u32> = chunk
            .iter()
            .filter(|&&c| c != b'=')
            .map(|&c| value(c))
            .collect();
        let n = digits
            .iter()
            .enumerate()
            .fold(0, |acc, (i, d)| acc | d << (18 - 6 * i));
        out.extend(n.to_be_bytes()[1..digits.len()].iter());
    }
    out
}

/// A node this session may not read does not hide the rest of `ls -R`: it is listed, marked
/// under `-l`, and named on stderr; as ls(1), the status (77) says the listing is incomplete.
#[test]
fn a_protected_node_is_marked_not_fatal() {
    let (zk, path) = tree("protected");
    let secret = format!("{path}/s");
    let owner = Zk::create_protected(&servers(), &secret, "alice:pw");
    let ran = run(zklock(&servers()).args(["ls", "-R", &path]));
    assert_eq!(ran.code, Some(77), "{ran:?}");
    assert!(ran.stdout.lines().any(|l| l == secret), "{}", ran.stdout);
    assert!(
        ran.stdout.lines().any(|l| l == format!("{path}/b/c")),
        "{}",
        ran.stdout
    );
    assert!(ran.stderr.contains("not authorized"), "{}", ran.stderr);
    let long = run(zklock(&servers()).args(["ls", "-l", &path]));
    assert_eq!(long.code, Some(77), "{long:?}");
    assert!(
        long.stderr
            .contains(&format!("{secret}: not authorized to read")),
        "{}",
        long.stderr
    );
    let line = long
        .stdout
        .lines()
        .find(|l| l.contains(" s"))
        .unwrap_or_default();
    assert!(line.contains("not authorized"), "{}", long.stdout);
    drop((zk, owner));
}

#[test]
fn a_missing_chroot_is_named() {
    let chroot = unique_path("no-chroot");
    let ran = run(zklock(&format!("{}{chroot}", servers())).args(["ls"]));
    assert_eq!(ran.code, Some(1), "{ran:?}");
    assert!(
        ran.stderr.contains(&chroot) && ran.stderr.contains("chroot"),
        "{}",
        ran.stderr
    );
}

/// `ls --holder`: is it held, and by whom, with a status a script can test: 0 and each
/// holder's id (a lock's holder, every reader, every lease), or 3 and nothing when free.
#[test]
fn holder_says_who_holds_it_with_a_status() {
    let path = unique_path("holder");
    let free = run(zklock(&servers()).args(["ls", "--holder", &path]));
    assert_eq!((free.code, free.stdout.as_str()), (Some(3), ""), "{free:?}");
    assert!(free.stderr.contains("not held"), "{}", free.stderr);
    let quiet = run(zklock(&servers()).args(["-q", "ls", "--holder", &path]));
    assert_eq!(
        (quiet.code, quiet.stderr.as_str()),
        (Some(3), ""),
        "{quiet:?}"
    );

    let holder = hold_with(&servers(), &path, "holder", &["--id", "db1:backup"]);
    let waiter =
        Background::spawn(zklock(&servers()).args(["--id", "db2:backup", &path, "--", "true"]));
    let zk = Zk::connect(&servers());
    zk.wait_children(&path, 2, Duration::from_secs(10));
    let held = run(zklock(&servers()).args(["ls", "--holder", &path]));
    assert_eq!(
        (held.code, held.stdout.as_str()),
        (Some(0), "db1:backup\n"),
        "{held:?}"
    );
    let json = run(zklock(&servers()).args(["ls", "--holder", "--json", &path]));
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(doc["path"], path.as_str(), "{doc}");
    let holders = doc["holders"].as_array().expect("a list");
    assert_eq!(holders.len(), 1, "{doc}");
    assert_eq!(
        (&holders[0]["id"], &holders[0]["role"]),
        (&"db1:backup".into(), &"holder".into())
    );
    assert!(
        holders[0]["path"]
            .as_str()
            .is_some_and(|p| p.starts_with(&format!("{path}/_c_")))
    );
    assert_eq!(holder.release().code, Some(0));
    waiter.wait_timeout(Duration::from_secs(10)).expect("runs");
    zk.assert_empty_soon(&path, Duration::from_secs(5));

    // A semaphore: every lease holder.
    let sem = unique_path("holder-sem");
    let a = hold_with(
        &servers(),
        &sem,
        "holder-sem-a",
        &["--limit", "2", "--id", "a"],
    );
    let b = hold_with(
        &servers(),
        &sem,
        "holder-sem-b",
        &["--limit", "2", "--id", "b"],
    );
    let held = run(zklock(&servers()).args(["ls", "--holder", &sem]));
    assert_eq!(
        (held.code, held.stdout.as_str()),
        (Some(0), "a\nb\n"),
        "{held:?}"
    );
    assert_eq!(a.release().code, Some(0));
    assert_eq!(b.release().code, Some(0));
    let free = run(zklock(&servers()).args(["ls", "--holder", "--json", &sem]));
    assert_eq!(free.code, Some(3), "{free:?}");
    assert!(free.stdout.contains(r#""holders":[]"#), "{}", free.stdout);
    zk.assert_empty_soon(&format!("{sem}/leases"), Duration::from_secs(5));
    zk.assert_empty_soon(&format!("{sem}/locks"), Duration::from_secs(5));
}

/// `ls -R` prints in tree order, each node followed by its descendants (`a`, `a/b`, then
/// `a-x`, which a plain sort of the paths would put before `a/b`), and asks for the child
/// lists of siblings in batches: a tree of 1,100 nodes costs a handful of requests. Without
/// multiRead (the fallback for servers before 3.6, forced by a test hook) the listing is the
/// same, one request per node.
#[test]
fn a_big_tree_is_listed_in_tree_order_with_a_few_batched_requests() {
    let server = Server::standalone();
    let zk = Zk::connect(&server.connect());
    let path = unique_path("big");
    let leaves = 1100;
    zk.create(&format!("{path}/a/b"), b"");
    for k in 0..leaves {
        zk.create(&format!("{path}/a/l{k:04}"), b"");
    }
    zk.create(&format!("{path}/a-x"), b"");
    zk.create(&format!("{path}/c"), b"");
    let mut expected = vec![format!("{path}/a"), format!("{path}/a/b")];
    expected.extend((0..leaves).map(|k| format!("{path}/a/l{k:04}")));
    expected.extend([format!("{path}/a-x"), format!("{path}/c")]);
    let listed = |fallback: bool| {
        let before = server.received();
        let mut command = zklock(&server.connect());
        if fallback {
            command.env("ZKLOCK_TEST_NO_MULTIREAD", "1");
        }
        let ran = run(command.args(["ls", "-R", &path]));
        assert_eq!(ran.code, Some(0), "{ran:?}");
        (ran.stdout, server.received() - before)
    };
    let (batched, few) = listed(false);
    assert_eq!(batched.lines().collect::<Vec<_>>(), expected);
    let (single, many) = listed(true);
    assert_eq!(single, batched);
    // `-d` reads the data a thousand nodes at a time: by multiRead, or one request each.
    let data = |fallback: bool| {
        let mut command = zklock(&server.connect());
        if fallback {
            command.env("ZKLOCK_TEST_NO_MULTIREAD", "1");
        }
        run(command.args(["ls", "-d", "-R", &path])).stdout
    };
    let with_data = data(false);
    assert_eq!(with_data.lines().count(), expected.len());
    assert_eq!(data(true), with_data);
    eprintln!("requests: {few} batched, {many} without multiRead");
    assert!(few <= 10, "{few} requests");
    assert!(many > leaves as u64, "{many} requests");
}
