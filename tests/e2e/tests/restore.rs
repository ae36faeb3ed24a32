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

use phone_holds_e2e::{catalog, Cluster};
use postgres::Client;

const SHAPES: [&str; 2] = ["created", "adopted"];

/// A pool the user had before phone_holds: 20 numbers, 2 of them retired, 2 held.
const USERS_OWN_POOL: &str = "
    CREATE TABLE public.signalwire_phone_numbers (
        id serial PRIMARY KEY,
        number varchar(20) NOT NULL UNIQUE,
        name text,
        assignment_status varchar(20) NOT NULL DEFAULT 'available',
        currently_assigned_to uuid,
        release_at timestamptz,
        appointment_scheduled_at timestamptz,
        last_call_outcome text,
        vapi_phone_number_id text,
        broker_notes text);
    INSERT INTO public.signalwire_phone_numbers (number, name, assignment_status, vapi_phone_number_id, broker_notes)
    SELECT '+1777' || lpad(i::text, 7, '0'), 'Line ' || i,
           CASE WHEN i > 18 THEN 'retired' ELSE 'available' END, 'vapi-' || i,
           CASE WHEN i % 5 = 0 THEN 'note ' || i END
      FROM generate_series(1, 20) AS i;
    UPDATE public.signalwire_phone_numbers
       SET assignment_status = 'assigned', currently_assigned_to = ('ffffffff-0000-4000-8000-0000000000' || right(number, 2))::uuid,
           release_at = '2025-10-19 09:00+00', last_call_outcome = 'appointment_booked'
     WHERE number IN ('+17770000017', '+17770000018');";

/// Holds of every kind, made through the functions, and the grants a deployment has.
const ACTIVITY: &str = "
    SET TimeZone = 'UTC';
    SELECT assign_phone_to_lead('aaaaaaaa-0000-4000-8000-000000000001', '2025-10-18 12:00+00');
    SELECT extend_phone_for_appointment('bbbbbbbb-0000-4000-8000-000000000002', '2025-10-20 14:00+00', '2025-10-18 12:00+00');
    SELECT extend_phone_for_appointment('cccccccc-0000-4000-8000-000000000003', '2025-10-20 14:00+00', '2025-10-18 12:00+00');
    SELECT complete_appointment_for_phone('cccccccc-0000-4000-8000-000000000003', 'no_show', '2025-10-20 15:00+00');
    SELECT assign_phone_to_lead('dddddddd-0000-4000-8000-000000000004', '2025-10-18 12:00+00');
    SELECT reschedule_appointment_for_phone('bbbbbbbb-0000-4000-8000-000000000002', '2025-10-21 10:00+00', '2025-10-18 13:00+00');
    SELECT release_expired_phone_numbers('2025-10-19 06:00+00');
    SELECT calcom_webhook('{\"triggerEvent\": \"BOOKING_CREATED\", \"createdAt\": \"2025-10-18T12:00:00Z\", \"payload\": {\"uid\": \"bk_restore\",
                            \"startTime\": \"2025-10-22T15:00:00Z\", \"metadata\": {\"lead_id\": \"abababab-0000-4000-8000-000000000006\"}}}',
                          NULL, '2025-10-18 12:00+00');
    SELECT phone_holds_set_webhook_secret('calcom', 'whsec_restore');
    SELECT assign_phone_to_lead('efefefef-0000-4000-8000-000000000007', '2025-10-19 07:00+00', '+1 555 010 0007');
    SELECT retire_phone_number(number, 'Spam Likely', '2025-10-19 07:00+00') FROM signalwire_phone_numbers WHERE assignment_status = 'available' ORDER BY number LIMIT 1;
    GRANT EXECUTE ON FUNCTION assign_phone_to_lead(uuid, timestamptz, text), release_expired_phone_numbers(timestamptz) TO n8n;
    GRANT SELECT, UPDATE ON public.signalwire_phone_numbers TO n8n;
    GRANT SELECT, INSERT ON public.phone_hold_ledger TO n8n;
    GRANT SELECT, INSERT, UPDATE ON public.phone_hold_bookings TO n8n;
    GRANT SELECT ON public.phone_pool_status, public.phone_appointment_holds TO grafana;
    GRANT EXECUTE ON FUNCTION phone_pool_by_area_code(timestamptz), phone_pool_by_region(timestamptz) TO grafana;";

