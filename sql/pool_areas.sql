-- The pool by area code and by state or province (docs/guides/local-presence.md, docs/operations/monitoring.md): where
-- free numbers are about to run out, which are resting, which are retired.
--
-- Functions, not views: a view made by phone_holds_setup() that called the extension's
-- phone_holds_area_codes() would stop DROP EXTENSION (README: Backups), and one made by
-- CREATE EXTENSION cannot name a table that does not exist yet. PL/pgSQL, so the pool table
-- is looked up when called, not when the extension is created.

CREATE FUNCTION public.phone_pool_by_area_code(as_of timestamptz DEFAULT pg_catalog.now())
RETURNS TABLE (area_code text, region text, region_name text, available bigint, resting bigint, assigned bigint, retired bigint)
LANGUAGE plpgsql STABLE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
AS $by_area$
BEGIN
    PERFORM public.phone_holds_rotation_ready();
    RETURN QUERY
    SELECT p.area_code, a.region, a.region_name,
           count(*) FILTER (WHERE p.free),
           count(*) FILTER (WHERE p.free AND p.released_at > phone_pool_by_area_code.as_of - public.phone_holds_min_rest()),
           count(*) FILTER (WHERE p.assignment_status = 'assigned'),
           count(*) FILTER (WHERE p.retired_at IS NOT NULL)
      FROM (SELECT public.phone_holds_area_code(n.number::text) AS area_code,
                   n.assignment_status::text AS assignment_status, n.released_at, n.retired_at,
                   n.assignment_status = 'available' AND n.retired_at IS NULL AS free
              FROM public.signalwire_phone_numbers AS n) AS p
      LEFT JOIN public.phone_holds_area_codes() AS a ON a.area_code = p.area_code
     GROUP BY p.area_code, a.region, a.region_name
     ORDER BY count(*) FILTER (WHERE p.free), p.area_code NULLS LAST;
END
$by_area$;

CREATE FUNCTION public.phone_pool_by_region(as_of timestamptz DEFAULT pg_catalog.now())
RETURNS TABLE (region text, region_name text, area_codes bigint, available bigint, resting bigint, assigned bigint, retired bigint)
LANGUAGE sql STABLE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
AS $by_region$
    SELECT a.region, a.region_name, count(*) FILTER (WHERE a.area_code IS NOT NULL),
           sum(a.available)::bigint, sum(a.resting)::bigint, sum(a.assigned)::bigint, sum(a.retired)::bigint
      FROM public.phone_pool_by_area_code(phone_pool_by_region.as_of) AS a
     GROUP BY a.region, a.region_name
     ORDER BY sum(a.available), a.region NULLS LAST;
$by_region$;

-- phone_holds.min_rest as an interval; its default (1h) while the library is not yet loaded in
-- this session, before which PostgreSQL does not know the setting.
CREATE FUNCTION public.phone_holds_min_rest() RETURNS interval
LANGUAGE sql STABLE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
AS $min_rest$
    SELECT coalesce(nullif(pg_catalog.current_setting('phone_holds.min_rest', true), ''), '1h')::pg_catalog.interval;
$min_rest$;
