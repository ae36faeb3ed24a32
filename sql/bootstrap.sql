-- phone_holds bootstrap: create or adopt the pool table, create the ledger, add the indexes.
--
-- public.signalwire_phone_numbers is the user's data. When it exists, this script only adds
-- what is missing (columns, indexes) and never changes a row; when it does not, it creates it.
-- Both tables are detached from the extension at the end, so DROP EXTENSION leaves them and
-- their rows in place and CREATE EXTENSION adopts them again.
-- Every check reads the catalog first: CREATE ... IF NOT EXISTS is refused in extension
-- scripts for objects the extension does not own.
--
-- Restoring a pg_dump: the dump recreates these tables, their indexes and the views itself,
-- after CREATE EXTENSION. Restore with phone_holds.restoring = on (README: Backups) and this
-- script leaves the tables to the dump.
-- The setting is read as text: the library that defines it is not loaded yet.

DO $bootstrap$
DECLARE
    pool CONSTANT regclass := to_regclass('public.signalwire_phone_numbers');
    col record;
    expected record;
BEGIN
    IF current_setting('phone_holds.restoring', true) IN ('on', 'true') THEN
        RETURN;
    END IF;
    IF pool IS NULL THEN
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
            CONSTRAINT signalwire_phone_numbers_hold_shape CHECK (
                (assignment_status = 'assigned') = (currently_assigned_to IS NOT NULL)
                AND (currently_assigned_to IS NOT NULL) = (release_at IS NOT NULL))
        );
        RETURN;
    END IF;

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
                          HINT = 'phone_holds adopts a table shaped like the seed''s; add the column or rename the table.';
            END IF;
            EXECUTE format('ALTER TABLE public.signalwire_phone_numbers ADD COLUMN %I %s',
                           expected.column_name, expected.add_as);
        ELSIF expected.accepted IS NOT NULL AND NOT col.data_type = ANY (expected.accepted) THEN
            RAISE EXCEPTION 'phone_holds: column public.signalwire_phone_numbers.% is %, expected %',
                    expected.column_name, col.data_type, expected.add_as
                USING ERRCODE = 'datatype_mismatch',
                      HINT = format('Convert it first, e.g. ALTER TABLE public.signalwire_phone_numbers ALTER COLUMN %I TYPE %s USING %I::%s%s',
                                    expected.column_name, expected.add_as, expected.column_name, expected.add_as,
                                    CASE WHEN expected.add_as = 'timestamptz'
                                         THEN format(' (for timestamp: USING %I AT TIME ZONE ''UTC'')', expected.column_name)
                                         ELSE '' END);
        END IF;
    END LOOP;

    -- The unique indexes below are what keep one number with one lead under concurrency;
    -- name the rows that would break them instead of failing on an index build.
    IF EXISTS (SELECT 1 FROM public.signalwire_phone_numbers
                GROUP BY number HAVING count(*) > 1) THEN
        RAISE EXCEPTION 'phone_holds: public.signalwire_phone_numbers lists a number more than once'
            USING ERRCODE = 'unique_violation',
                  HINT = 'Find them with: SELECT number, count(*) FROM public.signalwire_phone_numbers GROUP BY 1 HAVING count(*) > 1;';
    END IF;
    IF EXISTS (SELECT 1 FROM public.signalwire_phone_numbers
                WHERE assignment_status = 'assigned' AND currently_assigned_to IS NOT NULL
                GROUP BY currently_assigned_to HAVING count(*) > 1) THEN
        RAISE EXCEPTION 'phone_holds: a lead holds more than one number in public.signalwire_phone_numbers'
            USING ERRCODE = 'unique_violation',
                  HINT = 'Find them with: SELECT currently_assigned_to, array_agg(number) FROM public.signalwire_phone_numbers WHERE assignment_status = ''assigned'' GROUP BY 1 HAVING count(*) > 1;';
    END IF;

    -- A unique index on number alone, unless the table already has one (its primary key, say).
    IF NOT EXISTS (
        SELECT 1 FROM pg_index AS i
         WHERE i.indrelid = 'public.signalwire_phone_numbers'::regclass
           AND i.indisunique AND i.indpred IS NULL AND i.indnkeyatts = 1
           AND i.indkey[0] = (SELECT a.attnum FROM pg_attribute AS a
                               WHERE a.attrelid = i.indrelid AND a.attname = 'number')) THEN
        CREATE UNIQUE INDEX phone_holds_number_key ON public.signalwire_phone_numbers (number);
    END IF;
