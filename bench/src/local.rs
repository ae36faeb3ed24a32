//! Local presence (issue 11's figure): assigning a new lead a number of its own area code costs
//! about what assigning it any number does, on 100,000 numbers over 300 area codes.
//!
//! Both variants run the same pgbench transaction (a new lead, its area code looked up, a
//! number assigned) but for the phone passed. The pool is reloaded from a template before each
//! run, so every run starts from the same table, and the variants alternate over the rounds.

use crate::bounded::Figure;
use crate::{median, pgbench_run};
use phone_holds_e2e::Cluster;

const T0: &str = "2025-10-18 12:00:00+00";
const AREAS: i64 = 300;
const ROUNDS: usize = 6;

/// Assignments per run: half the free numbers (four fifths of the pool), so a run never meets
/// an empty pool however fast it goes.
pub fn per_run(numbers: i64) -> i64 {
    numbers * 2 / 5
}

/// `numbers` numbers spread evenly over the first 300 area codes phone_holds knows, a fifth of
/// each area code's held for days by other leads, the rest free and rested for various times,
/// kept in `bench_pool` to reload from; `bench_areas` lists the area codes for the pgbench
/// scripts. (A pool with holds in it, as in use: planned on a pool with none, the lookup of a
/// lead's current number keeps a plan that walks every hold made since; see RESULTS.md.)
pub(crate) fn prepare(c: &mut postgres::Client, numbers: i64) {
    c.batch_execute(&format!(
        "DROP TABLE IF EXISTS bench_areas, bench_pool;
         CREATE TABLE bench_areas AS
         SELECT row_number() OVER (ORDER BY area_code)::int AS k, area_code FROM phone_holds_area_codes() ORDER BY area_code LIMIT {AREAS};
         CREATE UNIQUE INDEX ON bench_areas (k);
         CREATE TABLE bench_pool AS
         SELECT '+1' || a.area_code || lpad((i / {AREAS})::text, 7, '0') AS number,
                CASE WHEN held THEN md5(i::text)::uuid END AS lead_id,
                CASE WHEN held THEN '{T0}'::timestamptz + interval '10 days' END AS release_at,
                '{T0}'::timestamptz - make_interval(mins => (i * 7919) % 100000) AS released_at
           FROM generate_series(0, {numbers} - 1) AS i
           CROSS JOIN LATERAL (SELECT (i / {AREAS}) % 5 = 0 AS held) AS h
           JOIN bench_areas AS a ON a.k = i % {AREAS} + 1;"
    ))
    .unwrap();
    c.batch_execute("VACUUM ANALYZE bench_areas").unwrap();
}

/// The pool as `prepare` made it, with the holds' ledger rows.
pub(crate) fn reload(c: &mut postgres::Client) {
    c.batch_execute(&format!(
        "TRUNCATE public.signalwire_phone_numbers, public.phone_hold_ledger RESTART IDENTITY;
         INSERT INTO public.signalwire_phone_numbers (number, assignment_status, currently_assigned_to, release_at, released_at)
         SELECT number, CASE WHEN lead_id IS NULL THEN 'available' ELSE 'assigned' END, lead_id, release_at, released_at FROM bench_pool;
         INSERT INTO public.phone_hold_ledger (at, event, number, lead_id, new_release_at)
         SELECT '{T0}'::timestamptz, 'assigned', number, lead_id, release_at FROM bench_pool WHERE lead_id IS NOT NULL;"
    ))
    .unwrap();
    c.batch_execute("VACUUM ANALYZE public.signalwire_phone_numbers").unwrap();
    c.batch_execute("VACUUM ANALYZE public.phone_hold_ledger").unwrap();
}

pub fn figures(cluster: &Cluster, numbers: i64) -> Vec<Figure> {
    let mut c = cluster.connect();
    prepare(&mut c, numbers);
    reload(&mut c);
    // The scripts do what they say: with the phone, a number of its area code.
    let mut t = c.transaction().unwrap();
    let local: bool = t
        .query_one(
            "SELECT assign_phone_to_lead('00000000-0000-4000-8000-000000000001', now(), '+1' || a.area_code || '5550123') LIKE '+1' || a.area_code || '%'
               FROM bench_areas AS a WHERE a.k = 150",
            &[],
        )
        .unwrap()
        .get(0);
    t.rollback().unwrap();
    assert!(local, "the benchmark's lead got no local number");
    eprintln!("bench: local presence, pool {numbers} over {AREAS} area codes");
    let (mut any, mut area, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let order = if round % 2 == 0 { ["local_assign_any", "local_assign_area"] } else { ["local_assign_area", "local_assign_any"] };
        let mut tps = [0.0; 2];
        for script in order {
            let i = usize::from(script == "local_assign_area");
            reload(&mut c);
            // Split between the two clients.
            tps[i] = pgbench_run(cluster, script, &format!("-t {}", per_run(numbers) / 2)).0;
        }
        any.push(tps[0]);
        area.push(tps[1]);
        ratios.push(tps[1] / tps[0]);
    }
    let range = |xs: &[f64]| {
        let (lo, hi) = xs.iter().fold((f64::MAX, f64::MIN), |(lo, hi), &x| (lo.min(x), hi.max(x)));
        (lo, hi)
    };
    let (ratio_lo, ratio_hi) = range(&ratios);
    let (area_lo, area_hi) = range(&area);
    let (any_lo, any_hi) = range(&any);
    let ratio = median(ratios.clone());
    vec![Figure {
        what: format!(
            "assign a new lead, pool {numbers} over {AREAS} area codes, 2 clients: TPS with lead_phone (its area code), median of {ROUNDS} alternating rounds (min–max)"
        ),
        value: format!("{:.0} ({area_lo:.0}–{area_hi:.0})", median(area)),
        baseline: format!("{:.0} ({any_lo:.0}–{any_hi:.0}) without", median(any)),
        ratio: format!("{ratio:.2} ({ratio_lo:.2}–{ratio_hi:.2})"),
        target: "≥ 0.9".into(),
        met: Some(ratio >= 0.9),
    }]
}
