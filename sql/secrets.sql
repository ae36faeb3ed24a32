-- The webhook secrets of the calendars and VAPI, which the role that calls the webhooks must
-- not read.
--
-- The table belongs to the extension (its owner is whoever ran CREATE EXTENSION, a superuser)
-- and is a configuration table: pg_dump dumps its rows after CREATE EXTENSION, so a restore
-- keeps the secrets. Nobody else may read or change it: every privilege is revoked, including
-- those default privileges may have granted (Supabase grants new tables in public to anon,
-- authenticated and service_role). phone_holds_verify_signature() (SECURITY DEFINER, src/
-- sql_api/signature.rs) reads it as the owner and says only whether a body was signed with it.

CREATE TABLE public.phone_holds_webhook_secrets (
    source text PRIMARY KEY CHECK (source IN ('calcom', 'calendly', 'vapi')),
    secret text NOT NULL CHECK (pg_catalog.btrim(secret) <> ''),
    set_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
SELECT pg_catalog.pg_extension_config_dump('public.phone_holds_webhook_secrets', '');
COMMENT ON TABLE public.phone_holds_webhook_secrets IS
    'phone_holds: the Cal.com, Calendly and VAPI webhook secrets; readable by its owner only. Set with phone_holds_set_webhook_secret().';

-- (Its ACL written out, owner only, as every release since 0.3.0 left it.)
REVOKE ALL ON public.phone_holds_webhook_secrets FROM PUBLIC;
SELECT public.phone_holds_make_private('public.phone_holds_webhook_secrets');

-- Sets (or, with NULL, clears) the secret a calendar signs its webhooks with, or the one VAPI's
-- server credential sends (its X-Vapi-Secret, Bearer token or HMAC key). SECURITY
-- INVOKER: only a role that may write the table (its owner, a superuser) can run it.
CREATE FUNCTION public.phone_holds_set_webhook_secret(source text, secret text) RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
AS $set$
BEGIN
    -- On a hot standby or in a READ ONLY transaction: 25006, before any work.
    PERFORM public.phone_holds_require_writable('phone_holds_set_webhook_secret()');
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
