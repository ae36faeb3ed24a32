//! Every bad input: its SQLSTATE, its message and hint, and no row changed.

use pgrx::prelude::*;

#[pg_schema]
mod tests {
    use crate::tests::support::*;
    use pgrx::prelude::*;

    /// A pool with one held, booked number, so "nothing changed" has something to protect.
    fn busy_pool() {
        pool_of(2);
        Spi::run(&format!("SELECT extend_phone_for_appointment('{LEAD_A}', {}, {})", ts(50), ts(0))).unwrap();
    }

    #[pg_test]
    fn null_arguments_are_22004_not_a_silent_null() {
        busy_pool();
        for (sql, arg) in [
            ("SELECT assign_phone_to_lead(NULL)".to_string(), "lead_id"),
            (format!("SELECT assign_phone_to_lead('{LEAD_B}', NULL)"), "as_of"),
            (format!("SELECT extend_phone_for_appointment(NULL, {})", ts(50)), "lead_id"),
            (format!("SELECT extend_phone_for_appointment('{LEAD_A}', NULL::timestamptz)"), "appointment_time"),
            (format!("SELECT extend_phone_for_appointment('{LEAD_A}', NULL::timestamp)"), "appointment_time_utc"),
            (format!("SELECT extend_phone_for_appointment('{LEAD_A}', {}, NULL)", ts(60)), "as_of"),
            ("SELECT complete_appointment_for_phone(NULL, 'showed')".to_string(), "lead_id"),
            (format!("SELECT complete_appointment_for_phone('{LEAD_A}', NULL)"), "outcome"),
            (format!("SELECT complete_appointment_for_phone('{LEAD_A}', 'showed', NULL)"), "as_of"),
            (format!("SELECT reschedule_appointment_for_phone(NULL, {})", ts(60)), "lead_id"),
            (format!("SELECT reschedule_appointment_for_phone('{LEAD_A}', NULL)"), "new_time"),
            ("SELECT release_expired_phone_numbers(NULL)".to_string(), "as_of"),
            (format!("SELECT phone_number_holder_at(NULL, {})", ts(0)), "number"),
            ("SELECT phone_number_holder_at('+15550000001', NULL)".to_string(), "at"),
        ] {
            assert_refused(&sql, "22004", &format!("{arg} must not be NULL"));
        }
    }

    #[pg_test]
    fn unknown_outcomes_are_22023_and_list_the_accepted_values() {
        busy_pool();
        for outcome in ["", "   ", "show", "done", "showed!", "'; DROP TABLE public.signalwire_phone_numbers; --"] {
            let f = assert_refused(
                &format!("SELECT complete_appointment_for_phone('{LEAD_A}', {})", literal(outcome)),
                "22023",
                "unknown appointment outcome",
            );
            assert!(f.hint.contains("showed, no_show, cancelled, rescheduled"), "{f:?}");
        }
        let f = assert_refused(
            &format!("SELECT complete_appointment_for_phone('{LEAD_A}', repeat('x', 100000))"),
            "22023",
            "unknown appointment outcome",
        );
        assert!(f.message.len() < 200, "a huge outcome is cut in the message: {} bytes", f.message.len());
    }

    #[pg_test]
    fn appointments_outside_the_window_are_22008() {
        busy_pool();
        // Its follow-up window closed an hour ago.
        let f = assert_refused(
            &format!("SELECT extend_phone_for_appointment('{LEAD_B}', {}, {})", ts(-25), ts(0)),
            "22008",
            "too far in the past",
        );
        assert!(f.message.contains("2025-10-17 11:00:00+00"), "{f:?}");
        // Beyond the booking horizon (a year), e.g. a mistyped year.
        assert_refused(
            &format!("SELECT extend_phone_for_appointment('{LEAD_A}', '2205-10-20 14:00+00', {})", ts(0)),
            "22008",
            "beyond the booking horizon",
        );
        assert_refused(
            &format!("SELECT reschedule_appointment_for_phone('{LEAD_A}', {}, {})", ts(-30), ts(0)),
            "22008",
            "too far in the past",
        );
    }

