-- phone_holds finalize: privileges and the documentation psql's \df+ shows.

-- Nobody calls these by default. Grant EXECUTE to the roles that should (README: Privileges);
-- being SECURITY INVOKER, they also need the table privileges listed there. Revoked from
-- PUBLIC and from every role the schema's default privileges granted them to as they were
-- created (Supabase grants every new function in public to anon, authenticated and
-- service_role): a role may call them only once it has been granted to.
DO $revoke$
DECLARE
    fn record;
BEGIN
    FOR fn IN
        SELECT d.objid::regprocedure AS routine,
               (SELECT pg_catalog.array_agg(DISTINCT pg_catalog.quote_ident(r.rolname))
                  FROM pg_catalog.aclexplode(p.proacl) AS a
                  JOIN pg_catalog.pg_roles AS r ON r.oid = a.grantee
                 WHERE a.grantee <> p.proowner) AS grantees
          FROM pg_depend AS d
          JOIN pg_proc AS p ON p.oid = d.objid
         WHERE d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
           AND d.refclassid = 'pg_extension'::regclass
           AND d.refobjid = (SELECT e.oid FROM pg_extension AS e WHERE e.extname = 'phone_holds')
    LOOP
        EXECUTE format('REVOKE ALL ON ROUTINE %s FROM PUBLIC', fn.routine);
        IF fn.grantees IS NOT NULL THEN
            EXECUTE format('REVOKE ALL ON ROUTINE %s FROM %s', fn.routine, array_to_string(fn.grantees, ', '));
        END IF;
    END LOOP;
END
$revoke$;

-- Helpers that read nothing of the user's, which the functions granted to a caller call.
GRANT EXECUTE ON FUNCTION public.phone_holds_area_codes(), public.phone_holds_area_codes_source(),
                          public.phone_holds_area_code(text), public.phone_holds_number_problem(text),
                          public.phone_holds_min_rest(), public.phone_holds_rotation_ready(),
                          public.phone_holds_number_unknown(text), public.phone_holds_exposed(),
                          public.phone_holds_require_writable(text) TO PUBLIC;

COMMENT ON FUNCTION public.assign_phone_to_lead(uuid, timestamptz, text) IS
    'The lead''s phone number. A lead that holds one keeps it, its hold becoming greatest(release_at, as_of + phone_holds.initial_hold); otherwise it gets its previous number if free, else, when lead_phone is given (E.164; NULL or blank: not known; anything else 22023), a number of its area code, else of its state or province (phone_holds.geo_match), else any: within a tier the number in rotation released longest ago, and at least phone_holds.min_rest ago; held until as_of + initial_hold. The phone and the tier go in the ledger. Empty pool: SQLSTATE 53000.';

COMMENT ON FUNCTION public.retire_phone_number(text, text, timestamptz) IS
    'Takes a number out of rotation with a reason (1 to 500 characters), recorded on the number and in the ledger: it is never handed to a lead again until restore_phone_number(). A number a lead holds stays with that lead until its hold ends and leaves rotation at its release. true when retired, false (with a NOTICE) when it already was; P0002 for a number the pool does not list.';

COMMENT ON FUNCTION public.restore_phone_number(text, timestamptz) IS
    'Puts a retired number back in rotation, recorded in the ledger. true when restored, false (with a NOTICE) when it was not retired; P0002 for a number the pool does not list.';

COMMENT ON FUNCTION public.phone_pool_by_area_code(timestamptz) IS
    'The pool by area code, fewest available first: area code (NULL for numbers outside the NANP or not E.164), region and its name, available (free, in rotation), resting (released less than phone_holds.min_rest before as_of), assigned, retired.';

COMMENT ON FUNCTION public.phone_pool_history(timestamptz, timestamptz, interval) IS
    'The pool over time, one row per bucket of step (aligned on multiples of step) from from_time to to_time: time (the bucket''s start), held, free (in rotation) and held_for_appointment at the bucket''s end, and the assignments, extensions (extended, rescheduled), completions and releases within it. The pool now, taken back through the ledger; at most 10000 buckets, within the years 1 to 9999 (22023).';

COMMENT ON FUNCTION public.phone_release_runs(timestamptz, timestamptz) IS
    'The release job''s runs that started from from_time to to_time, from pg_cron''s cron.job_run_details (time, finished_at, status) with how many numbers each released (ledger); a run that never connected shows at its end, failed, 0; one a failover, crash or restart cut off is interrupted. The job is the one schedule_phone_release() makes, of a role that may release; without pg_cron, each release call the ledger shows. SECURITY DEFINER, so a monitoring role sees the job''s runs.';

COMMENT ON FUNCTION public.phone_holds_exposed() IS
    'The extension''s functions (but the helpers every role may run) and phone_holds'' tables and views that PUBLIC, anon or authenticated (Supabase''s roles for the public key and signed-in users) can reach: one row per role and object, none when all is private. phone_holds_check() reports them, phone_holds_setup() warns.';

