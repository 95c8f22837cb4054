//! ACLs of the nodes zklock creates (`--acl`, SPEC §8), and how `ls` shows a node's ACL.
//!
//! The list syntax is zkCli's `scheme:id:perms` joined by commas. An x509 id has commas of its
//! own (`x509:CN=app,O=corp:cdrwa`), so an entry ends at the first comma that follows a
//! `:perms` field, not at the first comma.

use zookeeper_client::{Acl, AuthId, Permission};

use crate::error::Error;

/// What `--acl` asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AclSpec {
    /// `open`: world:anyone:cdrwa.
    Open,
    /// `creator`: all rights to the session's own identities only.
    Creator,
    /// `read`: all rights to the session's identities, read for everyone.
    Read,
    /// An explicit list.
    List(Vec<Acl>),
}

impl AclSpec {
    /// Parses `open`, `creator`, `read` or `scheme:id:perms[,scheme:id:perms]...`.
    pub fn parse(text: &str) -> Result<AclSpec, Error> {
        match text {
            "open" => return Ok(AclSpec::Open),
            "creator" => return Ok(AclSpec::Creator),
            "read" => return Ok(AclSpec::Read),
            _ => {}
        }
        let bad = |why: String| Error::Usage(format!("bad --acl '{text}': {why}"));
        let mut acls = Vec::new();
        let mut rest = text;
        while !rest.is_empty() {
            let (entry, after) = split_entry(rest).ok_or_else(|| {
                bad(format!(
                    "'{rest}' is not scheme:id:perms (perms from rwcda), nor open, creator or read"
                ))
            })?;
            let (scheme, id_perms) = entry.split_once(':').expect("split_entry found colons");
            let (id, perms) = id_perms.rsplit_once(':').expect("split_entry found colons");
            if scheme.is_empty() {
                return Err(bad(format!("'{entry}' has no scheme")));
            }
            if scheme == "world" && id != "anyone" {
                return Err(bad(format!(
                    "the world scheme's only id is anyone, not '{id}'"
                )));
            }
            acls.push(Acl::new(parse_perms(perms), AuthId::new(scheme, id)));
            if after.is_empty() && entry.len() < rest.len() {
                return Err(bad("a comma ends the list".into()));
            }
            rest = after;
        }
        if acls.is_empty() {
            return Err(bad("empty list".into()));
        }
        Ok(AclSpec::List(acls))
    }

    /// Whether the server can only accept this ACL from an authenticated session.
    pub fn needs_identity(&self) -> bool {
        matches!(self, AclSpec::Creator | AclSpec::Read)
    }

    /// The ACL entries to send with a create.
    pub fn entries(&self) -> Vec<Acl> {
        let all = |scheme: &str, id: &str| Acl::new(Permission::ALL, AuthId::new(scheme, id));
        match self {
            AclSpec::Open => vec![all("world", "anyone")],
            AclSpec::Creator => vec![all("auth", "")],
            AclSpec::Read => vec![
                all("auth", ""),
                Acl::new(Permission::READ, AuthId::new("world", "anyone")),
            ],
            AclSpec::List(acls) => acls.clone(),
        }
    }
}

/// Splits the first entry off `text`: it ends at the first comma (or the end) that follows a
/// `:perms` field made of `rwcda` letters. Returns the entry and what follows its comma.
fn split_entry(text: &str) -> Option<(&str, &str)> {
    let scheme_end = text.find(':')?;
    let mut from = scheme_end + 1;
    while let Some(colon) = text[from..].find(':').map(|i| from + i) {
        let end = text[colon + 1..]
            .find(',')
            .map_or(text.len(), |i| colon + 1 + i);
        let perms = &text[colon + 1..end];
        if !perms.is_empty() && perms.bytes().all(|b| b"rwcda".contains(&b)) {
            let after = text.get(end + 1..).unwrap_or("");
            return Some((&text[..end], after));
        }
        from = colon + 1;
    }
    None
}

