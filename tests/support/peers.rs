//! Peers for interop tests: Java programs using Debian's Curator (compiled here with javac) and
//! Python scripts using Debian's kazoo (run with /usr/bin/python3).

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

const CURATOR_CP: &str = "/usr/share/java/curator-recipes.jar:/usr/share/java/curator-framework.jar:\
/usr/share/java/curator-client.jar:/usr/share/java/zookeeper.jar:/usr/share/java/guava.jar:\
/usr/share/java/slf4j-api.jar:/usr/share/java/slf4j-nop.jar";

/// Compiles `class_name` from `source` once per test process; returns a `java` command ready
/// for its arguments.
pub fn java(class_name: &str, source: &str) -> Command {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    let dir = DIR.get_or_init(|| super::server::scratch("java"));
    let class_file = dir.join(format!("{class_name}.class"));
    if !class_file.exists() {
        let src = dir.join(format!("{class_name}.java"));
        std::fs::write(&src, source).expect("java source");
        let status = Command::new("javac")
            .args(["-cp", CURATOR_CP, "-d"])
            .arg(dir)
            .arg(&src)
            .status()
            .expect("javac runs");
        assert!(status.success(), "javac {class_name} failed");
    }
    let mut command = Command::new("java");
    command
        .args(["-XX:TieredStopAtLevel=1", "-cp"])
        .arg(format!("{}:{CURATOR_CP}", dir.display()))
        .arg(class_name);
    command
}

/// `/usr/bin/python3 -c <script>`: Debian's python, which has python3-kazoo.
pub fn python(script: &str) -> Command {
    let mut command = Command::new("/usr/bin/python3");
    command.args(["-c", script]);
    command
}
