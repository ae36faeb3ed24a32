use super::{answer, as_of_arg};
use crate::errors::required;
use crate::{gucs, lifecycle, spi::pool::with_pool};
use pgrx::datum::{TimestampWithTimeZone, Uuid};
use pgrx::prelude::*;

/// The lead's phone number: the one it holds (kept for at least another initial hold), else its
/// previous number if free, else the number rested longest. Empty pool: SQLSTATE 53000.
#[pg_extern(volatile, parallel_unsafe)]
fn assign_phone_to_lead(
    lead_id: Option<Uuid>,
    as_of: default!(Option<TimestampWithTimeZone>, "now()"),
) -> String {
    answer((|| {
        let lead = required(lead_id, "lead_id")?;
        let as_of = as_of_arg(as_of)?;
        with_pool(|pool| lifecycle::assign(pool, lead, as_of, &gucs::windows()))
    })())
}
