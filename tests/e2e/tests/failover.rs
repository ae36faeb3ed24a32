//! A failover under load loses nothing acknowledged: a 3-node Patroni cluster with etcd on
//! loopback, synchronous replication (tests/e2e/src/patroni.rs), and a client that drives
//! assignments, bookings, outcomes, Cal.com and Calendly webhooks and the drain through the
//! current primary while the primary's machine "dies" (its Patroni and PostgreSQL killed).
//!
//! The client records what every acknowledged call wrote (the ledger rows its own transaction
//! saw before COMMIT returned); afterwards the new primary must have each of them, the table
//! must agree, and the invariants must hold. A listener that reconnects and catches up from the
//! ledger must miss no change; calendar deliveries sent again change nothing; the pg_cron job,
//! created once before the failover, is on every node and runs on the new primary.
//!
//! The name ends in pg_cron: the versions without pg_cron skip it (scripts/test.sh). Needs
//! scripts/patroni.sh first. docs/operations/replicas-and-failover.md quotes its figures.

use phone_holds_e2e::invariants::violations;
use phone_holds_e2e::patroni::{Patroni, DATABASE};
use phone_holds_e2e::sqlstate;
use postgres::fallible_iterator::FallibleIterator;
use postgres::{Client, NoTls};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

const LEADS: usize = 40;
const POOL: usize = 60;
/// Load before the kill, and acknowledged load on the new primary after it.
const BEFORE_KILL: Duration = Duration::from_secs(6);
const AFTER_FAILOVER: Duration = Duration::from_secs(6);

/// The run's clock: operation k happens at T0 + k × STEP minutes. T0 lies years back, so the
/// whole run is due by the wall clock the pg_cron job reads at the end.
const T0_EPOCH: i64 = 1_577_880_000; // 2020-01-01 12:00:00 UTC
const T0: &str = "'2020-01-01 12:00+00'::timestamptz";
const STEP_MINUTES: i64 = 7;

/// The lead whose assignment tells the listener that everything before it was sent.
const SENTINEL: &str = "5e5e5e5e-0000-4000-8000-00000000005e";

fn lead_id(i: usize) -> String {
    format!("0f0f0f0f-0000-4000-8000-{i:012}")
}

/// `T0 + minutes` in SQL, the minutes being parameter `$n` (an int8).
fn at_param(n: usize) -> String {
    format!("({T0} + make_interval(mins => ${n}::int8::int))")
}

/// Unix time `secs` as the calendars write times ("2020-01-01T12:00:00Z").
fn iso(secs: i64) -> String {
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// xorshift64*: the operation mix, the same every run.
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}

/// One call the client makes. Its moment is `minutes` after T0, unique to it, so the ledger
/// rows dated then are its own.
#[derive(Clone, Debug)]
enum Call {
    Assign { lead: usize },
    Extend { lead: usize, hours: i64 },
    Complete { lead: usize, outcome: &'static str },
    /// phone_holds_webhook(webhook, body, as_of, signature), as n8n calls it.
    Webhook { webhook: &'static str, body: String },
    Drain,
}

impl Call {
    fn kind(&self) -> &'static str {
        match self {
            Call::Assign { .. } => "assign",
            Call::Extend { .. } => "extend",
            Call::Complete { .. } => "complete",
            Call::Webhook { webhook: "calcom_webhook", .. } => "calcom",
            Call::Webhook { .. } => "calendly",
            Call::Drain => "drain",
        }
    }
}

/// A ledger row, as the test compares them.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Row {
    id: i64,
    event: String,
    number: String,
    lead: Option<String>,
    release_at: Option<String>,
    appointment_at: Option<String>,
    source: Option<String>,
}

const ROW_COLUMNS: &str = "id, event, number, lead_id::text, new_release_at::text, appointment_at::text, source";

/// The Row in `r`'s columns from `at` on (ROW_COLUMNS' order).
fn row_of(r: &postgres::Row, at: usize) -> Row {
    Row {
        id: r.get(at),
        event: r.get(at + 1),
        number: r.get(at + 2),
        lead: r.get(at + 3),
        release_at: r.get(at + 4),
        appointment_at: r.get(at + 5),
        source: r.get(at + 6),
    }
}

/// The ledger rows dated `minutes` after T0 (the rows of the call made then).
fn rows_at(c: &mut impl postgres::GenericClient, minutes: i64) -> Result<Vec<Row>, postgres::Error> {
    let sql = format!("SELECT {ROW_COLUMNS} FROM phone_hold_ledger WHERE at = {} ORDER BY id", at_param(1));
    Ok(c.query(sql.as_str(), &[&minutes])?.iter().map(|r| row_of(r, 0)).collect())
}

enum Outcome {
    /// COMMIT (or the CALL) returned: these rows are acknowledged. `already`: a call made
    /// again found rows of its own already there (its first try had committed).
    Acked { rows: Vec<Row>, answer: Option<Value>, already: bool },
    /// Refused by the rules (no number free, a time refused): nothing changed.
    Refused(String),
}

