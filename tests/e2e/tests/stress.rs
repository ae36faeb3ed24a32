//! The concurrency stress harness: N clients (PHONE_HOLDS_STRESS_CLIENTS, default 8) for a
//! bounded time (PHONE_HOLDS_STRESS_SECONDS, default 60) issue a random mix of assign, extend,
//! complete (every outcome), reschedule and release on a pool smaller than the lead population,
//! with as_of times that move forward. An invariant checker runs during the run and after it.
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

    // Minutes after 2025-10-18 12:00 UTC; every operation moves it on by 1 to 10 minutes.
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
                    // $1 lead, $2 minutes after T0 (as_of), $3 hours from as_of or an outcome; all sent as text.
                    const AS_OF: &str = "('2025-10-18 12:00+00'::timestamptz + make_interval(mins => $2::text::int))";
                    let (kind, sql, args): (&str, String, Vec<String>) = match rng.below(100) {
                        0..=24 => ("assign", format!("SELECT assign_phone_to_lead($1::text::uuid, {AS_OF})::text, $3::text"), vec![lead, minute.to_string(), String::new()]),
                        25..=49 => (
                            "extend",
                            format!("SELECT extend_phone_for_appointment($1::text::uuid, {AS_OF} + make_interval(hours => $3::text::int), {AS_OF})::text"),
                            vec![lead, minute.to_string(), hours_ahead],
                        ),
                        50..=69 => (
                            "complete",
                            format!("SELECT complete_appointment_for_phone($1::text::uuid, $3::text, {AS_OF})::text"),
                            vec![lead, minute.to_string(), outcome],
                        ),
                        70..=79 => (
                            "reschedule",
                            format!("SELECT reschedule_appointment_for_phone($1::text::uuid, {AS_OF} + make_interval(hours => $3::text::int), {AS_OF})::text"),
                            vec![lead, minute.to_string(), hours_ahead],
                        ),
                        _ => ("release", format!("SELECT release_expired_phone_numbers({AS_OF})::text, $1::text, $3::text"), vec![lead, minute.to_string(), String::new()]),
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
                            }
                            Err(e) => match sqlstate(&e).as_str() {
                                "40001" | "40P01" => {
                                    local.add(&format!("retried {}", sqlstate(&e)), 1);
                                    continue;
                                }
                                "53000" => local.add("refused: pool empty", 1),
                                "22008" => local.add("refused: time", 1),
                                _ => problems.lock().unwrap().push(format!("{kind} {args:?}: {e}")),
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
    let kinds = ["assign", "extend", "complete", "reschedule", "release"];
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
    assert!(problems.is_empty(), "violations:\n{}", problems.iter().take(20).cloned().collect::<Vec<_>>().join("\n"));
    for k in kinds {
        assert!(t.get(k) > 0, "no {k} ran: the mix did not exercise everything");
    }
    assert!(t.get("numbers released") > 0 && t.get("refused: pool empty") > 0, "the pool never ran dry or never came back");
}
