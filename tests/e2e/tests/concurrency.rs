//! Concurrency against a real cluster: many sessions assigning, releasing and rescheduling at
//! the same moment never give one number to two leads or release a number twice.

use phone_holds_e2e::{sqlstate, Cluster};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Barrier};
use std::thread;

const SESSIONS: usize = 8;
const POOL: i32 = 20;
const LEADS_PER_SESSION: usize = 5;
const SHARED_LEAD: &str = "5a5a5a5a-0000-4000-8000-000000000000";
const T0: &str = "2025-10-18 12:00:00+00";

fn lead(session: usize, i: usize) -> String {
    format!("00000000-0000-4000-8000-{:06}{:06}", session, i)
}

fn setup(cluster: &Cluster) {
    let mut c = cluster.connect();
    c.batch_execute(&format!(
        "CREATE EXTENSION phone_holds; SELECT phone_holds_setup();
         INSERT INTO signalwire_phone_numbers (number)
         SELECT '+1555' || lpad(i::text, 7, '0') FROM generate_series(1, {POOL}) AS i;"
    ))
    .unwrap();
}

/// Runs `work(session, client)` in SESSIONS threads that start together.
fn together<T: Send + 'static>(cluster: &Cluster, work: fn(usize, &mut postgres::Client) -> T) -> Vec<T> {
    let barrier = Arc::new(Barrier::new(SESSIONS));
    let handles: Vec<_> = (0..SESSIONS)
        .map(|s| {
            let mut client = cluster.connect();
            let barrier = barrier.clone();
            thread::spawn(move || {
                barrier.wait();
                work(s, &mut client)
            })
        })
        .collect();
    handles.into_iter().map(|h| h.join().expect("session thread")).collect()
}

#[test]
fn concurrent_assignments_never_share_a_number() {
    let cluster = Cluster::start("assign", &[]);
    setup(&cluster);

    // Each session asks for its own five leads and for one lead they all share: 8 x 5 = 40
    // distinct leads plus the shared one compete for 20 numbers.
    let results = together(&cluster, |s, c| {
        let mut got = Vec::new();
        for i in 0..LEADS_PER_SESSION {
            for who in [lead(s, i), SHARED_LEAD.to_owned()] {
                let r = c
                    .query_one("SELECT assign_phone_to_lead($1::text::uuid, $2::text::timestamptz)", &[&who, &T0])
                    .map(|row| row.get::<_, String>(0))
                    .map_err(|e| sqlstate(&e));
                got.push((who, r));
            }
        }
        got
    });

    let mut holder_of: HashMap<String, String> = HashMap::new();
    let mut shared_numbers = HashSet::new();
    let mut exhausted = 0;
    for (who, r) in results.into_iter().flatten() {
        match r {
            Ok(number) => {
                if who == SHARED_LEAD {
                    shared_numbers.insert(number.clone());
                }
                if let Some(previous) = holder_of.insert(number.clone(), who.clone()) {
                    assert_eq!(previous, who, "{number} was given to two leads");
                }
            }
            Err(code) => {
                assert_eq!(code, "53000", "only an empty pool may refuse an assignment");
                assert_ne!(who, SHARED_LEAD, "the shared lead holds a number once it has one");
                exhausted += 1;
            }
        }
    }
    assert_eq!(shared_numbers.len(), 1, "the shared lead always got the same number: {shared_numbers:?}");
    assert_eq!(holder_of.len(), POOL as usize, "every number was handed out");
    assert_eq!(exhausted, SESSIONS * LEADS_PER_SESSION - (POOL as usize - 1));

    // The table agrees: one lead per number, one number per lead, one 'assigned' ledger row each.
    let mut c = cluster.connect();
    let row = c
        .query_one(
            "SELECT count(*), count(DISTINCT currently_assigned_to),
                    (SELECT count(*) FROM phone_hold_ledger WHERE event = 'assigned')
               FROM signalwire_phone_numbers WHERE assignment_status = 'assigned'",
            &[],
        )
        .unwrap();
    assert_eq!((row.get::<_, i64>(0), row.get::<_, i64>(1), row.get::<_, i64>(2)), (20, 20, 20));
}

