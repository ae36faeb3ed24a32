//! The one table-shape check: whether the pool and ledger tables are a shape this library serves.
//!
//! The tables are the user's, and `phone_holds_setup()` brings them to the current shape, which
//! it records as `public.phone_holds_table_shape()` (a constant). Between installing a new
//! library and running `ALTER EXTENSION phone_holds UPDATE` and setup, the tables are whatever
//! the last setup made. This library serves one window of shapes, one set of statements for
//! all of them (spi::statements); older tables are refused, every call with 55000 and a hint
//! naming setup, before anything is read or written (tests/e2e/tests/upgrade.rs, from every
//! release).
//!
//! | shape | made by | what it has |
//! |---|---|---|
//! | 1 | setup of 0.14.0 on (recorded); of 0.8.0 to 0.13.0 (not recorded: read from the columns) | every column the statements use, [`NEEDED`] |
//!
//! The window is shape 1 and later, so tables set up by 0.8.0 and later are served and those
//! of 0.1.0 to 0.7.0 are refused until setup. A table setup has not made at all (the pool, the
//! ledger, the bookings, the appointments) is refused where it is needed, with 42P01 and a hint
//! naming setup (with_pool). Once served, the check never runs again in the backend: an
//! up-to-date database pays one catalog read per connection; refused tables are looked at
//! again on every call, so setup run in another session is seen at once.

use super::pool::{got, Pool};
use super::statements::Statement;
use crate::errors::HoldError;
use std::cell::Cell;

/// The oldest table shape this library serves.
const SERVED_FROM: i32 = 1;

/// The columns shape 1 added to what setup had made before (0.6.0's lead_phone, 0.7.0's
/// source and source_ref, 0.8.0's geo_tier and retired_at), by table: tables that have them
/// and no record were set up by 0.8.0 to 0.13.0.
const NEEDED: [(&str, &str); 5] = [
    ("public.phone_hold_ledger", "lead_phone"),
    ("public.phone_hold_ledger", "source"),
    ("public.phone_hold_ledger", "source_ref"),
    ("public.phone_hold_ledger", "geo_tier"),
    ("public.signalwire_phone_numbers", "retired_at"),
];

impl Pool<'_, '_> {
    /// Refuses tables older than [`SERVED_FROM`] (see the table above).
    pub(super) fn check_shape(&mut self) -> Result<(), HoldError> {
        thread_local!(static SERVED: Cell<bool> = const { Cell::new(false) });
        if SERVED.get() {
            return Ok(());
        }
        let (tables, columns): (Vec<&str>, Vec<&str>) = NEEDED.into_iter().unzip();
        let row = self.first_row(Statement::TableShape, &[tables.into(), columns.into()]).expect("the check returns one row");
        let (recorded, set_up, missing) = (got::<i32>(&row, 1), got::<bool>(&row, 2) == Some(true), got::<Vec<String>>(&row, 3).unwrap_or_default());
        if !set_up {
            // Not set up (or a table gone): the statement that needs the table says which.
            return Ok(());
        }
        match recorded {
            Some(shape) if shape >= SERVED_FROM => {}
            None if missing.is_empty() => {}
            _ => return Err(HoldError::TablesTooOld { recorded, missing, served_from: SERVED_FROM }),
        }
        SERVED.set(true);
        Ok(())
    }
}
