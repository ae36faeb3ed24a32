-- Taking numbers out of rotation and back (docs/guides/local-presence.md).
--
-- A retired number keeps its row and its history; it is never handed to a lead (the takes in
-- src/spi/statements.rs skip rows with retired_at set). One a lead holds stays with that lead
-- until its hold ends, and the release returns it to the table but not to rotation. The
-- columns are the pool's retired_at and retired_reason, which phone_holds_setup() adds; each
-- change is a ledger row (retired, restored) with its reason, dated as_of or, if later, the
-- number's latest row's time (the ledger's time is its order: src/spi/statements.rs, ledger_at!).
--
-- PL/pgSQL, not Rust: two statements on one row, no hold rule involved. The names of the
-- arguments are qualified wherever a column could have the same name.

CREATE FUNCTION public.retire_phone_number(phone_number text, reason text, as_of timestamptz DEFAULT pg_catalog.now())
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
AS $retire$
DECLARE
    found_row record;
BEGIN
    -- On a hot standby or in a READ ONLY transaction: 25006, before any work.
    PERFORM public.phone_holds_require_writable('retire_phone_number()');
    IF retire_phone_number.phone_number IS NULL OR retire_phone_number.as_of IS NULL THEN
        RAISE EXCEPTION 'phone_holds: % must not be NULL', CASE WHEN retire_phone_number.phone_number IS NULL THEN 'phone_number' ELSE 'as_of' END
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Pass the number as the pool stores it, such as ''+14155550123''; as_of may be omitted to mean now().';
    END IF;
    IF retire_phone_number.reason IS NULL OR pg_catalog.btrim(retire_phone_number.reason) = ''
       OR pg_catalog.char_length(retire_phone_number.reason) > 500 THEN
        RAISE EXCEPTION 'phone_holds: a number is retired with a reason of 1 to 500 characters'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Say why it leaves rotation, such as retire_phone_number(''+14155550123'', ''Spam Likely on carriers''): the reason is kept on the number and in the ledger.';
    END IF;
    PERFORM public.phone_holds_rotation_ready();

    SELECT n.number::text AS number, n.assignment_status::text AS status, n.currently_assigned_to AS lead_id,
           n.release_at, n.retired_at, n.retired_reason::text AS retired_reason
      INTO found_row
      FROM public.signalwire_phone_numbers AS n
     WHERE n.number = retire_phone_number.phone_number
       FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM public.phone_holds_number_unknown(retire_phone_number.phone_number);
    END IF;
    IF found_row.retired_at IS NOT NULL THEN
        RAISE NOTICE 'phone_holds: % was already retired at % (%); nothing changed', found_row.number, found_row.retired_at, found_row.retired_reason;
        RETURN false;
    END IF;

    UPDATE public.signalwire_phone_numbers AS n
       SET retired_at = retire_phone_number.as_of, retired_reason = retire_phone_number.reason
     WHERE n.number = found_row.number;
    INSERT INTO public.phone_hold_ledger (at, event, number, lead_id, new_release_at, source, reason)
    VALUES (greatest(retire_phone_number.as_of, (SELECT l.at FROM public.phone_hold_ledger AS l WHERE l.number = found_row.number ORDER BY l.at DESC, l.id DESC LIMIT 1)), 'retired', found_row.number, found_row.lead_id, found_row.release_at, 'sql', retire_phone_number.reason);
    IF found_row.status = 'assigned' THEN
        RAISE NOTICE 'phone_holds: % stays with lead % until its hold ends (release_at %), then leaves rotation', found_row.number, found_row.lead_id, found_row.release_at;
    END IF;
    RETURN true;
END
$retire$;

CREATE FUNCTION public.restore_phone_number(phone_number text, as_of timestamptz DEFAULT pg_catalog.now())
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
AS $restore$
DECLARE
    found_row record;
BEGIN
    -- On a hot standby or in a READ ONLY transaction: 25006, before any work.
    PERFORM public.phone_holds_require_writable('restore_phone_number()');
    IF restore_phone_number.phone_number IS NULL OR restore_phone_number.as_of IS NULL THEN
        RAISE EXCEPTION 'phone_holds: % must not be NULL', CASE WHEN restore_phone_number.phone_number IS NULL THEN 'phone_number' ELSE 'as_of' END
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Pass the number as the pool stores it, such as ''+14155550123''; as_of may be omitted to mean now().';
    END IF;
    PERFORM public.phone_holds_rotation_ready();

    SELECT n.number::text AS number, n.assignment_status::text AS status, n.currently_assigned_to AS lead_id,
           n.release_at, n.retired_at
      INTO found_row
      FROM public.signalwire_phone_numbers AS n
     WHERE n.number = restore_phone_number.phone_number
       FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM public.phone_holds_number_unknown(restore_phone_number.phone_number);
    END IF;
    IF found_row.retired_at IS NULL THEN
        RAISE NOTICE 'phone_holds: % is in rotation; nothing changed', found_row.number;
        RETURN false;
    END IF;

    UPDATE public.signalwire_phone_numbers AS n
       SET retired_at = NULL, retired_reason = NULL
     WHERE n.number = found_row.number;
    INSERT INTO public.phone_hold_ledger (at, event, number, lead_id, new_release_at, source)
    VALUES (greatest(restore_phone_number.as_of, (SELECT l.at FROM public.phone_hold_ledger AS l WHERE l.number = found_row.number ORDER BY l.at DESC, l.id DESC LIMIT 1)), 'restored', found_row.number,
            CASE WHEN found_row.status = 'assigned' THEN found_row.lead_id END, found_row.release_at, 'sql');
    RETURN true;
END
$restore$;

-- Raises 55000 while phone_holds_setup() has not yet added the columns retiring needs (a
-- database updated from before 0.8.0).
CREATE FUNCTION public.phone_holds_rotation_ready() RETURNS void
LANGUAGE plpgsql STABLE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
AS $ready$
BEGIN
    IF pg_catalog.to_regclass('public.signalwire_phone_numbers') IS NULL OR pg_catalog.to_regclass('public.phone_hold_ledger') IS NULL
       OR NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute AS a
                       WHERE a.attrelid = pg_catalog.to_regclass('public.signalwire_phone_numbers') AND a.attname = 'retired_at' AND NOT a.attisdropped)
       OR NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute AS a
                       WHERE a.attrelid = pg_catalog.to_regclass('public.phone_hold_ledger') AND a.attname = 'reason' AND NOT a.attisdropped) THEN
        RAISE EXCEPTION 'phone_holds: the pool cannot record retired numbers yet'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'SELECT phone_holds_setup() adds the columns it needs (retired_at, retired_reason; the ledger''s reason) and changes no row.';
    END IF;
END
$ready$;

-- Raises P0002 for a number the pool does not list.
CREATE FUNCTION public.phone_holds_number_unknown(phone_number text) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
AS $unknown$
BEGIN
    RAISE EXCEPTION 'phone_holds: % is not in public.signalwire_phone_numbers', pg_catalog.quote_literal(pg_catalog.left(phone_number, 64))
        USING ERRCODE = 'no_data_found',
              HINT = 'Numbers are matched as stored, such as +14155550123: SELECT number FROM signalwire_phone_numbers WHERE number LIKE ''%<its last four digits>'' finds it.';
END
$unknown$;
