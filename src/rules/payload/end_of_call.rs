//! What a finished call says to do: VAPI's `end-of-call-report`, or the seed's flattened
//! "Option B" body `{"callId", "leadId", "outcome", "appointmentTime", "transcript"}`.
//!
//! In a VAPI report the lead, outcome and appointment are looked up, in this order, in
//! `analysis.structuredData` (what the assistant's analysis plan extracts), `call.metadata`,
//! `call.assistantOverrides.metadata` (where vapi_assistant_request() puts the lead of an
//! inbound call) and `call.assistantOverrides.variableValues`.

use super::fields::{at, field, text, unambiguous};
use super::tool_calls::message;
use super::{lead_id, quote, timestamp, Refusal, Unreadable, Request};
use crate::rules::Instant;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallReport {
    pub call_id: Option<String>,
    pub lead_id: Option<String>,
    /// The outcome as sent.
    pub outcome: Option<String>,
    /// What to do: a request, nothing (`Ok(None)`), or why the report cannot be acted on.
    pub decision: Result<Option<Request>, Refusal>,
}

/// What an outcome asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Book,
    Cancel,
    Reschedule,
}

/// Outcome spellings that change a hold; every other outcome (no answer, voicemail, not
/// interested, showed …) leaves it alone here.
fn action(outcome: &str) -> Option<Action> {
    let folded: String = outcome.trim().chars().map(|c| if c == '-' || c == ' ' { '_' } else { c.to_ascii_lowercase() }).collect();
    match folded.as_str() {
        "appointment_booked" | "booked" | "appointment_scheduled" | "scheduled" => Some(Action::Book),
        "appointment_cancelled" | "appointment_canceled" | "cancelled" | "canceled" => Some(Action::Cancel),
        "appointment_rescheduled" | "rescheduled" => Some(Action::Reschedule),
        _ => None,
    }
}

