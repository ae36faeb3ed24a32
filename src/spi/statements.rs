//! The SQL phone_holds runs, as fixed text with `$n` parameters.
//!
//! Every name is schema-qualified, operators and casts included (`OPERATOR(pg_catalog.=)`,
//! `::pg_catalog.text`), so an object planted in a caller's search_path cannot change what
//! they do, and PostgreSQL re-planning them under another search_path finds the same objects.
//! This is cheaper than a `SET search_path` on every function, which costs each call a GUC
//! save and restore. The `WHERE` clauses match the partial indexes created by
//! `phone_holds_setup()` (`sql/setup.sql`).

use pgrx::pg_sys::{self, PgOid};

/// The time a ledger row for `$number` is written at: `$as_of`, or the number's latest row's
/// time if that is later. The row lock serialises a number's changes, so its ledger rows are
/// written in the order they happened; a change that began earlier (a transaction open while
/// another released the number) or names an earlier `as_of` must not be dated before the row
/// it follows, or readers by time (phone_number_holder_at, the inbound lookup,
/// phone_holds_check) would take the newer row for the older. One probe of
/// phone_hold_ledger_by_number. `$also` is one more lower bound from the row itself (its
/// latest version's release time, which a statement that waited for a concurrent release sees
/// even where its snapshot does not see that release's ledger row), or NULL.
macro_rules! ledger_at {
    ($as_of:literal, $number:literal, $also:literal) => {
        concat!(
            "GREATEST(",
            $as_of,
            ", ",
            $also,
            ", (SELECT l.at FROM public.phone_hold_ledger AS l WHERE l.number OPERATOR(pg_catalog.=) ",
            $number,
            " ORDER BY l.at DESC, l.id DESC LIMIT 1))"
        )
    };
}

/// Assigns the free number `$pick` selects to lead $1 with hold $2, logging it at $3 with the
/// lead's phone $4, source $5, its reference $6 and the tier the number was found in $7. Returns
/// the number, the ledger row's id (for its change event, spi::events) and the ctid of the row
/// version written (for a change later in the call: write_hold!).
/// Picks lock with SKIP LOCKED: two callers never get the same number, and an assignment never
/// waits on a row lock, so one call per transaction cannot deadlock (the only lock it waits
/// for is its own lead's).
///
/// The status test is wrapped in `coalesce(…, false)` so that it cannot match the predicate of
/// phone_holds_rested (`assignment_status = 'available'`): the row is found by the unique index
/// on number, whatever the statistics say. Right after a bulk release, before ANALYZE, the
/// planner otherwise took the rested index for near-empty and walked all of it for one number.
macro_rules! take_number {
    ($pick:expr) => {
        concat!(
            "WITH taken AS (
                 UPDATE public.signalwire_phone_numbers AS n
                    SET assignment_status = 'assigned', currently_assigned_to = $1, release_at = $2,
                        appointment_scheduled_at = NULL, last_call_outcome = NULL
                  WHERE coalesce(n.assignment_status OPERATOR(pg_catalog.=) 'available', false) AND n.number OPERATOR(pg_catalog.=) (",
            $pick,
            ")
              RETURNING n.number, n.ctid, n.released_at),
             logged AS (
                 INSERT INTO public.phone_hold_ledger (at, event, number, lead_id, new_release_at, lead_phone, source, source_ref, geo_tier)
                 SELECT ",
            ledger_at!("$3", "taken.number", "taken.released_at"),
            ", 'assigned', taken.number, $1, $2, $4, $5, $6, $7 FROM taken
              RETURNING id)
             SELECT taken.number::pg_catalog.text, (SELECT logged.id FROM logged), taken.ctid FROM taken"
        )
    };
}

