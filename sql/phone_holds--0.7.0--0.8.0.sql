-- phone_holds 0.7.0 → 0.8.0
--
-- Local presence (README: Local presence). No table the user owns, and no row, is touched: the
-- pool's retired_at and retired_reason, the ledger's geo_tier and reason, the rotation events
-- in the ledger's event check, the area-code index and the new phone_pool_status are made by
-- phone_holds_setup(), which the user runs when they choose; until then numbers are assigned
-- as in 0.7.0, and retiring says what to run.
--
-- 1. assign_phone_to_lead(), extend_phone_for_appointment() (both) and
--    reschedule_appointment_for_phone() take the lead's phone, last, after as_of: each is
--    replaced by a form with `lead_phone text DEFAULT NULL`, which every call written for the
--    old one still reaches, with the same meaning. Roles that could run the old form can run
--    the new one.
-- 2. New: retire_phone_number() and restore_phone_number().
-- 3. New: phone_pool_by_area_code() and phone_pool_by_region(), over phone_holds_area_codes(),
--    the area-code table generated from libphonenumber's data; roles that may read
--    phone_pool_status can run them. phone_holds_area_code() and phone_holds_number_problem()
--    read a stored number with the Rust rules the assignments use.
-- 4. phone_holds_setup() adds the columns, index and view above; phone_holds_check() reports
--    numbers that are not E.164.

CREATE FUNCTION "assign_phone_to_lead"(
	"lead_id" uuid,
	"as_of" timestamp with time zone DEFAULT now(),
	"lead_phone" TEXT DEFAULT NULL
) RETURNS TEXT
VOLATILE PARALLEL UNSAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'assign_phone_to_lead_near_wrapper';

CREATE FUNCTION "extend_phone_for_appointment"(
	"lead_id" uuid,
	"appointment_time" timestamp with time zone,
	"as_of" timestamp with time zone DEFAULT now(),
	"lead_phone" TEXT DEFAULT NULL
) RETURNS timestamp with time zone
VOLATILE PARALLEL UNSAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'extend_phone_for_appointment_near_wrapper';

CREATE FUNCTION "extend_phone_for_appointment"(
	"lead_id" uuid,
	"appointment_time" timestamp,
	"as_of" timestamp with time zone DEFAULT now(),
	"lead_phone" TEXT DEFAULT NULL
) RETURNS timestamp with time zone
VOLATILE PARALLEL UNSAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'extend_phone_for_appointment_utc_near_wrapper';

CREATE FUNCTION "phone_holds_area_code"(
	"number" TEXT
) RETURNS TEXT
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'phone_holds_area_code_wrapper';

CREATE FUNCTION "phone_holds_area_codes"() RETURNS TABLE (
	"area_code" TEXT,
	"region" TEXT,
	"region_name" TEXT
)
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'phone_holds_area_codes_wrapper';

CREATE FUNCTION "phone_holds_area_codes_source"() RETURNS TEXT
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'phone_holds_area_codes_source_wrapper';

CREATE FUNCTION "phone_holds_number_problem"(
	"number" TEXT
) RETURNS TEXT
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'phone_holds_number_problem_wrapper';

CREATE FUNCTION "reschedule_appointment_for_phone"(
	"lead_id" uuid,
	"new_time" timestamp with time zone,
	"as_of" timestamp with time zone DEFAULT now(),
	"lead_phone" TEXT DEFAULT NULL
) RETURNS timestamp with time zone
VOLATILE PARALLEL UNSAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'reschedule_appointment_for_phone_near_wrapper';

-- The old forms' privileges go to the new ones, then the old forms go. (Their C symbols stay
-- in the library, for catalogs not yet updated.)
DO $replace$
DECLARE
    pair record;
BEGIN
    FOR pair IN
        SELECT DISTINCT pg_catalog.quote_ident(r.rolname) AS grantee, g.new_form
          FROM (VALUES
                       ('public.assign_phone_to_lead(uuid, timestamptz)', 'public.assign_phone_to_lead(uuid, timestamptz, text)'),
                       ('public.extend_phone_for_appointment(uuid, timestamptz, timestamptz)', 'public.extend_phone_for_appointment(uuid, timestamptz, timestamptz, text)'),
                       ('public.extend_phone_for_appointment(uuid, timestamp, timestamptz)', 'public.extend_phone_for_appointment(uuid, timestamp, timestamptz, text)'),
                       ('public.reschedule_appointment_for_phone(uuid, timestamptz, timestamptz)', 'public.reschedule_appointment_for_phone(uuid, timestamptz, timestamptz, text)'))
                AS g(old_form, new_form)
          JOIN pg_catalog.pg_proc AS f ON f.oid = g.old_form::regprocedure
         CROSS JOIN LATERAL pg_catalog.aclexplode(f.proacl) AS a
          JOIN pg_catalog.pg_roles AS r ON r.oid = a.grantee
         WHERE a.privilege_type = 'EXECUTE' AND a.grantee <> f.proowner
    LOOP
        EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO %s', pair.new_form, pair.grantee);
    END LOOP;
