//! Man pages and shell completions are generated from the clap definition and committed; this
//! test fails when they are stale. Regenerate with:
//!
//!     ZKLOCK_REGENERATE=1 cargo test --test shipping

use std::path::{Path, PathBuf};

use clap::CommandFactory;
use clap_complete::{Generator, Shell};
use zklock::cli::Cli;
use zklock::error::EXIT_STATUS;

const ENVIRONMENT: &[(&str, &str)] = &[
    ("ZKLOCK_SERVERS", "default for --servers"),
    (
        "ZKLOCK_AUTH",
        "default for --auth (keeps credentials out of ps)",
    ),
    (
        "ZKLOCK_TLS, ZKLOCK_TLS_CA, ZKLOCK_TLS_CERT, ZKLOCK_TLS_KEY",
        "defaults for --tls, --tls-ca, --tls-cert, --tls-key",
    ),
    (
        "ZKLOCK_SASL_USER, ZKLOCK_SASL_PASSWORD_FILE",
        "defaults for --sasl-user, --sasl-password-file",
    ),
    (
        "ZKLOCK_SASL_PASSWORD",
        "the SASL password (there is no flag for it)",
    ),
    ("ZKLOCK_CLIENT_CONFIG", "default for --client-config"),
    ("ZKLOCK_CGROUP", "default for --cgroup"),
    ("ZKLOCK_ACL", "default for --acl"),
    (
        "ZKLOCK_PATH, ZKLOCK_NODE",
        "given to the command: the lock path and its own node",
    ),
    (
        "ZKLOCK_FENCING_TOKEN",
        "given to the command: its node's czxid, greater for every later holder",
    ),
    (
        "ZKLOCK_SESSION_ID",
        "given to the command: the session id in hex",
    ),
    (
        "ZKLOCK_LEADER_ID",
        "given to the command under elect: its --id",
    ),
    (
        "ZKLOCK_EVENT, ZKLOCK_EVENT_PATH",
        "given to the command under watch: the event and its path",
    ),
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every generated file: its path under the crate root and its content.
fn generate() -> Vec<(PathBuf, Vec<u8>)> {
    // The pages and completions name the version only: `--version`'s commit would make them
    // stale at every commit.
    let version = env!("CARGO_PKG_VERSION");
    let mut cmd = Cli::command().long_version(version);
    cmd.build();
    // The man pages list no zklock-help(1): there is none.
    let mut root = Cli::command()
        .long_version(version)
        .disable_help_subcommand(true);
    root.build();
    let mut files = vec![(PathBuf::from("man/zklock.1"), man_page(root, "zklock"))];
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("zklock-{}", sub.get_name());
        files.push((
            PathBuf::from(format!("man/{name}.1")),
            man_page(
                sub.clone().name(&*Box::leak(name.clone().into_boxed_str())),
                &name,
            ),
        ));
    }
    // The bare form is the main one: `zklock -<Tab>` offers lock's options as well.
    let mut completed = cmd.clone();
    let lock_options: Vec<clap::Arg> = cmd
        .find_subcommand("lock")
        .expect("lock")
        .get_arguments()
        .filter(|a| !a.is_positional() && !a.is_global_set())
        .filter(|a| !cmd.get_arguments().any(|r| r.get_id() == a.get_id()))
        .cloned()
        .collect();
    for option in lock_options {
        completed = completed.arg(option);
    }
    for shell in [
        Shell::Bash,
        Shell::Zsh,
        Shell::Fish,
        Shell::Elvish,
        Shell::PowerShell,
    ] {
        let mut out = Vec::new();
        clap_complete::generate(shell, &mut completed.clone(), "zklock", &mut out);
        if shell == Shell::Bash {
            out =
                servers_from_the_environment(&String::from_utf8(out).expect("UTF-8")).into_bytes();
        }
        files.push((
            Path::new("completions").join(shell.file_name("zklock")),
            out,
        ));
    }
    files
}

