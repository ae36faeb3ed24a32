//! Monitoring (issue 12's figures): the pool's history for a dashboard on a ledger of 1,000,000
//! rows, and what change events cost an assignment and a release.
//!
//! History: `phone_pool_history()` over 7 days at 1-hour steps, the end of a 90-day ledger,
//! timed from the client (median of 11); baseline, in the same cluster: one pass over the
//! window's ledger rows through the same index (the least any answer reads). Then the same
//! with the two ledger indexes setup makes dropped, to show what they buy.
//!
//! Events: the throughput benchmark's assignment, every lead already holding a number, so each
//! call renews a hold and commits (the busiest path, where a commit's own cost weighs most),
//! with `phone_holds.notify` on and off, alternating, each run on a fresh copy of the pool;
//! no session listens, so the figure is the sending alone. Then the release of all 10,000 of
//! that pool's holds at once (one event each), on and off, each on a fresh copy.

use crate::bounded::Figure;
use crate::rounds::{interleaved, Spread};
use crate::template::Template;
use crate::{median, pgbench_with, LEADS};
use phone_holds_e2e::Cluster;
use std::time::Instant;

const T0: &str = "2025-10-18 12:00:00+00";
const NUMBERS: i64 = 100_000;

/// `holds` holds (252,500 in a full run: about 1,000,000 rows) over the 90 days before T0,
/// four ledger rows each (assigned; extended for an appointment the next day; completed,
/// showed; released), up to T0. Each hold's number is one of 100,000, whose holds never
/// overlap; holds begun in the last two days are held.
fn load(c: &mut postgres::Client, holds: i64) {
    c.batch_execute(&format!(
        "TRUNCATE public.signalwire_phone_numbers, public.phone_hold_ledger RESTART IDENTITY;
         INSERT INTO public.phone_hold_ledger (at, event, number, lead_id, new_release_at, appointment_at, outcome, source)
         SELECT h.start + e.after, e.event, '+1555' || lpad((i % {NUMBERS} + 1)::text, 7, '0'), md5(i::text)::uuid,
                CASE e.event WHEN 'assigned' THEN h.start + interval '18 hours' WHEN 'released' THEN NULL
                             ELSE h.start + interval '2 days' END,
                CASE WHEN e.event IN ('extended', 'completed') THEN h.start + interval '1 day' END,
                CASE WHEN e.event = 'completed' THEN 'showed' END, 'sql'
           FROM generate_series(0, {holds} - 1) AS i
          CROSS JOIN LATERAL (SELECT '{T0}'::timestamptz - interval '90 days' + (interval '90 days' / {holds}) * i AS start) AS h
          CROSS JOIN LATERAL (VALUES ('assigned', interval '0'), ('extended', interval '2 hours'),
                                     ('completed', interval '25 hours'), ('released', interval '2 days 1 hour')) AS e(event, after)
          WHERE h.start + e.after <= '{T0}';
         INSERT INTO public.signalwire_phone_numbers (number, assignment_status, currently_assigned_to, release_at, appointment_scheduled_at)
         SELECT '+1555' || lpad(n::text, 7, '0'),
                CASE WHEN held.lead IS NULL THEN 'available' ELSE 'assigned' END, held.lead, held.release_at, held.appointment_at
           FROM generate_series(1, {NUMBERS}) AS n
           LEFT JOIN LATERAL (
                SELECT l.lead_id AS lead, l.new_release_at AS release_at, l.appointment_at
                  FROM public.phone_hold_ledger AS l
                 WHERE l.number = '+1555' || lpad(n::text, 7, '0') ORDER BY l.at DESC, l.id DESC LIMIT 1) AS last ON true
           LEFT JOIN LATERAL (SELECT last.lead, last.release_at, last.appointment_at
                               WHERE last.release_at IS NOT NULL) AS held ON true;"
    ))
    .unwrap();
    c.batch_execute("VACUUM ANALYZE public.signalwire_phone_numbers").unwrap();
    c.batch_execute("VACUUM ANALYZE public.phone_hold_ledger").unwrap();
}

