-- phone_holds 0.3.0 → 0.4.0
--
-- Bounded work (README: Release job, Limits). No table the user owns, and no row, is touched.
--
-- 1. New: phone_hold_claims, the unlogged, always-empty table that serialises a lead's first
--    assignment without an advisory lock per lead (sql/claims.sql).
-- 2. New: release_expired_phone_numbers_batch() (one batch) and the procedure
--    drain_expired_phone_numbers() that pg_cron runs (commits between batches);
--    schedule_phone_release() schedules the procedure.
-- 3. New: vapi_tool_calls(text, …) and vapi_end_of_call(text, …), which read bodies jsonb
--    cannot hold; the jsonb forms become SQL functions that call them.
-- 4. Roles that could run the 0.3.0 functions can run the new ones beside them, so an update
--    breaks no caller: whoever has EXECUTE on release_expired_phone_numbers() gets it on the
--    batch function and the procedure, and whoever has it on a jsonb VAPI function gets it on
--    its text form (which the jsonb form now calls).

CREATE UNLOGGED TABLE public.phone_hold_claims (
    lead_id uuid PRIMARY KEY
);
COMMENT ON TABLE public.phone_hold_claims IS
    'phone_holds internal: serialises the first assignment of a lead; always empty outside a running transaction.';
GRANT SELECT, INSERT, DELETE ON public.phone_hold_claims TO PUBLIC;

CREATE FUNCTION "release_expired_phone_numbers_batch"(
	"as_of" timestamp with time zone DEFAULT now()
) RETURNS INT
VOLATILE PARALLEL UNSAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'release_expired_phone_numbers_batch_wrapper';

CREATE PROCEDURE public.drain_expired_phone_numbers(
    as_of timestamptz DEFAULT pg_catalog.now(),
    INOUT released bigint DEFAULT NULL)
LANGUAGE plpgsql
AS $drain$
DECLARE
    batch integer;
BEGIN
    IF as_of IS NULL THEN
        RAISE EXCEPTION 'phone_holds: as_of must not be NULL'
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Pass a value; as_of may be omitted to mean now().';
    END IF;
    released := 0;
    LOOP
        batch := public.release_expired_phone_numbers_batch(as_of);
        EXIT WHEN batch OPERATOR(pg_catalog.=) 0;
        released := released OPERATOR(pg_catalog.+) batch;
        COMMIT;
    END LOOP;
END
$drain$;
COMMENT ON PROCEDURE public.drain_expired_phone_numbers(timestamptz, bigint) IS
    'Releases every number due at as_of in batches of phone_holds.release_batch, committing after each; returns how many. What the pg_cron job runs. CALL it outside a transaction block.';

CREATE FUNCTION "vapi_end_of_call"(
	"payload" TEXT,
	"as_of" timestamp with time zone DEFAULT now()
) RETURNS jsonb
VOLATILE PARALLEL UNSAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'vapi_end_of_call_text_wrapper';

CREATE FUNCTION "vapi_tool_calls"(
	"payload" TEXT,
	"as_of" timestamp with time zone DEFAULT now()
) RETURNS jsonb
VOLATILE PARALLEL UNSAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'vapi_tool_calls_text_wrapper';

CREATE OR REPLACE FUNCTION public.vapi_tool_calls(payload jsonb, as_of timestamptz DEFAULT pg_catalog.now()) RETURNS jsonb
LANGUAGE sql VOLATILE PARALLEL UNSAFE
AS $$ SELECT public.vapi_tool_calls($1::pg_catalog.text, $2) $$;

CREATE OR REPLACE FUNCTION public.vapi_end_of_call(payload jsonb, as_of timestamptz DEFAULT pg_catalog.now()) RETURNS jsonb
LANGUAGE sql VOLATILE PARALLEL UNSAFE
AS $$ SELECT public.vapi_end_of_call($1::pg_catalog.text, $2) $$;

CREATE OR REPLACE FUNCTION public.schedule_phone_release(schedule text DEFAULT '*/15 * * * *') RETURNS bigint
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF schedule IS NULL THEN
        RAISE EXCEPTION 'phone_holds: schedule must not be NULL'
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Pass a cron schedule such as ''*/15 * * * *''.';
    END IF;
    IF to_regprocedure('cron.schedule(text, text, text)') IS NULL THEN
        RAISE EXCEPTION 'phone_holds: pg_cron is not installed in database %', current_database()
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = format('Set shared_preload_libraries = ''pg_cron'' and cron.database_name = %L in postgresql.conf, restart the server, then CREATE EXTENSION pg_cron;', current_database());
    END IF;
    -- pg_cron replaces a job of the same name, so scheduling again only changes the schedule.
    RETURN cron.schedule('phone_holds_release', schedule, 'CALL public.drain_expired_phone_numbers()');
