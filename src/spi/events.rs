//! Change events (rules::change_event) queued with PostgreSQL's NOTIFY, which delivers them
//! when the transaction commits, in commit order, and drops them when it or the
//! subtransaction that queued them rolls back.
//!
//! Sending never fails or blocks the change that sends it: with `phone_holds.notify` off
//! nothing is queued; an event too long for NOTIFY is skipped; and when NOTIFY's queue is
//! half full (a listener that stopped reading holds it back), events are skipped with a
//! WARNING, because a full queue would make the COMMIT itself fail.

use crate::rules::change_event::{ChangeEvent, CHANNEL};
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;
use pgrx::{direct_function_call, direct_function_call_as_datum, pg_sys, IntoDatum};

/// The share of NOTIFY's queue in use above which events are skipped.
const QUEUE_LIMIT: f64 = 0.5;

/// Whether change events are sent, for this statement: a caller asks before building one, so
/// with `phone_holds.notify` off a change costs nothing for them.
pub fn wanted() -> bool {
    crate::gucs::notify()
}

/// Queues one NOTIFY per event, in order.
pub fn send(events: impl IntoIterator<Item = ChangeEvent>) {
    if !wanted() {
        return;
    }
    let mut events = events.into_iter().peekable();
    if events.peek().is_none() {
        return;
    }
    // SAFETY: pg_notification_queue_usage takes no argument and returns a float8.
    let usage = unsafe { direct_function_call::<f64>(pg_sys::pg_notification_queue_usage, &[]) }.unwrap_or(0.0);
    if usage >= QUEUE_LIMIT {
        ErrorReport::new(
            PgSqlErrorCode::ERRCODE_PROGRAM_LIMIT_EXCEEDED,
            format!("phone_holds: NOTIFY's queue is {:.0}% full, so this change sends no event on channel {CHANNEL}", usage * 100.0),
            function_name!(),
        )
        .set_hint("A session that LISTENs but stopped reading, or sits in a long transaction, holds the queue back (pg_notification_queue_usage()); the ledger records every change.")
        .report(PgLogLevel::WARNING);
        return;
    }
    for event in events {
        let Some(payload) = event.payload() else { continue };
        // SAFETY: pg_notify takes two text arguments and returns void; both are non-NULL.
        unsafe {
            direct_function_call_as_datum(pg_sys::pg_notify, &[CHANNEL.into_datum(), payload.into_datum()]);
        }
    }
}
