-- phone_holds, checked in your own database with pgTAP (docs/operations/pgtap.md).
--
--     pg_prove -d <database> test/pgtap/phone_holds.sql                    -- the calling role: service_role
--     pg_prove -d <database> --set caller=n8n test/pgtap/phone_holds.sql   -- or the role n8n connects as
--     supabase test db                                                     -- copied into supabase/tests/
--
-- Run it as the role that ran CREATE EXTENSION and phone_holds_setup() (a superuser). It checks
-- the extension and its functions, the tables, indexes and views setup made, the grants of
-- README's Privileges section, the search_path of the SECURITY DEFINER functions, the pg_cron
-- job, phone_holds_check(), and the seed's three calls on a number and a lead of its own.
-- Everything happens in one transaction that is rolled back: it changes nothing (pgTAP too, if
-- this file had to create it). It names argument types only, never parameter names, so it
-- holds for 0.14.0 and 0.15.0 alike.

\set QUIET 1
-- The role your systems call phone_holds as: pg_prove --set caller=<role>; service_role when
-- unset (supabase test db sets no variable).
\if :{?caller}
\else
    \set caller service_role
\endif

BEGIN;
SET LOCAL client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
SET LOCAL TimeZone = 'UTC';

SELECT plan(234);

-------------------------------------------------------------------------------------------------
-- The extension.
-------------------------------------------------------------------------------------------------
SELECT has_extension('public', 'phone_holds', 'the extension phone_holds is installed, in schema public');
SELECT is((SELECT e.extversion FROM pg_extension AS e WHERE e.extname = 'phone_holds'),
          (SELECT a.default_version FROM pg_available_extensions AS a WHERE a.name = 'phone_holds'),
          'phone_holds is at the version the server has (else: ALTER EXTENSION phone_holds UPDATE; SELECT phone_holds_setup();)');
-- Calling one of its C functions loads the library, which also defines the phone_holds.* settings.
SELECT lives_ok('SELECT public.phone_holds_area_code(''+14155550101'')', 'its library loads');

-------------------------------------------------------------------------------------------------
-- Every function a user calls, by its argument types (parameter names may change between
-- versions; the types do not), and what it returns.
-------------------------------------------------------------------------------------------------
CREATE TEMP TABLE phone_holds_pgtap_functions (seq serial, name name, args name[], returns text) ON COMMIT DROP;
INSERT INTO phone_holds_pgtap_functions (name, args, returns) VALUES
    ('assign_phone_to_lead',                '{uuid,timestamptz,text}',                   'text'),
    ('extend_phone_for_appointment',        '{uuid,timestamptz,timestamptz,text}',       'timestamp with time zone'),
    ('extend_phone_for_appointment',        '{uuid,timestamp,timestamptz,text}',         'timestamp with time zone'),
    ('complete_appointment_for_phone',      '{uuid,text,timestamptz}',                   'timestamp with time zone'),
    ('reschedule_appointment_for_phone',    '{uuid,timestamptz,timestamptz,text}',       'timestamp with time zone'),
    ('release_expired_phone_numbers',       '{timestamptz}',                             'integer'),
    ('release_expired_phone_numbers_batch', '{timestamptz}',                             'integer'),
    ('drain_expired_phone_numbers',         '{timestamptz,bigint}',                      NULL),   -- a procedure
    ('phone_number_holder_at',              '{text,timestamptz}',                        'uuid'),
    ('vapi_tool_calls',                     '{text,timestamptz}',                        'jsonb'),
    ('vapi_tool_calls',                     '{jsonb,timestamptz}',                       'jsonb'),
    ('vapi_end_of_call',                    '{text,timestamptz}',                        'jsonb'),
    ('vapi_end_of_call',                    '{jsonb,timestamptz}',                       'jsonb'),
    ('vapi_assistant_request',              '{text,timestamptz,text}',                   'jsonb'),
    ('vapi_assistant_request',              '{jsonb,timestamptz,text}',                  'jsonb'),
    ('vapi_webhook',                        '{text,timestamptz}',                        'jsonb'),
    ('calcom_webhook',                      '{text,text,timestamptz}',                   'jsonb'),
    ('calendly_webhook',                    '{text,text,timestamptz}',                   'jsonb'),
    ('phone_holds_verify_signature',        '{text,text,text,timestamptz}',              'boolean'),
    ('phone_holds_webhook',                 '{text,text,timestamptz}',                   'record'),
    ('phone_holds_webhook',                 '{text,text,timestamptz,text}',              'record'),
    ('phone_holds_webhook_failure',         '{text,text,text,text,text}',                'jsonb'),
    ('schedule_phone_release',              '{text}',                                    'bigint'),
    ('unschedule_phone_release',            '{}',                                        'boolean'),
    ('phone_holds_check',                   '{}',                                        'setof record'),
    ('phone_pool_by_area_code',             '{timestamptz}',                             'setof record'),
    ('phone_pool_by_region',                '{timestamptz}',                             'setof record'),
    ('retire_phone_number',                 '{text,text,timestamptz}',                   'boolean'),
    ('restore_phone_number',                '{text,timestamptz}',                        'boolean'),
    ('phone_pool_history',                  '{timestamptz,timestamptz,interval}',        'setof record'),
    ('phone_release_runs',                  '{timestamptz,timestamptz}',                 'setof record'),
    ('phone_holds_setup',                   '{}',                                        'setof text'),
    ('phone_holds_exposed',                 '{}',                                        'setof record'),
    ('phone_holds_set_webhook_secret',      '{text,text}',                               'text'),
    ('phone_holds_area_codes',              '{}',                                        'setof record'),
    ('phone_holds_area_codes_source',       '{}',                                        'text'),
    ('phone_holds_area_code',               '{text}',                                    'text'),
    ('phone_holds_number_problem',          '{text}',                                    'text');