END
$$;
COMMENT ON FUNCTION public.schedule_phone_release(text) IS
    'Schedules CALL drain_expired_phone_numbers() with pg_cron as the job "phone_holds_release" (default every 15 minutes) and returns its job id; scheduling again replaces the schedule. 55000 when pg_cron is not installed.';

-- Privileges: nobody by default, as for every function (sql/finalize.sql); then the roles that
-- could run what the new routines stand beside.
REVOKE EXECUTE ON FUNCTION public.release_expired_phone_numbers_batch(timestamptz),
                           public.vapi_tool_calls(text, timestamptz),
                           public.vapi_end_of_call(text, timestamptz) FROM PUBLIC;
REVOKE EXECUTE ON PROCEDURE public.drain_expired_phone_numbers(timestamptz, bigint) FROM PUBLIC;
DO $grant$
DECLARE
    pair record;
BEGIN
    FOR pair IN
        SELECT p.new, pg_catalog.quote_ident(r.rolname) AS grantee
          FROM (VALUES ('public.release_expired_phone_numbers(timestamptz)'::regprocedure, 'FUNCTION public.release_expired_phone_numbers_batch(timestamptz)'),
                       ('public.release_expired_phone_numbers(timestamptz)'::regprocedure, 'PROCEDURE public.drain_expired_phone_numbers(timestamptz, bigint)'),
                       ('public.vapi_tool_calls(jsonb, timestamptz)'::regprocedure, 'FUNCTION public.vapi_tool_calls(text, timestamptz)'),
                       ('public.vapi_end_of_call(jsonb, timestamptz)'::regprocedure, 'FUNCTION public.vapi_end_of_call(text, timestamptz)')
               ) AS p(old, new)
          JOIN pg_catalog.pg_proc AS f ON f.oid = p.old
          CROSS JOIN LATERAL pg_catalog.aclexplode(f.proacl) AS a
          JOIN pg_catalog.pg_roles AS r ON r.oid = a.grantee
         WHERE a.privilege_type = 'EXECUTE' AND a.grantee <> f.proowner
    LOOP
        EXECUTE pg_catalog.format('GRANT EXECUTE ON %s TO %s', pair.new, pair.grantee);
    END LOOP;
END
$grant$;

COMMENT ON FUNCTION public.release_expired_phone_numbers_batch(timestamptz) IS
    'One batch of the release: returns at most phone_holds.release_batch due numbers to the pool, oldest hold first; returns how many. Commit between calls until it returns 0 to drain a backlog, as drain_expired_phone_numbers() does.';

COMMENT ON FUNCTION public.vapi_tool_calls(text, timestamptz) IS
    'Answers a VAPI tool-calls message (book_appointment, cancel_appointment, reschedule_appointment) with {"results": [{"toolCallId", "result"}]}. At most 50 tool calls and 4 MiB of body (22023 beyond, nothing changed). Takes the body as text, so bodies jsonb cannot hold (\u0000) are read too.';

COMMENT ON FUNCTION public.vapi_tool_calls(jsonb, timestamptz) IS
    'vapi_tool_calls(text, timestamptz) for a body already held as jsonb.';

COMMENT ON FUNCTION public.vapi_end_of_call(text, timestamptz) IS
    'Acts on a VAPI end-of-call-report (or {"callId", "leadId", "outcome", "appointmentTime"}): books, reschedules, cancels or does nothing, and says which. At most 4 MiB of body (22023 beyond). Takes the body as text, so bodies jsonb cannot hold (\u0000) are read too.';

COMMENT ON FUNCTION public.vapi_end_of_call(jsonb, timestamptz) IS
    'vapi_end_of_call(text, timestamptz) for a body already held as jsonb.';

-- A pg_cron job scheduled by 0.3.0 runs the one-statement release; it keeps working, and
-- SELECT schedule_phone_release() switches it to the batched procedure.
DO $cron$
BEGIN
    IF pg_catalog.to_regclass('cron.job') IS NOT NULL THEN
        IF EXISTS (SELECT 1 FROM cron.job WHERE jobname = 'phone_holds_release' AND command NOT LIKE 'CALL %') THEN
            RAISE NOTICE 'phone_holds: the pg_cron job phone_holds_release still runs %; run SELECT schedule_phone_release(''<its schedule>'') to switch it to CALL drain_expired_phone_numbers()',
                (SELECT command FROM cron.job WHERE jobname = 'phone_holds_release' LIMIT 1);
        END IF;
    END IF;
END
$cron$;