fn make_source(cluster: &Cluster, c: &mut Client, shape: &str) {
    let db = format!("src_{shape}");
    c.batch_execute(&format!("CREATE DATABASE {db}")).unwrap();
    let mut s = cluster.connect_to(&db);
    if shape == "adopted" {
        s.batch_execute(USERS_OWN_POOL).unwrap();
        s.batch_execute("CREATE EXTENSION phone_holds; SELECT phone_holds_setup();").unwrap();
    } else {
        s.batch_execute(
            "CREATE EXTENSION phone_holds; SELECT phone_holds_setup();
             INSERT INTO signalwire_phone_numbers (number, name) SELECT '+1555' || lpad(i::text, 7, '0'), 'Line ' || i FROM generate_series(1, 20) AS i;",
        )
        .unwrap();
    }
    s.batch_execute(ACTIVITY).unwrap();
    let held: i64 = s.query_one("SELECT count(*) FROM signalwire_phone_numbers WHERE assignment_status = 'assigned'", &[]).unwrap().get(0);
    assert!(held >= 2, "the source has holds to lose");
}

struct Picture {
    rows: Vec<String>,
    structure: Vec<String>,
    identity: Vec<String>,
}

fn picture(c: &mut Client) -> Picture {
    Picture { rows: catalog::rows(c), structure: catalog::structure(c), identity: catalog::identity_values(c) }
}

fn first_difference(what: &str, a: &[String], b: &[String]) -> Option<String> {
    if a == b {
        return None;
    }
    let at = a.iter().zip(b).position(|(x, y)| x != y).unwrap_or(a.len().min(b.len()));
    Some(format!(
        "{what}: {} vs {} lines; first difference at {at}:\n  source:   {:?}\n  restored: {:?}",
        a.len(),
        b.len(),
        a.get(at),
        b.get(at)
    ))
}

/// The restored database equals the source, says so in the self-check, and works.
fn assert_same_and_working(path: &str, source: &Picture, restored: &mut Client) {
    let got = picture(restored);
    let problems: Vec<String> = [
        first_difference("rows", &source.rows, &got.rows),
        first_difference("structure", &source.structure, &got.structure),
        first_difference("identity", &source.identity, &got.identity),
    ]
    .into_iter()
    .flatten()
    .collect();
    assert!(problems.is_empty(), "{path}: {}", problems.join("\n"));
    let check: i64 = restored.query_one("SELECT count(*) FROM phone_holds_check()", &[]).unwrap().get(0);
    assert_eq!(check, 0, "{path}: the self-check reports a problem");
    let setup: i64 = restored.query_one("SELECT count(*) FROM phone_holds_setup()", &[]).unwrap().get(0);
    assert_eq!(setup, 0, "{path}: phone_holds_setup() found something missing after the restore");
    // Working functions: a new lead, a booking, a release, the views, the ledger going on.
    let max_id: i64 = restored.query_one("SELECT max(id) FROM phone_hold_ledger", &[]).unwrap().get(0);
    let number: String = restored
        .query_one("SELECT assign_phone_to_lead('eeeeeeee-0000-4000-8000-000000000005', '2025-10-19 07:00+00')", &[])
        .unwrap()
        .get(0);
    assert!(number.starts_with("+1"), "{path}: {number}");
    restored
        .batch_execute(
            "SELECT extend_phone_for_appointment('eeeeeeee-0000-4000-8000-000000000005', '2025-10-22 09:00+00', '2025-10-19 07:05+00');
             SELECT release_expired_phone_numbers('2025-10-19 08:00+00');
             SELECT * FROM phone_pool_status; SELECT * FROM phone_appointment_holds; SELECT * FROM phone_holds_overdue;",
        )
        .unwrap();
    let next_id: i64 = restored.query_one("SELECT min(id) FROM phone_hold_ledger WHERE lead_id = 'eeeeeeee-0000-4000-8000-000000000005'", &[]).unwrap().get(0);
    assert!(next_id > max_id, "{path}: the ledger's ids go on after the restored ones");
    let granted: bool = restored
        .query_one("SELECT has_function_privilege('n8n', 'assign_phone_to_lead(uuid, timestamptz, text)', 'EXECUTE')", &[])
        .unwrap()
        .get(0);
    assert!(granted, "{path}: the user's grant came back");
}

/// psql and pg_restore report a failed statement as `ERROR:`; none may appear.
fn assert_no_error(path: &str, ok: bool, output: &str) {
    assert!(ok, "{path} failed:\n{output}");
    let errors: Vec<&str> = output.lines().filter(|l| l.contains("ERROR")).collect();
    assert!(errors.is_empty(), "{path} printed errors:\n{}", errors.join("\n"));
}

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
