//! A three-server ZooKeeper ensemble on loopback ports, with helpers to find, kill, stop and
//! restart the leader. Dropping it kills every member by PID.

use std::time::{Duration, Instant};

use super::server::{self, Server};

pub struct Ensemble {
    pub members: Vec<Server>,
}

impl Ensemble {
    pub fn start() -> Ensemble {
        let ports: Vec<(u16, u16, u16)> = (0..3)
            .map(|_| {
                (
                    server::free_port(),
                    server::free_port(),
                    server::free_port(),
                )
            })
            .collect();
        let peers: String = ports
            .iter()
            .enumerate()
            .map(|(i, (_, quorum, election))| {
                format!("server.{}=127.0.0.1:{quorum}:{election}\n", i + 1)
            })
            .collect();
        let mut members: Vec<Server> = ports
            .iter()
            .enumerate()
            .map(|(i, (client, _, _))| {
                let dir = server::scratch("ensemble");
                std::fs::write(dir.join("myid"), format!("{}\n", i + 1)).expect("myid");
                let config = dir.join("zoo.cfg");
                std::fs::write(&config, server::config_text(&dir, *client, &peers))
                    .expect("zoo.cfg");
                Server::with_config(*client, dir, config)
            })
            .collect();
        members.iter_mut().for_each(Server::spawn);
        members
            .iter()
            .for_each(|m| m.wait_serving(Duration::from_secs(60)));
        Ensemble { members }
    }

    /// `127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3`
    pub fn connect(&self) -> String {
        self.members
            .iter()
            .map(Server::connect)
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Index of the current leader, waiting up to `limit` for one to be elected.
    pub fn leader(&self, limit: Duration) -> usize {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(i) = self
                .members
                .iter()
                .position(|m| m.is_running() && m.srvr().contains("Mode: leader"))
            {
                return i;
            }
            assert!(Instant::now() < deadline, "no leader elected");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn kill(&mut self, i: usize) {
        self.members[i].kill();
    }

    /// Restarts a killed member and waits until it serves again.
    pub fn restart(&mut self, i: usize) {
        self.members[i].spawn();
        self.members[i].wait_serving(Duration::from_secs(60));
    }
}