fn parse_perms(perms: &str) -> Permission {
    let mut bits = Permission::NONE;
    for b in perms.bytes() {
        bits = bits
            | match b {
                b'r' => Permission::READ,
                b'w' => Permission::WRITE,
                b'c' => Permission::CREATE,
                b'd' => Permission::DELETE,
                _ => Permission::ADMIN,
            };
    }
    bits
}

/// `cdrwa`-style letters, in zkCli's order.
pub fn perms_text(perm: Permission) -> String {
    [
        (Permission::CREATE, 'c'),
        (Permission::DELETE, 'd'),
        (Permission::READ, 'r'),
        (Permission::WRITE, 'w'),
        (Permission::ADMIN, 'a'),
    ]
    .iter()
    .filter(|(p, _)| perm.has(*p))
    .map(|(_, c)| *c)
    .collect()
}

/// One entry as `--acl` takes it: `scheme:id:perms`.
pub fn entry_text(acl: &Acl) -> String {
    // Another client set the scheme and id (a digest id is anyone's text): escaped, as every
    // stored string is on a terminal.
    format!(
        "{}:{}:{}",
        crate::render::data_text(acl.scheme().as_bytes()),
        crate::render::data_text(acl.id().as_bytes()),
        perms_text(acl.permission())
    )
}

/// A whole ACL as `--acl` takes it, so `ls -l` output can be pasted back.
pub fn list_text(acls: &[Acl]) -> String {
    acls.iter().map(entry_text).collect::<Vec<_>>().join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(spec: &AclSpec) -> Vec<String> {
        spec.entries().iter().map(entry_text).collect()
    }

    #[test]
    fn keywords() {
        assert_eq!(
            texts(&AclSpec::parse("open").unwrap()),
            ["world:anyone:cdrwa"]
        );
        assert_eq!(texts(&AclSpec::parse("creator").unwrap()), ["auth::cdrwa"]);
        assert_eq!(
            texts(&AclSpec::parse("read").unwrap()),
            ["auth::cdrwa", "world:anyone:r"]
        );
    }

    #[test]
    fn x509_ids_keep_their_commas() {
        let spec = AclSpec::parse("x509:CN=app,O=corp:cdrwa,world:anyone:r").unwrap();
        assert_eq!(texts(&spec), ["x509:CN=app,O=corp:cdrwa", "world:anyone:r"]);
        let spec = AclSpec::parse("sasl:alice:rwcda,x509:CN=a,OU=b,O=c:r").unwrap();
        assert_eq!(texts(&spec), ["sasl:alice:cdrwa", "x509:CN=a,OU=b,O=c:r"]);
    }

    #[test]
    fn digest_ids_with_a_hash_and_the_auth_scheme() {
        let spec = AclSpec::parse("digest:alice:Xq3dWmgKTfmLxzvqJuFF9vHnzNs=:cd,auth::a").unwrap();
        assert_eq!(
            texts(&spec),
            ["digest:alice:Xq3dWmgKTfmLxzvqJuFF9vHnzNs=:cd", "auth::a"]
        );
    }

    #[test]
    fn round_trips_through_list_text() {
        let text = "x509:CN=app,O=corp:cdrwa,world:anyone:r";
        let AclSpec::List(acls) = AclSpec::parse(text).unwrap() else {
            panic!("a list")
        };
        assert_eq!(list_text(&acls), text);
    }

    #[test]
    fn refuses_what_is_not_an_acl() {
        for bad in [
            "",
            "opne",
            "world:anyone",
            "world:anyone:rx",
            ":x:r",
            "world:nobody:r",
            "sasl:alice:r,",
            "sasl:alice:r,junk",
        ] {
            let err = AclSpec::parse(bad).expect_err(bad);
            assert_eq!(err.code(), 64, "{bad}");
            assert!(err.to_string().contains("bad --acl"), "{err}");
        }
    }
}