#[test]
fn leads_of_one_area_code_racing_for_its_last_numbers_never_share_one() {
    let cluster = Cluster::start("local", &[]);
    let mut c = cluster.connect();
    // Three San Francisco numbers, two in Los Angeles (same state), two in New York.
    c.batch_execute(
        "CREATE EXTENSION phone_holds; SELECT phone_holds_setup();
         INSERT INTO signalwire_phone_numbers (number) VALUES
             ('+14155550101'), ('+14155550102'), ('+14155550103'), ('+13105550101'), ('+13105550102'),
             ('+12125550101'), ('+12125550102');",
    )
    .unwrap();
    // Every session's two leads call from San Francisco: 16 leads for 7 numbers.
    let results = together(&cluster, |s, c| {
        (0..2)
            .map(|i| {
                c.query_one(
                    "SELECT assign_phone_to_lead($1::text::uuid, $2::text::timestamptz, '+14155557000')",
                    &[&lead(s, i), &T0],
                )
                .map(|row| row.get::<_, String>(0))
                .map_err(|e| sqlstate(&e))
            })
            .collect::<Vec<_>>()
    });
    let mut given = HashSet::new();
    let mut refused = 0;
    for r in results.into_iter().flatten() {
        match r {
            Ok(number) => assert!(given.insert(number.clone()), "{number} was given to two leads"),
            Err(code) => {
                assert_eq!(code, "53000");
                refused += 1;
            }
        }
    }
    assert_eq!((given.len(), refused), (7, 9));
    // The local numbers went to the area-code tier, the state's to the state tier, the rest to
    // any: a lead skipping a number another was taking never took a worse tier than was free.
    let tiers: Vec<(String, String)> = c
        .query("SELECT number, geo_tier FROM phone_hold_ledger WHERE event = 'assigned' ORDER BY number", &[])
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    for (number, tier) in &tiers {
        let expected = match &number[..5] {
            "+1415" => "area_code",
            "+1310" => "state",
            _ => "any",
        };
        assert_eq!(tier, expected, "{number}");
    }
    assert_eq!(tiers.len(), 7);
    let row = c
        .query_one("SELECT count(*), count(DISTINCT currently_assigned_to) FROM signalwire_phone_numbers WHERE assignment_status = 'assigned'", &[])
        .unwrap();
    assert_eq!((row.get::<_, i64>(0), row.get::<_, i64>(1)), (7, 7));
}

#[test]
fn concurrent_release_runs_release_each_number_once() {
    let cluster = Cluster::start("release", &[]);
    setup(&cluster);
    let mut c = cluster.connect();
    for i in 0..POOL as usize {
        c.execute("SELECT assign_phone_to_lead($1::text::uuid, $2::text::timestamptz)", &[&lead(99, i), &T0]).unwrap();
    }

    let released: Vec<i32> = together(&cluster, |_, c| {
        c.query_one("SELECT release_expired_phone_numbers('2025-10-19 06:00+00')", &[]).unwrap().get(0)
    });
    assert_eq!(released.iter().sum::<i32>(), POOL, "per run: {released:?}");
    let row = c
        .query_one(
            "SELECT count(*), count(DISTINCT number) FROM phone_hold_ledger WHERE event = 'released'",
            &[],
        )
        .unwrap();
    assert_eq!((row.get::<_, i64>(0), row.get::<_, i64>(1)), (POOL as i64, POOL as i64));
}

