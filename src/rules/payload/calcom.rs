//! Cal.com's webhooks (`{"triggerEvent", "createdAt", "payload": {...}}`), read into a
//! [`CalendarEvent`]. `MEETING_STARTED`/`MEETING_ENDED` come flat (their fields beside
//! `triggerEvent`, no `payload`), and `BOOKING_NO_SHOW_UPDATED` carries only `bookingUid` and
//! `attendees[].noShow`; both are read as sent. Shapes: ../shared/reference/webhook-formats.md.

use super::calendar::{lead_field, time_field};
use super::fields::{at, field, text};
use crate::rules::calendar::{CalendarEvent, Change};
use crate::rules::origin::Source;
use crate::rules::refusal::{Refusal, Unreadable};
use crate::rules::text;
use crate::rules::{Instant, Outcome};
use serde_json::Value;

/// Reads a Cal.com delivery; `as_of` only dates the examples in refusals.
pub fn parse(body: &Value, as_of: Instant) -> Result<CalendarEvent, Unreadable> {
    let Some(name) = body.get("triggerEvent").and_then(Value::as_str) else {
        return Err(Unreadable {
            why: "the body is not a Cal.com webhook: it has no \"triggerEvent\"".into(),
            hint: "calcom_webhook() takes the body Cal.com posts, as it arrived (the raw body, so its signature can be checked). See examples/calcom/.".into(),
        });
    };
    // Booking events wrap their fields in "payload"; MEETING_STARTED/ENDED do not.
    let wrapped = body.get("payload").filter(|p| p.is_object());
    let flat = wrapped.is_none();
    let payload = wrapped.unwrap_or(body);
    let booking = ["uid", "bookingUid"].iter().find_map(|k| payload.get(*k).and_then(text));
    let lead = lead(payload);
    let no_show = attendees_no_show(payload);
    let change = match name {
        // A booking the lead made, whatever it still waits for: REQUESTED waits for the host's
        // confirmation, PAYMENT_INITIATED for payment; each holds the number through it
        // (docs/guides/calendars.md). PAID and the CREATED sent on confirmation name no lead (Cal.com
        // replaces the metadata), so the booking must be known before them: they find its lead
        // through it, and book the same appointment again, which changes nothing.
        "BOOKING_CREATED" | "BOOKING_REQUESTED" | "BOOKING_PAYMENT_INITIATED" | "BOOKING_PAID" => Change::Book,
        // The host declined a requested booking: its tentative hold goes as a cancel's would.
        "BOOKING_REJECTED" => Change::Cancel { keep_hold: false },
        "BOOKING_RESCHEDULED" => Change::Move { from: payload.get("rescheduleUid").and_then(text) },
        "BOOKING_CANCELLED" => Change::Cancel { keep_hold: payload.get("requestReschedule") == Some(&Value::Bool(true)) },
        "AFTER_GUESTS_CAL_VIDEO_NO_SHOW" => Change::Outcome(Outcome::NoShow),
        // Marked (or unmarked) on /bookings/past: any attendee marked is a no-show; all
        // unmarked takes it back.
        "BOOKING_NO_SHOW_UPDATED" => match no_show {
            Some(true) => Change::Outcome(Outcome::NoShow),
            Some(false) => Change::Outcome(Outcome::Showed),
            None => Change::Nothing,
        },
        // Sent by a scheduled job at the meeting's start and end, joined or not: no outcome.
        "MEETING_STARTED" | "MEETING_ENDED" => Change::Clock,
        _ => Change::Nothing,
    };
    // The flat clock triggers carry the booking row, whose createdAt is when the booking was
    // made, not when the event was: their time is the scheduled start or end they fire at.
    let sent_field = match (flat, name) {
        (true, "MEETING_STARTED") => "startTime",
        (true, "MEETING_ENDED") => "endTime",
        _ => "createdAt",
    };
    Ok(CalendarEvent {
        source: Source::Calcom,
        name: name.to_owned(),
        booking,
        sent_at: time_field(field(body, &[sent_field]), sent_field, as_of).and_then(Result::ok),
        start: time_field(payload.get("startTime"), "startTime", as_of),
        lead,
        change,
    })
}

/// The lead the booking names: `metadata.lead_id` (the booking link's parameter) or a
/// `lead_id` booking question (`responses.lead_id`, as `{"value"}` or plain). Two places naming
/// different leads are refused: either could be the wrong one.
fn lead(payload: &Value) -> Option<Result<[u8; 16], Refusal>> {
    let answer = at(payload, &["responses", "lead_id"]);
    let answer = answer.and_then(|a| a.get("value")).or(answer.filter(|v| !v.is_object()));
    match (lead_field(at(payload, &["metadata", "lead_id"])), lead_field(answer)) {
        (Some(Ok(a)), Some(Ok(b))) if a != b => Some(Err(Refusal(format!(
            "payload.metadata.lead_id ({}) and payload.responses.lead_id ({}) disagree",
            text::lead_id(&a),
            text::lead_id(&b)
        )))),
        (Some(metadata), _) => Some(metadata),
        (None, answer) => answer,
    }
}

