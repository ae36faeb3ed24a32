//! The seed's four scenarios, its edge cases and its Test 1–3 SQL, driven with `as_of`.

use pgrx::prelude::*;

#[pg_schema]
mod tests {
    use crate::tests::support::*;
    use pgrx::prelude::*;

    fn assign(lead: &str, h: i64) -> String {
        one(&format!("SELECT assign_phone_to_lead('{lead}', {})", ts(h))).unwrap()
    }
    fn extend(lead: &str, appointment_h: i64, h: i64) -> Option<String> {
        one(&format!("SELECT extend_phone_for_appointment('{lead}', {}, {})::text", ts(appointment_h), ts(h)))
    }
    fn complete(lead: &str, outcome: &str, h: i64) -> Option<String> {
        one(&format!("SELECT complete_appointment_for_phone('{lead}', '{outcome}', {})::text", ts(h)))
    }
    fn release(h: i64) -> i32 {
        Spi::get_one::<i32>(&format!("SELECT release_expired_phone_numbers({})", ts(h))).unwrap().unwrap()
    }

    #[pg_test]
    fn scenario_1_without_appointment_the_number_returns_after_18_hours() {
        pool_of(3);
        let number = assign(LEAD_A, 0);
        assert_eq!(row(&number), ("assigned".into(), Some(LEAD_A.into()), Some(at(18)), None, None));
        assert_eq!(release(17), 0);
        assert_eq!(number_of(LEAD_A), Some(number.clone()));
        assert_eq!(release(18), 1);
        assert_eq!(row(&number), ("available".into(), None, None, None, None));
        assert_eq!(one(&format!("SELECT released_at::text FROM public.signalwire_phone_numbers WHERE number = '{number}'")), Some(at(18)));
    }

    #[pg_test]
    fn scenario_2_a_booking_holds_until_appointment_plus_24_hours() {
        pool_of(3);
        let number = assign(LEAD_A, 0);
        // Barbara books Oct 20, 2pm (T0 + 50 h) an hour after the lead gave its phone.
        assert_eq!(extend(LEAD_A, 50, 1), Some(at(74)));
        assert_eq!(row(&number), ("assigned".into(), Some(LEAD_A.into()), Some(at(74)), Some(at(50)), None));
        assert_eq!(release(18), 0, "the 18-hour hold no longer applies");
        assert_eq!(release(73), 0);
        assert_eq!(release(74), 1);
    }

    #[pg_test]
    fn scenario_3_no_show_gives_24_hours_from_the_outcome() {
        pool_of(3);
        let number = assign(LEAD_A, 0);
        extend(LEAD_A, 50, 1);
        assert_eq!(complete(LEAD_A, "no_show", 52), Some(at(76)));
        assert_eq!(row(&number), ("assigned".into(), Some(LEAD_A.into()), Some(at(76)), Some(at(50)), Some("no_show".into())));
        assert_eq!(release(75), 0);
        assert_eq!(release(76), 1);
    }

    #[pg_test]
    fn scenario_4_cancel_releases_at_once_and_a_new_booking_brings_the_number_back() {
        pool_of(3);
        let number = assign(LEAD_A, 0);
        extend(LEAD_A, 50, 1);
        assert_eq!(complete(LEAD_A, "cancelled", 2), Some(at(2)));
        assert_eq!(row(&number), ("assigned".into(), Some(LEAD_A.into()), Some(at(2)), None, Some("cancelled".into())));
        assert_eq!(release(2), 1, "due the moment it is cancelled");
        assert_eq!(number_of(LEAD_A), None);
        // Rebooked later: the lead gets its own number back, though others rested longer.
        assert_eq!(extend(LEAD_A, 80, 5), Some(at(104)));
        assert_eq!(number_of(LEAD_A), Some(number));
    }

    #[pg_test]
    fn a_lead_that_replies_again_keeps_its_number_and_its_longer_hold() {
        pool_of(3);
        let number = assign(LEAD_A, 0);
        extend(LEAD_A, 50, 1);
        assert_eq!(assign(LEAD_A, 10), number);
        assert_eq!(row(&number).2, Some(at(74)), "a reply never shortens a booked hold");
        // Without a booking, a reply gives at least a fresh 18 hours.
        let other = assign(LEAD_B, 0);
        assert_eq!(assign(LEAD_B, 10), other);
        assert_eq!(row(&other).2, Some(at(28)));
        assert_eq!(count("SELECT count(*) FROM public.signalwire_phone_numbers WHERE assignment_status = 'assigned'"), 2);
    }

    #[pg_test]
    fn the_seeds_reschedule_in_two_steps_still_works() {
        pool_of(3);
        let number = assign(LEAD_A, 0);
        extend(LEAD_A, 50, 1);
        assert_eq!(complete(LEAD_A, "rescheduled", 3), Some(at(3)));
        assert_eq!(extend(LEAD_A, 30, 3), Some(at(54)));
        assert_eq!(row(&number), ("assigned".into(), Some(LEAD_A.into()), Some(at(54)), Some(at(30)), Some("rescheduled".into())));
    }