fn time_ms(c: &mut postgres::Client, sql: &str) -> f64 {
    let runs: Vec<f64> = (0..11)
        .map(|_| {
            let started = Instant::now();
            c.batch_execute(sql).unwrap();
            started.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    median(runs)
}

pub fn figures(cluster: &Cluster, holds: i64, seconds: u32, rounds: usize, throughput: &Template) -> Vec<Figure> {
    let mut c = cluster.connect();
    load(&mut c, holds);
    let rows: i64 = c.query_one("SELECT count(*) FROM public.phone_hold_ledger", &[]).unwrap().get(0);
    eprintln!("bench: pool history over a ledger of {rows} rows");
    let window = format!("'{T0}'::timestamptz - interval '7 days', '{T0}'::timestamptz");
    let history = format!("SELECT count(*) FROM phone_pool_history({window}, '1 hour')");
    let buckets: i64 = c.query_one(&history, &[]).unwrap().get(0);
    assert_eq!(buckets, 168);
    let baseline = format!(
        "SELECT count(*), count(DISTINCT l.event) FROM public.phone_hold_ledger AS l WHERE l.at >= '{T0}'::timestamptz - interval '7 days'"
    );
    let (ms, base) = (time_ms(&mut c, &history), time_ms(&mut c, &baseline));
    c.batch_execute("DROP INDEX public.phone_hold_ledger_by_time, public.phone_hold_ledger_by_appointment").unwrap();
    let unindexed = time_ms(&mut c, &history);
    c.batch_execute("SELECT phone_holds_setup()").unwrap();
    let mut figures = vec![
        Figure {
            what: format!("phone_pool_history(), 7 days at 1-hour steps, ledger of {rows} rows over 90 days (ms)"),
            value: format!("{ms:.1}"),
            baseline: format!("{base:.1} (the window's rows, one pass)"),
            ratio: format!("{:.2}", ms / base),
            target: "p ≤ 200 ms".into(),
            met: Some(ms <= 200.0),
        },
        Figure {
            what: "the same without the ledger indexes setup makes (ms)".into(),
            value: format!("{unindexed:.1}"),
            baseline: format!("{ms:.1} with them"),
            ratio: format!("{:.2}", unindexed / ms),
            target: String::new(),
            met: None,
        },
    ];

    // Events: the throughput assignment (every lead holds a number) with events on and off,
    // each run on a fresh copy of the throughput pool.
    let runs = interleaved(2, rounds, |notify| {
        let setting = if notify == 1 { "-c phone_holds.notify=on" } else { "-c phone_holds.notify=off" };
        pgbench_with(cluster, throughput.copy(cluster), "native_assign", &format!("-T {seconds}"), setting).0
    });
    let (off, on) = (&runs[0], &runs[1]);
    // And the release of every hold in that pool at once, one event per number released.
    let released = interleaved(2, rounds, |notify| {
        let mut c = throughput.restore(cluster);
        c.batch_execute(if notify == 1 { "SET phone_holds.notify = on" } else { crate::EVENTS_OFF }).unwrap();
        // The warm-up plans the statement; the holds end 18 hours after the pool was made.
        let idle: i32 = c.query_one("SELECT release_expired_phone_numbers(now())", &[]).unwrap().get(0);
        assert_eq!(idle, 0, "nothing is due yet");
        let mut tx = c.transaction().unwrap();
        let started = Instant::now();
        let n: i32 = tx.query_one("SELECT release_expired_phone_numbers(now() + interval '1 day')", &[]).unwrap().get(0);
        let ms = started.elapsed().as_secs_f64() * 1e3;
        tx.rollback().unwrap();
        assert_eq!(i64::from(n), LEADS, "every hold is due a day on");
        ms
    });
    figures.push(Figure {
        what: format!(
            "renew a lead's hold (assign, every lead holding a number), 2 clients: TPS with change events (phone_holds.notify on), median of {rounds} alternating rounds (min–max)"
        ),
        value: Spread::of(on).show(0),
        baseline: format!("{} off", Spread::of(off).show(0)),
        ratio: Spread::of_ratios(on, off).show(2),
        // No target: what NOTIFY costs a commit is PostgreSQL's; docs/operations/benchmarks.md states the figure.
        target: String::new(),
        met: None,
    });
    figures.push(Figure {
        what: format!(
            "release {LEADS} due at once (pool {}), in a transaction rolled back: ms with change events on, median of {rounds} alternating rounds (min–max)",
            LEADS * 10
        ),
        value: Spread::of(&released[1]).show(1),
        baseline: format!("{} off", Spread::of(&released[0]).show(1)),
        ratio: Spread::of_ratios(&released[1], &released[0]).show(2),
        target: String::new(),
        met: None,
    });
    figures
}
