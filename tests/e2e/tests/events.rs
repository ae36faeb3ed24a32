//! Change events with a real LISTEN client on another connection: each hold change sends one
//! NOTIFY on channel phone_holds, delivered when its transaction commits, never when it rolls
//! back, in commit order; phone_holds.notify = off sends none.
//!
//! That nothing arrived is shown without waiting: a sentinel change is committed after the
//! change under test, and the events that arrive before the sentinel's are read; NOTIFY
//! delivers in commit order, so anything sent would come first.

use phone_holds_e2e::Cluster;
use postgres::fallible_iterator::FallibleIterator;
use postgres::Client;
use serde_json::Value;
use std::time::Duration;

const A: &str = "aaaaaaaa-0000-4000-8000-000000000001";
const B: &str = "bbbbbbbb-0000-4000-8000-000000000002";
/// The lead whose assignment is the sentinel.
const SENTINEL: &str = "5e5e5e5e-0000-4000-8000-00000000005e";

fn started(name: &str) -> (Cluster, Client, Client) {
    let cluster = Cluster::start(name, &[]);
    let mut writer = cluster.connect();
    writer
        .batch_execute(
            "CREATE EXTENSION phone_holds; SELECT phone_holds_setup();
             INSERT INTO signalwire_phone_numbers (number, name) SELECT '+1555000000' || i, 'Line ' || i FROM generate_series(1, 9) AS i;",
        )
        .unwrap();
    let mut listener = cluster.connect();
    listener.batch_execute("LISTEN phone_holds").unwrap();
    (cluster, writer, listener)
}

/// The next `n` events, waiting at most 10 s for each (a bound on a hang, not a timing check).
fn next(listener: &mut Client, n: usize) -> Vec<Value> {
    let mut got = Vec::new();
    let mut notifications = listener.notifications();
    let mut it = notifications.timeout_iter(Duration::from_secs(10));
    while got.len() < n {
        match it.next() {
            Ok(Some(note)) => {
                assert_eq!(note.channel(), "phone_holds");
                got.push(serde_json::from_str(note.payload()).unwrap_or_else(|e| panic!("{}: {e}", note.payload())));
            }
            Err(e) => panic!("listening: {e}"),
            Ok(None) => panic!("{} of {n} events arrived: {got:?}", got.len()),
        }
    }
    got
}

/// Commits the sentinel (from a connection of its own, events on) and returns the events that
/// arrive before its event.
fn until_sentinel(cluster: &Cluster, listener: &mut Client) -> Vec<Value> {
    cluster.connect().batch_execute(&format!("SELECT assign_phone_to_lead('{SENTINEL}')")).unwrap();
    let mut before = Vec::new();
    loop {
        let event = next(listener, 1).remove(0);
        if event["leadId"] == SENTINEL {
            return before;
        }
        before.push(event);
    }
}