/// The placed picks (see Pool::take_free_number): free numbers in rotation (not retired), by
/// rest; a number released after parameter `$since` is still resting (no rest when it is NULL).
/// The status and retirement tests match the partial indexes phone_holds_rested and
/// phone_holds_free_by_area.
macro_rules! rested_enough {
    ($since:literal) => {
        concat!(
            "p.assignment_status OPERATOR(pg_catalog.=) 'available' AND p.retired_at IS NULL
            AND (",
            $since,
            " IS NULL OR p.released_at IS NULL OR p.released_at OPERATOR(pg_catalog.<=) ",
            $since,
            ")"
        )
    };
}

/// How a number's area code is read, as phone_holds_free_by_area indexes it: `+1415`, in the
/// bytewise collation.
macro_rules! area_of {
    () => {
        "pg_catalog.substr(p.number::pg_catalog.text, 1, 5) COLLATE pg_catalog.\"C\""
    };
}

/// Picks the free number rested longest among those `$filter` admits.
macro_rules! rested_where {
    ($filter:expr) => {
        concat!(
            "SELECT p.number FROM public.signalwire_phone_numbers AS p
              WHERE ",
            $filter,
            " AND ",
            rested_enough!("$8"),
            "
              ORDER BY p.released_at NULLS FIRST, p.number
              LIMIT 1 FOR UPDATE SKIP LOCKED"
        )
    };
}

/// A new hold for a number the lead holds and has locked, with its ledger row; returns the
/// row's id. The row
/// is found by the version this transaction locked or wrote ($1, its ctid: a TID scan, no
/// lookup by number), which no other transaction can change or move until this one ends.
/// ($1 the row's ctid, $2 lead, $3 release_at, $4 appointment, $5 outcome or NULL to keep, $6 as_of,
///  $7 event, $8 previous release_at, $9 the lead's phone, $10 source, $11 its reference)
macro_rules! write_hold {
    () => {
        concat!(
            "WITH changed AS (
                 UPDATE public.signalwire_phone_numbers AS n
                    SET release_at = $3, appointment_scheduled_at = $4,
                        last_call_outcome = COALESCE($5, n.last_call_outcome)
                  WHERE n.ctid OPERATOR(pg_catalog.=) $1 AND n.currently_assigned_to OPERATOR(pg_catalog.=) $2 AND n.assignment_status OPERATOR(pg_catalog.=) 'assigned'
              RETURNING n.number)
             INSERT INTO public.phone_hold_ledger
                    (at, event, number, lead_id, old_release_at, new_release_at, appointment_at, outcome, lead_phone, source, source_ref)
             SELECT ",
            ledger_at!("$6", "changed.number", "NULL::pg_catalog.timestamptz"),
            ", $7, changed.number, $2, $8, $3, $4, $5, $9, $10, $11 FROM changed
             RETURNING id"
        )
    };
}

/// Releases the due numbers `$pick` selects at $1, with their ledger rows (source 'sql': the
/// release job and SQL calls); returns each row's id, number and lead. Due: hold
/// over, and no appointment after the cutoff ($2 = as_of - follow-up window; see
/// rules::release). Rows locked by a running hold change are skipped, left for the next run;
/// so is a row a change committed after this statement's snapshot (its version is not the one
/// the snapshot sees: the xmin test), since the ledger rows that change wrote are not in the
/// snapshot either, and the release would be dated before them. A retire or restore of a held
/// number does that without moving its hold.
macro_rules! release_due {
    ($pick:literal) => {
        concat!(
            "WITH due AS (
                 SELECT n.number, n.currently_assigned_to, n.release_at, ",
            ledger_at!("$1", "n.number", "NULL::pg_catalog.timestamptz"),
            " AS at
                   FROM public.signalwire_phone_numbers AS n
                  WHERE n.assignment_status OPERATOR(pg_catalog.=) 'assigned' AND n.release_at OPERATOR(pg_catalog.<=) $1
                    AND (n.appointment_scheduled_at IS NULL OR n.appointment_scheduled_at OPERATOR(pg_catalog.<=) $2)
                    AND n.xmin OPERATOR(pg_catalog.=) (SELECT s.xmin FROM public.signalwire_phone_numbers AS s
                                                        WHERE s.number OPERATOR(pg_catalog.=) n.number)
                  ",
            $pick,
            "
                    FOR UPDATE SKIP LOCKED),
             released AS (
                 UPDATE public.signalwire_phone_numbers AS n
                    SET assignment_status = 'available', currently_assigned_to = NULL, release_at = NULL,
                        appointment_scheduled_at = NULL, released_at = due.at
                   FROM due
                  WHERE n.number OPERATOR(pg_catalog.=) due.number
              RETURNING n.number, due.currently_assigned_to, due.release_at, due.at),
             logged AS (
                 INSERT INTO public.phone_hold_ledger (at, event, number, lead_id, old_release_at, source)
                 SELECT released.at, 'released', released.number, released.currently_assigned_to, released.release_at, 'sql'
                   FROM released
              RETURNING id, number, lead_id)
             SELECT logged.id, logged.number::pg_catalog.text, logged.lead_id FROM logged"
        )
    };
}

