//! Upgrades and data safety: 0.1.0 → current with the hand-written upgrade script, pg_dump and
//! restore into a fresh database, and DROP EXTENSION then CREATE EXTENSION, each keeping every
//! row of the pool and the ledger and a working extension.

use phone_holds_e2e::Cluster;
use postgres::Client;
use std::path::PathBuf;
use std::process::Command;

const OLD: &str = "0.1.0";

/// Everything the user owns, as text: every column of both tables, in order.
fn snapshot(c: &mut Client) -> String {
    c.query_one(
        "SELECT coalesce((SELECT string_agg(p::text, E'\\n' ORDER BY p.number) FROM public.signalwire_phone_numbers AS p), '')
             || E'\\n--\\n' ||
         coalesce((SELECT string_agg(l::text, E'\\n' ORDER BY l.id) FROM public.phone_hold_ledger AS l), '')",
        &[],
    )
    .unwrap()
    .get(0)
}

/// A pool with every kind of hold in it, made through the functions.
fn fill(c: &mut Client) {
    c.batch_execute(
        "SET TimeZone = 'UTC';
         INSERT INTO signalwire_phone_numbers (number, name) SELECT '+1555' || lpad(i::text, 7, '0'), 'Line ' || i FROM generate_series(1, 6) AS i;
         SELECT assign_phone_to_lead('aaaaaaaa-0000-4000-8000-000000000001', '2025-10-18 12:00+00');
         SELECT extend_phone_for_appointment('bbbbbbbb-0000-4000-8000-000000000002', '2025-10-20 14:00+00', '2025-10-18 12:00+00');
         SELECT extend_phone_for_appointment('cccccccc-0000-4000-8000-000000000003', '2025-10-20 14:00+00', '2025-10-18 12:00+00');
         SELECT complete_appointment_for_phone('cccccccc-0000-4000-8000-000000000003', 'no_show', '2025-10-20 15:00+00');
         SELECT assign_phone_to_lead('dddddddd-0000-4000-8000-000000000004', '2025-10-18 12:00+00');
         SELECT release_expired_phone_numbers('2025-10-19 06:00+00');",
    )
    .unwrap();
}

/// The extension works: a new lead gets a number, the self-check is empty, the views answer.
fn works(c: &mut Client) {
    let number: String = c
        .query_one("SELECT assign_phone_to_lead('eeeeeeee-0000-4000-8000-000000000005', '2025-10-19 07:00+00')", &[])
        .unwrap()
        .get(0);
    assert!(number.starts_with("+1555"));
    let problems: i64 = c.query_one("SELECT count(*) FROM phone_holds_check()", &[]).unwrap().get(0);
    assert_eq!(problems, 0);
    let assigned: i64 = c.query_one("SELECT assigned FROM phone_pool_status", &[]).unwrap().get(0);
    assert!(assigned >= 1);
    c.query("SELECT * FROM phone_appointment_holds", &[]).unwrap();
    c.query("SELECT * FROM phone_holds_overdue", &[]).unwrap();
}

/// The extension's member objects with their privileges and, for functions, their definitions;
/// then the definitions of the (detached) views: for comparing two installs.
fn members(c: &mut Client) -> Vec<String> {
    c.query(
        "SELECT pg_describe_object(classid, objid, objsubid)
                || coalesce(' ' || (SELECT proacl::text FROM pg_proc WHERE oid = objid AND classid = 'pg_proc'::regclass), '')
                || coalesce(E'\n' || (SELECT pg_get_functiondef(oid) FROM pg_proc WHERE oid = objid AND classid = 'pg_proc'::regclass
                                        AND prolang <> (SELECT oid FROM pg_language WHERE lanname = 'c')), '')
           FROM pg_depend WHERE deptype = 'e' AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'phone_holds')
         UNION ALL
         SELECT c.relname || E'\n' || pg_get_viewdef(c.oid) || coalesce(obj_description(c.oid, 'pg_class'), '')
           FROM pg_class AS c WHERE c.relkind = 'v' AND c.relnamespace = 'public'::regnamespace
          ORDER BY 1",
        &[],
    )
    .unwrap()
    .iter()
    .map(|r| r.get(0))
    .collect()
}

/// Puts the frozen 0.1.0 install script where PostgreSQL looks for it, and takes it away after.
struct OldVersionInstalled(PathBuf);