/// The ledger's rows but the sentinel's.
fn ledger_ids(c: &mut Client) -> Vec<i64> {
    c.query(&format!("SELECT id FROM phone_hold_ledger WHERE lead_id <> '{SENTINEL}' ORDER BY id"), &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[test]
fn each_committed_change_sends_one_event_after_commit() {
    let (cluster, mut writer, mut listener) = started("events-commit");

    // Open: nothing is sent until the commit.
    let mut t = writer.transaction().unwrap();
    t.batch_execute(&format!("SELECT assign_phone_to_lead('{A}', '2025-10-18 12:00+00', lead_phone => '+14155550123')")).unwrap();
    assert_eq!(until_sentinel(&cluster, &mut listener), Vec::<Value>::new(), "nothing before the commit");
    t.commit().unwrap();
    let assigned = next(&mut listener, 1).remove(0);
    let id: i64 = writer.query_one(&format!("SELECT id FROM phone_hold_ledger WHERE lead_id = '{A}'"), &[]).unwrap().get(0);
    assert_eq!(
        assigned,
        serde_json::json!({
            "event": "assigned", "number": "+15550000001", "leadId": A, "releaseAt": "2025-10-19T06:00:00Z",
            "appointmentAt": null, "source": "sql", "at": "2025-10-18T12:00:00Z", "ledgerId": id,
            "outcome": null, "geoTier": "any"
        })
    );

    // Every kind of change, each committed on its own: one event each, in order, naming its
    // ledger row. A repeat that changes nothing writes no row and sends nothing.
    writer
        .batch_execute(&format!(
            "SELECT assign_phone_to_lead('{A}', '2025-10-18 13:00+00');
             SELECT extend_phone_for_appointment('{A}', '2025-10-20 15:00+00', '2025-10-18 14:00+00');
             SELECT reschedule_appointment_for_phone('{A}', '2025-10-21 15:00+00', '2025-10-18 15:00+00');
             SELECT complete_appointment_for_phone('{A}', 'no_show', '2025-10-21 16:00+00');
             SELECT complete_appointment_for_phone('{A}', 'no_show', '2025-10-21 16:00+00');
             SELECT vapi_end_of_call('{{\"leadId\": \"{B}\", \"outcome\": \"appointment_booked\", \"appointmentTime\": \"2025-10-22T09:00:00Z\"}}'::text, '2025-10-21 17:00+00');
             SELECT release_expired_phone_numbers('2025-10-24 12:00+00');"
        ))
        .unwrap();
    let events = next(&mut listener, 8);
    let mut said: Vec<String> = events
        .iter()
        .map(|e| format!("{} {} {} {}", e["event"].as_str().unwrap(), e["leadId"].as_str().unwrap(), e["source"], e["releaseAt"]))
        .collect();
    // One release statement: its two rows in either order.
    said[6..].sort();
    assert_eq!(
        said,
        [
            format!("reused {A} \"sql\" \"2025-10-19T07:00:00Z\""),
            format!("extended {A} \"sql\" \"2025-10-21T15:00:00Z\""),
            format!("rescheduled {A} \"sql\" \"2025-10-22T15:00:00Z\""),
            format!("completed {A} \"sql\" \"2025-10-22T16:00:00Z\""),
            format!("assigned {B} \"vapi\" \"2025-10-22T11:00:00Z\""),
            format!("extended {B} \"vapi\" \"2025-10-23T09:00:00Z\""),
            format!("released {A} \"sql\" null"),
            format!("released {B} \"sql\" null"),
        ]
    );
    assert_eq!(events[2]["appointmentAt"], "2025-10-21T15:00:00Z");
    assert_eq!(events[3]["outcome"], "no_show");
    assert_eq!(events[3]["appointmentAt"], "2025-10-21T15:00:00Z", "no_show keeps the appointment on record");
    let mut sent: Vec<i64> = std::iter::once(&assigned).chain(&events).map(|e| e["ledgerId"].as_i64().unwrap()).collect();
    sent.sort();
    assert_eq!(sent, ledger_ids(&mut writer), "one event per ledger row, in order");
    assert_eq!(until_sentinel(&cluster, &mut listener), Vec::<Value>::new(), "the repeated outcome sent nothing");

    // The batched release commits after each batch: its events come batch by batch, all of them.
    writer
        .batch_execute(
            "SELECT assign_phone_to_lead(gen_random_uuid(), '2025-10-25 12:00+00') FROM generate_series(1, 5);
             SET phone_holds.release_batch = 2;",
        )
        .unwrap();
    next(&mut listener, 5);
    let released: i64 = writer.query_one("CALL drain_expired_phone_numbers('2025-10-27 12:00+00')", &[]).unwrap().get(0);
    assert_eq!(released, 5);
    let events = next(&mut listener, 5);
    assert!(events.iter().all(|e| e["event"] == "released"), "{events:?}");
}

#[test]
fn a_rolled_back_change_sends_nothing_and_the_setting_turns_events_off() {
    let (cluster, mut writer, mut listener) = started("events-rollback");

    let mut t = writer.transaction().unwrap();
    t.batch_execute(&format!("SELECT extend_phone_for_appointment('{A}', '2025-10-20 15:00+00', '2025-10-18 12:00+00')")).unwrap();
    t.rollback().unwrap();
    assert_eq!(until_sentinel(&cluster, &mut listener), Vec::<Value>::new(), "a rollback sends nothing");

    // A change undone by a failure later in the same statement's transaction sends nothing
    // either; a savepoint rolled back takes its events with it.
    let mut t = writer.transaction().unwrap();
    t.batch_execute(&format!("SELECT assign_phone_to_lead('{B}', '2025-10-18 12:00+00')")).unwrap();
    let mut s = t.transaction().unwrap();
    s.batch_execute(&format!("SELECT assign_phone_to_lead('{A}', '2025-10-18 12:00+00')")).unwrap();
    s.rollback().unwrap();
    t.commit().unwrap();
    let events = until_sentinel(&cluster, &mut listener);
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["leadId"], B);

    writer.batch_execute("SET phone_holds.notify = off").unwrap();
    writer.batch_execute(&format!("SELECT extend_phone_for_appointment('{A}', '2025-10-20 15:00+00', '2025-10-18 12:00+00')")).unwrap();
    assert_eq!(until_sentinel(&cluster, &mut listener), Vec::<Value>::new(), "phone_holds.notify = off");
}

#[test]
fn events_of_one_number_arrive_in_commit_order() {
    let (cluster, mut writer, mut listener) = started("events-order");
    writer.batch_execute(&format!("SELECT assign_phone_to_lead('{A}', '2025-10-18 12:00+00')")).unwrap();
    next(&mut listener, 1);

    // The booking locks the number first; the outcome waits for it, then commits after it.
    let mut booking = writer.transaction().unwrap();
    booking.batch_execute(&format!("SELECT extend_phone_for_appointment('{A}', '2025-10-20 15:00+00', '2025-10-18 13:00+00')")).unwrap();
    let config = cluster.config("postgres");
    let outcome = std::thread::spawn(move || {
        let mut c = config.connect(postgres::NoTls).unwrap();
        c.batch_execute(&format!("SELECT complete_appointment_for_phone('{A}', 'cancelled', '2025-10-18 14:00+00')")).unwrap();
    });
    // The outcome is waiting on the booking's row lock before the booking commits.
    let mut watcher = cluster.connect();
    let since = std::time::Instant::now();
    loop {
        assert!(since.elapsed() < Duration::from_secs(30), "the outcome never waited for the booking");
        let waiting: i64 = watcher
            .query_one("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%complete_appointment_for_phone%'", &[])
            .unwrap()
            .get(0);
        if waiting == 1 {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    booking.commit().unwrap();
    outcome.join().unwrap();
    let events = next(&mut listener, 2);
    assert_eq!((events[0]["event"].as_str(), events[1]["event"].as_str()), (Some("extended"), Some("completed")));
    assert_eq!(events[1]["releaseAt"], "2025-10-18T14:00:00Z");

    // Across numbers too: the first to commit is heard first, whichever began first.
    let mut first_begun = writer.transaction().unwrap();
    first_begun.batch_execute(&format!("SELECT assign_phone_to_lead('{B}', '2025-10-18 15:00+00')")).unwrap();
    cluster.connect().batch_execute(&format!("SELECT assign_phone_to_lead('{SENTINEL}', '2025-10-18 15:00+00')")).unwrap();
    first_begun.commit().unwrap();
    let events = next(&mut listener, 2);
    assert_eq!((events[0]["leadId"].as_str(), events[1]["leadId"].as_str()), (Some(SENTINEL), Some(B)));
    assert!(events[0]["ledgerId"].as_i64() > events[1]["ledgerId"].as_i64(), "commit order, not ledger order");
}

/// The catch-up docs/operations/monitoring.md gives a listener that lost its connection (a
/// restart, a failover): LISTEN again, then read the ledger from a margin below the last
/// ledgerId handled, skipping the ids already handled. Ledger ids are taken at insert and rows
/// commit in another order, so a change whose id is below the last one heard can commit after
/// the connection dropped: reading only `id > last` would miss it, as this test shows.
const CATCH_UP: &str = "SELECT id FROM phone_hold_ledger WHERE id > $1::bigint - 1000 ORDER BY id";

#[test]
fn a_listener_that_lost_its_connection_catches_up_from_the_ledger_missing_nothing() {
    let (cluster, mut writer, mut listener) = started("events-catch-up");
    let mut heard: Vec<i64> = Vec::new();
    writer.batch_execute(&format!("SELECT assign_phone_to_lead('{A}', '2025-10-18 12:00+00')")).unwrap();
    heard.extend(next(&mut listener, 1).iter().map(|e| e["ledgerId"].as_i64().unwrap()));

    // A change takes its ledger id, then commits only after a later change was heard, and
    // after the listener's connection is gone; another change comes while it is gone.
    let mut slow = writer.transaction().unwrap();
    slow.batch_execute(&format!("SELECT extend_phone_for_appointment('{A}', '2025-10-20 15:00+00', '2025-10-18 13:00+00')")).unwrap();
    cluster.connect().batch_execute(&format!("SELECT assign_phone_to_lead('{B}', '2025-10-18 13:00+00')")).unwrap();
    heard.extend(next(&mut listener, 1).iter().map(|e| e["ledgerId"].as_i64().unwrap()));
    drop(listener);
    slow.commit().unwrap();
    writer.batch_execute(&format!("SELECT complete_appointment_for_phone('{A}', 'showed', '2025-10-20 16:00+00')")).unwrap();

    // Reconnected: LISTEN first, so nothing falls between the catch-up and the events.
    let mut listener = cluster.connect();
    listener.batch_execute("LISTEN phone_holds").unwrap();
    let last = *heard.iter().max().unwrap();
    let ids = |c: &mut Client, sql: &str| -> Vec<i64> { c.query(sql, &[&last]).unwrap().iter().map(|r| r.get(0)).collect() };
    let naive: Vec<i64> = ids(&mut listener, "SELECT id FROM phone_hold_ledger WHERE id > $1 ORDER BY id");
    let caught_up: Vec<i64> = ids(&mut listener, CATCH_UP).into_iter().filter(|id| !heard.contains(id)).collect();
    let mut handled = heard.clone();
    handled.extend(&caught_up);
    handled.sort();
    let every = ledger_ids(&mut writer);
    assert_eq!(handled, every, "heard {heard:?}, caught up {caught_up:?}");
    assert!(every.iter().any(|id| *id < last && !heard.contains(id) && !naive.contains(id)), "the slow change is below the last id heard: {every:?}, {heard:?}");
    // From here the events come again.
    writer.batch_execute(&format!("SELECT assign_phone_to_lead('{SENTINEL}', '2025-10-21 12:00+00')")).unwrap();
    assert_eq!(next(&mut listener, 1)[0]["leadId"], SENTINEL);
}
