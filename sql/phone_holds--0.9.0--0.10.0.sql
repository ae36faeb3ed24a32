-- phone_holds 0.9.0 → 0.10.0
--
-- The right lead, always, and least privilege (README: Privileges, Guarantees). No table the
-- user owns, and no row, is touched.
--
-- 1. The library: a number another lead released rests even for its previous holder, every
--    ledger row is dated no earlier than the number's latest, calendar moves follow the
--    booking they replace, a hold keeps every live appointment of its lead (a cancel or move
--    of one is worked out from the others), the claims of first assignments are written as
--    their owner. Nothing here.
-- 2. New: phone_holds_make_private(regclass) (setup's, internal) and phone_holds_exposed()
--    (what PUBLIC, anon and authenticated can reach; every role may run it).
-- 3. The claims table is no longer PUBLIC's: the functions write it as its owner.
-- 4. anon and authenticated (Supabase's roles for the public key and signed-in users) lose
--    what default privileges gave them on the extension's functions; other roles keep their
--    grants, which may be the user's own (service_role). phone_holds_setup() now makes the
--    tables and views it creates private, and warns, as phone_holds_check() reports, about
--    what the public can still reach: the pool, ledger and bookings are the user's tables and
--    are not changed here.
-- 6. phone_holds_setup() now also makes public.phone_hold_appointments, with the bookings still
--    booked and each hold's appointment: run it right after this update (in the same
--    transaction: ALTER EXTENSION phone_holds UPDATE; SELECT phone_holds_setup();). Until it
--    has, the seed's calls keep one appointment per hold as 0.9.0 did, and calendar webhooks
--    are refused (42P01, with the hint), so the calendar delivers them again.
-- 5. Replaced: phone_holds_setup(), phone_holds_check(), phone_pool_history() (years 1 to
--    9999), phone_release_runs() (runs that never connected; only the real job's),
--    retire_phone_number() and restore_phone_number() (ledger time), and
--    phone_holds_set_webhook_secret() (trims whitespace).

CREATE FUNCTION public.phone_holds_make_private(rel regclass) RETURNS text[]
LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
AS $private$
DECLARE
    target record;
    revoked text[] := '{}';
BEGIN
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
                                 'phone_holds_number_unknown', 'phone_holds_exposed')
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

-- New functions get what default privileges grant, as at CREATE EXTENSION (sql/finalize.sql).
DO $revoke$
DECLARE
    fn record;
BEGIN
    FOR fn IN
        SELECT p.oid::regprocedure AS routine,
               (SELECT pg_catalog.array_agg(DISTINCT pg_catalog.quote_ident(r.rolname))
                  FROM pg_catalog.aclexplode(p.proacl) AS a
                  JOIN pg_catalog.pg_roles AS r ON r.oid = a.grantee
                 WHERE a.grantee <> p.proowner) AS grantees
          FROM pg_catalog.pg_proc AS p
         WHERE p.oid IN ('public.phone_holds_make_private(regclass)'::pg_catalog.regprocedure, 'public.phone_holds_exposed()'::pg_catalog.regprocedure)
    LOOP
        EXECUTE pg_catalog.format('REVOKE ALL ON ROUTINE %s FROM PUBLIC', fn.routine);
        IF fn.grantees IS NOT NULL THEN
            EXECUTE pg_catalog.format('REVOKE ALL ON ROUTINE %s FROM %s', fn.routine, pg_catalog.array_to_string(fn.grantees, ', '));
        END IF;
    END LOOP;
END
$revoke$;
GRANT EXECUTE ON FUNCTION public.phone_holds_exposed() TO PUBLIC;

SELECT public.phone_holds_make_private('public.phone_hold_claims');

-- What anon and authenticated were given on the extension's functions (default privileges
-- grant it on Supabase; README always said never to): taken back, and said.
DO $public_api$
DECLARE
    fn record;
    revoked text[] := '{}';
BEGIN
    FOR fn IN
        SELECT p.oid::regprocedure AS routine, r.rolname::text AS role
          FROM pg_catalog.pg_depend AS d
          JOIN pg_catalog.pg_proc AS p ON p.oid = d.objid
         CROSS JOIN LATERAL pg_catalog.aclexplode(p.proacl) AS a
          JOIN pg_catalog.pg_roles AS r ON r.oid = a.grantee
         WHERE d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.deptype = 'e'
           AND d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass
           AND d.refobjid = (SELECT e.oid FROM pg_catalog.pg_extension AS e WHERE e.extname = 'phone_holds')
           AND r.rolname IN ('anon', 'authenticated')
         GROUP BY 1, 2
    LOOP
        EXECUTE pg_catalog.format('REVOKE ALL ON ROUTINE %s FROM %I', fn.routine, fn.role);
        revoked := revoked || pg_catalog.format('%s from %s', fn.routine, fn.role);
    END LOOP;
    IF pg_catalog.cardinality(revoked) > 0 THEN
        RAISE WARNING 'phone_holds: revoked EXECUTE on % functions from anon and authenticated (anyone with the public key)', pg_catalog.cardinality(revoked)
            USING DETAIL = pg_catalog.array_to_string(revoked, '; '),
                  HINT = 'Grant the roles README''s Privileges section names (service_role on Supabase), never anon or authenticated. SELECT * FROM phone_holds_exposed() lists what they can still reach.';
    END IF;
END
$public_api$;

CREATE OR REPLACE FUNCTION public.phone_holds_setup() RETURNS SETOF text
LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
AS $setup$
DECLARE
    pool regclass;
    ledger regclass;
    pool_lookalike text;
    ledger_lookalike text;
    col record;
    expected record;
    recorded bigint;
    adopted bigint;
    misshapen text[];
    -- Who default privileges had granted the tables and views this call creates, as they
    -- were made private; and who of the public may still reach them.
    revoked text[] := '{}';
    exposed text;
    status_made boolean := false;
