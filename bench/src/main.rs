//! The phone_holds benchmark: native functions against the PL/pgSQL reference
//! (bench/reference_plpgsql.sql) and the bare-SQL floor (bench/floor.sql, bench/pgbench/floor_*),
//! side by side in one throwaway cluster, as ratios: these machines are noisy, so only
//! figures taken in the same run are compared, and the variants take turns in rotated rounds,
//! each on a fresh copy of the same tables (rounds.rs, template.rs), so their order and what
//! another left behind do not move the figures.
//!
//! `bench [--pools 1000,100000,1000000] [--seconds 3] [--calls 1000000] [--backlog 100000]
//!        [--inbound-pool 100000] [--inbound-calls 20000] [--local-pool 100000] [--history-holds 252500]
//!        [--vapi-calls 2000] [--rounds 9] [--only throughput|bounded|inbound|local|vapi|monitoring|profile] [--out FILE]`

mod bounded;
mod inbound;
mod local;
mod monitoring;
mod profile;
mod profile_split;
mod rounds;
mod template;
mod vapi_messages;

use phone_holds_e2e::Cluster;
pub(crate) use rounds::median;
use rounds::{interleaved, rotation, Spread};
use template::Template;
use postgres::Client;
use std::fmt::Write as _;
use std::time::Instant;

const VARIANTS: [&str; 3] = ["native", "plpgsql", "floor"];
const T0: &str = "2025-10-18 12:00:00+00";
/// Two hours before every hold in the pools ends: a release with nothing due.
const IDLE_AS_OF: &str = "2025-10-18 10:00:00+00";
/// The native functions' setting in every comparison with the fixtures, which send no events.
pub(crate) const EVENTS_OFF: &str = "SET phone_holds.notify = off";
/// Releases with nothing due timed per session, after its warm-up call.
const IDLE_RUNS: usize = 9;
const DUE: i64 = 10_000;
pub(crate) const LEADS: i64 = 10_000;

struct Options {
    pools: Vec<i64>,
    /// Rounds of every interleaved comparison (each variant once per round, order rotated).
    rounds: usize,
    /// Length of each pgbench run.
    seconds: u32,
    calls: i64,
    backlog: i64,
    /// Inbound calls: the pool (the ledger gets ten rows per number) and how many calls are timed.
    inbound_pool: i64,
    inbound_calls: i64,
    /// VAPI's informational messages: how many of each are timed.
    vapi_calls: i32,
    /// Local presence: the pool, spread over 300 area codes.
    local_pool: i64,
    /// Monitoring: the holds in the ledger the history reads (four rows each).
    history_holds: i64,
    only: Option<String>,
    out: Option<String>,
}

fn options() -> Options {
    let mut o = Options { pools: vec![1_000, 100_000, 1_000_000], rounds: 9, seconds: 3, calls: 1_000_000, backlog: 100_000, inbound_pool: 100_000, inbound_calls: 20_000, vapi_calls: 2_000, local_pool: 100_000, history_holds: 252_500, only: None, out: None };
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let value = pair.get(1).unwrap_or_else(|| panic!("{} needs a value", pair[0]));
        match pair[0].as_str() {
            "--pools" => o.pools = value.split(',').map(|p| p.parse().expect("--pools: numbers")).collect(),
            "--rounds" => o.rounds = value.parse().ok().filter(|&r| r > 0).expect("--rounds: a number above 0"),
            "--seconds" => o.seconds = value.parse().expect("--seconds: a number"),
            "--calls" => o.calls = value.parse().expect("--calls: a number"),
            "--backlog" => o.backlog = value.parse().expect("--backlog: a number"),
            "--inbound-pool" => o.inbound_pool = value.parse().expect("--inbound-pool: a number"),
            "--inbound-calls" => o.inbound_calls = value.parse().expect("--inbound-calls: a number"),
            "--vapi-calls" => o.vapi_calls = value.parse().expect("--vapi-calls: a number"),
            "--local-pool" => o.local_pool = value.parse().expect("--local-pool: a number"),
            "--history-holds" => o.history_holds = value.parse().expect("--history-holds: a number"),
            "--only" => o.only = Some(value.clone()),
            "--out" => o.out = Some(value.clone()),
            other => panic!("unknown option {other}"),
        }
    }
    o
}

