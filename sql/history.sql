-- The pool over time, for a dashboard (docs/operations/monitoring.md): phone_pool_history() from the
-- ledger and the pool, and phone_release_runs(), the release job's runs with what each
-- released.
--
-- Functions, not views: a time range and a step are arguments, and, like
-- phone_pool_by_area_code(), they must not be objects of setup's that name the extension.

-- Per bucket of `step` from from_time to to_time (buckets aligned on multiples of step since
-- the epoch, as Grafana's $__timeGroup aligns them): the state at the bucket's end (held,
-- free, held_for_appointment) and the changes within it. The state is the pool's state now
-- taken back through the ledger's changes since (so the last bucket agrees with
-- phone_pool_status); held for an appointment follows each hold's ledger rows. Reads the
-- ledger rows since from_time and those with an appointment near or after it: its cost grows
-- with them, not with the whole ledger (bench/RESULTS.md).
CREATE FUNCTION public.phone_pool_history(from_time timestamptz, to_time timestamptz, step interval)
RETURNS TABLE ("time" timestamptz, held bigint, free bigint, held_for_appointment bigint,
               assignments bigint, extensions bigint, completions bigint, releases bigint)
LANGUAGE plpgsql STABLE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
    SET work_mem = '64MB' SET jit = off
AS $history$
DECLARE
    step_seconds double precision;
    first_epoch double precision;
    buckets bigint;
    -- The first bucket's start and the last one's end.
    first_at timestamptz;
    last_end timestamptz;
    held_now bigint;
    free_now bigint;
    follow_up interval := coalesce(nullif(current_setting('phone_holds.follow_up_window', true), ''), '24h')::interval;
