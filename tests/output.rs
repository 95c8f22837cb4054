//! Output a person and a script can trust (SPEC §5.1): what reaches a terminal, what `-v`
//! says, and the one JSON vocabulary.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::process::Command;
use std::time::Duration;

use support::*;

fn servers() -> String {
    shared().connect()
}

/// Runs `args` of zklock under script(1), which gives it a terminal; returns what it wrote
/// there (stdout and stderr both).
fn on_a_terminal(args: &[&str]) -> Vec<u8> {
    let mut inner = format!("{} -s {}", env!("CARGO_BIN_EXE_zklock"), servers());
    for arg in args {
        inner.push_str(&format!(" '{arg}'"));
    }
    terminal_output(&inner)
}

fn terminal_output(inner: &str) -> Vec<u8> {
    let out = Command::new("script")
        .args(["-q", "-e", "-c", inner, "/dev/null"])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("script runs");
    out.stdout
}

const HOSTILE: &[u8] = b"\x1b[31mred\x1b]0;owned\x07\0after";

fn raw_control(bytes: &[u8]) -> bool {
    // zklock's own status line is erased with \r ESC [ K: not data.
    let text = String::from_utf8_lossy(bytes).replace("\r\x1b[K", "");
    let bytes = text.as_bytes();
    // zklock's own tabs and the terminal's line endings (\r\n) are the only control bytes
    // allowed through.
    bytes
        .iter()
        .any(|b| (b.is_ascii_control() && !b"\t\r\n".contains(b)) || *b == 0x9b)
}

/// A run record is another host's writing: its `host` and `id` reach a terminal escaped in
/// `ls -l`'s header and in `--once-per`'s skip message (`-v`), never raw.
#[test]
fn a_hostile_run_record_never_reaches_a_terminal_raw() {
    let path = unique_path("hostile-record");
    let zk = Zk::connect(&servers());
    // JSON carries what an argument cannot: NUL, a C1 CSI (U+009B), a newline.
    let hostile = r#"\u001b]0;owned\u0007\u0000\u009b31m\nnext"#;
    let start = humantime::format_rfc3339_millis(std::time::SystemTime::now());
    zk.create(
        &path,
        format!(
            r#"{{"last":{{"id":"{hostile}","host":"{hostile}","start":"{start}","duration_ms":1,"status":0,"fencing_token":1}}}}"#
        )
        .as_bytes(),
    );
    let ls = on_a_terminal(&["ls", "-l", &path]);
    let text = String::from_utf8_lossy(&ls);
    assert!(!raw_control(&ls), "ls -l: {text:?}");
    assert!(text.contains(r"\x1b]0;owned\x07"), "ls -l: {text:?}");
    let stale = on_a_terminal(&["ls", "--stale", "0", &path]);
    let text = String::from_utf8_lossy(&stale);
    assert!(!raw_control(&stale), "ls --stale: {text:?}");
    assert!(
        text.contains(r"on \x1b]0;owned\x07"),
        "ls --stale: {text:?}"
    );
    let skip = on_a_terminal(&["-v", "--once-per", "1h", &path, "--", "true"]);
    let text = String::from_utf8_lossy(&skip);
    assert!(!raw_control(&skip), "skip: {text:?}");
    assert!(
        text.contains("already ran") && text.contains(r"\x1b]0;owned"),
        "skip: {text:?}"
    );
    zk.assert_empty_soon(&path, Duration::from_secs(5));
    zk.delete(&path);
}

