//! The phone_holds benchmark: native functions against the PL/pgSQL reference
//! (bench/reference_plpgsql.sql) and the bare-SQL floor (bench/floor.sql, bench/pgbench/floor_*),
//! side by side in one throwaway cluster, as ratios: these machines are noisy, so only
//! figures taken in the same run are compared, and the variants take turns in rotated rounds,
//! each on a fresh copy of the same tables (rounds.rs, template.rs), so their order and what
//! another left behind do not move the figures.
//!
//! `bench [--pools 1000,100000,1000000] [--seconds 3] [--calls 1000000] [--backlog 100000]
//!        [--inbound-pool 100000] [--inbound-calls 20000] [--local-pool 100000] [--history-holds 252500]
//!        [--vapi-calls 2000] [--rounds 9] [--versions 15,18]
//!        [--only throughput|bounded|inbound|local|vapi|monitoring|profile] [--out FILE]`
//!
//! `--versions`: the variants' table (release and throughput) on each version named, each in a
//! cluster of its own; everything else on the first (versions.rs). The version under test
//! (PHONE_HOLDS_PG_CONFIG, Debian's 15 by default) when not given. A section that cannot run
//! says why in the report and the rest goes on; the driver then exits 1 (sections.rs).

mod bounded;
mod extras;
mod inbound;
mod local;
mod monitoring;
mod profile;
mod profile_split;
mod rounds;
mod sections;
mod sizing;
mod template;
mod vapi_messages;
mod variants;
mod versions;

use bounded::Figure;
use phone_holds_e2e::Cluster;
pub(crate) use rounds::median;
use sections::{attempt, not_run};
use template::Template;
use postgres::Client;
use std::fmt::Write as _;

pub(crate) const T0: &str = "2025-10-18 12:00:00+00";
/// Two hours before every hold in the pools ends: a release with nothing due.
pub(crate) const IDLE_AS_OF: &str = "2025-10-18 10:00:00+00";
/// The native functions' setting in every comparison with the fixtures, which send no events.
pub(crate) const EVENTS_OFF: &str = "SET phone_holds.notify = off";
/// Releases with nothing due timed per session, after its warm-up call.
pub(crate) const IDLE_RUNS: usize = 9;
pub(crate) const DUE: i64 = 10_000;
/// Every cluster's settings: room for the largest pool, no checkpoint in a measurement.
const SETTINGS: [&str; 3] = ["shared_buffers=1GB", "max_wal_size=8GB", "checkpoint_timeout=30min"];
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
    /// PostgreSQL major versions: the variants' table on each, everything else on the first.
    versions: Vec<u32>,
    only: Option<String>,
    out: Option<String>,
}

