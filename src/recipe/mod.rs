//! The lock and election recipe shared with Curator and kazoo. This file: contender names and
//! their order, shared by every mode (SPEC §2.1). `node`: creating our own node; `dirs`: the
//! lock directories and the ACLs they inherit; `turn`: waiting on the immediate predecessor
//! only, until our turn.

mod dirs;
mod node;
mod turn;

pub use dirs::{make_dirs, make_lasting_dir};
pub use node::{OwnNode, create, create_then_list, lost_connection};
pub use turn::{Acquired, Patience, acquire, sleep_until};

/// Which recipe our node takes part in; decides its name and what it waits for (SPEC §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recipe {
    /// Curator InterProcessMutex: `_c_<uuid>-lock-<seq>`, exclusive.
    Lock,
    /// Curator LeaderLatch: `_c_<uuid>-latch-<seq>`, exclusive (the leader).
    Latch,
    /// Curator InterProcessReadWriteLock's write lock: `_c_<uuid>-__WRIT__<seq>`, exclusive.
    Write,
    /// Its read lock: `_c_<uuid>-__READ__<seq>`, shared with other readers.
    Read,
    /// A lease of Curator InterProcessSemaphoreV2: `leases/_c_<uuid>-lease-<seq>` (counted,
    /// not queued: see semaphore.rs).
    Lease,
}

impl Recipe {
    /// The recipe a node of ours (or Curator's) with this name takes part in.
    pub fn in_name(name: &str) -> Option<Recipe> {
        [
            Recipe::Lock,
            Recipe::Latch,
            Recipe::Write,
            Recipe::Read,
            Recipe::Lease,
        ]
        .into_iter()
        .find(|r| name.contains(r.infix()))
    }

    /// In words, for messages: "a lock", "a read lock", ...
    pub fn describe(self) -> &'static str {
        match self {
            Recipe::Lock => "a lock",
            Recipe::Latch => "a leadership",
            Recipe::Write => "a write lock (--write)",
            Recipe::Read => "a read lock (--shared)",
            Recipe::Lease => "a semaphore's lease (--limit)",
        }
    }

    fn infix(self) -> &'static str {
        match self {
            Recipe::Lock => "-lock-",
            Recipe::Latch => "-latch-",
            Recipe::Write => "-__WRIT__",
            Recipe::Read => "-__READ__",
            Recipe::Lease => "-lease-",
        }
    }
}

/// Every peer's contender marker, and whether its holders share the lock (readers). Every
/// zklock mode counts every one of them by its sequence (one counter per directory), so zklock
/// stays safe beside any of these peers, even one that ignores zklock's own nodes.
const MARKERS: &[(&str, bool)] = &[
    ("-lock-", false),   // Curator InterProcessMutex, zklock
    ("__lock__", false), // kazoo Lock
    ("-latch-", false),  // Curator LeaderLatch, zklock elect
    ("__WRIT__", false), // Curator write lock, zklock --write
    ("__READ__", true),  // Curator read lock, zklock --shared
    ("__rlock__", true), // kazoo ReadLock
];

/// A child of the lock directory that competes for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contender {
    pub name: String,
    pub seq: i64,
    /// A reader: holds the lock together with other readers.
    pub shared: bool,
}

/// The contenders among `children`, lowest sequence first.
pub fn contenders(children: Vec<String>) -> Vec<Contender> {
    collect_contenders(children)
}

/// The contenders among `names`, lowest sequence first, copying only theirs (`ls` of a node
/// with 200,000 children copied every name to find none).
pub fn contenders_among(names: &[String]) -> Vec<Contender> {
    collect_contenders(names.iter().map(String::as_str))
}

fn collect_contenders<S: AsRef<str> + Into<String>>(
    names: impl IntoIterator<Item = S>,
) -> Vec<Contender> {
    let mut found: Vec<Contender> = names
        .into_iter()
        .filter_map(|name| {
            let (seq, shared) = sequence_of(name.as_ref())?;
            Some(Contender {
                name: name.into(),
                seq,
                shared,
            })
        })
        .collect();
    found.sort_by(|a, b| a.seq.cmp(&b.seq).then_with(|| a.name.cmp(&b.name)));
    found
}

