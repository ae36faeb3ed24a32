//! The concurrency stress harness: N clients (PHONE_HOLDS_STRESS_CLIENTS, default 8) for a
//! bounded time (PHONE_HOLDS_STRESS_SECONDS, default 60) issue a random mix, from every source,
//! of assign, extend, complete (every outcome) and reschedule by SQL; Cal.com bookings, moves
//! and cancels; Calendly bookings, moves and cancels; VAPI tool calls; retire and restore; the
//! release and the batched drain, on a pool smaller than the lead population, with as_of
//! times that move forward. Each lead books up to three calendar bookings per calendar, so
//! leads hold several appointments at once. An invariant checker runs during the run and
//! after it.
//! Serialization and deadlock failures are counted and retried, never hidden; any other error
//! is a violation.

use phone_holds_e2e::{invariants::violations, sqlstate, Cluster};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

const POOL: i64 = 30;
const LEADS: u64 = 100;
const OUTCOMES: [&str; 6] = ["showed", "no_show", "cancelled", "rescheduled", "Canceled", "No-Show"];

/// When a stress operation happens: T0 plus $2 minutes. T0 lies years back, so however long
/// the run, its clock stays behind the wall clock phone_holds_check() reads.
const AS_OF: &str = "('2020-01-01 12:00+00'::timestamptz + make_interval(mins => $2::text::int))";

/// `t` as the calendars write times.
fn iso(t: &str) -> String {
    format!("to_char(({t}) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')")
}

/// The appointment's time: $3 hours after as_of, as the calendars write times.
fn appointment_time() -> String {
    iso(&format!("{AS_OF} + make_interval(hours => $3::text::int)"))
}

/// A Cal.com delivery for lead $1 at $2 about booking $5 (starting $3 hours from as_of):
/// created, cancelled, or moved from booking $6.
fn calcom_sql(change: &str) -> String {
    let (trigger, from) = match change {
        "create" => ("BOOKING_CREATED", "NULL"),
        "cancel" => ("BOOKING_CANCELLED", "NULL"),
        _ => ("BOOKING_RESCHEDULED", "$6::text"),
    };
    format!(
        "SELECT calcom_webhook(jsonb_strip_nulls(jsonb_build_object('triggerEvent', '{trigger}', 'createdAt', {made},
             'payload', jsonb_build_object('uid', $5::text, 'rescheduleUid', {from}, 'startTime', {start},
                                           'metadata', jsonb_build_object('lead_id', $1::text))))::text, NULL, {AS_OF})::text, $4::text, $6::text",
        made = iso(AS_OF),
        start = appointment_time(),
    )
}

/// The same for Calendly (invitee URIs made from $5 and $6).
fn calendly_sql(change: &str) -> String {
    let (event, old) = match change {
        "create" => ("invitee.created", "NULL"),
        "cancel" => ("invitee.canceled", "NULL"),
        _ => ("invitee.created", "'https://api.calendly.com/scheduled_events/S/invitees/' || $6::text"),
    };
    format!(
        "SELECT calendly_webhook(jsonb_build_object('event', '{event}', 'created_at', {made},
             'payload', jsonb_build_object('uri', 'https://api.calendly.com/scheduled_events/S/invitees/' || $5::text, 'rescheduled', false,
                                           'old_invitee', {old}, 'tracking', jsonb_build_object('utm_content', $1::text),
                                           'scheduled_event', jsonb_build_object('start_time', {start})))::text, NULL, {AS_OF})::text, $4::text, $6::text",
        made = iso(AS_OF),
        start = appointment_time(),
    )
}

/// A VAPI tool call $4 (book, cancel, reschedule) for lead $1 at $2, call $5.
fn vapi_sql() -> String {
    format!(
        "SELECT vapi_tool_calls(jsonb_build_object('message', jsonb_build_object('type', 'tool-calls',
             'call', jsonb_build_object('id', $5::text, 'type', 'outboundPhoneCall', 'metadata', jsonb_build_object('lead_id', $1::text)),
             'toolCallList', jsonb_build_array(jsonb_build_object('id', $5::text, 'type', 'function', 'function',
                 jsonb_build_object('name', $4::text, 'arguments', jsonb_build_object('lead_id', $1::text, 'appointment_time', {start})))))), {AS_OF})::text",
        start = appointment_time(),
    )
}

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// xorshift64*: enough randomness for an operation mix, with a seed printed for replay.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[derive(Default)]
struct Tally(BTreeMap<String, u64>);
impl Tally {
    fn add(&mut self, key: &str, n: u64) {
        *self.0.entry(key.to_owned()).or_default() += n;
    }
    fn get(&self, key: &str) -> u64 {
        self.0.get(key).copied().unwrap_or(0)
    }
}

