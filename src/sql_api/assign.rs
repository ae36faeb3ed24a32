use super::{answer, as_of_arg, lead_phone_arg, sql_origin};
use crate::errors::required;
use crate::{gucs, lifecycle, spi::pool::with_pool_to_write};
use pgrx::datum::{TimestampWithTimeZone, Uuid};
use pgrx::prelude::*;

/// The lead's phone number: the one it holds (kept for at least another initial hold), else its
/// previous number if free, else one near `lead_phone` when given (its area code, then its
/// state or province: `phone_holds.geo_match`), else the number rested longest. Empty pool:
/// SQLSTATE 53000. `lead_phone` comes last, after `as_of`, so every call written before it
/// existed, `assign_phone_to_lead(lead, '2025-10-18 12:00+00')` included, means what it did.
#[pg_extern(volatile, parallel_unsafe, name = "assign_phone_to_lead")]
pub(super) fn assign_phone_to_lead_near(
    lead_id: Option<Uuid>,
    as_of: default!(Option<TimestampWithTimeZone>, "now()"),
    lead_phone: default!(Option<&str>, "NULL"),
) -> String {
    answer((|| {
        let lead = required(lead_id, "lead_id")?;
        let as_of = as_of_arg(as_of)?;
        let phone = lead_phone_arg(lead_phone)?;
        with_pool_to_write("assign_phone_to_lead()", |pool| lifecycle::assign(pool, lead, as_of, &gucs::windows(), &sql_origin(phone.as_deref())))
    })())
}
