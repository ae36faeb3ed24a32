//! The pool table is the user's: adopted as it is, never dropped, never rewritten.

use pgrx::prelude::*;

#[pg_schema]
mod tests {
    use crate::tests::support::*;
    use pgrx::prelude::*;

    /// Replaces the extension's tables with a seed-shaped table of the user's own, with rows.
    fn seed_shaped_table() {
        Spi::run("SET LOCAL TimeZone = 'UTC'").unwrap();
        Spi::run("DROP EXTENSION phone_holds CASCADE").unwrap();
        Spi::run("DROP TABLE public.signalwire_phone_numbers, public.phone_hold_ledger CASCADE").unwrap();
        Spi::run(&format!(
            "CREATE TABLE public.signalwire_phone_numbers (
                 id serial PRIMARY KEY,
                 number varchar(20) NOT NULL UNIQUE,
                 name text,
                 assignment_status varchar(20) DEFAULT 'available',
                 currently_assigned_to uuid,
                 release_at timestamptz,
                 appointment_scheduled_at timestamptz,
                 last_call_outcome text,
                 vapi_phone_number_id text,
                 notes text);
             INSERT INTO public.signalwire_phone_numbers
                 (number, name, assignment_status, currently_assigned_to, release_at, appointment_scheduled_at, last_call_outcome, vapi_phone_number_id, notes)
             VALUES ('+15551110001', 'Main', 'assigned', '{LEAD_A}', {}, {}, 'appointment_booked', 'vapi-a', 'keep me'),
                    ('+15551110002', 'Spare', 'available', NULL, NULL, NULL, 'showed', 'vapi-b', NULL),
                    ('+15551110003', 'Odd', 'retired', NULL, NULL, NULL, NULL, NULL, 'not ours to touch')",
            ts(74),
            ts(50)
        ))
        .unwrap();
    }

    fn user_rows() -> String {
        one("SELECT string_agg(concat_ws('|', id, number, name, assignment_status, currently_assigned_to, release_at,
                                         appointment_scheduled_at, last_call_outcome, vapi_phone_number_id, notes),
                               E'\\n' ORDER BY id)
               FROM public.signalwire_phone_numbers")
        .unwrap()
    }

    #[pg_test]
    fn create_extension_adopts_an_existing_table_without_touching_a_row() {
        seed_shaped_table();
        let before = user_rows();
        Spi::run("CREATE EXTENSION phone_holds").unwrap();
        assert_eq!(user_rows(), before);
        // Only what was missing was added.
        assert_eq!(
            one("SELECT data_type FROM information_schema.columns
                  WHERE table_name = 'signalwire_phone_numbers' AND column_name = 'released_at'"),
            Some("timestamp with time zone".into())
        );
        assert_eq!(
            count("SELECT count(*) FROM pg_indexes WHERE tablename = 'signalwire_phone_numbers'
                    AND indexname IN ('phone_holds_one_number_per_lead', 'phone_holds_due', 'phone_holds_rested')"),
            3
        );
        assert_eq!(count("SELECT count(*) FROM pg_indexes WHERE indexname = 'phone_holds_number_key'"), 0, "its UNIQUE(number) serves");
        // The existing hold is on record and keeps working.
        assert_eq!(
            one("SELECT string_agg(event || ' ' || number, ',') FROM public.phone_hold_ledger"),
            Some("adopted +15551110001".into())
        );
        assert_eq!(one(&format!("SELECT phone_number_holder_at('+15551110001', now())::text")), Some(LEAD_A.into()));
        assert_eq!(one(&format!("SELECT assign_phone_to_lead('{LEAD_A}', {})", ts(1))), Some("+15551110001".into()));
        assert_eq!(one(&format!("SELECT assign_phone_to_lead('{LEAD_B}', {})", ts(1))), Some("+15551110002".into()));
        let f = failure(&format!("SELECT assign_phone_to_lead('{LEAD_C}', {})", ts(1)));
        assert_eq!(f.sqlstate, "53000", "a 'retired' number is never handed out: {f:?}");
        assert_eq!(one("SELECT notes FROM public.signalwire_phone_numbers WHERE number = '+15551110001'"), Some("keep me".into()));
    }

    #[pg_test]
    fn drop_extension_keeps_the_table_the_ledger_and_every_row() {
        pool_of(3);
        Spi::run(&format!("SELECT extend_phone_for_appointment('{LEAD_A}', {}, {})", ts(50), ts(0))).unwrap();
        let before = state();
        Spi::run("DROP EXTENSION phone_holds CASCADE").unwrap();
        assert_eq!(state(), before);
        Spi::run("CREATE EXTENSION phone_holds").unwrap();
        assert_eq!(state(), before, "adopting again adds no ledger row for a hold already on record");
        assert_eq!(one(&format!("SELECT assign_phone_to_lead('{LEAD_A}', {})", ts(1))), number_of(LEAD_A));
    }

    #[pg_test]
    fn a_column_of_the_wrong_type_is_refused_with_the_fix() {
        seed_shaped_table();
        Spi::run("ALTER TABLE public.signalwire_phone_numbers ALTER COLUMN release_at TYPE timestamp").unwrap();
        let before = user_rows();
        let f = failure("CREATE EXTENSION phone_holds");
        assert_eq!(f.sqlstate, "42804", "{f:?}");
        assert!(f.message.contains("release_at is timestamp without time zone"), "{f:?}");
        assert!(f.hint.contains("AT TIME ZONE 'UTC'"), "{f:?}");
        assert_eq!(user_rows(), before);
    }

    #[pg_test]
    fn a_lead_holding_two_numbers_is_refused_not_silently_fixed() {
        seed_shaped_table();
        Spi::run(&format!(
            "UPDATE public.signalwire_phone_numbers SET assignment_status = 'assigned', currently_assigned_to = '{LEAD_A}',
                    release_at = now() WHERE number = '+15551110002'"
        ))
        .unwrap();
        let f = failure("CREATE EXTENSION phone_holds");
        assert_eq!(f.sqlstate, "23505", "{f:?}");
        assert!(f.hint.contains("array_agg(number)"), "{f:?}");
    }

    #[pg_test]
    fn nobody_may_execute_the_functions_until_granted() {
        let public_can = count(
            "SELECT count(*) FROM pg_proc AS p JOIN pg_depend AS d ON d.objid = p.oid AND d.deptype = 'e'
              WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'phone_holds')
                AND p.pronamespace = 'public'::regnamespace
                AND (p.proacl IS NULL OR aclcontains(p.proacl, makeaclitem(0, p.proowner, 'EXECUTE', false)))",
        );
        assert_eq!(public_can, 0);
        let definer = count(
            "SELECT count(*) FROM pg_proc WHERE prosecdef AND pronamespace = 'public'::regnamespace
                AND proname IN ('assign_phone_to_lead', 'extend_phone_for_appointment', 'complete_appointment_for_phone',
                                'reschedule_appointment_for_phone', 'release_expired_phone_numbers', 'phone_number_holder_at')",
        );
        assert_eq!(definer, 0, "every function is SECURITY INVOKER");
        Spi::run("CREATE ROLE phone_holds_test_nobody").unwrap();
        Spi::run("SET LOCAL ROLE phone_holds_test_nobody").unwrap();
        let f = failure("SELECT release_expired_phone_numbers()");
        assert_eq!(f.sqlstate, "42501", "{f:?}");
    }

    /// The GRANTs README.md documents are enough for the whole lifecycle, as the caller.
    #[pg_test]
    fn the_documented_grants_are_enough() {
        pool_of(1);
        Spi::run("CREATE ROLE phone_holds_test_caller").unwrap();
        Spi::run(
            "GRANT EXECUTE ON FUNCTION
                 assign_phone_to_lead(uuid, timestamptz),
                 extend_phone_for_appointment(uuid, timestamptz, timestamptz),
                 extend_phone_for_appointment(uuid, timestamp, timestamptz),
                 complete_appointment_for_phone(uuid, text, timestamptz),
                 reschedule_appointment_for_phone(uuid, timestamptz, timestamptz),
                 release_expired_phone_numbers(timestamptz),
                 phone_number_holder_at(text, timestamptz),
                 vapi_tool_calls(jsonb, timestamptz),
                 vapi_end_of_call(jsonb, timestamptz)
               TO phone_holds_test_caller;
             GRANT SELECT, UPDATE ON public.signalwire_phone_numbers TO phone_holds_test_caller;
             GRANT SELECT, INSERT ON public.phone_hold_ledger TO phone_holds_test_caller;",
        )
        .unwrap();
        Spi::run("SET LOCAL ROLE phone_holds_test_caller").unwrap();
        for sql in [
            format!("SELECT assign_phone_to_lead('{LEAD_A}', {})", ts(0)),
            format!("SELECT extend_phone_for_appointment('{LEAD_A}', {}, {})", ts(50), ts(1)),
            format!("SELECT extend_phone_for_appointment('{LEAD_A}', '2025-10-20 15:00'::timestamp, {})", ts(1)),
            format!("SELECT reschedule_appointment_for_phone('{LEAD_A}', {}, {})", ts(60), ts(2)),
            format!("SELECT complete_appointment_for_phone('{LEAD_A}', 'cancelled', {})", ts(3)),
            format!("SELECT release_expired_phone_numbers({})", ts(3)),
            format!("SELECT phone_number_holder_at('+15550000001', {})", ts(1)),
            format!(
                "SELECT vapi_end_of_call('{{\"leadId\": \"{LEAD_B}\", \"outcome\": \"booked\", \"appointmentTime\": \"2025-10-20T14:00:00Z\"}}', {})",
                ts(4)
            ),
            format!(
                "SELECT vapi_tool_calls('{{\"message\": {{\"type\": \"tool-calls\", \"toolCallList\": [{{\"id\": \"1\", \"function\": {{\"name\": \"cancel_appointment\", \"arguments\": {{\"lead_id\": \"{LEAD_B}\"}}}}}}]}}}}', {})",
                ts(5)
            ),
        ] {
            Spi::run(&sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
        Spi::run("RESET ROLE").unwrap();
        assert_eq!(count("SELECT count(*) FROM public.phone_hold_ledger"), 9, "6 changes for Lead A, then B assigned, booked, cancelled");
    }

    #[pg_test]
    fn the_self_check_is_empty_until_a_hand_edit_breaks_a_promise() {
        pool_of(3);
        Spi::run(&format!("SELECT extend_phone_for_appointment('{LEAD_A}', {}, {})", ts(50), ts(0))).unwrap();
        Spi::run(&format!("SELECT assign_phone_to_lead('{LEAD_B}', {})", ts(0))).unwrap();
        assert_eq!(count("SELECT count(*) FROM phone_holds_check()"), 0);
        // Hand edits the extension's own constraints would refuse, so those go first.
        Spi::run(
            "ALTER TABLE public.signalwire_phone_numbers DROP CONSTRAINT signalwire_phone_numbers_hold_shape;
             DROP INDEX public.phone_holds_one_number_per_lead;",
        )
        .unwrap();
        Spi::run(&format!(
            "UPDATE public.signalwire_phone_numbers SET assignment_status = 'assigned', currently_assigned_to = '{LEAD_A}',
                    release_at = now() WHERE number = '+15550000003'"
        ))
        .unwrap();
        Spi::run("UPDATE public.signalwire_phone_numbers SET release_at = NULL WHERE number = '+15550000002'").unwrap();
        let problems = one("SELECT string_agg(problem || ' ' || number, '; ' ORDER BY problem, number) FROM phone_holds_check()").unwrap();
        assert_eq!(
            problems,
            "assignment_status, currently_assigned_to and release_at disagree +15550000002; \
             lead holds 2 numbers +15550000001; \
             the ledger says nothing, the table says assigned to 07f26a19-e9dc-422c-b61d-030e3c7971bb +15550000003"
        );
    }
}