END
$replace$;
DROP FUNCTION public.assign_phone_to_lead(uuid, timestamptz);
DROP FUNCTION public.extend_phone_for_appointment(uuid, timestamptz, timestamptz);
DROP FUNCTION public.extend_phone_for_appointment(uuid, timestamp, timestamptz);
DROP FUNCTION public.reschedule_appointment_for_phone(uuid, timestamptz, timestamptz);

-- Taking numbers out of rotation and back (README: Local presence, Retiring a number).
--
-- A retired number keeps its row and its history; it is never handed to a lead (the takes in
-- src/spi/statements.rs skip rows with retired_at set). One a lead holds stays with that lead
-- until its hold ends, and the release returns it to the table but not to rotation. The
-- columns are the pool's retired_at and retired_reason, which phone_holds_setup() adds; each
-- change is a ledger row (retired, restored) with its reason.
--
-- PL/pgSQL, not Rust: two statements on one row, no hold rule involved. The names of the
-- arguments are qualified wherever a column could have the same name.

CREATE FUNCTION public.retire_phone_number(phone_number text, reason text, as_of timestamptz DEFAULT pg_catalog.now())
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
    VALUES (retire_phone_number.as_of, 'retired', found_row.number, found_row.lead_id, found_row.release_at, 'sql', retire_phone_number.reason);
    IF found_row.status = 'assigned' THEN
        RAISE NOTICE 'phone_holds: % stays with lead % until its hold ends (release_at %), then leaves rotation', found_row.number, found_row.lead_id, found_row.release_at;
    END IF;
    RETURN true;
END
$retire$;

CREATE FUNCTION public.restore_phone_number(phone_number text, as_of timestamptz DEFAULT pg_catalog.now())
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
    VALUES (restore_phone_number.as_of, 'restored', found_row.number,
            CASE WHEN found_row.status = 'assigned' THEN found_row.lead_id END, found_row.release_at, 'sql');
    RETURN true;
END
$restore$;

-- Raises 55000 while phone_holds_setup() has not yet added the columns retiring needs (a
-- database updated from before 0.8.0).
CREATE FUNCTION public.phone_holds_rotation_ready() RETURNS void
LANGUAGE plpgsql STABLE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
AS $ready$
BEGIN
    IF pg_catalog.to_regclass('public.signalwire_phone_numbers') IS NULL OR pg_catalog.to_regclass('public.phone_hold_ledger') IS NULL
       OR NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute AS a
                       WHERE a.attrelid = pg_catalog.to_regclass('public.signalwire_phone_numbers') AND a.attname = 'retired_at' AND NOT a.attisdropped)
       OR NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute AS a
                       WHERE a.attrelid = pg_catalog.to_regclass('public.phone_hold_ledger') AND a.attname = 'reason' AND NOT a.attisdropped) THEN
        RAISE EXCEPTION 'phone_holds: the pool cannot record retired numbers yet'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'SELECT phone_holds_setup() adds the columns it needs (retired_at, retired_reason; the ledger''s reason) and changes no row.';
    END IF;
END
$ready$;

-- Raises P0002 for a number the pool does not list.
CREATE FUNCTION public.phone_holds_number_unknown(phone_number text) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
AS $unknown$
BEGIN
    RAISE EXCEPTION 'phone_holds: % is not in public.signalwire_phone_numbers', pg_catalog.quote_literal(pg_catalog.left(phone_number, 64))
        USING ERRCODE = 'no_data_found',
              HINT = 'Numbers are matched as stored, such as +14155550123: SELECT number FROM signalwire_phone_numbers WHERE number LIKE ''%<its last four digits>'' finds it.';
END
$unknown$;

-- The pool by area code and by state or province (README: Local presence, Monitoring): where
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

