//! A throwaway PostgreSQL cluster for end-to-end tests.
//!
//! The cluster runs as the `postgres` user (initdb refuses root), listens only on a unix socket
//! in its own directory under /tmp on a private port, and is stopped and removed when the
//! [`Cluster`] is dropped, even when the test panics. The extension must already be installed
//! (`cargo pgrx install`, as `scripts/test.sh` does) in the PostgreSQL whose pg_config
//! `PHONE_HOLDS_PG_CONFIG` names: Debian's PostgreSQL 15 when it is not set.

use postgres::{Client, NoTls};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

const DEBIAN_PG_CONFIG: &str = "/usr/lib/postgresql/15/bin/pg_config";

/// The pg_config of the PostgreSQL under test.
pub fn pg_config_path() -> PathBuf {
    std::env::var_os("PHONE_HOLDS_PG_CONFIG").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(DEBIAN_PG_CONFIG))
}

/// The programs of the PostgreSQL under test.
pub fn pg_bin() -> PathBuf {
    pg_config_path().parent().expect("pg_config lives in a bin folder").to_path_buf()
}

/// The major version under test (15, 16, …), from its pg_config.
pub fn pg_major() -> u32 {
    major_of(&pg_config_path())
}

/// The major version of the PostgreSQL `pg_config` belongs to.
pub fn major_of(pg_config: &Path) -> u32 {
    let out = Command::new(pg_config).arg("--version").output().unwrap_or_else(|e| panic!("run {pg_config:?}: {e}"));
    let text = String::from_utf8_lossy(&out.stdout);
    // "PostgreSQL 16.14", "PostgreSQL 18.6 (Debian …)"
    text.split_whitespace().nth(1).and_then(|v| v.split('.').next()).and_then(|m| m.parse().ok()).unwrap_or_else(|| panic!("{pg_config:?} --version said {text:?}"))
}

pub struct Cluster {
    dir: PathBuf,
    port: u16,
    bin: PathBuf,
}

/// Whether the tests run as root (then servers run as `postgres` through runuser).
pub fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0\n")).unwrap_or(false)
}

/// Runs a PostgreSQL program from `bin` as `postgres` (through runuser when we are root).
pub fn as_postgres(bin: &Path, program: &str, args: &[&str]) {
    let path = bin.join(program);
    let mut cmd = if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(&path);
        c
    } else {
        Command::new(&path)
    };
    let out = cmd.args(args).output().unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// One of the directories of the PostgreSQL under test as its pg_config names it (`--sharedir`,
/// `--pkglibdir`).
pub fn pg_config(flag: &str) -> PathBuf {
    let out = Command::new(pg_config_path()).arg(flag).output().expect("run pg_config");
    assert!(out.status.success(), "pg_config {flag}: {}", String::from_utf8_lossy(&out.stderr));
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

/// A port nobody listens on now; the socket file is named after it.
pub fn free_port() -> u16 {
    free_ports(1)[0]
}

/// `n` distinct ports nobody listens on now (all bound at once, so no two are the same).
pub fn free_ports(n: usize) -> Vec<u16> {
    let listeners: Vec<TcpListener> = (0..n).map(|_| TcpListener::bind("127.0.0.1:0").unwrap()).collect();
    listeners.iter().map(|l| l.local_addr().unwrap().port()).collect()
}

/// A file of the repository.
pub fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").join(path)
}

/// The text of `examples/<path>`: the payloads and workflows the docs show.
pub fn example(path: &str) -> String {
    std::fs::read_to_string(repo(&format!("examples/{path}"))).unwrap_or_else(|e| panic!("examples/{path}: {e}"))
}