#[test]
fn holds_keep_their_promises_under_concurrent_load() {
    let clients = setting("PHONE_HOLDS_STRESS_CLIENTS", 8) as usize;
    let seconds = setting("PHONE_HOLDS_STRESS_SECONDS", 60);
    let seed = setting("PHONE_HOLDS_STRESS_SEED", 0x5eed_0f_40_1d5);
    let cluster = Cluster::start("stress", &["max_connections=50"]);
    cluster
        .connect()
        .batch_execute(&format!(
            "CREATE EXTENSION phone_holds; SELECT phone_holds_setup();
             INSERT INTO signalwire_phone_numbers (number) SELECT '+1555' || lpad(i::text, 7, '0') FROM generate_series(1, {POOL}) AS i;"
        ))
        .unwrap();

    // Minutes after 2020-01-01 12:00 UTC (AS_OF); every operation moves it on by 1 to 10 minutes.
    let clock = Arc::new(AtomicI64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let tally = Arc::new(Mutex::new(Tally::default()));
    let problems = Arc::new(Mutex::new(Vec::<String>::new()));
    let deadline = Instant::now() + Duration::from_secs(seconds);

    let workers: Vec<_> = (0..clients)
        .map(|c| {
            let (clock, tally, problems) = (clock.clone(), tally.clone(), problems.clone());
            let mut client = cluster.connect();
            thread::spawn(move || {
                let mut rng = Rng(seed ^ (c as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
                let mut local = Tally::default();
                while Instant::now() < deadline {
                    let minute = clock.fetch_add(1 + rng.below(10) as i64, Ordering::SeqCst);
                    let lead = format!("00000000-0000-4000-8000-{:012}", rng.below(LEADS));
                    // Hours from as_of: mostly ahead, some within the follow-up window, a few refused.
                    let hours_ahead = (rng.below(96) as i64 - 25).to_string();
                    let outcome = OUTCOMES[rng.below(OUTCOMES.len() as u64) as usize].to_owned();
                    // $1 lead, $2 minutes after T0 (as_of), $3 hours from as_of or an outcome (a
                    // number for rotation); $4 a VAPI tool; $5, $6 bookings; all sent as text.
                    // A calendar booking of this lead ($5), and the one a move replaces ($6).
                    let k = rng.below(3);
                    let booking = |k: u64| format!("{lead}-{k}");
                    let (booking_now, booking_before) = (booking(k), booking((k + 2) % 3));
                    let calendar_change = ["create", "cancel", "move"][rng.below(3) as usize];
                    let (kind, sql, args): (&str, String, Vec<String>) = match rng.below(100) {
                        0..=17 => ("assign", format!("SELECT assign_phone_to_lead($1::text::uuid, {AS_OF})::text, $3::text"), vec![lead, minute.to_string(), String::new()]),
                        18..=32 => (
                            "extend",
                            format!("SELECT extend_phone_for_appointment($1::text::uuid, {AS_OF} + make_interval(hours => $3::text::int), {AS_OF})::text"),
                            vec![lead, minute.to_string(), hours_ahead],
                        ),
                        33..=44 => (
                            "complete",
                            format!("SELECT complete_appointment_for_phone($1::text::uuid, $3::text, {AS_OF})::text"),
                            vec![lead, minute.to_string(), outcome],
                        ),
                        45..=49 => (
                            "reschedule",
                            format!("SELECT reschedule_appointment_for_phone($1::text::uuid, {AS_OF} + make_interval(hours => $3::text::int), {AS_OF})::text"),
                            vec![lead, minute.to_string(), hours_ahead],
                        ),
                        50..=59 => ("calcom", calcom_sql(calendar_change), vec![lead, minute.to_string(), hours_ahead, String::new(), booking_now, booking_before]),
                        60..=69 => ("calendly", calendly_sql(calendar_change), vec![lead, minute.to_string(), hours_ahead, String::new(), booking_now, booking_before]),
                        70..=77 => {
                            let tool = ["book_appointment", "cancel_appointment", "reschedule_appointment"][rng.below(3) as usize];
                            ("vapi", vapi_sql(), vec![lead, minute.to_string(), hours_ahead, tool.to_owned(), format!("call-{minute}")])
                        }
                        78..=80 => {
                            let number = (1 + rng.below(POOL as u64)).to_string();
                            let sql = if rng.below(2) == 0 {
                                format!("SELECT retire_phone_number('+1555' || lpad($3::text, 7, '0'), 'stress', {AS_OF})::text, $1::text")
                            } else {
                                format!("SELECT restore_phone_number('+1555' || lpad($3::text, 7, '0'), {AS_OF})::text, $1::text")
                            };
                            ("rotation", sql, vec![lead, minute.to_string(), number])
                        }
                        81..=92 => ("release", format!("SELECT release_expired_phone_numbers({AS_OF})::text, $1::text, $3::text"), vec![lead, minute.to_string(), String::new()]),
                        // The run's clock as AS_OF reads it, the minute being the call's one parameter.
                        _ => ("drain", format!("CALL drain_expired_phone_numbers({})", AS_OF.replace("$2", "$1")), vec![minute.to_string()]),
                    };
                    let params: Vec<&(dyn postgres::types::ToSql + Sync)> =
                        args.iter().map(|a| a as &(dyn postgres::types::ToSql + Sync)).collect();
                    loop {
                        match client.query_one(sql.as_str(), &params) {
                            Ok(row) => {
                                local.add(kind, 1);
                                if kind == "release" {
                                    let n: Option<String> = row.get(0);
                                    local.add("numbers released", n.unwrap().parse().unwrap());
                                }
                                if kind == "calcom" || kind == "calendly" {
                                    let answer: serde_json::Value = serde_json::from_str(&row.get::<_, String>(0)).unwrap();
                                    local.add(&format!("{kind} {}", answer["action"].as_str().unwrap_or("?")), 1);
                                }
                                if kind == "drain" {
                                    local.add("numbers released", row.get::<_, i64>(0) as u64);
                                }
                            }
                            Err(e) => match sqlstate(&e).as_str() {
                                "40001" | "40P01" => {
                                    local.add(&format!("retried {}", sqlstate(&e)), 1);
                                    continue;
                                }
                                "53000" => local.add("refused: pool empty", 1),
                                "22008" => local.add("refused: time", 1),
                                _ => problems.lock().unwrap().push(format!("{kind} {args:?}: {}", e.as_db_error().map_or(e.to_string(), |d| d.to_string()))),
                            },
                        }
                        break;
                    }
                }
                let mut t = tally.lock().unwrap();
                for (k, v) in local.0 {
                    t.add(&k, v);
                }
            })
        })
        .collect();

    // The checker looks while the clients run.
    let checker = {
        let (stop, problems) = (stop.clone(), problems.clone());
        let mut client = cluster.connect();
        thread::spawn(move || {
            let mut checks = 0u64;
            while !stop.load(Ordering::SeqCst) {
                problems.lock().unwrap().extend(violations(&mut client));
                checks += 1;
                thread::sleep(Duration::from_millis(500));
            }
            checks
        })
    };
    for w in workers {
        w.join().expect("client thread");
    }
    stop.store(true, Ordering::SeqCst);
    let checks = checker.join().unwrap() + 1;
    problems.lock().unwrap().extend(violations(&mut cluster.connect()));

    let t = tally.lock().unwrap();
    let problems = problems.lock().unwrap();
    let kinds = ["assign", "extend", "complete", "reschedule", "calcom", "calendly", "vapi", "rotation", "release", "drain"];
    let total: u64 = kinds.iter().map(|k| t.get(k)).sum();
    println!(
        "stress: {clients} clients, {seconds} s, seed {seed:#x}: {total} operations ({}), {} numbers released, \
         refused {} (pool empty) + {} (time), retried {} (40001) + {} (40P01), {checks} invariant checks, {} violations",
        kinds.iter().map(|k| format!("{k} {}", t.get(k))).collect::<Vec<_>>().join(", "),
        t.get("numbers released"),
        t.get("refused: pool empty"),
        t.get("refused: time"),
        t.get("retried 40001"),
        t.get("retried 40P01"),
        problems.len()
    );
    // The first few of each kind: one kind's flood must not hide another's.
    let mut shown: BTreeMap<String, usize> = BTreeMap::new();
    let sample: Vec<String> = problems
        .iter()
        .filter(|p| {
            let seen = shown.entry(p.split([' ', ':']).next().unwrap_or_default().to_owned()).or_default();
            *seen += 1;
            *seen <= 5
        })
        .cloned()
        .collect();
    let actions: Vec<String> = t.0.iter().filter(|(k, _)| k.starts_with("cal") && k.contains(' ')).map(|(k, v)| format!("{k} {v}")).collect();
    println!("stress: calendar answers: {}", actions.join(", "));
    assert!(problems.is_empty(), "violations ({} kinds):\n{}", shown.len(), sample.join("\n"));
    for k in kinds {
        assert!(t.get(k) > 0, "no {k} ran: the mix did not exercise everything");
    }
    assert!(t.get("numbers released") > 0 && t.get("refused: pool empty") > 0, "the pool never ran dry or never came back");
}
