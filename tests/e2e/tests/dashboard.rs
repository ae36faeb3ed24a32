//! The Grafana dashboard under examples/grafana/, checked without Grafana: its provisioning
//! files name the data source and the dashboard as Grafana reads them, and every panel's SQL
//! (and the number variable's) runs, with Grafana's macros and variables expanded the way
//! its PostgreSQL data source expands them, as the dashboard role README creates, against a
//! cluster with pg_cron and a week of pool history; each answer has the columns its panel
//! type needs. That role can read and can change nothing.

use phone_holds_e2e::grafana::{dashboard, expand, FROM, TO};
use phone_holds_e2e::{repo, sqlstate, Cluster};
use postgres::types::Type;
use postgres::{Client, NoTls, SimpleQueryMessage};

/// The role README's "A role for dashboards" creates.
const ROLE: &str = "phone_holds_grafana";

/// The SQL block README gives under `heading`, as written.
fn readme_sql(heading: &str) -> String {
    let readme = std::fs::read_to_string(repo("README.md")).unwrap();
    let section = &readme[readme.find(heading).unwrap_or_else(|| panic!("README has no {heading}"))..];
    let block = &section[section.find("```sql\n").expect("a sql block") + 7..];
    block[..block.find("```").unwrap()].to_owned()
}

fn numeric(t: &Type) -> bool {
    [Type::INT2, Type::INT4, Type::INT8, Type::FLOAT4, Type::FLOAT8, Type::NUMERIC].contains(t)
}

/// A week of the pool, made through the functions with as_of: three leads a day get a number at
/// 09:00, two of them book for the next day, the release job runs at 23:00 (pg_cron records
/// each run; one failed), and, now, one appointment ahead and one hold overdue.
fn a_week(c: &mut Client) {
    c.batch_execute(
        "CREATE EXTENSION pg_cron;
         CREATE EXTENSION phone_holds; SELECT phone_holds_setup();
         INSERT INTO signalwire_phone_numbers (number, name)
         SELECT '+1415555' || lpad(i::text, 4, '0'), 'SF ' || i FROM generate_series(1, 20) AS i
         UNION ALL SELECT '+1212555' || lpad(i::text, 4, '0'), 'NYC ' || i FROM generate_series(1, 20) AS i;
         -- A job that never runs during the test: its runs are recorded below, by hand.
         SELECT schedule_phone_release('0 0 1 1 *');",
    )
    .unwrap();
    for day in 0..7 {
        let morning = format!("'2025-10-18 09:00+00'::timestamptz + interval '{day} days'");
        let night = format!("'2025-10-18 23:00+00'::timestamptz + interval '{day} days'");
        c.batch_execute(&format!(
            "SELECT assign_phone_to_lead(('00000000-0000-4000-8000-' || lpad(({day} * 10 + i)::text, 12, '0'))::uuid, {morning},
                                         CASE WHEN i = 1 THEN '+14155550999' END)
               FROM generate_series(1, 3) AS i;
             SELECT extend_phone_for_appointment(('00000000-0000-4000-8000-' || lpad(({day} * 10 + i)::text, 12, '0'))::uuid,
                                                 {morning} + interval '1 day 5 hours', {morning} + interval '2 hours')
               FROM generate_series(1, 2) AS i;
             SELECT release_expired_phone_numbers({night});
             INSERT INTO cron.job_run_details (jobid, job_pid, database, username, command, status, return_message, start_time, end_time)
             SELECT jobid, 1, 'postgres', 'postgres', command, CASE WHEN {day} = 3 THEN 'failed' ELSE 'succeeded' END, 'CALL',
                    {night}, {night} + interval '2 seconds'
               FROM cron.job WHERE jobname = 'phone_holds_release';"
        ))
        .unwrap();
    }
    // Holds left at the end of the week go after it, so the overdue ones are now's alone.
    c.batch_execute(
        "SELECT release_expired_phone_numbers('2025-10-28 00:00+00');
         SELECT extend_phone_for_appointment('aaaaaaaa-0000-4000-8000-000000000001', now() + interval '2 days');
         SELECT assign_phone_to_lead('bbbbbbbb-0000-4000-8000-000000000002', now() - interval '20 hours');",
    )
    .unwrap();
}

/// The first column of every row, as text.
fn texts(c: &mut Client, sql: &str) -> Vec<String> {
    c.query(sql, &[]).unwrap().iter().map(|r| r.get(0)).collect()
}

