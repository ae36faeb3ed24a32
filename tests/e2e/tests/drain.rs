//! The batched release on a real cluster: a backlog larger than one statement can release under
//! the server's statement_timeout still drains, and an interrupted run loses nothing.

use phone_holds_e2e::{invariants, sqlstate, Cluster};
use postgres::Client;
use std::time::{Duration, Instant};

const AS_OF: &str = "2025-10-18 12:00:00+00";

/// `due` numbers whose hold ended an hour before AS_OF, each with its ledger row, and as many
/// free ones.
fn backlog(c: &mut Client, due: i64) {
    c.batch_execute(&format!(
        "CREATE EXTENSION phone_holds; SELECT phone_holds_setup();
         INSERT INTO signalwire_phone_numbers (number, assignment_status, currently_assigned_to, release_at)
         SELECT '+1' || lpad(i::text, 10, '0'),
                CASE WHEN i <= {due} THEN 'assigned' ELSE 'available' END,
                CASE WHEN i <= {due} THEN md5(i::text)::uuid END,
                CASE WHEN i <= {due} THEN '{AS_OF}'::timestamptz - interval '1 hour' - make_interval(secs => i) END
           FROM generate_series(1, 2 * {due}) AS i;
         INSERT INTO phone_hold_ledger (at, event, number, lead_id, new_release_at)
         SELECT '{AS_OF}'::timestamptz - interval '19 hours', 'assigned', number, currently_assigned_to, release_at
           FROM signalwire_phone_numbers WHERE assignment_status = 'assigned';"
    ))
    .unwrap();
    c.batch_execute("VACUUM ANALYZE signalwire_phone_numbers").unwrap();
}

/// How many numbers are still held, and how many release rows the ledger has.
fn held_and_released(c: &mut Client) -> (i64, i64) {
    let row = c
        .query_one(
            "SELECT (SELECT count(*) FROM signalwire_phone_numbers WHERE assignment_status = 'assigned'),
                    (SELECT count(*) FROM phone_hold_ledger WHERE event = 'released')",
            &[],
        )
        .unwrap();
    (row.get(0), row.get(1))
}

/// Every due number released exactly once, none still due, every promise kept.
fn drained_exactly_once(c: &mut Client, due: i64) {
    let twice: i64 = c
        .query_one(
            "SELECT count(*) FROM (SELECT number FROM phone_hold_ledger WHERE event = 'released'
                                    GROUP BY number HAVING count(*) > 1) AS twice",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!((held_and_released(c), twice), ((0, due), 0), "(still held, released), released twice");
    assert_eq!(invariants::violations(c), Vec::<String>::new());
}

fn drain(c: &mut Client) -> Result<i64, postgres::Error> {
    c.query_one(&format!("CALL drain_expired_phone_numbers('{AS_OF}')"), &[]).map(|r| r.get(0))
}

#[test]
fn a_backlog_drains_under_a_statement_timeout_shorter_than_the_single_statement() {
    const DUE: i64 = 100_000;
    let cluster = Cluster::start("drain-timeout", &[]);
    let mut c = cluster.connect();
    backlog(&mut c, DUE);

    // How long the one-statement release takes here, rolled back; the timeout is half of it.
    let started = Instant::now();
    let mut tx = c.transaction().unwrap();
    let all: i32 = tx.query_one(&format!("SELECT release_expired_phone_numbers('{AS_OF}')"), &[]).unwrap().get(0);
    tx.rollback().unwrap();
    assert_eq!(i64::from(all), DUE);
    let timeout_ms = (started.elapsed().as_millis() / 2).max(200);
    c.batch_execute(&format!("SET statement_timeout = {timeout_ms}")).unwrap();

    // The single statement can never finish under it: every run is cancelled and releases 0.
    let e = c.query_one(&format!("SELECT release_expired_phone_numbers('{AS_OF}')"), &[]).unwrap_err();
    assert_eq!(sqlstate(&e), "57014", "{e}");
    assert_eq!(held_and_released(&mut c), (DUE, 0), "a cancelled statement released nothing");

    // The batched job keeps what each batch committed; runs repeat (as pg_cron's would) until
    // nothing is due. Each run makes progress, so a few runs are enough.
    let mut runs = Vec::new();
    loop {
        let (before, _) = held_and_released(&mut c);
        let run = drain(&mut c);
        let (after, _) = held_and_released(&mut c);
        assert!(after < before || after == 0, "a run made no progress: {run:?}");
        match run {
            Ok(released) => {
                runs.push(format!("finished, {released} released"));
                break;
            }
            Err(e) => {
                assert_eq!(sqlstate(&e), "57014", "{e}");
                runs.push(format!("cancelled after {} released", before - after));
            }
        }
        assert!(runs.len() < 20, "{runs:?}");
    }
    println!("statement_timeout {timeout_ms} ms, single statement cancelled; batched runs: {runs:?}");
    // The checks read all 100,000 numbers and their ledger: not what the timeout is for.
    c.batch_execute("RESET statement_timeout").unwrap();
    drained_exactly_once(&mut c, DUE);
}

#[test]
fn an_interrupted_drain_loses_nothing_and_the_next_run_releases_the_rest_once() {
    const DUE: i64 = 30_000;
    let cluster = Cluster::start("drain-kill", &["phone_holds.release_batch=200"]);
    let mut c = cluster.connect();
    backlog(&mut c, DUE);

    let mut victim = cluster.connect();
    let pid: i32 = victim.query_one("SELECT pg_backend_pid()", &[]).unwrap().get(0);
    let running = std::thread::spawn(move || drain(&mut victim));
    // Wait until some batches have committed, then kill the backend mid-run.
    let started = Instant::now();
    loop {
        if held_and_released(&mut c).1 >= 1000 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(120), "the drain did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    let killed: bool = c.query_one("SELECT pg_terminate_backend($1)", &[&pid]).unwrap().get(0);
    assert!(killed);
    let outcome = running.join().unwrap();
    assert!(outcome.is_err(), "the run was interrupted, not finished: {outcome:?}");

    let (held, released) = held_and_released(&mut c);
    assert!(released > 0 && held > 0 && held + released == DUE, "committed batches stay: {held} held, {released} released");
    let rest = drain(&mut c).unwrap();
    assert_eq!(rest, held, "the next run releases exactly what was left");
    drained_exactly_once(&mut c, DUE);
}