BEGIN
    IF from_time IS NULL OR to_time IS NULL OR step IS NULL THEN
        RAISE EXCEPTION 'phone_holds: phone_pool_history() needs from_time, to_time and step, got NULL'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'From Grafana: phone_pool_history($__timeFrom(), $__timeTo(), ''$__interval''::interval).';
    END IF;
    IF date_part('month', step) <> 0 OR date_part('year', step) <> 0 OR step <= interval '0' THEN
        RAISE EXCEPTION 'phone_holds: the step of phone_pool_history() must be a positive length of time without months, got %', step
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Months have no fixed length: give days, hours, minutes or seconds (''30 days'', ''1h'').';
    END IF;
    IF isfinite(from_time) IS NOT TRUE OR isfinite(to_time) IS NOT TRUE OR to_time <= from_time THEN
        RAISE EXCEPTION 'phone_holds: phone_pool_history() needs from_time before to_time, both finite; got % to %', from_time, to_time
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Swap them, or give a range that is not empty.';
    END IF;
    IF from_time < '0001-01-01 00:00:00+00' OR to_time > '10000-01-01 00:00:00+00' THEN
        RAISE EXCEPTION 'phone_holds: phone_pool_history() covers the years 1 to 9999, got % to %', from_time, to_time
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Give a range within the years the ledger can hold, such as the last 30 days.';
    END IF;
    step_seconds := extract(epoch FROM step);
    first_epoch := floor(extract(epoch FROM from_time) / step_seconds) * step_seconds;
    buckets := ceil((extract(epoch FROM to_time) - first_epoch) / step_seconds)::bigint;
    IF buckets > 10000 THEN
        RAISE EXCEPTION 'phone_holds: phone_pool_history() would return % buckets; at most 10000', buckets
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Give a larger step or a shorter range (in Grafana, a Min interval on the panel).';
    END IF;
    first_at := to_timestamp(first_epoch);
    last_end := to_timestamp(first_epoch + buckets * step_seconds);
    PERFORM public.phone_holds_rotation_ready();

    -- The pool now, which the ledger's changes since are taken back from.
    -- Two counts, each over a partial index of setup's rather than the whole pool.
    SELECT count(*) INTO held_now FROM public.signalwire_phone_numbers AS n WHERE n.assignment_status = 'assigned';
    SELECT count(*) INTO free_now FROM public.signalwire_phone_numbers AS n
     WHERE n.assignment_status = 'available' AND n.retired_at IS NULL;

    RETURN QUERY
    WITH
    -- Every ledger row from the first bucket on: its bucket (`buckets` for any after the
    -- last); and for a row that holds a number for an appointment, when its stretch "held for
    -- an appointment" ends: at the number's next row that changes holds (retiring and
    -- restoring do not, so they are left out), or at the end of the follow-up window,
    -- whichever is first. Numbers are ordered bytewise: only equality matters.
    -- A release frees its number unless the number was out of rotation then (retired while
    -- held): that is, retired now, unless the number's rotation rows since turned it an odd
    -- number of times (a retire and a restore alternate).
    since AS (
        SELECT r.k, r.event, r.unheld,
               r.event = 'released' AND r.retired_now = (r.turns_since % 2 = 1) AS frees,
               r.ends > r.at AS starts,
               CASE WHEN r.ends > r.at AND r.ends < last_end
                    THEN floor((date_part('epoch', r.ends) - first_epoch) / step_seconds)::bigint END AS ends_in
          FROM (SELECT least(floor((date_part('epoch', l.at) - first_epoch) / step_seconds)::bigint, buckets) AS k,
                       l.event, l.lead_id IS NULL AS unheld, l.at,
                       retired.number IS NOT NULL AS retired_now,
                       count(*) FILTER (WHERE l.event IN ('retired', 'restored')) OVER later AS turns_since,
                       CASE WHEN l.appointment_at IS NOT NULL AND l.event NOT IN ('released', 'retired', 'restored')
                            THEN least(l.appointment_at + follow_up,
                                       min(l.at) FILTER (WHERE l.event NOT IN ('retired', 'restored')) OVER later) END AS ends
                  FROM public.phone_hold_ledger AS l
                  LEFT JOIN (SELECT n.number::text AS number FROM public.signalwire_phone_numbers AS n
                              WHERE n.retired_at IS NOT NULL) AS retired ON retired.number = l.number
                 WHERE l.at >= first_at
                -- The number's rows after this one (newest first, so the frame only grows).
                WINDOW later AS (PARTITION BY l.number COLLATE "C" ORDER BY l.at DESC, l.id DESC
                                 ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)) AS r
    ),
    -- One pass: the rows by bucket, kind and stretch start; and the stretch ends by bucket.
    counted AS (
        SELECT c.k, c.event, c.unheld, c.frees, c.starts, c.ends_in, count(*) AS n, GROUPING(c.ends_in) AS by_start
          FROM since AS c
         GROUP BY GROUPING SETS ((c.k, c.event, c.unheld, c.frees, c.starts), (c.ends_in))
    ),
    per_bucket AS (
        SELECT c.k,
               sum(c.n * CASE WHEN c.event IN ('assigned', 'adopted') THEN 1 WHEN c.event = 'released' THEN -1 ELSE 0 END) AS d_held,
               sum(c.n * CASE WHEN c.event IN ('assigned', 'adopted') THEN -1 WHEN c.frees THEN 1
                              WHEN c.event = 'retired' AND c.unheld THEN -1 WHEN c.event = 'restored' AND c.unheld THEN 1
                              ELSE 0 END) AS d_free,
               sum(c.n) FILTER (WHERE c.event = 'assigned') AS assignments,
               sum(c.n) FILTER (WHERE c.event IN ('extended', 'rescheduled')) AS extensions,
               sum(c.n) FILTER (WHERE c.event = 'completed') AS completions,
               sum(c.n) FILTER (WHERE c.event = 'released') AS releases,
               sum(c.n) FILTER (WHERE c.starts) AS stretch_starts
          FROM counted AS c
         WHERE c.by_start = 1
         GROUP BY c.k
    ),
    -- Stretches begun before the first bucket, by holds booked earlier for an appointment whose
    -- window reaches it: each looks up the number's next row.
    before AS (
        SELECT least(a.appointment_at + follow_up, nx.at) AS ends
          FROM public.phone_hold_ledger AS a
          LEFT JOIN LATERAL (
                SELECT x.at FROM public.phone_hold_ledger AS x
                 WHERE x.number = a.number AND x.at >= a.at AND (x.at > a.at OR x.id > a.id)
                   AND x.event NOT IN ('retired', 'restored')
                 ORDER BY x.at, x.id
                 LIMIT 1) AS nx ON true
         WHERE a.appointment_at IS NOT NULL AND a.appointment_at > first_at - follow_up
           AND a.at < first_at
           AND a.event NOT IN ('released', 'retired', 'restored')
    ),
    -- Stretch starts (+1) and ends (-1) by bucket, -1 standing for "before the first".
    appointed_by_bucket AS (
        SELECT e.k, sum(e.d) AS d
          FROM (SELECT c.ends_in AS k, -c.n AS d FROM counted AS c WHERE c.by_start = 0 AND c.ends_in IS NOT NULL
                UNION ALL
                SELECT -1, count(*) FROM before AS b WHERE b.ends >= first_at
                UNION ALL
                SELECT floor((date_part('epoch', b.ends) - first_epoch) / step_seconds)::bigint, -count(*)
                  FROM before AS b
                 WHERE b.ends >= first_at AND b.ends < last_end
                 GROUP BY 1) AS e
         GROUP BY e.k
    ),
    series AS (
        SELECT s.k,
               coalesce(b.d_held, 0) AS d_held, coalesce(b.d_free, 0) AS d_free,
               coalesce(b.assignments, 0) AS assignments, coalesce(b.extensions, 0) AS extensions,
               coalesce(b.completions, 0) AS completions, coalesce(b.releases, 0) AS releases,
               coalesce(b.stretch_starts, 0) + coalesce(a.d, 0) AS d_appointed
          FROM generate_series(-1::bigint, buckets) AS s(k)
          LEFT JOIN per_bucket AS b ON b.k = s.k
          LEFT JOIN appointed_by_bucket AS a ON a.k = s.k
    ),
    -- The state at the end of bucket k: now, less the changes of every later bucket; and the
    -- stretches begun but not ended by then.
    states AS (
        SELECT s.k, s.assignments, s.extensions, s.completions, s.releases,
               coalesce(sum(s.d_held) OVER later, 0) AS after_held,
               coalesce(sum(s.d_free) OVER later, 0) AS after_free,
               sum(s.d_appointed) OVER (ORDER BY s.k ROWS UNBOUNDED PRECEDING) AS appointed
          FROM series AS s
        WINDOW later AS (ORDER BY s.k DESC ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
    )
    SELECT to_timestamp(first_epoch + st.k * step_seconds),
           (held_now - st.after_held)::bigint, (free_now - st.after_free)::bigint, st.appointed::bigint,
           st.assignments::bigint, st.extensions::bigint, st.completions::bigint, st.releases::bigint
      FROM states AS st
     WHERE st.k >= 0 AND st.k < buckets
     ORDER BY st.k;
END
$history$;

-- The release job's runs that started from from_time to to_time: when each started and
-- ended, its status, and how many numbers it released (the ledger's releases stamped with a
-- time inside the run: a run's as_of is when it started). From pg_cron's
-- cron.job_run_details when pg_cron is installed; otherwise every release call the ledger
-- shows (its releases share one as_of), without status or end. A run that never connected
-- has no start time: it is shown at its end, failed, having released nothing. A run whose
-- process is gone while pg_cron still says running (a failover cut it off: the new primary's
-- pg_cron never ran it and does not look back) is interrupted, as is one pg_cron marked failed
-- with "server restarted" at a restart. (A standby sees its own processes, not the primary's:
-- there a run pg_cron says is running is shown running.) The job is the
-- one schedule_phone_release() makes, of a role that may release (another role can name a
-- job phone_holds_release too, and must not plant runs on the dashboard). SECURITY DEFINER:
-- pg_cron shows a role only the runs of its own jobs, and the job is its scheduler's.
CREATE FUNCTION public.phone_release_runs(from_time timestamptz, to_time timestamptz)
RETURNS TABLE ("time" timestamptz, finished_at timestamptz, status text, released bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $runs$
BEGIN
    IF from_time IS NULL OR to_time IS NULL THEN
        RAISE EXCEPTION 'phone_holds: phone_release_runs() needs from_time and to_time, got NULL'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'From Grafana: phone_release_runs($__timeFrom(), $__timeTo()).';
    END IF;
    IF pg_catalog.to_regclass('public.phone_hold_ledger') IS NULL THEN
        RAISE EXCEPTION 'phone_holds: table public.phone_hold_ledger does not exist'
            USING ERRCODE = 'undefined_table',
                  HINT = 'In a new database run SELECT phone_holds_setup(); otherwise restore it or rename it back.';
    END IF;
    IF pg_catalog.to_regclass('cron.job_run_details') IS NOT NULL AND pg_catalog.to_regclass('cron.job') IS NOT NULL THEN
        RETURN QUERY EXECUTE
            'SELECT coalesce(d.start_time, d.end_time), d.end_time,
                    CASE WHEN d.status OPERATOR(pg_catalog.=) ''running'' AND NOT pg_catalog.pg_is_in_recovery()
                              AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_stat_activity AS a
                                               WHERE a.pid OPERATOR(pg_catalog.=) d.job_pid
                                                 AND a.backend_start OPERATOR(pg_catalog.<=) d.start_time)
                           OR d.status OPERATOR(pg_catalog.=) ''failed'' AND d.return_message OPERATOR(pg_catalog.=) ''server restarted''
                         THEN ''interrupted'' ELSE d.status::pg_catalog.text END,
                    (SELECT pg_catalog.count(*) FROM public.phone_hold_ledger AS l
                      WHERE d.start_time IS NOT NULL AND l.event OPERATOR(pg_catalog.=) ''released''
                        AND l.at OPERATOR(pg_catalog.>=) d.start_time
                        AND l.at OPERATOR(pg_catalog.<=) coalesce(d.end_time, pg_catalog.now()))
               FROM cron.job AS j
               JOIN cron.job_run_details AS d ON d.jobid OPERATOR(pg_catalog.=) j.jobid
              WHERE j.jobname OPERATOR(pg_catalog.=) ''phone_holds_release''
                AND j.command OPERATOR(pg_catalog.=) ''CALL public.drain_expired_phone_numbers()''
                AND EXISTS (SELECT 1 FROM pg_catalog.pg_roles AS r
                             WHERE r.rolname OPERATOR(pg_catalog.=) j.username
                               AND pg_catalog.has_table_privilege(r.oid, ''public.signalwire_phone_numbers'', ''UPDATE'')
                               AND pg_catalog.has_function_privilege(r.oid, ''public.drain_expired_phone_numbers(pg_catalog.timestamptz, pg_catalog.int8)'', ''EXECUTE''))
                AND coalesce(d.start_time, d.end_time) OPERATOR(pg_catalog.>=) $1
                AND coalesce(d.start_time, d.end_time) OPERATOR(pg_catalog.<=) $2
              ORDER BY coalesce(d.start_time, d.end_time), d.runid'
            USING from_time, to_time;
    ELSE
        RETURN QUERY
        SELECT l.at, NULL::timestamptz, NULL::text, pg_catalog.count(*)
          FROM public.phone_hold_ledger AS l
         WHERE l.event = 'released' AND l.at >= from_time AND l.at <= to_time
         GROUP BY l.at
         ORDER BY l.at;
    END IF;
END
$runs$;
