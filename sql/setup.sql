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
--   * public.phone_hold_appointments, every appointment of every lead, with those the holds
--     and bookings already record;
--   * the indexes the functions' statements are written against (src/spi/statements.rs);
--   * the monitoring views (a view from an older version that lacks columns added since is
--     replaced by the current one);
--   * public.phone_holds_table_shape(), the shape it made, which the library checks
--     (src/spi/shape.rs); callable by its owner only, and said in no line.
--
-- It returns one line per thing it did; a second call returns none. It never creates an empty
-- table where rows may be missing: while the ledger remembers numbers, or a table shaped like
-- the pool or the ledger sits under another name, it refuses (55000) and says what to do.

CREATE FUNCTION public.phone_holds_setup() RETURNS SETOF text
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
    grantee name;
BEGIN
    -- On a hot standby or in a READ ONLY transaction: 25006, before any work.
    PERFORM public.phone_holds_require_writable('phone_holds_setup()');
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
    -- The numbers out of rotation, which phone_pool_history() takes the pool back from: few,
    -- so a small index that only a retire or a restore writes.
    IF pg_catalog.to_regclass('public.phone_holds_retired') IS NULL THEN
        CREATE INDEX phone_holds_retired
            ON public.signalwire_phone_numbers (number)
         WHERE retired_at IS NOT NULL;
        RETURN NEXT 'created index public.phone_holds_retired';
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
    -- and the last event applied (docs/guides/calendars.md). Created empty, like the ledger; a role
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

    -- Every appointment of every lead, from every source (docs/guides/hold-rules.md): a hold lasts
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

    -- The shape the tables now have, which the library checks once per backend
    -- (src/spi/shape.rs): 1, every column its statements use. Recorded without a line of
    -- output: it changes no table. The library reads it from the catalog, so nobody needs to
    -- call it: only its owner may, whatever PUBLIC or the schema's default privileges got.
    IF (SELECT p.prosrc FROM pg_catalog.pg_proc AS p
         WHERE p.oid = pg_catalog.to_regprocedure('public.phone_holds_table_shape()')) IS DISTINCT FROM 'SELECT 1' THEN
        CREATE OR REPLACE FUNCTION public.phone_holds_table_shape() RETURNS integer
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT 1';
        REVOKE ALL ON FUNCTION public.phone_holds_table_shape() FROM PUBLIC;
        FOR grantee IN
            SELECT DISTINCT r.rolname
              FROM pg_catalog.pg_proc AS p
             CROSS JOIN LATERAL pg_catalog.aclexplode(p.proacl) AS a
              JOIN pg_catalog.pg_roles AS r ON r.oid = a.grantee
             WHERE p.oid = 'public.phone_holds_table_shape()'::pg_catalog.regprocedure AND a.grantee <> p.proowner
        LOOP
            EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION public.phone_holds_table_shape() FROM %I', grantee);
        END LOOP;
        COMMENT ON FUNCTION public.phone_holds_table_shape() IS
            'phone_holds: the shape phone_holds_setup() gave the pool and ledger tables (docs/reference/tables.md). The library refuses tables older than it serves (55000).';
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
COMMENT ON FUNCTION public.phone_holds_setup() IS
    'Creates or adopts public.signalwire_phone_numbers, creates public.phone_hold_ledger, public.phone_hold_bookings, public.phone_hold_appointments (with the appointments already recorded), the indexes and the monitoring views, and records their shape as public.phone_holds_table_shape() (no line for it: the library refuses tables older than it serves, 55000); one line per thing done, none when all exist. Run once after CREATE EXTENSION in a new database; a restored dump brings all of it and needs no call. Refuses (55000) to create an empty pool or ledger while their rows may sit elsewhere.';
