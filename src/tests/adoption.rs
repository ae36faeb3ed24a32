//! The pool table is the user's: CREATE EXTENSION never creates it (a restore brings it),
//! phone_holds_setup() creates or adopts it as it is, and nothing drops or rewrites it.

use pgrx::prelude::*;

#[pg_schema]
mod tests {
    use crate::tests::support::*;
    use pgrx::prelude::*;

    /// A database where the user already has a seed-shaped pool of their own, with rows, and the
    /// extension was just created: nothing of ours exists yet but functions.
    fn seed_shaped_table() {
        Spi::run("SET LOCAL TimeZone = 'UTC'").unwrap();
        Spi::run("DROP EXTENSION phone_holds CASCADE").unwrap();
        Spi::run("DROP TABLE IF EXISTS public.signalwire_phone_numbers, public.phone_hold_ledger, public.phone_hold_bookings, public.phone_hold_appointments CASCADE").unwrap();
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
        Spi::run("CREATE EXTENSION phone_holds").unwrap();
    }

    fn user_rows() -> String {
        one("SELECT string_agg(concat_ws('|', id, number, name, assignment_status, currently_assigned_to, release_at,
                                         appointment_scheduled_at, last_call_outcome, vapi_phone_number_id, notes),
                               E'\\n' ORDER BY id)
               FROM public.signalwire_phone_numbers")
        .unwrap()
    }

    /// Every relation, view, index and sequence in schema public, with its kind.
    /// The user's relations in public: everything but what belongs to the extension (its
    /// claims table, which pg_dump leaves to CREATE EXTENSION).
    fn relations() -> String {
        one("SELECT coalesce(string_agg(c.relkind::text || ' ' || c.relname, ', ' ORDER BY c.relname), '')
               FROM pg_class AS c
              WHERE c.relnamespace = 'public'::regnamespace
                AND c.oid NOT IN (SELECT objid FROM pg_depend WHERE deptype = 'e' AND classid = 'pg_class'::regclass)
                AND NOT EXISTS (SELECT 1 FROM pg_index AS i JOIN pg_depend AS d ON d.objid = i.indrelid AND d.deptype = 'e'
                                 WHERE i.indexrelid = c.oid)")
        .unwrap()
    }

    fn setup_said() -> String {
        one("SELECT coalesce(string_agg(line, '; '), '') FROM phone_holds_setup() AS line").unwrap()
    }

    /// The promise a restore rests on: CREATE EXTENSION makes nothing a dump also contains.
    #[pg_test]
    fn create_extension_creates_no_table_index_or_view() {
        Spi::run("DROP EXTENSION phone_holds CASCADE").unwrap();
        Spi::run("DROP TABLE IF EXISTS public.signalwire_phone_numbers, public.phone_hold_ledger, public.phone_hold_bookings, public.phone_hold_appointments CASCADE").unwrap();
        let before = relations();
        Spi::run("CREATE EXTENSION phone_holds").unwrap();
        assert_eq!(relations(), before);
        // Its two tables are its own, and empty: the claims, unlogged, which pg_dump leaves to
        // CREATE EXTENSION; and the webhook secrets, a configuration table, whose rows (and
        // only its rows) pg_dump dumps after CREATE EXTENSION.
        assert_eq!(
            one("SELECT string_agg(c.relname || ' ' || c.relpersistence::text, ', ' ORDER BY c.relname) FROM pg_class AS c
                  JOIN pg_depend AS d ON d.objid = c.oid AND d.classid = 'pg_class'::regclass AND d.deptype = 'e'
                 WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'phone_holds')"),
            Some("phone_hold_claims u, phone_holds_webhook_secrets p".into())
        );
        assert_eq!(
            one("SELECT array_to_string(extconfig::regclass[], ', ') FROM pg_extension WHERE extname = 'phone_holds'"),
            Some("phone_holds_webhook_secrets".into())
        );
        assert_eq!(count("SELECT count(*) FROM public.phone_hold_claims"), 0);
        assert_eq!(count("SELECT count(*) FROM public.phone_holds_webhook_secrets"), 0);
        // Every object it made belongs to it, so pg_dump leaves it to CREATE EXTENSION.
        assert_eq!(
            count("SELECT count(*) FROM pg_proc WHERE pronamespace = 'public'::regnamespace
                    AND oid NOT IN (SELECT objid FROM pg_depend WHERE deptype = 'e' AND classid = 'pg_proc'::regclass)"),
            0
        );
    }

    #[pg_test]
    fn before_setup_every_function_names_the_call_that_makes_the_tables() {
        Spi::run("DROP EXTENSION phone_holds CASCADE").unwrap();
        Spi::run("DROP TABLE IF EXISTS public.signalwire_phone_numbers, public.phone_hold_ledger, public.phone_hold_bookings, public.phone_hold_appointments CASCADE").unwrap();
        Spi::run("CREATE EXTENSION phone_holds").unwrap();
        for sql in [
            format!("SELECT assign_phone_to_lead('{LEAD_A}')"),
            format!("SELECT extend_phone_for_appointment('{LEAD_A}', now() + interval '1 day')"),
            format!("SELECT complete_appointment_for_phone('{LEAD_A}', 'showed')"),
            "SELECT release_expired_phone_numbers()".into(),
            "SELECT phone_number_holder_at('+15550000001', now())".into(),
        ] {
            let f = failure(&sql);
            assert_eq!(f.sqlstate, "42P01", "{sql}: {f:?}");
            assert!(f.message.contains("public.signalwire_phone_numbers") || f.message.contains("public.phone_hold_ledger"), "{f:?}");
            assert!(f.hint.contains("SELECT phone_holds_setup()"), "{sql}: {f:?}");
        }
        assert_eq!(
            one("SELECT string_agg(problem, '; ') FROM phone_holds_check()").unwrap(),
            "table public.signalwire_phone_numbers does not exist (a new database: SELECT phone_holds_setup(); otherwise restore or rename it back); \
             table public.phone_hold_ledger does not exist (a new database: SELECT phone_holds_setup(); otherwise restore or rename it back)"
        );
    }

    #[pg_test]
    fn setup_creates_everything_once_and_then_nothing() {
        Spi::run("DROP EXTENSION phone_holds CASCADE").unwrap();
        Spi::run("DROP TABLE IF EXISTS public.signalwire_phone_numbers, public.phone_hold_ledger, public.phone_hold_bookings, public.phone_hold_appointments CASCADE").unwrap();
        Spi::run("CREATE EXTENSION phone_holds").unwrap();
        assert_eq!(
            setup_said(),
            "created table public.signalwire_phone_numbers; created index public.phone_holds_one_number_per_lead; \
             created index public.phone_holds_due; created index public.phone_holds_rested; created index public.phone_holds_free_by_area; \
             created index public.phone_holds_retired; created table public.phone_hold_ledger; \
             created table public.phone_hold_bookings; created table public.phone_hold_appointments; \
             created view public.phone_appointment_holds; created view public.phone_holds_overdue; created view public.phone_pool_status"
        );
        let made = relations();
        assert_eq!(setup_said(), "", "a second call has nothing to do");
        assert_eq!(relations(), made);
        assert_eq!(count("SELECT count(*) FROM phone_holds_check()"), 0);
    }

    #[pg_test]
    fn setup_adopts_an_existing_table_without_touching_a_row() {
        seed_shaped_table();
        let before = user_rows();
        let untouched = relations();
        assert!(!untouched.contains("phone_hold"), "CREATE EXTENSION added nothing to the user's table: {untouched}");
        assert_eq!(
            setup_said(),
            "added column public.signalwire_phone_numbers.released_at; added column public.signalwire_phone_numbers.retired_at; \
             added column public.signalwire_phone_numbers.retired_reason; created index public.phone_holds_one_number_per_lead; \
             created index public.phone_holds_due; created index public.phone_holds_rested; created index public.phone_holds_free_by_area; \
             created index public.phone_holds_retired; created table public.phone_hold_ledger; \
             created table public.phone_hold_bookings; created table public.phone_hold_appointments; \
             recorded 0 booked calendar bookings and 1 other held appointments in public.phone_hold_appointments; recorded 1 existing holds in public.phone_hold_ledger as adopted; \
             created view public.phone_appointment_holds; created view public.phone_holds_overdue; created view public.phone_pool_status"
        );
        assert_eq!(user_rows(), before);
        // Only what was missing was added.
        assert_eq!(
            one("SELECT data_type FROM information_schema.columns
                  WHERE table_name = 'signalwire_phone_numbers' AND column_name = 'released_at'"),
            Some("timestamp with time zone".into())
        );
        assert_eq!(count("SELECT count(*) FROM pg_indexes WHERE indexname = 'phone_holds_number_key'"), 0, "its UNIQUE(number) serves");
        // The existing hold is on record and keeps working.
        assert_eq!(
            one("SELECT string_agg(event || ' ' || number, ',') FROM public.phone_hold_ledger"),
            Some("adopted +15551110001".into())
        );
        assert_eq!(setup_said(), "", "adopting again records nothing twice");
        assert_eq!(one("SELECT phone_number_holder_at('+15551110001', now())::text"), Some(LEAD_A.into()));
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
        let made = relations();
        Spi::run("DROP EXTENSION phone_holds CASCADE").unwrap();
        assert_eq!(state(), before);
        assert_eq!(relations(), made, "tables, indexes and views stay");
        Spi::run("CREATE EXTENSION phone_holds").unwrap();
        assert_eq!(state(), before);
        // The functions work at once, on the tables that stayed.
        assert_eq!(one(&format!("SELECT assign_phone_to_lead('{LEAD_A}', {})", ts(1))), number_of(LEAD_A));
        assert_eq!(setup_said(), "", "nothing was missing");
    }

    #[pg_test]
    fn setup_never_makes_an_empty_pool_while_the_rows_may_be_elsewhere() {
        pool_of(2);
        Spi::run(&format!("SELECT assign_phone_to_lead('{LEAD_A}', {})", ts(0))).unwrap();
        // Renamed: the rows sit in another table that looks like the pool.
        Spi::run("ALTER TABLE public.signalwire_phone_numbers RENAME TO pool_old").unwrap();
        let before = relations();
        let f = failure("SELECT phone_holds_setup()");
        assert_eq!(f.sqlstate, "55000", "{f:?}");
        assert!(f.message.contains("public.pool_old looks like the pool"), "{f:?}");
        assert!(f.hint.contains("ALTER TABLE public.pool_old RENAME TO signalwire_phone_numbers"), "{f:?}");
        assert_eq!(relations(), before, "nothing was created");
        // Lost: no such table anywhere, but the ledger remembers numbers.
        Spi::run("DROP TABLE public.pool_old CASCADE").unwrap();
        let f = failure("SELECT phone_holds_setup()");
        assert_eq!(f.sqlstate, "55000", "{f:?}");
        assert!(f.message.contains("public.phone_hold_ledger records 1 numbers"), "{f:?}");
        assert!(f.hint.contains("restore the table"), "{f:?}");
        // The ledger renamed away: the same care.
        Spi::run("CREATE TABLE public.signalwire_phone_numbers (number text PRIMARY KEY, assignment_status text NOT NULL DEFAULT 'available')").unwrap();
        Spi::run("ALTER TABLE public.phone_hold_ledger RENAME TO ledger_old").unwrap();
        let f = failure("SELECT phone_holds_setup()");
        assert_eq!(f.sqlstate, "55000", "{f:?}");
        assert!(f.hint.contains("ALTER TABLE public.ledger_old RENAME TO phone_hold_ledger"), "{f:?}");
    }

    #[pg_test]
    fn a_renamed_or_dropped_column_is_42703_with_the_truth() {
        pool_of(2);
        Spi::run(&format!("SELECT assign_phone_to_lead('{LEAD_A}', {})", ts(0))).unwrap();
        Spi::run("ALTER TABLE public.signalwire_phone_numbers RENAME COLUMN release_at TO hold_until").unwrap();
        let f = assert_refused(&format!("SELECT assign_phone_to_lead('{LEAD_B}', {})", ts(0)), "42703", "has no column \"release_at\"");
        assert!(f.message.contains("public.signalwire_phone_numbers"), "{f:?}");
        assert!(f.hint.contains("RENAME COLUMN <its name> TO release_at"), "{f:?}");
        assert!(!f.hint.contains("UPDATE"), "ALTER EXTENSION UPDATE would not help: {f:?}");
        assert_eq!(failure(&format!("SELECT release_expired_phone_numbers({})", ts(30))).sqlstate, "42703");
        // Put back, it works again in the same session: the kept plans are re-planned.
        Spi::run("ALTER TABLE public.signalwire_phone_numbers RENAME COLUMN hold_until TO release_at").unwrap();
        Spi::run(&format!("SELECT assign_phone_to_lead('{LEAD_B}', {})", ts(0))).unwrap();
        // Dropped (with the pool's summary view, which reads it): setup adds both back, empty.
        assert_eq!(failure("ALTER TABLE public.signalwire_phone_numbers DROP COLUMN released_at").sqlstate, "2BP01");
        Spi::run("ALTER TABLE public.signalwire_phone_numbers DROP COLUMN released_at CASCADE").unwrap();
        let f = failure(&format!("SELECT release_expired_phone_numbers({})", ts(30)));
        assert_eq!(f.sqlstate, "42703", "{f:?}");
        assert!(f.hint.contains("SELECT phone_holds_setup() adds it back"), "{f:?}");
        assert_eq!(
            setup_said(),
            "added column public.signalwire_phone_numbers.released_at; created index public.phone_holds_rested; \
             created index public.phone_holds_free_by_area; created view public.phone_pool_status"
        );
        assert_eq!(count(&format!("SELECT release_expired_phone_numbers({})", ts(30))), 2);
        // A ledger column: its values live only in a backup.
        Spi::run("ALTER TABLE public.phone_hold_ledger RENAME COLUMN outcome TO result").unwrap();
        Spi::run(&format!("SELECT assign_phone_to_lead('{LEAD_C}', {})", ts(31))).unwrap();
        let f = failure(&format!("SELECT complete_appointment_for_phone('{LEAD_C}', 'showed', {})", ts(32)));
        assert_eq!(f.sqlstate, "42703", "{f:?}");
        assert!(f.message.contains("public.phone_hold_ledger has no column \"outcome\""), "{f:?}");
    }

    #[pg_test]
    fn a_column_of_the_wrong_type_is_refused_with_the_fix() {
        seed_shaped_table();
        Spi::run("ALTER TABLE public.signalwire_phone_numbers ALTER COLUMN release_at TYPE timestamp").unwrap();
        let before = user_rows();
        let f = failure("SELECT phone_holds_setup()");
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
        let f = failure("SELECT phone_holds_setup()");
        assert_eq!(f.sqlstate, "23505", "{f:?}");
        assert!(f.hint.contains("array_agg(number)"), "{f:?}");
    }

    #[pg_test]
    fn nobody_may_execute_the_functions_until_granted() {
        // Only the helpers that read nothing of the user's, which granted functions call.
        let public_can = one(
            "SELECT string_agg(p.oid::regprocedure::text, ', ' ORDER BY p.oid::regprocedure::text)
               FROM pg_proc AS p JOIN pg_depend AS d ON d.objid = p.oid AND d.deptype = 'e'
              WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'phone_holds')
                AND p.pronamespace = 'public'::regnamespace
                AND (p.proacl IS NULL OR aclcontains(p.proacl, makeaclitem(0, p.proowner, 'EXECUTE', false)))",
        );
        assert_eq!(
            public_can.as_deref(),
            Some("phone_holds_area_code(text), phone_holds_area_codes(), phone_holds_area_codes_source(), phone_holds_exposed(), phone_holds_min_rest(), phone_holds_number_problem(text), phone_holds_number_unknown(text), phone_holds_require_writable(text), phone_holds_rotation_ready()")
        );
        // Every function runs with the caller's rights but two, each with a search_path of its
        // own: the signature check, which reads the webhook secrets the caller may not, and the
        // release runs, which read pg_cron's runs of a job another role scheduled.
        let definers = one(
            "SELECT string_agg(p.oid::regprocedure::text || ' ' || array_to_string(p.proconfig, ','), '; ' ORDER BY p.proname)
               FROM pg_proc AS p JOIN pg_depend AS d ON d.objid = p.oid AND d.deptype = 'e'
              WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'phone_holds') AND p.prosecdef",
        );
        assert_eq!(
            definers.as_deref(),
            Some(
                "phone_holds_verify_signature(text,text,text,timestamp with time zone) search_path=pg_catalog, pg_temp; \
                 phone_release_runs(timestamp with time zone,timestamp with time zone) search_path=pg_catalog, pg_temp"
            )
        );
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
                 assign_phone_to_lead(uuid, timestamptz, text),
                 extend_phone_for_appointment(uuid, timestamptz, timestamptz, text),
                 extend_phone_for_appointment(uuid, timestamp, timestamptz, text),
                 complete_appointment_for_phone(uuid, text, timestamptz),
                 reschedule_appointment_for_phone(uuid, timestamptz, timestamptz, text),
                 release_expired_phone_numbers(timestamptz),
                 phone_number_holder_at(text, timestamptz),
                 release_expired_phone_numbers_batch(timestamptz),
                 vapi_tool_calls(text, timestamptz),
                 vapi_tool_calls(jsonb, timestamptz),
                 vapi_end_of_call(text, timestamptz),
                 vapi_end_of_call(jsonb, timestamptz)
               TO phone_holds_test_caller;
             GRANT EXECUTE ON PROCEDURE drain_expired_phone_numbers(timestamptz, bigint) TO phone_holds_test_caller;
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
            format!("SELECT release_expired_phone_numbers_batch({})", ts(3)),
            format!("SELECT phone_number_holder_at('+15550000001', {})", ts(1)),
            format!(
                "SELECT vapi_end_of_call('{{\"leadId\": \"{LEAD_B}\", \"outcome\": \"booked\", \"appointmentTime\": \"2025-10-20T14:00:00Z\"}}'::jsonb, {})",
                ts(4)
            ),
            format!("SELECT vapi_end_of_call('{{\"leadId\": \"{LEAD_B}\", \"outcome\": \"no_answer\"}}'::text, {})", ts(4)),
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

    #[pg_test]
    fn the_self_check_sees_rows_the_table_lost() {
        pool_of(3);
        Spi::run(&format!("SELECT extend_phone_for_appointment('{LEAD_A}', {}, {})", ts(50), ts(0))).unwrap();
        Spi::run(&format!("SELECT assign_phone_to_lead('{LEAD_B}', {})", ts(0))).unwrap();
        Spi::run(&format!("SELECT release_expired_phone_numbers({})", ts(19))).unwrap();
        assert_eq!(count("SELECT count(*) FROM phone_holds_check()"), 0);
        // Lead A's held number vanishes; B's released one too (that alone is no loss of a hold).
        Spi::run("DELETE FROM public.signalwire_phone_numbers WHERE number IN ('+15550000001', '+15550000002')").unwrap();
        assert_eq!(
            one("SELECT string_agg(problem || ' ' || number, '; ') FROM phone_holds_check()").unwrap(),
            format!("the ledger says extended to {LEAD_A}, the table has no such number +15550000001")
        );
        // What a restore that lost the pool leaves: an empty table beside the ledger.
        Spi::run("DELETE FROM public.signalwire_phone_numbers").unwrap();
        assert_eq!(
            one("SELECT string_agg(problem, '; ' ORDER BY problem) FROM phone_holds_check()").unwrap(),
            format!("the ledger says extended to {LEAD_A}, the table has no such number; the pool table is empty, but the ledger records 2 numbers")
        );
    }
}
