//! Bounded work (issue 9's figures): bookings while a 100,000-number backlog is released, the
//! release's total time per batch size, the memory one largest accepted VAPI body costs, and a
//! callback booking right after a bulk release, before ANALYZE.
//!
//! Each figure is compared with a baseline taken in the same cluster in the same run: the
//! one-statement release, and the same booking after ANALYZE.

use crate::{median, status_kib};
use phone_holds_e2e::Cluster;
use postgres::Client;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// The batch sizes compared; the middle one is the default (gucs.rs DEFAULT_RELEASE_BATCH).
pub const BATCHES: [i32; 3] = [250, 1000, 5000];

/// One row of the results table: what, figure, baseline, ratio, target, met.
pub struct Figure {
    pub what: String,
    pub value: String,
    pub baseline: String,
    pub ratio: String,
    pub target: String,
    pub met: Option<bool>,
}

/// `backlog` due numbers (held by md5(i)::uuid, due an hour before now, oldest first) and as
/// many others, free or (`busy`) held for days; fresh statistics, autovacuum off so nothing
/// analyzes behind the figures.
fn load_backlog(c: &mut Client, backlog: i64, busy: bool) {
    let other = if busy { "'assigned'" } else { "'available'" };
    let other_lead = if busy { "md5('busy' || i)::uuid" } else { "NULL::uuid" };
    let other_release = if busy { "now() + interval '10 days'" } else { "NULL::timestamptz" };
    c.batch_execute(&format!(
        "TRUNCATE public.signalwire_phone_numbers, public.phone_hold_ledger RESTART IDENTITY;
         ALTER TABLE public.signalwire_phone_numbers SET (autovacuum_enabled = false);
         ALTER TABLE public.phone_hold_ledger SET (autovacuum_enabled = false);
         INSERT INTO public.signalwire_phone_numbers (number, assignment_status, currently_assigned_to, release_at)
         SELECT '+1' || lpad(i::text, 10, '0'),
                CASE WHEN i <= {backlog} THEN 'assigned' ELSE {other} END,
                CASE WHEN i <= {backlog} THEN md5(i::text)::uuid ELSE {other_lead} END,
                CASE WHEN i <= {backlog} THEN now() - interval '1 hour' - make_interval(secs => {backlog} - i) ELSE {other_release} END
           FROM generate_series(1, 2 * {backlog}) AS i;
         INSERT INTO public.phone_hold_ledger (at, event, number, lead_id, new_release_at)
         SELECT now() - interval '19 hours', 'assigned', number, currently_assigned_to, release_at
           FROM public.signalwire_phone_numbers WHERE assignment_status = 'assigned';"
    ))
    .unwrap();
    c.batch_execute("VACUUM ANALYZE public.signalwire_phone_numbers").unwrap();
    c.batch_execute("VACUUM ANALYZE public.phone_hold_ledger").unwrap();
}

/// Runs `release` (milliseconds it took) while, if `book`, one session books leads of the
/// backlog one call per transaction until the release is over: their latencies in ms.
/// `batch` sets phone_holds.release_batch first (a separate statement: in one simple query
/// with the CALL it would open a transaction block, in which the procedure may not COMMIT).
fn release_while_booking(cluster: &Cluster, backlog: i64, release: &str, batch: Option<i32>, book: bool) -> (f64, Vec<f64>) {
    let mut c = cluster.connect();
    load_backlog(&mut c, backlog, false);
    if let Some(batch) = batch {
        c.batch_execute(&format!("SET phone_holds.release_batch = {batch}")).unwrap();
    }
    let done = Arc::new(AtomicBool::new(false));
    let booker = book.then(|| {
        let done = done.clone();
        let mut b = cluster.connect();
        std::thread::spawn(move || {
            let mut latencies: Vec<(Instant, f64)> = Vec::new();
            let mut i: i64 = 0;
            while !done.load(Ordering::Relaxed) {
                // Spread over the backlog, so most bookings meet a row a batch is releasing.
                i = (i + 7919) % backlog + 1;
                let started = Instant::now();
                b.query_one(
                    "SELECT extend_phone_for_appointment(md5($1::int8::text)::uuid, now() + interval '3 days')",
                    &[&i],
                )
                .unwrap();
                latencies.push((started, started.elapsed().as_secs_f64() * 1000.0));
            }
            latencies
        })
    });
    // A release that fails must not leave the booker booking for the rest of the run.
    let _stop = Stop(done.clone());
    // Let the booker reach its steady pace first.
    std::thread::sleep(std::time::Duration::from_millis(200));
    let started = Instant::now();
    c.batch_execute(release).unwrap();
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let ended = Instant::now();
    done.store(true, Ordering::Relaxed);
    // Only the bookings made while the release ran.
    let latencies = booker
        .map(|h| h.join().unwrap())
        .unwrap_or_default()
        .into_iter()
        .filter(|(at, _)| *at >= started && *at < ended)
        .map(|(_, ms)| ms)
        .collect();
    let held: i64 = c.query_one("SELECT count(*) FROM public.phone_holds_overdue", &[]).unwrap().get(0);
    assert_eq!(held, 0, "{release} left due numbers behind");
    (ms, latencies)
}