COMMENT ON FUNCTION public.phone_holds_require_writable(text) IS
    'phone_holds internal: nothing when this transaction may write; 25006 naming the function when it may not (a hot standby, a READ ONLY transaction). The SQL-language functions that write call it first.';

COMMENT ON FUNCTION public.phone_holds_make_private(regclass) IS
    'phone_holds internal: revokes every privilege on a table (and the sequences it owns) from PUBLIC and every role but its owner, as CREATE EXTENSION and phone_holds_setup() do for the tables they create; returns the roles revoked from.';

COMMENT ON FUNCTION public.phone_pool_by_region(timestamptz) IS
    'phone_pool_by_area_code() summed by state, province or country, fewest available first, with how many area codes each has in the pool.';

COMMENT ON FUNCTION public.phone_holds_area_codes() IS
    'The NANP area codes and the region each serves (US-CA, CA-ON, PR) with its name, generated from libphonenumber''s data by scripts/nanp_regions.py; phone_holds_area_codes_source() says which release.';

COMMENT ON FUNCTION public.phone_holds_area_code(text) IS
    'The area code of a number as the pool stores it (+14155550101: 415); NULL outside the NANP or when not stored in E.164.';

COMMENT ON FUNCTION public.phone_holds_number_problem(text) IS
    'Why a number as the pool stores it can never match a lead''s area code or call a lead (not E.164, a country calling code nobody was assigned, or +1 but not North American), or NULL: what phone_holds_setup() warns about and phone_holds_check() reports.';

COMMENT ON FUNCTION public.phone_holds_area_codes_source() IS
    'The phonenumbers release phone_holds_area_codes() was generated from, and when.';

COMMENT ON FUNCTION public.extend_phone_for_appointment(uuid, timestamptz, timestamptz, text) IS
    'Holds the lead''s number until greatest(release_at, appointment_time + phone_holds.follow_up_window) and records the latest appointment; assigns a number first if the lead holds none (near lead_phone when given, as assign_phone_to_lead does). Returns the new release_at. Refuses (22008) an appointment whose follow-up window is over or beyond phone_holds.booking_horizon.';

COMMENT ON FUNCTION public.extend_phone_for_appointment(uuid, timestamp, timestamptz, text) IS
    'The seed''s call form with a timestamp without time zone: the value is read as UTC (what ''...Z''::TIMESTAMP meant before PostgreSQL dropped the Z). Otherwise as extend_phone_for_appointment(uuid, timestamptz, timestamptz, text).';

COMMENT ON FUNCTION public.complete_appointment_for_phone(uuid, text, timestamptz) IS
    'Records an appointment outcome. showed/no_show: release_at = as_of + phone_holds.follow_up_window, appointment kept. cancelled/rescheduled: release_at = as_of, appointment cleared. Case, -/space for _ and "canceled" are accepted; anything else is 22023. A lead holding no number: NULL and a NOTICE, nothing changed.';

COMMENT ON FUNCTION public.reschedule_appointment_for_phone(uuid, timestamptz, timestamptz, text) IS
    'Cancels the lead''s appointment and books new_time in one step, so the release job cannot take the number in between. Returns the new release_at (new_time + follow-up window). lead_phone as for extend_phone_for_appointment.';

COMMENT ON FUNCTION public.release_expired_phone_numbers(timestamptz) IS
    'Returns to the pool every assigned number whose release_at <= as_of and whose appointment is neither in the future nor within the follow-up window; returns how many. One statement; concurrent runs release each number once.';

COMMENT ON FUNCTION public.release_expired_phone_numbers_batch(timestamptz) IS
    'One batch of the release: returns at most phone_holds.release_batch due numbers to the pool, oldest hold first; returns how many. Commit between calls until it returns 0 to drain a backlog, as drain_expired_phone_numbers() does.';

COMMENT ON FUNCTION public.vapi_tool_calls(text, timestamptz) IS
    'Answers a VAPI tool-calls message (book_appointment, cancel_appointment, reschedule_appointment) with {"results": [{"toolCallId", "result"}]}. At most 50 tool calls and 4 MiB of body (22023 beyond, nothing changed). Takes the body as text, so bodies jsonb cannot hold (\u0000) are read too.';

COMMENT ON FUNCTION public.vapi_tool_calls(jsonb, timestamptz) IS
    'vapi_tool_calls(text, timestamptz) for a body already held as jsonb.';

COMMENT ON FUNCTION public.vapi_end_of_call(text, timestamptz) IS
    'Acts on a VAPI end-of-call-report (or {"callId", "leadId", "outcome", "appointmentTime"}): books, reschedules, cancels or does nothing, and says which. At most 4 MiB of body (22023 beyond). Takes the body as text, so bodies jsonb cannot hold (\u0000) are read too.';

COMMENT ON FUNCTION public.vapi_end_of_call(jsonb, timestamptz) IS
    'vapi_end_of_call(text, timestamptz) for a body already held as jsonb.';