/// Znode data and ids are anyone's to write: in text mode they reach a terminal escaped,
/// never raw (ls -d, ls -l, watch -d, elect --leader).
#[test]
fn data_never_reaches_a_terminal_raw() {
    let dir = unique_path("hostile");
    let zk = Zk::connect(&servers());
    zk.create(&dir, b"");
    let node = format!("{dir}/config");
    zk.create(&node, HOSTILE);
    // Negative control: script(1) passes raw bytes through, so the check below can fail.
    let file = workdir("hostile").join("data");
    std::fs::write(&file, HOSTILE).expect("file");
    assert!(raw_control(&terminal_output(&format!(
        "cat {}",
        file.display()
    ))));

    let ls = on_a_terminal(&["ls", "-d", &dir]);
    assert!(
        !raw_control(&ls),
        "ls -d: {:?}",
        String::from_utf8_lossy(&ls)
    );
    let text = String::from_utf8_lossy(&ls);
    assert!(
        text.contains(r"\x1b[31mred\x1b]0;owned\x07\0after"),
        "{text:?}"
    );

    let lock = unique_path("hostile-lock");
    // An argument cannot carry a NUL; everything else of HOSTILE can go into an id.
    let id = String::from_utf8_lossy(HOSTILE).replace('\0', "");
    let holder = hold_with(&servers(), &lock, "hostile-lock", &["--id", &id]);
    let ls = on_a_terminal(&["ls", "-l", &lock]);
    assert!(
        !raw_control(&ls),
        "ls -l: {:?}",
        String::from_utf8_lossy(&ls)
    );
    let verbose = on_a_terminal(&["-v", "-n", &lock, "--", "true"]);
    assert!(
        !raw_control(&verbose),
        "-v: {:?}",
        String::from_utf8_lossy(&verbose)
    );
    assert!(String::from_utf8_lossy(&verbose).contains(r"held by \x1b[31m"));
    assert_eq!(holder.release().code, Some(0));

    let election = unique_path("hostile-elect");
    let leader = Background::spawn(
        zklock(&servers()).args(["elect", &election, "--id", &id, "--", "sleep", "30"]),
    );
    zk.wait_children(&election, 1, Duration::from_secs(15));
    let elect = on_a_terminal(&["elect", "--leader", &election]);
    assert!(
        !raw_control(&elect),
        "elect: {:?}",
        String::from_utf8_lossy(&elect)
    );
    leader.signal(libc::SIGTERM);
    leader
        .wait_timeout(Duration::from_secs(15))
        .expect("resigns");

    let watch = on_a_terminal(&["watch", "--once", "--initial", "-d", &node]);
    assert!(
        !raw_control(&watch),
        "watch: {:?}",
        String::from_utf8_lossy(&watch)
    );
    assert!(String::from_utf8_lossy(&watch).contains(r"\x1b[31mred"));
    zk.assert_empty_soon(&lock, Duration::from_secs(5));
    zk.assert_empty_soon(&election, Duration::from_secs(5));
}

/// README's JSON table: each field name and the JSON types it may have.
fn vocabulary() -> std::collections::BTreeMap<String, Vec<String>> {
    let readme = read(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"));
    let table = readme
        .split("| field | type | meaning |\n|---|---|---|\n")
        .nth(1)
        .expect("README has the JSON table");
    let mut fields = std::collections::BTreeMap::new();
    for row in table.lines().take_while(|l| l.starts_with('|')) {
        let cells: Vec<&str> = row.split(" | ").collect();
        let names = cells[0].trim_start_matches("| ");
        let types: Vec<String> = cells[1].split(" or ").map(String::from).collect();
        for name in names.split(", ") {
            fields.insert(name.trim_matches('`').to_string(), types.clone());
        }
    }
    fields
}

fn json_type(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "bool",
        serde_json::Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "list",
        serde_json::Value::Object(_) => "object",
    }
}

/// Every field of `value`, at any depth, is in the vocabulary with one of its types; times
/// are RFC 3339.
fn check_vocabulary(
    what: &str,
    value: &serde_json::Value,
    vocabulary: &std::collections::BTreeMap<String, Vec<String>>,
    seen: &mut std::collections::BTreeSet<String>,
) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, v) in map {
                let types = vocabulary
                    .get(key)
                    .unwrap_or_else(|| panic!("{what}: `{key}` is not in README's JSON table"));
                assert!(
                    types.iter().any(|t| t == json_type(v)),
                    "{what}: `{key}` is {}, README says {types:?}: {v}",
                    json_type(v)
                );
                if ["ctime", "mtime", "start"].contains(&key.as_str())
                    && let Some(time) = v.as_str()
                {
                    assert!(
                        humantime::parse_rfc3339(time).is_ok(),
                        "{what}: {key} {time}"
                    );
                }
                seen.insert(key.clone());
                check_vocabulary(what, v, vocabulary, seen);
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                check_vocabulary(what, item, vocabulary, seen);
            }
        }
        _ => {}
    }
}