/// A table of figures, each with a target added to `checks`.
fn figure_table(table: &mut String, figures: &[bounded::Figure], checks: &mut Vec<(String, bool)>) {
    writeln!(table, "| measurement | figure | baseline | ratio | target |").unwrap();
    writeln!(table, "|---|---:|---:|---:|---|").unwrap();
    for f in figures {
        writeln!(table, "| {} | {} | {} | {} | {} |", f.what, f.value, f.baseline, f.ratio, f.target).unwrap();
        if let Some(met) = f.met {
            // A target on the ratio quotes the ratio; one on the figure itself (a "p99 ≤" or
            // "max ≤"), the figure.
            let on_figure = f.ratio.is_empty() || f.target.starts_with('p');
            checks.push((format!("{}: {} ({})", f.what, f.target, if on_figure { &f.value } else { &f.ratio }), met));
        }
    }
}

/// A row of the variants' table: each variant's figure over the rounds, and native's ratios to
/// the floor and to the PL/pgSQL reference, round by round (which it also returns).
fn variant_row(what: String, pool: i64, by_variant: &[Vec<f64>], decimals: usize) -> ([String; 7], Spread, Spread) {
    let to_floor = Spread::of_ratios(&by_variant[0], &by_variant[2]);
    let to_reference = Spread::of_ratios(&by_variant[0], &by_variant[1]);
    let figure = |v: usize| Spread::of(&by_variant[v]).show(decimals);
    ([what, pool.to_string(), figure(0), figure(1), figure(2), to_floor.show(2), to_reference.show(2)], to_floor, to_reference)
}

/// The floor's release statement, from bench/floor.sql.
fn floor_release() -> String {
    let text = include_str!("../floor.sql");
    let start = text.find("-- name: release").expect("floor.sql names its release statement");
    text[start..].lines().filter(|l| !l.starts_with("--")).collect::<Vec<_>>().join("\n")
}

/// The throughput pool: `LEADS` × 10 numbers, every lead holding one (assigned by the extension,
/// so each has its ledger row), the rest free.
pub(crate) fn throughput_pool(c: &mut Client) {
    load_pool(c, LEADS * 10, 0);
    c.batch_execute(&format!(
        "UPDATE public.signalwire_phone_numbers SET assignment_status = 'available', currently_assigned_to = NULL, release_at = NULL;
         TRUNCATE public.phone_hold_ledger;
         SELECT count(assign_phone_to_lead(('00000000-0000-4000-8000-' || lpad(i::text, 12, '0'))::uuid)) FROM generate_series(1, {LEADS}) AS i;"
    ))
    .unwrap();
}

/// A pool of `size` numbers: `due` held and due at T0, a fifth of the rest held for days, the
/// others free; ledger rows for every hold.
pub(crate) fn load_pool(c: &mut Client, size: i64, due: i64) {
    let held_later = (size - due) / 5;
    c.batch_execute(&format!(
        "TRUNCATE public.signalwire_phone_numbers, public.phone_hold_ledger RESTART IDENTITY;
         INSERT INTO public.signalwire_phone_numbers (number, name, assignment_status, currently_assigned_to, release_at, released_at)
         SELECT '+1' || lpad(i::text, 10, '0'), 'Line ' || i,
                CASE WHEN i <= {due} + {held_later} THEN 'assigned' ELSE 'available' END,
                CASE WHEN i <= {due} + {held_later} THEN md5(i::text)::uuid END,
                CASE WHEN i <= {due} THEN '{T0}'::timestamptz - interval '1 hour'
                     WHEN i <= {due} + {held_later} THEN '{T0}'::timestamptz + interval '10 days' END,
                CASE WHEN i > {due} + {held_later} THEN '{T0}'::timestamptz - make_interval(mins => i % 10000) END
           FROM generate_series(1, {size}) AS i;
         INSERT INTO public.phone_hold_ledger (at, event, number, lead_id, new_release_at)
         SELECT '{T0}'::timestamptz - interval '19 hours', 'assigned', number, currently_assigned_to, release_at
           FROM public.signalwire_phone_numbers WHERE assignment_status = 'assigned';"
    ))
    .unwrap();
    vacuum(c);
}

/// Fresh statistics and visibility map, outside a transaction block as VACUUM needs.
pub(crate) fn vacuum(c: &mut Client) {
    c.batch_execute("VACUUM ANALYZE public.signalwire_phone_numbers").unwrap();
    c.batch_execute("VACUUM ANALYZE public.phone_hold_ledger").unwrap();
}

