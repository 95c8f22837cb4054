//! A zklock inside the command of a zklock that holds the same lock: `zklock /x -- ./job.sh`,
//! where job.sh runs `zklock /x -- …`. Waiting behind its own ancestor's node, the inner one
//! would deadlock for ever. The outer zklock tells its command what it holds (`ZKLOCK_PATH`,
//! `ZKLOCK_NODE`, `ZKLOCK_SESSION_ID`, and `ZKLOCK_LIMIT` for a semaphore); an inner zklock on
//! the same paths in the same mode checks that the outer node is still there, held by that
//! session, and runs its command at once, under the outer guard (re-entrant, as Curator's
//! mutex is within one process; the outer's watchdog and cgroup cover the inner command, its
//! descendant). In another mode, or on only some of the outer's paths, it refuses with a usage
//! error (64) instead of deadlocking.

use crate::connect::Session;
use crate::error::Error;
use crate::holding::Plan;
use crate::recipe::Recipe;
use crate::znode;

/// What an outer zklock holds, from its command's environment.
pub struct Outer {
    nodes: Vec<String>,
    session: i64,
}

/// The outer hold of `plan`'s paths: None when the environment names none (the usual case)
/// or other paths; Err when nesting `plan` inside it would deadlock.
pub fn outer(plan: &Plan) -> Result<Option<Outer>, Error> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let (Some(paths), Some(nodes), Some(session)) = (
        var("ZKLOCK_PATH"),
        var("ZKLOCK_NODE"),
        var("ZKLOCK_SESSION_ID"),
    ) else {
        return Ok(None);
    };
    let held: Vec<&str> = paths.split(' ').collect();
    let overlap: Vec<&String> = plan
        .paths
        .iter()
        .filter(|p| held.contains(&p.as_str()))
        .collect();
    if overlap.is_empty() {
        return Ok(None);
    }
    let refuse = |why: &str| {
        Err(Error::Usage(format!(
            "{}: held by an outer zklock ({paths}) {why}: waiting here would deadlock",
            overlap
                .iter()
                .map(|p| p.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        )))
    };
    if plan.paths.len() != held.len() {
        return refuse("with other paths than these");
    }
    let nodes: Vec<String> = nodes.split(' ').map(str::to_string).collect();
    let outer_recipe = nodes.first().and_then(|n| Recipe::in_name(znode::name(n)));
    let inner_recipe = if plan.limit.is_some() {
        Recipe::Lease
    } else {
        plan.recipe
    };
    if outer_recipe != Some(inner_recipe) {
        return refuse(&format!(
            "as {}, not as {}",
            outer_recipe.map_or("something else", Recipe::describe),
            inner_recipe.describe()
        ));
    }
    if plan.limit.is_some() && var("ZKLOCK_LIMIT") != plan.limit.map(|n| n.to_string()) {
        return refuse("with another --limit");
    }
    let session = i64::from_str_radix(session.trim_start_matches("0x"), 16)
        .map_err(|_| Error::Usage(format!("ZKLOCK_SESSION_ID {session:?} is not a session id")))?;
    Ok(Some(Outer { nodes, session }))
}

impl Outer {
    /// Whether every node of the outer hold is still there, held by the outer session: its
    /// lock is then still held (the outer guard stops this command should it be lost).
    pub async fn still_held(&self, session: &Session) -> Result<(), Error> {
        // Every stat sent before any answer is read (pipelined, as record::read_all reads).
        let pending: Vec<_> = self
            .nodes
            .iter()
            .map(|node| session.client.check_stat(node))
            .collect();
        for (node, reply) in self.nodes.iter().zip(pending) {
            match reply.await {
                Ok(Some(stat)) if stat.ephemeral_owner == self.session => {}
                Ok(_) => {
                    return Err(Error::Lost(format!(
                        "{node}: the outer zklock's node is gone (or is not its session's here): its lock is not held"
                    )));
                }
                Err(e) => return Err(Error::zk(node, e)),
            }
        }
        Ok(())
    }
}
