//! PgBouncer in transaction mode in front of a test [`Cluster`], as users run phone_holds behind
//! a transaction pooler (Supabase's port 6543, or PgBouncer).
//!
//! It runs as `postgres` (PgBouncer refuses root), listens on 127.0.0.1 only, on a private port,
//! trusts the users it is given (loopback only), keeps its ini, auth file, log, pid file and unix
//! socket in a directory of its own, and is killed and its directory removed when the
//! [`PgBouncer`] is dropped, even when the test panics. Debian's package installs the program.

use crate::{free_port, give_to_postgres, is_root, test_dir, Cluster};
use postgres::config::Host;
use postgres::{Client, NoTls};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PROGRAM: &str = "/usr/sbin/pgbouncer";

/// The user the admin console (virtual database `pgbouncer`) lets in.
pub const ADMIN: &str = "postgres";

pub struct PgBouncer {
    dir: PathBuf,
    port: u16,
    process: Child,
}

impl PgBouncer {
    /// Starts PgBouncer in transaction mode in front of every database of `cluster`, letting in
    /// `users` (ADMIN is always among them). `settings` are extra `name = value` lines of its
    /// `[pgbouncer]` section (`default_pool_size = 1`, say), none of those written below.
    pub fn start(name: &str, cluster: &Cluster, users: &[&str], settings: &[&str]) -> PgBouncer {
        assert!(Path::new(PROGRAM).exists(), "{PROGRAM} is missing: apt-get install pgbouncer");
        let dir = test_dir(&format!("pgbouncer-{name}"));
        let port = free_port();

        let mut listed = vec![ADMIN];
        listed.extend(users.iter().filter(|u| **u != ADMIN));
        let auth: String = listed.iter().map(|u| format!("\"{u}\" \"\"\n")).collect();
        std::fs::write(dir.join("userlist.txt"), auth).unwrap();

        let socket = match cluster.config("postgres").get_hosts() {
            [Host::Unix(path)] => path.clone(),
            other => panic!("the test cluster listens on one unix socket, not {other:?}"),
        };
        let ini = format!(
            "[databases]\n\
             * = host={socket} port={server_port}\n\
             [pgbouncer]\n\
             listen_addr = 127.0.0.1\n\
             listen_port = {port}\n\
             unix_socket_dir = {dir}\n\
             auth_type = trust\n\
             auth_file = {dir}/userlist.txt\n\
             admin_users = {ADMIN}\n\
             pool_mode = transaction\n\
             logfile = {dir}/pgbouncer.log\n\
             pidfile = {dir}/pgbouncer.pid\n\
             {extra}\n",
            socket = socket.display(),
            server_port = cluster.port(),
            dir = dir.display(),
            extra = settings.join("\n"),
        );
        std::fs::write(dir.join("pgbouncer.ini"), ini).unwrap();
        give_to_postgres([dir.as_path()]);

        // In the foreground, so that a failed start is this child's exit; the pid file names
        // the pgbouncer process itself, which runuser (when we are root) only waits for.
        let mut cmd = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--", PROGRAM]);
            c
        } else {
            Command::new(PROGRAM)
        };
        let process = cmd
            .arg(dir.join("pgbouncer.ini"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {PROGRAM}: {e}"));
        let mut bouncer = PgBouncer { dir, port, process };
        bouncer.wait_until_ready();
        bouncer
    }

    /// Waits (up to 30 s) until the admin console answers.
    fn wait_until_ready(&mut self) {
        let started = Instant::now();
        loop {
            if let Some(status) = self.process.try_wait().unwrap() {
                panic!("pgbouncer exited with {status}:\n{}", self.log());
            }
            match self.admin_config().connect(NoTls).and_then(|mut c| c.simple_query("SHOW VERSION").map(|_| ())) {
                Ok(()) => return,
                Err(_) if started.elapsed() < Duration::from_secs(30) => std::thread::sleep(Duration::from_millis(100)),
                Err(e) => panic!("pgbouncer did not accept connections: {e}\n{}", self.log()),
            }
        }
    }

    /// The port it listens on, on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// How to reach `database` as `user` through the pooler.
    pub fn config(&self, database: &str, user: &str) -> postgres::Config {
        format!("host=127.0.0.1 port={} user={user} dbname={database}", self.port).parse().expect("a valid connection string")
    }

    /// A client of `database` through the pooler, as ADMIN.
    pub fn connect(&self, database: &str) -> Client {
        self.connect_as(database, ADMIN)
    }

    pub fn connect_as(&self, database: &str, user: &str) -> Client {
        self.config(database, user).connect(NoTls).unwrap_or_else(|e| panic!("connect to {database} through pgbouncer: {e}\n{}", self.log()))
    }

    fn admin_config(&self) -> postgres::Config {
        self.config("pgbouncer", ADMIN)
    }

    /// The admin console (`SHOW POOLS`, `RECONNECT`, `SET`): simple queries only.
    pub fn admin(&self) -> Client {
        self.admin_config().connect(NoTls).unwrap_or_else(|e| panic!("connect to pgbouncer's admin console: {e}\n{}", self.log()))
    }

    /// Waits (up to 10 s, a bound on a hang) until its log says `line`, for what PgBouncer
    /// does on its own and says nowhere else (dropping a server's message, say).
    pub fn wait_for_log(&self, line: &str) {
        let started = Instant::now();
        while !self.log().contains(line) {
            assert!(started.elapsed() < Duration::from_secs(10), "pgbouncer never logged {line:?}:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Its log so far, for assertion messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("pgbouncer.log")).unwrap_or_default()
    }
}

impl Drop for PgBouncer {
    fn drop(&mut self) {
        // The pid file names pgbouncer; without one (it never got that far) the child is all.
        if let Ok(pid) = std::fs::read_to_string(self.dir.join("pgbouncer.pid")) {
            let _ = Command::new("kill").args(["-KILL", pid.trim()]).status();
        }
        let _ = self.process.kill();
        let _ = self.process.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
