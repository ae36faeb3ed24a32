//! Inbound calls (issue 14's figure): how long `vapi_assistant_request()` takes in the database
//! on a 100,000-number pool with a 1,000,000-row ledger, against VAPI's 7.5 s budget.
//!
//! Each call is timed inside the backend (clock_timestamp() around it in a PL/pgSQL loop), so
//! the figure is the database's time, without the network. The baseline, in the same run, is
//! the least any implementation does for the same body: parse it as jsonb, find the number by
//! its primary key and the ledger's latest row for it.

use crate::bounded::{spread, Figure};
use phone_holds_e2e::Cluster;

const T0: &str = "2025-10-18 12:00:00+00";
const ASSISTANT: &str = "5b0a4c1e-8f7d-4e2a-9c3b-1d2e3f4a5b6c";

/// `numbers` numbers, ten ledger rows each (three past holds and a fourth event): a third held
/// now, a third released two days before T0 (inside the callback window), a third released
/// twenty days before (outside it). Every assignment records the lead's phone.
fn load(c: &mut postgres::Client, numbers: i64) {
    c.batch_execute(&format!(
        "TRUNCATE public.signalwire_phone_numbers, public.phone_hold_ledger RESTART IDENTITY;
         INSERT INTO public.phone_hold_ledger (at, event, number, lead_id, new_release_at, appointment_at, lead_phone)
         SELECT last_at - make_interval(hours => 12 * (last_j - j)),
                (ARRAY['assigned', 'extended', 'released'])[(j + 2) % 3 + 1],
                '+1555' || lpad(i::text, 7, '0'),
                md5(i || '-' || (j + 2) / 3)::uuid,
                last_at + interval '1 day',
                CASE WHEN (j + 2) % 3 = 1 THEN last_at + interval '2 days' END,
                CASE WHEN (j + 2) % 3 = 0 THEN '+1666' || lpad(i::text, 7, '0') END
           FROM generate_series(1, {numbers}) AS i,
                LATERAL (SELECT CASE i % 3 WHEN 0 THEN 10 ELSE 9 END AS last_j,
                                '{T0}'::timestamptz - CASE i % 3 WHEN 0 THEN interval '1 hour'
                                                               WHEN 1 THEN interval '2 days'
                                                               ELSE interval '20 days' END AS last_at) AS k,
                LATERAL generate_series(last_j - 9, last_j) AS j;
         INSERT INTO public.signalwire_phone_numbers
                (number, assignment_status, currently_assigned_to, release_at, appointment_scheduled_at, last_call_outcome, released_at)
         SELECT '+1555' || lpad(i::text, 7, '0'),
                CASE WHEN i % 3 = 0 THEN 'assigned' ELSE 'available' END,
                CASE WHEN i % 3 = 0 THEN md5(i || '-4')::uuid END,
                CASE WHEN i % 3 = 0 THEN '{T0}'::timestamptz + interval '17 hours' END,
                CASE WHEN i % 3 = 0 THEN '{T0}'::timestamptz + interval '30 hours' END,
                CASE WHEN i % 3 = 1 THEN 'no_show' END,
                CASE WHEN i % 3 = 1 THEN '{T0}'::timestamptz - interval '2 days'
                     WHEN i % 3 = 2 THEN '{T0}'::timestamptz - interval '20 days' END
           FROM generate_series(1, {numbers}) AS i;"
    ))
    .unwrap();
    // Each on its own: VACUUM cannot run in the implicit transaction of a multi-statement query.
    c.batch_execute("VACUUM ANALYZE public.signalwire_phone_numbers").unwrap();
    c.batch_execute("VACUUM ANALYZE public.phone_hold_ledger").unwrap();
}

/// An assistant-request for a call to pool number `i` (0: a number not in the pool) from the
/// phone its lead was dialed on, or another for one call in seven.
fn body(i: i64) -> String {
    let called = if i == 0 { "+19999999999".to_owned() } else { format!("+1555{i:07}") };
    let caller = if i % 7 == 0 { "+17770000000".to_owned() } else { format!("+1666{i:07}") };
    format!(
        r#"{{"message": {{"type": "assistant-request", "phoneNumber": {{"id": "4f1c2d3e-0000-4000-8000-000000000001", "number": "{called}"}},
            "customer": {{"number": "{caller}"}},
            "call": {{"id": "c0ffee00-0000-4000-8000-000000000001", "type": "inboundPhoneCall", "customer": {{"number": "{caller}"}}}}}}}}"#
    )
}

