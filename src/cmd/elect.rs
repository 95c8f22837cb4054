//! `zklock elect`: lead with a command (the lock path with Curator LeaderLatch names), or show
//! who leads (`--leader`) and every change of leader (`--observe`).

use zookeeper_client::{Client, Stat};

use crate::cli::ElectArgs;
use crate::connect::Connection;
use crate::connect::Session;
use crate::diag::Diag;
use crate::error::{Error, Perm};
use crate::holding;
use crate::interrupt;
use crate::out;
use crate::recipe::{self, Patience, Recipe};
use crate::render::{self, Json};
use crate::znode;

pub async fn run(connection: &Connection, args: ElectArgs, diag: &Diag) -> Result<i32, Error> {
    if args.runs_a_command() {
        let plan = super::plan(
            Recipe::Latch,
            vec![args.path],
            None,
            Patience::Until(None),
            75,
            args.run,
        )?;
        return holding::run(connection, plan, diag).await;
    }
    znode::validate(&args.path, znode::Use::Read)?;
    let mut signals = interrupt::listen(false)?;
    if args.observe {
        return observe_across_sessions(connection, &args, &mut signals, diag).await;
    }
    let session =
        interrupt::unless_stopped(&mut signals, Session::connect(connection, diag)).await?;
    // Retries after a lost connection included, this answers or yields to a signal.
    let result = interrupt::unless_stopped(&mut signals, leader(&session.client, &args)).await;
    session.close(None, diag).await;
    result
}

/// `--observe` until told to stop: a session that expires is replaced by a new one (as `watch`
/// does), and the leader is shown again if it changed meanwhile.
async fn observe_across_sessions(
    connection: &Connection,
    args: &ElectArgs,
    signals: &mut crate::signal::Listener,
    diag: &Diag,
) -> Result<i32, Error> {
    let mut shown: Option<Option<String>> = None;
    let mut first = true;
    loop {
        let session =
            interrupt::unless_stopped(signals, super::connect_again(connection, first, diag))
                .await?;
        first = false;
        let outcome = interrupt::unless_stopped(signals, observe(&session, args, &mut shown)).await;
        // A request in flight when the session expired fails with its own error.
        let outcome = match outcome {
            Err(Error::Unavailable(_))
                if session.client.state() == zookeeper_client::SessionState::Expired =>
            {
                Ok(())
            }
            other => other,
        };
        session.close(None, diag).await;
        outcome?;
        diag.warn(format_args!(
            "session expired; observing {} from a new session",
            args.path
        ));
    }
}

/// The current leader: its node name, id (the node's data) and creation time.
struct Leader {
    node: String,
    id: Vec<u8>,
    stat: Stat,
}

async fn current_leader(client: &Client, dir: &str) -> Result<Option<Leader>, Error> {
    loop {
        let children = match client.list_children(dir).await {
            Ok(children) => children,
            Err(zookeeper_client::Error::NoNode) => return Ok(None),
            Err(e) if recipe::lost_connection(&e) => continue,
            Err(e) => return Err(Error::denied(dir, Perm::Read, e)),
        };
        let Some(first) = recipe::contenders(children).into_iter().next() else {
            return Ok(None);
        };
        let node = format!("{dir}/{}", first.name);
        match client.get_data(&node).await {
            Ok((data, stat)) => {
                return Ok(Some(Leader {
                    id: data,
                    node,
                    stat,
                }));
            }
            // It resigned between the list and the read: look again.
            Err(zookeeper_client::Error::NoNode) => continue,
            Err(e) if recipe::lost_connection(&e) => continue,
            Err(e) => return Err(Error::zk(&node, e)),
        }
    }
}

fn show(leader: Option<&Leader>, json: bool) -> String {
    if !json {
        return leader.map(|l| render::data_text(&l.id)).unwrap_or_default();
    }
    // README's JSON vocabulary: the leader's node as `path`, its `id` (exactly: UTF-8, or
    // base64 as `encoding` says), `ctime`, `role` and `position` (null: a holder's, as in
    // `ls --holder`), every field null when none leads.
    let (path, id, encoding, ctime, role) = match leader {
        Some(l) => {
            let (id, encoding) = render::data_json(&l.id);
            (
                Json::str(&l.node),
                id,
                encoding,
                Json::Str(render::timestamp(l.stat.ctime)),
                Json::str("leader"),
            )
        }
        None => (Json::Null, Json::Null, Json::Null, Json::Null, Json::Null),
    };
    Json::Object(vec![
        ("path", path),
        ("id", id),
        ("encoding", encoding),
        ("ctime", ctime),
        ("role", role),
        ("position", Json::Null),
    ])
    .render()
}

async fn leader(client: &Client, args: &ElectArgs) -> Result<i32, Error> {
    match current_leader(client, &args.path).await? {
        Some(leader) => {
            out::line(show(Some(&leader), args.json))?;
            Ok(0)
        }
        None => {
            // An answer: in JSON too, so a script reads `"id":null` rather than nothing.
            if args.json {
                out::line(show(None, true))?;
            }
            Err(Error::Vacant(format!("{}: no leader", args.path)))
        }
    }
}

/// Prints a line whenever the leader changes (an empty line, or `"id":null`, when nobody leads),
/// until the session expires (`Ok`) or fails otherwise.
async fn observe(
    session: &Session,
    args: &ElectArgs,
    shown: &mut Option<Option<String>>,
) -> Result<(), Error> {
    let client = &session.client;
    loop {
        // Watch the child list first, then read, so no change between the two is missed.
        let watcher = match client.get_and_watch_children(&args.path).await {
            Ok((_, _, watcher)) => watcher,
            // No election yet: wait for its node to appear.
            Err(zookeeper_client::Error::NoNode) => {
                match client
                    .check_and_watch_stat(&args.path)
                    .await
                    .map_err(|e| Error::zk(&args.path, e))?
                {
                    (None, watcher) => watcher,
                    (Some(_), _) => continue, // created meanwhile: watch its children instead
                }
            }
            Err(e) if recipe::lost_connection(&e) => continue,
            Err(e) => return Err(Error::zk(&args.path, e)),
        };
        let leader = current_leader(client, &args.path).await?;
        let node = leader.as_ref().map(|l| l.node.clone());
        if shown.as_ref() != Some(&node) {
            out::line(show(leader.as_ref(), args.json))?;
            *shown = Some(node);
        }
        let event = watcher.changed().await;
        match event.session_state {
            _ if event.event_type != zookeeper_client::EventType::Session => {}
            zookeeper_client::SessionState::Expired => return Ok(()),
            state if state.is_terminated() => return Err(Error::session_ended(&args.path, state)),
            _ => {}
        }
    }
}