    #[pg_test]
    fn infinite_and_far_fetched_times_are_22008() {
        busy_pool();
        for sql in [
            format!("SELECT extend_phone_for_appointment('{LEAD_A}', 'infinity'::timestamptz, {})", ts(0)),
            format!("SELECT extend_phone_for_appointment('{LEAD_A}', '-infinity'::timestamp, {})", ts(0)),
            format!("SELECT assign_phone_to_lead('{LEAD_B}', 'infinity')"),
            "SELECT release_expired_phone_numbers('infinity')".to_string(),
            "SELECT release_expired_phone_numbers('20000-01-01 00:00+00')".to_string(),
            format!("SELECT reschedule_appointment_for_phone('{LEAD_A}', '4713-01-01 BC', {})", ts(0)),
            "SELECT phone_number_holder_at('+15550000001', '-infinity')".to_string(),
        ] {
            assert_refused(&sql, "22008", "outside the supported range");
        }
    }

    #[pg_test]
    fn an_empty_pool_is_53000() {
        busy_pool();
        Spi::run(&format!("SELECT assign_phone_to_lead('{LEAD_B}', {})", ts(0))).unwrap();
        let f = assert_refused(&format!("SELECT assign_phone_to_lead('{LEAD_C}', {})", ts(0)), "53000", "no phone number is available");
        assert!(f.hint.contains("release_expired_phone_numbers"), "{f:?}");
        // Booking for a lead without a number needs one too.
        assert_refused(&format!("SELECT extend_phone_for_appointment('{LEAD_C}', {}, {})", ts(50), ts(0)), "53000", "no phone number");
        // A lead that holds a number is not affected by the empty pool.
        Spi::run(&format!("SELECT assign_phone_to_lead('{LEAD_A}', {})", ts(1))).unwrap();
    }

    #[pg_test]
    fn a_missing_table_is_42p01_with_a_hint() {
        busy_pool();
        Spi::run("ALTER TABLE public.signalwire_phone_numbers RENAME TO signalwire_phone_numbers_moved").unwrap();
        let f = failure(&format!("SELECT assign_phone_to_lead('{LEAD_B}', {})", ts(0)));
        assert_eq!(f.sqlstate, "42P01", "{f:?}");
        assert!(f.message.contains("public.signalwire_phone_numbers does not exist"), "{f:?}");
        assert!(f.hint.contains("RENAME TO signalwire_phone_numbers") && f.hint.contains("rows are still there"), "{f:?}");
        assert!(!f.hint.contains("ALTER EXTENSION phone_holds UPDATE"), "an update changes no table: {f:?}");
        let f = failure("SELECT release_expired_phone_numbers()");
        assert_eq!(f.sqlstate, "42P01", "{f:?}");
    }

    #[pg_test]
    fn an_injection_string_is_only_data() {
        busy_pool();
        let evil = "+1'; DELETE FROM public.signalwire_phone_numbers; --";
        assert_eq!(
            Spi::get_one_with_args::<pgrx::datum::Uuid>(
                "SELECT phone_number_holder_at($1, now())",
                &[evil.into()]
            )
            .unwrap(),
            None
        );
        assert_eq!(count("SELECT count(*) FROM public.signalwire_phone_numbers"), 2);
    }

    /// `assert_refused` relies on this: a write undone with its subtransaction still counts.
    #[pg_test]
    fn the_write_counter_sees_rolled_back_writes() {
        pool_of(1);
        let before = writes_attempted();
        let f = failure("DO $$ BEGIN UPDATE public.signalwire_phone_numbers SET name = 'x'; RAISE EXCEPTION 'undo'; END $$");
        assert_eq!(f.sqlstate, "P0001");
        assert!(writes_attempted() > before);
    }
}