enum Failure {
    /// The server went away or is not the primary any more (reconnect: true), or a conflict
    /// to retry (false): the same call, with the same as_of, is made again on the primary.
    Retry { reconnect: bool },
    Fatal(String),
}

fn classify(e: postgres::Error) -> Failure {
    let state = sqlstate(&e);
    if state == "40001" || state == "40P01" {
        return Failure::Retry { reconnect: false };
    }
    // No SQLSTATE: the connection broke. 08: connection failures; 57P01-57P03: the server
    // shuts down or starts; 25006: a read-only (standby) server; 53300: too many connections.
    if state.is_empty() || state.starts_with("08") || state.starts_with("57P") || state == "25006" || state == "53300" {
        return Failure::Retry { reconnect: true };
    }
    Failure::Fatal(format!("{state} {}", e.as_db_error().map_or(e.to_string(), |d| d.to_string())))
}

fn refusal(e: &postgres::Error) -> Option<String> {
    let state = sqlstate(e);
    ["53000", "22008"].contains(&state.as_str()).then_some(state)
}

/// Makes `call` at `minutes` after T0 in one transaction that also reads the ledger rows it
/// wrote, so what an acknowledged call changed is known exactly. The drain commits batch by
/// batch, so it is CALLed alone and its rows read after. A call made `again` first looks for
/// rows of its own, to tell whether its first try had committed.
fn make(c: &mut Client, call: &Call, minutes: i64, again: bool) -> Result<Outcome, Failure> {
    let already = again && !rows_at(c, minutes).map_err(classify)?.is_empty();
    if let Call::Drain = call {
        let sql = format!("CALL drain_expired_phone_numbers({})", at_param(1));
        let released: i64 = match c.query_one(sql.as_str(), &[&minutes]) {
            Ok(r) => r.get(0),
            Err(e) => return Err(classify(e)),
        };
        // Committed and acknowledged: read back on whichever primary answers next.
        let rows = rows_at(c, minutes).map_err(classify)?;
        return Ok(Outcome::Acked { rows, answer: Some(json!({ "released": released })), already });
    }
    let mut tx = c.transaction().map_err(classify)?;
    let answer: Result<Option<Value>, postgres::Error> = match call {
        Call::Assign { lead } => {
            let sql = format!("SELECT assign_phone_to_lead($2::text::uuid, {})", at_param(1));
            tx.query_one(sql.as_str(), &[&minutes, &lead_id(*lead)]).map(|_| None)
        }
        Call::Extend { lead, hours } => {
            let sql = format!("SELECT extend_phone_for_appointment($2::text::uuid, {at} + make_interval(hours => $3::int8::int), {at})", at = at_param(1));
            tx.query_one(sql.as_str(), &[&minutes, &lead_id(*lead), hours]).map(|_| None)
        }
        Call::Complete { lead, outcome } => {
            let sql = format!("SELECT complete_appointment_for_phone($2::text::uuid, $3::text, {})", at_param(1));
            tx.query_one(sql.as_str(), &[&minutes, &lead_id(*lead), outcome]).map(|_| None)
        }
        Call::Webhook { webhook, body } => {
            let sql = format!("SELECT status, response::text FROM phone_holds_webhook($2::text, $3::text, {}, NULL::text)", at_param(1));
            match tx.query_one(sql.as_str(), &[&minutes, webhook, body]) {
                Ok(r) => {
                    let (status, response): (i32, String) = (r.get(0), r.get(1));
                    match status {
                        200 => Ok(Some(serde_json::from_str(&response).unwrap())),
                        // 503: the database could not answer now; the calendar delivers again.
                        s if s >= 500 => return Err(Failure::Retry { reconnect: true }),
                        s => return Err(Failure::Fatal(format!("HTTP {s} {response}"))),
                    }
                }
                Err(e) => Err(e),
            }
        }
        Call::Drain => unreachable!(),
    };
    let answer = match answer {
        Ok(a) => a,
        Err(e) => return match refusal(&e) {
            Some(state) => Ok(Outcome::Refused(state)),
            None => Err(classify(e)),
        },
    };
    let rows = rows_at(&mut tx, minutes).map_err(classify)?;
    tx.commit().map_err(classify)?;
    Ok(Outcome::Acked { rows, answer, already })
}

/// What the client did and saw.
#[derive(Default)]
struct Record {
    /// Per call, by its minutes: the call and the rows it was acknowledged with.
    acked: BTreeMap<i64, (Call, Vec<Row>)>,
    refused: BTreeMap<i64, (Call, String)>,
    /// Calls that failed at least once and were made again (same call, same as_of).
    retried: BTreeSet<i64>,
    /// Of those, the ones whose first try had committed: the retry must change nothing.
    committed_before_error: BTreeSet<i64>,
    /// Acknowledged calls made a second time at once with the same as_of.
    repeated: usize,
    problems: Vec<String>,
    /// When the first call after the kill was acknowledged by the new primary.
    first_ack_after_kill: Option<Instant>,
    /// The minute the client's clock reached.
    last_minutes: i64,
    released_by_drains: i64,
    /// The calendar answers' actions (booked, cancelled, none, …), counted.
    calendar_actions: BTreeMap<String, usize>,
}

