-- phone_holds demo: the seed's four scenarios, two inbound calls, a Cal.com booking, local presence and monitoring, with time moved by the as_of argument.
-- Run by scripts/demo.sh against a throwaway cluster; every step prints the pool.
\set ON_ERROR_STOP on
\pset footer off
SET client_min_messages = warning;
SET TimeZone = 'UTC';
CREATE EXTENSION phone_holds;       -- the functions
SELECT phone_holds_setup();          -- the pool table, the ledger, their indexes and views (once per database)

INSERT INTO signalwire_phone_numbers (number, name, vapi_phone_number_id) VALUES
    ('+15550100001', 'Line 1', 'vapi-1'), ('+15550100002', 'Line 2', 'vapi-2'),
    ('+15550100003', 'Line 3', 'vapi-3'), ('+15550100004', 'Line 4', 'vapi-4');

-- The leads, and the pool as the demo prints it.
\set amy   '''aaaaaaaa-0000-4000-8000-000000000001'''
\set ben   '''bbbbbbbb-0000-4000-8000-000000000002'''
\set cat   '''cccccccc-0000-4000-8000-000000000003'''
\set dan   '''dddddddd-0000-4000-8000-000000000004'''
\set pool 'SELECT number, assignment_status AS status, CASE left(currently_assigned_to::text, 8) WHEN ''aaaaaaaa'' THEN ''Amy'' WHEN ''bbbbbbbb'' THEN ''Ben'' WHEN ''cccccccc'' THEN ''Cat'' WHEN ''dddddddd'' THEN ''Dan'' WHEN ''07f26a19'' THEN ''Eve'' END AS lead, to_char(release_at, ''Dy Mon DD HH24:MI'') AS release_at, to_char(appointment_scheduled_at, ''Dy Mon DD HH24:MI'') AS appointment, last_call_outcome AS outcome FROM signalwire_phone_numbers ORDER BY number;'

\echo
\echo '=== Scenario 1: no appointment booked ========================================'
\echo 'Sat Oct 18 12:00 - Amy gives her phone: she is assigned a number for 18 hours.'
SELECT assign_phone_to_lead(:amy, '2025-10-18 12:00+00') AS amy_number;
:pool
\echo 'Sun Oct 19 05:59 - the 15-minute release job runs: Amy''s 18 hours are not over.'
SELECT release_expired_phone_numbers('2025-10-19 05:59+00') AS released;
\echo 'Sun Oct 19 06:00 - the job runs again: 18 hours have passed, the number goes back.'
SELECT release_expired_phone_numbers('2025-10-19 06:00+00') AS released;
:pool

\echo
\echo '=== Scenario 2: appointment booked ==========================================='
\echo 'Sat Oct 18 12:00 - Ben gives his phone.'
SELECT assign_phone_to_lead(:ben, '2025-10-18 12:00+00') AS ben_number;
\echo 'Sat Oct 18 13:00 - Barbara books Ben for Mon Oct 20, 2pm: the hold moves to Oct 21, 2pm.'
SELECT extend_phone_for_appointment(:ben, '2025-10-20 14:00+00', '2025-10-18 13:00+00') AS new_release_at;
:pool
\echo 'Sun Oct 19 06:00 - the job runs: the 18-hour hold no longer applies to Ben.'
SELECT release_expired_phone_numbers('2025-10-19 06:00+00') AS released;
\echo 'Tue Oct 21 13:59 - still within 24 hours of the appointment.'
SELECT release_expired_phone_numbers('2025-10-21 13:59+00') AS released;
\echo 'Tue Oct 21 14:00 - 24 hours after the appointment: released.'
SELECT release_expired_phone_numbers('2025-10-21 14:00+00') AS released;
:pool

