//! The ledger: every hold change recorded, and who held a number at a given moment.

use pgrx::prelude::*;

#[pg_schema]
mod tests {
    use crate::tests::support::*;
    use pgrx::prelude::*;

    fn holder(number: &str, h: i64) -> Option<String> {
        one(&format!("SELECT phone_number_holder_at('{number}', {})::text", ts(h)))
    }

    #[pg_test]
    fn every_change_is_in_the_ledger_with_old_and_new_release_times() {
        pool_of(1);
        for sql in [
            format!("SELECT assign_phone_to_lead('{LEAD_A}', {})", ts(0)),
            format!("SELECT assign_phone_to_lead('{LEAD_A}', {})", ts(1)),
            format!("SELECT extend_phone_for_appointment('{LEAD_A}', {}, {})", ts(50), ts(2)),
            format!("SELECT reschedule_appointment_for_phone('{LEAD_A}', {}, {})", ts(60), ts(3)),
            format!("SELECT complete_appointment_for_phone('{LEAD_A}', 'No Show', {})", ts(61)),
            format!("SELECT release_expired_phone_numbers({})", ts(85)),
        ] {
            Spi::run(&sql).unwrap();
        }
        let rows = one(
            "SELECT string_agg(concat_ws(' ', at, event, number, lead_id, old_release_at, new_release_at, appointment_at, outcome, source, source_ref), E'\\n' ORDER BY id)
               FROM public.phone_hold_ledger",
        )
        .unwrap();
        let n = "+15550000001";
        // Every row says it came from SQL; no reference.
        let expected = [
            format!("{} assigned {n} {LEAD_A} {} sql", at(0), at(18)),
            format!("{} reused {n} {LEAD_A} {} {} sql", at(1), at(18), at(19)),
            format!("{} extended {n} {LEAD_A} {} {} {} sql", at(2), at(19), at(74), at(50)),
            format!("{} rescheduled {n} {LEAD_A} {} {} {} rescheduled sql", at(3), at(74), at(84), at(60)),
            format!("{} completed {n} {LEAD_A} {} {} {} no_show sql", at(61), at(84), at(85), at(60)),
            format!("{} released {n} {LEAD_A} {} sql", at(85), at(85)),
        ]
        .join("\n");
        assert_eq!(rows, expected);
    }

    #[pg_test]
    fn a_call_after_release_is_routed_to_the_lead_that_held_the_number() {
        pool_of(1);
        let n = "+15550000001";
        Spi::run(&format!("SELECT assign_phone_to_lead('{LEAD_A}', {})", ts(0))).unwrap();
        Spi::run(&format!("SELECT release_expired_phone_numbers({})", ts(18))).unwrap();
        Spi::run(&format!("SELECT assign_phone_to_lead('{LEAD_B}', {})", ts(30))).unwrap();
        assert_eq!(holder(n, -1), None, "before anyone held it");
        assert_eq!(holder(n, 0), Some(LEAD_A.into()));
        assert_eq!(holder(n, 17), Some(LEAD_A.into()));
        assert_eq!(holder(n, 18), None, "in the pool");
        assert_eq!(holder(n, 29), None);
        assert_eq!(holder(n, 30), Some(LEAD_B.into()));
        assert_eq!(holder("+19999999999", 30), None, "unknown number");
    }

    /// A change made by VAPI names the tool call (or, for an end-of-call report, the call)
    /// that made it.
    #[pg_test]
    fn vapi_changes_name_the_tool_call_or_the_call() {
        pool_of(2);
        let book = include_str!("../../examples/vapi/tool-calls-book.json");
        Spi::run_with_args(&format!("SELECT vapi_tool_calls($1::text, {})", ts(0)), &[book.into()]).unwrap();
        let report = include_str!("../../examples/vapi/option-b-cancelled.json");
        Spi::run_with_args(&format!("SELECT vapi_end_of_call($1::text, {})", ts(1)), &[report.into()]).unwrap();
        assert_eq!(
            one("SELECT string_agg(concat_ws(' ', event, source, source_ref), E'\\n' ORDER BY id) FROM public.phone_hold_ledger").as_deref(),
            Some("assigned vapi call_book_07f26a19\nextended vapi call_book_07f26a19\ncompleted vapi b1e2c3d4-0000-4000-8000-00000000ca14")
        );
    }