SELECT has_function('public', f.name, f.args, format('function %s(%s) exists', f.name, array_to_string(f.args, ', ')))
  FROM phone_holds_pgtap_functions AS f ORDER BY f.seq;
SELECT CASE WHEN f.returns IS NULL
            THEN is_procedure('public', f.name, ARRAY(SELECT a::regtype::name FROM unnest(f.args) AS a), format('%s(%s) is a procedure (CALL)', f.name, array_to_string(f.args, ', ')))
            ELSE function_returns('public', f.name, ARRAY(SELECT a::regtype::name FROM unnest(f.args) AS a), f.returns,
                                  format('%s(%s) returns %s', f.name, array_to_string(f.args, ', '), f.returns)) END
  FROM phone_holds_pgtap_functions AS f ORDER BY f.seq;
SELECT is_empty($$
    SELECT f.name || '(' || array_to_string(f.args, ', ') || ')'
      FROM pg_temp.phone_holds_pgtap_functions AS f
     WHERE NOT EXISTS (
           SELECT 1 FROM pg_depend AS d
            WHERE d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
              AND d.objid = to_regprocedure('public.' || f.name || '(' || array_to_string(f.args, ',') || ')')
              AND d.refobjid = (SELECT e.oid FROM pg_extension AS e WHERE e.extname = 'phone_holds'))$$,
    'each of them belongs to the extension phone_holds (none is a function of the same name made by hand)');

-------------------------------------------------------------------------------------------------
-- What phone_holds_setup() made or adopted (docs/reference/tables.md), and the extension's own
-- two tables.
-------------------------------------------------------------------------------------------------
SELECT has_table('public'::name, t::name, format('table public.%s exists', t))
  FROM unnest(ARRAY['signalwire_phone_numbers', 'phone_hold_ledger', 'phone_hold_bookings', 'phone_hold_appointments',
                    'phone_hold_claims', 'phone_holds_webhook_secrets']) WITH ORDINALITY AS x(t, i) ORDER BY i;
SELECT has_column('public'::name, 'signalwire_phone_numbers'::name, c::name, format('public.signalwire_phone_numbers has column %s', c))
  FROM unnest(ARRAY['number', 'name', 'assignment_status', 'currently_assigned_to', 'release_at', 'appointment_scheduled_at',
                    'last_call_outcome', 'vapi_phone_number_id', 'released_at', 'retired_at', 'retired_reason'])
       WITH ORDINALITY AS x(c, i) ORDER BY i;