    #[pg_test]
    fn reschedule_in_one_step_leaves_no_moment_for_the_release_job() {
        pool_of(3);
        let number = assign(LEAD_A, 0);
        extend(LEAD_A, 50, 1);
        let r = one(&format!("SELECT reschedule_appointment_for_phone('{LEAD_A}', {}, {})::text", ts(30), ts(20)));
        assert_eq!(r, Some(at(54)));
        // A release at the same instant finds nothing due: the hold never passed through "due now".
        assert_eq!(release(20), 0);
        assert_eq!(row(&number), ("assigned".into(), Some(LEAD_A.into()), Some(at(54)), Some(at(30)), Some("rescheduled".into())));
        assert_eq!(count("SELECT count(*) FROM public.phone_hold_ledger WHERE event = 'rescheduled'"), 1);
    }

    #[pg_test]
    fn multiple_appointments_hold_through_the_latest() {
        pool_of(1);
        let number = assign(LEAD_A, 0);
        extend(LEAD_A, 50, 1);
        assert_eq!(extend(LEAD_A, 200, 2), Some(at(224)));
        assert_eq!(extend(LEAD_A, 100, 3), Some(at(224)), "an earlier booking never shortens the hold");
        assert_eq!(row(&number).3, Some(at(200)));
        // The first consultation happened; the later one still protects the number.
        assert_eq!(complete(LEAD_A, "showed", 51), Some(at(75)));
        assert_eq!(release(100), 0);
        assert_eq!(release(224), 1);
    }

    #[pg_test]
    fn a_cancelled_lead_s_number_goes_to_the_next_lead() {
        pool_of(1);
        let number = assign(LEAD_A, 0);
        extend(LEAD_A, 50, 1);
        complete(LEAD_A, "Canceled", 2);
        release(2);
        assert_eq!(assign(LEAD_B, 3), number);
        assert_eq!(row(&number).4, None, "the previous lead's outcome does not follow the number");
    }

    #[pg_test]
    fn a_lead_without_a_number_gets_one_when_booked() {
        pool_of(2);
        assert_eq!(extend(LEAD_A, 50, 0), Some(at(74)));
        let number = number_of(LEAD_A).unwrap();
        assert_eq!(
            one(&format!("SELECT string_agg(event, ',' ORDER BY id) FROM public.phone_hold_ledger WHERE number = '{number}'")),
            Some("assigned,extended".into())
        );
    }

    #[pg_test]
    fn numbers_rest_before_reuse() {
        pool_of(3);
        // +15550000001 released at T0+1h, +15550000002 at T0+2h; +15550000003 never used.
        Spi::run(&format!(
            "UPDATE public.signalwire_phone_numbers SET released_at = CASE number
                 WHEN '+15550000001' THEN {} WHEN '+15550000002' THEN {} END",
            ts(1),
            ts(2)
        ))
        .unwrap();
        assert_eq!(assign(LEAD_A, 5), "+15550000003");
        assert_eq!(assign(LEAD_B, 5), "+15550000001");
        assert_eq!(assign(LEAD_C, 5), "+15550000002");
    }

    #[pg_test]
    fn seed_test_1_book_appointment() {
        pool_of(1);
        assign(LEAD_A, 0);
        Spi::run(&format!("SELECT extend_phone_for_appointment('{LEAD_A}'::UUID, NOW() + INTERVAL '2 days')")).unwrap();
        let hours = Spi::get_one::<f64>(&format!(
            "SELECT (EXTRACT(EPOCH FROM (release_at - NOW()))/3600)::float8 FROM signalwire_phone_numbers
              WHERE currently_assigned_to = '{LEAD_A}'"
        ))
        .unwrap()
        .unwrap();
        assert_eq!(hours, 72.0, "2 days + 24 hours from now");
    }

    #[pg_test]
    fn seed_test_2_mark_as_showed() {
        pool_of(1);
        Spi::run(&format!("SELECT extend_phone_for_appointment('{LEAD_A}'::UUID, NOW() + INTERVAL '2 days')")).unwrap();
        Spi::run(&format!("SELECT complete_appointment_for_phone('{LEAD_A}'::UUID, 'showed')")).unwrap();
        let (outcome, hours) = Spi::get_two::<String, f64>(&format!(
            "SELECT last_call_outcome, (EXTRACT(EPOCH FROM (release_at - NOW()))/3600)::float8 FROM signalwire_phone_numbers
              WHERE currently_assigned_to = '{LEAD_A}'"
        ))
        .unwrap();
        assert_eq!(outcome.as_deref(), Some("showed"));
        assert_eq!(hours, Some(24.0));
    }

