//! A loopback TCP proxy between one zklock and ZooKeeper that can freeze traffic in both
//! directions while keeping the sockets open (what a partition looks like to both ends), and
//! cut every connection (what a crashed middlebox looks like).

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Default)]
struct State {
    frozen: AtomicBool,
    /// Client-to-server traffic only is held: the client hears the server, which never hears
    /// the client's requests.
    requests_frozen: AtomicBool,
    generation: AtomicU64,
    stopped: AtomicBool,
    /// When non-zero: on connections made from now on, pass only this many server-to-client
    /// messages and hold back the rest (a reply lost on the way, its request applied).
    replies: AtomicU64,
    accepted: AtomicU64,
    /// When set: connections made from now on forward the client's requests whole, one by one,
    /// recording each one's opcode, and hold the first whose opcode is listed here, and all
    /// after it, until `thaw`.
    hold_at: Mutex<Option<Vec<i32>>>,
    /// The opcodes of the requests forwarded that way (None for the connect request).
    opcodes: Mutex<Vec<Option<i32>>>,
}

pub struct Proxy {
    pub port: u16,
    ip: &'static str,
    state: Arc<State>,
}

impl Proxy {
    /// Listens on a free loopback port and forwards to `127.0.0.1:target`.
    pub fn start(target: u16) -> Proxy {
        Proxy::start_at("127.0.0.1", target)
    }

