//! `zklock watch`: follow a znode, its children or its subtree with a persistent watch
//! (ZooKeeper 3.6+), printing a line or running a command per event.

use std::collections::BTreeSet;

use zookeeper_client::{AddWatchMode, Client, EventType, PersistentWatcher, SessionState};

use crate::child::{self, Child};
use crate::cli::WatchArgs;
use crate::connect::Connection;
use crate::connect::Session;
use crate::diag::Diag;
use crate::error::{Error, Perm};
use crate::interrupt;
use crate::out;
use crate::render::{self, Json};
use crate::signal::{Caught, Listener, Signal};
use crate::znode;

/// One thing to report: `created`, `changed`, `deleted`, `children`, `initial` or `resync`.
#[derive(Debug, Clone)]
struct Event {
    kind: &'static str,
    path: String,
    /// The event's transaction id; servers before 3.9 do not send it (-1).
    zxid: i64,
    /// For a `children` event: the child that was `created` or `deleted`, and how many
    /// children there are now.
    child: Option<(String, &'static str, usize)>,
}

impl Event {
    fn new(kind: &'static str, path: &str) -> Event {
        Event {
            kind,
            path: path.to_string(),
            zxid: -1,
            child: None,
        }
    }
}

pub async fn run(connection: &Connection, args: WatchArgs, diag: &Diag) -> Result<i32, Error> {
    if args.path != "/" {
        znode::validate(&args.path, znode::Use::Read)?;
    }
    let mut signals = interrupt::listen(false)?;
    if !args.command.is_empty() {
        // Best effort: without it, what the command leaves behind is stopped by group only.
        let _ = child::become_subreaper();
    }
    let mut runner = Runner {
        argv: args.command.clone(),
        once: args.once,
        running: None,
        pending: None,
    };
    let mut first = true;
    loop {
        let session = tokio::select! {
            session = super::connect_again(connection, first, diag) => session?,
            sig = signals.terminating() => return runner.stop(sig).await,
        };
        let outcome = follow(&session, &args, &mut runner, &mut signals, first, diag).await;
        session.close(None, diag).await;
        match outcome? {
            Followed::Exit(status) => return Ok(status),
            Followed::Expired => diag.warn(format_args!(
                "session expired; re-arming the watch on {}",
                args.path
            )),
        }
        first = false;
    }
}

enum Followed {
    Exit(i32),
    Expired,
}

async fn follow(
    session: &Session,
    args: &WatchArgs,
    runner: &mut Runner,
    signals: &mut Listener,
    first: bool,
    diag: &Diag,
) -> Result<Followed, Error> {
    let client = &session.client;
    let mode = if args.recursive {
        AddWatchMode::PersistentRecursive
    } else {
        AddWatchMode::Persistent
    };
    let mut watcher = add_watch(client, &args.path, mode).await?;
    // --children: the listing each change is compared with, to name the child.
    let mut children = match args.children {
        true => Some(list_set(client, &args.path).await),
        false => None,
    };
    let what = match (args.recursive, args.children) {
        (true, _) => " and its subtree",
        (_, true) => "'s children",
        _ => "",
    };
    diag.info(format_args!("watching {}{what}", args.path));
    // Set by a Disconnected session event: the connection broke, the session lives on.
    let mut reconnecting = false;
    let mut initial = Vec::new();
    if !first {
        initial.push(Event::new("resync", &args.path));
    } else if args.initial {
        initial = current_state(client, args).await?;
    }
    for event in initial {
        if let Some(status) = emit(client, args, runner, event).await? {
            return Ok(Followed::Exit(status));
        }
    }
    loop {
        tokio::select! {
            event = watcher.changed() => {
                let kind = match event.event_type {
                    EventType::Session => match event.session_state {
                        SessionState::Expired => return Ok(Followed::Expired),
                        s if s.is_terminated() => return Err(Error::session_ended(&args.path, s)),
                        SessionState::Disconnected => {
                            reconnecting = true;
                            continue;
                        }
                        SessionState::SyncConnected | SessionState::ConnectedReadOnly if reconnecting => {
                            // zookeeper-client 0.11.2 does not re-send persistent watches on
                            // reconnect (tests/watch.rs shows it): add ours again, and say that
                            // changes made meanwhile may have been missed.
                            reconnecting = false;
                            watcher = match add_watch(client, &args.path, mode).await {
                                Ok(watcher) => watcher,
                                Err(e) if matches!(e, Error::Unavailable(_)) => {
                                    diag.debug(format_args!("re-adding the watch: {e}"));
                                    reconnecting = true;
                                    continue;
                                }
                                Err(e) => return Err(e),
                            };
                            diag.info(format_args!("reconnected; watching {} again", args.path));
                            "resync"
                        }
                        _ => continue,
                    },
                    EventType::NodeChildrenChanged if args.children => "children",
                    EventType::NodeChildrenChanged => continue,
                    _ if args.children => continue,
                    EventType::NodeCreated => "created",
                    EventType::NodeDataChanged => "changed",
                    EventType::NodeDeleted => "deleted",
                };
                let mut events = match kind {
                    "resync" => vec![Event::new(kind, &args.path)],
                    "children" => Vec::new(),
                    _ => vec![Event { zxid: event.zxid, ..Event::new(kind, &event.path) }],
                };
                // Which children came and went: against the last listing (after a resync
                // too, for what changed while the connection was down).
                if let Some(known) = &mut children
                    && (kind == "resync" || kind == "children")
                {
                    let fired = kind == "children";
                    events.extend(child_events(client, &args.path, known, fired).await);
                }
                for event in events {
                    if let Some(status) = emit(client, args, runner, event).await? {
                        return Ok(Followed::Exit(status));
                    }
                }
            }
            signal = signals.next() => match signal {
                Caught::Stop(sig) => return runner.stop(sig).await.map(Followed::Exit),
                Caught::Child => {
                    let Some(status) = runner.reaped()? else { continue };
                    if status != 0 {
                        diag.warn(format_args!("the command exited with status {status}"));
                    }
                    if args.once {
                        return Ok(Followed::Exit(status));
                    }
                }
            },
        }
    }
}

/// Adds a persistent (or persistent recursive) watch on `path`.
async fn add_watch(
    client: &Client,
    path: &str,
    mode: AddWatchMode,
) -> Result<PersistentWatcher, Error> {
    client.watch(path, mode).await.map_err(|e| match e {
        zookeeper_client::Error::Unimplemented => {
            Error::Other("this ZooKeeper is older than 3.6: watch needs persistent watches".into())
        }
        e => Error::denied(path, Perm::Read, e),
    })
}

/// What `--initial` reports: the node itself, its children, or its whole subtree.
async fn current_state(client: &Client, args: &WatchArgs) -> Result<Vec<Event>, Error> {
    let initial = |path: String| Event::new("initial", &path);
    let exists = client
        .check_stat(&args.path)
        .await
        .map_err(|e| Error::zk(&args.path, e))?
        .is_some();
    if !exists {
        return Ok(Vec::new());
    }
    if !args.children && !args.recursive {
        return Ok(vec![initial(args.path.clone())]);
    }
    let mut found = if args.recursive {
        vec![args.path.clone()]
    } else {
        Vec::new()
    };
    let mut level = vec![args.path.clone()];
    while let Some(parent) = level.pop() {
        let mut names = client.list_children(&parent).await.unwrap_or_default();
        names.sort();
        for name in names {
            let path = znode::child(&parent, &name);
            if args.recursive {
                level.push(path.clone());
            }
            found.push(path);
        }
    }
    found.sort();
    Ok(found.into_iter().map(initial).collect())
}

/// Prints the event, or hands it to the command. Returns an exit status once `--once` is done.
async fn emit(
    client: &Client,
    args: &WatchArgs,
    runner: &mut Runner,
    event: Event,
) -> Result<Option<i32>, Error> {
    if !runner.argv.is_empty() {
        runner.offer(event)?;
        return Ok(None);
    }
    out::line(describe(client, args, &event).await)?;
    Ok(args.once.then_some(0))
}

async fn describe(client: &Client, args: &WatchArgs, event: &Event) -> String {
    let wants_data =
        (args.data || args.json) && matches!(event.kind, "created" | "changed" | "initial");
    let detail = if wants_data {
        client.get_data(&event.path).await.ok()
    } else {
        None
    };
    if !args.json {
        return match (&detail, args.data, &event.child) {
            (_, _, Some((child, change, _))) => format!("children {} {change} {child}", event.path),
            (Some((data, _)), true, _) => {
                format!("{} {} {}", event.kind, event.path, render::data_text(data))
            }
            _ => format!("{} {}", event.kind, event.path),
        };
    }
    // Every event carries every field of an event, null where it does not apply (README's
    // JSON table): a reader need not ask whether a key is there.
    let (version, data, encoding) = match detail {
        Some((data, stat)) => {
            let (data, encoding) = render::data_json(&data);
            (Json::Int(stat.version.into()), data, encoding)
        }
        None => (Json::Null, Json::Null, Json::Null),
    };
    let (child, change, children) = match &event.child {
        Some((child, change, count)) => (
            Json::str(child),
            Json::str(*change),
            Json::Int(*count as i64),
        ),
        None => (Json::Null, Json::Null, Json::Null),
    };
    Json::Object(vec![
        ("event", Json::str(event.kind)),
        ("path", Json::str(&event.path)),
        (
            "zxid",
            if event.zxid >= 0 {
                Json::Int(event.zxid)
            } else {
                Json::Null
            },
        ),
        ("version", version),
        ("data", data),
        ("encoding", encoding),
        ("child", child),
        ("change", change),
        ("children", children),
    ])
    .render()
}

/// Runs the command per event, one at a time; events arriving meanwhile collapse into one
/// follow-up run with the latest of them.
struct Runner {
    argv: Vec<std::ffi::OsString>,
    /// `--once`: no follow-up runs.
    once: bool,
    running: Option<Child>,
    pending: Option<Event>,
}

impl Runner {
    fn offer(&mut self, event: Event) -> Result<(), Error> {
        if self.running.is_some() {
            self.pending = Some(event);
            return Ok(());
        }
        let mut env = vec![
            ("ZKLOCK_EVENT", event.kind.to_string()),
            ("ZKLOCK_EVENT_PATH", event.path),
        ];
        if let Some((child, change, _)) = event.child {
            env.push(("ZKLOCK_EVENT_CHILD", child));
            env.push(("ZKLOCK_EVENT_CHANGE", change.to_string()));
        }
        self.running = Some(child::spawn(&self.argv, &env, None, None, None)?);
        Ok(())
    }