/// What a finished call asks for; `as_of` only dates the example in a time refusal.
pub fn parse(payload: &Value, as_of: Instant) -> Result<CallReport, Unreadable> {
    let message = message(payload);
    let sources: Vec<&Value> = match field(message, &["type"]).and_then(Value::as_str) {
        Some("end-of-call-report") => [
            at(message, &["analysis", "structuredData"]),
            at(message, &["call", "metadata"]),
            at(message, &["call", "assistantOverrides", "metadata"]),
            at(message, &["call", "assistantOverrides", "variableValues"]),
        ]
        .into_iter()
        .flatten()
        .collect(),
        Some(other) => {
            return Err(Unreadable::not_this_message(format!(
                "expected an end-of-call-report, got a VAPI message of type {}",
                quote(other)
            )))
        }
        None if field(payload, &["leadId", "outcome"]).is_some() => vec![payload],
        None => {
            return Err(Unreadable::not_this_message(
                "expected a VAPI end-of-call-report or a body with leadId and outcome".to_owned(),
            ))
        }
    };
    // Within one source a value sent under two spellings with different values is ambiguous;
    // across sources the documented order decides.
    let find = |names: &[&str], what: &str| -> Result<Option<String>, Refusal> {
        for source in &sources {
            if let Some(v) = unambiguous(source, names, what)? {
                return Ok(Some(text(v).unwrap_or_else(|| v.to_string())));
            }
        }
        Ok(None)
    };
    let call_id = at(message, &["call", "id"]).or_else(|| field(payload, &["callId"])).and_then(text);
    let lead = find(&["lead_id", "leadId"], "lead_id");
    let outcome = find(&["outcome"], "outcome");
    let appointment = find(&["appointment_time", "appointmentTime"], "appointmentTime");

    let decision = match outcome.clone().map(|o| o.as_deref().and_then(action)) {
        Err(refusal) => Err(refusal),
        Ok(None) => Ok(None),
        Ok(Some(action)) => (|| {
            let lead = lead.clone()?.ok_or_else(|| Refusal("the report has no lead id".to_owned()))?;
            let lead = lead_id::parse(&lead)?;
            let time = || -> Result<_, Refusal> {
                let raw = appointment.clone()?.ok_or_else(|| Refusal("the report has no appointment time".to_owned()))?;
                timestamp::parse(&raw, "appointmentTime", as_of)
            };
            Ok(Some(match action {
                Action::Book => Request::Book { lead, at: time()? },
                Action::Cancel => Request::Cancel { lead },
                Action::Reschedule => Request::Reschedule { lead, at: time()? },
            }))
        })(),
    };
    let (lead, outcome) = (lead.ok().flatten(), outcome.ok().flatten());
    Ok(CallReport { call_id, lead_id: lead, outcome, decision })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::payload::test_as_of as as_of;
    use chrono::{TimeZone, Utc};
    use serde_json::json;

    fn example(name: &str) -> Value {
        let text = match name {
            "end-of-call-report-booked" => include_str!("../../../examples/vapi/end-of-call-report-booked.json"),
            "end-of-call-report-no-answer" => include_str!("../../../examples/vapi/end-of-call-report-no-answer.json"),
            "option-b-booked" => include_str!("../../../examples/vapi/option-b-booked.json"),
            "option-b-cancelled" => include_str!("../../../examples/vapi/option-b-cancelled.json"),
            _ => unreachable!(),
        };
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn a_report_with_a_booking_books() {
        let r = parse(&example("end-of-call-report-booked"), as_of()).unwrap();
        assert_eq!(r.call_id.as_deref(), Some("b1e2c3d4-0000-4000-8000-00000000ca11"));
        assert_eq!(
            r.decision,
            Ok(Some(Request::Book {
                lead: lead_id::parse("07f26a19-e9dc-422c-b61d-030e3c7971bb").unwrap(),
                at: Utc.with_ymd_and_hms(2025, 10, 20, 14, 0, 0).unwrap()
            }))
        );
    }

    #[test]
    fn a_report_without_a_booking_does_nothing() {
        let r = parse(&example("end-of-call-report-no-answer"), as_of()).unwrap();
        assert_eq!(r.outcome.as_deref(), Some("no_answer"));
        assert_eq!(r.decision, Ok(None));
    }

    #[test]
    fn the_seeds_option_b_body_books_and_cancels() {
        assert!(matches!(parse(&example("option-b-booked"), as_of()).unwrap().decision, Ok(Some(Request::Book { .. }))));
        assert!(matches!(parse(&example("option-b-cancelled"), as_of()).unwrap().decision, Ok(Some(Request::Cancel { .. }))));
    }

    #[test]
    fn a_booking_without_what_it_needs_is_refused() {
        let r = parse(&json!({"leadId": "07f26a19-e9dc-422c-b61d-030e3c7971bb", "outcome": "Appointment Booked"}), as_of()).unwrap();
        assert_eq!(r.decision, Err(Refusal("the report has no appointment time".into())));
        let r = parse(&json!({"leadId": "nope", "outcome": "appointment_booked", "appointmentTime": "2025-10-20T14:00:00Z"}), as_of()).unwrap();
        assert!(matches!(r.decision, Err(Refusal(m)) if m.contains("\"nope\"")));
        let r = parse(&json!({"outcome": "cancelled"}), as_of()).unwrap();
        assert_eq!(r.decision, Err(Refusal("the report has no lead id".into())));
    }

    #[test]
    fn a_value_sent_two_ways_is_refused_as_ambiguous() {
        let r = parse(&json!({"leadId": "07f26a19-e9dc-422c-b61d-030e3c7971bb", "lead_id": "17f26a19-e9dc-422c-b61d-030e3c7971bb",
                              "outcome": "cancelled"}), as_of())
        .unwrap();
        assert!(matches!(&r.decision, Err(Refusal(m)) if m.contains("lead_id is given twice")), "{:?}", r.decision);
        let r = parse(&json!({"leadId": "07f26a19-e9dc-422c-b61d-030e3c7971bb", "outcome": "booked",
                              "appointmentTime": "2025-10-20T14:00:00Z", "appointment_time": "2025-10-21T14:00:00Z"}), as_of())
        .unwrap();
        assert!(matches!(&r.decision, Err(Refusal(m)) if m.contains("appointmentTime is given twice")), "{:?}", r.decision);
    }

    #[test]
    fn an_inbound_call_s_lead_comes_from_the_assistant_overrides_metadata() {
        let report = json!({"message": {"type": "end-of-call-report",
            "analysis": {"structuredData": {"outcome": "cancelled"}},
            "call": {"id": "c1", "assistantOverrides": {"metadata": {"lead_id": "07f26a19-e9dc-422c-b61d-030e3c7971bb"}}}}});
        let r = parse(&report, as_of()).unwrap();
        assert_eq!(r.lead_id.as_deref(), Some("07f26a19-e9dc-422c-b61d-030e3c7971bb"));
        assert!(matches!(r.decision, Ok(Some(Request::Cancel { .. }))));
    }

    #[test]
    fn other_messages_are_not_reports() {
        assert!(parse(&json!({"message": {"type": "tool-calls"}}), as_of()).is_err());
        assert!(parse(&json!({"transcript": "hi"}), as_of()).is_err());
    }
}