fn as_role(cluster: &Cluster) -> Client {
    cluster.config("postgres").user(ROLE).connect(NoTls).expect("the dashboard role logs in")
}

#[test]
fn the_provisioning_files_name_the_data_source_and_the_dashboard() {
    let datasource = std::fs::read_to_string(repo("examples/grafana/provisioning/datasources/phone_holds.yaml")).unwrap();
    for line in ["apiVersion: 1", "type: grafana-postgresql-datasource", "uid: phone-holds-postgres", &format!("user: {ROLE}"), "sslmode: require"] {
        assert!(datasource.lines().any(|l| l.trim() == line), "the data source file has `{line}`");
    }
    let provider = std::fs::read_to_string(repo("examples/grafana/provisioning/dashboards/phone_holds.yaml")).unwrap();
    for line in ["apiVersion: 1", "type: file", "path: /var/lib/grafana/dashboards/phone_holds"] {
        assert!(provider.lines().any(|l| l.trim() == line), "the dashboard provider file has `{line}`");
    }
    let d = dashboard();
    assert_eq!(d["uid"], "phone-holds-pool", "a stable uid: links and provisioning keep finding it");
    let panels = d["panels"].as_array().unwrap();
    let mut ids: Vec<i64> = panels.iter().map(|p| p["id"].as_i64().unwrap()).collect();
    ids.dedup();
    assert_eq!(ids.len(), panels.len(), "panel ids are unique");
    for p in panels {
        for t in p["targets"].as_array().unwrap() {
            assert_eq!(t["datasource"]["uid"], "phone-holds-postgres", "{}", p["title"]);
            assert_eq!(t["datasource"]["type"], "grafana-postgresql-datasource", "{}", p["title"]);
            let format = t["format"].as_str().unwrap();
            assert_eq!(format == "time_series", p["type"] == "timeseries", "{}: time series panels, time series queries", p["title"]);
        }
    }
    // What the issue asks for, by title.
    let titles: Vec<&str> = panels.iter().map(|p| p["title"].as_str().unwrap()).collect();
    for wanted in ["Free", "Held", "Held for an appointment", "Due now", "Utilisation", "Pool over time", "Releases per run of the job", "Upcoming appointments", "Overdue holds", "History of $number"] {
        assert!(titles.contains(&wanted), "a panel {wanted}: {titles:?}");
    }
}

