//! Every live appointment of a lead keeps its number, whichever source booked it and in
//! whatever order bookings, moves and cancels arrive (docs/guides/hold-rules.md, Appointments). Days count from
//! T0 = 2025-10-18 12:00 UTC.

use pgrx::prelude::*;

#[pg_schema]
mod tests {
    use crate::tests::support::*;
    use pgrx::datum::JsonB;
    use pgrx::prelude::*;
    use serde_json::{json, Value};

    const fn day(d: i64) -> i64 {
        d * 24
    }

    /// T0 + `hours` as Cal.com writes times.
    fn iso(hours: i64) -> String {
        at(hours).replace(' ', "T").replace("+00", "Z")
    }

    /// A Cal.com delivery of `trigger` for booking `uid` of lead A, starting `start` hours after
    /// T0, made by Cal.com `made` hours after T0 (and delivered then).
    fn calcom(trigger: &str, uid: &str, start: i64, made: i64) -> Value {
        let mut body: Value = serde_json::from_str(include_str!("../../examples/calcom/booking-created.json")).unwrap();
        body["triggerEvent"] = json!(trigger);
        body["createdAt"] = json!(iso(made));
        body["payload"]["uid"] = json!(uid);
        body["payload"]["startTime"] = json!(iso(start));
        body["payload"]["endTime"] = json!(iso(start + 1));
        deliver(&body, made)
    }

    /// Cal.com moving booking `from` to booking `uid` at `start`.
    fn calcom_move(from: &str, uid: &str, start: i64, made: i64) -> Value {
        let mut body: Value = serde_json::from_str(include_str!("../../examples/calcom/booking-created.json")).unwrap();
        body["triggerEvent"] = json!("BOOKING_RESCHEDULED");
        body["createdAt"] = json!(iso(made));
        body["payload"]["uid"] = json!(uid);
        body["payload"]["rescheduleUid"] = json!(from);
        body["payload"]["startTime"] = json!(iso(start));
        body["payload"]["endTime"] = json!(iso(start + 1));
        deliver(&body, made)
    }

    fn deliver(body: &Value, h: i64) -> Value {
        let sql = format!("SELECT calcom_webhook($1, NULL, {})", ts(h));
        Spi::get_one_with_args::<JsonB>(&sql, &[body.to_string().into()]).unwrap().unwrap().0
    }

    fn extend(appointment: i64, h: i64) {
        Spi::run(&format!("SELECT extend_phone_for_appointment('{LEAD_A}'::UUID, {}, {})", ts(appointment), ts(h))).unwrap();
    }

    fn complete(outcome: &str, h: i64) {
        Spi::run(&format!("SELECT complete_appointment_for_phone('{LEAD_A}'::UUID, '{outcome}', {})", ts(h))).unwrap();
    }

    fn release(h: i64) -> i32 {
        Spi::get_one::<i32>(&format!("SELECT release_expired_phone_numbers({})", ts(h))).unwrap().unwrap()
    }

    /// Lead A's hold as (release_at, appointment).
    fn hold() -> (Option<String>, Option<String>) {
        let number = number_of(LEAD_A).expect("lead A holds a number");
        let (_, _, release_at, appointment, _) = row(&number);
        (release_at, appointment)
    }

    fn held_until(release_h: i64, appointment_h: i64) -> (Option<String>, Option<String>) {
        (Some(at(release_h)), Some(at(appointment_h)))
    }