-- phone_holds_setup(): creates the data objects phone_holds works on, or adopts them.
--
-- Why this is a function and not part of CREATE EXTENSION: everything below is the user's data
-- (the pool table, the ledger, their indexes and the monitoring views), so pg_dump dumps it
-- like any table of theirs, after `CREATE EXTENSION phone_holds`. If CREATE EXTENSION created
-- these objects, a restore would meet them already there and the dump's own CREATE TABLE and
-- COPY would fail, losing the rows. CREATE EXTENSION therefore installs functions and
-- settings only, and this one explicit, idempotent call makes the rest:
--
--   * the pool table public.signalwire_phone_numbers: created when absent; when present,
--     adopted as it is (only missing columns and indexes are added, no row is changed);
--   * the ledger public.phone_hold_ledger, and the holds that existed before it, recorded once
--     (a ledger from an older version gets the columns added since, empty);
--   * public.phone_hold_bookings, the calendar bookings acted on;
--   * the indexes the functions' statements are written against (src/spi/statements.rs);
--   * the monitoring views (a view from an older version that lacks columns added since is
--     replaced by the current one).
--
-- It returns one line per thing it did; a second call returns none. It never creates an empty
-- table where rows may be missing: while the ledger remembers numbers, or a table shaped like
-- the pool or the ledger sits under another name, it refuses (55000) and says what to do.

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
    misshapen text[];
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
        COMMENT ON TABLE public.phone_hold_ledger IS
            'phone_holds: one row per hold change (adopted, assigned, reused, extended, completed, rescheduled, released) and rotation change (retired, restored); at = the call''s as_of.';
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
        RETURN NEXT 'created view public.phone_holds_overdue';
    END IF;

    -- The pool summary. One from before 0.8.0 (no resting or retired column) is replaced: its
    -- columns keep their names and order, and `available` no longer counts retired numbers.
    IF pg_catalog.to_regclass('public.phone_pool_status') IS NULL
       OR NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute AS a
                       WHERE a.attrelid = pg_catalog.to_regclass('public.phone_pool_status') AND a.attname = 'retired') THEN
        IF pg_catalog.to_regclass('public.phone_pool_status') IS NULL THEN
            RETURN NEXT 'created view public.phone_pool_status';
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
END
$setup$;
COMMENT ON FUNCTION public.phone_holds_setup() IS
    'Creates or adopts public.signalwire_phone_numbers, creates public.phone_hold_ledger, the indexes and the monitoring views; one line per thing done, none when all exist. Run once after CREATE EXTENSION in a new database; a restored dump brings all of it and needs no call. Refuses (55000) to create an empty pool or ledger while their rows may sit elsewhere.';

-- phone_holds self-check: the promises the functions keep, checked on the data as it is now.
-- For operators after an incident, a restore or a hand edit: an empty result means all hold.
--
-- PL/pgSQL rather than SQL: the tables are the user's and may be missing (before
-- phone_holds_setup(), or after a restore that lost them), and that is itself a finding.

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
    -- An empty pool beside a ledger that knows numbers: what a restore that lost the pool leaves.
    SELECT 'the pool table is empty, but the ledger records ' || count(DISTINCT l.number) || ' numbers',
           NULL::text, NULL::uuid
      FROM public.phone_hold_ledger AS l
    HAVING count(*) > 0 AND NOT EXISTS (SELECT 1 FROM public.signalwire_phone_numbers);
END
$check$;
COMMENT ON FUNCTION public.phone_holds_check() IS
    'Rows that break a phone_holds promise: a missing table, a lead with two numbers, a row whose status, holder and release_at disagree, a number whose latest ledger event names another holder, a current hold on a number the table lost, a number that is not E.164 (never matched by area code), or an empty pool beside a non-empty ledger. Empty when all hold.';

REVOKE EXECUTE ON FUNCTION public.assign_phone_to_lead(uuid, timestamptz, text),
                           public.extend_phone_for_appointment(uuid, timestamptz, timestamptz, text),
                           public.extend_phone_for_appointment(uuid, timestamp, timestamptz, text),
                           public.reschedule_appointment_for_phone(uuid, timestamptz, timestamptz, text),
                           public.retire_phone_number(text, text, timestamptz),
                           public.restore_phone_number(text, timestamptz),
                           public.phone_pool_by_area_code(timestamptz),
                           public.phone_pool_by_region(timestamptz) FROM PUBLIC;