BEGIN
    -- Two setups at once would both see "absent" and then collide.
    PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('phone_holds_setup'));
    pool := pg_catalog.to_regclass('public.signalwire_phone_numbers');
    ledger := pg_catalog.to_regclass('public.phone_hold_ledger');

    -- Tables shaped like the pool or the ledger under another name: where their rows went if
    -- one was renamed or moved. Found, not shadowed by a new empty table.
    SELECT pg_catalog.min(t.name) FILTER (WHERE t.columns @> ARRAY['number', 'assignment_status', 'currently_assigned_to']),
           pg_catalog.min(t.name) FILTER (WHERE t.columns @> ARRAY['event', 'number', 'lead_id', 'new_release_at'])
      INTO pool_lookalike, ledger_lookalike
      FROM (SELECT pg_catalog.format('%I.%I', n.nspname, c.relname) AS name,
                   pg_catalog.array_agg(a.attname::text) AS columns
              FROM pg_catalog.pg_class AS c
              JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
              JOIN pg_catalog.pg_attribute AS a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
             WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
               AND n.nspname !~ '^pg_toast'
               AND c.oid IS DISTINCT FROM pool AND c.oid IS DISTINCT FROM ledger
             GROUP BY 1) AS t;

    IF pool IS NULL THEN
        IF pool_lookalike IS NOT NULL THEN
            RAISE EXCEPTION 'phone_holds: public.signalwire_phone_numbers does not exist, but % looks like the pool', pool_lookalike
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      HINT = pg_catalog.format('If it is the pool, move it back: ALTER TABLE %s RENAME TO signalwire_phone_numbers (and SET SCHEMA public if it moved). To start an empty pool anyway, create public.signalwire_phone_numbers yourself and call phone_holds_setup() again to adopt it.', pool_lookalike);
        END IF;
        IF ledger IS NOT NULL THEN
            EXECUTE 'SELECT pg_catalog.count(DISTINCT l.number) FROM public.phone_hold_ledger AS l' INTO recorded;
            IF recorded > 0 THEN
                RAISE EXCEPTION 'phone_holds: public.signalwire_phone_numbers does not exist, but public.phone_hold_ledger records % numbers', recorded
                    USING ERRCODE = 'object_not_in_prerequisite_state',
                          HINT = 'The pool''s rows are missing: restore the table from a backup (pg_restore -t signalwire_phone_numbers) or rename it back. To start an empty pool anyway, create public.signalwire_phone_numbers yourself and call phone_holds_setup() again to adopt it.';
            END IF;
        END IF;

        CREATE TABLE public.signalwire_phone_numbers (
            number                   text PRIMARY KEY,
            name                     text,
            assignment_status        text NOT NULL DEFAULT 'available'
                                     CHECK (assignment_status IN ('available', 'assigned')),
            currently_assigned_to    uuid,
            release_at               timestamptz,
            appointment_scheduled_at timestamptz,
            last_call_outcome        text,
            vapi_phone_number_id     text,
            released_at              timestamptz,
            retired_at               timestamptz,
            retired_reason           text,
            CONSTRAINT signalwire_phone_numbers_hold_shape CHECK (
                (assignment_status = 'assigned') = (currently_assigned_to IS NOT NULL)
                AND (currently_assigned_to IS NOT NULL) = (release_at IS NOT NULL))
        );
        revoked := revoked || public.phone_holds_make_private('public.signalwire_phone_numbers');
        RETURN NEXT 'created table public.signalwire_phone_numbers';
    ELSE
        -- Adopt: each column the functions use, with the types they bind. A column of another
        -- type is the user's to convert; we say how rather than rewrite their data.
        FOR expected IN
            SELECT * FROM (VALUES
                ('number',                   'text',        ARRAY['text', 'character varying', 'character']),
                ('assignment_status',        'text',        ARRAY['text', 'character varying', 'USER-DEFINED']),
                ('currently_assigned_to',    'uuid',        ARRAY['uuid']),
                ('release_at',               'timestamptz', ARRAY['timestamp with time zone']),
                ('appointment_scheduled_at', 'timestamptz', ARRAY['timestamp with time zone']),
                ('last_call_outcome',        'text',        ARRAY['text', 'character varying']),
                ('released_at',              'timestamptz', ARRAY['timestamp with time zone']),
                ('retired_at',               'timestamptz', ARRAY['timestamp with time zone']),
                ('retired_reason',           'text',        NULL),
                ('name',                     'text',        NULL),
                ('vapi_phone_number_id',     'text',        NULL)
            ) AS e(column_name, add_as, accepted)
        LOOP
            SELECT c.data_type INTO col
              FROM information_schema.columns AS c
             WHERE c.table_schema = 'public' AND c.table_name = 'signalwire_phone_numbers'
               AND c.column_name = expected.column_name;
            IF NOT FOUND THEN
                IF expected.column_name IN ('number', 'assignment_status') THEN
                    RAISE EXCEPTION 'phone_holds: public.signalwire_phone_numbers has no column "%"', expected.column_name
                        USING ERRCODE = 'undefined_column',
                              HINT = 'phone_holds adopts a table shaped like the seed''s; add the column (or rename yours back to it).';
                END IF;
                EXECUTE pg_catalog.format('ALTER TABLE public.signalwire_phone_numbers ADD COLUMN %I %s',
                                          expected.column_name, expected.add_as);
                RETURN NEXT pg_catalog.format('added column public.signalwire_phone_numbers.%I', expected.column_name);
            ELSIF expected.accepted IS NOT NULL AND NOT col.data_type = ANY (expected.accepted) THEN
                RAISE EXCEPTION 'phone_holds: column public.signalwire_phone_numbers.% is %, expected %',
                        expected.column_name, col.data_type, expected.add_as
                    USING ERRCODE = 'datatype_mismatch',
                          HINT = pg_catalog.format('Convert it first, e.g. ALTER TABLE public.signalwire_phone_numbers ALTER COLUMN %I TYPE %s USING %I::%s%s',
                                        expected.column_name, expected.add_as, expected.column_name, expected.add_as,
                                        CASE WHEN expected.add_as = 'timestamptz'
                                             THEN pg_catalog.format(' (for timestamp: USING %I AT TIME ZONE ''UTC'')', expected.column_name)
                                             ELSE '' END);
            END IF;
        END LOOP;

        -- The unique indexes below are what keep one number with one lead under concurrency;
        -- name the rows that would break them instead of failing on an index build.
        IF EXISTS (SELECT 1 FROM public.signalwire_phone_numbers AS n
                    GROUP BY n.number HAVING pg_catalog.count(*) > 1) THEN
            RAISE EXCEPTION 'phone_holds: public.signalwire_phone_numbers lists a number more than once'
                USING ERRCODE = 'unique_violation',
                      HINT = 'Find them with: SELECT number, count(*) FROM public.signalwire_phone_numbers GROUP BY 1 HAVING count(*) > 1;';
        END IF;
        IF EXISTS (SELECT 1 FROM public.signalwire_phone_numbers AS n
                    WHERE n.assignment_status = 'assigned' AND n.currently_assigned_to IS NOT NULL
                    GROUP BY n.currently_assigned_to HAVING pg_catalog.count(*) > 1) THEN
            RAISE EXCEPTION 'phone_holds: a lead holds more than one number in public.signalwire_phone_numbers'
                USING ERRCODE = 'unique_violation',
                      HINT = 'Find them with: SELECT currently_assigned_to, array_agg(number) FROM public.signalwire_phone_numbers WHERE assignment_status = ''assigned'' GROUP BY 1 HAVING count(*) > 1;';
        END IF;

        -- A unique index on number alone, unless the table already has one (its primary key, say).
        IF NOT EXISTS (
            SELECT 1 FROM pg_catalog.pg_index AS i
             WHERE i.indrelid = 'public.signalwire_phone_numbers'::regclass
               AND i.indisunique AND i.indpred IS NULL AND i.indnkeyatts = 1
               AND i.indkey[0] = (SELECT a.attnum FROM pg_catalog.pg_attribute AS a
                                   WHERE a.attrelid = i.indrelid AND a.attname = 'number')) THEN
            CREATE UNIQUE INDEX phone_holds_number_key ON public.signalwire_phone_numbers (number);
            RETURN NEXT 'created index public.phone_holds_number_key';
        END IF;
    END IF;

    -- Numbers area-code matching cannot read: not E.164 (`+`, then 7 to 15 digits, nothing
    -- else), or +1 but not shaped like a North American number. They stay in the pool and can
    -- be handed out, but never as a local number; phone_holds_check() lists every one.
    SELECT pg_catalog.array_agg(pg_catalog.format('%L%s', n.number, coalesce(pg_catalog.format(' (%s)', n.name), '')) ORDER BY n.number)
      INTO misshapen
      FROM public.signalwire_phone_numbers AS n
     WHERE public.phone_holds_number_problem(n.number::text) IS NOT NULL;
    IF misshapen IS NOT NULL THEN
        RAISE WARNING 'phone_holds: % of the numbers in public.signalwire_phone_numbers are not E.164, so they never match a lead''s area code: %',
                pg_catalog.cardinality(misshapen),
                pg_catalog.array_to_string(misshapen[1:10], ', ') || CASE WHEN pg_catalog.cardinality(misshapen) > 10 THEN ', …' ELSE '' END
            USING HINT = 'Store numbers as + then the country code and number, with nothing between the digits (+14155550123). SELECT * FROM phone_holds_check() lists every one.';
    END IF;

    -- One number per lead, due numbers by time, and free numbers by rest.
    IF pg_catalog.to_regclass('public.phone_holds_one_number_per_lead') IS NULL THEN
        CREATE UNIQUE INDEX phone_holds_one_number_per_lead
            ON public.signalwire_phone_numbers (currently_assigned_to)
         WHERE assignment_status = 'assigned';
        RETURN NEXT 'created index public.phone_holds_one_number_per_lead';
    END IF;
    IF pg_catalog.to_regclass('public.phone_holds_due') IS NULL THEN
        CREATE INDEX phone_holds_due
            ON public.signalwire_phone_numbers (release_at)
         WHERE assignment_status = 'assigned';
        RETURN NEXT 'created index public.phone_holds_due';
    END IF;
    IF pg_catalog.to_regclass('public.phone_holds_rested') IS NULL THEN
        CREATE INDEX phone_holds_rested
            ON public.signalwire_phone_numbers (released_at NULLS FIRST, number)
         WHERE assignment_status = 'available';
        RETURN NEXT 'created index public.phone_holds_rested';
    END IF;
    -- Free numbers in rotation by area code (`+1415`, as spi::statements reads it), then by
    -- rest: a new lead's local number is one index lookup. The key is only ever compared for
    -- equality, so bytewise ("C"), without the database locale's costlier comparisons.
    IF pg_catalog.to_regclass('public.phone_holds_free_by_area') IS NULL THEN
        CREATE INDEX phone_holds_free_by_area
            ON public.signalwire_phone_numbers ((substr(number::text, 1, 5) COLLATE "C"), released_at NULLS FIRST, number)
         WHERE assignment_status = 'available' AND retired_at IS NULL;
        RETURN NEXT 'created index public.phone_holds_free_by_area';
    END IF;

    -- The ledger: one row per hold change, with the as_of it was made at.
    IF ledger IS NULL THEN
        IF ledger_lookalike IS NOT NULL THEN
            RAISE EXCEPTION 'phone_holds: public.phone_hold_ledger does not exist, but % looks like the ledger', ledger_lookalike
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      HINT = pg_catalog.format('If it is the ledger, move it back: ALTER TABLE %s RENAME TO phone_hold_ledger (and SET SCHEMA public if it moved).', ledger_lookalike);
        END IF;
        CREATE TABLE public.phone_hold_ledger (
            id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            at             timestamptz NOT NULL,
            recorded_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
            event          text NOT NULL CHECK (event IN
                               ('adopted', 'assigned', 'reused', 'extended', 'completed', 'rescheduled', 'released',
                                'retired', 'restored')),
            number         text NOT NULL,
            lead_id        uuid,
            old_release_at timestamptz,
            new_release_at timestamptz,
            appointment_at timestamptz,
            outcome        text,
            lead_phone     text,
            source         text,
            source_ref     text,
            geo_tier       text,
            reason         text
        );
        CREATE INDEX phone_hold_ledger_by_number ON public.phone_hold_ledger (number, at DESC, id DESC);
        CREATE INDEX phone_hold_ledger_by_lead ON public.phone_hold_ledger (lead_id, id DESC);
        CREATE INDEX phone_hold_ledger_by_time ON public.phone_hold_ledger (at);
        CREATE INDEX phone_hold_ledger_by_appointment ON public.phone_hold_ledger (appointment_at) WHERE appointment_at IS NOT NULL;
        COMMENT ON TABLE public.phone_hold_ledger IS
            'phone_holds: one row per hold change (adopted, assigned, reused, extended, completed, rescheduled, released) and rotation change (retired, restored); at = the call''s as_of.';
        revoked := revoked || public.phone_holds_make_private('public.phone_hold_ledger');
        RETURN NEXT 'created table public.phone_hold_ledger';
    ELSE
        -- A ledger from an older version (or restored from an older dump): the columns added
        -- since, empty. Adding a nullable column rewrites no row. lead_phone came in 0.6.0,
        -- source and source_ref in 0.7.0, geo_tier and reason in 0.8.0.
        FOR expected IN
            SELECT * FROM (VALUES ('lead_phone'), ('source'), ('source_ref'), ('geo_tier'), ('reason')) AS e(column_name)
        LOOP
            IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute AS a
                            WHERE a.attrelid = ledger AND a.attname = expected.column_name AND NOT a.attisdropped) THEN
                EXECUTE pg_catalog.format('ALTER TABLE public.phone_hold_ledger ADD COLUMN %I text', expected.column_name);
                RETURN NEXT pg_catalog.format('added column public.phone_hold_ledger.%I', expected.column_name);
            END IF;
        END LOOP;
        -- The events a ledger from before 0.8.0 allows lack the rotation changes. The new list
        -- only adds to the old one, so every row passes it.
        FOR col IN
            SELECT c.conname FROM pg_catalog.pg_constraint AS c
             WHERE c.conrelid = ledger AND c.contype = 'c'
               AND pg_catalog.pg_get_constraintdef(c.oid) ~ '''rescheduled''' AND pg_catalog.pg_get_constraintdef(c.oid) !~ '''retired'''
        LOOP
            EXECUTE pg_catalog.format(
                'ALTER TABLE public.phone_hold_ledger DROP CONSTRAINT %I, ADD CONSTRAINT phone_hold_ledger_event_check CHECK (event IN '
                '(''adopted'', ''assigned'', ''reused'', ''extended'', ''completed'', ''rescheduled'', ''released'', ''retired'', ''restored''))',
                col.conname);
            COMMENT ON TABLE public.phone_hold_ledger IS
                'phone_holds: one row per hold change (adopted, assigned, reused, extended, completed, rescheduled, released) and rotation change (retired, restored); at = the call''s as_of.';
            RETURN NEXT 'replaced the event check of public.phone_hold_ledger (adds retired, restored)';
        END LOOP;
        -- The ledger by time and by appointment (0.9.0), which the pool's history and the
        -- release runs read (sql/history.sql). Building one blocks the ledger's writers while
        -- it runs: on a large ledger, build them first with CREATE INDEX CONCURRENTLY under
        -- these names and definitions, and setup finds them.
        IF pg_catalog.to_regclass('public.phone_hold_ledger_by_time') IS NULL THEN
            CREATE INDEX phone_hold_ledger_by_time ON public.phone_hold_ledger (at);
            RETURN NEXT 'created index public.phone_hold_ledger_by_time';
        END IF;
        IF pg_catalog.to_regclass('public.phone_hold_ledger_by_appointment') IS NULL THEN
            CREATE INDEX phone_hold_ledger_by_appointment ON public.phone_hold_ledger (appointment_at) WHERE appointment_at IS NOT NULL;
            RETURN NEXT 'created index public.phone_hold_ledger_by_appointment';
        END IF;
    END IF;

    -- The calendar bookings phone_holds has acted on: which lead each belongs to, its status,
    -- and the last event applied (README: Calendars). Created empty, like the ledger; a role
    -- that may write the ledger may write this too, so a workflow that books today books
    -- through a calendar once setup has run.
    IF pg_catalog.to_regclass('public.phone_hold_bookings') IS NULL THEN
        CREATE TABLE public.phone_hold_bookings (
            source         text NOT NULL CHECK (source IN ('calcom', 'calendly')),
            booking        text NOT NULL,
            lead_id        uuid NOT NULL,
            appointment_at timestamptz,
            status         text NOT NULL CHECK (status IN ('booked', 'cancelled', 'replaced', 'no_show', 'showed')),
            last_event     text NOT NULL,
            last_event_at  timestamptz NOT NULL,
            replaced_by    text,
            updated_at     timestamptz NOT NULL,
            PRIMARY KEY (source, booking)
        );
        COMMENT ON TABLE public.phone_hold_bookings IS
            'phone_holds: one row per calendar booking acted on (Cal.com booking uid, Calendly invitee URI): its lead, appointment, status and the last event applied, by the calendar''s own event time.';
        -- Private first; then the ledger's writers may write it.
        revoked := revoked || public.phone_holds_make_private('public.phone_hold_bookings');
        FOR col IN
            SELECT DISTINCT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(r.rolname) END AS grantee
              FROM pg_catalog.pg_class AS c,
                   pg_catalog.aclexplode(c.relacl) AS a
              LEFT JOIN pg_catalog.pg_roles AS r ON r.oid = a.grantee
             WHERE c.oid = 'public.phone_hold_ledger'::regclass AND a.privilege_type = 'INSERT' AND a.grantee <> c.relowner
        LOOP
            EXECUTE pg_catalog.format('GRANT SELECT, INSERT, UPDATE ON public.phone_hold_bookings TO %s', col.grantee);
        END LOOP;
        RETURN NEXT 'created table public.phone_hold_bookings';
    END IF;

    -- Every appointment of every lead, from every source (README: Appointments): a hold lasts
    -- through the latest live one, so a cancel or move of one leaves the others' protection.
    -- Created with the appointments the data already records: the calendar bookings still
    -- booked, and each hold's appointment that no booking of its lead accounts for (its
    -- source 'adopted'). Grant SELECT on it to whoever should read it; nobody writes it but the
    -- functions.
    IF pg_catalog.to_regclass('public.phone_hold_appointments') IS NULL THEN
        CREATE TABLE public.phone_hold_appointments (
            id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            lead_id        uuid NOT NULL,
            source         text NOT NULL,
            reference      text,
            appointment_at timestamptz NOT NULL,
            status         text NOT NULL CHECK (status IN ('booked', 'showed', 'no_show', 'cancelled', 'moved')),
            booked_at      timestamptz NOT NULL,
            status_at      timestamptz NOT NULL
        );
        CREATE UNIQUE INDEX phone_hold_appointments_by_booking ON public.phone_hold_appointments (source, reference) WHERE reference IS NOT NULL;
        CREATE INDEX phone_hold_appointments_by_lead ON public.phone_hold_appointments (lead_id, appointment_at);
        COMMENT ON TABLE public.phone_hold_appointments IS
            'phone_holds: one row per appointment of a lead (source sql, vapi, calcom, calendly or adopted; reference = the calendar booking, NULL for a call that names none): booked, showed, no_show, cancelled or moved. A hold lasts through its lead''s latest booked appointment plus the follow-up window.';
        -- Nobody's but the owner's: the functions write it as its owner (src/spi/appointments.rs).
        revoked := revoked || public.phone_holds_make_private('public.phone_hold_appointments');
        RETURN NEXT 'created table public.phone_hold_appointments';
        INSERT INTO public.phone_hold_appointments (lead_id, source, reference, appointment_at, status, booked_at, status_at)
        SELECT b.lead_id, b.source, b.booking, b.appointment_at, 'booked', b.updated_at, b.updated_at
          FROM public.phone_hold_bookings AS b
         WHERE b.status = 'booked' AND b.appointment_at IS NOT NULL;
        GET DIAGNOSTICS recorded = ROW_COUNT;
        INSERT INTO public.phone_hold_appointments (lead_id, source, reference, appointment_at, status, booked_at, status_at)
        SELECT n.currently_assigned_to, 'adopted', NULL, n.appointment_scheduled_at, 'booked', pg_catalog.now(), pg_catalog.now()
          FROM public.signalwire_phone_numbers AS n
         WHERE n.assignment_status = 'assigned' AND n.currently_assigned_to IS NOT NULL AND n.appointment_scheduled_at IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM public.phone_hold_appointments AS a
                            WHERE a.lead_id = n.currently_assigned_to AND a.appointment_at = n.appointment_scheduled_at);
        GET DIAGNOSTICS adopted = ROW_COUNT;
        IF recorded + adopted > 0 THEN
            RETURN NEXT pg_catalog.format('recorded %s booked calendar bookings and %s other held appointments in public.phone_hold_appointments',
                                          recorded, adopted);
        END IF;
    END IF;

    -- Holds that existed before the ledger: recorded once, so the ledger can answer who holds
    -- them from now on. A hold whose latest ledger row already says so is not recorded again.
    INSERT INTO public.phone_hold_ledger (at, event, number, lead_id, new_release_at, appointment_at, outcome)
    SELECT pg_catalog.now(), 'adopted', n.number, n.currently_assigned_to, n.release_at, n.appointment_scheduled_at, n.last_call_outcome
      FROM public.signalwire_phone_numbers AS n
     WHERE n.assignment_status = 'assigned' AND n.currently_assigned_to IS NOT NULL
       AND NOT EXISTS (
           SELECT 1
             FROM (SELECT l.event, l.lead_id FROM public.phone_hold_ledger AS l
                    WHERE l.number = n.number ORDER BY l.at DESC, l.id DESC LIMIT 1) AS latest
            WHERE latest.event <> 'released' AND latest.lead_id = n.currently_assigned_to);
    GET DIAGNOSTICS recorded = ROW_COUNT;
    IF recorded > 0 THEN
        RETURN NEXT pg_catalog.format('recorded %s existing holds in public.phone_hold_ledger as adopted', recorded);
    END IF;

    -- The monitoring views: the seed's two monitoring queries and a pool summary. They need no
    -- leads table and read the follow-up window from its setting (24h when unset).
    IF pg_catalog.to_regclass('public.phone_appointment_holds') IS NULL THEN
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
        revoked := revoked || public.phone_holds_make_private('public.phone_appointment_holds');
        RETURN NEXT 'created view public.phone_appointment_holds';
    END IF;

    IF pg_catalog.to_regclass('public.phone_holds_overdue') IS NULL THEN
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
        revoked := revoked || public.phone_holds_make_private('public.phone_holds_overdue');
        RETURN NEXT 'created view public.phone_holds_overdue';
    END IF;

    -- The pool summary. One from before 0.8.0 (no resting or retired column) is replaced: its
    -- columns keep their names and order, and `available` no longer counts retired numbers.
    IF pg_catalog.to_regclass('public.phone_pool_status') IS NULL
       OR NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute AS a
                       WHERE a.attrelid = pg_catalog.to_regclass('public.phone_pool_status') AND a.attname = 'retired') THEN
        IF pg_catalog.to_regclass('public.phone_pool_status') IS NULL THEN
            RETURN NEXT 'created view public.phone_pool_status';
            status_made := true;
        ELSE
            RETURN NEXT 'replaced view public.phone_pool_status (adds resting, retired)';
        END IF;
        CREATE OR REPLACE VIEW public.phone_pool_status AS
        SELECT count(*) FILTER (WHERE n.assignment_status = 'available' AND n.retired_at IS NULL) AS available,
               count(*) FILTER (WHERE n.assignment_status = 'assigned') AS assigned,
               count(*) FILTER (WHERE n.assignment_status = 'assigned'
                                  AND n.appointment_scheduled_at
                                      + coalesce(nullif(current_setting('phone_holds.follow_up_window', true), ''), '24h')::interval
                                      > now()) AS held_for_appointment,
               count(*) FILTER (WHERE n.assignment_status = 'assigned' AND n.release_at <= now()) AS due_now,
               round(count(*) FILTER (WHERE n.assignment_status = 'assigned')::numeric
                     / nullif(count(*) FILTER (WHERE n.assignment_status = 'assigned'
                                                 OR (n.assignment_status = 'available' AND n.retired_at IS NULL)), 0), 3) AS utilisation,
               min(n.release_at) FILTER (WHERE n.assignment_status = 'assigned' AND n.release_at > now()) AS next_release_at,
               count(*) FILTER (WHERE n.assignment_status = 'available' AND n.retired_at IS NULL
                                  AND n.released_at
                                      + coalesce(nullif(current_setting('phone_holds.min_rest', true), ''), '1h')::interval
                                      > now()) AS resting,
               count(*) FILTER (WHERE n.retired_at IS NOT NULL) AS retired
          FROM public.signalwire_phone_numbers AS n;
        COMMENT ON VIEW public.phone_pool_status IS
            'One row: available (free, in rotation; resting ones included), assigned, held for an appointment, due now, utilisation (assigned / assigned + available), next release time, resting (released less than phone_holds.min_rest ago), retired (out of rotation, held or not).';
    END IF;

    -- (A replaced summary keeps the grants it had, as CREATE OR REPLACE does.)
    IF status_made THEN
        revoked := revoked || public.phone_holds_make_private('public.phone_pool_status');
    END IF;
    -- Whatever the schema's default privileges granted the tables and views just created was
    -- taken back as each was made: only the owner reaches them until the roles README's
    -- Privileges section names are granted to. A table adopted keeps the grants it had.
    SELECT pg_catalog.array_agg(DISTINCT r ORDER BY r) INTO revoked FROM pg_catalog.unnest(revoked) AS r;
    IF revoked IS NOT NULL THEN
        RETURN NEXT pg_catalog.format('revoked what default privileges granted %s on the tables and views created', pg_catalog.array_to_string(revoked, ', '));
    END IF;

    -- Who the public can still reach the holds as (an adopted table's grants, or grants given
    -- since): said every time, as a warning, until taken back.
    SELECT pg_catalog.string_agg(pg_catalog.format('%s: %s', e.role, e.objects), '; ')
      INTO exposed
      FROM (SELECT x.role, pg_catalog.string_agg(x.object, ', ' ORDER BY x.object) AS objects
              FROM public.phone_holds_exposed() AS x GROUP BY x.role) AS e;
    IF exposed IS NOT NULL THEN
        RAISE WARNING 'phone_holds: roles of the public can reach the holds: %', exposed
            USING HINT = 'Through PostgREST, PUBLIC, anon and authenticated are anyone with the public key. REVOKE ALL ON ... FROM them, and grant the roles README''s Privileges section names instead.';
    END IF;