SELECT ok(EXISTS (SELECT 1 FROM pg_index AS i
                   WHERE i.indrelid = to_regclass('public.signalwire_phone_numbers')
                     AND i.indisunique AND i.indpred IS NULL AND i.indnkeyatts = 1
                     AND i.indkey[0] = (SELECT a.attnum FROM pg_attribute AS a
                                         WHERE a.attrelid = i.indrelid AND a.attname = 'number')),
          'public.signalwire_phone_numbers has a unique index on number alone');
SELECT has_index('public'::name, x.tab::name, x.idx::name, format('index public.%s on public.%s exists', x.idx, x.tab))
  FROM (VALUES (1, 'signalwire_phone_numbers', 'phone_holds_one_number_per_lead'),
               (2, 'signalwire_phone_numbers', 'phone_holds_due'),
               (3, 'signalwire_phone_numbers', 'phone_holds_rested'),
               (4, 'signalwire_phone_numbers', 'phone_holds_free_by_area'),
               (5, 'signalwire_phone_numbers', 'phone_holds_retired'),
               (6, 'phone_hold_ledger', 'phone_hold_ledger_by_number'),
               (7, 'phone_hold_ledger', 'phone_hold_ledger_by_lead'),
               (8, 'phone_hold_ledger', 'phone_hold_ledger_by_time'),
               (9, 'phone_hold_ledger', 'phone_hold_ledger_by_appointment'),
               (10, 'phone_hold_appointments', 'phone_hold_appointments_by_booking'),
               (11, 'phone_hold_appointments', 'phone_hold_appointments_by_lead')) AS x(i, tab, idx)
 ORDER BY x.i;
SELECT has_view('public'::name, v::name, format('view public.%s exists', v))
  FROM unnest(ARRAY['phone_appointment_holds', 'phone_holds_overdue', 'phone_pool_status']) WITH ORDINALITY AS x(v, i) ORDER BY i;
SELECT has_function('public', 'phone_holds_table_shape', '{}'::name[], 'function public.phone_holds_table_shape() exists (the tables'' shape, recorded by setup)');

-------------------------------------------------------------------------------------------------
-- The calling role has what README's Privileges section grants it.
-------------------------------------------------------------------------------------------------
SELECT has_role(:'caller', format('the calling role %s exists (pg_prove --set caller=<role> names another)', :'caller'));

SELECT ok(coalesce(has_function_privilege(r.oid, to_regprocedure(f.sig), 'EXECUTE'), false),
          format('%s may execute %s', :'caller', f.sig))
  FROM (VALUES (1, 'assign_phone_to_lead(uuid, timestamptz, text)'),
               (2, 'extend_phone_for_appointment(uuid, timestamptz, timestamptz, text)'),
               (3, 'extend_phone_for_appointment(uuid, timestamp, timestamptz, text)'),
               (4, 'complete_appointment_for_phone(uuid, text, timestamptz)'),
               (5, 'reschedule_appointment_for_phone(uuid, timestamptz, timestamptz, text)'),
               (6, 'release_expired_phone_numbers(timestamptz)'),
               (7, 'release_expired_phone_numbers_batch(timestamptz)'),
               (8, 'phone_number_holder_at(text, timestamptz)'),
               (9, 'vapi_tool_calls(text, timestamptz)'),
               (10, 'vapi_tool_calls(jsonb, timestamptz)'),
               (11, 'vapi_end_of_call(text, timestamptz)'),
               (12, 'vapi_end_of_call(jsonb, timestamptz)'),
               (13, 'vapi_assistant_request(text, timestamptz, text)'),
               (14, 'vapi_assistant_request(jsonb, timestamptz, text)'),
               (15, 'vapi_webhook(text, timestamptz)'),
               (16, 'calcom_webhook(text, text, timestamptz)'),
               (17, 'calendly_webhook(text, text, timestamptz)'),
               (18, 'phone_holds_verify_signature(text, text, text, timestamptz)'),
               (19, 'phone_holds_webhook(text, text, timestamptz)'),
               (20, 'phone_holds_webhook(text, text, timestamptz, text)'),
               (21, 'phone_holds_webhook_failure(text, text, text, text, text)'),
               (22, 'drain_expired_phone_numbers(timestamptz, bigint)'),
               (23, 'schedule_phone_release(text)'),
               (24, 'unschedule_phone_release()'),
               (25, 'phone_holds_check()'),
               (26, 'phone_pool_by_area_code(timestamptz)'),
               (27, 'phone_pool_by_region(timestamptz)')) AS f(i, sig)
  LEFT JOIN pg_roles AS r ON r.rolname = :'caller'
 ORDER BY f.i;