    /// A change dated before the number's last ledger row (a transaction that began before
    /// another one released the number, or a caller's earlier `as_of`) is written at that
    /// row's time: a number's rows in time order are its rows in the order they happened.
    #[pg_test]
    fn the_ledger_s_time_never_goes_back_for_a_number() {
        pool_of(1);
        Spi::run("SET LOCAL phone_holds.min_rest = 0").unwrap();
        let n = "+15550000001";
        Spi::run(&format!("SELECT assign_phone_to_lead('{LEAD_A}', {})", ts(0))).unwrap();
        Spi::run(&format!("SELECT complete_appointment_for_phone('{LEAD_A}', 'cancelled', {0}); SELECT release_expired_phone_numbers({0})", ts(20))).unwrap();
        // B's call started at T0 + 10 h and got the number once A's release committed.
        Spi::run(&format!("SELECT assign_phone_to_lead('{LEAD_B}', {})", ts(10))).unwrap();
        Spi::run(&format!("SELECT extend_phone_for_appointment('{LEAD_B}', {}, {})", ts(40), ts(11))).unwrap();
        Spi::run(&format!("SELECT complete_appointment_for_phone('{LEAD_B}', 'showed', {})", ts(12))).unwrap();
        assert_eq!(
            count("SELECT count(*) FROM (SELECT id, row_number() OVER (ORDER BY at, id) AS by_time, row_number() OVER (ORDER BY id) AS by_id
                                           FROM public.phone_hold_ledger) AS o WHERE by_time <> by_id"),
            0,
            "{}",
            one("SELECT string_agg(concat_ws(' ', id, at, event, lead_id), E'\\n' ORDER BY id) FROM public.phone_hold_ledger").unwrap()
        );
        assert_eq!(holder(n, 20), Some(LEAD_B.into()));
        assert_eq!(count("SELECT count(*) FROM phone_holds_check()"), 0);
        // A release dated before the number's last row (retired while C held it) is written
        // at that row's time too, and so is the pool's released_at.
        Spi::run(&format!("SELECT release_expired_phone_numbers({})", ts(100))).unwrap();
        Spi::run(&format!("SELECT assign_phone_to_lead('{LEAD_C}', {})", ts(100))).unwrap();
        Spi::run(&format!("SELECT retire_phone_number('{n}', 'Spam Likely on carriers', {})", ts(200))).unwrap();
        assert_eq!(count(&format!("SELECT release_expired_phone_numbers({})::int8", ts(150))), 1);
        assert_eq!(one("SELECT concat_ws(' ', event, at) FROM public.phone_hold_ledger ORDER BY id DESC LIMIT 1"), Some(format!("released {}", at(200))));
        assert_eq!(one(&format!("SELECT released_at::text FROM public.signalwire_phone_numbers WHERE number = '{n}'")), Some(at(200)));
        assert_eq!(holder(n, 200), None);
        assert_eq!(count("SELECT count(*) FROM phone_holds_check()"), 0);
    }

    /// Retiring and restoring date their rows the same way: never before the number's last.
    #[pg_test]
    fn retiring_and_restoring_are_never_dated_before_the_number_s_last_row() {
        pool_of(1);
        let n = "+15550000001";
        Spi::run(&format!("SELECT assign_phone_to_lead('{LEAD_A}', {})", ts(10))).unwrap();
        Spi::run(&format!("SELECT retire_phone_number('{n}', 'Spam Likely on carriers', {})", ts(5))).unwrap();
        Spi::run(&format!("SELECT restore_phone_number('{n}', {})", ts(1))).unwrap();
        assert_eq!(
            one("SELECT string_agg(concat_ws(' ', event, at), ', ' ORDER BY id) FROM public.phone_hold_ledger"),
            Some(format!("assigned {0}, retired {0}, restored {0}", at(10)))
        );
    }
}
