//! Calendly's webhooks (API v2: `{"event", "created_at", "payload": <invitee>}`), read into a
//! [`CalendarEvent`]. A reschedule arrives as two events, in either order: `invitee.canceled`
//! with `rescheduled: true` for the old booking and `invitee.created` with `old_invitee` for
//! the new one; only the second moves the hold. Shapes: ../shared/reference/webhook-formats.md.

use super::calendar::{lead_field, time_field};
use super::fields::{at, text};
use crate::rules::calendar::{CalendarEvent, Change};
use crate::rules::origin::Source;
use crate::rules::refusal::Unreadable;
use crate::rules::{Instant, Outcome};
use serde_json::Value;

/// Reads a Calendly delivery; `as_of` only dates the examples in refusals.
pub fn parse(body: &Value, as_of: Instant) -> Result<CalendarEvent, Unreadable> {
    let (Some(name), Some(payload)) = (body.get("event").and_then(Value::as_str), body.get("payload").filter(|p| p.is_object())) else {
        return Err(Unreadable {
            why: "the body is not a Calendly webhook: it has no \"event\" and \"payload\"".into(),
            hint: "calendly_webhook() takes the body Calendly posts (webhook API v2), as it arrived (the raw body, so its signature can be checked). See examples/calendly/.".into(),
        });
    };
    // An invitee's no-show may come as the invitee or as the no-show resource, which names
    // its invitee in "invitee".
    let booking = payload.get("invitee").and_then(Value::as_str).or_else(|| payload.get("uri").and_then(Value::as_str)).map(str::to_owned);
    let lead = lead_field(at(payload, &["tracking", "utm_content"])).or_else(|| lead_field(question(payload, "lead_id")));
    let linked = |key: &str| payload.get(key).and_then(text);
    let change = match name {
        "invitee.created" => match linked("old_invitee") {
            Some(old) => Change::Move { from: Some(old) },
            None => Change::Book,
        },
        "invitee.canceled" if payload.get("rescheduled") == Some(&Value::Bool(true)) => Change::Replaced { by: linked("new_invitee") },
        "invitee.canceled" => Change::Cancel { keep_hold: false },
        "invitee_no_show.created" => Change::Outcome(Outcome::NoShow),
        "invitee_no_show.deleted" => Change::Outcome(Outcome::Showed),
        _ => Change::Nothing,
    };
    Ok(CalendarEvent {
        source: Source::Calendly,
        name: name.to_owned(),
        booking,
        sent_at: time_field(body.get("created_at"), "created_at", as_of).and_then(Result::ok),
        start: time_field(at(payload, &["scheduled_event", "start_time"]), "scheduled_event.start_time", as_of),
        lead,
        change,
    })
}

/// The answer to the booking question whose text is `question` (case and blanks ignored).
fn question<'a>(payload: &'a Value, question: &str) -> Option<&'a Value> {
    payload.get("questions_and_answers")?.as_array()?.iter().find_map(|qa| {
        let asked = qa.get("question")?.as_str()?;
        asked.trim().eq_ignore_ascii_case(question).then(|| qa.get("answer")).flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::payload::{body, test_as_of};

    fn example(name: &str) -> CalendarEvent {
        let path = format!("{}/examples/calendly/{name}", env!("CARGO_MANIFEST_DIR"));
        parse(&body::parse(&std::fs::read_to_string(&path).unwrap()).unwrap(), test_as_of()).unwrap()
    }

    const FIRST: &str = "https://api.calendly.com/scheduled_events/EVT-1/invitees/INV-1";
    const SECOND: &str = "https://api.calendly.com/scheduled_events/EVT-2/invitees/INV-2";

    #[test]
    fn invitee_events_read_their_fields() {
        let created = example("invitee-created.json");
        assert_eq!((created.change, created.booking.as_deref()), (Change::Book, Some(FIRST)));
        assert_eq!(created.start.unwrap().unwrap().to_rfc3339(), "2025-10-20T18:00:00+00:00");
        assert!(created.lead.unwrap().is_ok());
        assert!(created.sent_at.is_some());
        assert_eq!(example("invitee-canceled.json").change, Change::Cancel { keep_hold: false });
    }

    #[test]
    fn a_reschedule_is_two_events() {
        let old = example("invitee-canceled-rescheduled.json");
        assert_eq!((old.change, old.booking.as_deref()), (Change::Replaced { by: Some(SECOND.into()) }, Some(FIRST)));
        let new = example("invitee-created-rescheduled.json");
        assert_eq!((new.change, new.booking.as_deref()), (Change::Move { from: Some(FIRST.into()) }, Some(SECOND)));
    }

    #[test]
    fn no_shows() {
        assert_eq!(example("invitee-no-show-created.json").change, Change::Outcome(Outcome::NoShow));
        let deleted = example("invitee-no-show-deleted.json");
        assert_eq!((deleted.change, deleted.booking.as_deref()), (Change::Outcome(Outcome::Showed), Some(SECOND)));
        assert_eq!(example("routing-form-submission-created.json").change, Change::Nothing);
    }

    #[test]
    fn the_lead_may_come_from_a_question() {
        let v = serde_json::json!({"event": "invitee.created", "payload": {"uri": "u",
            "questions_and_answers": [{"question": "Company", "answer": "x"}, {"question": " Lead_ID ", "answer": "07f26a19-e9dc-422c-b61d-030e3c7971bb"}]}});
        assert!(parse(&v, test_as_of()).unwrap().lead.unwrap().is_ok());
        let none = serde_json::json!({"event": "invitee.created", "payload": {"uri": "u", "tracking": {"utm_content": null}}});
        assert_eq!(parse(&none, test_as_of()).unwrap().lead, None);
    }

    #[test]
    fn other_bodies_are_not_calendly_webhooks() {
        for v in [serde_json::json!({"triggerEvent": "BOOKING_CREATED", "payload": {}}), serde_json::json!({"event": "x", "payload": 1})] {
            assert!(parse(&v, test_as_of()).unwrap_err().why.contains("not a Calendly webhook"));
        }
    }

    /// Every file under examples/calendly/ is read by a test above (and by src/tests/calendars.rs);
    /// a new one must join this list, so the examples cannot drift from what the code reads.
    #[test]
    fn every_example_is_a_listed_fixture() {
        assert_eq!(crate::rules::payload::example_files("calendly"), ["invitee-canceled-rescheduled.json", "invitee-canceled.json", "invitee-created-rescheduled.json", "invitee-created.json", "invitee-no-show-created.json", "invitee-no-show-deleted.json", "routing-form-submission-created.json"]);
    }
}
