//! Why each server could not be used, while a session is being opened.
//!
//! zookeeper-client returns only `NoHosts` or a timeout when every server fails, whether the
//! port was closed, the name did not resolve or the server's certificate is untrusted; the
//! reason per server reaches its `tracing` events alone. While `Session::connect` runs, a
//! small subscriber, scoped to this thread, records those events; nothing is recorded (or
//! formatted) once the session is open.

use std::fmt;
use std::sync::{Arc, Mutex};

use tracing_core::field::{Field, Visit};
use tracing_core::span::{Attributes, Id, Record};
use tracing_core::{Dispatch, Event, Level, Metadata, Subscriber, dispatcher};

/// What went wrong with one server, as far as the client could tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// `host:port`.
    pub server: String,
    pub why: Why,
}

/// The kinds of failure that call for different advice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    /// The TLS handshake failed on the server's certificate, or the server closed the TLS
    /// connection on ours.
    Tls(String),
    /// The server ended the handshake with this TLS alert (on our certificate, or its lack).
    TlsAlert(String),
    /// Refused, unresolvable, unreachable, silent: the server is not there.
    Unreachable(String),
    /// Kerberos could not start a login with this server; `ours` when the trouble is our own
    /// ticket (none, expired) or KDC, which every other server would meet alike.
    Kerberos { why: String, ours: bool },
    /// The server took the connection and closed it at once, before a session: most often
    /// at its limit of connections from one address (`maxClientCnxns`, 60 by default, which
    /// every zklock on a host counts against), else a TLS-only port. It is there: waiting
    /// for a free slot can help.
    Busy,
    /// Anything else the client logged.
    Other(String),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.why {
            Why::Tls(why) => write!(f, "{}: TLS: {why}", self.server),
            Why::TlsAlert(alert) => write!(
                f,
                "{}: TLS: the server refused the handshake ({alert})",
                self.server
            ),
            Why::Kerberos { why, .. } => write!(f, "{}: Kerberos: {why}", self.server),
            Why::Busy => write!(
                f,
                "{}: the server closed the connection at once: it is at its limit of connections from this address (maxClientCnxns, 60 by default: raise it, or give zklock a longer --connect-timeout or -w to wait for a free one), or the port is TLS-only (try --tls)",
                self.server
            ),
            Why::Unreachable(why) | Why::Other(why) => write!(f, "{}: {why}", self.server),
        }
    }
}

impl Failure {
    /// A TLS failure: the server is there, and waiting longer will not change its mind.
    pub fn is_tls(&self) -> bool {
        matches!(self.why, Why::Tls(_) | Why::TlsAlert(_))
    }

    /// A refusal (77): TLS or Kerberos; the server is there, and waiting will not help.
    pub fn is_refusal(&self) -> bool {
        self.is_tls() || matches!(self.why, Why::Kerberos { .. })
    }

    /// The server closed the connection at once (see `Why::Busy`).
    pub fn is_busy(&self) -> bool {
        matches!(self.why, Why::Busy)
    }

    /// A failure no other server can undo: our Kerberos ticket or KDC.
    pub fn is_ours(&self) -> bool {
        matches!(self.why, Why::Kerberos { ours: true, .. })
    }
}

/// Records the crate's connection failures until dropped.
pub struct Recorder {
    failures: Arc<Mutex<Vec<Failure>>>,
    _guard: dispatcher::DefaultGuard,
}

impl Recorder {
    /// Starts recording on this thread (where the connect future runs: the runtime is
    /// current-thread).
    pub fn start() -> Recorder {
        let failures = Arc::new(Mutex::new(Vec::new()));
        let dispatch = Dispatch::new(Capture {
            failures: failures.clone(),
        });
        Recorder {
            failures,
            _guard: dispatcher::set_default(&dispatch),
        }
    }

    /// Whether every server that failed has, at least once while this session was being
    /// opened, closed a connection at once (`Why::Busy`): it is there, at its limit. Its last
    /// failure may be another (a handshake left unanswered on a loaded machine), which does
    /// not make it gone.
    pub fn every_server_was_busy(&self) -> bool {
        let all = self.failures.lock().map(|f| f.clone()).unwrap_or_default();
        // (A long -w may gather many failures, of a few servers.)
        let mut busy: Vec<&str> = all
            .iter()
            .filter(|f| f.is_busy())
            .map(|f| f.server.as_str())
            .collect();
        busy.sort_unstable();
        busy.dedup();
        !all.is_empty() && all.iter().all(|f| busy.contains(&f.server.as_str()))
    }

    /// The last failure of each server, in the order they first failed.
    pub fn failures(&self) -> Vec<Failure> {
        let all = self.failures.lock().map(|f| f.clone()).unwrap_or_default();
        let mut last: Vec<Failure> = Vec::new();
        for failure in all {
            match last.iter_mut().find(|f| f.server == failure.server) {
                Some(seen) => *seen = failure,
                None => last.push(failure),
            }
        }
        last
    }
}

