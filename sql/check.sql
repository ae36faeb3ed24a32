-- phone_holds self-check: the promises the functions keep, checked on the data as it is now.
-- For operators after an incident, a restore or a hand edit: an empty result means all hold.

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
