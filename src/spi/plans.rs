//! Prepared plans, kept for the life of the backend.
//!
//! A backend is a single-threaded process, so a thread-local array is all the cache needs:
//! no lock. Plans are prepared on first use and leaked on purpose: they must outlive every
//! SPI connection, and PostgreSQL re-plans them itself when a table they use changes.

use super::statements::Statement;
use pgrx::spi::{OwnedPreparedStatement, SpiClient};
use std::cell::Cell;

thread_local! {
    static PLANS: [Cell<Option<&'static OwnedPreparedStatement>>; Statement::COUNT] =
        const { [const { Cell::new(None) }; Statement::COUNT] };
}

/// The kept plan for `statement`, preparing it the first time this backend needs it.
pub fn plan(client: &SpiClient<'_>, statement: Statement) -> &'static OwnedPreparedStatement {
    PLANS.with(|plans| {
        let slot = &plans[statement as usize];
        if let Some(plan) = slot.get() {
            return plan;
        }
        let prepared = if statement.writes() {
            client.prepare_mut(statement.sql(), &statement.arg_oids())
        } else {
            client.prepare(statement.sql(), &statement.arg_oids())
        };
        let prepared = prepared
            .unwrap_or_else(|e| panic!("phone_holds: cannot prepare {statement:?}: {e}"))
            .keep();
        let plan: &'static OwnedPreparedStatement = Box::leak(Box::new(prepared));
        slot.set(Some(plan));
        plan
    })
}