/// One JSON vocabulary: every subcommand's JSON uses README's field names with README's types,
/// and every field README lists is used by one of them.
#[test]
fn every_subcommand_speaks_the_json_vocabulary() {
    let vocabulary = vocabulary();
    assert!(vocabulary.len() > 20, "{vocabulary:?}");
    let zk = Zk::connect(&servers());
    let path = unique_path("vocabulary");
    let mut docs: Vec<(String, String)> = Vec::new();
    let mut json = |what: &str, args: &[&str]| {
        let ran = run(zklock(&servers()).args(args));
        for line in ran.stdout.lines() {
            docs.push((what.to_string(), line.to_string()));
        }
    };

    // A lock with a holder and a waiter, a run record, a node with binary data.
    let ran = run(zklock(&servers()).args(["--record", "--limit", "3", &path, "--", "true"]));
    assert_eq!(ran.code, Some(0), "{ran:?}");
    let lock = format!("{path}/lock");
    let holder = hold_with(&servers(), &lock, "vocabulary-holder", &["--id", "db1"]);
    let waiter = Background::spawn(zklock(&servers()).args([&lock, "--", "true"]));
    zk.wait_children(&lock, 2, Duration::from_secs(10));
    zk.create(&format!("{path}/binary"), b"\xff\x00");
    let _owner = Zk::create_protected(&servers(), &format!("{path}/secret"), "alice:pw");
    json("ls", &["ls", "--json", &path]);
    json("ls --stale", &["ls", "--stale", "0", "--json", &path]);
    zk.create(&format!("{path}/garbage"), br#"{"last": 1}"#);
    json(
        "ls --stale",
        &["ls", "--stale", "--json", &format!("{path}/garbage")],
    );
    json("ls -R", &["ls", "-R", "--json", &path]);
    json("ls --holder", &["ls", "--holder", "--json", &lock]);
    json(
        "ls --holder free",
        &["ls", "--holder", "--json", &format!("{path}/none")],
    );
    assert_eq!(holder.release().code, Some(0));
    waiter.wait_timeout(Duration::from_secs(10)).expect("runs");

    let election = format!("{path}/election");
    json("elect none", &["elect", "--leader", "--json", &election]);
    let leader = Background::spawn(
        zklock(&servers()).args(["elect", &election, "--id", "web-1", "--", "sleep", "30"]),
    );
    zk.wait_children(&election, 1, Duration::from_secs(15));
    json("elect", &["elect", "--leader", "--json", &election]);
    leader.signal(libc::SIGTERM);
    leader
        .wait_timeout(Duration::from_secs(15))
        .expect("resigns");

    let config = format!("{path}/config");
    zk.create(&config, b"v1");
    let data = Streaming::spawn(
        zklock(&servers()).args(["-v", "watch", "--json", "--initial", &config]),
        "vocabulary-watch",
    );
    data.wait_lines(1, Duration::from_secs(15));
    zk.set(&config, b"v2");
    data.wait_lines(2, Duration::from_secs(15));
    let children = Streaming::spawn(
        zklock(&servers()).args(["-v", "watch", "--children", "--json", &config]),
        "vocabulary-children",
    );
    children.wait_stderr("watching ", Duration::from_secs(15));
    zk.create(&format!("{config}/app"), b"");
    children.wait_lines(1, Duration::from_secs(15));
    for watch in [&data, &children] {
        for line in watch.lines() {
            docs.push(("watch".into(), line));
        }
        watch.process.signal(libc::SIGTERM);
    }

    let mut seen = std::collections::BTreeSet::new();
    for (what, doc) in &docs {
        let value: serde_json::Value =
            serde_json::from_str(doc).unwrap_or_else(|e| panic!("{what}: {e}: {doc}"));
        check_vocabulary(what, &value, &vocabulary, &mut seen);
    }
    // Every object of a kind carries every field of its kind: each watch event;
    // a leader (`elect`, led or not) and a holder (`ls --holder`).
    let keys = |doc: &serde_json::Value| -> Vec<String> {
        doc.as_object()
            .expect("an object")
            .keys()
            .cloned()
            .collect()
    };
    let parsed = |kind: &str| -> Vec<serde_json::Value> {
        docs.iter()
            .filter(|(what, _)| what == kind)
            .map(|(_, doc)| serde_json::from_str(doc).expect("JSON"))
            .collect()
    };
    let events = parsed("watch");
    assert!(events.len() >= 3, "{events:?}");
    for event in &events {
        assert_eq!(keys(event), keys(&events[0]), "watch events: {events:?}");
    }
    let holder = &parsed("ls --holder")[0]["holders"][0];
    for leader in parsed("elect").iter().chain(&parsed("elect none")) {
        assert_eq!(
            keys(leader),
            keys(holder),
            "elect {leader} vs ls --holder {holder}"
        );
    }
    let unused: Vec<&String> = vocabulary.keys().filter(|k| !seen.contains(*k)).collect();
    assert_eq!(
        unused,
        Vec::<&String>::new(),
        "README lists fields nobody printed"
    );
    zk.assert_empty_soon(&lock, Duration::from_secs(5));
    zk.assert_empty_soon(&election, Duration::from_secs(5));
    zk.assert_empty_soon(&format!("{path}/leases"), Duration::from_secs(5));
    zk.assert_empty_soon(&format!("{path}/locks"), Duration::from_secs(5));
}

/// Settings files: the server list from `$XDG_CONFIG_HOME/zklock/config`, the environment over
/// it, options over both; `-v` names the file; a bad line is a usage error naming file and line.
#[test]
fn settings_come_from_a_file_under_the_environment_and_the_options() {
    let home = workdir("settings-home");
    std::fs::create_dir_all(home.join("zklock")).expect("config dir");
    let file = home.join("zklock/config");
    std::fs::write(&file, format!("# where\nZKLOCK_SERVERS={}\n", servers())).expect("config");
    let zklock = |env_servers: Option<&str>, args: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_zklock"));
        command
            .env_remove("ZKLOCK_SERVERS")
            .env("XDG_CONFIG_HOME", &home)
            .args(args);
        if let Some(s) = env_servers {
            command.env("ZKLOCK_SERVERS", s);
        }
        run(&mut command)
    };
    let from_file = zklock(None, &["-v", "ls", "/"]);
    assert_eq!(from_file.code, Some(0), "{from_file:?}");
    assert!(
        from_file
            .stderr
            .contains(&format!("zklock: settings from {}", file.display())),
        "{}",
        from_file.stderr
    );
    // The environment wins over the file: nothing listens on port 1.
    let env = zklock(Some("127.0.0.1:1"), &["--connect-timeout", "1s", "ls", "/"]);
    assert_eq!(env.code, Some(69), "{env:?}");
    // An option wins over both.
    let option = zklock(Some("127.0.0.1:1"), &["-s", &servers(), "ls", "/"]);
    assert_eq!(option.code, Some(0), "{option:?}");
    // A bad line: 64, naming the file and the line.
    std::fs::write(&file, "ZKLOCK_SERVERS=x\nZKLOCK_SERVER=typo\n").expect("config");
    let bad = zklock(None, &["ls", "/"]);
    assert_eq!(bad.code, Some(64), "{bad:?}");
    assert_eq!(bad.stderr.lines().count(), 1, "{}", bad.stderr);
    assert!(
        bad.stderr.contains(&format!(
            "{}:2: unknown setting ZKLOCK_SERVER",
            file.display()
        )),
        "{}",
        bad.stderr
    );
    // A long bad line is named, not copied to stderr.
    let long = "x".repeat(100_000);
    std::fs::write(&file, format!("{long}\nZKLOCK_{long}=1\n")).expect("config");
    let bad = zklock(None, &["ls", "/"]);
    assert_eq!(bad.code, Some(64), "{bad:?}");
    assert!(bad.stderr.len() < 300, "{}", bad.stderr);
    assert!(
        bad.stderr
            .contains(&format!("{}:1: not KEY=VALUE", file.display())),
        "{}",
        bad.stderr
    );
    // A file others may write: one warning line, as ssh gives, and it is still read.
    std::fs::write(&file, format!("ZKLOCK_SERVERS={}\n", servers())).expect("config");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o664)).expect("chmod");
    let open = zklock(None, &["ls", "/"]);
    assert_eq!(open.code, Some(0), "{open:?}");
    assert_eq!(
        open.stderr,
        format!(
            "zklock: warning: {}: others may write it (mode 664): chmod go-w\n",
            file.display()
        )
    );
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let private = zklock(None, &["ls", "/"]);
    assert_eq!(
        (private.code, private.stderr.as_str()),
        (Some(0), ""),
        "{private:?}"
    );
}