\echo
\echo '=== Scenario 3: no-show ======================================================'
\echo 'Sat Oct 18 12:00 - Cat books for Mon Oct 20, 2pm (a number is assigned with the booking).'
SELECT extend_phone_for_appointment(:cat, '2025-10-20 14:00+00', '2025-10-18 12:00+00') AS new_release_at;
\echo 'Mon Oct 20 15:00 - Cat did not show; the broker marks "No-Show": 24 hours from now.'
SELECT complete_appointment_for_phone(:cat, 'No-Show', '2025-10-20 15:00+00') AS new_release_at;
:pool
\echo 'Tue Oct 21 15:00 - the follow-up window is over: released.'
SELECT release_expired_phone_numbers('2025-10-21 14:59+00') AS released_at_14_59,
       release_expired_phone_numbers('2025-10-21 15:00+00') AS released_at_15_00;

\echo
\echo '=== Scenario 4: cancellation, then a new booking ============================='
\echo 'Sat Oct 18 12:00 - Dan books for Mon Oct 20, 2pm.'
SELECT extend_phone_for_appointment(:dan, '2025-10-20 14:00+00', '2025-10-18 12:00+00') AS new_release_at;
\echo 'Sun Oct 19 09:00 - Dan cancels: the number is due at once, and the job releases it.'
SELECT complete_appointment_for_phone(:dan, 'canceled', '2025-10-19 09:00+00') AS new_release_at;
SELECT release_expired_phone_numbers('2025-10-19 09:00+00') AS released;
:pool
\echo 'Sun Oct 19 10:00 - Dan books again for Wed Oct 22, 10am: he gets his own number back.'
SELECT extend_phone_for_appointment(:dan, '2025-10-22 10:00+00', '2025-10-19 10:00+00') AS new_release_at;
\echo 'Sun Oct 19 11:00 - and moves it to Thu Oct 23, 9am in one step (no window for the job).'
SELECT reschedule_appointment_for_phone(:dan, '2025-10-23 09:00+00', '2025-10-19 11:00+00') AS new_release_at;
:pool

\echo
\echo '=== The ledger of Dan''s number, and who to route a call to ================'
SELECT to_char(at, 'Dy Mon DD HH24:MI') AS at, event, to_char(new_release_at, 'Dy Mon DD HH24:MI') AS new_release_at,
       to_char(appointment_at, 'Dy Mon DD HH24:MI') AS appointment, outcome
  FROM phone_hold_ledger
 WHERE number = (SELECT number FROM signalwire_phone_numbers WHERE currently_assigned_to = :dan)
 ORDER BY id;
\echo 'A call rings Line 2 on Mon Oct 20 at noon; whose conversation is it?'
SELECT phone_number_holder_at('+15550100002', '2025-10-20 12:00+00') = :ben AS is_ben;

\echo
\echo '=== Inbound calls: VAPI asks which assistant takes each call ================'
SET phone_holds.vapi_assistant_id = '5b0a4c1e-8f7d-4e2a-9c3b-1d2e3f4a5b6c';
\set inbound 'SELECT jsonb_pretty(vapi_assistant_request(jsonb_build_object(''message'', jsonb_build_object(''type'', ''assistant-request'', ''phoneNumber'', jsonb_build_object(''number'', :''called''), ''customer'', jsonb_build_object(''number'', ''+15557770001''))), ''2025-10-22 12:00+00'')) AS answer;'
\echo 'Wed Oct 22 12:00 - a call to Dan''s number: the agent is told whose conversation it is, and when his appointment is.'
SELECT number AS called FROM signalwire_phone_numbers WHERE currently_assigned_to = :dan \gset
:inbound
\echo 'Wed Oct 22 12:00 - a call to the number Cat held until yesterday: her context, flagged as released.'
SELECT number AS called FROM phone_hold_ledger WHERE lead_id = :cat ORDER BY id DESC LIMIT 1 \gset
:inbound

\echo
\echo '=== Calendars: the hold follows a Cal.com booking ==========================='
-- The webhook bodies as Cal.com sends them (examples/calcom/), moved to the demo's week.
\set created `cat examples/calcom/booking-created.json`
\set moved `cat examples/calcom/booking-rescheduled.json`
SELECT replace(:'created', '2025-10-20', '2025-10-24') AS created,
       replace(replace(:'moved', '2025-10-21', '2025-10-25'), '2025-10-20', '2025-10-24') AS moved \gset
