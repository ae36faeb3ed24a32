//! What a calendar's webhook means for a hold, whichever calendar sent it: the event as
//! `payload::calcom` and `payload::calendly` read it, the booking as phone_holds last recorded
//! it, and the rule that decides between the two (duplicates, late deliveries, replaced
//! bookings).
//!
//! How the order is decided: every event carries the time the calendar made it (Cal.com's
//! `createdAt`, or a meeting clock trigger's scheduled time; Calendly's `created_at`). Per booking, phone_holds keeps the name and time of
//! the last event it acted on (public.phone_hold_bookings). An event of the same name and
//! time is a second delivery of it; an event made before that one arrived late and is older
//! news. Either changes nothing. A booking replaced by a reschedule takes no further change
//! but its outcome: the booking that replaced it carries the hold.

use super::origin::{reference, Source, MAX_REFERENCE_CHARS};
use super::refusal::Refusal;
use super::text::{self, quote};
use super::{rfc3339, Instant, Outcome};

/// One calendar webhook, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarEvent {
    pub source: Source,
    /// The trigger or event name, as sent.
    pub name: String,
    /// The booking it is about (a Cal.com booking uid, a Calendly invitee URI).
    pub booking: Option<String>,
    /// When the calendar made the event; `None` when it did not say (then the delivery's
    /// `as_of` stands in, and a repeat cannot be told from a new event).
    pub sent_at: Option<Instant>,
    /// The booking's start, when the event gives it.
    pub start: Option<Result<Instant, Refusal>>,
    /// The lead the event names: `None` when it names none.
    pub lead: Option<Result<[u8; 16], Refusal>>,
    pub change: Change,
}

/// What the event says happened to the booking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A new booking at `start`.
    Book,
    /// The booking `from` moved to this booking, at `start`.
    Move { from: Option<String> },
    /// The booking was cancelled; `keep_hold` when the host asked the lead to book again
    /// (Cal.com's `requestReschedule`), so the new booking finds the number still held.
    Cancel { keep_hold: bool },
    /// The booking was cancelled because it was rescheduled (Calendly sends the new booking
    /// in a separate event, which moves the hold).
    Replaced { by: Option<String> },
    /// An outcome: `NoShow`, or `Showed` for a no-show taken back.
    Outcome(Outcome),
    /// A clock trigger (Cal.com's `MEETING_STARTED`/`MEETING_ENDED`): sent at the meeting's
    /// scheduled start or end whether anyone joined or not, so it proves no outcome.
    Clock,
    /// A trigger that moves no hold.
    Nothing,
}

/// What phone_holds recorded about a booking (public.phone_hold_bookings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Booking {
    pub lead: [u8; 16],
    pub appointment: Option<Instant>,
    pub status: Status,
    /// The last event acted on, and when the calendar made it.
    pub event: String,
    pub sent_at: Instant,
    pub replaced_by: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Booked,
    Cancelled,
    Replaced,
    NoShow,
    Showed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Booked => "booked",
            Status::Cancelled => "cancelled",
            Status::Replaced => "replaced",
            Status::NoShow => "no_show",
            Status::Showed => "showed",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        [Status::Booked, Status::Cancelled, Status::Replaced, Status::NoShow, Status::Showed]
            .into_iter()
            .find(|status| status.as_str() == s)
    }
}

/// The hold change an event asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Book(Instant),
    Reschedule(Instant),
    /// Cancel the hold if it is for the appointment at this time (`None`: time unknown): a
    /// cancelled booking must not release a number held for another one.
    Cancel(Option<Instant>),
    Outcome(Outcome),
    /// No hold change.
    Keep,
}

/// What to do with one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub lead: Option<[u8; 16]>,
    pub step: Step,
    /// Why the hold is kept, for the answer.
    pub reason: Option<String>,
    /// The booking's status to record; `None` records nothing (a repeat, a late event, an
    /// event that names no lead or booking).
    pub record: Option<Status>,
}

impl Decision {
    fn nothing(reason: String) -> Decision {
        Decision { lead: None, step: Step::Keep, reason: Some(reason), record: None }
    }
}

impl CalendarEvent {
    /// The booking's reference, if the event gives one that can be recorded.
    pub fn booking_ref(&self) -> Result<&str, String> {
        let what = self.booking_field();
        match self.booking.as_deref() {
            None => Err(format!("the event names no booking ({what})")),
            Some(raw) => reference(raw).ok_or_else(|| {
                format!("booking {} is not a reference phone_holds records (1 to {MAX_REFERENCE_CHARS} characters, no control characters)", quote(raw))
            }),
        }
    }

