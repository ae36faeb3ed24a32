//! A throwaway Patroni cluster for failover tests: one etcd member and three Patroni nodes,
//! each running Debian's PostgreSQL 15 with pg_cron preloaded (docs/operations/replicas-and-failover.md).
//!
//! Everything listens on 127.0.0.1 only, on private ports, with the data, configs, logs and
//! unix sockets in one directory under /tmp. Patroni and PostgreSQL run as `postgres` (through
//! runuser when we are root); etcd runs as we do. Dropping the [`Patroni`] kills every etcd,
//! Patroni and PostgreSQL process it started and removes the directory, also when the test
//! panics.
//!
//! Replication is synchronous through Patroni (`synchronous_mode` and
//! `synchronous_mode_strict`): a commit is acknowledged only once a synchronous standby has
//! flushed its WAL, and Patroni promotes only that standby, so a failover cannot lose an
//! acknowledged commit. Strict mode keeps that true when no standby is streaming (commits wait
//! rather than go on alone), for instance right after a failover until the remaining replica
//! follows the new primary.
//!
//! Patroni comes from `scripts/patroni.sh` (a virtualenv under /var/cache/phone_holds);
//! `PHONE_HOLDS_PATRONI` names another patroni program.

use crate::{free_ports, give_to_postgres, is_root, test_dir};
use postgres::{Client, NoTls};
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where scripts/patroni.sh installs Patroni 4.1.5 as root.
const DEFAULT_PATRONI: &str = "/var/cache/phone_holds/patroni-4.1.5/bin/patroni";
const ETCD: &str = "/usr/bin/etcd";
/// Debian's PostgreSQL 15: the one with pg_cron here.
const PG_BIN: &str = "/usr/lib/postgresql/15/bin";

/// The database the tests use, and the one pg_cron runs its jobs in.
pub const DATABASE: &str = "holds";

/// The patroni program the tests run.
pub fn patroni_program() -> PathBuf {
    std::env::var_os("PHONE_HOLDS_PATRONI").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(DEFAULT_PATRONI))
}

/// One Patroni node: its PostgreSQL port, REST API port, directory and running process.
pub struct Node {
    pub name: String,
    pub pg_port: u16,
    pub api_port: u16,
    dir: PathBuf,
    /// runuser (or patroni itself when not root), leader of a process group patroni is in.
    process: Option<Child>,
}

impl Node {
    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn config(&self) -> PathBuf {
        self.dir.join("patroni.yml")
    }

    /// Whether its Patroni runs (as far as this struct started and did not kill it).
    pub fn is_running(&self) -> bool {
        self.process.is_some()
    }
}

pub struct Patroni {
    dir: PathBuf,
    etcd: Option<Child>,
    etcd_port: u16,
    pub nodes: Vec<Node>,
}

impl Patroni {
    /// Starts etcd and `count` Patroni nodes named `<name>-1`…, bootstrapped with pg_cron
    /// preloaded for [`DATABASE`] and synchronous replication. Returns once etcd answers; see
    /// [`Patroni::wait_healthy`] for the cluster itself.
    pub fn start(name: &str, count: usize) -> Patroni {
        let patroni = patroni_program();
        assert!(patroni.exists(), "{} is missing: run scripts/patroni.sh (or set PHONE_HOLDS_PATRONI)", patroni.display());
        assert!(Path::new(ETCD).exists(), "{ETCD} is missing: run scripts/patroni.sh");
        let dir = test_dir(&format!("patroni-{name}"));
        let ports = free_ports(2 + 2 * count);
        let mut cluster = Patroni { dir: dir.clone(), etcd: None, etcd_port: ports[0], nodes: Vec::new() };

        // etcd: one member, client and peer URLs on loopback, its data in the directory.
        let peer = format!("http://127.0.0.1:{}", ports[1]);
        let client = format!("http://127.0.0.1:{}", ports[0]);
        let log = std::fs::File::create(dir.join("etcd.log")).unwrap();
        let etcd = Command::new(ETCD)
            .args(["--name", "e2e", "--data-dir"])
            .arg(dir.join("etcd"))
            .args(["--listen-client-urls", &client, "--advertise-client-urls", &client])
            .args(["--listen-peer-urls", &peer, "--initial-advertise-peer-urls", &peer])
            .args(["--initial-cluster", &format!("e2e={peer}"), "--initial-cluster-state", "new"])
            .args(["--initial-cluster-token", &format!("phone-holds-{}", std::process::id())])
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {ETCD}: {e}"));
        cluster.etcd = Some(etcd);
        cluster.wait_for_etcd();

        for i in 0..count {
            let node = Node {
                name: format!("{name}-{}", i + 1),
                pg_port: ports[2 + 2 * i],
                api_port: ports[3 + 2 * i],
                dir: dir.join(format!("node{}", i + 1)),
                process: None,
            };
            std::fs::create_dir_all(&node.dir).unwrap();
            std::fs::write(node.config(), cluster.node_config(&node, name)).unwrap();
            cluster.nodes.push(node);
        }
        give_to_postgres(cluster.nodes.iter().map(|n| n.dir.as_path()));
        for i in 0..count {
            cluster.start_node(i);
        }
        cluster
    }

