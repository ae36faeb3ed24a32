-- phone_holds 0.4.0 → 0.5.0
--
-- Webhook answers for n8n (README: n8n). No table the user owns, and no row, is touched.
--
-- 1. New: phone_holds_webhook(webhook, payload, as_of): one webhook call as (status, response),
--    every error caught and answered with its SQLSTATE, nothing changed (sql/webhook.sql).
-- 2. New: phone_holds_webhook_failure(...), the answer it gives for an error.
-- 3. Roles that could run vapi_tool_calls(text, …) or complete_appointment_for_phone() can run
--    both new functions, so the 0.5.0 workflows work for the role the 0.4.0 ones used.

CREATE FUNCTION "phone_holds_webhook_failure"(
	"webhook" TEXT,
	"payload" TEXT,
	"sqlstate" TEXT,
	"message" TEXT,
	"hint" TEXT DEFAULT NULL
) RETURNS jsonb
VOLATILE PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'phone_holds_webhook_failure_wrapper';

CREATE FUNCTION public.phone_holds_webhook(
    webhook text,
    payload text,
    as_of timestamptz DEFAULT pg_catalog.now(),
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
    IF webhook IS NULL OR webhook NOT IN ('vapi_tool_calls', 'vapi_end_of_call', 'complete_appointment_for_phone') THEN
        RAISE EXCEPTION 'phone_holds: unknown webhook %', coalesce(quote_literal(left(webhook, 64)), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass vapi_tool_calls, vapi_end_of_call or complete_appointment_for_phone.';
    END IF;
    BEGIN
        IF webhook = 'vapi_tool_calls' THEN
            response := public.vapi_tool_calls(payload, as_of);
        ELSIF webhook = 'vapi_end_of_call' THEN
            response := public.vapi_end_of_call(payload, as_of);
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

REVOKE EXECUTE ON FUNCTION public.phone_holds_webhook(text, text, timestamptz),
                           public.phone_holds_webhook_failure(text, text, text, text, text) FROM PUBLIC;
DO $grant$
DECLARE
    grantee text;
BEGIN
    FOR grantee IN
        SELECT DISTINCT pg_catalog.quote_ident(r.rolname)
          FROM pg_catalog.pg_proc AS f
         CROSS JOIN LATERAL pg_catalog.aclexplode(f.proacl) AS a
          JOIN pg_catalog.pg_roles AS r ON r.oid = a.grantee
         WHERE f.oid IN ('public.vapi_tool_calls(text, timestamptz)'::regprocedure,
                         'public.complete_appointment_for_phone(uuid, text, timestamptz)'::regprocedure)
           AND a.privilege_type = 'EXECUTE' AND a.grantee <> f.proowner
    LOOP
        EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION public.phone_holds_webhook(text, text, timestamptz), public.phone_holds_webhook_failure(text, text, text, text, text) TO %s', grantee);
    END LOOP;
END
$grant$;

COMMENT ON FUNCTION public.phone_holds_webhook(text, text, timestamptz) IS
    'One webhook call as an HTTP answer (status, response), for n8n: vapi_tool_calls, vapi_end_of_call or complete_appointment_for_phone ({"lead_id", "outcome"}) on the body. 200 and the result; on an error, nothing changed and the answer of phone_holds_webhook_failure(): 400 for refused input (SQLSTATE class 22), 503 to retry, 500 otherwise, with {"error", "sqlstate"}; tool calls with readable ids get 200 and {"results": [{"toolCallId", "error"}]}.';

COMMENT ON FUNCTION public.phone_holds_webhook_failure(text, text, text, text, text) IS
    'The answer phone_holds_webhook() gives for a call that failed with the given SQLSTATE, message and hint: {"status", "body"}. Reads and writes nothing.';