/// No command zklock runs gets zklock's secrets (`ZKLOCK_AUTH`, `ZKLOCK_SASL_PASSWORD`):
/// not from a settings file (mode 0600, README's place for them), not from zklock's own
/// environment; for `lock`, `elect` and `watch --` alike. Other ZKLOCK_ settings pass on, as
/// a control that the command's environment is what this test reads.
#[test]
fn no_command_gets_zklocks_secrets() {
    let home = workdir("secrets-home");
    std::fs::create_dir_all(home.join("zklock")).expect("config dir");
    let file = home.join("zklock/config");
    std::fs::write(
        &file,
        "ZKLOCK_SASL_PASSWORD=from-the-file
",
    )
    .expect("config");
    let path = unique_path("secrets");
    let zk = Zk::connect(&servers());
    zk.create(&format!("{path}/watched"), b"");
    let lines: [(&str, Vec<String>); 3] = [
        ("lock", vec![format!("{path}/lock")]),
        ("elect", vec!["elect".into(), format!("{path}/election")]),
        (
            "watch",
            vec![
                "watch".into(),
                "--once".into(),
                "--initial".into(),
                format!("{path}/watched"),
            ],
        ),
    ];
    for (what, args) in lines {
        let ran = run(Command::new(env!("CARGO_BIN_EXE_zklock"))
            .env("XDG_CONFIG_HOME", &home)
            .env("ZKLOCK_SERVERS", servers())
            .env("ZKLOCK_AUTH", "digest:alice:from-the-environment")
            .args(&args)
            .args(["--", "env"]));
        assert_eq!(ran.code, Some(0), "{what}: {ran:?}");
        assert!(
            ran.stdout.contains("ZKLOCK_SERVERS="),
            "{what}: the command's environment: {}",
            ran.stdout
        );
        for secret in ["ZKLOCK_AUTH", "ZKLOCK_SASL_PASSWORD", "from-the-"] {
            assert!(
                !ran.stdout.contains(secret),
                "{what}: {secret} in {}",
                ran.stdout
            );
        }
    }
    zk.delete(&format!("{path}/watched"));
    zk.assert_empty_soon(&format!("{path}/lock"), Duration::from_secs(5));
    zk.assert_empty_soon(&format!("{path}/election"), Duration::from_secs(5));
}

