-- phone_holds_webhook(): one webhook call as an HTTP answer, for n8n (docs/guides/n8n.md).
-- Two forms: (webhook, payload, as_of, signature) for the calendars, whose bodies are signed,
-- and VAPI, whose requests carry a server credential (signature: the request's headers as a
-- JSON object); and (webhook, payload [, as_of]) for the rest, which calls the first. The signed form takes
-- as_of without a default, so a call with two or three arguments can only mean the short one.
--
-- n8n's Postgres node keeps an error's message but drops its SQLSTATE, so a workflow cannot
-- tell a refused value (answer 400) from a server problem (answer 5xx). This function calls
-- the webhook's function inside an exception block: on success it answers 200 and the
-- function's result; on an error the block's subtransaction is rolled back (nothing changed)
-- and phone_holds_webhook_failure() turns the SQLSTATE into the status and body. Only errors
-- before the block (no connection, no EXECUTE on this function) reach n8n's error output.

CREATE FUNCTION public.phone_holds_webhook(
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

-- The form every workflow before 0.7.0 calls (no signature): the same function.
CREATE FUNCTION public.phone_holds_webhook(
    webhook text,
    payload text,
    as_of timestamptz DEFAULT pg_catalog.now(),
    OUT status integer,
    OUT response jsonb)
LANGUAGE sql VOLATILE PARALLEL UNSAFE
AS $$ SELECT w.status, w.response FROM public.phone_holds_webhook($1, $2, $3, NULL::pg_catalog.text) AS w $$;
