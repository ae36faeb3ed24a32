use super::{answer, as_of_arg, lead_phone_arg, sql_origin};
use crate::errors::{required, HoldError};
use crate::rules::origin::Origin;
use crate::rules::{Instant, Outcome};
use crate::time::{instant, instant_from_naive_utc, to_pg};
use crate::{gucs, lifecycle, spi::pool::with_pool_to_write};
use pgrx::datum::{Timestamp, TimestampWithTimeZone, Uuid};
use pgrx::prelude::*;

/// The `extend_phone_for_appointment` overloads differ only in how the time is read.
fn extend(
    lead_id: Option<Uuid>,
    appointment: impl FnOnce() -> Result<Instant, HoldError>,
    as_of: Option<TimestampWithTimeZone>,
    lead_phone: Option<&str>,
) -> TimestampWithTimeZone {
    answer((|| {
        let lead = required(lead_id, "lead_id")?;
        let appointment = appointment()?;
        let as_of = as_of_arg(as_of)?;
        let phone = lead_phone_arg(lead_phone)?;
        let origin = sql_origin(phone.as_deref());
        with_pool_to_write("extend_phone_for_appointment()", |pool| lifecycle::book(pool, lead, appointment, as_of, &gucs::windows(), &origin)).map(|(_, release)| to_pg(release))
    })())
}

/// Holds the lead's number until `appointment_time` + follow-up window (the latest appointment
/// wins; a booking never shortens a hold), assigning a number first if the lead holds none
/// (near `lead_phone` when given: see assign_phone_to_lead). Returns the new release_at.
#[pg_extern(volatile, parallel_unsafe, name = "extend_phone_for_appointment")]
pub(super) fn extend_phone_for_appointment_near(
    lead_id: Option<Uuid>,
    appointment_time: Option<TimestampWithTimeZone>,
    as_of: default!(Option<TimestampWithTimeZone>, "now()"),
    lead_phone: default!(Option<&str>, "NULL"),
) -> TimestampWithTimeZone {
    extend(lead_id, || instant(required(appointment_time, "appointment_time")?, "appointment_time"), as_of, lead_phone)
}

/// The seed's call form `extend_phone_for_appointment(uuid, '…Z'::TIMESTAMP)`: PostgreSQL has
/// already dropped the zone, so the wall-clock value is read as UTC, which is what the `Z` said.
/// Its parameter has a name of its own (since 0.15.0): PostgREST picks a function by the names
/// of its arguments, and two overloads with the same names are ambiguous there (PGRST203).
#[pg_extern(volatile, parallel_unsafe, name = "extend_phone_for_appointment")]
pub(super) fn extend_phone_for_appointment_utc_near(
    lead_id: Option<Uuid>,
    appointment_time_utc: Option<Timestamp>,
    as_of: default!(Option<TimestampWithTimeZone>, "now()"),
    lead_phone: default!(Option<&str>, "NULL"),
) -> TimestampWithTimeZone {
    extend(
        lead_id,
        || instant_from_naive_utc(required(appointment_time_utc, "appointment_time_utc")?, "appointment_time_utc"),
        as_of,
        lead_phone,
    )
}

/// Records how the appointment went: showed/no_show hold the number a follow-up window from
/// as_of; cancelled/rescheduled make it due now. A lead without a number: NULL and a NOTICE.
#[pg_extern(volatile, parallel_unsafe)]
fn complete_appointment_for_phone(
    lead_id: Option<Uuid>,
    outcome: Option<&str>,
    as_of: default!(Option<TimestampWithTimeZone>, "now()"),
) -> Option<TimestampWithTimeZone> {
    answer((|| {
        let lead = required(lead_id, "lead_id")?;
        let outcome: Outcome = required(outcome, "outcome")?.parse()?;
        let as_of = as_of_arg(as_of)?;
        with_pool_to_write("complete_appointment_for_phone()", |pool| lifecycle::complete(pool, lead, outcome, as_of, &gucs::windows(), &Origin::SQL)).map(|r| r.map(to_pg))
    })())
}

/// Moves the lead's appointment to `new_time` in one step (cancel + book): no release run can
/// take the number in between. Returns the new release_at. `lead_phone` as for
/// extend_phone_for_appointment.
#[pg_extern(volatile, parallel_unsafe, name = "reschedule_appointment_for_phone")]
pub(super) fn reschedule_appointment_for_phone_near(
    lead_id: Option<Uuid>,
    new_time: Option<TimestampWithTimeZone>,
    as_of: default!(Option<TimestampWithTimeZone>, "now()"),
    lead_phone: default!(Option<&str>, "NULL"),
) -> TimestampWithTimeZone {
    answer((|| {
        let lead = required(lead_id, "lead_id")?;
        let new_time = instant(required(new_time, "new_time")?, "new_time")?;
        let as_of = as_of_arg(as_of)?;
        let phone = lead_phone_arg(lead_phone)?;
        let origin = sql_origin(phone.as_deref());
        with_pool_to_write("reschedule_appointment_for_phone()", |pool| lifecycle::reschedule(pool, lead, new_time, as_of, &gucs::windows(), &origin)).map(|(_, release)| to_pg(release))
    })())
}
