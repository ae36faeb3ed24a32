-- phone_holds 0.11.0 → 0.12.0
--
-- VAPI's webhooks are authenticated, and one VAPI server URL takes every message type (README:
-- VAPI). No table the user owns, and no row, is touched.
--
-- 1. VAPI authenticated (README: VAPI): the secrets table takes a 'vapi' secret, which
--    phone_holds_set_webhook_secret('vapi', …) sets; with one set, phone_holds_webhook()
--    refuses (28000, HTTP 401) a VAPI request without VAPI's server credential. Until a secret
--    is set, VAPI requests are accepted as before.
-- 2. New: vapi_webhook(), one server URL for every VAPI message, and the webhook name 'vapi';
--    granted to the roles that may answer VAPI's tool calls.
-- 3. Lead phones and pool numbers with an unassigned country calling code are refused (22023)
--    and reported (phone_holds_number_problem(), in the library; its comment below).
-- 4. phone_holds_set_webhook_secret() trims the vertical tab, not the letter v: since 0.10.0 a
--    secret that began or ended with a v was stored without it, so every delivery signed with
--    it was refused. Such a stored secret cannot be told from a right one: set it again.
-- 5. calcom_webhook()'s comment: paid, requested and rejected bookings, and the meeting clock
--    events (the code is in the library).

ALTER TABLE public.phone_holds_webhook_secrets
    DROP CONSTRAINT phone_holds_webhook_secrets_source_check,
    ADD CONSTRAINT phone_holds_webhook_secrets_source_check CHECK (source IN ('calcom', 'calendly', 'vapi'));
COMMENT ON TABLE public.phone_holds_webhook_secrets IS
    'phone_holds: the Cal.com, Calendly and VAPI webhook secrets; readable by its owner only. Set with phone_holds_set_webhook_secret().';

CREATE FUNCTION "vapi_webhook"(
	"payload" TEXT,
	"as_of" timestamp with time zone DEFAULT now()
) RETURNS jsonb
VOLATILE PARALLEL UNSAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'vapi_webhook_wrapper';

-- As at CREATE EXTENSION (sql/finalize.sql): nobody's but by grant; then the roles that may
-- answer VAPI's tool calls, whose workflows it serves (never anon or authenticated).
DO $vapi_webhook$
DECLARE
    grantee text;
    revoked text[];
BEGIN
    SELECT pg_catalog.array_agg(DISTINCT pg_catalog.quote_ident(r.rolname)) INTO revoked
      FROM pg_catalog.pg_proc AS p
     CROSS JOIN LATERAL pg_catalog.aclexplode(p.proacl) AS a
      JOIN pg_catalog.pg_roles AS r ON r.oid = a.grantee
     WHERE p.oid = 'public.vapi_webhook(text, timestamptz)'::pg_catalog.regprocedure AND a.grantee <> p.proowner;
    REVOKE ALL ON FUNCTION public.vapi_webhook(text, timestamptz) FROM PUBLIC;
    IF revoked IS NOT NULL THEN
        EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION public.vapi_webhook(text, timestamptz) FROM %s', pg_catalog.array_to_string(revoked, ', '));
    END IF;
    FOR grantee IN
        SELECT DISTINCT pg_catalog.quote_ident(r.rolname)
          FROM pg_catalog.pg_proc AS f
         CROSS JOIN LATERAL pg_catalog.aclexplode(f.proacl) AS a
          JOIN pg_catalog.pg_roles AS r ON r.oid = a.grantee
         WHERE f.oid = 'public.vapi_tool_calls(text, timestamptz)'::pg_catalog.regprocedure
           AND a.privilege_type = 'EXECUTE' AND a.grantee <> f.proowner
           AND r.rolname NOT IN ('anon', 'authenticated')
    LOOP
        EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION public.vapi_webhook(text, timestamptz) TO %s', grantee);
    END LOOP;
END
$vapi_webhook$;

