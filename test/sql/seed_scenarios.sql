-- The four scenarios of the system phone_holds replaces (the seed,
-- phone-number-appointment-holds.md), in the seed's call forms, on one timeline that starts
-- Saturday 2025-10-18 12:00 UTC. Every call passes its moment as the last argument (as_of), so
-- nothing depends on the day the test runs. The rules: a lead's number is held 18 h after it
-- last replied, through an appointment plus 24 h, 24 h after a showed/no_show outcome, and is
-- due at once after a cancel or reschedule; the release returns the holds that are due.
CREATE DATABASE phone_holds_seed_scenarios;
\c phone_holds_seed_scenarios
-- Output in UTC, ISO dates and plain intervals, as in quick_start.
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
SET IntervalStyle = 'postgres';
CREATE EXTENSION phone_holds;
SELECT count(*) AS setup_steps FROM phone_holds_setup();
INSERT INTO signalwire_phone_numbers (number, name) VALUES
    ('+14155550101', 'line 1'), ('+14155550102', 'line 2'), ('+14155550103', 'line 3'),
    ('+14155550104', 'line 4'), ('+14155550105', 'line 5'), ('+14155550106', 'line 6');

-- The seed's own leads table (just enough of it) names the five leads, one per story, and
-- `holds`, after the seed's "Check Current Appointments" query, shows each lead's number,
-- hold and appointment.
CREATE TABLE leads (id uuid PRIMARY KEY, first_name text NOT NULL);
INSERT INTO leads VALUES
    ('00000000-0000-4000-8000-000000000001', 'Ann'),   -- 1: no appointment
    ('00000000-0000-4000-8000-000000000002', 'Ben'),   -- 2: books, shows up
    ('00000000-0000-4000-8000-000000000003', 'Cy'),    -- 3: books, does not show
    ('00000000-0000-4000-8000-000000000004', 'Dee'),   -- 4: books, cancels
    ('00000000-0000-4000-8000-000000000005', 'Eve');   -- 4: books, reschedules
CREATE VIEW holds AS
SELECT l.first_name AS lead, spn.number, spn.release_at, spn.appointment_scheduled_at,
       spn.last_call_outcome
  FROM leads AS l
  LEFT JOIN signalwire_phone_numbers AS spn ON spn.currently_assigned_to = l.id
 ORDER BY l.first_name;

-- Saturday 12:00. Ann and Ben reply: each gets a number, held 18 h (Sunday 06:00).
SELECT assign_phone_to_lead('00000000-0000-4000-8000-000000000001', '2025-10-18 12:00+00');
SELECT assign_phone_to_lead('00000000-0000-4000-8000-000000000002', '2025-10-18 12:00+00');
-- Cy, Dee and Eve book straight away for Monday 14:00 (the seed's TIMESTAMP form; its Z
-- means UTC): a number is assigned first, and held until the appointment + 24 h (Tuesday 14:00).
SELECT extend_phone_for_appointment('00000000-0000-4000-8000-000000000003'::UUID,
    '2025-10-20T14:00:00Z'::TIMESTAMP, '2025-10-18 12:00+00');
SELECT extend_phone_for_appointment('00000000-0000-4000-8000-000000000004'::UUID,
    '2025-10-20T14:00:00Z'::TIMESTAMP, '2025-10-18 12:00+00');
SELECT extend_phone_for_appointment('00000000-0000-4000-8000-000000000005'::UUID,
    '2025-10-20T14:00:00Z'::TIMESTAMP, '2025-10-18 12:00+00');
SELECT * FROM holds;

-- Scenario 2: Barbara books Ben for Monday 14:00: his hold is extended to Tuesday 14:00
-- (appointment + 24 h), same number.
SELECT extend_phone_for_appointment('00000000-0000-4000-8000-000000000002'::UUID,
    '2025-10-20T14:00:00Z'::TIMESTAMP, '2025-10-18 12:30+00');

-- Scenario 1: Ann replies again at 20:00: same number, held 18 h from this reply (Sunday 14:00).
SELECT assign_phone_to_lead('00000000-0000-4000-8000-000000000001', '2025-10-18 20:00+00');
-- Edge case: Ben replies again after booking (Sunday 09:00): same number, and the hold, already
-- longer than 18 h, does not change.
SELECT assign_phone_to_lead('00000000-0000-4000-8000-000000000002', '2025-10-19 09:00+00');
SELECT * FROM holds;

-- Scenario 4: Sunday 10:00, Dee cancels and Eve reschedules: both numbers are due now
-- (release_at = as_of) and their appointments are cleared.
SELECT complete_appointment_for_phone('00000000-0000-4000-8000-000000000004'::UUID, 'cancelled',
    '2025-10-19 10:00+00');
SELECT complete_appointment_for_phone('00000000-0000-4000-8000-000000000005'::UUID, 'rescheduled',
    '2025-10-19 10:00+00');
SELECT * FROM holds WHERE lead IN ('Dee', 'Eve');
-- Eve's new appointment (Wednesday 14:00) is booked before any release ran: the hold is
-- re-extended on the same number, to Thursday 14:00.
SELECT extend_phone_for_appointment('00000000-0000-4000-8000-000000000005'::UUID,
    '2025-10-22T14:00:00Z'::TIMESTAMP, '2025-10-19 10:05+00');
