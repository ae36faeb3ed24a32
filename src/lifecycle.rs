//! Each hold operation as its sequence of steps: lock, read, decide with the rules, write.
//!
//! Arguments arrive here already checked and converted; errors are returned, and the SQL layer
//! raises them, aborting the caller's transaction so no step is left half-done.

use crate::errors::HoldError;
use crate::rules::appointments::{ended_by, live_since, AppointmentStatus};
use crate::rules::calendar::{decide, Booking, CalendarEvent, Change, Status, Step};
use crate::rules::hold::{completion, storable};
use crate::rules::holder::{Holder, Holding};
use crate::rules::locality;
use crate::rules::origin::{self, Origin};
use crate::rules::release::{appointment_cutoff, within_callback_window};
use crate::rules::{booking::check_appointment, Hold, Instant, Outcome, Windows};
use crate::spi::pool::{Event, Held, Placement, Pool};
use chrono::TimeDelta;
use pgrx::datum::Uuid;
use pgrx::prelude::*;

/// The lead's number, assigning one first if it holds none: its previous number if free, else
/// one local to `origin`'s phone (rules::locality) that has rested. The second value says
/// whether the number was assigned by this call; `origin` goes in the ledger row of an
/// assignment.
fn held_or_assigned(pool: &mut Pool, lead: Uuid, as_of: Instant, w: &Windows, origin: &Origin) -> Result<(Held, bool), HoldError> {
    if let Some(held) = pool.held_by(lead)? {
        return Ok((held, false));
    }
    // Checked before anything is written or claimed.
    let hold = Hold::fresh(as_of, w);
    let release_at = storable_end(hold.release_at.expect("fresh holds have a release time"))?;
    // No row to lock yet: serialise on the lead itself, then look again, since a concurrent
    // call may have assigned a number between the first look and the claim.
    pool.claim_lead(lead)?;
    if let Some(held) = pool.held_by(lead)? {
        return Ok((held, false));
    }
    let place = Placement { searches: locality::searches(origin.locality(), w.geo_match), min_rest: w.min_rest };
    let (number, version) = pool.take_free_number(lead, release_at, as_of, origin, &place)?;
    Ok((Held { number, hold, outcome: None, version }, true))
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
/// `origin` as for [`book`].
pub fn assign(pool: &mut Pool, lead: Uuid, as_of: Instant, w: &Windows, origin: &Origin) -> Result<String, HoldError> {
    let (held, assigned_now) = held_or_assigned(pool, lead, as_of, w, origin)?;
    if !assigned_now {
        let new = storable_hold(held.hold.reused(as_of, w))?;
        pool.write_hold(lead, &held, new, None, Event::Reused, as_of, origin);
    }
    Ok(held.number)
}

/// `extend_phone_for_appointment`: hold through the appointment's follow-up window.
/// Returns the number and its new release time. `origin` (the source, its reference and the
/// lead's phone when the caller knows it) goes in the ledger rows this writes.
pub fn book(pool: &mut Pool, lead: Uuid, appointment: Instant, as_of: Instant, w: &Windows, origin: &Origin) -> Result<(String, Instant), HoldError> {
    // Refuse a bad time before a number is taken for it.
    check_appointment(appointment, as_of, w)?;
    storable_end(appointment + w.follow_up)?;
    let (held, _) = held_or_assigned(pool, lead, as_of, w, origin)?;
    let new = storable_hold(held.hold.booked(appointment, as_of, w)?)?;
    pool.write_hold(lead, &held, new, None, Event::Extended, as_of, origin);
    pool.record_appointment(lead, origin.source, origin.booking(), appointment, as_of);
    Ok((held.number, new.release_at.expect("booked holds have a release time")))
}

/// `complete_appointment_for_phone`: the outcome's hold, or `None` (with a NOTICE) when the
/// lead holds no number, so a retried webhook is harmless. The new hold does not depend on the
/// old one, so reading, writing and logging are one statement (a second one only when the first
/// wrote nothing: see Pool::complete_hold). The outcome names no appointment: it ends those of
/// the lead's live appointments that `rules::appointments::ended_by` says, after the row lock,
/// so a booking that committed first is among them.
pub fn complete(pool: &mut Pool, lead: Uuid, outcome: Outcome, as_of: Instant, w: &Windows, origin: &Origin) -> Result<Option<Instant>, HoldError> {
    let c = completion(outcome, as_of, w);
    storable_end(c.release_at)?;
    let release_at = pool.complete_hold(lead, c, outcome.as_str(), as_of, origin)?;
    if release_at.is_some() {
        pool.end_appointments(lead, AppointmentStatus::after(outcome), live_since(as_of, w), ended_by(outcome, as_of), as_of);
    }
    if release_at.is_none() {
        ereport!(
            NOTICE,
            PgSqlErrorCode::ERRCODE_SUCCESSFUL_COMPLETION,
            format!("phone_holds: lead {lead} holds no phone number; outcome {outcome} changes nothing")
        );
    }
    Ok(release_at)
}

/// `reschedule_appointment_for_phone`: cancel and book again in one step. Like the seed's
/// `complete(…, 'rescheduled')` then `extend(…)`, it names no appointment: every live one of
/// the lead is moved to `new_time`. Returns the number and its new release time; `origin` as
/// for [`book`].
pub fn reschedule(pool: &mut Pool, lead: Uuid, new_time: Instant, as_of: Instant, w: &Windows, origin: &Origin) -> Result<(String, Instant), HoldError> {
    check_appointment(new_time, as_of, w)?;
    storable_end(new_time + w.follow_up)?;
    let (held, _) = held_or_assigned(pool, lead, as_of, w, origin)?;
    let new = storable_hold(held.hold.rescheduled(new_time, as_of, w)?)?;
    pool.write_hold(lead, &held, new, Some(Outcome::Rescheduled.as_str()), Event::Rescheduled, as_of, origin);
    pool.end_appointments(lead, AppointmentStatus::Moved, live_since(as_of, w), None, as_of);
    pool.record_appointment(lead, origin.source, origin.booking(), new_time, as_of);
    Ok((held.number, new.release_at.expect("rescheduled holds have a release time")))
}

/// A calendar moved booking `replaced` (if another) to `origin`'s booking, at `at`: that one
/// appointment moves, the lead's others stay, and the hold is what all of them call for.
/// Returns the number and its new release time.
fn move_booking(pool: &mut Pool, lead: Uuid, replaced: Option<&str>, at: Instant, as_of: Instant, w: &Windows, origin: &Origin) -> Result<(String, Instant), HoldError> {
    let booking = origin.booking().expect("a calendar event names its booking");
    check_appointment(at, as_of, w)?;
    storable_end(at + w.follow_up)?;
    let (held, _) = held_or_assigned(pool, lead, as_of, w, origin)?;
    if let Some(old) = replaced.filter(|old| *old != booking) {
        pool.end_booking(lead, origin.source, old, AppointmentStatus::Moved, as_of);
    }
    pool.record_appointment(lead, origin.source, Some(booking), at, as_of);
    let new = storable_hold(Hold::for_appointments(pool.appointments_of(lead, live_since(as_of, w))?, as_of, w))?;
    pool.write_hold(lead, &held, new, Some(Outcome::Rescheduled.as_str()), Event::Rescheduled, as_of, origin);
    Ok((held.number, new.release_at.expect("holds for appointments have a release time")))
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

/// What a calendar event did to the hold, for the webhook's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarDone {
    pub lead: Option<Uuid>,
    /// booked, rescheduled, cancelled, no_show, showed, none or rejected.
    pub action: &'static str,
    pub number: Option<String>,
    pub appointment: Option<Instant>,
    pub release_at: Option<Instant>,
    pub reason: Option<String>,
}

impl CalendarDone {
    fn none(lead: Option<Uuid>, reason: String) -> CalendarDone {
        CalendarDone { lead, action: "none", number: None, appointment: None, release_at: None, reason: Some(reason) }
    }
}

/// `calcom_webhook` / `calendly_webhook`: one calendar event, read. Serialised per booking;
/// decided against what the booking's earlier events recorded (rules::calendar);
/// the hold changed, noted with the source and booking; then the booking recorded. A time the
/// hold rules refuse (22xxx) is answered `rejected` and records nothing; any other error is
/// raised, so the calendar delivers the event again.
pub fn calendar(pool: &mut Pool, event: &CalendarEvent, as_of: Instant, w: &Windows) -> Result<CalendarDone, HoldError> {
    let booking = match event.booking_ref() {
        // Events that move no hold need neither the lock nor the record.
        Ok(b) if !matches!(event.change, Change::Nothing | Change::Clock) => b,
        _ => return Ok(CalendarDone::none(None, decide(event, None, None, as_of).reason.unwrap_or_default())),
    };
    // A move touches two bookings: both are locked, in one order whoever moves which, so two
    // deliveries about the same pair wait for each other instead of deadlocking.
    let replaced_ref = match &event.change {
        Change::Move { from: Some(old) } => origin::reference(old).filter(|old| *old != booking),
        _ => None,
    };
    let mut locked = [Some(booking), replaced_ref];
    locked.sort();
    for b in locked.into_iter().flatten() {
        pool.lock_booking(event.source, b);
    }
    let known = pool.booking(event.source, booking)?;
    let replaced = replaced_ref.map(|old| pool.booking(event.source, old)).transpose()?.flatten();
    let decision = decide(event, known.as_ref(), replaced.as_ref(), as_of);
    let Some(lead) = decision.lead.map(Uuid::from_bytes) else {
        return Ok(CalendarDone::none(None, decision.reason.unwrap_or_default()));
    };
    let origin = Origin { source: event.source, reference: Some(booking), lead_phone: None, caller: None };
    // One appointment of the lead's several: only the appointments table tells them apart.
    pool.need_appointments()?;
    let done = match calendar_step(pool, lead, decision.step, replaced_ref, as_of, w, &origin) {
        Ok(done) => done,
        Err(e) if e.refuses_input() => {
            return Ok(CalendarDone { action: "rejected", ..CalendarDone::none(Some(lead), e.spoken()) });
        }
        Err(e) => return Err(e),
    };
    let done = CalendarDone { reason: done.reason.or(decision.reason), ..done };
    if let Some(status) = decision.record {
        let sent_at = event.sent_at.unwrap_or(as_of);
        let appointment = match decision.step {
            Step::Book(at) | Step::Reschedule(at) => Some(at),
            _ => event.start.clone().and_then(Result::ok),
        };
        let replaced_by = match &event.change {
            Change::Replaced { by } => by.as_deref().and_then(origin::reference).map(str::to_owned),
            _ => None,
        };
        let state = Booking { lead: *lead.as_bytes(), appointment, status, event: event.name.clone(), sent_at, replaced_by };
        pool.save_booking(event.source, booking, &state, as_of);
        // A move replaces the booking it came from (the same lead's, or unknown: decide()
        // refused any other): that one takes no further change.
        if let Some(old) = replaced_ref {
            let replaced = Booking { appointment: None, status: Status::Replaced, replaced_by: Some(booking.to_owned()), ..state };
            pool.save_booking(event.source, old, &replaced, as_of);
        }
    }
    Ok(done)
}

/// Carries out one decided step for `lead`, about `origin`'s booking (which replaces booking
/// `replaced`, for a move).
fn calendar_step(pool: &mut Pool, lead: Uuid, step: Step, replaced: Option<&str>, as_of: Instant, w: &Windows, origin: &Origin) -> Result<CalendarDone, HoldError> {
    let changed = |action, number, appointment, release_at| CalendarDone {
        lead: Some(lead),
        action,
        number: Some(number),
        appointment,
        release_at: Some(release_at),
        reason: None,
    };
    let holds_none = || CalendarDone::none(Some(lead), "the lead holds no number".into());
    let booking = origin.booking().expect("a calendar event names its booking");
    Ok(match step {
        Step::Book(at) => {
            let (number, release_at) = book(pool, lead, at, as_of, w, origin)?;
            changed("booked", number, Some(at), release_at)
        }
        Step::Reschedule(at) => {
            let (number, release_at) = move_booking(pool, lead, replaced, at, as_of, w, origin)?;
            changed("rescheduled", number, Some(at), release_at)
        }
        Step::Cancel(_) | Step::Outcome(_) => {
            let (outcome, status) = match step {
                Step::Outcome(outcome) => (outcome, AppointmentStatus::after(outcome)),
                _ => (Outcome::Cancelled, AppointmentStatus::Cancelled),
            };
            // The row lock first, so the lead's appointments are read as its hold has them.
            let held = pool.held_by(lead)?;
            let known = pool.end_booking(lead, origin.source, booking, status, as_of);
            let Some(held) = held else { return Ok(holds_none()) };
            if !known {
                // A cancel of a booking never recorded must not cut the hold short (the lead's
                // first hold, or another appointment's). An outcome of one still gives the
                // lead its follow-up window, as the seed's call does.
                if outcome == Outcome::Cancelled {
                    let why = format!("booking {} holds no appointment of the lead, so its cancel changes nothing", crate::rules::text::quote(booking));
                    return Ok(CalendarDone { number: Some(held.number), ..CalendarDone::none(Some(lead), why) });
                }
                let appointment = held.hold.appointment_at;
                return Ok(match complete(pool, lead, outcome, as_of, w, origin)? {
                    Some(release_at) => changed(outcome.as_str(), held.number, appointment, release_at),
                    None => holds_none(),
                });
            }
            // The lead's other appointments keep the number; an outcome's follow-up runs from now.
            let new = storable_hold(Hold::for_appointments(pool.appointments_of(lead, live_since(as_of, w))?, as_of, w))?;
            pool.write_hold(lead, &held, new, Some(outcome.as_str()), Event::Completed, as_of, origin);
            changed(outcome.as_str(), held.number, new.appointment_at, new.release_at.expect("holds for appointments have a release time"))
        }
        // The decision says why.
        Step::Keep => CalendarDone { reason: None, ..CalendarDone::none(Some(lead), String::new()) },
    })
}