-- Helpers that read nothing of the user's, which the functions granted to a caller call (revoked
-- first, so their privileges read as a fresh install's).
REVOKE EXECUTE ON FUNCTION public.phone_holds_area_codes(), public.phone_holds_area_codes_source(),
                           public.phone_holds_area_code(text), public.phone_holds_number_problem(text),
                           public.phone_holds_min_rest(), public.phone_holds_rotation_ready(),
                           public.phone_holds_number_unknown(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.phone_holds_area_codes(), public.phone_holds_area_codes_source(),
                          public.phone_holds_area_code(text), public.phone_holds_number_problem(text),
                          public.phone_holds_min_rest(), public.phone_holds_rotation_ready(),
                          public.phone_holds_number_unknown(text) TO PUBLIC;

-- The pool's readers, when the pool's summary view is there (it is the user's, made by setup).
DO $grant$
DECLARE
    grantee text;
BEGIN
    IF pg_catalog.to_regclass('public.phone_pool_status') IS NOT NULL THEN
        FOR grantee IN
            SELECT DISTINCT pg_catalog.quote_ident(r.rolname)
              FROM pg_catalog.pg_class AS c
             CROSS JOIN LATERAL pg_catalog.aclexplode(c.relacl) AS a
              JOIN pg_catalog.pg_roles AS r ON r.oid = a.grantee
             WHERE c.oid = pg_catalog.to_regclass('public.phone_pool_status') AND a.privilege_type = 'SELECT' AND a.grantee <> c.relowner
        LOOP
            EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION public.phone_pool_by_area_code(timestamptz), public.phone_pool_by_region(timestamptz) TO %s', grantee);
        END LOOP;
    END IF;
END
$grant$;

COMMENT ON FUNCTION public.assign_phone_to_lead(uuid, timestamptz, text) IS
    'The lead''s phone number. A lead that holds one keeps it, its hold becoming greatest(release_at, as_of + phone_holds.initial_hold); otherwise it gets its previous number if free, else, when lead_phone is given (E.164; NULL or blank: not known; anything else 22023), a number of its area code, else of its state or province (phone_holds.geo_match), else any: within a tier the number in rotation released longest ago, and at least phone_holds.min_rest ago; held until as_of + initial_hold. The phone and the tier go in the ledger. Empty pool: SQLSTATE 53000.';

COMMENT ON FUNCTION public.extend_phone_for_appointment(uuid, timestamptz, timestamptz, text) IS
    'Holds the lead''s number until greatest(release_at, appointment_time + phone_holds.follow_up_window) and records the latest appointment; assigns a number first if the lead holds none (near lead_phone when given, as assign_phone_to_lead does). Returns the new release_at. Refuses (22008) an appointment whose follow-up window is over or beyond phone_holds.booking_horizon.';

COMMENT ON FUNCTION public.extend_phone_for_appointment(uuid, timestamp, timestamptz, text) IS
    'The seed''s call form with a timestamp without time zone: the value is read as UTC (what ''...Z''::TIMESTAMP meant before PostgreSQL dropped the Z). Otherwise as extend_phone_for_appointment(uuid, timestamptz, timestamptz, text).';

COMMENT ON FUNCTION public.reschedule_appointment_for_phone(uuid, timestamptz, timestamptz, text) IS
    'Cancels the lead''s appointment and books new_time in one step, so the release job cannot take the number in between. Returns the new release_at (new_time + follow-up window). lead_phone as for extend_phone_for_appointment.';

COMMENT ON FUNCTION public.retire_phone_number(text, text, timestamptz) IS
    'Takes a number out of rotation with a reason (1 to 500 characters), recorded on the number and in the ledger: it is never handed to a lead again until restore_phone_number(). A number a lead holds stays with that lead until its hold ends and leaves rotation at its release. true when retired, false (with a NOTICE) when it already was; P0002 for a number the pool does not list.';

COMMENT ON FUNCTION public.restore_phone_number(text, timestamptz) IS
    'Puts a retired number back in rotation, recorded in the ledger. true when restored, false (with a NOTICE) when it was not retired; P0002 for a number the pool does not list.';

COMMENT ON FUNCTION public.phone_pool_by_area_code(timestamptz) IS
    'The pool by area code, fewest available first: area code (NULL for numbers outside the NANP or not E.164), region and its name, available (free, in rotation), resting (released less than phone_holds.min_rest before as_of), assigned, retired.';

COMMENT ON FUNCTION public.phone_pool_by_region(timestamptz) IS
    'phone_pool_by_area_code() summed by state, province or country, fewest available first, with how many area codes each has in the pool.';

COMMENT ON FUNCTION public.phone_holds_area_codes() IS
    'The NANP area codes and the region each serves (US-CA, CA-ON, PR) with its name, generated from libphonenumber''s data by scripts/nanp_regions.py; phone_holds_area_codes_source() says which release.';

COMMENT ON FUNCTION public.phone_holds_area_code(text) IS
    'The area code of a number as the pool stores it (+14155550101: 415); NULL outside the NANP or when not stored in E.164.';

COMMENT ON FUNCTION public.phone_holds_number_problem(text) IS
    'Why a number as the pool stores it can never match a lead''s area code (not E.164, or +1 but not North American), or NULL: what phone_holds_setup() warns about and phone_holds_check() reports.';

COMMENT ON FUNCTION public.phone_holds_area_codes_source() IS
    'The phonenumbers release phone_holds_area_codes() was generated from, and when.';
