-- BENCHMARK FIXTURE ONLY: pgbench script (floor, extend): the held number kept until the
-- appointment + 24 hours, latest appointment recorded, with its ledger row, in one statement;
-- nothing written when nothing changes.
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
 RETURNING n.number, held.release_at AS old_release_at, n.release_at AS new_release_at, n.appointment_scheduled_at)
INSERT INTO public.phone_hold_ledger (at, event, number, lead_id, old_release_at, new_release_at, appointment_at)
SELECT now(), 'extended', number, ('00000000-0000-4000-8000-' || lpad(:lead::text, 12, '0'))::uuid, old_release_at, new_release_at, appointment_scheduled_at FROM changed;