/// Sets its flag when dropped, on the way out of a panic too.
struct Stop(Arc<AtomicBool>);

impl Drop for Stop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// (n, p50, p99, max) of `xs`.
pub fn spread(mut xs: Vec<f64>) -> (usize, f64, f64, f64) {
    xs.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (xs.len(), percentile(&xs, 0.5), percentile(&xs, 0.99), *xs.last().unwrap())
}

pub fn backlog_figures(cluster: &Cluster, backlog: i64, default_batch: i32) -> Vec<Figure> {
    let mut figures = Vec::new();
    let single = "SELECT release_expired_phone_numbers()";
    let alone = |release: &str, batch: Option<i32>| {
        median((0..3).map(|_| release_while_booking(cluster, backlog, release, batch, false).0).collect())
    };
    let single_alone = alone(single, None);
    let (single_busy, single_bookings) = release_while_booking(cluster, backlog, single, None, true);
    let (n, p50, p99, max) = spread(single_bookings);
    figures.push(Figure {
        what: format!("one-statement release of {backlog}: bookings meanwhile (n={n}), p50 / p99 / max ms"),
        value: format!("{p50:.2} / {p99:.1} / {max:.0}"),
        baseline: format!("release {single_alone:.0} ms alone, {single_busy:.0} ms with bookings"),
        ratio: String::new(),
        target: "(before: the problem)".into(),
        met: None,
    });
    for batch in BATCHES {
        let drain = "CALL drain_expired_phone_numbers()";
        let alone = alone(drain, Some(batch));
        let (busy, bookings) = release_while_booking(cluster, backlog, drain, Some(batch), true);
        let (n, p50, p99, max) = spread(bookings);
        let default = batch == default_batch;
        let marked = if default { " (default)" } else { "" };
        figures.push(Figure {
            what: format!("batched release, batch {batch}{marked}: bookings meanwhile (n={n}), p50 / p99 / max ms"),
            value: format!("{p50:.2} / {p99:.1} / {max:.0}"),
            baseline: format!("drain with bookings {busy:.0} ms"),
            ratio: String::new(),
            target: "p99 ≤ 50, max ≤ 100".into(),
            met: default.then_some(p99 <= 50.0 && max <= 100.0),
        });
        figures.push(Figure {
            what: format!("batched release, batch {batch}{marked}: drain time alone, median of 3 (ms) vs one statement"),
            value: format!("{alone:.0}"),
            baseline: format!("{single_alone:.0}"),
            ratio: format!("{:.2}", alone / single_alone),
            target: "≤ 1.2".into(),
            met: default.then_some(alone <= 1.2 * single_alone),
        });
    }
    figures
}

/// The backend's peak memory growth over one call of `sql` with `body` ($1, text), in KiB:
/// the peak is reset first (clear_refs 5, which root may write for any process).
fn peak_growth_kib(c: &mut Client, sql: &str, body: &str) -> i64 {
    let pid: i32 = c.query_one("SELECT pg_backend_pid()", &[]).unwrap().get(0);
    c.query(sql, &[&"{}"]).ok(); // load the library and plans, outside the measurement
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").expect("resetting VmHWM needs root");
    let rss_before = status_kib(pid, "VmRSS");
    c.query(sql, &[&body]).unwrap();
    status_kib(pid, "VmHWM") - rss_before
}

