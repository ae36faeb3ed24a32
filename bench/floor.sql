-- BENCHMARK FIXTURE ONLY — the bare-SQL floor: for each operation, the single hand-written
-- statement that makes the same writes as the native function (ledger row included), with no
-- function call. $1 is a lead, $2 an as_of, $3 an appointment. bench/run.sh reads the
-- statements between the "-- name:" markers; bench/pgbench/floor_*.sql inline the same text.

-- name: release
-- $1 as_of, $2 as_of - follow-up window
WITH due AS (
    SELECT n.number, n.currently_assigned_to, n.release_at,
           -- Dated no earlier than the number's latest ledger row, as the functions date it.
           greatest($1, (SELECT l.at FROM public.phone_hold_ledger AS l WHERE l.number = n.number ORDER BY l.at DESC, l.id DESC LIMIT 1)) AS at
      FROM public.signalwire_phone_numbers AS n
     WHERE n.assignment_status = 'assigned' AND n.release_at <= $1
       AND (n.appointment_scheduled_at IS NULL OR n.appointment_scheduled_at <= $2)
       FOR UPDATE SKIP LOCKED),
released AS (
    UPDATE public.signalwire_phone_numbers AS n
       SET assignment_status = 'available', currently_assigned_to = NULL, release_at = NULL,
           appointment_scheduled_at = NULL, released_at = due.at
      FROM due
     WHERE n.number = due.number
 RETURNING n.number, due.currently_assigned_to, due.release_at, due.at),
logged AS (
    INSERT INTO public.phone_hold_ledger (at, event, number, lead_id, old_release_at)
    SELECT released.at, 'released', released.number, released.currently_assigned_to, released.release_at FROM released)
SELECT count(*)::int4 FROM released