/// Each body's time in the backend, in ms, for the function or the baseline.
const TIMER: &str = "
    CREATE FUNCTION pg_temp.time_inbound(bodies text[], as_of timestamptz, baseline boolean) RETURNS float8[]
    LANGUAGE plpgsql AS $f$
    DECLARE
        b text;
        started timestamptz;
        answer jsonb;
        lead uuid;
        last_lead uuid;
        took float8[] := '{}';
    BEGIN
        FOREACH b IN ARRAY bodies LOOP
            started := clock_timestamp();
            IF baseline THEN
                SELECT n.currently_assigned_to, l.lead_id INTO lead, last_lead
                  FROM public.signalwire_phone_numbers AS n
                  LEFT JOIN LATERAL (SELECT x.lead_id FROM public.phone_hold_ledger AS x
                                      WHERE x.number = n.number AND x.at <= as_of
                                      ORDER BY x.at DESC, x.id DESC LIMIT 1) AS l ON true
                 WHERE n.number = (b::jsonb #>> '{message,phoneNumber,number}');
            ELSE
                answer := public.vapi_assistant_request(b, as_of);
            END IF;
            took := took || (extract(epoch FROM clock_timestamp() - started) * 1000)::float8;
        END LOOP;
        RETURN took;
    END $f$;";

pub fn figures(cluster: &Cluster, numbers: i64, calls: i64) -> Vec<Figure> {
    let mut c = cluster.connect();
    load(&mut c, numbers);
    let rows: i64 = c.query_one("SELECT count(*) FROM public.phone_hold_ledger", &[]).unwrap().get(0);
    eprintln!("bench: inbound, pool {numbers}, ledger {rows} rows");
    c.batch_execute(&format!("SET phone_holds.vapi_assistant_id = '{ASSISTANT}'; {TIMER}")).unwrap();
    // Numbers in a fixed shuffled order, one in a hundred not in the pool.
    let bodies: Vec<String> = (1..=calls).map(|k| body(if k % 100 == 0 { 0 } else { (k * 7919) % numbers + 1 })).collect();
    let as_of: &str = T0;
    let time = |c: &mut postgres::Client, baseline: bool| -> Vec<f64> {
        let sql = format!("SELECT pg_temp.time_inbound($1, '{as_of}', {baseline})");
        // Warm the plans and the caches first, then measure.
        c.query_one(&sql, &[&bodies[..200.min(bodies.len())].to_vec()]).unwrap();
        c.query_one(&sql, &[&bodies]).unwrap().get(0)
    };
    // What the answers were, so the figure is known to cover every kind of number.
    let kinds: Vec<(String, i64)> = c
        .query(
            "SELECT coalesce(a -> 'assistantOverrides' -> 'variableValues' ->> 'number_status', 'error'), count(*)
               FROM unnest($1::text[]) AS b, LATERAL (SELECT vapi_assistant_request(b, $2::text::timestamptz) AS a) AS r
              GROUP BY 1 ORDER BY 1",
            &[&bodies, &as_of],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let native = spread(time(&mut c, false));
    let floor = spread(time(&mut c, true));
    let mix = kinds.iter().map(|(k, n)| format!("{n} {k}")).collect::<Vec<_>>().join(", ");
    vec![Figure {
        what: format!(
            "vapi_assistant_request, pool {numbers}, ledger {rows} rows: time in the database (n={}: {mix}), p50 / p99 / max ms",
            native.0
        ),
        value: format!("{:.3} / {:.3} / {:.2}", native.1, native.2, native.3),
        baseline: format!("{:.3} / {:.3} / {:.2}", floor.1, floor.2, floor.3),
        // p99 over the baseline's p99. The target is on the p99 itself, which the check quotes.
        ratio: format!("{:.2}", native.2 / floor.2),
        target: "p99 ≤ 5".into(),
        met: Some(native.2 <= 5.0),
    }]
}
