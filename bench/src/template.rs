//! Table state restored before every measurement: the state is built once in a database of its
//! own, vacuumed and analyzed, and each measurement runs on a fresh copy of it (CREATE DATABASE
//! … TEMPLATE), so it meets the same rows on the same pages with the same statistics and
//! visibility map whatever ran before it, and leaves its dead rows and ledger rows behind in a
//! copy that is dropped.

use phone_holds_e2e::Cluster;
use postgres::Client;

/// The database each measurement runs in; dropped and copied again before the next.
pub const RUN: &str = "bench_run";

pub struct Template {
    name: String,
}

impl Template {
    /// Database `name` with phone_holds set up and the PL/pgSQL reference, filled by `fill`,
    /// then vacuumed and analyzed.
    pub fn create(cluster: &Cluster, name: &str, fill: impl FnOnce(&mut Client)) -> Template {
        let mut admin = cluster.connect();
        admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).unwrap();
        admin.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
        let mut c = cluster.connect_to(name);
        c.batch_execute("CREATE EXTENSION phone_holds; SELECT phone_holds_setup();").unwrap();
        c.batch_execute(include_str!("../reference_plpgsql.sql")).unwrap();
        fill(&mut c);
        crate::vacuum(&mut c);
        Template { name: name.to_owned() }
    }

    /// Makes [`RUN`] a fresh copy of the template (the last copy dropped) and names it.
    pub fn copy(&self, cluster: &Cluster) -> &'static str {
        // FORCE: the last measurement's sessions may still be on their way out.
        // Each its own statement: neither may run in a transaction block.
        let mut admin = cluster.connect();
        admin.batch_execute(&format!("DROP DATABASE IF EXISTS {RUN} WITH (FORCE)")).unwrap();
        admin.batch_execute(&format!("CREATE DATABASE {RUN} TEMPLATE {}", self.name)).unwrap();
        RUN
    }

    /// A fresh copy and a session on it.
    pub fn restore(&self, cluster: &Cluster) -> Client {
        cluster.connect_to(self.copy(cluster))
    }
}
