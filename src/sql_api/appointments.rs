use super::{answer, as_of_arg};
use crate::errors::{required, HoldError};
use crate::rules::origin::Origin;
use crate::rules::{Instant, Outcome};
use crate::time::{instant, instant_from_naive_utc, to_pg};
use crate::{gucs, lifecycle, spi::pool::with_pool};
use pgrx::datum::{Timestamp, TimestampWithTimeZone, Uuid};
use pgrx::prelude::*;

/// The two `extend_phone_for_appointment` overloads differ only in how the time is read.
fn extend(
    lead_id: Option<Uuid>,
    appointment: impl FnOnce() -> Result<Instant, HoldError>,
    as_of: Option<TimestampWithTimeZone>,
) -> TimestampWithTimeZone {
    answer((|| {
        let lead = required(lead_id, "lead_id")?;
        let appointment = appointment()?;
        let as_of = as_of_arg(as_of)?;
        with_pool(|pool| lifecycle::book(pool, lead, appointment, as_of, &gucs::windows(), &Origin::SQL)).map(|(_, release)| to_pg(release))
    })())
}

/// Holds the lead's number until `appointment_time` + follow-up window (the latest appointment
/// wins; a booking never shortens a hold), assigning a number first if the lead holds none.
/// Returns the new release_at.
#[pg_extern(volatile, parallel_unsafe)]
fn extend_phone_for_appointment(
    lead_id: Option<Uuid>,
    appointment_time: Option<TimestampWithTimeZone>,
    as_of: default!(Option<TimestampWithTimeZone>, "now()"),
) -> TimestampWithTimeZone {
    extend(lead_id, || instant(required(appointment_time, "appointment_time")?, "appointment_time"), as_of)
}

/// The seed's call form `extend_phone_for_appointment(uuid, '…Z'::TIMESTAMP)`: PostgreSQL has
/// already dropped the zone, so the wall-clock value is read as UTC, which is what the `Z` said.
#[pg_extern(volatile, parallel_unsafe, name = "extend_phone_for_appointment")]
fn extend_phone_for_appointment_utc(
    lead_id: Option<Uuid>,
    appointment_time: Option<Timestamp>,
    as_of: default!(Option<TimestampWithTimeZone>, "now()"),
) -> TimestampWithTimeZone {
    extend(lead_id, || instant_from_naive_utc(required(appointment_time, "appointment_time")?, "appointment_time"), as_of)
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
        with_pool(|pool| lifecycle::complete(pool, lead, outcome, as_of, &gucs::windows(), &Origin::SQL)).map(|r| r.map(to_pg))
    })())
}

/// Moves the lead's appointment to `new_time` in one step (cancel + book): no release run can
/// take the number in between. Returns the new release_at.
#[pg_extern(volatile, parallel_unsafe)]
fn reschedule_appointment_for_phone(
    lead_id: Option<Uuid>,
    new_time: Option<TimestampWithTimeZone>,
    as_of: default!(Option<TimestampWithTimeZone>, "now()"),
) -> TimestampWithTimeZone {
    answer((|| {
        let lead = required(lead_id, "lead_id")?;
        let new_time = instant(required(new_time, "new_time")?, "new_time")?;
        let as_of = as_of_arg(as_of)?;
        with_pool(|pool| lifecycle::reschedule(pool, lead, new_time, as_of, &gucs::windows(), &Origin::SQL)).map(|(_, release)| to_pg(release))
    })())
}
