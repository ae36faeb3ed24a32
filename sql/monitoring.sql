-- phone_holds monitoring: the seed's two monitoring queries and a pool summary, as views that
-- need no leads table. They read the current follow-up window from the GUC (default 24h).
-- Join them to your leads table for names: see README "Monitoring".

CREATE FUNCTION public.phone_holds_follow_up_window() RETURNS interval
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
AS $$ SELECT coalesce(nullif(current_setting('phone_holds.follow_up_window', true), ''), '24h')::interval $$;
COMMENT ON FUNCTION public.phone_holds_follow_up_window() IS
    'phone_holds.follow_up_window as an interval (24h when the setting is not loaded in this session).';

CREATE VIEW public.phone_appointment_holds AS
SELECT n.number,
       n.name,
       n.currently_assigned_to AS lead_id,
       n.appointment_scheduled_at,
       n.release_at,
       CASE
           WHEN n.appointment_scheduled_at > now() THEN
               'pending (' || round((extract(epoch FROM n.appointment_scheduled_at - now()) / 3600)::numeric, 1) || ' h)'
           WHEN n.appointment_scheduled_at + public.phone_holds_follow_up_window() > now() THEN 'follow-up window'
           ELSE 'over'
       END AS appointment_status,
       n.last_call_outcome
  FROM public.signalwire_phone_numbers AS n
 WHERE n.assignment_status = 'assigned' AND n.appointment_scheduled_at IS NOT NULL;
COMMENT ON VIEW public.phone_appointment_holds IS
    'Numbers held for an appointment: pending (hours until it), follow-up window, or over.';

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
        OR n.appointment_scheduled_at + public.phone_holds_follow_up_window() <= now());
COMMENT ON VIEW public.phone_holds_overdue IS
    'Holds that are over but not yet released: empty right after release_expired_phone_numbers() runs.';

CREATE VIEW public.phone_pool_status AS
SELECT count(*) FILTER (WHERE n.assignment_status = 'available') AS available,
       count(*) FILTER (WHERE n.assignment_status = 'assigned') AS assigned,
       count(*) FILTER (WHERE n.assignment_status = 'assigned'
                          AND n.appointment_scheduled_at + public.phone_holds_follow_up_window() > now()) AS held_for_appointment,
       count(*) FILTER (WHERE n.assignment_status = 'assigned' AND n.release_at <= now()) AS due_now,
       round(count(*) FILTER (WHERE n.assignment_status = 'assigned')::numeric
             / nullif(count(*) FILTER (WHERE n.assignment_status IN ('available', 'assigned')), 0), 3) AS utilisation,
       min(n.release_at) FILTER (WHERE n.assignment_status = 'assigned' AND n.release_at > now()) AS next_release_at
  FROM public.signalwire_phone_numbers AS n;
COMMENT ON VIEW public.phone_pool_status IS
    'One row: available, assigned, held for an appointment, due now, utilisation (assigned / in service), next release time.';
