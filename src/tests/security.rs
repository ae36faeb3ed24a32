//! The functions run with the caller's rights, and objects planted in a caller's search_path
//! cannot change what they do.

use pgrx::prelude::*;

#[pg_schema]
mod tests {
    use crate::tests::support::*;
    use pgrx::prelude::*;

    fn caller_with_execute_only(role: &str) {
        Spi::run(&format!("CREATE ROLE {role}")).unwrap();
        Spi::run(&format!(
            "GRANT EXECUTE ON FUNCTION assign_phone_to_lead(uuid, timestamptz, text), release_expired_phone_numbers(timestamptz),
                                       extend_phone_for_appointment(uuid, timestamptz, timestamptz, text) TO {role}"
        ))
        .unwrap();
    }

    #[pg_test]
    fn execute_alone_does_not_reach_the_tables() {
        pool_of(1);
        caller_with_execute_only("phone_holds_test_exec_only");
        Spi::run("SET LOCAL ROLE phone_holds_test_exec_only").unwrap();
        let f = failure(&format!("SELECT assign_phone_to_lead('{LEAD_A}', {})", ts(0)));
        assert_eq!(f.sqlstate, "42501", "{f:?}");
        assert!(f.message.contains("signalwire_phone_numbers"), "{f:?}");
    }

    #[pg_test]
    fn row_level_security_limits_what_a_caller_can_release() {
        pool_of(4);
        for (i, lead) in [LEAD_A, LEAD_B].iter().enumerate() {
            Spi::run(&format!("SELECT assign_phone_to_lead('{lead}', {})", ts(i as i64))).unwrap();
        }
        caller_with_execute_only("phone_holds_test_team");
        Spi::run(
            "GRANT SELECT, UPDATE ON public.signalwire_phone_numbers TO phone_holds_test_team;
             GRANT SELECT, INSERT ON public.phone_hold_ledger TO phone_holds_test_team;
             ALTER TABLE public.signalwire_phone_numbers ENABLE ROW LEVEL SECURITY;
             CREATE POLICY team_lines ON public.signalwire_phone_numbers TO phone_holds_test_team
                 USING (name = 'Line 1') WITH CHECK (name = 'Line 1');",
        )
        .unwrap();
        Spi::run("SET LOCAL ROLE phone_holds_test_team").unwrap();
        // Both holds are over, but the caller sees only Line 1 (Lead A's).
        assert_eq!(Spi::get_one::<i32>(&format!("SELECT release_expired_phone_numbers({})", ts(30))).unwrap(), Some(1));
        Spi::run("RESET ROLE").unwrap();
        assert_eq!(number_of(LEAD_A), None);
        assert!(number_of(LEAD_B).is_some(), "a row beyond the caller's policy was left alone");
    }

    #[pg_test]
    fn objects_planted_in_the_search_path_change_nothing() {
        pool_of(3);
        Spi::run(
            "CREATE SCHEMA phone_holds_test_evil;
             CREATE TABLE phone_holds_test_evil.signalwire_phone_numbers (LIKE public.signalwire_phone_numbers INCLUDING ALL);
             INSERT INTO phone_holds_test_evil.signalwire_phone_numbers (number) VALUES ('+19990000000');
             CREATE TABLE phone_holds_test_evil.phone_hold_ledger (LIKE public.phone_hold_ledger);
             CREATE FUNCTION phone_holds_test_evil.pg_advisory_xact_lock(int, int) RETURNS void
                 LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'planted lock function ran'; END $$;
             CREATE FUNCTION phone_holds_test_evil.now() RETURNS timestamptz
                 LANGUAGE sql AS $$ SELECT 'infinity'::timestamptz $$;
             CREATE FUNCTION phone_holds_test_evil.always(text, text) RETURNS boolean
                 LANGUAGE sql AS $$ SELECT true $$;
             CREATE OPERATOR phone_holds_test_evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = phone_holds_test_evil.always);
             CREATE FUNCTION phone_holds_test_evil.always(uuid, uuid) RETURNS boolean
                 LANGUAGE sql AS $$ SELECT true $$;
             CREATE OPERATOR phone_holds_test_evil.= (LEFTARG = uuid, RIGHTARG = uuid, FUNCTION = phone_holds_test_evil.always);
             CREATE TEMP TABLE signalwire_phone_numbers (LIKE public.signalwire_phone_numbers INCLUDING ALL);
             INSERT INTO pg_temp.signalwire_phone_numbers (number) VALUES ('+19990000001');",
        )
        .unwrap();
        // The planted schema comes before pg_catalog, so its now() and = win for the caller's
        // own SQL; the functions must not see them.
        Spi::run("SET LOCAL search_path = phone_holds_test_evil, pg_catalog, pg_temp, public").unwrap();
        for lead in [LEAD_A, LEAD_B] {
            Spi::run(&format!("SELECT public.assign_phone_to_lead('{lead}')")).unwrap();
        }
        Spi::run(&format!("SELECT public.reschedule_appointment_for_phone('{LEAD_A}', {}, {})", ts(30), ts(0))).unwrap();
        Spi::run(&format!("SELECT public.release_expired_phone_numbers({})", ts(0))).unwrap();
        Spi::run("SET LOCAL search_path = pg_catalog, public").unwrap();

        assert_eq!(count("SELECT count(*) FROM public.signalwire_phone_numbers WHERE assignment_status = 'assigned'"), 2);
        assert_eq!(
            one(&format!("SELECT appointment_scheduled_at::text FROM public.signalwire_phone_numbers WHERE currently_assigned_to = '{LEAD_A}'")),
            Some(at(30)),
            "only Lead A's row was rescheduled"
        );
        assert_eq!(
            one("SELECT count(appointment_scheduled_at)::text FROM public.signalwire_phone_numbers"),
            Some("1".into())
        );
        assert_eq!(count("SELECT count(*) FROM public.phone_hold_ledger"), 3, "assigned, assigned, rescheduled");
        assert_eq!(count("SELECT count(*) FROM phone_holds_test_evil.phone_hold_ledger"), 0);
        assert_eq!(count("SELECT count(*) FROM phone_holds_test_evil.signalwire_phone_numbers WHERE assignment_status = 'assigned'"), 0);
        assert_eq!(count("SELECT count(*) FROM pg_temp.signalwire_phone_numbers WHERE assignment_status = 'assigned'"), 0);
    }
}