    /// Lead A's appointments as `status@time` (with the booking, if any), by time.
    fn appointments() -> String {
        one(&format!(
            "SELECT string_agg(a.status || '@' || to_char(a.appointment_at AT TIME ZONE 'UTC', 'MM-DD HH24') || coalesce(' ' || a.reference, ''), ', '
                             ORDER BY a.appointment_at, a.id)
               FROM public.phone_hold_appointments AS a WHERE a.lead_id = '{LEAD_A}'"
        ))
        .unwrap_or_default()
    }

    #[pg_test]
    fn cancelling_a_calendar_booking_leaves_the_hold_of_a_vapi_or_sql_appointment() {
        pool_of(2);
        extend(day(3), 0);
        assert_eq!(calcom("BOOKING_CREATED", "bk_6", day(6), 1)["action"], "booked");
        assert_eq!(hold(), held_until(day(7), day(6)));
        let cancel = calcom("BOOKING_CANCELLED", "bk_6", day(6), 2);
        assert_eq!(cancel["action"], "cancelled", "{cancel}");
        // The day-3 appointment holds the number through its follow-up window.
        assert_eq!(hold(), held_until(day(4), day(3)));
        assert_eq!(release(3), 0);
        assert_eq!(release(day(4) - 1), 0);
        assert_eq!(release(day(4)), 1);
        assert_eq!(appointments(), "booked@10-21 12, cancelled@10-24 12 bk_6");
    }

    #[pg_test]
    fn cancelling_one_of_two_calendar_bookings_keeps_the_other() {
        pool_of(2);
        assert_eq!(calcom("BOOKING_CREATED", "bk_3", day(3), 0)["action"], "booked");
        assert_eq!(calcom("BOOKING_CREATED", "bk_6", day(6), 1)["action"], "booked");
        assert_eq!(calcom("BOOKING_CANCELLED", "bk_6", day(6), 2)["action"], "cancelled");
        assert_eq!(hold(), held_until(day(4), day(3)));
        assert_eq!(release(3), 0);
        assert_eq!(count("SELECT count(*) FROM phone_holds_check()"), 0);
        // The last one cancelled: due now, as a cancel always was.
        assert_eq!(calcom("BOOKING_CANCELLED", "bk_3", day(3), 4)["action"], "cancelled");
        assert_eq!(hold(), (Some(at(4)), None));
        assert_eq!(release(4), 1);
    }

    #[pg_test]
    fn moving_a_calendar_booking_moves_that_appointment_only() {
        pool_of(2);
        extend(day(7), 0);
        assert_eq!(calcom("BOOKING_CREATED", "bk_3", day(3), 1)["action"], "booked");
        let moved = calcom_move("bk_3", "bk_4", day(4), 2);
        assert_eq!(moved["action"], "rescheduled", "{moved}");
        // The day-7 appointment still holds the number.
        assert_eq!(hold(), held_until(day(8), day(7)));
        assert_eq!(moved["releaseAt"], iso(day(8)), "{moved}");
        assert_eq!(appointments(), "moved@10-21 12 bk_3, booked@10-22 12 bk_4, booked@10-25 12");
        // Moving it later than the other: the hold follows it.
        assert_eq!(calcom_move("bk_4", "bk_9", day(9), 3)["action"], "rescheduled");
        assert_eq!(hold(), held_until(day(10), day(9)));
        // And back earlier: the other one holds again, nothing is cut short.
        assert_eq!(calcom_move("bk_9", "bk_5", day(5), 4)["action"], "rescheduled");
        assert_eq!(hold(), held_until(day(8), day(7)));
        assert_eq!(count("SELECT count(*) FROM phone_holds_check()"), 0);
    }

    #[pg_test]
    fn an_outcome_of_one_booking_leaves_the_later_ones_holding() {
        pool_of(2);
        calcom("BOOKING_CREATED", "bk_3", day(3), 0);
        calcom("BOOKING_CREATED", "bk_6", day(6), 1);
        let no_show = calcom("AFTER_GUESTS_CAL_VIDEO_NO_SHOW", "bk_3", day(3), day(3) + 1);
        assert_eq!(no_show["action"], "no_show", "{no_show}");
        assert_eq!(hold(), held_until(day(7), day(6)));
        assert_eq!(release(day(5)), 0);
        assert_eq!(appointments(), "no_show@10-21 12 bk_3, booked@10-24 12 bk_6");
    }

    #[pg_test]
    fn the_seed_s_consultation_series_keeps_the_number_through_the_last_one() {
        pool_of(2);
        extend(day(3), 0);
        extend(day(6), 1);
        // The first consultation happened: the second one is still to come.
        complete("showed", day(3) + 1);
        assert_eq!(appointments(), "showed@10-21 12, booked@10-24 12");
        assert_eq!(release(day(5)), 0);
        assert_eq!(count("SELECT count(*) FROM phone_holds_check()"), 0);
        assert_eq!(release(day(7)), 1);
    }

    #[pg_test]
    fn the_seed_s_cancel_names_no_appointment_and_ends_them_all() {
        pool_of(2);
        extend(day(3), 0);
        calcom("BOOKING_CREATED", "bk_6", day(6), 1);
        complete("cancelled", 2);
        assert_eq!(hold(), (Some(at(2)), None));
        assert_eq!(appointments(), "cancelled@10-21 12, cancelled@10-24 12 bk_6");
        assert_eq!(release(2), 1);
        // The calendar's own cancel, arriving after, finds nothing left to do.
        let late = calcom("BOOKING_CANCELLED", "bk_6", day(6), 3);
        assert_eq!(late["action"], "none", "{late}");
    }

    #[pg_test]
    fn a_repeated_booking_is_one_appointment() {
        pool_of(2);
        extend(day(3), 0);
        extend(day(3), 1);
        Spi::run(&format!("SELECT reschedule_appointment_for_phone('{LEAD_A}'::UUID, {}, {})", ts(day(4)), ts(2))).unwrap();
        assert_eq!(appointments(), "moved@10-21 12, booked@10-22 12");
        assert_eq!(hold(), held_until(day(5), day(4)));
    }

    #[pg_test]
    fn the_check_reports_a_live_appointment_the_hold_does_not_cover() {
        pool_of(2);
        Spi::run(&format!("SELECT extend_phone_for_appointment('{LEAD_A}'::UUID, now() + interval '3 days')")).unwrap();
        assert_eq!(count("SELECT count(*) FROM phone_holds_check()"), 0);
        // A hand edit cuts the hold short.
        Spi::run("UPDATE public.signalwire_phone_numbers SET release_at = now(), appointment_scheduled_at = NULL WHERE assignment_status = 'assigned'").unwrap();
        let problem = one("SELECT problem FROM phone_holds_check()").unwrap();
        assert!(problem.contains("is booked, but the hold of +15550000001 ends at"), "{problem}");
    }

    #[pg_test]
    fn setup_records_the_appointments_the_holds_and_bookings_already_have() {
        pool_of(3);
        extend(day(3), 0);
        calcom("BOOKING_CREATED", "bk_6", day(6), 1);
        // As 0.9.0 left it: no appointments table.
        Spi::run("DROP TABLE public.phone_hold_appointments").unwrap();
        let said = one("SELECT string_agg(s, '; ') FROM phone_holds_setup() AS s").unwrap();
        assert!(said.contains("created table public.phone_hold_appointments"), "{said}");
        assert!(said.contains("recorded 1 booked calendar bookings and 0 other held appointments"), "{said}");
        // The pool row kept only the latest (day 6, the booking's): the day-3 one was never
        // written down anywhere but the ledger, which setup does not guess from.
        assert_eq!(one("SELECT string_agg(source || ' ' || coalesce(reference, '-') || ' ' || status, ', ') FROM public.phone_hold_appointments").unwrap(), "calcom bk_6 booked");
        // A hold for an appointment no booking accounts for is adopted as such.
        Spi::run("DROP TABLE public.phone_hold_appointments; DELETE FROM public.phone_hold_bookings").unwrap();
        let said = one("SELECT string_agg(s, '; ') FROM phone_holds_setup() AS s").unwrap();
        assert!(said.contains("recorded 0 booked calendar bookings and 1 other held appointments"), "{said}");
        assert_eq!(appointments(), "booked@10-24 12");
        assert_eq!(one("SELECT source FROM public.phone_hold_appointments").unwrap(), "adopted");
    }
}