struct Capture {
    failures: Arc<Mutex<Vec<Failure>>>,
}

impl Subscriber for Capture {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.target().starts_with("zookeeper_client::session")
            && (*metadata.level() == Level::WARN || *metadata.level() == Level::DEBUG)
            && metadata.is_event()
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut message = Message(String::new());
        event.record(&mut message);
        if let Some(failure) = parse(&message.0)
            && let Ok(mut failures) = self.failures.lock()
            // (The same again, as a wait for a free connection meets it: nothing new.)
            && failures.last() != Some(&failure)
        {
            failures.push(failure);
        }
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

struct Message(String);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            use std::fmt::Write;
            let _ = write!(self.0, "{value:?}");
        }
    }
}

/// Reads one of the crate's messages: "fails in connecting to tcp+tls://h:p due to <io error
/// Debug>" (the TCP connect or the TLS handshake) or "fails to establish session to tcp://h:p
/// due to <error>" (the server closed the connection, e.g. on our certificate).
fn parse(message: &str) -> Option<Failure> {
    // "fail to open sasl session for <host>: <error>": Kerberos, before anything is sent.
    if let Some(rest) = message.strip_prefix("fail to open sasl session for ") {
        let (host, raw) = rest.split_once(": ")?;
        return Some(Failure {
            server: host.to_string(),
            why: kerberos(raw),
        });
    }
    let rest = message
        .strip_prefix("fails in connecting to ")
        .or_else(|| message.strip_prefix("fails to establish session to "))?;
    let (endpoint, raw) = rest.split_once(" due to ")?;
    let (tls, server) = match endpoint.split_once("://") {
        Some((scheme, server)) => (scheme == "tcp+tls", server),
        None => (false, endpoint),
    };
    Some(Failure {
        server: server.to_string(),
        why: classify(raw, tls),
    })
}

/// Turns the crate's error text into words and a kind.
fn classify(raw: &str, tls: bool) -> Why {
    let has = |s: &str| raw.contains(s);
    if has("UnknownIssuer") || has("BadSignature") {
        return Why::Tls(
            "the server's certificate is not signed by a CA we trust (--tls-ca)".into(),
        );
    }
    if has("NotValidForName") {
        return Why::Tls(
            "the server's certificate does not name this host (its subjectAltName); connect by a name it lists, or --tls-no-hostname-verification".into(),
        );
    }
    if has("Expired") {
        return Why::Tls("the server's certificate has expired".into());
    }
    if has("AlertReceived") {
        return Why::TlsAlert(between(raw, "AlertReceived(", ")").to_string());
    }
    if has("InvalidMessage") || has("CorruptMessage") || has("InvalidContentType") {
        return Why::Tls("the server does not speak TLS on this port".into());
    }
    // The crate logs an I/O error by Debug (`kind: BrokenPipe`) when the TCP connect fails,
    // and by Display ("Broken pipe (os error 32)") when a write or read of the handshake does:
    // both are the server closing on us.
    let closed = has("has lost")
        || has("BrokenPipe")
        || has("Broken pipe")
        || has("ConnectionReset")
        || has("Connection reset")
        || has("UnexpectedEof")
        || has("unexpected end of file");
    if !tls && closed {
        return Why::Busy;
    }
    if has("ConnectionRefused") {
        return Why::Unreachable("connection refused".into());
    }
    if has("lookup") || has("resolve") || has("Name or service not known") {
        return Why::Unreachable("cannot resolve the host name (DNS)".into());
    }
    if has("TimedOut") || has("timeout") || has("deadline") {
        return Why::Unreachable("no answer".into());
    }
    if has("NetworkUnreachable") || has("HostUnreachable") {
        return Why::Unreachable("network unreachable".into());
    }
    if tls && (closed || has("ConnectionLoss")) {
        // TLS 1.3 finishes the client's side of the handshake before the server checks our
        // certificate; a server that rejects it then just drops the connection.
        return Why::Tls(
            "the server closed the connection after the handshake: it does not accept our client certificate (or needs one: --tls-cert)".into(),
        );
    }
    Why::Other(humane(raw))
}

/// An error as the crate logged it (often Rust's debug text, `Os { code: 32, kind: BrokenPipe,
/// message: "Broken pipe" }`) in words: the message inside, else the kind, else the text.
fn humane(raw: &str) -> String {
    if let Some(message) = raw
        .split("message: \"")
        .nth(1)
        .and_then(|m| m.split('"').next())
    {
        return message.to_string();
    }
    if let Some(kind) = raw.split("kind: ").nth(1) {
        return kind
            .split(|c: char| !c.is_alphanumeric())
            .next()
            .unwrap_or(kind)
            .to_string();
    }
    raw.to_string()
}

