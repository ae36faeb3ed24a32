//! One window of table shapes (spi::shape): phone_holds_setup() records the shape it made, and
//! tables older than the library serves are refused, every call, with 55000 and a hint naming
//! setup, before anything is read or written. Each test's backend is new, so the check runs.

use pgrx::prelude::*;

#[pg_schema]
mod tests {
    use crate::tests::support::*;
    use pgrx::prelude::*;

    /// The calls a database makes all day: each is refused the same way, and changes nothing.
    fn every_call_refused(detail_part: &str) {
        let calls = [
            format!("SELECT assign_phone_to_lead('{LEAD_A}', {})", ts(0)),
            format!("SELECT extend_phone_for_appointment('{LEAD_A}'::UUID, {}, {})", ts(48), ts(0)),
            format!("SELECT complete_appointment_for_phone('{LEAD_A}'::UUID, 'showed', {})", ts(0)),
            format!("SELECT release_expired_phone_numbers({})", ts(30)),
            "SELECT vapi_tool_calls('{\"message\": {\"type\": \"tool-calls\", \"toolCallList\": []}}')".to_owned(),
        ];
        for call in calls {
            let f = assert_refused(&call, "55000", "older than this version of phone_holds serves");
            assert!(f.detail.contains(detail_part), "{call}: {f:?}");
            assert!(f.hint.contains("ALTER EXTENSION phone_holds UPDATE, then SELECT phone_holds_setup()"), "{call}: {f:?}");
        }
    }

    #[pg_test]
    fn setup_records_the_table_shape_without_a_line() {
        // Default privileges that hand every new function to a role give it not this one:
        // nobody needs to call it (the library reads the catalog), so only its owner may.
        Spi::run(
            "CREATE ROLE phone_holds_test_default_grantee;
             ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO phone_holds_test_default_grantee",
        )
        .unwrap();
        set_up();
        for role in ["public", "phone_holds_test_default_grantee"] {
            let reaches = format!("SELECT has_function_privilege('{role}', 'public.phone_holds_table_shape()', 'EXECUTE')::text");
            assert_eq!(one(&reaches).as_deref(), Some("false"), "{role}");
        }
        assert_eq!(
            one("SELECT prosrc FROM pg_proc WHERE oid = to_regprocedure('public.phone_holds_table_shape()')").as_deref(),
            Some("SELECT 1")
        );
        assert_eq!(count("SELECT public.phone_holds_table_shape()::int8"), 1);
        // Not the extension's: it describes the user's tables, and goes where they go.
        assert_eq!(count("SELECT count(*) FROM pg_depend WHERE objid = 'public.phone_holds_table_shape()'::regprocedure AND deptype = 'e'"), 0);
        assert_eq!(count("SELECT count(*) FROM phone_holds_setup()"), 0);
    }

    /// Tables a release before 0.8.0 set up (no record, no geo_tier or retired_at) are refused
    /// until setup; then everything works on the same rows.
    #[pg_test]
    fn tables_set_up_before_0_8_0_are_refused_until_setup() {
        pool_of(2);
        Spi::run(
            "DROP FUNCTION IF EXISTS public.phone_holds_table_shape();
             ALTER TABLE public.phone_hold_ledger DROP COLUMN geo_tier;
             ALTER TABLE public.signalwire_phone_numbers DROP COLUMN retired_at CASCADE",
        )
        .unwrap();
        every_call_refused("public.phone_hold_ledger.geo_tier, public.signalwire_phone_numbers.retired_at");
        // The inbound routing too, and the ledger's answers.
        let f = failure(&format!("SELECT phone_number_holder_at('+15550000001', {})", ts(0)));
        assert_eq!(f.sqlstate, "55000", "{f:?}");
        Spi::run("SELECT count(*) FROM phone_holds_setup()").unwrap();
        assert_eq!(one(&format!("SELECT assign_phone_to_lead('{LEAD_A}', {})", ts(0))).as_deref(), Some("+15550000001"));
        assert_eq!(count("SELECT public.phone_holds_table_shape()::int8"), 1);
    }

    /// A recorded shape older than the library serves is refused by its number.
    #[pg_test]
    fn a_recorded_shape_older_than_served_is_refused() {
        pool_of(2);
        Spi::run("CREATE OR REPLACE FUNCTION public.phone_holds_table_shape() RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT 0'").unwrap();
        every_call_refused("recorded table shape 0; this version serves shape 1 and later");
        Spi::run("SELECT count(*) FROM phone_holds_setup()").unwrap();
        assert_eq!(count("SELECT public.phone_holds_table_shape()::int8"), 1);
        assert_eq!(one(&format!("SELECT assign_phone_to_lead('{LEAD_A}', {})", ts(0))).as_deref(), Some("+15550000001"));
    }

    /// Tables 0.8.0 to 0.13.0 set up carry no record; having every column, they are served.
    #[pg_test]
    fn unrecorded_tables_with_every_column_are_served() {
        pool_of(2);
        Spi::run("DROP FUNCTION IF EXISTS public.phone_holds_table_shape()").unwrap();
        assert_eq!(one(&format!("SELECT assign_phone_to_lead('{LEAD_A}', {})", ts(0))).as_deref(), Some("+15550000001"));
        assert_eq!(count("SELECT count(*) FROM public.phone_hold_ledger WHERE source = 'sql'"), 1);
    }
}
