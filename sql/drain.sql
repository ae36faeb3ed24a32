-- drain_expired_phone_numbers(): the release as pg_cron runs it, in short committed batches.
--
-- release_expired_phone_numbers() is one statement: with a large backlog (after a pg_cron
-- outage, say) it holds every due row's lock until it ends, so a booking on one of those
-- numbers waits for all of it, and under a statement_timeout shorter than it, it is cancelled
-- every time and the backlog never drains. This procedure commits after each batch of
-- phone_holds.release_batch numbers instead: a booking waits for one batch at most, and an
-- interrupted run (timeout, cancel, crash) keeps what it committed; the next run goes on.
--
-- as_of is fixed when the CALL starts, so holds that end while it runs wait for the next run
-- and a run always ends. It must be CALLed outside a transaction block, as pg_cron does; inside
-- one, use release_expired_phone_numbers(). It is a procedure, so it cannot SET search_path
-- (PostgreSQL forbids COMMIT then): every name is qualified instead.

CREATE PROCEDURE public.drain_expired_phone_numbers(
    as_of timestamptz DEFAULT pg_catalog.now(),
    INOUT released bigint DEFAULT NULL)
LANGUAGE plpgsql
AS $drain$
DECLARE
    batch integer;
BEGIN
    -- On a hot standby or in a READ ONLY transaction: 25006, before any work.
    PERFORM public.phone_holds_require_writable('drain_expired_phone_numbers()');
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