CREATE OR REPLACE FUNCTION public.phone_holds_set_webhook_secret(source text, secret text) RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
AS $set$
BEGIN
    IF source IS NULL OR source NOT IN ('calcom', 'calendly', 'vapi') THEN
        RAISE EXCEPTION 'phone_holds: % is not a sender phone_holds checks webhooks of', coalesce(quote_literal(left(source, 64)), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass ''calcom'', ''calendly'' or ''vapi''.';
    END IF;
    IF secret IS NULL THEN
        DELETE FROM public.phone_holds_webhook_secrets AS s WHERE s.source = phone_holds_set_webhook_secret.source;
        RETURN format('cleared the %s webhook secret: %s webhooks without a credential are accepted', source, source);
    END IF;
    -- A secret pasted with a newline or a tab around it is stored without: the calendar
    -- signs with the secret, not with what the clipboard added.
    -- (chr(11), the vertical tab: E'\v' is no escape in PostgreSQL, so it meant the letter v,
    -- and before 0.12.0 a secret lost a v at either end.)
    secret := btrim(secret, E' \t\n\r\f' || chr(11));
    IF secret = '' THEN
        RAISE EXCEPTION 'phone_holds: the % webhook secret is blank', source
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Paste the secret from the calendar''s webhook settings (for VAPI: the server credential''s), or pass NULL to clear it.';
    END IF;
    INSERT INTO public.phone_holds_webhook_secrets AS s (source, secret, set_at)
    VALUES (phone_holds_set_webhook_secret.source, phone_holds_set_webhook_secret.secret, now())
    ON CONFLICT ON CONSTRAINT phone_holds_webhook_secrets_pkey
    DO UPDATE SET secret = EXCLUDED.secret, set_at = EXCLUDED.set_at;
    RETURN format('set the %s webhook secret', source);
END
$set$;

CREATE OR REPLACE FUNCTION public.phone_holds_webhook(
    webhook text,
    payload text,
    as_of timestamptz,
    signature text,
    OUT status integer,
    OUT response jsonb)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SET search_path = pg_catalog, pg_temp
AS $webhook$
DECLARE
    body jsonb;
    released timestamptz;
    failure jsonb;
    state text;
    message text;
    hint text;
BEGIN
    IF webhook IS NULL OR webhook NOT IN ('vapi', 'vapi_tool_calls', 'vapi_end_of_call', 'vapi_assistant_request',
                                          'calcom_webhook', 'calendly_webhook', 'complete_appointment_for_phone') THEN
        RAISE EXCEPTION 'phone_holds: unknown webhook %', coalesce(quote_literal(left(webhook, 64)), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass vapi, vapi_tool_calls, vapi_end_of_call, vapi_assistant_request, calcom_webhook, calendly_webhook or complete_appointment_for_phone.';
    END IF;
    BEGIN
        -- VAPI's server credential first: with a VAPI secret set, a request without it is
        -- refused (28000: HTTP 401) before its body is read. signature: the request's headers.
        IF webhook IN ('vapi', 'vapi_tool_calls', 'vapi_end_of_call', 'vapi_assistant_request') THEN
            PERFORM public.phone_holds_verify_signature('vapi', payload, signature, as_of);
        END IF;
        IF webhook = 'vapi' THEN
            -- Every message VAPI posts to an assistant's server URL, routed by its type.
            response := public.vapi_webhook(payload, as_of);
        ELSIF webhook = 'vapi_tool_calls' THEN
            response := public.vapi_tool_calls(payload, as_of);
        ELSIF webhook = 'vapi_end_of_call' THEN
            response := public.vapi_end_of_call(payload, as_of);
        ELSIF webhook = 'vapi_assistant_request' THEN
            -- The assistant comes from phone_holds.vapi_assistant_id (ALTER ROLE … SET).
            response := public.vapi_assistant_request(payload, as_of);
        ELSIF webhook = 'calcom_webhook' THEN
            -- payload: the raw body; signature: X-Cal-Signature-256.
            response := public.calcom_webhook(payload, signature, as_of);
        ELSIF webhook = 'calendly_webhook' THEN
            -- payload: the raw body; signature: Calendly-Webhook-Signature.
            response := public.calendly_webhook(payload, signature, as_of);
        ELSE
            -- {"lead_id", "outcome"}; answered {"release_at"} in the form JavaScript's
            -- Date.toJSON() gives, which is what the workflow answered before 0.5.0.
            body := payload::jsonb;
            IF jsonb_typeof(body) IS DISTINCT FROM 'object' THEN
                RAISE EXCEPTION 'phone_holds: the outcome body is not a JSON object'
                    USING ERRCODE = 'invalid_parameter_value',
                          HINT = 'Send {"lead_id": "<uuid>", "outcome": "showed"}.';
            END IF;
            released := public.complete_appointment_for_phone((body ->> 'lead_id')::uuid, body ->> 'outcome', as_of);
            response := jsonb_build_object('release_at',
                to_char(released AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'));
        END IF;
        status := 200;
    EXCEPTION
        -- query_canceled is not among OTHERS: a statement_timeout is answered too (503).
        WHEN query_canceled OR others THEN
            GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT, hint = PG_EXCEPTION_HINT;
            failure := public.phone_holds_webhook_failure(webhook, payload, state, message, hint);
            status := (failure ->> 'status')::integer;
            response := failure -> 'body';
            RAISE WARNING 'phone_holds: webhook % answered HTTP %: % (SQLSTATE %)', webhook, status, left(message, 500), state;
    END;
END
$webhook$;

COMMENT ON FUNCTION public.vapi_webhook(text, timestamptz) IS
    'Answers any VAPI server message by its message.type, for one server URL: tool-calls as vapi_tool_calls(), end-of-call-report as vapi_end_of_call(), assistant-request as vapi_assistant_request() (phone_holds.vapi_assistant_id), the legacy function-call with {"result"} saying to use tools, and every other type (status-update, speech-update, conversation-update, transcript, hang, …) with {}, reading only the type and changing nothing. Not a VAPI message: 22023.';

COMMENT ON FUNCTION public.phone_holds_number_problem(text) IS
    'Why a number as the pool stores it can never match a lead''s area code or call a lead (not E.164, a country calling code nobody was assigned, or +1 but not North American), or NULL: what phone_holds_setup() warns about and phone_holds_check() reports.';

COMMENT ON FUNCTION public.calcom_webhook(text, text, timestamptz) IS
    'Acts on a Cal.com webhook (the raw body, its X-Cal-Signature-256 header): BOOKING_CREATED, BOOKING_REQUESTED, BOOKING_PAYMENT_INITIATED and BOOKING_PAID book (a lead named by none of them is the booking''s earlier one), BOOKING_RESCHEDULED moves the appointment, BOOKING_CANCELLED and BOOKING_REJECTED cancel (requestReschedule keeps the hold), no-shows record no_show (taken back: showed); MEETING_STARTED/MEETING_ENDED, clock events, record no outcome. Returns {"event", "booking", "leadId", "action", "number", "appointmentTime", "releaseAt", "reason", "verified"}. A repeated or older event changes nothing. With a secret set, a missing or wrong signature is 28000.';

COMMENT ON FUNCTION public.phone_holds_webhook(text, text, timestamptz, text) IS
    'One webhook call as an HTTP answer (status, response), for n8n: vapi (every VAPI message), vapi_tool_calls, vapi_end_of_call, vapi_assistant_request (signature: the request''s headers as a JSON object, checked against the VAPI secret when one is set), calcom_webhook, calendly_webhook (with the signature header) or complete_appointment_for_phone ({"lead_id", "outcome"}) on the body. 200 and the result; on an error, nothing changed and the answer of phone_holds_webhook_failure(): 400 for refused input (SQLSTATE class 22), 401 for a refused signature (28000), 503 to retry, 500 otherwise, with {"error", "sqlstate"}; tool calls with readable ids get 200 and {"results": [{"toolCallId", "error"}]}.';

COMMENT ON FUNCTION public.phone_holds_verify_signature(text, text, text, timestamptz) IS
    'Whether a webhook body carries a good signature: true when verified with the secret of its source (calcom, calendly; vapi: signature is the request''s headers as a JSON object, with X-Vapi-Secret, a Bearer token or an HMAC X-Signature of "X-Timestamp.body"), false when no secret is set; 28000 when a secret is set and the signature is missing, wrong or stale. SECURITY DEFINER: it reads public.phone_holds_webhook_secrets, which the caller cannot.';

COMMENT ON FUNCTION public.phone_holds_set_webhook_secret(text, text) IS
    'Sets (NULL: clears) the secret a calendar (calcom, calendly) signs its webhooks with, or VAPI''s server credential sends (vapi), without the whitespace around it (a pasted newline); one that is blank is 22023. Only a role that may write public.phone_holds_webhook_secrets (its owner, a superuser) can.';
