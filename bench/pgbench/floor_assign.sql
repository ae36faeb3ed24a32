-- BENCHMARK FIXTURE ONLY: pgbench script (floor, assign): the lead's number kept for another
-- 18 hours, or the number rested longest, with its ledger row (dated no earlier than the
-- number's latest), in one statement.
\set lead random(1, :leads)
WITH held AS (
    SELECT n.number, n.release_at, n.appointment_scheduled_at FROM public.signalwire_phone_numbers AS n
     WHERE n.currently_assigned_to = ('00000000-0000-4000-8000-' || lpad(:lead::text, 12, '0'))::uuid AND n.assignment_status = 'assigned' FOR UPDATE),
reused AS (
    UPDATE public.signalwire_phone_numbers AS n SET release_at = greatest(held.release_at, now() + interval '18 hours')
      FROM held WHERE n.number = held.number
 RETURNING n.number, held.release_at AS old_release_at, n.release_at AS new_release_at, n.appointment_scheduled_at),
taken AS (
    UPDATE public.signalwire_phone_numbers AS n
       SET assignment_status = 'assigned', currently_assigned_to = ('00000000-0000-4000-8000-' || lpad(:lead::text, 12, '0'))::uuid, release_at = now() + interval '18 hours',
           appointment_scheduled_at = NULL, last_call_outcome = NULL
     WHERE NOT EXISTS (SELECT 1 FROM held) AND n.assignment_status = 'available'
       AND n.number = (SELECT p.number FROM public.signalwire_phone_numbers AS p WHERE p.assignment_status = 'available'
                        ORDER BY p.released_at NULLS FIRST, p.number LIMIT 1 FOR UPDATE SKIP LOCKED)
 RETURNING n.number, n.release_at),
logged AS (
    INSERT INTO public.phone_hold_ledger (at, event, number, lead_id, old_release_at, new_release_at, appointment_at)
    SELECT greatest(now(), (SELECT l.at FROM public.phone_hold_ledger AS l WHERE l.number = reused.number ORDER BY l.at DESC, l.id DESC LIMIT 1)), 'reused', number, ('00000000-0000-4000-8000-' || lpad(:lead::text, 12, '0'))::uuid, old_release_at, new_release_at, appointment_scheduled_at FROM reused
    UNION ALL
    SELECT greatest(now(), (SELECT l.at FROM public.phone_hold_ledger AS l WHERE l.number = taken.number ORDER BY l.at DESC, l.id DESC LIMIT 1)), 'assigned', number, ('00000000-0000-4000-8000-' || lpad(:lead::text, 12, '0'))::uuid, NULL, release_at, NULL FROM taken)
SELECT number FROM reused UNION ALL SELECT number FROM taken;