    /// After SIGCHLD: the finished command's status, having started the follow-up run if any.
    fn reaped(&mut self) -> Result<Option<i32>, Error> {
        let Some(status) = self.running.as_mut().and_then(Child::reap) else {
            return Ok(None);
        };
        self.running = None;
        if let Some(event) = self.pending.take().filter(|_| !self.once) {
            self.offer(event)?;
        }
        Ok(Some(status))
    }

    /// zklock was told to stop: stop the command too, then exit 128+N.
    async fn stop(&mut self, sig: Signal) -> Result<i32, Error> {
        if let Some(child) = self.running.as_mut() {
            child.signal(sig);
            child
                .stop_rest(sig, std::time::Duration::from_secs(5))
                .await;
        }
        Err(Error::Interrupted(sig))
    }
}

/// The children of `path` now (none when it is missing or unreadable).
async fn list_set(client: &Client, path: &str) -> BTreeSet<String> {
    client
        .list_children(path)
        .await
        .unwrap_or_default()
        .into_iter()
        .collect()
}

/// A `children` event per child created or deleted since `known`, which becomes the listing
/// now; when the watch `fired` and the listing is the same (a child came and went between),
/// one without a child.
async fn child_events(
    client: &Client,
    path: &str,
    known: &mut BTreeSet<String>,
    fired: bool,
) -> Vec<Event> {
    let now = list_set(client, path).await;
    let count = now.len();
    let mut events: Vec<Event> = now
        .difference(known)
        .map(|c| (c, "created"))
        .chain(known.difference(&now).map(|c| (c, "deleted")))
        .map(|(child, change)| Event {
            child: Some((child.clone(), change, count)),
            ..Event::new("children", path)
        })
        .collect();
    if events.is_empty() && fired {
        events.push(Event::new("children", path));
    }
    *known = now;
    events
}