/// The SYNOPSIS, every option with its value name (`[-w|--wait DURATION]`), which
/// clap_mangen's drops.
fn synopsis(cmd: &clap::Command, name: &str) -> String {
    let text = |s: &str| s.replace('\\', "\\e").replace('-', "\\-");
    let mut out = format!(
        ".SH SYNOPSIS\n\\fB{}\\fR",
        text(&name.replacen('-', " ", 1))
    );
    for arg in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
        let values: Vec<String> = arg
            .get_value_names()
            .map(|names| names.iter().map(|n| n.to_string()).collect())
            .unwrap_or_else(|| vec![arg.get_id().to_string().to_uppercase()]);
        if arg.is_positional() {
            let dots = if arg.get_num_args().is_some_and(|n| n.max_values() > 1) {
                "..."
            } else {
                ""
            };
            let value = format!("\\fI{}\\fR{dots}", text(&values.join(" ")));
            match arg.is_required_set() {
                true => out.push_str(&format!(" {value}")),
                false if arg.is_last_set() => out.push_str(&format!(" [\\-\\- {value}]")),
                false => out.push_str(&format!(" [{value}]")),
            }
            continue;
        }
        let flags: Vec<String> = arg
            .get_short()
            .map(|c| format!("\\-{c}"))
            .into_iter()
            .chain(arg.get_long().map(|l| format!("\\-\\-{}", text(l))))
            .collect();
        let value = match arg.get_action().takes_values() {
            true => format!(" \\fI{}\\fR", text(&values.join(" "))),
            false => String::new(),
        };
        out.push_str(&format!(" [\\fB{}\\fR{value}]", flags.join("|")));
    }
    if cmd.has_subcommands() {
        out.push_str(" \\fISUBCOMMAND\\fR");
    }
    out.push('\n');
    out
}

fn man_page(cmd: clap::Command, name: &str) -> Vec<u8> {
    let man = clap_mangen::Man::new(cmd.clone())
        .title(name.to_uppercase())
        .source(format!("zklock {}", env!("CARGO_PKG_VERSION")));
    let mut out = Vec::new();
    man.render_title(&mut out).expect("title");
    man.render_name_section(&mut out).expect("name");
    out.extend(synopsis(&cmd, name).into_bytes());
    man.render_description_section(&mut out)
        .expect("description");
    man.render_options_section(&mut out).expect("options");
    if cmd.has_subcommands() {
        man.render_subcommands_section(&mut out)
            .expect("subcommands");
    }
    let text = |s: &str| s.replace('\\', "\\e").replace('-', "\\-");
    let mut extra = String::new();
    if let Some(examples) = cmd.get_after_help() {
        extra.push_str(".SH EXAMPLES\n.nf\n");
        let lines = examples.to_string();
        let lines = lines
            .lines()
            .skip_while(|l| !l.starts_with("Examples"))
            .skip(1)
            .take_while(|l| !l.is_empty());
        for line in lines {
            extra.push_str(&format!("{}\n", text(line)));
        }
        extra.push_str(".fi\n");
    }
    for (title, rows) in [("EXIT STATUS", EXIT_STATUS), ("ENVIRONMENT", ENVIRONMENT)] {
        extra.push_str(&format!(".SH \"{title}\"\n"));
        for (term, meaning) in rows {
            let (term, meaning) = (term.replace('`', ""), meaning.replace('`', ""));
            extra.push_str(&format!(
                ".TP\n\\fB{}\\fR\n{}\n",
                text(&term),
                text(&meaning)
            ));
        }
    }
    extra.push_str(".SH \"SEE ALSO\"\nzklock(1), zklock\\-lock(1), zklock\\-elect(1), zklock\\-watch(1), zklock\\-ls(1), flock(1)\n");
    out.extend(extra.into_bytes());
    man.render_version_section(&mut out).expect("version");
    out
}

