//! `ls -l`: the table of twelve columns, and the run record in words above it.

use std::time::{Duration, UNIX_EPOCH};

use super::Entry;
use crate::acl;
use crate::cli::LsArgs;
use crate::queue;
use crate::record::{self, Run};
use crate::render;

/// `ls -l`'s columns: every line has the same fields ("-" when empty), the name last as in
/// ls(1) (a znode name may hold spaces); on a terminal a header and shortened uuids.
const COLUMNS: [&str; 12] = [
    "TYPE", "OWNER", "VERSION", "SIZE", "CHILDREN", "MTIME", "AGE", "ROLE", "POS", "ID", "ACL",
    "NAME",
];

/// `ls -l`'s table, written a window of rows at a time: each column as wide as its widest
/// field so far (a listing too long to hold is aligned by its first window, widening later
/// only where a field needs it); the header, on a terminal, above the first rows.
pub(super) struct Table {
    terminal: bool,
    widths: [usize; COLUMNS.len()],
    started: bool,
}

impl Table {
    pub(super) fn new(terminal: bool) -> Table {
        Table {
            terminal,
            widths: [0; COLUMNS.len()],
            started: false,
        }
    }

    pub(super) fn rows(&mut self, out: &mut String, entries: &[Entry], args: &LsArgs) {
        let mut rows: Vec<Vec<String>> = Vec::new();
        if self.terminal && !self.started {
            rows.push(COLUMNS.iter().map(|c| c.to_string()).collect());
        }
        self.started = true;
        rows.extend(entries.iter().map(|e| long_fields(e, args, self.terminal)));
        for row in &rows {
            for (width, field) in self.widths.iter_mut().zip(row) {
                *width = (*width).max(field.chars().count());
            }
        }
        let last = COLUMNS.len() - 1;
        for row in rows {
            for (k, field) in row.iter().enumerate() {
                let pad = self.widths[k].saturating_sub(field.chars().count());
                match k {
                    _ if k == last => out.push_str(field),
                    // The counts read best right-aligned.
                    2..=4 => out.push_str(&format!("{}{field} ", " ".repeat(pad))),
                    _ => out.push_str(&format!("{field}{} ", " ".repeat(pad))),
                }
            }
            out.push('\n');
        }
    }

    /// An empty listing still gets its header on a terminal.
    pub(super) fn header_if_empty(&mut self, out: &mut String, args: &LsArgs) {
        if !self.started {
            self.rows(out, &[], args);
        }
    }
}

fn long_fields(entry: &Entry, args: &LsArgs, terminal: bool) -> Vec<String> {
    let dash = || "-".to_string();
    let mut name = if args.recursive {
        entry.path.clone()
    } else {
        entry.name.clone()
    };
    if terminal {
        name = shorten_uuid(&name);
    }
    // Reading an ACL needs read (or admin) too, so it is usually unknown for a denied node.
    let acl = entry.acl.as_deref().map_or_else(dash, acl::list_text);
    let Some((data, stat)) = &entry.detail else {
        let why = match entry.denied {
            true => "(not authorized to read)",
            false => "(deleted while listing)",
        };
        let mut fields = vec![dash(); COLUMNS.len()];
        fields[10] = acl;
        fields[11] = format!("{name} {why}");
        return fields;
    };
    let (kind, owner) = match stat.ephemeral_owner {
        0 => ("persistent", dash()),
        owner => ("ephemeral", format!("{owner:#x}")),
    };
    let (role, position, id) = match &entry.role {
        Some(role) => {
            let position = match (role.position, role.limit) {
                (Some(k), Some(n)) if role.kind == queue::Kind::Lease => format!("{k}/{n}"),
                (Some(k), _) => k.to_string(),
                (None, _) => dash(),
            };
            // One field: a space in an id would shift the columns after it.
            let id = render::data_text(data).replace(' ', "\\x20");
            let id = if id.is_empty() { dash() } else { id };
            (role.kind.name().to_string(), position, id)
        }
        None => (dash(), dash(), dash()),
    };
    if args.data && entry.role.is_none() {
        name = format!("{name}\t{}", render::data_text(data));
    }
    vec![
        kind.to_string(),
        owner,
        stat.version.to_string(),
        stat.data_length.to_string(),
        stat.num_children.to_string(),
        render::timestamp(stat.mtime),
        render::age(stat.ctime).replace(' ', ""),
        role,
        position,
        id,
        acl,
        name,
    ]
}

/// `_c_671d6b3e-89ab-4cde-8f01-23456789abcd-lock-0000000003` → `_c_671d…-lock-0000000003`, in
/// the last component of `name`: the uuid only tells contenders apart.
fn shorten_uuid(name: &str) -> String {
    let (dir, last) = match name.rfind('/') {
        Some(i) => name.split_at(i + 1),
        None => ("", name),
    };
    let uuid = last.get(3..39).filter(|u| {
        last.starts_with("_c_") && u.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
    });
    match uuid {
        Some(uuid) => format!("{dir}_c_{}…{}", &uuid[..4], &last[39..]),
        None => name.to_string(),
    }
}

/// `ls -l PATH`'s first line when PATH holds a run record: the last run in words.
pub(super) fn last_run_line(last: &Run) -> String {
    let start = UNIX_EPOCH + Duration::from_millis(last.start_ms.max(0) as u64);
    format!(
        "last run  {}, {}, fencing token {}",
        humantime::format_rfc3339_seconds(start),
        last.describe(record::local_now_ms()),
        last.fencing_token
    )
}

#[cfg(test)]
mod tests {
    use super::shorten_uuid;

    #[test]
    fn uuids_shorten_in_the_last_component_only() {
        let node = "_c_671d6b3e-89ab-4cde-8f01-23456789abcd-lock-0000000003";
        assert_eq!(shorten_uuid(node), "_c_671d…-lock-0000000003");
        assert_eq!(
            shorten_uuid(&format!("/locks/x/{node}")),
            "/locks/x/_c_671d…-lock-0000000003"
        );
        for other in ["config", "_c_short-lock-0000000001", "/a/_c_zzzz"] {
            assert_eq!(shorten_uuid(other), other);
        }
    }
}
