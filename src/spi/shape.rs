//! The table shapes this library serves, looked for in one place.
//!
//! The tables are the user's, and `phone_holds_setup()` brings them to the current shape; the
//! extension's own claims table comes with `ALTER EXTENSION phone_holds UPDATE`. Between
//! installing a new library and running those two, an older catalog and older tables run on
//! this library, and no call may fail for it (tests/e2e/tests/upgrade.rs proves it from every
//! release). The window served is every shape a release made, 0.1.0's on:
//!
//! | what is missing | made by | until then |
//! |---|---|---|
//! | the claims table | the update to 0.4.0 | a lead is locked with an advisory lock, as 0.3.0 did |
//! | the ledger's lead_phone | setup, 0.6.0 | phones are neither read nor written |
//! | its source, source_ref | setup, 0.7.0 | ledger rows are written without NOTED's columns |
//! | its geo_tier, the pool's retired_at | setup, 0.8.0 | numbers are taken as 0.7.0 took them (PLACED) |
//!
//! (NOTED and PLACED: spi::statements.) A table setup has not made at all (the bookings, the
//! appointments) is refused where it is needed, with 42P01 and a hint naming setup
//! (Pool::run). Each probe runs until the shape is complete, then never again in the backend:
//! an up-to-date database pays nothing.

use super::pool::{got, Pool};
use super::statements::Statement;
use crate::rules::origin::Origin;
use pgrx::datum::DatumWithOid;
use pgrx::pg_sys;
use std::cell::Cell;

/// Which of NOTED's columns the ledger has: `phone` for reading phones, `noted` (all of them)
/// for writing rows with them; `placed`: NOTED's and PLACED's, for choosing numbers by area
/// code, rest and retirement.
#[derive(Debug, Clone, Copy)]
pub(super) struct TableShape {
    pub phone: bool,
    pub noted: bool,
    pub placed: bool,
}

impl TableShape {
    const CURRENT: TableShape = TableShape { phone: true, noted: true, placed: true };
}

impl Pool<'_, '_> {
    /// The ledger's shape (see the table above).
    pub(super) fn table_shape(&mut self) -> TableShape {
        thread_local!(static CURRENT: Cell<bool> = const { Cell::new(false) });
        if CURRENT.get() {
            return TableShape::CURRENT;
        }
        let (phone, annotated, placed) = match self.first_row(Statement::LedgerShape, &[]) {
            Some(row) => (got::<bool>(&row, 1) == Some(true), got::<bool>(&row, 2) == Some(true), got::<bool>(&row, 3) == Some(true)),
            None => (false, false, false),
        };
        let noted = phone && annotated;
        let shape = TableShape { phone, noted, placed: noted && placed };
        CURRENT.set(shape.placed);
        shape
    }

    /// The claims table's owner; `None` while the catalog predates it (see Pool::claim_lead).
    pub(super) fn claims_owner(&mut self) -> Option<pg_sys::Oid> {
        thread_local!(static CLAIMS_OWNER: Cell<Option<pg_sys::Oid>> = const { Cell::new(None) });
        if CLAIMS_OWNER.get().is_none() {
            CLAIMS_OWNER.set(self.first::<pg_sys::Oid>(Statement::ClaimsOwner, &[]));
        }
        CLAIMS_OWNER.get()
    }
}

/// `statement`, or its noted form with `origin`'s values (phone, source, reference) bound after
/// `args`, as the ledger allows.
pub(super) fn noting<'a>(statement: Statement, args: &mut Vec<DatumWithOid<'a>>, shape: TableShape, origin: &Origin<'a>) -> Statement {
    if !shape.noted {
        return statement;
    }
    args.push(origin.lead_phone.into());
    args.push(origin.source.as_str().into());
    args.push(origin.reference.into());
    statement.noted()
}
