//! Helpers shared by the `#[pg_test]`s: fixed leads and times, pool set-up, row reads, and a
//! way to capture an error's SQLSTATE, message and hint without aborting the test.

use chrono::{TimeDelta, TimeZone, Utc};
use pgrx::prelude::*;

pub const LEAD_A: &str = "07f26a19-e9dc-422c-b61d-030e3c7971bb";
pub const LEAD_B: &str = "2b1c1f4e-5d7a-4c3e-9a10-8f3d2e6b7c01";
pub const LEAD_C: &str = "9e8d7c6b-5a49-4837-a625-1403f2e1d0c9";

/// `T0 + hours` as PostgreSQL prints a timestamptz with `TimeZone = UTC`;
/// T0 is the seed's "Oct 18" (2025-10-18 12:00 UTC).
pub fn at(hours: i64) -> String {
    let t0 = Utc.with_ymd_and_hms(2025, 10, 18, 12, 0, 0).unwrap();
    (t0 + TimeDelta::hours(hours)).format("%Y-%m-%d %H:%M:%S+00").to_string()
}

/// `text` as an SQL string literal, for building test statements.
pub fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// `at(hours)` as a SQL literal.
pub fn ts(hours: i64) -> String {
    format!("'{}'::timestamptz", at(hours))
}

/// What a new database gets after `CREATE EXTENSION phone_holds; SELECT phone_holds_setup();`,
/// inside the test's transaction (rolled back after it): times print in UTC.
pub fn set_up() {
    Spi::run("SET LOCAL TimeZone = 'UTC'").unwrap();
    Spi::run("SELECT count(*) FROM phone_holds_setup()").unwrap();
}

/// Every test starts here or at [`set_up`]: `count` numbers wait in the pool,
/// named +1555000000k so their order is their name order.
pub fn pool_of(count: i32) {
    set_up();
    Spi::run_with_args(
        "INSERT INTO public.signalwire_phone_numbers (number, name, vapi_phone_number_id)
         SELECT '+1555' || lpad(i::text, 7, '0'), 'Line ' || i, 'vapi-' || i
           FROM generate_series(1, $1) AS i",
        &[count.into()],
    )
    .unwrap();
}

pub fn one(sql: &str) -> Option<String> {
    Spi::get_one::<String>(sql).unwrap()
}

/// The number a lead holds now, if any.
pub fn number_of(lead: &str) -> Option<String> {
    Spi::get_one_with_args::<String>(
        "SELECT (SELECT number FROM public.signalwire_phone_numbers
                  WHERE currently_assigned_to = $1::uuid AND assignment_status = 'assigned')",
        &[lead.into()],
    )
    .unwrap()
}

/// A pool row as text: (status, lead, release_at, appointment, last outcome).
pub fn row(number: &str) -> (String, Option<String>, Option<String>, Option<String>, Option<String>) {
    Spi::connect(|c| {
        let r = c
            .select(
                "SELECT assignment_status, currently_assigned_to::text, release_at::text,
                        appointment_scheduled_at::text, last_call_outcome
                   FROM public.signalwire_phone_numbers WHERE number = $1",
                None,
                &[number.into()],
            )
            .unwrap()
            .first();
        (r.get(1).unwrap().unwrap(), r.get(2).unwrap(), r.get(3).unwrap(), r.get(4).unwrap(), r.get(5).unwrap())
    })
}

pub fn count(sql: &str) -> i64 {
    Spi::get_one::<i64>(sql).unwrap().unwrap()
}

/// Everything the extension can change, as one string: both tables, every column, in order.
pub fn state() -> String {
    one("SELECT coalesce((SELECT string_agg(p::text, E'\\n' ORDER BY p.number) FROM public.signalwire_phone_numbers AS p), '')
             || E'\\n--\\n' ||
            coalesce((SELECT string_agg(l::text, E'\\n' ORDER BY l.id) FROM public.phone_hold_ledger AS l), '')")
    .unwrap()
}

/// Row writes this transaction has attempted on the two tables, including those of
/// subtransactions that were rolled back: a refused call must not even have started writing.
pub fn writes_attempted() -> i64 {
    count(
        "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)::int8 FROM pg_stat_xact_user_tables
          WHERE relid IN ('public.signalwire_phone_numbers'::regclass, 'public.phone_hold_ledger'::regclass)",
    )
}

/// What a failing statement raised, caught in a subtransaction so the test goes on.
#[derive(Debug)]
pub struct Failure {
    pub sqlstate: String,
    pub message: String,
    pub hint: String,
    pub detail: String,
}

/// Runs `sql` and returns its error; panics if it succeeds.
pub fn failure(sql: &str) -> Failure {
    Spi::run(
        "CREATE OR REPLACE FUNCTION pg_temp.phone_holds_failure(query text) RETURNS text[]
         LANGUAGE plpgsql AS $f$
         DECLARE state text; msg text; hint text; detail text;
         BEGIN
             EXECUTE query;
             RETURN NULL;
         EXCEPTION WHEN OTHERS THEN
             GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, hint = PG_EXCEPTION_HINT, detail = PG_EXCEPTION_DETAIL;
             RETURN ARRAY[state, msg, hint, detail];
         END $f$",
    )
    .unwrap();
    let caught: Option<Vec<Option<String>>> =
        Spi::get_one_with_args("SELECT pg_temp.phone_holds_failure($1)", &[sql.into()]).unwrap();
    let caught = caught.unwrap_or_else(|| panic!("expected an error from: {sql}"));
    let field = |i: usize| caught[i].clone().unwrap_or_default();
    Failure { sqlstate: field(0), message: field(1), hint: field(2), detail: field(3) }
}

/// Asserts `sql` fails with `sqlstate`, a message containing `message_part`, a hint, that
/// neither table changed, and that no write was even attempted before the refusal.
pub fn assert_refused(sql: &str, sqlstate: &str, message_part: &str) -> Failure {
    let before = state();
    let writes_before = writes_attempted();
    let f = failure(sql);
    assert_eq!(writes_attempted(), writes_before, "{sql} wrote before failing: {f:?}");
    assert_eq!(f.sqlstate, sqlstate, "{sql}: {f:?}");
    assert!(f.message.contains(message_part), "{sql}: message {:?} lacks {message_part:?}", f.message);
    assert!(!f.hint.is_empty(), "{sql}: no hint");
    assert_eq!(state(), before, "{sql} changed rows");
    f
}

/// `phone_holds_webhook(webhook, payload, T0 + h)` as (status, response).
pub fn hook(webhook: &str, payload: &str, h: i64) -> (i32, serde_json::Value) {
    Spi::connect(|c| {
        let r = c
            .select(
                &format!("SELECT status, response FROM phone_holds_webhook($1, $2, {})", ts(h)),
                None,
                &[webhook.into(), payload.into()],
            )
            .unwrap()
            .first();
        (r.get::<i32>(1).unwrap().unwrap(), r.get::<pgrx::datum::JsonB>(2).unwrap().unwrap().0)
    })
}