    fn booking_field(&self) -> &'static str {
        match self.source {
            Source::Calendly => "payload.uri",
            _ => "payload.uid or payload.bookingUid",
        }
    }

    fn lead_fields(&self) -> &'static str {
        match self.source {
            Source::Calendly => "payload.tracking.utm_content or a lead_id question",
            _ => "payload.metadata.lead_id or payload.responses.lead_id",
        }
    }
}

/// Decides what `event` does, given what was recorded about its booking (`known`), about the
/// booking a move replaces (`replaced`: the lead it was made for carries over to the new
/// booking, and no other lead may take it over), and the delivery's `as_of` (standing in for
/// a missing `sent_at`).
pub fn decide(event: &CalendarEvent, known: Option<&Booking>, replaced: Option<&Booking>, as_of: Instant) -> Decision {
    let trigger = quote(&event.name);
    match event.change {
        Change::Nothing => return Decision::nothing(format!("{} event {trigger} moves no hold", event.source.title())),
        Change::Clock => {
            return Decision::nothing(format!(
                "{trigger} is sent at the meeting's scheduled time whether anyone joined or not, so it records no outcome \
                 (a no-show event or complete_appointment_for_phone() does); the hold runs through the appointment's follow-up window"
            ))
        }
        _ => {}
    }
    let booking = match event.booking_ref() {
        Ok(b) => b,
        Err(why) => return Decision::nothing(why),
    };
    let sent_at = event.sent_at.unwrap_or(as_of);
    if let Some(known) = known {
        if sent_at == known.sent_at && event.name == known.event {
            return Decision::nothing(format!("{trigger} of booking {} was already acted on (a repeated delivery)", quote(booking)));
        }
        if sent_at < known.sent_at {
            return Decision::nothing(format!(
                "{trigger} was made at {}, before {} ({}), the last event acted on for booking {}",
                rfc3339(&sent_at),
                quote(&known.event),
                rfc3339(&known.sent_at),
                quote(booking)
            ));
        }
        if known.status == Status::Replaced && !matches!(event.change, Change::Outcome(_) | Change::Replaced { .. }) {
            let by = known.replaced_by.as_deref().map_or("another booking".to_owned(), |b| format!("booking {}", quote(b)));
            return Decision::nothing(format!("booking {} was rescheduled to {by}, which holds the number now", quote(booking)));
        }
    }
    let lead = match (&event.lead, known) {
        (Some(Err(refusal)), _) => return Decision::nothing(refusal.0.clone()),
        (Some(Ok(named)), Some(known)) if *named != known.lead => {
            return Decision::nothing(format!(
                "the event names lead {}, but booking {} was made for lead {}",
                text::lead_id(named),
                quote(booking),
                text::lead_id(&known.lead)
            ))
        }
        (Some(Ok(named)), _) => *named,
        (None, Some(known)) => known.lead,
        (None, None) => match replaced {
            Some(old) => old.lead,
            None => return Decision::nothing(format!("the event names no lead ({}) and no earlier event of booking {} did", event.lead_fields(), quote(booking))),
        },
    };
    if let (Some(old), Change::Move { from: Some(from) }) = (replaced, &event.change) {
        if old.lead != lead {
            return Decision::nothing(format!(
                "booking {} moves booking {}, which was made for lead {}, not lead {}",
                quote(booking),
                quote(from),
                text::lead_id(&old.lead),
                text::lead_id(&lead)
            ));
        }
    }
    let start = match &event.start {
        Some(Err(refusal)) => return Decision::nothing(refusal.0.clone()),
        Some(Ok(t)) => Some(*t),
        None => None,
    };
    let decided = |step: Step, record: Status| Decision { lead: Some(lead), step, reason: None, record: Some(record) };
    let kept = |reason: String, record: Status| Decision { lead: Some(lead), step: Step::Keep, reason: Some(reason), record: Some(record) };
    let no_start = || Decision::nothing(format!("{trigger} gives no start time (payload.startTime / scheduled_event.start_time)"));
    match &event.change {
        Change::Book => start.map_or_else(no_start, |at| decided(Step::Book(at), Status::Booked)),
        Change::Move { .. } => start.map_or_else(no_start, |at| decided(Step::Reschedule(at), Status::Booked)),
        Change::Cancel { keep_hold: true } => kept(
            "the host asked the lead to book again, so the hold stays until the new booking arrives or the hold ends".into(),
            Status::Cancelled,
        ),
        Change::Cancel { keep_hold: false } => decided(Step::Cancel(start.or(known.and_then(|k| k.appointment))), Status::Cancelled),
        Change::Replaced { .. } => kept("the booking was rescheduled; the new booking's event moves the hold".into(), Status::Replaced),
        Change::Outcome(outcome) => decided(Step::Outcome(*outcome), if *outcome == Outcome::NoShow { Status::NoShow } else { Status::Showed }),
        Change::Clock | Change::Nothing => unreachable!("handled first"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const LEAD: [u8; 16] = [7; 16];
    const OTHER: [u8; 16] = [9; 16];

    fn t(hour: u32) -> Instant {
        chrono::Utc.with_ymd_and_hms(2025, 10, 20, hour, 0, 0).unwrap()
    }

    fn event(name: &str, change: Change, sent: u32) -> CalendarEvent {
        CalendarEvent {
            source: Source::Calcom,
            name: name.into(),
            booking: Some("bk-1".into()),
            sent_at: Some(t(sent)),
            start: Some(Ok(t(14))),
            lead: Some(Ok(LEAD)),
            change,
        }
    }

    /// `decide` for an event that moves no other booking.
    fn decide_(event: &CalendarEvent, known: Option<&Booking>, as_of: Instant) -> Decision {
        decide(event, known, None, as_of)
    }

    fn known(status: Status, event: &str, sent: u32) -> Booking {
        Booking { lead: LEAD, appointment: Some(t(14)), status, event: event.into(), sent_at: t(sent), replaced_by: Some("bk-2".into()) }
    }

    #[test]
    fn each_change_maps_to_its_step() {
        let d = |change| decide_(&event("E", change, 1), None, t(2));
        assert_eq!(d(Change::Book).step, Step::Book(t(14)));
        assert_eq!(d(Change::Book).record, Some(Status::Booked));
        assert_eq!(d(Change::Move { from: Some("bk-0".into()) }).step, Step::Reschedule(t(14)));
        assert_eq!(d(Change::Cancel { keep_hold: false }).step, Step::Cancel(Some(t(14))));
        let kept = d(Change::Cancel { keep_hold: true });
        assert_eq!((kept.step, kept.record), (Step::Keep, Some(Status::Cancelled)));
        assert!(kept.reason.unwrap().contains("book again"));
        assert_eq!(d(Change::Replaced { by: None }).step, Step::Keep);
        assert_eq!(d(Change::Replaced { by: None }).record, Some(Status::Replaced));
        assert_eq!(d(Change::Outcome(Outcome::NoShow)).record, Some(Status::NoShow));
        assert_eq!(d(Change::Outcome(Outcome::Showed)).step, Step::Outcome(Outcome::Showed));
        let nothing = d(Change::Nothing);
        assert_eq!((nothing.step, nothing.record), (Step::Keep, None));
        assert!(nothing.reason.unwrap().contains("moves no hold"));
    }

    #[test]
    fn a_meeting_clock_event_proves_no_outcome() {
        for known_status in [None, Some(known(Status::Booked, "BOOKING_CREATED", 1)), Some(known(Status::NoShow, "BOOKING_NO_SHOW_UPDATED", 2))] {
            let d = decide_(&event("MEETING_ENDED", Change::Clock, 3), known_status.as_ref(), t(4));
            assert_eq!((d.step, d.record), (Step::Keep, None), "{known_status:?}");
            assert!(d.reason.unwrap().contains("whether anyone joined or not"));
        }
    }

    #[test]
    fn repeats_and_late_events_change_nothing() {
        let booked = known(Status::Booked, "BOOKING_CREATED", 1);
        let again = decide_(&event("BOOKING_CREATED", Change::Book, 1), Some(&booked), t(2));
        assert_eq!((again.step, again.record), (Step::Keep, None));
        assert!(again.reason.unwrap().contains("already acted on"));
        let cancelled = known(Status::Cancelled, "BOOKING_CANCELLED", 3);
        let late = decide_(&event("BOOKING_CREATED", Change::Book, 1), Some(&cancelled), t(4));
        assert_eq!((late.step, late.record), (Step::Keep, None));
        assert!(late.reason.unwrap().contains("before \"BOOKING_CANCELLED\""));
        // Same time, another event: both happened; act on it.
        assert_eq!(decide_(&event("BOOKING_CANCELLED", Change::Cancel { keep_hold: false }, 1), Some(&booked), t(2)).record, Some(Status::Cancelled));
    }

    #[test]
    fn a_replaced_booking_takes_no_change_but_its_outcome() {
        let replaced = known(Status::Replaced, "BOOKING_RESCHEDULED", 2);
        let cancel = decide_(&event("BOOKING_CANCELLED", Change::Cancel { keep_hold: false }, 3), Some(&replaced), t(4));
        assert_eq!((cancel.step, cancel.record), (Step::Keep, None));
        assert!(cancel.reason.unwrap().contains("rescheduled to booking \"bk-2\""));
        assert_eq!(decide_(&event("X", Change::Outcome(Outcome::NoShow), 3), Some(&replaced), t(4)).step, Step::Outcome(Outcome::NoShow));
    }

    #[test]
    fn the_lead_comes_from_the_event_or_the_booking() {
        let booked = known(Status::Booked, "BOOKING_CREATED", 1);
        let mut no_lead = event("BOOKING_NO_SHOW_UPDATED", Change::Outcome(Outcome::NoShow), 2);
        no_lead.lead = None;
        no_lead.start = None;
        assert_eq!(decide_(&no_lead, Some(&booked), t(3)).lead, Some(LEAD));
        let unknown = decide_(&no_lead, None, t(3));
        assert_eq!((unknown.lead, unknown.record), (None, None));
        assert!(unknown.reason.unwrap().contains("names no lead"));
        let mut other = event("BOOKING_CANCELLED", Change::Cancel { keep_hold: false }, 2);
        other.lead = Some(Ok(OTHER));
        assert!(decide_(&other, Some(&booked), t(3)).reason.unwrap().contains("was made for lead"));
        let mut bad = event("BOOKING_CREATED", Change::Book, 2);
        bad.lead = Some(Err(Refusal("lead_id \"x\" is not a UUID".into())));
        assert_eq!(decide_(&bad, None, t(3)).reason.as_deref(), Some("lead_id \"x\" is not a UUID"));
    }

    #[test]
    fn a_move_takes_the_lead_of_the_booking_it_replaces_and_no_other_lead_may() {
        let old = known(Status::Booked, "BOOKING_CREATED", 1);
        let mut moved = event("BOOKING_RESCHEDULED", Change::Move { from: Some("bk-0".into()) }, 2);
        moved.booking = Some("bk-2".into());
        moved.lead = None;
        let d = decide(&moved, None, Some(&old), t(3));
        assert_eq!((d.lead, d.step, d.record), (Some(LEAD), Step::Reschedule(t(14)), Some(Status::Booked)));
        moved.lead = Some(Ok(OTHER));
        let taken = decide(&moved, None, Some(&old), t(3));
        assert_eq!((taken.lead, taken.step, taken.record), (None, Step::Keep, None));
        assert!(taken.reason.unwrap().contains("which was made for lead 07070707-0707-0707-0707-070707070707, not lead"));
        // An unknown old booking: the event's own lead, as before.
        assert_eq!(decide(&moved, None, None, t(3)).lead, Some(OTHER));
    }

    #[test]
    fn a_cancel_without_a_start_uses_the_recorded_one() {
        let mut cancel = event("BOOKING_CANCELLED", Change::Cancel { keep_hold: false }, 2);
        cancel.start = None;
        assert_eq!(decide_(&cancel, Some(&known(Status::Booked, "BOOKING_CREATED", 1)), t(3)).step, Step::Cancel(Some(t(14))));
        assert_eq!(decide_(&cancel, None, t(3)).step, Step::Cancel(None));
    }

    #[test]
    fn bookings_need_a_reference_and_a_start() {
        let mut e = event("BOOKING_CREATED", Change::Book, 1);
        e.start = None;
        assert!(decide_(&e, None, t(2)).reason.unwrap().contains("no start time"));
        e.booking = None;
        assert!(decide_(&e, None, t(2)).reason.unwrap().contains("names no booking"));
        e.booking = Some("x\ny".into());
        assert!(decide_(&e, None, t(2)).reason.unwrap().contains("not a reference"));
    }

    #[test]
    fn statuses_round_trip() {
        for s in [Status::Booked, Status::Cancelled, Status::Replaced, Status::NoShow, Status::Showed] {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        assert_eq!(Status::parse("gone"), None);
    }
}