#[test]
fn man_pages_and_completions_are_fresh() {
    let regenerate = std::env::var_os("ZKLOCK_REGENERATE").is_some();
    let mut stale = Vec::new();
    for (path, content) in generate() {
        let full = root().join(&path);
        if regenerate {
            std::fs::create_dir_all(full.parent().expect("parent")).expect("dir");
            std::fs::write(&full, &content).expect("write");
        } else if std::fs::read(&full).ok().as_deref() != Some(&content[..]) {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "stale: {stale:?}; run ZKLOCK_REGENERATE=1 cargo test --test shipping"
    );
}

#[test]
fn man_pages_render_with_exit_status_and_examples() {
    let cli = Cli::command();
    for (page, sub) in [
        ("zklock", None),
        ("zklock-lock", Some("lock")),
        ("zklock-elect", Some("elect")),
        ("zklock-watch", Some("watch")),
        ("zklock-ls", Some("ls")),
    ] {
        let out = std::process::Command::new("man")
            .env("MANWIDTH", "100")
            .args(["-l", "-Tutf8"])
            .arg(root().join(format!("man/{page}.1")))
            .output()
            .expect("man runs (apt-get install man-db)");
        let text = without_overstrike(&String::from_utf8_lossy(&out.stdout));
        assert!(
            out.status.success(),
            "{page}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        for heading in [
            "SYNOPSIS",
            "OPTIONS",
            "EXAMPLES",
            "EXIT STATUS",
            "ENVIRONMENT",
        ] {
            assert!(text.contains(heading), "{page} lacks {heading}");
        }
        // Each page documents its own command's options (a subcommand's, besides the global
        // ones), and no other subcommand's.
        let command = match sub {
            Some(name) => cli.find_subcommand(name).expect("subcommand"),
            None => &cli,
        };
        for arg in command.get_arguments().filter(|a| !a.is_hide_set()) {
            if let Some(long) = arg.get_long() {
                assert!(
                    text.contains(&format!("--{long}")),
                    "{page} does not document --{long}"
                );
            }
        }
        for other in cli.get_subcommands().filter(|s| Some(s.get_name()) != sub) {
            for arg in other.get_arguments().filter(|a| !a.is_global_set()) {
                let Some(long) = arg.get_long() else { continue };
                let own = command.get_arguments().any(|a| a.get_long() == Some(long));
                assert!(
                    own || !text.contains(&format!("--{long} ")) || sub.is_none(),
                    "{page} documents --{long}, an option of {}",
                    other.get_name()
                );
            }
        }
    }
}

/// Drops the `X\x08` pairs man uses for bold and underline.
fn without_overstrike(text: &str) -> String {
    let mut out: Vec<char> = Vec::new();
    for c in text.chars() {
        if c == '\u{8}' {
            out.pop();
        } else {
            out.push(c);
        }
    }
    out.into_iter().collect()
}

#[test]
fn help_and_version() {
    let bin = env!("CARGO_BIN_EXE_zklock");
    for sub in ["lock", "elect", "watch", "ls"] {
        let out = std::process::Command::new(bin)
            .args([sub, "--help"])
            .output()
            .expect("runs");
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0));
        assert!(
            text.contains("Examples:")
                && text.contains(&format!("zklock {sub}").replace("zklock lock", "zklock")),
            "{sub}: {text}"
        );
    }
    // `zklock --help` ends with where the man pages are.
    let out = std::process::Command::new(bin)
        .arg("--help")
        .output()
        .expect("runs");
    let help = String::from_utf8_lossy(&out.stdout);
    let end: Vec<&str> = help.trim_end().lines().rev().take(2).collect();
    assert!(
        end[1].starts_with("Manual: man zklock,") && end[0].contains("man/*.1"),
        "{help}"
    );
    // -V: the version; --version: with the commit, for a build from this git checkout.
    let version = |flag: &str| {
        let out = std::process::Command::new(bin)
            .arg(flag)
            .output()
            .expect("runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let short = format!("zklock {}", env!("CARGO_PKG_VERSION"));
    assert_eq!(version("-V"), format!("{short}\n"));
    let head = std::process::Command::new("git")
        .args(["-C", env!("CARGO_MANIFEST_DIR")])
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    match head {
        Some(commit) => assert_eq!(version("--version"), format!("{short} (commit {commit})\n")),
        None => assert_eq!(version("--version"), format!("{short}\n")),
    }
}

/// README's exit-status table, `--help`'s summary and the man pages (above) all come from
/// `zklock::error::EXIT_STATUS`, which a unit test holds to `Error::code()`. README's table is
/// rewritten by ZKLOCK_REGENERATE=1.
#[test]
fn readme_and_help_list_every_exit_status() {
    let readme_path = root().join("README.md");
    let readme = std::fs::read_to_string(&readme_path).expect("README");
    let mut table = String::from("| status | meaning |\n|---|---|\n");
    for (status, meaning) in EXIT_STATUS {
        table.push_str(&format!("| {status} | {} |\n", meaning.replace('|', "\\|")));
    }
    let start = readme
        .find("## Exit status\n\n")
        .expect("an Exit status section")
        + 16;
    let end = start + readme[start..].find("\n\n").expect("the table ends") + 1;
    if std::env::var_os("ZKLOCK_REGENERATE").is_some() {
        let updated = format!("{}{table}{}", &readme[..start], &readme[end..]);
        std::fs::write(&readme_path, updated).expect("write README");
        return;
    }
    assert_eq!(
        &readme[start..end],
        table,
        "README's exit-status table differs from EXIT_STATUS (ZKLOCK_REGENERATE=1 rewrites it)"
    );
    let help = Cli::command().render_long_help().to_string();
    for (status, _) in EXIT_STATUS {
        for number in status.split(" / ").filter(|s| s.parse::<u32>().is_ok()) {
            if number == "0" || number == "1" || number == "3" {
                continue; // the subcommands' own answers, in their --help
            }
            let mentioned = help.match_indices(number).any(|(i, _)| {
                let digit = |c: Option<char>| c.is_some_and(|c| c.is_ascii_digit());
                !digit(help[..i].chars().last()) && !digit(help[i + number.len()..].chars().next())
            });
            assert!(mentioned, "--help does not mention exit status {number}");
        }
    }
}

/// Help a newcomer can follow (SPEC §5.1): `zklock --help` names the bare form's options;
/// `lock --help` groups its options under headings instead of interleaving them; the lock's
/// man page explains the lease, lists no zklock-help(1), and gives value names in its
/// synopsis; completions offer signal names after --kill-signal.
#[test]
fn help_is_grouped_and_names_the_bare_forms_options() {
    let bin = env!("CARGO_BIN_EXE_zklock");
    let help = |args: &[&str]| {
        let out = std::process::Command::new(bin)
            .args(args)
            .output()
            .expect("runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let root = help(&["--help"]);
    for option in [
        "-n, --nonblock",
        "-w, --wait <DURATION>",
        "-E, --conflict-exit-code",
        "-c, --command",
        "--id <ID>",
        "--once-per",
    ] {
        assert!(root.contains(option), "zklock --help lacks {option}");
    }
    let lock = help(&["lock", "--help"]);
    let headings: Vec<&str> = lock
        .lines()
        .filter(|l| l.ends_with(':') && !l.starts_with(' ') && !l.contains(' '))
        .collect();
    assert_eq!(
        headings,
        [
            "Options:",
            "Lock:",
            "Command:",
            "Connection:",
            "Output:",
            "Security:",
            "Examples:"
        ],
        "{lock}"
    );
    let section = |heading: &str| {
        lock.split(&format!("\n{heading}:\n"))
            .nth(1)
            .unwrap_or_default()
            .split("\n\n")
            .next()
            .unwrap_or_default()
            .to_string()
    };
    assert!(section("Lock").contains("--nonblock") && !section("Lock").contains("--servers"));
    assert!(
        section("Connection").contains("--servers")
            && !section("Connection").contains("--nonblock")
    );
    assert!(lock.contains("holds a lease"), "{lock}");

    let page = read(&root_dir().join("man/zklock-lock.1"));
    assert!(
        page.contains("lease"),
        "the man page does not explain the lease"
    );
    assert!(
        page.contains(r"[\fB\-w|\-\-wait\fR \fIDURATION\fR]"),
        "no value names in the synopsis"
    );
    for file in [
        "zklock",
        "zklock-lock",
        "zklock-elect",
        "zklock-watch",
        "zklock-ls",
    ] {
        let page = read(&root_dir().join(format!("man/{file}.1")));
        assert!(
            !page.contains(r"zklock\-help"),
            "{file}.1 lists a zklock-help(1)"
        );
    }
    let bash = read(&root_dir().join("completions/zklock.bash"));
    assert!(
        bash.contains(r#"compgen -W "HUP INT QUIT KILL"#),
        "no signal names to complete"
    );
    // `zklock -<Tab>`: the root's options include the bare form's.
    let root_opts = bash
        .lines()
        .find(|l| l.trim_start().starts_with("opts=") && l.contains("--servers"))
        .unwrap_or_default();
    for option in [
        "--nonblock",
        "--wait",
        "--conflict-exit-code",
        "--command",
        "--id",
        "lock",
    ] {
        assert!(
            root_opts.contains(option),
            "zklock -<Tab> lacks {option}: {root_opts}"
        );
    }
    // Bash, as a user's shell runs it: servers from the environment, signal names.
    let complete = |words: &str, prev: &str, cur: &str| {
        let script = format!(
            "source {}; COMP_WORDS=({words}); COMP_CWORD=2; _zklock zklock '{cur}' '{prev}'; echo \"${{COMPREPLY[@]}}\"",
            root_dir().join("completions/zklock.bash").display()
        );
        let out = std::process::Command::new("bash")
            .args(["-c", &script])
            .env("ZKLOCK_SERVERS", "zk1:2181,zk2:2181")
            .output()
            .expect("bash runs");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    assert_eq!(
        complete("zklock --servers ''", "--servers", ""),
        "zk1:2181,zk2:2181"
    );
    assert_eq!(
        complete("zklock --kill-signal T", "--kill-signal", "T"),
        "TERM"
    );
}

fn root_dir() -> PathBuf {
    root()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Bash completes `-s`/`--servers` with `$ZKLOCK_SERVERS` (the connect string a user most
/// likely wants) instead of file names.
fn servers_from_the_environment(bash: &str) -> String {
    let files = "COMPREPLY=($(compgen -f \"${cur}\"))";
    let servers = "COMPREPLY=($(compgen -W \"${ZKLOCK_SERVERS:-}\" -- \"${cur}\"))";
    let mut out = String::new();
    let mut after_servers = false;
    for line in bash.lines() {
        let option = line.trim();
        if after_servers && option == files {
            out.push_str(&line.replace(files, servers));
        } else {
            out.push_str(line);
        }
        out.push('\n');
        after_servers = option == "--servers)" || option == "-s)";
    }
    out
}