/// The client: one connection through the read-write URL, made again after every failure;
/// every call is made until it is acknowledged or refused (a call that failed with the server
/// gone is made again as it was, same as_of: phone_holds' calls are idempotent for a given
/// moment, and the test checks that no change lands twice).
fn drive(url: String, stop: Arc<AtomicBool>, dead: Arc<Mutex<Option<Instant>>>, record: Arc<Mutex<Record>>) {
    let mut rng = Rng(0x0f41_10fe_5eed);
    let mut client: Option<Client> = None;
    // Whether the connection was made after the old primary was dead: then it is the new one.
    let mut on_new_primary = false;
    // Open bookings per lead: (webhook, booking key, appointment time) for later cancels.
    let mut open: HashMap<usize, Vec<(&'static str, String, i64)>> = HashMap::new();
    let mut k: i64 = 0;
    while !stop.load(Ordering::SeqCst) {
        k += 1;
        let minutes = k * STEP_MINUTES;
        let now = T0_EPOCH + minutes * 60;
        let lead = rng.below(LEADS as u64) as usize;
        let hours = 2 + rng.below(70) as i64;
        let roll = rng.below(100);
        let cancel = rng.below(3) == 0;
        let call = match roll {
            0..=24 => Call::Assign { lead },
            25..=42 => Call::Extend { lead, hours },
            43..=55 => Call::Complete { lead, outcome: ["showed", "no_show", "cancelled"][rng.below(3) as usize] },
            56..=89 => {
                let webhook = if roll < 73 { "calcom_webhook" } else { "calendly_webhook" };
                let existing = open.get(&lead).and_then(|b| b.iter().position(|(w, ..)| *w == webhook));
                let (key, start, cancelling) = match existing {
                    Some(i) if cancel => {
                        let (_, key, start) = open.get_mut(&lead).unwrap().remove(i);
                        (key, start, true)
                    }
                    _ => (format!("{lead}-{k}"), now + hours * 3600, false),
                };
                let body = if webhook == "calcom_webhook" {
                    json!({
                        "triggerEvent": if cancelling { "BOOKING_CANCELLED" } else { "BOOKING_CREATED" },
                        "createdAt": iso(now),
                        "payload": {"uid": format!("bk-{key}"), "startTime": iso(start), "endTime": iso(start + 1800),
                                    "metadata": {"lead_id": lead_id(lead)}},
                    })
                } else {
                    json!({
                        "event": if cancelling { "invitee.canceled" } else { "invitee.created" },
                        "created_at": iso(now),
                        "payload": {"uri": format!("https://api.calendly.com/scheduled_events/EVT-{key}/invitees/INV-{key}"),
                                    "rescheduled": false, "old_invitee": null,
                                    "tracking": {"utm_content": lead_id(lead)},
                                    "scheduled_event": {"start_time": iso(start)}},
                    })
                };
                if !cancelling {
                    open.entry(lead).or_default().push((webhook, key, start));
                }
                Call::Webhook { webhook, body: body.to_string() }
            }
            _ => Call::Drain,
        };

        loop {
            let c = match client.as_mut() {
                Some(c) => c,
                None => {
                    let was_dead = dead.lock().unwrap().is_some();
                    match url.parse::<postgres::Config>().unwrap().connect(NoTls) {
                        Ok(c) => {
                            on_new_primary = was_dead;
                            client.insert(c)
                        }
                        Err(e) => {
                            // No primary yet (the old one is gone, none promoted): try again soon.
                            if stop.load(Ordering::SeqCst) {
                                record.lock().unwrap().problems.push(format!("{} at +{minutes} min never went through: {e}", call.kind()));
                                return;
                            }
                            thread::sleep(Duration::from_millis(100));
                            continue;
                        }
                    }
                }
            };
            let again = record.lock().unwrap().retried.contains(&minutes);
            match make(c, &call, minutes, again) {
                Ok(outcome) => {
                    // Every fifth acknowledged call is made again at once, as a client that did
                    // not see the answer would: same call, same as_of. It must find its own rows
                    // and add none. (An error here, the failover say, is let be.)
                    let repeat = match &outcome {
                        Outcome::Acked { rows, .. } if k % 5 == 0 => match make(c, &call, minutes, true) {
                            Ok(Outcome::Acked { rows: again, .. }) => Some((again != *rows).then(|| format!("{rows:?} became {again:?}"))),
                            Ok(Outcome::Refused(state)) => Some(Some(format!("refused with {state}"))),
                            Err(_) => None,
                        },
                        _ => None,
                    };
                    let mut r = record.lock().unwrap();
                    if let Some(changed) = repeat {
                        r.repeated += 1;
                        if let Some(changed) = changed {
                            r.problems.push(format!("{} at +{minutes} min, made again at once: {changed}", call.kind()));
                        }
                    }
                    r.last_minutes = minutes;
                    if r.first_ack_after_kill.is_none() && on_new_primary {
                        r.first_ack_after_kill = Some(Instant::now());
                    }
                    match outcome {
                        Outcome::Acked { rows, answer, already } => {
                            if already {
                                r.committed_before_error.insert(minutes);
                            }
                            if let Some(n) = answer.as_ref().and_then(|a| a["released"].as_i64()) {
                                r.released_by_drains += n;
                            }
                            if let Some(action) = answer.as_ref().and_then(|a| a["action"].as_str()) {
                                *r.calendar_actions.entry(format!("{} {action}", call.kind())).or_default() += 1;
                            }
                            r.acked.insert(minutes, (call, rows));
                        }
                        Outcome::Refused(state) => {
                            r.refused.insert(minutes, (call, state));
                        }
                    }
                    break;
                }
                Err(Failure::Retry { reconnect }) => {
                    record.lock().unwrap().retried.insert(minutes);
                    if reconnect || client.as_ref().is_some_and(|c| c.is_closed()) {
                        client = None;
                    }
                    thread::sleep(Duration::from_millis(20));
                }
                Err(Failure::Fatal(text)) => {
                    record.lock().unwrap().problems.push(format!("{} at +{minutes} min: {text}", call.kind()));
                    break;
                }
            }
        }
    }
}

/// The ledger rows after `after`, in id order: how a listener catches up with the changes it
/// may have missed while it was not listening (after a failover, its session is gone with the
/// old primary, and NOTIFY is not replicated). LISTEN first, then read, so nothing falls
/// between the two. docs/operations/replicas-and-failover.md shows it.
fn catch_up(c: &mut Client, after: i64) -> Result<Vec<(i64, String)>, postgres::Error> {
    Ok(c.query("SELECT id, event FROM phone_hold_ledger WHERE id > $1 ORDER BY id", &[&after])?.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// Ledger ids take their value when the row is written, and a transaction may commit after
/// another that took a higher one: catching up re-reads this many ids back and skips those
/// already handled.
const REWIND: i64 = 1000;

#[derive(Default)]
struct Heard {
    /// Ledger ids from the change events received.
    events: BTreeSet<i64>,
    /// Ledger ids found only by catching up after a reconnect.
    caught_up: BTreeSet<i64>,
    reconnects: u32,
    problems: Vec<String>,
}

/// The listener: LISTEN phone_holds on the primary; when the session drops, connect to the new
/// primary, LISTEN again and catch up from the ledger. Stops when it hears the sentinel. It
/// comes back only once `written` says the new primary has taken writes (as a listener that
/// is down a while would), so that catching up has something to find.
fn listen(url: String, heard: Arc<Mutex<Heard>>, ready: Arc<AtomicBool>, written: Arc<AtomicBool>) {
    let deadline = Instant::now() + Duration::from_secs(240);
    let mut last: i64 = 0;
    loop {
        assert!(Instant::now() < deadline, "the listener never heard the sentinel");
        if ready.load(Ordering::SeqCst) && !written.load(Ordering::SeqCst) {
            thread::sleep(Duration::from_millis(100));
            continue;
        }
        let Ok(mut c) = url.parse::<postgres::Config>().unwrap().connect(NoTls) else {
            thread::sleep(Duration::from_millis(100));
            continue;
        };
        if c.batch_execute("LISTEN phone_holds").is_err() {
            continue;
        }
        match catch_up(&mut c, last - REWIND) {
            Ok(rows) => {
                let mut h = heard.lock().unwrap();
                for (id, _) in rows {
                    if !h.events.contains(&id) && h.caught_up.insert(id) {
                        last = last.max(id);
                    }
                }
            }
            Err(_) => continue,
        }
        ready.store(true, Ordering::SeqCst);
        loop {
            // A closed connection ends the wait at once with no notification: is_closed tells.
            let next = c.notifications().timeout_iter(Duration::from_millis(250)).next();
            match next {
                Ok(Some(note)) => {
                    let event: Value = match serde_json::from_str(note.payload()) {
                        Ok(v) => v,
                        Err(e) => {
                            heard.lock().unwrap().problems.push(format!("{}: {e}", note.payload()));
                            continue;
                        }
                    };
                    let id = event["ledgerId"].as_i64().unwrap_or(-1);
                    heard.lock().unwrap().events.insert(id);
                    last = last.max(id);
                    if event["leadId"] == SENTINEL {
                        return;
                    }
                }
                Ok(None) if !c.is_closed() => assert!(Instant::now() < deadline, "the listener never heard the sentinel"),
                _ => break,
            }
        }
        heard.lock().unwrap().reconnects += 1;
    }
}

/// Waits (up to `timeout`) for `f` to give Some.
fn wait_for<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let started = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(started.elapsed() < timeout, "{what}: not within {timeout:?}");
        thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn a_failover_under_load_loses_nothing_acknowledged_pg_cron() {
    let began = Instant::now();
    let mut cluster = Patroni::start("failover", 3);
    let old = cluster.wait_healthy(Duration::from_secs(120));
    let up_in = began.elapsed();

    // The database, pg_cron and phone_holds, once, on the primary: everything replicates.
    cluster.connect_node(old, "postgres").unwrap().batch_execute(&format!("CREATE DATABASE {DATABASE}")).unwrap();
    let mut c = cluster.connect_node(old, DATABASE).unwrap();
    c.batch_execute(&format!(
        "CREATE EXTENSION pg_cron;
         CREATE EXTENSION phone_holds; SELECT phone_holds_setup();
         INSERT INTO signalwire_phone_numbers (number, name) SELECT '+1555' || lpad(i::text, 7, '0'), 'Line ' || i FROM generate_series(1, {POOL}) AS i;"
    ))
    .unwrap();
    // The release job, made once. It waits (active = false) while the load runs: the load's
    // clock is in 2020, and a run at the wall clock in between would release holds that the
    // load's next calls, dated earlier, still act on. It is switched on, on the new primary,
    // after the failover.
    let job: i64 = c.query_one("SELECT schedule_phone_release('* * * * *')", &[]).unwrap().get(0);
    c.execute("SELECT cron.alter_job($1, active => false)", &[&job]).unwrap();
    // Commits wait for a synchronous standby (Patroni's synchronous_mode sets the names).
    let sync = c.query_one("SELECT current_setting('synchronous_commit'), current_setting('synchronous_standby_names')", &[]).unwrap();
    let (commit, standbys): (String, String) = (sync.get(0), sync.get(1));
    assert!(commit == "on" && !standbys.is_empty(), "synchronous_commit = {commit}, synchronous_standby_names = {standbys:?}");
    drop(c);
    let url = cluster.read_write_url(DATABASE);

    // The listener, then the client.
    let heard = Arc::new(Mutex::new(Heard::default()));
    let ready = Arc::new(AtomicBool::new(false));
    let written = Arc::new(AtomicBool::new(false));
    let listener = {
        let (url, heard, ready, written) = (url.clone(), heard.clone(), ready.clone(), written.clone());
        thread::spawn(move || listen(url, heard, ready, written))
    };
    wait_for("the listener listens", Duration::from_secs(30), || ready.load(Ordering::SeqCst).then_some(()));
    let stop = Arc::new(AtomicBool::new(false));
    let dead: Arc<Mutex<Option<Instant>>> = Arc::new(Mutex::new(None));
    let record = Arc::new(Mutex::new(Record::default()));
    let client = {
        let (url, stop, dead, record) = (url.clone(), stop.clone(), dead.clone(), record.clone());
        thread::spawn(move || drive(url, stop, dead, record))
    };

    // Midway, the primary's machine dies.
    thread::sleep(BEFORE_KILL);
    let acked_before_kill = record.lock().unwrap().acked.len();
    let kill_wall = SystemTime::now();
    let killed_at = Instant::now();
    cluster.kill_node(old);
    // Gone for good now: a connection made after this reaches another node.
    *dead.lock().unwrap() = Some(Instant::now());
    let first_ack = wait_for("a write on a new primary", Duration::from_secs(120), || record.lock().unwrap().first_ack_after_kill);
    let failover = first_ack.duration_since(killed_at);
    thread::sleep(AFTER_FAILOVER / 2);
    written.store(true, Ordering::SeqCst);
    thread::sleep(AFTER_FAILOVER / 2);
    stop.store(true, Ordering::SeqCst);
    client.join().expect("the client");
    let load_ended = Instant::now();

    // The old primary's node comes back, and rejoins as a replica of the new one.
    cluster.start_node(old);
    let new = cluster.wait_healthy(Duration::from_secs(120));
    assert_ne!(new, old, "the old primary leads again: {:?}", cluster.cluster_state());
    let rejoined_in = load_ended.elapsed();
    let mut p = cluster.connect_node(new, DATABASE).unwrap();

    let r = record.lock().unwrap();
    assert!(r.problems.is_empty(), "the client failed:\n{}", r.problems.join("\n"));
    // The new primary's ledger, by id and by the minute of the call that wrote each row.
    let mut ledger: BTreeMap<i64, Row> = BTreeMap::new();
    let mut dated: BTreeMap<i64, Vec<Row>> = BTreeMap::new();
    for r in p.query(&format!("SELECT (extract(epoch FROM at - {T0}) / 60)::int8, {ROW_COLUMNS} FROM phone_hold_ledger ORDER BY id"), &[]).unwrap() {
        let row = row_of(&r, 1);
        dated.entry(r.get(0)).or_default().push(row.clone());
        ledger.insert(row.id, row);
    }

    // Lost: a row an acknowledged call wrote that the new primary lacks or has otherwise.
    // Duplicates: rows dated at a call's moment that its acknowledgment did not show (a change
    // made twice by a retry), or one change twice in one call; rows dated at no call's moment.
    let mut lost = Vec::new();
    let mut duplicates = Vec::new();
    let mut acked_rows = 0usize;
    for (minutes, (call, rows)) in &r.acked {
        acked_rows += rows.len();
        for row in rows {
            if ledger.get(&row.id) != Some(row) {
                lost.push(format!("{} at +{minutes} min: {row:?} is now {:?}", call.kind(), ledger.get(&row.id)));
            }
        }
        let found = dated.get(minutes).cloned().unwrap_or_default();
        for row in found.iter().filter(|f| !rows.contains(f)) {
            duplicates.push(format!("{} at +{minutes} min: {row:?} was not acknowledged", call.kind()));
        }
        let distinct: BTreeSet<(&str, &str)> = rows.iter().map(|r| (r.event.as_str(), r.number.as_str())).collect();
        if distinct.len() != rows.len() {
            duplicates.push(format!("{} at +{minutes} min changed a number twice: {rows:?}", call.kind()));
        }
    }
    for (minutes, rows) in &dated {
        if !r.acked.contains_key(minutes) {
            duplicates.push(format!("rows at +{minutes} min, when no call was acknowledged ({:?}): {rows:?}", r.refused.get(minutes)));
        }
    }
    // The table says what the ledger's last word on each number says, when that word was
    // acknowledged.
    let acked_ids: BTreeSet<i64> = r.acked.values().flat_map(|(_, rows)| rows.iter().map(|r| r.id)).collect();
    for row in p
        .query(
            "SELECT l.id, n.currently_assigned_to::text, n.release_at::text FROM signalwire_phone_numbers AS n
               JOIN LATERAL (SELECT id FROM phone_hold_ledger WHERE number = n.number ORDER BY id DESC LIMIT 1) AS l ON true",
            &[],
        )
        .unwrap()
    {
        let id: i64 = row.get(0);
        let (lead, release_at): (Option<String>, Option<String>) = (row.get(1), row.get(2));
        if let Some(last) = ledger.get(&id).filter(|_| acked_ids.contains(&id)) {
            let expected = if last.event == "released" { (None, None) } else { (last.lead.clone(), last.release_at.clone()) };
            if (lead.clone(), release_at.clone()) != expected {
                lost.push(format!("{}: the table says {lead:?} until {release_at:?}, its last acknowledged change {last:?}", last.number));
            }
        }
    }
    let broken = violations(&mut p);
    assert!(broken.is_empty(), "after the failover:\n{}", broken.join("\n"));

    // Every calendar delivery acknowledged, delivered again on the new primary (a calendar
    // retries what it did not see answered): nothing changes.
    let deliveries: Vec<(&'static str, String)> = r
        .acked
        .values()
        .filter_map(|(call, _)| match call {
            Call::Webhook { webhook, body } => Some((*webhook, body.clone())),
            _ => None,
        })
        .collect();
    let snapshot = |p: &mut Client| -> (i64, String) {
        let row = p
            .query_one(
                "SELECT (SELECT count(*) FROM phone_hold_ledger),
                        (SELECT md5(coalesce(string_agg(b::text, ',' ORDER BY b.source, b.booking), '')) FROM phone_hold_bookings AS b)",
                &[],
            )
            .unwrap();
        (row.get(0), row.get(1))
    };
    let before = snapshot(&mut p);
    let mut minutes = r.last_minutes;
    let mut changed_twice = 0;
    for (webhook, body) in &deliveries {
        minutes += STEP_MINUTES;
        let sql = format!("SELECT status, response::text FROM phone_holds_webhook($2::text, $3::text, {}, NULL::text)", at_param(1));
        let answer = p.query_one(sql.as_str(), &[&minutes, webhook, body]).unwrap();
        assert_eq!(answer.get::<_, i32>(0), 200, "{webhook} {body}: {}", answer.get::<_, String>(1));
        if !rows_at(&mut p, minutes).unwrap().is_empty() {
            changed_twice += 1;
        }
    }
    let after = snapshot(&mut p);
    assert_eq!(before, after, "calendar deliveries sent again changed the ledger or the bookings");

    // The listener: a sentinel change, then everything it heard or caught up must be every
    // ledger row there is.
    minutes += 2 * 24 * 60;
    p.execute(&format!("SELECT assign_phone_to_lead('{SENTINEL}', {})", at_param(1)), &[&minutes]).unwrap();
    listener.join().expect("the listener");
    let h = heard.lock().unwrap();
    assert!(h.problems.is_empty(), "{:?}", h.problems);
    let all: BTreeSet<i64> = p.query("SELECT id FROM phone_hold_ledger", &[]).unwrap().iter().map(|r| r.get(0)).collect();
    let got: BTreeSet<i64> = h.events.union(&h.caught_up).copied().collect();
    let missed: Vec<&i64> = all.difference(&got).collect();
    let phantom: Vec<&i64> = got.difference(&all).collect();
    println!(
        "failover: listener heard {} events, caught up {} rows from the ledger after {} reconnect(s); {} missed, {} heard but not in the ledger",
        h.events.len(),
        h.caught_up.len(),
        h.reconnects,
        missed.len(),
        phantom.len()
    );
    assert!(h.reconnects >= 1, "the listener's session did not drop with the old primary");
    assert!(!h.caught_up.is_empty(), "the listener found nothing to catch up: the test shows nothing");
    assert!(missed.is_empty() && phantom.is_empty(), "missed {missed:?}, phantom {phantom:?}");

    // Every node has the job; only the primary runs a pg_cron launcher.
    for i in 0..cluster.nodes.len() {
        let mut n = cluster.connect_node(i, DATABASE).unwrap();
        let row = n
            .query_one(
                "SELECT (SELECT count(*) FROM cron.job WHERE jobid = $1 AND jobname = 'phone_holds_release' AND command = 'CALL public.drain_expired_phone_numbers()'),
                        (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pg_cron launcher'),
                        pg_is_in_recovery()",
                &[&job],
            )
            .unwrap();
        let (jobs, launchers, replica): (i64, i64, bool) = (row.get(0), row.get(1), row.get(2));
        assert_eq!(jobs, 1, "{}: the release job is not in cron.job", cluster.nodes[i].name);
        assert_eq!(replica, i != new, "{}: pg_is_in_recovery() says {replica}", cluster.nodes[i].name);
        assert_eq!(launchers, i64::from(i == new), "{}: {launchers} pg_cron launchers (replica: {replica})", cluster.nodes[i].name);
        if replica {
            // A replica takes no new job: a read-only transaction.
            let e = n.query_one("SELECT schedule_phone_release('* * * * *')", &[]).unwrap_err();
            assert_eq!(sqlstate(&e), "25006", "{}: schedule_phone_release() on a replica: {e}", cluster.nodes[i].name);
        }
    }

    // The job, switched on on the new primary, runs there and releases the backlog: every
    // hold of the run is due by the wall clock.
    let backlog: i64 = p.query_one("SELECT count(*) FROM signalwire_phone_numbers WHERE assignment_status = 'assigned' AND release_at <= now()", &[]).unwrap().get(0);
    p.execute("SELECT cron.alter_job($1, active => true)", &[&job]).unwrap();
    let cron_wait = Instant::now();
    let (status, message): (String, String) = wait_for("a pg_cron run on the new primary", Duration::from_secs(150), || {
        p.query_opt(
            "SELECT status, coalesce(return_message, '') FROM cron.job_run_details
              WHERE jobid = $1 AND start_time > $2 AND status IN ('succeeded', 'failed') ORDER BY runid LIMIT 1",
            &[&job, &kill_wall],
        )
        .unwrap()
        .map(|r| (r.get(0), r.get(1)))
    });
    let cron_waited = cron_wait.elapsed();
    assert_eq!(status, "succeeded", "the release job on the new primary: {message}");
    let left: i64 = p.query_one("SELECT count(*) FROM signalwire_phone_numbers WHERE assignment_status = 'assigned' AND release_at <= now()", &[]).unwrap().get(0);
    assert_eq!(left, 0, "the release job left due holds");
    let broken = violations(&mut p);
    assert!(broken.is_empty(), "after the release job:\n{}", broken.join("\n"));

    // The rejoined node has every row the primary has.
    let count = |c: &mut Client| -> (i64, i64) {
        let row = c.query_one("SELECT count(*), coalesce(sum(id), 0)::int8 FROM phone_hold_ledger", &[]).unwrap();
        (row.get(0), row.get(1))
    };
    let on_primary = count(&mut p);
    let mut o = cluster.connect_node(old, DATABASE).unwrap();
    wait_for("the old primary replays the new one's ledger", Duration::from_secs(60), || (count(&mut o) == on_primary).then_some(()));

    let kinds = ["assign", "extend", "complete", "calcom", "calendly", "drain"];
    let per_kind: Vec<String> = kinds.iter().map(|k| format!("{k} {}", r.acked.values().filter(|(c, _)| c.kind() == *k).count())).collect();
    println!(
        "failover: {:.1} s to a new primary; {} operations acknowledged ({}; {} before the kill), {} ledger rows, {} lost, {} duplicates; \
         {} refused, {} calls made again after an error ({} of them had committed before it), {} acknowledged calls made again at once, 0 changed anything; \
         {} calendar deliveries retried after the failover, {changed_twice} changed twice",
        failover.as_secs_f64(),
        r.acked.len(),
        per_kind.join(", "),
        acked_before_kill,
        acked_rows,
        lost.len(),
        duplicates.len(),
        r.refused.len(),
        r.retried.len(),
        r.committed_before_error.len(),
        r.repeated,
        deliveries.len(),
    );
    println!(
        "failover: cluster up in {:.1} s, old primary rejoined as a replica in {:.1} s; the release job ran on the new primary {:.1} s after it was switched on \
         ({status}: {message}), releasing a backlog of {backlog} holds; drains in the load released {}; {:.0} s in all",
        up_in.as_secs_f64(),
        rejoined_in.as_secs_f64(),
        cron_waited.as_secs_f64(),
        r.released_by_drains,
        began.elapsed().as_secs_f64()
    );
    let actions: Vec<String> = r.calendar_actions.iter().map(|(k, v)| format!("{k} {v}")).collect();
    println!("failover: calendar answers: {}", actions.join(", "));
    assert!(lost.is_empty(), "lost:\n{}", lost.join("\n"));
    assert!(duplicates.is_empty(), "duplicates:\n{}", duplicates.join("\n"));
    assert_eq!(changed_twice, 0);
    for k in kinds {
        assert!(r.acked.values().any(|(c, _)| c.kind() == k), "no {k} was acknowledged: the mix did not exercise everything");
    }
    assert!(r.acked.len() > acked_before_kill + 100, "little was acknowledged after the kill");
    assert!(backlog > 0, "no backlog for the release job");
}

/// What pg_cron records for a run of the release job that a failover cuts off: the run is
/// 'running' on the old primary when its machine dies; the new primary's pg_cron, when it
/// starts, finds it so. Not part of the suite (a minute boundary and a second failover make it
/// slow); run it by name with --ignored.
#[test]
#[ignore = "an experiment on pg_cron's bookkeeping; run by name"]
fn a_release_run_cut_off_by_a_failover_pg_cron() {
    let mut cluster = Patroni::start("cutoff", 3);
    let old = cluster.wait_healthy(Duration::from_secs(120));
    cluster.connect_node(old, "postgres").unwrap().batch_execute(&format!("CREATE DATABASE {DATABASE}")).unwrap();
    let mut c = cluster.connect_node(old, DATABASE).unwrap();
    // A backlog that takes seconds to drain: 3000 due holds, released one per committed batch
    // (each commit waits for the synchronous standby). The holds are made at an explicit moment
    // 19 hours before the wall clock, so the job (which passes no as_of) finds them due.
    c.batch_execute(&format!(
        "CREATE EXTENSION pg_cron;
         CREATE EXTENSION phone_holds; SELECT phone_holds_setup();
         ALTER DATABASE {DATABASE} SET phone_holds.release_batch = 1;
         INSERT INTO signalwire_phone_numbers (number) SELECT '+1555' || lpad(i::text, 7, '0') FROM generate_series(1, 3000) AS i;"
    ))
    .unwrap();
    let as_of: SystemTime = c.query_one("SELECT now() - interval '19 hours'", &[]).unwrap().get(0);
    c.execute("SELECT assign_phone_to_lead(gen_random_uuid(), $1) FROM generate_series(1, 3000)", &[&as_of]).unwrap();
    let job: i64 = c.query_one("SELECT schedule_phone_release('* * * * *')", &[]).unwrap().get(0);
    let runid: i64 = wait_for("a running release run", Duration::from_secs(90), || {
        c.query_opt("SELECT runid FROM cron.job_run_details WHERE jobid = $1 AND status = 'running'", &[&job]).unwrap().map(|r| r.get(0))
    });
    thread::sleep(Duration::from_secs(1));
    let released_before: i64 = c.query_one("SELECT count(*) FROM phone_hold_ledger WHERE event = 'released'", &[]).unwrap().get(0);
    drop(c);
    cluster.kill_node(old);
    let new = cluster.wait_healthy(Duration::from_secs(120));
    let mut p = cluster.connect_node(new, DATABASE).unwrap();
    let released_after: i64 = p.query_one("SELECT count(*) FROM phone_hold_ledger WHERE event = 'released'", &[]).unwrap().get(0);
    // Its launcher starts when the promotion ends; give it time to look.
    let looked = Instant::now();
    let run = loop {
        let r = p.query_one("SELECT status, coalesce(return_message, ''), end_time::text FROM cron.job_run_details WHERE runid = $1", &[&runid]).unwrap();
        let run: (String, String, Option<String>) = (r.get(0), r.get(1), r.get(2));
        if run.0 != "running" || looked.elapsed() > Duration::from_secs(30) {
            break run;
        }
        thread::sleep(Duration::from_millis(250));
    };
    println!("failover: a release run cut off by the failover ({released_before}+ numbers released before the kill, {released_after} on the new primary): the new primary's pg_cron marked it {run:?}");
    assert_eq!((run.0.as_str(), run.1.as_str()), ("failed", "server restarted"), "pg_cron 1.4 marks the runs it finds running when it starts");
    assert!(released_after >= released_before, "batches the cut-off run committed were lost");
    // The next run, on the new primary, releases the rest.
    let next: String = wait_for("the next run on the new primary", Duration::from_secs(150), || {
        p.query_opt("SELECT status FROM cron.job_run_details WHERE jobid = $1 AND runid > $2 AND status IN ('succeeded', 'failed')", &[&job, &runid])
            .unwrap()
            .map(|r| r.get(0))
    });
    let left: i64 = p.query_one("SELECT count(*) FROM signalwire_phone_numbers WHERE assignment_status = 'assigned'", &[]).unwrap().get(0);
    println!("failover: the next run {next}, {left} holds left");
    assert_eq!((next.as_str(), left), ("succeeded", 0));
    let broken = violations(&mut p);
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}