-- The release at 10:10 returns what is due: Dee's number only.
SELECT release_expired_phone_numbers('2025-10-19 10:10+00');
SELECT * FROM holds;

-- Scenario 1, the end: at 13:59 Ann's hold still runs, at 14:00 (18 h after her last reply)
-- her number goes back.
SELECT release_expired_phone_numbers('2025-10-19 13:59+00');
SELECT release_expired_phone_numbers('2025-10-19 14:00+00');

-- Scenario 3: Monday 15:00, the broker marks Cy a no-show: his number stays 24 h from now for
-- the follow-up (Tuesday 15:00), past the appointment's own 24 h.
SELECT complete_appointment_for_phone('00000000-0000-4000-8000-000000000003'::UUID, 'no_show',
    '2025-10-20 15:00+00');
-- Scenario 2: Ben showed; marked at 16:00, his number stays until Tuesday 16:00.
SELECT complete_appointment_for_phone('00000000-0000-4000-8000-000000000002'::UUID, 'showed',
    '2025-10-20 16:00+00');
SELECT * FROM holds;

-- The release returns exactly the holds that are due, each at its time: Tuesday 14:59 none,
-- 15:00 Cy's, 16:00 Ben's; Eve's appointment (Wednesday 14:00 + 24 h) keeps hers until Thursday 14:00.
SELECT release_expired_phone_numbers('2025-10-21 14:59+00');
SELECT release_expired_phone_numbers('2025-10-21 15:00+00');
SELECT release_expired_phone_numbers('2025-10-21 16:00+00');
SELECT release_expired_phone_numbers('2025-10-23 13:59+00');
SELECT * FROM holds;
SELECT release_expired_phone_numbers('2025-10-23 14:00+00');
SELECT number, assignment_status, released_at FROM signalwire_phone_numbers ORDER BY number;

-- Scenario 4, the end: Dee, who cancelled, books again: she gets her previous number back
-- (geo_tier `previous` in the ledger), not the never-used line 6, held to the new appointment
-- + 24 h; when that is over it goes back, and the whole pool is free.
SELECT extend_phone_for_appointment('00000000-0000-4000-8000-000000000004'::UUID,
    '2025-10-24T14:00:00Z'::TIMESTAMP, '2025-10-23 14:30+00');
SELECT release_expired_phone_numbers('2025-10-25 14:00+00');
SELECT count(*) AS assigned FROM signalwire_phone_numbers WHERE assignment_status = 'assigned';

-- A lead that holds no number has nothing to complete: NULL and a NOTICE, safe to retry.
SELECT complete_appointment_for_phone('00000000-0000-4000-8000-000000000001'::UUID, 'showed',
    '2025-10-25 15:00+00');

-- Every change is in the ledger, with its moment and why.
SELECT l.first_name AS lead, g.event, g.number, g.at, g.new_release_at, g.appointment_at, g.outcome,
       g.geo_tier
  FROM phone_hold_ledger AS g JOIN leads AS l ON l.id = g.lead_id
 ORDER BY g.id;

-- The seed's own Testing section, its calls and checks as written (the calls' results are
-- shown as `- NOW()`), in one transaction: now() is fixed there, so "hours until release"
-- comes out exact. The pool is free again, so the release below can only return this lead's.
BEGIN;
-- Test 1: Barbara books an appointment in 2 days: release_at is 2 days + 24 hours from now.
SELECT extend_phone_for_appointment(
  '07f26a19-e9dc-422c-b61d-030e3c7971bb'::UUID,
  NOW() + INTERVAL '2 days'  -- Appointment in 2 days
) - NOW() AS release_in;
SELECT
  number,
  appointment_scheduled_at - NOW() AS appointment_in,
  EXTRACT(EPOCH FROM (release_at - NOW()))/3600 as hours_until_release
FROM signalwire_phone_numbers
WHERE currently_assigned_to = '07f26a19-e9dc-422c-b61d-030e3c7971bb';
-- Test 2: marked 'showed' now: release_at is 24 hours from now, as the seed expects. The
-- appointment, 2 days ahead, has not begun: it stays booked and keeps holding the number (a
-- release 25 hours from now returns none).
SELECT complete_appointment_for_phone(
  '07f26a19-e9dc-422c-b61d-030e3c7971bb'::UUID,
  'showed'
) - NOW() AS release_in;
SELECT
  number,
  last_call_outcome,
  EXTRACT(EPOCH FROM (release_at - NOW()))/3600 as hours_until_release
FROM signalwire_phone_numbers
WHERE currently_assigned_to = '07f26a19-e9dc-422c-b61d-030e3c7971bb';
SELECT release_expired_phone_numbers(NOW() + INTERVAL '25 hours');
-- Test 3: the lead cancels: release_at is now, and the release gives the number back.
SELECT complete_appointment_for_phone(
  '07f26a19-e9dc-422c-b61d-030e3c7971bb'::UUID,
  'cancelled'
) - NOW() AS release_in;
SELECT
  number,
  last_call_outcome,
  release_at <= NOW() as ready_to_release
FROM signalwire_phone_numbers
WHERE currently_assigned_to = '07f26a19-e9dc-422c-b61d-030e3c7971bb';
SELECT release_expired_phone_numbers();
SELECT number, assignment_status
FROM signalwire_phone_numbers
WHERE released_at = NOW();
COMMIT;
