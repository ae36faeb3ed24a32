//! A dump and restore never loses a row, with default flags and no setting.
//!
//! Two databases, one per table shape: a pool the extension created (phone_holds_setup() on an
//! empty database), and a pool the user already had (its own `id serial` primary key, an extra
//! column, a `retired` status) that setup adopted. Both have holds, appointments, ledger rows,
//! a calendar booking, a webhook secret (in the extension's configuration table), grants to a
//! calling role and a reading role, and the monitoring views. Each is restored by
//! every path an operator uses, with the real pg_dump / pg_dumpall / psql / pg_restore, and
//! must come back identical: every row (with a checksum each), every column, index,
//! constraint, privilege and view, every sequence's position, and working functions. Any ERROR
//! printed fails the test.

use phone_holds_e2e::deployment::{assert_no_error, assert_same_and_working, make_source, picture, SHAPES};
use phone_holds_e2e::Cluster;

#[test]
fn every_restore_path_gives_back_every_row_with_no_setting() {
    let cluster = Cluster::start("restore", &[]);
    let mut c = cluster.connect();
    c.batch_execute("CREATE ROLE n8n; CREATE ROLE grafana;").unwrap();
    for shape in SHAPES {
        make_source(&cluster, &mut c, shape);
    }
    let mut sources = Vec::new();
    for shape in SHAPES {
        let mut s = cluster.connect_to(&format!("src_{shape}"));
        let p = picture(&mut s);
        assert!(p.rows.iter().filter(|r| r.starts_with("pool ")).count() == 20, "{shape}: 20 numbers");
        sources.push((shape, p));
    }

    for (shape, source) in &sources {
        let src = format!("src_{shape}");
        let dump = cluster.path(&format!("{shape}.dump"));
        let (ok, out) = cluster.sh(&format!("pg_dump -Fc -f {dump} {src}"));
        assert!(ok, "pg_dump: {out}");

        // 1. Plain format through a pipe, stopping at the first error.
        let db = format!("plain_{shape}");
        let (ok, out) = cluster.sh(&format!("createdb {db} && pg_dump {src} | psql -X -q -v ON_ERROR_STOP=1 -d {db}"));
        assert_no_error("pg_dump | psql", ok, &out);
        assert_same_and_working(&format!("pg_dump | psql ({shape})"), source, &mut cluster.connect_to(&db));

        // 2. Custom format with pg_restore, stopping at the first error; 3. the same in one transaction.
        for (db, flags) in [(format!("custom_{shape}"), ""), (format!("single_{shape}"), "--single-transaction")] {
            let (ok, out) = cluster.sh(&format!("createdb {db} && pg_restore --exit-on-error {flags} -d {db} {dump}"));
            assert_no_error(&format!("pg_restore {flags}"), ok, &out);
            assert_same_and_working(&format!("pg_restore {flags} ({shape})"), source, &mut cluster.connect_to(&db));
        }

        // An old runbook that still sets 0.2.0's phone_holds.restoring: accepted, and changes nothing.
        let db = format!("runbook_{shape}");
        let (ok, out) = cluster.sh(&format!(
            "createdb {db} && PGOPTIONS='-c phone_holds.restoring=on' pg_restore --exit-on-error -d {db} {dump}"
        ));
        assert_no_error("pg_restore with phone_holds.restoring=on", ok, &out);
        assert_same_and_working(&format!("pg_restore with the old setting ({shape})"), source, &mut cluster.connect_to(&db));

        // 4. --clean --if-exists over a database that already has the extension, its tables and
        // other rows: the copy restored in 2, changed since by the checks; and, for the shape
        // setup makes, a database freshly set up with other numbers and holds.
        let mut targets = vec![format!("custom_{shape}")];
        if *shape == "created" {
            let db = format!("clean_{shape}");
            c.batch_execute(&format!("CREATE DATABASE {db}")).unwrap();
            cluster.connect_to(&db)
                .batch_execute(
                    "CREATE EXTENSION phone_holds; SELECT phone_holds_setup();
                     INSERT INTO signalwire_phone_numbers (number) VALUES ('+19990000001'), ('+19990000002');
                     SELECT assign_phone_to_lead('99999999-0000-4000-8000-000000000009', '2025-10-01 00:00+00');",
                )
                .unwrap();
            targets.push(db);
        }
        for db in targets {
            let (ok, out) = cluster.sh(&format!("pg_restore --clean --if-exists --exit-on-error -d {db} {dump}"));
            assert_no_error("pg_restore --clean --if-exists", ok, &out);
            assert_same_and_working(&format!("pg_restore --clean --if-exists into {db}"), source, &mut cluster.connect_to(&db));
        }

        // 5. Schema-only, then data-only: how Supabase's CLI dumps.
        let db = format!("split_{shape}");
        let (ok, out) = cluster.sh(&format!(
            "createdb {db} && pg_dump --schema-only {src} | psql -X -q -v ON_ERROR_STOP=1 -d {db} \
             && pg_dump --data-only {src} | psql -X -q -v ON_ERROR_STOP=1 -d {db}"
        ));
        assert_no_error("schema-only then data-only", ok, &out);
        assert_same_and_working(&format!("schema-only then data-only ({shape})"), source, &mut cluster.connect_to(&db));
    }

    // 6. pg_dumpall into a fresh cluster. Its script creates every role, including the one that
    // runs the restore, which a fresh cluster already has: PostgreSQL documents that one error
    // as expected, so it is the only ERROR line allowed.
    let all = cluster.path("all.sql");
    let (ok, out) = cluster.sh(&format!("pg_dumpall -f {all}"));
    assert!(ok, "pg_dumpall: {out}");
    let fresh = Cluster::start("restore-fresh", &[]);
    let copy = fresh.path("all.sql");
    std::fs::copy(&all, &copy).unwrap();
    let (ok, out) = fresh.sh(&format!("psql -X -q -d postgres -f {copy}"));
    let unexpected: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("ERROR") && !l.contains("role \"postgres\" already exists"))
        .collect();
    assert!(ok && unexpected.is_empty(), "pg_dumpall | psql printed errors:\n{}", unexpected.join("\n"));
    for (shape, source) in &sources {
        assert_same_and_working(&format!("pg_dumpall ({shape})"), source, &mut fresh.connect_to(&format!("src_{shape}")));
    }
}