#[test]
fn a_reschedule_racing_the_release_job_keeps_the_number() {
    let cluster = Cluster::start("reschedule", &[]);
    setup(&cluster);
    let mut c = cluster.connect();
    let dan = lead(7, 7);
    let number: String = c
        .query_one(
            "SELECT assign_phone_to_lead($1::text::uuid, $2::text::timestamptz)",
            &[&dan, &T0],
        )
        .unwrap()
        .get(0);
    c.execute(
        "SELECT extend_phone_for_appointment($1::text::uuid, '2025-10-20 14:00+00', $2::text::timestamptz)",
        &[&dan, &T0],
    )
    .unwrap();

    // Half the sessions reschedule Dan again and again while the other half run the release
    // job at the same instant. With the seed's cancel-then-book, a release landing between
    // the two would take the number; in one step it never can.
    together(&cluster, |s, c| {
        let dan = lead(7, 7);
        for round in 0..25 {
            if s % 2 == 0 {
                let day = 21 + (round % 5);
                let when = format!("2025-10-{day} 09:00+00");
                c.execute(
                    "SELECT reschedule_appointment_for_phone($1::text::uuid, $2::text::timestamptz, '2025-10-19 12:00+00')",
                    &[&dan, &when],
                )
                .unwrap();
            } else {
                c.execute("SELECT release_expired_phone_numbers('2025-10-19 12:00+00')", &[]).unwrap();
            }
        }
    });
    let row = c
        .query_one(
            "SELECT number, (SELECT count(*) FROM phone_hold_ledger WHERE event = 'released')
               FROM signalwire_phone_numbers WHERE currently_assigned_to = $1::text::uuid",
            &[&dan],
        )
        .unwrap();
    assert_eq!(row.get::<_, String>(0), number);
    assert_eq!(row.get::<_, i64>(1), 0, "the number never went back to the pool:\n{}", cluster.log());
}

/// Waits until a session of this cluster is blocked on a lock while running `call`.
fn blocked_in(cluster: &Cluster, call: &str) {
    let mut watcher = cluster.connect();
    for _ in 0..1000 {
        let waiting: i64 = watcher
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND strpos(query, $1) > 0",
                &[&call],
            )
            .unwrap()
            .get(0);
        if waiting > 0 {
            return;
        }
        thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("no session waited on a lock in {call}");
}

/// `showed` for `who`, `hours` after T0, in a session of its own, once it waits on a row lock.
fn complete_waiting(cluster: &Cluster, who: &str, hours: i32) -> thread::JoinHandle<Option<String>> {
    let mut c = cluster.connect();
    let who = who.to_owned();
    let outcome = thread::spawn(move || {
        c.query_one(
            "SELECT complete_appointment_for_phone($1::text::uuid, 'showed', $2::text::timestamptz + make_interval(hours => $3))::text",
            &[&who, &T0, &hours],
        )
        .unwrap()
        .get(0)
    });
    blocked_in(cluster, "complete_appointment_for_phone");
    outcome
}

