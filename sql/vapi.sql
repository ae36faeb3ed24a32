-- The jsonb forms of the VAPI functions: the text forms (src/sql_api/vapi.rs) do the work.
--
-- jsonb cannot hold every JSON text (`\u0000`, lone surrogates), so the shipped n8n workflows
-- pass the body as text; callers that already hold jsonb keep this form. The body is handed
-- over as text before it is parsed, so the size limit applies before any parsing either way.

CREATE FUNCTION public.vapi_tool_calls(payload jsonb, as_of timestamptz DEFAULT pg_catalog.now()) RETURNS jsonb
LANGUAGE sql VOLATILE PARALLEL UNSAFE
AS $$ SELECT public.vapi_tool_calls($1::pg_catalog.text, $2) $$;

CREATE FUNCTION public.vapi_end_of_call(payload jsonb, as_of timestamptz DEFAULT pg_catalog.now()) RETURNS jsonb
LANGUAGE sql VOLATILE PARALLEL UNSAFE
AS $$ SELECT public.vapi_end_of_call($1::pg_catalog.text, $2) $$;

CREATE FUNCTION public.vapi_assistant_request(payload jsonb, as_of timestamptz DEFAULT pg_catalog.now(), assistant_id text DEFAULT NULL) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL RESTRICTED
AS $$ SELECT public.vapi_assistant_request($1::pg_catalog.text, $2, $3) $$;
