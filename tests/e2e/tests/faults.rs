//! Faults: a release of 100,000 due numbers cut short by pg_terminate_backend and by SIGKILL of
//! its backend (the server restarts) happens entirely or not at all, and the invariants hold;
//! two release runs started at the same moment release each number exactly once.

use phone_holds_e2e::{invariants::violations, sqlstate, Cluster};
use postgres::Client;
use std::process::Command;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

const DUE: i64 = 100_000;

/// 100,000 numbers held since T0 - 18 h and due at T0, each with its ledger row.
fn due_pool(c: &mut Client) {
    c.batch_execute(&format!(
        "CREATE EXTENSION phone_holds; SELECT phone_holds_setup();
         INSERT INTO signalwire_phone_numbers (number, assignment_status, currently_assigned_to, release_at)
         SELECT '+1' || lpad(i::text, 10, '0'), 'assigned', md5(i::text)::uuid, '2025-10-18 12:00+00'
           FROM generate_series(1, {DUE}) AS i;
         INSERT INTO phone_hold_ledger (at, event, number, lead_id, new_release_at)
         SELECT '2025-10-17 18:00+00', 'assigned', number, currently_assigned_to, release_at FROM signalwire_phone_numbers;
         ANALYZE signalwire_phone_numbers;"
    ))
    .unwrap();
}

fn released(c: &mut Client) -> (i64, i64) {
    let row = c
        .query_one(
            "SELECT (SELECT count(*) FROM signalwire_phone_numbers WHERE assignment_status = 'available'),
                    (SELECT count(*) FROM phone_hold_ledger WHERE event = 'released')",
            &[],
        )
        .unwrap();
    (row.get(0), row.get(1))
}

/// Starts the release in its own session and returns its backend pid, once the statement is
/// running, with the thread that waits for its result.
fn start_release(cluster: &Cluster) -> (i32, thread::JoinHandle<Result<i32, String>>) {
    let mut session = cluster.connect();
    let pid: i32 = session.query_one("SELECT pg_backend_pid()", &[]).unwrap().get(0);
    let handle = thread::spawn(move || {
        session
            .query_one("SELECT release_expired_phone_numbers('2025-10-18 13:00+00')", &[])
            .map(|r| r.get::<_, i32>(0))
            .map_err(|e| format!("{} {e}", sqlstate(&e)))
    });
    let mut watcher = cluster.connect();
    let started = Instant::now();
    while watcher
        .query_opt(
            "SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND state = 'active' AND query LIKE '%release_expired%'",
            &[&pid],
        )
        .unwrap()
        .is_none()
    {
        assert!(started.elapsed() < Duration::from_secs(30), "the release never started");
        thread::sleep(Duration::from_millis(5));
    }
    // Let it get well into the rows before cutting it short.
    thread::sleep(Duration::from_millis(300));
    (pid, handle)
}

fn all_or_none(c: &mut Client, what: &str) -> (i64, i64) {
    let (available, logged) = released(c);
    assert!(
        (available, logged) == (0, 0) || (available, logged) == (DUE, DUE),
        "{what}: {available} numbers available and {logged} releases logged: a partial release"
    );
    let broken = violations(c);
    assert!(broken.is_empty(), "{what}: {}", broken[..broken.len().min(10)].join("\n"));
    (available, logged)
}

#[test]
fn an_interrupted_release_happens_entirely_or_not_at_all() {
    let cluster = Cluster::start("faults", &[]);
    let mut c = cluster.connect();
    due_pool(&mut c);

    // 1. pg_terminate_backend in the middle of the statement.
    let (pid, release) = start_release(&cluster);
    let terminated: bool = c.query_one("SELECT pg_terminate_backend($1)", &[&pid]).unwrap().get(0);
    assert!(terminated);
    let outcome = release.join().unwrap();
    println!("faults: release cut by pg_terminate_backend: {outcome:?}");
    assert!(outcome.as_ref().is_err_and(|e| e.starts_with("57P01")), "the release was not cut short: {outcome:?}");
    assert_eq!(all_or_none(&mut c, "after pg_terminate_backend"), (0, 0));

    // 2. SIGKILL of the backend: the postmaster restarts every session and recovers.
    let (pid, release) = start_release(&cluster);
    let killed = Command::new("kill").args(["-KILL", &pid.to_string()]).status().unwrap();
    assert!(killed.success());
    let outcome = release.join().unwrap();
    println!("faults: release cut by SIGKILL: {outcome:?}");
    assert!(outcome.is_err(), "the release was not cut short: {outcome:?}");
    let mut c = cluster.reconnect();
    assert_eq!(all_or_none(&mut c, "after SIGKILL and crash recovery"), (0, 0));

    // 3. Two runs started together release each number exactly once.
    let barrier = Arc::new(Barrier::new(2));
    let runs: Vec<_> = (0..2)
        .map(|_| {
            let mut session = cluster.connect();
            let barrier = barrier.clone();
            thread::spawn(move || {
                barrier.wait();
                session.query_one("SELECT release_expired_phone_numbers('2025-10-18 13:00+00')", &[]).unwrap().get::<_, i32>(0)
            })
        })
        .collect();
    let counts: Vec<i32> = runs.into_iter().map(|r| r.join().unwrap()).collect();
    println!("faults: two simultaneous runs released {counts:?}");
    assert_eq!(counts.iter().map(|&n| n as i64).sum::<i64>(), DUE);
    assert_eq!(all_or_none(&mut c, "after two simultaneous runs"), (DUE, DUE));
    let once: i64 = c
        .query_one("SELECT count(DISTINCT number) FROM phone_hold_ledger WHERE event = 'released'", &[])
        .unwrap()
        .get(0);
    assert_eq!(once, DUE, "every number released exactly once");
}
