//! The release job under pg_cron, on a real cluster with pg_cron preloaded and the extension
//! installed as a user would install it.

use phone_holds_e2e::Cluster;
use std::time::{Duration, Instant};

/// pg_cron 1.4 runs jobs at minute boundaries: one minute plus margin bounds the wait.
const JOB_WAIT: Duration = Duration::from_secs(150);

#[test]
fn the_cron_job_releases_a_due_number_and_pg_cron_records_success() {
    let cluster = Cluster::start(
        "cron",
        &[
            "shared_preload_libraries=pg_cron",
            "cron.database_name=postgres",
            // Jobs run in background workers, not over a TCP connection the cluster does not accept.
            "cron.use_background_workers=on",
            "max_worker_processes=16",
        ],
    );
    let mut c = cluster.connect();
    c.batch_execute(
        "CREATE EXTENSION pg_cron;
         CREATE EXTENSION phone_holds; SELECT phone_holds_setup();
         INSERT INTO signalwire_phone_numbers (number) VALUES ('+15550000001'), ('+15550000002');
         SELECT assign_phone_to_lead('07f26a19-e9dc-422c-b61d-030e3c7971bb', now() - interval '19 hours');
         SELECT extend_phone_for_appointment('2b1c1f4e-5d7a-4c3e-9a10-8f3d2e6b7c01', now() + interval '1 day');",
    )
    .unwrap();

    // Scheduling is idempotent: one job under one name, the schedule replaced.
    let first: i64 = c.query_one("SELECT schedule_phone_release()", &[]).unwrap().get(0);
    let again: i64 = c.query_one("SELECT schedule_phone_release('* * * * *')", &[]).unwrap().get(0);
    assert_eq!(first, again);
    let row = c
        .query_one("SELECT count(*), max(schedule), max(command) FROM cron.job WHERE jobname = 'phone_holds_release'", &[])
        .unwrap();
    assert_eq!(row.get::<_, i64>(0), 1);
    assert_eq!(row.get::<_, String>(1), "* * * * *");
    assert_eq!(row.get::<_, String>(2), "CALL public.drain_expired_phone_numbers()");

    let started = Instant::now();
    loop {
        let status: String = c
            .query_one("SELECT assignment_status FROM signalwire_phone_numbers WHERE number = '+15550000001'", &[])
            .unwrap()
            .get(0);
        if status == "available" {
            break;
        }
        assert!(started.elapsed() < JOB_WAIT, "the job did not release the number in time:\n{}", cluster.log());
        std::thread::sleep(Duration::from_millis(500));
    }

    let run = c
        .query_one(
            "SELECT status, return_message FROM cron.job_run_details WHERE jobid = $1 ORDER BY runid LIMIT 1",
            &[&first],
        )
        .unwrap();
    let (status, message): (String, String) = (run.get(0), run.get(1));
    println!("cron.job_run_details: jobid={first} status={status} return_message={message}");
    assert_eq!(status, "succeeded");
    // The booked number stays; the ledger says who released what.
    let kept: String = c
        .query_one("SELECT assignment_status FROM signalwire_phone_numbers WHERE number = '+15550000002'", &[])
        .unwrap()
        .get(0);
    assert_eq!(kept, "assigned");
    let released: i64 = c.query_one("SELECT count(*) FROM phone_hold_ledger WHERE event = 'released'", &[]).unwrap().get(0);
    assert_eq!(released, 1);

    assert!(c.query_one("SELECT unschedule_phone_release()", &[]).unwrap().get::<_, bool>(0));
    assert!(!c.query_one("SELECT unschedule_phone_release()", &[]).unwrap().get::<_, bool>(0));
}
