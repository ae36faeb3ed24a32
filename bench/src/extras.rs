//! The native-only rows under the variants' table, on the first version a run names: a booking
//! for a lead with 5 live appointments against one with 1, and a backend's memory over many
//! calls.

use crate::rounds::{interleaved, Spread};
use crate::template::Template;
use crate::variants::Table;
use crate::{pgbench, status_kib, LEADS};
use phone_holds_e2e::Cluster;
use postgres::Client;
use std::time::Instant;

/// The rows, with their targets; `calls` for the memory row, rounded down to thousands.
pub fn rows(cluster: &Cluster, throughput: &Template, rounds: usize, seconds: u32, calls: i64) -> Table {
    let (mut rows, mut checks) = (Vec::new(), Vec::new());
    let size = LEADS * 10;
    // A booking for a lead with 5 live appointments against one with 1: each lead of a copy
    // of the throughput pool gets that many appointments (days ahead, so none is the new
    // one's time), then the native extend runs as in the table; the two alternate over the rounds.
    let with_live = |live: i64| -> f64 {
        let database = throughput.copy(cluster);
        let mut c = cluster.connect_to(database);
        c.batch_execute(&format!(
            "SELECT count(extend_phone_for_appointment(('00000000-0000-4000-8000-' || lpad(i::text, 12, '0'))::uuid,
                                                      now() + make_interval(days => 10 + k)))
               FROM generate_series(1, {LEADS}) AS i, generate_series(1, {live}) AS k"
        ))
        .unwrap();
        // Its own statement: VACUUM cannot run in the batch's implicit transaction.
        c.batch_execute("VACUUM ANALYZE public.phone_hold_appointments").unwrap();
        drop(c);
        pgbench(cluster, database, "native_extend", seconds).0
    };
    let live_runs = interleaved(2, rounds, |v| with_live(if v == 0 { 5 } else { 1 }));
    let (five, one): (Vec<f64>, Vec<f64>) = (live_runs[0].clone(), live_runs[1].clone());
    let five_to_one = Spread::of_ratios(&five, &one);
    rows.push([
        "extend, lead with 5 live appointments (native column) vs 1 (floor column), 2 clients (TPS); ratio 5 / 1".into(),
        size.to_string(),
        Spread::of(&five).show(0),
        "".into(),
        Spread::of(&one).show(0),
        five_to_one.show(2),
        "".into(),
    ]);
    checks.push((format!("extend: a lead with 5 live appointments books at ≥ 0.9 × the TPS of one with 1 ({})", five_to_one.show(2)), five_to_one.median >= 0.9));

    // Memory: one session, many calls, in statements of 1,000 calls each.
    let mut c = throughput.restore(cluster);
    let pid: i32 = c.query_one("SELECT pg_backend_pid()", &[]).unwrap().get(0);
    let batch = |c: &mut Client, k: i64| {
        let call = match k % 3 {
            0 => "assign_phone_to_lead(l)::text",
            1 => "extend_phone_for_appointment(l, now() + interval '3 days')::text",
            _ => "complete_appointment_for_phone(l, 'showed')::text",
        };
        c.batch_execute(&format!(
            "SELECT count({call}) FROM (SELECT ('00000000-0000-4000-8000-' || lpad(((i % {LEADS}) + 1)::text, 12, '0'))::uuid AS l
                                       FROM generate_series({k} * 1000, {k} * 1000 + 999) AS i) AS leads"
        ))
        .unwrap();
    };
    for k in 0..30 {
        batch(&mut c, k);
    }
    let before = status_kib(pid, "RssAnon");
    let started = Instant::now();
    let batches = calls / 1000;
    for k in 0..batches {
        batch(&mut c, k);
    }
    let after = status_kib(pid, "RssAnon");
    let per_call_us = started.elapsed().as_secs_f64() * 1e6 / (batches * 1000) as f64;
    rows.push([
        format!("backend RssAnon growth over {} calls (KiB)", batches * 1000),
        size.to_string(),
        format!("{}", after - before),
        "".into(),
        "".into(),
        "".into(),
        format!("{before} → {after} KiB, {per_call_us:.1} µs/call"),
    ]);
    checks.push((format!("RSS growth over {} calls < 1 MiB ({} KiB)", batches * 1000, after - before), after - before < 1024));
    (rows, checks)
}
