//! Calendar bookings as phone_holds recorded them (public.phone_hold_bookings), and the
//! webhook signature check, which reads a secret the caller cannot.

use super::pool::{got, got_instant, ts_arg, Pool};
use super::statements::Statement;
use crate::errors::HoldError;
use crate::rules::calendar::{Booking, Status};
use crate::rules::origin::Source;
use crate::rules::Instant;
use crate::time::to_pg;
use pgrx::datum::{DatumWithOid, Uuid};

/// First key of the booking lock, `pg_advisory_xact_lock(int4, int4)`: ASCII "PHLB". (Up to
/// 0.3.0, "PHLD" locked a lead's first assignment; a claim row does that now: Pool::claim_lead.)
const BOOKING_LOCK_NAMESPACE: i32 = 0x5048_4C42;

impl Pool<'_, '_> {
    /// Makes every other event of this booking wait until this transaction ends.
    pub fn lock_booking(&mut self, source: Source, booking: &str) {
        let key = format!("{} {booking}", source.as_str());
        self.run(Statement::LockBooking, &[BOOKING_LOCK_NAMESPACE.into(), key.as_str().into()]);
    }

    /// What was recorded about `booking`, if anything.
    pub fn booking(&mut self, source: Source, booking: &str) -> Result<Option<Booking>, HoldError> {
        let Some(row) = self.first_row(Statement::BookingState, &[source.as_str().into(), booking.into()]) else { return Ok(None) };
        let status: String = got(&row, 3).expect("status is never NULL");
        Ok(Some(Booking {
            lead: *got::<Uuid>(&row, 1).expect("lead_id is never NULL").as_bytes(),
            appointment: got_instant(&row, 2)?,
            // A status written by hand that phone_holds does not know counts as booked.
            status: Status::parse(&status).unwrap_or(Status::Booked),
            event: got(&row, 4).expect("last_event is never NULL"),
            sent_at: got_instant(&row, 5)?.expect("last_event_at is never NULL"),
            replaced_by: got(&row, 6),
        }))
    }

    /// Records `state` as what is known about `booking` at `as_of`.
    pub fn save_booking(&mut self, source: Source, booking: &str, state: &Booking, as_of: Instant) {
        let args: Vec<DatumWithOid> = vec![
            source.as_str().into(),
            booking.into(),
            Uuid::from_bytes(state.lead).into(),
            ts_arg(state.appointment),
            state.status.as_str().into(),
            state.event.as_str().into(),
            to_pg(state.sent_at).into(),
            state.replaced_by.as_deref().into(),
            to_pg(as_of).into(),
        ];
        self.run(Statement::SaveBooking, &args);
    }

    /// Checks a webhook's signature through `phone_holds_verify_signature()`: whether it was
    /// verified (`false`: no secret is set). A bad signature raises 28000 there.
    pub fn verify_signature(&mut self, source: Source, body: &str, signature: Option<&str>, as_of: Instant) -> bool {
        let args: Vec<DatumWithOid> = vec![source.as_str().into(), body.into(), signature.into(), to_pg(as_of).into()];
        self.first::<bool>(Statement::VerifySignature, &args) == Some(true)
    }

    /// The webhook secret of `source`, if one is set. Only the secrets table's owner can read
    /// it: called from the SECURITY DEFINER check.
    pub fn webhook_secret(&mut self, source: Source) -> Option<String> {
        self.first(Statement::WebhookSecret, &[source.as_str().into()])
    }
}