/// `-v` lines start with the time, durations have one style and no internal names show;
/// `-vv` adds the probes.
#[test]
fn verbose_lines_are_stamped_and_plain() {
    let path = unique_path("verbose");
    let ran = run(zklock(&servers()).args(["-vv", &path, "--", "sleep", "1.5"]));
    assert_eq!(ran.code, Some(0), "{ran:?}");
    for line in ran.stderr.lines() {
        let (stamp, rest) = line.split_once(' ').unwrap_or_default();
        assert!(
            humantime::parse_rfc3339(stamp).is_ok() && stamp.len() == 24,
            "no timestamp: {line}"
        );
        assert!(rest.starts_with("zklock: "), "{line}");
        // Durations as 2.4ms or 1.8s, never Debug's 2.406411ms or 831.938µs.
        assert!(!rest.contains('µ'), "{line}");
        for word in rest.split([' ', ',']) {
            if let Some(number) = word.strip_suffix("ms").or_else(|| word.strip_suffix('s'))
                && number.parse::<f64>().is_ok()
            {
                let decimals = number.split_once('.').map_or(0, |(_, d)| d.len());
                assert!(decimals <= 1, "{word} in {line}");
            }
        }
        assert!(
            !rest.contains("Persistent") && !rest.contains("Some("),
            "{line}"
        );
    }
    assert!(
        ran.stderr.contains("zklock: probe answered"),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stderr.contains("zklock: holding the lock of "),
        "{}",
        ran.stderr
    );
    Zk::connect(&servers()).assert_empty_soon(&path, Duration::from_secs(5));
}

