-- The jsonb forms of the VAPI functions: the text forms (src/sql_api/vapi.rs) do the work.
--
-- jsonb cannot hold every JSON text (`\u0000`, lone surrogates), so the shipped n8n workflows
-- pass the body as text; callers that already hold jsonb keep this form. The body is handed
-- over as text before it is parsed, so the size limit applies before any parsing either way.
-- Their parameter is `body`, the text forms' `payload` (since 0.15.0): PostgREST picks a
-- function by the names of its arguments, and overloads with the same names are ambiguous there.

CREATE FUNCTION public.vapi_tool_calls(body jsonb, as_of timestamptz DEFAULT pg_catalog.now()) RETURNS jsonb
LANGUAGE sql VOLATILE PARALLEL UNSAFE
AS $$ SELECT public.vapi_tool_calls($1::pg_catalog.text, $2) $$;

CREATE FUNCTION public.vapi_end_of_call(body jsonb, as_of timestamptz DEFAULT pg_catalog.now()) RETURNS jsonb
LANGUAGE sql VOLATILE PARALLEL UNSAFE
AS $$ SELECT public.vapi_end_of_call($1::pg_catalog.text, $2) $$;

CREATE FUNCTION public.vapi_assistant_request(body jsonb, as_of timestamptz DEFAULT pg_catalog.now(), assistant_id text DEFAULT NULL) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL RESTRICTED
AS $$ SELECT public.vapi_assistant_request($1::pg_catalog.text, $2, $3) $$;
