//! A hot standby of a test cluster: `pg_basebackup -R` of the primary, started on a port of its
//! own and streaming from it, stopped and removed like any [`Cluster`] when dropped.

use crate::{as_postgres, free_port, give_to_postgres, test_dir, Cluster};
use postgres::Client;
use std::time::{Duration, Instant};

impl Cluster {
    /// Makes a streaming hot standby of this cluster (which must be running) and starts it with
    /// `settings`. The primary's trust rule for local replication (initdb -A trust) lets it in.
    pub fn standby(&self, name: &str, settings: &[&str]) -> Cluster {
        let dir = test_dir(name);
        give_to_postgres([dir.as_path()]);
        let standby = Cluster { dir, port: free_port(), bin: self.bin.clone() };
        let data = standby.data();
        let (host, port) = (self.dir.display().to_string(), self.port.to_string());
        as_postgres(&self.bin, "pg_basebackup", &["-D", data.to_str().unwrap(), "-h", &host, "-p", &port, "-U", "postgres", "-R", "-X", "stream", "--no-sync"]);
        // -R writes every option its own libpq knows into primary_conninfo; the relocatable 17
        // build's walreceiver loads the machine's libpq (Debian's, 15), which refuses 17's
        // sslnegotiation and never connects. The three options that matter, set on the command
        // line, win over the file.
        let conninfo = format!("primary_conninfo='host={host} port={port} user=postgres'");
        let settings: Vec<&str> = settings.iter().copied().chain([conninfo.as_str()]).collect();
        standby.start_server(&settings);
        standby
    }

    /// Waits until this standby has replayed everything `primary` has written so far.
    pub fn wait_for_replay(&self, primary: &mut Client) {
        let target: String = primary.query_one("SELECT pg_current_wal_insert_lsn()::text", &[]).unwrap().get(0);
        let mut c = self.connect();
        let started = Instant::now();
        loop {
            let caught_up: bool = c.query_one("SELECT pg_last_wal_replay_lsn() >= $1::text::pg_lsn", &[&target]).unwrap().get(0);
            if caught_up {
                return;
            }
            assert!(started.elapsed() < Duration::from_secs(60), "the standby did not replay up to {target}:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}