/// Milliseconds one release takes at `as_of`, inside a transaction that is rolled back so every
/// variant starts from the same rows; and how many it released.
fn time_release(c: &mut Client, variant: &str, as_of: &str) -> (f64, i32) {
    let mut tx = c.transaction().unwrap();
    let started = Instant::now();
    let released: i32 = match variant {
        "native" => tx.query_one("SELECT release_expired_phone_numbers($1::text::timestamptz)", &[&as_of]),
        "plpgsql" => tx.query_one("SELECT bench_plpgsql.release_expired_phone_numbers($1::text::timestamptz)", &[&as_of]),
        _ => {
            let sql = floor_release().replace("$1", "$1::text::timestamptz").replace("$2", "($1::text::timestamptz - interval '24 hours')");
            tx.query_one(sql.as_str(), &[&as_of])
        }
    }
    .unwrap()
    .get(0);
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    tx.rollback().unwrap();
    (ms, released)
}

/// pgbench on `database` for `seconds`. The native functions run with change events off:
/// neither the reference nor the floor sends any, and the Monitoring section measures them.
fn pgbench(cluster: &Cluster, database: &str, script: &str, seconds: u32) -> (f64, f64) {
    let settings = if script.starts_with("native") { "-c phone_holds.notify=off" } else { "" };
    pgbench_with(cluster, database, script, &format!("-T {seconds}"), settings)
}

/// pgbench with 2 clients on database postgres, run for `length` (`-T <seconds>` or
/// `-t <transactions per client>`): (transactions per second, mean latency in ms).
pub(crate) fn pgbench_run(cluster: &Cluster, script: &str, length: &str) -> (f64, f64) {
    pgbench_with(cluster, "postgres", script, length, "")
}

/// pgbench_run on `database`, with server settings for its sessions (`-c name=value`, as
/// PGOPTIONS takes them).
pub(crate) fn pgbench_with(cluster: &Cluster, database: &str, script: &str, length: &str, settings: &str) -> (f64, f64) {
    let path = format!("{}/pgbench/{script}.sql", env!("CARGO_MANIFEST_DIR"));
    let copy = cluster.path(&format!("{script}.sql"));
    std::fs::copy(&path, &copy).unwrap();
    let (ok, out) = cluster.sh(&format!("PGOPTIONS='{settings}' pgbench -n -M prepared -c 2 -j 2 {length} -D leads={LEADS} -f '{copy}' {database}"));
    assert!(ok, "pgbench {script}: {out}");
    let field = |prefix: &str| -> f64 {
        let line = out.lines().find(|l| l.starts_with(prefix)).unwrap_or_else(|| panic!("pgbench said:\n{out}"));
        line[prefix.len()..].split_whitespace().next().unwrap().parse().unwrap()
    };
    (field("tps = "), field("latency average = "))
}

/// A field of a backend's /proc status in KiB: `RssAnon` (private memory: heap growth, not
/// shared buffers), `VmHWM` (peak resident set), `VmRSS`.
fn status_kib(pid: i32, field: &str) -> i64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.strip_prefix(field).is_some_and(|rest| rest.starts_with(':'))).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("model name")).map(|l| l.split(':').nth(1).unwrap().trim().to_owned()))
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    let mem_gib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| s.lines().next().and_then(|l| l.split_whitespace().nth(1)).and_then(|k| k.parse::<f64>().ok()))
        .map(|k| k / 1024.0 / 1024.0)
        .unwrap_or(0.0);
    format!("{cpu}, {cores} cores, {mem_gib:.0} GiB")
}

