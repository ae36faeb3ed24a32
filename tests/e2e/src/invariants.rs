//! The promises phone_holds keeps, checked from the outside on one consistent snapshot of the
//! pool table and the ledger.
//!
//! The ledger is replayed number by number in id order (changes of one number are serialised
//! by its row lock, so id order is their commit order). Replay checks each event against the
//! state before it and, at the end, against the table.

use postgres::{Client, IsolationLevel};
use std::collections::HashMap;
use std::time::{Duration, SystemTime};

/// The follow-up window the checks assume (the extension's default).
const FOLLOW_UP_SECS: u64 = 24 * 3600;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Hold {
    lead: Option<String>,
    release_at: Option<SystemTime>,
    appointment_at: Option<SystemTime>,
}

/// Every broken promise found, as sentences; empty when all hold. Numbers must have rested
/// `phone_holds.min_rest` as the checking session has it.
pub fn violations(client: &mut Client) -> Vec<String> {
    let min_rest: f64 = client.query_one("SELECT extract(epoch FROM phone_holds_min_rest())::float8", &[]).unwrap().get(0);
    violations_with_rest(client, Duration::from_secs_f64(min_rest))
}

/// [`violations`], for a run whose clients set `min_rest` themselves.
pub fn violations_with_rest(client: &mut Client, min_rest: Duration) -> Vec<String> {
    let mut tx = client.build_transaction().isolation_level(IsolationLevel::RepeatableRead).read_only(true).start().unwrap();
    let mut found = Vec::new();

    // The extension's own check sees nothing wrong with the holds on the same snapshot (the
    // test pools' made-up numbers are not North American, which it also reports: not a hold's).
    for row in tx
        .query(
            "SELECT c.problem, c.number FROM phone_holds_check() AS c
              WHERE c.number IS NULL OR c.problem IS DISTINCT FROM phone_holds_number_problem(c.number)",
            &[],
        )
        .unwrap()
    {
        found.push(format!("phone_holds_check(): {:?}: {}", row.get::<_, Option<String>>(1), row.get::<_, String>(0)));
    }

    // Every live appointment is covered by its lead's hold: held through its follow-up window,
    // by the hold's end or by the appointment the pool row keeps. "Live" by the run's own
    // clock, the ledger's latest time (the runs move as_of, not the wall clock
    // phone_holds_check() reads).
    for row in tx
        .query(
            "SELECT a.lead_id::text, a.appointment_at::text, a.source, n.number, n.release_at::text, n.appointment_scheduled_at::text
               FROM public.phone_hold_appointments AS a
               LEFT JOIN public.signalwire_phone_numbers AS n
                 ON n.currently_assigned_to = a.lead_id AND n.assignment_status = 'assigned'
              WHERE a.status = 'booked'
                AND a.appointment_at + make_interval(secs => $1) > (SELECT max(l.at) FROM public.phone_hold_ledger AS l)
                AND NOT coalesce(n.appointment_scheduled_at >= a.appointment_at OR n.release_at >= a.appointment_at + make_interval(secs => $1), false)",
            &[&(FOLLOW_UP_SECS as f64)],
        )
        .unwrap()
    {
        found.push(format!(
            "lead {}'s {} appointment at {} is not covered: number {:?}, hold until {:?}, appointment {:?}",
            row.get::<_, String>(0),
            row.get::<_, String>(2),
            row.get::<_, String>(1),
            row.get::<_, Option<String>>(3),
            row.get::<_, Option<String>>(4),
            row.get::<_, Option<String>>(5)
        ));
    }

    for row in tx
        .query(
            "SELECT currently_assigned_to::text, count(*) FROM public.signalwire_phone_numbers
              WHERE assignment_status = 'assigned' GROUP BY 1 HAVING count(*) > 1",
            &[],
        )
        .unwrap()
    {
        found.push(format!("lead {:?} holds {} numbers", row.get::<_, Option<String>>(0), row.get::<_, i64>(1)));
    }
    for row in tx
        .query(
            "SELECT number FROM public.signalwire_phone_numbers
              WHERE (assignment_status = 'assigned') <> (currently_assigned_to IS NOT NULL)
                 OR (currently_assigned_to IS NOT NULL) <> (release_at IS NOT NULL)",
            &[],
        )
        .unwrap()
    {
        found.push(format!("{}: assigned, lead and release_at disagree", row.get::<_, String>(0)));
    }

    // Replay.
    let mut replayed: HashMap<String, Hold> = HashMap::new();
    // Per number: its latest row's time, and who let it go last and when.
    let mut last_at: HashMap<String, SystemTime> = HashMap::new();
    let mut last_release: HashMap<String, (Option<String>, SystemTime)> = HashMap::new();
    for row in tx
        .query(
            "SELECT id, at, event, number, lead_id::text, new_release_at, appointment_at, old_release_at
               FROM public.phone_hold_ledger ORDER BY id",
            &[],
        )
        .unwrap()
    {
        let id: i64 = row.get(0);
        let at: SystemTime = row.get(1);
        let event: String = row.get(2);
        let number: String = row.get(3);
        let lead: Option<String> = row.get(4);
        let before = replayed.get(&number).cloned().unwrap_or_default();
        let after = Hold { lead: lead.clone(), release_at: row.get(5), appointment_at: row.get(6) };
        // A change's row says what the hold was before it: the state the rows before it left.
        let old_release_at: Option<SystemTime> = row.get(7);
        // A number's rows in time order are its rows in the order they happened.
        if let Some(previous) = last_at.insert(number.clone(), at).filter(|previous| *previous > at) {
            found.push(format!("ledger {id}: {event} of {number} is dated {at:?}, before the row it follows ({previous:?})"));
        }
        let rotation = event == "retired" || event == "restored";
        if !rotation && event != "assigned" && event != "adopted" && old_release_at != before.release_at {
            found.push(format!("ledger {id}: {event} of {number} says the hold ended {old_release_at:?} before, the ledger before it says {:?}", before.release_at));
        }
        match event.as_str() {
            "assigned" | "adopted" => {
                if before.lead.is_some() {
                    found.push(format!("ledger {id}: {number} given to {lead:?} while {:?} held it", before.lead));
                }
                // Rest: a number another lead let go reaches a new lead only after min_rest.
                if let Some((released_by, released_at)) = last_release.get(&number) {
                    let rested = at.duration_since(*released_at).unwrap_or_default();
                    if *released_by != lead && event == "assigned" && rested < min_rest {
                        found.push(format!("ledger {id}: {number} given to {lead:?} {rested:?} after {released_by:?} let it go, less than min_rest"));
                    }
                }
                replayed.insert(number, after);
            }
            "reused" | "extended" | "completed" | "rescheduled" => {
                if before.lead != lead {
                    found.push(format!("ledger {id}: {event} of {number} for {lead:?}, held by {:?}", before.lead));
                }
                replayed.insert(number, after);
            }
            "released" => {
                if before.lead.is_none() {
                    found.push(format!("ledger {id}: {number} released while in the pool"));
                }
                if before.release_at.is_some_and(|r| r > at) {
                    found.push(format!("ledger {id}: {number} released before its hold ended"));
                }
                if before.appointment_at.is_some_and(|a| a + std::time::Duration::from_secs(FOLLOW_UP_SECS) > at) {
                    found.push(format!("ledger {id}: {number} released within its appointment's follow-up window"));
                }
                last_release.insert(number.clone(), (before.lead.clone(), at));
                replayed.insert(number, Hold::default());
            }
            // Retiring and restoring move no hold.
            "retired" | "restored" => {}
            other => found.push(format!("ledger {id}: unknown event {other}")),
        }
    }

    for row in tx
        .query(
            "SELECT number, currently_assigned_to::text, release_at, appointment_scheduled_at
               FROM public.signalwire_phone_numbers",
            &[],
        )
        .unwrap()
    {
        let number: String = row.get(0);
        let table = Hold { lead: row.get(1), release_at: row.get(2), appointment_at: row.get(3) };
        let mut from_ledger = replayed.remove(&number).unwrap_or_default();
        if from_ledger.lead.is_none() {
            // In the pool, the table keeps no appointment either.
            from_ledger.appointment_at = None;
        }
        let table_cmp = if table.lead.is_none() { Hold { appointment_at: None, ..table.clone() } } else { table.clone() };
        if table_cmp != from_ledger {
            found.push(format!("{number}: the table says {table:?}, the ledger replays to {from_ledger:?}"));
        }
    }
    for number in replayed.keys() {
        found.push(format!("{number}: in the ledger but not in the table"));
    }
    tx.commit().unwrap();
    found
}