/// Turns a GSS-API error into advice: the minor status, in the last parentheses, says what
/// happened ("No Kerberos credentials available (default cache: ...)", "Ticket expired",
/// "Server zookeeper/h@R not found in Kerberos database").
fn kerberos(raw: &str) -> Why {
    let has = |s: &str| raw.contains(s);
    let (why, ours) = if has("No Kerberos credentials available") || has("No credentials cache") {
        (
            "no ticket: run kinit (from a keytab: kinit -k -t KEYTAB PRINCIPAL, or set KRB5_CLIENT_KTNAME=KEYTAB)".to_string(),
            true,
        )
    } else if has("expired") {
        (
            "the ticket has expired: run kinit again (k5start or kinit -k -t KEYTAB keep it fresh)"
                .to_string(),
            true,
        )
    } else if has("not found in Kerberos database") {
        (
            format!(
                "the KDC knows no {}: check --sasl-service, and name the server as its principal does",
                between(raw, "Server ", " not found").trim()
            ),
            false,
        )
    } else if has("Cannot contact any KDC") || has("Cannot find KDC") {
        (
            "cannot reach a Kerberos KDC for the realm (krb5.conf, KRB5_CONFIG)".to_string(),
            true,
        )
    } else {
        let detail = raw
            .rsplit_once(" (")
            .map_or(raw, |(_, last)| last.trim_end_matches(')'));
        (detail.to_string(), false)
    };
    Why::Kerberos { why, ours }
}

fn between<'a>(text: &'a str, open: &str, close: &str) -> &'a str {
    text.split_once(open)
        .and_then(|(_, rest)| rest.split_once(close))
        .map_or(text, |(inside, _)| inside)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_crates_messages() {
        let untrusted = parse(
            "fails in connecting to tcp+tls://127.0.0.1:2281 due to Custom { kind: InvalidData, error: InvalidCertificate(UnknownIssuer) }",
        )
        .unwrap();
        assert_eq!(untrusted.server, "127.0.0.1:2281");
        assert!(matches!(untrusted.why, Why::Tls(ref w) if w.contains("--tls-ca")));
        let refused = parse(
            "fails in connecting to tcp://127.0.0.1:1 due to Os { code: 111, kind: ConnectionRefused, message: \"Connection refused\" }",
        )
        .unwrap();
        assert_eq!(refused.to_string(), "127.0.0.1:1: connection refused");
        assert_eq!(parse("sending connect request: ConnectRequest"), None);
    }

    /// A server at its maxClientCnxns closes the connection while the handshake is written
    /// or read; the crate then logs the I/O error by Display, not Debug (a CI run met
    /// "Broken pipe (os error 32)" and read it as "no answer", so -w did not wait).
    #[test]
    fn a_connection_closed_during_the_handshake_is_busy_in_either_form() {
        for raw in [
            "Broken pipe (os error 32)",
            "Connection reset by peer (os error 104)",
            "connection to server has lost",
            "Os { code: 32, kind: BrokenPipe, message: \"Broken pipe\" }",
        ] {
            let failure = parse(&format!(
                "fails to establish session to tcp://127.0.0.1:2181 due to {raw}"
            ))
            .unwrap();
            assert!(failure.is_busy(), "{raw}: {failure:?}");
        }
        let tls = parse(
            "fails to establish session to tcp+tls://127.0.0.1:2281 due to Connection reset by peer (os error 104)",
        )
        .unwrap();
        assert!(tls.is_tls(), "{tls:?}");
    }

    #[test]
    fn reads_kerberos_failures() {
        let gss = "internal mechanism error: GSS-API error: ";
        let none = parse(&format!(
            "fail to open sasl session for localhost: {gss}No credentials were supplied, or the credentials were unavailable or inaccessible (No Kerberos credentials available (default cache: FILE:/tmp/x))"
        ))
        .unwrap();
        assert_eq!(none.server, "localhost");
        assert!(
            none.is_ours() && none.to_string().contains("run kinit"),
            "{none}"
        );
        let expired = parse(&format!(
            "fail to open sasl session for zk1: {gss}Unspecified GSS failure.  Minor code may provide more information (Ticket expired)"
        ))
        .unwrap();
        assert!(expired.is_ours() && expired.to_string().contains("expired"));
        let unknown = parse(&format!(
            "fail to open sasl session for zk1: {gss}Unspecified GSS failure.  Minor code may provide more information (Server zk/zk1@R not found in Kerberos database)"
        ))
        .unwrap();
        assert!(!unknown.is_ours() && unknown.is_refusal());
        assert!(
            unknown.to_string().contains("knows no zk/zk1@R"),
            "{unknown}"
        );
        let other = parse(&format!(
            "fail to open sasl session for zk1: {gss}Unspecified GSS failure.  Minor code may provide more information (Clock skew too great)"
        ))
        .unwrap();
        assert_eq!(other.to_string(), "zk1: Kerberos: Clock skew too great");
    }
}
