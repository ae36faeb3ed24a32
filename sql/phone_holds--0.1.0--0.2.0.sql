-- phone_holds 0.1.0 → 0.2.0
--
-- 1. The monitoring views leave the extension, like the tables they read: DROP EXTENSION keeps
--    them, pg_dump dumps them, and they no longer call an extension function (the helper
--    phone_holds_follow_up_window() goes; the views read the setting themselves).
-- 2. New: phone_holds_check(), the self-check for operators.
-- 3. New setting phone_holds.restoring (defined by the library): see README, Backups.
-- No table or row is touched.

DROP VIEW public.phone_appointment_holds, public.phone_holds_overdue, public.phone_pool_status;
DROP FUNCTION public.phone_holds_follow_up_window();

CREATE VIEW public.phone_appointment_holds AS
SELECT n.number,
       n.name,
       n.currently_assigned_to AS lead_id,
       n.appointment_scheduled_at,
       n.release_at,
       CASE
           WHEN n.appointment_scheduled_at > now() THEN
               'pending (' || round((extract(epoch FROM n.appointment_scheduled_at - now()) / 3600)::numeric, 1) || ' h)'
           WHEN n.appointment_scheduled_at
                + coalesce(nullif(current_setting('phone_holds.follow_up_window', true), ''), '24h')::interval > now()
               THEN 'follow-up window'
           ELSE 'over'
       END AS appointment_status,
       n.last_call_outcome
  FROM public.signalwire_phone_numbers AS n
 WHERE n.assignment_status = 'assigned' AND n.appointment_scheduled_at IS NOT NULL;
COMMENT ON VIEW public.phone_appointment_holds IS
    'Numbers held for an appointment: pending (hours until it), follow-up window, or over.';
ALTER EXTENSION phone_holds DROP VIEW public.phone_appointment_holds;

CREATE VIEW public.phone_holds_overdue AS
SELECT n.number,
       n.name,
       n.currently_assigned_to AS lead_id,
       n.release_at,
       n.appointment_scheduled_at,
       extract(epoch FROM now() - n.release_at) / 3600 AS hours_overdue
  FROM public.signalwire_phone_numbers AS n
 WHERE n.assignment_status = 'assigned' AND n.release_at < now()
   AND (n.appointment_scheduled_at IS NULL
        OR n.appointment_scheduled_at
           + coalesce(nullif(current_setting('phone_holds.follow_up_window', true), ''), '24h')::interval <= now());
COMMENT ON VIEW public.phone_holds_overdue IS
    'Holds that are over but not yet released: empty right after release_expired_phone_numbers() runs.';
ALTER EXTENSION phone_holds DROP VIEW public.phone_holds_overdue;

CREATE VIEW public.phone_pool_status AS
SELECT count(*) FILTER (WHERE n.assignment_status = 'available') AS available,
       count(*) FILTER (WHERE n.assignment_status = 'assigned') AS assigned,
       count(*) FILTER (WHERE n.assignment_status = 'assigned'
                          AND n.appointment_scheduled_at
                              + coalesce(nullif(current_setting('phone_holds.follow_up_window', true), ''), '24h')::interval
                              > now()) AS held_for_appointment,
       count(*) FILTER (WHERE n.assignment_status = 'assigned' AND n.release_at <= now()) AS due_now,
       round(count(*) FILTER (WHERE n.assignment_status = 'assigned')::numeric
             / nullif(count(*) FILTER (WHERE n.assignment_status IN ('available', 'assigned')), 0), 3) AS utilisation,
       min(n.release_at) FILTER (WHERE n.assignment_status = 'assigned' AND n.release_at > now()) AS next_release_at
  FROM public.signalwire_phone_numbers AS n;
COMMENT ON VIEW public.phone_pool_status IS
    'One row: available, assigned, held for an appointment, due now, utilisation (assigned / in service), next release time.';
ALTER EXTENSION phone_holds DROP VIEW public.phone_pool_status;

CREATE FUNCTION public.phone_holds_check()
RETURNS TABLE (problem text, number text, lead_id uuid)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $$
    -- A lead with more than one number.
    SELECT 'lead holds ' || count(*) || ' numbers', min(n.number), n.currently_assigned_to
      FROM public.signalwire_phone_numbers AS n
     WHERE n.assignment_status = 'assigned'
     GROUP BY n.currently_assigned_to
    HAVING count(*) > 1
    UNION ALL
    -- Assigned, holder and release time must go together.
    SELECT 'assignment_status, currently_assigned_to and release_at disagree', n.number, n.currently_assigned_to
      FROM public.signalwire_phone_numbers AS n
     WHERE (n.assignment_status = 'assigned') IS DISTINCT FROM (n.currently_assigned_to IS NOT NULL)
        OR (n.currently_assigned_to IS NOT NULL) IS DISTINCT FROM (n.release_at IS NOT NULL)
    UNION ALL
    -- The ledger's latest word on each number matches the table.
    SELECT 'the ledger says ' || coalesce(l.event || ' to ' || l.lead_id::text, 'nothing') || ', the table says '
               || coalesce(n.assignment_status || ' to ' || n.currently_assigned_to::text, n.assignment_status),
           n.number, n.currently_assigned_to
      FROM public.signalwire_phone_numbers AS n
      LEFT JOIN LATERAL (SELECT l.event, l.lead_id FROM public.phone_hold_ledger AS l
                          WHERE l.number = n.number ORDER BY l.at DESC, l.id DESC LIMIT 1) AS l ON true
     WHERE n.assignment_status IN ('assigned', 'available')
       AND (CASE WHEN l.event IS NULL OR l.event = 'released' THEN NULL ELSE l.lead_id END)
           IS DISTINCT FROM n.currently_assigned_to
$$;
COMMENT ON FUNCTION public.phone_holds_check() IS
    'Rows that break a phone_holds promise: a lead with two numbers, a row whose status, holder and release_at disagree, or a number whose latest ledger event names another holder. Empty when all hold.';
REVOKE EXECUTE ON FUNCTION public.phone_holds_check() FROM PUBLIC;
