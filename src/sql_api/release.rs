use super::{answer, as_of_arg};
use crate::{gucs, lifecycle, spi::pool::with_pool_to_write};
use pgrx::datum::TimestampWithTimeZone;
use pgrx::prelude::*;

/// Returns every due number to the pool (hold over, no appointment in the future or within the
/// follow-up window) in one statement, and says how many: all or nothing, for callers who want
/// that. Safe to run concurrently: rows another transaction is changing are left for the next
/// run. The pg_cron job runs `CALL drain_expired_phone_numbers()` instead, which commits in
/// batches so no booking waits for a whole backlog.
#[pg_extern(volatile, parallel_unsafe)]
fn release_expired_phone_numbers(as_of: default!(Option<TimestampWithTimeZone>, "now()")) -> i32 {
    answer((|| {
        let as_of = as_of_arg(as_of)?;
        with_pool_to_write("release_expired_phone_numbers()", |pool| Ok(lifecycle::release(pool, as_of, &gucs::windows(), None)))
    })())
}

/// One batch: returns at most `phone_holds.release_batch` due numbers to the pool, oldest hold
/// first, and says how many. Committing between calls until it returns 0 drains any backlog;
/// `drain_expired_phone_numbers()` (sql/drain.sql) does exactly that.
#[pg_extern(volatile, parallel_unsafe)]
fn release_expired_phone_numbers_batch(as_of: default!(Option<TimestampWithTimeZone>, "now()")) -> i32 {
    answer((|| {
        let as_of = as_of_arg(as_of)?;
        with_pool_to_write("release_expired_phone_numbers_batch()", |pool| Ok(lifecycle::release(pool, as_of, &gucs::windows(), Some(gucs::release_batch()))))
    })())
}