    /// Listens on `ip` (a loopback address: 127.0.0.2 is a name no test certificate lists).
    pub fn start_at(ip: &'static str, target: u16) -> Proxy {
        let listener = TcpListener::bind((ip, 0)).expect("proxy port");
        let port = listener.local_addr().expect("proxy addr").port();
        let state = Arc::new(State::default());
        let shared = state.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if shared.stopped.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(client) = client else { continue };
                let Ok(server) = TcpStream::connect(("127.0.0.1", target)) else {
                    continue;
                };
                shared.accepted.fetch_add(1, Ordering::SeqCst);
                let generation = shared.generation.load(Ordering::SeqCst);
                let replies = shared.replies.swap(0, Ordering::SeqCst);
                if let Some(ops) = shared.hold_at.lock().expect("lock").take() {
                    let (from, to) = (
                        client.try_clone().expect("clone"),
                        server.try_clone().expect("clone"),
                    );
                    let state = shared.clone();
                    std::thread::spawn(move || pump_requests(from, to, &state, generation, ops));
                    let (from, to) = (server, client);
                    let state = shared.clone();
                    std::thread::spawn(move || pump(from, to, &state, generation, replies, false));
                    continue;
                }
                for (from, to, limit, requests) in [
                    (&client, &server, 0, true),
                    (&server, &client, replies, false),
                ] {
                    let (from, to) = (
                        from.try_clone().expect("clone"),
                        to.try_clone().expect("clone"),
                    );
                    let state = shared.clone();
                    std::thread::spawn(move || pump(from, to, &state, generation, limit, requests));
                }
            }
        });
        Proxy { port, ip, state }
    }

    /// The connect string through this proxy.
    pub fn connect(&self) -> String {
        format!("{}:{}", self.ip, self.port)
    }

    /// Stops forwarding in both directions; sockets stay open.
    pub fn freeze(&self) {
        self.state.frozen.store(true, Ordering::SeqCst);
    }

    pub fn thaw(&self) {
        self.state.frozen.store(false, Ordering::SeqCst);
        self.state.requests_frozen.store(false, Ordering::SeqCst);
    }

    /// Stops forwarding the client's requests only: notifications still reach the client.
    pub fn freeze_requests(&self) {
        self.state.requests_frozen.store(true, Ordering::SeqCst);
    }

    /// The next connection passes only its first `n` server messages (ZooKeeper frames) to the
    /// client; later replies are held until `cut`.
    pub fn pass_replies(&self, n: u64) {
        self.state.replies.store(n, Ordering::SeqCst);
    }

    /// The next connection forwards requests whole and holds the first whose opcode is in
    /// `ops` (and all after it) until `thaw`; `opcodes` tells what it forwarded.
    pub fn hold_requests_at(&self, ops: &[i32]) {
        *self.state.hold_at.lock().expect("lock") = Some(ops.to_vec());
    }

    /// Whether a request is held back by `hold_requests_at`.
    pub fn holding(&self) -> bool {
        self.state.requests_frozen.load(Ordering::SeqCst)
    }

    /// The opcodes of the requests forwarded since `hold_requests_at` (None: the connect).
    pub fn opcodes(&self) -> Vec<Option<i32>> {
        self.state.opcodes.lock().expect("lock").clone()
    }

    /// How many connections this proxy has accepted.
    pub fn accepted(&self) -> u64 {
        self.state.accepted.load(Ordering::SeqCst)
    }

    /// Closes every connection made so far (new ones are accepted).
    pub fn cut(&self) {
        self.state.generation.fetch_add(1, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.state.stopped.store(true, Ordering::SeqCst);
        self.cut();
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn pump(
    mut from: TcpStream,
    mut to: TcpStream,
    state: &State,
    generation: u64,
    limit: u64,
    requests: bool,
) {
    let _ = from.set_read_timeout(Some(Duration::from_millis(5)));
    let mut buf = [0u8; 16 * 1024];
    let mut frames = Frames::default();
    loop {
        if state.generation.load(Ordering::SeqCst) != generation {
            break;
        }
        let held = requests && state.requests_frozen.load(Ordering::SeqCst);
        if held || state.frozen.load(Ordering::SeqCst) || (limit > 0 && frames.done >= limit) {
            std::thread::sleep(Duration::from_millis(5));
            continue;
        }
        match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                let pass = if limit > 0 {
                    frames.admit(&buf[..n], limit)
                } else {
                    n
                };
                if to.write_all(&buf[..pass]).is_err() {
                    break;
                }
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => continue,
            Err(_) => break,
        }
    }
    let _ = from.shutdown(Shutdown::Both);
    let _ = to.shutdown(Shutdown::Both);
}

/// The client's side of a connection made after `hold_requests_at`: whole requests only
/// (a 4-byte big-endian length, then that many bytes: for all but the connect request, the
/// xid and then the opcode).
fn pump_requests(
    mut from: TcpStream,
    mut to: TcpStream,
    state: &State,
    generation: u64,
    hold_at: Vec<i32>,
) {
    let _ = from.set_read_timeout(Some(Duration::from_millis(5)));
    let mut buf = [0u8; 16 * 1024];
    // Read from the client, not yet forwarded.
    let mut data: Vec<u8> = Vec::new();
    let (mut connect, mut held_once) = (true, false);
    'pump: loop {
        if state.generation.load(Ordering::SeqCst) != generation {
            break;
        }
        let held =
            state.requests_frozen.load(Ordering::SeqCst) || state.frozen.load(Ordering::SeqCst);
        while !held && data.len() >= 4 {
            let len = u32::from_be_bytes([data[0], data[1], data[2], data[3]]) as usize;
            if data.len() < 4 + len {
                break;
            }
            let opcode = (!connect && len >= 8)
                .then(|| i32::from_be_bytes([data[8], data[9], data[10], data[11]]));
            if let Some(op) = opcode
                && !held_once
                && hold_at.contains(&op)
            {
                held_once = true;
                state.requests_frozen.store(true, Ordering::SeqCst);
                break;
            }
            connect = false;
            if to.write_all(&data[..4 + len]).is_err() {
                break 'pump;
            }
            state.opcodes.lock().expect("lock").push(opcode);
            data.drain(..4 + len);
        }
        match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => data.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => continue,
            Err(_) => break,
        }
    }
    let _ = from.shutdown(Shutdown::Both);
    let _ = to.shutdown(Shutdown::Both);
}

/// Counts ZooKeeper messages (a 4-byte big-endian length, then that many bytes).
#[derive(Default)]
struct Frames {
    header: Vec<u8>,
    left: usize,
    done: u64,
}

impl Frames {
    /// How many bytes of `data` belong to the first `limit` messages.
    fn admit(&mut self, data: &[u8], limit: u64) -> usize {
        let mut i = 0;
        while i < data.len() && self.done < limit {
            if self.left == 0 {
                self.header.push(data[i]);
                i += 1;
                if self.header.len() == 4 {
                    self.left = u32::from_be_bytes([
                        self.header[0],
                        self.header[1],
                        self.header[2],
                        self.header[3],
                    ]) as usize;
                    self.header.clear();
                    self.done += u64::from(self.left == 0);
                }
            } else {
                let take = self.left.min(data.len() - i);
                i += take;
                self.left -= take;
                self.done += u64::from(self.left == 0);
            }
        }
        i
    }
}
