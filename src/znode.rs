//! Znode path rules: what a path the user names may be, checked before any connection, and
//! how paths are put together.

use crate::error::Error;

/// What the path is for: reading may look into ZooKeeper's own tree, writing may not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    /// `ls`, `watch`: any node, `/zookeeper/config` included.
    Read,
    /// `lock`, `elect`: zklock creates nodes there.
    Write,
}

/// Checks that `path` is an absolute znode path other than `/`, that ZooKeeper and its client
/// accept, and (for `Use::Write`) outside the server's reserved `/zookeeper` tree.
pub fn validate(path: &str, purpose: Use) -> Result<(), Error> {
    let bad = |why: &str| Err(Error::Usage(format!("bad path '{path}': {why}")));
    if !path.starts_with('/') {
        return bad("must start with /");
    }
    if path == "/" {
        return bad("must name a znode below /");
    }
    if path.ends_with('/') {
        return bad("must not end with /");
    }
    if let Some(c) = path.chars().find(|c| refused(*c)) {
        return bad(&format!(
            "contains {}, which ZooKeeper refuses in a path",
            describe(c)
        ));
    }
    if path[1..]
        .split('/')
        .any(|part| part.is_empty() || part == "." || part == "..")
    {
        return bad("empty, '.' or '..' component");
    }
    if purpose == Use::Write && (path == "/zookeeper" || path.starts_with("/zookeeper/")) {
        return bad("/zookeeper is the server's own tree (quotas, config); choose another path");
    }
    Ok(())
}

/// The characters ZooKeeper's path rules (and the client crate's) refuse: control characters,
/// the private-use area and the last specials block.
fn refused(c: char) -> bool {
    let u = u32::from(c);
    matches!(u, 0x00..=0x1f | 0x7f..=0x9f | 0xe000..=0xf8ff | 0xfff0..=0xffff)
}

fn describe(c: char) -> String {
    if c.is_control() {
        format!("a control character (U+{:04X})", u32::from(c))
    } else {
        format!("U+{:04X}", u32::from(c))
    }
}

/// The path of child `name` under `parent` (which may be `/`).
pub fn child(parent: &str, name: &str) -> String {
    if parent == "/" {
        format!("/{name}")
    } else {
        format!("{parent}/{name}")
    }
}

/// The last component of a path.
pub fn name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The parent of an absolute path (`/` for a top-level node).
pub fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_paths() {
        for bad in [
            "",
            "locks",
            "/",
            "/a/",
            "/a//b",
            "/a/./b",
            "/a/../b",
            "/a\nb",
            "/a\u{e000}",
            "/a\u{fff0}",
            "/a\u{85}",
        ] {
            assert!(validate(bad, Use::Read).is_err(), "{bad:?} accepted");
        }
        assert!(validate("/locks/backup", Use::Write).is_ok());
        assert!(validate("/locks/ünïcode ok", Use::Write).is_ok());
    }

    #[test]
    fn the_reserved_tree_is_readable_but_not_writable() {
        assert!(validate("/zookeeper/config", Use::Read).is_ok());
        for reserved in ["/zookeeper", "/zookeeper/quota/x"] {
            let e = validate(reserved, Use::Write).expect_err(reserved);
            assert_eq!(e.code(), 64);
            assert!(e.to_string().contains("server's own tree"), "{e}");
        }
        assert!(validate("/zookeepers", Use::Write).is_ok());
    }

    #[test]
    fn parents_and_children() {
        assert_eq!(parent("/a"), "/");
        assert_eq!(parent("/a/b"), "/a");
        assert_eq!(child("/", "a"), "/a");
        assert_eq!(child("/a", "b"), "/a/b");
    }
}
