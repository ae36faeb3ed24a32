//! Least privilege wherever it is installed: whatever the schema's default privileges grant,
//! after CREATE EXTENSION and phone_holds_setup() only the owner reaches the functions (but
//! the helpers PUBLIC may run) and the tables, until the roles README's Privileges section
//! names are granted to.

use pgrx::prelude::*;

#[pg_schema]
mod tests {
    use crate::tests::support::*;
    use pgrx::prelude::*;

    /// The helpers every role may run: they read nothing of the user's.
    const PUBLIC_HELPERS: &str = "'phone_holds_area_codes', 'phone_holds_area_codes_source', 'phone_holds_area_code',
        'phone_holds_number_problem', 'phone_holds_min_rest', 'phone_holds_rotation_ready', 'phone_holds_number_unknown',
        'phone_holds_exposed', 'phone_holds_require_writable'";

    /// A database shaped like Supabase's: its API roles, and default privileges in public that
    /// grant them every new function, table and sequence. Then the extension, installed anew.
    fn supabase_then_install() {
        Spi::run(
            "CREATE ROLE anon NOLOGIN; CREATE ROLE authenticated NOLOGIN; CREATE ROLE service_role NOLOGIN;
             ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON FUNCTIONS TO anon, authenticated, service_role;
             ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated, service_role;
             ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON SEQUENCES TO anon, authenticated, service_role;
             DROP EXTENSION phone_holds CASCADE;
             DROP TABLE IF EXISTS public.signalwire_phone_numbers, public.phone_hold_ledger, public.phone_hold_bookings CASCADE;
             CREATE EXTENSION phone_holds;",
        )
        .unwrap();
    }

