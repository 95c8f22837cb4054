//! `zklock lock`: the plan from the command line; holding.rs does the rest (as for `elect`).

use std::time::Instant;

use crate::cli::LockArgs;
use crate::connect::Connection;
use crate::diag::Diag;
use crate::error::Error;
use crate::holding;
use crate::recipe::{Patience, Recipe};

pub async fn run(connection: &Connection, args: LockArgs, diag: &Diag) -> Result<i32, Error> {
    let patience = match (args.nonblock, args.wait) {
        (true, _) => Patience::None,
        (false, wait) => Patience::Until(wait.map(|w| Instant::now() + w)),
    };
    let recipe = match (args.shared, args.write) {
        (true, _) => Recipe::Read,
        (_, true) => Recipe::Write,
        _ => Recipe::Lock,
    };
    let mut plan = super::plan(
        recipe,
        args.paths,
        args.limit,
        patience,
        args.conflict_exit_code,
        args.run,
    )?;
    plan.once_per = args.once_per;
    plan.record = args.record || args.once_per.is_some();
    holding::run(connection, plan, diag).await
}