/// An outcome, applied and logged in one statement: the lead's row is given release_at $2,
/// keeps its appointment if $3, records outcome $4, logged at $5 with the lead's phone $6 (NULL:
/// an outcome proves no phone), source $7 and its reference $8. An outcome that changes nothing
/// (a retried webhook) writes nothing. ($1 lead)
///
/// Two forms. complete_write! is the usual call's, and cheaper than the floor's statement
/// (bench/floor.sql, bench/RESULTS.md): it reads the row and updates that same row version by
/// its ctid, with no row lock taken first and no second index lookup; it returns the ledger
/// row's id, number and appointment, and no row when it wrote none. Should another change to
/// the row commit after this statement's snapshot, PostgreSQL re-checks the update's
/// conditions on the row's latest version: that version has another ctid, and the conditions
/// on `n` say the same whatever plan is chosen (still the lead's, still assigned, still ending
/// when the version read said, which the ledger row records as old_release_at), so nothing is
/// written (tests/e2e/tests/concurrency.rs). complete_hold! is then asked: it locks
/// the row first (FOR UPDATE returns the latest version), and tells the reasons for no row apart,
/// at the price of a join over two materialised results: no row when the lead holds no number;
/// otherwise the release time, with the ledger row's columns when it wrote one.
macro_rules! complete_write {
    () => {
        concat!(
            "WITH changed AS (
                     UPDATE public.signalwire_phone_numbers AS n
                        SET ",
            completion_set!(),
            "
                       FROM public.signalwire_phone_numbers AS held
                      WHERE held.currently_assigned_to OPERATOR(pg_catalog.=) $1 AND held.assignment_status OPERATOR(pg_catalog.=) 'assigned'
                        AND n.ctid OPERATOR(pg_catalog.=) held.ctid
                        AND n.currently_assigned_to OPERATOR(pg_catalog.=) $1 AND n.assignment_status OPERATOR(pg_catalog.=) 'assigned'
                        AND n.release_at IS NOT DISTINCT FROM held.release_at
                        AND ",
            completion_changes!(),
            "
                  RETURNING n.number, held.release_at AS old_release_at, n.release_at, n.appointment_scheduled_at)
                 ",
            completion_insert!()
        )
    };
}

macro_rules! complete_hold {
    () => {
        concat!(
            "WITH held AS (
                     SELECT n.number, n.release_at FROM public.signalwire_phone_numbers AS n
                      WHERE n.currently_assigned_to OPERATOR(pg_catalog.=) $1 AND n.assignment_status OPERATOR(pg_catalog.=) 'assigned'
                        FOR UPDATE),
                 changed AS (
                     UPDATE public.signalwire_phone_numbers AS n
                        SET ",
            completion_set!(),
            "
                       FROM held
                      WHERE n.number OPERATOR(pg_catalog.=) held.number
                        AND ",
            completion_changes!(),
            "
                  RETURNING n.number, held.release_at AS old_release_at, n.release_at, n.appointment_scheduled_at),
                 logged AS (",
            completion_insert!(),
            ")
                 SELECT $2, logged.id, logged.number, logged.appointment_at FROM held LEFT JOIN logged ON true"
        )
    };
}

/// What an outcome sets (see complete_write!).
macro_rules! completion_set {
    () => {
        "release_at = $2,
                            appointment_scheduled_at = CASE WHEN $3 THEN n.appointment_scheduled_at END,
                            last_call_outcome = $4"
    };
}

/// Whether the outcome changes the row `n` at all (see complete_write!).
macro_rules! completion_changes {
    () => {
        "(n.release_at IS DISTINCT FROM $2
                             OR (NOT $3 AND n.appointment_scheduled_at IS NOT NULL)
                             OR n.last_call_outcome::pg_catalog.text IS DISTINCT FROM $4)"
    };
}