#[test]
fn every_panel_query_runs_as_the_dashboard_role_and_gives_its_panel_the_columns_it_needs_under_pg_cron() {
    let cluster = Cluster::start(
        "dashboard",
        &["shared_preload_libraries=pg_cron", "cron.database_name=postgres", "cron.use_background_workers=on", "max_worker_processes=16"],
    );
    let mut owner = cluster.connect();
    a_week(&mut owner);
    owner.batch_execute(&readme_sql("### A role for dashboards")).unwrap();
    let mut grafana = as_role(&cluster);

    let d = dashboard();
    // The number variable's query, then every panel with the first number it offers.
    let variable = &d["templating"]["list"][0];
    assert_eq!(variable["name"], "number");
    let numbers = texts(&mut grafana, variable["query"].as_str().unwrap());
    assert_eq!(numbers.len(), 40);
    let number = "+14155550001";
    assert!(numbers.iter().any(|n| n == number));

    // What Grafana makes of a week's range and a panel's width (about 10m), and coarser.
    for interval in ["10m", "1h", "1d", "1w"] {
        for p in d["panels"].as_array().unwrap() {
            let title = p["title"].as_str().unwrap();
            let t = &p["targets"][0];
            let sql = expand(t["rawSql"].as_str().unwrap(), interval, number);
            let rows = grafana.query(&sql, &[]).unwrap_or_else(|e| panic!("{title} ({interval}): {e}\n{sql}"));
            let statement = grafana.prepare(&sql).unwrap();
            let columns: Vec<(&str, &Type)> = statement.columns().iter().map(|c| (c.name(), c.type_())).collect();
            let context = format!("{title} ({interval}): {columns:?}");
            match (p["type"].as_str().unwrap(), t["format"].as_str().unwrap()) {
                ("timeseries", "time_series") => {
                    assert_eq!(columns[0], ("time", &Type::TIMESTAMPTZ), "{context}");
                    assert!(columns.len() > 1 && columns[1..].iter().all(|(_, t)| numeric(t)), "{context}");
                    assert!(!rows.is_empty(), "{context}: the week has data");
                    let times: Vec<std::time::SystemTime> = rows.iter().map(|r| r.get(0)).collect();
                    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{context}: time ascending, as Grafana needs");
                }
                ("stat", "table") => {
                    assert_eq!(rows.len(), 1, "{context}");
                    let field = p["options"]["reduceOptions"]["fields"].as_str().unwrap().trim_matches(['/', '^', '$']);
                    assert!(columns.iter().any(|(n, t)| *n == field && numeric(t)), "{context}: a number named {field}");
                }
                ("table", "table") => assert!(!columns.is_empty(), "{context}"),
                other => panic!("{context}: a panel of kind {other:?}"),
            }
            // The tables show what the week and now hold.
            let expected_rows = match title {
                "Upcoming appointments" | "Overdue holds" => Some(1),
                "Release job runs that did not succeed" => Some(1),
                _ => None,
            };
            if let Some(n) = expected_rows {
                assert_eq!(rows.len(), n, "{context}");
            }
            if title == "History of $number" {
                assert!(rows.len() >= 2, "{context}: the number's rows in the range");
            }
            if title == "Releases per run of the job" {
                assert_eq!(rows.len(), 7, "{context}: one point per run pg_cron recorded");
            }
        }
    }
    // The pool over time agrees with the pool's own summary at its end (held by the ledger,
    // now): in the last hour bucket of a range ending now.
    let (held_then, held_now): (i64, i64) = {
        let row = grafana
            .query_one(
                "SELECT (SELECT h.held FROM phone_pool_history(now() - interval '1 day', now(), '1 hour') AS h ORDER BY h.time DESC LIMIT 1),
                        (SELECT assigned FROM phone_pool_status)",
                &[],
            )
            .unwrap();
        (row.get(0), row.get(1))
    };
    assert_eq!(held_then, held_now);

    // A number quoted by Grafana's sqlstring format cannot end the literal.
    let hostile = "+1'); SELECT pg_sleep(0); --";
    let sql = expand("SELECT count(*) FROM phone_hold_ledger AS l WHERE l.number = ${number:sqlstring}", "1h", hostile);
    let messages = grafana.simple_query(&sql).unwrap();
    assert_eq!(messages.iter().filter(|m| matches!(m, SimpleQueryMessage::Row(_))).count(), 1, "one statement, one row");
}