/// The largest VAPI bodies phone_holds accepts, and the memory they cost a backend.
pub fn memory_figures(cluster: &Cluster, max_bytes: usize, max_calls: usize) -> Vec<Figure> {
    let mut c = cluster.connect();
    c.batch_execute(
        "TRUNCATE public.signalwire_phone_numbers, public.phone_hold_ledger RESTART IDENTITY;
         INSERT INTO public.signalwire_phone_numbers (number) SELECT '+1' || lpad(i::text, 10, '0') FROM generate_series(1, 1000) AS i;",
    )
    .unwrap();
    // A tool-calls message of exactly `max_bytes`: the cap's worth of bookings, padded with a
    // transcript (what makes real bodies large).
    let calls: Vec<String> = (0..max_calls)
        .map(|i| {
            format!(
                r#"{{"id": "call_{i}", "type": "function", "function": {{"name": "book_appointment", "arguments": {{"lead_id": "00000000-0000-4000-8000-{i:012}", "appointment_time": "2099-10-20T14:00:00Z"}}}}}}"#
            )
        })
        .collect();
    let shell = |pad: usize| {
        format!(r#"{{"message": {{"type": "tool-calls", "transcript": "{}", "toolCallList": [{}]}}}}"#, "x".repeat(pad), calls.join(", "))
    };
    let tool_calls = shell(max_bytes - shell(0).len());
    assert_eq!(tool_calls.len(), max_bytes);
    let report_shell = |pad: usize| {
        format!(
            r#"{{"message": {{"type": "end-of-call-report", "transcript": "{}", "call": {{"id": "c1", "metadata": {{"lead_id": "00000000-0000-4000-8000-000000000001", "outcome": "no_answer"}}}}}}}}"#,
            "x".repeat(pad)
        )
    };
    let report = report_shell(max_bytes - report_shell(0).len());
    let mut figures = Vec::new();
    for (what, sql, body) in [
        (format!("vapi_tool_calls(text), {max_calls} bookings"), "SELECT vapi_tool_calls($1::text, '2099-10-18 12:00+00')", &tool_calls),
        ("vapi_end_of_call(text)".to_owned(), "SELECT vapi_end_of_call($1::text)", &report),
        (format!("vapi_tool_calls(jsonb), {max_calls} bookings"), "SELECT vapi_tool_calls($1::text::jsonb, '2099-10-18 12:00+00')", &tool_calls),
    ] {
        c.batch_execute("TRUNCATE public.phone_hold_ledger; UPDATE public.signalwire_phone_numbers SET assignment_status = 'available', currently_assigned_to = NULL, release_at = NULL, appointment_scheduled_at = NULL").unwrap();
        let mut fresh = cluster.connect();
        let kib = peak_growth_kib(&mut fresh, sql, body);
        let body_kib = (body.len() / 1024) as i64;
        figures.push(Figure {
            what: format!("{what}: backend peak memory growth, largest accepted body (KiB)"),
            value: kib.to_string(),
            baseline: format!("body {body_kib} KiB"),
            ratio: format!("{:.1}", kib as f64 / body_kib as f64),
            target: "≤ 16 × body".into(),
            met: Some(kib <= 16 * body_kib),
        });
    }
    figures
}

/// A lead calling back right after a bulk release gets its previous number: the booking's
/// latency before ANALYZE (statistics still say nothing is free) against after it.
pub fn callback_figures(cluster: &Cluster, backlog: i64) -> Vec<Figure> {
    const CALLS: i64 = 2000;
    let mut c = cluster.connect();
    // Statistics taken while every number is held: then the release frees `backlog` at once.
    load_backlog(&mut c, backlog, true);
    c.batch_execute("SELECT release_expired_phone_numbers()").unwrap();
    let mut callbacks = |from: i64| -> f64 {
        let mut ms = Vec::new();
        for i in from..from + CALLS {
            let started = Instant::now();
            c.query_one(
                "SELECT extend_phone_for_appointment(md5($1::int8::text)::uuid, now() + interval '3 days')",
                &[&i],
            )
            .unwrap();
            ms.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        spread(ms).1
    };
    let stale = callbacks(1);
    let mut a = cluster.connect();
    a.batch_execute("ANALYZE public.signalwire_phone_numbers; ANALYZE public.phone_hold_ledger").unwrap();
    let steady = callbacks(CALLS + 1);
    let previous: i64 = c
        .query_one(
            "SELECT count(*) FROM public.signalwire_phone_numbers WHERE currently_assigned_to = md5(right(number, 10)::int8::text)::uuid",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(previous, 2 * CALLS, "every callback got its previous number back");
    vec![Figure {
        what: format!("callback booking after a {backlog}-number release, before ANALYZE: median ms ({CALLS} calls)"),
        value: format!("{stale:.3}"),
        baseline: format!("{steady:.3} after ANALYZE"),
        ratio: format!("{:.2}", stale / steady),
        target: "≤ 2".into(),
        met: Some(stale <= 2.0 * steady),
    }]
}
