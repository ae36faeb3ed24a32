-- phone_holds self-check: the promises the functions keep, checked on the data as it is now.
-- For operators after an incident, a restore or a hand edit: an empty result means all hold.
--
-- PL/pgSQL rather than SQL: the tables are the user's and may be missing (before
-- phone_holds_setup(), or after a restore that lost them), and that is itself a finding.

CREATE FUNCTION public.phone_holds_check()
RETURNS TABLE (problem text, number text, lead_id uuid)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
AS $check$
BEGIN
    IF pg_catalog.to_regclass('public.signalwire_phone_numbers') IS NULL THEN
        RETURN QUERY SELECT 'table public.signalwire_phone_numbers does not exist (a new database: SELECT phone_holds_setup(); otherwise restore or rename it back)'::text, NULL::text, NULL::uuid;
    END IF;
    IF pg_catalog.to_regclass('public.phone_hold_ledger') IS NULL THEN
        RETURN QUERY SELECT 'table public.phone_hold_ledger does not exist (a new database: SELECT phone_holds_setup(); otherwise restore or rename it back)'::text, NULL::text, NULL::uuid;
    END IF;
    IF pg_catalog.to_regclass('public.signalwire_phone_numbers') IS NULL
       OR pg_catalog.to_regclass('public.phone_hold_ledger') IS NULL THEN
        RETURN;
    END IF;

    RETURN QUERY
    -- A lead with more than one number.
    SELECT 'lead holds ' || count(*) || ' numbers', min(n.number::text), n.currently_assigned_to
      FROM public.signalwire_phone_numbers AS n
     WHERE n.assignment_status = 'assigned'
     GROUP BY n.currently_assigned_to
    HAVING count(*) > 1
    UNION ALL
    -- Assigned, holder and release time must go together.
    SELECT 'assignment_status, currently_assigned_to and release_at disagree', n.number::text, n.currently_assigned_to
      FROM public.signalwire_phone_numbers AS n
     WHERE (n.assignment_status = 'assigned') IS DISTINCT FROM (n.currently_assigned_to IS NOT NULL)
        OR (n.currently_assigned_to IS NOT NULL) IS DISTINCT FROM (n.release_at IS NOT NULL)
    UNION ALL
    -- The ledger's latest word on each number matches the table.
    SELECT 'the ledger says ' || coalesce(l.event || ' to ' || l.lead_id::text, 'nothing') || ', the table says '
               || coalesce(n.assignment_status::text || ' to ' || n.currently_assigned_to::text, n.assignment_status::text),
           n.number::text, n.currently_assigned_to
      FROM public.signalwire_phone_numbers AS n
      LEFT JOIN LATERAL (SELECT l.event, l.lead_id FROM public.phone_hold_ledger AS l
                          WHERE l.number = n.number ORDER BY l.at DESC, l.id DESC LIMIT 1) AS l ON true
     WHERE n.assignment_status::text IN ('assigned', 'available')
       AND (CASE WHEN l.event IS NULL OR l.event = 'released' THEN NULL ELSE l.lead_id END)
           IS DISTINCT FROM n.currently_assigned_to
    UNION ALL
    -- A hold the ledger says is current, on a number the table no longer lists: lost rows.
    SELECT 'the ledger says ' || l.event || ' to ' || coalesce(l.lead_id::text, 'nobody') || ', the table has no such number',
           l.number, l.lead_id
      FROM (SELECT DISTINCT ON (x.number) x.number, x.event, x.lead_id
              FROM public.phone_hold_ledger AS x
             ORDER BY x.number, x.at DESC, x.id DESC) AS l
     WHERE l.event <> 'released' AND l.lead_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM public.signalwire_phone_numbers AS n WHERE n.number::text = l.number)
    UNION ALL
    -- Numbers area-code matching cannot read (as phone_holds_setup() warns): they are handed
    -- out, but never as a lead's local number.
    SELECT p.problem, p.number, p.lead_id
      FROM (SELECT public.phone_holds_number_problem(n.number::text) AS problem, n.number::text AS number, n.currently_assigned_to AS lead_id
              FROM public.signalwire_phone_numbers AS n) AS p
     WHERE p.problem IS NOT NULL
    UNION ALL
    -- What PUBLIC, anon or authenticated may reach (sql/privileges.sql): through PostgREST,
    -- anyone with the public key.
    SELECT pg_catalog.format('%s can reach %s (REVOKE it: only your own systems'' roles may, README: Privileges)', x.role, x.object),
           NULL::text, NULL::uuid
      FROM public.phone_holds_exposed() AS x
    UNION ALL
    -- An empty pool beside a ledger that knows numbers: what a restore that lost the pool leaves.
    SELECT 'the pool table is empty, but the ledger records ' || count(DISTINCT l.number) || ' numbers',
           NULL::text, NULL::uuid
      FROM public.phone_hold_ledger AS l
    HAVING count(*) > 0 AND NOT EXISTS (SELECT 1 FROM public.signalwire_phone_numbers);

    -- A live appointment its lead's hold does not cover: the lead's callback about it would
    -- reach whoever gets the number next. Covered means held through the appointment's
    -- follow-up window, by the hold's end or by the appointment the pool row keeps (the release
    -- rule's two reasons). No such check before setup has made the table.
    IF pg_catalog.to_regclass('public.phone_hold_appointments') IS NOT NULL THEN
        RETURN QUERY
        SELECT 'the appointment at ' || a.appointment_at || ' (' || a.source || coalesce(' ' || a.reference, '') || ') is booked, but '
                   || coalesce('the hold of ' || n.number::text || ' ends at ' || n.release_at
                               || coalesce(' and keeps the appointment at ' || n.appointment_scheduled_at, ' and keeps no appointment'),
                               'the lead holds no number'),
               n.number::text, a.lead_id
          FROM public.phone_hold_appointments AS a
          LEFT JOIN public.signalwire_phone_numbers AS n
            ON n.currently_assigned_to = a.lead_id AND n.assignment_status = 'assigned'
         WHERE a.status = 'booked'
           AND a.appointment_at + coalesce(nullif(current_setting('phone_holds.follow_up_window', true), ''), '24h')::interval > now()
           AND NOT coalesce(n.appointment_scheduled_at >= a.appointment_at
                            OR n.release_at >= a.appointment_at + coalesce(nullif(current_setting('phone_holds.follow_up_window', true), ''), '24h')::interval,
                            false);
    END IF;
END
$check$;
COMMENT ON FUNCTION public.phone_holds_check() IS
    'Rows that break a phone_holds promise: a missing table, a lead with two numbers, a row whose status, holder and release_at disagree, a number whose latest ledger event names another holder, a live appointment its lead''s hold does not cover, a current hold on a number the table lost, a number that is not E.164 (never matched by area code), a function or table PUBLIC, anon or authenticated can reach (phone_holds_exposed()), or an empty pool beside a non-empty ledger. Empty when all hold.';