fn options() -> Options {
    let mut o = Options { pools: vec![1_000, 100_000, 1_000_000], rounds: 9, seconds: 3, calls: 1_000_000, backlog: 100_000, inbound_pool: 100_000, inbound_calls: 20_000, vapi_calls: 2_000, local_pool: 100_000, history_holds: 252_500, versions: vec![phone_holds_e2e::pg_major()], only: None, out: None };
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
            "--versions" => o.versions = versions::parse(value).unwrap_or_else(|e| panic!("{e}")),
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

/// pgbench on `database` for `seconds`. The native functions run with change events off:
/// neither the reference nor the floor sends any, and the Monitoring section measures them.
pub(crate) fn pgbench(cluster: &Cluster, database: &str, script: &str, seconds: u32) -> (f64, f64) {
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
pub(crate) fn status_kib(pid: i32, field: &str) -> i64 {
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

/// A section of figures: its heading, what it measures, its table (targets added to `checks`),
/// or, when it could not run, why (added to `failed`). Nothing for a section not asked for.
fn figure_section(out: &mut String, heading: &str, intro: String, result: Option<Result<Vec<Figure>, String>>, checks: &mut Vec<(String, bool)>, failed: &mut Vec<String>) {
    match result {
        None => {}
        Some(Ok(figures)) if figures.is_empty() => {}
        Some(Ok(figures)) => {
            writeln!(out, "\n## {heading}\n\n{intro}\n").unwrap();
            figure_table(out, &figures, checks);
        }
        Some(Err(why)) => {
            writeln!(out, "\n## {heading}\n\n{}", not_run("this section", &why)).unwrap();
            failed.push(format!("{heading}: {why}"));
        }
    }
}

/// The variants' table on version `major`'s own cluster, after the first version's.
fn variants_on(major: u32, o: &Options) -> (String, variants::Table) {
    let pg_config = versions::pg_config(major);
    let bin = pg_config.parent().expect("pg_config lives in a bin folder").to_path_buf();
    let cluster = Cluster::start_with(&bin, &format!("bench{major}"), &[], &SETTINGS);
    let server: String = cluster.connect().query_one("SHOW server_version", &[]).unwrap().get(0);
    eprintln!("bench: PostgreSQL {server}: throughput pool ({} numbers, {LEADS} leads holding one)", LEADS * 10);
    let throughput = Template::create(&cluster, "bench_throughput", |c| {
        throughput_pool(c);
        sizing::check_throughput_pool(c);
    });
    (server, variants::table(&cluster, &throughput, &o.pools, o.rounds, o.seconds))
}

fn main() {
    let o = options();
    let primary = o.versions[0];
    let bin = versions::pg_config(primary).parent().expect("pg_config lives in a bin folder").to_path_buf();
    let cluster = Cluster::start_with(&bin, "bench", &[], &SETTINGS);
    let mut c = cluster.connect();
    c.batch_execute("CREATE EXTENSION phone_holds; SELECT phone_holds_setup();").unwrap();
    let server: String = c.query_one("SHOW server_version", &[]).unwrap().get(0);
    let build = std::env::var("PHONE_HOLDS_BUILD").unwrap_or_else(|_| "as installed".into());
    let mut checks: Vec<(String, bool)> = Vec::new();
    // Sections that could not run, with why: the report says so in their place.
    let mut failed: Vec<String> = Vec::new();
    let mut body = String::new();
    let wanted = |part: &str| o.only.as_deref().is_none_or(|only| only == part);
    let several = o.versions.len() > 1;
    // Checks of a version's table name the version when a run has more than one.
    let label = |major: u32, checks: Vec<(String, bool)>| -> Vec<(String, bool)> {
        checks.into_iter().map(|(what, met)| (if several { format!("PostgreSQL {major}: {what}") } else { what }, met)).collect()
    };
    // The profile needs perf, and root: part of a full run of the release build where both are
    // there (a debug build's profile says nothing about the release's), or asked for alone.
    let mut no_profile = None;
    let profiling = match o.only.as_deref() {
        Some(only) => only == "profile",
        None if build == "release" && !profile::possible() => {
            eprintln!("bench: no profile: it needs perf (Debian: linux-perf) and root");
            no_profile = Some("it needs perf (Debian: linux-perf) and root");
            false
        }
        None => build == "release",
    };

    // Every run on it takes at most one free number per lead without one, whatever its length
    // (sizing.rs), which is checked once the pool is made.
    let throughput = (wanted("throughput") || wanted("monitoring") || profiling).then(|| {
        eprintln!("bench: throughput pool ({} numbers, {LEADS} leads holding one)", LEADS * 10);
        attempt(|| {
            Template::create(&cluster, "bench_throughput", |c| {
                throughput_pool(c);
                sizing::check_throughput_pool(c);
            })
        })
    });
    // For a section on the throughput pool: the pool, or a panic saying why there is none.
    let pool = || match throughput.as_ref().expect("the throughput pool is made for the sections that use it") {
        Ok(t) => t,
        Err(why) => panic!("the throughput pool could not be made: {why}"),
    };
    if wanted("throughput") {
        let heading = format!("Release and throughput: PostgreSQL {server}");
        match attempt(|| {
            let (mut rows, mut table_checks) = variants::table(&cluster, pool(), &o.pools, o.rounds, o.seconds);
            let (extra_rows, extra_checks) = extras::rows(&cluster, pool(), o.rounds, o.seconds, o.calls);
            rows.extend(extra_rows);
            table_checks.extend(extra_checks);
            (rows, table_checks)
        }) {
            Ok((rows, table_checks)) => {
                write!(body, "## {heading}\n\n{}", variants::markdown(&rows)).unwrap();
                checks.extend(label(primary, table_checks));
            }
            Err(why) => {
                writeln!(body, "## {heading}\n\n{}", not_run("this table", &why)).unwrap();
                failed.push(format!("{heading}: {why}"));
            }
        }
        for &major in &o.versions[1..] {
            eprintln!("bench: the variants' table on PostgreSQL {major}");
            match attempt(|| variants_on(major, &o)) {
                Ok((server, (rows, table_checks))) => {
                    write!(
                        body,
                        "\n## Release and throughput: PostgreSQL {server}\n\nThe table above, on a cluster of PostgreSQL {major} of its own \
                         (same settings and rounds, the extension built the same way from the same source): its ratios are within this server, as above.\n\n{}",
                        variants::markdown(&rows)
                    )
                    .unwrap();
                    checks.extend(label(major, table_checks));
                }
                Err(why) => {
                    writeln!(body, "\n## Release and throughput: PostgreSQL {major}\n\n{}", not_run("this table", &why)).unwrap();
                    failed.push(format!("the variants' table on PostgreSQL {major}: {why}"));
                }
            }
        }
    }

    // Bounded work: the batched release, payload memory, callbacks before ANALYZE.
    let bounded_figures = wanted("bounded").then(|| {
        attempt(|| {
            c.batch_execute("LOAD 'phone_holds'").unwrap();
            let default_batch: i32 = c.query_one("SELECT current_setting('phone_holds.release_batch')::int", &[]).unwrap().get(0);
            eprintln!("bench: bounded work, backlog {}", o.backlog);
            let mut figures = bounded::backlog_figures(&cluster, o.backlog, default_batch);
            // docs/reference/limits.md: 4 MiB of body, 50 tool calls (a smaller limit makes this fail loudly).
            figures.extend(bounded::memory_figures(&cluster, 4 * 1024 * 1024, 50));
            figures.extend(bounded::callback_figures(&cluster, o.backlog));
            figures
        })
    });
    let inbound_figures = wanted("inbound").then(|| attempt(|| inbound::figures(&cluster, o.inbound_pool, o.inbound_calls)));
    let vapi_figures = wanted("vapi").then(|| attempt(|| vapi_messages::figures(&cluster, o.vapi_calls)));
    let local_figures = wanted("local").then(|| attempt(|| local::figures(&cluster, o.local_pool)));
    let profile_text = profiling.then(|| match attempt(|| profile::report(&cluster, pool())) {
        Ok((text, profile_failed)) => {
            failed.extend(profile_failed);
            text
        }
        Err(why) => {
            failed.push(format!("Profile: {why}"));
            not_run("the profile", &why)
        }
    });
    let monitoring_figures = wanted("monitoring").then(|| attempt(|| monitoring::figures(&cluster, o.history_holds, o.seconds, o.rounds, pool())));

    figure_section(
        &mut body,
        "Bounded work",
        format!(
            "Backlog: {} numbers due, as many free; bookings: one session, one `extend_phone_for_appointment` \
             per transaction on leads of the backlog, while the release runs. Memory: VmHWM growth of a fresh backend over one call \
             of the largest accepted body. Callbacks: leads whose numbers the release just returned book again, before and after \
             ANALYZE (autovacuum off).",
            o.backlog
        ),
        bounded_figures,
        &mut checks,
        &mut failed,
    );
    figure_section(
        &mut body,
        "Inbound calls",
        format!(
            "`vapi_assistant_request()` on a pool of {} numbers with ten ledger rows each: a third \
             held, a third released two days before (inside the callback window), a third twenty days before; one call in a \
             hundred to a number not in the pool. Each call timed in the backend (PL/pgSQL loop, clock_timestamp()), after a \
             warm-up; baseline: the same bodies parsed as jsonb and looked up in the pool and the ledger by hand-written SQL. \
             Ratio: p99 / baseline p99.",
            o.inbound_pool
        ),
        inbound_figures,
        &mut checks,
        &mut failed,
    );
    figure_section(
        &mut body,
        "VAPI messages",
        format!(
            "`vapi_webhook()`, the one server URL, on VAPI's frequent informational messages: the \
             `speech-update` fixture and a generated `conversation-update` of 2,000 turns (about 1 MB, `message.type` last). \
             Each call timed in the backend (PL/pgSQL loop, clock_timestamp()), {} of each, after a warm-up, in ten blocks \
             alternating with the baseline: the type read with PostgreSQL's JSON parser, `(body::json) -> 'message' ->> 'type'`. \
             Ratio: p99 / baseline p99.",
            o.vapi_calls
        ),
        vapi_figures,
        &mut checks,
        &mut failed,
    );
    figure_section(
        &mut body,
        "Local presence",
        format!(
            "A new lead per transaction, assigned a number and committed, on a pool of \
             {} numbers over 300 area codes (a fifth of each held by other leads), reloaded from a template (and vacuumed) \
             before each run; pgbench, 2 clients, {} assignments per run (half the free numbers). With `lead_phone`, the number comes from the lead's area code (the phone_holds_free_by_area index); \
             without, it is the one rested longest (phone_holds_rested). The two alternate over the rounds. Ratio: with / \
             without, median of the rounds' ratios (min–max).",
            o.local_pool,
            local::per_run(o.local_pool)
        ),
        local_figures,
        &mut checks,
        &mut failed,
    );
    figure_section(
        &mut body,
        "Monitoring",
        format!(
            "History: `phone_pool_history()` for the last 7 days at 1-hour steps, at the end of a 90-day ledger \
             of {} holds (four rows each) on 100,000 numbers, timed from the client, median of 11; baseline: one pass over \
             the window's ledger rows by the same index. Events: the throughput assignment above (pool of {}, {LEADS} \
             leads that all hold a number: each call renews a hold and commits, the busiest path there is), pgbench, 2 clients, \
             {} s a run, with `phone_holds.notify` on and off, alternating over {} rounds, each run on a fresh copy of that \
             pool; no session listens. Then the release of all that pool's holds at once, on and off, likewise. Ratio: on / off, median of the \
             rounds' ratios (min–max).",
            o.history_holds,
            LEADS * 10,
            o.seconds,
            o.rounds
        ),
        monitoring_figures,
        &mut checks,
        &mut failed,
    );

    // The report, printed and written.
    let versions_note = if several {
        let others: Vec<String> = o.versions[1..].iter().map(|v| v.to_string()).collect();
        format!(
            " The release and throughput table also runs on PostgreSQL {}, each version on a throwaway cluster of its own with \
             the same settings and rounds, so every ratio is taken within one server; the rows under the first table (5 live \
             appointments, memory) and every other section (Bounded work, Inbound calls, VAPI messages, Local presence, \
             Monitoring, Profile) run on PostgreSQL {primary} only. Targets on a version's table name the version.",
            others.join(", ")
        )
    } else {
        String::new()
    };
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
         better; for TPS, higher.{versions_note} A section that could not run says why in its place.\n\n{body}\nTargets:\n",
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
             each, {} s sampled at {} Hz, call chains by DWARF, the run going on {} s past the window), native, PL/pgSQL and floor in turn. Each transaction's \
             backend CPU is split into the SQL the function runs (inside SPI_execute_plan), the function's own code around \
             that SQL (for native: argument conversion, GUC reads, SPI connect, error guards, plan lookup, memory; for \
             PL/pgSQL, its interpreter) and the rest of the transaction (the statement pgbench sends, the protocol, the \
             commit); the floor has no function, so all of it is the rest. One run each: read the shares, and the throughput table for the rates.\n\n{text}",
            profile::SECONDS,
            profile::HZ,
            profile::TRAIL
        )
        .unwrap();
    } else if let Some(why) = no_profile {
        writeln!(report, "\n## Profile\n\n{}", not_run("the profile", why)).unwrap();
    }
    println!("{report}");
    if let Some(out) = &o.out {
        std::fs::write(out, &report).unwrap();
        eprintln!("bench: written to {out}");
    }
    // The clusters go before the exit, which runs no destructor.
    drop(c);
    drop(cluster);
    if !failed.is_empty() {
        eprintln!("bench: {} part(s) could not run (the report says why in place):", failed.len());
        for f in &failed {
            eprintln!("  - {f}");
        }
        std::process::exit(1);
    }
}
