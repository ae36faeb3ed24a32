//! The clusters the end-to-end tests start run the PostgreSQL under test: the one
//! `PHONE_HOLDS_PG_CONFIG` names (Debian's 15 when it is not set), so a run that scripts/test.sh
//! labels PostgreSQL 18 tested 18, with the extension installed there.

use phone_holds_e2e::{pg_config, pg_major, Cluster};

#[test]
fn the_cluster_runs_the_postgresql_under_test_with_its_extension() {
    let cluster = Cluster::start("version", &[]);
    let mut c = cluster.connect();
    let (server, version): (i32, String) = c
        .query_one("SELECT current_setting('server_version_num')::int / 10000, current_setting('server_version')", &[])
        .map(|r| (r.get(0), r.get(1)))
        .unwrap();
    println!("the end-to-end tests run on PostgreSQL {version}");
    assert_eq!(server as u32, pg_major(), "the server is the version pg_config says");
    let library: String = c.query_one("SELECT setting FROM pg_config WHERE name = 'PKGLIBDIR'", &[]).unwrap().get(0);
    assert_eq!(std::path::PathBuf::from(library), pg_config("--pkglibdir"), "the server loads libraries from the directories the extension was installed in");
    c.batch_execute("CREATE EXTENSION phone_holds; SELECT phone_holds_setup();").unwrap();
}