END
$setup$;

CREATE OR REPLACE FUNCTION public.phone_holds_check()
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

CREATE OR REPLACE FUNCTION public.phone_pool_history(from_time timestamptz, to_time timestamptz, step interval)
RETURNS TABLE ("time" timestamptz, held bigint, free bigint, held_for_appointment bigint,
               assignments bigint, extensions bigint, completions bigint, releases bigint)
LANGUAGE plpgsql STABLE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
    SET work_mem = '64MB' SET jit = off
AS $history$
DECLARE
    step_seconds double precision;
    first_epoch double precision;
    buckets bigint;
    -- The first bucket's start and the last one's end.
    first_at timestamptz;
    last_end timestamptz;
    held_now bigint;
    free_now bigint;
    follow_up interval := coalesce(nullif(current_setting('phone_holds.follow_up_window', true), ''), '24h')::interval;
BEGIN
    IF from_time IS NULL OR to_time IS NULL OR step IS NULL THEN
        RAISE EXCEPTION 'phone_holds: phone_pool_history() needs from_time, to_time and step, got NULL'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'From Grafana: phone_pool_history($__timeFrom(), $__timeTo(), ''$__interval''::interval).';
    END IF;
    IF date_part('month', step) <> 0 OR date_part('year', step) <> 0 OR step <= interval '0' THEN
        RAISE EXCEPTION 'phone_holds: the step of phone_pool_history() must be a positive length of time without months, got %', step
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Months have no fixed length: give days, hours, minutes or seconds (''30 days'', ''1h'').';
    END IF;
    IF isfinite(from_time) IS NOT TRUE OR isfinite(to_time) IS NOT TRUE OR to_time <= from_time THEN
        RAISE EXCEPTION 'phone_holds: phone_pool_history() needs from_time before to_time, both finite; got % to %', from_time, to_time
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Swap them, or give a range that is not empty.';
    END IF;
    IF from_time < '0001-01-01 00:00:00+00' OR to_time > '10000-01-01 00:00:00+00' THEN
        RAISE EXCEPTION 'phone_holds: phone_pool_history() covers the years 1 to 9999, got % to %', from_time, to_time
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Give a range within the years the ledger can hold, such as the last 30 days.';
    END IF;
    step_seconds := extract(epoch FROM step);
    first_epoch := floor(extract(epoch FROM from_time) / step_seconds) * step_seconds;
    buckets := ceil((extract(epoch FROM to_time) - first_epoch) / step_seconds)::bigint;
    IF buckets > 10000 THEN
        RAISE EXCEPTION 'phone_holds: phone_pool_history() would return % buckets; at most 10000', buckets
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Give a larger step or a shorter range (in Grafana, a Min interval on the panel).';
    END IF;
    first_at := to_timestamp(first_epoch);
    last_end := to_timestamp(first_epoch + buckets * step_seconds);
    PERFORM public.phone_holds_rotation_ready();

    -- The pool now, which the ledger's changes since are taken back from.
    -- Two counts, each over a partial index of setup's rather than the whole pool.
    SELECT count(*) INTO held_now FROM public.signalwire_phone_numbers AS n WHERE n.assignment_status = 'assigned';
    SELECT count(*) INTO free_now FROM public.signalwire_phone_numbers AS n
     WHERE n.assignment_status = 'available' AND n.retired_at IS NULL;

    RETURN QUERY
    WITH
    -- Every ledger row from the first bucket on: its bucket (`buckets` for any after the
    -- last); and for a row that holds a number for an appointment, when its stretch "held for
    -- an appointment" ends: at the number's next row that changes holds (retiring and
    -- restoring do not, so they are ordered apart), or at the end of the follow-up window,
    -- whichever is first. Numbers are ordered bytewise: only equality matters.
    since AS (
        SELECT r.k, r.event, r.unheld,
               r.ends > r.at AS starts,
               CASE WHEN r.ends > r.at AND r.ends < last_end
                    THEN floor((date_part('epoch', r.ends) - first_epoch) / step_seconds)::bigint END AS ends_in
          FROM (SELECT least(floor((date_part('epoch', l.at) - first_epoch) / step_seconds)::bigint, buckets) AS k,
                       l.event, l.lead_id IS NULL AS unheld, l.at,
                       CASE WHEN l.appointment_at IS NOT NULL AND l.event NOT IN ('released', 'retired', 'restored')
                            THEN least(l.appointment_at + follow_up, lead(l.at) OVER by_number) END AS ends
                  FROM public.phone_hold_ledger AS l
                 WHERE l.at >= first_at
                WINDOW by_number AS (PARTITION BY l.number COLLATE "C", l.event IN ('retired', 'restored') ORDER BY l.at, l.id)) AS r
    ),
    -- One pass: the rows by bucket, kind and stretch start; and the stretch ends by bucket.
    counted AS (
        SELECT c.k, c.event, c.unheld, c.starts, c.ends_in, count(*) AS n, GROUPING(c.ends_in) AS by_start
          FROM since AS c
         GROUP BY GROUPING SETS ((c.k, c.event, c.unheld, c.starts), (c.ends_in))
    ),
    per_bucket AS (
        SELECT c.k,
               sum(c.n * CASE WHEN c.event IN ('assigned', 'adopted') THEN 1 WHEN c.event = 'released' THEN -1 ELSE 0 END) AS d_held,
               sum(c.n * CASE WHEN c.event IN ('assigned', 'adopted') THEN -1 WHEN c.event = 'released' THEN 1
                              WHEN c.event = 'retired' AND c.unheld THEN -1 WHEN c.event = 'restored' AND c.unheld THEN 1
                              ELSE 0 END) AS d_free,
               sum(c.n) FILTER (WHERE c.event = 'assigned') AS assignments,
               sum(c.n) FILTER (WHERE c.event IN ('extended', 'rescheduled')) AS extensions,
               sum(c.n) FILTER (WHERE c.event = 'completed') AS completions,
               sum(c.n) FILTER (WHERE c.event = 'released') AS releases,
               sum(c.n) FILTER (WHERE c.starts) AS stretch_starts
          FROM counted AS c
         WHERE c.by_start = 1
         GROUP BY c.k
    ),
    -- Stretches begun before the first bucket, by holds booked earlier for an appointment whose
    -- window reaches it: each looks up the number's next row.
    before AS (
        SELECT least(a.appointment_at + follow_up, nx.at) AS ends
          FROM public.phone_hold_ledger AS a
          LEFT JOIN LATERAL (
                SELECT x.at FROM public.phone_hold_ledger AS x
                 WHERE x.number = a.number AND x.at >= a.at AND (x.at > a.at OR x.id > a.id)
                   AND x.event NOT IN ('retired', 'restored')
                 ORDER BY x.at, x.id
                 LIMIT 1) AS nx ON true
         WHERE a.appointment_at IS NOT NULL AND a.appointment_at > first_at - follow_up
           AND a.at < first_at
           AND a.event NOT IN ('released', 'retired', 'restored')
    ),
    -- Stretch starts (+1) and ends (-1) by bucket, -1 standing for "before the first".
    appointed_by_bucket AS (
        SELECT e.k, sum(e.d) AS d
          FROM (SELECT c.ends_in AS k, -c.n AS d FROM counted AS c WHERE c.by_start = 0 AND c.ends_in IS NOT NULL
                UNION ALL
                SELECT -1, count(*) FROM before AS b WHERE b.ends >= first_at
                UNION ALL
                SELECT floor((date_part('epoch', b.ends) - first_epoch) / step_seconds)::bigint, -count(*)
                  FROM before AS b
                 WHERE b.ends >= first_at AND b.ends < last_end
                 GROUP BY 1) AS e
         GROUP BY e.k
    ),
    series AS (
        SELECT s.k,
               coalesce(b.d_held, 0) AS d_held, coalesce(b.d_free, 0) AS d_free,
               coalesce(b.assignments, 0) AS assignments, coalesce(b.extensions, 0) AS extensions,
               coalesce(b.completions, 0) AS completions, coalesce(b.releases, 0) AS releases,
               coalesce(b.stretch_starts, 0) + coalesce(a.d, 0) AS d_appointed
          FROM generate_series(-1::bigint, buckets) AS s(k)
          LEFT JOIN per_bucket AS b ON b.k = s.k
          LEFT JOIN appointed_by_bucket AS a ON a.k = s.k
    ),
    -- The state at the end of bucket k: now, less the changes of every later bucket; and the
    -- stretches begun but not ended by then.
    states AS (
        SELECT s.k, s.assignments, s.extensions, s.completions, s.releases,
               coalesce(sum(s.d_held) OVER later, 0) AS after_held,
               coalesce(sum(s.d_free) OVER later, 0) AS after_free,
               sum(s.d_appointed) OVER (ORDER BY s.k ROWS UNBOUNDED PRECEDING) AS appointed
          FROM series AS s
        WINDOW later AS (ORDER BY s.k DESC ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
    )
    SELECT to_timestamp(first_epoch + st.k * step_seconds),
           (held_now - st.after_held)::bigint, (free_now - st.after_free)::bigint, st.appointed::bigint,
           st.assignments::bigint, st.extensions::bigint, st.completions::bigint, st.releases::bigint
      FROM states AS st
     WHERE st.k >= 0 AND st.k < buckets
     ORDER BY st.k;
END
$history$;

CREATE OR REPLACE FUNCTION public.phone_release_runs(from_time timestamptz, to_time timestamptz)
RETURNS TABLE ("time" timestamptz, finished_at timestamptz, status text, released bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $runs$
BEGIN
    IF from_time IS NULL OR to_time IS NULL THEN
        RAISE EXCEPTION 'phone_holds: phone_release_runs() needs from_time and to_time, got NULL'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'From Grafana: phone_release_runs($__timeFrom(), $__timeTo()).';
    END IF;
    IF pg_catalog.to_regclass('public.phone_hold_ledger') IS NULL THEN
        RAISE EXCEPTION 'phone_holds: table public.phone_hold_ledger does not exist'
            USING ERRCODE = 'undefined_table',
                  HINT = 'In a new database run SELECT phone_holds_setup(); otherwise restore it or rename it back.';
    END IF;
    IF pg_catalog.to_regclass('cron.job_run_details') IS NOT NULL AND pg_catalog.to_regclass('cron.job') IS NOT NULL THEN
        RETURN QUERY EXECUTE
            'SELECT coalesce(d.start_time, d.end_time), d.end_time, d.status::pg_catalog.text,
                    (SELECT pg_catalog.count(*) FROM public.phone_hold_ledger AS l
                      WHERE d.start_time IS NOT NULL AND l.event OPERATOR(pg_catalog.=) ''released''
                        AND l.at OPERATOR(pg_catalog.>=) d.start_time
                        AND l.at OPERATOR(pg_catalog.<=) coalesce(d.end_time, pg_catalog.now()))
               FROM cron.job AS j
               JOIN cron.job_run_details AS d ON d.jobid OPERATOR(pg_catalog.=) j.jobid
              WHERE j.jobname OPERATOR(pg_catalog.=) ''phone_holds_release''
                AND j.command OPERATOR(pg_catalog.=) ''CALL public.drain_expired_phone_numbers()''
                AND EXISTS (SELECT 1 FROM pg_catalog.pg_roles AS r
                             WHERE r.rolname OPERATOR(pg_catalog.=) j.username
                               AND pg_catalog.has_table_privilege(r.oid, ''public.signalwire_phone_numbers'', ''UPDATE'')
                               AND pg_catalog.has_function_privilege(r.oid, ''public.drain_expired_phone_numbers(pg_catalog.timestamptz, pg_catalog.int8)'', ''EXECUTE''))
                AND coalesce(d.start_time, d.end_time) OPERATOR(pg_catalog.>=) $1
                AND coalesce(d.start_time, d.end_time) OPERATOR(pg_catalog.<=) $2
              ORDER BY coalesce(d.start_time, d.end_time), d.runid'
            USING from_time, to_time;
    ELSE
        RETURN QUERY
        SELECT l.at, NULL::timestamptz, NULL::text, pg_catalog.count(*)
          FROM public.phone_hold_ledger AS l
         WHERE l.event = 'released' AND l.at >= from_time AND l.at <= to_time
         GROUP BY l.at
         ORDER BY l.at;
    END IF;
END
$runs$;

CREATE OR REPLACE FUNCTION public.retire_phone_number(phone_number text, reason text, as_of timestamptz DEFAULT pg_catalog.now())
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
AS $retire$
DECLARE
    found_row record;
BEGIN
    IF retire_phone_number.phone_number IS NULL OR retire_phone_number.as_of IS NULL THEN
        RAISE EXCEPTION 'phone_holds: % must not be NULL', CASE WHEN retire_phone_number.phone_number IS NULL THEN 'phone_number' ELSE 'as_of' END
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Pass the number as the pool stores it, such as ''+14155550123''; as_of may be omitted to mean now().';
    END IF;
    IF retire_phone_number.reason IS NULL OR pg_catalog.btrim(retire_phone_number.reason) = ''
       OR pg_catalog.char_length(retire_phone_number.reason) > 500 THEN
        RAISE EXCEPTION 'phone_holds: a number is retired with a reason of 1 to 500 characters'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Say why it leaves rotation, such as retire_phone_number(''+14155550123'', ''Spam Likely on carriers''): the reason is kept on the number and in the ledger.';
    END IF;
    PERFORM public.phone_holds_rotation_ready();

    SELECT n.number::text AS number, n.assignment_status::text AS status, n.currently_assigned_to AS lead_id,
           n.release_at, n.retired_at, n.retired_reason::text AS retired_reason
      INTO found_row
      FROM public.signalwire_phone_numbers AS n
     WHERE n.number = retire_phone_number.phone_number
       FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM public.phone_holds_number_unknown(retire_phone_number.phone_number);
    END IF;
    IF found_row.retired_at IS NOT NULL THEN
        RAISE NOTICE 'phone_holds: % was already retired at % (%); nothing changed', found_row.number, found_row.retired_at, found_row.retired_reason;
        RETURN false;
    END IF;

    UPDATE public.signalwire_phone_numbers AS n
       SET retired_at = retire_phone_number.as_of, retired_reason = retire_phone_number.reason
     WHERE n.number = found_row.number;
    INSERT INTO public.phone_hold_ledger (at, event, number, lead_id, new_release_at, source, reason)
    VALUES (greatest(retire_phone_number.as_of, (SELECT l.at FROM public.phone_hold_ledger AS l WHERE l.number = found_row.number ORDER BY l.at DESC, l.id DESC LIMIT 1)), 'retired', found_row.number, found_row.lead_id, found_row.release_at, 'sql', retire_phone_number.reason);
    IF found_row.status = 'assigned' THEN
        RAISE NOTICE 'phone_holds: % stays with lead % until its hold ends (release_at %), then leaves rotation', found_row.number, found_row.lead_id, found_row.release_at;
    END IF;
    RETURN true;
END
$retire$;

CREATE OR REPLACE FUNCTION public.restore_phone_number(phone_number text, as_of timestamptz DEFAULT pg_catalog.now())
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
AS $restore$
DECLARE
    found_row record;
BEGIN
    IF restore_phone_number.phone_number IS NULL OR restore_phone_number.as_of IS NULL THEN
        RAISE EXCEPTION 'phone_holds: % must not be NULL', CASE WHEN restore_phone_number.phone_number IS NULL THEN 'phone_number' ELSE 'as_of' END
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Pass the number as the pool stores it, such as ''+14155550123''; as_of may be omitted to mean now().';
    END IF;
    PERFORM public.phone_holds_rotation_ready();

    SELECT n.number::text AS number, n.assignment_status::text AS status, n.currently_assigned_to AS lead_id,
           n.release_at, n.retired_at
      INTO found_row
      FROM public.signalwire_phone_numbers AS n
     WHERE n.number = restore_phone_number.phone_number
       FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM public.phone_holds_number_unknown(restore_phone_number.phone_number);
    END IF;
    IF found_row.retired_at IS NULL THEN
        RAISE NOTICE 'phone_holds: % is in rotation; nothing changed', found_row.number;
        RETURN false;
    END IF;

    UPDATE public.signalwire_phone_numbers AS n
       SET retired_at = NULL, retired_reason = NULL
     WHERE n.number = found_row.number;
    INSERT INTO public.phone_hold_ledger (at, event, number, lead_id, new_release_at, source)
    VALUES (greatest(restore_phone_number.as_of, (SELECT l.at FROM public.phone_hold_ledger AS l WHERE l.number = found_row.number ORDER BY l.at DESC, l.id DESC LIMIT 1)), 'restored', found_row.number,
            CASE WHEN found_row.status = 'assigned' THEN found_row.lead_id END, found_row.release_at, 'sql');
    RETURN true;
END
$restore$;

CREATE OR REPLACE FUNCTION public.phone_holds_set_webhook_secret(source text, secret text) RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
AS $set$
BEGIN
    IF source IS NULL OR source NOT IN ('calcom', 'calendly') THEN
        RAISE EXCEPTION 'phone_holds: % is not a calendar phone_holds checks signatures for', coalesce(quote_literal(left(source, 64)), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass ''calcom'' or ''calendly''.';
    END IF;
    IF secret IS NULL THEN
        DELETE FROM public.phone_holds_webhook_secrets AS s WHERE s.source = phone_holds_set_webhook_secret.source;
        RETURN format('cleared the %s webhook secret: unsigned %s webhooks are accepted', source, source);
    END IF;
    -- A secret pasted with a newline or a tab around it is stored without: the calendar
    -- signs with the secret, not with what the clipboard added.
    secret := btrim(secret, E' \t\n\r\f\v');
    IF secret = '' THEN
        RAISE EXCEPTION 'phone_holds: the % webhook secret is blank', source
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Paste the secret from the calendar''s webhook settings, or pass NULL to clear it.';
    END IF;
    INSERT INTO public.phone_holds_webhook_secrets AS s (source, secret, set_at)
    VALUES (phone_holds_set_webhook_secret.source, phone_holds_set_webhook_secret.secret, now())
    ON CONFLICT ON CONSTRAINT phone_holds_webhook_secrets_pkey
    DO UPDATE SET secret = EXCLUDED.secret, set_at = EXCLUDED.set_at;
    RETURN format('set the %s webhook secret', source);
END
$set$;

COMMENT ON FUNCTION public.phone_holds_check() IS
    'Rows that break a phone_holds promise: a missing table, a lead with two numbers, a row whose status, holder and release_at disagree, a number whose latest ledger event names another holder, a live appointment its lead''s hold does not cover, a current hold on a number the table lost, a number that is not E.164 (never matched by area code), a function or table PUBLIC, anon or authenticated can reach (phone_holds_exposed()), or an empty pool beside a non-empty ledger. Empty when all hold.';

COMMENT ON FUNCTION public.phone_holds_setup() IS
    'Creates or adopts public.signalwire_phone_numbers, creates public.phone_hold_ledger, public.phone_hold_bookings, public.phone_hold_appointments (with the appointments already recorded), the indexes and the monitoring views; one line per thing done, none when all exist. Run once after CREATE EXTENSION in a new database; a restored dump brings all of it and needs no call. Refuses (55000) to create an empty pool or ledger while their rows may sit elsewhere.';

COMMENT ON FUNCTION public.phone_holds_set_webhook_secret(text, text) IS
    'Sets (NULL: clears) the secret a calendar (calcom, calendly) signs its webhooks with, without the whitespace around it (a pasted newline); one that is blank is 22023. Only a role that may write public.phone_holds_webhook_secrets (its owner, a superuser) can.';

COMMENT ON FUNCTION public.phone_pool_history(timestamptz, timestamptz, interval) IS
    'The pool over time, one row per bucket of step (aligned on multiples of step) from from_time to to_time: time (the bucket''s start), held, free (in rotation) and held_for_appointment at the bucket''s end, and the assignments, extensions (extended, rescheduled), completions and releases within it. The pool now, taken back through the ledger; at most 10000 buckets, within the years 1 to 9999 (22023).';

COMMENT ON FUNCTION public.phone_release_runs(timestamptz, timestamptz) IS
    'The release job''s runs that started from from_time to to_time, from pg_cron''s cron.job_run_details (time, finished_at, status) with how many numbers each released (ledger); a run that never connected shows at its end, failed, 0. The job is the one schedule_phone_release() makes, of a role that may release; without pg_cron, each release call the ledger shows. SECURITY DEFINER, so a monitoring role sees the job''s runs.';

COMMENT ON FUNCTION public.phone_holds_exposed() IS
    'The extension''s functions (but the helpers every role may run) and phone_holds'' tables and views that PUBLIC, anon or authenticated (Supabase''s roles for the public key and signed-in users) can reach: one row per role and object, none when all is private. phone_holds_check() reports them, phone_holds_setup() warns.';

COMMENT ON FUNCTION public.phone_holds_make_private(regclass) IS
    'phone_holds internal: revokes every privilege on a table (and the sequences it owns) from PUBLIC and every role but its owner, as CREATE EXTENSION and phone_holds_setup() do for the tables they create; returns the roles revoked from.';
