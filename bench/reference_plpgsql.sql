-- BENCHMARK FIXTURE ONLY — not part of the extension, never installed by it.
--
-- The same hold semantics written the way such PL/pgSQL functions usually are: look the row up,
-- change it, write the ledger row, and release due numbers one row at a time in a loop. The
-- benchmark (bench/run.sh) compares the native functions with these and with the bare-SQL floor.

CREATE SCHEMA bench_plpgsql;

CREATE FUNCTION bench_plpgsql.assign_phone_to_lead(p_lead uuid, p_as_of timestamptz DEFAULT now())
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    held record;
    v_number text;
BEGIN
    SELECT number, release_at, appointment_scheduled_at INTO held
      FROM public.signalwire_phone_numbers
     WHERE currently_assigned_to = p_lead AND assignment_status = 'assigned'
       FOR UPDATE;
    IF FOUND THEN
        UPDATE public.signalwire_phone_numbers
           SET release_at = greatest(release_at, p_as_of + interval '18 hours')
         WHERE number = held.number;
        INSERT INTO public.phone_hold_ledger (at, event, number, lead_id, old_release_at, new_release_at, appointment_at)
        VALUES (p_as_of, 'reused', held.number, p_lead, held.release_at,
                greatest(held.release_at, p_as_of + interval '18 hours'), held.appointment_scheduled_at);
        RETURN held.number;
    END IF;

    SELECT number INTO v_number
      FROM public.signalwire_phone_numbers
     WHERE assignment_status = 'available'
     ORDER BY released_at NULLS FIRST, number
     LIMIT 1
       FOR UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no phone number is available' USING ERRCODE = 'insufficient_resources';
    END IF;
    UPDATE public.signalwire_phone_numbers
       SET assignment_status = 'assigned', currently_assigned_to = p_lead,
           release_at = p_as_of + interval '18 hours', appointment_scheduled_at = NULL, last_call_outcome = NULL
     WHERE number = v_number;
    INSERT INTO public.phone_hold_ledger (at, event, number, lead_id, new_release_at)
    VALUES (p_as_of, 'assigned', v_number, p_lead, p_as_of + interval '18 hours');
    RETURN v_number;
END
$$;

CREATE FUNCTION bench_plpgsql.extend_phone_for_appointment(p_lead uuid, p_appointment timestamptz, p_as_of timestamptz DEFAULT now())
RETURNS timestamptz LANGUAGE plpgsql AS $$
DECLARE
    held record;
    v_release timestamptz;
    v_appointment timestamptz;
BEGIN
    IF p_appointment + interval '24 hours' <= p_as_of OR p_appointment > p_as_of + interval '365 days' THEN
        RAISE EXCEPTION 'appointment % is out of range', p_appointment USING ERRCODE = 'datetime_field_overflow';
    END IF;
    PERFORM bench_plpgsql.assign_phone_to_lead(p_lead, p_as_of)
      WHERE NOT EXISTS (SELECT 1 FROM public.signalwire_phone_numbers
                         WHERE currently_assigned_to = p_lead AND assignment_status = 'assigned');
    SELECT number, release_at, appointment_scheduled_at INTO held
      FROM public.signalwire_phone_numbers
     WHERE currently_assigned_to = p_lead AND assignment_status = 'assigned'
       FOR UPDATE;
    v_release := greatest(held.release_at, p_appointment + interval '24 hours');
    v_appointment := greatest(held.appointment_scheduled_at, p_appointment);
    -- As the extension since 0.4.0: a booking that changes nothing writes nothing.
    IF v_release IS DISTINCT FROM held.release_at OR v_appointment IS DISTINCT FROM held.appointment_scheduled_at THEN
        UPDATE public.signalwire_phone_numbers
           SET release_at = v_release, appointment_scheduled_at = v_appointment
         WHERE number = held.number;
        INSERT INTO public.phone_hold_ledger (at, event, number, lead_id, old_release_at, new_release_at, appointment_at)
        VALUES (p_as_of, 'extended', held.number, p_lead, held.release_at, v_release, v_appointment);
    END IF;
    RETURN v_release;
END
$$;

CREATE FUNCTION bench_plpgsql.complete_appointment_for_phone(p_lead uuid, p_outcome text, p_as_of timestamptz DEFAULT now())
RETURNS timestamptz LANGUAGE plpgsql AS $$
DECLARE
    held record;
    v_outcome text := replace(replace(lower(trim(p_outcome)), '-', '_'), ' ', '_');
    v_release timestamptz;
    v_appointment timestamptz;
BEGIN
    IF v_outcome = 'canceled' THEN
        v_outcome := 'cancelled';
    END IF;
    IF v_outcome NOT IN ('showed', 'no_show', 'cancelled', 'rescheduled') THEN
        RAISE EXCEPTION 'unknown appointment outcome %', p_outcome USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT number, release_at, appointment_scheduled_at INTO held
      FROM public.signalwire_phone_numbers
     WHERE currently_assigned_to = p_lead AND assignment_status = 'assigned'
       FOR UPDATE;
    IF NOT FOUND THEN
        RAISE NOTICE 'lead % holds no phone number', p_lead;
        RETURN NULL;
    END IF;
    IF v_outcome IN ('showed', 'no_show') THEN
        v_release := p_as_of + interval '24 hours';
        v_appointment := held.appointment_scheduled_at;
    ELSE
        v_release := p_as_of;
        v_appointment := NULL;
    END IF;
    UPDATE public.signalwire_phone_numbers
       SET release_at = v_release, appointment_scheduled_at = v_appointment, last_call_outcome = v_outcome
     WHERE number = held.number;
    INSERT INTO public.phone_hold_ledger (at, event, number, lead_id, old_release_at, new_release_at, appointment_at, outcome)
    VALUES (p_as_of, 'completed', held.number, p_lead, held.release_at, v_release, v_appointment, v_outcome);
    RETURN v_release;
END
$$;

-- The release as a row-by-row loop, as these functions are usually written.
CREATE FUNCTION bench_plpgsql.release_expired_phone_numbers(p_as_of timestamptz DEFAULT now())
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    r record;
    released integer := 0;
BEGIN
    FOR r IN
        SELECT number, currently_assigned_to, release_at
          FROM public.signalwire_phone_numbers
         WHERE assignment_status = 'assigned' AND release_at <= p_as_of
           AND (appointment_scheduled_at IS NULL OR appointment_scheduled_at + interval '24 hours' <= p_as_of)
           FOR UPDATE SKIP LOCKED
    LOOP
        UPDATE public.signalwire_phone_numbers
           SET assignment_status = 'available', currently_assigned_to = NULL, release_at = NULL,
               appointment_scheduled_at = NULL, released_at = p_as_of
         WHERE number = r.number;
        INSERT INTO public.phone_hold_ledger (at, event, number, lead_id, old_release_at)
        VALUES (p_as_of, 'released', r.number, r.currently_assigned_to, r.release_at);
        released := released + 1;
    END LOOP;
    RETURN released;
END
$$;
