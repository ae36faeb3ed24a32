//! Whether this transaction may change holds. On a hot standby every transaction is read-only,
//! and a writer that went ahead would fail deep inside PostgreSQL (a row lock needs a
//! transaction id: `XX000 cannot assign TransactionIds during recovery`), which a webhook
//! could only answer with 500. Asked first, before any work, it is a 25006 the webhook answers
//! with 503, so the sender retries against the primary.

use crate::errors::HoldError;
use pgrx::pg_sys;

/// `Err(ReadOnly)` when `function` may not change holds here: on a standby, or in a READ ONLY
/// transaction on the primary.
pub fn refuse_if_read_only(function: &str) -> Result<(), HoldError> {
    // SAFETY: both are read in the backend's own thread, as PostgreSQL itself reads them.
    let (read_only, standby) = unsafe { (pg_sys::XactReadOnly, pg_sys::RecoveryInProgress()) };
    if read_only || standby {
        return Err(HoldError::ReadOnly { function: function.to_owned(), standby });
    }
    Ok(())
}
