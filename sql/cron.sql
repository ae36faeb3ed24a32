-- phone_holds and pg_cron: one job, under a fixed name, that runs the release in batches
-- (sql/drain.sql). pg_cron runs each job's command as a top-level statement, so the
-- procedure's COMMITs are allowed.

CREATE FUNCTION public.schedule_phone_release(schedule text DEFAULT '*/15 * * * *') RETURNS bigint
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- On a hot standby or in a READ ONLY transaction: 25006, before any work.
    PERFORM public.phone_holds_require_writable('schedule_phone_release()');
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

CREATE FUNCTION public.unschedule_phone_release() RETURNS boolean
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- On a hot standby or in a READ ONLY transaction: 25006, before any work.
    PERFORM public.phone_holds_require_writable('unschedule_phone_release()');
    IF to_regclass('cron.job') IS NULL THEN
        RETURN false;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM cron.job WHERE jobname = 'phone_holds_release') THEN
        RETURN false;
    END IF;
    RETURN cron.unschedule('phone_holds_release');
END
$$;
COMMENT ON FUNCTION public.unschedule_phone_release() IS
    'Removes the pg_cron job "phone_holds_release"; false when there was none.';