/// The contender the one at `pos` in `queue` must wait for, if any: for a reader the nearest
/// non-reader below it (readers after a waiting writer queue behind it: no writer starves);
/// for everyone else the immediate predecessor, whatever its kind.
pub fn blocker(queue: &[Contender], pos: usize) -> Option<&Contender> {
    let below = &queue[..pos];
    if queue[pos].shared {
        below.iter().rev().find(|c| !c.shared)
    } else {
        below.last()
    }
}

/// The 10-digit sequence that ZooKeeper appended after one of the markers, and whether the
/// marker is a reader's.
fn sequence_of(name: &str) -> Option<(i64, bool)> {
    MARKERS
        .iter()
        .find_map(|(marker, shared)| Some((sequence_after(name, marker)?, *shared)))
}

/// The sequence of a semaphore lease (`_c_<uuid>-lease-<seq>` in `PATH/leases`).
pub fn lease_sequence(name: &str) -> Option<i64> {
    sequence_after(name, Recipe::Lease.infix())
}

/// The sequence of a contender of any recipe or of a semaphore lease, for ordering listings.
pub fn queue_sequence(name: &str) -> Option<i64> {
    sequence_of(name)
        .map(|(seq, _)| seq)
        .or_else(|| lease_sequence(name))
}

/// The 10 digits ZooKeeper appended after `marker` in `name`. Read from the end: no marker
/// ends in a digit, so a name that ends in `marker` and 10 digits has no later `marker`.
/// (Called several times for each of a listing's names: `ls` of 20,000 children spent a
/// fifth of its time in `rsplit_once`'s searcher set-up.)
fn sequence_after(name: &str, marker: &str) -> Option<i64> {
    let head = name.len().checked_sub(10)?;
    let (before, digits) = (name.get(..head)?, &name[head..]);
    if before.ends_with(marker) && digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.parse().ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue(names: &[&str]) -> Vec<Contender> {
        contenders(names.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn counts_every_peers_nodes_by_sequence() {
        let q = queue(&[
            "_c_b-lock-0000000003",
            "x__lock__0000000001",
            "_c_a-latch-0000000000",
            "other",
            "_c_c-lock-12",
            "_c_d-__READ__0000000004",
            "_c_e-__WRIT__0000000005",
            "f__rlock__0000000006",
        ]);
        let got: Vec<(i64, bool)> = q.iter().map(|c| (c.seq, c.shared)).collect();
        assert_eq!(
            got,
            [
                (0, false),
                (1, false),
                (3, false),
                (4, true),
                (5, false),
                (6, true)
            ]
        );
    }

    /// Read from the end: the marker must sit right before the last 10 characters, which must
    /// all be digits; a marker earlier in the name, or a multi-byte character, does not count.
    #[test]
    fn sequence_is_the_ten_digits_after_the_last_marker() {
        assert_eq!(sequence_after("_c_a-lock-0000000007", "-lock-"), Some(7));
        assert_eq!(sequence_after("-lock-0000000007", "-lock-"), Some(7));
        assert_eq!(
            sequence_after("a-lock-0000000007-lock-0000000009", "-lock-"),
            Some(9)
        );
        assert_eq!(sequence_after("a-lock-0000000007x", "-lock-"), None);
        assert_eq!(sequence_after("a-lock-000000007", "-lock-"), None);
        assert_eq!(sequence_after("a-lock-00000000007", "-lock-"), None);
        assert_eq!(sequence_after("a-lock-000000000é", "-lock-"), None);
        assert_eq!(sequence_after("é000000000", "-lock-"), None);
        assert_eq!(sequence_after("0000000007", "-lock-"), None);
        assert_eq!(queue_sequence("_c_a-lease-0000000003"), Some(3));
        assert_eq!(queue_sequence("config"), None);
    }

    /// Readers share; a writer waits for everyone before it; a reader after a waiting writer
    /// waits for that writer (no writer starves).
    #[test]
    fn readers_share_and_writers_wait_their_turn() {
        let q = queue(&[
            "_c_a-__READ__0000000000",
            "_c_b-__READ__0000000001",
            "_c_c-__WRIT__0000000002",
            "_c_d-__READ__0000000003",
            "_c_e-lock-0000000004",
        ]);
        let blocked_by: Vec<Option<i64>> = (0..q.len())
            .map(|k| blocker(&q, k).map(|c| c.seq))
            .collect();
        assert_eq!(blocked_by, [None, None, Some(1), Some(2), Some(3)]);
    }
}