\echo 'Wed Oct 22 12:00 - Eve books Fri Oct 24, 6pm UTC on the Cal.com page (the link carried metadata[lead_id]).'
SELECT jsonb_pretty(calcom_webhook(:'created', NULL, '2025-10-22 12:00+00')) AS answer;
\echo 'Wed Oct 22 12:05 - Cal.com delivers the same webhook again: nothing changes.'
SELECT calcom_webhook(:'created', NULL, '2025-10-22 12:05+00') ->> 'reason' AS second_delivery;
\echo 'Wed Oct 22 13:00 - she moves it to Sat Oct 25: the hold moves in one step.'
SELECT r ->> 'action' AS action, r ->> 'releaseAt' AS release_at FROM calcom_webhook(:'moved', NULL, '2025-10-22 13:00+00') AS r;
:pool
\echo 'A secret is set (as a superuser): an unsigned delivery is refused with HTTP 401 and changes nothing.'
SELECT phone_holds_set_webhook_secret('calcom', 'whsec_demo');
SELECT status, response ->> 'error' AS error FROM phone_holds_webhook('calcom_webhook', :'moved', '2025-10-22 14:00+00', NULL);
\echo 'Eve''s number''s history names the booking that moved it.'
SELECT to_char(at, 'Dy Mon DD HH24:MI') AS at, event, source, source_ref, to_char(new_release_at, 'Dy Mon DD HH24:MI') AS new_release_at
  FROM phone_hold_ledger WHERE lead_id = '07f26a19-e9dc-422c-b61d-030e3c7971bb' ORDER BY id;

\echo
\echo '=== Local presence: a number from the lead''s own area code ================='
INSERT INTO signalwire_phone_numbers (number, name) VALUES
    ('+14155550101', 'San Francisco 1'), ('+14155550102', 'San Francisco 2'), ('+12125550101', 'New York 1');
\echo 'Wed Oct 22 14:00 - Fay, calling from San Francisco, gives her phone: she gets a 415 number.'
SELECT assign_phone_to_lead('fafafafa-0000-4000-8000-000000000006', '2025-10-22 14:00+00', '+1 (415) 555-7000') AS fay_number;
\echo 'Wed Oct 22 14:05 - carriers label the other San Francisco number "Spam Likely": the broker retires it.'
SELECT retire_phone_number('+14155550102', 'Spam Likely on carriers', '2025-10-22 14:05+00') AS retired;
\echo 'Wed Oct 22 14:10 - Gus, also in San Francisco: no 415 or other California number is left, so any number.'
SELECT assign_phone_to_lead('9a9a9a9a-0000-4000-8000-000000000007', '2025-10-22 14:10+00', '+14155557001') AS gus_number;
SELECT to_char(at, 'Dy Mon DD HH24:MI') AS at, event, number, geo_tier, lead_phone, reason
  FROM phone_hold_ledger WHERE at >= '2025-10-22 14:00+00' ORDER BY id;
\echo 'The pool by state: where numbers are about to run out.'
SELECT region, region_name, available, resting, assigned, retired FROM phone_pool_by_region('2025-10-22 14:10+00');

\echo
\echo '=== Monitoring: the pool over time, and change events ======================'
\echo 'The pool day by day (what the Grafana dashboard draws): held, free and held for an appointment at each day''s end, and the day''s changes.'
SELECT to_char(time, 'Dy Mon DD') AS day, held, free, held_for_appointment, assignments, extensions, completions, releases
  FROM phone_pool_history('2025-10-18 00:00+00', '2025-10-23 00:00+00', '1 day');
\echo 'This session now LISTENs on channel phone_holds, as n8n''s Postgres Trigger does: Fay books, and the event arrives when the change commits.'
LISTEN phone_holds;
SELECT extend_phone_for_appointment('fafafafa-0000-4000-8000-000000000006', '2025-10-24 16:00+00', '2025-10-22 15:00+00') AS fay_release_at;
UNLISTEN phone_holds;