SELECT ok(coalesce(has_table_privilege(r.oid, to_regclass(t.rel), t.priv), false),
          format('%s has %s on %s', :'caller', t.priv, t.rel))
  FROM (VALUES (1, 'public.signalwire_phone_numbers', 'SELECT'),
               (2, 'public.signalwire_phone_numbers', 'UPDATE'),
               (3, 'public.phone_hold_ledger', 'SELECT'),
               (4, 'public.phone_hold_ledger', 'INSERT'),
               (5, 'public.phone_hold_bookings', 'SELECT'),
               (6, 'public.phone_hold_bookings', 'INSERT'),
               (7, 'public.phone_hold_bookings', 'UPDATE'),
               -- phone_holds_check() reads the appointments as its caller
               (8, 'public.phone_hold_appointments', 'SELECT')) AS t(i, rel, priv)
  LEFT JOIN pg_roles AS r ON r.rolname = :'caller'
 ORDER BY t.i;

-- Nobody but the owner may write the claims (a claim held open would stall a lead's first
-- assignment) or read the webhook secrets.
SELECT CASE WHEN r.rolsuper THEN skip(format('%s is a superuser, which reaches everything: give your systems a role of their own (README: Privileges)', :'caller'), 1)
            ELSE ok(NOT coalesce(has_table_privilege(r.oid, to_regclass(t.rel), 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE')
                                 OR has_any_column_privilege(r.oid, to_regclass(t.rel), 'SELECT, INSERT, UPDATE'), false),
                    format('%s reaches nothing of %s', :'caller', t.rel)) END
  FROM (VALUES (1, 'public.phone_hold_claims'), (2, 'public.phone_holds_webhook_secrets')) AS t(i, rel)
  LEFT JOIN pg_roles AS r ON r.rolname = :'caller'
 ORDER BY t.i;

-------------------------------------------------------------------------------------------------
-- PUBLIC, anon and authenticated (Supabase's roles for the public API key and signed-in users,
-- checked where they exist) reach no function that reads or changes holds and no table.
-------------------------------------------------------------------------------------------------
SELECT is_empty('SELECT role, object FROM public.phone_holds_exposed()',
                'phone_holds_exposed() lists nothing: PUBLIC, anon and authenticated reach nothing of phone_holds');

-- The same from the catalog, without phone_holds_exposed(): every function of the extension but
-- the helpers that read nothing of yours, which every role may run.
SELECT CASE WHEN x.role <> 'public' AND NOT EXISTS (SELECT 1 FROM pg_roles AS r WHERE r.rolname = x.role)
            THEN skip(format('there is no role %s in this database', x.role), 1)
            ELSE is_empty(format($q$
                SELECT p.oid::regprocedure::text
                  FROM pg_depend AS d JOIN pg_proc AS p ON p.oid = d.objid
                 WHERE d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
                   AND d.refobjid = (SELECT e.oid FROM pg_extension AS e WHERE e.extname = 'phone_holds')
                   AND p.proname NOT IN ('phone_holds_area_codes', 'phone_holds_area_codes_source', 'phone_holds_area_code',
                                         'phone_holds_number_problem', 'phone_holds_min_rest', 'phone_holds_rotation_ready',
                                         'phone_holds_number_unknown', 'phone_holds_exposed', 'phone_holds_require_writable')
                   AND has_function_privilege(%L, p.oid, 'EXECUTE')
                 ORDER BY 1$q$, x.role),
                format('%s may execute none of phone_holds'' functions but its helpers', x.label)) END
  FROM (VALUES (1, 'public', 'PUBLIC'), (2, 'anon', 'anon'), (3, 'authenticated', 'authenticated')) AS x(i, role, label)
 ORDER BY x.i;

-- And one by one, the functions that change or reveal holds, and every table and view.
SELECT CASE WHEN x.role <> 'public' AND NOT EXISTS (SELECT 1 FROM pg_roles AS r WHERE r.rolname = x.role)
            THEN skip(format('there is no role %s in this database', x.role), 1)
            ELSE ok(coalesce(NOT has_function_privilege(x.role, to_regprocedure(f.sig), 'EXECUTE'), true),
                    format('%s may not execute %s', x.label, f.sig)) END
  FROM (VALUES (1, 'public', 'PUBLIC'), (2, 'anon', 'anon'), (3, 'authenticated', 'authenticated')) AS x(i, role, label),
       (VALUES (1, 'assign_phone_to_lead(uuid, timestamptz, text)'),
               (2, 'extend_phone_for_appointment(uuid, timestamptz, timestamptz, text)'),
               (3, 'extend_phone_for_appointment(uuid, timestamp, timestamptz, text)'),
               (4, 'complete_appointment_for_phone(uuid, text, timestamptz)'),
               (5, 'reschedule_appointment_for_phone(uuid, timestamptz, timestamptz, text)'),
               (6, 'release_expired_phone_numbers(timestamptz)'),
               (7, 'drain_expired_phone_numbers(timestamptz, bigint)'),
               (8, 'phone_number_holder_at(text, timestamptz)'),
               (9, 'vapi_webhook(text, timestamptz)'),
               (10, 'phone_holds_webhook(text, text, timestamptz, text)'),
               (11, 'retire_phone_number(text, text, timestamptz)'),
               (12, 'phone_holds_table_shape()')) AS f(i, sig)
 ORDER BY x.i, f.i;

SELECT CASE WHEN x.role <> 'public' AND NOT EXISTS (SELECT 1 FROM pg_roles AS r WHERE r.rolname = x.role)
            THEN skip(format('there is no role %s in this database', x.role), 1)
            ELSE ok(coalesce(NOT (has_table_privilege(x.role, to_regclass(t.rel), 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE')
                                  OR has_any_column_privilege(x.role, to_regclass(t.rel), 'SELECT, INSERT, UPDATE')), true),
                    format('%s reaches nothing of %s', x.label, t.rel)) END
  FROM (VALUES (1, 'public', 'PUBLIC'), (2, 'anon', 'anon'), (3, 'authenticated', 'authenticated')) AS x(i, role, label),
       (VALUES (1, 'public.signalwire_phone_numbers'), (2, 'public.phone_hold_ledger'), (3, 'public.phone_hold_bookings'),
               (4, 'public.phone_hold_appointments'), (5, 'public.phone_hold_claims'), (6, 'public.phone_holds_webhook_secrets'),
               (7, 'public.phone_appointment_holds'), (8, 'public.phone_holds_overdue'), (9, 'public.phone_pool_status')) AS t(i, rel)
 ORDER BY x.i, t.i;

-------------------------------------------------------------------------------------------------
-- Every SECURITY DEFINER function of the extension runs with a fixed search_path: set on the
-- function, without public or "$user", with no schema that PUBLIC, anon, authenticated or the
-- calling role may create objects in, and pg_temp named last (unnamed, it is searched first).
-------------------------------------------------------------------------------------------------
SELECT is_empty(format($q$
    WITH definers AS (
        SELECT p.oid::regprocedure::text AS function,
               (SELECT substr(c, length('search_path=') + 1) FROM unnest(p.proconfig) AS c WHERE c LIKE 'search_path=%%') AS path
          FROM pg_depend AS d JOIN pg_proc AS p ON p.oid = d.objid
         WHERE d.classid = 'pg_proc'::regclass AND d.deptype = 'e' AND p.prosecdef
           AND d.refobjid = (SELECT e.oid FROM pg_extension AS e WHERE e.extname = 'phone_holds')),
    schemas AS (
        SELECT f.function, btrim(s.name, ' "') AS name, s.i, count(*) OVER (PARTITION BY f.function) AS n
          FROM definers AS f, unnest(string_to_array(f.path, ',')) WITH ORDINALITY AS s(name, i))
    SELECT function, 'no search_path of its own' FROM definers WHERE path IS NULL OR btrim(path) = ''
    UNION ALL
    SELECT function, 'search_path names ' || name FROM schemas WHERE name IN ('public', '$user')
    UNION ALL
    SELECT function, 'search_path names ' || name || ', where ' || w.role || ' may create objects'
      FROM schemas, (VALUES ('public'), ('anon'), ('authenticated'), (%L)) AS w(role)
     WHERE name <> 'pg_temp' AND to_regnamespace(quote_ident(name)) IS NOT NULL
       AND (w.role = 'public' OR EXISTS (SELECT 1 FROM pg_roles AS r WHERE r.rolname = w.role))
       AND has_schema_privilege(w.role, to_regnamespace(quote_ident(name)), 'CREATE')
    UNION ALL
    SELECT f.function, 'search_path does not name pg_temp last'
      FROM definers AS f
     WHERE f.path IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM schemas AS s WHERE s.function = f.function AND s.name = 'pg_temp' AND s.i = s.n)
    $q$, :'caller'),
    format('every SECURITY DEFINER function of phone_holds (%s) has a fixed search_path without a schema others may write',
           (SELECT string_agg(p.oid::regprocedure::text, ', ' ORDER BY 1)
              FROM pg_depend AS d JOIN pg_proc AS p ON p.oid = d.objid
             WHERE d.classid = 'pg_proc'::regclass AND d.deptype = 'e' AND p.prosecdef
               AND d.refobjid = (SELECT e.oid FROM pg_extension AS e WHERE e.extname = 'phone_holds'))));

-------------------------------------------------------------------------------------------------
-- The release job (docs/operations/release-job.md), where pg_cron is installed in this database.
-------------------------------------------------------------------------------------------------
SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_cron') AS phone_holds_pgtap_cron \gset
\if :phone_holds_pgtap_cron
SELECT ok(EXISTS (SELECT 1 FROM cron.job AS j WHERE j.jobname = 'phone_holds_release' AND j.database = current_database()),
          'pg_cron has the job phone_holds_release for this database (SELECT schedule_phone_release(); it shows a superuser or its scheduler)');
SELECT ok(coalesce((SELECT bool_and(j.active) FROM cron.job AS j WHERE j.jobname = 'phone_holds_release' AND j.database = current_database()), false),
          'the job phone_holds_release is active');
SELECT is((SELECT string_agg(j.command, '; ') FROM cron.job AS j WHERE j.jobname = 'phone_holds_release' AND j.database = current_database()),
          'CALL public.drain_expired_phone_numbers()', 'the job runs CALL public.drain_expired_phone_numbers()');
SELECT ok(coalesce((SELECT bool_and(has_function_privilege(j.username, 'public.drain_expired_phone_numbers(timestamptz, bigint)', 'EXECUTE')
                                    AND has_table_privilege(j.username, 'public.signalwire_phone_numbers', 'SELECT, UPDATE')
                                    AND has_table_privilege(j.username, 'public.phone_hold_ledger', 'INSERT'))
                      FROM cron.job AS j
                     WHERE j.jobname = 'phone_holds_release' AND j.database = current_database()
                       AND EXISTS (SELECT 1 FROM pg_roles AS r WHERE r.rolname = j.username)), false),
          'the job''s role may run the release (EXECUTE on drain_expired_phone_numbers, UPDATE on the pool, INSERT on the ledger)');
\else
SELECT skip('pg_cron is not installed in this database: no release job to check', 4);
\endif

-------------------------------------------------------------------------------------------------
-- The self-check, on your data as it is.
-------------------------------------------------------------------------------------------------
SELECT is_empty('SELECT * FROM public.phone_holds_check()', 'phone_holds_check() finds no broken promise');

-------------------------------------------------------------------------------------------------
-- The seed's three calls, with the seed's call forms and a fixed as_of, on a number and a lead of
-- the test's own: a number from the fictional 555-0100 to 555-0199 range that your pool does not
-- have, held by a lead UUID that none of your rows names. The number goes in as the seed has it
-- once a lead gave its phone (assigned, held initial_hold); then the appointment is booked, the
-- outcome recorded and the number released. The times lie in 2001, years before any hold of
-- yours: the release at that moment finds no hold of yours due, so it releases (and row-locks,
-- until the rollback, a moment later) the test's number only. The expected times follow your
-- phone_holds.initial_hold and phone_holds.follow_up_window. Calls run as the calling role when
-- the role running this test may SET ROLE to it (a superuser may), so they also prove its
-- grants are enough. All of it, change events included, is rolled back at the end.
-------------------------------------------------------------------------------------------------
\set test_lead 'c0ffee00-7e57-4a11-8000-00000000f00d'
\set assigned_at '2001-10-18 12:00+00'
\set appointment '2001-10-20T14:00:00'
\set extend_as_of '2001-10-18 12:05+00'
\set complete_as_of '2001-10-20 15:00+00'
SELECT coalesce(nullif(current_setting('phone_holds.initial_hold', true), ''), '18h')::interval AS initial_hold,
       coalesce(nullif(current_setting('phone_holds.follow_up_window', true), ''), '24h')::interval AS follow_up
\gset
SELECT (:'complete_as_of'::timestamptz + :'follow_up'::interval)::text AS release_as_of \gset
SELECT coalesce((SELECT c.n FROM (SELECT '+1415555' || lpad(i::text, 4, '0') AS n FROM generate_series(100, 199) AS i) AS c
                  WHERE NOT EXISTS (SELECT 1 FROM public.signalwire_phone_numbers AS p WHERE p.number::text = c.n)
                  ORDER BY c.n DESC LIMIT 1), 'none free') AS test_number,
       CASE WHEN NOT EXISTS (SELECT 1 FROM pg_roles AS r WHERE r.rolname = :'caller') THEN current_user::text
            WHEN pg_has_role(:'caller', 'MEMBER') THEN :'caller'
            ELSE current_user::text END AS seed_role
\gset

SELECT ok(:'test_number' <> 'none free'
          AND NOT EXISTS (SELECT 1 FROM public.signalwire_phone_numbers WHERE currently_assigned_to = :'test_lead')
          AND NOT EXISTS (SELECT 1 FROM public.phone_hold_ledger WHERE lead_id = :'test_lead')
          AND NOT EXISTS (SELECT 1 FROM public.phone_hold_appointments WHERE lead_id = :'test_lead'),
          format('the test''s lead %s is none of yours, and its number is %s', :'test_lead', :'test_number'));

INSERT INTO public.signalwire_phone_numbers (number, name, assignment_status, currently_assigned_to, release_at)
VALUES (:'test_number', 'phone_holds pgTAP test (rolled back)', 'assigned', :'test_lead',
        :'assigned_at'::timestamptz + :'initial_hold'::interval);

-- Each call runs through this function, which keeps what it returned or the error it raised (a
-- failed call is rolled back alone, and the test goes on). No pgTAP function runs while the
-- calling role is set: that role may not reach pgTAP's schema (Supabase keeps it in
-- `extensions`). Temporary, like the table, and dropped with the transaction.
CREATE TEMP TABLE phone_holds_pgtap_calls (step text PRIMARY KEY, result text, error text) ON COMMIT DROP;
GRANT SELECT, INSERT ON phone_holds_pgtap_calls TO PUBLIC;
CREATE FUNCTION pg_temp.phone_holds_pgtap_call(step text, call text) RETURNS boolean
LANGUAGE plpgsql AS $f$
DECLARE
    result text;