#[test]
fn the_dashboard_role_reads_the_monitoring_objects_and_changes_nothing() {
    let cluster = Cluster::start("dashboard-role", &[]);
    let mut owner = cluster.connect();
    owner
        .batch_execute(
            "CREATE EXTENSION phone_holds; SELECT phone_holds_setup();
             INSERT INTO signalwire_phone_numbers (number) VALUES ('+14155550001'), ('+14155550002');
             SELECT assign_phone_to_lead('aaaaaaaa-0000-4000-8000-000000000001', lead_phone => '+14155550100');",
        )
        .unwrap();
    owner.batch_execute(&readme_sql("### A role for dashboards")).unwrap();

    // Of the extension's routines, it may run the monitoring functions and the helpers every
    // role may; nothing that changes a hold, the rotation, a secret or the job.
    let runnable = texts(
        &mut owner,
        &format!(
            "SELECT p.proname::text FROM pg_proc AS p JOIN pg_depend AS d ON d.objid = p.oid AND d.deptype = 'e'
              WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'phone_holds')
                AND has_function_privilege('{ROLE}', p.oid, 'EXECUTE')
              ORDER BY 1"
        ),
    );
    assert_eq!(
        runnable,
        [
            "phone_holds_area_code",
            "phone_holds_area_codes",
            "phone_holds_area_codes_source",
            "phone_holds_exposed",
            "phone_holds_min_rest",
            "phone_holds_number_problem",
            "phone_holds_number_unknown",
            "phone_holds_require_writable",
            "phone_holds_rotation_ready",
            "phone_pool_by_area_code",
            "phone_pool_by_region",
            "phone_pool_history",
            "phone_release_runs",
        ]
    );
    // No write on any table, the claims of first assignments included (only the roles that
    // may update the pool write those).
    let writable = texts(
        &mut owner,
        &format!(
            "SELECT c.relname || ' ' || p.privilege
               FROM pg_class AS c, unnest(ARRAY['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) AS p(privilege)
              WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'v', 'p')
                AND has_table_privilege('{ROLE}', c.oid, p.privilege)
              ORDER BY 1"
        ),
    );
    assert_eq!(writable, Vec::<String>::new());

    let mut grafana = as_role(&cluster);
    for sql in [
        "SELECT * FROM phone_pool_status",
        "SELECT * FROM phone_appointment_holds",
        "SELECT * FROM phone_holds_overdue",
        "SELECT * FROM phone_pool_by_region()",
        "SELECT * FROM phone_pool_history(now() - interval '1 day', now(), '1 hour')",
        "SELECT * FROM phone_release_runs(now() - interval '1 day', now())",
        "SELECT number, event, lead_id, geo_tier FROM phone_hold_ledger",
    ] {
        grafana.query(sql, &[]).unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    for (sql, expected) in [
        ("SELECT lead_phone FROM phone_hold_ledger", "42501"),
        ("SELECT * FROM phone_hold_ledger", "42501"),
        ("SELECT * FROM phone_hold_bookings", "42501"),
        ("SELECT * FROM phone_holds_webhook_secrets", "42501"),
        ("SELECT assign_phone_to_lead('bbbbbbbb-0000-4000-8000-000000000002')", "42501"),
        ("SELECT complete_appointment_for_phone('aaaaaaaa-0000-4000-8000-000000000001', 'cancelled')", "42501"),
        ("SELECT release_expired_phone_numbers()", "42501"),
        ("SELECT retire_phone_number('+14155550002', 'x')", "42501"),
        ("SELECT schedule_phone_release()", "42501"),
        ("SELECT phone_holds_setup()", "42501"),
        // Read-only by default, and refused even in a read-write transaction.
        ("UPDATE signalwire_phone_numbers SET name = 'x'", "25006"),
        ("BEGIN READ WRITE; UPDATE signalwire_phone_numbers SET name = 'x'", "42501"),
        ("BEGIN READ WRITE; DELETE FROM phone_hold_ledger", "42501"),
        ("BEGIN READ WRITE; CREATE TABLE public.planted (x int)", "42501"),
    ] {
        let e = grafana.batch_execute(sql).expect_err(sql);
        assert_eq!(sqlstate(&e), expected, "{sql}: {e}");
        let _ = grafana.batch_execute("ROLLBACK");
    }
}

/// The release job's runs are the job schedule_phone_release() made, and all of them: a run
/// pg_cron could not even connect for (no start time) shows as failed at its end, and a job of
/// the same name planted by a role that may not release shows nothing.
#[test]
fn the_release_runs_show_runs_that_never_connected_and_only_the_real_job_s_under_pg_cron() {
    let cluster = Cluster::start("release-runs", &["shared_preload_libraries=pg_cron", "cron.database_name=postgres"]);
    let mut c = cluster.connect();
    a_week(&mut c);
    c.batch_execute(
        "CREATE ROLE planter LOGIN;
         GRANT USAGE ON SCHEMA cron TO planter;
         -- What pg_cron records when it cannot connect for a run: an end, no start.
         INSERT INTO cron.job_run_details (jobid, job_pid, database, username, command, status, return_message, start_time, end_time)
         SELECT jobid, 0, 'postgres', 'postgres', command, 'failed', 'connection failed', NULL, '2025-10-24 23:30+00'
           FROM cron.job WHERE jobname = 'phone_holds_release';",
    )
    .unwrap();
    let mut planter = cluster.config("postgres").user("planter").connect(NoTls).unwrap();
    planter
        .batch_execute(
            "SELECT cron.schedule('phone_holds_release', '0 0 1 1 *', 'CALL public.drain_expired_phone_numbers()')",
        )
        .unwrap();
    c.batch_execute(
        "INSERT INTO cron.job_run_details (jobid, job_pid, database, username, command, status, return_message, start_time, end_time)
         SELECT jobid, 1, 'postgres', 'planter', command, 'failed', 'planted', '2025-10-22 12:00+00', '2025-10-22 12:00:01+00'
           FROM cron.job WHERE jobname = 'phone_holds_release' AND username = 'planter';",
    )
    .unwrap();
    // Each run with what the ledger says it released (a run's releases are dated its start).
    let runs = texts(
        &mut c,
        &format!(
            "SELECT to_char(r.time AT TIME ZONE 'UTC', 'MM-DD HH24') || ' ' || r.status || ' ' || r.released || '/'
                    || (SELECT count(*) FROM phone_hold_ledger AS l WHERE l.event = 'released' AND l.at = r.time)
               FROM phone_release_runs('{FROM}', '{TO}') AS r ORDER BY r.time, r.finished_at"
        ),
    );
    let expected: Vec<String> = (18..=24)
        .map(|day| format!("10-{day} 23 {}", if day == 21 { "failed" } else { "succeeded" }))
        .chain(["10-24 23 failed".to_owned()])
        .collect();
    assert_eq!(
        runs.iter().map(|r| r.rsplit_once(' ').unwrap().0.to_owned()).collect::<Vec<_>>(),
        expected,
        "the real job's eight runs, the one that never connected last, none of the planter's: {runs:?}"
    );
    for run in &runs[..7] {
        let (released, in_ledger) = run.rsplit_once(' ').unwrap().1.split_once('/').unwrap();
        assert_eq!(released, in_ledger, "{runs:?}");
    }
    assert!(runs[7].starts_with("10-24 23 failed 0/"), "a run that never started released nothing: {runs:?}");
}

/// A run whose process is gone is `interrupted`, not `running` for ever: one a failover cut off
/// (its row was replicated while it ran; the new primary never ran it, and its pg_cron does not
/// look back), and one pg_cron marked at a restart ("server restarted"). A run whose process
/// is still there is `running`.
#[test]
fn a_run_cut_off_by_a_failover_or_a_restart_shows_as_interrupted_under_pg_cron() {
    let cluster = Cluster::start("interrupted-runs", &["shared_preload_libraries=pg_cron", "cron.database_name=postgres"]);
    let mut c = cluster.connect();
    a_week(&mut c);
    // A session standing in for a run's process, alive while the runs are read.
    let mut live = cluster.connect();
    let pid: i32 = live.query_one("SELECT pg_backend_pid()", &[]).unwrap().get(0);
    c.batch_execute(&format!(
        "INSERT INTO cron.job_run_details (jobid, job_pid, database, username, command, status, return_message, start_time, end_time)
         SELECT jobid, p.pid, 'postgres', 'postgres', command, p.status, p.message, p.start_time::timestamptz, NULL
           FROM cron.job,
                (VALUES (2147483000, 'running', NULL, '2025-10-23 12:00+00'),
                        (2147483001, 'failed', 'server restarted', '2025-10-23 13:00+00'),
                        ({pid}, 'running', NULL, now()::text)) AS p(pid, status, message, start_time)
          WHERE jobname = 'phone_holds_release';"
    ))
    .unwrap();
    let runs = texts(
        &mut c,
        &format!("SELECT r.status FROM phone_release_runs('{FROM}', now() + interval '1 hour') AS r WHERE r.time > '2025-10-23 11:00+00' ORDER BY r.time"),
    );
    assert_eq!(runs[..2], ["interrupted", "interrupted"], "{runs:?}");
    assert_eq!(runs.last().map(String::as_str), Some("running"), "a run whose process is alive: {runs:?}");
    // A hot standby sees its own processes, not the primary's: a run pg_cron says is running
    // stays running there (the one alive on the primary above is not cut off), and the one
    // pg_cron marked at a restart is interrupted.
    let standby = cluster.standby("interrupted-runs-standby", &["shared_preload_libraries=pg_cron", "cron.database_name=postgres"]);
    standby.wait_for_replay(&mut c);
    // The three planted runs only (a_week has succeeded ones, and the job may have run meanwhile).
    let started: String = c.query_one(&format!("SELECT start_time::text FROM cron.job_run_details WHERE job_pid = {pid}"), &[]).unwrap().get(0);
    let on_standby = texts(
        &mut standby.connect(),
        &format!(
            "SELECT r.status FROM phone_release_runs('{FROM}', now() + interval '1 hour') AS r
              WHERE r.time > '2025-10-23 11:00+00' AND (r.time < '2025-10-24' OR r.time = '{started}') AND r.status <> 'succeeded' ORDER BY r.time"
        ),
    );
    assert_eq!(on_standby, ["running", "interrupted", "running"], "on the standby");
    drop(live);
}
