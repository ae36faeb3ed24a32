//! A lead's appointments as phone_holds keeps them (public.phone_hold_appointments), one
//! prepared statement each. Every write runs after the lead's pool row is locked, so a lead's
//! appointments change in the order its hold does.
//!
//! The statements run as the table's owner (spi::as_owner), as the claims' do: no caller is
//! granted the table, so an appointment is booked, moved or ended only through the
//! functions, and the roles README's Privileges section names need nothing new.

use super::as_owner::AsOwner;
use super::pool::{got_instant, ts_arg, Pool};
use super::statements::Statement;
use crate::errors::HoldError;
use crate::rules::appointments::{AppointmentStatus, LeadAppointments};
use crate::rules::origin::Source;
use crate::rules::Instant;
use crate::time::to_pg;
use pgrx::datum::{DatumWithOid, Uuid};
use pgrx::pg_sys;
use pgrx::spi::SpiTupleTable;
use std::cell::Cell;

/// The table's name, for the hint when a calendar event needs it.
const TABLE: &str = "public.phone_hold_appointments";

impl Pool<'_, '_> {
    /// The appointments table's owner, if the table exists. Made by phone_holds_setup() from
    /// 0.10.0 on: between `ALTER EXTENSION phone_holds UPDATE` and setup, the seed's calls keep
    /// the one appointment on the pool row, as 0.9.0 did, and nothing fails. Once seen, not
    /// looked for again (a table dropped later is reported by the statements that need it).
    fn appointments_owner(&mut self) -> Option<pg_sys::Oid> {
        thread_local!(static OWNER: Cell<Option<pg_sys::Oid>> = const { Cell::new(None) });
        if OWNER.get().is_none() {
            OWNER.set(self.first::<pg_sys::Oid>(Statement::AppointmentsOwner, &[]));
        }
        OWNER.get()
    }

    /// Whether the appointments table exists (see appointments_owner).
    pub fn keeps_appointments(&mut self) -> bool {
        self.appointments_owner().is_some()
    }

    /// Runs `statement` as the appointments table's owner; `None` when there is no table.
    fn as_table_owner<R>(&mut self, statement: Statement, args: &[DatumWithOid<'_>], read: impl for<'t> FnOnce(SpiTupleTable<'t>) -> R) -> Option<R> {
        let owner = self.appointments_owner()?;
        let _owner = AsOwner::become_(owner);
        Some(read(self.run(statement, args)))
    }

    /// The table, or the error that says to run setup: a calendar's cancel, move or outcome
    /// concerns one appointment of several, which only the table can tell apart.
    pub fn need_appointments(&mut self) -> Result<(), HoldError> {
        if self.keeps_appointments() {
            Ok(())
        } else {
            Err(HoldError::TableMissing { relation: TABLE.to_owned() })
        }
    }

    /// Records that `lead` booked an appointment at `at`: the calendar booking `booking` of
    /// `source` (booked again, or moved to `at`, if already recorded), or, when no booking is
    /// named, an appointment at that time unless one is already live.
    pub fn record_appointment(&mut self, lead: Uuid, source: Source, booking: Option<&str>, at: Instant, as_of: Instant) {
        let (statement, args): (Statement, Vec<DatumWithOid>) = match booking {
            Some(booking) => {
                (Statement::BookBooking, vec![lead.into(), source.as_str().into(), booking.into(), to_pg(at).into(), to_pg(as_of).into()])
            }
            None => (Statement::BookAppointment, vec![lead.into(), source.as_str().into(), to_pg(at).into(), to_pg(as_of).into()]),
        };
        self.as_table_owner(statement, &args, |_: SpiTupleTable<'_>| ());
    }

    /// Gives `status` to the live appointments of `lead` that began after `live_since` and, if
    /// `up_to` is given, no later than it.
    pub fn end_appointments(&mut self, lead: Uuid, status: AppointmentStatus, live_since: Instant, up_to: Option<Instant>, as_of: Instant) {
        let args: Vec<DatumWithOid> =
            vec![lead.into(), status.as_str().into(), to_pg(as_of).into(), to_pg(live_since).into(), ts_arg(up_to)];
        self.as_table_owner(Statement::EndAppointments, &args, |_: SpiTupleTable<'_>| ());
    }

    /// Gives `status` to the appointment of calendar booking `booking` if it is `lead`'s and
    /// has another status: whether the booking is an appointment of `lead`.
    pub fn end_booking(&mut self, lead: Uuid, source: Source, booking: &str, status: AppointmentStatus, as_of: Instant) -> bool {
        let args: Vec<DatumWithOid> = vec![source.as_str().into(), booking.into(), lead.into(), status.as_str().into(), to_pg(as_of).into()];
        self.as_table_owner(Statement::EndBooking, &args, |found: SpiTupleTable<'_>| !found.is_empty()) == Some(true)
    }

    /// What `lead`'s appointments say now (this transaction's changes included): the latest
    /// live one and the latest outcome, each with its follow-up window open after `live_since`.
    pub fn appointments_of(&mut self, lead: Uuid, live_since: Instant) -> Result<LeadAppointments, HoldError> {
        let read = |rows: SpiTupleTable<'_>| -> Result<LeadAppointments, HoldError> {
            let row = rows.first();
            let latest_live = got_instant(&row, 1)?;
            let outcome = got_instant(&row, 2)?.zip(got_instant(&row, 3)?);
            Ok(LeadAppointments { latest_live, outcome })
        };
        self.as_table_owner(Statement::AppointmentsOf, &[lead.into(), to_pg(live_since).into()], read).unwrap_or(Ok(LeadAppointments::default()))
    }
}