BEGIN
    EXECUTE call INTO result;
    INSERT INTO pg_temp.phone_holds_pgtap_calls VALUES (step, result, NULL);
    RETURN true;
EXCEPTION WHEN OTHERS THEN
    INSERT INTO pg_temp.phone_holds_pgtap_calls VALUES (step, NULL, SQLSTATE || ': ' || SQLERRM);
    RETURN false;
END
$f$;
GRANT EXECUTE ON FUNCTION pg_temp.phone_holds_pgtap_call(text, text) TO PUBLIC;

SELECT format('SELECT extend_phone_for_appointment(%L::UUID, %L::TIMESTAMP, %L)', :'test_lead', :'appointment', :'extend_as_of') AS call_extend,
       format('SELECT complete_appointment_for_phone(%L::UUID, ''showed'', %L)', :'test_lead', :'complete_as_of') AS call_complete,
       format('SELECT release_expired_phone_numbers(%L)', :'release_as_of') AS call_release
\gset
SET LOCAL ROLE :"seed_role";
SELECT pg_temp.phone_holds_pgtap_call('extend', :'call_extend') AS phone_holds_pgtap_ignored \gset
SELECT pg_temp.phone_holds_pgtap_call('complete', :'call_complete') AS phone_holds_pgtap_ignored \gset
-- Takes a row lock on each hold due at this as_of (the test's number alone, see above) until the
-- rollback.
SELECT pg_temp.phone_holds_pgtap_call('release', :'call_release') AS phone_holds_pgtap_ignored \gset
RESET ROLE;

SELECT is((SELECT error FROM phone_holds_pgtap_calls WHERE step = s.step), NULL, format('as %s: %s', :'seed_role', s.call))
  FROM (VALUES (1, 'extend', :'call_extend'), (2, 'complete', :'call_complete'), (3, 'release', :'call_release')) AS s(i, step, call)
 ORDER BY s.i;

SELECT is((SELECT result FROM phone_holds_pgtap_calls WHERE step = 'extend')::timestamptz,
          greatest(:'assigned_at'::timestamptz + :'initial_hold'::interval,
                   :'appointment'::timestamp AT TIME ZONE 'UTC' + :'follow_up'::interval),
          'the booking holds the number through the appointment + follow_up_window (the zone-less time read as UTC)');
SELECT is((SELECT result FROM phone_holds_pgtap_calls WHERE step = 'complete')::timestamptz,
          :'complete_as_of'::timestamptz + :'follow_up'::interval,
          '"showed" holds it follow_up_window from the outcome');
SELECT is((SELECT result FROM phone_holds_pgtap_calls WHERE step = 'release')::integer, 1,
          'the release gives back one number: the test''s (none of yours is due in 2001)');
SELECT is((SELECT format('%s, held by %s, released at %s', n.assignment_status, coalesce(n.currently_assigned_to::text, 'nobody'), n.released_at)
             FROM public.signalwire_phone_numbers AS n WHERE n.number = :'test_number'),
          format('available, held by nobody, released at %s', :'release_as_of'::timestamptz),
          'the test''s number is back in the pool');
SELECT is(ARRAY(SELECT l.event || ' ' || l.at || coalesce(' until ' || l.new_release_at, '') || coalesce(' (' || l.outcome || ')', '')
                  FROM public.phone_hold_ledger AS l WHERE l.number = :'test_number' ORDER BY l.at, l.id),
          ARRAY['extended ' || :'extend_as_of'::timestamptz || ' until '
                    || greatest(:'assigned_at'::timestamptz + :'initial_hold'::interval,
                                :'appointment'::timestamp AT TIME ZONE 'UTC' + :'follow_up'::interval),
                'completed ' || :'complete_as_of'::timestamptz || ' until ' || (:'complete_as_of'::timestamptz + :'follow_up'::interval) || ' (showed)',
                'released ' || :'release_as_of'::timestamptz],
          'the ledger records the three changes, at their as_of');
SELECT is_empty(format('SELECT * FROM public.phone_holds_check() WHERE number = %L OR lead_id = %L', :'test_number', :'test_lead'),
                'phone_holds_check() finds nothing wrong with the test''s number or lead afterwards');

SELECT * FROM finish();
ROLLBACK;
