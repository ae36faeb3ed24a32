//! Each hold operation as its sequence of steps: lock, read, decide with the rules, write.
//!
//! Arguments arrive here already checked and converted; errors are returned, and the SQL layer
//! raises them, aborting the caller's transaction so no step is left half-done.

use crate::errors::HoldError;
use crate::rules::hold::{completion, storable};
use crate::rules::payload::assistant_reply::{Holder, Holding};
use crate::rules::release::{appointment_cutoff, within_callback_window};
use crate::rules::{booking::check_appointment, Hold, Instant, Outcome, Windows};
use crate::spi::pool::{Event, Held, Pool};
use chrono::TimeDelta;
use pgrx::datum::Uuid;
use pgrx::prelude::*;

/// The lead's number, assigning one first if it holds none (its previous number if free).
/// The second value says whether the number was assigned by this call; `lead_phone` goes in
/// the ledger row of an assignment.
fn held_or_assigned(pool: &mut Pool, lead: Uuid, as_of: Instant, w: &Windows, lead_phone: Option<&str>) -> Result<(Held, bool), HoldError> {
    if let Some(held) = pool.held_by(lead)? {
        return Ok((held, false));
    }
    // Checked before anything is written or claimed.
    let hold = Hold::fresh(as_of, w);
    let release_at = storable_end(hold.release_at.expect("fresh holds have a release time"))?;
    // No row to lock yet: serialise on the lead itself, then look again, since a concurrent
    // call may have assigned a number between the first look and the claim.
    pool.claim_lead(lead);
    if let Some(held) = pool.held_by(lead)? {
        return Ok((held, false));
    }
    let number = pool.take_free_number(lead, release_at, as_of, lead_phone)?;
    Ok((Held { number, hold, outcome: None }, true))
}

/// A hold's end, if it can be stored and read back (see `rules::hold::storable`).
fn storable_end(release_at: Instant) -> Result<Instant, HoldError> {
    if storable(release_at) {
        Ok(release_at)
    } else {
        Err(HoldError::HoldEndsTooLate { release_at })
    }
}

/// `new`, if its end can be stored.
fn storable_hold(new: Hold) -> Result<Hold, HoldError> {
    new.release_at.map(storable_end).transpose()?;
    Ok(new)
}

/// `assign_phone_to_lead`: the lead's number, kept for at least another initial hold.
pub fn assign(pool: &mut Pool, lead: Uuid, as_of: Instant, w: &Windows) -> Result<String, HoldError> {
    let (held, assigned_now) = held_or_assigned(pool, lead, as_of, w, None)?;
    if !assigned_now {
        let new = storable_hold(held.hold.reused(as_of, w))?;
        pool.write_hold(lead, &held, new, None, Event::Reused, as_of, None);
    }
    Ok(held.number)
}

/// `extend_phone_for_appointment`: hold through the appointment's follow-up window.
/// Returns the number and its new release time. `lead_phone` (E.164), when the caller knows
/// it, goes in the ledger rows this writes.
pub fn book(pool: &mut Pool, lead: Uuid, appointment: Instant, as_of: Instant, w: &Windows, lead_phone: Option<&str>) -> Result<(String, Instant), HoldError> {
    // Refuse a bad time before a number is taken for it.
    check_appointment(appointment, as_of, w)?;
    storable_end(appointment + w.follow_up)?;
    let (held, _) = held_or_assigned(pool, lead, as_of, w, lead_phone)?;
    let new = storable_hold(held.hold.booked(appointment, as_of, w)?)?;
    pool.write_hold(lead, &held, new, None, Event::Extended, as_of, lead_phone);
    Ok((held.number, new.release_at.expect("booked holds have a release time")))
}

/// `complete_appointment_for_phone`: the outcome's hold, or `None` (with a NOTICE) when the
/// lead holds no number, so a retried webhook is harmless. The new hold does not depend on the
/// old one, so reading, writing and logging are one statement.
pub fn complete(pool: &mut Pool, lead: Uuid, outcome: Outcome, as_of: Instant, w: &Windows) -> Result<Option<Instant>, HoldError> {
    let c = completion(outcome, as_of, w);
    storable_end(c.release_at)?;
    let release_at = pool.complete_hold(lead, c, outcome.as_str(), as_of)?;
    if release_at.is_none() {
        ereport!(
            NOTICE,
            PgSqlErrorCode::ERRCODE_SUCCESSFUL_COMPLETION,
            format!("phone_holds: lead {lead} holds no phone number; outcome {outcome} changes nothing")
        );
    }
    Ok(release_at)
}

/// `reschedule_appointment_for_phone`: cancel and book again in one step.
/// Returns the number and its new release time; `lead_phone` as for [`book`].
pub fn reschedule(pool: &mut Pool, lead: Uuid, new_time: Instant, as_of: Instant, w: &Windows, lead_phone: Option<&str>) -> Result<(String, Instant), HoldError> {
    check_appointment(new_time, as_of, w)?;
    storable_end(new_time + w.follow_up)?;
    let (held, _) = held_or_assigned(pool, lead, as_of, w, lead_phone)?;
    let new = storable_hold(held.hold.rescheduled(new_time, as_of, w)?)?;
    pool.write_hold(lead, &held, new, Some(Outcome::Rescheduled.as_str()), Event::Rescheduled, as_of, lead_phone);
    Ok((held.number, new.release_at.expect("rescheduled holds have a release time")))
}

/// `release_expired_phone_numbers`: how many numbers went back to the pool; all that are due,
/// or at most `limit` of them (one batch of the batched release).
pub fn release(pool: &mut Pool, as_of: Instant, w: &Windows, limit: Option<i32>) -> i32 {
    pool.release_due(as_of, appointment_cutoff(as_of, w.follow_up), limit)
}

/// `vapi_assistant_request`: who a call to `number` at `as_of` should reach. `None` when the
/// pool does not list the number; otherwise the number as stored, and the lead that holds it
/// now (the pool row decides) or released it within `callback_window` (the ledger decides),
/// if any. Reads only: the answer for a number and `as_of` is the same every time.
pub fn inbound(pool: &mut Pool, number: &str, as_of: Instant, callback_window: TimeDelta) -> Result<Option<(String, Option<Holder>)>, HoldError> {
    let Some(row) = pool.number_now(number)? else { return Ok(None) };
    let found = match (row.assigned, row.holder, row.release_at) {
        (true, Some(lead), Some(release_at)) => Some((lead, Holding::Held { release_at }, row.appointment.clone())),
        // Held without a lead or a hold end breaks the table's own constraint; nobody to reach.
        (true, ..) => None,
        (false, ..) => pool.last_event(&row.number, as_of)?.and_then(|last| match (last.event.as_str(), last.lead) {
            ("released", Some(lead)) if within_callback_window(last.at, as_of, callback_window) => {
                Some((lead, Holding::Released { released_at: last.at }, last.appointment))
            }
            _ => None,
        }),
    };
    // The pool row keeps the last outcome through a release (only a new assignment clears it).
    let holder = found.map(|(lead, holding, appointment)| Holder {
        lead_id: lead.to_string(),
        holding,
        appointment,
        last_outcome: row.outcome.clone(),
        lead_phone: pool.lead_phone(lead, as_of),
    });
    Ok(Some((row.number, holder)))
}
