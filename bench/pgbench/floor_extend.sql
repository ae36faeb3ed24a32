-- BENCHMARK FIXTURE ONLY: pgbench script (floor, extend): the held number kept until the
-- appointment + 24 hours, latest appointment recorded, with its ledger row (dated no earlier
-- than the number's latest, as the functions date it) and the appointment kept among the
-- lead's (unless one at that time is live), in one statement; nothing written to the pool or
-- the ledger when nothing changes.
\set lead random(1, :leads)
\set hours random(1, 200)
WITH held AS (
    SELECT n.number, n.release_at, n.appointment_scheduled_at FROM public.signalwire_phone_numbers AS n
     WHERE n.currently_assigned_to = ('00000000-0000-4000-8000-' || lpad(:lead::text, 12, '0'))::uuid AND n.assignment_status = 'assigned' FOR UPDATE),
changed AS (
    UPDATE public.signalwire_phone_numbers AS n
       SET release_at = greatest(held.release_at, now() + make_interval(hours => :hours) + interval '24 hours'),
           appointment_scheduled_at = greatest(held.appointment_scheduled_at, now() + make_interval(hours => :hours))
      FROM held WHERE n.number = held.number
       -- As the extension since 0.4.0: a booking that changes nothing writes nothing.
       AND (greatest(held.release_at, now() + make_interval(hours => :hours) + interval '24 hours') IS DISTINCT FROM held.release_at
            OR greatest(held.appointment_scheduled_at, now() + make_interval(hours => :hours)) IS DISTINCT FROM held.appointment_scheduled_at)
 RETURNING n.number, held.release_at AS old_release_at, n.release_at AS new_release_at, n.appointment_scheduled_at),
booked AS (
    INSERT INTO public.phone_hold_appointments (lead_id, source, reference, appointment_at, status, booked_at, status_at)
    SELECT ('00000000-0000-4000-8000-' || lpad(:lead::text, 12, '0'))::uuid, 'sql', NULL, now() + make_interval(hours => :hours), 'booked', now(), now()
      FROM held
     WHERE NOT EXISTS (SELECT 1 FROM public.phone_hold_appointments AS x
                        WHERE x.lead_id = ('00000000-0000-4000-8000-' || lpad(:lead::text, 12, '0'))::uuid AND x.status = 'booked'
                          AND x.reference IS NULL AND x.appointment_at = now() + make_interval(hours => :hours)))
INSERT INTO public.phone_hold_ledger (at, event, number, lead_id, old_release_at, new_release_at, appointment_at)
SELECT greatest(now(), (SELECT l.at FROM public.phone_hold_ledger AS l WHERE l.number = changed.number ORDER BY l.at DESC, l.id DESC LIMIT 1)), 'extended', number, ('00000000-0000-4000-8000-' || lpad(:lead::text, 12, '0'))::uuid, old_release_at, new_release_at, appointment_scheduled_at FROM changed;