fn main() {
    let o = options();
    let cluster = Cluster::start("bench", &["shared_buffers=1GB", "max_wal_size=8GB", "checkpoint_timeout=30min"]);
    let mut c = cluster.connect();
    c.batch_execute("CREATE EXTENSION phone_holds; SELECT phone_holds_setup();").unwrap();
    let server: String = c.query_one("SHOW server_version", &[]).unwrap().get(0);
    let build = std::env::var("PHONE_HOLDS_BUILD").unwrap_or_else(|_| "as installed".into());
    let mut rows: Vec<[String; 7]> = Vec::new();
    let mut checks: Vec<(String, bool)> = Vec::new();
    let wanted = |part: &str| o.only.as_deref().is_none_or(|only| only == part);
    // The profile needs perf, and root: part of a full run of the release build where both are
    // there (a debug build's profile says nothing about the release's), or asked for alone.
    let profiling = match o.only.as_deref() {
        Some(only) => only == "profile",
        None if build == "release" && !profile::possible() => {
            eprintln!("bench: no profile: it needs perf (Debian: linux-perf) and root");
            false
        }
        None => build == "release",
    };

    let throughput = (wanted("throughput") || wanted("monitoring") || profiling).then(|| {
        eprintln!("bench: throughput pool ({} numbers, {LEADS} leads holding one)", LEADS * 10);
        Template::create(&cluster, "bench_throughput", throughput_pool)
    });
    if wanted("throughput") {
        let throughput = throughput.as_ref().unwrap();
        let mut nothing_due_native = Vec::new();
        for &size in &o.pools {
            let due = DUE.min(size / 2);
            let pool = Template::create(&cluster, "bench_pool", |c| load_pool(c, size, due));
            eprintln!("bench: pool of {size} loaded ({due} due)");
            let runs = interleaved(VARIANTS.len(), o.rounds, |v| {
                let mut c = pool.restore(&cluster);
                if VARIANTS[v] == "native" {
                    c.batch_execute(EVENTS_OFF).unwrap();
                }
                // A session's first call plans its statements: a warm-up, not counted. Nothing
                // due changes no row, so the due release after it meets the copy as made.
                time_release(&mut c, VARIANTS[v], IDLE_AS_OF);
                let idle = median((0..IDLE_RUNS).map(|_| time_release(&mut c, VARIANTS[v], IDLE_AS_OF).0).collect());
                let (ms, released) = time_release(&mut c, VARIANTS[v], T0);
                assert_eq!(released as i64, due, "{} released {released}, expected {due}", VARIANTS[v]);
                (ms, idle)
            });
            let due_ms: Vec<Vec<f64>> = runs.iter().map(|r| r.iter().map(|x| x.0).collect()).collect();
            let idle_ms: Vec<Vec<f64>> = runs.iter().map(|r| r.iter().map(|x| x.1).collect()).collect();
            let (row, due_to_floor, due_to_reference) = variant_row(format!("release, {due} due (ms)"), size, &due_ms, 1);
            rows.push(row);
            rows.push(variant_row("release, nothing due (ms)".into(), size, &idle_ms, 3).0);
            nothing_due_native.push(Spread::of(&idle_ms[0]).median);
            if size == *o.pools.last().unwrap() {
                checks.push((format!("release, pool {size}, {due} due: native ≤ 1.1 × floor ({})", due_to_floor.show(2)), due_to_floor.median <= 1.1));
                checks.push((
                    format!("release, pool {size}, {due} due: native ≤ 0.2 × PL/pgSQL, i.e. PL/pgSQL ≥ 5 × native ({})", due_to_reference.show(2)),
                    due_to_reference.median <= 0.2,
                ));
            }
        }
        if nothing_due_native.len() > 1 {
            let growth = nothing_due_native.last().unwrap() / nothing_due_native[0];
            checks.push((
                format!("release, nothing due: time at pool {} / time at pool {} ≤ 2 ({growth:.2})", o.pools.last().unwrap(), o.pools[0]),
                growth <= 2.0,
            ));
        }

        // Throughput: every lead holds a number, so each variant takes its "held" path. Each
        // run on a fresh copy of the same pool; the operations in turn within a round.
        let size = LEADS * 10;
        let ops = ["assign", "extend", "complete"];
        let (mut tps, mut lat) = (vec![vec![Vec::new(); VARIANTS.len()]; ops.len()], vec![vec![Vec::new(); VARIANTS.len()]; ops.len()]);
        for round in 0..o.rounds {
            eprintln!("bench: throughput, round {} of {}", round + 1, o.rounds);
            for (k, op) in ops.iter().enumerate() {
                for v in rotation(VARIANTS.len(), round) {
                    let database = throughput.copy(&cluster);
                    let (t, l) = pgbench(&cluster, database, &format!("{}_{op}", VARIANTS[v]), o.seconds);
                    tps[k][v].push(t);
                    lat[k][v].push(l);
                }
            }
        }
        for (k, op) in ops.iter().enumerate() {
            let (row, to_floor, to_reference) = variant_row(format!("{op}, 2 clients (TPS)"), size, &tps[k], 0);
            rows.push(row);
            rows.push(variant_row(format!("{op}, latency (ms)"), size, &lat[k], 3).0);
            checks.push((format!("{op}: native TPS ≥ 0.95 × floor ({})", to_floor.show(2)), to_floor.median >= 0.95));
            checks.push((format!("{op}: native TPS ≥ 1.0 × PL/pgSQL ({})", to_reference.show(2)), to_reference.median >= 1.0));
        }

        // A booking for a lead with 5 live appointments against one with 1: each lead of a copy
        // of the throughput pool gets that many appointments (days ahead, so none is the new
        // one's time), then the native extend runs as above; the two alternate over the rounds.
        let with_live = |live: i64| -> f64 {
            let database = throughput.copy(&cluster);
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
            pgbench(&cluster, database, "native_extend", o.seconds).0
        };
        let live_runs = interleaved(2, o.rounds, |v| with_live(if v == 0 { 5 } else { 1 }));
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
        let mut c = throughput.restore(&cluster);
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
        let batches = o.calls / 1000;
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
    }

    // Bounded work: the batched release, payload memory, callbacks before ANALYZE.
    let mut figures = Vec::new();
    if wanted("bounded") {
        c.batch_execute("LOAD 'phone_holds'").unwrap();
        let default_batch: i32 = c.query_one("SELECT current_setting('phone_holds.release_batch')::int", &[]).unwrap().get(0);
        eprintln!("bench: bounded work, backlog {}", o.backlog);
        figures.extend(bounded::backlog_figures(&cluster, o.backlog, default_batch));
        // docs/reference/limits.md: 4 MiB of body, 50 tool calls (a smaller limit makes this fail loudly).
        figures.extend(bounded::memory_figures(&cluster, 4 * 1024 * 1024, 50));
        figures.extend(bounded::callback_figures(&cluster, o.backlog));
    }
    let inbound_figures = if wanted("inbound") { inbound::figures(&cluster, o.inbound_pool, o.inbound_calls) } else { Vec::new() };
    let vapi_figures = if wanted("vapi") { vapi_messages::figures(&cluster, o.vapi_calls) } else { Vec::new() };
    let local_figures = if wanted("local") { local::figures(&cluster, o.local_pool) } else { Vec::new() };
    let profile_text = profiling.then(|| profile::report(&cluster, throughput.as_ref().unwrap()));
    let monitoring_figures = if wanted("monitoring") { monitoring::figures(&cluster, o.history_holds, o.seconds, o.rounds, throughput.as_ref().unwrap()) } else { Vec::new() };

    // The table, printed and written.
    let mut table = String::new();
    if !rows.is_empty() {
        writeln!(table, "| measurement | pool | native | PL/pgSQL | floor | native / floor | native / PL/pgSQL |").unwrap();
        writeln!(table, "|---|---:|---:|---:|---:|---:|---:|").unwrap();
        for r in &rows {
            writeln!(table, "| {} |", r.join(" | ")).unwrap();
        }
    }
    if !figures.is_empty() {
        writeln!(
            table,
            "\n## Bounded work\n\nBacklog: {} numbers due, as many free; bookings: one session, one `extend_phone_for_appointment` \
             per transaction on leads of the backlog, while the release runs. Memory: VmHWM growth of a fresh backend over one call \
             of the largest accepted body. Callbacks: leads whose numbers the release just returned book again, before and after \
             ANALYZE (autovacuum off).\n",
            o.backlog
        )
        .unwrap();
        figure_table(&mut table, &figures, &mut checks);
    }
    if !inbound_figures.is_empty() {
        writeln!(
            table,
            "\n## Inbound calls\n\n`vapi_assistant_request()` on a pool of {} numbers with ten ledger rows each: a third \
             held, a third released two days before (inside the callback window), a third twenty days before; one call in a \
             hundred to a number not in the pool. Each call timed in the backend (PL/pgSQL loop, clock_timestamp()), after a \
             warm-up; baseline: the same bodies parsed as jsonb and looked up in the pool and the ledger by hand-written SQL. \
             Ratio: p99 / baseline p99.\n",
            o.inbound_pool
        )
        .unwrap();
        figure_table(&mut table, &inbound_figures, &mut checks);
    }
    if !vapi_figures.is_empty() {
        writeln!(
            table,
            "\n## VAPI messages\n\n`vapi_webhook()`, the one server URL, on VAPI's frequent informational messages: the \
             `speech-update` fixture and a generated `conversation-update` of 2,000 turns (about 1 MB, `message.type` last). \
             Each call timed in the backend (PL/pgSQL loop, clock_timestamp()), {} of each, after a warm-up, in ten blocks \
             alternating with the baseline: the type read with PostgreSQL's JSON parser, `(body::json) -> 'message' ->> 'type'`. \
             Ratio: p99 / baseline p99.\n",
            o.vapi_calls
        )
        .unwrap();
        figure_table(&mut table, &vapi_figures, &mut checks);
    }
    if !local_figures.is_empty() {
        writeln!(
            table,
            "\n## Local presence\n\nA new lead per transaction, assigned a number and committed, on a pool of \
             {} numbers over 300 area codes (a fifth of each held by other leads), reloaded from a template (and vacuumed) \
             before each run; pgbench, 2 clients, {} assignments per run (half the free numbers). With `lead_phone`, the number comes from the lead's area code (the phone_holds_free_by_area index); \
             without, it is the one rested longest (phone_holds_rested). The two alternate over the rounds. Ratio: with / \
             without, median of the rounds' ratios (min–max).\n",
            o.local_pool,
            local::per_run(o.local_pool)
        )
        .unwrap();
        figure_table(&mut table, &local_figures, &mut checks);
    }
    if !monitoring_figures.is_empty() {
        writeln!(
            table,
            "\n## Monitoring\n\nHistory: `phone_pool_history()` for the last 7 days at 1-hour steps, at the end of a 90-day ledger \
             of {} holds (four rows each) on 100,000 numbers, timed from the client, median of 11; baseline: one pass over \
             the window's ledger rows by the same index. Events: the throughput assignment above (pool of {}, {LEADS} \
             leads that all hold a number: each call renews a hold and commits, the busiest path there is), pgbench, 2 clients, \
             {} s a run, with `phone_holds.notify` on and off, alternating over {} rounds, each run on a fresh copy of that \
             pool; no session listens. Then the release of all that pool's holds at once, on and off, likewise. Ratio: on / off, median of the \
             rounds' ratios (min–max).\n",
            o.history_holds,
            LEADS * 10,
            o.seconds,
            o.rounds
        )
        .unwrap();
        figure_table(&mut table, &monitoring_figures, &mut checks);
    }
    let mut report = format!(
        "# phone_holds benchmark results\n\nMachine: {}. PostgreSQL {server}, extension build: {build}. \
         Cluster: throwaway, fsync off, shared_buffers 1GB.\n\n\
         Method: the variants take turns, {rounds} rounds, each round in an order rotated from the last (native, PL/pgSQL, \
         floor; then PL/pgSQL, floor, native; …), and every measurement runs on a fresh copy of the same template database \
         (CREATE DATABASE … TEMPLATE; the pool built once, then VACUUM ANALYZE), so none meets the row versions, ledger \
         rows or autovacuum another left behind. A figure is the median of its rounds (min–max); a ratio is the median \
         of the rounds' own ratios (min–max), native against the floor and against PL/pgSQL in the same round. \
         Release: on each copy a warm-up call, {IDLE_RUNS} releases with nothing due (their median is the round's \
         figure), then the due release, in a transaction rolled back. Throughput: pgbench, 2 clients, {} s a run, \
         prepared protocol, {LEADS} leads that all hold a number. The native functions run with change events off \
         throughout (neither the reference nor the floor sends any; Monitoring measures them). For time, lower is \
         better; for TPS, higher.\n\n{table}\nTargets:\n",
        machine(),
        o.seconds,
        rounds = o.rounds,
    );
    for (what, met) in &checks {
        writeln!(report, "- {} {what}", if *met { "met:" } else { "MISSED:" }).unwrap();
    }
    if let Some(text) = profile_text {
        writeln!(
            report,
            "\n## Profile\n\nperf on the two backends while pgbench runs the throughput transactions above (a fresh copy \
             each, {} s sampled at {} Hz, call chains by DWARF), native, PL/pgSQL and floor in turn. Each transaction's \
             backend CPU is split into the SQL the function runs (inside SPI_execute_plan), the function's own code around \
             that SQL (for native: argument conversion, GUC reads, SPI connect, error guards, plan lookup, memory; for \
             PL/pgSQL, its interpreter) and the rest of the transaction (the statement pgbench sends, the protocol, the \
             commit); the floor has no function, so all of it is the rest. One run each: read the shares, and the throughput table for the rates.\n\n{text}",
            profile::SECONDS,
            profile::HZ
        )
        .unwrap();
    }
    println!("{report}");
    if let Some(out) = o.out {
        std::fs::write(&out, &report).unwrap();
        eprintln!("bench: written to {out}");
    }
}