    fn wait_for_etcd(&mut self) {
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = self.etcd.as_mut().unwrap().try_wait() {
                panic!("etcd exited with {status}:\n{}", self.file("etcd.log"));
            }
            if http_get(self.etcd_port, "/health").is_some_and(|(code, _)| code == 200) {
                return;
            }
            assert!(started.elapsed() < Duration::from_secs(30), "etcd did not answer:\n{}", self.file("etcd.log"));
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// A node's Patroni configuration. Settings that every node must share go in the DCS part
    /// (bootstrap.dcs), which Patroni applies on every node: pg_cron preloaded, its database,
    /// background workers for its jobs (no TCP login needed), and the replication settings.
    fn node_config(&self, node: &Node, scope: &str) -> String {
        let dir = node.dir.display();
        format!(
            r#"scope: phone-holds-{scope}
namespace: /phone-holds-e2e-{pid}/
name: {name}
log:
  level: INFO
restapi:
  listen: 127.0.0.1:{api}
  connect_address: 127.0.0.1:{api}
etcd3:
  hosts: 127.0.0.1:{etcd}
  protocol: http
bootstrap:
  dcs:
    # Patroni's floor is ttl 20: the leader key of a dead node expires at most 20 s after
    # its last renewal (every loop_wait), and then the synchronous standby takes over.
    ttl: 20
    loop_wait: 1
    retry_timeout: 5
    maximum_lag_on_failover: 1048576
    # A commit is acknowledged only once the synchronous standby has flushed it, and only that
    # standby may be promoted; strict: with no standby streaming, commits wait.
    synchronous_mode: true
    synchronous_mode_strict: true
    postgresql:
      # The old primary rejoins as a replica: pg_rewind, or a fresh copy if that fails.
      use_pg_rewind: true
      use_slots: true
      parameters:
        shared_preload_libraries: pg_cron
        cron.database_name: {db}
        cron.use_background_workers: 'on'
        max_worker_processes: 16
        wal_log_hints: 'on'
        wal_level: replica
        hot_standby: 'on'
        max_wal_senders: 10
        max_replication_slots: 10
        wal_keep_size: 128MB
  initdb:
    - encoding: UTF8
    - locale: C
postgresql:
  listen: 127.0.0.1:{pg}
  connect_address: 127.0.0.1:{pg}
  data_dir: {dir}/data
  bin_dir: {bin}
  pgpass: {dir}/pgpass
  use_unix_socket: true
  remove_data_directory_on_rewind_failure: true
  remove_data_directory_on_diverged_timelines: true
  authentication:
    superuser:
      username: postgres
      password: e2e-superuser
    replication:
      username: replicator
      password: e2e-replicator
  parameters:
    unix_socket_directories: '{dir}'
    logging_collector: 'on'
    log_directory: '{dir}/log'
    log_filename: postgresql.log
    log_line_prefix: '%m [%p] %q%a '
  # Loopback only, and the test trusts it.
  pg_hba:
    - local all all trust
    - host all all 127.0.0.1/32 trust
    - host replication all 127.0.0.1/32 trust
tags:
  nofailover: false
  noloadbalance: false
  clonefrom: false
  nosync: false
"#,
            pid = std::process::id(),
            name = node.name,
            api = node.api_port,
            etcd = self.etcd_port,
            pg = node.pg_port,
            db = DATABASE,
            bin = PG_BIN,
        )
    }

    /// Starts node `i`'s Patroni (again), as `postgres`, in a process group of its own so the
    /// whole of it can be killed at once.
    pub fn start_node(&mut self, i: usize) {
        let node = &self.nodes[i];
        assert!(node.process.is_none(), "{} runs already", node.name);
        let log = std::fs::OpenOptions::new().create(true).append(true).open(node.dir.join("patroni.log")).unwrap();
        let mut cmd = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(patroni_program());
            c
        } else {
            Command::new(patroni_program())
        };
        let child = cmd
            .arg(node.config())
            .current_dir(&node.dir)
            .env("HOME", &node.dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run patroni: {e}"));
        self.nodes[i].process = Some(child);
    }

    /// Kills node `i` as a machine dies: its Patroni and its PostgreSQL (postmaster and every
    /// child) with SIGKILL, at once. (Killing PostgreSQL alone would not do: Patroni would
    /// restart it in place.)
    pub fn kill_node(&mut self, i: usize) {
        let node = &mut self.nodes[i];
        // The postmaster first stopped, so it forks nothing while its children are listed.
        let postmaster = postmaster_of(&node.data());
        if let Some(pm) = postmaster {
            signal("STOP", &[pm]);
        }
        if let Some(mut child) = node.process.take() {
            signal("KILL", &[-(child.id() as i32)]);
            let _ = child.kill();
            let _ = child.wait();
        }
        let mut doomed: Vec<i32> = Vec::new();
        if let Some(pm) = postmaster {
            doomed.push(pm);
            doomed.extend(descendants(pm));
        }
        // Anything else still running from this node's directory (pg_basebackup, pg_rewind,
        // a single-user postgres): its path is in the command line.
        doomed.extend(processes_naming(&node.dir));
        doomed.sort_unstable();
        doomed.dedup();
        signal("KILL", &doomed);
        // Until they are gone: a postmaster that still holds its port would be a live node.
        let started = Instant::now();
        while doomed.iter().any(|p| alive(*p)) && started.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The REST API's view of the cluster (`GET /cluster`) from the first node that answers.
    pub fn cluster_state(&self) -> Option<Value> {
        self.nodes.iter().filter(|n| n.is_running()).find_map(|n| match http_get(n.api_port, "/cluster") {
            Some((200, body)) => serde_json::from_str(&body).ok(),
            _ => None,
        })
    }

    /// The index of the node Patroni calls leader, if one is.
    pub fn leader(&self) -> Option<usize> {
        let state = self.cluster_state()?;
        let name = state["members"].as_array()?.iter().find(|m| m["role"] == "leader" && m["state"] == "running")?["name"].as_str()?.to_owned();
        self.nodes.iter().position(|n| n.name == name)
    }

    /// Waits (up to `timeout`) until one running node leads, every other running node streams
    /// from it on its timeline, one of them is its synchronous standby, and the leader accepts
    /// writes; returns the leader's index.
    pub fn wait_healthy(&self, timeout: Duration) -> usize {
        let started = Instant::now();
        loop {
            if let Some(leader) = self.healthy_leader() {
                return leader;
            }
            assert!(started.elapsed() < timeout, "the cluster did not become healthy in {timeout:?}: {:?}\n{}", self.cluster_state(), self.logs());
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    fn healthy_leader(&self) -> Option<usize> {
        let state = self.cluster_state()?;
        let members = state["members"].as_array()?;
        let running: Vec<&Node> = self.nodes.iter().filter(|n| n.is_running()).collect();
        if members.len() != running.len() {
            return None;
        }
        let leader = self.leader()?;
        let timeline = members.iter().find(|m| m["role"] == "leader")?["timeline"].as_i64()?;
        let replicas_ok = members.iter().filter(|m| m["role"] != "leader").all(|m| m["state"] == "streaming" && m["timeline"].as_i64() == Some(timeline));
        let has_sync = members.iter().any(|m| m["role"] == "sync_standby");
        if !replicas_ok || (running.len() > 1 && !has_sync) {
            return None;
        }
        // And PostgreSQL agrees: it writes, and its synchronous standby is attached.
        let mut c = self.connect_node(leader, "postgres").ok()?;
        let row = c.query_one("SELECT pg_is_in_recovery(), (SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync')", &[]).ok()?;
        let (recovering, sync): (bool, i64) = (row.get(0), row.get(1));
        (!recovering && (running.len() == 1 || sync > 0)).then_some(leader)
    }

    /// A connection to node `i`'s `database`, over TCP on loopback.
    pub fn connect_node(&self, i: usize, database: &str) -> Result<Client, postgres::Error> {
        self.node_config_of(i, database).connect(NoTls)
    }

    fn node_config_of(&self, i: usize, database: &str) -> postgres::Config {
        format!("host=127.0.0.1 port={} user=postgres dbname={database} connect_timeout=5", self.nodes[i].pg_port).parse().unwrap()
    }

    /// The connection string a client of the cluster uses: every node, and only the one that
    /// accepts writes (the current primary), as libpq and rust-postgres take it.
    pub fn read_write_url(&self, database: &str) -> String {
        let hosts = vec!["127.0.0.1"; self.nodes.len()].join(",");
        let ports: Vec<String> = self.nodes.iter().map(|n| n.pg_port.to_string()).collect();
        format!("host={hosts} port={} user=postgres dbname={database} target_session_attrs=read-write connect_timeout=2", ports.join(","))
    }

    /// A connection to the current primary, whichever node it is.
    pub fn connect_primary(&self, database: &str) -> Result<Client, postgres::Error> {
        self.read_write_url(database).parse::<postgres::Config>().unwrap().connect(NoTls)
    }

    /// Every node's Patroni and PostgreSQL log, for assertion messages (the last lines each).
    pub fn logs(&self) -> String {
        let mut out = String::new();
        for n in &self.nodes {
            for (what, path) in [("patroni", n.dir.join("patroni.log")), ("postgresql", n.dir.join("log/postgresql.log"))] {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                let tail: Vec<&str> = text.lines().rev().take(25).collect();
                out.push_str(&format!("--- {} {what} ---\n", n.name));
                for line in tail.iter().rev() {
                    out.push_str(line);
                    out.push('\n');
                }
            }
        }
        out
    }

    fn file(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.join(name)).unwrap_or_default()
    }
}

impl Drop for Patroni {
    fn drop(&mut self) {
        for i in 0..self.nodes.len() {
            self.kill_node(i);
        }
        if let Some(mut etcd) = self.etcd.take() {
            let _ = etcd.kill();
            let _ = etcd.wait();
        }
        // Whatever still names the directory (nothing, normally).
        signal("KILL", &processes_naming(&self.dir));
        if std::env::var_os("PHONE_HOLDS_KEEP_PATRONI").is_none() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// A plain HTTP/1.0 GET on 127.0.0.1:`port`: the status and the body, or None if nothing
/// answered (within 2 s).
fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut raw = String::new();
    s.read_to_string(&mut raw).ok()?;
    let (head, body) = raw.split_once("\r\n\r\n")?;
    let code = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((code, body.to_owned()))
}

/// The postmaster's pid from `data`/postmaster.pid, if it names a live postgres of that
/// directory.
fn postmaster_of(data: &Path) -> Option<i32> {
    let text = std::fs::read_to_string(data.join("postmaster.pid")).ok()?;
    let pid: i32 = text.lines().next()?.trim().parse().ok()?;
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    String::from_utf8_lossy(&cmdline).contains(&data.display().to_string()).then_some(pid)
}

/// Every live process's (pid, parent pid).
fn process_table() -> Vec<(i32, i32)> {
    let mut table = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else { continue };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
        // "pid (comm) state ppid …": comm may hold spaces and parentheses.
        let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else { continue };
        if let Some(ppid) = rest.split_whitespace().nth(1).and_then(|p| p.parse().ok()) {
            table.push((pid, ppid));
        }
    }
    table
}

/// The processes below `pid`, children first found first.
fn descendants(pid: i32) -> Vec<i32> {
    let table = process_table();
    let mut found = vec![pid];
    let mut i = 0;
    while i < found.len() {
        let parent = found[i];
        found.extend(table.iter().filter(|(_, pp)| *pp == parent).map(|(p, _)| *p));
        i += 1;
    }
    found.remove(0);
    found
}

/// The live processes whose command line names `dir` (a path only this test uses).
fn processes_naming(dir: &Path) -> Vec<i32> {
    let needle = dir.display().to_string();
    let me = std::process::id() as i32;
    process_table()
        .into_iter()
        .map(|(p, _)| p)
        .filter(|p| *p != me)
        .filter(|p| std::fs::read(format!("/proc/{p}/cmdline")).is_ok_and(|c| String::from_utf8_lossy(&c).contains(&needle)))
        .collect()
}

fn alive(pid: i32) -> bool {
    // A zombie has exited: it holds no port and no file.
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| s.rsplit_once(')').is_some_and(|(_, r)| !r.trim_start().starts_with('Z')))
}

/// `kill -<sig>` to `pids` (a negative one is a process group); errors (gone already) ignored.
fn signal(sig: &str, pids: &[i32]) {
    if pids.is_empty() {
        return;
    }
    let _ = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg("--")
        .args(pids.iter().map(|p| p.to_string()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}