/// Every example in `--help` runs as written (SPEC §5.1), against a real server, with stub
/// commands (`./backup.sh`, `pg_dump`, ...) that succeed: it ends with 0 (3 for "no leader"),
/// or is still following events after a while (watch, --observe). The TLS example is left to
/// README's runnable-tls block, which runs the same options against a TLS-only server.
#[test]
fn every_help_example_runs() {
    let dir = workdir("help-examples");
    for stub in ["backup.sh", "report.sh", "job.sh", "scheduler", "pg_dump"] {
        let file = dir.join(stub);
        std::fs::write(&file, "#!/bin/sh\nexit 0\n").expect("stub");
        std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .expect("chmod");
    }
    let zk = Zk::connect(&servers());
    zk.create("/config", b"");
    zk.create("/config/app", b"");
    let bin = env!("CARGO_BIN_EXE_zklock");
    let bin_dir = std::path::Path::new(bin).parent().expect("bin dir");
    let path = format!(
        "{}:{}:{}",
        dir.display(),
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut examples = Vec::new();
    for sub in [None, Some("elect"), Some("watch"), Some("ls")] {
        let mut command = Command::new(bin);
        command.args(sub).arg("--help");
        let help = run(&mut command).stdout;
        let listed = help
            .lines()
            .skip_while(|l| !l.starts_with("Examples:"))
            .skip(1)
            .take_while(|l| !l.is_empty())
            // clap wraps long lines: a comment's tail may come on a line of its own.
            .filter(|l| l.trim_start().starts_with("zklock "))
            .map(|l| l.split("  #").next().unwrap_or_default().trim().to_string());
        examples.extend(listed);
    }
    assert!(examples.len() >= 12, "{examples:?}");
    for example in examples.iter().filter(|e| !e.contains("--tls")) {
        let mut command = Command::new("sh");
        command
            .args(["-c", example])
            .env("ZKLOCK_SERVERS", servers())
            .env("PATH", &path)
            .current_dir(&dir);
        // In a process group of its own, so that one still following events after a while
        // is stopped whole: the shell may not exec the zklock it runs.
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let example_run = Background::spawn(&mut command);
        let group = example_run.pid();
        let ran = example_run.wait_timeout(Duration::from_secs(3));
        if ran.is_none() {
            // SAFETY: kill on the process group this test made for the example.
            unsafe { libc::kill(-group, libc::SIGKILL) };
        }
        if let Some(ran) = ran {
            assert!(
                [Some(0), Some(3)].contains(&ran.code),
                "`{example}` failed: {ran:?}"
            );
        }
    }
    for lock in [
        "/locks/backup",
        "/locks/report",
        "/locks/dump",
        "/services/scheduler",
    ] {
        zk.assert_empty_soon(lock, Duration::from_secs(10));
    }
}

/// `--json` keeps a contender's id exact: an id that is not UTF-8 (another client's node) comes
/// out as base64 with `"encoding":"base64"`, in `ls --holder` and `ls`, never as U+FFFD.
#[test]
fn a_non_utf8_id_is_exact_in_json() {
    let dir = unique_path("binary-id");
    let zk = Zk::connect(&servers());
    zk.create(&dir, b"");
    let node = format!("{dir}/x-lock-0000000000");
    zk.create(&node, b"\xff\xfeid");
    let holders = run(zklock(&servers()).args(["ls", "--holder", "--json", &dir]));
    assert_eq!(holders.code, Some(0), "{holders:?}");
    let doc: serde_json::Value = serde_json::from_str(&holders.stdout).expect("JSON");
    let holder = &doc["holders"][0];
    assert_eq!(
        (&holder["id"], &holder["encoding"]),
        (&serde_json::json!("//5pZA=="), &serde_json::json!("base64")),
        "{doc}"
    );
    let ls = run(zklock(&servers()).args(["ls", "--json", &dir]));
    let doc: serde_json::Value = serde_json::from_str(&ls.stdout).expect("JSON");
    let listed = &doc["nodes"][0];
    assert_eq!(
        (&listed["id"], &listed["encoding"]),
        (&serde_json::json!("//5pZA=="), &serde_json::json!("base64")),
        "{doc}"
    );
    assert!(!holders.stdout.contains('\u{fffd}') && !ls.stdout.contains('\u{fffd}'));
    zk.delete(&node);
    zk.delete(&dir);
}
