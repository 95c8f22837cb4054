//! Output a person and a script can trust (SPEC §5.1): what reaches a terminal, what `-v`
//! says, and the one JSON vocabulary.

mod support;

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
