-- The errors a user can meet from SQL: one bad call per SQLSTATE of README's "Errors" table,
-- with the ERROR, its DETAIL when it has one, and the HINT that says what to do. After each,
-- psql's LAST_ERROR_SQLSTATE shows the code a client (n8n, a script) can branch on. Every
-- refusal changes nothing.
CREATE DATABASE phone_holds_errors;
\c phone_holds_errors
-- Output in UTC, ISO dates and plain intervals, as in quick_start.
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
SET IntervalStyle = 'postgres';
\set VERBOSITY default
\set SHOW_CONTEXT never
CREATE EXTENSION phone_holds;

-- 42P01 undefined_table: the functions before phone_holds_setup() has made the pool.
SELECT assign_phone_to_lead('00000000-0000-4000-8000-000000000001', '2025-10-18 12:00+00');
\echo :LAST_ERROR_SQLSTATE

-- Now set up, with a pool of one number.
SELECT count(*) AS setup_steps FROM phone_holds_setup();
INSERT INTO signalwire_phone_numbers (number, name) VALUES ('+14155550101', 'line 1');

-- 22004 null_value_not_allowed: a NULL argument is refused, never a silent NULL result.
SELECT assign_phone_to_lead(NULL, '2025-10-18 12:00+00');
\echo :LAST_ERROR_SQLSTATE

-- 22023 invalid_parameter_value: an outcome that is none of the accepted ones ...
SELECT complete_appointment_for_phone('00000000-0000-4000-8000-000000000001'::UUID, 'maybe',
    '2025-10-18 12:00+00');
\echo :LAST_ERROR_SQLSTATE
-- ... and a lead phone that is not E.164 (no country code).
SELECT assign_phone_to_lead('00000000-0000-4000-8000-000000000001', '2025-10-18 12:00+00',
    lead_phone => '(415) 555-0123');
\echo :LAST_ERROR_SQLSTATE

-- 22008 datetime_field_overflow: an appointment whose follow-up window is already over
-- (Oct 1, booked on Oct 18).
SELECT extend_phone_for_appointment('00000000-0000-4000-8000-000000000001'::UUID,
    '2025-10-01T14:00:00Z'::TIMESTAMP, '2025-10-18 12:00+00');
\echo :LAST_ERROR_SQLSTATE

-- 53000 insufficient_resources: the only number is taken ...
SELECT assign_phone_to_lead('00000000-0000-4000-8000-000000000001', '2025-10-18 12:00+00');
SELECT assign_phone_to_lead('00000000-0000-4000-8000-000000000002', '2025-10-18 12:00+00');
\echo :LAST_ERROR_SQLSTATE
-- ... or, once released, still resting: for an hour it goes to no other lead.
SELECT release_expired_phone_numbers('2025-10-19 06:00+00');
SELECT assign_phone_to_lead('00000000-0000-4000-8000-000000000002', '2025-10-19 06:30+00');
\echo :LAST_ERROR_SQLSTATE

-- P0002 no_data_found: retiring a number the pool does not list.
SELECT retire_phone_number('+14155550199', 'Spam Likely on carriers', '2025-10-19 07:00+00');
\echo :LAST_ERROR_SQLSTATE

-- 42703 undefined_column: a column the functions use was renamed; the hint says how to
-- rename it back.
ALTER TABLE signalwire_phone_numbers RENAME COLUMN release_at TO hold_ends_at;
SELECT assign_phone_to_lead('00000000-0000-4000-8000-000000000001', '2025-10-19 07:00+00');
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE signalwire_phone_numbers RENAME COLUMN hold_ends_at TO release_at;

-- 28000 invalid_authorization_specification: a Cal.com webhook whose signature is wrong,
-- while a secret is set.
SELECT phone_holds_set_webhook_secret('calcom', 'regress-secret');
SELECT calcom_webhook('{"triggerEvent": "BOOKING_CANCELLED", "payload": {"uid": "bk_1"}}',
    'sha256=0000', '2025-10-19 07:00+00');
\echo :LAST_ERROR_SQLSTATE
SELECT phone_holds_set_webhook_secret('calcom', NULL);

-- 55000 object_not_in_prerequisite_state: scheduling the release job without pg_cron.
SELECT schedule_phone_release();
\echo :LAST_ERROR_SQLSTATE
-- ... and any call on tables older than this version serves: set up before 0.8.0 (here: no
-- recorded shape, and a pool without retired_at). The check runs once per connection, so on a
-- new one; rolled back after.
\c phone_holds_errors
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
SET IntervalStyle = 'postgres';
BEGIN;
SET LOCAL client_min_messages = warning;
DROP FUNCTION phone_holds_table_shape();
ALTER TABLE signalwire_phone_numbers DROP COLUMN retired_at CASCADE;
SELECT release_expired_phone_numbers('2025-10-19 07:00+00');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;

-- 42501 insufficient_privilege (PostgreSQL's own): a role without EXECUTE on the functions.
CREATE ROLE regress_phone_holds_nobody;
SET ROLE regress_phone_holds_nobody;
SELECT assign_phone_to_lead('00000000-0000-4000-8000-000000000001', '2025-10-19 07:00+00');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
DROP ROLE regress_phone_holds_nobody;

-- 2D000 invalid_transaction_termination (PostgreSQL's own): the batched release commits
-- after each batch, so it cannot run inside a transaction block once a number is due;
-- release_expired_phone_numbers() is the form to use there.
SELECT assign_phone_to_lead('00000000-0000-4000-8000-000000000001', '2025-10-19 07:00+00');
BEGIN;
CALL drain_expired_phone_numbers('2025-10-20 07:00+00');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;

-- No refusal above changed a row: the ledger holds the first lead's assignment, the release,
-- and the assignment just made (its previous number back); the drain was rolled back.
SELECT number, assignment_status, currently_assigned_to, retired_at FROM signalwire_phone_numbers;
SELECT event, number, lead_id, at FROM phone_hold_ledger ORDER BY id;
