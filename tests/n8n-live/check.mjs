// What the shipped workflows answer in a real n8n, and what they do to the rows
// (tests/n8n-live/run.sh starts everything). Modes:
//   no-credential <base>  the workflows as imported, with no credential in n8n
//   linked <base>         the credential imported: happy paths, refused input, database problems
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createHmac } from 'node:crypto';
import assert from 'node:assert/strict';

const [mode, base] = process.argv.slice(2);
const root = new URL('../../', import.meta.url);
const example = (name, dir = 'vapi') => readFileSync(new URL(`examples/${dir}/${name}`, root), 'utf8');

const LEAD = '07f26a19-e9dc-422c-b61d-030e3c7971bb';
const BEN = 'bbbbbbbb-0000-4000-8000-000000000002';
const RETRY = "I couldn't reach the booking system just now, so nothing was changed; please try again in a moment.";

// psql as the superuser, over the cluster's socket (PGHOST and PGPORT from run.sh), in the
// pool's database or in n8n's own.
const sql = (query, database = 'postgres') =>
  execFileSync('psql', ['-XAtq', '-v', 'ON_ERROR_STOP=1', '-d', database, '-c', query], { encoding: 'utf8' }).trim();

let checks = 0;
async function post(path, body, contentType = 'application/json', headers = {}) {
  const res = await fetch(`${base}/webhook/${path}`, {
    method: 'POST',
    headers: { 'content-type': contentType, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json };
}

// One check: POST, then compare the status and let `expect` look at the body.
async function check(what, path, body, status, expect = () => {}, contentType, headers) {
  const got = await post(path, body, contentType, headers);
  try {
    assert.equal(got.status, status, 'HTTP status');
    assert.ok(got.json !== undefined, 'a JSON body');
    expect(got.json);
  } catch (e) {
    console.error(`FAILED: ${what}\n  answered ${got.status}: ${got.text.slice(0, 600)}`);
    throw e;
  }
  checks += 1;
  console.log(`ok ${what}: ${got.status} ${got.text.slice(0, 160)}`);
  return got.json;
}

const isError = (sqlstate, says) => (body) => {
  assert.equal(body.sqlstate, sqlstate, 'sqlstate');
  assert.ok(typeof body.error === 'string' && body.error.includes(says), `error mentions ${says}`);
};

// The example booking, moved to three days from today (the workflow books at now()).
const day = new Date(Date.now() + 3 * 86400e3).toISOString().slice(0, 10);
const booking = example('tool-calls-book.json').replaceAll('2025-10-20', day);
// The calendar examples, moved the same way; each as the calendar sends it (pretty-printed:
// a signature over re-serialised JSON would not match).
const CAL_LEAD = 'cccccccc-0000-4000-8000-000000000003';
const calcom = example('booking-created.json', 'calcom').replaceAll('2025-10-20', day).replaceAll(LEAD, CAL_LEAD);
const calendly = example('invitee-created.json', 'calendly').replaceAll('2025-10-20', day).replaceAll(LEAD, BEN);
const SECRET = 'whsec_live_test';
const hmac = (text) => createHmac('sha256', SECRET).update(text).digest('hex');
const calendlySignature = (body, t = Math.floor(Date.now() / 1000)) => `t=${t},v1=${hmac(`${t}.${body}`)}`;

if (mode === 'no-credential') {
  const missing = isError(null, 'credential');
  await check('outcome, no credential: an error, not an empty 200', 'appointment-outcome', { lead_id: LEAD, outcome: 'showed' }, 500, missing);
  await check('end of call, no credential', 'vapi-call-ended', { callId: 'c1', leadId: LEAD, outcome: 'no_answer' }, 500, missing);
  await check('inbound call, no credential', 'vapi-inbound-call', example('assistant-request-held.json'), 500, missing);
  await check('Cal.com booking, no credential', 'calcom-booking', calcom, 500, missing);
  await check('tool calls, no credential: a sentence per call for the agent', 'vapi-appointment-booked', booking, 200, (b) =>
    assert.deepEqual(b, { results: [{ toolCallId: 'call_book_07f26a19', error: RETRY }] }));
  assert.equal(sql('SELECT count(*) FROM signalwire_phone_numbers WHERE assignment_status = $$assigned$$'), '0');
}

if (mode === 'linked') {
  // Imported twice: still one workflow per webhook, and the change-events workflow.
  assert.equal(sql('SELECT count(*) FROM workflow_entity', 'n8n'), '8');
  // Happy paths, answered exactly as before 0.5.0.
  await check('booking', 'vapi-appointment-booked', booking, 200, (b) => {
    assert.deepEqual(Object.keys(b), ['results']);
    assert.equal(b.results.length, 1);
    assert.equal(b.results[0].toolCallId, 'call_book_07f26a19');
    assert.match(b.results[0].result, new RegExp(`^Booked for ${day} 18:00 UTC\\. The lead keeps the phone number \\+1555000000\\d until `));
  });
  assert.equal(sql(`SELECT appointment_scheduled_at AT TIME ZONE 'UTC' FROM signalwire_phone_numbers WHERE currently_assigned_to = '${LEAD}'`), `${day} 18:00:00`);

  // The lead calls its number back, from the phone the booking call dialed (run.sh set the
  // assistant on the workflow's role, as README says).
  await check('an inbound call reaches the lead that holds the number', 'vapi-inbound-call', example('assistant-request-held.json'), 200, (b) => {
    assert.equal(b.assistantId, process.env.LIVE_ASSISTANT);
    assert.deepEqual(b.assistantOverrides.metadata, { lead_id: LEAD });
    const v = b.assistantOverrides.variableValues;
    assert.equal(v.number_status, 'held');
    assert.equal(v.appointment_time, `${day}T18:00:00Z`);
    assert.equal(v.caller_check, 'matches');
  });
  await check('an inbound call to a number not in the pool: an error VAPI speaks', 'vapi-inbound-call', example('assistant-request-unknown.json'), 200,
    (b) => assert.deepEqual(Object.keys(b), ['error']));
  await check('an inbound body that is not a VAPI message', 'vapi-inbound-call', { number: '+15550000001' }, 400, isError('22023', 'not a VAPI server message'));

  // Its 2025 times are refused as past now: what matters is one answer per call, in order.
  await check('a batch keeps request order', 'vapi-appointment-booked', example('tool-calls-batch.json'), 200, (b) =>
    assert.deepEqual(b.results.map((r) => r.toolCallId), ['call_book_ben', 'call_no_zone', 'call_move_amy', 'call_cancel_cat', 'call_weather']));

  const laden = `${LEAD}, "x', 'y"`;
  await check('a comma/quote-laden argument stays one value', 'vapi-appointment-booked',
    { message: { type: 'tool-calls', toolCallList: [{ id: 'call_laden', function: { name: 'cancel_appointment', arguments: { lead_id: laden } } }] } },
    200, (b) => {
      assert.equal(b.results.length, 1);
      assert.ok(b.results[0].result.includes('is not a UUID') && b.results[0].result.includes("'x', 'y'"), b.results[0].result);
    });

  await check('end of call books', 'vapi-call-ended',
    { callId: 'call_live_1', leadId: BEN, outcome: 'appointment_booked', appointmentTime: `${day}T15:00:00Z` }, 200, (b) => {
      assert.equal(b.action, 'booked');
      assert.equal(b.appointmentTime, `${day}T15:00:00Z`);
    });
  assert.equal(sql(`SELECT count(*) FROM signalwire_phone_numbers WHERE currently_assigned_to = '${BEN}'`), '1');

  await check('outcome showed', 'appointment-outcome', { lead_id: LEAD, outcome: 'showed' }, 200, (b) => {
    assert.deepEqual(Object.keys(b), ['release_at']);
    assert.match(b.release_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const hours = (Date.parse(b.release_at) - Date.now()) / 3600e3;
    assert.ok(hours > 23.9 && hours <= 24, `release_at is 24 h from now, got ${hours} h`);
  });
  const row = () => sql(`SELECT last_call_outcome || ' ' || release_at FROM signalwire_phone_numbers WHERE currently_assigned_to = '${LEAD}'`);
  const afterShowed = row();
  assert.ok(afterShowed.startsWith('showed '), afterShowed);

  // Refused input: 4xx with the SQLSTATE, nothing changed.
  await check('unknown outcome', 'appointment-outcome', { lead_id: LEAD, outcome: 'late' }, 400, (b) => {
    isError('22023', 'unknown appointment outcome "late"')(b);
    assert.ok(b.hint.startsWith('Accepted outcomes:'), b.hint);
  });
  await check('an outcome with a comma and quotes is one value', 'appointment-outcome', { lead_id: LEAD, outcome: 'no_show, "late"' }, 400,
    isError('22023', 'unknown appointment outcome "no_show, \\"late\\""'));
  await check('a lead id that is not a UUID', 'appointment-outcome', { lead_id: 'not-a-uuid', outcome: 'showed' }, 400,
    isError('22P02', 'invalid input syntax for type uuid'));
  await check('no lead id', 'appointment-outcome', { outcome: 'showed' }, 400, isError('22004', 'lead_id must not be NULL'));
  await check('a body that is not JSON', 'appointment-outcome', 'lead_id=1&outcome=showed', 400, (b) => assert.match(b.sqlstate, /^22/),
    'application/x-www-form-urlencoded');
  await check('an injection attempt is one value', 'appointment-outcome',
    { lead_id: LEAD, outcome: "showed'); DROP TABLE signalwire_phone_numbers; --" }, 400, isError('22023', 'unknown appointment outcome'));
  assert.equal(row(), afterShowed, 'refused outcomes changed nothing');

  await check('a body that is not a tool-calls message', 'vapi-appointment-booked', { message: { type: 'status-update' } }, 400,
    isError('22023', 'expected a VAPI message of type "tool-calls"'));
  const many = { message: { type: 'tool-calls', toolCallList: Array.from({ length: 51 }, (_, i) => ({ id: `call_${i}`, function: { name: 'cancel_appointment', arguments: { lead_id: LEAD } } })) } };
  await check('51 tool calls: refused whole, a sentence per call', 'vapi-appointment-booked', many, 200, (b) => {
    assert.equal(b.results.length, 51);
    assert.equal(b.results[50].toolCallId, 'call_50');
    assert.match(b.results[0].error, /^I couldn't do that: the tool-calls message has 51 tool calls.*nothing was changed\.$/);
  });
  assert.equal(row(), afterShowed, 'the refused batch cancelled nothing');
  await check('an end-of-call body that is not a report', 'vapi-call-ended', [], 400, (b) => assert.equal(b.sqlstate, '22023'));

  // Calendars: the raw body reaches the database as sent, with its signature header.
  await check('Cal.com booking, no secret set: booked, unverified', 'calcom-booking', calcom, 200, (b) => {
    assert.equal(b.action, 'booked');
    assert.equal(b.leadId, CAL_LEAD);
    assert.equal(b.verified, false);
  });
  sql(`SELECT phone_holds_set_webhook_secret('calcom', '${SECRET}'), phone_holds_set_webhook_secret('calendly', '${SECRET}')`);
  const calHold = () => sql(`SELECT release_at FROM signalwire_phone_numbers WHERE currently_assigned_to = '${CAL_LEAD}'`);
  const heldUntil = calHold();
  const cancel = example('booking-cancelled-request-reschedule.json', 'calcom').replaceAll('2025-10-20', day).replaceAll(LEAD, CAL_LEAD)
    .replace('"requestReschedule": true', '"requestReschedule": false');
  await check('Cal.com cancel, unsigned: 401, nothing changed', 'calcom-booking', cancel, 401, isError('28000', 'no X-Cal-Signature-256 header'));
  await check('Cal.com cancel, wrongly signed: 401', 'calcom-booking', cancel, 401, isError('28000', 'is not the HMAC-SHA256'),
    undefined, { 'X-Cal-Signature-256': hmac(JSON.stringify(JSON.parse(cancel))) });
  assert.equal(calHold(), heldUntil, 'the refused cancels changed nothing');
  await check('Cal.com cancel, signed over the raw body: cancelled', 'calcom-booking', cancel, 200, (b) => {
    assert.equal(b.action, 'cancelled');
    assert.equal(b.verified, true);
  }, undefined, { 'X-Cal-Signature-256': hmac(cancel) });
  await check('Calendly booking, a stale signature: 401', 'calendly-booking', calendly, 401, isError('28000', 'calendly_signature_tolerance'),
    undefined, { 'Calendly-Webhook-Signature': calendlySignature(calendly, Math.floor(Date.now() / 1000) - 600) });
  await check('Calendly booking, signed: booked', 'calendly-booking', calendly, 200, (b) => {
    assert.equal(b.action, 'booked');
    assert.equal(b.leadId, BEN);
    assert.equal(b.verified, true);
  }, undefined, { 'Calendly-Webhook-Signature': calendlySignature(calendly) });
  assert.equal(sql(`SELECT string_agg(source || ' ' || source_ref, ', ' ORDER BY id) FROM phone_hold_ledger WHERE source <> 'sql' AND source <> 'vapi'`),
    // Cal.com: assigned, extended, completed; Calendly: extended (Ben held a number already).
    'calcom bk_7Qm2fT9x, calcom bk_7Qm2fT9x, calcom bk_7Qm2fT9x, calendly https://api.calendly.com/scheduled_events/EVT-1/invitees/INV-1');

  // A whole VAPI call's messages at the one server URL, as VAPI posts them (raw, pretty-printed):
  // the informational ones answered {} and changing nothing, the tool call and the report acted on.
  const URL_LEAD = 'dddddddd-0000-4000-8000-000000000004';
  const urlBooking = booking.replaceAll(LEAD, URL_LEAD).replace('call_book_07f26a19', 'call_book_url');
  const urlReport = example('end-of-call-report-booked.json').replaceAll('07f26a19-e9dc-422c-b61d-030e3c7971bb', URL_LEAD).replaceAll('2025-10-20', day);
  const ledgerRows = () => sql('SELECT count(*) FROM phone_hold_ledger');
  const rowsBefore = ledgerRows();
  for (const name of ['status-update.json', 'speech-update.json', 'conversation-update.json', 'transcript.json', 'user-interrupted.json', 'model-output.json']) {
    await check(`one VAPI URL: ${name} is answered {}`, 'vapi', example(name), 200, (b) => assert.deepEqual(b, {}));
  }
  await check('one VAPI URL: a message type VAPI adds later is answered {}', 'vapi', { message: { type: 'a-new-type' } }, 200, (b) => assert.deepEqual(b, {}));
  assert.equal(ledgerRows(), rowsBefore, 'the informational messages changed nothing');
  await check('one VAPI URL: the tool call books', 'vapi', urlBooking, 200, (b) => {
    assert.equal(b.results[0].toolCallId, 'call_book_url');
    assert.match(b.results[0].result, new RegExp(`^Booked for ${day} 18:00 UTC\\.`));
  });
  await check('one VAPI URL: a status update mid-call', 'vapi', example('status-update.json'), 200, (b) => assert.deepEqual(b, {}));
  await check('one VAPI URL: the end-of-call report', 'vapi', urlReport, 200, (b) => {
    assert.equal(b.action, 'booked');
    assert.equal(b.leadId, URL_LEAD);
  });
  await check('one VAPI URL: the call hangs up', 'vapi', example('hang.json'), 200, (b) => assert.deepEqual(b, {}));
  await check('the call-ended URL answers a status update too', 'vapi-call-ended', example('status-update.json'), 200, (b) => assert.equal(b.action, 'none'));
  assert.equal(sql(`SELECT appointment_scheduled_at AT TIME ZONE 'UTC' FROM signalwire_phone_numbers WHERE currently_assigned_to = '${URL_LEAD}'`), `${day} 18:00:00`);
  assert.equal(sql(`SELECT count(*) FROM phone_hold_appointments WHERE lead_id = '${URL_LEAD}' AND status = 'booked'`), '2', 'both appointments kept');

  // VAPI authenticated: with a secret set, no credential is a 401 and changes nothing.
  sql("SELECT phone_holds_set_webhook_secret('vapi', 'vapi_live_secret')");
  const urlHold = () => sql(`SELECT release_at FROM signalwire_phone_numbers WHERE currently_assigned_to = '${URL_LEAD}'`);
  const urlHeld = urlHold();
  const cancelUrl = { message: { type: 'tool-calls', toolCallList: [{ id: 'call_cancel_url', function: { name: 'cancel_appointment', arguments: { lead_id: URL_LEAD } } }] } };
  await check('one VAPI URL, no credential: 401', 'vapi', cancelUrl, 401, isError('28000', 'no X-Vapi-Secret, Authorization or X-Signature header'));
  await check('tool-calls URL, a wrong secret: 401', 'vapi-appointment-booked', cancelUrl, 401, isError('28000', 'is not the VAPI secret'),
    undefined, { 'X-Vapi-Secret': 'guess' });
  await check('inbound URL, no credential: 401', 'vapi-inbound-call', example('assistant-request-held.json'), 401, isError('28000', 'VAPI webhook refused'));
  assert.equal(urlHold(), urlHeld, 'the refused requests changed nothing');
  await check('one VAPI URL, X-Vapi-Secret: 200', 'vapi', example('status-update.json'), 200, (b) => assert.deepEqual(b, {}),
    undefined, { 'X-Vapi-Secret': 'vapi_live_secret' });
  const t = String(Math.floor(Date.now() / 1000));
  const urlStatus = example('speech-update.json');
  const signature = createHmac('sha256', 'vapi_live_secret').update(`${t}.${urlStatus}`).digest('hex');
  await check('one VAPI URL, an HMAC credential over the raw body: 200', 'vapi', urlStatus, 200, (b) => assert.deepEqual(b, {}),
    undefined, { 'X-Signature': signature, 'X-Timestamp': t });
  await check('one VAPI URL, Bearer: the cancel goes through', 'vapi', cancelUrl, 200, (b) => assert.match(b.results[0].result, /ancel/),
    undefined, { Authorization: 'Bearer vapi_live_secret' });
  sql("SELECT phone_holds_set_webhook_secret('vapi', NULL)");

  // The database refuses the workflow's role: n8n's error output answers, with n8n's message.
  sql('REVOKE EXECUTE ON FUNCTION phone_holds_webhook(text, text, timestamptz), phone_holds_webhook(text, text, timestamptz, text) FROM service_role');
  await check('no EXECUTE on phone_holds_webhook', 'appointment-outcome', { lead_id: LEAD, outcome: 'showed' }, 500,
    isError(null, 'permission denied for function phone_holds_webhook'));
  await check('no EXECUTE, tool calls: a sentence per call', 'vapi-appointment-booked', booking, 200, (b) =>
    assert.deepEqual(b, { results: [{ toolCallId: 'call_book_07f26a19', error: RETRY }] }));
  sql('GRANT EXECUTE ON FUNCTION phone_holds_webhook(text, text, timestamptz), phone_holds_webhook(text, text, timestamptz, text) TO service_role');

  sql("ALTER ROLE service_role PASSWORD 'not-the-credential-s'");
  sql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = 'service_role'");
  await check('a wrong password', 'vapi-call-ended', { callId: 'c2', leadId: LEAD, outcome: 'no_answer' }, 500,
    isError(null, 'password authentication failed'));
  sql(`ALTER ROLE service_role PASSWORD '${process.env.LIVE_PASSWORD}'`);
  await check('the right password again', 'vapi-call-ended', { callId: 'c3', leadId: LEAD, outcome: 'no_answer' }, 200,
    (b) => assert.equal(b.action, 'none'));
}

// The line scripts/test.sh adds up, naming the n8n version the checks ran in (run.sh sets it):
// `n8n-live linked-2.41.1: 52 passed, 0 failed`.
const version = process.env.LIVE_N8N_VERSION;
console.log(`n8n-live ${mode}${version ? `-${version}` : ''}: ${checks} passed, 0 failed`);
