-- phone_holds monitoring: the seed's two monitoring queries and a pool summary, as views that
-- need no leads table. They read the follow-up window from its setting (24h when unset).
-- Join them to your leads table for names: see README "Monitoring".
--
-- Like the tables they read, the views are created when absent and then detached from the
-- extension: DROP EXTENSION leaves them (and so never has to drop or cascade through them),
-- and pg_dump dumps them after the tables. They use no extension object for the same reason.

DO $monitoring$
BEGIN
    IF current_setting('phone_holds.restoring', true) IN ('on', 'true') THEN
        RETURN;
    END IF;

    IF to_regclass('public.phone_appointment_holds') IS NULL THEN
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
    END IF;

    IF to_regclass('public.phone_holds_overdue') IS NULL THEN
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
    END IF;

    IF to_regclass('public.phone_pool_status') IS NULL THEN
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
    END IF;
END
$monitoring$;