/// `text` as an SQL string literal (standard_conforming_strings on, the default).
pub fn sql_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// A test's own directory, `/tmp/phone_holds-e2e-<name>-<pid>`, made empty.
pub fn test_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(format!("/tmp/phone_holds-e2e-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Gives `paths`, and all below them, to the `postgres` user when the tests run as root: the
/// servers run as `postgres`.
pub fn give_to_postgres<'a>(paths: impl IntoIterator<Item = &'a Path>) {
    if is_root() {
        let paths: Vec<&Path> = paths.into_iter().collect();
        let ok = Command::new("chown").args(["-R", "postgres:postgres"]).args(&paths).status().unwrap().success();
        assert!(ok, "chown {paths:?}");
    }
}

impl Cluster {
    /// Starts a fresh cluster of the PostgreSQL under test; `settings` are extra `-c name=value`
    /// server settings.
    pub fn start(name: &str, settings: &[&str]) -> Cluster {
        Cluster::start_with(&pg_bin(), name, &[], settings)
    }

    /// Starts a fresh cluster with the programs in `bin`, `initdb_flags` added to initdb's.
    pub fn start_with(bin: &Path, name: &str, initdb_flags: &[&str], settings: &[&str]) -> Cluster {
        let cluster = Cluster::init_with(bin, name, initdb_flags);
        cluster.start_server(settings);
        cluster
    }

    /// Makes a cluster with the programs in `bin` and does not start it (pg_upgrade wants its
    /// new cluster stopped).
    pub fn init_with(bin: &Path, name: &str, initdb_flags: &[&str]) -> Cluster {
        let dir = test_dir(name);
        give_to_postgres([dir.as_path()]);
        let port = free_port();
        let data = dir.join("data");
        let mut args = vec!["-D", data.to_str().unwrap(), "-U", "postgres", "-A", "trust", "--no-sync"];
        args.extend_from_slice(initdb_flags);
        as_postgres(bin, "initdb", &args);
        Cluster { dir, port, bin: bin.to_path_buf() }
    }

    /// Starts the server of a cluster made by [`Cluster::init_with`] or stopped by
    /// [`Cluster::stop_server`].
    pub fn start_server(&self, settings: &[&str]) {
        let data = self.data();
        let log = self.dir.join("server.log");
        let mut options = format!("-c listen_addresses='' -k {} -p {} -c fsync=off", self.dir.display(), self.port);
        for s in settings {
            options.push_str(" -c ");
            options.push_str(s);
        }
        as_postgres(&self.bin, "pg_ctl", &["-D", data.to_str().unwrap(), "-l", log.to_str().unwrap(), "-w", "-o", &options, "start"]);
    }

    /// Stops the server cleanly (pg_upgrade wants a clean shutdown of the old cluster).
    pub fn stop_server(&self) {
        as_postgres(&self.bin, "pg_ctl", &["-D", self.data().to_str().unwrap(), "-m", "fast", "-w", "stop"]);
    }

    /// The data directory.
    pub fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// The port its server listens on (on its unix socket).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The programs this cluster runs with.
    pub fn bin(&self) -> &Path {
        &self.bin
    }

    pub fn connect(&self) -> Client {
        self.connect_to("postgres")
    }

    pub fn connect_to(&self, database: &str) -> Client {
        self.config(database).connect(NoTls).expect("connect to the test cluster")
    }

    /// How to reach `database`, for a test that needs more than a plain connection (one that
    /// collects the server's notices and warnings, say).
    pub fn config(&self, database: &str) -> postgres::Config {
        format!("host={} port={} user=postgres dbname={database}", self.dir.display(), self.port)
            .parse()
            .expect("a valid connection string")
    }

    /// A file path inside the cluster's directory, which the `postgres` user can write.
    pub fn path(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }

    /// Runs a shell script as `postgres` with PGHOST/PGPORT/PGUSER pointing at this cluster and
    /// pipefail on, so `pg_dump db | psql …` fails when either side does; returns whether it
    /// succeeded and everything it printed.
    pub fn sh(&self, script: &str) -> (bool, String) {
        let port = self.port.to_string();
        let dir = self.dir.display().to_string();
        let mut cmd = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--", "env"]);
            c
        } else {
            Command::new("env")
        };
        let out = cmd
            .args([format!("PGHOST={dir}"), format!("PGPORT={port}"), "PGUSER=postgres".into(), format!("PATH={}:/usr/bin:/bin", self.bin.display())])
            .args(["bash", "-o", "pipefail", "-c", script])
            .current_dir("/tmp")
            .output()
            .unwrap_or_else(|e| panic!("cannot run {script}: {e}"));
        (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
    }

    /// Connects, waiting up to 60 s for the server to accept connections again (after a crash
    /// restart, say).
    pub fn reconnect(&self) -> Client {
        let started = std::time::Instant::now();
        loop {
            let attempt = Client::connect(&format!("host={} port={} user=postgres dbname=postgres", self.dir.display(), self.port), NoTls)
                .and_then(|mut c| c.simple_query("SELECT 1").map(|_| c));
            match attempt {
                Ok(c) => return c,
                Err(_) if started.elapsed() < std::time::Duration::from_secs(60) => std::thread::sleep(std::time::Duration::from_millis(200)),
                Err(e) => panic!("the server did not come back: {e}\n{}", self.log()),
            }
        }
    }

    /// The server log so far, for assertion messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // A server stopped already (pg_upgrade's old cluster) makes pg_ctl fail: nothing to do.
        let data = self.data();
        if data.join("postmaster.pid").exists() {
            as_postgres(&self.bin, "pg_ctl", &["-D", data.to_str().unwrap(), "-m", "immediate", "-w", "stop"]);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The SQLSTATE of a failed statement, or "" for an error that is not from the server.
pub fn sqlstate(e: &postgres::Error) -> String {
    e.code().map(|c| c.code().to_owned()).unwrap_or_default()
}

pub mod catalog;
pub mod deployment;
pub mod grafana;
pub mod invariants;
pub mod patroni;
pub mod pgbouncer;
pub mod postgrest;
pub mod release;
pub mod standby;
pub mod workflows;