/// The change's ledger row (see complete_write!).
macro_rules! completion_insert {
    () => {
        concat!(
            "INSERT INTO public.phone_hold_ledger
                            (at, event, number, lead_id, old_release_at, new_release_at, appointment_at, outcome, lead_phone, source, source_ref)
                     SELECT ",
            ledger_at!("$5", "changed.number", "NULL::pg_catalog.timestamptz"),
            ", 'completed', changed.number, $1, changed.old_release_at, changed.release_at,
                            changed.appointment_scheduled_at, $4, $6, $7, $8
                       FROM changed
                  RETURNING id, number::pg_catalog.text, appointment_at"
        )
    };
}

/// Declares every statement once: its name (with what it does, as its doc comment), whether it
/// `reads` under the caller's snapshot or `writes` (runs read-write, under a snapshot of its own
/// that sees what this transaction did so far), the types of its parameters, and its text. The
/// enum, its count (the size of spi::plans' cache) and the table come from this one list, so a
/// new statement is one entry.
macro_rules! statements {
    ($($(#[$doc:meta])* $name:ident: $mode:ident [$($arg:ident),* $(,)?] => $sql:expr;)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Statement {
            $($(#[$doc])* $name,)*
        }

        impl Statement {
            pub const COUNT: usize = [$(Statement::$name),*].len();
            const TABLE: [Definition; Statement::COUNT] =
                [$(Definition { sql: $sql, args: &[$(pg_sys::$arg),*], writes: statements!(@writes $mode) }),*];
        }
    };
    (@writes reads) => { false };
    (@writes writes) => { true };
}

/// One entry of the list below.
struct Definition {
    sql: &'static str,
    args: &'static [pg_sys::Oid],
    writes: bool,
}

statements! {
    /// The claims table's owner, whom its statements run as; no row while ALTER EXTENSION
    /// UPDATE has not made the table yet (see Pool::claim_lead).
    ClaimsOwner: reads [] => "SELECT c.relowner FROM pg_catalog.pg_class AS c WHERE c.oid OPERATOR(pg_catalog.=) pg_catalog.to_regclass('public.phone_hold_claims')";
    /// Serialises the first assignment of lead $1 with every other one until this
    /// transaction ends, without a lock-table entry (see Pool::claim_lead): a concurrent
    /// insert of the same lead waits for this transaction, whatever it does next.
    ClaimLead: writes [UUIDOID] => "INSERT INTO public.phone_hold_claims AS c (lead_id) VALUES ($1) ON CONFLICT (lead_id) DO NOTHING";
    /// The claim's row is not needed once inserted: deleted or not, it makes others wait
    /// until this transaction ends, and deleted it leaves nothing behind.
    Unclaim: writes [UUIDOID] => "DELETE FROM public.phone_hold_claims AS c WHERE c.lead_id OPERATOR(pg_catalog.=) $1";
    /// The lead's current number, locked for the rest of the transaction, with the ctid
    /// of the version locked (see write_hold!).
    HeldBy: writes [UUIDOID] => "SELECT n.number::pg_catalog.text, n.release_at, n.appointment_scheduled_at, n.last_call_outcome::pg_catalog.text, n.ctid
                   FROM public.signalwire_phone_numbers AS n
                  WHERE n.currently_assigned_to OPERATOR(pg_catalog.=) $1 AND n.assignment_status OPERATOR(pg_catalog.=) 'assigned'
                  FOR UPDATE";
    /// The number lead $1 held last, by the ledger: a lead who calls back after a
    /// release reaches the same number if it is free.
    PreviousNumber: writes [UUIDOID] => "SELECT l.number FROM public.phone_hold_ledger AS l
                  WHERE l.lead_id OPERATOR(pg_catalog.=) $1 ORDER BY l.id DESC LIMIT 1";
    /// See write_hold!.
    WriteHold: writes [TIDOID, UUIDOID, TIMESTAMPTZOID, TIMESTAMPTZOID, TEXTOID, TIMESTAMPTZOID, TEXTOID, TIMESTAMPTZOID, TEXTOID, TEXTOID, TEXTOID] => write_hold!();
    /// The takes (see take_number!). The previous number $8 if free and
    /// in rotation, and rested since $9 unless no other lead held it since: its own lead
    /// may have it back at once, but a number another lead just let go rests, or that
    /// lead's callback would reach this one. (The number's last assignment is found
    /// through phone_hold_ledger_by_number, newest first.)
    TakePrevious: writes [UUIDOID, TIMESTAMPTZOID, TIMESTAMPTZOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TIMESTAMPTZOID] => take_number!(
                concat!(
                    "SELECT p.number FROM public.signalwire_phone_numbers AS p
                      WHERE p.number OPERATOR(pg_catalog.=) $8
                        AND coalesce(p.assignment_status OPERATOR(pg_catalog.=) 'available', false) AND p.retired_at IS NULL
                        AND ($9 IS NULL OR p.released_at IS NULL OR p.released_at OPERATOR(pg_catalog.<=) $9
                             OR (SELECT l.lead_id FROM public.phone_hold_ledger AS l
                                  WHERE l.number OPERATOR(pg_catalog.=) p.number AND l.event OPERATOR(pg_catalog.=) 'assigned'
                                  ORDER BY l.at DESC, l.id DESC
                                  LIMIT 1) OPERATOR(pg_catalog.=) $1)
                        FOR UPDATE SKIP LOCKED"
                )
            );
    /// Rested since $8, of area code $9 (`+1415`).
    TakeInArea: writes [UUIDOID, TIMESTAMPTZOID, TIMESTAMPTZOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TIMESTAMPTZOID, TEXTOID] => take_number!(
                rested_where!(concat!(area_of!(), " OPERATOR(pg_catalog.=) $9"))
            );
    /// The area codes $1 (`+1310`, …) that have a free number rested since $2 (any, when
    /// NULL), the one whose best number has rested longest first: one index probe each.
    /// (A single pick over all of them would walk phone_holds_rested in rest order,
    /// through every free number when the state has none.)
    StateOrder: reads [TEXTARRAYOID, TIMESTAMPTZOID] => concat!(
                "SELECT a.prefix FROM pg_catalog.unnest($1::pg_catalog.text[]) AS a(prefix)
                  CROSS JOIN LATERAL (
                        SELECT p.released_at, p.number FROM public.signalwire_phone_numbers AS p
                         WHERE ",
                area_of!(),
                " OPERATOR(pg_catalog.=) a.prefix AND ",
                rested_enough!("$2"),
                "
                         ORDER BY p.released_at NULLS FIRST, p.number
                         LIMIT 1) AS best
                  ORDER BY best.released_at NULLS FIRST, best.number"
            );
    /// Rested since $8, any number in rotation (the last tier).
    TakeAny: writes [UUIDOID, TIMESTAMPTZOID, TIMESTAMPTZOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TIMESTAMPTZOID] => take_number!(rested_where!("true"));
    /// The free numbers in rotation still resting at $1, and when the first rested.
    Resting: reads [TIMESTAMPTZOID] => "SELECT pg_catalog.count(*)::pg_catalog.int8, pg_catalog.min(p.released_at)
                   FROM public.signalwire_phone_numbers AS p
                  WHERE p.assignment_status OPERATOR(pg_catalog.=) 'available' AND p.retired_at IS NULL
                    AND p.released_at OPERATOR(pg_catalog.>) $1";
    /// See complete_hold!.
    CompleteHold: writes [UUIDOID, TIMESTAMPTZOID, BOOLOID, TEXTOID, TIMESTAMPTZOID, TEXTOID, TEXTOID, TEXTOID] => complete_hold!();
    /// See complete_write!.
    CompleteWrite: writes [UUIDOID, TIMESTAMPTZOID, BOOLOID, TEXTOID, TIMESTAMPTZOID, TEXTOID, TEXTOID, TEXTOID] => complete_write!();
    /// The seed's four priority rules as one set-based statement: every due number.
    ReleaseDue: writes [TIMESTAMPTZOID, TIMESTAMPTZOID] => release_due!("");
    /// At most $3 due numbers, oldest hold first: one batch of the batched release.
    ReleaseDueBatch: writes [TIMESTAMPTZOID, TIMESTAMPTZOID, INT4OID] => release_due!("ORDER BY n.release_at LIMIT $3");
    /// Who held $1 at $2, from the ledger: the latest event at or before that moment.
    HolderAt: reads [TEXTOID, TIMESTAMPTZOID] => "SELECT CASE WHEN l.event OPERATOR(pg_catalog.=) 'released' THEN NULL ELSE l.lead_id END
                   FROM public.phone_hold_ledger AS l
                  WHERE l.number OPERATOR(pg_catalog.=) $1 AND l.at OPERATOR(pg_catalog.<=) $2
                  ORDER BY l.at DESC, l.id DESC
                  LIMIT 1";
    /// The called number $1 as the pool has it now, for an inbound call. The appointment
    /// comes with its UTC offset and zone abbreviation in the session's TimeZone, so it
    /// can be read out in local time (rules::holder::LocalTime).
    NumberNow: reads [TEXTOID] => "SELECT n.number::pg_catalog.text, n.assignment_status::pg_catalog.text, n.currently_assigned_to, n.release_at,
                        n.appointment_scheduled_at,
                        pg_catalog.date_part('timezone', n.appointment_scheduled_at)::pg_catalog.int4,
                        pg_catalog.to_char(n.appointment_scheduled_at, 'TZ'),
                        n.last_call_outcome::pg_catalog.text
                   FROM public.signalwire_phone_numbers AS n
                  WHERE n.number OPERATOR(pg_catalog.=) $1";
    /// The ledger's last word on who has number $1 at $2: the event, lead and time of its
    /// latest hold change, and the appointment the hold had just before it (the hold's
    /// previous row), with its offset and zone as in NumberNow. Retiring and restoring
    /// move no hold, so their rows are passed over: a number labelled spam just after its
    /// release still routes its last holder's callback.
    LastRelease: reads [TEXTOID, TIMESTAMPTZOID] => "SELECT l.event::pg_catalog.text, l.lead_id, l.at, h.appointment_at,
                        pg_catalog.date_part('timezone', h.appointment_at)::pg_catalog.int4,
                        pg_catalog.to_char(h.appointment_at, 'TZ')
                   FROM public.phone_hold_ledger AS l
                   LEFT JOIN LATERAL (
                        SELECT x.appointment_at FROM public.phone_hold_ledger AS x
                         WHERE x.number OPERATOR(pg_catalog.=) l.number
                           AND x.event OPERATOR(pg_catalog.<>) ALL ('{released,retired,restored}'::pg_catalog.text[])
                           AND ROW(x.at, x.id) OPERATOR(pg_catalog.<) ROW(l.at, l.id)
                         ORDER BY x.at DESC, x.id DESC
                         LIMIT 1) AS h ON true
                  WHERE l.number OPERATOR(pg_catalog.=) $1 AND l.at OPERATOR(pg_catalog.<=) $2
                    AND l.event OPERATOR(pg_catalog.<>) ALL ('{retired,restored}'::pg_catalog.text[])
                  ORDER BY l.at DESC, l.id DESC
                  LIMIT 1";
    /// The table shape phone_holds_setup() recorded (NULL before 0.14.0's), whether the
    /// pool and the ledger exist, and which of the columns $2 of tables $1 they lack
    /// (spi::shape::NEEDED), as `table.column`.
    TableShape: reads [TEXTARRAYOID, TEXTARRAYOID] => "SELECT (SELECT pg_catalog.substring(p.prosrc, '[0-9]+')::pg_catalog.int4 FROM pg_catalog.pg_proc AS p
                         WHERE p.oid OPERATOR(pg_catalog.=) pg_catalog.to_regprocedure('public.phone_holds_table_shape()')),
                        pg_catalog.to_regclass('public.signalwire_phone_numbers') IS NOT NULL
                            AND pg_catalog.to_regclass('public.phone_hold_ledger') IS NOT NULL,
                        ARRAY(SELECT n.t OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) n.c
                                FROM ROWS FROM (pg_catalog.unnest($1::pg_catalog.text[]), pg_catalog.unnest($2::pg_catalog.text[])) AS n(t, c)
                               WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_attribute AS a
                                                  WHERE a.attrelid OPERATOR(pg_catalog.=) pg_catalog.to_regclass(n.t)
                                                    AND a.attname OPERATOR(pg_catalog.=) n.c::pg_catalog.name AND NOT a.attisdropped))";
    /// The phone of lead $1 recorded last, as of $2.
    LeadPhone: reads [UUIDOID, TIMESTAMPTZOID] => "SELECT l.lead_phone::pg_catalog.text FROM public.phone_hold_ledger AS l
                  WHERE l.lead_id OPERATOR(pg_catalog.=) $1 AND l.lead_phone IS NOT NULL AND l.at OPERATOR(pg_catalog.<=) $2
                  ORDER BY l.id DESC
                  LIMIT 1";
    /// Serialises the events of one calendar booking ($1 namespace, $2 source and
    /// booking), so a repeated delivery waits for the first and then finds it recorded.
    LockBooking: writes [INT4OID, TEXTOID] => "SELECT pg_catalog.pg_advisory_xact_lock($1, pg_catalog.hashtext($2))";
    /// What was recorded about booking $2 of source $1. Runs with a snapshot taken
    /// after LockBooking, so it sees what the delivery it waited for committed.
    BookingState: writes [TEXTOID, TEXTOID] => "SELECT b.lead_id, b.appointment_at, b.status::pg_catalog.text, b.last_event::pg_catalog.text,
                        b.last_event_at, b.replaced_by::pg_catalog.text
                   FROM public.phone_hold_bookings AS b
                  WHERE b.source OPERATOR(pg_catalog.=) $1 AND b.booking OPERATOR(pg_catalog.=) $2";
    /// Records booking $2 of source $1: lead $3, appointment $4 (kept when NULL), status
    /// $5, its last event $6 made at $7 (never moved back), replaced by $8 (kept when
    /// NULL), at $9.
    SaveBooking: writes [TEXTOID, TEXTOID, UUIDOID, TIMESTAMPTZOID, TEXTOID, TEXTOID, TIMESTAMPTZOID, TEXTOID, TIMESTAMPTZOID] => "INSERT INTO public.phone_hold_bookings AS b
                        (source, booking, lead_id, appointment_at, status, last_event, last_event_at, replaced_by, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                 ON CONFLICT (source, booking) DO UPDATE
                    SET lead_id = EXCLUDED.lead_id,
                        appointment_at = COALESCE(EXCLUDED.appointment_at, b.appointment_at),
                        status = EXCLUDED.status,
                        last_event = EXCLUDED.last_event,
                        last_event_at = GREATEST(EXCLUDED.last_event_at, b.last_event_at),
                        replaced_by = COALESCE(EXCLUDED.replaced_by, b.replaced_by),
                        updated_at = EXCLUDED.updated_at";
    /// The appointments table's owner, whom its statements run as; no row before
    /// phone_holds_setup() has made the table (spi::appointments).
    AppointmentsOwner: reads [] => "SELECT c.relowner FROM pg_catalog.pg_class AS c WHERE c.oid OPERATOR(pg_catalog.=) pg_catalog.to_regclass('public.phone_hold_appointments')";
    /// The lead's row lock serialises each of these with every other change of the
    /// lead's appointments.
    /// Lead $1 booked an appointment at $3 (source $2, at $4) that names no booking: a
    /// new one unless one at that time is live. A plain insert: no booking, so no
    /// conflict to arbitrate (the upsert below costs a speculative insertion).
    BookAppointment: writes [UUIDOID, TEXTOID, TIMESTAMPTZOID, TIMESTAMPTZOID] => "INSERT INTO public.phone_hold_appointments AS a (lead_id, source, appointment_at, status, booked_at, status_at)
                 SELECT $1, $2, $3, 'booked', $4, $4
                  WHERE NOT EXISTS (
                        SELECT 1 FROM public.phone_hold_appointments AS x
                         WHERE x.lead_id OPERATOR(pg_catalog.=) $1 AND x.status OPERATOR(pg_catalog.=) 'booked'
                           AND x.reference IS NULL AND x.appointment_at OPERATOR(pg_catalog.=) $3)";
    /// Calendar booking $3 of source $2 is lead $1's appointment at $4 (at $5): recorded,
    /// or booked again or moved to $4 if it was.
    BookBooking: writes [UUIDOID, TEXTOID, TEXTOID, TIMESTAMPTZOID, TIMESTAMPTZOID] => "INSERT INTO public.phone_hold_appointments AS a (lead_id, source, reference, appointment_at, status, booked_at, status_at)
                 VALUES ($1, $2, $3, $4, 'booked', $5, $5)
                 ON CONFLICT (source, reference) WHERE reference IS NOT NULL DO UPDATE
                    SET lead_id = EXCLUDED.lead_id, appointment_at = EXCLUDED.appointment_at, status = 'booked', status_at = EXCLUDED.status_at
                  WHERE a.status OPERATOR(pg_catalog.<>) 'booked' OR a.appointment_at OPERATOR(pg_catalog.<>) EXCLUDED.appointment_at
                     OR a.lead_id OPERATOR(pg_catalog.<>) EXCLUDED.lead_id";
    /// Gives status $2 (at $3) to lead $1's live appointments that began after $4 and, if
    /// $5 is not NULL, no later than $5.
    EndAppointments: writes [UUIDOID, TEXTOID, TIMESTAMPTZOID, TIMESTAMPTZOID, TIMESTAMPTZOID] => "UPDATE public.phone_hold_appointments AS a SET status = $2, status_at = $3
                  WHERE a.lead_id OPERATOR(pg_catalog.=) $1 AND a.status OPERATOR(pg_catalog.=) 'booked'
                    AND a.appointment_at OPERATOR(pg_catalog.>) $4 AND ($5 IS NULL OR a.appointment_at OPERATOR(pg_catalog.<=) $5)";
    /// Whether booking $2 of source $1 is an appointment of lead $3; if so, it gets
    /// status $4 (at $5) unless it has it already.
    EndBooking: writes [TEXTOID, TEXTOID, UUIDOID, TEXTOID, TIMESTAMPTZOID] => "WITH found AS (
                     SELECT a.id, a.status FROM public.phone_hold_appointments AS a
                      WHERE a.source OPERATOR(pg_catalog.=) $1 AND a.reference OPERATOR(pg_catalog.=) $2
                        AND a.lead_id OPERATOR(pg_catalog.=) $3
                        FOR UPDATE),
                 ended AS (
                     UPDATE public.phone_hold_appointments AS a SET status = $4, status_at = $5
                       FROM found WHERE a.id OPERATOR(pg_catalog.=) found.id AND found.status OPERATOR(pg_catalog.<>) $4)
                 SELECT 1 FROM found";
    /// Lead $1's latest live appointment, and its latest outcome (when recorded, and the
    /// appointment it was for), each with its follow-up window open after $2. Runs
    /// read-write, under a snapshot that sees this transaction's changes.
    AppointmentsOf: writes [UUIDOID, TIMESTAMPTZOID] => "SELECT (SELECT pg_catalog.max(a.appointment_at) FROM public.phone_hold_appointments AS a
                          WHERE a.lead_id OPERATOR(pg_catalog.=) $1 AND a.status OPERATOR(pg_catalog.=) 'booked'
                            AND a.appointment_at OPERATOR(pg_catalog.>) $2),
                        o.status_at, o.appointment_at
                   FROM (VALUES (1)) AS one
                   LEFT JOIN LATERAL (
                        SELECT x.status_at, x.appointment_at FROM public.phone_hold_appointments AS x
                         WHERE x.lead_id OPERATOR(pg_catalog.=) $1 AND x.status OPERATOR(pg_catalog.=) ANY ('{showed,no_show}'::pg_catalog.text[])
                           AND x.status_at OPERATOR(pg_catalog.>) $2
                         ORDER BY x.status_at DESC LIMIT 1) AS o ON true";
    /// Checks a webhook's signature ($1 source, $2 body, $3 header, $4 as_of) with the
    /// secret only the owner can read (sql/secrets.sql); raises 28000 on a bad one.
    VerifySignature: reads [TEXTOID, TEXTOID, TEXTOID, TIMESTAMPTZOID] => "SELECT public.phone_holds_verify_signature($1, $2, $3, $4)";
    /// The secret of source $1; only its owner can read the table, so this runs inside
    /// phone_holds_verify_signature(), which is SECURITY DEFINER.
    WebhookSecret: reads [TEXTOID] => "SELECT s.secret::pg_catalog.text FROM public.phone_holds_webhook_secrets AS s WHERE s.source OPERATOR(pg_catalog.=) $1";
}

impl Statement {
    pub fn sql(self) -> &'static str {
        Statement::TABLE[self as usize].sql
    }

    /// Whether the statement runs read-write (see statements!).
    pub fn writes(self) -> bool {
        Statement::TABLE[self as usize].writes
    }

    pub fn arg_oids(self) -> Vec<PgOid> {
        Statement::TABLE[self as usize].args.iter().map(|&oid| PgOid::from(oid)).collect()
    }
}
