-- phone_holds 0.15.0 → 0.16.0
--
-- On a hot standby (and in a READ ONLY transaction) every function that writes refuses with
-- 25006 and a message of phone_holds', before any work; before, it failed deep inside
-- PostgreSQL (XX000 "cannot assign TransactionIds during recovery", a Rust backtrace in its
-- detail), which phone_holds_webhook() could only answer 500, do not retry. Now it answers 503,
-- so VAPI and the calendars retry against the new primary. The SQL-language functions that
-- write call the new guard first; phone_release_runs() shows a run that a failover, crash or
-- restart cut off as interrupted instead of running. No table, and no row, is touched.
--
-- The guard reads nothing of the user's, like the helpers sql/finalize.sql grants to PUBLIC:
-- handled: finalize.sql

CREATE FUNCTION public.phone_holds_require_writable("function" text) RETURNS void
VOLATILE PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'phone_holds_require_writable_wrapper';
-- As at CREATE EXTENSION (sql/finalize.sql): revoked from whoever the schema's default
-- privileges granted it to (Supabase: anon, authenticated, service_role), then PUBLIC's.
DO $require_writable$
DECLARE
    revoked text[];
BEGIN
    SELECT pg_catalog.array_agg(DISTINCT pg_catalog.quote_ident(r.rolname)) INTO revoked
      FROM pg_catalog.pg_proc AS p
     CROSS JOIN LATERAL pg_catalog.aclexplode(p.proacl) AS a
      JOIN pg_catalog.pg_roles AS r ON r.oid = a.grantee
     WHERE p.oid = 'public.phone_holds_require_writable(text)'::pg_catalog.regprocedure AND a.grantee <> p.proowner;
    IF revoked IS NOT NULL THEN
        EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION public.phone_holds_require_writable(text) FROM %s', pg_catalog.array_to_string(revoked, ', '));
    END IF;
END
$require_writable$;
GRANT EXECUTE ON FUNCTION public.phone_holds_require_writable(text) TO PUBLIC;

-- finalize.sql's comments that changed (the rest of it, the grants, is above):
COMMENT ON FUNCTION public.phone_holds_require_writable(text) IS
    'phone_holds internal: nothing when this transaction may write; 25006 naming the function when it may not (a hot standby, a READ ONLY transaction). The SQL-language functions that write call it first.';

COMMENT ON FUNCTION public.phone_release_runs(timestamptz, timestamptz) IS
    'The release job''s runs that started from from_time to to_time, from pg_cron''s cron.job_run_details (time, finished_at, status) with how many numbers each released (ledger); a run that never connected shows at its end, failed, 0; one a failover, crash or restart cut off is interrupted. The job is the one schedule_phone_release() makes, of a role that may release; without pg_cron, each release call the ledger shows. SECURITY DEFINER, so a monitoring role sees the job''s runs.';

-- @objects
