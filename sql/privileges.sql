-- Tables of phone_holds' that nobody but their owner may reach until granted to.
--
-- A new table gets whatever the schema's default privileges grant (Supabase grants every new
-- table in public to anon, authenticated and service_role: the public API key could then read
-- the leads' phones and move their holds). The extension's own tables and the tables
-- phone_holds_setup() creates are made private as they are created; the roles README's
-- Privileges section names are granted to afterwards. A table setup adopts keeps the grants
-- its owner gave it (setup reports who can reach it).
--
-- Revokes every privilege on `rel`, and on the sequences it owns (the ledger's identity), from
-- PUBLIC and from every role but the owner; returns the roles revoked from, PUBLIC included
-- when it had a grant. SECURITY INVOKER: it can only do what its caller could (the owner).
CREATE FUNCTION public.phone_holds_make_private(rel regclass) RETURNS text[]
LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
AS $private$
DECLARE
    target record;
    revoked text[] := '{}';
BEGIN
    -- On a hot standby or in a READ ONLY transaction: 25006, before any work.
    PERFORM public.phone_holds_require_writable('phone_holds_make_private()');
    FOR target IN
        SELECT c.oid::regclass AS name,
               CASE c.relkind WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END AS kind,
               (SELECT array_agg(DISTINCT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END)
                  FROM aclexplode(c.relacl) AS a
                  LEFT JOIN pg_roles AS r ON r.oid = a.grantee
                 WHERE a.grantee <> c.relowner) AS grantees
          FROM pg_class AS c
         -- A NULL ACL is the default, the owner's alone: left as it is.
         WHERE c.relacl IS NOT NULL
           AND (c.oid = rel
                OR c.oid IN (SELECT d.objid FROM pg_depend AS d
                              WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
                                AND d.refobjid = rel AND d.deptype IN ('a', 'i'))
                   AND c.relkind = 'S')
    LOOP
        EXECUTE format('REVOKE ALL ON %s %s FROM PUBLIC', target.kind, target.name);
        IF target.grantees IS NOT NULL THEN
            EXECUTE format('REVOKE ALL ON %s %s FROM %s', target.kind, target.name, array_to_string(target.grantees, ', '));
            SELECT array_agg(DISTINCT g ORDER BY g) INTO revoked FROM unnest(revoked || target.grantees) AS g;
        END IF;
    END LOOP;
    RETURN revoked;
END
$private$;

-- What the public can reach: every extension function (but the helpers granted to PUBLIC,
-- which read nothing of the user's) and every table and view of phone_holds' that PUBLIC, or
-- Supabase's roles for the public API key (anon) and signed-in end users (authenticated),
-- may use. Through PostgREST these would let anyone with the project's public key read the
-- leads' phones or move their holds. One row per role and object; none when all is private.
-- Reads the catalog only, so PUBLIC may run it: phone_holds_check() and phone_holds_setup()
-- report its rows.
CREATE FUNCTION public.phone_holds_exposed() RETURNS TABLE (role text, object text)
LANGUAGE sql STABLE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
AS $exposed$
    WITH public_roles AS (
        SELECT 0::oid AS oid, 'PUBLIC'::text AS name
        UNION ALL
        SELECT r.oid, r.rolname::text FROM pg_roles AS r WHERE r.rolname IN ('anon', 'authenticated') AND NOT r.rolsuper
    ),
    routines AS (
        SELECT p.oid, p.oid::regprocedure::text AS name, p.proacl, p.proowner
          FROM pg_depend AS d
          JOIN pg_proc AS p ON p.oid = d.objid
         WHERE d.classid = 'pg_proc'::regclass AND d.deptype = 'e' AND d.refclassid = 'pg_extension'::regclass
           AND d.refobjid = (SELECT e.oid FROM pg_extension AS e WHERE e.extname = 'phone_holds')
           AND p.proname NOT IN ('phone_holds_area_codes', 'phone_holds_area_codes_source', 'phone_holds_area_code',
                                 'phone_holds_number_problem', 'phone_holds_min_rest', 'phone_holds_rotation_ready',
                                 'phone_holds_number_unknown', 'phone_holds_exposed', 'phone_holds_require_writable')
    ),
    relations AS (
        SELECT c.oid, c.oid::regclass::text AS name, c.relacl, c.relowner
          FROM unnest(ARRAY['public.signalwire_phone_numbers', 'public.phone_hold_ledger', 'public.phone_hold_bookings', 'public.phone_hold_appointments',
                            'public.phone_hold_claims', 'public.phone_holds_webhook_secrets', 'public.phone_appointment_holds',
                            'public.phone_holds_overdue', 'public.phone_pool_status']) AS t(name)
          JOIN pg_class AS c ON c.oid = to_regclass(t.name)
    )
    SELECT r.name, f.name
      FROM public_roles AS r, routines AS f
     WHERE CASE WHEN r.oid = 0 THEN EXISTS (SELECT 1 FROM aclexplode(coalesce(f.proacl, acldefault('f', f.proowner))) AS a WHERE a.grantee = 0)
                ELSE has_function_privilege(r.oid, f.oid, 'EXECUTE') END
    UNION ALL
    SELECT r.name, t.name
      FROM public_roles AS r, relations AS t
     WHERE CASE WHEN r.oid = 0 THEN EXISTS (SELECT 1 FROM aclexplode(coalesce(t.relacl, acldefault('r', t.relowner))) AS a WHERE a.grantee = 0)
                ELSE has_table_privilege(r.oid, t.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE') END
     ORDER BY 1, 2
$exposed$;