    #[pg_test]
    fn seed_test_3_cancellation() {
        pool_of(1);
        Spi::run(&format!("SELECT extend_phone_for_appointment('{LEAD_A}'::UUID, NOW() + INTERVAL '2 days')")).unwrap();
        Spi::run(&format!("SELECT complete_appointment_for_phone('{LEAD_A}'::UUID, 'cancelled')")).unwrap();
        let ready = Spi::get_one::<bool>(&format!(
            "SELECT release_at <= NOW() FROM signalwire_phone_numbers WHERE currently_assigned_to = '{LEAD_A}'"
        ))
        .unwrap();
        assert_eq!(ready, Some(true));
        assert_eq!(Spi::get_one::<i32>("SELECT release_expired_phone_numbers()").unwrap(), Some(1));
        assert_eq!(
            one("SELECT assignment_status FROM signalwire_phone_numbers WHERE vapi_phone_number_id = 'vapi-1'"),
            Some("available".into())
        );
    }

    #[pg_test]
    fn the_seed_call_form_with_z_cast_to_timestamp_means_utc_in_any_session_zone() {
        pool_of(2);
        Spi::run("SET LOCAL TimeZone = 'America/New_York'").unwrap();
        Spi::run(&format!(
            "SELECT extend_phone_for_appointment('{LEAD_A}'::UUID, '2025-10-20T14:00:00Z'::TIMESTAMP, {})",
            ts(0)
        ))
        .unwrap();
        Spi::run("SET LOCAL TimeZone = 'UTC'").unwrap();
        let number = number_of(LEAD_A).unwrap();
        assert_eq!(row(&number).3.as_deref(), Some("2025-10-20 14:00:00+00"));
        // A timestamptz keeps its zone: 10:00 in New York is 14:00 UTC.
        Spi::run(&format!(
            "SELECT extend_phone_for_appointment('{LEAD_B}'::UUID, '2025-10-20T10:00:00-04:00'::timestamptz, {})",
            ts(0)
        ))
        .unwrap();
        assert_eq!(row(&number_of(LEAD_B).unwrap()).3.as_deref(), Some("2025-10-20 14:00:00+00"));
    }

    #[pg_test]
    fn complete_for_a_lead_without_a_number_changes_nothing() {
        pool_of(2);
        assign(LEAD_A, 0);
        let before = state();
        let writes = writes_attempted();
        assert_eq!(complete(LEAD_B, "showed", 1), None);
        assert_eq!(state(), before);
        assert_eq!(writes_attempted(), writes);
        // A retried webhook after the release: still nothing.
        complete(LEAD_A, "cancelled", 1);
        release(1);
        let before = state();
        assert_eq!(complete(LEAD_A, "cancelled", 2), None);
        assert_eq!(state(), before);
    }

    /// A retried outcome (the same webhook twice) answers as the first did and writes nothing;
    /// another outcome, or the same one later, writes again. (The first write runs a statement
    /// that returns nothing when it writes nothing; the answer then comes from a second one.)
    #[pg_test]
    fn a_repeated_outcome_answers_as_the_first_and_writes_nothing() {
        pool_of(2);
        let number = assign(LEAD_A, 0);
        assert_eq!(complete(LEAD_A, "showed", 1), Some(at(25)));
        let before = state();
        let writes = writes_attempted();
        assert_eq!(complete(LEAD_A, "showed", 1), Some(at(25)));
        assert_eq!(state(), before);
        assert_eq!(writes_attempted(), writes, "nothing written, not even an update of the row to itself");
        assert_eq!(complete(LEAD_A, "showed", 2), Some(at(26)));
        assert_eq!(complete(LEAD_A, "no_show", 2), Some(at(26)), "the same hold, another outcome");
        assert_eq!(row(&number).4.as_deref(), Some("no_show"));
        assert_eq!(
            one("SELECT string_agg(event || ':' || coalesce(outcome, '-'), ',' ORDER BY id) FROM public.phone_hold_ledger"),
            Some("assigned:-,completed:showed,completed:showed,completed:no_show".into())
        );
    }

    #[pg_test]
    fn hold_windows_follow_the_gucs() {
        pool_of(2);
        Spi::run("SET LOCAL phone_holds.initial_hold = '2h'").unwrap();
        Spi::run("SET LOCAL phone_holds.follow_up_window = '30min'").unwrap();
        let number = assign(LEAD_A, 0);
        assert_eq!(row(&number).2, Some(at(2)));
        assert_eq!(one(&format!("SELECT extend_phone_for_appointment('{LEAD_A}', {}, {})::text", ts(10), ts(0))),
                   Some("2025-10-18 22:30:00+00".into()));
        assert_eq!(one("SHOW phone_holds.booking_horizon"), Some("365d".into()));
        let f = failure("SET LOCAL phone_holds.initial_hold = '18 parsecs'");
        assert_eq!(f.sqlstate, "22023");
        assert!(f.hint.contains("\"h\""), "{f:?}");
    }
}