END
$bootstrap$;

-- One number per lead, due numbers by time, and free numbers by rest: the partial indexes
-- the functions' statements are written against (src/spi/statements.rs).
DO $indexes$
BEGIN
    IF current_setting('phone_holds.restoring', true) IN ('on', 'true') THEN
        RETURN;
    END IF;
    IF to_regclass('public.phone_holds_one_number_per_lead') IS NULL THEN
        CREATE UNIQUE INDEX phone_holds_one_number_per_lead
            ON public.signalwire_phone_numbers (currently_assigned_to)
         WHERE assignment_status = 'assigned';
    END IF;
    IF to_regclass('public.phone_holds_due') IS NULL THEN
        CREATE INDEX phone_holds_due
            ON public.signalwire_phone_numbers (release_at)
         WHERE assignment_status = 'assigned';
    END IF;
    IF to_regclass('public.phone_holds_rested') IS NULL THEN
        CREATE INDEX phone_holds_rested
            ON public.signalwire_phone_numbers (released_at NULLS FIRST, number)
         WHERE assignment_status = 'available';
    END IF;
END
$indexes$;

-- The ledger: one row per hold change, with the as_of it was made at. Kept across
-- DROP/CREATE EXTENSION like the pool.
DO $ledger$
BEGIN
    IF current_setting('phone_holds.restoring', true) IN ('on', 'true') THEN
        RETURN;
    END IF;
    IF to_regclass('public.phone_hold_ledger') IS NULL THEN
        CREATE TABLE public.phone_hold_ledger (
            id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            at             timestamptz NOT NULL,
            recorded_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
            event          text NOT NULL CHECK (event IN
                               ('adopted', 'assigned', 'reused', 'extended', 'completed', 'rescheduled', 'released')),
            number         text NOT NULL,
            lead_id        uuid,
            old_release_at timestamptz,
            new_release_at timestamptz,
            appointment_at timestamptz,
            outcome        text
        );
        CREATE INDEX phone_hold_ledger_by_number ON public.phone_hold_ledger (number, at DESC, id DESC);
        CREATE INDEX phone_hold_ledger_by_lead ON public.phone_hold_ledger (lead_id, id DESC);
        COMMENT ON TABLE public.phone_hold_ledger IS
            'phone_holds: one row per hold change (adopted, assigned, reused, extended, completed, rescheduled, released); at = the call''s as_of.';
    END IF;

    -- Holds that existed before the extension: recorded once, so the ledger can answer who
    -- holds them from now on. A hold whose latest ledger row already says so is not recorded again.
    INSERT INTO public.phone_hold_ledger (at, event, number, lead_id, new_release_at, appointment_at, outcome)
    SELECT now(), 'adopted', n.number, n.currently_assigned_to, n.release_at, n.appointment_scheduled_at, n.last_call_outcome
      FROM public.signalwire_phone_numbers AS n
     WHERE n.assignment_status = 'assigned' AND n.currently_assigned_to IS NOT NULL
       AND NOT EXISTS (
           SELECT 1
             FROM (SELECT l.event, l.lead_id FROM public.phone_hold_ledger AS l
                    WHERE l.number = n.number ORDER BY l.at DESC, l.id DESC LIMIT 1) AS latest
            WHERE latest.event <> 'released' AND latest.lead_id = n.currently_assigned_to);
END
$ledger$;

-- Detach what this script created, so DROP EXTENSION never takes the data with it.
DO $detach$
DECLARE
    member record;
BEGIN
    FOR member IN
        SELECT c.oid::regclass AS rel, c.relkind
          FROM pg_depend AS d
          JOIN pg_class AS c ON c.oid = d.objid
         WHERE d.classid = 'pg_class'::regclass AND d.deptype = 'e'
           AND d.refclassid = 'pg_extension'::regclass
           AND d.refobjid = (SELECT e.oid FROM pg_extension AS e WHERE e.extname = 'phone_holds')
           AND c.relkind IN ('r', 'S')
         ORDER BY c.relkind DESC  -- tables ('r') before sequences ('S')
    LOOP
        EXECUTE format('ALTER EXTENSION phone_holds DROP %s %s',
                       CASE member.relkind WHEN 'r' THEN 'TABLE' ELSE 'SEQUENCE' END, member.rel);
    END LOOP;
END
$detach$;
