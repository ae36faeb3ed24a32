//! The hostile-input catalogue: every function fed NULLs, malformed and out-of-range times,
//! DST edges and leap days, unknown and huge strings, SQL-injection text, unknown leads, an
//! empty pool and wrong types. Each input fails with its documented SQLSTATE or is handled as
//! documented, and none changes a byte of either table or even attempts a write.

use pgrx::prelude::*;

#[pg_schema]
mod tests {
    use crate::tests::support::*;
    use pgrx::prelude::*;

    /// What an input must do.
    enum Expect {
        /// Fail with this SQLSTATE.
        Fails(&'static str),
        /// Succeed, returning this text (cast to text), changing nothing.
        Returns(&'static str),
        /// Succeed, returning text that contains this, changing nothing.
        Says(&'static str),
    }
    use Expect::*;

    /// Both tables, every column, and where each row version lives: a no-op UPDATE would show.
    fn fingerprint() -> String {
        let versions = one(
            "SELECT coalesce(string_agg(ctid::text || xmin::text, ',' ORDER BY number), '') FROM public.signalwire_phone_numbers",
        )
        .unwrap();
        format!("{}\n{versions}", state())
    }

    const INJECTION: &str = "'); DELETE FROM public.signalwire_phone_numbers; --";

    #[pg_test]
    fn hostile_inputs_fail_as_documented_and_change_nothing() {
        // Two numbers, both held (A booked, C not): the pool is empty for anyone else.
        pool_of(2);
        Spi::run(&format!("SELECT extend_phone_for_appointment('{LEAD_A}', {}, {})", ts(50), ts(0))).unwrap();
        Spi::run(&format!("SELECT assign_phone_to_lead('{LEAD_C}', {})", ts(0))).unwrap();
        let t = ts(1);
        let tool_call = |args: &str| {
            format!(
                "SELECT vapi_tool_calls($j${{\"message\": {{\"type\": \"tool-calls\", \"toolCallList\": [{{\"id\": \"h\", \"function\": {{\"name\": \"book_appointment\", \"arguments\": {args}}}}}]}}}}$j$, {t})::text"
            )
        };
        let report = |body: &str| format!("SELECT vapi_end_of_call($j${body}$j$, {t})::text");
        let catalogue: Vec<(String, Expect)> = vec![
            // NULL arguments, every function and position.
            ("SELECT assign_phone_to_lead(NULL)".into(), Fails("22004")),
            (format!("SELECT assign_phone_to_lead('{LEAD_B}', NULL)"), Fails("22004")),
            (format!("SELECT extend_phone_for_appointment(NULL, {t})"), Fails("22004")),
            (format!("SELECT extend_phone_for_appointment('{LEAD_A}', NULL::timestamptz)"), Fails("22004")),
            (format!("SELECT extend_phone_for_appointment('{LEAD_A}', NULL::timestamp)"), Fails("22004")),
            (format!("SELECT extend_phone_for_appointment('{LEAD_A}', {}, NULL)", ts(60)), Fails("22004")),
            ("SELECT complete_appointment_for_phone(NULL, 'showed')".into(), Fails("22004")),
            (format!("SELECT complete_appointment_for_phone('{LEAD_A}', NULL)"), Fails("22004")),
            (format!("SELECT complete_appointment_for_phone('{LEAD_A}', 'showed', NULL)"), Fails("22004")),
            (format!("SELECT reschedule_appointment_for_phone(NULL, {})", ts(60)), Fails("22004")),
            (format!("SELECT reschedule_appointment_for_phone('{LEAD_A}', NULL)"), Fails("22004")),
            (format!("SELECT reschedule_appointment_for_phone('{LEAD_A}', {}, NULL)", ts(60)), Fails("22004")),
            ("SELECT release_expired_phone_numbers(NULL)".into(), Fails("22004")),
            (format!("SELECT phone_number_holder_at(NULL, {t})"), Fails("22004")),
            ("SELECT phone_number_holder_at('+15550000001', NULL)".into(), Fails("22004")),
            ("SELECT vapi_tool_calls(NULL)".into(), Fails("22004")),
            ("SELECT vapi_tool_calls('{}', NULL)".into(), Fails("22004")),
            ("SELECT vapi_end_of_call(NULL)".into(), Fails("22004")),
            ("SELECT vapi_end_of_call('{}', NULL)".into(), Fails("22004")),
            // Outcomes: empty, unknown, huge, injected, look-alikes.
            (format!("SELECT complete_appointment_for_phone('{LEAD_A}', '', {t})"), Fails("22023")),
            (format!("SELECT complete_appointment_for_phone('{LEAD_A}', '   ', {t})"), Fails("22023")),
            (format!("SELECT complete_appointment_for_phone('{LEAD_A}', 'show', {t})"), Fails("22023")),
            (format!("SELECT complete_appointment_for_phone('{LEAD_A}', 'SHOWED!', {t})"), Fails("22023")),
            (format!("SELECT complete_appointment_for_phone('{LEAD_A}', 'no__show', {t})"), Fails("22023")),
            (format!("SELECT complete_appointment_for_phone('{LEAD_A}', 'cancel', {t})"), Fails("22023")),
            (format!("SELECT complete_appointment_for_phone('{LEAD_A}', 'ｓｈｏｗｅｄ', {t})"), Fails("22023")),
            (format!("SELECT complete_appointment_for_phone('{LEAD_A}', repeat('x', 1000000), {t})"), Fails("22023")),
            (format!("SELECT complete_appointment_for_phone('{LEAD_A}', $q${INJECTION}$q$, {t})"), Fails("22023")),
            // Times: window over, beyond the horizon, infinite, out of range, DST edges, leap days.
            (format!("SELECT extend_phone_for_appointment('{LEAD_A}', {}, {t})", ts(-24)), Fails("22008")),
            (format!("SELECT extend_phone_for_appointment('{LEAD_A}', '2205-10-20 14:00+00', {t})"), Fails("22008")),
            (format!("SELECT extend_phone_for_appointment('{LEAD_A}', 'infinity'::timestamptz, {t})"), Fails("22008")),
            (format!("SELECT extend_phone_for_appointment('{LEAD_A}', '-infinity'::timestamp, {t})"), Fails("22008")),
            (format!("SELECT extend_phone_for_appointment('{LEAD_A}', '20000-01-01 00:00+00', {t})"), Fails("22008")),
            (format!("SELECT reschedule_appointment_for_phone('{LEAD_A}', '4713-01-01 00:00+00 BC', {t})"), Fails("22008")),
            (format!("SELECT reschedule_appointment_for_phone('{LEAD_A}', {}, {t})", ts(-30)), Fails("22008")),
            ("SELECT release_expired_phone_numbers('infinity')".into(), Fails("22008")),
            (format!("SELECT assign_phone_to_lead('{LEAD_A}', '-infinity')"), Fails("22008")),
            // 02:30 on 2025-03-09 does not exist in New York; PostgreSQL reads it as 03:30, long past.
            (format!("SELECT extend_phone_for_appointment('{LEAD_A}', '2025-03-09 02:30 America/New_York', {t})"), Fails("22008")),
            (format!("SELECT extend_phone_for_appointment('{LEAD_A}', '2027-02-29 10:00+00', {t})"), Fails("22008")),
            (format!("SELECT extend_phone_for_appointment('{LEAD_A}', '2025-02-30 10:00+00', {t})"), Fails("22008")),
            // Wrong types through the text paths.
            ("SELECT assign_phone_to_lead('not-a-uuid')".into(), Fails("22P02")),
            (format!("SELECT assign_phone_to_lead($q${INJECTION}$q$)"), Fails("22P02")),
            (format!("SELECT extend_phone_for_appointment('{LEAD_A}', 'next tuesday-ish', {t})"), Fails("22007")),
            (format!("SELECT complete_appointment_for_phone('{LEAD_A}', 42, {t})"), Fails("42883")),
            // Lead phones and retirements: injection text, huge and odd values.
            (format!("SELECT assign_phone_to_lead('{LEAD_B}', {t}, $q${INJECTION}$q$)"), Fails("22023")),
            (format!("SELECT assign_phone_to_lead('{LEAD_B}', {t}, repeat('9', 100000))"), Fails("22023")),
            (format!("SELECT assign_phone_to_lead('{LEAD_B}', {t}, '+1 415 555 0123' || chr(10))"), Fails("53000")),
            (format!("SELECT assign_phone_to_lead('{LEAD_B}', {t}, '＋14155550123')"), Fails("22023")),
            (format!("SELECT retire_phone_number($q${INJECTION}$q$, 'x', {t})"), Fails("P0002")),
            (format!("SELECT retire_phone_number('+15550000001', $q${INJECTION}$q$ || repeat('x', 500), {t})"), Fails("22023")),
            ("SELECT vapi_tool_calls('not json')".into(), Fails("22023")),
            ("SELECT vapi_tool_calls('not json'::jsonb)".into(), Fails("22P02")),
            ("SELECT vapi_tool_calls('\"tool-calls\"')".into(), Fails("22023")),
            ("SELECT vapi_end_of_call('{\"message\": {\"type\": \"tool-calls\"}}')".into(), Fails("22023")),
            // An empty pool.
            (format!("SELECT assign_phone_to_lead('{LEAD_B}', {t})"), Fails("53000")),
            (format!("SELECT extend_phone_for_appointment('{LEAD_B}', {}, {t})", ts(50)), Fails("53000")),
            (format!("SELECT reschedule_appointment_for_phone('{LEAD_B}', {}, {t})", ts(50)), Fails("53000")),
            // Unknown leads and numbers: handled, nothing to change.
            (format!("SELECT coalesce(complete_appointment_for_phone('{LEAD_B}', 'showed', {t})::text, 'NULL')"), Returns("NULL")),
            (format!("SELECT coalesce(phone_number_holder_at($q${INJECTION}$q$, {t})::text, 'NULL')"), Returns("NULL")),
            (format!("SELECT coalesce(phone_number_holder_at('', {t})::text, 'NULL')"), Returns("NULL")),
            ("SELECT release_expired_phone_numbers('2025-01-01 00:00+00')::text".into(), Returns("0")),
            // VAPI: bad values become sentences and change nothing.
            (tool_call(&format!("{{\"lead_id\": \"{LEAD_B}\", \"appointment_time\": \"2025-10-20T14:00:00\"}}")), Says("has no time zone")),
            (tool_call(&format!("{{\"lead_id\": \"{LEAD_B}\", \"appointment_time\": \"2025-03-09T02:30:00\"}}")), Says("has no time zone")),
            (tool_call(&format!("{{\"lead_id\": \"{LEAD_B}\", \"appointment_time\": \"2027-02-29T09:00:00Z\"}}")), Says("is not a date and time")),
            (tool_call(&format!("{{\"lead_id\": \"{LEAD_B}\", \"appointment_time\": \"2028-02-29T09:00:00Z\"}}")), Says("beyond the booking horizon")),
            (tool_call(&format!("{{\"lead_id\": \"{LEAD_B}\", \"appointment_time\": \"2025-10-20T14:00:00Z\"}}")), Says("no phone number is available")),
            (tool_call(&format!("{{\"lead_id\": \"{LEAD_B}\", \"appointment_time\": 1760968800}}")), Says("is not a date and time")),
            (tool_call(&format!("{{\"lead_id\": \"{LEAD_B}\", \"appointment_time\": \"{}\"}}", "9".repeat(10_000))), Says("is not a date and time")),
            (tool_call("{\"lead_id\": \"'); DELETE FROM public.signalwire_phone_numbers; --\", \"appointment_time\": \"2025-10-20T14:00:00Z\"}"), Says("is not a UUID")),
            (tool_call("\"{broken\""), Says("are not a JSON object")),
            (tool_call("[]"), Says("are not a JSON object")),
            (report(&format!("{{\"leadId\": \"{LEAD_B}\", \"outcome\": \"appointment_booked\", \"appointmentTime\": \"Monday 2pm\"}}")), Says("\"rejected\"")),
            (report("{\"leadId\": \"lead-42\", \"outcome\": \"cancelled\"}"), Says("\"rejected\"")),
            (report(&format!("{{\"leadId\": \"{LEAD_A}\", \"outcome\": \"no_answer\"}}")), Says("\"none\"")),
            // Settings.
            ("SET LOCAL phone_holds.initial_hold = '-5h'".into(), Fails("22023")),
            ("SET LOCAL phone_holds.follow_up_window = '99999d'".into(), Fails("22023")),
            ("SET LOCAL phone_holds.booking_horizon = 'forever'".into(), Fails("22023")),
        ];
        assert!(catalogue.len() >= 50, "the catalogue has {} inputs", catalogue.len());

        for (sql, expect) in &catalogue {
            let before = fingerprint();
            let writes = writes_attempted();
            match expect {
                Fails(code) => {
                    let f = failure(sql);
                    assert_eq!(&f.sqlstate, code, "{sql}: {f:?}");
                }
                Returns(text) => assert_eq!(one(sql).as_deref(), Some(*text), "{sql}"),
                Says(part) => {
                    let said = one(sql).unwrap();
                    assert!(said.contains(part), "{sql}: {said}");
                }
            }
            assert_eq!(fingerprint(), before, "{sql} changed a row");
            assert_eq!(writes_attempted(), writes, "{sql} attempted a write");
        }
        pgrx::info!("phone_holds: {} hostile inputs tried", catalogue.len());
    }
}
