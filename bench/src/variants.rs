//! The variants' table: native against the PL/pgSQL reference and the bare-SQL floor, the
//! release on each pool and the throughput of assign, extend and complete, in interleaved
//! rounds, with the ratio targets native must meet. It runs on every version a run names
//! (versions.rs), each in its own cluster, so the ratios are always taken within one server.

use crate::rounds::{interleaved, rotation, Spread};
use crate::template::Template;
use crate::{load_pool, median, pgbench, DUE, EVENTS_OFF, IDLE_AS_OF, IDLE_RUNS, LEADS, T0};
use phone_holds_e2e::Cluster;
use postgres::Client;
use std::time::Instant;

pub const VARIANTS: [&str; 3] = ["native", "plpgsql", "floor"];

/// Rows of the table (measurement, pool, the three variants, native / floor, native /
/// PL/pgSQL) and the targets checked, each with whether it was met.
pub type Table = (Vec<[String; 7]>, Vec<(String, bool)>);

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

/// The release on each of `pools`, then the throughput on `throughput`, `rounds` rounds of
/// pgbench runs of `seconds` each.
pub fn table(cluster: &Cluster, throughput: &Template, pools: &[i64], rounds: usize, seconds: u32) -> Table {
    let (mut rows, mut checks) = (Vec::new(), Vec::new());
    let mut nothing_due_native = Vec::new();
    for &size in pools {
        let due = DUE.min(size / 2);
        let pool = Template::create(cluster, "bench_pool", |c| load_pool(c, size, due));
        eprintln!("bench: pool of {size} loaded ({due} due)");
        let runs = interleaved(VARIANTS.len(), rounds, |v| {
            let mut c = pool.restore(cluster);
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
        if size == *pools.last().unwrap() {
            checks.push((format!("release, pool {size}, {due} due: native ≤ 1.1 × floor ({})", due_to_floor.show(2)), due_to_floor.median <= 1.1));
            checks.push((
                format!("release, pool {size}, {due} due: native ≤ 0.2 × PL/pgSQL, i.e. PL/pgSQL ≥ 5 × native ({})", due_to_reference.show(2)),
                due_to_reference.median <= 0.2,
            ));
        }
    }
    if nothing_due_native.len() > 1 {
        let growth = nothing_due_native.last().unwrap() / nothing_due_native[0];
        checks.push((format!("release, nothing due: time at pool {} / time at pool {} ≤ 2 ({growth:.2})", pools.last().unwrap(), pools[0]), growth <= 2.0));
    }

    // Throughput: every lead holds a number, so each variant takes its "held" path. Each
    // run on a fresh copy of the same pool; the operations in turn within a round.
    let size = LEADS * 10;
    let ops = ["assign", "extend", "complete"];
    let (mut tps, mut lat) = (vec![vec![Vec::new(); VARIANTS.len()]; ops.len()], vec![vec![Vec::new(); VARIANTS.len()]; ops.len()]);
    for round in 0..rounds {
        eprintln!("bench: throughput, round {} of {rounds}", round + 1);
        for (k, op) in ops.iter().enumerate() {
            for v in rotation(VARIANTS.len(), round) {
                let database = throughput.copy(cluster);
                let (t, l) = pgbench(cluster, database, &format!("{}_{op}", VARIANTS[v]), seconds);
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
    (rows, checks)
}

/// The table as markdown, its header first.
pub fn markdown(rows: &[[String; 7]]) -> String {
    let mut out = String::from("| measurement | pool | native | PL/pgSQL | floor | native / floor | native / PL/pgSQL |\n|---|---:|---:|---:|---:|---:|---:|\n");
    for r in rows {
        out.push_str(&format!("| {} |\n", r.join(" | ")));
    }
    out
}
