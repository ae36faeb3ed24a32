-- BENCHMARK FIXTURE ONLY: pgbench script (floor, complete 'showed'): 24 hours from now, outcome
-- recorded, with its ledger row (dated no earlier than the number's latest), and the lead's appointments that have begun marked showed, in
-- one statement.
\set lead random(1, :leads)
WITH held AS (
    SELECT n.number, n.release_at, n.appointment_scheduled_at FROM public.signalwire_phone_numbers AS n
     WHERE n.currently_assigned_to = ('00000000-0000-4000-8000-' || lpad(:lead::text, 12, '0'))::uuid AND n.assignment_status = 'assigned' FOR UPDATE),
changed AS (
    UPDATE public.signalwire_phone_numbers AS n
       SET release_at = now() + interval '24 hours', last_call_outcome = 'showed'
      FROM held WHERE n.number = held.number
 RETURNING n.number, held.release_at AS old_release_at, n.release_at AS new_release_at, n.appointment_scheduled_at),
ended AS (
    UPDATE public.phone_hold_appointments AS a SET status = 'showed', status_at = now()
      FROM held
     WHERE a.lead_id = ('00000000-0000-4000-8000-' || lpad(:lead::text, 12, '0'))::uuid AND a.status = 'booked'
       AND a.appointment_at > now() - interval '24 hours' AND a.appointment_at <= now())
INSERT INTO public.phone_hold_ledger (at, event, number, lead_id, old_release_at, new_release_at, appointment_at, outcome)
SELECT greatest(now(), (SELECT l.at FROM public.phone_hold_ledger AS l WHERE l.number = changed.number ORDER BY l.at DESC, l.id DESC LIMIT 1)), 'completed', number, ('00000000-0000-4000-8000-' || lpad(:lead::text, 12, '0'))::uuid, old_release_at, new_release_at, appointment_scheduled_at, 'showed' FROM changed;