COMMENT ON FUNCTION public.vapi_assistant_request(text, timestamptz, text) IS
    'Answers a VAPI assistant-request (an inbound call) with {"assistantId", "assistantOverrides": {"variableValues", "metadata": {"lead_id"}}}: the lead who holds the called number, or released it within phone_holds.callback_window (number_released: true), or no lead. A number not in the pool or another message: {"error"}, which VAPI speaks before hanging up. Assistant: the assistant_id argument, else phone_holds.vapi_assistant_id (55000 when neither). Reads only; not JSON or not a VAPI message: 22023.';

COMMENT ON FUNCTION public.vapi_assistant_request(jsonb, timestamptz, text) IS
    'vapi_assistant_request(text, timestamptz, text) for a body already held as jsonb.';

COMMENT ON FUNCTION public.vapi_webhook(text, timestamptz) IS
    'Answers any VAPI server message by its message.type, for one server URL: tool-calls as vapi_tool_calls(), end-of-call-report as vapi_end_of_call(), assistant-request as vapi_assistant_request() (phone_holds.vapi_assistant_id), the legacy function-call with {"result"} saying to use tools, and every other type (status-update, speech-update, conversation-update, transcript, hang, …) with {}, reading only the type and changing nothing. Not a VAPI message: 22023.';

COMMENT ON FUNCTION public.phone_number_holder_at(text, timestamptz) IS
    'The lead that held the number at that moment according to public.phone_hold_ledger, or NULL if it was in the pool (or before the ledger began).';

COMMENT ON FUNCTION public.phone_holds_webhook(text, text, timestamptz, text) IS
    'One webhook call as an HTTP answer (status, response), for n8n: vapi (every VAPI message), vapi_tool_calls, vapi_end_of_call, vapi_assistant_request (signature: the request''s headers as a JSON object, checked against the VAPI secret when one is set), calcom_webhook, calendly_webhook (with the signature header) or complete_appointment_for_phone ({"lead_id", "outcome"}) on the body. 200 and the result; on an error, nothing changed and the answer of phone_holds_webhook_failure(): 400 for refused input (SQLSTATE class 22), 401 for a refused signature (28000), 503 to retry, 500 otherwise, with {"error", "sqlstate"}; tool calls with readable ids get 200 and {"results": [{"toolCallId", "error"}]}.';

COMMENT ON FUNCTION public.phone_holds_webhook(text, text, timestamptz) IS
    'phone_holds_webhook(webhook, payload, as_of, signature) with no signature: the form the workflows before 0.7.0 call.';

COMMENT ON FUNCTION public.calcom_webhook(text, text, timestamptz) IS
    'Acts on a Cal.com webhook (the raw body, its X-Cal-Signature-256 header): BOOKING_CREATED, BOOKING_REQUESTED, BOOKING_PAYMENT_INITIATED and BOOKING_PAID book (a lead named by none of them is the booking''s earlier one), BOOKING_RESCHEDULED moves the appointment, BOOKING_CANCELLED and BOOKING_REJECTED cancel (requestReschedule keeps the hold), no-shows record no_show (taken back: showed); MEETING_STARTED/MEETING_ENDED, clock events, record no outcome. Returns {"event", "booking", "leadId", "action", "number", "appointmentTime", "releaseAt", "reason", "verified"}. A repeated or older event changes nothing. With a secret set, a missing or wrong signature is 28000.';

COMMENT ON FUNCTION public.calendly_webhook(text, text, timestamptz) IS
    'Acts on a Calendly webhook (the raw body, its Calendly-Webhook-Signature header): invitee.created books (with old_invitee: moves the appointment), invitee.canceled cancels (rescheduled: no change), invitee_no_show.created/deleted record no_show/showed. Returns as calcom_webhook(). A repeated or older event changes nothing. With a secret set, a missing, wrong or stale (phone_holds.calendly_signature_tolerance) signature is 28000.';

COMMENT ON FUNCTION public.phone_holds_verify_signature(text, text, text, timestamptz) IS
    'Whether a webhook body carries a good signature: true when verified with the secret of its source (calcom, calendly; vapi: signature is the request''s headers as a JSON object, with X-Vapi-Secret, a Bearer token or an HMAC X-Signature of "X-Timestamp.body"), false when no secret is set; 28000 when a secret is set and the signature is missing, wrong or stale. SECURITY DEFINER: it reads public.phone_holds_webhook_secrets, which the caller cannot.';

COMMENT ON FUNCTION public.phone_holds_set_webhook_secret(text, text) IS
    'Sets (NULL: clears) the secret a calendar (calcom, calendly) signs its webhooks with, or VAPI''s server credential sends (vapi), without the whitespace around it (a pasted newline); one that is blank is 22023. Only a role that may write public.phone_holds_webhook_secrets (its owner, a superuser) can.';

COMMENT ON FUNCTION public.phone_holds_webhook_failure(text, text, text, text, text) IS
    'The answer phone_holds_webhook() gives for a call that failed with the given SQLSTATE, message and hint: {"status", "body"}. Reads and writes nothing.';