    /// Who but the owner may reach what: "role object privilege", one per line.
    fn reachable() -> String {
        one(&format!(
            "SELECT coalesce(string_agg(x, E'\\n' ORDER BY x), '') FROM (
                 SELECT r.rolname || ' ' || p.oid::regprocedure::text || ' EXECUTE' AS x
                   FROM pg_proc AS p
                   JOIN pg_depend AS d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
                        AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'phone_holds'),
                        pg_roles AS r
                  WHERE r.rolname IN ('anon', 'authenticated', 'service_role') AND p.proname NOT IN ({PUBLIC_HELPERS})
                    AND has_function_privilege(r.oid, p.oid, 'EXECUTE')
                 UNION ALL
                 SELECT r.rolname || ' ' || c.oid::regclass::text || ' ' || v.privilege
                   FROM pg_class AS c, pg_roles AS r,
                        unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) AS v(privilege)
                  WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'v', 'p')
                    AND r.rolname IN ('anon', 'authenticated', 'service_role')
                    AND has_table_privilege(r.oid, c.oid, v.privilege)
                 UNION ALL
                 SELECT r.rolname || ' ' || c.oid::regclass::text || ' ' || v.privilege
                   FROM pg_class AS c, pg_roles AS r, unnest(ARRAY['USAGE', 'SELECT', 'UPDATE']) AS v(privilege)
                  WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'S'
                    AND r.rolname IN ('anon', 'authenticated', 'service_role')
                    AND has_sequence_privilege(r.oid, c.oid, v.privilege)) AS reach"
        ))
        .unwrap()
    }

    #[pg_test]
    fn default_privileges_give_the_public_nothing_of_the_extension_s_or_setup_s() {
        supabase_then_install();
        assert_eq!(reachable(), "", "after CREATE EXTENSION");
        let said = one("SELECT string_agg(line, '; ') FROM phone_holds_setup() AS line").unwrap();
        assert!(
            said.ends_with("revoked what default privileges granted anon, authenticated, service_role on the tables and views created"),
            "{said}"
        );
        assert_eq!(reachable(), "", "after setup: the pool, the ledger, its identity, the bookings and the views");
        assert_eq!(count("SELECT count(*) FROM phone_holds_check()"), 0);
        // What README grants service_role is what it then has, and enough: the claims of first
        // assignments need no grant (the functions write them as their owner).
        Spi::run(
            "GRANT EXECUTE ON FUNCTION assign_phone_to_lead(uuid, timestamptz, text) TO service_role;
             GRANT SELECT, UPDATE ON public.signalwire_phone_numbers TO service_role;
             GRANT SELECT, INSERT ON public.phone_hold_ledger TO service_role;",
        )
        .unwrap();
        assert_eq!(one("SELECT coalesce(string_agg(line, '; '), '') FROM phone_holds_setup() AS line").unwrap(), "");
        Spi::run("INSERT INTO public.signalwire_phone_numbers (number) VALUES ('+14155550101')").unwrap();
        Spi::run(&format!("SET LOCAL ROLE service_role; SELECT assign_phone_to_lead('{LEAD_A}'); RESET ROLE")).unwrap();
        assert_eq!(number_of(LEAD_A), Some("+14155550101".into()));
        assert_eq!(
            reachable(),
            "service_role assign_phone_to_lead(uuid,timestamp with time zone,text) EXECUTE\n\
             service_role phone_hold_ledger INSERT\nservice_role phone_hold_ledger SELECT\n\
             service_role signalwire_phone_numbers SELECT\nservice_role signalwire_phone_numbers UPDATE",
            "and the call left it nothing more"
        );
    }

    /// The claims of first assignments are written by the functions alone: a role that may
    /// log in, or even assign, cannot insert one and hold it in an open transaction (which
    /// would stall that lead's first assignment) or fill the table.
    #[pg_test]
    fn no_caller_can_write_the_claims_but_through_the_functions() {
        pool_of(2);
        Spi::run(
            "CREATE ROLE phone_holds_test_assigner;
             GRANT EXECUTE ON FUNCTION assign_phone_to_lead(uuid, timestamptz, text) TO phone_holds_test_assigner;
             GRANT SELECT, UPDATE ON public.signalwire_phone_numbers TO phone_holds_test_assigner;
             GRANT SELECT, INSERT ON public.phone_hold_ledger TO phone_holds_test_assigner;
             SET LOCAL ROLE phone_holds_test_assigner",
        )
        .unwrap();
        for sql in [format!("INSERT INTO public.phone_hold_claims VALUES ('{LEAD_A}')"), "DELETE FROM public.phone_hold_claims".into()] {
            let f = failure(&sql);
            assert_eq!(f.sqlstate, "42501", "{sql}: {f:?}");
        }
        Spi::run(&format!("SELECT assign_phone_to_lead('{LEAD_A}')")).unwrap();
        // The call is the caller's again afterwards, and after a call that failed.
        assert_eq!(one("SELECT current_user::text"), Some("phone_holds_test_assigner".into()));
        let f = failure(&format!("SELECT assign_phone_to_lead('{LEAD_B}', 'infinity')"));
        assert_ne!(f.sqlstate, "", "{f:?}");
        assert_eq!(one("SELECT current_user::text"), Some("phone_holds_test_assigner".into()));
        assert_eq!(failure(&format!("INSERT INTO public.phone_hold_claims VALUES ('{LEAD_B}')")).sqlstate, "42501");
        Spi::run("RESET ROLE").unwrap();
        assert_eq!(number_of(LEAD_A), Some("+15550000001".into()));
        assert_eq!(count("SELECT count(*) FROM public.phone_hold_claims"), 0);
    }

    /// The appointments are nobody's but the functions': a grant on them to the public is
    /// reported like one on the ledger.
    #[pg_test]
    fn a_grant_of_the_appointments_to_the_public_is_reported() {
        pool_of(1);
        assert_eq!(one("SELECT string_agg(role || ' ' || object, ', ') FROM phone_holds_exposed()"), None);
        Spi::run("GRANT SELECT ON public.phone_hold_appointments TO PUBLIC").unwrap();
        assert_eq!(one("SELECT string_agg(role || ' ' || object, ', ') FROM phone_holds_exposed()"), Some("PUBLIC public.phone_hold_appointments".into()));
        assert_eq!(count("SELECT count(*) FROM phone_holds_check() WHERE problem LIKE 'PUBLIC can reach public.phone_hold_appointments %'"), 1);
    }

    /// A table setup adopts keeps its grants; one the public can reach is warned about by
    /// setup and reported by phone_holds_check() until revoked.
    #[pg_test]
    fn what_the_public_can_still_reach_is_reported() {
        pool_of(1);
        Spi::run("CREATE ROLE anon NOLOGIN; GRANT SELECT ON public.phone_hold_ledger TO anon; GRANT EXECUTE ON FUNCTION release_expired_phone_numbers(timestamptz) TO PUBLIC").unwrap();
        assert_eq!(
            one("SELECT string_agg(role || ' ' || object, ', ') FROM phone_holds_exposed()"),
            Some(
                "PUBLIC public.release_expired_phone_numbers(timestamp with time zone), anon public.phone_hold_ledger, \
                 anon public.release_expired_phone_numbers(timestamp with time zone)"
                    .into()
            )
        );
        assert_eq!(
            one("SELECT string_agg(problem, E'\\n' ORDER BY problem) FROM phone_holds_check()"),
            Some(
                "PUBLIC can reach public.release_expired_phone_numbers(timestamp with time zone) (REVOKE it: only your own systems' roles may, README: Privileges)\n\
                 anon can reach public.phone_hold_ledger (REVOKE it: only your own systems' roles may, README: Privileges)\n\
                 anon can reach public.release_expired_phone_numbers(timestamp with time zone) (REVOKE it: only your own systems' roles may, README: Privileges)"
                    .into()
            )
        );
        Spi::run("REVOKE ALL ON public.phone_hold_ledger FROM anon; REVOKE EXECUTE ON FUNCTION release_expired_phone_numbers(timestamptz) FROM PUBLIC").unwrap();
        assert_eq!(count("SELECT count(*) FROM phone_holds_check()"), 0);
    }
}