/// An outcome that waits for the lead's row while another change to it commits applies to the
/// row as that change left it: complete's first statement reads the row without locking it and
/// writes nothing once the row has moved on, and the locking form then decides. The ledger
/// must say what the hold was just before the outcome (old_release_at), and a number given to
/// another lead meanwhile must not take the outcome.
#[test]
fn an_outcome_that_waits_on_another_change_applies_to_the_row_that_change_left() {
    let cluster = Cluster::start("outcome-race", &[]);
    setup(&cluster);
    let mut c = cluster.connect();
    let (ann, bob) = (lead(3, 1), lead(3, 2));
    let number: String =
        c.query_one("SELECT assign_phone_to_lead($1::text::uuid, $2::text::timestamptz)", &[&ann, &T0]).unwrap().get(0);
    // Ann's number is the only one, so that the next lead to ask gets it.
    c.execute("DELETE FROM signalwire_phone_numbers WHERE number <> $1", &[&number]).unwrap();

    // 1. A booking holds Ann's row while her outcome arrives; the booking commits first.
    let mut booking = cluster.connect();
    let mut tx = booking.transaction().unwrap();
    tx.execute(
        "SELECT extend_phone_for_appointment($1::text::uuid, $2::text::timestamptz + interval '2 days', $2::text::timestamptz)",
        &[&ann, &T0],
    )
    .unwrap();
    let outcome = complete_waiting(&cluster, &ann, 1);
    tx.commit().unwrap();
    assert_eq!(outcome.join().unwrap().as_deref(), Some("2025-10-19 13:00:00+00"), "showed: a day from the outcome");
    let ledger = |c: &mut postgres::Client| -> Vec<String> {
        c.query(
            "SELECT event || ' ' || coalesce(lead_id::text, '-') || ' ' || coalesce(old_release_at::text, '-') || ' -> ' || coalesce(new_release_at::text, '-')
               FROM phone_hold_ledger ORDER BY id",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
    };
    assert_eq!(
        ledger(&mut c),
        vec![
            format!("assigned {ann} - -> 2025-10-19 06:00:00+00"),
            format!("extended {ann} 2025-10-19 06:00:00+00 -> 2025-10-21 12:00:00+00"),
            format!("completed {ann} 2025-10-21 12:00:00+00 -> 2025-10-19 13:00:00+00"),
        ]
    );

    // 2. Ann's number is released and given to Bob while her retried outcome waits for it.
    let mut tx = booking.transaction().unwrap();
    tx.batch_execute(&format!(
        "SET LOCAL phone_holds.min_rest = 0;
         SELECT complete_appointment_for_phone('{ann}', 'cancelled', '{T0}'::timestamptz + interval '2 hours');
         SELECT release_expired_phone_numbers('{T0}'::timestamptz + interval '2 hours');
         SELECT assign_phone_to_lead('{bob}', '{T0}'::timestamptz + interval '2 hours');"
    ))
    .unwrap();
    let outcome = complete_waiting(&cluster, &ann, 3);
    tx.commit().unwrap();
    assert_eq!(outcome.join().unwrap(), None, "Ann holds no number by then");
    let bob_now: (String, Option<String>) = {
        let r = c
            .query_one("SELECT number, last_call_outcome FROM signalwire_phone_numbers WHERE currently_assigned_to = $1::text::uuid", &[&bob])
            .unwrap();
        (r.get(0), r.get(1))
    };
    assert_eq!(bob_now, (number, None), "Bob's hold of the number took none of Ann's outcome");
    assert_eq!(ledger(&mut c).len(), 6, "assigned, extended, completed, completed, released, assigned: {:?}", ledger(&mut c));
    // Its sessions turn resting off.
    assert_eq!(phone_holds_e2e::invariants::violations_with_rest(&mut c, std::time::Duration::ZERO), Vec::<String>::new());
}

/// A transaction that began before another one released a number, and then takes that number,
/// writes its ledger row at the release's time, not at its own start: the ledger's time order
/// is the order the number changed hands, so the holder lookup and the self-check read it right.
#[test]
fn a_change_that_began_before_a_release_is_dated_after_it() {
    let cluster = Cluster::start("ledger-order", &[]);
    let mut c = cluster.connect();
    let (ann, bob) = ("a0000000-0000-4000-8000-00000000000a", "b0000000-0000-4000-8000-00000000000b");
    c.batch_execute(&format!(
        "CREATE EXTENSION phone_holds; SELECT phone_holds_setup();
         INSERT INTO signalwire_phone_numbers (number) VALUES ('+15550000001');
         SELECT assign_phone_to_lead('{ann}', now() - interval '1 day');"
    ))
    .unwrap();
    // Bob's transaction begins (its now() is fixed from here), then the release job lets Ann's
    // number go and commits, then Bob's transaction takes it.
    let mut booking = cluster.connect();
    let mut tx = booking.transaction().unwrap();
    tx.batch_execute("SET LOCAL phone_holds.min_rest = 0").unwrap();
    let released: i32 = c.query_one("SELECT release_expired_phone_numbers()", &[]).unwrap().get(0);
    assert_eq!(released, 1);
    let number: String = tx.query_one(&format!("SELECT assign_phone_to_lead('{bob}')"), &[]).unwrap().get(0);
    tx.commit().unwrap();
    assert_eq!(number, "+15550000001");
    let holder: Option<String> = c.query_one("SELECT phone_number_holder_at('+15550000001', now())::text", &[]).unwrap().get(0);
    assert_eq!(holder.as_deref(), Some(bob), "the lead holding the number now");
    let check: i64 = c.query_one("SELECT count(*) FROM phone_holds_check()", &[]).unwrap().get(0);
    assert_eq!(check, 0);
    assert_eq!(phone_holds_e2e::invariants::violations_with_rest(&mut c, std::time::Duration::ZERO), Vec::<String>::new());
}