impl OldVersionInstalled {
    fn new() -> Self {
        let out = Command::new("/usr/lib/postgresql/15/bin/pg_config").arg("--sharedir").output().unwrap();
        let dir = PathBuf::from(String::from_utf8(out.stdout).unwrap().trim()).join("extension");
        let target = dir.join(format!("phone_holds--{OLD}.sql"));
        std::fs::copy(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/phone_holds--0.1.0.sql"), &target).unwrap();
        OldVersionInstalled(target)
    }
}

impl Drop for OldVersionInstalled {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn alter_extension_update_from_0_1_0_keeps_data_and_behaviour() {
    let _old = OldVersionInstalled::new();
    let cluster = Cluster::start("upgrade", &[]);
    let mut c = cluster.connect();
    c.batch_execute(&format!("CREATE EXTENSION phone_holds VERSION '{OLD}'")).unwrap();
    fill(&mut c);
    let before = snapshot(&mut c);

    c.batch_execute("ALTER EXTENSION phone_holds UPDATE").unwrap();
    let row = c
        .query_one("SELECT extversion, (SELECT default_version FROM pg_available_extensions WHERE name = 'phone_holds') FROM pg_extension WHERE extname = 'phone_holds'", &[])
        .unwrap();
    let (installed, current): (String, String) = (row.get(0), row.get(1));
    assert_ne!(installed, OLD);
    assert_eq!(installed, current, "updated to the current version");
    assert_eq!(snapshot(&mut c), before, "the update touched no row");

    // The updated extension is the one a fresh install makes: same objects, same privileges.
    c.batch_execute("CREATE DATABASE fresh").unwrap();
    let mut fresh = cluster.connect_to("fresh");
    fresh.batch_execute("CREATE EXTENSION phone_holds").unwrap();
    assert_eq!(members(&mut c), members(&mut fresh));

    works(&mut c);
}

#[test]
fn pg_dump_and_restore_and_drop_create_keep_every_row() {
    let cluster = Cluster::start("dump", &[]);
    let mut c = cluster.connect();
    c.batch_execute("CREATE EXTENSION phone_holds; CREATE ROLE n8n;").unwrap();
    fill(&mut c);
    c.batch_execute("GRANT EXECUTE ON FUNCTION assign_phone_to_lead(uuid, timestamptz) TO n8n").unwrap();
    let before = snapshot(&mut c);
    let max_id: i64 = c.query_one("SELECT max(id) FROM phone_hold_ledger", &[]).unwrap().get(0);

    let dump = cluster.path("pool.dump");
    let (ok, out) = cluster.tool("pg_dump", &["-Fc", "-f", &dump, "postgres"], &[]);
    assert!(ok, "pg_dump: {out}");

    // A plain restore fails: CREATE EXTENSION makes the tables the dump then creates again.
    c.batch_execute("CREATE DATABASE naive").unwrap();
    let (ok, _) = cluster.tool("pg_restore", &["--exit-on-error", "-d", "naive", &dump], &[]);
    assert!(!ok, "without phone_holds.restoring the restore must stop on the duplicate table");

    // With the setting, the dump brings the tables, indexes, views and rows; the extension the rest.
    c.batch_execute("CREATE DATABASE restored").unwrap();
    let (ok, out) = cluster.tool(
        "pg_restore",
        &["--exit-on-error", "-d", "restored", &dump],
        &[("PGOPTIONS", "-c phone_holds.restoring=on")],
    );
    assert!(ok, "pg_restore: {out}");
    let mut r = cluster.connect_to("restored");
    assert_eq!(snapshot(&mut r), before, "restored rows differ");
    let granted: bool = r
        .query_one("SELECT has_function_privilege('n8n', 'assign_phone_to_lead(uuid, timestamptz)', 'EXECUTE')", &[])
        .unwrap()
        .get(0);
    assert!(granted, "the user's grant came back");
    works(&mut r);
    let next_id: i64 = r.query_one("SELECT max(id) FROM phone_hold_ledger", &[]).unwrap().get(0);
    assert!(next_id > max_id, "the ledger's ids go on after the restored ones");

    // DROP EXTENSION, then CREATE EXTENSION: every row stays, and the extension works again.
    c.batch_execute("DROP EXTENSION phone_holds").unwrap();
    assert_eq!(snapshot(&mut c), before);
    c.batch_execute("CREATE EXTENSION phone_holds").unwrap();
    assert_eq!(snapshot(&mut c), before);
    works(&mut c);
}
