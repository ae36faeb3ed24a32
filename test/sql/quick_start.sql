-- Quick start: what a new user types, from CREATE EXTENSION to a number back in the pool.
-- Output in UTC, ISO dates and plain intervals (pg_regress's defaults are PST8PDT and
-- PostgreSQL's older styles).
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
SET IntervalStyle = 'postgres';

-- The extension brings functions and settings, but no table.
CREATE EXTENSION phone_holds;
-- Setup creates the pool, the ledger, the appointments and the views, and says what it made.
SELECT phone_holds_setup();
-- Run again, it finds nothing missing and says nothing.
SELECT phone_holds_setup();

-- A pool of three numbers, stored in E.164.
INSERT INTO signalwire_phone_numbers (number, name, vapi_phone_number_id) VALUES
    ('+14155550101', 'San Francisco 1', 'vapi-sf-1'),
    ('+14155550102', 'San Francisco 2', 'vapi-sf-2'),
    ('+12125550101', 'New York 1',      'vapi-ny-1');
SELECT * FROM phone_pool_status;

-- Every function takes `as_of timestamptz DEFAULT now()` last. now() stays the same for the
-- whole transaction, so below every time is shown relative to it (release_at - now()): the
-- output is the same whatever day the test runs.
BEGIN;

-- A lead gives its phone (+1 415 ...): it gets a free number of its area code, held 18 hours.
SELECT assign_phone_to_lead('07f26a19-e9dc-422c-b61d-030e3c7971bb', lead_phone => '+14155550123');
-- Asked again, it keeps the same number.
SELECT assign_phone_to_lead('07f26a19-e9dc-422c-b61d-030e3c7971bb');
-- A second lead, phone not known, got its number 20 hours ago (as_of): any free number
-- (never-used first); its 18-hour hold ended 2 hours ago.
SELECT assign_phone_to_lead('5c3e9d2a-1b4f-4e6a-8c7d-2f1e0a9b8c7d', now() - interval '20 hours');
SELECT number, assignment_status, currently_assigned_to,
       release_at - now() AS release_in
  FROM signalwire_phone_numbers ORDER BY number;

-- The first lead books an appointment in 2 days: the hold now ends 24 hours after it
-- (the function returns the new release_at).
SELECT extend_phone_for_appointment('07f26a19-e9dc-422c-b61d-030e3c7971bb'::UUID,
                                    now() + interval '2 days') - now() AS release_in;

-- The views: the holds for an appointment, the holds that are over but not released yet,
-- and the pool in one row.
SELECT number, lead_id, appointment_scheduled_at - now() AS appointment_in,
       release_at - now() AS release_in, appointment_status
  FROM phone_appointment_holds;
SELECT number, lead_id, release_at - now() AS release_in, hours_overdue
  FROM phone_holds_overdue;
SELECT available, assigned, held_for_appointment, due_now, utilisation,
       next_release_at - now() AS next_release_in, resting, retired
  FROM phone_pool_status;

-- The release job's function returns how many numbers went back: the overdue one.
SELECT release_expired_phone_numbers();
SELECT count(*) AS overdue FROM phone_holds_overdue;

-- The appointment took place; the broker marks it an hour later (as_of): the number stays
-- 24 hours from then for the follow-up, and goes back to the pool when that is over.
SELECT complete_appointment_for_phone('07f26a19-e9dc-422c-b61d-030e3c7971bb'::UUID, 'showed',
                                      now() + interval '2 days 1 hour') - now() AS release_in;
SELECT release_expired_phone_numbers(now() + interval '3 days 59 minutes') AS released_too_early;
SELECT release_expired_phone_numbers(now() + interval '3 days 1 hour') AS released;

-- The pool is whole again, and the ledger tells each number's story.
SELECT number, assignment_status, currently_assigned_to, released_at - now() AS released_at
  FROM signalwire_phone_numbers ORDER BY number;
SELECT event, number, lead_id, at - now() AS at, new_release_at - now() AS release_at,
       appointment_at - now() AS appointment_at, outcome, geo_tier
  FROM phone_hold_ledger ORDER BY id;

COMMIT;
