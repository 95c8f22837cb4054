//! A loopback TCP proxy between one zklock and ZooKeeper that can freeze traffic in both
//! directions while keeping the sockets open (what a partition looks like to both ends), and
//! cut every connection (what a crashed middlebox looks like).

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
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
