use super::{answer, as_of_arg};
use crate::{gucs, lifecycle, spi::pool::with_pool};
use pgrx::datum::TimestampWithTimeZone;
use pgrx::prelude::*;

/// Returns every due number to the pool (hold over, no appointment in the future or within the
/// follow-up window) in one statement, and says how many. Safe to run concurrently: rows another
/// transaction is changing are left for the next run.
#[pg_extern(volatile, parallel_unsafe)]
fn release_expired_phone_numbers(as_of: default!(Option<TimestampWithTimeZone>, "now()")) -> i32 {
    answer((|| {
        let as_of = as_of_arg(as_of)?;
        with_pool(|pool| Ok(lifecycle::release(pool, as_of, &gucs::windows())))
    })())
}