/// Whether any attendee is marked a no-show (`Some(false)`: attendees are listed, none is).
fn attendees_no_show(payload: &Value) -> Option<bool> {
    let marks: Vec<bool> = payload.get("attendees")?.as_array()?.iter().filter_map(|a| a.get("noShow")?.as_bool()).collect();
    (!marks.is_empty()).then(|| marks.contains(&true))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::payload::{body, test_as_of};

    fn example(name: &str) -> CalendarEvent {
        let path = format!("{}/examples/calcom/{name}", env!("CARGO_MANIFEST_DIR"));
        parse(&body::parse(&std::fs::read_to_string(&path).unwrap()).unwrap(), test_as_of()).unwrap()
    }

    #[test]
    fn booking_events_read_their_fields() {
        let created = example("booking-created.json");
        assert_eq!(created.change, Change::Book);
        assert_eq!(created.booking.as_deref(), Some("bk_7Qm2fT9x"));
        assert_eq!(created.start.unwrap().unwrap().to_rfc3339(), "2025-10-20T18:00:00+00:00");
        assert!(created.lead.unwrap().is_ok());
        assert!(created.sent_at.is_some());
        let moved = example("booking-rescheduled.json");
        assert_eq!(moved.change, Change::Move { from: Some("bk_7Qm2fT9x".into()) });
        assert_eq!(moved.booking.as_deref(), Some("bk_R4sZ8wLp"));
        assert_eq!(example("booking-cancelled.json").change, Change::Cancel { keep_hold: false });
        assert_eq!(example("booking-cancelled-request-reschedule.json").change, Change::Cancel { keep_hold: true });
    }

    #[test]
    fn no_shows_and_flat_meeting_events() {
        let marked = example("booking-no-show-updated.json");
        assert_eq!(marked.change, Change::Outcome(Outcome::NoShow));
        assert_eq!((marked.booking.as_deref(), marked.start.is_none(), marked.lead.is_none()), (Some("bk_R4sZ8wLp"), true, true));
        assert_eq!(example("booking-no-show-cleared.json").change, Change::Outcome(Outcome::Showed));
        assert_eq!(example("after-guests-cal-video-no-show.json").change, Change::Outcome(Outcome::NoShow));
    }

    #[test]
    fn bookings_in_every_state_book_and_a_rejection_cancels() {
        for name in ["booking-requested.json", "booking-payment-initiated.json", "booking-paid.json"] {
            let e = example(name);
            assert_eq!(e.change, Change::Book, "{name}");
            assert!(e.start.unwrap().is_ok(), "{name}");
        }
        assert!(example("booking-payment-initiated.json").lead.unwrap().is_ok(), "the payment's first event names the lead");
        assert_eq!(example("booking-paid.json").lead, None, "BOOKING_PAID's metadata is the payment's: no lead");
        let rejected = example("booking-rejected.json");
        assert_eq!((rejected.change, rejected.booking.as_deref(), rejected.lead), (Change::Cancel { keep_hold: false }, Some("bk_Pend1ng0"), None));
    }

    #[test]
    fn meeting_clock_events_are_dated_by_their_schedule() {
        // Flat, the booking row beside triggerEvent: its createdAt is the booking's, not the event's.
        let started = example("meeting-started.json");
        assert_eq!((started.change.clone(), started.booking.as_deref()), (Change::Clock, Some("bk_R4sZ8wLp")));
        assert_eq!(started.sent_at.unwrap().to_rfc3339(), "2025-10-21T18:00:00+00:00");
        let ended = example("meeting-ended.json");
        assert_eq!((ended.change.clone(), ended.booking.as_deref()), (Change::Clock, Some("bk_R4sZ8wLp")));
        assert_eq!(ended.sent_at.unwrap().to_rfc3339(), "2025-10-21T18:30:00+00:00");
    }

    #[test]
    fn the_lead_may_come_from_a_booking_question() {
        let v = serde_json::json!({"triggerEvent": "BOOKING_CREATED", "payload": {"uid": "u", "responses": {"lead_id": {"label": "lead_id", "value": "07f26a19-e9dc-422c-b61d-030e3c7971bb"}}}});
        assert!(parse(&v, test_as_of()).unwrap().lead.unwrap().is_ok());
        let blank = serde_json::json!({"triggerEvent": "BOOKING_CREATED", "payload": {"uid": "u", "metadata": {"lead_id": " "}}});
        assert_eq!(parse(&blank, test_as_of()).unwrap().lead, None);
        let bad = serde_json::json!({"triggerEvent": "BOOKING_CREATED", "payload": {"metadata": {"lead_id": "123"}}});
        assert!(parse(&bad, test_as_of()).unwrap().lead.unwrap().is_err());
    }

    #[test]
    fn other_bodies_are_not_cal_com_webhooks() {
        for v in [serde_json::json!({"event": "invitee.created"}), serde_json::json!([1]), serde_json::json!({"triggerEvent": 7})] {
            assert!(parse(&v, test_as_of()).unwrap_err().why.contains("not a Cal.com webhook"));
        }
    }

    /// Every file under examples/calcom/ is read by a test above (and by src/tests/calendars.rs);
    /// a new one must join this list, so the examples cannot drift from what the code reads.
    #[test]
    fn every_example_is_a_listed_fixture() {
        assert_eq!(crate::rules::payload::example_files("calcom"), ["README.md", "after-guests-cal-video-no-show.json", "booking-cancelled-request-reschedule.json", "booking-cancelled.json", "booking-created.json", "booking-no-show-cleared.json", "booking-no-show-updated.json", "booking-paid.json", "booking-payment-initiated.json", "booking-rejected.json", "booking-requested.json", "booking-rescheduled.json", "meeting-ended.json", "meeting-started.json"]);
    }
}
