use super::answer;
use crate::errors::required;
use crate::spi::pool::with_pool;
use crate::time::instant;
use pgrx::datum::{TimestampWithTimeZone, Uuid};
use pgrx::prelude::*;

/// The lead that held `number` at moment `at`, by the ledger; NULL when it was in the pool or
/// the ledger does not reach back that far. Routes a call that arrives after a release.
#[pg_extern(stable, parallel_restricted)]
fn phone_number_holder_at(number: Option<&str>, at: Option<TimestampWithTimeZone>) -> Option<Uuid> {
    answer((|| {
        let number = required(number, "number")?;
        let at = instant(required(at, "at")?, "at")?;
        with_pool(|pool| Ok(pool.holder_at(number, at)))
    })())
}
